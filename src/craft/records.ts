/**
 * IGMPv3 group records from text: `--record` arguments and records files (the short text form, or JSON).
 *
 * Text form, one record per line (or per --record):  GROUP TYPE [SOURCE[,SOURCE...]]
 *   239.1.1.1 exclude                       CHANGE_TO_EXCLUDE_MODE {}: what a host sends when it joins (any source)
 *   232.1.1.1 include 10.0.0.1,10.0.0.2     CHANGE_TO_INCLUDE_MODE {S1,S2}: a source-specific join
 *   239.1.1.1 include                       CHANGE_TO_INCLUDE_MODE {}: what a host sends when it leaves
 * TYPE is one of (case-insensitive, '_' and '-' alike):
 *   is-in, is-ex, to-in, to-ex, allow, block   (RFC 3376 section 6.4's short names: IS_IN, TO_EX, ...)
 *   the RFC's names: mode-is-include, mode-is-exclude, change-to-include-mode, change-to-exclude-mode,
 *     allow-new-sources, block-old-sources   (RFC 3376 section 4.2.12)
 *   include, exclude: the filter-mode CHANGE records (TO_IN, TO_EX), because a filter-mode change is what a host
 *     reports when an application joins or leaves (RFC 3376 section 5.1); the current-state records (IS_IN, IS_EX)
 *     answer queries and are named is-in, is-ex
 *   a number 0-255: that record type code as is (codes outside 1-6 are for testing how peers take unknown types)
 * Sources are separated by commas and/or spaces. '#' starts a comment; blank lines are skipped.
 *
 * JSON form: an array of records, or an object {"records": [...]}; each record
 *   {"group": "232.1.1.1", "type": "allow", "sources": ["10.0.0.1"], "auxData": "0a0b0c0d"}
 * with type as in the text form (string or number), sources optional, auxData optional hex (a multiple of 4 bytes).
 *
 * Errors are UsageErrors (code ERR_CRAFT_RECORD) naming where: `--record 2: ...`, `spec.txt:7: ...`.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { SystemError, UsageError } from '../errors.js';
import { EagainWait, isEagain } from '../io-wait.js';
import { ipv4ToString, parseIpv4 } from '../wire/addr.js';
import { recordTypeName, RecordTypeCode, type GroupRecordRepr } from '../wire/igmp.js';
import { JsonSyntaxError, parseJsonLocated, type JsonValue } from './json-located.js';

export const RECORD_ERROR = 'ERR_CRAFT_RECORD';

/** Record type words, normalised (lower case, '-' for '_'), to RFC 3376 section 4.2.12 codes. */
export const RECORD_TYPE_WORDS: Readonly<Record<string, number>> = {
  'is-in': RecordTypeCode.MODE_IS_INCLUDE,
  'is-ex': RecordTypeCode.MODE_IS_EXCLUDE,
  'to-in': RecordTypeCode.CHANGE_TO_INCLUDE_MODE,
  'to-ex': RecordTypeCode.CHANGE_TO_EXCLUDE_MODE,
  allow: RecordTypeCode.ALLOW_NEW_SOURCES,
  block: RecordTypeCode.BLOCK_OLD_SOURCES,
  include: RecordTypeCode.CHANGE_TO_INCLUDE_MODE,
  exclude: RecordTypeCode.CHANGE_TO_EXCLUDE_MODE,
  'mode-is-include': RecordTypeCode.MODE_IS_INCLUDE,
  'mode-is-exclude': RecordTypeCode.MODE_IS_EXCLUDE,
  'change-to-include-mode': RecordTypeCode.CHANGE_TO_INCLUDE_MODE,
  'change-to-exclude-mode': RecordTypeCode.CHANGE_TO_EXCLUDE_MODE,
  'allow-new-sources': RecordTypeCode.ALLOW_NEW_SOURCES,
  'block-old-sources': RecordTypeCode.BLOCK_OLD_SOURCES,
};

/** Records files larger than this are refused (a full-MTU report holds 366 sources; this is ample for any test). */
export const MAX_RECORDS_FILE = 16 * 1024 * 1024;

/** The record type code a word names, or null. */
export function recordTypeCodeOf(word: string): number | null {
  if (/^\d{1,3}$/.test(word)) {
    const n = Number(word);
    return n <= 0xff ? n : null;
  }
  return RECORD_TYPE_WORDS[word.toLowerCase().replace(/_/g, '-')] ?? null;
}

function bad(where: string, what: string): never {
  throw new UsageError(`${where}: ${what}`, RECORD_ERROR);
}

function group(text: string, where: string): string {
  const g = parseIpv4(text);
  if (g === null) bad(where, `group: not an IPv4 address: ${JSON.stringify(text)}`);
  if (g >>> 28 !== 0xe) bad(where, `group ${text} is not a multicast address (224.0.0.0/4)`);
  return ipv4ToString(g);
}

function source(text: string, where: string): string {
  const s = parseIpv4(text);
  if (s === null) bad(where, `source: not an IPv4 address: ${JSON.stringify(text)}`);
  return ipv4ToString(s);
}

