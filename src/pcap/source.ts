/**
 * Bytes from a file descriptor through ONE reused buffer (style item 7: fs.readSync into one buffer measured at
 * 1.23x a C libpcap reader; readFileSync fails past 2 GiB and createReadStream allocates a Buffer per chunk).
 *
 * Works the same on a regular file, a pipe or a terminal: reads are sequential (position null), so nothing seeks.
 * A non-blocking descriptor (stdin after libuv touched it) answers EAGAIN when the writer is slow: we retry at once
 * a few times, then sleep 50 us doubling up to 2 ms (../io-wait.ts). A read of 0 bytes is the end of the input.
 */
import * as fs from 'node:fs';
import { SystemError } from '../errors.js';
import { EagainWait, errnoCode, isEagain } from '../io-wait.js';

/** Counters for tests and diagnostics: how often a read met EAGAIN and waited. */
export const readStats = { eagainWaits: 0 };

export class ByteSource {
  /** The buffer; the unconsumed bytes are buf[start, end). Replaced only when it grows. */
  buf: Uint8Array;
  /** A DataView over buf, rebuilt only when buf is replaced. */
  view: DataView;
  start = 0;
  end = 0;
  /** File offset of buf[0]. */
  base = 0;
  eof = false;
  readonly fd: number;
  private readonly maxSize: number;
  private readonly name: string;
  /** Waits out an empty non-blocking pipe (../io-wait.ts). */
  private readonly empty = new EagainWait();

  constructor(fd: number, initialSize: number, maxSize: number, name: string) {
    this.fd = fd;
    this.maxSize = Math.max(initialSize, maxSize);
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.name = name;
  }

  /** File offset of the first unconsumed byte. */
  get position(): number {
    return this.base + this.start;
  }

  /** Unconsumed bytes in the buffer. */
  get available(): number {
    return this.end - this.start;
  }

  /**
   * Makes n bytes available at `start` (n <= maxSize, checked by the caller before trusting any length field).
   * Returns false when the input ends first; the bytes that did arrive stay available. May move the data: callers
   * re-read `start`, `buf` and `view` afterwards.
   */
  ensure(n: number): boolean {
    if (this.end - this.start >= n) return true;
    if (n > this.buf.length) this.grow(n);
    if (this.start + n > this.buf.length) this.compact();
    while (this.end - this.start < n) {
      if (this.eof || this.fill() === 0) {
        this.eof = true;
        return false;
      }
    }
    return true;
  }

  consume(n: number): void {
    this.start += n;
  }

  /** Discards n bytes, reading through the input without holding them. False if the input ends first. */
  skip(n: number): boolean {
    for (;;) {
      const avail = this.end - this.start;
      if (n <= avail) {
        this.start += n;
        return true;
      }
      this.start = this.end;
      n -= avail;
      this.compact();
      if (this.eof || this.fill() === 0) {
        this.eof = true;
        return false;
      }
    }
  }

  private compact(): void {
    if (this.start === 0) return;
    this.buf.copyWithin(0, this.start, this.end);
    this.base += this.start;
    this.end -= this.start;
    this.start = 0;
  }

  private grow(n: number): void {
    const size = Math.min(this.maxSize, Math.max(n, this.buf.length * 2));
    if (size < n) throw new RangeError(`internal: ${n} bytes requested, buffer cap ${this.maxSize}`);
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(this.start, this.end));
    this.base += this.start;
    this.end -= this.start;
    this.start = 0;
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** One read into the free tail of the buffer. Returns the bytes read; 0 means end of input. */
  private fill(): number {
    for (;;) {
      try {
        const n = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
        this.empty.done();
        this.end += n;
        return n;
      } catch (e) {
        const code = errnoCode(e);
        if (isEagain(e)) {
          readStats.eagainWaits++;
          this.empty.wait();
          continue;
        }
        if (code === 'EINTR') continue;
        if (code === 'EOF') return 0; // Windows pipes report the end as an error
        throw new SystemError('ERR_CAPTURE_READ', `${this.name}: read failed at byte ${this.base + this.end}: ${(e as Error).message}`);
      }
    }
  }
}
