/**
 * `mcast decode`: frames given as hex text, one per line, through the same decoder and formatters as replay.
 * Accepted: plain hex, with optional spaces, colons, dashes, a leading 0x, or an offset column as tshark -x /
 * xxd / od print it is NOT parsed (give bare hex).
 */
import { UsageError } from '../errors.js';
import { FrameDecoder } from '../decode/frame.js';
import { buildFrameJson, type FrameJson } from '../decode/record.js';

export const LINK_NAMES: Record<string, number> = { ethernet: 1, eth: 1, raw: 101, ipv4: 228, sll: 113, sll2: 276 };

/** Parse one line of hex into bytes, or throw a UsageError naming the line and column. */
export function parseHexFrame(text: string, where: string): Uint8Array {
  const clean = text.trim().replace(/^0x/i, '').replace(/[\s:.-]/g, '');
  const bad = clean.search(/[^0-9a-fA-F]/);
  if (bad >= 0) throw new UsageError(`${where}: not hex: ${JSON.stringify(clean[bad])} at character ${bad + 1}`);
  if (clean.length === 0) throw new UsageError(`${where}: no bytes`);
  if (clean.length % 2 !== 0) throw new UsageError(`${where}: odd number of hex digits (${clean.length})`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

export function decodeHexFrame(bytes: Uint8Array, linkType: number, n: number): FrameJson {
  const d = new FrameDecoder();
  d.decode(linkType, bytes, 0, bytes.length);
  return buildFrameJson(d, { n, ts: new Date(0).toISOString().replace('.000Z', '.000000Z'), len: bytes.length, iface: null });
}
