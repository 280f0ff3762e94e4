#!/usr/bin/env node
// The `mcast` executable: runs the compiled CLI (npm's prepare script builds dist/ at install).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('mcast: not built yet (dist/ is missing); run `npm ci` or `npm run build` first\n');
  process.exit(1);
}
const { run, canExitNow } = await import(main);
const code = await run(process.argv);
// A one-shot command that is done leaves the event loop only V8's housekeeping (src/cli/exit.ts): end now.
if (canExitNow()) process.exit(code);
process.exitCode = code;
