/**
 * IPv4 group <-> Ethernet MAC mapping, RFC 1112 section 6.4: "placing the low-order 23 bits of the IP address into
 * the low-order 23 bits of the Ethernet multicast address 01-00-5E-00-00-00". A group has 28 free bits (after the
 * 1110 prefix), the MAC keeps 23, so 5 bits are lost and 32 groups share every MAC: the 16 first octets 224-239
 * times the two values of the top bit of the second octet.
 *
 * Per-frame helpers (`macMatchesGroup`, `ipv4McastMacLow23`, `writeGroupMac`) compare and write bytes in place and
 * allocate nothing. Addresses are unsigned 32-bit numbers, as in src/wire/addr.ts.
 */
import { macToString, parseIpv4, parseMac } from '../wire/addr.js';

/** The group bits the MAC carries (RFC 1112 section 6.4). */
export const LOW23_MASK = 0x7fffff;
/** Groups per MAC: 2^(28 - 23). */
export const GROUPS_PER_MAC = 32;

const OUI0 = 0x01;
const OUI1 = 0x00;
const OUI2 = 0x5e;

/**
 * 224.0.0.0/4 (RFC 1112 section 4: class D, high-order bits 1110). A number may be unsigned or the signed 32-bit
 * form bit arithmetic yields; a string must be a dotted quad.
 */
export function isMulticast(addr: number | string): boolean {
  if (typeof addr === 'string') {
    const v = parseIpv4(addr);
    return v !== null && v >>> 28 === 0xe;
  }
  return addr >>> 28 === 0xe && Number.isInteger(addr) && addr >= -0x80000000 && addr <= 0xffffffff;
}

/** The low 23 bits of a group: the part of it the MAC carries. Two groups share a MAC iff these are equal. */
export function groupMacLow23(group: number): number {
  return group & LOW23_MASK;
}

/**
 * Whether buf[offset..offset+6) is the RFC 1112 MAC of `group` (01:00:5e, a 0 bit, the group's low 23 bits).
 * For the per-frame conformance check: no allocation, no exceptions; a short buffer answers false.
 */
export function macMatchesGroup(buf: Uint8Array, offset: number, group: number): boolean {
  return (
    buf[offset] === OUI0 &&
    buf[offset + 1] === OUI1 &&
    buf[offset + 2] === OUI2 &&
    buf[offset + 3] === ((group >>> 16) & 0x7f) &&
    buf[offset + 4] === ((group >>> 8) & 0xff) &&
    buf[offset + 5] === (group & 0xff)
  );
}

/**
 * The low 23 bits carried by an IPv4 multicast MAC at buf[offset..offset+6), or -1 when the bytes are not one
 * (01:00:5e:00:00:00-01:00:5e:7f:ff:ff; 01:00:5e:80:00:00 and up are outside the mapping). No allocation.
 */
export function ipv4McastMacLow23(buf: Uint8Array, offset: number): number {
  if (buf[offset] !== OUI0 || buf[offset + 1] !== OUI1 || buf[offset + 2] !== OUI2) return -1;
  const b3 = buf[offset + 3];
  const b4 = buf[offset + 4];
  const b5 = buf[offset + 5];
  if (b3 === undefined || b4 === undefined || b5 === undefined || b3 > 0x7f) return -1;
  return (b3 << 16) | (b4 << 8) | b5;
}

/** Write the MAC of `group` at buf[offset..offset+6). For frame builders; no allocation. */
export function writeGroupMac(buf: Uint8Array, offset: number, group: number): void {
  buf[offset] = OUI0;
  buf[offset + 1] = OUI1;
  buf[offset + 2] = OUI2;
  buf[offset + 3] = (group >>> 16) & 0x7f;
  buf[offset + 4] = (group >>> 8) & 0xff;
  buf[offset + 5] = group & 0xff;
}

const scratch = new Uint8Array(6);

