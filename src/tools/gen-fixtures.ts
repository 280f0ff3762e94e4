/**
 * Writes fixtures/synthetic.pcapng: a deterministic capture built with mcastkit's own emitters, covering every IGMP
 * message kind, the record types, VLAN stacks, three link types (Ethernet, raw IPv4, Linux SLL2) in one file, and
 * one frame per conformance rule and per decoding fault. The tests decode it and compare with tshark field by
 * field, so the emitters are checked by an independent decoder.  Run: node dist/tools/gen-fixtures.js [OUT]
 */
import { CaptureWriter } from '../pcap/index.js';
import { buildFrame, type FrameSpec } from '../craft/build.js';
import { encodeSll2 } from '../wire/sll.js';
import type { IgmpRepr } from '../wire/igmp.js';
import type { Ipv4Repr } from '../wire/ipv4.js';

const RA = [{ kind: 'routerAlert' as const, value: 0 }];
const HOST_MAC = '02:00:00:00:00:02';
const ROUTER_MAC = '02:00:00:00:00:01';

function ip(src: string, dst: string, extra: Partial<Ipv4Repr> = {}): Ipv4Repr {
  return { src, dst, ttl: 1, protocol: 2, tos: 0xc0, options: RA, ...extra };
}
function igmpFrame(src: string, dst: string, igmp: IgmpRepr, o: { ip?: Partial<Ipv4Repr>; eth?: FrameSpec['eth'] } = {}): Uint8Array {
  return buildFrame({ eth: o.eth ?? { src: src === '10.0.0.1' ? ROUTER_MAC : HOST_MAC }, ip: ip(src, dst, o.ip), igmp });
}
const q = (version: 1 | 2 | 3, group: string, extra: Partial<IgmpRepr> = {}): IgmpRepr => ({
  type: 'query',
  typeCode: 0x11,
  version,
  maxRespCode: version === 1 ? 0 : 100,
  group,
  ...(version === 3 ? { s: false, qrv: 2, qqic: 125, sources: [] } : {}),
  ...extra,
});
const rep = (version: 1 | 2, group: string): IgmpRepr => ({ type: 'report', typeCode: version === 1 ? 0x12 : 0x16, version, maxRespCode: 0, group });
const leave = (group: string): IgmpRepr => ({ type: 'leave', typeCode: 0x17, version: 2, maxRespCode: 0, group });
const v3rep = (records: IgmpRepr['records']): IgmpRepr => ({ type: 'report', typeCode: 0x22, version: 3, maxRespCode: 0, group: '0.0.0.0', records });
const rec = (typeCode: number, group: string, sources: string[] = [], auxData?: Uint8Array) => ({
  type: (['unknown', 'MODE_IS_INCLUDE', 'MODE_IS_EXCLUDE', 'CHANGE_TO_INCLUDE_MODE', 'CHANGE_TO_EXCLUDE_MODE', 'ALLOW_NEW_SOURCES', 'BLOCK_OLD_SOURCES'][typeCode] ?? 'unknown') as never,
  typeCode,
  group,
  sources,
  ...(auxData ? { auxData } : {}),
});
const unknown = (typeCode: number, extra: Uint8Array): IgmpRepr => ({ type: 'unknown', typeCode, version: 0, maxRespCode: 0, group: '0.0.0.0', extra });
const udp = (src: string, dst: string, dstPort: number, text: string, extra: { checksum?: number; eth?: FrameSpec['eth'] } = {}) =>
  buildFrame({
    eth: extra.eth ?? { src: HOST_MAC },
    ip: { src, dst, ttl: 8, protocol: 17 },
    udp: { srcPort: 40000, dstPort, ...(extra.checksum !== undefined ? { checksum: extra.checksum } : {}), payload: new TextEncoder().encode(text) },
  });

type Entry = { iface: 0 | 1 | 2; frame: Uint8Array; caplen?: number };

