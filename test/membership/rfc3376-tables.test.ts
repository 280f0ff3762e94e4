/**
 * RFC 3376 section 6.4 as data: every row of table 6.4.1 (current-state records) and table 6.4.2 (filter-mode-change
 * and source-list-change records), each with the router state before, the record received, the state after and
 * the actions. The rows were written from the RFC's tables:
 *
 *   6.4.1  Router State   Report Rec'd  New Router State   Actions
 *          INCLUDE (A)    IS_IN (B)     INCLUDE (A+B)      (B)=GMI
 *          INCLUDE (A)    IS_EX (B)     EXCLUDE (A*B,B-A)  (B-A)=0; Delete (A-B); Group Timer=GMI
 *          EXCLUDE (X,Y)  IS_IN (A)     EXCLUDE (X+A,Y-A)  (A)=GMI
 *          EXCLUDE (X,Y)  IS_EX (A)     EXCLUDE (A-Y,Y*A)  (A-X-Y)=GMI; Delete (X-A); Delete (Y-A); Group Timer=GMI
 *   6.4.2  INCLUDE (A)    ALLOW (B)     INCLUDE (A+B)      (B)=GMI
 *          INCLUDE (A)    BLOCK (B)     INCLUDE (A)        Send Q(G,A*B)
 *          INCLUDE (A)    TO_EX (B)     EXCLUDE (A*B,B-A)  (B-A)=0; Delete (A-B); Send Q(G,A*B); Group Timer=GMI
 *          INCLUDE (A)    TO_IN (B)     INCLUDE (A+B)      (B)=GMI; Send Q(G,A-B)
 *          EXCLUDE (X,Y)  ALLOW (A)     EXCLUDE (X+A,Y-A)  (A)=GMI
 *          EXCLUDE (X,Y)  BLOCK (A)     EXCLUDE (X+(A-Y),Y) (A-X-Y)=Group Timer; Send Q(G,A-Y)
 *          EXCLUDE (X,Y)  TO_EX (A)     EXCLUDE (A-Y,Y*A)  (A-X-Y)=Group Timer; Delete (X-A); Delete (Y-A);
 *                                                          Send Q(G,A-Y); Group Timer=GMI
 *          EXCLUDE (X,Y)  TO_IN (A)     EXCLUDE (X+A,Y-A)  (A)=GMI; Send Q(G,X-A); Send Q(G)
 *
 * (The RFC text itself was not in the search corpus; the rows were checked against the restatement of RFC 9776,
 * the 3376 revision, in INET's IGMP catalog, RFC9776-RREP-8..11 and -20..27, which matches row for row.)
 *
 * Set-up, so that every timer expression gives a different number:
 * - INCLUDE (A): A = {s1, s2}, their timers set at t=103 (so "unchanged" reads GMI - 7 at t=110).
 * - EXCLUDE (X,Y): X = {s1, s2} set at t=105 (GMI - 5 at t=110), Y = {s3, s4}, group timer set at t=100
 *   (GMI - 10 at t=110: "Group Timer" below).
 * - The record arrives at t=110. INCLUDE rows: B = {s2, s3} (A*B = {s2}, A-B = {s1}, B-A = {s3}). EXCLUDE rows:
 *   A = {s2, s3, s5} (A*X = {s2}, A*Y = {s3}, A-X-Y = {s5}, X-A = {s1}, Y-A = {s4}).
 */
import { describe, expect, it } from 'vitest';
import { MembershipTable } from '../../src/membership/table.js';
import type { RecordTypeName } from '../../src/wire/igmp.js';
import { kinds, msg, queriesOf, rec, v3Report } from './support.js';

const S = { s1: '192.0.2.1', s2: '192.0.2.2', s3: '192.0.2.3', s4: '192.0.2.4', s5: '192.0.2.5' } as const;
type Src = keyof typeof S;
/** Timer expressions, in seconds left at t=110: 0 = not running (an excluded source). */
type TimerExpr = 'GMI' | 'unchanged' | 'GroupTimer' | 0;

interface Row {
  table: '6.4.1' | '6.4.2';
  rfc: string;
  before: 'include' | 'exclude';
  record: RecordTypeName;
  after: 'include' | 'exclude';
  sources: Partial<Record<Src, TimerExpr>>;
  /** EXCLUDE after: the group timer ('GMI' or 'unchanged'). */
  groupTimer?: 'GMI' | 'unchanged';
  /** The Send Q actions: null is Q(G), a list is Q(G,list). */
  queries: (Src[] | null)[];
}

