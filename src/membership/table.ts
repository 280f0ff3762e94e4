/**
 * Router-side IGMP membership state, as RFC 3376 section 6 keeps it, driven by decoded messages and their times.
 *
 * Per (interface, VLAN, group): filter mode, group timer, source records with their timers (section 6.2), the
 * transitions and actions of the section 6.4.1 and 6.4.2 tables, the switch to INCLUDE when the group timer runs out
 * (6.5), v1/v2 host-present timers and Group Compatibility Mode (7.3.2), and the timer lowering a non-querier does
 * when it sees a group or group-and-source specific query without the S flag (6.6.1). Per (interface, VLAN): the
 * queriers seen, the election (lowest address wins, 6.6.2), other-querier-present expiry, and the RV/QI adopted from
 * the elected querier's QRV/QQIC (4.1.6, 4.1.7). Besides the router view, the hosts that reported each group (IP,
 * MAC, version, last report), as a snooping switch tracks them.
 *
 * Clock: only the times of the messages and of `advance(time)`; nothing reads the wall clock, so a replay is
 * deterministic. Timers are absolute deadlines, evaluated lazily through one deadline heap (./heap.ts): a refresh
 * costs no allocation, and expiries fire in deadline order, each event stamped with its deadline. Time never runs
 * backwards: a message older than the table's clock (an out-of-order capture) is processed at the table's clock.
 *
 * The table never sends anything. The queries a querier would send (the "Send Q(G)" and "Send Q(G,S)" actions) come
 * out as `query-needed` events; ./querier.ts acts on them. A passive table does not lower its own timers for them:
 * it lowers them when the querier's query shows up on the wire (6.6.1), which is what a non-querier router does.
 *
 * Choices the RFC leaves open, made here:
 * - messages with a bad checksum (`checksumOk === false`) are ignored, as a router drops them (section 4.1.2), and
 *   so are messages from a source address in 224.0.0.0/3 (no host has one), with an `invalid-source` warning;
 * - link-local groups (224.0.0.0/24) are not tracked (never routed; the table does not list them); a record for a
 *   non-multicast group is ignored with an `invalid-group` warning;
 * - the host list keeps each host's own filter state from its records (the state of a host never seen before is
 *   INCLUDE({}), as section 3.2 puts the "non-existent" state); a host leaves the list on a v2 leave or a record
 *   that leaves it INCLUDE({}), and with the group entry otherwise.
 *
 * Hand-optimised for `replay --table` (measured on the 1M-frame benchmark capture, 100k IGMP messages; the replay
 * bridge, src/replay/membership.ts, also stopped building a repr per frame): source records in a SourceTable
 * (./sources.ts) instead of a Map, the record's distinct sources in a reused array, hosts' lists edited in place,
 * no Map/Set iterators on the per-record path. The table's garbage per run ~55 MB -> ~12 MB (mostly new members);
 * `--stats -q --table` 0.66 s -> 0.51 s (medians of 7), against 0.24 s without --table.
 */
import { parseIpv4 } from '../wire/addr.js';
import { RecordTypeCode, type GroupRecordRepr, type IgmpRepr } from '../wire/igmp.js';
import { DeadlineHeap, type HeapItem } from './heap.js';
import { SourceTable } from './sources.js';
import { decodeExpForm, isoMicros, roundSeconds, timerParams } from './timers.js';
import type {
  FilterMode,
  IgmpVersion,
  MembershipEvent,
  MembershipMessage,
  SnapshotGroup,
  SnapshotMember,
  SnapshotQuerier,
  SnapshotRequested,
  SnapshotSource,
  SourceList,
  TableSnapshot,
  TimerOptions,
  TimerParams,
} from './types.js';

export interface MembershipTableOptions extends TimerOptions {
  /** Build event objects (default true). `replay --table` without `--events` turns them off: less work per frame. */
  events?: boolean;
  /** Formats a member's last report time when the message carried no tsText (default: ISO 8601 with microseconds). */
  formatTime?: (seconds: number) => string;
}

const INCLUDE = 0;
const EXCLUDE = 1;
type Mode = typeof INCLUDE | typeof EXCLUDE;

/** A source timer that is not running: "0" in the RFC tables. */
const ZERO = -Infinity;
/** Comparisons of float deadlines against LMQT tolerate this much noise. */
const EPS = 1e-6;
/** A non-elected querier that queries this long after the elected one's query is competing (section 6.6.2). */
const COMPETE_GRACE = 1;
/**
 * Source records per group. The RFC sets no bound, but a hostile capture could otherwise make every message cost
 * O(sources); Linux's bridge keeps 32 per port group (PG_SRC_ENT_LIMIT). Past it new sources are not recorded.
 */
const MAX_SOURCES = 1024;
/** Bound of the host-string intern map. */
const INTERN_LIMIT = 4096;

const { MODE_IS_INCLUDE: IS_IN, MODE_IS_EXCLUDE: IS_EX, CHANGE_TO_INCLUDE_MODE: TO_IN, CHANGE_TO_EXCLUDE_MODE: TO_EX,
  ALLOW_NEW_SOURCES: ALLOW, BLOCK_OLD_SOURCES: BLOCK } = RecordTypeCode;

const EMPTY_EVENTS: readonly MembershipEvent[] = Object.freeze([]);
const NO_SOURCES: readonly string[] = Object.freeze([]);

type Payload<E> = E extends MembershipEvent ? Omit<E, 'time' | 'frame' | 'iface' | 'vlan'> : never;
type EventPayload = Payload<MembershipEvent>;

class Member {
  constructor(
    readonly ip: string,
    public mac: string | null,
    public version: IgmpVersion,
    public last: number,
    public lastText: string | undefined,
    /** The host's own filter mode and source list, from its records. */
    public mode: Mode,
    public sources: string[] | null,
  ) {}
}

