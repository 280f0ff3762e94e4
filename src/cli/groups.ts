/** `mcast groups`: this host's memberships per interface, from /proc/net/igmp and /proc/net/mcfilter. */
import { Command } from 'commander';
import { runGroups, stdio } from '../host/run.js';

export function registerGroups(program: Command): void {
  program
    .command('groups')
    .description("this host's multicast memberships per interface: filter mode, sources, IGMP version")
    .option('-i, --interface <iface>', 'only this interface (name or address)')
    .option('--json', 'one JSON array of interfaces with their groups')
    .action((o: Record<string, unknown>) => {
      runGroups({ iface: (o.interface as string | undefined) ?? null, json: o.json === true }, stdio);
    });
}
