/**
 * The host commands end to end, called by the thin CLI modules (src/cli/listen.ts, send.ts, groups.ts,
 * doctor.ts): check the request, choose the interfaces, run, print through an Io, stop on count, duration or the
 * AbortSignal (the CLI wires SIGINT/SIGTERM to it), leave, summarise.
 *
 * Text output of `listen` follows tcpdump: datagram lines on stdout; the banner, live statistics and the summary
 * on stderr. With --json everything is NDJSON on stdout.
 */
import { randomBytes } from 'node:crypto';
import { SystemError, UsageError, type McastError } from '../errors.js';
import { parseIpv4 } from '../wire/addr.js';
import { diagnose, type Finding } from './doctor.js';
import * as fmt from './format.js';
import { effectiveForceVersion, readMemberships, type InterfaceMemberships } from './groups.js';
import { isMulticastCapable, listInterfaces, resolveInterface, type ChosenInterface, type HostInterface } from './iface.js';
import { Listener, type Join, type Subscription } from './listener.js';
import {
  isLinkLocalGroup,
  isSsmRange,
  parseGroup,
  parseGroupPort,
  parseHexBytes,
  parseIntOption,
  parseNumberOption,
  parsePort,
  parseSource,
  type GroupPort,
} from './options.js';
import { PROBE_HEADER_LENGTH } from './probe.js';
import { lookupRoute, readProcNetIgmp, readProcNetRoute } from './procnet.js';
import { NO_HOOKS, Sender, type SendHooks, type SendProgress } from './sender.js';
import type { StreamSummary } from './stats.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: Io = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** Largest UDP payload in one IPv4 datagram: 65535 - 20 (IP header) - 8 (UDP header). */
export const MAX_UDP_PAYLOAD = 65507;

// --- interfaces ---------------------------------------------------------------------------------------------

function ifaceWarnings(c: ChosenInterface): string[] {
  const w: string[] = [];
  if (!c.iface.up) w.push(`${c.iface.name} is down: nothing will arrive there until it is up (ip link set ${c.iface.name} up)`);
  else if (!c.iface.multicast) w.push(`${c.iface.name} lacks the MULTICAST flag (ip link set ${c.iface.name} multicast on)`);
  return w;
}

/** -i values, --all-interfaces, or the route's interface for `group`. */
function chooseInterfaces(
  specs: string[],
  all: boolean,
  group: string,
  ifaces: HostInterface[],
  notes: string[],
): ChosenInterface[] {
  if (all) {
    const capable = ifaces.filter(isMulticastCapable);
    if (capable.length === 0) {
      throw new SystemError('ERR_NO_MULTICAST_INTERFACE', 'no interface is up, multicast-capable and has an IPv4 address');
    }
    return capable.map((iface) => ({ iface, address: iface.ipv4[0]!.address }));
  }
  if (specs.length > 0) {
    const out = specs.map((s) => resolveInterface(s, ifaces));
    for (const c of out) for (const w of ifaceWarnings(c)) if (!notes.includes(w)) notes.push(w);
    return out;
  }
  const r = lookupRoute(readProcNetRoute() ?? [], parseIpv4(group) ?? 0);
  if (r === null) {
    throw new SystemError(
      'ERR_NO_ROUTE',
      `no route for ${group} to choose an interface by: give -i IFACE or --all-interfaces (or add one: ip route add 224.0.0.0/4 dev IFACE)`,
    );
  }
  const c = resolveInterface(r.iface, ifaces);
  const others = ifaces.filter((i) => isMulticastCapable(i) && i.name !== c.iface.name).length;
  const note = `no -i given: joined on ${c.iface.name}, the interface of the route for ${group}${others > 0 ? `; ${others} other multicast interface${others === 1 ? '' : 's'} not joined (--all-interfaces)` : ''}`;
  if (!notes.includes(note)) notes.push(note);
  return [c];
}

// --- listen -------------------------------------------------------------------------------------------------

