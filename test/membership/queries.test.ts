/**
 * Queries seen on the wire: timer lowering by group and group-and-source specific queries (RFC 3376 section 6.6.1),
 * querier election and other-querier-present expiry (6.6.2, 8.5), RV/QI adopted from QRV/QQIC (4.1.6, 4.1.7), and
 * the warnings for competing queriers and a query interval that differs from the announced QQIC.
 */
import { describe, expect, it } from 'vitest';
import { MembershipTable } from '../../src/membership/table.js';
import { G, QUERIER, kinds, msg, query, rec, v2Report, v3Report } from './support.js';

const s1 = '192.0.2.1';
const s2 = '192.0.2.2';
const s3 = '192.0.2.3';

/** EXCLUDE({s1, s2}, {s3}) at t=0, group timer and X timers at GMI. */
function excludeState(opts = {}): MembershipTable {
  const t = new MembershipTable(opts);
  t.onMessage(msg(0, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', [s3]), rec('ALLOW_NEW_SOURCES', [s1, s2]))));
  return t;
}

describe('section 6.6.1: timer updates on queries seen', () => {
  it('Q(G) with S clear lowers the group timer to LMQT (LMQI x LMQC = 1 x 2)', () => {
    const t = excludeState();
    t.onMessage(msg(10, query({ group: G }), { src: QUERIER }));
    expect(t.snapshot(10).groups[0]!.expiresIn).toBe(2);
    expect(t.timerLeft(null, null, G)).toBe(2);
  });

  it('Q(G) with the S flag set changes nothing', () => {
    const t = excludeState();
    t.onMessage(msg(10, query({ group: G, s: true }), { src: QUERIER }));
    t.onMessage(msg(10, query({ group: G, sources: [s1], s: true }), { src: QUERIER }));
    const g = t.snapshot(10).groups[0]!;
    expect(g.expiresIn).toBe(250);
    expect(g.requested).toEqual([
      { addr: s1, expiresIn: 250 },
      { addr: s2, expiresIn: 250 },
    ]);
  });

  it('a v2 group-specific query (no S flag in v2) lowers the group timer', () => {
    const t = excludeState();
    t.onMessage(msg(10, query({ version: 2, group: G, maxRespCode: 10 }), { src: QUERIER }));
    expect(t.timerLeft(null, null, G)).toBe(2);
  });

  it('Q(G,A) lowers only the listed sources with timers above LMQT; excluded and unknown sources stay', () => {
    const t = excludeState();
    t.onMessage(msg(10, query({ group: G, sources: [s1, s3, '192.0.2.99'] }), { src: QUERIER }));
    const g = t.snapshot(10).groups[0]!;
    expect(g.requested).toEqual([
      { addr: s1, expiresIn: 2 },
      { addr: s2, expiresIn: 250 },
    ]);
    expect(g.sources).toEqual([{ addr: s3 }]);
    expect(g.expiresIn).toBe(250); // the group timer is Q(G)'s business, not Q(G,A)'s
    // The lowered source then expires into the exclude list.
    expect(t.advance(12)).toEqual([expect.objectContaining({ kind: 'source-expired', source: s1, time: 12 })]);
  });

  it('lowers, never raises', () => {
    const t = excludeState();
    t.onMessage(msg(10, query({ group: G }), { src: QUERIER }));
    t.onMessage(msg(11.5, query({ group: G }), { src: QUERIER }));
    expect(t.timerLeft(null, null, G)).toBe(0.5);
  });

  it('a general query lowers nothing', () => {
    const t = excludeState();
    t.onMessage(msg(10, query(), { src: QUERIER }));
    expect(t.timerLeft(null, null, G)).toBe(250);
  });

  it('a query for a group in INCLUDE mode leaves its source timers alone', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v3Report(rec('ALLOW_NEW_SOURCES', [s1]))));
    t.onMessage(msg(10, query({ group: G }), { src: QUERIER }));
    expect(t.timerLeft(null, null, G, s1)).toBe(250);
  });

  it('LMQT follows the querier\'s QRV (LMQC defaults to the Robustness Variable)', () => {
    const t = excludeState();
    t.onMessage(msg(5, query({ qrv: 4 }), { src: QUERIER }));
    t.onMessage(msg(10, query({ group: G, qrv: 4 }), { src: QUERIER }));
    expect(t.timerLeft(null, null, G)).toBe(4);
    expect(t.timers(null, null).lastMemberQueryTime).toBe(4);
  });
});

