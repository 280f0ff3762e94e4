/**
 * IGMP messages as complete Ethernet frames, RFC defaults filled in (defaults.ts), every one overridable.
 *
 * "Absent means compute or default; given means verbatim" (scapy's rule): a spec lists only what the caller wants
 * different, so `{ igmp: { kind: 'leave', group: '239.1.1.1' } }` is a well-formed v2 Leave to 224.0.0.2 with TTL 1,
 * TOS 0xc0, Router Alert and right checksums, while `checksum: 0x1234` or `ttl: 64` go out as given, wrong on
 * purpose. Semantic combinations the protocol has no encoding for (sources on a v2 query, a group on a v1 query)
 * are refused with a UsageError (ERR_CRAFT_SPEC) rather than silently dropped.
 *
 * Layers are composed by build.ts, inner first; IGMPv3 reports bigger than the MTU are split per RFC 3376 section
 * 4.2.16 (split.ts).
 */
import { UsageError } from '../errors.js';
import { parseIpv4, parseMac } from '../wire/addr.js';
import { encodeMaxRespTime, encodeQqi, igmpLength, IgmpTypeCode, type GroupRecordRepr, type IgmpRepr } from '../wire/igmp.js';
import { IpProtocol, ipv4HeaderLength, type Ipv4Option, type Ipv4Repr } from '../wire/ipv4.js';
import type { VlanTag } from '../wire/ethernet.js';
import { buildFrame, type FrameSpec } from './build.js';
import { DEFAULT_MTU, IGMP_IP_DEFAULTS, IgmpAddress, MIN_MTU, QUERY_DEFAULTS, UNNAMED_SOURCE, VLAN_TPIDS } from './defaults.js';
import { splitReport, type DroppedSources } from './split.js';

export const CRAFT_ERROR = 'ERR_CRAFT_SPEC';

/** The messages `mcast craft` makes. */
export const CRAFT_KINDS = ['query', 'v1-report', 'v2-report', 'leave', 'v3-report'] as const;
export type CraftKind = (typeof CRAFT_KINDS)[number];

/** IGMP type code of each kind (RFC 1112 appendix I, RFC 2236 section 2.1, RFC 3376 section 4). */
export const KIND_TYPE_CODE: Readonly<Record<CraftKind, number>> = {
  query: IgmpTypeCode.MembershipQuery,
  'v1-report': IgmpTypeCode.V1MembershipReport,
  'v2-report': IgmpTypeCode.V2MembershipReport,
  leave: IgmpTypeCode.V2LeaveGroup,
  'v3-report': IgmpTypeCode.V3MembershipReport,
};

export interface IgmpSpec {
  kind: CraftKind;
  /** v1/v2 report and leave: the group (required). Query: the group of a group(-and-source)-specific query; absent or 0.0.0.0: general. */
  group?: string;
  /** Query version (default 3). Reports and leaves have theirs in the kind. */
  version?: 1 | 2 | 3;
  /** v3 query: the sources of a group-and-source-specific query. */
  sources?: string[];
  /** Query Max Resp Time in seconds (default 10 general, 1 specific); encoded per version (v3: exponent form from 12.8 s). */
  maxResp?: number;
  /** Byte 1 as given (Max Resp Code; the unused/reserved byte of other messages); wins over maxResp. */
  maxRespCode?: number;
  /** v3 query: Suppress Router-Side Processing (default false). */
  s?: boolean;
  /** v3 query: Querier's Robustness Variable 0-7 (default 2). */
  qrv?: number;
  /** v3 query: Querier's Query Interval in seconds (default 125), encoded as QQIC. */
  qqi?: number;
  /** v3 query: QQIC as given; wins over qqi. */
  qqic?: number;
  /** v3 report: the group records. */
  records?: GroupRecordRepr[];
  /** IGMP checksum as given (absent: computed). */
  checksum?: number;
}

export interface IpSpec {
  /** Default: the sending interface's address, else 0.0.0.0. */
  src?: string;
  /** Default by message (defaultDestination). */
  dst?: string;
  ttl?: number;
  tos?: number;
  /** Default true. */
  routerAlert?: boolean;
  /** Header checksum as given (absent: computed). */
  checksum?: number;
  identification?: number;
}

export interface VlanSpec {
  vid: number;
  pcp?: number;
  dei?: boolean;
  /** Default by position: 0x8100 innermost, 0x88a8 outer (defaults.ts VLAN_TPIDS). */
  tpid?: number;
}

export interface EthSpec {
  /** Default: the sending interface's MAC, else 00:00:00:00:00:00. */
  src?: string;
  /** Default: the 01-00-5e mapping of the destination IP (RFC 1112 section 6.4). */
  dst?: string;
  /** Outer first. */
  vlans?: VlanSpec[];
}

export interface CraftSpec {
  igmp: IgmpSpec;
  ip?: IpSpec;
  eth?: EthSpec;
  /** The link's MTU: v3 reports are split to fit it (default 1500). */
  mtu?: number;
  /** Split v3 reports bigger than the MTU (default true); false sends one report whatever its size. */
  split?: boolean;
}

