/**
 * The edge where a decoded frame becomes a plain object: the JSON-lines contract (README, "JSON output"),
 * which the text formatter prints too. Allocation happens here on purpose; the statistics path never calls it.
 */
import type { WireError } from '../errors.js';
import { ipv4ToString, macToString } from '../wire/addr.js';
import { parseIgmp, type IgmpRepr, type GroupRecordRepr } from '../wire/igmp.js';
import { collectWarnings } from './conformance.js';
import { FrameDecoder, LinkKind } from './frame.js';

export interface EthJson {
  src: string;
  dst: string;
  type: number;
  vlan?: number[];
}
export interface SllJson {
  src: string | null;
  type: number;
  pktType: number;
  ifindex?: number;
  vlan?: number[];
}
export interface IpJson {
  src: string;
  dst: string;
  ttl: number;
  proto: number;
  hlen: number;
  totlen: number;
  id: number;
  df: boolean;
  mf: boolean;
  fragOffset: number;
  tos: number;
  routerAlert: boolean;
  checksumOk: boolean;
}
export interface UdpJson {
  srcPort: number;
  dstPort: number;
  len: number;
  checksumOk: boolean | null;
}
export interface FrameJson {
  n: number;
  ts: string;
  len: number;
  caplen: number;
  iface?: string;
  linkType?: number;
  eth?: EthJson;
  sll?: SllJson;
  ip?: IpJson;
  udp?: UdpJson;
  igmp?: IgmpJson;
  warnings?: string[];
  error?: string;
}

/** The IGMP repr as JSON shows it: raw byte fields (aux data, trailing bytes) as hex text. */
export type IgmpJson = Omit<IgmpRepr, 'extra' | 'records'> & {
  extra?: string;
  records?: (Omit<GroupRecordRepr, 'auxData'> & { auxData?: string })[];
};

function igmpJson(r: IgmpRepr): IgmpJson {
  if (r.extra === undefined && (r.records === undefined || r.records.every((x) => x.auxData === undefined))) return r as IgmpJson;
  const { extra, records, ...rest } = r;
  const out: IgmpJson = rest;
  if (records !== undefined) {
    out.records = records.map(({ auxData, ...rec }) => (auxData !== undefined && auxData.length > 0 ? { ...rec, auxData: hex(auxData) } : rec));
  }
  if (extra !== undefined && extra.length > 0) out.extra = hex(extra);
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export interface FrameMeta {
  n: number;
  ts: string;
  len: number;
  iface: string | null;
}

export function buildFrameJson(d: FrameDecoder, meta: FrameMeta): FrameJson {
  const out: FrameJson = { n: meta.n, ts: meta.ts, len: meta.len, caplen: d.caplen };
  if (meta.iface !== null) out.iface = meta.iface;
  let error: WireError | null = d.error;
  const buf = d.buf;
  if (d.unsupportedLink) out.linkType = d.linkType;
  if (d.link === LinkKind.ETHERNET) {
    const e = d.eth;
    const eth: EthJson = { src: macToString(buf, e.srcOffset), dst: macToString(buf, e.dstOffset), type: e.etherType };
    if (e.vlanCount > 0) eth.vlan = vlans(d);
    out.eth = eth;
  } else if (d.link === LinkKind.SLL || d.link === LinkKind.SLL2) {
    const v = d.link === LinkKind.SLL ? d.sll : d.sll2;
    const sll: SllJson = {
      src: v.addressLength === 6 ? macToString(buf, v.addrOffset) : null,
      type: d.etherType,
      pktType: v.packetType,
    };
    if (d.link === LinkKind.SLL2) sll.ifindex = d.sll2.ifindex;
    if (d.sllVlanCount > 0) sll.vlan = vlans(d);
    out.sll = sll;
  }
  if (d.hasIp) {
    const ip = d.ip;
    out.ip = {
      src: ipv4ToString(ip.src),
      dst: ipv4ToString(ip.dst),
      ttl: ip.ttl,
      proto: ip.protocol,
      hlen: ip.headerLength,
      totlen: ip.totalLength,
      id: ip.identification,
      df: ip.dontFragment,
      mf: ip.moreFragments,
      fragOffset: ip.fragmentOffset,
      tos: ip.tos,
      routerAlert: ip.hasRouterAlert(),
      checksumOk: ip.checksumValid(),
    };
  }
  if (d.hasUdp) {
    const u = d.udp;
    out.udp = { srcPort: u.srcPort, dstPort: u.dstPort, len: u.length, checksumOk: u.checksumValid(d.ip.src, d.ip.dst) };
  }
  if (d.hasIgmp) {
    const r = parseIgmp(d.igmp);
    out.igmp = igmpJson(r.repr);
    if (r.error !== null && error === null) {
      r.error.rebase(d.ip.payloadOffset - d.frameOffset);
      error = r.error;
    }
  }
  if (error === null || d.hasIp) {
    const warnings: string[] = [];
    collectWarnings(d, warnings);
    if (warnings.length > 0) out.warnings = warnings;
  }
  if (error !== null) out.error = error.message;
  return out;
}

function vlans(d: FrameDecoder): number[] {
  const n = d.vlanCount;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = d.vlanId(i);
  return out;
}
