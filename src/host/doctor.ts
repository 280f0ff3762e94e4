/**
 * `mcast doctor`: the usual reasons multicast does not arrive, checked on this host, each with what to change.
 * Every check reads the kernel's own state (/sys, /proc/net, /proc/sys, the firewall dump tools, a short capture)
 * through a DoctorEnv, so the decisions can also be tested on recorded states.
 *
 *   link            interface down, or up without carrier
 *   ipv4            no IPv4 address (joins and IP_MULTICAST_IF name an interface by one)
 *   multicast-flag  IFF_MULTICAST off: the kernel refuses to send or join there
 *   route           no route covers the group (senders get ENETUNREACH, listeners ENODEV unless they name an
 *                   interface), or it leaves by another interface than the one intended
 *   rp_filter       reverse-path filtering drops multicast whose source is not routed back via the interface
 *                   (strict, 1) or not routed at all (loose, 2); effective value is max(all, interface)
 *   igmp-version    force_igmp_version 1 or 2 (or an older querier heard): no source-specific joins on the wire
 *                   (RFC 3376 section 7.2.1), and with v1 no leaves
 *   limits          igmp_max_memberships (per socket) and igmp_max_msf (sources per group per socket)
 *   firewall        input rules or policies that drop IGMP or multicast UDP, when nft or iptables-save can read them
 *   querier         evidence of an IGMP querier: an older one leaves a trace in /proc/net/igmp, a v3 one only on
 *                   the wire (--listen S captures for S seconds)
 *   forwarding      more than one multicast interface: Linux does not forward multicast between them by itself
 */
import { execFileSync } from 'node:child_process';
import { SystemError } from '../errors.js';
import { ipv4ToString, parseIpv4 } from '../wire/addr.js';
import { interfaceOfAddress, isMulticastCapable, listInterfaces, type HostInterface } from './iface.js';
import {
  lookupRoute,
  readIpv4Sysctl,
  readProcNetIgmp,
  readProcNetRoute,
  type IgmpDevice,
  type RouteEntry,
} from './procnet.js';
import type { IgmpHeard } from './sniff.js';

export type Severity = 'ok' | 'info' | 'warn' | 'fail';

export type CheckName =
  | 'link'
  | 'ipv4'
  | 'multicast-flag'
  | 'route'
  | 'rp_filter'
  | 'igmp-version'
  | 'limits'
  | 'firewall'
  | 'querier'
  | 'forwarding';

export interface Finding {
  check: CheckName;
  severity: Severity;
  /** The interface the finding is about, or null for host-wide ones. */
  iface: string | null;
  message: string;
  /** What to change (a command when there is one), or null. */
  fix: string | null;
}

export interface DoctorOptions {
  /** -i: one interface (name or address); null: every non-loopback interface. */
  iface: string | null;
  /** Sources the user wants to receive from (source-specific), for the rp_filter and version checks. */
  sources: string[];
  /** The group the route check looks up. */
  group: string;
  /** Seconds to listen for an IGMP query per interface; 0: do not listen. */
  listenSeconds: number;
}

export interface FirewallDump {
  tool: 'nft' | 'iptables-save';
  text: string;
}

/** Where the doctor reads the host; systemEnv() is the real one. */
export interface DoctorEnv {
  interfaces(): HostInterface[];
  routes(): RouteEntry[] | null;
  /** An IPv4 sysctl relative to /proc/sys/net/ipv4 ("conf/all/rp_filter"), null when absent. */
  sysctl(name: string): number | null;
  igmp(): IgmpDevice[] | null;
  /** The firewall rules when a dump tool exists and may read them; null otherwise. */
  firewall(): FirewallDump | null;
  sniffQueries(iface: string, seconds: number): Promise<IgmpHeard[]>;
}

function tryRun(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch {
    return null;
  }
}

export function systemEnv(): DoctorEnv {
  return {
    interfaces: () => listInterfaces(),
    routes: () => readProcNetRoute(),
    sysctl: (name) => readIpv4Sysctl(name),
    igmp: () => readProcNetIgmp(),
    firewall: () => {
      const nft = tryRun('nft', ['list', 'ruleset']);
      if (nft !== null) return { tool: 'nft', text: nft };
      const ipt = tryRun('iptables-save', ['-t', 'filter']);
      if (ipt !== null) return { tool: 'iptables-save', text: ipt };
      return null;
    },
    sniffQueries: async (iface, seconds) => {
      const { sniffIgmp } = await import('./sniff.js');
      return sniffIgmp(iface, seconds, (m) => m.igmp.type === 'query');
    },
  };
}

