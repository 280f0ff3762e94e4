// The doctor's decisions on recorded host states (a fake DoctorEnv); the live test plants the same faults in
// namespaces and checks the real readings.
import { describe, expect, it } from 'vitest';
import { analyzeFirewall, diagnose, type DoctorEnv, type Finding } from '../../src/host/doctor.js';
import type { HostInterface } from '../../src/host/iface.js';
import { parseProcNetRoute } from '../../src/host/procnet.js';
import type { IgmpHeard } from '../../src/host/sniff.js';

const eth0: HostInterface = { name: 'eth0', index: 2, up: true, running: true, operstate: 'up', multicast: true, loopback: false, mtu: 1500, ipv4: [{ address: '10.0.0.2', prefixLength: 24 }] };
const lo: HostInterface = { name: 'lo', index: 1, up: true, running: true, operstate: 'unknown', multicast: false, loopback: true, mtu: 65536, ipv4: [{ address: '127.0.0.1', prefixLength: 8 }] };
// Route text in /proc/net/route form (little-endian hex): 10.0.0.0/24 dev eth0, 224.0.0.0/4 dev eth0.
const ROUTES = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\neth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\neth0\t000000E0\t00000000\t0001\t0\t0\t0\t000000F0\t0\t0\t0\n';

function env(over: Partial<DoctorEnv> & { sysctls?: Record<string, number>; ifaces?: HostInterface[] } = {}): DoctorEnv {
  const sys: Record<string, number> = { igmp_max_memberships: 20, igmp_max_msf: 10, ...over.sysctls };
  return {
    interfaces: () => over.ifaces ?? [lo, eth0],
    routes: () => parseProcNetRoute(ROUTES, true),
    sysctl: (n) => sys[n] ?? 0,
    igmp: () => [{ index: 2, name: 'eth0', count: 1, version: 3, groups: [] }],
    firewall: () => null,
    sniffQueries: async () => [],
    ...over,
  };
}

const opts = { iface: 'eth0', sources: [] as string[], group: '239.1.1.1', listenSeconds: 0 };
const by = (f: Finding[], check: string) => f.filter((x) => x.check === check);

