/**
 * Receiving multicast UDP: one socket per (group, port), bound to the GROUP address, not INADDR_ANY. On Linux a
 * socket bound to INADDR_ANY:port receives every group any socket on the host joined on that port
 * (IP_MULTICAST_ALL defaults to 1), so two groups on one port would see each other's traffic; a socket bound to
 * the group only gets datagrams addressed to it. Each socket joins its group on each chosen interface, any-source
 * (IP_ADD_MEMBERSHIP) or per source (IP_ADD_SOURCE_MEMBERSHIP: the kernel's filter becomes INCLUDE{sources} and it
 * reports IGMPv3 ALLOW/TO_IN, RFC 3376 section 5.1), and leaves explicitly on close.
 *
 * Per datagram: one time read, one rebind of the probe view, two map lookups, no allocation of ours; the
 * Datagram handed to the callback is one reused object, valid only during the call.
 */
import dgram from 'node:dgram';
import type { McastError } from '../errors.js';
import type { ChosenInterface } from './iface.js';
import type { GroupPort } from './options.js';
import { ProbeView } from './probe.js';
import { StreamStats } from './stats.js';
import { socketError } from './syserr.js';
import { nowUs } from './clock.js';

export interface Subscription extends GroupPort {
  /** The interfaces to join on (at least one). */
  interfaces: ChosenInterface[];
}

export interface ListenerOptions {
  subscriptions: Subscription[];
  /** Non-empty: source-specific joins of each of these sources. */
  sources: string[];
  /** SO_REUSEADDR, so several listeners can share a port (default true). */
  reuseAddr: boolean;
  /** SO_RCVBUF request in bytes (the kernel caps it at net.core.rmem_max); 0 leaves the default. */
  recvBufferSize: number;
}

/** One membership made: what `mcast groups` will show. */
export interface Join {
  group: string;
  port: number;
  iface: string;
  address: string;
  /** null: any-source. */
  source: string | null;
}

/** A received datagram. The object is reused: copy what you keep. */
export interface Datagram {
  group: string;
  port: number;
  source: string;
  sourcePort: number;
  size: number;
  payload: Buffer;
  /** Microseconds since the Unix epoch. */
  arrivalUs: number;
  /** Whether the payload starts with a probe header (then the fields below are set). */
  probe: boolean;
  senderId: number;
  sequence: number;
  sendTimeUs: number;
  headerLength: number;
  stream: StreamStats;
}

interface Entry {
  group: string;
  port: number;
  socket: dgram.Socket;
  joins: Join[];
  probeStreams: Map<number, StreamStats>;
  plainStreams: Map<string, Map<number, StreamStats>>;
}

export class Listener {
  private readonly entries: Entry[] = [];
  private readonly all: StreamStats[] = [];
  private readonly view = new ProbeView();
  private readonly d: Datagram;
  private closing: Promise<void> | null = null;
  private paused = false;

  constructor(
    private readonly opts: ListenerOptions,
    private readonly onDatagram: (d: Datagram) => void,
    private readonly onError: (e: McastError) => void,
  ) {
    this.d = {
      group: '',
      port: 0,
      source: '',
      sourcePort: 0,
      size: 0,
      payload: Buffer.alloc(0),
      arrivalUs: 0,
      probe: false,
      senderId: 0,
      sequence: 0,
      sendTimeUs: 0,
      headerLength: 0,
      stream: new StreamStats('', 0, '', 0, -1),
    };
  }

