#!/bin/bash
# castgate-warp integration: the daemon's own lifecycle.
#   startup reconcile, then a second start that changes nothing (same routes, no add/replace
#   audit lines); on_warp_down=keep; dockerd restart (the daemon survives, reports the
#   disconnect, reconnects and converges); a missing capability (clear message, exit 1, nothing
#   touched); a non-root run with exactly the three capabilities (as the systemd unit); and a
#   run under strace proving the daemon executes no program.
# Exit: 0 pass, 77 skip (not root / no docker), 1 fail.

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
wt_setup

docker network create --subnet 198.19.111.0/24 cgla >/dev/null

snapshot() { # snapshot NAME...: every route of the containers, both families
	local n
	for n in "$@"; do
		echo "== $n"
		routes "$n" 4
		routes "$n" 6
	done
}

# ---------------------------------------------------------------------------------------------
case_begin startup-reconcile
wt_run_warp warp-r cgla
for i in 1 2 3; do wt_run_target "tr$i" cgla warp-r; done
wt_run_target tr-other cgla warp-none
W=$(cip warp-r cgla)
untouched tr1 cgla || fail "tr1 changed with no daemon running"
wt_daemon_start
for i in 1 2 3; do
	wait_for "all_via tr$i $W" $((WT_T + 5)) || fail "tr$i not routed by the startup reconcile: $(routes tr$i | tr '\n' ';')"
done
ok "startup reconcile routed tr1..tr3"
untouched tr-other cgla || fail "tr-other (missing warp) touched"
snapshot tr1 tr2 tr3 tr-other >"$WT_DIR/before.txt"
t0=$(date +%s.%N)
wt_daemon_stop
t1=$(date +%s.%N)
[ "$WT_DAEMON_RC" = 0 ] || fail "exit status $WT_DAEMON_RC after SIGTERM (want 0)"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }' || fail "SIGTERM took more than 5 s"
snapshot tr1 tr2 tr3 tr-other >"$WT_DIR/after-stop.txt"
diff -u "$WT_DIR/before.txt" "$WT_DIR/after-stop.txt" >&2 || fail "routes changed by SIGTERM"

case_begin second-start-no-change
wt_daemon_start
wt_daemon_ready 15 || fail "second daemon not healthy"
# Barrier: a target started now is routed only after the daemon is through its reconcile.
wait_for "log_has info '[Rr]econcil'" $((WT_T + 5)) || fail "no reconcile log line on the second start"
wt_run_target tr4 cgla warp-r
wait_for "all_via tr4 $W" $WT_T || fail "tr4 not routed"
snapshot tr1 tr2 tr3 tr-other >"$WT_DIR/after-second.txt"
diff -u "$WT_DIR/before.txt" "$WT_DIR/after-second.txt" >&2 || fail "second start changed routes"
for n in tr1 tr2 tr3 tr-other; do
	a=$(audit "$n" | jq -c 'select(.action != null)')
	[ -z "$a" ] || fail "second start re-applied routes of $n: $(echo "$a" | head -2)"
done
[ "$(log_errors)" -eq 0 ] || fail "errors on the second start: $(log_new | jq -c 'select(.level=="error")' | head -3)"
ok "second start: same routes, no audit line for existing targets"

# ---------------------------------------------------------------------------------------------
case_begin on-warp-down-keep
wt_daemon_stop
wt_clean
docker network create --subnet 198.19.111.0/24 cgla >/dev/null
wt_daemon_start --on-warp-down keep
wt_daemon_ready 15 || fail "daemon not healthy"
wt_run_warp warp-k cgla
wt_run_warp warp-k2 cgla
wt_run_target tk cgla warp-k
W=$(cip warp-k cgla)
W2=$(cip warp-k2 cgla)
wait_for "all_via tk $W" $WT_T || fail "tk not routed via warp-k"
docker stop -t 1 warp-k >/dev/null
wt_run_target tk2 cgla warp-k2 # barrier: handled after warp-k's die
wait_for "all_via tk2 $W2" $WT_T || fail "tk2 not routed"
all_via tk "$W" || fail "on_warp_down=keep changed tk's routes: $(routes tk | tr '\n' ';')"
audit tk | jq -e -s 'map(select(.action == "blackhole" or .action == "remove")) | length == 0' >/dev/null ||
	fail "audit shows blackhole/remove for tk with keep"
ok "keep leaves routes via the stopped warp"

