/**
 * `mcast sniff` against the Linux kernel, in namespaces this file creates and removes:
 *
 *   ns H (host)                                 ns S (sniffer)
 *   h-v2 10.51.2.2/24  ── veth ──  r-v2 10.51.2.1/24     host side: force_igmp_version=2
 *   h-v3 10.51.3.2/24  ── veth ──  r-v3 10.51.3.1/24     host side: force_igmp_version=3
 *
 * In H a Python driver joins and leaves groups through ordinary sockets (any-source and source-specific joins,
 * blocked and dropped sources, leaves), so every IGMP message is the kernel's own. What the kernel must send is
 * worked out here from those socket calls (RFC 3376 sections 3.2 and 5.1 for v3, RFC 2236 section 3 for v2), never
 * from mcastkit's code. tcpdump beside each sniffer is the reference for frame count, bytes and nanosecond
 * timestamps; tcpdump -r and tshark read back what `-w` wrote.
 *
 * Both taps read the same stamp because the driver holds a socket with SO_TIMESTAMPNS: the kernel then stamps each
 * received skb once (net_enable_timestamp) instead of each tap reading the clock itself.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { Running, mcast, mcastEntry, ndjson, runIn, sleep, startMcast } from '../host/support.js';
import { readClassicPcap } from './support.js';

const live = liveGate(['tcpdump', 'tshark', 'python3', 'setpriv']);

/** Seconds between the driver's steps: more than a v2 first-report delay (<= 200 ms) plus one retransmission. */
const PAUSE = 0.45;
const ADDR = { 'h-v2': '10.51.2.2', 'h-v3': '10.51.3.2' } as const;
const PEER = { 'h-v2': '10.51.2.1', 'h-v3': '10.51.3.1' } as const;
type HostIf = keyof typeof ADDR;

// ---- the build -------------------------------------------------------------------------------------------

/** The commands run from dist/ (a namespaced child cannot use vitest's transform): compile when it is stale. */
function ensureSniffBuilt(): void {
  ensureBuilt((s) => s.startsWith('capture/') || s === 'cli/sniff.ts' || s === 'cli/commands.ts');
}

// ---- the host's socket calls and what the kernel must send for them ---------------------------------------

type Op =
  | { op: 'join' | 'leave'; sock: string; iface: HostIf; group: string }
  | { op: 'ssm' | 'unssm' | 'block' | 'unblock'; sock: string; iface: HostIf; group: string; source: string }
  | { op: 'close'; sock: string; iface: HostIf }
  | { op: 'send'; iface: HostIf; group: string; port: number; sizes: number[] };

const DRIVER = String.raw`
import json, socket, struct, sys, time
# linux/in.h; Python's socket module lacks them before 3.12.
OPS = {'unblock': 37, 'block': 38, 'ssm': 39, 'unssm': 40}
SO_TIMESTAMPNS = 35
steps, pause, addrs = json.loads(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])
keep = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
keep.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
time.sleep(0.3)  # the timestamp switch is flipped from a workqueue
socks = {}
def mreqn(group, ifname):  # struct ip_mreqn: multiaddr, address (any), ifindex
    return socket.inet_aton(group) + socket.inet_aton('0.0.0.0') + struct.pack('@i', socket.if_nametoindex(ifname))
for i, step in enumerate(steps):
    for op in step:
        kind = op['op']
        if kind == 'close':
            socks.pop(op['sock']).close()
        elif kind == 'send':
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(addrs[op['iface']]))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
            for n in op['sizes']:
                s.sendto(bytes(range(256)) * (n // 256) + bytes(range(n % 256)), (op['group'], op['port']))
                time.sleep(0.005)
            s.close()
        else:
            s = socks.setdefault(op['sock'], socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            if kind == 'join':
                s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn(op['group'], op['iface']))
            elif kind == 'leave':
                s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreqn(op['group'], op['iface']))
            else:  # struct ip_mreq_source: multiaddr, interface, sourceaddr
                m = socket.inet_aton(op['group']) + socket.inet_aton(addrs[op['iface']]) + socket.inet_aton(op['source'])
                s.setsockopt(socket.IPPROTO_IP, OPS[kind], m)
    print(json.dumps({'step': i}), flush=True)
    time.sleep(pause)
`;

interface Filter {
  mode: 'include' | 'exclude';
  sources: Set<string>;
}

