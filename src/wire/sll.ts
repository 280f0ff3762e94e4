/**
 * Linux "cooked" capture headers: SLL (LINKTYPE_LINUX_SLL 113, 16 bytes) and SLL2 (LINKTYPE_LINUX_SLL2 276,
 * 20 bytes, what `tcpdump -i any` writes since libpcap 1.10). Field layout per libpcap's pcap/sll.h and the
 * tcpdump.org link-type pages. All fields are big-endian.
 *
 *   SLL:  packet type (2) | ARPHRD type (2) | address length (2) | address (8) | protocol (2)
 *   SLL2: protocol (2) | reserved (2) | interface index (4) | ARPHRD type (2) | packet type (1) | address length (1)
 *         | address (8)
 *
 * Hand-written like the other codecs (shared/style.md's measured figures). The views check only that the fixed
 * header is there; the address length is data (it may exceed the 8-byte field, e.g. InfiniBand's 20-byte addresses,
 * of which the field keeps the first 8). `protocol` is the header field: usually an EtherType; when it is a VLAN TPID
 * the tag's TCI and the inner type follow the header (libpcap re-inserts a stripped tag this way for SLL), which
 * `VlanStack` from ethernet.ts can walk. For some ARPHRD types it is not an EtherType (libpcap documents 1 = Novell
 * 802.3, 4 = 802.2 LLC, and netlink families for ARPHRD_NETLINK); it is returned as a number either way.
 * Error offsets count from the first byte of the cooked header.
 */
import { TruncatedError } from '../errors.js';
import { checkRegion, checkU16, checkU8, put16 } from './ethernet.js';

const SLL = { packetType: 0, arphrdType: 2, addressLength: 4, address: 6, protocol: 14, payload: 16 } as const;
const SLL2 = {
  protocol: 0,
  reserved: 2,
  ifindex: 4,
  arphrdType: 8,
  packetType: 10,
  addressLength: 11,
  address: 12,
  payload: 20,
} as const;
export const SLL_HEADER_LENGTH = SLL.payload;
export const SLL2_HEADER_LENGTH = SLL2.payload;
/** The address field is 8 bytes in both headers. */
const ADDRESS_FIELD = 8;

/** Packet types (linux/if_packet.h PACKET_*): who the frame was for, or that we sent it. */
export const SllPacketTypeCode = {
  host: 0,
  broadcast: 1,
  multicast: 2,
  otherhost: 3,
  outgoing: 4,
  loopback: 5,
  user: 6,
  kernel: 7,
} as const;
export type SllPacketTypeName = keyof typeof SllPacketTypeCode;
const PACKET_TYPE_NAMES = Object.keys(SllPacketTypeCode) as SllPacketTypeName[];

/** A few ARPHRD_* values (linux/if_arp.h) met in cooked captures. */
export const ArphrdType = { ETHER: 1, IEEE802: 6, LOOPBACK: 772, SIT: 776, IPGRE: 778, NETLINK: 824, NONE: 0xfffe } as const;

export function packetTypeName(code: number): SllPacketTypeName | 'unknown' {
  return code >= 0 && code < PACKET_TYPE_NAMES.length ? PACKET_TYPE_NAMES[code]! : 'unknown';
}

/** Zero-copy view over an SLL (v1) header. */
export class SllView {
  private buf: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private length = 0;

  /** Bind to buf[offset, offset+length). Throws TruncatedError ERR_SLL_TRUNCATED below 16 bytes. */
  reset(buf: Uint8Array, offset: number, length: number): this {
    checkRegion(buf, offset, length);
    if (length < SLL.payload) {
      throw new TruncatedError('sll', 'ERR_SLL_TRUNCATED', 0, `sll: header needs ${SLL.payload} bytes, captured ${length} at byte 0`);
    }
    this.buf = buf;
    this.offset = offset;
    this.length = length;
    return this;
  }

  get buffer(): Uint8Array {
    return this.buf;
  }

  get headerOffset(): number {
    return this.offset;
  }

  /** PACKET_* code (see SllPacketTypeCode). */
  get packetType(): number {
    return this.u16(SLL.packetType);
  }

  get arphrdType(): number {
    return this.u16(SLL.arphrdType);
  }

  /** The length field; the address field holds min(this, 8) bytes of it. */
  get addressLength(): number {
    return this.u16(SLL.addressLength);
  }

  /** Absolute offset of the 8-byte address field. */
  get addrOffset(): number {
    return this.offset + SLL.address;
  }

  /** The protocol type field (an EtherType, or a VLAN TPID when a tag follows the header). */
  get protocol(): number {
    return this.u16(SLL.protocol);
  }

  get headerLength(): number {
    return SLL.payload;
  }

