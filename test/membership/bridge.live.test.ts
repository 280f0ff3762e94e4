/**
 * The membership table against the Linux bridge's own (IGMPv3 snooping, per-port RFC 3376 state): hosts behind
 * br0 join and leave, the bridge queries, and at the end `mcast replay FILE --table --json` must hold what
 * `bridge -j -d mdb show` holds.
 *
 *   ns H1: h0 10.8.0.11 (forced IGMPv2) ── p1 ┐
 *   ns H2: h0 10.8.0.12 (IGMPv3)        ── p2 ├─ br0 10.8.0.1 in ns SW: mcast_snooping 1, mcast_igmp_version 3,
 *   ns H3: h0 10.8.0.13 (IGMPv3)        ── p3 ┘  mcast_querier 1 (QI 2 s, QRI 1 s, GMI 5 s, LMQI 1 s x 2)
 *
 * The mdb is per port, so the capture is too: dumpcap takes p1, p2 and p3 into one pcapng whose interface blocks
 * carry the port names, which the table keys its entries by. Each port keeps what its host sent (inbound) and the
 * queries the bridge sent it; the other hosts' v3 reports, which the bridge floods to every port (224.0.0.22 is
 * link-local), are left out: the bridge does not count them for that port either. The table's members (host IP and
 * MAC) are matched to mdb ports through the host namespace that sits on each port.
 *
 * Bridge timers follow RFC 3376 section 8 for its QRV 2 and QQIC 2 (GMI = 2 x 2 + 1 = 5 s), so the replayed table,
 * which adopts them from the bridge's queries, expires what the bridge expires.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { Running, mcast, sleep } from '../host/support.js';
import { IgmpHost, ensureBuiltFor, igmpFrames, until } from './live-support.js';

const live = liveGate(['dumpcap', 'tshark', 'python3', 'bridge']);

const BRIDGE = '10.8.0.1';
const PORTS = ['p1', 'p2', 'p3'] as const;
type Port = (typeof PORTS)[number];
/** What a port keeps: its host's frames, and the bridge's queries to it. */
const PORT_FILTER = 'igmp and (inbound or igmp[0] = 0x11)';

type Obj = Record<string, any>;

interface Entry {
  port: string;
  group: string;
  mode: 'include' | 'exclude';
  /** INCLUDE: forwarded sources; EXCLUDE: excluded sources (timer 0). */
  sources: string[];
  /** EXCLUDE: requested sources (timer running). */
  requested: string[];
}

const byKey = (a: Entry, b: Entry): number => `${a.port} ${a.group}`.localeCompare(`${b.port} ${b.group}`);

/** The bridge's (*, G) entries of IPv4 groups on the ports, in the table's terms (RFC 3376 section 6.2). */
function mdbEntries(json: Obj[]): Entry[] {
  const out: Entry[] = [];
  for (const e of json.flatMap((d) => d.mdb ?? [])) {
    if (e.src !== undefined || !String(e.grp).includes('.') || e.port === 'br0') continue; // (S, G) rows, IPv6, the bridge itself
    const list = (e.source_list ?? []) as { address: string; timer: string }[];
    const running = list.filter((s) => Number(s.timer) > 0).map((s) => s.address).sort();
    const stopped = list.filter((s) => Number(s.timer) === 0).map((s) => s.address).sort();
    out.push(
      e.filter_mode === 'include'
        ? { port: e.port, group: e.grp, mode: 'include', sources: running, requested: [] }
        : { port: e.port, group: e.grp, mode: 'exclude', sources: stopped, requested: running },
    );
  }
  return out.sort(byKey);
}

/** Seconds left on each running timer: the group timer of an EXCLUDE entry, each source timer that runs. */
function mdbTimers(json: Obj[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of json.flatMap((d) => d.mdb ?? [])) {
    if (e.src !== undefined || !String(e.grp).includes('.') || e.port === 'br0') continue;
    if (e.filter_mode === 'exclude') out[`${e.port} ${e.grp}`] = Number(e.timer);
    for (const s of (e.source_list ?? []) as { address: string; timer: string }[]) {
      if (Number(s.timer) > 0) out[`${e.port} ${e.grp} ${s.address}`] = Number(s.timer);
    }
  }
  return out;
}

function tableTimers(snap: Obj): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of snap.groups as Obj[]) {
    if (g.mode === 'exclude') out[`${g.iface} ${g.group}`] = g.expiresIn;
    for (const s of [...g.sources, ...g.requested] as Obj[]) if (s.expiresIn !== undefined) out[`${g.iface} ${g.group} ${s.addr}`] = s.expiresIn;
  }
  return out;
}

