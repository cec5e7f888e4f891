#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# castgate-dataplane must never block in af_packet TX (see
# app/castgate-dataplane/dp_afp.c). DPDK 22.11's af_packet PMD calls
# poll(-1) when its TX ring is full; we make the ring fill for good: the
# output veth gets a qdisc that sends 1 kB/s with an endless queue, so the
# socket's send buffer runs out and ring frames stay owned by the kernel.
#
# Pass: the relay keeps answering telemetry while flooded, counts tx_full,
# and exits 0 promptly on SIGTERM. (Without the guard it hangs in poll().)
#
# Topology (test network 20): netns cgt20-gen (cgt20gen0 198.18.20.1/26)
# <-> cgt20in [castgate] cgt20out <-> netns cgt20-sink (cgt20sink0).
# Exit: 0 pass, 1 fail, 77 skip.

set -u
BUILD=${CG_BUILD:?CG_BUILD: the build directory}
SRC=${CG_SRC:?CG_SRC: the source directory}
DP=$BUILD/app/castgate-dataplane/castgate-dataplane
PREFIX=cgafpguard$$
TMP=$(mktemp -d /tmp/cg-afp-guard.XXXXXX)
PID=

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v tc >/dev/null || { echo "SKIP: no tc"; exit 77; }

cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -KILL "$PID"; wait "$PID" 2>/dev/null
	fi
	ip netns del cgt20-gen 2>/dev/null
	ip netns del cgt20-sink 2>/dev/null
	ip link del cgt20in 2>/dev/null
	ip link del cgt20out 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX" "$TMP"
	rm -f /dev/hugepages/${PREFIX}map_*
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "---- log"; tail -20 "$TMP/dp.log"; exit 1; }

cleanup_net_only() { ip netns del cgt20-gen 2>/dev/null; ip netns del cgt20-sink 2>/dev/null; true; }
cleanup_net_only
set -e
ip netns add cgt20-gen
ip netns add cgt20-sink
ip link add cgt20in type veth peer name cgt20gen0 netns cgt20-gen
ip link add cgt20out type veth peer name cgt20sink0 netns cgt20-sink
ip link set cgt20in up
ip link set cgt20out up
ip -n cgt20-gen addr add 198.18.20.1/26 dev cgt20gen0
ip -n cgt20-gen link set cgt20gen0 up
ip -n cgt20-gen route add 239.0.0.0/8 dev cgt20gen0
ip -n cgt20-sink link set cgt20sink0 up
# 8 kbit/s with a practically endless queue: the TX ring can only fill up.
tc qdisc add dev cgt20out root tbf rate 8kbit burst 2000 limit 100000000
set +e

cat > "$TMP/guard.toml" <<CONF
[dataplane]
lcores = "0"
file_prefix = "$PREFIX"
no_huge = true
memory_mb = 256
idle_sleep_us = 50

[control]
state_file = "$TMP/no-api-rules.json"

[[port]]
name = "in0"
device = "net_af_packet0,iface=cgt20in"
ip = "198.18.20.2/26"

[[port]]
name = "out0"
# qdisc_bypass=0: go through the slow qdisc; a small ring fills sooner.
device = "net_af_packet1,iface=cgt20out,qdisc_bypass=0,framecnt=64"
ip = "198.18.20.66/26"

[[rule]]
name = "flood"
input = { port = "in0", destination = "239.20.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.20.2.1"
dport = 6001
CONF

"$DP" -c "$TMP/guard.toml" --ready-file "$TMP/ready" --stats-out "$TMP/stats.json" \
	>"$TMP/dp.log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -f "$TMP/ready" ] && break; sleep 0.1; done
[ -f "$TMP/ready" ] || fail "not ready after 10 s"

ip netns exec cgt20-gen python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# TTL 8: the rule relays it (Linux sends multicast with TTL 1, below min_ttl 2).
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 8)
for i in range(3000):
    try:
        s.sendto(b"x" * 1200, ("239.20.1.1", 5001))
    except OSError:
        pass
PY
sleep 1
timeout 10 python3 "$SRC/scripts/cg-stats" --prefix "$PREFIX" --json >"$TMP/live.json" ||
	fail "telemetry did not answer while flooded (lcore blocked?)"
t0=$(date +%s%N)
kill -TERM "$PID"
for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID" 2>/dev/null && fail "still running 5 s after SIGTERM: TX blocked"
wait "$PID"; rc=$?
PID=
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 0 ] || fail "exit status $rc"
full=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["drops"]["tx_full"])' \
	"$TMP/stats.json")
rx=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rules"][0]["rx_packets"])' \
	"$TMP/stats.json")
grep -q "still in use at exit" "$TMP/dp.log" && fail "mbuf leak on the tx_full path"
[ "$full" -gt 0 ] || fail "drops.tx_full is 0: the ring never filled, the test proves nothing"
echo "PASS: af_packet TX never blocked: $rx matched, $full dropped as tx_full, exit in ${ms} ms"
exit 0