/** "01:00:5e:xx:xx:xx" for a multicast group; a RangeError for anything else (check isMulticast first). */
export function groupToMac(group: number): string {
  if (!isMulticast(group)) throw new RangeError(`not an IPv4 multicast address: ${String(group)}`);
  writeGroupMac(scratch, 0, group);
  return macToString(scratch, 0);
}

/** The MAC that carries `low23` (0..0x7fffff), as text. */
export function low23ToMac(low23: number): string {
  return groupToMac((0xe0000000 | (low23 & LOW23_MASK)) >>> 0);
}

const CISCO_MAC_RE = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
const BARE_MAC_RE = /^[0-9a-f]{12}$/i;

/**
 * A MAC in any of the forms people paste: 01:00:5e:01:02:03, 01-00-5e-01-02-03 (src/wire/addr.ts parseMac), Cisco's
 * 0100.5e01.0203, or bare 01005e010203. Null when the text is none of these.
 */
export function parseMacText(text: string): Uint8Array | null {
  const std = parseMac(text);
  if (std !== null) return std;
  const m = CISCO_MAC_RE.exec(text);
  const hex = m !== null ? m[1]! + m[2]! + m[3]! : BARE_MAC_RE.test(text) ? text : null;
  if (hex === null) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * The 32 groups that map to an IPv4 multicast MAC, ascending. A MAC outside 01:00:5e:00:00:00-01:00:5e:7f:ff:ff
 * has no IPv4 group and gives []. Text that is not a MAC is a RangeError (parse user input with parseMacText).
 */
export function macToGroups(mac: Uint8Array | string, offset = 0): number[] {
  let bytes: Uint8Array;
  let at = offset;
  if (typeof mac === 'string') {
    const parsed = parseMacText(mac);
    if (parsed === null) throw new RangeError(`not a MAC address: ${JSON.stringify(mac)}`);
    bytes = parsed;
    at = 0;
  } else {
    bytes = mac;
  }
  const low23 = ipv4McastMacLow23(bytes, at);
  return low23 < 0 ? [] : groupsOfLow23(low23);
}

/** The 32 groups whose low 23 bits are `low23`, ascending: first octet 224..239, then bit 23 clear before set. */
export function groupsOfLow23(low23: number): number[] {
  const out = new Array<number>(GROUPS_PER_MAC);
  const low = low23 & LOW23_MASK;
  for (let hi = 0; hi < 16; hi++) {
    const base = ((0xe0 + hi) << 24) | low;
    out[hi * 2] = base >>> 0;
    out[hi * 2 + 1] = (base | 0x800000) >>> 0;
  }
  return out;
}

export interface Collision {
  mac: string;
  /** Distinct groups sharing `mac`, ascending; always 2 or more. */
  groups: number[];
}

/**
 * Groups (of those given) that share a MAC, so a switch or NIC filtering by MAC cannot tell them apart. Duplicates
 * are counted once; addresses that are not multicast are ignored. Sorted by MAC, groups ascending.
 */
export function findCollisions(groups: readonly number[]): Collision[] {
  const byLow23 = new Map<number, Set<number>>();
  for (const g of groups) {
    if (!isMulticast(g)) continue;
    const key = g & LOW23_MASK;
    let set = byLow23.get(key);
    if (set === undefined) byLow23.set(key, (set = new Set()));
    set.add(g >>> 0);
  }
  const out: Collision[] = [];
  for (const key of [...byLow23.keys()].sort((a, b) => a - b)) {
    const set = byLow23.get(key)!;
    if (set.size < 2) continue;
    out.push({ mac: low23ToMac(key), groups: [...set].sort((a, b) => a - b) });
  }
  return out;
}

/** The 31 other groups that share the MAC of `group`, ascending. */
export function groupsSharingMac(group: number): number[] {
  const g = group >>> 0;
  return groupsOfLow23(g & LOW23_MASK).filter((x) => x !== g);
}
