/**
 * Checking what a user typed for the host commands: groups, ports, sources, numbers. Every refusal is a UsageError
 * with a stable code and a one-line message naming the option and the text.
 */
import { UsageError } from '../errors.js';
import { parseIpv4 } from '../wire/addr.js';
import { isMulticast } from '../multicast/mapping.js';

export interface GroupPort {
  group: string;
  port: number;
}

export { isMulticast };

/** 232.0.0.0/8, the source-specific range (RFC 4607 section 1). */
export function isSsmRange(addr: number): boolean {
  return addr >>> 24 === 232;
}

/** 224.0.0.0/24, never forwarded by routers and always sent with TTL 1 in practice (RFC 5771 section 4). */
export function isLinkLocalGroup(addr: number): boolean {
  return addr >>> 8 === 0xe00000;
}

export function parsePort(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new UsageError(`${what}: port ${JSON.stringify(text)} is not a number from 1 to 65535`, 'ERR_BAD_PORT');
  }
  return Number(text);
}

/** A multicast group as text; throws ERR_BAD_ADDRESS or ERR_NOT_MULTICAST. */
export function parseGroup(text: string, what: string): string {
  const addr = parseIpv4(text);
  if (addr === null) throw new UsageError(`${what}: ${JSON.stringify(text)} is not an IPv4 address`, 'ERR_BAD_ADDRESS');
  if (!isMulticast(addr)) {
    throw new UsageError(`${what}: ${text} is not a multicast group (224.0.0.0/4)`, 'ERR_NOT_MULTICAST');
  }
  return text;
}

/** "GROUP:PORT", or "GROUP" when `defaultPort` is given. */
export function parseGroupPort(text: string, what: string, defaultPort: number | null): GroupPort {
  const colon = text.lastIndexOf(':');
  const groupText = colon < 0 ? text : text.slice(0, colon);
  const group = parseGroup(groupText, what);
  if (colon >= 0) return { group, port: parsePort(text.slice(colon + 1), what) };
  if (defaultPort === null) {
    throw new UsageError(`${what}: ${text} has no port; write GROUP:PORT or give --port`, 'ERR_NO_PORT');
  }
  return { group, port: defaultPort };
}

/** A unicast source for a source-specific join; throws ERR_BAD_ADDRESS or ERR_BAD_SOURCE. */
export function parseSource(text: string, what: string): string {
  const addr = parseIpv4(text);
  if (addr === null) throw new UsageError(`${what}: ${JSON.stringify(text)} is not an IPv4 address`, 'ERR_BAD_ADDRESS');
  if (isMulticast(addr) || addr === 0 || addr === 0xffffffff || addr >>> 28 === 0xf) {
    throw new UsageError(`${what}: ${text} cannot be a source (it must be a unicast address)`, 'ERR_BAD_SOURCE');
  }
  return text;
}

/** An integer in [min, max]. */
export function parseIntOption(text: string, what: string, min: number, max: number): number {
  const v = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new UsageError(`${what}: ${JSON.stringify(text)} is not a whole number from ${min} to ${max}`, 'ERR_BAD_NUMBER');
  }
  return v;
}

/** A non-negative decimal number (seconds, packets per second) up to max. */
export function parseNumberOption(text: string, what: string, max: number): number {
  const v = /^\d+(\.\d+)?$|^\.\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(v) || v < 0 || v > max) {
    throw new UsageError(`${what}: ${JSON.stringify(text)} is not a number from 0 to ${max}`, 'ERR_BAD_NUMBER');
  }
  return v;
}

/** Bytes from "--hex": pairs of hex digits, spaces, colons and a leading 0x allowed. */
export function parseHexBytes(text: string, what: string): Uint8Array {
  const clean = text.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) {
    throw new UsageError(`${what}: ${JSON.stringify(text)} is not an even number of hex digits`, 'ERR_BAD_HEX');
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
