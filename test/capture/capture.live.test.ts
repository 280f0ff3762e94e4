/**
 * LiveCapture against the kernel, inside namespaces this file creates:
 *
 *   ns A  pa 10.77.0.1/24  ── veth ──  pb 10.77.0.2/24  ns B (MTU 1400)
 *
 * The library runs in a probe child (test/capture/probe.mjs, started with `ip netns exec`) next to tcpdump on the
 * same interface; tcpdump's file is the reference for timestamps, lengths and bytes, `ip -j addr` for interfaces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internetChecksum } from '../../src/wire/checksum.js';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { Probe, ensureBuilt, readClassicPcap, runProbe, startTcpdump, stopTcpdump, type ProbeLine } from './support.js';

const live = liveGate(['tcpdump', 'python3', 'setpriv']);

const hex = (u8: Uint8Array) => Buffer.from(u8).toString('hex');

/** Python in ns A sending UDP datagrams of the given payload sizes to 10.77.0.2:9999. */
function sendUdpScript(sizes: number[], gapMs: number): string {
  return [
    'import socket, time',
    // A socket with SO_TIMESTAMPNS (35) makes the kernel stamp every received skb once (net_enable_timestamp),
    // so every packet tap reads that same stamp instead of reading the clock itself.
    'keep = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); keep.setsockopt(socket.SOL_SOCKET, 35, 1)',
    'time.sleep(0.3)',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    `for n in ${JSON.stringify(sizes)}:`,
    "    s.sendto(bytes(range(256)) * (n // 256) + bytes(n % 256), ('10.77.0.2', 9999))",
    `    time.sleep(${gapMs / 1000})`,
  ].join('\n');
}

/** Ethernet II + IPv4 + UDP, worked out from RFC 791 / RFC 768 layouts; IPv4 header checksum computed. */
function udpFrame(payload: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
  const ip = 14;
  const total = 20 + 8 + payload;
  f.set([0x45, 0, total >> 8, total & 0xff, 0x12, 0x34, 0, 0, 64, 17, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2], ip);
  const c = internetChecksum(f, ip, ip + 20);
  f[ip + 10] = c >> 8;
  f[ip + 11] = c & 0xff;
  f.set([0x30, 0x39, 0x27, 0x0f, (8 + payload) >> 8, (8 + payload) & 0xff, 0, 0], ip + 20);
  for (let i = 0; i < payload; i++) f[ip + 28 + i] = (i * 7) & 0xff;
  return f;
}