/** Election rank of a 0.0.0.0 querier: above every real address. */
const UNSPECIFIED_RANK = 2 ** 32;

class Link {
  readonly groups = new Map<string, Group>();
  readonly queriers = new Map<string, Querier>();
  elected: Querier | null = null;
  constructor(
    readonly iface: string | null,
    readonly vlan: number | null,
    public params: TimerParams,
  ) {}
}

class Group implements HeapItem {
  hgen = 0;
  hqueued = Infinity;
  mode: Mode = INCLUDE;
  /** Group timer deadline; meaningful in EXCLUDE mode only. */
  timer = ZERO;
  /** Source address -> timer deadline (ZERO: not running). Null until the first source. */
  sources: SourceTable | null = null;
  v1Until = ZERO;
  v2Until = ZERO;
  compat: IgmpVersion = 3;
  members: Map<string, Member> | null = null;
  alive = true;
  sourceLimitWarned = false;
  constructor(
    readonly link: Link,
    readonly addr: string,
  ) {}
}

class Querier implements HeapItem {
  hgen = 0;
  hqueued = Infinity;
  version: IgmpVersion = 3;
  qrv: number | null = null;
  qqi: number | null = null;
  lastQuery = ZERO;
  prevQuery = ZERO;
  expires = ZERO;
  lastGeneral = ZERO;
  generalCount = 0;
  warnedCompeting = false;
  warnedQqi = false;
  alive = true;
  constructor(
    readonly link: Link,
    readonly ip: string,
    readonly ipNum: number,
    readonly firstSeen: number,
  ) {}
}

type Timed = Group | Querier;

export class MembershipTable {
  private readonly opts: MembershipTableOptions;
  private readonly events: boolean;
  private readonly formatTime: (seconds: number) => string;
  private readonly links = new Map<string, Link>();
  private readonly heap = new DeadlineHeap<Timed>();
  private lastLink: Link | null = null;
  private clock = -Infinity;
  private groups = 0;
  /** Events of the call in progress (created on the first one). */
  private out: MembershipEvent[] | null = null;
  private curFrame: number | null = null;
  /** The current record's sources as a set, when it has more than SMALL_LIST. */
  private readonly bset = new Set<string>();
  private bList: readonly string[] = NO_SOURCES;
  /** The current record's distinct sources, when it has two or more (reused). */
  private readonly bUniq: string[] = [];
  /** Whether bset holds them (long lists; short ones are scanned). */
  private bLarge = false;
  /**
   * Host addresses as stored in member records, one copy per distinct text: a host joins many groups, and the
   * decoder's strings (a MAC built by a template literal is a V8 rope of ~10 pieces) would otherwise be kept once
   * per membership. Measured, 100,000 groups x 10 members from 1,280 hosts: 352 MB without, 176 MB with; every
   * membership a different host: 250 MB (test/membership/memory.test.ts). Cleared when it reaches INTERN_LIMIT
   * entries, so endless spoofed hosts stay bounded (a small map also measured faster than a large one).
   */
  private readonly interned = new Map<string, string>();
  private created = false;

  constructor(opts: MembershipTableOptions = {}) {
    this.opts = opts;
    this.events = opts.events !== false;
    this.formatTime = opts.formatTime ?? isoMicros;
  }

  /** The table's clock: the latest time it has processed (-Infinity before the first message). */
  get now(): number {
    return this.clock;
  }

  /** Number of (interface, VLAN, group) entries with router state. */
  get groupCount(): number {
    return this.groups;
  }

  /** When the next timer runs out (Infinity if none): the time to call `advance` with, live. */
  nextDeadline(): number {
    return this.heap.peekTime();
  }

  /** The timer values in force on a link (the defaults and options when nothing was seen there). */
  timers(iface: string | null, vlan: number | null): TimerParams {
    return this.findLink(iface, vlan)?.params ?? timerParams(this.opts, null, null);
  }

  /** Process one decoded IGMP message. Runs the timers up to its time first. Returns what changed. */
  onMessage(msg: MembershipMessage): readonly MembershipEvent[] {
    this.out = null;
    if (msg.time > this.clock) this.runTimers(msg.time);
    this.curFrame = msg.frame;
    const igmp = msg.igmp;
    if (firstOctet(msg.srcIp) >= 224) {
      // A multicast, reserved or broadcast source is no host (Linux drops such packets as martians).
      if (this.events) this.emit(this.linkFor(msg.iface, msg.vlan), { kind: 'warning', code: 'invalid-source', ip: msg.srcIp });
    } else if (igmp.checksumOk !== false) {
      switch (igmp.type) {
        case 'query':
          this.onQuery(this.linkFor(msg.iface, msg.vlan), msg, igmp);
          break;
        case 'report':
          if (igmp.version === 3) {
            const records = igmp.records;
            if (records !== undefined) {
              const link = this.linkFor(msg.iface, msg.vlan);
              for (let i = 0; i < records.length; i++) this.onRecord(link, msg, records[i]!);
            }
          } else if (igmp.version === 1 || igmp.version === 2) {
            this.onOldReport(this.linkFor(msg.iface, msg.vlan), msg, igmp.version, igmp.group);
          }
          break;
        case 'leave':
          this.onLeave(this.linkFor(msg.iface, msg.vlan), msg, igmp.group);
          break;
        default:
          break;
      }
    }
    return this.takeEvents();
  }

  /** Run the timers up to `time` (expiries emit events stamped with their deadlines). */
  advance(time: number): readonly MembershipEvent[] {
    this.out = null;
    if (time > this.clock) this.runTimers(time);
    return this.takeEvents();
  }

