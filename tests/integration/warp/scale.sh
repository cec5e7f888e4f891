#!/bin/bash
# castgate-warp integration: 50 targets started at once. Every one ends with exactly one route
# per CIDR via the warp, and a warp restart with a new IP moves all of them.
# Exit: 0 pass, 77 skip (not root / no docker), 1 fail.

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
wt_setup
N=${WT_SCALE_N:-50}

docker network create --subnet 198.19.108.0/23 cgsc >/dev/null
wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy"
wt_run_warp warp-sc cgsc
W=$(cip warp-sc cgsc)

case_begin "$N-targets-at-once"
# Create first (slow with the vfs driver), then start them all in parallel so that the start
# events arrive in a burst.
pids=()
for i in $(seq "$N"); do
	docker create --name "ts$i" --network cgsc -l network.warp.target=warp-sc "$WT_IMAGE" sleep 3600 \
		>/dev/null &
	pids+=($!)
	# Never a bare "wait": it would wait for the daemon too.
	if [ $((i % 10)) -eq 0 ] || [ "$i" -eq "$N" ]; then
		for p in "${pids[@]}"; do wait "$p" || fail "docker create ts$i batch failed"; done
		pids=()
	fi
done
t0=$SECONDS
wt_say "$N targets created; starting them all at once"
pids=()
for i in $(seq "$N"); do
	docker start "ts$i" >/dev/null &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a docker start failed"; done
wt_say "docker start returned for all $N after $((SECONDS - t0)) s"
# check_all GW: every target has exactly one route per CIDR of $WT_RULES (IPv4 here), via GW.
# One docker inspect and one "ip route" per target: cheap enough to poll 50 containers.
check_all() {
	local gw=$1 name pid r c n bad=0
	while read -r name pid; do
		[ -n "$pid" ] && [ "$pid" != 0 ] || { echo "${name#/}: not running"; bad=1; continue; }
		r=$(nsenter -n -t "$pid" ip -4 route show table main) || { bad=1; continue; }
		for c in ${WT_RULES//,/ }; do
			[ "$c" = 0.0.0.0/0 ] && c=default
			n=$(printf '%s\n' "$r" | grep -c "^$c ")
			if [ "$n" -ne 1 ] || ! printf '%s\n' "$r" | grep -q "^$c via $gw "; then
				echo "${name#/}: $c: $(printf '%s\n' "$r" | grep "^$c " | tr '\n' ';')"
				bad=1
			fi
		done
	done < <(docker inspect -f '{{.Name}} {{.State.Pid}}' $(seq -f 'ts%g' "$N"))
	return $bad
}
if wait_for "check_all $W" 120; then
	ok "$N targets routed in $((SECONDS - t0)) s (from the first docker start)"
else
	fail "targets without exactly one route per CIDR via $W: $(check_all "$W" | head -5 | tr '\n' '|')"
fi
# No failed route operation and no error on the way.
audit | jq -e -s 'map(select(.result != "ok")) | length == 0' >/dev/null ||
	fail "failed route operations: $(audit | jq -c 'select(.result != "ok")' | head -3)"
[ "$(log_errors)" -eq 0 ] || fail "errors logged: $(log_new | jq -c 'select(.level=="error")' | head -3)"

case_begin "$N-targets-warp-moves"
docker stop -t 1 warp-sc >/dev/null
docker run -d --name filler --network cgsc --ip "$W" "$WT_IMAGE" sleep 3600 >/dev/null
docker start warp-sc >/dev/null
W2=$(cip warp-sc cgsc)
[ "$W2" != "$W" ] || fail "warp-sc kept its IP"
if wait_for "check_all $W2" 60; then ok "all $N targets moved to $W2"; else
	fail "targets not moved to $W2: $(check_all "$W2" | head -5 | tr '\n' '|')"
fi
audit | jq -e -s 'map(select(.result != "ok")) | length == 0' >/dev/null ||
	fail "failed route operations: $(audit | jq -c 'select(.result != "ok")' | head -3)"

wt_finish
