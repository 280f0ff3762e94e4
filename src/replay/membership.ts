/**
 * Replay's bridge to the membership library: each decoded IGMP frame becomes a MembershipMessage on the capture's
 * clock; events print as they happen; the table prints at the end of the capture or at `--at`.
 */
import type { CaptureRecord } from '../pcap/index.js';
import { TableClock } from '../format/table-clock.js';
import type { FrameDecoder } from '../decode/frame.js';
import { LinkKind } from '../decode/frame.js';
import { ipv4ToString, macToString } from '../wire/addr.js';
import { IgmpTypeCode, decodeMaxRespCode, decodeQqic, parseIgmp, recordTypeName, type GroupRecordRepr, type IgmpRepr } from '../wire/igmp.js';
import { AddrTextCache } from './text-cache.js';
import { MembershipTable, formatTable, type MembershipEvent, type MembershipMessage, type TimerOptions } from '../membership/index.js';
import type { LineSink } from '../format/sink.js';
import type { FrameObserver } from './replay.js';

/** `--at`: an absolute ISO-8601 time, or `+SECONDS` after the first frame. */
export type AtTime = { absolute: { sec: number; frac: number } } | { relative: number };

export interface MembershipReplayOptions {
  table: boolean;
  events: boolean;
  json: boolean;
  at: AtTime | null;
  timers: TimerOptions;
}

/** The message the table consumes, built from the decoder's views (allocates; IGMP frames only). */
export function membershipMessage(d: FrameDecoder, time: number, iface: string | null, frame: number | null, tsText?: string): MembershipMessage {
  let srcMac: string | null = null;
  if (d.link === LinkKind.ETHERNET) srcMac = macToString(d.buf, d.eth.srcOffset);
  else if (d.link === LinkKind.SLL && d.sll.addressLength === 6) srcMac = macToString(d.buf, d.sll.addrOffset);
  else if (d.link === LinkKind.SLL2 && d.sll2.addressLength === 6) srcMac = macToString(d.buf, d.sll2.addrOffset);
  const vlan = d.outerVlan;
  const msg: MembershipMessage = {
    time,
    iface,
    vlan: vlan < 0 ? null : vlan,
    srcIp: ipv4ToString(d.ip.src),
    srcMac,
    dstIp: ipv4ToString(d.ip.dst),
    igmp: parseIgmp(d.igmp).repr,
    frame,
  };
  if (tsText !== undefined) msg.tsText = tsText;
  return msg;
}

/**
 * Source lists are rewritten in place. Empty ones share this array instead: V8 drops a backing store at length 0,
 * and growing through `length` would make the array holey.
 */
const NO_TEXTS = Object.freeze([]) as readonly string[] as string[];

function putText(list: string[], i: number, s: string): void {
  if (i < list.length) list[i] = s;
  else list.push(s);
}

/**
 * membershipMessage() for the replay hot path: the same message, but in objects reused from frame to frame, with
 * address texts from a cache. Sound because the table keeps nothing of a message but its strings (it copies the
 * record and query source lists it keeps). Unknown types take membershipMessage(). The differences, none read by
 * the table: no `auxData` and no `extra`. Measured on the 1M-frame benchmark capture (100k IGMP messages):
 * membershipMessage() ~120 ms inclusive and a repr, records and strings per message; this ~50 ms (checksums and
 * cache lookups) and no garbage.
 */
export class ReusedMessageBuilder {
  private readonly texts = new AddrTextCache();
  private readonly msg: MembershipMessage = {
    time: 0, iface: null, vlan: null, srcIp: '', srcMac: null, dstIp: '', igmp: null as unknown as IgmpRepr, frame: null,
  };
  private readonly v3: IgmpRepr = {
    version: 3, type: 'report', typeCode: IgmpTypeCode.V3MembershipReport, maxRespCode: 0, group: '0.0.0.0', checksum: 0,
    checksumOk: true, records: [],
  };
  private readonly old: IgmpRepr = {
    version: 2, type: 'report', typeCode: IgmpTypeCode.V2MembershipReport, maxRespCode: 0, group: '', checksum: 0, checksumOk: true,
  };
  private readonly q12: IgmpRepr = {
    version: 2, type: 'query', typeCode: IgmpTypeCode.MembershipQuery, maxRespCode: 0, maxRespTime: 0, group: '', checksum: 0,
    checksumOk: true,
  };
  private readonly q3: IgmpRepr = {
    version: 3, type: 'query', typeCode: IgmpTypeCode.MembershipQuery, maxRespCode: 0, maxRespTime: 0, group: '', checksum: 0,
    checksumOk: true, s: false, qrv: 0, qqic: 0, qqi: 0, sources: NO_TEXTS,
  };
  /** Record objects, grown to the most records seen in one report, and each one's reused source array. */
  private readonly pool: GroupRecordRepr[] = [];
  private readonly poolSources: string[][] = [];
  private readonly qSources: string[] = [];

