/**
 * Sending multicast UDP from a chosen interface. Without IP_MULTICAST_IF the kernel sends a multicast datagram out of
 * the interface of the first route that matches the group (often the default route's), and fails with ENETUNREACH
 * when none does; with it (Node's setMulticastInterface, by address) the datagram leaves that interface and carries
 * that address as source. The socket is connected to GROUP:PORT, so each send skips the address lookup and
 * socket.address() shows the source the kernel picked.
 *
 * Pacing: every tick sends what the rate says is due (at most BATCH), then sleeps until the next is due (at least
 * one timer tick, 1 ms: at high rates datagrams leave in small bursts instead of the sender spinning). Buffers come from a ring of RING
 * datagrams stamped in place; one is reused only when the socket's send queue is short enough that it has left
 * (the queue is FIFO and kept under MAX_QUEUE), so the hot path allocates only what dgram itself does.
 *
 * Test hooks (mcastkit's own tests; documented, not advertised): drop, hold back or duplicate every Nth datagram
 * (by sequence number: sequence % N == N - 1), so a listener's loss, reorder and duplicate counts can be checked
 * where tc netem is not available.
 *   dropEvery      the sequence number is used but nothing is sent;
 *   reorderEvery   the datagram is held and sent right after the next one;
 *   duplicateEvery the datagram is sent twice in a row.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { McastError } from '../errors.js';
import { nowUs } from './clock.js';
import { interfaceOfAddress, listInterfaces, type ChosenInterface } from './iface.js';
import { emitProbe, stampProbe } from './probe.js';
import { socketError } from './syserr.js';

const RING = 1024;
const BATCH = 128;
const MAX_QUEUE = 256;

export interface SendHooks {
  dropEvery: number;
  reorderEvery: number;
  duplicateEvery: number;
}

export const NO_HOOKS: SendHooks = { dropEvery: 0, reorderEvery: 0, duplicateEvery: 0 };

export interface SenderOptions {
  group: string;
  port: number;
  /** null: let the kernel's route for the group choose. */
  iface: ChosenInterface | null;
  ttl: number;
  loop: boolean;
  /** Datagrams per second; 0: as fast as the socket takes them. */
  rate: number;
  /** Sequence numbers to use (datagrams, before hooks); Infinity: until stopped. */
  count: number;
  /** Seconds; Infinity: until stopped or count. */
  durationS: number;
  /** The datagram: a probe header at byte 0 (when `probe`) is stamped per send; the rest is sent as is. */
  template: Uint8Array;
  probe: boolean;
  senderId: number;
  /** SO_SNDBUF request in bytes; 0 keeps the default. */
  sendBufferSize: number;
  hooks: SendHooks;
}

export interface SenderInfo {
  localAddress: string;
  localPort: number;
  /** Interface the datagrams leave by: the chosen one, else the one owning the source address, else null. */
  iface: string | null;
  /** Whether the interface was chosen (IP_MULTICAST_IF) or came from the route. */
  chosen: boolean;
}

export interface SendProgress {
  /** Sequence numbers used (datagrams attempted before the hooks). */
  sequences: number;
  /** Datagrams handed to the kernel and accepted. */
  datagrams: number;
  bytes: number;
  errors: number;
  firstError: string | null;
  /** Datagrams the drop hook did not send. */
  hookDropped: number;
  elapsedS: number;
}

export class Sender {
  private socket: dgram.Socket | null = null;
  private readonly ring: Buffer[] = [];
  private slot = 0;
  private seq = 0;
  private issued = 0;
  private completed = 0;
  private datagrams = 0;
  private bytes = 0;
  private errors = 0;
  private firstError: string | null = null;
  private hookDropped = 0;
  private held: Buffer | null = null;
  private heldDup = false;
  private t0 = 0;
  private endAt = Infinity;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private finished = false;
  private resolveRun: ((p: SendProgress) => void) | null = null;
  private readonly sent: (err: Error | null) => void;

  constructor(
    private readonly opts: SenderOptions,
    private readonly onError: (e: McastError) => void = () => {},
  ) {
    for (let i = 0; i < RING; i++) {
      const b = Buffer.allocUnsafeSlow(opts.template.length);
      b.set(opts.template);
      if (opts.probe) emitProbe({ senderId: opts.senderId, sequence: 0, sendTimeUs: 0 }, b, 0);
      this.ring.push(b);
    }
    this.sent = (err) => {
      this.completed++;
      if (err !== null && err !== undefined) {
        this.errors++;
        this.datagrams--;
        this.bytes -= this.opts.template.length;
        if (this.firstError === null) {
          const e = socketError(err, { kind: 'send', group: this.opts.group, port: this.opts.port, iface: this.opts.iface?.iface.name ?? null });
          this.firstError = e.message;
          this.onError(e);
        }
      }
      if (this.finished && this.completed === this.issued) this.done();
    };
  }