/** Run every check; the findings come in check order, per interface. */
export async function diagnose(opts: DoctorOptions, env: DoctorEnv = systemEnv()): Promise<Finding[]> {
  const ifaces = env.interfaces();
  const targets = pickTargets(opts.iface, ifaces);
  const explicit = opts.iface !== null;
  const routes = env.routes();
  const igmp = env.igmp();
  const out: Finding[] = [];
  for (const i of targets) {
    out.push(...checkLink(i, explicit));
    out.push(checkIpv4(i));
    out.push(checkMulticastFlag(i));
  }
  out.push(...checkRoute(opts.group, targets, explicit, routes));
  for (const i of targets) out.push(...checkRpFilter(i, opts.sources, routes, env));
  for (const i of targets) out.push(checkIgmpVersion(i, opts.sources, igmp, env));
  out.push(...checkLimits(opts.sources, ifaces, env));
  out.push(...checkFirewall(env.firewall()));
  for (const i of targets) out.push(await checkQuerier(i, opts.listenSeconds, igmp, env));
  out.push(...checkForwarding(ifaces, env));
  return out;
}

function pickTargets(spec: string | null, ifaces: HostInterface[]): HostInterface[] {
  if (spec === null) return ifaces.filter((i) => !i.loopback);
  const found = parseIpv4(spec) !== null ? interfaceOfAddress(spec, ifaces) : (ifaces.find((i) => i.name === spec) ?? null);
  if (found !== null) return [found];
  if (parseIpv4(spec) !== null) throw new SystemError('ERR_ADDRESS_NOT_LOCAL', `${spec} is not an address of this host`);
  const have = ifaces.map((i) => i.name).join(', ') || 'none';
  throw new SystemError('ERR_NO_SUCH_INTERFACE', `no interface named ${JSON.stringify(spec)} (have: ${have})`);
}

function checkLink(i: HostInterface, explicit: boolean): Finding[] {
  if (!i.up) {
    return [{
      check: 'link',
      severity: explicit ? 'fail' : 'warn',
      iface: i.name,
      message: `${i.name} is administratively down: nothing is sent or received there`,
      fix: `ip link set ${i.name} up   (taking it down deleted its routes: add back any you had, e.g. 224.0.0.0/4)`,
    }];
  }
  if (i.operstate === 'down' || i.operstate === 'lowerlayerdown' || i.operstate === 'notpresent') {
    return [{
      check: 'link',
      severity: explicit ? 'fail' : 'warn',
      iface: i.name,
      message: `${i.name} is up but has no carrier (operstate ${i.operstate})`,
      fix: `check the cable or the peer (a veth's peer must be up too)`,
    }];
  }
  return [{ check: 'link', severity: 'ok', iface: i.name, message: `${i.name} is up (operstate ${i.operstate})`, fix: null }];
}

function checkIpv4(i: HostInterface): Finding {
  if (i.ipv4.length === 0) {
    return {
      check: 'ipv4',
      severity: 'fail',
      iface: i.name,
      message: `${i.name} has no IPv4 address: joins and IP_MULTICAST_IF name an interface by its address`,
      fix: `ip addr add ADDRESS/PREFIX dev ${i.name}`,
    };
  }
  const list = i.ipv4.map((a) => `${a.address}/${a.prefixLength}`).join(', ');
  return { check: 'ipv4', severity: 'ok', iface: i.name, message: `${i.name} has IPv4 ${list}`, fix: null };
}

function checkMulticastFlag(i: HostInterface): Finding {
  if (!i.multicast) {
    return {
      check: 'multicast-flag',
      severity: 'fail',
      iface: i.name,
      message: `${i.name} lacks the MULTICAST flag: the kernel will not join or send multicast there`,
      fix: `ip link set ${i.name} multicast on`,
    };
  }
  return { check: 'multicast-flag', severity: 'ok', iface: i.name, message: `${i.name} has the MULTICAST flag`, fix: null };
}

function routeText(r: RouteEntry): string {
  const dest = r.mask === 0 ? 'default' : `${ipv4ToString(r.destination)}/${countBits(r.mask)}`;
  return `${dest} dev ${r.iface}${r.gateway !== 0 ? ` via ${ipv4ToString(r.gateway)}` : ''}`;
}

function countBits(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m !== 0; m = (m << 1) >>> 0) n++;
  return n;
}

