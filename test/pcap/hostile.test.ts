/**
 * Damaged and hostile capture files: each ends with a CaptureFileError carrying a stable code and the byte offset of
 * the fault in the file, after every good record before it has been delivered; memory never follows a lying length.
 * Every case is read twice: from a regular file (size known) and through a named pipe (size unknown, no seeking).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureFileError } from '../../src/errors.js';
import { DEFAULT_BUFFER_SIZE, MAX_BLOCK_LENGTH, openCapture } from '../../src/pcap/index.js';
import { concat, ngEpb, ngIdb, ngOption, ngShb, ngSpb, packet, pcapHeader, pcapRecord } from './build.js';
import fc from 'fast-check';
import { FIXTURES, fifoFeed, readAll, tmpDir } from './tools.js';

const dir = tmpDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function save(name: string, bytes: Uint8Array): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function u32(v: number, le = true): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, le);
  return b;
}

interface Case {
  name: string;
  /** Good part, then the bad part; the error offset is counted from these. */
  good: Uint8Array[];
  bad: Uint8Array;
  /** Payloads of the good records, in order. */
  records: Uint8Array[];
  code: string;
  /** Offset of the fault relative to the start of `bad`. */
  at?: number;
  /** When read through a pipe (no known size) the code differs. */
  pipeCode?: string;
  /** Expected fragment of the message. */
  message?: RegExp;
}

// classic pcap: header + two good records
const p1 = packet(60, 1);
const p2 = packet(70, 2);
const pcapGood = [pcapHeader({ snaplen: 65535 }), pcapRecord({ sec: 1, frac: 1, data: p1 }), pcapRecord({ sec: 2, frac: 2, data: p2 })];
const pcapBadRecord = (caplen: number, present: number) => {
  const h = pcapRecord({ sec: 3, frac: 3, data: packet(present, 3), caplen });
  return h;
};

// pcapng: SHB, IDB, two good EPBs
const e1 = packet(61, 4);
const e2 = packet(64, 5);
const ngGood = [
  ngShb(),
  ngIdb({ linkType: 1, name: 'eth0', tsresol: 9 }),
  ngEpb({ ticks: 1000000001n, data: e1 }),
  ngEpb({ ticks: 2000000002n, data: e2 }),
];
const epbWithLen = (len: number, body = 28) => {
  const b = ngEpb({ ticks: 3n, data: packet(body - 28 > 0 ? body - 28 : 0, 6) });
  new DataView(b.buffer).setUint32(4, len, true);
  return b;
};

