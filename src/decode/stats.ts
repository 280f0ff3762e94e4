/**
 * Per-group statistics over decoded frames, with no allocation per frame: counters live in objects created once
 * per key (IGMP type/version/group, v3 record type/group, UDP group/port), keyed by numbers in Maps.
 * Counting follows the project's yardstick (shared bench README): VLAN tags skipped, non-first fragments skipped,
 * v3 reports counted once per group record keyed by the record's group, UDP bytes = UDP length - 8.
 */
import { ipv4ToString } from '../wire/addr.js';
import { IgmpTypeCode, RecordTypeCode, type RecordTypeName } from '../wire/igmp.js';
import type { FrameDecoder } from './frame.js';

interface IgmpCounter {
  typeCode: number;
  version: number;
  group: number;
  count: number;
}
interface RecordCounter {
  recordType: number;
  group: number;
  count: number;
}
interface StreamCounter {
  group: number;
  port: number;
  packets: number;
  bytes: number;
  firstTs: number;
  lastTs: number;
}

export interface StatsJson {
  frames: number;
  errors: number;
  igmp: { typeCode: number; type: string; version: number; group: string; count: number }[];
  records: { type: RecordTypeName | 'unknown'; typeCode: number; group: string; count: number }[];
  streams: { group: string; port: number; packets: number; bytes: number; durationS: number; pps: number; bps: number }[];
}

const RECORD_NAMES = Object.fromEntries(Object.entries(RecordTypeCode).map(([k, v]) => [v, k])) as Record<number, RecordTypeName>;
const TWO32 = 0x100000000;
const isMulticast = (a: number): boolean => a >>> 28 === 0xe;

export class StatsCollector {
  frames = 0;
  errors = 0;
  private readonly igmp = new Map<number, IgmpCounter>();
  private readonly records = new Map<number, RecordCounter>();
  private readonly streams = new Map<number, StreamCounter>();

  /** Count one decoded frame. `ts` is seconds (float) for stream rates. */
  add(d: FrameDecoder, ts: number): void {
    this.frames++;
    if (d.error !== null) this.errors++;
    if (d.hasUdp) {
      const dst = d.ip.dst;
      if (!isMulticast(dst)) return;
      const port = d.udp.dstPort;
      const key = dst * 0x10000 + port;
      let s = this.streams.get(key);
      if (s === undefined) {
        s = { group: dst, port, packets: 0, bytes: 0, firstTs: ts, lastTs: ts };
        this.streams.set(key, s);
      }
      s.packets++;
      const len = d.udp.length;
      s.bytes += len >= 8 ? len - 8 : 0;
      s.lastTs = ts;
      return;
    }
    if (!d.hasIgmp) return;
    const g = d.igmp;
    const type = g.typeCode;
    if (type === IgmpTypeCode.V3MembershipReport) {
      const rv = g.records;
      // A truncated record ends the walk: the records before it are counted (the frame's error says where).
      try {
        for (let ok = g.firstRecord(rv); ok; ok = g.nextRecord(rv)) {
          this.countIgmp(type, 3, rv.group);
          const rkey = rv.recordType * TWO32 + rv.group;
          let r = this.records.get(rkey);
          if (r === undefined) {
            r = { recordType: rv.recordType, group: rv.group, count: 0 };
            this.records.set(rkey, r);
          }
          r.count++;
        }
      } catch {
        /* counted up to the fault */
      }
      return;
    }
    const version =
      type === IgmpTypeCode.MembershipQuery ? g.queryVersion : type === IgmpTypeCode.V1MembershipReport ? 1 : type === IgmpTypeCode.V2MembershipReport || type === IgmpTypeCode.V2LeaveGroup ? 2 : 0;
    this.countIgmp(type, version, g.group);
  }

  private countIgmp(type: number, version: number, group: number): void {
    const key = (type * 4 + version) * TWO32 + group;
    let c = this.igmp.get(key);
    if (c === undefined) {
      c = { typeCode: type, version, group, count: 0 };
      this.igmp.set(key, c);
    }
    c.count++;
  }

  toJson(): StatsJson {
    const igmp = [...this.igmp.values()]
      .sort((a, b) => a.typeCode - b.typeCode || a.version - b.version || a.group - b.group)
      .map((c) => ({ typeCode: c.typeCode, type: igmpKind(c.typeCode), version: c.version, group: ipv4ToString(c.group), count: c.count }));
    const records = [...this.records.values()]
      .sort((a, b) => a.group - b.group || a.recordType - b.recordType)
      .map((r) => ({ type: RECORD_NAMES[r.recordType] ?? ('unknown' as const), typeCode: r.recordType, group: ipv4ToString(r.group), count: r.count }));
    const streams = [...this.streams.values()]
      .sort((a, b) => a.group - b.group || a.port - b.port)
      .map((s) => {
        const durationS = s.lastTs - s.firstTs;
        const rate = durationS > 0 ? 1 / durationS : 0;
        return {
          group: ipv4ToString(s.group),
          port: s.port,
          packets: s.packets,
          bytes: s.bytes,
          durationS: round3(durationS),
          pps: round3(s.packets > 1 ? (s.packets - 1) * rate : 0),
          bps: Math.round(s.packets > 1 ? s.bytes * 8 * rate : 0),
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
