/**
 * Waiting out EAGAIN in synchronous I/O. Once libuv has touched a pipe (Node makes process.stdout and stdin
 * non-blocking when they are pipes) a write to a full pipe, or a read from an empty one, fails with EAGAIN, and
 * synchronous code can only sleep and retry: there is no poll() to wait on.
 *
 * How long to sleep is the whole question. A fixed 2 ms was far too long for a fast reader: `replay --all --json |
 * cat` of the 1M-frame benchmark capture (411 MB of JSON) met a full pipe ~1,200 times, slept 2.4 s and took
 * 6.5 s, against 3.8 s into /dev/null; the reader had drained the pipe within microseconds each time. Sleeping
 * from 50 us up (doubling to 2 ms) still slept ~1 s over ~6,400 waits (a futex sleep lasts 100 us and more),
 * 5.3 s. So the first retries of a blocked stretch are immediate (a failed write or read is one system call),
 * and only then the wait sleeps, 50 us doubling up to 2 ms while the descriptor stays blocked: 4.5 s, 50 ms
 * asleep. A slow reader (jq, say) then costs a few system calls and a handful of wake-ups per pipe-full, not a
 * busy loop.
 */

/** Immediate retries before the first sleep. */
const SPINS = 16;
const FIRST_WAIT_MS = 0.05;
const MAX_WAIT_MS = 2;

const cell = new Int32Array(new SharedArrayBuffer(4));

export class EagainWait {
  private spins = 0;
  private next = FIRST_WAIT_MS;
  /** How many times a wait slept (tests and diagnostics). */
  sleeps = 0;

  /**
   * Call when an operation failed with EAGAIN, before retrying it: returns at once for the first retries of a
   * blocked stretch, then sleeps, each sleep in a row twice as long as the one before, up to 2 ms.
   */
  wait(): void {
    if (this.spins < SPINS) {
      this.spins++;
      return;
    }
    this.sleeps++;
    Atomics.wait(cell, 0, 0, this.next);
    this.next = Math.min(MAX_WAIT_MS, this.next * 2);
  }

  /** The operation went through: the next blocked stretch starts with immediate retries again. */
  done(): void {
    this.spins = 0;
    this.next = FIRST_WAIT_MS;
  }
}

/** The `code` of a system error (EAGAIN, EINTR, ...), or undefined. */
export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** Whether an error from fs.readSync/writeSync means "try again later" (EAGAIN, or EWOULDBLOCK where they differ). */
export function isEagain(e: unknown): boolean {
  const code = errnoCode(e);
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}
