/**
 * Capture timestamps, exact and without BigInt.
 *
 * A pcapng timestamp is a 64-bit count of ticks of 10^-n or 2^-n seconds (if_tsresol, draft-ietf-opsawg-pcapng
 * section 4.2). A nanosecond count passes 2^53 in 1970 + 104 days, so a double cannot hold it: the 64 bits stay two
 * 32-bit halves and are divided in 16-bit limbs (every intermediate stays below 2^47, exact in a double). BigInt would
 * allocate on every record. Results land in a caller-owned object: nothing is allocated per record.
 */

/** Where a conversion writes its result (the reader's record object). */
export interface SecNsec {
  tsSec: number;
  tsNsec: number;
}

// divmod64 works in place on this scratch: dividend in and quotient out as 32-bit halves, plus the remainder.
// A typed array, because V8 boxes a double passed to a call it does not inline or written to a module-scope `let`
// (a HeapNumber each time) but not one stored in a Float64Array.
const Q = new Float64Array(3);
const Q_HI = 0;
const Q_LO = 1;
const Q_REM = 2;

const TWO32 = 4294967296;

/** (Q[Q_HI] * 2^32 + Q[Q_LO]) / d for 1 <= d < 2^31: quotient back in Q[Q_HI], Q[Q_LO]; remainder in Q[Q_REM]. */
function divmod64(d: number): void {
  const hi = Q[Q_HI];
  const lo = Q[Q_LO];
  // Long division, 16 bits at a time: r < d < 2^31, so r * 65536 + limb < 2^47.
  let x = Math.floor(hi / 65536);
  const q3 = Math.floor(x / d);
  let r = x - q3 * d;
  x = r * 65536 + (hi % 65536);
  const q2 = Math.floor(x / d);
  r = x - q2 * d;
  x = r * 65536 + Math.floor(lo / 65536);
  const q1 = Math.floor(x / d);
  r = x - q1 * d;
  x = r * 65536 + (lo % 65536);
  const q0 = Math.floor(x / d);
  Q[Q_REM] = x - q0 * d;
  Q[Q_HI] = q3 * 65536 + q2;
  Q[Q_LO] = q1 * 65536 + q0;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000] as const;

/**
 * One if_tsresol value: how to turn that interface's 64-bit tick counts into seconds + nanoseconds.
 * Built once per interface (IDB), used per record.
 */
export class TickScale {
  /** The raw if_tsresol byte. */
  readonly tsresol: number;
  /** Fractional decimal digits the resolution carries, capped at 9. */
  readonly digits: number;
  private readonly binary: boolean;
  private readonly exponent: number;

  /** Throws RangeError for resolutions finer than one tick per 2^-64 s (more ticks per second than a u64 counts). */
  constructor(tsresol: number) {
    this.tsresol = tsresol & 0xff;
    this.binary = (tsresol & 0x80) !== 0;
    this.exponent = tsresol & 0x7f;
    if (this.binary ? this.exponent > 63 : this.exponent > 19) {
      throw new RangeError(`if_tsresol ${this.binary ? '2' : '10'}^-${this.exponent} is finer than a 64-bit counter`);
    }
    if (this.binary) {
      // Fewest decimal digits d with 10^d >= 2^e ticks per second, capped at 9.
      let d = 0;
      while (d < 9 && 10 ** d < 2 ** this.exponent) d++;
      this.digits = d;
    } else {
      this.digits = Math.min(this.exponent, 9);
    }
  }

  /**
   * Converts the 64-bit tick count stored at view[at, at + 8) as a pcapng timestamp (high 32 bits first, each half in
   * the section's byte order) to whole seconds and nanoseconds (truncated), into `out`. Taking the view rather than
   * the two halves keeps the per-record call free of boxed doubles.
   */
  convert(view: DataView, at: number, le: boolean, out: SecNsec): void {
    Q[Q_HI] = view.getUint32(at, le);
    Q[Q_LO] = view.getUint32(at + 4, le);
    this.convertQ(out);
  }

  /** The same for ticks = hi * 2^32 + lo (both unsigned 32-bit). */
  convertTicks(hi: number, lo: number, out: SecNsec): void {
    Q[Q_HI] = hi;
    Q[Q_LO] = lo;
    this.convertQ(out);
  }

  private convertQ(out: SecNsec): void {
    const e = this.exponent;
    if (!this.binary) {
      if (e <= 9) {
        divmod64(POW10[e]);
        out.tsSec = Q[Q_HI] * TWO32 + Q[Q_LO];
        out.tsNsec = Q[Q_REM] * POW10[9 - e];
        return;
      }
      // Finer than 1 ns: drop the sub-nanosecond digits first (floor of floor is floor), then split at 10^9.
      let drop = e - 9;
      while (drop > 0) {
        const step = drop > 9 ? 9 : drop;
        divmod64(POW10[step]);
        drop -= step;
      }
      divmod64(1000000000);
      out.tsSec = Q[Q_HI] * TWO32 + Q[Q_LO];
      out.tsNsec = Q[Q_REM];
      return;
    }
    const hi = Q[Q_HI];
    const lo = Q[Q_LO];
    // Binary: 2^-e seconds per tick. 10^9 = 2^9 * 1953125, and 1953125 < 2^21, so frac * 1953125 stays exact when
    // frac < 2^32.
    if (e === 0) {
      out.tsSec = hi * TWO32 + lo;
      out.tsNsec = 0;
    } else if (e <= 32) {
      const p = 2 ** e;
      const loSec = Math.floor(lo / p);
      const frac = lo - loSec * p;
      out.tsSec = hi * 2 ** (32 - e) + loSec;
      out.tsNsec = e <= 9 ? frac * (1000000000 / p) : Math.floor((frac * 1953125) / 2 ** (e - 9));
    } else {
      const p = 2 ** (e - 32);
      const sec = Math.floor(hi / p);
      const fh = hi - sec * p; // < 2^31
      out.tsSec = sec;
      // nsec = floor((fh * 2^32 + lo) * 1953125 / 2^k), k = e - 9 in [24, 54]
      const a = fh * 1953125; // < 2^52
      const b = lo * 1953125; // < 2^53
      const k = e - 9;
      out.tsNsec = k >= 32 ? Math.floor((a + Math.floor(b / TWO32)) / 2 ** (k - 32)) : a * 2 ** (32 - k) + Math.floor(b / 2 ** k);
    }
  }
}

