/**
 * IGMP v1/v2/v3 codec (RFC 1112, RFC 2236, RFC 3376).
 *
 * Two faces, as for every codec in src/wire/:
 * - `IgmpView`: a zero-copy view for the per-frame hot path (statistics). `reset(buf, offset, length)` makes the one
 *   length check (>= 8 bytes, 4 for unknown types, inside buf); the getters then return wire codes with no further
 *   checks and no allocation. IGMPv3 group records are walked through ONE reused `GroupRecordView` (`view.records`, stepped by
 *   `firstRecord`/`nextRecord`), which bounds-checks each record as it steps (records are variable-length, so one
 *   up-front check cannot cover them) and reports a fault as a constant error code rather than by throwing, so a
 *   statistics loop counts the complete records before a fault without a try/catch or any allocation.
 * - `IgmpRepr`: a plain object for building and printing. `parseIgmp(view)` returns `{ repr, error }`: a malformed
 *   message still yields every field decoded before the fault (e.g. the complete group records before a truncated
 *   one), and the error is returned, never thrown. Bytes that no field accounts for (RFC 2236 section 2.5 and RFC 3376
 *   sections 4.1.10 and 4.2.11 "additional data", unknown message types, the bytes from a fault onwards) are kept in
 *   `extra`, so `emitIgmp(parseIgmp(v).repr)` reproduces every message the view accepts byte for byte, lying counts
 *   included (a count is set on the parsed repr exactly when it disagrees with what was decoded).
 *
 * Unknown types (DVMRP 0x13, PIMv1 0x14, mtrace 0x1e/0x1f, MRD 0x30-0x32, ...) are data, not errors. They share only
 * type, code and checksum with IGMP (MRD solicitations are 4 bytes long, RFC 4286 section 5), so for them the header
 * is those 4 bytes, the view accepts 4 bytes or more, and everything after byte 4 is `extra`.
 *
 * Query version by length only (RFC 3376 section 7.1), never by the Max Resp Code alone.
 * Offsets in errors count from the first byte of the IGMP message; the frame decoder rebases them.
 */
import { MalformedError, TruncatedError, type WireError } from '../errors.js';
import { ipv4FromString, ipv4ToString, readIpv4, readIpv4Bits, writeIpv4 } from './addr.js';
import { checksumValid, internetChecksum } from './checksum.js';

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
  /** RFC name, or 'unknown' for a type code outside 1-6 (the code is kept in typeCode). Emit uses typeCode. */
  type: RecordTypeName | 'unknown';
  typeCode: number;
  group: string;
  sources: string[];
  /** Aux Data Len as on the wire, in 32-bit words (always set by parse); emit: computed from auxData when absent. */
  auxLen?: number;
  /** Auxiliary data bytes (auxLen * 4 bytes); absent or empty when there is none. Emit: a multiple of 4 bytes. */
  auxData?: Uint8Array;
  /**
   * Number of Sources to emit verbatim (a lying count on purpose); absent means sources.length. Parse never sets it:
   * a record whose count runs past the message is not complete and is reported as an error instead.
   */
  numberOfSources?: number;
}

/**
 * A decoded or to-be-built IGMP message. Optional fields on emit: absent means compute (checksum, lengths,
 * numbers of sources/records); a given value is emitted verbatim, so a wrong checksum can be sent on purpose.
 * Parse sets only the fields that apply to the message kind: maxRespTime on queries; resv/s/qrv/qqic/qqi/sources
 * on v3 queries; reserved2/records on v3 reports; resv, reserved2, numberOfSources and numberOfGroupRecords only
 * when they carry something (non-zero reserved bits, a count that disagrees with what could be decoded).
 * Emit picks the layout from typeCode (and version for queries): 0x11 with version 3 is a v3 query, 0x22 a v3
 * report, anything else the 8-byte header followed by `extra`.
 */
