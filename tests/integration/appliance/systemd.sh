#!/usr/bin/env bash
# (31b) systemd for real: systemd as PID 1 in a container of the castgate-systemd image (the
# Debian 12 base with systemd and the three packages built from this tree), the packaged
# units unchanged except for a shorter watchdog period, and checks:
#   castgate.service    reaches READY (active, StatusText "running"); the watchdog is fed
#                       (WatchdogTimestamp advances, no restart over several periods); a
#                       SIGKILL of the data plane is followed by the supervisor's restart of it
#                       (new pid, castgatectl healthy again, NRestarts still 0, StatusText counts
#                       1 restart); `systemctl stop` ends it with Result=success, no SIGKILL
#   castgate-warp.service  active against the test's dockerd (its socket bound in), healthy;
#                       `systemctl reload` reloads it (its log says so, same MainPID)
# The relay's ports are net_null vdevs: nothing to forward, everything else runs.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"
source "$(dirname "$0")/ap_lib.sh"

cg_init "$AP_N"
ap_init
CONT=cgt31-systemd
# A watchdog period short enough to see several in a test; the shipped unit has 30 s.
WD_S=2

ap_dockerd_start
ap_images
cg_hugepages

# The relay's config: two net_null ports (no NIC, no veth), one rule.
mkdir -p "$CG_TMP/etc"
cat >"$CG_TMP/etc/castgate.toml" <<EOF
# castgate config of test 31's systemd container
[dataplane]
lcores = "0"
file_prefix = "cgt31s"
idle_sleep_us = 20
memory_mb = 256

[[port]]
name = "in0"
device = "net_null0"
ip = "198.18.31.2/26"

[[port]]
name = "out0"
device = "net_null1"
ip = "198.18.31.66/26"

[[rule]]
name = "one"
input = { port = "in0", destination = "239.31.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.31.2.2"
dport = 6001
EOF
CG_FILE_PREFIX=cgt31s

# Not --privileged (it asks for every capability, and this machine's bounding set lacks
# CAP_SYS_RESOURCE): the capabilities systemd and the two units need, named. CAP_SYS_ADMIN: the
# units' sandboxes (ProtectSystem=, PrivateTmp=, ...) are mount namespaces; seccomp unconfined:
# systemd's own calls (mount, keyctl, name_to_handle_at, ...) beyond Docker's default profile.
# A private cgroup namespace keeps systemd inside the container's cgroup. /run, /run/lock and
# /tmp are tmpfs as systemd expects. The test dockerd's socket is castgate-warp's Docker socket.
docker run -d --name "$CONT" --cgroupns=private \
	--cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add NET_RAW --cap-add IPC_LOCK \
	--cap-add SYS_NICE --cap-add SYS_PTRACE --cap-add SYS_RAWIO \
	--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
	--tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
	-v /dev/hugepages:/dev/hugepages \
	-v "$CG_TMP/etc/castgate.toml:/etc/castgate/castgate.toml:ro" \
	-v "$AP_DK_SOCK:/var/run/docker.sock" \
	"$AP_IMG_SYSTEMD" >/dev/null

sx() { docker exec "$CONT" "$@"; }
prop() { sx systemctl show -P "$2" "$1"; }

# systemd up: is-system-running says running or degraded (some unit of the base failed);
# "starting" while it boots.
booted() {
	local s
	s=$(sx systemctl is-system-running 2>/dev/null) || true
	[ "$s" = running ] || [ "$s" = degraded ]
}
cg_wait_for 60 booted || cg_die "systemd in $CONT did not finish booting: $(sx systemctl is-system-running 2>&1)"
cg_pass "systemd booted as PID 1 ($(sx systemctl --version | head -n 1))"

# The watchdog period of a test, in a drop-in (the rest is the packaged unit).
sx mkdir -p /etc/systemd/system/castgate.service.d
printf '[Service]\nWatchdogSec=%ss\n' "$WD_S" |
	docker exec -i "$CONT" sh -c 'cat > /etc/systemd/system/castgate.service.d/cgt31-watchdog.conf'
sx systemctl daemon-reload

# --- castgate.service ------------------------------------------------------------------
if ! sx systemctl start castgate.service; then
	cg_fail "systemctl start castgate.service failed"
	sx journalctl -u castgate.service --no-pager -n 60 >&2 || true
	cg_finish
fi
# Type=notify: start returns after READY=1.
cg_assert_eq "castgate.service ActiveState" active "$(prop castgate.service ActiveState)"
cg_assert_eq "castgate.service SubState" running "$(prop castgate.service SubState)"
status=$(prop castgate.service StatusText)
case $status in
running:*) cg_pass "StatusText after READY: $status" ;;
*) cg_fail "StatusText after READY: expected 'running: ...', got '$status'" ;;
esac
main=$(prop castgate.service MainPID)
cg_assert_eq "MainPID is the packaged supervisor" /usr/sbin/castgate "$(sx readlink "/proc/$main/exe")"
cg_assert_eq "WatchdogUSec (the drop-in's)" "${WD_S}s" "$(prop castgate.service WatchdogUSec)"
healthy() { sx castgatectl -c /etc/castgate/castgate.toml -t 1000 system health >/dev/null 2>&1; }
cg_assert_true "castgatectl system health" healthy

