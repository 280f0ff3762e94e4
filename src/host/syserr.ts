/**
 * Socket errors from the kernel turned into one-line SystemErrors that say what was refused and what to change.
 * The errno names come from Node (`err.code`); the kernel's limits are named with their sysctl and value.
 */
import { SystemError } from '../errors.js';
import { readIpv4Sysctl } from './procnet.js';

export type SocketAction =
  | { kind: 'bind'; group: string; port: number; reuse: boolean }
  | { kind: 'join'; group: string; iface: string; source: string | null; sourcesBefore: number }
  | { kind: 'connect' | 'send'; group: string; port: number; iface: string | null }
  | { kind: 'option'; what: string };

function where(a: SocketAction): string {
  switch (a.kind) {
    case 'bind':
      return `binding ${a.group}:${a.port}`;
    case 'join':
      return a.source === null ? `joining ${a.group} on ${a.iface}` : `joining ${a.group} from ${a.source} on ${a.iface}`;
    case 'connect':
    case 'send':
      return `sending to ${a.group}:${a.port}${a.iface === null ? '' : ` via ${a.iface}`}`;
    case 'option':
      return `setting ${a.what}`;
  }
}

export function socketError(err: unknown, action: SocketAction): SystemError {
  const code = (err as NodeJS.ErrnoException | null)?.code ?? 'UNKNOWN';
  const w = where(action);
  switch (code) {
    case 'EADDRINUSE':
      return new SystemError(
        'ERR_PORT_IN_USE',
        action.kind === 'bind' && !action.reuse
          ? `${w}: the port is in use (and --no-reuse asks for it alone)`
          : `${w}: the port is in use by a socket that did not set SO_REUSEADDR`,
      );
    case 'EACCES':
    case 'EPERM': {
      if (action.kind === 'bind') {
        const start = readIpv4Sysctl('ip_unprivileged_port_start') ?? 1024;
        return new SystemError(
          'ERR_PERMISSION',
          `${w}: permission denied (ports below ${start} need root or CAP_NET_BIND_SERVICE)`,
        );
      }
      return new SystemError('ERR_PERMISSION', `${w}: permission denied (${code}; a firewall rule?)`);
    }
    case 'ENOBUFS':
      if (action.kind === 'join') {
        if (action.source !== null && action.sourcesBefore > 0) {
          const msf = readIpv4Sysctl('igmp_max_msf');
          return new SystemError(
            'ERR_TOO_MANY_SOURCES',
            `${w}: the kernel's limit net.ipv4.igmp_max_msf${msf === null ? '' : ` = ${msf}`} (sources per group and socket) is reached`,
          );
        }
        const max = readIpv4Sysctl('igmp_max_memberships');
        return new SystemError(
          'ERR_TOO_MANY_MEMBERSHIPS',
          `${w}: the kernel's limit net.ipv4.igmp_max_memberships${max === null ? '' : ` = ${max}`} (memberships per socket) is reached`,
        );
      }
      return new SystemError('ERR_NO_BUFFER_SPACE', `${w}: no buffer space (ENOBUFS)`);
    case 'ENODEV':
      return new SystemError('ERR_NO_SUCH_DEVICE', `${w}: no such device (ENODEV; the interface went away or has no route)`);
    case 'ENETUNREACH':
      return new SystemError(
        'ERR_NO_ROUTE',
        `${w}: network unreachable: no route for the group; choose the interface with -i (IP_MULTICAST_IF) or add a route for 224.0.0.0/4`,
      );
    case 'EADDRNOTAVAIL':
      return new SystemError('ERR_ADDRESS_NOT_AVAILABLE', `${w}: address not available (EADDRNOTAVAIL)`);
    default: {
      const msg = (err as Error | null)?.message ?? String(err);
      return new SystemError('ERR_SOCKET', `${w}: ${msg}${msg.includes(code) ? '' : ` (${code})`}`);
    }
  }
}
