/**
 * The contract of the membership library: what goes in (decoded IGMP messages with their link and time), what
 * comes out (events as they happen, snapshots in the `replay --table --json` shape). Plain data only, so the CLI
 * can print events and snapshots with JSON.stringify and the text formatters in ./format.ts.
 */
import type { IgmpRepr } from '../wire/igmp.js';

/** One decoded IGMP message as the table consumes it. */
export interface MembershipMessage {
  /** Seconds (float), the capture's clock or the live clock. Timers run on this clock only. */
  time: number;
  /** The capture interface name (pcapng IDB name), or null. */
  iface: string | null;
  /** The outer VLAN tag, or null. */
  vlan: number | null;
  /** IPv4 source, dotted quad. */
  srcIp: string;
  /** Ethernet source, lower-case colon form, or null when the link type has none. */
  srcMac: string | null;
  /** IPv4 destination, dotted quad. */
  dstIp: string;
  igmp: IgmpRepr;
  /** Frame number in the capture (1-based, as tshark counts), or null (live, or built by the querier). */
  frame: number | null;
  /** The frame's timestamp as text (kept as the member's lastReport); absent: formatted from `time` at snapshot. */
  tsText?: string;
}

export type FilterMode = 'include' | 'exclude';

/**
 * Which list of a group a source sits in: 'include' (INCLUDE mode, forwarded), 'requested' (EXCLUDE mode, timer
 * running: X in RFC 3376 section 6.4) or 'exclude' (EXCLUDE mode, timer 0: Y).
 */
export type SourceList = 'include' | 'requested' | 'exclude';

export type IgmpVersion = 1 | 2 | 3;

/** Timer values in seconds, as RFC 3376 section 8 names them. */
export interface TimerParams {
  robustness: number;
  queryInterval: number;
  queryResponseInterval: number;
  groupMembershipInterval: number;
  otherQuerierPresentInterval: number;
  lastMemberQueryInterval: number;
  lastMemberQueryCount: number;
  /** LMQT: Last Member Query Interval x Last Member Query Count (section 8). */
  lastMemberQueryTime: number;
  olderHostPresentInterval: number;
}

/**
 * Timer options. Each replaces the RFC 3376 section 8 default; the Robustness Variable and Query Interval are still
 * taken from the elected querier's QRV and QQIC when it announces them (sections 4.1.6 and 4.1.7: a statically
 * configured value is the fallback for a zero field), unless `adoptFromQueries` is false.
 */
