/**
 * IGMP codec: byte vectors worked out by hand from the RFCs' field layouts (RFC 1112 appendix I, RFC 2236 section 2,
 * RFC 3376 section 4; unknown types from RFC 1075/DVMRPv3, PIMv1, mtrace and RFC 4286). Checksums: RFC 1071, the
 * one's-complement of the folded one's-complement sum of the 16-bit words, with the checksum field taken as 0; each
 * vector's sum is written above it (the tshark test decodes several of them independently).
 */
import { describe, expect, test } from 'vitest';
import { MalformedError, TruncatedError, WireError } from '../../src/errors.js';
import {
  GroupRecordView,
  IgmpErrorCode,
  IgmpTypeCode,
  IgmpView,
  RecordTypeCode,
  decodeMaxRespCode,
  decodeQqic,
  emitIgmp,
  encodeIgmp,
  encodeMaxRespTime,
  encodeQqi,
  igmpLength,
  parseIgmp,
  recordTypeName,
  type IgmpParseResult,
  type IgmpRepr,
} from '../../src/wire/igmp.js';
import { assertRoundTrip, expectWireError, fromHex as hex, type RoundTripCodec } from '../support/roundtrip.js';

/** Parse `bytes` bound at offset 3 inside a larger buffer (so the view's offset arithmetic is exercised). */
function parse(bytes: Uint8Array): IgmpParseResult {
  const buf = new Uint8Array(bytes.length + 6).fill(0x5a);
  buf.set(bytes, 3);
  return parseIgmp(new IgmpView().reset(buf, 3, bytes.length));
}

/** The IGMP codec for the shared round-trip helper; decode insists on a clean parse. */
const codec: RoundTripCodec<IgmpRepr> = {
  length: igmpLength,
  emit: emitIgmp,
  decode(buf, offset, length) {
    const { repr, error } = parseIgmp(new IgmpView().reset(buf, offset, length));
    expect(error).toBeNull();
    return repr;
  },
};

/** Parse a well-formed vector, check it against the expected repr, and round-trip it byte for byte. */
function vector(bytes: Uint8Array, expected: IgmpRepr): void {
  const { repr, error } = parse(bytes);
  expect(error).toBeNull();
  expect(repr).toStrictEqual(expected);
  expect(encodeIgmp(repr)).toEqual(bytes);
  assertRoundTrip(expected, codec, bytes);
}

