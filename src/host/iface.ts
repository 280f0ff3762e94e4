/**
 * The host's interfaces as multicast sees them: name, index, flags (up, multicast, loopback), operational state
 * and IPv4 addresses. Flags and state come from /sys/class/net through the capture layer's interfaceState
 * (os.networkInterfaces() lists only interfaces that have an address and hides the flags); addresses from
 * os.networkInterfaces(). libuv leaves out every interface that is not up AND running, so the addresses of a
 * down interface (or one without carrier) come from getifaddrs through the capture addon when it is built, else
 * from `ip -j -4 addr`: "eth0 is down" must not read as "eth0 has no address".
 *
 * Node's joins and IP_MULTICAST_IF name an interface by one of its IPv4 addresses (struct ip_mreq), so an
 * interface without IPv4 cannot be chosen, and "which interface" always resolves to (interface, address).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { SystemError } from '../errors.js';
import { parseIpv4 } from '../wire/addr.js';
import { interfaceState, listInterfaces as captureInterfaces } from '../capture/interfaces.js';
import { nativeAvailable } from '../capture/native.js';

export interface Ipv4Address {
  address: string;
  prefixLength: number;
}

export interface HostInterface {
  name: string;
  /** ifindex; 0 when /sys is not readable. */
  index: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Up with carrier. */
  running: boolean;
  /** /sys operstate: "up", "down", "lowerlayerdown", "unknown" (loopback, some tunnels)... */
  operstate: string;
  /** IFF_MULTICAST. */
  multicast: boolean;
  loopback: boolean;
  mtu: number;
  ipv4: Ipv4Address[];
}

/** An interface chosen for a join or a send, and the address that names it to the kernel. */
export interface ChosenInterface {
  iface: HostInterface;
  address: string;
}

/** Every interface of this host (this network namespace), sorted by index. */
export function listInterfaces(sysRoot = '/sys/class/net'): HostInterface[] {
  const byName = new Map<string, HostInterface>();
  let names: string[] = [];
  try {
    names = readdirSync(sysRoot);
  } catch {
    /* no sysfs: fall back to what os.networkInterfaces() shows */
  }
  for (const name of names) {
    const st = interfaceState(name);
    if (st === null) continue; // not an interface directory (bonding_masters)
    byName.set(name, {
      name,
      index: st.ifindex,
      up: st.up,
      running: st.running,
      operstate: st.operstate,
      multicast: st.multicast,
      loopback: st.loopback,
      mtu: st.mtu,
      ipv4: [],
    });
  }
  for (const [label, addrs] of Object.entries(networkInterfaces())) {
    // getifaddrs() names an IPv4 alias by its label ("eth0:1"); the device is the part before the colon.
    const name = byName.has(label) ? label : label.split(':')[0]!;
    let iface = byName.get(name);
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4') continue;
      if (iface === undefined) {
        // No sysfs entry: assume what getifaddrs implies (it lists interfaces that are up).
        iface = { name, index: 0, up: true, running: true, operstate: 'unknown', multicast: !a.internal, loopback: a.internal, mtu: 0, ipv4: [] };
        byName.set(name, iface);
      }
      const prefixLength = a.cidr === null ? 32 : Number(a.cidr.split('/')[1]);
      if (!iface.ipv4.some((x) => x.address === a.address)) iface.ipv4.push({ address: a.address, prefixLength });
    }
  }
  if ([...byName.values()].some((i) => !i.running && i.ipv4.length === 0)) {
    for (const [name, addrs] of hiddenAddresses()) {
      const iface = byName.get(name);
      if (iface === undefined || iface.ipv4.length > 0) continue;
      iface.ipv4.push(...addrs);
    }
  }
  return [...byName.values()].sort((a, b) => a.index - b.index || a.name.localeCompare(b.name));
}

/** IPv4 addresses of every interface, including those libuv hides; empty when neither source works. */
function hiddenAddresses(): Map<string, Ipv4Address[]> {
  const out = new Map<string, Ipv4Address[]>();
  if (nativeAvailable()) {
    try {
      for (const c of captureInterfaces()) {
        const list = c.ipv4.map((a) => ({ address: a.address, prefixLength: a.prefixLength ?? 32 }));
        if (list.length > 0) out.set(c.name, list);
      }
      return out;
    } catch {
      /* fall through to ip(8) */
    }
  }
  try {
    const text = execFileSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    for (const dev of JSON.parse(text) as { ifname: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[]) {
      const list = (dev.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => ({ address: a.local, prefixLength: a.prefixlen }));
      if (list.length > 0) out.set(dev.ifname, list);
    }
  } catch {
    /* no ip(8): down interfaces show no address */
  }
  return out;
}

/** Up, multicast-capable, not loopback, with an IPv4 address: what --all-interfaces joins on. */
export function isMulticastCapable(i: HostInterface): boolean {
  return i.up && i.multicast && !i.loopback && i.ipv4.length > 0;
}

/** The interface that owns `address`, or null. */
export function interfaceOfAddress(address: string, ifaces: readonly HostInterface[]): HostInterface | null {
  return ifaces.find((i) => i.ipv4.some((a) => a.address === address)) ?? null;
}

/**
 * Resolve `-i` text: an interface name, or one of this host's IPv4 addresses (which then is the address used).
 * Throws SystemError ERR_NO_SUCH_INTERFACE, ERR_ADDRESS_NOT_LOCAL or ERR_INTERFACE_NO_IPV4.
 */
export function resolveInterface(spec: string, ifaces: readonly HostInterface[] = listInterfaces()): ChosenInterface {
  if (parseIpv4(spec) !== null) {
    const iface = interfaceOfAddress(spec, ifaces);
    if (iface === null) {
      const have = ifaces.flatMap((i) => i.ipv4.map((a) => `${a.address} (${i.name})`)).join(', ') || 'none';
      throw new SystemError('ERR_ADDRESS_NOT_LOCAL', `${spec} is not an address of this host (have: ${have})`);
    }
    return { iface, address: spec };
  }
  const iface = ifaces.find((i) => i.name === spec);
  if (iface === undefined) {
    const have = ifaces.map((i) => i.name).join(', ') || 'none';
    throw new SystemError('ERR_NO_SUCH_INTERFACE', `no interface named ${JSON.stringify(spec)} (have: ${have})`);
  }
  const first = iface.ipv4[0];
  if (first === undefined) {
    throw new SystemError(
      'ERR_INTERFACE_NO_IPV4',
      `${iface.name} has no IPv4 address; multicast joins and IP_MULTICAST_IF name an interface by one (ip addr add ADDR/LEN dev ${iface.name})`,
    );
  }
  return { iface, address: first.address };
}
