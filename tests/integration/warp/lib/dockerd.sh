# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# A private dockerd for castgate-warp tests, sourced by bash tests.
#
#   . "$CG_SRC/tests/integration/warp/lib/dockerd.sh"
#   trap cg_dockerd_stop EXIT
#   cg_dockerd_start 6 || exit 1      # exports DOCKER_HOST and CG_DOCKER_SOCK
#   cg_dockerd_image || exit 1        # cgtest/busybox:1
#   cg_docker run -d --name t1 cgtest/busybox:1 sleep 600
#   cg_routes t1; cg_routes t1 -6
#
# Instance K lives in netns cgtw<K>-dk (bridges, iptables rules and sysctls stay out of the
# root namespace), data in /var/tmp/cgtw<K>, exec-root /run/cgtw<K>, socket /run/cgtw<K>.sock,
# addresses 198.18.<240+K>.0/24 (docker0) and 198.19.<K*16>.0/20 (user networks).
# IPv6 networks: cg_docker network create --ipv6 --subnet 2001:db8:<K>::/64 ...
#
# dockerd runs with its own managed containerd (no system containerd on the test machines),
# a containerd namespace and a cgroup parent (/cgtw<K>) of its own, so instances never see
# each other's containers, and the cleanup finds the processes of a crashed instance.
# Storage driver vfs: works on any filesystem; the busybox image is 2 MB, so copies are cheap.
#
# iptables: dockerd works inside the netns with iptables enabled (checked: its DOCKER chains
# land in the netns, the root namespace's rules stay unchanged); CG_DOCKERD_IPTABLES=1 turns
# that on. The default is --iptables=false --ip6tables=false: warp tests route between
# containers on Docker networks and need no NAT, and the rules only slow start-up.

CG_DOCKERD_K=${CG_DOCKERD_K:-}
CG_DOCKERD_START_TIMEOUT=${CG_DOCKERD_START_TIMEOUT:-60}
CG_BUSYBOX_IMAGE=cgtest/busybox:1
CG_BUSYBOX_CACHE=${CG_BUSYBOX_CACHE:-/var/tmp/cgtest-busybox}

_cg_dk_log() { echo "dockerd.sh: $*" >&2; }

# Paths of instance $1.
_cg_dk_paths() {
	local k=$1
	_dk_ns=cgtw$k-dk
	_dk_root=/var/tmp/cgtw$k
	_dk_exec=/run/cgtw$k
	_dk_sock=/run/cgtw$k.sock
	_dk_pidfile=/var/tmp/cgtw$k/dockerd.pid
	_dk_logf=/var/tmp/cgtw$k/dockerd.log
}

# No pipes into grep -q here and below: callers may run with pipefail.
_cg_dk_ping() {
	[ "$(curl -s -m 2 --unix-socket "$1" http://localhost/_ping 2>/dev/null)" = OK ]
}

