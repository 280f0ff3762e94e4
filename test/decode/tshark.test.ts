/**
 * Every fixture capture decoded by mcastkit and by tshark (`tshark -T json` on the same file), compared field by
 * field: link, VLAN stack, IPv4 header, Router Alert, UDP, IGMP (version, type, times, group, checksum verdict,
 * v3 query fields and sources, v3 group records). tshark is an independent decoder; where it differs from the
 * RFC the comparison says so and which section.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/decode/frame.js';
import { buildFrameJson, type FrameJson } from '../../src/decode/record.js';
import { formatTimestamp, openCapture } from '../../src/pcap/index.js';
import { liveGate } from '../support/live.js';

const gate = liveGate(['tshark']);

function fixtureFiles(): string[] {
  const out: string[] = [];
  for (const dir of ['fixtures', 'fixtures/formats']) {
    for (const f of readdirSync(dir)) if (/\.(pcap|pcapng)$/.test(f)) out.push(join(dir, f));
  }
  return out.sort();
}

function ours(file: string): FrameJson[] {
  const r = openCapture(file);
  const d = new FrameDecoder();
  const out: FrameJson[] = [];
  let n = 0;
  for (let rec = r.next(); rec !== null; rec = r.next()) {
    d.decode(rec.linkType, rec.buf, rec.offset, rec.caplen);
    out.push(buildFrameJson(d, { n: ++n, ts: formatTimestamp(rec.tsSec, rec.tsNsec, rec.tsDigits), len: rec.wirelen, iface: rec.ifaceName }));
  }
  r.close();
  return out;
}

type Layers = Record<string, any>;
function theirs(file: string): Layers[] {
  const text = execFileSync(
    'tshark',
    ['-r', file, '-T', 'json', '--no-duplicate-keys', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return (JSON.parse(text) as { _source: { layers: Layers } }[]).map((p) => p._source.layers);
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [v as string]);
const num = (v: string): number => (v.startsWith('0x') ? parseInt(v, 16) : Number(v));

/** Seconds since the epoch as tshark prints frame.time_epoch, from our ISO text (same digits). */
function epochText(iso: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso)!;
  const sec = Date.parse(`${m[1]}Z`) / 1000;
  return m[2] === undefined ? `${sec}` : `${sec}.${m[2]}`;
}

