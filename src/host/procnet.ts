/**
 * The kernel's multicast state as Linux shows it under /proc: /proc/net/igmp (groups per device, with the IGMP
 * version the device answers in), /proc/net/mcfilter (source filters), /proc/net/route (the main table, for "which
 * interface would the kernel pick") and the IPv4 sysctls. Parsers take text so tests can feed them what a kernel
 * printed; the readers return null when a file is unreadable (another OS, a container without /proc/net).
 *
 * Byte order, from the kernel's printers (net/ipv4/igmp.c, net/ipv4/fib_trie.c):
 * - /proc/net/igmp prints the group with "%08X" of the raw __be32, so on a little-endian host 224.0.0.1 reads
 *   010000E0;
 * - /proc/net/mcfilter passes group and source through ntohl first: "0xe0000001" on every host;
 * - /proc/net/route prints destination, gateway and mask raw, like /proc/net/igmp.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { ipv4ToString } from '../wire/addr.js';

const HOST_LE = endianness() === 'LE';

/** A raw 32-bit value printed from a __be32 in host order, back to the address as a number. */
function rawToAddr(raw: number, littleEndian: boolean): number {
  if (!littleEndian) return raw >>> 0;
  return (((raw & 0xff) << 24) | (((raw >>> 8) & 0xff) << 16) | (((raw >>> 16) & 0xff) << 8) | (raw >>> 24)) >>> 0;
}

/** One group line under a device in /proc/net/igmp. */
export interface IgmpGroupEntry {
  group: string;
  /** Joins holding the group (sockets, plus the kernel's own join of 224.0.0.1). */
  users: number;
  /** A report is scheduled (the "Timer" column's running flag). */
  timerRunning: boolean;
  /** This host sent the last report for the group (RFC 2236 section 3, "last host to report"). */
  reporter: boolean;
}

/** One device block in /proc/net/igmp. */
export interface IgmpDevice {
  index: number;
  name: string;
  /** The device's multicast list length ("Count"). */
  count: number;
  /** The IGMP version the kernel answers in on this device: 1, 2 (older querier seen or forced) or 3. */
  version: 1 | 2 | 3;
  groups: IgmpGroupEntry[];
}

const DEV_RE = /^(\d+)\s+(\S+)\s*:\s*(\d+)\s+V(\d)\s*$/;
const GROUP_RE = /^\s+([0-9A-Fa-f]{8})\s+(\d+)\s+([01]):([0-9A-Fa-f]+)\s+(\d+)\s*$/;

/** Parse /proc/net/igmp. Lines that match neither form (the title) are skipped. */
export function parseProcNetIgmp(text: string, littleEndian = HOST_LE): IgmpDevice[] {
  const out: IgmpDevice[] = [];
  let dev: IgmpDevice | null = null;
  for (const line of text.split('\n')) {
    const d = DEV_RE.exec(line);
    if (d !== null) {
      const v = Number(d[4]);
      dev = { index: Number(d[1]), name: d[2]!, count: Number(d[3]), version: v === 1 || v === 2 ? v : 3, groups: [] };
      out.push(dev);
      continue;
    }
    const g = GROUP_RE.exec(line);
    if (g !== null && dev !== null) {
      dev.groups.push({
        group: ipv4ToString(rawToAddr(parseInt(g[1]!, 16), littleEndian)),
        users: Number(g[2]),
        timerRunning: g[3] === '1',
        reporter: g[5] !== '0',
      });
    }
  }
  return out;
}

/** One source line of /proc/net/mcfilter: how many sockets include and exclude `source` for the group. */
export interface McFilterEntry {
  index: number;
  device: string;
  group: string;
  source: string;
  include: number;
  exclude: number;
}

const MCF_RE = /^\s*(\d+)\s+(\S+)\s+0x([0-9a-fA-F]{8})\s+0x([0-9a-fA-F]{8})\s+(\d+)\s+(\d+)\s*$/;

/** Parse /proc/net/mcfilter (addresses already in network order, see the module comment). */
export function parseProcNetMcfilter(text: string): McFilterEntry[] {
  const out: McFilterEntry[] = [];
  for (const line of text.split('\n')) {
    const m = MCF_RE.exec(line);
    if (m === null) continue;
    out.push({
      index: Number(m[1]),
      device: m[2]!,
      group: ipv4ToString(parseInt(m[3]!, 16)),
      source: ipv4ToString(parseInt(m[4]!, 16)),
      include: Number(m[5]),
      exclude: Number(m[6]),
    });
  }
  return out;
}

/** Route flags from include/uapi/linux/route.h. */
export const RTF = { UP: 0x0001, GATEWAY: 0x0002, HOST: 0x0004, REJECT: 0x0200 } as const;

export interface RouteEntry {
  iface: string;
  /** Numbers in network order as ordinary unsigned values (10.0.0.0 is 0x0a000000). */
  destination: number;
  gateway: number;
  flags: number;
  metric: number;
  mask: number;
}

/** Parse /proc/net/route (the main table only: policy routing and other tables are not shown there). */
export function parseProcNetRoute(text: string, littleEndian = HOST_LE): RouteEntry[] {
  const out: RouteEntry[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 8) continue;
    const hex = (s: string) => rawToAddr(parseInt(s, 16), littleEndian);
    out.push({
      iface: f[0]!,
      destination: hex(f[1]!),
      gateway: hex(f[2]!),
      flags: parseInt(f[3]!, 16),
      metric: Number(f[6]),
      mask: hex(f[7]!),
    });
  }
  return out;
}

function prefixLength(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m & 0x80000000; m = (m << 1) >>> 0) n++;
  return n;
}

/**
 * The route the kernel's main table gives for `addr`: longest prefix, then lowest metric; reject routes
 * (unreachable, prohibit) answer null, as the lookup would fail.
 */
export function lookupRoute(routes: readonly RouteEntry[], addr: number): RouteEntry | null {
  let best: RouteEntry | null = null;
  let bestLen = -1;
  for (const r of routes) {
    if ((r.flags & RTF.UP) === 0) continue;
    if (((addr & r.mask) >>> 0) !== ((r.destination & r.mask) >>> 0)) continue;
    const len = prefixLength(r.mask);
    if (len > bestLen || (len === bestLen && best !== null && r.metric < best.metric)) {
      best = r;
      bestLen = len;
    }
  }
  if (best === null || (best.flags & RTF.REJECT) !== 0 || best.iface === '*') return null;
  return best;
}

/** Read a small text file; null when it does not exist or cannot be read. */
export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** An IPv4 sysctl under /proc/sys/net/ipv4 (e.g. "conf/pb/rp_filter", "igmp_max_memberships"); null if absent. */
export function readIpv4Sysctl(name: string, procRoot = '/proc'): number | null {
  const text = readText(`${procRoot}/sys/net/ipv4/${name}`);
  if (text === null) return null;
  const v = Number(text.trim());
  return Number.isFinite(v) ? v : null;
}

export function readProcNetIgmp(procRoot = '/proc'): IgmpDevice[] | null {
  const text = readText(`${procRoot}/net/igmp`);
  return text === null ? null : parseProcNetIgmp(text);
}

export function readProcNetMcfilter(procRoot = '/proc'): McFilterEntry[] | null {
  const text = readText(`${procRoot}/net/mcfilter`);
  return text === null ? null : parseProcNetMcfilter(text);
}

export function readProcNetRoute(procRoot = '/proc'): RouteEntry[] | null {
  const text = readText(`${procRoot}/net/route`);
  return text === null ? null : parseProcNetRoute(text);
}
