/**
 * `mcast sniff` without a live interface: the session (decode -> format -> sink, writer, counters, table) is fed the
 * frames of the kernel fixtures, as LiveCapture would hand them over, and compared with what `mcast replay`
 * prints for the same frames. Option checks, the summary, the table's terminal and plain forms, the hot path's
 * allocation (counted by V8's GC trace), and the CLI's one-line errors where no capture can open.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { openCapture, CaptureWriter } from '../../src/pcap/index.js';
import { runReplay } from '../../src/replay/replay.js';
import {
  ALL_FILTER,
  SNIFF_DEFAULTS,
  SniffSession,
  captureFormatFor,
  checkSniffOptions,
  formatSummary,
  sniffFilter,
  type SniffIo,
  type SniffOptions,
  type SniffSource,
} from '../../src/capture/sniff.js';
import { ROOT } from './support.js';

const V3 = join(ROOT, 'fixtures/kernel-igmpv3.pcap');
const V2 = join(ROOT, 'fixtures/kernel-igmpv2.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'mcast-sniff-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const opts = (o: Partial<SniffOptions>): SniffOptions => ({ ...SNIFF_DEFAULTS, iface: 'r-v3', ...o });

function memIo(now: () => number, tty = false): SniffIo & { lines: string[]; errs: string[] } {
  const lines: string[] = [];
  const errs: string[] = [];
  return { lines, errs, out: { line: (s) => void lines.push(s), flush: () => {} }, err: (s) => void errs.push(s), tty, now };
}

const source = (iface: string, linkType = 1, tsDigits: 6 | 9 = 9): SniffSource => ({
  iface,
  linkType,
  snaplen: 262144,
  tsDigits,
  stats: () => ({ recv: 0, drop: 0, ifdrop: 0 }),
});

/** Feed every frame of a capture to the session; returns the last frame's time in seconds. */
function feed(session: SniffSession, file: string): number {
  const r = openCapture(file);
  let last = 0;
  try {
    for (let rec = r.next(); rec !== null; rec = r.next()) {
      session.frame(rec);
      last = rec.tsSec + rec.tsNsec * 1e-9;
    }
  } finally {
    r.close();
  }
  return last;
}

function replayLines(file: string, json: boolean): string[] {
  const lines: string[] = [];
  runReplay(
    { files: [file], json, all: true, stats: false, quiet: false, count: null, progress: false, group: null, host: null, vlan: null, filter: null },
    { line: (s: string) => void lines.push(s), flush: () => {} } as never,
    () => {},
  );
  return lines;
}

