#!/usr/bin/env bash
# Records mcastkit's kernel-made fixture captures (needs root, iproute2, tcpdump, dumpcap, python3).
#
#   host namespace                          router/sniffer namespace
#   h-v2 10.0.2.2/24  <--- veth --->  r-v2 10.0.2.1/24   host side: force_igmp_version=2
#   h-v3 10.0.3.2/24  <--- veth --->  r-v3 10.0.3.1/24   host side: force_igmp_version=3
#
# In the host namespace scripts/kernel/igmp-scenario.py joins and leaves groups with ordinary sockets (any-source
# and source-specific joins, blocked sources, leaves), so every IGMP message is the kernel's own; a little
# multicast UDP flows both ways. No querier runs: the reports are the unsolicited ones (RFC 2236 3, RFC 3376 5.1).
# In the sniffer namespace four captures run at once:
#   fixtures/kernel-igmpv2.pcap    tcpdump -i r-v2           Ethernet, microsecond pcap
#   fixtures/kernel-igmpv3.pcap    tcpdump -i r-v3           Ethernet, nanosecond pcap
#   fixtures/kernel-any.pcap       tcpdump -i any            Linux cooked v2 (SLL2), microsecond pcap
#   fixtures/kernel-igmp.pcapng    dumpcap -i r-v2 -i r-v3   pcapng, two interfaces with their names
# IPv6 is off in both namespaces so the captures hold IPv4 only. Namespaces and links are removed at the end,
# also on failure or Ctrl-C. Usage: sudo scripts/capture-kernel-fixtures.sh [OUTDIR]   (default: fixtures/)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
outdir="${1:-$root/fixtures}"
scenario="$root/scripts/kernel/igmp-scenario.py"

[ "$(id -u)" -eq 0 ] || { echo "capture-kernel-fixtures: needs root (network namespaces, capture)" >&2; exit 1; }
for cmd in ip tcpdump dumpcap python3 sysctl; do
  command -v "$cmd" >/dev/null || { echo "capture-kernel-fixtures: needs $cmd" >&2; exit 1; }
done

tag="mkfx$$"
host="$tag-host"
rtr="$tag-rtr"
work="$(mktemp -d "/tmp/$tag.XXXXXX")"
pids=()

cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  ip netns del "$host" 2>/dev/null || true
  ip netns del "$rtr" 2>/dev/null || true
  # veth ends live in the namespaces and die with them; a half-made pair may remain in the root namespace.
  ip link del "${tag}a2" 2>/dev/null || true
  ip link del "${tag}a3" 2>/dev/null || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_host() { ip netns exec "$host" "$@"; }
in_rtr() { ip netns exec "$rtr" "$@"; }

ip netns add "$host"
ip netns add "$rtr"
for ns in "$host" "$rtr"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$ns" ip link set lo up
done

# veth pair N: host end h-vN, router end r-vN; fixed MACs so every run writes the same addresses.
link() {
  local v=$1
  ip link add "${tag}a$v" type veth peer name "${tag}b$v"
  ip link set "${tag}a$v" netns "$host"
  ip link set "${tag}b$v" netns "$rtr"
  in_host ip link set "${tag}a$v" name "h-v$v" address "02:00:00:00:0$v:02"
  in_rtr ip link set "${tag}b$v" name "r-v$v" address "02:00:00:00:0$v:01"
  in_host ip addr add "10.0.$v.2/24" brd + dev "h-v$v"
  in_rtr ip addr add "10.0.$v.1/24" brd + dev "r-v$v"
  in_host sysctl -qw "net.ipv4.conf.h-v$v.force_igmp_version=$v"
  # Short unsolicited-report intervals (defaults 10 s for v2, 1 s for v3) keep the captures short.
  in_host sysctl -qw "net.ipv4.conf.h-v$v.igmpv2_unsolicited_report_interval=200"
  in_host sysctl -qw "net.ipv4.conf.h-v$v.igmpv3_unsolicited_report_interval=200"
  in_rtr ip link set "r-v$v" up
  in_host ip link set "h-v$v" up
}
link 2
link 3
in_host sysctl -qw net.ipv4.igmp_qrv=2

# Captures, each waited for until it says it is listening.
start_capture() {
  local name=$1
  shift
  # `ip netns exec` execs the command, so $! is the capture itself (a backgrounded shell function would be a
  # subshell that ignores SIGINT).
  ip netns exec "$rtr" "$@" 2>"$work/$name.err" &
  pids+=($!)
}
wait_ready() {
  local name=$1 pattern=$2
  for _ in $(seq 100); do
    grep -q "$pattern" "$work/$name.err" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "capture-kernel-fixtures: $name did not start:" >&2
  cat "$work/$name.err" >&2
  return 1
}

kernel="$(uname -r)"
comment="mcastkit kernel fixture: scripts/capture-kernel-fixtures.sh on Linux $kernel, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
start_capture v2 tcpdump -Z root -n -i r-v2 --immediate-mode -U -w "$work/kernel-igmpv2.pcap"
start_capture v3 tcpdump -Z root -n -i r-v3 --immediate-mode -U --time-stamp-precision=nano -w "$work/kernel-igmpv3.pcap"
start_capture any tcpdump -Z root -n -i any -y LINUX_SLL2 --immediate-mode -U -w "$work/kernel-any.pcap"
start_capture ng dumpcap -q -i r-v2 -i r-v3 --capture-comment "$comment" -w "$work/kernel-igmp.pcapng"
wait_ready v2 'listening on'
wait_ready v3 'listening on'
wait_ready any 'listening on'
wait_ready ng 'Capturing on'
sleep 0.5

echo "scenario (host namespace):" >&2
in_host python3 "$scenario" host h-v2 10.0.2.2 h-v3 10.0.3.2 "$rtr" 10.0.2.1 10.0.3.1

sleep 0.5
for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" || true; done
pids=()

mkdir -p "$outdir"
for f in kernel-igmpv2.pcap kernel-igmpv3.pcap kernel-any.pcap kernel-igmp.pcapng; do
  [ -s "$work/$f" ] || { echo "capture-kernel-fixtures: $f is empty" >&2; exit 1; }
  cp "$work/$f" "$outdir/$f"
  chmod 0644 "$outdir/$f"
  printf '%-22s %6d bytes  %s\n' "$f" "$(stat -c %s "$outdir/$f")" "$(tcpdump -r "$outdir/$f" 2>/dev/null | wc -l) frames"
done
echo "kernel $kernel; wrote $outdir" >&2