const cases: Case[] = [
  {
    name: 'pcap: wrong magic (an HTTP request)',
    good: [],
    bad: new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example\r\n\r\n'),
    records: [],
    code: 'ERR_PCAP_BAD_MAGIC',
    message: /first bytes 47 45 54 20/,
  },
  { name: 'pcap: empty file', good: [], bad: new Uint8Array(0), records: [], code: 'ERR_PCAP_TRUNCATED_HEADER', message: /empty/ },
  {
    name: 'pcap: file ends inside the 24-byte header',
    good: [],
    bad: pcapHeader().subarray(0, 10),
    records: [],
    code: 'ERR_PCAP_TRUNCATED_HEADER',
  },
  { name: 'pcap: major version 3', good: [], bad: pcapHeader({ major: 3 }), records: [], code: 'ERR_PCAP_BAD_VERSION', at: 4 },
  {
    name: 'pcap: modified (Kuznetsov) magic',
    good: [],
    bad: pcapHeader({ magic: 0xa1b2cd34 }),
    records: [],
    code: 'ERR_PCAP_BAD_MAGIC',
    message: /modified/,
  },
  {
    name: 'pcap: record claiming 4294967280 captured bytes',
    good: pcapGood,
    bad: pcapBadRecord(0xfffffff0, 40),
    records: [p1, p2],
    code: 'ERR_PCAP_CAPLEN_TOO_LARGE',
    message: /claims 4294967280 captured bytes/,
  },
  {
    name: 'pcap: record claiming 262145 bytes (one past the maximum snaplen)',
    good: pcapGood,
    bad: pcapBadRecord(262145, 40),
    records: [p1, p2],
    code: 'ERR_PCAP_CAPLEN_TOO_LARGE',
  },
  {
    name: 'pcap: last record cut short',
    good: pcapGood,
    bad: pcapBadRecord(100, 30),
    records: [p1, p2],
    code: 'ERR_PCAP_TRUNCATED_RECORD',
    message: /claims 100 captured bytes, the file ends after 30/,
  },
  {
    name: 'pcap: file ends inside a record header',
    good: pcapGood,
    bad: pcapRecord({ sec: 3, frac: 3, data: packet(10) }).subarray(0, 7),
    records: [p1, p2],
    code: 'ERR_PCAP_TRUNCATED_RECORD',
  },
  {
    name: 'pcapng: block length not a multiple of 4',
    good: ngGood,
    bad: epbWithLen(34, 36),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_BLOCK_LENGTH',
    message: /not a multiple of 4/,
  },
  {
    name: 'pcapng: EPB length below its minimum of 32',
    good: ngGood,
    bad: epbWithLen(16, 32),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_BLOCK_LENGTH',
    message: /less than the minimum of 32/,
  },
  {
    name: 'pcapng: unknown block of length 8 (< 12)',
    good: ngGood,
    bad: concat(u32(0x99), u32(8), u32(8)),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_BLOCK_LENGTH',
  },
  {
    name: 'pcapng: EPB claiming 4000000000 bytes',
    good: ngGood,
    bad: epbWithLen(4000000000, 100),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_BLOCK_LENGTH',
    message: /claims 4000000000 bytes, (past the end of the file \(size \d+\)|more than the limit)/,
  },
  {
    name: 'pcapng: unknown block claiming 4000000000 bytes',
    good: ngGood,
    bad: concat(u32(0x99), u32(4000000000), packet(100)),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_BLOCK_LENGTH',
    // Through a pipe the size is unknown: the block is streamed past (never held) until the input ends.
    pipeCode: 'ERR_PCAPNG_TRUNCATED_BLOCK',
  },
  {
    name: 'pcapng: last EPB cut short (plausible length)',
    good: ngGood,
    bad: ngEpb({ ticks: 3n, data: packet(200) }).subarray(0, 100),
    records: [e1, e2],
    code: 'ERR_PCAPNG_TRUNCATED_BLOCK',
  },
  {
    name: 'pcapng: file ends inside a block header',
    good: ngGood,
    bad: ngEpb({ ticks: 3n, data: packet(20) }).subarray(0, 5),
    records: [e1, e2],
    code: 'ERR_PCAPNG_TRUNCATED_BLOCK',
  },
  {
    name: 'pcapng: trailing length != leading length',
    good: ngGood,
    bad: ngEpb({ ticks: 3n, data: packet(20), trailer: 56 }),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_BLOCK_LENGTH',
    message: /trailing length 56 != leading length 52/,
  },
  {
    name: 'pcapng: a lying length inside the file lands on a wrong trailer',
    good: ngGood,
    bad: concat(epbWithLen(60, 48), ngEpb({ ticks: 4n, data: packet(40) })),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_BLOCK_LENGTH',
  },
  {
    name: 'pcapng: EPB captured length exceeds its block',
    good: ngGood,
    bad: ngEpb({ ticks: 3n, data: packet(20), caplen: 21 }),
    records: [e1, e2],
    code: 'ERR_PCAPNG_CAPLEN_EXCEEDS_BLOCK',
  },
  {
    name: 'pcapng: EPB captured length 4294967295',
    good: ngGood,
    bad: ngEpb({ ticks: 3n, data: packet(20), caplen: 0xffffffff }),
    records: [e1, e2],
    code: 'ERR_PCAPNG_CAPLEN_EXCEEDS_BLOCK',
  },
  {
    name: 'pcapng: EPB naming interface 7 of 1',
    good: ngGood,
    bad: ngEpb({ ifid: 7, ticks: 3n, data: packet(20) }),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_INTERFACE',
  },
  {
    name: 'pcapng: SPB in a new section with no interface',
    good: ngGood,
    bad: concat(ngShb(), ngSpb({ data: packet(20) })),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_INTERFACE',
    at: 28,
  },
  {
    name: 'pcapng: second SHB with a bad byte-order magic',
    good: ngGood,
    bad: ngShb({ bom: 0x11223344 }),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_BYTE_ORDER',
    at: 8,
  },
  {
    name: 'pcapng: second SHB with major version 2',
    good: ngGood,
    bad: ngShb({ major: 2 }),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_VERSION',
    at: 12,
  },
  {
    name: 'pcapng: IDB option running past its block',
    good: ngGood,
    bad: ngIdb({ linkType: 1, extraOptions: Uint8Array.of(2, 0, 0xff, 0), noEnd: true }),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_OPTION',
    at: 16,
  },
  {
    name: 'pcapng: IDB if_tsresol 10^-20 (finer than a 64-bit counter)',
    good: ngGood,
    bad: ngIdb({ linkType: 1, tsresol: 20 }),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_OPTION',
  },
  {
    name: 'pcapng: IDB if_tsresol of length 2',
    good: ngGood,
    bad: ngIdb({ linkType: 1, extraOptions: ngOption(9, Uint8Array.of(6, 6)) }),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_OPTION',
    at: 16,
  },
  {
    name: 'pcapng: EPB longer than MAX_BLOCK_LENGTH though inside the file',
    good: ngGood,
    bad: concat(epbWithLen(MAX_BLOCK_LENGTH + 4, 100), new Uint8Array(MAX_BLOCK_LENGTH + 100)),
    records: [e1, e2],
    code: 'ERR_PCAPNG_BAD_BLOCK_LENGTH',
    message: /more than the limit/,
  },
  {
    name: 'pcapng: file is a truncated SHB',
    good: [],
    bad: ngShb().subarray(0, 4),
    records: [],
    code: 'ERR_PCAPNG_TRUNCATED_BLOCK',
  },
  {
    name: 'pcapng: first SHB with a bad byte-order magic',
    good: [],
    bad: ngShb({ bom: 0 }),
    records: [],
    code: 'ERR_PCAPNG_BAD_BYTE_ORDER',
    at: 8,
  },
];

