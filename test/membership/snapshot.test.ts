/**
 * The `replay --table --json` document, byte for byte as the issue shows it, built from a scenario that reaches
 * exactly that state; the sort order; and the text forms of the table and of events.
 */
import { describe, expect, it } from 'vitest';
import { formatEvent, formatTable } from '../../src/membership/format.js';
import { MembershipTable } from '../../src/membership/table.js';
import type { MembershipEvent } from '../../src/membership/types.js';
import { G, msg, query, rec, v2Report, v3Report } from './support.js';

// The example document of issue 4, verbatim.
const ISSUE_EXAMPLE =
  '{"groups":[{"iface":"eth0","vlan":null,"group":"239.1.1.1","mode":"exclude","sources":[{"addr":"10.0.0.9"}],' +
  '"requested":[{"addr":"10.0.0.7","expiresIn":12.5}],"members":[{"ip":"10.0.0.2","mac":"02:00:00:00:00:02","version":3,' +
  '"lastReport":"2026-01-01T10:00:00.000000Z"}],"expiresIn":251.3,"compat":3}],"queriers":[{"iface":"eth0","vlan":null,' +
  '"ip":"10.0.0.1","version":3,"qrv":2,"qqi":125}]}';

const T0 = Date.UTC(2026, 0, 1, 10) / 1000; // 2026-01-01T10:00:00Z

/**
 * 10:00:00   querier 10.0.0.1 general query (QRV 2, QQIC 125)
 * 10:00:00   host 10.0.0.2: TO_EX({10.0.0.9}) then ALLOW({10.0.0.7}) -> EXCLUDE({10.0.0.7}, {10.0.0.9}), timers GMI
 * 10:00:08.7 querier Q(G,{10.0.0.7}), S clear -> 10.0.0.7 lowered to LMQT (LMQI 6.25 s x LMQC 2 = 12.5 s)
 * Shown at 10:00:08.7: group timer 260 - 8.7 = 251.3 s, 10.0.0.7 12.5 s.
 */
function issueScenario(): MembershipTable {
  const t = new MembershipTable({ lastMemberQueryInterval: 6.25 });
  const eth0 = { iface: 'eth0' };
  t.onMessage(msg(T0, query({ qrv: 2, qqic: 125 }), { ...eth0, src: '10.0.0.1', mac: '02:00:00:00:00:01' }));
  t.onMessage(
    msg(T0, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', ['10.0.0.9']), rec('ALLOW_NEW_SOURCES', ['10.0.0.7'])), {
      ...eth0,
      src: '10.0.0.2',
      mac: '02:00:00:00:00:02',
    }),
  );
  t.onMessage(msg(T0 + 8.7, query({ group: G, sources: ['10.0.0.7'], maxRespCode: 62 }), { ...eth0, src: '10.0.0.1' }));
  return t;
}

describe('snapshot', () => {
  it('matches the issue\'s JSON document exactly', () => {
    expect(JSON.stringify(issueScenario().snapshot(T0 + 8.7))).toBe(ISSUE_EXAMPLE);
  });

  it('sorts by interface (none first), VLAN (none first) and group numerically', () => {
    const t = new MembershipTable();
    const at = (iface: string | null, vlan: number | null, group: string) =>
      t.onMessage(msg(0, v2Report(group), { iface, vlan }));
    at('eth1', null, '239.1.1.1');
    at('eth0', 20, '239.1.1.1');
    at('eth0', 3, '239.1.1.10');
    at('eth0', 3, '239.1.1.9');
    at(null, null, '239.255.0.1');
    at('eth0', null, '225.0.0.1');
    expect(t.snapshot(0).groups.map((g) => `${g.iface}/${g.vlan}/${g.group}`)).toEqual([
      'null/null/239.255.0.1',
      'eth0/null/225.0.0.1',
      'eth0/3/239.1.1.9',
      'eth0/3/239.1.1.10',
      'eth0/20/239.1.1.1',
      'eth1/null/239.1.1.1',
    ]);
  });

  it('INCLUDE groups list their sources with timers, expiresIn is the largest', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v3Report(rec('ALLOW_NEW_SOURCES', ['10.0.0.20']))));
    t.onMessage(msg(10, v3Report(rec('ALLOW_NEW_SOURCES', ['10.0.0.3']))));
    expect(t.snapshot(20).groups[0]).toMatchObject({
      mode: 'include',
      sources: [
        { addr: '10.0.0.3', expiresIn: 250 },
        { addr: '10.0.0.20', expiresIn: 240 },
      ],
      requested: [],
      expiresIn: 250,
    });
  });

  it('snapshot(time) runs the timers to that time (replay --at)', () => {
    const t = new MembershipTable();
    t.onMessage(msg(0, v2Report()));
    expect(t.snapshot(100).groups[0]!.expiresIn).toBe(160);
    expect(t.snapshot(300).groups).toEqual([]);
    expect(t.now).toBe(300);
  });
});

