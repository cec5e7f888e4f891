#!/usr/bin/env bash
# (17) Pause and resume on the wire. A stream of 1000 pps is fanned out to
# out0 and out1, and a second rule sends it on to out0 alone. out1's link goes
# down for 2 s mid-stream (its peer in the sink namespace goes down):
#   - out0 receives every packet of both rules (0 lost): the down output costs
#     the others nothing;
#   - nothing reaches out1's sink late at link-up: no datagram arrives more
#     than 100 ms after it was sent (before castgate dropped what waited for a
#     down link, about 2000 datagrams went out in one burst, up to 2 s late);
#   - out1 resumes within 1 s of link-up; the packets of the outage are
#     dropped and counted (output drops, drop reason link_down);
#   - rule.get says the output was paused and is active again.
# Then the input goes down (castgate's own in0, administratively) and up:
# both rules stop, and resume within 1 s.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 17
cg_ctl_init
RATE=1000
N=7000
cg_topo_relay --sink1
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf --sink1
	cat <<EOF

[[rule]]
name = "fan"
input = { port = "in0", destination = "239.17.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.17.2.1"
dport = 6001
[[rule.output]]
port = "out1"
destination = "239.17.3.1"
dport = 6001

[[rule]]
name = "other"
input = { port = "in0", destination = "239.17.1.2", dport = 5002 }
[[rule.output]]
port = "out0"
destination = "239.17.2.2"
dport = 6002
EOF
} >"$conf"
cg_ctl_start "$conf"
dp_pid=$(cg_ctl_child_pid dataplane)

rstate() { # RULE EXPR: python EXPR over rule.get RULE's "state" (s), as JSON
	"$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json rule show "$1" 2>/dev/null |
		"$CG_PY" -c 'import json,sys; s=json.load(sys.stdin)["state"]; print(json.dumps(eval(sys.argv[1])))' "$2"
}

# The outages below (2 s of out1, in0 while tcpdump starts) must not end the
# receivers: they wait 5 s without a packet, not castgate-gen's default 2 s.
cg_recv_start a0 "$CG_NS_SINK" 239.17.2.1:6001 --iface "$CG_IF_SINK" --expect $N --count $N \
	--idle-timeout 5
cg_recv_start b0 "$CG_NS_SINK" 239.17.2.2:6002 --iface "$CG_IF_SINK" --expect $N --count $N \
	--idle-timeout 5
cg_recv_start a1 "$CG_NS_SINK1" 239.17.3.1:6001 --iface "$CG_IF_SINK1" --expect $N \
	--interval 0.05 --idle-timeout 5
cg_send_bg s1 "$CG_NS_GEN" --dst 239.17.1.1:5001 --iface "$CG_IF_GEN" --rate $RATE --count $N \
	--size 500 --batch 1
s1=$CG_LAST_PID
cg_send_bg s2 "$CG_NS_GEN" --dst 239.17.1.2:5002 --iface "$CG_IF_GEN" --rate $RATE --count $N \
	--size 500 --batch 1
s2=$CG_LAST_PID

# 1.5 s in: out1's carrier goes for 2 s.
cg_assert_true "out1's sink receives" cg_recv_wait_count a1 1000 10
ip -n "$CG_NS_SINK1" link set "$CG_IF_SINK1" down
out1_down() { [ "$(cg_ctl_link out1 up)" = false ]; }
cg_assert_true "out1 seen down within 1 s" cg_wait_for 1 out1_down
cg_assert_eq "rule fan is degraded, its out1 paused" '["degraded", "active", "paused"]' \
	"$(rstate fan '[s["status"], s["outputs"][0], s["outputs"][1]]')"
cg_assert_eq "rule other stays active" '"active"' "$(rstate other 's["status"]')"
sleep 2
before_up=$(cg_recv_count a1)
ip -n "$CG_NS_SINK1" link set "$CG_IF_SINK1" up
t_up=$(cg_now_ms)
cg_assert_true "out1 resumes within 1 s of link-up" \
	cg_recv_wait_count a1 $((before_up + 20)) 1
