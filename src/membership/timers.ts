/**
 * Timer values (RFC 3376 section 8), the exponent form used by Max Resp Code and QQIC (sections 4.1.1, 4.1.7), and
 * the time text of snapshots. Pure functions.
 */
import type { TimerOptions, TimerParams } from './types.js';

/** RFC 3376 section 8 defaults, in seconds. */
export const RFC3376_DEFAULTS = {
  robustness: 2,
  queryInterval: 125,
  queryResponseInterval: 10,
  lastMemberQueryInterval: 1,
} as const;

/**
 * The timer values in force. `announcedQrv`/`announcedQqi` come from the elected querier's v3 queries (0 or null:
 * not announced); sections 4.1.6 and 4.1.7 say a zero field means "use the default or the configured value".
 */
export function timerParams(opts: TimerOptions, announcedQrv: number | null, announcedQqi: number | null): TimerParams {
  const adopt = opts.adoptFromQueries !== false;
  const rv = adopt && announcedQrv !== null && announcedQrv > 0
    ? announcedQrv
    : (opts.robustness ?? RFC3376_DEFAULTS.robustness);
  const qi = adopt && announcedQqi !== null && announcedQqi > 0
    ? announcedQqi
    : (opts.queryInterval ?? RFC3376_DEFAULTS.queryInterval);
  const qri = opts.queryResponseInterval ?? RFC3376_DEFAULTS.queryResponseInterval;
  const lmqi = opts.lastMemberQueryInterval ?? RFC3376_DEFAULTS.lastMemberQueryInterval;
  const lmqc = opts.lastMemberQueryCount ?? rv;
  return {
    robustness: rv,
    queryInterval: qi,
    queryResponseInterval: qri,
    // Section 8.4: GMI = RV x QI + QRI (RFC 9776 changed it to + 2 x QRI; the issue asks for RFC 3376's 260 s).
    groupMembershipInterval: opts.groupMembershipInterval ?? rv * qi + qri,
    // Section 8.5.
    otherQuerierPresentInterval: opts.otherQuerierPresentInterval ?? rv * qi + qri / 2,
    lastMemberQueryInterval: lmqi,
    lastMemberQueryCount: lmqc,
    lastMemberQueryTime: lmqi * lmqc,
    // Section 8.13.
    olderHostPresentInterval: opts.olderHostPresentInterval ?? rv * qi + qri,
  };
}

/** Largest value the exponent form can carry: (0xf | 0x10) << (7 + 3). */
export const EXP_FORM_MAX = 31744;

/**
 * A whole number of units (tenths of a second for Max Resp Code, seconds for QQIC) to its 8-bit code, RFC 3376
 * section 4.1.1: below 128 the value itself, else 1|exp(3)|mant(4) with value = (mant | 0x10) << (exp + 3). A value
 * the form cannot carry exactly gets the next lower one (RFC 9776 section 8 says so for configured times);
 * values past EXP_FORM_MAX get 0xff.
 */
export function encodeExpForm(units: number): number {
  const v = Math.max(0, Math.floor(units));
  if (v < 128) return v;
  if (v >= EXP_FORM_MAX) return 0xff;
  // The top bit of v sits at exp + 7 (mant | 0x10 has 5 bits).
  const exp = 31 - Math.clz32(v) - 7;
  const mant = (v >>> (exp + 3)) & 0x0f;
  return 0x80 | (exp << 4) | mant;
}

/** The inverse of encodeExpForm, in the same units. */
export function decodeExpForm(code: number): number {
  if (code < 128) return code;
  const exp = (code >>> 4) & 0x07;
  const mant = code & 0x0f;
  return (mant | 0x10) << (exp + 3);
}

/**
 * Seconds since the Unix epoch to ISO 8601 with microseconds, "2026-01-01T10:00:00.000000Z" (the lastReport form).
 * Rounded to the microsecond; float seconds of this era carry about that precision.
 */
export function isoMicros(seconds: number): string {
  const us = Math.round(seconds * 1e6);
  const whole = Math.floor(us / 1e6);
  const frac = us - whole * 1e6;
  if (whole !== isoCache.second) {
    // Snapshots format one time per member, mostly from a few seconds: keep the last second's text.
    isoCache.second = whole;
    isoCache.text = new Date(whole * 1000).toISOString().slice(0, 19); // "YYYY-MM-DDTHH:MM:SS"
  }
  return `${isoCache.text}.${String(frac).padStart(6, '0')}Z`;
}

const isoCache = { second: NaN, text: '' };

/** Seconds rounded to the millisecond, for expiresIn (kills float noise such as 251.29999999). */
export function roundSeconds(s: number): number {
  return Math.round(s * 1000) / 1000;
}
