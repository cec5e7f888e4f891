#!/usr/bin/env bash
# (13) Bad input to the control socket gets the documented JSON-RPC errors
# and hurts nobody: malformed JSON and invalid UTF-8 (-32700), non-objects,
# a wrong "jsonrpc", unknown members, bad params types (-32600), unknown
# methods (-32601), bad params with data.field (-32602), unknown ports,
# update/remove of a config rule (-32004), duplicates by name, id and match
# (-32003), a missing rule (-32002), a 2 MiB line (-32600, connection closed),
# a request left unfinished, an idle connection and one connection over
# max_clients (-32006, closed), batches,
# pipelined requests and notifications; castgatectl's exit codes for the same.
# Meanwhile a second client stays connected and gets every answer; after
# all of it no process was restarted (same pids), the rule set is unchanged,
# and both rules forward.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 13
cg_ctl_init
NP=1000
MAXC=8
cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf --ctl 'request_timeout_ms = 1000' --ctl 'idle_timeout_ms = 3000' \
		--ctl "max_clients = $MAXC"
	cat <<EOF

[[rule]]
name = "cfgE"
id = 20
input = { port = "in0", destination = "239.13.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.13.2.1"
dport = 6001
ttl = 7
EOF
} >"$conf"
cg_ctl_start "$conf"
cg_ctl_expect 0 addE rule add apiE --in in0,239.13.1.2,5002 --out out0,239.13.2.2,6002,ttl=8
cg_ctl_json list0 rule list
list0=$(cg_ctl_rules_norm "$CG_TMP/list0.json")
dp_pid=$(cg_ctl_child_pid dataplane)
ctl_pid=$(cg_ctl_child_pid control)
# Restarts before this point (e.g. a secondary that could not map the primary's
# memory at start, which the supervisor answers with a restart) are not the
# errors' doing: the check at the end counts those from here on.
cg_ctl_json info0 system info
restarts0=$(cg_json "$CG_TMP/info0.json" 'd["control"]["restarts"] + d["dataplane"]["restarts"]')

# The bystander: connected throughout, a request every 0.1 s.
cg_rpc_hold_start hold
hold_pid=$CG_HOLD_PID

# The slow and the idle client run in the background meanwhile.
printf '{"jsonrpc":"2.0","method":"system.health",' |
	cg_rpc_send slow --no-shutdown --timeout 4 &
slow_pid=$!
: | cg_rpc_send idle --no-shutdown --timeout 6 &
idle_pid=$!

