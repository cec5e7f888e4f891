#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Regenerates the JSON captured from a real dockerd (instance K=1) that the lib/docker unit
# tests parse: a warp on two networks (one IPv6), a labelled target, a stopped container,
# and the events of starting, stopping, restarting, connecting and disconnecting them.
# Run as root from anywhere: tests/unit/docker/data/capture.sh
set -eu
D=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091  # the harness, checked on its own
. "$D/../../../integration/warp/lib/dockerd.sh"
trap cg_dockerd_stop EXIT
cg_dockerd_start 1
cg_dockerd_image
S=$CG_DOCKER_SOCK
get() { curl -s --unix-socket "$S" "http://localhost$1"; }
t0=$(date +%s)
cg_docker network create cgnet1 >/dev/null
cg_docker network create --ipv6 --subnet 2001:db8:1::/64 cgnet6 >/dev/null
cg_docker run -d --name warp-a --label network.warp.network=cgnet6 --network cgnet1 cgtest/busybox:1 sleep 600 >/dev/null
cg_docker network connect cgnet6 warp-a
cg_docker run -d --name t1 --label network.warp.target=warp-a --label com.example.x=y --network cgnet6 cgtest/busybox:1 sleep 600 >/dev/null
cg_docker create --name stopped1 --label network.warp.target=warp-a cgtest/busybox:1 sleep 600 >/dev/null
cg_docker start stopped1 >/dev/null; cg_docker stop -t 1 stopped1 >/dev/null
cg_docker restart -t 1 t1 >/dev/null
cg_docker network disconnect cgnet6 warp-a
cg_docker network connect cgnet6 warp-a
sleep 1
t1=$(date +%s)
get /version | python3 -m json.tool > "$D"/version.json
get /v1.41/containers/json | python3 -m json.tool > "$D"/containers.json
get /v1.41/containers/warp-a/json | python3 -m json.tool > "$D"/inspect-warp-a.json
get /v1.41/containers/t1/json | python3 -m json.tool > "$D"/inspect-t1.json
get /v1.41/containers/stopped1/json | python3 -m json.tool > "$D"/inspect-stopped1.json
F=$(python3 -c 'import urllib.parse,json;print(urllib.parse.quote(json.dumps({"type":["container","network"],"event":["start","restart","die","stop","connect","disconnect"]})))')
get "/v1.41/events?since=$t0&until=$t1&filters=$F" > "$D"/events.jsonl
get /v1.41/containers/nonexistent/json > "$D"/error-404.json || true
wc -l "$D"/*
