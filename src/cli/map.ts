/**
 * `mcast map ADDR...` and `mcast map --collisions FILE`: thin wrapper over src/multicast. Parses arguments, calls the
 * library, formats; the exported formatters are pure (values in, text out) so tests check them directly.
 *
 * mcast map ADDR...
 *   Each ADDR is an IPv4 group (its MAC, block, scope, name, and the 31 other groups on its MAC) or a MAC (its 32
 *   groups; colon, dash, Cisco dotted or bare hex). An argument that is neither, a unicast IPv4 address, or a MAC
 *   outside 01:00:5e:00:00:00-01:00:5e:7f:ff:ff gets a one-line error on stderr; the others are still mapped, and
 *   the exit status is 1 at the end (like `ls a missing b`). No ADDR at all is a usage error (exit 2).
 *
 * mcast map --collisions FILE   ('-' = standard input)
 *   Reads a group plan (src/multicast/plan.ts: one group per line, optional label, '#' comments) and reports the
 *   groups that share a MAC, and groups listed twice. Exit status, diff/grep-style so CI can gate on it:
 *     0  no collisions and no duplicates
 *     1  collisions or duplicates found
 *     2  trouble: the file cannot be read, is too large, or has bad lines (each reported as FILE:LINE: reason),
 *        or a usage error.
 *
 * --json writes one JSON document to stdout (errors also go to stderr as one line each):
 *   map ADDR...:
 *     { "results": [ Result, ... ] }                       one Result per argument, in order
 *     Result (group): { "input", "type": "group", "group": "239.1.1.1", "mac": "01:00:5e:01:01:01",
 *                       "block": { "id", "name", "range", "ref" },
 *                       "scope": { "id", "name", "range", "ipv6", "ref" },
 *                       "name": string|null, "nameRef": string|null,
 *                       "linkLocal", "ssm", "igmpReported", "macOverlapsLinkLocal": boolean,
 *                       "glopAs": number|null, "unicastPrefix": "a.b.c.0/24"|null,
 *                       "relative": { "offset", "scope", "name" }|null,
 *                       "sameMac": [ 31 groups, ascending ] }
 *     Result (mac):   { "input", "type": "mac", "mac": "01:00:5e:7f:00:01", "groups": [ 32 groups, ascending ],
 *                       "named": [ { "group", "name", "nameRef" } ] }
 *     Result (error): { "input", "type": "error", "error": { "code", "message" } }
 *   map --collisions FILE:
 *     { "file", "groups": distinct groups, "entries": lines with a group,
 *       "collisions": [ { "mac", "entries": [ { "group", "line", "label" } ] } ],
 *       "duplicates": [ { "group", "entries": [ { "group", "line", "label" } ] } ],
 *       "errors": [ { "line", "code", "message" } ] }
 *   Addresses are strings in dotted-quad or lower-case colon form; booleans and numbers are JSON's own.
 */
import { readFile, stat } from 'node:fs/promises';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { ipv4ToString, macToString, parseIpv4 } from '../wire/addr.js';
import {
  checkPlan,
  classify,
  findWellKnown,
  groupToMac,
  groupsOfLow23,
  groupsSharingMac,
  MAX_PLAN_LINE,
  ipv4McastMacLow23,
  low23ToMac,
  parseMacText,
  parsePlan,
  type GroupInfo,
  type PlanEntry,
  type PlanError,
  type PlanReport,
} from '../multicast/index.js';

/** A plan is a text file of addresses; anything bigger is a mistake (a capture, a disk image). */
export const MAX_PLAN_BYTES = 16 * 1024 * 1024;
/** Bad plan lines shown in text mode before summarising (JSON lists them all). */
export const MAX_SHOWN_PLAN_ERRORS = 20;

export type MapArgCode = 'ERR_MAP_NOT_ADDRESS' | 'ERR_MAP_NOT_MULTICAST' | 'ERR_MAP_NOT_IPV4_MCAST_MAC';

export type MapArg =
  | { input: string; type: 'group'; info: GroupInfo }
  | { input: string; type: 'mac'; low23: number }
  | { input: string; type: 'error'; code: MapArgCode; message: string };

