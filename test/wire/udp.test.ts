import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MalformedError, TruncatedError, WireError } from '../../src/errors.js';
import { Ipv4View } from '../../src/wire/ipv4.js';
import { UdpView, emitUdp, encodeUdp, parseUdp, udpLength, type ParsedUdpRepr, type UdpRepr } from '../../src/wire/udp.js';
import { assertRoundTrip, expectWireError, fromHex, hex, type RoundTripCodec } from '../support/roundtrip.js';

const SRC = 0x0a630001; // 10.99.0.1
const GROUP = 0xef010203; // 239.1.2.3

// Real multicast datagrams sent from 10.99.0.1:40000 to 239.1.2.3 by a Python socket in a network namespace, over a
// veth with transmit checksum offload switched off (SIOCETHTOOL ETHTOOL_STXCSUM 0) so the kernel computes the UDP
// checksum itself; captured on the peer with `tcpdump -i l2h-vb -w eth2.pcap udp` and printed with
// `tcpdump -r eth2.pcap -v -XX`. `tshark -o udp.check_checksum:TRUE -e udp.checksum.status` says Good for all three.
// IP header (20 bytes) | UDP header | data:
// "hello mcast" to port 5000, checksum 0xcdcd.
const HELLO = fromHex('45000027777e4000041103e00a630001ef010203 | 9c40 1388 0013 cdcd | 68656c6c6f206d63617374');
// "odd" (odd length: RFC 1071 pads the last byte with zero) to 5001, checksum 0x8141. Worked by hand:
// pseudo-header 0a63+0001+ef01+0203+0011+000b, header 9c40+1389+000b+0000, data 6f64+6400 = 0x27ebc;
// fold 0x7ebc+0x2 = 0x7ebe; ~ = 0x8141.
const ODD = fromHex('4500001f777f4000041103e70a630001ef010203 | 9c40 1389 000b 8141 | 6f6464');
// Data "zero" + 0x67ca, chosen so the checksum computes to 0: the kernel sends 0xffff (RFC 768: an all-zero result
// is transmitted as all ones, as 0 means "no checksum").
const ZERO_SUM = fromHex('4500002277804000041103e30a630001ef010203 | 9c40 138a 000e ffff | 7a65726f67ca');
// The "hello mcast" datagram captured on the SENDING side with checksum offload on (default for veth): the kernel
// left the pseudo-header sum (0xfb8c) for the device to finish, so the checksum is wrong on the wire capture;
// tshark reports udp.checksum.status Bad for it too.
const OFFLOAD_PARTIAL = fromHex('450000276b75400004110fe90a630001ef010203 | 9c40 1388 0013 fb8c | 68656c6c6f206d63617374');
// First fragment of a 3072-byte datagram, captured with -s 80 (see ipv4.test.ts): UDP length 3080, 46 bytes here.
const FIRST_FRAGMENT = fromHex('450005dc85132000011113960a630001ef010203 9c40138b0c0839ad000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425');

/** Decode IP then UDP the way the frame decoder does; returns both views. */
function decode(dgram: Uint8Array): { ip: Ipv4View; udp: UdpView } {
  const ip = new Ipv4View().reset(dgram, 0, dgram.length);
  const udp = new UdpView().reset(dgram, ip.payloadOffset, ip.payloadLength);
  return { ip, udp };
}

/** Round-trip codec for a UDP header + payload between fixed addresses. */
function codecWith(payload: Uint8Array, src = SRC, dst = GROUP): RoundTripCodec<ParsedUdpRepr> {
  return {
    length: () => udpLength(payload.length),
    emit: (r, buf, offset) => emitUdp(r, payload, src, dst, buf, offset),
    decode: (buf, offset, length) => parseUdp(new UdpView().reset(buf, offset, length), src, dst),
  };
}

