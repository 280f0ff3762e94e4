/**
 * Streaming reader for classic pcap and pcapng, with flat memory whatever the file size.
 *
 * One buffer (ByteSource) is filled with fs.readSync and reused; next() hands out ONE record object, mutated per
 * record, whose (buf, offset, caplen) is a view into that buffer, valid until the next call (gopacket's
 * ZeroCopyReadPacketData idea). Nothing is allocated per record.
 *
 * Damage is met lazily, in file order: every good record before it is delivered, then next() throws a
 * CaptureFileError whose offset is the file offset of the bad record or block (and keeps throwing it).
 * Lengths from the file are checked against fixed caps before any buffer is sized from them.
 *
 * Choices (where the formats leave room):
 * - pcap caplen > snaplen is tolerated up to MAX_CAPLEN (256 KiB): tshark 4.0 and tcpdump 4.99 both read such a
 *   record (tshark shows every captured byte, libpcap cuts the view to snaplen); we deliver every captured byte, as
 *   tshark does. Above MAX_CAPLEN: ERR_PCAP_CAPLEN_TOO_LARGE, whatever the snaplen says (both tools refuse too).
 * - wirelen < caplen is reported as found (the decoder uses caplen).
 * - pcap seconds are unsigned 32-bit (draft-ietf-opsawg-pcap; tshark agrees, up to 2106). libpcap reads them as
 *   signed, so tcpdump prints "[Error converting time]" from 2038 on.
 * - A microsecond field >= 10^6 (or nanosecond >= 10^9) carries into the seconds.
 * - The pcap link-type field keeps only its low 16 bits (the upper bits carry FCS information).
 * - pcapng: a block whose total length runs past the end of the input is ERR_PCAPNG_TRUNCATED_BLOCK when the length
 *   is plausible (<= MAX_BLOCK_LENGTH: a capture cut short) and ERR_PCAPNG_BAD_BLOCK_LENGTH when it is not (a lying
 *   field), as wiretap does. Blocks read whole (IDB, EPB, SPB, PB) must not exceed MAX_BLOCK_LENGTH; blocks only
 *   skipped (SHB options, NRB, ISB, DSB, custom, unknown) may be any length and stream past without being held.
 * - The record's ifaceIndex and the list from interfaces() are per section: a new SHB resets them (and may switch
 *   byte order); `section` counts SHBs from 0.
 * - SPB carries no timestamp: tsSec = tsNsec = 0 and hasTimestamp = false.
 */
import * as fs from 'node:fs';
import { CaptureFileError, SystemError } from '../errors.js';
import { ByteSource } from './source.js';
import { TickScale, TSRESOL_USEC } from './timestamp.js';
import {
  BYTE_ORDER_MAGIC,
  BlockType,
  CaptureErrorCode as E,
  MAX_BLOCK_LENGTH,
  MAX_CAPLEN,
  OptionCode,
  PCAP,
  PCAPNG,
  PcapMagic,
} from './constants.js';

/** One record, handed out by next(). The same object every time: copy what you keep. */
export interface CaptureRecord {
  /** The reader's buffer; the packet is buf[offset, offset + caplen). Valid until the next call to next(). */
  buf: Uint8Array;
  offset: number;
  caplen: number;
  /** Original length on the wire. */
  wirelen: number;
  /** Seconds since 1970-01-01T00:00:00Z (negative when a pcapng if_tsoffset says so). */
  tsSec: number;
  /** Nanoseconds, 0..999999999, truncated from the file's own resolution. */
  tsNsec: number;
  /** Fractional digits the file carries: 6 (pcap), 9 (nanosecond pcap), from if_tsresol (pcapng), at most 9. */
  tsDigits: number;
  linkType: number;
  /** Interface index within the section (0 for classic pcap). */
  ifaceIndex: number;
  ifaceName: string | null;
  /** File offset of the record header (pcap) or block (pcapng). */
  fileOffset: number;
  /** pcapng section number, from 0 (always 0 for classic pcap). */
  section: number;
  /** False for a pcapng Simple Packet Block, which has no timestamp. */
  hasTimestamp: boolean;
}