/** Resolve one command-line argument to a group, an IPv4 multicast MAC, or a one-line error. */
export function resolveMapArg(input: string): MapArg {
  const text = input.trim();
  const ip = parseIpv4(text);
  if (ip !== null) {
    const info = classify(ip);
    if (info === null) {
      return { input, type: 'error', code: 'ERR_MAP_NOT_MULTICAST', message: `${text}: not a multicast address (IPv4 multicast is 224.0.0.0/4)` };
    }
    return { input, type: 'group', info };
  }
  const mac = parseMacText(text);
  if (mac !== null) {
    const low23 = ipv4McastMacLow23(mac, 0);
    if (low23 < 0) {
      return {
        input,
        type: 'error',
        code: 'ERR_MAP_NOT_IPV4_MCAST_MAC',
        message: `${macToString(mac, 0)}: not an IPv4 multicast MAC (those are 01:00:5e:00:00:00-01:00:5e:7f:ff:ff)`,
      };
    }
    return { input, type: 'mac', low23 };
  }
  return { input, type: 'error', code: 'ERR_MAP_NOT_ADDRESS', message: `${JSON.stringify(input)}: not an IPv4 address or a MAC` };
}

// ---------------------------------------------------------------------------------------------------------------
// Text formatters

const LABEL_WIDTH = 11;
const WRAP = 100;

/** The text block for one group, ending with a newline. */
export function formatGroupText(info: GroupInfo): string {
  const g = info.group;
  const lines: string[] = [ipv4ToString(g)];
  const row = (label: string, value: string): void => {
    lines.push(`  ${label.padEnd(LABEL_WIDTH)}${value}`);
  };
  row('mac', groupToMac(g));
  row('block', `${info.block.name}, ${rangeText(info.block.first, info.block.last)} (${info.block.ref})`);
  const s = info.scope;
  row('scope', `${s.name}, ${s.range} (${s.ref})${s.ipv6 === null ? '' : `; IPv6 equivalent: ${s.ipv6}`}`);
  row('name', info.name === null ? '-' : `${info.name} (${info.nameRef})`);
  if (info.relative !== null) {
    const r = info.relative;
    row('relative', `offset ${r.offset} from the top of the ${scopeWord(r.scope)}${r.name === null ? ' (unassigned)' : ` (${r.name})`}`);
  }
  if (info.glopAs !== null) row('glop', `AS ${info.glopAs}: 233.${(g >>> 16) & 0xff}.${(g >>> 8) & 0xff}.0/24 (RFC 3180)`);
  if (info.unicastPrefix !== null) row('prefix', `embeds unicast ${ipv4ToString(info.unicastPrefix)}/24 (RFC 6034)`);
  row('routing', routingText(info));
  row('model', modelText(info));
  row('igmp', igmpText(info));
  if (info.macOverlapsLinkLocal) {
    const ll = (0xe0000000 | (g & 0xff)) >>> 0;
    row('warning', `same MAC as link-local ${ipv4ToString(ll)}: switches flooding 01:00:5e:00:00:xx flood this group too`);
  }
  const others = groupsSharingMac(g);
  row('same mac', `${others.length} other groups: ${macGroupPattern(g & 0x7fffff)}`);
  for (const l of wrapList(others.map(ipv4ToString), WRAP - 2 - LABEL_WIDTH)) lines.push(`${' '.repeat(2 + LABEL_WIDTH)}${l}`);
  return `${lines.join('\n')}\n`;
}

/** The text block for one IPv4 multicast MAC (by its low 23 bits), ending with a newline. */
export function formatMacText(low23: number): string {
  const groups = groupsOfLow23(low23);
  const lines: string[] = [low23ToMac(low23)];
  const pad = ' '.repeat(2 + LABEL_WIDTH);
  lines.push(`  ${'groups'.padEnd(LABEL_WIDTH)}${groups.length} IPv4 groups: ${macGroupPattern(low23)}`);
  for (const l of wrapList(groups.map(ipv4ToString), WRAP - 2 - LABEL_WIDTH)) lines.push(`${pad}${l}`);
  const named = namedGroups(groups);
  named.forEach((n, i) => {
    lines.push(`${i === 0 ? `  ${'named'.padEnd(LABEL_WIDTH)}` : pad}${ipv4ToString(n.group)} ${n.name} (${n.nameRef})`);
  });
  return `${lines.join('\n')}\n`;
}

