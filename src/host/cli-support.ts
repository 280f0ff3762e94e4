/**
 * Small pieces the host commands' CLI modules share (src/cli/listen.ts, send.ts, doctor.ts): repeatable options
 * and the stop signals.
 */

/** Commander argParser for a repeatable option: `-i a -i b` gives ['a', 'b']. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Run `fn` with an AbortSignal that SIGINT and SIGTERM abort, so a long-running command can leave its groups,
 * print its summary and end with status 0. The handlers are removed afterwards; a second signal while stopping
 * gets the default action (the process ends at once).
 */
export async function withStopSignals<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