export interface ListenRequest {
  groups: string[];
  /** --port: for groups written without one. */
  port: string | null;
  interfaces: string[];
  allInterfaces: boolean;
  sources: string[];
  json: boolean;
  quiet: boolean;
  count: string | null;
  duration: string | null;
  /** Live statistics every N seconds; "0": off. */
  interval: string;
  reuse: boolean;
  rcvbuf: string | null;
}

export interface ListenResult {
  joins: Join[];
  datagrams: number;
  streams: StreamSummary[];
}

export async function runListen(req: ListenRequest, io: Io, signal?: AbortSignal): Promise<ListenResult> {
  if (req.allInterfaces && req.interfaces.length > 0) {
    throw new UsageError('listen: -i and --all-interfaces exclude each other', 'ERR_CONFLICT');
  }
  if (req.groups.length === 0) throw new UsageError('listen: give at least one GROUP[:PORT]', 'ERR_NO_GROUP');
  const defaultPort = req.port === null ? null : parsePort(req.port, '--port');
  const groups: GroupPort[] = req.groups.map((g) => parseGroupPort(g, 'listen', defaultPort));
  const sources = [...new Set(req.sources.map((s) => parseSource(s, '--source')))];
  const count = req.count === null ? Infinity : parseIntOption(req.count, '--count', 1, Number.MAX_SAFE_INTEGER);
  const duration = req.duration === null ? Infinity : parseNumberOption(req.duration, '--duration', 1e9);
  const interval = parseNumberOption(req.interval, '--interval', 86400);
  const rcvbuf = req.rcvbuf === null ? 4 * 1024 * 1024 : parseIntOption(req.rcvbuf, '--rcvbuf', 0, 1 << 30);

  const ifaces = listInterfaces();
  const notes: string[] = [];
  const subscriptions: Subscription[] = groups.map((g) => ({
    ...g,
    interfaces: chooseInterfaces(req.interfaces, req.allInterfaces, g.group, ifaces, notes),
  }));
  if (sources.length > 0) {
    const igmp = readProcNetIgmp() ?? [];
    for (const c of new Set(subscriptions.flatMap((s) => s.interfaces.map((i) => i.iface.name)))) {
      const v = igmp.find((d) => d.name === c)?.version ?? 3;
      const forced = effectiveForceVersion(c);
      if (v !== 3 || forced !== 0) {
        const why = forced !== 0 ? `force_igmp_version=${forced}` : `an IGMPv${v} querier was heard`;
        notes.push(`${c} speaks IGMPv${forced || v} (${why}): the network sees these source-specific joins as any-source joins`);
      }
    }
  }
  for (const g of groups) {
    const a = parseIpv4(g.group)!;
    if (isSsmRange(a) && sources.length === 0) {
      const n = `${g.group} is in 232.0.0.0/8, the source-specific range (RFC 4607): an any-source join there usually receives nothing; give --source`;
      if (!notes.includes(n)) notes.push(n);
    }
  }

  let datagrams = 0;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const listener = new Listener(
    { subscriptions, sources, reuseAddr: req.reuse, recvBufferSize: rcvbuf },
    (d) => {
      datagrams++;
      if (!req.quiet) io.out(req.json ? fmt.datagramJson(d) : fmt.datagramLine(d));
      if (datagrams >= count) {
        listener.pause();
        stop();
      }
    },
    (e: McastError) => (req.json ? io.out(JSON.stringify({ type: 'error', code: e.code, message: e.message })) : io.err(`mcast: ${e.message}`)),
  );
  const joins = await listener.open();
  const t0 = performance.now();
  if (req.json) io.out(fmt.listeningJson(joins, notes));
  else for (const line of fmt.listeningLines(joins, notes)) io.err(line);

  const timers: NodeJS.Timeout[] = [];
  if (duration !== Infinity) timers.push(setTimeout(stop, duration * 1000));
  if (interval > 0) {
    const last = new Map<object, number>();
    timers.push(
      setInterval(() => {
        const elapsed = (performance.now() - t0) / 1000;
        const changed = listener.streams().filter((s) => last.get(s) !== s.packets);
        for (const s of changed) last.set(s, s.packets);
        if (changed.length === 0) return;
        const sums = changed.map((s) => s.summary());
        if (req.json) io.out(fmt.statsJson(elapsed, sums));
        else for (const s of sums) io.err(`stats ${elapsed.toFixed(0)}s: ${fmt.streamLine(s)}`);
      }, interval * 1000),
    );
  }
  const onAbort = () => stop();
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  await stopped;
  signal?.removeEventListener('abort', onAbort);
  for (const t of timers) clearTimeout(t);
  await listener.close();
  const elapsed = (performance.now() - t0) / 1000;
  const streams = listener.streams().map((s) => s.summary());
  if (req.json) io.out(fmt.listenSummaryJson(elapsed, datagrams, streams, joins));
  else for (const line of fmt.listenSummaryLines(elapsed, datagrams, streams)) io.err(line);
  return { joins, datagrams, streams };
}