  /** Bind and join everything; on any failure, undo what was done and throw a SystemError. */
  async open(): Promise<Join[]> {
    const seen = new Set<string>();
    try {
      for (const sub of this.opts.subscriptions) {
        const key = `${sub.group}:${sub.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const entry = await this.bindOne(sub);
        this.joinAll(entry, sub.interfaces);
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    return this.joins();
  }

  joins(): Join[] {
    return this.entries.flatMap((e) => e.joins);
  }

  /** Every stream seen so far, in order of first arrival. */
  streams(): readonly StreamStats[] {
    return this.all;
  }

  private async bindOne(sub: Subscription): Promise<Entry> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: this.opts.reuseAddr });
    const entry: Entry = {
      group: sub.group,
      port: sub.port,
      socket,
      joins: [],
      probeStreams: new Map(),
      plainStreams: new Map(),
    };
    this.entries.push(entry);
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error) => reject(socketError(err, { kind: 'bind', group: sub.group, port: sub.port, reuse: this.opts.reuseAddr }));
      socket.once('error', onErr);
      socket.bind({ port: sub.port, address: sub.group, exclusive: true }, () => {
        socket.off('error', onErr);
        resolve();
      });
    });
    socket.on('error', (err) => this.onError(socketError(err, { kind: 'option', what: `receive on ${sub.group}:${sub.port}` })));
    if (this.opts.recvBufferSize > 0) {
      try {
        socket.setRecvBufferSize(this.opts.recvBufferSize);
      } catch {
        /* the kernel keeps its default; not worth failing for */
      }
    }
    socket.on('message', (msg, rinfo) => this.receive(entry, msg, rinfo));
    return entry;
  }

  private joinAll(entry: Entry, interfaces: ChosenInterface[]): void {
    const done = new Set<string>();
    for (const c of interfaces) {
      if (done.has(c.iface.name)) continue;
      done.add(c.iface.name);
      if (this.opts.sources.length === 0) {
        try {
          entry.socket.addMembership(entry.group, c.address);
        } catch (err) {
          throw socketError(err, { kind: 'join', group: entry.group, iface: c.iface.name, source: null, sourcesBefore: 0 });
        }
        entry.joins.push({ group: entry.group, port: entry.port, iface: c.iface.name, address: c.address, source: null });
        continue;
      }
      let before = 0;
      for (const source of this.opts.sources) {
        try {
          entry.socket.addSourceSpecificMembership(source, entry.group, c.address);
        } catch (err) {
          throw socketError(err, { kind: 'join', group: entry.group, iface: c.iface.name, source, sourcesBefore: before });
        }
        before++;
        entry.joins.push({ group: entry.group, port: entry.port, iface: c.iface.name, address: c.address, source });
      }
    }
  }

  /** Ignore datagrams from now on (they stay uncounted) until close(): for an exact -c. */
  pause(): void {
    this.paused = true;
  }

  private receive(entry: Entry, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.paused) return;
    const d = this.d;
    const arrival = nowUs();
    d.group = entry.group;
    d.port = entry.port;
    d.source = rinfo.address;
    d.sourcePort = rinfo.port;
    d.size = msg.length;
    d.payload = msg;
    d.arrivalUs = arrival;
    const v = this.view;
    if (v.reset(msg, 0, msg.length)) {
      d.probe = true;
      d.senderId = v.senderId;
      d.sequence = v.sequence;
      d.sendTimeUs = v.sendTimeUs;
      d.headerLength = v.headerLength;
      let s = entry.probeStreams.get(d.senderId);
      if (s === undefined || s.source !== rinfo.address || s.sourcePort !== rinfo.port) s = this.probeStream(entry, d.senderId, rinfo);
      s.record(d.sequence, msg.length, arrival, d.sendTimeUs);
      d.stream = s;
    } else {
      d.probe = false;
      let byPort = entry.plainStreams.get(rinfo.address);
      if (byPort === undefined) {
        byPort = new Map();
        entry.plainStreams.set(rinfo.address, byPort);
      }
      let s = byPort.get(rinfo.port);
      if (s === undefined) {
        s = new StreamStats(entry.group, entry.port, rinfo.address, rinfo.port, -1);
        byPort.set(rinfo.port, s);
        this.all.push(s);
      }
      s.recordPlain(msg.length, arrival);
      d.stream = s;
    }
    this.onDatagram(d);
  }

  /** Slow path: a new probe sender, or (rarely) two senders that drew the same id. */
  private probeStream(entry: Entry, id: number, rinfo: dgram.RemoteInfo): StreamStats {
    const existing = this.all.find(
      (s) => s.senderId === id && s.group === entry.group && s.port === entry.port && s.source === rinfo.address && s.sourcePort === rinfo.port,
    );
    const s = existing ?? new StreamStats(entry.group, entry.port, rinfo.address, rinfo.port, id);
    if (existing === undefined) this.all.push(s);
    entry.probeStreams.set(id, s);
    return s;
  }

  /** Leave every group explicitly (the kernel then reports the leave), then close the sockets. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = Promise.all(
      this.entries.map(
        (e) =>
          new Promise<void>((resolve) => {
            for (const j of e.joins) {
              try {
                if (j.source === null) e.socket.dropMembership(j.group, j.address);
                else e.socket.dropSourceSpecificMembership(j.source, j.group, j.address);
              } catch {
                /* the interface may have gone; closing the socket drops the membership anyway */
              }
            }
            e.socket.removeAllListeners('message');
            try {
              e.socket.close(() => resolve());
            } catch {
              resolve(); // never bound
            }
          }),
      ),
    ).then(() => undefined);
    return this.closing;
  }
}
