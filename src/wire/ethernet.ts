/**
 * Ethernet II with stacked VLAN tags (IEEE 802.1Q C-tags 0x8100, 802.1ad S-tags 0x88a8, and the pre-standard
 * Q-in-Q TPID 0x9100), any depth the frame holds.
 *
 * Hand-written rather than with buffer-layout: shared/style.md measured an IPv4 header decode at ~20 ns and no garbage
 * by hand against ~1 us and ~310 B with buffer-layout, and a layout library cannot express optional stacked tags.
 * The view checks once in reset() (fixed header present, every tag and the type after it complete) and then reads
 * without re-checking. An EtherType of 1500 or less is an IEEE 802.3 length; it is returned as data, not an error.
 * Error offsets count from the start of the region given to reset().
 */
import { TruncatedError } from '../errors.js';
import { macToString, parseMac } from './addr.js';

/** Field offsets of the untagged header (IEEE 802.3 clause 3.1.1). */
const F = { dst: 0, src: 6, etherType: 12, payload: 14 } as const;
export const ETHERNET_HEADER_LENGTH = F.payload;
/** A tag is TPID (2) + TCI (2); the TCI is PCP (3 bits), DEI (1 bit), VID (12 bits) (IEEE 802.1Q clause 9.6). */
export const VLAN_TAG_LENGTH = 4;

/** Tag Protocol Identifiers that announce a VLAN tag. */
export const Tpid = { Dot1Q: 0x8100, Dot1ad: 0x88a8, QinQ9100: 0x9100 } as const;

export const EtherType = { IPv4: 0x0800, ARP: 0x0806, IPv6: 0x86dd } as const;

export function isVlanTpid(type: number): boolean {
  return type === Tpid.Dot1Q || type === Tpid.Dot1ad || type === Tpid.QinQ9100;
}

/**
 * A stack of VLAN tags found by walking type fields, without allocating. The first type field sits at `typePos`
 * (Ethernet: 12; Linux cooked SLL: 14, where libpcap re-inserts a stripped tag; SLL2: 0); the first TCI sits at
 * `restStart` (where the header ends) and each further tag follows as TCI (2) + next type (2). EthernetView uses it;
 * it is exported so a cooked-capture decoder can walk the tags that follow an SLL/SLL2 header the same way.
 */
export class VlanStack {
  private buf: Uint8Array = new Uint8Array(0);
  private typePos = 0;
  private restStart = 0;
  /** Number of tags found. */
  count = 0;

  /**
   * Walk the tags in buf; positions are absolute. `base` is where the layer starts (for error offsets) and `end`
   * where the captured bytes end. Throws TruncatedError ERR_VLAN_TRUNCATED when a tag or the type after it is cut.
   */
  walk(buf: Uint8Array, base: number, typePos: number, restStart: number, end: number): number {
    this.buf = buf;
    this.typePos = typePos;
    this.restStart = restStart;
    let n = 0;
    let type = (buf[typePos]! << 8) | buf[typePos + 1]!;
    while (isVlanTpid(type)) {
      const tci = restStart + n * VLAN_TAG_LENGTH;
      if (tci + VLAN_TAG_LENGTH > end) {
        const at = (n === 0 ? typePos : tci - 2) - base;
        throw new TruncatedError('vlan', 'ERR_VLAN_TRUNCATED', at,
          `vlan: truncated tag ${n + 1} (needs ${tci + VLAN_TAG_LENGTH - base} bytes, captured ${end - base}) at byte ${at}`);
      }
      type = (buf[tci + 2]! << 8) | buf[tci + 3]!;
      n++;
    }
    this.count = n;
    return n;
  }

  /** Absolute offset of the type field after all tags. */
  get innerTypeOffset(): number {
    return this.count === 0 ? this.typePos : this.restStart + this.count * VLAN_TAG_LENGTH - 2;
  }

  /** Absolute offset of the first byte after the last tag. */
  get end(): number {
    return this.restStart + this.count * VLAN_TAG_LENGTH;
  }

