#!/bin/bash
# castgate-warp integration: faults found by an audit of the docs against the daemon.
#   release: a target that stops being a target on SIGHUP (target_container_label changed)
#   loses the routes the daemon installed, gets Docker's default route back, and keeps nothing
#   via its warp's old address;
#   own-proto: routes carry castgate-warp's route protocol (proto 103), and a restart removes
#   them for a CIDR removed from the config while the daemon was away, while it adopts
#   "proto static" routes of an earlier version for configured CIDRs without a change;
#   rename: a container renamed to the name a target waits for becomes its warp (routed at once),
#   and a warp renamed away leaves its targets fail-closed;
#   restarting: a warp in a crash loop (restart policy) is down while Docker waits to restart it
#   (no next-hop error), and a crash-looping target that is removed is forgotten;
#   stop-hung-docker: SIGTERM while the Docker API does not answer (dockerd SIGSTOPped during a
#   reload's reconcile of three targets, each inspect a 4 s timeout) stops the daemon within 2.5 s;
#   messages: against a scripted Docker API (lib/fake_docker.py) whose first list fails and whose
#   one container's inspect fails: the list error is not doubled, the inspect error carries the
#   name; a SIGHUP that writes the same socket as a path instead of unix:// warns of nothing.
# Exit: 0 pass, 77 skip (not root / no docker), 1 fail.

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
wt_setup

docker network create --subnet 198.19.112.0/24 cgfa >/dev/null

# proto_of NAME CIDR: the protocol of the route for exactly CIDR ("" if none).
proto_of() {
	local pid
	pid=$(cpid "$1") || return 1
	nsenter -n -t "$pid" ip -4 -d route show table main exact "$2" |
		sed -n 's/.* proto \([^ ]*\).*/\1/p'
}
# no_route NAME CIDR: no route for exactly CIDR.
no_route() { [ "$(route_count "$1" "$2")" -eq 0 ]; }

# ---------------------------------------------------------------------------------------------
case_begin release
cat >"$WT_DIR/a.toml" <<'TOML'
target_container_label = "network.warp.target"
TOML
wt_daemon_start -c "$WT_DIR/a.toml"
wt_daemon_ready 15 || fail "daemon not healthy"
wt_run_warp warp-f cgfa
wt_run_target tf cgfa warp-f
wt_run_target tf2 cgfa warp-f -l other.target=warp-f
W=$(cip warp-f cgfa)
wait_for "all_via tf $W && all_via tf2 $W" $WT_T || fail "tf/tf2 not routed: $(routes tf | tr '\n' ';')"
[ "$(proto_of tf 198.18.200.0/24)" = 103 ] ||
	fail "route not installed with proto 103: $(proto_of tf 198.18.200.0/24)"
log_mark
sed -i 's/network.warp.target/other.target/' "$WT_DIR/a.toml"
kill -HUP "$WT_DAEMON_PID"
# Docker's default route back (the daemon saw it before replacing it), the other CIDR gone.
wait_for "untouched tf cgfa" $WT_T ||
	fail "tf, no longer a target, kept routes or lost Docker's: $(routes tf | tr '\n' ';')"
[ "$(proto_of tf 0.0.0.0/0)" != 103 ] || fail "tf's restored default route is proto 103"
all_via tf2 "$W" || fail "tf2, still a target by the new label, lost its routes"
log_has info 'no longer a target' || fail "no 'no longer a target' line"
[ "$(audit tf | jq -s 'map(select(.action == "remove" and .result == "ok")) | length')" -eq 2 ] ||
	fail "want two remove audit lines for tf: $(audit tf)"
[ "$(audit tf | jq -s 'map(select(.action == "restore" and .cidr == "0.0.0.0/0" and .result == "ok")) | length')" -eq 1 ] ||
	fail "want one restore audit line for tf's default route: $(audit tf)"
# Its warp stops and another container takes the address: tf must not route to it.
docker rm -f warp-f >/dev/null
docker run -d --name filler --network cgfa --ip "$W" "$WT_IMAGE" sleep 3600 >/dev/null ||
	fail "filler could not take $W"
sleep 1
! routes tf | grep -q "via $W" || fail "tf routes via the warp's old address: $(routes tf | tr '\n' ';')"
wait_for "all_unreachable tf2" $WT_T || fail "tf2 not fail-closed"
wt_daemon_stop
ok "a target released on SIGHUP loses castgate-warp's routes"