export interface IgmpRepr {
  type: IgmpKind;
  typeCode: number;
  /**
   * 1, 2 or 3; for queries decided by length (RFC 3376 section 7.1); 0 for unknown types and for a query of
   * 9-11 bytes (which parse reports as ERR_IGMP_QUERY_LENGTH).
   */
  version: 0 | 1 | 2 | 3;
  /** Byte 1 raw (v1: unused, 0; v3 report: the Reserved byte). */
  maxRespCode: number;
  /** Seconds: v2 code/10 (linear), v3 the exponent form (RFC 3376 section 4.1.1); v1 query: 0. Parse only, queries. */
  maxRespTime?: number;
  /**
   * v3 reports have no group field: parse gives '0.0.0.0' and emit ignores it. Unknown types: bytes 4-7 read as an
   * address for display (mtrace carries its group there), '0.0.0.0' below 8 bytes; emit ignores it (the bytes are
   * in extra).
   */
  group: string;
  /** Checksum field as on the wire (parse) or to emit verbatim (emit); absent on emit means compute. */
  checksum?: number;
  /** Parse only: whether the checksum over the whole IGMP message (IP payload, not padding) is right. */
  checksumOk?: boolean;
  // v3 query (RFC 3376 section 4.1)
  /** Resv bits (upper 4 bits of byte 8), kept for an exact round trip. Parse sets it only when non-zero. */
  resv?: number;
  s?: boolean;
  qrv?: number;
  /** Emit: absent means encodeQqi(qqi) when qqi is given, else 0. */
  qqic?: number;
  /** Seconds decoded from qqic (RFC 3376 section 4.1.7). Parse only (emit uses it only when qqic is absent). */
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
  /**
   * Raw bytes after the last decoded field: the bytes after byte 4 of unknown types, after the 8-byte header of
   * v1/v2 messages (and of a 9-11 byte query), a v3 message's additional data, or everything from a fault onwards.
   * Absent when there are none.
   */
  extra?: Uint8Array;
}

/** Stable error codes of this layer. */
export const IgmpErrorCode = {
  /** Fewer than 8 bytes (4 for unknown types), or the message runs past the buffer. */
  Truncated: 'ERR_IGMP_TRUNCATED',
  /** A query of 9-11 bytes: neither v1/v2 (8) nor v3 (>= 12) (RFC 3376 section 7.1). */
  QueryLength: 'ERR_IGMP_QUERY_LENGTH',
  /** Number of Sources (v3 query or group record) runs past the end of the message. */
  TruncatedSources: 'ERR_IGMP_TRUNCATED_SOURCES',
  /** Number of Group Records promises a record whose 8-byte header is not there. */
  TruncatedRecord: 'ERR_IGMP_TRUNCATED_RECORD',
  /** Aux Data Len runs past the end of the message. */
  TruncatedAux: 'ERR_IGMP_TRUNCATED_AUX',
} as const;
export type IgmpErrorCode = (typeof IgmpErrorCode)[keyof typeof IgmpErrorCode];

/** Field offsets from the first byte of the IGMP message (RFC 3376 sections 4.1 and 4.2, RFC 2236 section 2). */
const F = {
  type: 0,
  maxRespCode: 1, // v3 report: Reserved
  checksum: 2,
  group: 4, // v1/v2 and v3 query
  reserved2: 4, // v3 report
  numberOfGroupRecords: 6, // v3 report
  records: 8, // v3 report
  resvSQrv: 8, // v3 query
  qqic: 9, // v3 query
  numberOfSources: 10, // v3 query
  sources: 12, // v3 query
} as const;

/** Field offsets from the first byte of a group record (RFC 3376 section 4.2.4). */
const R = { recordType: 0, auxDataLen: 1, numberOfSources: 2, group: 4, sources: 8 } as const;

/** Byte 8 of a v3 query: Resv(4) S(1) QRV(3). */
const QBITS = { resvShift: 4, resvMax: 0x0f, s: 0x08, qrv: 0x07 } as const;

const ADDR_LEN = 4;
const WORD_LEN = 4; // Aux Data Len counts 32-bit words (RFC 3376 section 4.2.6)
const HEADER_LEN = F.group + ADDR_LEN; // 8: every IGMP v1/v2/v3 message
const UNKNOWN_HEADER_LEN = F.group; // 4: type, code, checksum: all that unknown types share with IGMP
const V3_QUERY_MIN_LEN = F.sources; // 12
const RECORD_HEADER_LEN = R.sources; // 8

/**
 * The floating-point form of Max Resp Code and QQIC (RFC 3376 sections 4.1.1 and 4.1.7):
 * below 128 the code is the value; else bits 1|exp(3)|mant(4) and value = (mant | 0x10) << (exp + 3).
 */
const EXP_FORM = { flag: 0x80, expShift: 4, expMask: 0x07, mantMask: 0x0f, mantHigh: 0x10, bias: 3, expMax: 7 } as const;
/** The largest value the exponent form can hold: (15 | 16) << (7 + 3). */
const EXP_FORM_MAX = (EXP_FORM.mantMask | EXP_FORM.mantHigh) << (EXP_FORM.expMax + EXP_FORM.bias); // 31744
const V2_CODE_MAX = 0xff;
/** Tolerance for float noise when turning seconds into units (1.1 * 10 is 11.000000000000002). */
const EPS = 1e-9;

const EMPTY = new Uint8Array(0);
const RECORD_TYPE_BY_CODE = new Map<number, RecordTypeName>(
  (Object.entries(RecordTypeCode) as [RecordTypeName, number][]).map(([name, code]) => [code, name]),
);

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