# ---------------------------------------------------------------------------------------------
case_begin dockerd-restart
wt_daemon_stop
wt_clean
docker network create --subnet 198.19.111.0/24 cgla >/dev/null
wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy"
DPID=$WT_DAEMON_PID
# Containers that come back by themselves when dockerd does (new processes, new netns).
wt_run_warp warp-d cgla --restart always
wt_run_target td0 cgla warp-d --restart always
W=$(cip warp-d cgla)
wait_for "all_via td0 $W" $WT_T || fail "td0 not routed before the restart"
OLDPID=$(cpid td0)
wt_dockerd_down || fail "could not stop dockerd"
hc() { curl -s -o "$WT_DIR/h.txt" -w '%{http_code}' --max-time 2 "http://$WT_METRICS/healthz"; }
if wait_for "[ \"\$(hc)\" = 503 ] && grep -q disconnected $WT_DIR/h.txt" 15; then
	ok "health reports the disconnect: $(tr -d '\n' <"$WT_DIR/h.txt")"
else
	fail "health does not report the lost Docker connection: $(hc) $(cat "$WT_DIR/h.txt")"
fi
metrics | grep '^castgate_warp_docker_connected 0' >/dev/null || fail "castgate_warp_docker_connected is not 0 while dockerd is down"
# Several reconnect attempts while dockerd is away; the daemon must stay up.
for i in $(seq 40); do
	wt_daemon_alive || { fail "daemon died while dockerd was down"; break; }
	sleep 0.1
done
rc0=$(metric_sum '^castgate_warp_reconnects_total')
wt_dockerd_up || fail "dockerd did not come back"
# Started right away, quite likely before the daemon is back (backoff): replay/reconcile.
wt_run_target td1 cgla warp-d
wait_for "[ \"\$(hc)\" = 200 ]" 60 || fail "daemon did not reconnect within 60 s"
wait_for "[ \"\$(docker inspect -f '{{.State.Running}}' warp-d)\" = true ]" 20 || fail "warp-d did not come back"
W=$(cip warp-d cgla)
[ "$(cpid td0)" != "$OLDPID" ] || fail "td0 kept its process across the dockerd restart?"
wait_for "all_via td0 $W" $((WT_T + 5)) || fail "td0 (restarted by dockerd) not routed: $(routes td0 | tr '\n' ';')"
wait_for "all_via td1 $W" $((WT_T + 5)) || fail "td1 (started while reconnecting) not routed: $(routes td1 | tr '\n' ';')"
wt_run_target td2 cgla warp-d
wait_for "all_via td2 $W" $WT_T || fail "td2 (started after reconnect) not routed"
{ [ "$WT_DAEMON_PID" = "$DPID" ] && wt_daemon_alive; } || fail "daemon restarted or died"
metrics | grep '^castgate_warp_docker_connected 1' >/dev/null || fail "castgate_warp_docker_connected is not 1 after reconnect"
[ "$(metric_sum '^castgate_warp_reconnects_total')" -gt "$rc0" ] || fail "castgate_warp_reconnects_total did not move"
log_has warn 'disconnect|reconnect|event stream' || fail "the disconnect was not logged"
ok "daemon survived a dockerd restart and converged"

# ---------------------------------------------------------------------------------------------
case_begin missing-capability
wt_daemon_stop
wt_clean
docker network create --subnet 198.19.111.0/24 cgla >/dev/null
wt_run_warp warp-c cgla
wt_run_target tc cgla warp-c
if ! command -v capsh >/dev/null; then
	fail "capsh (libcap2-bin) not installed"
else
	for cap in net_admin sys_admin sys_ptrace; do
		log_mark
		capsh --drop="cap_$cap" -- -c 'exec "$0" "$@"' "$WT_BIN" --docker-socket "$CG_DOCKER_SOCK" \
			--log-format text --metrics-listen "" --routing-rules "$WT_RULES" \
			>"$WT_DIR/nocap.txt" 2>&1 &
		P=$!
		if ! wait_for "! kill -0 $P" $WT_T; then
			fail "daemon without cap_$cap still running after 10 s"
			kill -KILL "$P"
		fi
		wait "$P"
		rc=$?
		[ "$rc" -eq 1 ] || fail "without cap_$cap: exit status $rc (want 1)"
		grep -iq "cap_$cap" "$WT_DIR/nocap.txt" ||
			fail "without cap_$cap: message does not name it: $(head -c 300 "$WT_DIR/nocap.txt")"
	done
	untouched tc cgla || fail "a daemon lacking a capability changed tc's routes: $(routes tc | tr '\n' ';')"
	ok "missing capabilities named, exit 1, nothing touched"