# cg_dockerd_start K: start instance K (stopping leftovers of an earlier run first).
cg_dockerd_start() {
	local k=${1:?usage: cg_dockerd_start K}
	local deadline pid ipt=(--iptables=false --ip6tables=false)

	case $k in ''|*[!0-9]*) _cg_dk_log "bad instance number '$k'"; return 2 ;; esac
	if [ "$k" -lt 1 ] || [ "$k" -gt 15 ]; then
		_cg_dk_log "instance $k out of range 1..15"; return 2
	fi
	command -v dockerd >/dev/null || { _cg_dk_log "dockerd not installed"; return 1; }
	_cg_dk_paths "$k"
	cg_dockerd_stop "$k" 2>/dev/null || true
	CG_DOCKERD_K=$k

	if [ "${CG_DOCKERD_IPTABLES:-0}" = 1 ]; then
		# ip6tables needs --experimental on Docker 20.10.
		ipt=(--iptables=true --ip6tables=true --experimental)
	fi
	mkdir -p "$_dk_root/data" "$_dk_exec" || return 1
	ip netns add "$_dk_ns" || return 1
	ip -n "$_dk_ns" link set lo up || return 1
	# nsenter, not "ip netns exec": the latter also unshares the mount namespace, which
	# would hide dockerd's mounts from the root namespace (and from our cleanup).
	nsenter --net="/run/netns/$_dk_ns" /usr/sbin/dockerd \
		--data-root "$_dk_root/data" \
		--exec-root "$_dk_exec" \
		-H "unix://$_dk_sock" \
		--pidfile "$_dk_pidfile" \
		--containerd-namespace "cgtw$k" \
		--containerd-plugins-namespace "cgtw$k-plugins" \
		--cgroup-parent "/cgtw$k" \
		--bip "198.18.$((240 + k)).1/24" \
		--default-address-pool "base=198.19.$((k * 16)).0/20,size=24" \
		--storage-driver vfs \
		--userland-proxy=false \
		--log-level info \
		"${ipt[@]}" \
		>"$_dk_logf" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$_dk_root/dockerd.launch-pid"

	deadline=$((SECONDS + CG_DOCKERD_START_TIMEOUT))
	until _cg_dk_ping "$_dk_sock"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			_cg_dk_log "dockerd (instance $k) exited during start-up; log tail:"
			tail -n 30 "$_dk_logf" >&2
			cg_dockerd_stop "$k"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			_cg_dk_log "dockerd (instance $k) did not answer /_ping within" \
				"${CG_DOCKERD_START_TIMEOUT}s; log tail:"
			tail -n 30 "$_dk_logf" >&2
			cg_dockerd_stop "$k"
			return 1
		fi
		sleep 0.2
	done
	export DOCKER_HOST="unix://$_dk_sock"
	export CG_DOCKER_SOCK="$_dk_sock"
	export CG_DOCKERD_K
	return 0
}

# cg_docker ARGS...: the docker CLI bound to the private socket.
cg_docker() {
	[ -n "${CG_DOCKER_SOCK:-}" ] || { _cg_dk_log "cg_docker: no dockerd started"; return 1; }
	docker -H "unix://$CG_DOCKER_SOCK" "$@"
}

# cg_dockerd_image: import cgtest/busybox:1 unless present. The rootfs tarball is cached.
cg_dockerd_image() {
	local tar=$CG_BUSYBOX_CACHE/rootfs.tar tmp a

	cg_docker image inspect "$CG_BUSYBOX_IMAGE" >/dev/null 2>&1 && return 0
	[ -x /bin/busybox ] || { _cg_dk_log "/bin/busybox missing (busybox-static)"; return 1; }
	if [ ! -s "$tar" ] || [ /bin/busybox -nt "$tar" ]; then
		mkdir -p "$CG_BUSYBOX_CACHE" || return 1
		tmp=$(mktemp -d "$CG_BUSYBOX_CACHE/rootfs.XXXXXX") || return 1
		mkdir -p "$tmp"/{bin,sbin,etc,proc,sys,dev,tmp,root,run,var}
		cp /bin/busybox "$tmp/bin/busybox"
		# Every applet, so tests can use sh, ip, sleep, ping, nc, wget, ...
		for a in $(/bin/busybox --list); do
			[ "$a" = busybox ] || ln -sf busybox "$tmp/bin/$a"
		done
		printf 'root:x:0:0:root:/root:/bin/sh\n' >"$tmp/etc/passwd"
		printf 'root:x:0:\n' >"$tmp/etc/group"
		# Write to a temp name and rename: parallel instances may build at once.
		tar -C "$tmp" --numeric-owner -cf "$tar.$$" . && mv -f "$tar.$$" "$tar"
		rm -rf --one-file-system "$tmp"
	fi
	cg_docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin:/sbin' \
		"$tar" "$CG_BUSYBOX_IMAGE" >/dev/null
}

# cg_container_pid NAME: the container's init PID (0 or empty if not running).
cg_container_pid() {
	cg_docker inspect -f '{{.State.Pid}}' "${1:?usage: cg_container_pid NAME}"
}

# cg_routes NAME [-6]: the container's main routing table, as "ip route" prints it.
cg_routes() {
	local pid
	pid=$(cg_container_pid "${1:?usage: cg_routes NAME [-6]}") || return 1
	if [ -z "$pid" ] || [ "$pid" = 0 ]; then
		_cg_dk_log "cg_routes: container $1 is not running"; return 1
	fi
	if [ "${2:-}" = -6 ]; then
		nsenter -n -t "$pid" ip -6 route
	else
		nsenter -n -t "$pid" ip route
	fi
}

