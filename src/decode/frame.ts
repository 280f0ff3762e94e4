/**
 * The frame decoder: one owner of one view per protocol, rebound to each frame (gopacket's DecodingLayerParser
 * idea). `decode()` walks link layer -> VLAN tags -> IPv4 -> UDP | IGMP with one length check per layer and no
 * allocation; callers read the views directly (statistics) or build plain objects at the edge (JSON, text).
 * A fault stops the walk at its layer: everything decoded before it stays readable and `error` holds a WireError
 * whose offset counts from the first byte of the frame.
 */
import { WireError, MalformedError, TruncatedError } from '../errors.js';
import { EthernetView } from '../wire/ethernet.js';
import { Ipv4View } from '../wire/ipv4.js';
import { UdpView } from '../wire/udp.js';
import { SllView, Sll2View } from '../wire/sll.js';
import { IgmpView, IgmpTypeCode, parseIgmp } from '../wire/igmp.js';

export const LinkType = { ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, LINUX_SLL2: 276 } as const;
const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_IGMP = 2;
const IPPROTO_UDP = 17;
const VLAN_TAG_LEN = 4;
/** TPIDs of 802.1Q, 802.1ad and the pre-standard QinQ tag; a cooked (SLL) capture may carry tags libpcap put back. */
const isVlanTpid = (t: number): boolean => t === 0x8100 || t === 0x88a8 || t === 0x9100;
/** Bounds the tag walk in cooked captures; Ethernet frames are bounded by their own view. */
const MAX_SLL_TAGS = 8;

export const LinkKind = { NONE: 0, ETHERNET: 1, SLL: 2, SLL2: 3, RAW: 4 } as const;

export class FrameDecoder {
  readonly eth = new EthernetView();
  readonly sll = new SllView();
  readonly sll2 = new Sll2View();
  readonly ip = new Ipv4View();
  readonly udp = new UdpView();
  readonly igmp = new IgmpView();

  buf: Uint8Array = new Uint8Array(0);
  frameOffset = 0;
  caplen = 0;
  linkType = 0;
  link: number = LinkKind.NONE;
  /** EtherType after the tags, -1 when the link layer did not decode. */
  etherType = -1;
  /** VLAN tags of a cooked capture (Ethernet frames keep theirs in `eth`). */
  readonly sllVlans = new Int32Array(MAX_SLL_TAGS);
  sllVlanCount = 0;
  hasIp = false;
  hasUdp = false;
  hasIgmp = false;
  /** True when the link type is not one mcastkit decodes (the frame is counted, not an error). */
  unsupportedLink = false;
  error: WireError | null = null;

  /** Decode one frame. Never throws: faults land in `error`. */
  decode(linkType: number, buf: Uint8Array, offset: number, caplen: number): void {
    this.buf = buf;
    this.frameOffset = offset;
    this.caplen = caplen;
    this.linkType = linkType;
    this.link = LinkKind.NONE;
    this.etherType = -1;
    this.sllVlanCount = 0;
    this.hasIp = this.hasUdp = this.hasIgmp = false;
    this.unsupportedLink = false;
    this.error = null;
    const end = offset + caplen;
    let l3 = -1;
    try {
      switch (linkType) {
        case LinkType.ETHERNET:
          this.eth.reset(buf, offset, caplen);
          this.link = LinkKind.ETHERNET;
          this.etherType = this.eth.etherType;
          l3 = this.eth.payloadOffset;
          break;
        case LinkType.LINUX_SLL:
          this.sll.reset(buf, offset, caplen);
          this.link = LinkKind.SLL;
          l3 = this.cookedTags(this.sll.protocol, this.sll.payloadOffset, end);
          break;
        case LinkType.LINUX_SLL2:
          this.sll2.reset(buf, offset, caplen);
          this.link = LinkKind.SLL2;
          l3 = this.cookedTags(this.sll2.protocol, this.sll2.payloadOffset, end);
          break;
        case LinkType.RAW:
        case LinkType.IPV4:
          this.link = LinkKind.RAW;
          // DLT_RAW may hold IPv6 too: the version nibble decides.
          this.etherType = caplen > 0 && buf[offset]! >> 4 === 4 ? ETHERTYPE_IPV4 : -1;
          l3 = offset;
          break;
        default:
          this.unsupportedLink = true;
          return;
      }
      if (this.etherType !== ETHERTYPE_IPV4) return;
      this.ip.reset(buf, l3, end - l3);
      this.hasIp = true;
      // Only the first fragment carries the L4 header (RFC 791).
      if (this.ip.fragmentOffset !== 0) return;
      const proto = this.ip.protocol;
      if (proto === IPPROTO_IGMP) {
        this.igmp.reset(buf, this.ip.payloadOffset, this.ip.payloadLength);
        this.hasIgmp = true;
        this.checkIgmp();
      } else if (proto === IPPROTO_UDP) {
        this.udp.reset(buf, this.ip.payloadOffset, this.ip.payloadLength);
        this.hasUdp = true;
      }
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      err.rebase(this.layerBase(err) - offset);
      this.error = err;
    }
  }

