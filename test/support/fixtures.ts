/** The capture files in fixtures/ and fixtures/formats/ (paths from the project root, where vitest runs). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function fixtureCaptures(): string[] {
  return ['fixtures', 'fixtures/formats'].flatMap((dir) => readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(dir, f)));
}
