/**
 * IGMP codec properties (fast-check, fixed seeds so runs are repeatable): random valid reprs round-trip byte for
 * byte; no byte string makes parse throw, and every accepted one is re-emitted exactly; the Max Resp Code / QQIC
 * encoders return the smallest code whose value covers the request.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { TruncatedError, WireError } from '../../src/errors.js';
import { ipv4ToString } from '../../src/wire/addr.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import {
  IgmpView,
  decodeMaxRespCode,
  decodeQqic,
  emitIgmp,
  encodeIgmp,
  encodeMaxRespTime,
  encodeQqi,
  igmpLength,
  parseIgmp,
  readGroupRecords,
  recordTypeName,
  type GroupRecordRepr,
  type IgmpRepr,
} from '../../src/wire/igmp.js';
import { assertRoundTrip, type RoundTripCodec } from '../support/roundtrip.js';

const codec: RoundTripCodec<IgmpRepr> = {
  length: igmpLength,
  emit: emitIgmp,
  decode: (buf, offset, length) => parseIgmp(new IgmpView().reset(buf, offset, length)).repr,
};

const SEED = 0x1993; // fixed: deterministic runs; change it locally to explore
const KNOWN = new Set([0x11, 0x12, 0x16, 0x17, 0x22]);

const addr = fc.integer({ min: 0, max: 0xffffffff }).map(ipv4ToString);
const byte = fc.integer({ min: 0, max: 0xff });
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
/** Optional extra bytes: absent, never empty (parse gives absent for none). */
const extra = fc.option(bytes(1, 12), { nil: undefined });

function withExtra<T extends IgmpRepr>(repr: T, x: Uint8Array | undefined): T {
  if (x !== undefined) repr.extra = x;
  return repr;
}

const v1v2Query = fc.tuple(fc.integer({ min: 0, max: 0xff }), addr).map(([code, group]): IgmpRepr => {
  const version = code === 0 ? 1 : 2;
  return { version, type: 'query', typeCode: 0x11, maxRespCode: code, maxRespTime: decodeMaxRespCode(code, version), group };
});

const v1v2Other = fc.tuple(fc.constantFrom(0x12, 0x16, 0x17), byte, addr, extra).map(([typeCode, code, group, x]): IgmpRepr =>
  withExtra({ version: typeCode === 0x12 ? 1 : 2, type: typeCode === 0x17 ? 'leave' : 'report', typeCode, maxRespCode: code, group }, x),
);

const v3Query = fc
  .record({ code: byte, group: addr, resv: fc.integer({ min: 0, max: 15 }), s: fc.boolean(), qrv: fc.integer({ min: 0, max: 7 }), qqic: byte, sources: fc.array(addr, { maxLength: 8 }), x: extra })
  .map(({ code, group, resv, s, qrv, qqic, sources, x }): IgmpRepr => {
    const repr: IgmpRepr = { version: 3, type: 'query', typeCode: 0x11, maxRespCode: code, maxRespTime: decodeMaxRespCode(code, 3), group };
    if (resv !== 0) repr.resv = resv;
    Object.assign(repr, { s, qrv, qqic, qqi: decodeQqic(qqic), sources });
    return withExtra(repr, x);
  });

const record = fc
  .record({ typeCode: fc.oneof(fc.integer({ min: 1, max: 6 }), byte), group: addr, sources: fc.array(addr, { maxLength: 5 }), aux: fc.integer({ min: 0, max: 3 }), fill: byte })
  .map(({ typeCode, group, sources, aux, fill }): GroupRecordRepr => {
    const rec: GroupRecordRepr = { type: recordTypeName(typeCode), typeCode, group, sources, auxLen: aux };
    if (aux > 0) rec.auxData = new Uint8Array(aux * 4).fill(fill);
    return rec;
  });

const v3Report = fc
  .record({ code: byte, reserved2: fc.integer({ min: 0, max: 0xffff }), records: fc.array(record, { maxLength: 6 }), x: extra })
  .map(({ code, reserved2, records, x }): IgmpRepr => {
    const repr: IgmpRepr = { version: 3, type: 'report', typeCode: 0x22, maxRespCode: code, group: '0.0.0.0' };
    if (reserved2 !== 0) repr.reserved2 = reserved2;
    repr.records = records;
    return withExtra(repr, x);
  });

const unknownType = fc
  .tuple(byte.filter((t) => !KNOWN.has(t)), byte, fc.option(bytes(1, 24), { nil: undefined }))
  .map(([typeCode, code, x]): IgmpRepr => {
    // Bytes 4-7 (the start of extra) are shown as the group when present.
    const group = x !== undefined && x.length >= 4 ? `${x[0]}.${x[1]}.${x[2]}.${x[3]}` : '0.0.0.0';
    return withExtra({ version: 0, type: 'unknown', typeCode, maxRespCode: code, group }, x);
  });

const anyRepr = fc.tuple(fc.oneof(v1v2Query, v1v2Other, v3Query, v3Report, unknownType), fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }));

