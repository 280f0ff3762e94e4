/**
 * `mcast replay` and `mcast decode` as a user runs them: the compiled CLI (npm test builds dist/ first), its
 * outputs, filters, exit codes and one-line errors on bad input.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SYN = 'fixtures/synthetic.pcapng';

function mcast(args: string[], input?: Buffer | string, env: Record<string, string> = {}) {
  const r = spawnSync('node', ['bin/mcast.js', ...args], { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const jsonLines = (s: string) => s.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));

describe('mcast replay', () => {
  it('prints one line per IGMP frame by default, every frame with --all', () => {
    const igmp = mcast(['replay', SYN]);
    const all = mcast(['replay', '--all', SYN]);
    expect(igmp.code).toBe(0);
    const lines = igmp.out.trim().split('\n');
    expect(lines.every((l) => /IGMP/.test(l))).toBe(true);
    expect(all.out.trim().split('\n').length).toBe(39);
    expect(lines.length).toBeLessThan(39);
    expect(lines[0]).toBe('2026-01-01 10:00:00.000000007 lan0 10.0.0.1 > 224.0.0.1: IGMPv1 query general');
  });
  it('--json follows the contract: n, ts at the file precision, layers present only when decoded', () => {
    const frames = jsonLines(mcast(['replay', '--all', '--json', SYN]).out);
    expect(frames.map((f) => f.n)).toEqual(Array.from({ length: 39 }, (_, i) => i + 1));
    const q = frames[6];
    expect(q.ts).toBe('2026-01-01T10:00:01.500006013Z');
    expect(q.iface).toBe('lan0');
    expect(q.igmp).toMatchObject({ version: 3, type: 'query', typeCode: 17, maxRespCode: 0x81, maxRespTime: 13.6, group: '0.0.0.0', s: false, qrv: 2, qqic: 125, qqi: 125, sources: [] });
    expect(q.ip).toMatchObject({ hlen: 24, routerAlert: true, checksumOk: true, ttl: 1, tos: 192 });
    expect(q.udp).toBeUndefined();
    const tagged = frames[14];
    expect(tagged.eth.vlan).toEqual([300, 100]);
    expect(tagged.eth.type).toBe(0x0800);
    const noSum = frames[18];
    expect(noSum.udp.checksumOk).toBeNull();
    const arp = frames[35];
    expect(arp.ip).toBeUndefined();
    expect(arp.eth.type).toBe(0x0806);
    expect(frames[30].error).toBe('igmp: truncated group record 2 at byte 54');
  });
  it('--stats --json prints one document with per-group counts (v3 reports per record)', () => {
    const r = mcast(['replay', '--stats', '--json', SYN]);
    const doc = JSON.parse(r.out);
    expect(doc.frames).toBe(39);
    expect(doc.errors).toBe(3);
    const v2reports = doc.igmp.find((c: any) => c.typeCode === 0x16 && c.group === '239.1.1.1');
    expect(v2reports).toMatchObject({ type: 'report', version: 2 });
    expect(doc.streams.find((s: any) => s.port === 7000)).toMatchObject({ group: '239.1.1.1', packets: 3, bytes: 21 });
    expect(doc.records.find((x: any) => x.group === '239.1.1.3')).toMatchObject({ type: 'CHANGE_TO_EXCLUDE_MODE', count: 1 });
  });
  it('--group, --host, --vlan and --count narrow the output', () => {
    const g = jsonLines(mcast(['replay', '--json', '--group', '239.1.1.3', SYN]).out);
    expect(g.map((f) => f.n)).toEqual([10]);
    const h = jsonLines(mcast(['replay', '--all', '--json', '--host', '10.0.0.5', SYN]).out);
    expect(h.every((f) => f.ip.src === '10.0.0.5' || f.ip.dst === '10.0.0.5')).toBe(true);
    expect(h.length).toBe(7);
    const v = jsonLines(mcast(['replay', '--json', '--vlan', '100', SYN]).out);
    expect(v.map((f) => f.n)).toEqual([14, 15]);
    expect(mcast(['replay', '--count', '2', SYN]).out.trim().split('\n').length).toBe(2);
  });
  it("reads standard input with '-'", () => {
    const r = mcast(['replay', '--json', '-'], readFileSync(SYN));
    expect(r.code).toBe(0);
    expect(jsonLines(r.out).length).toBe(jsonLines(mcast(['replay', '--json', SYN]).out).length);
  });
  it('a damaged file: every good frame first, then a one-line error naming the byte offset, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcast-cli-'));
    const whole = readFileSync(SYN);
    const cut = join(dir, 'cut.pcapng');
    writeFileSync(cut, whole.subarray(0, whole.length - 30));
    const r = mcast(['replay', '--all', cut]);
    expect(r.code).toBe(1);
    expect(r.out.trim().split('\n').length).toBe(38);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^mcast: .*cut\.pcapng: pcapng: .*byte \d+/);
    expect(r.err).not.toMatch(/at .*\.js:\d+/);
  });
  it('ends at once when done (src/cli/exit.ts) with every line written: many output batches through a pipe', () => {
    // kernel-any.pcap's records 60 times over (a valid pcap: one header, then records): ~2 MB of --all --json,
    // ~30 of the sink's 64 KiB batches, read by this process through a pipe while the child writes.
    const whole = readFileSync('fixtures/kernel-any.pcap');
    const dir = mkdtempSync(join(tmpdir(), 'mcast-cli-'));
    const big = join(dir, 'big.pcap');
    writeFileSync(big, Buffer.concat([whole.subarray(0, 24), ...Array.from({ length: 60 }, () => whole.subarray(24))]));
    const frames = (JSON.parse(mcast(['replay', '--stats', '--json', 'fixtures/kernel-any.pcap']).out) as { frames: number }).frames;
    const r = mcast(['replay', '--all', '--json', big]);
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out.length).toBeGreaterThan(30 * 64 * 1024);
    const lines = jsonLines(r.out);
    expect(lines).toHaveLength(60 * frames);
    expect(lines.at(-1).n).toBe(60 * frames);
  });
  it('without the libpcap addon, replay works and --filter says it needs libpcap (one line, exit 1)', () => {
    const env = { MCAST_NATIVE: '/nonexistent/mcastpcap.node' };
    expect(mcast(['replay', 'fixtures/kernel-igmpv2.pcap'], undefined, env).code).toBe(0);
    const r = mcast(['replay', 'fixtures/kernel-igmpv2.pcap', '-f', 'igmp'], undefined, env);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^mcast: --filter needs libpcap: the libpcap addon is not built .*apt-get install libpcap-dev.*\n$/);
  });

  it('usage errors exit 2 with one line and the usage hint; missing files exit 1', () => {
    for (const args of [['replay'], ['replay', '--group', '10.0.0.1', SYN], ['replay', '--vlan', '5000', SYN], ['replay', '--bogus', SYN], ['nosuchcommand']]) {
      const r = mcast(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(/^mcast: /);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    const missing = mcast(['replay', '/nonexistent/x.pcap']);
    expect(missing.code).toBe(1);
    expect(missing.err.trim().split('\n')).toHaveLength(1);
    expect(missing.err).toMatch(/x\.pcap/);
    const garbage = join(mkdtempSync(join(tmpdir(), 'mcast-cli-')), 'junk.pcap');
    writeFileSync(garbage, 'this is not a capture file at all');
    const g = mcast(['replay', garbage]);
    expect(g.code).toBe(1);
    expect(g.err).toMatch(/magic/i);
  });
});

describe('mcast decode', () => {
  it('decodes a frame given as hex, like replay does', () => {
    // The v2 report of fixture frame 5, as `mcast replay --json` shows it, re-decoded from its hex.
    const all = jsonLines(mcast(['replay', '--all', '--json', SYN]).out);
    const hexLine = mcast(['decode', '--json', '01005e010101020000000002080046c000200000000001022a140a000002ef010101940400001600f9fcef010101']);
    expect(hexLine.code).toBe(0);
    const d = JSON.parse(hexLine.out);
    expect(d.igmp).toEqual(all[4].igmp);
    expect(d.ip).toEqual(all[4].ip);
  });
  it('reads hex lines from stdin and reports bad hex with its line', () => {
    const r = mcast(['decode', '-'], '# comment\n01005e010101020000000002080046c000200000000001022a140a000002ef010101940400001600f9fcef010101\nzz\n');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/stdin line 3: not hex/);
    const raw = mcast(['decode', '--link', 'raw', '46c000200000000001022a140a000002ef010101940400001600f9fcef010101']);
    expect(raw.out).toMatch(/10\.0\.0\.2 > 239\.1\.1\.1: IGMPv2 report 239\.1\.1\.1/);
  });
});
