/**
 * The hosts that reported one group, as a snooping switch tracks them: per host its address, MAC, version, last
 * report and its own filter state (mode and source list, from its records).
 *
 * Struct of arrays: the members' addresses in one compact array, their other numbers in one flat array (STRIDE
 * slots a member), the source lists and timestamp texts in parallel arrays made only when some member has one.
 * Why not a Map of member objects: that layout made `replay --table` on the 1M-frame benchmark capture spend ~75 ms
 * of its ~160 in member tracking, most of it (line-level profile) on the map lookup and the first load from the
 * member object behind it, and allocated a ~100-byte object per join. Here a lookup scans the address array up to
 * HASH_AT members, and past that probes a hash of (address, position) pairs in one Int32Array: on the benchmark
 * capture (groups of up to 60 hosts) the scan was the table's largest hot spot in a profile of the real replay,
 * where the capture streaming through the caches makes every line of state a miss; a probe reads one line.
 * Removal moves the last member into the hole (members have no order: snapshots sort them). One pool for all
 * groups (a hash keyed by group and address, records in one Float64Array) was measured slower: it scatters a
 * group's hosts, while here a popular group's arrays stay in cache.
 *
 * A member is identified by its IPv4 address; hosts reporting from 0.0.0.0 (allowed, RFC 3376 section 4.2.13)
 * are told apart by their MAC.
 */

/** Slots of a member in `data` (its address is in `ips`, the array lookups scan). */
const MAC_HI = 0;
const MAC_LO = 1;
const VERSION = 2;
const MODE = 3;
const LAST = 4;
/** How many of the member's `lists` entry are its sources: the array keeps its capacity when the list empties. */
const LIST_N = 5;
const STRIDE = 6;

/** Past this many members lookups go through the hash (a scan of up to 16 addresses reads one cache line). */
const HASH_AT = 16;

export class MemberList {
  /** The members' addresses (small integers: a compact array to scan); slots past size are unused. */
  private readonly ips: number[] = [];
  /** STRIDE numbers a member; slots past size * STRIDE are unused. */
  private readonly data: number[] = [];
  /**
   * Each member's source list storage (null: never had one), parallel to the members; null until one has a list.
   * A host's list empties and fills again all the time (IS_EX({}) then IS_IN(S)): the array is kept and reused.
   */
  private lists: (number[] | null)[] | null = null;
  /** Each member's last report time as text (undefined: format `last`); null until one has a text. */
  private texts: (string | undefined)[] | null = null;
  private n = 0;
  /**
   * Past HASH_AT members: linear probing over pairs [address, position + 1] (0: empty), at most half full. Hosts
   * reporting from 0.0.0.0 share the address 0 and are told apart by MAC on the way.
   */
  private hash: Int32Array | null = null;
  private mask = 0;

  get size(): number {
    return this.n;
  }

  /** The position of the member with this address (and MAC, for 0.0.0.0), or -1. */
  find(ip: number, macHi: number, macLo: number): number {
    const h = this.hash;
    if (h !== null) {
      const mask = this.mask;
      for (let p = home(ip) & mask; ; p = (p + 1) & mask) {
        const e = h[2 * p + 1]!;
        if (e === 0) return -1;
        if (h[2 * p] === ip && (ip !== 0 || this.macIs(e - 1, macHi, macLo))) return e - 1;
      }
    }
    const ips = this.ips;
    for (let i = 0; i < this.n; i++) {
      if (ips[i] === ip && (ip !== 0 || this.macIs(i, macHi, macLo))) return i;
    }
    return -1;
  }

  /** A new member; its source list is src[0..n), copied. */
  add(ip: number, macHi: number, macLo: number, version: number, mode: number, last: number, src: readonly number[], n: number, text: string | undefined): void {
    const i = this.n++;
    const j = i * STRIDE;
    const d = this.data;
    if (i < this.ips.length) this.ips[i] = ip;
    else this.ips.push(ip);
    if (j < d.length) {
      d[j + MAC_HI] = macHi;
      d[j + MAC_LO] = macLo;
      d[j + VERSION] = version;
      d[j + MODE] = mode;
      d[j + LAST] = last;
      d[j + LIST_N] = 0;
    } else {
      d.push(macHi, macLo, version, mode, last, 0);
    }
    // lists[i] may hold the storage of a member removed before: reused (its count is 0).
    if (n > 0) this.setSources(i, src, n);
    if (text !== undefined || this.texts !== null) this.setText(i, text);
    if (this.hash !== null && this.n * 4 <= this.hash.length) this.hashPut(ip, i);
    else if (this.n > HASH_AT) this.buildHash();
  }

  /** Remove the member at i: the last one takes its place, and the removed one's list storage goes to the freed slot. */
  remove(i: number): void {
    const last = --this.n;
    const d = this.data;
    if (this.hash !== null) this.hashDelete(i);
    if (i !== last) {
      const to = i * STRIDE;
      const from = last * STRIDE;
      this.ips[i] = this.ips[last]!;
      for (let k = 0; k < STRIDE; k++) d[to + k] = d[from + k]!;
      // Slots past an array's end are null/undefined already: writing there would make the array holey.
      const lists = this.lists;
      if (lists !== null && i < lists.length) {
        const freed = lists[i]!;
        lists[i] = last < lists.length ? lists[last]! : null;
        if (last < lists.length) lists[last] = freed;
      }
      const texts = this.texts;
      if (texts !== null && i < texts.length) texts[i] = last < texts.length ? texts[last] : undefined;
      if (this.hash !== null) this.hashMove(last, i);
    }
    if (this.texts !== null && last < this.texts.length) this.texts[last] = undefined;
  }

