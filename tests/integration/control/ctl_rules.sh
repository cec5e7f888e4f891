#!/usr/bin/env bash
# (8) A rule added, listed and removed with castgatectl while a stream runs:
# without the rule nothing reaches the sink (the relay does receive the
# stream); after `rule add` the packets arrive rewritten to the rule's group,
# port and TTL, from out0's address, with no gap while the rule is in;
# `rule list` (table and --json) and `rule show` show it; after `rule del` the
# sink's count stops growing. An update (TTL) while streaming loses nothing.
# `rule show` / `rule del` of a missing rule exit 4. An (S,G) rule added
# under an any-source rule's stream takes the stream over at once.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 8
cg_ctl_init
RATE=10000
SIZE=1000
cg_topo_relay
conf=$CG_TMP/castgate.toml
cg_ctl_conf >"$conf"
cg_ctl_start "$conf"

cg_ctl_json list0 rule list
cg_assert_eq "no rule at start" 0 "$(cg_json "$CG_TMP/list0.json" 'len(d["rules"])')"

# The receiver joins the rule's output group; live lines every 0.1 s.
cg_recv_start r0 "$CG_NS_SINK" 239.8.2.2:6001 --iface "$CG_IF_SINK" --interval 0.1 \
	--idle-timeout 0 --duration 60
cg_send_bg s0 "$CG_NS_GEN" --dst 239.8.1.1:5001 --iface "$CG_IF_GEN" --rate $RATE \
	--duration 30 --size $SIZE --sport 4001 --ttl 9
s0=$CG_LAST_PID

# The stream reaches the relay: in0's rx_packets grow by at least 0.5 s worth.
in0_rx_packets() {
	cg_ctl --json port show in0 2>/dev/null |
		"$CG_PY" -c 'import json,sys; print(json.load(sys.stdin)["stats"]["rx_packets"])' 2>/dev/null ||
		echo -1
}
p0=$(in0_rx_packets)
cg_assert_ge "castgatectl port show in0: rx_packets" 0 "$p0"
in0_grew() { [ "$(in0_rx_packets)" -ge $((p0 + RATE / 2)) ]; }
cg_assert_true "the relay receives the stream (in0 rx_packets grow)" cg_wait_for 5 in0_grew
sleep 0.3 # one more live line of the receiver, taken after the stream flowed
cg_assert_eq "sink count without a rule" 0 "$(cg_recv_count r0)"

# Add the rule: forwarding starts.
t_add=$(cg_now_ms)
cg_ctl_expect 0 add rule add fwd --in in0,239.8.1.1,5001 --out out0,239.8.2.2,6001,ttl=5
cg_assert_true "packets reach the sink after rule add" cg_recv_wait_count r0 1 3
cg_log "first packets at the sink $(($(cg_now_ms) - t_add)) ms after rule add started"
cg_recv_wait_count r0 $((RATE / 2)) 5 || true

# rule list, human and JSON, and rule show.
cg_ctl_expect 0 list rule list
cg_assert_true "rule list (table) names the rule" grep -q 'fwd' "$CG_TMP/list.out"
cg_assert_true "rule list (table) shows its input group" grep -q '239\.8\.1\.1' "$CG_TMP/list.out"
cg_assert_true "rule list (table) shows its output group" grep -q '239\.8\.2\.2' "$CG_TMP/list.out"
cg_ctl_json list1 rule list
l=$CG_TMP/list1.json
cg_assert_eq "rule list --json: one rule" 1 "$(cg_json "$l" 'len(d["rules"])')"
cg_assert_eq "rule list --json: name" fwd "$(cg_json "$l" 'd["rules"][0]["rule"]["name"]')"
cg_assert_eq "rule list --json: origin" api "$(cg_json "$l" 'd["rules"][0]["origin"]')"
cg_assert_eq "rule list --json: assigned id (the first of the API range)" 1048576 \
	"$(cg_json "$l" 'd["rules"][0]["rule"]["id"]')"
cg_assert_eq "rule list --json: input" \
	'{"destination":"239.8.1.1","dport":5001,"port":"in0"}' \
	"$(cg_json "$l" 'dict(sorted(d["rules"][0]["rule"]["input"].items()))')"
cg_assert_eq "rule list --json: output" \
	'[{"destination":"239.8.2.2","dport":6001,"port":"out0","ttl":5}]' \
	"$(cg_json "$l" '[dict(sorted(o.items())) for o in d["rules"][0]["rule"]["output"]]')"
cg_ctl_expect 0 show rule show fwd
cg_assert_true "rule show names the rule" grep -q 'fwd' "$CG_TMP/show.out"
cg_ctl_json show1 rule show fwd
cg_assert_eq "rule show --json: origin" api "$(cg_json "$CG_TMP/show1.json" 'd["origin"]')"
cg_assert_ge "rule show --json: rx_packets while streaming" 1 \
	"$(cg_json "$CG_TMP/show1.json" 'd["stats"]["rx_packets"]')"

