# shellcheck shell=bash
# castgate-gen senders and receivers inside the test namespaces.

# cg_recv_start NAME NETNS ADDR:PORT [castgate-gen recv options...]: start a
# receiver in NETNS and wait until it has joined. Its JSON report goes to
# $CG_TMP/NAME.json when it stops (see cg_recv_wait).
# Default stop: 2 s after the last packet, or 20 s without any.
cg_recv_start() {
	local name=$1 ns=$2 group=$3
	shift 3
	rm -f "$CG_TMP/$name.ready"
	cg_bg "$name" ip netns exec "$ns" "$CG_GEN" recv --group "$group" --json \
		--ready-file "$CG_TMP/$name.ready" --duration 20 "$@"
	CG_RECV_PIDS[$name]=$CG_LAST_PID
	if ! cg_wait_file "$CG_TMP/$name.ready" 5 "$CG_LAST_PID"; then
		cg_log "receiver $name did not get ready:"
		sed 's/^/  | /' "$CG_TMP/$name.err" >&2
		CG_FAILS=$((CG_FAILS + 1))
		exit 1
	fi
}

# cg_recv_wait NAME [SECONDS]: wait for receiver NAME to stop by itself (its
# --count, --duration or idle timeout), then check that it wrote its report
# to $CG_TMP/NAME.json.
cg_recv_wait() {
	local name=$1 secs=${2:-30} rc=0
	cg_wait_pid "${CG_RECV_PIDS[$name]}" "$secs" || rc=$?
	cp "$CG_TMP/$name.out" "$CG_TMP/$name.json"
	if [ "$rc" -ne 0 ] || ! "$CG_PY" -c 'import json,sys; json.load(open(sys.argv[1]))' \
		"$CG_TMP/$name.json" 2>/dev/null; then
		cg_fail "receiver $name: exit status $rc, no JSON report"
		sed 's/^/  | /' "$CG_TMP/$name.err" >&2
		return 1
	fi
}

# cg_recv_stop NAME: stop a receiver now (SIGTERM: it still writes its report).
cg_recv_stop() {
	kill -TERM "${CG_RECV_PIDS[$1]}" 2>/dev/null || true
	cg_recv_wait "$1" 5
}

# cg_send NAME NETNS [castgate-gen send options...]: send in the foreground;
# the JSON summary goes to $CG_TMP/NAME.json. Fails the test if send fails.
cg_send() {
	local name=$1 ns=$2
	shift 2
	if ! ip netns exec "$ns" "$CG_GEN" send --json "$@" >"$CG_TMP/$name.json" \
		2>"$CG_TMP/$name.err"; then
		cg_log "sender $name failed:"
		sed 's/^/  | /' "$CG_TMP/$name.err" >&2
		CG_FAILS=$((CG_FAILS + 1))
		exit 1
	fi
}
