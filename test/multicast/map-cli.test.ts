/**
 * `mcast map` through commander (parseAsync on a fresh program with registerMap), stdout/stderr captured by spies,
 * and the exported formatters directly.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { ipv4FromString as ip } from '../../src/wire/addr.js';
import { classify } from '../../src/multicast/index.js';
import {
  formatGroupText,
  formatMacText,
  macGroupPattern,
  rangeText,
  registerMap,
  resolveMapArg,
  runCollisions,
} from '../../src/cli/map.js';

let out = '';
let err = '';

beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = undefined;
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const dir = mkdtempSync(join(tmpdir(), 'mcast-map-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function map(...args: string[]): Promise<number> {
  const program = new Command().exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerMap(program);
  for (const cmd of program.commands) cmd.exitOverride();
  await program.parseAsync(['node', 'mcast', 'map', ...args]);
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

describe('mcast map ADDR...', () => {
  it('maps a group: MAC, block, scope, name, the 31 others', async () => {
    expect(await map('224.0.0.251')).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^224\.0\.0\.251\n/);
    expect(out).toContain('mac        01:00:5e:00:00:fb');
    expect(out).toContain('Local Network Control Block, 224.0.0.0/24');
    expect(out).toContain('mDNS (RFC 6762)');
    expect(out).toContain('never forwarded by routers');
    expect(out).toContain('31 other groups: 224-239.{0,128}.0.251');
    expect(out).toContain('239.128.0.251');
  });

  it('maps a MAC to its 32 groups, naming the registered ones', async () => {
    expect(await map('0100.5e7f.fffa')).toBe(0);
    expect(out).toMatch(/^01:00:5e:7f:ff:fa\n/);
    expect(out).toContain('32 IPv4 groups: 224-239.{127,255}.255.250');
    expect(out).toContain('239.255.255.250 SSDP');
  });

  it('bad arguments: one stderr line each, the good ones still mapped, exit 1', async () => {
    expect(await map('10.0.0.1', '239.1.1.1', '33:33:00:00:00:01', 'nonsense')).toBe(1);
    expect(err.split('\n').filter(Boolean)).toEqual([
      'mcast: 10.0.0.1: not a multicast address (IPv4 multicast is 224.0.0.0/4)',
      'mcast: 33:33:00:00:00:01: not an IPv4 multicast MAC (those are 01:00:5e:00:00:00-01:00:5e:7f:ff:ff)',
      'mcast: "nonsense": not an IPv4 address or a MAC',
    ]);
    expect(out).toMatch(/^239\.1\.1\.1\n/);
    expect(out).not.toContain('10.0.0.1');
  });

  it('--json: one document, a result per argument in order', async () => {
    expect(await map('--json', '239.255.255.250', '01:00:5e:00:00:01', '192.168.1.1')).toBe(1);
    const doc = JSON.parse(out) as { results: Record<string, unknown>[] };
    expect(doc.results.map((r) => r.type)).toEqual(['group', 'mac', 'error']);
    const g = doc.results[0]!;
    expect(g).toMatchObject({
      input: '239.255.255.250',
      group: '239.255.255.250',
      mac: '01:00:5e:7f:ff:fa',
      name: 'SSDP',
      linkLocal: false,
      ssm: false,
      igmpReported: true,
      glopAs: null,
      relative: { offset: 5, scope: 'local', name: 'SSDP' },
    });
    expect((g.block as { id: string }).id).toBe('admin-scoped');
    expect((g.scope as { id: string }).id).toBe('local');
    expect(g.sameMac as string[]).toHaveLength(31);
    const m = doc.results[1]!;
    expect(m.groups as string[]).toHaveLength(32);
    expect(m.named).toEqual([{ group: '224.0.0.1', name: 'All Systems on this Subnet', nameRef: 'RFC 1112' }]);
    expect(doc.results[2]).toEqual({
      input: '192.168.1.1',
      type: 'error',
      error: { code: 'ERR_MAP_NOT_MULTICAST', message: '192.168.1.1: not a multicast address (IPv4 multicast is 224.0.0.0/4)' },
    });
    expect(err).toContain('192.168.1.1');
  });

  it('no address: a UsageError', async () => {
    await expect(map()).rejects.toBeInstanceOf(UsageError);
    await expect(map('--json')).rejects.toBeInstanceOf(UsageError);
  });
});

describe('mcast map --collisions FILE', () => {
  it('clean plan: exit 0', async () => {
    const p = file('clean.txt', '# lab\n239.1.1.1 a\n239.1.1.2 b\n');
    expect(await map('--collisions', p)).toBe(0);
    expect(out).toBe(`${p}: 2 groups on 2 lines; no MAC collisions, no duplicates\n`);
    expect(err).toBe('');
  });

  it('collisions and duplicates: listed with lines and labels, exit 1', async () => {
    const p = file('clash.txt', '239.1.1.1 cam A\n224.1.1.1 cam B\n239.2.2.2\n239.2.2.2 again\n');
    expect(await map('--collisions', p)).toBe(1);
    expect(out).toContain('1 MAC collision, 1 duplicate group');
    expect(out).toContain('01:00:5e:01:01:01 is shared by 2 groups:\n  224.1.1.1       line 2     cam B\n  239.1.1.1       line 1     cam A\n');
    expect(out).toContain('239.2.2.2 is listed 2 times:');
  });

  it('--json document', async () => {
    const p = file('clash2.txt', '239.1.1.1 cam A\n239.129.1.1\n');
    expect(await map('--collisions', p, '--json')).toBe(1);
    expect(JSON.parse(out)).toEqual({
      file: p,
      groups: 2,
      entries: 2,
      collisions: [
        {
          mac: '01:00:5e:01:01:01',
          entries: [
            { group: '239.1.1.1', line: 1, label: 'cam A' },
            { group: '239.129.1.1', line: 2, label: '' },
          ],
        },
      ],
      duplicates: [],
      errors: [],
    });
  });

  it('bad lines: FILE:LINE: reason on stderr, exit 2 even with collisions', async () => {
    const p = file('bad.txt', '239.1.1.1\n224.1.1.1\nfoo bar\n10.1.2.3\n');
    expect(await map('--collisions', p)).toBe(2);
    expect(err).toBe(`mcast: ${p}:3: not an IPv4 address: "foo"\nmcast: ${p}:4: 10.1.2.3 is not a multicast group (224.0.0.0/4)\n`);
    expect(out).toContain('1 MAC collision');
  });

  it('many bad lines: the first 20 shown, then a count', async () => {
    const p = file('junk.txt', 'junk\n'.repeat(25));
    expect(await map('--collisions', p)).toBe(2);
    const lines = err.split('\n').filter(Boolean);
    expect(lines).toHaveLength(21);
    expect(lines[20]).toBe(`mcast: ${p}: 5 more bad lines not shown`);
  });

  it('missing file, directory: one line, exit 2', async () => {
    expect(await map('--collisions', join(dir, 'nope.txt'))).toBe(2);
    expect(err).toBe(`mcast: ${join(dir, 'nope.txt')}: no such file\n`);
    err = '';
    const d = join(dir, 'adir');
    mkdirSync(d, { recursive: true });
    expect(await map('--collisions', d)).toBe(2);
    expect(err).toBe(`mcast: ${d}: is a directory\n`);
    expect(out).toBe('');
  });

  it("'-' reads standard input", async () => {
    const code = await runCollisions('-', false, Readable.from([Buffer.from('239.1.1.1\n'), '239.129.1.1 b\n']));
    expect(code).toBe(1);
    expect(out).toContain('<stdin>: 2 groups on 2 lines; 1 MAC collision');
  });

  it('standard input past the size limit is refused, not buffered', async () => {
    const big = Buffer.alloc(1024 * 1024, 0x41);
    async function* endless(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 64; i++) yield big;
    }
    expect(await runCollisions('-', false, endless())).toBe(2);
    expect(err).toBe('mcast: <stdin>: larger than 16 MiB; not a group plan\n');
  });

  it('addresses and --collisions together: a UsageError', async () => {
    const p = file('x.txt', '239.1.1.1\n');
    await expect(map('--collisions', p, '239.1.1.1')).rejects.toBeInstanceOf(UsageError);
  });
});

describe('formatters', () => {
  it('resolveMapArg', () => {
    expect(resolveMapArg('239.1.1.1').type).toBe('group');
    expect(resolveMapArg(' 01:00:5e:01:01:01 ').type).toBe('mac');
    expect(resolveMapArg('01:00:5e:81:01:01')).toMatchObject({ type: 'error', code: 'ERR_MAP_NOT_IPV4_MCAST_MAC' });
    expect(resolveMapArg('1.2.3.4')).toMatchObject({ type: 'error', code: 'ERR_MAP_NOT_MULTICAST' });
    expect(resolveMapArg('')).toMatchObject({ type: 'error', code: 'ERR_MAP_NOT_ADDRESS' });
  });

  it('macGroupPattern and rangeText', () => {
    expect(macGroupPattern(0x7f0001)).toBe('224-239.{127,255}.0.1');
    expect(macGroupPattern(0)).toBe('224-239.{0,128}.0.0');
    expect(rangeText(ip('224.0.0.0'), ip('224.0.0.255'))).toBe('224.0.0.0/24');
    expect(rangeText(ip('224.0.2.0'), ip('224.0.255.255'))).toBe('224.0.2.0-224.0.255.255');
    expect(rangeText(ip('233.252.0.0'), ip('233.255.255.255'))).toBe('233.252.0.0/14');
  });

  it('group text names GLOP AS, SSM, unicast prefix and the link-local MAC overlap', () => {
    expect(formatGroupText(classify(ip('233.22.30.9'))!)).toContain('AS 5662: 233.22.30.0/24 (RFC 3180)');
    expect(formatGroupText(classify(ip('232.1.2.3'))!)).toContain('source-specific (SSM)');
    expect(formatGroupText(classify(ip('234.192.0.2'))!)).toContain('embeds unicast 192.0.2.0/24');
    expect(formatGroupText(classify(ip('239.0.0.5'))!)).toContain('same MAC as link-local 224.0.0.5');
    expect(formatGroupText(classify(ip('224.0.0.1'))!)).toContain('never reported');
  });

  it('MAC text lists the registered groups', () => {
    const t = formatMacText(0x0000fb);
    expect(t).toContain('224.0.0.251 mDNS (RFC 6762)');
    expect(t.split('\n')[0]).toBe('01:00:5e:00:00:fb');
  });
});
