#!/usr/bin/env bash
# (19) RTP sequence accounting of a rule with rtp = true. A sender that
# misbehaves on purpose (sequence numbers wrapping past 65535): it skips 3
# numbers, sends 2 twice, swaps 2 pairs, and ends with 5 datagrams that are
# not RTP. The rule's counters say exactly that: rtp_lost 3,
# rtp_duplicate 2, rtp_reordered 2, rtp_not_rtp 5; every datagram is still
# relayed. A rule without rtp has no rtp_* counters; castgatectl rule show
# prints the same counts on its rtp line, and none for it. Slots have room for one
# output ([dataplane] max_outputs = 1), so the RTP state sits right after it
# in each counter entry.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 19
cg_ctl_init
cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf --set "max_outputs = 1"
	cat <<EOF

[[rule]]
name = "cam"
rtp = true
input = { port = "in0", destination = "239.19.1.1", dport = 5004 }
output = [ { port = "out0", destination = "239.19.2.1", dport = 5004 } ]

[[rule]]
name = "plain"
input = { port = "in0", destination = "239.19.1.2", dport = 5006 }
output = [ { port = "out0", destination = "239.19.2.2", dport = 5006 } ]
EOF
} >"$conf"
cg_ctl_start "$conf"

# The sender: 1000 RTP numbers from 65000 (wrapping), with its faults.
cat >"$CG_TMP/rtp_send.py" <<'EOF'
import socket, struct, sys, time
group, port, ifaddr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 8)
order = [i for i in range(1000) if i not in (100, 200, 300)]   # 3 skipped
for i in (400, 500):                                            # 2 repeated
    order.insert(order.index(i) + 1, i)
for i in (600, 700):                                            # 2 pairs swapped
    k = order.index(i)
    order[k], order[k + 1] = order[k + 1], order[k]
sent = 0
for i in order:
    seq = (65000 + i) & 0xFFFF
    hdr = struct.pack("!BBHII", 0x80, 96, seq, i * 90, 0x1234)
    s.sendto(hdr + bytes(200), (group, port))
    sent += 1
    time.sleep(0.0005)
for i in range(5):                                              # 5 not RTP
    s.sendto(b"\x00" * 100, (group, port))
    sent += 1
print(sent)
EOF
sent=$(ip netns exec "$CG_NS_GEN" "$CG_PY" "$CG_TMP/rtp_send.py" 239.19.1.1 5004 "$CG_IP_GEN")
ip netns exec "$CG_NS_GEN" "$CG_PY" "$CG_TMP/rtp_send.py" 239.19.1.2 5006 "$CG_IP_GEN" >/dev/null
cg_log "sent $sent datagrams"
not_rtp_line() { ! grep -q '^rtp ' "$1"; }
relayed() { [ "$(cg_ctl_json st stats --rule cam >/dev/null && cg_json "$CG_TMP/st.json" 'rule("cam")["rx_packets"]')" = "$sent" ]; }
cg_assert_true "the rule received all $sent" cg_wait_for 5 relayed
cg_ctl_json st stats
s=$CG_TMP/st.json
cg_assert_eq "rtp_lost" 3 "$(cg_json "$s" 'rule("cam")["rtp_lost"]')"
cg_assert_eq "rtp_duplicate" 2 "$(cg_json "$s" 'rule("cam")["rtp_duplicate"]')"
cg_assert_eq "rtp_reordered" 2 "$(cg_json "$s" 'rule("cam")["rtp_reordered"]')"
cg_assert_eq "rtp_not_rtp" 5 "$(cg_json "$s" 'rule("cam")["rtp_not_rtp"]')"
cg_assert_eq "every datagram relayed" "$sent" "$(cg_json "$s" 'out("cam", 0)["tx_packets"]')"
cg_assert_eq "a rule without rtp has no rtp counters" false \
	"$(cg_json "$s" '"rtp_lost" in rule("plain")')"
# castgatectl rule show says the same in words; nothing of the kind for plain.
cg_ctl_expect 0 show_cam rule show cam
cg_assert_true "rule show cam: its RTP line" \
	grep -qx 'rtp       3 lost  2 reordered  2 duplicate  5 not RTP' "$CG_TMP/show_cam.out"
cg_ctl_expect 0 show_plain rule show plain
cg_assert_true "rule show plain: no RTP line" not_rtp_line "$CG_TMP/show_plain.out"

cg_ctl_stop
cg_finish
