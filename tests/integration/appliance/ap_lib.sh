# shellcheck shell=bash
# The appliance tests (test number 31): castgate's Debian packages, built from this tree, in
# the images of docker/ and under systemd, driven by a private dockerd.
#
#   source "$CG_SRC/tests/integration/appliance/ap_lib.sh"
#   ap_dockerd_start             # dockerd in netns cgt31-dk; exports DOCKER_HOST
#   ap_debs                      # the packages of this tree in $AP_DEBS (cached by tree hash)
#   ap_images                    # docker/build: castgate-base:bookworm, castgate:<version>, ...
#   ...
#   ap_dockerd_stop              # in the trap; the data root (the images) is kept
#
# The dockerd is the harness of the warp tests (tests/integration/warp/lib/dockerd.sh: its own
# data root, exec root, socket, pid file, containerd namespace and cgroup parent, inside a
# network namespace) with the addresses of test 31 (198.18.31.192/26) and a data root that
# survives the test: /var/cache/castgate-ci/images/docker, so that the images of an unchanged
# tree are built once.

AP_N=31
AP_CACHE=${CG_IMAGES_CACHE:-/var/cache/castgate-ci/images}
AP_DK_NS=cgt$AP_N-dk
AP_DK_ROOT=$AP_CACHE/docker
AP_DK_EXEC=/run/cgt$AP_N-docker
AP_DK_SOCK=/run/cgt$AP_N-docker.sock
AP_DK_PIDFILE=$AP_DK_EXEC.pid
AP_DK_LOG=$AP_CACHE/dockerd.log
# docker0 and the address pool of compose networks: the top quarter of test 31's /24
# (the relay topology uses 198.18.31.0/26 .. .128/26).
AP_DK_BIP=198.18.$AP_N.193/27
AP_DK_POOL=base=198.18.$AP_N.224/27,size=28
AP_DK_PID=

# shellcheck source=../warp/lib/dockerd.sh
source "$CG_SRC/tests/integration/warp/lib/dockerd.sh"

ap_log() { printf '%s [cgt%s] %s\n' "$(date +%H:%M:%S)" "$AP_N" "$*" >&2; }

# ap_dockerd_start: start the private dockerd (stopping a leftover one first) and wait for it.
ap_dockerd_start() {
	local deadline
	command -v dockerd >/dev/null || cg_skip "dockerd is missing (scripts/install-deps: docker.io)"
	ap_dockerd_stop
	mkdir -p "$AP_DK_ROOT" "$AP_DK_EXEC"
	ip netns add "$AP_DK_NS" || cg_die "ip netns add $AP_DK_NS failed"
	ip -n "$AP_DK_NS" link set lo up
	# nsenter, not "ip netns exec": dockerd's mounts must stay visible to the cleanup.
	nsenter --net="/run/netns/$AP_DK_NS" /usr/sbin/dockerd \
		--data-root "$AP_DK_ROOT" \
		--exec-root "$AP_DK_EXEC" \
		-H "unix://$AP_DK_SOCK" \
		--pidfile "$AP_DK_PIDFILE" \
		--containerd-namespace "cgt$AP_N" \
		--containerd-plugins-namespace "cgt$AP_N-plugins" \
		--cgroup-parent "/cgt$AP_N" \
		--bip "$AP_DK_BIP" \
		--default-address-pool "$AP_DK_POOL" \
		--iptables=false --ip6tables=false \
		--userland-proxy=false \
		--log-level warn \
		>"$AP_DK_LOG" 2>&1 </dev/null &
	AP_DK_PID=$!
	deadline=$((SECONDS + 60))
	until _cg_dk_ping "$AP_DK_SOCK"; do
		if ! kill -0 "$AP_DK_PID" 2>/dev/null; then
			tail -n 30 "$AP_DK_LOG" >&2
			cg_die "dockerd exited during start-up (log $AP_DK_LOG)"
		fi
		[ "$SECONDS" -lt "$deadline" ] || cg_die "dockerd did not answer within 60 s"
		sleep 0.2
	done
	export DOCKER_HOST=unix://$AP_DK_SOCK
	ap_log "dockerd up ($DOCKER_HOST, data root $AP_DK_ROOT)"
}

