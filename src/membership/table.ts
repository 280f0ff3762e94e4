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
 * Hand-optimised for `replay --table` (the 1M-frame benchmark capture has 150k IGMP messages): the table works on
 * numbers, as the wire has them. Its input is a WireMessage (./message.ts: addresses as signed 32-bit numbers, the
 * records in typed arrays), which replay fills from the decoder's views; MembershipMessage, the text form, is
 * converted on the way in. Groups, queriers and source records are keyed by address numbers, members are records in
 * the slots of an open-addressing table (./members.ts), source records in a SourceTable (./sources.ts); text is
 * made only for events and snapshots. Measured over the benchmark capture's IGMP frames held in memory (medians of
 * 9 warm rounds): 163 ms -> 67-73 ms a pass against text keys; state for 100,000 groups x 10 members 250 MB ->
 * 62 MB. In a real replay the table's cost is three things (2026-12-02, 2-core VM, in-process, paired runs): V8
 * getting its code optimised (~130 ms: the first ~10k messages run at 5-30 us each; its compiler threads compete
 * with the replay's on two cores: with `node --v8-pool-size=1` the same replay took ~100 ms less there, 17 ms less
 * on a 2-vCPU EPYC VM), cache misses on the state while the capture streams through the caches (~1.3 us a message
 * warm, against ~0.7 us when the capture holds only the IGMP frames), and the table's text at the end. Hence: all reports take one road (onGroupRecord),
 * the expiry path is run once at construction (warmExpiry), rarely taken branches are kept out of the hot
 * functions, a member report touches one cache line, and the text table names only a group's first members.
 */
import { ipv4ToString, parseIpv4 } from '../wire/addr.js';
import { AddrTextCache } from '../wire/addr-text-cache.js';
import { RecordTypeCode } from '../wire/igmp.js';
import { DeadlineHeap, type HeapItem } from './heap.js';
import { MemberList } from './members.js';
import { MessageKind, WireMessageBuffer, type WireMessage } from './message.js';
import { SourceTable } from './sources.js';
import { isoMicros, roundSeconds, timerParams } from './timers.js';
import { MEMBERS_SHOWN } from './types.js';
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
  TableRowGroup,
  TableRows,
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
/** Record source lists up to this long are deduplicated by a nested scan; longer ones through a Set. */
const SMALL_LIST = 16;

const { MODE_IS_INCLUDE: IS_IN, MODE_IS_EXCLUDE: IS_EX, CHANGE_TO_INCLUDE_MODE: TO_IN, CHANGE_TO_EXCLUDE_MODE: TO_EX,
  ALLOW_NEW_SOURCES: ALLOW, BLOCK_OLD_SOURCES: BLOCK } = RecordTypeCode;

const EMPTY_EVENTS: readonly MembershipEvent[] = Object.freeze([]);

type Payload<E> = E extends MembershipEvent ? Omit<E, 'time' | 'frame' | 'iface' | 'vlan'> : never;
type EventPayload = Payload<MembershipEvent>;

/** The timer a new source record starts with, as the section 6.4 rows say: 0, GMI, or the Group Timer. */
const TIMER_ZERO = 0;
const TIMER_GMI = 1;
const TIMER_GROUP = 2;
type NewSourceTimer = typeof TIMER_ZERO | typeof TIMER_GMI | typeof TIMER_GROUP;

/** Election rank of a 0.0.0.0 querier: above every real address. */
const UNSPECIFIED_RANK = 2 ** 32;
/** Rounds of warmExpiry (V8 allocates a function's feedback only after it has run a few dozen times). */
const WARM_EXPIRY_ROUNDS = 100;

class Link {
  /** By group address (signed 32-bit). */
  readonly groups = new Map<number, Group>();
  /** By querier address (signed 32-bit). */
  readonly queriers = new Map<number, Querier>();
  elected: Querier | null = null;
  /** The QRV and QQI `params` were made from (null: not announced), so a query that changes neither reuses them. */
  paramsQrv: number | null = null;
  paramsQqi: number | null = null;
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
  members: MemberList | null = null;
  alive = true;
  sourceLimitWarned = false;
  private text: string | null = null;
  constructor(
    readonly link: Link,
    /** The group address, signed 32-bit. */
    readonly num: number,
  ) {}
  /** The group address as text (made once, for events and snapshots). */
  get addr(): string {
    return (this.text ??= ipv4ToString(this.num >>> 0));
  }
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
    /** Signed 32-bit, the key in link.queriers. */
    readonly bits: number,
    readonly ip: string,
    /** Election rank: the unsigned address, UNSPECIFIED_RANK for 0.0.0.0. */
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
  private readonly texts = new AddrTextCache();
  /** Where onMessage converts the text form. */
  private readonly converted = new WireMessageBuffer();
  private lastLink: Link | null = null;
  private clock = -Infinity;
  private groups = 0;
  /** Events of the call in progress (created on the first one). */
  private out: MembershipEvent[] | null = null;
  private curFrame: number | null = null;
  /** The current record's distinct sources, in order of first occurrence: b[0..bn) (reused). */
  private readonly b: number[] = [];
  private bn = 0;
  /** How many of them the router's table rows use: bn, or 0 where section 7.3.2 ignores a record's sources. */
  private bUse = 0;
  /** The same sources as a set, for long lists (short ones are scanned). */
  private readonly bset = new Set<number>();
  private bLarge = false;
  /** Scratch for snapshot sorting (grown on demand). */
  private sortKeys = new Float64Array(64);
  private readonly sortIps: number[] = [];
  /** A host's new source list, hs[0..n), before MemberList copies it into the member's own (reused). */
  private readonly hs: number[] = [];
  private created = false;

