#!/usr/bin/env bash
# (30) The event stream and silence alarms. A rule with [control]
# silence_ms = 700 carries a stream; the sender stops: the alarm is raised
# 700 ms after the last packet (within one 100 ms sampling period), logged
# once, in rule.get and stats.get, and a subscriber got silence.raised; the
# sender resumes: silence.cleared (reason traffic). A subscriber that never
# reads while 20000 events are pushed: its queue fills, the excess is dropped
# and counted (its next event says how many), nothing is cut, and a rule.add
# from another client answers as fast as before. Last, kill -9 of the data
# plane: the subscriber, reconnecting with the data plane it knew, is told
# dataplane.restarted. castgatectl events prints all of it, and --json each
# event's JSON.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 30
cg_ctl_init
SILENCE=700
TICK=100
cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf --ctl "silence_ms = $SILENCE"
	cat <<EOF

[[rule]]
name = "cam"
input = { port = "in0", destination = "239.30.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.30.2.1"
dport = 6001

[[rule]]
name = "quiet"
silence_ms = 0
input = { port = "in0", destination = "239.30.1.2", dport = 5002 }
[[rule.output]]
port = "out0"
destination = "239.30.2.2"
dport = 6002
EOF
} >"$conf"
# test.emit, for the flood below.
export CASTGATE_TEST_HOOKS=1
cg_ctl_start "$conf"
log=$CG_TMP/$CG_SUP_LOG.err
EV=$CG_TMP/events.jsonl
SLOW=$CG_TMP/slow.jsonl

# ev EXPR: EXPR over the subscriber's lines L (dicts) and its events E (params).
ev() {
	"$CG_PY" - "$1" "$2" <<'PY'
import json, sys
L = [json.loads(x) for x in open(sys.argv[1]) if x.strip()]
E = [x["msg"]["params"] for x in L if "msg" in x and x["msg"].get("method") == "event"]
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}
# sil RULE KEY: rule.get's stats.silence.KEY of RULE.
sil() {
	cg_ctl --json rule show "$1" 2>/dev/null |
		"$CG_PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["stats"]["silence"].get(sys.argv[1])))' "$2"
}

cg_bg sub "$CG_PY" "$CG_LIB_DIR/cg_events.py" "$CG_CTL_SOCK" "$EV" "$CG_TMP/sub.stop" \
	--types silence,dataplane --reconnect
cg_bg slow "$CG_PY" "$CG_LIB_DIR/cg_events.py" "$CG_CTL_SOCK" "$SLOW" "$CG_TMP/slow.stop" \
	--types test --hold "$CG_TMP/slow.go"
cg_bg ctlev "$CG_CTL_BIN" -s "$CG_CTL_SOCK" events --types silence,dataplane
ctlev=$CG_LAST_PID
cg_bg ctljson "$CG_CTL_BIN" -s "$CG_CTL_SOCK" events --json --types silence
ctljson=$CG_LAST_PID
subscribed() { [ "$(ev "$1" 'sum(1 for x in L if "result" in x)' 2>/dev/null)" = 1 ]; }
cg_assert_true "subscriber subscribed" cg_wait_for 5 subscribed "$EV"
cg_assert_true "slow subscriber subscribed" cg_wait_for 5 subscribed "$SLOW"
cg_assert_eq "subscribe result: the classes asked for" '["silence", "dataplane"]' \
	"$(ev "$EV" 'L[0]["result"]["types"]')"
cg_assert_eq "subscribe result: the data plane's pid" "$(cg_ctl_child_pid dataplane)" \
	"$(ev "$EV" 'L[0]["result"]["dataplane"]["pid"]')"
cg_assert_eq "rule.get: cam's silence_ms is [control]'s" $SILENCE "$(sil cam silence_ms)"
cg_assert_eq "rule.get: quiet's own 0 turns it off" 0 "$(sil quiet silence_ms)"

# Nothing received since its installation: raised silence_ms after control
# first saw it (as an event, or in the subscribe result when the subscriber
# came later), then cleared by the stream's first packet.
first_raised() { [ "$(sil cam alarm)" = true ]; }
cg_assert_true "raised for a rule that never received anything" cg_wait_for 3 first_raised
cg_assert_eq "... with no last packet" '[null, 1]' \
	"$(ev "$EV" '([[e["last_rx_unix_ms"], e["raised"]] for e in E if e["type"] == "silence.raised"] + [[a["last_rx_unix_ms"], 1] for a in L[0]["result"]["silence_alarms"]])[0]')"

