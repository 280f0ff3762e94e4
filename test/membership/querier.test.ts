/**
 * The querier engine on a fake clock: startup and periodic general queries (RFC 3376 sections 8.6, 8.7), election
 * (6.6.2), group-specific and group-and-source-specific queries with their retransmissions and S flag (6.6.3), v2/v1
 * query formats (RFC 2236, RFC 1112) and configuration errors.
 */
import { describe, expect, it } from 'vitest';
import { QuerierEngine, type QuerierStep, type QuerySend } from '../../src/membership/querier.js';
import { G, kinds, msg, query, rec, v1Report, v2Leave, v2Report, v3Report } from './support.js';

const ME = '10.0.0.5';
const s1 = '192.0.2.1';
const s2 = '192.0.2.2';

function brief(sends: QuerySend[]): string[] {
  return sends.map((s) => {
    const q = s.igmp;
    const flags = q.version === 3 ? ` s=${q.s ? 1 : 0}${q.sources!.length > 0 ? ` [${q.sources!.join(',')}]` : ''}` : '';
    return `${s.time} ${s.reason} v${q.version} ${q.group}->${s.dst}${flags}`;
  });
}

function engine(cfg: Partial<ConstructorParameters<typeof QuerierEngine>[0]> = {}): QuerierEngine {
  return new QuerierEngine({ address: ME, iface: 'eth0', ...cfg }, 0);
}

/** One startup query only, so the specific-query tests see no general query before t=125. */
function quiet(cfg: Partial<ConstructorParameters<typeof QuerierEngine>[0]> = {}): QuerierEngine {
  return engine({ startupQueryCount: 1, ...cfg });
}

describe('general queries', () => {
  it('starts as querier: RV startup queries QI/4 apart, then every QI (v3 format of section 4.1)', () => {
    const e = engine();
    const first = e.tick(0);
    expect(first.sends).toEqual([
      {
        time: 0,
        dst: '224.0.0.1',
        reason: 'startup',
        igmp: { type: 'query', typeCode: 0x11, version: 3, group: '0.0.0.0', maxRespCode: 100, s: false, qrv: 2, qqic: 125, sources: [] },
      },
    ]);
    expect(first.events).toEqual([expect.objectContaining({ kind: 'querier-elected', ip: ME, previous: null, iface: 'eth0' })]);
    expect(e.isQuerier).toBe(true);
    expect(e.nextDeadline()).toBe(31.25);
    expect(brief(e.tick(500).sends)).toEqual([
      '31.25 startup v3 0.0.0.0->224.0.0.1 s=0',
      '156.25 general v3 0.0.0.0->224.0.0.1 s=0',
      '281.25 general v3 0.0.0.0->224.0.0.1 s=0',
      '406.25 general v3 0.0.0.0->224.0.0.1 s=0',
    ]);
    expect(e.nextDeadline()).toBe(531.25);
  });

  it('follows the configuration: robustness, interval, response time; RV above 7 announces QRV 0', () => {
    const e = engine({ robustness: 3, queryInterval: 60, queryResponseInterval: 20 });
    const sends = e.tick(200).sends;
    expect(sends.map((s) => s.time)).toEqual([0, 15, 30, 90, 150]);
    // 20 s = 200 tenths = 0x89 in the exponent form; QQIC 60 is linear.
    expect(sends[0]!.igmp).toMatchObject({ maxRespCode: 0x89, qrv: 3, qqic: 60 });
    expect(engine({ robustness: 8 }).tick(0).sends[0]!.igmp.qrv).toBe(0);
    expect(engine({ robustness: 8 }).table.timers('eth0', null).robustness).toBe(8);
  });

  it('v2 and v1 general queries carry only the 8-byte fields', () => {
    expect(engine({ version: 2 }).tick(0).sends[0]!.igmp).toEqual({ type: 'query', typeCode: 0x11, version: 2, group: '0.0.0.0', maxRespCode: 100 });
    expect(engine({ version: 1 }).tick(0).sends[0]!.igmp).toEqual({ type: 'query', typeCode: 0x11, version: 1, group: '0.0.0.0', maxRespCode: 0 });
  });
});

