/**
 * `mcast send`: which interface the datagrams leave by, their TTL, loopback and payload, as tcpdump captured
 * them on the receiving side and tshark decoded them.
 *
 *   ns X1 (x1 10.1.0.2) ── veth ── (s1 10.1.0.1) ns S (s2 10.2.0.1) ── veth ── (x2 10.2.0.2) ns X2
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { ensureBuilt, mcast, ndjson, sleep, startMcast, startTcpdump, tsharkFields, type Running } from './support.js';

const live = liveGate(['tcpdump', 'tshark']);

describe.skipIf(!live.ok)('mcast send (live)', () => {
  let lab: Lab;
  let S: string;
  let X1: string;
  let X2: string;
  let dir: string;
  let n = 0;

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'mcast-send-'));
    lab = new Lab('snd');
    S = lab.ns('S');
    X1 = lab.ns('X1');
    X2 = lab.ns('X2');
    lab.veth(S, 's1', '10.1.0.1/24', X1, 'x1', '10.1.0.2/24');
    lab.veth(S, 's2', '10.2.0.1/24', X2, 'x2', '10.2.0.2/24');
  });
  afterAll(() => {
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Capture UDP on x1 and x2 while `fn` runs; returns [src, ttl, dst, payload hex] per packet on each side. */
  async function capture(fn: () => void): Promise<{ x1: string[][]; x2: string[][] }> {
    const f1 = join(dir, `x1-${n}.pcap`);
    const f2 = join(dir, `x2-${n++}.pcap`);
    const t1 = await startTcpdump(lab, X1, 'x1', f1, 'udp');
    const t2 = await startTcpdump(lab, X2, 'x2', f2, 'udp');
    fn();
    await sleep(200);
    await Promise.all([t1.stop('SIGINT'), t2.stop('SIGINT')]);
    const fields = ['ip.src', 'ip.ttl', 'ip.dst', 'udp.payload'];
    return { x1: tsharkFields(f1, fields), x2: tsharkFields(f2, fields) };
  }

  it('-i chooses the interface and the source; --ttl sets the TTL', async () => {
    let out = '';
    const got = await capture(() => {
      const r = mcast(S, ['send', '239.8.8.8:5000', '-i', 's2', '--ttl', '7', '-c', '3', '--rate', '1000', '--json', '--interval', '0']);
      expect(r.status).toBe(0);
      out = r.stdout;
    });
    expect(got.x1).toEqual([]);
    expect(got.x2.map((f) => f.slice(0, 3))).toEqual(Array(3).fill(['10.2.0.1', '7', '239.8.8.8']));
    expect(ndjson(out)[0]).toMatchObject({ type: 'sending', source: '10.2.0.1', iface: 's2', ifaceChosen: true, ttl: 7, size: 64 });
    // Each datagram carries the probe header: "MCKP", version 1, header length 24, the sender id, sequence 0, 1, 2.
    const id = ndjson(out)[0]!.senderId as string;
    expect(got.x2.map((f) => f[3]!.replace(/:/g, '').slice(0, 32))).toEqual([0, 1, 2].map((i) => `4d434b50 01 00 0018 ${id} ${i.toString(16).padStart(8, '0')}`.replace(/ /g, '')));
  });

  it('without -i the route decides, and mcast send says which interface that was', async () => {
    lab.exec(S, 'ip', ['route', 'add', '224.0.0.0/4', 'dev', 's1']);
    try {
      let out = '';
      const got = await capture(() => {
        out = mcast(S, ['send', '239.8.8.8:5000', '-c', '2', '--rate', '1000', '--interval', '0']).stdout;
      });
      expect(got.x2).toEqual([]);
      expect(got.x1.map((f) => f.slice(0, 3))).toEqual(Array(2).fill(['10.1.0.1', '1', '239.8.8.8']));
      expect(out.split('\n')[0]).toMatch(/^sending to 239\.8\.8\.8:5000 from 10\.1\.0\.1:\d+ via s1 \(the route's interface\), ttl 1, loop on, 64 B, 1000 pps, 2 datagrams, probe header, sender id [0-9a-f]{8}$/);
      expect(out.split('\n')[1]).toMatch(/^summary: sent 2 datagrams, 128 B in [\d.]+ s: \d+ pps, [\d.]+ [kM]?bit\/s$/);
    } finally {
      lab.exec(S, 'ip', ['route', 'del', '224.0.0.0/4', 'dev', 's1']);
    }
  });

  it('--payload and --hex are sent as given; --header puts the probe header in front', async () => {
    const got = await capture(() => {
      mcast(S, ['send', '239.8.8.8:5000', '-i', 's1', '--payload', 'hello', '-c', '1', '--interval', '0']);
      mcast(S, ['send', '239.8.8.8:5000', '-i', 's1', '--hex', '00 ff 10', '-c', '1', '--interval', '0']);
      mcast(S, ['send', '239.8.8.8:5000', '-i', 's1', '--payload', 'hi', '--header', '-c', '1', '--interval', '0']);
      mcast(S, ['send', '239.8.8.8:5000', '-i', 's1', '--no-header', '--size', '3', '-c', '1', '--interval', '0']);
    });
    const payloads = got.x1.map((f) => f[3]!.replace(/:/g, ''));
    expect(payloads[0]).toBe(Buffer.from('hello').toString('hex'));
    expect(payloads[1]).toBe('00ff10');
    expect(payloads[2]!.slice(0, 8)).toBe('4d434b50');
    expect(payloads[2]!.length).toBe((24 + 2) * 2);
    expect(payloads[2]!.slice(48)).toBe(Buffer.from('hi').toString('hex'));
    expect(payloads[3]).toBe('000000');
  });

  it('loopback: on by default, off with --no-loop', async () => {
    const l: Running = startMcast(lab, S, ['listen', '239.8.8.9:5000', '-i', 's1', '--json', '--interval', '0']);
    await l.waitFor((x) => ndjson(x.stdout).some((o) => o.type === 'listening'), 'the local listener');
    mcast(S, ['send', '239.8.8.9:5000', '-i', 's1', '-c', '2', '--rate', '1000', '--interval', '0']);
    mcast(S, ['send', '239.8.8.9:5000', '-i', 's1', '-c', '3', '--rate', '1000', '--no-loop', '--interval', '0']);
    await sleep(300);
    expect(await l.stop()).toBe(0);
    expect(ndjson(l.stdout).filter((o) => o.type === 'datagram').map((d) => d.source)).toEqual(['10.1.0.1', '10.1.0.1']);
  });

  it('--rate paces: 25 datagrams at 50 pps take about half a second; SIGINT stops early with a summary', async () => {
    const r = mcast(S, ['send', '239.8.8.8:5000', '-i', 's1', '-c', '25', '--rate', '50', '--json', '--interval', '0']);
    const sum = ndjson(r.stdout).find((o) => o.type === 'summary')!;
    expect(sum.datagrams).toBe(25);
    expect(sum.elapsedS).toBeGreaterThan(0.4);
    expect(sum.elapsedS).toBeLessThan(1.5);
    const endless = startMcast(lab, S, ['send', '239.8.8.8:5000', '-i', 's1', '--rate', '20', '--json', '--interval', '0']);
    await endless.waitFor((x) => x.stdout.includes('"sending"'), 'the sender to start');
    await sleep(300);
    expect(await endless.stop('SIGTERM')).toBe(0);
    const s2 = ndjson(endless.stdout).find((o) => o.type === 'summary')!;
    expect(s2.datagrams).toBeGreaterThan(0);
    expect(s2.datagrams).toBeLessThan(20);
  });
});