describe('Max Resp Code and QQIC', () => {
  test('v3 Max Resp Code: linear below 128, (mant | 0x10) << (exp + 3) tenths from 128 (RFC 3376 4.1.1)', () => {
    // 0x00..0x7f: the code is the value in tenths of a second.
    expect(decodeMaxRespCode(0, 3)).toBe(0);
    expect(decodeMaxRespCode(1, 3)).toBe(0.1);
    expect(decodeMaxRespCode(100, 3)).toBe(10);
    expect(decodeMaxRespCode(127, 3)).toBe(12.7);
    // 0x80 = 1 000 0000: exp 0, mant 0 -> 16 << 3 = 128 tenths.
    expect(decodeMaxRespCode(0x80, 3)).toBe(12.8);
    // 0x81 = 1 000 0001: exp 0, mant 1 -> 17 << 3 = 136 tenths.
    expect(decodeMaxRespCode(0x81, 3)).toBe(13.6);
    // 0x8f: exp 0, mant 15 -> 31 << 3 = 248.
    expect(decodeMaxRespCode(0x8f, 3)).toBe(24.8);
    // 0x90 = 1 001 0000: exp 1, mant 0 -> 16 << 4 = 256.
    expect(decodeMaxRespCode(0x90, 3)).toBe(25.6);
    // 0xc8 = 1 100 1000: exp 4, mant 8 -> 24 << 7 = 3072.
    expect(decodeMaxRespCode(0xc8, 3)).toBe(307.2);
    // 0xff: exp 7, mant 15 -> 31 << 10 = 31744.
    expect(decodeMaxRespCode(0xff, 3)).toBe(3174.4);
  });

  test('v2 Max Resp Time is linear tenths (RFC 2236 2.2): 200 is 20.0 s, not the exponent form', () => {
    expect(decodeMaxRespCode(200, 2)).toBe(20);
    expect(decodeMaxRespCode(200, 3)).toBe(307.2); // the same byte read as v3: 0xc8 above
    expect(decodeMaxRespCode(100, 2)).toBe(10);
    expect(decodeMaxRespCode(255, 2)).toBe(25.5);
    expect(decodeMaxRespCode(0x81, 2)).toBe(12.9);
  });

  test('v1 has no Max Resp Time: 0', () => {
    expect(decodeMaxRespCode(0, 1)).toBe(0);
  });

  test('QQIC is in seconds, same floating form (RFC 3376 4.1.7)', () => {
    expect(decodeQqic(0)).toBe(0);
    expect(decodeQqic(125)).toBe(125);
    expect(decodeQqic(127)).toBe(127);
    expect(decodeQqic(0x80)).toBe(128); // 16 << 3
    expect(decodeQqic(0x81)).toBe(136); // 17 << 3
    expect(decodeQqic(0x8f)).toBe(248); // 31 << 3
    expect(decodeQqic(0xff)).toBe(31744); // 31 << 10
  });

  test('differs from gopacket igmp.go, which swaps mantissa and exponent and reads QQIC in tenths', () => {
    // gopacket's igmpTimeDecode, restated: mant = (code & 0x70) >> 4, exp = code & 0x0f, value in tenths of a second,
    // and it is applied to QQIC too. The RFC puts the exponent in bits 4-6 and the mantissa in bits 0-3.
    const gopacketSeconds = (code: number): number =>
      code < 0x80 ? code / 10 : ((((code & 0x70) >> 4) | 0x10) << ((code & 0x0f) + 3)) / 10;
    // 0x81: RFC exp 0, mant 1 -> 136 tenths = 13.6 s; gopacket mant 0, exp 1 -> 16 << 4 = 256 tenths = 25.6 s.
    expect(decodeMaxRespCode(0x81, 3)).toBe(13.6);
    expect(gopacketSeconds(0x81)).toBe(25.6);
    // 0xff: RFC 3174.4 s; gopacket mant 7, exp 15 -> 23 << 18 tenths.
    expect(decodeMaxRespCode(0xff, 3)).toBe(3174.4);
    expect(gopacketSeconds(0xff)).toBe(602931.2);
    // QQIC 125 (the default Query Interval): 125 s, where reading it in tenths gives 12.5 s.
    expect(decodeQqic(125)).toBe(125);
    expect(gopacketSeconds(125)).toBe(12.5);
    // The two agree below 128 (Max Resp Code) and where mant == exp, and nowhere else.
    for (let code = 0; code < 256; code++) {
      const agree = code < 0x80 || ((code >> 4) & 7) === (code & 0x0f);
      expect(decodeMaxRespCode(code, 3) === gopacketSeconds(code)).toBe(agree);
    }
  });

  test('encodeMaxRespTime v3 rounds up to the smallest code whose value is >= the request', () => {
    expect(encodeMaxRespTime(0, 3)).toBe(0);
    expect(encodeMaxRespTime(10, 3)).toBe(100);
    expect(encodeMaxRespTime(12.7, 3)).toBe(127);
    expect(encodeMaxRespTime(12.75, 3)).toBe(0x80); // 127.5 tenths -> 128
    expect(encodeMaxRespTime(12.8, 3)).toBe(0x80);
    expect(encodeMaxRespTime(13, 3)).toBe(0x81); // 130 tenths: 0x80 = 128 < 130 <= 136 = 0x81
    expect(encodeMaxRespTime(13.6, 3)).toBe(0x81);
    expect(encodeMaxRespTime(20, 3)).toBe(0x89); // 200 = 25 << 3: exp 0, mant 9
    // 10000 tenths: exp 5 needs mant ceil(10000/256) - 16 = 24 > 15; exp 6: ceil(10000/512) - 16 = 4 -> 0xe4 = 1024 s
    expect(encodeMaxRespTime(1000, 3)).toBe(0xe4);
    expect(decodeMaxRespCode(0xe4, 3)).toBe(1024);
    expect(encodeMaxRespTime(3174.4, 3)).toBe(0xff);
    expect(encodeMaxRespTime(1.1, 3)).toBe(11); // 1.1 * 10 = 11.000000000000002: float noise is not rounded up
    expect(() => encodeMaxRespTime(3174.5, 3)).toThrow(RangeError);
    expect(() => encodeMaxRespTime(-0.1, 3)).toThrow(RangeError);
    expect(() => encodeMaxRespTime(Number.NaN, 3)).toThrow(RangeError);
    expect(() => encodeMaxRespTime(Infinity, 3)).toThrow(RangeError);
  });

  test('encodeMaxRespTime v2 is linear tenths, rounded up, at most 25.5 s; v1 only 0', () => {
    expect(encodeMaxRespTime(20, 2)).toBe(200);
    expect(encodeMaxRespTime(25.5, 2)).toBe(255);
    expect(encodeMaxRespTime(0.05, 2)).toBe(1);
    expect(encodeMaxRespTime(1.1, 2)).toBe(11);
    expect(() => encodeMaxRespTime(25.6, 2)).toThrow(RangeError);
    expect(encodeMaxRespTime(0, 1)).toBe(0);
    expect(() => encodeMaxRespTime(10, 1)).toThrow(RangeError);
  });

  test('encodeQqi rounds up in seconds, at most 31744 s', () => {
    expect(encodeQqi(125)).toBe(125);
    expect(encodeQqi(128)).toBe(0x80);
    expect(encodeQqi(130)).toBe(0x81);
    expect(encodeQqi(31744)).toBe(0xff);
    expect(() => encodeQqi(31745)).toThrow(RangeError);
    expect(() => encodeQqi(-1)).toThrow(RangeError);
  });

  test('every code survives decode then encode, and values grow with the code', () => {
    for (let code = 0; code < 256; code++) {
      expect(encodeMaxRespTime(decodeMaxRespCode(code, 3), 3)).toBe(code);
      expect(encodeMaxRespTime(decodeMaxRespCode(code, 2), 2)).toBe(code);
      expect(encodeQqi(decodeQqic(code))).toBe(code);
      if (code > 0) expect(decodeQqic(code)).toBeGreaterThan(decodeQqic(code - 1));
    }
  });

  test('codes outside a byte are refused', () => {
    expect(() => decodeMaxRespCode(256, 3)).toThrow(RangeError);
    expect(() => decodeMaxRespCode(-1, 2)).toThrow(RangeError);
    expect(() => decodeQqic(1.5)).toThrow(RangeError);
  });
});

