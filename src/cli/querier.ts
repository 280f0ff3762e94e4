/** `mcast querier -i IFACE`: thin wrapper over src/querier (the live driver) and its printer. */
import { Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { parseIpv4 } from '../wire/addr.js';
import { LineSink } from '../format/sink.js';
import { withStopSignals } from '../host/cli-support.js';
import { runQuerier } from '../querier/run.js';
import { QuerierPrinter } from '../querier/format.js';
import type { IgmpVersion } from '../membership/types.js';
import { intArg, numberArg } from './args.js';

interface Opts {
  interface: string;
  version: IgmpVersion;
  interval?: number;
  robustness?: number;
  response?: number;
  lastMemberInterval?: number;
  address?: string;
  json?: boolean;
  table?: boolean;
  quiet?: boolean;
}

function addressArg(text: string): string {
  const v = parseIpv4(text);
  if (v === null) throw new UsageError(`--address: not an IPv4 address: ${JSON.stringify(text)}`);
  // 224.0.0.0/3 is no host's (multicast, reserved, broadcast); 0.0.0.0 would win every election (section 6.6.2).
  if (v === 0 || v >>> 29 === 7) throw new UsageError(`--address: ${text} cannot be a querier's address (it must be a unicast host address)`);
  return text;
}

const HELP = `
An IGMP querier (RFC 3376 section 6; RFC 2236 with --version 2, RFC 1112 with --version 1) for a lab with no
multicast router: startup then periodic general queries, group-specific and group-and-source-specific queries on
leaves, querier election (a lower address querying on the link silences it until the Other Querier Present
Interval, RV x QI + QRI / 2, runs out). It prints the queries it sends and the membership events it learns; the
table at the end (Ctrl-C or SIGTERM), and on every change with --table. Needs root or CAP_NET_RAW.
Event lines: time, #N (the Nth IGMP frame received) or "timer", the interface, what happened.

Examples:
  mcast querier -i eth0                              IGMPv3, RFC 3376 timers (QI 125 s, QRI 10 s, RV 2)
  mcast querier -i br0 --interval 10 --response 2 --table
  mcast querier -i veth0 --version 2 --address 10.0.0.1 --json`;

export function registerQuerier(program: Command): void {
  program
    .command('querier')
    .description('run an IGMP querier on an interface: general and group queries, election, the membership it learns')
    .requiredOption('-i, --interface <iface>', 'the interface to query on')
    .addOption(new Option('--version <n>', 'IGMP version 1, 2 or 3').argParser(intArg('--version', 1, 3)).default(3))
    // Whole seconds: QQIC carries seconds (4.1.7), and a fraction would make the announced interval a lie.
    .addOption(new Option('--interval <s>', 'Query Interval in whole seconds (RFC 3376 8.2; default 125)').argParser(intArg('--interval', 1, 31744)))
    .addOption(new Option('--robustness <n>', 'Robustness Variable (8.1; default 2)').argParser(intArg('--robustness', 1, 255)))
    .addOption(new Option('--response <s>', 'Query Response Interval in seconds (8.3; default 10)').argParser(numberArg('--response', 0.1, 3174.4)))
    .addOption(new Option('--last-member-interval <s>', 'Last Member Query Interval in seconds (8.8; default 1)').argParser(numberArg('--last-member-interval', 0.1, 3174.4)))
    .addOption(new Option('--address <ip>', "source of the queries (default: the interface's IPv4 address)").argParser(addressArg))
    .option('--json', 'JSON lines: querier-start, query-sent, the events, table, querier-stop')
    .option('--table', 'print the membership table whenever it changes')
    .option('-q, --quiet', 'no line per query or event (the table still prints at the end, and with --table)')
    .addHelpText('after', HELP)
    .action(async (o: Opts) => {
      const printer = new QuerierPrinter({ json: o.json === true, table: o.table === true, quiet: o.quiet === true }, new LineSink(1), new LineSink(2));
      await withStopSignals((signal) =>
        runQuerier(
          {
            iface: o.interface,
            version: o.version,
            ...(o.address !== undefined ? { address: o.address } : {}),
            ...(o.interval !== undefined ? { queryInterval: o.interval } : {}),
            ...(o.robustness !== undefined ? { robustness: o.robustness } : {}),
            ...(o.response !== undefined ? { queryResponseInterval: o.response } : {}),
            ...(o.lastMemberInterval !== undefined ? { lastMemberQueryInterval: o.lastMemberInterval } : {}),
          },
          printer,
          signal,
        ),
      );
    });
}
