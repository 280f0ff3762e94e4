/**
 * Wall-clock time in microseconds since the Unix epoch, with sub-millisecond resolution (Date.now() has only
 * milliseconds). performance.timeOrigin is the process start on the wall clock and performance.now() the
 * monotonic time since, so two processes on one host agree to a few microseconds: enough for one-way delay.
 */
import { performance } from 'node:perf_hooks';

const origin = performance.timeOrigin;

export function nowUs(): number {
  return (origin + performance.now()) * 1000;
}
