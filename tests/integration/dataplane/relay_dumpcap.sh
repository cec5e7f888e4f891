#!/usr/bin/env bash
# (g) Capture with dpdk-dumpcap: the data plane calls rte_pdump_init(), so
# dpdk-dumpcap (Debian's dpdk package, a DPDK secondary) captures what a
# running castgate sends on a port. 200 datagrams relayed to out0: the
# pcapng file holds exactly 200 UDP frames, each rewritten (group 239.22.2.1,
# dport 6001, TTL 5), and the sink received them too.
#
# dpdk-dumpcap takes no EAL arguments, so it cannot be told --no-pci; this
# machine must never have its PCI devices probed, so the test runs it in a
# mount namespace where /sys/bus/pci/devices is empty (on an appliance with
# DPDK NICs, run it as the docs say).
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 22
N=200
command -v dpdk-dumpcap >/dev/null || cg_skip "dpdk-dumpcap is not installed (dpdk package)"
cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	cg_conf_base
	cat <<EOF

[[rule]]
name = "cap"
input = { port = "in0", destination = "239.22.1.1", dport = 5001 }
output = [ { port = "out0", destination = "239.22.2.1", dport = 6001, ttl = 5 } ]
EOF
} >"$conf"
cg_dp_start "$conf"

pcap=$CG_TMP/out0.pcapng
cg_bg dumpcap unshare --mount --propagation private sh -c \
	'mount -t tmpfs none /sys/bus/pci/devices && exec stdbuf -oL dpdk-dumpcap --file-prefix="$0" \
	-i net_af_packet1 -f "udp" -c "$1" -w "$2"' "$CG_FILE_PREFIX" "$N" "$pcap"
dumpcap=$CG_LAST_PID
capturing() { grep -q "Capturing on" "$CG_TMP/dumpcap.err" "$CG_TMP/dumpcap.out" 2>/dev/null; }
t0=$(cg_now_ms)
if ! cg_wait_for 40 capturing; then
	sed 's/^/  | /' "$CG_TMP/dumpcap.out" "$CG_TMP/dumpcap.err" >&2
	cg_die "dpdk-dumpcap did not start capturing"
fi

cg_log "dpdk-dumpcap capturing after $(($(cg_now_ms) - t0)) ms"
cg_recv_start r0 "$CG_NS_SINK" 239.22.2.1:6001 --iface "$CG_IF_SINK" --expect $N --count $N
cg_send s0 "$CG_NS_GEN" --dst 239.22.1.1:5001 --iface "$CG_IF_GEN" --rate 2000 --count $N \
	--size 300
cg_recv_wait r0
cg_assert_eq "the sink received all" $N "$(cg_json "$CG_TMP/r0.json" 'd["unique"]')"
rc=0
cg_wait_pid "$dumpcap" 10 || rc=$?
cg_assert_eq "dpdk-dumpcap stopped after $N packets (exit status)" 0 "$rc"

# The capture: enhanced packet blocks of the pcapng file, read here.
read -r frames good < <("$CG_PY" - "$pcap" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, frames, good = 0, 0, 0
order = "<"
while off + 8 <= len(data):
    btype, blen = struct.unpack_from(order + "II", data, off)
    if btype == 0x0A0D0D0A:  # section header: byte order
        order = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack_from(order + "II", data, off)
    if btype == 6:           # enhanced packet block
        caplen = struct.unpack_from(order + "I", data, off + 20)[0]
        f = data[off + 28:off + 28 + caplen]
        frames += 1
        ip = f[14:34]
        if (len(ip) == 20 and ip[9] == 17 and ip[8] == 5 and ip[16:20] == bytes([239, 22, 2, 1])
                and struct.unpack("!H", f[36:38])[0] == 6001):
            good += 1
    off += blen
print(frames, good)
EOF
)
cg_assert_eq "frames captured on out0" $N "$frames"
cg_assert_eq "each one rewritten (239.22.2.1:6001, TTL 5)" $N "$good"

cg_dp_stop
cg_finish