describe('damaged and hostile files', () => {
  for (const c of cases) {
    const goodLen = c.good.reduce((n, b) => n + b.length, 0);
    const bytes = concat(...c.good, c.bad);
    const offset = goodLen + (c.at ?? 0);
    for (const via of ['file', 'pipe'] as const) {
      it(`${c.name} (${via})`, () => {
        let res;
        let feed = null;
        if (via === 'file') {
          res = readAll(save(`${c.name.replace(/\W+/g, '_')}.cap`, bytes));
        } else {
          feed = fifoFeed(dir, bytes);
          try {
            res = readAll(feed.fd);
          } finally {
            feed.close();
          }
        }
        expect(res.records.map((r) => r.hex)).toEqual(c.records.map(hex));
        expect(res.error).toBeInstanceOf(CaptureFileError);
        const err = res.error!;
        expect(err.code).toBe(via === 'pipe' && c.pipeCode ? c.pipeCode : c.code);
        expect(err.offset).toBe(offset);
        expect(err.message).toContain(`byte ${offset}`);
        if (c.message && !(via === 'pipe' && c.pipeCode)) expect(err.message).toMatch(c.message);
        expect(err.message.split('\n')).toHaveLength(1);
      });
    }
  }

  it('keeps throwing the same error after the fault', () => {
    const f = save('sticky.pcap', concat(...pcapGood, pcapBadRecord(100, 30)));
    const r = openCapture(f);
    expect(r.next()).not.toBeNull();
    expect(r.next()).not.toBeNull();
    let first: unknown;
    try {
      r.next();
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(CaptureFileError);
    expect(() => r.next()).toThrow(first as Error);
    r.close();
  });

  it('names the file in the message', () => {
    const f = save('named.pcapng', concat(...ngGood, epbWithLen(4000000000, 100)));
    const res = readAll(f);
    expect(res.error!.message).toBe(
      `${f}: pcapng: enhanced packet block at byte ${ngGood.reduce((n, b) => n + b.length, 0)} claims 4000000000 bytes, past the end of the file (size ${fs.statSync(f).size})`,
    );
    expect(res.error!.file).toBe(f);
  });
});

describe('memory stays flat whatever a length field claims', () => {
  const MiB = 1024 * 1024;

  it('a pcap record claiming 4 GB allocates nothing big (file)', () => {
    const f = save('claim4g.pcap', concat(...pcapGood, pcapBadRecord(0xffffffff, 64)));
    const before = process.memoryUsage().arrayBuffers;
    const r = openCapture(f);
    r.next();
    r.next();
    expect(() => r.next()).toThrow(CaptureFileError);
    const grown = process.memoryUsage().arrayBuffers - before;
    r.close();
    expect(grown).toBeLessThan(MiB);
  });

  it('a pcapng EPB and an unknown block claiming 4 GB, read through a pipe, stay within the default buffer', () => {
    for (const bad of [epbWithLen(4000000000, 100), concat(u32(0x99), u32(4000000000), packet(100000))]) {
      const feed = fifoFeed(dir, concat(...ngGood, bad));
      try {
        const before = process.memoryUsage().arrayBuffers;
        const r = openCapture(feed.fd);
        r.next();
        r.next();
        expect(() => r.next()).toThrow(CaptureFileError);
        const grown = process.memoryUsage().arrayBuffers - before;
        r.close();
        expect(grown).toBeLessThan(DEFAULT_BUFFER_SIZE + MiB);
      } finally {
        feed.close();
      }
    }
  });

  it('a small buffer grows only for a real record, up to the cap, never for a lie', () => {
    const big = packet(200000, 7);
    const f = save('grow.pcap', concat(pcapHeader({ snaplen: 262144 }), pcapRecord({ sec: 1, frac: 0, data: big }), pcapBadRecord(0xfffffff0, 10)));
    const before = process.memoryUsage().arrayBuffers;
    const r = openCapture(f, { bufferSize: 64 });
    const rec = r.next()!;
    const same = Buffer.compare(rec.buf.subarray(rec.offset, rec.offset + rec.caplen), big) === 0;
    expect(() => r.next()).toThrow(expect.objectContaining({ code: 'ERR_PCAP_CAPLEN_TOO_LARGE' }));
    const grown = process.memoryUsage().arrayBuffers - before;
    r.close();
    expect(rec.caplen).toBe(200000);
    expect(same).toBe(true);
    expect(grown).toBeLessThan(MAX_BLOCK_LENGTH + 64 * 1024);
  });

  it('reading a 12 MB capture holds one buffer of the default size', () => {
    const recs: Uint8Array[] = [pcapHeader({ snaplen: 262144 })];
    for (let i = 0; i < 8000; i++) recs.push(pcapRecord({ sec: i, frac: 0, data: packet(1500, i) }));
    const f = save('12mb.pcap', concat(...recs));
    recs.length = 0;
    const before = process.memoryUsage().arrayBuffers;
    const r = openCapture(f);
    let n = 0;
    let peak = 0;
    while (r.next() !== null) {
      if (++n % 1000 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    r.close();
    expect(n).toBe(8000);
    expect(peak).toBeLessThan(DEFAULT_BUFFER_SIZE + MiB);
  });
});

describe('errors opening', () => {
  it('a missing file is a SystemError, not a capture error', () => {
    expect(() => openCapture(path.join(dir, 'nope.pcap'))).toThrow(expect.objectContaining({ code: 'ERR_CAPTURE_OPEN' }));
  });
  it('a directory is refused', () => {
    expect(() => openCapture(dir)).toThrow(expect.objectContaining({ code: 'ERR_CAPTURE_OPEN' }));
  });
});


describe('mutated files (fuzz): only CaptureFileError, always advancing, bounded memory', () => {
  const seeds = [
    ...['eth-usec.pcap', 'eth-nsec.pcap', 'multi.pcapng', 'two-sections.pcapng'].map((n) => new Uint8Array(fs.readFileSync(path.join(FIXTURES, n)))),
    concat(
      ngShb({ le: false }),
      ngIdb({ le: false, linkType: 1, name: 'x', tsresol: 0x80 | 20, tsoffset: -5n }),
      ngEpb({ le: false, ticks: 123456789n, data: packet(40) }),
      ngSpb({ le: false, data: packet(30) }),
    ),
  ];
  it('survives bit flips, byte stores, 32-bit length lies and truncation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.nat()), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.constantFrom(undefined, 64, 1000),
        (which, edits, cut, bufferSize) => {
          const b = seeds[which].slice();
          for (const [pos, kind, val] of edits) {
            const at = pos % b.length;
            if (kind === 0) b[at] ^= 1 << (val % 8);
            else if (kind === 1) b[at] = val & 255;
            else if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at & ~3, kind === 2 ? val : 0xffffffff - (val % 1000), (val & 1) === 0);
          }
          const bytes = cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
          const f = save('fuzz.bin', bytes);
          const before = process.memoryUsage().arrayBuffers;
          let r;
          try {
            r = openCapture(f, bufferSize === undefined ? {} : { bufferSize });
          } catch (e) {
            expect(e).toBeInstanceOf(CaptureFileError);
            return;
          }
          let last = -1;
          try {
            for (let rec = r.next(); rec !== null; rec = r.next()) {
              expect(rec.fileOffset).toBeGreaterThan(last);
              expect(rec.offset + rec.caplen).toBeLessThanOrEqual(rec.buf.length);
              expect(rec.tsNsec >= 0 && rec.tsNsec < 1e9).toBe(true);
              last = rec.fileOffset;
            }
            expect(r.bytesConsumed).toBe(bytes.length);
          } catch (e) {
            expect(e).toBeInstanceOf(CaptureFileError);
            expect((e as CaptureFileError).offset).toBeLessThanOrEqual(bytes.length);
          } finally {
            r.close();
          }
          expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MAX_BLOCK_LENGTH * 2 + 64 * 1024);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
