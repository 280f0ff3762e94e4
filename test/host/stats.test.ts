import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StreamStats } from '../../src/host/stats.js';

function feed(seqs: number[]): StreamStats {
  const s = new StreamStats('239.1.1.1', 5000, '10.0.0.1', 4000, 1);
  let t = 1_000_000;
  for (const q of seqs) s.record(q >>> 0, 100, (t += 10), t - 5);
  return s;
}

/** The plain definition, with a Set: what the window bitmap must agree with while reordering stays in the window. */
function model(seqs: number[]) {
  const seen = new Set<number>();
  let max = -Infinity;
  let min = Infinity;
  let duplicates = 0;
  let reordered = 0;
  for (const q of seqs) {
    if (seen.has(q)) {
      duplicates++;
      continue;
    }
    if (seen.size > 0 && q < max) reordered++;
    seen.add(q);
    max = Math.max(max, q);
    min = Math.min(min, q);
  }
  return { duplicates, reordered, lost: seen.size === 0 ? 0 : max - min + 1 - seen.size, packets: seqs.length };
}

describe('StreamStats sequence accounting', () => {
  it('counts a clean run', () => {
    const s = feed([0, 1, 2, 3, 4]);
    expect([s.packets, s.lost, s.duplicates, s.reordered]).toEqual([5, 0, 0, 0]);
    expect(s.summary()).toMatchObject({ firstSeq: 0, lastSeq: 4, bytes: 500, senderId: '00000001' });
  });

  it('counts gaps as lost until the missing datagram turns up late', () => {
    const s = feed([0, 1, 4, 5]);
    expect(s.lost).toBe(2);
    s.record(2, 100, 2e6, 2e6);
    expect([s.lost, s.reordered]).toEqual([1, 1]);
    s.record(2, 100, 2e6, 2e6); // again: a duplicate, not a recovery
    expect([s.lost, s.reordered, s.duplicates]).toEqual([1, 1, 1]);
  });

  it('tells a duplicate of the highest from a duplicate of an older one', () => {
    const s = feed([0, 1, 1, 2, 0, 2]);
    expect([s.duplicates, s.reordered, s.lost]).toEqual([3, 0, 0]);
  });

  it('extends sequence numbers across the 2^32 wrap', () => {
    const seqs = Array.from({ length: 40 }, (_, i) => (0xffffffec + i) >>> 0);
    seqs.splice(25, 1); // lose the one after the wrap point + 5
    const s = feed(seqs);
    expect([s.lost, s.duplicates, s.reordered]).toEqual([1, 0, 0]);
    expect(s.summary()).toMatchObject({ firstSeq: 0xffffffec, lastSeq: (0xffffffec + 39) >>> 0 });
  });

  it('handles a jump beyond the window and arrivals older than it', () => {
    const s = feed([0, 100_000]);
    expect(s.lost).toBe(99_999);
    s.record(5, 100, 3e6, 3e6); // too old to tell: counted as a late arrival
    expect([s.lost, s.reordered]).toEqual([99_998, 1]);
  });

  it('a first datagram that was reordered behind a later one lowers the base', () => {
    const s = feed([1, 0, 2]);
    expect([s.lost, s.reordered]).toEqual([0, 1]);
    expect(s.summary().firstSeq).toBe(0);
  });

  it('a datagram sent before the first arrival, across the 32-bit wrap, still counts the gap (regression)', () => {
    // fast-check found it: 2^32 - 3 arrives after 0 (the sequence wrapped); 2^32 - 2 and 2^32 - 1 were lost.
    const s = feed([0x1_0000_0000, 0xffff_fffd]);
    expect([s.lost, s.reordered, s.duplicates]).toEqual([2, 1, 0]);
    expect(s.summary().firstSeq).toBe(0xffff_fffd);
    expect(s.summary().lastSeq).toBe(0);
  });

  it('agrees with the Set model on random loss, duplication and bounded reordering', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 40 })), { maxLength: 400 }),
        (n, start, edits) => {
          const seqs = Array.from({ length: n }, (_, i) => i);
          for (const [at, op, dist] of edits) {
            const i = at % seqs.length;
            if (op === 0 && seqs.length > 1) seqs.splice(i, 1); // loss
            else if (op === 1) seqs.splice(i, 0, seqs[i]!); // duplicate
            else {
              const j = Math.min(seqs.length - 1, i + dist); // move later: reorder
              const [x] = seqs.splice(i, 1);
              seqs.splice(j, 0, x!);
            }
          }
          const s = feed(seqs.map((q) => q + start));
          const m = model(seqs);
          expect({ duplicates: s.duplicates, reordered: s.reordered, lost: s.lost, packets: s.packets }).toEqual(m);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('StreamStats delay, jitter and rates', () => {
  it('reports min/avg/max delay and RFC 3550 jitter', () => {
    const s = new StreamStats('239.1.1.1', 5000, '10.0.0.1', 4000, 2);
    // Delays 100, 300, 200 us; arrivals 1 s apart.
    s.record(0, 50, 1_000_100, 1_000_000);
    s.record(1, 50, 2_000_300, 2_000_000);
    s.record(2, 50, 3_000_200, 3_000_000);
    const sum = s.summary();
    expect(sum.delay).toEqual({ minUs: 100, avgUs: 200, maxUs: 300, jitterUs: 200 / 16 + (100 - 200 / 16) / 16 });
    expect(sum.durationS).toBeCloseTo(2.0001, 6);
    expect(sum.pps).toBeCloseTo(2 / 2.0001, 6);
    expect(sum.bps).toBeCloseTo((50 * 8 * 2) / 2.0001, 3);
  });

  it('counts datagrams without a probe header by volume only', () => {
    const s = new StreamStats('239.1.1.1', 5000, '10.0.0.1', 4000, -1);
    s.recordPlain(10, 1e6);
    s.recordPlain(20, 2e6);
    expect(s.summary()).toMatchObject({ packets: 2, bytes: 30, senderId: null, firstSeq: null, lost: 0, delay: null, pps: 1 });
  });
});
