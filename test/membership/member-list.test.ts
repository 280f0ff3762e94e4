/**
 * MemberList, the table's struct-of-arrays host list: lookups by address (by MAC for hosts reporting from 0.0.0.0),
 * removal that moves the last member into the hole, and the hash it switches to past 16 members, checked against
 * a plain Map model through random operations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemberList } from '../../src/membership/members.js';

describe('MemberList', () => {
  it('tells 0.0.0.0 hosts apart by MAC, others by address only', () => {
    const l = new MemberList();
    l.add(0, 0x0200, 1, 3, 0, 1.5, [], 0, undefined);
    l.add(0, 0x0200, 2, 3, 0, 2.5, [7, 8], 1, 'ts');
    l.add(0x0a000001, 0x0200, 3, 2, 1, 3.5, [], 0, undefined);
    expect(l.find(0, 0x0200, 2)).toBe(1);
    expect(l.find(0, 0x0200, 9)).toBe(-1);
    expect(l.find(0x0a000001, -1, 0)).toBe(2); // a later report without a MAC is the same host
    expect(l.list(1)).toEqual([7]);
    expect(l.listCount(1)).toBe(1);
    expect(l.text(1)).toBe('ts');
    expect(l.text(0)).toBeUndefined();
    l.remove(0);
    expect(l.size).toBe(2);
    // The last member moved into slot 0 with all of its fields.
    expect([l.ip(0), l.macLo(0), l.version(0), l.mode(0), l.last(0), l.listCount(0), l.text(0)]).toEqual([0x0a000001, 3, 2, 1, 3.5, 0, undefined]);
    // A list that empties keeps its storage; the count says what is in it.
    l.update(1, 3, 0, 4, [], 0, undefined);
    expect(l.listCount(1)).toBe(0);
    l.update(1, 3, 0, 5, [9, 10], 2, undefined);
    expect(l.list(1)!.slice(0, l.listCount(1))).toEqual([9, 10]);
    expect(l.find(0, 0x0200, 2)).toBe(1);
  });

  it('keeps its parallel arrays dense when members without lists move (regression)', () => {
    const l = new MemberList();
    for (let ip = 1; ip <= 5; ip++) l.add(ip, -1, 0, 2, 1, ip, [], 0, undefined);
    l.update(0, 3, 0, 6, [42], 1, undefined); // only member 0 has list storage
    l.remove(2); // member 5 moves into slot 2, beyond the list storage
    l.update(1, 3, 0, 7, [43, 44], 2, 'ts');
    expect((l.list(1) ?? []).slice(0, l.listCount(1))).toEqual([43, 44]);
    expect(l.find(5, -1, 0)).toBe(2);
    expect(l.listCount(2)).toBe(0);
  });

  it('finds every host after removals from one long probe run (40 hosts at 0.0.0.0 share a hash home)', () => {
    const l = new MemberList();
    for (let m = 1; m <= 40; m++) l.add(0, 0x0200, m, 3, 1, m, [], 0, undefined);
    for (let ip = 1; ip <= 10; ip++) l.add(ip << 8, -1, 0, 2, 1, ip, [], 0, undefined);
    for (let m = 3; m <= 40; m += 3) l.remove(l.find(0, 0x0200, m));
    for (let m = 1; m <= 40; m++) {
      const i = l.find(0, 0x0200, m);
      if (m % 3 === 0) expect(i).toBe(-1);
      else expect(l.last(i)).toBe(m);
    }
    for (let ip = 1; ip <= 10; ip++) expect(l.last(l.find(ip << 8, -1, 0))).toBe(ip);
    expect(l.size).toBe(50 - 13);
  });

  it('agrees with a Map model through adds, updates and removals (past the hash threshold)', () => {
    const op = fc.record({
      ip: fc.integer({ min: 0, max: 300 }),
      mac: fc.integer({ min: 0, max: 3 }),
      del: fc.boolean(),
      // Mostly hosts without sources (v2 reports), so the list storage is shorter than the member list.
      list: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }) }),
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
        for (const [key, want] of model) {
          const [ip, mac] = key.startsWith('0/') ? [0, Number(key.slice(2))] : [Number(key), 0];
          const i = l.find(ip, 0, mac);
          expect(i).toBeGreaterThanOrEqual(0);
          expect(l.last(i)).toBe(want.last);
          expect((l.list(i) ?? []).slice(0, l.listCount(i))).toEqual(want.list);
          expect(l.text(i)).toBe(want.text);
        }
      }),
      { numRuns: 300 },
    );
  });
});