export interface CaptureInterface {
  linkType: number;
  name: string | null;
  /** 0 means no limit (pcapng) or an unset header (pcap). */
  snaplen: number;
  tsDigits: number;
  /** Raw if_tsresol byte (6 for microsecond pcap, 9 for nanosecond pcap). */
  tsresol: number;
  /** if_tsoffset, seconds added to every timestamp (0 if absent). */
  tsOffset: number;
}

export interface OpenCaptureOptions {
  /** Initial buffer size in bytes (default 256 KiB, or the file size if smaller; at least 64). */
  bufferSize?: number;
  /** Name used in error messages (default: the path, or 'stdin'). */
  name?: string;
}

/**
 * Default read buffer. Small enough that what one read brings stays in a core's L2 cache (1 MiB on the benchmark
 * machine) while the decoder and the membership table work on it: with 4 MiB every read evicted the table's state,
 * and on the 1M-frame benchmark capture (15 alternating pairs, in-process) `--stats --table` took 154 ms longer and
 * `--stats` 43 ms longer than with 256 KiB; 128 KiB measured the same as 256 KiB, with twice the reads.
 */
export const DEFAULT_BUFFER_SIZE = 256 * 1024;
const MIN_BUFFER_SIZE = 64;

class RecordView implements CaptureRecord {
  buf: Uint8Array = new Uint8Array(0);
  offset = 0;
  caplen = 0;
  wirelen = 0;
  tsSec = 0;
  tsNsec = 0;
  tsDigits = 6;
  linkType = 0;
  ifaceIndex = 0;
  ifaceName: string | null = null;
  fileOffset = 0;
  section = 0;
  hasTimestamp = true;
}

