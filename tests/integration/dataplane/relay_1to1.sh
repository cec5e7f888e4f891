#!/usr/bin/env bash
# (a) One stream relayed to one output: all 10 000 packets arrive intact, in
# order, exactly once, rewritten to the configured group, port and TTL, from
# the output port's IP, with the sender's UDP source port kept; the data
# plane's rule counters agree.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 2
N=10000
cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	cg_conf_base
	cat <<EOF

[[rule]]
name = "one"
id = 1
input = { port = "in0", destination = "239.2.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.2.2.2"
dport = 6001
ttl = 7
EOF
} >"$conf"
cg_dp_start "$conf"

cg_recv_start r0 "$CG_NS_SINK" 239.2.2.2:6001 --iface "$CG_IF_SINK" --expect $N --count $N
cg_send s0 "$CG_NS_GEN" --dst 239.2.1.1:5001 --iface "$CG_IF_GEN" --rate 20000 --count $N \
	--size 1316 --sport 4001 --ttl 9
cg_recv_wait r0

r=$CG_TMP/r0.json
cg_assert_eq "sender sent" $N "$(cg_json "$CG_TMP/s0.json" 'd["sent"]')"
cg_assert_eq "received" $N "$(cg_json "$r" 'd["received"]')"
cg_assert_eq "unique" $N "$(cg_json "$r" 'd["unique"]')"
cg_assert_eq "lost" 0 "$(cg_json "$r" 'd["lost"]')"
cg_assert_eq "corrupt" 0 "$(cg_json "$r" 'd["corrupt"]')"
cg_assert_eq "duplicates" 0 "$(cg_json "$r" 'd["duplicates"]')"
cg_assert_eq "reordered" 0 "$(cg_json "$r" 'd["reordered"]')"
cg_assert_eq "bytes" $((N * 1316)) "$(cg_json "$r" 'd["bytes"]')"
cg_assert_eq "TTL on the wire" '[7]' "$(cg_json "$r" 'd["ttl_seen"]')"
cg_assert_eq "destination" '["239.2.2.2"]' "$(cg_json "$r" 'd["dst_seen"]')"
cg_assert_eq "source IP (out0's)" "[\"$CG_IP_ROUT0\"]" "$(cg_json "$r" 'd["sources_seen"]')"
cg_assert_eq "UDP source port kept" '[4001]' "$(cg_json "$r" 'd["sports_seen"]')"

live=$CG_TMP/live.json
if cg_dp_stats_live "$live"; then
	cg_assert_eq "live rule rx_packets" $N "$(cg_json "$live" 'rule("one")["rx_packets"]')"
	cg_assert_eq "live output tx_packets" $N "$(cg_json "$live" 'out("one", 0)["tx_packets"]')"
else
	cg_fail "scripts/cg-stats --prefix $CG_FILE_PREFIX --json failed"
fi
cg_dp_stop
s=$CG_DP_STATS
cg_assert_eq "final rule rx_packets" $N "$(cg_json "$s" 'rule("one")["rx_packets"]')"
cg_assert_eq "final output tx_packets" $N "$(cg_json "$s" 'out("one", 0)["tx_packets"]')"
cg_assert_eq "final output drops" 0 "$(cg_json "$s" 'out("one", 0)["drops"]')"
cg_finish