function checkRoute(group: string, targets: HostInterface[], explicit: boolean, routes: RouteEntry[] | null): Finding[] {
  if (routes === null) {
    return [{ check: 'route', severity: 'info', iface: null, message: 'routes not checked (/proc/net/route is unreadable)', fix: null }];
  }
  const g = parseIpv4(group) ?? 0;
  const r = lookupRoute(routes, g);
  const target = explicit ? targets[0]! : null;
  if (r === null) {
    const dev = target?.name ?? 'IFACE';
    return [{
      check: 'route',
      severity: 'fail',
      iface: target?.name ?? null,
      message: `no route covers ${group} (224.0.0.0/4): a sender without -i fails with "network unreachable" and a listener without -i with "no such device"`,
      fix: `ip route add 224.0.0.0/4 dev ${dev}   (or always give -i ${dev})`,
    }];
  }
  if (target !== null && r.iface !== target.name) {
    return [{
      check: 'route',
      severity: 'warn',
      iface: target.name,
      message: `multicast to ${group} without -i leaves via ${r.iface} (route ${routeText(r)}), not ${target.name}`,
      fix: `give -i ${target.name} to mcast send/listen, or: ip route add 224.0.0.0/4 dev ${target.name}`,
    }];
  }
  return [{
    check: 'route',
    severity: 'ok',
    iface: target?.name ?? r.iface,
    message: `without -i, multicast to ${group} uses ${r.iface} (route ${routeText(r)})`,
    fix: null,
  }];
}

/** The effective value is max(all, interface): loose needs only the interface at 2, off needs both at 0. */
function rpFix(i: string, all: number, own: number, to: 0 | 2): string {
  if (to === 2) return `sysctl -w net.ipv4.conf.${i}.rp_filter=2`;
  const parts: string[] = [];
  if (all !== 0) parts.push(`net.ipv4.conf.all.rp_filter=0`);
  if (own !== 0) parts.push(`net.ipv4.conf.${i}.rp_filter=0`);
  return `sysctl -w ${parts.join(' ')}`;
}

function checkRpFilter(i: HostInterface, sources: string[], routes: RouteEntry[] | null, env: DoctorEnv): Finding[] {
  const all = env.sysctl('conf/all/rp_filter') ?? 0;
  const own = env.sysctl(`conf/${i.name}/rp_filter`) ?? 0;
  const eff = Math.max(all, own);
  const setting = `rp_filter=${eff} (all=${all}, ${i.name}=${own})`;
  if (eff === 0) return [{ check: 'rp_filter', severity: 'ok', iface: i.name, message: `${i.name}: reverse-path filter off (${setting})`, fix: null }];
  if (sources.length > 0 && routes !== null) {
    const out: Finding[] = [];
    for (const s of sources) {
      const back = lookupRoute(routes, parseIpv4(s) ?? 0);
      if (back === null) {
        out.push({
          check: 'rp_filter',
          severity: 'fail',
          iface: i.name,
          message: `${i.name}: ${setting} drops multicast from ${s}: there is no route back to ${s}`,
          fix: `ip route add ${s}/32 dev ${i.name}   (or: ${rpFix(i.name, all, own, 0)})`,
        });
      } else if (eff === 1 && back.iface !== i.name) {
        out.push({
          check: 'rp_filter',
          severity: 'fail',
          iface: i.name,
          message: `${i.name}: strict ${setting} drops multicast from ${s}: the route back to ${s} goes via ${back.iface}`,
          fix: `${rpFix(i.name, all, own, 2)}   (loose), or route ${s} via ${i.name}`,
        });
      } else {
        out.push({ check: 'rp_filter', severity: 'ok', iface: i.name, message: `${i.name}: ${setting} passes ${s} (route back via ${back.iface})`, fix: null });
      }
    }
    return out;
  }
  if (eff === 1) {
    return [{
      check: 'rp_filter',
      severity: 'warn',
      iface: i.name,
      message: `${i.name}: strict reverse-path filter (${setting}) drops multicast whose source is not routed back via ${i.name}`,
      fix: `${rpFix(i.name, all, own, 2)}   (loose); check a source with --source S`,
    }];
  }
  return [{
    check: 'rp_filter',
    severity: 'info',
    iface: i.name,
    message: `${i.name}: loose reverse-path filter (${setting}): multicast from sources with no route at all is dropped`,
    fix: null,
  }];
}

