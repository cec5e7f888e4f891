#!/usr/bin/env bash
# (12) A full stop and start of castgate, then reloads:
#  - SIGTERM to the supervisor: everything exits within 10 s, status 0, the
#    socket is removed; the state file holds the API rules (an added rule,
#    not a removed one).
#  - Start again: the rule set is the one before the stop (config and API
#    rules, origins, ids) and the API rule forwards.
#  - SIGHUP after editing the file's rules: config.check shows the diff; the
#    added rule appears, the changed one changes (TTL on the wire), the
#    removed one disappears (nothing arrives for it), the API rule stays.
#  - A reload whose new file rule has the match of an API rule is refused
#    (config.reload: -32004 naming both rules, castgatectl exit 1; SIGHUP:
#    nothing happens) and changes nothing.
#  - Id-less rules added to the file never take an API rule's automatic id,
#    so the API rule survives the next restart.
#  - A state file that cannot be read: API rules read-only (add, update,
#    batch add and remove refused, castgate-control runs on), health
#    degraded, the file untouched; fixed and control restarted, adds work.
#  - A state rule kept out by a config rule's name goes in at the reload
#    that frees the name.
#  - A config edit that fails the check: health degraded, naming the key.
#  - The state file removed or its journal cut while castgate runs: written
#    again from the running rules; a restart finds every acknowledged rule.
#  - A second castgate with the running one's state file or file prefix is
#    refused (exit 1) and takes nothing of it; a start refuses what
#    --check-config refuses (exit 2), e.g. max_rules beyond memory_mb.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 12
cg_ctl_init
NP=1000
SIZE=500
cg_topo_relay
conf=$CG_TMP/castgate.toml

# rule_conf NAME IN_GROUP IN_PORT OUT_GROUP OUT_PORT TTL: one [[rule]].
rule_conf() {
	cat <<EOF

[[rule]]
name = "$1"
input = { port = "in0", destination = "$2", dport = $3 }
[[rule.output]]
port = "out0"
destination = "$4"
dport = $5
ttl = $6
EOF
}
base_conf=$CG_TMP/base.toml
cg_ctl_conf >"$base_conf"
{
	cat "$base_conf"
	rule_conf cfg1 239.12.1.1 5001 239.12.2.1 6001 2
	rule_conf cfg2 239.12.1.2 5002 239.12.2.2 6002 3
} >"$conf"
cg_ctl_start "$conf"
cg_ctl_expect 0 add1 rule add api1 --in in0,239.12.1.3,5003 --out out0,239.12.2.3,6003,ttl=6
cg_ctl_expect 0 add2 rule add api2 --in in0,239.12.1.5,5005 --out out0,239.12.2.5,6005
cg_ctl_expect 0 del2 rule del api2
cg_ctl_json list0 rule list
list0=$(cg_ctl_rules_norm "$CG_TMP/list0.json")
cg_assert_eq "rules before the stop" '["api1","cfg1","cfg2"]' \
	"$(cg_json "$CG_TMP/list0.json" 'sorted(r["rule"]["name"] for r in d["rules"])')"

# Full stop.
dp_pid=$(cg_ctl_child_pid dataplane)
ctl_pid=$(cg_ctl_child_pid control)
cg_ctl_stop 10
cg_assert_le "stop took (ms)" 10000 "$CG_STOP_MS"
cg_assert_true "castgate-dataplane $dp_pid exited" test ! -e "/proc/$dp_pid/exe"
cg_assert_true "castgate-control $ctl_pid exited" test ! -e "/proc/$ctl_pid/exe"
cg_assert_true "the control socket is removed" test ! -e "$CG_CTL_SOCK"
cg_assert_eq "state file: the API rule, not the removed one" '["api1"]' \
	"$(cg_state_names)"

# Start again: the same rules, and the API rule forwards.
cg_ctl_start "$conf"
cg_ctl_json list1 rule list
cg_assert_eq "rules after the restart = before the stop" "$list0" "$(cg_ctl_rules_norm "$CG_TMP/list1.json")"

