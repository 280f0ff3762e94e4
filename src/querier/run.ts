/**
 * The live side of `mcast querier`: one interface, one QuerierEngine (src/membership/querier.ts), the wall clock.
 *
 * A module of its own because it joins four layers that stay apart: capture (LiveCapture, which knows nothing of
 * IGMP), decode (FrameDecoder), craft (the frames of the engine's queries) and membership (the engine and its
 * table, which never read a clock or touch a socket, so a fake clock drives them exactly). Putting this in any of
 * those would make a lower layer import the others.
 *
 * The loop: every captured IGMP frame becomes a MembershipMessage for `engine.receive`; one timer is kept at
 * `engine.nextDeadline()` for `engine.tick`; each QuerySend is framed (RFC 3376 section 4: TTL 1, TOS 0xc0,
 * Router Alert; destination MAC by the 01-00-5e mapping of RFC 1112 section 6.4; source MAC and IP of the
 * interface) and injected through the capture's own handle. The capture takes only received frames, so the
 * engine never hears its own queries (it would ignore them anyway: they come from its address).
 *
 * Clock: seconds on the wall clock, read as performance.timeOrigin + performance.now(), which never steps back when
 * the system clock is set (the engine and the table need a clock that only moves forward); kernel frame timestamps
 * are not used for the same reason.
 */
import { McastError, SystemError } from '../errors.js';
import { LiveCapture } from '../capture/live.js';
import { FrameDecoder } from '../decode/frame.js';
import { buildFrame } from '../craft/build.js';
import { igmpIpHeader } from '../craft/craft.js';
import { UNNAMED_SOURCE } from '../craft/defaults.js';
import { sendInterface } from '../craft/iface.js';
import { nowUs } from '../host/clock.js';
import { membershipMessage } from '../replay/membership.js';
import { QuerierEngine, type QuerierStep, type QuerySend } from '../membership/querier.js';
import { isoMicros } from '../membership/timers.js';
import type { IgmpVersion, MembershipEvent, TableSnapshot } from '../membership/types.js';

export interface LiveQuerierOptions {
  iface: string;
  /** Source of the queries and rank in the election (section 6.6.2); default: the interface's first IPv4 address. */
  address?: string;
  version?: IgmpVersion;
  robustness?: number;
  queryInterval?: number;
  queryResponseInterval?: number;
  lastMemberQueryInterval?: number;
}

/** What the querier runs with, once the interface is open. */
export interface QuerierStart {
  time: number;
  iface: string;
  address: string;
  mac: string;
  version: IgmpVersion;
  robustness: number;
  queryInterval: number;
  queryResponseInterval: number;
  lastMemberQueryInterval: number;
  lastMemberQueryCount: number;
  /** Sections 8.6 and 8.7: QI / 4, RV of them. */
  startupQueryInterval: number;
  startupQueryCount: number;
}

export interface QuerierSummary {
  time: number;
  /** Queries sent, by reason. */
  sent: Record<QuerySend['reason'], number>;
  /** IGMP frames received. */
  received: number;
  /** Frames the kernel dropped because the capture buffer was full. */
  dropped: number;
}

/** Where the driver reports; the CLI's printer (./format.ts) makes the text. */
export interface QuerierSink {
  start(info: QuerierStart): void;
  /** One query injected (`frameLength` bytes on the wire). */
  sent(q: QuerySend, src: string, frameLength: number): void;
  events(list: readonly MembershipEvent[]): void;
  /** The table changed (called at most once per event-loop turn); absent: snapshots are not taken. */
  changed?(snap: TableSnapshot, time: number): void;
  stop(snap: TableSnapshot, summary: QuerierSummary): void;
}

/** Longest delay setTimeout takes (2^31 - 1 ms); a later deadline is reached in steps. */
const MAX_TIMER_MS = 0x7fffffff;
/** Snapshot length: the biggest IGMPv3 report a 64 KiB datagram can hold. */
const SNAPLEN = 65535;

const now = (): number => nowUs() / 1e6;

/**
 * Run a querier on `opts.iface` until `signal` aborts (resolves with the summary, after `sink.stop`) or the capture
 * fails (rejects). Throws, before anything is sent: UsageError ERR_QUERIER_CONFIG (timer values), SystemError
 * ERR_NO_SUCH_INTERFACE, ERR_INTERFACE_DOWN, ERR_NOT_ETHERNET, ERR_NO_ADDRESS, ERR_NO_LIBPCAP, ERR_PERMISSION.
 */
