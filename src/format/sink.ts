/**
 * Buffered synchronous output to a file descriptor. A replay loop is synchronous, so process.stdout's async
 * queue would grow without bound on a big capture; this writes in 64 KiB batches with fs.writeSync and waits out
 * EAGAIN on a non-blocking pipe, so memory stays flat and `| head` ends cleanly (EPIPE ends the process quietly).
 */
import { writeSync } from 'node:fs';
import { EagainWait, isEagain } from '../io-wait.js';

const FLUSH_AT = 64 * 1024;

export class LineSink {
  private parts: string[] = [];
  private size = 0;
  /** Waits out a full non-blocking pipe (../io-wait.ts). */
  readonly blocked = new EagainWait();
  constructor(private readonly fd: number) {}

  line(s: string): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const data = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(this.fd, data, off, data.length - off);
        this.blocked.done();
      } catch (err) {
        if (isEagain(err)) {
          this.blocked.wait();
          continue;
        }
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
        throw err;
      }
    }
  }
}