export interface TimerOptions {
  robustness?: number;
  queryInterval?: number;
  queryResponseInterval?: number;
  lastMemberQueryInterval?: number;
  /** Default: the Robustness Variable in use. */
  lastMemberQueryCount?: number;
  /** Default: RV x QI + QRI (section 8.4). */
  groupMembershipInterval?: number;
  /** Default: RV x QI + QRI / 2 (section 8.5). */
  otherQuerierPresentInterval?: number;
  /** Default: RV x QI + QRI (section 8.13). */
  olderHostPresentInterval?: number;
  /** Default true: adopt QRV and QQI from the elected querier's v3 queries. */
  adoptFromQueries?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Events

interface EventBase {
  /** When it happened: the message's time, or the deadline of the timer that expired. */
  time: number;
  /** The frame that caused it; null for a timer expiry or a query built by the querier engine. */
  frame: number | null;
  iface: string | null;
  vlan: number | null;
}

/** Router state for a group appeared (its first record that leaves something to forward). */
export interface GroupAddedEvent extends EventBase {
  kind: 'group-added';
  group: string;
}
/** Router state for a group went away (always through timers: section 6.5 or the last INCLUDE source, 6.3). */
export interface GroupRemovedEvent extends EventBase {
  kind: 'group-removed';
  group: string;
}
/** A host joined: its first report that leaves it listening. */
export interface JoinEvent extends EventBase {
  kind: 'join';
  group: string;
  host: string;
  mac: string | null;
  version: IgmpVersion;
}
/** A host left on the wire: v2 leave, or a v3 record that leaves it with nothing. */
export interface LeaveEvent extends EventBase {
  kind: 'leave';
  group: string;
  host: string;
  mac: string | null;
  version: IgmpVersion;
}
export interface ModeChangeEvent extends EventBase {
  kind: 'mode-change';
  group: string;
  from: FilterMode;
  to: FilterMode;
}
export interface SourceAddedEvent extends EventBase {
  kind: 'source-added';
  group: string;
  source: string;
  list: SourceList;
}
/** A source record deleted by a table action ("Delete (A-B)") or by the switch to INCLUDE (section 6.5). */
export interface SourceRemovedEvent extends EventBase {
  kind: 'source-removed';
  group: string;
  source: string;
  list: SourceList;
}
/** A source moved between lists by a record (EXCLUDE mode: Y to X when a host asks for it again). */
export interface SourceMovedEvent extends EventBase {
  kind: 'source-moved';
  group: string;
  source: string;
  from: SourceList;
  to: SourceList;
}
/** A source timer expired: INCLUDE mode deletes the source, EXCLUDE mode moves it to the exclude list (6.3). */
export interface SourceExpiredEvent extends EventBase {
  kind: 'source-expired';
  group: string;
  source: string;
  list: 'include' | 'requested';
}
/** The group timer expired in EXCLUDE mode (section 6.5); a mode-change or group-removed follows. */
export interface GroupExpiredEvent extends EventBase {
  kind: 'group-expired';
  group: string;
}
/** Group Compatibility Mode changed (section 7.3.2). */
export interface CompatChangeEvent extends EventBase {
  kind: 'compat-change';
  group: string;
  from: IgmpVersion;
  to: IgmpVersion;
}
/**
 * A "Send Q(G)" (sources null) or "Send Q(G,S)" action of the RFC 3376 section 6.4.2 table: the query the querier
 * should send. Passive tables only report it; the QuerierEngine acts on it (section 6.6.3).
 */
export interface QueryNeededEvent extends EventBase {
  kind: 'query-needed';
  group: string;
  sources: string[] | null;
}
export interface QuerierElectedEvent extends EventBase {
  kind: 'querier-elected';
  ip: string;
  version: IgmpVersion;
  /** The querier it replaces, or null when there was none. */
  previous: string | null;
}
/** The elected querier's other-querier-present interval ran out with no new query from it. */
export interface QuerierLostEvent extends EventBase {
  kind: 'querier-lost';
  ip: string;
}

export type WarningEvent =
  /** `ip` kept querying although `elected` (a lower address) had queried since `ip` appeared (section 6.6.2). */
  | (EventBase & { kind: 'warning'; code: 'competing-queriers'; ip: string; elected: string })
  /** The interval between `ip`'s general queries (`seen`) differs from its QQIC (`announced`), in seconds. */
  | (EventBase & { kind: 'warning'; code: 'qqic-mismatch'; ip: string; announced: number; seen: number })
  /** A report named a group outside 224.0.0.0/4 (the record is ignored). */
  | (EventBase & { kind: 'warning'; code: 'invalid-group'; ip: string; group: string })
  /** A message came from a multicast, reserved or broadcast address (224.0.0.0/3) and was ignored. */
  | (EventBase & { kind: 'warning'; code: 'invalid-source'; ip: string })
  /** A group reached the table's bound of source records; further new sources are not recorded. */
  | (EventBase & { kind: 'warning'; code: 'source-limit'; group: string; limit: number })
  /** The querier engine heard an older-version query than its own (section 7.3.1 asks for a warning). */
  | (EventBase & { kind: 'warning'; code: 'older-version-query'; ip: string; version: IgmpVersion; own: IgmpVersion });

export type MembershipEvent =
  | GroupAddedEvent
  | GroupRemovedEvent
  | JoinEvent
  | LeaveEvent
  | ModeChangeEvent
  | SourceAddedEvent
  | SourceRemovedEvent
  | SourceMovedEvent
  | SourceExpiredEvent
  | GroupExpiredEvent
  | CompatChangeEvent
  | QueryNeededEvent
  | QuerierElectedEvent
  | QuerierLostEvent
  | WarningEvent;

export type MembershipEventKind = MembershipEvent['kind'];

// ---------------------------------------------------------------------------------------------------------------
// Snapshot: the `replay --table --json` document, field for field and in this key order.

export interface SnapshotSource {
  addr: string;
  /** Seconds left on the source timer; absent for an excluded source (timer 0). */
  expiresIn?: number;
}

export interface SnapshotRequested {
  addr: string;
  expiresIn: number;
}

export interface SnapshotMember {
  ip: string;
  mac: string | null;
  version: IgmpVersion;
  lastReport: string;
}

export interface SnapshotGroup {
  iface: string | null;
  vlan: number | null;
  group: string;
  mode: FilterMode;
  /** INCLUDE: the forwarded sources with their timers; EXCLUDE: the excluded sources (timer 0). */
  sources: SnapshotSource[];
  /** EXCLUDE: the requested sources (timers running); INCLUDE: empty. */
  requested: SnapshotRequested[];
  members: SnapshotMember[];
  /** EXCLUDE: the group timer; INCLUDE: the largest source timer. Seconds after the moment shown. */
  expiresIn: number;
  compat: IgmpVersion;
}

export interface SnapshotQuerier {
  iface: string | null;
  vlan: number | null;
  ip: string;
  version: IgmpVersion;
  /** QRV and QQI as the querier announces them (v3); null for v1/v2 queriers, which announce neither. */
  qrv: number | null;
  qqi: number | null;
}

/**
 * The members the text table names: up to this many, in address order (with more, one fewer and the count of the
 * rest). A group's line stays readable in a terminal, `sniff --table` included; `--json` lists every member.
 */
export const MEMBERS_SHOWN = 4;

/** A group as the text table shows it: the snapshot's group with its first members' addresses (in order), and how many. */
export interface TableRowGroup extends Omit<SnapshotGroup, 'members'> {
  /** The first min(memberCount, MEMBERS_SHOWN) members' addresses. */
  memberIps: string[];
  memberCount: number;
}

/** What the text table shows (MembershipTable.tableRows): the snapshot without the members' details. */
export interface TableRows {
  groups: TableRowGroup[];
  queriers: SnapshotQuerier[];
}

export interface TableSnapshot {
  groups: SnapshotGroup[];
  queriers: SnapshotQuerier[];
}