export async function runQuerier(opts: LiveQuerierOptions, sink: QuerierSink, signal: AbortSignal): Promise<QuerierSummary> {
  const config = {
    version: opts.version,
    robustness: opts.robustness,
    queryInterval: opts.queryInterval,
    queryResponseInterval: opts.queryResponseInterval,
    lastMemberQueryInterval: opts.lastMemberQueryInterval,
  };
  // Configuration errors first, before the machine is asked anything (the engine is pure; this one is thrown away).
  new QuerierEngine({ ...config, address: opts.address ?? '0.0.0.0' }, 0);

  const ifc = sendInterface(opts.iface);
  const address = opts.address ?? ifc.ipv4;
  if (address === null) {
    throw new SystemError('ERR_NO_ADDRESS', `interface ${ifc.name} has no IPv4 address: give the querier's with --address`);
  }
  const mac = ifc.mac ?? UNNAMED_SOURCE.mac;
  let cap: LiveCapture;
  try {
    // Promiscuous: v1/v2 reports go to each group's own MAC, which a NIC filters out unless it takes every frame.
    cap = LiveCapture.open(ifc.name, { filter: 'igmp', direction: 'in', promisc: true, immediate: true, snaplen: SNAPLEN });
  } catch (e) {
    if (e instanceof McastError && e.code === 'ERR_PERMISSION') {
      throw new SystemError('ERR_PERMISSION',
        `a querier on ${ifc.name} needs root or the CAP_NET_RAW capability (run as root, or: setcap cap_net_raw+ep "$(command -v node)")`);
    }
    throw e;
  }
  const start = now();
  const engine = new QuerierEngine({ ...config, address, iface: ifc.name, formatTime: isoMicros }, start);
  const driver = new Driver(engine, cap, sink, address, mac);
  const params = engine.table.timers(ifc.name, null);
  sink.start({
    time: start,
    iface: ifc.name,
    address,
    mac,
    version: engine.version,
    robustness: params.robustness,
    queryInterval: params.queryInterval,
    queryResponseInterval: params.queryResponseInterval,
    lastMemberQueryInterval: params.lastMemberQueryInterval,
    lastMemberQueryCount: params.lastMemberQueryCount,
    startupQueryInterval: params.queryInterval / 4,
    startupQueryCount: params.robustness,
  });
  return driver.run(signal);
}

/** Event kinds that leave the table as it was (a snapshot would show the same). */
const NO_CHANGE: ReadonlySet<MembershipEvent['kind']> = new Set(['query-needed', 'warning']);

class Driver {
  private readonly dec = new FrameDecoder();
  private timer: NodeJS.Timeout | null = null;
  private changePending = false;
  private stopped = false;
  private frames = 0;
  private failure: unknown = null;
  private readonly summary: QuerierSummary = {
    time: 0,
    sent: { startup: 0, general: 0, group: 0, 'group-source': 0 },
    received: 0,
    dropped: 0,
  };

  constructor(
    private readonly engine: QuerierEngine,
    private readonly cap: LiveCapture,
    private readonly sink: QuerierSink,
    private readonly address: string,
    private readonly mac: string,
  ) {}

  async run(signal: AbortSignal): Promise<QuerierSummary> {
    const onAbort = (): void => this.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) this.stop();
      else this.onTimer(); // the first startup query goes out now (section 8.7)
      await this.cap.run((f) => this.onFrame(f.buf, f.offset, f.caplen));
      if (this.failure !== null) throw this.failure;
      return this.summary;
    } catch (e) {
      this.halt();
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private onFrame(buf: Uint8Array, offset: number, caplen: number): void {
    this.frames++;
    const d = this.dec;
    d.decode(this.cap.linkType, buf, offset, caplen);
    if (!d.hasIgmp || d.error !== null) return;
    this.summary.received++;
    const msg = membershipMessage(d, now(), this.cap.iface, this.frames);
    this.apply(this.engine.receive(msg));
    this.schedule();
  }

  private onTimer(): void {
    this.timer = null;
    if (this.stopped) return;
    this.apply(this.engine.tick(now()));
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer !== null) clearTimeout(this.timer);
    // +1 ms: libuv's timers run on a millisecond clock, so a timer may fire a fraction early; tick would then do nothing.
    const ms = Math.ceil((this.engine.nextDeadline() - now()) * 1000) + 1;
    this.timer = setTimeout(() => this.onTimer(), Math.min(Math.max(ms, 0), MAX_TIMER_MS));
  }

  /** Send the step's queries and report them with its events, in time order (events first at equal times). */
  private apply(step: QuerierStep): void {
    const { sends, events } = step;
    let i = 0;
    let j = 0;
    let from = 0;
    while (i < sends.length || j < events.length) {
      if (j < events.length && (i >= sends.length || events[j]!.time <= sends[i]!.time)) {
        j++;
        continue;
      }
      if (j > from) this.sink.events(events.slice(from, j));
      from = j;
      this.send(sends[i++]!);
      if (this.stopped) return;
    }
    if (events.length > from) this.sink.events(from === 0 ? events : events.slice(from));
    if (this.sink.changed !== undefined && !this.changePending && events.some((e) => !NO_CHANGE.has(e.kind))) {
      this.changePending = true;
      setImmediate(() => {
        this.changePending = false;
        if (!this.stopped) this.sink.changed!(this.engine.table.snapshot(this.engine.now), this.engine.now);
      });
    }
  }

  private send(q: QuerySend): void {
    const ip = igmpIpHeader('query', q.igmp.group, { src: this.address, dst: q.dst });
    const frame = buildFrame({ eth: { src: this.mac }, ip, igmp: q.igmp });
    try {
      this.cap.inject(frame);
    } catch (e) {
      // The interface went down or away: stop as a capture error would (tcpdump does the same).
      this.failure = e;
      this.halt();
      return;
    }
    this.summary.sent[q.reason]++;
    this.sink.sent(q, this.address, frame.length);
  }

  /** SIGINT/SIGTERM: print the final table, close the capture (which ends run()). */
  private stop(): void {
    if (this.stopped) return;
    const t = now();
    // The last timers run so the table is the one at `t`; a query that falls due now is not sent any more.
    const step = this.engine.tick(t);
    if (step.events.length > 0) this.sink.events(step.events);
    const snap = this.engine.table.snapshot(t);
    this.halt();
    this.summary.time = t;
    this.sink.stop(snap, this.summary);
  }

  private halt(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.cap.closed) {
      try {
        this.summary.dropped = this.cap.stats().drop;
      } catch {
        /* stats unavailable: keep 0 */
      }
    }
    this.cap.close();
  }
}
