/**
 * IPv4 multicast address knowledge kept as data: the IANA "IPv4 Multicast Address Space Registry" blocks, the
 * administrative scopes of RFC 2365, the relative addresses used in every administrative scope, and a curated set of
 * well-known groups. Checked against the registry as last updated 2024-07-09
 * (https://www.iana.org/assignments/multicast-addresses); descriptions keep the registry's words.
 *
 * Addresses are unsigned 32-bit numbers; `A(224, 0, 0, 1)` spells one out at module load, never on a hot path.
 */

const A = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** The registry's top-level blocks (RFC 5771 section 3, as the IANA registry has since refined them). */
export type BlockId =
  | 'local-network-control'
  | 'internetwork-control'
  | 'ad-hoc-i'
  | 'reserved'
  | 'sdp-sap'
  | 'ad-hoc-ii'
  | 'dis-transient'
  | 'ssm'
  | 'glop'
  | 'ad-hoc-iii'
  | 'unicast-prefix-based'
  | 'admin-scoped';

export interface Block {
  readonly id: BlockId;
  readonly first: number;
  readonly last: number;
  /** The registry's title for the block. */
  readonly name: string;
  /** Where the block is defined. */
  readonly ref: string;
}

/** Ascending and contiguous over 224.0.0.0/4; a test checks both. */
export const BLOCKS: readonly Block[] = [
  { id: 'local-network-control', first: A(224, 0, 0, 0), last: A(224, 0, 0, 255), name: 'Local Network Control Block', ref: 'RFC 5771' },
  { id: 'internetwork-control', first: A(224, 0, 1, 0), last: A(224, 0, 1, 255), name: 'Internetwork Control Block', ref: 'RFC 5771' },
  { id: 'ad-hoc-i', first: A(224, 0, 2, 0), last: A(224, 0, 255, 255), name: 'AD-HOC Block I', ref: 'RFC 5771' },
  { id: 'reserved', first: A(224, 1, 0, 0), last: A(224, 1, 255, 255), name: 'Reserved', ref: 'RFC 5771' },
  { id: 'sdp-sap', first: A(224, 2, 0, 0), last: A(224, 2, 255, 255), name: 'SDP/SAP Block', ref: 'RFC 5771' },
  { id: 'ad-hoc-ii', first: A(224, 3, 0, 0), last: A(224, 4, 255, 255), name: 'AD-HOC Block II', ref: 'RFC 5771' },
  { id: 'reserved', first: A(224, 5, 0, 0), last: A(224, 251, 255, 255), name: 'Reserved', ref: 'RFC 5771' },
  // The registry lists 224.252/14 separately (RFC 5771's table folds it into the reserved 224.5-224.255 range).
  { id: 'dis-transient', first: A(224, 252, 0, 0), last: A(224, 255, 255, 255), name: 'DIS Transient Groups', ref: 'IANA' },
  { id: 'reserved', first: A(225, 0, 0, 0), last: A(231, 255, 255, 255), name: 'Reserved', ref: 'RFC 5771' },
  { id: 'ssm', first: A(232, 0, 0, 0), last: A(232, 255, 255, 255), name: 'Source-Specific Multicast Block', ref: 'RFC 4607' },
  // RFC 5771 section 9.2: the GLOP range of the private AS numbers (233.252/14) became AD-HOC Block III.
  { id: 'glop', first: A(233, 0, 0, 0), last: A(233, 251, 255, 255), name: 'GLOP Block', ref: 'RFC 3180' },
  { id: 'ad-hoc-iii', first: A(233, 252, 0, 0), last: A(233, 255, 255, 255), name: 'AD-HOC Block III', ref: 'RFC 5771' },
  { id: 'unicast-prefix-based', first: A(234, 0, 0, 0), last: A(234, 255, 255, 255), name: 'Unicast-Prefix-based IPv4 Multicast Addresses', ref: 'RFC 6034' },
  { id: 'reserved', first: A(235, 0, 0, 0), last: A(238, 255, 255, 255), name: 'Reserved', ref: 'RFC 5771' },
  { id: 'admin-scoped', first: A(239, 0, 0, 0), last: A(239, 255, 255, 255), name: 'Administratively Scoped Block', ref: 'RFC 2365' },
];

/**
 * Scopes. RFC 2365 names two administrative scopes inside 239/8 and maps the IPv4 ranges onto the IPv6 scopes:
 * 224.0.0.0/24 is link-local, the IPv4 Local Scope is IPv6 site-local, the Organization Local Scope is IPv6
 * organization-local, and 224.0.1.0-238.255.255.255 is global. The rest of 239/8 is administratively scoped with
 * boundaries set by each site (RFC 2365 section 6.2 keeps 239.0/10, 239.64/10 and 239.128/10 to expand the
 * Organization Local Scope).
 */
export type ScopeId = 'link-local' | 'local' | 'organization-local' | 'admin-scoped' | 'global';

export interface Scope {
  readonly id: ScopeId;
  /** Ranges as text, for people; classification uses the numbers in classify.ts. */
  readonly range: string;
  readonly name: string;
  /** The IPv6 multicast scope RFC 2365 pairs it with, or null. */
  readonly ipv6: string | null;
  readonly ref: string;
}