# ap_dockerd_stop: containers, dockerd, its containerd and shims, cgroups, mounts under the
# exec root, the netns. The data root (images) stays. Safe when nothing was started.
ap_dockerd_stop() {
	local pid args ids p
	if _cg_dk_ping "$AP_DK_SOCK"; then
		ids=$(docker -H "unix://$AP_DK_SOCK" ps -aq 2>/dev/null) || ids=
		# shellcheck disable=SC2086
		[ -z "$ids" ] || docker -H "unix://$AP_DK_SOCK" rm -f $ids >/dev/null 2>&1 || true
	fi
	pid=$(cat "$AP_DK_PIDFILE" 2>/dev/null) || pid=$AP_DK_PID
	args=
	[ -n "$pid" ] && args=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || args=
	# Only our dockerd: the pid file may be stale and its pid reused.
	if [[ $args == *"--exec-root $AP_DK_EXEC "* ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		_cg_dk_wait_gone "$pid" 20 || kill -KILL "$pid" 2>/dev/null || true
		_cg_dk_wait_gone "$pid" 5 || true
	fi
	[ -z "$AP_DK_PID" ] || wait "$AP_DK_PID" 2>/dev/null || true
	AP_DK_PID=
	for p in $(_cg_dk_pids_using "$AP_DK_EXEC/"); do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $(_cg_dk_pids_using "$AP_DK_EXEC/"); do
		_cg_dk_wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null || true
	done
	_cg_dk_cgroup_clean "cgt$AP_N"
	_cg_dk_umount_under "$AP_DK_EXEC"
	# overlay mounts of containers live under the data root: unmount them, keep the data.
	_cg_dk_umount_under "$AP_DK_ROOT/overlay2"
	[ ! -e "/run/netns/$AP_DK_NS" ] || ip netns del "$AP_DK_NS" 2>/dev/null || true
	rm -rf --one-file-system "$AP_DK_EXEC" "$AP_DK_SOCK" "$AP_DK_PIDFILE" 2>/dev/null || true
	return 0
}

# ap_init: after cg_init: skip (77) without the tools, and put the dockerd's stop in front of
# cg_cleanup in the traps (containers first: they hold the relay's veths).
ap_init() {
	local t
	for t in docker dockerd debootstrap dpkg-buildpackage nsenter chroot; do
		command -v "$t" >/dev/null || cg_skip "$t is missing (scripts/install-deps)"
	done
	trap 'ap_cleanup $?' EXIT
	trap 'ap_cleanup 130; exit 130' INT
	trap 'ap_cleanup 143; exit 143' TERM
}

ap_cleanup() {
	local st=$1 c
	if { [ "$st" -ne 0 ] && [ "$st" -ne 77 ]; } || [ "${CG_FAILS:-0}" -gt 0 ]; then
		if [ -n "${DOCKER_HOST:-}" ] && _cg_dk_ping "$AP_DK_SOCK"; then
			for c in $(docker ps -aq 2>/dev/null); do
				ap_log "last lines of container $(docker inspect -f '{{.Name}}' "$c"):"
				docker logs --tail 40 "$c" 2>&1 | sed 's/^/  | /' >&2
			done
		fi
	fi
	ap_dockerd_stop
	cg_cleanup "$st"
}

# ap_images: docker/build of all three images against the private dockerd (packages, base and
# images cached under $AP_CACHE; all three at once: one download of their dependencies, and
# the next test finds them built); sets AP_IMG_RELAY, AP_IMG_WARP, AP_IMG_SYSTEMD (name:tag).
ap_images() {
	local out img ref t0=$SECONDS
	set -- relay warp systemd
	# CG_APPLIANCE_DEBS=DIR: packages built elsewhere instead of scripts/build-debs of this tree.
	out=$("$CG_SRC/docker/build" --cache "$AP_CACHE" \
		${CG_APPLIANCE_DEBS:+--debs "$CG_APPLIANCE_DEBS"} "$@") || cg_die "docker/build $* failed"
	while read -r img ref; do
		case $img in
		relay) AP_IMG_RELAY=$ref ;;
		warp) AP_IMG_WARP=$ref ;;
		systemd) AP_IMG_SYSTEMD=$ref ;;
		esac
	done <<<"$out"
	# The images of earlier trees: untagged now, removed so the cache stays one tree's size.
	docker image prune -f >/dev/null 2>&1 || true
	ap_log "images ready in $((SECONDS - t0)) s: $(echo $out)"
}

# ap_wait_health CONTAINER SECONDS: until `castgatectl system health` in the container says
# healthy (exit 0); fails early when the container stopped.
ap_wait_health() {
	local c=$1 end=$((SECONDS + $2))
	while [ "$SECONDS" -lt "$end" ]; do
		if [ "$(docker inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" != true ]; then
			ap_log "container $c stopped (exit $(docker inspect -f '{{.State.ExitCode}}' "$c"))"
			return 1
		fi
		docker exec "$c" castgatectl -c /etc/castgate/castgate.toml -t 1000 system health \
			>/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}
