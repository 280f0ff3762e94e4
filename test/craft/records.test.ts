/**
 * Group records from text: the short text form (--record and records files), the JSON form, and one-line errors
 * that name the file and line (codes asserted, plus the "where" prefix the user reads).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { McastError } from '../../src/errors.js';
import { parseRecordArg, parseRecordsText, readRecordsFile, recordTypeCodeOf, MAX_RECORDS_FILE } from '../../src/craft/records.js';

function fails(fn: () => unknown, code: string, where: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(McastError);
  expect((err as McastError).code).toBe(code);
  // One line, starting with where the fault is.
  expect((err as Error).message.startsWith(`${where}: `), (err as Error).message).toBe(true);
  expect((err as Error).message).not.toContain('\n');
}

describe('record type words', () => {
  it.each([
    // RFC 3376 section 6.4 short names, section 4.2.12 names and codes
    ['is-in', 1], ['IS_IN', 1], ['mode_is_include', 1], ['MODE-IS-INCLUDE', 1],
    ['is-ex', 2], ['mode-is-exclude', 2],
    ['to-in', 3], ['change-to-include-mode', 3], ['include', 3],
    ['to-ex', 4], ['CHANGE_TO_EXCLUDE_MODE', 4], ['exclude', 4],
    ['allow', 5], ['allow-new-sources', 5],
    ['block', 6], ['BLOCK_OLD_SOURCES', 6],
    ['0', 0], ['7', 7], ['255', 255],
  ] as [string, number][])('%s -> %s', (word, code) => {
    expect(recordTypeCodeOf(word)).toBe(code);
  });

  it('unknown words and codes beyond a byte', () => {
    expect(recordTypeCodeOf('joinn')).toBeNull();
    expect(recordTypeCodeOf('256')).toBeNull();
    expect(recordTypeCodeOf('-1')).toBeNull();
  });
});

describe('the text form', () => {
  it('a join, a source-specific join, a leave', () => {
    expect(parseRecordArg('239.1.1.1 exclude', '--record 1')).toEqual({ type: 'CHANGE_TO_EXCLUDE_MODE', typeCode: 4, group: '239.1.1.1', sources: [] });
    expect(parseRecordArg('232.1.1.1 include 10.0.0.1,10.0.0.2', '--record 2')).toEqual({
      type: 'CHANGE_TO_INCLUDE_MODE', typeCode: 3, group: '232.1.1.1', sources: ['10.0.0.1', '10.0.0.2'],
    });
    expect(parseRecordArg('239.1.1.1 include', '--record 3')).toEqual({ type: 'CHANGE_TO_INCLUDE_MODE', typeCode: 3, group: '239.1.1.1', sources: [] });
  });

  it('sources separated by commas and spaces; unknown codes kept as data', () => {
    expect(parseRecordArg('  232.1.1.1   allow 10.0.0.1, 10.0.0.2 10.0.0.3  ', 'x').sources).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(parseRecordArg('239.1.1.1 9', 'x')).toEqual({ type: 'unknown', typeCode: 9, group: '239.1.1.1', sources: [] });
  });

  it('a file: comments, blank lines, line numbers', () => {
    const text = '# joins\n239.1.1.1 is-ex\n\n232.1.1.1 is-in 10.0.0.1  # one source\r\n239.2.2.2 block 10.9.9.9\n';
    expect(parseRecordsText(text, 'r.txt').map((r) => [r.typeCode, r.group, r.sources])).toEqual([
      [2, '239.1.1.1', []],
      [1, '232.1.1.1', ['10.0.0.1']],
      [6, '239.2.2.2', ['10.9.9.9']],
    ]);
  });

  it.each([
    ['239.1.1.1', 'r.txt:3'],
    ['239.1.1.1 joinn', 'r.txt:3'],
    ['10.0.0.1 exclude', 'r.txt:3'],
    ['239.1.1 exclude', 'r.txt:3'],
    ['239.1.1.1 allow 10.0.0.256', 'r.txt:3'],
    ['239.1.1.1 256', 'r.txt:3'],
  ])('error %j names the file and line', (line, where) => {
    fails(() => parseRecordsText(`# header\n239.9.9.9 exclude\n${line}\n`, 'r.txt'), 'ERR_CRAFT_RECORD', where);
  });

  it('an empty --record', () => {
    fails(() => parseRecordArg('  # nothing', '--record 2'), 'ERR_CRAFT_RECORD', '--record 2');
  });
});

describe('the JSON form', () => {
  const doc = `[
  {"group": "239.1.1.1", "type": "to-ex"},
  {"group": "232.1.1.1", "type": "allow", "sources": ["10.0.0.1", "10.0.0.2"]},
  {"group": "239.3.3.3", "type": 2, "sources": [], "auxData": "0a0b0c0d"}
]`;

  it('an array of records, types by name or code, aux data', () => {
    const recs = parseRecordsText(doc, 'r.json');
    expect(recs.map((r) => [r.typeCode, r.group, r.sources])).toEqual([
      [4, '239.1.1.1', []],
      [5, '232.1.1.1', ['10.0.0.1', '10.0.0.2']],
      [2, '239.3.3.3', []],
    ]);
    expect(Array.from(recs[2]!.auxData!)).toEqual([0x0a, 0x0b, 0x0c, 0x0d]);
  });

  it('an object with a records array', () => {
    expect(parseRecordsText(`{"records": ${doc}}`, 'r.json')).toHaveLength(3);
  });

  it.each([
    // [record text on line 3, what is wrong]
    ['{"group": "10.0.0.1", "type": "to-ex"}', 'not multicast'],
    ['{"group": "239.1.1.1", "type": "sideways"}', 'unknown type'],
    ['{"group": "239.1.1.1", "type": 300}', 'code out of range'],
    ['{"group": "239.1.1.1", "type": "allow", "sources": "10.0.0.1"}', 'sources not an array'],
    ['{"group": "239.1.1.1", "type": "allow", "source": ["10.0.0.1"]}', 'unknown key'],
    ['{"group": "239.1.1.1", "type": "allow", "auxData": "0a0b0c"}', 'aux data not whole words'],
    ['{"type": "allow"}', 'no group'],
    ['"239.1.1.1 exclude"', 'not an object'],
  ])('%s (%s): names the line', (rec) => {
    fails(() => parseRecordsText(`[\n  {"group": "239.9.9.9", "type": "exclude"},\n  ${rec}\n]`, 'r.json'), 'ERR_CRAFT_RECORD', 'r.json:3: record 2');
  });

  it.each([
    ['[\n  {"group": "239.1.1.1", "type": "exclude"}\n  {"group": "239.2.2.2"}\n]', 'r.json:3'],
    ['[\n {"group": "239.1.1.1", "type": "exclude",}\n]', 'r.json:2'],
    ['[\n {"group": "239.1.1.1\n"}]', 'r.json:2'],
    ['{"records": 5}', 'r.json:1'],
    ['[' .repeat(100), 'r.json:1'],
    ['[{"group": "239.1.1.1", "type": "exclude"}] x', 'r.json:1'],
  ])('syntax error in %j names line %s', (text, where) => {
    fails(() => parseRecordsText(text, 'r.json'), 'ERR_CRAFT_RECORD', where);
  });
});

describe('reading records files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcast-records-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('text and JSON files by content', () => {
    const t = join(dir, 'a.txt');
    writeFileSync(t, '239.1.1.1 exclude\n');
    const j = join(dir, 'a.records');
    writeFileSync(j, '  [{"group": "239.1.1.1", "type": "exclude"}]');
    expect(readRecordsFile(t)).toEqual(readRecordsFile(j));
  });

  it('missing, a directory, too large: SystemError ERR_RECORDS_FILE naming the file', () => {
    fails(() => readRecordsFile(join(dir, 'nope.txt')), 'ERR_RECORDS_FILE', join(dir, 'nope.txt'));
    fails(() => readRecordsFile(dir), 'ERR_RECORDS_FILE', dir);
    const big = join(dir, 'big.txt');
    writeFileSync(big, Buffer.alloc(MAX_RECORDS_FILE + 1, 0x20));
    fails(() => readRecordsFile(big), 'ERR_RECORDS_FILE', big);
  });

  it('errors inside a file name it', () => {
    const f = join(dir, 'bad.txt');
    writeFileSync(f, '239.1.1.1 exclude\n239.1.1.1 exclud\n');
    fails(() => readRecordsFile(f), 'ERR_CRAFT_RECORD', `${f}:2`);
  });
});
