/**
 * Live capture and injection on one interface through the libpcap addon.
 *
 * Frames arrive in batches: when the capture fd is readable, the addon copies every ready frame into one data
 * buffer and one metadata array that this object owns and reuses, and each frame is handed out through one
 * reused LiveFrame, valid until the callback returns (run) or until the next `next()` (async iteration). With
 * run() a steady capture allocates nothing per frame; async iteration costs its promise and result per frame.
 *
 * Two ways to consume, not both at once:
 *   await cap.run((f) => ...)        resolves when close() is called (e.g. from a SIGINT handler), rejects on a
 *                                    capture error or when the callback throws;
 *   for await (const f of cap) ...   pulls: the fd is watched only while the loop waits, so a slow consumer
 *                                    leaves frames in the kernel's buffer (counted in stats().drop when it fills).
 * close() is idempotent and leaves no libuv handle behind, so the process can exit after it.
 */
import { SystemError } from '../errors.js';
import { interfaceState, requireInterfaceUp } from './interfaces.js';
import { META, requireNative, toSystemError, type Native, type NativeHandle, type NativeStats } from './native.js';

export interface CaptureOptions {
  /** Bytes kept per frame (libpcap's snapshot length); default and maximum 262144. */
  snaplen?: number;
  /** Promiscuous mode; default false. */
  promisc?: boolean;
  /** Deliver each frame as soon as it arrives (no kernel batching delay); default true. */
  immediate?: boolean;
  /** Kernel capture buffer in bytes; default libpcap's (2 MiB). When it is full the kernel drops and counts. */
  bufferSize?: number;
  /** Batching timeout in ms when `immediate` is false; default 100. */
  timeoutMs?: number;
  /** A tcpdump filter expression, run in the kernel. */
  filter?: string;
  /** Timestamp precision asked of libpcap; default 'nano' (falls back to 'micro' where unsupported). */
  tstampPrecision?: 'nano' | 'micro';
  /** Which frames: received, sent, or both (default). */
  direction?: 'in' | 'out' | 'inout';
  /** Frames per batch; default 256. */
  batchFrames?: number;
  /** Bytes of the batch buffer (at least snaplen); default max(2 MiB, snaplen). */
  batchBytes?: number;
}

/** One captured frame: a view into the capture's reused buffer. Copy what you keep. */
export class LiveFrame {
  buf: Uint8Array;
  offset = 0;
  caplen = 0;
  /** Length of the frame on the wire (caplen is less when the snapshot length cut it). */
  wirelen = 0;
  tsSec = 0;
  /** Nanoseconds within the second, whatever the precision (a microsecond stamp is multiplied by 1000). */
  tsNsec = 0;
  /** Significant digits of tsNsec: 9 for a nanosecond stamp, 6 for a microsecond one. */
  readonly tsDigits: 6 | 9;
  readonly linkType: number;
  readonly iface: string;

  constructor(buf: Uint8Array, tsDigits: 6 | 9, linkType: number, iface: string) {
    this.buf = buf;
    this.tsDigits = tsDigits;
    this.linkType = linkType;
    this.iface = iface;
  }

  /** The frame's bytes as a subarray (allocates a view object; hot paths use buf/offset/caplen). */
  bytes(): Uint8Array {
    return this.buf.subarray(this.offset, this.offset + this.caplen);
  }
}

/** Batches per readable event before yielding to the event loop. */
const MAX_BATCHES_PER_TURN = 16;

export class LiveCapture implements AsyncIterable<LiveFrame> {
  readonly iface: string;
  /** DLT_* link type: 1 Ethernet, 276 Linux SLL2 (the `any` device), ... */
  readonly linkType: number;
  readonly snaplen: number;
  readonly tsDigits: 6 | 9;
  /** libpcap's activation warning (e.g. promiscuous mode not supported), else null. */
  readonly warning: string | null;

