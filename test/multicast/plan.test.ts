import { describe, expect, it } from 'vitest';
import { ipv4FromString as ip, ipv4ToString } from '../../src/wire/addr.js';
import { MAX_PLAN_LINE, checkPlan, parsePlan } from '../../src/multicast/index.js';

describe('parsePlan', () => {
  it('reads groups, labels, comments, blank lines, CRLF and a BOM', () => {
    const text = '\ufeff# lab plan\r\n\r\n239.1.1.1   camera A  # north wall\r\n  224.1.1.1\tcamera B\r\n239.129.1.1\n#239.2.2.2 disabled\n';
    const plan = parsePlan(text);
    expect(plan.errors).toEqual([]);
    expect(plan.entries).toEqual([
      { group: ip('239.1.1.1'), line: 3, label: 'camera A' },
      { group: ip('224.1.1.1'), line: 4, label: 'camera B' },
      { group: ip('239.129.1.1'), line: 5, label: '' },
    ]);
  });

  it('reports every bad line with its number and a code', () => {
    const text = ['239.1.1.1', 'camera 239.1.1.2', '10.0.0.1 unicast', '239.1.1.256', '239.1.1', '239.1.1.3', 'x'.repeat(MAX_PLAN_LINE + 1)].join('\n');
    const plan = parsePlan(text);
    expect(plan.entries.map((e) => [ipv4ToString(e.group), e.line])).toEqual([
      ['239.1.1.1', 1],
      ['239.1.1.3', 6],
    ]);
    expect(plan.errors.map((e) => [e.line, e.code, e.token])).toEqual([
      [2, 'ERR_PLAN_NOT_IPV4', 'camera'],
      [3, 'ERR_PLAN_NOT_MULTICAST', '10.0.0.1'],
      [4, 'ERR_PLAN_NOT_IPV4', '239.1.1.256'],
      [5, 'ERR_PLAN_NOT_IPV4', '239.1.1'],
      [7, 'ERR_PLAN_LINE_TOO_LONG', 'x'.repeat(64)],
    ]);
  });

  it('an empty file is an empty plan', () => {
    expect(parsePlan('')).toEqual({ entries: [], errors: [] });
    expect(parsePlan('\n\n# nothing\n')).toEqual({ entries: [], errors: [] });
  });

  it('binary junk gives bounded errors, never a throw', () => {
    const junk = String.fromCharCode(...Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256));
    const plan = parsePlan(junk);
    expect(plan.entries.length + plan.errors.length).toBeLessThanOrEqual(junk.split('\n').length);
    for (const e of plan.errors) expect(e.token.length).toBeLessThanOrEqual(64);
  });
});

describe('checkPlan', () => {
  it('finds MAC collisions and duplicates, with the lines involved', () => {
    const plan = parsePlan(
      ['239.1.1.1 cam A', '239.2.2.2 cam B', '224.1.1.1 cam C', '239.129.1.1', '239.2.2.2 cam B again', '239.3.3.3'].join('\n'),
    );
    const r = checkPlan(plan.entries);
    expect(r.groups).toBe(5);
    expect(r.collisions).toHaveLength(1);
    expect(r.collisions[0]!.mac).toBe('01:00:5e:01:01:01');
    expect(r.collisions[0]!.entries.map((e) => [ipv4ToString(e.group), e.line, e.label])).toEqual([
      ['224.1.1.1', 3, 'cam C'],
      ['239.1.1.1', 1, 'cam A'],
      ['239.129.1.1', 4, ''],
    ]);
    expect(r.duplicates).toHaveLength(1);
    expect(ipv4ToString(r.duplicates[0]!.group)).toBe('239.2.2.2');
    expect(r.duplicates[0]!.entries.map((e) => e.line)).toEqual([2, 5]);
  });

  it('a duplicated group alone is not a MAC collision', () => {
    const r = checkPlan(parsePlan('239.1.1.1\n239.1.1.1\n').entries);
    expect(r.collisions).toEqual([]);
    expect(r.duplicates).toHaveLength(1);
  });

  it('a clean plan reports nothing', () => {
    const r = checkPlan(parsePlan('239.1.1.1\n239.1.1.2\n239.255.255.250\n').entries);
    expect(r).toEqual({ groups: 3, collisions: [], duplicates: [] });
  });
});
