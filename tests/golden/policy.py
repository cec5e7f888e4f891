#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden pcap test of the data plane's input policy.

One pcap PMD port (p0) reads in.pcap and writes p0.pcap; rules relay from it
back onto it. With burst = 1 and one lcore, the worker takes one frame per
loop turn and the service handles an ARP frame before the next one is read,
so the order of the capture is the order of events: a datagram after an ARP
message sees what that message did to the next hop.

Checked, per frame and per counter (--stats-out):
- fragments (first, middle, last; UDP, ICMP, IGMP; from a bad source; TTL 1)
  are each counted as `fragment`, none vanishes;
- a rule's min_ttl (default 2; 1; 64): lower TTLs count `ttl_expired` and are
  not the rule's rx_packets, the others are relayed;
- UDP from 0/8, 127/8, 224/3 counts `bad_source` (checksum_check is off, so
  the inline parser runs);
- ARP: a reply with a broadcast, multicast or all-zero sender MAC, a
  gratuitous ARP, and an unsolicited reply do not bind or rebind the next
  hop of a unicast output (`arp_rejected`); the reply to our request does;
  a claim of another MAC makes the relay check the MAC it has with a unicast
  request, which that MAC's answer confirms; probes are answered, a sender
  of 127.0.0.1 is not.

Usage: policy.py --binary PATH [--cg-stats PATH] [--keep DIR]
Exit: 0 pass, 1 fail, 77 skip (not root).
"""

import argparse
import json
import os
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import (SKIP, Failure, eth, ip4, ipv4_hdr, is_arp, is_udp, mac,  # noqa: E402
                    mcast_mac, payload, read_pcap, run_dataplane, udp_dgram, write_pcap)

PORT_IP, PORT_MAC = "198.18.33.2", "02:00:00:00:33:01"
SRC, SRC_MAC = "198.18.33.7", mac("02:00:00:00:33:07")
NH = "198.18.33.30"
MAC_A, MAC_B, MAC_C = "02:00:00:00:33:0a", "02:00:00:00:33:0b", "02:00:00:00:33:0c"
NH_ETH = mac("02:00:00:00:33:1e")	# the frames' Ethernet source: unicast always

RULES = """
[[rule]]
name = "dflt"
input = { port = "p0", destination = "239.33.1.1", dport = 5001 }
output = [ { port = "p0", destination = "239.33.2.1", dport = 6001, ttl = 9 } ]

[[rule]]
name = "low"
input = { port = "p0", destination = "239.33.1.2", dport = 5002, min_ttl = 1 }
output = [ { port = "p0", destination = "239.33.2.2", dport = 6002, ttl = 9 } ]

[[rule]]
name = "high"
input = { port = "p0", destination = "239.33.1.3", dport = 5003, min_ttl = 64 }
output = [ { port = "p0", destination = "239.33.2.3", dport = 6003, ttl = 9 } ]

