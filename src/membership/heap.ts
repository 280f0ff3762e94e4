/**
 * A min-heap of deadlines with lazy invalidation: the table's one timer queue.
 *
 * Each item keeps `hqueued` (the deadline of its one valid entry, Infinity if none) and `hgen` (the generation of
 * that entry). `schedule` pushes only when the new deadline is EARLIER than the queued one; a later deadline (a
 * report refreshing a timer, the common case) pushes nothing: the early entry pops, the owner finds nothing due
 * and schedules again. So the heap holds about one entry per live item and a refresh costs no allocation.
 * Entries live in three parallel arrays (no object per entry).
 */

export interface HeapItem {
  hgen: number;
  hqueued: number;
}

export class DeadlineHeap<T extends HeapItem> {
  private readonly times: number[] = [];
  private readonly items: T[] = [];
  private readonly gens: number[] = [];

  get size(): number {
    return this.times.length;
  }

  /** Make sure `item` pops no later than `at`. */
  schedule(item: T, at: number): void {
    if (!(at < item.hqueued)) return;
    item.hgen++;
    item.hqueued = at;
    this.push(at, item, item.hgen);
  }

  /** Forget every entry of `item` (they become stale). */
  cancel(item: T): void {
    item.hgen++;
    item.hqueued = Infinity;
  }

  /** The earliest valid deadline, or Infinity. Drops stale entries on the way. */
  peekTime(): number {
    while (this.times.length > 0) {
      const item = this.items[0]!;
      if (this.gens[0] === item.hgen) return this.times[0]!;
      this.removeTop();
    }
    return Infinity;
  }

  /** Remove and return the item with the earliest valid deadline (call after peekTime). */
  pop(): T | null {
    if (this.peekTime() === Infinity) return null;
    const item = this.items[0]!;
    item.hqueued = Infinity;
    this.removeTop();
    return item;
  }

  private push(t: number, item: T, gen: number): void {
    const times = this.times;
    const items = this.items;
    const gens = this.gens;
    let i = times.length;
    times.push(t);
    items.push(item);
    gens.push(gen);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= t) break;
      times[i] = times[parent]!;
      items[i] = items[parent]!;
      gens[i] = gens[parent]!;
      i = parent;
    }
    times[i] = t;
    items[i] = item;
    gens[i] = gen;
  }

  private removeTop(): void {
    const times = this.times;
    const items = this.items;
    const gens = this.gens;
    const lastT = times.pop()!;
    const lastItem = items.pop()!;
    const lastGen = gens.pop()!;
    const n = times.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && times[r]! < times[l]! ? r : l;
      if (times[c]! >= lastT) break;
      times[i] = times[c]!;
      items[i] = items[c]!;
      gens[i] = gens[c]!;
      i = c;
    }
    times[i] = lastT;
    items[i] = lastItem;
    gens[i] = lastGen;
  }
}
