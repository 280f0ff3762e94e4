/** IGMP crafting: RFC defaults, message and frame building, record specs, MTU splitting, sending and writing. */
export {
  craft,
  igmpMessage,
  igmpIpHeader,
  defaultDestination,
  vlanTags,
  CRAFT_KINDS,
  CRAFT_ERROR,
  KIND_TYPE_CODE,
  type CraftKind,
  type CraftSpec,
  type CraftResult,
  type CraftedFrame,
  type IgmpSpec,
  type IpSpec,
  type EthSpec,
  type VlanSpec,
} from './craft.js';
export { DEFAULT_MTU, IGMP_IP_DEFAULTS, IgmpAddress, MIN_MTU, QUERY_DEFAULTS, UNNAMED_SOURCE, VLAN_TPIDS } from './defaults.js';
export {
  parseRecordArg,
  parseRecordLine,
  parseRecordsText,
  readRecordsFile,
  recordTypeCodeOf,
  RECORD_TYPE_WORDS,
  RECORD_ERROR,
  MAX_RECORDS_FILE,
} from './records.js';
export { splitReport, groupRecordLength, V3_REPORT_HEADER_LENGTH, GROUP_RECORD_HEADER_LENGTH, type DroppedSources, type SplitResult } from './split.js';
export { sendInterface, type SendInterface } from './iface.js';
export { checkCarrier, checkFramesFit, interfaceIpRoom, sendableIpLength, openSender, runFrames, type Sender, type RunOptions, type RunSummary } from './run.js';
export { buildFrame, ETHERNET_MIN_FRAME, type FrameSpec } from './build.js';
