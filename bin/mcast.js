#!/usr/bin/env node
// The `mcast` executable: runs the compiled CLI (npm's prepare script builds dist/ at install).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('mcast: not built yet (dist/ is missing); run `npm ci` or `npm run build` first\n');
  process.exit(1);
}
const { run } = await import(main);
process.exitCode = await run(process.argv);
