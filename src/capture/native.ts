/**
 * Loads the libpcap addon (native/build/Release/mcastpcap.node) and types its API. Loading fails softly: a
 * missing build or a missing libpcap becomes a SystemError ERR_NO_LIBPCAP whose one-line message says what to
 * install, so offline commands never depend on it and live commands explain themselves.
 *
 * Why an addon and not the npm package `cap`: `cap` reports neither the kernel's timestamp nor a frame's wire
 * length nor the kernel's drop count, and cannot run a filter over frames read from a file.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { McastError, SystemError } from '../errors.js';

/** Words per frame in the metadata array filled by `dispatch`. */
export const META = { offset: 0, caplen: 1, wirelen: 2, tsSec: 3, tsNsec: 4, words: 5 } as const;

export interface NativeOpenOptions {
  snaplen?: number;
  promisc?: boolean;
  immediate?: boolean;
  bufferSize?: number;
  timeoutMs?: number;
  filter?: string;
  tstampPrecision?: 'nano' | 'micro';
  direction?: 'in' | 'out' | 'inout';
}

/** The object `open` returns: opaque to JS except for these read-only facts. */
export interface NativeHandle {
  readonly iface: string;
  readonly linkType: number;
  readonly snaplen: number;
  readonly tsDigits: 6 | 9;
  /** libpcap's warning from pcap_activate (e.g. promiscuous mode unsupported), else null. */
  readonly warning: string | null;
}

export interface NativeIpv4Address {
  address: string | null;
  netmask: string | null;
  broadcast: string | null;
  destination: string | null;
}

export interface NativeInterface {
  name: string;
  description: string | null;
  up: boolean;
  running: boolean;
  loopback: boolean;
  wireless: boolean;
  connectionStatus: 'unknown' | 'connected' | 'disconnected' | 'not-applicable';
  ipv4: NativeIpv4Address[];
}

export interface NativeStats {
  /** Frames the kernel passed to the capture (Linux: accepted by the filter). */
  recv: number;
  /** Frames the kernel dropped because the capture buffer was full. */
  drop: number;
  /** Frames the interface dropped (Linux: 0, not reported). */
  ifdrop: number;
}

export interface NativeFilter {
  readonly expression: string;
  readonly linkType: number;
  readonly instructions: number;
  /** Runs the BPF program (pcap_offline_filter) over buf[offset, offset + caplen); wirelen defaults to caplen. */
  match(buf: Uint8Array, offset: number, caplen: number, wirelen?: number): boolean;
}

export interface Native {
  readonly META_WORDS: number;
  libVersion(): string;
  listInterfaces(): NativeInterface[];
  open(iface: string, options?: NativeOpenOptions): NativeHandle;
  /** Watch the capture fd; `onReadable(status)` runs on the event loop (status < 0: libuv poll error). */
  startPolling(handle: NativeHandle, onReadable?: (status: number) => void): void;
  stopPolling(handle: NativeHandle): void;
  /** Copies ready frames into `data`, one META.words record each in `meta`; returns the count (0: none ready). */
  dispatch(handle: NativeHandle, data: Uint8Array, meta: Uint32Array): number;
  stats(handle: NativeHandle): NativeStats;
  inject(handle: NativeHandle, frame: Uint8Array): number;
  datalink(handle: NativeHandle): number;
  close(handle: NativeHandle): void;
  compileFilter(linkType: number, snaplen: number, expression: string): NativeFilter;
}

export const INSTALL_HINT =
  'install libpcap (apt-get install libpcap-dev) and rebuild the addon: npm rebuild mcastkit (or npm run build:native in a checkout)';

/** Where the addon is built; MCAST_NATIVE overrides it (packaging, tests). */
export function defaultNativePath(): string {
  return process.env.MCAST_NATIVE ?? fileURLToPath(new URL('../../native/build/Release/mcastpcap.node', import.meta.url));
}

let cached: Native | SystemError | undefined;

/**
 * The addon, or a SystemError ERR_NO_LIBPCAP saying what to install. Never throws. The default path's result is
 * cached; passing `path` loads (and caches nothing) from there.
 */
export function loadNative(path?: string): Native | SystemError {
  if (path === undefined && cached !== undefined) return cached;
  const file = path ?? defaultNativePath();
  let result: Native | SystemError;
  if (!existsSync(file)) {
    result = new SystemError('ERR_NO_LIBPCAP', `live capture is unavailable: the libpcap addon is not built (${file}); ${INSTALL_HINT}`);
  } else {
    try {
      result = createRequire(import.meta.url)(file) as Native;
      if (typeof result.open !== 'function') throw new Error('not the mcastpcap addon');
    } catch (err) {
      const msg = String((err as Error)?.message ?? err).split('\n')[0];
      const what = /libpcap/.test(msg) ? 'libpcap is not installed' : 'the libpcap addon failed to load';
      result = new SystemError('ERR_NO_LIBPCAP', `live capture is unavailable: ${what} (${msg}); ${INSTALL_HINT}`);
    }
  }
  if (path === undefined) cached = result;
  return result;
}

/** The addon, or throws the ERR_NO_LIBPCAP SystemError. */
export function requireNative(): Native {
  const n = loadNative();
  if (n instanceof SystemError) throw n;
  return n;
}

/** True when the addon loads (live capture and injection are possible, privileges aside). */
export function nativeAvailable(): boolean {
  return !(loadNative() instanceof SystemError);
}

/** Turns an error thrown by the addon (an Error with a string `code`) into a SystemError with the same code. */
export function toSystemError(err: unknown): unknown {
  if (err instanceof McastError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e !== null && typeof e === 'object' && typeof e.code === 'string' && e.code.startsWith('ERR_')) {
    return new SystemError(e.code, String(e.message));
  }
  return err;
}
