#!/usr/bin/env node
/**
 * Deterministic benchmark corpus: a classic pcap (microsecond, little-endian, LINKTYPE_ETHERNET) of a busy
 * multicast LAN, streamed to disk through one reused buffer so any size can be made in flat memory.
 *
 *   node bench/gen-corpus.mjs OUT.pcap NFRAMES [--seed N]
 *
 * Writes OUT.pcap, OUT.truth.txt (the expected counts, one per line, sorted, in the line format of the shared
 * libpcap yardstick: `frames N`, `igmp_msgs TYPE N`, `igmp TYPE GROUP N`, `udp GROUP PORT PACKETS BYTES`),
 * OUT.detail.txt (finer counts the yardstick does not make: `igmp_version TYPE VERSION GROUP N` and
 * `v3_record RECTYPE GROUP N`) and OUT.meta.json (seed, frames, bytes; lets bench/run.mjs reuse a corpus).
 *
 * Mix, one independent draw per frame:
 *   85% UDP to a multicast group: 220 groups (150 in 239/8, 70 in SSM 232/8), 1-3 ports each, one sender each,
 *       Zipf-like popularity (weight 1/rank^0.9), payload 100-1300 bytes, TTL 1-64, DF set or not.
 *   10% IGMP: v1 query/report; v2 general and group-specific query, report, leave; v3 general, group-specific and
 *       group-and-source-specific query (Max Resp Code and QQIC in both the linear and the exponential range);
 *       v3 report with 1-4 records of all six types, 0-8 sources, occasionally one word of auxiliary data.
 *       TTL 1; Router Alert option on v2/v3; TOS 0xc0 on v2/v3; padded to the 60-byte Ethernet minimum.
 *   5%  other: unicast TCP, unicast and broadcast UDP, ARP request/reply, IPv6 (UDP to ff05::/16 and unicast TCP).
 *   10% of all frames carry VLAN tags: one 802.1Q tag, or (one in ten of those) an 802.1ad + 802.1Q pair.
 * Every IPv4/IPv6, UDP, TCP and IGMP checksum is valid; no fragments; captured length = wire length.
 * The stream of frames does not depend on NFRAMES: a shorter corpus is a prefix of a longer one with the same seed.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const GENERATOR_ID = 'mcastkit-gen-corpus/1';
export const DEFAULT_SEED = 20240601;

/** xoshiro128** (Blackman and Vigna), 32-bit state words, seeded through splitmix32. */
class Rng {
  constructor(seed) {
    let x = seed >>> 0;
    const split = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
  }
  u32() {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }
  /** Uniform in [0, 1). */
  float() {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo, hi) {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  pick(arr) {
    return arr[Math.floor(this.float() * arr.length)];
  }
}
const rotl = (v, k) => (v << k) | (v >>> (32 - k));

const ip = (a, b, c, d) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const ipStr = (v) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
const fold = (s) => {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
};
/** Sum of big-endian 16-bit words of buf[start, end), an odd last byte padded with zero (RFC 1071). */
function sum16(buf, start, end) {
  let s = 0;
  let i = start;
  for (; i + 1 < end; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (i < end) s += buf[i] << 8;
  return s;
}
const ipSum = (v) => (v >>> 16) + (v & 0xffff);

const ETH_IPV4 = 0x0800;
const ETH_ARP = 0x0806;
const ETH_IPV6 = 0x86dd;
const TPID_8021Q = 0x8100;
const TPID_8021AD = 0x88a8;
const PROTO_IGMP = 2;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const ALL_SYSTEMS = ip(224, 0, 0, 1);
const ALL_ROUTERS = ip(224, 0, 0, 2);
const IGMPV3_ROUTERS = ip(224, 0, 0, 22);
const MIN_FRAME = 60;
const POOL_BYTES = 65536;
const MAX_PAYLOAD = 1300;
const OUT_BUF = 8 << 20;
/** Largest frame the generator makes is ~1.4 KB; flush when less than this is left. */
const FLUSH_MARGIN = 4096;

export class CorpusGenerator {
  constructor(seed = DEFAULT_SEED) {
    const rng = (this.rng = new Rng(seed));
    // Payload pool: payloads are slices at even offsets, so their 16-bit word sums come from a prefix-sum table.
    this.pool = Buffer.alloc(POOL_BYTES);
    for (let i = 0; i < POOL_BYTES; i += 4) this.pool.writeUInt32BE(rng.u32(), i);
    this.prefix = new Float64Array(POOL_BYTES / 2 + 1);
    for (let w = 0; w < POOL_BYTES / 2; w++) this.prefix[w + 1] = this.prefix[w] + this.pool.readUInt16BE(w * 2);

    const seen = new Set();
    const groups = [];
    const addGroups = (first, n) => {
      while (n > 0) {
        const g = ip(first, rng.int(0, 255), rng.int(0, 255), rng.int(1, 254));
        if (seen.has(g)) continue;
        seen.add(g);
        groups.push(g);
        n--;
      }
    };
    addGroups(239, 150);
    addGroups(232, 70);
    // Shuffle so popularity rank is independent of the address range.
    for (let i = groups.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [groups[i], groups[j]] = [groups[j], groups[i]];
    }
    this.groups = groups;
    // Streams: (group, port) pairs, counted by index; each group has one sender (address, source port).
    this.streamGroup = [];
    this.streamPort = [];
    this.groupStreams = groups.map((g) => {
      const ports = new Set();
      const n = rng.int(1, 3);
      while (ports.size < n) ports.add(rng.int(1024, 65535));
      return [...ports].map((p) => {
        this.streamGroup.push(g);
        this.streamPort.push(p);
        return this.streamGroup.length - 1;
      });
    });
    this.groupSender = groups.map(() => ({ addr: ip(10, 20, rng.int(0, 255), rng.int(1, 254)), port: rng.int(1024, 65535) }));
    this.streamPackets = new Float64Array(this.streamGroup.length);
    this.streamBytes = new Float64Array(this.streamGroup.length);
    // Zipf-like popularity: a 64 Ki-entry lookup table from a 16-bit draw to a group index.
    const w = groups.map((_, i) => 1 / Math.pow(i + 1, 0.9));
    const total = w.reduce((a, b) => a + b, 0);
    this.popular = new Uint16Array(65536);
    let acc = 0;
    let k = 0;
    for (let i = 0; i < groups.length; i++) {
      acc += w[i] / total;
      const upto = i === groups.length - 1 ? 65536 : Math.min(65536, Math.round(acc * 65536));
      for (; k < upto; k++) this.popular[k] = i;
    }
    // Groups named in IGMP besides the data groups (link-local and well-known ones hosts really join).
    this.extraGroups = [ip(224, 0, 0, 251), ip(224, 0, 0, 252), ip(239, 255, 255, 250), ip(224, 0, 1, 129), ip(233, 252, 0, 1)];
    this.hosts = Array.from({ length: 64 }, () => ip(10, 1, rng.int(0, 255), rng.int(1, 254)));
    this.queriers = [ip(10, 1, 0, 1), ip(10, 1, 0, 2)];
    this.vlanIds = [10, 20, 100, 200, 4094];
    this.ipId = 0;
    this.tsUs = 1_700_000_000 * 1_000_000;

    // Truth.
    this.frames = 0;
    this.bytes = 24;
    this.igmpMsgs = new Float64Array(256);
    this.igmpCounts = new Map(); // type * 2^32 + group -> n
    this.igmpVersion = new Map(); // (type * 4 + version) * 2^32 + group -> n
    this.v3Records = new Map(); // recordType * 2^32 + group -> n
  }

  pickGroupIndex() {
    return this.popular[this.rng.u32() >>> 16];
  }
  igmpGroup() {
    const rng = this.rng;
    return rng.float() < 0.85 ? this.groups[this.pickGroupIndex()] : rng.pick(this.extraGroups);
  }

  /** Writes one frame (record header included) at `pos`; returns the new position. */
  frame(buf, pos) {
    const rng = this.rng;
    const kind = rng.float();
    const tag = rng.float();
    const rec = pos;
    let p = pos + 16;
    let end;
    if (kind < 0.85) {
      end = this.udpMulticast(buf, p, tag);
    } else if (kind < 0.95) {
      end = this.igmp(buf, p, tag);
    } else {
      end = this.other(buf, p, tag);
    }
    if (end - p < MIN_FRAME) {
      buf.fill(0, end, p + MIN_FRAME);
      end = p + MIN_FRAME;
    }
    const len = end - p;
    this.tsUs += rng.int(1, 100);
    buf.writeUInt32LE(Math.floor(this.tsUs / 1e6), rec);
    buf.writeUInt32LE(this.tsUs % 1e6, rec + 4);
    buf.writeUInt32LE(len, rec + 8);
    buf.writeUInt32LE(len, rec + 12);
    this.frames++;
    this.bytes += 16 + len;
    return end;
  }

  /** Ethernet header (with tags when `tag` < 0.1); returns the offset of the payload. */
  ether(buf, p, dstHi, dstLo, srcIp, type, tag) {
    // Destination MAC as 16 + 32 bits; source MAC locally administered, 02:00 followed by the host's address.
    buf.writeUInt16BE(dstHi, p);
    buf.writeUInt32BE(dstLo, p + 2);
    buf.writeUInt16BE(0x0200, p + 6);
    buf.writeUInt32BE(srcIp, p + 8);
    p += 12;
    if (tag < 0.1) {
      const rng = this.rng;
      if (tag < 0.01) {
        buf.writeUInt16BE(TPID_8021AD, p);
        buf.writeUInt16BE(rng.pick(this.vlanIds), p + 2);
        p += 4;
      }
      buf.writeUInt16BE(TPID_8021Q, p);
      buf.writeUInt16BE((rng.int(0, 7) << 13) | rng.pick(this.vlanIds), p + 2);
      p += 4;
    }
    buf.writeUInt16BE(type, p);
    return p + 2;
  }
  etherMulticast(buf, p, group, srcIp, type, tag) {
    // RFC 1112 section 6.4: 01:00:5e followed by the low 23 bits of the group.
    return this.ether(buf, p, 0x0100, (0x5e000000 | (group & 0x7fffff)) >>> 0, srcIp, type, tag);
  }

  /** IPv4 header (20 bytes, or 24 with Router Alert); returns its length. */
  ipv4(buf, p, src, dst, proto, payloadLen, ttl, tos, routerAlert, df) {
    const hl = routerAlert ? 24 : 20;
    this.ipId = (this.ipId + 1) & 0xffff;
    buf[p] = 0x40 | (hl >> 2);
    buf[p + 1] = tos;
    buf.writeUInt16BE(hl + payloadLen, p + 2);
    buf.writeUInt16BE(this.ipId, p + 4);
    buf.writeUInt16BE(df ? 0x4000 : 0, p + 6);
    buf[p + 8] = ttl;
    buf[p + 9] = proto;
    buf.writeUInt16BE(0, p + 10);
    buf.writeUInt32BE(src, p + 12);
    buf.writeUInt32BE(dst, p + 16);
    if (routerAlert) buf.writeUInt32BE(0x94040000, p + 20); // RFC 2113: type 148, length 4, value 0
    buf.writeUInt16BE(~fold(sum16(buf, p, p + hl)) & 0xffff, p + 10);
    return hl;
  }

  udpMulticast(buf, p, tag) {
    const rng = this.rng;
    const gi = this.pickGroupIndex();
    const streams = this.groupStreams[gi];
    const si = streams.length === 1 ? streams[0] : rng.pick(streams);
    const group = this.streamGroup[si];
    const dport = this.streamPort[si];
    const sender = this.groupSender[gi];
    const plen = rng.int(100, MAX_PAYLOAD);
    const off = rng.int(0, (POOL_BYTES - MAX_PAYLOAD) / 2 - 1) * 2;
    const ulen = 8 + plen;
    p = this.etherMulticast(buf, p, group, sender.addr, ETH_IPV4, tag);
    p += this.ipv4(buf, p, sender.addr, group, PROTO_UDP, ulen, rng.pick([1, 8, 16, 32, 64]), 0, false, rng.float() < 0.5);
    // UDP checksum: pseudo-header + header + payload (RFC 768); payload words from the prefix sums.
    let s = this.prefix[(off >> 1) + (plen >> 1)] - this.prefix[off >> 1];
    if (plen & 1) s += this.pool[off + plen - 1] << 8;
    s += ipSum(sender.addr) + ipSum(group) + PROTO_UDP + ulen + sender.port + dport + ulen;
    const c = ~fold(s) & 0xffff;
    buf.writeUInt16BE(sender.port, p);
    buf.writeUInt16BE(dport, p + 2);
    buf.writeUInt16BE(ulen, p + 4);
    buf.writeUInt16BE(c === 0 ? 0xffff : c, p + 6);
    this.pool.copy(buf, p + 8, off, off + plen);
    this.streamPackets[si]++;
    this.streamBytes[si] += plen;
    return p + ulen;
  }

  countIgmp(type, version, group) {
    const k = type * 4294967296 + group;
    this.igmpCounts.set(k, (this.igmpCounts.get(k) ?? 0) + 1);
    const kv = (type * 4 + version) * 4294967296 + group;
    this.igmpVersion.set(kv, (this.igmpVersion.get(kv) ?? 0) + 1);
  }

  igmp(buf, frameStart, tag) {
    const rng = this.rng;
    const r = rng.float() * 100;
    let type;
    let version;
    let src = rng.pick(this.hosts);
    let dst;
    // The message is built at a scratch offset past any possible header, then the headers are put in front of it.
    const m = frameStart + 64;
    let len = 8;
    let group = 0;
    if (r < 2) {
      // v1 query (RFC 1112): code 0, group 0.
      type = 0x11;
      version = 1;
      src = rng.pick(this.queriers);
      dst = ALL_SYSTEMS;
      buf.writeUInt32BE(0x11000000, m);
      buf.writeUInt32BE(0, m + 4);
    } else if (r < 5) {
      type = 0x12;
      version = 1;
      group = this.igmpGroup();
      dst = group;
      buf.writeUInt32BE(0x12000000, m);
      buf.writeUInt32BE(group, m + 4);
    } else if (r < 13) {
      // v2 query: general (5 in 8) or group-specific; Max Resp Time in tenths of a second.
      type = 0x11;
      version = 2;
      src = rng.pick(this.queriers);
      if (r < 10) {
        dst = ALL_SYSTEMS;
      } else {
        group = this.igmpGroup();
        dst = group;
      }
      buf[m] = 0x11;
      buf[m + 1] = group === 0 ? 100 : 10;
      buf.writeUInt16BE(0, m + 2);
      buf.writeUInt32BE(group, m + 4);
    } else if (r < 43) {
      type = 0x16;
      version = 2;
      group = this.igmpGroup();
      dst = group;
      buf.writeUInt32BE(0x16000000, m);
      buf.writeUInt32BE(group, m + 4);
    } else if (r < 55) {
      type = 0x17;
      version = 2;
      group = this.igmpGroup();
      dst = ALL_ROUTERS;
      buf.writeUInt32BE(0x17000000, m);
      buf.writeUInt32BE(group, m + 4);
    } else if (r < 65) {
      // v3 query (RFC 3376 section 4.1): general, group-specific, or group-and-source-specific with 1-4 sources.
      type = 0x11;
      version = 3;
      src = rng.pick(this.queriers);
      const q = rng.float();
      let nsrc = 0;
      if (q < 0.5) {
        dst = ALL_SYSTEMS;
      } else {
        group = this.igmpGroup();
        dst = group;
        if (q >= 0.8) nsrc = rng.int(1, 4);
      }
      buf[m] = 0x11;
      buf[m + 1] = rng.pick([100, 10, 0x8f, 0xc4, 0xff]);
      buf.writeUInt16BE(0, m + 2);
      buf.writeUInt32BE(group, m + 4);
      buf[m + 8] = (nsrc > 0 && rng.float() < 0.5 ? 0x08 : 0) | 2; // S flag, QRV 2
      buf[m + 9] = rng.pick([125, 60, 0x8a]);
      buf.writeUInt16BE(nsrc, m + 10);
      for (let i = 0; i < nsrc; i++) buf.writeUInt32BE(rng.pick(this.hosts), m + 12 + 4 * i);
      len = 12 + 4 * nsrc;
    } else {
      // v3 report (RFC 3376 section 4.2): 1-4 group records.
      type = 0x22;
      version = 3;
      dst = IGMPV3_ROUTERS;
      const nrec = rng.int(1, 4);
      buf.writeUInt32BE(0x22000000, m);
      buf.writeUInt16BE(0, m + 4);
      buf.writeUInt16BE(nrec, m + 6);
      let q = m + 8;
      for (let i = 0; i < nrec; i++) {
        const rtype = rng.int(1, 6);
        const g = this.igmpGroup();
        const nsrc = rng.int(0, 8);
        const aux = rng.float() < 1 / 32 ? 1 : 0;
        buf[q] = rtype;
        buf[q + 1] = aux;
        buf.writeUInt16BE(nsrc, q + 2);
        buf.writeUInt32BE(g, q + 4);
        q += 8;
        for (let j = 0; j < nsrc; j++, q += 4) buf.writeUInt32BE(rng.pick(this.hosts), q);
        if (aux) {
          buf.writeUInt32BE(rng.u32(), q);
          q += 4;
        }
        this.countIgmp(type, version, g);
        const rk = rtype * 4294967296 + g;
        this.v3Records.set(rk, (this.v3Records.get(rk) ?? 0) + 1);
      }
      len = q - m;
    }
    if (type !== 0x22) this.countIgmp(type, version, group);
    this.igmpMsgs[type]++;
    buf.writeUInt16BE(~fold(sum16(buf, m, m + len)) & 0xffff, m + 2);

    // Headers in front: build them in place, then move the message up behind them.
    let p = this.etherMulticast(buf, frameStart, dst, src, ETH_IPV4, tag);
    const v1 = version === 1;
    p += this.ipv4(buf, p, src, dst, PROTO_IGMP, len, 1, v1 ? 0 : 0xc0, !v1, false);
    buf.copy(buf, p, m, m + len);
    return p + len;
  }

  other(buf, p, tag) {
    const rng = this.rng;
    const r = rng.float();
    const a = rng.pick(this.hosts);
    let b = rng.pick(this.hosts);
    if (r < 0.4) {
      // Unicast TCP segment, 0-200 bytes of data.
      const plen = rng.int(0, 200);
      const tl = 20 + plen;
      p = this.ether(buf, p, 0x0200, b, a, ETH_IPV4, tag);
      p += this.ipv4(buf, p, a, b, PROTO_TCP, tl, 64, 0, false, true);
      this.tcp(buf, p, plen, ipSum(a) + ipSum(b) + PROTO_TCP + tl);
      return p + tl;
    }
    if (r < 0.55) {
      // Unicast or broadcast UDP: never counted as multicast.
      if (rng.float() < 0.3) b = 0xffffffff;
      const plen = rng.int(20, 200);
      const ulen = 8 + plen;
      p = b === 0xffffffff ? this.ether(buf, p, 0xffff, 0xffffffff, a, ETH_IPV4, tag) : this.ether(buf, p, 0x0200, b, a, ETH_IPV4, tag);
      p += this.ipv4(buf, p, a, b, PROTO_UDP, ulen, 64, 0, false, false);
      this.udp(buf, p, rng.int(49152, 65535), 40000, plen, ipSum(a) + ipSum(b) + PROTO_UDP + ulen);
      return p + ulen;
    }
    if (r < 0.8) {
      // ARP request (broadcast) or reply (unicast), RFC 826.
      const reply = rng.float() < 0.3;
      p = reply ? this.ether(buf, p, 0x0200, b, a, ETH_ARP, tag) : this.ether(buf, p, 0xffff, 0xffffffff, a, ETH_ARP, tag);
      buf.writeUInt32BE(0x00010800, p); // htype 1, ptype IPv4
      buf.writeUInt32BE(0x06040000 | (reply ? 2 : 1), p + 4);
      buf.writeUInt16BE(0x0200, p + 8);
      buf.writeUInt32BE(a, p + 10);
      buf.writeUInt32BE(a, p + 14);
      if (reply) {
        buf.writeUInt16BE(0x0200, p + 18);
        buf.writeUInt32BE(b, p + 20);
      } else {
        buf.fill(0, p + 18, p + 24);
      }
      buf.writeUInt32BE(b, p + 24);
      return p + 28;
    }
    // IPv6: UDP to a site-local multicast group, or unicast TCP between link-local addresses.
    const udp = rng.float() < 0.5;
    const plen = rng.int(20, 300);
    const l4len = (udp ? 8 : 20) + plen;
    p = udp ? this.ether(buf, p, 0x3333, 0x00001234, a, ETH_IPV6, tag) : this.ether(buf, p, 0x0200, b, a, ETH_IPV6, tag);
    buf.writeUInt32BE(0x60000000, p);
    buf.writeUInt16BE(l4len, p + 4);
    buf[p + 6] = udp ? PROTO_UDP : PROTO_TCP;
    buf[p + 7] = udp ? 8 : 64;
    buf.writeUInt32BE(0xfe800000, p + 8);
    buf.writeUInt32BE(0, p + 12);
    buf.writeUInt32BE(rng.u32(), p + 16);
    buf.writeUInt32BE(a, p + 20);
    if (udp) {
      buf.writeUInt32BE(0xff050000, p + 24);
      buf.writeUInt32BE(0, p + 28);
      buf.writeUInt32BE(0, p + 32);
      buf.writeUInt32BE(0x1234, p + 36);
    } else {
      buf.writeUInt32BE(0xfe800000, p + 24);
      buf.writeUInt32BE(0, p + 28);
      buf.writeUInt32BE(rng.u32(), p + 32);
      buf.writeUInt32BE(b, p + 36);
    }
    // Pseudo-header (RFC 8200 section 8.1): both addresses, upper-layer length, next header.
    const pseudo = sum16(buf, p + 8, p + 40) + l4len + (udp ? PROTO_UDP : PROTO_TCP);
    p += 40;
    if (udp) this.udp(buf, p, 4000, 4000, plen, pseudo);
    else this.tcp(buf, p, plen, pseudo);
    return p + l4len;
  }

  tcp(buf, p, plen, pseudo) {
    const rng = this.rng;
    buf.writeUInt16BE(rng.int(1024, 65535), p);
    buf.writeUInt16BE(rng.pick([22, 80, 443]), p + 2);
    buf.writeUInt32BE(rng.u32(), p + 4);
    buf.writeUInt32BE(rng.u32(), p + 8);
    buf.writeUInt16BE(0x5018, p + 12); // data offset 5, PSH+ACK
    buf.writeUInt16BE(65535, p + 14);
    buf.writeUInt32BE(0, p + 16);
    this.pool.copy(buf, p + 20, 0, plen);
    buf.writeUInt16BE(~fold(pseudo + sum16(buf, p, p + 20 + plen)) & 0xffff, p + 16);
  }

  udp(buf, p, sport, dport, plen, pseudo) {
    buf.writeUInt16BE(sport, p);
    buf.writeUInt16BE(dport, p + 2);
    buf.writeUInt16BE(8 + plen, p + 4);
    buf.writeUInt16BE(0, p + 6);
    this.pool.copy(buf, p + 8, 0, plen);
    const c = ~fold(pseudo + sum16(buf, p, p + 8 + plen)) & 0xffff;
    buf.writeUInt16BE(c === 0 ? 0xffff : c, p + 6);
  }

  /** The yardstick's lines, sorted in C-locale order. */
  truthLines() {
    const out = [`frames ${this.frames}`];
    for (let t = 0; t < 256; t++) if (this.igmpMsgs[t] > 0) out.push(`igmp_msgs ${t} ${this.igmpMsgs[t]}`);
    for (const [k, n] of this.igmpCounts) out.push(`igmp ${Math.floor(k / 4294967296)} ${ipStr(k % 4294967296)} ${n}`);
    for (let i = 0; i < this.streamGroup.length; i++) {
      if (this.streamPackets[i] > 0) out.push(`udp ${ipStr(this.streamGroup[i])} ${this.streamPort[i]} ${this.streamPackets[i]} ${this.streamBytes[i]}`);
    }
    return out.sort(cmpC);
  }

  /** Counts the yardstick does not make: IGMP per (type, version, group); v3 group records per (type, group). */
  detailLines() {
    const out = [];
    for (const [k, n] of this.igmpVersion) {
      const tv = Math.floor(k / 4294967296);
      out.push(`igmp_version ${tv >> 2} ${tv & 3} ${ipStr(k % 4294967296)} ${n}`);
    }
    for (const [k, n] of this.v3Records) out.push(`v3_record ${Math.floor(k / 4294967296)} ${ipStr(k % 4294967296)} ${n}`);
    return out.sort(cmpC);
  }
}

/** Byte-order comparison, as `LC_ALL=C sort` (all strings here are ASCII). */
export const cmpC = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

export function truthPaths(out) {
  const base = out.endsWith('.pcap') ? out.slice(0, -5) : out;
  return { truth: `${base}.truth.txt`, detail: `${base}.detail.txt`, meta: `${base}.meta.json` };
}

/** Writes the corpus and its truth files; returns the meta record. */
export function generateCorpus(out, nframes, seed = DEFAULT_SEED, onProgress = null) {
  const t0 = process.hrtime.bigint();
  const gen = new CorpusGenerator(seed);
  const buf = Buffer.allocUnsafe(OUT_BUF);
  const fd = openSync(out, 'w');
  try {
    // Global header: magic, v2.4, thiszone 0, sigfigs 0, snaplen 65535, LINKTYPE_ETHERNET.
    buf.writeUInt32LE(0xa1b2c3d4, 0);
    buf.writeUInt16LE(2, 4);
    buf.writeUInt16LE(4, 6);
    buf.writeInt32LE(0, 8);
    buf.writeUInt32LE(0, 12);
    buf.writeUInt32LE(65535, 16);
    buf.writeUInt32LE(1, 20);
    let pos = 24;
    for (let i = 0; i < nframes; i++) {
      pos = gen.frame(buf, pos);
      if (pos > OUT_BUF - FLUSH_MARGIN) {
        writeAll(fd, buf, pos);
        pos = 0;
        if (onProgress !== null) onProgress(i + 1, nframes);
      }
    }
    writeAll(fd, buf, pos);
  } finally {
    closeSync(fd);
  }
  const paths = truthPaths(out);
  writeFileSync(paths.truth, gen.truthLines().join('\n') + '\n');
  writeFileSync(paths.detail, gen.detailLines().join('\n') + '\n');
  const meta = { generator: GENERATOR_ID, seed, frames: gen.frames, bytes: gen.bytes, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  writeFileSync(paths.meta, JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

function writeAll(fd, buf, len) {
  let off = 0;
  while (off < len) off += writeSync(fd, buf, off, len - off);
}

function main(argv) {
  const args = argv.slice(2);
  let seed = DEFAULT_SEED;
  const si = args.indexOf('--seed');
  if (si >= 0) {
    seed = Number(args[si + 1]);
    args.splice(si, 2);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) return usage('--seed: not a whole number 0-4294967295');
  }
  if (args.length !== 2) return usage();
  const n = Number(args[1]);
  if (!Number.isInteger(n) || n < 0) return usage(`NFRAMES: not a whole number: ${JSON.stringify(args[1])}`);
  const progress = process.stderr.isTTY ? (i, total) => process.stderr.write(`\r${Math.floor((100 * i) / total)}%`) : null;
  let meta;
  try {
    meta = generateCorpus(args[0], n, seed, progress);
  } catch (err) {
    process.stderr.write(`gen-corpus: ${err.message}\n`);
    return 1;
  }
  if (progress) process.stderr.write('\r');
  const { truth } = truthPaths(args[0]);
  process.stderr.write(
    `gen-corpus: ${meta.frames} frames, ${(meta.bytes / 1e6).toFixed(1)} MB in ${meta.seconds.toFixed(2)} s ` +
      `(${Math.round(meta.frames / meta.seconds)} frames/s) -> ${args[0]}, ${truth}\n`,
  );
  return 0;
}

function usage(msg) {
  if (msg) process.stderr.write(`gen-corpus: ${msg}\n`);
  process.stderr.write('usage: node bench/gen-corpus.mjs OUT.pcap NFRAMES [--seed N]\n');
  return 2;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv);
