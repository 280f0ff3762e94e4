/**
 * `npm run fuzz -- [--iterations N] [--seed S]`: mutates the fixture frames and capture files (bit flips, byte
 * stores, truncation, lying length fields) and feeds them to the frame decoder, the JSON builder and the capture
 * reader. Anything but a typed error (WireError in a frame, CaptureFileError for a file) is a failure, as is a
 * reader that does not advance. Deterministic for a seed, so a failure can be replayed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFileError } from '../errors.js';
import { FrameDecoder } from '../decode/frame.js';
import { buildFrameJson } from '../decode/record.js';
import { StatsCollector } from '../decode/stats.js';
import { collectWarnings } from '../decode/conformance.js';
import { openCapture } from '../pcap/index.js';
import { syntheticFrames } from './gen-fixtures.js';

export interface FuzzOptions {
  iterations: number;
  seed: number;
  /** Folders whose .pcap/.pcapng files are mutated. */
  fixtureDirs: string[];
}
export interface FuzzReport {
  frames: number;
  frameErrors: number;
  files: number;
  fileErrors: number;
  failures: string[];
}

/** mulberry32: a small deterministic PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Uint8Array, rand: () => number, lengthFields: number[]): Uint8Array {
  const b = Uint8Array.from(src);
  const ops = 1 + Math.floor(rand() * 4);
  let out = b;
  for (let k = 0; k < ops && out.length > 0; k++) {
    const op = Math.floor(rand() * 5);
    const pos = Math.floor(rand() * out.length);
    if (op === 0) out[pos]! ^= 1 << Math.floor(rand() * 8);
    else if (op === 1) out[pos] = Math.floor(rand() * 256);
    else if (op === 2) out = out.slice(0, Math.floor(rand() * out.length));
    else if (lengthFields.length > 0) {
      // A lying length: a 16- or 32-bit field at a known length offset set to an extreme or random value.
      const at = lengthFields[Math.floor(rand() * lengthFields.length)]!;
      if (at + 4 <= out.length) {
        const v = [0, 1, 0xffff, 0xffffffff, Math.floor(rand() * 0x100000000)][Math.floor(rand() * 5)]!;
        new DataView(out.buffer, out.byteOffset).setUint32(at, v, rand() < 0.5);
      }
    }
  }
  return out;
}

export function runFuzz(opts: FuzzOptions): FuzzReport {
  const rand = rng(opts.seed);
  const report: FuzzReport = { frames: 0, frameErrors: 0, files: 0, fileErrors: 0, failures: [] };
  const d = new FrameDecoder();
  const frames = syntheticFrames();
  const warnings: string[] = [];
  const stats = new StatsCollector();
  // Frames: Ethernet length-bearing offsets (IP total length, UDP length, IGMP counts) sit in the first 64 bytes.
  const frameLengthFields = [16, 18, 38, 40, 42, 44, 46];
  for (let i = 0; i < opts.iterations; i++) {
    const f = frames[Math.floor(rand() * frames.length)]!;
    const bytes = mutate(f.frame, rand, frameLengthFields);
    const link = [1, 101, 276][f.iface]!;
    try {
      d.decode(link, bytes, 0, bytes.length);
      if (d.error !== null) report.frameErrors++;
      stats.add(d, 0, 0);
      warnings.length = 0;
      if (d.error === null) collectWarnings(d, warnings);
      JSON.stringify(buildFrameJson(d, { n: i, ts: '1970-01-01T00:00:00.000000Z', len: bytes.length, iface: null }));
      report.frames++;
    } catch (err) {
      report.failures.push(`frame ${i} (${Buffer.from(bytes).toString('hex')}): ${(err as Error).stack ?? err}`);
      if (report.failures.length > 10) return report;
    }
  }
  // Files: headers, record headers and block lengths are in the first bytes of each record: mutate anywhere,
  // with lying lengths aimed at the pcap caplen (offset 32) and the first pcapng block lengths.
  const files = opts.fixtureDirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((n) => /\.(pcap|pcapng)$/.test(n))
      .map((n) => readFileSync(join(dir, n))),
  );
  if (files.length === 0) return report;
  const dir = mkdtempSync(join(tmpdir(), 'mcastkit-fuzz-'));
  try {
    const fileIterations = Math.max(1, Math.floor(opts.iterations / 20));
    for (let i = 0; i < fileIterations; i++) {
      const src = files[Math.floor(rand() * files.length)]!;
      const bytes = mutate(new Uint8Array(src), rand, [4, 8, 12, 16, 20, 28, 32, 36, 40]);
      const path = join(dir, `f${i}`);
      writeFileSync(path, bytes);
      report.files++;
      try {
        const r = openCapture(path);
        let last = -1;
        try {
          for (let rec = r.next(); rec !== null; rec = r.next()) {
            if (rec.fileOffset <= last) throw new Error(`reader did not advance at byte ${rec.fileOffset}`);
            last = rec.fileOffset;
            d.decode(rec.linkType, rec.buf, rec.offset, rec.caplen);
          }
        } finally {
          r.close();
        }
      } catch (err) {
        if (err instanceof CaptureFileError) report.fileErrors++;
        else report.failures.push(`file ${i} (${bytes.length} bytes, kept at ${path}.bad): ${(err as Error).stack ?? err}`);
        if (!(err instanceof CaptureFileError)) writeFileSync(`${path}.bad`, bytes);
      }
    }
  } finally {
    if (report.failures.length === 0) rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

function main(): void {
  const args = process.argv.slice(2);
  const get = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    if (i < 0) return dflt;
    const v = Number(args[i + 1]);
    if (!Number.isInteger(v) || v < 0) {
      process.stderr.write(`fuzz: ${name} needs a whole number\nusage: npm run fuzz -- [--iterations N] [--seed S]\n`);
      process.exit(2);
    }
    return v;
  };
  const iterations = get('--iterations', 100_000);
  const seed = get('--seed', Date.now() % 1_000_000);
  const t0 = Date.now();
  const r = runFuzz({ iterations, seed, fixtureDirs: ['fixtures', 'fixtures/formats'] });
  const s = (Date.now() - t0) / 1000;
  process.stdout.write(
    `fuzz seed ${seed}: ${r.frames} frames (${r.frameErrors} with typed errors), ${r.files} files (${r.fileErrors} ended with typed errors) in ${s.toFixed(1)} s; ${r.failures.length} failures\n`,
  );
  for (const f of r.failures) process.stdout.write(`FAIL ${f}\n`);
  process.exitCode = r.failures.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();


