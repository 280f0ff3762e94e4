/**
 * The frame decoder, conformance warnings and statistics, over the fixtures: every warning rule fires on the
 * frame built to break it and on no other; every fixture frame's layers round-trip byte-exactly at an offset;
 * statistics agree with counts taken from tshark's decoding of the same file.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameDecoder, LinkKind } from '../../src/decode/frame.js';
import { buildFrameJson, type FrameJson } from '../../src/decode/record.js';
import { StatsCollector } from '../../src/decode/stats.js';
import { syntheticFrames } from '../../src/tools/gen-fixtures.js';
import { formatTimestamp, openCapture } from '../../src/pcap/index.js';
import { EthernetView, emitEthernet, ethernetHeaderLength, parseEthernet } from '../../src/wire/ethernet.js';
import { Ipv4View, emitIpv4, ipv4HeaderLength, parseIpv4 } from '../../src/wire/ipv4.js';
import { UdpView, emitUdp, parseUdp, udpLength } from '../../src/wire/udp.js';
import { IgmpView, emitIgmp, igmpLength, parseIgmp } from '../../src/wire/igmp.js';
import { WireError } from '../../src/errors.js';
import { assertRoundTrip } from '../support/roundtrip.js';
import { liveGate } from '../support/live.js';

function decodeAll(file: string): { json: FrameJson[]; frames: { link: number; bytes: Uint8Array }[] } {
  const r = openCapture(file);
  const d = new FrameDecoder();
  const json: FrameJson[] = [];
  const frames: { link: number; bytes: Uint8Array }[] = [];
  let n = 0;
  for (let rec = r.next(); rec !== null; rec = r.next()) {
    const bytes = rec.buf.slice(rec.offset, rec.offset + rec.caplen);
    frames.push({ link: rec.linkType, bytes });
    d.decode(rec.linkType, rec.buf, rec.offset, rec.caplen);
    json.push(buildFrameJson(d, { n: ++n, ts: formatTimestamp(rec.tsSec, rec.tsNsec, rec.tsDigits), len: rec.wirelen, iface: rec.ifaceName }));
  }
  r.close();
  return { json, frames };
}

const synthetic = decodeAll('fixtures/synthetic.pcapng').json;
const byWarning = (w: RegExp) => synthetic.filter((f) => f.warnings?.some((x) => w.test(x))).map((f) => f.n);

describe('conformance warnings (one frame per rule in fixtures/synthetic.pcapng)', () => {
  // Frame numbers follow src/tools/gen-fixtures.ts; each rule fires on exactly its frame(s).
  const rules: [RegExp, number[]][] = [
    [/^bad IGMP checksum$/, [21]],
    [/^TTL 64, not 1$/, [22]],
    [/^no Router Alert option$/, [22]],
    [/^v3 report to 239\.9\.9\.9, not 224\.0\.0\.22$/, [23]],
    [/^leave to 239\.1\.1\.1, not 224\.0\.0\.2$/, [24]],
    [/^group-specific query to 224\.0\.0\.1, not its group 239\.1\.1\.1$/, [25]],
    [/^destination MAC 01:00:5e:01:01:02 is not the 01:00:5e mapping of 239\.1\.1\.1$/, [26]],
    [/^multicast source address 224\.0\.0\.9$/, [27]],
    [/^ALLOW record 1 for 239\.4\.4\.4 without sources$/, [28]],
    [/^unknown group record type 9 in record 2$/, [28]],
    [/^general query with 1 sources$/, [29]],
    [/^bad IPv4 header checksum$/, [30]],
    [/^bad UDP checksum$/, [20]],
  ];
  for (const [re, frames] of rules) {
    it(`${re.source} fires on frame ${frames.join(',')} only`, () => {
      expect(byWarning(re)).toEqual(frames);
    });
  }
  it('well-formed messages of every kind carry no warning (v1 has no Router Alert rule)', () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 35, 38, 39]) {
      expect(synthetic[n - 1]!.warnings, `frame ${n}`).toBeUndefined();
    }
  });
  it('a v3 report from 0.0.0.0 is allowed (RFC 3376 4.2.13)', () => {
    expect(synthetic[10]!.ip!.src).toBe('0.0.0.0');
    expect(synthetic[10]!.warnings).toBeUndefined();
  });
  it('a payload cut by the snap length gets no checksum verdict, only the truncation error', () => {
    const f = synthetic[36]!;
    expect(f.caplen).toBeLessThan(f.len);
    expect(f.warnings).toBeUndefined();
    expect(f.error).toMatch(/^igmp: truncated group record 1 at byte \d+$/);
  });
});

describe('decoding faults keep what was decoded before them', () => {
  it('a lying Number of Group Records: the complete record is kept and the error names the frame offset', () => {
    const f = synthetic[30]!;
    expect(f.igmp!.records!.map((r) => r.group)).toEqual(['239.5.5.5']);
    // 14 (Ethernet) + 24 (IPv4 with Router Alert) + 8 (v3 report header) + 8 (one record) = byte 54 of the frame.
    expect(f.error).toBe('igmp: truncated group record 2 at byte 54');
  });
  it('a 10-byte query is reported and ignored (RFC 3376 7.1)', () => {
    const f = synthetic[31]!;
    expect(f.igmp!.version).toBe(0);
    expect(f.error).toMatch(/^igmp: /);
  });
  it('the decoder never throws and stops at the faulty layer, whatever the bytes (fast-check)', () => {
    const d = new FrameDecoder();
    fc.assert(
      fc.property(fc.constantFrom(1, 101, 113, 228, 276, 147), fc.uint8Array({ maxLength: 200 }), (link, bytes) => {
        d.decode(link, bytes, 0, bytes.length);
        if (d.error !== null) {
          expect(d.error).toBeInstanceOf(WireError);
          expect(d.error.offset).toBeGreaterThanOrEqual(0);
          expect(d.error.offset).toBeLessThanOrEqual(bytes.length + 65535);
        }
        const j = buildFrameJson(d, { n: 1, ts: '1970-01-01T00:00:00.000000Z', len: bytes.length, iface: null });
        JSON.stringify(j);
      }),
      { numRuns: 3000, seed: 4242 },
    );
  });
  it('mutated fixture frames never make the decoder throw (bit flips and truncations)', () => {
    const d = new FrameDecoder();
    const frames = syntheticFrames();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: frames.length - 1 }), fc.nat(), fc.nat(), fc.nat(), (i, pos, bit, cut) => {
        const src = frames[i]!.frame;
        const b = src.slice(0, src.length - (cut % Math.min(src.length, 24)));
        if (b.length > 0) b[pos % b.length]! ^= 1 << (bit % 8);
        const link = [1, 101, 276][frames[i]!.iface]!;
        d.decode(link, b, 0, b.length);
        buildFrameJson(d, { n: 1, ts: '1970-01-01T00:00:00.000000Z', len: b.length, iface: null });
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});

function fixtureFiles(): string[] {
  const out: string[] = [];
  for (const dir of ['fixtures', 'fixtures/formats']) for (const f of readdirSync(dir)) if (/\.(pcap|pcapng)$/.test(f)) out.push(join(dir, f));
  return out.sort();
}

describe('every fixture frame round-trips layer by layer: emit(parse(bytes)) equals bytes, at an offset', () => {
  for (const file of fixtureFiles()) {
    it(file, () => {
      const { frames } = decodeAll(file);
      const d = new FrameDecoder();
      let checked = 0;
      for (const { link, bytes } of frames) {
        d.decode(link, bytes, 0, bytes.length);
        if (d.link === LinkKind.ETHERNET) {
          const repr = parseEthernet(d.eth);
          assertRoundTrip(repr, {
            length: ethernetHeaderLength,
            emit: emitEthernet,
            decode: (b, o, l) => parseEthernet(new EthernetView().reset(b, o, l)),
          }, bytes.subarray(0, d.eth.payloadOffset));
        }
        if (!d.hasIp || d.ip.payloadTruncated) continue;
        const ipStart = d.ip.payloadOffset - d.ip.headerLength;
        const ipRepr = parseIpv4(d.ip);
        const payloadLen = d.ip.payloadLength;
        assertRoundTrip(ipRepr, {
          length: ipv4HeaderLength,
          emit: (r, b, o) => emitIpv4(r, payloadLen, b, o),
          decode: (b, o, l) => {
            // The header alone: give the view the header plus a zero payload so total length checks pass.
            const tmp = new Uint8Array(l + payloadLen);
            tmp.set(b.subarray(o, o + l));
            return parseIpv4(new Ipv4View().reset(tmp, 0, tmp.length));
          },
        }, bytes.subarray(ipStart, d.ip.payloadOffset));
        if (d.hasIgmp && d.error === null) {
          const r = parseIgmp(d.igmp).repr;
          assertRoundTrip(r, { length: igmpLength, emit: emitIgmp, decode: (b, o, l) => parseIgmp(new IgmpView().reset(b, o, l)).repr },
            bytes.subarray(d.ip.payloadOffset, d.ip.payloadOffset + payloadLen));
        }
        if (d.hasUdp && !d.udp.payloadTruncated) {
          const src = d.ip.src;
          const dst = d.ip.dst;
          const payload = bytes.slice(d.udp.payloadOffset, d.udp.payloadOffset + d.udp.payloadLength);
          const u = parseUdp(d.udp, src, dst);
          assertRoundTrip(u, {
            length: () => udpLength(payload.length),
            emit: (r, b, o) => emitUdp(r, payload, src, dst, b, o),
            decode: (b, o, l) => parseUdp(new UdpView().reset(b, o, l), src, dst),
          }, bytes.subarray(d.ip.payloadOffset, d.udp.payloadOffset + d.udp.payloadLength));
        }
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});

const gate = liveGate(['tshark']);
describe.skipIf(!gate.ok)('statistics agree with tshark', () => {
  for (const file of fixtureFiles()) {
    it(file, () => {
      // tshark's view: per (IGMP type, group) counts, v3 reports once per group record; UDP multicast per group/port.
      const lines = execFileSync('tshark', ['-r', file, '-o', 'ip.defragment:FALSE', '-T', 'fields', '-E', 'separator=|', '-e', 'igmp.type', '-e', 'igmp.maddr', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'ip.frag_offset', '-e', 'ip.flags.mf', '-e', '_ws.malformed'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).split('\n').filter((l) => l !== '');
      const expected = new Map<string, number>();
      const add = (k: string) => expected.set(k, (expected.get(k) ?? 0) + 1);
      for (const l of lines) {
        const [type, maddr, dst, dport, frag] = l.split('|');
        if (type && frag === '0') {
          const t = parseInt(type, 16);
          if (t === 0x11 || t === 0x12 || t === 0x16 || t === 0x17 || t === 0x22) for (const g of (maddr ?? '').split(',').filter(Boolean)) add(`igmp ${t} ${g}`);
        } else if (dport && frag === '0' && /^2(2[4-9]|3\d)\./.test(dst!)) add(`udp ${dst} ${dport}`);
      }
      const r = openCapture(file);
      const d = new FrameDecoder();
      const s = new StatsCollector();
      for (let rec = r.next(); rec !== null; rec = r.next()) {
        d.decode(rec.linkType, rec.buf, rec.offset, rec.caplen);
        s.add(d, rec.tsSec, rec.tsNsec);
      }
      r.close();
      const j = s.toJson();
      const got = new Map<string, number>();
      for (const c of j.igmp) if (c.type !== 'unknown' && c.version !== 0) got.set(`igmp ${c.typeCode} ${c.group}`, (got.get(`igmp ${c.typeCode} ${c.group}`) ?? 0) + c.count);
      for (const st of j.streams) got.set(`udp ${st.group} ${st.port}`, st.packets);
      // Frames we report as faulty (truncated records, 9-11 byte queries) are counted up to the fault; tshark may
      // count partial records: compare on files where both decoders see whole messages.
      if (j.errors === 0) expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
      else for (const [k, v] of got) expect(v, k).toBeLessThanOrEqual(expected.get(k) ?? 0);
    });
  }
});
