#!/usr/bin/env bash
# (i) IGMP at scale: with NGROUPS rules, each on an input group of its own, the
# relay joins every group. In front of its input port stands a Linux bridge
# with multicast snooping (the switch of a real site, cgt26br0 in the
# generator's namespace): its mdb must list exactly the rules' groups. The
# IGMPv3 reports captured on that link must carry every group, many records
# a report (fewer reports than groups, each within the MTU), every
# state-change record twice (robustness); a general query is answered with
# every group in fewer reports than groups; the data plane's telemetry
# (/castgate/igmp) counts the groups joined; at shutdown every group is left
# and the bridge forgets them (fast leave).
# With the argument v2 (igmp_version = 2): the same, with one group a report,
# every report twice, and a leave message for every group.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

NGROUPS=2000	# rules, one input group each (239.26.1.1 ...)
VERSION=3
[ "${1:-}" = v2 ] && VERSION=2

cg_init 26
command -v tcpdump >/dev/null || cg_skip "tcpdump is missing (scripts/install-deps)"
command -v bridge >/dev/null || cg_skip "bridge (iproute2) is missing"
cg_topo_relay
br=${CG_PREFIX}br0
rin_mac=$(cg_if_mac "$CG_IF_RIN")

# The snooping switch: the generator's veth becomes a bridge port; the
# generator's address moves to the bridge, which sends our query.
ip -n "$CG_NS_GEN" link add "$br" type bridge mcast_snooping 1 mcast_hash_max 16384 \
	mcast_querier 0 stp_state 0 || cg_skip "cannot make a snooping bridge"
ip -n "$CG_NS_GEN" addr del "$CG_IP_GEN/$CG_PLEN" dev "$CG_IF_GEN"
ip -n "$CG_NS_GEN" link set "$CG_IF_GEN" master "$br"
ip -n "$CG_NS_GEN" addr add "$CG_IP_GEN/$CG_PLEN" dev "$br"
ip -n "$CG_NS_GEN" link set "$br" up
ip netns exec "$CG_NS_GEN" sysctl -qw "net.ipv6.conf.$br.disable_ipv6=1"
bridge -n "$CG_NS_GEN" link set dev "$CG_IF_GEN" fastleave on

