import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MalformedError, TruncatedError, WireError } from '../../src/errors.js';
import {
  EthernetView,
  VlanStack,
  emitEthernet,
  encodeEthernet,
  ethernetHeaderLength,
  parseEthernet,
  type EthernetRepr,
  type ParsedEthernetRepr,
} from '../../src/wire/ethernet.js';
import { assertRoundTrip, expectWireError, fromHex, hex, type RoundTripCodec } from '../support/roundtrip.js';

// A real IGMPv3 report (join 239.1.2.3, to_ex, Router Alert), sent by the Linux kernel in a network namespace after
// IP_ADD_MEMBERSHIP on a veth (MAC 02:00:00:00:00:0a, net.ipv4.conf.all.force_igmp_version=3) and captured on the
// peer with `tcpdump -i l2h-vb -w eth.pcap igmp`; `tcpdump -r eth.pcap -XX` prints these 54 bytes and tshark decodes
// eth.dst 01:00:5e:00:00:16, eth.src 02:00:00:00:00:0a, eth.type 0x0800. veth does not pad to 60 bytes.
const IP_V3_REPORT = '46c00028000040000102f9950a630001e0000016940400002200e8f90000000104000000ef010203';
const REAL_V3_FRAME = fromHex(`01005e000016 02000000000a 0800 ${IP_V3_REPORT}`);

// Tagged copies of that frame, tags worked out from IEEE 802.1Q clause 9.6 (TPID, then TCI = PCP:3 DEI:1 VID:12) and
// checked with `text2pcap vlan.txt vlan.pcap; tshark -r vlan.pcap -T fields -e vlan.id -e vlan.priority -e vlan.dei
// -e ieee8021ad.id -e ieee8021ad.priority -e ieee8021ad.dei -e vlan.etype`:
// depth 1: 8100 a00a            -> tshark: vlan id 10, priority 5, dei 0, etype 0x0800
const Q1 = fromHex(`01005e000016 02000000000a 8100 a00a 0800 ${IP_V3_REPORT}`);
// depth 2: 88a8 0064, 8100 7014 -> tshark: ieee8021ad id 100 pri 0 dei 0; vlan id 20, priority 3, dei 1
const Q2 = fromHex(`01005e000016 02000000000a 88a8 0064 8100 7014 0800 ${IP_V3_REPORT}`);
// depth 3: 9100 e12c, 88a8 1fff, 8100 2000 -> tshark: "QinQ: old non-standard 802.1ad (0x9100)" id 300 pri 7;
// ieee8021ad id 4095 dei 1; vlan id 0 priority 1
const Q3 = fromHex(`01005e000016 02000000000a 9100 e12c 88a8 1fff 8100 2000 0800 ${IP_V3_REPORT}`);

const codec: RoundTripCodec<ParsedEthernetRepr> = {
  length: ethernetHeaderLength,
  emit: emitEthernet,
  decode: (buf, offset, length) => parseEthernet(new EthernetView().reset(buf, offset, length)),
};

/** Place bytes at `at` inside a larger buffer filled with 0xee, to check that offsets are absolute. */
function placed(bytes: Uint8Array, at: number): Uint8Array {
  const buf = new Uint8Array(at + bytes.length + 7).fill(0xee);
  buf.set(bytes, at);
  return buf;
}