describe('IGMP properties', () => {
  test('random valid reprs round-trip byte for byte, at an offset in a 0xa5-filled buffer', () => {
    fc.assert(
      fc.property(anyRepr, ([repr, givenChecksum]) => {
        const input: IgmpRepr = givenChecksum === undefined ? repr : { ...repr, checksum: givenChecksum };
        const len = igmpLength(input);
        const buf = new Uint8Array(len + 20).fill(0xa5);
        expect(emitIgmp(input, buf, 10)).toBe(len);
        expect(buf.subarray(0, 10).every((b) => b === 0xa5) && buf.subarray(10 + len).every((b) => b === 0xa5)).toBe(true);
        const wire = buf.slice(10, 10 + len);
        // The right checksum, worked out with the field zeroed.
        const zeroed = wire.slice();
        zeroed[2] = zeroed[3] = 0;
        const right = internetChecksum(zeroed, 0, zeroed.length);
        const checksum = givenChecksum ?? right;
        expect((wire[2]! << 8) | wire[3]!).toBe(checksum);
        const { repr: decoded, error } = parseIgmp(new IgmpView().reset(buf, 10, len));
        expect(error).toBeNull();
        expect(decoded).toStrictEqual({ ...repr, checksum, checksumOk: checksum === right });
        // The decoded (canonical) repr through the shared round-trip convention.
        assertRoundTrip(decoded, codec, wire);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  test('no byte string makes parse throw; every accepted one is re-emitted exactly; the walk agrees with parse', () => {
    // Bias the first byte towards the known types so the interesting paths are reached often.
    const message = fc.tuple(fc.oneof(fc.constantFrom(0x11, 0x12, 0x16, 0x17, 0x22), byte), bytes(0, 60)).map(([t, rest]) => {
      const out = new Uint8Array(rest.length + 1);
      out[0] = t;
      out.set(rest, 1);
      return out;
    });
    const view = new IgmpView();
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 61 }), (msg, cut) => {
        const length = Math.min(cut, msg.length);
        try {
          view.reset(msg, 0, length);
        } catch (e) {
          expect(e).toBeInstanceOf(TruncatedError);
          expect((e as TruncatedError).code).toBe('ERR_IGMP_TRUNCATED');
          expect(length < (KNOWN.has(msg[0]!) || length === 0 ? 8 : 4)).toBe(true);
          return;
        }
        const { repr, error } = parseIgmp(view);
        if (error !== null) {
          expect(error).toBeInstanceOf(WireError);
          expect(error.code).toMatch(/^ERR_IGMP_/);
          expect(error.offset).toBeGreaterThanOrEqual(0);
          expect(error.offset).toBeLessThanOrEqual(length);
        }
        expect(encodeIgmp(repr)).toEqual(msg.subarray(0, length));
        expect(repr.checksumOk).toBe(view.checksumValid());
        if (view.typeCode === 0x22) {
          let n = 0;
          for (let ok = view.firstRecord(); ok; ok = view.nextRecord()) n++;
          expect(n).toBe(repr.records!.length);
          expect(view.records.errorCode).toBe(error === null ? null : error.code);
          expect(view.records.errorOffset).toBe(error === null ? 0 : error.offset);
        }
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  test('readGroupRecords reads what the record cursor reads, up to the first record that does not fit', () => {
    // Whole reports from the generator, and the same with random cuts and random bytes in a v3 report header.
    const report = v3Report.map((r) => encodeIgmp(r));
    const noise = bytes(0, 80).map((rest) => Uint8Array.of(0x22, ...rest));
    const view = new IgmpView();
    fc.assert(
      fc.property(fc.oneof(report, noise), fc.integer({ min: 0, max: 200 }), (msg, cut) => {
        const length = Math.max(8, Math.min(msg.length, cut));
        if (msg.length < 8) return;
        view.reset(msg, 0, length);
        const want: [number, number, number[]][] = [];
        const rv = view.records;
        for (let ok = view.firstRecord(rv); ok; ok = view.nextRecord(rv)) {
          const src: number[] = [];
          for (let i = 0; i < rv.numberOfSources; i++) src.push(rv.sourceBits(i));
          want.push([rv.recordType, rv.groupBits, src]);
        }
        const room = Math.max(1, view.numberOfGroupRecords);
        const types = new Uint8Array(room);
        const groups = new Int32Array(room);
        const starts = new Int32Array(room);
        const counts = new Int32Array(room);
        const sources = new Int32Array(Math.max(1, (length - 8) >> 2));
        const n = readGroupRecords(view, types, groups, starts, counts, sources);
        const got = Array.from({ length: n }, (_, r) => [types[r]!, groups[r]!, [...sources.subarray(starts[r]!, starts[r]! + counts[r]!)]]);
        expect(got).toEqual(want);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  test('encoders give the smallest code whose value is >= the request', () => {
    const check = (max: number, decode: (c: number) => number, encode: (s: number) => number) =>
      fc.assert(
        fc.property(fc.double({ min: 0, max, noNaN: true }), (s) => {
          const code = encode(s);
          expect(decode(code)).toBeGreaterThanOrEqual(s - 1e-9);
          if (code > 0) expect(decode(code - 1)).toBeLessThan(s);
        }),
        { seed: SEED, numRuns: 2000 },
      );
    check(3174.4, (c) => decodeMaxRespCode(c, 3), (s) => encodeMaxRespTime(s, 3));
    check(25.5, (c) => decodeMaxRespCode(c, 2), (s) => encodeMaxRespTime(s, 2));
    check(31744, decodeQqic, encodeQqi);
  });
});