# The groups, one a line: 239.26.<1 + i / 250>.<1 + i % 250>; a rule each.
conf=$CG_TMP/castgate.toml
cg_conf_base --set "igmp_version = $VERSION" --set "max_rules = 4096" >"$conf"
"$CG_PY" - "$NGROUPS" "$CG_TMP/groups.txt" >>"$conf" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
groups = ["239.26.%d.%d" % (1 + i // 250, 1 + i % 250) for i in range(n)]
with open(path, "w") as f:
    f.write("".join(g + "\n" for g in sorted(groups)))
for i, g in enumerate(groups, 1):
    print('[[rule]]\nname = "g%d"\nid = %d\n'
          'input = { port = "in0", destination = "%s", dport = 5001 }\n'
          '[[rule.output]]\nport = "out0"\ndestination = "239.26.250.%d"\ndport = 6001\n'
          % (i, i, g, 1 + i % 250))
PY

# capture NAME: IGMP on the generator's side of the link into NAME.pcap.
capture() {
	cg_capture "$1" "$CG_NS_GEN" "$CG_IF_GEN" igmp
	CAP_PID=$CG_LAST_PID
}
# mdb: the groups the bridge learnt on the relay's link, sorted, one a line.
mdb() {
	bridge -n "$CG_NS_GEN" -j mdb show dev "$br" | "$CG_PY" -c '
import json, sys
port = sys.argv[1]
groups = set()
for b in json.load(sys.stdin):
    for e in b.get("mdb", []):
        if e.get("port") == port:
            groups.add(e["grp"])
print("\n".join(sorted(groups)))' "$CG_IF_GEN"
}
# check PCAP: what the IGMP messages from our MAC carry, as "key value" lines:
# "reports" (v3 reports or v2 messages), the largest IP packet, and for the
# kinds join (v3 CHANGE_TO_EXCLUDE, v2 report), answer (v3 MODE_IS_EXCLUDE,
# v2 report) and leave (v3 CHANGE_TO_INCLUDE {}, v2 leave): whether they cover
# exactly the groups, and how often the least-sent group was sent.
check() {
	cg_pcap "$1" | "$CG_PY" -c '
import collections, json, sys
mac, groups, v = sys.argv[1], set(open(sys.argv[2]).read().split()), int(sys.argv[3])
kinds = {3: {4: "join", 2: "answer", 3: "leave"}, 2: {0x16: "join", 0x17: "leave"}}[v]
reports, seen, worst = 0, collections.defaultdict(collections.Counter), 0
for line in sys.stdin:
    f = json.loads(line)
    if f.get("eth_src") != mac or f.get("igmp_type") not in (0x22, 0x16, 0x17):
        continue
    reports += 1
    worst = max(worst, f["len"] - 14)
    if v == 3:
        for r in f.get("records", []):
            seen[kinds.get(r["type"], "other")][r["group"]] += 1
    else:
        seen[kinds[f["igmp_type"]]][f["group"]] += 1
if v == 2:
    seen["answer"] = seen["join"]
print("reports", reports)
print("largest_ip_packet", worst)
for k in ("join", "answer", "leave"):
    got = set(seen[k])
    print(k + "_all", "yes" if got == groups else "no (%d of %d, %d others)" %
          (len(got & groups), len(groups), len(got - groups)))
    print(k + "_min", min((seen[k][g] for g in groups), default=0))
' "$rin_mac" "$CG_TMP/groups.txt" "$VERSION"
}
val() { sed -n "s/^$1 //p" "$2"; }

capture join
cg_dp_start "$conf"

# The bridge learns every group from the first state-change round.
for _ in $(seq 100); do
	[ "$(mdb | wc -l)" -ge "$NGROUPS" ] && break
	sleep 0.2
done
mdb >"$CG_TMP/mdb.txt"
cg_assert_eq "groups in the snooping bridge's mdb" "$NGROUPS" "$(wc -l <"$CG_TMP/mdb.txt")"
cg_assert_true "the mdb holds exactly the rules' groups" \
	cmp -s "$CG_TMP/mdb.txt" "$CG_TMP/groups.txt"

# Robustness 2: every state change is sent twice, the second time within the
# Unsolicited Report Interval (1 s); wait for it (no timing is asserted).
for _ in $(seq 50); do
	check "$CG_TMP/join.pcap" >"$CG_TMP/join.check"
	[ "$(val join_min "$CG_TMP/join.check")" -ge 2 ] && break
	sleep 0.2
done
cat "$CG_TMP/join.check" >&2
cg_assert_eq "joins (v3 CHANGE_TO_EXCLUDE, v2 reports) cover every group" yes \
	"$(val join_all "$CG_TMP/join.check")"
cg_assert_ge "joins of the least-sent group (robustness 2)" 2 \
	"$(val join_min "$CG_TMP/join.check")"
reports=$(val reports "$CG_TMP/join.check")
if [ "$VERSION" = 3 ]; then
	cg_assert_true "many records a report: $reports reports for $NGROUPS groups, each sent twice" \
		test "$reports" -lt "$NGROUPS"
else
	cg_assert_ge "v2: one group a report, each sent twice: reports" "$((2 * NGROUPS))" "$reports"
fi
cg_assert_true "every report fits the 1500-byte MTU ($(val largest_ip_packet "$CG_TMP/join.check"))" \
	test "$(val largest_ip_packet "$CG_TMP/join.check")" -le 1500
cg_stop_pid "$CAP_PID" 5 || true

# The data plane's own count, from its telemetry.
"$CG_PY" - "/var/run/dpdk/$CG_FILE_PREFIX/dpdk_telemetry.v2" >"$CG_TMP/tel.json" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.recv(1 << 16)
s.send(b"/castgate/igmp")
print(json.dumps(json.loads(s.recv(1 << 16))["/castgate/igmp"]))
PY
cg_assert_eq "telemetry /castgate/igmp groups of in0" "$NGROUPS" \
	"$(cg_json "$CG_TMP/tel.json" 'd["groups"]["in0"]')"
cg_assert_eq "telemetry /castgate/igmp groups of out0" 0 \
	"$(cg_json "$CG_TMP/tel.json" 'd["groups"]["out0"]')"

# A general query (IGMPv3, Max Resp Time 1 s): answered with every group as
# MODE_IS_EXCLUDE, spread over that second, many records a report.
capture query
ip netns exec "$CG_NS_GEN" "$CG_PY" - "$CG_IP_GEN" <<'PY'
import socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16)
    return ~((s & 0xffff) + (s >> 16)) & 0xffff
q = struct.pack("!BBHIBBH", 0x11, 10, 0, 0, 2, 125, 0)
q = q[:2] + struct.pack("!H", csum(q)) + q[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
s.sendto(q, ("224.0.0.1", 0))
PY
for _ in $(seq 50); do
	check "$CG_TMP/query.pcap" >"$CG_TMP/query.check"
	[ "$(val answer_all "$CG_TMP/query.check")" = yes ] && break
	sleep 0.2
done
cat "$CG_TMP/query.check" >&2
cg_assert_eq "the query's answer (v3 MODE_IS_EXCLUDE, v2 reports) covers every group" yes \
	"$(val answer_all "$CG_TMP/query.check")"
if [ "$VERSION" = 3 ]; then
	cg_assert_true "the answer packs records: $(val reports "$CG_TMP/query.check") reports" \
		test "$(val reports "$CG_TMP/query.check")" -lt "$NGROUPS"
fi
cg_stop_pid "$CAP_PID" 5 || true

# Shutdown: every group left (CHANGE_TO_INCLUDE {}), and the bridge forgets them.
capture leave
cg_dp_stop
for _ in $(seq 30); do
	check "$CG_TMP/leave.pcap" >"$CG_TMP/leave.check"
	[ "$(val leave_all "$CG_TMP/leave.check")" = yes ] && break
	sleep 0.2
done
cg_stop_pid "$CAP_PID" 5 || true
check "$CG_TMP/leave.pcap" >"$CG_TMP/leave.check"
cat "$CG_TMP/leave.check" >&2
cg_assert_eq "leaves (v3 CHANGE_TO_INCLUDE {}, v2 leaves) cover every group" yes \
	"$(val leave_all "$CG_TMP/leave.check")"
cg_assert_eq "groups left in the bridge's mdb after shutdown" 0 "$(mdb | grep -c . || true)"
cg_finish