  /**
   * The table at `time` (default: the table's clock), in the `replay --table --json` shape, sorted by interface,
   * VLAN and group. Runs the timers up to `time` first and drops the events that makes: call `advance(time)` before
   * when they are wanted.
   */
  snapshot(time: number = this.clock): TableSnapshot {
    if (time > this.clock) this.advance(time);
    const at = Math.max(time, this.clock);
    const rows: { link: Link; g: Group; num: number }[] = [];
    const queriers: SnapshotQuerier[] = [];
    const links = [...this.links.values()].sort(compareLinks);
    for (const link of links) {
      for (const g of link.groups.values()) rows.push({ link, g, num: ipv4Number(g.addr) });
      const q = link.elected;
      if (q !== null) {
        queriers.push({ iface: link.iface, vlan: link.vlan, ip: q.ip, version: q.version, qrv: q.qrv, qqi: q.qqi });
      }
    }
    rows.sort((a, b) => compareLinks(a.link, b.link) || a.num - b.num);
    return { groups: rows.map((r) => this.groupSnapshot(r.g, at)), queriers };
  }

  /** The elected querier of a link, or null. */
  electedQuerier(iface: string | null, vlan: number | null): SnapshotQuerier | null {
    const link = this.findLink(iface, vlan);
    const q = link?.elected ?? null;
    if (link === undefined || q === null) return null;
    return { iface: link.iface, vlan: link.vlan, ip: q.ip, version: q.version, qrv: q.qrv, qqi: q.qqi };
  }

  /**
   * Seconds left on a group's timer (no `source`; 0 in INCLUDE mode) or on one source's timer (0 when not running),
   * at the table's clock; undefined when the group or source has no record.
   */
  timerLeft(iface: string | null, vlan: number | null, group: string, source?: string): number | undefined {
    const g = this.findLink(iface, vlan)?.groups.get(group);
    if (g === undefined) return undefined;
    if (source === undefined) return g.mode === EXCLUDE ? Math.max(0, g.timer - this.clock) : 0;
    const d = g.sources?.get(source);
    if (d === undefined) return undefined;
    return d === ZERO ? 0 : Math.max(0, d - this.clock);
  }

  /** The current filter mode of a group, or undefined when it has no record. */
  filterMode(iface: string | null, vlan: number | null, group: string): FilterMode | undefined {
    const g = this.findLink(iface, vlan)?.groups.get(group);
    return g === undefined ? undefined : g.mode === INCLUDE ? 'include' : 'exclude';
  }

