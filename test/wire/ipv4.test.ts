import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MalformedError, TruncatedError, WireError } from '../../src/errors.js';
import { readIpv4 } from '../../src/wire/addr.js';
import { checksumValid } from '../../src/wire/checksum.js';
import { EthernetView } from '../../src/wire/ethernet.js';
import {
  Ipv4View,
  emitIpv4,
  encodeIpv4,
  ipv4HeaderLength,
  parseIpv4,
  type Ipv4Option,
  type Ipv4Repr,
  type ParsedIpv4Repr,
} from '../../src/wire/ipv4.js';
import { assertRoundTrip, expectWireError, fromHex, hex, type RoundTripCodec } from '../support/roundtrip.js';

// Real datagrams sent by the Linux kernel from 10.99.0.1 in a network namespace over a veth, captured on the peer
// with `tcpdump -i l2h-vb -w x.pcap` and printed with `tcpdump -r x.pcap -v -XX` (Ethernet header dropped here);
// `tshark -o ip.check_checksum:TRUE -e ip.checksum.status` reports every header checksum Good.

// IGMPv3 report (join 239.1.2.3): tcpdump -v says "tos 0xc0, ttl 1, id 0, offset 0, flags [DF], proto IGMP (2),
// length 40, options (RA)".
const V3_REPORT = fromHex(`46c0 0028 0000 4000 01 02 f995 0a630001 e0000016 | 94040000 | 2200e8f90000000104000000ef010203`);
// IGMPv2 report (force_igmp_version=2): "length 32, options (RA)", checksum 0xe8af. Worked by hand (RFC 1071):
// 46c0+0020+0000+4000+0102+0a63+0001+ef01+0203+9404+0000 = 0x2174e; fold 0x174e+0x2 = 0x1750; ~ = 0xe8af.
const V2_REPORT_IP = '46c00020000040000102e8af0a630001ef010203940400001600f8faef010203';
// The same report in a 60-byte Ethernet frame as a NIC pads it (veth does not pad, so the 14 zero bytes were added
// by hand; tshark decodes them as eth.padding and still finds the IGMP checksum Good over the 8 IGMP bytes only).
const V2_PADDED_FRAME = fromHex(`01005e010203 02000000000a 0800 ${V2_REPORT_IP} ${'00'.repeat(14)}`);

// A 3072-byte UDP datagram sent with IP_PMTUDISC_DONT and fragmented by the kernel at MTU 1500, captured with
// `tcpdump -s 80`. tcpdump -v: "id 34067, offset 0, flags [+] ... length 1500", "offset 1480, flags [+]",
// "offset 2960, flags [none] ... length 140"; tshark ip.frag_offset prints 0, 185, 370 (units of 8 bytes).
const FRAG = [
  fromHex('450005dc85132000011113960a630001ef0102039c40138b0c0839ad000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425'),
  fromHex('450005dc851320b9011112dd0a630001ef010203c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebeced'),
  fromHex('4500008c85130172011137740a630001ef01020388898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5'),
];

const view = (b: Uint8Array, complete = false) => new Ipv4View().reset(b, 0, b.length, complete);

