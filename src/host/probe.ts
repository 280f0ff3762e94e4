/**
 * The probe header `mcast send` puts at the start of each datagram by default, so that `mcast listen` can count
 * per sender: lost, duplicated and reordered datagrams and one-way delay. mcastkit's own format (no RFC), all
 * fields big-endian:
 *
 *   0  magic         4  "MCKP" (0x4d434b50)
 *   4  version       1  1
 *   5  flags         1  0 (reserved, kept as data)
 *   6  headerLength  2  24; a later version may grow the header, the payload starts here
 *   8  senderId      4  random per sending process: a restarted sender is a new stream
 *  12  sequence      4  0, 1, 2, ... per sender, wrapping at 2^32
 *  16  sendTime      8  microseconds since the Unix epoch when the datagram was handed to the kernel
 *
 * A datagram that is not a probe (another application's traffic) is normal, so the view's check answers a boolean
 * instead of throwing.
 */

export const PROBE_MAGIC = 0x4d434b50;
export const PROBE_VERSION = 1;

const F = {
  magic: 0,
  version: 4,
  flags: 5,
  headerLength: 6,
  senderId: 8,
  sequence: 12,
  sendTime: 16,
  end: 24,
} as const;

export const PROBE_HEADER_LENGTH = F.end;
const TWO32 = 0x1_0000_0000;

function rd32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** A rebindable view over a datagram that may start with a probe header. */
export class ProbeView {
  private buf: Uint8Array = new Uint8Array(0);
  private off = 0;
  private len = 0;

  /** Bind to buf[offset, offset+length); true when it holds a probe header (the one length and magic check). */
  reset(buf: Uint8Array, offset: number, length: number): boolean {
    this.buf = buf;
    this.off = offset;
    this.len = length;
    if (length < F.end || offset + length > buf.length) return false;
    if (rd32(buf, offset + F.magic) !== PROBE_MAGIC) return false;
    const hl = (buf[offset + F.headerLength]! << 8) | buf[offset + F.headerLength + 1]!;
    return hl >= F.end && hl <= length;
  }

  get version(): number {
    return this.buf[this.off + F.version]!;
  }
  get flags(): number {
    return this.buf[this.off + F.flags]!;
  }
  get headerLength(): number {
    return (this.buf[this.off + F.headerLength]! << 8) | this.buf[this.off + F.headerLength + 1]!;
  }
  get senderId(): number {
    return rd32(this.buf, this.off + F.senderId);
  }
  get sequence(): number {
    return rd32(this.buf, this.off + F.sequence);
  }
  get sendTimeUs(): number {
    return rd32(this.buf, this.off + F.sendTime) * TWO32 + rd32(this.buf, this.off + F.sendTime + 4);
  }
  /** Bytes after the header. */
  get payloadLength(): number {
    return this.len - this.headerLength;
  }
}

export interface ProbeRepr {
  /** Absent on emit: PROBE_VERSION. */
  version?: number;
  /** Absent on emit: 0. */
  flags?: number;
  /** Absent on emit: 24 (the header this version writes). A given value is emitted verbatim. */
  headerLength?: number;
  senderId: number;
  sequence: number;
  /** Microseconds since the Unix epoch (integer, below 2^53). */
  sendTimeUs: number;
}

export function parseProbe(view: ProbeView): ProbeRepr {
  return {
    version: view.version,
    flags: view.flags,
    headerLength: view.headerLength,
    senderId: view.senderId,
    sequence: view.sequence,
    sendTimeUs: view.sendTimeUs,
  };
}

/** Bytes this version writes; a larger headerLength is a field value, the bytes after 24 are the caller's. */
export function probeLength(_repr: ProbeRepr): number {
  return F.end;
}

/** Write the header at buf[offset]; returns the bytes written (24). */
export function emitProbe(repr: ProbeRepr, buf: Uint8Array, offset: number): number {
  if (offset + F.end > buf.length) throw new RangeError(`probe header needs ${F.end} bytes at offset ${offset}`);
  wr32(buf, offset + F.magic, PROBE_MAGIC);
  buf[offset + F.version] = repr.version ?? PROBE_VERSION;
  buf[offset + F.flags] = repr.flags ?? 0;
  const hl = repr.headerLength ?? F.end;
  buf[offset + F.headerLength] = hl >>> 8;
  buf[offset + F.headerLength + 1] = hl & 0xff;
  wr32(buf, offset + F.senderId, repr.senderId >>> 0);
  wr32(buf, offset + F.sequence, repr.sequence >>> 0);
  const t = repr.sendTimeUs;
  wr32(buf, offset + F.sendTime, Math.floor(t / TWO32) >>> 0);
  wr32(buf, offset + F.sendTime + 4, t % TWO32 >>> 0);
  return F.end;
}

export function encodeProbe(repr: ProbeRepr): Uint8Array {
  const out = new Uint8Array(probeLength(repr));
  emitProbe(repr, out, 0);
  return out;
}

/**
 * Hot-path stamp for the sender: rewrite only sequence and send time of a header already emitted at buf[offset].
 */
export function stampProbe(buf: Uint8Array, offset: number, sequence: number, sendTimeUs: number): void {
  wr32(buf, offset + F.sequence, sequence >>> 0);
  wr32(buf, offset + F.sendTime, Math.floor(sendTimeUs / TWO32) >>> 0);
  wr32(buf, offset + F.sendTime + 4, sendTimeUs % TWO32 >>> 0);
}
