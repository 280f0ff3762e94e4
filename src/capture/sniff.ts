/**
 * `mcast sniff`: live capture on one interface, decoded and printed exactly as `mcast replay` prints a file. The
 * pipeline mirrors src/replay/replay.ts: LiveCapture (kernel BPF filter, kernel timestamps) -> FrameDecoder ->
 * buildFrameJson -> formatFrameLine or JSON.stringify -> LineSink, with `iface` = the live interface. So the JSON
 * lines of `mcast sniff --json -w x.pcapng` are the ones `mcast replay --json x.pcapng` prints later (pcapng keeps
 * the interface name; a classic pcap has none, so replay's lines then lack `iface`). Every captured frame is shown:
 * the kernel filter is the selection (default `igmp`; --all adds multicast UDP; an explicit expression replaces it).
 *
 * Streams, chosen to keep stdout the replay contract:
 *   stdout  frame lines or JSON lines; with --table the table (redrawn in place on a terminal, periodic snapshots
 *           otherwise, a final one at exit; with --json one `{"ts": WALL-CLOCK, ...snapshot}` line each); with
 *           --events the membership events; with --stats the statistics at the end, as replay prints them. With
 *           `-w -` stdout carries the capture file and nothing else.
 *   stderr  the banner ("listening on ..."), warnings, bad-frame notes when lines are off, and the summary at exit
 *           (frames, IGMP by type, groups, libpcap's counters, the file). With --json the banner and the summary
 *           are one JSON object each ({"type":"listening",...} and {"type":"summary",...}), so stdout holds only
 *           what replay would print. Errors stay one line `mcast: ...` (src/cli/main.ts).
 *
 * Delivery: printing lines to a terminal uses libpcap's immediate mode (each frame shows at once). Otherwise the
 * kernel hands over frames in blocks every BLOCK_TIMEOUT_MS (TPACKET_V3): in immediate mode each ring slot is
 * snaplen bytes, so with the default 262144-byte snapshot a 2 MiB buffer holds 32 frames (measured: a 300-frame
 * burst lost 268), while block mode packs frames by their size and lost none. On SIGINT/SIGTERM/--duration the
 * capture waits one block timeout before closing, so the kernel releases its partly filled block and no frame
 * that arrived before the signal is lost (tcpdump -w, which closes at once, lost 64 of 200,000 so in one flood run;
 * ours lost none); then the file is flushed and closed (valid, every record whole) and the summary is printed. `-c N`
 * closes at once after the Nth frame.
 *
 * Per frame, measured with V8's sampling heap profiler (test/capture/sniff.test.ts): this module allocates
 * nothing; what allocates is the output (the JSON object and its line; the membership message with --table or
 * --events) and, with -w, the writer's short-lived subarray view when V8 does not elide it (perf: ~35 ns a frame
 * under a flood; still cheaper than the copies without a view measured in src/pcap/writer.ts).
 * Cost on this machine: 72 ns per frame with -q, 153 with -w, 1.5 us with text lines, 2.4 us with JSON lines.
 *
 * src/host/sniff.ts (doctor's querier probe) is not reused: it collects decoded messages for a few seconds into an
 * array; this is a long-running pipeline with a file, a table and a summary. Both sit on LiveCapture.
 */
import type { WireError } from '../errors.js';
import { SystemError, UsageError } from '../errors.js';
import { FrameDecoder } from '../decode/frame.js';
import { buildFrameJson } from '../decode/record.js';
import { StatsCollector, igmpKind } from '../decode/stats.js';
import { formatFrameLine } from '../format/frame-text.js';
import { formatStatsText } from '../format/stats-text.js';
import { CaptureWriter } from '../pcap/writer.js';
import { TableClock } from '../format/table-clock.js';
import type { CaptureRecord } from '../pcap/reader.js';
import { formatTimestamp } from '../pcap/timestamp.js';
import { LinkType } from '../pcap/constants.js';
import { ReusedMessageBuilder } from '../replay/membership.js';
import { MembershipTable, formatRowsLines, type MembershipEvent, type TimerOptions } from '../membership/index.js';
import { interfaceState } from './interfaces.js';
import { LiveCapture, type CaptureOptions } from './live.js';
import type { NativeStats } from './native.js';

