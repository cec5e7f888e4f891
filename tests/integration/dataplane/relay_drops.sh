#!/usr/bin/env bash
# (c) What matches no rule is not relayed and is counted: a group without a
# rule, the rule's group on another UDP port, and IP fragments of a datagram
# for the rule's own group (larger than the generator link's MTU, DF off).
# A matching control stream shows that the rule works while the others don't.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 4
CTRL=200        # matching stream
NOGROUP=300     # 239.4.9.9:5001: no rule for the group
NOPORT=400      # 239.4.1.1:5999: no rule for the port
FRAG=100        # 239.4.1.1:5001, 3000-byte payloads over MTU 1500
FRAG_SIZE=3000
# (3000 + 8 UDP bytes) in 1480-byte IP fragment payloads: 1480 + 1480 + 48
FRAGS_PER=3
cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	cg_conf_base
	cat <<EOF

[[rule]]
name = "only"
id = 1
input = { port = "in0", destination = "239.4.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.4.2.2"
dport = 6001
ttl = 8
EOF
} >"$conf"
cg_dp_start "$conf"

# The rule's output, and the unchanged groups/ports in case something leaked
# through untranslated.
cg_recv_start out "$CG_NS_SINK" 239.4.2.2:6001 --iface "$CG_IF_SINK" --idle-timeout 0 \
	--duration 60
cg_recv_start leak1 "$CG_NS_SINK" 239.4.9.9:5001 --iface "$CG_IF_SINK" --idle-timeout 0 \
	--duration 60
cg_recv_start leak2 "$CG_NS_SINK" 239.4.1.1:5999 --iface "$CG_IF_SINK" --idle-timeout 0 \
	--duration 60
cg_recv_start leak3 "$CG_NS_SINK" 239.4.1.1:5001 --iface "$CG_IF_SINK" --idle-timeout 0 \
	--duration 60

send() { cg_send "$@" --iface "$CG_IF_GEN" --rate 5000; }
send s_ctrl "$CG_NS_GEN" --dst 239.4.1.1:5001 --count $CTRL --stream 1 --size 1000
send s_nogroup "$CG_NS_GEN" --dst 239.4.9.9:5001 --count $NOGROUP --stream 2 --size 1000
send s_noport "$CG_NS_GEN" --dst 239.4.1.1:5999 --count $NOPORT --stream 3 --size 1000
send s_frag "$CG_NS_GEN" --dst 239.4.1.1:5001 --count $FRAG --stream 4 --size $FRAG_SIZE
# Let the last frames cross the relay before the receivers stop.
sleep 1
for r in out leak1 leak2 leak3; do
	cg_recv_stop $r
done

o=$CG_TMP/out.json
cg_assert_eq "matching stream received" $CTRL "$(cg_json "$o" 'd["received"]')"
cg_assert_eq "matching stream lost" 0 "$(cg_json "$o" 'd["lost"]')"
cg_assert_eq "matching stream corrupt" 0 "$(cg_json "$o" 'd["corrupt"]')"
cg_assert_eq "nothing but the matching stream on the output" 0 \
	"$(cg_json "$o" 'd["other_stream"] + d["received"] - d["unique"]')"
for r in leak1 leak2 leak3; do
	cg_assert_eq "$r: nothing arrives" 0 "$(cg_json "$CG_TMP/$r.json" 'd["received"]')"
done

cg_dp_stop
s=$CG_DP_STATS
cg_assert_eq "rule rx_packets (control only)" $CTRL "$(cg_json "$s" 'rule("only")["rx_packets"]')"
cg_assert_eq "output tx_packets (control only)" $CTRL \
	"$(cg_json "$s" 'out("only", 0)["tx_packets"]')"
cg_assert_eq "drops.no_rule" $((NOGROUP + NOPORT)) "$(cg_json "$s" 'drop("no_rule")')"
cg_assert_eq "drops.fragment" $((FRAG * FRAGS_PER)) "$(cg_json "$s" 'drop("fragment")')"
cg_finish
