/**
 * craft(): whole frames against vectors worked out by hand from the RFC field layouts, the defaults of every kind
 * against the RFC rules (read back through the project's frame decoder), overrides emitted verbatim, the exponent
 * form of Max Resp Code and QQIC, and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { craft, igmpMessage, type CraftSpec } from '../../src/craft/craft.js';
import { decodeHexFrame } from '../../src/replay/hex.js';
import type { FrameJson } from '../../src/decode/record.js';
import { UsageError } from '../../src/errors.js';
import { EthernetView } from '../../src/wire/ethernet.js';
import { fromHex, hex } from '../support/roundtrip.js';

/** A byte vector laid out by field, '#' comments allowed. */
const vector = (text: string): Uint8Array => fromHex(text.replace(/#.*$/gm, ''));

const SRC = { ip: { src: '10.0.0.2' }, eth: { src: '02:00:00:00:00:02' } };

function one(spec: CraftSpec): Uint8Array {
  const r = craft(spec);
  expect(r.frames).toHaveLength(1);
  return r.frames[0]!.bytes;
}

function decoded(bytes: Uint8Array): FrameJson {
  const j = decodeHexFrame(bytes, 1, 1);
  expect(j.error).toBeUndefined();
  return j;
}

function refused(fn: () => unknown, code = 'ERR_CRAFT_SPEC'): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UsageError);
  expect((err as UsageError).code).toBe(code);
}

describe('whole frames, worked out by hand', () => {
  it('v2 report 239.1.1.1 (RFC 2236 section 2; RFC 2113 Router Alert; RFC 1112 6.4 MAC mapping)', () => {
    // Checksums: RFC 1071 one's-complement sums of the 16-bit words, checksum field as zero:
    //   IP   46c0+0020+0000+0000+0102+0a00+0002+ef01+0101+9404+0000 = 0x1d5ea -> 0xd5eb -> ~ 0x2a14
    //   IGMP 1600+0000+ef01+0101 = 0x10602 -> 0x0603 -> ~ 0xf9fc
    const expected = vector(`
      01005e010101 020000000002 0800  # eth: 01-00-5e + low 23 bits of 239.1.1.1
      46 c0 0020 0000 0000 01 02 2a14 0a000002 ef010101 94040000  # IPv4: IHL 6, TOS 0xc0, len 32, TTL 1, IGMP, RA
      16 00 f9fc ef010101  # IGMP: v2 report, code 0, group
      0000000000000000000000000000  # padding to 60 bytes`);
    expect(hex(one({ igmp: { kind: 'v2-report', group: '239.1.1.1' }, ...SRC }))).toBe(hex(expected));
  });

  it('v3 group-and-source-specific query (RFC 3376 section 4.1)', () => {
    //   IP   46c0+002c+0102+0a00+0001+e801+0101+9404 = 0x1cef5 -> 0xcef6 -> ~ 0x3109
    //   IGMP 110a+e801+0101+027d+0002+0a00+0001+0a00+0002 = 0x1108e -> 0x108f -> ~ 0xef70
    const expected = vector(`
      01005e010101 020000000001 0800
      46 c0 002c 0000 0000 01 02 3109 0a000001 e8010101 94040000  # to the group (RFC 3376 4.1.12)
      11 0a ef70 e8010101 | 02 7d 0002 | 0a000001 0a000002  # max resp 1 s = code 10; QRV 2; QQIC 125; 2 sources
      0000  # padding`);
    const spec: CraftSpec = {
      igmp: { kind: 'query', group: '232.1.1.1', sources: ['10.0.0.1', '10.0.0.2'] },
      ip: { src: '10.0.0.1' },
      eth: { src: '02:00:00:00:00:01' },
    };
    expect(hex(one(spec))).toBe(hex(expected));
  });

  it('v3 report with a join and a source-specific join (RFC 3376 section 4.2)', () => {
    //   IP   46c0+0034+0102+0a00+0002+e000+0016+9404 = 0x1c612 -> 0xc613 -> ~ 0x39ec
    //   IGMP 2200+0002+0400+ef01+0101+0300+0001+e801+0101+0a00+0001 = 0x20c08 -> 0x0c0a -> ~ 0xf3f5
    const expected = vector(`
      01005e000016 020000000002 0800  # 224.0.0.22's MAC
      46 c0 0034 0000 0000 01 02 39ec 0a000002 e0000016 94040000
      22 00 f3f5 0000 0002  # v3 report, 2 records
      04 00 0000 ef010101  # CHANGE_TO_EXCLUDE_MODE 239.1.1.1 {}
      03 00 0001 e8010101 0a000001  # CHANGE_TO_INCLUDE_MODE 232.1.1.1 {10.0.0.1}`);
    const spec: CraftSpec = {
      igmp: {
        kind: 'v3-report',
        records: [
          { type: 'CHANGE_TO_EXCLUDE_MODE', typeCode: 4, group: '239.1.1.1', sources: [] },
          { type: 'CHANGE_TO_INCLUDE_MODE', typeCode: 3, group: '232.1.1.1', sources: ['10.0.0.1'] },
        ],
      },
      ...SRC,
    };
    expect(hex(one(spec))).toBe(hex(expected));
  });
});