describe('querier tracking and election (section 6.6.2)', () => {
  it('elects the first querier, then any lower address; higher addresses do not win', () => {
    const t = new MembershipTable();
    const first = t.onMessage(msg(0, query(), { src: '10.0.0.5', iface: 'eth0' }));
    expect(first).toEqual([
      expect.objectContaining({ kind: 'querier-elected', ip: '10.0.0.5', version: 3, previous: null, iface: 'eth0' }),
    ]);
    expect(t.onMessage(msg(1, query(), { src: '10.0.0.9', iface: 'eth0' }))).toEqual([]);
    const lower = t.onMessage(msg(2, query({ version: 2 }), { src: '10.0.0.2', iface: 'eth0' }));
    expect(lower).toEqual([expect.objectContaining({ kind: 'querier-elected', ip: '10.0.0.2', version: 2, previous: '10.0.0.5' })]);
    expect(t.snapshot(2).queriers).toEqual([{ iface: 'eth0', vlan: null, ip: '10.0.0.2', version: 2, qrv: null, qqi: null }]);
    // Compared as numbers, not text: 10.0.0.10 is above 10.0.0.9.
    const t2 = new MembershipTable();
    t2.onMessage(msg(0, query(), { src: '10.0.0.9' }));
    t2.onMessage(msg(0, query(), { src: '10.0.0.10' }));
    expect(t2.electedQuerier(null, null)?.ip).toBe('10.0.0.9');
  });

  it('a 0.0.0.0 querier (a snooping switch, RFC 4541 2.1.1) is shown when alone and loses to any router', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, query(), { src: '0.0.0.0' }));
    expect(t.electedQuerier(null, null)?.ip).toBe('0.0.0.0');
    const router = t.onMessage(msg(1, query(), { src: '10.0.0.250' }));
    expect(router).toEqual([expect.objectContaining({ kind: 'querier-elected', ip: '10.0.0.250', previous: '0.0.0.0' })]);
    expect(t.onMessage(msg(2, query(), { src: '0.0.0.0' })).filter((e) => e.kind === 'querier-elected')).toEqual([]);
    expect(t.electedQuerier(null, null)?.ip).toBe('10.0.0.250');
  });

  it('keeps one election per interface and VLAN', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, query(), { src: '10.0.0.5', iface: 'eth0', vlan: 10 }));
    t.onMessage(msg(0, query(), { src: '10.0.0.9', iface: 'eth0', vlan: 20 }));
    t.onMessage(msg(0, query(), { src: '10.0.0.7', iface: 'eth1' }));
    expect(t.snapshot(0).queriers.map((q) => [q.iface, q.vlan, q.ip])).toEqual([
      ['eth0', 10, '10.0.0.5'],
      ['eth0', 20, '10.0.0.9'],
      ['eth1', null, '10.0.0.7'],
    ]);
  });

  it('loses the querier after the other-querier-present interval (RV x QI + QRI / 2 = 255 s) and elects the next', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, query(), { src: '10.0.0.9' }));
    t.onMessage(msg(10, query(), { src: '10.0.0.1' }));
    t.onMessage(msg(100, query(), { src: '10.0.0.9' })); // competing, but still present until 355
    expect(t.advance(264.9).filter((e) => e.kind.startsWith('querier'))).toEqual([]);
    const ev = t.advance(265);
    expect(ev).toEqual([
      expect.objectContaining({ kind: 'querier-lost', ip: '10.0.0.1', time: 265, frame: null }),
      expect.objectContaining({ kind: 'querier-elected', ip: '10.0.0.9', previous: '10.0.0.1', time: 265 }),
    ]);
    expect(kinds(t.advance(355))).toEqual(['querier-lost']);
    expect(t.snapshot(355).queriers).toEqual([]);
  });

  it('a querier that keeps querying stays', () => {
    const t = new MembershipTable();
    for (let i = 0; i < 10; i++) t.onMessage(msg(i * 125, query(), { src: QUERIER }));
    expect(t.advance(1125 + 254)).toEqual([]);
    expect(t.electedQuerier(null, null)?.ip).toBe(QUERIER);
  });

  it('adopts RV and QI from the elected querier\'s QRV and QQIC: GMI = 3 x 60 + 10', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, query({ qrv: 3, qqic: 60 }), { src: QUERIER }));
    expect(t.timers(null, null)).toMatchObject({ robustness: 3, queryInterval: 60, groupMembershipInterval: 190, otherQuerierPresentInterval: 185 });
    t.onMessage(msg(1, v2Report()));
    expect(t.snapshot(1).groups[0]!.expiresIn).toBe(190);
    expect(t.snapshot(1).queriers[0]).toMatchObject({ qrv: 3, qqi: 60 });
  });

  it('decodes QQIC in the exponent form when the repr has no qqi (0x89 = 200 s)', () => {
    const t = new MembershipTable();
    const q = query({ qrv: 2 });
    q.qqic = 0x89;
    delete q.qqi;
    t.onMessage(msg(0, q, { src: QUERIER }));
    expect(t.timers(null, null).queryInterval).toBe(200);
  });

  it('QRV or QQIC of zero, and v1/v2 queriers, leave the defaults or the options', () => {
    const t = new MembershipTable({ robustness: 3 });
    t.onMessage(msg(0, query({ qrv: 0, qqic: 0 }), { src: QUERIER }));
    expect(t.timers(null, null)).toMatchObject({ robustness: 3, queryInterval: 125, groupMembershipInterval: 385 });
    const t2 = new MembershipTable();
    t2.onMessage(msg(0, query({ version: 2 }), { src: QUERIER }));
    expect(t2.timers(null, null).groupMembershipInterval).toBe(260);
  });

  it('only the elected querier\'s values count, and adoptFromQueries: false ignores them', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, query({ qrv: 3 }), { src: '10.0.0.1' }));
    t.onMessage(msg(1, query({ qrv: 5 }), { src: '10.0.0.2' }));
    expect(t.timers(null, null).robustness).toBe(3);
    const fixed = new MembershipTable({ adoptFromQueries: false, queryInterval: 30 });
    fixed.onMessage(msg(0, query({ qrv: 3, qqic: 60 }), { src: QUERIER }));
    expect(fixed.timers(null, null)).toMatchObject({ robustness: 2, queryInterval: 30, groupMembershipInterval: 70 });
  });

  it('an explicit GMI option wins over the formula', () => {
    const t = new MembershipTable({ groupMembershipInterval: 42 });
    t.onMessage(msg(0, query({ qrv: 3, qqic: 60 }), { src: QUERIER }));
    t.onMessage(msg(1, v2Report()));
    expect(t.snapshot(1).groups[0]!.expiresIn).toBe(42);
  });
});

