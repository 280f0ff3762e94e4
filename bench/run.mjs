#!/usr/bin/env node
/**
 * `npm run bench`: the offline benchmark. Generates (or reuses) a deterministic 1M-frame capture, then times, in
 * alternating rounds (medians; these machines are shared and noisy), `mcast replay` in its main modes beside a plain
 * read of the file (the I/O floor), a C program doing the same counting with libpcap (when its source, gcc and
 * libpcap-dev are there), tcpdump and tshark. Checks in the same run that `mcast replay --stats --json` counts what the
 * generator wrote, and that peak memory does not grow with the file (10 MB against >= 1 GB).
 * Prints a table and writes the same to $BENCH_DIR/results.json. See bench/README.md.
 *
 * Environment: BENCH_FRAMES (default 1000000), BENCH_ROUNDS (3), BENCH_BIG (1; 0 skips the >= 1 GB file),
 * BENCH_SEED, BENCH_DIR (/tmp/mcastkit-bench), BENCH_MCAST (path of the mcast entry point; default bin/mcast.js),
 * BENCH_STRICT (1: exit 1 when a target is missed, not only on wrong counts or failed commands), BENCH_PEAK (time,
 * python or none: force a peak-memory method, to test it).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmpC, DEFAULT_SEED, GENERATOR_ID, generateCorpus, truthPaths } from './gen-corpus.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = process.env.BENCH_DIR || '/tmp/mcastkit-bench';
const FRAMES = envInt('BENCH_FRAMES', 1_000_000, 1);
const ROUNDS = envInt('BENCH_ROUNDS', 3, 1);
const SEED = envInt('BENCH_SEED', DEFAULT_SEED, 0);
const BIG = process.env.BENCH_BIG !== '0';
const STRICT = process.env.BENCH_STRICT === '1';
const MCAST = resolve(ROOT, process.env.BENCH_MCAST || 'bin/mcast.js');

const SUBSET_FRAMES = 100_000;
const SMALL_FRAMES = 15_500; // ~10 MB
const BIG_FRAMES = 1_650_000; // ~1.09 GB (> 1 GiB)
const IO_CHUNK = 4 << 20;
const MB = 1e6;

const TARGET = {
  statsVsC: 1.5,
  statsFps: 2_000_000,
  jsonFps: 300_000,
  tableVsStats: 1.5,
  peakMb: 150,
  /** "The same" peak for 10 MB and >= 1 GB: the big file may use at most this much more. */
  flatSlackMb: 10,
};

let failures = 0; // wrong counts, failed commands: always exit 1
let missed = 0; // targets missed: exit 1 only under BENCH_STRICT=1

function envInt(name, dflt, min) {
  const s = process.env[name];
  if (s === undefined || s === '') return dflt;
  const v = Number(s);
  if (!Number.isInteger(v) || v < min) {
    process.stderr.write(`bench: ${name}: not a whole number >= ${min}: ${JSON.stringify(s)}\n`);
    process.exit(2);
  }
  return v;
}