  /**
   * Section 6.6.1 timer lowering, as for a query with the S flag clear: the group timer (sources null or empty) or
   * the given sources' timers come down to LMQT if above it. The querier engine calls it for its own queries before
   * building them (6.6.3); received queries go through `onMessage`. Returns the expiries of running the timers up
   * to `time`.
   */
  lowerTimers(
    iface: string | null,
    vlan: number | null,
    group: string,
    sources: readonly string[] | null,
    time: number,
  ): readonly MembershipEvent[] {
    this.out = null;
    if (time > this.clock) this.runTimers(time);
    const g = this.findLink(iface, vlan)?.groups.get(group);
    if (g !== undefined) this.lower(g, sources);
    return this.takeEvents();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reports

  private onOldReport(link: Link, msg: MembershipMessage, version: 1 | 2, group: string): void {
    if (!this.acceptGroup(link, msg, group)) return;
    const start = this.out === null ? 0 : this.out.length;
    const g = this.groupFor(link, group);
    const created = this.created;
    // Section 7.3.2: an older-version report sets its host-present timer, then counts as IS_EX({}).
    const until = this.clock + link.params.olderHostPresentInterval;
    if (version === 1) g.v1Until = until;
    else g.v2Until = until;
    this.updateCompat(g);
    this.applyRecord(g, IS_EX, NO_SOURCES);
    this.finishGroup(g, created, start);
    if (g.alive) this.trackHost(g, msg, IS_EX, NO_SOURCES, version);
  }

  private onLeave(link: Link, msg: MembershipMessage, group: string): void {
    if (!this.acceptGroup(link, msg, group)) return;
    const g = link.groups.get(group);
    // No record: TO_IN({}) on INCLUDE({}) changes nothing and queries nothing.
    if (g === undefined) return;
    // Section 7.3.2: a v2 leave is TO_IN({}), except in v1 compatibility mode where it is ignored.
    if (g.compat !== 1) this.applyRecord(g, TO_IN, NO_SOURCES);
    this.trackHost(g, msg, TO_IN, NO_SOURCES, 2);
  }

  private onRecord(link: Link, msg: MembershipMessage, rec: GroupRecordRepr): void {
    const type = rec.typeCode;
    if (type < IS_IN || type > BLOCK) return; // unknown record types are ignored (section 4.2.12)
    if (!this.acceptGroup(link, msg, rec.group)) return;
    const sources = rec.sources;
    let g = link.groups.get(rec.group);
    const compat = g === undefined ? 3 : g.compat;
    // Section 7.3.2: in v2 (and v1) compatibility mode BLOCK is ignored and TO_EX's sources too; v1 also ignores TO_IN.
    const routerIgnores = (compat < 3 && type === BLOCK) || (compat === 1 && type === TO_IN);
    if (!routerIgnores) {
      const start = this.out === null ? 0 : this.out.length;
      let created = false;
      if (g === undefined) {
        g = this.groupFor(link, rec.group);
        created = this.created;
      }
      this.applyRecord(g, type, compat < 3 && type === TO_EX ? NO_SOURCES : sources);
      this.finishGroup(g, created, start);
    }
    if (g !== undefined && g.alive) this.trackHost(g, msg, type, sources, 3);
  }

  private acceptGroup(link: Link, msg: MembershipMessage, group: string): boolean {
    const first = firstOctet(group);
    if (first < 224 || first > 239) {
      if (this.events) this.emit(link, { kind: 'warning', code: 'invalid-group', ip: msg.srcIp, group });
      return false;
    }
    return !group.startsWith('224.0.0.');
  }

  /** The group's entry, made if missing (then `this.created` is true). */
  private groupFor(link: Link, addr: string): Group {
    const existing = link.groups.get(addr);
    this.created = existing === undefined;
    if (existing !== undefined) return existing;
    const g = new Group(link, addr);
    link.groups.set(addr, g);
    this.groups++;
    if (this.events) this.emit(link, { kind: 'group-added', group: addr });
    return g;
  }

  /** After a record: a group left INCLUDE({}) has no state (a new one vanishes with its events); else reschedule. */
  private finishGroup(g: Group, created: boolean, start: number): void {
    if (g.mode === INCLUDE && (g.sources === null || g.sources.size === 0)) {
      if (created) {
        this.dropGroup(g);
        if (this.out !== null) this.out.length = start;
        return;
      }
      this.removeGroup(g);
      return;
    }
    this.reschedule(g);
  }

  // -------------------------------------------------------------------------------------------------------------
  // RFC 3376 section 6.4: the two tables, row by row. A: the INCLUDE list; X, Y: EXCLUDE's requested and excluded
  // lists; B (or A in EXCLUDE rows): the record's sources. GMI and "Group Timer" are deadlines from now.

  private applyRecord(g: Group, type: number, recSources: readonly string[]): void {
    const now = this.clock;
    const gmi = now + g.link.params.groupMembershipInterval;
    const B = this.loadSources(recSources);
    const wantQ = this.events;
    if (g.mode === INCLUDE) {
      switch (type) {
        case IS_IN: // INCLUDE (A) IS_IN (B) -> INCLUDE (A+B); (B)=GMI
        case ALLOW: // INCLUDE (A) ALLOW (B) -> INCLUDE (A+B); (B)=GMI
          for (let bi = 0; bi < B.length; bi++) this.refreshSource(g, B[bi]!, gmi);
          return;
        case TO_IN: {
          // INCLUDE (A) TO_IN (B) -> INCLUDE (A+B); (B)=GMI; Send Q(G,A-B)
          const q = wantQ ? this.collectSources(g, false, false) : null;
          for (let bi = 0; bi < B.length; bi++) this.refreshSource(g, B[bi]!, gmi);
          if (q !== null) this.queryNeeded(g, q);
          return;
        }
        case BLOCK: {
          // INCLUDE (A) BLOCK (B) -> INCLUDE (A); Send Q(G,A*B)
          if (wantQ) {
            const q: string[] = [];
            for (let bi = 0; bi < B.length; bi++) {
              const b = B[bi]!;
              if (g.sources !== null && g.sources.has(b)) q.push(b);
            }
            this.queryNeeded(g, q);
          }
          return;
        }
        case IS_EX: // INCLUDE (A) IS_EX (B) -> EXCLUDE (A*B,B-A); (B-A)=0; Delete (A-B); Group Timer=GMI
        case TO_EX: {
          // INCLUDE (A) TO_EX (B) -> EXCLUDE (A*B,B-A); (B-A)=0; Delete (A-B); Send Q(G,A*B); Group Timer=GMI
          const q = wantQ && type === TO_EX ? this.collectSources(g, true, false) : null;
          this.deleteNotInB(g);
          this.setMode(g, EXCLUDE);
          for (let bi = 0; bi < B.length; bi++) {
            const b = B[bi]!;
            if (g.sources === null || !g.sources.has(b)) this.addSource(g, b, ZERO);
          }
          g.timer = gmi;
          if (q !== null) this.queryNeeded(g, q);
          return;
        }
        default:
          return;
      }
    }
    switch (type) {
      case IS_IN: // EXCLUDE (X,Y) IS_IN (A) -> EXCLUDE (X+A,Y-A); (A)=GMI
      case ALLOW: // EXCLUDE (X,Y) ALLOW (A) -> EXCLUDE (X+A,Y-A); (A)=GMI
        for (let bi = 0; bi < B.length; bi++) this.refreshSource(g, B[bi]!, gmi);
        return;
      case TO_IN: {
        // EXCLUDE (X,Y) TO_IN (A) -> EXCLUDE (X+A,Y-A); (A)=GMI; Send Q(G,X-A); Send Q(G)
        const q = wantQ ? this.collectSources(g, false, true) : null;
        for (let bi = 0; bi < B.length; bi++) this.refreshSource(g, B[bi]!, gmi);
        if (q !== null) {
          this.queryNeeded(g, q);
          this.queryNeeded(g, null);
        }
        return;
      }
      case BLOCK: {
        // EXCLUDE (X,Y) BLOCK (A) -> EXCLUDE (X+(A-Y),Y); (A-X-Y)=Group Timer; Send Q(G,A-Y)
        const q: string[] | null = wantQ ? [] : null;
        for (let bi = 0; bi < B.length; bi++) {
          const a = B[bi]!;
          const prev = g.sources === null ? undefined : g.sources.get(a);
          if (prev === undefined) this.addSource(g, a, g.timer);
          if (q !== null && (prev === undefined || prev > now)) q.push(a);
        }
        if (q !== null) this.queryNeeded(g, q);
        return;
      }
      case IS_EX: // EXCLUDE (X,Y) IS_EX (A) -> EXCLUDE (A-Y,Y*A); (A-X-Y)=GMI; Delete (X-A); Delete (Y-A); Group Timer=GMI
      case TO_EX: {
        // EXCLUDE (X,Y) TO_EX (A) -> EXCLUDE (A-Y,Y*A); (A-X-Y)=Group Timer; Delete (X-A); Delete (Y-A);
        //                            Send Q(G,A-Y); Group Timer=GMI
        const newTimer = type === IS_EX ? gmi : g.timer;
        this.deleteNotInB(g);
        const q: string[] | null = wantQ && type === TO_EX ? [] : null;
        for (let bi = 0; bi < B.length; bi++) {
          const a = B[bi]!;
          const prev = g.sources === null ? undefined : g.sources.get(a);
          if (prev === undefined) this.addSource(g, a, newTimer);
          if (q !== null && (prev === undefined || prev > now)) q.push(a);
        }
        g.timer = gmi;
        if (q !== null) this.queryNeeded(g, q);
        return;
      }
      default:
        return;
    }
  }

  /** Section 6.6.1: lower the group timer (Q(G)) or the listed sources' timers (Q(G,A)) to LMQT. */
  private lower(g: Group, sources: readonly string[] | null): void {
    const limit = this.clock + g.link.params.lastMemberQueryTime;
    if (sources === null || sources.length === 0) {
      // The group timer is only used in EXCLUDE mode (section 6.2.1).
      if (g.mode === EXCLUDE && g.timer > limit) g.timer = limit;
    } else if (g.sources !== null) {
      for (let i = 0; i < sources.length; i++) {
        const s = sources[i]!;
        const d = g.sources.get(s);
        if (d !== undefined && d > limit) g.sources.set(s, limit);
      }
    }
    this.reschedule(g);
  }

  /**
   * The record's sources with duplicates dropped (set semantics: a duplicate on the wire counts once), in order of
   * first occurrence, as an array: iterating the Set itself allocated per step (~10 MB on the benchmark capture).
   */
  private loadSources(list: readonly string[]): readonly string[] {
    this.bList = list;
    const n = list.length;
    if (n < 2) return list;
    const out = this.bUniq;
    let k = 0;
    if (n <= SMALL_LIST) {
      this.bLarge = false;
      k = firstOccurrences(list, out);
    } else {
      this.bLarge = true;
      this.bset.clear();
      for (let i = 0; i < n; i++) {
        const s = list[i]!;
        const size = this.bset.size;
        if (this.bset.add(s).size !== size) out[k++] = s;
      }
    }
    // Never to 0 (k >= 1): V8 drops an array's backing store at length 0.
    out.length = k;
    return out;
  }

  private inB(s: string): boolean {
    const list = this.bList;
    if (list.length === 0) return false;
    if (list.length === 1) return list[0] === s;
    if (this.bLarge) return this.bset.has(s);
    const u = this.bUniq;
    for (let i = 0; i < u.length; i++) if (u[i] === s) return true;
    return false;
  }

  /** The group's sources that are (inB) or are not (!inB) in the record, only running ones if `running`. */
  private collectSources(g: Group, inB: boolean, running: boolean): string[] {
    const out: string[] = [];
    const src = g.sources;
    if (src === null) return out;
    for (let i = 0; i < src.size; i++) {
      const s = src.keys[i]!;
      if (running && !(src.times[i]! > this.clock)) continue;
      if (this.inB(s) === inB) out.push(s);
    }
    return out;
  }

  private listOf(g: Group, deadline: number): SourceList {
    if (g.mode === INCLUDE) return 'include';
    return deadline > this.clock ? 'requested' : 'exclude';
  }

  private addSource(g: Group, s: string, deadline: number): void {
    const sources = (g.sources ??= new SourceTable());
    if (sources.size >= MAX_SOURCES) {
      if (!g.sourceLimitWarned) {
        g.sourceLimitWarned = true;
        if (this.events) this.emit(g.link, { kind: 'warning', code: 'source-limit', group: g.addr, limit: MAX_SOURCES });
      }
      return;
    }
    sources.set(s, deadline);
    if (this.events) this.emit(g.link, { kind: 'source-added', group: g.addr, source: s, list: this.listOf(g, deadline) });
  }

  /** Set a source's timer to `deadline`, adding the record if needed; an excluded source becomes requested. */
  private refreshSource(g: Group, s: string, deadline: number): void {
    const prev = g.sources === null ? undefined : g.sources.get(s);
    if (prev === undefined) {
      this.addSource(g, s, deadline);
      return;
    }
    g.sources!.set(s, deadline);
    if (this.events) {
      const from = this.listOf(g, prev);
      const to = this.listOf(g, deadline);
      if (from !== to) this.emit(g.link, { kind: 'source-moved', group: g.addr, source: s, from, to });
    }
  }

  /** "Delete (A-B)", "Delete (X-A)", "Delete (Y-A)": the sources the record does not name. */
  private deleteNotInB(g: Group): void {
    const src = g.sources;
    if (src === null || src.size === 0) return;
    let k = 0;
    for (let i = 0; i < src.size; i++) {
      const s = src.keys[i]!;
      if (this.inB(s)) src.keep(i, k++);
      else this.sourceRemoved(g, s, src.times[i]!);
    }
    src.truncate(k);
  }

  /** The event of a source deleted by a sweep (the caller drops the record). */
  private sourceRemoved(g: Group, s: string, deadline: number): void {
    if (this.events) this.emit(g.link, { kind: 'source-removed', group: g.addr, source: s, list: this.listOf(g, deadline) });
  }

  private setMode(g: Group, mode: Mode): void {
    if (g.mode === mode) return;
    g.mode = mode;
    if (this.events) {
      const to: FilterMode = mode === INCLUDE ? 'include' : 'exclude';
      this.emit(g.link, { kind: 'mode-change', group: g.addr, from: to === 'include' ? 'exclude' : 'include', to });
    }
  }

  private queryNeeded(g: Group, sources: string[] | null): void {
    if (sources !== null && sources.length === 0) return; // nothing to ask about
    this.emit(g.link, { kind: 'query-needed', group: g.addr, sources });
  }

  /** Section 7.3.2: the compatibility mode follows the host-present timers. */
  private updateCompat(g: Group): void {
    const now = this.clock;
    const compat: IgmpVersion = g.v1Until > now ? 1 : g.v2Until > now ? 2 : 3;
    if (compat === g.compat) return;
    const from = g.compat;
    g.compat = compat;
    if (this.events) this.emit(g.link, { kind: 'compat-change', group: g.addr, from, to: compat });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Hosts (snooping view)

  private trackHost(g: Group, msg: MembershipMessage, type: number, recSources: readonly string[], version: IgmpVersion): void {
    const key = msg.srcIp === '0.0.0.0' ? `0.0.0.0/${msg.srcMac ?? ''}` : msg.srcIp;
    const m = g.members === null ? undefined : g.members.get(key);
    // The member's own list, edited in place: no other member shares it and nothing outside the table sees it.
    const own = m === undefined ? null : m.sources;
    let mode: Mode;
    let sources: string[] | null;
    switch (type) {
      case IS_IN:
      case TO_IN:
        mode = INCLUDE;
        sources = setList(own, recSources);
        break;
      case IS_EX:
      case TO_EX:
        mode = EXCLUDE;
        sources = setList(own, recSources);
        break;
      case ALLOW:
        if (m === undefined || m.mode === INCLUDE) {
          mode = INCLUDE;
          sources = addTo(own, recSources);
        } else {
          mode = EXCLUDE;
          sources = removeFrom(own, recSources);
        }
        break;
      case BLOCK:
        if (m === undefined || m.mode === INCLUDE) {
          mode = INCLUDE;
          sources = removeFrom(own, recSources);
        } else {
          mode = EXCLUDE;
          sources = addTo(own, recSources);
        }
        break;
      default:
        return;
    }
    if (mode === INCLUDE && sources === null) {
      // Left with nothing: INCLUDE({}).
      if (m !== undefined) {
        g.members!.delete(key);
        if (this.events) this.emit(g.link, { kind: 'leave', group: g.addr, host: m.ip, mac: msg.srcMac ?? m.mac, version });
      }
      return;
    }
    if (m === undefined) {
      const ip = this.intern(msg.srcIp);
      const mac = msg.srcMac === null ? null : this.intern(msg.srcMac);
      const member = new Member(ip, mac, version, this.clock, msg.tsText, mode, sources);
      (g.members ??= new Map()).set(key === msg.srcIp ? ip : key, member);
      if (this.events) this.emit(g.link, { kind: 'join', group: g.addr, host: msg.srcIp, mac: msg.srcMac, version });
      return;
    }
    if (msg.srcMac !== null && msg.srcMac !== m.mac) m.mac = this.intern(msg.srcMac);
    m.version = version;
    m.last = this.clock;
    m.lastText = msg.tsText;
    m.mode = mode;
    m.sources = sources;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Queries and queriers

  private onQuery(link: Link, msg: MembershipMessage, igmp: IgmpRepr): void {
    const version = igmp.version;
    if (version !== 1 && version !== 2 && version !== 3) return;
    const now = this.clock;
    // Election rank (section 6.6.2: lowest address wins). A query from 0.0.0.0 is a snooping switch's proxy query
    // (RFC 4541 section 2.1.1; Linux bridges send them by default): it ranks last, so any router outranks it.
    let q = link.queriers.get(msg.srcIp);
    if (q === undefined) {
      // Parsed only for a new querier: the text's regex showed in profiles when run per query.
      q = new Querier(link, msg.srcIp, parseIpv4(msg.srcIp) || UNSPECIFIED_RANK, now);
      link.queriers.set(msg.srcIp, q);
    }
    q.version = version;
    if (version === 3) {
      q.qrv = igmp.qrv ?? 0;
      const qqi = igmp.qqi ?? (igmp.qqic !== undefined ? decodeExpForm(igmp.qqic) : 0);
      if (qqi !== q.qqi) q.warnedQqi = false;
      q.qqi = qqi;
    } else {
      q.qrv = null;
      q.qqi = null;
    }
    const general = igmp.group === '0.0.0.0';

    // Section 6.6.2: a router that heard a lower address stops querying. One that keeps on is competing.
    const e = link.elected;
    if (this.events && e !== null && e !== q && e.ipNum < q.ipNum && !q.warnedCompeting) {
      const heard = (t: number): boolean => t > q!.firstSeen && t <= now - COMPETE_GRACE;
      if (heard(e.lastQuery) || heard(e.prevQuery)) {
        q.warnedCompeting = true;
        this.emit(link, { kind: 'warning', code: 'competing-queriers', ip: q.ip, elected: e.ip });
      }
    }

    if (general) {
      if (this.events && q.qqi !== null && q.qqi > 0 && q.lastGeneral !== ZERO && !q.warnedQqi) {
        const seen = now - q.lastGeneral;
        // Startup queries come every QI/4 (section 8.6), RV of them (8.7): not a mismatch.
        const startup = q.generalCount <= link.params.robustness && near(seen, q.qqi / 4);
        if (!startup && !near(seen, q.qqi)) {
          q.warnedQqi = true;
          this.emit(link, { kind: 'warning', code: 'qqic-mismatch', ip: q.ip, announced: q.qqi, seen: roundSeconds(seen) });
        }
      }
      q.lastGeneral = now;
      q.generalCount++;
    }
    q.prevQuery = q.lastQuery;
    q.lastQuery = now;

    if (e === null || q.ipNum < e.ipNum) {
      link.elected = q;
      if (this.events) this.emit(link, { kind: 'querier-elected', ip: q.ip, version, previous: e === null ? null : e.ip });
    }
    if (link.elected === q) link.params = timerParams(this.opts, q.qrv, q.qqi);
    q.expires = now + link.params.otherQuerierPresentInterval;
    this.heap.schedule(q, q.expires);

    // Section 6.6.1: a group or group-and-source specific query without the S flag lowers timers to LMQT.
    if (!general && !(version === 3 && igmp.s === true)) {
      const g = link.groups.get(igmp.group);
      if (g !== undefined) this.lower(g, version === 3 ? (igmp.sources ?? null) : null);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Timers

  private runTimers(target: number): void {
    for (;;) {
      const t = this.heap.peekTime();
      if (t > target) break;
      const item = this.heap.pop()!;
      if (t > this.clock) this.clock = t;
      this.curFrame = null;
      if (item instanceof Group) this.fireGroup(item);
      else this.fireQuerier(item);
    }
    if (target > this.clock) this.clock = target;
  }

  private fireGroup(g: Group): void {
    if (!g.alive) return;
    const now = this.clock;
    const ev = this.events;
    // Section 6.3: a source timer running out deletes the source in INCLUDE mode, excludes it in EXCLUDE mode.
    const src = g.sources;
    if (src !== null) {
      let k = 0;
      for (let i = 0; i < src.size; i++) {
        const s = src.keys[i]!;
        const d = src.times[i]!;
        if (d === ZERO || d > now) {
          src.keep(i, k++);
        } else if (g.mode === INCLUDE) {
          if (ev) this.emit(g.link, { kind: 'source-expired', group: g.addr, source: s, list: 'include' });
        } else {
          src.times[i] = ZERO;
          src.keep(i, k++);
          if (ev) this.emit(g.link, { kind: 'source-expired', group: g.addr, source: s, list: 'requested' });
        }
      }
      src.truncate(k);
    }
    // Section 6.5: the group timer running out in EXCLUDE mode switches to INCLUDE with the sources still running.
    if (g.mode === EXCLUDE && g.timer <= now) {
      if (ev) this.emit(g.link, { kind: 'group-expired', group: g.addr });
      if (src !== null) {
        let k = 0;
        for (let i = 0; i < src.size; i++) {
          const d = src.times[i]!;
          if (d === ZERO) this.sourceRemoved(g, src.keys[i]!, d);
          else src.keep(i, k++);
        }
        src.truncate(k);
      }
      g.timer = ZERO;
      if (g.sources !== null && g.sources.size > 0) this.setMode(g, INCLUDE);
      else g.mode = INCLUDE;
    }
    // Section 7.3.2: host-present timers.
    if (g.v1Until !== ZERO && g.v1Until <= now) g.v1Until = ZERO;
    if (g.v2Until !== ZERO && g.v2Until <= now) g.v2Until = ZERO;
    this.updateCompat(g);
    if (g.mode === INCLUDE && (g.sources === null || g.sources.size === 0)) this.removeGroup(g);
    else this.reschedule(g);
  }

  private fireQuerier(q: Querier): void {
    if (!q.alive || q.expires > this.clock) {
      if (q.alive) this.heap.schedule(q, q.expires);
      return;
    }
    const link = q.link;
    q.alive = false;
    link.queriers.delete(q.ip);
    if (link.elected !== q) return;
    // Section 6.6.2: the other-querier-present interval ran out. The lowest address still querying takes over.
    let next: Querier | null = null;
    for (const r of link.queriers.values()) if (r.expires > this.clock && (next === null || r.ipNum < next.ipNum)) next = r;
    link.elected = next;
    link.params = timerParams(this.opts, next?.qrv ?? null, next?.qqi ?? null);
    if (this.events) {
      this.emit(link, { kind: 'querier-lost', ip: q.ip });
      if (next !== null) this.emit(link, { kind: 'querier-elected', ip: next.ip, version: next.version, previous: q.ip });
    }
  }

  private reschedule(g: Group): void {
    let next = g.mode === EXCLUDE ? g.timer : Infinity;
    const src = g.sources;
    if (src !== null) {
      const times = src.times;
      for (let i = 0; i < src.size; i++) {
        const d = times[i]!;
        if (d !== ZERO && d < next) next = d;
      }
    }
    if (g.v1Until !== ZERO && g.v1Until < next) next = g.v1Until;
    if (g.v2Until !== ZERO && g.v2Until < next) next = g.v2Until;
    if (next !== Infinity) this.heap.schedule(g, next);
  }

  private removeGroup(g: Group): void {
    this.dropGroup(g);
    if (this.events) this.emit(g.link, { kind: 'group-removed', group: g.addr });
  }

  private dropGroup(g: Group): void {
    g.alive = false;
    g.link.groups.delete(g.addr);
    this.heap.cancel(g);
    this.groups--;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Plumbing

  private linkFor(iface: string | null, vlan: number | null): Link {
    const last = this.lastLink;
    if (last !== null && last.iface === iface && last.vlan === vlan) return last;
    const key = linkKey(iface, vlan);
    let link = this.links.get(key);
    if (link === undefined) {
      link = new Link(iface, vlan, timerParams(this.opts, null, null));
      this.links.set(key, link);
    }
    this.lastLink = link;
    return link;
  }

  private findLink(iface: string | null, vlan: number | null): Link | undefined {
    return this.links.get(linkKey(iface, vlan));
  }

  private intern(s: string): string {
    const known = this.interned.get(s);
    if (known !== undefined) return known;
    if (this.interned.size >= INTERN_LIMIT) this.interned.clear();
    s.charCodeAt(0); // flattens a V8 rope string in place before it is kept
    this.interned.set(s, s);
    return s;
  }

  private emit(link: Link, p: EventPayload): void {
    // `kind` first, then the common fields, then the payload: the key order of the JSON lines.
    const e = Object.assign({ kind: p.kind, time: this.clock, frame: this.curFrame, iface: link.iface, vlan: link.vlan }, p);
    (this.out ??= []).push(e as MembershipEvent);
  }

  private takeEvents(): readonly MembershipEvent[] {
    const out = this.out;
    this.out = null;
    return out ?? EMPTY_EVENTS;
  }

  private groupSnapshot(g: Group, at: number): SnapshotGroup {
    const sources: SnapshotSource[] = [];
    const requested: SnapshotRequested[] = [];
    let maxSource = 0;
    const src = g.sources;
    if (src !== null) {
      for (let i = 0; i < src.size; i++) {
        const addr = src.keys[i]!;
        const d = src.times[i]!;
        const left = d === ZERO ? 0 : Math.max(0, d - at);
        if (g.mode === INCLUDE) {
          sources.push({ addr, expiresIn: roundSeconds(left) });
          if (left > maxSource) maxSource = left;
        } else if (d === ZERO || d <= at) {
          sources.push({ addr });
        } else {
          requested.push({ addr, expiresIn: roundSeconds(left) });
        }
      }
    }
    sources.sort(byAddr);
    requested.sort(byAddr);
    const members: SnapshotMember[] = [];
    if (g.members !== null) {
      const keyed: { num: number; m: Member }[] = [];
      for (const m of g.members.values()) keyed.push({ num: ipv4Number(m.ip), m });
      keyed.sort((a, b) => a.num - b.num || cmpStr(a.m.mac ?? '', b.m.mac ?? ''));
      for (const { m } of keyed) {
        members.push({ ip: m.ip, mac: m.mac, version: m.version, lastReport: m.lastText ?? this.formatTime(m.last) });
      }
    }
    const expiresIn = g.mode === EXCLUDE ? Math.max(0, g.timer - at) : maxSource;
    return {
      iface: g.link.iface,
      vlan: g.link.vlan,
      group: g.addr,
      mode: g.mode === INCLUDE ? 'include' : 'exclude',
      sources,
      requested,
      members,
      expiresIn: roundSeconds(expiresIn),
      compat: g.compat,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------------

function linkKey(iface: string | null, vlan: number | null): string {
  return `${iface === null ? '\u0001' : `i${iface}`}\u0000${vlan === null ? '' : vlan}`;
}

function compareLinks(a: Link, b: Link): number {
  if (a.iface !== b.iface) {
    if (a.iface === null) return -1;
    if (b.iface === null) return 1;
    return cmpStr(a.iface, b.iface);
  }
  if (a.vlan === b.vlan) return 0;
  if (a.vlan === null) return -1;
  if (b.vlan === null) return 1;
  return a.vlan - b.vlan;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byAddr(a: { addr: string }, b: { addr: string }): number {
  return ipv4Number(a.addr) - ipv4Number(b.addr) || cmpStr(a.addr, b.addr);
}

/** A dotted quad as a number for sorting, without the regex of parseIpv4 (texts here come from the decoder). */
function ipv4Number(s: string): number {
  let v = 0;
  let part = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      v = v * 256 + part;
      part = 0;
    } else {
      part = part * 10 + (c - 48);
    }
  }
  return v * 256 + part;
}

/** The first octet of a dotted quad without allocating; -1 when the text does not start like one. */
function firstOctet(s: string): number {
  let v = 0;
  for (let i = 0; i < s.length && i < 4; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) return i === 0 ? -1 : v;
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return -1;
}

/** Within 10% (at least 1 s) of the expected interval. */
function near(seen: number, expected: number): boolean {
  return Math.abs(seen - expected) <= Math.max(1, expected * 0.1) + EPS;
}

function uniq(list: readonly string[]): string[] {
  return list.length < 2 ? list.slice() : [...new Set(list)].slice(0, MAX_SOURCES);
}

/**
 * A host's source list after its record: the helpers below give the results of uniq(b), "a + b" and "a - b" (in
 * that order of elements), reusing `own` (the member's previous list) instead of allocating. A host re-reporting
 * the same record, the common case, then costs no allocation. Lists are never empty: null stands for {}.
 */
const SMALL_LIST = 16;

/**
 * Writes the distinct entries of a short list (at most SMALL_LIST) into `out` from index 0, in order of first
 * occurrence, and returns their count; `out`'s length is the caller's to set. A nested scan: no Set for a few items.
 */
function firstOccurrences(list: readonly string[], out: string[]): number {
  let k = 0;
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    let dup = false;
    for (let j = 0; j < k; j++) {
      if (out[j] === s) {
        dup = true;
        break;
      }
    }
    if (!dup) out[k++] = s;
  }
  return k;
}

function setList(own: string[] | null, b: readonly string[]): string[] | null {
  const n = b.length;
  if (n === 0) return null;
  // Long lists: the nested scan below would be quadratic.
  if (n > SMALL_LIST) return uniq(b);
  own ??= [];
  const k = firstOccurrences(b, own);
  // Never to 0 (k >= 1 here): V8 drops an array's backing store at length 0.
  if (own.length !== k) own.length = k;
  return own;
}

function addTo(own: string[] | null, b: readonly string[]): string[] | null {
  if (own === null || own.length === 0) return setList(null, b);
  for (let i = 0; i < b.length; i++) {
    const s = b[i]!;
    if (own.length < MAX_SOURCES && !own.includes(s)) own.push(s);
  }
  return own;
}

function removeFrom(own: string[] | null, b: readonly string[]): string[] | null {
  if (own === null) return null;
  let k = 0;
  for (let i = 0; i < own.length; i++) {
    const s = own[i]!;
    if (!b.includes(s)) own[k++] = s;
  }
  if (k === 0) return null;
  if (own.length !== k) own.length = k;
  return own;
}