  private tciAt(i: number): number {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`VLAN tag index ${i} out of range (${this.count} tags)`);
    return this.restStart + i * VLAN_TAG_LENGTH;
  }

  tpid(i: number): number {
    const tci = this.tciAt(i);
    const at = i === 0 ? this.typePos : tci - 2;
    return (this.buf[at]! << 8) | this.buf[at + 1]!;
  }

  tci(i: number): number {
    const at = this.tciAt(i);
    return (this.buf[at]! << 8) | this.buf[at + 1]!;
  }

  vid(i: number): number {
    return this.tci(i) & 0x0fff;
  }

  pcp(i: number): number {
    return this.tci(i) >>> 13;
  }

  dei(i: number): boolean {
    return (this.tci(i) & 0x1000) !== 0;
  }

  /** Allocates: the tags as reprs, outer first. */
  toReprs(): Required<VlanTag>[] {
    const out: Required<VlanTag>[] = [];
    for (let i = 0; i < this.count; i++) {
      const tci = this.tci(i);
      out.push({ tpid: this.tpid(i), pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff });
    }
    return out;
  }
}

/** One VLAN tag. On emit `tpid` defaults to 0x8100. */
export interface VlanTag {
  tpid?: number;
  /** Priority Code Point, 0-7. */
  pcp: number;
  /** Drop Eligible Indicator (formerly CFI). */
  dei: boolean;
  /** VLAN identifier, 0-4095. */
  vid: number;
}

/** Zero-copy view over an Ethernet II frame; rebind it to each frame with reset(). */
export class EthernetView {
  private buf: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private length = 0;
  private readonly tags = new VlanStack();

  /** Bind to buf[offset, offset+length). Throws TruncatedError (ERR_ETH_TRUNCATED, ERR_VLAN_TRUNCATED). */
  reset(buf: Uint8Array, offset: number, length: number): this {
    checkRegion(buf, offset, length);
    if (length < F.payload) {
      throw new TruncatedError('eth', 'ERR_ETH_TRUNCATED', 0,
        `eth: header needs ${F.payload} bytes, captured ${length} at byte 0`);
    }
    this.tags.walk(buf, offset, offset + F.etherType, offset + F.payload, offset + length);
    this.buf = buf;
    this.offset = offset;
    this.length = length;
    return this;
  }

  get dstOffset(): number {
    return this.offset + F.dst;
  }

  get srcOffset(): number {
    return this.offset + F.src;
  }

  /** The group bit (I/G) of the destination: multicast or broadcast. */
  get dstIsGroup(): boolean {
    return (this.buf[this.offset + F.dst]! & 1) !== 0;
  }

  /** The type after all tags (an IEEE 802.3 length when 1500 or less). */
  get etherType(): number {
    const at = this.tags.innerTypeOffset;
    return (this.buf[at]! << 8) | this.buf[at + 1]!;
  }

  get vlanCount(): number {
    return this.tags.count;
  }

  /** Tag i (0 = outermost): its TPID. */
  vlanTpid(i: number): number {
    return this.tags.tpid(i);
  }

  vlanId(i: number): number {
    return this.tags.vid(i);
  }

  vlanPcp(i: number): number {
    return this.tags.pcp(i);
  }

  vlanDei(i: number): boolean {
    return this.tags.dei(i);
  }

  get headerLength(): number {
    return F.payload + this.tags.count * VLAN_TAG_LENGTH;
  }

  /** Absolute offset of the payload in the buffer. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }

  /** Everything after the header, padding and any FCS included (IPv4's total length trims those). */
  get payloadLength(): number {
    return this.length - this.headerLength;
  }

  /** The buffer the view is bound to. */
  get buffer(): Uint8Array {
    return this.buf;
  }

  /** The tags as a VlanStack (what parseEthernet reads). */
  get vlanStack(): VlanStack {
    return this.tags;
  }
}

/** An Ethernet II header. `vlans` (outer first) defaults to none on emit. */
export interface EthernetRepr {
  dst: string;
  src: string;
  vlans?: VlanTag[];
  etherType: number;
}

