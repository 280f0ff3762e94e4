/**
 * The table's own input: one IGMP message with every address as a number, as the wire has it. The replay hot path
 * (replay and sniff) fills one reused WireMessageBuffer straight from the decoder's views (src/replay/membership.ts),
 * so a message costs no text and no object; MembershipMessage (the reprs' text form, used by the querier and library
 * users) is converted by `fromRepr`. Why numbers: keyed by text, `replay --table` on the 1M-frame benchmark capture
 * spent half its time in string-keyed Map lookups and the member objects they lead to (line-level profiles), and
 * the text itself (~50 ms) is needed only for events and snapshots.
 *
 * Addresses are signed 32-bit numbers (`addr | 0`: small integers for V8, never heap numbers); a MAC is two of
 * them (macHiAt/macLoAt in ../wire/addr.ts).
 */
import { ipv4FromString, parseMac } from '../wire/addr.js';
import { IgmpTypeCode } from '../wire/igmp.js';
import { decodeExpForm } from './timers.js';
import type { MembershipMessage } from './types.js';

/** What the table does with a message. */
export const MessageKind = {
  /** A type the table does not act on (its timers still run to the message's time). */
  OTHER: 0,
  QUERY: 1,
  V1_REPORT: 2,
  V2_REPORT: 3,
  V2_LEAVE: 4,
  V3_REPORT: 5,
} as const;

export interface WireMessage {
  /** Seconds (float), the capture's clock or the live clock. */
  time: number;
  iface: string | null;
  vlan: number | null;
  frame: number | null;
  /** The frame's timestamp as text (kept as the member's lastReport), or undefined. */
  tsText: string | undefined;
  kind: number;
  /** False when the IGMP checksum is wrong (the table ignores the message, RFC 3376 section 4.1.2). */
  checksumOk: boolean;
  srcIp: number;
  /** Ethernet source: hi -1 when the link type has none. */
  srcMacHi: number;
  srcMacLo: number;
  /** The Group Address field (0 in a general query). */
  group: number;
  /** Queries: the version by length (RFC 3376 section 7.1), the S flag, QRV and QQI (v3; 0 otherwise). */
  queryVersion: number;
  suppress: boolean;
  qrv: number;
  qqi: number;
  /** Queries: the number of sources, at sources[0..querySources). */
  querySources: number;
  /** v3 reports: the complete group records, record i's sources at sources[recordStart[i]..+recordSources[i]). */
  recordCount: number;
  recordType: Uint8Array;
  recordGroup: Int32Array;
  recordStart: Int32Array;
  recordSources: Int32Array;
  sources: Int32Array;
}

/** A WireMessage whose arrays grow to what it is asked to hold (reused from message to message). */
export class WireMessageBuffer implements WireMessage {
  time = 0;
  iface: string | null = null;
  vlan: number | null = null;
  frame: number | null = null;
  tsText: string | undefined = undefined;
  kind = 0;
  checksumOk = true;
  srcIp = 0;
  srcMacHi = -1;
  srcMacLo = 0;
  group = 0;
  queryVersion = 0;
  suppress = false;
  qrv = 0;
  qqi = 0;
  querySources = 0;
  recordCount = 0;
  recordType = new Uint8Array(8);
  recordGroup = new Int32Array(8);
  recordStart = new Int32Array(8);
  recordSources = new Int32Array(8);
  sources = new Int32Array(64);

  /** Room for `records` records and `sources` source addresses (contents are kept up to the old sizes). */
  reserve(records: number, sources: number): void {
    if (records > this.recordType.length) {
      const n = Math.max(records, this.recordType.length * 2);
      this.recordType = grow(this.recordType, new Uint8Array(n));
      this.recordGroup = grow(this.recordGroup, new Int32Array(n));
      this.recordStart = grow(this.recordStart, new Int32Array(n));
      this.recordSources = grow(this.recordSources, new Int32Array(n));
    }
    if (sources > this.sources.length) this.sources = grow(this.sources, new Int32Array(Math.max(sources, this.sources.length * 2)));
  }

