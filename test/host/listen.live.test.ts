/**
 * `mcast listen` and `mcast send` in namespaces:
 *
 *   ns A (a1 10.1.0.1) ── veth ── (l1 10.1.0.2) ns L (l2 10.2.0.2) ── veth ── (b1 10.2.0.1) ns B
 *
 * Linux does not forward multicast between l1 and l2, so what the listener receives from A and B depends only on
 * where it joined. Every count below is checked against what the senders report having sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { ensureBuilt, mcast, mcastEntry, ndjson, runIn, sleep, startMcast, startNode, type Running } from './support.js';
import { resolveInterface } from '../../src/host/iface.js';
import { McastError } from '../../src/errors.js';
import { fileURLToPath } from 'node:url';

const live = liveGate();

function summaryOf(r: Running | { stdout: string }): Record<string, any> {
  const s = ndjson(r.stdout).filter((o) => o.type === 'summary');
  expect(s).toHaveLength(1);
  return s[0]!;
}

function sendN(ns: string, target: string, iface: string, n: number, extra: string[] = []): Record<string, any> {
  const r = mcast(ns, ['send', target, '-i', iface, '-c', String(n), '--rate', '1000', '--json', '--interval', '0', ...extra]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return summaryOf(r);
}

async function listening(r: Running): Promise<Record<string, any>> {
  await r.waitFor((x) => ndjson(x.stdout).some((o) => o.type === 'listening'), 'the listener to join');
  return ndjson(r.stdout).find((o) => o.type === 'listening')!;
}

describe.skipIf(!live.ok)('mcast listen on several interfaces (live)', () => {
  let lab: Lab;
  let L: string;
  let A: string;
  let B: string;

  beforeAll(() => {
    ensureBuilt();
    lab = new Lab('lsn');
    L = lab.ns('L');
    A = lab.ns('A');
    B = lab.ns('B');
    lab.veth(A, 'a1', '10.1.0.1/24', L, 'l1', '10.1.0.2/24');
    lab.veth(B, 'b1', '10.2.0.1/24', L, 'l2', '10.2.0.2/24');
  });
  afterAll(() => lab?.destroy());

  it('joined on both interfaces, receives from senders on both links', async () => {
    const l = startMcast(lab, L, ['listen', '239.5.5.5:5000', '-i', 'l1', '-i', '10.2.0.2', '--json', '-q', '--interval', '0', '-c', '7']);
    const banner = await listening(l);
    expect(banner.joins.map((j: any) => [j.iface, j.address, j.source])).toEqual([
      ['l1', '10.1.0.2', null],
      ['l2', '10.2.0.2', null],
    ]);
    expect(sendN(A, '239.5.5.5:5000', 'a1', 3).datagrams).toBe(3);
    expect(sendN(B, '239.5.5.5:5000', 'b1', 4).datagrams).toBe(4);
    expect(await l.done()).toBe(0); // -c 7 ends it
    const sum = summaryOf(l);
    expect(sum.datagrams).toBe(7);
    const bySource = Object.fromEntries(sum.streams.map((s: any) => [s.source, [s.packets, s.lost, s.duplicates, s.reordered]]));
    expect(bySource).toEqual({ '10.1.0.1': [3, 0, 0, 0], '10.2.0.1': [4, 0, 0, 0] });
  });

  it('joined on one interface, receives only from that link', async () => {
    const l = startMcast(lab, L, ['listen', '239.5.5.5:5000', '-i', 'l1', '--json', '--interval', '0']);
    await listening(l);
    sendN(B, '239.5.5.5:5000', 'b1', 5);
    sendN(A, '239.5.5.5:5000', 'a1', 2);
    await l.waitFor((x) => ndjson(x.stdout).filter((o) => o.type === 'datagram').length >= 2, 'two datagrams from A');
    await sleep(300);
    expect(await l.stop('SIGINT')).toBe(0);
    const dgrams = ndjson(l.stdout).filter((o) => o.type === 'datagram');
    expect(dgrams.map((d) => d.source)).toEqual(['10.1.0.1', '10.1.0.1']);
    expect(summaryOf(l).streams.map((s: any) => s.source)).toEqual(['10.1.0.1']);
  });

  it('--all-interfaces joins on every up multicast interface; without -i the route decides', async () => {
    const all = startMcast(lab, L, ['listen', '239.5.5.7:5000', '--all-interfaces', '--json', '--duration', '0.2']);
    expect(await all.done()).toBe(0);
    expect(summaryOf(all).joins.map((j: any) => j.iface).sort()).toEqual(['l1', 'l2']);

    // No route covers the group in L: the kernel could not pick an interface, and mcast says so.
    const none = mcast(L, ['listen', '239.5.5.7:5000', '--duration', '0.2']);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^mcast: no route for 239\.5\.5\.7.*-i IFACE or --all-interfaces/);
    expect(none.stderr.split('\n').filter(Boolean)).toHaveLength(1);

    lab.exec(L, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', 'l2']);
    try {
      const routed = startMcast(lab, L, ['listen', '239.5.5.7:5000', '--json', '--duration', '0.2']);
      expect(await routed.done()).toBe(0);
      const banner = ndjson(routed.stdout).find((o) => o.type === 'listening')!;
      expect(banner.joins.map((j: any) => j.iface)).toEqual(['l2']);
      expect(banner.notes.join(' ')).toMatch(/interface of the route.*1 other multicast interface not joined/);
    } finally {
      lab.exec(L, 'ip', ['route', 'del', '224.0.0.0/4', 'dev', 'l2']);
    }
  });

  it('several groups on one port do not see each other (one socket per group, bound to it)', async () => {
    // Control: the kernel behaviour the design avoids. A socket bound to 0.0.0.0:5100 that joined only 239.5.5.8
    // also receives 239.5.5.9's datagrams once any socket on the host joined 239.5.5.9 (IP_MULTICAST_ALL).
    const control = startNode(lab, L, fileURLToPath(new URL('./fixtures/any-bound.mjs', import.meta.url)), ['5100', '239.5.5.8', '10.1.0.2']);
    await control.waitFor((x) => x.stdout.includes('ready'), 'the control socket');
    const g8 = startMcast(lab, L, ['listen', '239.5.5.8:5100', '-i', 'l1', '--json', '--interval', '0']);
    const g9 = startMcast(lab, L, ['listen', '239.5.5.9:5100', '-i', 'l1', '--json', '--interval', '0']);
    const both = startMcast(lab, L, ['listen', '239.5.5.8:5100', '239.5.5.9:5100', '-i', 'l1', '--json', '--interval', '0']);
    await Promise.all([listening(g8), listening(g9), listening(both)]);
    sendN(A, '239.5.5.8:5100', 'a1', 3);
    sendN(A, '239.5.5.9:5100', 'a1', 4);
    await both.waitFor((x) => ndjson(x.stdout).filter((o) => o.type === 'datagram').length >= 7, 'all seven datagrams');
    await control.waitFor((x) => x.stdout.split('\n').filter((l) => l.startsWith('got')).length >= 7, 'the control to get both groups');
    await sleep(200);
    for (const r of [g8, g9, both]) expect(await r.stop('SIGTERM')).toBe(0);
    const groupsOf = (r: Running) => ndjson(r.stdout).filter((o) => o.type === 'datagram').map((d) => d.group);
    expect(groupsOf(g8)).toEqual(Array(3).fill('239.5.5.8'));
    expect(groupsOf(g9)).toEqual(Array(4).fill('239.5.5.9'));
    expect(groupsOf(both).sort()).toEqual([...Array(3).fill('239.5.5.8'), ...Array(4).fill('239.5.5.9')]);
    expect(control.stdout.split('\n').filter((l) => l.startsWith('got')).length).toBe(7);
    await control.stop('SIGTERM');
  });

  it('leaves its groups on SIGINT, prints the summary and exits 0', async () => {
    const l = startMcast(lab, L, ['listen', '239.5.5.10:5000', '-i', 'l1', '-i', 'l2']);
    await l.waitFor((x) => x.stderr.includes('listening on'), 'the banner');
    const before = mcast(L, ['groups', '--json']);
    const joined = JSON.parse(before.stdout).filter((i: any) => i.groups.some((g: any) => g.group === '239.5.5.10')).map((i: any) => i.name);
    expect(joined.sort()).toEqual(['l1', 'l2']);
    // ip maddr show is the independent reference for what the kernel holds.
    expect(lab.exec(L, 'ip', ['maddr', 'show', 'dev', 'l2'])).toContain('inet  239.5.5.10');
    sendN(A, '239.5.5.10:5000', 'a1', 2, ['--payload', 'hello there']);
    await l.waitFor((x) => x.stdout.split('\n').filter(Boolean).length >= 2, 'two datagram lines');
    expect(await l.stop('SIGINT')).toBe(0);
    expect(l.stdout.split('\n')[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{6} 239\.5\.5\.10:5000 < 10\.1\.0\.1:\d+ 11 B "hello there"$/);
    expect(l.stderr).toMatch(/summary: 2 datagrams/);
    expect(lab.exec(L, 'ip', ['maddr', 'show'])).not.toContain('239.5.5.10');
    expect(lab.exec(L, 'cat', ['/proc/net/igmp'])).not.toContain('0A0505EF');
  });
});

describe.skipIf(!live.ok)('mcast listen and send errors (live)', () => {
  let lab: Lab;
  let L: string;

  beforeAll(() => {
    ensureBuilt();
    lab = new Lab('lse');
    L = lab.ns('L');
    const P = lab.ns('P');
    lab.veth(P, 'p1', '10.1.0.1/24', L, 'l1', '10.1.0.2/24');
    lab.veth(P, 'p2', '10.2.0.1/24', L, 'l2', '10.2.0.2/24');
  });
  afterAll(() => lab?.destroy());

  const oneLine = (r: { stderr: string }) => expect(r.stderr.trim().split('\n')).toHaveLength(1);

  it('unknown interface and foreign address: SystemError codes and one-line messages', () => {
    // Codes from the library (read-only, in the test's own namespace).
    const codeOf = (spec: string) => {
      try {
        resolveInterface(spec);
      } catch (e) {
        return (e as McastError).code;
      }
      return 'none';
    };
    expect(codeOf('mk-no-such-if')).toBe('ERR_NO_SUCH_INTERFACE');
    expect(codeOf('192.0.2.123')).toBe('ERR_ADDRESS_NOT_LOCAL');
    const a = mcast(L, ['listen', '239.5.5.5:5000', '-i', 'nosuch0']);
    expect([a.status, a.stdout]).toEqual([1, '']);
    expect(a.stderr).toMatch(/^mcast: no interface named "nosuch0" \(have: lo, l1, l2\)/);
    oneLine(a);
    const b = mcast(L, ['send', '239.5.5.5:5000', '-i', '10.9.9.9', '-c', '1']);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/^mcast: 10\.9\.9\.9 is not an address of this host/);
    oneLine(b);
  });

  it('a non-multicast group and bad options are usage errors (exit 2)', () => {
    for (const args of [
      ['listen', '10.1.1.1:5000', '-i', 'l1'],
      ['send', '192.0.2.1:5000'],
      ['send', '239.1.1.1'],
      ['listen', '239.1.1.1:5000', '-i', 'l1', '--all-interfaces'],
      ['send', '239.1.1.1:5000', '--ttl', '300'],
      ['send', '239.1.1.1:5000', '--size', '10'],
    ]) {
      const r = mcast(L, args);
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 2]);
      expect(r.stderr.startsWith('mcast: ')).toBe(true);
    }
  });

  it('a port held without SO_REUSEADDR', async () => {
    const holder = startNode(lab, L, fileURLToPath(new URL('./fixtures/any-bound.mjs', import.meta.url)), ['5200', '-', '-', 'noreuse']);
    await holder.waitFor((x) => x.stdout.includes('ready'), 'the port holder');
    const r = mcast(L, ['listen', '239.5.5.5:5200', '-i', 'l1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mcast: binding 239\.5\.5\.5:5200: the port is in use by a socket that did not set SO_REUSEADDR/);
    oneLine(r);
    await holder.stop('SIGTERM');
    // And the other way round: --no-reuse asks for the port alone while a listener shares it.
    const sharer = startMcast(lab, L, ['listen', '239.5.5.5:5201', '-i', 'l1']);
    await sharer.waitFor((x) => x.stderr.includes('listening on'), 'the first listener');
    const alone = mcast(L, ['listen', '239.5.5.5:5201', '-i', 'l1', '--no-reuse']);
    expect(alone.status).toBe(1);
    expect(alone.stderr).toMatch(/port is in use \(and --no-reuse/);
    await sharer.stop();
  });

  it('permission denied on a privileged port, as an unprivileged user', () => {
    const r = runIn(L, 'setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, mcastEntry(), 'listen', '239.5.5.5:80', '-i', 'l1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mcast: binding 239\.5\.5\.5:80: permission denied \(ports below 1024 need root or CAP_NET_BIND_SERVICE\)/);
  });

  it("too many memberships names the kernel's limit", () => {
    lab.exec(L, 'sysctl', ['-qw', 'net.ipv4.igmp_max_memberships=1']);
    try {
      const r = mcast(L, ['listen', '239.5.5.5:5300', '-i', 'l1', '-i', 'l2']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^mcast: joining 239\.5\.5\.5 on l2: the kernel's limit net\.ipv4\.igmp_max_memberships = 1 \(memberships per socket\) is reached/);
      oneLine(r);
      // Nothing was left joined by the failed attempt.
      expect(lab.exec(L, 'ip', ['maddr', 'show'])).not.toContain('239.5.5.5');
    } finally {
      lab.exec(L, 'sysctl', ['-qw', 'net.ipv4.igmp_max_memberships=20']);
    }
  });

  it('sending without -i and without a route: network unreachable, with the way out', () => {
    const r = mcast(L, ['send', '239.5.5.5:5000', '-c', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mcast: sending to 239\.5\.5\.5:5000: network unreachable: .*-i/);
    oneLine(r);
  });
});

