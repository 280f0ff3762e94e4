/**
 * The pure logic of an IGMP querier (RFC 3376 section 6, and RFC 2236 / RFC 1112 for `version` 2 / 1): startup
 * queries, periodic general queries, group-specific and group-and-source-specific queries driven by the membership
 * table's "Send Q(G)" / "Send Q(G,S)" actions (6.6.3), querier election against other routers (6.6.2), and a warning
 * on older-version queries (7.3.1).
 *
 * A step machine on an injected clock: the caller feeds received messages (`receive`) and the passage of time
 * (`tick(now)`, due at `nextDeadline()`); each returns the queries to send (IGMP reprs with their IP destination, for
 * the caller to frame and transmit) and the table's events. Nothing here reads a clock or touches a socket, so a
 * fake clock drives it exactly.
 *
 * Every query the engine sends is also fed to its own table, as section 6.6.1 asks ("when a router sends or receives
 * a query with a clear S flag, it must update its timers"); this also makes the table's querier tracking show the
 * engine. Queries received from the engine's own address (its own frames looped back by a capture) are ignored.
 *
 * Choices: a v1 querier sends no group-specific queries (RFC 1112 has none) and a v2 querier no group-and-source
 * ones (RFC 2236 has none); a v2 querier skips a group-specific retransmission that v3 would send with the S flag
 * set (a member has answered and v2 cannot tell other routers not to lower their timers).
 */
import { UsageError } from '../errors.js';
import { parseIpv4 } from '../wire/addr.js';
import { IgmpTypeCode, type IgmpRepr } from '../wire/igmp.js';
import { MembershipTable } from './table.js';
import { EXP_FORM_MAX, RFC3376_DEFAULTS, encodeExpForm } from './timers.js';
import type { IgmpVersion, MembershipEvent, MembershipMessage, QueryNeededEvent } from './types.js';

export interface QuerierConfig {
  /** The querier's own IPv4 address: the source of its queries and its rank in the election. */
  address: string;
  iface?: string | null;
  vlan?: number | null;
  /** Default 3. */
  version?: IgmpVersion;
  /** Robustness Variable, default 2. */
  robustness?: number;
  /** Query Interval in seconds, default 125. */
  queryInterval?: number;
  /** Query Response Interval in seconds, default 10 (v1: fixed at 10). */
  queryResponseInterval?: number;
  /** Default 1 s. */
  lastMemberQueryInterval?: number;
  /** Default: the Robustness Variable. */
  lastMemberQueryCount?: number;
  /** Default: Query Interval / 4 (section 8.6). */
  startupQueryInterval?: number;
  /** Default: the Robustness Variable (section 8.7). */
  startupQueryCount?: number;
  /** Passed to the table (lastReport text). */
  formatTime?: (seconds: number) => string;
}

export type QueryReason = 'startup' | 'general' | 'group' | 'group-source';

/** One query to transmit: `igmp` goes in an IPv4 packet from the engine's address to `dst`. */
export interface QuerySend {
  time: number;
  dst: string;
  igmp: IgmpRepr;
  reason: QueryReason;
}

export interface QuerierStep {
  sends: QuerySend[];
  events: MembershipEvent[];
}

/** Retransmission state of one group (section 6.6.3): queries left for the group and for each source. */
interface Pending {
  groupLeft: number;
  sources: Map<string, number>;
  nextAt: number;
}

const ALL_SYSTEMS = '224.0.0.1';
const EPS = 1e-6;

export class QuerierEngine {
  /** The membership the engine learns (show it with `table.snapshot(now)` after `tick(now)`). */
  readonly table: MembershipTable;
  readonly address: string;
  readonly version: IgmpVersion;
  private readonly addrNum: number;
  private readonly iface: string | null;
  private readonly vlan: number | null;
  private readonly rv: number;
  private readonly qi: number;
  private readonly qri: number;
  private readonly lmqi: number;
  private readonly sqi: number;
  private querier = true; // section 6.6.2: every router starts as the querier
  private otherUntil = -Infinity;
  private nextGeneral: number;
  private startupLeft: number;
  private clock: number;
  private readonly pending = new Map<string, Pending>();
  private readonly warned = new Set<string>();

