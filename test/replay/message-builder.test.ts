/**
 * The replay hot path builds membership messages with ReusedMessageBuilder (reused objects, cached text); sniff and
 * the querier use membershipMessage(). Both must give the table the same message for every IGMP frame of every
 * fixture, but for the fields the builder leaves out on purpose (aux data bytes and trailing `extra`).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/decode/frame.js';
import { openCapture } from '../../src/pcap/index.js';
import { ReusedMessageBuilder, membershipMessage } from '../../src/replay/membership.js';

function fixtures(): string[] {
  return ['fixtures', 'fixtures/formats'].flatMap((dir) => readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(dir, f)));
}

/** A deep copy without the fields the builder does not fill. */
function plain(msg: unknown): unknown {
  return JSON.parse(JSON.stringify(msg, (k, v) => (k === 'auxData' || k === 'extra' ? undefined : v)));
}

describe('ReusedMessageBuilder equals membershipMessage', () => {
  it.each(fixtures())('%s', (file) => {
    const r = openCapture(file);
    const d = new FrameDecoder();
    const b = new ReusedMessageBuilder();
    let n = 0;
    let compared = 0;
    for (let rec = r.next(); rec !== null; rec = r.next()) {
      n++;
      d.decode(rec.linkType, rec.buf, rec.offset, rec.caplen);
      if (!d.hasIgmp || d.error !== null) continue;
      const time = rec.tsSec + rec.tsNsec * 1e-9;
      b.time[0] = time;
      const fast = plain(b.build(d, rec.ifaceName, n));
      expect(fast, `${file} frame ${n}`).toEqual(plain(membershipMessage(d, time, rec.ifaceName, n)));
      compared++;
    }
    r.close();
    expect(compared).toBeGreaterThan(0);
  });
});