function kindOf(typeCode: number): IgmpKind {
  switch (typeCode) {
    case IgmpTypeCode.MembershipQuery:
      return 'query';
    case IgmpTypeCode.V1MembershipReport:
    case IgmpTypeCode.V2MembershipReport:
    case IgmpTypeCode.V3MembershipReport:
      return 'report';
    case IgmpTypeCode.V2LeaveGroup:
      return 'leave';
    default:
      return 'unknown';
  }
}

/** Query version by RFC 3376 section 7.1: by length, and only for an 8-byte query by the Max Resp Code. */
function queryVersionOf(length: number, maxRespCode: number): 0 | 1 | 2 | 3 {
  if (length === HEADER_LEN) return maxRespCode === 0 ? 1 : 2;
  return length >= V3_QUERY_MIN_LEN ? 3 : 0;
}

/** Record type name for a record type code; 'unknown' outside 1-6. */
export function recordTypeName(typeCode: number): RecordTypeName | 'unknown' {
  return RECORD_TYPE_BY_CODE.get(typeCode) ?? 'unknown';
}

// ---------------------------------------------------------------------------------------------------------------
// Max Resp Code and QQIC

function checkCode(code: number, what: string): void {
  if (!Number.isInteger(code) || code < 0 || code > 0xff) throw new RangeError(`${what} must be an integer 0-255, got ${code}`);
}

function decodeExpForm(code: number): number {
  if (code < EXP_FORM.flag) return code;
  const exp = (code >> EXP_FORM.expShift) & EXP_FORM.expMask;
  const mant = code & EXP_FORM.mantMask;
  return (mant | EXP_FORM.mantHigh) << (exp + EXP_FORM.bias);
}

/** The smallest code whose value is >= units (the value set is increasing in the code). units: 0..EXP_FORM_MAX. */
function encodeExpForm(units: number): number {
  if (units < EXP_FORM.flag) return units;
  for (let exp = 0; exp <= EXP_FORM.expMax; exp++) {
    const step = 1 << (exp + EXP_FORM.bias);
    const mant = Math.ceil(units / step) - EXP_FORM.mantHigh;
    if (mant <= EXP_FORM.mantMask) return EXP_FORM.flag | (exp << EXP_FORM.expShift) | mant;
  }
  throw new RangeError(`value ${units} beyond the exponent form`); // unreachable: callers range-check
}

/** Whole units (rounded up, float noise forgiven) for `seconds`, range-checked against max units. */
function toUnits(seconds: number, perSecond: number, maxUnits: number, what: string): number {
  const units = Math.ceil(seconds * perSecond - EPS);
  if (!Number.isFinite(seconds) || seconds < 0 || units > maxUnits) {
    throw new RangeError(`${what} must be 0-${maxUnits / perSecond} seconds, got ${seconds}`);
  }
  return Math.max(units, 0);
}

/**
 * Max Resp Code to seconds. v3: exponent form in tenths (RFC 3376 section 4.1.1), 0-3174.4 s; v2: linear tenths
 * (RFC 2236 section 2.2), so 200 is 20.0 s; v1: the field is unused, always 0.
 */
export function decodeMaxRespCode(code: number, version: 1 | 2 | 3): number {
  checkCode(code, 'Max Resp Code');
  if (version === 3) return decodeExpForm(code) / 10;
  if (version === 2) return code / 10;
  if (version === 1) return 0;
  throw new RangeError(`IGMP version must be 1, 2 or 3, got ${version}`);
}

/**
 * Seconds to a Max Resp Code. Rounding: up, to the smallest code whose value is >= the request (hosts then never
 * answer sooner than asked), ignoring float noise below 1e-9 of a unit. v3: linear below 12.8 s, exponent form from
 * 12.8 s (so 13 s gives 0x81 = 13.6 s), at most 3174.4 s; v2: linear tenths, at most 25.5 s; v1: only 0 (no field).
 * RangeError outside these ranges.
 */
export function encodeMaxRespTime(seconds: number, version: 1 | 2 | 3): number {
  if (version === 3) return encodeExpForm(toUnits(seconds, 10, EXP_FORM_MAX, 'IGMPv3 Max Resp Time'));
  if (version === 2) return toUnits(seconds, 10, V2_CODE_MAX, 'IGMPv2 Max Resp Time');
  if (version === 1) {
    if (seconds !== 0) throw new RangeError(`IGMPv1 queries carry no Max Resp Time (code 0), got ${seconds} seconds`);
    return 0;
  }
  throw new RangeError(`IGMP version must be 1, 2 or 3, got ${version}`);
}

/** QQIC to seconds (RFC 3376 section 4.1.7): the exponent form, in seconds (not tenths), 0-31744 s. */
export function decodeQqic(code: number): number {
  checkCode(code, 'QQIC');
  return decodeExpForm(code);
}

