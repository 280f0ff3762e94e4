/**
 * Frame composition, inner layer first (gopacket's serialization order): the payload is emitted, then the IPv4
 * header that needs its length, then the link header. Every codec's "absent means compute" rule applies, so a
 * spec may leave lengths and checksums out or set them wrong on purpose. No RFC defaults here (see defaults.ts).
 */
import { emitEthernet, ethernetHeaderLength, type EthernetRepr } from '../wire/ethernet.js';
import { emitIpv4, ipv4HeaderLength, type Ipv4Repr } from '../wire/ipv4.js';
import { emitUdp, udpLength, type UdpRepr } from '../wire/udp.js';
import { emitIgmp, igmpLength, type IgmpRepr } from '../wire/igmp.js';
import { ipv4FromString } from '../wire/addr.js';
import { groupToMac } from '../multicast/index.js';

/** Ethernet's minimum frame without FCS: shorter frames are padded with zeros, as a NIC would. */
export const ETHERNET_MIN_FRAME = 60;

export interface FrameSpec {
  /** Absent: a raw IPv4 packet (link type 101/228). `dst` absent: the 01-00-5e mapping of a multicast IP dst. */
  eth?: Omit<EthernetRepr, 'dst' | 'etherType'> & { dst?: string; etherType?: number };
  ip: Ipv4Repr;
  igmp?: IgmpRepr;
  udp?: UdpRepr & { payload: Uint8Array };
  /** Raw bytes after the IPv4 header when neither igmp nor udp is given. */
  payload?: Uint8Array;
  /** Pad Ethernet frames to 60 bytes (default true). */
  pad?: boolean;
}

export function buildFrame(spec: FrameSpec): Uint8Array {
  let l4Len: number;
  if (spec.igmp !== undefined) l4Len = igmpLength(spec.igmp);
  else if (spec.udp !== undefined) l4Len = udpLength(spec.udp.payload.length);
  else l4Len = spec.payload?.length ?? 0;
  const ipLen = ipv4HeaderLength(spec.ip);
  let eth: EthernetRepr | null = null;
  if (spec.eth !== undefined) {
    const dstIp = ipv4FromString(spec.ip.dst);
    eth = {
      ...spec.eth,
      dst: spec.eth.dst ?? (dstIp >>> 28 === 0xe ? groupToMac(dstIp) : 'ff:ff:ff:ff:ff:ff'),
      etherType: spec.eth.etherType ?? 0x0800,
    };
  }
  const l2Len = eth === null ? 0 : ethernetHeaderLength(eth);
  const len = l2Len + ipLen + l4Len;
  const total = eth !== null && spec.pad !== false ? Math.max(len, ETHERNET_MIN_FRAME) : len;
  const buf = new Uint8Array(total);
  const l4 = l2Len + ipLen;
  if (spec.igmp !== undefined) emitIgmp(spec.igmp, buf, l4);
  else if (spec.udp !== undefined) {
    const { payload, ...udp } = spec.udp;
    emitUdp(udp, payload, ipv4FromString(spec.ip.src), ipv4FromString(spec.ip.dst), buf, l4);
  } else if (spec.payload !== undefined) buf.set(spec.payload, l4);
  emitIpv4(spec.ip, l4Len, buf, l2Len);
  if (eth !== null) emitEthernet(eth, buf, 0);
  return buf;
}