const log = (s = '') => process.stdout.write(`${s}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length & 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const fmt1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '-');
/** The line of a child's stderr that says what went wrong: its own `name: message`, else an Error line, else the first. */
const firstLine = (s) => {
  const lines = (s || '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => /^(mcast|tcpdump|tshark|pcapcount):/.test(l)) ?? lines.find((l) => /\b\w*Error\b/.test(l)) ?? lines[0] ?? '';
};

// ---------------------------------------------------------------------------------------------------------------
// Corpora

/** Generates `path` unless a corpus with the same generator, seed and frame count is already there, whole. */
function ensureCorpus(path, frames) {
  const paths = truthPaths(path);
  try {
    const meta = JSON.parse(readFileSync(paths.meta, 'utf8'));
    if (meta.generator === GENERATOR_ID && meta.seed === SEED && meta.frames === frames && statSync(path).size === meta.bytes && existsSync(paths.truth) && existsSync(paths.detail)) {
      return { path, frames, bytes: meta.bytes, reused: true, seconds: 0 };
    }
  } catch {
    /* absent or unreadable: generate */
  }
  const meta = generateCorpus(path, frames, SEED);
  log(`  generated ${path}: ${fmtInt(meta.frames)} frames, ${fmt1(meta.bytes / MB)} MB in ${meta.seconds.toFixed(2)} s (${fmtInt(meta.frames / meta.seconds)} frames/s)`);
  return { path, frames, bytes: meta.bytes, reused: false, seconds: meta.seconds };
}

/** Reads the yardstick's line format into maps. */
function readTruth(path) {
  return parseTruth(readFileSync(path, 'utf8'));
}

function parseTruth(text) {
  const t = { frames: 0, igmpMsgs: new Map(), igmp: new Map(), udp: new Map() };
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'frames') t.frames = Number(f[1]);
    else if (f[0] === 'igmp_msgs') t.igmpMsgs.set(Number(f[1]), Number(f[2]));
    else if (f[0] === 'igmp') t.igmp.set(`${f[1]} ${f[2]}`, Number(f[3]));
    else if (f[0] === 'udp') t.udp.set(`${f[1]} ${f[2]}`, `${f[3]} ${f[4]}`);
  }
  return t;
}

function readDetail(path) {
  const d = { igmpVersion: new Map(), v3Records: new Map() };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'igmp_version') d.igmpVersion.set(`${f[1]} ${f[2]} ${f[3]}`, Number(f[4]));
    else if (f[0] === 'v3_record') d.v3Records.set(`${f[1]} ${f[2]}`, Number(f[3]));
  }
  return d;
}

// ---------------------------------------------------------------------------------------------------------------
// Running children with wall time and peak RSS

/**
 * Peak RSS of a child: GNU time's %M (ru_maxrss from wait4) when /usr/bin/time is there; otherwise a python3
 * wrapper calling os.wait4 for the same figure; otherwise none. Wall time is always measured here, around the
 * spawn (GNU time's own %e has 10 ms resolution), except with the python wrapper, which times fork to wait itself
 * so its interpreter start-up is not counted.
 */
function detectPeakMethod() {
  const tmp = join(DIR, '.peak-probe');
  const force = process.env.BENCH_PEAK; // 'time' | 'python' | 'none': to test a method, not normally set
  if (force === 'none') return 'none';
  if (existsSync('/usr/bin/time') && force !== 'python') {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', tmp, 'true'], { stdio: 'ignore' });
    if (r.status === 0 && /^\d+\s*$/m.test(readFileSync(tmp, 'utf8'))) return 'gnu-time';
  }
  const r = spawnSync('python3', ['-c', PY_WAIT4, tmp, 'true'], { stdio: 'ignore' });
  if (r.status === 0 && /^\d+ /.test(readFileSync(tmp, 'utf8'))) return 'python-wait4';
  return 'none';
}

const PY_WAIT4 = `
import os, sys, time
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, st, ru = os.wait4(pid, 0)
t1 = time.monotonic()
open(sys.argv[1], 'w').write('%d %.6f\\n' % (ru.ru_maxrss, t1 - t0))
code = os.waitstatus_to_exitcode(st)
sys.exit(code if code >= 0 else 128 - code)
`;

let peakMethod = 'none';
let devNull = -1;

/**
 * Runs `cmd args`; stdout goes to /dev/null ('null') or is returned ('capture'). Returns
 * { status, seconds, peakKb, stdout, stderr }.
 */
function runChild(cmd, args, stdout) {
  const tmp = join(DIR, '.peak');
  rmSync(tmp, { force: true });
  let file = cmd;
  let argv = args;
  if (peakMethod === 'gnu-time') {
    file = '/usr/bin/time';
    argv = ['-f', '%M', '-o', tmp, cmd, ...args];
  } else if (peakMethod === 'python-wait4') {
    file = 'python3';
    argv = ['-c', PY_WAIT4, tmp, cmd, ...args];
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, {
    cwd: ROOT,
    stdio: ['ignore', stdout === 'null' ? devNull : 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  let seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let peakKb = null;
  if (peakMethod !== 'none' && existsSync(tmp)) {
    // GNU time writes "Command exited with non-zero status N" before the figure when the child fails.
    const last = readFileSync(tmp, 'utf8').trim().split('\n').pop() ?? '';
    const f = last.split(' ');
    if (/^\d+$/.test(f[0])) peakKb = Number(f[0]);
    if (peakMethod === 'python-wait4' && f[1] !== undefined) seconds = Number(f[1]);
  }
  const status = r.error ? -1 : r.status ?? 128;
  return { status, seconds, peakKb, stdout: r.stdout ?? '', stderr: r.error ? String(r.error.message) : r.stderr ?? '' };
}

function have(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** The I/O floor: one reused 4 MiB buffer, fs.readSync to the end of the file, in this process. */
function ioFloor(path) {
  const buf = Buffer.allocUnsafe(IO_CHUNK);
  const t0 = process.hrtime.bigint();
  const fd = openSync(path, 'r');
  let total = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, IO_CHUNK, null);
    if (n === 0) break;
    total += n;
  }
  closeSync(fd);
  return { status: 0, seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakKb: null, bytes: total, stdout: '', stderr: '' };
}

// ---------------------------------------------------------------------------------------------------------------
// Correctness

/**
 * Compares `mcast replay --stats --json` with counts in the yardstick's format (the generator's truth or the C
 * program's output) and, when given, the generator's detail (versions, v3 record types). Returns the differences.
 */
function compareStats(doc, truth, detail) {
  const diffs = [];
  const cmpMaps = (what, want, got) => {
    for (const [k, v] of want) {
      const g = got.get(k);
      if (g === undefined) diffs.push(`${what} ${k}: missing (want ${v})`);
      else if (String(g) !== String(v)) diffs.push(`${what} ${k}: got ${g}, want ${v}`);
    }
    for (const [k, g] of got) if (!want.has(k)) diffs.push(`${what} ${k}: unexpected (got ${g})`);
  };
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.igmp) || !Array.isArray(doc.streams)) {
    return ['the --stats --json document has no igmp/streams arrays'];
  }
  if (doc.frames !== truth.frames) diffs.push(`frames: got ${doc.frames}, want ${truth.frames}`);
  if (doc.errors !== undefined && doc.errors !== 0) diffs.push(`errors: got ${doc.errors}, want 0 (every frame in the corpus is well-formed)`);
  const igmp = new Map();
  const igmpVersion = new Map();
  const msgs = new Map();
  for (const c of doc.igmp) {
    const k = `${c.typeCode} ${c.group}`;
    igmp.set(k, (igmp.get(k) ?? 0) + c.count);
    igmpVersion.set(`${c.typeCode} ${c.version} ${c.group}`, c.count);
    if (c.typeCode !== 0x22) msgs.set(c.typeCode, (msgs.get(c.typeCode) ?? 0) + c.count);
  }
  cmpMaps('igmp', truth.igmp, igmp);
  // v3 reports count per record, so their message count cannot be derived; the others can.
  cmpMaps('igmp_msgs', new Map([...truth.igmpMsgs].filter(([t]) => t !== 0x22)), msgs);
  const udp = new Map();
  for (const s of doc.streams) udp.set(`${s.group} ${s.port}`, `${s.packets} ${s.bytes}`);
  cmpMaps('udp', truth.udp, udp);
  if (detail === null) return diffs;
  cmpMaps('igmp_version', detail.igmpVersion, igmpVersion);
  if (Array.isArray(doc.records)) {
    const rec = new Map();
    for (const r of doc.records) rec.set(`${r.typeCode} ${r.group}`, (rec.get(`${r.typeCode} ${r.group}`) ?? 0) + r.count);
    cmpMaps('v3_record', detail.v3Records, rec);
  } else {
    diffs.push('the --stats --json document has no records array');
  }
  return diffs;
}

function parseStatsDoc(stdout) {
  try {
    return JSON.parse(stdout);
  } catch {
    const lines = stdout.trim().split('\n');
    try {
      return JSON.parse(lines[lines.length - 1]);
    } catch {
      return null;
    }
  }
}

function reportCheck(name, diffs) {
  if (diffs.length === 0) {
    log(`  ${name}: MATCH`);
  } else {
    failures++;
    log(`  ${name}: ${diffs.length} DIFFERENCE${diffs.length > 1 ? 'S' : ''}`);
    for (const d of diffs.slice(0, 15)) log(`    ${d}`);
    if (diffs.length > 15) log(`    ... ${diffs.length - 15} more`);
  }
  return { match: diffs.length === 0, differences: diffs.length, first: diffs.slice(0, 50) };
}

// ---------------------------------------------------------------------------------------------------------------

function main() {
  mkdirSync(DIR, { recursive: true });
  devNull = openSync('/dev/null', 'w');
  peakMethod = detectPeakMethod();
  const cpu = cpus();
  log(`mcastkit bench: ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, node ${process.version}, linux ${release()}`);
  log(`peak memory: ${peakMethod === 'gnu-time' ? '/usr/bin/time -f %M (ru_maxrss)' : peakMethod === 'python-wait4' ? 'python3 os.wait4 ru_maxrss' : 'not measured (no /usr/bin/time, no python3)'}`);
  log();

  // -- corpora -------------------------------------------------------------------------------------------------
  log('corpora (classic pcap, seed ' + SEED + '):');
  const name = FRAMES === 1_000_000 ? 'corpus-1m' : `corpus-${FRAMES}`;
  const corpus = ensureCorpus(join(DIR, `${name}.pcap`), FRAMES);
  // The generator's frames do not depend on the count, so the subset is the first 100k frames of the corpus.
  const subset = FRAMES > SUBSET_FRAMES ? ensureCorpus(join(DIR, 'corpus-100k.pcap'), SUBSET_FRAMES) : corpus;
  const small = ensureCorpus(join(DIR, 'corpus-10mb.pcap'), SMALL_FRAMES);
  const big = BIG ? ensureCorpus(join(DIR, 'corpus-big.pcap'), BIG_FRAMES) : null;
  for (const c of [corpus, subset, small, big]) {
    if (c !== null && c.reused) log(`  reused ${c.path}: ${fmtInt(c.frames)} frames, ${fmt1(c.bytes / MB)} MB`);
  }
  if (!BIG) log('  the >= 1 GB file is skipped (BENCH_BIG=0)');
  const truth = readTruth(truthPaths(corpus.path).truth);
  const detail = readDetail(truthPaths(corpus.path).detail);
  // A fresh corpus leaves ~1-2 GB of dirty pages whose writeback would slow the first round: flush them first.
  if ([corpus, subset, small, big].some((c) => c !== null && !c.reused)) spawnSync('sync', [], { stdio: 'ignore' });
  // Page cache: read everything once, untimed, so the first round is not the only one reading from disk.
  for (const c of [corpus, subset]) ioFloor(c.path);
  log();

  // -- tools -----------------------------------------------------------------------------------------------------
  log('tools:');
  const mcastHelp = existsSync(MCAST) ? runChild(process.execPath, [MCAST, 'replay', '--help'], 'capture') : null;
  const mcastOk = mcastHelp !== null && mcastHelp.status === 0;
  const hasTable = mcastOk && /--table\b/.test(mcastHelp.stdout + mcastHelp.stderr);
  if (mcastOk && process.env.BENCH_MCAST === undefined) warnStale();
  if (!mcastOk) {
    failures++;
    log(`  mcast: NOT RUNNABLE (${mcastHelp === null ? `${MCAST} not found` : firstLine(mcastHelp.stderr) || `exit ${mcastHelp.status}`}); its rows are skipped`);
  } else {
    log(`  mcast: ${MCAST}${hasTable ? ' (replay --table: yes)' : ' (replay --table: not listed by --help, issue 4 row skipped)'}`);
  }
  const pcapcount = buildPcapcount();
  const tcpdump = have('tcpdump') ? 'tcpdump' : null;
  const tshark = have('tshark') ? 'tshark' : null;
  log(`  tcpdump: ${tcpdump ?? 'not installed'}; tshark: ${tshark ?? 'not installed'}`);
  log();

  // -- tasks -----------------------------------------------------------------------------------------------------
  const node = process.execPath;
  const tasks = [];
  tasks.push({ id: 'io-floor', label: 'I/O floor: fs.readSync, 4 MiB buffer', command: `readSync loop over ${corpus.path} (in-process)`, file: corpus, run: () => ioFloor(corpus.path) });
  if (pcapcount !== null) {
    tasks.push({ id: 'c-pcapcount', label: 'C: libpcap + same counting', file: corpus, cmd: pcapcount, args: [corpus.path], out: 'null' });
    tasks.push({ id: 'c-iterate', label: 'C: libpcap walk only (--iterate)', file: corpus, cmd: pcapcount, args: [corpus.path, '--iterate'], out: 'null' });
  }
  if (mcastOk) {
    const m = (id, label, args, out) => tasks.push({ id, label, file: corpus, cmd: node, args: [MCAST, 'replay', corpus.path, ...args], out, mcast: true });
    m('mcast-stats', 'mcast replay --stats -q', ['--stats', '-q'], 'capture');
    m('mcast-stats-json', 'mcast replay --stats --json', ['--stats', '--json'], 'capture');
    m('mcast-json', 'mcast replay --json >/dev/null', ['--json'], 'null');
    m('mcast-all-json', 'mcast replay --all --json >/dev/null', ['--all', '--json'], 'null');
    if (hasTable) m('mcast-table', 'mcast replay --stats -q --table', ['--stats', '-q', '--table'], 'capture');
  }
  if (tcpdump !== null) tasks.push({ id: 'tcpdump', label: 'tcpdump -nn -r FILE >/dev/null', file: corpus, cmd: tcpdump, args: ['-nn', '-r', corpus.path], out: 'null' });
  if (tshark !== null) {
    // The fields the counting needs, so every frame is dissected down to them; the aggregation itself is left out.
    const fields = ['frame.number', 'eth.type', 'ip.dst', 'igmp.type', 'igmp.maddr', 'udp.dstport', 'udp.length'];
    tasks.push({
      id: 'tshark',
      label: subset === corpus ? 'tshark -T fields' : `tshark -T fields (first ${fmtInt(subset.frames)} frames)`,
      file: subset,
      cmd: tshark,
      args: ['-n', '-r', subset.path, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])],
      out: 'null',
      extrapolated: subset !== corpus,
    });
  }
  for (const t of tasks) {
    t.command ??= [t.cmd === node ? 'node' : t.cmd, ...t.args.map((a) => (a === MCAST ? MCAST.replace(`${ROOT}/`, '') : a))].join(' ') + (t.out === 'null' ? ' >/dev/null' : '');
    t.runs = [];
    t.peaks = [];
    t.failed = null;
  }

  // -- rounds ----------------------------------------------------------------------------------------------------
  let statsDoc = null;
  let statsText = null;
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate: every tool once per round, the order rotated each round.
    const order = tasks.map((_, i) => tasks[(i + r) % tasks.length]);
    const parts = [];
    for (const t of order) {
      if (t.failed !== null) continue;
      const res = t.run ? t.run() : runChild(t.cmd, t.args, t.out);
      if (res.status !== 0) {
        t.failed = `exit ${res.status}: ${firstLine(res.stderr)}`;
        if (t.mcast) failures++;
        parts.push(`${t.id} FAILED`);
        continue;
      }
      t.runs.push(res.seconds);
      if (res.peakKb !== null) t.peaks.push(res.peakKb);
      if (r === 0 && t.id === 'mcast-stats-json') statsDoc = parseStatsDoc(res.stdout);
      if (r === 0 && t.id === 'mcast-stats') statsText = res.stdout;
      parts.push(`${t.id} ${res.seconds.toFixed(2)}s`);
    }
    log(`round ${r + 1}/${ROUNDS}: ${parts.join(', ')}`);
  }
  for (const t of tasks) if (t.failed !== null) log(`  ${t.id}: ${t.command}: ${t.failed}`);
  log();

  // -- correctness -----------------------------------------------------------------------------------------------
  log(`correctness (${corpus.path}):`);
  const correctness = {};
  let pcTruth = null;
  if (pcapcount !== null) {
    const r = runChild(pcapcount, [corpus.path], 'capture');
    const got = r.stdout.trim().split('\n').sort(cmpC).join('\n');
    const want = readFileSync(truthPaths(corpus.path).truth, 'utf8').trim();
    correctness.pcapcountVsTruth = reportCheck('C pcapcount vs generator truth', r.status !== 0 ? [`exit ${r.status}: ${firstLine(r.stderr)}`] : got === want ? [] : lineDiff(want, got));
    if (r.status === 0) pcTruth = parseTruth(got);
  }
  const statsTask = tasks.find((t) => t.id === 'mcast-stats-json');
  if (statsTask && statsTask.failed === null) {
    const none = ['--stats --json printed no JSON document'];
    correctness.statsJsonVsTruth = reportCheck('mcast --stats --json vs generator truth', statsDoc === null ? none : compareStats(statsDoc, truth, detail));
    if (pcTruth !== null) correctness.statsJsonVsC = reportCheck('mcast --stats --json vs C pcapcount', statsDoc === null ? none : compareStats(statsDoc, pcTruth, null));
  }
  if (statsText !== null) {
    const m = /(\d+) frames/.exec(statsText);
    const diffs = m === null ? ['no "N frames" line in the --stats -q output'] : Number(m[1]) === truth.frames ? [] : [`frames: got ${m[1]}, want ${truth.frames}`];
    if (!/\S/.test(statsText)) diffs.push('--stats -q printed nothing');
    correctness.statsText = reportCheck('mcast --stats -q frame count', diffs);
  }
  if (mcastOk) correctness.jsonLines = checkJsonLines(small);
  log();

  // -- memory flatness -------------------------------------------------------------------------------------------
  const memory = mcastOk ? memoryFlatness(small, big) : null;

  // -- table -----------------------------------------------------------------------------------------------------
  const rows = summarize(tasks, corpus);
  printTable(rows, corpus);
  if (memory !== null) printMemory(memory);

  // -- host bench (owned elsewhere) ------------------------------------------------------------------------------
  const host = runHostBench();
  const capture = runLiveBench('capture.mjs', STRICT ? ['--strict'] : []);

  const results = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? null, node: process.version, kernel: release() },
    peakMemoryMethod: peakMethod,
    units: { mbPerS: '10^6 bytes of capture file per second', peakRssMb: '10^6 bytes (ru_maxrss)', seconds: 'median wall time' },
    rounds: ROUNDS,
    corpus: corpusInfo(corpus),
    subset: corpusInfo(subset),
    targets: TARGET,
    rows,
    correctness,
    memory,
    host,
    capture,
    exit: { failures, targetsMissed: missed, strict: STRICT },
  };
  writeFileSync(join(DIR, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  log();
  log(`results: ${join(DIR, 'results.json')}`);
  if (failures > 0) log(`${failures} failure(s): wrong counts or failed commands (see above)`);
  if (missed > 0) log(`${missed} target(s) missed${STRICT ? '' : ' (BENCH_STRICT=1 makes that an error)'}`);
  closeSync(devNull);
  return failures > 0 || (STRICT && missed > 0) ? 1 : 0;
}

/** bin/mcast.js runs dist/: say so when a source file is newer than the build, since the figures would be stale. */
function warnStale() {
  const built = join(ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(built)) return;
  const at = statSync(built).mtimeMs;
  const newer = readdirSync(join(ROOT, 'src'), { recursive: true }).filter((f) => String(f).endsWith('.ts') && statSync(join(ROOT, 'src', String(f))).mtimeMs > at);
  if (newer.length > 0) log(`  WARNING: ${newer.length} file(s) in src/ are newer than dist/ (e.g. src/${newer[0]}): run \`npm run build\` for current figures`);
}

