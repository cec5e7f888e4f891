#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# castgate-warp's guard against a pid that no longer belongs to the target, and against a
# target pid in the daemon's own namespace, with the real daemon against a scripted Docker API
# (lib/fake_docker.py): a real dockerd cannot be made to change a container's pid between two
# inspects on cue. The "containers" are sleep processes in throwaway network namespaces
# (cgtw8-*), each with a veth pair (not every kernel has the dummy module) on 198.18.77.0/24 and a default route via .1, so that a
# route the daemon wrongly set would really land there and be seen.
#
#   control     the pid stays: routes land in its namespace (the test can fail)
#   died        the container stopped between the inspect and the pin: nothing is touched
#   restarted   the container restarted with another pid: refused, then routed in the new
#               process's namespace only
#   own_netns   Docker's pid is a process in the daemon's own namespace: refused
set -u
. "${CG_SRC:?}/tests/integration/warp/lib/common.sh"

WT_K=8
WT_PORT=$((19640 + WT_K))
WT_METRICS="127.0.0.1:$WT_PORT"
NSES=()
SLEEPERS=()
FAKE_PID=
FAKE_SOCK=
WARP_ID=$(printf 'a%.0s' $(seq 64))
T1_ID=$(printf 'b%.0s' $(seq 64))

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root" >&2; exit 77; fi
for t in python3 ip jq curl; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed" >&2; exit 77; }
done
[ -x "$WT_BIN" ] || { echo "FAIL: daemon binary $WT_BIN not built" >&2; exit 1; }

cleanup() {
	local rc=$? p n
	trap - EXIT
	wt_daemon_stop quiet 2>/dev/null
	fake_stop
	for p in "${SLEEPERS[@]+"${SLEEPERS[@]}"}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for n in "${NSES[@]+"${NSES[@]}"}"; do
		ip netns del "$n" 2>/dev/null
	done
	if [ "$rc" -ne 0 ] && [ -s "${WT_LOG:-}" ]; then
		echo "---- last daemon log lines ($WT_LOG) ----" >&2
		tail -n 40 "$WT_LOG" >&2
		echo "work dir kept: $WT_DIR" >&2
	else
		rm -rf "$WT_DIR"
	fi
	exit "$rc"
}
WT_DIR=$(mktemp -d /tmp/cgwarp-pid_guard.XXXXXX)
WT_LOG=$WT_DIR/daemon.log
: >"$WT_LOG"
trap cleanup EXIT
trap 'exit 130' INT TERM

# mk_ns NAME: a namespace as a container's: 198.18.77.3/24 on a veth, default via .1.
mk_ns() {
	ip netns add "$1" || return 1
	NSES+=("$1")
	ip -n "$1" link set lo up &&
		ip -n "$1" link add d0 type veth peer name d1 &&
		ip -n "$1" link set d1 up &&
		ip -n "$1" addr add 198.18.77.3/24 dev d0 &&
		ip -n "$1" link set d0 up &&
		ip -n "$1" route add default via 198.18.77.1
}

# sleeper NS: a process in NS (ip netns exec execs it: $! is the sleep itself); sets SLEEPER.
sleeper() {
	ip netns exec "$1" sleep 600 &
	SLEEPER=$!
	SLEEPERS+=("$SLEEPER")
}

ns_routes() { ip -n "$1" -4 route show table main; }
# The state a namespace starts with: Docker's default route, nothing of ours.
pristine() {
	[ "$(ip -n "$1" route show exact 0.0.0.0/0)" = "default via 198.18.77.1 dev d0 " ] ||
		[ "$(ip -n "$1" route show exact 0.0.0.0/0)" = "default via 198.18.77.1 dev d0" ] ||
		return 1
	[ -z "$(ip -n "$1" route show exact 198.18.200.0/24)" ]
}
routed() {
	[[ "$(ip -n "$1" route show exact 0.0.0.0/0)" == "default via 198.18.77.2 "* ]] &&
		[[ "$(ip -n "$1" route show exact 198.18.200.0/24)" == *"via 198.18.77.2"* ]]
}

# doc ID NAME RUNNING PID STARTED LABELS_JSON IP: an inspect document.
doc() {
	jq -n --arg id "$1" --arg name "/$2" --argjson run "$3" --argjson pid "$4" \
		--arg started "$5" --argjson labels "$6" --arg ip "$7" '{
		Id: $id, Name: $name,
		State: {Running: $run, Pid: $pid, StartedAt: $started},
		Config: {Labels: $labels},
		HostConfig: {NetworkMode: "appnet"},
		NetworkSettings: {Networks: {appnet: {IPAddress: $ip, IPPrefixLen: 24}}}}'
}

# fake_start WARP_PID T1_DOC...: serve a warp that always runs and t1 whose inspects answer
# the given documents in turn.
fake_start() {
	local wpid=$1 scen=$WT_DIR/scenario.json
	shift
	{
		echo '{"containers": [{"runs": ['
		doc "$WARP_ID" warp-a true "$wpid" 2026-12-01T00:00:00Z '{}' 198.18.77.2
		echo ']}, {"runs": ['
		local first=1 d
		for d in "$@"; do
			[ "$first" = 1 ] || echo ,
			first=0
			echo "$d"
		done
		echo ']}]}'
	} >"$scen"
	jq -e . "$scen" >/dev/null || { fail "bad scenario"; return 1; }
	FAKE_SOCK=$WT_DIR/docker.sock
	: >"$WT_DIR/requests.log"
	python3 "$CG_SRC/tests/integration/warp/lib/fake_docker.py" "$FAKE_SOCK" "$scen" \
		"$WT_DIR/requests.log" 2>>"$WT_DIR/fake.err" &
	FAKE_PID=$!
	wait_for "[ -S '$FAKE_SOCK' ]" 10 || { fail "fake Docker API did not start"; return 1; }
	CG_DOCKER_SOCK=$FAKE_SOCK
}
fake_stop() {
	[ -n "$FAKE_PID" ] || return 0
	kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
	FAKE_PID=
}