# ---------------------------------------------------------------------------------------------
case_begin own-proto
wt_clean
docker network create --subnet 198.19.112.0/24 cgfa >/dev/null
wt_run_warp warp-g cgfa
wt_run_target tg cgfa warp-g
wt_run_target tg-old cgfa warp-g
W=$(cip warp-g cgfa)
wt_daemon_start --routing-rules 0.0.0.0/0,198.18.200.0/24,198.18.201.0/24
wait_for "has_via tg 198.18.201.0/24 $W && all_via tg $W" $WT_T || fail "tg not routed"
wt_daemon_stop
# An earlier version's route ("proto static") for a configured CIDR, in tg-old.
nsenter -n -t "$(cpid tg-old)" ip route replace 198.18.200.0/24 via "$W" proto static ||
	fail "cannot add a static route in tg-old"
log_mark
wt_daemon_start --routing-rules 0.0.0.0/0,198.18.200.0/24
wait_for "log_has info 'reconcile .start-up.'" $WT_T || fail "no start-up reconcile"
wait_for "no_route tg 198.18.201.0/24" $WT_T ||
	fail "tg kept the route of a CIDR removed while the daemon was away: $(routes tg | tr '\n' ';')"
all_via tg "$W" || fail "tg lost a configured route"
[ "$(audit tg | jq -s 'map(select(.action == "remove" and .cidr == "198.18.201.0/24")) | length')" -eq 1 ] ||
	fail "want one remove audit line for 198.18.201.0/24: $(audit tg)"
wait_for "all_via tg-old $W" $WT_T || fail "tg-old not routed"
[ "$(proto_of tg-old 198.18.200.0/24)" = static ] ||
	fail "the earlier version's static route was re-applied: $(proto_of tg-old 198.18.200.0/24)"
[ -z "$(audit tg-old | jq -c 'select(.cidr == "198.18.200.0/24")')" ] ||
	fail "an audit line for tg-old's adopted static route: $(audit tg-old)"
wt_daemon_stop
ok "own route protocol: stale CIDRs removed on restart, static routes of an upgrade adopted"

# ---------------------------------------------------------------------------------------------
case_begin rename
wt_clean
docker network create --subnet 198.19.112.0/24 cgfa >/dev/null
wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy"
docker run -d --name gw-a --network cgfa --sysctl net.ipv4.ip_forward=1 "$WT_IMAGE" sleep 3600 >/dev/null
wt_run_target tr cgfa warp-x
W=$(cip gw-a cgfa)
wait_for "log_has warn 'warp warp-x does not exist'" $WT_T || fail "no 'does not exist' warning for tr"
docker rename gw-a warp-x
wait_for "all_via tr $W" $WT_T || fail "tr not routed after its warp's name appeared by a rename: $(routes tr | tr '\n' ';')"
docker rename warp-x gw-b
wait_for "all_unreachable tr" $WT_T || fail "tr still routed via a warp renamed away: $(routes tr | tr '\n' ';')"
[ "$(metric_sum 'castgate_warp_events_total\\{type="container",action="other"\\}')" -ge 2 ] ||
	fail "the renames are not counted as events_total{action=\"other\"}"
wt_daemon_stop
ok "docker rename of a warp, to and from a warp's name"

# ---------------------------------------------------------------------------------------------
case_begin restarting
wt_clean
docker network create --subnet 198.19.112.0/24 cgfa >/dev/null
wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy"
log_mark
# A warp in a crash loop: up 2 s, then Docker waits (100 ms, doubling) and restarts it.
docker run -d --name warp-c --network cgfa --sysctl net.ipv4.ip_forward=1 --restart always \
	"$WT_IMAGE" sh -c 'sleep 2; exit 1' >/dev/null
wt_run_target tc cgfa warp-c
# A target in a crash loop.
docker run -d --name tcl --network cgfa -l network.warp.target=warp-c --restart always \
	"$WT_IMAGE" sh -c 'sleep 1; exit 1' >/dev/null
sleep 9
log_has warn 'warp is down' || fail "no 'warp is down' line for the crash-looping warp"
log_has error 'has no IP address' && fail "next-hop errors for a restarting warp: $(log_new | jq -c 'select(.level == "error")' | head -3)"
[ "$(metric_sum 'castgate_warp_errors_total\\{kind="nexthop"\\}')" -eq 0 ] ||
	fail "errors_total{kind=nexthop} rose for a restarting warp"