function lineDiff(want, got) {
  const w = new Set(want.split('\n'));
  const g = new Set(got.split('\n'));
  return [...[...w].filter((l) => !g.has(l)).map((l) => `want: ${l}`), ...[...g].filter((l) => !w.has(l)).map((l) => `got:  ${l}`)];
}

const corpusInfo = (c) => ({ path: c.path, frames: c.frames, bytes: c.bytes, seed: SEED, generator: GENERATOR_ID, reused: c.reused });

/** Compiles the shared C yardstick to $BENCH_DIR/pcapcount when its source, gcc and libpcap's header are there. */
function buildPcapcount() {
  const src = [resolve(ROOT, '../shared/bench/pcapcount.c'), '/work/shared/bench/pcapcount.c'].find((p) => existsSync(p));
  if (src === undefined) {
    log('  C reference: pcapcount.c not found (../shared/bench/ or /work/shared/bench/): its rows and the ratio are skipped');
    return null;
  }
  if (!have('gcc')) {
    log('  C reference: gcc not installed: skipped');
    return null;
  }
  const bin = join(DIR, 'pcapcount');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    const r = spawnSync('gcc', ['-O2', '-o', bin, src, '-lpcap'], { encoding: 'utf8' });
    if (r.status !== 0) {
      log(`  C reference: compiling ${src} failed (libpcap-dev missing?): ${firstLine(r.stderr)}`);
      return null;
    }
  }
  log(`  C reference: ${bin} (gcc -O2 ${src} -lpcap)`);
  return bin;
}

