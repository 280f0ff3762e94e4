/**
 * Per-group statistics over decoded frames, with no allocation per frame: counters live in typed-array hash
 * tables keyed by (IGMP type/version, group), (v3 record type, group) and (UDP group, port).
 * Counting follows the project's yardstick (shared bench README): VLAN tags skipped, non-first fragments skipped,
 * v3 reports counted once per group record keyed by the record's group, UDP bytes = UDP length - 8.
 */
import { ipv4ToString } from '../wire/addr.js';
import { IgmpTypeCode, RecordTypeCode, type RecordTypeName } from '../wire/igmp.js';
import type { FrameDecoder } from './frame.js';
import { CounterTable } from './counter-table.js';

export interface StatsJson {
  frames: number;
  errors: number;
  igmp: { typeCode: number; type: string; version: number; group: string; count: number }[];
  records: { type: RecordTypeName | 'unknown'; typeCode: number; group: string; count: number }[];
  streams: { group: string; port: number; packets: number; bytes: number; durationS: number; pps: number; bps: number }[];
}

const RECORD_NAMES = Object.fromEntries(Object.entries(RecordTypeCode).map(([k, v]) => [v, k])) as Record<number, RecordTypeName>;

// Counter columns.
const COUNT = 0;
const PACKETS = 0;
const BYTES = 1;
const FIRST_TS = 2;
const LAST_TS = 3;

export class StatsCollector {
  frames = 0;
  errors = 0;
  /** (typeCode << 2 | version, group) -> [count] */
  private readonly igmp = new CounterTable(1, 256);
  /** (recordType, group) -> [count] */
  private readonly records = new CounterTable(1, 256);
  /** (group, port) -> [packets, bytes, first ts, last ts] */
  private readonly streams = new CounterTable(4, 1024);

  /** Count one decoded frame; the timestamp (integers, so nothing is boxed per call) gives stream rates. */
  add(d: FrameDecoder, tsSec: number, tsNsec: number): void {
    this.frames++;
    if (d.error !== null) this.errors++;
    if (d.hasUdp) {
      const dst = d.ip.dstBits;
      if (dst >>> 28 !== 0xe) return;
      const t = this.streams;
      const r = t.row(dst, d.udp.dstPort) * 4;
      const v = t.values;
      const ts = tsSec + tsNsec * 1e-9;
      // Earliest and latest, not first and last: pcapng interleaves interfaces out of time order.
      if (v[r + PACKETS] === 0) {
        v[r + FIRST_TS] = ts;
        v[r + LAST_TS] = ts;
      } else if (ts < v[r + FIRST_TS]!) v[r + FIRST_TS] = ts;
      else if (ts > v[r + LAST_TS]!) v[r + LAST_TS] = ts;
      v[r + PACKETS]!++;
      const len = d.udp.length;
      v[r + BYTES]! += len >= 8 ? len - 8 : 0;
      return;
    }
    if (!d.hasIgmp) return;
    const g = d.igmp;
    const type = g.typeCode;
    if (type === IgmpTypeCode.V3MembershipReport) {
      // A truncated record ends the walk: the records before it are counted (the frame's error says where).
      const rv = g.records;
      for (let ok = g.firstRecord(rv); ok; ok = g.nextRecord(rv)) {
        // row() may grow the table: take the row before reading `values`.
        const group = rv.groupBits;
        const ir = this.igmp.row((type << 2) | 3, group);
        this.igmp.values[ir]!++;
        const rr = this.records.row(rv.recordType, group);
        this.records.values[rr]!++;
      }
      return;
    }
    const version =
      type === IgmpTypeCode.MembershipQuery ? g.queryVersion : type === IgmpTypeCode.V1MembershipReport ? 1 : type === IgmpTypeCode.V2MembershipReport || type === IgmpTypeCode.V2LeaveGroup ? 2 : 0;
    const ir = this.igmp.row((type << 2) | version, g.groupBits);
    this.igmp.values[ir]!++;
  }

  toJson(): StatsJson {
    const rows = (t: CounterTable): number[] => Array.from({ length: t.size }, (_, i) => i);
    const it = this.igmp;
    const igmp = rows(it)
      .sort((a, b) => it.hi(a) - it.hi(b) || it.lo(a) - it.lo(b))
      .map((r) => {
        const typeCode = it.hi(r) >>> 2;
        return { typeCode, type: igmpKind(typeCode), version: it.hi(r) & 3, group: ipv4ToString(it.lo(r)), count: it.get(r, COUNT) };
      });
    const rt = this.records;
    const records = rows(rt)
      .sort((a, b) => rt.lo(a) - rt.lo(b) || rt.hi(a) - rt.hi(b))
      .map((r) => ({ type: RECORD_NAMES[rt.hi(r)] ?? ('unknown' as const), typeCode: rt.hi(r), group: ipv4ToString(rt.lo(r)), count: rt.get(r, COUNT) }));
    const st = this.streams;
    const streams = rows(st)
      .sort((a, b) => st.hi(a) - st.hi(b) || st.lo(a) - st.lo(b))
      .map((r) => {
        const packets = st.get(r, PACKETS);
        const bytes = st.get(r, BYTES);
        const durationS = st.get(r, LAST_TS) - st.get(r, FIRST_TS);
        const rate = durationS > 0 ? 1 / durationS : 0;
        return {
          group: ipv4ToString(st.hi(r)),
          port: st.lo(r),
          packets,
          bytes,
          durationS: round3(durationS),
          pps: round3(packets > 1 ? (packets - 1) * rate : 0),
          bps: Math.round(packets > 1 ? bytes * 8 * rate : 0),
        };
      });
    return { frames: this.frames, errors: this.errors, igmp, records, streams };
  }
}

export function igmpKind(typeCode: number): 'query' | 'report' | 'leave' | 'unknown' {
  switch (typeCode) {
    case IgmpTypeCode.MembershipQuery:
      return 'query';
    case IgmpTypeCode.V1MembershipReport:
    case IgmpTypeCode.V2MembershipReport:
    case IgmpTypeCode.V3MembershipReport:
      return 'report';
    case IgmpTypeCode.V2LeaveGroup:
      return 'leave';
    default:
      return 'unknown';
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