[[rule]]
name = "nh"
input = { port = "p0", destination = "239.33.1.4", dport = 5004 }
output = [ { port = "p0", destination = "198.18.33.30", dport = 7004, ttl = 9 } ]
"""
GROUP = {"dflt": ("239.33.1.1", 5001), "low": ("239.33.1.2", 5002),
         "high": ("239.33.1.3", 5003), "nh": ("239.33.1.4", 5004)}
OUT = {"dflt": ("239.33.2.1", 6001), "low": ("239.33.2.2", 6002),
       "high": ("239.33.2.3", 6003), "nh": (NH, 7004)}


class Scenario:
    def __init__(self):
        self.frames = []
        self.want = {}		# drop reason -> count
        self.sent = []		# (rule, seed, destination MAC) in order
        self.rx = {r: 0 for r in GROUP}
        self.seed = 0

    def count(self, reason):
        self.want[reason] = self.want.get(reason, 0) + 1

    def udp(self, rule, ttl=33, src=SRC, frag=0, proto=17, fate=None):
        """A datagram to @rule; @fate: a drop reason, or the MAC it goes to."""
        self.seed += 1
        dst, dport = GROUP[rule]
        u = udp_dgram(src, dst, 40000, dport, payload(60, self.seed))
        h = ipv4_hdr(src, dst, proto, len(u), ttl, ident=self.seed, frag=frag)
        self.frames.append(eth(mcast_mac(dst), SRC_MAC, 0x0800, h + u))
        if fate is None:
            self.rx[rule] += 1
            self.sent.append((rule, self.seed, mcast_mac(OUT[rule][0])))
        elif isinstance(fate, bytes):
            self.rx[rule] += 1
            self.sent.append((rule, self.seed, fate))
        else:
            if fate == "arp_unresolved":
                self.rx[rule] += 1
            self.count(fate)

    def arp(self, op, sha, spa, tpa, tha="00:00:00:00:00:00", esrc=NH_ETH, dst=None,
            fate=None):
        body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, mac(sha), ip4(spa),
                           mac(tha), ip4(tpa))
        edst = dst or (b"\xff" * 6 if op == 1 else mac(PORT_MAC))
        self.frames.append(eth(edst, esrc, 0x0806, body))
        if fate is not None:
            self.count(fate)


def build():
    s = Scenario()
    # ---- min_ttl: default 2, 1, 64
    s.udp("dflt", ttl=0, fate="ttl_expired")
    s.udp("dflt", ttl=1, fate="ttl_expired")
    s.udp("dflt", ttl=2)
    s.udp("low", ttl=1)
    s.udp("low", ttl=0, fate="ttl_expired")
    s.udp("high", ttl=63, fate="ttl_expired")
    s.udp("high", ttl=64)
    s.udp("high", ttl=255)
    # ---- sources no host has
    for src in ("224.1.2.3", "239.1.1.1", "0.0.0.0", "0.1.2.3", "127.0.0.1",
                "255.255.255.255", "240.0.0.1"):
        s.udp("dflt", src=src, fate="bad_source")
    s.udp("dflt", src="223.255.255.254")	# the last unicast /8: relayed
    # ---- fragments: every one counted, whatever it carries
    s.udp("dflt", frag=0x2000, fate="fragment")		# first (MF, offset 0)
    s.udp("dflt", frag=0x2000 | 10, fate="fragment")	# middle: no UDP header
    s.udp("dflt", frag=20, fate="fragment")		# last (offset, no MF)
    s.udp("dflt", frag=0x2000, proto=1, fate="fragment")	# ICMP
    s.udp("dflt", frag=5, proto=2, fate="fragment")	# IGMP: not for the service
    s.udp("dflt", frag=0x2000, src="224.1.1.1", fate="fragment")
    s.udp("dflt", frag=0x2000 | 3, ttl=1, fate="fragment")
    # ---- ARP and the next hop of "nh" (asked for at install)
    s.udp("nh", fate="arp_unresolved")
    s.arp(2, "ff:ff:ff:ff:ff:ff", NH, PORT_IP, PORT_MAC, fate="arp_rejected")
    s.udp("nh", fate="arp_unresolved")
    s.arp(2, "00:00:00:00:00:00", NH, PORT_IP, PORT_MAC, fate="arp_rejected")
    s.arp(2, "01:00:5e:00:00:01", NH, PORT_IP, PORT_MAC, fate="arp_rejected")
    s.arp(2, MAC_B, NH, PORT_IP, PORT_MAC, esrc=b"\xff" * 6, fate="arp_rejected")
    s.udp("nh", fate="arp_unresolved")
    s.arp(1, MAC_B, NH, NH, fate="arp_rejected")		# gratuitous: not an answer
    s.arp(2, MAC_B, NH, NH, dst=b"\xff" * 6, fate="arp_rejected")	# gratuitous reply
    s.udp("nh", fate="arp_unresolved")
    s.arp(2, MAC_A, NH, PORT_IP, PORT_MAC)			# the answer: binds
    s.udp("nh", fate=mac(MAC_A))
    # Unsolicited: refused, and A is checked by a unicast request (B cannot see
    # it); B's blind "answer" is refused too; A's answer confirms A.
    s.arp(2, MAC_B, NH, PORT_IP, PORT_MAC, fate="arp_rejected")
    s.arp(2, MAC_B, NH, PORT_IP, PORT_MAC, fate="arp_rejected")
    s.udp("nh", fate=mac(MAC_A))
    s.arp(2, MAC_A, NH, PORT_IP, PORT_MAC)
    s.arp(1, MAC_C, NH, NH, fate="arp_rejected")	# gratuitous: a second check
    s.udp("nh", fate=mac(MAC_A))
    s.arp(2, MAC_A, NH, PORT_IP, PORT_MAC)	# what it holds already: nothing to refuse
    s.arp(1, MAC_A, NH, PORT_IP)		# its request for us: answered
    s.arp(1, "02:00:00:00:33:0d", "0.0.0.0", PORT_IP)	# a probe: answered
    s.arp(2, "02:00:00:00:33:0d", "0.0.0.0", PORT_IP, PORT_MAC, fate="arp_rejected")
    s.arp(1, "02:00:00:00:33:0e", "127.0.0.1", PORT_IP, fate="arp_rejected")
    s.udp("nh", fate=mac(MAC_A))
    return s


def config(tmp, prefix):
    return "\n".join([
        "[log]", 'level = "info"', "",
        "[dataplane]", 'lcores = "0"', f'file_prefix = "{prefix}"', "no_huge = true",
        "memory_mb = 256", "mbufs = 8191", "idle_sleep_us = 100", "burst = 1",
        "checksum_check = false", "arp_retry_ms = 1000", "arp_max_retries = 3",
        "arp_timeout_s = 300", "",
        "[control]", f'state_file = "{tmp}/no-api-rules.json"', "",
        "[[port]]", 'name = "p0"',
        f'device = "net_pcap0,rx_pcap={tmp}/in.pcap,tx_pcap={tmp}/p0.pcap"',
        f'ip = "{PORT_IP}/24"', f'mac = "{PORT_MAC}"', "",
    ]) + RULES


def arp_fields(fr):
    op, sha, spa, tha, tpa = struct.unpack("!H6s4s6s4s", fr[20:42])
    return op, sha, ".".join(map(str, spa)), tha, ".".join(map(str, tpa))


def run(args, tmp):
    prefix = f"cgt33pol{os.getpid()}"
    s = build()
    write_pcap(os.path.join(tmp, "in.pcap"), s.frames)
    conf = os.path.join(tmp, "policy.toml")
    with open(conf, "w") as f:
        f.write(config(tmp, prefix))
    fails = []
    try:
        # (0.3 s more: the last ARP answers leave through worker 0.)
        rc, _ = run_dataplane(args.binary, conf, tmp, prefix, args.cg_stats, len(s.frames), 0.3)
    except Failure as e:
        return [str(e)]
    if rc != 0:
        fails.append(f"exit code {rc} after SIGTERM")

    out = read_pcap(os.path.join(tmp, "p0.pcap"))
    # ---- relayed datagrams: which, in order, to which MAC, TTL 9
    got = []
    for fr in (f for f in out if is_udp(f)):
        dst = ".".join(map(str, fr[30:34]))
        ident = struct.unpack("!H", fr[18:20])[0]
        rule = next((r for r, (d, p) in OUT.items()
                     if d == dst and struct.unpack("!H", fr[36:38])[0] == p), "?")
        got.append((rule, ident, bytes(fr[0:6])))
        if fr[22] != 9:
            fails.append(f"relayed {rule} #{ident}: TTL {fr[22]}, expected 9")
    if got != s.sent:
        fails.append("relayed datagrams differ:\n  got " +
                     str([(r, i, m.hex(":")) for r, i, m in got]) + "\n  exp " +
                     str([(r, i, m.hex(":")) for r, i, m in s.sent]))
    # ---- ARP the relay sent
    replies = [arp_fields(f) for f in out if is_arp(f) and f[20:22] == b"\x00\x02"]
    want_replies = [(2, mac(PORT_MAC), PORT_IP, mac(MAC_A), NH),
                    (2, mac(PORT_MAC), PORT_IP, mac("02:00:00:00:33:0d"), "0.0.0.0")]
    if replies != want_replies:
        fails.append(f"ARP replies sent {replies}, expected {want_replies}")
    asked = [f for f in out if is_arp(f) and f[20:22] == b"\x00\x01" and f[38:42] == ip4(NH)]
    if not any(f[0:6] == b"\xff" * 6 for f in asked):
        fails.append(f"no broadcast ARP request for the next hop {NH}")
    checks = [f for f in asked if f[0:6] == mac(MAC_A)]
    if len(checks) != 2:
        fails.append(f"{len(checks)} unicast ARP requests to {MAC_A} (the MAC it has) "
                     "after another was claimed, expected 2")
    # ---- counters
    with open(os.path.join(tmp, "stats.json")) as f:
        st = json.load(f)
    for reason, n in st["drops"].items():
        if n != s.want.get(reason, 0):
            fails.append(f"drops.{reason} = {n}, expected {s.want.get(reason, 0)}")
    for reason in s.want:
        if reason not in st["drops"]:
            fails.append(f"drops.{reason} missing")
    if st["totals"]["rx_packets"] != len(s.frames):
        fails.append(f"totals.rx_packets {st['totals']['rx_packets']} != {len(s.frames)}")
    for r in st["rules"]:
        if r["rx_packets"] != s.rx[r["name"]]:
            fails.append(f"{r['name']}: rx_packets {r['rx_packets']}, "
                         f"expected {s.rx[r['name']]}")
    return fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--cg-stats",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "..", "..", "scripts", "cg-stats"))
    ap.add_argument("--keep", help="keep the work files in this directory")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (DPDK runtime dir)")
        return SKIP
    tmp = a.keep or tempfile.mkdtemp(prefix="cg-policy.")
    os.makedirs(tmp, exist_ok=True)
    fails = run(a, tmp)
    if fails:
        print("FAIL:\n" + "\n".join(fails))
        logf = os.path.join(tmp, "dataplane.log")
        if os.path.exists(logf):
            print("---- dataplane.log (tail)")
            print("".join(open(logf).readlines()[-30:]))
        print(f"(work files in {tmp})")
        return 1
    print("PASS: golden input policy test")
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
