/**
 * Cross-check against tshark: the hand-made vectors of igmp.test.ts are wrapped in Ethernet + IPv4 (Router Alert,
 * TTL 1, TOS 0xc0, as hosts send IGMP) and padded to the 60-byte Ethernet minimum with 0x01 bytes, written to a
 * classic pcap, decoded by tshark and by our codec (the IGMP message being the IP payload by the IP Total Length,
 * so the padding is outside it), and the fields compared. Skipped with a reason when tshark is absent, unless
 * MCAST_REQUIRE_LIVE=1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { internetChecksum } from '../../src/wire/checksum.js';
import { IgmpView, parseIgmp, type IgmpRepr } from '../../src/wire/igmp.js';
import { requireLive } from '../support/live.js';
import { fromHex as hex } from '../support/roundtrip.js';

function tsharkMissing(): string | null {
  try {
    execFileSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'tshark is not installed';
  }
}

const missing = tsharkMissing();
if (missing !== null) {
  if (requireLive) throw new Error(`MCAST_REQUIRE_LIVE=1 but ${missing}`);
  console.warn(`skipping the tshark cross-check: ${missing}`);
}

// The vectors, each derived by hand in igmp.test.ts.
const MESSAGES: [string, string][] = [
  ['v1 query', '11 00 ee ff 00 00 00 00'],
  ['v2 general query, code 100', '11 64 ee 9b 00 00 00 00'],
  ['v2 group query, code 200 (linear)', '11 c8 fd 32 ef 01 02 03'],
  ['v1 report', '12 00 0c fd e0 01 01 01'],
  ['v2 report', '16 00 f8 fa ef 01 02 03'],
  ['v2 report, bad checksum', '16 00 f8 fb ef 01 02 03'],
  ['v2 leave', '17 00 f7 fa ef 01 02 03'],
  ['v3 general query', '11 64 ec 1e 00 00 00 00 02 7d 00 00'],
  ['v3 query, code 0, 12 bytes', '11 00 ec 82 00 00 00 00 02 7d 00 00'],
  ['v3 query, S, QRV 7, codes 0x81/0x8f, 2 sources', '11 81 e1 e7 e8 01 01 01 0f 8f 00 02 0a 00 00 01 0a 00 00 02'],
  ['v3 report, six record types, aux data', `22 00 7b 38 00 00 00 06 01 00 00 01 e8 01 01 01 0a 00 00 01 02 00 00 00 ef 00 00 01
    03 00 00 00 ef 00 00 02 04 00 00 00 ef 00 00 03 05 00 00 02 e8 01 01 02 0a 00 00 02 0a 00 00 03
    06 01 00 01 e8 01 01 03 0a 00 00 04 de ad be ef`],
  ['v3 report, aux data skipped', '22 00 e8 d8 00 00 00 02 01 02 00 01 e8 01 01 01 0a 00 00 01 01 02 03 04 05 06 07 08 02 00 00 00 ef 00 00 09'],
  ['v3 report, unknown record types', '22 00 ee e0 00 00 00 02 00 00 00 00 ef 00 00 0a 07 00 00 01 ef 00 00 0b 0a 00 00 05'],
  ['MRD solicitation (4 bytes)', '31 00 ce ff'],
];

const ETH_LEN = 14;
const IP_HEADER_LEN = 24; // with the Router Alert option
const MIN_FRAME = 60;

/** Ethernet + IPv4 (Router Alert) around an IGMP message, padded with 0x01 to 60 bytes. */
function frame(igmp: Uint8Array): Uint8Array {
  const total = IP_HEADER_LEN + igmp.length;
  const out = new Uint8Array(Math.max(MIN_FRAME, ETH_LEN + total)).fill(0x01);
  const dv = new DataView(out.buffer);
  out.set([0x01, 0x00, 0x5e, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01], 0); // dst 224.0.0.1's MAC, src
  dv.setUint16(12, 0x0800);
  const ip = ETH_LEN;
  out.set([0x46, 0xc0], ip); // version 4, IHL 6; TOS 0xc0
  dv.setUint16(ip + 2, total);
  dv.setUint32(ip + 4, 0x00004000); // id 0, DF
  out.set([1, 2, 0, 0, 10, 0, 0, 1, 224, 0, 0, 1, 0x94, 0x04, 0x00, 0x00], ip + 8); // TTL 1, IGMP, cksum, src, dst, RA
  dv.setUint16(ip + 10, internetChecksum(out, ip, ip + IP_HEADER_LEN));
  out.set(igmp, ip + IP_HEADER_LEN);
  return out;
}

