# shellcheck shell=bash
# castgate-dataplane in a test: its config, hugepages, start, stop, stats.

# cg_conf_base [--mtu BYTES] [--sink1] [--set 'KEY = VALUE']... [--in-device DEV]:
# print the [dataplane] section (with each --set line in it) and the ports of
# the relay topology (in0 on cgtNrin0, out0 on cgtNrout0, out1 on cgtNrout1
# with --sink1). --in-device replaces in0's AF_PACKET device string. The test
# appends its [[rule]] sections. The data plane reads API rules from
# [control] state_file at start: outside the control-plane tests (whose
# cg_ctl_conf writes its own [control]), that file is one under $CG_TMP that
# does not exist, never the machine's /var/lib/castgate/rules.json.
cg_conf_base() {
	local mtu=${CG_MTU:-1500} sink1=0 afp="" set="" indev=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--mtu) mtu=$2; shift ;;
		--in-device) indev=$2; shift ;;
		--sink1) sink1=1 ;;
		--set) set+="$2"$'\n'; shift ;;
		*) cg_die "cg_conf_base: unknown option $1" ;;
		esac
		shift
	done
	# AF_PACKET rings: 4096 frames (the default is 512), so that a relay
	# descheduled for 100 ms on this shared 2-core machine loses nothing at
	# test rates. Ring frames and mbufs hold 2 KiB by default: jumbo frames
	# need more of both. A ring frame holds the Ethernet frame after the
	# kernel's tpacket header (< 100 bytes); the PMD wants each ring frame to
	# fit in one mbuf's data room; blocks are whole pages (4 frames a block).
	local mbuf="" framesz
	afp=",framecnt=4096"
	if [ "$mtu" -gt 1500 ]; then
		framesz=$(((mtu + 18 + 100 + 1023) / 1024 * 1024))
		afp=",blocksz=$((framesz * 4)),framesz=$framesz,framecnt=1024"
		mbuf="mbuf_size = $((framesz + 128))"
	fi
	[ -n "$indev" ] || indev="net_af_packet0,iface=$CG_IF_RIN$afp"
	cat <<CONF
# castgate config of test $CG_N ($CG_PREFIX), written by tests/integration/lib/cg_dp.sh
[dataplane]
lcores = "${CG_LCORES:-0}"
file_prefix = "$CG_FILE_PREFIX"
# 2-core machine shared by the team: an idle worker sleeps instead of spinning.
idle_sleep_us = 20
memory_mb = 256
$mbuf
$set
CONF
	# scripts/test --sanitize: the primary's memory away from ASan's shadow and
	# allocator, where each secondary can map it too (docs/CONVENTIONS.md).
	if [ -n "${CG_TEST_EAL_ARGS:-}" ] && [[ "$set" != *eal_args* ]]; then
		printf 'eal_args = ["%s"]\n' "$CG_TEST_EAL_ARGS"
	fi
	if [ -z "${CG_CTL_SOCK:-}" ]; then
		printf '[control]\nstate_file = "%s/no-api-rules.json"\n\n' "$CG_TMP"
	fi
	cat <<CONF
[[port]]
name = "in0"
device = "$indev"
ip = "$CG_IP_RIN/$CG_PLEN"
mac = "auto"
mtu = $mtu

[[port]]
name = "out0"
device = "net_af_packet1,iface=$CG_IF_ROUT0$afp"
ip = "$CG_IP_ROUT0/$CG_PLEN"
mac = "auto"
mtu = $mtu
CONF
	if [ "$sink1" = 1 ]; then
		cat <<CONF

[[port]]
name = "out1"
device = "net_af_packet2,iface=$CG_IF_ROUT1$afp"
ip = "$CG_IP_ROUT1/$CG_PLEN"
mac = "auto"
mtu = $mtu
CONF
	fi
}

