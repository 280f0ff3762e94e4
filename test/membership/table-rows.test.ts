/**
 * The text table has its own road out of the membership table (tableRows: no member objects, MAC or time texts,
 * only the first members), while JSON, the querier and library users take snapshot(). Both must show the same
 * table: the rows are the snapshot's groups with only the first MEMBERS_SHOWN members' addresses and the count, and
 * their text is formatTableLines of the snapshot, byte for byte, at several moments of every fixture, with hosts
 * reporting from 0.0.0.0 (ordered by MAC), and in groups of up to 200 hosts joining and leaving at random.
 */
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/decode/frame.js';
import { MembershipTable, formatRowsLines, formatTableLines } from '../../src/membership/index.js';
import { MEMBERS_SHOWN, type TableSnapshot } from '../../src/membership/types.js';
import fc from 'fast-check';
import { openCapture } from '../../src/pcap/index.js';
import { membershipMessage } from '../../src/replay/membership.js';
import { IgmpTypeCode } from '../../src/wire/igmp.js';
import { fixtureCaptures } from '../support/fixtures.js';

function rowsOf(snap: TableSnapshot): unknown {
  return {
    groups: snap.groups.map(({ members, ...g }) => ({ ...g, memberIps: members.slice(0, MEMBERS_SHOWN).map((m) => m.ip), memberCount: members.length })),
    queriers: snap.queriers,
  };
}

function expectSame(t: MembershipTable, at: number): number {
  const snap = t.snapshot(at);
  const rows = t.tableRows(at);
  expect(rows).toEqual(rowsOf(snap));
  expect(formatRowsLines(rows)).toEqual(formatTableLines(snap));
  return snap.groups.reduce((n, g) => n + g.members.length, 0);
}

describe('tableRows shows what snapshot shows', () => {
  it.each(fixtureCaptures())('%s', (file) => {
    const r = openCapture(file);
    const d = new FrameDecoder();
    const t = new MembershipTable();
    let n = 0;
    let members = 0;
    let last = 0;
    let compared = 0;
    for (let rec = r.next(); rec !== null; rec = r.next()) {
      n++;
      d.decode(rec.linkType, rec.buf, rec.offset, rec.caplen);
      if (!d.hasIgmp || d.error !== null) continue;
      last = rec.tsSec + rec.tsNsec * 1e-9;
      t.onMessage(membershipMessage(d, last, rec.ifaceName, n));
      if (++compared <= 500 || compared % 50 === 0) members = Math.max(members, expectSame(t, last));
    }
    r.close();
    members = Math.max(members, expectSame(t, last));
    // Past every timer: the table empties (or keeps what has no timer), and both roads still agree.
    expectSame(t, last + 1000);
    // The comparison saw members somewhere: an IGMP-free fixture compares only empty tables, which proves little.
    if (file.includes('igmp') || file.includes('bridge')) expect(members).toBeGreaterThan(0);
  });

  it('orders hosts reporting from 0.0.0.0 by MAC, after the addressed ones', () => {
    const t = new MembershipTable();
    const report = (srcIp: string, srcMac: string, time: number) =>
      t.onMessage({
        time, iface: 'eth0', vlan: null, srcIp, srcMac, dstIp: '239.1.1.1', frame: null,
        igmp: { type: 'report', typeCode: IgmpTypeCode.V2MembershipReport, version: 2, maxRespCode: 0, group: '239.1.1.1', checksumOk: true },
      });
    report('0.0.0.0', '02:00:00:00:00:09', 1);
    report('10.0.0.2', '02:00:00:00:00:02', 2);
    report('0.0.0.0', '02:00:00:00:00:03', 3);
    report('10.0.0.1', '02:00:00:00:00:01', 4);
    expect(t.tableRows(5).groups[0]!.memberIps).toEqual(['0.0.0.0', '0.0.0.0', '10.0.0.1', '10.0.0.2']);
    expect(t.snapshot(5).groups[0]!.members.map((m) => m.mac)).toEqual(['02:00:00:00:00:03', '02:00:00:00:00:09', '02:00:00:00:00:01', '02:00:00:00:00:02']);
    expectSame(t, 5);
  });

  it('names the first members by address and counts the rest, in groups of up to 200 hosts joining and leaving', () => {
    const host = fc.record({
      ip: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 199 }) }),
      mac: fc.integer({ min: 1, max: 5 }),
      leave: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(host, { minLength: 1, maxLength: 400 }), (ops) => {
        const t = new MembershipTable();
        let time = 0;
        for (const { ip, mac, leave } of ops) {
          time += 0.01;
          const srcIp = ip === 0 ? '0.0.0.0' : `10.0.${ip >> 8}.${ip & 255}`;
          t.onMessage({
            time, iface: null, vlan: null, srcIp, srcMac: `02:00:00:00:00:0${mac}`, dstIp: leave ? '224.0.0.2' : '239.1.1.1', frame: null,
            igmp: leave
              ? { type: 'leave', typeCode: IgmpTypeCode.V2LeaveGroup, version: 2, maxRespCode: 0, group: '239.1.1.1', checksumOk: true }
              : { type: 'report', typeCode: IgmpTypeCode.V2MembershipReport, version: 2, maxRespCode: 0, group: '239.1.1.1', checksumOk: true },
          });
        }
        const members = expectSame(t, time);
        const row = t.tableRows(time).groups[0];
        if (row === undefined) return;
        expect(row.memberCount).toBe(members);
        const cell = formatRowsLines(t.tableRows(time))[1]!;
        if (members > MEMBERS_SHOWN) expect(cell).toContain(` and ${members - MEMBERS_SHOWN + 1} more`);
        else expect(cell).not.toContain(' more');
      }),
      { numRuns: 200 },
    );
  });

  it('says how many more members a long list has', () => {
    const t = new MembershipTable();
    for (let i = 9; i >= 1; i--) {
      t.onMessage({
        time: 10 - i, iface: 'eth0', vlan: null, srcIp: `10.0.0.${i}`, srcMac: null, dstIp: '239.1.1.1', frame: null,
        igmp: { type: 'report', typeCode: IgmpTypeCode.V2MembershipReport, version: 2, maxRespCode: 0, group: '239.1.1.1', checksumOk: true },
      });
    }
    const lines = formatRowsLines(t.tableRows(10));
    expect(lines[1]).toMatch(/ 10\.0\.0\.1, 10\.0\.0\.2, 10\.0\.0\.3 and 6 more /);
    expect(t.snapshot(10).groups[0]!.members).toHaveLength(9);
  });
});