describe('v1 and v2 messages', () => {
  test('v1 query (RFC 1112): 8 bytes, Max Resp Code 0', () => {
    // 11 | 00 | cksum | 0.0.0.0. Sum 0x1100 -> checksum ~0x1100 = 0xeeff.
    vector(hex('11 00 ee ff 00 00 00 00'), {
      version: 1, type: 'query', typeCode: 0x11, maxRespCode: 0, maxRespTime: 0, group: '0.0.0.0', checksum: 0xeeff, checksumOk: true,
    });
  });

  test('v2 general query, Max Resp Time 100 = 10.0 s (RFC 2236 2.2)', () => {
    // 11 | 64 | cksum | 0.0.0.0. Sum 0x1164 -> 0xee9b (the bytes Linux sends as an IGMPv2 querier).
    vector(hex('11 64 ee 9b 00 00 00 00'), {
      version: 2, type: 'query', typeCode: 0x11, maxRespCode: 100, maxRespTime: 10, group: '0.0.0.0', checksum: 0xee9b, checksumOk: true,
    });
  });

  test('v2 group-specific query with code 200: linear 20.0 s', () => {
    // 11 | c8 | cksum | ef 01 02 03. Sum 0x11c8 + 0xef01 + 0x0203 = 0x102cc -> 0x02cd -> 0xfd32.
    vector(hex('11 c8 fd 32 ef 01 02 03'), {
      version: 2, type: 'query', typeCode: 0x11, maxRespCode: 200, maxRespTime: 20, group: '239.1.2.3', checksum: 0xfd32, checksumOk: true,
    });
  });

  test('v1 report (RFC 1112 appendix I: version 1, type 2)', () => {
    // 12 | 00 | cksum | e0 01 01 01. Sum 0x1200 + 0xe001 + 0x0101 = 0xf302 -> 0x0cfd.
    vector(hex('12 00 0c fd e0 01 01 01'), {
      version: 1, type: 'report', typeCode: 0x12, maxRespCode: 0, group: '224.1.1.1', checksum: 0x0cfd, checksumOk: true,
    });
  });

  test('v2 report', () => {
    // 16 | 00 | cksum | ef 01 02 03. Sum 0x1600 + 0xef01 + 0x0203 = 0x10704 -> 0x0705 -> 0xf8fa.
    vector(hex('16 00 f8 fa ef 01 02 03'), {
      version: 2, type: 'report', typeCode: 0x16, maxRespCode: 0, group: '239.1.2.3', checksum: 0xf8fa, checksumOk: true,
    });
  });

  test('v2 leave', () => {
    // 17 | 00 | cksum | ef 01 02 03. Sum 0x1700 + 0xef01 + 0x0203 = 0x10804 -> 0x0805 -> 0xf7fa.
    vector(hex('17 00 f7 fa ef 01 02 03'), {
      version: 2, type: 'leave', typeCode: 0x17, maxRespCode: 0, group: '239.1.2.3', checksum: 0xf7fa, checksumOk: true,
    });
  });

  test('a v2 report longer than 8 bytes keeps the rest in extra (RFC 2236 2.5: ignored, but checksummed)', () => {
    // 16 00 cksum ef 01 02 03 + 01 02 03 04. Sum 0x1600 + 0xef01 + 0x0203 + 0x0102 + 0x0304 = 0x10b0a -> 0x0b0b -> 0xf4f4.
    vector(hex('16 00 f4 f4 ef 01 02 03 01 02 03 04'), {
      version: 2, type: 'report', typeCode: 0x16, maxRespCode: 0, group: '239.1.2.3', checksum: 0xf4f4, checksumOk: true,
      extra: hex('01 02 03 04'),
    });
  });
});

describe('query version by length (RFC 3376 section 7.1)', () => {
  const view = new IgmpView();

  test('8 bytes, code 0: v1; 8 bytes, code 100: v2; 12 bytes: v3', () => {
    expect(view.reset(hex('11 00 ee ff 00 00 00 00'), 0, 8).queryVersion).toBe(1);
    expect(view.reset(hex('11 64 ee 9b 00 00 00 00'), 0, 8).queryVersion).toBe(2);
    expect(view.reset(hex('11 64 ec 1e 00 00 00 00 02 7d 00 00'), 0, 12).queryVersion).toBe(3);
  });

  test('the code never decides alone: a 12-byte query with code 0 is v3, an 8-byte one with code 0x81 is v2 (linear)', () => {
    // 11 00 cksum 0.0.0.0 | 02 7d 00 00. Sum 0x1100 + 0x027d = 0x137d -> 0xec82.
    const v3 = parse(hex('11 00 ec 82 00 00 00 00 02 7d 00 00'));
    expect(v3.repr.version).toBe(3);
    expect(v3.repr.maxRespTime).toBe(0);
    // 11 81 cksum 0.0.0.0. Sum 0x1181 -> 0xee7e. As v2 the code is 129 tenths (v3 would say 13.6 s).
    const v2 = parse(hex('11 81 ee 7e 00 00 00 00'));
    expect(v2.error).toBeNull();
    expect(v2.repr.version).toBe(2);
    expect(v2.repr.maxRespTime).toBe(12.9);
  });

  test.each([
    // 11 64 cksum 0.0.0.0 + 1, 2 or 3 bytes of a v3 tail. Sums 0x1364, 0x13e1, 0x13e1 -> 0xec9b, 0xec1e, 0xec1e.
    ['11 64 ec 9b 00 00 00 00 02', 9],
    ['11 64 ec 1e 00 00 00 00 02 7d', 10],
    ['11 64 ec 1e 00 00 00 00 02 7d 00', 11],
  ])('%s (%i bytes): ERR_IGMP_QUERY_LENGTH, version 0, bytes kept', (text, len) => {
    const bytes = hex(text);
    expect(view.reset(bytes, 0, len).queryVersion).toBe(0);
    expect(view.version).toBe(0);
    const { repr, error } = parse(bytes);
    expect(error).toBeInstanceOf(MalformedError);
    expect(error?.code).toBe('ERR_IGMP_QUERY_LENGTH');
    expect(error?.layer).toBe('igmp');
    expect(error?.offset).toBe(8);
    expect(repr).toStrictEqual({
      version: 0, type: 'query', typeCode: 0x11, maxRespCode: 100, group: '0.0.0.0', checksum: bytes[2]! * 256 + bytes[3]!, checksumOk: true,
      extra: bytes.slice(8),
    });
    expect(encodeIgmp(repr)).toEqual(bytes);
  });
});