/** `--json` prints one valid JSON line per IGMP frame; `--all --json` one per frame (on the ~10 MB corpus). */
function checkJsonLines(c) {
  const truth = readTruth(truthPaths(c.path).truth);
  const igmpFrames = [...truth.igmpMsgs.values()].reduce((a, b) => a + b, 0);
  const out = {};
  for (const [flag, want] of [
    [['--json'], igmpFrames],
    [['--all', '--json'], truth.frames],
  ]) {
    const r = runChild(process.execPath, [MCAST, 'replay', c.path, ...flag], 'capture');
    const diffs = [];
    if (r.status !== 0) {
      diffs.push(`exit ${r.status}: ${firstLine(r.stderr)}`);
    } else {
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      if (lines.length !== want) diffs.push(`${lines.length} lines, want ${want}`);
      const bad = lines.findIndex((l) => {
        try {
          return typeof JSON.parse(l) !== 'object';
        } catch {
          return true;
        }
      });
      if (bad >= 0) diffs.push(`line ${bad + 1} is not a JSON object: ${lines[bad].slice(0, 80)}`);
    }
    out[flag.join(' ')] = reportCheck(`mcast replay ${flag.join(' ')} on ${c.path}: one JSON line per ${flag.length > 1 ? 'frame' : 'IGMP frame'}`, diffs);
  }
  return out;
}

