/**
 * An open-addressing hash table from a pair of unsigned 32-bit keys to a row of float64 counters, in typed
 * arrays. Written by hand because a JS Map keyed by a 48-bit number boxes the key (a heap number) on every
 * lookup: measured on the 1M-frame bench corpus, Map lookups cost 61 ms plus GC, this table about a quarter.
 * Rows are stable: a row index stays valid as the table grows (counters live in row order, not slot order).
 */
export class CounterTable {
  private slots: Int32Array; // slot -> row + 1 (0 = empty)
  private mask: number;
  // Signed: callers pass `x | 0` so keys stay small integers (no boxed heap numbers across calls).
  private keyHi: Int32Array;
  private keyLo: Int32Array;
  /** Counters, row-major: row r's column c is at r * columns + c. */
  values: Float64Array;
  size = 0;

  constructor(readonly columns: number, capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap <<= 1;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.keyHi = new Int32Array(capacity);
    this.keyLo = new Int32Array(capacity);
    this.values = new Float64Array(capacity * columns);
  }

  /** Row index for (hi, lo) given as int32 (`x | 0`), created zeroed when absent. No allocation unless it grows. */
  row(hi: number, lo: number): number {
    const mask = this.mask;
    let i = (Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b) >>> 15) & mask;
    for (;;) {
      const r = this.slots[i]! - 1;
      if (r < 0) break;
      if (this.keyLo[r] === lo && this.keyHi[r] === hi) return r;
      i = (i + 1) & mask;
    }
    const r = this.size;
    if (r === this.keyHi.length) {
      this.growRows();
    }
    this.keyHi[r] = hi;
    this.keyLo[r] = lo;
    this.size++;
    this.slots[i] = r + 1;
    if (this.size * 2 > this.slots.length) this.rehash();
    return r;
  }

  /** The keys back as unsigned 32-bit numbers. */
  hi(row: number): number {
    return this.keyHi[row]! >>> 0;
  }
  lo(row: number): number {
    return this.keyLo[row]! >>> 0;
  }
  get(row: number, column: number): number {
    return this.values[row * this.columns + column]!;
  }

  private growRows(): void {
    const n = this.keyHi.length * 2;
    const hi = new Int32Array(n);
    hi.set(this.keyHi);
    const lo = new Int32Array(n);
    lo.set(this.keyLo);
    const v = new Float64Array(n * this.columns);
    v.set(this.values);
    this.keyHi = hi;
    this.keyLo = lo;
    this.values = v;
  }

  private rehash(): void {
    const cap = this.slots.length * 2;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let r = 0; r < this.size; r++) {
      let i = (Math.imul(this.keyHi[r]! ^ Math.imul(this.keyLo[r]!, 0x9e3779b1), 0x85ebca6b) >>> 15) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = r + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
