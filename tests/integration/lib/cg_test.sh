# shellcheck shell=bash
# Shared helpers of the data-plane integration tests and scripts/demo.
#
#   source "$CG_SRC/tests/integration/lib/cg_test.sh"
#   cg_init 3                       # test number N: netns cgt3-*, 198.18.3.0/24, prefix cgt3
#   cg_topo_relay --sink1 --mtu 9000
#   cg_conf_base > "$CG_TMP/castgate.toml"; cat >> "$CG_TMP/castgate.toml" <<EOF ... rules ... EOF
#   cg_dp_start "$CG_TMP/castgate.toml"
#   cg_recv_start r0 "$CG_NS_SINK" 239.3.2.2:6001 --iface "$CG_IF_SINK" --expect 1000
#   cg_send s0 "$CG_NS_GEN" --dst 239.3.1.1:5001 --iface "$CG_IF_GEN" --count 1000
#   cg_recv_wait r0
#   cg_assert_eq "lost" 0 "$(cg_json "$CG_TMP/r0.json" 'd["lost"]')"
#   cg_dp_stop
#   cg_finish
#
# Everything made here is removed by one trap (EXIT, INT, TERM): processes
# (by PID), namespaces, veths, DPDK runtime dirs and hugepage files of the
# test's file prefix. See cg_common.sh, cg_topo.sh, cg_dp.sh, cg_gen.sh,
# cg_assert.sh for each part.

CG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cg_common.sh
source "$CG_LIB_DIR/cg_common.sh"
# shellcheck source=cg_topo.sh
source "$CG_LIB_DIR/cg_topo.sh"
# shellcheck source=cg_dp.sh
source "$CG_LIB_DIR/cg_dp.sh"
# shellcheck source=cg_gen.sh
source "$CG_LIB_DIR/cg_gen.sh"
# shellcheck source=cg_assert.sh
source "$CG_LIB_DIR/cg_assert.sh"
# shellcheck source=cg_ctl.sh
source "$CG_LIB_DIR/cg_ctl.sh"
