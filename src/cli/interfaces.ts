/** `mcast interfaces [--json] [--all]`: where live capture can listen, with addresses, state, MTU and multicast. */
import type { Command } from 'commander';
import { listInterfaces, type CaptureInterface } from '../capture/index.js';

export function registerInterfaces(program: Command): Command {
  return program
    .command('interfaces')
    .description('list the interfaces live capture can use: IPv4 addresses, up/running, loopback, MTU, multicast')
    .option('--json', 'print a JSON array')
    .option('-a, --all', 'include pseudo-devices that carry no IP (nflog, nfqueue, dbus, ...)')
    .action((opts: { json?: boolean; all?: boolean }) => {
      const list = listInterfaces({ all: opts.all === true });
      process.stdout.write(opts.json === true ? `${JSON.stringify(list, null, 2)}\n` : formatInterfaces(list));
    });
}

/** One line per interface, columns aligned: name, state, flags, MTU, IPv4 addresses. */
export function formatInterfaces(list: CaptureInterface[]): string {
  const rows: string[][] = [['NAME', 'STATE', 'FLAGS', 'MTU', 'IPV4']];
  for (const i of list) {
    const state = i.up ? (i.running ? 'up,running' : 'up,no-carrier') : 'down';
    const flags: string[] = [];
    if (i.loopback) flags.push('loopback');
    if (i.multicast === true) flags.push('multicast');
    if (i.pseudo) flags.push('pseudo');
    const addrs = i.ipv4.map((a) => (a.prefixLength === null ? a.address : `${a.address}/${a.prefixLength}`));
    rows.push([i.name, state, flags.join(',') || '-', i.mtu === null ? '-' : String(i.mtu), addrs.join(' ') || '-']);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') + '\n';
}
