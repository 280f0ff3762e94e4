/**
 * The RFC defaults of IGMP crafting, as data (scapy's igmpize idea, kept declarative). craft.ts fills every field
 * the caller leaves out from these tables; a field the caller gives is emitted verbatim, however wrong.
 */

/** Well-known destinations (IANA "IPv4 Multicast Address Space Registry", RFC 1112, RFC 2236, RFC 3376). */
export const IgmpAddress = {
  /** All Systems: general queries (RFC 1112 appendix I, RFC 2236 section 3, RFC 3376 section 4.1.12). */
  allSystems: '224.0.0.1',
  /** All Routers: v2 Leave Group messages (RFC 2236 section 3). */
  allRouters: '224.0.0.2',
  /** All IGMPv3-capable routers: every v3 report (RFC 3376 section 4.2.14). */
  allIgmpv3Routers: '224.0.0.22',
} as const;

/**
 * The IP header of every IGMP message: TTL 1 (RFC 1112 appendix I, RFC 2236 section 2, RFC 3376 section 4), IP
 * Precedence of Internetwork Control, i.e. TOS 0xc0 (RFC 3376 section 4), and the Router Alert option (RFC 2113;
 * required by RFC 2236 section 2 for every message it describes, the v1 report included, and by RFC 3376 section 4).
 * RFC 1112 predates Router Alert and RFC 2236 names no TOS; like Linux (net/ipv4/igmp.c), mcastkit uses the same
 * header for every version, so only the IGMP message differs between versions.
 */
export const IGMP_IP_DEFAULTS = {
  ttl: 1,
  tos: 0xc0,
  routerAlert: true,
  /** Router Alert value 0: "Router shall examine packet" (RFC 2113 section 2.1). */
  routerAlertValue: 0,
  identification: 0,
} as const;

/**
 * Query defaults, from the protocols' default timer values: Query Response Interval 10 s (RFC 2236 section 8.3,
 * RFC 3376 section 8.3) for general queries; Last Member Query Interval 1 s (RFC 2236 section 8.8, RFC 3376
 * section 8.8) for group- and group-and-source-specific queries, which are the queries sent with it; Robustness
 * Variable 2 (RFC 3376 section 8.1); Query Interval 125 s (RFC 3376 section 8.2). v1 queries carry no Max Resp
 * Time (RFC 1112 appendix I: the field is zero, hosts wait up to 10 s).
 */
export const QUERY_DEFAULTS = {
  version: 3,
  maxRespGeneral: 10,
  maxRespSpecific: 1,
  qrv: 2,
  qqi: 125,
  s: false,
} as const;

/** Source addresses when no interface is named: the unspecified address (RFC 3376 section 4.2.13 allows it for reports). */
export const UNNAMED_SOURCE = { ip: '0.0.0.0', mac: '00:00:00:00:00:00' } as const;

/** The MTU assumed when none is given and no interface is named: Ethernet's 1500 (RFC 894). */
export const DEFAULT_MTU = 1500;
/** The smallest MTU IPv4 allows (RFC 791: every module must forward a 68-byte datagram without fragmenting). */
export const MIN_MTU = 68;

/**
 * VLAN tag protocol identifiers by position: a single tag is an 802.1Q C-tag (0x8100); in a stack, the outer tags
 * are 802.1ad S-tags (0x88a8) and the innermost stays a C-tag (IEEE 802.1Q-2018 clause 9.5, the QinQ provider bridge
 * layout).
 */
export const VLAN_TPIDS = { customer: 0x8100, service: 0x88a8 } as const;
