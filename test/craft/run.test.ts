/**
 * The send-side checks of src/craft/run.ts on made-up interfaces. test/craft/kernel.live.test.ts shows the kernel
 * behaviour behind each: a veth whose peer is down drops what is injected and no tap sees it; a packet socket takes
 * MTU + 14 bytes, + 4 only when the outer TPID is 0x8100 (a QinQ frame carrying a 1500-byte datagram on an MTU-1500
 * veth is refused with EMSGSIZE: "frame of 1522 bytes is too long for MTU 1500").
 */
import { describe, expect, it } from 'vitest';
import { craft } from '../../src/craft/craft.js';
import type { SendInterface } from '../../src/craft/iface.js';
import { checkCarrier, checkFramesFit, interfaceIpRoom, sendableIpLength } from '../../src/craft/run.js';
import { SystemError } from '../../src/errors.js';

const up: SendInterface = { name: 'veth0', mtu: 1500, mac: '02:00:00:00:00:01', ipv4: '10.0.0.1', running: true };

function code(fn: () => void): string | null {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SystemError);
    return (e as SystemError).code;
  }
  return null;
}

describe('send-side refusals', () => {
  it('an interface up without carrier is refused: the kernel would drop every frame (ERR_NO_CARRIER)', () => {
    expect(code(() => checkCarrier({ ...up, running: false }))).toBe('ERR_NO_CARRIER');
    expect(code(() => checkCarrier(up))).toBeNull();
  });

  it('a datagram over the MTU is refused, one under or at it is not (ERR_FRAME_TOO_LONG)', () => {
    const records = Array.from({ length: 20 }, (_, i) => ({ type: 'ALLOW_NEW_SOURCES' as const, typeCode: 5, group: `232.1.1.${i}`, sources: ['10.0.0.1'] }));
    // 24 (IP with Router Alert) + 8 + 20 x 12 = 272 bytes.
    const frames = craft({ igmp: { kind: 'v3-report', records }, split: false }).frames;
    expect(frames[0]!.ipLength).toBe(272);
    expect(code(() => checkFramesFit(frames, { ...up, mtu: 271 }))).toBe('ERR_FRAME_TOO_LONG');
    expect(code(() => checkFramesFit(frames, { ...up, mtu: 272 }))).toBeNull();
  });

  it('VLAN tags beyond one 802.1Q tag come out of the MTU, as Linux counts them', () => {
    expect(sendableIpLength(1500, [])).toBe(1500);
    expect(sendableIpLength(1500, [{ tpid: 0x8100 }])).toBe(1500);
    expect(sendableIpLength(1500, [{}])).toBe(1500); // default TPID 0x8100
    expect(sendableIpLength(1500, [{ tpid: 0x88a8 }])).toBe(1496);
    expect(sendableIpLength(1500, [{ tpid: 0x88a8 }, { tpid: 0x8100 }])).toBe(1492);
    expect(sendableIpLength(1500, [{ tpid: 0x8100 }, { tpid: 0x8100 }])).toBe(1496);
    // The CLI's --vlan twice: outer S-tag by position.
    expect(interfaceIpRoom(up, [{ vid: 10 }, { vid: 20 }])).toBe(1492);
    expect(interfaceIpRoom(up, [{ vid: 10 }])).toBe(1500);
  });

  it('a QinQ report filling the bare MTU is refused before sending; split to interfaceIpRoom it fits', () => {
    // One record of 365 sources: 24 + 8 + 8 + 1460 = 1500 bytes of IP.
    const sources = Array.from({ length: 366 }, (_, i) => `10.9.${i >> 8}.${i & 0xff}`);
    const records = [{ type: 'ALLOW_NEW_SOURCES' as const, typeCode: 5, group: '232.1.1.1', sources }];
    const vlans = [{ vid: 10 }, { vid: 20 }];
    const bare = craft({ igmp: { kind: 'v3-report', records }, eth: { vlans }, mtu: 1500 }).frames;
    expect(bare.map((f) => f.ipLength)).toEqual([1500, 44]);
    expect(code(() => checkFramesFit(bare, up))).toBe('ERR_FRAME_TOO_LONG');
    const fitted = craft({ igmp: { kind: 'v3-report', records }, eth: { vlans }, mtu: interfaceIpRoom(up, vlans) }).frames;
    expect(fitted.map((f) => f.ipLength)).toEqual([1492, 52]);
    expect(code(() => checkFramesFit(fitted, up))).toBeNull();
  });
});