  /**
   * Fill from the text form. Addresses must be dotted quads and MACs colon (or dash) forms, as the decoder and the
   * querier make them; anything else is a programming error (RangeError naming the text).
   */
  fromRepr(msg: MembershipMessage): this {
    const igmp = msg.igmp;
    this.time = msg.time;
    this.iface = msg.iface;
    this.vlan = msg.vlan;
    this.frame = msg.frame;
    this.tsText = msg.tsText;
    this.checksumOk = igmp.checksumOk !== false;
    this.srcIp = ipv4FromString(msg.srcIp) | 0;
    if (msg.srcMac === null) {
      this.srcMacHi = -1;
      this.srcMacLo = 0;
    } else {
      const mac = parseMac(msg.srcMac);
      if (mac === null) throw new RangeError(`not a MAC address: ${JSON.stringify(msg.srcMac)}`);
      this.srcMacHi = (mac[0]! << 8) | mac[1]!;
      this.srcMacLo = (mac[2]! << 24) | (mac[3]! << 16) | (mac[4]! << 8) | mac[5]!;
    }
    this.group = ipv4FromString(igmp.group) | 0;
    this.querySources = 0;
    this.recordCount = 0;
    this.kind = MessageKind.OTHER;
    if (igmp.type === 'query') {
      const v = igmp.version;
      if (v !== 1 && v !== 2 && v !== 3) return this;
      this.kind = MessageKind.QUERY;
      this.queryVersion = v;
      this.suppress = v === 3 && igmp.s === true;
      this.qrv = v === 3 ? (igmp.qrv ?? 0) : 0;
      this.qqi = v === 3 ? (igmp.qqi ?? (igmp.qqic !== undefined ? decodeExpForm(igmp.qqic) : 0)) : 0;
      const list = v === 3 ? igmp.sources : undefined;
      if (list !== undefined) {
        this.reserve(0, list.length);
        for (let i = 0; i < list.length; i++) this.sources[i] = ipv4FromString(list[i]!) | 0;
        this.querySources = list.length;
      }
    } else if (igmp.type === 'report') {
      if (igmp.version === 3) {
        const records = igmp.records;
        if (records === undefined) return this;
        this.kind = MessageKind.V3_REPORT;
        let total = 0;
        for (const r of records) total += r.sources.length;
        this.reserve(records.length, total);
        let at = 0;
        for (let i = 0; i < records.length; i++) {
          const r = records[i]!;
          this.recordType[i] = r.typeCode;
          this.recordGroup[i] = ipv4FromString(r.group) | 0;
          this.recordStart[i] = at;
          this.recordSources[i] = r.sources.length;
          for (const s of r.sources) this.sources[at++] = ipv4FromString(s) | 0;
        }
        this.recordCount = records.length;
      } else if (igmp.version === 1) {
        this.kind = MessageKind.V1_REPORT;
      } else if (igmp.version === 2) {
        this.kind = MessageKind.V2_REPORT;
      }
    } else if (igmp.type === 'leave') {
      this.kind = MessageKind.V2_LEAVE;
    }
    return this;
  }
}

function grow<T extends Uint8Array | Int32Array>(old: T, into: T): T {
  into.set(old);
  return into;
}

/** The MessageKind of an IGMP type code that is not a query (queries: MessageKind.QUERY by their version). */
export function reportKind(typeCode: number): number {
  switch (typeCode) {
    case IgmpTypeCode.V1MembershipReport:
      return MessageKind.V1_REPORT;
    case IgmpTypeCode.V2MembershipReport:
      return MessageKind.V2_REPORT;
    case IgmpTypeCode.V2LeaveGroup:
      return MessageKind.V2_LEAVE;
    case IgmpTypeCode.V3MembershipReport:
      return MessageKind.V3_REPORT;
    default:
      return MessageKind.OTHER;
  }
}