/** Seconds to QQIC: rounded up to the smallest code whose value is >= the request; RangeError beyond 31744 s. */
export function encodeQqi(seconds: number): number {
  return encodeExpForm(toUnits(seconds, 1, EXP_FORM_MAX, 'QQI'));
}

// ---------------------------------------------------------------------------------------------------------------
// Views

/**
 * Zero-copy view of one IGMP message. Rebind with `reset` per frame; getters return wire codes. The v3 query
 * getters (resv, s, qrv, qqic, numberOfSources, sourceCount, source) are meaningful when queryVersion === 3, the
 * v3 report getters (reserved2, numberOfGroupRecords, records) when typeCode is 0x22.
 */
export class IgmpView {
  buf: Uint8Array = EMPTY;
  /** Offset of the IGMP message in buf. */
  offset = 0;
  /** Length of the IGMP message: the IP payload, without link-layer padding. */
  length = 0;

    /**
   * Bind to buf[offset, offset + length). Throws TruncatedError (ERR_IGMP_TRUNCATED) below 8 bytes (4 for unknown
   * types) or when the message runs past buf.
   */
  reset(buf: Uint8Array, offset: number, length: number): this {
    if (!(offset >= 0)) throw new RangeError(`igmp: negative offset ${offset}`);
    const need = length >= UNKNOWN_HEADER_LEN && offset < buf.length && kindOf(buf[offset]!) === 'unknown' ? UNKNOWN_HEADER_LEN : HEADER_LEN;
    if (!(length >= need)) {
      throw new TruncatedError('igmp', IgmpErrorCode.Truncated, 0, `igmp: truncated header (${length} of ${need} bytes) at byte 0`);
    }
    if (offset + length > buf.length) {
      const have = Math.max(0, buf.length - offset);
      throw new TruncatedError('igmp', IgmpErrorCode.Truncated, have, `igmp: message of ${length} bytes ends after ${have} at byte ${have}`);
    }
    this.buf = buf;
    this.offset = offset;
    this.length = length;
    return this;
  }

  get typeCode(): number {
    return this.buf[this.offset + F.type]!;
  }
  get maxRespCode(): number {
    return this.buf[this.offset + F.maxRespCode]!;
  }
  get checksum(): number {
    return u16(this.buf, this.offset + F.checksum);
  }
  /** Group Address as an unsigned 32-bit number (not meaningful for v3 reports; 0 for a message under 8 bytes). */
  get group(): number {
    return this.length >= HEADER_LEN ? readIpv4(this.buf, this.offset + F.group) : 0;
  }
  /** Group Address as a signed 32-bit number (see readIpv4Bits). */
  get groupBits(): number {
    return this.length >= HEADER_LEN ? readIpv4Bits(this.buf, this.offset + F.group) : 0;
  }
  get type(): IgmpKind {
    return kindOf(this.typeCode);
  }
  /** Query version per RFC 3376 section 7.1; 0 when not a query or for a 9-11 byte query. */
  get queryVersion(): 0 | 1 | 2 | 3 {
    if (this.typeCode !== IgmpTypeCode.MembershipQuery) return 0;
    return queryVersionOf(this.length, this.maxRespCode);
  }
  /** Version of any message: queries by length, reports and leaves by type, 0 for unknown types. */
  get version(): 0 | 1 | 2 | 3 {
    switch (this.typeCode) {
      case IgmpTypeCode.MembershipQuery:
        return queryVersionOf(this.length, this.maxRespCode);
      case IgmpTypeCode.V1MembershipReport:
        return 1;
      case IgmpTypeCode.V2MembershipReport:
      case IgmpTypeCode.V2LeaveGroup:
        return 2;
      case IgmpTypeCode.V3MembershipReport:
        return 3;
      default:
        return 0;
    }
  }
  /** Whether the checksum over the whole message (length bytes, not padding) is right. */
  checksumValid(): boolean {
    return checksumValid(this.buf, this.offset, this.offset + this.length);
  }

  // v3 query
  get resv(): number {
    return this.buf[this.offset + F.resvSQrv]! >> QBITS.resvShift;
  }
  get s(): boolean {
    return (this.buf[this.offset + F.resvSQrv]! & QBITS.s) !== 0;
  }
  get qrv(): number {
    return this.buf[this.offset + F.resvSQrv]! & QBITS.qrv;
  }
  get qqic(): number {
    return this.buf[this.offset + F.qqic]!;
  }
  /** Number of Sources as on the wire (may lie). */
  get numberOfSources(): number {
    return u16(this.buf, this.offset + F.numberOfSources);
  }
  /** How many of the announced sources are inside the message: the safe bound for source(i). */
  get sourceCount(): number {
    return Math.min(this.numberOfSources, (this.length - F.sources) >> 2);
  }
  /** Source Address i (0-based) as an unsigned 32-bit number; i must be < sourceCount. */
  source(i: number): number {
    return readIpv4(this.buf, this.offset + F.sources + i * ADDR_LEN);
  }
  /** Source Address i as a signed 32-bit number (see readIpv4Bits). */
  sourceBits(i: number): number {
    return readIpv4Bits(this.buf, this.offset + F.sources + i * ADDR_LEN);
  }

