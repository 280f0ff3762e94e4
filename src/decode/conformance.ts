/**
 * Conformance warnings: the RFC rules that peers (kernels, switches, Wireshark) accept silently. Evaluated from the
 * decoder's views after a successful decode; only the text and JSON outputs call it, so it may build strings.
 * Each rule names its RFC section in the comment above it.
 */
import { ipv4ToString, macToString } from '../wire/addr.js';
import { IgmpTypeCode } from '../wire/igmp.js';
import { macMatchesGroup } from '../multicast/index.js';
import { FrameDecoder, LinkKind } from './frame.js';

const ALL_SYSTEMS = 0xe0000001; // 224.0.0.1
const ALL_ROUTERS = 0xe0000002; // 224.0.0.2
const IGMPV3_ROUTERS = 0xe0000016; // 224.0.0.22
const isMulticast = (a: number): boolean => a >>> 28 === 0xe;
const RECORD_ALLOW = 5;
const RECORD_BLOCK = 6;

export function collectWarnings(d: FrameDecoder, out: string[]): void {
  if (!d.hasIp) return;
  const ip = d.ip;
  const src = ip.src;
  const dst = ip.dst;
  if (!ip.checksumValid()) out.push('bad IPv4 header checksum');
  // RFC 1112 section 4 / RFC 1122 3.2.1.3: a multicast address is never a source.
  if (isMulticast(src)) out.push(`multicast source address ${ipv4ToString(src)}`);
  // RFC 1112 section 6.4: the destination MAC of an IPv4 multicast frame is 01-00-5e + low 23 bits of the group.
  if (d.link === LinkKind.ETHERNET && isMulticast(dst) && !macMatchesGroup(d.buf, d.eth.dstOffset, dst)) {
    out.push(`destination MAC ${macToString(d.buf, d.eth.dstOffset)} is not the 01:00:5e mapping of ${ipv4ToString(dst)}`);
  }
  // A payload cut by the snap length cannot be checked: no checksum verdict on it.
  const whole = !ip.payloadTruncated;
  if (d.hasUdp) {
    if (whole && d.udp.checksumValid(src, dst) === false) out.push('bad UDP checksum');
    return;
  }
  if (!d.hasIgmp) return;
  const g = d.igmp;
  const type = g.typeCode;
  const known =
    type === IgmpTypeCode.MembershipQuery ||
    type === IgmpTypeCode.V1MembershipReport ||
    type === IgmpTypeCode.V2MembershipReport ||
    type === IgmpTypeCode.V2LeaveGroup ||
    type === IgmpTypeCode.V3MembershipReport;
  if (!known) return;
  const version = type === IgmpTypeCode.MembershipQuery ? g.queryVersion : type === IgmpTypeCode.V1MembershipReport ? 1 : type === IgmpTypeCode.V3MembershipReport ? 3 : 2;
  if (whole && !g.checksumValid()) out.push('bad IGMP checksum');
  // RFC 2236 section 2 and RFC 3376 section 4: every IGMP message is sent with IP TTL 1.
  if (ip.ttl !== 1) out.push(`TTL ${ip.ttl}, not 1`);
  // RFC 2236 section 2 and RFC 3376 section 4: v2 and v3 messages carry the Router Alert option (RFC 2113).
  if (version >= 2 && !ip.hasRouterAlert()) out.push('no Router Alert option');
  const group = g.group;
  switch (type) {
    case IgmpTypeCode.MembershipQuery:
      // RFC 3376 section 4.2.13 allows 0.0.0.0 for reports only; a query needs its sender's address for the
      // querier election (section 6.6.2).
      if (src === 0) out.push('query from source 0.0.0.0');
      if (group === 0) {
        // RFC 3376 section 4.1.12: general queries go to all-systems.
        if (dst !== ALL_SYSTEMS) out.push(`general query to ${ipv4ToString(dst)}, not 224.0.0.1`);
        // RFC 3376 section 4.1.9: a general query has no sources.
        if (version === 3 && g.numberOfSources > 0) out.push(`general query with ${g.numberOfSources} sources`);
      } else {
        if (!isMulticast(group)) out.push(`query for non-multicast group ${ipv4ToString(group)}`);
        // RFC 3376 section 4.1.12 and RFC 2236 section 2.1: a group-specific query goes to the group itself.
        else if (dst !== group) out.push(`group-specific query to ${ipv4ToString(dst)}, not its group ${ipv4ToString(group)}`);
      }
      break;
    case IgmpTypeCode.V1MembershipReport:
    case IgmpTypeCode.V2MembershipReport:
      if (src === 0) out.push('report from source 0.0.0.0');
      if (!isMulticast(group)) out.push(`report for non-multicast group ${ipv4ToString(group)}`);
      // RFC 2236 section 3 / RFC 1112 appendix I: a v1/v2 report is sent to the group it reports.
      else if (dst !== group) out.push(`v${version} report to ${ipv4ToString(dst)}, not its group ${ipv4ToString(group)}`);
      break;
    case IgmpTypeCode.V2LeaveGroup:
      if (src === 0) out.push('leave from source 0.0.0.0');
      if (!isMulticast(group)) out.push(`leave for non-multicast group ${ipv4ToString(group)}`);
      // RFC 2236 section 3: a leave is sent to all-routers.
      if (dst !== ALL_ROUTERS) out.push(`leave to ${ipv4ToString(dst)}, not 224.0.0.2`);
      break;
    case IgmpTypeCode.V3MembershipReport: {
      // RFC 3376 section 4.2.14: v3 reports go to 224.0.0.22.
      if (dst !== IGMPV3_ROUTERS) out.push(`v3 report to ${ipv4ToString(dst)}, not 224.0.0.22`);
      const rv = g.records;
      let i = 0;
      for (let ok = g.firstRecord(rv); ok; ok = g.nextRecord(rv)) {
        i++;
        const rt = rv.recordType;
        if (rt < 1 || rt > 6) out.push(`unknown group record type ${rt} in record ${i}`);
        // RFC 3376 section 6.4.2 / 5.1: ALLOW and BLOCK only ever carry the sources that changed; empty ones are never sent.
        else if ((rt === RECORD_ALLOW || rt === RECORD_BLOCK) && rv.numberOfSources === 0) {
          out.push(`${rt === RECORD_ALLOW ? 'ALLOW' : 'BLOCK'} record ${i} for ${ipv4ToString(rv.group)} without sources`);
        }
        if (!isMulticast(rv.group)) out.push(`record ${i} for non-multicast group ${ipv4ToString(rv.group)}`);
      }
      break;
    }
  }
}
