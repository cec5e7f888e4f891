# shellcheck shell=bash
# Shared helpers of the castgate-warp integration tests (sourced, bash).
#
# Each test file starts one private dockerd (harness lib/dockerd.sh, K=6 unless WT_K is set)
# inside its own network namespace, runs the real castgate-warp daemon against it in the root
# namespace, reads routes inside containers with `nsenter -n -t PID ip route`, and removes
# everything in an EXIT trap. Cases inside a file share the dockerd; wt_clean() removes the
# containers and networks between cases.
#
# The daemon logs JSON lines (--log-format json) to $WT_LOG, so that assertions select on the
# level and the fields (event=route, action, name, cidr, via, result) instead of on wording.

set -u
set -o pipefail

WT_K=${WT_K:-6}
WT_BIN=${WT_BIN:-${CG_BUILD:-}/app/castgate-warp/castgate-warp}
WT_PORT=${WT_PORT:-$((19640 + WT_K))}
WT_METRICS="127.0.0.1:${WT_PORT}"
# Two rules: one replaces the default route, one is a plain prefix (benchmarking range).
WT_RULES=${WT_RULES:-0.0.0.0/0,198.18.200.0/24}
WT_IMAGE=cgtest/busybox:1
# How long a convergence may take before a check fails. Routes normally land in milliseconds;
# the margin is for a loaded 2-core machine (docker itself then takes seconds per container).
WT_T=${WT_T:-20}
WT_DIR=
WT_LOG=
WT_DAEMON_PID=
WT_FAILS=0
WT_CASE=
WT_LOG_MARK=0

wt_say() { printf '%s %s\n' "$(date -u +%H:%M:%S.%N | cut -c1-12)" "$*" >&2; }

# Skip (77) unless we can really run: root, docker client and dockerd present.
wt_require() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root" >&2
		exit 77
	fi
	local t
	for t in docker dockerd nsenter ip jq curl; do
		if ! command -v "$t" >/dev/null 2>&1; then
			echo "SKIP: $t not installed" >&2
			exit 77
		fi
	done
	if [ -z "${CG_BUILD:-}" ] || [ -z "${CG_SRC:-}" ]; then
		echo "FAIL: CG_BUILD and CG_SRC must be set (run through meson test)" >&2
		exit 1
	fi
	if [ ! -x "$WT_BIN" ]; then
		echo "FAIL: daemon binary $WT_BIN not built" >&2
		exit 1
	fi
}

# Start the private dockerd and make the test image; install the cleanup trap first so that a
# half-started dockerd is still removed.
wt_setup() {
	wt_require
	# A developer's environment must not leak into the daemon's configuration.
	local v
	for v in $(compgen -e); do
		case $v in CASTGATE_WARP_* | DOCKER_NETWORK_WARP_*) unset "$v" ;; esac
	done
	WT_DIR=$(mktemp -d "/tmp/cgwarp-$(basename "$0" .sh).XXXXXX")
	WT_LOG=$WT_DIR/daemon.log
	: >"$WT_LOG"
	trap wt_teardown EXIT
	trap 'exit 130' INT TERM
	# shellcheck source=/dev/null
	. "${WT_HARNESS:-$CG_SRC/tests/integration/warp/lib/dockerd.sh}"
	if ! cg_dockerd_start "$WT_K"; then
		echo "FAIL: test dockerd K=$WT_K did not start" >&2
		exit 1
	fi
	cg_dockerd_image || { echo "FAIL: cannot build $WT_IMAGE" >&2; exit 1; }
	wt_say "dockerd K=$WT_K up ($DOCKER_HOST), work dir $WT_DIR"
}

wt_teardown() {
	local rc=$?
	trap - EXIT
	wt_daemon_stop quiet 2>/dev/null
	if [ -n "${DOCKER_HOST:-}" ]; then
		wt_clean 2>/dev/null
	fi
	if declare -F cg_dockerd_stop >/dev/null; then
		cg_dockerd_stop "$WT_K" >/dev/null 2>&1
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "$WT_LOG" ] && [ -s "$WT_LOG" ]; then
		echo "---- last daemon log lines ($WT_LOG) ----" >&2
		tail -n 40 "$WT_LOG" >&2
	fi
	# Keep the work dir (daemon log) of a failed run for inspection.
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; then
		[ -n "$WT_DIR" ] && rm -rf "$WT_DIR"
	else
		echo "work dir kept: $WT_DIR" >&2
	fi
	exit "$rc"
}

# Remove every container and every user network of the test dockerd.
wt_clean() {
	local ids
	ids=$(docker ps -aq)
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	ids=$(docker network ls -q --filter type=custom)
	[ -n "$ids" ] && docker network rm $ids >/dev/null 2>&1
	return 0
}

