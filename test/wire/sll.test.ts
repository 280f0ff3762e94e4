import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TruncatedError, WireError } from '../../src/errors.js';
import { VlanStack } from '../../src/wire/ethernet.js';
import { Ipv4View } from '../../src/wire/ipv4.js';
import {
  Sll2View,
  SllView,
  emitSll,
  emitSll2,
  encodeSll,
  encodeSll2,
  packetTypeName,
  parseSll,
  parseSll2,
  sll2Length,
  sllLength,
  type ParsedSll2Repr,
  type ParsedSllRepr,
} from '../../src/wire/sll.js';
import { assertRoundTrip, expectWireError, fromHex, hex, type RoundTripCodec } from '../support/roundtrip.js';

// Real cooked captures made in two network namespaces joined by a veth (02:00:00:00:00:0a in namespace A):
// SLL with `tcpdump -i any -y LINUX_SLL -w x.pcap`, SLL2 with `tcpdump -i any -w x.pcap` (libpcap 1.10.3's default).
// The values in the comments are tshark's: `tshark -r x.pcap -T fields -e sll.pkttype -e sll.ifindex -e sll.hatype
// -e sll.halen -e sll.src.eth -e sll.etype`. Only the cooked header and the first IPv4 bytes are kept here.
const IGMP_IP = '46c00028000040000102f9950a630001e0000016940400002200e8f90000000104000000ef010203';
const HELLO_IP = '45000027777e4000041103e00a630001ef0102039c4013880013cdcd68656c6c6f206d63617374';
const LO_IP = '4500001e14b140004011281c7f0000017f00000192700009000afe1d6c6f';
const TUN_IP = '4500001ff821400040112de10a6200010a620007a1680009000b672574756e';

// Namespace A sending its IGMPv3 report: pkttype 4 (outgoing), hatype 1, halen 6, src 02:00:00:00:00:0a, etype 0x0800.
const SLL_OUT = fromHex(`0004 0001 0006 02000000000a0000 0800 ${IGMP_IP}`);
// Namespace B receiving the multicast UDP datagram: pkttype 2 (multicast), same address.
const SLL_MCAST_IN = fromHex(`0002 0001 0006 02000000000a0000 0800 ${HELLO_IP}`);
// UDP to 127.0.0.1 on lo: pkttype 0 (host), hatype 772 (loopback), halen 6, address 00:00:00:00:00:00.
const SLL_LO = fromHex(`0000 0304 0006 0000000000000000 0800 ${LO_IP}`);
// UDP out of a tun device: pkttype 4, hatype 65534 (ARPHRD_NONE), halen 0.
const SLL_TUN = fromHex(`0004 fffe 0000 0000000000000000 0800 ${TUN_IP}`);

// The same four in SLL2: protocol | reserved | ifindex | hatype | pkttype | halen | address.
// tshark sll.ifindex: 2 (the veth in A), 2 (the veth in B), 1 (lo), 3 (the tun).
const SLL2_OUT = fromHex(`0800 0000 00000002 0001 04 06 02000000000a0000 ${IGMP_IP}`);
const SLL2_MCAST_IN = fromHex(`0800 0000 00000002 0001 02 06 02000000000a0000 ${HELLO_IP}`);
const SLL2_LO = fromHex(`0800 0000 00000001 0304 00 06 0000000000000000 ${LO_IP}`);
const SLL2_TUN = fromHex(`0800 0000 00000003 fffe 04 00 0000000000000000 ${TUN_IP}`);

const sllCodec: RoundTripCodec<ParsedSllRepr> = {
  length: sllLength,
  emit: emitSll,
  decode: (buf, offset, length) => parseSll(new SllView().reset(buf, offset, length)),
};
const sll2Codec: RoundTripCodec<ParsedSll2Repr> = {
  length: sll2Length,
  emit: emitSll2,
  decode: (buf, offset, length) => parseSll2(new Sll2View().reset(buf, offset, length)),
};

