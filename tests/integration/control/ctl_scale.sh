#!/usr/bin/env bash
# (25) Rule scale. A config of 20 000 rules (generated here) with
# [dataplane] max_rules = 20001 starts, and all 20 000 rules are installed
# (rule.list over the API); the first, a middle and the last rule relay their
# stream with the exact count, each to its own output group. One rule.add
# fills the last slot; the next one fails with a JSON-RPC error that says the
# table is full and names max_rules; a batch of two for that one slot is
# refused whole. A config with more rules than max_rules
# is refused by `castgate --check-config`, naming dataplane.max_rules.
# The table has [dataplane] max_outputs = 2: rule s0 has two outputs and both
# groups get the exact count; a rule of three outputs is refused, in a config
# (naming the rule and dataplane.max_outputs) and by rule.add (an error on
# params.rule.output naming max_outputs); system.info reports max_outputs and
# a smaller slot.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 25
cg_ctl_init
N=20000
MAX=$((N + 1))
COUNT=300
cg_topo_relay
conf=$CG_TMP/castgate.toml

# rules_toml FIRST COUNT: rule i receives 239.25.(i/256).(i%256):5001 and sends
# to 239.25.(128 + i/256).(i%256):6001.
rules_toml() {
	"$CG_PY" - "$1" "$2" <<'PY'
import sys
first, n = int(sys.argv[1]), int(sys.argv[2])
out = []
for i in range(first, first + n):
    a, b = i // 256, i % 256
    # s0 has a second output, to 239.25.240.1
    more = ', { port = "out0", destination = "239.25.240.1", dport = 6001 }' if i == 0 else ''
    out.append('[[rule]]\nname = "s%d"\ninput = { port = "in0", destination = "239.25.%d.%d", '
               'dport = 5001 }\noutput = [ { port = "out0", destination = "239.25.%d.%d", '
               'dport = 6001 }%s ]\n' % (i, a, b, 128 + a, b, more))
sys.stdout.write("\n".join(out))
PY
}
group_in() { echo "239.25.$(($1 / 256)).$(($1 % 256))"; }
group_out() { echo "239.25.$((128 + $1 / 256)).$(($1 % 256))"; }

# More rules than slots: refused before anything starts, naming the key.
{
	cg_ctl_conf --set "max_rules = 10"
	rules_toml 0 11
} >"$CG_TMP/over.toml"
rc=0
"$CG_CASTGATE" --check-config -c "$CG_TMP/over.toml" >"$CG_TMP/over.out" 2>&1 || rc=$?
cg_assert_true "a config of 11 rules with max_rules = 10 is refused (exit status $rc)" [ "$rc" -ne 0 ]
cg_assert_true "the refusal names dataplane.max_rules" grep -q 'dataplane.max_rules' \
	"$CG_TMP/over.out"
cg_assert_true "the refusal says how many rules do not fit" grep -q '11 \[\[rule\]\]' \
	"$CG_TMP/over.out"

# A rule of three outputs in slots of two: refused, naming the rule and the key.
{
	cg_ctl_conf --set "max_outputs = 2"
	printf '[[rule]]\nname = "wide"\ninput = { port = "in0", destination = "239.25.1.1", dport = 5001 }\n'
	printf 'output = [ { port = "out0", destination = "239.25.241.1", dport = 6001 },\n'
	printf '  { port = "out0", destination = "239.25.241.2", dport = 6001 },\n'
	printf '  { port = "out0", destination = "239.25.241.3", dport = 6001 } ]\n'
} >"$CG_TMP/wide.toml"
rc=0
"$CG_CASTGATE" --check-config -c "$CG_TMP/wide.toml" >"$CG_TMP/wide.out" 2>&1 || rc=$?
cg_assert_true "a rule of 3 outputs with max_outputs = 2 is refused (exit status $rc)" \
	[ "$rc" -ne 0 ]
cg_assert_true "the refusal names the rule's outputs and dataplane max_outputs" \
	grep -q 'rule\[0\].output.*3 outputs.*max_outputs = 2' "$CG_TMP/wide.out"

