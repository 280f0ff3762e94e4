#!/usr/bin/env python3
"""Drives the kernel's IGMP host side with ordinary sockets, for scripts/capture-kernel-fixtures.sh.

  igmp-scenario.py host V2IF V2ADDR V3IF V3ADDR RTRNS V2PEER V3PEER
      runs in the host namespace: joins, source filters, leaves; asks the router namespace to send multicast
      UDP (ip netns exec RTRNS igmp-scenario.py send ...) and sends some itself.
  igmp-scenario.py send GROUP PORT IFADDR COUNT INTERVAL_MS TAG
      sends COUNT datagrams to GROUP:PORT out of the interface that has IFADDR.

Every report in the capture is the kernel's own (RFC 2236 on the link forced to v2, RFC 3376 on the one forced
to v3): the kernel sends unsolicited reports when a socket's membership or source filter changes.
"""
import socket
import struct
import subprocess
import sys
import time

# linux/in.h; Python's socket module lacks them before 3.12.
IP_UNBLOCK_SOURCE = 37
IP_BLOCK_SOURCE = 38
IP_ADD_SOURCE_MEMBERSHIP = 39
IP_DROP_SOURCE_MEMBERSHIP = 40

T0 = time.monotonic()


def log(msg):
    sys.stderr.write(f"  [{time.monotonic() - T0:5.2f}s] {msg}\n")
    sys.stderr.flush()


def mreqn(group, ifname):
    # struct ip_mreqn: multiaddr, address (any), ifindex.
    return socket.inet_aton(group) + socket.inet_aton("0.0.0.0") + struct.pack("@i", socket.if_nametoindex(ifname))


def mreq_source(group, ifaddr, source):
    # struct ip_mreq_source: multiaddr, interface, sourceaddr.
    return socket.inet_aton(group) + socket.inet_aton(ifaddr) + socket.inet_aton(source)


def udp():
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def join(s, group, ifname):
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn(group, ifname))


def drop(s, group, ifname):
    s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreqn(group, ifname))


def source_op(s, op, group, ifaddr, source):
    s.setsockopt(socket.IPPROTO_IP, op, mreq_source(group, ifaddr, source))


def send(group, port, ifaddr, count, interval_ms, tag):
    s = udp()
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    for seq in range(count):
        payload = f"mcastkit {tag} seq {seq:04d} ".encode().ljust(64, b".")
        s.sendto(payload, (group, port))
        time.sleep(interval_ms / 1000)
    s.close()


def host(v2if, v2addr, v3if, v3addr, rtrns, v2peer, v3peer):
    me = sys.argv[0]
    pause = 0.6  # longer than the unsolicited report interval the driver sets (200 ms) x robustness 2

    log(f"{v2if} (IGMPv2): any-source joins 239.1.1.1, 239.1.1.2; source-specific join (232.1.1.1, {v2peer})")
    a = udp()
    join(a, "239.1.1.1", v2if)
    time.sleep(pause)
    join(a, "239.1.1.2", v2if)
    time.sleep(pause)
    ssm2 = udp()
    source_op(ssm2, IP_ADD_SOURCE_MEMBERSHIP, "232.1.1.1", v2addr, v2peer)  # v2 has no sources: a plain report
    time.sleep(pause)

    log(f"{v3if} (IGMPv3): any-source join 239.2.2.1")
    b = udp()
    join(b, "239.2.2.1", v3if)
    time.sleep(pause)
    log(f"{v3if}: any-source join 239.2.2.2, then block source 10.0.3.99 on it")
    c = udp()
    join(c, "239.2.2.2", v3if)
    time.sleep(pause)
    source_op(c, IP_BLOCK_SOURCE, "239.2.2.2", v3addr, "10.0.3.99")
    time.sleep(pause)
    log(f"{v3if}: source-specific joins (232.2.2.1, {v3peer}) + (232.2.2.1, 10.0.3.10), one after the other")
    d = udp()
    source_op(d, IP_ADD_SOURCE_MEMBERSHIP, "232.2.2.1", v3addr, v3peer)
    source_op(d, IP_ADD_SOURCE_MEMBERSHIP, "232.2.2.1", v3addr, "10.0.3.10")
    time.sleep(pause)
    log(f"{v3if}: at once: source-specific join (232.2.2.2, {v3peer}) and any-source join 239.2.2.3")
    e = udp()
    source_op(e, IP_ADD_SOURCE_MEMBERSHIP, "232.2.2.2", v3addr, v3peer)
    join(e, "239.2.2.3", v3if)
    time.sleep(pause)

    log(f"streams: {v3peer} -> 232.2.2.1:5002 (20), {v2peer} -> 239.1.1.1:5000 (10), {v3addr} -> 239.2.2.1:5001 (20)")
    sender = [sys.executable, me, "send"]
    r1 = subprocess.Popen(["ip", "netns", "exec", rtrns, *sender, "232.2.2.1", "5002", v3peer, "20", "15", "ssm"])
    r2 = subprocess.Popen(["ip", "netns", "exec", rtrns, *sender, "239.1.1.1", "5000", v2peer, "10", "25", "v2"])
    send("239.2.2.1", 5001, v3addr, 20, 15, "host")
    for p in (r1, r2):
        if p.wait() != 0:
            raise SystemExit("router-side sender failed")
    time.sleep(pause)

    log(f"{v3if}: drop source 10.0.3.10 from 232.2.2.1; unblock 10.0.3.99 on 239.2.2.2")
    source_op(d, IP_DROP_SOURCE_MEMBERSHIP, "232.2.2.1", v3addr, "10.0.3.10")
    time.sleep(pause)
    source_op(c, IP_UNBLOCK_SOURCE, "239.2.2.2", v3addr, "10.0.3.99")
    time.sleep(pause)
    log(f"{v3if}: leave 239.2.2.1; then close the other sockets (leaves 239.2.2.2, 239.2.2.3, 232.2.2.1, 232.2.2.2)")
    drop(b, "239.2.2.1", v3if)
    time.sleep(pause)
    for s in (b, c, d, e):
        s.close()
    time.sleep(pause)

    log(f"{v2if}: leave 239.1.1.1; then close (leaves 239.1.1.2, 232.1.1.1)")
    drop(a, "239.1.1.1", v2if)
    time.sleep(pause)
    a.close()
    ssm2.close()
    time.sleep(1.5)  # the leaves' retransmissions
    log("done")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "host" and len(sys.argv) == 9:
        host(*sys.argv[2:9])
    elif len(sys.argv) >= 2 and sys.argv[1] == "send" and len(sys.argv) == 8:
        g, port, ifaddr, count, interval, tag = sys.argv[2:8]
        send(g, int(port), ifaddr, int(count), int(interval), tag)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