# Update it (TTL 5 -> 6) while the stream runs: atomic for the data plane,
# so the sequence stays without a hole and both TTLs are seen.
c0=$(cg_recv_count r0)
cg_ctl_expect 0 update rule update fwd --in in0,239.8.1.1,5001 --out out0,239.8.2.2,6001,ttl=6
cg_ctl_json show2 rule show fwd
cg_json_eqs "$CG_TMP/show2.json" \
	"rule update: new TTL" 6 'd["rule"]["output"][0]["ttl"]' \
	"rule update: id kept" 1048576 'd["rule"]["id"]' \
	"rule update: origin" api 'd["origin"]'
cg_assert_true "packets keep arriving after rule update" cg_recv_wait_count r0 $((c0 + RATE / 2)) 5

# Remove it: forwarding stops. Packets already in the relay's TX path may
# still land for a moment; after 0.5 s the count must not move for 1.5 s.
cg_ctl_expect 0 del rule del fwd
sleep 0.5
c1=$(cg_recv_count r0)
sleep 1.5
c2=$(cg_recv_count r0)
cg_assert_ge "sink received while the rule was in" $((RATE / 2)) "$c1"
cg_assert_eq "sink count after rule del stays" "$c1" "$c2"
cg_ctl_json list2 rule list
cg_assert_eq "rule list after del" 0 "$(cg_json "$CG_TMP/list2.json" 'len(d["rules"])')"

# The stream was still running all along.
cg_assert_true "sender still running at the end" kill -0 "$s0"
kill -TERM "$s0" 2>/dev/null || true
cg_send_wait s0 "$s0" 10 || true
cg_recv_stop r0

r=$CG_TMP/r0.json
n=$(cg_json "$r" 'd["received"]')
cg_assert_eq "final count = last live count" "$c2" "$n"
# The rule was in for one contiguous stretch of the stream: no hole in it.
cg_assert_eq "lost while the rule was in" 0 "$(cg_json "$r" 'd["lost"]')"
cg_assert_eq "contiguous sequence" "$n" "$(cg_json "$r" 'd["last_seq"] - d["first_seq"] + 1')"
cg_assert_eq "corrupt" 0 "$(cg_json "$r" 'd["corrupt"]')"
cg_assert_eq "duplicates" 0 "$(cg_json "$r" 'd["duplicates"]')"
cg_assert_eq "reordered" 0 "$(cg_json "$r" 'd["reordered"]')"
cg_assert_eq "bytes" $((n * SIZE)) "$(cg_json "$r" 'd["bytes"]')"
cg_assert_eq "TTL on the wire (before and after the update)" '[5,6]' "$(cg_json "$r" 'sorted(d["ttl_seen"])')"
cg_assert_eq "destination" '["239.8.2.2"]' "$(cg_json "$r" 'd["dst_seen"]')"
cg_assert_eq "source IP (out0's)" "[\"$CG_IP_ROUT0\"]" "$(cg_json "$r" 'd["sources_seen"]')"
cg_assert_eq "UDP source port kept" '[4001]' "$(cg_json "$r" 'd["sports_seen"]')"

# A missing rule: exit 4 (not found) and a message on stderr.
cg_ctl_expect 4 show_missing rule show fwd
cg_assert_true "rule show of a missing rule: message" grep -q '^castgatectl: ' "$CG_TMP/show_missing.err"
cg_ctl_expect 4 del_missing rule del fwd
cg_assert_true "rule del of a missing rule: message" grep -q '^castgatectl: ' "$CG_TMP/del_missing.err"
cg_ctl_expect 4 del_never rule del never-existed

# An (S,G) rule added while an any-source rule relays that source's stream:
# the stream moves to the new rule at once. The data plane's flow caches
# hold the stream's match (docs/ARCHITECTURE.md) and must drop it; another
# (S,G) rule is in first, so that the packets' keys carry their source all
# along and only the cache could keep the old match.
cg_ctl_expect 0 sg_other rule add sg-other --in "in0,239.8.1.9,5009,source=$CG_IP_GEN" \
	--out out0,239.8.2.9,6009
cg_ctl_expect 0 any rule add any --in in0,239.8.1.3,5003 --out out0,239.8.2.3,6003
for r in ra rs; do
	g=$([ $r = ra ] && echo 3 || echo 4)
	cg_recv_start $r "$CG_NS_SINK" "239.8.2.$g:600$g" --iface "$CG_IF_SINK" --interval 0.1 \
		--idle-timeout 0 --duration 30
done
cg_send_bg s1 "$CG_NS_GEN" --dst 239.8.1.3:5003 --iface "$CG_IF_GEN" --rate $RATE \
	--duration 20 --size $SIZE --sport 4003
s1=$CG_LAST_PID
cg_assert_true "the any-source rule relays the stream" cg_recv_wait_count ra $((RATE / 2)) 5
cg_ctl_expect 0 sg rule add sg --in "in0,239.8.1.3,5003,source=$CG_IP_GEN" \
	--out out0,239.8.2.4,6004
cg_assert_true "the (S,G) rule added under the stream relays it" \
	cg_recv_wait_count rs $((RATE / 2)) 5
sleep 0.5
a1=$(cg_recv_count ra)
sleep 1
cg_assert_eq "the any-source rule no longer gets the stream" "$a1" "$(cg_recv_count ra)"
kill -TERM "$s1" 2>/dev/null || true
cg_send_wait s1 "$s1" 10 || true
cg_recv_stop ra
cg_recv_stop rs

cg_ctl_stop
cg_finish