  // v3 report
  get reserved2(): number {
    return u16(this.buf, this.offset + F.reserved2);
  }
  /** Number of Group Records as on the wire (may lie: the record walk stops at the end of the message). */
  get numberOfGroupRecords(): number {
    return u16(this.buf, this.offset + F.numberOfGroupRecords);
  }
  /** This view's own record cursor, reused for every frame: `for (let ok = v.firstRecord(rv); ok; ok = v.nextRecord(rv))`. */
  readonly records = new GroupRecordView();
  /** Bind `rv` to this message's group records and step to the first; false when there is none (or at a fault). */
  firstRecord(rv: GroupRecordView = this.records): boolean {
    return rv.reset(this.buf, this.offset, this.length).next();
  }
  /** Step `rv` to the next complete record; false at the end or at a fault (rv.errorCode, rv.error()). Never throws. */
  nextRecord(rv: GroupRecordView = this.records): boolean {
    return rv.next();
  }
}

/**
 * The group records of a v3 report, in bulk, into parallel arrays: record r has type types[r], group groups[r]
 * (signed 32-bit) and the sources sources[starts[r], starts[r] + counts[r]) (signed 32-bit). Stops at the first
 * record that does not fit in the message, as GroupRecordView does; returns how many records were read. The arrays
 * must have room for numberOfGroupRecords records and (length - 8) / 4 sources. For the membership table's message
 * builder: one loop reading bytes, where the cursor costs a call per field until V8 has optimised it (the first
 * several thousand messages of a replay).
 */