/** A header with `options` (hand-written hex) and a correct checksum, for the option tests. */
function withOptions(optionsHex: string, payload = ''): Uint8Array {
  const opts = fromHex(optionsHex);
  const hl = 20 + opts.length;
  const b = fromHex(`4${(hl / 4).toString(16)}00 ${(hl + payload.length / 2).toString(16).padStart(4, '0')} 0000 0000 4002 0000 0a000001 e0000001 ${optionsHex} ${payload}`);
  // checksum computed independently of the codec: RFC 1071 sum of the 16-bit words.
  let sum = 0;
  for (let i = 0; i < hl; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  b[10] = c >> 8;
  b[11] = c & 0xff;
  return b;
}

/** Round-trip codec: the header followed by `payload` bytes (emitIpv4 writes the header, the test the payload). */
function codecWith(payload: Uint8Array): RoundTripCodec<ParsedIpv4Repr> {
  return {
    length: (r) => ipv4HeaderLength(r) + payload.length,
    emit: (r, buf, offset) => {
      const hl = emitIpv4(r, payload.length, buf, offset);
      buf.set(payload, offset + hl);
      return hl + payload.length;
    },
    decode: (buf, offset, length) => parseIpv4(new Ipv4View().reset(buf, offset, length)),
  };
}

describe('Ipv4View on kernel datagrams', () => {
  it('decodes every field of the IGMPv3 report', () => {
    const v = view(V3_REPORT);
    expect(v.version).toBe(4);
    expect(v.headerLength).toBe(24);
    expect(v.tos).toBe(0xc0);
    expect(v.dscp).toBe(48); // CS6, as RFC 3376 section 4 asks (TOS 0xc0, Internetwork Control)
    expect(v.ecn).toBe(0);
    expect(v.totalLength).toBe(40);
    expect(v.identification).toBe(0);
    expect([v.reservedFlag, v.dontFragment, v.moreFragments, v.fragmentOffset, v.isFragment]).toEqual([false, true, false, 0, false]);
    expect(v.ttl).toBe(1);
    expect(v.protocol).toBe(2);
    expect(v.checksum).toBe(0xf995);
    expect(v.checksumValid()).toBe(true);
    expect(v.computeChecksum()).toBe(0xf995);
    expect(v.src).toBe(0x0a630001);
    expect(v.dst).toBe(0xe0000016);
    expect(v.hasRouterAlert()).toBe(true);
    expect(v.optionsMalformed()).toBe(false);
    expect(v.payloadOffset).toBe(24);
    expect(v.payloadLength).toBe(16);
    expect(v.payloadTruncated).toBe(false);
    expect(parseIpv4(v)).toEqual({
      tos: 0xc0,
      totalLength: 40,
      identification: 0,
      reservedFlag: false,
      df: true,
      mf: false,
      fragmentOffset: 0,
      ttl: 1,
      protocol: 2,
      checksum: 0xf995,
      checksumOk: true,
      src: '10.99.0.1',
      dst: '224.0.0.22',
      options: [{ kind: 'routerAlert', value: 0 }],
      headerLength: 24,
    });
  });

  it('returns unsigned addresses above 127.255.255.255', () => {
    const v = view(V3_REPORT);
    expect(v.dst).toBeGreaterThan(0);
    expect(readIpv4(V3_REPORT, 16)).toBe(v.dst);
  });

  it('verifies the hand-worked checksum 0xe8af and rejects a corrupted header', () => {
    const ip = fromHex(V2_REPORT_IP);
    expect(view(ip).checksum).toBe(0xe8af);
    expect(view(ip).checksumValid()).toBe(true);
    ip[8] = 2; // TTL 1 -> 2
    expect(view(ip).checksumValid()).toBe(false);
    expect(view(ip).computeChecksum()).toBe(0xe7af); // the TTL/protocol word grew by 0x0100
  });

  it('trims Ethernet padding: the payload ends at the total length', () => {
    const eth = new EthernetView().reset(V2_PADDED_FRAME, 0, V2_PADDED_FRAME.length);
    expect(eth.payloadLength).toBe(46);
    const ip = new Ipv4View().reset(V2_PADDED_FRAME, eth.payloadOffset, eth.payloadLength, true);
    expect(ip.totalLength).toBe(32);
    expect(ip.payloadOffset).toBe(14 + 24);
    expect(ip.payloadLength).toBe(8);
    expect(ip.payloadTruncated).toBe(false);
    expect(hex(V2_PADDED_FRAME.subarray(ip.payloadOffset, ip.payloadOffset + ip.payloadLength))).toBe('1600f8faef010203');
  });

  it('exposes fragment offset in bytes and MF on the three kernel fragments', () => {
    const [a, b, c] = FRAG.map((f) => view(f));
    expect([a!.moreFragments, a!.fragmentOffset, a!.isFragment]).toEqual([true, 0, true]);
    expect([b!.moreFragments, b!.fragmentOffset, b!.isFragment]).toEqual([true, 1480, true]);
    expect([c!.moreFragments, c!.fragmentOffset, c!.isFragment]).toEqual([false, 2960, true]);
    for (const v of [a!, b!, c!]) {
      expect(v.identification).toBe(34067);
      expect(v.checksumValid()).toBe(true);
      // -s 80 cut each one: a snap-length cut, not an error.
      expect(v.payloadTruncated).toBe(true);
      expect(v.payloadLength).toBe(80 - 14 - 20);
    }
    expect(a!.totalLength).toBe(1500);
    expect(c!.totalLength).toBe(140);
  });

  it('rebinds one view across datagrams', () => {
    const v = new Ipv4View();
    v.reset(V3_REPORT, 0, V3_REPORT.length);
    expect(v.hasRouterAlert()).toBe(true);
    v.reset(FRAG[0]!, 0, FRAG[0]!.length);
    expect(v.hasRouterAlert()).toBe(false); // the cached option walk is reset
    expect(v.headerLength).toBe(20);
  });
});

describe('IPv4 errors (codes and layer-relative offsets)', () => {
  it('ERR_IP_TRUNCATED below 20 bytes', () => {
    const e = expectWireError(() => new Ipv4View().reset(V3_REPORT, 0, 19), 'ERR_IP_TRUNCATED', 0, TruncatedError);
    expect(e.layer).toBe('ip');
  });

  it('ERR_IP_BAD_VERSION', () => {
    const b = V3_REPORT.slice();
    b[0] = 0x66;
    expectWireError(() => view(b), 'ERR_IP_BAD_VERSION', 0, MalformedError);
  });

  it('ERR_IP_BAD_IHL below 5', () => {
    const b = V3_REPORT.slice();
    b[0] = 0x44;
    expectWireError(() => view(b), 'ERR_IP_BAD_IHL', 0, MalformedError);
  });

  it('ERR_IP_TRUNCATED when the header length exceeds the captured bytes', () => {
    const e = expectWireError(() => new Ipv4View().reset(V3_REPORT, 0, 20), 'ERR_IP_TRUNCATED', 0, TruncatedError);
    expect(e.message).toBe('ip: header length 24 exceeds captured 20 bytes at byte 0');
  });

  it('ERR_IP_BAD_TOTAL_LENGTH when the total length is below the header length', () => {
    const b = V3_REPORT.slice();
    b[2] = 0;
    b[3] = 20; // 20 < IHL 6 * 4
    expectWireError(() => view(b), 'ERR_IP_BAD_TOTAL_LENGTH', 2, MalformedError);
  });

  it('a lying total length: a snap cut by default, ERR_IP_BAD_TOTAL_LENGTH when the region is the whole datagram', () => {
    const b = V3_REPORT.slice();
    b[3] = 0x40; // 64 > 40 captured
    const v = view(b);
    expect(v.payloadTruncated).toBe(true);
    expect(v.payloadLength).toBe(16);
    expectWireError(() => view(b, true), 'ERR_IP_BAD_TOTAL_LENGTH', 2, MalformedError);
  });
});

describe('IPv4 options', () => {
  it('RFC 2113 Router Alert 94 04 00 00, alone and after NOPs, with trailing zero padding kept', () => {
    const b = withOptions('01 01 94040000 00 00');
    const v = view(b);
    expect(v.hasRouterAlert()).toBe(true);
    expect(parseIpv4(v).options).toEqual([
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'routerAlert', value: 0 },
      { kind: 'eol' },
      { kind: 'padding', data: new Uint8Array([0]) },
    ]);
  });

  it('a Router Alert with a non-zero value is still a Router Alert (value kept)', () => {
    const v = view(withOptions('94040001'));
    expect(v.hasRouterAlert()).toBe(true);
    expect(parseIpv4(v).options).toEqual([{ kind: 'routerAlert', value: 1 }]);
  });

  it('type 0x94 with a length other than 4 is kept raw and is not a Router Alert', () => {
    const v = view(withOptions('9406 0000 0000 0000'));
    expect(v.hasRouterAlert()).toBe(false);
    expect(v.optionsMalformed()).toBe(false);
    expect(parseIpv4(v).options).toEqual([{ kind: 'raw', code: 0x94, data: fromHex('00000000') }, { kind: 'eol' }, { kind: 'padding', data: fromHex('00') }]);
  });

  it('unknown options are data: RFC 791 timestamp (type 68) kept raw', () => {
    const v = view(withOptions('440c0500 00000000 00000000'));
    expect(parseIpv4(v).options).toEqual([{ kind: 'raw', code: 0x44, data: fromHex('0500 00000000 00000000') }]);
    expect(v.hasRouterAlert()).toBe(false);
  });

  it('bytes after End of Option List are kept, not walked (a Router Alert there does not count)', () => {
    const v = view(withOptions('00 de ad be 94040000'));
    expect(v.hasRouterAlert()).toBe(false);
    expect(v.optionsMalformed()).toBe(false); // 'de ad' would be a length past the header if it were walked
    expect(parseIpv4(v).options).toEqual([{ kind: 'eol' }, { kind: 'padding', data: fromHex('deadbe94040000') }]);
    // As Linux's ip_options_compile does, everything after EOL is ignored, even a well-formed Router Alert.
    const z = view(withOptions('00 00 00 00 94040000'));
    expect(z.hasRouterAlert()).toBe(false);
    expect(parseIpv4(z).options).toEqual([{ kind: 'eol' }, { kind: 'padding', data: fromHex('00000094040000') }]);
  });

  it('malformed lists: hasRouterAlert false, optionsMalformed true, parse throws ERR_IP_BAD_OPTION at the option', () => {
    const cases: [string, number][] = [
      ['9401 0000', 20], // length below 2
      ['94040000 070c0000', 24], // record route claiming 12 bytes, 4 left
      ['010101 94', 23], // no room for the length octet
    ];
    for (const [opts, at] of cases) {
      const v = view(withOptions(opts));
      expect(v.hasRouterAlert()).toBe(false);
      expect(v.optionsMalformed()).toBe(true);
      expect(v.checksumValid()).toBe(true);
      expect(v.payloadLength).toBe(0); // the rest of the view still works
      expectWireError(() => parseIpv4(v), 'ERR_IP_BAD_OPTION', at, MalformedError);
    }
  });
});

