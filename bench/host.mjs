#!/usr/bin/env node
// Host send/listen throughput: `mcast send` into a veth pair between two network namespaces, `mcast listen` on
// the other end, both the compiled CLI from dist/ (run `npm run build` first). Needs root (namespaces).
//
//   node bench/host.mjs [--rate PPS] [--count N] [--size BYTES] [--runs N] [--no-flood] [--json] [--strict]
//
// Target (issue 5): the sender sustains 100,000 datagrams/s of 100 bytes and the listener loses none.
// Each paced run prints the send rate the sender achieved and what the listener counted (lost, duplicates,
// reordered, one-way delay); a flood run (--rate 0) shows the sender's ceiling. --strict exits 1 when a paced run
// misses the target. The machine's other load shows in the figures: compare runs, not single numbers.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const rate = Number(opt('--rate', '100000'));
const count = Number(opt('--count', String(rate * 5 || 500000)));
const size = Number(opt('--size', '100'));
const runs = Number(opt('--runs', '3'));
const flood = !args.includes('--no-flood');
const asJson = args.includes('--json');
const strict = args.includes('--strict');

function entry() {
  return `${root}bin/mcast.js`;
}

if (process.getuid?.() !== 0) {
  console.error('bench/host.mjs: needs root (it creates network namespaces)');
  process.exit(2);
}
if (!existsSync(`${root}dist/host/run.js`)) {
  console.error('bench/host.mjs: dist/ is missing; run npm run build first');
  process.exit(2);
}

const tag = `mkbh${process.pid % 100000}`;
const TX = `${tag}-tx`;
const RX = `${tag}-rx`;
const sh = (cmd, a) => execFileSync(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns, cmd, a) => sh('ip', ['netns', 'exec', ns, cmd, ...a]);
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const ns of [TX, RX]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

sh('ip', ['netns', 'add', TX]);
sh('ip', ['netns', 'add', RX]);
sh('ip', ['link', 'add', `${tag}a`, 'type', 'veth', 'peer', 'name', `${tag}b`]);
sh('ip', ['link', 'set', `${tag}a`, 'netns', TX]);
sh('ip', ['link', 'set', `${tag}b`, 'netns', RX]);
inNs(TX, 'ip', ['link', 'set', `${tag}a`, 'name', 'tx0']);
inNs(RX, 'ip', ['link', 'set', `${tag}b`, 'name', 'rx0']);
inNs(TX, 'ip', ['addr', 'add', '10.77.0.1/24', 'dev', 'tx0']);
inNs(RX, 'ip', ['addr', 'add', '10.77.0.2/24', 'dev', 'rx0']);
for (const [ns, dev] of [[TX, 'tx0'], [RX, 'rx0']]) {
  inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
  inNs(ns, 'ip', ['link', 'set', dev, 'up']);
}

const lines = (text) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

function startListener(port) {
  const child = spawn('ip', ['netns', 'exec', RX, process.execPath, entry(), 'listen', `239.77.0.1:${port}`, '-i', 'rx0', '-q', '--json', '--interval', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const ready = new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (out.includes('"listening"')) {
        clearInterval(t);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`listener ended: ${err}`));
      }
    }, 20);
  });
  const done = new Promise((resolve) => child.on('close', () => resolve()));
  return { ready, stop: async () => (child.kill('SIGINT'), await done, lines(out).find((o) => o.type === 'summary')) };
}

async function run(label, pps, port) {
  const l = startListener(port);
  await l.ready;
  const s = spawnSync('ip', ['netns', 'exec', TX, process.execPath, entry(), 'send', `239.77.0.1:${port}`, '-i', 'tx0', '--rate', String(pps), '--size', String(size), '-c', String(count), '--json', '--interval', '0'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (s.status !== 0) throw new Error(`sender failed: ${s.stderr}`);
  const sent = lines(s.stdout).find((o) => o.type === 'summary');
  await new Promise((r) => setTimeout(r, 500)); // let the listener drain its socket
  const got = await l.stop();
  const st = got.streams[0] ?? { packets: 0, lost: count, duplicates: 0, reordered: 0, delay: null };
  const pass = pps > 0 ? sent.pps >= pps * 0.99 && st.lost === 0 && st.packets === count : null;
  return {
    label,
    rate: pps,
    size,
    sent: sent.datagrams,
    elapsedS: sent.elapsedS,
    sendPps: sent.pps,
    received: st.packets,
    lost: st.lost,
    lossPct: (100 * st.lost) / count,
    duplicates: st.duplicates,
    reordered: st.reordered,
    delayAvgMs: st.delay ? st.delay.avgUs / 1000 : null,
    delayMaxMs: st.delay ? st.delay.maxUs / 1000 : null,
    pass,
  };
}

const results = [];
try {
  let port = 7000;
  for (let i = 0; i < runs; i++) results.push(await run(`paced ${i + 1}/${runs}`, rate, port++));
  if (flood) results.push(await run('flood', 0, port++));
} finally {
  cleanup();
}

if (asJson) {
  console.log(JSON.stringify({ bench: 'host', results }));
} else {
  console.log(`mcast send -> veth -> mcast listen, ${size}-byte datagrams, ${count} per run (target: ${rate} pps, no loss)`);
  for (const r of results) {
    const delay = r.delayAvgMs === null ? '' : `, delay avg ${r.delayAvgMs.toFixed(2)} ms max ${r.delayMaxMs.toFixed(1)} ms`;
    const verdict = r.pass === null ? '' : r.pass ? '  PASS' : '  MISS';
    console.log(
      `${r.label.padEnd(12)} sent ${r.sent} in ${r.elapsedS.toFixed(2)} s = ${r.sendPps} pps; received ${r.received}, lost ${r.lost} (${r.lossPct.toFixed(3)}%), dup ${r.duplicates}, reordered ${r.reordered}${delay}${verdict}`,
    );
  }
}
if (strict && results.some((r) => r.pass === false)) process.exit(1);
