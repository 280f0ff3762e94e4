import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  PROBE_HEADER_LENGTH,
  ProbeView,
  emitProbe,
  encodeProbe,
  parseProbe,
  probeLength,
  stampProbe,
  type ProbeRepr,
} from '../../src/host/probe.js';
import { assertRoundTrip, fromHex } from '../support/roundtrip.js';

const view = new ProbeView();
const codec = {
  length: probeLength,
  emit: emitProbe,
  decode: (buf: Uint8Array, offset: number, length: number): ProbeRepr => {
    expect(view.reset(buf, offset, length)).toBe(true);
    return parseProbe(view);
  },
};

describe('probe header', () => {
  it('matches the layout worked out by hand', () => {
    // By hand from the layout in src/host/probe.ts: "MCKP", version 1, flags 0, header length 24,
    // sender 0x01020304, sequence 42, send time 1700000000123456 us = 0x00060a2418202240.
    const expected = fromHex('4d434b50 | 01 | 00 | 0018 | 01020304 | 0000002a | 00060a24 18202240');
    const repr: ProbeRepr = { version: 1, flags: 0, headerLength: 24, senderId: 0x01020304, sequence: 42, sendTimeUs: 1700000000123456 };
    assertRoundTrip(repr, codec, expected);
  });

  it('computes absent fields and keeps given ones verbatim', () => {
    const bytes = encodeProbe({ senderId: 7, sequence: 1, sendTimeUs: 2 });
    expect(view.reset(bytes, 0, bytes.length)).toBe(true);
    expect(parseProbe(view)).toEqual({ version: 1, flags: 0, headerLength: 24, senderId: 7, sequence: 1, sendTimeUs: 2 });
    // A later version with a longer header: the value is data, and the payload starts after it.
    const longer = new Uint8Array(40);
    emitProbe({ version: 9, flags: 0x80, headerLength: 32, senderId: 1, sequence: 2, sendTimeUs: 3 }, longer, 0);
    expect(view.reset(longer, 0, 40)).toBe(true);
    expect([view.version, view.flags, view.headerLength, view.payloadLength]).toEqual([9, 0x80, 32, 8]);
  });

  it('round-trips any field values (sequence and id wrap at 2^32, time below 2^53)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        (senderId, sequence, sendTimeUs, version, flags) => {
          assertRoundTrip({ version, flags, headerLength: 24, senderId, sequence, sendTimeUs }, codec);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stampProbe rewrites only sequence and time', () => {
    const b = encodeProbe({ senderId: 0xdeadbeef, sequence: 0, sendTimeUs: 0 });
    stampProbe(b, 0, 0xfffffffe, 2 ** 40 + 5);
    view.reset(b, 0, b.length);
    expect(parseProbe(view)).toEqual({ version: 1, flags: 0, headerLength: 24, senderId: 0xdeadbeef, sequence: 0xfffffffe, sendTimeUs: 2 ** 40 + 5 });
  });

  it('tells a probe from other datagrams without throwing', () => {
    const good = encodeProbe({ senderId: 1, sequence: 1, sendTimeUs: 1 });
    expect(view.reset(good, 0, PROBE_HEADER_LENGTH - 1)).toBe(false); // too short
    expect(view.reset(new TextEncoder().encode('hello, this is not a probe header'), 0, 33)).toBe(false); // magic
    const badLen = good.slice();
    badLen[7] = 23; // header length below 24
    expect(view.reset(badLen, 0, badLen.length)).toBe(false);
    badLen[7] = 25; // header length beyond the datagram
    expect(view.reset(badLen, 0, badLen.length)).toBe(false);
    expect(view.reset(good, 4, good.length)).toBe(false); // region past the buffer
    expect(view.reset(good, 0, good.length)).toBe(true);
  });
});
