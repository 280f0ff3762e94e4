/**
 * Helpers for the capture tests: a minimal classic-pcap reader (the independent side: it reads what tcpdump
 * wrote), the probe child that runs the compiled library inside a namespace, and dist/ freshness.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../support/netns.js';
import { ensureBuilt as buildIfStale } from '../support/build.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PROBE = join(ROOT, 'test/capture/probe.mjs');

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The probe runs dist/ (a namespaced child cannot use vitest's transform): compile when dist/ is stale. */
export function ensureBuilt(): void {
  buildIfStale((s) => s.startsWith('capture/') || s === 'cli/interfaces.ts');
}

export interface ProbeLine {
  event: string;
  [k: string]: unknown;
}

/** A probe child in a namespace; its JSON lines arrive in `lines`, `waitFor` resolves on the first match. */
export class Probe {
  readonly child: ChildProcess;
  readonly lines: ProbeLine[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  stdout = '';
  private waiters: { pred: (l: ProbeLine) => boolean; resolve: (l: ProbeLine) => void }[] = [];

  constructor(lab: Lab, ns: string, req: object, prefix: string[] = []) {
    const [cmd, ...args] = [...prefix, 'node', PROBE, JSON.stringify(req)];
    this.child = lab.spawn(ns, cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString('utf8')));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: ProbeLine;
      try {
        line = JSON.parse(text) as ProbeLine;
      } catch {
        line = { event: 'garbage', text };
      }
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => (w.pred(line) ? (w.resolve(line), false) : true));
    });
    this.exited = new Promise((res) => this.child.on('exit', (code) => res(code)));
  }

  waitFor(event: string, timeoutMs = 10_000): Promise<ProbeLine> {
    const pred = (l: ProbeLine) => l.event === event || l.event === 'error';
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`probe: no '${event}' within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
    });
  }

  /** Resolves with the exit code, or rejects when the child is still running after `timeoutMs`. */
  async exit(timeoutMs = 10_000): Promise<number | null> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`probe still running after ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  of(event: string): ProbeLine[] {
    return this.lines.filter((l) => l.event === event);
  }
}

/** Run a probe to completion and return its lines. */
export async function runProbe(lab: Lab, ns: string, req: object, prefix: string[] = []): Promise<ProbeLine[]> {
  const p = new Probe(lab, ns, req, prefix);
  await p.exit();
  return p.lines;
}

export interface PcapRecord {
  tsSec: number;
  /** Fraction of the second in the file's unit (micro- or nanoseconds). */
  tsFrac: number;
  caplen: number;
  wirelen: number;
  data: Uint8Array;
}

/**
 * Classic pcap (libpcap's format: 24-byte file header, 16-byte record headers), little-endian as tcpdump writes
 * on x86; magic a1b2c3d4 = microseconds, a1b23c4d = nanoseconds. Test-only and strict: throws on anything else.
 */
export function readClassicPcap(file: string): { linkType: number; nano: boolean; snaplen: number; records: PcapRecord[] } {
  const buf = readFileSync(file);
  const magic = buf.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${file}: not a little-endian classic pcap`);
  const records: PcapRecord[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const caplen = buf.readUInt32LE(off + 8);
    if (off + 16 + caplen > buf.length) throw new Error(`${file}: truncated record at ${off}`);
    records.push({
      tsSec: buf.readUInt32LE(off),
      tsFrac: buf.readUInt32LE(off + 4),
      caplen,
      wirelen: buf.readUInt32LE(off + 12),
      data: new Uint8Array(buf.subarray(off + 16, off + 16 + caplen)),
    });
    off += 16 + caplen;
  }
  if (off !== buf.length) throw new Error(`${file}: ${buf.length - off} trailing bytes`);
  return { linkType: buf.readUInt32LE(20), nano: magic === 0xa1b23c4d, snaplen: buf.readUInt32LE(16), records };
}

/** Start tcpdump in a namespace writing `file`; resolves once it is listening. */
export async function startTcpdump(lab: Lab, ns: string, args: string[], file: string): Promise<ChildProcess> {
  const child = lab.spawn(ns, 'tcpdump', ['-Z', 'root', '-n', '--immediate-mode', '-U', '-w', file, ...args]);
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`tcpdump exited: ${err}`)));
  });
  return child;
}

/** SIGINT tcpdump (it flushes and writes its counts) and wait for it to exit. */
export function stopTcpdump(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.on('exit', () => resolve());
    child.kill('SIGINT');
  });
}