describe('election (section 6.6.2)', () => {
  it('stops when a lower address queries and resumes after the other-querier-present interval', () => {
    const e = engine();
    e.tick(0);
    const heard = e.receive(msg(10, query(), { src: '10.0.0.1' }));
    expect(heard.sends).toEqual([]);
    expect(kinds(heard.events)).toEqual(['querier-elected']);
    expect(e.isQuerier).toBe(false);
    // The table's record of our own last query runs out first (silently: we are not the elected one there).
    expect(e.nextDeadline()).toBe(255);
    expect(e.tick(255)).toEqual({ sends: [], events: [] });
    expect(e.nextDeadline()).toBe(265); // 10 + RV x QI + QRI / 2
    expect(e.tick(264.9).sends).toEqual([]);
    const back = e.tick(265);
    expect(brief(back.sends)).toEqual(['265 general v3 0.0.0.0->224.0.0.1 s=0']); // no new startup sequence
    expect(back.events).toEqual([
      expect.objectContaining({ kind: 'querier-lost', ip: '10.0.0.1', time: 265 }),
      expect.objectContaining({ kind: 'querier-elected', ip: ME, previous: null, time: 265 }),
    ]);
    expect(e.isQuerier).toBe(true);
    expect(e.tick(390).sends.map((s) => s.time)).toEqual([390]);
  });

  it('a query from 0.0.0.0 (a snooping switch, RFC 4541 2.1.1) does not silence it, nor win the election', () => {
    const e = engine();
    e.tick(0);
    const r = e.receive(msg(10, query(), { src: '0.0.0.0' }));
    expect(r.events.filter((x) => x.kind === 'querier-elected')).toEqual([]);
    expect(e.isQuerier).toBe(true);
    expect(e.tick(31.25).sends).toHaveLength(1);
  });

  it('each query from the lower querier restarts the timer', () => {
    const e = engine();
    e.tick(0);
    e.receive(msg(10, query(), { src: '10.0.0.1' }));
    e.receive(msg(135, query(), { src: '10.0.0.1' }));
    expect(e.tick(389).sends).toEqual([]);
    expect(e.tick(390).sends.map((s) => s.time)).toEqual([390]);
  });

  it('ignores higher addresses (and warns once about an older version), and its own looped-back queries', () => {
    const e = engine();
    e.tick(0);
    const r = e.receive(msg(5, query({ version: 2 }), { src: '10.0.0.9' }));
    expect(r.events).toEqual([
      expect.objectContaining({ kind: 'warning', code: 'older-version-query', ip: '10.0.0.9', version: 2, own: 3 }),
    ]);
    expect(e.receive(msg(6, query({ version: 2 }), { src: '10.0.0.9' })).events).toEqual([]);
    expect(e.isQuerier).toBe(true);
    expect(e.receive(msg(7, query(), { src: ME })).events).toEqual([]);
    expect(e.tick(31.25).sends).toHaveLength(1);
  });
});