# cg_conf_igmp_rules: two [[rule]]s for the IGMP tests, an any-source one
# (asm: 239.N.1.1:5001) and a source-specific one (ssm: 239.N.1.2:5002 from
# the generator), both to out0.
cg_conf_igmp_rules() {
	cat <<EOF

[[rule]]
name = "asm"
id = 1
input = { port = "in0", destination = "239.$CG_N.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.$CG_N.2.1"
dport = 6001

[[rule]]
name = "ssm"
id = 2
input = { port = "in0", destination = "239.$CG_N.1.2", dport = 5002, source = "$CG_IP_GEN" }
[[rule.output]]
port = "out0"
destination = "239.$CG_N.2.2"
dport = 6002
EOF
}

# cg_hugepages [PAGES]: reserve hugepages (scripts/hugepages) when fewer than
# PAGES (default 256) are free or hugetlbfs is not mounted.
cg_hugepages() {
	local want=${1:-256} free
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	if [ "${free:-0}" -lt "$want" ] || ! grep -q ' hugetlbfs ' /proc/mounts; then
		"$CG_SRC/scripts/hugepages" >&2 || cg_die "scripts/hugepages failed"
	fi
}

# cg_dp_start CONF [-- EXTRA EAL ARGS]: start castgate-dataplane and wait for
# its ready file ($CG_DP_READY_TIMEOUT s, default 30). On failure shows its log
# and fails the test. Sets CG_DP_PID, CG_DP_LOG, CG_DP_STATS (the final stats,
# written on SIGTERM).
cg_dp_start() {
	local conf=$1 secs=${CG_DP_READY_TIMEOUT:-30} extra=()
	shift
	if [ "${1:-}" = "--" ]; then
		shift
		extra=(-- "$@")
	fi
	[ -x "$CG_DP" ] || cg_skip "$CG_DP is not built"
	cg_hugepages
	CG_DP_READY=$CG_TMP/dp.ready
	CG_DP_STATS=$CG_TMP/dp-stats.json
	CG_DP_LOG=$CG_TMP/dp.err
	rm -f "$CG_DP_READY" "$CG_DP_STATS"
	cg_log "starting castgate-dataplane -c $conf"
	cg_bg dp "$CG_DP" -c "$conf" --ready-file "$CG_DP_READY" --stats-out "$CG_DP_STATS" \
		--log-level "${CG_DP_LOG_LEVEL:-info}" "${extra[@]}"
	CG_DP_PID=$CG_LAST_PID
	if ! cg_wait_file "$CG_DP_READY" "$secs" "$CG_DP_PID"; then
		if kill -0 "$CG_DP_PID" 2>/dev/null; then
			cg_log "castgate-dataplane not ready after ${secs}s; its log:"
		else
			local rc=0
			wait "$CG_DP_PID" || rc=$?
			cg_log "castgate-dataplane exited with status $rc before ready; its log:"
			cg_forget_pid "$CG_DP_PID"
		fi
		cg_dp_show_log
		CG_FAILS=$((CG_FAILS + 1))
		exit 1
	fi
	cg_log "castgate-dataplane ready (pid $CG_DP_PID)"
}

cg_dp_show_log() {
	sed 's/^/  | /' "$CG_TMP/dp.out" "$CG_DP_LOG" >&2 2>/dev/null || true
}

# cg_dp_stop: SIGTERM, wait (10 s, then SIGKILL). Checks that it exited 0 and
# wrote its final stats to $CG_DP_STATS.
cg_dp_stop() {
	local rc=0
	[ -n "${CG_DP_PID:-}" ] || return 0
	cg_stop_pid "$CG_DP_PID" 10 || rc=$?
	CG_DP_PID=
	cg_assert_eq "castgate-dataplane exit status" 0 "$rc"
	if [ ! -s "$CG_DP_STATS" ]; then
		cg_fail "castgate-dataplane wrote no final stats to $CG_DP_STATS"
		cg_dp_show_log
	fi
	[ "$rc" -eq 0 ] || cg_dp_show_log
}

# cg_dp_stats_live [FILE]: the live stats of the running data plane
# (scripts/cg-stats --prefix cgtN --json), to FILE or stdout.
cg_dp_stats_live() {
	if [ -n "${1:-}" ]; then
		"$CG_PY" "$CG_STATS_TOOL" --prefix "$CG_FILE_PREFIX" --json >"$1"
	else
		"$CG_PY" "$CG_STATS_TOOL" --prefix "$CG_FILE_PREFIX" --json
	fi
}
