/**
 * The replay hot path builds the table's numeric message (WireMessage) straight from the decoder's views with
 * ReusedMessageBuilder; sniff, the querier and library users hand the table the text form (membershipMessage(),
 * built from the full repr), which the table converts with WireMessageBuffer.fromRepr. Both roads must give the
 * table the same message for every IGMP frame of every fixture.
 */
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/decode/frame.js';
import { MessageKind, WireMessageBuffer, type WireMessage } from '../../src/membership/message.js';
import { openCapture } from '../../src/pcap/index.js';
import { ReusedMessageBuilder, membershipMessage } from '../../src/replay/membership.js';
import { fixtureCaptures } from '../support/fixtures.js';

/** What the table reads of a message, as plain data. */
function plain(m: WireMessage): unknown {
  const base = {
    time: m.time, iface: m.iface, vlan: m.vlan, frame: m.frame, kind: m.kind, checksumOk: m.checksumOk,
    srcIp: m.srcIp, srcMac: [m.srcMacHi, m.srcMacHi < 0 ? 0 : m.srcMacLo],
  };
  switch (m.kind) {
    case MessageKind.QUERY:
      return {
        ...base, group: m.group, queryVersion: m.queryVersion, suppress: m.suppress, qrv: m.qrv, qqi: m.qqi,
        sources: [...m.sources.subarray(0, m.querySources)],
      };
    case MessageKind.V3_REPORT: {
      const records = [];
      for (let i = 0; i < m.recordCount; i++) {
        const at = m.recordStart[i]!;
        records.push({ type: m.recordType[i], group: m.recordGroup[i], sources: [...m.sources.subarray(at, at + m.recordSources[i]!)] });
      }
      return { ...base, records };
    }
    case MessageKind.OTHER:
      return base;
    default:
      return { ...base, group: m.group };
  }
}

describe('ReusedMessageBuilder equals the table\'s conversion of membershipMessage', () => {
  it.each(fixtureCaptures())('%s', (file) => {
    const r = openCapture(file);
    const d = new FrameDecoder();
    const b = new ReusedMessageBuilder();
    const conv = new WireMessageBuffer();
    let n = 0;
    let compared = 0;
    for (let rec = r.next(); rec !== null; rec = r.next()) {
      n++;
      d.decode(rec.linkType, rec.buf, rec.offset, rec.caplen);
      if (!d.hasIgmp || d.error !== null) continue;
      const time = rec.tsSec + rec.tsNsec * 1e-9;
      b.time[0] = time;
      const fast = plain(b.build(d, rec.ifaceName, n));
      expect(fast, `${file} frame ${n}`).toEqual(plain(conv.fromRepr(membershipMessage(d, time, rec.ifaceName, n))));
      compared++;
    }
    r.close();
    expect(compared).toBeGreaterThan(0);
  });
});

describe('WireMessageBuffer.fromRepr', () => {
  it('takes addresses as signed 32-bit numbers and a MAC as two', () => {
    const m = new WireMessageBuffer().fromRepr({
      time: 1, iface: null, vlan: null, srcIp: '192.168.1.2', srcMac: '02:00:5e:10:00:fe', dstIp: '224.0.0.22', frame: 7,
      igmp: {
        type: 'report', typeCode: 0x22, version: 3, maxRespCode: 0, group: '0.0.0.0', checksumOk: true,
        records: [{ type: 'ALLOW_NEW_SOURCES', typeCode: 5, group: '239.1.2.3', sources: ['10.0.0.1', '10.0.0.2'] }],
      },
    });
    expect(m.kind).toBe(MessageKind.V3_REPORT);
    expect(m.srcIp).toBe(0xc0a80102 | 0);
    expect([m.srcMacHi, m.srcMacLo]).toEqual([0x0200, 0x5e1000fe]);
    expect(m.recordCount).toBe(1);
    expect(m.recordGroup[0]).toBe(0xef010203 | 0);
    expect([...m.sources.subarray(0, 2)]).toEqual([0x0a000001, 0x0a000002]);
  });

  it('refuses text that is no address, naming it', () => {
    const msg = {
      time: 1, iface: null, vlan: null, srcIp: '10.0.0.300', srcMac: null, dstIp: '224.0.0.1', frame: null,
      igmp: { type: 'report' as const, typeCode: 0x16, version: 2 as const, maxRespCode: 0, group: '239.1.1.1' },
    };
    expect(() => new WireMessageBuffer().fromRepr(msg)).toThrow(/10\.0\.0\.300/);
  });
});
