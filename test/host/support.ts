/**
 * Running the compiled `mcast` host commands inside test namespaces. The commands run from dist/ (namespaced
 * processes cannot use vitest's transform): ensureBuilt() compiles when a host source is newer than its output.
 * The entry is bin/mcast.js, as a user runs it.
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../support/netns.js';
import { ensureBuilt as buildIfStale } from '../support/build.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Compile (tsc -p .) when dist/ is missing or older than a source; throws when that leaves a host source stale. */
export function ensureBuilt(): void {
  buildIfStale((s) => s.startsWith('host/') || /^cli\/(listen|send|groups|doctor)\.ts$/.test(s));
}

/** The `mcast` entry point to run. */
export function mcastEntry(): string {
  return join(ROOT, 'bin/mcast.js');
}

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `mcast ARGS` in a namespace to completion. */
export function mcast(ns: string, args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Result {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, mcastEntry(), ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run any command in a namespace to completion, keeping its status (Lab.exec throws on failure). */
export function runIn(ns: string, cmd: string, args: string[], timeoutMs = 20_000): Result {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Lines of a JSON-lines output, parsed. */
export function ndjson(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{') || l.startsWith('['))
    .map((l) => JSON.parse(l));
}

/** A long-running process in a namespace, with its output collected. */
export class Running {
  stdout = '';
  stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((res) => child.on('close', (code) => res(code)));
  }

  /** Wait until `pred` holds for the output so far (polling), or fail after timeoutMs. */
  async waitFor(pred: (r: Running) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const t0 = Date.now();
    while (!pred(this)) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}; stdout: ${this.stdout.slice(-2000)} stderr: ${this.stderr.slice(-2000)}`);
      if (this.child.exitCode !== null) throw new Error(`process ended (${this.child.exitCode}) before ${what}; stderr: ${this.stderr}`);
      await sleep(20);
    }
  }

  /** Send a signal and wait for the exit status. */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 10_000): Promise<number | null> {
    this.child.kill(signal);
    return this.done(timeoutMs);
  }

  async done(timeoutMs = 20_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`no exit within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Start `mcast ARGS` in a namespace (killed by lab.destroy()). `ip netns exec` execs node, so signals reach it. */
export function startMcast(lab: Lab, ns: string, args: string[], env: Record<string, string> = {}): Running {
  return new Running(lab.spawn(ns, process.execPath, [mcastEntry(), ...args], { env: { ...process.env, ...env } }));
}

/** Start a node script in a namespace. */
export function startNode(lab: Lab, ns: string, script: string, args: string[]): Running {
  return new Running(lab.spawn(ns, process.execPath, [script, ...args]));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Start tcpdump writing `file` in a namespace and wait until it listens. Immediate mode, so SIGINT loses nothing
 * still in the ring; a short snapshot length, because in immediate mode each ring slot is snaplen bytes and the
 * default (262144) leaves 8 slots in a 2 MiB buffer.
 */
export async function startTcpdump(lab: Lab, ns: string, iface: string, file: string, filter: string): Promise<Running> {
  const r = new Running(lab.spawn(ns, 'tcpdump', ['-i', iface, '--immediate-mode', '-s', '512', '-B', '8192', '-U', '-n', '-w', file, filter]));
  await r.waitFor((x) => x.stderr.includes('listening on'), 'tcpdump to listen');
  return r;
}

/** tshark's fields of every packet in a capture, tab-separated per line. */
export function tsharkFields(file: string, fields: string[], filter?: string): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])];
  if (filter !== undefined) args.push('-Y', filter);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}
