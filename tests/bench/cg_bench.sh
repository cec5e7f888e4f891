# shellcheck shell=bash
# Shared part of the veth benches (scripts/bench.d/veth, scripts/bench.d/latency):
# a relay namespace between a generator and a sink, and the forwarders that
# run in it. Built on tests/integration/lib (its trap, its topology names):
#
#  [netns cgbK-gen]             [netns cgbK-relay]                        [netns cgbK-sink]
#   cgbKgen0 198.18.20K.1/26 <-> cgbKrin0 (198.18.20K.2)  cgbKrout0 (.66) <-> cgbKsink0 .65/26
#
# The relay's veths have no kernel address while a DPDK forwarder owns them
# (AF_PACKET); the kernel references (smcroute, cg-sockrelay) get the
# addresses in brackets for their run (cgb_relay_addrs on|off). The generator
# is pinned to CPU 1 and every forwarder to CPU 0.
#
#   source "$CG_SRC/tests/bench/cg_bench.sh"
#   cgb_init K FILE_PREFIX      # after option parsing; registers the cleanup trap
#   cgb_topo

# shellcheck source=../integration/lib/cg_test.sh
source "$CG_SRC/tests/integration/lib/cg_test.sh"

CGB_GEN_CPU=1
CGB_FWD_CPU=0

# cgb_init K PREFIX: what cg_init does for a test, with bench names: netns
# cgbK-*, veths cgbK*, addresses 198.18.(200+K).0/24, DPDK prefix PREFIX (and
# PREFIXv for testpmd). Needs root, the build, dpdk-testpmd.
cgb_init() {
	local k=$1
	CG_N=$k
	CG_NET=198.18.$((200 + k))
	CG_PREFIX=cgb$k
	CG_FILE_PREFIX=$2
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
	CG_PY=/usr/bin/python3
	[ "$(id -u)" -eq 0 ] || cg_die "needs root (network namespaces, DPDK)"
	[ -x "$CG_GEN" ] && [ -x "$CG_DP" ] || cg_die "build first: $CG_GEN, $CG_DP"
	CGB_TESTPMD=$(command -v dpdk-testpmd) || cg_die "dpdk-testpmd not found (scripts/install-deps)"
	trap 'cg_cleanup $?' EXIT
	trap 'cg_cleanup; exit 130' INT
	trap 'cg_cleanup; exit 143' TERM
	cg_topo_names
	CG_NS_RELAY=$CG_PREFIX-relay
	cg_leftovers
	CG_TMP=$(mktemp -d "/tmp/$CG_PREFIX.XXXXXX")
	# castgate-dataplane and testpmd run inside the relay namespace.
	CGB_DP_REAL=$CG_DP
	CG_DP=$CG_TMP/dataplane-in-relay
	printf '#!/bin/sh\nexec ip netns exec %s taskset -c %s %s "$@"\n' "$CG_NS_RELAY" \
		"$CGB_FWD_CPU" "$CGB_DP_REAL" >"$CG_DP"
	chmod +x "$CG_DP"
	cg_hugepages
}

# The relay end of a veth in the relay namespace, the peer in NS.
cgb_veth() {
	local rif=$1 pif=$2 ns=$3 ip=$4
	ip -n "$CG_NS_RELAY" link add "$rif" type veth peer name "$pif" netns "$ns" ||
		cg_die "ip link add $rif/$pif failed"
	cg_veth_quiet "$rif" "$CG_NS_RELAY"
	cg_veth_quiet "$pif" "$ns"
	ip -n "$CG_NS_RELAY" link set "$rif" up
	ip -n "$ns" addr add "$ip/$CG_PLEN" dev "$pif"
	ip -n "$ns" link set "$pif" up
}

cgb_topo() {
	CG_MTU=1500
	cg_netns_add "$CG_NS_GEN"
	cg_netns_add "$CG_NS_RELAY"
	cg_netns_add "$CG_NS_SINK"
	cgb_veth "$CG_IF_RIN" "$CG_IF_GEN" "$CG_NS_GEN" "$CG_IP_GEN"
	cgb_veth "$CG_IF_ROUT0" "$CG_IF_SINK" "$CG_NS_SINK" "$CG_IP_SINK"
	ip -n "$CG_NS_GEN" route add 239.0.0.0/8 dev "$CG_IF_GEN"
	cg_sink_sysctl "$CG_NS_SINK" "$CG_IF_SINK"
	local i
	for ((i = 0; i < 100; i++)); do
		ip -n "$CG_NS_RELAY" -o link show | grep -q 'NO-CARRIER\|state DOWN' || return 0
		sleep 0.05
	done
	cg_die "links of $CG_PREFIX did not come up"
}

