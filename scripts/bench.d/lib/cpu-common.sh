# shellcheck shell=bash disable=SC2034
# Helpers of the CPU-only bench cases (scripts/bench.d/cpu, fanout): the
# forwarder is fed from memory and sends into nothing, so no kernel I/O is
# measured. Sourced, not run (the driver runs only executable files of
# scripts/bench.d). Needs CG_SRC and CG_BUILD (set by scripts/bench).
#
# Input: DPDK's pcap PMD replaying a generated capture forever
# (net_pcap0,rx_pcap=FILE,infinite_rx=1): 1024 frames of one UDP stream from
# 198.18.31.1 to 239.31.1.1:5001. Output: net_null (no-rx=1, or it would feed
# 64-byte frames of zeros back) or net_ring. One lcore, CPU 0.

: "${CG_SRC:?run through scripts/bench (CG_SRC unset)}"
: "${CG_BUILD:?run through scripts/bench (CG_BUILD unset)}"
BENCH_DURATION=${BENCH_DURATION:-5}
BENCH_RUNS=${BENCH_RUNS:-3}
CGB_DP=$CG_BUILD/app/castgate-dataplane/castgate-dataplane
CGB_PID=""
CGB_PREFIX=""
CGB_TMP=""
CGB_RESULTS=""
CGB_IN="" CGB_OUT="" CGB_TP=""

# cgb_init PREFIX: a temp dir, the results file, and the cleanup trap.
cgb_init() {
	CGB_PREFIX=$1
	CGB_TMP=$(mktemp -d "/tmp/$CGB_PREFIX.XXXXXX")
	CGB_RESULTS=$CGB_TMP/results.tsv
	: >"$CGB_RESULTS"
	: >"$CGB_TMP/notes"
	trap cgb_cleanup EXIT
	trap 'exit 130' INT TERM
	[ -x "$CGB_DP" ] || { echo "$CGB_DP missing (build first)" >&2; exit 1; }
	command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not found (package dpdk-dev)" >&2; exit 1; }
}

cgb_cleanup() {
	if [ -n "$CGB_PID" ]; then
		kill "$CGB_PID" 2>/dev/null
		wait "$CGB_PID" 2>/dev/null
	fi
	[ -n "$CGB_PREFIX" ] || return 0
	rm -rf "/var/run/dpdk/$CGB_PREFIX"
	rm -f /dev/hugepages/"${CGB_PREFIX}"map_* 2>/dev/null
	[ -n "${CG_BENCH_KEEP:-}" ] || rm -rf "$CGB_TMP"
	return 0
}

# cgb_note TEXT: one line for the JSON's "notes".
cgb_note() { grep -qxF -- "$1" "$CGB_TMP/notes" || echo "$1" >>"$CGB_TMP/notes"; }

# cgb_pcap FILE PAYLOAD: 1024 frames of one stream, sequence numbers in the payload.
cgb_pcap() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
path, size = sys.argv[1], int(sys.argv[2])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst = bytes([198, 18, 31, 1]), bytes([239, 31, 1, 1])
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(1024):
        pay = struct.pack("!I", i) + bytes(size - 4)
        udp = struct.pack("!HHHH", 4001, 5001, 8 + len(pay), 0) + pay
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 16, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        fr = bytes([1, 0, 0x5e, 31, 1, 1]) + bytes([2, 0, 0, 0, 31, 1]) + b"\x08\x00" + ip + udp
        f.write(struct.pack("<IIII", 0, i, len(fr), len(fr)) + fr)
EOF
}

# cgb_conf FILE PCAP OUT_DEVICE NB_OUTPUTS: one rule from the pcap port to
# NB_OUTPUTS outputs (groups 239.31.2.1, .2, ...) on one output port.
cgb_conf() {
	local file=$1 pcap=$2 outdev=$3 n=$4 i
	cat >"$file" <<EOF
[log]
level = "info"
[dataplane]
lcores = "0"
file_prefix = "$CGB_PREFIX"
idle_sleep_us = 0
memory_mb = 512
mbufs = 16383
[control]
state_file = "$CGB_TMP/none.json"
[[port]]
name = "in0"
device = "net_pcap0,rx_pcap=$pcap,infinite_rx=1"
ip = "198.18.31.2/24"
mac = "02:00:00:00:31:02"
[[port]]
name = "out0"
device = "$outdev"
ip = "198.18.32.2/24"
mac = "02:00:00:00:32:02"
[[rule]]
name = "bench"
input = { port = "in0", destination = "239.31.1.1", dport = 5001 }
EOF
	for i in $(seq "$n"); do
		printf '[[rule.output]]\nport = "out0"\ndestination = "239.31.2.%d"\ndport = 6001\nttl = 8\n' \
			"$i" >>"$file"
	done
}

# cgb_stats: the data plane's counters now (scripts/cg-stats --json).
cgb_stats() { python3 "$CG_SRC/scripts/cg-stats" --prefix "$CGB_PREFIX" --json; }