# flows TAG "NAME IN OUT TTL|none"...: receivers for each OUT, one sender per
# IN, then check each: NP packets with TTL, or none at all.
flows() {
	local tag=$1 f name in out ttl
	shift
	for f in "$@"; do
		read -r name in out ttl <<<"$f"
		cg_recv_start "r${tag}_$name" "$CG_NS_SINK" "$out" --iface "$CG_IF_SINK" \
			--expect $NP --count $NP
	done
	for f in "$@"; do
		read -r name in out ttl <<<"$f"
		cg_send "s${tag}_$name" "$CG_NS_GEN" --dst "$in" --iface "$CG_IF_GEN" --rate 10000 \
			--count $NP --size $SIZE
	done
	for f in "$@"; do
		read -r name in out ttl <<<"$f"
		[ "$ttl" = none ] && continue
		cg_recv_wait "r${tag}_$name" 15 || continue
		cg_json_eqs "$CG_TMP/r${tag}_$name.json" \
			"[$tag] $name: received" $NP 'd["received"]' \
			"[$tag] $name: lost" 0 'd["lost"]' \
			"[$tag] $name: TTL" "[$ttl]" 'd["ttl_seen"]'
	done
	# A flow without a rule: after the others are through, it has nothing.
	sleep 0.3
	for f in "$@"; do
		read -r name in out ttl <<<"$f"
		[ "$ttl" = none ] || continue
		cg_recv_stop "r${tag}_$name" || continue
		cg_assert_eq "[$tag] $name: nothing arrives" 0 \
			"$(cg_json "$CG_TMP/r${tag}_$name.json" 'd["received"]')"
	done
}
flows restart "api1 239.12.1.3:5003 239.12.2.3:6003 6" "cfg1 239.12.1.1:5001 239.12.2.1:6001 2" \
	"api2 239.12.1.5:5005 239.12.2.5:6005 none"

# Reload with SIGHUP: cfg1 changed (TTL 8), cfg2 removed, cfg3 added.
{
	cat "$base_conf"
	rule_conf cfg1 239.12.1.1 5001 239.12.2.1 6001 8
	rule_conf cfg3 239.12.1.4 5004 239.12.2.4 6004 4
} >"$conf"
cg_ctl_json check config check
c=$CG_TMP/check.json
cg_json_eqs "$c" \
	"config check: valid" true 'd["valid"]' \
	"config check: reload diff" '[["cfg3"],["cfg1"],["cfg2"]]' \
	'[sorted(d["reload"][k]) for k in ("add", "update", "remove")]'
# Sections a reload does not apply are listed: here [supervisor] and [log].
{
	sed -e 's/^\[supervisor\]$/[supervisor]\nstop_timeout_s = 7/' "$base_conf"
	printf '\n[log]\nformat = "json"\n'
} >"$CG_TMP/sections.toml"
cg_ctl_json check_sections config check "$CG_TMP/sections.toml"
cg_assert_eq "config check: [supervisor] and [log] need a restart" '["log","supervisor"]' \
	"$(cg_json "$CG_TMP/check_sections.json" 'sorted(d["reload"]["restart_required"])')"
want='[["api","api1",6],["config","cfg1",8],["config","cfg3",4]]'
rules_now() {
	cg_ctl --json rule list >"$CG_TMP/$1.json" 2>/dev/null &&
		cg_json "$CG_TMP/$1.json" \
			'sorted([r["origin"], r["rule"]["name"], r["rule"]["output"][0]["ttl"]] for r in d["rules"])'
}
reloaded() { [ "$(rules_now list2)" = "$want" ]; }
kill -HUP "$CG_SUP_PID"
cg_assert_true "SIGHUP: the file's rules are applied" cg_wait_for 5 reloaded
cg_assert_eq "rules after SIGHUP" "$want" "$(rules_now list2)"
flows hup "cfg1 239.12.1.1:5001 239.12.2.1:6001 8" "cfg3 239.12.1.4:5004 239.12.2.4:6004 4" \
	"cfg2 239.12.1.2:5002 239.12.2.2:6002 none" "api1 239.12.1.3:5003 239.12.2.3:6003 6"