  /** Create, configure and connect the socket; throws SystemError. */
  async open(): Promise<SenderInfo> {
    const o = this.opts;
    const socket = dgram.createSocket({ type: 'udp4' });
    this.socket = socket;
    const action = { kind: 'connect' as const, group: o.group, port: o.port, iface: o.iface?.iface.name ?? null };
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error) => reject(socketError(err, action));
      socket.once('error', onErr);
      socket.bind(0, () => {
        socket.off('error', onErr);
        resolve();
      });
    });
    try {
      if (o.iface !== null) socket.setMulticastInterface(o.iface.address);
      socket.setMulticastTTL(o.ttl);
      socket.setMulticastLoopback(o.loop);
      if (o.sendBufferSize > 0) socket.setSendBufferSize(o.sendBufferSize);
    } catch (err) {
      socket.close();
      throw socketError(err, { kind: 'option', what: 'the multicast socket options' });
    }
    await new Promise<void>((resolve, reject) => {
      socket.connect(o.port, o.group, (err?: Error) => {
        if (err) {
          socket.close();
          reject(socketError(err, action));
        } else resolve();
      });
    });
    socket.on('error', (err) => this.onError(socketError(err, action)));
    const local = socket.address();
    const iface = o.iface?.iface.name ?? interfaceOfAddress(local.address, listInterfaces())?.name ?? null;
    return { localAddress: local.address, localPort: local.port, iface, chosen: o.iface !== null };
  }

  /** Send until count, duration or stop(); resolves with the totals once every send has completed. */
  run(): Promise<SendProgress> {
    if (this.socket === null) throw new Error('Sender.run before open');
    this.t0 = performance.now();
    this.endAt = this.opts.durationS === Infinity ? Infinity : this.t0 + this.opts.durationS * 1000;
    return new Promise((resolve) => {
      this.resolveRun = resolve;
      this.pump();
    });
  }

  /** Stop at once (a pending wait is cancelled); run() resolves when the sends in flight complete. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.resolveRun !== null) this.finish();
  }

  progress(): SendProgress {
    return {
      sequences: this.seq,
      datagrams: this.datagrams,
      bytes: this.bytes,
      errors: this.errors,
      firstError: this.firstError,
      hookDropped: this.hookDropped,
      elapsedS: this.t0 === 0 ? 0 : (performance.now() - this.t0) / 1000,
    };
  }

  private readonly pump = (): void => {
    this.timer = null;
    if (this.finished) return;
    const o = this.opts;
    const now = performance.now();
    if (this.stopped || now >= this.endAt || this.seq >= o.count) return this.finish();
    if (this.socket!.getSendQueueCount() > MAX_QUEUE) {
      this.timer = setTimeout(this.pump, 1);
      return;
    }
    let due = o.rate > 0 ? Math.floor(((now - this.t0) * o.rate) / 1000) + 1 : this.seq + BATCH;
    if (due > o.count) due = o.count;
    let n = due - this.seq;
    if (n > BATCH) n = BATCH;
    for (let i = 0; i < n; i++) this.next(i === n - 1 && this.seq + 1 >= o.count);
    if (this.seq >= o.count) return this.finish();
    if (o.rate > 0 && this.seq < due) {
      setImmediate(this.pump); // behind: catch up in batches
      return;
    }
    if (o.rate === 0) {
      setImmediate(this.pump);
      return;
    }
    // Caught up: sleep at least a timer tick (1 ms) rather than spin; what falls due meanwhile goes out as one
    // batch, which keeps the sender off the CPU the listener and the kernel need.
    const wait = this.t0 + (this.seq * 1000) / o.rate - performance.now();
    this.timer = setTimeout(this.pump, Math.max(1, Math.min(Math.floor(wait), this.endAt - now)));
  };

  /** Use one sequence number: stamp a ring buffer and send it, unless a hook says otherwise. */
  private next(last: boolean): void {
    const h = this.opts.hooks;
    const s = this.seq++;
    if (h.dropEvery > 0 && s % h.dropEvery === h.dropEvery - 1) {
      this.hookDropped++;
      return;
    }
    const buf = this.ring[this.slot]!;
    this.slot = (this.slot + 1) % RING;
    if (this.opts.probe) stampProbe(buf, 0, s, Math.round(nowUs()));
    const dup = h.duplicateEvery > 0 && s % h.duplicateEvery === h.duplicateEvery - 1;
    if (h.reorderEvery > 0 && s % h.reorderEvery === h.reorderEvery - 1 && !last && this.held === null) {
      this.held = buf;
      this.heldDup = dup;
      return;
    }
    this.transmit(buf);
    if (dup) this.transmit(buf);
    if (this.held !== null) {
      const held = this.held;
      this.held = null;
      this.transmit(held);
      if (this.heldDup) this.transmit(held);
    }
  }

  private transmit(buf: Buffer): void {
    this.issued++;
    this.datagrams++;
    this.bytes += buf.length;
    this.socket!.send(buf, this.sent);
  }

  private finish(): void {
    if (this.finished) return;
    if (this.held !== null) {
      // Stopped while holding one back: send it rather than lose it.
      const held = this.held;
      this.held = null;
      this.transmit(held);
      if (this.heldDup) this.transmit(held);
    }
    this.finished = true;
    if (this.completed === this.issued) this.done();
  }

  private done(): void {
    const r = this.resolveRun;
    if (r === null) return;
    this.resolveRun = null;
    const p = this.progress();
    this.socket?.close();
    this.socket = null;
    r(p);
  }
}
