/**
 * Text forms of the membership table and its events, for `replay --table`, `replay --events`, `sniff --table` and
 * `mcast querier`. The JSON forms are the snapshot and event objects themselves (JSON.stringify).
 */
import { MEMBERS_SHOWN, type MembershipEvent, type TableRowGroup, type TableRows, type TableSnapshot } from './types.js';

export interface FormatOptions {
  /** Event time to text (default: seconds with 6 decimals). */
  formatTime?: (seconds: number) => string;
}

const GROUP_HEADER = ['IFACE', 'VLAN', 'GROUP', 'MODE', 'SOURCES', 'MEMBERS', 'EXPIRES IN', 'COMPAT'] as const;
const QUERIER_HEADER = ['IFACE', 'VLAN', 'QUERIER', 'VERSION', 'QRV', 'QQI'] as const;

/**
 * The table as aligned text: one line per group (interface, VLAN, group, mode, sources, members, expires in,
 * compatibility version), then the elected queriers. Ends with a newline.
 */
export function formatTable(snap: TableSnapshot): string {
  return `${formatTableLines(snap).join('\n')}\n`;
}

/** formatTable's lines, without the final newline (a big table need not be joined only to be split again). */
export function formatTableLines(snap: TableSnapshot): string[] {
  return formatRowsLines({
    groups: snap.groups.map(({ members, ...g }) => ({
      ...g,
      memberIps: members.slice(0, MEMBERS_SHOWN).map((m) => m.ip),
      memberCount: members.length,
    })),
    queriers: snap.queriers,
  });
}

/** The same lines from the table's rows (MembershipTable.tableRows), which skip what the text does not show. */
export function formatRowsLines(snap: TableRows): string[] {
  const out: string[] = [];
  writeRowsLines(snap, (l) => out.push(l));
  return out;
}

/**
 * formatRowsLines' lines, one call each, as they are made: a big table's lines then die young in the sink's
 * batches instead of being held together (on the benchmark capture 1.8 MB of text, which a collection promoted).
 */
export function writeRowsLines(snap: TableRows, line: (s: string) => void): void {
  if (snap.groups.length === 0) {
    line('no groups');
  } else {
    const rows: string[][] = [[...GROUP_HEADER]];
    for (const g of snap.groups) rows.push(groupRow(g));
    alignRows(rows, line);
  }
  line('');
  if (snap.queriers.length === 0) {
    line('no querier');
  } else {
    const rows = snap.queriers.map((q) => [
      q.iface ?? '-',
      q.vlan === null ? '-' : String(q.vlan),
      q.ip,
      `v${q.version}`,
      q.qrv === null ? '-' : String(q.qrv),
      q.qqi === null ? '-' : `${q.qqi}s`,
    ]);
    alignRows([[...QUERIER_HEADER], ...rows], line);
  }
}

function groupRow(g: TableRowGroup): string[] {
  let sources: string;
  if (g.mode === 'include') {
    sources = g.sources.map((s) => `${s.addr} (${secs(s.expiresIn ?? 0)})`).join(', ');
  } else {
    // EXCLUDE: everything but the excluded list is forwarded; the requested list shows its timers.
    sources = g.sources.length === 0 ? 'all' : `all except ${g.sources.map((s) => s.addr).join(', ')}`;
    if (g.requested.length > 0) {
      sources += `; requested ${g.requested.map((s) => `${s.addr} (${secs(s.expiresIn)})`).join(', ')}`;
    }
  }
  const n = g.memberCount;
  const members = n === 0 ? '-' : n <= MEMBERS_SHOWN ? g.memberIps.join(', ') : `${g.memberIps.slice(0, MEMBERS_SHOWN - 1).join(', ')} and ${n - MEMBERS_SHOWN + 1} more`;
  return [
    g.iface ?? '-',
    g.vlan === null ? '-' : String(g.vlan),
    g.group,
    g.mode,
    sources,
    members,
    secs(g.expiresIn),
    `v${g.compat}`,
  ];
}

