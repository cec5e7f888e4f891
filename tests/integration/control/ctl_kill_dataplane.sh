#!/usr/bin/env bash
# (11) kill -9 of castgate-dataplane, with two config rules and two API rules
# installed: the supervisor restarts it (a new pid) and then the control
# process (a new pid too); rule.list equals the list before the kill, origins
# and ids included; the API rules are in the state file and only they; a
# stream running across the kill resumes by itself; and a new stream through
# every one of the four rules is forwarded.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 11
cg_ctl_init
NP=2000
SIZE=500
cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf
	cat <<EOF

[[rule]]
name = "cfgA"
id = 10
input = { port = "in0", destination = "239.11.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.11.2.1"
dport = 6001
ttl = 3

[[rule]]
name = "cfgB"
input = { port = "in0", destination = "239.11.1.2", dport = 5002 }
[[rule.output]]
port = "out0"
destination = "239.11.2.2"
dport = 6002
EOF
} >"$conf"
cg_ctl_start "$conf"

cg_ctl_expect 0 addA rule add apiA --in in0,239.11.1.3,5003 --out out0,239.11.2.3,6003,ttl=9,sport=7003
cg_ctl_expect 0 addB rule add apiB --id 50 --in in0,239.11.1.4,5004 \
	--out out0,239.11.2.4,6004,ttl=11 --out out0,239.11.2.5,6005,ttl=12
cg_ctl_json before rule list
cg_assert_eq "rules before" '["apiA","apiB","cfgA","cfgB"]' \
	"$(cg_json "$CG_TMP/before.json" 'sorted(r["rule"]["name"] for r in d["rules"])')"
cg_assert_eq "origins before" '["api","api","config","config"]' \
	"$(cg_json "$CG_TMP/before.json" '[r["origin"] for r in sorted(d["rules"], key=lambda r: r["rule"]["name"])]')"
before=$(cg_ctl_rules_norm "$CG_TMP/before.json")
# The acknowledged API rules are on disk, and only they.
cg_assert_eq "state file holds the API rules" '["apiA","apiB"]' \
	"$(cg_state_names)"

# A stream through apiA runs across the kill: it must resume by itself.
cg_recv_start live "$CG_NS_SINK" 239.11.2.3:6003 --iface "$CG_IF_SINK" --interval 0.1 \
	--idle-timeout 0 --duration 60
cg_send_bg slive "$CG_NS_GEN" --dst 239.11.1.3:5003 --iface "$CG_IF_GEN" --rate 5000 \
	--duration 40 --size $SIZE --sport 4001
slive=$CG_LAST_PID
cg_assert_true "stream through apiA flowing before the kill" cg_recv_wait_count live 2500 10

dp_pid=$(cg_ctl_child_pid dataplane)
ctl_pid=$(cg_ctl_child_pid control)
cg_assert_ge "castgate-dataplane pid" 1 "$dp_pid"
t0=$(cg_now_ms)
kill -KILL "$dp_pid"
cg_log "killed castgate-dataplane (pid $dp_pid)"

new_dp_up() {
	local p
	p=$(cg_ctl_child_pid dataplane)
	[ -n "$p" ] && [ "$p" != "$dp_pid" ]
}
cg_assert_true "a new castgate-dataplane is started" cg_wait_for 20 new_dp_up
new_dp=$(cg_ctl_child_pid dataplane)
c_new=$(cg_recv_count live)
# Control is back when it answers and reports the new data plane.
ctl_back() {
	cg_ctl -t 1000 --json system info >"$CG_TMP/info.json" 2>/dev/null &&
		[ "$(cg_json "$CG_TMP/info.json" 'd["dataplane"]["pid"]')" = "$new_dp" ]
}
if cg_wait_for 30 ctl_back; then
	cg_pass "control answers with the new data plane $(($(cg_now_ms) - t0)) ms after the kill"
	# (the data plane reinstalls config and state-file rules itself; the
	# stream's resumption is usually seen before this point)
else
	cg_fail "control not back with data plane pid $new_dp within 30 s"
	cg_ctl_show_log
	exit 1
fi
new_ctl=$(cg_ctl_child_pid control)
cg_assert_true "castgate-control was restarted ($ctl_pid -> ${new_ctl:-none})" \
	test -n "$new_ctl" -a "$new_ctl" != "$ctl_pid"