# A dockerd restart that keeps its data (cg_dockerd_stop wipes it): SIGTERM the harness's
# dockerd, later start it again with the same command line in the same netns. Containers with
# a restart policy come back, as on a real host.
WT_DK_ARGV=()
wt_dockerd_down() {
	local pid i
	pid=$(cat "/var/tmp/cgtw$WT_K/dockerd.pid" 2>/dev/null) || return 1
	[ -r "/proc/$pid/cmdline" ] || return 1
	mapfile -d '' -t WT_DK_ARGV <"/proc/$pid/cmdline"
	[[ " ${WT_DK_ARGV[*]} " == *" --exec-root /run/cgtw$WT_K "* ]] || return 1
	kill -TERM "$pid" || return 1
	for i in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
wt_dockerd_up() {
	nsenter --net="/run/netns/cgtw$WT_K-dk" "${WT_DK_ARGV[@]}" \
		>>"/var/tmp/cgtw$WT_K/dockerd.log" 2>&1 </dev/null &
	wait_for "docker version" 60
}

# ---- assertions -------------------------------------------------------------------------------

# wait_for CMD TIMEOUT_SECONDS: poll CMD (a string, eval'ed) every 0.1 s until it succeeds.
wait_for() {
	local cmd=$1 timeout=${2:-10}
	local end=$((SECONDS + timeout))
	while :; do
		if eval "$cmd" >/dev/null 2>&1; then
			return 0
		fi
		if [ "$SECONDS" -ge "$end" ]; then
			return 1
		fi
		sleep 0.1
	done
}

fail() {
	WT_FAILS=$((WT_FAILS + 1))
	echo "FAIL [${WT_CASE:-?}]: $*" >&2
	return 1
}

WT_CASE_FAILS0=0
ok() {
	if [ "$WT_FAILS" -eq "$WT_CASE_FAILS0" ]; then
		wt_say "ok [${WT_CASE:-?}]: $*"
	else
		wt_say "(after failures) [${WT_CASE:-?}]: $*"
	fi
}

case_begin() {
	WT_CASE=$1
	WT_CASE_FAILS0=$WT_FAILS
	wt_say "==== case $1"
	log_mark
}

# Exit status of the file: non-zero if any check failed.
wt_finish() {
	if [ "$WT_FAILS" -ne 0 ]; then
		echo "$(basename "$0"): $WT_FAILS check(s) failed" >&2
		exit 1
	fi
	wt_say "$(basename "$0"): all checks passed"
	exit 0
}

# ---- containers -------------------------------------------------------------------------------

cpid() { docker inspect -f '{{.State.Pid}}' "$1" 2>/dev/null; }
cid() { docker inspect -f '{{.Id}}' "$1" 2>/dev/null; }

# cip NAME NETWORK [6]: the container's IPv4 (or IPv6) address on NETWORK.
cip() {
	local f=IPAddress
	[ "${3:-4}" = 6 ] && f=GlobalIPv6Address
	docker inspect -f "{{with index .NetworkSettings.Networks \"$2\"}}{{.$f}}{{end}}" "$1"
}

# A gateway container: forwards, sleeps. wt_run_warp NAME NET [docker run args...]
wt_run_warp() {
	local name=$1 net=$2
	shift 2
	docker run -d --name "$name" --network "$net" --sysctl net.ipv4.ip_forward=1 "$@" \
		"$WT_IMAGE" sleep 3600 >/dev/null
}

# A target: wt_run_target NAME NET WARP [docker run args...]
wt_run_target() {
	local name=$1 net=$2 warp=$3
	shift 3
	docker run -d --name "$name" --network "$net" -l "network.warp.target=$warp" "$@" \
		"$WT_IMAGE" sleep 3600 >/dev/null
}

# A container attached to several networks from its first start (so the daemon never sees a
# partial set): wt_create_multi NAME NET1,NET2[,...] [docker create args...]; then docker start.
wt_create_multi() {
	local name=$1 nets=$2 first n
	shift 2
	first=${nets%%,*}
	docker create --name "$name" --network "$first" "$@" "$WT_IMAGE" sleep 3600 >/dev/null ||
		return 1
	for n in ${nets//,/ }; do
		[ "$n" = "$first" ] && continue
		docker network connect "$n" "$name" || return 1
	done
}

# ---- routes inside a container ----------------------------------------------------------------

# routes NAME [4|6]: the main table of the container's netns (one route per line).
routes() {
	local pid
	pid=$(cpid "$1") || return 1
	[ -n "$pid" ] && [ "$pid" != 0 ] || return 1
	nsenter -n -t "$pid" ip "-${2:-4}" route show table main
}

# route_exact NAME CIDR: the routes for exactly CIDR ("default" lines for /0).
route_exact() {
	local fam=4 pid
	case $2 in *:*) fam=6 ;; esac
	pid=$(cpid "$1") || return 1
	[ -n "$pid" ] && [ "$pid" != 0 ] || return 1
	nsenter -n -t "$pid" ip "-$fam" route show table main exact "$2"
}

# has_via NAME CIDR GW: exactly one route for CIDR, and it goes via GW.
has_via() {
	local r
	r=$(route_exact "$1" "$2") || return 1
	[ "$(printf '%s\n' "$r" | grep -c .)" -eq 1 ] || return 1
	[ -n "$3" ] && [[ "$r" == *"via $3 "* || "$r" == *"via $3" ]]
}

# has_unreachable NAME CIDR: exactly one route for CIDR and it is unreachable.
has_unreachable() {
	local r
	r=$(route_exact "$1" "$2") || return 1
	[ "$(printf '%s\n' "$r" | grep -c .)" -eq 1 ] || return 1
	[[ "$r" == unreachable* ]]
}

# all_via NAME GW4 [GW6]: every rule of $WT_RULES has exactly one route via the gateway of its
# family.
all_via() {
	local name=$1 gw4=$2 gw6=${3:-} c
	for c in ${WT_RULES//,/ }; do
		case $c in
		*:*) has_via "$name" "$c" "$gw6" || return 1 ;;
		*) has_via "$name" "$c" "$gw4" || return 1 ;;
		esac
	done
}

