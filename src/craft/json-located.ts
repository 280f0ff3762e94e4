/**
 * A small JSON parser (RFC 8259) that remembers the line each object and array starts on, so a records file can be
 * blamed by line ("records.json:7: ..."); JSON.parse gives no positions for values. Syntax errors say line and
 * column. Depth is bounded, so a hostile file cannot exhaust the stack; the caller bounds the file size.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface LocatedJson {
  value: JsonValue;
  /** Line (1-based) where an object or array starts. */
  lineOf(node: object): number | undefined;
  /** Line (1-based) where element `index` of an array starts, whatever its kind (a string has no identity). */
  lineOfElement(array: JsonValue[], index: number): number | undefined;
}

export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    what: string,
  ) {
    super(`${what} at line ${line} column ${column}`);
  }
}

const MAX_DEPTH = 64;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export function parseJsonLocated(text: string): LocatedJson {
  const lines = new WeakMap<object, number>();
  const elementLines = new WeakMap<JsonValue[], number[]>();
  let pos = 0;
  let line = 1;
  let lineStart = 0;

  const fail = (what: string): never => {
    throw new JsonSyntaxError(line, pos - lineStart + 1, what);
  };
  const skipWs = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x0a) {
        pos++;
        line++;
        lineStart = pos;
      } else if (c === 0x20 || c === 0x09 || c === 0x0d) pos++;
      else return;
    }
  };
  const expect = (ch: string): void => {
    if (text[pos] !== ch) fail(pos >= text.length ? `expected '${ch}', found the end` : `expected '${ch}', found '${text[pos]}'`);
    pos++;
  };

  const parseString = (): string => {
    expect('"');
    let out = '';
    let from = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text[pos]!;
      if (c === '"') break;
      if (c.charCodeAt(0) < 0x20) fail('control character in a string');
      if (c !== '\\') {
        pos++;
        continue;
      }
      out += text.slice(from, pos);
      const e = text[pos + 1];
      if (e === 'u') {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        pos += 6;
      } else if (e !== undefined && ESCAPES[e] !== undefined) {
        out += ESCAPES[e];
        pos += 2;
      } else fail('bad escape');
      from = pos;
    }
    out += text.slice(from, pos);
    pos++;
    return out;
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    skipWs();
    const c = text[pos];
    if (c === '{') {
      const obj: { [key: string]: JsonValue } = {};
      lines.set(obj, line);
      pos++;
      skipWs();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      for (;;) {
        skipWs();
        const key = parseString();
        skipWs();
        expect(':');
        obj[key] = parseValue(depth + 1);
        skipWs();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        expect('}');
        return obj;
      }
    }
    if (c === '[') {
      const arr: JsonValue[] = [];
      const at: number[] = [];
      lines.set(arr, line);
      elementLines.set(arr, at);
      pos++;
      skipWs();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        skipWs();
        at.push(line);
        arr.push(parseValue(depth + 1));
        skipWs();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        expect(']');
        return arr;
      }
    }
    if (c === '"') return parseString();
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos, pos + 64));
    if (m !== null && m[0] !== '-') {
      pos += m[0].length;
      return Number(m[0]);
    }
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    return fail(pos >= text.length ? 'unexpected end' : `unexpected '${c}'`);
  };

  const value = parseValue(0);
  skipWs();
  if (pos < text.length) fail(`unexpected '${text[pos]}' after the value`);
  return { value, lineOf: (node) => lines.get(node), lineOfElement: (arr, i) => elementLines.get(arr)?.[i] };
}