# A reload that conflicts with api1 (cfg4 has api1's match) and would also
# remove cfg3: refused as a whole.
list2=$(cg_ctl_rules_norm "$CG_TMP/list2.json")
{
	cat "$base_conf"
	rule_conf cfg1 239.12.1.1 5001 239.12.2.1 6001 8
	rule_conf cfg4 239.12.1.3 5003 239.12.2.6 6006 5
} >"$conf"
cg_ctl_expect 1 reload_bad config reload
cg_assert_true "refused reload names the file rule" grep -q 'cfg4' "$CG_TMP/reload_bad.err"
cg_assert_true "refused reload names the API rule" grep -q 'api1' "$CG_TMP/reload_bad.err"
cg_rpc_line rl '{"jsonrpc":"2.0","method":"config.reload","id":1}'
cg_assert_eq "config.reload refused: -32004" -32004 "$(cg_json "$CG_TMP/rl.json" 'd["replies"][0]["error"]["code"]')"
cg_ctl_json list3 rule list
cg_assert_eq "refused reload changes nothing" "$list2" "$(cg_ctl_rules_norm "$CG_TMP/list3.json")"
# A SIGHUP has no reply: wait for castgate-control's audit line of the
# refused SIGHUP reload (else this check could pass with SIGHUP ignored).
refusals() { grep -c 'via=SIGHUP.*result=refused' "$CG_TMP/$CG_SUP_LOG.err" || true; }
nref=$(refusals)
more_refusals() { [ "$(refusals)" -gt "$nref" ]; }
kill -HUP "$CG_SUP_PID"
cg_assert_true "SIGHUP: the conflicting reload is refused (log)" cg_wait_for 5 more_refusals
cg_ctl_json list4 rule list
cg_assert_eq "refused SIGHUP reload changes nothing" "$list2" "$(cg_ctl_rules_norm "$CG_TMP/list4.json")"
cg_assert_true "supervisor still running after the refused SIGHUP" kill -0 "$CG_SUP_PID"
flows refused "cfg3 239.12.1.4:5004 239.12.2.4:6004 4" "api1 239.12.1.3:5003 239.12.2.3:6003 6"

# The file grows id-less rules (they take ids 1, 2, 3): none may take the
# id of api1 (an automatic API id), neither at the reload nor at the next
# start, where a clash would skip api1.
{
	cat "$base_conf"
	rule_conf cfg1 239.12.1.1 5001 239.12.2.1 6001 8
	rule_conf cfg3 239.12.1.4 5004 239.12.2.4 6004 4
	rule_conf cfg5 239.12.1.6 5006 239.12.2.6 6006 5
} >"$conf"
cg_ctl_expect 0 reload_ids config reload
cg_ctl_stop 10
cg_ctl_start "$conf"
cg_ctl_json list5 rule list
cg_json_eqs "$CG_TMP/list5.json" \
	"ids after id-less file rules and a restart" \
	'[["api","api1",1048576],["config","cfg1",1],["config","cfg3",2],["config","cfg5",3]]' \
	'sorted([r["origin"], r["rule"]["name"], r["rule"]["id"]] for r in d["rules"])'
"$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json system health >"$CG_TMP/health.json" || true
cg_assert_eq "health after the restart: no state rule skipped" ok \
	"$(cg_json "$CG_TMP/health.json" 'd["status"]')"
flows ids "api1 239.12.1.3:5003 239.12.2.3:6003 6" "cfg5 239.12.1.6:5006 239.12.2.6:6006 5"

# A state file that cannot be read (API.md): left as it is, the API rules
# read-only (every change refused with -32004, castgate-control runs on),
# system.health degraded; fixed and control restarted, changes work again.
cg_ctl_stop 10
cp "$CG_STATE_FILE" "$CG_TMP/state.good"
rm -f "$CG_STATE_FILE.journal"
printf '{"castgate_state": 2, bogus\n' >"$CG_STATE_FILE"
bad_sum=$(md5sum <"$CG_STATE_FILE")
cg_ctl_start "$conf"
ctl_pid=$(cg_ctl_child_pid control)
cg_ctl_expect 1 ro_add rule add ro1 --in in0,239.12.1.9,5009 --out out0,239.12.2.9,6009
cg_assert_true "read-only: rule add says why" grep -q "API rules are read-only" "$CG_TMP/ro_add.err"
cg_ctl_expect 1 ro_upd rule update api1 --in in0,239.12.1.3,5003 --out out0,239.12.2.3,6003,ttl=9
cg_assert_true "read-only: rule update says why" grep -q "API rules are read-only" "$CG_TMP/ro_upd.err"
cg_ctl_expect 1 ro_batch call rule.add '{"rules": [{"name": "ro2", "input": {"port": "in0",
	"destination": "239.12.1.10", "dport": 5010}, "output": [{"port": "out0",
	"destination": "239.12.2.10", "dport": 6010}]}]}'
