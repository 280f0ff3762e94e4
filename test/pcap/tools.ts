/**
 * Independent references for the capture-file tests: tshark, tcpdump and the npm pcap-parser, plus a helper that
 * reads a whole capture with our reader into plain snapshots.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { requireLive } from '../support/live.js';
import { openCapture, type OpenCaptureOptions } from '../../src/pcap/index.js';
import { CaptureFileError } from '../../src/errors.js';

/** Tests needing external tools skip with a printed reason, or fail under MCAST_REQUIRE_LIVE=1. */
export function toolGate(commands: string[]): { ok: boolean; reason: string | null } {
  for (const cmd of commands) {
    const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    if (r.status !== 0) {
      const reason = `the command ${cmd} is not installed`;
      if (requireLive) throw new Error(`MCAST_REQUIRE_LIVE=1 but ${reason}`);
      console.warn(`skipping tests: ${reason}`);
      return { ok: false, reason };
    }
  }
  return { ok: true, reason: null };
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mcast-pcap-'));
}

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/formats');

/** A record as plain data (the reader's object is reused, so tests copy it). */
export interface Snap {
  caplen: number;
  wirelen: number;
  tsSec: number;
  tsNsec: number;
  tsDigits: number;
  linkType: number;
  ifaceIndex: number;
  ifaceName: string | null;
  fileOffset: number;
  section: number;
  hasTimestamp: boolean;
  hex: string;
}

export interface ReadResult {
  format: 'pcap' | 'pcapng';
  records: Snap[];
  error: CaptureFileError | null;
}

/** Reads everything; a CaptureFileError (at open or later) ends the read and is returned with the records before it. */
export function readAll(file: string | number, opts: OpenCaptureOptions = {}): ReadResult {
  let reader;
  try {
    reader = openCapture(file, opts);
  } catch (e) {
    if (e instanceof CaptureFileError) return { format: 'pcap', records: [], error: e };
    throw e;
  }
  const records: Snap[] = [];
  let error: CaptureFileError | null = null;
  try {
    for (let r = reader.next(); r !== null; r = reader.next()) {
      records.push({
        caplen: r.caplen,
        wirelen: r.wirelen,
        tsSec: r.tsSec,
        tsNsec: r.tsNsec,
        tsDigits: r.tsDigits,
        linkType: r.linkType,
        ifaceIndex: r.ifaceIndex,
        ifaceName: r.ifaceName,
        fileOffset: r.fileOffset,
        section: r.section,
        hasTimestamp: r.hasTimestamp,
        hex: Buffer.from(r.buf.buffer, r.buf.byteOffset + r.offset, r.caplen).toString('hex'),
      });
    }
  } catch (e) {
    if (!(e instanceof CaptureFileError)) throw e;
    error = e;
  } finally {
    reader.close();
  }
  return { format: reader.format, records, error };
}

export interface TsharkFrame {
  number: number;
  /** Seconds and nanoseconds as tshark prints frame.time_epoch ("sec.nnnnnnnnn"); null when it prints none. */
  sec: number | null;
  nsec: number | null;
  len: number;
  caplen: number;
  ifaceId: number | null;
  ifaceName: string | null;
  /** wiretap encapsulation (not the pcap link type; see WTAP_ENCAP below). */
  encap: number;
  hex: string;
}

/** wiretap's encapsulation numbers for our link types, as tshark 4.0 prints them for fixtures/formats/multi.pcapng. */
export const WTAP_ENCAP: Record<number, number> = { 1: 1, 101: 7, 113: 25, 228: 129, 276: 210 };

function parseEpoch(s: string): { sec: number | null; nsec: number | null } {
  if (s === '') return { sec: null, nsec: null };
  const m = /^(-?\d+)\.(\d{9})$/.exec(s);
  if (m === null) throw new Error(`unexpected frame.time_epoch ${s}`);
  return { sec: Number(m[1]), nsec: Number(m[2]) };
}

/** tshark's view of every frame, from one `tshark -T json -x -J frame` run: frame fields plus the raw bytes. */
export function tsharkFrames(file: string): TsharkFrame[] {
  const json = JSON.parse(
    execFileSync('tshark', ['-r', file, '-T', 'json', '-x', '-J', 'frame'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 << 20,
    }),
  ) as { _source: { layers: { frame_raw: [string, ...unknown[]]; frame: Record<string, unknown> } } }[];
  return json.map((p) => {
    const f = p._source.layers.frame;
    const epoch = f['frame.time_epoch'];
    const { sec, nsec } = parseEpoch(typeof epoch === 'string' ? epoch : '');
    const tree = f['frame.interface_id_tree'] as Record<string, string> | undefined;
    const ifid = f['frame.interface_id'];
    return {
      number: Number(f['frame.number']),
      sec,
      nsec,
      len: Number(f['frame.len']),
      caplen: Number(f['frame.cap_len']),
      ifaceId: typeof ifid === 'string' ? Number(ifid) : null,
      ifaceName: tree?.['frame.interface_name'] ?? null,
      encap: Number(f['frame.encap_type']),
      hex: p._source.layers.frame_raw[0],
    };
  });
}