describe('IPv4 emit', () => {
  const v2repr: Ipv4Repr = {
    tos: 0xc0,
    df: true,
    ttl: 1,
    protocol: 2,
    src: '10.99.0.1',
    dst: '239.1.2.3',
    options: [{ kind: 'routerAlert', value: 0 }],
  };

  it('computes IHL, total length and checksum: rebuilds the kernel IGMPv2 report byte for byte', () => {
    const igmp = fromHex('1600f8faef010203');
    expect(hex(encodeIpv4(v2repr, igmp))).toBe(V2_REPORT_IP);
  });

  it('round-trips the kernel datagrams at offset 10', () => {
    for (const dgram of [V3_REPORT, fromHex(V2_REPORT_IP)]) {
      const v = view(dgram);
      const payload = dgram.slice(v.payloadOffset, v.payloadOffset + v.payloadLength);
      assertRoundTrip(parseIpv4(v), codecWith(payload), dgram);
    }
    // A cut fragment: the header alone round-trips, total length 1500 kept verbatim.
    const f = view(FRAG[1]!);
    assertRoundTrip(parseIpv4(f), codecWith(new Uint8Array(0)), FRAG[1]!.subarray(0, 20));
  });

  it('round-trips every option shape byte-exactly', () => {
    for (const opts of ['01 01 94040000 00 00', '9406 0000 0000 0000', '440c0500 00000000 00000000', '00 de ad be 94040000']) {
      const b = withOptions(opts, 'abcd');
      assertRoundTrip(parseIpv4(view(b)), codecWith(fromHex('abcd')), b);
    }
  });

  it('emits given values verbatim: wrong checksum, lying total length, lying IHL, reserved flag', () => {
    const out = new Uint8Array(24);
    emitIpv4({ ...v2repr, checksum: 0xbeef, totalLength: 1000, headerLength: 60, reservedFlag: true, mf: true, fragmentOffset: 1480 }, 8, out, 0);
    expect(hex(out.subarray(0, 12))).toBe('4fc003e8' + '0000' + 'e0b9' + '0102' + 'beef');
  });

  it('pads options to a 32-bit boundary with zeros', () => {
    const b = encodeIpv4({ ttl: 64, protocol: 17, src: '1.2.3.4', dst: '5.6.7.8', options: [{ kind: 'nop' }] });
    expect(b.length).toBe(24);
    expect(hex(b.subarray(20))).toBe('01000000');
    expect(view(b).checksumValid()).toBe(true);
  });

  it('rejects what cannot be encoded', () => {
    const base: Ipv4Repr = { ttl: 1, protocol: 2, src: '10.0.0.1', dst: '224.0.0.1' };
    const buf = new Uint8Array(80);
    expect(() => emitIpv4({ ...base, fragmentOffset: 7 }, 0, buf, 0)).toThrow(RangeError);
    expect(() => emitIpv4({ ...base, options: [{ kind: 'padding', data: new Uint8Array(41) }] }, 0, buf, 0)).toThrow(RangeError);
    expect(() => emitIpv4({ ...base, headerLength: 22 }, 0, buf, 0)).toThrow(RangeError);
    expect(() => emitIpv4({ ...base, src: '10.0.0.256' }, 0, buf, 0)).toThrow(RangeError);
    expect(() => emitIpv4({ ...base, ttl: 256 }, 0, buf, 0)).toThrow(RangeError);
    expect(() => emitIpv4({ ...base, options: [{ kind: 'raw', code: 300, data: new Uint8Array(0) }] }, 0, buf, 0)).toThrow(RangeError);
    expect(buf.every((x) => x === 0)).toBe(true);
  });
});