cg_ctl_expect 1 ro_del rule remove api1
cg_assert_true "read-only: rule remove says why" grep -q "API rules are read-only" "$CG_TMP/ro_del.err"
cg_assert_eq "read-only: castgate-control was not restarted" "$ctl_pid" "$(cg_ctl_child_pid control)"
"$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json system health >"$CG_TMP/health_ro.json" || true
cg_assert_eq "read-only: health" degraded "$(cg_json "$CG_TMP/health_ro.json" 'd["status"]')"
cg_assert_eq "read-only: the state file is left as it was" "$bad_sum" "$(md5sum <"$CG_STATE_FILE")"
cp "$CG_TMP/state.good" "$CG_STATE_FILE"
kill -TERM "$ctl_pid"
cg_assert_true "fixed file: castgate-control started again" \
	cg_wait_for 15 cg_ctl_control_replaced "$ctl_pid"
cg_ctl_expect 0 rw_add rule add ro1 --in in0,239.12.1.9,5009 --out out0,239.12.2.9,6009
cg_ctl_expect 0 rw_del rule remove ro1

# A state rule kept out by a config rule of its name (health degraded) is
# installed by the reload that frees the name; it once waited for a restart
# of castgate-control.
cg_ctl_expect 0 add_clash rule add clash1 --in in0,239.12.1.13,5013 --out out0,239.12.2.13,6013
cg_ctl_stop 10
cp "$conf" "$CG_TMP/conf.noclash"
rule_conf clash1 239.12.1.14 5014 239.12.2.14 6014 7 >>"$conf"
cg_ctl_start "$conf"
cg_ctl_expect 1 health_clash system health
cg_assert_true "the state rule kept out by the config's name is reported" \
	grep -q "state rule clash1: not installed" "$CG_TMP/health_clash.out"
cp "$CG_TMP/conf.noclash" "$conf"
cg_ctl_expect 0 reload_free config reload
cg_ctl_expect 0 health_freed system health
cg_ctl_json list7 rule list
cg_json_eqs "$CG_TMP/list7.json" "after the reload, clash1 is the API rule" '["api",6013]' \
	'[[r["origin"], r["rule"]["output"][0]["dport"]] for r in d["rules"] if r["rule"]["name"] == "clash1"][0]'
flows freed "clash1 239.12.1.13:5013 239.12.2.13:6013 64"
cg_ctl_expect 0 del_clash rule remove clash1

# An edit that fails the check, reloaded or not: what runs is unchanged, but
# a process restarted into it would not start, so health says so within a
# tick and names the key (it once said ok until a crash stopped forwarding).
cp "$conf" "$CG_TMP/conf.good"
sed -i 's/^idle_sleep_us = /idle_sleeep_us = /' "$conf"
health_config() {
	"$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json system health >"$CG_TMP/hc.json" 2>/dev/null || true
	cg_json "$CG_TMP/hc.json" '"%s %s" % (d["status"], d["checks"]["config"].get("error", "-"))'
}
config_failing() { [[ "$(health_config)" == "degraded "*idle_sleeep_us* ]]; }
config_passing() { [ "$(health_config)" = "ok -" ]; }
cg_assert_true "a bad edit: health degraded, naming the key" cg_wait_for 5 config_failing
cg_ctl_expect 1 health_bad_edit system health
cg_assert_true "castgatectl system health shows the config check" \
	grep -q "^config .*FAILED: .*idle_sleeep_us" "$CG_TMP/health_bad_edit.out"
cp "$CG_TMP/conf.good" "$conf"
cg_assert_true "the file fixed: health ok again" cg_wait_for 5 config_passing

# The state file's directory made read-only while castgate runs: health
# says every change would fail (it said ok until the first change failed).
sdir=$(dirname "$CG_STATE_FILE")
if mount --bind "$sdir" "$sdir" && mount -o remount,bind,ro "$sdir"; then
	cg_ctl_expect 1 health_ro_dir system health
	umount "$sdir"
	cg_assert_true "a read-only state directory: health says changes would fail" \
		grep -q "directory is not writable: every rule change would fail" \
		"$CG_TMP/health_ro_dir.out"
	cg_ctl_expect 0 health_rw_dir system health
else
	umount "$sdir" 2>/dev/null || true
	cg_fail "could not bind-mount $sdir read-only"
fi