# A table that cannot fit in memory_mb: the data plane's check says invalid (1, as
# castgate-dataplane(8) says), naming memory_mb, and a start refuses the configuration (2).
cg_ctl_conf --set "max_rules = 100000" | sed 's/^memory_mb = .*/memory_mb = 64/' >"$CG_TMP/mem.toml"
rc=0
"$CG_DP" -c "$CG_TMP/mem.toml" --check-config >"$CG_TMP/mem.out" 2>&1 || rc=$?
cg_assert_eq "castgate-dataplane --check-config of a table over memory_mb: exit status" 1 "$rc"
cg_assert_true "the refusal names dataplane.memory_mb" \
	grep -q 'dataplane.memory_mb = 64 is too small' "$CG_TMP/mem.out"
rc=0
"$CG_DP" -c "$CG_TMP/mem.toml" >"$CG_TMP/mem_start.out" 2>&1 || rc=$?
cg_assert_eq "castgate-dataplane started with a table over memory_mb: exit status" 2 "$rc"

{
	cg_ctl_conf --set "max_rules = $MAX" --set "max_outputs = 2"
	rules_toml 0 $N
} >"$conf"
t0=$(cg_now_ms)
cg_ctl_start "$conf"
cg_log "castgate with $N config rules ready in $(($(cg_now_ms) - t0)) ms"

cg_ctl_json info system info
cg_assert_eq "system.info: rule_table rules, slots" "$N $MAX" \
	"$(cg_json "$CG_TMP/info.json" '"%d %d" % (d["dataplane"]["rule_table"]["rules"], d["dataplane"]["rule_table"]["slots"])')"
cg_assert_ge "system.info: rule_table bytes_per_slot (a slot, its counters, index, hash)" 1500 \
	"$(cg_json "$CG_TMP/info.json" 'd["dataplane"]["rule_table"]["bytes_per_slot"]')"
cg_assert_eq "system.info: rule_table max_outputs" 2 \
	"$(cg_json "$CG_TMP/info.json" 'd["dataplane"]["rule_table"]["max_outputs"]')"
# Slots of 2 outputs: 1216 B, against 2368 B for 16 (the counters and the rest as before).
cg_assert_true "system.info: bytes_per_slot below what slots of 16 outputs take" \
	[ "$(cg_json "$CG_TMP/info.json" 'd["dataplane"]["rule_table"]["bytes_per_slot"]')" -lt 2500 ]
cg_ctl_json list rule list
cg_assert_eq "rule list: all $N rules" $N "$(cg_json "$CG_TMP/list.json" 'len(d["rules"])')"
cg_assert_eq "rule list: names s0..s$((N - 1)), all from the config" "$N config" \
	"$(cg_json "$CG_TMP/list.json" '"%d %s" % (len(set(r["rule"]["name"] for r in d["rules"])), ",".join(sorted(set(r["origin"] for r in d["rules"]))))')"

# The same table a page at a time (castgatectl rule list --limit, then --after
# from each page's "more:" line): every rule once, in id order, 7000 per page.
pages=0 after=""
: >"$CG_TMP/paged.names"
while :; do
	cg_ctl_run page rule list --limit 7000 ${after:+--after "$after"}
	[ "$CG_RC" -eq 0 ] || { cg_fail "rule list --limit 7000 $after: exit $CG_RC"; break; }
	pages=$((pages + 1))
	awk '$1 ~ /^s[0-9]+$/ { print $1 }' "$CG_TMP/page.out" >>"$CG_TMP/paged.names"
	after=$(sed -n 's/^more: rule list --after \([0-9]*\)$/\1/p' "$CG_TMP/page.out")
	[ -n "$after" ] && [ $pages -lt 10 ] || break
done
cg_assert_eq "rule list in pages of 7000: pages" $(((N + 6999) / 7000)) $pages
cg_assert_eq "rule list in pages: every rule once" "$N $N" \
	"$(wc -l <"$CG_TMP/paged.names") $(sort -u "$CG_TMP/paged.names" | wc -l)"

# Traffic to the first, a middle and the last rule, each counted at its own group.
for i in 0 $((N / 2)) $((N - 1)); do
	cg_recv_start "r$i" "$CG_NS_SINK" "$(group_out $i):6001" --iface "$CG_IF_SINK" \
		--expect $COUNT --idle-timeout 2
done
cg_recv_start r0b "$CG_NS_SINK" "239.25.240.1:6001" --iface "$CG_IF_SINK" \
	--expect $COUNT --idle-timeout 2
