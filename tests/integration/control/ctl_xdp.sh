#!/usr/bin/env bash
# (27) AF_XDP with castgate's steering program (port key xdp_steer): in0 is
# net_af_xdp on cgt27rin0, which also has a kernel address (198.18.27.3).
# - a config rule's stream is relayed, every packet and byte, and the kernel
#   sees none of it (tcpdump on the interface sees only what XDP passes);
# - the host answers ARP and ping on that same interface; ARP for castgate's
#   own port address reaches castgate (its responder answers);
# - traffic of no rule goes to the kernel, not to castgate;
# - a rule added at run time gets its traffic (the map follows), a deleted
#   rule's traffic goes back to the kernel;
# - kill -9 of castgate-dataplane leaves its program attached; the restarted
#   one detaches it (log line), comes up and relays again;
# - the interface deleted and re-created: the port reopens, its new map is
#   filled from the rules;
# - a program that is not castgate's is left alone and named in the error.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 27
cg_ctl_init
NP=2000
SIZE=700
KIP=$CG_NET.3	# the kernel's own address on castgate's ingress interface
cg_topo_relay
command -v tcpdump >/dev/null && command -v ping >/dev/null ||
	cg_skip "tcpdump or ping is not installed (scripts/install-deps)"
[ -e "$CG_BUILD/app/castgate-dataplane/cg_xdp_steer.o" ] ||
	cg_skip "cg_xdp_steer.o not built (meson -Dxdp needs clang and libbpf)"
ip addr add "$KIP/$CG_PLEN" dev "$CG_IF_RIN"

conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf --in-device "net_af_xdp0,iface=$CG_IF_RIN"
	cat <<EOF

[[rule]]
name = "cfgA"
input = { port = "in0", destination = "239.27.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.27.2.1"
dport = 6001
ttl = 7
EOF
} | sed "/^device = \"net_af_xdp0,/a xdp_steer = true" >"$conf"
cg_assert_true "config has xdp_steer on in0" grep -q '^xdp_steer = true' "$conf"
cg_ctl_start "$conf"
dplog=$CG_TMP/$CG_SUP_LOG.err
cg_assert_true "log: the steering program is attached" \
	grep -q "port in0 ($CG_IF_RIN): XDP steering program .* mode" "$dplog"
grep -o "XDP steering program [0-9]* ([a-z]* mode)" "$dplog" | head -n 1 |
	sed 's/^/  mode: /' >&2 || true
cg_assert_true "an XDP program is attached to $CG_IF_RIN" \
	sh -c "ip -d link show $CG_IF_RIN | grep -q 'prog/xdp'"

# What the kernel receives on the interface: AF_PACKET taps see a frame only
# after XDP passed it.
cap=$CG_TMP/kernel.pcap
cg_bg tcpdump tcpdump -i "$CG_IF_RIN" -U -n -w "$cap" udp
tcpdump_up() { grep -q 'listening on' "$CG_TMP/tcpdump.err"; }
cg_assert_true "tcpdump listening" cg_wait_for 5 tcpdump_up
kernel_udp() { tcpdump -r "$cap" -n "udp and dst host $1 and dst port $2" 2>/dev/null | wc -l; }

in0_rx() { cg_ctl --json port show in0 | "$CG_PY" -c 'import json,sys; print(json.load(sys.stdin)["stats"]["rx_packets"])'; }

# 1. The config rule's stream is relayed, every packet and byte.
cg_recv_start rA "$CG_NS_SINK" 239.27.2.1:6001 --iface "$CG_IF_SINK" --expect $NP --count $NP
cg_send sA "$CG_NS_GEN" --dst 239.27.1.1:5001 --iface "$CG_IF_GEN" --count $NP --rate 20000 \
	--size $SIZE
cg_recv_wait rA
cg_json_eqs "$CG_TMP/rA.json" \
	"af_xdp relay: received" $NP 'd["received"]' \
	"af_xdp relay: bytes" $((NP * SIZE)) 'd["bytes"]' \
	"af_xdp relay: lost" 0 'd["lost"]' \
	"af_xdp relay: corrupt" 0 'd["corrupt"]' \
	"af_xdp relay: TTL" '[7]' 'd["ttl_seen"]'

# 2. The host keeps ARP and ping on the same interface.
ip -n "$CG_NS_GEN" neigh flush dev "$CG_IF_GEN"
cg_assert_true "ping from the generator to the host's $KIP on $CG_IF_RIN" \
	ip netns exec "$CG_NS_GEN" ping -c 3 -i 0.2 -W 2 -q "$KIP"
