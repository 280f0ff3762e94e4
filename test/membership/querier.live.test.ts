/**
 * `mcast querier` against Linux kernel hosts, behind a Linux bridge, with RFC 3376 timers made short
 * (QI 2 s, QRI 1 s, LMQI 0.5 s, RV 2: startup queries 0.5 s apart, LMQT 1 s, OQPI 4.5 s):
 *
 *   ns R: r0 10.9.0.10 ── p0 ┐
 *   ns H2: h0 10.9.0.20 ─ p2 ├─ br0 10.9.0.1 in ns SW (snooping on, its own querier off until the election test)
 *   ns H3: h0 10.9.0.30 ─ p3 ┘
 *
 * H2's link is forced to IGMPv2 (force_igmp_version 2), H3's runs the default v3. The hosts join through ordinary
 * sockets; every report is the kernel's. What the table must hold comes from what the hosts were told, and the
 * queries on the wire are read back with tshark from a tcpdump capture on r0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { mcast, mcastEntry, ndjson, runIn, sleep, startMcast, startTcpdump, type Running } from '../host/support.js';
import { IgmpHost, ensureBuiltFor, igmpFrames, until, type IgmpFrame } from './live-support.js';

const live = liveGate(['tcpdump', 'tshark', 'python3', 'bridge']);

const ROUTER = '10.9.0.10';
const BRIDGE = '10.9.0.1';
const QI = 2;
const QRI = 1;
const LMQI = 0.5;
const RV = 2;
const LMQT = LMQI * RV;
const QUERIER_ARGS = ['querier', '-i', 'r0', '--interval', String(QI), '--response', String(QRI), '--last-member-interval', String(LMQI), '--json', '--table'];

type Obj = Record<string, any>;

describe.skipIf(!live.ok)('mcast querier (live)', () => {
  let lab: Lab;
  let SW: string;
  let R: string;
  let dir: string;
  let pcap: string;
  let dump: Running;
  let h2: IgmpHost;
  let h3: IgmpHost;
  let q: Running;
  let routerMac: string;
  const extra: Running[] = [];

  const lines = (r: Running = q): Obj[] => ndjson(r.stdout);
  const latestTable = (r: Running = q): Obj | undefined => lines(r).filter((o) => o.kind === 'table').at(-1);
  const ours = (f: IgmpFrame): boolean => f.src === ROUTER && f.type === 0x11;
  const general = (f: IgmpFrame): boolean => f.group === '0.0.0.0';

  beforeAll(async () => {
    ensureBuiltFor(['querier', 'membership'], ['cli/querier.ts', 'cli/commands.ts', 'cli/main.ts']);
    dir = mkdtempSync(join(tmpdir(), 'mcast-qrr-'));
    pcap = join(dir, 'r0.pcap');
    lab = new Lab('qrr');
    SW = lab.ns('sw');
    R = lab.ns('r');
    const H2 = lab.ns('h2');
    const H3 = lab.ns('h3');
    // Bridge timers in centiseconds: when enabled, its querier queries every 2 s like ours and takes over 3 s
    // after the last query it heard from another querier.
    lab.bridge(SW, 'br0', [
      'mcast_snooping', '1', 'mcast_igmp_version', '3', 'mcast_querier', '0', 'mcast_query_use_ifaddr', '1',
      'mcast_query_interval', '200', 'mcast_query_response_interval', '100', 'mcast_startup_query_interval', '50',
      'mcast_querier_interval', '300',
    ]);
    lab.exec(SW, 'ip', ['addr', 'add', `${BRIDGE}/24`, 'dev', 'br0']);
    for (const [ns, port, addr] of [[R, 'p0', ROUTER], [H2, 'p2', '10.9.0.20'], [H3, 'p3', '10.9.0.30']] as const) {
      lab.veth(ns, ns === R ? 'r0' : 'h0', `${addr}/24`, SW, port, null);
      lab.exec(SW, 'ip', ['link', 'set', port, 'master', 'br0']);
    }
    // The router port takes every report, whoever the bridge thinks the multicast router is.
    lab.exec(SW, 'ip', ['link', 'set', 'p0', 'type', 'bridge_slave', 'mcast_router', '2']);
    lab.exec(H2, 'sysctl', ['-qw', 'net.ipv4.conf.h0.force_igmp_version=2']);
    routerMac = (JSON.parse(lab.exec(R, 'ip', ['-j', 'link', 'show', 'r0'])) as { address: string }[])[0]!.address;
    dump = await startTcpdump(lab, R, 'r0', pcap, 'igmp');
    h2 = await IgmpHost.start(lab, H2, 'h0', '10.9.0.20');
    h3 = await IgmpHost.start(lab, H3, 'h0', '10.9.0.30');
    q = startMcast(lab, R, QUERIER_ARGS);
    await q.waitFor((r) => lines(r).some((o) => o.kind === 'querier-start'), 'querier-start');
    await Promise.all([
      (async () => {
        await h2.do('join 239.1.1.1');
        await h2.do('join 239.1.1.2');
        await h2.do('ssm 232.1.1.1 10.9.0.99'); // v2 has no sources: a plain report for the group
      })(),
      (async () => {
        await h3.do('join 239.1.1.1');
        await h3.do('join 239.2.2.1');
        await h3.do('ssm 232.2.2.1 10.9.0.98 10.9.0.97');
      })(),
    ]);
  });

  afterAll(async () => {
    for (const r of [q, ...extra]) if (r !== undefined && r.child.exitCode === null) await r.stop('SIGINT').catch(() => undefined);
    await h2?.stop();
    await h3?.stop();
    if (dump !== undefined) await dump.stop('SIGINT').catch(() => undefined);
    lab?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('sends RV startup queries QI/4 apart, then a general query every QI, with the RFC 3376 header', async () => {
    const start = lines().find((o) => o.kind === 'querier-start')!;
    expect(start).toMatchObject({
      iface: 'r0', address: ROUTER, mac: routerMac, version: 3, robustness: RV, queryInterval: QI,
      queryResponseInterval: QRI, lastMemberQueryInterval: LMQI, lastMemberQueryCount: RV, startupQueryInterval: QI / 4, startupQueryCount: RV,
    });
    const qs = await until(() => {
      const g = igmpFrames(pcap).filter((f) => ours(f) && general(f));
      return g.length >= 5 ? g : undefined;
    }, 'five general queries', 15_000);
    const gaps = qs.slice(1, 5).map((f, i) => f.time - qs[i]!.time);
    expect(gaps[0]).toBeCloseTo(QI / 4, 1); // section 8.6: Startup Query Interval
    for (const g of gaps.slice(1)) expect(Math.abs(g - QI)).toBeLessThan(0.1);
    for (const f of qs) {
      // Section 4: TTL 1, IP Precedence Internetwork Control, Router Alert; 4.1.12: general queries to 224.0.0.1.
      expect(f).toMatchObject({
        dst: '224.0.0.1', ethDst: '01:00:5e:00:00:01', ethSrc: routerMac, ttl: 1, tos: 0xc0, routerAlert: true,
        version: 3, maxResp: QRI * 10, group: '0.0.0.0', s: 0, qrv: RV, qqic: QI, sources: [], checksumGood: true,
      });
    }
    // The JSON lines say the same: two startup queries, then general ones.
    const sent = lines().filter((o) => o.kind === 'query-sent' && o.igmp.group === '0.0.0.0');
    expect(sent.slice(0, 4).map((o) => o.reason)).toEqual(['startup', 'startup', 'general', 'general']);
    expect(sent[0]).toMatchObject({ iface: 'r0', src: ROUTER, dst: '224.0.0.1', length: 60 });
  });

  it('the kernel hosts answer, and the table holds their memberships', async () => {
    const want = [
      { group: '232.1.1.1', mode: 'exclude', sources: [], members: [[h2, 2]], compat: 2 },
      { group: '232.2.2.1', mode: 'include', sources: ['10.9.0.97', '10.9.0.98'], members: [[h3, 3]], compat: 3 },
      { group: '239.1.1.1', mode: 'exclude', sources: [], members: [[h2, 2], [h3, 3]], compat: 2 },
      { group: '239.1.1.2', mode: 'exclude', sources: [], members: [[h2, 2]], compat: 2 },
      { group: '239.2.2.1', mode: 'exclude', sources: [], members: [[h3, 3]], compat: 3 },
    ] as const;
    const shape = (t: Obj): unknown =>
      t.groups.map((g: Obj) => ({
        group: g.group,
        mode: g.mode,
        sources: g.sources.map((s: Obj) => s.addr).sort(),
        members: g.members.map((m: Obj) => [m.ip, m.mac, m.version]),
        compat: g.compat,
      }));
    const expected = want.map((w) => ({ ...w, sources: [...w.sources], members: w.members.map(([h, v]) => [h.ip, h.mac, v]) }));
    // The joins' unsolicited reports fill the table; the answers to general queries keep it (the final table of
    // the SIGINT test, several Group Membership Intervals later, still has the groups nobody left).
    await until(() => {
      const t = latestTable();
      return t !== undefined && JSON.stringify(shape(t)) === JSON.stringify(expected) ? t : undefined;
    }, 'the table', 5_000).catch(() => undefined);
    const table = latestTable()!;
    expect(shape(table)).toEqual(expected);
    expect(table.groups.every((g: Obj) => g.iface === 'r0' && g.vlan === null && g.requested.length === 0)).toBe(true);
    expect(table.queriers).toEqual([{ iface: 'r0', vlan: null, ip: ROUTER, version: 3, qrv: RV, qqi: QI }]);

    // Answers: after each of the last two general queries, within its Max Resp Time, a v3 report from H3 with its
    // three current-state records and a v2 report from H2 for each of its groups (4.2 and RFC 2236 section 3).
    const frames = igmpFrames(pcap);
    const qs = frames.filter((f) => ours(f) && general(f)).slice(-3, -1);
    expect(qs.length).toBe(2);
    for (const g of qs) {
      const answers = frames.filter((f) => f.time > g.time && f.time <= g.time + QRI + 0.05);
      const v3 = answers.filter((f) => f.src === h3.ip && f.type === 0x22);
      expect(v3.length).toBeGreaterThan(0);
      const records = v3.flatMap((f) => f.recordGroups.map((grp, i) => `${grp} ${f.recordTypes[i]}`)).sort();
      // MODE_IS_INCLUDE (1) for the source-specific group, MODE_IS_EXCLUDE (2) for the others.
      expect(records).toEqual(['232.2.2.1 1', '239.1.1.1 2', '239.2.2.1 2']);
      const v2 = answers.filter((f) => f.src === h2.ip && f.type === 0x16).map((f) => f.group).sort();
      expect(v2).toEqual(['232.1.1.1', '239.1.1.1', '239.1.1.2']);
      for (const f of answers.filter((a) => a.src === h2.ip)) expect(f.ethSrc).toBe(h2.mac);
    }
  });

  it('a v2 leave: Last Member Query Count group-specific queries LMQI apart, the group gone after LMQT', async () => {
    await h2.do('leave 239.1.1.2');
    const removed = await until(() => lines().find((o) => o.kind === 'group-removed' && o.group === '239.1.1.2'), 'group-removed 239.1.1.2');
    const leave = lines().find((o) => o.kind === 'leave' && o.group === '239.1.1.2')!;
    expect(leave).toMatchObject({ host: h2.ip, mac: h2.mac, version: 2 });
    // Section 6.6.3.1 / RFC 2236 section 3: the group timer is lowered to LMQT at the leave; nothing answers.
    expect(removed.time - leave.time).toBeCloseTo(LMQT, 3);
    await sleep((LMQI + 0.3) * 1000); // room for a query too many to show up
    const frames = igmpFrames(pcap);
    const wireLeave = frames.find((f) => f.type === 0x17 && f.group === '239.1.1.2')!;
    expect(wireLeave).toMatchObject({ src: h2.ip, dst: '224.0.0.2' });
    const gq = frames.filter((f) => ours(f) && f.group === '239.1.1.2');
    expect(gq.length).toBe(RV); // Last Member Query Count defaults to the Robustness Variable (8.12)
    expect(gq[0]!.time - wireLeave.time).toBeLessThan(0.05);
    expect(gq[1]!.time - gq[0]!.time).toBeCloseTo(LMQI, 1);
    for (const f of gq) {
      // 4.1.12: to the group itself; Max Resp Code from the Last Member Query Interval; S clear (no member answered).
      expect(f).toMatchObject({ dst: '239.1.1.2', ethDst: '01:00:5e:01:01:02', ttl: 1, tos: 0xc0, routerAlert: true, maxResp: LMQI * 10, s: 0, sources: [] });
    }
    expect(lines().filter((o) => o.kind === 'query-sent' && o.igmp.group === '239.1.1.2').map((o) => o.reason)).toEqual(['group', 'group']);
    expect(latestTable()!.groups.map((g: Obj) => g.group)).toEqual(['232.1.1.1', '232.2.2.1', '239.1.1.1', '239.2.2.1']);
  });

  it('a v3 source block: group-and-source-specific queries; a v3 leave: group-specific queries', async () => {
    await h3.do('unssm 232.2.2.1 10.9.0.97');
    const expired = await until(
      () => lines().find((o) => o.kind === 'source-expired' && o.group === '232.2.2.1' && o.source === '10.9.0.97'),
      'source 10.9.0.97 to expire',
    );
    await sleep((LMQI + 0.3) * 1000);
    let frames = igmpFrames(pcap);
    const block = frames.find((f) => f.src === h3.ip && f.recordGroups.includes('232.2.2.1') && f.recordTypes.includes(6))!;
    expect(block).toBeDefined();
    const gsq = frames.filter((f) => ours(f) && f.group === '232.2.2.1');
    // 6.6.3.2: Q(G,{S}) now and LMQC - 1 times more; the kernel's repeated BLOCK finds the timer already at LMQT.
    expect(gsq.map((f) => f.sources)).toEqual([['10.9.0.97'], ['10.9.0.97']]);
    expect(gsq[0]!.time - block.time).toBeLessThan(0.05);
    expect(gsq[1]!.time - gsq[0]!.time).toBeCloseTo(LMQI, 1);
    for (const f of gsq) expect(f).toMatchObject({ dst: '232.2.2.1', ethDst: '01:00:5e:02:02:01', maxResp: LMQI * 10, s: 0 });
    const blockEvent = lines().find((o) => o.kind === 'query-needed' && o.group === '232.2.2.1' && o.sources?.includes('10.9.0.97'))!;
    expect(expired.time - blockEvent.time).toBeCloseTo(LMQT, 3);

    await h3.do('leave 239.2.2.1');
    const removed = await until(() => lines().find((o) => o.kind === 'group-removed' && o.group === '239.2.2.1'), 'group-removed 239.2.2.1');
    const leave = lines().find((o) => o.kind === 'leave' && o.group === '239.2.2.1')!;
    expect(leave).toMatchObject({ host: h3.ip, mac: h3.mac, version: 3 });
    expect(removed.time - leave.time).toBeCloseTo(LMQT, 3);
    await sleep((LMQI + 0.3) * 1000);
    frames = igmpFrames(pcap);
    const gq = frames.filter((f) => ours(f) && f.group === '239.2.2.1');
    // The kernel sends TO_IN({}) RV times; each is a "Send Q(G)" (6.4.2), so at least LMQC queries, all S clear.
    expect(gq.length).toBeGreaterThanOrEqual(RV);
    for (const f of gq) expect(f).toMatchObject({ dst: '239.2.2.1', maxResp: LMQI * 10, s: 0, sources: [] });
    const last = gq.at(-1)!.time;
    expect(frames.filter((f) => ours(f) && f.group === '239.2.2.1' && f.time > last + 0.01)).toEqual([]);

    const t = latestTable()!;
    expect(t.groups.map((g: Obj) => [g.group, g.mode, g.sources.map((s: Obj) => s.addr)])).toEqual([
      ['232.1.1.1', 'exclude', []],
      ['232.2.2.1', 'include', ['10.9.0.98']],
      ['239.1.1.1', 'exclude', []],
    ]);
  });

  it('SIGINT stops it cleanly: the final table, a summary, exit 0', async () => {
    const t0 = Date.now();
    const code = await q.stop('SIGINT');
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    const all = lines();
    expect(all.slice(-2).map((o) => o.kind)).toEqual(['table', 'querier-stop']);
    expect(all.at(-2)!.groups.map((g: Obj) => g.group)).toEqual(['232.1.1.1', '232.2.2.1', '239.1.1.1']);
    const stop = all.at(-1)!;
    const sent = all.filter((o) => o.kind === 'query-sent');
    expect(stop.sent.startup + stop.sent.general + stop.sent.group + stop.sent['group-source']).toBe(sent.length);
    expect(stop.sent.startup).toBe(RV);
    expect(stop.received).toBeGreaterThan(0);
    expect(q.stderr).toBe('');
  });

  it('election: a lower-address querier silences it; it resumes an Other Querier Present Interval later', async () => {
    // The bridge's querier waits out our last query (its mcast_querier_interval, 3 s), then starts.
    const before = igmpFrames(pcap).length;
    lab.exec(SW, 'ip', ['link', 'set', 'br0', 'type', 'bridge', 'mcast_querier', '1']);
    await until(() => (igmpFrames(pcap).slice(before).some((f) => f.src === BRIDGE && f.type === 0x11) ? true : undefined), 'the bridge to query', 10_000);

    const q2 = startMcast(lab, R, QUERIER_ARGS);
    extra.push(q2);
    const elected = await until(() => lines(q2).find((o) => o.kind === 'querier-elected' && o.ip === BRIDGE), 'the bridge elected', 8_000);
    expect(elected.previous).toBe(ROUTER);
    const startTime = lines(q2).find((o) => o.kind === 'querier-start')!.time;
    // Section 6.6.2: from the first query heard from the lower address on, nothing from us for 3 query intervals.
    const window = 3 * QI;
    await sleep(window * 1000);
    let frames = igmpFrames(pcap);
    const firstOurs = frames.find((f) => ours(f) && f.time >= startTime - 0.5)!;
    const heard = frames.find((f) => f.src === BRIDGE && f.type === 0x11 && f.time > firstOurs.time)!;
    expect(heard).toMatchObject({ version: 3, group: '0.0.0.0' });
    const ourAfter = frames.filter((f) => ours(f) && f.time > heard.time + 0.01);
    expect(ourAfter).toEqual([]);
    expect(frames.filter((f) => ours(f) && f.time >= firstOurs.time).length).toBeLessThanOrEqual(RV); // startup only
    expect(latestTable(q2)!.queriers).toEqual([{ iface: 'r0', vlan: null, ip: BRIDGE, version: 3, qrv: heard.qrv, qqi: heard.qqic }]);

    // The bridge stops; OQPI = RV x QI + QRI / 2 (8.5), with RV and QI as the bridge announced them (4.1.6, 4.1.7).
    const oqpi = heard.qrv * heard.qqic + QRI / 2;
    const stoppedAt = Date.now() / 1000;
    lab.exec(SW, 'ip', ['link', 'set', 'br0', 'type', 'bridge', 'mcast_querier', '0']);
    const resumed = await until(() => {
      frames = igmpFrames(pcap);
      return frames.find((f) => ours(f) && f.time > stoppedAt);
    }, 'queries to resume', (oqpi + 3) * 1000);
    const lastBridge = frames.filter((f) => f.src === BRIDGE && f.type === 0x11 && f.time < resumed.time).at(-1)!;
    expect(Math.abs(resumed.time - lastBridge.time - oqpi)).toBeLessThan(0.3);
    expect(resumed).toMatchObject({ dst: '224.0.0.1', group: '0.0.0.0', version: 3, qrv: RV, qqic: QI });
    await until(() => (lines(q2).filter((o) => o.kind === 'querier-elected' && o.ip === ROUTER).length === 2 ? true : undefined), 'ourselves elected again');
    const kinds = lines(q2).filter((o) => o.kind === 'querier-lost' || o.kind === 'querier-elected').map((o) => `${o.kind} ${o.ip}`);
    expect(kinds).toEqual([`querier-elected ${ROUTER}`, `querier-elected ${BRIDGE}`, `querier-lost ${BRIDGE}`, `querier-elected ${ROUTER}`]);
    expect(lines(q2).filter((o) => o.kind === 'query-sent' && o.time > stoppedAt).map((o) => o.reason)[0]).toBe('general');

    expect(await q2.stop('SIGTERM')).toBe(0);
    expect(lines(q2).at(-1)!.kind).toBe('querier-stop');
  });

  it('refusals are one line with a non-zero exit, before anything is sent', () => {
    lab.exec(R, 'ip', ['link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1']); // Ethernet, down, no address
    const one = (r: { status: number | null; stderr: string }, status: number, re: RegExp): void => {
      expect([r.status, r.stderr.split('\n').filter((l) => l !== '').length]).toEqual([status, 1]);
      expect(r.stderr).toMatch(re);
    };
    one(mcast(R, ['querier', '-i', 'nosuch0']), 1, /^mcast: no such interface: nosuch0$/m);
    one(mcast(R, ['querier', '-i', 'd0']), 1, /^mcast: interface d0 is down/m);
    lab.exec(R, 'ip', ['link', 'set', 'd0', 'up']);
    lab.exec(R, 'ip', ['link', 'set', 'd1', 'up']);
    one(mcast(R, ['querier', '-i', 'd0']), 1, /^mcast: interface d0 has no IPv4 address: give the querier's with --address$/m);
    one(mcast(R, ['querier', '-i', 'd0', '--address', '10.9.9.1'], { MCAST_NATIVE: join(dir, 'none.node') }), 1, /^mcast: live capture is unavailable: the libpcap addon is not built/m);
    const nobody = runIn(R, 'setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, mcastEntry(), 'querier', '-i', 'd0', '--address', '10.9.9.1']);
    one(nobody, 1, /^mcast: a querier on d0 needs root or the CAP_NET_RAW capability/m);
    // Usage errors exit 2 (with the usage hint on a second line).
    const usage = mcast(R, ['querier', '-i', 'r0', '--interval', '2', '--response', '3']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^mcast: querier: response time \(3 s\) must be less than the query interval \(2 s\)$/m);
    expect(mcast(R, ['querier', '-i', 'r0', '--version', '4']).status).toBe(2);
    expect(mcast(R, ['querier', '-i', 'r0', '--address', '224.0.0.1']).status).toBe(2);
    expect(usage.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
