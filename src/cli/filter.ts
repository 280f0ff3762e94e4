/** `--filter EXPR` over capture files: libpcap compiles the expression once per link type (native addon). */
import { compileFilter } from '../capture/index.js';
import { SystemError } from '../errors.js';

export function compileFileFilter(expr: string): (linkType: number, buf: Uint8Array, offset: number, caplen: number, wirelen: number) => boolean {
  const perLink = new Map<number, (buf: Uint8Array, offset: number, caplen: number, wirelen: number) => boolean>();
  // Compile for Ethernet up front so a bad expression is reported before any output.
  try {
    perLink.set(1, compileFilter(1, expr));
  } catch (e) {
    // Without the addon the offline commands work, but libpcap compiles filter expressions: say that, not "live".
    if (e instanceof SystemError && e.code === 'ERR_NO_LIBPCAP') {
      throw new SystemError('ERR_NO_LIBPCAP', `--filter needs libpcap: ${e.message.replace(/^live capture is unavailable: /, '')}`);
    }
    throw e;
  }
  return (linkType, buf, offset, caplen, wirelen) => {
    let f = perLink.get(linkType);
    if (f === undefined) {
      f = compileFilter(linkType, expr);
      perLink.set(linkType, f);
    }
    return f(buf, offset, caplen, wirelen);
  };
}
