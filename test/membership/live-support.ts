/**
 * What the membership live tests share: kernel IGMP hosts driven through ordinary sockets (a small Python program
 * per namespace, as scripts/kernel/igmp-scenario.py does: every report on the wire is the kernel's own), the IGMP
 * frames of a tcpdump capture read back through tshark, and a dist/ build check for the modules the tests run.
 */
import type { Lab } from '../support/netns.js';
import { ensureBuilt } from '../support/build.js';
import { Running, sleep, tsharkFields } from '../host/support.js';

/** Compile when dist/ is stale; the listed directories and files (relative to src/) must be fresh after. */
export function ensureBuiltFor(dirs: string[], files: string[]): void {
  ensureBuilt((s) => dirs.some((d) => s.startsWith(`${d}/`)) || files.includes(s));
}

/**
 * One host's sockets: reads commands on stdin, one per line, and answers "ok LINE" once the kernel has the change.
 *   join G | leave G            any-source membership (IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP)
 *   ssm G S...  | unssm G S...  source-specific (IP_ADD_SOURCE_MEMBERSHIP 39 / IP_DROP_SOURCE_MEMBERSHIP 40)
 *   block G S... | unblock G S... sources left out of an any-source join (IP_BLOCK_SOURCE 38 / IP_UNBLOCK_SOURCE 37)
 * Each group has its own socket, so leaving one group never touches another.
 */
const HOST_PY = String.raw`
import socket, struct, sys
IFNAME, IFADDR = sys.argv[1], sys.argv[2]
OPS = {"ssm": 39, "unssm": 40, "block": 38, "unblock": 37}
socks = {}
def mreqn(g):
    return socket.inet_aton(g) + socket.inet_aton("0.0.0.0") + struct.pack("@i", socket.if_nametoindex(IFNAME))
print("ready", flush=True)
for line in sys.stdin:
    w = line.split()
    if not w:
        continue
    s = socks.get(w[1]) or socks.setdefault(w[1], socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    if w[0] == "join":
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn(w[1]))
    elif w[0] == "leave":
        s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreqn(w[1]))
    else:
        for src in w[2:]:
            s.setsockopt(socket.IPPROTO_IP, OPS[w[0]], socket.inet_aton(w[1]) + socket.inet_aton(IFADDR) + socket.inet_aton(src))
    print("ok", line.strip(), flush=True)
`;

export class IgmpHost {
  private constructor(
    readonly run: Running,
    readonly ip: string,
    readonly mac: string,
  ) {}

  static async start(lab: Lab, ns: string, ifname: string, ip: string): Promise<IgmpHost> {
    const link = JSON.parse(lab.exec(ns, 'ip', ['-j', 'link', 'show', ifname])) as { address: string }[];
    const run = new Running(lab.spawn(ns, 'python3', ['-c', HOST_PY, ifname, ip], { stdio: ['pipe', 'pipe', 'pipe'] }));
    await run.waitFor((r) => r.stdout.includes('ready'), `host ${ip} to start`);
    return new IgmpHost(run, ip, link[0]!.address);
  }

  /** Run one command and wait for the kernel to have taken it. */
  async do(cmd: string): Promise<void> {
    const n = this.run.stdout.split(`ok ${cmd}\n`).length;
    this.run.child.stdin!.write(`${cmd}\n`);
    await this.run.waitFor((r) => r.stdout.split(`ok ${cmd}\n`).length > n, `host ${this.ip}: ${cmd}`);
  }

  async stop(): Promise<void> {
    this.run.child.stdin?.end();
    await this.run.done(5_000).catch(() => undefined);
  }
}

/** One IGMP frame of a capture, as tshark decodes it (an independent decoder, not mcastkit's). */
export interface IgmpFrame {
  time: number;
  /** The pcapng interface the frame was captured on ('' in a pcap file). */
  iface: string;
  src: string;
  dst: string;
  ttl: number;
  tos: number;
  routerAlert: boolean;
  ethSrc: string;
  ethDst: string;
  type: number;
  version: number;
  /** Max Resp Code as on the wire. */
  maxResp: number;
  group: string;
  s: number;
  qrv: number;
  qqic: number;
  /** Query sources. */
  sources: string[];
  checksumGood: boolean;
  /** v3 report: record types and groups, in order. */
  recordTypes: number[];
  recordGroups: string[];
}

const FIELDS = [
  'frame.time_epoch', 'ip.src', 'ip.dst', 'ip.ttl', 'ip.dsfield', 'ip.opt.ra', 'eth.src', 'eth.dst', 'igmp.type',
  'igmp.version', 'igmp.max_resp', 'igmp.maddr', 'igmp.s', 'igmp.qrv', 'igmp.qqic', 'igmp.saddr',
  'igmp.checksum.status', 'igmp.record_type', 'frame.interface_name',
];

const list = (s: string | undefined): string[] => (s === undefined || s === '' ? [] : s.split(','));
const num = (s: string | undefined): number => (s === undefined || s === '' ? NaN : Number(s));

/** Every IGMP frame of `file` (tcpdump may still be writing it: a cut last record is left out by tshark). */
export function igmpFrames(file: string): IgmpFrame[] {
  return tsharkFields(file, FIELDS, 'igmp').map((f) => {
    const groups = list(f[11]);
    const type = Number.parseInt(f[8] ?? '', 16);
    return {
      time: Number(f[0]),
      iface: f[18] ?? '',
      src: f[1]!,
      dst: f[2]!,
      ttl: num(f[3]),
      tos: Number.parseInt(f[4] ?? '', 16),
      routerAlert: list(f[5]).length > 0,
      ethSrc: f[6]!,
      ethDst: f[7]!,
      type,
      version: num(f[9]),
      maxResp: num(f[10]),
      // A v3 report lists one multicast address per record; a query or v1/v2 message has one.
      group: type === 0x22 ? '' : (groups[0] ?? ''),
      s: num(f[12]),
      qrv: num(f[13]),
      qqic: num(f[14]),
      sources: list(f[15]),
      checksumGood: f[16] === '1',
      recordTypes: list(f[17]).map(Number),
      recordGroups: type === 0x22 ? groups : [],
    };
  });
}

/** Poll `probe` until it returns a value (not undefined), or fail after timeoutMs. */
export async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
