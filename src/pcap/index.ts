/** The capture-file layer: streaming pcap/pcapng reader, buffered writer, timestamp formatting. */
export { openCapture, CaptureReader, DEFAULT_BUFFER_SIZE } from './reader.js';
export type { CaptureRecord, CaptureInterface, OpenCaptureOptions } from './reader.js';
export { CaptureWriter } from './writer.js';
export type { CaptureWriterOptions } from './writer.js';
export { formatTimestamp, TickScale } from './timestamp.js';
export { LinkType, MAX_CAPLEN, MAX_BLOCK_LENGTH, CaptureErrorCode } from './constants.js';
