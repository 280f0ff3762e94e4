/**
 * What a group address is: its IANA block, its scope (RFC 2365), its registered name, and the properties that decide
 * how hosts, routers and snooping switches treat it. Pure; builds one plain object per call (for the edges: text,
 * JSON, the map command), never called per frame by the decoder.
 */
import {
  BLOCKS,
  LOCAL_SCOPE_FIRST,
  LOCAL_SCOPE_LAST,
  ORG_LOCAL_SCOPE_FIRST,
  ORG_LOCAL_SCOPE_LAST,
  RELATIVE,
  RELATIVE_SPAN,
  SCOPES,
  WELL_KNOWN,
  type Block,
  type Scope,
  type ScopeId,
  type WellKnown,
} from './registry.js';
import { LOW23_MASK, isMulticast } from './mapping.js';

const ALL_SYSTEMS = 0xe0000001; // 224.0.0.1
const BASE_ADDRESS = 0xe0000000; // 224.0.0.0

export interface RelativeAddress {
  /** Offset down from the last address of the scope (0 is the last address). */
  offset: number;
  /** The scope it is relative to. */
  scope: ScopeId;
  /** The IANA relative assignment, or null when the offset is unassigned. */
  name: string | null;
}

export interface GroupInfo {
  group: number;
  block: Block;
  scope: Scope;
  /** Registered name (IANA registry description, or the relative assignment's name), else null. */
  name: string | null;
  /** Where the name is registered or defined, else null. */
  nameRef: string | null;
  /**
   * 224.0.0.0/24: "Multicast routers should not forward any multicast datagram with destination addresses in this
   * range, regardless of its TTL" (IANA registry note, RFC 5771 section 4); snooping switches forward non-IGMP
   * traffic to it on all ports (RFC 4541 section 2.1.2), whatever the reports say.
   */
  linkLocal: boolean;
  /** 232/8, the SSM range (RFC 4607 section 3): receivers subscribe to (source, group) channels (RFC 4604). */
  ssm: boolean;
  /**
   * Whether hosts send IGMP reports for it. False for 224.0.0.1 (RFC 2236 section 6, RFC 3376 section 5: no IGMP
   * messages are ever sent for the all-systems group) and 224.0.0.0 (RFC 1112 section 4: never assigned to a group).
   * Other link-local groups are reported (Linux: net.ipv4.igmp_link_local_mcast_reports, default 1).
   */
  igmpReported: boolean;
  /**
   * Outside 224.0.0.0/24 but on a 01:00:5e:00:00:xx MAC, the MAC of a link-local group (x.0.0.y and x.128.0.y):
   * switches that forward by MAC cannot tell it from 224.0.0.y and flood it like link-local traffic.
   */
  macOverlapsLinkLocal: boolean;
  /** GLOP Block: the 16-bit AS number in the middle two octets (RFC 3180 section 3), else null. */
  glopAs: number | null;
  /**
   * 234/8: the network address of the unicast /24 embedded in octets 2-4 (RFC 6034: 234 followed by the unicast
   * prefix), else null. A shorter unicast prefix owns every /24 inside it.
   */
  unicastPrefix: number | null;
  /** In the top 256 addresses of the Local or Organization Local Scope: its relative address, else null. */
  relative: RelativeAddress | null;
}

/** Classify a multicast group; null when `addr` is not in 224.0.0.0/4. */
export function classify(addr: number): GroupInfo | null {
  if (!isMulticast(addr)) return null;
  const group = addr >>> 0;
  const block = findBlock(group);
  const linkLocal = group >>> 8 === 0xe00000;
  const scopeId = scopeOf(group, linkLocal);
  const relative = relativeOf(group, scopeId);
  const known = findWellKnown(group);
  let name: string | null = known === null ? null : known.name;
  let nameRef: string | null = known === null ? null : known.ref;
  if (name === null && relative !== null && relative.name !== null) {
    name = relative.name;
    nameRef = `IANA relative address ${relative.offset}`;
  }
  return {
    group,
    block,
    scope: SCOPES[scopeId],
    name,
    nameRef,
    linkLocal,
    ssm: block.id === 'ssm',
    igmpReported: group !== ALL_SYSTEMS && group !== BASE_ADDRESS,
    macOverlapsLinkLocal: !linkLocal && (group & LOW23_MASK) >>> 8 === 0,
    glopAs: block.id === 'glop' ? (group >>> 8) & 0xffff : null,
    unicastPrefix: block.id === 'unicast-prefix-based' ? ((group & 0xffffff) << 8) >>> 0 : null,
    relative,
  };
}

/** The IANA block holding a multicast group (BLOCKS covers all of 224.0.0.0/4). */
export function findBlock(group: number): Block {
  const g = group >>> 0;
  for (const b of BLOCKS) if (g >= b.first && g <= b.last) return b;
  throw new RangeError(`not an IPv4 multicast address: ${String(group)}`);
}

/** The curated registry entry (a single address or a range) holding `group`, or null. */
export function findWellKnown(group: number): WellKnown | null {
  const g = group >>> 0;
  for (const w of WELL_KNOWN) if (g >= w.first && g <= w.last) return w;
  return null;
}

function scopeOf(group: number, linkLocal: boolean): ScopeId {
  if (linkLocal) return 'link-local';
  if (group >>> 24 !== 239) return 'global';
  if (group >= LOCAL_SCOPE_FIRST && group <= LOCAL_SCOPE_LAST) return 'local';
  if (group >= ORG_LOCAL_SCOPE_FIRST && group <= ORG_LOCAL_SCOPE_LAST) return 'organization-local';
  return 'admin-scoped';
}

function relativeOf(group: number, scope: ScopeId): RelativeAddress | null {
  const last = scope === 'local' ? LOCAL_SCOPE_LAST : scope === 'organization-local' ? ORG_LOCAL_SCOPE_LAST : -1;
  if (last < 0 || last - group >= RELATIVE_SPAN) return null;
  const offset = last - group;
  return { offset, scope, name: RELATIVE.get(offset) ?? null };
}
