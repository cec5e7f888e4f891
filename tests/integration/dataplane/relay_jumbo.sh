#!/usr/bin/env bash
# (f) Jumbo frames: 8000-byte payloads over MTU 9000 veths are relayed whole
# (one frame each, never fragmented, since the relay drops fragments) and
# arrive intact.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 7
N=2000
SIZE=8000
cg_topo_relay --mtu 9000
conf=$CG_TMP/castgate.toml
{
	cg_conf_base --mtu 9000
	cat <<EOF

[[rule]]
name = "jumbo"
id = 1
input = { port = "in0", destination = "239.7.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.7.2.2"
dport = 6001
ttl = 4
EOF
} >"$conf"
cg_dp_start "$conf"

cg_recv_start r0 "$CG_NS_SINK" 239.7.2.2:6001 --iface "$CG_IF_SINK" --expect $N --count $N
cg_send s0 "$CG_NS_GEN" --dst 239.7.1.1:5001 --iface "$CG_IF_GEN" --rate 5000 --count $N \
	--size $SIZE
cg_recv_wait r0
r=$CG_TMP/r0.json
cg_assert_eq "received" $N "$(cg_json "$r" 'd["received"]')"
cg_assert_eq "lost" 0 "$(cg_json "$r" 'd["lost"]')"
cg_assert_eq "corrupt" 0 "$(cg_json "$r" 'd["corrupt"]')"
cg_assert_eq "duplicates" 0 "$(cg_json "$r" 'd["duplicates"]')"
cg_assert_eq "bytes" $((N * SIZE)) "$(cg_json "$r" 'd["bytes"]')"
cg_assert_eq "TTL" '[4]' "$(cg_json "$r" 'd["ttl_seen"]')"

cg_dp_stop
s=$CG_DP_STATS
cg_assert_eq "rule rx_packets" $N "$(cg_json "$s" 'rule("jumbo")["rx_packets"]')"
cg_assert_eq "output tx_packets" $N "$(cg_json "$s" 'out("jumbo", 0)["tx_packets"]')"
cg_assert_eq "drops.fragment" 0 "$(cg_json "$s" 'drop("fragment")')"
cg_assert_eq "drops.mtu_exceeded" 0 "$(cg_json "$s" 'drop("mtu_exceeded")')"
cg_finish
