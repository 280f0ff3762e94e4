/** `--filter EXPR` over capture files: libpcap compiles the expression once per link type (native addon). */
import { compileFilter } from '../capture/index.js';

export function compileFileFilter(expr: string): (linkType: number, buf: Uint8Array, offset: number, caplen: number, wirelen: number) => boolean {
  const perLink = new Map<number, (buf: Uint8Array, offset: number, caplen: number, wirelen: number) => boolean>();
  // Compile for Ethernet up front so a bad expression is reported before any output.
  perLink.set(1, compileFilter(1, expr));
  return (linkType, buf, offset, caplen, wirelen) => {
    let f = perLink.get(linkType);
    if (f === undefined) {
      f = compileFilter(linkType, expr);
      perLink.set(linkType, f);
    }
    return f(buf, offset, caplen, wirelen);
  };
}
