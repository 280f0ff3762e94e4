/**
 * Helpers for test/craft/kernel.live.test.ts: running the compiled `mcast` (namespaced children cannot use vitest's
 * transform, so dist/ must be fresh), the kernel-host.py membership holder, tcpdump -xx / tshark -T json readers,
 * and `bridge -j -d mdb show` reduced to comparable lines.
 */
import { execFile, execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Lab } from '../support/netns.js';
import { ensureBuilt as buildIfStale } from '../support/build.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = join(ROOT, 'bin/mcast.js');
const HOST_PY = join(ROOT, 'test/craft/kernel-host.py');

// A decoded frame as `mcast replay --json` prints it (src/decode/record.ts), kept loose: tests index into it.
export type Json = Record<string, any>;

/** Compile when any source is newer than its output (craft reaches into wire, decode, pcap, capture and cli). */
export function ensureBuilt(): void {
  buildIfStale((s) => /^(craft|wire|cli\/craft|decode|replay|pcap|format|capture\/(live|native|interfaces))/.test(s));
}

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `mcast ARGS`, in a namespace or (ns null) here. */
export function mcast(ns: string | null, args: string[], timeoutMs = 20_000): Result {
  const [cmd, ...argv] = ns === null ? [process.execPath, ENTRY, ...args] : ['ip', 'netns', 'exec', ns, process.execPath, ENTRY, ...args];
  const r = spawnSync(cmd!, argv, { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `mcast ...` that must succeed; returns stdout. */
export function mcastOk(ns: string | null, args: string[]): string {
  const r = mcast(ns, args);
  if (r.status !== 0) throw new Error(`mcast ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export function ndjson(text: string): Json[] {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Json);
}

/** Frames of a capture file, decoded by `mcast replay --json`. */
export function replayJson(file: string): Json[] {
  return ndjson(mcastOk(null, ['replay', '--json', '--all', file]));
}

/** Seconds since the epoch of a replay timestamp ("2026-01-01T10:00:00.123456Z"), to the microsecond. */
export function tsSeconds(ts: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(ts);
  if (m === null) throw new Error(`not a timestamp: ${ts}`);
  return Date.parse(`${m[1]}Z`) / 1000 + Number(m[2] ?? 0);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `fn` every `stepMs` until it returns true or `timeoutMs` passes; returns the last result. */
export async function until(fn: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (fn()) return true;
    if (Date.now() >= end) return false;
    await sleep(stepMs);
  }
}

/** A v3 group record as one comparable string, sources sorted: "IS_EX 239.1.1.2 {10.0.0.1}". */
const SHORT: Record<string, string> = {
  MODE_IS_INCLUDE: 'IS_IN',
  MODE_IS_EXCLUDE: 'IS_EX',
  CHANGE_TO_INCLUDE_MODE: 'TO_IN',
  CHANGE_TO_EXCLUDE_MODE: 'TO_EX',
  ALLOW_NEW_SOURCES: 'ALLOW',
  BLOCK_OLD_SOURCES: 'BLOCK',
};
export function recordLine(r: Json): string {
  return `${SHORT[r.type as string] ?? r.type} ${r.group} {${[...(r.sources as string[])].sort().join(',')}}`;
}

// ---------------------------------------------------------------------------------------------------------------
// kernel-host.py: memberships held by ordinary sockets

export class MemberHost {
  private readonly child: ChildProcess;
  private readonly waiting: ((line: string) => void)[] = [];
  private err = '';

  constructor(lab: Lab, ns: string) {
    this.child = lab.spawn(ns, 'python3', [HOST_PY], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    createInterface({ input: this.child.stdout! }).on('line', (l) => this.waiting.shift()?.(l));
  }

  /** Make the joins; resolves once the sockets hold them. */
  join(joins: object[]): Promise<void> {
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`kernel-host.py did not answer: ${this.err}`)), 10_000);
      this.waiting.push((line) => {
        clearTimeout(t);
        if (line.startsWith('ready')) res();
        else rej(new Error(`kernel-host.py: ${line} ${this.err}`));
      });
      this.child.stdin!.write(`${JSON.stringify(joins)}\n`);
    });
  }

  /** Close standard input: the helper exits and the kernel drops its memberships. */
  close(): void {
    this.child.stdin?.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// tcpdump and tshark, the independent readers

export interface TcpdumpFrame {
  /** The printed lines (after -e -vv), joined by single spaces. */
  text: string;
  /** The -xx bytes, lower-case hex. */
  hex: string;
}

/** `tcpdump -r FILE -nn -vv -e -xx`, split into frames. */
export function tcpdumpRead(file: string): TcpdumpFrame[] {
  const out = execFileSync('tcpdump', ['-r', file, '-nn', '-vv', '-e', '-xx'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const frames: TcpdumpFrame[] = [];
  for (const line of out.split('\n')) {
    const hex = /^\s+0x[0-9a-f]{4}:\s+((?:[0-9a-f]{2,4}\s?)+)/.exec(line);
    if (hex !== null) frames.at(-1)!.hex += hex[1]!.replace(/\s/g, '');
    else if (/^\d\d:\d\d:\d\d\.\d+ /.test(line)) frames.push({ text: line.trim(), hex: '' });
    else if (line.trim() !== '') frames.at(-1)!.text += ` ${line.trim()}`;
  }
  return frames;
}

const execFileP = promisify(execFile);

/** The layers of each frame as `tshark -T json` gives them; repeated fields are arrays (--no-duplicate-keys). */
export async function tsharkRead(file: string): Promise<Json[]> {
  const { stdout } = await execFileP('tshark', ['-r', file, '-T', 'json', '--no-duplicate-keys', '-x', '-o', 'ip.check_checksum:TRUE'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return (JSON.parse(stdout) as Json[]).map((p) => p._source.layers as Json);
}

/** A tshark field that may be absent, one value, or (repeated) an array: always an array. */
export function all(v: unknown): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? (v as string[]) : [v as string];
}

/** The first value of `key` anywhere inside a tshark layer (option trees nest under descriptive keys). */
export function deep(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  for (const [k, v] of Object.entries(obj)) {
    if (k === key) return v;
    const d = deep(v, key);
    if (d !== undefined) return d;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// bridge mdb

/**
 * IPv4 entries of `bridge -j -d mdb show`, one line each, sorted:
 *   "PORT GROUP include {S,...}" / "PORT GROUP exclude {REQUESTED} blocked {EXCLUDED}" for the port-group entries,
 *   "PORT GROUP src S" / "... blocked" / "... star-ex" for the per-source (S,G) forwarding entries; star-ex: an
 *   EXCLUDE-mode port added to a source another port asked for, because it does not exclude that source.
 * In EXCLUDE mode a source whose timer is 0 is in the Exclude List, one with a running timer in the Requested List
 * (RFC 3376 section 6.2.3).
 */
export function mdbLines(lab: Lab, ns: string, bridge: string): string[] {
  const doc = JSON.parse(lab.exec(ns, 'bridge', ['-j', '-d', 'mdb', 'show', 'dev', bridge])) as Json[];
  const out: string[] = [];
  for (const e of doc.flatMap((d) => (d.mdb ?? []) as Json[])) {
    if ((e.grp as string).includes(':')) continue;
    const flags = (e.flags ?? []) as string[];
    if (e.src !== undefined) {
      const tag = flags.includes('blocked') ? ' blocked' : flags.includes('added_by_star_ex') ? ' star-ex' : '';
      out.push(`${e.port} ${e.grp} src ${e.src}${tag}`);
      continue;
    }
    const list = (e.source_list ?? []) as { address: string; timer: string }[];
    const running = list.filter((s) => Number(s.timer) > 0).map((s) => s.address).sort();
    const excluded = list.filter((s) => Number(s.timer) === 0).map((s) => s.address).sort();
    out.push(`${e.port} ${e.grp} ${e.filter_mode} {${running.join(',')}}${excluded.length > 0 ? ` blocked {${excluded.join(',')}}` : ''}`);
  }
  return out.sort();
}
