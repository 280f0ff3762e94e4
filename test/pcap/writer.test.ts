/**
 * The writer: its output read back by tshark, tcpdump and our reader, with the same frames, timestamps and lengths;
 * header bytes against the hand-built layout of test/pcap/build.ts; buffering, fds, SIGINT.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureWriter, LinkType, MAX_CAPLEN, openCapture, type CaptureWriterOptions } from '../../src/pcap/index.js';
import { concat, ngEpb, ngIdb, ngOption, ngShb, packet, pcapHeader } from './build.js';
import { FIXTURES, readAll, tcpdumpFrames, tmpDir, toolGate, tsharkFrames, WTAP_ENCAP } from './tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const viteNode = path.resolve(here, '../../node_modules/.bin/vite-node');
const tools = toolGate(['tshark', 'tcpdump']);
const dir = tmpDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface In {
  data: Uint8Array;
  offset: number;
  caplen: number;
  wirelen: number;
  sec: number;
  nsec: number;
  iface: number;
}

// Records chosen to exercise the edges: nanosecond digits, a frame longer than the snaplen, a slice at an offset,
// wirelen > caplen, sizes not a multiple of 4, 2038 and the end of 32-bit seconds.
const backing = packet(3000, 11);
const inputs: In[] = [
  { data: packet(60, 1), offset: 0, caplen: 60, wirelen: 60, sec: 1235470907, nsec: 698870123, iface: 0 },
  { data: backing, offset: 17, caplen: 1514, wirelen: 1514, sec: 1235470908, nsec: 1, iface: 1 },
  { data: packet(61, 2), offset: 0, caplen: 61, wirelen: 1500, sec: 2147483648, nsec: 999999999, iface: 0 },
  { data: backing, offset: 100, caplen: 2000, wirelen: 2000, sec: 4294967295, nsec: 500000000, iface: 1 },
  { data: packet(1, 3), offset: 0, caplen: 1, wirelen: 1, sec: 0, nsec: 0, iface: 0 },
];
const SNAPLEN = 1600;

function writeAll(file: string, opts: CaptureWriterOptions, withSecond: boolean): void {
  const w = CaptureWriter.create(file, opts);
  if (withSecond) expect(w.addInterface(LinkType.ETHERNET, 'eth1', SNAPLEN)).toBe(1);
  for (const r of inputs) w.write(r.data, r.offset, r.caplen, r.wirelen, r.sec, r.nsec, withSecond ? r.iface : 0);
  w.close();
}

function expected(nano: boolean) {
  return inputs.map((r) => {
    const caplen = Math.min(r.caplen, SNAPLEN);
    return {
      sec: r.sec,
      nsec: nano ? r.nsec : Math.floor(r.nsec / 1000) * 1000,
      caplen,
      wirelen: r.wirelen,
      hex: Buffer.from(r.data.subarray(r.offset, r.offset + caplen)).toString('hex'),
    };
  });
}

const configs: [string, CaptureWriterOptions, boolean][] = [
  ['pcap, microsecond, little-endian', { format: 'pcap', linkType: LinkType.ETHERNET, snaplen: SNAPLEN }, false],
  ['pcap, nanosecond, big-endian', { format: 'pcap', linkType: LinkType.ETHERNET, snaplen: SNAPLEN, nanosecond: true, bigEndian: true }, false],
  ['pcapng, microsecond, one interface', { format: 'pcapng', linkType: LinkType.ETHERNET, snaplen: SNAPLEN, ifaceName: 'eth0' }, false],
  [
    'pcapng, nanosecond, big-endian, two interfaces',
    { format: 'pcapng', linkType: LinkType.ETHERNET, snaplen: SNAPLEN, nanosecond: true, ifaceName: 'eth0', bigEndian: true },
    true,
  ],
];

describe('writer output', () => {
  for (const [label, opts, two] of configs) {
    const nano = opts.nanosecond === true;
    const file = path.join(dir, `${label.replace(/\W+/g, '_')}.${opts.format}`);

    it(`${label}: our reader gets back what was written`, () => {
      writeAll(file, opts, two);
      const res = readAll(file);
      expect(res.error).toBeNull();
      expect(res.format).toBe(opts.format);
      expect(res.records.map((r) => ({ sec: r.tsSec, nsec: r.tsNsec, caplen: r.caplen, wirelen: r.wirelen, hex: r.hex }))).toEqual(expected(nano));
      expect(res.records.map((r) => r.tsDigits)).toEqual(inputs.map(() => (nano ? 9 : 6)));
      if (opts.format === 'pcapng') {
        expect(res.records.map((r) => r.ifaceName)).toEqual(inputs.map((r) => (two && r.iface === 1 ? 'eth1' : 'eth0')));
      }
    });

    it.skipIf(!tools.ok)(`${label}: tshark and tcpdump read the same frames`, () => {
      writeAll(file, opts, two);
      const want = expected(nano);
      const t = tsharkFrames(file);
      expect(t.map((f) => ({ sec: f.sec, nsec: f.nsec, caplen: f.caplen, wirelen: f.len, hex: f.hex }))).toEqual(want);
      expect(t.map((f) => f.encap)).toEqual(inputs.map(() => WTAP_ENCAP[1]));
      if (opts.format === 'pcapng') expect(t.map((f) => f.ifaceName)).toEqual(inputs.map((r) => (two && r.iface === 1 ? 'eth1' : 'eth0')));
      // libpcap reads ts_sec as a signed 32-bit value, so tcpdump prints "[Error converting time]" from 2038 on
      // (sec >= 2^31); the format says unsigned and tshark agrees with us. Those two frames compare bytes only.
      const d = tcpdumpFrames(file);
      expect(d.map((f) => ({ sec: f.sec, nsec: f.nsec, hex: f.hex }))).toEqual(
        want.map((w) => (w.sec < 2 ** 31 ? { sec: w.sec, nsec: w.nsec, hex: w.hex } : { sec: null, nsec: null, hex: w.hex })),
      );
    });
  }

  it('pcap header bytes equal the layout built by hand', () => {
    for (const [nano, le] of [[false, true], [true, false]] as const) {
      const f = path.join(dir, `hdr-${nano}-${le}.pcap`);
      CaptureWriter.create(f, { format: 'pcap', linkType: LinkType.LINUX_SLL2, snaplen: 9000, nanosecond: nano, bigEndian: !le }).close();
      expect(Buffer.from(fs.readFileSync(f)).toString('hex')).toBe(
        Buffer.from(pcapHeader({ le, nsec: nano, snaplen: 9000, linkType: LinkType.LINUX_SLL2 })).toString('hex'),
      );
    }
  });

  it('pcapng SHB, IDB and EPB bytes equal the layout built by hand', () => {
    const f = path.join(dir, 'hdr.pcapng');
    const w = CaptureWriter.create(f, { format: 'pcapng', linkType: LinkType.RAW, snaplen: 2000, nanosecond: true, ifaceName: 'tun0', userAppl: 'mcastkit' });
    const data = packet(10, 4);
    w.write(data, 0, 10, 12, 1235470907, 698870123);
    w.close();
    const want = concat(
      ngShb({ options: concat(ngOption(4, new TextEncoder().encode('mcastkit')), new Uint8Array(4)) }),
      ngIdb({ linkType: LinkType.RAW, snaplen: 2000, name: 'tun0', tsresol: 9 }),
      ngEpb({ ticks: 1235470907698870123n, data, wirelen: 12 }),
    );
    expect(Buffer.from(fs.readFileSync(f)).toString('hex')).toBe(Buffer.from(want).toString('hex'));
  });

  it('copies a multi-interface capture record by record from the reader view (replay into a file)', () => {
    const src = path.join(FIXTURES, 'multi.pcapng');
    const out = path.join(dir, 'copy.pcapng');
    const r = openCapture(src);
    const ifs = r.interfaces();
    const w = CaptureWriter.create(out, { format: 'pcapng', linkType: ifs[0].linkType, ifaceName: ifs[0].name ?? undefined, nanosecond: true });
    for (const i of ifs.slice(1)) w.addInterface(i.linkType, i.name ?? undefined);
    for (let rec = r.next(); rec !== null; rec = r.next()) w.write(rec.buf, rec.offset, rec.caplen, rec.wirelen, rec.tsSec, rec.tsNsec, rec.ifaceIndex);
    w.close();
    r.close();
    const a = readAll(src).records.map((x) => [x.tsSec, x.tsNsec, x.caplen, x.wirelen, x.hex, x.linkType, x.ifaceIndex, x.ifaceName]);
    const b = readAll(out).records.map((x) => [x.tsSec, x.tsNsec, x.caplen, x.wirelen, x.hex, x.linkType, x.ifaceIndex, x.ifaceName]);
    expect(b).toEqual(a);
  });
});

describe('writer buffering and targets', () => {
  it('flushes the header at once and records when its buffer fills; close() writes the rest', () => {
    const f = path.join(dir, 'buffered.pcap');
    const w = CaptureWriter.create(f, { format: 'pcap', linkType: 1 });
    expect(fs.statSync(f).size).toBe(24); // a capture killed now is a valid empty file
    const frame = packet(1000);
    for (let i = 0; i < 4000; i++) w.write(frame, 0, 1000, 1000, i, 0);
    const before = fs.statSync(f).size;
    expect(before).toBeGreaterThan(24); // 4 MB through a 1 MiB buffer: flushed along the way
    expect(before).toBeLessThan(24 + 4000 * 1016);
    w.close();
    expect(fs.statSync(f).size).toBe(24 + 4000 * 1016);
    expect(w.records).toBe(4000);
    expect(w.bytesWritten).toBe(24 + 4000 * 1016);
    expect(readAll(f).records).toHaveLength(4000);
  });

  it('writes to a caller-owned fd and leaves it open', () => {
    const f = path.join(dir, 'fd.pcapng');
    const fd = fs.openSync(f, 'w');
    const w = CaptureWriter.create(fd, { format: 'pcapng', linkType: 1 });
    w.write(packet(50), 0, 50, 50, 1, 2000);
    w.close();
    w.close(); // idempotent
    expect(() => fs.fstatSync(fd)).not.toThrow();
    fs.closeSync(fd);
    expect(readAll(f).records.map((r) => [r.caplen, r.tsSec, r.tsNsec])).toEqual([[50, 1, 2000]]);
  });

  it('refuses what a file cannot hold, with RangeError (a caller bug, not file damage)', () => {
    const f = path.join(dir, 'bad.pcap');
    expect(() => CaptureWriter.create(f, { format: 'pcap', linkType: 1, snaplen: MAX_CAPLEN + 1 })).toThrow(RangeError);
    expect(() => CaptureWriter.create(f, { format: 'pcapng', linkType: 70000 })).toThrow(RangeError);
    const w = CaptureWriter.create(f, { format: 'pcap', linkType: 1 });
    expect(() => w.write(packet(10), 0, 10, 10, -1, 0)).toThrow(RangeError);
    expect(() => w.write(packet(10), 0, 10, 10, 2 ** 32, 0)).toThrow(RangeError);
    expect(() => w.write(packet(10), 0, 10, 10, 1, 1e9)).toThrow(RangeError);
    expect(() => w.write(packet(10), 5, 10, 10, 1, 0)).toThrow(RangeError);
    expect(() => w.write(packet(10), 0, 10, 10, 1, 0, 1)).toThrow(RangeError);
    expect(() => w.addInterface(1)).toThrow(RangeError);
    w.close();
    expect(() => w.write(packet(10), 0, 10, 10, 1, 0)).toThrow();
    expect(() => CaptureWriter.create(path.join(dir, 'no/such/dir.pcap'), { format: 'pcap', linkType: 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_CAPTURE_OPEN' }),
    );
  });

  for (const format of ['pcapng', 'pcap'] as const) {
    it(`a capture stopped by SIGINT is complete and valid (${format})`, async () => {
      const f = path.join(dir, `sigint.${format}`);
      const p = spawn(viteNode, [path.join(here, 'child/sigint-writer.ts'), f, format], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise<number | null>((resolve) => p.on('close', resolve));
      const ready = new Promise<void>((resolve) =>
        p.stderr.on('data', (b: Buffer) => {
          err += b.toString();
          if (err.includes('ready')) resolve();
        }),
      );
      await Promise.race([ready, exited]);
      await new Promise((r) => setTimeout(r, 150));
      p.kill('SIGINT');
      const code = await exited;
      expect(code, err).toBe(0);
      const n = (JSON.parse(out) as { records: number }).records;
      expect(n).toBeGreaterThanOrEqual(500);
      const res = readAll(f);
      expect(res.error).toBeNull();
      expect(res.records).toHaveLength(n);
      if (tools.ok) {
        // tshark reads every frame without complaint (it exits non-zero on a cut-short file)
        const lens = execFileSync('tshark', ['-r', f, '-T', 'fields', '-e', 'frame.cap_len'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
          .trim()
          .split('\n')
          .map(Number);
        expect(lens).toEqual(res.records.map((r) => r.caplen));
      }
    });
  }
});
