#!/usr/bin/env bash
# (b) One stream fanned out to three outputs on two ports: two groups/ports
# on out0 (one of them with a rule-set source IP), one on out1. Each sink gets
# exactly every packet, rewritten as its output says, and the data plane's
# per-output counters match what arrived.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 3
N=5000
SIZE=1000
SRC_OVERRIDE=$CG_NET.99
cg_topo_relay --sink1
conf=$CG_TMP/castgate.toml
{
	cg_conf_base --sink1
	cat <<EOF

[[rule]]
name = "fan"
id = 7
input = { port = "in0", destination = "239.3.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.3.2.2"
dport = 6001
ttl = 5
[[rule.output]]
port = "out0"
destination = "239.3.2.3"
dport = 6002
ttl = 6
source = "$SRC_OVERRIDE"
sport = 7002
[[rule.output]]
port = "out1"
destination = "239.3.3.3"
dport = 6003
ttl = 7
EOF
} >"$conf"
cg_dp_start "$conf"

cg_recv_start r0 "$CG_NS_SINK" 239.3.2.2:6001 --iface "$CG_IF_SINK" --expect $N --count $N
cg_recv_start r1 "$CG_NS_SINK" 239.3.2.3:6002 --iface "$CG_IF_SINK" --expect $N --count $N
cg_recv_start r2 "$CG_NS_SINK1" 239.3.3.3:6003 --iface "$CG_IF_SINK1" --expect $N --count $N
cg_send s0 "$CG_NS_GEN" --dst 239.3.1.1:5001 --iface "$CG_IF_GEN" --rate 10000 --count $N \
	--size $SIZE --sport 4001
for r in r0 r1 r2; do
	cg_recv_wait $r
done

# name group ttl source sport
check_sink() {
	local r=$CG_TMP/$1.json
	cg_assert_eq "$1 received" $N "$(cg_json "$r" 'd["received"]')"
	cg_assert_eq "$1 lost" 0 "$(cg_json "$r" 'd["lost"]')"
	cg_assert_eq "$1 corrupt" 0 "$(cg_json "$r" 'd["corrupt"]')"
	cg_assert_eq "$1 duplicates" 0 "$(cg_json "$r" 'd["duplicates"]')"
	cg_assert_eq "$1 bytes" $((N * SIZE)) "$(cg_json "$r" 'd["bytes"]')"
	cg_assert_eq "$1 destination" "[\"$2\"]" "$(cg_json "$r" 'd["dst_seen"]')"
	cg_assert_eq "$1 TTL" "[$3]" "$(cg_json "$r" 'd["ttl_seen"]')"
	cg_assert_eq "$1 source IP" "[\"$4\"]" "$(cg_json "$r" 'd["sources_seen"]')"
	cg_assert_eq "$1 UDP source port" "[$5]" "$(cg_json "$r" 'd["sports_seen"]')"
}
check_sink r0 239.3.2.2 5 "$CG_IP_ROUT0" 4001
check_sink r1 239.3.2.3 6 "$SRC_OVERRIDE" 7002
check_sink r2 239.3.3.3 7 "$CG_IP_ROUT1" 4001

cg_dp_stop
s=$CG_DP_STATS
cg_assert_eq "rule rx_packets" $N "$(cg_json "$s" 'rule("fan")["rx_packets"]')"
cg_assert_eq "rule id" 7 "$(cg_json "$s" 'rule("fan")["id"]')"
cg_assert_eq "rule outputs" 3 "$(cg_json "$s" 'len(rule("fan")["outputs"])')"
for i in 0 1 2; do
	cg_assert_eq "output $i tx_packets" $N "$(cg_json "$s" "out('fan', $i)['tx_packets']")"
	cg_assert_eq "output $i drops" 0 "$(cg_json "$s" "out('fan', $i)['drops']")"
	# Same payload size everywhere: the same bytes per output, whatever the
	# counter includes (UDP, IP or Ethernet), and at least the payload.
	cg_assert_ge "output $i tx_bytes" $((N * SIZE)) "$(cg_json "$s" "out('fan', $i)['tx_bytes']")"
done
cg_assert_eq "tx_bytes equal on all outputs" 1 \
	"$(cg_json "$s" 'len({o["tx_bytes"] for o in rule("fan")["outputs"]})')"
cg_assert_eq "output 0 port" out0 "$(cg_json "$s" 'out("fan", 0)["port"]')"
cg_assert_eq "output 2 port" out1 "$(cg_json "$s" 'out("fan", 2)["port"]')"
cg_assert_eq "output 1 destination" 239.3.2.3 "$(cg_json "$s" 'out("fan", 1)["destination"]')"
cg_assert_eq "output 2 dport" 6003 "$(cg_json "$s" 'out("fan", 2)["dport"]')"
cg_finish
