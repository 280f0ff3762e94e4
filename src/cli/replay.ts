/** `mcast replay FILE...`: thin wrapper over src/replay. */
import { Command, Option } from 'commander';
import { runReplay } from '../replay/replay.js';
import { LineSink } from '../format/sink.js';
import { groupArg, intArg, ipv4Arg, numberArg } from './args.js';
import { UsageError } from '../errors.js';
import { MembershipObserver, type AtTime } from '../replay/membership.js';
import { markDone } from './exit.js';
import type { TimerOptions } from '../membership/index.js';

function atArg(text: string): AtTime {
  if (/^\+\d+(\.\d+)?$/.test(text)) return { relative: Number(text.slice(1)) };
  const t = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(t)) {
    throw new UsageError(`--at: not a time: ${JSON.stringify(text)} (ISO-8601 like 2026-01-01T10:00:05Z, or +SECONDS)`);
  }
  // Date.parse keeps milliseconds only: add the finer digits back.
  const frac = /\.(\d+)/.exec(text)?.[1] ?? '';
  return { absolute: { sec: Math.floor(t / 1000), frac: frac === '' ? 0 : Number(`0.${frac}`) } };
}
import { compileFileFilter } from './filter.js';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('decode pcap/pcapng captures: IGMP lines (or every frame), JSON lines, statistics')
    .argument('<file...>', "capture files (pcap or pcapng; '-' reads standard input)")
    .option('--json', 'one JSON object per frame (with --stats: one statistics document)')
    .option('-a, --all', 'show every frame, not only IGMP')
    .option('--stats', 'per-group statistics at the end (IGMP by kind, v3 records, UDP streams)')
    .option('-q, --quiet', 'no per-frame lines (with --stats: only the statistics)')
    .addOption(new Option('-c, --count <n>', 'stop after showing n frames').argParser(intArg('--count', 1, Number.MAX_SAFE_INTEGER)))
    .addOption(new Option('--group <group>', 'only frames about this group (sent to it, or IGMP naming it)').argParser(groupArg('--group')))
    .addOption(new Option('--host <ip>', 'only frames from or to this address').argParser(ipv4Arg('--host')))
    .addOption(new Option('--vlan <id>', 'only frames tagged with this VLAN ID (any tag level)').argParser(intArg('--vlan', 0, 4095)))
    .option('--table', 'membership table (RFC 3376 router state, members, queriers) at the end or at --at')
    .option('--events', 'membership changes as they happen (join, leave, sources, expiry, querier)')
    .addOption(new Option('--at <time>', "table at this moment: ISO-8601 (2026-01-01T10:00:05Z) or +SECONDS after the first frame").argParser(atArg))
    .addOption(new Option('--robustness <n>', 'Robustness Variable when no v3 querier announces one (RFC 3376 8.1)').argParser(intArg('--robustness', 1, 255)))
    .addOption(new Option('--query-interval <s>', 'Query Interval when no v3 querier announces one (8.2)').argParser(numberArg('--query-interval', 1, 31744)))
    .addOption(new Option('--response-interval <s>', 'Query Response Interval (8.3)').argParser(numberArg('--response-interval', 0.1, 3174.4)))
    .addOption(new Option('--last-member-interval <s>', 'Last Member Query Interval (8.8)').argParser(numberArg('--last-member-interval', 0.1, 3174.4)))
    .option('-f, --filter <expr>', "only frames matching a tcpdump filter expression (libpcap syntax, e.g. 'igmp and vlan 100')")
    .action((files: string[], o: Record<string, unknown>) => {
      const out = new LineSink(1);
      const membership = o.table === true || o.events === true || o.at !== undefined;
      if (o.at !== undefined && o.table !== true && o.events !== true) o.table = true;
      const timers: TimerOptions = {};
      if (o.robustness !== undefined) timers.robustness = o.robustness as number;
      if (o.queryInterval !== undefined) timers.queryInterval = o.queryInterval as number;
      if (o.responseInterval !== undefined) timers.queryResponseInterval = o.responseInterval as number;
      if (o.lastMemberInterval !== undefined) timers.lastMemberQueryInterval = o.lastMemberInterval as number;
      const observer = membership
        ? new MembershipObserver({ table: o.table === true, events: o.events === true, json: o.json === true, at: (o.at as AtTime | undefined) ?? null, timers }, out)
        : undefined;
      const report = runReplay(
        {
          files,
          json: o.json === true,
          all: o.all === true,
          stats: o.stats === true,
          // The table and the events replace the per-frame lines.
          quiet: o.quiet === true || membership,
          count: (o.count as number | undefined) ?? null,
          group: (o.group as number | undefined) ?? null,
          host: (o.host as number | undefined) ?? null,
          vlan: (o.vlan as number | undefined) ?? null,
          filter: typeof o.filter === 'string' ? compileFileFilter(o.filter) : null,
          progress: process.stderr.isTTY === true && !files.includes('-'),
          ...(observer !== undefined ? { observer } : {}),
        },
        out,
        (s) => process.stderr.write(`${s}\n`),
      );
      process.exitCode = report.fileError !== null ? 1 : 0;
      markDone();
    });
}