function checkIgmpVersion(i: HostInterface, sources: string[], igmp: IgmpDevice[] | null, env: DoctorEnv): Finding {
  const allF = env.sysctl('conf/all/force_igmp_version') ?? 0;
  const ownF = env.sysctl(`conf/${i.name}/force_igmp_version`) ?? 0;
  const forced = allF === 1 || ownF === 1 ? 1 : allF === 2 || ownF === 2 ? 2 : 0;
  const dev = igmp?.find((d) => d.name === i.name) ?? null;
  const ssm = sources.length > 0;
  if (forced !== 0) {
    const knobs: string[] = [];
    if (allF !== 0) knobs.push(`net.ipv4.conf.all.force_igmp_version=0`);
    if (ownF !== 0) knobs.push(`net.ipv4.conf.${i.name}.force_igmp_version=0`);
    const what = forced === 1 ? 'no leave messages (routers keep forwarding until the membership times out) and no source-specific joins' : 'no source-specific joins on the wire (they are reported as any-source joins)';
    return {
      check: 'igmp-version',
      severity: ssm || forced === 1 ? 'fail' : 'warn',
      iface: i.name,
      message: `${i.name}: IGMPv${forced} is forced (force_igmp_version all=${allF}, ${i.name}=${ownF}): ${what}`,
      fix: `sysctl -w ${knobs.join(' ')}`,
    };
  }
  if (dev !== null && dev.version !== 3) {
    return {
      check: 'igmp-version',
      severity: ssm ? 'fail' : 'info',
      iface: i.name,
      message: `${i.name}: an IGMPv${dev.version} querier was heard, so the kernel answers in v${dev.version} (RFC 3376 section 7.2.1)${ssm ? ': source-specific joins reach the network as any-source joins' : ''}`,
      fix: ssm ? 'upgrade the querier (router or switch) to IGMPv3' : null,
    };
  }
  return {
    check: 'igmp-version',
    severity: 'ok',
    iface: i.name,
    message: `${i.name}: IGMPv3${dev === null ? '' : ' (per /proc/net/igmp)'}, source-specific joins possible`,
    fix: null,
  };
}

function checkLimits(sources: string[], ifaces: HostInterface[], env: DoctorEnv): Finding[] {
  const maxM = env.sysctl('igmp_max_memberships');
  const maxS = env.sysctl('igmp_max_msf');
  const out: Finding[] = [];
  const capable = ifaces.filter(isMulticastCapable).length;
  if (maxM !== null) {
    if (maxM === 0 || maxM < capable) {
      out.push({
        check: 'limits',
        severity: maxM === 0 ? 'fail' : 'warn',
        iface: null,
        message: `net.ipv4.igmp_max_memberships = ${maxM} per socket: joining one group on each of the ${capable} multicast interfaces (--all-interfaces) fails`,
        fix: `sysctl -w net.ipv4.igmp_max_memberships=${Math.max(20, capable * 2)}`,
      });
    } else {
      out.push({ check: 'limits', severity: 'ok', iface: null, message: `net.ipv4.igmp_max_memberships = ${maxM} per socket (mcast listen uses one socket per group: one membership per interface)`, fix: null });
    }
  }
  if (maxS !== null) {
    if (sources.length > maxS || maxS === 0) {
      out.push({
        check: 'limits',
        severity: 'fail',
        iface: null,
        message: `net.ipv4.igmp_max_msf = ${maxS} sources per group and socket, ${sources.length} asked for`,
        fix: `sysctl -w net.ipv4.igmp_max_msf=${Math.max(10, sources.length)}`,
      });
    } else {
      out.push({ check: 'limits', severity: 'ok', iface: null, message: `net.ipv4.igmp_max_msf = ${maxS} sources per group and socket`, fix: null });
    }
  }
  return out;
}

const MCAST_WORDS = /\bigmp\b|\b224\.0\.0\.0\/4\b|pkttype multicast|--pkt-type multicast|dst-type MULTICAST|daddr type multicast|-p 2\b/i;