  constructor(opts: MembershipTableOptions = {}) {
    this.opts = opts;
    this.events = opts.events !== false;
    this.formatTime = opts.formatTime ?? isoMicros;
    this.warmExpiry();
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

  /** Process one decoded IGMP message, in its text form. Runs the timers up to its time first. Returns what changed. */
  onMessage(msg: MembershipMessage): readonly MembershipEvent[] {
    return this.onWire(this.converted.fromRepr(msg));
  }

  /** Process one IGMP message in the numeric form (the replay hot path). Same as onMessage otherwise. */
  onWire(msg: WireMessage): readonly MembershipEvent[] {
    this.out = null;
    if (msg.time > this.clock) this.runTimers(msg.time);
    this.curFrame = msg.frame;
    if (msg.srcIp >>> 24 >= 224) {
      // A multicast, reserved or broadcast source is no host (Linux drops such packets as martians).
      if (this.events) this.emit(this.linkFor(msg.iface, msg.vlan), { kind: 'warning', code: 'invalid-source', ip: this.texts.ipv4(msg.srcIp) });
    } else if (msg.checksumOk) {
      const kind = msg.kind;
      if (kind === MessageKind.QUERY) {
        this.onQuery(this.linkFor(msg.iface, msg.vlan), msg);
      } else if (kind === MessageKind.V3_REPORT) {
        const n = msg.recordCount;
        if (n > 0) {
          const link = this.linkFor(msg.iface, msg.vlan);
          for (let r = 0; r < n; r++) {
            const type = msg.recordType[r]!;
            // Unknown record types are ignored (section 4.2.12).
            if (type >= IS_IN && type <= BLOCK) this.onGroupRecord(link, msg, type, msg.recordGroup[r]!, 3, msg.recordStart[r]!, msg.recordSources[r]!);
          }
        }
      } else if (kind === MessageKind.V1_REPORT || kind === MessageKind.V2_REPORT || kind === MessageKind.V2_LEAVE) {
        // Section 7.3.2: a v1/v2 report counts as IS_EX({}), a v2 leave as TO_IN({}). One road for all reports:
        // V8 optimises it early (with separate ones, the older reports' ran unoptimised for ~15k messages).
        const type = kind === MessageKind.V2_LEAVE ? TO_IN : IS_EX;
        this.onGroupRecord(this.linkFor(msg.iface, msg.vlan), msg, type, msg.group, kind === MessageKind.V1_REPORT ? 1 : 2, 0, 0);
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
   * when they are wanted. The text table needs less: see tableRows.
   */
  snapshot(time: number = this.clock): TableSnapshot {
    const groups: SnapshotGroup[] = [];
    const queriers = this.walk(time, (g, at) => groups.push(this.groupSnapshot(g, at)));
    return { groups, queriers };
  }

  /**
   * What the text table shows at `time` (formatTableLines of the snapshot gives the same text): the snapshot with
   * only the first members' addresses and their count, so no member objects, MAC or time texts are made for a
   * table that shows none, and no sort of a group's hosts for the few it names.
   */
  tableRows(time: number = this.clock): TableRows {
    const groups: TableRowGroup[] = [];
    const queriers = this.walk(time, (g, at) => {
      const sources: SnapshotSource[] = [];
      const requested: SnapshotRequested[] = [];
      const maxSource = this.sourceRows(g, at, sources, requested);
      const memberIps: string[] = [];
      const ms = g.members;
      const memberCount = ms === null ? 0 : ms.size;
      if (ms !== null && memberCount > 0) {
        const first = firstMembers(ms, MEMBERS_SHOWN);
        for (let k = 0; k < first.length; k++) memberIps.push(this.texts.ipv4(ms.ip(first[k]!)));
      }
      groups.push({
        iface: g.link.iface, vlan: g.link.vlan, group: g.addr, mode: modeName(g.mode),
        sources, requested, memberIps, memberCount, expiresIn: this.expiresIn(g, at, maxSource), compat: g.compat,
      });
    });
    return { groups, queriers };
  }

  /** Run the timers up to `time`, then each group in interface, VLAN and group order; returns the elected queriers. */
  private walk(time: number, visit: (g: Group, at: number) => void): SnapshotQuerier[] {
    if (time > this.clock) this.advance(time);
    const at = Math.max(time, this.clock);
    const queriers: SnapshotQuerier[] = [];
    const links = [...this.links.values()].sort(compareLinks);
    for (const link of links) {
      for (const g of this.groupOrder(link)) visit(g, at);
      const q = link.elected;
      if (q !== null) {
        queriers.push({ iface: link.iface, vlan: link.vlan, ip: q.ip, version: q.version, qrv: q.qrv, qqi: q.qqi });
      }
    }
    return queriers;
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
    const g = this.findGroup(iface, vlan, group);
    if (g === undefined) return undefined;
    if (source === undefined) return g.mode === EXCLUDE ? Math.max(0, g.timer - this.clock) : 0;
    const s = parseIpv4(source);
    const d = s === null ? undefined : g.sources?.get(s | 0);
    if (d === undefined) return undefined;
    return d === ZERO ? 0 : Math.max(0, d - this.clock);
  }

  /** The current filter mode of a group, or undefined when it has no record. */
  filterMode(iface: string | null, vlan: number | null, group: string): FilterMode | undefined {
    const g = this.findGroup(iface, vlan, group);
    return g === undefined ? undefined : modeName(g.mode);
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
    const g = this.findGroup(iface, vlan, group);
    if (g !== undefined) {
      const nums: number[] = [];
      for (const s of sources ?? []) {
        const v = parseIpv4(s);
        if (v !== null) nums.push(v | 0);
      }
      this.lower(g, nums, 0, nums.length);
    }
    return this.takeEvents();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reports

  /**
   * One group record of `type` from a host of `version`, with the sources msg.sources[start, start + count): a v3
   * record, or a v1/v2 report (IS_EX({})) or leave (TO_IN({})) as section 7.3.2 counts them.
   */
  private onGroupRecord(link: Link, msg: WireMessage, type: number, group: number, version: IgmpVersion, start: number, count: number): void {
    if (!this.acceptGroup(link, msg, group)) return;
    this.loadSources(msg.sources, start, count);
    let g = link.groups.get(group);
    const compat = g === undefined ? 3 : g.compat;
    // Section 7.3.2: in v2 (and v1) compatibility mode BLOCK is ignored and TO_EX's sources too; v1 also ignores
    // TO_IN (so a v2 leave). A leave for a group with no record is TO_IN({}) on INCLUDE({}): the group made for it
    // vanishes at once, with its events, as for any record that leaves a new group with nothing.
    const routerIgnores = (compat < 3 && type === BLOCK) || (compat === 1 && type === TO_IN);
    if (!routerIgnores) {
      const first = this.out === null ? 0 : this.out.length;
      let created = false;
      if (g === undefined) {
        g = this.groupFor(link, group);
        created = this.created;
      }
      if (version < 3 && type === IS_EX) {
        // An older-version report sets its host-present timer first (section 7.3.2).
        const until = this.clock + link.params.olderHostPresentInterval;
        if (version === 1) g.v1Until = until;
        else g.v2Until = until;
        this.updateCompat(g);
      }
      this.bUse = compat < 3 && type === TO_EX ? 0 : this.bn;
      this.applyRecord(g, type);
      this.finishGroup(g, created, first);
    }
    if (g !== undefined && g.alive) this.trackHost(g, msg, type, version);
  }

  private acceptGroup(link: Link, msg: WireMessage, group: number): boolean {
    const first = group >>> 24;
    if (first < 224 || first > 239) {
      if (this.events) this.emit(link, { kind: 'warning', code: 'invalid-group', ip: this.texts.ipv4(msg.srcIp), group: this.texts.ipv4(group) });
      return false;
    }
    return group >>> 8 !== 0xe00000; // 224.0.0.0/24
  }

  /** The group's entry, made if missing (then `this.created` is true). */
  private groupFor(link: Link, num: number): Group {
    const existing = link.groups.get(num);
    this.created = existing === undefined;
    if (existing !== undefined) return existing;
    const g = new Group(link, num);
    link.groups.set(num, g);
    this.groups++;
    if (this.events) this.emit(link, { kind: 'group-added', group: g.addr });
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
  // lists; B (or A in EXCLUDE rows): the record's sources, b[0..bUse). GMI and "Group Timer" are deadlines from now.

  private applyRecord(g: Group, type: number): void {
    const now = this.clock;
    const gmi = now + g.link.params.groupMembershipInterval;
    const B = this.b;
    const nb = this.bUse;
    const wantQ = this.events;
    if (g.mode === INCLUDE) {
      switch (type) {
        case IS_IN: // INCLUDE (A) IS_IN (B) -> INCLUDE (A+B); (B)=GMI
        case ALLOW: // INCLUDE (A) ALLOW (B) -> INCLUDE (A+B); (B)=GMI
          for (let bi = 0; bi < nb; bi++) this.refreshSource(g, B[bi]!);
          return;
        case TO_IN: {
          // INCLUDE (A) TO_IN (B) -> INCLUDE (A+B); (B)=GMI; Send Q(G,A-B)
          const q = wantQ ? this.collectSources(g, false, false) : null;
          for (let bi = 0; bi < nb; bi++) this.refreshSource(g, B[bi]!);
          if (q !== null) this.queryNeeded(g, q);
          return;
        }
        case BLOCK: {
          // INCLUDE (A) BLOCK (B) -> INCLUDE (A); Send Q(G,A*B)
          if (wantQ) {
            const q: number[] = [];
            for (let bi = 0; bi < nb; bi++) {
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
          for (let bi = 0; bi < nb; bi++) {
            const b = B[bi]!;
            if (g.sources === null || !g.sources.has(b)) this.addSource(g, b, TIMER_ZERO);
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
        for (let bi = 0; bi < nb; bi++) this.refreshSource(g, B[bi]!);
        return;
      case TO_IN: {
        // EXCLUDE (X,Y) TO_IN (A) -> EXCLUDE (X+A,Y-A); (A)=GMI; Send Q(G,X-A); Send Q(G)
        const q = wantQ ? this.collectSources(g, false, true) : null;
        for (let bi = 0; bi < nb; bi++) this.refreshSource(g, B[bi]!);
        if (q !== null) {
          this.queryNeeded(g, q);
          this.queryNeeded(g, null);
        }
        return;
      }
      case BLOCK: {
        // EXCLUDE (X,Y) BLOCK (A) -> EXCLUDE (X+(A-Y),Y); (A-X-Y)=Group Timer; Send Q(G,A-Y)
        const q: number[] | null = wantQ ? [] : null;
        for (let bi = 0; bi < nb; bi++) {
          const a = B[bi]!;
          const prev = g.sources === null ? undefined : g.sources.get(a);
          if (prev === undefined) this.addSource(g, a, TIMER_GROUP);
          if (q !== null && (prev === undefined || prev > now)) q.push(a);
        }
        if (q !== null) this.queryNeeded(g, q);
        return;
      }
      case IS_EX: // EXCLUDE (X,Y) IS_EX (A) -> EXCLUDE (A-Y,Y*A); (A-X-Y)=GMI; Delete (X-A); Delete (Y-A); Group Timer=GMI
      case TO_EX: {
        // EXCLUDE (X,Y) TO_EX (A) -> EXCLUDE (A-Y,Y*A); (A-X-Y)=Group Timer; Delete (X-A); Delete (Y-A);
        //                            Send Q(G,A-Y); Group Timer=GMI
        const newTimer = type === IS_EX ? TIMER_GMI : TIMER_GROUP;
        this.deleteNotInB(g);
        const q: number[] | null = wantQ && type === TO_EX ? [] : null;
        for (let bi = 0; bi < nb; bi++) {
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

  /** Section 6.6.1: lower the group timer (no sources: Q(G)) or the sources' timers (Q(G,A)) to LMQT. */
  private lower(g: Group, list: ArrayLike<number>, start: number, count: number): void {
    const limit = this.clock + g.link.params.lastMemberQueryTime;
    if (count === 0) {
      // The group timer is only used in EXCLUDE mode (section 6.2.1).
      if (g.mode === EXCLUDE && g.timer > limit) g.timer = limit;
    } else if (g.sources !== null) {
      for (let i = start; i < start + count; i++) {
        const s = list[i]!;
        const d = g.sources.get(s);
        if (d !== undefined && d > limit) g.sources.set(s, limit);
      }
    }
    this.reschedule(g);
  }

  /**
   * The record's sources with duplicates dropped (set semantics: a duplicate on the wire counts once), in order of
   * first occurrence, into b[0..bn): a nested scan for short lists, a Set for long ones.
   */
  private loadSources(list: Int32Array, start: number, count: number): void {
    const out = this.b;
    let k = 0;
    if (count <= SMALL_LIST) {
      this.bLarge = false;
      for (let i = start; i < start + count; i++) {
        const s = list[i]!;
        let dup = false;
        for (let j = 0; j < k; j++) {
          if (out[j] === s) {
            dup = true;
            break;
          }
        }
        if (!dup) {
          if (k < out.length) out[k] = s;
          else out.push(s);
          k++;
        }
      }
    } else {
      this.bLarge = true;
      const set = this.bset;
      set.clear();
      for (let i = start; i < start + count; i++) {
        const s = list[i]!;
        const size = set.size;
        if (set.add(s).size !== size) {
          if (k < out.length) out[k] = s;
          else out.push(s);
          k++;
        }
      }
    }
    this.bn = k;
    this.bUse = k;
  }

  /** Whether `s` is in the record's sources (all of them: the host's view). */
  private inRecord(s: number): boolean {
    const n = this.bn;
    if (n === 0) return false;
    if (this.bLarge) return this.bset.has(s);
    const b = this.b;
    for (let i = 0; i < n; i++) if (b[i] === s) return true;
    return false;
  }

  /** Whether `s` is in B as the router's rows see it (empty where section 7.3.2 ignores the sources). */
  private inB(s: number): boolean {
    return this.bUse !== 0 && this.inRecord(s);
  }

  /** The group's sources that are (inB) or are not (!inB) in the record, only running ones if `running`. */
  private collectSources(g: Group, inB: boolean, running: boolean): number[] {
    const out: number[] = [];
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

  /** A new source record with the timer its table row gives it (a code, not a time: no double crosses a call). */
  private addSource(g: Group, s: number, timer: NewSourceTimer): void {
    const deadline = timer === TIMER_GMI ? this.clock + g.link.params.groupMembershipInterval : timer === TIMER_GROUP ? g.timer : ZERO;
    const sources = (g.sources ??= new SourceTable());
    if (sources.size >= MAX_SOURCES) {
      if (!g.sourceLimitWarned) {
        g.sourceLimitWarned = true;
        if (this.events) this.emit(g.link, { kind: 'warning', code: 'source-limit', group: g.addr, limit: MAX_SOURCES });
      }
      return;
    }
    sources.set(s, deadline);
    if (this.events) this.emit(g.link, { kind: 'source-added', group: g.addr, source: this.texts.ipv4(s), list: this.listOf(g, deadline) });
  }

  /** "(B)=GMI": set a source's timer to GMI, adding the record if needed; an excluded source becomes requested. */
  private refreshSource(g: Group, s: number): void {
    const prev = g.sources === null ? undefined : g.sources.get(s);
    if (prev === undefined) {
      this.addSource(g, s, TIMER_GMI);
      return;
    }
    const deadline = this.clock + g.link.params.groupMembershipInterval;
    g.sources!.set(s, deadline);
    if (this.events) {
      const from = this.listOf(g, prev);
      const to = this.listOf(g, deadline);
      if (from !== to) this.emit(g.link, { kind: 'source-moved', group: g.addr, source: this.texts.ipv4(s), from, to });
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
      else if (this.events) this.sourceRemoved(g, s, src.times[i]!);
    }
    src.truncate(k);
  }

  /** The event of a source deleted by a sweep (the caller drops the record; only called with events on). */
  private sourceRemoved(g: Group, s: number, deadline: number): void {
    this.emit(g.link, { kind: 'source-removed', group: g.addr, source: this.texts.ipv4(s), list: this.listOf(g, deadline) });
  }

  private setMode(g: Group, mode: Mode): void {
    if (g.mode === mode) return;
    g.mode = mode;
    if (this.events) {
      const to: FilterMode = modeName(mode);
      this.emit(g.link, { kind: 'mode-change', group: g.addr, from: to === 'include' ? 'exclude' : 'include', to });
    }
  }

  private queryNeeded(g: Group, sources: number[] | null): void {
    if (sources !== null && sources.length === 0) return; // nothing to ask about
    this.emit(g.link, { kind: 'query-needed', group: g.addr, sources: sources === null ? null : sources.map((s) => this.texts.ipv4(s)) });
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
  // Hosts (snooping view). A host's own state after its record (the RFC 3376 section 3.2 rules, from the host's
  // side): IS_IN/TO_IN -> INCLUDE(B), IS_EX/TO_EX -> EXCLUDE(B); ALLOW adds B to an include list, BLOCK takes it
  // away (and the reverse on an exclude list). Only include lists are kept, in the member's own storage: they decide
  // whether a BLOCK leaves the host with nothing, while a host in EXCLUDE mode is a member whatever it excludes and
  // its next IS_IN/TO_IN replaces the list (and no output shows a host's list).

  private trackHost(g: Group, msg: WireMessage, type: number, version: IgmpVersion): void {
    const ip = msg.srcIp;
    const members = g.members;
    const i = members === null ? -1 : members.find(ip, msg.srcMacHi, msg.srcMacLo);
    let mode: Mode = INCLUDE;
    let n = 0;
    switch (type) {
      case IS_IN:
      case TO_IN:
        n = this.hostSet();
        break;
      case IS_EX:
      case TO_EX:
        mode = EXCLUDE;
        break;
      case ALLOW:
      case BLOCK:
        if (i >= 0 && members!.mode(i) === EXCLUDE) {
          mode = EXCLUDE;
        } else {
          n = type === ALLOW ? this.hostUnion(members, i) : this.hostMinus(members, i);
        }
        break;
      default:
        return;
    }
    if (mode === INCLUDE && n === 0) {
      // Left with nothing: INCLUDE({}).
      if (i >= 0) {
        if (this.events) {
          const mac = msg.srcMacHi >= 0 ? this.macText(msg.srcMacHi, msg.srcMacLo) : this.macText(members!.macHi(i), members!.macLo(i));
          this.emit(g.link, { kind: 'leave', group: g.addr, host: this.texts.ipv4(members!.ip(i)), mac, version });
        }
        members!.remove(i);
      }
      return;
    }
    if (i < 0) {
      (g.members ??= new MemberList()).add(ip, msg.srcMacHi, msg.srcMacLo, version, mode, this.clock, this.hs, n, msg.tsText);
      if (this.events) {
        this.emit(g.link, { kind: 'join', group: g.addr, host: this.texts.ipv4(ip), mac: this.macText(msg.srcMacHi, msg.srcMacLo), version });
      }
      return;
    }
    if (msg.srcMacHi >= 0 && (msg.srcMacLo !== members!.macLo(i) || msg.srcMacHi !== members!.macHi(i))) {
      members!.setMac(i, msg.srcMacHi, msg.srcMacLo);
    }
    members!.update(i, version, mode, this.clock, this.hs, n, msg.tsText);
  }

  /** The host's new list into hs: the record's sources (at most MAX_SOURCES). Returns its length. */
  private hostSet(): number {
    const n = Math.min(this.bn, MAX_SOURCES);
    const b = this.b;
    for (let k = 0; k < n; k++) this.hsPut(k, b[k]!);
    return n;
  }

  /** The host's new list into hs: its own (member i; none if i < 0) + B, in that order. */
  private hostUnion(members: MemberList | null, i: number): number {
    const ownN = i < 0 ? 0 : members!.listCount(i);
    let n = 0;
    for (let k = 0; k < ownN; k++) this.hsPut(n++, members!.source(i, k));
    const hs = this.hs;
    const b = this.b;
    for (let k = 0; k < this.bn && n < MAX_SOURCES; k++) {
      const s = b[k]!;
      let known = false;
      for (let j = 0; j < ownN; j++) {
        if (hs[j] === s) {
          known = true;
          break;
        }
      }
      if (!known) this.hsPut(n++, s);
    }
    return n;
  }

  /** The host's new list into hs: its own (member i; none if i < 0) - B. */
  private hostMinus(members: MemberList | null, i: number): number {
    const ownN = i < 0 ? 0 : members!.listCount(i);
    let n = 0;
    for (let k = 0; k < ownN; k++) {
      const s = members!.source(i, k);
      if (!this.inRecord(s)) this.hsPut(n++, s);
    }
    return n;
  }

  private hsPut(k: number, s: number): void {
    if (k < this.hs.length) this.hs[k] = s;
    else this.hs.push(s);
  }

  private macText(hi: number, lo: number): string | null {
    return hi < 0 ? null : this.texts.mac(hi, lo);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Queries and queriers

  private onQuery(link: Link, msg: WireMessage): void {
    const version = msg.queryVersion;
    if (version !== 1 && version !== 2 && version !== 3) return;
    const now = this.clock;
    // Election rank (section 6.6.2: lowest address wins). A query from 0.0.0.0 is a snooping switch's proxy query
    // (RFC 4541 section 2.1.1; Linux bridges send them by default): it ranks last, so any router outranks it.
    const bits = msg.srcIp;
    let q = link.queriers.get(bits);
    if (q === undefined) {
      q = new Querier(link, bits, ipv4ToString(bits >>> 0), bits >>> 0 || UNSPECIFIED_RANK, now);
      link.queriers.set(bits, q);
    }
    q.version = version;
    if (version === 3) {
      q.qrv = msg.qrv;
      const qqi = msg.qqi;
      if (qqi !== q.qqi) q.warnedQqi = false;
      q.qqi = qqi;
    } else {
      q.qrv = null;
      q.qqi = null;
    }
    const general = msg.group === 0;

    const e = link.elected;
    // The warnings are events, and apart: a smaller onQuery is one V8 optimises sooner (~20% of the messages).
    if (this.events) this.querierWarnings(link, q, e, general);

    if (general) {
      q.lastGeneral = now;
      q.generalCount++;
    }
    q.prevQuery = q.lastQuery;
    q.lastQuery = now;

    if (e === null || q.ipNum < e.ipNum) {
      link.elected = q;
      if (this.events) this.emit(link, { kind: 'querier-elected', ip: q.ip, version, previous: e === null ? null : e.ip });
    }
    if (link.elected === q) this.adopt(link, q.qrv, q.qqi);
    q.expires = now + link.params.otherQuerierPresentInterval;
    this.heap.schedule(q, q.expires);

    // Section 6.6.1: a group or group-and-source specific query without the S flag lowers timers to LMQT.
    if (!general && !(version === 3 && msg.suppress)) {
      const g = link.groups.get(msg.group);
      if (g !== undefined) this.lower(g, msg.sources, 0, version === 3 ? msg.querySources : 0);
    }
  }

  /** The warnings a query can raise, before onQuery records it (`e`: the elected querier until then). */
  private querierWarnings(link: Link, q: Querier, e: Querier | null, general: boolean): void {
    const now = this.clock;
    // Section 6.6.2: a router that heard a lower address stops querying. One that keeps on is competing.
    if (e !== null && e !== q && e.ipNum < q.ipNum && !q.warnedCompeting) {
      const heard = (t: number): boolean => t > q.firstSeen && t <= now - COMPETE_GRACE;
      if (heard(e.lastQuery) || heard(e.prevQuery)) {
        q.warnedCompeting = true;
        this.emit(link, { kind: 'warning', code: 'competing-queriers', ip: q.ip, elected: e.ip });
      }
    }
    if (general && q.qqi !== null && q.qqi > 0 && q.lastGeneral !== ZERO && !q.warnedQqi) {
      const seen = now - q.lastGeneral;
      // Startup queries come every QI/4 (section 8.6), RV of them (8.7): not a mismatch.
      const startup = q.generalCount <= link.params.robustness && near(seen, q.qqi / 4);
      if (!startup && !near(seen, q.qqi)) {
        q.warnedQqi = true;
        this.emit(link, { kind: 'warning', code: 'qqic-mismatch', ip: q.ip, announced: q.qqi, seen: roundSeconds(seen) });
      }
    }
  }

  /** The timer values of the elected querier's QRV and QQI (sections 4.1.6, 4.1.7), made again only when they change. */
  private adopt(link: Link, qrv: number | null, qqi: number | null): void {
    if (qrv === link.paramsQrv && qqi === link.paramsQqi) return;
    link.params = timerParams(this.opts, qrv, qqi);
    link.paramsQrv = qrv;
    link.paramsQqi = qqi;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Timers

  /**
   * Runs the expiry loop over inert entries (a dead group and a dead querier, popped at once) before any message,
   * and leaves no state. Why: V8 optimises onWire early, with runTimers inlined; code that has never run has no
   * type feedback, so the capture's first real expiry threw the optimised code away, and what had been inlined into
   * it (onQuery, the reports' road) then ran unoptimised for thousands of messages until V8 had compiled it on its own.
   * V8 gathers feedback only once a function has run a while, hence the rounds. Measured on `replay --stats -q
   * --table` over the benchmark capture: the deoptimisation gone, 24-41 ms less (paired medians of 13-15 runs).
   */
  private warmExpiry(): void {
    const link = new Link(null, null, timerParams({}, null, null));
    for (let i = 0; i < WARM_EXPIRY_ROUNDS; i++) {
      const g = new Group(link, 0);
      g.alive = false;
      const q = new Querier(link, 0, '0.0.0.0', UNSPECIFIED_RANK, 0);
      q.alive = false;
      this.heap.schedule(g, -Number.MAX_VALUE);
      this.heap.schedule(q, -Number.MAX_VALUE);
      this.clock = -Infinity;
      this.runTimers(-Number.MAX_VALUE);
    }
    this.clock = -Infinity;
    this.curFrame = null;
  }

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
          if (ev) this.emit(g.link, { kind: 'source-expired', group: g.addr, source: this.texts.ipv4(s), list: 'include' });
        } else {
          src.times[i] = ZERO;
          src.keep(i, k++);
          if (ev) this.emit(g.link, { kind: 'source-expired', group: g.addr, source: this.texts.ipv4(s), list: 'requested' });
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
          if (d !== ZERO) src.keep(i, k++);
          else if (ev) this.sourceRemoved(g, src.keys[i]!, d);
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
    link.queriers.delete(q.bits);
    if (link.elected !== q) return;
    // Section 6.6.2: the other-querier-present interval ran out. The lowest address still querying takes over.
    let next: Querier | null = null;
    for (const r of link.queriers.values()) if (r.expires > this.clock && (next === null || r.ipNum < next.ipNum)) next = r;
    link.elected = next;
    this.adopt(link, next?.qrv ?? null, next?.qqi ?? null);
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
    g.link.groups.delete(g.num);
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

  private findGroup(iface: string | null, vlan: number | null, group: string): Group | undefined {
    const num = parseIpv4(group);
    return num === null ? undefined : this.findLink(iface, vlan)?.groups.get(num | 0);
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

  /**
   * Positions 0..n-1 of `addrs` (distinct signed 32-bit addresses, n <= MAX_SORT_POSITION) in address order, in the
   * sort scratch: valid until the next call.
   */
  private addressOrder(addrs: readonly number[], n: number): Float64Array {
    if (this.sortKeys.length < n) this.sortKeys = new Float64Array(n * 2);
    const keys = this.sortKeys.subarray(0, n);
    for (let i = 0; i < n; i++) keys[i] = (addrs[i]! >>> 0) * SORT_POSITIONS + i;
    keys.sort();
    for (let k = 0; k < n; k++) keys[k] = keys[k]! % SORT_POSITIONS;
    return keys;
  }

  /** The link's groups in address order. */
  private groupOrder(link: Link): Group[] {
    const all = [...link.groups.values()];
    if (all.length > MAX_SORT_POSITION) return all.sort(byGroup);
    const nums = this.sortIps;
    nums.length = 0;
    for (const g of all) nums.push(g.num);
    const order = this.addressOrder(nums, all.length);
    const out: Group[] = [];
    for (let k = 0; k < order.length; k++) out.push(all[order[k]!]!);
    return out;
  }

  /** The group's source records into `sources` and `requested`, as the snapshot shows them; returns the largest INCLUDE timer. */
  private sourceRows(g: Group, at: number, sources: SnapshotSource[], requested: SnapshotRequested[]): number {
    let maxSource = 0;
    const src = g.sources;
    if (src === null) return maxSource;
    const order = this.addressOrder(src.keys, src.size);
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const addr = this.texts.ipv4(src.keys[i]!);
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
    return maxSource;
  }

  /** The positions of the members in address order (then MAC, for 0.0.0.0 hosts). */
  private memberOrder(ms: MemberList): ArrayLike<number> {
    const pos = ms.positions();
    const n = pos.length;
    let anonymous = false;
    for (let k = 0; k < n && !anonymous; k++) anonymous = ms.ip(pos[k]!) === 0;
    if (anonymous || n > MAX_SORT_POSITION) {
      return pos.sort((a, b) => compareMembers(ms, a, b));
    }
    // Addresses are distinct here: sort (address, slot) keys.
    const addrs = this.sortIps;
    addrs.length = 0;
    for (let k = 0; k < n; k++) addrs.push(ms.ip(pos[k]!));
    const order = this.addressOrder(addrs, n);
    for (let k = 0; k < n; k++) order[k] = pos[order[k]!]!;
    return order;
  }

  private groupSnapshot(g: Group, at: number): SnapshotGroup {
    const sources: SnapshotSource[] = [];
    const requested: SnapshotRequested[] = [];
    const maxSource = this.sourceRows(g, at, sources, requested);
    const members: SnapshotMember[] = [];
    const ms = g.members;
    if (ms !== null && ms.size > 0) {
      const order = this.memberOrder(ms);
      for (let k = 0; k < order.length; k++) {
        const i = order[k]!;
        members.push({
          ip: this.texts.ipv4(ms.ip(i)),
          mac: this.macText(ms.macHi(i), ms.macLo(i)),
          version: ms.version(i) as IgmpVersion,
          lastReport: ms.text(i) ?? this.formatTime(ms.last(i)),
        });
      }
    }
    return {
      iface: g.link.iface, vlan: g.link.vlan, group: g.addr, mode: modeName(g.mode),
      sources, requested, members, expiresIn: this.expiresIn(g, at, maxSource), compat: g.compat,
    };
  }

  /** A snapshot group's expiresIn: EXCLUDE, the group timer; INCLUDE, the largest source timer (`maxSource`). */
  private expiresIn(g: Group, at: number, maxSource: number): number {
    return roundSeconds(g.mode === EXCLUDE ? Math.max(0, g.timer - at) : maxSource);
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

function modeName(mode: Mode): FilterMode {
  return mode === INCLUDE ? 'include' : 'exclude';
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byGroup(a: Group, b: Group): number {
  return (a.num >>> 0) - (b.num >>> 0);
}

/**
 * Snapshot sorting: address * SORT_POSITIONS + position, sorted as plain numbers (exact: below 2^53), gives the
 * positions in address order without a comparator, which cold code (a snapshot runs once) calls slowly.
 */
const SORT_POSITIONS = 2 ** 20;
const MAX_SORT_POSITION = SORT_POSITIONS - 1;



/** Within 10% (at least 1 s) of the expected interval. */
function near(seen: number, expected: number): boolean {
  return Math.abs(seen - expected) <= Math.max(1, expected * 0.1) + EPS;
}

/** Member order: by address, then MAC (none first; the colon form's text order is the number order). */
function compareMembers(ms: MemberList, a: number, b: number): number {
  return (ms.ip(a) >>> 0) - (ms.ip(b) >>> 0) || ms.macHi(a) - ms.macHi(b) || (ms.macLo(a) >>> 0) - (ms.macLo(b) >>> 0);
}

/** The positions of the first `k` members in member order (one pass, no sort of the whole group). */
function firstMembers(ms: MemberList, k: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < ms.capacity; p++) {
    if (!ms.used(p)) continue;
    if (out.length === k && compareMembers(ms, p, out[k - 1]!) >= 0) continue;
    let j = out.length < k ? out.length : k - 1;
    while (j > 0 && compareMembers(ms, p, out[j - 1]!) < 0) {
      out[j] = out[j - 1]!;
      j--;
    }
    out[j] = p;
  }
  return out;
}