t1_doc() { # RUNNING PID STARTED
	doc "$T1_ID" t1 "$1" "$2" "$3" '{"network.warp.target": "warp-a"}' 198.18.77.3
}

refusals() { metric_sum "castgate_warp_refusals_total\\{reason=\"$1\"\\}"; }
applied() { metric_sum 'castgate_warp_routes_applied_total'; }

mk_ns cgtw8-w || exit 1
sleeper cgtw8-w
W=$SLEEPER

# ---- control: the pid stays the container's, so its namespace gets the routes -----------------
case_begin control
mk_ns cgtw8-p1 || exit 1
sleeper cgtw8-p1
P1=$SLEEPER
fake_start "$W" "$(t1_doc true "$P1" 2026-12-02T10:00:00Z)"
wt_daemon_start
wait_for "routed cgtw8-p1" "$WT_T" || fail "t1's namespace was not routed: $(ns_routes cgtw8-p1)"
pristine cgtw8-w || fail "the warp's namespace changed: $(ns_routes cgtw8-w)"
[ "$(refusals pid_changed)" = 0 ] || fail "a refusal was counted"
wt_daemon_stop
fake_stop
ok "a container whose pid stays gets its routes (the fake API drives real changes)"

# ---- died: Docker's second look says the container stopped: nothing is touched ----------------
case_begin died
mk_ns cgtw8-p2 || exit 1
sleeper cgtw8-p2
P2=$SLEEPER
fake_start "$W" "$(t1_doc true "$P2" 2026-12-02T10:00:00Z)" "$(t1_doc false 0 2026-12-02T10:00:00Z)"
wt_daemon_start
wait_for "log_has error '\"reason\":\"pid_changed\".*\"name\":\"t1\"'" "$WT_T" ||
	fail "no refusal logged for t1"
log_has error "pid $P2 no longer belongs to the container: it stopped" ||
	fail "the refusal does not say why"
wait_for "log_has info 'target stopped: forgetting it'" "$WT_T" ||
	fail "the retry did not find t1 stopped"
pristine cgtw8-p2 || fail "the namespace of pid $P2 changed: $(ns_routes cgtw8-p2)"
[ "$(refusals pid_changed)" = 1 ] || fail "refusals{pid_changed} = $(refusals pid_changed), not 1"
[ "$(applied)" = 0 ] || fail "$(applied) route change(s) applied"
[ "$(audit t1)" = "" ] || fail "route audit lines for t1: $(audit t1)"
wt_daemon_stop
fake_stop
ok "a pid that no longer belongs to the container is refused and its namespace untouched"

# ---- restarted: a new pid between inspect and pin: refused, then only the new one routed ------
case_begin restarted
mk_ns cgtw8-p3 || exit 1
mk_ns cgtw8-q3 || exit 1
sleeper cgtw8-p3
P3=$SLEEPER
sleeper cgtw8-q3
Q3=$SLEEPER
fake_start "$W" "$(t1_doc true "$P3" 2026-12-02T10:00:00Z)" "$(t1_doc true "$Q3" 2026-12-02T10:00:05Z)"
wt_daemon_start
wait_for "routed cgtw8-q3" "$WT_T" || fail "the restarted run (pid $Q3) was not routed"
log_has error "pid $P3 no longer belongs to the container: it restarted" ||
	fail "no refusal of the old pid"
pristine cgtw8-p3 || fail "the old pid's namespace changed: $(ns_routes cgtw8-p3)"
[ "$(refusals pid_changed)" = 1 ] || fail "refusals{pid_changed} = $(refusals pid_changed)"
wt_daemon_stop
fake_stop
ok "a restart between inspect and pin: the old pid's namespace untouched, the new one routed"

# ---- own_netns: the daemon in cgtw8-d, and Docker names a pid in that same namespace ---------
case_begin own_netns
mk_ns cgtw8-d || exit 1
sleeper cgtw8-d
D=$SLEEPER
fake_start "$W" "$(t1_doc true "$D" 2026-12-02T10:00:00Z)"
WT_DAEMON_WRAP=(ip netns exec cgtw8-d)
wt_daemon_start
WT_DAEMON_WRAP=()
wait_for "log_has error '\"reason\":\"own_netns\".*\"name\":\"t1\"'" "$WT_T" ||
	fail "no own_netns refusal for t1"
sleep 1
pristine cgtw8-d || fail "the daemon's own namespace changed: $(ns_routes cgtw8-d)"
n=$(ip netns exec cgtw8-d curl -s --max-time 2 "http://$WT_METRICS/metrics" |
	awk '$1 == "castgate_warp_refusals_total{reason=\"own_netns\"}" { print $2 }')
[ "$n" = 1 ] || fail "refusals{own_netns} = '$n', not 1"
wt_daemon_stop
fake_stop
ok "a pid in the daemon's own namespace is refused"

wt_finish
