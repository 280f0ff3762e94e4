/**
 * The host list (snooping view), by the rules: a host joins with its first report and leaves with its v2
 * leave or a v3 record that leaves it with nothing (TO_IN({}), or a BLOCK that empties its include list); a host that
 * leaves silently stays while the entry lives. A v1/v2 report counts as IS_EX({}), a v2 leave as TO_IN({}).
 */
import { describe, expect, it } from 'vitest';
import { MembershipTable } from '../../src/membership/table.js';
import { G, kinds, msg, query, rec, v1Report, v2Leave, v2Report, v3Report } from './support.js';

const s1 = '192.0.2.1';
const s2 = '192.0.2.2';
const H1 = '10.0.0.11';
const H2 = '10.0.0.12';

function members(t: MembershipTable, time: number): string[] {
  return (t.snapshot(time).groups[0]?.members ?? []).map((m) => m.ip);
}

describe('members', () => {
  it('v3 TO_EX({}) joins, TO_IN({}) leaves while the entry lives on', () => {
    const t = new MembershipTable();
    const join = t.onMessage(msg(0, v3Report(rec('CHANGE_TO_EXCLUDE_MODE')), { src: H1, mac: '02:00:00:00:00:11', frame: 3 }));
    expect(join.at(-1)).toEqual({
      kind: 'join', time: 0, frame: 3, iface: null, vlan: null, group: G, host: H1, mac: '02:00:00:00:00:11', version: 3,
    });
    const leave = t.onMessage(msg(5, v3Report(rec('CHANGE_TO_INCLUDE_MODE')), { src: H1, mac: '02:00:00:00:00:11', frame: 4 }));
    expect(kinds(leave)).toEqual(['query-needed', 'leave']);
    expect(leave[1]).toMatchObject({ host: H1, frame: 4, version: 3 });
    const g = t.snapshot(5).groups[0]!;
    expect(g.mode).toBe('exclude');
    expect(g.members).toEqual([]);
  });

  it('INCLUDE host: ALLOW joins, BLOCK of part stays, BLOCK of the rest leaves', () => {
    const t = new MembershipTable();
    expect(kinds(t.onMessage(msg(0, v3Report(rec('ALLOW_NEW_SOURCES', [s1, s2])), { src: H1 })))).toContain('join');
    expect(kinds(t.onMessage(msg(1, v3Report(rec('BLOCK_OLD_SOURCES', [s1])), { src: H1 })))).not.toContain('leave');
    expect(members(t, 1)).toEqual([H1]);
    expect(kinds(t.onMessage(msg(2, v3Report(rec('BLOCK_OLD_SOURCES', [s2])), { src: H1 })))).toContain('leave');
    expect(members(t, 2)).toEqual([]);
  });

  it('EXCLUDE host: BLOCK adds to its exclude list and it stays; ALLOW keeps it', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v3Report(rec('CHANGE_TO_EXCLUDE_MODE')), { src: H1 }));
    expect(kinds(t.onMessage(msg(1, v3Report(rec('BLOCK_OLD_SOURCES', [s1])), { src: H1 })))).not.toContain('leave');
    expect(kinds(t.onMessage(msg(2, v3Report(rec('ALLOW_NEW_SOURCES', [s1])), { src: H1 })))).not.toContain('leave');
    expect(members(t, 2)).toEqual([H1]);
  });

  it('an unknown host\'s BLOCK does not make it a member (its state was INCLUDE({}))', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v3Report(rec('ALLOW_NEW_SOURCES', [s1])), { src: H1 }));
    expect(kinds(t.onMessage(msg(1, v3Report(rec('BLOCK_OLD_SOURCES', [s1])), { src: H2 })))).toEqual(['query-needed']);
    expect(members(t, 1)).toEqual([H1]);
  });

  it('v2 report joins with version 2, v2 leave leaves; the version follows the latest report', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v2Report(), { src: H1 }));
    t.onMessage(msg(1, v1Report(), { src: H2 }));
    expect(t.snapshot(1).groups[0]!.members.map((m) => [m.ip, m.version])).toEqual([
      [H1, 2],
      [H2, 1],
    ]);
    t.onMessage(msg(2, v3Report(rec('MODE_IS_EXCLUDE')), { src: H2 }));
    expect(t.snapshot(2).groups[0]!.members.map((m) => m.version)).toEqual([2, 3]);
    expect(kinds(t.onMessage(msg(3, v2Leave(), { src: H1 })))).toEqual(['leave']); // v1 compat: router ignores it
    expect(members(t, 3)).toEqual([H2]);
  });

  it('a host that leaves silently stays while the entry lives, and goes with it', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v2Report(), { src: H1 }));
    t.onMessage(msg(100, v2Report(), { src: H2 }));
    expect(members(t, 300)).toEqual([H1, H2]); // H1 silent since 0, the entry lives until 360
    t.advance(360);
    expect(t.snapshot(360).groups).toEqual([]);
    t.onMessage(msg(400, v2Report(), { src: H2 }));
    expect(members(t, 400)).toEqual([H2]);
  });

  it('keeps MAC and last report time; sorts by address numerically', () => {
    const t = new MembershipTable();
    t.onMessage(msg(1767261600, v2Report(), { src: '10.0.0.10', mac: '02:00:00:00:00:0a', tsText: '2026-01-01T10:00:00.000000Z' }));
    t.onMessage(msg(1767261601.25, v2Report(), { src: '10.0.0.9', mac: null }));
    expect(t.snapshot(1767261602).groups[0]!.members).toEqual([
      { ip: '10.0.0.9', mac: null, version: 2, lastReport: '2026-01-01T10:00:01.250000Z' },
      { ip: '10.0.0.10', mac: '02:00:00:00:00:0a', version: 2, lastReport: '2026-01-01T10:00:00.000000Z' },
    ]);
    // A later report updates the time (and a formatTime option formats it).
    const t2 = new MembershipTable({ formatTime: (s) => `t=${s}` });
    t2.onMessage(msg(5, v2Report(), { src: H1 }));
    t2.onMessage(msg(7, v2Report(), { src: H1 }));
    expect(t2.snapshot(7).groups[0]!.members[0]!.lastReport).toBe('t=7');
  });

  it('tells apart hosts reporting from 0.0.0.0 by MAC (RFC 3376 section 4.2.13 allows that source)', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v3Report(rec('MODE_IS_EXCLUDE')), { src: '0.0.0.0', mac: '02:00:00:00:00:01' }));
    t.onMessage(msg(0, v3Report(rec('MODE_IS_EXCLUDE')), { src: '0.0.0.0', mac: '02:00:00:00:00:02' }));
    expect(t.snapshot(0).groups[0]!.members.map((m) => m.mac)).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02']);
  });

  it('ignores messages from addresses no host can have (224.0.0.0/3), with a warning', () => {
    const t = new MembershipTable();
    for (const src of ['224.0.0.9', '239.1.1.1', '255.255.255.255', '240.0.0.1']) {
      expect(t.onMessage(msg(0, v2Report(), { src }))).toEqual([expect.objectContaining({ kind: 'warning', code: 'invalid-source', ip: src })]);
      expect(t.onMessage(msg(0, query(), { src }))).toEqual([expect.objectContaining({ kind: 'warning', code: 'invalid-source' })]);
    }
    expect(t.snapshot(0)).toEqual({ groups: [], queriers: [] });
    expect(kinds(t.onMessage(msg(0, v2Report(), { src: '223.255.255.254' })))).toContain('join');
  });

  it('does not track link-local groups and warns about non-multicast ones', () => {
    const t = new MembershipTable();
    expect(t.onMessage(msg(0, v2Report('224.0.0.251')))).toEqual([]);
    expect(t.onMessage(msg(0, v3Report(rec('MODE_IS_EXCLUDE', [], '224.0.0.252'))))).toEqual([]);
    expect(t.onMessage(msg(0, v2Report('10.1.2.3'), { src: H1 }))).toEqual([
      expect.objectContaining({ kind: 'warning', code: 'invalid-group', ip: H1, group: '10.1.2.3' }),
    ]);
    expect(kinds(t.onMessage(msg(0, v2Report('224.0.1.1'))))).toEqual(['group-added', 'compat-change', 'mode-change', 'join']);
    expect(t.snapshot(0).groups.map((g) => g.group)).toEqual(['224.0.1.1']);
  });
});

describe('events off', () => {
  it('builds no events but the same state', () => {
    const on = new MembershipTable();
    const off = new MembershipTable({ events: false });
    const script = [
      msg(0, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', [s1])), { src: H1 }),
      msg(1, v2Report(), { src: H2 }),
      msg(2, v3Report(rec('ALLOW_NEW_SOURCES', [s2]), rec('CHANGE_TO_INCLUDE_MODE', [s1], '239.5.5.5')), { src: H1 }),
      msg(3, v2Leave(), { src: H2 }),
    ];
    for (const m of script) {
      on.onMessage(m);
      expect(off.onMessage(m)).toEqual([]);
    }
    expect(off.advance(1000)).toEqual([]);
    on.advance(1000);
    expect(off.snapshot(100)).toEqual(on.snapshot(100));
    const a = new MembershipTable();
    const b = new MembershipTable({ events: false });
    for (const m of script) {
      a.onMessage(m);
      b.onMessage(m);
    }
    expect(b.snapshot(100)).toEqual(a.snapshot(100));
    expect(b.snapshot(100).groups.length).toBeGreaterThan(0);
  });
});