// --- send ---------------------------------------------------------------------------------------------------

export interface SendRequest {
  target: string;
  iface: string | null;
  ttl: string;
  loop: boolean;
  rate: string;
  size: string | null;
  count: string | null;
  duration: string | null;
  payload: string | null;
  hex: string | null;
  /** undefined: a probe header unless a payload is given. */
  header: boolean | undefined;
  json: boolean;
  interval: string;
}

/**
 * Test hooks from the environment (mcastkit's own tests only): MCAST_TEST_DROP_EVERY, MCAST_TEST_REORDER_EVERY,
 * MCAST_TEST_DUPLICATE_EVERY, each N >= 2 (see sender.ts).
 */
export function hooksFromEnv(env: NodeJS.ProcessEnv): SendHooks {
  const n = (name: string): number => {
    const v = env[name];
    if (v === undefined || v === '') return 0;
    return parseIntOption(v, name, 2, 0x7fffffff);
  };
  const h = { dropEvery: n('MCAST_TEST_DROP_EVERY'), reorderEvery: n('MCAST_TEST_REORDER_EVERY'), duplicateEvery: n('MCAST_TEST_DUPLICATE_EVERY') };
  return h.dropEvery === 0 && h.reorderEvery === 0 && h.duplicateEvery === 0 ? NO_HOOKS : h;
}

export interface SendResult {
  progress: SendProgress;
}