describe('EthernetView on real and hand-built frames', () => {
  it('decodes the kernel IGMPv3 frame', () => {
    const v = new EthernetView().reset(REAL_V3_FRAME, 0, REAL_V3_FRAME.length);
    expect(v.etherType).toBe(0x0800);
    expect(v.vlanCount).toBe(0);
    expect(v.headerLength).toBe(14);
    expect(v.payloadOffset).toBe(14);
    expect(v.payloadLength).toBe(40);
    expect(v.dstIsGroup).toBe(true);
    expect(parseEthernet(v)).toEqual({ dst: '01:00:5e:00:00:16', src: '02:00:00:00:00:0a', vlans: [], etherType: 0x0800 });
  });

  it('gives absolute offsets when the frame sits inside a larger buffer', () => {
    const buf = placed(Q1, 33);
    const v = new EthernetView().reset(buf, 33, Q1.length);
    expect(v.dstOffset).toBe(33);
    expect(v.srcOffset).toBe(39);
    expect(v.payloadOffset).toBe(33 + 18);
    expect(v.payloadLength).toBe(40);
    expect(buf[v.payloadOffset]).toBe(0x46);
    expect(parseEthernet(v).src).toBe('02:00:00:00:00:0a');
  });

  it('reads one 802.1Q tag', () => {
    const v = new EthernetView().reset(Q1, 0, Q1.length);
    expect(v.vlanCount).toBe(1);
    expect([v.vlanTpid(0), v.vlanId(0), v.vlanPcp(0), v.vlanDei(0)]).toEqual([0x8100, 10, 5, false]);
    expect(v.etherType).toBe(0x0800);
    expect(v.headerLength).toBe(18);
  });

  it('reads an 802.1ad S-tag over an 802.1Q C-tag', () => {
    const v = new EthernetView().reset(Q2, 0, Q2.length);
    expect(v.vlanCount).toBe(2);
    expect([v.vlanTpid(0), v.vlanId(0), v.vlanPcp(0), v.vlanDei(0)]).toEqual([0x88a8, 100, 0, false]);
    expect([v.vlanTpid(1), v.vlanId(1), v.vlanPcp(1), v.vlanDei(1)]).toEqual([0x8100, 20, 3, true]);
    expect(v.etherType).toBe(0x0800);
    expect(v.payloadOffset).toBe(22);
  });

  it('reads three tags including the old 0x9100 TPID', () => {
    const v = new EthernetView().reset(Q3, 0, Q3.length);
    expect(parseEthernet(v).vlans).toEqual([
      { tpid: 0x9100, pcp: 7, dei: false, vid: 300 },
      { tpid: 0x88a8, pcp: 0, dei: true, vid: 4095 },
      { tpid: 0x8100, pcp: 1, dei: false, vid: 0 },
    ]);
    expect(v.etherType).toBe(0x0800);
    expect(v.headerLength).toBe(26);
    expect(v.payloadLength).toBe(40);
  });

  it('rebinds one view from a tagged frame to an untagged one', () => {
    const v = new EthernetView();
    v.reset(Q3, 0, Q3.length);
    expect(v.vlanCount).toBe(3);
    v.reset(REAL_V3_FRAME, 0, REAL_V3_FRAME.length);
    expect(v.vlanCount).toBe(0);
    expect(v.payloadOffset).toBe(14);
    expect(() => v.vlanId(0)).toThrow(RangeError);
  });

  it('returns an IEEE 802.3 length field as data', () => {
    // 802.3 frame with an LLC header: type/length 0x0026 (38 bytes of LLC data follow), hand-built.
    const f = fromHex(`0180c2000000 02000000000a 0026 424203000000 ${'00'.repeat(32)}`);
    const v = new EthernetView().reset(f, 0, f.length);
    expect(v.etherType).toBe(0x0026);
    expect(v.payloadLength).toBe(38);
  });

  it('takes a tag with a VID of 0 (priority tag) and a frame ending right after the last type', () => {
    const f = fromHex('01005e000016 02000000000a 8100 0000 0800');
    const v = new EthernetView().reset(f, 0, f.length);
    expect(v.vlanCount).toBe(1);
    expect(v.payloadLength).toBe(0);
  });
});

describe('Ethernet errors', () => {
  it('ERR_ETH_TRUNCATED below 14 bytes', () => {
    expectWireError(() => new EthernetView().reset(REAL_V3_FRAME, 0, 13), 'ERR_ETH_TRUNCATED', 0, TruncatedError);
    expectWireError(() => new EthernetView().reset(new Uint8Array(0), 0, 0), 'ERR_ETH_TRUNCATED', 0);
  });

  it('ERR_VLAN_TRUNCATED when a tag or the type after it is cut, offset at its TPID', () => {
    // 14 bytes ending in 8100: the TCI is missing.
    const e1 = expectWireError(() => new EthernetView().reset(Q1, 0, 14), 'ERR_VLAN_TRUNCATED', 12, TruncatedError);
    expect(e1.layer).toBe('vlan');
    // TCI present, next type cut.
    expectWireError(() => new EthernetView().reset(Q1, 0, 17), 'ERR_VLAN_TRUNCATED', 12);
    // Second tag of Q2 cut: its TPID is at 16.
    expectWireError(() => new EthernetView().reset(Q2, 0, 21), 'ERR_VLAN_TRUNCATED', 16);
    // Third tag of Q3 cut: TPID at 20.
    expectWireError(() => new EthernetView().reset(Q3, 0, 23), 'ERR_VLAN_TRUNCATED', 20);
    // Offsets stay relative to the Ethernet header when the frame sits at 40 in a larger buffer.
    expectWireError(() => new EthernetView().reset(placed(Q2, 40), 40, 21), 'ERR_VLAN_TRUNCATED', 16);
  });

  it('a region outside the buffer is a programming error (RangeError), not a WireError', () => {
    expect(() => new EthernetView().reset(Q1, 10, Q1.length)).toThrow(RangeError);
  });

  it('emit rejects fields that do not fit', () => {
    const base: EthernetRepr = { dst: '01:00:5e:00:00:01', src: '02:00:00:00:00:01', etherType: 0x0800 };
    const buf = new Uint8Array(64);
    expect(() => emitEthernet({ ...base, vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 4096 }] }, buf, 0)).toThrow(RangeError);
    expect(() => emitEthernet({ ...base, vlans: [{ pcp: 8, dei: false, vid: 1 }] }, buf, 0)).toThrow(RangeError);
    expect(() => emitEthernet({ ...base, dst: 'nope' }, buf, 0)).toThrow(RangeError);
    expect(() => emitEthernet({ ...base, etherType: 0x10000 }, buf, 0)).toThrow(RangeError);
    // Nothing was written by the failed attempts.
    expect(buf.every((b) => b === 0)).toBe(true);
  });
});

