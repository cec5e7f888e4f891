#!/usr/bin/env bash
# (20) The rte_eth LSC callback path, with a driver that raises
# RTE_ETH_EVENT_INTR_LSC here: net_vhost. castgate has a vhost-user port
# (server socket); a second DPDK process (dpdk-testpmd with a net_virtio_user
# port) connects to it and later goes away. Each change reaches the data
# plane through its LSC callback (link source "lsc"), is logged once, and
# reaches castgate-control (port.get, system.health). A rule sending to the
# vhost port drops (link_down) while nobody is connected.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 20
cg_ctl_init
command -v dpdk-testpmd >/dev/null || cg_skip "dpdk-testpmd is not installed"
cg_topo_relay
SOCK=$CG_TMP/vh0.sock
PEER_PREFIX=${CG_FILE_PREFIX}v # removed at the end by cg_dpdk_files_remove
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf
	cat <<EOF

[[port]]
name = "vh0"
device = "net_vhost0,iface=$SOCK,queues=1"
ip = "$CG_NET.194/26"
mac = "02:00:00:00:20:01"

[[rule]]
name = "tovh"
input = { port = "in0", destination = "239.20.1.1", dport = 5001 }
output = [ { port = "vh0", destination = "239.20.2.1", dport = 6001 } ]
EOF
} >"$conf"
cg_ctl_start "$conf"
log=$CG_TMP/$CG_SUP_LOG.err


cg_assert_eq "vh0 down before a peer connects" false "$(cg_ctl_link vh0 up)"
cg_assert_eq "health degraded without a peer" 1 "$(cg_ctl_health_rc)"
cg_send s0 "$CG_NS_GEN" --dst 239.20.1.1:5001 --iface "$CG_IF_GEN" --rate 2000 --count 200
cg_ctl_json st0 stats
cg_assert_eq "a rule's output to a down vhost port drops (link_down)" 200 \
	"$(cg_json "$CG_TMP/st0.json" 'out("tovh", 0)["drops"]')"

# The event stream, from here on.
cg_bg events "$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json events --types link,rule
events_pid=$CG_LAST_PID
sleep 0.5

# The peer: testpmd with a virtio-user port on the socket (one file per
# memory segment list: vhost-user maps at most 8 regions; --stats-period:
# it runs until a signal, without reading stdin).
cg_bg peer dpdk-testpmd -l 0-1 --no-pci --file-prefix "$PEER_PREFIX" -m 256 --single-file-segments \
	--vdev="net_virtio_user0,path=$SOCK,queues=1" -- --no-mlockall --forward-mode=rxonly \
	--stats-period 10
peer=$CG_LAST_PID
vh_up() { [ "$(cg_ctl_link vh0 up)" = true ]; }
cg_assert_true "vh0 up once the peer connects" cg_wait_for 15 vh_up
cg_assert_eq "its source is the LSC callback" '"lsc"' "$(cg_ctl_link vh0 source)"
health_ok() { [ "$(cg_ctl_health_rc)" = 0 ]; }
cg_assert_true "health ok with the peer" cg_wait_for 2 health_ok
cg_assert_eq "link up logged once" 1 "$(grep -c "port vh0: link up (lsc)" "$log" || true)"

# The peer goes away. (vh0 was down at start, which the log said too.)
downs=$(grep -c "port vh0: link down (lsc)" "$log" || true)
cg_stop_pid "$peer"
vh_down() { [ "$(cg_ctl_link vh0 up)" = false ]; }
cg_assert_true "vh0 down once the peer is gone" cg_wait_for 5 vh_down
cg_assert_eq "still from the LSC callback" '"lsc"' "$(cg_ctl_link vh0 source)"
cg_assert_eq "link down logged once" $((downs + 1)) \
	"$(grep -c "port vh0: link down (lsc)" "$log" || true)"
cg_assert_eq "health degraded again" 1 "$(cg_ctl_health_rc)"

# What a subscriber got: each transition, from the LSC callback, and the
# rule's output paused and resumed with it.
sleep 0.3
kill -INT "$events_pid" 2>/dev/null || true
cg_wait_pid "$events_pid" 5 || true
ev=$CG_TMP/events.out
evs() { "$CG_PY" -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    print(e["type"], e.get("port"), e.get("source", e.get("rule")), e.get("output", "-"))' "$ev"; }
cg_assert_eq "events: link up and down (lsc), output 0 of tovh resumed and paused" \
	"link.up vh0 lsc -|rule.resumed vh0 tovh 0|link.down vh0 lsc -|rule.paused vh0 tovh 0" \
	"$(evs | paste -sd'|')"

cg_ctl_stop
cg_finish