/** Each row's cells padded to their column's width (the last cell not), two spaces apart, to `out`. */
function alignRows(rows: string[][], out: (line: string) => void): void {
  const widths: number[] = [];
  for (const r of rows) {
    for (let i = 0; i < r.length; i++) if (!(r[i]!.length <= (widths[i] ?? -1))) widths[i] = r[i]!.length;
  }
  let spaces = '';
  for (const w of widths) if (w + 2 > spaces.length) spaces = ' '.repeat(w + 2);
  for (const r of rows) {
    // Cell, then its padding and the gap as one slice of `spaces`: no copy of the cell (padEnd makes one).
    let line = '';
    const last = r.length - 1;
    for (let i = 0; i < last; i++) line += r[i]! + spaces.slice(0, widths[i]! - r[i]!.length + 2);
    const end = last >= 0 ? r[last]! : '';
    line += end;
    // Trailing space only after an empty or space-ending last cell; trimEnd would copy every line.
    out(end === '' || /\s$/.test(end) ? line.trimEnd() : line);
  }
}

function secs(s: number): string {
  return `${s}s`;
}

/** One event as one line: time, frame (or "timer"), interface[.vlan], what happened. */
export function formatEvent(e: MembershipEvent, opts: FormatOptions = {}): string {
  const time = (opts.formatTime ?? ((t: number) => t.toFixed(6)))(e.time);
  const where = `${e.iface ?? '-'}${e.vlan === null ? '' : `.${e.vlan}`}`;
  const cause = e.frame === null ? 'timer' : `#${e.frame}`;
  return `${time} ${cause} ${where} ${describe(e)}`;
}

function describe(e: MembershipEvent): string {
  switch (e.kind) {
    case 'group-added':
      return `${e.group} added`;
    case 'group-removed':
      return `${e.group} removed`;
    case 'join':
      return `${e.group} join ${host(e.host, e.mac)} v${e.version}`;
    case 'leave':
      return `${e.group} leave ${host(e.host, e.mac)} v${e.version}`;
    case 'mode-change':
      return `${e.group} mode ${e.from} -> ${e.to}`;
    case 'source-added':
      return `${e.group} source ${e.source} added (${e.list})`;
    case 'source-removed':
      return `${e.group} source ${e.source} removed (${e.list})`;
    case 'source-moved':
      return `${e.group} source ${e.source} ${e.from} -> ${e.to}`;
    case 'source-expired':
      return `${e.group} source ${e.source} expired (${e.list === 'include' ? 'removed' : 'now excluded'})`;
    case 'group-expired':
      return `${e.group} group timer expired`;
    case 'compat-change':
      return `${e.group} compatibility v${e.from} -> v${e.to}`;
    case 'query-needed':
      return `${e.group} needs ${e.sources === null ? 'Q(G)' : `Q(G,{${e.sources.join(', ')}})`}`;
    case 'querier-elected':
      return `querier ${e.ip} (v${e.version}) elected${e.previous === null ? '' : `, replacing ${e.previous}`}`;
    case 'querier-lost':
      return `querier ${e.ip} lost (other querier present interval ran out)`;
    case 'warning':
      switch (e.code) {
        case 'competing-queriers':
          return `warning: ${e.ip} keeps querying although ${e.elected} (lower address) is the querier`;
        case 'qqic-mismatch':
          return `warning: ${e.ip} queries every ${e.seen}s but announces QQIC ${e.announced}s`;
        case 'invalid-group':
          return `warning: ${e.ip} reported non-multicast group ${e.group}`;
        case 'invalid-source':
          return `warning: IGMP from ${e.ip}, which no host can have; ignored`;
        case 'source-limit':
          return `warning: ${e.group} has ${e.limit} source records, the table's limit; new sources are not recorded`;
        case 'older-version-query':
          return `warning: ${e.ip} sends IGMPv${e.version} queries; this querier runs v${e.own}`;
      }
  }
}

function host(ip: string, mac: string | null): string {
  return mac === null ? ip : `${ip} (${mac})`;
}
