/**
 * `replay --at` over a capture whose records are in time order per interface only, as dumpcap writes a pcapng of
 * several ports (seen in test/membership/bridge.live.test.ts): a record past --at must not end the replay, since a
 * later record of another interface may be earlier than --at.
 */
import { describe, expect, it } from 'vitest';
import { craft } from '../../src/craft/craft.js';
import { FrameDecoder, LinkType } from '../../src/decode/frame.js';
import type { LineSink } from '../../src/format/sink.js';
import type { CaptureRecord } from '../../src/pcap/index.js';
import { MembershipObserver } from '../../src/replay/membership.js';

function v2Report(group: string, src: string): Uint8Array {
  return craft({ igmp: { kind: 'v2-report', group }, ip: { src }, eth: { src: '02:00:00:00:00:01' } }).frames[0]!.bytes;
}

function record(bytes: Uint8Array, tsSec: number, tsNsec: number, ifaceName: string): CaptureRecord {
  return {
    buf: bytes, offset: 0, caplen: bytes.length, wirelen: bytes.length, tsSec, tsNsec, tsDigits: 9,
    linkType: LinkType.ETHERNET, ifaceIndex: ifaceName === 'p1' ? 0 : 1, ifaceName, fileOffset: 0, section: 0, hasTimestamp: true,
  };
}

describe('replay --at with interfaces interleaved out of time order', () => {
  it('keeps reading past a record later than --at', () => {
    const lines: string[] = [];
    const out = { line: (s: string) => void lines.push(s), flush: () => undefined } as unknown as LineSink;
    const obs = new MembershipObserver({ table: true, events: false, json: true, at: { absolute: { sec: 1000, frac: 0.5 } }, timers: {} }, out);
    const d = new FrameDecoder();
    // File order: p1 at 999.0, p2 at 1001.0 (past --at), p1 at 1000.2 (before --at, written after the p2 record).
    const recs = [
      record(v2Report('239.1.1.1', '10.0.0.11'), 999, 0, 'p1'),
      record(v2Report('239.2.2.2', '10.0.0.12'), 1001, 0, 'p2'),
      record(v2Report('239.3.3.3', '10.0.0.11'), 1000, 200_000_000, 'p1'),
    ];
    recs.forEach((r, i) => {
      d.decode(r.linkType, r.buf, r.offset, r.caplen);
      obs.frame(d, r, i + 1);
    });
    obs.end();
    const snap = JSON.parse(lines.at(-1)!);
    expect(snap.groups.map((g: { iface: string; group: string }) => `${g.iface} ${g.group}`)).toEqual(['p1 239.1.1.1', 'p1 239.3.3.3']);
    // 260 s GMI (RFC 3376 section 8.4 defaults) from each report, read at --at.
    expect(snap.groups.map((g: { expiresIn: number }) => g.expiresIn)).toEqual([258.5, 259.7]);
  });
});
