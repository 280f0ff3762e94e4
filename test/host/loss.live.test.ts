/**
 * Loss, duplicate and reorder counting end to end. tc netem is the natural tool, but the sch_netem module is not
 * available on every test host (it is not here), so the sender's test hooks do the damage on purpose
 * (MCAST_TEST_DROP_EVERY / _REORDER_EVERY / _DUPLICATE_EVERY, src/host/sender.ts). The expected counts come two
 * independent ways: arithmetic on the documented hook rules, and the sequence numbers tcpdump saw on the wire
 * (decoded by tshark), counted with a plain Set.
 *
 *   ns A (a1 10.1.0.1) ── veth ── (l1 10.1.0.2) ns L
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveGate } from '../support/live.js';
import { Lab } from '../support/netns.js';
import { ensureBuilt, mcast, ndjson, sleep, startMcast, startTcpdump, tsharkFields } from './support.js';

const live = liveGate(['tcpdump', 'tshark']);

describe.skipIf(!live.ok)('loss, duplicates and reordering (live)', () => {
  let lab: Lab;
  let L: string;
  let A: string;
  let dir: string;

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'mcast-loss-'));
    lab = new Lab('los');
    L = lab.ns('L');
    A = lab.ns('A');
    lab.veth(A, 'a1', '10.1.0.1/24', L, 'l1', '10.1.0.2/24');
  });
  afterAll(() => {
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts what the sender dropped, held back and repeated', async () => {
    const N = 1001;
    const pcap = join(dir, 'udp.pcap');
    const tcpdump = await startTcpdump(lab, L, 'l1', pcap, 'udp port 5000');
    const l = startMcast(lab, L, ['listen', '239.6.6.6:5000', '-i', 'l1', '-q', '--json', '--interval', '0']);
    await l.waitFor((x) => ndjson(x.stdout).some((o) => o.type === 'listening'), 'the join');

    const hooks = { MCAST_TEST_DROP_EVERY: '10', MCAST_TEST_REORDER_EVERY: '7', MCAST_TEST_DUPLICATE_EVERY: '13' };
    const s = mcast(A, ['send', '239.6.6.6:5000', '-i', 'a1', '-c', String(N), '--rate', '20000', '--size', '100', '--json', '--interval', '0'], hooks);
    expect(s.status).toBe(0);
    const sent = ndjson(s.stdout).find((o) => o.type === 'summary')!;

    // The hook rules (src/host/sender.ts), by arithmetic over the sequence numbers 0..N-1:
    const seqs = Array.from({ length: N }, (_, i) => i);
    // (Counted also in Python: sum(1 for q in range(1001) if q%13==12 and q%10!=9) == 70, and so on.)
    const dropped = seqs.filter((q) => q % 10 === 9).length;
    const duplicated = seqs.filter((q) => q % 13 === 12 && q % 10 !== 9).length;
    const heldBack = seqs.filter((q) => q % 7 === 6 && q % 10 !== 9 && q !== N - 1).length; // the last is never held
    expect([dropped, duplicated, heldBack]).toEqual([100, 70, 128]);
    expect(sent).toMatchObject({ sequences: N, hookDropped: dropped, datagrams: N - dropped + duplicated, errors: 0 });

    await l.waitFor((x) => x.stdout.length > 0, 'output');
    await sleep(500);
    expect(await l.stop('SIGINT')).toBe(0);
    await tcpdump.stop('SIGINT');
    expect(tcpdump.stderr).toMatch(/\b0 packets dropped by kernel/); // the reference is complete
    const sum = ndjson(l.stdout).find((o) => o.type === 'summary')!;
    expect(sum.streams).toHaveLength(1);
    const st = sum.streams[0];

    // The wire, as tshark decodes it: sequence number = bytes 12-15 of the UDP payload.
    const wire = tsharkFields(pcap, ['udp.payload']).map((f) => parseInt(f[0]!.replace(/:/g, '').slice(24, 32), 16));
    expect(wire).toHaveLength(N - dropped + duplicated);
    const seen = new Set<number>();
    let max = -1;
    let dup = 0;
    let late = 0;
    for (const q of wire) {
      if (seen.has(q)) dup++;
      else {
        if (q < max) late++;
        seen.add(q);
        max = Math.max(max, q);
      }
    }
    expect({ lost: max + 1 - seen.size, duplicates: dup, reordered: late }).toEqual({ lost: dropped, duplicates: duplicated, reordered: heldBack });

    expect(st).toMatchObject({
      source: '10.1.0.1',
      packets: N - dropped + duplicated,
      bytes: (N - dropped + duplicated) * 100,
      lost: dropped,
      duplicates: duplicated,
      reordered: heldBack,
      firstSeq: 0,
      lastSeq: N - 1,
      senderId: ndjson(s.stdout)[0]!.senderId,
    });
    expect(st.delay.minUs).toBeGreaterThanOrEqual(0);
    expect(st.delay.maxUs).toBeLessThan(1_000_000); // same host, same clock
  });

  it('the hooks refuse nonsense values', () => {
    const r = mcast(A, ['send', '239.6.6.6:5000', '-i', 'a1', '-c', '1'], { MCAST_TEST_DROP_EVERY: '1' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mcast: MCAST_TEST_DROP_EVERY: "1" is not a whole number from 2/);
  });
});
