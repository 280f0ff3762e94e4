/** The `--stats` table: IGMP messages by kind and group, v3 records by type, UDP streams by group and port. */
import type { StatsJson } from '../decode/stats.js';

export function formatStatsText(s: StatsJson): string[] {
  const lines: string[] = [];
  lines.push('');
  lines.push(`${s.frames} frames, ${s.errors} with errors`);
  if (s.igmp.length > 0) {
    lines.push('');
    lines.push('IGMP messages (v3 reports counted per group record)');
    lines.push(...table(['version', 'type', 'group', 'count'], s.igmp.map((c) => [c.version === 0 ? '-' : `v${c.version}`, c.type === 'unknown' ? `0x${c.typeCode.toString(16)}` : c.type, c.group, String(c.count)]), [false, false, false, true]));
  }
  if (s.records.length > 0) {
    lines.push('');
    lines.push('IGMPv3 group records');
    lines.push(...table(['group', 'record', 'count'], s.records.map((r) => [r.group, r.type === 'unknown' ? `type ${r.typeCode}` : r.type, String(r.count)]), [false, false, true]));
  }
  if (s.streams.length > 0) {
    lines.push('');
    lines.push('UDP multicast streams');
    lines.push(
      ...table(
        ['group', 'port', 'packets', 'bytes', 'seconds', 'pkt/s', 'kbit/s'],
        s.streams.map((t) => [t.group, String(t.port), String(t.packets), String(t.bytes), t.durationS.toFixed(3), t.pps.toFixed(1), (t.bps / 1000).toFixed(1)]),
        [false, true, true, true, true, true, true],
      ),
    );
  }
  return lines;
}

/** Fixed-width columns; `right` marks numeric columns. */
export function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (right[i] ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}