/** One stderr line for a bad argument (without the trailing newline). */
export function formatMapArgError(arg: { message: string }): string {
  return `mcast: ${arg.message}`;
}

/**
 * The groups sharing one MAC as a pattern: first octet 224-239, second octet b or b+128 (the lost bit 23), the
 * last two fixed. E.g. "224-239.{1,129}.1.1".
 */
export function macGroupPattern(low23: number): string {
  const b2 = (low23 >>> 16) & 0x7f;
  return `224-239.{${b2},${b2 + 128}}.${(low23 >>> 8) & 0xff}.${low23 & 0xff}`;
}

function routingText(info: GroupInfo): string {
  if (info.linkLocal) return 'link-local: never forwarded by routers (RFC 5771 section 4)';
  if (info.scope.id === 'global') return 'routable';
  return `routable inside the ${scopeWord(info.scope.id)} boundary (RFC 2365)`;
}

function modelText(info: GroupInfo): string {
  return info.ssm ? 'source-specific (SSM): receivers join (source, group) channels (RFC 4607, RFC 4604)' : 'any-source (ASM)';
}

function igmpText(info: GroupInfo): string {
  if (!info.igmpReported) {
    return info.group === 0xe0000000 ? 'not a group (RFC 1112 section 4)' : 'never reported: every system is a member (RFC 3376 section 5)';
  }
  return info.linkLocal ? 'reported; snooping switches flood it regardless (RFC 4541 2.1.2)' : 'reported by members';
}

function scopeWord(scope: string): string {
  return scope === 'local' ? 'IPv4 Local Scope' : scope === 'organization-local' ? 'Organization Local Scope' : 'administrative scope';
}

/** Groups with a name of their own (not a range's description such as "SAP Dynamic Assignments"). */
function namedGroups(groups: readonly number[]): { group: number; name: string; nameRef: string }[] {
  const out: { group: number; name: string; nameRef: string }[] = [];
  for (const g of groups) {
    const c = classify(g)!;
    const w = findWellKnown(g);
    if (c.name !== null && (w === null || w.first === w.last)) out.push({ group: g, name: c.name, nameRef: c.nameRef ?? '' });
  }
  return out;
}

/** "a.b.c.d/len" when the range is an aligned power of two, else "first-last". */
export function rangeText(first: number, last: number): string {
  const size = last - first + 1;
  const bits = Math.log2(size);
  if (Number.isInteger(bits) && first % size === 0) return `${ipv4ToString(first)}/${32 - bits}`;
  return `${ipv4ToString(first)}-${ipv4ToString(last)}`;
}

function wrapList(items: readonly string[], width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const it of items) {
    if (line !== '' && line.length + 1 + it.length > width) {
      out.push(line);
      line = it;
    } else {
      line = line === '' ? it : `${line} ${it}`;
    }
  }
  if (line !== '') out.push(line);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON formatters (plain objects; the command stringifies once)

export function groupJson(input: string, info: GroupInfo): Record<string, unknown> {
  const g = info.group;
  return {
    input,
    type: 'group',
    group: ipv4ToString(g),
    mac: groupToMac(g),
    block: { id: info.block.id, name: info.block.name, range: rangeText(info.block.first, info.block.last), ref: info.block.ref },
    scope: { id: info.scope.id, name: info.scope.name, range: info.scope.range, ipv6: info.scope.ipv6, ref: info.scope.ref },
    name: info.name,
    nameRef: info.nameRef,
    linkLocal: info.linkLocal,
    ssm: info.ssm,
    igmpReported: info.igmpReported,
    macOverlapsLinkLocal: info.macOverlapsLinkLocal,
    glopAs: info.glopAs,
    unicastPrefix: info.unicastPrefix === null ? null : `${ipv4ToString(info.unicastPrefix)}/24`,
    relative: info.relative,
    sameMac: groupsSharingMac(g).map(ipv4ToString),
  };
}

