/**
 * A group's source records: address (signed 32-bit) -> timer deadline in insertion order, as a Map keeps them, but
 * in two parallel arrays reused in place. Why not a Map: records come and go all the time (a host's IS_EX deletes what it does not
 * name, the next host's adds it back), and a Map reallocates its table as it shrinks and grows: on the 1M-frame
 * benchmark capture ~14 MB of backing stores, promoted before they died. With this (and a smaller change measured
 * together), `replay --stats -q --table` went from 0.67 s to 0.50 s.
 * Deletion is a sweep: the caller walks 0..size-1, `keep`s what stays, and `truncate`s. Lookups scan (groups
 * have a handful of sources, and a scan of a few dozen small integers costs less than rebuilding a Map after each
 * sweep) until INDEX_AT entries, then go through an index Map rebuilt after each sweep.
 */

const INDEX_AT = 64;

export class SourceTable {
  /** Addresses; entries at size and beyond are unused. */
  readonly keys: number[] = [];
  /** Deadlines, parallel to keys. */
  readonly times: number[] = [];
  private n = 0;
  private index: Map<number, number> | null = null;

  get size(): number {
    return this.n;
  }

  /** The position of `s`, or -1. */
  find(s: number): number {
    const index = this.index;
    if (index !== null) {
      const i = index.get(s);
      return i === undefined ? -1 : i;
    }
    const keys = this.keys;
    for (let i = 0; i < this.n; i++) if (keys[i] === s) return i;
    return -1;
  }

  get(s: number): number | undefined {
    const i = this.find(s);
    return i < 0 ? undefined : this.times[i];
  }

  has(s: number): boolean {
    return this.find(s) >= 0;
  }

  /** Set the deadline of `s`; a new address goes last (Map order). */
  set(s: number, deadline: number): void {
    const i = this.find(s);
    if (i >= 0) this.times[i] = deadline;
    else this.append(s, deadline);
  }

  private append(s: number, deadline: number): void {
    const n = this.n;
    if (n < this.keys.length) {
      this.keys[n] = s;
      this.times[n] = deadline;
    } else {
      this.keys.push(s);
      this.times.push(deadline);
    }
    this.n = n + 1;
    if (this.index !== null) this.index.set(s, n);
    else if (this.n > INDEX_AT) this.buildIndex();
  }

  /** In a sweep: entry i stays, at position k (k <= i). */
  keep(i: number, k: number): void {
    if (i === k) return;
    this.keys[k] = this.keys[i]!;
    this.times[k] = this.times[i]!;
  }

  /** End a sweep that kept `k` entries. */
  truncate(k: number): void {
    if (k === this.n) return;
    this.n = k;
    this.index = null;
    if (k > INDEX_AT) this.buildIndex();
  }

  private buildIndex(): void {
    const index = (this.index = new Map());
    for (let i = 0; i < this.n; i++) index.set(this.keys[i]!, i);
  }
}
