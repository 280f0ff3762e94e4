/** `mcast replay FILE...`: thin wrapper over src/replay. */
import { Command, Option } from 'commander';
import { runReplay } from '../replay/replay.js';
import { LineSink } from '../format/sink.js';
import { groupArg, intArg, ipv4Arg } from './args.js';
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
    .option('-f, --filter <expr>', "only frames matching a tcpdump filter expression (libpcap syntax, e.g. 'igmp and vlan 100')")
    .action((files: string[], o: Record<string, unknown>) => {
      const out = new LineSink(1);
      const report = runReplay(
        {
          files,
          json: o.json === true,
          all: o.all === true,
          stats: o.stats === true,
          quiet: o.quiet === true,
          count: (o.count as number | undefined) ?? null,
          group: (o.group as number | undefined) ?? null,
          host: (o.host as number | undefined) ?? null,
          vlan: (o.vlan as number | undefined) ?? null,
          filter: typeof o.filter === 'string' ? compileFileFilter(o.filter) : null,
          progress: process.stderr.isTTY === true && !files.includes('-'),
        },
        out,
        (s) => process.stderr.write(`${s}\n`),
      );
      process.exitCode = report.fileError !== null ? 1 : 0;
    });
}
