/**
 * Hand-built capture files for the tests, written field by field from the format descriptions and independent of
 * src/pcap/writer.ts:
 * - classic pcap: draft-ietf-opsawg-pcap section 4 (file header: magic, major, minor, reserved1, reserved2, snaplen,
 *   linktype) and section 5 (record: ts seconds, ts fraction, captured length, original length, data);
 * - pcapng: draft-ietf-opsawg-pcapng section 3.1 (block: type, total length, body padded to 32 bits, total length),
 *   4.1 SHB, 4.2 IDB (if_name 2, if_tsresol 9, if_tsoffset 14), 4.3 EPB, 4.4 SPB, appendix A PB (obsolete).
 * BigInt is fine here: these builders are test-only and never on a hot path.
 */

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Deterministic packet bytes: `n` bytes, byte i = (seed + 13 i) mod 256. */
export function packet(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed + 13 * i) & 255;
  return b;
}

export interface PcapHeaderSpec {
  le?: boolean;
  nsec?: boolean;
  magic?: number;
  major?: number;
  minor?: number;
  snaplen?: number;
  linkType?: number;
}

export function pcapHeader(h: PcapHeaderSpec = {}): Uint8Array {
  const le = h.le ?? true;
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  // The magic is written in the writer's byte order: a1b2c3d4 (usec) or a1b23c4d (nsec).
  v.setUint32(0, h.magic ?? (h.nsec ? 0xa1b23c4d : 0xa1b2c3d4), le);
  v.setUint16(4, h.major ?? 2, le);
  v.setUint16(6, h.minor ?? 4, le);
  v.setUint32(8, 0, le);
  v.setUint32(12, 0, le);
  v.setUint32(16, h.snaplen ?? 65535, le);
  v.setUint32(20, h.linkType ?? 1, le);
  return b;
}

export interface PcapRecordSpec {
  le?: boolean;
  sec: number;
  frac: number;
  data: Uint8Array;
  /** Defaults to data.length; set it to lie. */
  caplen?: number;
  wirelen?: number;
}

export function pcapRecord(r: PcapRecordSpec): Uint8Array {
  const le = r.le ?? true;
  const b = new Uint8Array(16 + r.data.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, r.sec, le);
  v.setUint32(4, r.frac, le);
  v.setUint32(8, r.caplen ?? r.data.length, le);
  v.setUint32(12, r.wirelen ?? r.data.length, le);
  b.set(r.data, 16);
  return b;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

export interface BlockOpts {
  le?: boolean;
  /** Leading total length to write instead of the true one. */
  len?: number;
  /** Trailing total length to write instead of the leading one. */
  trailer?: number;
}

/** A pcapng block: type, total length, body (padded to 4), total length. */
export function ngBlock(type: number, body: Uint8Array, o: BlockOpts = {}): Uint8Array {
  const le = o.le ?? true;
  const total = 12 + pad4(body.length);
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, o.len ?? total, le);
  b.set(body, 8);
  v.setUint32(total - 4, o.trailer ?? o.len ?? total, le);
  return b;
}

/** One option TLV: code, length, value padded to 4. */
export function ngOption(code: number, value: Uint8Array, le = true): Uint8Array {
  const b = new Uint8Array(4 + pad4(value.length));
  const v = new DataView(b.buffer);
  v.setUint16(0, code, le);
  v.setUint16(2, value.length, le);
  b.set(value, 4);
  return b;
}

export const endOfOpt = new Uint8Array(4);

export interface ShbSpec extends BlockOpts {
  major?: number;
  minor?: number;
  bom?: number;
  options?: Uint8Array;
}

export function ngShb(s: ShbSpec = {}): Uint8Array {
  const le = s.le ?? true;
  const opts = s.options ?? new Uint8Array(0);
  const body = new Uint8Array(16 + opts.length);
  const v = new DataView(body.buffer);
  v.setUint32(0, s.bom ?? 0x1a2b3c4d, le);
  v.setUint16(4, s.major ?? 1, le);
  v.setUint16(6, s.minor ?? 0, le);
  v.setBigInt64(8, -1n, le); // section length unknown
  body.set(opts, 16);
  return ngBlock(0x0a0d0d0a, body, s);
}

export interface IdbSpec extends BlockOpts {
  linkType: number;
  snaplen?: number;
  name?: string;
  tsresol?: number;
  tsoffset?: bigint;
  /** Raw option bytes appended before opt_endofopt. */
  extraOptions?: Uint8Array;
  /** Omit opt_endofopt. */
  noEnd?: boolean;
}

export function ngIdb(s: IdbSpec): Uint8Array {
  const le = s.le ?? true;
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(8);
  const hv = new DataView(head.buffer);
  hv.setUint16(0, s.linkType, le);
  hv.setUint16(2, 0, le);
  hv.setUint32(4, s.snaplen ?? 0, le);
  parts.push(head);
  if (s.name !== undefined) parts.push(ngOption(2, new TextEncoder().encode(s.name), le));
  if (s.tsresol !== undefined) parts.push(ngOption(9, Uint8Array.of(s.tsresol), le));
  if (s.tsoffset !== undefined) {
    const o = new Uint8Array(8);
    new DataView(o.buffer).setBigInt64(0, s.tsoffset, le);
    parts.push(ngOption(14, o, le));
  }
  if (s.extraOptions) parts.push(s.extraOptions);
  if (!s.noEnd) parts.push(endOfOpt);
  return ngBlock(1, concat(...parts), s);
}

export interface EpbSpec extends BlockOpts {
  ifid?: number;
  ticks: bigint;
  data: Uint8Array;
  caplen?: number;
  wirelen?: number;
  options?: Uint8Array;
}

function packetBody(ifidBytes: Uint8Array, s: EpbSpec, le: boolean): Uint8Array {
  const fixed = new Uint8Array(16);
  const v = new DataView(fixed.buffer);
  v.setUint32(0, Number(s.ticks >> 32n), le);
  v.setUint32(4, Number(s.ticks & 0xffffffffn), le);
  v.setUint32(8, s.caplen ?? s.data.length, le);
  v.setUint32(12, s.wirelen ?? s.data.length, le);
  const data = new Uint8Array(pad4(s.data.length));
  data.set(s.data);
  return concat(ifidBytes, fixed, data, s.options ?? new Uint8Array(0));
}

/** Enhanced Packet Block (type 6): 32-bit interface id. */
export function ngEpb(s: EpbSpec): Uint8Array {
  const le = s.le ?? true;
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, s.ifid ?? 0, le);
  return ngBlock(6, packetBody(id, s, le), s);
}

/** Packet Block (type 2, obsolete): 16-bit interface id, 16-bit drops count. */
export function ngPb(s: EpbSpec & { drops?: number }): Uint8Array {
  const le = s.le ?? true;
  const id = new Uint8Array(4);
  const v = new DataView(id.buffer);
  v.setUint16(0, s.ifid ?? 0, le);
  v.setUint16(2, s.drops ?? 0, le);
  return ngBlock(2, packetBody(id, s, le), s);
}

/** Simple Packet Block (type 3): original length, then the data (interface 0, no timestamp). */
export function ngSpb(s: BlockOpts & { data: Uint8Array; wirelen?: number }): Uint8Array {
  const le = s.le ?? true;
  const body = new Uint8Array(4 + pad4(s.data.length));
  new DataView(body.buffer).setUint32(0, s.wirelen ?? s.data.length, le);
  body.set(s.data, 4);
  return ngBlock(3, body, s);
}