  constructor(config: QuerierConfig, startTime: number) {
    const addrNum = parseIpv4(config.address);
    if (addrNum === null) throw configError(`not an IPv4 address: ${JSON.stringify(config.address)}`);
    const version = config.version ?? 3;
    if (version !== 1 && version !== 2 && version !== 3) {
      throw configError(`version must be 1, 2 or 3 (got ${String(version)})`);
    }
    this.address = config.address;
    this.addrNum = addrNum;
    this.version = version;
    this.iface = config.iface ?? null;
    this.vlan = config.vlan ?? null;
    this.rv = wholeNumber('robustness', config.robustness ?? RFC3376_DEFAULTS.robustness, 1, 255);
    this.qi = positive('query interval', config.queryInterval ?? RFC3376_DEFAULTS.queryInterval);
    if (version === 1 && config.queryResponseInterval !== undefined && config.queryResponseInterval !== 10) {
      throw configError('an IGMPv1 query carries no response time (hosts use 10 s)');
    }
    this.qri = positive('response time', config.queryResponseInterval ?? RFC3376_DEFAULTS.queryResponseInterval);
    this.lmqi = positive(
      'last member query interval',
      config.lastMemberQueryInterval ?? RFC3376_DEFAULTS.lastMemberQueryInterval,
    );
    const lmqc =
      config.lastMemberQueryCount === undefined
        ? undefined
        : wholeNumber('last member query count', config.lastMemberQueryCount, 1, 255);
    this.sqi = positive('startup query interval', config.startupQueryInterval ?? this.qi / 4);
    this.startupLeft = wholeNumber('startup query count', config.startupQueryCount ?? this.rv, 1, 255);
    // Section 8.3: the response interval must be shorter than the query interval. Code ranges: 4.1.1, RFC 2236 2.2.
    if (this.qri >= this.qi) {
      throw configError(`response time (${this.qri} s) must be less than the query interval (${this.qi} s)`);
    }
    const maxTenths = version === 2 ? 255 : EXP_FORM_MAX;
    for (const [name, s] of [['response time', this.qri], ['last member query interval', this.lmqi]] as const) {
      if (version !== 1 && tenths(s) > maxTenths) {
        throw configError(`${name} ${s} s does not fit an IGMPv${version} Max Resp Code (at most ${maxTenths / 10} s)`);
      }
    }
    if (version === 3 && this.qi > EXP_FORM_MAX) {
      throw configError(`query interval ${this.qi} s does not fit QQIC (at most ${EXP_FORM_MAX} s)`);
    }

    this.table = new MembershipTable({
      events: true,
      robustness: this.rv,
      queryInterval: this.qi,
      queryResponseInterval: version === 1 ? 10 : this.qri,
      lastMemberQueryInterval: this.lmqi,
      ...(lmqc === undefined ? {} : { lastMemberQueryCount: lmqc }),
      ...(config.formatTime === undefined ? {} : { formatTime: config.formatTime }),
    });
    this.nextGeneral = startTime;
    this.clock = startTime;
  }

  /** Whether the engine is the querier now (it stops when a lower address queries, section 6.6.2). */
  get isQuerier(): boolean {
    return this.querier;
  }

  /** The engine's clock: the latest time it was given. */
  get now(): number {
    return this.clock;
  }

  /** When `tick` is next due (its own queries, election timer, or a table timer). */
  nextDeadline(): number {
    let d = Math.min(this.ownDeadline(), this.table.nextDeadline());
    if (d < this.clock) d = this.clock;
    return d;
  }

  /** Let time pass up to `now`: sends what is due (each stamped with its own due time) and runs the table's timers. */
  tick(now: number): QuerierStep {
    const step: QuerierStep = { sends: [], events: [] };
    this.advanceTo(now, step);
    return step;
  }