describe('defaults per kind, against the RFC rules', () => {
  // [spec, IGMP type, version, destination IP (rule), Max Resp Code]
  const cases: [string, CraftSpec['igmp'], number, number, string, number][] = [
    // RFC 1112 appendix I: v1 queries to All Systems, code 0.
    ['v1 query', { kind: 'query', version: 1 }, 0x11, 1, '224.0.0.1', 0],
    // RFC 2236 section 3 and 8.3: general queries to 224.0.0.1, Query Response Interval 10 s = code 100.
    ['v2 general query', { kind: 'query', version: 2 }, 0x11, 2, '224.0.0.1', 100],
    // RFC 2236 sections 3 and 8.8: group-specific queries to the group, Last Member Query Interval 1 s = code 10.
    ['v2 group query', { kind: 'query', version: 2, group: '239.1.2.3' }, 0x11, 2, '239.1.2.3', 10],
    // RFC 3376 sections 4.1.12 and 8.3.
    ['v3 general query', { kind: 'query' }, 0x11, 3, '224.0.0.1', 100],
    ['v3 group query', { kind: 'query', group: '239.1.2.3' }, 0x11, 3, '239.1.2.3', 10],
    ['v3 group-and-source query', { kind: 'query', group: '232.1.2.3', sources: ['10.1.1.1'] }, 0x11, 3, '232.1.2.3', 10],
    // RFC 1112 appendix I / RFC 2236 section 3: reports to the group reported.
    ['v1 report', { kind: 'v1-report', group: '239.1.2.3' }, 0x12, 1, '239.1.2.3', 0],
    ['v2 report', { kind: 'v2-report', group: '239.1.2.3' }, 0x16, 2, '239.1.2.3', 0],
    // RFC 2236 section 3: leaves to All Routers.
    ['v2 leave', { kind: 'leave', group: '239.1.2.3' }, 0x17, 2, '224.0.0.2', 0],
    // RFC 3376 section 4.2.14: v3 reports to 224.0.0.22.
    ['v3 report', { kind: 'v3-report', records: [] }, 0x22, 3, '224.0.0.22', 0],
  ];

  it.each(cases)('%s', (_name, igmp, typeCode, version, dst, code) => {
    const f = decoded(one({ igmp }));
    expect(f.ip).toMatchObject({ ttl: 1, tos: 0xc0, routerAlert: true, hlen: 24, proto: 2, dst, src: '0.0.0.0', checksumOk: true, df: false });
    expect(f.igmp).toMatchObject({ typeCode, version, maxRespCode: code, checksumOk: true });
    // 01-00-5e and the low 23 bits of the destination (RFC 1112 section 6.4).
    const [, b, c, d] = dst.split('.').map(Number) as [number, number, number, number];
    const mac = ['01', '00', '5e', (b & 0x7f).toString(16), c.toString(16), d.toString(16)].map((x) => x.padStart(2, '0')).join(':');
    expect(f.eth).toEqual({ src: '00:00:00:00:00:00', dst: mac, type: 0x0800 });
    expect(f.len).toBe(60);
  });

  it('v3 query fields: QRV 2, QQIC 125, S clear (RFC 3376 sections 8.1, 8.2, 4.1.5)', () => {
    const q = igmpMessage({ kind: 'query' });
    expect(q).toMatchObject({ s: false, qrv: 2, qqic: 125, sources: [] });
  });

  it('takes the interface addresses given as source defaults', () => {
    const f = decoded(one({ igmp: { kind: 'leave', group: '239.9.9.9' }, ip: { src: '192.0.2.7' }, eth: { src: '02:11:22:33:44:55' } }));
    expect(f.ip!.src).toBe('192.0.2.7');
    expect(f.eth!.src).toBe('02:11:22:33:44:55');
  });
});

