/**
 * MemberList, the table's host list: an open-addressing table whose slots are the member records. Lookups by
 * address (by MAC for hosts reporting from 0.0.0.0), removal by backward shift, growth, source lists inline and
 * past the slot's room, all checked against a plain Map model through random operations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemberList } from '../../src/membership/members.js';

/** Every member as [ip, macHi, macLo, version, mode, last, sources, text], in address/MAC order. */
function dump(l: MemberList): unknown[] {
  return l
    .positions()
    .map((i) => [l.ip(i), l.macHi(i), l.macLo(i), l.version(i), l.mode(i), l.last(i), l.sources(i), l.text(i)])
    .sort((a, b) => (a[0] as number) - (b[0] as number) || (a[2] as number) - (b[2] as number));
}

describe('MemberList', () => {
  it('tells 0.0.0.0 hosts apart by MAC, others by address only', () => {
    const l = new MemberList();
    l.add(0, 0x0200, 1, 3, 0, 1.5, [], 0, undefined);
    l.add(0, 0x0200, 2, 3, 0, 2.5, [7, 8], 1, 'ts');
    l.add(0x0a000001, 0x0200, 3, 2, 1, 3.5, [], 0, undefined);
    const b = l.find(0, 0x0200, 2);
    expect(b).toBeGreaterThanOrEqual(0);
    expect(l.find(0, 0x0200, 9)).toBe(-1);
    expect(l.find(0x0a000001, -1, 0)).toBe(l.find(0x0a000001, 0x0200, 3)); // a later report without a MAC is the same host
    expect(l.sources(b)).toEqual([7]);
    expect(l.text(b)).toBe('ts');
    expect(l.text(l.find(0, 0x0200, 1))).toBeUndefined();
    l.remove(l.find(0, 0x0200, 1));
    expect(l.size).toBe(2);
    expect(dump(l)).toEqual([
      [0, 0x0200, 2, 3, 0, 2.5, [7], 'ts'],
      [0x0a000001, 0x0200, 3, 2, 1, 3.5, [], undefined],
    ]);
    const c = l.find(0, 0x0200, 2);
    l.update(c, 2, 1, 4, [], 0, undefined);
    expect(l.sources(c)).toEqual([]);
    l.update(c, 3, 0, 5, [9, 10], 2, undefined);
    expect([l.version(c), l.mode(c), l.last(c), l.sources(c), l.text(c)]).toEqual([3, 0, 5, [9, 10], undefined]);
  });

  it('keeps lists longer than a slot holds through updates, removals and growth', () => {
    const l = new MemberList();
    const long = Array.from({ length: 20 }, (_, k) => 100 + k);
    for (let ip = 1; ip <= 50; ip++) l.add(ip, -1, 0, 3, 0, ip, ip % 3 === 0 ? long : [ip], ip % 3 === 0 ? 10 + (ip % 7) : 1, ip % 5 === 0 ? `t${ip}` : undefined);
    for (let ip = 2; ip <= 50; ip += 4) l.remove(l.find(ip, -1, 0));
    for (let ip = 1; ip <= 50; ip++) {
      const i = l.find(ip, -1, 0);
      if ((ip - 2) % 4 === 0) {
        expect(i).toBe(-1);
        continue;
      }
      expect(l.last(i)).toBe(ip);
      expect(l.sources(i)).toEqual(ip % 3 === 0 ? long.slice(0, 10 + (ip % 7)) : [ip]);
      expect(l.text(i)).toBe(ip % 5 === 0 ? `t${ip}` : undefined);
    }
    // A long list shrinks back into the slot, and grows out of it again.
    const i = l.find(3, -1, 0);
    l.update(i, 3, 0, 60, [1, 2], 2, undefined);
    expect(l.sources(i)).toEqual([1, 2]);
    l.update(i, 3, 0, 61, long, 12, undefined);
    expect(l.sources(i)).toEqual(long.slice(0, 12));
    expect(l.size).toBe(50 - 13);
  });

  it('finds every host after removals from long probe runs (a table kept 3/4 full)', () => {
    const l = new MemberList();
    // 48 members in 64 slots (growth happens past 3/4): probe runs of several slots, wrapping at the end.
    for (let ip = 1; ip <= 48; ip++) l.add(ip * 0x10001, -1, 0, 2, 1, ip, [], 0, undefined);
    expect(l.capacity).toBe(64);
    for (let ip = 3; ip <= 48; ip += 3) l.remove(l.find(ip * 0x10001, -1, 0));
    for (let ip = 1; ip <= 48; ip++) {
      const i = l.find(ip * 0x10001, -1, 0);
      if (ip % 3 === 0) expect(i).toBe(-1);
      else expect(l.last(i)).toBe(ip);
    }
    expect(l.size).toBe(48 - 16);
  });

  it('agrees with a Map model through adds, updates and removals', () => {
    const op = fc.record({
      ip: fc.integer({ min: 0, max: 300 }),
      mac: fc.integer({ min: 0, max: 3 }),
      del: fc.boolean(),
      // Mostly hosts without sources (v2 reports); some lists too long for the slot.
      list: fc.oneof(
        { weight: 4, arbitrary: fc.constant([]) },
        { weight: 2, arbitrary: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }) },
        { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 99 }), { minLength: 7, maxLength: 14 }) },
      ),
      text: fc.option(fc.string({ maxLength: 3 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 800 }), (ops) => {
        const l = new MemberList();
        const model = new Map<string, { last: number; list: number[]; text: string | undefined }>();
        let t = 0;
        for (const { ip, mac, del, list, text } of ops) {
          const key = ip === 0 ? `0/${mac}` : String(ip);
          const i = l.find(ip, 0, mac);
          expect(i >= 0).toBe(model.has(key));
          t++;
          if (i < 0) {
            if (!del) {
              l.add(ip, 0, mac, 3, 0, t, [...list, 99], list.length, text);
              model.set(key, { last: t, list, text });
            }
          } else if (del) {
            l.remove(i);
            model.delete(key);
          } else {
            l.update(i, 2, 1, t, list, list.length, text);
            model.set(key, { last: t, list, text });
          }
        }
        expect(l.size).toBe(model.size);
        expect(l.positions()).toHaveLength(model.size);
        for (const [key, want] of model) {
          const [ip, mac] = key.startsWith('0/') ? [0, Number(key.slice(2))] : [Number(key), 0];
          const i = l.find(ip, 0, mac);
          expect(i).toBeGreaterThanOrEqual(0);
          expect(l.last(i)).toBe(want.last);
          expect(l.sources(i)).toEqual(want.list);
          expect(l.text(i)).toBe(want.text);
        }
      }),
      { numRuns: 300 },
    );
  });
});
