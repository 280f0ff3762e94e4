/**
 * compileFilter: libpcap's BPF over frames held in memory (replay --filter). No root needed. The frames are
 * hand-built from the RFCs' layouts and taken from the kernel-made fixtures; tshark's display filter over the
 * same files is the reference for which frames are IGMP, UDP, ...
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SystemError } from '../../src/errors.js';
import { compileFilter } from '../../src/capture/filter.js';
import { nativeAvailable } from '../../src/capture/native.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import { requireLive } from '../support/live.js';
import { ROOT, hasCommand, readClassicPcap } from './support.js';

const haveNative = nativeAvailable();
if (!haveNative) {
  if (requireLive) throw new Error('MCAST_REQUIRE_LIVE=1 but the libpcap addon is not built');
  console.warn('skipping filter tests: the libpcap addon is not built');
}
const haveTshark = hasCommand('tshark');
if (!haveTshark && requireLive) throw new Error('MCAST_REQUIRE_LIVE=1 but tshark is missing');

/** Ethernet + IPv4 (+ Router Alert when igmp) + payload; IPv4 checksum computed. */
function frame(proto: 'igmp' | 'udp', dst: [number, number, number, number], payload: number[]): Uint8Array {
  const opts = proto === 'igmp' ? [0x94, 0x04, 0x00, 0x00] : []; // RFC 2113 Router Alert, as RFC 2236 2 asks
  const ihl = 20 + opts.length;
  const f = new Uint8Array(14 + ihl + payload.length);
  const mcast = dst[0] >= 224 && dst[0] <= 239;
  // RFC 1112 6.4: 01:00:5e + low 23 bits of the group.
  const dmac = mcast ? [0x01, 0x00, 0x5e, dst[1] & 0x7f, dst[2], dst[3]] : [0x02, 0, 0, 0, 0, 0x02];
  f.set([...dmac, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
  const total = ihl + payload.length;
  f.set([0x40 | (ihl / 4), proto === 'igmp' ? 0xc0 : 0, total >> 8, total & 0xff, 0, 1, 0, 0, proto === 'igmp' ? 1 : 64,
    proto === 'igmp' ? 2 : 17, 0, 0, 10, 0, 0, 1, ...dst, ...opts], 14);
  const c = internetChecksum(f, 14, 14 + ihl);
  f[24] = c >> 8;
  f[25] = c & 0xff;
  f.set(payload, 14 + ihl);
  return f;
}

// RFC 2236 2: IGMPv2 Membership Report (0x16) for 239.1.1.1; the checksum (over the 8 bytes) is filled in below.
const igmpBody = [0x16, 0x00, 0x00, 0x00, 239, 1, 1, 1];
{
  const c = internetChecksum(Uint8Array.from(igmpBody), 0, 8);
  igmpBody[2] = c >> 8;
  igmpBody[3] = c & 0xff;
}
const IGMP = frame('igmp', [239, 1, 1, 1], igmpBody);
// RFC 768: UDP 12345 -> 9999, length 12, checksum 0 (none), 4 payload bytes; unicast destination.
const UDP = frame('udp', [10, 0, 0, 2], [0x30, 0x39, 0x27, 0x0f, 0x00, 0x0c, 0x00, 0x00, 1, 2, 3, 4]);

describe.skipIf(!haveNative)('compileFilter', () => {
  it('igmp matches the IGMP frame and not the UDP one; udp the reverse', () => {
    const igmp = compileFilter(1, 'igmp');
    const udp = compileFilter(1, 'udp');
    expect(igmp.expression).toBe('igmp');
    expect(igmp.linkType).toBe(1);
    expect([igmp(IGMP, 0, IGMP.length), igmp(UDP, 0, UDP.length)]).toEqual([true, false]);
    expect([udp(IGMP, 0, IGMP.length), udp(UDP, 0, UDP.length)]).toEqual([false, true]);
    const m = compileFilter(1, 'ip multicast and dst host 239.1.1.1');
    expect([m(IGMP, 0, IGMP.length), m(UDP, 0, UDP.length)]).toEqual([true, false]);
  });

  it('reads the frame at its offset inside a larger buffer, and nothing past caplen', () => {
    const big = new Uint8Array(10 + IGMP.length + 40).fill(0xa5);
    big.set(IGMP, 10);
    const igmp = compileFilter(1, 'igmp');
    expect(igmp(big, 10, IGMP.length)).toBe(true);
    expect(igmp(big, 11, IGMP.length)).toBe(false);
    // Caplen 20 stops inside the IPv4 header (the protocol byte is at 23): the program rejects, never reads on.
    expect(igmp(big, 10, 20)).toBe(false);
    expect(compileFilter(1, 'igmp[0] = 0x16')(big, 10, IGMP.length)).toBe(true);
  });

  it('len, greater and less test the wire length, which defaults to caplen', () => {
    const greater = compileFilter(1, 'greater 500');
    const less = compileFilter(1, 'less 100');
    expect(greater(UDP, 0, UDP.length)).toBe(false);
    expect(greater(UDP, 0, UDP.length, 1000)).toBe(true);
    expect(less(UDP, 0, UDP.length)).toBe(true);
    expect(less(UDP, 0, UDP.length, 1000)).toBe(false);
  });

  it('a frame outside the buffer is an argument error, not a read past it', () => {
    const igmp = compileFilter(1, 'igmp');
    expect(() => igmp(IGMP, 0, IGMP.length + 1)).toThrow(/outside the buffer/);
    expect(() => igmp(IGMP, IGMP.length, 1)).toThrow(/outside the buffer/);
  });

  it.each(['igmp and', 'ip proto nosuch', 'udp port 99999', 'host 300.1.1.1', '('])(
    'bad expression %j is ERR_BAD_FILTER naming it',
    (expr) => {
      let err: unknown;
      try {
        compileFilter(1, expr);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SystemError);
      expect((err as SystemError).code).toBe('ERR_BAD_FILTER');
      expect((err as SystemError).message).toContain(`'${expr}'`);
      expect((err as SystemError).message).not.toContain('\n');
    },
  );

  it('an expression the link type cannot express is ERR_BAD_FILTER', () => {
    // Raw IPv4 (DLT_RAW 101) has no Ethernet header.
    expect(() => compileFilter(101, 'ether host 02:00:00:00:00:01')).toThrow(expect.objectContaining({ code: 'ERR_BAD_FILTER' }));
  });

  describe.skipIf(!haveTshark)('over the kernel fixtures, the same frames as tshark', () => {
    const cases: [string, string, string][] = [
      ['kernel-igmpv2.pcap', 'igmp', 'igmp'],
      ['kernel-igmpv2.pcap', 'igmp[0] = 0x17', 'igmp.type == 0x17'],
      ['kernel-igmpv3.pcap', 'igmp', 'igmp'],
      ['kernel-igmpv3.pcap', 'dst host 224.0.0.22', 'ip.dst == 224.0.0.22'],
      ['kernel-igmpv3.pcap', 'udp and dst port 5002', 'udp.dstport == 5002'],
      ['kernel-any.pcap', 'igmp', 'igmp'],
      ['kernel-any.pcap', 'udp', 'udp'],
      ['kernel-any.pcap', 'src host 10.0.2.1 or src host 10.0.3.1', 'ip.src == 10.0.2.1 || ip.src == 10.0.3.1'],
    ];
    it.each(cases)('%s: %j selects what tshark -Y %j does', (file, bpf, display) => {
      const path = join(ROOT, 'fixtures', file);
      const cap = readClassicPcap(path);
      const f = compileFilter(cap.linkType, bpf);
      const mine = cap.records.flatMap((r, i) => (f(r.data, 0, r.caplen, r.wirelen) ? [i + 1] : []));
      const out = execFileSync('tshark', ['-n', '-r', path, '-Y', display, '-T', 'fields', '-e', 'frame.number'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const theirs = out.trim().split('\n').filter(Boolean).map(Number);
      expect(theirs.length).toBeGreaterThan(0);
      expect(mine).toEqual(theirs);
    });
  });
});
