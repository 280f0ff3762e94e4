/** The fuzz script (`npm run fuzz`), at a modest count: mutated frames and files never raise untyped errors. */
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../src/tools/fuzz.js';

describe('fuzz (modest count; `npm run fuzz -- --iterations N` for more)', () => {
  it('mutated fixture frames and capture files give only typed errors', () => {
    const r = runFuzz({ iterations: 20_000, seed: 20261125, fixtureDirs: ['fixtures', 'fixtures/formats'] });
    expect(r.failures).toEqual([]);
    expect(r.frames).toBe(20_000);
    // The mutations do hit the error paths: otherwise the test proves nothing.
    expect(r.frameErrors).toBeGreaterThan(1000);
    expect(r.fileErrors).toBeGreaterThan(50);
  }, 120_000);
});