  /** A message received on the interface. Runs time up to its `time` first. */
  receive(msg: MembershipMessage): QuerierStep {
    const step: QuerierStep = { sends: [], events: [] };
    this.advanceTo(msg.time, step);
    const t = this.clock;
    const igmp = msg.igmp;
    const isQuery = igmp.type === 'query' && igmp.checksumOk !== false;
    if (isQuery && msg.srcIp === this.address) return step; // our own query, looped back
    push(step.events, this.table.onMessage({ ...msg, time: t, iface: this.iface, vlan: this.vlan }));
    if (isQuery) {
      const v = igmp.version;
      if ((v === 1 || v === 2) && v < this.version && !this.warned.has(`${msg.srcIp}/${v}`)) {
        // Section 7.3.1: older-version queriers must be configured, not followed; say so (once per sender and version).
        this.warned.add(`${msg.srcIp}/${v}`);
        step.events.push({
          kind: 'warning', time: t, frame: msg.frame, iface: this.iface, vlan: this.vlan,
          code: 'older-version-query', ip: msg.srcIp, version: v, own: this.version,
        });
      }
      const src = parseIpv4(msg.srcIp);
      // Section 6.6.2: a lower address queries; stop querying until its other-querier-present interval runs out.
      // 0.0.0.0 is no router: a snooping switch's proxy query (RFC 4541 section 2.1.1) must not silence the querier.
      if (src !== null && src !== 0 && src < this.addrNum) {
        this.querier = false;
        this.startupLeft = 0;
        this.pending.clear();
        this.otherUntil = t + this.table.timers(this.iface, this.vlan).otherQuerierPresentInterval;
      }
    }
    if (this.querier) {
      for (const e of step.events.slice()) if (e.kind === 'query-needed') this.onQueryNeeded(e, t, step);
    }
    return step;
  }

  // -------------------------------------------------------------------------------------------------------------

  private ownDeadline(): number {
    let d = this.querier ? this.nextGeneral : this.otherUntil;
    for (const p of this.pending.values()) if (p.nextAt < d) d = p.nextAt;
    return d;
  }

  private advanceTo(now: number, step: QuerierStep): void {
    if (!(now > this.clock)) now = this.clock;
    for (;;) {
      const d = this.ownDeadline();
      if (d > now) break;
      const at = Math.max(d, this.clock);
      push(step.events, this.table.advance(at));
      this.clock = at;
      this.fire(at, step);
    }
    push(step.events, this.table.advance(now));
    this.clock = now;
  }

  private fire(t: number, step: QuerierStep): void {
    if (!this.querier && this.otherUntil <= t) {
      // Section 6.6.2: the other querier fell silent; begin sending general queries again.
      this.querier = true;
      this.nextGeneral = t;
    }
    if (this.querier && this.nextGeneral <= t) {
      const startup = this.startupLeft > 0;
      this.send(this.buildQuery('0.0.0.0', [], false, this.qri), ALL_SYSTEMS, startup ? 'startup' : 'general', t, step);
      if (startup) this.startupLeft--;
      this.nextGeneral = t + (this.startupLeft > 0 ? this.sqi : this.qi);
    }
    for (const [group, p] of this.pending) {
      if (p.nextAt > t) continue;
      this.sendSpecific(group, p, true, true, t, step);
      p.nextAt = t + this.lmqi;
      if (p.groupLeft <= 0 && p.sources.size === 0) this.pending.delete(group);
    }
  }

  /** Section 6.6.3: act on a "Send Q(G)" or "Send Q(G,X)" table action. */
  private onQueryNeeded(e: QueryNeededEvent, t: number, step: QuerierStep): void {
    if (this.version === 1) return; // RFC 1112 has no group-specific query
    if (e.sources !== null && this.version === 2) return; // RFC 2236 has no group-and-source-specific query
    const params = this.table.timers(this.iface, this.vlan);
    const lmqt = params.lastMemberQueryTime;
    let p = this.pending.get(e.group);
    if (e.sources === null) {
      // 6.6.3.1: lower the group timer to LMQT, send now, retransmit LMQC - 1 times every LMQI.
      push(step.events, this.table.lowerTimers(this.iface, this.vlan, e.group, null, t));
      p ??= { groupLeft: 0, sources: new Map(), nextAt: t };
      p.groupLeft = params.lastMemberQueryCount;
    } else {
      // 6.6.3.2: each listed source whose timer is above LMQT gets LMQC retransmissions and its timer lowered.
      const selected = e.sources.filter((s) => (this.table.timerLeft(this.iface, this.vlan, e.group, s) ?? 0) > lmqt + EPS);
      if (selected.length === 0) return;
      p ??= { groupLeft: 0, sources: new Map(), nextAt: t };
      for (const s of selected) p.sources.set(s, params.lastMemberQueryCount);
      push(step.events, this.table.lowerTimers(this.iface, this.vlan, e.group, selected, t));
    }
    this.sendSpecific(e.group, p, e.sources === null, e.sources !== null, t, step);
    p.nextAt = t + this.lmqi;
    if (p.groupLeft > 0 || p.sources.size > 0) this.pending.set(e.group, p);
    else this.pending.delete(e.group);
  }

