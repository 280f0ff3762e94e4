/**
 * The kernel-made fixtures hold what fixtures/README.md says (checked with tshark's decoding, so a re-recording
 * that lost a message kind fails here): IGMPv2 reports and leaves on one link, IGMPv3 state-change records of
 * every kind on the other, multicast UDP on both, and the `any` and pcapng captures holding the same packets.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireLive } from '../support/live.js';
import { ROOT, hasCommand, readClassicPcap } from './support.js';

const haveTshark = hasCommand('tshark');
if (!haveTshark && requireLive) throw new Error('MCAST_REQUIRE_LIVE=1 but tshark is missing');

const fx = (f: string) => join(ROOT, 'fixtures', f);

function fields(file: string, filter: string, names: string[]): string[][] {
  const args = ['-n', '-r', fx(file), '-Y', filter, '-T', 'fields', '-E', 'separator=|'];
  for (const n of names) args.push('-e', n);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter(Boolean).map((l) => l.split('|'));
}

/** One key per IPv4 packet, whatever the link layer: the same packet in two captures has the same key. */
const packets = (file: string) => fields(file, 'ip', ['ip.src', 'ip.dst', 'ip.id', 'ip.len']).map((r) => r.join(' ')).sort();

describe('kernel fixtures', () => {
  it.each(['kernel-igmpv2.pcap', 'kernel-igmpv3.pcap', 'kernel-any.pcap', 'kernel-igmp.pcapng'])('%s is under 50 KB', (f) => {
    expect(statSync(fx(f)).size).toBeLessThan(50 * 1024);
  });

  it('link types and timestamp units of the classic files', () => {
    const v2 = readClassicPcap(fx('kernel-igmpv2.pcap'));
    const v3 = readClassicPcap(fx('kernel-igmpv3.pcap'));
    const any = readClassicPcap(fx('kernel-any.pcap'));
    expect([v2.linkType, v2.nano]).toEqual([1, false]);
    expect([v3.linkType, v3.nano]).toEqual([1, true]);
    expect([any.linkType, any.nano]).toEqual([276, false]); // LINKTYPE_LINUX_SLL2
    expect(any.records.length).toBe(v2.records.length + v3.records.length);
  });

  describe.skipIf(!haveTshark)('decoded by tshark', () => {
    it('kernel-igmpv2.pcap: v2 reports to the group, leaves to 224.0.0.2, UDP to 239.1.1.1', () => {
      const igmp = fields('kernel-igmpv2.pcap', 'igmp', ['igmp.version', 'igmp.type', 'ip.dst', 'igmp.maddr']);
      expect(new Set(igmp.map((r) => `${r[0]} ${r[1]}`))).toEqual(new Set(['2 0x16', '2 0x17']));
      for (const [, type, dst, group] of igmp) expect(dst).toBe(type === '0x17' ? '224.0.0.2' : group);
      expect(new Set(igmp.filter((r) => r[1] === '0x17').map((r) => r[3]))).toEqual(new Set(['239.1.1.1', '239.1.1.2', '232.1.1.1']));
      expect(new Set(fields('kernel-igmpv2.pcap', 'udp', ['ip.dst']).map((r) => r[0]))).toEqual(new Set(['239.1.1.1']));
    });

    it('kernel-igmpv3.pcap: v3 reports to 224.0.0.22 with TO_IN, TO_EX, ALLOW and BLOCK records, sources and several records', () => {
      const igmp = fields('kernel-igmpv3.pcap', 'igmp', ['igmp.type', 'ip.dst', 'igmp.num_grp_recs', 'igmp.record_type', 'igmp.saddr']);
      expect(new Set(igmp.map((r) => `${r[0]} ${r[1]}`))).toEqual(new Set(['0x22 224.0.0.22']));
      const recordTypes = new Set(igmp.flatMap((r) => r[3]!.split(',')));
      expect(recordTypes).toEqual(new Set(['3', '4', '5', '6'])); // RFC 3376 4.2.12: change records only (no querier)
      expect(igmp.some((r) => Number(r[2]) >= 2)).toBe(true);
      expect(igmp.some((r) => r[4]!.split(',').length >= 2)).toBe(true);
      const udp = new Set(fields('kernel-igmpv3.pcap', 'udp', ['ip.src', 'ip.dst', 'udp.dstport']).map((r) => r.join(' ')));
      expect(udp).toEqual(new Set(['10.0.3.2 239.2.2.1 5001', '10.0.3.1 232.2.2.1 5002']));
    });

    it('kernel-any.pcap (SLL2) and kernel-igmp.pcapng hold the packets of both links', () => {
      const both = [...packets('kernel-igmpv2.pcap'), ...packets('kernel-igmpv3.pcap')].sort();
      expect(packets('kernel-any.pcap')).toEqual(both);
      expect(packets('kernel-igmp.pcapng')).toEqual(both);
      const names = new Set(fields('kernel-igmp.pcapng', 'frame', ['frame.interface_name']).map((r) => r[0]));
      expect(names).toEqual(new Set(['r-v2', 'r-v3']));
    });
  });
});
