#!/usr/bin/env bash
# (9) stats.get against the wire, for a 10 000-packet stream: the rule's
# rx_packets/rx_bytes, its output's tx_packets/tx_bytes and the ports' counters
# (in0 rx_packets/rx_bytes, out0 tx_packets/tx_bytes) equal exactly what the sink
# received; while the stream runs, pps and bps are within a broad band of the
# sender's rate, and they fall to 0 after it; stats.clear zeroes the counts,
# and counting after a clear is exact again (1 000 more packets).
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 9
cg_ctl_init
N=10000
N2=1000
RATE=2500      # 4 s of stream: a whole 1 s rate window fits well inside it
SIZE=1000
FRAME=$((SIZE + 8 + 20 + 14)) # bytes a counter sees per packet: Ethernet frame without FCS
cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf
	cat <<EOF

[[rule]]
name = "st"
id = 3
input = { port = "in0", destination = "239.9.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.9.2.2"
dport = 6001
ttl = 4
EOF
} >"$conf"
cg_ctl_start "$conf"

cg_recv_start r0 "$CG_NS_SINK" 239.9.2.2:6001 --iface "$CG_IF_SINK" --expect $N --count $N \
	--interval 0.1
cg_ctl_json clear0 stats clear
cg_assert_ge "stats clear: cleared_unix_ms" 1 "$(cg_json "$CG_TMP/clear0.json" 'd["cleared_unix_ms"]')"
cg_ctl_json st0 stats --rule st
s=$CG_TMP/st0.json
cg_assert_eq "after clear: rule rx_packets" 0 "$(cg_json "$s" 'rule("st")["rx_packets"]')"
cg_assert_eq "after clear: in0 rx_packets" 0 \
	"$(cg_json "$s" '[p for p in d["ports"] if p["name"] == "in0"][0]["rx_packets"]')"

cg_send_bg s0 "$CG_NS_GEN" --dst 239.9.1.1:5001 --iface "$CG_IF_GEN" --rate $RATE --count $N \
	--size $SIZE --sport 4001
s0=$CG_LAST_PID

# Mid-stream (2.4 s of 4): the last 1 s rate window lies inside the stream.
cg_assert_true "sink got 60 % of the stream" cg_recv_wait_count r0 $((N * 6 / 10)) 15
cg_ctl_json mid stats --rule st
# band NAME VALUE PER_PACKET: VALUE within 50..150 % of RATE * PER_PACKET.
band() {
	local want=$((RATE * $3))
	local v
	v=$(printf '%.0f' "$2" 2>/dev/null) || v=-1
	if [ "$v" -ge $((want / 2)) ] && [ "$v" -le $((want * 3 / 2)) ]; then
		cg_pass "$1 = $v (sender: $want)"
	else
		cg_fail "$1: $v is not within 50..150 % of the sender's $want"
	fi
}
m=$CG_TMP/mid.json
mapfile -t mv < <(cg_jsonv "$m" 'rule("st")["rx_pps"]' 'rule("st")["rx_bps"]' \
	'out("st", 0)["tx_pps"]' 'out("st", 0)["tx_bps"]' 'port("in0")["rx_pps"]' 'port("in0")["rx_bps"]' \
	'port("out0")["tx_pps"]' 'port("out0")["tx_bps"]' 'd["totals"]["rx_pps"]' \
	'd["totals"]["tx_pps"]' 'd["interval_ms"]')
band "rule rx_pps" "${mv[0]}" 1
band "rule rx_bps" "${mv[1]}" $((FRAME * 8))
band "output pps" "${mv[2]}" 1
band "output bps" "${mv[3]}" $((FRAME * 8))
band "in0 rx_pps" "${mv[4]}" 1
band "in0 rx_bps" "${mv[5]}" $((FRAME * 8))
band "out0 tx_pps" "${mv[6]}" 1
band "out0 tx_bps" "${mv[7]}" $((FRAME * 8))
band "totals rx_pps" "${mv[8]}" 1
band "totals tx_pps" "${mv[9]}" 1
cg_assert_ge "interval_ms" 500 "${mv[10]}"
cg_assert_le "interval_ms" 2000 "${mv[10]}"

cg_send_wait s0 "$s0" 30
cg_recv_wait r0 30
r=$CG_TMP/r0.json
got=$(cg_json "$r" 'd["received"]')
cg_assert_eq "sender sent" $N "$(cg_json "$CG_TMP/s0.json" 'd["sent"]')"
cg_assert_eq "sink received" $N "$got"
cg_assert_eq "sink lost" 0 "$(cg_json "$r" 'd["lost"]')"
cg_assert_eq "sink bytes" $((N * SIZE)) "$(cg_json "$r" 'd["bytes"]')"
cg_assert_eq "sink TTL" '[4]' "$(cg_json "$r" 'd["ttl_seen"]')"