describe('group-specific queries (section 6.6.3.1)', () => {
  it('a v2 leave: Q(G) at once with the group timer lowered to LMQT, LMQC - 1 more LMQI later, then expiry', () => {
    const e = quiet();
    e.tick(0);
    e.receive(msg(1, v2Report()));
    const leave = e.receive(msg(50, v2Leave()));
    expect(leave.sends).toEqual([
      {
        time: 50,
        dst: G,
        reason: 'group',
        igmp: { type: 'query', typeCode: 0x11, version: 3, group: G, maxRespCode: 10, s: false, qrv: 2, qqic: 125, sources: [] },
      },
    ]);
    expect(e.table.timerLeft('eth0', null, G)).toBe(2);
    expect(brief(e.tick(51).sends)).toEqual([`51 group v3 ${G}->${G} s=0`]);
    const end = e.tick(52);
    expect(end.sends).toEqual([]);
    expect(kinds(end.events)).toEqual(['group-expired', 'group-removed']);
    expect(e.tick(60).sends).toEqual([]);
  });

  it('a member answering sets the S flag on the retransmission (group timer above LMQT) and keeps the group', () => {
    const e = quiet();
    e.tick(0);
    e.receive(msg(1, v2Report()));
    e.receive(msg(50, v2Leave()));
    e.receive(msg(50.5, v2Report(), { src: '10.0.0.3' }));
    expect(brief(e.tick(51).sends)).toEqual([`51 group v3 ${G}->${G} s=1`]);
    expect(e.table.timerLeft('eth0', null, G)).toBe(259.5); // S set: not lowered by our own query
    expect(e.tick(100).events.filter((x) => x.kind === 'group-removed')).toEqual([]);
  });

  it('stops retransmitting when a lower querier takes over', () => {
    const e = quiet();
    e.tick(0);
    e.receive(msg(1, v2Report()));
    e.receive(msg(50, v2Leave()));
    e.receive(msg(50.5, query(), { src: '10.0.0.1' }));
    expect(e.tick(60).sends).toEqual([]);
  });
});

describe('group-and-source-specific queries (section 6.6.3.2)', () => {
  it('BLOCK in INCLUDE mode: Q(G,A*B) with S clear, the source lowered to LMQT, one retransmission, then expiry', () => {
    const e = quiet();
    e.tick(0);
    e.receive(msg(1, v3Report(rec('ALLOW_NEW_SOURCES', [s1, s2]))));
    const block = e.receive(msg(10, v3Report(rec('BLOCK_OLD_SOURCES', [s1]))));
    expect(brief(block.sends)).toEqual([`10 group-source v3 ${G}->${G} s=0 [${s1}]`]);
    expect(e.table.timerLeft('eth0', null, G, s1)).toBe(2);
    expect(e.table.timerLeft('eth0', null, G, s2)).toBe(251);
    expect(brief(e.tick(11).sends)).toEqual([`11 group-source v3 ${G}->${G} s=0 [${s1}]`]);
    const end = e.tick(12);
    expect(end.events).toEqual([expect.objectContaining({ kind: 'source-expired', source: s1, time: 12 })]);
  });

  it('splits a retransmission: S set for sources a member asked for again, S clear for the others', () => {
    const e = quiet();
    e.tick(0);
    e.receive(msg(1, v3Report(rec('ALLOW_NEW_SOURCES', [s1, s2]))));
    e.receive(msg(10, v3Report(rec('BLOCK_OLD_SOURCES', [s1, s2]))));
    e.receive(msg(10.5, v3Report(rec('ALLOW_NEW_SOURCES', [s2])), { src: '10.0.0.3' }));
    expect(brief(e.tick(11).sends)).toEqual([
      `11 group-source v3 ${G}->${G} s=1 [${s2}]`,
      `11 group-source v3 ${G}->${G} s=0 [${s1}]`,
    ]);
  });

  it('queries only sources whose timers are above LMQT (a source already being queried is not restarted)', () => {
    const e = quiet();
    e.tick(0);
    e.receive(msg(1, v3Report(rec('ALLOW_NEW_SOURCES', [s1]))));
    e.receive(msg(10, v3Report(rec('BLOCK_OLD_SOURCES', [s1]))));
    expect(e.receive(msg(10.2, v3Report(rec('BLOCK_OLD_SOURCES', [s1])), { src: '10.0.0.3' })).sends).toEqual([]);
  });

  it('TO_IN in EXCLUDE mode: Q(G,X-A) and Q(G)', () => {
    const e = quiet();
    e.tick(0);
    e.receive(msg(1, v3Report(rec('CHANGE_TO_EXCLUDE_MODE', ['192.0.2.9']), rec('ALLOW_NEW_SOURCES', [s1]))));
    const r = e.receive(msg(10, v3Report(rec('CHANGE_TO_INCLUDE_MODE', [s2]))));
    expect(brief(r.sends)).toEqual([`10 group-source v3 ${G}->${G} s=0 [${s1}]`, `10 group v3 ${G}->${G} s=0`]);
    expect(e.table.timerLeft('eth0', null, G)).toBe(2);
    expect(e.table.timerLeft('eth0', null, G, s2)).toBe(260);
  });
});