/** One interface's socket filters (socket -> group -> filter), as Linux keeps them per socket. */
class HostModel {
  private readonly socks = new Map<string, Map<string, Filter>>();

  apply(op: Op): void {
    if (op.op === 'send') return;
    if (op.op === 'close') {
      this.socks.delete(op.sock);
      return;
    }
    const groups = this.socks.get(op.sock) ?? new Map<string, Filter>();
    this.socks.set(op.sock, groups);
    const f = groups.get(op.group);
    switch (op.op) {
      case 'join':
        groups.set(op.group, { mode: 'exclude', sources: new Set() });
        break;
      case 'leave':
        groups.delete(op.group);
        break;
      case 'ssm':
        if (f === undefined) groups.set(op.group, { mode: 'include', sources: new Set([op.source]) });
        else f.sources.add(op.source);
        break;
      case 'unssm':
        f!.sources.delete(op.source);
        // Dropping the last source leaves the group.
        if (f!.sources.size === 0) groups.delete(op.group);
        break;
      case 'block':
        f!.sources.add(op.source);
        break;
      case 'unblock':
        f!.sources.delete(op.source);
        break;
    }
  }

  /** The interface state per group, merged from the sockets as RFC 3376 section 3.2 says; INCLUDE({}) is absent. */
  state(): Map<string, Filter> {
    const out = new Map<string, Filter>();
    const all = new Set<string>();
    for (const g of this.socks.values()) for (const k of g.keys()) all.add(k);
    for (const group of all) {
      const fs = [...this.socks.values()].map((g) => g.get(group)).filter((f): f is Filter => f !== undefined);
      const ex = fs.filter((f) => f.mode === 'exclude');
      const inc = new Set(fs.filter((f) => f.mode === 'include').flatMap((f) => [...f.sources]));
      if (ex.length > 0) {
        const common = [...ex[0]!.sources].filter((s) => ex.every((f) => f.sources.has(s)) && !inc.has(s));
        out.set(group, { mode: 'exclude', sources: new Set(common) });
      } else if (inc.size > 0) {
        out.set(group, { mode: 'include', sources: inc });
      }
    }
    return out;
  }
}

const recKey = (type: string, group: string, sources: Iterable<string>) => `${type} ${group} {${[...sources].sort().join(',')}}`;
const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x));

/** IGMPv3 records for a state change, RFC 3376 section 5.1 (a group not there is INCLUDE({})). */
function v3Records(before: Map<string, Filter>, after: Map<string, Filter>): string[] {
  const none: Filter = { mode: 'include', sources: new Set() };
  const out: string[] = [];
  for (const g of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(g) ?? none;
    const b = after.get(g) ?? none;
    if (a.mode === 'include' && b.mode === 'include') {
      if (minus(b.sources, a.sources).length) out.push(recKey('ALLOW_NEW_SOURCES', g, minus(b.sources, a.sources)));
      if (minus(a.sources, b.sources).length) out.push(recKey('BLOCK_OLD_SOURCES', g, minus(a.sources, b.sources)));
    } else if (a.mode === 'exclude' && b.mode === 'exclude') {
      if (minus(a.sources, b.sources).length) out.push(recKey('ALLOW_NEW_SOURCES', g, minus(a.sources, b.sources)));
      if (minus(b.sources, a.sources).length) out.push(recKey('BLOCK_OLD_SOURCES', g, minus(b.sources, a.sources)));
    } else if (b.mode === 'exclude') {
      out.push(recKey('CHANGE_TO_EXCLUDE_MODE', g, b.sources));
    } else {
      out.push(recKey('CHANGE_TO_INCLUDE_MODE', g, b.sources));
    }
  }
  return out.sort();
}

/** IGMPv2 messages for a state change (RFC 2236 section 3): a report for a new group, a leave for a gone one. */
function v2Messages(before: Map<string, Filter>, after: Map<string, Filter>): string[] {
  const out: string[] = [];
  for (const g of after.keys()) if (!before.has(g)) out.push(`report ${g}`);
  for (const g of before.keys()) if (!after.has(g)) out.push(`leave ${g}`);
  return out.sort();
}

/** Per step, what the interface's kernel must send (empty: nothing changed there). */
function expectedPerStep(steps: Op[][], iface: HostIf, version: 2 | 3): string[][] {
  const m = new HostModel();
  return steps.map((step) => {
    const before = m.state();
    for (const op of step) if (op.iface === iface) m.apply(op);
    const after = m.state();
    return version === 3 ? v3Records(before, after) : v2Messages(before, after);
  });
}

