/**
 * Classification against the IANA "IPv4 Multicast Address Space Registry" (registry XML as last updated 2024-07-09,
 * https://www.iana.org/assignments/multicast-addresses), RFC 2365 (scopes), RFC 3180 section 3.1 (GLOP example),
 * RFC 6676 (documentation addresses) and RFC 5771. The expected tables below are typed from those documents, not
 * generated from src/multicast/registry.ts.
 */
import { describe, expect, it } from 'vitest';
import { ipv4FromString as ip, ipv4ToString } from '../../src/wire/addr.js';
import { BLOCKS, classify, type BlockId, type GroupInfo, type ScopeId } from '../../src/multicast/index.js';

const c = (addr: string): GroupInfo => {
  const info = classify(ip(addr));
  if (info === null) throw new Error(`${addr} did not classify`);
  return info;
};

describe('IANA blocks', () => {
  it('cover 224.0.0.0/4 exactly, ascending, with no gap or overlap', () => {
    expect(BLOCKS[0]!.first).toBe(ip('224.0.0.0'));
    expect(BLOCKS[BLOCKS.length - 1]!.last).toBe(ip('239.255.255.255'));
    for (let i = 1; i < BLOCKS.length; i++) expect(BLOCKS[i]!.first).toBe(BLOCKS[i - 1]!.last + 1);
  });

  // Both ends of every range in the registry's top-level table.
  const ends: [string, BlockId][] = [
    ['224.0.0.0', 'local-network-control'],
    ['224.0.0.255', 'local-network-control'],
    ['224.0.1.0', 'internetwork-control'],
    ['224.0.1.255', 'internetwork-control'],
    ['224.0.2.0', 'ad-hoc-i'],
    ['224.0.255.255', 'ad-hoc-i'],
    ['224.1.0.0', 'reserved'],
    ['224.1.255.255', 'reserved'],
    ['224.2.0.0', 'sdp-sap'],
    ['224.2.255.255', 'sdp-sap'],
    ['224.3.0.0', 'ad-hoc-ii'],
    ['224.4.255.255', 'ad-hoc-ii'],
    ['224.5.0.0', 'reserved'],
    ['224.251.255.255', 'reserved'],
    ['224.252.0.0', 'dis-transient'],
    ['224.255.255.255', 'dis-transient'],
    ['225.0.0.0', 'reserved'],
    ['231.255.255.255', 'reserved'],
    ['232.0.0.0', 'ssm'],
    ['232.255.255.255', 'ssm'],
    ['233.0.0.0', 'glop'],
    ['233.251.255.255', 'glop'],
    ['233.252.0.0', 'ad-hoc-iii'],
    ['233.255.255.255', 'ad-hoc-iii'],
    ['234.0.0.0', 'unicast-prefix-based'],
    ['234.255.255.255', 'unicast-prefix-based'],
    ['235.0.0.0', 'reserved'],
    ['238.255.255.255', 'reserved'],
    ['239.0.0.0', 'admin-scoped'],
    ['239.255.255.255', 'admin-scoped'],
  ];
  it.each(ends)('%s is in %s', (addr, block) => {
    expect(c(addr).block.id).toBe(block);
  });

  it('not multicast: null', () => {
    for (const a of ['0.0.0.0', '10.0.0.1', '223.255.255.255', '240.0.0.0', '255.255.255.255']) expect(classify(ip(a))).toBeNull();
  });
});

describe('scopes (RFC 2365)', () => {
  const cases: [string, ScopeId][] = [
    ['224.0.0.0', 'link-local'],
    ['224.0.0.255', 'link-local'],
    ['224.0.1.0', 'global'],
    ['238.255.255.255', 'global'],
    ['232.1.1.1', 'global'],
    // 6.1: the IPv4 Local Scope, 239.255.0.0/16
    ['239.255.0.0', 'local'],
    ['239.255.255.255', 'local'],
    // 6.2: the IPv4 Organization Local Scope, 239.192.0.0/14 = 239.192.0.0-239.195.255.255
    ['239.192.0.0', 'organization-local'],
    ['239.195.255.255', 'organization-local'],
    // The rest of 239/8: administratively scoped, boundaries per site.
    ['239.191.255.255', 'admin-scoped'],
    ['239.196.0.0', 'admin-scoped'],
    ['239.254.255.255', 'admin-scoped'],
    ['239.0.0.0', 'admin-scoped'],
    ['239.1.1.1', 'admin-scoped'],
  ];
  it.each(cases)('%s: %s', (addr, scope) => {
    expect(c(addr).scope.id).toBe(scope);
  });

  it('pairs the IPv4 Local Scope with IPv6 site-local, as RFC 2365 does', () => {
    expect(c('239.255.1.1').scope.ipv6).toBe('site-local');
    expect(c('239.192.1.1').scope.ipv6).toBe('organization-local');
    expect(c('224.0.0.5').scope.ipv6).toBe('link-local');
    expect(c('233.1.1.1').scope.ipv6).toBe('global');
    expect(c('239.1.1.1').scope.ipv6).toBeNull();
  });
});