describe('SllView (LINKTYPE_LINUX_SLL) on real captures', () => {
  it('decodes an outgoing IGMP report and hands IPv4 the right bytes', () => {
    const v = new SllView().reset(SLL_OUT, 0, SLL_OUT.length);
    expect([v.packetType, v.arphrdType, v.addressLength, v.protocol]).toEqual([4, 1, 6, 0x0800]);
    expect(v.addrOffset).toBe(6);
    expect(v.payloadOffset).toBe(16);
    expect(v.payloadLength).toBe(40);
    expect(parseSll(v)).toEqual({
      packetType: 'outgoing',
      packetTypeCode: 4,
      arphrdType: 1,
      addressLength: 6,
      address: '02:00:00:00:00:0a',
      protocol: 0x0800,
    });
    const ip = new Ipv4View().reset(SLL_OUT, v.payloadOffset, v.payloadLength, true);
    expect(ip.hasRouterAlert()).toBe(true);
    expect(ip.checksumValid()).toBe(true);
  });

  it('decodes received multicast, loopback and tun (no address) headers', () => {
    expect(parseSll(new SllView().reset(SLL_MCAST_IN, 0, SLL_MCAST_IN.length))).toMatchObject({ packetType: 'multicast', packetTypeCode: 2 });
    expect(parseSll(new SllView().reset(SLL_LO, 0, SLL_LO.length))).toEqual({
      packetType: 'host', packetTypeCode: 0, arphrdType: 772, addressLength: 6, address: '00:00:00:00:00:00', protocol: 0x0800,
    });
    expect(parseSll(new SllView().reset(SLL_TUN, 0, SLL_TUN.length))).toEqual({
      packetType: 'outgoing', packetTypeCode: 4, arphrdType: 0xfffe, addressLength: 0, address: '', protocol: 0x0800,
    });
  });

  it('gives absolute offsets inside a larger buffer and rebinds', () => {
    const buf = new Uint8Array(100).fill(0xee);
    buf.set(SLL_MCAST_IN, 21);
    const v = new SllView();
    v.reset(buf, 21, SLL_MCAST_IN.length);
    expect(v.addrOffset).toBe(27);
    expect(v.payloadOffset).toBe(37);
    expect(buf[v.payloadOffset]).toBe(0x45);
    v.reset(SLL_TUN, 0, SLL_TUN.length);
    expect(v.addressLength).toBe(0);
    expect(v.payloadOffset).toBe(16);
  });

  it('ERR_SLL_TRUNCATED below 16 bytes (layer sll)', () => {
    const e = expectWireError(() => new SllView().reset(SLL_OUT, 0, 15), 'ERR_SLL_TRUNCATED', 0, TruncatedError);
    expect(e.layer).toBe('sll');
  });

  it('round-trips the four real headers at offset 10', () => {
    for (const f of [SLL_OUT, SLL_MCAST_IN, SLL_LO, SLL_TUN]) {
      assertRoundTrip(parseSll(new SllView().reset(f, 0, f.length)), sllCodec, f.subarray(0, 16));
    }
  });

  it('a stripped VLAN tag re-inserted by libpcap (protocol 0x8100, TCI and inner type after the header)', () => {
    // Hand-built per libpcap's pcap-linux.c: for LINUX_SLL the tag goes at the protocol field (offset 14), so the
    // protocol reads 0x8100 and TCI + the real protocol follow the 16-byte header. VID 100, PCP 3.
    const f = fromHex(`0002 0001 0006 02000000000a0000 8100 | 6064 0800 | ${HELLO_IP}`);
    const v = new SllView().reset(f, 0, f.length);
    expect(v.protocol).toBe(0x8100);
    const tags = new VlanStack();
    expect(tags.walk(f, 0, 14, v.payloadOffset, f.length)).toBe(1);
    expect([tags.vid(0), tags.pcp(0)]).toEqual([100, 3]);
    expect(tags.end).toBe(20);
    const ip = new Ipv4View().reset(f, tags.end, f.length - tags.end, true);
    expect(ip.protocol).toBe(17);
  });
});

