/**
 * Gate for tests that need root, iproute2 or libpcap. On a user's machine they skip with a printed reason;
 * under MCAST_REQUIRE_LIVE=1 (set by .ci/run) a missing prerequisite is a failure, never a skip.
 */
import { execFileSync } from 'node:child_process';

export const requireLive = process.env.MCAST_REQUIRE_LIVE === '1';

/** Returns null when live tests can run, else the reason they cannot. */
export function liveUnavailableReason(extraCommands: string[] = []): string | null {
  if (process.platform !== 'linux') return `live tests need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'live tests need root (network namespaces)';
  for (const cmd of ['ip', ...extraCommands]) {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    } catch {
      return `live tests need the command ${cmd}`;
    }
  }
  return null;
}

/**
 * Use at the top of a live test file: `const live = liveGate(['tcpdump']); describe.skipIf(!live.ok)(...)`.
 * Under MCAST_REQUIRE_LIVE=1 an unavailable prerequisite throws, so the file fails instead of skipping.
 */
export function liveGate(extraCommands: string[] = []): { ok: boolean; reason: string | null } {
  const reason = liveUnavailableReason(extraCommands);
  if (reason !== null) {
    if (requireLive) throw new Error(`MCAST_REQUIRE_LIVE=1 but ${reason}`);
    console.warn(`skipping live tests: ${reason}`);
  }
  return { ok: reason === null, reason };
}