  /**
   * [0]: the message time for build(). Passed in a typed array, not as an argument: a double argument of a call
   * that is not inlined is boxed, and V8 then boxed the caller's per-frame time once for every frame, not only for
   * IGMP frames (~16 MB of garbage on the 1M-frame capture).
   */
  readonly time = new Float64Array(1);

  /** The message of the frame `d` holds (IGMP, no decode error) at time[0], valid until the next call. */
  build(d: FrameDecoder, iface: string | null, frame: number | null): MembershipMessage {
    const time = this.time[0]!;
    const v = d.igmp;
    const code = v.typeCode;
    let igmp: IgmpRepr;
    if (code === IgmpTypeCode.V3MembershipReport) {
      igmp = this.v3;
      this.fillV3(d);
    } else if (code === IgmpTypeCode.V1MembershipReport || code === IgmpTypeCode.V2MembershipReport || code === IgmpTypeCode.V2LeaveGroup) {
      igmp = this.old;
      igmp.version = code === IgmpTypeCode.V1MembershipReport ? 1 : 2;
      igmp.type = code === IgmpTypeCode.V2LeaveGroup ? 'leave' : 'report';
      igmp.typeCode = code;
      igmp.maxRespCode = v.maxRespCode;
      igmp.group = this.texts.ipv4(v.groupBits);
      igmp.checksum = v.checksum;
      igmp.checksumOk = v.checksumValid();
    } else if (code === IgmpTypeCode.MembershipQuery) {
      igmp = this.fillQuery(d);
    } else {
      return membershipMessage(d, time, iface, frame);
    }
    const msg = this.msg;
    msg.time = time;
    msg.iface = iface;
    const vlan = d.outerVlan;
    msg.vlan = vlan < 0 ? null : vlan;
    msg.srcIp = this.texts.ipv4(d.ip.src);
    msg.srcMac = this.srcMac(d);
    msg.dstIp = this.texts.ipv4(d.ip.dstBits);
    msg.igmp = igmp;
    msg.frame = frame;
    return msg;
  }

  /** A query without a decode error is v1, v2 or v3 with all its announced sources (the decoder checked). */
  private fillQuery(d: FrameDecoder): IgmpRepr {
    const v = d.igmp;
    const version = v.queryVersion as 1 | 2 | 3;
    const igmp = version === 3 ? this.q3 : this.q12;
    const code = v.maxRespCode;
    igmp.version = version;
    igmp.maxRespCode = code;
    igmp.maxRespTime = decodeMaxRespCode(code, version);
    igmp.group = this.texts.ipv4(v.groupBits);
    igmp.checksum = v.checksum;
    igmp.checksumOk = v.checksumValid();
    if (version !== 3) return igmp;
    const resv = v.resv;
    if (resv !== 0) igmp.resv = resv;
    else if (igmp.resv !== undefined) igmp.resv = undefined;
    igmp.s = v.s;
    igmp.qrv = v.qrv;
    igmp.qqic = v.qqic;
    igmp.qqi = decodeQqic(igmp.qqic);
    const n = v.sourceCount;
    if (n === 0) {
      igmp.sources = NO_TEXTS;
      return igmp;
    }
    const sources = (igmp.sources = this.qSources);
    for (let i = 0; i < n; i++) putText(sources, i, this.texts.ipv4(v.source(i)));
    if (sources.length !== n) sources.length = n;
    return igmp;
  }