const ROWS: Row[] = [
  // Table 6.4.1
  { table: '6.4.1', rfc: 'INCLUDE (A) IS_IN (B) -> INCLUDE (A+B); (B)=GMI', before: 'include', record: 'MODE_IS_INCLUDE',
    after: 'include', sources: { s1: 'unchanged', s2: 'GMI', s3: 'GMI' }, queries: [] },
  { table: '6.4.1', rfc: 'INCLUDE (A) IS_EX (B) -> EXCLUDE (A*B,B-A); (B-A)=0; Delete (A-B); Group Timer=GMI',
    before: 'include', record: 'MODE_IS_EXCLUDE', after: 'exclude', sources: { s2: 'unchanged', s3: 0 }, groupTimer: 'GMI', queries: [] },
  { table: '6.4.1', rfc: 'EXCLUDE (X,Y) IS_IN (A) -> EXCLUDE (X+A,Y-A); (A)=GMI', before: 'exclude', record: 'MODE_IS_INCLUDE',
    after: 'exclude', sources: { s1: 'unchanged', s2: 'GMI', s3: 'GMI', s4: 0, s5: 'GMI' }, groupTimer: 'unchanged', queries: [] },
  { table: '6.4.1', rfc: 'EXCLUDE (X,Y) IS_EX (A) -> EXCLUDE (A-Y,Y*A); (A-X-Y)=GMI; Delete (X-A); Delete (Y-A); Group Timer=GMI',
    before: 'exclude', record: 'MODE_IS_EXCLUDE', after: 'exclude', sources: { s2: 'unchanged', s3: 0, s5: 'GMI' }, groupTimer: 'GMI', queries: [] },
  // Table 6.4.2
  { table: '6.4.2', rfc: 'INCLUDE (A) ALLOW (B) -> INCLUDE (A+B); (B)=GMI', before: 'include', record: 'ALLOW_NEW_SOURCES',
    after: 'include', sources: { s1: 'unchanged', s2: 'GMI', s3: 'GMI' }, queries: [] },
  { table: '6.4.2', rfc: 'INCLUDE (A) BLOCK (B) -> INCLUDE (A); Send Q(G,A*B)', before: 'include', record: 'BLOCK_OLD_SOURCES',
    after: 'include', sources: { s1: 'unchanged', s2: 'unchanged' }, queries: [['s2']] },
  { table: '6.4.2', rfc: 'INCLUDE (A) TO_EX (B) -> EXCLUDE (A*B,B-A); (B-A)=0; Delete (A-B); Send Q(G,A*B); Group Timer=GMI',
    before: 'include', record: 'CHANGE_TO_EXCLUDE_MODE', after: 'exclude', sources: { s2: 'unchanged', s3: 0 }, groupTimer: 'GMI', queries: [['s2']] },
  { table: '6.4.2', rfc: 'INCLUDE (A) TO_IN (B) -> INCLUDE (A+B); (B)=GMI; Send Q(G,A-B)', before: 'include', record: 'CHANGE_TO_INCLUDE_MODE',
    after: 'include', sources: { s1: 'unchanged', s2: 'GMI', s3: 'GMI' }, queries: [['s1']] },
  { table: '6.4.2', rfc: 'EXCLUDE (X,Y) ALLOW (A) -> EXCLUDE (X+A,Y-A); (A)=GMI', before: 'exclude', record: 'ALLOW_NEW_SOURCES',
    after: 'exclude', sources: { s1: 'unchanged', s2: 'GMI', s3: 'GMI', s4: 0, s5: 'GMI' }, groupTimer: 'unchanged', queries: [] },
  { table: '6.4.2', rfc: 'EXCLUDE (X,Y) BLOCK (A) -> EXCLUDE (X+(A-Y),Y); (A-X-Y)=Group Timer; Send Q(G,A-Y)',
    before: 'exclude', record: 'BLOCK_OLD_SOURCES', after: 'exclude',
    sources: { s1: 'unchanged', s2: 'unchanged', s3: 0, s4: 0, s5: 'GroupTimer' }, groupTimer: 'unchanged', queries: [['s2', 's5']] },
  { table: '6.4.2', rfc: 'EXCLUDE (X,Y) TO_EX (A) -> EXCLUDE (A-Y,Y*A); (A-X-Y)=Group Timer; Delete (X-A); Delete (Y-A); Send Q(G,A-Y); Group Timer=GMI',
    before: 'exclude', record: 'CHANGE_TO_EXCLUDE_MODE', after: 'exclude',
    sources: { s2: 'unchanged', s3: 0, s5: 'GroupTimer' }, groupTimer: 'GMI', queries: [['s2', 's5']] },
  { table: '6.4.2', rfc: 'EXCLUDE (X,Y) TO_IN (A) -> EXCLUDE (X+A,Y-A); (A)=GMI; Send Q(G,X-A); Send Q(G)',
    before: 'exclude', record: 'CHANGE_TO_INCLUDE_MODE', after: 'exclude',
    sources: { s1: 'unchanged', s2: 'GMI', s3: 'GMI', s4: 0, s5: 'GMI' }, groupTimer: 'unchanged', queries: [['s1'], null] },
];

