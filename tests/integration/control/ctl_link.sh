#!/usr/bin/env bash
# (16) Link state: an output's veth loses its carrier (its peer in the sink
# namespace goes down) and gets it back. castgate-dataplane follows the kernel
# (netlink: af_packet never reports a link change through DPDK): port.get says
# down within 2 s, with the time of the transition and its source;
# system.health is degraded (castgatectl exits 1); the transition is logged
# once; then all of it back to up and ok.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 16
cg_ctl_init
cg_topo_relay --sink1
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf --sink1
	cat <<EOF

[[rule]]
name = "fan"
input = { port = "in0", destination = "239.16.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.16.2.1"
dport = 6001
[[rule.output]]
port = "out1"
destination = "239.16.3.1"
dport = 6001
EOF
} >"$conf"
cg_ctl_start "$conf"
log=$CG_TMP/$CG_SUP_LOG.err


cg_assert_eq "out1 up at start" true "$(cg_ctl_link out1 up)"
cg_assert_eq "out1's source" '"netlink"' "$(cg_ctl_link out1 source)"
cg_assert_eq "out1's interface" "\"$CG_IF_ROUT1\"" "$(cg_ctl_link out1 interface)"
cg_assert_eq "health ok at start" 0 "$(cg_ctl_health_rc)"
since0=$(cg_ctl_link out1 since_unix_ms)

# Carrier lost: the peer goes down.
t0=$(cg_now_ms)
ip -n "$CG_NS_SINK1" link set "$CG_IF_SINK1" down
out1_down() { [ "$(cg_ctl_link out1 up)" = false ]; }
cg_assert_true "out1 down within 2 s" cg_wait_for 2 out1_down
cg_log "out1 seen down after $(($(cg_now_ms) - t0)) ms"
since_moved() { [ "$(cg_ctl_link out1 since_unix_ms)" -gt "$since0" ]; }
cg_assert_true "the transition's time moved" since_moved
cg_assert_eq "out0 still up" true "$(cg_ctl_link out0 up)"
cg_assert_eq "health degraded (exit 1)" 1 "$(cg_ctl_health_rc)"
down_lines() { grep -c "port out1 ($CG_IF_ROUT1): link down (netlink)" "$log" || true; }
cg_assert_eq "the down transition is logged once" 1 "$(down_lines)"

# Carrier back.
ip -n "$CG_NS_SINK1" link set "$CG_IF_SINK1" up
out1_up() { [ "$(cg_ctl_link out1 up)" = true ]; }
cg_assert_true "out1 up again within 2 s" cg_wait_for 2 out1_up
health_ok() { [ "$(cg_ctl_health_rc)" = 0 ]; }
cg_assert_true "health ok again" cg_wait_for 2 health_ok
cg_assert_eq "the up transition is logged once" 1 \
	"$(grep -c "port out1 ($CG_IF_ROUT1): link up (netlink)" "$log" || true)"
cg_assert_eq "still one down line" 1 "$(down_lines)"

cg_ctl_stop
cg_finish
