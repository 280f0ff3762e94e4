/**
 * Replay's bridge to the membership library: each decoded IGMP frame becomes a MembershipMessage on the capture's
 * clock; events print as they happen; the table prints at the end of the capture or at `--at`.
 */
import type { CaptureRecord } from '../pcap/index.js';
import { TableClock } from '../format/table-clock.js';
import type { FrameDecoder } from '../decode/frame.js';
import { LinkKind } from '../decode/frame.js';
import { ipv4ToString, macHiAt, macLoAt, macToString } from '../wire/addr.js';
import { IgmpTypeCode, decodeQqic, parseIgmp, readGroupRecords } from '../wire/igmp.js';
import { MessageKind, WireMessageBuffer, reportKind, type WireMessage } from '../membership/message.js';
import { MembershipTable, writeRowsLines, type MembershipEvent, type MembershipMessage, type TimerOptions } from '../membership/index.js';
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
 * The table's numeric message (WireMessage) of a decoded frame, for the replay hot path: one reused buffer filled
 * straight from the decoder's views, no text and no object per frame. membershipMessage() (the text form, converted
 * by the table) gives the same message; test/replay/message-builder.test.ts holds the two together on every
 * fixture. Measured on the 1M-frame benchmark capture (100k IGMP messages): membershipMessage() ~120 ms and a repr,
 * records and strings per message; reused reprs with cached address texts ~50 ms and a cache lookup per address;
 * this ~25 ms (profile self time).
 */
export class ReusedMessageBuilder {
  private readonly msg = new WireMessageBuffer();

  /**
   * [0]: the message time for build(). Passed in a typed array, not as an argument: a double argument of a call
   * that is not inlined is boxed, and V8 then boxed the caller's per-frame time once for every frame, not only for
   * IGMP frames (~16 MB of garbage on the 1M-frame capture).
   */
  readonly time = new Float64Array(1);

  /** The message of the frame `d` holds (IGMP, no decode error) at time[0], valid until the next call. */
  build(d: FrameDecoder, iface: string | null, frame: number | null): WireMessage {
    const msg = this.msg;
    const v = d.igmp;
    const code = v.typeCode;
    msg.time = this.time[0]!;
    msg.iface = iface;
    const vlan = d.outerVlan;
    msg.vlan = vlan < 0 ? null : vlan;
    msg.frame = frame;
    msg.tsText = undefined;
    msg.srcIp = d.ip.srcBits;
    const at = this.macOffset(d);
    if (at < 0) {
      msg.srcMacHi = -1;
      msg.srcMacLo = 0;
    } else {
      msg.srcMacHi = macHiAt(d.buf, at);
      msg.srcMacLo = macLoAt(d.buf, at);
    }
    msg.checksumOk = v.checksumValid();
    msg.querySources = 0;
    msg.recordCount = 0;
    if (code === IgmpTypeCode.MembershipQuery) {
      this.fillQuery(d);
    } else {
      const kind = (msg.kind = reportKind(code));
      // v3 reports have no Group Address field; unknown types may be 4 bytes long.
      msg.group = kind === MessageKind.V3_REPORT || kind === MessageKind.OTHER ? 0 : v.groupBits;
      if (kind === MessageKind.V3_REPORT) this.fillV3(d);
    }
    return msg;
  }

  /** A query without a decode error is v1, v2 or v3 with all its announced sources (the decoder checked). */
  private fillQuery(d: FrameDecoder): void {
    const v = d.igmp;
    const msg = this.msg;
    const version = v.queryVersion;
    msg.kind = MessageKind.QUERY;
    msg.queryVersion = version;
    msg.group = v.groupBits;
    if (version !== 3) {
      msg.suppress = false;
      msg.qrv = 0;
      msg.qqi = 0;
      return;
    }
    msg.suppress = v.s;
    msg.qrv = v.qrv;
    msg.qqi = decodeQqic(v.qqic);
    const n = v.sourceCount;
    msg.reserve(0, n);
    const sources = msg.sources;
    for (let i = 0; i < n; i++) sources[i] = v.sourceBits(i);
    msg.querySources = n;
  }

  private fillV3(d: FrameDecoder): void {
    const v = d.igmp;
    const msg = this.msg;
    // Room for every announced record and for as many sources as the message can hold.
    msg.reserve(Math.min(v.numberOfGroupRecords, (v.length - 8) >> 3), (v.length - 8) >> 2);
    msg.recordCount = readGroupRecords(v, msg.recordType, msg.recordGroup, msg.recordStart, msg.recordSources, msg.sources);
  }

  /** Where the frame's source MAC is, or -1 when its link type has none. */
  private macOffset(d: FrameDecoder): number {
    if (d.link === LinkKind.ETHERNET) return d.eth.srcOffset;
    if (d.link === LinkKind.SLL && d.sll.addressLength === 6) return d.sll.addrOffset;
    if (d.link === LinkKind.SLL2 && d.sll2.addressLength === 6) return d.sll2.addrOffset;
    return -1;
  }
}

export class MembershipObserver implements FrameObserver {
  readonly table: MembershipTable;
  /** Only events need the frames between IGMP messages (to run timers in their place). */
  readonly everyFrame: boolean;
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
    this.everyFrame = opts.events;
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
      // Timers still run on the capture's clock between IGMP frames, for the expiry events to print in their place
      // (only when one is due: most frames are not IGMP). Without --events no one sees when an expiry ran: the
      // table runs it at the next message or at the end, in deadline order either way, so the state is the same.
      if (this.opts.events && time >= this.due) {
        this.print(this.table.advance(time));
        this.due = this.table.nextDeadline();
      }
      return;
    }
    // No tsText: the table's clock is exact to the nanosecond here, so fmt() prints lastReport only when shown.
    this.messages.time[0] = time;
    this.print(this.table.onWire(this.messages.build(d, rec.ifaceName, n)));
    if (this.opts.events) this.due = this.table.nextDeadline();
  }

  end(tsSec = -1, tsNsec = 0): void {
    // The latest frame the replay did not hand over (not IGMP) may be the capture's last moment.
    const base = this.clock.base;
    if (tsSec >= 0 && base !== null) {
      const time = tsSec - base + tsNsec * 1e-9;
      if (time > this.last) this.last = time;
    }
    const at = this.stopAt ?? this.last;
    this.print(this.table.advance(at));
    if (!this.opts.table) return;
    if (this.opts.json) this.out.line(JSON.stringify(this.table.snapshot(at)));
    else {
      if (this.opts.events) this.out.line('');
      this.out.line(`membership at ${this.clock.text(at)}`);
      writeRowsLines(this.table.tableRows(at), (l) => this.out.line(l));
      this.out.line('');
    }
  }

  private print(events: readonly MembershipEvent[]): void {
    if (!this.opts.events) return;
    // JSON events carry the time as text too, at the capture's precision.
    for (const e of events) this.out.line(this.clock.eventLine(e, this.opts.json));
  }
}