describe('registered names (IANA registry descriptions)', () => {
  const names: [string, string][] = [
    ['224.0.0.0', 'Base Address (Reserved)'],
    ['224.0.0.1', 'All Systems on this Subnet'],
    ['224.0.0.2', 'All Routers on this Subnet'],
    ['224.0.0.4', 'DVMRP Routers'],
    ['224.0.0.5', 'OSPFIGP All Routers'],
    ['224.0.0.6', 'OSPFIGP Designated Routers'],
    ['224.0.0.9', 'RIP2 Routers'],
    ['224.0.0.10', 'EIGRP Routers'],
    ['224.0.0.13', 'All PIM Routers'],
    ['224.0.0.18', 'VRRP'],
    ['224.0.0.22', 'IGMP'],
    ['224.0.0.40', 'zeroconfaddr'],
    ['224.0.0.102', 'HSRP'],
    ['224.0.0.106', 'All-Snoopers'],
    ['224.0.0.107', 'PTP-pdelay'],
    ['224.0.0.251', 'mDNS'],
    ['224.0.0.252', 'Link-local Multicast Name Resolution'],
    ['224.0.1.1', 'NTP Network Time Protocol'],
    ['224.0.1.39', 'cisco-rp-announce'],
    ['224.0.1.40', 'cisco-rp-discovery'],
    ['224.0.1.129', 'PTP-primary'],
    ['224.0.1.130', 'PTP-alternate1'],
    ['224.0.1.131', 'PTP-alternate2'],
    ['224.0.1.132', 'PTP-alternate3'],
    ['224.2.127.254', 'SAPv1 Announcements'],
    ['224.2.200.1', 'SAP Dynamic Assignments'],
    ['233.252.0.7', 'MCAST-TEST-NET'],
    // Relative addresses (registry "Relative Addresses used with Scoped Multicast Addresses"), counted down from
    // the top of the scope: SSDP is offset 5, SLPv2 Discovery offset 2.
    ['239.255.255.250', 'SSDP'],
    ['239.255.255.253', 'SLPv2 Discovery'],
    ['239.255.255.255', 'SAP Session Announcement Protocol'],
  ];
  it.each(names)('%s: %s', (addr, name) => {
    expect(c(addr).name).toContain(name);
    expect(c(addr).nameRef).not.toBeNull();
  });

  it('unassigned addresses have no name', () => {
    for (const a of ['224.0.0.3', '224.0.0.200', '239.1.1.1', '232.1.1.1', '239.255.1.1']) expect(c(a).name).toBeNull();
  });
});

describe('relative addresses', () => {
  it('count down from the top of the Local and Organization Local scopes', () => {
    expect(c('239.255.255.250').relative).toEqual({ offset: 5, scope: 'local', name: 'SSDP' });
    expect(c('239.195.255.250').relative).toEqual({ offset: 5, scope: 'organization-local', name: 'SSDP' });
    expect(c('239.195.255.250').name).toBe('SSDP');
    // Offset 255 is unassigned; 256 below the top is outside the relative range.
    expect(c('239.255.255.0').relative).toEqual({ offset: 255, scope: 'local', name: null });
    expect(c('239.255.254.255').relative).toBeNull();
    // Not inside a named scope: no relative address.
    expect(c('239.254.255.250').relative).toBeNull();
    expect(c('224.0.0.250').relative).toBeNull();
  });
});

describe('GLOP (RFC 3180)', () => {
  it('section 3.1: AS 5662 owns 233.22.30/24', () => {
    expect(c('233.22.30.0').glopAs).toBe(5662);
    expect(c('233.22.30.255').glopAs).toBe(5662);
  });
  it('ends at AS 64511; 233.252/14 is AD-HOC Block III (RFC 5771 section 9.2)', () => {
    expect(c('233.0.0.1').glopAs).toBe(0);
    expect(c('233.251.255.1').glopAs).toBe(64511);
    expect(c('233.252.0.1').glopAs).toBeNull();
    expect(c('239.22.30.1').glopAs).toBeNull();
  });
});

describe('Unicast-prefix-based (RFC 6034)', () => {
  // RFC 6676 derives documentation multicast addresses from the RFC 5737 TEST-NETs this way.
  it.each([
    ['234.192.0.2', '192.0.2.0'],
    ['234.198.51.100', '198.51.100.0'],
    ['234.203.0.113', '203.0.113.0'],
  ])('%s embeds %s/24', (addr, prefix) => {
    expect(ipv4ToString(c(addr).unicastPrefix!)).toBe(prefix);
  });
  it('only in 234/8', () => {
    expect(c('235.192.0.2').unicastPrefix).toBeNull();
  });
});

describe('flags', () => {
  it('linkLocal is exactly 224.0.0.0/24', () => {
    expect(c('224.0.0.0').linkLocal).toBe(true);
    expect(c('224.0.0.255').linkLocal).toBe(true);
    expect(c('224.0.1.0').linkLocal).toBe(false);
    expect(c('224.128.0.1').linkLocal).toBe(false);
  });
  it('ssm is exactly 232/8 (RFC 4607)', () => {
    expect(c('232.0.0.0').ssm).toBe(true);
    expect(c('232.255.255.255').ssm).toBe(true);
    expect(c('231.255.255.255').ssm).toBe(false);
    expect(c('233.0.0.0').ssm).toBe(false);
  });
  it('igmpReported: not for 224.0.0.1 (RFC 3376 section 5) nor 224.0.0.0; yes for other link-local groups', () => {
    expect(c('224.0.0.1').igmpReported).toBe(false);
    expect(c('224.0.0.0').igmpReported).toBe(false);
    expect(c('224.0.0.251').igmpReported).toBe(true);
    expect(c('224.0.0.22').igmpReported).toBe(true);
    expect(c('239.1.1.1').igmpReported).toBe(true);
  });
  it('macOverlapsLinkLocal: x.0.0.y and x.128.0.y outside 224.0.0.0/24', () => {
    expect(c('239.0.0.5').macOverlapsLinkLocal).toBe(true);
    expect(c('224.128.0.251').macOverlapsLinkLocal).toBe(true);
    expect(c('225.0.0.1').macOverlapsLinkLocal).toBe(true);
    expect(c('224.0.0.5').macOverlapsLinkLocal).toBe(false);
    expect(c('239.0.1.5').macOverlapsLinkLocal).toBe(false);
    expect(c('239.1.0.5').macOverlapsLinkLocal).toBe(false);
  });
});
