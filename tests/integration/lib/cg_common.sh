# shellcheck shell=bash
# Test identity, logging, background processes and the one cleanup trap.

# cg_init N: set the names and addresses of test number N (1..99), check that
# we can run (root, binaries), remove leftovers of an earlier run of the same
# test, make a scratch dir and register the cleanup trap.
# Sets: CG_N CG_NET CG_PREFIX (names) CG_FILE_PREFIX (DPDK's, default the same)
# CG_TMP CG_SRC CG_BUILD CG_GEN CG_DP CG_STATS_TOOL, and the topology names.
cg_init() {
	local n=${1:?cg_init: test number needed}
	case "$n" in
	''|*[!0-9]*) cg_die "cg_init: test number must be 1..99, got '$n'" ;;
	esac
	[ "$n" -ge 1 ] && [ "$n" -le 99 ] || cg_die "cg_init: test number must be 1..99, got '$n'"
	CG_N=$n
	CG_NET=198.18.$n
	CG_PREFIX=cgt$n
	CG_FILE_PREFIX=${CG_FILE_PREFIX:-$CG_PREFIX}
	CG_SRC=${CG_SRC:-$(cd "$CG_LIB_DIR/../../.." && pwd)}
	CG_BUILD=${CG_BUILD:-$CG_SRC/build}
	CG_GEN=$CG_BUILD/app/castgate-gen/castgate-gen
	CG_DP=$CG_BUILD/app/castgate-dataplane/castgate-dataplane
	CG_STATS_TOOL=$CG_SRC/scripts/cg-stats
	CG_PIDS=()
	declare -gA CG_RECV_PIDS=()
	CG_NETNS=()
	CG_LINKS=()
	CG_CLEANED=0
	CG_FAILS=0
	CG_CHECKS=0

	[ "$(id -u)" -eq 0 ] || cg_skip "needs root (network namespaces, DPDK)"
	[ -x "$CG_GEN" ] || cg_skip "$CG_GEN is not built"
	local tool
	for tool in ip ethtool sysctl; do
		command -v "$tool" >/dev/null || cg_skip "$tool is missing (scripts/install-deps)"
	done
	# Debian's own python3: a version manager's shim costs 0.5 s a call.
	if [ -x /usr/bin/python3 ]; then
		CG_PY=/usr/bin/python3
	else
		CG_PY=$(command -v python3) || cg_skip "python3 is missing"
	fi

	trap 'cg_cleanup $?' EXIT
	trap 'cg_cleanup; exit 130' INT
	trap 'cg_cleanup; exit 143' TERM
	cg_topo_names
	cg_leftovers
	CG_TMP=$(mktemp -d "/tmp/$CG_PREFIX.XXXXXX")
}

# Messages go to stderr so that stdout stays free for results.
cg_log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${CG_PREFIX:-cg}" "$*" >&2; }
cg_die() { cg_log "ERROR: $*"; exit 1; }
# Exit 77: meson counts the test as skipped.
cg_skip() { cg_log "SKIP: $*"; exit 77; }

# cg_bg NAME CMD...: start CMD in the background with stdout and stderr in
# $CG_TMP/NAME.out and NAME.err; remember its PID for cleanup. Sets CG_LAST_PID.
cg_bg() {
	local name=$1
	shift
	"$@" >"$CG_TMP/$name.out" 2>"$CG_TMP/$name.err" &
	CG_LAST_PID=$!
	CG_PIDS+=("$CG_LAST_PID")
}

# cg_capture NAME NETNS IFACE FILTER...: tcpdump on IFACE (in NETNS; "" for
# the root namespace) into $CG_TMP/NAME.pcap, unbuffered, and wait until it
# listens (the test dies if it does not within 5 s). Sets CG_LAST_PID.
cg_capture() {
	local name=$1 ns=$2 ifc=$3
	shift 3
	if [ -n "$ns" ]; then
		cg_bg "$name" ip netns exec "$ns" tcpdump -i "$ifc" -n -U --immediate-mode \
			-w "$CG_TMP/$name.pcap" "$@"
	else
		cg_bg "$name" tcpdump -i "$ifc" -n -U --immediate-mode -w "$CG_TMP/$name.pcap" "$@"
	fi
	for _ in $(seq 50); do
		grep -q "listening on" "$CG_TMP/$name.err" 2>/dev/null && return 0
		kill -0 "$CG_LAST_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/  | /' "$CG_TMP/$name.err" >&2
	cg_die "tcpdump $name did not start"
}