# cgb_relay_addrs on|off: kernel addresses on the relay's veths (the kernel
# references need them; a DPDK forwarder must not have the kernel answer too).
cgb_relay_addrs() {
	local op=add
	[ "$1" = on ] || op=del
	ip -n "$CG_NS_RELAY" addr "$op" "$CG_IP_RIN/$CG_PLEN" dev "$CG_IF_RIN"
	ip -n "$CG_NS_RELAY" addr "$op" "$CG_IP_ROUT0/$CG_PLEN" dev "$CG_IF_ROUT0"
}

# Counters of an interface: cgb_rx NS IF.
cgb_rx() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }
cgb_sink_rx() { cgb_rx "$CG_NS_SINK" "$CG_IF_SINK"; }

# cgb_castgate_conf RULE_IN_GROUP:PORT RULE_OUT_GROUP:PORT [--set 'k = v']...:
# the data plane's config on the relay's ports, with the keys that the
# integration tests' base config sets to suit tests (idle_sleep_us) removed,
# so that castgate runs with its defaults unless --set says otherwise.
cgb_castgate_conf() {
	local in=$1 out=$2
	shift 2
	cg_conf_base "$@" | sed '/^# 2-core machine shared/{N;d}'
	cat <<EOF

[[rule]]
name = "bench"
input = { port = "in0", destination = "${in%:*}", dport = ${in#*:} }

[[rule.output]]
port = "out0"
destination = "${out%:*}"
dport = ${out#*:}
ttl = 8
EOF
}

cgb_castgate_start() { CG_DP_LOG_LEVEL=warn cg_dp_start "$1" >/dev/null; }
cgb_castgate_stop() { cg_dp_stop >/dev/null 2>&1 || true; }

# cgb_testpmd_start [MODE]: testpmd forwarding (default io) on the same
# ports, with the same ring size as cg_conf_base.
cgb_testpmd_start() {
	local i mode=${1:-io}
	rm -rf "/var/run/dpdk/${CG_FILE_PREFIX}v"
	cg_bg testpmd ip netns exec "$CG_NS_RELAY" "$CGB_TESTPMD" -l "$CGB_FWD_CPU,$CGB_GEN_CPU" \
		--main-lcore "$CGB_GEN_CPU" --no-pci --file-prefix "${CG_FILE_PREFIX}v" -m 256 \
		--vdev "net_af_packet0,iface=$CG_IF_RIN,framecnt=4096" \
		--vdev "net_af_packet1,iface=$CG_IF_ROUT0,framecnt=4096" \
		-- --forward-mode="$mode" --nb-cores=1 --auto-start --stats-period 60
	CGB_TESTPMD_PID=$CG_LAST_PID
	for ((i = 0; i < 200; i++)); do
		grep -q "$mode packet forwarding" "$CG_TMP/testpmd.out" 2>/dev/null && { sleep 0.5; return 0; }
		kill -0 "$CGB_TESTPMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$CG_TMP/testpmd.out" "$CG_TMP/testpmd.err" >&2
	cg_die "testpmd did not start"
}

cgb_testpmd_stop() {
	cg_stop_pid "$CGB_TESTPMD_PID" 10 || true
	cg_dpdk_files_remove
}

# cgb_json_results TSV OUT CASE TITLE METRIC NOTES_FILE: write the bench
# JSON from lines "group<TAB>name<TAB>value<TAB>extra json" (one per run).
cgb_json_results() {
	"$CG_PY" - "$@" <<'PY'
import json, statistics, sys
tsv, out, case, title, metric, notes = sys.argv[1:7]
res, order = {}, []
for line in open(tsv):
    group, name, value, extra = line.rstrip("\n").split("\t")
    key = (group, name)
    if key not in res:
        res[key] = {"group": group, "name": name, "runs": [], "extra": {}}
        order.append(key)
    res[key]["runs"].append(float(value))
    for k, v in json.loads(extra).items():
        res[key]["extra"].setdefault(k, []).append(v)
results = []
for key in order:
    r = res[key]
    r["value"] = round(statistics.median(r["runs"]), 4)
    results.append(r)
doc = {"case": case, "title": title, "metric": metric, "results": results,
       "notes": [l.strip() for l in open(notes) if l.strip()]}
json.dump(doc, open(out, "w"), indent=1)
PY
}