describe('doctor decisions', () => {
  it('a healthy interface: no warning, no failure', async () => {
    const f = await diagnose(opts, env());
    expect(f.filter((x) => x.severity === 'fail' || x.severity === 'warn')).toEqual([]);
    expect(by(f, 'route')[0]).toMatchObject({ severity: 'ok', iface: 'eth0' });
  });

  it('strict rp_filter: a warning, and a failure for a source routed elsewhere or not at all', async () => {
    const e = env({ sysctls: { 'conf/all/rp_filter': 0, 'conf/eth0/rp_filter': 1 } });
    expect(by(await diagnose(opts, e), 'rp_filter')[0]!.severity).toBe('warn');
    const f = by(await diagnose({ ...opts, sources: ['10.0.0.9', '192.0.2.1'] }, e), 'rp_filter');
    expect(f.map((x) => x.severity)).toEqual(['ok', 'fail']);
    expect(f[1]!.fix).toContain('ip route add 192.0.2.1/32 dev eth0');
    // "all" counts too: the effective value is the larger.
    const all = by(await diagnose(opts, env({ sysctls: { 'conf/all/rp_filter': 1 } })), 'rp_filter')[0]!;
    expect(all.severity).toBe('warn');
    expect(all.fix).toContain('sysctl -w net.ipv4.conf.eth0.rp_filter=2');
  });

  it('forced IGMP versions', async () => {
    const v1 = by(await diagnose(opts, env({ sysctls: { 'conf/eth0/force_igmp_version': 1 } })), 'igmp-version')[0]!;
    expect(v1).toMatchObject({ severity: 'fail', fix: 'sysctl -w net.ipv4.conf.eth0.force_igmp_version=0' });
    const v2 = by(await diagnose(opts, env({ sysctls: { 'conf/all/force_igmp_version': 2 } })), 'igmp-version')[0]!;
    expect(v2.severity).toBe('warn');
    const v2ssm = by(await diagnose({ ...opts, sources: ['10.0.0.9'] }, env({ sysctls: { 'conf/all/force_igmp_version': 2 } })), 'igmp-version')[0]!;
    expect(v2ssm.severity).toBe('fail');
  });

  it('down, no address, no MULTICAST flag, no route', async () => {
    const bad: HostInterface = { ...eth0, up: false, multicast: false, ipv4: [] };
    const f = await diagnose(opts, env({ ifaces: [lo, bad], routes: () => [] }));
    expect(['link', 'ipv4', 'multicast-flag', 'route'].map((c) => by(f, c)[0]!.severity)).toEqual(['fail', 'fail', 'fail', 'fail']);
  });

  it('the group routed via another interface', async () => {
    const eth1: HostInterface = { ...eth0, name: 'eth1', index: 3, ipv4: [{ address: '10.1.0.2', prefixLength: 24 }] };
    const f = by(await diagnose({ ...opts, iface: 'eth1' }, env({ ifaces: [lo, eth0, eth1] })), 'route')[0]!;
    expect(f).toMatchObject({ severity: 'warn', iface: 'eth1' });
  });

  it('membership limit below the number of multicast interfaces', async () => {
    const f = by(await diagnose(opts, env({ sysctls: { igmp_max_memberships: 0 } })), 'limits');
    expect(f[0]).toMatchObject({ severity: 'fail' });
  });

  it('querier: heard, not heard, not checked', async () => {
    const q: IgmpHeard = { timeUs: 0, source: '10.0.0.1', destination: '224.0.0.1', ttl: 1, routerAlert: true, igmp: { type: 'query', typeCode: 0x11, version: 3, maxRespCode: 100, group: '0.0.0.0', qqi: 125 } };
    expect(by(await diagnose({ ...opts, listenSeconds: 1 }, env({ sniffQueries: async () => [q] })), 'querier')[0]).toMatchObject({ severity: 'ok' });
    expect(by(await diagnose({ ...opts, listenSeconds: 1 }, env()), 'querier')[0]).toMatchObject({ severity: 'warn' });
    expect(by(await diagnose(opts, env()), 'querier')[0]).toMatchObject({ severity: 'info' });
  });
});

describe('firewall dumps', () => {
  // Written by hand in the formats iptables-save and `nft list ruleset` print (neither tool is on the test host).
  const IPT_DROP = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n';
  const IPT_OK = IPT_DROP.replace('COMMIT', '-A INPUT -p igmp -j ACCEPT\n-A INPUT -d 224.0.0.0/4 -p udp -j ACCEPT\nCOMMIT');
  const IPT_RULE = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p igmp -j DROP\nCOMMIT\n';
  const NFT_DROP = 'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tct state established,related accept\n\t}\n\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n\t\tmeta pkttype multicast accept\n\t}\n}\n';
  const NFT_OK = NFT_DROP.replace('ct state established,related accept', 'ct state established,related accept\n\t\tmeta pkttype multicast accept');

  it('policy drop without an accept for multicast is a warning', () => {
    expect(analyzeFirewall({ tool: 'iptables-save', text: IPT_DROP }).map((f) => f.severity)).toEqual(['warn']);
    expect(analyzeFirewall({ tool: 'nft', text: NFT_DROP }).map((f) => f.severity)).toEqual(['warn']);
  });
  it('accept rules make it fine', () => {
    expect(analyzeFirewall({ tool: 'iptables-save', text: IPT_OK }).map((f) => f.severity)).toEqual(['ok']);
    expect(analyzeFirewall({ tool: 'nft', text: NFT_OK }).map((f) => f.severity)).toEqual(['ok']);
  });
  it('an explicit drop of IGMP is named', () => {
    const f = analyzeFirewall({ tool: 'iptables-save', text: IPT_RULE });
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('-A INPUT -p igmp -j DROP');
  });
  it('unreadable: a note', () => {
    expect(analyzeFirewall(null)[0]!.severity).toBe('info');
  });
});