describe('sniff session against replay', () => {
  it('JSON lines are replay\'s for the same frames, with iface; the pcapng it writes replays to the same lines', () => {
    const file = join(tmp, 'v3.pcapng');
    const w = CaptureWriter.create(file, { format: 'pcapng', linkType: 1, nanosecond: true, ifaceName: 'r-v3' });
    const io = memIo(() => 0);
    const s = new SniffSession(opts({ json: true }), io, source('r-v3'), w);
    feed(s, V3);
    w.close();
    expect(io.lines).toHaveLength(58);
    const mine = io.lines.map((l) => JSON.parse(l));
    expect(mine.every((f) => f.iface === 'r-v3')).toBe(true);
    const ref = replayLines(V3, true).map((l) => JSON.parse(l));
    expect(mine.map(({ iface: _i, ...rest }) => rest)).toEqual(ref);
    // pcapng keeps the interface name, so the file replays to the very same lines.
    expect(replayLines(file, true)).toEqual(io.lines);
  });

  it('text lines are replay\'s formatter output, with the interface after the time', () => {
    const io = memIo(() => 0);
    feed(new SniffSession(opts({}), io, source('r-v2', 1, 6), null), V2);
    const ref = replayLines(V2, false);
    expect(io.lines).toEqual(ref.map((l) => l.replace(/^(\S+ \S+) /, '$1 r-v2 ')));
    expect(io.lines[0]).toMatch(/^2026-11-25 \d\d:\d\d:\d\d\.\d{6} r-v2 10\.0\.2\.2 > 239\.1\.1\.1: IGMPv2 report 239\.1\.1\.1$/);
  });

  it('the summary counts IGMP messages by kind and lists the groups, as tshark reads the fixtures', () => {
    // tshark -r fixtures/kernel-igmpv3.pcap -Y igmp -T fields -e igmp.version -e igmp.type | sort | uniq -c
    //   -> 18 x (3, 0x22); 58 frames, frame.len summed 5340; groups from igmp.maddr and the UDP ip.dst
    const io = memIo(() => 0);
    const s = new SniffSession(opts({}), io, source('r-v3'), null);
    feed(s, V3);
    const sum = s.finish({ recv: 58, drop: 0, ifdrop: 0 }, null);
    expect(sum).toMatchObject({ type: 'summary', iface: 'r-v3', frames: 58, bytes: 5340, errors: 0 });
    expect(sum.igmp).toEqual([{ type: 'report', version: 3, typeCode: 0x22, count: 18 }]);
    expect(sum.groups).toEqual(['232.2.2.1', '232.2.2.2', '239.2.2.1', '239.2.2.2', '239.2.2.3']);
    // tshark ... kernel-igmpv2.pcap: 6 x (2, 0x16), 3 x (2, 0x17)
    const s2 = new SniffSession(opts({ quiet: true }), memIo(() => 0), source('r-v2', 1, 6), null);
    feed(s2, V2);
    const sum2 = s2.finish(null, null);
    expect(sum2.igmp).toEqual([
      { type: 'report', version: 2, typeCode: 0x16, count: 6 },
      { type: 'leave', version: 2, typeCode: 0x17, count: 3 },
    ]);
    const text = formatSummary({ ...sum2, durationS: 2.5, file: { path: '/tmp/x.pcap', format: 'pcap', records: 19, nanosecond: false } });
    expect(text[0]).toBe('19 frames captured on r-v2 in 2.5 s (1474 bytes)');
    expect(text[1]).toBe('IGMP: 6 v2 report, 3 v2 leave');
    expect(text[2]).toBe('groups: 232.1.1.1 239.1.1.1 239.1.1.2');
    expect(text[3]).toBe('wrote 19 frames to /tmp/x.pcap (pcap, microsecond timestamps)');
  });

  it('--stats prints replay\'s statistics at the end', () => {
    const io = memIo(() => 0);
    const s = new SniffSession(opts({ quiet: true, stats: true, json: true }), io, source('r-v3'), null);
    feed(s, V3);
    s.finish(null, null);
    expect(io.lines).toHaveLength(1);
    const ref: string[] = [];
    runReplay(
      { files: [V3], json: true, all: true, stats: true, quiet: true, count: null, progress: false, group: null, host: null, vlan: null, filter: null },
      { line: (l: string) => void ref.push(l), flush: () => {} } as never,
      () => {},
    );
    expect(io.lines).toEqual(ref);
  });
});

describe('sniff --table and --events', () => {
  it('plain snapshots (not a terminal): "membership at" and the groups with their members', () => {
    let now = 0;
    const io = memIo(() => now);
    const s = new SniffSession(opts({ table: true }), io, source('r-v3'), null);
    now = feed(s, fixtureFirstSeconds(V3, 16)) + 0.5;
    s.showTable(false);
    expect(io.lines[0]).toMatch(/^membership at 2026-11-25T\d\d:\d\d:\d\d\.\d{3}Z$/);
    const rows = io.lines.filter((l) => l.startsWith('r-v3 '));
    expect(rows.map((r) => r.split(/\s+/)[2])).toEqual(['232.2.2.1', '232.2.2.2', '239.2.2.1', '239.2.2.2', '239.2.2.3']);
    expect(rows.every((r) => r.includes('10.0.3.2'))).toBe(true);
    expect(io.lines.some((l) => /\x1b/.test(l))).toBe(false);
  });

  it('on a terminal the table is redrawn in place: screen cleared once, then cursor home and clear-to-end', () => {
    let now = 1795588026; // 2026-11-25T06:27:06Z, the fixture's first second
    const io = memIo(() => now, true);
    const s = new SniffSession(opts({ table: true }), io, source('r-v3'), null);
    s.showTable(false);
    now = feed(s, V3);
    s.showTable(false);
    s.showTable(true);
    expect(io.lines).toHaveLength(3);
    expect(io.lines[0]!.startsWith('\x1b[2J\x1b[H')).toBe(true);
    expect(io.lines[0]).toContain('no groups');
    expect(io.lines[1]!.startsWith('\x1b[H')).toBe(true);
    expect(io.lines[1]!.endsWith('\x1b[K\x1b[J')).toBe(true);
    expect(io.lines[1]).toContain('mcast sniff on r-v3: 58 frames, 0 dropped by the kernel  (Ctrl-C to stop)');
    expect(io.lines[2]).not.toContain('Ctrl-C');
  });

  it('--json snapshots carry the wall-clock time; --events print join and leave as they happen', () => {
    let now = 0;
    const io = memIo(() => now);
    const t = new SniffSession(opts({ table: true, json: true }), io, source('r-v3'), null);
    now = feed(t, V3);
    t.showTable(false);
    const snap = JSON.parse(io.lines[0]!);
    expect(snap.ts).toMatch(/^2026-11-25T.*\.\d{3}Z$/);
    expect(snap.groups.map((g: { group: string }) => g.group)).toContain('232.2.2.1');

    const ev = memIo(() => now);
    const e = new SniffSession(opts({ events: true, json: true }), ev, source('r-v3'), null);
    feed(e, V3);
    const events = ev.lines.map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ ts: '2026-11-25T06:27:06.162651016Z', kind: 'group-added', group: '239.2.2.1', iface: 'r-v3', frame: 1 });
    expect(events[0].time).toBeCloseTo(1795588026.162651, 6);
    expect(events.some((x) => x.kind === 'join' && x.group === '232.2.2.2')).toBe(true);
  });
});