export const SCOPES: { readonly [K in ScopeId]: Scope } = {
  'link-local': { id: 'link-local', range: '224.0.0.0/24', name: 'link-local', ipv6: 'link-local', ref: 'RFC 5771 section 4, RFC 2365' },
  local: { id: 'local', range: '239.255.0.0/16', name: 'IPv4 Local Scope', ipv6: 'site-local', ref: 'RFC 2365 section 6.1' },
  'organization-local': {
    id: 'organization-local',
    range: '239.192.0.0/14',
    name: 'IPv4 Organization Local Scope',
    ipv6: 'organization-local',
    ref: 'RFC 2365 section 6.2',
  },
  'admin-scoped': {
    id: 'admin-scoped',
    range: '239.0.0.0/8',
    name: 'administratively scoped (boundary set by the site)',
    ipv6: null,
    ref: 'RFC 2365 section 4',
  },
  global: { id: 'global', range: '224.0.1.0-238.255.255.255', name: 'global', ipv6: 'global', ref: 'RFC 2365' },
};

export const LOCAL_SCOPE_FIRST = A(239, 255, 0, 0);
export const LOCAL_SCOPE_LAST = A(239, 255, 255, 255);
export const ORG_LOCAL_SCOPE_FIRST = A(239, 192, 0, 0);
export const ORG_LOCAL_SCOPE_LAST = A(239, 195, 255, 255);

/**
 * "Relative Addresses used with Scoped Multicast Addresses" (IANA, RFC 5771): offsets counted down from the last
 * address of any administrative scope, valid in every scope. So offset 5 (SSDP) is 239.255.255.250 in the Local
 * Scope and offset 2 (SLPv2) is 239.255.255.253. Offsets 11-252 and 255 are unassigned.
 */
export const RELATIVE: ReadonlyMap<number, string> = new Map([
  [0, 'SAP Session Announcement Protocol'],
  [1, 'MADCAP Protocol'],
  [2, 'SLPv2 Discovery'],
  [3, 'MZAP'],
  [4, 'Multicast Discovery of DNS Services'],
  [5, 'SSDP'],
  [6, 'DHCP v4'],
  [7, 'AAP'],
  [8, 'MBUS'],
  [9, 'UPnP'],
  [10, 'MCAST-TEST-NET-2'],
  [253, 'Reserved'],
  [254, 'RFC3692-style Experiment'],
]);

/** Number of addresses at the top of each administrative scope that hold relative assignments. */
export const RELATIVE_SPAN = 256;

export interface WellKnown {
  readonly first: number;
  readonly last: number;
  /** The registry's description (with a common name in parentheses where the registry's is cryptic). */
  readonly name: string;
  readonly ref: string;
}

/**
 * Curated assignments, singles and ranges, in the registry's words. Not the whole registry (its AD-HOC blocks list
 * hundreds of commercial feeds); the groups one meets on a lab network and in captures.
 */
