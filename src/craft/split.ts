/**
 * Splitting an IGMPv3 report's group records over as many reports as the link's MTU needs (RFC 3376 section
 * 4.2.16):
 * - records that do not all fit in one report are sent in as many reports as needed, in order;
 * - a record too big for one report on its own is split, when its type is not MODE_IS_EXCLUDE or
 *   CHANGE_TO_EXCLUDE_MODE, into records of the same type and group, each with a different subset of the sources
 *   and each in a report of its own;
 * - a MODE_IS_EXCLUDE or CHANGE_TO_EXCLUDE_MODE record too big is sent once with as many sources as fit (the first
 *   ones, so repeated reports carry the same set, as the RFC prefers) and the rest are not reported: they are
 *   returned in `dropped` so the caller can say so.
 * Records that carry a deliberate Number of Sources or Aux Data Len (set to lie) are never split: they go out
 * verbatim, and if too big the sender refuses them.
 */
import { RecordTypeCode, type GroupRecordRepr } from '../wire/igmp.js';

/** IGMPv3 report header: type, reserved, checksum, reserved, number of group records (RFC 3376 section 4.2). */
export const V3_REPORT_HEADER_LENGTH = 8;
/** Group record header: type, aux data len, number of sources, multicast address (RFC 3376 section 4.2.4). */
export const GROUP_RECORD_HEADER_LENGTH = 8;
const SOURCE_LENGTH = 4;

export interface DroppedSources {
  group: string;
  typeCode: number;
  /** The sources left out of the report, in the order given. */
  sources: string[];
}

export interface SplitResult {
  /** The records of each report, in order; at least one report (possibly with no records). */
  reports: GroupRecordRepr[][];
  dropped: DroppedSources[];
}

/** Bytes a record takes in a report. */
export function groupRecordLength(rec: GroupRecordRepr): number {
  return GROUP_RECORD_HEADER_LENGTH + rec.sources.length * SOURCE_LENGTH + (rec.auxData?.length ?? 0);
}

function isExcludeType(code: number): boolean {
  return code === RecordTypeCode.MODE_IS_EXCLUDE || code === RecordTypeCode.CHANGE_TO_EXCLUDE_MODE;
}

/**
 * Distribute `records` over reports whose IGMP message is at most `maxIgmpLength` bytes (the MTU less the IP
 * header). RangeError when not even one record header fits (maxIgmpLength < 16).
 */
export function splitReport(records: readonly GroupRecordRepr[], maxIgmpLength: number): SplitResult {
  const room = maxIgmpLength - V3_REPORT_HEADER_LENGTH;
  if (!(room >= GROUP_RECORD_HEADER_LENGTH)) {
    throw new RangeError(`an IGMPv3 report of at most ${maxIgmpLength} bytes cannot hold a group record`);
  }
  const reports: GroupRecordRepr[][] = [];
  const dropped: DroppedSources[] = [];
  let current: GroupRecordRepr[] = [];
  let used = 0;
  const close = (): void => {
    if (current.length > 0) reports.push(current);
    current = [];
    used = 0;
  };
  const add = (rec: GroupRecordRepr): void => {
    const len = groupRecordLength(rec);
    if (used + len > room) close();
    current.push(rec);
    used += len;
  };

  for (const rec of records) {
    const len = groupRecordLength(rec);
    const verbatim = rec.numberOfSources !== undefined || rec.auxLen !== undefined;
    if (len <= room || verbatim) {
      add(rec);
      continue;
    }
    const fit = Math.floor((room - GROUP_RECORD_HEADER_LENGTH - (rec.auxData?.length ?? 0)) / SOURCE_LENGTH);
    if (fit < 1) throw new RangeError(`group record for ${rec.group}: its auxiliary data leaves no room for a source in ${maxIgmpLength} bytes`);
    if (isExcludeType(rec.typeCode)) {
      add({ ...rec, sources: rec.sources.slice(0, fit) });
      dropped.push({ group: rec.group, typeCode: rec.typeCode, sources: rec.sources.slice(fit) });
      continue;
    }
    // Each part in a report of its own; the last part's report may take the records that follow.
    close();
    for (let i = 0; i < rec.sources.length; i += fit) {
      add({ ...rec, sources: rec.sources.slice(i, i + fit) });
      if (i + fit < rec.sources.length) close();
    }
  }
  close();
  if (reports.length === 0) reports.push([]);
  return { reports, dropped };
}