function memoryFlatness(small, big) {
  log('memory (peak RSS, one run each):');
  const res = { small: {}, big: {}, checks: [] };
  for (const [mode, args, out] of [
    ['--stats -q', ['--stats', '-q'], 'capture'],
    ['--json', ['--json'], 'null'],
  ]) {
    for (const [key, c] of [
      ['small', small],
      ['big', big],
    ]) {
      if (c === null) continue;
      const r = runChild(process.execPath, [MCAST, 'replay', c.path, ...args], out);
      const entry = { file: c.path, bytes: c.bytes, frames: c.frames, status: r.status, seconds: r.seconds, peakRssMb: r.peakKb === null ? null : (r.peakKb * 1024) / MB };
      if (r.status !== 0) {
        failures++;
        entry.error = firstLine(r.stderr);
      }
      res[key][mode] = entry;
      log(
        `  replay ${mode.padEnd(10)} ${fmt1(c.bytes / MB).padStart(7)} MB: ` +
          (r.status !== 0 ? `FAILED (exit ${r.status}: ${entry.error})` : `peak ${fmt1(entry.peakRssMb)} MB, ${r.seconds.toFixed(2)} s, ${fmtInt(c.frames / r.seconds)} frames/s`),
      );
    }
    const s = res.small[mode];
    const b = res.big[mode];
    if (s?.status === 0 && s.peakRssMb != null && (b === undefined || b.status === 0)) {
      const peak = Math.max(s.peakRssMb, b?.peakRssMb ?? 0);
      const growthMb = b?.peakRssMb == null ? null : b.peakRssMb - s.peakRssMb;
      // Flatness is judged on --stats -q (the issue's mode); --json makes garbage per IGMP frame, so V8 sizing its
      // heap to the load can add a few MB on a long run without any leak: reported, judged only on the ceiling.
      const judged = mode === '--stats -q';
      const flat = growthMb === null || !judged ? null : growthMb <= TARGET.flatSlackMb;
      const pass = peak < TARGET.peakMb && flat !== false;
      if (!pass) missed++;
      res.checks.push({ mode, smallMb: s.peakRssMb, bigMb: b?.peakRssMb ?? null, growthMb, flatJudged: judged, flat, under: peak < TARGET.peakMb, pass });
    }
  }
  log();
  return res;
}