export const WELL_KNOWN: readonly WellKnown[] = [
  // Local Network Control Block (224.0.0.0/24)
  one(A(224, 0, 0, 0), 'Base Address (Reserved)', 'RFC 1112'),
  one(A(224, 0, 0, 1), 'All Systems on this Subnet', 'RFC 1112'),
  one(A(224, 0, 0, 2), 'All Routers on this Subnet', 'IANA'),
  one(A(224, 0, 0, 4), 'DVMRP Routers', 'RFC 1075'),
  one(A(224, 0, 0, 5), 'OSPFIGP All Routers (OSPF)', 'RFC 2328'),
  one(A(224, 0, 0, 6), 'OSPFIGP Designated Routers (OSPF DR)', 'RFC 2328'),
  one(A(224, 0, 0, 7), 'ST Routers', 'RFC 1190'),
  one(A(224, 0, 0, 8), 'ST Hosts', 'RFC 1190'),
  one(A(224, 0, 0, 9), 'RIP2 Routers', 'RFC 1723'),
  one(A(224, 0, 0, 10), 'EIGRP Routers', 'RFC 7868'),
  one(A(224, 0, 0, 11), 'Mobile-Agents', 'IANA'),
  one(A(224, 0, 0, 12), 'DHCP Server / Relay Agent', 'IANA'),
  one(A(224, 0, 0, 13), 'All PIM Routers', 'IANA'),
  one(A(224, 0, 0, 14), 'RSVP-ENCAPSULATION', 'IANA'),
  one(A(224, 0, 0, 15), 'all-cbt-routers', 'RFC 2189'),
  one(A(224, 0, 0, 16), 'designated-sbm', 'IANA'),
  one(A(224, 0, 0, 17), 'all-sbms', 'IANA'),
  one(A(224, 0, 0, 18), 'VRRP', 'RFC 3768, RFC 9568'),
  one(A(224, 0, 0, 19), 'IPAllL1ISs', 'IANA'),
  one(A(224, 0, 0, 20), 'IPAllL2ISs', 'IANA'),
  one(A(224, 0, 0, 21), 'IPAllIntermediate Systems', 'IANA'),
  // RFC 3376 section 4.2.14: IGMPv3 reports go to 224.0.0.22, where all IGMPv3-capable routers listen.
  one(A(224, 0, 0, 22), 'IGMP (all IGMPv3-capable routers)', 'RFC 3376'),
  one(A(224, 0, 0, 24), 'OSPFIGP-TE', 'RFC 4973'),
  range(A(224, 0, 0, 37), A(224, 0, 0, 68), 'zeroconfaddr', 'IANA'),
  one(A(224, 0, 0, 101), 'cisco-nhap', 'IANA'),
  one(A(224, 0, 0, 102), 'HSRP (HSRPv2, GLBP)', 'IANA'),
  one(A(224, 0, 0, 106), 'All-Snoopers', 'RFC 4286'),
  one(A(224, 0, 0, 107), 'PTP-pdelay', 'IEEE 1588'),
  one(A(224, 0, 0, 108), 'Saratoga', 'IANA'),
  one(A(224, 0, 0, 109), 'LL-MANET-Routers', 'RFC 5498'),
  one(A(224, 0, 0, 110), 'IGRS', 'IANA'),
  one(A(224, 0, 0, 111), 'Babel', 'RFC 8966'),
  one(A(224, 0, 0, 113), 'AllJoyn', 'IANA'),
  one(A(224, 0, 0, 117), 'DLEP Discovery', 'RFC 8175'),
  one(A(224, 0, 0, 119), 'ALL_GRASP_NEIGHBORS', 'RFC 8990'),
  one(A(224, 0, 0, 251), 'mDNS', 'RFC 6762'),
  one(A(224, 0, 0, 252), 'Link-local Multicast Name Resolution (LLMNR)', 'RFC 4795'),
  one(A(224, 0, 0, 253), 'Teredo', 'RFC 4380'),
  one(A(224, 0, 0, 254), 'RFC3692-style Experiment', 'RFC 4727'),
  // Internetwork Control Block (224.0.1.0/24)
  one(A(224, 0, 1, 0), 'VMTP Managers Group', 'RFC 1045'),
  one(A(224, 0, 1, 1), 'NTP Network Time Protocol', 'RFC 5905'),
  one(A(224, 0, 1, 3), 'Rwhod', 'IANA'),
  one(A(224, 0, 1, 22), 'SVRLOC', 'IANA'),
  one(A(224, 0, 1, 24), 'microsoft-ds', 'IANA'),
  one(A(224, 0, 1, 32), 'mtrace', 'IANA'),
  one(A(224, 0, 1, 35), 'SVRLOC-DA', 'IANA'),
  one(A(224, 0, 1, 39), 'cisco-rp-announce', 'IANA'),
  one(A(224, 0, 1, 40), 'cisco-rp-discovery', 'IANA'),
  one(A(224, 0, 1, 41), 'gatekeeper', 'IANA'),
  one(A(224, 0, 1, 60), 'hp-device-disc', 'IANA'),
  one(A(224, 0, 1, 68), 'mdhcpdisover', 'RFC 2730'),
  one(A(224, 0, 1, 75), 'SIP', 'IANA'),
  one(A(224, 0, 1, 76), 'IAPP', 'IANA'),
  one(A(224, 0, 1, 129), 'PTP-primary', 'IEEE 1588'),
  one(A(224, 0, 1, 130), 'PTP-alternate1', 'IEEE 1588'),
  one(A(224, 0, 1, 131), 'PTP-alternate2', 'IEEE 1588'),
  one(A(224, 0, 1, 132), 'PTP-alternate3', 'IEEE 1588'),
  one(A(224, 0, 1, 140), 'capwap-ac', 'RFC 5415'),
  one(A(224, 0, 1, 141), 'DHCP-SERVERS', 'IANA'),
  one(A(224, 0, 1, 178), 'IEEE IAPP', 'IANA'),
  // SDP/SAP Block (224.2.0.0/16)
  range(A(224, 2, 0, 0), A(224, 2, 127, 253), 'Multimedia Conference Calls', 'IANA'),
  one(A(224, 2, 127, 254), 'SAPv1 Announcements', 'IANA'),
  one(A(224, 2, 127, 255), 'SAPv0 Announcements (deprecated)', 'IANA'),
  range(A(224, 2, 128, 0), A(224, 2, 255, 255), 'SAP Dynamic Assignments', 'IANA'),
  // Source-Specific Multicast Block (232/8): RFC 4607 section 3 (the registry's records).
  one(A(232, 0, 0, 0), 'Reserved (SSM)', 'RFC 4607'),
  range(A(232, 0, 0, 1), A(232, 0, 0, 255), 'Reserved for IANA allocation (SSM)', 'RFC 4607'),
  // AD-HOC Block III: documentation addresses.
  range(A(233, 252, 0, 0), A(233, 252, 0, 255), 'MCAST-TEST-NET (documentation)', 'RFC 5771, RFC 6676'),
];

function one(addr: number, name: string, ref: string): WellKnown {
  return { first: addr, last: addr, name, ref };
}

function range(first: number, last: number, name: string, ref: string): WellKnown {
  return { first, last, name, ref };
}