/** Without --filter: IGMP only; with --all, multicast UDP too. */
export const DEFAULT_FILTER = 'igmp';
export const ALL_FILTER = 'igmp or (udp and dst net 224.0.0.0/4)';

/** Kernel block timeout in block (non-immediate) mode: the longest a frame waits before it is shown. */
export const BLOCK_TIMEOUT_MS = 50;
/** Bad frames reported on stderr (when lines are off) before only counting them, as replay does. */
const MAX_FRAME_ERRORS_SHOWN = 20;
/** Output is flushed at least this often while frames arrive (lines are also flushed after each batch). */
const FILE_FLUSH_MS = 1000;

export interface SniffOptions {
  iface: string;
  /** An explicit filter expression (replaces the default), or null. */
  filter: string | null;
  /** Default filter with multicast UDP (ignored when `filter` is given). */
  all: boolean;
  json: boolean;
  /** No per-frame lines. */
  quiet: boolean;
  /** Statistics at the end (replay --stats). */
  stats: boolean;
  table: boolean;
  events: boolean;
  /** Seconds between table redraws or snapshots; 0: only at exit; null: 1 on a terminal, 10 otherwise. */
  interval: number | null;
  /** Stop after this many frames. */
  count: number | null;
  /** Stop after this many seconds. */
  duration: number | null;
  /** Capture file path, '-' for stdout, or null. */
  write: string | null;
  /** File format; null: by the file's extension. */
  format: 'pcap' | 'pcapng' | null;
  /** Flush the file after every frame (tcpdump -U). */
  packetBuffered: boolean;
  snaplen: number | null;
  /** Kernel capture buffer in bytes, or null for libpcap's default (2 MiB). */
  bufferSize: number | null;
  promisc: boolean;
  /** Immediate mode; null: on when printing lines to a terminal. */
  immediate: boolean | null;
  direction: 'in' | 'out' | 'inout';
  precision: 'nano' | 'micro';
  /** Membership timers when no v3 querier announces them (--table, --events). */
  timers: TimerOptions;
}

export const SNIFF_DEFAULTS: SniffOptions = {
  iface: '',
  filter: null,
  all: false,
  json: false,
  quiet: false,
  stats: false,
  table: false,
  events: false,
  interval: null,
  count: null,
  duration: null,
  write: null,
  format: null,
  packetBuffered: false,
  snaplen: null,
  bufferSize: null,
  promisc: true,
  immediate: null,
  direction: 'inout',
  precision: 'nano',
  timers: {},
};

/** Where a session writes. LineSink (src/format/sink.ts) is the real `out`. */
export interface SniffIo {
  out: { line(s: string): void; flush(): void };
  err(line: string): void;
  /** stdout is a terminal: the table is redrawn in place, lines use immediate mode. */
  tty: boolean;
  /** The wall clock in seconds (the membership table's clock between frames). */
  now(): number;
}

/** The capture's facts a session needs (LiveCapture has them; tests pass their own). */
export interface SniffSource {
  iface: string;
  linkType: number;
  snaplen: number;
  tsDigits: 6 | 9;
  /** libpcap's counters, or null when unavailable. */
  stats(): NativeStats | null;
}

/** One captured frame: the fields a LiveFrame and a file's CaptureRecord share. */
export type SniffFrame = Pick<CaptureRecord, 'buf' | 'offset' | 'caplen' | 'wirelen' | 'tsSec' | 'tsNsec'>;

