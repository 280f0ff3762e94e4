/**
 * Child process for writer.test.ts: writes records to argv[2] (format argv[3]) in bursts until SIGINT, then closes
 * the writer from the signal handler, as a capture command does, and prints {"records": N} on stdout.
 */
import { CaptureWriter } from '../../../src/pcap/index.js';

const format = process.argv[3] === 'pcap' ? 'pcap' : 'pcapng';
const w = CaptureWriter.create(process.argv[2], { format, linkType: 1, nanosecond: true, ifaceName: 'veth-lab' });
const frame = new Uint8Array(1600);
for (let i = 0; i < frame.length; i++) frame[i] = (i * 31) & 255;
let n = 0;
process.on('SIGINT', () => {
  w.close();
  process.stdout.write(JSON.stringify({ records: n }) + '\n');
  process.exit(0);
});
function burst(): void {
  for (let i = 0; i < 500; i++) {
    const len = 60 + (n % 1455);
    w.write(frame, n % 7, len, len + (n % 3), 1700000000 + Math.floor(n / 1000), (n % 1000) * 1000001);
    n++;
  }
  if (n === 500) process.stderr.write('ready\n');
  setTimeout(burst, 20);
}
burst();