function summarize(tasks, corpus) {
  const c = tasks.find((t) => t.id === 'c-pcapcount');
  const stats = tasks.find((t) => t.id === 'mcast-stats');
  // Ratios from the runs of the same round (alternating), then the median over rounds.
  const ratio = (a, b) => {
    if (!a || !b || a.runs.length === 0 || b.runs.length === 0 || a.failed || b.failed) return NaN;
    const n = Math.min(a.runs.length, b.runs.length);
    return median(Array.from({ length: n }, (_, i) => a.runs[i] / b.runs[i]));
  };
  return tasks.map((t) => {
    const sec = median(t.runs);
    const frames = t.file.frames;
    const fps = frames / sec;
    const row = {
      id: t.id,
      tool: t.label,
      command: t.command,
      frames,
      bytes: t.file.bytes,
      runsS: t.runs.map((x) => Math.round(x * 1e4) / 1e4),
      medianS: Math.round(sec * 1e4) / 1e4,
      framesPerS: Math.round(fps),
      mbPerS: Math.round((t.file.bytes / sec / MB) * 10) / 10,
      peakRssMb: t.peaks.length ? Math.round(((Math.max(...t.peaks) * 1024) / MB) * 10) / 10 : null,
      vsC: !c || t === c ? null : t.file === corpus ? Math.round(ratio(t, c) * 100) / 100 : Math.round((sec / frames / (median(c.runs) / c.file.frames)) * 100) / 100,
      extrapolated: t.extrapolated === true,
      failed: t.failed,
      targets: [],
      pass: null,
    };
    if (row.vsC !== null && !Number.isFinite(row.vsC)) row.vsC = null;
    const judge = (text, ok) => {
      row.targets.push({ target: text, pass: ok });
      row.pass = (row.pass ?? true) && ok;
    };
    if (t.failed !== null) {
      row.pass = false;
      return row;
    }
    if (t.id === 'mcast-stats') {
      if (row.vsC !== null) judge(`<= ${TARGET.statsVsC}x C`, row.vsC <= TARGET.statsVsC);
      judge(`>= ${fmtInt(TARGET.statsFps)} f/s`, fps >= TARGET.statsFps);
    } else if (t.id === 'mcast-json') {
      judge(`>= ${fmtInt(TARGET.jsonFps)} f/s`, fps >= TARGET.jsonFps);
    } else if (t.id === 'mcast-table') {
      const x = ratio(t, stats);
      row.vsStats = Math.round(x * 100) / 100;
      judge(`${fmt2(x)}x --stats -q (<= ${TARGET.tableVsStats}x)`, x <= TARGET.tableVsStats);
    }
    if (t.mcast && row.peakRssMb !== null) judge(`< ${TARGET.peakMb} MB`, row.peakRssMb < TARGET.peakMb);
    if (row.pass === false) missed++;
    return row;
  });
}