class Iface {
  linkType: number;
  name: string | null;
  snaplen: number;
  scale: TickScale;
  tsOffset: number;
  constructor(linkType: number, name: string | null, snaplen: number, scale: TickScale, tsOffset: number) {
    this.linkType = linkType;
    this.name = name;
    this.snaplen = snaplen;
    this.scale = scale;
    this.tsOffset = tsOffset;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function hex32(v: number): string {
  return v.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Opens a capture file ('-' = stdin; a number = an open file descriptor, left open by close()). */
export function openCapture(path: string | number, opts: OpenCaptureOptions = {}): CaptureReader {
  let fd: number;
  let owned = false;
  let name: string;
  if (typeof path === 'number') {
    fd = path;
    name = opts.name ?? `fd ${path}`;
  } else if (path === '-') {
    fd = 0;
    name = opts.name ?? 'stdin';
  } else {
    name = opts.name ?? path;
    try {
      fd = fs.openSync(path, 'r');
    } catch (e) {
      throw new SystemError('ERR_CAPTURE_OPEN', `${name}: cannot open: ${(e as Error).message}`);
    }
    owned = true;
  }
  try {
    return new CaptureReader(fd, owned, name, opts);
  } catch (e) {
    if (owned) fs.closeSync(fd);
    throw e;
  }
}

export class CaptureReader {
  readonly format: 'pcap' | 'pcapng';
  /** Size of a regular file at open (refreshed if a block seems to pass it); null for pipes and terminals. */
  fileSize: number | null;
  readonly name: string;

  private readonly src: ByteSource;
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private readonly rec = new RecordView();
  private le = true;
  private closed = false;
  private failed: CaptureFileError | null = null;
  // classic pcap
  private nsec = false;
  private snaplen = 0;
  private linkType = 0;
  // pcapng
  private ifaces: Iface[] = [];
  private section = -1;

  /** Use openCapture(). Reads and checks the file header. */
  constructor(fd: number, ownsFd: boolean, name: string, opts: OpenCaptureOptions = {}) {
    this.fd = fd;
    this.ownsFd = ownsFd;
    this.name = name;
    let st: fs.Stats | null = null;
    try {
      st = fs.fstatSync(fd);
    } catch {
      st = null;
    }
    if (st !== null && st.isDirectory()) throw new SystemError('ERR_CAPTURE_OPEN', `${name}: is a directory`);
    this.fileSize = st !== null && st.isFile() ? st.size : null;
    let size = opts.bufferSize ?? DEFAULT_BUFFER_SIZE;
    if (opts.bufferSize === undefined && this.fileSize !== null && this.fileSize < size) size = this.fileSize;
    size = Math.max(MIN_BUFFER_SIZE, Math.floor(size));
    this.src = new ByteSource(fd, size, MAX_BLOCK_LENGTH, name);

    const src = this.src;
    if (!src.ensure(4)) {
      throw this.fail(
        E.PCAP_TRUNCATED_HEADER,
        0,
        src.available === 0 ? 'capture: the file is empty (no header at byte 0)' : `capture: file header at byte 0 is truncated: the file ends after ${src.available} bytes`,
      );
    }
    const magic = src.view.getUint32(src.start, true);
    if (magic === BlockType.SHB) {
      this.format = 'pcapng';
      this.readShb();
      // Describe the interfaces that lead the section now, so interfaces() is useful before the first record.
      while (src.ensure(8) && src.view.getUint32(src.start, this.le) === BlockType.IDB) this.readIdbBlock(src.position);
      return;
    }
    this.format = 'pcap';
    if (magic === PcapMagic.USEC_LE || magic === PcapMagic.NSEC_LE) this.le = true;
    else if (magic === PcapMagic.USEC_BE || magic === PcapMagic.NSEC_BE) this.le = false;
    else if (magic === PcapMagic.MODIFIED_LE || magic === PcapMagic.MODIFIED_BE) {
      throw this.fail(E.PCAP_BAD_MAGIC, 0, 'pcap: magic a1b2cd34 at byte 0 is modified (Kuznetsov) pcap, which is not supported');
    } else {
      const b = src.buf;
      const s = src.start;
      const bytes = [b[s], b[s + 1], b[s + 2], b[s + 3]].map((x) => x.toString(16).padStart(2, '0')).join(' ');
      throw this.fail(E.PCAP_BAD_MAGIC, 0, `capture: no pcap or pcapng magic at byte 0 (first bytes ${bytes})`);
    }
    this.nsec = magic === PcapMagic.NSEC_LE || magic === PcapMagic.NSEC_BE;
    if (!src.ensure(PCAP.fileHeaderLength)) {
      throw this.fail(E.PCAP_TRUNCATED_HEADER, 0, `pcap: file header at byte 0 is truncated: the file ends after ${src.available} of 24 bytes`);
    }
    const v = src.view;
    const s = src.start;
    const major = v.getUint16(s + PCAP.versionMajor, this.le);
    if (major !== 2) {
      const minor = v.getUint16(s + PCAP.versionMinor, this.le);
      throw this.fail(E.PCAP_BAD_VERSION, PCAP.versionMajor, `pcap: version ${major}.${minor} at byte 4, expected 2.x`);
    }
    this.snaplen = v.getUint32(s + PCAP.snaplen, this.le);
    this.linkType = v.getUint32(s + PCAP.linkType, this.le) & 0xffff;
    src.consume(PCAP.fileHeaderLength);
    const r = this.rec;
    r.linkType = this.linkType;
    r.tsDigits = this.nsec ? 9 : 6;
    r.ifaceIndex = 0;
    r.ifaceName = null;
    r.section = 0;
    r.hasTimestamp = true;
  }

  /** File offset just past the last record or block consumed. */
  get bytesConsumed(): number {
    return this.src.position;
  }

  /**
   * The interfaces of the current section described so far (classic pcap: one, from the file header). The IDBs that
   * lead a pcapng section are read at open; later ones appear as next() meets them.
   */
  interfaces(): CaptureInterface[] {
    if (this.format === 'pcap') {
      return [
        {
          linkType: this.linkType,
          name: null,
          snaplen: this.snaplen,
          tsDigits: this.nsec ? 9 : 6,
          tsresol: this.nsec ? 9 : 6,
          tsOffset: 0,
        },
      ];
    }
    return this.ifaces.map((i) => ({
      linkType: i.linkType,
      name: i.name,
      snaplen: i.snaplen,
      tsDigits: i.scale.digits,
      tsresol: i.scale.tsresol,
      tsOffset: i.tsOffset,
    }));
  }

  /**
   * The next record, or null at a clean end of file. The returned object is reused and its bytes are valid until the
   * next call. Throws CaptureFileError on damage, after every good record before it has been returned.
   */
  next(): CaptureRecord | null {
    if (this.failed !== null) throw this.failed;
    if (this.closed) return null;
    return this.format === 'pcap' ? this.nextPcap() : this.nextPcapng();
  }

  /** Closes the file if openCapture opened it (not stdin, not a caller's fd). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsFd) fs.closeSync(this.fd);
  }

  private fail(code: string, offset: number, message: string): CaptureFileError {
    const err = new CaptureFileError(code, offset, message, this.name);
    this.failed = err;
    return err;
  }

  // ---- classic pcap ----

  private nextPcap(): CaptureRecord | null {
    const src = this.src;
    const H = PCAP.recordHeaderLength;
    if (!src.ensure(H)) {
      if (src.available === 0) return null;
      throw this.fail(
        E.PCAP_TRUNCATED_RECORD,
        src.position,
        `pcap: record header at byte ${src.position} is truncated: the file ends after ${src.available} of 16 bytes`,
      );
    }
    const le = this.le;
    const caplen = src.view.getUint32(src.start + PCAP.caplen, le);
    if (caplen > MAX_CAPLEN) {
      throw this.fail(
        E.PCAP_CAPLEN_TOO_LARGE,
        src.position,
        `pcap: record at byte ${src.position} claims ${caplen} captured bytes, more than the limit of ${MAX_CAPLEN} (snaplen ${this.snaplen})`,
      );
    }
    if (!src.ensure(H + caplen)) {
      throw this.fail(
        E.PCAP_TRUNCATED_RECORD,
        src.position,
        `pcap: record at byte ${src.position} is truncated: it claims ${caplen} captured bytes, the file ends after ${src.available - H}`,
      );
    }
    const s = src.start;
    const v = src.view;
    const r = this.rec;
    r.buf = src.buf;
    r.offset = s + H;
    r.caplen = caplen;
    r.wirelen = v.getUint32(s + PCAP.wirelen, le);
    r.fileOffset = src.base + s;
    let sec = v.getUint32(s + PCAP.tsSec, le);
    let frac = v.getUint32(s + PCAP.tsFrac, le);
    if (this.nsec) {
      if (frac >= 1000000000) {
        const c = Math.floor(frac / 1000000000);
        sec += c;
        frac -= c * 1000000000;
      }
      r.tsNsec = frac;
    } else {
      if (frac >= 1000000) {
        const c = Math.floor(frac / 1000000);
        sec += c;
        frac -= c * 1000000;
      }
      r.tsNsec = frac * 1000;
    }
    r.tsSec = sec;
    src.consume(H + caplen);
    return r;
  }

  // ---- pcapng ----

  /** Reads the SHB at the current position: byte order, version; resets the interfaces. Options are skipped. */
  private readShb(): void {
    const src = this.src;
    const pos = src.position;
    if (!src.ensure(PCAPNG.shbByteOrder + 4)) {
      throw this.fail(E.PCAPNG_TRUNCATED_BLOCK, pos, `pcapng: section header block at byte ${pos} is truncated: the file ends after ${src.available} bytes`);
    }
    const bom = src.view.getUint32(src.start + PCAPNG.shbByteOrder, true);
    if (bom === BYTE_ORDER_MAGIC) this.le = true;
    else if (bom === 0x4d3c2b1a) this.le = false;
    else {
      throw this.fail(
        E.PCAPNG_BAD_BYTE_ORDER,
        pos + PCAPNG.shbByteOrder,
        `pcapng: byte-order magic ${hex32(bom)} at byte ${pos + PCAPNG.shbByteOrder} (section header block at byte ${pos}), expected 1a2b3c4d`,
      );
    }
    const len = this.checkLength(pos, BlockType.SHB, PCAPNG.shbMinLength, false);
    if (!src.ensure(PCAPNG.shbOptions)) this.truncated(pos, len);
    const major = src.view.getUint16(src.start + PCAPNG.shbVersionMajor, this.le);
    if (major !== 1) {
      const minor = src.view.getUint16(src.start + PCAPNG.shbVersionMinor, this.le);
      throw this.fail(
        E.PCAPNG_BAD_VERSION,
        pos + PCAPNG.shbVersionMajor,
        `pcapng: version ${major}.${minor} at byte ${pos + PCAPNG.shbVersionMajor} (section header block at byte ${pos}), expected 1.x`,
      );
    }
    this.skipBlock(pos, len);
    this.section++;
    this.ifaces = [];
    this.rec.section = this.section;
  }

  /**
   * Reads and checks the total length of the block at the current position (its 8-byte header is available).
   * whole: the block will be held in the buffer, so it must not exceed MAX_BLOCK_LENGTH.
   */
  private checkLength(pos: number, type: number, min: number, whole: boolean): number {
    const src = this.src;
    const len = src.view.getUint32(src.start + PCAPNG.blockLength, this.le);
    if (len % 4 === 0 && len >= min && (this.fileSize === null || pos + len <= this.fileSize) && (!whole || len <= MAX_BLOCK_LENGTH)) {
      return len; // the usual case, checked once
    }
    const what = blockName(type);
    if (len % 4 !== 0) {
      throw this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, pos, `pcapng: ${what} at byte ${pos} claims ${len} bytes, not a multiple of 4`);
    }
    if (len < min) {
      throw this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, pos, `pcapng: ${what} at byte ${pos} claims ${len} bytes, less than the minimum of ${min}`);
    }
    if (this.fileSize !== null && pos + len > this.fileSize) this.refreshSize();
    if (this.fileSize !== null && pos + len > this.fileSize) {
      if (len > MAX_BLOCK_LENGTH) {
        throw this.fail(
          E.PCAPNG_BAD_BLOCK_LENGTH,
          pos,
          `pcapng: ${what} at byte ${pos} claims ${len} bytes, past the end of the file (size ${this.fileSize})`,
        );
      }
      throw this.fail(
        E.PCAPNG_TRUNCATED_BLOCK,
        pos,
        `pcapng: ${what} at byte ${pos} is truncated: it claims ${len} bytes, the file ends after ${this.fileSize - pos}`,
      );
    }
    if (whole && len > MAX_BLOCK_LENGTH) {
      throw this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, pos, `pcapng: ${what} at byte ${pos} claims ${len} bytes, more than the limit of ${MAX_BLOCK_LENGTH}`);
    }
    return len;
  }