  /** Send the group query and/or the source queries of a group's retransmission state, and count them down. */
  private sendSpecific(group: string, p: Pending, doGroup: boolean, doSources: boolean, t: number, step: QuerierStep): void {
    const lmqt = this.table.timers(this.iface, this.vlan).lastMemberQueryTime;
    if (doGroup && p.groupLeft > 0) {
      p.groupLeft--;
      const left = this.table.timerLeft(this.iface, this.vlan, group);
      if (left !== undefined) {
        // 6.6.3.1: the S flag is set while the group timer is above LMQT (a member answered since).
        const s = left > lmqt + EPS;
        if (!(s && this.version !== 3)) this.send(this.buildQuery(group, [], s, this.lmqi), group, 'group', t, step);
      } else {
        p.groupLeft = 0;
      }
    }
    if (doSources && p.sources.size > 0) {
      // 6.6.3.2: two queries, S set for the sources whose timers are above LMQT, S clear for the others.
      const above: string[] = [];
      const below: string[] = [];
      for (const [s, n] of p.sources) {
        const left = this.table.timerLeft(this.iface, this.vlan, group, s);
        if (left === undefined) {
          p.sources.delete(s);
          continue;
        }
        (left > lmqt + EPS ? above : below).push(s);
        if (n <= 1) p.sources.delete(s);
        else p.sources.set(s, n - 1);
      }
      if (above.length > 0) this.send(this.buildQuery(group, above, true, this.lmqi), group, 'group-source', t, step);
      if (below.length > 0) this.send(this.buildQuery(group, below, false, this.lmqi), group, 'group-source', t, step);
    }
  }

  private send(igmp: IgmpRepr, dst: string, reason: QueryReason, t: number, step: QuerierStep): void {
    step.sends.push({ time: t, dst, igmp, reason });
    // Section 6.6.1 applies to queries sent as to queries received; the table also records us as a querier.
    const own: MembershipMessage = {
      time: t, iface: this.iface, vlan: this.vlan, srcIp: this.address, srcMac: null, dstIp: dst, igmp, frame: null,
    };
    push(step.events, this.table.onMessage(own));
  }

  private buildQuery(group: string, sources: string[], s: boolean, maxResp: number): IgmpRepr {
    const base = { type: 'query' as const, typeCode: IgmpTypeCode.MembershipQuery, group };
    if (this.version === 1) return { ...base, version: 1, maxRespCode: 0 };
    if (this.version === 2) return { ...base, version: 2, maxRespCode: Math.min(255, tenths(maxResp)) };
    return {
      ...base,
      version: 3,
      maxRespCode: encodeExpForm(tenths(maxResp)),
      s,
      // Section 4.1.6: a Robustness Variable above 7 does not fit; QRV 0 then means "use your default".
      qrv: this.rv <= 7 ? this.rv : 0,
      qqic: encodeExpForm(this.qi),
      sources,
    };
  }
}

function tenths(seconds: number): number {
  return Math.floor(seconds * 10 + 1e-9);
}

function push<T>(into: T[], from: readonly T[]): void {
  for (let i = 0; i < from.length; i++) into.push(from[i]!);
}

function configError(what: string): UsageError {
  return new UsageError(`querier: ${what}`, 'ERR_QUERIER_CONFIG');
}

function positive(name: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) throw configError(`${name} must be a positive number of seconds (got ${v})`);
  return v;
}

function wholeNumber(name: string, v: number, min: number, max: number): number {
  if (!(Number.isInteger(v) && v >= min && v <= max)) {
    throw configError(`${name} must be a whole number from ${min} to ${max} (got ${v})`);
  }
  return v;
}
