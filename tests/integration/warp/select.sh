#!/bin/bash
# castgate-warp integration: which container is a warp, which network gives the next hop, and
# the configuration precedence.
#   warp on 2 networks without a preference label (error, no routes), a preference label (route
#   via that network), a preference naming a missing network (error, no routes), a label naming
#   a warp that does not exist, no shared network, a routing warp that leaves the network (its
#   target fails closed), anchored name pattern (proxy-warp is not
#   warp-*), IPv6, and CLI > env > TOML for the pattern and the target label.
# Exit: 0 pass, 77 skip (not root / no docker), 1 fail.

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
wt_setup

docker network create --subnet 198.19.111.0/24 cgsa >/dev/null
docker network create --subnet 198.19.110.0/24 cgsb >/dev/null

# A container started after a misconfigured one and routed proves the daemon is past it (events
# are handled in order), so "no routes" below is not just "not yet".
barrier() {
	wt_run_target "$1" cgsa warp-ok
	wait_for "all_via $1 $WOK" $WT_T || fail "barrier $1 not routed via warp-ok $WOK"
}

wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy within 15 s after start"
wt_run_warp warp-ok cgsa
WOK=$(cip warp-ok cgsa)

# ---------------------------------------------------------------------------------------------
case_begin two-networks-no-preference
wt_create_multi warp-m cgsa,cgsb --sysctl net.ipv4.ip_forward=1
docker start warp-m >/dev/null
wt_run_target tm cgsa warp-m
if wait_for "log_has error 'warp-m'" $WT_T; then ok "error names warp-m"; else
	fail "no error naming warp-m (on 2 networks, no preference label)"; fi
barrier b1
untouched tm cgsa || fail "tm routed although warp-m's network is ambiguous: $(routes tm | tr '\n' ';')"
[ "$(audit tm | grep -c .)" -eq 0 ] || fail "audit lines for tm: $(audit tm | head -2)"

# ---------------------------------------------------------------------------------------------
case_begin preference-label
wt_create_multi warp-p cgsa,cgsb --sysctl net.ipv4.ip_forward=1 -l network.warp.network=cgsb
docker start warp-p >/dev/null
# The target is on both networks too: only the label decides.
wt_create_multi tp cgsa,cgsb -l network.warp.target=warp-p
docker start tp >/dev/null
WP=$(cip warp-p cgsb)
if wait_for "all_via tp $WP" $WT_T; then ok "tp via warp-p's cgsb address $WP"; else
	fail "tp not via $WP (warp-p on cgsb): $(routes tp | tr '\n' ';')"; fi

# ---------------------------------------------------------------------------------------------
case_begin preference-missing-network
wt_run_warp warp-q cgsa -l network.warp.network=cgnosuch
wt_run_target tq cgsa warp-q
if wait_for "log_has error 'cgnosuch'" $WT_T; then ok "error names the missing network"; else
	fail "no error naming the missing preferred network cgnosuch"; fi
barrier b2
untouched tq cgsa || fail "tq routed although warp-q's preferred network is missing: $(routes tq | tr '\n' ';')"

# ---------------------------------------------------------------------------------------------
case_begin missing-warp
wt_run_target tx cgsa warp-nope
if wait_for "log_has warn 'warp-nope' || log_has error 'warp-nope'" $WT_T; then
	ok "warning names warp-nope"
else
	fail "nothing at warn/error naming the missing warp warp-nope"
fi
barrier b3
untouched tx cgsa || fail "tx touched although its warp does not exist: $(routes tx | tr '\n' ';')"

# ---------------------------------------------------------------------------------------------
case_begin no-shared-network
wt_run_warp warp-sep cgsa
wt_run_target tsep cgsb warp-sep
if wait_for "log_has error 'warp-sep' && log_has error 'tsep'" $WT_T; then ok "error names warp-sep and tsep"; else
	fail "no error naming target tsep and warp-sep (no shared network)"; fi
barrier b4
untouched tsep cgsb || fail "tsep routed without a shared network: $(routes tsep | tr '\n' ';')"

# ---------------------------------------------------------------------------------------------
case_begin network-connect-disconnect
# Connecting the target to the warp's network is re-evaluated: it gets its routes.
docker network connect cgsa tsep
WSEP=$(cip warp-sep cgsa)
if wait_for "all_via tsep $WSEP" $WT_T; then ok "tsep routed after network connect"; else
	fail "tsep not routed via $WSEP after docker network connect: $(routes tsep | tr '\n' ';')"; fi
# A warp connected to a second network becomes ambiguous (no preference label): error logged.
log_mark
docker network connect cgsb warp-sep
wait_for "log_has error 'warp-sep.*several networks|several networks.*warp-sep|warp-sep'" $WT_T ||
	fail "no error after warp-sep joined a second network"