/**
 * Every frame is one message (v2) or a set of records (v3) belonging to a step, steps in order (a step's message
 * repeats as the kernel retransmits it), and every expected item of every step shows up.
 */
function matchSteps(frames: string[][], expected: string[][]): void {
  const seen = expected.map(() => new Set<string>());
  let cur = 0;
  for (const [i, items] of frames.entries()) {
    let k = cur;
    while (k < expected.length && !items.every((x) => expected[k]!.includes(x))) k++;
    expect(k, `frame ${i + 1} (${items.join('; ')}) matches no step from ${cur} on`).toBeLessThan(expected.length);
    for (const x of items) seen[k]!.add(x);
    cur = k;
  }
  expected.forEach((exp, k) => expect([...seen[k]!].sort(), `step ${k}`).toEqual(exp));
}

// ---- helpers ----------------------------------------------------------------------------------------------

/** ISO-8601 with 9 fractional digits from a pcap record's seconds and nanoseconds, by Date (independent). */
const isoNs = (sec: number, ns: number) => `${new Date(sec * 1000).toISOString().slice(0, 19)}.${String(ns).padStart(9, '0')}Z`;

function sniffJson(r: Running): Record<string, any>[] {
  return ndjson(r.stdout);
}

/** The JSON objects sniff wrote to stderr (banner, summary). */
function stderrJson(r: Running): Record<string, any>[] {
  return ndjson(r.stderr);
}

async function startSniff(lab: Lab, ns: string, args: string[]): Promise<Running> {
  const r = startMcast(lab, ns, ['sniff', ...args]);
  await r.waitFor((x) => x.stderr.includes('listening on') || x.stderr.includes('"type":"listening"'), 'mcast sniff to listen');
  return r;
}

async function startTcpdumpNano(lab: Lab, ns: string, iface: string, file: string, filter: string): Promise<Running> {
  const r = new Running(lab.spawn(ns, 'tcpdump', ['-Z', 'root', '-i', iface, '--immediate-mode', '-U', '-n', '--time-stamp-precision=nano', '-w', file, filter]));
  await r.waitFor((x) => x.stderr.includes('listening on'), 'tcpdump to listen');
  return r;
}