# After the stream: wait (up to 5 s) until every rate of the stream is 0.
rates_zero() {
	cg_ctl --json stats --rule st >"$CG_TMP/after.json" 2>/dev/null || return 1
	[ "$(cg_jsonv "$CG_TMP/after.json" '[rule("st")["rx_pps"], rule("st")["rx_bps"],
out("st", 0)["tx_pps"], out("st", 0)["tx_bps"],
port("in0")["rx_pps"], port("in0")["rx_bps"], port("out0")["tx_pps"],
port("out0")["tx_bps"]] == [0] * 8')" = true ]
}
cg_assert_true "rates fall to 0 after the stream" cg_wait_for 5 rates_zero
a=$CG_TMP/after.json
cg_json_eqs "$a" \
	"stats.get --rule: one rule" 1 'len(d["rules"])' \
	"rule origin" config 'rule("st")["origin"]' \
	"rule id" 3 'rule("st")["id"]' \
	"rule rx_packets = sink" "$got" 'rule("st")["rx_packets"]' \
	"rule rx_bytes = sink x frame" $((got * FRAME)) 'rule("st")["rx_bytes"]' \
	"output tx_packets = sink" "$got" 'out("st", 0)["tx_packets"]' \
	"output tx_bytes = sink x frame" $((got * FRAME)) 'out("st", 0)["tx_bytes"]' \
	"output drops" 0 'out("st", 0)["drops"]' \
	"output port" out0 'out("st", 0)["port"]' \
	"output destination" 239.9.2.2 'out("st", 0)["destination"]' \
	"output dport" 6001 'out("st", 0)["dport"]' \
	"in0 rx_packets = sent" $N 'port("in0")["rx_packets"]' \
	"in0 rx_bytes" $((N * FRAME)) 'port("in0")["rx_bytes"]' \
	"in0 rx_missed" 0 'port("in0")["rx_missed"]' \
	"in0 rx_errors" 0 'port("in0")["rx_errors"]' \
	"out0 tx_packets = sink" "$got" 'port("out0")["tx_packets"]' \
	"out0 tx_bytes" $((got * FRAME)) 'port("out0")["tx_bytes"]' \
	"out0 tx_errors" 0 'port("out0")["tx_errors"]' \
	"totals rx_packets >= sent" true 'd["totals"]["rx_packets"] >= '$N \
	"totals tx_packets >= sink" true 'd["totals"]["tx_packets"] >= '"$got" \
	"drops: every reason is a count" true 'len(d["drops"]) > 0 and all(isinstance(v, int) for v in d["drops"].values())' \
	"drops: no_rule" 0 'drop("no_rule")' \
	"lcores listed" true 'len(d["lcores"]) >= 1' \
	"since_unix_ms = the clear" "$(cg_json "$CG_TMP/clear0.json" 'd["cleared_unix_ms"]')" 'd["since_unix_ms"]'
# rule.get carries the same counts.
cg_ctl_json get rule show st
cg_assert_eq "rule.get rx_packets" "$got" "$(cg_json "$CG_TMP/get.json" 'd["stats"]["rx_packets"]')"
# The table form works too.
cg_ctl_expect 0 stats_h stats --rule st
cg_assert_true "stats (table) names the rule" grep -q 'st' "$CG_TMP/stats_h.out"

# stats.clear zeroes every count.
cg_ctl_expect 0 clear1 stats clear
cg_ctl_json c stats --rule st
c=$CG_TMP/c.json
# (the sink's IGMP leave reports may still come in on out0: lcores <= 4)
cg_json_eqs "$c" \
	"cleared: rule rx_packets" 0 'rule("st")["rx_packets"]' \
	"cleared: rule rx_bytes" 0 'rule("st")["rx_bytes"]' \
	"cleared: output tx_packets" 0 'out("st", 0)["tx_packets"]' \
	"cleared: output tx_bytes" 0 'out("st", 0)["tx_bytes"]' \
	"cleared: in0 rx_packets" 0 'port("in0")["rx_packets"]' \
	"cleared: in0 rx_bytes" 0 'port("in0")["rx_bytes"]' \
	"cleared: out0 tx_packets" 0 'port("out0")["tx_packets"]' \
	"cleared: out0 tx_bytes" 0 'port("out0")["tx_bytes"]' \
	"cleared: lcores rx_packets" true 'sum(l["rx_packets"] for l in d["lcores"]) <= 4'

# ... and counts from there exactly: 1 000 more packets.
cg_recv_start r1 "$CG_NS_SINK" 239.9.2.2:6001 --iface "$CG_IF_SINK" --expect $N2 --count $N2
cg_send s1 "$CG_NS_GEN" --dst 239.9.1.1:5001 --iface "$CG_IF_GEN" --rate 10000 --count $N2 \
	--size $SIZE
cg_recv_wait r1
cg_assert_eq "second stream: sink received" $N2 "$(cg_json "$CG_TMP/r1.json" 'd["received"]')"
cg_ctl_json c2 stats --rule st
c=$CG_TMP/c2.json
cg_json_eqs "$c" \
	"after clear + $N2: rule rx_packets" $N2 'rule("st")["rx_packets"]' \
	"after clear + $N2: output tx_packets" $N2 'out("st", 0)["tx_packets"]' \
	"after clear + $N2: output tx_bytes" $((N2 * FRAME)) 'out("st", 0)["tx_bytes"]' \
	"after clear + $N2: in0 rx_packets" $N2 'port("in0")["rx_packets"]' \
	"after clear + $N2: out0 tx_packets" $N2 'port("out0")["tx_packets"]'

cg_ctl_stop
cg_finish