describe('overrides are emitted verbatim', () => {
  it('a wrong IGMP checksum stays wrong', () => {
    const bytes = one({ igmp: { kind: 'v2-report', group: '239.1.1.1', checksum: 0x1234 } });
    expect(hex(bytes.subarray(14 + 24 + 2, 14 + 24 + 4))).toBe('1234');
    const f = decoded(bytes);
    expect(f.igmp!.checksum).toBe(0x1234);
    expect(f.igmp!.checksumOk).toBe(false);
    expect(f.ip!.checksumOk).toBe(true);
  });

  it('a checksum of 0 and of the right value are written as given too', () => {
    const right = decoded(one({ igmp: { kind: 'leave', group: '239.1.1.1' } })).igmp!.checksum!;
    expect(decoded(one({ igmp: { kind: 'leave', group: '239.1.1.1', checksum: right } })).igmp!.checksumOk).toBe(true);
    expect(decoded(one({ igmp: { kind: 'leave', group: '239.1.1.1', checksum: 0 } })).igmp!.checksum).toBe(0);
  });

  it('IP header: TTL, TOS, no Router Alert, checksum, identification, addresses', () => {
    const bytes = one({
      igmp: { kind: 'v2-report', group: '239.1.1.1' },
      ip: { ttl: 64, tos: 0, routerAlert: false, checksum: 0xbeef, identification: 0x4321, src: '10.1.1.1', dst: '10.2.2.2' },
    });
    const f = decoded(bytes);
    expect(f.ip).toMatchObject({ ttl: 64, tos: 0, routerAlert: false, hlen: 20, id: 0x4321, src: '10.1.1.1', dst: '10.2.2.2', checksumOk: false });
    expect(hex(bytes.subarray(14 + 10, 14 + 12))).toBe('beef');
    // A unicast destination gets the broadcast MAC from build.ts unless a MAC is given.
    expect(f.eth!.dst).toBe('ff:ff:ff:ff:ff:ff');
    expect(f.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/TTL 64/), expect.stringMatching(/Router Alert/)]));
  });

  it('MACs and a QinQ stack: outer 802.1ad S-tag, inner 802.1Q C-tag, priorities', () => {
    const bytes = one({
      igmp: { kind: 'query' },
      eth: { src: '02:00:00:00:00:09', dst: '01:00:5e:7f:ff:ff', vlans: [{ vid: 100, pcp: 5 }, { vid: 20 }] },
    });
    expect(hex(bytes.subarray(0, 22))).toBe(`01005e7fffff020000000009${'88a8'}${'a064'}${'8100'}${'0014'}${'0800'}`);
    const v = new EthernetView().reset(bytes, 0, bytes.length);
    expect([v.vlanCount, v.vlanId(0), v.vlanPcp(0), v.vlanId(1), v.etherType]).toEqual([2, 100, 5, 20, 0x0800]);
    // A single tag is a C-tag.
    expect(hex(one({ igmp: { kind: 'query' }, eth: { vlans: [{ vid: 7, pcp: 1 }] } }).subarray(12, 16))).toBe('81002007');
  });

  it('raw Max Resp Code and QQIC bytes win over the times', () => {
    const q = decoded(one({ igmp: { kind: 'query', maxResp: 5, maxRespCode: 0xff, qqi: 10, qqic: 0x80 } })).igmp!;
    expect([q.maxRespCode, q.qqic]).toEqual([0xff, 0x80]);
    // Byte 1 of a v2 report (unused, RFC 2236 section 2.2) can be set too.
    expect(decoded(one({ igmp: { kind: 'v2-report', group: '239.1.1.1', maxRespCode: 7 } })).igmp!.maxRespCode).toBe(7);
  });

  it('S flag, QRV, unknown record types', () => {
    const q = decoded(one({ igmp: { kind: 'query', s: true, qrv: 7 } })).igmp!;
    expect([q.s, q.qrv]).toEqual([true, 7]);
    const r = decoded(one({ igmp: { kind: 'v3-report', records: [{ type: 'unknown', typeCode: 9, group: '239.1.1.1', sources: [] }] } })).igmp!;
    expect(r.records![0]).toMatchObject({ type: 'unknown', typeCode: 9 });
  });
});

