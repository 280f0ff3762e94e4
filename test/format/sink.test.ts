/**
 * LineSink and the EAGAIN wait under it (src/io-wait.ts): a non-blocking pipe whose reader is late gets every
 * line, in order; the wait retries at once a few times, then sleeps.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineSink } from '../../src/format/sink.js';
import { EagainWait, isEagain } from '../../src/io-wait.js';

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcast-sink-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('EagainWait', () => {
  it('retries at once first, then sleeps; a transfer that goes through starts over', () => {
    const w = new EagainWait();
    let i = 0;
    while (w.sleeps === 0) {
      w.wait();
      i++;
      expect(i).toBeLessThan(100);
    }
    const immediate = i - 1;
    expect(immediate).toBeGreaterThan(0);
    w.wait();
    expect(w.sleeps).toBe(2);
    w.done();
    for (let k = 0; k < immediate; k++) w.wait();
    expect(w.sleeps).toBe(2);
    w.wait();
    expect(w.sleeps).toBe(3);
  });

  it('knows EAGAIN and EWOULDBLOCK from other errors', () => {
    expect(isEagain(Object.assign(new Error('x'), { code: 'EAGAIN' }))).toBe(true);
    expect(isEagain(Object.assign(new Error('x'), { code: 'EWOULDBLOCK' }))).toBe(true);
    expect(isEagain(Object.assign(new Error('x'), { code: 'EPIPE' }))).toBe(false);
    expect(isEagain(null)).toBe(false);
    expect(isEagain('EAGAIN')).toBe(false);
  });
});

describe('LineSink into a non-blocking FIFO', () => {
  it('delivers every line in order when the reader starts late (the pipe fills: it waits, drops nothing)', async () => {
    const fifo = path.join(dir, 'out.fifo');
    const out = path.join(dir, 'out.txt');
    execFileSync('mkfifo', [fifo]);
    // The reader opens the FIFO at once but reads only after 300 ms: our writes meet a full pipe meanwhile.
    const reader = spawn('sh', ['-c', 'exec 3<"$0"; sleep 0.3; cat <&3 > "$1"', fifo, out], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => reader.on('exit', (code) => resolve(code)));
    // A non-blocking write open fails with ENXIO until the reader holds its end.
    const cell = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + 10000;
    let fd = -1;
    while (fd < 0) {
      try {
        fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) throw e;
        Atomics.wait(cell, 0, 0, 5);
      }
    }
    const sink = new LineSink(fd);
    const want: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const l = `line ${i} ${'x'.repeat(i % 97)}`;
      want.push(l);
      sink.line(l);
    }
    sink.flush();
    fs.closeSync(fd);
    expect(await exited).toBe(0);
    expect(sink.blocked.sleeps).toBeGreaterThan(0);
    expect(fs.readFileSync(out, 'utf8')).toBe(`${want.join('\n')}\n`);
  });
});