# A stream, then silence.
cg_send s0 "$CG_NS_GEN" --dst 239.30.1.1:5001 --iface "$CG_IF_GEN" --rate 500 --duration 2 \
	--size 200
stopped=$(cg_now_ms)
cg_assert_eq "no alarm right after the stream" false "$(sil cam alarm)"
raised() { [ "$(sil cam alarm)" = true ]; }
cg_assert_true "cam's alarm raised" cg_wait_for 3 raised
seen=$(($(cg_now_ms) - stopped))
cg_log "alarm seen by rule.get $seen ms after the sender ended"
# The raise after the stream: the first with a last packet.
RAISED='[e for e in E if e["type"] == "silence.raised" and e["last_rx_unix_ms"]]'
got_raised() { [ "$(ev "$EV" "len($RAISED)")" -ge 1 ]; }
cg_assert_true "silence.raised delivered" cg_wait_for 2 got_raised
mapfile -t r < <(ev "$EV" "${RAISED}[0]" |
	"$CG_PY" -c 'import json,sys; e=json.load(sys.stdin); [print(e.get(k)) for k in ("rule","silence_ms","raised","since_unix_ms","last_rx_unix_ms")]')
cg_assert_eq "silence.raised: rule" cam "${r[0]}"
cg_assert_eq "silence.raised: silence_ms" $SILENCE "${r[1]}"
cg_assert_eq "silence.raised: raised count" 2 "${r[2]}"
after=$((r[3] - r[4]))
cg_log "raised $after ms after the sample that saw the last packet (silence_ms $SILENCE, tick $TICK)"
# (Both stamps are the wall-clock times of their timer ticks, not of the
# reads, each truncated to the millisecond: their difference may be 1 ms
# short. Stamped at the reads, a late read of the sample that saw the last
# packet once made it 696 ms.)
cg_assert_ge "raised no earlier than silence_ms after the last packet" $((SILENCE - 1)) "$after"
# Samples are whole ticks apart on the sampler's clock (its timer's
# expirations), so the raise is the sample silence_ms after the one that saw
# the last packet: 50 ms for the reads' jitter, not a tick (the read times
# once made it silence_ms + TICK when a read came a millisecond late).
cg_assert_le "raised at the sample silence_ms after the one that saw the last packet" \
	$((SILENCE + 50)) "$after"
# The last packet left the sender at most one period before the sample saw it.
cg_assert_le "the last-packet time is the sender's end, to a period" $((TICK + 100)) \
	"$(( r[4] > stopped ? r[4] - stopped : stopped - r[4] ))"
cg_assert_eq "the alarm is logged once" 1 \
	"$(grep -c "rule cam (id [0-9]*): silence alarm: nothing received for $SILENCE ms (last packet: [0-9]* ms ago)" "$log" || true)"
cg_assert_eq "quiet (silence_ms = 0) raised nothing" 0 \
	"$(ev "$EV" 'sum(1 for e in E if e.get("rule") == "quiet")')"
cg_ctl_json st stats --rule cam
cg_assert_eq "stats.get: the alarm" true "$(cg_json "$CG_TMP/st.json" 'rule("cam")["silence"]["alarm"]')"
cg_assert_eq "stats.get: since = the event's since_unix_ms" "${r[3]}" \
	"$(cg_json "$CG_TMP/st.json" 'rule("cam")["silence"]["since_unix_ms"]')"

# The stream resumes: cleared. (The time is taken before the sender starts:
# its first packet may be relayed before a later reading of the clock.) It
# lasts long enough for the checks below to run before it ends and the alarm
# is raised again (each check is a process or two: a second on a busy machine).
resumed=$(cg_now_ms)
cg_send_bg s1 "$CG_NS_GEN" --dst 239.30.1.1:5001 --iface "$CG_IF_GEN" --rate 500 --duration 4 \
	--size 200
s1=$CG_LAST_PID
CLEARED="[e for e in E if e[\"type\"] == \"silence.cleared\" and e[\"since_unix_ms\"] == ${r[3]}]"
got_cleared() { [ "$(ev "$EV" "len($CLEARED)")" -ge 1 ]; }
cg_assert_true "silence.cleared delivered" cg_wait_for 2 got_cleared
cl=$(ev "$EV" "${CLEARED}[0]")
cg_assert_eq "silence.cleared: rule and reason" '["cam", "traffic"]' \
	"$("$CG_PY" -c 'import json,sys; e=json.loads(sys.argv[1]); print(json.dumps([e["rule"], e["reason"]]))' "$cl")"