  private refreshSize(): void {
    try {
      const st = fs.fstatSync(this.fd);
      if (st.isFile()) this.fileSize = st.size;
    } catch {
      // keep the old size
    }
  }

  private truncated(pos: number, len: number): never {
    const got = this.src.position + this.src.available - pos;
    throw this.fail(
      E.PCAPNG_TRUNCATED_BLOCK,
      pos,
      `pcapng: ${blockName(this.src.view.getUint32(this.src.start, this.le))} at byte ${pos} is truncated: it claims ${len} bytes, the file ends after ${got}`,
    );
  }

  /** Skips a block of length len starting at pos (the current position, or inside it), then checks its trailer. */
  private skipBlock(pos: number, len: number): void {
    const src = this.src;
    const end = pos + len;
    const type = src.view.getUint32(src.start, this.le);
    if (!src.skip(end - 4 - src.position) || !src.ensure(4)) {
      throw this.fail(
        E.PCAPNG_TRUNCATED_BLOCK,
        pos,
        `pcapng: ${blockName(type)} at byte ${pos} is truncated: it claims ${len} bytes, the file ends after ${src.position + src.available - pos}`,
      );
    }
    const trailer = src.view.getUint32(src.start, this.le);
    if (trailer !== len) this.badTrailer(pos, type, len, trailer);
    src.consume(4);
  }