export interface SniffSummary {
  type: 'summary';
  iface: string;
  /** Frames captured (passed the filter and were read). */
  frames: number;
  /** Their lengths on the wire, summed. */
  bytes: number;
  /** Frames that did not decode cleanly. */
  errors: number;
  durationS: number;
  /** IGMP messages by kind (a v3 report counts once, whatever its records). */
  igmp: { type: string; version: number; typeCode: number; count: number }[];
  /** Multicast groups named by IGMP messages (reports, leaves, v3 records, group queries) or sent UDP to. */
  groups: string[];
  /** libpcap's counters: recv = passed the filter, drop = the kernel's buffer was full, ifdrop = the interface's. */
  pcap: NativeStats | null;
  file: { path: string; format: 'pcap' | 'pcapng'; records: number; nanosecond: boolean } | null;
}

/** The filter expression a sniff runs: the explicit one, else igmp (with --all, multicast UDP too). */
export function sniffFilter(opts: Pick<SniffOptions, 'filter' | 'all'>): string {
  if (opts.filter !== null && opts.filter.trim() !== '') return opts.filter;
  return opts.all ? ALL_FILTER : DEFAULT_FILTER;
}

/** --format, else by extension: .pcapng/.ntar are pcapng; anything else (and '-') classic pcap, as tcpdump writes. */
export function captureFormatFor(path: string, format: 'pcap' | 'pcapng' | null): 'pcap' | 'pcapng' {
  if (format !== null) return format;
  return /\.(pcapng|ntar)$/i.test(path) ? 'pcapng' : 'pcap';
}

/** Per-frame lines are printed unless -q, the table or the events replace them, or stdout carries the file. */
export function printsLines(o: Pick<SniffOptions, 'quiet' | 'table' | 'events' | 'write'>): boolean {
  return !o.quiet && !o.table && !o.events && o.write !== '-';
}

/** Argument combinations that cannot work, as UsageErrors (before any capture opens). */
export function checkSniffOptions(o: SniffOptions, stdoutIsTty: boolean): void {
  if (o.iface === '') throw new UsageError('give the interface to capture on: -i IFACE (see: mcast interfaces)');
  if (o.write === '-') {
    const clash = o.table ? '--table' : o.events ? '--events' : o.stats ? '--stats' : null;
    if (clash !== null) throw new UsageError(`${clash} prints to standard output, which -w - uses for the capture file`);
    if (stdoutIsTty) throw new UsageError('-w -: standard output is a terminal; redirect it or give a file name');
  }
  if (o.interval !== null && !o.table) throw new UsageError('--interval applies to --table');
}

const LINK_NAMES: Record<number, string> = {
  [LinkType.ETHERNET]: 'EN10MB (Ethernet)',
  [LinkType.RAW]: 'RAW (raw IP)',
  [LinkType.LINUX_SLL]: 'LINUX_SLL (Linux cooked v1)',
  [LinkType.LINUX_SLL2]: 'LINUX_SLL2 (Linux cooked v2)',
  [LinkType.IPV4]: 'IPV4 (raw IPv4)',
};

/** libpcap's counters, or null (the handle is gone). */
function safeStats(cap: LiveCapture): NativeStats | null {
  try {
    return cap.stats();
  } catch {
    return null;
  }
}

/**
 * Everything between a captured frame and the outputs: decode, count, write, print, track membership. Driven by
 * runSniff with live frames, and by tests with frames from a file.
 */
export class SniffSession {
  frames = 0;
  bytes = 0;
  errors = 0;
  readonly startedAt: number;

  private readonly d = new FrameDecoder();
  private readonly stats = new StatsCollector();
  /** IGMP messages by (typeCode << 2 | version). */
  private readonly igmpCounts = new Float64Array(256 * 4);
  private readonly printLines: boolean;
  private readonly table: MembershipTable | null;
  private readonly messages = new ReusedMessageBuilder();
  private readonly iface: string;
  private outPending = false;
  /** The terminal table has been drawn once (the first draw clears the screen). */
  private drawn = false;
  /**
   * The table's clock, as replay's: seconds from a whole second (the first frame's, or the wall clock's when the
   * table is shown first), printed at the capture's precision.
   */
  private readonly times: TableClock;
  private readonly flushOut = (): void => {
    this.outPending = false;
    this.io.out.flush();
  };

