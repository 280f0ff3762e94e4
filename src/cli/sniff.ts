/** `mcast sniff -i IFACE [EXPRESSION]`: thin wrapper over src/capture/sniff.ts (live capture, replay's output). */
import { Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { LineSink } from '../format/sink.js';
import { ALL_FILTER, runSniff, SNIFF_DEFAULTS, type SniffOptions } from '../capture/sniff.js';
import { MAX_SNAPLEN } from '../capture/filter.js';
import type { TimerOptions } from '../membership/index.js';
import { withStopSignals } from '../host/cli-support.js';
import { intArg, numberArg } from './args.js';

function choice<T extends string>(what: string, values: readonly T[]) {
  return (text: string): T => {
    if (!(values as readonly string[]).includes(text)) throw new UsageError(`${what}: expected ${values.join(', ')}, not ${JSON.stringify(text)}`);
    return text as T;
  };
}

export function registerSniff(program: Command): void {
  program
    .command('sniff')
    .description('live capture: IGMP (or multicast UDP) as lines or JSON lines, a pcap/pcapng file, the membership table')
    .argument('[expression...]', "tcpdump filter expression (as --filter); default 'igmp', with --all multicast UDP too")
    .requiredOption('-i, --interface <iface>', "interface to capture on ('any' for all; see: mcast interfaces)")
    .option('-f, --filter <expr>', 'tcpdump filter expression (libpcap syntax, run in the kernel); replaces the default')
    .option('-a, --all', `multicast UDP too: filter '${ALL_FILTER}'`)
    .option('--json', 'one JSON object per frame, as mcast replay --json; banner and summary as JSON on stderr')
    .option('-w, --write <file>', "also write the frames to a capture file ('-': standard output, no lines)")
    .addOption(new Option('--format <format>', 'file format (default: pcapng for .pcapng/.ntar, else pcap)').argParser(choice('--format', ['pcap', 'pcapng'] as const)))
    .option('-U, --packet-buffered', 'flush the file after every frame (default: every second and at exit)')
    .addOption(new Option('-c, --count <n>', 'stop after n frames').argParser(intArg('--count', 1, Number.MAX_SAFE_INTEGER)))
    .addOption(new Option('--duration <s>', 'stop after s seconds').argParser(numberArg('--duration', 0.001, 1e9)))
    .option('-q, --quiet', 'no per-frame lines (the file, the table and the summary still)')
    .option('--stats', 'per-group statistics at the end, as mcast replay --stats')
    .option('--table', 'the live membership table (RFC 3376 router view): redrawn on a terminal, snapshots otherwise')
    .option('--events', 'membership changes as they happen (join, leave, sources, expiry, querier)')
    .addOption(new Option('--interval <s>', 'seconds between table redraws or snapshots (default 1 on a terminal, else 10; 0: at exit only)').argParser(numberArg('--interval', 0, 86400)))
    .addOption(new Option('-s, --snaplen <bytes>', `bytes kept per frame (default ${MAX_SNAPLEN})`).argParser(intArg('--snaplen', 1, MAX_SNAPLEN)))
    .addOption(new Option('-B, --buffer-size <KiB>', 'kernel capture buffer in KiB, as tcpdump -B (default 2048)').argParser(intArg('--buffer-size', 1, 4194304)))
    .option('-p, --no-promisc', 'do not put the interface into promiscuous mode')
    .addOption(new Option('-Q, --direction <dir>', 'frames received, sent or both').choices(['in', 'out', 'inout']).default('inout'))
    .option('--immediate', 'deliver each frame at once (default when printing lines to a terminal)')
    .option('--no-immediate', 'let the kernel batch frames (up to 50 ms): a fuller ring before drops')
    .addOption(new Option('--time-stamp-precision <p>', 'timestamp precision').choices(['nano', 'micro']).default('nano'))
    .addOption(new Option('--robustness <n>', 'Robustness Variable when no v3 querier announces one (RFC 3376 8.1)').argParser(intArg('--robustness', 1, 255)))
    .addOption(new Option('--query-interval <s>', 'Query Interval when no v3 querier announces one (8.2)').argParser(numberArg('--query-interval', 1, 31744)))
    .addOption(new Option('--response-interval <s>', 'Query Response Interval (8.3)').argParser(numberArg('--response-interval', 0.1, 3174.4)))
    .addOption(new Option('--last-member-interval <s>', 'Last Member Query Interval (8.8)').argParser(numberArg('--last-member-interval', 0.1, 3174.4)))
    .addHelpText(
      'after',
      '\nLines and JSON lines are those of mcast replay (same decoder and formatter), with the live interface as\n' +
        'iface; timestamps are the kernel\'s, at nanosecond precision. -w records the same frames with those\n' +
        'timestamps and the wire lengths (readable by mcast replay, tcpdump and tshark). Ctrl-C (SIGINT) or SIGTERM\n' +
        'stops cleanly: the file is flushed, then a summary goes to stderr (frames, IGMP by type, groups, kernel drops).\n' +
        'Needs root or CAP_NET_RAW.\n\n' +
        'Examples:\n' +
        '  mcast sniff -i eth0                            IGMP as text lines\n' +
        '  mcast sniff -i eth0 --all --json -w x.pcapng   IGMP and multicast UDP as JSON lines, recorded to pcapng\n' +
        '  mcast sniff -i eth0 --table                    the membership table, redrawn like top\n' +
        "  mcast sniff -i eth0 'igmp and host 10.0.0.7'   a tcpdump expression instead of the default",
    )
    .action(async (expression: string[], o: Record<string, unknown>) => {
      if (expression.length > 0 && typeof o.filter === 'string') {
        throw new UsageError('give the filter expression once: as --filter or as trailing words, not both');
      }
      const timers: TimerOptions = {};
      if (o.robustness !== undefined) timers.robustness = o.robustness as number;
      if (o.queryInterval !== undefined) timers.queryInterval = o.queryInterval as number;
      if (o.responseInterval !== undefined) timers.queryResponseInterval = o.responseInterval as number;
      if (o.lastMemberInterval !== undefined) timers.lastMemberQueryInterval = o.lastMemberInterval as number;
      const opts: SniffOptions = {
        ...SNIFF_DEFAULTS,
        iface: o.interface as string,
        filter: expression.length > 0 ? expression.join(' ') : ((o.filter as string | undefined) ?? null),
        all: o.all === true,
        json: o.json === true,
        quiet: o.quiet === true,
        stats: o.stats === true,
        table: o.table === true,
        events: o.events === true,
        interval: (o.interval as number | undefined) ?? null,
        count: (o.count as number | undefined) ?? null,
        duration: (o.duration as number | undefined) ?? null,
        write: (o.write as string | undefined) ?? null,
        format: (o.format as 'pcap' | 'pcapng' | undefined) ?? null,
        packetBuffered: o.packetBuffered === true,
        snaplen: (o.snaplen as number | undefined) ?? null,
        bufferSize: o.bufferSize !== undefined ? (o.bufferSize as number) * 1024 : null,
        promisc: o.promisc !== false,
        immediate: typeof o.immediate === 'boolean' ? o.immediate : null,
        direction: o.direction as SniffOptions['direction'],
        precision: o.timeStampPrecision as SniffOptions['precision'],
        timers,
      };
      const out = new LineSink(1);
      await withStopSignals((signal) =>
        runSniff(
          opts,
          { out, err: (s) => void process.stderr.write(`${s}\n`), tty: process.stdout.isTTY === true, now: () => Date.now() / 1000 },
          signal,
        ),
      );
    });
}
