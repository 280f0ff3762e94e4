/**
 * The table over a capture the Linux kernel made (fixtures/kernel-igmp.pcapng, from scripts/capture-kernel-fixtures.sh):
 * two links, r-v2 with the host forced to IGMPv2 and r-v3 forced to IGMPv3, no querier. What to expect comes from
 * what scripts/kernel/igmp-scenario.py told the kernel to do, not from this code:
 *   r-v2: 10.0.2.2 joins 239.1.1.1, 239.1.1.2 and (232.1.1.1, peer) - v2 reports, so EXCLUDE({}) in compat v2 -
 *         then leaves all three.
 *   r-v3: 10.0.3.2 joins 239.2.2.1; joins 239.2.2.2 and blocks 10.0.3.99 (a BLOCK in EXCLUDE mode: 10.0.3.99 gets
 *         the group timer, RFC 3376 6.4.2), later unblocks it; joins (232.2.2.1, {10.0.3.1, 10.0.3.10}) and
 *         (232.2.2.2, 10.0.3.1) in INCLUDE mode and 239.2.2.3; drops 10.0.3.10; then leaves everything.
 * Nobody queries, so nothing lowers the timers (6.6.1): every group is still there at the end, with no members.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/decode/frame.js';
import { buildFrameJson } from '../../src/decode/record.js';
import { MembershipTable } from '../../src/membership/table.js';
import type { MembershipEvent } from '../../src/membership/types.js';
import { openCapture } from '../../src/pcap/index.js';
import type { IgmpRepr } from '../../src/wire/igmp.js';

const FIXTURE = 'fixtures/kernel-igmp.pcapng';
const present = existsSync(FIXTURE);

describe.skipIf(!present)(`kernel capture ${FIXTURE}${present ? '' : ' (not in this tree: skipped)'}`, () => {
  it('ends with the groups the scenario joined, no members, and one join and one leave per membership', () => {
    const table = new MembershipTable();
    const events: MembershipEvent[] = [];
    const reader = openCapture(FIXTURE);
    const d = new FrameDecoder();
    let n = 0;
    let last = 0;
    for (let rec = reader.next(); rec !== null; rec = reader.next()) {
      n++;
      d.decode(rec.linkType, rec.buf, rec.offset, rec.caplen);
      if (!d.hasIgmp) continue;
      const j = buildFrameJson(d, { n, ts: '', len: rec.wirelen, iface: rec.ifaceName });
      if (j.igmp === undefined || j.ip === undefined || j.eth === undefined) continue;
      last = rec.tsSec + rec.tsNsec / 1e9;
      events.push(
        ...table.onMessage({
          time: last,
          iface: j.iface ?? null,
          vlan: null,
          srcIp: j.ip.src,
          srcMac: j.eth.src,
          dstIp: j.ip.dst,
          igmp: j.igmp as IgmpRepr, // no aux data in kernel reports, so the JSON form is the repr
          frame: n,
        }),
      );
    }
    events.push(...table.advance(last));
    const snap = table.snapshot(last);
    const rows = snap.groups.map((g) => ({
      at: `${g.iface} ${g.group}`,
      mode: g.mode,
      sources: g.sources.map((s) => s.addr),
      requested: g.requested.map((s) => s.addr),
      members: g.members.length,
      compat: g.compat,
    }));
    expect(rows).toEqual([
      { at: 'r-v2 232.1.1.1', mode: 'exclude', sources: [], requested: [], members: 0, compat: 2 },
      { at: 'r-v2 239.1.1.1', mode: 'exclude', sources: [], requested: [], members: 0, compat: 2 },
      { at: 'r-v2 239.1.1.2', mode: 'exclude', sources: [], requested: [], members: 0, compat: 2 },
      { at: 'r-v3 232.2.2.1', mode: 'include', sources: ['10.0.3.1', '10.0.3.10'], requested: [], members: 0, compat: 3 },
      { at: 'r-v3 232.2.2.2', mode: 'include', sources: ['10.0.3.1'], requested: [], members: 0, compat: 3 },
      { at: 'r-v3 239.2.2.1', mode: 'exclude', sources: [], requested: [], members: 0, compat: 3 },
      { at: 'r-v3 239.2.2.2', mode: 'exclude', sources: [], requested: ['10.0.3.99'], members: 0, compat: 3 },
      { at: 'r-v3 239.2.2.3', mode: 'exclude', sources: [], requested: [], members: 0, compat: 3 },
    ]);
    expect(snap.queriers).toEqual([]);
    const per = (kind: 'join' | 'leave') =>
      events.filter((e) => e.kind === kind).map((e) => (e.kind === kind ? `${e.iface} ${e.group} ${e.host} v${e.version}` : '')).sort();
    const memberships = [
      'r-v2 232.1.1.1 10.0.2.2 v2',
      'r-v2 239.1.1.1 10.0.2.2 v2',
      'r-v2 239.1.1.2 10.0.2.2 v2',
      'r-v3 232.2.2.1 10.0.3.2 v3',
      'r-v3 232.2.2.2 10.0.3.2 v3',
      'r-v3 239.2.2.1 10.0.3.2 v3',
      'r-v3 239.2.2.2 10.0.3.2 v3',
      'r-v3 239.2.2.3 10.0.3.2 v3',
    ];
    expect(per('join')).toEqual(memberships);
    expect(per('leave')).toEqual(memberships);
    // The drop of 10.0.3.10 is a BLOCK in INCLUDE mode: Send Q(G,A*B) (sent again with the kernel's retransmission).
    const q = events.filter((e) => e.kind === 'query-needed' && e.group === '232.2.2.1' && e.sources?.includes('10.0.3.10'));
    expect(q.length).toBeGreaterThanOrEqual(1);
    expect(events.filter((e) => e.kind === 'warning')).toEqual([]);
  });
});