export function syntheticFrames(): Entry[] {
  const e: Entry[] = [];
  const eth = (frame: Uint8Array, caplen?: number) => e.push(caplen === undefined ? { iface: 0, frame } : { iface: 0, frame, caplen });
  // Every message kind, by the RFCs' rules (RFC 1112, 2236, 3376).
  eth(igmpFrame('10.0.0.1', '224.0.0.1', q(1, '0.0.0.0'), { ip: { options: [], tos: 0 } }));
  eth(igmpFrame('10.0.0.2', '239.1.1.1', rep(1, '239.1.1.1'), { ip: { options: [], tos: 0 } }));
  eth(igmpFrame('10.0.0.1', '224.0.0.1', q(2, '0.0.0.0')));
  eth(igmpFrame('10.0.0.1', '239.1.1.1', q(2, '239.1.1.1', { maxRespCode: 10 })));
  eth(igmpFrame('10.0.0.2', '239.1.1.1', rep(2, '239.1.1.1')));
  eth(igmpFrame('10.0.0.2', '224.0.0.2', leave('239.1.1.1')));
  // v3 queries: Max Resp Code and QQIC at and beyond 128 (exponent form, RFC 3376 4.1.1 and 4.1.7).
  eth(igmpFrame('10.0.0.1', '224.0.0.1', q(3, '0.0.0.0', { maxRespCode: 0x81, qqic: 125 })));
  eth(igmpFrame('10.0.0.1', '239.1.1.1', q(3, '239.1.1.1', { maxRespCode: 10, s: true, qqic: 0x8c })));
  eth(igmpFrame('10.0.0.1', '232.1.1.1', q(3, '232.1.1.1', { maxRespCode: 0xff, qrv: 7, qqic: 0x80, sources: ['10.0.0.9', '10.0.0.10'] })));
  // v3 report with all six record types, one with aux data (skipped by Aux Data Len, 4.2.6).
  eth(
    igmpFrame(
      '10.0.0.2',
      '224.0.0.22',
      v3rep([
        rec(1, '232.1.1.1', ['10.0.0.9']),
        rec(2, '239.1.1.1', ['10.0.0.7']),
        rec(3, '239.1.1.2', ['10.0.0.8', '10.0.0.9']),
        rec(4, '239.1.1.3', [], new Uint8Array([0xde, 0xad, 0xbe, 0xef])),
        rec(5, '232.1.1.1', ['10.0.0.10']),
        rec(6, '232.1.1.1', ['10.0.0.9']),
      ]),
    ),
  );
  eth(igmpFrame('0.0.0.0', '224.0.0.22', v3rep([rec(4, '239.2.2.2')])));
  // Other protocols carried in IGMP: decoded as unknown, never an error.
  eth(igmpFrame('10.0.0.1', '224.0.0.4', unknown(0x13, new Uint8Array([1, 0, 0, 0, 0xff, 0x03, 0x00, 0x00]))));
  eth(igmpFrame('10.0.0.3', '224.0.0.2', unknown(0x31, new Uint8Array(0))));
  // VLAN stacks: one 802.1Q tag; 802.1ad outer + 802.1Q inner.
  eth(igmpFrame('10.0.0.2', '239.1.1.1', rep(2, '239.1.1.1'), { eth: { src: HOST_MAC, vlans: [{ pcp: 6, dei: false, vid: 100 }] } }));
  eth(
    igmpFrame('10.0.0.2', '224.0.0.22', v3rep([rec(4, '239.3.3.3')]), {
      eth: { src: HOST_MAC, vlans: [{ tpid: 0x88a8, pcp: 0, dei: true, vid: 300 }, { pcp: 5, dei: false, vid: 100 }] },
    }),
  );
  // Multicast UDP: checksum computed, zero (not computed), wrong.
  for (let i = 0; i < 3; i++) eth(udp('10.0.0.5', '239.1.1.1', 7000, `hello ${i}`));
  eth(udp('10.0.0.5', '239.1.1.1', 7001, 'no checksum', { checksum: 0 }));
  eth(udp('10.0.0.5', '239.1.1.1', 7001, 'bad checksum', { checksum: 0x1234 }));
  // Conformance warnings, one rule each.
  eth(igmpFrame('10.0.0.2', '239.1.1.1', { ...rep(2, '239.1.1.1'), checksum: 0xbeef }));
  eth(igmpFrame('10.0.0.2', '239.1.1.1', rep(2, '239.1.1.1'), { ip: { ttl: 64, options: [] } }));
  eth(igmpFrame('10.0.0.2', '239.9.9.9', v3rep([rec(4, '239.9.9.9')])));
  eth(igmpFrame('10.0.0.2', '239.1.1.1', leave('239.1.1.1')));
  eth(igmpFrame('10.0.0.1', '224.0.0.1', q(2, '239.1.1.1')));
  eth(igmpFrame('10.0.0.2', '239.1.1.1', rep(2, '239.1.1.1'), { eth: { src: HOST_MAC, dst: '01:00:5e:01:01:02' } }));
  eth(igmpFrame('224.0.0.9', '239.1.1.1', rep(2, '239.1.1.1')));
  eth(igmpFrame('10.0.0.2', '224.0.0.22', v3rep([rec(5, '239.4.4.4'), rec(9, '239.4.4.5', ['10.0.0.1'])])));
  eth(igmpFrame('10.0.0.1', '224.0.0.1', q(3, '0.0.0.0', { sources: ['10.0.0.9'] })));
  eth(igmpFrame('10.0.0.2', '239.1.1.1', rep(2, '239.1.1.1'), { ip: { checksum: 0x0bad } }));
  // Faults: the decoder reports them and keeps what it decoded before.
  const lying = igmpFrame('10.0.0.2', '224.0.0.22', { ...v3rep([rec(4, '239.5.5.5')]), numberOfGroupRecords: 2 });
  eth(lying);
  eth(igmpFrame('10.0.0.1', '224.0.0.1', { ...unknown(0x11, new Uint8Array([0, 0])), type: 'unknown' }));
  // IPv4 fragments: only the first carries the UDP header (RFC 791).
  eth(buildFrame({ eth: { src: HOST_MAC }, ip: { src: '10.0.0.5', dst: '239.1.1.1', ttl: 8, protocol: 17, mf: true, identification: 77 }, payload: new Uint8Array(64).fill(0x41) }));
  eth(buildFrame({ eth: { src: HOST_MAC }, ip: { src: '10.0.0.5', dst: '239.1.1.1', ttl: 8, protocol: 17, fragmentOffset: 64, identification: 77 }, payload: new Uint8Array(16).fill(0x42) }));
  // Options other than Router Alert: NOP, RA, then EOL padding.
  eth(igmpFrame('10.0.0.2', '239.1.1.1', rep(2, '239.1.1.1'), { ip: { options: [{ kind: 'nop' }, { kind: 'routerAlert', value: 0 }, { kind: 'eol' }, { kind: 'padding', data: new Uint8Array(2) }] } }));
  // Non-IP: an ARP request.
  const arp = new Uint8Array(60);
  arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]);
  eth(arp);
  // Cut by the snap length: the IGMP message is incomplete in the capture.
  eth(igmpFrame('10.0.0.2', '224.0.0.22', v3rep([rec(2, '239.6.6.6', ['10.0.0.1', '10.0.0.2', '10.0.0.3'])])), 50);
  // Raw IPv4 (link type 101) and Linux SLL2 (276, what `tcpdump -i any` writes).
  const rawV3 = buildFrame({ ip: ip('10.0.1.2', '224.0.0.22'), igmp: v3rep([rec(4, '239.7.7.7'), rec(1, '232.7.7.7', ['10.0.1.9'])]) });
  e.push({ iface: 1, frame: rawV3 });
  const rawV2 = buildFrame({ ip: ip('10.0.1.2', '239.7.7.8'), igmp: rep(2, '239.7.7.8') });
  const sll2Header = encodeSll2({ packetType: 'multicast', arphrdType: 1, address: '02:00:00:00:01:02', protocol: 0x0800, ifindex: 3 });
  const sllFrame = new Uint8Array(sll2Header.length + rawV2.length);
  sllFrame.set(sll2Header, 0);
  sllFrame.set(rawV2, sll2Header.length);
  e.push({ iface: 2, frame: sllFrame });
  return e;
}

function main(): void {
  const out = process.argv[2] ?? 'fixtures/synthetic.pcapng';
  const w = CaptureWriter.create(out, { format: 'pcapng', linkType: 1, nanosecond: true, ifaceName: 'lan0' });
  w.addInterface(101, 'raw0');
  w.addInterface(276, 'any');
  const base = Date.UTC(2026, 0, 1, 10, 0, 0) / 1000;
  syntheticFrames().forEach((x, i) => {
    const caplen = x.caplen ?? x.frame.length;
    // A quarter of a second apart, with nanosecond digits that a microsecond reader would lose.
    w.write(x.frame, 0, caplen, x.frame.length, base + Math.floor(i / 4), (i % 4) * 250_000_000 + i * 1001 + 7, x.iface);
  });
  w.close();
  process.stderr.write(`wrote ${out}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