rin_mac=$(cg_if_mac "$CG_IF_RIN")
cg_assert_eq "ARP: the generator learnt $KIP at $CG_IF_RIN's MAC" "$rin_mac" \
	"$(ip -n "$CG_NS_GEN" neigh show "$KIP" dev "$CG_IF_GEN" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')"
# ARP for castgate's port address goes to castgate (its ARP responder).
ip netns exec "$CG_NS_GEN" "$CG_GEN" send --dst "$CG_IP_RIN:5999" --iface "$CG_IF_GEN" --count 1 \
	>/dev/null 2>&1 || true
arp_castgate() { ip -n "$CG_NS_GEN" neigh show "$CG_IP_RIN" dev "$CG_IF_GEN" | grep -q lladdr; }
cg_assert_true "ARP: castgate answers for its port address $CG_IP_RIN" cg_wait_for 5 arp_castgate

# 3. Traffic of no rule goes to the kernel, not to castgate.
rx0=$(in0_rx)
cg_send sN "$CG_NS_GEN" --dst 239.27.9.9:5009 --iface "$CG_IF_GEN" --count 500 --rate 20000
k_seen() { [ "$(kernel_udp "$1" "$2")" -ge "$3" ]; }
cg_assert_true "the kernel sees the 500 packets of no rule" cg_wait_for 5 k_seen 239.27.9.9 5009 500
cg_assert_eq "castgate's in0 did not receive them (rx_packets)" "$rx0" "$(in0_rx)"
cg_assert_eq "the kernel saw none of the relayed stream" 0 "$(kernel_udp 239.27.1.1 5001)"

# 4. A rule added at run time: its traffic now reaches castgate (the map follows).
cg_send sB0 "$CG_NS_GEN" --dst 239.27.1.3:5003 --iface "$CG_IF_GEN" --count 300 --rate 20000
cg_assert_true "before rule add: the kernel gets 239.27.1.3:5003" cg_wait_for 5 k_seen 239.27.1.3 5003 300
cg_ctl_expect 0 addB rule add apiB --in in0,239.27.1.3,5003 --out out0,239.27.2.3,6003,ttl=9
cg_recv_start rB "$CG_NS_SINK" 239.27.2.3:6003 --iface "$CG_IF_SINK" --expect $NP --count $NP
cg_send sB "$CG_NS_GEN" --dst 239.27.1.3:5003 --iface "$CG_IF_GEN" --count $NP --rate 20000 \
	--size $SIZE
cg_recv_wait rB
cg_json_eqs "$CG_TMP/rB.json" \
	"rule added at run time: received" $NP 'd["received"]' \
	"rule added at run time: bytes" $((NP * SIZE)) 'd["bytes"]' \
	"rule added at run time: TTL" '[9]' 'd["ttl_seen"]'
cg_assert_eq "after rule add: the kernel saw only the 300 sent before" 300 "$(kernel_udp 239.27.1.3 5003)"

# 5. The rule deleted: its traffic goes to the kernel again.
cg_ctl_expect 0 delB rule del apiB
rx1=$(in0_rx)
cg_send sB2 "$CG_NS_GEN" --dst 239.27.1.3:5003 --iface "$CG_IF_GEN" --count 300 --rate 20000
cg_assert_true "after rule del: the kernel gets 239.27.1.3:5003 again" \
	cg_wait_for 5 k_seen 239.27.1.3 5003 600
cg_assert_eq "after rule del: castgate's in0 did not receive them" "$rx1" "$(in0_rx)"

# 6. kill -9: the program stays attached; the restarted data plane detaches it.
dp_pid=$(cg_ctl_child_pid dataplane)
cg_assert_ge "castgate-dataplane pid" 1 "$dp_pid"
kill -KILL "$dp_pid"
cg_wait_pid "$dp_pid" 5 || true
cg_log "killed castgate-dataplane (pid $dp_pid)"
new_dp_ready() {
	local p
	p=$(cg_ctl_child_pid dataplane)
	[ -n "$p" ] && [ "$p" != "$dp_pid" ] &&
		cg_ctl -t 1000 --json system info >"$CG_TMP/info.json" 2>/dev/null &&
		[ "$(cg_json "$CG_TMP/info.json" 'd["dataplane"]["pid"]')" = "$p" ]
}
cg_assert_true "a new castgate-dataplane starts and is ready" cg_wait_for 40 new_dp_ready
cg_assert_true "log: the stale program was detached at start" \
	grep -q "port in0 ($CG_IF_RIN): detached XDP program [0-9]* \"cg_xdp_steer\"" "$CG_TMP/$CG_SUP_LOG.err"
cg_assert_eq "steering program attached twice in the log (before and after the kill)" 2 \
	"$(grep -c "port in0 ($CG_IF_RIN): XDP steering program" "$CG_TMP/$CG_SUP_LOG.err")"