# cg_stop_pid PID [SECONDS]: SIGTERM, wait up to SECONDS (default 10), then
# SIGKILL. Returns the process's exit status (137 after SIGKILL).
cg_stop_pid() {
	local pid=$1 secs=${2:-10} i rc=0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		cg_log "pid $pid did not stop on SIGTERM in ${secs}s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || rc=$?
	cg_forget_pid "$pid"
	return "$rc"
}

# cg_wait_pid PID SECONDS: wait for PID to exit by itself; on timeout stop it.
# Returns its exit status (124 on timeout).
cg_wait_pid() {
	local pid=$1 secs=$2 i rc=0
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		cg_log "pid $pid still running after ${secs}s: stopping it"
		cg_stop_pid "$pid" 3
		return 124
	fi
	wait "$pid" 2>/dev/null || rc=$?
	cg_forget_pid "$pid"
	return "$rc"
}

cg_forget_pid() {
	local p keep=()
	for p in "${CG_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	CG_PIDS=("${keep[@]}")
}

# cg_wait_file PATH SECONDS [PID]: wait until PATH exists; fail early when PID
# (the process that should create it) has exited.
cg_wait_file() {
	local path=$1 secs=$2 pid=${3:-} i
	for ((i = 0; i < secs * 20; i++)); do
		[ -e "$path" ] && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
	done
	[ -e "$path" ]
}

# Remove what a killed earlier run of this test may have left behind.
cg_leftovers() {
	local ns l
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$CG_PREFIX-" || true); do
		ip netns del "$ns" 2>/dev/null || true
	done
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
		grep "^${CG_PREFIX}[a-z]" || true); do
		ip link del "$l" 2>/dev/null || true
	done
	# Names given from outside (scripts/demo): only if they are our veths.
	for l in "$CG_IF_RIN" "$CG_IF_ROUT0" "$CG_IF_ROUT1"; do
		if ip -d link show "$l" 2>/dev/null | grep -q 'veth'; then
			ip link del "$l" 2>/dev/null || true
		fi
	done
	cg_dpdk_files_remove
}

# The test's prefix, and <prefix>v: a second DPDK process of the test (a peer).
cg_dpdk_files_remove() {
	local mnt p
	for p in "$CG_FILE_PREFIX" "${CG_FILE_PREFIX}v"; do
		rm -rf "/var/run/dpdk/$p"
		for mnt in $(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts); do
			rm -f "$mnt/${p}map_"*
		done
	done
}

# cg_cleanup [STATUS]: the one cleanup: processes by PID, then namespaces and
# veths, then DPDK's files. Safe to call twice. Keeps $CG_TMP (logs, JSON,
# pcaps) when CG_KEEP_TMP=1 or the test failed, and says where.
cg_cleanup() {
	local status=${1:-0} pid ns l
	[ "${CG_CLEANED:-1}" -eq 0 ] || return 0
	CG_CLEANED=1
	for pid in "${CG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${CG_PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for ns in "${CG_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	for l in "${CG_LINKS[@]}"; do
		ip link del "$l" 2>/dev/null || true
	done
	cg_dpdk_files_remove
	if [ -n "${CG_TMP:-}" ] && [ -d "$CG_TMP" ]; then
		if [ "${CG_KEEP_TMP:-0}" = 1 ] || [ "${CG_FAILS:-0}" -gt 0 ] ||
			{ [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; }; then
			cg_log "files kept in $CG_TMP"
		else
			rm -rf "$CG_TMP"
		fi
	fi
}
