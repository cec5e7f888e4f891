#!/usr/bin/env bash
# (i) Two forwarding workers: lcores "0-1" with main_forwards, so the main
# lcore is worker 0 (and the service) and lcore 1 is worker 1; every
# af_packet port gets qpairs=2 and the kernel's PACKET_FANOUT spreads the
# flows over the two sockets. Eight streams at once (two of them fanned out
# 1->2 over both output ports): every sink gets exactly its packets and bytes,
# rewritten (group, port, TTL, source), without duplicates; both lcores
# received traffic, and the lcores' counters add up to the rules' and to
# what was sent. Then a rule is updated ten times while a stream and three
# more keep both workers busy (the RCU path with two readers): nothing lost,
# nothing duplicated, only the old and the new TTL seen.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 28
cg_ctl_init
GROUPS_N=8
N=3000         # packets per stream
RATE=3000      # per stream: 8 x 3000 pps in total
N2=16000       # the stream of the updated rule (4 s)
RATE2=4000
FRAME_OVER=42  # Ethernet + IP + UDP headers: bytes a counter sees beyond the payload
cg_topo_relay --sink1
conf=$CG_TMP/castgate.toml
export CG_LCORES="0-1"
{
	cg_ctl_conf --sink1 --set 'main_forwards = true'
	for g in $(seq 1 $GROUPS_N); do
		cat <<EOF

[[rule]]
name = "g$g"
id = $g
input = { port = "in0", destination = "239.28.1.$g", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.28.2.$g"
dport = $((6000 + g))
ttl = $((g + 2))
EOF
		# Groups 1 and 2 fan out to the second port as well.
		if [ "$g" -le 2 ]; then
			cat <<EOF
[[rule.output]]
port = "out1"
destination = "239.28.3.$g"
dport = 7001
ttl = 20
EOF
		fi
	done
} >"$conf"
cg_ctl_start "$conf"

cg_ctl_json info system info
cg_assert_eq "two workers" 2 "$(cg_json "$CG_TMP/info.json" 'd["dataplane"]["workers"]')"
cg_assert_true "the main lcore forwards (worker 0 and the service)" \
	grep -q "2 worker(s) (main lcore forwards)" "$CG_TMP/castgate.err"
# dp_eal.c adds qpairs=2 to the af_packet devices: two queue pairs on every port.
cg_assert_eq "ports with 2 queues (qpairs=2)" 3 "$(grep -c "port .*: up: .* 2 queue(s)" "$CG_TMP/castgate.err")"

size_of() { echo $((64 + 100 * $1)); }
for g in $(seq 1 $GROUPS_N); do
	cg_recv_start "r$g" "$CG_NS_SINK" "239.28.2.$g:$((6000 + g))" --iface "$CG_IF_SINK" \
		--expect $N --count $N
done
for g in 1 2; do
	cg_recv_start "f$g" "$CG_NS_SINK1" "239.28.3.$g:7001" --iface "$CG_IF_SINK1" \
		--expect $N --count $N
done
cg_ctl_json clear0 stats clear
declare -A SEND_PIDS
for g in $(seq 1 $GROUPS_N); do
	cg_send_bg "s$g" "$CG_NS_GEN" --dst "239.28.1.$g:5001" --iface "$CG_IF_GEN" --rate $RATE \
		--count $N --size "$(size_of "$g")" --sport $((4000 + g))
	SEND_PIDS[$g]=$CG_LAST_PID
done
for g in $(seq 1 $GROUPS_N); do
	cg_send_wait "s$g" "${SEND_PIDS[$g]}"
done

# NAME GROUP TTL SOURCE SIZE
check_sink() {
	local r=$CG_TMP/$1.json
	cg_assert_eq "$1 received" $N "$(cg_json "$r" 'd["received"]')"
	cg_assert_eq "$1 lost" 0 "$(cg_json "$r" 'd["lost"]')"
	cg_assert_eq "$1 duplicates" 0 "$(cg_json "$r" 'd["duplicates"]')"
	cg_assert_eq "$1 corrupt" 0 "$(cg_json "$r" 'd["corrupt"]')"
	cg_assert_eq "$1 bytes" $((N * $5)) "$(cg_json "$r" 'd["bytes"]')"
	cg_assert_eq "$1 destination" "[\"$2\"]" "$(cg_json "$r" 'd["dst_seen"]')"
	cg_assert_eq "$1 TTL" "[$3]" "$(cg_json "$r" 'd["ttl_seen"]')"
	cg_assert_eq "$1 source IP" "[\"$4\"]" "$(cg_json "$r" 'd["sources_seen"]')"
}
total_pkts=0
total_bytes=0
for g in $(seq 1 $GROUPS_N); do
	cg_recv_wait "r$g"
	check_sink "r$g" "239.28.2.$g" $((g + 2)) "$CG_IP_ROUT0" "$(size_of "$g")"
	total_pkts=$((total_pkts + N))
	total_bytes=$((total_bytes + N * ($(size_of "$g") + FRAME_OVER)))
done
for g in 1 2; do
	cg_recv_wait "f$g"
	check_sink "f$g" "239.28.3.$g" 20 "$CG_IP_ROUT1" "$(size_of "$g")"
done

cg_ctl_json st stats
s=$CG_TMP/st.json
for g in $(seq 1 $GROUPS_N); do
	cg_assert_eq "rule g$g rx_packets" $N "$(cg_json "$s" "rule('g$g')['rx_packets']")"
	cg_assert_eq "rule g$g output 0 tx_packets" $N "$(cg_json "$s" "out('g$g', 0)['tx_packets']")"
	cg_assert_eq "rule g$g output 0 drops" 0 "$(cg_json "$s" "out('g$g', 0)['drops']")"
done
for g in 1 2; do
	cg_assert_eq "rule g$g output 1 tx_packets" $N "$(cg_json "$s" "out('g$g', 1)['tx_packets']")"
done
cg_assert_eq "lcores in stats" 2 "$(cg_json "$s" 'len(d["lcores"])')"
cg_assert_eq "lcore roles" '["both","worker"]' \
	"$(cg_json "$s" 'sorted(l["role"] for l in d["lcores"])')"
# Frames seen beyond the streams (IGMP queries, the kernel's own reports,
# ARP) are few; the relayed ones are exact in the rules' counters.
lc_rx=$(cg_json "$s" 'sum(l["rx_packets"] for l in d["lcores"])')
cg_assert_eq "lcores' rx_packets add up to totals.rx_packets" \
	"$(cg_json "$s" 'd["totals"]["rx_packets"]')" "$lc_rx"
cg_assert_ge "lcores' rx_packets cover every relayed packet" $total_pkts "$lc_rx"
cg_assert_le "lcores' rx_packets: at most a few frames beyond the streams" \
	$((total_pkts + 200)) "$lc_rx"
cg_assert_ge "lcores' rx_bytes cover every relayed frame" $total_bytes \
	"$(cg_json "$s" 'sum(l["rx_bytes"] for l in d["lcores"])')"
for i in 0 1; do
	got=$(cg_json "$s" "d['lcores'][$i]['rx_packets']")
	cg_log "lcore $(cg_json "$s" "d['lcores'][$i]['lcore']"): $got frames received"
	cg_assert_ge "lcore index $i received traffic (fanout spread the flows)" 1 "$got"
done

# The RCU path under load: an API rule updated while it and three config
# rules forward on both workers.
cg_ctl_expect 0 add rule add upd --in in0,239.28.1.100,5001 --out out0,239.28.2.100,6100,ttl=5
cg_recv_start ru "$CG_NS_SINK" 239.28.2.100:6100 --iface "$CG_IF_SINK" --expect $N2 --count $N2 \
	--interval 0.1
for g in 3 4 5; do
	cg_recv_start "b$g" "$CG_NS_SINK" "239.28.2.$g:$((6000 + g))" --iface "$CG_IF_SINK" \
		--expect $N2 --count $N2
done
cg_send_bg su "$CG_NS_GEN" --dst 239.28.1.100:5001 --iface "$CG_IF_GEN" --rate $RATE2 \
	--count $N2 --size 300 --sport 4100
su_pid=$CG_LAST_PID
for g in 3 4 5; do
	cg_send_bg "t$g" "$CG_NS_GEN" --dst "239.28.1.$g:5001" --iface "$CG_IF_GEN" --rate $RATE2 \
		--count $N2 --size 200 --sport $((4200 + g))
	SEND_PIDS[$g]=$CG_LAST_PID
done
cg_assert_true "the updated rule's stream arrives" cg_recv_wait_count ru 1 5
for k in $(seq 1 10); do
	ttl=$((5 + k % 2))
	cg_ctl_expect 0 "upd$k" rule update upd --in in0,239.28.1.100,5001 \
		--out "out0,239.28.2.100,6100,ttl=$ttl"
	sleep 0.2
done
cg_send_wait su "$su_pid"
for g in 3 4 5; do
	cg_send_wait "t$g" "${SEND_PIDS[$g]}"
done
cg_recv_wait ru
r=$CG_TMP/ru.json
cg_assert_eq "updated rule: received" $N2 "$(cg_json "$r" 'd["received"]')"
cg_assert_eq "updated rule: lost" 0 "$(cg_json "$r" 'd["lost"]')"
cg_assert_eq "updated rule: duplicates" 0 "$(cg_json "$r" 'd["duplicates"]')"
cg_assert_eq "updated rule: corrupt" 0 "$(cg_json "$r" 'd["corrupt"]')"
cg_assert_eq "updated rule: bytes" $((N2 * 300)) "$(cg_json "$r" 'd["bytes"]')"
cg_assert_eq "updated rule: old and new TTL only" "[5,6]" "$(cg_json "$r" 'sorted(d["ttl_seen"])')"
for g in 3 4 5; do
	cg_recv_wait "b$g"
	r=$CG_TMP/b$g.json
	cg_assert_eq "b$g during the updates: received" $N2 "$(cg_json "$r" 'd["received"]')"
	cg_assert_eq "b$g during the updates: duplicates" 0 "$(cg_json "$r" 'd["duplicates"]')"
done
# A rule's counters belong to its slot, which each update replaces
# (docs/COUNTERS.md): the last slot relayed what it received.
cg_ctl_json st2 stats --rule upd
cg_assert_ge "updated rule: the last slot received packets" 1 \
	"$(cg_json "$CG_TMP/st2.json" "rule('upd')['rx_packets']")"
cg_assert_eq "updated rule: the last slot sent what it received" \
	"$(cg_json "$CG_TMP/st2.json" "rule('upd')['rx_packets']")" \
	"$(cg_json "$CG_TMP/st2.json" "out('upd', 0)['tx_packets']")"

cg_ctl_stop
cg_finish