/** A classic pcap (microsecond, little-endian, LINKTYPE_ETHERNET) holding the frames. */
function pcap(frames: Uint8Array[]): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true); // snaplen
  dv.setUint32(20, 1, true); // Ethernet
  let at = 24;
  frames.forEach((f, i) => {
    dv.setUint32(at, 1_700_000_000 + i, true);
    dv.setUint32(at + 8, f.length, true);
    dv.setUint32(at + 12, f.length, true);
    out.set(f, at + 16);
    at += 16 + f.length;
  });
  return out;
}

/** Our decoding of a frame built above: the IGMP message is the IP payload (IHL and Total Length from the header). */
function ours(f: Uint8Array): IgmpRepr {
  const ihl = (f[ETH_LEN]! & 0x0f) * 4;
  const total = (f[ETH_LEN + 2]! << 8) | f[ETH_LEN + 3]!;
  return parseIgmp(new IgmpView().reset(f, ETH_LEN + ihl, total - ihl)).repr;
}

const FIELDS = [
  'igmp.version', 'igmp.type', 'igmp.max_resp', 'igmp.checksum.status', 'igmp.s', 'igmp.qrv', 'igmp.qqic', 'igmp.num_src',
  'igmp.saddr', 'igmp.num_grp_recs', 'igmp.record_type', 'igmp.aux_data_len', 'igmp.maddr',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

/** Our repr in tshark's terms (igmp.max_resp is tenths of a second for queries; QQIC raw; lists comma-joined). */
function expectedRow(r: IgmpRepr): Partial<Row> {
  const row: Partial<Row> = { 'igmp.type': `0x${r.typeCode.toString(16).padStart(2, '0')}` };
  if (r.type === 'unknown') return row; // handed to another dissector (here MRD): only the type is IGMP's
  row['igmp.checksum.status'] = r.checksumOk ? '1' : '0'; // Wireshark's PROTO_CHECKSUM_E_GOOD = 1, _BAD = 0
  row['igmp.version'] = String(r.version);
  if (r.type === 'query' && r.version >= 2) row['igmp.max_resp'] = String(Math.round(r.maxRespTime! * 10));
  if (r.version === 3 && r.type === 'query') {
    Object.assign(row, { 'igmp.s': r.s ? '1' : '0', 'igmp.qrv': String(r.qrv), 'igmp.qqic': String(r.qqic), 'igmp.num_src': String(r.sources!.length) });
    row['igmp.saddr'] = r.sources!.join(',');
    row['igmp.maddr'] = r.group;
  } else if (r.version === 3) {
    const recs = r.records!;
    Object.assign(row, {
      'igmp.num_grp_recs': String(recs.length),
      'igmp.record_type': recs.map((x) => x.typeCode).join(','),
      'igmp.aux_data_len': recs.map((x) => x.auxLen).join(','),
      'igmp.num_src': recs.map((x) => x.sources.length).join(','),
      'igmp.saddr': recs.flatMap((x) => x.sources).join(','),
      'igmp.maddr': recs.map((x) => x.group).join(','),
    });
  } else {
    row['igmp.maddr'] = r.group;
  }
  return row;
}

describe.skipIf(missing !== null)('IGMP decoding agrees with tshark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcastkit-igmp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every vector, field by field', () => {
    const frames = MESSAGES.map(([, text]) => frame(hex(text)));
    const file = join(dir, 'igmp.pcap');
    writeFileSync(file, pcap(frames));
    const out = execFileSync('tshark', ['-r', file, '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f]), '-E', 'separator=|', '-E', 'aggregator=,'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(MESSAGES.length);
    lines.forEach((line, i) => {
      const cells = line.split('|');
      const row = Object.fromEntries(FIELDS.map((f, j) => [f, cells[j] ?? ''])) as Row;
      const expected = expectedRow(ours(frames[i]!));
      const got = Object.fromEntries(Object.keys(expected).map((k) => [k, row[k as keyof Row]]));
      expect({ name: MESSAGES[i]![0], ...got }).toEqual({ name: MESSAGES[i]![0], ...expected });
    });
  });
});