docker rm -f tcl >/dev/null
docker rm -f warp-c >/dev/null
hz() { curl -s --max-time 2 "http://$WT_METRICS/healthz" | jq -r .targets; }
wait_for "[ \"\$(hz)\" = 1 ]" $WT_T || fail "healthz targets $(hz) after the crash-looping target was removed (want 1: tc)"
wt_daemon_stop
ok "restarting warp is down; a removed crash-looping target is forgotten"

# ---------------------------------------------------------------------------------------------
case_begin stop-hung-docker
wt_clean
docker network create --subnet 198.19.112.0/24 cgfa >/dev/null
wt_run_warp warp-s cgfa
for i in 1 2 3; do wt_run_target "ts$i" cgfa warp-s; done
W=$(cip warp-s cgfa)
wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy"
wait_for "all_via ts1 $W && all_via ts2 $W && all_via ts3 $W" $WT_T || fail "ts1..ts3 not routed"
DKPID=$(cat "/var/tmp/cgtw$WT_K/dockerd.pid")
kill -STOP "$DKPID"
kill -HUP "$WT_DAEMON_PID" # its reconcile's list request now hangs
sleep 0.5
t0=$(date +%s.%N)
wt_daemon_stop
t1=$(date +%s.%N)
kill -CONT "$DKPID"
[ "$WT_DAEMON_RC" = 0 ] || fail "exit status $WT_DAEMON_RC after SIGTERM (want 0)"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 2.5) }' ||
	fail "SIGTERM with a hung Docker API took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s (want < 2.5)"
ok "SIGTERM is prompt while a Docker request hangs"

# ---------------------------------------------------------------------------------------------
case_begin messages
wt_clean
FAKE_SOCK=$WT_DIR/fake.sock
jq -n '{list_fail: 1, containers: [{inspect_status: 500, runs: [{
	Id: "5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", Name: "/t-broken",
	State: {Running: true, Pid: 1, StartedAt: "2026-12-01T00:00:00Z"},
	Config: {Labels: {"network.warp.target": "warp-a"}},
	HostConfig: {NetworkMode: "appnet"},
	NetworkSettings: {Networks: {appnet: {IPAddress: "198.18.78.3", IPPrefixLen: 24}}}}]}]}' \
	>"$WT_DIR/scen.json"
python3 "$CG_SRC/tests/integration/warp/lib/fake_docker.py" "$FAKE_SOCK" "$WT_DIR/scen.json" \
	"$WT_DIR/requests.log" 2>>"$WT_DIR/fake.err" &
FAKE_PID=$!
wait_for "[ -S '$FAKE_SOCK' ]" 10 || fail "fake Docker API did not start"
printf '[docker]\nsocket = "unix://%s"\n' "$FAKE_SOCK" >"$WT_DIR/m.toml"
log_mark
"$WT_BIN" -c "$WT_DIR/m.toml" --log-format json -l debug --metrics-listen "$WT_METRICS" \
	>>"$WT_LOG" 2>&1 &
WT_DAEMON_PID=$!
wait_for "log_has error 'inspect broken'" $WT_T || fail "no inspect error line (the retry after the list failed)"
log_has error 'list containers: list containers' && fail "doubled 'list containers:' in: $(log_new | jq -r 'select(.msg | test("list containers")) | .msg' | head -1)"
log_has error 'reconcile .start-up.: list containers: ' || fail "no list error line"
[ "$(log_new | jq -r 'select(.msg | test("inspect broken")) | .name' | head -1)" = t-broken ] ||
	fail "the inspect error line does not carry the name: $(log_new | jq -c 'select(.msg | test("inspect broken"))' | head -1)"
printf '[docker]\nsocket = "%s"\n' "$FAKE_SOCK" >"$WT_DIR/m.toml"
kill -HUP "$WT_DAEMON_PID"
wait_for "log_has info 'SIGHUP: configuration reloaded'" $WT_T || fail "no reload"
log_has warn 'need a restart' && fail "the same socket as a path warned: $(log_new | jq -r 'select(.msg | test("restart")) | .msg')"
wt_daemon_stop
kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
ok "messages: one 'list containers:', inspect errors with the name, socket compared normalised"

wt_finish