# The watchdog is fed: its timestamp advances, and over 4 periods systemd restarts nothing.
wd1=$(prop castgate.service WatchdogTimestampMonotonic)
sleep $((WD_S * 4))
wd2=$(prop castgate.service WatchdogTimestampMonotonic)
if [[ $wd1 =~ ^[0-9]+$ ]] && [[ $wd2 =~ ^[0-9]+$ ]] && [ "$wd2" -gt "$wd1" ]; then
	cg_pass "WatchdogTimestamp advanced ($wd1 -> $wd2 us)"
else
	cg_fail "WatchdogTimestamp did not advance: '$wd1' -> '$wd2'"
fi
cg_assert_eq "MainPID unchanged over $((WD_S * 4)) s" "$main" "$(prop castgate.service MainPID)"
cg_assert_eq "NRestarts after the watchdog periods" 0 "$(prop castgate.service NRestarts)"

# SIGKILL to the data plane only: the supervisor (MainPID) restarts it; systemd restarts
# nothing.
dp_pid() {
	local p
	for p in $(sx ps -o pid= --ppid "$main"); do
		if [ "$(sx readlink "/proc/$p/exe" 2>/dev/null)" = /usr/libexec/castgate/castgate-dataplane ]; then
			echo "$p"
			return 0
		fi
	done
}
dp1=$(dp_pid)
[ -n "$dp1" ] || cg_die "no castgate-dataplane child of castgate ($main)"
cg_log "kill -KILL $dp1 (castgate-dataplane) in $CONT"
sx kill -KILL "$dp1"
dp_back() {
	local p
	p=$(dp_pid)
	[ -n "$p" ] && [ "$p" != "$dp1" ] &&
		sx castgatectl -c /etc/castgate/castgate.toml -t 1000 system health >/dev/null 2>&1
}
if cg_wait_for 60 dp_back; then
	cg_pass "data plane restarted by the supervisor (pid $dp1 -> $(dp_pid)), control healthy"
else
	cg_fail "the data plane did not come back within 60 s"
fi
cg_assert_eq "castgate.service still active" active "$(prop castgate.service ActiveState)"
cg_assert_eq "MainPID unchanged by the data plane's restart" "$main" "$(prop castgate.service MainPID)"
cg_assert_eq "NRestarts (systemd restarted nothing)" 0 "$(prop castgate.service NRestarts)"
status=$(prop castgate.service StatusText)
case $status in
"running: dataplane"*", 1 restarts; control"*) cg_pass "StatusText counts the restart: $status" ;;
*) cg_fail "StatusText after the data plane's restart: got '$status'" ;;
esac
sx castgatectl -c /etc/castgate/castgate.toml --json rule list >"$CG_TMP/rules.json" ||
	cg_fail "castgatectl rule list failed"
