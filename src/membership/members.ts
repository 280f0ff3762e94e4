/**
 * The hosts that reported one group, as a snooping switch tracks them: per host its address, MAC, version, last
 * report and its own filter state (mode and source list, from its records).
 *
 * One open-addressing hash table whose slots ARE the member records: a slot is 64 bytes (one cache line) in one
 * ArrayBuffer, holding the address, MAC, version, mode, last report time and up to INLINE sources of the host's
 * list; longer lists (rare) live in a side array. A report from a known host therefore touches one cache line: on
 * the 1M-frame benchmark capture (groups of up to 60 hosts, the capture streaming through the caches) the line
 * misses of the member lookup and update were the table's largest cost in a profile of the real replay. The
 * layout before (addresses, numbers and lists in separate arrays, a hash of positions past 16 members) took 2-4
 * misses per report and an array per member list; this one measured 20 ms less on `replay --stats -q --table`
 * (paired median of 15 runs), and 62 MB against 107 MB for 100,000 groups x 10 members (test/membership/memory.test.ts).
 *
 * Linear probing, at most 3/4 full, deletion by backward shift (no tombstones: churn never lengthens the probes).
 * Positions are slot numbers: valid until the next add or remove. A member is identified by its IPv4 address;
 * hosts reporting from 0.0.0.0 (allowed, RFC 3376 section 4.2.13) are told apart, and hashed, by their MAC.
 */

/** Int32 words a slot: 16 (64 bytes). */
const SLOT = 16;
const IP = 0;
const MAC_LO = 1;
/** The MAC's high 16 bits, -1 when the link type has none. */
const MAC_HI = 2;
/** 1 | version << 1 | mode << 3 for a member, 0 for an empty slot. */
const META = 3;
/** How many sources the member's list has (inline when at most INLINE, else in `overflow`). */
const LIST_N = 4;
/** The last report time, a Float64 at words 6-7: Float64 index slot * 8 + 3. */
const LAST_F64 = 3;
const LIST = 8;
/** Sources kept in the slot itself. */
const INLINE = 8;
/** 16 slots (1 KiB): 12 members before the first growth (a group of 10 hosts never grows). */
const INITIAL_SLOTS = 16;

export class MemberList {
  private i32: Int32Array;
  private f64: Float64Array;
  private mask: number;
  private n = 0;
  /** Lists longer than INLINE, by slot (null until one is). */
  private overflow: (number[] | null)[] | null = null;
  /** Each member's last report time as text (undefined: format `last`), by slot; null until one has a text. */
  private texts: (string | undefined)[] | null = null;

  constructor(slots = INITIAL_SLOTS) {
    this.i32 = new Int32Array(slots * SLOT);
    this.f64 = new Float64Array(this.i32.buffer);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.n;
  }

  /** Slots: positions run from 0 to capacity - 1; `used(i)` says which hold a member. */
  get capacity(): number {
    return this.mask + 1;
  }

  used(i: number): boolean {
    return this.i32[i * SLOT + META] !== 0;
  }

  /** The position of the member with this address (and MAC, for 0.0.0.0), or -1. */
  find(ip: number, macHi: number, macLo: number): number {
    const a = this.i32;
    const mask = this.mask;
    for (let p = home(ip, macHi, macLo) & mask; ; p = (p + 1) & mask) {
      const s = p * SLOT;
      if (a[s + META] === 0) return -1;
      if (a[s + IP] === ip && (ip !== 0 || (a[s + MAC_LO] === macLo && a[s + MAC_HI] === macHi))) return p;
    }
  }

  /** A new member (not in the list); its source list is src[0..n), copied. */
  add(ip: number, macHi: number, macLo: number, version: number, mode: number, last: number, src: readonly number[], n: number, text: string | undefined): void {
    if ((this.n + 1) * 4 > this.capacity * 3) this.resize(this.capacity * 2);
    const a = this.i32;
    const p = this.freeSlot(ip, macHi, macLo);
    const s = p * SLOT;
    a[s + IP] = ip;
    a[s + MAC_LO] = macLo;
    a[s + MAC_HI] = macHi;
    a[s + META] = 1 | (version << 1) | (mode << 3);
    this.f64[p * 8 + LAST_F64] = last;
    this.n++;
    this.setSources(p, src, n);
    if (text !== undefined || this.texts !== null) this.setText(p, text);
  }

  /** Remove the member at i (backward shift: the members after it in its probe run may move up). */
  remove(i: number): void {
    const a = this.i32;
    const mask = this.mask;
    this.n--;
    if (this.overflow !== null && i < this.overflow.length) this.overflow[i] = null;
    if (this.texts !== null && i < this.texts.length) this.texts[i] = undefined;
    let hole = i;
    a[hole * SLOT + META] = 0;
    for (let p = (hole + 1) & mask; a[p * SLOT + META] !== 0; p = (p + 1) & mask) {
      const s = p * SLOT;
      const k = home(a[s + IP]!, a[s + MAC_HI]!, a[s + MAC_LO]!) & mask;
      // The member at p stays if its home k lies cyclically in (hole, p]: distances from hole, mod the size (one
      // expression for both the plain and the wrapped case: a branch first taken late would deoptimise remove()).
      if (((k - hole - 1) & mask) >= ((p - hole) & mask)) {
        a.copyWithin(hole * SLOT, s, s + SLOT);
        a[s + META] = 0;
        this.moveSide(p, hole);
        hole = p;
      }
    }
  }

