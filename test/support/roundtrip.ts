/**
 * The project's one round-trip helper for codecs (dns-packet's testEncoder idea, smoltcp's 0xa5 prefill).
 *
 * `assertRoundTrip(repr, codec)` encodes `repr` at offset 10 into a buffer prefilled with 0xa5 and asserts that
 *   1. emit returns exactly codec.length(repr) bytes,
 *   2. no byte outside [10, 10 + length) changed (no write past either end),
 *   3. decoding those bytes, in place at offset 10, deep-equals `repr`,
 *   4. emitting again, into a buffer prefilled with 0x5a, gives the same bytes (a field the encoder forgets to write
 *      shows up as 0xa5 in one and 0x5a in the other), and so does emitting the decoded repr (byte-exact),
 *   5. the bytes equal `expected` when given (a vector worked out by hand or taken from a capture).
 * It returns a copy of the encoded bytes for further checks.
 *
 * The repr passed must be canonical, i.e. what decode returns (computed fields filled in); to test "absent means
 * compute", decode an encoding of the partial repr first and round-trip the result.
 */
import { expect } from 'vitest';
import { MalformedError, TruncatedError, WireError } from '../../src/errors.js';

export interface RoundTripCodec<R> {
  /** Bytes emit() writes for repr. */
  length(repr: R): number;
  /** Write repr at buf[offset]; return the number of bytes written. */
  emit(repr: R, buf: Uint8Array, offset: number): number;
  /** Decode a repr from buf[offset, offset + length), the exact bytes emit() wrote (in place, not copied). */
  decode(buf: Uint8Array, offset: number, length: number): R;
}

export const ROUND_TRIP_OFFSET = 10;
const PREFILL = 0xa5;
const PREFILL_AGAIN = 0x5a;
/** Spare bytes after the encoded region, to catch writes past its end. */
const TAIL = 16;

export function assertRoundTrip<R>(repr: R, codec: RoundTripCodec<R>, expected?: Uint8Array): Uint8Array {
  const len = codec.length(repr);
  const first = encodeAt(codec, repr, len, PREFILL);

  const decoded = codec.decode(first, ROUND_TRIP_OFFSET, len);
  expect(decoded).toEqual(repr);

  const bytes = first.slice(ROUND_TRIP_OFFSET, ROUND_TRIP_OFFSET + len);
  const again = encodeAt(codec, repr, len, PREFILL_AGAIN);
  expect(again.subarray(ROUND_TRIP_OFFSET, ROUND_TRIP_OFFSET + len)).toEqual(bytes);
  const fromDecoded = encodeAt(codec, decoded, len, PREFILL_AGAIN);
  expect(fromDecoded.subarray(ROUND_TRIP_OFFSET, ROUND_TRIP_OFFSET + len)).toEqual(bytes);

  if (expected !== undefined) expect(hex(bytes)).toBe(hex(expected));
  return bytes;
}

/** Emit at ROUND_TRIP_OFFSET into a prefilled buffer; checks the count and the untouched surroundings. */
function encodeAt<R>(codec: RoundTripCodec<R>, repr: R, len: number, fill: number): Uint8Array {
  const buf = new Uint8Array(ROUND_TRIP_OFFSET + len + TAIL).fill(fill);
  const written = codec.emit(repr, buf, ROUND_TRIP_OFFSET);
  expect(written).toBe(len);
  for (let i = 0; i < ROUND_TRIP_OFFSET; i++) if (buf[i] !== fill) expect.fail(`emit wrote byte ${i}, before the region`);
  for (let i = ROUND_TRIP_OFFSET + len; i < buf.length; i++) {
    if (buf[i] !== fill) expect.fail(`emit wrote byte ${i}, past the ${len}-byte region at ${ROUND_TRIP_OFFSET}`);
  }
  return buf;
}

/** Lower-case hex without separators (test vectors are written this way). */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes from hex; whitespace, newlines and `|` separators are ignored so vectors can be laid out by field. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s|]/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex vector: ${text}`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/**
 * Run fn, expect it to throw a WireError (of `kind` when given) with `code` (and `offset` when given); returns it.
 * Tests assert codes, never messages.
 */
export function expectWireError(
  fn: () => unknown,
  code: string,
  offset?: number,
  kind?: typeof TruncatedError | typeof MalformedError,
): WireError {
  let thrown: unknown = undefined;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) expect.fail(`expected a WireError ${code}, nothing was thrown`);
  expect(thrown).toBeInstanceOf(kind ?? WireError);
  const err = thrown as WireError;
  expect(err.code).toBe(code);
  if (offset !== undefined) expect(err.offset).toBe(offset);
  return err;
}
