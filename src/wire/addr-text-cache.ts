/**
 * Address texts by value, for paths that turn the same few addresses into text again and again (the membership
 * table's events and snapshots: a capture repeats a few hosts and groups millions of times). A cached string is no
 * garbage, and a Map key whose hash V8 has already computed. Bounded: a map is cleared when it reaches `limit`
 * entries, so a capture of endless spoofed addresses stays small.
 */
import { ipv4ToString, macPartsToString } from './addr.js';

const DEFAULT_LIMIT = 4096;

export class AddrTextCache {
  /** Keyed by the signed 32-bit address (a small integer for V8, never a heap number). */
  private readonly quads = new Map<number, string>();
  /** Keyed by the MAC's low 32 bits (signed); the entry keeps the high 16 bits to check. */
  private readonly macs = new Map<number, MacEntry>();

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  /** The dotted quad of an address, given signed or unsigned (`| 0` makes both the same key). */
  ipv4(addr: number): string {
    const bits = addr | 0;
    const known = this.quads.get(bits);
    if (known !== undefined) return known;
    if (this.quads.size >= this.limit) this.quads.clear();
    const s = ipv4ToString(bits >>> 0);
    s.charCodeAt(0); // flattens the template literal's rope once, not per use
    this.quads.set(bits, s);
    return s;
  }

  /** The lower-case colon form of a MAC given as macHiAt/macLoAt parts. */
  mac(hi: number, lo: number): string {
    const known = this.macs.get(lo);
    if (known !== undefined && known.hi === hi) return known.text;
    if (known === undefined && this.macs.size >= this.limit) this.macs.clear();
    const text = macPartsToString(hi, lo);
    text.charCodeAt(0);
    this.macs.set(lo, new MacEntry(hi, text));
    return text;
  }
}

class MacEntry {
  constructor(
    readonly hi: number,
    readonly text: string,
  ) {}
}
