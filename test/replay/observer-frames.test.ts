/**
 * Without --events, replay hands the membership observer the first frame and the IGMP frames only, and the latest
 * timestamp of the others at the end: the table must still be shown at the capture's last moment, whatever frame
 * that is, and the same as when every frame goes to the observer (--events).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { craft } from '../../src/craft/craft.js';
import type { LineSink } from '../../src/format/sink.js';
import { CaptureWriter } from '../../src/pcap/writer.js';
import { MembershipObserver } from '../../src/replay/membership.js';
import { runReplay } from '../../src/replay/replay.js';

const dir = mkdtempSync(join(tmpdir(), 'mcast-observer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function v2Report(group: string, src: string): Uint8Array {
  return craft({ igmp: { kind: 'v2-report', group }, ip: { src }, eth: { src: '02:00:00:00:00:01' } }).frames[0]!.bytes;
}

/** A pcap of `frames` ([bytes, seconds]) and the JSON table replay --table shows for it. */
function tableOf(frames: [Uint8Array, number][], events: boolean): { groups: { group: string; expiresIn: number }[] } {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.pcap`);
  const w = CaptureWriter.create(path, { format: 'pcap', linkType: 1 });
  for (const [b, t] of frames) w.write(b, 0, b.length, b.length, t, 0);
  w.close();
  const lines: string[] = [];
  const out = { line: (s: string) => void lines.push(s), flush: () => undefined } as unknown as LineSink;
  const observer = new MembershipObserver({ table: true, events, json: true, at: null, timers: {} }, out);
  const report = runReplay(
    { files: [path], json: true, stats: false, quiet: true, count: null, progress: false, all: false, group: null, host: null, vlan: null, filter: null, observer },
    out,
    (l) => lines.push(l),
  );
  expect(report.fileError).toBeNull();
  return JSON.parse(lines[lines.length - 1]!);
}

describe('replay --table without --events', () => {
  const report = v2Report('239.1.1.1', '10.0.0.11');
  // The same frame with an ARP EtherType: no IP, so no IGMP.
  const other = report.slice();
  other[12] = 0x08;
  other[13] = 0x06;

  it('shows the table at the last frame, a non-IGMP one 100 s after the report', () => {
    const frames: [Uint8Array, number][] = [
      [report, 1000],
      [other, 1050],
      [other, 1100],
    ];
    for (const events of [false, true]) {
      // Group timer GMI = 2 x 125 + 10 = 260 s from the report, seen 100 s later.
      expect(tableOf(frames, events).groups.map((g) => [g.group, g.expiresIn])).toEqual([['239.1.1.1', 160]]);
    }
  });

  it('takes the latest of the other frames, not the last one read (interfaces interleaved out of time order)', () => {
    const frames: [Uint8Array, number][] = [
      [other, 990],
      [report, 1000],
      [other, 1120],
      [other, 1080],
    ];
    for (const events of [false, true]) expect(tableOf(frames, events).groups[0]!.expiresIn).toBe(140);
  });
});
