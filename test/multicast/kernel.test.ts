/**
 * The Linux kernel as the independent reference for RFC 1112 section 6.4: inside a namespace this test creates, a
 * process joins groups (IP_ADD_MEMBERSHIP) on a veth interface; the kernel programs the interface's link-layer
 * multicast list (ip_eth_mc_map). That list, read back with `ip -j maddr` and /proc/net/dev_mcast, must be exactly
 * groupToMac of the joined groups, and the kernel's per-MAC user count must equal the number of joined groups
 * findCollisions puts on that MAC.
 *
 * Needs root, iproute2 and python3; skips with the reason otherwise, and fails under MCAST_REQUIRE_LIVE=1.
 * (A veth pair, not a dummy interface: the dummy driver is not always built.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { ipv4FromString as ip } from '../../src/wire/addr.js';
import { findCollisions, groupToMac, macToGroups } from '../../src/multicast/index.js';

const live = liveGate(['python3']);

// Joins the groups given as arguments on m0, then prints `ip -j maddr show dev m0`, a marker line, and
// /proc/net/dev_mcast, all while the socket (and so the memberships) is still open.
const JOIN_AND_DUMP = `
import socket, struct, subprocess, sys
idx = socket.if_nametoindex('m0')
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for g in sys.argv[1:]:
    mreqn = struct.pack('4s4si', socket.inet_aton(g), socket.inet_aton('0.0.0.0'), idx)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
out = subprocess.run(['ip', '-j', 'maddr', 'show', 'dev', 'm0'], capture_output=True, text=True, check=True).stdout
sys.stdout.write(out.strip() + '\\n----\\n' + open('/proc/net/dev_mcast').read())
`;

// Chosen to include MAC collisions: 239.1.1.1 / 224.1.1.1 / 239.129.1.1 share 01:00:5e:01:01:01, and 225.0.0.1 shares
// 01:00:5e:00:00:01 with 224.0.0.1, which the kernel joins on every multicast interface by itself.
const JOINED = ['239.1.1.1', '224.1.1.1', '239.129.1.1', '224.0.0.251', '239.255.255.250', '233.252.0.9', '230.200.100.50', '239.0.0.5', '225.0.0.1'];

describe.skipIf(!live.ok)('kernel link-layer multicast list (live, network namespace)', () => {
  const lab = new Lab('map');
  afterAll(() => lab.destroy());

  it('equals groupToMac of the joined groups, with one user per colliding group', () => {
    const ns = lab.ns('k');
    lab.exec(ns, 'ip', ['link', 'add', 'm0', 'type', 'veth', 'peer', 'name', 'm1']);
    lab.exec(ns, 'ip', ['link', 'set', 'm0', 'up']);
    lab.exec(ns, 'ip', ['link', 'set', 'm1', 'up']);

    const [maddrJson, devMcast] = lab.exec(ns, 'python3', ['-c', JOIN_AND_DUMP, ...JOINED]).split('\n----\n') as [string, string];
    const maddr = JSON.parse(maddrJson) as { ifname: string; maddr: { link?: string; family?: string; address?: string }[] }[];
    const entries = maddr[0]!.maddr;

    // The kernel's IPv4 memberships: ours plus 224.0.0.1.
    const inet = entries.filter((e) => e.family === 'inet').map((e) => e.address!);
    const groups = [...JOINED, '224.0.0.1'];
    expect([...inet].sort()).toEqual([...groups].sort());

    // Its IPv4 link-layer addresses (01:00:5e; the 33:33 ones are IPv6's): exactly our mapping of those groups.
    const links = entries.filter((e) => e.link?.startsWith('01:00:5e')).map((e) => e.link!);
    expect(new Set(links).size).toBe(links.length);
    expect([...links].sort()).toEqual([...new Set(groups.map((g) => groupToMac(ip(g))))].sort());

    // /proc/net/dev_mcast: "ifindex ifname users global hex-address"; users counts the groups on each MAC.
    const users = new Map<string, number>();
    for (const line of devMcast.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f[1] !== 'm0' || !f[4]!.startsWith('01005e')) continue;
      users.set(f[4]!.match(/../g)!.join(':'), Number(f[2]));
    }
    const collisions = findCollisions(groups.map(ip));
    expect(collisions.map((c) => c.mac).sort()).toEqual(['01:00:5e:00:00:01', '01:00:5e:01:01:01']);
    for (const mac of links) {
      const onMac = collisions.find((c) => c.mac === mac)?.groups.length ?? 1;
      expect(users.get(mac), mac).toBe(onMac);
      // And each kernel MAC's groups, by our reverse mapping, include the groups joined on it.
      const reverse = macToGroups(mac);
      for (const g of groups) if (groupToMac(ip(g)) === mac) expect(reverse).toContain(ip(g));
    }
  });
});