const fmt2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : '-');

function printTable(rows, corpus) {
  log(`results: ${fmtInt(corpus.frames)} frames, ${fmt1(corpus.bytes / MB)} MB, file in page cache; median of ${ROUNDS} alternating rounds`);
  const head = ['tool', 'seconds', 'frames/s', 'MB/s', 'peak RSS MB', 'vs C', 'target'];
  const body = rows.map((r) => [
    r.tool + (r.extrapolated ? ' *' : ''),
    r.failed ? '-' : r.medianS.toFixed(3),
    r.failed ? '-' : fmtInt(r.framesPerS),
    r.failed ? '-' : fmt1(r.mbPerS),
    r.peakRssMb === null ? '-' : fmt1(r.peakRssMb),
    r.vsC === null ? '-' : `${fmt2(r.vsC)}x`,
    r.failed ? `FAILED (${r.failed})` : r.targets.map((x) => `${x.target}: ${x.pass ? 'ok' : 'MISSED'}`).join('; '),
  ]);
  const right = [false, true, true, true, true, true, false];
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (r) => r.map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  log(fmt(head));
  log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const b of body) log(fmt(b));
  if (rows.some((r) => r.extrapolated)) {
    log(`* run on the first ${fmtInt(SUBSET_FRAMES)} frames of the same corpus (tshark is ~100x slower): seconds are for the subset; frames/s, MB/s and "vs C" (time per frame) extrapolate to the whole corpus`);
  }
  log('seconds include process start-up; "vs C" is the median over rounds of (time / C time in the same round)');
}

