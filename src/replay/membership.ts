/**
 * Replay's bridge to the membership library: each decoded IGMP frame becomes a MembershipMessage on the capture's
 * clock; events print as they happen; the table prints at the end of the capture or at `--at`.
 */
import type { CaptureRecord } from '../pcap/index.js';
import { formatTimestamp } from '../pcap/index.js';
import type { FrameDecoder } from '../decode/frame.js';
import { LinkKind } from '../decode/frame.js';
import { ipv4ToString, macToString } from '../wire/addr.js';
import { parseIgmp } from '../wire/igmp.js';
import { MembershipTable, formatEvent, formatTable, type MembershipEvent, type MembershipMessage, type TimerOptions } from '../membership/index.js';
import type { LineSink } from '../format/sink.js';
import type { FrameObserver } from './replay.js';

/** `--at`: an absolute ISO-8601 time, or `+SECONDS` after the first frame. */
export type AtTime = { absolute: { sec: number; frac: number } } | { relative: number };

export interface MembershipReplayOptions {
  table: boolean;
  events: boolean;
  json: boolean;
  at: AtTime | null;
  timers: TimerOptions;
}

/** The message the table consumes, built from the decoder's views (allocates; IGMP frames only). */
export function membershipMessage(d: FrameDecoder, time: number, iface: string | null, frame: number | null, tsText?: string): MembershipMessage {
  let srcMac: string | null = null;
  if (d.link === LinkKind.ETHERNET) srcMac = macToString(d.buf, d.eth.srcOffset);
  else if (d.link === LinkKind.SLL && d.sll.addressLength === 6) srcMac = macToString(d.buf, d.sll.addrOffset);
  else if (d.link === LinkKind.SLL2 && d.sll2.addressLength === 6) srcMac = macToString(d.buf, d.sll2.addrOffset);
  const vlan = d.outerVlan;
  const msg: MembershipMessage = {
    time,
    iface,
    vlan: vlan < 0 ? null : vlan,
    srcIp: ipv4ToString(d.ip.src),
    srcMac,
    dstIp: ipv4ToString(d.ip.dst),
    igmp: parseIgmp(d.igmp).repr,
    frame,
  };
  if (tsText !== undefined) msg.tsText = tsText;
  return msg;
}

export class MembershipObserver implements FrameObserver {
  readonly table: MembershipTable;
  private first: number | null = null;
  private last = 0;
  private stopAt: number | null = null;
  private digits = 6;
  /**
   * The table's clock is seconds since the first frame's whole second: a double holding epoch seconds keeps only
   * ~0.2 us, which would print wrong nanosecond digits.
   */
  private base: number | null = null;

  constructor(
    private readonly opts: MembershipReplayOptions,
    private readonly out: LineSink,
  ) {
    this.table = new MembershipTable({ ...opts.timers, events: opts.events, formatTime: (t) => this.fmt(t) });
  }

  frame(d: FrameDecoder, rec: CaptureRecord, n: number): void {
    if (this.base === null) this.base = rec.tsSec;
    const time = rec.tsSec - this.base + rec.tsNsec * 1e-9;
    if (this.first === null) {
      this.first = time;
      this.digits = rec.tsDigits;
      const at = this.opts.at;
      if (at !== null) this.stopAt = 'relative' in at ? time + at.relative : at.absolute.sec - this.base + at.absolute.frac;
    }
    // Past --at: skip, but read on. A pcapng of several interfaces (dumpcap -i A -i B) is in time order per
    // interface only, so a later record may still be earlier than --at.
    if (this.stopAt !== null && time > this.stopAt) return;
    if (time > this.last) this.last = time;
    if (!d.hasIgmp || d.error !== null) {
      // Timers still run on the capture's clock between IGMP frames (only when one is due: most frames are not IGMP).
      if (time >= this.table.nextDeadline()) this.print(this.table.advance(time));
      return;
    }
    // No tsText: the table's clock is exact to the nanosecond here, so fmt() prints lastReport only when shown.
    this.print(this.table.onMessage(membershipMessage(d, time, rec.ifaceName, n)));
  }

  end(): void {
    const at = this.stopAt ?? this.last;
    this.print(this.table.advance(at));
    if (!this.opts.table) return;
    const snap = this.table.snapshot(at);
    if (this.opts.json) this.out.line(JSON.stringify(snap));
    else {
      if (this.opts.events) this.out.line('');
      this.out.line(`membership at ${this.fmt(at)}`);
      for (const l of formatTable(snap).split('\n')) this.out.line(l);
    }
  }

  private print(events: readonly MembershipEvent[]): void {
    if (!this.opts.events) return;
    for (const e of events) {
      // JSON events carry the time as text too, at the capture's precision.
      this.out.line(
        this.opts.json ? JSON.stringify({ ts: this.fmt(e.time), ...e, time: e.time + (this.base ?? 0) }) : formatEvent(e, { formatTime: (t) => this.fmt(t) }),
      );
    }
  }

  private fmt(t: number): string {
    const sec = Math.floor(t);
    const scale = 10 ** this.digits;
    let frac = Math.round((t - sec) * scale);
    let s = sec + (this.base ?? 0);
    if (frac >= scale) {
      s++;
      frac -= scale;
    }
    return formatTimestamp(s, frac * 10 ** (9 - this.digits), this.digits);
  }
}