  private badTrailer(pos: number, type: number, len: number, trailer: number): never {
    throw this.fail(
      E.PCAPNG_BAD_BLOCK_LENGTH,
      pos,
      `pcapng: ${blockName(type)} at byte ${pos}: trailing length ${trailer} != leading length ${len}`,
    );
  }

  private nextPcapng(): CaptureRecord | null {
    const src = this.src;
    for (;;) {
      const pos = src.position;
      if (!src.ensure(8)) {
        if (src.available === 0) return null;
        throw this.fail(E.PCAPNG_TRUNCATED_BLOCK, pos, `pcapng: block header at byte ${pos} is truncated: the file ends after ${src.available} of 8 bytes`);
      }
      const type = src.view.getUint32(src.start, this.le);
      let min: number;
      switch (type) {
        case BlockType.EPB:
        case BlockType.PB:
          min = PCAPNG.epbMinLength;
          break;
        case BlockType.SPB:
          min = PCAPNG.spbMinLength;
          break;
        case BlockType.IDB:
          this.readIdbBlock(pos);
          continue;
        case BlockType.SHB:
          this.readShb();
          continue;
        default: {
          // NRB, ISB, DSB, custom and unknown blocks: checked and streamed past, never held.
          const len = this.checkLength(pos, type, PCAPNG.minBlockLength, false);
          this.skipBlock(pos, len);
          continue;
        }
      }
      const len = this.checkLength(pos, type, min, true);
      if (!src.ensure(len)) this.truncated(pos, len);
      const s = src.start;
      const v = src.view;
      const le = this.le;
      const trailer = v.getUint32(s + len - 4, le);
      if (trailer !== len) this.badTrailer(pos, type, len, trailer);
      const r = this.rec;
      let ifid: number;
      if (type === BlockType.SPB) {
        ifid = 0;
        if (this.ifaces.length === 0) {
          throw this.fail(E.PCAPNG_BAD_INTERFACE, pos, `pcapng: simple packet block at byte ${pos} before any interface description block`);
        }
        const iface = this.ifaces[0];
        const wirelen = v.getUint32(s + PCAPNG.spbWirelen, le);
        let caplen = len - PCAPNG.spbMinLength;
        if (wirelen < caplen) caplen = wirelen;
        if (iface.snaplen !== 0 && iface.snaplen < caplen) caplen = iface.snaplen;
        r.offset = s + PCAPNG.spbData;
        r.caplen = caplen;
        r.wirelen = wirelen;
        r.tsSec = 0;
        r.tsNsec = 0;
        r.hasTimestamp = false;
      } else {
        ifid = type === BlockType.EPB ? v.getUint32(s + PCAPNG.epbInterface, le) : v.getUint16(s + PCAPNG.pbInterface, le);
        if (ifid >= this.ifaces.length) {
          throw this.fail(
            E.PCAPNG_BAD_INTERFACE,
            pos,
            `pcapng: ${blockName(type)} at byte ${pos} names interface ${ifid}, but the section has ${this.ifaces.length}`,
          );
        }
        const caplen = v.getUint32(s + PCAPNG.epbCaplen, le);
        if (caplen > len - PCAPNG.epbMinLength) {
          throw this.fail(
            E.PCAPNG_CAPLEN_EXCEEDS_BLOCK,
            pos,
            `pcapng: ${blockName(type)} at byte ${pos} claims ${caplen} captured bytes, its ${len}-byte block holds at most ${len - PCAPNG.epbMinLength}`,
          );
        }
        r.offset = s + PCAPNG.epbData;
        r.caplen = caplen;
        r.wirelen = v.getUint32(s + PCAPNG.epbWirelen, le);
        const iface = this.ifaces[ifid];
        iface.scale.convert(v, s + PCAPNG.epbTsHigh, le, r);
        if (iface.tsOffset !== 0) r.tsSec += iface.tsOffset;
        r.hasTimestamp = true;
      }
      const iface = this.ifaces[ifid];
      r.buf = src.buf;
      r.ifaceIndex = ifid;
      r.ifaceName = iface.name;
      r.linkType = iface.linkType;
      r.tsDigits = iface.scale.digits;
      r.fileOffset = pos;
      src.consume(len);
      return r;
    }
  }

