/**
 * `mcast doctor`: checks the usual reasons multicast does not arrive and says what to change (src/host/doctor.ts).
 * Exit status 1 when a check fails, 0 otherwise.
 */
import { Command } from 'commander';
import { runDoctor, stdio } from '../host/run.js';
import { collect } from '../host/cli-support.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check why multicast might not arrive: link, address, flags, routes, rp_filter, IGMP version, limits, firewall, querier')
    .option('-i, --interface <iface>', 'check this interface (name or address); default: every non-loopback one')
    .option('-s, --source <addr>', 'a source you expect traffic from (rp_filter and IGMPv3 checks); repeatable', collect, [])
    .option('--group <group>', 'the group the route check looks up', '239.1.1.1')
    .option('--listen <s>', 'capture IGMP for S seconds per interface to find a querier (needs root or CAP_NET_RAW)')
    .option('--json', 'one JSON object: findings and counts')
    .action(async (o: Record<string, unknown>) => {
      const r = await runDoctor(
        {
          iface: (o.interface as string | undefined) ?? null,
          sources: o.source as string[],
          group: (o.group as string | undefined) ?? null,
          listen: (o.listen as string | undefined) ?? null,
          json: o.json === true,
        },
        stdio,
      );
      if (r.failed) process.exitCode = 1;
    });
}