  private fillV3(d: FrameDecoder): void {
    const v = d.igmp;
    const igmp = this.v3;
    igmp.maxRespCode = v.maxRespCode;
    igmp.checksum = v.checksum;
    igmp.checksumOk = v.checksumValid();
    const reserved2 = v.reserved2;
    if (reserved2 !== 0) igmp.reserved2 = reserved2;
    else if (igmp.reserved2 !== undefined) igmp.reserved2 = undefined;
    const records = igmp.records!;
    const pool = this.pool;
    const rv = v.records;
    const own = this.poolSources;
    let n = 0;
    // The decoder walked these records without a fault (d.error is null), so every one is complete.
    for (let ok = v.firstRecord(rv); ok; ok = v.nextRecord(rv)) {
      let rec = pool[n];
      if (rec === undefined) {
        rec = { type: 'unknown', typeCode: 0, group: '', sources: NO_TEXTS, auxLen: 0 };
        pool.push(rec);
        own.push([]);
      }
      const t = rv.recordType;
      rec.type = recordTypeName(t);
      rec.typeCode = t;
      rec.group = this.texts.ipv4(rv.groupBits);
      rec.auxLen = rv.auxDataLen;
      const ns = rv.numberOfSources;
      if (ns === 0) {
        rec.sources = NO_TEXTS;
      } else {
        const sources = (rec.sources = own[n]!);
        for (let i = 0; i < ns; i++) putText(sources, i, this.texts.ipv4(rv.source(i)));
        if (sources.length !== ns) sources.length = ns;
      }
      records[n++] = rec;
    }
    records.length = n;
    if (n !== rv.count) igmp.numberOfGroupRecords = rv.count;
    else if (igmp.numberOfGroupRecords !== undefined) igmp.numberOfGroupRecords = undefined;
  }

  private srcMac(d: FrameDecoder): string | null {
    if (d.link === LinkKind.ETHERNET) return this.texts.macAt(d.buf, d.eth.srcOffset);
    if (d.link === LinkKind.SLL && d.sll.addressLength === 6) return this.texts.macAt(d.buf, d.sll.addrOffset);
    if (d.link === LinkKind.SLL2 && d.sll2.addressLength === 6) return this.texts.macAt(d.buf, d.sll2.addrOffset);
    return null;
  }
}

export class MembershipObserver implements FrameObserver {
  readonly table: MembershipTable;
  private readonly messages = new ReusedMessageBuilder();
  private first: number | null = null;
  private last = 0;
  /**
   * The table's next deadline, read after each call that can change it (only this observer drives the table):
   * asking the table on every frame boxed the returned double, ~13 MB of garbage on the 1M-frame capture.
   */
  private due = Infinity;
  private stopAt: number | null = null;
  /** Seconds since the first frame's whole second, and their text at the capture's precision. */
  private readonly clock = new TableClock();

  constructor(
    private readonly opts: MembershipReplayOptions,
    private readonly out: LineSink,
  ) {
    this.table = new MembershipTable({ ...opts.timers, events: opts.events, formatTime: (t) => this.clock.text(t) });
  }

  frame(d: FrameDecoder, rec: CaptureRecord, n: number): void {
    const clock = this.clock;
    if (clock.base === null) clock.base = rec.tsSec;
    const time = rec.tsSec - clock.base + rec.tsNsec * 1e-9;
    if (this.first === null) {
      this.first = time;
      clock.digits = rec.tsDigits;
      const at = this.opts.at;
      if (at !== null) this.stopAt = 'relative' in at ? time + at.relative : at.absolute.sec - clock.base + at.absolute.frac;
    }
    // Past --at: skip, but read on. A pcapng of several interfaces (dumpcap -i A -i B) is in time order per
    // interface only, so a later record may still be earlier than --at.
    if (this.stopAt !== null && time > this.stopAt) return;
    if (time > this.last) this.last = time;
    if (!d.hasIgmp || d.error !== null) {
      // Timers still run on the capture's clock between IGMP frames (only when one is due: most frames are not IGMP).
      if (time >= this.due) {
        this.print(this.table.advance(time));
        this.due = this.table.nextDeadline();
      }
      return;
    }
    // No tsText: the table's clock is exact to the nanosecond here, so fmt() prints lastReport only when shown.
    this.messages.time[0] = time;
    this.print(this.table.onMessage(this.messages.build(d, rec.ifaceName, n)));
    this.due = this.table.nextDeadline();
  }

  end(): void {
    const at = this.stopAt ?? this.last;
    this.print(this.table.advance(at));
    if (!this.opts.table) return;
    const snap = this.table.snapshot(at);
    if (this.opts.json) this.out.line(JSON.stringify(snap));
    else {
      if (this.opts.events) this.out.line('');
      this.out.line(`membership at ${this.clock.text(at)}`);
      for (const l of formatTable(snap).split('\n')) this.out.line(l);
    }
  }

  private print(events: readonly MembershipEvent[]): void {
    if (!this.opts.events) return;
    // JSON events carry the time as text too, at the capture's precision.
    for (const e of events) this.out.line(this.clock.eventLine(e, this.opts.json));
  }
}