  get payloadOffset(): number {
    return this.offset + SLL.payload;
  }

  get payloadLength(): number {
    return this.length - SLL.payload;
  }

  private u16(field: number): number {
    const at = this.offset + field;
    return (this.buf[at]! << 8) | this.buf[at + 1]!;
  }
}

/** Zero-copy view over an SLL2 header. */
export class Sll2View {
  private buf: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private length = 0;

  /** Bind to buf[offset, offset+length). Throws TruncatedError ERR_SLL_TRUNCATED (layer 'sll2') below 20 bytes. */
  reset(buf: Uint8Array, offset: number, length: number): this {
    checkRegion(buf, offset, length);
    if (length < SLL2.payload) {
      throw new TruncatedError('sll2', 'ERR_SLL_TRUNCATED', 0, `sll2: header needs ${SLL2.payload} bytes, captured ${length} at byte 0`);
    }
    this.buf = buf;
    this.offset = offset;
    this.length = length;
    return this;
  }

  get buffer(): Uint8Array {
    return this.buf;
  }

  get headerOffset(): number {
    return this.offset;
  }

  get protocol(): number {
    return this.u16(SLL2.protocol);
  }

  /** Reserved (must be zero). */
  get reserved(): number {
    return this.u16(SLL2.reserved);
  }

  /** Interface index of the capturing namespace (unsigned). */
  get ifindex(): number {
    const at = this.offset + SLL2.ifindex;
    return ((this.buf[at]! << 24) | (this.buf[at + 1]! << 16) | (this.buf[at + 2]! << 8) | this.buf[at + 3]!) >>> 0;
  }

  get arphrdType(): number {
    return this.u16(SLL2.arphrdType);
  }

  /** PACKET_* code (see SllPacketTypeCode). */
  get packetType(): number {
    return this.buf[this.offset + SLL2.packetType]!;
  }

  get addressLength(): number {
    return this.buf[this.offset + SLL2.addressLength]!;
  }

  get addrOffset(): number {
    return this.offset + SLL2.address;
  }

  get headerLength(): number {
    return SLL2.payload;
  }

  get payloadOffset(): number {
    return this.offset + SLL2.payload;
  }

  get payloadLength(): number {
    return this.length - SLL2.payload;
  }

  private u16(field: number): number {
    const at = this.offset + field;
    return (this.buf[at]! << 8) | this.buf[at + 1]!;
  }
}

/**
 * An SLL header. `address` is lower-case colon-separated hex of the first min(addressLength, 8) bytes (a MAC's
 * usual form when there are 6; '' when none). On emit: `packetTypeCode` wins over `packetType` when given;
 * absent `addressLength` is the number of bytes in `address`; `addressPad` (parse sets it only when the address
 * field's unused bytes are not all zero) is written after the address, the rest of the field is zeroed.
 */
export interface SllRepr {
  packetType: SllPacketTypeName | 'unknown';
  packetTypeCode?: number;
  arphrdType: number;
  addressLength?: number;
  address: string;
  addressPad?: Uint8Array;
  protocol: number;
}

/** SLL2 adds the interface index and a reserved field (absent on emit: 0). */
export interface Sll2Repr extends SllRepr {
  ifindex: number;
  reserved?: number;
}

export type ParsedSllRepr = SllRepr & { packetTypeCode: number; addressLength: number };
export type ParsedSll2Repr = Sll2Repr & { packetTypeCode: number; addressLength: number; reserved: number };

export function parseSll(v: SllView): ParsedSllRepr {
  const code = v.packetType;
  const out: ParsedSllRepr = {
    packetType: packetTypeName(code),
    packetTypeCode: code,
    arphrdType: v.arphrdType,
    addressLength: v.addressLength,
    address: '',
    protocol: v.protocol,
  };
  readAddress(v.buffer, v.addrOffset, v.addressLength, out);
  return out;
}