describe('v3 queries (RFC 3376 section 4.1)', () => {
  test('general query as Linux sends it: code 100, QRV 2, QQIC 125', () => {
    // 11 64 cksum | 0.0.0.0 | Resv 0 S 0 QRV 2 = 0x02 | QQIC 0x7d | N 0. Sum 0x1164 + 0x027d = 0x13e1 -> 0xec1e.
    vector(hex('11 64 ec 1e 00 00 00 00 02 7d 00 00'), {
      version: 3, type: 'query', typeCode: 0x11, maxRespCode: 100, maxRespTime: 10, group: '0.0.0.0', checksum: 0xec1e, checksumOk: true,
      s: false, qrv: 2, qqic: 125, qqi: 125, sources: [],
    });
  });

  test('group-and-source-specific query: S set, QRV 7, codes in the exponent form, two sources', () => {
    // 11 | 81 (exp 0 mant 1: 136 tenths) | cksum | e8 01 01 01 | 0000 1 111 = 0x0f | 8f (31 << 3 = 248 s) | 00 02 |
    // 0a 00 00 01 | 0a 00 00 02. Sum 0x1181 + 0xe801 + 0x0101 + 0x0f8f + 0x0002 + 0x0a00 + 0x0001 + 0x0a00 + 0x0002
    // = 0x11e17 -> 0x1e18 -> 0xe1e7.
    vector(hex('11 81 e1 e7 e8 01 01 01 0f 8f 00 02 0a 00 00 01 0a 00 00 02'), {
      version: 3, type: 'query', typeCode: 0x11, maxRespCode: 0x81, maxRespTime: 13.6, group: '232.1.1.1', checksum: 0xe1e7, checksumOk: true,
      s: true, qrv: 7, qqic: 0x8f, qqi: 248, sources: ['10.0.0.1', '10.0.0.2'],
    });
    const view = new IgmpView().reset(hex('11 81 e1 e7 e8 01 01 01 0f 8f 00 02 0a 00 00 01 0a 00 00 02'), 0, 20);
    expect([view.s, view.qrv, view.qqic, view.numberOfSources, view.sourceCount, view.resv]).toEqual([true, 7, 0x8f, 2, 2, 0]);
    expect([view.source(0), view.source(1), view.group]).toEqual([0x0a000001, 0x0a000002, 0xe8010101]);
  });

  test('Resv bits and additional data after the sources are kept', () => {
    // 11 64 cksum 0.0.0.0 | Resv 0xa S 0 QRV 2 = 0xa2 | 7d | 00 00 | additional data be ef.
    // Sum 0x1164 + 0xa27d + 0xbeef = 0x172d0 -> 0x72d1 -> 0x8d2e.
    vector(hex('11 64 8d 2e 00 00 00 00 a2 7d 00 00 be ef'), {
      version: 3, type: 'query', typeCode: 0x11, maxRespCode: 100, maxRespTime: 10, group: '0.0.0.0', checksum: 0x8d2e, checksumOk: true,
      resv: 0xa, s: false, qrv: 2, qqic: 125, qqi: 125, sources: [], extra: hex('be ef'),
    });
  });
});

