#!/usr/bin/env bash
# (10) kill -9 of castgate-control while a stream runs: the data plane keeps
# forwarding (the sink gets every packet: lost 0, the expected count), the
# supervisor restarts the control process (a new pid, restarts = 1) and
# system.health answers within 2 s of the kill; the data plane is untouched
# (same pid, no restart).
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 10
cg_ctl_init
N=50000
RATE=10000     # 5 s of stream
SIZE=1000
MAX_MS=2000
cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf
	cat <<EOF

[[rule]]
name = "kc"
input = { port = "in0", destination = "239.10.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.10.2.2"
dport = 6001
ttl = 6
EOF
} >"$conf"
cg_ctl_start "$conf"
dp_pid=$(cg_ctl_child_pid dataplane)
ctl_pid=$(cg_ctl_child_pid control)
cg_assert_ge "castgate-dataplane pid" 1 "$dp_pid"
cg_assert_ge "castgate-control pid" 1 "$ctl_pid"
cg_ctl_json info0 system info
cg_assert_eq "system.info control pid = the supervisor's child" "$ctl_pid" \
	"$(cg_json "$CG_TMP/info0.json" 'd["control"]["pid"]')"
cg_assert_eq "system.info dataplane pid = the supervisor's child" "$dp_pid" \
	"$(cg_json "$CG_TMP/info0.json" 'd["dataplane"]["pid"]')"
cg_assert_eq "system.info supervisor pid" "$CG_SUP_PID" \
	"$(cg_json "$CG_TMP/info0.json" 'd["supervisor"]["pid"]')"
cg_assert_eq "control restarts before" 0 "$(cg_json "$CG_TMP/info0.json" 'd["control"]["restarts"]')"

cg_recv_start r0 "$CG_NS_SINK" 239.10.2.2:6001 --iface "$CG_IF_SINK" --expect $N --count $N \
	--interval 0.1
cg_send_bg s0 "$CG_NS_GEN" --dst 239.10.1.1:5001 --iface "$CG_IF_GEN" --rate $RATE --count $N \
	--size $SIZE
s0=$CG_LAST_PID
cg_assert_true "stream flowing" cg_recv_wait_count r0 $((RATE / 2)) 10

t0=$(cg_now_ms)
kill -KILL "$ctl_pid"
cg_log "killed castgate-control (pid $ctl_pid)"
# castgatectl exits 3 at once while nothing accepts on the socket; poll fast.
back_ms=
while [ $(($(cg_now_ms) - t0)) -lt 10000 ]; do
	if "$CG_CTL_BIN" -s "$CG_CTL_SOCK" -t 500 system health >"$CG_TMP/health.out" 2>/dev/null; then
		back_ms=$(($(cg_now_ms) - t0))
		break
	fi
	sleep 0.02
done
if [ -n "$back_ms" ]; then
	cg_log "system.health answered again $back_ms ms after the kill"
	cg_assert_le "control back within ${MAX_MS} ms (ms)" $MAX_MS "$back_ms"
else
	cg_fail "system.health did not answer within 10 s of the kill"
	cg_ctl_show_log
fi
cg_assert_true "the stream still runs when control is back" kill -0 "$s0"
new_ctl=$(cg_ctl_child_pid control)
cg_assert_true "a new castgate-control process ($ctl_pid -> ${new_ctl:-none})" \
	test -n "$new_ctl" -a "$new_ctl" != "$ctl_pid"
cg_assert_true "the old castgate-control is gone" test ! -e "/proc/$ctl_pid/exe"
cg_assert_eq "castgate-dataplane untouched (same pid)" "$dp_pid" "$(cg_ctl_child_pid dataplane)"
cg_ctl_json info1 system info
i=$CG_TMP/info1.json
cg_assert_eq "system.info control pid" "${new_ctl:-none}" "$(cg_json "$i" 'd["control"]["pid"]')"
cg_assert_eq "system.info control restarts" 1 "$(cg_json "$i" 'd["control"]["restarts"]')"
cg_assert_eq "system.info dataplane pid" "$dp_pid" "$(cg_json "$i" 'd["dataplane"]["pid"]')"
cg_assert_eq "system.info dataplane restarts" 0 "$(cg_json "$i" 'd["dataplane"]["restarts"]')"
cg_ctl_json health system health
cg_assert_eq "system.health status" ok "$(cg_json "$CG_TMP/health.json" 'd["status"]')"
cg_assert_eq "system.health dataplane pid" "$dp_pid" \
	"$(cg_json "$CG_TMP/health.json" 'd["checks"]["dataplane"]["pid"]')"
cg_ctl_json list rule list
cg_assert_eq "rule still listed" '["kc"]' "$(cg_json "$CG_TMP/list.json" '[r["rule"]["name"] for r in d["rules"]]')"

cg_send_wait s0 "$s0" 30
cg_recv_wait r0 30
r=$CG_TMP/r0.json
cg_assert_eq "sender sent" $N "$(cg_json "$CG_TMP/s0.json" 'd["sent"]')"
cg_assert_eq "sink received" $N "$(cg_json "$r" 'd["received"]')"
cg_assert_eq "sink unique" $N "$(cg_json "$r" 'd["unique"]')"
cg_assert_eq "sink lost" 0 "$(cg_json "$r" 'd["lost"]')"
cg_assert_eq "sink corrupt" 0 "$(cg_json "$r" 'd["corrupt"]')"
cg_assert_eq "sink duplicates" 0 "$(cg_json "$r" 'd["duplicates"]')"
cg_assert_eq "sink TTL" '[6]' "$(cg_json "$r" 'd["ttl_seen"]')"
cg_ctl_stop
cg_finish
