/**
 * IGMP v1/v2/v3 codec (RFC 1112, RFC 2236, RFC 3376).
 * TYPES ONLY so far: the repr shapes below are the contract other modules code against.
 * The codec (view, parse, emit, length) is being written into this file.
 */

/** IGMP message type codes (RFC 3376 section 4, RFC 2236 section 2.1, RFC 1112 appendix I). */
export const IgmpTypeCode = {
  MembershipQuery: 0x11,
  V1MembershipReport: 0x12,
  V2MembershipReport: 0x16,
  V2LeaveGroup: 0x17,
  V3MembershipReport: 0x22,
} as const;

/** Group record types (RFC 3376 section 4.2.12), by their RFC names. */
export const RecordTypeCode = {
  MODE_IS_INCLUDE: 1,
  MODE_IS_EXCLUDE: 2,
  CHANGE_TO_INCLUDE_MODE: 3,
  CHANGE_TO_EXCLUDE_MODE: 4,
  ALLOW_NEW_SOURCES: 5,
  BLOCK_OLD_SOURCES: 6,
} as const;
export type RecordTypeName = keyof typeof RecordTypeCode;

export type IgmpKind = 'query' | 'report' | 'leave' | 'unknown';

/** One IGMPv3 group record (RFC 3376 section 4.2.4). */
export interface GroupRecordRepr {
  /** RFC name, or 'unknown' for a type code outside 1-6 (the code is kept in typeCode). */
  type: RecordTypeName | 'unknown';
  typeCode: number;
  group: string;
  sources: string[];
  /** Aux Data Len as on the wire, in 32-bit words; emit: computed from auxData when absent. */
  auxLen?: number;
  /** Auxiliary data bytes (auxLen * 4 bytes); absent or empty when there is none. */
  auxData?: Uint8Array;
}

/**
 * A decoded or to-be-built IGMP message. Optional fields on emit: absent means compute (checksum, lengths,
 * numbers of sources/records); a given value is emitted verbatim, so a wrong checksum can be sent on purpose.
 */
export interface IgmpRepr {
  type: IgmpKind;
  typeCode: number;
  /** 1, 2 or 3; for queries decided by length (RFC 3376 section 7.1); 0 for unknown types. */
  version: 0 | 1 | 2 | 3;
  /** Byte 1 raw (v1: unused, 0). */
  maxRespCode: number;
  /** Seconds: v2 code/10 (linear), v3 the exponent form (RFC 3376 section 4.1.1); v1 query: 0. Parse only. */
  maxRespTime?: number;
  group: string;
  /** Checksum field as on the wire (parse) or to emit verbatim (emit); absent on emit means compute. */
  checksum?: number;
  /** Parse only: whether the checksum over the whole IGMP message (IP payload, not padding) is right. */
  checksumOk?: boolean;
  // v3 query (RFC 3376 section 4.1)
  /** Resv bits (upper 4 bits of byte 8), kept for an exact round trip. */
  resv?: number;
  s?: boolean;
  qrv?: number;
  qqic?: number;
  /** Seconds decoded from qqic (RFC 3376 section 4.1.7). Parse only. */
  qqi?: number;
  sources?: string[];
  /** v3 query: Number of Sources as on the wire / to emit verbatim (absent: computed). */
  numberOfSources?: number;
  // v3 report (RFC 3376 section 4.2)
  /** v3 report: the 16-bit Reserved field after the checksum, and byte 1 (Reserved) is in maxRespCode. */
  reserved2?: number;
  records?: GroupRecordRepr[];
  /** v3 report: Number of Group Records as on the wire / to emit verbatim (absent: computed). */
  numberOfGroupRecords?: number;
  /** unknown types, and bytes after a v1/v2 message's 8 bytes: the raw bytes after the fixed header. */
  extra?: Uint8Array;
}
