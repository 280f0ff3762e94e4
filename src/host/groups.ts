/**
 * The host's memberships per interface, from /proc/net/igmp (groups, users, IGMP version), /proc/net/mcfilter
 * (per-source include/exclude counts) and the force_igmp_version sysctls.
 *
 * The filter mode is not printed by the kernel; it follows from the counts (RFC 3376 section 3.2, the interface
 * state merges the sockets' states): a group is EXCLUDE when some socket excludes a source, when no source is
 * listed at all (an any-source join is EXCLUDE{}), or when fewer include-counts than users exist (a socket
 * without include sources is an any-source one: a socket in INCLUDE mode always has at least one source, the
 * kernel leaves the group when the last goes). Otherwise INCLUDE, with the included sources. One ambiguity
 * remains: an any-source socket plus a socket including two sources also gives include-counts >= users; it is
 * shown as INCLUDE.
 */
import { readIpv4Sysctl, readProcNetIgmp, readProcNetMcfilter, type IgmpDevice, type McFilterEntry } from './procnet.js';
import { SystemError } from '../errors.js';
import { parseIpv4 } from '../wire/addr.js';
import { groupToMac, isMulticast } from '../multicast/mapping.js';

export interface GroupMembership {
  group: string;
  /** The Ethernet address the group maps to (RFC 1112 section 6.4: 01:00:5e + low 23 bits). */
  mac: string;
  users: number;
  mode: 'INCLUDE' | 'EXCLUDE';
  /** INCLUDE: the sources included; EXCLUDE: the sources excluded. */
  sources: string[];
  /** A report for the group is scheduled. */
  reportPending: boolean;
}

export interface InterfaceMemberships {
  name: string;
  index: number;
  /** The IGMP version the kernel answers in here (the V1/V2/V3 column of /proc/net/igmp). */
  igmpVersion: 1 | 2 | 3;
  /** Why: forced by sysctl, an older querier was heard (RFC 3376 section 7.2.1), or the default. */
  versionReason: 'forced' | 'querier' | 'default';
  /** The effective net.ipv4.conf.{all,IFACE}.force_igmp_version (0: not forced). */
  forceIgmpVersion: number;
  groups: GroupMembership[];
}

function macOf(group: string): string {
  const a = parseIpv4(group);
  return a !== null && isMulticast(a) ? groupToMac(a) : '-';
}

/** Combine the parsed files; `force` maps interface name to its effective force_igmp_version. */
export function combineMemberships(
  igmp: readonly IgmpDevice[],
  mcfilter: readonly McFilterEntry[],
  force: (iface: string) => number,
): InterfaceMemberships[] {
  return igmp.map((dev) => {
    const forced = force(dev.name);
    const groups = dev.groups.map((g): GroupMembership => {
      const rows = mcfilter.filter((r) => r.index === dev.index && r.group === g.group);
      const incSum = rows.reduce((n, r) => n + r.include, 0);
      const exclude = rows.some((r) => r.exclude > 0) || rows.length === 0 || incSum < g.users;
      return {
        group: g.group,
        mac: macOf(g.group),
        users: g.users,
        mode: exclude ? 'EXCLUDE' : 'INCLUDE',
        sources: exclude ? rows.filter((r) => r.exclude > 0 && r.include === 0).map((r) => r.source) : rows.filter((r) => r.include > 0).map((r) => r.source),
        reportPending: g.timerRunning,
      };
    });
    return {
      name: dev.name,
      index: dev.index,
      igmpVersion: dev.version,
      versionReason: forced === 1 || forced === 2 ? 'forced' : dev.version === 3 ? 'default' : 'querier',
      forceIgmpVersion: forced,
      groups,
    };
  });
}

/**
 * The effective force_igmp_version for an interface: the kernel tests "all" and the interface alike
 * (IGMP_V1_SEEN, IGMP_V2_SEEN in net/ipv4/igmp.c), so 1 in either forces v1, else 2 in either forces v2.
 */
export function effectiveForceVersion(iface: string, procRoot = '/proc'): number {
  const own = readIpv4Sysctl(`conf/${iface}/force_igmp_version`, procRoot) ?? 0;
  const all = readIpv4Sysctl('conf/all/force_igmp_version', procRoot) ?? 0;
  if (own === 1 || all === 1) return 1;
  if (own === 2 || all === 2) return 2;
  return 0;
}

/** Read the memberships, optionally of one interface (SystemError when /proc/net/igmp is unreadable). */
export function readMemberships(iface?: string, procRoot = '/proc'): InterfaceMemberships[] {
  const igmp = readProcNetIgmp(procRoot);
  if (igmp === null) {
    throw new SystemError('ERR_NO_PROCFS', `cannot read ${procRoot}/net/igmp (Linux only)`);
  }
  const mcf = readProcNetMcfilter(procRoot) ?? [];
  const all = combineMemberships(igmp, mcf, (name) => effectiveForceVersion(name, procRoot));
  if (iface === undefined) return all;
  return all.filter((m) => m.name === iface);
}
