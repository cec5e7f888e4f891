#!/usr/bin/env bash
# (k) ARP policy of a unicast output on a real link (test 33). The relay
# resolves the sink; then, from the sink's namespace:
#  1. an unsolicited reply says the sink is at another MAC: refused
#     (arp_rejected), the relay checks the MAC it has with a unicast request
#     (on the wire), the sink answers it, and the stream still reaches the
#     sink (rebound, it would go to a MAC nobody has: all lost);
#  2. failover: the sink takes a new MAC and announces it by gratuitous ARP:
#     refused too, the unicast check to the old MAC goes unanswered, and after
#     arp_retry_ms the relay asks by broadcast: the answer rebinds, and the
#     stream reaches the sink at its new MAC.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 33
command -v tcpdump >/dev/null || cg_skip "tcpdump is missing (scripts/install-deps)"
N=1000
SPOOF=02:00:00:00:33:66
NEW=02:00:00:00:33:77
cg_topo_relay
old_mac=$(cg_if_mac "$CG_IF_SINK" "$CG_NS_SINK")
rout0_mac=$(cg_if_mac "$CG_IF_ROUT0")
conf=$CG_TMP/castgate.toml
{
	cg_conf_base --set "arp_retry_ms = 200" --set "arp_timeout_s = 300"
	cat <<CONF

[[rule]]
name = "uni"
input = { port = "in0", destination = "239.33.1.1", dport = 5001 }
output = [ { port = "out0", destination = "$CG_IP_SINK", dport = 7001, ttl = 9 } ]
CONF
} >"$conf"

cg_capture arp "$CG_NS_SINK" "$CG_IF_SINK" arp
tcpdump_pid=$CG_LAST_PID

cg_dp_start "$conf"

# arp OP SHA SPA TPA THA ETH_DST: one ARP frame out of the sink's veth.
arp() {
	ip netns exec "$CG_NS_SINK" "$CG_PY" - "$CG_IF_SINK" "$@" <<'PY'
import socket, struct, sys
ifc, op, sha, spa, tpa, tha, edst = sys.argv[1:]
m = lambda s: bytes(int(x, 16) for x in s.split(":"))
body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, int(op), m(sha), socket.inet_aton(spa),
                   m(tha), socket.inet_aton(tpa))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
s.send((m(edst) + m(sha) + b"\x08\x06" + body).ljust(60, b"\0"))
PY
}

stream() {
	cg_recv_start "$1" "$CG_NS_SINK" "$CG_IP_SINK:7001" --iface "$CG_IF_SINK" --expect $N \
		--count $N
	cg_send "s$1" "$CG_NS_GEN" --dst 239.33.1.1:5001 --iface "$CG_IF_GEN" --rate 10000 \
		--count $N --size 200
	cg_recv_wait "$1"
	cg_assert_eq "$2: the sink received every datagram" $N \
		"$(cg_json "$CG_TMP/$1.json" 'd["received"]')"
}

for _ in $(seq 100); do
	ip -n "$CG_NS_SINK" neigh show "$CG_IP_ROUT0" dev "$CG_IF_SINK" | grep -q lladdr && break
	sleep 0.1
done
sleep 0.5	# the sink's reply takes one more poll of the relay's service
stream r1 "resolved by ARP"

# 1. A spoofed unsolicited reply.
arp 2 "$SPOOF" "$CG_IP_SINK" "$CG_IP_ROUT0" "$rout0_mac" "$rout0_mac"
sleep 0.5	# the check and the sink's answer
stream r2 "after an unsolicited reply for another MAC"

# 2. Failover to a new MAC, announced.
ip -n "$CG_NS_SINK" link set dev "$CG_IF_SINK" address "$NEW"
arp 1 "$NEW" "$CG_IP_SINK" "$CG_IP_SINK" 00:00:00:00:00:00 ff:ff:ff:ff:ff:ff
for _ in $(seq 50); do	# arp_retry_ms for the check, then a broadcast round
	grep -q "next hop $CG_IP_SINK is at $NEW" "$CG_DP_LOG" && break
	sleep 0.1
done
cg_assert_true "the relay rebound the sink to $NEW" grep -q "next hop $CG_IP_SINK is at $NEW" \
	"$CG_DP_LOG"
stream r3 "after the failover"

cg_stop_pid "$tcpdump_pid" 5 || true
cg_pcap "$CG_TMP/arp.pcap" >"$CG_TMP/arp.jsonl"
checks() {	# unicast requests of the relay for the sink, to MAC $1
	"$CG_PY" - "$CG_TMP/arp.jsonl" "$CG_IP_SINK" "$1" <<'PY'
import json, sys
print(sum(1 for line in open(sys.argv[1])
          if (f := json.loads(line)).get("arp_op") == 1 and f.get("arp_tpa") == sys.argv[2]
          and f.get("eth_dst") == sys.argv[3]))
PY
}
cg_assert_ge "unicast checks of the MAC the relay had (one per claim)" 2 "$(checks "$old_mac")"
cg_assert_true "the relay logged the unconfirmed check" grep -q "did not confirm its MAC" \
	"$CG_DP_LOG"

cg_dp_stop
s=$CG_DP_STATS
cg_assert_ge "drops.arp_rejected (the spoofed reply, the announcement)" 2 \
	"$(cg_json "$s" 'drop("arp_rejected")')"
cg_assert_eq "output tx_packets" $((3 * N)) "$(cg_json "$s" 'out("uni", 0)["tx_packets"]')"
cg_finish
