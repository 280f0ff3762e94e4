/**
 * What `mcast querier` prints: one line per query sent and per membership event (formatEvent), the table
 * (formatTableLines) on change with --table and always at the end, on stdout; a start line and a summary on stderr, as
 * tcpdump does. With --json, everything is on stdout as JSON lines, each object carrying `ts` (ISO-8601,
 * microseconds) and `kind` (the event kinds, plus querier-start, query-sent, table and querier-stop). Output is
 * flushed after every call: the command runs for as long as the user wants.
 */
import type { LineSink } from '../format/sink.js';
import { formatEvent, formatTableLines } from '../membership/format.js';
import { isoMicros } from '../membership/timers.js';
import type { QuerySend } from '../membership/querier.js';
import type { MembershipEvent, TableSnapshot } from '../membership/types.js';
import { decodeMaxRespCode, decodeQqic } from '../wire/igmp.js';
import type { QuerierSink, QuerierStart, QuerierSummary } from './run.js';

export interface PrinterOptions {
  json: boolean;
  /** Print the table whenever it changes. */
  table: boolean;
  /** No per-query and per-event lines. */
  quiet: boolean;
}

const fmt = { formatTime: isoMicros };

export function formatStart(s: QuerierStart): string {
  const v1 = s.version === 1;
  return (
    `querier on ${s.iface} as ${s.address} (${s.mac}), IGMPv${s.version}: query interval ${s.queryInterval}s, ` +
    `response ${v1 ? '10s (v1: fixed)' : `${s.queryResponseInterval}s`}, robustness ${s.robustness}, ` +
    (v1 ? '' : `last member query ${s.lastMemberQueryInterval}s x ${s.lastMemberQueryCount}, `) +
    `startup ${s.startupQueryCount} x ${s.startupQueryInterval}s`
  );
}

/** "TIME sent IFACE general query v3 -> 224.0.0.1 max resp 10s, QRV 2, QQI 125s". */
export function formatSend(q: QuerySend, iface: string): string {
  const g = q.igmp;
  const v = g.version === 1 || g.version === 2 || g.version === 3 ? g.version : 3;
  const what = q.reason === 'startup' ? 'startup query' : q.reason === 'general' ? 'general query' : q.reason === 'group' ? `query for ${g.group}` : `query for ${g.group} {${(g.sources ?? []).join(', ')}}`;
  const parts = [v === 1 ? 'no max resp (v1)' : `max resp ${decodeMaxRespCode(g.maxRespCode, v)}s`];
  if (v === 3) {
    if (g.s === true) parts.push('S');
    parts.push(`QRV ${g.qrv ?? 0}`, `QQI ${decodeQqic(g.qqic ?? 0)}s`);
  }
  return `${isoMicros(q.time)} sent ${iface} ${what} v${v} -> ${q.dst}, ${parts.join(', ')}`;
}

export function formatSummary(s: QuerierSummary): string {
  const sent = s.sent.startup + s.sent.general + s.sent.group + s.sent['group-source'];
  return (
    `${sent} quer${sent === 1 ? 'y' : 'ies'} sent (${s.sent.startup} startup, ${s.sent.general} general, ${s.sent.group} group, ` +
    `${s.sent['group-source']} group-and-source), ${s.received} IGMP frame${s.received === 1 ? '' : 's'} received` +
    (s.dropped > 0 ? `, ${s.dropped} dropped by the kernel` : '')
  );
}

/** The sink the CLI hands the driver: text or JSON lines on `out`. */
export class QuerierPrinter implements QuerierSink {
  readonly changed?: (snap: TableSnapshot, time: number) => void;
  private iface = '-';

  constructor(
    private readonly opts: PrinterOptions,
    private readonly out: LineSink,
    private readonly err: LineSink,
  ) {
    if (opts.table) this.changed = (snap, time) => this.table(snap, time);
  }

  start(info: QuerierStart): void {
    this.iface = info.iface;
    if (this.opts.json) this.out.line(JSON.stringify({ ts: isoMicros(info.time), kind: 'querier-start', ...info }));
    else this.err.line(formatStart(info));
    this.out.flush();
    this.err.flush();
  }

  sent(q: QuerySend, src: string, frameLength: number): void {
    if (this.opts.quiet) return;
    if (this.opts.json) {
      this.out.line(JSON.stringify({ ts: isoMicros(q.time), kind: 'query-sent', time: q.time, iface: this.iface, reason: q.reason, src, dst: q.dst, length: frameLength, igmp: q.igmp }));
    } else {
      this.out.line(formatSend(q, this.iface));
    }
    this.out.flush();
  }

  events(list: readonly MembershipEvent[]): void {
    if (this.opts.quiet) return;
    for (const e of list) this.out.line(this.opts.json ? JSON.stringify({ ts: isoMicros(e.time), ...e }) : formatEvent(e, fmt));
    this.out.flush();
  }

  stop(snap: TableSnapshot, summary: QuerierSummary): void {
    this.table(snap, summary.time);
    if (this.opts.json) this.out.line(JSON.stringify({ ts: isoMicros(summary.time), kind: 'querier-stop', ...summary }));
    else this.err.line(formatSummary(summary));
    this.out.flush();
    this.err.flush();
  }

  private table(snap: TableSnapshot, time: number): void {
    if (this.opts.json) {
      this.out.line(JSON.stringify({ ts: isoMicros(time), kind: 'table', time, ...snap }));
    } else {
      this.out.line(`membership at ${isoMicros(time)}`);
      for (const l of formatTableLines(snap)) this.out.line(l);
      this.out.line('');
    }
    this.out.flush();
  }
}