  constructor(
    private readonly opts: SniffOptions,
    private readonly io: SniffIo,
    private readonly src: SniffSource,
    private readonly writer: CaptureWriter | null,
  ) {
    this.iface = src.iface;
    this.times = new TableClock(src.tsDigits);
    this.startedAt = io.now();
    this.printLines = printsLines(opts);
    this.table =
      opts.table || opts.events
        ? new MembershipTable({ ...opts.timers, events: opts.events, formatTime: (t) => this.times.text(t) })
        : null;
  }

  /** The hot path: one captured frame. */
  frame(f: SniffFrame): void {
    const n = ++this.frames;
    this.bytes += f.wirelen;
    const w = this.writer;
    if (w !== null) {
      w.write(f.buf, f.offset, f.caplen, f.wirelen, f.tsSec, f.tsNsec);
      if (this.opts.packetBuffered) w.flush();
    }
    const d = this.d;
    d.decode(this.src.linkType, f.buf, f.offset, f.caplen);
    this.stats.add(d, f.tsSec, f.tsNsec);
    if (d.hasIgmp) {
      const g = d.igmp;
      this.igmpCounts[(g.typeCode << 2) | g.version]!++;
    }
    if (d.error !== null) {
      this.errors++;
      if (!this.printLines) this.noteBadFrame(n, d.error);
    }
    if (this.table !== null && d.hasIgmp && d.error === null) {
      const times = this.times;
      if (times.base === null) times.base = f.tsSec;
      // The same numeric message as replay's, from the views: no repr or strings per frame.
      this.messages.time[0] = f.tsSec - times.base + f.tsNsec * 1e-9;
      this.printEvents(this.table.onWire(this.messages.build(d, this.iface, n)));
    }
    if (this.printLines) {
      const fj = buildFrameJson(d, { n, ts: formatTimestamp(f.tsSec, f.tsNsec, this.src.tsDigits), len: f.wirelen, iface: this.iface });
      this.io.out.line(this.opts.json ? JSON.stringify(fj) : formatFrameLine(fj));
      this.scheduleFlush();
    }
  }

  /** Timers of the membership table up to the wall clock (expiry events print). */
  advance(): void {
    if (this.table === null) return;
    this.printEvents(this.table.advance(this.clock()));
    this.scheduleFlush();
  }

  /** When the table's next timer runs out (seconds, wall clock), Infinity if none. */
  nextDeadline(): number {
    const due = this.table?.nextDeadline() ?? Infinity;
    return due === Infinity ? due : due + (this.times.base ?? 0);
  }

  /** The table now: redrawn in place on a terminal, else one snapshot (text block or one JSON line). */
  showTable(final: boolean): void {
    if (this.table === null || !this.opts.table) return;
    const at = this.clock();
    this.printEvents(this.table.advance(at));
    const out = this.io.out;
    const when = wallTime(this.io.now());
    if (this.opts.json) {
      out.line(JSON.stringify({ ts: when, ...this.table.snapshot(at) }));
      out.flush();
      return;
    }
    const table = formatRowsLines(this.table.tableRows(at));
    if (this.io.tty) {
      // Like top: cursor home, each line cleared to its end, the rest of the screen cleared.
      const st = this.src.stats();
      const head = `mcast sniff on ${this.iface}: ${this.frames} frames${st !== null ? `, ${st.drop} dropped by the kernel` : ''}${final ? '' : '  (Ctrl-C to stop)'}`;
      const lines = [head, `membership at ${when}`, '', ...table];
      out.line(`${this.drawn ? '' : '\x1b[2J'}\x1b[H${lines.join('\x1b[K\n')}\x1b[K\x1b[J`);
      this.drawn = true;
    } else {
      out.line(`membership at ${when}`);
      for (const l of table) out.line(l);
      out.line('');
    }
    out.flush();
  }

