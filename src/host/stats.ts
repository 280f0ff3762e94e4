/**
 * Per-stream receive statistics: one stream is (group, port, source address, source port, probe sender id).
 *
 * Sequence accounting, for probe datagrams (sequence numbers wrap at 2^32; they are extended to a count that
 * does not, by the signed 32-bit difference to the highest seen, as RTP receivers do, RFC 3550 appendix A.1):
 * - a datagram whose sequence was already seen is a duplicate;
 * - a first arrival below the highest sequence seen is reordered (it came late);
 * - lost = (highest - lowest + 1) - distinct sequences seen, so a reordered datagram that turns up is not lost.
 * A bitmap over the last WINDOW sequences tells duplicates from late arrivals; a datagram older than the window
 * counts as reordered (it cannot be told from a duplicate any more).
 *
 * One-way delay is arrival time minus the sender's stamp (meaningful on one host or with synchronised clocks);
 * jitter is RFC 3550 section 6.4.1's interarrival jitter over those delays. Record does not allocate.
 */

const WINDOW = 1 << 16;
const TWO32 = 0x1_0000_0000;

export interface DelaySummary {
  minUs: number;
  avgUs: number;
  maxUs: number;
  jitterUs: number;
}

/** A plain snapshot of a stream, for JSON and the formatters. */
export interface StreamSummary {
  group: string;
  port: number;
  source: string;
  sourcePort: number;
  /** Probe sender id as 8 hex digits, or null for datagrams without a probe header. */
  senderId: string | null;
  packets: number;
  bytes: number;
  /** Sequence accounting; zero for non-probe streams. */
  lost: number;
  duplicates: number;
  reordered: number;
  /** Lowest and highest sequence seen (probe streams), else null. */
  firstSeq: number | null;
  lastSeq: number | null;
  /** Seconds from the first to the last datagram. */
  durationS: number;
  /** Average rates over durationS (0 with fewer than 2 datagrams). */
  pps: number;
  bps: number;
  delay: DelaySummary | null;
}

export class StreamStats {
  packets = 0;
  bytes = 0;
  duplicates = 0;
  reordered = 0;
  private unique = 0;
  private base = 0;
  private highest = -1;
  private readonly seen: Uint8Array | null;
  firstUs = 0;
  lastUs = 0;
  private delayMin = Infinity;
  private delayMax = -Infinity;
  private delaySum = 0;
  private delayCount = 0;
  private jitter = 0;
  private prevDelay = NaN;

  constructor(
    readonly group: string,
    readonly port: number,
    readonly source: string,
    readonly sourcePort: number,
    /** Probe sender id, or -1 for a stream of datagrams without a probe header. */
    readonly senderId: number,
  ) {
    this.seen = senderId >= 0 ? new Uint8Array(WINDOW >>> 3) : null;
  }

  /** A datagram without probe header: counts only. */
  recordPlain(size: number, arrivalUs: number): void {
    if (this.packets === 0) this.firstUs = arrivalUs;
    this.packets++;
    this.bytes += size;
    this.lastUs = arrivalUs;
  }

  /** A probe datagram. */
  record(sequence: number, size: number, arrivalUs: number, sendTimeUs: number): void {
    this.recordPlain(size, arrivalUs);
    const seen = this.seen!;
    if (this.highest < 0) {
      // The extended count starts one 2^32 cycle up, so a datagram sent before the first one to arrive (reordered
      // behind it) still has a place when the 32-bit sequence wrapped in between (2^32 - 3 arriving after 0).
      this.base = this.highest = sequence + TWO32;
      this.unique = 1;
      setBit(seen, this.highest);
    } else {
      const diff = (sequence - (this.highest % TWO32)) | 0;
      const ext = this.highest + diff;
      if (diff > 0) {
        if (diff >= WINDOW) seen.fill(0);
        else for (let e = this.highest + 1; e < ext; e++) clearBit(seen, e);
        setBit(seen, ext);
        this.highest = ext;
        this.unique++;
      } else if (diff === 0) {
        this.duplicates++;
      } else if (-diff >= WINDOW || ext < 0) {
        this.reordered++;
        this.unique++;
        if (ext >= 0 && ext < this.base) this.base = ext;
      } else if (getBit(seen, ext)) {
        this.duplicates++;
      } else {
        setBit(seen, ext);
        this.reordered++;
        this.unique++;
        if (ext < this.base) this.base = ext;
      }
    }
    const d = arrivalUs - sendTimeUs;
    if (d < this.delayMin) this.delayMin = d;
    if (d > this.delayMax) this.delayMax = d;
    this.delaySum += d;
    this.delayCount++;
    if (this.prevDelay === this.prevDelay) this.jitter += (Math.abs(d - this.prevDelay) - this.jitter) / 16;
    this.prevDelay = d;
  }

  get lost(): number {
    if (this.highest < 0) return 0;
    return Math.max(0, this.highest - this.base + 1 - this.unique);
  }

  summary(): StreamSummary {
    const durationS = (this.lastUs - this.firstUs) / 1e6;
    const probe = this.senderId >= 0 && this.highest >= 0;
    return {
      group: this.group,
      port: this.port,
      source: this.source,
      sourcePort: this.sourcePort,
      senderId: this.senderId >= 0 ? this.senderId.toString(16).padStart(8, '0') : null,
      packets: this.packets,
      bytes: this.bytes,
      lost: this.lost,
      duplicates: this.duplicates,
      reordered: this.reordered,
      firstSeq: probe ? this.base % TWO32 : null,
      lastSeq: probe ? this.highest % TWO32 : null,
      durationS,
      pps: durationS > 0 ? (this.packets - 1) / durationS : 0,
      bps: durationS > 0 ? ((this.bytes * 8) * (this.packets - 1)) / this.packets / durationS : 0,
      delay:
        this.delayCount === 0
          ? null
          : { minUs: this.delayMin, avgUs: this.delaySum / this.delayCount, maxUs: this.delayMax, jitterUs: this.jitter },
    };
  }
}

function setBit(bits: Uint8Array, ext: number): void {
  const i = ext % WINDOW;
  bits[i >>> 3] |= 1 << (i & 7);
}

function clearBit(bits: Uint8Array, ext: number): void {
  const i = ext % WINDOW;
  bits[i >>> 3] &= ~(1 << (i & 7));
}

function getBit(bits: Uint8Array, ext: number): boolean {
  const i = ext % WINDOW;
  return (bits[i >>> 3]! & (1 << (i & 7))) !== 0;
}