describe('UdpView on kernel datagrams', () => {
  it('decodes ports, length and a valid checksum', () => {
    const { ip, udp } = decode(HELLO);
    expect([udp.srcPort, udp.dstPort, udp.length, udp.checksum]).toEqual([40000, 5000, 19, 0xcdcd]);
    expect(udp.payloadOffset).toBe(28);
    expect(udp.payloadLength).toBe(11);
    expect(Buffer.from(HELLO.subarray(udp.payloadOffset, udp.payloadOffset + udp.payloadLength)).toString()).toBe('hello mcast');
    expect(udp.checksumValid(ip.src, ip.dst)).toBe(true);
    expect(parseUdp(udp, ip.src, ip.dst)).toEqual({ srcPort: 40000, dstPort: 5000, length: 19, checksum: 0xcdcd, checksumOk: true });
  });

  it('verifies the hand-worked odd-length checksum 0x8141', () => {
    const { ip, udp } = decode(ODD);
    expect(udp.checksum).toBe(0x8141);
    expect(udp.checksumValid(ip.src, ip.dst)).toBe(true);
    // The pseudo-header matters: the same bytes from another source do not verify.
    expect(udp.checksumValid(ip.src + 1, ip.dst)).toBe(false);
  });

  it('accepts the kernel 0xffff for a checksum that computes to zero', () => {
    const { ip, udp } = decode(ZERO_SUM);
    expect(udp.checksum).toBe(0xffff);
    expect(udp.checksumValid(ip.src, ip.dst)).toBe(true);
  });

  it('flags the partial checksum of an offloaded send as invalid', () => {
    const { ip, udp } = decode(OFFLOAD_PARTIAL);
    expect(udp.checksumValid(ip.src, ip.dst)).toBe(false);
  });

  it('checksum 0 means "not computed": null', () => {
    const d = HELLO.slice();
    d[26] = 0;
    d[27] = 0;
    const { ip, udp } = decode(d);
    expect(udp.checksumValid(ip.src, ip.dst)).toBeNull();
    expect(parseUdp(udp, ip.src, ip.dst).checksumOk).toBeNull();
  });

  it('a first fragment (or a snap cut): payloadTruncated, checksum unverifiable (null)', () => {
    const { ip, udp } = decode(FIRST_FRAGMENT);
    expect(ip.moreFragments).toBe(true);
    expect(udp.length).toBe(3080);
    expect(udp.payloadTruncated).toBe(true);
    expect(udp.payloadLength).toBe(46 - 8);
    expect(udp.checksumValid(ip.src, ip.dst)).toBeNull();
  });

  it('a UDP length shorter than the IP payload trims the payload (and the checksum covers the UDP length only)', () => {
    // "odd" with 3 trailing bytes appended to the IP payload (IP total length raised to 34, IP checksum not rechecked).
    const d = fromHex('45000022777f4000041103e70a630001ef010203 | 9c40 1389 000b 8141 | 6f6464 | 112233');
    const { ip, udp } = decode(d);
    expect(ip.payloadLength).toBe(14);
    expect(udp.payloadLength).toBe(3);
    expect(udp.payloadTruncated).toBe(false);
    expect(udp.checksumValid(ip.src, ip.dst)).toBe(true);
  });

  it('rebinds one view', () => {
    const ip = new Ipv4View();
    const udp = new UdpView();
    for (const [d, port] of [[HELLO, 5000], [ODD, 5001], [ZERO_SUM, 5002]] as const) {
      ip.reset(d, 0, d.length);
      udp.reset(d, ip.payloadOffset, ip.payloadLength);
      expect(udp.dstPort).toBe(port);
      expect(udp.checksumValid(ip.src, ip.dst)).toBe(true);
    }
  });
});

describe('UDP errors', () => {
  it('ERR_UDP_TRUNCATED below 8 bytes, offset relative to the UDP header', () => {
    const e = expectWireError(() => new UdpView().reset(HELLO, 20, 7), 'ERR_UDP_TRUNCATED', 0, TruncatedError);
    expect(e.layer).toBe('udp');
  });

  it('ERR_UDP_BAD_LENGTH for a length field below 8', () => {
    const d = HELLO.slice();
    d[25] = 7;
    expectWireError(() => new UdpView().reset(d, 20, d.length - 20), 'ERR_UDP_BAD_LENGTH', 4, MalformedError);
  });

  it('a length field past the data: truncated by default, ERR_UDP_BAD_LENGTH when the region is the whole datagram', () => {
    const d = HELLO.slice();
    d[25] = 0x40; // 64 > 19
    const udp = new UdpView().reset(d, 20, d.length - 20);
    expect(udp.payloadTruncated).toBe(true);
    expect(udp.payloadLength).toBe(11);
    expect(udp.checksumValid(SRC, GROUP)).toBeNull();
    expectWireError(() => new UdpView().reset(d, 20, d.length - 20, true), 'ERR_UDP_BAD_LENGTH', 4, MalformedError);
  });
});