  /** A new report from the member at i; its source list becomes src[0..n), copied. */
  update(i: number, version: number, mode: number, last: number, src: readonly number[], n: number, text: string | undefined): void {
    const s = i * SLOT;
    const a = this.i32;
    a[s + META] = 1 | (version << 1) | (mode << 3);
    this.f64[i * 8 + LAST_F64] = last;
    if (n > 0 || a[s + LIST_N] !== 0) this.setSources(i, src, n);
    if (text !== undefined || this.texts !== null) this.setText(i, text);
  }

  setMac(i: number, macHi: number, macLo: number): void {
    // The hash key of a member never changes with its MAC: only 0.0.0.0 members are keyed by MAC, and for them
    // the MAC is what matched.
    this.i32[i * SLOT + MAC_HI] = macHi;
    this.i32[i * SLOT + MAC_LO] = macLo;
  }

  ip(i: number): number {
    return this.i32[i * SLOT + IP]!;
  }
  macHi(i: number): number {
    return this.i32[i * SLOT + MAC_HI]!;
  }
  macLo(i: number): number {
    return this.i32[i * SLOT + MAC_LO]!;
  }
  version(i: number): number {
    return (this.i32[i * SLOT + META]! >> 1) & 3;
  }
  mode(i: number): number {
    return (this.i32[i * SLOT + META]! >> 3) & 1;
  }
  last(i: number): number {
    return this.f64[i * 8 + LAST_F64]!;
  }
  /** The member's sources are source(i, 0..listCount(i)-1). */
  listCount(i: number): number {
    return this.i32[i * SLOT + LIST_N]!;
  }
  source(i: number, k: number): number {
    const n = this.i32[i * SLOT + LIST_N]!;
    return n <= INLINE ? this.i32[i * SLOT + LIST + k]! : this.overflow![i]![k]!;
  }
  /** The member's sources, as a new array (for tests and debugging). */
  sources(i: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.listCount(i); k++) out.push(this.source(i, k));
    return out;
  }
  text(i: number): string | undefined {
    return this.texts === null ? undefined : this.texts[i];
  }

  /** The positions of the members (in slot order). */
  positions(): number[] {
    const out: number[] = [];
    const a = this.i32;
    for (let p = 0; p <= this.mask; p++) if (a[p * SLOT + META] !== 0) out.push(p);
    return out;
  }

  private setSources(i: number, src: readonly number[], n: number): void {
    const a = this.i32;
    const s = i * SLOT;
    a[s + LIST_N] = n;
    if (n <= INLINE) {
      for (let k = 0; k < n; k++) a[s + LIST + k] = src[k]!;
      if (this.overflow !== null && i < this.overflow.length) this.overflow[i] = null;
      return;
    }
    const lists = (this.overflow ??= []);
    // A long list is usually refreshed with as long a one: its array is reused.
    let own = i < lists.length ? lists[i]! : null;
    if (own === null) putAt(lists, i, (own = []), null);
    for (let k = 0; k < n; k++) {
      if (k < own.length) own[k] = src[k]!;
      else own.push(src[k]!);
    }
  }

  private setText(i: number, text: string | undefined): void {
    putAt((this.texts ??= []), i, text, undefined);
  }

  /** The side arrays' entries of slot `from` now belong to slot `to` (a backward shift moved the member). */
  private moveSide(from: number, to: number): void {
    const o = this.overflow;
    if (o !== null && from < o.length) {
      putAt(o, to, o[from]!, null);
      o[from] = null;
    }
    const t = this.texts;
    if (t !== null && from < t.length) {
      putAt(t, to, t[from], undefined);
      t[from] = undefined;
    }
  }

  /** Where a new member with this key goes: the first empty slot of its probe run. */
  private freeSlot(ip: number, macHi: number, macLo: number): number {
    const a = this.i32;
    const mask = this.mask;
    let p = home(ip, macHi, macLo) & mask;
    while (a[p * SLOT + META] !== 0) p = (p + 1) & mask;
    return p;
  }

  private resize(slots: number): void {
    const old = this.i32;
    const oldCap = this.capacity;
    const oldOverflow = this.overflow;
    const oldTexts = this.texts;
    this.i32 = new Int32Array(slots * SLOT);
    this.f64 = new Float64Array(this.i32.buffer);
    this.mask = slots - 1;
    this.overflow = oldOverflow === null ? null : [];
    this.texts = oldTexts === null ? null : [];
    const a = this.i32;
    for (let q = 0; q < oldCap; q++) {
      const from = q * SLOT;
      if (old[from + META] === 0) continue;
      const p = this.freeSlot(old[from + IP]!, old[from + MAC_HI]!, old[from + MAC_LO]!);
      const to = p * SLOT;
      for (let k = 0; k < SLOT; k++) a[to + k] = old[from + k]!;
      if (oldOverflow !== null && q < oldOverflow.length && oldOverflow[q] !== null) putAt(this.overflow!, p, oldOverflow[q]!, null);
      if (oldTexts !== null && q < oldTexts.length) this.setText(p, oldTexts[q]);
    }
  }
}

/** arr[i] = v, filling the slots before i with `empty` (never a holey array: a hole check on every read). */
function putAt<T>(arr: T[], i: number, v: T, empty: T): void {
  while (arr.length < i) arr.push(empty);
  if (i < arr.length) arr[i] = v;
  else arr.push(v);
}

/** A member's key mixed into the hash's low bits (Fibonacci hashing, the high bits folded down); 0.0.0.0 by MAC. */
function home(ip: number, macHi: number, macLo: number): number {
  const h = Math.imul(ip !== 0 ? ip : macLo ^ Math.imul(macHi, 0x85ebca6b), 0x9e3779b1);
  return h ^ (h >>> 16);
}