# rpc_err NAME LINE CODE [FIELD] [ID]: one request line on its own connection;
# the one reply is an error with CODE (and data.field FIELD, and id ID).
rpc_err() {
	local name=$1 line=$2 code=$3 field=${4:-} id=${5:-} checks=()
	cg_rpc_line "$name" "$line"
	checks=("$name: replies" 1 'len(d["replies"])'
		"$name: error code" "$code" 'd["replies"][0].get("error", {}).get("code")'
		"$name: jsonrpc" 2.0 'd["replies"][0].get("jsonrpc")')
	[ -z "$field" ] || checks+=("$name: data.field" "$field" \
		'd["replies"][0].get("error", {}).get("data", {}).get("field")')
	[ -z "$id" ] || checks+=("$name: id" "$id" 'd["replies"][0].get("id", "absent")')
	cg_json_eqs "$CG_TMP/$name.json" "${checks[@]}"
}
# q_err NAME LINE CODE FIELD ID: queue a request with a unique numeric ID;
# q_flush sends the queue pipelined on one connection (errors must not
# disturb the connection) and checks each reply, found by its id.
Q_LINES=()
Q_CHECKS=()
q_err() {
	local name=$1 line=$2 code=$3 field=$4 id=$5
	Q_LINES+=("$line")
	Q_CHECKS+=("$name: error code" "$code" "reply($id).get('error', {}).get('code')")
	[ -z "$field" ] || Q_CHECKS+=("$name: data.field" "$field" \
		"reply($id).get('error', {}).get('data', {}).get('field')")
}
q_flush() {
	printf '%s\n' "${Q_LINES[@]}" | cg_rpc_send "$1"
	cg_json_eqs "$CG_TMP/$1.json" \
		"$1: one reply per request" ${#Q_LINES[@]} 'len(d["replies"])' \
		"$1: connection still open" false 'd["send_error"] is not None' \
		"${Q_CHECKS[@]}"
	Q_LINES=()
	Q_CHECKS=()
}
rule_json() { # NAME IN_PORT IN_GROUP IN_DPORT OUT_PORT TTL [ID]
	local id=""
	[ -n "${7:-}" ] && id=",\"id\":$7"
	printf '{"name":"%s"%s,"input":{"port":"%s","destination":"%s","dport":%s},"output":[{"port":"%s","destination":"239.13.2.9","dport":6009,"ttl":%s}]}' \
		"$1" "$id" "$2" "$3" "$4" "$5" "$6"
}
req() { printf '{"jsonrpc":"2.0","method":"%s","params":%s,"id":%s}' "$1" "$2" "$3"; }

# Framing and request validation.
rpc_err parse '{"jsonrpc":"2.0","method":"system.health","id":1' -32700 "" null
printf '{"jsonrpc":"2.0","method":"\xff\xfe","id":2}\n' | cg_rpc_send utf8
cg_assert_eq "invalid UTF-8: error code" -32700 \
	"$(cg_json "$CG_TMP/utf8.json" 'd["replies"][0].get("error", {}).get("code")')"
rpc_err number '42' -32600 "" null
rpc_err string '"rule.list"' -32600 "" null
q_err jsonrpc1 '{"jsonrpc":"1.0","method":"system.health","id":4}' -32600 "" 4
q_err nojsonrpc '{"method":"system.health","id":5}' -32600 "" 5
q_err member '{"jsonrpc":"2.0","method":"system.health","param":{},"id":6}' -32600 "" 6
q_err paramstr '{"jsonrpc":"2.0","method":"rule.get","params":"apiE","id":7}' -32600 params 7
q_err method '{"jsonrpc":"2.0","method":"no.such.method","id":8}' -32601 method 8
q_err method_nul '{"jsonrpc":"2.0","method":"","id":9}' -32600 "" 9

# Bad params.
q_err ttl "$(req rule.add "{\"rule\":$(rule_json bad1 in0 239.13.1.9 5009 out0 300)}" 10)" \
	-32602 'params.rule.output[0].ttl' 10
q_err dport "$(req rule.add '{"rule":{"name":"bad2","input":{"port":"in0","destination":"239.13.1.9","dport":70000},"output":[{"port":"out0","destination":"239.13.2.9","dport":6009}]}}' 11)" \
	-32602 'params.rule.input.dport' 11
q_err norule "$(req rule.add '{}' 12)" -32602 'params.rule' 12
q_err noname "$(req rule.get '{}' 13)" -32602 'params.name' 13
q_err nametype "$(req rule.get '{"name":5}' 14)" -32602 'params.name' 14
q_err inport "$(req rule.add "{\"rule\":$(rule_json bad3 nope0 239.13.1.9 5009 out0 5)}" 15)" \
	-32602 'params.rule.input.port' 15
q_err outport "$(req rule.add "{\"rule\":$(rule_json bad4 in0 239.13.1.9 5009 nope1 5)}" 16)" \
	-32602 'params.rule.output[0].port' 16
q_err group "$(req rule.add "{\"rule\":$(rule_json bad5 in0 239.13.1.999 5009 out0 5)}" 17)" \
	-32602 'params.rule.input.destination' 17
# Config rules belong to the file; missing and duplicate rules.
q_err upd_cfg "$(req rule.update "{\"rule\":$(rule_json cfgE in0 239.13.1.1 5001 out0 9 20)}" 20)" \
	-32004 "" 20
q_err del_cfg "$(req rule.remove '{"name":"cfgE"}' 21)" -32004 "" 21
q_err del_missing "$(req rule.remove '{"name":"ghost"}' 22)" -32002 "" 22
q_err get_missing "$(req rule.get '{"name":"ghost"}' 23)" -32002 "" 23
q_err dup_name "$(req rule.add "{\"rule\":$(rule_json apiE in0 239.13.1.7 5007 out0 5)}" 24)" -32003 "" 24
q_err dup_cfgname "$(req rule.add "{\"rule\":$(rule_json cfgE in0 239.13.1.7 5007 out0 5)}" 25)" -32003 "" 25
q_err dup_match "$(req rule.add "{\"rule\":$(rule_json other in0 239.13.1.1 5001 out0 5)}" 26)" -32003 "" 26
q_err dup_id "$(req rule.add "{\"rule\":$(rule_json other in0 239.13.1.7 5007 out0 5 20)}" 27)" -32003 "" 27

q_flush many

# Pipelined requests, a notification, batches.
printf '%s\n%s\n%s\n' '{"jsonrpc":"2.0","method":"rule.list","id":"a"}' \
	'{"jsonrpc":"2.0","method":"no.such.method"}' \
	'{"jsonrpc":"2.0","method":"system.health","id":"b"}' | cg_rpc_send pipe
cg_json_eqs "$CG_TMP/pipe.json" \
	"pipelined: replies in order, notification unanswered" '["a","b"]' '[r.get("id") for r in d["replies"]]' \
	"pipelined: both results" '[true,true]' '["result" in r for r in d["replies"]]'
cg_rpc_line batch '[{"jsonrpc":"2.0","method":"system.health","id":30},{"jsonrpc":"2.0","method":"nope","id":31},{"jsonrpc":"2.0","method":"rule.list"},{"jsonrpc":"2.0","method":"rule.get","params":{"name":"apiE"},"id":32}]'
cg_json_eqs "$CG_TMP/batch.json" \
	"batch: one reply line" 1 'len(d["replies"])' \
	"batch: an array of 3 (notification left out)" '[30,31,32]' '[r.get("id") for r in d["replies"][0]]' \
	"batch: results and error" '["result",-32601,"result"]' \
	'["result" if "result" in r else r["error"]["code"] for r in d["replies"][0]]' \
	"batch: rule.get in a batch" apiE 'd["replies"][0][2]["result"]["rule"]["name"]'
rpc_err batch_empty '[]' -32600 "" null

# A 2 MiB line: refused with -32600 and the connection closed.
"$CG_PY" -c 'import sys; sys.stdout.write("{\"jsonrpc\":\"2.0\",\"method\":\"rule.get\",\"params\":{\"name\":\"" + "A" * (2 << 20) + "\"},\"id\":40}\n")' |
	cg_rpc_send big --no-shutdown --timeout 5
j=$CG_TMP/big.json
cg_json_eqs "$j" \
	"2 MiB line: one reply" 1 'len(d["replies"])' \
	"2 MiB line: error code" -32600 'd["replies"][0]["error"]["code"]' \
	"2 MiB line: id" null 'd["replies"][0].get("id", "absent")' \
	"2 MiB line: connection closed by the server" true 'd["eof"]'
cg_log "2 MiB line: $(cg_json "$j" '"%d bytes written before the close (%s)" % (d["sent"], d["send_error"])')"
# Just under the limit (~1000 KiB) is a request like any other, and the next
# request on the same connection is answered.
"$CG_PY" -c 'import sys; sys.stdout.write("{\"jsonrpc\":\"2.0\",\"method\":\"rule.get\",\"params\":{\"name\":\"" + "A" * 1000000 + "\"},\"id\":41}\n{\"jsonrpc\":\"2.0\",\"method\":\"system.health\",\"id\":42}\n")' |
	cg_rpc_send near
cg_json_eqs "$CG_TMP/near.json" \
	"1000 KiB request: answered, not cut" '[41,42]' '[r.get("id") for r in d["replies"]]' \
	"1000 KiB request: -32602 or -32002" true 'd["replies"][0]["error"]["code"] in (-32602, -32002)' \
	"after it: system.health answered" true '"result" in d["replies"][1]'

# castgatectl: the same refusals as exit codes, messages on stderr.
cg_ctl_expect 1 c_port rule add bad6 --in nope0,239.13.1.9,5009 --out out0,239.13.2.9,6009
cg_assert_true "castgatectl names the field" grep -q 'params.rule.input.port' "$CG_TMP/c_port.err"
cg_ctl_expect 1 c_dup rule add apiE --in in0,239.13.1.8,5008 --out out0,239.13.2.9,6009
# An explicit id of 4294967295 leaves no "one more": the next id-less rule
# gets the lowest free id from 1048576 up (it was refused: every id taken).
cg_ctl_expect 0 c_maxid rule add maxid --id 4294967295 --in in0,239.13.1.11,5011 \
	--out out0,239.13.2.11,6011
cg_ctl_expect 0 c_afterid rule add afterid --in in0,239.13.1.12,5012 --out out0,239.13.2.12,6012
cg_assert_true "after id 4294967295, an automatic id from 1048576 up" \
	grep -Eq "rule afterid added \(id 10485[0-9]{2}," "$CG_TMP/c_afterid.out"
cg_ctl_expect 0 c_maxid_del rule remove maxid
cg_ctl_expect 0 c_afterid_del rule remove afterid
# A batch that repeats a name or a match names both of its rules (it once
# spoke of a state rule that was not installed), and adds nothing.
b1='{"name": "b1", "input": {"port": "in0", "destination": "239.13.1.13", "dport": 5013}, "output": [{"port": "out0", "destination": "239.13.2.13", "dport": 6013}]}'
b2='{"name": "b2", "input": {"port": "in0", "destination": "239.13.1.13", "dport": 5013}, "output": [{"port": "out0", "destination": "239.13.2.14", "dport": 6014}]}'
cg_ctl_expect 1 c_batch_name call rule.add "{\"rules\": [$b1, $b1]}"
cg_assert_true "a batch repeating a name names both rules" \
	grep -q 'rules\[1\] ("b1"): same name as rules\[0\] ("b1") of this request' \
	"$CG_TMP/c_batch_name.err"
cg_ctl_expect 1 c_batch_match call rule.add "{\"rules\": [$b1, $b2]}"
cg_assert_true "a batch repeating a match names both rules" \
	grep -q 'rules\[1\] ("b2"): same match as rules\[0\] ("b1") of this request' \
	"$CG_TMP/c_batch_match.err"
cg_ctl_expect 4 c_batch_none rule show b1
# A unicast output ARP never resolves: the port's own address, its prefix's
# network and broadcast addresses (accepted once, and silently dropped).
for a in "own address:$CG_IP_ROUT0" "network address:$CG_NET.64" "broadcast address:$CG_NET.127"; do
	cg_ctl_expect 1 c_onlink rule add bad8 --in in0,239.13.1.10,5010 --out "out0,${a#*:},6010"
	cg_assert_true "an output to out0's ${a%%:*} is refused, and says so" \
		grep -q "${a#*:} is port out0's ${a%%:*}" "$CG_TMP/c_onlink.err"
done
cg_ctl_expect 1 c_delcfg rule del cfgE
cg_ctl_expect 4 c_showmissing rule show ghost
cg_ctl_expect 1 c_call call no.such.method
cg_ctl_expect 2 c_usage frobnicate
cg_ctl_expect 2 c_usage2 rule add
cg_ctl_expect 2 c_usage3 rule add bad7 --in in0,239.13.1.9 --out out0,239.13.2.9,6009
CG_RC=0
"$CG_CTL_BIN" -s "$CG_TMP/no-such.sock" system health >/dev/null 2>"$CG_TMP/c_nosock.err" || CG_RC=$?
cg_assert_eq "castgatectl on a missing socket: exit status" 3 "$CG_RC"

# The slow request and the idle connection were cut with -32006.
wait "$slow_pid" || true
wait "$idle_pid" || true
for n in slow idle; do
	cg_json_eqs "$CG_TMP/$n.json" \
		"$n client: one reply" 1 'len(d["replies"])' \
		"$n client: -32006" -32006 'd["replies"][0]["error"]["code"]' \
		"$n client: closed by the server" true 'd["eof"]'
done

# Connection limit: with the bystander connected, MAXC-1 more fill the
# server; one more is told -32006 and closed; the others keep working.
if "$CG_PY" -c "$CG_RPC_PY" flood "$CG_CTL_SOCK" $((MAXC - 1)) >"$CG_TMP/flood.json" \
	2>"$CG_TMP/flood.err"; then
	cg_json_eqs "$CG_TMP/flood.json" \
		"$((MAXC - 1)) more clients served" $((MAXC - 1)) 'd["ok_before"]' \
		"client $((MAXC + 1)): -32006" -32006 'd["extra"][0]["error"]["code"]' \
		"client $((MAXC + 1)): closed" true 'd["extra_eof"]' \
		"the $((MAXC - 1)) still served after it" $((MAXC - 1)) 'd["ok_after"]'
else
	cg_fail "connection-limit client failed"
	sed 's/^/  | /' "$CG_TMP/flood.err" >&2
fi

# The bystander got every answer, on the same connection.
cg_rpc_hold_stop hold "$hold_pid"
h=$CG_TMP/hold.json
cg_log "bystander: $(cat "$h")"
cg_json_eqs "$h" \
	"bystander: at least 20 requests" true 'd["requests"] >= 20' \
	"bystander: every request answered" true 'd["ok"] == d["requests"] and not d["failures"]' \
	"bystander: still connected" true 'd["connected"]'

# Nothing was restarted, nothing changed, and it all still forwards.
cg_assert_eq "castgate-control pid unchanged" "$ctl_pid" "$(cg_ctl_child_pid control)"
cg_assert_eq "castgate-dataplane pid unchanged" "$dp_pid" "$(cg_ctl_child_pid dataplane)"
cg_ctl_json info system info
cg_json_eqs "$CG_TMP/info.json" \
	"system.info: no restart since the start" "$restarts0" \
	'd["control"]["restarts"] + d["dataplane"]["restarts"]' \
	"system.info: rpc cut_oversize" 1 'd["rpc"]["cut_oversize"]' \
	"system.info: rpc cut_slow" 1 'd["rpc"]["cut_slow"]' \
	"system.info: rpc cut_idle" 1 'd["rpc"]["cut_idle"]' \
	"system.info: rpc refused_full" 1 'd["rpc"]["refused_full"]'
# The audit line of a refusal before the rule was read names no rule.
cg_assert_true "audit: rule.add without params.rule logs rule=-" \
	grep -q 'rule.add refused: params.rule: required .* rule=- result=refused' \
	"$CG_TMP/$CG_SUP_LOG.err"
cg_ctl_json list1 rule list
cg_assert_eq "rule set unchanged" "$list0" "$(cg_ctl_rules_norm "$CG_TMP/list1.json")"
cg_assert_eq "state file unchanged" '["apiE"]' \
	"$(cg_state_names)"
cg_recv_start r1 "$CG_NS_SINK" 239.13.2.1:6001 --iface "$CG_IF_SINK" --expect $NP --count $NP
cg_recv_start r2 "$CG_NS_SINK" 239.13.2.2:6002 --iface "$CG_IF_SINK" --expect $NP --count $NP
cg_send s1 "$CG_NS_GEN" --dst 239.13.1.1:5001 --iface "$CG_IF_GEN" --rate 10000 --count $NP --size 500
cg_send s2 "$CG_NS_GEN" --dst 239.13.1.2:5002 --iface "$CG_IF_GEN" --rate 10000 --count $NP --size 500
cg_recv_wait r1 15
cg_recv_wait r2 15
cg_json_eqs "$CG_TMP/r1.json" "cfgE forwards: received" $NP 'd["received"]' \
	"cfgE forwards: TTL" '[7]' 'd["ttl_seen"]'
cg_json_eqs "$CG_TMP/r2.json" "apiE forwards: received" $NP 'd["received"]' \
	"apiE forwards: TTL" '[8]' 'd["ttl_seen"]'

cg_ctl_stop
cg_finish