/** The first `n` frames of a capture, as a file of their own (classic pcap, same precision). */
function fixtureFirstSeconds(file: string, n: number): string {
  const out = join(tmp, `first${n}.pcap`);
  const r = openCapture(file);
  const rec0 = r.next()!;
  const w = CaptureWriter.create(out, { format: 'pcap', linkType: rec0.linkType, nanosecond: rec0.tsDigits === 9 });
  let rec: typeof rec0 | null = rec0;
  for (let i = 0; rec !== null && i < n; i++, rec = r.next()) w.write(rec.buf, rec.offset, rec.caplen, rec.wirelen, rec.tsSec, rec.tsNsec);
  w.close();
  r.close();
  return out;
}

describe('sniff options', () => {
  it('default filter igmp; --all adds multicast UDP; an explicit filter replaces both', () => {
    expect(sniffFilter({ filter: null, all: false })).toBe('igmp');
    expect(sniffFilter({ filter: null, all: true })).toBe(ALL_FILTER);
    expect(ALL_FILTER).toBe('igmp or (udp and dst net 224.0.0.0/4)');
    expect(sniffFilter({ filter: 'udp port 5000', all: true })).toBe('udp port 5000');
  });
  it('file format by --format, else by extension (pcapng for .pcapng/.ntar, pcap otherwise and for -)', () => {
    expect(captureFormatFor('x.pcapng', null)).toBe('pcapng');
    expect(captureFormatFor('X.NTAR', null)).toBe('pcapng');
    expect(captureFormatFor('x.pcap', null)).toBe('pcap');
    expect(captureFormatFor('-', null)).toBe('pcap');
    expect(captureFormatFor('capture', null)).toBe('pcap');
    expect(captureFormatFor('x.pcap', 'pcapng')).toBe('pcapng');
  });
  it('combinations that cannot work are usage errors', () => {
    const bad = (o: Partial<SniffOptions>, tty = false) => () => checkSniffOptions(opts(o), tty);
    expect(bad({ iface: '' })).toThrow(UsageError);
    expect(bad({ write: '-', table: true })).toThrow(/--table prints to standard output/);
    expect(bad({ write: '-', stats: true })).toThrow(/--stats/);
    expect(bad({ write: '-' }, true)).toThrow(/terminal/);
    expect(bad({ interval: 2 })).toThrow(/--interval applies to --table/);
    expect(() => checkSniffOptions(opts({ write: '-' }), false)).not.toThrow();
  });
});