all_unreachable() {
	local c
	for c in ${WT_RULES//,/ }; do
		has_unreachable "$1" "$c" || return 1
	done
}

# Count the routes for exactly CIDR (0 if none).
route_count() {
	local r
	r=$(route_exact "$1" "$2") || { echo 0; return; }
	printf '%s\n' "$r" | grep -c . || true
}

# Docker's own default route: via the network's gateway (the target was not touched).
untouched() {
	local name=$1 net=$2 gw
	gw=$(docker inspect -f "{{with index .NetworkSettings.Networks \"$net\"}}{{.Gateway}}{{end}}" "$name")
	has_via "$name" 0.0.0.0/0 "$gw" && [ "$(route_exact "$name" 198.18.200.0/24)" = "" ]
}

# ---- the daemon -------------------------------------------------------------------------------

# wt_daemon_start [args...]: start castgate-warp in the background with JSON debug logs appended
# to $WT_LOG, the test's docker socket, metrics on $WT_METRICS and the rules $WT_RULES (all
# overridable by later args, CLI parsing takes the last value). WT_DAEMON_WRAP (an array) may
# prefix the command (strace, setpriv).
wt_daemon_start() {
	local wrap=("${WT_DAEMON_WRAP[@]+"${WT_DAEMON_WRAP[@]}"}")
	"${wrap[@]}" "$WT_BIN" --docker-socket "$CG_DOCKER_SOCK" --log-format json -l debug \
		--metrics-listen "$WT_METRICS" --routing-rules "$WT_RULES" "$@" >>"$WT_LOG" 2>&1 &
	WT_DAEMON_PID=$!
	wt_say "daemon started, pid $WT_DAEMON_PID: $*"
}

# Wait until the daemon answers /healthz with 200 (connected to dockerd).
wt_daemon_ready() {
	wait_for "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://$WT_METRICS/healthz)\" = 200 ]" "${1:-15}"
}

wt_daemon_alive() { [ -n "$WT_DAEMON_PID" ] && kill -0 "$WT_DAEMON_PID" 2>/dev/null; }

# wt_daemon_stop [quiet]: SIGTERM, then wait up to 5 s (the daemon's promise); SIGKILL after that
# and report it. Sets WT_DAEMON_RC.
WT_DAEMON_RC=
wt_daemon_stop() {
	local pid=$WT_DAEMON_PID i
	WT_DAEMON_RC=
	[ -n "$pid" ] || return 0
	WT_DAEMON_PID=
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		WT_DAEMON_RC=$?
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		[ "${1:-}" = quiet ] || fail "daemon pid $pid still running 5 s after SIGTERM"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	WT_DAEMON_RC=$?
	return 0
}

# ---- the daemon's log -------------------------------------------------------------------------

log_mark() { WT_LOG_MARK=$(wc -l <"$WT_LOG"); }

# JSON log lines written since the last log_mark (others, e.g. a crash message, are dropped).
log_new() { tail -n "+$((WT_LOG_MARK + 1))" "$WT_LOG" | jq -c -R 'fromjson? | objects'; }

# log_has LEVEL REGEX: a line of LEVEL (error|warn|info|debug) since the mark whose JSON text
# (message and fields) matches REGEX.
log_has() {
	log_new | jq -e -s --arg l "$1" --arg re "$2" \
		'map(select(.level == $l and (tostring | test($re)))) | length > 0' >/dev/null
}

# Count of lines at level "error" since the mark.
log_errors() { log_new | jq -s 'map(select(.level == "error")) | length'; }

# Audit lines (event=route) since the mark, optionally for one container name.
audit() {
	if [ -n "${1:-}" ]; then
		log_new | jq -c --arg n "$1" 'select(.event == "route" and .name == $n)'
	else
		log_new | jq -c 'select(.event == "route")'
	fi
}

# ---- metrics ----------------------------------------------------------------------------------

metrics() { curl -s --max-time 2 "http://$WT_METRICS/metrics"; }

# metric_sum REGEX: sum of the samples whose name (with labels) matches REGEX.
metric_sum() {
	metrics | awk -v re="$1" '!/^#/ && $1 ~ re { s += $NF } END { printf "%d\n", s }'
}