describe('v3 reports (RFC 3376 section 4.2)', () => {
  // 22 00 cksum | 00 00 | 00 06, then one record of each type (Record Type | Aux Data Len | N | group | sources | aux):
  //   01 00 00 01 e8 01 01 01 0a 00 00 01            MODE_IS_INCLUDE 232.1.1.1 {10.0.0.1}
  //   02 00 00 00 ef 00 00 01                        MODE_IS_EXCLUDE 239.0.0.1 {}
  //   03 00 00 00 ef 00 00 02                        CHANGE_TO_INCLUDE_MODE 239.0.0.2 {}
  //   04 00 00 00 ef 00 00 03                        CHANGE_TO_EXCLUDE_MODE 239.0.0.3 {}
  //   05 00 00 02 e8 01 01 02 0a 00 00 02 0a 00 00 03 ALLOW_NEW_SOURCES 232.1.1.2 {10.0.0.2, 10.0.0.3}
  //   06 01 00 01 e8 01 01 03 0a 00 00 04 de ad be ef BLOCK_OLD_SOURCES 232.1.1.3 {10.0.0.4}, 1 word of aux data
  // Sum of the 38 words = 0x784c0 -> 0x84c7 -> checksum 0x7b38.
  const SIX = hex(`22 00 7b 38 00 00 00 06
    01 00 00 01 e8 01 01 01 0a 00 00 01
    02 00 00 00 ef 00 00 01
    03 00 00 00 ef 00 00 02
    04 00 00 00 ef 00 00 03
    05 00 00 02 e8 01 01 02 0a 00 00 02 0a 00 00 03
    06 01 00 01 e8 01 01 03 0a 00 00 04 de ad be ef`);
  const SIX_REPR: IgmpRepr = {
    version: 3, type: 'report', typeCode: 0x22, maxRespCode: 0, group: '0.0.0.0', checksum: 0x7b38, checksumOk: true,
    records: [
      { type: 'MODE_IS_INCLUDE', typeCode: 1, group: '232.1.1.1', sources: ['10.0.0.1'], auxLen: 0 },
      { type: 'MODE_IS_EXCLUDE', typeCode: 2, group: '239.0.0.1', sources: [], auxLen: 0 },
      { type: 'CHANGE_TO_INCLUDE_MODE', typeCode: 3, group: '239.0.0.2', sources: [], auxLen: 0 },
      { type: 'CHANGE_TO_EXCLUDE_MODE', typeCode: 4, group: '239.0.0.3', sources: [], auxLen: 0 },
      { type: 'ALLOW_NEW_SOURCES', typeCode: 5, group: '232.1.1.2', sources: ['10.0.0.2', '10.0.0.3'], auxLen: 0 },
      { type: 'BLOCK_OLD_SOURCES', typeCode: 6, group: '232.1.1.3', sources: ['10.0.0.4'], auxLen: 1, auxData: hex('de ad be ef') },
    ],
  };

  test('all six record types, their sources and aux data', () => {
    vector(SIX, SIX_REPR);
  });

  test('one join as Linux sends it: CHANGE_TO_EXCLUDE_MODE {} for 239.1.2.3', () => {
    // 22 00 cksum 00 00 00 01 | 04 00 00 00 ef 01 02 03. Sum 0x2200 + 0x0001 + 0x0400 + 0xef01 + 0x0203 = 0x11705
    // -> 0x1706 -> 0xe8f9.
    vector(hex('22 00 e8 f9 00 00 00 01 04 00 00 00 ef 01 02 03'), {
      version: 3, type: 'report', typeCode: 0x22, maxRespCode: 0, group: '0.0.0.0', checksum: 0xe8f9, checksumOk: true,
      records: [{ type: 'CHANGE_TO_EXCLUDE_MODE', typeCode: 4, group: '239.1.2.3', sources: [], auxLen: 0 }],
    });
  });

  test('aux data is skipped by Aux Data Len in 32-bit words', () => {
    // Record 1: 01 | Aux Data Len 2 (8 bytes) | N 1 | e8 01 01 01 | 0a 00 00 01 | 01 02 03 04 05 06 07 08;
    // record 2 starts 8 + 4 + 8 = 20 bytes later: 02 00 00 00 ef 00 00 09. Sum 0x21725 -> 0x1727 -> 0xe8d8.
    const bytes = hex('22 00 e8 d8 00 00 00 02 01 02 00 01 e8 01 01 01 0a 00 00 01 01 02 03 04 05 06 07 08 02 00 00 00 ef 00 00 09');
    vector(bytes, {
      version: 3, type: 'report', typeCode: 0x22, maxRespCode: 0, group: '0.0.0.0', checksum: 0xe8d8, checksumOk: true,
      records: [
        { type: 'MODE_IS_INCLUDE', typeCode: 1, group: '232.1.1.1', sources: ['10.0.0.1'], auxLen: 2, auxData: hex('01 02 03 04 05 06 07 08') },
        { type: 'MODE_IS_EXCLUDE', typeCode: 2, group: '239.0.0.9', sources: [], auxLen: 0 },
      ],
    });
    // The zero-allocation walk lands on the same offsets.
    const view = new IgmpView().reset(bytes, 0, bytes.length);
    const rv = view.records;
    expect(view.firstRecord(rv)).toBe(true);
    expect([rv.offset, rv.auxDataLen, rv.auxDataOffset, rv.nextOffset]).toEqual([8, 2, 20, 28]);
    expect(view.nextRecord(rv)).toBe(true);
    expect([rv.offset, rv.recordType, rv.group]).toEqual([28, 2, 0xef000009]);
    expect(view.nextRecord(rv)).toBe(false);
    expect(rv.errorCode).toBeNull();
  });

  test('unknown record types keep their code', () => {
    // Record type 0 for 239.0.0.10, record type 7 for 239.0.0.11 {10.0.0.5}. Sum 0x2111d -> 0x111f -> 0xeee0.
    vector(hex('22 00 ee e0 00 00 00 02 00 00 00 00 ef 00 00 0a 07 00 00 01 ef 00 00 0b 0a 00 00 05'), {
      version: 3, type: 'report', typeCode: 0x22, maxRespCode: 0, group: '0.0.0.0', checksum: 0xeee0, checksumOk: true,
      records: [
        { type: 'unknown', typeCode: 0, group: '239.0.0.10', sources: [], auxLen: 0 },
        { type: 'unknown', typeCode: 7, group: '239.0.0.11', sources: ['10.0.0.5'], auxLen: 0 },
      ],
    });
    expect(recordTypeName(6)).toBe('BLOCK_OLD_SOURCES');
    expect(recordTypeName(0xff)).toBe('unknown');
  });

  test('additional data after the records is kept (RFC 3376 4.2.11) and checksummed', () => {
    // One record, then ca fe. Sum 0x1e203 -> 0xe204 -> 0x1dfb.
    vector(hex('22 00 1d fb 00 00 00 01 04 00 00 00 ef 01 02 03 ca fe'), {
      version: 3, type: 'report', typeCode: 0x22, maxRespCode: 0, group: '0.0.0.0', checksum: 0x1dfb, checksumOk: true,
      records: [{ type: 'CHANGE_TO_EXCLUDE_MODE', typeCode: 4, group: '239.1.2.3', sources: [], auxLen: 0 }],
      extra: hex('ca fe'),
    });
  });

  test('the view walks every record through one reused GroupRecordView, counted per record group', () => {
    const view = new IgmpView().reset(SIX, 0, SIX.length);
    expect(view.numberOfGroupRecords).toBe(6);
    expect(view.version).toBe(3);
    const rv = view.records;
    const seen: [number, number, number, number[]][] = [];
    for (let ok = view.firstRecord(rv); ok; ok = view.nextRecord(rv)) {
      const sources: number[] = [];
      for (let i = 0; i < rv.numberOfSources; i++) sources.push(rv.source(i));
      seen.push([rv.index, rv.recordType, rv.group, sources]);
    }
    expect(seen).toEqual([
      [1, 1, 0xe8010101, [0x0a000001]],
      [2, 2, 0xef000001, []],
      [3, 3, 0xef000002, []],
      [4, 4, 0xef000003, []],
      [5, 5, 0xe8010102, [0x0a000002, 0x0a000003]],
      [6, 6, 0xe8010103, [0x0a000004]],
    ]);
    expect(rv.errorCode).toBeNull();
    expect(rv.error()).toBeNull();
    expect(view.records).toBe(rv);
    // A separate GroupRecordView can be bound directly, with the same (buf, offset, length) as the IgmpView.
    const buf = new Uint8Array(SIX.length + 5);
    buf.set(SIX, 5);
    const own = new GroupRecordView().reset(buf, 5, SIX.length);
    let n = 0;
    while (own.next()) n++;
    expect(n).toBe(6);
    expect(own.offset).toBe(5 + SIX.length);
  });
});

