import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ipv4FromString as ip, ipv4ToString, parseMac } from '../../src/wire/addr.js';
import {
  findCollisions,
  groupMacLow23,
  groupToMac,
  groupsOfLow23,
  groupsSharingMac,
  ipv4McastMacLow23,
  isMulticast,
  macMatchesGroup,
  macToGroups,
  parseMacText,
  writeGroupMac,
} from '../../src/multicast/index.js';

/**
 * An independent reference for RFC 1112 section 6.4, written from the RFC's words rather than with bit masks:
 * "placing the low-order 23-bits of the IP address into the low-order 23 bits of the Ethernet multicast address
 * 01-00-5E-00-00-00". Works on binary strings, so it shares no arithmetic with the implementation.
 */
function referenceMac(group: number): string {
  const ipBits = group.toString(2).padStart(32, '0');
  const macBits = '000000010000000001011110' + '0' + ipBits.slice(32 - 23);
  const bytes: string[] = [];
  for (let i = 0; i < 48; i += 8) bytes.push(parseInt(macBits.slice(i, i + 8), 2).toString(16).padStart(2, '0'));
  return bytes.join(':');
}

const anyGroup = fc.integer({ min: 0xe0000000, max: 0xefffffff });

describe('groupToMac (RFC 1112 section 6.4)', () => {
  // Byte vectors worked out by hand from the RFC 1112 section 6.4 rule: 01:00:5e, then a 0 bit, then the group's
  // low 23 bits (second octet & 0x7f, third octet, fourth octet).
  it.each([
    ['224.0.0.1', '01:00:5e:00:00:01'], // e0.00.00.01
    ['224.0.0.251', '01:00:5e:00:00:fb'], // e0.00.00.fb
    ['239.255.255.250', '01:00:5e:7f:ff:fa'], // ef.ff.ff.fa: 0xff & 0x7f = 0x7f
    ['224.128.0.1', '01:00:5e:00:00:01'], // e0.80.00.01: bit 23 (0x80 of octet 2) is lost
    ['233.22.30.5', '01:00:5e:16:1e:05'], // e9.16.1e.05
    ['230.200.100.50', '01:00:5e:48:64:32'], // e6.c8.64.32: 0xc8 & 0x7f = 0x48
    ['239.1.1.1', '01:00:5e:01:01:01'],
  ])('%s -> %s', (group, mac) => {
    expect(groupToMac(ip(group))).toBe(mac);
    expect(referenceMac(ip(group))).toBe(mac);
  });

  it('agrees with the RFC-text reference for any group', () => {
    fc.assert(fc.property(anyGroup, (g) => groupToMac(g) === referenceMac(g)), { numRuns: 5000 });
  });

  it('accepts the signed 32-bit form bit arithmetic yields', () => {
    expect(groupToMac(ip('239.1.2.3') | 0)).toBe('01:00:5e:01:02:03');
  });

  it('rejects what is not a multicast group', () => {
    for (const bad of [ip('10.0.0.1'), ip('223.255.255.255'), ip('240.0.0.0'), -1, 2 ** 32 + 0xe0000001, 1.5, NaN]) {
      expect(() => groupToMac(bad)).toThrow(RangeError);
    }
  });
});

describe('isMulticast', () => {
  it('is exactly 224.0.0.0/4', () => {
    expect(isMulticast(ip('224.0.0.0'))).toBe(true);
    expect(isMulticast(ip('239.255.255.255'))).toBe(true);
    expect(isMulticast(ip('223.255.255.255'))).toBe(false);
    expect(isMulticast(ip('240.0.0.0'))).toBe(false);
    expect(isMulticast(0)).toBe(false);
    expect(isMulticast(0xffffffff)).toBe(false);
    expect(isMulticast(0xe0000001 + 2 ** 32)).toBe(false);
  });
  it('takes dotted quads too', () => {
    expect(isMulticast('239.1.1.1')).toBe(true);
    expect(isMulticast('192.168.1.1')).toBe(false);
    expect(isMulticast('239.1.1.256')).toBe(false);
    expect(isMulticast('239.1.1')).toBe(false);
    expect(isMulticast('')).toBe(false);
  });
});