# cgb_castgate CONF: runs the data plane, waits 1 s, measures BENCH_DURATION s;
# sets CGB_IN and CGB_OUT (Mpps): the rule's received datagrams and its outputs'
# sent frames per second (the rule's, not the ports': a net_ring port also
# receives what it sends). The port log line ("multi-seg TX" or "copy
# fan-out") goes to $CGB_TMP/ports.log.
cgb_castgate() {
	local conf=$1 a b t0 t1 i
	rm -f "$CGB_TMP/ready"
	"$CGB_DP" -c "$conf" --ready-file "$CGB_TMP/ready" >"$CGB_TMP/dp.log" 2>&1 &
	CGB_PID=$!
	for i in $(seq 150); do
		[ -s "$CGB_TMP/ready" ] && break
		kill -0 "$CGB_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! [ -s "$CGB_TMP/ready" ]; then
		tail -n 20 "$CGB_TMP/dp.log" >&2
		echo "castgate-dataplane did not get ready ($conf)" >&2
		return 1
	fi
	grep -E 'multi-seg TX|copy fan-out' "$CGB_TMP/dp.log" >"$CGB_TMP/ports.log" || true
	sleep 1
	a=$(cgb_stats); t0=$(date +%s%N)
	sleep "$BENCH_DURATION"
	b=$(cgb_stats); t1=$(date +%s%N)
	kill "$CGB_PID"; wait "$CGB_PID" 2>/dev/null || true; CGB_PID=""
	rm -rf "/var/run/dpdk/$CGB_PREFIX"
	read -r CGB_IN CGB_OUT < <(python3 - "$a" "$b" "$t0" "$t1" <<'EOF'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
dt = (int(sys.argv[4]) - int(sys.argv[3])) / 1e9
def rx(d): return sum(r["rx_packets"] for r in d["rules"])
def tx(d): return sum(o["tx_packets"] for r in d["rules"] for o in r["outputs"])
print("%.4f %.4f" % ((rx(b) - rx(a)) / dt / 1e6, (tx(b) - tx(a)) / dt / 1e6))
EOF
	)
}

# cgb_testpmd MODE PCAP: dpdk-testpmd on the same two ports, forwarding on
# CPU 0 as castgate does (main lcore 1); sets CGB_TP to its Mpps: the "Rx-pps" of its
# second statistics period (the first one shows 0), a BENCH_DURATION s window
# that starts BENCH_DURATION s after start.
cgb_testpmd() {
	local mode=$1 pcap=$2 out=$CGB_TMP/testpmd.out
	dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci --file-prefix "$CGB_PREFIX" -m 512 \
		--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev net_null0,no-rx=1 -- \
		--forward-mode="$mode" --nb-cores=1 --stats-period "$BENCH_DURATION" \
		>"$out" 2>&1 </dev/null &
	CGB_PID=$!
	sleep $((BENCH_DURATION * 2 + 1))
	kill -INT "$CGB_PID"; wait "$CGB_PID" 2>/dev/null || true; CGB_PID=""
	rm -rf "/var/run/dpdk/$CGB_PREFIX"
	rm -f /dev/hugepages/"${CGB_PREFIX}"map_* 2>/dev/null
	# port 0's "Rx-pps:" lines (the pcap port receives; the null port does not)
	local v
	v=$(sed -n "s/.*Rx-pps: *\([0-9][0-9]*\).*/\1/p" "$out" | sort -n | tail -n 1)
	if [ -z "$v" ] || [ "$v" = 0 ]; then
		tail -n 20 "$out" >&2
		echo "dpdk-testpmd $mode: no rate measured" >&2
		return 1
	fi
	CGB_TP=$(python3 -c "print('%.4f' % ($v / 1e6))")
}

# cgb_add GROUP NAME VALUE [EXTRA_JSON]: one run's value of one series.
cgb_add() {
	local extra='{}'
	[ $# -lt 4 ] || extra=$4
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$extra" >>"$CGB_RESULTS"
}

# cgb_json OUT CASE TITLE [REFERENCE]: DIR/<case>.json from the runs added,
# value = median of the runs, ns_per_pkt = 1000 / value (Mpps). Series and
# groups keep the order in which they were first added.
cgb_json() {
	python3 - "$CGB_RESULTS" "$CGB_TMP/notes" "$@" <<'EOF'
import json, statistics, sys
res, notes, out, case, title = sys.argv[1:6]
ref = sys.argv[6] if len(sys.argv) > 6 else None
rows = {}
for line in open(res):
    g, n, v, extra = line.rstrip("\n").split("\t")
    r = rows.setdefault((g, n), {"group": g, "name": n, "runs": [], "extras": []})
    r["runs"].append(float(v))
    r["extras"].append(json.loads(extra))
results = []
for r in rows.values():
    med = statistics.median(r["runs"])
    e = {"group": r["group"], "name": r["name"], "value": round(med, 4),
         "ns_per_pkt": round(1000.0 / med, 2) if med > 0 else None, "runs": r["runs"]}
    keys = set().union(*[set(x) for x in r["extras"]])
    if keys:
        e["extra"] = {k: statistics.median([x[k] for x in r["extras"] if k in x]) for k in sorted(keys)}
    results.append(e)
doc = {"case": case, "title": title, "metric": "Mpps", "results": results,
       "notes": [l.rstrip("\n") for l in open(notes) if l.strip()]}
if ref:
    doc["reference"] = ref
json.dump(doc, open(out, "w"), indent=1)
EOF
}
