#!/usr/bin/env bash
# (d) A unicast output without next_hop_mac: the relay resolves the sink's MAC
# by ARP (a request from out0's MAC and IP, seen on the wire and in the sink's
# neighbour table) and the sink receives every packet on a unicast socket.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 5
command -v tcpdump >/dev/null || cg_skip "tcpdump is missing (scripts/install-deps)"
N=3000
cg_topo_relay
rout0_mac=$(cg_if_mac "$CG_IF_ROUT0")
conf=$CG_TMP/castgate.toml
{
	cg_conf_base
	cat <<EOF

[[rule]]
name = "uni"
id = 1
input = { port = "in0", destination = "239.5.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "$CG_IP_SINK"
dport = 7001
ttl = 9
EOF
} >"$conf"

# Capture ARP on the sink's side from before the relay starts.
cg_capture arp "$CG_NS_SINK" "$CG_IF_SINK" arp
tcpdump_pid=$CG_LAST_PID

cg_dp_start "$conf"

# The relay asks for the next hop as soon as the rule is in; the sink learns
# the relay's address from the request. Wait for that, then stream.
neigh=""
for _ in $(seq 100); do
	neigh=$(ip -n "$CG_NS_SINK" neigh show "$CG_IP_ROUT0" dev "$CG_IF_SINK" | grep lladdr || true)
	[ -n "$neigh" ] && break
	sleep 0.1
done
cg_assert_true "sink learnt the relay by ARP: ${neigh:-no entry}" [ -n "$neigh" ]
cg_assert_eq "sink's neighbour entry for out0" "$rout0_mac" \
	"$(echo "$neigh" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')"
# The reply takes one more poll of the relay's service loop.
sleep 0.5

cg_recv_start r0 "$CG_NS_SINK" "$CG_IP_SINK:7001" --iface "$CG_IF_SINK" --expect $N --count $N
cg_send s0 "$CG_NS_GEN" --dst 239.5.1.1:5001 --iface "$CG_IF_GEN" --rate 10000 --count $N \
	--size 500
cg_recv_wait r0
r=$CG_TMP/r0.json
cg_assert_eq "received" $N "$(cg_json "$r" 'd["received"]')"
cg_assert_eq "lost" 0 "$(cg_json "$r" 'd["lost"]')"
cg_assert_eq "corrupt" 0 "$(cg_json "$r" 'd["corrupt"]')"
cg_assert_eq "destination (unicast)" "[\"$CG_IP_SINK\"]" "$(cg_json "$r" 'd["dst_seen"]')"
cg_assert_eq "TTL" '[9]' "$(cg_json "$r" 'd["ttl_seen"]')"
cg_assert_eq "source IP (out0's)" "[\"$CG_IP_ROUT0\"]" "$(cg_json "$r" 'd["sources_seen"]')"

cg_stop_pid "$tcpdump_pid" 5 || true
cg_pcap "$CG_TMP/arp.pcap" >"$CG_TMP/arp.jsonl"
"$CG_PY" - "$CG_TMP/arp.jsonl" "$CG_IP_SINK" >"$CG_TMP/arp_req.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    f = json.loads(line)
    if f.get("arp_op") == 1 and f.get("arp_tpa") == sys.argv[2]:
        print(json.dumps(f))
        break
PY
req=$CG_TMP/arp_req.json
if [ -s "$req" ]; then
	cg_pass "ARP request for $CG_IP_SINK on the wire"
	cg_assert_eq "ARP request sender MAC" "$rout0_mac" "$(cg_json "$req" 'd["arp_sha"]')"
	cg_assert_eq "ARP request sender IP" "$CG_IP_ROUT0" "$(cg_json "$req" 'd["arp_spa"]')"
	cg_assert_eq "ARP request Ethernet source" "$rout0_mac" "$(cg_json "$req" 'd["eth_src"]')"
	cg_assert_eq "ARP request Ethernet destination" ff:ff:ff:ff:ff:ff \
		"$(cg_json "$req" 'd["eth_dst"]')"
else
	cg_fail "no ARP request for $CG_IP_SINK in $CG_TMP/arp.pcap"
fi

cg_dp_stop
s=$CG_DP_STATS
cg_assert_eq "output tx_packets" $N "$(cg_json "$s" 'out("uni", 0)["tx_packets"]')"
cg_assert_eq "drops.arp_unresolved" 0 "$(cg_json "$s" 'drop("arp_unresolved")')"

## Phase 2: out0's link is down while the relay starts, longer than a round of
## requests (2 x 200 ms), with next hops kept for the default 300 s. Requests
## on a down link are lost: link up must start a round and announce out0 at
## once (once, the next round came 300 s later, and out0 never announced).
cg_dpdk_files_remove
ip -n "$CG_NS_SINK" neigh flush dev "$CG_IF_SINK"
ip link set "$CG_IF_ROUT0" down
conf2=$CG_TMP/castgate-down.toml
sed 's/^\[dataplane\]$/[dataplane]\narp_retry_ms = 200\narp_max_retries = 2/' "$conf" >"$conf2"
cg_dp_start "$conf2"
sleep 1.5
cg_capture arp2 "$CG_NS_SINK" "$CG_IF_SINK" arp
tcpdump_pid=$CG_LAST_PID
ip link set "$CG_IF_ROUT0" up
# The link poll (5 ms), a request, the reply: well within a second.
sleep 1
N2=500
cg_recv_start r2 "$CG_NS_SINK" "$CG_IP_SINK:7001" --iface "$CG_IF_SINK" --expect $N2 --count $N2
cg_send s2 "$CG_NS_GEN" --dst 239.5.1.1:5001 --iface "$CG_IF_GEN" --rate 2000 --count $N2 \
	--size 500
cg_recv_wait r2
cg_assert_eq "after link up: received" $N2 "$(cg_json "$CG_TMP/r2.json" 'd["received"]')"
cg_stop_pid "$tcpdump_pid" 5 || true
cg_pcap "$CG_TMP/arp2.pcap" >"$CG_TMP/arp2.jsonl"
cg_assert_eq "after link up: gratuitous ARP for out0" 1 "$("$CG_PY" - "$CG_TMP/arp2.jsonl" \
	"$CG_IP_ROUT0" <<'PY'
import json, sys
print(int(any(f.get("arp_spa") == sys.argv[2] and f.get("arp_tpa") == sys.argv[2]
              for f in map(json.loads, open(sys.argv[1])))))
PY
)"
cg_dp_stop
cg_assert_eq "after link up: drops.arp_unresolved" 0 \
	"$(cg_json "$CG_DP_STATS" 'drop("arp_unresolved")')"
cg_finish