cg_assert_eq "rule back after the restart" '["one"]' \
	"$(cg_json "$CG_TMP/rules.json" '[r["rule"]["name"] for r in d["rules"]]')"

# A clean stop within TimeoutStopSec: Result=success (not timeout, not SIGKILL).
sx systemctl stop castgate.service || cg_fail "systemctl stop castgate.service failed"
cg_assert_eq "castgate.service after stop" inactive "$(prop castgate.service ActiveState)"
cg_assert_eq "castgate.service Result" success "$(prop castgate.service Result)"
cg_assert_eq "castgate.service ExecMainStatus" 0 "$(prop castgate.service ExecMainStatus)"
sx journalctl -u castgate.service --no-pager -o cat >"$CG_TMP/castgate.journal" 2>&1 || true
sx journalctl -u castgate.service --no-pager -o short >"$CG_TMP/castgate.journal.full" 2>&1 || true
# systemd's own lines: no "Killing process", no "timed out", no "Sent signal SIGKILL".
if grep -E 'systemd\[1\]: castgate\.service: .*(Killing|timed out|SIGKILL|watchdog)' \
	"$CG_TMP/castgate.journal.full" >&2; then
	cg_fail "systemd killed, timed out or watchdogged castgate.service (lines above)"
else
	cg_pass "no kill, timeout or watchdog of castgate.service by systemd"
fi
# The supervisor's own account: both children stopped by SIGTERM, then exit 0.
cg_assert_eq "the supervisor's last line" "castgate info: exit 0" \
	"$(grep '^castgate info:' "$CG_TMP/castgate.journal" | tail -n 1)"

# --- castgate-warp.service ------------------------------------------------------------------
# The bound socket belongs to the host's docker group (or root): give it the container's
# docker group, which the unit's SupplementaryGroups= names.
sx sh -c 'getent group docker >/dev/null || groupadd -r docker; chgrp docker /var/run/docker.sock'
if ! sx systemctl start castgate-warp.service; then
	cg_fail "systemctl start castgate-warp.service failed"
	sx journalctl -u castgate-warp.service --no-pager -n 40 >&2 || true
	cg_finish
fi
warp_connected() {
	sx journalctl -u castgate-warp.service --no-pager -o cat 2>/dev/null |
		grep -qi 'connected to docker\|reconcile'
}
cg_wait_for 30 warp_connected || cg_fail "castgate-warp never said it reached Docker"
cg_assert_eq "castgate-warp.service ActiveState" active "$(prop castgate-warp.service ActiveState)"
wmain=$(prop castgate-warp.service MainPID)
cg_assert_eq "warp MainPID is the packaged daemon" /usr/sbin/castgate-warp \
	"$(sx readlink "/proc/$wmain/exe")"
sx systemctl reload castgate-warp.service || cg_fail "systemctl reload castgate-warp failed"
warp_reloaded() {
	sx journalctl -u castgate-warp.service --no-pager -o cat 2>/dev/null |
		grep -q 'SIGHUP: configuration reloaded'
}
if cg_wait_for 20 warp_reloaded; then
	cg_pass "castgate-warp logged 'SIGHUP: configuration reloaded'"
else
	cg_fail "no reload in castgate-warp's journal"
fi
cg_assert_eq "warp MainPID unchanged by the reload" "$wmain" "$(prop castgate-warp.service MainPID)"
sx systemctl stop castgate-warp.service || cg_fail "systemctl stop castgate-warp failed"
cg_assert_eq "castgate-warp.service Result" success "$(prop castgate-warp.service Result)"
sx journalctl --no-pager >"$CG_TMP/journal.txt" 2>&1 || true

docker stop -t 30 "$CONT" >/dev/null || true
cg_finish