/** Fields of a tshark subtree, searched at any depth (options and records nest under free-text keys). */
function findKey(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (k === key) return v;
    const inner = findKey(v, key);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function compareFrame(o: FrameJson, t: Layers, compared: Set<string>): void {
  const f = t.frame;
  expect(o.len, 'frame.len').toBe(num(f['frame.len']));
  expect(o.caplen, 'frame.cap_len').toBe(num(f['frame.cap_len']));
  // tshark prints time_epoch with 9 digits; ours has the file's precision: compare as exact decimals.
  const theirTs = f['frame.time_epoch'] as string;
  const ourTs = epochText(o.ts);
  expect(theirTs.startsWith(ourTs) && /^0*$/.test(theirTs.slice(ourTs.length)), `time ${ourTs} vs ${theirTs}`).toBe(true);
  const ifname = findKey(f, 'frame.interface_name');
  // tshark says 'unknown' for an interface without if_name. In a second section, tshark 4.0 names the interface
  // after the FIRST section's IDB of the same index (here 'eth0' for an SLL interface named 'any'), although
  // pcapng interface IDs are per section (draft-ietf-opsawg-pcapng section 4.1): names are compared in section 1.
  if (ifname !== undefined && ifname !== 'unknown' && f['frame.section_number'] === '1') expect(o.iface, 'interface name').toBe(ifname);
  compared.add('frame');

  if (t.eth !== undefined) {
    expect(o.eth?.src).toBe(t.eth['eth.src']);
    expect(o.eth?.dst).toBe(t.eth['eth.dst']);
    const vids = [...list(t.ieee8021ad?.['ieee8021ad.id']), ...list(t.vlan?.['vlan.id'])].map(Number);
    expect(o.eth?.vlan ?? [], 'vlan ids outer first').toEqual(vids);
    compared.add('eth');
  }
  if (t.sll !== undefined && o.sll !== undefined) {
    expect(o.sll.type).toBe(num(t.sll['sll.etype']));
    expect(o.sll.pktType).toBe(num(t.sll['sll.pkttype']));
    if (t.sll['sll.ifindex'] !== undefined) expect(o.sll.ifindex).toBe(num(t.sll['sll.ifindex']));
    if (t.sll['sll.src.eth'] !== undefined) expect(o.sll.src).toBe(t.sll['sll.src.eth']);
    compared.add('sll');
  }
  const ip = t.ip;
  if (ip !== undefined) {
    expect(o.ip, 'ip layer').toBeDefined();
    const p = o.ip!;
    expect(p.src).toBe(ip['ip.src']);
    expect(p.dst).toBe(ip['ip.dst']);
    expect(p.ttl).toBe(num(ip['ip.ttl']));
    expect(p.proto).toBe(num(ip['ip.proto']));
    expect(p.hlen).toBe(num(ip['ip.hdr_len']));
    expect(p.totlen).toBe(num(ip['ip.len']));
    expect(p.id).toBe(num(ip['ip.id']));
    expect(p.tos).toBe(num(ip['ip.dsfield']));
    expect(p.df).toBe(ip['ip.flags_tree']['ip.flags.df'] === '1');
    expect(p.mf).toBe(ip['ip.flags_tree']['ip.flags.mf'] === '1');
    // tshark 4.0's ip.frag_offset is the raw 13-bit field (8-byte units); ours is in bytes, as the contract says.
    expect(p.fragOffset).toBe(num(ip['ip.frag_offset']) * 8);
    expect(p.checksumOk).toBe(ip['ip.checksum.status'] === '1');
    expect(p.routerAlert).toBe(findKey(ip, 'ip.options.routeralert') !== undefined);
    compared.add('ip');
  }
  // tshark reassembles IPv4 fragments and shows UDP on the last one; we decode the first fragment's header only
  // (RFC 791: later fragments carry no L4 header), so UDP is compared on unfragmented packets.
  const fragmented = o.ip !== undefined && (o.ip.mf || o.ip.fragOffset !== 0);
  if (t.udp !== undefined && !fragmented) {
    const u = o.udp!;
    expect(u.srcPort).toBe(num(t.udp['udp.srcport']));
    expect(u.dstPort).toBe(num(t.udp['udp.dstport']));
    expect(u.len).toBe(num(t.udp['udp.length']));
    const status = findKey(t.udp, 'udp.checksum.status');
    // tshark: 1 good, 0 bad, 3 not present (checksum 0, RFC 768), 2 unverified (truncated).
    const expected = status === '1' ? true : status === '0' ? false : null;
    expect(u.checksumOk, 'udp checksum verdict').toBe(expected);
    compared.add('udp');
  }
  const g = t.igmp;
  if (g !== undefined && o.igmp !== undefined) compareIgmp(o, g, compared);
  if (t.dvmrp !== undefined) {
    // DVMRP rides in IGMP type 0x13: tshark hands it to its own dissector; we decode it as an unknown IGMP type.
    expect(o.igmp?.type).toBe('unknown');
    expect(o.igmp?.typeCode).toBe(num(t.dvmrp['dvmrp.type']));
    compared.add('dvmrp');
  }
}

function compareIgmp(o: FrameJson, g: Layers, compared: Set<string>): void {
  const ig = o.igmp!;
  expect(ig.typeCode, 'igmp.type').toBe(num(g['igmp.type']));
  if (ig.type === 'unknown') {
    compared.add('igmp-unknown');
    return;
  }
  // RFC 3376 section 7.1: a 9-11 byte query is not a valid v1, v2 or v3 query and is ignored; tshark labels it v2.
  if (ig.version === 0) {
    expect(o.error).toMatch(/igmp/);
    compared.add('igmp-bad-length-query');
    return;
  }
  expect(ig.version, 'igmp.version').toBe(num(g['igmp.version']));
  const status = g['igmp.checksum.status'];
  if (status === '1' || status === '0') expect(ig.checksumOk, 'igmp checksum').toBe(status === '1');
  if (ig.typeCode === 0x22) {
    const recs = Object.entries(g)
      .filter(([k]) => k.startsWith('Group Record'))
      .map(([, v]) => v as Layers);
    const ourRecs = ig.records ?? [];
    if (o.error === undefined) expect(num(g['igmp.num_grp_recs'])).toBe(ourRecs.length);
    // A record cut short by the capture: tshark shows its start, we keep only complete records (and an error).
    if (o.error === undefined) expect(ourRecs.length).toBe(recs.length);
    else expect(ourRecs.length).toBeLessThanOrEqual(recs.length);
    ourRecs.forEach((ours, i) => {
      const r = recs[i]!;
      expect(ours.typeCode).toBe(num(r['igmp.record_type']));
      expect(ours.auxLen ?? 0).toBe(num(r['igmp.aux_data_len']));
      expect(ours.group).toBe(r['igmp.maddr']);
      expect(ours.sources).toEqual(list(r['igmp.saddr']));
    });
    compared.add('igmp-v3-report');
    return;
  }
  expect(ig.group, 'igmp.maddr').toBe(g['igmp.maddr']);
  if (ig.type === 'query' && ig.version >= 2) {
    // tshark's igmp.max_resp is in tenths of a second, decoded from the exponent form for v3 (RFC 3376 4.1.1).
    expect(Math.round((ig.maxRespTime ?? -1) * 10)).toBe(num(g['igmp.max_resp']));
  }
  if (ig.type === 'query' && ig.version === 3) {
    expect(ig.s).toBe(g['igmp.s'] === '1');
    expect(ig.qrv).toBe(num(g['igmp.qrv']));
    // tshark prints the raw QQIC byte, not the interval: RFC 3376 4.1.7 makes 128 and above an exponent form,
    // which our `qqi` decodes (0x8c -> 224 s); the raw codes must agree.
    expect(ig.qqic).toBe(num(g['igmp.qqic']));
    expect(ig.sources).toEqual(list(g['igmp.saddr']));
    compared.add('igmp-v3-query');
  } else compared.add(`igmp-v${ig.version}-${ig.type}`);
}

describe.skipIf(!gate.ok)('fixtures decoded by mcastkit and by tshark agree field by field', () => {
  const files = fixtureFiles();
  it('has fixtures to compare', () => {
    expect(files.length).toBeGreaterThan(3);
  });
  for (const file of files) {
    it(file, () => {
      const a = ours(file);
      const b = theirs(file);
      expect(a.length, 'frame count').toBe(b.length);
      const compared = new Set<string>();
      a.forEach((o, i) => {
        try {
          compareFrame(o, b[i]!, compared);
        } catch (err) {
          (err as Error).message = `${file} frame ${i + 1}: ${(err as Error).message}`;
          throw err;
        }
      });
      expect(compared.has('frame')).toBe(true);
    });
  }
  it('the synthetic capture exercises every IGMP kind and layer', () => {
    const compared = new Set<string>();
    const a = ours('fixtures/synthetic.pcapng');
    const b = theirs('fixtures/synthetic.pcapng');
    a.forEach((o, i) => compareFrame(o, b[i]!, compared));
    for (const k of ['eth', 'sll', 'ip', 'udp', 'dvmrp', 'igmp-unknown', 'igmp-bad-length-query', 'igmp-v3-report', 'igmp-v3-query', 'igmp-v1-query', 'igmp-v1-report', 'igmp-v2-query', 'igmp-v2-report', 'igmp-v2-leave']) {
      expect(compared, k).toContain(k);
    }
  });
});