function printMemory(m) {
  for (const c of m.checks) {
    const big = c.bigMb === null ? 'big file skipped' : `${fmt1(c.bigMb)} MB on ${fmt1((m.big[c.mode]?.bytes ?? 0) / MB)} MB (${c.growthMb >= 0 ? '+' : ''}${fmt1(c.growthMb)})`;
    const target = c.flatJudged ? `< ${TARGET.peakMb} MB and flat (+<= ${TARGET.flatSlackMb} MB)` : `< ${TARGET.peakMb} MB (growth reported, not judged)`;
    log(`memory, replay ${c.mode}: ${fmt1(c.smallMb)} MB on ${fmt1((m.small[c.mode]?.bytes ?? 0) / MB)} MB, ${big}; target ${target}: ${c.pass ? 'PASS' : 'MISSED'}`);
  }
}

/** bench/host.mjs (the live, root-only part, owned by another module) runs last when present. */
function runHostBench() {
  return runLiveBench('host.mjs', []);
}

/**
 * A live, root-only benchmark in bench/ (host.mjs: send/listen; capture.mjs: the live capture rate), run after the
 * offline part when present, its output passed through. Under BENCH_STRICT=1 capture.mjs gets --strict, so a missed
 * target there ends in exit 1 too.
 */
function runLiveBench(file, args) {
  const path = join(ROOT, 'bench', file);
  if (!existsSync(path)) return { ran: false, reason: `bench/${file} not present` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    log();
    log(`bench/${file}: skipped (needs root)`);
    return { ran: false, reason: 'not root' };
  }
  log();
  log(`bench/${file}:`);
  const r = spawnSync(process.execPath, [path, ...args], { cwd: ROOT, stdio: 'inherit' });
  const status = r.error ? -1 : r.status ?? 128;
  if (status !== 0) {
    failures++;
    log(`bench/${file}: exit ${status}`);
  }
  return { ran: true, status };
}

process.exitCode = main();
