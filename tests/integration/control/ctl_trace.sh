#!/usr/bin/env bash
# (24) Packet trace. `castgatectl trace t1 --count 3` while 5 datagrams of
# another rule and 3 of t1 arrive: exactly 3 records, all t1's, with the
# sender's addresses, ports and TTL, out0 "sent" and out1 "link_down" (its
# link is down: the dropped output shows its reason). Then a trace of the
# packets of no rule on in0 for dport 5999: 2 datagrams, "dropped (no_rule)".
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 24
cg_ctl_init
cg_topo_relay --sink1
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf --sink1
	cat <<EOF

[[rule]]
name = "t1"
input = { port = "in0", destination = "239.24.1.1", dport = 5001 }
output = [ { port = "out0", destination = "239.24.2.1", dport = 6001 },
           { port = "out1", destination = "239.24.3.1", dport = 6001 } ]

[[rule]]
name = "t2"
input = { port = "in0", destination = "239.24.1.2", dport = 5002 }
output = [ { port = "out0", destination = "239.24.2.2", dport = 6002 } ]
EOF
} >"$conf"
cg_ctl_start "$conf"
ip -n "$CG_NS_SINK1" link set "$CG_IF_SINK1" down
out1_down() { "$CG_CTL_BIN" -s "$CG_CTL_SOCK" port list | grep "out1 .* down" >/dev/null; }
cg_assert_true "out1 down" cg_wait_for 2 out1_down

tracing() { "$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json call trace.get | grep '"active": *true' >/dev/null; }

# A rule's packets.
cg_bg trace1 "$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json trace t1 --count 3 --wait 15
tr1=$CG_LAST_PID
cg_assert_true "the trace is on" cg_wait_for 5 tracing
cg_send s2 "$CG_NS_GEN" --dst 239.24.1.2:5002 --iface "$CG_IF_GEN" --count 5 --rate 100 \
	--sport 4002 --ttl 9
cg_send s1 "$CG_NS_GEN" --dst 239.24.1.1:5001 --iface "$CG_IF_GEN" --count 3 --rate 100 \
	--sport 4001 --ttl 9
rc=0
cg_wait_pid "$tr1" 15 || rc=$?
cg_assert_eq "castgatectl trace ends once 3 packets are in (exit status)" 0 "$rc"
t=$CG_TMP/trace1.out
cg_assert_eq "3 records" 3 "$(cg_json "$t" 'len(d["records"])')"
cg_assert_eq "all of rule t1" '["t1"]' "$(cg_json "$t" 'sorted(set(r.get("rule") for r in d["records"]))')"
cg_assert_eq "the sender's addresses, ports, TTL" \
	"[[\"$CG_IP_GEN\",\"239.24.1.1\",4001,5001,9,\"forwarded\"]]" \
	"$(cg_json "$t" 'sorted(set((r["source"], r["destination"], r["sport"], r["dport"], r["ttl"], r["verdict"]) for r in d["records"]))')"
cg_assert_eq "out0 sent, out1 dropped: link_down" '[[["out0","sent"],["out1","link_down"]]]' \
	"$(cg_json "$t" 'sorted(set(tuple((o["port"], o["result"]) for o in r["outputs"]) for r in d["records"]))')"
cg_assert_eq "the trace is off once castgatectl is done" false \
	"$("$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json call trace.get | "$CG_PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["active"]))')"

# Packets of no rule, on in0, for dport 5999: what happens to them.
cg_bg trace2 "$CG_CTL_BIN" -s "$CG_CTL_SOCK" trace --port in0 --dport 5999 --count 2 --wait 15
tr2=$CG_LAST_PID
cg_assert_true "the second trace is on" cg_wait_for 5 tracing
cg_send s3 "$CG_NS_GEN" --dst 239.24.1.9:5999 --iface "$CG_IF_GEN" --count 2 --rate 100
rc=0
cg_wait_pid "$tr2" 15 || rc=$?
cg_assert_eq "the no-rule trace ends (exit status)" 0 "$rc"
cg_assert_eq "2 packets, each dropped: no_rule" 2 \
	"$(grep -c "no rule: dropped (no_rule)" "$CG_TMP/trace2.out" || true)"
cg_assert_eq "its summary line" 1 "$(grep -c "^2 packets traced" "$CG_TMP/trace2.out" || true)"

# Frames the parser refuses, traced with what their own headers say: a UDP
# datagram whose UDP length overruns its IP packet (addresses and ports from
# its headers) and a frame that is not IPv4 (none). Once, both showed the
# fields of an earlier packet.
cg_bg trace3 "$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json trace --port in0 --count 8 --wait 6
tr3=$CG_LAST_PID
cg_assert_true "the third trace is on" cg_wait_for 5 tracing
ip netns exec "$CG_NS_GEN" "$CG_PY" - "$CG_IF_GEN" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
eth = bytes.fromhex("01005e180109") + s.getsockname()[4] + b"\x08\x00"
def csum(b):
    t = sum(struct.unpack("!10H", b))
    t = (t & 0xffff) + (t >> 16)
    return ~((t & 0xffff) + (t >> 16)) & 0xffff
ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + 10, 1, 0, 9, 17, 0,
                           socket.inet_aton("198.18.24.77"), socket.inet_aton("239.24.1.9")))
ip[10:12] = struct.pack("!H", csum(bytes(ip)))
udp = struct.pack("!HHHH", 4000, 5009, 200, 0)      # UDP length 200 > 18 bytes of IP payload
s.send(eth + bytes(ip) + udp + b"x" * 10)
s.send(eth[:12] + b"\x88\xb5" + b"\0" * 46)        # not IPv4
PY
rc=0
cg_wait_pid "$tr3" 15 || rc=$?
rec() { "$CG_PY" -c 'import json,sys
r = [x for x in json.load(open(sys.argv[1]))["records"] if x.get("drop") == sys.argv[2]]
print(" ".join(str(r[0].get(k, "-")) for k in ("source", "sport", "destination", "dport", "ttl")) if r else "none")' \
	"$CG_TMP/trace3.out" "$1"; }
cg_assert_eq "bad_udp_len: its own addresses, ports and TTL" "198.18.24.77 4000 239.24.1.9 5009 9" \
	"$(rec bad_udp_len)"
cg_assert_eq "non_ipv4: no addresses, ports or TTL" "- - - - -" "$(rec non_ipv4)"

cg_ctl_stop
cg_finish