describe('unknown types are data, not errors', () => {
  test.each([
    // DVMRP probe: 13 | code 01 | cksum | reserved 00 00 | minor ff | major 03 | generation id 00 00 00 01.
    // Sum 0x1301 + 0xff03 + 0x0001 = 0x11205 -> 0x1206 -> 0xedf9.
    ['DVMRP', '13 01 ed f9 00 00 ff 03 00 00 00 01', '0.0.255.3'],
    // PIMv1 query: 14 | code 0 | cksum | version 1 in the high nibble, then reserved. Sum 0x1400 + 0x1000 -> 0xdbff.
    ['PIMv1', '14 00 db ff 10 00 00 00', '16.0.0.0'],
    // mtrace query: 1f | hops 0x20 | cksum | group e8 01 01 01 | source 10.0.0.1 | destination 10.0.0.99 |
    // response 10.0.0.99 | TTL 0x40, query id 1. Sum 0x166ea -> 0x66eb -> 0x9914.
    ['mtrace query', '1f 20 99 14 e8 01 01 01 0a 00 00 01 0a 00 00 63 0a 00 00 63 40 00 00 01', '232.1.1.1'],
    // mtrace response: the same with type 1e. Sum 0x165ea -> 0x65eb -> 0x9a14.
    ['mtrace response', '1e 20 9a 14 e8 01 01 01 0a 00 00 01 0a 00 00 63 0a 00 00 63 40 00 00 01', '232.1.1.1'],
    // MRD advertisement (RFC 4286 4): 30 | interval 20 | cksum | query interval 125 | robustness 2.
    // Sum 0x3014 + 0x007d + 0x0002 = 0x3093 -> 0xcf6c.
    ['MRD advertisement', '30 14 cf 6c 00 7d 00 02', '0.125.0.2'],
    // MRD solicitation and termination (RFC 4286 5, 6): 4 bytes, type | reserved | cksum. ~0x3100, ~0x3200.
    ['MRD solicitation', '31 00 ce ff', '0.0.0.0'],
    ['MRD termination', '32 00 cd ff', '0.0.0.0'],
  ])('%s', (_name, text, group) => {
    const bytes = hex(text);
    const { repr, error } = parse(bytes);
    expect(error).toBeNull();
    const expected: IgmpRepr = {
      version: 0, type: 'unknown', typeCode: bytes[0]!, maxRespCode: bytes[1]!, group, checksum: bytes[2]! * 256 + bytes[3]!, checksumOk: true,
    };
    if (bytes.length > 4) expected.extra = bytes.slice(4);
    expect(repr).toStrictEqual(expected);
    assertRoundTrip(expected, codec, bytes);
    const view = new IgmpView().reset(bytes, 0, bytes.length);
    expect([view.type, view.version, view.queryVersion]).toEqual(['unknown', 0, 0]);
    expect(view.checksumValid()).toBe(true);
  });

  test('known types still need 8 bytes, unknown ones 4', () => {
    const view = new IgmpView();
    expect(() => view.reset(hex('16 00 00 00 ef 01 02'), 0, 7)).toThrow(TruncatedError);
    expect(() => view.reset(hex('31 00 ce'), 0, 3)).toThrow(TruncatedError);
    expect(view.reset(hex('31 00 ce ff 00'), 0, 4).group).toBe(0);
  });
});

describe('checksum', () => {
  test('covers the message length given (the IP payload), not Ethernet padding after it', () => {
    // The v2 report above in a 46-byte Ethernet payload. Padding is normally zeros, which would not change the sum,
    // so it is 0x01 0x02 here: only a checksum over exactly the 8 bytes comes out right.
    const frame = new Uint8Array(46).fill(0x01);
    for (let i = 9; i < 46; i += 2) frame[i] = 0x02;
    frame.set(hex('16 00 f8 fa ef 01 02 03'), 0);
    const view = new IgmpView().reset(frame, 0, 8);
    expect(view.checksumValid()).toBe(true);
    expect(parseIgmp(view).repr.checksumOk).toBe(true);
    expect(view.reset(frame, 0, 46).checksumValid()).toBe(false);
  });

  test('a wrong checksum is reported, not an error', () => {
    const { repr, error } = parse(hex('16 00 f8 fb ef 01 02 03'));
    expect(error).toBeNull();
    expect(repr.checksum).toBe(0xf8fb);
    expect(repr.checksumOk).toBe(false);
    expect(new IgmpView().reset(hex('16 00 f8 fb ef 01 02 03'), 0, 8).checksum).toBe(0xf8fb);
  });

  test('emit computes it when absent and writes a given one verbatim', () => {
    const base: IgmpRepr = { version: 2, type: 'report', typeCode: IgmpTypeCode.V2MembershipReport, maxRespCode: 0, group: '239.1.2.3' };
    expect(encodeIgmp(base)).toEqual(hex('16 00 f8 fa ef 01 02 03'));
    expect(encodeIgmp({ ...base, checksum: 0x1234 })).toEqual(hex('16 00 12 34 ef 01 02 03'));
    expect(parse(encodeIgmp({ ...base, checksum: 0x1234 })).repr.checksumOk).toBe(false);
  });
});