export function macJson(input: string, low23: number): Record<string, unknown> {
  const groups = groupsOfLow23(low23);
  return {
    input,
    type: 'mac',
    mac: low23ToMac(low23),
    groups: groups.map(ipv4ToString),
    named: namedGroups(groups).map((n) => ({ group: ipv4ToString(n.group), name: n.name, nameRef: n.nameRef })),
  };
}

export function mapArgJson(arg: MapArg): Record<string, unknown> {
  if (arg.type === 'group') return groupJson(arg.input, arg.info);
  if (arg.type === 'mac') return macJson(arg.input, arg.low23);
  return { input: arg.input, type: 'error', error: { code: arg.code, message: arg.message } };
}

// ---------------------------------------------------------------------------------------------------------------
// Plan (--collisions) formatters

/** "FILE:LINE: reason" for one bad plan line. */
export function formatPlanError(file: string, e: PlanError): string {
  const why =
    e.code === 'ERR_PLAN_NOT_IPV4'
      ? `not an IPv4 address: ${JSON.stringify(e.token)}`
      : e.code === 'ERR_PLAN_NOT_MULTICAST'
        ? `${e.token} is not a multicast group (224.0.0.0/4)`
        : `line longer than ${MAX_PLAN_LINE} characters; not a group plan`;
  return `${file}:${e.line}: ${why}`;
}

function entryText(e: PlanEntry): string {
  // Labels come from a file: keep control characters (escape sequences) off the terminal.
  const label = e.label.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return `${ipv4ToString(e.group).padEnd(16)}line ${String(e.line).padEnd(6)}${label}`.trimEnd();
}

/** The text report of a plan check, ending with a newline. */
export function formatPlanText(file: string, entries: number, report: PlanReport): string {
  const lines: string[] = [];
  const c = report.collisions.length;
  const d = report.duplicates.length;
  lines.push(
    `${file}: ${report.groups} groups on ${entries} lines; ` +
      `${c === 0 ? 'no MAC collisions' : `${c} MAC ${c === 1 ? 'collision' : 'collisions'}`}, ` +
      `${d === 0 ? 'no duplicates' : `${d} duplicate ${d === 1 ? 'group' : 'groups'}`}`,
  );
  for (const col of report.collisions) {
    const distinct = new Set(col.entries.map((e) => e.group)).size;
    lines.push(`${col.mac} is shared by ${distinct} groups:`);
    for (const e of col.entries) lines.push(`  ${entryText(e)}`);
  }
  for (const dup of report.duplicates) {
    lines.push(`${ipv4ToString(dup.group)} is listed ${dup.entries.length} times:`);
    for (const e of dup.entries) lines.push(`  ${entryText(e)}`);
  }
  return `${lines.join('\n')}\n`;
}

function entryJson(e: PlanEntry): Record<string, unknown> {
  return { group: ipv4ToString(e.group), line: e.line, label: e.label };
}