fi

# ---------------------------------------------------------------------------------------------
case_begin non-root-three-caps
# What the systemd unit does: an unprivileged user in the socket's group, with exactly
# CAP_NET_ADMIN CAP_SYS_ADMIN CAP_SYS_PTRACE as ambient capabilities and no_new_privs.
if ! command -v setpriv >/dev/null; then
	fail "setpriv (util-linux) not installed"
else
	caps=-all,+net_admin,+sys_admin,+sys_ptrace
	WT_DAEMON_WRAP=(setpriv --reuid=65534 --regid=65534 --groups="$(stat -c %g "$CG_DOCKER_SOCK")"
		--inh-caps="$caps" --ambient-caps="$caps" --bounding-set="$caps" --no-new-privs --)
	wt_daemon_start
	WT_DAEMON_WRAP=()
	wt_daemon_ready 15 || fail "non-root daemon not healthy"
	[ "$(stat -c %u "/proc/$WT_DAEMON_PID")" = 65534 ] || fail "daemon does not run as uid 65534"
	W=$(cip warp-c cgla)
	if wait_for "all_via tc $W" $WT_T; then ok "uid 65534 with the three capabilities routes tc"; else
		fail "non-root daemon did not route tc: $(routes tc | tr '\n' ';')"; fi
	wt_daemon_stop
	[ "$WT_DAEMON_RC" = 0 ] || fail "non-root daemon exit status $WT_DAEMON_RC"
fi

# ---------------------------------------------------------------------------------------------
case_begin no-execve
if ! command -v strace >/dev/null; then
	fail "strace not installed"
else
	ST=$WT_DIR/strace.txt
	# On the sanitizer build (scripts/test --sanitize), LeakSanitizer's exit check
	# cannot ptrace a process that strace traces: no leak check for this run.
	WT_DAEMON_WRAP=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
		strace -f -q -e trace=execve,execveat -o "$ST")
	wt_daemon_start
	WT_DAEMON_WRAP=()
	SPID=$WT_DAEMON_PID
	wt_daemon_ready 20 || fail "daemon under strace not healthy"
	# tc's routes are adopted at start-up; then events: target start, warp stop (blackhole),
	# warp start, target kill, restart.
	W=$(cip warp-c cgla)
	wait_for "all_via tc $W" $((WT_T + 5)) || fail "tc not routed under strace"
	wt_run_target tc2 cgla warp-c
	wait_for "all_via tc2 $W" $WT_T || fail "tc2 not routed under strace"
	docker stop -t 1 warp-c >/dev/null
	wait_for "all_unreachable tc2" $WT_T || fail "tc2 not fail-closed under strace"
	docker start warp-c >/dev/null
	W=$(cip warp-c cgla)
	wait_for "all_via tc2 $W" $WT_T || fail "tc2 not re-routed under strace"
	docker kill tc >/dev/null
	docker restart -t 1 tc2 >/dev/null
	wait_for "all_via tc2 $W" $WT_T || fail "tc2 not re-routed after restart under strace"
	curl -s -o /dev/null "http://$WT_METRICS/metrics"
	# SIGTERM the daemon itself (the child of strace), then strace ends with it.
	DP=$(pgrep -P "$SPID" | head -1)
	[ -n "$DP" ] || fail "no daemon process under strace"
	WT_DAEMON_PID=$DP
	wt_daemon_stop
	wait "$SPID" 2>/dev/null
	n=$(grep -Ec 'execve(at)?\(' "$ST")
	first=$(grep -E 'execve(at)?\(' "$ST" | head -1)
	if [ "$n" -eq 1 ] && [[ "$first" == *"execve(\"$WT_BIN\""* ]]; then
		ok "only the initial execve of the daemon ($(grep -c . "$ST") strace lines)"
	else
		fail "daemon executed programs ($n execve lines): $(grep -E 'execve(at)?\(' "$ST" | head -5)"
	fi
	# The trace must really have followed the daemon and its threads (guards against a trace
	# that saw nothing): exits of at least two tasks are recorded.
	tasks=$(grep -E 'exited with|killed by' "$ST" | awk '{print $1}' | sort -u | grep -c .)
	[ "$tasks" -ge 2 ] || fail "strace did not follow the daemon's threads ($tasks tasks): $(tail -3 "$ST")"
fi

wt_finish