/** Two timer settings: the RFC defaults (GMI 260 s) and RV 3, QI 60 s, QRI 5 s (GMI 3 x 60 + 5 = 185 s). */
const SETTINGS = [
  { name: 'RFC defaults', opts: {}, gmi: 260 },
  { name: 'RV 3, QI 60, QRI 5', opts: { robustness: 3, queryInterval: 60, queryResponseInterval: 5 }, gmi: 185 },
];

const H_SETUP = '10.0.0.50';
const H_TEST = '10.0.0.60';

function setUp(t: MembershipTable, before: 'include' | 'exclude'): void {
  if (before === 'include') {
    t.onMessage(msg(103, v3Report(rec('ALLOW_NEW_SOURCES', [S.s1, S.s2])), { src: H_SETUP }));
  } else {
    t.onMessage(msg(100, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', [S.s3, S.s4])), { src: H_SETUP }));
    t.onMessage(msg(105, v3Report(rec('ALLOW_NEW_SOURCES', [S.s1, S.s2])), { src: H_SETUP }));
  }
}

describe.each(SETTINGS)('RFC 3376 section 6.4 tables ($name)', ({ opts, gmi }) => {
  it.each(ROWS)('$table: $rfc', (row) => {
    const t = new MembershipTable(opts);
    setUp(t, row.before);
    const recordSources = row.before === 'include' ? [S.s2, S.s3] : [S.s2, S.s3, S.s5];
    const events = t.onMessage(msg(110, v3Report(rec(row.record, recordSources)), { src: H_TEST }));

    // Seconds left at t=110 for each expression.
    const unchanged = row.before === 'include' ? gmi - 7 : gmi - 5;
    const value = (e: TimerExpr): number =>
      e === 'GMI' ? gmi : e === 'unchanged' ? unchanged : e === 'GroupTimer' ? gmi - 10 : 0;

    const snap = t.snapshot(110);
    expect(snap.groups).toHaveLength(1);
    const g = snap.groups[0]!;
    expect(g.mode).toBe(row.after);

    const got: Record<string, number> = {};
    if (g.mode === 'include') {
      for (const s of g.sources) got[s.addr] = s.expiresIn!;
      expect(g.requested).toEqual([]);
    } else {
      for (const s of g.sources) {
        expect(s.expiresIn).toBeUndefined(); // excluded sources carry no timer
        got[s.addr] = 0;
      }
      for (const s of g.requested) got[s.addr] = s.expiresIn;
    }
    const want: Record<string, number> = {};
    for (const [k, e] of Object.entries(row.sources)) want[S[k as Src]] = value(e as TimerExpr);
    expect(got).toEqual(want);

    if (row.after === 'exclude') {
      expect(g.expiresIn).toBe(row.groupTimer === 'GMI' ? gmi : gmi - 10);
    } else {
      expect(g.expiresIn).toBe(Math.max(...Object.values(want)));
    }
    const wantQueries = row.queries.map((q) => (q === null ? null : q.map((k) => S[k]).sort()));
    expect(queriesOf(events)).toEqual(wantQueries);
    // A query-needed event is an action only: a passive table does not lower its own timers for it (6.6.1 does,
    // when the querier's query is seen), which the timer values above already show.
  });
});

describe('RFC 3376 section 6.4: details the rows imply', () => {
  it('starts from INCLUDE({}): a first TO_EX makes EXCLUDE({}, B) with the group timer at GMI', () => {
    const t = new MembershipTable();
    const ev = t.onMessage(msg(0, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', [S.s1]))));
    expect(kinds(ev)).toEqual(['group-added', 'mode-change', 'source-added', 'join']);
    const g = t.snapshot(0).groups[0]!;
    expect(g).toMatchObject({ mode: 'exclude', sources: [{ addr: S.s1 }], requested: [], expiresIn: 260 });
  });

  it('makes no state from a record that leaves INCLUDE({}) (BLOCK, TO_IN({}), IS_IN({}) on a new group)', () => {
    const t = new MembershipTable();
    for (const type of ['BLOCK_OLD_SOURCES', 'CHANGE_TO_INCLUDE_MODE', 'MODE_IS_INCLUDE', 'ALLOW_NEW_SOURCES'] as const) {
      const ev = t.onMessage(msg(0, v3Report(rec(type, type === 'BLOCK_OLD_SOURCES' ? [S.s1] : []))));
      expect(ev).toEqual([]);
    }
    expect(t.groupCount).toBe(0);
    expect(t.snapshot(0).groups).toEqual([]);
  });

  it('counts a source listed twice in a record once', () => {
    const t = new MembershipTable();
    setUp(t, 'exclude');
    const ev = t.onMessage(msg(110, v3Report(rec('BLOCK_OLD_SOURCES', [S.s5, S.s5, S.s2, S.s5]))));
    expect(queriesOf(ev)).toEqual([[S.s2, S.s5].sort()]);
    expect(ev.filter((e) => e.kind === 'source-added')).toHaveLength(1);
  });

  it('reports source list moves: EXCLUDE ALLOW takes a source from Y to X', () => {
    const t = new MembershipTable();
    setUp(t, 'exclude');
    const ev = t.onMessage(msg(110, v3Report(rec('ALLOW_NEW_SOURCES', [S.s3]))));
    expect(ev).toEqual([
      expect.objectContaining({ kind: 'source-moved', source: S.s3, from: 'exclude', to: 'requested', time: 110 }),
      expect.objectContaining({ kind: 'join' }),
    ]);
  });

  it('reports removals with the list they left, and the mode change, for INCLUDE TO_EX', () => {
    const t = new MembershipTable();
    setUp(t, 'include');
    const ev = t.onMessage(msg(110, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', [S.s2, S.s3])), { frame: 7 }));
    expect(ev.map((e) => (e.kind === 'source-added' || e.kind === 'source-removed' ? `${e.kind} ${e.source} ${e.list}` : e.kind))).toEqual([
      `source-removed ${S.s1} include`,
      'mode-change',
      `source-added ${S.s3} exclude`,
      'query-needed',
      'join',
    ]);
    for (const e of ev) expect(e).toMatchObject({ frame: 7, time: 110, iface: null, vlan: null });
  });

  it('bounds the source records of a group (hostile captures): 1024, one warning, and still fast', () => {
    const t = new MembershipTable();
    const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => `10.${(from + i) >> 16}.${((from + i) >> 8) & 255}.${(from + i) & 255}`);
    const first = t.onMessage(msg(0, v3Report(rec('ALLOW_NEW_SOURCES', many(0, 2000)))));
    expect(first.filter((e) => e.kind === 'warning')).toEqual([
      expect.objectContaining({ kind: 'warning', code: 'source-limit', group: '239.1.1.1', limit: 1024 }),
    ]);
    const start = performance.now();
    for (let i = 1; i <= 2000; i++) {
      expect(kinds(t.onMessage(msg(i * 0.01, v3Report(rec('ALLOW_NEW_SOURCES', many(i * 300, 300))))))).not.toContain('warning:source-limit');
    }
    expect(performance.now() - start).toBeLessThan(3000);
    expect(t.snapshot(20).groups[0]!.sources).toHaveLength(1024);
  });

  it('ignores unknown record types and records with a bad checksum message', () => {
    const t = new MembershipTable();
    const unknown = v3Report({ type: 'unknown', typeCode: 9, group: '239.1.1.1', sources: [] });
    expect(t.onMessage(msg(0, unknown))).toEqual([]);
    const bad = { ...v3Report(rec('CHANGE_TO_EXCLUDE_MODE')), checksumOk: false };
    expect(t.onMessage(msg(0, bad))).toEqual([]);
    expect(t.groupCount).toBe(0);
  });
});
