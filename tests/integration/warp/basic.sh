#!/bin/bash
# castgate-warp integration: the route lifecycle against a real dockerd.
#   basic routes (0.0.0.0/0 replaces Docker's default), traffic really goes to the warp,
#   target started before its warp, target restart, docker kill of a target, warp stop
#   (fail-closed: unreachable routes, nothing on the bridge), warp restart with a new IP
#   (one route per CIDR), two warps with separate targets, /healthz and /metrics counters,
#   /healthz answering while clients drip a request byte by byte (cut at the 5 s deadline).
# One dockerd and one daemon for the whole file; containers are removed between cases.
# Exit: 0 pass, 77 skip (not root / no docker), 1 fail.

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
wt_setup

docker network create --subnet 198.19.111.0/24 cgwa >/dev/null
docker network create --subnet 198.19.110.0/24 cgwb >/dev/null
BR_A=br-$(docker network inspect -f '{{.Id}}' cgwa | cut -c1-12)

wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy within 15 s after start"

# ---------------------------------------------------------------------------------------------
case_begin basic
wt_run_warp warp-a cgwa
wt_run_target t1 cgwa warp-a
W=$(cip warp-a cgwa)
if wait_for "all_via t1 $W" $WT_T; then
	ok "t1 routes $WT_RULES via $W"
else
	fail "t1 has no routes via $W: $(routes t1 | tr '\n' ';')"
