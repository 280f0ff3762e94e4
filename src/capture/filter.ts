/**
 * BPF filters over frames that did not come from a live capture (replay `--filter`): the expression is compiled
 * by libpcap for the file's link type and run with pcap_offline_filter, so `--filter` means exactly what it means
 * to tcpdump. Needs the addon; without it the error says what to install.
 */
import { SystemError } from '../errors.js';
import { requireNative, toSystemError } from './native.js';

/** libpcap's largest snapshot length; a filter compiled for it never clips a frame's checks. */
export const MAX_SNAPLEN = 262144;

/**
 * A compiled filter: call it on a frame buf[offset, offset + caplen) to learn whether it passes. `wirelen` is
 * the frame's length on the wire (what `len`, `greater` and `less` test); it defaults to caplen. No allocation.
 */
export interface FrameFilter {
  (buf: Uint8Array, offset: number, caplen: number, wirelen?: number): boolean;
  readonly expression: string;
  readonly linkType: number;
}

/**
 * Compile a tcpdump filter expression for a link type (1 Ethernet, 113 Linux SLL, 276 Linux SLL2, 101 raw IP,
 * ...). A bad expression throws SystemError ERR_BAD_FILTER naming the expression and libpcap's complaint;
 * no addon throws ERR_NO_LIBPCAP.
 */
export function compileFilter(linkType: number, expression: string, snaplen: number = MAX_SNAPLEN): FrameFilter {
  const native = requireNative();
  if (Buffer.byteLength(expression) >= 4096) {
    throw new SystemError('ERR_BAD_FILTER', `bad filter expression '${expression.slice(0, 40)}...': longer than 4095 bytes`);
  }
  let program;
  try {
    program = native.compileFilter(linkType, snaplen, expression);
  } catch (err) {
    throw toSystemError(err);
  }
  const filter = (buf: Uint8Array, offset: number, caplen: number, wirelen: number = caplen): boolean =>
    program.match(buf, offset, caplen, wirelen);
  return Object.assign(filter, { expression: program.expression, linkType: program.linkType });
}