# ---------------------------------------------------------------------------------------------
case_begin target-reconnect
# A routed target that leaves the warp's network loses the routes with its interface (the kernel
# drops them); connected again, it must get them again, not stay on Docker's default route.
wt_run_target trc cgsa warp-ok
wait_for "all_via trc $WOK" $WT_T || fail "trc not routed via warp-ok $WOK"
docker network connect cgsb trc
barrier b6
all_via trc "$WOK" || fail "trc lost its routes when it joined cgsb: $(routes trc | tr '\n' ';')"
log_mark
docker network disconnect cgsa trc
wait_for "log_has error 'trc'" $WT_T || fail "no error naming trc after it left warp-ok's network"
docker network connect cgsa trc
if wait_for "all_via trc $WOK" $WT_T; then ok "trc routed again after reconnecting to cgsa"; else
	fail "trc not routed via $WOK after network disconnect + connect: $(routes trc | tr '\n' ';')"; fi

# ---------------------------------------------------------------------------------------------
case_begin warp-leaves-network
# A warp that leaves the network of a target it routed leaves its address free for another
# container: the target fails closed (on_warp_down = blackhole), as for a warp that stopped.
wt_run_warp warp-l cgsa
WL=$(cip warp-l cgsa)
wt_run_target tl cgsa warp-l
wait_for "all_via tl $WL" $WT_T || fail "tl not routed via warp-l $WL"
log_mark
docker network disconnect cgsa warp-l
if wait_for "all_unreachable tl" $WT_T; then ok "tl fails closed after warp-l left cgsa"; else
	fail "tl not fail-closed after warp-l left cgsa: $(routes tl | tr '\n' ';')"; fi
log_has error 'warp-l.*no longer has' || fail "no error saying tl's routes lead to a lost address"
# Converged again (the warp joins another network, still not tl's): it stays fail-closed.
log_mark
docker network connect cgsb warp-l
wait_for "log_has error 'warp-l'" $WT_T || fail "no error after warp-l joined cgsb only"
all_unreachable tl || fail "tl no longer fail-closed after warp-l joined cgsb: $(routes tl | tr '\n' ';')"
! log_has error 'tl.*left untouched|left untouched.*tl' || fail "tl said to be left untouched while fail-closed"
docker network disconnect cgsb warp-l
docker network connect cgsa warp-l
WL2=$(cip warp-l cgsa)
if wait_for "all_via tl $WL2" $WT_T; then ok "tl routed via $WL2 after warp-l came back"; else
	fail "tl not routed via $WL2 after warp-l reconnected: $(routes tl | tr '\n' ';')"; fi

# ---------------------------------------------------------------------------------------------
case_begin anchored-pattern
# "proxy-warp" and "warp" contain "warp" but do not match the anchored "warp-*".
wt_run_warp proxy-warp cgsa
wt_run_target tpx cgsa proxy-warp
wait_for "log_has error 'proxy-warp'" $WT_T || fail "no error naming proxy-warp (label names a non-warp)"
barrier b5
untouched tpx cgsa || fail "proxy-warp treated as a warp: $(routes tpx | tr '\n' ';')"
# A later matching warp is still fine (guards against a pattern that matches nothing).
wt_run_warp warp-x cgsa
wt_run_target tw cgsa warp-x
wait_for "all_via tw $(cip warp-x cgsa)" $WT_T || fail "warp-x (matches warp-*) not used"
ok "proxy-warp ignored, warp-x used"

# ---------------------------------------------------------------------------------------------
case_begin ipv6
wt_daemon_stop
wt_clean
docker network create --ipv6 --subnet "2001:db8:${WT_K}::/64" --subnet 198.19.109.0/24 cgs6 >/dev/null ||
	fail "cannot create IPv6 network"
WT_RULES="0.0.0.0/0,198.18.200.0/24,::/0,2001:db8:ff::/48"
log_mark
wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy"
wt_run_warp warp-6 cgs6 --sysctl net.ipv6.conf.all.forwarding=1
wt_run_target t6 cgs6 warp-6
W4=$(cip warp-6 cgs6)
W6=$(cip warp-6 cgs6 6)
[ -n "$W6" ] || fail "warp-6 has no IPv6 address"
if wait_for "all_via t6 $W4 $W6" $WT_T; then ok "t6 routes via $W4 and $W6"; else
	fail "t6 not via $W4/$W6: v4: $(routes t6 | tr '\n' ';') v6: $(routes t6 6 | tr '\n' ';')"; fi
n=$(route_count t6 ::/0)
[ "$n" -eq 1 ] || fail "t6 has $n IPv6 default routes: $(route_exact t6 ::/0 | tr '\n' ';')"
audit t6 | jq -e -s --arg v "$W6" 'map(select(.cidr == "::/0" and .via == $v)) | length >= 1' >/dev/null ||
	fail "no audit line for t6 ::/0 via $W6"
docker stop -t 1 warp-6 >/dev/null
if wait_for "all_unreachable t6" $WT_T; then ok "t6 IPv4 and IPv6 fail-closed"; else
	fail "t6 not fail-closed: v4: $(routes t6 | tr '\n' ';') v6: $(routes t6 6 | tr '\n' ';')"; fi
WT_RULES=0.0.0.0/0,198.18.200.0/24