describe('malformed messages: typed errors and the partial repr', () => {
  function expectError(result: IgmpParseResult, code: string, offset: number): WireError {
    expect(result.error).toBeInstanceOf(TruncatedError);
    const err = result.error!;
    expect(err.code).toBe(code);
    expect(err.layer).toBe('igmp');
    expect(err.offset).toBe(offset);
    expect(err.message).toMatch(new RegExp(`^igmp: .* at byte ${offset}$`)); // one line; rebase() rewrites "at byte N"
    return err;
  }

  test('fewer than 8 bytes: the view refuses with ERR_IGMP_TRUNCATED', () => {
    const view = new IgmpView();
    for (const len of [0, 1, 4, 7]) {
      expectWireError(() => view.reset(hex('11 64 ee 9b 00 00 00 00'), 0, len), IgmpErrorCode.Truncated, 0, TruncatedError);
    }
    // A length past the end of the buffer.
    expectWireError(() => view.reset(hex('11 64 ee 9b 00 00 00 00'), 2, 8), IgmpErrorCode.Truncated, 6, TruncatedError);
  });

  test('v3 query: Number of Sources larger than the message', () => {
    // 11 64 cksum 0.0.0.0 02 7d | N = 3 | 10.0.0.1 | 10.0.0.2 | 0a 00 (2 bytes of the third). Source 3 would start at
    // 12 + 2 * 4 = 20. Sum 0x31e7 -> 0xce18.
    const bytes = hex('11 64 ce 18 00 00 00 00 02 7d 00 03 0a 00 00 01 0a 00 00 02 0a 00');
    const result = parse(bytes);
    expectError(result, 'ERR_IGMP_TRUNCATED_SOURCES', 20);
    expect(result.repr).toStrictEqual({
      version: 3, type: 'query', typeCode: 0x11, maxRespCode: 100, maxRespTime: 10, group: '0.0.0.0', checksum: 0xce18, checksumOk: true,
      s: false, qrv: 2, qqic: 125, qqi: 125, numberOfSources: 3, sources: ['10.0.0.1', '10.0.0.2'], extra: hex('0a 00'),
    });
    expect(encodeIgmp(result.repr)).toEqual(bytes);
    expect(new IgmpView().reset(bytes, 0, bytes.length).sourceCount).toBe(2);
  });

  test('v3 report: Number of Group Records larger than the message', () => {
    // 22 00 cksum 00 00 | M = 3 | record 1 (8 bytes at 8) | record 2 (12 bytes at 16) | record 3 would start at 28.
    // Sum 0x2150e -> 0x1510 -> 0xeaef.
    const bytes = hex('22 00 ea ef 00 00 00 03 04 00 00 00 ef 01 02 03 03 00 00 01 ef 01 02 04 0a 00 00 01');
    const result = parse(bytes);
    const err = expectError(result, 'ERR_IGMP_TRUNCATED_RECORD', 28);
    expect(err.message).toBe('igmp: truncated group record 3 at byte 28');
    expect(result.repr).toStrictEqual({
      version: 3, type: 'report', typeCode: 0x22, maxRespCode: 0, group: '0.0.0.0', checksum: 0xeaef, checksumOk: true,
      numberOfGroupRecords: 3,
      records: [
        { type: 'CHANGE_TO_EXCLUDE_MODE', typeCode: 4, group: '239.1.2.3', sources: [], auxLen: 0 },
        { type: 'CHANGE_TO_INCLUDE_MODE', typeCode: 3, group: '239.1.2.4', sources: ['10.0.0.1'], auxLen: 0 },
      ],
    });
    expect(encodeIgmp(result.repr)).toEqual(bytes);
    // The zero-allocation walk yields the two complete records, then stops with the same code and offset.
    const view = new IgmpView().reset(bytes, 0, bytes.length);
    let n = 0;
    for (let ok = view.firstRecord(); ok; ok = view.nextRecord()) n++;
    expect(n).toBe(2);
    expect([view.records.errorCode, view.records.errorOffset, view.records.index]).toEqual(['ERR_IGMP_TRUNCATED_RECORD', 28, 3]);
    // A hostile count (65535) with no records at all.
    // 22 00 cksum 00 00 ff ff. Sum 0x2200 + 0xffff = 0x121ff -> 0x2200 -> 0xddff.
    const hostile = parse(hex('22 00 dd ff 00 00 ff ff'));
    expectError(hostile, 'ERR_IGMP_TRUNCATED_RECORD', 8);
    expect(hostile.repr.records).toEqual([]);
    expect(hostile.repr.numberOfGroupRecords).toBe(0xffff);
  });

  test('v3 report: a record header cut short', () => {
    // Record 2 at byte 16 has 3 of its 8 header bytes. Sum 0x11806 -> 0x1807 -> 0xe7f8.
    const bytes = hex('22 00 e7 f8 00 00 00 02 04 00 00 00 ef 01 02 03 01 00 00');
    const result = parse(bytes);
    expectError(result, 'ERR_IGMP_TRUNCATED_RECORD', 16);
    expect(result.repr.records).toHaveLength(1);
    expect(result.repr.extra).toEqual(hex('01 00 00'));
    expect(encodeIgmp(result.repr)).toEqual(bytes);
  });

  test('v3 report: a record whose Number of Sources lies', () => {
    // Record 2 at byte 16: 01 00 | N = 5 | ef 01 02 05 | 10.0.0.1, and nothing more. Its source 2 would start at
    // 16 + 8 + 4 = 28. Sum 0x21312 -> 0x1314 -> 0xeceb.
    const bytes = hex('22 00 ec eb 00 00 00 02 04 00 00 00 ef 01 02 03 01 00 00 05 ef 01 02 05 0a 00 00 01');
    const result = parse(bytes);
    const err = expectError(result, 'ERR_IGMP_TRUNCATED_SOURCES', 28);
    expect(err.message).toBe('igmp: truncated source address 2 of 5 in group record 2 at byte 28');
    expect(result.repr.records).toStrictEqual([{ type: 'CHANGE_TO_EXCLUDE_MODE', typeCode: 4, group: '239.1.2.3', sources: [], auxLen: 0 }]);
    expect(result.repr.numberOfGroupRecords).toBe(2);
    expect(result.repr.extra).toEqual(bytes.slice(16));
    expect(encodeIgmp(result.repr)).toEqual(bytes);
  });

  test('v3 report: Aux Data Len past the end', () => {
    // Record 1 at byte 8: 01 | Aux Data Len 3 (12 bytes) | N 1 | e8 01 01 01 | 10.0.0.1 | de ad be ef (4 of 12).
    // Aux data starts at 8 + 8 + 4 = 20. Sum 0x2b3a4 -> 0xb3a6 -> 0x4c59.
    const bytes = hex('22 00 4c 59 00 00 00 01 01 03 00 01 e8 01 01 01 0a 00 00 01 de ad be ef');
    const result = parse(bytes);
    expectError(result, 'ERR_IGMP_TRUNCATED_AUX', 20);
    expect(result.repr.records).toEqual([]);
    expect(result.repr.numberOfGroupRecords).toBe(1);
    expect(encodeIgmp(result.repr)).toEqual(bytes);
  });

  test('error offsets count from the IGMP message, wherever it sits in the buffer', () => {
    const bytes = hex('22 00 4c 59 00 00 00 01 01 03 00 01 e8 01 01 01 0a 00 00 01 de ad be ef');
    const buf = new Uint8Array(100);
    buf.set(bytes, 42);
    const result = parseIgmp(new IgmpView().reset(buf, 42, bytes.length));
    expect(result.error?.offset).toBe(20);
    expect(result.repr.checksumOk).toBe(true);
  });
});

