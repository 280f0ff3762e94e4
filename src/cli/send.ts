/**
 * `mcast send GROUP:PORT`: send to a group from the chosen interface (src/host/run.ts). By default each datagram
 * carries mcastkit's probe header, so `mcast listen` can count loss, duplicates, reordering and delay per sender.
 * SIGINT/SIGTERM stop sending, print the summary and end with status 0.
 */
import { Command } from 'commander';
import { hooksFromEnv, runSend, stdio } from '../host/run.js';
import { withStopSignals } from '../host/cli-support.js';

export function registerSend(program: Command): void {
  program
    .command('send')
    .description('send UDP datagrams to a multicast group from a chosen interface, with a probe header for mcast listen')
    .argument('<group:port>', 'the group and port to send to')
    .option('-i, --interface <iface>', 'leave by this interface (name or address; sets IP_MULTICAST_IF)')
    .option('--ttl <n>', 'multicast TTL (0-255; 1 stays on the link)', '1')
    .option('--loop', 'deliver to listeners on this host too (IP_MULTICAST_LOOP, the default)')
    .option('--no-loop', 'do not deliver to listeners on this host')
    .option('--rate <pps>', 'datagrams per second (0: as fast as possible)', '10')
    .option('--size <bytes>', 'datagram payload size, probe header included (default 64)')
    .option('-c, --count <n>', 'send N datagrams, then stop')
    .option('--duration <s>', 'stop after S seconds')
    .option('--payload <text>', 'send this text (without a probe header unless --header)')
    .option('--hex <hex>', 'send these bytes (without a probe header unless --header)')
    .option('--header', 'put the probe header in front of --payload/--hex')
    .option('--no-header', 'no probe header: zero bytes of --size, or the payload alone')
    .option('--json', 'NDJSON on stdout: sending, progress and summary objects')
    .option('--interval <s>', 'progress every S seconds (0: off)', '1')
    .addHelpText(
      'after',
      '\nWithout -i the kernel sends by the first route matching the group (often the default route) and fails with\n' +
        '"network unreachable" when there is none. The probe header: sequence number, send time, sender id (24 bytes).',
    )
    .action(async (target: string, o: Record<string, unknown>) => {
      const hooks = hooksFromEnv(process.env);
      await withStopSignals((signal) =>
        runSend(
          {
            target,
            iface: (o.interface as string | undefined) ?? null,
            ttl: o.ttl as string,
            loop: o.loop !== false,
            rate: o.rate as string,
            size: (o.size as string | undefined) ?? null,
            count: (o.count as string | undefined) ?? null,
            duration: (o.duration as string | undefined) ?? null,
            payload: (o.payload as string | undefined) ?? null,
            hex: (o.hex as string | undefined) ?? null,
            header: o.header as boolean | undefined,
            json: o.json === true,
            interval: o.interval as string,
          },
          stdio,
          signal,
          hooks,
        ),
      );
    });
}