export interface CraftedFrame {
  /** The Ethernet frame, padded to 60 bytes. */
  bytes: Uint8Array;
  igmp: IgmpRepr;
  ip: Ipv4Repr;
  /** Bytes of the IP datagram: what the MTU limits. */
  ipLength: number;
  /** The frame's VLAN tags, outer first (what a sending interface allows beyond the MTU depends on them). */
  vlans: VlanTag[];
}

export interface CraftResult {
  frames: CraftedFrame[];
  /** Sources of MODE_IS_EXCLUDE / CHANGE_TO_EXCLUDE_MODE records that did not fit the MTU (RFC 3376 section 4.2.16). */
  dropped: DroppedSources[];
}

function refuse(what: string): never {
  throw new UsageError(what, CRAFT_ERROR);
}

function checkIpv4(text: string, what: string): string {
  if (parseIpv4(text) === null) refuse(`${what}: not an IPv4 address: ${JSON.stringify(text)}`);
  return text;
}

function checkInt(v: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < min || v > max) refuse(`${what} must be an integer ${min}-${max}, got ${v}`);
  return v;
}

/** RangeErrors of the codecs (a time out of range, an address that is not one) become UsageErrors. */
function encoded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError) refuse(e.message);
    throw e;
  }
}

function isGeneral(group: string | undefined): boolean {
  return group === undefined || parseIpv4(group) === 0;
}

/**
 * The destination address RFC rules give a message: v1/v2 reports to the group (RFC 1112 appendix I, RFC 2236
 * section 3), leaves to All Routers (RFC 2236 section 3), v3 reports to 224.0.0.22 (RFC 3376 section 4.2.14),
 * general queries to All Systems and specific queries to the group (RFC 2236 section 3, RFC 3376 section 4.1.12).
 */
export function defaultDestination(kind: CraftKind, group?: string): string {
  switch (kind) {
    case 'v1-report':
    case 'v2-report':
      return group ?? refuse(`a ${kind} needs a group`);
    case 'leave':
      return IgmpAddress.allRouters;
    case 'v3-report':
      return IgmpAddress.allIgmpv3Routers;
    case 'query':
      return isGeneral(group) ? IgmpAddress.allSystems : group!;
  }
}

/** The one IGMP message a spec describes (a v3 report with all its records, before any MTU split). */
export function igmpMessage(spec: IgmpSpec): IgmpRepr {
  const typeCode = KIND_TYPE_CODE[spec.kind];
  if (typeCode === undefined) refuse(`unknown message kind ${JSON.stringify(spec.kind)} (${CRAFT_KINDS.join(', ')})`);
  const isQuery = spec.kind === 'query';
  const v3Query = isQuery && (spec.version ?? QUERY_DEFAULTS.version) === 3;
  if (!isQuery) {
    if (spec.version !== undefined) refuse(`only queries take a version; a ${spec.kind} is the version its name says`);
    if (spec.maxResp !== undefined) refuse(`only queries carry a Max Resp Time (use maxRespCode to set byte 1 of a ${spec.kind})`);
  }
  if (!v3Query) {
    for (const [k, v] of [['sources', spec.sources], ['s', spec.s], ['qrv', spec.qrv], ['qqi', spec.qqi], ['qqic', spec.qqic]] as const) {
      if (v !== undefined) refuse(`${k} is a field of IGMPv3 queries only (RFC 3376 section 4.1), not of a ${isQuery ? `v${spec.version} query` : spec.kind}`);
    }
  }
  if (spec.kind !== 'v3-report' && spec.records !== undefined) refuse(`group records belong to v3 reports, not to a ${spec.kind}`);
  if (spec.maxRespCode !== undefined) checkInt(spec.maxRespCode, 0, 0xff, 'maxRespCode');
  if (spec.checksum !== undefined) checkInt(spec.checksum, 0, 0xffff, 'checksum');

  const base = { typeCode, maxRespCode: spec.maxRespCode ?? 0, group: '0.0.0.0' } as const;
  const withChecksum = (r: IgmpRepr): IgmpRepr => (spec.checksum === undefined ? r : { ...r, checksum: spec.checksum });

  switch (spec.kind) {
    case 'v1-report':
    case 'v2-report':
    case 'leave': {
      if (spec.group === undefined) refuse(`a ${spec.kind} needs a group`);
      checkIpv4(spec.group, 'group');
      const version = spec.kind === 'v1-report' ? 1 : 2;
      return withChecksum({ ...base, type: spec.kind === 'leave' ? 'leave' : 'report', version, group: spec.group });
    }
    case 'v3-report': {
      if (spec.group !== undefined) refuse('a v3 report has no group field: give group records');
      return withChecksum({ ...base, type: 'report', version: 3, records: spec.records ?? [] });
    }
    case 'query': {
      const version = spec.version ?? QUERY_DEFAULTS.version;
      if (version !== 1 && version !== 2 && version !== 3) refuse(`query version must be 1, 2 or 3, got ${String(version)}`);
      const group = spec.group === undefined ? '0.0.0.0' : checkIpv4(spec.group, 'group');
      const general = isGeneral(group);
      const seconds = spec.maxResp ?? (general ? QUERY_DEFAULTS.maxRespGeneral : QUERY_DEFAULTS.maxRespSpecific);
      if (version === 1) {
        // RFC 1112 appendix I: a v1 query is general, its group field zero, and it has no Max Resp Time.
        if (!general) refuse('IGMPv1 queries are general only (RFC 1112): no group');
        if (spec.maxResp !== undefined && spec.maxResp !== 0) refuse('IGMPv1 queries carry no Max Resp Time (hosts wait up to 10 s)');
        return withChecksum({ ...base, type: 'query', version: 1, group });
      }
      const maxRespCode = spec.maxRespCode ?? encoded(() => encodeMaxRespTime(seconds, version));
      if (version === 2) return withChecksum({ ...base, type: 'query', version: 2, maxRespCode, group });
      const sources = (spec.sources ?? []).map((s) => checkIpv4(s, 'source'));
      if (general && sources.length > 0) refuse('a query with sources needs a group (a group-and-source-specific query, RFC 3376 section 4.1.9)');
      const qrv = checkInt(spec.qrv ?? QUERY_DEFAULTS.qrv, 0, 7, 'qrv');
      const qqic = spec.qqic !== undefined ? checkInt(spec.qqic, 0, 0xff, 'qqic') : encoded(() => encodeQqi(spec.qqi ?? QUERY_DEFAULTS.qqi));
      return withChecksum({ ...base, type: 'query', version: 3, maxRespCode, group, s: spec.s ?? QUERY_DEFAULTS.s, qrv, qqic, sources });
    }
  }
}