describe('emit', () => {
  test('absent counts and Aux Data Len are computed; given ones are written verbatim', () => {
    const repr: IgmpRepr = {
      version: 3, type: 'report', typeCode: IgmpTypeCode.V3MembershipReport, maxRespCode: 0, group: '0.0.0.0',
      records: [{ type: 'BLOCK_OLD_SOURCES', typeCode: RecordTypeCode.BLOCK_OLD_SOURCES, group: '232.1.1.3', sources: ['10.0.0.4'], auxData: hex('de ad be ef') }],
    };
    // Computed: M = 1, Aux Data Len 1, N 1.
    const computed = encodeIgmp(repr);
    expect(Array.from(computed.subarray(4, 12))).toEqual([0, 0, 0, 1, 6, 1, 0, 1]);
    // Lying on purpose: M = 9, Aux Data Len 7, N 3; the bytes written stay what the repr holds.
    const lying = encodeIgmp({ ...repr, numberOfGroupRecords: 9, records: [{ ...repr.records![0]!, auxLen: 7, numberOfSources: 3 }] });
    expect(lying.length).toBe(computed.length);
    expect(Array.from(lying.subarray(4, 12))).toEqual([0, 0, 0, 9, 6, 7, 0, 3]);
    // A v3 query's Number of Sources likewise.
    const query: IgmpRepr = { version: 3, type: 'query', typeCode: 0x11, maxRespCode: 100, group: '0.0.0.0', qrv: 2, qqic: 125, sources: ['10.0.0.1'] };
    expect(Array.from(encodeIgmp(query).subarray(8, 12))).toEqual([0x02, 0x7d, 0, 1]);
    expect(Array.from(encodeIgmp({ ...query, numberOfSources: 300 }).subarray(8, 12))).toEqual([0x02, 0x7d, 1, 44]);
  });

  test('a v3 query builder may give qqi instead of qqic, and defaults S, QRV and sources', () => {
    const bytes = encodeIgmp({ version: 3, type: 'query', typeCode: 0x11, maxRespCode: encodeMaxRespTime(10, 3), group: '0.0.0.0', qrv: 2, qqi: 125 });
    expect(bytes).toEqual(hex('11 64 ec 1e 00 00 00 00 02 7d 00 00'));
    const minimal = encodeIgmp({ version: 3, type: 'query', typeCode: 0x11, maxRespCode: 0, group: '0.0.0.0' });
    expect(Array.from(minimal.subarray(8))).toEqual([0, 0, 0, 0]);
  });

  test('igmpLength and emit at an offset into a larger buffer', () => {
    const repr = parse(hex('11 81 e1 e7 e8 01 01 01 0f 8f 00 02 0a 00 00 01 0a 00 00 02')).repr;
    expect(igmpLength(repr)).toBe(20);
    const buf = new Uint8Array(40).fill(0xa5);
    expect(emitIgmp(repr, buf, 7)).toBe(20);
    expect(buf.subarray(7, 27)).toEqual(hex('11 81 e1 e7 e8 01 01 01 0f 8f 00 02 0a 00 00 01 0a 00 00 02'));
    expect(buf.subarray(0, 7).every((b) => b === 0xa5) && buf.subarray(27).every((b) => b === 0xa5)).toBe(true);
  });

  test('out-of-range fields and short buffers are RangeErrors', () => {
    const base: IgmpRepr = { version: 2, type: 'report', typeCode: 0x16, maxRespCode: 0, group: '239.1.2.3' };
    expect(() => encodeIgmp({ ...base, maxRespCode: 256 })).toThrow(RangeError);
    expect(() => encodeIgmp({ ...base, group: '239.1.2' })).toThrow(RangeError);
    expect(() => encodeIgmp({ ...base, checksum: 0x10000 })).toThrow(RangeError);
    expect(() => encodeIgmp({ version: 3, type: 'query', typeCode: 0x11, maxRespCode: 0, group: '0.0.0.0', qrv: 8 })).toThrow(RangeError);
    expect(() => emitIgmp(base, new Uint8Array(10), 3)).toThrow(RangeError);
    const rec = { type: 'MODE_IS_INCLUDE' as const, typeCode: 1, group: '232.1.1.1', sources: [], auxData: hex('01 02 03') };
    expect(() => encodeIgmp({ version: 3, type: 'report', typeCode: 0x22, maxRespCode: 0, group: '0.0.0.0', records: [rec] })).toThrow(RangeError);
  });
});
