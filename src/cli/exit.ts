/**
 * Whether the process may exit as soon as the command returns. A one-shot command (replay) has then written all
 * its output with writeSync; what the event loop still holds is V8's housekeeping: after `replay --stats -q --table`
 * on the 1M-frame benchmark capture, an old-generation collection V8 had scheduled took ~20 ms more before the process
 * ended (paired median of 11 runs; nothing measurable without --table). Commands with sockets, timers or children
 * never mark themselves, so their handles close as they always did.
 */
let oneShotDone = false;

/** Called by a one-shot command when its work is complete. */
export function markDone(): void {
  oneShotDone = true;
}

/** True when a one-shot command is done and nothing is queued on stdout or stderr. */
export function canExitNow(): boolean {
  return oneShotDone && process.stdout.writableLength === 0 && process.stderr.writableLength === 0;
}