describe('macToGroups', () => {
  it('01:00:5e:7f:00:01 carries the 32 groups 224-239.{127,255}.0.1, ascending', () => {
    const groups = macToGroups('01:00:5e:7f:00:01');
    expect(groups).toHaveLength(32);
    // First, second and last worked out by hand: octet 2 is 0x7f with bit 23 clear (127) or set (255).
    expect(ipv4ToString(groups[0]!)).toBe('224.127.0.1');
    expect(ipv4ToString(groups[1]!)).toBe('224.255.0.1');
    expect(ipv4ToString(groups[31]!)).toBe('239.255.0.1');
    expect([...groups].sort((a, b) => a - b)).toEqual(groups);
    expect(new Set(groups).size).toBe(32);
    for (const g of groups) expect(referenceMac(g)).toBe('01:00:5e:7f:00:01');
  });

  it('every group is among the groups of its own MAC, and all 32 map back to it', () => {
    fc.assert(
      fc.property(anyGroup, (g) => {
        const mac = groupToMac(g);
        const groups = macToGroups(mac);
        return groups.length === 32 && groups.includes(g) && groups.every((x) => referenceMac(x) === mac);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes bytes at an offset, and the dash, Cisco and bare forms', () => {
    const buf = new Uint8Array(10).fill(0xa5);
    buf.set(parseMac('01:00:5e:00:00:fb')!, 3);
    const expected = macToGroups('01:00:5e:00:00:fb');
    expect(macToGroups(buf, 3)).toEqual(expected);
    expect(macToGroups('01-00-5E-00-00-FB')).toEqual(expected);
    expect(macToGroups('0100.5e00.00fb')).toEqual(expected);
    expect(macToGroups('01005e0000fb')).toEqual(expected);
    expect(expected.map(ipv4ToString)).toContain('224.0.0.251');
  });

  it('has no groups for MACs outside 01:00:5e:00:00:00-01:00:5e:7f:ff:ff', () => {
    // RFC 1112 section 6.4 fills only the low 23 bits: the bit after 01:00:5e is always 0 for IPv4.
    for (const mac of ['01:00:5e:80:00:00', '01:00:5e:ff:ff:ff', '33:33:00:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:5e:00:00:01', '01:00:5f:00:00:01']) {
      expect(macToGroups(mac)).toEqual([]);
    }
    expect(macToGroups(new Uint8Array(4), 0)).toEqual([]); // too short
  });

  it('throws on text that is not a MAC', () => {
    expect(() => macToGroups('01:00:5e:00:00')).toThrow(RangeError);
    expect(() => macToGroups('hello')).toThrow(RangeError);
  });
});

describe('per-frame helpers', () => {
  it('macMatchesGroup agrees with groupToMac for matching and mismatching bytes', () => {
    const buf = new Uint8Array(20).fill(0xa5);
    fc.assert(
      fc.property(anyGroup, anyGroup, fc.integer({ min: 0, max: 14 }), (g, other, off) => {
        buf.fill(0xa5);
        buf.set(parseMac(groupToMac(g))!, off);
        const self = macMatchesGroup(buf, off, g);
        const cross = macMatchesGroup(buf, off, other) === (groupMacLow23(g) === groupMacLow23(other));
        return self && cross;
      }),
      { numRuns: 2000 },
    );
  });

  it('macMatchesGroup rejects a MAC with the bit after 01:00:5e set, or a short buffer', () => {
    const g = ip('239.129.1.1'); // low 23 bits 0x010101; a MAC 01:00:5e:81:01:01 is not its mapping
    expect(macMatchesGroup(parseMac('01:00:5e:81:01:01')!, 0, g)).toBe(false);
    expect(macMatchesGroup(parseMac('01:00:5e:01:01:01')!, 0, g)).toBe(true);
    expect(macMatchesGroup(parseMac('01:00:5e:01:01:01')!.subarray(0, 5), 0, g)).toBe(false);
    expect(macMatchesGroup(new Uint8Array(6), 4, g)).toBe(false);
  });

  it('ipv4McastMacLow23 reads the carried bits, or -1', () => {
    expect(ipv4McastMacLow23(parseMac('01:00:5e:7f:ff:fa')!, 0)).toBe(0x7ffffa);
    expect(ipv4McastMacLow23(parseMac('01:00:5e:80:00:01')!, 0)).toBe(-1);
    expect(ipv4McastMacLow23(parseMac('33:33:00:00:00:01')!, 0)).toBe(-1);
    expect(ipv4McastMacLow23(new Uint8Array([1, 0, 0x5e, 0]), 0)).toBe(-1);
  });

  it('writeGroupMac writes exactly 6 bytes at the offset', () => {
    const buf = new Uint8Array(16).fill(0xa5);
    writeGroupMac(buf, 10, ip('239.255.255.250'));
    expect([...buf]).toEqual([...new Array(10).fill(0xa5), 0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa]);
  });

  it('groupsSharingMac is the other 31', () => {
    const g = ip('239.1.1.1');
    const others = groupsSharingMac(g);
    expect(others).toHaveLength(31);
    expect(others).not.toContain(g);
    expect([...others, g].sort((a, b) => a - b)).toEqual(groupsOfLow23(0x010101));
  });
});

describe('parseMacText', () => {
  it('reads the common forms and nothing else', () => {
    const want = [0x01, 0x00, 0x5e, 0x7f, 0x00, 0x01];
    for (const t of ['01:00:5e:7f:00:01', '01-00-5e-7f-00-01', '0100.5e7f.0001', '01005E7F0001']) {
      expect([...parseMacText(t)!]).toEqual(want);
    }
    for (const t of ['01:00:5e:7f:00', '0100.5e7f.00011', '01005e7f000', 'zz:00:5e:7f:00:01', '']) {
      expect(parseMacText(t)).toBeNull();
    }
  });
});

describe('findCollisions', () => {
  it('groups that share a MAC, deduplicated, unicast ignored, sorted by MAC', () => {
    const list = ['239.1.1.2', '239.129.1.1', '224.1.1.1', '10.0.0.1', '239.1.1.1', '239.1.1.1', '224.0.0.2', '239.128.0.2'].map(ip);
    const got = findCollisions(list);
    expect(got.map((c) => ({ mac: c.mac, groups: c.groups.map(ipv4ToString) }))).toEqual([
      // 224.0.0.2 and 239.128.0.2: low 23 bits 0x000002 (239.128 loses its bit 23).
      { mac: '01:00:5e:00:00:02', groups: ['224.0.0.2', '239.128.0.2'] },
      { mac: '01:00:5e:01:01:01', groups: ['224.1.1.1', '239.1.1.1', '239.129.1.1'] },
    ]);
  });

  it('finds nothing in a clean plan, and every collision found is real', () => {
    expect(findCollisions(['239.1.1.1', '239.1.1.2', '239.1.2.1'].map(ip))).toEqual([]);
    fc.assert(
      fc.property(fc.array(anyGroup, { maxLength: 60 }), (groups) => {
        const cols = findCollisions(groups);
        const covered = cols.flatMap((c) => c.groups);
        // Each collision: >= 2 distinct groups, all with the collision's MAC; no group in two collisions.
        const ok = cols.every((c) => c.groups.length >= 2 && c.groups.every((g) => referenceMac(g) === c.mac));
        // Complete: any two distinct input groups with the same MAC are reported.
        const distinct = [...new Set(groups)];
        const complete = distinct.every((g) => {
          const mates = distinct.filter((h) => h !== g && referenceMac(h) === referenceMac(g));
          return mates.length === 0 || covered.includes(g);
        });
        return ok && complete && new Set(covered).size === covered.length;
      }),
      { numRuns: 300 },
    );
  });
});
