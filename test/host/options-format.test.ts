import { describe, expect, it } from 'vitest';
import { McastError, UsageError } from '../../src/errors.js';
import { groupedHex, payloadText, isoTime, datagramJson, groupsTable } from '../../src/host/format.js';
import { parseGroupPort, parseHexBytes, parseIntOption, parseNumberOption, parseSource } from '../../src/host/options.js';
import type { Datagram } from '../../src/host/listener.js';
import { StreamStats } from '../../src/host/stats.js';
import { encodeProbe } from '../../src/host/probe.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(McastError);
    return (e as McastError).code;
  }
  return 'no error';
}

describe('argument checks', () => {
  it('GROUP[:PORT]', () => {
    expect(parseGroupPort('239.1.1.1:5000', 'x', null)).toEqual({ group: '239.1.1.1', port: 5000 });
    expect(parseGroupPort('239.1.1.1', 'x', 6000)).toEqual({ group: '239.1.1.1', port: 6000 });
    expect(code(() => parseGroupPort('239.1.1.1', 'x', null))).toBe('ERR_NO_PORT');
    expect(code(() => parseGroupPort('10.1.1.1:5000', 'x', null))).toBe('ERR_NOT_MULTICAST');
    expect(code(() => parseGroupPort('240.0.0.1:5000', 'x', null))).toBe('ERR_NOT_MULTICAST');
    expect(code(() => parseGroupPort('239.1.1:5000', 'x', null))).toBe('ERR_BAD_ADDRESS');
    expect(code(() => parseGroupPort('239.1.1.1:0', 'x', null))).toBe('ERR_BAD_PORT');
    expect(code(() => parseGroupPort('239.1.1.1:65536', 'x', null))).toBe('ERR_BAD_PORT');
    expect(code(() => parseGroupPort('239.1.1.1:', 'x', null))).toBe('ERR_BAD_PORT');
  });

  it('sources must be unicast', () => {
    expect(parseSource('10.0.0.1', 's')).toBe('10.0.0.1');
    expect(code(() => parseSource('239.1.1.1', 's'))).toBe('ERR_BAD_SOURCE');
    expect(code(() => parseSource('0.0.0.0', 's'))).toBe('ERR_BAD_SOURCE');
    expect(code(() => parseSource('255.255.255.255', 's'))).toBe('ERR_BAD_SOURCE');
    expect(code(() => parseSource('host', 's'))).toBe('ERR_BAD_ADDRESS');
  });

  it('numbers and hex', () => {
    expect(parseIntOption('255', 'ttl', 0, 255)).toBe(255);
    expect(code(() => parseIntOption('256', 'ttl', 0, 255))).toBe('ERR_BAD_NUMBER');
    expect(code(() => parseIntOption('1.5', 'ttl', 0, 255))).toBe('ERR_BAD_NUMBER');
    expect(parseNumberOption('0.5', 'd', 10)).toBe(0.5);
    expect(code(() => parseNumberOption('-1', 'd', 10))).toBe('ERR_BAD_NUMBER');
    expect(code(() => parseNumberOption('1e3', 'd', 10_000))).toBe('ERR_BAD_NUMBER');
    expect([...parseHexBytes('0x00 ff:10', 'h')]).toEqual([0, 255, 16]);
    expect(code(() => parseHexBytes('abc', 'h'))).toBe('ERR_BAD_HEX');
    expect(code(() => parseHexBytes('zz', 'h'))).toBe('ERR_BAD_HEX');
  });

  it('every refusal is a UsageError', () => {
    expect(() => parseGroupPort('x', 'x', null)).toThrow(UsageError);
  });
});

describe('payload display', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('printable text is quoted, control characters escaped', () => {
    expect(payloadText(enc('hello world'), 0, 11)).toBe('"hello world"');
    expect(payloadText(enc('a\tb\n'), 0, 4)).toBe('"a\\tb\\n"');
  });
  it('anything else is hex in groups of two bytes, cut at the limit', () => {
    const b = Uint8Array.from([0x00, 0xff, 0x10, 0x20, 0x30]);
    expect(payloadText(b, 0, 5)).toBe('00ff 1020 30');
    expect(groupedHex(b, 0, 5, 3)).toBe('00ff 10 ... (+2 bytes)');
    expect(payloadText(new Uint8Array(0), 0, 0)).toBe('');
  });
  it('timestamps keep microseconds', () => {
    expect(isoTime(1700000000123456)).toBe('2023-11-14T22:13:20.123456Z');
  });
  it('a probe datagram in JSON: header fields, then the payload after the header', () => {
    const payload = Buffer.alloc(30);
    payload.set(encodeProbe({ senderId: 0xabcdef01, sequence: 9, sendTimeUs: 1700000000000000 }), 0);
    payload.set(new TextEncoder().encode('hi'), 24);
    const d: Datagram = {
      group: '239.1.1.1', port: 5000, source: '10.0.0.1', sourcePort: 4000, size: 26, payload: payload.subarray(0, 26),
      arrivalUs: 1700000000000250, probe: true, senderId: 0xabcdef01, sequence: 9, sendTimeUs: 1700000000000000,
      headerLength: 24, stream: new StreamStats('', 0, '', 0, -1),
    };
    expect(JSON.parse(datagramJson(d))).toEqual({
      type: 'datagram', time: '2023-11-14T22:13:20.000250Z', timeUs: 1700000000000250, group: '239.1.1.1', port: 5000,
      source: '10.0.0.1', sourcePort: 4000, size: 26,
      probe: { senderId: 'abcdef01', sequence: 9, sendTimeUs: 1700000000000000, delayUs: 250 }, text: 'hi',
    });
  });
  it('groups table lines up columns', () => {
    const lines = groupsTable([{ name: 'eth0', index: 2, igmpVersion: 3, versionReason: 'default', forceIgmpVersion: 0, groups: [
      { group: '232.1.1.1', mac: '01:00:5e:01:01:01', users: 1, mode: 'INCLUDE', sources: ['10.0.0.1', '10.0.0.2'], reportPending: false },
    ] }]);
    expect(lines).toEqual([
      'IFACE  IGMP  GROUP      MODE     SOURCES            USERS  MAC',
      'eth0   v3    232.1.1.1  INCLUDE  10.0.0.1,10.0.0.2  1      01:00:5e:01:01:01',
    ]);
  });
});