fi
# Docker's default route is replaced, not doubled.
[ "$(route_count t1 0.0.0.0/0)" -eq 1 ] || fail "t1 has $(route_count t1 0.0.0.0/0) default routes"
# The connected route of the network is left alone.
routes t1 | grep -q '^198.19.111.0/24 dev eth0' || fail "t1 lost its connected route"
# One audit line per route, naming container, CIDR and next hop.
for c in ${WT_RULES//,/ }; do
	audit t1 | jq -e -s --arg c "$c" --arg v "$W" \
		'map(select(.cidr == $c and .via == $v and (.action == "add" or .action == "replace"))) | length >= 1' \
		>/dev/null || fail "no audit line for t1 $c via $W"
done
audit t1 | jq -e -s 'map(select(.container != null and (.container | length) >= 12 and .result != null)) | length >= 1' \
	>/dev/null || fail "audit lines lack container id or result"
# Traffic to a routed CIDR really reaches the warp: capture in the warp's netns.
WPID=$(cpid warp-a)
T1IP=$(cip t1 cgwa)
nsenter -n -t "$WPID" tcpdump -l -n -i eth0 -c 1 "icmp and src host $T1IP and dst host 198.18.200.7" \
	>"$WT_DIR/warp-cap.txt" 2>"$WT_DIR/warp-cap.err" &
CAP=$!
wait_for "grep -q listening $WT_DIR/warp-cap.err" "$WT_T" || fail "tcpdump in warp-a did not start"
docker exec t1 ping -c 3 -W 1 198.18.200.7 >/dev/null 2>&1
wait_for "! kill -0 $CAP" 5
kill "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null
grep -q "198.18.200.7" "$WT_DIR/warp-cap.txt" ||
	fail "ping from t1 to 198.18.200.7 never reached warp-a"
ok "traffic from t1 to a routed CIDR arrives at warp-a"

# ---------------------------------------------------------------------------------------------
case_begin target-restart
OLDPID=$(cpid t1)
docker restart -t 1 t1 >/dev/null
[ "$(cpid t1)" != "$OLDPID" ] || fail "t1 did not get a new process"
if wait_for "all_via t1 $W" $WT_T; then ok "routes back after restart"; else
	fail "t1 routes not back after restart: $(routes t1 | tr '\n' ';')"; fi

# ---------------------------------------------------------------------------------------------
case_begin target-kill
docker kill t1 >/dev/null
# The daemon sees the die; it must forget t1 quietly and stay up. Events are handled in order,
# so a target started afterwards that gets its routes proves the die was handled.
docker run -d --name barrier1 --network cgwa -l network.warp.target=warp-a "$WT_IMAGE" sleep 3600 >/dev/null
wait_for "all_via barrier1 $W" $WT_T || fail "daemon stopped handling events after a target kill"
wt_daemon_alive || fail "daemon died after docker kill of a target"
[ "$(log_errors)" -eq 0 ] || fail "errors logged after docker kill: $(log_new | jq -c 'select(.level=="error")' | head -3)"
audit t1 | jq -e -s 'map(select(.result != null and .result != "ok")) | length == 0' >/dev/null ||
	fail "failed route operations on the dead t1: $(audit t1 | head -3)"
# A killed target started again gets its routes like a new one.
docker start t1 >/dev/null
if wait_for "all_via t1 $W" $WT_T; then ok "killed target forgotten, restarted cleanly"; else
	fail "t1 routes missing after kill + start"; fi
docker rm -f barrier1 >/dev/null

# ---------------------------------------------------------------------------------------------
case_begin target-before-warp
wt_run_target t2 cgwb warp-b
# No warp yet: t2 keeps Docker's routes.
wait_for "log_has warn 'warp-b' || log_has error 'warp-b' || log_has info 'warp-b'" $WT_T ||
	fail "nothing logged about the missing warp-b"
untouched t2 cgwb || fail "t2 changed before its warp exists: $(routes t2 | tr '\n' ';')"
wt_run_warp warp-b cgwb
WB=$(cip warp-b cgwb)
if wait_for "all_via t2 $WB" $WT_T; then ok "t2 routed once warp-b started"; else
	fail "t2 not routed via warp-b $WB: $(routes t2 | tr '\n' ';')"; fi

# ---------------------------------------------------------------------------------------------
case_begin two-warps
wt_run_target t3 cgwa warp-a
wait_for "all_via t3 $W" $WT_T || fail "t3 not routed via warp-a"
all_via t2 "$WB" || fail "t2 lost its warp-b routes"
all_via t1 "$W" || fail "t1 lost its warp-a routes"
# Stopping warp-b fails its targets closed and leaves warp-a's targets alone.
docker stop -t 1 warp-b >/dev/null
wait_for "all_unreachable t2" $WT_T || fail "t2 not fail-closed after warp-b stopped: $(routes t2 | tr '\n' ';')"
all_via t1 "$W" || fail "t1 (warp-a) changed when warp-b stopped"
all_via t3 "$W" || fail "t3 (warp-a) changed when warp-b stopped"
ok "two warps keep their own targets"
docker rm -f t2 warp-b t3 >/dev/null

# ---------------------------------------------------------------------------------------------
case_begin warp-stop-fail-closed
docker stop -t 1 warp-a >/dev/null
if wait_for "all_unreachable t1" $WT_T; then ok "t1 routes unreachable"; else
	fail "t1 not fail-closed: $(routes t1 | tr '\n' ';')"; fi
for c in ${WT_RULES//,/ }; do
	audit t1 | jq -e -s --arg c "$c" 'map(select(.cidr == $c and .action == "blackhole")) | length >= 1' \
		>/dev/null || fail "no blackhole audit line for t1 $c"
done
# Nothing leaves through Docker's bridge: a ping to a routed address fails locally and tcpdump on
# the bridge sees none of t1's packets.
nsenter --net="/run/netns/cgtw${WT_K}-dk" tcpdump -l -n -i "$BR_A" "src host $T1IP and not arp" \
	>"$WT_DIR/br-cap.txt" 2>"$WT_DIR/br-cap.err" &
CAP=$!
wait_for "grep -q listening $WT_DIR/br-cap.err" "$WT_T" || fail "tcpdump on $BR_A did not start"
PING=$(docker exec t1 ping -c 2 -W 1 198.18.200.7 2>&1)
PRC=$?
PING0=$(docker exec t1 ping -c 1 -W 1 198.18.77.1 2>&1)
PRC0=$?
sleep 0.5 # let tcpdump drain what the kernel already queued
kill -INT "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null
[ "$PRC" -ne 0 ] || fail "ping into 198.18.200.0/24 succeeded while warp-a is down"
[[ "$PING" == *"No route to host"* || "$PING" == *nreachable* ]] || fail "ping into routed CIDR did not fail as unreachable: $PING"
[ "$PRC0" -ne 0 ] && [[ "$PING0" == *"No route to host"* || "$PING0" == *nreachable* ]] ||
	fail "ping via the (blackholed) default route did not fail as unreachable: $PING0"
if grep -q . "$WT_DIR/br-cap.txt"; then
	fail "packets from t1 seen on bridge $BR_A: $(head -3 "$WT_DIR/br-cap.txt")"
else
	ok "nothing from t1 on $BR_A while warp-a is down"
fi

# ---------------------------------------------------------------------------------------------
case_begin warp-new-ip
# Take warp-a's old address with a filler, so that the restarted warp gets a new one.
docker run -d --name filler --network cgwa --ip "$W" "$WT_IMAGE" sleep 3600 >/dev/null ||
	fail "cannot start filler on $W"
docker start warp-a >/dev/null
W2=$(cip warp-a cgwa)
[ -n "$W2" ] && [ "$W2" != "$W" ] || fail "warp-a did not get a new IP ($W -> $W2)"
if wait_for "all_via t1 $W2" $WT_T; then ok "t1 follows warp-a to $W2"; else
	fail "t1 not via new warp IP $W2: $(routes t1 | tr '\n' ';')"; fi
for c in ${WT_RULES//,/ }; do
	n=$(route_count t1 "$c")
	[ "$n" -eq 1 ] || fail "t1 has $n routes for $c after the warp moved: $(route_exact t1 "$c" | tr '\n' ';')"
done
routes t1 | grep -q "via $W " && fail "a route via the old warp IP $W remains"
untouched filler cgwa || fail "the filler (no label) was touched"

# ---------------------------------------------------------------------------------------------
case_begin health-metrics
code=$(curl -s -o "$WT_DIR/health.txt" -w '%{http_code}' "http://$WT_METRICS/healthz")
[ "$code" = 200 ] || fail "/healthz answered $code: $(cat "$WT_DIR/health.txt")"
metrics >"$WT_DIR/m1.txt"
grep -q '^castgate_warp_' "$WT_DIR/m1.txt" || fail "/metrics has no castgate_warp_ samples"
grep -q '^# TYPE castgate_warp_.* histogram' "$WT_DIR/m1.txt" || fail "/metrics has no histogram"
grep -Eq '^castgate_warp_event_to_route_seconds_bucket\{le="\+Inf"\} [0-9]+$' "$WT_DIR/m1.txt" ||
	fail "latency histogram castgate_warp_event_to_route_seconds has no +Inf bucket"
grep -Eq '^castgate_warp_errors_total\{kind="netlink"\} 0$' "$WT_DIR/m1.txt" || fail "netlink errors counted"
grep -q '^castgate_warp_docker_connected 1$' "$WT_DIR/m1.txt" || fail "castgate_warp_docker_connected is not 1"
ev1=$(metric_sum '^castgate_warp_events_total')
rt1=$(metric_sum '^castgate_warp_routes_applied_total')
hc1=$(metric_sum '^castgate_warp_event_to_route_seconds_count$')
wt_run_target t4 cgwa warp-a
wait_for "all_via t4 $W2" $WT_T || fail "t4 not routed"
ev2=$(metric_sum '^castgate_warp_events_total')
rt2=$(metric_sum '^castgate_warp_routes_applied_total')
hc2=$(metric_sum '^castgate_warp_event_to_route_seconds_count$')
[ "$ev2" -gt "$ev1" ] || fail "event counters did not move ($ev1 -> $ev2)"
[ "$rt2" -gt "$rt1" ] || fail "route counters did not move ($rt1 -> $rt2)"
[ "$hc2" -gt "$hc1" ] || fail "latency histogram count did not move ($hc1 -> $hc2)"
# Only the loopback address answers.
curl -s --max-time 2 -o /dev/null "http://[::1]:$WT_PORT/healthz" 2>/dev/null && fail "metrics answer on ::1"
ok "healthz 200, counters moved (events $ev1->$ev2, routes $rt1->$rt2, latency n $hc1->$hc2)"

# ---------------------------------------------------------------------------------------------
case_begin healthz-drippers
# Clients that send a request line a byte every 0.3 s and never end it (each byte restarts the
# idle timeout) hold no one up: /healthz answers meanwhile, and each dripper is cut at the
# endpoint's deadline (lib/http: 5 s for a request to arrive and be answered).
DEADLINE_S=5
drip_fds=()
drip_pids=()
t0=$(date +%s%N)
for i in 1 2 3 4; do
	exec {fd}<>"/dev/tcp/127.0.0.1/$WT_PORT" || { fail "dripper $i cannot connect"; continue; }
	drip_fds+=("$fd")
	(printf 'GET /' && while printf a; do sleep 0.3; done) 1>&"$fd" 2>/dev/null &
	drip_pids+=($!)
done
sleep 0.7
# Ten probes: every one 200; the median within 100 ms (issue 14's bound) and each within 1 s
# (a loaded 2-core machine can stall one); served after a dripper, one would take 5 s.
times=()
for i in $(seq 10); do
	r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 3 "http://$WT_METRICS/healthz")
	[ "${r% *}" = 200 ] || fail "/healthz answered '$r' while dripped on"
	times+=("${r#* }")
	sleep 0.1
done
read -r med max < <(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 }
	END { print a[int(NR / 2) + 1], a[NR] }')
awk -v m="$med" -v x="$max" 'BEGIN { exit !(m < 0.1 && x < 1) }' ||
	fail "/healthz while dripped on: median ${med}s, slowest ${max}s (want < 0.1 s, < 1 s)"
# Each dripper reads EOF (or an error answer) at the deadline, not before, within 3 s after.
for fd in "${drip_fds[@]}"; do
	left=$(( (t0 + (DEADLINE_S + 3) * 1000000000 - $(date +%s%N)) / 1000000 ))
	[ "$left" -gt 0 ] || left=1
	IFS= read -r -t "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))" -u "$fd" _
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ "$rc" -gt 128 ]; then
		fail "a dripper still connected ${ms} ms after it started (deadline ${DEADLINE_S} s)"
	elif [ "$ms" -lt $((DEADLINE_S * 1000 - 500)) ]; then
		fail "a dripper was cut after ${ms} ms, before the ${DEADLINE_S} s deadline"
	fi
	exec {fd}>&-
done
kill "${drip_pids[@]}" 2>/dev/null
wait "${drip_pids[@]}" 2>/dev/null
ok "/healthz while 4 clients drip: median ${med}s, slowest ${max}s; drippers cut at the deadline"

# ---------------------------------------------------------------------------------------------
case_begin sigterm
wt_daemon_stop
[ "$WT_DAEMON_RC" = 0 ] || fail "daemon exit status $WT_DAEMON_RC after SIGTERM (want 0)"
all_via t1 "$W2" || fail "routes of t1 removed at shutdown"
all_via t4 "$W2" || fail "routes of t4 removed at shutdown"
ok "clean stop, routes left in place"

wt_finish
