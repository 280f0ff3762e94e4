import { describe, expect, it } from 'vitest';
import { combineMemberships } from '../../src/host/groups.js';
import { lookupRoute, parseProcNetIgmp, parseProcNetMcfilter, parseProcNetRoute } from '../../src/host/procnet.js';
import { ipv4FromString } from '../../src/wire/addr.js';

// The texts below were printed by the kernel (Linux 6.18, x86_64, little-endian) in a test namespace with one veth
// "pb" (10.9.0.2/24), with `cat /proc/net/...` while node sockets held the joins named in each comment.

// Socket 1: IP_ADD_SOURCE_MEMBERSHIP 232.1.1.1 from 10.9.0.1; socket 2: the same group from 10.9.0.7.
const IGMP_SSM =
  'Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n' +
  '5\tpb        :     2      V3\n' +
  '\t\t\t\t010101E8     2 0:00000000\t\t0\n' +
  '\t\t\t\t010000E0     1 0:00000000\t\t0\n';
const MCF_SSM =
  'Idx Device        MCA        SRC    INC    EXC\n' +
  '  5     pb 0xe8010101 0x0a090001      1      0\n' +
  '  5     pb 0xe8010101 0x0a090007      1      0\n';

// Socket 1: 232.1.1.1 from 10.9.0.1; socket 2: 232.1.1.1 any-source; socket 3: 239.2.2.2 any-source.
const IGMP_MIXED =
  'Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n' +
  '5\tpb        :     3      V3\n' +
  '\t\t\t\t010101E8     2 0:00000000\t\t0\n' +
  '\t\t\t\t020202EF     1 0:00000000\t\t0\n' +
  '\t\t\t\t010000E0     1 0:00000000\t\t0\n';
const MCF_MIXED = 'Idx Device        MCA        SRC    INC    EXC\n' + '  5     pb 0xe8010101 0x0a090001      1      0\n';

// With net.ipv4.conf.pb.force_igmp_version=2 and only the kernel's own 224.0.0.1 join.
const IGMP_V2 = 'Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n5\tpb        :     1      V2\n\t\t\t\t010000E0     1 0:00000000\t\t0\n';

// ip route add default via 10.9.0.1; ip route add 198.51.100.0/24 via 10.9.0.1 metric 5;
// ip route add unreachable 203.0.113.0/24; ip route add 224.0.0.0/4 dev pb (trailing padding as the kernel prints it)
const ROUTE =
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n' +
  'pb\t00000000\t0100090A\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                                 \n' +
  'pb\t0000090A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                                 \n' +
  'pb\t006433C6\t0100090A\t0003\t0\t0\t5\t00FFFFFF\t0\t0\t0                                                                                 \n' +
  '*\t007100CB\t00000000\t0201\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                                  \n' +
  'pb\t000000E0\t00000000\t0001\t0\t0\t0\t000000F0\t0\t0\t0                                                                                 \n';

describe('/proc/net/igmp', () => {
  it('reads devices and groups, swapping the host-order hex', () => {
    expect(parseProcNetIgmp(IGMP_SSM, true)).toEqual([
      {
        index: 5,
        name: 'pb',
        count: 2,
        version: 3,
        groups: [
          { group: '232.1.1.1', users: 2, timerRunning: false, reporter: false },
          { group: '224.0.0.1', users: 1, timerRunning: false, reporter: false },
        ],
      },
    ]);
    expect(parseProcNetIgmp(IGMP_V2, true)[0]!.version).toBe(2);
  });

  it('reads a big-endian host without swapping', () => {
    const be = IGMP_V2.replace('010000E0', 'E0000001');
    expect(parseProcNetIgmp(be, false)[0]!.groups[0]!.group).toBe('224.0.0.1');
  });
});

describe('/proc/net/mcfilter', () => {
  it('reads sources in network order on any host', () => {
    expect(parseProcNetMcfilter(MCF_SSM)).toEqual([
      { index: 5, device: 'pb', group: '232.1.1.1', source: '10.9.0.1', include: 1, exclude: 0 },
      { index: 5, device: 'pb', group: '232.1.1.1', source: '10.9.0.7', include: 1, exclude: 0 },
    ]);
  });
});

