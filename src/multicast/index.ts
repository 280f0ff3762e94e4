/** Multicast address knowledge: RFC 1112 MAC mapping, IANA blocks and names, RFC 2365 scopes, group plans. */
export {
  GROUPS_PER_MAC,
  LOW23_MASK,
  findCollisions,
  groupMacLow23,
  groupToMac,
  groupsOfLow23,
  groupsSharingMac,
  ipv4McastMacLow23,
  isMulticast,
  low23ToMac,
  macMatchesGroup,
  macToGroups,
  parseMacText,
  writeGroupMac,
  type Collision,
} from './mapping.js';
export { classify, findBlock, findWellKnown, type GroupInfo, type RelativeAddress } from './classify.js';
export {
  BLOCKS,
  RELATIVE,
  SCOPES,
  WELL_KNOWN,
  type Block,
  type BlockId,
  type Scope,
  type ScopeId,
  type WellKnown,
} from './registry.js';
export {
  MAX_PLAN_LINE,
  checkPlan,
  parsePlan,
  type Plan,
  type PlanCollision,
  type PlanDuplicate,
  type PlanEntry,
  type PlanError,
  type PlanErrorCode,
  type PlanReport,
} from './plan.js';
