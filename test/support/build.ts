/**
 * Live tests run the compiled commands from dist/ (a child in a network namespace cannot use vitest's transform).
 * ensureBuilt() compiles once when any source under src/ is newer than its output, and throws when that does not
 * help for the sources the caller needs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Sources (relative to src/, e.g. "capture/live.ts") whose dist/ output is missing or older. */
export function staleSources(dir = join(ROOT, 'src'), rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...staleSources(join(dir, e.name), r));
    else if (e.name.endsWith('.ts')) {
      const js = join(ROOT, 'dist', r.replace(/\.ts$/, '.js'));
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(join(dir, e.name)).mtimeMs) out.push(r);
    }
  }
  return out;
}

/**
 * Compile (tsc -p .) when dist/ is stale. `needed` (default: everything) picks the sources that must be fresh
 * afterwards: tsc still emits when an unrelated module has type errors.
 */
export function ensureBuilt(needed: (source: string) => boolean = () => true): void {
  if (staleSources().length === 0) return;
  try {
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', ROOT], { stdio: 'ignore' });
  } catch {
    /* judged below */
  }
  const left = staleSources().filter(needed);
  if (left.length > 0) throw new Error(`dist/ is stale for ${left.join(', ')}: run npm run build`);
}
