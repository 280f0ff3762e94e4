/**
 * Reading '-' (stdin) and writing '-' (stdout), in a child process: stdin redirected from a file, from a pipe, and
 * from a slow pipe made non-blocking (reads meet EAGAIN and wait); in this process: a non-blocking FIFO fd.
 * The same reader code path serves all of them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStats } from '../../src/pcap/source.js';
import { FIXTURES, fifoFeed, readAll, tmpDir, toolGate, tsharkFrames } from './tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const viteNode = path.join(root, 'node_modules/.bin/vite-node');
const child = path.join(here, 'child/copy.ts');
const tshark = toolGate(['tshark']);
const dir = tmpDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Summary {
  format: string;
  fileSize: number | null;
  records: number;
  error: { code: string; offset: number } | null;
  eagainWaits: number;
  nonblocking: boolean;
}

function summary(stderr: string): Summary {
  const line = stderr.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`no summary from the child: ${stderr}`);
  return JSON.parse(line) as Summary;
}

/** The copy must hold the same frames as the input (as tshark sees both). */
function expectSameFrames(input: string, output: Buffer, withTshark = false): void {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}.pcapng`);
  fs.writeFileSync(out, output);
  const a = readAll(input);
  const b = readAll(out);
  expect(b.error).toBeNull();
  expect(b.records.map((r) => [r.tsSec, r.tsNsec, r.caplen, r.wirelen, r.hex, r.linkType, r.ifaceName])).toEqual(
    a.records.map((r) => [r.tsSec, r.tsNsec, r.caplen, r.wirelen, r.hex, r.linkType, r.ifaceName]),
  );
  if (withTshark && tshark.ok) {
    const strip = (f: ReturnType<typeof tsharkFrames>[number]) => [f.sec, f.nsec, f.len, f.caplen, f.hex, f.encap];
    expect(tsharkFrames(out).map(strip)).toEqual(tsharkFrames(input).map(strip));
  }
}

describe("'-' means stdin for the reader and stdout for the writer", () => {
  const input = path.join(FIXTURES, 'multi.pcapng');

  it('stdin redirected from a regular file', () => {
    const fd = fs.openSync(input, 'r');
    const r = spawnSync(viteNode, [child], { stdio: [fd, 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    fs.closeSync(fd);
    const s = summary(r.stderr.toString());
    expect(s).toMatchObject({ format: 'pcapng', fileSize: fs.statSync(input).size, records: 36, error: null });
    expectSameFrames(input, r.stdout, true);
  });

  it('stdin from a pipe (no size, no seeking)', () => {
    const r = spawnSync(viteNode, [child], { input: fs.readFileSync(input), maxBuffer: 64 << 20 });
    const s = summary(r.stderr.toString());
    expect(s).toMatchObject({ format: 'pcapng', fileSize: null, records: 36, error: null });
    expectSameFrames(input, r.stdout);
  });

  it('stdin from a slow non-blocking pipe: EAGAIN waits, then every record', async () => {
    const file = path.join(FIXTURES, 'eth-nsec.pcap');
    const bytes = fs.readFileSync(file);
    const p = spawn(viteNode, [child, '--touch-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (b: Buffer) => out.push(b));
    const opened = new Promise<void>((resolve) => {
      p.stderr.on('data', (b: Buffer) => {
        err += b.toString();
        if (err.includes('open\n')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => p.on('close', resolve));
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    p.stdin.write(bytes.subarray(0, 100)); // file header and the first record
    await opened;
    for (let o = 100; o < bytes.length; o += 700) {
      await sleep(60);
      p.stdin.write(bytes.subarray(o, Math.min(bytes.length, o + 700)));
    }
    await sleep(60);
    p.stdin.end();
    expect(await exited).toBe(0);
    const s = summary(err);
    expect(s).toMatchObject({ format: 'pcap', fileSize: null, records: 6, error: null, nonblocking: true });
    expect(s.eagainWaits).toBeGreaterThan(0);
    expectSameFrames(file, Buffer.concat(out));
  });

  it('damaged stdin: the good records are copied, the error names the offset, the output stays valid', () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'eth-usec.pcap'));
    const cut = bytes.subarray(0, bytes.length - 10); // last record cut short; it starts at byte 1396
    const r = spawnSync(viteNode, [child], { input: cut, maxBuffer: 64 << 20 });
    const s = summary(r.stderr.toString());
    expect(s).toMatchObject({ records: 5, error: { code: 'ERR_PCAP_TRUNCATED_RECORD', offset: 1396 } });
    const out = path.join(dir, 'cut-copy.pcapng');
    fs.writeFileSync(out, r.stdout);
    const back = readAll(out);
    expect([back.error, back.records.length]).toEqual([null, 5]);
  });
});

describe('a non-blocking FIFO read in this process', () => {
  it('waits on EAGAIN and reads the same records as from the file', () => {
    for (const name of ['eth-nsec.pcapng', 'eth-usec.pcap']) {
      const file = path.join(FIXTURES, name);
      const before = readStats.eagainWaits;
      const feed = fifoFeed(dir, fs.readFileSync(file), { nonBlocking: true, chunks: 4, pauseMs: 80 });
      let res;
      try {
        res = readAll(feed.fd);
      } finally {
        feed.close();
      }
      expect(res.error).toBeNull();
      expect(res.records).toEqual(readAll(file).records);
      expect(readStats.eagainWaits).toBeGreaterThan(before);
    }
  });
});
