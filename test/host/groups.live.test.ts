/**
 * `mcast groups` against iproute2's `ip maddr show` (its own parser of /proc/net/igmp for the groups, and
 * /proc/net/dev_mcast for the link-layer addresses the MAC column must match), in a namespace with memberships
 * made by `mcast listen`:
 *
 *   ns G (g1 10.1.0.2, g2 10.2.0.2) ── two veths ── ns H (h1 10.1.0.1, h2 10.2.0.1)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { ensureBuilt, mcast, ndjson, startMcast, type Running } from './support.js';

const live = liveGate();

describe.skipIf(!live.ok)('mcast groups (live)', () => {
  let lab: Lab;
  let G: string;
  const listeners: Running[] = [];

  beforeAll(async () => {
    ensureBuilt();
    lab = new Lab('grp');
    G = lab.ns('G');
    const H = lab.ns('H');
    lab.veth(H, 'h1', '10.1.0.1/24', G, 'g1', '10.1.0.2/24');
    lab.veth(H, 'h2', '10.2.0.1/24', G, 'g2', '10.2.0.2/24');
    const start = (args: string[]) => {
      const r = startMcast(lab, G, ['listen', ...args, '--json', '--interval', '0']);
      listeners.push(r);
      return r.waitFor((x) => ndjson(x.stdout).some((o) => o.type === 'listening'), `listen ${args.join(' ')}`);
    };
    await start(['239.9.9.1:5000', '-i', 'g1', '-i', 'g2']);
    await start(['232.9.9.2:5000', '-i', 'g2', '--source', '10.2.0.9', '--source', '10.2.0.1']);
    await start(['239.9.9.3:5000', '239.9.9.3:5001', '-i', 'g1']);
  });
  afterAll(async () => {
    for (const l of listeners) await l.stop().catch(() => undefined);
    lab?.destroy();
  });

  it('lists the same groups per interface as ip maddr, with matching MACs', () => {
    const ours = JSON.parse(mcast(G, ['groups', '--json']).stdout) as any[];
    // ip -j maddr prints one object per device and source file (dev_mcast, igmp, igmp6): merge them by name.
    const raw = JSON.parse(lab.exec(G, 'ip', ['-j', 'maddr', 'show'])) as { ifname: string; maddr: { family?: string; address?: string; link?: string }[] }[];
    const merged = new Map<string, { family?: string; address?: string; link?: string }[]>();
    for (const d of raw) merged.set(d.ifname, [...(merged.get(d.ifname) ?? []), ...d.maddr]);
    const theirs = [...merged].map(([ifname, maddr]) => ({ ifname, maddr }));
    expect(theirs.map((d) => d.ifname).sort()).toEqual(['g1', 'g2', 'lo']);
    for (const dev of theirs) {
      const inet = dev.maddr.filter((m) => m.family === 'inet').map((m) => m.address).sort();
      const mine = ours.find((i) => i.name === dev.ifname);
      if (inet.length === 0) {
        expect(mine?.groups ?? []).toEqual([]);
        continue;
      }
      expect([dev.ifname, mine.groups.map((g: any) => g.group).sort()]).toEqual([dev.ifname, inet]);
      const links = dev.maddr.filter((m) => m.link !== undefined).map((m) => m.link);
      // lo has no link-layer addresses; every other device must carry each group's MAC.
      if (dev.ifname !== 'lo') for (const g of mine.groups) expect(links).toContain(g.mac);
    }
    expect(ours.map((i) => i.name).sort()).toEqual(['g1', 'g2', 'lo']);
  });

  it('modes, sources and users', () => {
    const ours = JSON.parse(mcast(G, ['groups', '--json']).stdout) as any[];
    const find = (iface: string, group: string) => ours.find((i) => i.name === iface).groups.find((g: any) => g.group === group);
    expect(find('g1', '239.9.9.1')).toMatchObject({ mode: 'EXCLUDE', sources: [], users: 1 });
    expect(find('g2', '239.9.9.1')).toMatchObject({ mode: 'EXCLUDE', sources: [], users: 1 });
    expect(find('g2', '232.9.9.2')).toMatchObject({ mode: 'INCLUDE', sources: ['10.2.0.9', '10.2.0.1'], users: 1, mac: '01:00:5e:09:09:02' });
    expect(find('g1', '239.9.9.3')).toMatchObject({ mode: 'EXCLUDE', users: 2 }); // two sockets, two ports
    expect(find('g1', '224.0.0.1')).toMatchObject({ mode: 'EXCLUDE', users: 1 }); // the kernel's own
    // The kernel's filter table says the same about 232.9.9.2.
    const mcf = lab.exec(G, 'cat', ['/proc/net/mcfilter']);
    expect(mcf).toMatch(/g2 0xe8090902 0x0a020009\s+1\s+0/);
    expect(mcf).toMatch(/g2 0xe8090902 0x0a020001\s+1\s+0/);
  });

  it('-i, the table form, the version column, and an unknown interface', () => {
    lab.exec(G, 'sysctl', ['-qw', 'net.ipv4.conf.g2.force_igmp_version=2']);
    try {
      const table = mcast(G, ['groups', '-i', 'g2']).stdout.trim().split('\n');
      expect(table[0]).toMatch(/^IFACE\s+IGMP\s+GROUP\s+MODE\s+SOURCES\s+USERS\s+MAC$/);
      expect(table.slice(1).every((l) => /^g2\s+v2 \(forced\)\s/.test(l))).toBe(true);
      expect(table.some((l) => /232\.9\.9\.2\s+INCLUDE\s+10\.2\.0\.9,10\.2\.0\.1\s+1\s+01:00:5e:09:09:02$/.test(l))).toBe(true);
      expect(lab.exec(G, 'cat', ['/proc/net/igmp'])).toMatch(/\bg2\s+:\s+\d+\s+V2\b/);
      const byAddr = JSON.parse(mcast(G, ['groups', '-i', '10.1.0.2', '--json']).stdout);
      expect(byAddr.map((i: any) => [i.name, i.igmpVersion])).toEqual([['g1', 3]]);
    } finally {
      lab.exec(G, 'sysctl', ['-qw', 'net.ipv4.conf.g2.force_igmp_version=0']);
    }
    const bad = mcast(G, ['groups', '-i', 'nosuch0']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^mcast: no interface named "nosuch0"/);
  });
});
