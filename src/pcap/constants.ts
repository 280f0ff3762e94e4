/**
 * Numbers of the two capture-file formats, named once.
 *
 * Classic pcap: draft-ietf-opsawg-pcap (24-byte file header, 16-byte record header).
 * pcapng: draft-ietf-opsawg-pcapng (blocks: type, total length, body, total length again).
 * Link types: https://www.tcpdump.org/linktypes.html.
 */

/** Link-layer header types this project meets most. Any other value passes through as a plain number. */
export const LinkType = {
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  LINUX_SLL2: 276,
} as const;

/**
 * The largest captured length accepted in a record: libpcap's MAXIMUM_SNAPLEN (256 KiB), which is also the default
 * snapshot length of tcpdump and dumpcap. A record claiming more is treated as damage, never allocated for.
 */
export const MAX_CAPLEN = 262144;

/**
 * The largest pcapng block read whole into memory (IDB, EPB, SPB, PB): a maximal packet plus 64 KiB for the fixed
 * fields and options. Blocks that are only skipped (SHB options, unknown types) may be longer: they stream past.
 */
export const MAX_BLOCK_LENGTH = MAX_CAPLEN + 65536;

/** Classic pcap magic numbers as read little-endian from the first 4 bytes of the file. */
export const PcapMagic = {
  USEC_LE: 0xa1b2c3d4,
  USEC_BE: 0xd4c3b2a1,
  NSEC_LE: 0xa1b23c4d,
  NSEC_BE: 0x4d3cb2a1,
  /** Kuznetsov's "modified" pcap (24-byte record headers); recognised only to say it is unsupported. */
  MODIFIED_LE: 0xa1b2cd34,
  MODIFIED_BE: 0x34cdb2a1,
} as const;

/** Classic pcap field offsets. */
export const PCAP = {
  fileHeaderLength: 24,
  recordHeaderLength: 16,
  // file header
  magic: 0,
  versionMajor: 4,
  versionMinor: 6,
  thiszone: 8,
  sigfigs: 12,
  snaplen: 16,
  linkType: 20,
  // record header
  tsSec: 0,
  tsFrac: 4,
  caplen: 8,
  wirelen: 12,
} as const;

/** pcapng block types (draft-ietf-opsawg-pcapng section 10.1). */
export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  /** Packet Block, obsolete (appendix A), still written by old tools. */
  PB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
} as const;

/** The SHB byte-order magic, as written by the section's writer in its own byte order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** pcapng field offsets, counted from the start of the block. */
export const PCAPNG = {
  blockType: 0,
  blockLength: 4,
  /** Every block: type + length + trailing length. */
  minBlockLength: 12,
  // SHB
  shbByteOrder: 8,
  shbVersionMajor: 12,
  shbVersionMinor: 14,
  shbSectionLength: 16,
  shbOptions: 24,
  shbMinLength: 28,
  // IDB
  idbLinkType: 8,
  idbReserved: 10,
  idbSnaplen: 12,
  idbOptions: 16,
  idbMinLength: 20,
  // EPB
  epbInterface: 8,
  epbTsHigh: 12,
  epbTsLow: 16,
  epbCaplen: 20,
  epbWirelen: 24,
  epbData: 28,
  epbMinLength: 32,
  // PB (obsolete): 16-bit interface id and drop count, then as EPB
  pbInterface: 8,
  pbDrops: 10,
  // SPB
  spbWirelen: 8,
  spbData: 12,
  spbMinLength: 16,
} as const;

/** Option codes used here (draft-ietf-opsawg-pcapng sections 4.2 and 4.3). */
export const OptionCode = {
  END: 0,
  SHB_USERAPPL: 4,
  IF_NAME: 2,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
} as const;

/** Stable error codes of CaptureFileError raised by the reader. */
export const CaptureErrorCode = {
  /** The first bytes are neither a pcap magic nor a pcapng SHB. */
  PCAP_BAD_MAGIC: 'ERR_PCAP_BAD_MAGIC',
  /** The file ends inside the 24-byte pcap file header (or is empty). */
  PCAP_TRUNCATED_HEADER: 'ERR_PCAP_TRUNCATED_HEADER',
  /** The pcap major version is not 2. */
  PCAP_BAD_VERSION: 'ERR_PCAP_BAD_VERSION',
  /** A pcap record claims more than MAX_CAPLEN captured bytes. */
  PCAP_CAPLEN_TOO_LARGE: 'ERR_PCAP_CAPLEN_TOO_LARGE',
  /** The file ends inside a pcap record header or its data. */
  PCAP_TRUNCATED_RECORD: 'ERR_PCAP_TRUNCATED_RECORD',
  /** A pcapng block total length is not a multiple of 4, below the block's minimum, absurd, or != its trailer. */
  PCAPNG_BAD_BLOCK_LENGTH: 'ERR_PCAPNG_BAD_BLOCK_LENGTH',
  /** The file ends inside a pcapng block. */
  PCAPNG_TRUNCATED_BLOCK: 'ERR_PCAPNG_TRUNCATED_BLOCK',
  /** An SHB byte-order magic that is 0x1a2b3c4d in neither byte order. */
  PCAPNG_BAD_BYTE_ORDER: 'ERR_PCAPNG_BAD_BYTE_ORDER',
  /** An SHB major version other than 1. */
  PCAPNG_BAD_VERSION: 'ERR_PCAPNG_BAD_VERSION',
  /** An IDB option running past its block, or an impossible if_tsresol / if_tsoffset. */
  PCAPNG_BAD_OPTION: 'ERR_PCAPNG_BAD_OPTION',
  /** A packet block naming an interface the section has not described. */
  PCAPNG_BAD_INTERFACE: 'ERR_PCAPNG_BAD_INTERFACE',
  /** An EPB or PB whose captured length does not fit in its block. */
  PCAPNG_CAPLEN_EXCEEDS_BLOCK: 'ERR_PCAPNG_CAPLEN_EXCEEDS_BLOCK',
} as const;

export type CaptureErrorCode = (typeof CaptureErrorCode)[keyof typeof CaptureErrorCode];
