/**
 * `mcast doctor` finds faults planted in a namespace, one at a time, and is quiet once each is undone.
 *
 *   ns D (d1 10.3.0.2) ── veth ── (p1, port of bridge br0 10.3.0.1) ns P
 *
 * br0 can act as IGMP querier (mcast_querier 1), which is what the --listen check must find.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { ensureBuilt, mcast } from './support.js';

const live = liveGate();

interface Finding {
  check: string;
  severity: 'ok' | 'info' | 'warn' | 'fail';
  iface: string | null;
  message: string;
  fix: string | null;
}

describe.skipIf(!live.ok)('mcast doctor finds planted faults (live)', () => {
  let lab: Lab;
  let D: string;
  let P: string;

  function doctor(args: string[] = []): { status: number | null; findings: Finding[] } {
    const r = mcast(D, ['doctor', '-i', 'd1', '--json', ...args]);
    expect(r.stderr).toBe('');
    return { status: r.status, findings: JSON.parse(r.stdout).findings };
  }
  const of = (f: Finding[], check: string) => f.filter((x) => x.check === check);
  const bad = (f: Finding[]) => f.filter((x) => x.severity === 'fail' || x.severity === 'warn').map((x) => `${x.check}:${x.severity}`);
  const sysctl = (kv: string) => lab.exec(D, 'sysctl', ['-qw', kv]);

  beforeAll(() => {
    ensureBuilt();
    lab = new Lab('doc');
    D = lab.ns('D');
    P = lab.ns('P');
    lab.bridge(P, 'br0', ['mcast_snooping', '1']);
    lab.exec(P, 'ip', ['addr', 'add', '10.3.0.1/24', 'dev', 'br0']);
    lab.veth(P, 'p1', null, D, 'd1', '10.3.0.2/24');
    lab.exec(P, 'ip', ['link', 'set', 'p1', 'master', 'br0']);
    sysctl('net.ipv4.conf.all.rp_filter=0');
    sysctl('net.ipv4.conf.d1.rp_filter=0');
  });
  afterAll(() => lab?.destroy());

  it('missing route for 224.0.0.0/4, then healthy once it is added', () => {
    const before = doctor();
    expect(before.status).toBe(1);
    expect(bad(before.findings)).toEqual(['route:fail']);
    expect(of(before.findings, 'route')[0]!.fix).toContain('ip route add 224.0.0.0/4 dev d1');
    lab.exec(D, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', 'd1']);
    const after = doctor();
    expect([after.status, bad(after.findings)]).toEqual([0, []]);
    expect(of(after.findings, 'route')[0]!.message).toContain('uses d1 (route 224.0.0.0/4 dev d1)');
  });

  it('strict rp_filter: a warning, a failure for a source with no route back, fine for one on the link', () => {
    sysctl('net.ipv4.conf.d1.rp_filter=1');
    try {
      const plain = doctor();
      expect(bad(plain.findings)).toEqual(['rp_filter:warn']);
      const foreign = doctor(['--source', '192.0.2.1']);
      expect(foreign.status).toBe(1);
      expect(of(foreign.findings, 'rp_filter')[0]).toMatchObject({ severity: 'fail', iface: 'd1' });
      expect(of(foreign.findings, 'rp_filter')[0]!.message).toContain('no route back to 192.0.2.1');
      const onLink = doctor(['--source', '10.3.0.1']);
      expect(of(onLink.findings, 'rp_filter')[0]!.severity).toBe('ok');
    } finally {
      sysctl('net.ipv4.conf.d1.rp_filter=0');
    }
  });

  it('interface down', () => {
    lab.exec(D, 'ip', ['link', 'set', 'd1', 'down']);
    try {
      const r = doctor();
      expect(r.status).toBe(1);
      expect(of(r.findings, 'link')[0]).toMatchObject({ severity: 'fail' });
      expect(of(r.findings, 'link')[0]!.fix).toMatch(/^ip link set d1 up/);
      // Taking the link down also deleted the route through it, and the doctor sees that too.
      expect(of(r.findings, 'route')[0]).toMatchObject({ severity: 'fail' });
      expect(of(r.findings, 'ipv4')[0]).toMatchObject({ severity: 'ok', message: 'd1 has IPv4 10.3.0.2/24' });
    } finally {
      lab.exec(D, 'ip', ['link', 'set', 'd1', 'up']);
      lab.exec(D, 'ip', ['route', 'replace', '224.0.0.0/4', 'dev', 'd1']);
    }
  });

  it('force_igmp_version 1 (and mcast groups shows the kernel answering in v1)', () => {
    sysctl('net.ipv4.conf.d1.force_igmp_version=1');
    try {
      const r = doctor();
      expect(r.status).toBe(1);
      expect(of(r.findings, 'igmp-version')[0]).toMatchObject({ severity: 'fail', fix: 'sysctl -w net.ipv4.conf.d1.force_igmp_version=0' });
      const groups = JSON.parse(mcast(D, ['groups', '-i', 'd1', '--json']).stdout);
      expect(groups[0]).toMatchObject({ name: 'd1', igmpVersion: 1, versionReason: 'forced', forceIgmpVersion: 1 });
      // The kernel's own column agrees: /proc/net/igmp says V1 for d1.
      expect(lab.exec(D, 'cat', ['/proc/net/igmp'])).toMatch(/\bd1\s+:\s+\d+\s+V1\b/);
    } finally {
      sysctl('net.ipv4.conf.d1.force_igmp_version=0');
    }
  });

  it('querier: none heard, then the bridge querier is', () => {
    const none = doctor(['--listen', '1.5']);
    expect(of(none.findings, 'querier')[0]).toMatchObject({ severity: 'warn' });
    lab.exec(P, 'ip', ['link', 'set', 'br0', 'type', 'bridge', 'mcast_igmp_version', '3', 'mcast_query_use_ifaddr', '1', 'mcast_query_interval', '100', 'mcast_startup_query_interval', '100', 'mcast_querier', '1']);
    const heard = doctor(['--listen', '5']);
    expect(of(heard.findings, 'querier')[0]).toMatchObject({ severity: 'ok', iface: 'd1' });
    expect(of(heard.findings, 'querier')[0]!.message).toMatch(/IGMPv3 querier 10\.3\.0\.1 heard, query interval 1 s/);
  });

  it('text output: one line per finding, fixes indented, and the counts', () => {
    const r = mcast(D, ['doctor', '-i', 'd1', '--source', '192.0.2.1']);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('[FAIL]'))).toEqual([]); // rp_filter is 0 again
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('[ ok ] link: d1 is up (operstate up)');
    expect(lines[lines.length - 1]).toMatch(/^0 failed, \d+ warnings, \d+ ok, \d+ notes$/);
  });
});
