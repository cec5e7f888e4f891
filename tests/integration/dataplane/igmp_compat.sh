#!/usr/bin/env bash
# (l) IGMP compatibility mode (RFC 3376 7.2.1): with igmp_version = 3 the
# relay reports its rules' groups in IGMPv3 until an older querier speaks on
# the input link. An IGMPv2 general query (8 bytes, Max Resp Time 1 s, with
# Router Alert, to 224.0.0.1, as a v2 querier sends it) is answered with a v2
# report (0x16, to the group) for every group, and nothing in v3 comes after
# it; at shutdown each group gets a v2 leave (0x17 to 224.0.0.2). Started
# again, the relay answers an IGMPv1 query (Max Resp Code 0) with v1 reports
# (0x12), and sends nothing in v2 or v3 after it, at shutdown neither (v1 has
# no leave). The data plane's telemetry shows the port's version, and its log
# the switch.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 34
command -v tcpdump >/dev/null || cg_skip "tcpdump is missing (scripts/install-deps)"
cg_topo_relay
rin_mac=$(cg_if_mac "$CG_IF_RIN")
conf=$CG_TMP/castgate.toml
cg_conf_base --set 'igmp_version = 3' >"$conf"
cg_conf_igmp_rules >>"$conf"
printf '239.34.1.1\n239.34.1.2\n' >"$CG_TMP/groups.txt"

cg_capture igmp "$CG_NS_GEN" "$CG_IF_GEN" igmp
cg_dp_start "$conf"

# ours: the IGMP messages from the relay's input port, one line each:
# "<index> <igmp type> <ip dst> <group or records' groups>".
ours() {
	cg_pcap "$CG_TMP/igmp.pcap" 2>/dev/null | "$CG_PY" -c '
import json, sys
for i, line in enumerate(sys.stdin):
    f = json.loads(line)
    if f.get("eth_src") != sys.argv[1] or "igmp_type" not in f:
        continue
    groups = [r["group"] for r in f.get("records", [])] or [f.get("group")]
    print(i, f["igmp_type"], f["ip_dst"], ",".join(groups))' "$rin_mac"
}
# mark: the index the next frame in the capture will have.
mark() { cg_pcap "$CG_TMP/igmp.pcap" 2>/dev/null | wc -l; }
# after MARK: our messages captured at or after frame MARK.
after() { ours | awk -v m="$1" '$1 >= m'; }
# query MAX_RESP_CODE: an 8-byte general query from the generator (v2 if the
# code is not 0, else v1), IP Router Alert as real queriers send it.
query() {
	ip netns exec "$CG_NS_GEN" "$CG_PY" - "$CG_IP_GEN" "$1" <<'PY'
import socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16)
    return ~((s & 0xffff) + (s >> 16)) & 0xffff
q = struct.pack("!BBHI", 0x11, int(sys.argv[2]), 0, 0)
q = q[:2] + struct.pack("!H", csum(q)) + q[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([0x94, 0x04, 0, 0]))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
s.sendto(q, ("224.0.0.1", 0))
PY
}
# covered TYPE MARK [DST]: whether messages of TYPE (decimal) sent to DST
# (default: their group) after MARK cover every group of groups.txt.
covered() {
	after "$2" | awk -v t="$1" -v d="${3:-}" '$2 == t && $3 == (d == "" ? $4 : d) {print $4}' |
		sort -u | cmp -s - "$CG_TMP/groups.txt"
}
tel_version() {
	"$CG_PY" - "/var/run/dpdk/$CG_FILE_PREFIX/dpdk_telemetry.v2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.recv(1 << 16)
s.send(b"/castgate/igmp")
print(json.loads(s.recv(1 << 16))["/castgate/igmp"]["version"]["in0"])
PY
}

# v3 at start: the state-change reports (0x22) for both groups.
for _ in $(seq 50); do
	after 0 | grep -q '^[0-9]* 34 224.0.0.22 .*239.34.1.2' &&
		after 0 | grep -q '^[0-9]* 34 224.0.0.22 .*239.34.1.1' && break
	sleep 0.1
done
cg_assert_true "IGMPv3 reports for both groups at start" \
	test "$(after 0 | awk '$2 == 34' | grep -c '239.34.1.[12]')" -ge 1
cg_assert_eq "telemetry: in0 reports in IGMP version" 3 "$(tel_version)"
sleep 1.5	# the repetition of the state change (within 1 s) is out

# An IGMPv2 general query, Max Resp Time 1 s (code 10).
m2=$(mark)
query 10
for _ in $(seq 50); do
	covered 22 "$m2" && break
	sleep 0.1
done
after "$m2" >"$CG_TMP/v2.txt"
sed 's/^/  v2 | /' "$CG_TMP/v2.txt" >&2
cg_assert_true "v2 query answered with a v2 report (0x16, to the group) for every group" \
	covered 22 "$m2"
cg_assert_eq "telemetry: in0 reports in IGMP version (v2 querier heard)" 2 "$(tel_version)"
cg_assert_true "the data plane logs the switch to v2 for 260 s" \
	grep -q 'port in0: IGMPv2 querier seen: sending v2 reports for 260 s' "$CG_DP_LOG"
# A while later: still no v3 report after the query (refreshes and answers are v2).
sleep 2
cg_assert_eq "IGMPv3 reports after the v2 query" 0 "$(after "$m2" | awk '$2 == 34' | wc -l)"

# Shutdown in v2 mode: a v2 leave (0x17 to 224.0.0.2) for each group.
cg_dp_stop
for _ in $(seq 30); do
	covered 23 "$m2" 224.0.0.2 && break
	sleep 0.1
done
after "$m2" >"$CG_TMP/v2.txt"
cg_assert_true "v2 leaves (0x17 to 224.0.0.2) for every group at shutdown" \
	covered 23 "$m2" 224.0.0.2
cg_assert_eq "IGMPv3 reports after the v2 query, shutdown included" 0 \
	"$(awk '$2 == 34' "$CG_TMP/v2.txt" | wc -l)"

# Again, in v3 (a new process), then a v1 query (Max Resp Code 0: 10 s, so
# wait for the answer's spread).
m0=$(mark)
cg_dp_start "$conf"
for _ in $(seq 50); do
	after "$m0" | grep -q '^[0-9]* 34 224.0.0.22 .*239.34.1.2' &&
		after "$m0" | grep -q '^[0-9]* 34 224.0.0.22 .*239.34.1.1' && break
	sleep 0.1
done
sleep 1.5
cg_assert_eq "telemetry: in0 reports in IGMP version (started again)" 3 "$(tel_version)"
m1=$(mark)
query 0
for _ in $(seq 120); do
	covered 18 "$m1" && break
	sleep 0.1
done
after "$m1" >"$CG_TMP/v1.txt"
sed 's/^/  v1 | /' "$CG_TMP/v1.txt" >&2
cg_assert_true "v1 query answered with a v1 report (0x12, to the group) for every group" \
	covered 18 "$m1"
cg_assert_eq "telemetry: in0 reports in IGMP version (v1 querier heard)" 1 "$(tel_version)"
cg_assert_true "the data plane logs the switch to v1 for 260 s" \
	grep -q 'port in0: IGMPv1 querier seen: sending v1 reports for 260 s' "$CG_DP_LOG"
cg_dp_stop
sleep 1	# what the shutdown would send (nothing) has reached the capture
cg_assert_eq "IGMPv3 or v2 messages after the v1 query, shutdown included" 0 \
	"$(after "$m1" | awk '$2 == 34 || $2 == 22 || $2 == 23' | wc -l)"
cg_finish