function tableEntries(snap: Obj): Entry[] {
  return (snap.groups as Obj[])
    .map((g) => ({
      port: g.iface,
      group: g.group,
      mode: g.mode,
      sources: g.sources.map((s: Obj) => s.addr).sort(),
      requested: g.requested.map((s: Obj) => s.addr).sort(),
    }))
    .sort(byKey);
}

describe.skipIf(!live.ok)('membership table against the bridge mdb (live)', () => {
  let lab: Lab;
  let SW: string;
  let dir: string;
  let file: string;
  let capture: Running;
  const hosts = new Map<Port, IgmpHost>();
  const extra: Running[] = [];

  beforeAll(async () => {
    ensureBuiltFor(['membership', 'replay'], ['cli/replay.ts', 'cli/commands.ts', 'cli/main.ts']);
    dir = mkdtempSync(join(tmpdir(), 'mcast-brm-'));
    file = join(dir, 'ports.pcapng');
    lab = new Lab('brm');
    SW = lab.ns('sw');
    // Centiseconds. The querier is switched on once the bridge has its address (mcast_query_use_ifaddr).
    lab.bridge(SW, 'br0', [
      'mcast_snooping', '1', 'mcast_igmp_version', '3', 'mcast_query_use_ifaddr', '1', 'mcast_query_interval', '200',
      'mcast_query_response_interval', '100', 'mcast_startup_query_interval', '50', 'mcast_membership_interval', '500',
      'mcast_querier_interval', '450', 'mcast_last_member_interval', '100', 'mcast_last_member_count', '2',
    ]);
    lab.exec(SW, 'ip', ['addr', 'add', `${BRIDGE}/24`, 'dev', 'br0']);
    lab.exec(SW, 'ip', ['link', 'set', 'br0', 'type', 'bridge', 'mcast_querier', '1']);
    const hostNs: Record<Port, string> = { p1: lab.ns('h1'), p2: lab.ns('h2'), p3: lab.ns('h3') };
    for (const [i, port] of PORTS.entries()) {
      lab.veth(hostNs[port], 'h0', `10.8.0.${11 + i}/24`, SW, port, null);
      lab.exec(SW, 'ip', ['link', 'set', port, 'master', 'br0']);
    }
    lab.exec(hostNs.p1, 'sysctl', ['-qw', 'net.ipv4.conf.h0.force_igmp_version=2']);
    capture = new Running(lab.spawn(SW, 'dumpcap', [...PORTS.flatMap((p) => ['-i', p, '-f', PORT_FILTER]), '-s', '1024', '-w', file]));
    extra.push(capture);
    await capture.waitFor((r) => /Capturing on/.test(r.stderr), 'dumpcap to capture');
    for (const [i, port] of PORTS.entries()) hosts.set(port, await IgmpHost.start(lab, hostNs[port], 'h0', `10.8.0.${11 + i}`));
  });

  afterAll(async () => {
    for (const h of hosts.values()) await h.stop();
    for (const r of extra) if (r.child.exitCode === null) await r.stop('SIGINT').catch(() => undefined);
    lab?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('after joins and leaves, replay --table lists the groups, ports/hosts, modes and sources of bridge mdb', async () => {
    const h1 = hosts.get('p1')!;
    const h2 = hosts.get('p2')!;
    const h3 = hosts.get('p3')!;
    const mdb = (): Entry[] => mdbEntries(JSON.parse(lab.exec(SW, 'bridge', ['-j', '-d', 'mdb', 'show'])) as Obj[]);
    // Joins: v2 any-source; v3 any-source, source-specific, and any-source with a blocked source.
    await Promise.all([
      (async () => {
        for (const g of ['239.3.3.1', '239.3.3.2', '239.3.3.3']) await h1.do(`join ${g}`);
      })(),
      (async () => {
        await h2.do('join 239.3.3.1');
        await h2.do('ssm 232.3.3.1 10.8.0.101 10.8.0.102');
        await h2.do('join 239.3.3.4');
        await h2.do('block 239.3.3.4 10.8.0.199');
      })(),
      (async () => {
        await h3.do('join 239.3.3.3');
        await h3.do('ssm 232.3.3.1 10.8.0.103');
        await h3.do('join 239.3.3.5');
      })(),
    ]);
    await until(() => (mdb().length === 9 ? true : undefined), 'nine mdb entries');
    await sleep(2500); // one general query round and its answers on every port

    // Leaves: a v2 leave, a v3 leave of an any-source group (one of two ports keeps it), a v3 source drop.
    await h1.do('leave 239.3.3.2');
    await h2.do('leave 239.3.3.1');
    await h2.do('unssm 232.3.3.1 10.8.0.102');
    await h3.do('leave 239.3.3.5');
    const want: Entry[] = [
      { port: 'p1', group: '239.3.3.1', mode: 'exclude', sources: [], requested: [] },
      { port: 'p1', group: '239.3.3.3', mode: 'exclude', sources: [], requested: [] },
      { port: 'p2', group: '232.3.3.1', mode: 'include', sources: ['10.8.0.101'], requested: [] },
      { port: 'p2', group: '239.3.3.4', mode: 'exclude', sources: ['10.8.0.199'], requested: [] },
      { port: 'p3', group: '232.3.3.1', mode: 'include', sources: ['10.8.0.103'], requested: [] },
      { port: 'p3', group: '239.3.3.3', mode: 'exclude', sources: [], requested: [] },
    ];
    // The bridge asks (Q(G), Q(G,S)) and forgets after its Last Member Query Time, 2 s; then a query round more.
    await until(() => (JSON.stringify(mdb()) === JSON.stringify(want) ? true : undefined), 'the mdb after the leaves', 10_000).catch(() => undefined);
    expect(mdb()).toEqual(want);
    await sleep(2500);

    const at = new Date();
    const raw = JSON.parse(lab.exec(SW, 'bridge', ['-j', '-d', '-s', 'mdb', 'show'])) as Obj[];
    const dumped = Date.now() / 1000;
    const bridgeNow = mdbEntries(raw);
    // dumpcap reads the kernel's ring in blocks: let the frames around the dump reach the file before stopping.
    await sleep(1500);
    expect(await capture.stop('SIGINT')).toBe(0);
    // The bridge's Query Response Interval (its general queries' Max Resp Code) for the GMI, section 8.4.
    const replay = ['replay', file, '--table', '--response-interval', '1', '--at', at.toISOString()];
    const r = mcast(SW, [...replay, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const snap = JSON.parse(r.stdout.trim()) as Obj;

    expect(tableEntries(snap)).toEqual(bridgeNow);
    expect(bridgeNow).toEqual(want);
    // Same timers, to the timing of the two readings (the table at `at`, the mdb dump a few ms later). A port
    // whose host reported between the two is left out: the bridge counted that report and the table did not.
    const frames = igmpFrames(file);
    const busy = new Set(frames.filter((f) => f.type !== 0x11 && f.time > at.getTime() / 1000 - 0.01 && f.time < dumped + 0.01).map((f) => f.iface));
    const ours = tableTimers(snap);
    const theirs = mdbTimers(raw);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    const compared = Object.keys(theirs).filter((k) => !busy.has(k.split(' ')[0]!));
    expect(compared.length).toBeGreaterThanOrEqual(3);
    for (const k of compared) expect([k, ours[k], theirs[k], Math.abs(ours[k]! - theirs[k]!) < 0.3]).toEqual([k, ours[k], theirs[k], true]);
    // Members: exactly the host on that port, with its MAC; compat v2 on the port of the v2 host (section 7.3.2).
    for (const g of snap.groups as Obj[]) {
      const host = hosts.get(g.iface as Port)!;
      expect([g.iface, g.group, g.members.map((m: Obj) => [m.ip, m.mac, m.version])]).toEqual([g.iface, g.group, [[host.ip, host.mac, g.iface === 'p1' ? 2 : 3]]]);
      expect([g.iface, g.group, g.compat]).toEqual([g.iface, g.group, g.iface === 'p1' ? 2 : 3]);
      expect(g.vlan).toBe(null);
    }
    // The bridge is the querier on every port, with the QRV and QQIC it announces.
    expect(snap.queriers).toEqual(PORTS.map((p) => ({ iface: p, vlan: null, ip: BRIDGE, version: 3, qrv: 2, qqi: 2 })));

    // The capture has what the table needed: reports in, and the bridge's specific queries out of the leaving ports.
    expect(frames.some((f) => f.type === 0x17 && f.group === '239.3.3.2' && f.src === h1.ip)).toBe(true);
    expect(frames.some((f) => f.type === 0x11 && f.src === BRIDGE && f.group === '239.3.3.2')).toBe(true);
    expect(frames.some((f) => f.type === 0x11 && f.src === BRIDGE && f.group === '232.3.3.1' && f.sources.includes('10.8.0.102'))).toBe(true);
    // Each port kept its own host's messages only.
    for (const port of PORTS) {
      expect([port, [...new Set(frames.filter((f) => f.iface === port && f.type !== 0x11).map((f) => f.src))]]).toEqual([port, [hosts.get(port)!.ip]]);
    }

    // The text form: the same rows, one per (port, group).
    const text = mcast(SW, replay);
    expect(text.status).toBe(0);
    const rows = text.stdout.split('\n').filter((l) => /^p\d /.test(l) && / v[23]$/.test(l));
    expect(rows.map((l) => l.split(/\s+/).slice(0, 4).join(' '))).toEqual(want.map((w) => `${w.port} - ${w.group} ${w.mode}`));
  });
});