  /** Reads the IDB at the current position (its 8-byte header is available) and adds its interface. */
  private readIdbBlock(pos: number): void {
    const src = this.src;
    const len = this.checkLength(pos, BlockType.IDB, PCAPNG.idbMinLength, true);
    if (!src.ensure(len)) this.truncated(pos, len);
    const trailer = src.view.getUint32(src.start + len - 4, this.le);
    if (trailer !== len) this.badTrailer(pos, BlockType.IDB, len, trailer);
    this.readIdb(pos, src.start, len);
    src.consume(len);
  }

  /** Parses an IDB held at buf[s, s + len) (trailer already checked). */
  private readIdb(pos: number, s: number, len: number): void {
    const v = this.src.view;
    const le = this.le;
    const linkType = v.getUint16(s + PCAPNG.idbLinkType, le);
    const snaplen = v.getUint32(s + PCAPNG.idbSnaplen, le);
    let name: string | null = null;
    let tsresol = TSRESOL_USEC;
    let tsOffset = 0;
    const end = s + len - 4;
    let p = s + PCAPNG.idbOptions;
    while (p + 4 <= end) {
      const code = v.getUint16(p, le);
      const olen = v.getUint16(p + 2, le);
      const at = this.src.base + p;
      if (code === OptionCode.END) break;
      if (p + 4 + olen > end) {
        throw this.fail(E.PCAPNG_BAD_OPTION, at, `pcapng: option ${code} at byte ${at} claims ${olen} bytes, past the end of its interface description block at byte ${pos}`);
      }
      const val = p + 4;
      if (code === OptionCode.IF_NAME) {
        let n = olen;
        while (n > 0 && this.src.buf[val + n - 1] === 0) n--; // some writers include the NUL
        name = utf8.decode(this.src.buf.subarray(val, val + n));
      } else if (code === OptionCode.IF_TSRESOL) {
        if (olen !== 1) throw this.fail(E.PCAPNG_BAD_OPTION, at, `pcapng: if_tsresol at byte ${at} has length ${olen}, expected 1`);
        tsresol = this.src.buf[val];
      } else if (code === OptionCode.IF_TSOFFSET) {
        if (olen !== 8) throw this.fail(E.PCAPNG_BAD_OPTION, at, `pcapng: if_tsoffset at byte ${at} has length ${olen}, expected 8`);
        const hi = le ? v.getInt32(val + 4, true) : v.getInt32(val, false);
        const lo = le ? v.getUint32(val, true) : v.getUint32(val + 4, false);
        tsOffset = hi * 4294967296 + lo;
      }
      p = val + pad4(olen);
    }
    let scale: TickScale;
    try {
      scale = new TickScale(tsresol);
    } catch (e) {
      throw this.fail(E.PCAPNG_BAD_OPTION, pos, `pcapng: interface description block at byte ${pos}: ${(e as Error).message}`);
    }
    this.ifaces.push(new Iface(linkType, name, snaplen, scale, tsOffset));
  }
}

function blockName(type: number): string {
  switch (type) {
    case BlockType.SHB:
      return 'section header block';
    case BlockType.IDB:
      return 'interface description block';
    case BlockType.EPB:
      return 'enhanced packet block';
    case BlockType.SPB:
      return 'simple packet block';
    case BlockType.PB:
      return 'packet block';
    default:
      return `block (type 0x${hex32(type)})`;
  }
}