cg_assert_true "the old castgate-dataplane is gone" test ! -e "/proc/$dp_pid/exe"
cg_assert_true "the old castgate-control is gone" test ! -e "/proc/$ctl_pid/exe"
i=$CG_TMP/info.json
cg_assert_eq "system.info dataplane restarts" 1 "$(cg_json "$i" 'd["dataplane"]["restarts"]')"
cg_assert_eq "system.info control pid" "${new_ctl:-none}" "$(cg_json "$i" 'd["control"]["pid"]')"
cg_ctl_json health system health
cg_assert_eq "system.health status" ok "$(cg_json "$CG_TMP/health.json" 'd["status"]')"
cg_assert_eq "system.health: no skipped state rule" 0 \
	"$(cg_json "$CG_TMP/health.json" 'd["checks"]["state"]["skipped"]')"

if cg_recv_wait_count live $((c_new + 500)) 10; then
	cg_pass "the stream through apiA resumed $(($(cg_now_ms) - t0)) ms after the kill (or earlier)"
else
	cg_fail "the stream through apiA did not resume after the restart"
fi
kill -TERM "$slive" 2>/dev/null || true
cg_send_wait slive "$slive" 10 || true
sleep 0.2 # the last packets through the relay
cg_recv_stop live
cg_json_eqs "$CG_TMP/live.json" \
	"stream across the kill: corrupt" 0 'd["corrupt"]' \
	"stream across the kill: duplicates" 0 'd["duplicates"]' \
	"stream across the kill: TTL" '[9]' 'd["ttl_seen"]' \
	"stream across the kill: UDP source port" '[7003]' 'd["sports_seen"]' \
	"stream across the kill: more than before the kill" true "d['received'] > $c_new"
cg_log "stream across the kill: $(cg_json "$CG_TMP/live.json" '"%d received, %d lost while the data plane restarted" % (d["received"], d["lost"])')"

cg_ctl_json after rule list
after=$(cg_ctl_rules_norm "$CG_TMP/after.json")
cg_assert_eq "rule.list after the restart = before (rules and origins)" "$before" "$after"

# A new stream through each rule: every packet arrives, rewritten.
# name input-group:port output-group:port ttl sport
flows=(
	"cfgA 239.11.1.1:5001 239.11.2.1:6001 3 4001"
	"cfgB 239.11.1.2:5002 239.11.2.2:6002 64 4001"
	"apiA 239.11.1.3:5003 239.11.2.3:6003 9 7003"
	"apiB 239.11.1.4:5004 239.11.2.4:6004 11 4001"
	"apiB2 239.11.1.4:5004 239.11.2.5:6005 12 4001"
)
for f in "${flows[@]}"; do
	read -r name _ out _ _ <<<"$f"
	cg_recv_start "r_$name" "$CG_NS_SINK" "$out" --iface "$CG_IF_SINK" --expect $NP --count $NP
done
for src in 239.11.1.1:5001 239.11.1.2:5002 239.11.1.3:5003 239.11.1.4:5004; do
	cg_send "s_${src//[.:]/_}" "$CG_NS_GEN" --dst "$src" --iface "$CG_IF_GEN" --rate 10000 \
		--count $NP --size $SIZE --sport 4001
done
for f in "${flows[@]}"; do
	read -r name _ out ttl sport <<<"$f"
	cg_recv_wait "r_$name" 15 || continue
	r=$CG_TMP/r_$name.json
	cg_assert_eq "$name: received" $NP "$(cg_json "$r" 'd["received"]')"
	cg_assert_eq "$name: lost" 0 "$(cg_json "$r" 'd["lost"]')"
	cg_assert_eq "$name: corrupt" 0 "$(cg_json "$r" 'd["corrupt"]')"
	cg_assert_eq "$name: destination" "[\"${out%:*}\"]" "$(cg_json "$r" 'd["dst_seen"]')"
	cg_assert_eq "$name: TTL" "[$ttl]" "$(cg_json "$r" 'd["ttl_seen"]')"
	cg_assert_eq "$name: UDP source port" "[$sport]" "$(cg_json "$r" 'd["sports_seen"]')"
done

cg_ctl_stop
cg_finish
