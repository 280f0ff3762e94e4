/**
 * Timer expiry on the table's clock (RFC 3376 sections 6.3 and 6.5) and older-version compatibility (7.3.2), driven
 * by message times and `advance` only: a fake clock by construction.
 */
import { describe, expect, it } from 'vitest';
import { MembershipTable } from '../../src/membership/table.js';
import { decodeExpForm, encodeExpForm, isoMicros } from '../../src/membership/timers.js';
import { G, QUERIER, kinds, msg, queriesOf, query, rec, v1Report, v2Leave, v2Report, v3Report } from './support.js';

const s1 = '192.0.2.1';
const s2 = '192.0.2.2';
const s3 = '192.0.2.3';

describe('section 6.3: source timers', () => {
  it('INCLUDE: an expired source is deleted, and the group with its last source', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v3Report(rec('ALLOW_NEW_SOURCES', [s1]))));
    t.onMessage(msg(100, v3Report(rec('ALLOW_NEW_SOURCES', [s2]))));
    expect(t.advance(259.9)).toEqual([]);
    const first = t.advance(260);
    expect(first).toEqual([expect.objectContaining({ kind: 'source-expired', source: s1, list: 'include', time: 260, frame: null })]);
    expect(t.snapshot(260).groups[0]!.sources).toEqual([{ addr: s2, expiresIn: 100 }]);
    // Events fire at their deadlines even when time jumps past them.
    const second = t.advance(1000);
    expect(second.map((e) => [e.kind, e.time])).toEqual([
      ['source-expired', 360],
      ['group-removed', 360],
    ]);
    expect(t.groupCount).toBe(0);
  });

  it('EXCLUDE: an expired requested source moves to the exclude list and the record stays', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', [s3]))));
    t.onMessage(msg(50, v3Report(rec('ALLOW_NEW_SOURCES', [s1]))));
    t.onMessage(msg(200, v3Report(rec('MODE_IS_EXCLUDE', [s1, s3])))); // refresh the group timer to 460
    const ev = t.advance(310);
    expect(ev).toEqual([expect.objectContaining({ kind: 'source-expired', source: s1, list: 'requested', time: 310 })]);
    const g = t.snapshot(310).groups[0]!;
    expect(g.mode).toBe('exclude');
    expect(g.sources).toEqual([{ addr: s1 }, { addr: s3 }]);
    expect(g.requested).toEqual([]);
    expect(g.expiresIn).toBe(150);
  });
});

describe('section 6.5: group timer expiry switches EXCLUDE to INCLUDE', () => {
  it('keeps the sources with running timers as INCLUDE(X) and deletes Y', () => {
    const t = new MembershipTable();
    t.onMessage(msg(100, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', [s3]))));
    t.onMessage(msg(200, v3Report(rec('ALLOW_NEW_SOURCES', [s1, s2])))); // X timers: 460; group timer: 360
    const ev = t.advance(360);
    expect(ev.map((e) => e.kind)).toEqual(['group-expired', 'source-removed', 'mode-change']);
    expect(ev[1]).toMatchObject({ source: s3, list: 'exclude' });
    expect(ev[2]).toMatchObject({ from: 'exclude', to: 'include', time: 360 });
    const g = t.snapshot(360).groups[0]!;
    expect(g).toMatchObject({
      mode: 'include',
      sources: [
        { addr: s1, expiresIn: 100 },
        { addr: s2, expiresIn: 100 },
      ],
      requested: [],
      expiresIn: 100,
    });
  });

  it('deletes the group when no source timer runs (EXCLUDE(X,{}) with X empty)', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v2Report()));
    expect(kinds(t.advance(259))).toEqual([]);
    const ev = t.advance(260);
    // The v2 host-present timer ends at the same moment (both are RV x QI + QRI).
    expect(kinds(ev)).toEqual(['group-expired', 'compat-change', 'group-removed']);
    expect(t.snapshot(260)).toEqual({ groups: [], queriers: [] });
  });

  it('a report before the deadline refreshes the group timer to GMI', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v3Report(rec('MODE_IS_EXCLUDE'))));
    t.onMessage(msg(125, v3Report(rec('MODE_IS_EXCLUDE'))));
    expect(t.advance(384)).toEqual([]);
    expect(t.snapshot(384).groups[0]!.expiresIn).toBe(1);
    expect(kinds(t.advance(385))).toEqual(['group-expired', 'group-removed']);
  });

  it('never runs time backwards: an older message is processed at the table clock', () => {
    const t = new MembershipTable();
    t.onMessage(msg(100, v3Report(rec('MODE_IS_EXCLUDE'))));
    t.onMessage(msg(50, v3Report(rec('MODE_IS_EXCLUDE'), rec('MODE_IS_EXCLUDE', [], '239.2.2.2'))));
    expect(t.now).toBe(100);
    expect(t.snapshot().groups.map((g) => g.expiresIn)).toEqual([260, 260]);
  });

  it('nextDeadline tells when the next timer runs out', () => {
    const t = new MembershipTable();
    expect(t.nextDeadline()).toBe(Infinity);
    t.onMessage(msg(10, v3Report(rec('ALLOW_NEW_SOURCES', [s1]))));
    expect(t.nextDeadline()).toBe(270);
    t.onMessage(msg(20, v3Report(rec('MODE_IS_EXCLUDE', [], '239.9.9.9'))));
    expect(t.nextDeadline()).toBe(270);
    t.onMessage(msg(20, query({ group: G, sources: [s1] }), { src: QUERIER })); // 6.6.1: s1 down to LMQT
    expect(t.nextDeadline()).toBe(22);
  });
});

