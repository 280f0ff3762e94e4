/**
 * What crafting needs to know of the interface it sends on: its MTU (for splitting and for refusing oversized
 * frames), its MAC and first IPv4 address (the default source addresses). Flags and MAC come from the capture
 * layer's /sys reader (interfaceState); the address from os.networkInterfaces().
 */
import { networkInterfaces } from 'node:os';
import { SystemError } from '../errors.js';
import { requireInterfaceUp } from '../capture/interfaces.js';

export interface SendInterface {
  name: string;
  mtu: number;
  /** Link-layer address, or null when the interface has none. */
  mac: string | null;
  /** The interface's first IPv4 address, or null when it has none. */
  ipv4: string | null;
  /** Up with carrier: false for a veth whose peer is down or a bridge with no running port. */
  running: boolean;
}

/** ARPHRD_ETHER (linux/if_arp.h): the only link type whose frames mcast craft builds. */
const ARPHRD_ETHER = 1;

/**
 * The interface to send on, or a SystemError: ERR_NO_SUCH_INTERFACE, ERR_INTERFACE_DOWN, ERR_NOT_ETHERNET (a tun
 * or other non-Ethernet device; loopback is accepted, libpcap gives it Ethernet framing).
 */
export function sendInterface(name: string): SendInterface {
  const st = requireInterfaceUp(name);
  if (st.arpType !== ARPHRD_ETHER && !st.loopback) {
    throw new SystemError('ERR_NOT_ETHERNET', `interface ${name} is not Ethernet (hardware type ${st.arpType}): mcast craft builds Ethernet frames`);
  }
  const ipv4 = networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address ?? null;
  return { name, mtu: st.mtu, mac: st.mac, ipv4, running: st.running };
}