/** The default pcapng resolution (if_tsresol absent): microseconds. */
export const TSRESOL_USEC = 6;
/** if_tsresol for nanoseconds. */
export const TSRESOL_NSEC = 9;

/** Ticks as 32-bit halves, written by secNsecToTicks. */
export interface Ticks64 {
  hi: number;
  lo: number;
}

/**
 * sec * ticksPerSecond + frac as a 64-bit count (for the pcapng writer). sec must be a non-negative integer and the
 * result below 2^64; ticksPerSecond < 2^31. Exact: 16-bit limbs, every product below 2^47.
 */
export function secToTicks(sec: number, ticksPerSecond: number, frac: number, out: Ticks64): boolean {
  if (!(sec >= 0) || !Number.isInteger(sec)) return false;
  const s2 = Math.floor(sec / TWO32);
  const rest = sec - s2 * TWO32;
  const s1 = Math.floor(rest / 65536);
  const s0 = rest - s1 * 65536;
  if (s2 >= 65536) return false;
  let x = s0 * ticksPerSecond + frac;
  const l0 = x % 65536;
  let c = Math.floor(x / 65536);
  x = s1 * ticksPerSecond + c;
  const l1 = x % 65536;
  c = Math.floor(x / 65536);
  x = s2 * ticksPerSecond + c;
  const l2 = x % 65536;
  const l3 = Math.floor(x / 65536);
  if (l3 >= 65536) return false;
  out.hi = l3 * 65536 + l2;
  out.lo = l1 * 65536 + l0;
  return true;
}

// formatTimestamp writes ASCII into this scratch buffer and returns one latin1 string: the only allocation.
const scratch = Buffer.alloc(64);

function put2(pos: number, v: number): number {
  scratch[pos] = 48 + Math.floor(v / 10);
  scratch[pos + 1] = 48 + (v % 10);
  return pos + 2;
}

/** Writes the decimal digits of a non-negative integer, at least minDigits wide. */
function putInt(pos: number, v: number, minDigits: number): number {
  let n = 1;
  while (n < 17 && 10 ** n <= v) n++;
  if (n < minDigits) n = minDigits;
  for (let i = n - 1; i >= 0; i--) {
    scratch[pos + i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return pos + n;
}

/**
 * ISO-8601 UTC with exactly `tsDigits` (0-9) fractional digits, truncated, and a trailing Z:
 * `2009-02-24T10:21:47.698870Z`. Years outside 0000-9999 take the expanded form JavaScript's Date uses
 * (`+275760-09-13T00:00:00Z`, `-000001-12-31T23:59:59Z`). Proleptic Gregorian calendar; no leap seconds (as pcap).
 */
export function formatTimestamp(tsSec: number, tsNsec: number, tsDigits: number): string {
  if (!Number.isFinite(tsSec) || !Number.isFinite(tsNsec)) throw new RangeError(`timestamp ${tsSec}.${tsNsec} is not finite`);
  let sec = Math.floor(tsSec);
  let ns = Math.floor(tsNsec);
  if (ns < 0 || ns >= 1000000000) {
    const carry = Math.floor(ns / 1000000000);
    sec += carry;
    ns -= carry * 1000000000;
  }
  if (Math.abs(sec) > 8.64e15) throw new RangeError(`timestamp ${tsSec} s is out of range`);
  const digits = tsDigits <= 0 ? 0 : tsDigits >= 9 ? 9 : Math.floor(tsDigits);

  const days = Math.floor(sec / 86400);
  const sod = sec - days * 86400;
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm, eras of 400 years).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  let p = 0;
  if (year >= 0 && year <= 9999) {
    p = putInt(p, year, 4);
  } else {
    scratch[p++] = year < 0 ? 45 /* - */ : 43 /* + */;
    p = putInt(p, Math.abs(year), 6);
  }
  scratch[p++] = 45;
  p = put2(p, month);
  scratch[p++] = 45;
  p = put2(p, day);
  scratch[p++] = 84; // T
  p = put2(p, Math.floor(sod / 3600));
  scratch[p++] = 58;
  p = put2(p, Math.floor(sod / 60) % 60);
  scratch[p++] = 58;
  p = put2(p, sod % 60);
  if (digits > 0) {
    scratch[p++] = 46; // .
    let v = Math.floor(ns / POW10[9 - digits]);
    for (let i = digits - 1; i >= 0; i--) {
      scratch[p + i] = 48 + (v % 10);
      v = Math.floor(v / 10);
    }
    p += digits;
  }
  scratch[p++] = 90; // Z
  return scratch.toString('latin1', 0, p);
}
