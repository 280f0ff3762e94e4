/**
 * Sending and writing crafted frames: `count` rounds of the frame set, `intervalMs` apart, to an interface (libpcap
 * injection), to a capture file, or both. The strings the user sees are made by the caller (onFrame).
 *
 * Only sending waits between rounds: without an interface the rounds are written at once, stamped as if they had
 * been sent `intervalMs` apart, so a capture file of any length is made instantly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { McastError, SystemError } from '../errors.js';
import { openInjector } from '../capture/live.js';
import type { CaptureWriter } from '../pcap/writer.js';
import { Tpid, VLAN_TAG_LENGTH } from '../wire/ethernet.js';
import { vlanTags, type CraftedFrame, type VlanSpec } from './craft.js';
import type { SendInterface } from './iface.js';

export interface Sender {
  /** Send one frame; throws SystemError (ERR_INTERFACE_DOWN, ERR_NO_CARRIER, ERR_FRAME_TOO_LONG, ERR_PERMISSION, ERR_INJECT, ...). */
  inject(frame: Uint8Array): void;
  close(): void;
}

/**
 * The largest IP datagram Linux sends on an interface of MTU `mtu` in a frame with these VLAN tags (outer first).
 * A packet socket takes the MTU plus the Ethernet header, plus one tag's 4 bytes only when the outer TPID is
 * 802.1Q's 0x8100 (net/packet/af_packet.c, packet_extra_vlan_len_allowed): untagged or with one C-tag that is the
 * MTU; under QinQ (outer 0x88a8) every tag's bytes come out of it.
 */
export function sendableIpLength(mtu: number, vlans: readonly { tpid?: number }[]): number {
  const allowance = vlans.length > 0 && (vlans[0]!.tpid ?? Tpid.Dot1Q) === Tpid.Dot1Q ? VLAN_TAG_LENGTH : 0;
  return mtu + allowance - VLAN_TAG_LENGTH * vlans.length;
}

/** sendableIpLength for a command's VLAN options: the size v3 reports are split to when sending on `iface`. */
export function interfaceIpRoom(iface: SendInterface, vlans: readonly VlanSpec[] = []): number {
  return sendableIpLength(iface.mtu, vlanTags(vlans));
}

/**
 * Refuse, before anything is sent, a frame whose IP datagram is bigger than the interface takes
 * (ERR_FRAME_TOO_LONG): its MTU, less what VLAN tags beyond the one 802.1Q tag Linux allows need (sendableIpLength).
 */
export function checkFramesFit(frames: readonly CraftedFrame[], iface: SendInterface): void {
  frames.forEach((f, i) => {
    const room = sendableIpLength(iface.mtu, f.vlans);
    if (f.ipLength > room) {
      const which = frames.length > 1 ? `frame ${i + 1}: ` : '';
      const tags = room === iface.mtu ? '' : ` less ${iface.mtu - room} bytes for its VLAN tags (${room})`;
      throw new SystemError('ERR_FRAME_TOO_LONG', `${which}an IP datagram of ${f.ipLength} bytes exceeds the MTU ${iface.mtu} of ${iface.name}${tags}`);
    }
  });
}

/**
 * Refuse an interface that is up but has no carrier (ERR_NO_CARRIER). Linux takes frames injected there and drops
 * them (counted as TX dropped; no tap, not even tcpdump on that interface, sees them), so reporting them as sent
 * would be untrue.
 */
export function checkCarrier(iface: SendInterface): void {
  if (!iface.running) {
    throw new SystemError('ERR_NO_CARRIER', `interface ${iface.name} is up but has no carrier (no link): frames sent there are dropped`);
  }
}

/** Open the interface for injection. ERR_PERMISSION names what is missing: root or CAP_NET_RAW. */
export function openSender(iface: SendInterface): Sender {
  let cap;
  try {
    cap = openInjector(iface.name);
  } catch (e) {
    if (e instanceof McastError && e.code === 'ERR_PERMISSION') {
      throw new SystemError('ERR_PERMISSION',
        `sending on ${iface.name} needs root or the CAP_NET_RAW capability (run as root, or: setcap cap_net_raw+ep "$(command -v node)")`);
    }
    throw e;
  }
  return {
    inject: (frame) => {
      cap.inject(frame);
    },
    close: () => cap.close(),
  };
}

export interface RunOptions {
  /** Rounds (each sends every frame once); at least 1. */
  count: number;
  /** Milliseconds between rounds. */
  intervalMs: number;
  sender: Sender | null;
  writer: CaptureWriter | null;
  /** Called for each frame as it goes out (round and index from 0). */
  onFrame?: (frame: CraftedFrame, round: number, index: number) => void;
  /** Aborting stops between frames; what was sent stays sent. */
  signal?: AbortSignal;
  /** Wall clock in ms (tests pass a fixed one). */
  now?: () => number;
}

export interface RunSummary {
  rounds: number;
  frames: number;
  bytes: number;
}

export async function runFrames(frames: readonly CraftedFrame[], opts: RunOptions): Promise<RunSummary> {
  const now = opts.now ?? Date.now;
  const start = now();
  const summary: RunSummary = { rounds: 0, frames: 0, bytes: 0 };
  for (let round = 0; round < opts.count; round++) {
    if (opts.signal?.aborted) break;
    if (round > 0 && opts.sender !== null && opts.intervalMs > 0) {
      try {
        await sleep(opts.intervalMs, undefined, { signal: opts.signal });
      } catch (e) {
        if ((e as Error).name === 'AbortError') break;
        throw e;
      }
    }
    const ms = opts.sender !== null ? now() : start + round * opts.intervalMs;
    for (const [i, f] of frames.entries()) {
      if (opts.signal?.aborted) return summary;
      opts.sender?.inject(f.bytes);
      opts.writer?.write(f.bytes, 0, f.bytes.length, f.bytes.length, Math.floor(ms / 1000), Math.floor(ms % 1000) * 1e6);
      opts.onFrame?.(f, round, i);
      summary.frames++;
      summary.bytes += f.bytes.length;
    }
    summary.rounds++;
  }
  return summary;
}