describe('IPv4 properties', () => {
  const addrArb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
  const optionArb: fc.Arbitrary<Ipv4Option> = fc.oneof(
    fc.constant<Ipv4Option>({ kind: 'nop' }),
    fc.integer({ min: 0, max: 0xffff }).map<Ipv4Option>((value) => ({ kind: 'routerAlert', value })),
    fc.record({ code: fc.integer({ min: 2, max: 255 }), data: fc.uint8Array({ maxLength: 8 }) })
      .filter((o) => !(o.code === 0x94 && o.data.length === 2))
      .map<Ipv4Option>((o) => ({ kind: 'raw', ...o })),
  );
  const optionsArb = fc.tuple(fc.array(optionArb, { maxLength: 6 }), fc.option(fc.uint8Array({ maxLength: 6 }), { nil: undefined }))
    .map(([opts, tail]) => (tail === undefined ? opts : [...opts, { kind: 'eol' } as Ipv4Option, ...(tail.length ? [{ kind: 'padding', data: tail } as Ipv4Option] : [])]))
    .filter((opts) => {
      let n = 0;
      for (const o of opts) n += o.kind === 'eol' || o.kind === 'nop' ? 1 : o.kind === 'routerAlert' ? 4 : o.kind === 'raw' ? 2 + o.data.length : o.data.length;
      return n <= 40;
    });
  const reprArb = fc.record({
    tos: fc.nat(255),
    identification: fc.nat(0xffff),
    reservedFlag: fc.boolean(),
    df: fc.boolean(),
    mf: fc.boolean(),
    fragmentOffset: fc.nat(0x1fff).map((n) => n * 8),
    ttl: fc.nat(255),
    protocol: fc.nat(255),
    src: addrArb,
    dst: addrArb,
    options: optionsArb,
    checksum: fc.option(fc.nat(0xffff), { nil: undefined }),
  });

  it('absent means compute, given means verbatim; the decoded repr round-trips byte-exactly at offset 10', () => {
    fc.assert(fc.property(reprArb, fc.uint8Array({ maxLength: 12 }), (partial, payload) => {
      const bytes = encodeIpv4(partial, payload);
      const v = view(bytes, true);
      const parsed = parseIpv4(v);
      expect(parsed.totalLength).toBe(bytes.length);
      expect(parsed.headerLength).toBe(ipv4HeaderLength(partial));
      if (partial.checksum === undefined) expect(parsed.checksumOk).toBe(true);
      else expect(parsed.checksum).toBe(partial.checksum);
      for (const k of ['tos', 'identification', 'reservedFlag', 'df', 'mf', 'fragmentOffset', 'ttl', 'protocol', 'src', 'dst'] as const) {
        expect(parsed[k]).toEqual(partial[k]);
      }
      // Options come back as given, then (when emit padded) End of Option List and zero padding; a trailing
      // 'padding' item absorbs the zeros emit adds after it.
      const last = partial.options[partial.options.length - 1];
      if (last?.kind === 'padding') {
        const n = partial.options.length - 1;
        expect(parsed.options.slice(0, n)).toEqual(partial.options.slice(0, n));
        const got = parsed.options[n]!;
        expect(got.kind).toBe('padding');
        const data = (got as { data: Uint8Array }).data;
        expect(hex(data.subarray(0, last.data.length))).toBe(hex(last.data));
        expect(data.subarray(last.data.length).every((x) => x === 0)).toBe(true);
      } else {
        expect(parsed.options.slice(0, partial.options.length)).toEqual(partial.options);
      }
      expect(hex(bytes.subarray(v.payloadOffset))).toBe(hex(payload));
      assertRoundTrip(parsed, codecWith(payload), bytes);
    }), { numRuns: 400 });
  });

  it('a computed checksum is valid, and any single flipped header bit makes it invalid', () => {
    fc.assert(fc.property(reprArb, fc.nat(), fc.nat(7), (partial, pos, bit) => {
      const bytes = encodeIpv4({ ...partial, checksum: undefined });
      expect(checksumValid(bytes, 0, bytes.length)).toBe(true);
      bytes[pos % bytes.length]! ^= 1 << bit;
      expect(checksumValid(bytes, 0, bytes.length)).toBe(false);
    }), { numRuns: 400 });
  });

  it('any byte string: reset + getters + parse either work or throw a WireError', () => {
    const v = new Ipv4View();
    // Start most inputs with 0x4N so the option and length checks get exercised, not only the version check.
    const bytesArb = fc.tuple(fc.integer({ min: 0x40, max: 0x4f }), fc.uint8Array({ maxLength: 70 }), fc.boolean())
      .map(([b0, rest, keep]) => (keep ? Uint8Array.of(b0, ...rest) : rest));
    fc.assert(fc.property(bytesArb, fc.boolean(), (bytes, complete) => {
      try {
        v.reset(bytes, 0, bytes.length, complete);
        v.hasRouterAlert();
        v.optionsMalformed();
        v.checksumValid();
        expect(v.payloadOffset + v.payloadLength).toBeLessThanOrEqual(bytes.length);
        expect(v.payloadLength).toBeGreaterThanOrEqual(0);
        const r = parseIpv4(v);
        expect(v.optionsMalformed()).toBe(false);
        expect(r.options.some((o) => o.kind === 'routerAlert')).toBe(v.hasRouterAlert());
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        expect(e.layer).toBe('ip');
        expect(e.offset).toBeGreaterThanOrEqual(0);
        expect(e.offset).toBeLessThan(Math.max(bytes.length, 1) + 60);
      }
    }), { numRuns: 3000 });
  });
});
