/**
 * A group plan: the multicast groups a lab or site uses, one per line, for `mcast map --collisions`.
 *
 *   # comment                      blank lines and text after '#' are ignored
 *   239.1.1.1   camera A           the address, then an optional label (the rest of the line)
 *   239.129.1.1 camera B
 *
 * Parsing is pure (text in); every bad line is reported with its number, not only the first, as a linter would.
 */
import { parseIpv4 } from '../wire/addr.js';
import { findCollisions, isMulticast } from './mapping.js';

export interface PlanEntry {
  group: number;
  /** 1-based line number. */
  line: number;
  /** Text after the address, trimmed; '' when none. */
  label: string;
}

export type PlanErrorCode = 'ERR_PLAN_NOT_IPV4' | 'ERR_PLAN_NOT_MULTICAST' | 'ERR_PLAN_LINE_TOO_LONG';

export interface PlanError {
  line: number;
  code: PlanErrorCode;
  /** The offending token (cut to 64 characters). */
  token: string;
}

export interface Plan {
  entries: PlanEntry[];
  errors: PlanError[];
}

/** A plan line longer than this is not a plan line (a binary file, a minified blob): reported, not parsed. */
export const MAX_PLAN_LINE = 4096;

export function parsePlan(text: string): Plan {
  const entries: PlanEntry[] = [];
  const errors: PlanError[] = [];
  // Strip one leading BOM; accept LF and CRLF.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i]!;
    if (raw.length > MAX_PLAN_LINE) {
      errors.push({ line: lineNo, code: 'ERR_PLAN_LINE_TOO_LONG', token: raw.slice(0, 64) });
      continue;
    }
    const hash = raw.indexOf('#');
    if (hash >= 0) raw = raw.slice(0, hash);
    const content = raw.trim();
    if (content === '') continue;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(content)!;
    const token = m[1]!;
    const addr = parseIpv4(token);
    if (addr === null) {
      errors.push({ line: lineNo, code: 'ERR_PLAN_NOT_IPV4', token: token.slice(0, 64) });
    } else if (!isMulticast(addr)) {
      errors.push({ line: lineNo, code: 'ERR_PLAN_NOT_MULTICAST', token });
    } else {
      entries.push({ group: addr, line: lineNo, label: m[2]!.trim() });
    }
  }
  return { entries, errors };
}

export interface PlanCollision {
  mac: string;
  /** The plan entries whose groups share `mac`, by group then line; at least two distinct groups. */
  entries: PlanEntry[];
}

export interface PlanDuplicate {
  group: number;
  /** The entries listing the same group twice or more, by line. */
  entries: PlanEntry[];
}

export interface PlanReport {
  /** Distinct groups in the plan. */
  groups: number;
  collisions: PlanCollision[];
  duplicates: PlanDuplicate[];
}

/** Which planned groups share a MAC (RFC 1112 section 6.4) and which are listed more than once. */
export function checkPlan(entries: readonly PlanEntry[]): PlanReport {
  const byGroup = new Map<number, PlanEntry[]>();
  for (const e of entries) {
    const list = byGroup.get(e.group);
    if (list === undefined) byGroup.set(e.group, [e]);
    else list.push(e);
  }
  const collisions: PlanCollision[] = findCollisions([...byGroup.keys()]).map((c) => ({
    mac: c.mac,
    entries: c.groups.flatMap((g) => byGroup.get(g)!),
  }));
  const duplicates: PlanDuplicate[] = [];
  for (const [group, list] of [...byGroup].sort((a, b) => a[0] - b[0])) {
    if (list.length > 1) duplicates.push({ group, entries: list });
  }
  return { groups: byGroup.size, collisions, duplicates };
}