  /**
   * Walk the variable part of an IGMP message (v3 records, v3 query sources, the query length rule of RFC 3376
   * section 7.1) so `error` is set on the statistics path too; the error object is built only for a bad message.
   */
  private checkIgmp(): void {
    const g = this.igmp;
    let bad = false;
    if (g.typeCode === IgmpTypeCode.V3MembershipReport) {
      const rv = g.records;
      for (let ok = g.firstRecord(rv); ok; ok = g.nextRecord(rv)) {
        /* walk only */
      }
      bad = rv.errorCode !== null;
    } else if (g.typeCode === IgmpTypeCode.MembershipQuery) {
      bad = g.queryVersion === 0 || (g.queryVersion === 3 && g.sourceCount < g.numberOfSources);
    }
    if (bad) {
      const e = parseIgmp(g).error;
      if (e !== null) this.error = e.rebase(this.ip.payloadOffset - this.frameOffset);
    }
  }

  /** Absolute offset of the layer a WireError came from, so its offset can count from the frame start. */
  private layerBase(err: WireError): number {
    switch (err.layer) {
      case 'ip':
        return this.l3Offset();
      case 'udp':
      case 'igmp':
        return this.ip.payloadOffset;
      default:
        return this.frameOffset;
    }
  }

  private l3Offset(): number {
    switch (this.link) {
      case LinkKind.ETHERNET:
        return this.eth.payloadOffset;
      case LinkKind.SLL:
        return this.sll.payloadOffset + this.sllVlanCount * VLAN_TAG_LEN;
      case LinkKind.SLL2:
        return this.sll2.payloadOffset + this.sllVlanCount * VLAN_TAG_LEN;
      default:
        return this.frameOffset;
    }
  }

  /** Skip the VLAN tags that follow a cooked header; returns the network-layer offset. */
  private cookedTags(protocol: number, at: number, end: number): number {
    let type = protocol;
    let p = at;
    while (isVlanTpid(type)) {
      if (this.sllVlanCount === MAX_SLL_TAGS) {
        throw new MalformedError('vlan', 'ERR_VLAN_TOO_DEEP', p - this.frameOffset, `vlan: more than ${MAX_SLL_TAGS} tags at byte ${p - this.frameOffset}`);
      }
      if (p + VLAN_TAG_LEN > end) {
        throw new TruncatedError('vlan', 'ERR_VLAN_TRUNCATED', p - this.frameOffset, `vlan: truncated tag at byte ${p - this.frameOffset}`);
      }
      this.sllVlans[this.sllVlanCount++] = ((this.buf[p]! << 8) | this.buf[p + 1]!) & 0x0fff;
      type = (this.buf[p + 2]! << 8) | this.buf[p + 3]!;
      p += VLAN_TAG_LEN;
    }
    this.etherType = type;
    return p;
  }

  /** Outer VLAN ID, or -1 when untagged. */
  get outerVlan(): number {
    if (this.link === LinkKind.ETHERNET) return this.eth.vlanCount > 0 ? this.eth.vlanId(0) : -1;
    return this.sllVlanCount > 0 ? this.sllVlans[0]! : -1;
  }

  get vlanCount(): number {
    return this.link === LinkKind.ETHERNET ? this.eth.vlanCount : this.sllVlanCount;
  }

  vlanId(i: number): number {
    return this.link === LinkKind.ETHERNET ? this.eth.vlanId(i) : this.sllVlans[i]!;
  }
}