  /** End of capture: final table, statistics, flush; returns the summary (runSniff prints it). */
  finish(pcap: NativeStats | null, file: SniffSummary['file']): SniffSummary {
    if (this.table !== null) {
      if (this.opts.table) this.showTable(true);
      else this.advance();
    }
    if (this.errors > MAX_FRAME_ERRORS_SHOWN && !this.printLines) {
      this.io.err(`mcast: ${this.errors - MAX_FRAME_ERRORS_SHOWN} more bad frames not shown (${this.errors} in all)`);
    }
    const s = this.stats.toJson();
    if (this.opts.stats) {
      if (this.opts.json) this.io.out.line(JSON.stringify(s));
      else for (const l of formatStatsText(s)) this.io.out.line(l);
    }
    this.io.out.flush();
    const igmp: SniffSummary['igmp'] = [];
    for (let k = 0; k < this.igmpCounts.length; k++) {
      const count = this.igmpCounts[k]!;
      if (count === 0) continue;
      const typeCode = k >>> 2;
      igmp.push({ type: igmpKind(typeCode), version: k & 3, typeCode, count });
    }
    const groups = new Set<string>();
    for (const c of s.igmp) if (c.group !== '0.0.0.0') groups.add(c.group);
    for (const t of s.streams) groups.add(t.group);
    return {
      type: 'summary',
      iface: this.iface,
      frames: this.frames,
      bytes: this.bytes,
      errors: this.errors,
      durationS: Math.round((this.io.now() - this.startedAt) * 1000) / 1000,
      igmp,
      groups: [...groups].sort((a, b) => ipNum(a) - ipNum(b)),
      pcap,
      file,
    };
  }

  private noteBadFrame(n: number, e: WireError): void {
    if (this.errors <= MAX_FRAME_ERRORS_SHOWN) this.io.err(`mcast: frame ${n}: ${e.message}`);
  }

  private printEvents(events: readonly MembershipEvent[]): void {
    if (!this.opts.events || events.length === 0) return;
    for (const e of events) {
      this.io.out.line(this.times.eventLine(e, this.opts.json));
    }
    this.scheduleFlush();
  }

  /** The wall clock on the table's clock. */
  private clock(): number {
    const now = this.io.now();
    const times = this.times;
    if (times.base === null) times.base = Math.floor(now);
    return now - times.base;
  }

  /** Lines go out after the batch in progress (one write per batch, not per frame). */
  private scheduleFlush(): void {
    if (this.outPending) return;
    this.outPending = true;
    setImmediate(this.flushOut);
  }
}

/** The wall clock (Date.now, milliseconds) as ISO-8601 with 3 digits: finer digits of a float would be noise. */
function wallTime(t: number): string {
  const ms = Math.round(t * 1000);
  return formatTimestamp(Math.floor(ms / 1000), (ms % 1000) * 1e6, 3);
}

function ipNum(s: string): number {
  const p = s.split('.');
  return ((+p[0]! << 24) >>> 0) + (+p[1]! << 16) + (+p[2]! << 8) + +p[3]!;
}

