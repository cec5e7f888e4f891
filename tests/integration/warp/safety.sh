#!/bin/bash
# castgate-warp integration: routes are set only in a namespace that belongs to the target alone
# (issue: a labelled --network host container took the host offline). Against a real dockerd,
# which runs in its own network namespace (cgtw6-dk): a host-network container shares THAT
# namespace, so "the host" here is a throwaway namespace, and its routes are compared whole.
#   host        a labelled --network host target: no route anywhere, even when the warp stops
#               (fail-closed would have made the host's default route unreachable)
#   container   a labelled --network container:X target: X's routes untouched (X: xj)
#   shared      a target that another container joined: refused; once it leaves, routed
#   shared-warp-down  a routed target, joined, whose warp stops: refused once (log, metric)
#   warp-host   a warp in host mode is not used as a next hop
# A normal target in the same runs shows that the daemon does route (the test can fail).
# Exit: 0 pass, 77 skip (not root / no docker), 1 fail.

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
wt_setup

DK_NS=cgtw$WT_K-dk
docker network create --subnet 198.19.$((WT_K * 16 + 1)).0/24 cgws >/dev/null
NET=cgws
# The test dockerd's namespace has no default route of its own; give it one, as a host has, so
# that a wrong replace (or fail-closed "unreachable") of it would show.
ip -n "$DK_NS" route add default via 198.18.$((240 + WT_K)).254 dev docker0 onlink ||
	fail "cannot add a default route in $DK_NS"

# Everything a wrong route could land in: the dockerd namespace (the containers' "host"), but
# for the kernel's own routes of interfaces (container veths come and go), and the root
# namespace's routes for our CIDRs (the daemon's own).
host_routes() {
	ip -n "$DK_NS" -4 route show table main | grep -v ' proto kernel '
	ip -n "$DK_NS" -6 route show table main | grep -v ' proto kernel '
	local c
	for c in ${WT_RULES//,/ }; do
		ip route show table all exact "$c" proto static
		ip route show table all exact "$c" proto 103
	done
}
refusal() { # NAME REASON: the refusal's log line (event=refuse) for NAME
	log_new | jq -e -s --arg n "$1" --arg r "$2" \
		'map(select(.level == "error" and .event == "refuse" and .name == $n and
			    .reason == $r)) | length == 1' >/dev/null
}
refusals() { metric_sum "castgate_warp_refusals_total\\{reason=\"$1\"\\}"; }
gauge() { metric_sum "^castgate_warp_refused_targets$"; }

# ---------------------------------------------------------------------------------------------
case_begin host+container
wt_run_warp warp-a "$NET"
W=$(cip warp-a "$NET")
wt_run_target tn "$NET" warp-a
docker run -d --name th --network host -l network.warp.target=warp-a "$WT_IMAGE" sleep 3600 \
	>/dev/null || fail "cannot start th"
docker run -d --name xj --network "$NET" "$WT_IMAGE" sleep 3600 >/dev/null
docker run -d --name yj --network container:xj -l network.warp.target=warp-a "$WT_IMAGE" \
	sleep 3600 >/dev/null || fail "cannot start yj"
BEFORE=$(host_routes)
XBEFORE=$(routes xj)
[ -n "$BEFORE" ] || fail "no routes read in $DK_NS"
wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy within 15 s after start"
wait_for "all_via tn $W" "$WT_T" || fail "tn (normal target) not routed: $(routes tn | tr '\n' ';')"
wait_for "refusal th host_network" "$WT_T" || fail "no host_network refusal for th"
wait_for "refusal yj container_network" "$WT_T" || fail "no container_network refusal for yj"
log_has error 'target th refused: target runs in the host.s network namespace' ||
	fail "th's refusal does not say why"
[ "$(host_routes)" = "$BEFORE" ] || fail "host routes changed: $(diff <(echo "$BEFORE") <(host_routes))"
[ "$(routes xj)" = "$XBEFORE" ] || fail "xj's routes changed: $(routes xj | tr '\n' ';')"
untouched xj "$NET" || fail "xj is not as Docker made it"
[ "$(audit th)$(audit yj)" = "" ] || fail "route audit lines for th/yj: $(audit th) $(audit yj)"
[ "$(refusals host_network)" = 1 ] || fail "refusals{host_network} = $(refusals host_network)"
[ "$(refusals container_network)" = 1 ] ||
	fail "refusals{container_network} = $(refusals container_network)"
[ "$(gauge)" = 2 ] || fail "refused_targets gauge = $(gauge), not 2"
ok "host and container:xj targets refused, nothing changed, tn routed"

