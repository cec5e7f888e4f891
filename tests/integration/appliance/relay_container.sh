#!/usr/bin/env bash
# (31a) The relay demo's stream through the INSTALLED castgate in its container: the Debian
# packages built from this tree (scripts/build-debs), the castgate image built from them
# (docker/build relay), run as docker/README.md says (capabilities NET_RAW NET_ADMIN IPC_LOCK
# SYS_NICE CHOWN only, hugepages bound in), with the relay's two veth ends moved
# into the container's network namespace. castgate-gen sends N packets from cgt31-gen; every
# one arrives at cgt31-sink, rewritten (group, port, TTL, source IP), as in relay_1to1; the
# relay's own counters (castgatectl in the container) agree; `docker stop` ends it cleanly.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"
source "$(dirname "$0")/ap_lib.sh"

cg_init "$AP_N"
ap_init
N=10000
CONT=cgt31-relay
PORTS=cgt31-ports

ap_dockerd_start
ap_images

cg_topo_relay
# The network namespace the ports are handed into: a container that only holds it
# (--network none), joined by the relay's container (--network container:...), as a
# Kubernetes pod's pause container does.
docker run -d --name "$PORTS" --network none "$AP_IMG_RELAY" sleep infinity >/dev/null
ppid=$(docker inspect -f '{{.State.Pid}}' "$PORTS")
for l in "$CG_IF_RIN" "$CG_IF_ROUT0"; do
	ip link set "$l" netns "$ppid" || cg_die "cannot move $l into $PORTS (pid $ppid)"
	# A netns move resets the interface's IPv6 settings (offloads stay).
	nsenter -n -t "$ppid" sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1"
	nsenter -n -t "$ppid" ip link set "$l" up
done

# The config as an operator writes it for the container: paths inside the container.
mkdir -p "$CG_TMP/etc"
conf=$CG_TMP/etc/castgate.toml
{
	CG_CTL_SOCK=/run/castgate/control.sock cg_conf_base
	cat <<EOF

[control]
socket = "/run/castgate/control.sock"
state_file = "/var/lib/castgate/rules.json"

[[rule]]
name = "one"
id = 1
input = { port = "in0", destination = "239.31.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.31.2.2"
dport = 6001
ttl = 7
EOF
} >"$conf"
cg_hugepages

docker run -d --name "$CONT" --network "container:$PORTS" \
	--cap-drop ALL --cap-add NET_RAW --cap-add NET_ADMIN --cap-add IPC_LOCK --cap-add SYS_NICE --cap-add CHOWN \
	-v /dev/hugepages:/dev/hugepages \
	-v "$CG_TMP/etc:/etc/castgate:ro" "$AP_IMG_RELAY" >/dev/null
ap_wait_health "$CONT" 60 || cg_die "the relay in $CONT did not become healthy"

# What runs is the packaged program: PID 1 of the container is /usr/sbin/castgate, its data
# plane /usr/libexec/castgate/castgate-dataplane, both files of the castgate package.
cg_assert_eq "container PID 1" /usr/sbin/castgate "$(docker exec "$CONT" readlink /proc/1/exe)"
dp=$(docker exec "$CONT" sh -c 'for p in /proc/[0-9]*; do readlink $p/exe; done' |
	grep castgate-dataplane | head -n 1)
cg_assert_eq "data plane binary" /usr/libexec/castgate/castgate-dataplane "$dp"
cg_assert_eq "owned by" "castgate: $dp" "$(docker exec "$CONT" dpkg -S "$dp" 2>/dev/null)"

cg_recv_start r0 "$CG_NS_SINK" 239.31.2.2:6001 --iface "$CG_IF_SINK" --expect $N --count $N
cg_send s0 "$CG_NS_GEN" --dst 239.31.1.1:5001 --iface "$CG_IF_GEN" --rate 20000 --count $N \
	--size 1316 --sport 4001 --ttl 9
cg_recv_wait r0

r=$CG_TMP/r0.json
cg_assert_eq "sender sent" $N "$(cg_json "$CG_TMP/s0.json" 'd["sent"]')"
cg_assert_eq "received" $N "$(cg_json "$r" 'd["received"]')"
cg_assert_eq "unique" $N "$(cg_json "$r" 'd["unique"]')"
cg_assert_eq "lost" 0 "$(cg_json "$r" 'd["lost"]')"
cg_assert_eq "corrupt" 0 "$(cg_json "$r" 'd["corrupt"]')"
cg_assert_eq "duplicates" 0 "$(cg_json "$r" 'd["duplicates"]')"
cg_assert_eq "bytes" $((N * 1316)) "$(cg_json "$r" 'd["bytes"]')"
cg_assert_eq "TTL on the wire" '[7]' "$(cg_json "$r" 'd["ttl_seen"]')"
cg_assert_eq "destination" '["239.31.2.2"]' "$(cg_json "$r" 'd["dst_seen"]')"
cg_assert_eq "source IP (out0's)" "[\"$CG_IP_ROUT0\"]" "$(cg_json "$r" 'd["sources_seen"]')"
cg_assert_eq "UDP source port kept" '[4001]' "$(cg_json "$r" 'd["sports_seen"]')"

# The relay's own counters, read with the packaged castgatectl inside the container.
docker exec "$CONT" castgatectl -c /etc/castgate/castgate.toml --json stats \
	>"$CG_TMP/stats.json" 2>"$CG_TMP/stats.err" || cg_fail "castgatectl stats in $CONT failed"
cg_assert_eq "rule rx_packets" $N "$(cg_json "$CG_TMP/stats.json" 'rule("one")["rx_packets"]')"
cg_assert_eq "output tx_packets" $N "$(cg_json "$CG_TMP/stats.json" 'out("one", 0)["tx_packets"]')"

# docker stop: SIGTERM to castgate, which stops its children in order and exits 0.
docker stop -t 30 "$CONT" >/dev/null
cg_assert_eq "castgate's exit status after docker stop" 0 \
	"$(docker inspect -f '{{.State.ExitCode}}' "$CONT")"
docker logs "$CONT" >"$CG_TMP/relay.log" 2>&1 || true
cg_finish
