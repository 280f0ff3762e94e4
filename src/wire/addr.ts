/**
 * Address text forms. IPv4 addresses travel as unsigned 32-bit numbers on hot paths and as dotted quads in reprs;
 * MACs as lower-case colon-separated text (the JSON contract's form).
 */

export function ipv4ToString(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** Read a big-endian IPv4 address at buf[offset..offset+4) as an unsigned 32-bit number. */
export function readIpv4(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

/**
 * The same address as a signed 32-bit number. Hot paths that only compare or hash addresses use it: V8 keeps
 * int32 values in the small-integer range unboxed, while unsigned values of 2^31 and more (every multicast group)
 * become heap numbers when a getter is not inlined, which is garbage per frame.
 */
export function readIpv4Bits(buf: Uint8Array, offset: number): number {
  return (buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!;
}

export function writeIpv4(buf: Uint8Array, offset: number, addr: number): void {
  buf[offset] = addr >>> 24;
  buf[offset + 1] = (addr >>> 16) & 0xff;
  buf[offset + 2] = (addr >>> 8) & 0xff;
  buf[offset + 3] = addr & 0xff;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parse a dotted quad; returns null when the text is not one (no leading/trailing junk, each part 0-255). */
export function parseIpv4(text: string): number | null {
  const m = IPV4_RE.exec(text);
  if (m === null) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255) return null;
    v = v * 256 + part;
  }
  return v;
}

/** Like parseIpv4 but throws a RangeError naming the text; for reprs built by code (not for user input). */
export function ipv4FromString(text: string): number {
  const v = parseIpv4(text);
  if (v === null) throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return v;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function macToString(buf: Uint8Array, offset: number): string {
  return `${HEX[buf[offset]!]}:${HEX[buf[offset + 1]!]}:${HEX[buf[offset + 2]!]}:${HEX[buf[offset + 3]!]}:${HEX[buf[offset + 4]!]}:${HEX[buf[offset + 5]!]}`;
}

const MAC_RE = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;

/** Parse "01:00:5e:01:02:03" (or with dashes); null when the text is not a MAC. */
export function parseMac(text: string): Uint8Array | null {
  const m = MAC_RE.exec(text);
  if (m === null) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(m[i + 1]!, 16);
  return out;
}

/**
 * A MAC as two numbers, the split hot paths use (both small integers for V8, never heap numbers): `hi` the first two
 * bytes (0-0xffff), `lo` the last four as a signed 32-bit number.
 */
export function macHiAt(buf: Uint8Array, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!;
}

export function macLoAt(buf: Uint8Array, offset: number): number {
  return readIpv4Bits(buf, offset + 2);
}

/** The colon form of a MAC given as macHiAt/macLoAt parts. */
export function macPartsToString(hi: number, lo: number): string {
  return `${HEX[(hi >>> 8) & 0xff]}:${HEX[hi & 0xff]}:${HEX[lo >>> 24]}:${HEX[(lo >>> 16) & 0xff]}:${HEX[(lo >>> 8) & 0xff]}:${HEX[lo & 0xff]}`;
}

export function writeMac(buf: Uint8Array, offset: number, text: string): void {
  const mac = parseMac(text);
  if (mac === null) throw new RangeError(`not a MAC address: ${JSON.stringify(text)}`);
  buf.set(mac, offset);
}