cg_assert_le "cleared within 2 periods of the sender's start (+ its start-up)" 500 \
	"$(( $("$CG_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["time_unix_ms"])' "$cl") - resumed ))"
cg_assert_eq "rule.get: alarm off again" false "$(sil cam alarm)"
cg_assert_eq "rule.get: raised twice so far" 2 "$(sil cam raised)"
cg_assert_eq "each clear is logged once" 2 \
	"$(grep -c "rule cam (id [0-9]*): silence alarm cleared after [0-9]* ms (traffic)" "$log" || true)"
cg_send_wait s1 "$s1"

# A subscriber that never reads, 20000 events: rule.add from another client
# is not delayed, and the slow one loses events, counted, without being cut.
# rpc_ms LINE: round trip of one request on a new connection, in ms.
rpc_ms() {
	"$CG_PY" - "$CG_CTL_SOCK" "$1" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t0 = time.monotonic()
s.sendall((sys.argv[2] + "\n").encode())
buf = b""
while b"\n" not in buf:
    d = s.recv(65536)
    if not d:
        break
    buf += d
ms = int((time.monotonic() - t0) * 1000)
r = json.loads(buf.split(b"\n")[0])
print(ms if "result" in r else "error: %s" % r.get("error"))
PY
}
add() { # NAME N
	printf '{"jsonrpc":"2.0","method":"rule.add","params":{"rule":{"name":"%s","input":{"port":"in0","destination":"239.30.1.%d","dport":5010},"output":[{"port":"out0","destination":"239.30.2.%d","dport":6010}]}},"id":1}' "$1" "$2" "$2"
}
base=$(rpc_ms "$(add extra1 11)")
cg_log "rule.add before the flood: $base ms"
flood=$(rpc_ms '{"jsonrpc":"2.0","method":"test.emit","params":{"type":"test.flood","count":20000,"fields":{"pad":"0123456789012345678901234567890123456789012345678901234567890123456789"}},"id":1}')
cg_log "test.emit of 20000 events: $flood ms"
during=$(rpc_ms "$(add extra2 12)")
cg_log "rule.add with the slow subscriber's queue full: $during ms"
cg_assert_le "rule.add answers within 500 ms with a full queue elsewhere" 500 "$during"
cg_assert_le "test.emit of 20000 never waited for the slow subscriber (< 3 s)" 3000 "$flood"
cg_ctl_json info system info
dropped=$(cg_json "$CG_TMP/info.json" 'd["rpc"]["notify_dropped"]')
cg_assert_ge "system.info: notifications dropped" 1 "$dropped"
cg_assert_eq "system.info: four subscribers (2 python, 2 castgatectl), none cut" "4 0 0" \
	"$(cg_json "$CG_TMP/info.json" '"%d %d %d" % (d["rpc"]["subscribers"], d["rpc"]["cut_output"], d["rpc"]["cut_idle"])')"
# The slow one reads now (until it has read all that was queued); one more
# event tells it what it lost.
touch "$CG_TMP/slow.go"
n_prev=-1
for _ in $(seq 50); do
	n=$(ev "$SLOW" 'len(E)')
	[ "$n" = "$n_prev" ] && break
	n_prev=$n
	sleep 0.2
done
rpc_ms '{"jsonrpc":"2.0","method":"test.emit","params":{"type":"test.last"},"id":1}' >/dev/null
got_last() { [ "$(ev "$SLOW" 'sum(1 for e in E if e["type"] == "test.last")')" = 1 ]; }
cg_assert_true "the slow subscriber gets the next event" cg_wait_for 3 got_last
got=$(ev "$SLOW" 'sum(1 for e in E if e["type"] == "test.flood")')
lost=$(ev "$SLOW" '[e for e in E if e["type"] == "test.last"][0].get("lost", 0)')
cg_log "slow subscriber: $got events received, $lost lost"
cg_assert_ge "it lost some" 1 "$lost"
cg_assert_eq "received + lost = pushed" 20000 "$((got + lost))"
cg_assert_eq "it saw no loss before (lost only on the last)" 0 \
	"$(ev "$SLOW" 'sum(1 for e in E if e["type"] == "test.flood" and "lost" in e)')"
