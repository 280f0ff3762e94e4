/**
 * One line per frame, tcpdump-like but complete: time, interface, VLANs, source > destination, IGMP version and
 * message, group, records with mode and sources, decoded times, then warnings and the error if any.
 *   2026-11-25 06:01:02.123456789 h0 10.0.0.2 > 224.0.0.22: IGMPv3 report, 2 records: TO_EX 239.1.1.1 {}; ALLOW 232.1.1.1 {10.0.0.9} [! no Router Alert option]
 */
import type { FrameJson, IgmpJson } from '../decode/record.js';

/** RFC 3376 section 6.4's short record names. */
const RECORD_SHORT: Record<string, string> = {
  MODE_IS_INCLUDE: 'IS_IN',
  MODE_IS_EXCLUDE: 'IS_EX',
  CHANGE_TO_INCLUDE_MODE: 'TO_IN',
  CHANGE_TO_EXCLUDE_MODE: 'TO_EX',
  ALLOW_NEW_SOURCES: 'ALLOW',
  BLOCK_OLD_SOURCES: 'BLOCK',
};

/** Other protocols that travel in IGMP messages (IANA IGMP type numbers). */
const UNKNOWN_IGMP_NAMES: Record<number, string> = {
  0x13: 'DVMRP',
  0x14: 'PIMv1',
  0x15: 'Cisco trace',
  0x1e: 'mtrace response',
  0x1f: 'mtrace',
  0x30: 'MRD advertisement',
  0x31: 'MRD solicitation',
  0x32: 'MRD termination',
};

export function formatTs(iso: string): string {
  // ISO-8601 from the reader, shown with a space for readability; precision untouched.
  return iso.replace('T', ' ').replace(/Z$/, '');
}

export function formatFrameLine(f: FrameJson): string {
  let s = formatTs(f.ts);
  if (f.iface !== undefined) s += ` ${f.iface}`;
  const vlan = f.eth?.vlan ?? f.sll?.vlan;
  if (vlan !== undefined) s += ` vlan ${vlan.join('.')}`;
  if (f.ip !== undefined) {
    const ip = f.ip;
    if (f.udp !== undefined) s += ` ${ip.src}.${f.udp.srcPort} > ${ip.dst}.${f.udp.dstPort}:`;
    else s += ` ${ip.src} > ${ip.dst}:`;
    if (f.igmp !== undefined) s += ` ${describeIgmp(f.igmp)}`;
    else if (f.udp !== undefined) s += ` UDP, length ${Math.max(0, f.udp.len - 8)}`;
    else if (ip.fragOffset !== 0) s += ` IPv4 fragment proto ${ip.proto}, offset ${ip.fragOffset}, length ${ip.totlen - ip.hlen}`;
    else s += ` IPv4 proto ${ip.proto}, length ${ip.totlen - ip.hlen}`;
  } else if (f.eth !== undefined) {
    s += ` ${f.eth.src} > ${f.eth.dst}: ethertype 0x${f.eth.type.toString(16).padStart(4, '0')}, length ${f.len}`;
  } else if (f.sll !== undefined) {
    s += ` ${f.sll.src ?? '-'}: ethertype 0x${f.sll.type.toString(16).padStart(4, '0')}, length ${f.len}`;
  } else if (f.linkType !== undefined) {
    s += ` link type ${f.linkType} (not decoded), length ${f.len}`;
  } else {
    s += ` length ${f.len}`;
  }
  if (f.warnings !== undefined) s += ` [! ${f.warnings.join('; ')}]`;
  if (f.error !== undefined) s += ` [error: ${f.error}]`;
  return s;
}

export function describeIgmp(g: IgmpJson): string {
  if (g.type === 'unknown') {
    const name = UNKNOWN_IGMP_NAMES[g.typeCode];
    return `IGMP type 0x${g.typeCode.toString(16).padStart(2, '0')}${name ? ` (${name})` : ''}`;
  }
  // A 9-11 byte query has no version (RFC 3376 section 7.1): the error says so.
  const v = g.version === 0 ? 'IGMP' : `IGMPv${g.version}`;
  switch (g.type) {
    case 'query': {
      let s = `${v} query ${g.group === '0.0.0.0' ? 'general' : g.group}`;
      if (g.version === 3 && g.sources !== undefined && g.sources.length > 0) s += ` sources {${g.sources.join(',')}}`;
      if (g.version >= 2) s += `, max resp ${seconds(g.maxRespTime ?? 0)}`;
      if (g.version === 3) s += `, qrv ${g.qrv}, qqi ${g.qqi}s${g.s ? ', S' : ''}`;
      return s;
    }
    case 'report':
      if (g.version === 3) {
        const recs = g.records ?? [];
        return `${v} report, ${recs.length} record${recs.length === 1 ? '' : 's'}${recs.length ? ': ' : ''}${recs.map(describeRecord).join('; ')}`;
      }
      return `${v} report ${g.group}`;
    case 'leave':
      return `${v} leave ${g.group}`;
  }
}

function describeRecord(r: NonNullable<IgmpJson['records']>[number]): string {
  const name = r.type === 'unknown' ? `type ${r.typeCode}` : RECORD_SHORT[r.type]!;
  const aux = r.auxLen ? ` aux ${r.auxLen * 4}B` : '';
  return `${name} ${r.group} {${r.sources.join(',')}}${aux}`;
}

function seconds(x: number): string {
  return Number.isInteger(x) ? `${x}s` : `${x.toFixed(1)}s`;
}
