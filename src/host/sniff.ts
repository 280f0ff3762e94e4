/**
 * Listening for IGMP on one interface for a while, through mcastkit's own capture layer (libpcap addon) and frame
 * decoder: what `mcast doctor --listen S` uses to find a querier. Loaded lazily, so the other host commands work
 * where the addon is not built.
 */
import type { IgmpRepr } from '../wire/igmp.js';
import { ipv4ToString } from '../wire/addr.js';

export interface IgmpHeard {
  /** Capture time, microseconds since the Unix epoch. */
  timeUs: number;
  source: string;
  destination: string;
  ttl: number;
  routerAlert: boolean;
  igmp: IgmpRepr;
}

/**
 * Capture IGMP on `iface` for `seconds` (or until `enough` says so) and return the messages decoded. Throws the
 * capture layer's SystemErrors (ERR_NO_LIBPCAP, ERR_PERMISSION, ERR_NO_SUCH_INTERFACE, ERR_INTERFACE_DOWN).
 */
export async function sniffIgmp(
  iface: string,
  seconds: number,
  enough: (m: IgmpHeard) => boolean = () => false,
): Promise<IgmpHeard[]> {
  const [{ LiveCapture }, { FrameDecoder }, { parseIgmp }] = await Promise.all([
    import('../capture/live.js'),
    import('../decode/frame.js'),
    import('../wire/igmp.js'),
  ]);
  const cap = LiveCapture.open(iface, { filter: 'igmp', immediate: true, direction: 'in' });
  const dec = new FrameDecoder();
  const out: IgmpHeard[] = [];
  const timer = setTimeout(() => cap.close(), Math.max(0, seconds * 1000));
  try {
    await cap.run((f) => {
      dec.decode(cap.linkType, f.buf, f.offset, f.caplen);
      if (!dec.hasIgmp || dec.error !== null) return;
      const m: IgmpHeard = {
        timeUs: f.tsSec * 1e6 + f.tsNsec / 1000,
        source: ipv4ToString(dec.ip.src),
        destination: ipv4ToString(dec.ip.dst),
        ttl: dec.ip.ttl,
        routerAlert: dec.ip.hasRouterAlert(),
        igmp: parseIgmp(dec.igmp).repr,
      };
      out.push(m);
      if (enough(m)) cap.close();
    });
  } finally {
    clearTimeout(timer);
    cap.close();
  }
  return out;
}