cg_log "out1 resumed after $(($(cg_now_ms) - t_up)) ms"
cg_assert_eq "out1 up again" true "$(cg_ctl_link out1 up)"
cg_assert_eq "rule fan active again" '"active"' "$(rstate fan 's["status"]')"
cg_assert_eq "out1's link changed twice" 2 "$(cg_ctl_link out1 changes)"

# The input: castgate's own in0 goes down (administratively), then up.
sleep 0.5
ip link set "$CG_IF_RIN" down
in0_down() { [ "$(cg_ctl_link in0 up)" = false ]; }
cg_assert_true "in0 seen down within 1 s" cg_wait_for 1 in0_down
cg_assert_eq "both rules paused" '["paused", "paused"]' \
	"[$(rstate fan 's["status"]'), $(rstate other 's["status"]')]"
# What in0 reports once up again (its memberships, at once): capture them.
cg_capture igmp "$CG_NS_GEN" "$CG_IF_GEN" igmp
tcpdump_pid=$CG_LAST_PID
sleep 1
before_in=$(cg_recv_count a1)
ip link set "$CG_IF_RIN" up
cg_assert_true "both outputs resume within 1 s of in0's link-up" \
	cg_recv_wait_count a1 $((before_in + 20)) 1
# (igmp_interval_s is 60: a periodic report cannot fall in this window.)
reported() { cg_pcap "$CG_TMP/igmp.pcap" 2>/dev/null | grep '"igmp_type": 34' | grep 239.17.1.2 >/dev/null; }
cg_assert_true "in0 reports its memberships again once up (IGMPv3, within 1 s)" \
	cg_wait_for 1 reported
cg_stop_pid "$tcpdump_pid" || true

cg_send_wait s1 "$s1"
cg_send_wait s2 "$s2"
cg_recv_wait a1
cg_recv_stop a0
cg_recv_stop b0

# out0: what the relay received, all of it (in0's outage is the sender's loss:
# its frames had nowhere to go, so compare with what in0 took in).
cg_ctl_json st stats
s=$CG_TMP/st.json
fan_rx=$(cg_json "$s" 'rule("fan")["rx_packets"]')
other_rx=$(cg_json "$s" 'rule("other")["rx_packets"]')
cg_assert_eq "out0 got every packet of fan" "$fan_rx" "$(cg_json "$CG_TMP/a0.json" 'd["unique"]')"
cg_assert_eq "out0 got every packet of other" "$other_rx" \
	"$(cg_json "$CG_TMP/b0.json" 'd["unique"]')"
cg_assert_eq "fan's out0 dropped nothing" 0 "$(cg_json "$s" 'out("fan", 0)["drops"]')"
cg_assert_ge "fan's out1 dropped the outage (>= 1500)" 1500 \
	"$(cg_json "$s" 'out("fan", 1)["drops"]')"
cg_assert_ge "drop reason link_down counted" 1500 "$(cg_json "$s" 'd["drops"]["link_down"]')"
late=$(cg_json "$CG_TMP/a1.json" 'd["latency_us"]["max"]')
cg_assert_le "no datagram reached out1's sink more than 100 ms late (max latency us)" \
	100000 "$late"
# Everything out1 sent arrived (tx_packets may count the few frames taken
# back from the ring at link-down, which are in link_down, not sent).
a1_got=$(cg_json "$CG_TMP/a1.json" 'd["unique"]')
out1_tx=$(cg_json "$s" 'out("fan", 1)["tx_packets"]')
cg_assert_le "out1's sink got what out1 sent" "$out1_tx" "$a1_got"
cg_assert_ge "out1's sink got what out1 sent, but ring frames taken back" \
	$((out1_tx - $(cg_json "$s" 'd["drops"]["link_down"]') + $(cg_json "$s" 'out("fan", 1)["drops"]'))) \
	"$a1_got"
cg_assert_eq "no data plane restart" "$dp_pid" "$(cg_ctl_child_pid dataplane)"

cg_ctl_stop
cg_finish