async function drive(lab: Lab, ns: string, driver: string, steps: Op[][]): Promise<void> {
  const r = new Running(lab.spawn(ns, 'python3', [driver, JSON.stringify(steps), String(PAUSE), JSON.stringify(ADDR)]));
  expect(await r.done(60_000), r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(steps.length);
}

function tshark(file: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

function replayJson(file: string, extra: string[] = []): Record<string, any>[] {
  const r = spawnSync(process.execPath, [mcastEntry(), 'replay', '--json', ...extra, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  return ndjson(r.stdout);
}

const withoutIface = (f: Record<string, any>) => {
  const { iface: _i, ...rest } = f;
  return rest;
};

/** One line on stderr, "mcast: ...", and no stack trace. */
function expectOneLineError(r: { status: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.status).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^mcast: /);
  expect(lines[0]).toMatch(pattern);
}

// ---- the tests --------------------------------------------------------------------------------------------

describe.skipIf(!live.ok)('mcast sniff (live, namespaces)', () => {
  let lab: Lab;
  let H: string;
  let S: string;
  let dir: string;
  let driver: string;

  beforeAll(() => {
    ensureSniffBuilt();
    dir = mkdtempSync(join(tmpdir(), 'mcast-snf-'));
    driver = join(dir, 'driver.py');
    writeFileSync(driver, DRIVER);
    lab = new Lab('snf');
    H = lab.ns('H');
    S = lab.ns('S');
    lab.veth(H, 'h-v2', `${ADDR['h-v2']}/24`, S, 'r-v2', `${PEER['h-v2']}/24`);
    lab.veth(H, 'h-v3', `${ADDR['h-v3']}/24`, S, 'r-v3', `${PEER['h-v3']}/24`);
    for (const ns of [H, S]) lab.exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    lab.exec(H, 'sysctl', [
      '-qw',
      'net.ipv4.conf.h-v2.force_igmp_version=2',
      'net.ipv4.conf.h-v3.force_igmp_version=3',
      // Short unsolicited-report intervals (defaults 10 s for v2, 1 s for v3) keep the test short.
      'net.ipv4.conf.h-v2.igmpv2_unsolicited_report_interval=100',
      'net.ipv4.conf.h-v3.igmpv3_unsolicited_report_interval=100',
      'net.ipv4.igmp_qrv=2',
    ]);
  });
  afterAll(() => {
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('decodes every report and leave the kernel sends, v2 and v3, and equals tcpdump frame for frame to the nanosecond', async () => {
    const S1 = PEER['h-v3'];
    const S10 = '10.51.3.10';
    // One step's v2 and v3 calls run together (different links); steps are PAUSE apart.
    const steps: Op[][] = [
      [{ op: 'join', sock: 'a', iface: 'h-v2', group: '239.1.1.1' }, { op: 'join', sock: 'c', iface: 'h-v3', group: '239.2.2.1' }],
      [{ op: 'join', sock: 'a', iface: 'h-v2', group: '239.1.1.2' }, { op: 'ssm', sock: 'd', iface: 'h-v3', group: '232.2.2.1', source: S1 }],
      // v2 has no sources: a source-specific join is a plain report.
      [{ op: 'ssm', sock: 'b', iface: 'h-v2', group: '232.1.1.1', source: PEER['h-v2'] }, { op: 'ssm', sock: 'd', iface: 'h-v3', group: '232.2.2.1', source: S10 }],
      [{ op: 'leave', sock: 'a', iface: 'h-v2', group: '239.1.1.1' }, { op: 'block', sock: 'c', iface: 'h-v3', group: '239.2.2.1', source: '10.51.3.99' }],
      [
        { op: 'close', sock: 'a', iface: 'h-v2' },
        // Two calls at once: one report with both records (or two reports; either matches).
        { op: 'ssm', sock: 'e', iface: 'h-v3', group: '232.2.2.2', source: S1 },
        { op: 'join', sock: 'e', iface: 'h-v3', group: '239.2.2.3' },
      ],
      [{ op: 'close', sock: 'b', iface: 'h-v2' }, { op: 'unssm', sock: 'd', iface: 'h-v3', group: '232.2.2.1', source: S10 }],
      [{ op: 'leave', sock: 'c', iface: 'h-v3', group: '239.2.2.1' }],
      [{ op: 'close', sock: 'd', iface: 'h-v3' }],
      [{ op: 'close', sock: 'e', iface: 'h-v3' }],
    ];
    const exp2 = expectedPerStep(steps, 'h-v2', 2);
    const exp3 = expectedPerStep(steps, 'h-v3', 3);
    // The model itself, spelled out for the steps with something to say (RFC 3376 5.1; RFC 2236 3).
    expect(exp3[1]).toEqual([`ALLOW_NEW_SOURCES 232.2.2.1 {${S1}}`]);
    expect(exp3[3]).toEqual(['BLOCK_OLD_SOURCES 239.2.2.1 {10.51.3.99}']);
    expect(exp3[6]).toEqual(['CHANGE_TO_INCLUDE_MODE 239.2.2.1 {}']);
    expect(exp2[4]).toEqual(['leave 239.1.1.2']);

    const files = {
      td2: join(dir, 'td-v2.pcap'),
      td3: join(dir, 'td-v3.pcap'),
      me2: join(dir, 'me-v2.pcap'),
      me3: join(dir, 'me-v3.pcap'),
    };
    const td2 = await startTcpdumpNano(lab, S, 'r-v2', files.td2, 'igmp');
    const td3 = await startTcpdumpNano(lab, S, 'r-v3', files.td3, 'igmp');
    const me2 = await startSniff(lab, S, ['-i', 'r-v2', '--json', '-w', files.me2]);
    const me3 = await startSniff(lab, S, ['-i', 'r-v3', '--json', '-w', files.me3]);
    await drive(lab, H, driver, steps);
    expect(await me2.stop('SIGINT')).toBe(0);
    expect(await me3.stop('SIGTERM')).toBe(0);
    await td2.stop('SIGINT');
    await td3.stop('SIGINT');

    for (const [me, td, mine, ref, iface, host, version, exp] of [
      [me2, td2, files.me2, files.td2, 'r-v2', ADDR['h-v2'], 2, exp2],
      [me3, td3, files.me3, files.td3, 'r-v3', ADDR['h-v3'], 3, exp3],
    ] as const) {
      const lines = sniffJson(me);
      const reference = readClassicPcap(ref);
      const written = readClassicPcap(mine);

      // The messages: from the host, as the socket calls say, in order.
      for (const f of lines) {
        expect(f.iface).toBe(iface);
        expect(f.ip).toMatchObject({ src: host, ttl: 1, proto: 2, routerAlert: true, checksumOk: true });
        expect(f.igmp.version).toBe(version);
        expect(f.igmp.checksumOk).toBe(true);
        expect(f.error).toBeUndefined();
        expect(f.warnings).toBeUndefined();
      }
      if (version === 3) {
        for (const f of lines) expect([f.igmp.typeCode, f.igmp.type, f.ip.dst]).toEqual([0x22, 'report', '224.0.0.22']);
        matchSteps(
          lines.map((f) => f.igmp.records.map((r: { type: string; group: string; sources: string[] }) => recKey(r.type, r.group, r.sources))),
          exp,
        );
      } else {
        for (const f of lines) {
          if (f.igmp.type === 'report') expect([f.igmp.typeCode, f.ip.dst]).toEqual([0x16, f.igmp.group]);
          else expect([f.igmp.type, f.igmp.typeCode, f.ip.dst]).toEqual(['leave', 0x17, '224.0.0.2']);
        }
        matchSteps(lines.map((f) => [`${f.igmp.type} ${f.igmp.group}`]), exp);
      }

      // Against tcpdump: the same frames, bytes, wire lengths and kernel timestamps (ns).
      expect(reference.nano).toBe(true);
      expect(written).toMatchObject({ nano: true, linkType: 1, snaplen: 262144 });
      expect(lines.length).toBe(reference.records.length);
      expect(written.records.length).toBe(reference.records.length);
      reference.records.forEach((r, i) => {
        const w = written.records[i]!;
        expect([w.tsSec, w.tsFrac, w.caplen, w.wirelen], `frame ${i + 1}`).toEqual([r.tsSec, r.tsFrac, r.caplen, r.wirelen]);
        expect(Buffer.from(w.data).equals(Buffer.from(r.data)), `frame ${i + 1} bytes`).toBe(true);
        expect([lines[i]!.n, lines[i]!.ts, lines[i]!.len, lines[i]!.caplen]).toEqual([i + 1, isoNs(r.tsSec, r.tsFrac), r.wirelen, r.caplen]);
      });
      // tcpdump's file through `mcast replay --json`: the very same objects (a classic pcap names no interface).
      expect(replayJson(ref)).toEqual(lines.map(withoutIface));

      // The summary: one JSON object on stderr after the banner.
      const [banner, summary] = stderrJson(me);
      expect(banner).toMatchObject({ type: 'listening', iface, linkType: 1, tsDigits: 9, filter: 'igmp', file: mine, format: 'pcap' });
      const kinds = new Map<string, number>();
      for (const f of lines) kinds.set(`${f.igmp.type}/${f.igmp.typeCode}`, (kinds.get(`${f.igmp.type}/${f.igmp.typeCode}`) ?? 0) + 1);
      expect(summary).toMatchObject({
        type: 'summary',
        iface,
        frames: lines.length,
        errors: 0,
        pcap: { recv: lines.length, drop: 0, ifdrop: 0 },
        file: { path: mine, format: 'pcap', records: lines.length, nanosecond: true },
      });
      expect(new Map(summary!.igmp.map((k: { type: string; typeCode: number; count: number; version: number }) => [`${k.type}/${k.typeCode}`, k.count]))).toEqual(kinds);
      expect(summary!.igmp.every((k: { version: number }) => k.version === version)).toBe(true);
      const groups = [...new Set(steps.flat().filter((o) => o.iface === (version === 2 ? 'h-v2' : 'h-v3') && 'group' in o).map((o) => (o as { group: string }).group))];
      expect(summary!.groups).toEqual(groups.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
      console.log(`${iface}: ${lines.length} frames, equal to tcpdump's (bytes, wire length, ns timestamps)`);
    }
  }, 40_000);

  it('-w pcap and pcapng (with --all and a snaplen) read back the same by mcast replay, tcpdump and tshark', async () => {
    const pcap = join(dir, 'all.pcap');
    const pcapng = join(dir, 'all.pcapng');
    const a = await startSniff(lab, S, ['-i', 'r-v3', '--all', '--json', '-s', '200', '-w', pcap]);
    const b = await startSniff(lab, S, ['-i', 'r-v3', '--all', '--json', '-s', '200', '-w', pcapng]);
    // Control: the default filter on the same link shows IGMP only.
    const plain = await startSniff(lab, S, ['-i', 'r-v3']);
    const sizes = [10, 180, 500, 1400];
    await drive(lab, H, driver, [
      [{ op: 'join', sock: 'x', iface: 'h-v3', group: '239.3.3.3' }],
      [{ op: 'send', iface: 'h-v3', group: '239.3.3.3', port: 6000, sizes }],
      [{ op: 'close', sock: 'x', iface: 'h-v3' }],
    ]);
    for (const r of [a, b, plain]) expect(await r.stop('SIGINT')).toBe(0);

    const linesA = sniffJson(a);
    const linesB = sniffJson(b);
    const udp = linesA.filter((f) => f.udp !== undefined);
    // --all: the host's datagrams, each with its wire length; the snapshot cuts the long ones at 200 bytes.
    expect(udp.map((f) => [f.ip.src, f.ip.dst, f.udp.dstPort, f.udp.len - 8, f.len])).toEqual(
      sizes.map((n) => [ADDR['h-v3'], '239.3.3.3', 6000, n, 14 + 20 + 8 + n]),
    );
    expect(linesA.every((f) => f.caplen === Math.min(f.len, 200))).toBe(true);
    expect(linesA.filter((f) => f.igmp !== undefined).length).toBeGreaterThanOrEqual(2);
    expect(plain.stdout).toContain('IGMPv3 report');
    expect(plain.stdout).not.toContain('UDP');
    // Two captures of the same link: the same frames with the same kernel stamps.
    expect(linesB.map((f) => [f.ts, f.len, f.caplen])).toEqual(linesA.map((f) => [f.ts, f.len, f.caplen]));

    for (const [file, lines, format] of [
      [pcap, linesA, 'pcap'],
      [pcapng, linesB, 'pcapng'],
    ] as const) {
      const want = lines.map((f) => [f.ts, f.len, f.caplen]);
      // mcast replay: pcapng keeps the interface name, so its objects are sniff's exactly.
      const replayed = replayJson(file, ['--all']);
      expect(replayed).toEqual(format === 'pcapng' ? lines : lines.map(withoutIface));
      // tcpdump: "SEC.NSEC ... length WIRELEN:" with -e.
      const td = execFileSync('tcpdump', ['-r', file, '-nn', '-tt', '--nano', '-e'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .trim()
        .split('\n');
      expect(td.map((l) => [Number(/length (\d+):/.exec(l)![1]), l.split(' ')[0]])).toEqual(
        lines.map((f) => [f.len, `${Date.parse(f.ts.slice(0, 19) + 'Z') / 1000}.${f.ts.slice(20, 29)}`]),
      );
      // tshark: epoch time, wire length, captured length.
      const ts = tshark(file, ['frame.time_epoch', 'frame.len', 'frame.cap_len']);
      expect(ts.map(([t, len, cap]) => [t, Number(len), Number(cap)])).toEqual(
        want.map(([t, len, cap]) => [`${Date.parse((t as string).slice(0, 19) + 'Z') / 1000}.${(t as string).slice(20, 29)}`, len, cap]),
      );
      if (format === 'pcapng') expect(tshark(file, ['frame.interface_name']).flat().every((n) => n === 'r-v3')).toBe(true);
      const summary = stderrJson(format === 'pcap' ? a : b)[1]!;
      expect(summary.file).toEqual({ path: file, format, records: lines.length, nanosecond: true });
    }
  }, 30_000);

  it('SIGINT in text mode: exit 0, the file complete, the summary with the right counts', async () => {
    const file = join(dir, 'sigint.pcapng');
    const r = await startSniff(lab, S, ['-i', 'r-v2', '-w', file]);
    await drive(lab, H, driver, [[{ op: 'join', sock: 'g', iface: 'h-v2', group: '239.4.4.4' }], [{ op: 'close', sock: 'g', iface: 'h-v2' }]]);
    await r.waitFor((x) => x.stdout.includes('IGMPv2 leave 239.4.4.4'), 'the leave');
    expect(await r.stop('SIGINT')).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const reports = lines.filter((l) => / r-v2 10\.51\.2\.2 > 239\.4\.4\.4: IGMPv2 report 239\.4\.4\.4$/.test(l)).length;
    expect(reports).toBeGreaterThanOrEqual(1);
    expect(lines.filter((l) => / r-v2 10\.51\.2\.2 > 224\.0\.0\.2: IGMPv2 leave 239\.4\.4\.4$/.test(l))).toHaveLength(1);
    expect(lines).toHaveLength(reports + 1);
    const err = r.stderr.trim().split('\n');
    expect(err[0]).toBe(`listening on r-v2, link-type EN10MB (Ethernet), snapshot length 262144 bytes, filter 'igmp', writing ${file} (pcapng)`);
    expect(err[1]).toMatch(new RegExp(`^${lines.length} frames captured on r-v2 in \\d+\\.\\d s \\(\\d+ bytes\\)$`));
    expect(err[2]).toBe(`IGMP: ${reports} v2 report, 1 v2 leave`);
    expect(err[3]).toBe('groups: 239.4.4.4');
    expect(err[4]).toBe(`${lines.length} received by filter, 0 dropped by kernel, 0 dropped by interface`);
    expect(err[5]).toBe(`wrote ${lines.length} frames to ${file} (pcapng, nanosecond timestamps)`);
    expect(tshark(file, ['frame.number'])).toHaveLength(lines.length);
  }, 20_000);

  it('-c N stops by itself after N frames; -w - writes a pcap to stdout', async () => {
    const c = startMcast(lab, S, ['sniff', '-i', 'r-v3', '--all', '-c', '3', '--json']);
    await c.waitFor((x) => x.stderr.includes('"type":"listening"'), 'sniff -c to listen');
    const raw = lab.spawn(S, process.execPath, [mcastEntry(), 'sniff', '-i', 'r-v3', '--all', '-c', '2', '-w', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let rawErr = '';
    raw.stdout!.on('data', (d: Buffer) => chunks.push(d));
    raw.stderr!.setEncoding('utf8').on('data', (d: string) => (rawErr += d));
    const rawDone = new Promise<number | null>((res) => raw.on('close', (code) => res(code)));
    for (let i = 0; i < 100 && !rawErr.includes('listening on'); i++) await sleep(20);
    expect(rawErr).toContain('writing standard output (pcap)');
    await drive(lab, H, driver, [[{ op: 'send', iface: 'h-v3', group: '239.6.6.6', port: 7000, sizes: [50, 60, 70, 80, 90, 100] }]]);
    expect(await c.done(5000)).toBe(0);
    const got = sniffJson(c);
    expect(got.map((f) => f.udp.len - 8)).toEqual([50, 60, 70]);
    expect(stderrJson(c)[1]).toMatchObject({ type: 'summary', frames: 3 });
    expect(await Promise.race([rawDone, sleep(5000).then(() => 'timeout')])).toBe(0);
    const out = join(dir, 'stdout.pcap');
    writeFileSync(out, Buffer.concat(chunks));
    const file = readClassicPcap(out);
    expect(file).toMatchObject({ nano: true, linkType: 1 });
    expect(file.records.map((x) => x.wirelen)).toEqual([14 + 28 + 50, 14 + 28 + 60]);
  }, 20_000);

  it('--table (not a terminal) prints snapshots listing the groups joined, and a final table at exit', async () => {
    const r = await startSniff(lab, S, ['-i', 'r-v3', '--table', '--interval', '0.3']);
    const drv = drive(lab, H, driver, [
      [{ op: 'join', sock: 't', iface: 'h-v3', group: '239.5.5.1' }],
      [{ op: 'ssm', sock: 'u', iface: 'h-v3', group: '232.5.5.1', source: PEER['h-v3'] }],
    ]);
    // While the sockets are open: a snapshot listing both groups with the host as their member.
    const rowsOf = (blk: string) => blk.split('\n').filter((l) => l.startsWith('r-v3 ')).map((l) => l.split(/\s{2,}/));
    const blocksOf = (text: string) => text.split(/^(?=membership at )/m).filter((b) => b.trim() !== '');
    const joined = (blk: string) => rowsOf(blk).filter((x) => x[5] === ADDR['h-v3']).length === 2;
    await r.waitFor((x) => blocksOf(x.stdout).some(joined), 'a snapshot with both groups joined');
    await drv;
    // The driver ended and its sockets closed: the kernel's leaves take the host off both groups.
    const left = (blk: string) => rowsOf(blk).filter((x) => x[5] === '-').length === 2;
    await r.waitFor((x) => blocksOf(x.stdout).some(left), 'a snapshot after the leaves');
    expect(await r.stop('SIGINT')).toBe(0);
    const blocks = blocksOf(r.stdout);
    for (const blk of blocks) expect(blk.split('\n')[0]).toMatch(/^membership at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const snap = blocks.find(joined)!.split('\n');
    expect(snap[1]!.split(/\s{2,}/)).toEqual(['IFACE', 'VLAN', 'GROUP', 'MODE', 'SOURCES', 'MEMBERS', 'EXPIRES IN', 'COMPAT']);
    const rows = rowsOf(blocks.find(joined)!);
    expect(rows.map((x) => x.slice(0, 4))).toEqual([
      ['r-v3', '-', '232.5.5.1', 'include'],
      ['r-v3', '-', '239.5.5.1', 'exclude'],
    ]);
    expect(rows[0]![4]).toMatch(new RegExp(`^${PEER['h-v3'].replace(/\./g, '\\.')} \\(\\d+(\\.\\d+)?s\\)$`));
    expect(rows[1]![4]).toBe('all');
    expect(rows.map((x) => x[7])).toEqual(['v3', 'v3']);
    // The final table (at exit) still lists both groups: a router keeps their state until its timers run out
    // (no querier here to lower them, RFC 3376 6.4).
    const final = rowsOf(blocks[blocks.length - 1]!);
    expect(final.map((x) => [x[2], x[5]])).toEqual([
      ['232.5.5.1', '-'],
      ['239.5.5.1', '-'],
    ]);
    expect(r.stdout).not.toMatch(/\x1b/);
  }, 20_000);

  it.each([
    ['deleted', ['link', 'del', 'gx0'], /^mcast: interface gx0 disappeared during the capture$/],
    ['set down', ['link', 'set', 'gx0', 'down'], /^mcast: interface gx0 went down during the capture$/],
  ])('an interface %s during the capture: the file stays valid, the summary, then one line, exit 1', async (_what, ipArgs, message) => {
    lab.exec(S, 'ip', ['link', 'add', 'gx0', 'type', 'veth', 'peer', 'name', 'gx1']);
    lab.exec(S, 'ip', ['link', 'set', 'gx1', 'up']);
    lab.exec(S, 'ip', ['link', 'set', 'gx0', 'up']);
    const file = join(dir, 'gone.pcap');
    const r = await startSniff(lab, S, ['-i', 'gx0', '-w', file]);
    lab.exec(S, 'ip', ipArgs);
    expect(await r.done(5000)).toBe(1);
    const err = r.stderr.trimEnd().split('\n');
    expect(err[1]).toMatch(/^0 frames captured on gx0 in /);
    expect(err[err.length - 1]).toMatch(message);
    expect(err.filter((l) => l.startsWith('mcast: '))).toHaveLength(1);
    expect(readClassicPcap(file)).toMatchObject({ nano: true, linkType: 1, records: [] });
    spawnSync('ip', ['netns', 'exec', S, 'ip', 'link', 'del', 'gx0']);
  });

  it('errors: missing interface, interface down, bad filter, no CAP_NET_RAW -> one line, exit 1', () => {
    expectOneLineError(mcast(S, ['sniff', '-i', 'nope0']), /^mcast: no such interface: nope0 \(see: mcast interfaces\)$/);
    lab.exec(S, 'ip', ['link', 'add', 'dn0', 'type', 'veth', 'peer', 'name', 'dn1']); // created down
    expectOneLineError(mcast(S, ['sniff', '-i', 'dn0']), /^mcast: interface dn0 is down \(ip link set dn0 up\)$/);
    expectOneLineError(mcast(S, ['sniff', '-i', 'r-v3', '-f', 'udp port 99999']), /bad filter expression 'udp port 99999'/);
    expectOneLineError(mcast(S, ['sniff', '-i', 'r-v3', 'igmp', 'and', 'bogus']), /bad filter expression 'igmp and bogus'/);
    const perm = runIn(S, 'setpriv', ['--bounding-set=-net_raw', '--inh-caps=-net_raw', process.execPath, mcastEntry(), 'sniff', '-i', 'r-v3']);
    expectOneLineError(perm, /capturing on r-v3 needs root or the CAP_NET_RAW capability/);
    const usage = mcast(S, ['sniff', '-i', 'r-v3', '--interval', '1']);
    expect(usage.status).toBe(2);
  });
});