describe('sniff hot path', () => {
  /**
   * The compiled session in a child, a million frames of the kernel fixtures (IGMPv2 and v3, UDP; Ethernet and
   * Linux cooked v2), under V8's sampling heap profiler with collected objects kept: every sampled allocation
   * names its stack (inlined frames included). Returns the sampled bytes per module that allocated.
   */
  function allocations(mode: 'quiet' | 'json' | 'write'): { ns: number; byModule: Record<string, number> } {
    const script = join(tmp, `hot-${mode}.mjs`);
    writeFileSync(
      script,
      `
import { Session } from 'node:inspector/promises';
const { SniffSession, SNIFF_DEFAULTS } = await import(${JSON.stringify(join(ROOT, 'dist/capture/sniff.js'))});
const { openCapture, CaptureWriter } = await import(${JSON.stringify(join(ROOT, 'dist/pcap/index.js'))});
const frames = [];
for (const file of ${JSON.stringify([V2, V3, join(ROOT, 'fixtures/kernel-any.pcap')])}) {
  const r = openCapture(file);
  for (let rec = r.next(); rec !== null; rec = r.next()) frames.push({ ...rec, buf: rec.buf.slice(rec.offset, rec.offset + rec.caplen), offset: 0 });
  r.close();
}
const io = { out: { line() {}, flush() {} }, err() {}, tty: false, now: () => 0 };
const mode = ${JSON.stringify(mode)};
const sessions = {};
for (const linkType of [1, 276]) {
  const src = { iface: 'x', linkType, snaplen: 262144, tsDigits: 9, stats: () => null };
  const w = mode === 'write' ? CaptureWriter.create('/dev/null', { format: 'pcapng', linkType, nanosecond: true }) : null;
  sessions[linkType] = new SniffSession({ ...SNIFF_DEFAULTS, iface: 'x', quiet: mode !== 'json', json: mode === 'json' }, io, src, w);
}
const one = (f) => sessions[f.linkType].frame(f);
const N = mode === 'json' ? 100000 : 1000000;
for (let i = 0; i < 200000; i++) one(frames[i % frames.length]);
const s = new Session();
s.connect();
await s.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) one(frames[i % frames.length]);
const ns = Number(process.hrtime.bigint() - t0) / N;
const { profile } = await s.post('HeapProfiler.stopSampling');
const byModule = {};
const walk = (n, stack) => {
  const url = n.callFrame.url;
  const here = url.includes('/dist/') ? [...stack, url.slice(url.indexOf('/dist/') + 6)] : stack;
  // The innermost mcastkit module on the stack is the one that allocated; samples outside mcastkit are the harness.
  if (n.selfSize > 0 && here.length > 0) {
    const key = here[here.length - 1];
    byModule[key] = (byModule[key] ?? 0) + n.selfSize / N;
  }
  for (const c of n.children) walk(c, here);
};
walk(profile.head, []);
console.log(JSON.stringify({ ns, byModule }));
`,
    );
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  }

  it('-q: the sniff code allocates nothing per frame (only the shared statistics path does, measured)', () => {
    const q = allocations('quiet');
    console.log(`sniff -q (under the sampling profiler): ${q.ns.toFixed(0)} ns/frame; bytes/frame by module: ${JSON.stringify(q.byModule)}`);
    // StatsCollector.add reads uint32 addresses >= 2^31 (Ipv4View.dst, the group fields); when V8 does not inline
    // such a getter, its result is a boxed double (measured ~17 B per frame here). That is the shared statistics
    // path (src/decode/stats.ts over src/wire/), not sniff.
    // Per-frame allocation is at least one 16-byte object per frame; a few KB over the million (a JIT tier-up, a
    // sample or two) is not per frame.
    const perFrame = Object.entries(q.byModule).filter(([, b]) => b > 0.05).map(([m]) => m);
    for (const m of perFrame) expect(m).toMatch(/^(wire\/|decode\/stats\.js$)/);
    expect(q.byModule['capture/sniff.js'] ?? 0).toBeLessThan(0.05);
  });

  it('-w: the writer adds nothing per record (its subarray view does not escape); --json allocates the line (reported)', () => {
    const w = allocations('write');
    const j = allocations('json');
    console.log(`bytes/frame by module, -q -w: ${JSON.stringify(w.byModule)}; --json: ${JSON.stringify(j.byModule)}`);
    expect(w.byModule['capture/sniff.js'] ?? 0).toBeLessThan(0.05);
    expect(w.byModule['pcap/writer.js'] ?? 0).toBeLessThan(0.5);
    expect(Object.keys(w.byModule).every((m) => m !== 'format/frame-text.js' && m !== 'decode/record.js')).toBe(true);
  });
});

describe('mcast sniff CLI without a capture', () => {
  const mcast = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/mcast.js'), 'sniff', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  it('usage errors exit 2 with one line and the usage hint', () => {
    for (const args of [[], ['-i', 'x', '--interval', '2'], ['-i', 'x', '-w', '-', '--table'], ['-i', 'x', '--format', 'xml'], ['-i', 'x', '-f', 'igmp', 'udp'], ['-i', 'x', '-c', '0']]) {
      const r = mcast(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(/^mcast: /);
      expect(r.err).toContain('usage: mcast sniff');
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
  it('without the libpcap addon: one line saying what to install, exit 1', () => {
    const r = mcast(['-i', 'lo'], { MCAST_NATIVE: '/nonexistent/mcastpcap.node' });
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^mcast: live capture is unavailable: .*apt-get install libpcap-dev/);
  });
});