describe('text forms', () => {
  it('formats the table with aligned columns and the queriers', () => {
    const t = issueScenario();
    t.onMessage(msg(T0 + 8.7, v2Report('239.1.1.2'), { iface: 'eth0', vlan: 7, src: '10.0.0.3' }));
    t.onMessage(msg(T0 + 8.7, v3Report(rec('ALLOW_NEW_SOURCES', ['10.0.0.8'], '232.1.1.1')), { iface: 'eth0', src: '10.0.0.4' }));
    expect(formatTable(t.snapshot(T0 + 8.7))).toBe(
      [
        'IFACE  VLAN  GROUP      MODE     SOURCES                                          MEMBERS   EXPIRES IN  COMPAT',
        'eth0   -     232.1.1.1  include  10.0.0.8 (260s)                                  10.0.0.4  260s        v3',
        'eth0   -     239.1.1.1  exclude  all except 10.0.0.9; requested 10.0.0.7 (12.5s)  10.0.0.2  251.3s      v3',
        'eth0   7     239.1.1.2  exclude  all                                              10.0.0.3  260s        v2',
        '',
        'IFACE  VLAN  QUERIER   VERSION  QRV  QQI',
        'eth0   -     10.0.0.1  v3       2    125s',
        '',
      ].join('\n'),
    );
  });

  it('says when the table is empty', () => {
    expect(formatTable({ groups: [], queriers: [] })).toBe('no groups\n\nno querier\n');
  });

  it('formats events one per line', () => {
    const base = { time: 12.5, frame: 7, iface: 'eth0', vlan: null };
    const lines: [MembershipEvent, string][] = [
      [{ ...base, kind: 'join', group: G, host: '10.0.0.2', mac: '02:00:00:00:00:02', version: 3 }, '12.500000 #7 eth0 239.1.1.1 join 10.0.0.2 (02:00:00:00:00:02) v3'],
      [{ ...base, frame: null, vlan: 10, kind: 'group-expired', group: G }, '12.500000 timer eth0.10 239.1.1.1 group timer expired'],
      [{ ...base, kind: 'query-needed', group: G, sources: ['10.0.0.7', '10.0.0.8'] }, '12.500000 #7 eth0 239.1.1.1 needs Q(G,{10.0.0.7, 10.0.0.8})'],
      [{ ...base, kind: 'query-needed', group: G, sources: null }, '12.500000 #7 eth0 239.1.1.1 needs Q(G)'],
      [{ ...base, kind: 'querier-elected', ip: '10.0.0.1', version: 2, previous: '10.0.0.5' }, '12.500000 #7 eth0 querier 10.0.0.1 (v2) elected, replacing 10.0.0.5'],
      [{ ...base, kind: 'warning', code: 'qqic-mismatch', ip: '10.0.0.1', announced: 125, seen: 60 }, '12.500000 #7 eth0 warning: 10.0.0.1 queries every 60s but announces QQIC 125s'],
    ];
    for (const [e, text] of lines) expect(formatEvent(e)).toBe(text);
    expect(formatEvent(lines[0]![0], { formatTime: (s) => `[${s}]` })).toBe('[12.5] #7 eth0 239.1.1.1 join 10.0.0.2 (02:00:00:00:00:02) v3');
  });

  it('events are plain JSON-able objects with kind first', () => {
    const t = new MembershipTable();
    const ev = t.onMessage(msg(1, v2Report(), { iface: 'eth0', frame: 5 }));
    expect(JSON.parse(JSON.stringify(ev))).toEqual(ev);
    expect(Object.keys(ev[0]!)).toEqual(['kind', 'time', 'frame', 'iface', 'vlan', 'group']);
  });
});
