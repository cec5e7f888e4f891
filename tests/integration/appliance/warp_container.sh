#!/usr/bin/env bash
# (31c) castgate-warp from its image, run as docker/README.md says (the Docker socket, the
# host's PID namespace, the dockerd's network namespace as its "host" network, capabilities
# NET_ADMIN SYS_ADMIN SYS_PTRACE only), next to the test dockerd: it starts, reaches Docker,
# and routes a labelled target through its warp container (the route is read inside the
# target's namespace); a warp image without one of the three capabilities refuses to start and
# names it. docker/compose.yml parses (docker-compose config) when docker-compose is there.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"
source "$(dirname "$0")/ap_lib.sh"

cg_init "$AP_N"
ap_init
CIDR=198.18.31.128/26
CONT=cgt31-warpd

ap_dockerd_start
ap_images
# The busybox image of the warp tests for the warp and the target (ip, sleep).
export CG_DOCKER_SOCK=$AP_DK_SOCK
cg_dockerd_image || cg_die "cannot import cgtest/busybox:1"

run_warpd() { # NAME [extra docker run args...] -- the capabilities of docker/README.md
	local name=$1
	shift
	docker run -d --name "$name" --pid host --network host \
		--cap-drop ALL "$@" \
		-v "$AP_DK_SOCK:/var/run/docker.sock" \
		"$AP_IMG_WARP" castgate-warp --routing-rules "$CIDR" --log-format json \
		--metrics-listen 127.0.0.1:19731 >/dev/null
}

# Without SYS_PTRACE: refused at start, the missing capability named.
run_warpd cgt31-warp-nocap --cap-add NET_ADMIN --cap-add SYS_ADMIN
docker wait cgt31-warp-nocap >/dev/null
cg_assert_eq "exit status without CAP_SYS_PTRACE" 1 \
	"$(docker inspect -f '{{.State.ExitCode}}' cgt31-warp-nocap)"
if docker logs cgt31-warp-nocap 2>&1 | grep 'missing capability CAP_SYS_PTRACE' >/dev/null; then
	cg_pass "its log names CAP_SYS_PTRACE"
else
	cg_fail "no 'missing capability CAP_SYS_PTRACE' in its log"
	docker logs cgt31-warp-nocap 2>&1 | tail -n 5 >&2
fi

run_warpd "$CONT" --cap-add NET_ADMIN --cap-add SYS_ADMIN --cap-add SYS_PTRACE
connected() { docker logs "$CONT" 2>&1 | grep '"msg":"docker [^"]*: connected' >/dev/null; }
cg_wait_for 30 connected || cg_fail "castgate-warp in $CONT never connected to Docker"
# It shares the host's PID namespace: its process, seen from here, runs the packaged binary.
wpid=$(docker inspect -f '{{.State.Pid}}' "$CONT")
cg_assert_eq "the process of $CONT" /usr/sbin/castgate-warp "$(readlink "/proc/$wpid/exe" || true)"

docker run -d --name warp-cgt31 --sysctl net.ipv4.ip_forward=1 cgtest/busybox:1 sleep 600 >/dev/null
docker run -d --name cgt31-target -l network.warp.target=warp-cgt31 cgtest/busybox:1 sleep 600 >/dev/null
wip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' warp-cgt31)
tpid=$(docker inspect -f '{{.State.Pid}}' cgt31-target)
routed() { nsenter -n -t "$tpid" ip route | grep -q "^$CIDR via $wip "; }
if cg_wait_for 20 routed; then
	cg_pass "the target routes $CIDR via its warp $wip"
else
	cg_fail "no route $CIDR via $wip in the target: $(nsenter -n -t "$tpid" ip route | tr '\n' ';')"
	docker logs "$CONT" 2>&1 | tail -n 10 >&2
fi

docker kill -s HUP "$CONT" >/dev/null
reloaded() { docker logs "$CONT" 2>&1 | grep 'SIGHUP: configuration reloaded' >/dev/null; }
cg_assert_true "docker kill -s HUP reloads it" cg_wait_for 10 reloaded
docker stop -t 10 "$CONT" >/dev/null
cg_assert_eq "exit status after docker stop" 0 "$(docker inspect -f '{{.State.ExitCode}}' "$CONT")"

if command -v docker-compose >/dev/null; then
	cg_assert_true "docker/compose.yml parses (docker-compose config)" \
		docker-compose -f "$CG_SRC/docker/compose.yml" config -q
fi
cg_finish