describe('older versions', () => {
  it('v2 querier: v2 group-specific queries on leave, no group-and-source queries', () => {
    const e = quiet({ version: 2 });
    e.tick(0);
    e.receive(msg(1, v2Report()));
    expect(e.receive(msg(10, v2Leave())).sends).toEqual([
      { time: 10, dst: G, reason: 'group', igmp: { type: 'query', typeCode: 0x11, version: 2, group: G, maxRespCode: 10 } },
    ]);
    e.receive(msg(20, v3Report(rec('ALLOW_NEW_SOURCES', [s1], '239.2.2.2'))));
    expect(e.receive(msg(21, v3Report(rec('BLOCK_OLD_SOURCES', [s1], '239.2.2.2')))).sends).toEqual([]);
  });

  it('v2 querier skips the retransmission v3 would send with the S flag', () => {
    const e = quiet({ version: 2 });
    e.tick(0);
    e.receive(msg(1, v2Report()));
    e.receive(msg(10, v2Leave()));
    e.receive(msg(10.5, v2Report(), { src: '10.0.0.3' }));
    expect(e.tick(11).sends).toEqual([]);
  });

  it('v1 querier: no group-specific queries; leaves from v1-compatible groups are ignored', () => {
    const e = quiet({ version: 1 });
    e.tick(0);
    e.receive(msg(1, v1Report()));
    expect(e.receive(msg(10, v2Leave())).sends).toEqual([]);
    expect(e.tick(200).sends.every((s) => s.reason !== 'group')).toBe(true);
    expect(e.table.snapshot(200).groups[0]!.compat).toBe(1);
  });
});

describe('configuration', () => {
  it.each([
    [{ address: 'host' }],
    [{ address: ME, version: 4 as 3 }],
    [{ address: ME, robustness: 0 }],
    [{ address: ME, robustness: 1.5 }],
    [{ address: ME, queryInterval: -1 }],
    [{ address: ME, queryInterval: 10, queryResponseInterval: 10 }],
    [{ address: ME, version: 2 as const, queryResponseInterval: 30 }],
    [{ address: ME, version: 1 as const, queryResponseInterval: 5 }],
    [{ address: ME, queryInterval: 40000, queryResponseInterval: 10 }],
  ])('rejects %j with ERR_QUERIER_CONFIG', (cfg) => {
    expect(() => new QuerierEngine(cfg, 0)).toThrow(expect.objectContaining({ code: 'ERR_QUERIER_CONFIG', name: 'UsageError' }));
  });
});

describe('determinism', () => {
  it('the same inputs give the same outputs', () => {
    const run = () => {
      const e = engine();
      const out: QuerierStep[] = [e.tick(0)];
      out.push(e.receive(msg(1, v3Report(rec('ALLOW_NEW_SOURCES', [s1, s2])), { frame: 1 })));
      out.push(e.receive(msg(2, v2Report('239.3.3.3'), { frame: 2 })));
      out.push(e.receive(msg(3, v3Report(rec('BLOCK_OLD_SOURCES', [s1])), { frame: 3 })));
      out.push(e.receive(msg(4, v2Leave('239.3.3.3'), { frame: 4 })));
      out.push(e.tick(1000));
      return JSON.stringify({ out, table: e.table.snapshot(1000) });
    };
    expect(run()).toBe(run());
  });
});