describe('Sll2View (LINKTYPE_LINUX_SLL2) on real captures', () => {
  it('decodes an outgoing IGMP report with its interface index', () => {
    const v = new Sll2View().reset(SLL2_OUT, 0, SLL2_OUT.length);
    expect([v.protocol, v.reserved, v.ifindex, v.arphrdType, v.packetType, v.addressLength]).toEqual([0x0800, 0, 2, 1, 4, 6]);
    expect(v.addrOffset).toBe(12);
    expect(v.payloadOffset).toBe(20);
    expect(v.payloadLength).toBe(40);
    expect(parseSll2(v)).toEqual({
      packetType: 'outgoing',
      packetTypeCode: 4,
      arphrdType: 1,
      addressLength: 6,
      address: '02:00:00:00:00:0a',
      protocol: 0x0800,
      ifindex: 2,
      reserved: 0,
    });
    const ip = new Ipv4View().reset(SLL2_OUT, v.payloadOffset, v.payloadLength, true);
    expect(ip.dst).toBe(0xe0000016);
  });

  it('decodes received multicast, loopback and tun headers', () => {
    expect(parseSll2(new Sll2View().reset(SLL2_MCAST_IN, 0, SLL2_MCAST_IN.length))).toMatchObject({ packetType: 'multicast', ifindex: 2 });
    expect(parseSll2(new Sll2View().reset(SLL2_LO, 0, SLL2_LO.length))).toMatchObject({
      packetType: 'host', arphrdType: 772, ifindex: 1, address: '00:00:00:00:00:00',
    });
    expect(parseSll2(new Sll2View().reset(SLL2_TUN, 0, SLL2_TUN.length))).toMatchObject({
      packetType: 'outgoing', arphrdType: 0xfffe, ifindex: 3, addressLength: 0, address: '',
    });
  });

  it('ERR_SLL_TRUNCATED below 20 bytes (layer sll2)', () => {
    const e = expectWireError(() => new Sll2View().reset(SLL2_OUT, 0, 19), 'ERR_SLL_TRUNCATED', 0, TruncatedError);
    expect(e.layer).toBe('sll2');
  });

  it('round-trips the four real headers at offset 10', () => {
    for (const f of [SLL2_OUT, SLL2_MCAST_IN, SLL2_LO, SLL2_TUN]) {
      assertRoundTrip(parseSll2(new Sll2View().reset(f, 0, f.length)), sll2Codec, f.subarray(0, 20));
    }
  });

  it('reads an interface index above 2^31 as unsigned', () => {
    const f = fromHex('0800 0000 fffffffe 0001 00 06 02000000000a0000');
    expect(new Sll2View().reset(f, 0, f.length).ifindex).toBe(0xfffffffe);
  });
});