describe('querier warnings', () => {
  it('warns once when a higher address keeps querying after the lower one has queried', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, query(), { src: '10.0.0.1' }));
    // 10.0.0.2 starts up: its startup queries before it has heard 10.0.0.1 are normal.
    expect(t.onMessage(msg(10, query(), { src: '10.0.0.2' }))).toEqual([]);
    expect(t.onMessage(msg(41.25, query(), { src: '10.0.0.2' }))).toEqual([]);
    t.onMessage(msg(125, query(), { src: '10.0.0.1' }));
    const ev = t.onMessage(msg(166.25, query(), { src: '10.0.0.2', frame: 99 }));
    expect(ev).toEqual([
      expect.objectContaining({ kind: 'warning', code: 'competing-queriers', ip: '10.0.0.2', elected: '10.0.0.1', frame: 99 }),
    ]);
    expect(t.onMessage(msg(291.25, query(), { src: '10.0.0.2' }))).toEqual([]); // once
  });

  it('does not warn for a normal take-over: the higher querier stops when a lower one appears', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, query(), { src: '10.0.0.2' }));
    t.onMessage(msg(125, query(), { src: '10.0.0.2' }));
    t.onMessage(msg(130, query(), { src: '10.0.0.1' }));
    let ev = t.onMessage(msg(255, query(), { src: '10.0.0.1' }));
    ev = [...ev, ...t.advance(500)];
    expect(ev.filter((e) => e.kind === 'warning')).toEqual([]);
    // ... but does when the old querier carries on.
    const t2 = new MembershipTable();
    t2.onMessage(msg(0, query(), { src: '10.0.0.2' }));
    t2.onMessage(msg(125, query(), { src: '10.0.0.2' }));
    t2.onMessage(msg(130, query(), { src: '10.0.0.1' }));
    expect(kinds(t2.onMessage(msg(250, query(), { src: '10.0.0.2' })))).toEqual(['warning:competing-queriers']);
  });

  it('warns when general queries come at another interval than the QQIC announces', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, query({ qqic: 125 }), { src: QUERIER }));
    const ev = t.onMessage(msg(60, query({ qqic: 125 }), { src: QUERIER }));
    expect(ev).toEqual([expect.objectContaining({ kind: 'warning', code: 'qqic-mismatch', ip: QUERIER, announced: 125, seen: 60 })]);
    expect(t.onMessage(msg(120, query({ qqic: 125 }), { src: QUERIER }))).toEqual([]); // once per announced value
  });

  it('accepts startup queries at QI/4 and regular ones at QI; group-specific queries do not count', () => {
    const t = new MembershipTable();
    const times = [0, 31.25, 156.25, 281.25, 406.25];
    const all = [];
    for (const time of times) {
      all.push(...t.onMessage(msg(time, query(), { src: QUERIER })));
      all.push(...t.onMessage(msg(time + 3, query({ group: G }), { src: QUERIER })));
    }
    expect(all.filter((e) => e.kind === 'warning')).toEqual([]);
  });
});