# PIDs of containerd and its shims whose command line mentions $1 (our exec-root).
_cg_dk_pids_using() {
	local f p comm
	while read -r f; do
		p=${f#/proc/}; p=${p%/cmdline}
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		case $comm in containerd*) echo "$p" ;; esac
	done < <(grep -laF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null)
}

_cg_dk_wait_gone() { # PID TIMEOUT_S
	local i=0
	while kill -0 "$1" 2>/dev/null && [ "$i" -lt $(($2 * 10)) ]; do
		sleep 0.1; i=$((i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# Kill what is left in our cgroup parent (container processes orphaned when dockerd or a
# shim was killed), then remove the cgroups. cgroup v1 (one tree per controller) and v2.
_cg_dk_cgroup_clean() {
	local name=$1 dirs=() d p
	for d in /sys/fs/cgroup/*/"$name" /sys/fs/cgroup/"$name"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	[ "${#dirs[@]}" -gt 0 ] || return 0
	for d in "${dirs[@]}"; do
		while read -r p; do
			kill -KILL "$p" 2>/dev/null || true
		done < <(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
	done
	for d in "${dirs[@]}"; do
		while read -r p; do
			_cg_dk_wait_gone "$p" 5 || _cg_dk_log "process $p survived SIGKILL"
		done < <(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null ||
			_cg_dk_log "cannot remove cgroup $d"
	done
	return 0
}

_cg_dk_umount_under() {
	local d=$1 m
	# Deepest first.
	while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
			_cg_dk_log "cannot unmount $m"
	done < <(awk -v d="$d" '$5 == d || index($5, d "/") == 1 { print $5 }' \
		/proc/self/mountinfo | sort -r)
	return 0
}

# cg_dockerd_stop [K]: stop instance K (default: the one started) and remove all it left:
# containers, dockerd, containerd and shims, mounts, the netns, the directories.
# Safe to call twice, and when nothing was started; suitable for a trap.
cg_dockerd_stop() {
	local k=${1:-$CG_DOCKERD_K} pid p ids args
	[ -n "$k" ] || return 0
	_cg_dk_paths "$k"

	if _cg_dk_ping "$_dk_sock"; then
		# Containers first: their shims outlive dockerd otherwise.
		ids=$(docker -H "unix://$_dk_sock" ps -aq 2>/dev/null) || ids=
		if [ -n "$ids" ]; then
			# shellcheck disable=SC2086
			docker -H "unix://$_dk_sock" rm -f $ids >/dev/null 2>&1 || true
		fi
	fi
	pid=$(cat "$_dk_pidfile" 2>/dev/null || cat "$_dk_root/dockerd.launch-pid" 2>/dev/null) ||
		pid=
	args=
	[ -n "$pid" ] && args=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || args=
	# Only our dockerd: the pid file may be stale and the pid reused.
	if [[ $args == *"--exec-root $_dk_exec "* ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		if ! _cg_dk_wait_gone "$pid" 20; then
			_cg_dk_log "dockerd $pid ignored SIGTERM for 20s, killing it"
			kill -KILL "$pid" 2>/dev/null || true
			_cg_dk_wait_gone "$pid" 5 || true
		fi
		wait "$pid" 2>/dev/null || true
	fi
	# A killed dockerd leaves its containerd and shims: they name our exec-root.
	for p in $(_cg_dk_pids_using "$_dk_exec/"); do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $(_cg_dk_pids_using "$_dk_exec/"); do
		_cg_dk_wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null || true
	done
	_cg_dk_cgroup_clean "cgtw$k"
	_cg_dk_umount_under "$_dk_root"
	_cg_dk_umount_under "$_dk_exec"
	if [ -e "/run/netns/$_dk_ns" ]; then
		ip netns del "$_dk_ns" 2>/dev/null || _cg_dk_log "cannot delete netns $_dk_ns"
	fi
	# Never follow a mount that survived: --one-file-system.
	rm -rf --one-file-system "$_dk_root" "$_dk_exec" "$_dk_sock" 2>/dev/null ||
		_cg_dk_log "cannot remove all of $_dk_root $_dk_exec"
	if [ "$k" = "$CG_DOCKERD_K" ]; then
		unset DOCKER_HOST CG_DOCKER_SOCK
	fi
	return 0
}