export function parseSll2(v: Sll2View): ParsedSll2Repr {
  const code = v.packetType;
  const out: ParsedSll2Repr = {
    packetType: packetTypeName(code),
    packetTypeCode: code,
    arphrdType: v.arphrdType,
    addressLength: v.addressLength,
    address: '',
    protocol: v.protocol,
    ifindex: v.ifindex,
    reserved: v.reserved,
  };
  readAddress(v.buffer, v.addrOffset, v.addressLength, out);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function readAddress(buf: Uint8Array, at: number, addressLength: number, out: SllRepr): void {
  const n = addressLength < ADDRESS_FIELD ? addressLength : ADDRESS_FIELD;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(HEX[buf[at + i]!]!);
  out.address = parts.join(':');
  for (let i = n; i < ADDRESS_FIELD; i++) {
    if (buf[at + i] !== 0) {
      out.addressPad = buf.slice(at + n, at + ADDRESS_FIELD);
      break;
    }
  }
}

const HEX_BYTE = /^[0-9a-f]{2}$/i;

/** "02:00:00:00:00:0a" -> bytes; '' -> none. RangeError on anything else or more than 8 bytes. */
function addressBytes(text: string): Uint8Array {
  if (text === '') return new Uint8Array(0);
  const parts = text.split(':');
  if (parts.length > ADDRESS_FIELD || !parts.every((p) => HEX_BYTE.test(p))) {
    throw new RangeError(`sll: address ${JSON.stringify(text)} is not 0-8 colon-separated hex bytes`);
  }
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** The address field's 8 bytes and the address length to write; RangeError when they do not fit. */
function addressField(repr: SllRepr): { field: Uint8Array; addressLength: number } {
  const bytes = addressBytes(repr.address);
  const pad = repr.addressPad ?? new Uint8Array(0);
  if (bytes.length + pad.length > ADDRESS_FIELD) {
    throw new RangeError(`sll: address (${bytes.length} bytes) and addressPad (${pad.length}) exceed the 8-byte field`);
  }
  const field = new Uint8Array(ADDRESS_FIELD);
  field.set(bytes, 0);
  field.set(pad, bytes.length);
  return { field, addressLength: repr.addressLength ?? bytes.length };
}

function packetTypeCodeOf(repr: SllRepr): number {
  if (repr.packetTypeCode !== undefined) return repr.packetTypeCode;
  if (repr.packetType === 'unknown') throw new RangeError(`sll: packetType 'unknown' needs a packetTypeCode`);
  return SllPacketTypeCode[repr.packetType];
}

export function sllLength(_repr?: SllRepr): number {
  return SLL.payload;
}

export function sll2Length(_repr?: Sll2Repr): number {
  return SLL2.payload;
}

/** Write the 16-byte header at buf[offset]; returns 16. */
export function emitSll(repr: SllRepr, buf: Uint8Array, offset: number): number {
  const code = packetTypeCodeOf(repr);
  checkU16(code, 'sll packetTypeCode');
  checkU16(repr.arphrdType, 'sll arphrdType');
  checkU16(repr.protocol, 'sll protocol');
  const { field, addressLength } = addressField(repr);
  checkU16(addressLength, 'sll addressLength');
  put16(buf, offset + SLL.packetType, code);
  buf.set(field, offset + SLL.address);
  put16(buf, offset + SLL.arphrdType, repr.arphrdType);
  put16(buf, offset + SLL.addressLength, addressLength);
  put16(buf, offset + SLL.protocol, repr.protocol);
  return SLL.payload;
}

/** Write the 20-byte header at buf[offset]; returns 20. */
export function emitSll2(repr: Sll2Repr, buf: Uint8Array, offset: number): number {
  const code = packetTypeCodeOf(repr);
  checkU8(code, 'sll2 packetTypeCode');
  checkU16(repr.arphrdType, 'sll2 arphrdType');
  checkU16(repr.protocol, 'sll2 protocol');
  const reserved = repr.reserved ?? 0;
  checkU16(reserved, 'sll2 reserved');
  if (!(Number.isInteger(repr.ifindex) && repr.ifindex >= 0 && repr.ifindex <= 0xffffffff)) {
    throw new RangeError(`sll2 ifindex ${repr.ifindex} is not a 32-bit unsigned value`);
  }
  const { field, addressLength } = addressField(repr);
  checkU8(addressLength, 'sll2 addressLength');
  put16(buf, offset + SLL2.protocol, repr.protocol);
  buf.set(field, offset + SLL2.address);
  put16(buf, offset + SLL2.reserved, reserved);
  put16(buf, offset + SLL2.ifindex, repr.ifindex >>> 16);
  put16(buf, offset + SLL2.ifindex + 2, repr.ifindex & 0xffff);
  put16(buf, offset + SLL2.arphrdType, repr.arphrdType);
  buf[offset + SLL2.packetType] = code;
  buf[offset + SLL2.addressLength] = addressLength;
  return SLL2.payload;
}

export function encodeSll(repr: SllRepr, payload?: Uint8Array): Uint8Array {
  const out = new Uint8Array(SLL.payload + (payload?.length ?? 0));
  emitSll(repr, out, 0);
  if (payload !== undefined) out.set(payload, SLL.payload);
  return out;
}

export function encodeSll2(repr: Sll2Repr, payload?: Uint8Array): Uint8Array {
  const out = new Uint8Array(SLL2.payload + (payload?.length ?? 0));
  emitSll2(repr, out, 0);
  if (payload !== undefined) out.set(payload, SLL2.payload);
  return out;
}