describe.skipIf(!live.ok)('live capture in namespaces', () => {
  let lab: Lab;
  let A: string;
  let B: string;
  let tmp: string;

  beforeAll(() => {
    ensureBuilt();
    tmp = mkdtempSync(join(tmpdir(), 'mcast-cap-'));
    lab = new Lab('cap');
    A = lab.ns('A');
    B = lab.ns('B');
    lab.veth(A, 'pa', '10.77.0.1/24', B, 'pb', '10.77.0.2/24');
    lab.exec(B, 'ip', ['link', 'set', 'pb', 'mtu', '1400']);
  });
  afterAll(() => {
    lab?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function captureBesideTcpdump(opts: {
    precision: 'nano' | 'micro';
    consume: 'run' | 'iterate';
    snaplen: number;
    sizes: number[];
  }): Promise<{ frames: ProbeLine[]; stats: ProbeLine; ref: ReturnType<typeof readClassicPcap> }> {
    const file = join(tmp, `ref-${opts.precision}-${opts.consume}.pcap`);
    const td = await startTcpdump(lab, B, ['-i', 'pb', `--time-stamp-precision=${opts.precision}`, 'udp port 9999'], file);
    const probe = new Probe(lab, B, {
      mode: 'capture',
      iface: 'pb',
      consume: opts.consume,
      options: { snaplen: opts.snaplen, filter: 'udp port 9999', tstampPrecision: opts.precision },
      count: opts.sizes.length,
      timeoutMs: 15_000,
    });
    expect((await probe.waitFor('ready')).event).toBe('ready');
    lab.exec(A, 'python3', ['-c', sendUdpScript(opts.sizes, 10)]);
    expect(await probe.exit()).toBe(0);
    await stopTcpdump(td);
    expect(probe.of('error')).toEqual([]);
    expect(probe.of('done')).toEqual([{ event: 'done', frames: opts.sizes.length }]);
    return { frames: probe.of('frame'), stats: probe.of('stats')[0]!, ref: readClassicPcap(file) };
  }

  it('nanosecond timestamps, wire lengths and bytes equal tcpdump\'s, with a snaplen shorter than the frames', async () => {
    const sizes = [100, 333, 1000, 1358, 18];
    const { frames, stats, ref } = await captureBesideTcpdump({ precision: 'nano', consume: 'run', snaplen: 64, sizes });
    expect(ref.nano).toBe(true);
    expect(ref.records.length).toBe(sizes.length);
    expect(frames.length).toBe(sizes.length);
    frames.forEach((f, i) => {
      const r = ref.records[i]!;
      expect(f.tsDigits).toBe(9);
      expect(f.linkType).toBe(1);
      expect(f.iface).toBe('pb');
      // Same skb, same stamp: equal to the nanosecond.
      expect([f.tsSec, f.tsNsec]).toEqual([r.tsSec, r.tsFrac]);
      // Wire length is the real one (Ethernet 14 + IPv4 20 + UDP 8 + payload), not the snapshot.
      expect(f.wirelen).toBe(14 + 20 + 8 + sizes[i]!);
      expect(f.wirelen).toBe(r.wirelen);
      expect(f.caplen).toBe(Math.min(64, f.wirelen as number));
      expect(f.hex).toBe(hex(r.data.subarray(0, 64)));
    });
    expect(stats).toMatchObject({ event: 'stats', recv: sizes.length, drop: 0 });
  });

  it('microsecond precision through async iteration reports 6 digits and equals tcpdump\'s default stamps', async () => {
    const sizes = [60, 600, 1300];
    const { frames, ref } = await captureBesideTcpdump({ precision: 'micro', consume: 'iterate', snaplen: 262144, sizes });
    expect(ref.nano).toBe(false);
    expect(frames.length).toBe(3);
    frames.forEach((f, i) => {
      const r = ref.records[i]!;
      expect(f.tsDigits).toBe(6);
      expect([f.tsSec, f.tsNsec]).toEqual([r.tsSec, r.tsFrac * 1000]);
      expect([f.caplen, f.wirelen]).toEqual([r.caplen, r.wirelen]);
      expect(f.hex).toBe(hex(r.data));
    });
  });

  it('the kernel drop counter shows frames lost while the reader did not read', async () => {
    const probe = new Probe(lab, B, { mode: 'stall', iface: 'pb', options: { bufferSize: 65536, filter: 'udp port 9999' } });
    expect((await probe.waitFor('ready')).event).toBe('ready');
    lab.exec(A, 'python3', ['-c', sendUdpScript(Array(1500).fill(200), 0)]);
    probe.child.stdin!.write('go\n');
    const st = await probe.waitFor('stats');
    expect(await probe.exit()).toBe(0);
    expect(st.drop as number).toBeGreaterThan(0);
    expect(st.recv as number).toBeGreaterThanOrEqual(st.drop as number);
    expect(st.ifdrop).toBe(0);
  });

  it.each(['run', 'iterate'])('SIGINT closes a waiting capture (%s) and nothing keeps the process alive', async (consume) => {
    const probe = new Probe(lab, B, { mode: 'capture', iface: 'pb', consume, timeoutMs: 60_000 });
    expect((await probe.waitFor('ready')).event).toBe('ready');
    probe.child.kill('SIGINT');
    // The probe never calls process.exit: it ends only if close() released every libuv handle.
    expect(await probe.exit(5000)).toBe(0);
    expect(probe.of('done')).toHaveLength(1);
    expect(probe.of('stats')).toHaveLength(1);
  });

  it('inject sends the exact bytes given (seen by tcpdump on the peer)', async () => {
    const frame = udpFrame(50);
    const file = join(tmp, 'inject.pcap');
    const td = await startTcpdump(lab, B, ['-i', 'pb', 'ether src 02:00:00:00:00:01'], file);
    const lines = await runProbe(lab, A, { mode: 'inject', iface: 'pa', frames: [hex(frame), hex(frame)] });
    await stopTcpdump(td);
    expect(lines.filter((l) => l.event !== 'ready')).toEqual([
      { event: 'sent', bytes: frame.length },
      { event: 'sent', bytes: frame.length },
    ]);
    const ref = readClassicPcap(file);
    expect(ref.records.map((r) => hex(r.data))).toEqual([hex(frame), hex(frame)]);
  });

  it('inject refuses a missing interface, a down one, and a frame beyond the MTU', async () => {
    const code = (lines: ProbeLine[]) => lines.find((l) => l.event === 'error')?.code ?? null;
    const frame = hex(udpFrame(50));
    expect(code(await runProbe(lab, A, { mode: 'inject', iface: 'nope0', frames: [frame] }))).toBe('ERR_NO_SUCH_INTERFACE');

    lab.exec(A, 'ip', ['link', 'add', 'dn0', 'type', 'veth', 'peer', 'name', 'dn1']); // created down
    expect(code(await runProbe(lab, A, { mode: 'inject', iface: 'dn0', frames: [frame] }))).toBe('ERR_INTERFACE_DOWN');

    // Up when opened, down when sending: the kernel's ENETDOWN becomes the same code.
    lab.exec(A, 'ip', ['link', 'set', 'dn1', 'up']);
    lab.exec(A, 'ip', ['link', 'set', 'dn0', 'up']);
    const late = await runProbe(lab, A, { mode: 'inject', raw: true, downBefore: true, iface: 'dn0', frames: [frame] });
    expect(late[0]).toMatchObject({ event: 'ready' });
    expect(code(late)).toBe('ERR_INTERFACE_DOWN');

    const big = await runProbe(lab, A, { mode: 'inject', iface: 'pa', frames: [hex(udpFrame(1600))] });
    expect(code(big)).toBe('ERR_FRAME_TOO_LONG');
    expect(big.find((l) => l.event === 'error')!.message).toContain('MTU 1500');
  });

  it('open errors carry stable codes: no such interface, bad filter, no CAP_NET_RAW', async () => {
    const err = async (req: object, prefix: string[] = []) => (await runProbe(lab, B, req, prefix)).find((l) => l.event === 'error');
    expect(await err({ mode: 'open', iface: 'nope0' })).toMatchObject({ code: 'ERR_NO_SUCH_INTERFACE', name: 'SystemError' });
    const bad = await err({ mode: 'open', iface: 'pb', options: { filter: 'udp port 99999' } });
    expect(bad).toMatchObject({ code: 'ERR_BAD_FILTER' });
    expect(bad!.message).toContain('udp port 99999');
    // Root without CAP_NET_RAW (dropped from the bounding set before exec).
    const perm = await err({ mode: 'open', iface: 'pb' }, ['setpriv', '--bounding-set=-net_raw', '--inh-caps=-net_raw']);
    expect(perm).toMatchObject({ code: 'ERR_PERMISSION' });
    expect(perm!.message).toMatch(/root or the CAP_NET_RAW capability/);
  });

  it('listInterfaces and `mcast interfaces` agree with `ip -j addr`', async () => {
    interface IpAddr {
      ifname: string;
      mtu: number;
      flags: string[];
      addr_info: { family: string; local: string; prefixlen: number }[];
    }
    const ref = JSON.parse(lab.exec(B, 'ip', ['-j', 'addr', 'show'])) as IpAddr[];
    const lines = await runProbe(lab, B, { mode: 'list' });
    const list = lines[0]!.interfaces as {
      name: string;
      up: boolean;
      running: boolean;
      loopback: boolean;
      multicast: boolean | null;
      mtu: number | null;
      pseudo: boolean;
      ipv4: { address: string; prefixLength: number | null }[];
    }[];
    for (const r of ref) {
      const mine = list.find((i) => i.name === r.ifname);
      expect(mine, r.ifname).toBeDefined();
      expect(mine).toMatchObject({
        mtu: r.mtu,
        up: r.flags.includes('UP'),
        running: r.flags.includes('UP') && r.flags.includes('LOWER_UP'),
        loopback: r.flags.includes('LOOPBACK'),
        multicast: r.flags.includes('MULTICAST'),
        pseudo: false,
      });
      expect(mine!.ipv4).toEqual(
        r.addr_info.filter((a) => a.family === 'inet').map((a) => ({ address: a.local, netmask: expect.any(String), prefixLength: a.prefixlen })),
      );
    }
    expect(list.find((i) => i.name === 'pb')).toMatchObject({ mtu: 1400, multicast: true, up: true, running: true });
    expect(list.find((i) => i.name === 'any')).toMatchObject({ pseudo: true, mtu: null });
    expect(list.filter((i) => i.pseudo).map((i) => i.name)).toEqual(['any']);

    const json = new Probe(lab, B, { mode: 'cli', argv: ['interfaces', '--json'] });
    expect(await json.exit()).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(list);

    const text = new Probe(lab, B, { mode: 'cli', argv: ['interfaces'] });
    expect(await text.exit()).toBe(0);
    const rows = text.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(rows[0]).toEqual(['NAME', 'STATE', 'FLAGS', 'MTU', 'IPV4']);
    expect(rows.find((r) => r[0] === 'pb')).toEqual(['pb', 'up,running', 'multicast', '1400', '10.77.0.2/24']);
  });
});
