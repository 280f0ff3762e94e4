/**
 * `mcast replay`: captures through the frame decoder, into lines, JSON lines, statistics (and, when asked, the
 * membership table and events). Synchronous over one reused read buffer: memory stays flat whatever the file size.
 * One bad frame is reported and skipped; a damaged file ends the replay after its good part, with the file's
 * error and exit code 1.
 */
import { CaptureFileError, McastError } from '../errors.js';
import { FrameDecoder } from '../decode/frame.js';
import { buildFrameJson } from '../decode/record.js';
import { StatsCollector } from '../decode/stats.js';
import { formatFrameLine } from '../format/frame-text.js';
import { formatStatsText } from '../format/stats-text.js';
import type { LineSink } from '../format/sink.js';
import { openCapture, formatTimestamp, type CaptureRecord } from '../pcap/index.js';
import { IgmpTypeCode } from '../wire/igmp.js';

export interface FrameSelection {
  /** Show every frame, not only IGMP. */
  all: boolean;
  group: number | null;
  host: number | null;
  vlan: number | null;
  /** A compiled filter expression, per link type (libpcap semantics). */
  filter: ((linkType: number, buf: Uint8Array, offset: number, caplen: number, wirelen: number) => boolean) | null;
}

export interface ReplayOptions extends FrameSelection {
  files: string[];
  json: boolean;
  stats: boolean;
  quiet: boolean;
  count: number | null;
  progress: boolean;
  /** Called with each selected frame's decode (membership table, events). */
  observer?: FrameObserver;
}

export interface FrameObserver {
  /**
   * Whether frame() wants every selected frame. If not, it gets the first one and the IGMP ones only (most frames
   * of a capture are not IGMP: a call each was measurable), and end() the latest timestamp of the others.
   */
  readonly everyFrame: boolean;
  frame(d: FrameDecoder, rec: CaptureRecord, n: number): void;
  /** Called once at the end, with the latest timestamp of the frames frame() did not get (tsSec -1: none). */
  end?(tsSec: number, tsNsec: number): void;
}

/** Reported on stderr: first this many bad frames in full, then a count. */
const MAX_FRAME_ERRORS_SHOWN = 20;

export interface ReplayReport {
  frames: number;
  shown: number;
  frameErrors: number;
  fileError: McastError | null;
}

export function runReplay(opts: ReplayOptions, out: LineSink, errLine: (s: string) => void): ReplayReport {
  const d = new FrameDecoder();
  const stats = opts.stats ? new StatsCollector() : null;
  const printLines = !opts.quiet && !(opts.stats && opts.json);
  const report: ReplayReport = { frames: 0, shown: 0, frameErrors: 0, fileError: null };
  const progress = opts.progress ? new Progress() : null;
  const observer = opts.observer ?? null;
  const everyFrame = observer !== null && observer.everyFrame;
  let observed = false;
  let skippedSec = -1;
  let skippedNsec = 0;
  outer: for (const file of opts.files) {
    let reader;
    try {
      reader = openCapture(file);
    } catch (err) {
      if (err instanceof McastError) {
        report.fileError = err;
        errLine(`mcast: ${err.message}`);
        continue;
      }
      throw err;
    }
    const multi = opts.files.length > 1;
    let n = 0;
    try {
      for (let rec = reader.next(); rec !== null; rec = reader.next()) {
        n++;
        report.frames++;
        if (progress !== null && (n & 0x3fff) === 0) progress.update(reader.bytesConsumed, reader.fileSize);
        if (opts.filter !== null && !opts.filter(rec.linkType, rec.buf, rec.offset, rec.caplen, rec.wirelen)) continue;
        d.decode(rec.linkType, rec.buf, rec.offset, rec.caplen);
        if (!selected(d, opts)) continue;
        if (d.error !== null) {
          report.frameErrors++;
          if (!printLines || !(opts.all || d.hasIgmp)) {
            if (report.frameErrors <= MAX_FRAME_ERRORS_SHOWN) {
              errLine(`mcast: ${multi ? `${file}: ` : ''}frame ${n} (file byte ${rec.fileOffset}): ${d.error.message}`);
            }
          }
        }
        if (stats !== null) stats.add(d, rec.tsSec, rec.tsNsec);
        if (observer !== null) {
          if (everyFrame || d.hasIgmp || !observed) {
            observer.frame(d, rec, n);
            observed = true;
          } else if (rec.tsSec > skippedSec || (rec.tsSec === skippedSec && rec.tsNsec > skippedNsec)) {
            skippedSec = rec.tsSec;
            skippedNsec = rec.tsNsec;
          }
        }
        if (printLines && (opts.all || d.hasIgmp || d.error !== null)) {
          const f = buildFrameJson(d, {
            n,
            ts: formatTimestamp(rec.tsSec, rec.tsNsec, rec.tsDigits),
            len: rec.wirelen,
            iface: rec.ifaceName,
          });
          out.line(opts.json ? JSON.stringify(f) : formatFrameLine(f));
          report.shown++;
          if (opts.count !== null && report.shown >= opts.count) break outer;
        }
      }
    } catch (err) {
      if (!(err instanceof CaptureFileError)) throw err;
      report.fileError = err;
      out.flush();
      errLine(`mcast: ${err.message}`);
    } finally {
      reader.close();
    }
  }
  progress?.done();
  if (report.frameErrors > MAX_FRAME_ERRORS_SHOWN) {
    errLine(`mcast: ${report.frameErrors - MAX_FRAME_ERRORS_SHOWN} more bad frames not shown (${report.frameErrors} in all)`);
  }
  observer?.end?.(skippedSec, skippedNsec);
  if (stats !== null) {
    const s = stats.toJson();
    if (opts.json) out.line(JSON.stringify(s));
    else for (const l of formatStatsText(s)) out.line(l);
  }
  out.flush();
  return report;
}

function selected(d: FrameDecoder, sel: FrameSelection): boolean {
  if (sel.vlan !== null && !hasVlan(d, sel.vlan)) return false;
  if (sel.host !== null && !(d.hasIp && (d.ip.src === sel.host || d.ip.dst === sel.host))) return false;
  if (sel.group !== null && !concernsGroup(d, sel.group)) return false;
  return true;
}

function hasVlan(d: FrameDecoder, vid: number): boolean {
  for (let i = 0; i < d.vlanCount; i++) if (d.vlanId(i) === vid) return true;
  return false;
}

/** The frame is about the group: sent to it, or an IGMP message (or v3 record) naming it. */
function concernsGroup(d: FrameDecoder, group: number): boolean {
  if (!d.hasIp) return false;
  if (d.ip.dst === group) return true;
  if (!d.hasIgmp) return false;
  const g = d.igmp;
  if (g.typeCode !== IgmpTypeCode.V3MembershipReport) return g.group === group;
  const rv = g.records;
  try {
    for (let ok = g.firstRecord(rv); ok; ok = g.nextRecord(rv)) if (rv.group === group) return true;
  } catch {
    /* a truncated record: no match past it */
  }
  return false;
}

/** A progress bar on stderr (only when stderr is a terminal and the file is large). */
class Progress {
  private last = 0;
  private shown = false;
  update(done: number, total: number | null): void {
    if (total === null || total <= 0) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const frac = Math.min(1, done / total);
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    process.stderr.write(`\r[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${(done / 1e6).toFixed(0)}/${(total / 1e6).toFixed(0)} MB`);
    this.shown = true;
  }
  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}