/** The summary as text lines for stderr. */
export function formatSummary(s: SniffSummary): string[] {
  const lines: string[] = [];
  const err = s.errors > 0 ? `, ${s.errors} with errors` : '';
  lines.push(`${s.frames} frame${s.frames === 1 ? '' : 's'} captured on ${s.iface} in ${s.durationS.toFixed(1)} s (${s.bytes} bytes${err})`);
  if (s.igmp.length > 0) {
    const kinds = s.igmp.map((k) => `${k.count} ${k.type === 'unknown' ? `type 0x${k.typeCode.toString(16)}` : `${k.version === 0 ? '' : `v${k.version} `}${k.type}`}`);
    lines.push(`IGMP: ${kinds.join(', ')}`);
  }
  if (s.groups.length > 0) lines.push(`groups: ${s.groups.join(' ')}`);
  if (s.pcap !== null) {
    lines.push(`${s.pcap.recv} received by filter, ${s.pcap.drop} dropped by kernel, ${s.pcap.ifdrop} dropped by interface`);
  }
  if (s.file !== null) {
    lines.push(`wrote ${s.file.records} frames to ${s.file.path === '-' ? 'standard output' : s.file.path} (${s.file.format}, ${s.file.nanosecond ? 'nanosecond' : 'microsecond'} timestamps)`);
  }
  return lines;
}

/**
 * A capture that fails after it started usually means the interface changed under it: say so rather than pass on
 * libpcap's poll status (a deleted interface shows as a poll error, EBADF).
 */
function explainCaptureError(err: unknown, iface: string, existed: boolean): unknown {
  if (!(err instanceof SystemError) || !existed) return err;
  const now = interfaceState(iface);
  if (now === null) return new SystemError('ERR_NO_SUCH_INTERFACE', `interface ${iface} disappeared during the capture`);
  if (!now.up) return new SystemError('ERR_INTERFACE_DOWN', `interface ${iface} went down during the capture`);
  return err;
}

export interface SniffReport {
  summary: SniffSummary;
}

/**
 * Open the capture, run until `signal`, -c, --duration or a capture error, then flush, close and print the
 * summary. Throws the capture layer's SystemErrors (ERR_NO_SUCH_INTERFACE, ERR_INTERFACE_DOWN, ERR_PERMISSION,
 * ERR_BAD_FILTER, ERR_NO_LIBPCAP) before any output, and a capture error after the summary.
 */
