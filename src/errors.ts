/**
 * The error hierarchy. Every error mcastkit raises on purpose is an McastError with a stable `code`
 * (tests assert the code, never the message) and a one-line message fit for a terminal.
 *
 *   McastError
 *   ├── WireError          a frame's bytes: `layer` and `offset` (byte offset inside the frame)
 *   │   ├── TruncatedError   the input ended before the field (caplen too short, length field past the end)
 *   │   └── MalformedError   the input lies or is impossible (IHL < 5, total length < header length, ...)
 *   ├── CaptureFileError   a capture file: `offset` is the byte offset inside the file
 *   ├── UsageError         wrong command-line arguments (the CLI exits 2)
 *   └── SystemError        the machine refused: missing interface, privileges, libpcap absent (exit 1)
 */

export type Layer = 'eth' | 'vlan' | 'sll' | 'sll2' | 'ip' | 'udp' | 'igmp' | 'frame';

export class McastError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A fault in a frame's bytes. `offset` counts from the first byte of the frame (the link-layer header). */
export class WireError extends McastError {
  readonly layer: Layer;
  offset: number;
  constructor(layer: Layer, code: string, offset: number, message: string) {
    super(code, message);
    this.layer = layer;
    this.offset = offset;
  }

  /** Move the offset by `delta` bytes (a layer-relative offset becoming frame-relative), message included. */
  rebase(delta: number): this {
    if (delta !== 0) {
      this.offset += delta;
      this.message = this.message.replace(/at byte \d+/, `at byte ${this.offset}`);
    }
    return this;
  }
}

/** The input ended before a field the header says is there. */
export class TruncatedError extends WireError {}

/** The input lies: a field holds a value that cannot be right. */
export class MalformedError extends WireError {}

/** A damaged or hostile capture file. `offset` is the byte offset inside the file where the fault starts. */
export class CaptureFileError extends McastError {
  readonly offset: number;
  readonly file: string | undefined;
  constructor(code: string, offset: number, message: string, file?: string) {
    super(code, file === undefined ? message : `${file}: ${message}`);
    this.offset = offset;
    this.file = file;
  }
}

/** Wrong command-line arguments. The CLI prints the message and the usage hint and exits 2. */
export class UsageError extends McastError {
  constructor(message: string, code = 'ERR_USAGE') {
    super(code, message);
  }
}

/** The system refused (no such interface, no privileges, libpcap missing, ...). The CLI exits 1. */
export class SystemError extends McastError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}