export function planJson(file: string, entries: number, report: PlanReport, errors: readonly PlanError[]): Record<string, unknown> {
  return {
    file,
    groups: report.groups,
    entries,
    collisions: report.collisions.map((c) => ({ mac: c.mac, entries: c.entries.map(entryJson) })),
    duplicates: report.duplicates.map((d) => ({ group: ipv4ToString(d.group), entries: d.entries.map(entryJson) })),
    errors: errors.map((e) => ({ line: e.line, code: e.code, message: formatPlanError(file, e) })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The command

export interface MapOptions {
  json?: boolean;
  collisions?: string;
}

export function registerMap(program: Command): void {
  program
    .command('map')
    .description('map IPv4 groups to MACs and back; block, scope and name of a group; MAC collisions in a group plan')
    .argument('[addr...]', 'IPv4 groups and/or MACs (01:00:5e:01:02:03, 0100.5e01.0203)')
    .option('--json', 'one JSON document on stdout')
    .option('--collisions <file>', "check a group plan (one group per line, '#' comments; '-' = stdin): exit 0 clean, 1 collisions or duplicates, 2 bad file")
    .addHelpText(
      'after',
      '\nExit status: 0 all mapped; 1 some argument is not a multicast group or IPv4 multicast MAC; 2 usage error.\n' +
        'With --collisions: 0 no collisions or duplicates; 1 some found; 2 unreadable file or bad lines.',
    )
    .action(async (addrs: string[], o: MapOptions) => {
      if (o.collisions !== undefined) {
        if (addrs.length > 0) throw new UsageError('map: give addresses or --collisions FILE, not both');
        process.exitCode = await runCollisions(o.collisions, o.json === true);
        return;
      }
      if (addrs.length === 0) throw new UsageError('map: give at least one IPv4 group or MAC (or --collisions FILE)');
      process.exitCode = runMap(addrs, o.json === true);
    });
}

/** Map each argument; returns the exit status. */
export function runMap(addrs: readonly string[], json: boolean): number {
  const args = addrs.map(resolveMapArg);
  let bad = 0;
  for (const a of args) {
    if (a.type === 'error') {
      bad++;
      process.stderr.write(`${formatMapArgError(a)}\n`);
    }
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ results: args.map(mapArgJson) }, null, 2)}\n`);
  } else {
    const blocks: string[] = [];
    for (const a of args) {
      if (a.type === 'group') blocks.push(formatGroupText(a.info));
      else if (a.type === 'mac') blocks.push(formatMacText(a.low23));
    }
    if (blocks.length > 0) process.stdout.write(blocks.join('\n'));
  }
  return bad > 0 ? 1 : 0;
}

/**
 * Check a plan file; returns the exit status (0 clean, 1 collisions/duplicates, 2 trouble). `stdin` is what '-'
 * reads (process.stdin unless a test passes another stream).
 */
export async function runCollisions(file: string, json: boolean, stdin: AsyncIterable<Buffer | string> = process.stdin): Promise<number> {
  const name = file === '-' ? '<stdin>' : file;
  let text: string;
  try {
    text = file === '-' ? await readStream(stdin, MAX_PLAN_BYTES) : await readPlanFile(file);
  } catch (err) {
    process.stderr.write(`mcast: ${name}: ${describeReadError(err)}\n`);
    return 2;
  }
  const plan = parsePlan(text);
  const report = checkPlan(plan.entries);
  plan.errors.slice(0, json ? plan.errors.length : MAX_SHOWN_PLAN_ERRORS).forEach((e) => {
    process.stderr.write(`mcast: ${formatPlanError(name, e)}\n`);
  });
  if (!json && plan.errors.length > MAX_SHOWN_PLAN_ERRORS) {
    process.stderr.write(`mcast: ${name}: ${plan.errors.length - MAX_SHOWN_PLAN_ERRORS} more bad lines not shown\n`);
  }
  if (json) process.stdout.write(`${JSON.stringify(planJson(name, plan.entries.length, report, plan.errors), null, 2)}\n`);
  else process.stdout.write(formatPlanText(name, plan.entries.length, report));
  if (plan.errors.length > 0) return 2;
  return report.collisions.length > 0 || report.duplicates.length > 0 ? 1 : 0;
}

class PlanTooLarge extends Error {}

async function readPlanFile(file: string): Promise<string> {
  const st = await stat(file);
  if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  if (st.size > MAX_PLAN_BYTES) throw new PlanTooLarge();
  const buf = await readFile(file);
  // A FIFO or /proc file can grow past its stat size.
  if (buf.length > MAX_PLAN_BYTES) throw new PlanTooLarge();
  return buf.toString('utf8');
}

async function readStream(input: AsyncIterable<Buffer | string>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of input) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += b.length;
    if (total > limit) throw new PlanTooLarge();
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeReadError(err: unknown): string {
  if (err instanceof PlanTooLarge) return `larger than ${MAX_PLAN_BYTES / (1024 * 1024)} MiB; not a group plan`;
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e?.code ? `${e.message} (${e.code})` : String(e?.message ?? err);
  }
}