describe('Ethernet emit', () => {
  it('round-trips the real frame header and the tagged headers at offset 10, byte for byte', () => {
    for (const frame of [REAL_V3_FRAME, Q1, Q2, Q3]) {
      const repr = parseEthernet(new EthernetView().reset(frame, 0, frame.length));
      const hl = ethernetHeaderLength(repr);
      assertRoundTrip(repr, codec, frame.subarray(0, hl));
    }
  });

  it('encodeEthernet with payload rebuilds the whole real frame; tpid defaults to 0x8100', () => {
    const repr: EthernetRepr = { dst: '01:00:5e:00:00:16', src: '02:00:00:00:00:0a', etherType: 0x0800 };
    expect(hex(encodeEthernet(repr, fromHex(IP_V3_REPORT)))).toBe(hex(REAL_V3_FRAME));
    const tagged = encodeEthernet({ ...repr, vlans: [{ pcp: 5, dei: false, vid: 10 }] }, fromHex(IP_V3_REPORT));
    expect(hex(tagged)).toBe(hex(Q1));
    expect(hex(encodeEthernet(repr))).toBe(hex(REAL_V3_FRAME.subarray(0, 14)));
  });
});

describe('Ethernet properties', () => {
  const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':'));
  const tagArb = fc.record({
    tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100),
    pcp: fc.integer({ min: 0, max: 7 }),
    dei: fc.boolean(),
    vid: fc.integer({ min: 0, max: 4095 }),
  });
  const typeArb = fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== 0x8100 && t !== 0x88a8 && t !== 0x9100);
  const reprArb = fc.record({ dst: macArb, src: macArb, vlans: fc.array(tagArb, { maxLength: 6 }), etherType: typeArb });

  it('round-trips random headers', () => {
    fc.assert(fc.property(reprArb, (repr) => {
      assertRoundTrip(repr, codec);
    }), { numRuns: 300 });
  });

  it('any byte string: reset + parse either decode or throw a WireError, never anything else', () => {
    const v = new EthernetView();
    // Bias toward TPIDs so deep and cut tag stacks are common.
    const bytesArb = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x81, 0x00, 0x88, 0xa8, 0x91)), { maxLength: 40 })
      .map((a) => Uint8Array.from(a));
    fc.assert(fc.property(bytesArb, fc.integer({ min: 0, max: 5 }), (bytes, at) => {
      const buf = placed(bytes, at);
      try {
        v.reset(buf, at, bytes.length);
        const r = parseEthernet(v);
        expect(v.payloadOffset + v.payloadLength).toBe(at + bytes.length);
        expect(r.vlans.length).toBe(v.vlanCount);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        expect(e instanceof TruncatedError || e instanceof MalformedError).toBe(true);
        expect(e.offset).toBeGreaterThanOrEqual(0);
        expect(e.offset).toBeLessThanOrEqual(bytes.length);
      }
    }), { numRuns: 2000 });
  });

  it('VlanStack walks the same tags wherever the type field sits', () => {
    // Cooked-capture layout (libpcap re-inserts a stripped tag at the SLL protocol field, offset 14): the first TPID
    // is in the header and the TCI plus inner type follow the 16-byte header.
    const sll = fromHex('0002 0001 0006 02000000000a 0000 8100 | 6064 0800 | 4500');
    const s = new VlanStack();
    expect(s.walk(sll, 0, 14, 16, sll.length)).toBe(1);
    expect([s.tpid(0), s.vid(0), s.pcp(0), s.dei(0)]).toEqual([0x8100, 100, 3, false]);
    expect(s.innerTypeOffset).toBe(18);
    expect(s.end).toBe(20);
  });
});
