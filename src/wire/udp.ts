/**
 * UDP codec (RFC 768), checksum over the IPv4 pseudo-header (RFC 768 "Fields"; RFC 1071 for the sum).
 *
 * Hand-written rather than with buffer-layout for the same measured reasons as ipv4.ts (shared/style.md), and because
 * the checksum needs the pseudo-header, which no layout description covers.
 *
 * The view checks once in reset(): 8 header bytes present and the length field at least 8. A length field beyond
 * the given bytes is a snap-length cut or a fragment (`payloadTruncated`), unless the caller says the region is the
 * whole datagram (`complete`), in which case it is a lie. The payload is [8, min(length, available)).
 * checksumValid() is null when the checksum field is 0 (the sender did not compute one, RFC 768) and also when the
 * datagram is truncated: the bytes the checksum covers are not all there, so it can be neither confirmed nor refuted.
 * Error offsets count from the first byte of the UDP header.
 */
import { MalformedError, TruncatedError } from '../errors.js';
import { checksumValid, finishChecksum, sumWords } from './checksum.js';
import { checkRegion, checkU16, put16 } from './ethernet.js';

/** Field offsets (RFC 768). */
const F = { srcPort: 0, dstPort: 2, length: 4, checksum: 6, payload: 8 } as const;
export const UDP_HEADER_LENGTH = F.payload;
const IPPROTO_UDP = 17;

/** The pseudo-header's contribution to the sum (RFC 768): source, destination, zero + protocol 17, UDP length. */
export function udpPseudoHeaderSum(srcIp: number, dstIp: number, udpLength: number): number {
  return (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + IPPROTO_UDP + udpLength;
}

/** Zero-copy view over a UDP datagram; rebind it to each datagram with reset(). */
export class UdpView {
  private buf: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private available = 0;
  private len = 0;

  /**
   * Bind to buf[offset, offset+length) (the IP payload). Throws ERR_UDP_TRUNCATED (fewer than 8 bytes) or
   * ERR_UDP_BAD_LENGTH (length field below 8; or, when `complete`, above `length`). Pass `complete` only when the
   * region is the whole datagram: the IP datagram was not cut by the snap length and is not a fragment.
   */
  reset(buf: Uint8Array, offset: number, length: number, complete = false): this {
    checkRegion(buf, offset, length);
    if (length < F.payload) {
      throw new TruncatedError('udp', 'ERR_UDP_TRUNCATED', 0, `udp: header needs ${F.payload} bytes, captured ${length} at byte 0`);
    }
    const len = (buf[offset + F.length]! << 8) | buf[offset + F.length + 1]!;
    if (len < F.payload) {
      throw new MalformedError('udp', 'ERR_UDP_BAD_LENGTH', F.length, `udp: length ${len} is below the 8-byte header at byte ${F.length}`);
    }
    if (complete && len > length) {
      throw new MalformedError('udp', 'ERR_UDP_BAD_LENGTH', F.length, `udp: length ${len} exceeds the ${length}-byte datagram at byte ${F.length}`);
    }
    this.buf = buf;
    this.offset = offset;
    this.available = length;
    this.len = len;
    return this;
  }

  get buffer(): Uint8Array {
    return this.buf;
  }

  get headerOffset(): number {
    return this.offset;
  }

  get srcPort(): number {
    return (this.buf[this.offset]! << 8) | this.buf[this.offset + 1]!;
  }

  get dstPort(): number {
    return (this.buf[this.offset + F.dstPort]! << 8) | this.buf[this.offset + F.dstPort + 1]!;
  }

  /** The length field: header plus data, in bytes. */
  get length(): number {
    return this.len;
  }

  get checksum(): number {
    return (this.buf[this.offset + F.checksum]! << 8) | this.buf[this.offset + F.checksum + 1]!;
  }

  get payloadOffset(): number {
    return this.offset + F.payload;
  }

  /** min(length field, available) - 8: bytes after the datagram (IP payload beyond it) are not payload. */
  get payloadLength(): number {
    return (this.len < this.available ? this.len : this.available) - F.payload;
  }

  /** The length field runs past the available bytes (snap length, or a first fragment). */
  get payloadTruncated(): boolean {
    return this.len > this.available;
  }

  /**
   * True or false when the checksum can be verified; null when the field is 0 (not computed by the sender) or the
   * datagram is truncated (the covered bytes are not all present).
   */
  checksumValid(srcIp: number, dstIp: number): boolean | null {
    if (this.checksum === 0 || this.len > this.available) return null;
    return checksumValid(this.buf, this.offset, this.offset + this.len, udpPseudoHeaderSum(srcIp, dstIp, this.len));
  }
}

/**
 * A UDP header. On emit: absent `length` and `checksum` are computed (a given value is written verbatim: a lying
 * length or a wrong checksum on purpose; 0 means "no checksum"). `checksumOk` is set by parse and ignored by emit.
 */
export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  length?: number;
  checksum?: number;
  /** Parse: null when the checksum field is 0 or the datagram is truncated (see UdpView.checksumValid). */
  checksumOk?: boolean | null;
}

export type ParsedUdpRepr = Required<UdpRepr>;

/** Allocates the repr (not the payload: read it at view.payloadOffset). */
export function parseUdp(v: UdpView, srcIp: number, dstIp: number): ParsedUdpRepr {
  return {
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    length: v.length,
    checksum: v.checksum,
    checksumOk: v.checksumValid(srcIp, dstIp),
  };
}

/** Bytes emitUdp writes: 8 + the payload. */
export function udpLength(payloadLength: number): number {
  return F.payload + payloadLength;
}

/**
 * Write header and payload at buf[offset]; returns the bytes written. A computed checksum covers what a receiver
 * would verify: the pseudo-header with the length field's value and the bytes the length field spans (all bytes
 * written when it claims more); a computed 0 is sent as 0xffff (RFC 768: 0 means "no checksum").
 */
export function emitUdp(repr: UdpRepr, payload: Uint8Array, srcIp: number, dstIp: number, buf: Uint8Array, offset: number): number {
  const written = F.payload + payload.length;
  const len = repr.length ?? written;
  checkU16(len, 'udp length');
  checkU16(repr.srcPort, 'udp srcPort');
  checkU16(repr.dstPort, 'udp dstPort');
  put16(buf, offset + F.srcPort, repr.srcPort);
  put16(buf, offset + F.dstPort, repr.dstPort);
  put16(buf, offset + F.length, len);
  put16(buf, offset + F.checksum, 0);
  buf.set(payload, offset + F.payload);
  let checksum = repr.checksum;
  if (checksum === undefined) {
    const covered = len >= F.payload && len <= written ? len : written;
    checksum = finishChecksum(sumWords(buf, offset, offset + covered, udpPseudoHeaderSum(srcIp >>> 0, dstIp >>> 0, len)));
    if (checksum === 0) checksum = 0xffff;
  }
  checkU16(checksum, 'udp checksum');
  put16(buf, offset + F.checksum, checksum);
  return written;
}

export function encodeUdp(repr: UdpRepr, payload: Uint8Array, srcIp: number, dstIp: number): Uint8Array {
  const out = new Uint8Array(udpLength(payload.length));
  emitUdp(repr, payload, srcIp, dstIp, out, 0);
  return out;
}