export async function runSniff(opts: SniffOptions, io: SniffIo, signal?: AbortSignal): Promise<SniffReport> {
  checkSniffOptions(opts, io.tty);
  const st = interfaceState(opts.iface);
  // Pseudo-devices (any, nflog) have no /sys entry: libpcap judges them.
  if (st !== null && !st.up) {
    throw new SystemError('ERR_INTERFACE_DOWN', `interface ${opts.iface} is down (ip link set ${opts.iface} up)`);
  }
  const filter = sniffFilter(opts);
  const immediate = opts.immediate ?? (printsLines(opts) && io.tty);
  const capOpts: CaptureOptions = {
    filter,
    promisc: opts.promisc,
    immediate,
    timeoutMs: BLOCK_TIMEOUT_MS,
    direction: opts.direction,
    tstampPrecision: opts.precision,
  };
  if (opts.snaplen !== null) capOpts.snaplen = opts.snaplen;
  if (opts.bufferSize !== null) capOpts.bufferSize = opts.bufferSize;
  let cap: LiveCapture;
  try {
    cap = LiveCapture.open(opts.iface, capOpts);
  } catch (err) {
    if (err instanceof SystemError && err.code === 'ERR_NO_SUCH_INTERFACE') {
      throw new SystemError(err.code, `${err.message} (see: mcast interfaces)`);
    }
    throw err;
  }

  let writer: CaptureWriter | null = null;
  const format = opts.write !== null ? captureFormatFor(opts.write, opts.format) : null;
  try {
    if (opts.write !== null && format !== null) {
      writer = CaptureWriter.create(opts.write, {
        format,
        linkType: cap.linkType,
        snaplen: cap.snaplen,
        nanosecond: cap.tsDigits === 9,
        ifaceName: cap.iface,
      });
    }
  } catch (err) {
    cap.close();
    throw err;
  }
  const fileInfo = (): SniffSummary['file'] =>
    writer !== null && format !== null ? { path: opts.write!, format, records: writer.records, nanosecond: writer.nanosecond } : null;
  // A process.exit elsewhere (EPIPE on stdout ends the process at once) must still leave a whole file.
  const onExit = (): void => {
    try {
      writer?.close();
    } catch {
      /* nothing more to do while exiting */
    }
  };
  process.once('exit', onExit);

  const source: SniffSource = { iface: cap.iface, linkType: cap.linkType, snaplen: cap.snaplen, tsDigits: cap.tsDigits, stats: () => safeStats(cap) };
  const session = new SniffSession(opts, io, source, writer);
  const banner = {
    type: 'listening' as const,
    iface: cap.iface,
    linkType: cap.linkType,
    snaplen: cap.snaplen,
    tsDigits: cap.tsDigits,
    filter,
    immediate,
    ...(cap.warning !== null ? { warning: cap.warning } : {}),
    ...(writer !== null ? { file: opts.write, format } : {}),
  };
  if (opts.json) io.err(JSON.stringify(banner));
  else {
    if (cap.warning !== null) io.err(`mcast: warning: ${cap.warning}`);
    const link = LINK_NAMES[cap.linkType] ?? `DLT ${cap.linkType}`;
    io.err(`listening on ${cap.iface}, link-type ${link}, snapshot length ${cap.snaplen} bytes, filter '${filter}'${writer !== null ? `, writing ${opts.write === '-' ? 'standard output' : opts.write} (${format})` : ''}`);
  }

  // Stopping: after a signal or --duration, give the kernel one block timeout to hand over what it holds.
  const timers: NodeJS.Timeout[] = [];
  let stopping = false;
  const stop = (): void => {
    if (stopping || cap.closed) return;
    stopping = true;
    timers.push(setTimeout(() => cap.close(), immediate ? 0 : BLOCK_TIMEOUT_MS + 30));
  };
  const onAbort = (): void => stop();
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', onAbort);
  if (opts.duration !== null) timers.push(setTimeout(stop, opts.duration * 1000));
  if (writer !== null && !opts.packetBuffered) {
    const w = writer;
    timers.push(setInterval(() => w.flush(), FILE_FLUSH_MS));
  }
  const interval = opts.interval ?? (io.tty ? 1 : 10);
  if (opts.table && interval > 0) timers.push(setInterval(() => session.showTable(false), interval * 1000));
  // --events: timer expiries print when they happen, not only at the next frame.
  let expiry: NodeJS.Timeout | null = null;
  const armExpiry = (): void => {
    if (!opts.events) return;
    if (expiry !== null) clearTimeout(expiry);
    const due = session.nextDeadline();
    expiry = due === Infinity ? null : setTimeout(onExpiry, Math.min(2 ** 31 - 1, Math.max(10, (due - io.now()) * 1000 + 5)));
  };
  const onExpiry = (): void => {
    expiry = null;
    session.advance();
    armExpiry();
  };

  const count = opts.count;
  let captureError: unknown = null;
  try {
    // A terminal shows the (empty) table at once; snapshots elsewhere wait for the first interval.
    if (opts.table && io.tty && !opts.json) session.showTable(false);
    await cap.run((f) => {
      session.frame(f);
      if (opts.events) armExpiry();
      if (count !== null && session.frames >= count) cap.close();
    });
  } catch (err) {
    captureError = err;
  } finally {
    for (const t of timers) clearTimeout(t);
    if (expiry !== null) clearTimeout(expiry);
    signal?.removeEventListener('abort', onAbort);
    cap.close();
  }
  let fileError: unknown = null;
  try {
    writer?.close();
  } catch (err) {
    fileError = err;
  }
  process.off('exit', onExit);
  const summary = session.finish(safeStats(cap), fileInfo());
  if (opts.json) io.err(JSON.stringify(summary));
  else for (const l of formatSummary(summary)) io.err(l);
  if (captureError !== null) throw explainCaptureError(captureError, opts.iface, st !== null);
  if (fileError !== null) throw fileError;
  return { summary };
}