cg_assert_eq "its connection was never closed" 0 "$(ev "$SLOW" 'sum(1 for x in L if "closed" in x)')"
cg_assert_eq "nobody else lost anything" "$lost" \
	"$(cg_ctl --json system info | "$CG_PY" -c 'import json,sys; print(json.load(sys.stdin)["rpc"]["notify_dropped"])')"
touch "$CG_TMP/slow.stop"

# kill -9 of the data plane: control exits with it; the reconnecting
# subscriber is told that the data plane restarted.
dp0=$(cg_ctl_child_pid dataplane)
tkill=$(cg_now_ms)
kill -KILL "$dp0"
restarted() { [ "$(ev "$EV" 'sum(1 for e in E if e["type"] == "dataplane.restarted")')" = 1 ]; }
cg_assert_true "dataplane.restarted delivered after the restart" cg_wait_for 40 restarted
mapfile -t d < <(ev "$EV" '[e for e in E if e["type"] == "dataplane.restarted"][0]' |
	"$CG_PY" -c 'import json,sys; e=json.load(sys.stdin); [print(x) for x in (e["previous"]["pid"], e["pid"])]')
cg_assert_eq "dataplane.restarted: previous pid" "$dp0" "${d[0]}"
cg_assert_eq "dataplane.restarted: the new pid" "$(cg_ctl_child_pid dataplane)" "${d[1]}"
cg_assert_eq "the subscriber's connection had closed once" 1 \
	"$(ev "$EV" 'sum(1 for x in L if "closed" in x)')"
touch "$CG_TMP/sub.stop"

# castgatectl events printed the same, and followed the restart.
kill -INT "$ctlev" "$ctljson"
rc=0
cg_wait_pid "$ctlev" 5 || rc=$?
cg_assert_eq "castgatectl events: exit status 0 after Ctrl-C" 0 "$rc"
rc=0
cg_wait_pid "$ctljson" 5 || rc=$?
cg_assert_eq "castgatectl --json events: exit status 0 after Ctrl-C" 0 "$rc"
cg_assert_ge "castgatectl events: the alarms after the streams" 2 \
	"$(grep -c '  silence.raised       rule cam (id 1): silence alarm: nothing received for 700 ms$' "$CG_TMP/ctlev.out" || true)"
cg_assert_ge "castgatectl events: the clears (first packet, stream resumed)" 2 \
	"$(grep -Ec '  silence.cleared      rule cam \(id 1\): silence alarm cleared after [0-9]+ ms \(traffic\)$' "$CG_TMP/ctlev.out" || true)"
cg_assert_eq "castgatectl events: the restart" 1 \
	"$(grep -c "  dataplane.restarted  data plane restarted: pid $(cg_ctl_child_pid dataplane) (was $dp0), restart 1$" "$CG_TMP/ctlev.out" || true)"
cg_assert_eq "castgatectl events: said it reconnected" 1 \
	"$(grep -c "following again (silence, dataplane), data plane pid $(cg_ctl_child_pid dataplane)" \
		"$CG_TMP/ctlev.err" || true)"
# Until the kill: the same events as the python subscriber, seq for seq.
# (From the first seq both have: on a busy machine one of them may subscribe
# after the first alarm, which it then finds in its subscribe result.)
same() { # FILE [FROM_SEQ]: [type, rule, seq] of the silence events before the kill
	"$CG_PY" - "$1" "$tkill" "${2:-0}" <<'PY'
import json, sys
rows = [json.loads(x) for x in open(sys.argv[1]) if x.strip()]
E = [r["msg"]["params"] if "msg" in r else r for r in rows if "msg" in r or "type" in r]
print(json.dumps([[e["type"], e["rule"], e["seq"]] for e in E
                  if e["type"].startswith("silence.") and e["time_unix_ms"] < int(sys.argv[2])
                  and e["seq"] >= int(sys.argv[3])]))
PY
}
from=$("$CG_PY" -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); print(max(a[0][2] if a else 0, b[0][2] if b else 0))' \
	"$(same "$EV")" "$(same "$CG_TMP/ctljson.out")")
cg_assert_eq "castgatectl --json events: the python subscriber's events" "$(same "$EV" "$from")" \
	"$(same "$CG_TMP/ctljson.out" "$from")"

cg_ctl_stop
cg_finish