# Fail-closed must not reach them either: stop the warp, tn goes unreachable, the rest stays.
docker stop -t 1 warp-a >/dev/null
wait_for "all_unreachable tn" "$WT_T" || fail "tn not failed closed: $(routes tn | tr '\n' ';')"
sleep 1
[ "$(host_routes)" = "$BEFORE" ] ||
	fail "host routes changed on warp stop: $(diff <(echo "$BEFORE") <(host_routes))"
[ "$(routes xj)" = "$XBEFORE" ] || fail "xj's routes changed on warp stop: $(routes xj | tr '\n' ';')"
[ "$(audit th)$(audit yj)" = "" ] || fail "route audit lines for th/yj after warp stop"
# Logged once, not on every re-evaluation.
[ "$(log_new | jq -s 'map(select(.event == "refuse" and .name == "th")) | length')" = 1 ] ||
	fail "th's refusal logged more than once"
ok "warp stop: tn fails closed, host and xj untouched"
wt_daemon_stop
wt_clean
docker network create --subnet 198.19.$((WT_K * 16 + 1)).0/24 "$NET" >/dev/null

# ---------------------------------------------------------------------------------------------
case_begin shared
wt_run_warp warp-a "$NET"
W=$(cip warp-a "$NET")
wt_run_target t3 "$NET" warp-a
docker run -d --name s3 --network container:t3 "$WT_IMAGE" sleep 3600 >/dev/null ||
	fail "cannot start s3"
wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy within 15 s after start"
wait_for "refusal t3 shared_netns" "$WT_T" || fail "no shared_netns refusal for t3"
log_has error 'container s3 .* shares its network namespace' || fail "the refusal does not name s3"
untouched t3 "$NET" || fail "t3 changed while s3 shares it: $(routes t3 | tr '\n' ';')"
# Rechecked (every 2 s): once s3 is gone, t3 is its own again.
docker rm -f s3 >/dev/null
wait_for "all_via t3 $W" "$WT_T" || fail "t3 not routed after s3 left: $(routes t3 | tr '\n' ';')"
[ "$(gauge)" = 0 ] || fail "refused_targets gauge = $(gauge) after s3 left"
ok "a joined target is refused until the joiner leaves"
wt_daemon_stop
wt_clean
docker network create --subnet 198.19.$((WT_K * 16 + 1)).0/24 "$NET" >/dev/null

# ---------------------------------------------------------------------------------------------
case_begin shared-warp-down
# Routed, then joined, then its warp stops: refused (no change while shared), and the refusal is
# logged and counted once, not again at every recheck (WARP.md: "again only when the reason
# changes"; the warp-down warning once alternated with it).
wt_run_warp warp-a "$NET"
W=$(cip warp-a "$NET")
wt_run_target t5 "$NET" warp-a
wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy within 15 s after start"
wait_for "all_via t5 $W" "$WT_T" || fail "t5 not routed via $W: $(routes t5 | tr '\n' ';')"
docker run -d --name s5 --network container:t5 "$WT_IMAGE" sleep 3600 >/dev/null ||
	fail "cannot start s5"
log_mark
r0=$(refusals shared_netns)
docker stop -t 1 warp-a >/dev/null
wait_for "refusal t5 shared_netns" "$WT_T" || fail "no shared_netns refusal for t5 after warp-a stopped"
sleep 5 # two rechecks (every 2 s)
n=$(log_new | jq -s 'map(select(.event == "refuse" and .name == "t5")) | length')
[ "$n" = 1 ] || fail "t5's refusal logged $n times within 5 s of rechecks (once until it changes)"
[ "$(refusals shared_netns)" = $((r0 + 1)) ] ||
	fail "refusals_total{shared_netns} went from $r0 to $(refusals shared_netns), not up by 1"
all_via t5 "$W" || fail "t5 changed while shared: $(routes t5 | tr '\n' ';')"
ok "a routed target, joined, then its warp stopped: refused once, its routes kept"
wt_daemon_stop
wt_clean
docker network create --subnet 198.19.$((WT_K * 16 + 1)).0/24 "$NET" >/dev/null

# ---------------------------------------------------------------------------------------------
case_begin warp-host
docker run -d --name warp-h --network host "$WT_IMAGE" sleep 3600 >/dev/null ||
	fail "cannot start warp-h"
wt_run_target t4 "$NET" warp-h
wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy within 15 s after start"
wait_for "log_has error 'warp warp-h is not used as a next hop: warp runs in the host'" "$WT_T" ||
	fail "no refusal of warp-h as a next hop"
untouched t4 "$NET" || fail "t4 changed: $(routes t4 | tr '\n' ';')"
ok "a host-network warp is not used as a next hop"

wt_finish
