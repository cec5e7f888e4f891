#!/usr/bin/env bash
# (e) When the relay starts it reports, on its input link, membership of the
# groups its rules receive: an IGMPv3 report to 224.0.0.22 from the input
# port's MAC and IP, TTL 1, Router Alert, with an any-source record for a (*,G)
# rule and an INCLUDE record with the source for an (S,G) rule. At shutdown it
# reports leaving the (*,G) group.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 6
command -v tcpdump >/dev/null || cg_skip "tcpdump is missing (scripts/install-deps)"
cg_topo_relay
rin_mac=$(cg_if_mac "$CG_IF_RIN")
conf=$CG_TMP/castgate.toml
cg_conf_base --set 'igmp_version = 3' >"$conf"
cg_conf_igmp_rules >>"$conf"

cg_capture igmp "$CG_NS_GEN" "$CG_IF_GEN" igmp
tcpdump_pid=$CG_LAST_PID

cg_dp_start "$conf"

# reports FILE: the IGMPv3 reports in the capture, one JSON line each.
reports() {
	cg_pcap "$CG_TMP/igmp.pcap" 2>/dev/null | grep '"igmp_type": 34' || true
}
# The state-change report leaves at once; give it a few seconds at most.
for _ in $(seq 50); do
	reports | grep -q '239.6.1.2' && reports | grep -q '239.6.1.1' && break
	sleep 0.1
done
reports >"$CG_TMP/join.jsonl"
cg_assert_ge "IGMPv3 reports captured at start" 1 "$(wc -l <"$CG_TMP/join.jsonl")"

# Every report, whatever groups it carries, must be well formed.
"$CG_PY" - "$CG_TMP/join.jsonl" >"$CG_TMP/join.check" <<'PY'
import json, sys
fields = ("eth_dst", "eth_src", "ip_src", "ip_dst", "ttl", "ip_options")
seen = set()
for line in open(sys.argv[1]):
    f = json.loads(line)
    seen.add(tuple(f[k] for k in fields))
for s in sorted(seen):
    print(" ".join(str(x) for x in s))
PY
cg_assert_eq "report headers (eth dst, eth src, ip src, ip dst, ttl, ip options)" \
	"01:00:5e:00:00:16 $rin_mac $CG_IP_RIN 224.0.0.22 1 94040000" "$(cat "$CG_TMP/join.check")"

# Records for each group, across all captured reports.
recs() { # group -> "type:sources" list
	"$CG_PY" - "$1" "$2" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    for r in json.loads(line).get("records", []):
        if r["group"] == sys.argv[2]:
            out.append("%d:%s" % (r["type"], ",".join(r["sources"])))
print(" ".join(sorted(set(out))))
PY
}
asm=$(recs "$CG_TMP/join.jsonl" 239.6.1.1)
ssm=$(recs "$CG_TMP/join.jsonl" 239.6.1.2)
# (*,G): EXCLUDE {} as MODE_IS_EXCLUDE (2) or CHANGE_TO_EXCLUDE (4).
cg_assert_true "(*,G) 239.6.1.1 reported as EXCLUDE {} (records: ${asm:-none})" \
	grep -qE '(^| )(2|4):( |$)' <<<"$asm"
# (S,G): INCLUDE {S} as MODE_IS_INCLUDE (1) or ALLOW_NEW_SOURCES (5).
cg_assert_true "(S,G) 239.6.1.2 reported as INCLUDE {$CG_IP_GEN} (records: ${ssm:-none})" \
	grep -qE "(^| )(1|5):$CG_IP_GEN( |\$)" <<<"$ssm"

cg_dp_stop
# The leave goes out during shutdown: wait for it before stopping tcpdump.
for _ in $(seq 30); do
	reports >"$CG_TMP/all.jsonl"
	asm=$(recs "$CG_TMP/all.jsonl" 239.6.1.1)
	grep -qE '(^| )3:( |$)' <<<"$asm" && break
	sleep 0.1
done
cg_stop_pid "$tcpdump_pid" 5 || true
reports >"$CG_TMP/all.jsonl"
asm=$(recs "$CG_TMP/all.jsonl" 239.6.1.1)
# Leaving (*,G): CHANGE_TO_INCLUDE {} (3).
cg_assert_true "(*,G) leave reported as TO_IN {} at shutdown (records: ${asm:-none})" \
	grep -qE '(^| )3:( |$)' <<<"$asm"
cg_finish
