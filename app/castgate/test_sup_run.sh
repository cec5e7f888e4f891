#!/usr/bin/env bash
# The supervisor with stand-in children (small shell scripts, no DPDK, no root, no network):
# start order and ready files, restarts and their backoff, the data-plane-exit sequence,
# environment, SIGHUP, orderly stop, SIGKILL after stop_timeout_s, no orphans after SIGKILL of
# the supervisor, one supervisor per run dir, --check-config. The control-plane integration
# tests run the same supervisor with the real children.
#
# Usage: test_sup_run.sh CASTGATE_BINARY
set -euo pipefail

SUP=${1:?usage: $0 CASTGATE_BINARY}
# Exit 77: meson counts the test as skipped.
command -v python3 >/dev/null || { echo "SKIP: python3 is missing" >&2; exit 77; }
T=$(mktemp -d /tmp/test_sup_run.XXXXXX)
RUN=$T/run
PIDS=()
FAILS=0
CHECKS=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		{ kill -KILL "$p" && wait "$p"; } 2>/dev/null || true
	done
	# Children of a supervisor that a failed check left behind, found by their ready files.
	for f in "$RUN"/*.ready; do
		[ -e "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
	if [ "$FAILS" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "files kept in $T" >&2
	fi
}
trap cleanup EXIT

log() { printf '%s %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2; }
pass() { CHECKS=$((CHECKS + 1)); log "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); log "FAIL $*"; }
check() {	# check NAME COMMAND...
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
eq() { if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: expected '$2', got '$3'"; fi; }
now_ms() { date +%s%3N; }
# Running and not a zombie (an orphan's zombie waits for PID 1 to reap it).
alive() { [ -r "/proc/$1/stat" ] && ! awk '{exit ($3 == "Z") ? 0 : 1}' "/proc/$1/stat"; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 50; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	return 1
}
# new_pid FILE OLD: FILE holds a pid other than OLD (prints it).
new_pid() {
	local p
	p=$(cat "$1" 2>/dev/null || true)
	[ -n "$p" ] && [ "$p" != "$2" ] && echo "$p"
}
# line_of PATTERN FILE: number of the first line matching PATTERN (grep -E), or 0.
line_of() { grep -n -E -m1 "$1" "$2" | cut -d: -f1 || echo 0; }

# A stand-in child: logs its arguments and environment, writes its ready file
# with its pid (after 0.1 s, or $STUB_CTL_DELAY s for the control process;
# STUB_WRONG_PID=1: at its first start, first a foreign pid for 0.5 s),
# logs SIGHUP, exits 0 on SIGTERM (or ignores it with STUB_IGNORE_TERM=1).
# STUB_FAIL=1: exits 1 at once. --check-config: exits 0.
cat >"$T/stub" <<'EOF'
#!/bin/bash
name=$(basename "$0")
args="$*"
ready=
for a in "$@"; do [ "$a" = --check-config ] && exit 0; done
while [ $# -gt 0 ]; do
	[ "$1" = --ready-file ] && { ready=$2; shift; }
	shift
done
echo "$name $$ env sup=$CASTGATE_SUPERVISOR_PID rdp=$CASTGATE_RESTARTS_DATAPLANE" \
	"rctl=$CASTGATE_RESTARTS_CONTROL started=$CASTGATE_STARTED_UNIX_MS" \
	"notify=${NOTIFY_SOCKET:-unset} stdin=$(readlink /proc/$$/fd/0) args=$args" >&2
[ "${STUB_FAIL:-0}" = 1 ] && exit 1
if [ "${STUB_IGNORE_TERM:-0}" = 1 ]; then
	trap '' TERM
else
	trap 'echo "$name $$ SIGTERM" >&2; exit 0' TERM
fi
trap 'echo "$name $$ SIGHUP" >&2' HUP
restarts=$CASTGATE_RESTARTS_CONTROL
[ "$name" = castgate-dataplane ] && restarts=$CASTGATE_RESTARTS_DATAPLANE
if [ "${STUB_WRONG_PID:-0}" = 1 ] && [ "$restarts" = 0 ]; then
	echo 1 >"$ready.tmp" && mv "$ready.tmp" "$ready"
	sleep 0.5
fi
delay=0.1
[ "$name" = castgate-control ] && delay=${STUB_CTL_DELAY:-0.1}
sleep "$delay"
echo $$ >"$ready.tmp" && mv "$ready.tmp" "$ready"
# Short sleeps in the foreground: nothing is left behind when we are killed.
while :; do sleep 0.1; done
EOF
chmod +x "$T/stub"
ln -s stub "$T/castgate-dataplane"
ln -s stub "$T/castgate-control"
DP_BIN=$T/castgate-dataplane
CTL_BIN=$T/castgate-control

conf() {	# conf [EXTRA [supervisor] LINES...]; DP_EXTRA: a [dataplane] line
	cat <<EOF
[dataplane]
# Its own prefix: a stop removes the prefix's hugepage and runtime files.
file_prefix = "cgsuprun"
${DP_EXTRA:-}

[[port]]
name = "p0"
device = "net_af_packet0,iface=lo"
ip = "198.18.0.2/24"

[control]
socket = "$RUN/control.sock"
state_file = "$T/state.json"

[supervisor]
run_dir = "$RUN"
# The backoff itself is what these checks follow (test_sup.c covers the
# quick restarts before it).
quick_restarts = 0
restart_min_ms = 50
restart_max_ms = 400
stop_timeout_s = 1
ready_timeout_s = 2
EOF
	for l in "$@"; do echo "$l"; done
}
conf >"$T/c.toml"

SUP_PID=
start() {	# start NAME [ENV=VALUE...] [-- OPTIONS...]: castgate in the background
	local name=$1 envs=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	env "${envs[@]}" "$SUP" -c "$T/c.toml" --dataplane-bin "$DP_BIN" --control-bin "$CTL_BIN" \
		--ready-file "$T/$name.ready" "$@" 2>"$T/$name.log" &
	SUP_PID=$!
	PIDS+=("$SUP_PID")
}
STOP_RC=
stop() {	# stop: SIGTERM the supervisor and wait; its exit status in STOP_RC
	STOP_RC=0
	kill -TERM "$SUP_PID"
	wait "$SUP_PID" || STOP_RC=$?
}

###############################################################################
log "--check-config"
rc=0; "$SUP" -c "$T/c.toml" --check-config --dataplane-bin "$DP_BIN" --control-bin "$CTL_BIN" \
	>"$T/check.out" 2>&1 || rc=$?
eq "--check-config of a valid file" 0 "$rc"
check "--check-config names the binaries" grep -q "castgate-control: $CTL_BIN" "$T/check.out"
DP_EXTRA='no_huge = true' conf >"$T/nohuge.toml"
rc=0; "$SUP" -c "$T/nohuge.toml" --check-config --dataplane-bin "$DP_BIN" \
	--control-bin "$CTL_BIN" 2>"$T/check.err" || rc=$?
eq "--check-config refuses no_huge" 1 "$rc"
check "... naming dataplane.no_huge" grep -q "dataplane.no_huge" "$T/check.err"
conf 'stable_s = 0' >"$T/bad.toml"
rc=0; "$SUP" -c "$T/bad.toml" --check-config --dataplane-bin "$DP_BIN" \
	--control-bin "$CTL_BIN" 2>"$T/check.err" || rc=$?
eq "--check-config of a bad value" 1 "$rc"
check "... naming supervisor.stable_s and its line" \
	grep -q "supervisor.stable_s (line [0-9]*)" "$T/check.err"
rc=0; "$SUP" -c "$T/c.toml" --check-config --dataplane-bin "$T/nothing" \
	--control-bin "$CTL_BIN" 2>"$T/check.err" || rc=$?
eq "--check-config without a data plane binary" 1 "$rc"
rc=0; "$SUP" -c "$T/bad.toml" --dataplane-bin "$DP_BIN" --control-bin "$CTL_BIN" \
	2>/dev/null || rc=$?
eq "a bad config at start exits 2 (no systemd restart)" 2 "$rc"

###############################################################################
log "start order, stale ready files"
mkdir -p "$RUN"
# Ready files of an earlier run, with pids that may even be alive: never readiness.
echo $$ >"$RUN/dataplane.ready"
echo $$ >"$RUN/control.ready"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" - "$T/notify.sock" "$T/notify.log" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " | ") + "\n")
EOF
PIDS+=("$!")
wait_for 10 test -S "$T/notify.sock" || fail "notify listener did not start"
start s1 NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=400000 STUB_WRONG_PID=1
t0=$(now_ms)
wait_for 10 test -e "$T/s1.ready" || fail "supervisor not ready"
took=$(($(now_ms) - t0))
L=$T/s1.log
DP=$(cat "$RUN/dataplane.ready"); C1=$(cat "$RUN/control.ready")
check "READY only after both stubs passed their foreign-pid phase (${took} ms >= 1200)" \
	test "$took" -ge 1200
check "foreign pid in a ready file is ignored" grep -q "names another process" "$L"
a=$(line_of "castgate-dataplane started" "$L"); b=$(line_of "castgate-dataplane \(pid $DP\) ready" "$L")
c=$(line_of "castgate-control started" "$L"); d=$(line_of "castgate-control \(pid $C1\) ready" "$L")
check "order: dp started ($a) < dp ready ($b) < control started ($c) < control ready ($d)" \
	test "$a" -gt 0 -a "$a" -lt "$b" -a "$b" -lt "$c" -a "$c" -lt "$d"
check "control env: supervisor pid, 0 restarts, no NOTIFY_SOCKET, stdin /dev/null" \
	grep -q "castgate-control $C1 env sup=$SUP_PID rdp=0 rctl=0 started=[0-9]\{13\} notify=unset stdin=/dev/null" "$L"
check "READY=1 sent" grep -q "^READY=1" "$T/notify.log"
wait_for 3 grep -q "WATCHDOG=1" "$T/notify.log" || true
check "WATCHDOG=1 sent" grep -q "WATCHDOG=1" "$T/notify.log"

###############################################################################
log "control exit: only it restarts"
kill -KILL "$C1"
C2=$(wait_for 5 new_pid "$RUN/control.ready" "$C1")
check "control back" test -n "$C2"
check "log: killed, restart 1 in 50 ms" \
	grep -q "castgate-control (pid $C1) killed by signal 9 (SIGKILL) after [0-9.]* m\?s; restart 1 in 50 ms" "$L"
eq "data plane kept" "$DP" "$(cat "$RUN/dataplane.ready")"
kill -KILL "$C2"
C3=$(wait_for 5 new_pid "$RUN/control.ready" "$C2")
check "log: second quick failure, restart 2 in 100 ms" \
	grep -q "castgate-control (pid $C2) killed by signal 9 (SIGKILL) after .*; restart 2 in 100 ms" "$L"
check "control env: 2 control restarts" grep -q "castgate-control $C3 env sup=$SUP_PID rdp=0 rctl=2 " "$L"

kill -HUP "$SUP_PID"
wait_for 3 grep -q "castgate-control $C3 SIGHUP" "$L" || true
check "SIGHUP forwarded to control" grep -q "castgate-control $C3 SIGHUP" "$L"
check "SIGHUP not sent to the data plane" bash -c "! grep -q 'castgate-dataplane $DP SIGHUP' '$L'"

###############################################################################
log "data plane exit: control stopped first, then dp, then control"
kill -KILL "$DP"
DP2=$(wait_for 5 new_pid "$RUN/dataplane.ready" "$DP")
C4=$(wait_for 5 new_pid "$RUN/control.ready" "$C3")
check "both back" test -n "$DP2" -a -n "$C4"
a=$(line_of "castgate-dataplane \(pid $DP\) killed by signal 9 .*; restart 1 in 50 ms" "$L")
b=$(line_of "castgate-control $C3 SIGTERM" "$L")
c=$(line_of "castgate-control \(pid $C3\) stopped: exited with status 0" "$L")
d=$(line_of "castgate-dataplane started \(pid $DP2\), restart 1" "$L")
e=$(line_of "castgate-dataplane \(pid $DP2\) ready" "$L")
f=$(line_of "castgate-control started \(pid $C4\), restart 3" "$L")
check "order: dp exit ($a) < control SIGTERM ($b) < control stopped ($c) < dp start ($d) < dp ready ($e) < control start ($f)" \
	test "$a" -gt 0 -a "$a" -lt "$b" -a "$b" -lt "$c" -a "$c" -lt "$d" -a "$d" -lt "$e" -a "$e" -lt "$f"
check "control env after it: 1 dp restart, 3 control restarts" \
	grep -q "castgate-control $C4 env sup=$SUP_PID rdp=1 rctl=3 " "$L"
check "STATUS= on the restart" grep -q "STATUS=castgate-dataplane (pid $DP) killed by signal 9" \
	"$T/notify.log"

###############################################################################
log "one supervisor per run dir"
rc=0; "$SUP" -c "$T/c.toml" --dataplane-bin "$DP_BIN" --control-bin "$CTL_BIN" \
	2>"$T/second.log" || rc=$?
eq "a second supervisor on the same run dir exits" 1 "$rc"
check "... saying who holds it" grep -q "another castgate (pid $SUP_PID)" "$T/second.log"

###############################################################################
log "SIGTERM: control, then data plane, exit 0"
t0=$(now_ms)
stop
eq "exit status after SIGTERM" 0 "$STOP_RC"
check "stopped within 2 s" test $(($(now_ms) - t0)) -lt 2000
check "children gone" bash -c "! kill -0 $DP2 2>/dev/null && ! kill -0 $C4 2>/dev/null"
b=$(line_of "castgate-control $C4 SIGTERM" "$L"); c=$(line_of "castgate-dataplane $DP2 SIGTERM" "$L")
check "control stopped ($b) before the data plane ($c)" test "$b" -gt 0 -a "$b" -lt "$c"
check "STOPPING=1 sent" grep -q "^STOPPING=1" "$T/notify.log"
check "ready files removed" bash -c "! ls '$RUN'/*.ready '$T/s1.ready' 2>/dev/null"

###############################################################################
log "children that ignore SIGTERM are killed: the whole stop takes stop_timeout_s"
start s2 STUB_IGNORE_TERM=1
wait_for 10 test -e "$T/s2.ready" || fail "run 2 not ready"
t0=$(now_ms)
stop
eq "exit status" 0 "$STOP_RC"
took=$(($(now_ms) - t0))
check "two SIGKILLs within 1 s in all (${took} ms in 900..3000)" test "$took" -ge 900 -a "$took" -le 3000
check "log: SIGKILL after stop_timeout_s" \
	grep -q "still runs 1 s after SIGTERM (supervisor.stop_timeout_s): SIGKILL" "$T/s2.log"

###############################################################################
log "SIGKILL of the supervisor leaves no child"
start s3
wait_for 10 test -e "$T/s3.ready" || fail "run 3 not ready"
DP=$(cat "$RUN/dataplane.ready"); C=$(cat "$RUN/control.ready")
kill -KILL "$SUP_PID"
wait "$SUP_PID" 2>/dev/null || true
wait_for 2 bash -c "! { [ -r /proc/$DP/stat ] && ! awk '{exit (\$3 == \"Z\") ? 0 : 1}' /proc/$DP/stat; }" || true
check "data plane died with it" bash -c "! { [ -r /proc/$DP/stat ] && ! awk '{exit (\$3 == \"Z\") ? 0 : 1}' /proc/$DP/stat; }"
check "control died with it" bash -c "! { [ -r /proc/$C/stat ] && ! awk '{exit (\$3 == \"Z\") ? 0 : 1}' /proc/$C/stat; }"
for p in "$DP" "$C"; do alive "$p" && kill -KILL "$p"; done
rm -f "$RUN"/*.ready

###############################################################################
log "a data plane that fails at once: backoff 50, 100, 200, 400, 400 ms"
start s4 STUB_FAIL=1
wait_for 20 grep -q "castgate-dataplane started (pid [0-9]*), restart 5" "$T/s4.log" ||
	fail "no fifth restart within 20 s"
stop
eq "exit status" 0 "$STOP_RC"
delays=$(grep -o "castgate-dataplane (pid [0-9]*) exited with status 1 after [0-9]* ms; restart [0-9]* in [0-9]* ms" \
	"$T/s4.log" | sed 's/.* in //' | head -5 | tr '\n' ',')
eq "delays" "50 ms,100 ms,200 ms,400 ms,400 ms," "$delays"
# The gaps between starts are never shorter than the delays (longer only by scheduling).
"$PY" - "$T/s4.log" <<'EOF' && pass "gaps between starts >= delays" || fail "gaps between starts >= delays"
import datetime, sys
ts = [datetime.datetime.fromisoformat(l.split()[0].rstrip("Z"))
      for l in open(sys.argv[1]) if "castgate-dataplane started" in l]
gaps = [(b - a).total_seconds() * 1000 for a, b in zip(ts, ts[1:])]
print("gaps (ms):", [int(g) for g in gaps], file=sys.stderr)
want = [50, 100, 200, 400, 400]
sys.exit(0 if len(gaps) >= 5 and all(g >= w for g, w in zip(gaps, want)) else 1)
EOF
check "the control process never started" bash -c "! grep -q 'castgate-control started' '$T/s4.log'"

###############################################################################
log "a control process never ready is restarted after ready_timeout_s"
start s5 STUB_CTL_DELAY=5 -- --log-level debug
sleep 3.5
stop
eq "exit status" 0 "$STOP_RC"
check "log: not ready after 2 s" \
	grep -q "castgate-control (pid [0-9]*) not ready after 2 s (supervisor.ready_timeout_s): stopping it" "$T/s5.log"
check "log: counted as a failure, restart 1" \
	grep -q "castgate-control (pid [0-9]*) was not ready within 2 s .*; restart 1 in 50 ms" "$T/s5.log"
check "--log-level passed to both children" \
	test "$(grep -c "env .*args=-c $T/c.toml --ready-file $RUN/[a-z]*.ready --log-level debug" "$T/s5.log")" -ge 2

log "$CHECKS checks, $FAILS failed"
[ "$FAILS" -eq 0 ]