describe('section 7.3.2: older-version hosts', () => {
  it('a v2 report is IS_EX({}) and starts the v2 host-present timer (compat 2)', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', [s1]), rec('ALLOW_NEW_SOURCES', [s2])), { src: '10.0.0.3' }));
    const ev = t.onMessage(msg(1, v2Report()));
    // EXCLUDE({s2},{s1}) + IS_EX({}) -> EXCLUDE({},{}): Delete (X-A), Delete (Y-A).
    expect(kinds(ev)).toEqual(['compat-change', 'source-removed', 'source-removed', 'join']);
    expect(ev[0]).toMatchObject({ from: 3, to: 2 });
    const g = t.snapshot(1).groups[0]!;
    expect(g).toMatchObject({ mode: 'exclude', sources: [], requested: [], compat: 2, expiresIn: 260 });
    expect(g.members.map((m) => [m.ip, m.version])).toEqual([
      ['10.0.0.2', 2],
      ['10.0.0.3', 3],
    ]);
  });

  it('compat returns to v3 when the v2 host-present timer runs out (Older Host Present Interval)', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v2Report()));
    t.onMessage(msg(200, v3Report(rec('MODE_IS_EXCLUDE')), { src: '10.0.0.3' }));
    const ev = t.advance(260);
    expect(ev).toEqual([expect.objectContaining({ kind: 'compat-change', from: 2, to: 3, time: 260 })]);
    expect(t.snapshot(260).groups[0]).toMatchObject({ compat: 3, expiresIn: 200 });
  });

  it('v2 leave is TO_IN({}): Send Q(G); the querier\'s Q(G) lowers the group timer to LMQT; silence expires the group', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, query(), { src: QUERIER }));
    t.onMessage(msg(10, v2Report()));
    const leave = t.onMessage(msg(20, v2Leave()));
    expect(queriesOf(leave)).toEqual([null]);
    expect(kinds(leave)).toEqual(['query-needed', 'leave']);
    // A passive table waits for the querier: the timer is still GMI after the report.
    expect(t.snapshot(20).groups[0]!.expiresIn).toBe(250);
    // The querier sends LMQC (= RV = 2) group-specific queries LMQI (1 s) apart.
    t.onMessage(msg(20.01, query({ version: 2, group: G, maxRespCode: 10 }), { src: QUERIER }));
    expect(t.snapshot(20.01).groups[0]!.expiresIn).toBe(2);
    t.onMessage(msg(21.01, query({ version: 2, group: G, maxRespCode: 10 }), { src: QUERIER }));
    expect(t.snapshot(21.01).groups[0]!.expiresIn).toBe(1); // lowered, never raised
    expect(kinds(t.advance(22.01))).toEqual(['group-expired', 'group-removed']);
  });

  it('a member answering the group-specific query keeps the group', () => {
    const t = new MembershipTable();
    t.onMessage(msg(10, v2Report()));
    t.onMessage(msg(20, v2Leave()));
    t.onMessage(msg(20.01, query({ version: 2, group: G, maxRespCode: 10 }), { src: QUERIER }));
    t.onMessage(msg(20.5, v2Report(), { src: '10.0.0.3' }));
    expect(t.advance(30)).toEqual([]);
    expect(t.snapshot(30).groups[0]).toMatchObject({ expiresIn: 250.5, members: [{ ip: '10.0.0.3' }] });
  });

  it('v2 compatibility ignores BLOCK and the source list of TO_EX', () => {
    for (const compat of [false, true]) {
      const t = new MembershipTable();
      t.onMessage(msg(0, compat ? v2Report() : v3Report(rec('MODE_IS_EXCLUDE')), { src: '10.0.0.9' }));
      const block = t.onMessage(msg(10, v3Report(rec('BLOCK_OLD_SOURCES', [s1]))));
      const toex = t.onMessage(msg(20, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', [s2]))));
      const g = t.snapshot(20).groups[0]!;
      if (compat) {
        expect(queriesOf(block)).toEqual([]);
        expect(queriesOf(toex)).toEqual([]);
        expect(g).toMatchObject({ sources: [], requested: [], compat: 2 });
      } else {
        // v3: BLOCK adds s1 with the group timer and queries it; TO_EX(s2) deletes s1 and adds s2 with the group
        // timer as it was before TO_EX raised it to GMI (deadline 260, so 240 s left at t=20), and queries it.
        expect(queriesOf(block)).toEqual([[s1]]);
        expect(queriesOf(toex)).toEqual([[s2]]);
        expect(g).toMatchObject({ requested: [{ addr: s2, expiresIn: 240 }], compat: 3 });
      }
      expect(g.expiresIn).toBe(260); // TO_EX sets the group timer to GMI either way
    }
  });

  it('v1 compatibility: v1 report starts compat 1; v2 leaves and TO_IN are ignored by the router', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v1Report(), { src: '10.0.0.7' }));
    t.onMessage(msg(5, v2Report()));
    const leave = t.onMessage(msg(10, v2Leave()));
    expect(queriesOf(leave)).toEqual([]);
    expect(kinds(leave)).toEqual(['leave']); // the host itself left, as the wire shows
    const toIn = t.onMessage(msg(11, v3Report(rec('CHANGE_TO_INCLUDE_MODE')), { src: '10.0.0.8' }));
    expect(queriesOf(toIn)).toEqual([]);
    const g = t.snapshot(11).groups[0]!;
    expect(g).toMatchObject({ compat: 1, expiresIn: 254, members: [{ ip: '10.0.0.7', version: 1 }] });
  });

  it('v1 timer expiry falls back to v2 while the v2 timer runs, then to v3', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v1Report()));
    t.onMessage(msg(100, v2Report(), { src: '10.0.0.3' }));
    // The message at t=300 runs the timers up to 300 first, so it returns the 260 s expiry.
    const ev = [...t.onMessage(msg(300, v3Report(rec('MODE_IS_EXCLUDE')), { src: '10.0.0.4' })), ...t.advance(400)];
    expect(ev.filter((e) => e.kind !== 'join').map((e) => (e.kind === 'compat-change' ? `${e.time}: v${e.from} -> v${e.to}` : e.kind))).toEqual([
      '260: v1 -> v2',
      '360: v2 -> v3',
    ]);
  });

  it('the host-present interval follows the options (RV x QI + QRI)', () => {
    const t = new MembershipTable({ robustness: 3, queryInterval: 20, queryResponseInterval: 4 });
    t.onMessage(msg(0, v2Report()));
    t.onMessage(msg(50, v3Report(rec('MODE_IS_EXCLUDE')), { src: '10.0.0.3' }));
    expect(t.advance(63.9)).toEqual([]);
    expect(t.advance(64)).toEqual([expect.objectContaining({ kind: 'compat-change', time: 64 })]);
  });
});