describe('Max Resp Code and QQIC in seconds (RFC 3376 sections 4.1.1 and 4.1.7)', () => {
  // Below 128 units the code is the value; from 128, 1|exp|mant with value (mant | 16) << (exp + 3), rounded up.
  const maxResp: [number, number][] = [
    [0, 0],
    [1, 10],
    [12.7, 127],
    [12.8, 0x80], // 128 tenths = 16 << 3: exp 0, mant 0
    [13, 0x81], // 130 tenths -> next code up, 0x81 = 17 << 3 = 136 tenths = 13.6 s
    [30, 0x93], // 300 tenths: exp 1 (steps of 16), ceil(300 / 16) = 19 = 16 + 3 -> 0x93 = 304 tenths
    [3174.4, 0xff], // (15 | 16) << 10 = 31744 tenths
  ];
  it.each(maxResp)('max resp %s s -> code %s', (seconds, code) => {
    expect(igmpMessage({ kind: 'query', maxResp: seconds }).maxRespCode).toBe(code);
  });

  const qqi: [number, number][] = [
    [125, 125],
    [127, 127],
    [128, 0x80],
    [200, 0x89], // ceil(200 / 8) = 25 = 16 + 9, exp 0
    [31744, 0xff],
  ];
  it.each(qqi)('qqi %s s -> QQIC %s', (seconds, code) => {
    expect(igmpMessage({ kind: 'query', qqi: seconds }).qqic).toBe(code);
  });

  it('v2 Max Resp Time is linear tenths up to 25.5 s (RFC 2236 section 2.2)', () => {
    expect(igmpMessage({ kind: 'query', version: 2, maxResp: 20 }).maxRespCode).toBe(200);
    expect(igmpMessage({ kind: 'query', version: 2, maxResp: 25.5 }).maxRespCode).toBe(255);
    refused(() => igmpMessage({ kind: 'query', version: 2, maxResp: 25.6 }));
  });

  it('beyond the exponent form is refused', () => {
    refused(() => igmpMessage({ kind: 'query', maxResp: 3174.5 }));
    refused(() => igmpMessage({ kind: 'query', qqi: 31745 }));
  });
});

describe('refusals (combinations the protocol cannot encode)', () => {
  it.each([
    ['a v1 query with a group', { kind: 'query', version: 1, group: '239.1.1.1' }],
    ['a v1 query with a Max Resp Time', { kind: 'query', version: 1, maxResp: 5 }],
    ['sources on a v2 query', { kind: 'query', version: 2, group: '239.1.1.1', sources: ['10.0.0.1'] }],
    ['sources on a general query', { kind: 'query', sources: ['10.0.0.1'] }],
    ['QRV on a v2 query', { kind: 'query', version: 2, qrv: 2 }],
    ['QRV 8', { kind: 'query', qrv: 8 }],
    ['a report without a group', { kind: 'v2-report' }],
    ['a group on a v3 report', { kind: 'v3-report', group: '239.1.1.1' }],
    ['records on a v2 report', { kind: 'v2-report', group: '239.1.1.1', records: [] }],
    ['a version on a report', { kind: 'v2-report', group: '239.1.1.1', version: 3 }],
    ['a bad group', { kind: 'leave', group: '239.1.1' }],
    ['a checksum over 16 bits', { kind: 'leave', group: '239.1.1.1', checksum: 0x10000 }],
  ] as [string, CraftSpec['igmp']][])('%s', (_name, igmp) => {
    refused(() => craft({ igmp }));
  });

  it('bad header fields', () => {
    refused(() => craft({ igmp: { kind: 'query' }, ip: { ttl: 256 } }));
    refused(() => craft({ igmp: { kind: 'query' }, ip: { src: 'host' } }));
    refused(() => craft({ igmp: { kind: 'query' }, eth: { src: '02:00:00:00:00' } }));
    refused(() => craft({ igmp: { kind: 'query' }, eth: { vlans: [{ vid: 4096 }] } }));
    refused(() => craft({ igmp: { kind: 'query' }, mtu: 67 }));
  });
});
