/**
 * Timestamp arithmetic against BigInt (exact by construction) and formatting against JavaScript's own
 * Date.prototype.toISOString (proleptic Gregorian, UTC, expanded years outside 0000-9999).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatTimestamp, TickScale } from '../../src/pcap/index.js';
import { secToTicks } from '../../src/pcap/timestamp.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('TickScale.convert (64-bit ticks to seconds + nanoseconds)', () => {
  it('matches BigInt for every if_tsresol, power of 10 (0..19) and power of 2 (0..63)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0x80, max: 0x80 + 63 })), u64, (resol, ticks) => {
        const tps = resol & 0x80 ? 1n << BigInt(resol & 0x7f) : 10n ** BigInt(resol);
        const out = { tsSec: -1, tsNsec: -1 };
        new TickScale(resol).convertTicks(Number(ticks >> 32n), Number(ticks & 0xffffffffn), out);
        const sec = ticks / tps;
        // seconds past 2^53 are not representable; real captures are far below
        if (sec < 1n << 53n) expect(out.tsSec).toBe(Number(sec));
        expect(out.tsNsec).toBe(Number(((ticks % tps) * 1000000000n) / tps));
      }),
      { numRuns: 20000 },
    );
  });

  it('is exact on nanosecond counts past 2^53 (a double alone would round)', () => {
    const ticks = 1235470907698870123n; // 2009-02-24T10:21:47.698870123Z in ns
    expect(Number(ticks) % 1000).not.toBe(123); // the double rounding the reader must avoid
    const out = { tsSec: 0, tsNsec: 0 };
    new TickScale(9).convertTicks(Number(ticks >> 32n), Number(ticks & 0xffffffffn), out);
    expect(out).toEqual({ tsSec: 1235470907, tsNsec: 698870123 });
  });

  it('digits: power of 10 capped at 9; power of 2: fewest decimal digits that resolve it', () => {
    expect([0, 3, 6, 9, 12, 19].map((r) => new TickScale(r).digits)).toEqual([0, 3, 6, 9, 9, 9]);
    // 2^-1 = 0.5 s -> 1 digit; 2^-10 -> 4 (10^4 >= 1024); 2^-20 -> 7; 2^-30 -> 10, capped at 9
    expect([0, 1, 10, 20, 30, 63].map((e) => new TickScale(0x80 | e).digits)).toEqual([0, 1, 4, 7, 9, 9]);
  });

  it('refuses resolutions finer than a 64-bit counter can hold one second of', () => {
    expect(() => new TickScale(20)).toThrow(RangeError);
    expect(() => new TickScale(0x80 | 64)).toThrow(RangeError);
  });
});

describe('secToTicks (writer side)', () => {
  it('matches BigInt', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 34 }), fc.integer({ min: 0, max: 999999999 }), fc.boolean(), (sec, ns, nano) => {
        const tps = nano ? 1000000000 : 1000000;
        const frac = nano ? ns : Math.floor(ns / 1000);
        const out = { hi: 0, lo: 0 };
        expect(secToTicks(sec, tps, frac, out)).toBe(true);
        const want = BigInt(sec) * BigInt(tps) + BigInt(frac);
        expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(want);
      }),
    );
  });
  it('refuses negative, fractional and overflowing seconds', () => {
    const out = { hi: 0, lo: 0 };
    expect(secToTicks(-1, 1000000000, 0, out)).toBe(false);
    expect(secToTicks(1.5, 1000000000, 0, out)).toBe(false);
    expect(secToTicks(2 ** 35, 1000000000, 0, out)).toBe(false); // 2^35 * 10^9 > 2^64
  });
});

describe('formatTimestamp', () => {
  it('formats the documented example', () => {
    expect(formatTimestamp(1235470907, 698870000, 6)).toBe('2009-02-24T10:21:47.698870Z');
    expect(formatTimestamp(1235470907, 698870123, 9)).toBe('2009-02-24T10:21:47.698870123Z');
    expect(formatTimestamp(1235470907, 698870123, 0)).toBe('2009-02-24T10:21:47Z');
    expect(formatTimestamp(1235470907, 698870123, 4)).toBe('2009-02-24T10:21:47.6988Z');
  });

  it('handles 1970, before 1970, 2038 and after, u32 end, leap days', () => {
    expect(formatTimestamp(0, 0, 6)).toBe('1970-01-01T00:00:00.000000Z');
    expect(formatTimestamp(-1, 999999999, 9)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(formatTimestamp(2147483647, 0, 0)).toBe('2038-01-19T03:14:07Z');
    expect(formatTimestamp(2147483648, 0, 0)).toBe('2038-01-19T03:14:08Z');
    expect(formatTimestamp(4294967295, 999999000, 6)).toBe('2106-02-07T06:28:15.999999Z');
    expect(formatTimestamp(951782400, 0, 0)).toBe('2000-02-29T00:00:00Z');
    expect(formatTimestamp(-2208988800, 0, 0)).toBe('1900-01-01T00:00:00Z');
  });

  it('agrees with Date.prototype.toISOString over its whole range (years -271821 to 275760)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e12, max: 8.64e12 }), fc.integer({ min: 0, max: 999999999 }), fc.integer({ min: 0, max: 9 }), (sec, ns, digits) => {
        const iso = new Date(sec * 1000).toISOString(); // ...T..:..:..
        const frac = digits === 0 ? '' : '.' + String(ns).padStart(9, '0').slice(0, digits);
        expect(formatTimestamp(sec, ns, digits)).toBe(iso.slice(0, iso.length - 5) + frac + 'Z');
      }),
      { numRuns: 20000 },
    );
  });

  it('normalises a nanosecond field outside 0..999999999 and clamps digits', () => {
    expect(formatTimestamp(0, 1500000000, 3)).toBe('1970-01-01T00:00:01.500Z');
    expect(formatTimestamp(0, -1, 9)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(formatTimestamp(0, 5, 12)).toBe('1970-01-01T00:00:00.000000005Z');
  });

  it('refuses non-finite input', () => {
    expect(() => formatTimestamp(Number.NaN, 0, 6)).toThrow(RangeError);
  });
});