cg_recv_start rC "$CG_NS_SINK" 239.27.2.1:6001 --iface "$CG_IF_SINK" --expect $NP --count $NP
cg_send sC "$CG_NS_GEN" --dst 239.27.1.1:5001 --iface "$CG_IF_GEN" --count $NP --rate 20000 \
	--size $SIZE
cg_recv_wait rC
cg_json_eqs "$CG_TMP/rC.json" \
	"after the restart: received" $NP 'd["received"]' \
	"after the restart: bytes" $((NP * SIZE)) 'd["bytes"]'
cg_assert_true "ping to the host still answered after the restart" \
	ip netns exec "$CG_NS_GEN" ping -c 2 -i 0.2 -W 2 -q "$KIP"

# 6b. The interface deleted and created again: the port is reopened with a
# new program, whose empty map is filled from the rule table.
ip link del "$CG_IF_RIN"
in0_state() { [ "$(cg_ctl_link in0 state)" = "\"$1\"" ]; }
cg_assert_true "in0 missing after its interface is deleted" cg_wait_for 10 in0_state missing
cg_veth_pair "$CG_IF_RIN" "$CG_IF_GEN" "$CG_NS_GEN" "$CG_IP_GEN" 1500
ip -n "$CG_NS_GEN" route add 239.0.0.0/8 dev "$CG_IF_GEN"
ip addr add "$KIP/$CG_PLEN" dev "$CG_IF_RIN"
cg_assert_true "in0 up again on the new interface" cg_wait_for 15 in0_state up
cg_assert_eq "steering program attached three times in the log (start, restart, reopen)" 3 \
	"$(grep -c "port in0 ($CG_IF_RIN): XDP steering program" "$CG_TMP/$CG_SUP_LOG.err")"
# At start the rules come after the ports; on a reopen the map is filled at once.
cg_assert_true "log: the reopened port's map was filled with the rule" grep -q \
	"port in0 ($CG_IF_RIN): XDP steering program .* (1 rule(s) now)" "$CG_TMP/$CG_SUP_LOG.err"
cg_recv_start rD "$CG_NS_SINK" 239.27.2.1:6001 --iface "$CG_IF_SINK" --expect $NP --count $NP
cg_send sD "$CG_NS_GEN" --dst 239.27.1.1:5001 --iface "$CG_IF_GEN" --count $NP --rate 20000 \
	--size $SIZE
cg_recv_wait rD
cg_json_eqs "$CG_TMP/rD.json" \
	"after the reopen: received" $NP 'd["received"]' \
	"after the reopen: bytes" $((NP * SIZE)) 'd["bytes"]'
cg_assert_true "ping to the host answered on the new interface" \
	ip netns exec "$CG_NS_GEN" ping -c 2 -i 0.2 -W 2 -q "$KIP"

cg_ctl_stop
cg_assert_true "clean stop detaches the program from $CG_IF_RIN" \
	sh -c "! ip -d link show $CG_IF_RIN | grep -q 'prog/xdp'"

# 7. A program that is not castgate's is never removed: the data plane refuses
# the port and names it. (Generic mode: the stale check reads both modes.)
if command -v clang >/dev/null; then
	cat >"$CG_TMP/foreign.c" <<'EOF'
#include <linux/bpf.h>
__attribute__((section("xdp"), used)) int foreign_pass(struct xdp_md *ctx) { return XDP_PASS; }
char _license[] __attribute__((section("license"), used)) = "GPL";
EOF
	clang -O2 -target bpf -I"/usr/include/$(gcc -print-multiarch)" -c "$CG_TMP/foreign.c" \
		-o "$CG_TMP/foreign.o"
	ip link set dev "$CG_IF_RIN" xdpgeneric obj "$CG_TMP/foreign.o" sec xdp
	rc=0
	timeout 60 "$CG_DP" -c "$conf" >"$CG_TMP/dp-foreign.out" 2>&1 || rc=$?
	cg_assert_true "a foreign XDP program: castgate-dataplane exits with an error (status $rc)" \
		test "$rc" -ne 0 -a "$rc" -ne 124
	cg_assert_true "log names the foreign program and how to detach it" grep -q \
		"port in0 ($CG_IF_RIN): XDP program [0-9]* \"foreign_pass\" (generic mode) is attached and is not castgate's.*ip link set dev $CG_IF_RIN xdp off" \
		"$CG_TMP/dp-foreign.out"
	cg_assert_true "the foreign program is still attached" \
		sh -c "ip -d link show $CG_IF_RIN | grep -q 'name foreign_pass'"
	ip link set dev "$CG_IF_RIN" xdpgeneric off
	cg_dpdk_files_remove
fi
cg_finish