# ---------------------------------------------------------------------------------------------
case_begin precedence
wt_daemon_stop
wt_clean
docker network create --subnet 198.19.111.0/24 cgsa >/dev/null
for w in cliw-1 envw-1 tomlw-1 dnww-1; do wt_run_warp "$w" cgsa; done
docker run -d --name t-cli --network cgsa -l cli.target=cliw-1 -l env.target=envw-1 "$WT_IMAGE" sleep 3600 >/dev/null
docker run -d --name t-env --network cgsa -l env.target=envw-1 -l toml.target=tomlw-1 "$WT_IMAGE" sleep 3600 >/dev/null
docker run -d --name t-toml --network cgsa -l toml.target=tomlw-1 "$WT_IMAGE" sleep 3600 >/dev/null
docker run -d --name t-dnw --network cgsa -l dnw.target=dnww-1 "$WT_IMAGE" sleep 3600 >/dev/null
cat >"$WT_DIR/p.toml" <<EOF
warp_container_name_pattern = "tomlw-*"
target_container_label = "toml.target"
[[routing_rules]]
destination = "198.18.201.0/24"
EOF
CLI=$(cip cliw-1 cgsa) ENV=$(cip envw-1 cgsa) TOML=$(cip tomlw-1 cgsa) DNW=$(cip dnww-1 cgsa)
only_routed() { # only_routed NAME GW: NAME has 198.18.201.0/24 via GW, the other targets nothing new
	local t
	wait_for "has_via $1 198.18.201.0/24 $2" $WT_T || { fail "$1 not routed via $2"; return; }
	for t in "${UNROUTED[@]}"; do
		[ -z "$(route_exact "$t" 198.18.201.0/24)" ] || fail "$t routed although its warp/label is not selected"
	done
}
# The daemon's own --routing-rules default from wt_daemon_start would override the TOML rules:
# run the binary here with only what each step sets.
run_daemon() {
	"$WT_BIN" --docker-socket "$CG_DOCKER_SOCK" --log-format json -l debug --metrics-listen "$WT_METRICS" \
		-c "$WT_DIR/p.toml" "$@" >>"$WT_LOG" 2>&1 &
	WT_DAEMON_PID=$!
	wt_daemon_ready 15 || fail "daemon not healthy ($*)"
}
# CLI > env > TOML
UNROUTED=(t-env t-toml t-dnw)
CASTGATE_WARP_WARP_CONTAINER_PATTERN='envw-*' CASTGATE_WARP_TARGET_CONTAINER_LABEL=env.target \
	run_daemon --warp-container-pattern 'cliw-*' --target-container-label cli.target
only_routed t-cli "$CLI"
wt_daemon_stop
# env > TOML; CASTGATE_WARP_* wins over DOCKER_NETWORK_WARP_*
UNROUTED=(t-toml t-dnw)
CASTGATE_WARP_WARP_CONTAINER_PATTERN='envw-*' CASTGATE_WARP_TARGET_CONTAINER_LABEL=env.target \
	DOCKER_NETWORK_WARP_WARP_CONTAINER_PATTERN='dnww-*' DOCKER_NETWORK_WARP_TARGET_CONTAINER_LABEL=dnw.target \
	run_daemon
only_routed t-env "$ENV"
wt_daemon_stop
# DNW's env names alone are honoured
UNROUTED=(t-toml)
DOCKER_NETWORK_WARP_WARP_CONTAINER_PATTERN='dnww-*' DOCKER_NETWORK_WARP_TARGET_CONTAINER_LABEL=dnw.target \
	run_daemon
only_routed t-dnw "$DNW"
wt_daemon_stop
# TOML alone
UNROUTED=()
run_daemon
only_routed t-toml "$TOML"
wt_daemon_stop
ok "CLI > env > TOML for pattern and label"

# ---------------------------------------------------------------------------------------------
case_begin check-config
# Strict validation: a bad CIDR in the TOML is named with its key and line; exit status 2.
cat >"$WT_DIR/bad.toml" <<EOF
warp_container_name_pattern = "warp-*"

[[routing_rules]]
destination = "198.18.300.0/24"
EOF
out=$("$WT_BIN" -c "$WT_DIR/bad.toml" --check-config 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "--check-config on a bad CIDR exited $rc (want 2): $out"
[[ "$out" == *destination* && "$out" =~ (line 4|:4[^0-9]) && "$out" == *198.18.300.0/24* ]] ||
	fail "--check-config message does not name destination, line 4 and the value: $out"
out=$("$WT_BIN" -c "$WT_DIR/p.toml" --validate-config 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "--validate-config on a good file exited $rc: $out"
"$WT_BIN" --print-default-config >"$WT_DIR/def.toml" 2>&1 || fail "--print-default-config failed"
"$WT_BIN" -c "$WT_DIR/def.toml" --check-config >/dev/null 2>&1 || fail "the default config does not validate"
"$WT_BIN" -c "$CG_SRC/config/warp.toml" --check-config >/dev/null 2>&1 || fail "config/warp.toml does not validate"
ok "config validation"

wt_finish