export async function runSend(req: SendRequest, io: Io, signal?: AbortSignal, hooks: SendHooks = NO_HOOKS): Promise<SendResult> {
  const { group, port } = parseGroupPort(req.target, 'send', null);
  const ttl = parseIntOption(req.ttl, '--ttl', 0, 255);
  const rate = parseNumberOption(req.rate, '--rate', 10_000_000);
  const count = req.count === null ? Infinity : parseIntOption(req.count, '--count', 1, Number.MAX_SAFE_INTEGER);
  const duration = req.duration === null ? Infinity : parseNumberOption(req.duration, '--duration', 1e9);
  const interval = parseNumberOption(req.interval, '--interval', 86400);
  if (req.payload !== null && req.hex !== null) throw new UsageError('send: --payload and --hex exclude each other', 'ERR_CONFLICT');
  const given = req.payload !== null ? new TextEncoder().encode(req.payload) : req.hex !== null ? parseHexBytes(req.hex, '--hex') : null;
  if (given !== null && req.size !== null) throw new UsageError('send: --size and --payload/--hex exclude each other', 'ERR_CONFLICT');
  const probe = req.header ?? given === null;
  let template: Uint8Array;
  if (given !== null) {
    template = new Uint8Array((probe ? PROBE_HEADER_LENGTH : 0) + given.length);
    template.set(given, probe ? PROBE_HEADER_LENGTH : 0);
  } else {
    const size = req.size === null ? 64 : parseIntOption(req.size, '--size', probe ? PROBE_HEADER_LENGTH : 0, MAX_UDP_PAYLOAD);
    template = new Uint8Array(size);
  }
  if (template.length > MAX_UDP_PAYLOAD) {
    throw new UsageError(`send: a datagram of ${template.length} bytes is over the UDP limit of ${MAX_UDP_PAYLOAD}`, 'ERR_TOO_LARGE');
  }
  const chosen = req.iface === null ? null : resolveInterface(req.iface);
  if (chosen !== null) for (const w of ifaceWarnings(chosen)) io.err(`mcast: warning: ${w}`);
  if (isLinkLocalGroup(parseIpv4(group)!) && ttl > 1) io.err(`mcast: note: ${group} is link-local (224.0.0.0/24): routers never forward it, whatever the TTL`);

  const senderId = randomBytes(4).readUInt32BE(0);
  let failure: McastError | null = null;
  const sender = new Sender(
    { group, port, iface: chosen, ttl, loop: req.loop, rate, count, durationS: duration, template, probe, senderId, sendBufferSize: 1 << 20, hooks },
    (e) => {
      failure ??= e;
      if (req.json) io.out(JSON.stringify({ type: 'error', code: e.code, message: e.message }));
      else io.err(`mcast: ${e.message}`);
    },
  );
  const info = await sender.open();
  const settings: fmt.SendSettings = { group, port, ttl, loop: req.loop, size: template.length, rate, count, probe, senderId };
  io.out(req.json ? fmt.sendingJson(info, settings) : fmt.sendingLine(info, settings));

  const onAbort = () => sender.stop();
  if (signal?.aborted) sender.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | null = null;
  if (interval > 0) {
    let lastN = 0;
    let lastT = 0;
    timer = setInterval(() => {
      const p = sender.progress();
      const pps = p.elapsedS > lastT ? (p.datagrams - lastN) / (p.elapsedS - lastT) : 0;
      lastN = p.datagrams;
      lastT = p.elapsedS;
      io.out(req.json ? fmt.progressJson(p, pps) : fmt.progressLine(p, pps));
    }, interval * 1000);
  }
  const progress = await sender.run();
  if (timer !== null) clearInterval(timer);
  signal?.removeEventListener('abort', onAbort);
  io.out(req.json ? fmt.sendSummaryJson(progress) : fmt.sendSummaryLine(progress, template.length));
  if (progress.datagrams === 0 && failure !== null) throw failure;
  return { progress };
}

// --- groups -------------------------------------------------------------------------------------------------

export interface GroupsRequest {
  iface: string | null;
  json: boolean;
}

export function runGroups(req: GroupsRequest, io: Io): InterfaceMemberships[] {
  let name: string | undefined;
  if (req.iface !== null) name = resolveInterfaceName(req.iface);
  const list = readMemberships(name);
  if (req.json) io.out(fmt.groupsJson(list));
  else for (const line of fmt.groupsTable(list)) io.out(line);
  return list;
}

/** A name or an address to an interface name, without requiring an IPv4 address (lo, down interfaces). */
function resolveInterfaceName(spec: string): string {
  const ifaces = listInterfaces();
  if (parseIpv4(spec) === null && ifaces.some((i) => i.name === spec)) return spec;
  return resolveInterface(spec, ifaces).iface.name;
}

// --- doctor -------------------------------------------------------------------------------------------------

export interface DoctorRequest {
  iface: string | null;
  sources: string[];
  group: string | null;
  listen: string | null;
  json: boolean;
}

/** Prints the findings; the result's `failed` says whether any check failed (the CLI then exits 1). */
export async function runDoctor(req: DoctorRequest, io: Io): Promise<{ findings: Finding[]; failed: boolean }> {
  const sources = req.sources.map((s) => parseSource(s, '--source'));
  const group = req.group === null ? '239.1.1.1' : parseGroup(req.group, '--group');
  const listenSeconds = req.listen === null ? 0 : parseNumberOption(req.listen, '--listen', 3600);
  const findings = await diagnose({ iface: req.iface, sources, group, listenSeconds });
  if (req.json) io.out(fmt.doctorJson(findings));
  else for (const line of fmt.doctorLines(findings)) io.out(line);
  return { findings, failed: findings.some((f) => f.severity === 'fail') };
}
