/**
 * Child process for stdio.test.ts: reads a capture from stdin ('-') and writes it to stdout ('-') as pcapng, one
 * interface per input interface. Prints a JSON summary on stderr. With --touch-stdin it first creates
 * process.stdin, which makes a pipe on fd 0 non-blocking (libuv), so reads meet EAGAIN. Prints 'open' on stderr
 * once the capture header has been read.
 */
import * as fs from 'node:fs';
import { openCapture, CaptureWriter } from '../../../src/pcap/index.js';
import { readStats } from '../../../src/pcap/source.js';

if (process.argv.includes('--touch-stdin')) void process.stdin;
const flags = (fs.readFileSync('/proc/self/fdinfo/0', 'utf8').match(/flags:\s*(\d+)/) ?? ['', '0'])[1];
const r = openCapture('-');
process.stderr.write('open\n');
let w: CaptureWriter | null = null;
let ifaces = 0;
let records = 0;
let error: { code: string; offset: number } | null = null;
try {
  for (let rec = r.next(); rec !== null; rec = r.next()) {
    const known = r.interfaces();
    if (w === null) w = CaptureWriter.create('-', { format: 'pcapng', linkType: known[0].linkType, nanosecond: true, ifaceName: known[0].name ?? undefined });
    while (ifaces < known.length) {
      if (ifaces > 0) w.addInterface(known[ifaces].linkType, known[ifaces].name ?? undefined);
      ifaces++;
    }
    w.write(rec.buf, rec.offset, rec.caplen, rec.wirelen, rec.tsSec, rec.tsNsec, rec.ifaceIndex);
    records++;
  }
} catch (e) {
  error = { code: (e as { code: string }).code, offset: (e as { offset: number }).offset };
}
w?.close();
r.close();
process.stderr.write(
  JSON.stringify({ format: r.format, fileSize: r.fileSize, records, error, eagainWaits: readStats.eagainWaits, nonblocking: (parseInt(flags, 8) & 0o4000) !== 0 }) + '\n',
);
