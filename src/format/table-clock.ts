/**
 * The membership table's clock as replay and sniff run it: seconds since a base whole second (the first frame's,
 * or the wall clock's at start), because a double holding epoch seconds keeps only ~0.2 us and would print wrong
 * nanosecond digits. Turns table times back into ISO-8601 text at the capture's precision, and events into lines.
 */
import type { MembershipEvent } from '../membership/types.js';
import { formatEvent } from '../membership/format.js';
import { formatTimestamp } from '../pcap/timestamp.js';

export class TableClock {
  /** The base whole second (epoch), set on first use; null before. */
  base: number | null = null;
  private readonly prefix = new Map<number, string>();

  /** `digits`: fractional digits of the text, the capture's precision (6 or 9; 3 for wall-clock snapshots). */
  constructor(public digits = 6) {}

  /** A time on the table's clock as ISO-8601 text. */
  text(t: number): string {
    const digits = this.digits;
    const scale = 10 ** digits;
    let s = Math.floor(t);
    let frac = Math.round((t - s) * scale);
    if (frac >= scale) {
      s++;
      frac -= scale;
    }
    s += this.base ?? 0;
    if (!(digits >= 1 && digits <= 9 && Number.isInteger(digits))) return formatTimestamp(s, frac * 10 ** (9 - digits), digits);
    // The date and time of day once per second, then only the fraction: every member's lastReport of a table goes
    // through here (~14k on the benchmark capture; formatting them all was ~15-30 ms of the snapshot).
    let prefix = this.prefix.get(s);
    if (prefix === undefined) {
      if (this.prefix.size >= 64) this.prefix.clear();
      const full = formatTimestamp(s, 0, digits);
      prefix = full.slice(0, full.length - digits - 1);
      this.prefix.set(s, prefix);
    }
    return `${prefix}${String(frac).padStart(digits, '0')}Z`;
  }

  /** One event as a line: text (formatEvent), or JSON with `ts` as text and `time` in epoch seconds. */
  eventLine(e: MembershipEvent, json: boolean): string {
    return json
      ? JSON.stringify({ ts: this.text(e.time), ...e, time: e.time + (this.base ?? 0) })
      : formatEvent(e, { formatTime: (t) => this.text(t) });
  }
}