/** The IPv4 header of an IGMP message: IGMP_IP_DEFAULTS unless overridden. */
export function igmpIpHeader(kind: CraftKind, group: string | undefined, ip: IpSpec = {}): Ipv4Repr {
  const options: Ipv4Option[] = ip.routerAlert === false ? [] : [{ kind: 'routerAlert', value: IGMP_IP_DEFAULTS.routerAlertValue }];
  const repr: Ipv4Repr = {
    tos: checkInt(ip.tos ?? IGMP_IP_DEFAULTS.tos, 0, 0xff, 'tos'),
    identification: checkInt(ip.identification ?? IGMP_IP_DEFAULTS.identification, 0, 0xffff, 'identification'),
    ttl: checkInt(ip.ttl ?? IGMP_IP_DEFAULTS.ttl, 0, 0xff, 'ttl'),
    protocol: IpProtocol.IGMP,
    src: checkIpv4(ip.src ?? UNNAMED_SOURCE.ip, 'source IP'),
    dst: checkIpv4(ip.dst ?? defaultDestination(kind, group), 'destination IP'),
    options,
  };
  if (ip.checksum !== undefined) repr.checksum = checkInt(ip.checksum, 0, 0xffff, 'IP checksum');
  return repr;
}

/** VLAN tags with their TPIDs filled in by position (outer S-tags, inner C-tag). */
export function vlanTags(vlans: readonly VlanSpec[] = []): VlanTag[] {
  return vlans.map((v, i) => ({
    tpid: v.tpid ?? (i === vlans.length - 1 ? VLAN_TPIDS.customer : VLAN_TPIDS.service),
    pcp: checkInt(v.pcp ?? 0, 0, 7, 'VLAN priority'),
    dei: v.dei ?? false,
    vid: checkInt(v.vid, 0, 4095, 'VLAN ID'),
  }));
}

function checkMac(text: string | undefined, what: string): string | undefined {
  if (text !== undefined && parseMac(text) === null) refuse(`${what}: not a MAC address: ${JSON.stringify(text)}`);
  return text;
}

/** The frames a spec describes: one, or several for a v3 report split to fit the MTU. */
export function craft(spec: CraftSpec): CraftResult {
  const message = igmpMessage(spec.igmp);
  const ip = igmpIpHeader(spec.igmp.kind, spec.igmp.group, spec.ip);
  const eth = {
    src: checkMac(spec.eth?.src, 'source MAC') ?? UNNAMED_SOURCE.mac,
    dst: checkMac(spec.eth?.dst, 'destination MAC'),
    vlans: vlanTags(spec.eth?.vlans),
  };
  const mtu = checkInt(spec.mtu ?? DEFAULT_MTU, MIN_MTU, 0xffff, 'MTU');

  let messages: IgmpRepr[] = [message];
  let dropped: DroppedSources[] = [];
  if (spec.igmp.kind === 'v3-report' && spec.split !== false) {
    const ipHeader = ipv4HeaderLength(ip);
    if (ipHeader + igmpLength(message) > mtu) {
      const split = encoded(() => splitReport(message.records ?? [], mtu - ipHeader));
      messages = split.reports.map((records) => ({ ...message, records }));
      dropped = split.dropped;
    }
  }
  const frames = messages.map((igmp): CraftedFrame => {
    const frameSpec: FrameSpec = { eth, ip, igmp };
    return { bytes: encoded(() => buildFrame(frameSpec)), igmp, ip, ipLength: ipv4HeaderLength(ip) + igmpLength(igmp), vlans: eth.vlans };
  });
  return { frames, dropped };
}
