/** Builders for the decoded messages the membership table consumes (reprs as src/wire/igmp.ts parses them). */
import type { MembershipEvent, MembershipMessage } from '../../src/membership/types.js';
import { IgmpTypeCode, RecordTypeCode, type GroupRecordRepr, type IgmpRepr, type RecordTypeName } from '../../src/wire/igmp.js';

export const G = '239.1.1.1';
export const QUERIER = '10.0.0.1';

export function rec(type: RecordTypeName, sources: string[] = [], group = G): GroupRecordRepr {
  return { type, typeCode: RecordTypeCode[type], group, sources, auxLen: 0 };
}

export function v3Report(...records: GroupRecordRepr[]): IgmpRepr {
  return { type: 'report', typeCode: IgmpTypeCode.V3MembershipReport, version: 3, maxRespCode: 0, group: '0.0.0.0', records, checksumOk: true };
}

export function v2Report(group = G): IgmpRepr {
  return { type: 'report', typeCode: IgmpTypeCode.V2MembershipReport, version: 2, maxRespCode: 0, group, checksumOk: true };
}

export function v1Report(group = G): IgmpRepr {
  return { type: 'report', typeCode: IgmpTypeCode.V1MembershipReport, version: 1, maxRespCode: 0, group, checksumOk: true };
}

export function v2Leave(group = G): IgmpRepr {
  return { type: 'leave', typeCode: IgmpTypeCode.V2LeaveGroup, version: 2, maxRespCode: 0, group, checksumOk: true };
}

export interface QueryOpts {
  version?: 1 | 2 | 3;
  group?: string;
  sources?: string[];
  s?: boolean;
  qrv?: number;
  qqic?: number;
  maxRespCode?: number;
}

/** A query as parse gives it: v3 carries s/qrv/qqic/qqi/sources, v1/v2 only the 8-byte fields. */
export function query(o: QueryOpts = {}): IgmpRepr {
  const version = o.version ?? 3;
  const group = o.group ?? '0.0.0.0';
  const maxRespCode = o.maxRespCode ?? (version === 1 ? 0 : 100);
  const base: IgmpRepr = { type: 'query', typeCode: IgmpTypeCode.MembershipQuery, version, maxRespCode, group, checksumOk: true };
  if (version !== 3) return { ...base, maxRespTime: version === 2 ? maxRespCode / 10 : 0 };
  const qqic = o.qqic ?? 125;
  return { ...base, maxRespTime: maxRespCode / 10, s: o.s ?? false, qrv: o.qrv ?? 2, qqic, qqi: qqic, sources: o.sources ?? [] };
}

export interface MsgOpts {
  src?: string;
  mac?: string | null;
  iface?: string | null;
  vlan?: number | null;
  frame?: number | null;
  dst?: string;
  tsText?: string;
}

let frameCounter = 0;

export function msg(time: number, igmp: IgmpRepr, o: MsgOpts = {}): MembershipMessage {
  const m: MembershipMessage = {
    time,
    iface: o.iface === undefined ? null : o.iface,
    vlan: o.vlan === undefined ? null : o.vlan,
    srcIp: o.src ?? '10.0.0.2',
    srcMac: o.mac === undefined ? '02:00:00:00:00:02' : o.mac,
    dstIp: o.dst ?? (igmp.type === 'report' && igmp.version === 3 ? '224.0.0.22' : igmp.type === 'leave' ? '224.0.0.2' : igmp.group),
    igmp,
    frame: o.frame === undefined ? ++frameCounter : o.frame,
  };
  if (o.tsText !== undefined) m.tsText = o.tsText;
  return m;
}

export function kinds(events: readonly MembershipEvent[]): string[] {
  return events.map((e) => (e.kind === 'warning' ? `warning:${e.code}` : e.kind));
}

/** The query-needed actions among events: null for Q(G), the sorted source list for Q(G,S). */
export function queriesOf(events: readonly MembershipEvent[]): (string[] | null)[] {
  const out: (string[] | null)[] = [];
  for (const e of events) if (e.kind === 'query-needed') out.push(e.sources === null ? null : [...e.sources].sort());
  return out;
}
