/**
 * Interfaces: what libpcap can capture on (pcap_findalldevs) merged with the kernel's view from
 * /sys/class/net/IFACE (MTU, IFF_* flags, operstate). `ip netns exec` remounts /sys for the namespace, so inside
 * a namespace /sys describes that namespace's interfaces.
 */
import { readFileSync } from 'node:fs';
import { SystemError } from '../errors.js';
import { requireNative, toSystemError } from './native.js';

/** IFF_* bits of /sys/class/net/IFACE/flags (linux/if.h). */
const IFF = { UP: 0x1, LOOPBACK: 0x8, MULTICAST: 0x1000 } as const;

export interface InterfaceState {
  name: string;
  ifindex: number;
  mtu: number;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** Up with carrier (IFF_RUNNING; /sys's flags file omits that bit, so it is read from `carrier`). */
  running: boolean;
  loopback: boolean;
  multicast: boolean;
  /** RFC 2863 operational state as the kernel reports it: up, down, unknown, lowerlayerdown, ... */
  operstate: string;
  /** Link-layer address (Ethernet MAC), or null for interfaces without one. */
  mac: string | null;
  /** ARPHRD_* hardware type (1 = Ethernet, 772 = loopback). */
  arpType: number;
}

function validName(name: string): boolean {
  // Linux interface names: 1..15 bytes, no '/', no whitespace; '.' and '..' are not names.
  return name.length > 0 && name.length < 16 && !/[/\s]/.test(name) && name !== '.' && name !== '..';
}

function readSys(name: string, attr: string): string | null {
  try {
    return readFileSync(`/sys/class/net/${name}/${attr}`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The kernel's view of one interface, or null when it does not exist (in this network namespace). */
export function interfaceState(name: string): InterfaceState | null {
  if (!validName(name)) return null;
  const flagsText = readSys(name, 'flags');
  if (flagsText === null) return null;
  const flags = Number.parseInt(flagsText, 16);
  const mac = readSys(name, 'address');
  return {
    name,
    ifindex: Number(readSys(name, 'ifindex') ?? -1),
    mtu: Number(readSys(name, 'mtu') ?? 0),
    up: (flags & IFF.UP) !== 0,
    running: (flags & IFF.UP) !== 0 && readSys(name, 'carrier') === '1',
    loopback: (flags & IFF.LOOPBACK) !== 0,
    multicast: (flags & IFF.MULTICAST) !== 0,
    operstate: readSys(name, 'operstate') ?? 'unknown',
    mac: mac !== null && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac) ? mac : null,
    arpType: Number(readSys(name, 'type') ?? -1),
  };
}

/**
 * The interface, or a SystemError: ERR_NO_SUCH_INTERFACE when it does not exist, ERR_INTERFACE_DOWN when it is
 * not administratively up (frames sent there are refused by the kernel with ENETDOWN).
 */
export function requireInterfaceUp(name: string): InterfaceState {
  const st = interfaceState(name);
  if (st === null) throw new SystemError('ERR_NO_SUCH_INTERFACE', `no such interface: ${name}`);
  if (!st.up) throw new SystemError('ERR_INTERFACE_DOWN', `interface ${name} is down (ip link set ${name} up)`);
  return st;
}

export interface InterfaceAddress {
  address: string;
  netmask: string | null;
  /** Prefix length from the netmask, or null when the mask is absent or not contiguous. */
  prefixLength: number | null;
}

export interface CaptureInterface {
  name: string;
  description: string | null;
  up: boolean;
  running: boolean;
  loopback: boolean;
  /** IFF_MULTICAST; null for pseudo-devices. */
  multicast: boolean | null;
  /** MTU in bytes; null for pseudo-devices. */
  mtu: number | null;
  operstate: string | null;
  /** No network interface behind it (any, nflog, dbus-system, ...). */
  pseudo: boolean;
  ipv4: InterfaceAddress[];
}

function prefixOf(mask: string | null): number | null {
  if (mask === null) return null;
  const n = mask.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  let len = 0;
  while (len < 32 && n & (2 ** (31 - len))) len++;
  // Contiguous: every bit after the first zero is zero.
  return n % 2 ** (32 - len) === 0 ? len : null;
}

/**
 * Interfaces libpcap can capture on in this network namespace. Pseudo-devices other than `any` (nflog, nfqueue,
 * dbus, bluetooth monitors) are left out unless `all` is set: they never carry IPv4 multicast.
 */
export function listInterfaces(options: { all?: boolean } = {}): CaptureInterface[] {
  const native = requireNative();
  let devs;
  try {
    devs = native.listInterfaces();
  } catch (err) {
    throw toSystemError(err);
  }
  const out: CaptureInterface[] = [];
  for (const d of devs) {
    const st = interfaceState(d.name);
    if (st === null && d.name !== 'any' && options.all !== true) continue;
    out.push({
      name: d.name,
      description: d.description,
      up: st?.up ?? d.up,
      running: d.running,
      loopback: st?.loopback ?? d.loopback,
      multicast: st?.multicast ?? null,
      mtu: st?.mtu ?? null,
      operstate: st?.operstate ?? null,
      pseudo: st === null,
      ipv4: d.ipv4
        .filter((a) => a.address !== null)
        .map((a) => ({ address: a.address as string, netmask: a.netmask, prefixLength: prefixOf(a.netmask) })),
    });
  }
  return out;
}