/** Read a firewall dump: policies that drop on input, rules that drop or accept IGMP and multicast. */
export function analyzeFirewall(dump: FirewallDump | null): Finding[] {
  if (dump === null) {
    return [{ check: 'firewall', severity: 'info', iface: null, message: 'firewall not checked: neither nft nor iptables-save could read the rules', fix: null }];
  }
  let inputDrop = false;
  const drops: string[] = [];
  let accepts = 0;
  if (dump.tool === 'iptables-save') {
    for (const raw of dump.text.split('\n')) {
      const line = raw.trim();
      if (/^:INPUT (DROP|REJECT)\b/.test(line)) inputDrop = true;
      if (!line.startsWith('-A INPUT') || !MCAST_WORDS.test(line)) continue;
      if (/-j (DROP|REJECT)\b/.test(line)) drops.push(line);
      else if (/-j ACCEPT\b/.test(line)) accepts++;
    }
  } else {
    let inInput = false;
    for (const raw of dump.text.split('\n')) {
      const line = raw.trim();
      if (/^chain\s/.test(line)) inInput = false;
      if (/hook input\b/.test(line)) {
        inInput = true;
        if (/policy drop/.test(line)) inputDrop = true;
      }
      if (!inInput || !MCAST_WORDS.test(line)) continue;
      if (/\b(drop|reject)\b/.test(line)) drops.push(line);
      else if (/\baccept\b/.test(line)) accepts++;
    }
  }
  const out: Finding[] = [];
  for (const d of drops) {
    out.push({ check: 'firewall', severity: 'warn', iface: null, message: `${dump.tool}: an input rule drops IGMP or multicast: ${d}`, fix: 'remove the rule or accept the groups you need before it' });
  }
  if (inputDrop && accepts === 0) {
    out.push({
      check: 'firewall',
      severity: 'warn',
      iface: null,
      message: `${dump.tool}: the input policy drops and no rule accepts IGMP or multicast: multicast datagrams and IGMP queries are dropped`,
      fix: dump.tool === 'nft' ? 'nft add rule inet filter input meta pkttype multicast accept' : 'iptables -I INPUT -d 224.0.0.0/4 -j ACCEPT',
    });
  }
  if (out.length === 0) out.push({ check: 'firewall', severity: 'ok', iface: null, message: `${dump.tool}: no input rule drops IGMP or multicast`, fix: null });
  return out;
}

function checkFirewall(dump: FirewallDump | null): Finding[] {
  return analyzeFirewall(dump);
}

async function checkQuerier(i: HostInterface, seconds: number, igmp: IgmpDevice[] | null, env: DoctorEnv): Promise<Finding> {
  const forced = effectiveForceVersionFrom(env, i.name);
  const dev = igmp?.find((d) => d.name === i.name) ?? null;
  const traced = dev !== null && dev.version !== 3 && forced === 0;
  if (seconds > 0 && i.up) {
    let heard: IgmpHeard[];
    try {
      heard = await env.sniffQueries(i.name, seconds);
    } catch (err) {
      return { check: 'querier', severity: 'info', iface: i.name, message: `${i.name}: could not listen for queries: ${(err as Error).message}`, fix: null };
    }
    const q = heard.find((m) => m.igmp.type === 'query');
    if (q !== undefined) {
      const v = q.igmp.version;
      const qi = v === 3 && q.igmp.qqi !== undefined ? `, query interval ${q.igmp.qqi} s` : '';
      return { check: 'querier', severity: 'ok', iface: i.name, message: `${i.name}: IGMPv${v} querier ${q.source} heard${qi}`, fix: null };
    }
    return {
      check: 'querier',
      severity: 'warn',
      iface: i.name,
      message: `${i.name}: no IGMP query heard in ${seconds} s: without a querier, snooping switches may stop forwarding groups when their membership times out`,
      fix: 'enable an IGMP querier on the router or switch (a Linux bridge: ip link set BRIDGE type bridge mcast_querier 1)',
    };
  }
  if (traced) {
    return { check: 'querier', severity: 'ok', iface: i.name, message: `${i.name}: an IGMPv${dev!.version} querier was heard recently (per /proc/net/igmp)`, fix: null };
  }
  return {
    check: 'querier',
    severity: 'info',
    iface: i.name,
    message: `${i.name}: querier not checked: an IGMPv3 querier leaves no trace in /proc; --listen 130 listens through one default query interval (125 s, RFC 3376 section 8.2)`,
    fix: null,
  };
}

function effectiveForceVersionFrom(env: DoctorEnv, iface: string): number {
  const a = env.sysctl('conf/all/force_igmp_version') ?? 0;
  const o = env.sysctl(`conf/${iface}/force_igmp_version`) ?? 0;
  return a === 1 || o === 1 ? 1 : a === 2 || o === 2 ? 2 : 0;
}

function checkForwarding(ifaces: HostInterface[], env: DoctorEnv): Finding[] {
  const capable = ifaces.filter(isMulticastCapable);
  if (capable.length < 2) return [];
  const mcf = env.sysctl('conf/all/mc_forwarding') ?? 0;
  const names = capable.map((i) => i.name).join(', ');
  if (mcf !== 0) {
    return [{ check: 'forwarding', severity: 'info', iface: null, message: `a multicast routing daemon is active (mc_forwarding=1): it decides what crosses ${names}`, fix: null }];
  }
  return [{
    check: 'forwarding',
    severity: 'info',
    iface: null,
    message: `Linux does not forward multicast between ${names} by itself (no multicast routing daemon): a listener must join on each interface it wants (--all-interfaces), a sender reaches only the link it sends on`,
    fix: null,
  }];
}
