/** Membership state, querier tracking and querier logic (issue 4). No I/O: the CLI feeds decoded messages. */
export { MembershipTable, type MembershipTableOptions } from './table.js';
export { QuerierEngine, type QuerierConfig, type QuerierStep, type QuerySend, type QueryReason } from './querier.js';
export { formatTable, formatTableLines, formatRowsLines, writeRowsLines, formatEvent, type FormatOptions } from './format.js';
export { timerParams, isoMicros, encodeExpForm, decodeExpForm, RFC3376_DEFAULTS } from './timers.js';
export type * from './types.js';