describe('UDP emit', () => {
  it('computes length and checksum: rebuilds the three kernel datagrams byte for byte (0xffff included)', () => {
    for (const d of [HELLO, ODD, ZERO_SUM]) {
      const { udp } = decode(d);
      const payload = d.slice(udp.payloadOffset, udp.payloadOffset + udp.payloadLength);
      const built = encodeUdp({ srcPort: udp.srcPort, dstPort: udp.dstPort }, payload, SRC, GROUP);
      expect(hex(built)).toBe(hex(d.subarray(20)));
    }
  });

  it('round-trips the kernel datagrams at offset 10', () => {
    for (const d of [HELLO, ODD, ZERO_SUM, OFFLOAD_PARTIAL]) {
      const { ip, udp } = decode(d);
      const payload = d.slice(udp.payloadOffset, udp.payloadOffset + udp.payloadLength);
      assertRoundTrip(parseUdp(udp, ip.src, ip.dst), codecWith(payload), d.subarray(20));
    }
  });

  it('emits given values verbatim: checksum 0 (none), a wrong checksum, a lying length', () => {
    const payload = new TextEncoder().encode('odd');
    expect(hex(encodeUdp({ srcPort: 40000, dstPort: 5001, checksum: 0 }, payload, SRC, GROUP))).toBe('9c401389000b0000' + '6f6464');
    expect(hex(encodeUdp({ srcPort: 40000, dstPort: 5001, checksum: 0x1234 }, payload, SRC, GROUP))).toBe('9c401389000b1234' + '6f6464');
    // Lying length 100: written as given; the checksum covers the 11 bytes written with 100 in the pseudo-header.
    const lying = encodeUdp({ srcPort: 40000, dstPort: 5001, length: 100 }, payload, SRC, GROUP);
    expect(hex(lying.subarray(0, 6))).toBe('9c4013890064');
    let sum = 0x0a63 + 0x0001 + 0xef01 + 0x0203 + 0x0011 + 100 + 0x9c40 + 0x1389 + 0x0064 + 0x6f64 + 0x6400;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect((lying[6]! << 8) | lying[7]!).toBe(~sum & 0xffff);
    // Lying length 9 (shorter than written): the checksum covers what a receiver verifies, the first 9 bytes.
    const short = encodeUdp({ srcPort: 40000, dstPort: 5001, length: 9 }, payload, SRC, GROUP);
    expect(new UdpView().reset(short, 0, short.length).checksumValid(SRC, GROUP)).toBe(true);
  });

  it('rejects values that do not fit 16 bits', () => {
    const buf = new Uint8Array(16);
    expect(() => emitUdp({ srcPort: 65536, dstPort: 1 }, new Uint8Array(0), SRC, GROUP, buf, 0)).toThrow(RangeError);
    expect(() => emitUdp({ srcPort: 1, dstPort: 1, length: -1 }, new Uint8Array(0), SRC, GROUP, buf, 0)).toThrow(RangeError);
    expect(buf.every((x) => x === 0)).toBe(true);
  });
});

describe('UDP properties', () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const reprArb = fc.record({
    srcPort: fc.nat(0xffff),
    dstPort: fc.nat(0xffff),
    checksum: fc.option(fc.nat(0xffff), { nil: undefined }),
  });

  it('a computed checksum always verifies and is never 0; the decoded repr round-trips at offset 10', () => {
    fc.assert(fc.property(reprArb, fc.uint8Array({ maxLength: 40 }), u32, u32, (partial, payload, src, dst) => {
      const bytes = encodeUdp(partial, payload, src, dst);
      const v = new UdpView().reset(bytes, 0, bytes.length, true);
      const parsed = parseUdp(v, src, dst);
      expect(parsed.length).toBe(8 + payload.length);
      if (partial.checksum === undefined) {
        expect(parsed.checksum).not.toBe(0);
        expect(parsed.checksumOk).toBe(true);
      } else {
        expect(parsed.checksum).toBe(partial.checksum);
        if (partial.checksum === 0) expect(parsed.checksumOk).toBeNull();
      }
      expect(hex(bytes.subarray(8))).toBe(hex(payload));
      assertRoundTrip(parsed, codecWith(payload, src, dst), bytes);
    }), { numRuns: 400 });
  });

  it('any byte string: reset + getters + parse either work or throw a WireError', () => {
    const v = new UdpView();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 24 }), fc.boolean(), u32, (bytes, complete, ip) => {
      try {
        v.reset(bytes, 0, bytes.length, complete);
        const r: UdpRepr = parseUdp(v, ip, ip);
        expect(v.payloadOffset + v.payloadLength).toBeLessThanOrEqual(bytes.length);
        expect(r.length).toBeGreaterThanOrEqual(8);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        expect(['ERR_UDP_TRUNCATED', 'ERR_UDP_BAD_LENGTH']).toContain(e.code);
      }
    }), { numRuns: 2000 });
  });
});
