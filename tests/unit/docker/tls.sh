#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# lib/docker over tcp:// with TLS, against `openssl s_server -WWW` on loopback serving a
# canned /version and /v1.41/containers/json, requiring a client certificate:
# the right CA and client cert work; no client cert, or a CA that did not sign the server,
# fail with a TLS error. Skips (77) without openssl.
# Usage: tls.sh PATH_TO_tls_client
set -u
client=$(realpath "${1:?usage: tls.sh TLS_CLIENT}") || exit 1
command -v openssl >/dev/null || { echo "SKIP: openssl not installed"; exit 77; }

dir=$(mktemp -d /tmp/cgtdk-tls.XXXXXX) || exit 1
srv=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
	if [ -n "$srv" ]; then
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir" || exit 1

cert() { # NAME CN ISSUER [EXT]
	openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" \
		2>/dev/null || return 1
	if [ "$3" = self ]; then
		# A CA says so: OpenSSL 3.5 (Debian 13) refuses a v3 issuer without
		# basicConstraints CA:TRUE ("invalid CA certificate").
		openssl x509 -req -in "$1.csr" -signkey "$1.key" -out "$1.pem" -days 2 \
			-extfile ca.ext 2>/dev/null
	else
		openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial \
			-out "$1.pem" -days 2 ${4:+-extfile "$4"} 2>/dev/null
	fi
}
printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
if ! { cert ca cgtest-ca self && cert other other-ca self &&
	cert srv 127.0.0.1 ca srv.ext && cert cli cgtest-client ca; }; then
	echo "FAIL: cannot make certificates"; exit 1
fi
mkdir -p www/v1.41/containers
echo '{"ApiVersion":"1.41","MinAPIVersion":"1.12"}' >www/version
echo '[{"Id":"c1"}]' >www/v1.41/containers/json

# A free loopback port: s_server fails at once if it is taken, so try a few.
for try in 1 2 3 4 5; do
	port=$((20000 + (RANDOM % 20000)))
	(cd www && exec openssl s_server -accept "127.0.0.1:$port" -cert ../srv.pem \
		-key ../srv.key -CAfile ../ca.pem -Verify 1 -WWW -quiet) >server.log 2>&1 &
	srv=$!
	for _ in $(seq 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break 2; fi
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.1
	done
	kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; srv=
	[ "$try" = 5 ] && { echo "FAIL: openssl s_server did not start"; cat server.log; exit 1; }
done

fail=0
expect() { # WANT(ok|fail) PATTERN ARGS...
	local want=$1 pat=$2 out rc
	shift 2
	out=$("$client" "tcp://127.0.0.1:$port" "$@" 2>&1); rc=$?
	if { [ "$want" = ok ] && [ $rc -ne 0 ]; } || { [ "$want" = fail ] && [ $rc -ne 1 ]; } ||
	   [[ $out != *"$pat"* ]]; then
		echo "FAIL: $* -> rc $rc: $out (want $want, \"$pat\")"; fail=1
	else
		echo "ok: ${*//$dir\//} -> $out"
	fi
}
expect ok "ok api 1.41, 1 containers" "$dir/ca.pem" "$dir/cli.pem" "$dir/cli.key"
# The server refuses us (TLS 1.3 says so after the handshake: a receive error).
expect fail "GET /version:" "$dir/ca.pem" "" ""
expect fail "error -71: GET /version:" "$dir/other.pem" "$dir/cli.pem" "$dir/cli.key"
exit $fail