  private readonly native: Native;
  private readonly handle: NativeHandle;
  private readonly data: Uint8Array;
  private readonly meta: Uint32Array;
  private readonly frame: LiveFrame;
  private batchCount = 0;
  private batchIndex = 0;
  private mode: 'idle' | 'run' | 'iterate' = 'idle';
  private closedFlag = false;
  private finalStats: NativeStats | null = null;
  private onFrame: ((f: LiveFrame) => void) | null = null;
  private settle: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  private waiter: ((status: number) => void) | null = null;
  private drainScheduled = false;

  private constructor(native: Native, handle: NativeHandle, options: CaptureOptions) {
    this.native = native;
    this.handle = handle;
    this.iface = handle.iface;
    this.linkType = handle.linkType;
    this.snaplen = handle.snaplen;
    this.tsDigits = handle.tsDigits;
    this.warning = handle.warning;
    const frames = Math.max(1, Math.floor(options.batchFrames ?? 256));
    this.data = new Uint8Array(Math.max(options.batchBytes ?? 2 * 1024 * 1024, this.snaplen));
    this.meta = new Uint32Array(frames * META.words);
    this.frame = new LiveFrame(this.data, this.tsDigits, this.linkType, this.iface);
  }

  /**
   * Open `iface` for capture (and injection). Throws SystemError: ERR_NO_LIBPCAP, ERR_NO_SUCH_INTERFACE,
   * ERR_PERMISSION (needs root or CAP_NET_RAW), ERR_INTERFACE_DOWN, ERR_BAD_FILTER, ERR_PCAP.
   */
  static open(iface: string, options: CaptureOptions = {}): LiveCapture {
    const native = requireNative();
    let handle: NativeHandle;
    try {
      handle = native.open(iface, {
        snaplen: options.snaplen,
        promisc: options.promisc,
        immediate: options.immediate,
        bufferSize: options.bufferSize,
        timeoutMs: options.timeoutMs,
        filter: options.filter,
        tstampPrecision: options.tstampPrecision,
        direction: options.direction,
      });
    } catch (err) {
      throw toSystemError(err);
    }
    return new LiveCapture(native, handle, options);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Kernel counters; after close(), the last values read before closing. */
  stats(): NativeStats {
    if (this.closedFlag) {
      if (this.finalStats !== null) return { ...this.finalStats };
      throw new SystemError('ERR_CLOSED', `${this.iface}: capture is closed`);
    }
    try {
      return this.native.stats(this.handle);
    } catch (err) {
      throw toSystemError(err);
    }
  }

  /**
   * Send one link-layer frame as is (pcap_inject); returns the bytes sent. Throws SystemError
   * ERR_INTERFACE_DOWN, ERR_NO_SUCH_INTERFACE (it vanished), ERR_FRAME_TOO_LONG (beyond the MTU),
   * ERR_PERMISSION, ERR_INJECT, ERR_CLOSED.
   */
  inject(frame: Uint8Array): number {
    if (this.closedFlag) throw new SystemError('ERR_CLOSED', `${this.iface}: capture is closed`);
    try {
      return this.native.inject(this.handle, frame);
    } catch (err) {
      const e = toSystemError(err);
      if (e instanceof SystemError && e.code === 'ERR_FRAME_TOO_LONG') {
        const mtu = interfaceState(this.iface)?.mtu;
        throw new SystemError(
          'ERR_FRAME_TOO_LONG',
          `${this.iface}: frame of ${frame.length} bytes is too long${mtu ? ` for MTU ${mtu}` : ''}`,
        );
      }
      throw e;
    }
  }

  /** Deliver frames to `onFrame` until close(). Rejects on a capture error or when `onFrame` throws. */
  run(onFrame: (frame: LiveFrame) => void): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    if (this.mode !== 'idle') throw new SystemError('ERR_BUSY', `${this.iface}: capture is already being consumed`);
    this.mode = 'run';
    this.onFrame = onFrame;
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      try {
        this.native.startPolling(this.handle, (status) => this.onReadable(status));
      } catch (err) {
        this.fail(toSystemError(err));
        return;
      }
      // Frames may already be waiting in libpcap's buffer, where a poll would not see them.
      this.scheduleDrain();
    });
  }

  /** Stop capturing and release the interface. Idempotent; resolves a pending run() and ends iteration. */
  close(): void {
    if (this.closedFlag) return;
    try {
      this.finalStats = this.native.stats(this.handle);
    } catch {
      this.finalStats = null;
    }
    this.closedFlag = true;
    this.native.close(this.handle);
    this.onFrame = null;
    const settle = this.settle;
    this.settle = null;
    settle?.resolve();
    const w = this.waiter;
    this.waiter = null;
    w?.(0);
  }

  [Symbol.asyncIterator](): AsyncIterator<LiveFrame> {
    if (this.mode !== 'idle') throw new SystemError('ERR_BUSY', `${this.iface}: capture is already being consumed`);
    this.mode = 'iterate';
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private async next(): Promise<IteratorResult<LiveFrame>> {
    for (;;) {
      if (this.closedFlag) return { done: true, value: undefined };
      if (this.batchIndex < this.batchCount) {
        this.fillFrame(this.batchIndex++);
        return { done: false, value: this.frame };
      }
      this.batchIndex = this.batchCount = 0;
      try {
        this.batchCount = this.native.dispatch(this.handle, this.data, this.meta);
      } catch (err) {
        this.close();
        throw toSystemError(err);
      }
      if (this.batchCount > 0) continue;
      // Nothing ready: watch the fd only while waiting, so a paused consumer holds no event-loop handle.
      let status: number;
      try {
        status = await new Promise<number>((resolve, reject) => {
          this.waiter = resolve;
          try {
            this.native.startPolling(this.handle, (st) => {
              const w = this.waiter;
              this.waiter = null;
              if (!this.closedFlag) this.native.stopPolling(this.handle);
              w?.(st);
            });
          } catch (err) {
            this.waiter = null;
            reject(toSystemError(err));
          }
        });
      } catch (err) {
        this.close();
        throw err;
      }
      if (status < 0 && !this.closedFlag) {
        this.close();
        throw new SystemError('ERR_PCAP', `${this.iface}: polling the capture failed (status ${status})`);
      }
    }
  }

  private fillFrame(i: number): void {
    const m = this.meta;
    const b = i * META.words;
    const f = this.frame;
    f.offset = m[b + META.offset];
    f.caplen = m[b + META.caplen];
    f.wirelen = m[b + META.wirelen];
    f.tsSec = m[b + META.tsSec];
    f.tsNsec = m[b + META.tsNsec];
  }

  private onReadable(status: number): void {
    if (this.closedFlag) return;
    if (status < 0) {
      this.fail(new SystemError('ERR_PCAP', `${this.iface}: polling the capture failed (status ${status})`));
      return;
    }
    this.drain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      if (!this.closedFlag) this.drain();
    });
  }

  private drain(): void {
    const cb = this.onFrame;
    if (cb === null) return;
    for (let turn = 0; turn < MAX_BATCHES_PER_TURN; turn++) {
      let n: number;
      try {
        n = this.native.dispatch(this.handle, this.data, this.meta);
      } catch (err) {
        this.fail(toSystemError(err));
        return;
      }
      if (n === 0) return;
      for (let i = 0; i < n; i++) {
        this.fillFrame(i);
        try {
          cb(this.frame);
        } catch (err) {
          this.fail(err);
          return;
        }
        if (this.closedFlag) return;
      }
    }
    // Still busy: let timers and I/O run, then continue (libpcap may hold frames the poll cannot see).
    this.scheduleDrain();
  }

  private fail(err: unknown): void {
    const settle = this.settle;
    this.settle = null;
    this.close();
    settle?.reject(err);
  }
}

/**
 * Open an interface only to send frames: the capture side keeps nothing (a filter no frame passes). Checks first
 * that the interface exists and is up, so the error comes before any frame: ERR_NO_SUCH_INTERFACE,
 * ERR_INTERFACE_DOWN; then as LiveCapture.open.
 */
export function openInjector(iface: string): LiveCapture {
  requireNative();
  requireInterfaceUp(iface);
  return LiveCapture.open(iface, { snaplen: 64, bufferSize: 64 * 1024, filter: 'less 1', batchBytes: 64 });
}