describe('timer helpers', () => {
  it('exponent form of RFC 3376 section 4.1.1: worked values', () => {
    // 127 is the last linear value; 128 = 0x10 << 3 (exp 0, mant 0); 125 s QQIC fits linearly.
    expect(encodeExpForm(127)).toBe(127);
    expect(encodeExpForm(128)).toBe(0x80);
    expect(decodeExpForm(0x80)).toBe(128);
    // 200 = 25 << 3: exp 0, mant 9.
    expect(encodeExpForm(200)).toBe(0x89);
    // 0xff = (0xf | 0x10) << (7 + 3) = 31744, the maximum.
    expect(decodeExpForm(0xff)).toBe(31744);
    expect(encodeExpForm(31744)).toBe(0xff);
    // Not representable: the next lower value (201 -> 200).
    expect(encodeExpForm(201)).toBe(0x89);
    for (let code = 0; code < 256; code++) expect(encodeExpForm(decodeExpForm(code))).toBe(code);
  });

  it('isoMicros prints microseconds in UTC', () => {
    expect(isoMicros(Date.UTC(2026, 0, 1, 10) / 1000)).toBe('2026-01-01T10:00:00.000000Z');
    expect(isoMicros(Date.UTC(2026, 0, 1, 10) / 1000 + 0.123456)).toBe('2026-01-01T10:00:00.123456Z');
    expect(isoMicros(59.9999996)).toBe('1970-01-01T00:01:00.000000Z');
  });
});