export function readGroupRecords(
  v: IgmpView,
  types: Uint8Array,
  groups: Int32Array,
  starts: Int32Array,
  counts: Int32Array,
  sources: Int32Array,
): number {
  const buf = v.buf;
  const end = v.offset + v.length;
  const n = u16(buf, v.offset + F.numberOfGroupRecords);
  let p = v.offset + F.records;
  let at = 0;
  for (let r = 0; r < n; r++) {
    if (p + RECORD_HEADER_LEN > end) return r;
    const ns = (buf[p + R.numberOfSources]! << 8) | buf[p + R.numberOfSources + 1]!;
    const sourcesEnd = p + R.sources + ns * ADDR_LEN;
    if (sourcesEnd + buf[p + R.auxDataLen]! * WORD_LEN > end) return r;
    types[r] = buf[p + R.recordType]!;
    groups[r] = (buf[p + R.group]! << 24) | (buf[p + R.group + 1]! << 16) | (buf[p + R.group + 2]! << 8) | buf[p + R.group + 3]!;
    starts[r] = at;
    counts[r] = ns;
    for (let q = p + R.sources; q < sourcesEnd; q += ADDR_LEN) sources[at++] = (buf[q]! << 24) | (buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!;
    p = sourcesEnd + buf[p + R.auxDataLen]! * WORD_LEN;
  }
  return n;
}

/**
 * A reusable cursor over the group records of an IGMPv3 report. `next()` steps to the next record and returns
 * true when a complete record (header, sources and aux data inside the message) is there. It returns false at the
 * end (errorCode null) or at a fault (errorCode set, errorOffset relative to the IGMP message); in both cases
 * `offset` is then where the undecoded bytes start (additional data, or the faulty record), and `index` is the
 * 1-based number of the faulty record after a fault. Nothing is allocated until `error()` is called.
 */
export class GroupRecordView {
  buf: Uint8Array = EMPTY;
  /** Offset of the IGMP message in buf (error offsets are relative to it). */
  base = 0;
  /** Offset just past the IGMP message in buf. */
  end = 0;
  /** Number of Group Records from the header. */
  count = 0;
  /** 1-based number of the current record; 0 before the first next(). */
  index = 0;
  /** Offset of the current record in buf (after next() returned false: of the first undecoded byte). */
  offset = 0;
  /** Offset in buf just past the current record (its sources and aux data): where the next record starts. */
  nextOffset = 0;
  errorCode: IgmpErrorCode | null = null;
  /** Offset of the fault relative to the start of the IGMP message. */
  errorOffset = 0;

  /** Bind to the IGMP message buf[offset, offset + length) (a v3 report); reads Number of Group Records. */
  reset(buf: Uint8Array, offset: number, length: number): this {
    if (!(length >= HEADER_LEN) || !(offset >= 0) || offset + length > buf.length) {
      throw new TruncatedError('igmp', IgmpErrorCode.Truncated, 0, `igmp: truncated header (${length} of ${HEADER_LEN} bytes) at byte 0`);
    }
    this.buf = buf;
    this.base = offset;
    this.end = offset + length;
    this.count = u16(buf, offset + F.numberOfGroupRecords);
    this.index = 0;
    this.offset = offset + F.records;
    this.nextOffset = this.offset;
    this.errorCode = null;
    this.errorOffset = 0;
    return this;
  }

  next(): boolean {
    if (this.errorCode !== null) return false;
    const start = this.nextOffset;
    this.offset = start;
    if (this.index >= this.count) return false;
    const buf = this.buf;
    const end = this.end;
    if (start + RECORD_HEADER_LEN > end) return this.fault(IgmpErrorCode.TruncatedRecord, start);
    const sourcesEnd = start + R.sources + u16(buf, start + R.numberOfSources) * ADDR_LEN;
    if (sourcesEnd > end) {
      const fit = (end - start - R.sources) >> 2;
      return this.fault(IgmpErrorCode.TruncatedSources, start + R.sources + fit * ADDR_LEN);
    }
    const recordEnd = sourcesEnd + buf[start + R.auxDataLen]! * WORD_LEN;
    if (recordEnd > end) return this.fault(IgmpErrorCode.TruncatedAux, sourcesEnd);
    this.index++;
    this.nextOffset = recordEnd;
    return true;
  }

  private fault(code: IgmpErrorCode, at: number): false {
    this.index++;
    this.errorCode = code;
    this.errorOffset = at - this.base;
    return false;
  }

  get recordType(): number {
    return this.buf[this.offset + R.recordType]!;
  }
  /** Aux Data Len in 32-bit words. */
  get auxDataLen(): number {
    return this.buf[this.offset + R.auxDataLen]!;
  }
  get numberOfSources(): number {
    return u16(this.buf, this.offset + R.numberOfSources);
  }
  /** Multicast Address as an unsigned 32-bit number. */
  get group(): number {
    return readIpv4(this.buf, this.offset + R.group);
  }
  /** Multicast Address as a signed 32-bit number (see readIpv4Bits). */
  get groupBits(): number {
    return readIpv4Bits(this.buf, this.offset + R.group);
  }
  /** Source Address i (0-based) as an unsigned 32-bit number; i < numberOfSources. */
  source(i: number): number {
    return readIpv4(this.buf, this.offset + R.sources + i * ADDR_LEN);
  }
  /** Source Address i as a signed 32-bit number (see readIpv4Bits). */
  sourceBits(i: number): number {
    return readIpv4Bits(this.buf, this.offset + R.sources + i * ADDR_LEN);
  }
  /** Offset in buf of the auxiliary data (auxDataLen * 4 bytes). */
  get auxDataOffset(): number {
    return this.offset + R.sources + this.numberOfSources * ADDR_LEN;
  }

  /** The fault the walk stopped at, as a WireError (allocated here, only when asked); null after a clean end. */
  error(): WireError | null {
    const at = this.errorOffset;
    const n = this.index;
    switch (this.errorCode) {
      case null:
        return null;
      case IgmpErrorCode.TruncatedSources: {
        const first = (at - (this.offset - this.base) - R.sources) / ADDR_LEN + 1;
        return new TruncatedError('igmp', this.errorCode, at,
          `igmp: truncated source address ${first} of ${this.numberOfSources} in group record ${n} at byte ${at}`);
      }
      case IgmpErrorCode.TruncatedAux:
        return new TruncatedError('igmp', this.errorCode, at,
          `igmp: truncated auxiliary data (${this.auxDataLen} words) of group record ${n} at byte ${at}`);
      default:
        return new TruncatedError('igmp', this.errorCode, at, `igmp: truncated group record ${n} at byte ${at}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parse

export interface IgmpParseResult {
  /** Everything decoded; after a fault, everything decoded before it (the rest of the bytes in `extra`). */
  repr: IgmpRepr;
  error: WireError | null;
}

function addr(buf: Uint8Array, at: number): string {
  return ipv4ToString(readIpv4(buf, at));
}

/** Bytes [from, end) copied (the view's buffer is reused per frame), or undefined when there are none. */
function tail(buf: Uint8Array, from: number, end: number): Uint8Array | undefined {
  return from < end ? buf.slice(from, end) : undefined;
}

const sharedRecords = new GroupRecordView();

/** Decode the message the view is bound to. Never throws for any bytes the view accepted. */
export function parseIgmp(view: IgmpView): IgmpParseResult {
  const { buf, offset: o, length } = view;
  const end = o + length;
  const typeCode = view.typeCode;
  const type = kindOf(typeCode);
  const maxRespCode = view.maxRespCode;
  const checksum = view.checksum;
  const checksumOk = view.checksumValid();

  if (typeCode === IgmpTypeCode.MembershipQuery) {
    const version = queryVersionOf(length, maxRespCode);
    const group = addr(buf, o + F.group);
    if (version === 1 || version === 2) {
      const repr: IgmpRepr = { version, type, typeCode, maxRespCode, maxRespTime: decodeMaxRespCode(maxRespCode, version), group, checksum, checksumOk };
      return { repr, error: null };
    }
    if (version === 0) {
      // 9-11 bytes: RFC 3376 section 7.1 says ignore it; report it and keep the bytes.
      const repr: IgmpRepr = { version, type, typeCode, maxRespCode, group, checksum, checksumOk };
      const extra = tail(buf, o + HEADER_LEN, end);
      if (extra !== undefined) repr.extra = extra;
      const error = new MalformedError('igmp', IgmpErrorCode.QueryLength, HEADER_LEN,
        `igmp: query of ${length} bytes is neither v1/v2 (8) nor v3 (12 or more) at byte ${HEADER_LEN}`);
      return { repr, error };
    }
    const repr: IgmpRepr = { version, type, typeCode, maxRespCode, maxRespTime: decodeMaxRespCode(maxRespCode, 3), group, checksum, checksumOk };
    const resv = view.resv;
    if (resv !== 0) repr.resv = resv;
    repr.s = view.s;
    repr.qrv = view.qrv;
    repr.qqic = view.qqic;
    repr.qqi = decodeQqic(repr.qqic);
    const announced = view.numberOfSources;
    const fit = view.sourceCount;
    const sources: string[] = [];
    for (let i = 0; i < fit; i++) sources.push(ipv4ToString(view.source(i)));
    if (fit !== announced) repr.numberOfSources = announced;
    repr.sources = sources;
    const stop = F.sources + fit * ADDR_LEN;
    const extra = tail(buf, o + stop, end);
    if (extra !== undefined) repr.extra = extra;
    const error = fit === announced ? null : new TruncatedError('igmp', IgmpErrorCode.TruncatedSources, stop,
      `igmp: truncated source address ${fit + 1} of ${announced} at byte ${stop}`);
    return { repr, error };
  }

  if (typeCode === IgmpTypeCode.V3MembershipReport) {
    const repr: IgmpRepr = { version: 3, type, typeCode, maxRespCode, group: '0.0.0.0', checksum, checksumOk };
    const reserved2 = view.reserved2;
    if (reserved2 !== 0) repr.reserved2 = reserved2;
    const rv = sharedRecords.reset(buf, o, length);
    const records: GroupRecordRepr[] = [];
    while (rv.next()) {
      const sources: string[] = [];
      for (let i = 0, n = rv.numberOfSources; i < n; i++) sources.push(ipv4ToString(rv.source(i)));
      const rtype = rv.recordType;
      const auxLen = rv.auxDataLen;
      const record: GroupRecordRepr = { type: recordTypeName(rtype), typeCode: rtype, group: ipv4ToString(rv.group), sources, auxLen };
      if (auxLen > 0) record.auxData = buf.slice(rv.auxDataOffset, rv.nextOffset);
      records.push(record);
    }
    if (records.length !== rv.count) repr.numberOfGroupRecords = rv.count;
    repr.records = records;
    const extra = tail(buf, rv.offset, end);
    if (extra !== undefined) repr.extra = extra;
    const error = rv.error();
    rv.buf = EMPTY; // do not keep the caller's buffer alive
    return { repr, error };
  }

  // v1/v2 reports and leaves: the 8-byte header; unknown types: the 4-byte one. The rest kept raw.
  const version = type === 'unknown' ? 0 : typeCode === IgmpTypeCode.V1MembershipReport ? 1 : 2;
  const group = length >= HEADER_LEN ? addr(buf, o + F.group) : '0.0.0.0';
  const repr: IgmpRepr = { version, type, typeCode, maxRespCode, group, checksum, checksumOk };
  const extra = tail(buf, o + (type === 'unknown' ? UNKNOWN_HEADER_LEN : HEADER_LEN), end);
  if (extra !== undefined) repr.extra = extra;
  return { repr, error: null };
}

// ---------------------------------------------------------------------------------------------------------------
// Emit

function isV3Query(repr: IgmpRepr): boolean {
  return repr.typeCode === IgmpTypeCode.MembershipQuery && repr.version === 3;
}

function recordLength(rec: GroupRecordRepr): number {
  return RECORD_HEADER_LEN + rec.sources.length * ADDR_LEN + (rec.auxData?.length ?? 0);
}

/** Bytes emitIgmp will write for this repr. */
export function igmpLength(repr: IgmpRepr): number {
  let len = HEADER_LEN;
  if (kindOf(repr.typeCode) === 'unknown') {
    len = UNKNOWN_HEADER_LEN;
  } else if (isV3Query(repr)) {
    len = V3_QUERY_MIN_LEN + (repr.sources?.length ?? 0) * ADDR_LEN;
  } else if (repr.typeCode === IgmpTypeCode.V3MembershipReport) {
    for (const rec of repr.records ?? []) len += recordLength(rec);
  }
  return len + (repr.extra?.length ?? 0);
}

function checkUint(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`igmp: ${what} must be an integer 0-${max}, got ${value}`);
  return value;
}

function put16(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value >> 8;
  buf[at + 1] = value & 0xff;
}

/**
 * Write the message at buf[offset..]; returns the bytes written (igmpLength(repr)). Absent counts, Aux Data Len and
 * checksum are computed (the checksum last, over the whole message including extra); given ones are written as
 * they are. RangeError when a field is out of range or buf is too short.
 */
export function emitIgmp(repr: IgmpRepr, buf: Uint8Array, offset: number): number {
  const len = igmpLength(repr);
  if (!Number.isInteger(offset) || offset < 0 || offset + len > buf.length) {
    throw new RangeError(`igmp: ${len} bytes do not fit at offset ${offset} of a ${buf.length}-byte buffer`);
  }
  const o = offset;
  buf[o + F.type] = checkUint(repr.typeCode, 0xff, 'typeCode');
  buf[o + F.maxRespCode] = checkUint(repr.maxRespCode, 0xff, 'maxRespCode');
  put16(buf, o + F.checksum, 0);
  let at: number;
  if (repr.typeCode === IgmpTypeCode.V3MembershipReport) {
    const records = repr.records ?? [];
    put16(buf, o + F.reserved2, checkUint(repr.reserved2 ?? 0, 0xffff, 'reserved2'));
    put16(buf, o + F.numberOfGroupRecords, checkUint(repr.numberOfGroupRecords ?? records.length, 0xffff, 'numberOfGroupRecords'));
    at = o + F.records;
    for (const rec of records) at = emitRecord(rec, buf, at);
  } else if (kindOf(repr.typeCode) === 'unknown') {
    at = o + UNKNOWN_HEADER_LEN;
  } else {
    writeIpv4(buf, o + F.group, ipv4FromString(repr.group));
    at = o + HEADER_LEN;
    if (isV3Query(repr)) {
      const sources = repr.sources ?? [];
      const qqic = repr.qqic ?? (repr.qqi !== undefined ? encodeQqi(repr.qqi) : 0);
      buf[o + F.resvSQrv] = (checkUint(repr.resv ?? 0, QBITS.resvMax, 'resv') << QBITS.resvShift)
        | (repr.s === true ? QBITS.s : 0) | checkUint(repr.qrv ?? 0, QBITS.qrv, 'qrv');
      buf[o + F.qqic] = checkUint(qqic, 0xff, 'qqic');
      put16(buf, o + F.numberOfSources, checkUint(repr.numberOfSources ?? sources.length, 0xffff, 'numberOfSources'));
      at = o + F.sources;
      for (const s of sources) {
        writeIpv4(buf, at, ipv4FromString(s));
        at += ADDR_LEN;
      }
    }
  }
  if (repr.extra !== undefined) {
    buf.set(repr.extra, at);
    at += repr.extra.length;
  }
  const checksum = repr.checksum ?? internetChecksum(buf, o, o + len);
  put16(buf, o + F.checksum, checkUint(checksum, 0xffff, 'checksum'));
  return len;
}

function emitRecord(rec: GroupRecordRepr, buf: Uint8Array, start: number): number {
  const aux = rec.auxData ?? EMPTY;
  if (rec.auxLen === undefined && aux.length % WORD_LEN !== 0) {
    throw new RangeError(`igmp: auxData of group ${rec.group} is ${aux.length} bytes, not a multiple of ${WORD_LEN}`);
  }
  buf[start + R.recordType] = checkUint(rec.typeCode, 0xff, 'record typeCode');
  buf[start + R.auxDataLen] = checkUint(rec.auxLen ?? aux.length / WORD_LEN, 0xff, 'auxLen');
  put16(buf, start + R.numberOfSources, checkUint(rec.numberOfSources ?? rec.sources.length, 0xffff, 'record numberOfSources'));
  writeIpv4(buf, start + R.group, ipv4FromString(rec.group));
  let at = start + R.sources;
  for (const s of rec.sources) {
    writeIpv4(buf, at, ipv4FromString(s));
    at += ADDR_LEN;
  }
  buf.set(aux, at);
  return at + aux.length;
}

/** The message as a new Uint8Array of igmpLength(repr) bytes. */
export function encodeIgmp(repr: IgmpRepr): Uint8Array {
  const out = new Uint8Array(igmpLength(repr));
  emitIgmp(repr, out, 0);
  return out;
}
