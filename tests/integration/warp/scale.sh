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
# Create first (slow with the vfs driver), then start them all in one docker call so that the
# start events arrive in a burst.
pids=()
for i in $(seq "$N"); do
	docker create --name "ts$i" --network cgsc -l network.warp.target=warp-sc "$WT_IMAGE" sleep 3600 \
		>/dev/null &
	pids+=($!)
	if [ $((i % 10)) -eq 0 ]; then wait "${pids[@]}"; pids=(); fi
done
wait "${pids[@]}" 2>/dev/null
t0=$SECONDS
docker start $(seq -f 'ts%g' "$N") >/dev/null || fail "docker start of $N targets failed"
all_ok() {
	local i
	for i in $(seq "$N"); do all_via "ts$i" "$W" || return 1; done
}
if wait_for all_ok 120; then
	ok "$N targets routed in $((SECONDS - t0)) s (from docker start)"
else
	for i in $(seq "$N"); do
		all_via "ts$i" "$W" || fail "ts$i: $(routes "ts$i" | tr '\n' ';')"
	done
fi
# Exactly one route per CIDR, and the audit log has no failed operation.
bad=0
for i in $(seq "$N"); do
	for c in ${WT_RULES//,/ }; do
		[ "$(route_count "ts$i" "$c")" -eq 1 ] || bad=$((bad + 1))
	done
done
[ "$bad" -eq 0 ] || fail "$bad target/CIDR pairs without exactly one route"
audit | jq -e -s 'map(select(.result != "ok")) | length == 0' >/dev/null ||
	fail "failed route operations: $(audit | jq -c 'select(.result != "ok")' | head -3)"
[ "$(log_errors)" -eq 0 ] || fail "errors logged: $(log_new | jq -c 'select(.level=="error")' | head -3)"

case_begin "$N-targets-warp-moves"
docker stop -t 1 warp-sc >/dev/null
docker run -d --name filler --network cgsc --ip "$W" "$WT_IMAGE" sleep 3600 >/dev/null
docker start warp-sc >/dev/null
W2=$(cip warp-sc cgsc)
[ "$W2" != "$W" ] || fail "warp-sc kept its IP"
all_new() {
	local i
	for i in $(seq "$N"); do all_via "ts$i" "$W2" || return 1; done
}
if wait_for all_new 60; then ok "all $N targets moved to $W2"; else
	for i in $(seq "$N"); do all_via "ts$i" "$W2" || fail "ts$i: $(routes "ts$i" | tr '\n' ';')"; done
fi

wt_finish