describe('memberships (filter mode from the counts)', () => {
  const noForce = () => 0;

  it('two source-specific sockets: INCLUDE with both sources', () => {
    const [pb] = combineMemberships(parseProcNetIgmp(IGMP_SSM, true), parseProcNetMcfilter(MCF_SSM), noForce);
    expect(pb!.groups[0]).toEqual({ group: '232.1.1.1', mac: '01:00:5e:01:01:01', users: 2, mode: 'INCLUDE', sources: ['10.9.0.1', '10.9.0.7'], reportPending: false });
    // The kernel's own all-systems join is any-source: EXCLUDE {}.
    expect(pb!.groups[1]).toMatchObject({ group: '224.0.0.1', mode: 'EXCLUDE', sources: [] });
    expect([pb!.igmpVersion, pb!.versionReason]).toEqual([3, 'default']);
  });

  it('an any-source socket next to a source-specific one: EXCLUDE {} (RFC 3376 section 3.2 merge)', () => {
    const [pb] = combineMemberships(parseProcNetIgmp(IGMP_MIXED, true), parseProcNetMcfilter(MCF_MIXED), noForce);
    expect(pb!.groups.map((g) => [g.group, g.mode, g.sources])).toEqual([
      ['232.1.1.1', 'EXCLUDE', []],
      ['239.2.2.2', 'EXCLUDE', []],
      ['224.0.0.1', 'EXCLUDE', []],
    ]);
  });

  it('an exclude count makes EXCLUDE with the excluded sources', () => {
    const mcf = '  5     pb 0xef020202 0x0a090009      0      1\n';
    const [pb] = combineMemberships(parseProcNetIgmp(IGMP_MIXED, true), parseProcNetMcfilter(mcf), noForce);
    expect(pb!.groups[1]).toMatchObject({ group: '239.2.2.2', mode: 'EXCLUDE', sources: ['10.9.0.9'] });
  });

  it('says why the version is not 3', () => {
    expect(combineMemberships(parseProcNetIgmp(IGMP_V2, true), [], () => 2)[0]).toMatchObject({ igmpVersion: 2, versionReason: 'forced', forceIgmpVersion: 2 });
    expect(combineMemberships(parseProcNetIgmp(IGMP_V2, true), [], () => 0)[0]).toMatchObject({ igmpVersion: 2, versionReason: 'querier' });
  });
});

describe('/proc/net/route and the lookup', () => {
  const routes = parseProcNetRoute(ROUTE, true);
  const iface = (a: string) => lookupRoute(routes, ipv4FromString(a))?.iface ?? null;

  it('reads the entries', () => {
    expect(routes).toHaveLength(5);
    expect(routes[0]).toEqual({ iface: 'pb', destination: 0, gateway: ipv4FromString('10.9.0.1'), flags: 3, metric: 0, mask: 0 });
    expect(routes[4]).toMatchObject({ destination: ipv4FromString('224.0.0.0'), mask: ipv4FromString('240.0.0.0') });
  });

  it('takes the longest prefix, and a reject route means no route', () => {
    expect(lookupRoute(routes, ipv4FromString('239.1.1.1'))!.mask).toBe(ipv4FromString('240.0.0.0'));
    expect(lookupRoute(routes, ipv4FromString('198.51.100.7'))!.metric).toBe(5);
    expect(iface('8.8.8.8')).toBe('pb'); // default
    expect(iface('203.0.113.5')).toBeNull(); // unreachable
  });

  it('no default and no multicast route: nothing for a group', () => {
    const onlyLink = parseProcNetRoute(ROUTE.split('\n').filter((l, i) => i === 0 || l.includes('0000090A\t00000000')).join('\n'), true);
    expect(lookupRoute(onlyLink, ipv4FromString('239.1.1.1'))).toBeNull();
    expect(lookupRoute(onlyLink, ipv4FromString('10.9.0.77'))!.iface).toBe('pb');
  });
});