export type ParsedEthernetRepr = EthernetRepr & { vlans: Required<VlanTag>[] };

export function parseEthernet(v: EthernetView): ParsedEthernetRepr {
  return {
    dst: macToString(v.buffer, v.dstOffset),
    src: macToString(v.buffer, v.srcOffset),
    vlans: v.vlanStack.toReprs(),
    etherType: v.etherType,
  };
}

export function ethernetHeaderLength(repr: EthernetRepr): number {
  return F.payload + (repr.vlans?.length ?? 0) * VLAN_TAG_LENGTH;
}

/** Write the header (tags included) at buf[offset]; returns the bytes written. */
export function emitEthernet(repr: EthernetRepr, buf: Uint8Array, offset: number): number {
  // Validate everything before writing anything.
  const vlans = repr.vlans ?? [];
  checkU16(repr.etherType, 'etherType');
  const dst = mac(repr.dst);
  const src = mac(repr.src);
  for (const tag of vlans) vlanTci(tag);
  buf.set(dst, offset + F.dst);
  buf.set(src, offset + F.src);
  let at = offset + F.etherType;
  for (const tag of vlans) at += writeVlanTag(tag, buf, at);
  put16(buf, at, repr.etherType);
  return at + 2 - offset;
}

function mac(text: string): Uint8Array {
  const m = parseMac(text);
  if (m === null) throw new RangeError(`not a MAC address: ${JSON.stringify(text)}`);
  return m;
}

/** The header followed by payload (no padding to 60 bytes: the sending driver pads, or a lab user adds it). */
export function encodeEthernet(repr: EthernetRepr, payload?: Uint8Array): Uint8Array {
  const hl = ethernetHeaderLength(repr);
  const out = new Uint8Array(hl + (payload?.length ?? 0));
  emitEthernet(repr, out, 0);
  if (payload !== undefined) out.set(payload, hl);
  return out;
}

/** Write TPID + TCI at buf[at]; returns 4. Shared with the cooked-capture emitters. */
export function writeVlanTag(tag: VlanTag, buf: Uint8Array, at: number): number {
  const tci = vlanTci(tag);
  put16(buf, at, tag.tpid ?? Tpid.Dot1Q);
  put16(buf, at + 2, tci);
  return VLAN_TAG_LENGTH;
}

/** The TCI of a tag; RangeError when a field does not fit. */
function vlanTci(tag: VlanTag): number {
  checkU16(tag.tpid ?? Tpid.Dot1Q, 'vlan tpid');
  if (!(Number.isInteger(tag.pcp) && tag.pcp >= 0 && tag.pcp <= 7)) throw new RangeError(`vlan pcp ${tag.pcp} is not 0-7`);
  if (!(Number.isInteger(tag.vid) && tag.vid >= 0 && tag.vid <= 0xfff)) throw new RangeError(`vlan vid ${tag.vid} is not 0-4095`);
  return (tag.pcp << 13) | (tag.dei ? 0x1000 : 0) | tag.vid;
}

// Small byte helpers shared by the L2-L4 codecs (ipv4.ts, udp.ts, sll.ts import them from here).

/** Programmer errors (a region outside the buffer) are RangeErrors, not WireErrors. */
export function checkRegion(buf: Uint8Array, offset: number, length: number): void {
  if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= buf.length)) {
    throw new RangeError(`region [${offset}, ${offset}+${length}) is outside a buffer of ${buf.length} bytes`);
  }
}

export function checkU16(v: number, name: string): void {
  if (!(Number.isInteger(v) && v >= 0 && v <= 0xffff)) throw new RangeError(`${name} ${v} is not a 16-bit value`);
}

export function checkU8(v: number, name: string): void {
  if (!(Number.isInteger(v) && v >= 0 && v <= 0xff)) throw new RangeError(`${name} ${v} is not an 8-bit value`);
}

/** Big-endian 16-bit store. */
export function put16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 8;
  buf[at + 1] = v & 0xff;
}