# The state file removed, or its journal cut, under a running castgate (by
# hand): castgate-control writes it again from the running rules within a
# tick, and a change after it is durable too (it once went to a journal
# that a restart ignored): a restart finds every acknowledged rule.
rm -f "$CG_STATE_FILE"
cg_assert_true "a removed state file is written again" cg_wait_for 5 test -s "$CG_STATE_FILE"
cg_assert_eq "... with the running API rule" '["api1"]' "$(cg_state_names)"
rm -f "$CG_STATE_FILE"
cg_ctl_expect 0 add_gone rule add gone1 --in in0,239.12.1.11,5011 --out out0,239.12.2.11,6011
cg_assert_eq "a change right after the removal is in the file" '["api1","gone1"]' \
	"$(cg_state_names)"
cg_ctl_expect 0 add_gone2 rule add gone2 --in in0,239.12.1.12,5012 --out out0,239.12.2.12,6012
: >"$CG_STATE_FILE.journal"
cg_ctl_expect 0 del_gone2 rule remove gone2
cg_assert_eq "a change after the journal was cut is in the file" '["api1","gone1"]' \
	"$(cg_state_names)"
cg_assert_true "the log says the file was written again" \
	grep -q "was removed, replaced or cut while castgate-control ran" "$CG_TMP/$CG_SUP_LOG.err"
cg_ctl_stop 10
cg_ctl_start "$conf"
cg_ctl_json list6 rule list
cg_json_eqs "$CG_TMP/list6.json" "API rules after the restart" '["api1","gone1"]' \
	'sorted(r["rule"]["name"] for r in d["rules"] if r["origin"] == "api")'
cg_ctl_expect 0 del_gone rule remove gone1

# A second castgate that would share what the running one holds is refused
# before it starts anything, and the running one forwards on with its files
# (DEPLOYMENT.md): the same state file (exit 1), the same DPDK file prefix
# (exit 1; its stop once removed the first's hugepage files); and a start
# makes the checks of --check-config (exit 2: a file at the socket path,
# max_rules beyond memory_mb), where it once restarted a child forever.
own_run="s|^run_dir = .*|run_dir = \"$CG_TMP/run2\"|"
own_sock="s|^socket = .*|socket = \"$CG_TMP/second.sock\"|"
own_state="s|^state_file = .*|state_file = \"$CG_TMP/state2/rules.json\"|"
own_prefix="s|^file_prefix = .*|file_prefix = \"${CG_FILE_PREFIX}b\"|"
hugepages() { find /dev/hugepages -maxdepth 1 -name "${CG_FILE_PREFIX}map_*" | wc -l; }
# second NAME STATUS WORDS SED-EXPRESSIONS...: castgate with $conf edited
second() {
	local name=$1 want=$2 words=$3 rc=0
	shift 3
	local e=()
	for x in "$@"; do e+=(-e "$x"); done
	sed "${e[@]}" "$conf" >"$CG_TMP/$name.toml"
	timeout 30 "$CG_CASTGATE" -c "$CG_TMP/$name.toml" >"$CG_TMP/$name.out" \
		2>"$CG_TMP/$name.err" || rc=$?
	cg_assert_eq "$name: castgate's exit status" "$want" "$rc"
	cg_assert_true "$name: it says why ($words)" grep -q "$words" "$CG_TMP/$name.err"
}
pages=$(hugepages)
second same_state 1 "runs with state file $CG_STATE_FILE" "$own_run" "$own_sock" "$own_prefix"
second same_prefix 1 "file_prefix \"$CG_FILE_PREFIX\" is in use by a running DPDK primary" \
	"$own_run" "$own_sock" "$own_state"
: >"$CG_TMP/not_a_socket"
second file_at_socket 2 "not_a_socket exists and is not a socket" "$own_run" "$own_state" \
	"$own_prefix" "s|^socket = .*|socket = \"$CG_TMP/not_a_socket\"|"
second too_many_rules 2 "memory_mb" "$own_run" "$own_sock" "$own_state" "$own_prefix" \
	"s|^memory_mb = .*|memory_mb = 256\nmax_rules = 200000|"
cg_assert_eq "the running castgate's hugepage files are all there" "$pages" "$(hugepages)"
cg_assert_true "the running castgate's data plane runs on" kill -0 "$(cg_ctl_child_pid dataplane)"
cg_ctl_expect 0 health_after_second system health
flows second "api1 239.12.1.3:5003 239.12.2.3:6003 6"

cg_ctl_stop 10
cg_finish
