/**
 * Network namespaces, veth pairs and bridges that a test creates and removes itself. Names carry a per-run
 * prefix so parallel or crashed runs never collide, and `destroy()` removes everything created (also
 * best-effort on process exit). Never touches the machine's own interfaces.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

let seq = 0;

export function sh(cmd: string, args: string[], opts: { input?: string } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: opts.input });
}

export class Lab {
  readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(tag: string) {
    // Short: interface names are limited to 15 characters.
    this.prefix = `mk${tag.slice(0, 3)}${process.pid % 1000}${seq++}`;
    process.once('exit', () => this.destroy());
  }

  /** Create a namespace with loopback up; returns its full name. */
  ns(name: string): string {
    const full = `${this.prefix}-${name}`;
    sh('ip', ['netns', 'add', full]);
    this.namespaces.push(full);
    this.exec(full, 'ip', ['link', 'set', 'lo', 'up']);
    return full;
  }

  /** Run a command inside a namespace and return its stdout. */
  exec(ns: string, cmd: string, args: string[], opts: { input?: string } = {}): string {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /** Start a long-running command inside a namespace; it is killed by destroy(). */
  spawn(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.children.push(child);
    return child;
  }

  /** A veth pair between two namespaces, each end named and given an address (CIDR) if one is passed. */
  veth(nsA: string, ifA: string, addrA: string | null, nsB: string, ifB: string, addrB: string | null): void {
    const tmpA = `${this.prefix}a${seq}`.slice(0, 15);
    const tmpB = `${this.prefix}b${seq++}`.slice(0, 15);
    sh('ip', ['link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB]);
    sh('ip', ['link', 'set', tmpA, 'netns', nsA]);
    sh('ip', ['link', 'set', tmpB, 'netns', nsB]);
    this.exec(nsA, 'ip', ['link', 'set', tmpA, 'name', ifA]);
    this.exec(nsB, 'ip', ['link', 'set', tmpB, 'name', ifB]);
    if (addrA !== null) this.exec(nsA, 'ip', ['addr', 'add', addrA, 'dev', ifA]);
    if (addrB !== null) this.exec(nsB, 'ip', ['addr', 'add', addrB, 'dev', ifB]);
    this.exec(nsA, 'ip', ['link', 'set', ifA, 'up']);
    this.exec(nsB, 'ip', ['link', 'set', ifB, 'up']);
  }

  /** A Linux bridge inside a namespace, with extra `ip link` bridge options (e.g. mcast_snooping 1). */
  bridge(ns: string, name: string, options: string[] = []): void {
    this.exec(ns, 'ip', ['link', 'add', name, 'type', 'bridge', ...options]);
    this.exec(ns, 'ip', ['link', 'set', name, 'up']);
  }

  destroy(): void {
    for (const c of this.children.splice(0)) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
  }
}