for i in 0 $((N / 2)) $((N - 1)); do
	cg_send "s$i" "$CG_NS_GEN" --dst "$(group_in $i):5001" --iface "$CG_IF_GEN" \
		--count $COUNT --rate 2000 --sport 4001
done
for i in 0 $((N / 2)) $((N - 1)); do
	cg_recv_wait "r$i"
	cg_assert_eq "rule s$i: received at $(group_out $i)" $COUNT \
		"$(cg_json "$CG_TMP/r$i.json" 'd["received"]')"
	cg_assert_eq "rule s$i: lost" 0 "$(cg_json "$CG_TMP/r$i.json" 'd["lost"]')"
	cg_ctl_json "show$i" rule show "s$i"
	cg_assert_eq "rule s$i: rx_packets" $COUNT \
		"$(cg_json "$CG_TMP/show$i.json" 'd["stats"]["rx_packets"]')"
done
cg_recv_wait r0b
cg_assert_eq "rule s0: its second output received at 239.25.240.1" $COUNT \
	"$(cg_json "$CG_TMP/r0b.json" 'd["received"]')"

# Three outputs do not fit a slot of two: refused by control, naming the key.
rc=0
"$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json call rule.add \
	'{"rule":{"name":"wide","input":{"port":"in0","destination":"239.25.121.1","dport":5001},"output":[{"port":"out0","destination":"239.25.241.1","dport":6001},{"port":"out0","destination":"239.25.241.2","dport":6001},{"port":"out0","destination":"239.25.241.3","dport":6001}]}}' \
	>"$CG_TMP/wide_add.out" 2>&1 || rc=$?
cg_assert_true "rule.add of 3 outputs with max_outputs = 2 fails (exit status $rc)" [ "$rc" -ne 0 ]
cg_assert_true "its error names max_outputs and the field params.rule.output" \
	grep -q 'max_outputs = 2).*field params.rule.output' "$CG_TMP/wide_add.out"

# A batch (rule.add with "rules") of two for the one free slot: all or
# nothing, so the error names the second rule and the first is not kept.
r1='{"name":"extra1","input":{"port":"in0","destination":"239.25.120.1","dport":5001},"output":[{"port":"out0","destination":"239.25.250.1","dport":6001}]}'
r2='{"name":"extra2","input":{"port":"in0","destination":"239.25.120.2","dport":5001},"output":[{"port":"out0","destination":"239.25.250.2","dport":6001}]}'
rc=0
"$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json call rule.add "{\"rules\":[$r1,$r2]}" \
	>"$CG_TMP/batch.out" 2>&1 || rc=$?
cg_assert_true "a batch past max_rules fails (exit status $rc)" [ "$rc" -ne 0 ]
cg_assert_true "its error names the rule that did not fit" grep -q 'rules\[1\] (\\\?"extra2' \
	"$CG_TMP/batch.out"
cg_assert_true "its error says the table is full" grep -q 'rule table full' "$CG_TMP/batch.out"
rc=0
"$CG_CTL_BIN" -s "$CG_CTL_SOCK" rule show extra1 >/dev/null 2>&1 || rc=$?
cg_assert_eq "the batch's first rule is not kept (rule show exit status)" 4 "$rc"

# The last free slot, then one too many: a JSON-RPC error naming the limit.
cg_ctl_expect 0 add1 rule add extra1 --in in0,239.25.120.1,5001 --out out0,239.25.250.1,6001
rc=0
"$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json call rule.add \
	'{"rule":{"name":"extra2","input":{"port":"in0","destination":"239.25.120.2","dport":5001},"output":[{"port":"out0","destination":"239.25.250.2","dport":6001}]}}' \
	>"$CG_TMP/add2.out" 2>&1 || rc=$?
cg_assert_true "rule.add past max_rules fails (exit status $rc)" [ "$rc" -ne 0 ]
cg_assert_true "its error says the table is full" grep -q 'rule table full' "$CG_TMP/add2.out"
cg_assert_true "its error names max_rules" grep -q 'max_rules' "$CG_TMP/add2.out"
cg_ctl_json info2 system info
cg_assert_eq "system.info after: $MAX rules" $MAX \
	"$(cg_json "$CG_TMP/info2.json" 'd["dataplane"]["rule_table"]["rules"]')"

cg_ctl_stop
cg_finish
