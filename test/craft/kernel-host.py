#!/usr/bin/env python3
"""Holds kernel group memberships open for test/craft/kernel.live.test.ts.

  kernel-host.py
      Reads lines from standard input; each is a JSON array of joins
          [{"iface": "h3", "addr": "10.88.3.2", "group": "239.1.1.1"},                 any-source: EXCLUDE {}
           {"iface": "h3", "addr": "10.88.3.2", "group": "239.1.1.2", "exclude": [S]},  then IP_BLOCK_SOURCE: EXCLUDE {S}
           {"iface": "h3", "addr": "10.88.3.2", "group": "232.1.1.1", "include": [S]}]  IP_ADD_SOURCE_MEMBERSHIP: INCLUDE {S}
      makes them (one socket per entry) and prints "ready N" (N: sockets held). The sockets stay open until standard
      input closes (or the process is killed), so the memberships live exactly as long as the test needs them.
"""
import json
import socket
import struct
import sys

# linux/in.h; Python's socket module lacks them before 3.12.
IP_BLOCK_SOURCE = 38
IP_ADD_SOURCE_MEMBERSHIP = 39


def mreqn(group, ifname):
    # struct ip_mreqn: multiaddr, address (any), ifindex.
    return socket.inet_aton(group) + socket.inet_aton("0.0.0.0") + struct.pack("@i", socket.if_nametoindex(ifname))


def mreq_source(group, ifaddr, source):
    # struct ip_mreq_source: multiaddr, interface, sourceaddr.
    return socket.inet_aton(group) + socket.inet_aton(ifaddr) + socket.inet_aton(source)


def join(j):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if "include" in j:
        for src in j["include"]:
            s.setsockopt(socket.IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, mreq_source(j["group"], j["addr"], src))
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn(j["group"], j["iface"]))
        for src in j.get("exclude", []):
            s.setsockopt(socket.IPPROTO_IP, IP_BLOCK_SOURCE, mreq_source(j["group"], j["addr"], src))
    return s


def main():
    if len(sys.argv) != 1:
        raise SystemExit(__doc__)
    keep = []
    for line in sys.stdin:
        if line.strip():
            keep.extend(join(j) for j in json.loads(line))
            print(f"ready {len(keep)}", flush=True)


if __name__ == "__main__":
    main()
