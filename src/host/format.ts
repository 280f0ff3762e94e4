/**
 * Text and JSON forms of what the host commands show. The only place their strings are made.
 * JSON output is one object per line (NDJSON) with a "type" field: listening, datagram, stats, summary for
 * `mcast listen`; sending, progress, summary for `mcast send`.
 */
import type { Finding } from './doctor.js';
import type { InterfaceMemberships } from './groups.js';
import type { Datagram, Join } from './listener.js';
import type { SendProgress, SenderInfo } from './sender.js';
import type { StreamSummary } from './stats.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Printable: tab, newline, carriage return and 0x20-0x7e only (and not empty). */
export function isPrintable(buf: Uint8Array, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if ((c < 0x20 || c > 0x7e) && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

export function allZero(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Hex in groups of two bytes ("4d43 4b50 01"), at most `max` bytes, then "... (+N bytes)". */
export function groupedHex(buf: Uint8Array, start: number, end: number, max = 64): string {
  const stop = Math.min(end, start + max);
  let s = '';
  for (let i = start; i < stop; i++) {
    if (i > start && (i - start) % 2 === 0) s += ' ';
    s += HEX[buf[i]!];
  }
  if (end > stop) s += ` ... (+${end - stop} bytes)`;
  return s;
}

function plainHex(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[buf[i]!];
  return s;
}

/** The payload as text when printable (JSON-quoted, so control characters stay visible), else grouped hex. */
export function payloadText(buf: Uint8Array, start: number, end: number, max = 64): string {
  if (isPrintable(buf, start, end)) {
    const t = Buffer.from(buf.buffer, buf.byteOffset + start, Math.min(end - start, max)).toString('latin1');
    return JSON.stringify(t) + (end - start > max ? ` ... (+${end - start - max} bytes)` : '');
  }
  return groupedHex(buf, start, end, max);
}

/** "1 datagram", "2 datagrams". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** Local time of day with microseconds, as tcpdump prints it: 14:03:07.123456. */
export function timeOfDay(us: number): string {
  const ms = Math.floor(us / 1000);
  const d = new Date(ms);
  const frac = Math.floor(us % 1_000_000).toString().padStart(6, '0');
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${frac}`;
}

export function isoTime(us: number): string {
  const d = new Date(Math.floor(us / 1000)).toISOString();
  return `${d.slice(0, 19)}.${Math.floor(us % 1_000_000).toString().padStart(6, '0')}Z`;
}

function ms(us: number): string {
  return (us / 1000).toFixed(3);
}

export function bitRate(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(2)} Gbit/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(1)} kbit/s`;
  return `${bps.toFixed(0)} bit/s`;
}

export function hexId(id: number): string {
  return (id >>> 0).toString(16).padStart(8, '0');
}

// --- listen ---------------------------------------------------------------------------------------------------

export function datagramLine(d: Datagram): string {
  const head = `${timeOfDay(d.arrivalUs)} ${d.group}:${d.port} < ${d.source}:${d.sourcePort} ${d.size} B`;
  if (!d.probe) return `${head} ${payloadText(d.payload, 0, d.size)}`;
  const probe = ` probe ${hexId(d.senderId)} seq ${d.sequence} delay ${ms(d.arrivalUs - d.sendTimeUs)} ms`;
  const rest = d.headerLength < d.size && !allZero(d.payload, d.headerLength, d.size) ? ` ${payloadText(d.payload, d.headerLength, d.size)}` : '';
  return head + probe + rest;
}

const JSON_PAYLOAD_MAX = 1024;

export function datagramJson(d: Datagram): string {
  const start = d.probe ? d.headerLength : 0;
  const end = Math.min(d.size, start + JSON_PAYLOAD_MAX);
  const o: Record<string, unknown> = {
    type: 'datagram',
    time: isoTime(d.arrivalUs),
    timeUs: Math.round(d.arrivalUs),
    group: d.group,
    port: d.port,
    source: d.source,
    sourcePort: d.sourcePort,
    size: d.size,
    probe: d.probe ? { senderId: hexId(d.senderId), sequence: d.sequence, sendTimeUs: d.sendTimeUs, delayUs: Math.round(d.arrivalUs - d.sendTimeUs) } : null,
  };
  if (isPrintable(d.payload, start, end)) o.text = Buffer.from(d.payload.buffer, d.payload.byteOffset + start, end - start).toString('latin1');
  else o.hex = plainHex(d.payload, start, end);
  if (d.size - start > JSON_PAYLOAD_MAX) o.payloadTruncated = true;
  return JSON.stringify(o);
}

function joinText(j: Join): string {
  return `${j.iface} (${j.address})${j.source === null ? '' : ` from ${j.source}`}`;
}

/** "listening on 239.1.1.1:5000, joined on pb (10.9.0.2), pc (10.8.0.2), any source" per subscription. */
export function listeningLines(joins: readonly Join[], notes: readonly string[]): string[] {
  const bySub = new Map<string, Join[]>();
  for (const j of joins) {
    const k = `${j.group}:${j.port}`;
    const list = bySub.get(k) ?? [];
    list.push(j);
    bySub.set(k, list);
  }
  const lines: string[] = [];
  for (const [k, list] of bySub) {
    const ssm = list.some((j) => j.source !== null);
    lines.push(`listening on ${k}, joined on ${list.map(joinText).join(', ')}${ssm ? ' (source-specific, IGMPv3 INCLUDE)' : ', any source'}`);
  }
  return [...lines, ...notes.map((n) => `note: ${n}`)];
}

export function listeningJson(joins: readonly Join[], notes: readonly string[]): string {
  return JSON.stringify({ type: 'listening', joins, notes });
}

export function streamLine(s: StreamSummary): string {
  const id = s.senderId === null ? '' : ` [${s.senderId}]`;
  let t = `${s.group}:${s.port} < ${s.source}:${s.sourcePort}${id}: ${plural(s.packets, 'datagram')}, ${s.bytes} B, ${s.pps.toFixed(1)} pps, ${bitRate(s.bps)}`;
  if (s.senderId !== null) t += `, lost ${s.lost}, duplicates ${s.duplicates}, reordered ${s.reordered}`;
  if (s.delay !== null) t += `, delay min/avg/max ${ms(s.delay.minUs)}/${ms(s.delay.avgUs)}/${ms(s.delay.maxUs)} ms, jitter ${ms(s.delay.jitterUs)} ms`;
  return t;
}

export function statsJson(elapsedS: number, streams: readonly StreamSummary[]): string {
  return JSON.stringify({ type: 'stats', elapsedS: round3(elapsedS), streams: streams.map(roundStream) });
}

export function listenSummaryLines(elapsedS: number, datagrams: number, streams: readonly StreamSummary[]): string[] {
  const head = `summary: ${plural(datagrams, 'datagram')} in ${elapsedS.toFixed(1)} s from ${plural(streams.length, 'stream')}`;
  return [head, ...streams.map((s) => `  ${streamLine(s)}`)];
}

export function listenSummaryJson(elapsedS: number, datagrams: number, streams: readonly StreamSummary[], joins: readonly Join[]): string {
  return JSON.stringify({ type: 'summary', elapsedS: round3(elapsedS), datagrams, streams: streams.map(roundStream), joins });
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function roundStream(s: StreamSummary): StreamSummary {
  return {
    ...s,
    durationS: round3(s.durationS),
    pps: round3(s.pps),
    bps: Math.round(s.bps),
    delay: s.delay === null ? null : { minUs: Math.round(s.delay.minUs), avgUs: Math.round(s.delay.avgUs), maxUs: Math.round(s.delay.maxUs), jitterUs: Math.round(s.delay.jitterUs) },
  };
}

// --- send -----------------------------------------------------------------------------------------------------

export interface SendSettings {
  group: string;
  port: number;
  ttl: number;
  loop: boolean;
  size: number;
  rate: number;
  count: number;
  probe: boolean;
  senderId: number;
}

export function sendingLine(info: SenderInfo, s: SendSettings): string {
  const via = info.iface === null ? 'an unknown interface' : info.iface;
  const how = info.chosen ? 'chosen with -i' : "the route's interface";
  const rate = s.rate === 0 ? 'as fast as possible' : `${s.rate} pps`;
  const count = s.count === Infinity ? '' : `, ${plural(s.count, 'datagram')}`;
  const id = s.probe ? `, probe header, sender id ${hexId(s.senderId)}` : ', no probe header';
  return `sending to ${s.group}:${s.port} from ${info.localAddress}:${info.localPort} via ${via} (${how}), ttl ${s.ttl}, loop ${s.loop ? 'on' : 'off'}, ${s.size} B, ${rate}${count}${id}`;
}

export function sendingJson(info: SenderInfo, s: SendSettings): string {
  return JSON.stringify({
    type: 'sending',
    group: s.group,
    port: s.port,
    source: info.localAddress,
    sourcePort: info.localPort,
    iface: info.iface,
    ifaceChosen: info.chosen,
    ttl: s.ttl,
    loop: s.loop,
    size: s.size,
    rate: s.rate,
    count: s.count === Infinity ? null : s.count,
    senderId: s.probe ? hexId(s.senderId) : null,
  });
}

/** N datagrams paced at R leave over (N - 1) / R seconds: the rate counts the intervals, not the datagrams. */
function sendRate(p: SendProgress): number {
  return p.elapsedS > 0 && p.datagrams > 1 ? (p.datagrams - 1) / p.elapsedS : 0;
}

export function progressLine(p: SendProgress, intervalPps: number): string {
  return `sent ${plural(p.datagrams, 'datagram')}, ${p.bytes} B in ${p.elapsedS.toFixed(1)} s, ${intervalPps.toFixed(0)} pps now${p.errors > 0 ? `, ${p.errors} errors` : ''}`;
}

export function progressJson(p: SendProgress, intervalPps: number): string {
  return JSON.stringify({ type: 'progress', ...sendFields(p), ppsNow: Math.round(intervalPps) });
}

function sendFields(p: SendProgress): Record<string, unknown> {
  return {
    sequences: p.sequences,
    datagrams: p.datagrams,
    bytes: p.bytes,
    errors: p.errors,
    firstError: p.firstError,
    hookDropped: p.hookDropped,
    elapsedS: round3(p.elapsedS),
    pps: Math.round(sendRate(p)),
  };
}

export function sendSummaryLine(p: SendProgress, size: number): string {
  const pps = sendRate(p);
  const hooks = p.hookDropped > 0 ? `, ${p.hookDropped} dropped by the test hook` : '';
  const errs = p.errors > 0 ? `, ${p.errors} errors (first: ${p.firstError})` : '';
  return `summary: sent ${plural(p.datagrams, 'datagram')}, ${p.bytes} B in ${p.elapsedS.toFixed(2)} s: ${pps.toFixed(0)} pps, ${bitRate(pps * size * 8)}${hooks}${errs}`;
}

export function sendSummaryJson(p: SendProgress): string {
  return JSON.stringify({ type: 'summary', ...sendFields(p) });
}

// --- groups ---------------------------------------------------------------------------------------------------

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

export function groupsTable(list: readonly InterfaceMemberships[]): string[] {
  const rows: string[][] = [['IFACE', 'IGMP', 'GROUP', 'MODE', 'SOURCES', 'USERS', 'MAC']];
  for (const m of list) {
    const version = `v${m.igmpVersion}${m.versionReason === 'forced' ? ' (forced)' : m.versionReason === 'querier' ? ' (querier)' : ''}`;
    if (m.groups.length === 0) rows.push([m.name, version, '-', '-', '-', '-', '-']);
    for (const g of m.groups) {
      rows.push([m.name, version, g.group, g.mode, g.sources.length === 0 ? '-' : g.sources.join(','), String(g.users), g.mac]);
    }
  }
  return table(rows);
}

export function groupsJson(list: readonly InterfaceMemberships[]): string {
  return JSON.stringify(list);
}

// --- doctor ---------------------------------------------------------------------------------------------------

const MARK: Record<Finding['severity'], string> = { ok: ' ok ', info: 'info', warn: 'WARN', fail: 'FAIL' };

export function doctorLines(findings: readonly Finding[]): string[] {
  const out: string[] = [];
  for (const f of findings) {
    out.push(`[${MARK[f.severity]}] ${f.check}: ${f.message}`);
    if (f.fix !== null) out.push(`       fix: ${f.fix}`);
  }
  const n = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  out.push(`${n('fail')} failed, ${n('warn')} warnings, ${n('ok')} ok, ${n('info')} notes`);
  return out;
}

export function doctorJson(findings: readonly Finding[]): string {
  const n = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  return JSON.stringify({ findings, counts: { fail: n('fail'), warn: n('warn'), ok: n('ok'), info: n('info') } });
}
