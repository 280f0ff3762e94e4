/**
 * The Internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian words.
 * Hand-written: it is ten lines, runs per frame, and no package does it over a Uint8Array slice without copying.
 */

/** One's-complement 32-bit partial sum of bytes [start, end) of buf, added to `initial`. Not folded. */
export function sumWords(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  const last = end - 1;
  for (; i < last; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8; // odd length: pad with a zero byte (RFC 1071 section 4.1)
  return sum;
}

/** Fold a partial sum to 16 bits and complement it: the value to put in a checksum field. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The checksum of bytes [start, end) as it would be written into the field (field bytes taken as they are). */
export function internetChecksum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  return finishChecksum(sumWords(buf, start, end, initial));
}

/** True when bytes [start, end), checksum field included, sum to all ones, i.e. the stored checksum is right. */
export function checksumValid(buf: Uint8Array, start: number, end: number, initial = 0): boolean {
  return internetChecksum(buf, start, end, initial) === 0;
}