describe('cooked headers: odd addresses and builders', () => {
  it('keeps non-zero bytes beyond the address length (addressPad) so emit is byte-exact', () => {
    const f = fromHex('0000 0001 0004 0a0b0c0d dead beef 0800');
    const r = parseSll(new SllView().reset(f, 0, f.length));
    expect(r.address).toBe('0a:0b:0c:0d');
    expect(hex(r.addressPad!)).toBe('deadbeef');
    assertRoundTrip(r, sllCodec, f);
  });

  it('an address length above 8 (InfiniBand, ARPHRD 32, 20-byte addresses): the 8 stored bytes, length kept', () => {
    const f = fromHex('0800 0000 00000005 0020 00 14 8000004801020304');
    const r = parseSll2(new Sll2View().reset(f, 0, f.length));
    expect(r.addressLength).toBe(20);
    expect(r.address).toBe('80:00:00:48:01:02:03:04');
    assertRoundTrip(r, sll2Codec, f);
  });

  it('unknown packet types are data: the code is kept', () => {
    const f = fromHex('0009 0001 0006 02000000000a0000 0800');
    const r = parseSll(new SllView().reset(f, 0, f.length));
    expect([r.packetType, r.packetTypeCode]).toEqual(['unknown', 9]);
    assertRoundTrip(r, sllCodec, f);
    expect(packetTypeName(7)).toBe('kernel');
    expect(packetTypeName(8)).toBe('unknown');
  });

  it('builders: names, computed address length, payload appended, verbatim values', () => {
    const payload = fromHex(IGMP_IP);
    const sll = encodeSll({ packetType: 'outgoing', arphrdType: 1, address: '02:00:00:00:00:0a', protocol: 0x0800 }, payload);
    expect(hex(sll)).toBe(hex(SLL_OUT));
    const sll2 = encodeSll2({ packetType: 'outgoing', arphrdType: 1, address: '02:00:00:00:00:0a', protocol: 0x0800, ifindex: 2 }, payload);
    expect(hex(sll2)).toBe(hex(SLL2_OUT));
    // A lying address length and a non-zero reserved field, verbatim.
    const odd = encodeSll2({ packetType: 'host', arphrdType: 1, address: '02:00:00:00:00:0a', addressLength: 9, protocol: 0x0800, ifindex: 1, reserved: 0xabcd });
    expect(hex(odd)).toBe('0800abcd00000001000100' + '09' + '02000000000a0000');
  });

  it('builders reject what cannot be encoded', () => {
    const buf = new Uint8Array(32);
    expect(() => emitSll({ packetType: 'unknown', arphrdType: 1, address: '', protocol: 0x800 }, buf, 0)).toThrow(RangeError);
    expect(() => emitSll({ packetType: 'host', arphrdType: 1, address: '01:02:03:04:05:06:07:08:09', protocol: 0x800 }, buf, 0)).toThrow(RangeError);
    expect(() => emitSll({ packetType: 'host', arphrdType: 1, address: 'zz', protocol: 0x800 }, buf, 0)).toThrow(RangeError);
    expect(() => emitSll2({ packetType: 'host', arphrdType: 1, address: '', protocol: 0x800, ifindex: -1 }, buf, 0)).toThrow(RangeError);
    expect(() => emitSll2({ packetType: 'host', arphrdType: 1, address: '', addressLength: 256, protocol: 0x800, ifindex: 1 }, buf, 0)).toThrow(RangeError);
    expect(buf.every((x) => x === 0)).toBe(true);
  });
});

describe('cooked header properties', () => {
  const field = fc.uint8Array({ minLength: 8, maxLength: 8 });

  it('any 16/20 header bytes round-trip exactly through parse and emit', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (f) => {
      assertRoundTrip(parseSll(new SllView().reset(f, 0, 16)), sllCodec, f);
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (f) => {
      assertRoundTrip(parseSll2(new Sll2View().reset(f, 0, 20)), sll2Codec, f);
    }), { numRuns: 500 });
  });

  it('an address length of 6 always gives the MAC form of the first 6 bytes', () => {
    fc.assert(fc.property(field, (addr) => {
      const f = new Uint8Array(16);
      f[5] = 6;
      f.set(addr, 6);
      const r = parseSll(new SllView().reset(f, 0, 16));
      expect(r.address).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(r.address.replace(/:/g, '')).toBe(hex(addr.subarray(0, 6)));
    }), { numRuns: 200 });
  });

  it('any byte string: reset + parse either work or throw a WireError', () => {
    const a = new SllView();
    const b = new Sll2View();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 30 }), (bytes) => {
      for (const run of [() => parseSll(a.reset(bytes, 0, bytes.length)), () => parseSll2(b.reset(bytes, 0, bytes.length))]) {
        try {
          run();
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
          expect(e.code).toBe('ERR_SLL_TRUNCATED');
        }
      }
    }), { numRuns: 1000 });
  });
});
