import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CounterTable } from '../../src/decode/counter-table.js';

describe('CounterTable', () => {
  it('counts like a Map keyed by the pair, across growth and rehashing (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.nat({ max: 3000 })), { maxLength: 4000 }), (keys) => {
        const t = new CounterTable(2, 4);
        const ref = new Map<string, number>();
        for (const [a, b] of keys) {
          const hi = (0xe0000000 + a) | 0; // multicast groups: above 2^31, passed as int32
          const r = t.row(hi, b);
          t.values[r * 2]!++;
          t.values[r * 2 + 1]! += b;
          ref.set(`${hi >>> 0}/${b}`, (ref.get(`${hi >>> 0}/${b}`) ?? 0) + 1);
        }
        expect(t.size).toBe(ref.size);
        for (let r = 0; r < t.size; r++) {
          const k = `${t.hi(r)}/${t.lo(r)}`;
          expect(t.get(r, 0)).toBe(ref.get(k));
          expect(t.get(r, 1)).toBe(ref.get(k)! * t.lo(r));
        }
      }),
      { numRuns: 60, seed: 99 },
    );
  });
  it('keeps row indexes stable while the table grows', () => {
    const t = new CounterTable(1, 2);
    const first = t.row(1, 1);
    for (let i = 0; i < 10_000; i++) t.row(i, i * 7);
    expect(t.row(1, 1)).toBe(first);
    expect(t.hi(first)).toBe(1);
  });
});