export interface TcpdumpFrame {
  /** null when tcpdump prints "[Error converting time]" (libpcap's signed 32-bit seconds, from 2038 on). */
  sec: number | null;
  nsec: number | null;
  hex: string;
}

/** tcpdump -r with nanosecond timestamps and every captured byte (-xx). */
export function tcpdumpFrames(file: string): TcpdumpFrame[] {
  const out = execFileSync('tcpdump', ['-r', file, '-nn', '-tt', '--time-stamp-precision=nano', '-xx'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 256 << 20,
  });
  const frames: TcpdumpFrame[] = [];
  for (const line of out.split('\n')) {
    const head = /^(\d+)\.(\d{9}) /.exec(line);
    if (head !== null) {
      frames.push({ sec: Number(head[1]), nsec: Number(head[2]), hex: '' });
      continue;
    }
    if (line.startsWith('[Error converting time]')) {
      frames.push({ sec: null, nsec: null, hex: '' });
      continue;
    }
    const hexLine = /^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4}\s?)+)/.exec(line);
    if (hexLine !== null && frames.length > 0) frames[frames.length - 1].hex += hexLine[1].replace(/\s+/g, '');
  }
  return frames;
}

export interface PcapParserRecord {
  sec: number;
  usec: number;
  caplen: number;
  wirelen: number;
  hex: string;
}

const require = createRequire(import.meta.url);

/** The npm pcap-parser's records (microsecond classic pcap only). */
export function pcapParserRecords(file: string): Promise<PcapParserRecord[]> {
  const pcapp = require('pcap-parser') as { parse(f: string): NodeJS.EventEmitter };
  return new Promise((resolve, reject) => {
    const out: PcapParserRecord[] = [];
    const p = pcapp.parse(file);
    p.on('packet', (pkt: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
      out.push({
        sec: pkt.header.timestampSeconds,
        usec: pkt.header.timestampMicroseconds,
        caplen: pkt.header.capturedLength,
        wirelen: pkt.header.originalLength,
        hex: pkt.data.toString('hex'),
      });
    });
    p.on('error', reject);
    p.on('end', () => resolve(out));
  });
}

export interface FifoFeed {
  /** Read end of the FIFO, to hand to openCapture(fd). */
  fd: number;
  /** Closes the read end and ends the writer if it still runs. */
  close(): void;
}

/**
 * A named pipe fed with `bytes` by a child process, so the reader sees a non-seekable fd with no known size.
 * nonBlocking: the read end is O_NONBLOCK and the writer pauses `pauseMs` after each of `chunks` pieces, so reads
 * meet EAGAIN (the case of stdin once libuv made it non-blocking).
 */
export function fifoFeed(dir: string, bytes: Uint8Array, opts: { nonBlocking?: boolean; chunks?: number; pauseMs?: number } = {}): FifoFeed {
  const id = Math.random().toString(36).slice(2);
  const data = path.join(dir, `feed-${id}.bin`);
  const fifo = path.join(dir, `feed-${id}.fifo`);
  fs.writeFileSync(data, bytes);
  execFileSync('mkfifo', [fifo]);
  const chunks = Math.max(1, opts.chunks ?? 1);
  const size = Math.ceil(bytes.length / chunks);
  const pause = ((opts.pauseMs ?? 0) / 1000).toFixed(3);
  // dd copies piece i of the data; the pauses make the reader wait on an empty pipe.
  const script =
    `exec 3>"$1"; i=0; while [ $i -lt ${chunks} ]; do ` +
    `dd if="$0" bs=${size} skip=$i count=1 status=none >&3; sleep ${pause}; i=$((i+1)); done`;
  let fd: number;
  let child: ReturnType<typeof spawn>;
  if (opts.nonBlocking) {
    // Open first (a non-blocking read open of a FIFO succeeds at once), then start the writer and wait until it
    // holds the write end: before that, a read would see end-of-file.
    fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    child = spawn('sh', ['-c', script, data, fifo], { stdio: 'ignore' });
    const deadline = Date.now() + 10000;
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      let target = '';
      try {
        target = fs.readlinkSync(`/proc/${child.pid}/fd/3`);
      } catch {
        target = '';
      }
      if (target === fifo) break;
      if (Date.now() > deadline) throw new Error('the FIFO writer did not start');
      Atomics.wait(cell, 0, 0, 5);
    }
  } else {
    child = spawn('sh', ['-c', script, data, fifo], { stdio: 'ignore' });
    fd = fs.openSync(fifo, 'r'); // blocks until the writer opens its end
  }
  return {
    fd,
    close() {
      fs.closeSync(fd);
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill();
    },
  };
}
