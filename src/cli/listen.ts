/**
 * `mcast listen GROUP[:PORT]...`: join groups on the chosen interfaces and print what arrives (src/host/run.ts).
 * SIGINT/SIGTERM leave the groups, print the summary and end with status 0.
 */
import { Command, Option } from 'commander';
import { runListen, stdio } from '../host/run.js';
import { collect, withStopSignals } from '../host/cli-support.js';

export function registerListen(program: Command): void {
  program
    .command('listen')
    .description('join multicast groups on the chosen interfaces and print each datagram, with per-sender statistics')
    .argument('<group...>', 'GROUP[:PORT], one or more; each gets its own socket bound to the group')
    .option('-i, --interface <iface>', 'join on this interface (name or address); repeat for several', collect, [])
    .option('--all-interfaces', 'join on every up, multicast-capable IPv4 interface')
    .option('-s, --source <addr>', 'source-specific join (IGMPv3 INCLUDE) of this source; repeat for several', collect, [])
    .option('-p, --port <port>', 'port for groups given without one')
    .option('--json', 'NDJSON on stdout: listening, datagram, stats and summary objects')
    .option('-q, --quiet', 'no line per datagram: live statistics and the summary only')
    .option('-c, --count <n>', 'stop after N datagrams')
    .option('--duration <s>', 'stop after S seconds')
    .option('--interval <s>', 'live statistics every S seconds (0: off)', '1')
    .option('--no-reuse', 'bind without SO_REUSEADDR (fail if another socket holds the port)')
    .addOption(new Option('--rcvbuf <bytes>', 'socket receive buffer to ask for (capped by net.core.rmem_max)').hideHelp())
    .addHelpText(
      'after',
      '\nWithout -i, each group is joined on the interface of its route (what the kernel would pick); a group on\n' +
        'another link is not received unless joined there too (-i several times, or --all-interfaces).\n' +
        'Text output: datagrams on stdout; banner, live statistics and the summary on stderr.',
    )
    .action(async (groups: string[], o: Record<string, unknown>) => {
      await withStopSignals((signal) =>
        runListen(
          {
            groups,
            port: (o.port as string | undefined) ?? null,
            interfaces: o.interface as string[],
            allInterfaces: o.allInterfaces === true,
            sources: o.source as string[],
            json: o.json === true,
            quiet: o.quiet === true,
            count: (o.count as string | undefined) ?? null,
            duration: (o.duration as string | undefined) ?? null,
            interval: o.interval as string,
            reuse: o.reuse !== false,
            rcvbuf: (o.rcvbuf as string | undefined) ?? null,
          },
          stdio,
          signal,
        ),
      );
    });
}