  /** A new report from the member at i; its source list becomes src[0..n), copied. */
  update(i: number, version: number, mode: number, last: number, src: readonly number[], n: number, text: string | undefined): void {
    const j = i * STRIDE;
    const d = this.data;
    d[j + VERSION] = version;
    d[j + MODE] = mode;
    d[j + LAST] = last;
    if (n > 0 || d[j + LIST_N] !== 0) this.setSources(i, src, n);
    if (text !== undefined || this.texts !== null) this.setText(i, text);
  }

  setMac(i: number, macHi: number, macLo: number): void {
    // The index key of a member never changes with its MAC: only 0.0.0.0 members are keyed by MAC, and for them
    // the MAC is what matched.
    this.data[i * STRIDE + MAC_HI] = macHi;
    this.data[i * STRIDE + MAC_LO] = macLo;
  }

  /** The members' addresses: entries 0..size-1 (read-only to callers). */
  addresses(): readonly number[] {
    return this.ips;
  }
  ip(i: number): number {
    return this.ips[i]!;
  }
  macHi(i: number): number {
    return this.data[i * STRIDE + MAC_HI]!;
  }
  macLo(i: number): number {
    return this.data[i * STRIDE + MAC_LO]!;
  }
  version(i: number): number {
    return this.data[i * STRIDE + VERSION]!;
  }
  mode(i: number): number {
    return this.data[i * STRIDE + MODE]!;
  }
  last(i: number): number {
    return this.data[i * STRIDE + LAST]!;
  }
  /** The member's sources are list(i)[0..listCount(i)); list(i) is null when it never had any. */
  list(i: number): readonly number[] | null {
    return this.lists === null || i >= this.lists.length ? null : this.lists[i]!;
  }
  listCount(i: number): number {
    return this.data[i * STRIDE + LIST_N]!;
  }
  text(i: number): string | undefined {
    return this.texts === null ? undefined : this.texts[i];
  }

  private setSources(i: number, src: readonly number[], n: number): void {
    const lists = (this.lists ??= []);
    while (lists.length <= i) lists.push(null);
    let own = lists[i]!;
    if (own === null && n > 0) own = lists[i] = [];
    for (let k = 0; k < n; k++) {
      if (k < own!.length) own![k] = src[k]!;
      else own!.push(src[k]!);
    }
    this.data[i * STRIDE + LIST_N] = n;
  }

  private setText(i: number, text: string | undefined): void {
    const texts = (this.texts ??= []);
    while (texts.length < i) texts.push(undefined);
    if (i < texts.length) texts[i] = text;
    else texts.push(text);
  }

  /** A hash twice the members' count at least (pairs), with every member in it. */
  private buildHash(): void {
    let pairs = 32;
    while (pairs < this.n * 2) pairs *= 2;
    this.hash = new Int32Array(pairs * 2);
    this.mask = pairs - 1;
    for (let i = 0; i < this.n; i++) this.hashPut(this.ips[i]!, i);
  }

  private hashPut(ip: number, i: number): void {
    const h = this.hash!;
    const mask = this.mask;
    let p = home(ip) & mask;
    while (h[2 * p + 1] !== 0) p = (p + 1) & mask;
    h[2 * p] = ip;
    h[2 * p + 1] = i + 1;
  }

  /** The pair of the member at position i. */
  private pairOf(i: number): number {
    const h = this.hash!;
    const mask = this.mask;
    let p = home(this.ips[i]!) & mask;
    while (h[2 * p + 1] !== i + 1) p = (p + 1) & mask;
    return p;
  }

  /** The member at `from` now sits at `to`. */
  private hashMove(from: number, to: number): void {
    this.hash![2 * this.pairOf(from) + 1] = to + 1;
  }

  /** Linear-probing deletion by backward shift (no tombstones: churn never lengthens the probes). */
  private hashDelete(i: number): void {
    const h = this.hash!;
    const mask = this.mask;
    let hole = this.pairOf(i);
    h[2 * hole + 1] = 0;
    for (let p = (hole + 1) & mask; h[2 * p + 1] !== 0; p = (p + 1) & mask) {
      const k = home(h[2 * p]!) & mask;
      // The pair at p stays if its home k lies cyclically in (hole, p]: distances from hole, mod the size (one
      // expression for both the plain and the wrapped case: a branch first taken late would deoptimise remove()).
      if (((k - hole - 1) & mask) >= ((p - hole) & mask)) {
        h[2 * hole] = h[2 * p]!;
        h[2 * hole + 1] = h[2 * p + 1]!;
        h[2 * p + 1] = 0;
        hole = p;
      }
    }
  }

  private macIs(i: number, macHi: number, macLo: number): boolean {
    return this.data[i * STRIDE + MAC_LO] === macLo && this.data[i * STRIDE + MAC_HI] === macHi;
  }
}

/** An address mixed into the hash's low bits (Fibonacci hashing, then the high bits folded down). */
function home(ip: number): number {
  const h = Math.imul(ip, 0x9e3779b1);
  return h ^ (h >>> 16);
}