function typeCode(word: string, where: string): number {
  const code = recordTypeCodeOf(word);
  if (code === null) {
    bad(where, `unknown record type ${JSON.stringify(word)} (is-in, is-ex, to-in, to-ex, allow, block, include, exclude, or a code 0-255)`);
  }
  return code;
}

function record(typeCodeValue: number, groupText: string, sources: string[]): GroupRecordRepr {
  return { type: recordTypeName(typeCodeValue), typeCode: typeCodeValue, group: groupText, sources };
}

/** One record in the short text form; null for a blank or comment-only line. */
export function parseRecordLine(text: string, where: string): GroupRecordRepr | null {
  const words = text.replace(/#.*/, '').split(/[\s,]+/).filter((w) => w !== '');
  if (words.length === 0) return null;
  if (words.length < 2) bad(where, `expected "GROUP TYPE [SOURCES]", got ${JSON.stringify(text.trim())}`);
  const [g, t, ...srcs] = words as [string, string, ...string[]];
  return record(typeCode(t, where), group(g, where), srcs.map((s) => source(s, where)));
}

/** One `--record` argument (the text form); `where` names it, e.g. "--record 2". */
export function parseRecordArg(text: string, where: string): GroupRecordRepr {
  const r = parseRecordLine(text, where);
  if (r === null) bad(where, 'empty record');
  return r;
}

/** Records from a file's text: JSON when it starts with '[' or '{', else the text form. `file` names it in errors. */
export function parseRecordsText(text: string, file: string): GroupRecordRepr[] {
  const body = text.replace(/^\uFEFF/, '');
  const first = /\S/.exec(body)?.[0];
  if (first === '[' || first === '{') return parseRecordsJson(body, file);
  const out: GroupRecordRepr[] = [];
  body.split('\n').forEach((line, i) => {
    const r = parseRecordLine(line, `${file}:${i + 1}`);
    if (r !== null) out.push(r);
  });
  return out;
}

const JSON_KEYS = new Set(['group', 'type', 'sources', 'auxData']);

function parseRecordsJson(text: string, file: string): GroupRecordRepr[] {
  let doc;
  try {
    doc = parseJsonLocated(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) bad(`${file}:${e.line}`, `not valid JSON: ${e.message}`);
    throw e;
  }
  const top = doc.value;
  let list: JsonValue;
  if (Array.isArray(top)) list = top;
  else if (top !== null && typeof top === 'object' && Array.isArray(top.records)) list = top.records;
  else bad(`${file}:1`, 'expected an array of records or {"records": [...]}');
  return (list as JsonValue[]).map((item, i) => {
    const where = `${file}:${doc.lineOfElement(list as JsonValue[], i) ?? 1}: record ${i + 1}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) bad(where, 'expected an object {"group": ..., "type": ...}');
    for (const k of Object.keys(item)) if (!JSON_KEYS.has(k)) bad(where, `unknown key ${JSON.stringify(k)} (group, type, sources, auxData)`);
    if (typeof item.group !== 'string') bad(where, '"group" must be a string');
    const t = item.type;
    let code: number;
    if (typeof t === 'number') {
      if (!Number.isInteger(t) || t < 0 || t > 0xff) bad(where, `record type ${t} is not a code 0-255`);
      code = t;
    } else if (typeof t === 'string') code = typeCode(t, where);
    else bad(where, '"type" must be a string or a number');
    const srcs = item.sources ?? [];
    if (!Array.isArray(srcs) || srcs.some((s) => typeof s !== 'string')) bad(where, '"sources" must be an array of strings');
    const rec = record(code, group(item.group, where), (srcs as string[]).map((s) => source(s, where)));
    if (item.auxData !== undefined) {
      const aux = item.auxData;
      if (typeof aux !== 'string' || !/^([0-9a-fA-F]{8})*$/.test(aux)) bad(where, '"auxData" must be hex, a multiple of 4 bytes');
      if (aux.length > 0) rec.auxData = Uint8Array.from(Buffer.from(aux, 'hex'));
    }
    return rec;
  });
}

/**
 * Read and parse a records file ('-': standard input; pipes and FIFOs are read too). SystemError ERR_RECORDS_FILE
 * when it cannot be read or holds more than MAX_RECORDS_FILE bytes (read in chunks, so a huge file or an endless
 * pipe costs no more than that).
 */
export function readRecordsFile(path: string): GroupRecordRepr[] {
  const name = path === '-' ? 'stdin' : path;
  let fd: number | undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
    const chunk = Buffer.alloc(64 * 1024);
    const empty = new EagainWait();
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
        empty.done();
      } catch (e) {
        // A non-blocking stdin with a slow writer: wait (../io-wait.ts) instead of spinning on the CPU.
        if (isEagain(e)) {
          empty.wait();
          continue;
        }
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      size += n;
      if (size > MAX_RECORDS_FILE) throw new SystemError('ERR_RECORDS_FILE', `${name}: more than the ${MAX_RECORDS_FILE} bytes a records file may have`);
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
  } catch (e) {
    if (e instanceof SystemError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new SystemError('ERR_RECORDS_FILE', `${name}: cannot read (${err.code ?? err.message})`);
  } finally {
    if (fd !== undefined && fd !== 0) closeSync(fd);
  }
  return parseRecordsText(Buffer.concat(chunks).toString('utf8'), name);
}
