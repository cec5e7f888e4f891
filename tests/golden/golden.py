#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Golden pcap test of castgate-dataplane.

Runs the data plane on pcap PMD ports (no NIC, no namespace, --no-huge):
one input port reads in.pcap, three output ports write pcaps. The input holds
valid flows for a 1->1 rule (plain, VLAN-tagged, with IP options, tiny and
checksum-less), a 1->3 fan-out rule (small and large payloads, and one too
large for one output's MTU), an (S,G) rule next to an any-source rule, a
unicast output with a static next hop and one that needs ARP, plus one frame
of every malformed kind, an ARP request and an IGMP general query.

Expected output frames are built here with struct, independently of lib/pkt,
and compared byte for byte with what each output port wrote. Drop counters
come from --stats-out and are checked per reason. The control plane side is
checked too: ARP reply, IGMP answer to the query, ARP requests for the
unresolved next hop, IGMP leaves at shutdown.

Usage: golden.py --binary PATH [--cg-stats PATH] [--keep DIR] [--verbose]
Exit: 0 pass, 1 fail, 77 skip (not root).
"""

import argparse
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77

# ---------------------------------------------------------------- builders


def csum(data):
    """RFC 1071 ones' complement checksum."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def mcast_mac(group):
    g = ip4(group)
    return bytes([0x01, 0x00, 0x5E, g[1] & 0x7F, g[2], g[3]])


def udp_csum(src, dst, udp):
    c = csum(ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, len(udp)) + udp)
    return c or 0xFFFF


def ipv4_hdr(src, dst, proto, payload_len, ttl, tos=0, ident=0, frag=0, options=b"",
             version=4, ihl=None, total_len=None, bad_csum=False):
    if ihl is None:
        ihl = 5 + len(options) // 4
    if total_len is None:
        total_len = 20 + len(options) + payload_len
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, tos, total_len, ident, frag,
                    ttl, proto, 0, ip4(src), ip4(dst)) + options
    c = csum(h)
    if bad_csum:
        c ^= 0x5A5A
    return h[:10] + struct.pack("!H", c) + h[12:]


def udp_dgram(src, dst, sport, dport, payload, with_csum=True, bad_csum=False,
              udp_len=None):
    ulen = 8 + len(payload) if udp_len is None else udp_len
    u = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = udp_csum(src, dst, u) if with_csum else 0
    if bad_csum:
        c ^= 0x1234
    return struct.pack("!HHHH", sport, dport, ulen, c) + payload


def eth(dst, src, ethertype, body, vlan=None, pad=True):
    h = dst + src
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    f = h + struct.pack("!H", ethertype) + body
    if pad and len(f) < 60:
        f += b"\0" * (60 - len(f))
    return f


def payload(n, seed):
    return bytes((seed * 31 + i * 7) & 0xFF for i in range(n))


# ---------------------------------------------------------------- pcap io


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)) + fr)


def read_pcap(path):
    frames = []
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return frames
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + incl])
        off += incl
    return frames


def is_udp(fr):
    return len(fr) >= 34 and fr[12:14] == b"\x08\x00" and fr[23] == 17


def is_igmp(fr):
    return len(fr) >= 34 and fr[12:14] == b"\x08\x00" and fr[23] == 2


def is_arp(fr):
    return len(fr) >= 42 and fr[12:14] == b"\x08\x06"


def igmp_v3_records(fr):
    """[(type, group)] of an IGMPv3 report frame, else []."""
    ihl = (fr[14] & 0xF) * 4
    igmp = fr[14 + ihl:]
    if not igmp or igmp[0] != 0x22:
        return []
    n = struct.unpack("!H", igmp[6:8])[0]
    recs, off = [], 8
    for _ in range(n):
        rtype, aux, nsrc = struct.unpack("!BBH", igmp[off:off + 4])
        group = ".".join(str(b) for b in igmp[off + 4:off + 8])
        recs.append((rtype, group))
        off += 8 + 4 * nsrc + 4 * aux
    return recs


def igmp_v2_message(fr):
    """(type, group, IP destination) of an IGMP frame."""
    ihl = (fr[14] & 0xF) * 4
    igmp = fr[14 + ihl:]
    group = ".".join(str(b) for b in igmp[4:8])
    return igmp[0], group, ".".join(str(b) for b in fr[30:34])


# ---------------------------------------------------------------- scenario

PORTS = {
    # name: (ip/prefix, mac, mtu)
    "rin0": ("198.18.20.2/26", "02:00:00:00:20:01", 1500),
    "out0": ("198.18.20.66/26", "02:00:00:00:20:02", 1500),
    "out1": ("198.18.20.130/26", "02:00:00:00:20:03", 1500),
    "out2": ("198.18.20.194/26", "02:00:00:00:20:04", 1000),
}
SRC_MAC = mac("02:00:00:00:20:07")
SRC = "198.18.20.7"
STATIC_NH = "02:00:00:00:00:64"

RULES = """
[[rule]]
name = "one"
id = 1
input = { port = "rin0", destination = "239.20.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.20.2.1"
dport = 6001
sport = 7001
ttl = 16

[[rule]]
name = "fan"
id = 2
input = { port = "rin0", destination = "239.20.1.2", dport = 5002 }
[[rule.output]]
port = "out0"
destination = "239.20.2.2"
dport = 6002
ttl = 8
[[rule.output]]
port = "out1"
destination = "239.20.3.2"
dport = 6003
ttl = 32
source = "198.18.20.99"
[[rule.output]]
port = "out2"
destination = "239.20.4.2"
dport = 6004

[[rule]]
name = "sg"
id = 3
input = { port = "rin0", destination = "239.20.1.3", dport = 5003, source = "198.18.20.7" }
[[rule.output]]
port = "out1"
destination = "239.20.3.3"
dport = 6005
ttl = 9

[[rule]]
name = "any"
id = 4
input = { port = "rin0", destination = "239.20.1.3", dport = 5003 }
[[rule.output]]
port = "out2"
destination = "239.20.4.3"
dport = 6006
ttl = 10

[[rule]]
name = "uni"
id = 5
input = { port = "rin0", destination = "239.20.1.4", dport = 5004 }
[[rule.output]]
port = "out0"
destination = "198.18.20.100"
dport = 7004
ttl = 20
next_hop_mac = "02:00:00:00:00:64"
[[rule.output]]
port = "out1"
destination = "198.18.20.150"
dport = 7005
ttl = 20
"""

# rule name -> list of (out port, dst ip, dport, sport or None, ttl, src or None)
OUTPUTS = {
    "one": [("out0", "239.20.2.1", 6001, 7001, 16, None)],
    "fan": [("out0", "239.20.2.2", 6002, None, 8, None),
            ("out1", "239.20.3.2", 6003, None, 32, "198.18.20.99"),
            ("out2", "239.20.4.2", 6004, None, 64, None)],
    "sg": [("out1", "239.20.3.3", 6005, None, 9, None)],
    "any": [("out2", "239.20.4.3", 6006, None, 10, None)],
    "uni": [("out0", "198.18.20.100", 7004, None, 20, None),
            ("out1", "198.18.20.150", 7005, None, 20, None)],
}
UNRESOLVED = ("uni", 1)		# ARP never answers: arp_unresolved


class Flow:
    """One valid input datagram and what it should become."""

    def __init__(self, rule, dst, dport, plen, seed, src=SRC, sport=40000, ttl=33, tos=0,
                 ident=0, df=False, vlan=None, options=b"", with_csum=True):
        self.rule, self.dst, self.dport = rule, dst, dport
        self.src, self.sport, self.ttl, self.tos, self.ident = src, sport, ttl, tos, ident
        self.df, self.with_csum = df, with_csum
        self.data = payload(plen, seed)
        u = udp_dgram(src, dst, sport, dport, self.data, with_csum=with_csum)
        h = ipv4_hdr(src, dst, 17, len(u), ttl, tos=tos, ident=ident,
                     frag=0x4000 if df else 0, options=options)
        self.frame = eth(mcast_mac(dst), SRC_MAC, 0x0800, h + u, vlan=vlan)

    def expected(self, out):
        """The frame output @out should emit, computed from scratch."""
        port, dst, dport, sport, ttl, src = out
        pip = PORTS[port][0].split("/")[0]
        src = src or pip
        sport = sport or self.sport
        dmac = mcast_mac(dst) if ip4(dst)[0] >= 224 else mac(STATIC_NH)
        u = udp_dgram(src, dst, sport, dport, self.data, with_csum=self.with_csum)
        h = ipv4_hdr(src, dst, 17, len(u), ttl, tos=self.tos, ident=self.ident,
                     frag=0x4000 if self.df else 0)
        return eth(dmac, mac(PORTS[port][1]), 0x0800, h + u, pad=False)


def build_inputs():
    flows = [
        Flow("one", "239.20.1.1", 5001, 200, 1, ident=11, tos=0x88),
        Flow("one", "239.20.1.1", 5001, 50, 2, ident=12, vlan=20),
        Flow("one", "239.20.1.1", 5001, 300, 3, ident=13, df=True,
             options=b"\x94\x04\x00\x00"),			# Router Alert: IHL 6
        Flow("one", "239.20.1.1", 5001, 4, 4, ident=14, with_csum=False),	# padded
        Flow("fan", "239.20.1.2", 5002, 500, 5, ident=21, df=True),
        Flow("fan", "239.20.1.2", 5002, 10, 6, ident=22),
        Flow("sg", "239.20.1.3", 5003, 100, 7, ident=31),
        Flow("any", "239.20.1.3", 5003, 100, 8, ident=32, src="198.18.20.8"),
        Flow("uni", "239.20.1.4", 5004, 64, 9, ident=41),
        Flow("fan", "239.20.1.2", 5002, 1200, 10, ident=23),	# > out2 MTU 1000
    ]
    d = mcast_mac("239.20.1.1")
    good_u = udp_dgram(SRC, "239.20.1.1", 40000, 5001, payload(40, 99))

    def ipf(**kw):
        return eth(d, SRC_MAC, 0x0800, ipv4_hdr(SRC, "239.20.1.1", kw.pop("proto", 17),
                                                 len(good_u), 33, **kw) + good_u)

    bad = []	# (frame, reason)
    bad.append((ipf()[:30], "truncated"))
    bad.append((ipf(ihl=4), "bad_ihl"))
    bad.append((ipf(total_len=20 + len(good_u) + 100), "bad_total_len"))
    bad.append((ipf(frag=0x2000), "fragment"))
    bad.append((ipf(proto=6), "non_udp"))
    bad.append((eth(b"\x33\x33\x00\x00\x00\x01", SRC_MAC, 0x86DD, b"\x60" + b"\0" * 60),
                "non_ipv4"))
    bad.append((eth(b"\x01\x80\xc2\x00\x00\x0e", SRC_MAC, 0x88CC, b"\x02\x07\x04" + b"\0" * 40),
                "non_ipv4"))
    bad.append((ipf(bad_csum=True), "bad_ip_checksum"))
    bu = udp_dgram(SRC, "239.20.1.1", 40000, 5001, payload(40, 98), bad_csum=True)
    bad.append((eth(d, SRC_MAC, 0x0800, ipv4_hdr(SRC, "239.20.1.1", 17, len(bu), 33) + bu),
                "bad_udp_checksum"))
    bad.append((ipf(version=6), "bad_version"))
    lu = udp_dgram(SRC, "239.20.1.1", 40000, 5001, payload(40, 97), with_csum=False,
                   udp_len=200)
    bad.append((eth(d, SRC_MAC, 0x0800, ipv4_hdr(SRC, "239.20.1.1", 17, len(lu), 33) + lu),
                "bad_udp_len"))
    nr = udp_dgram(SRC, "239.20.9.9", 40000, 5001, payload(40, 96))
    bad.append((eth(mcast_mac("239.20.9.9"), SRC_MAC, 0x0800,
                    ipv4_hdr(SRC, "239.20.9.9", 17, len(nr), 33) + nr), "no_rule"))
    ll = udp_dgram(SRC, "224.0.0.251", 5353, 5353, payload(40, 95))
    bad.append((eth(mcast_mac("224.0.0.251"), SRC_MAC, 0x0800,
                    ipv4_hdr(SRC, "224.0.0.251", 17, len(ll), 255) + ll), "link_local_mcast"))

    rin_ip, rin_mac = PORTS["rin0"][0].split("/")[0], mac(PORTS["rin0"][1])
    arp_req = eth(b"\xff" * 6, SRC_MAC, 0x0806,
                  struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, SRC_MAC, ip4(SRC),
                              b"\0" * 6, ip4(rin_ip)))
    arp_reply = eth(SRC_MAC, rin_mac, 0x0806,
                    struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, rin_mac, ip4(rin_ip),
                                SRC_MAC, ip4(SRC)))
    # IGMPv3 general query, max resp 5 (0.5 s), with the Router Alert option.
    q = struct.pack("!BBHIBBH", 0x11, 5, 0, 0, 2, 125, 0)
    q = q[:2] + struct.pack("!H", csum(q)) + q[4:]
    query = eth(mcast_mac("224.0.0.1"), SRC_MAC, 0x0800,
                ipv4_hdr("198.18.20.1", "224.0.0.1", 2, len(q), 1, tos=0xC0,
                         options=b"\x94\x04\x00\x00") + q)

    frames = []
    # Interleave valid and bad frames so that state never leaks between them.
    for i in range(max(len(flows), len(bad))):
        if i < len(flows):
            frames.append(flows[i].frame)
        if i < len(bad):
            frames.append(bad[i][0])
    frames.append(arp_req)
    frames.append(query)
    return flows, bad, frames, arp_reply


def config(tmp, prefix, igmp_version):
    lines = ["[log]", 'level = "info"', "", "[dataplane]", 'lcores = "0"',
             f"igmp_version = {igmp_version}",
             f'file_prefix = "{prefix}"', "no_huge = true", "memory_mb = 256", "mbufs = 16383",
             "idle_sleep_us = 100", "checksum_check = true",
             "arp_retry_ms = 100", "arp_max_retries = 3", "",
             # Never the machine's /var/lib/castgate/rules.json: exactly RULES.
             "[control]", f'state_file = "{tmp}/no-api-rules.json"', ""]
    for i, (name, (ipp, m, mtu)) in enumerate(PORTS.items()):
        if name == "rin0":
            dev = f"net_pcap{i},rx_pcap={tmp}/in.pcap,tx_pcap={tmp}/{name}.pcap"
        else:
            dev = f"net_pcap{i},tx_pcap={tmp}/{name}.pcap"
        lines += ["[[port]]", f'name = "{name}"', f'device = "{dev}"', f'ip = "{ipp}"',
                  f'mac = "{m}"', f"mtu = {mtu}", ""]
    return "\n".join(lines) + RULES


# ---------------------------------------------------------------- run


class Failure(Exception):
    pass


def check(cond, msg, failures):
    if not cond:
        failures.append(msg)


def stats_now(cg_stats, prefix):
    try:
        out = subprocess.run([sys.executable, cg_stats, "--prefix", prefix, "--json"],
                             capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        return None
    return json.loads(out.stdout)


def run_dataplane(binary, conf, tmp, prefix, cg_stats, n_frames, settle):
    """Run castgate-dataplane on CONF (its pcap input read once) until the live
    stats have counted N_FRAMES, SETTLE seconds more, then SIGTERM it.
    Its log goes to TMP/dataplane.log and --stats-out to TMP/stats.json.
    Returns (exit code, the live stats document); raises Failure when it
    is not ready, never counts them all, or does not stop."""
    ready = os.path.join(tmp, "ready")
    stats_out = os.path.join(tmp, "stats.json")
    log = open(os.path.join(tmp, "dataplane.log"), "w")
    proc = subprocess.Popen([binary, "-c", conf, "--ready-file", ready,
                             "--stats-out", stats_out], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while not os.path.exists(ready):
            if proc.poll() is not None:
                raise Failure(f"castgate-dataplane exited {proc.returncode} before ready")
            if time.time() > deadline:
                raise Failure("not ready after 30 s")
            time.sleep(0.05)
        # The pcap PMD reads in.pcap to its end, then receives nothing more:
        # wait until every frame was counted, then for what answers them.
        deadline = time.time() + 20
        while True:
            doc = stats_now(cg_stats, prefix)
            if doc and doc["totals"]["rx_packets"] >= n_frames:
                break
            if time.time() > deadline:
                raise Failure(f"live stats never reached rx_packets={n_frames}: {doc}")
            time.sleep(0.1)
        time.sleep(settle)
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=15), doc
        except subprocess.TimeoutExpired:
            raise Failure("did not exit within 15 s of SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


def run(args, tmp):
    prefix = f"cggolden{os.getpid()}"
    flows, bad, frames, arp_reply = build_inputs()
    write_pcap(os.path.join(tmp, "in.pcap"), frames)
    conf = os.path.join(tmp, "golden.toml")
    with open(conf, "w") as f:
        f.write(config(tmp, prefix, args.igmp_version))
    failures = []
    rc, live = run_dataplane(args.binary, conf, tmp, prefix, args.cg_stats, len(frames),
                             1.5)	# > query max response time (0.5 s) and ARP retries
    check(rc == 0, f"exit code {rc} after SIGTERM", failures)

    with open(os.path.join(tmp, "dataplane.log")) as f:
        leaks = [line.strip() for line in f if "still in use at exit" in line]
    check(not leaks, f"mbuf leak: {leaks}", failures)

    # ---- output frames, byte for byte
    expected = {p: [] for p in PORTS if p != "rin0"}
    for fl in flows:
        for k, out in enumerate(OUTPUTS[fl.rule]):
            if (fl.rule, k) == UNRESOLVED:
                continue
            if len(fl.data) + 28 > PORTS[out[0]][2]:
                continue	# MTU
            expected[out[0]].append(fl.expected(out))
    for port, exp in expected.items():
        got = [fr for fr in read_pcap(os.path.join(tmp, f"{port}.pcap")) if is_udp(fr)]
        check(len(got) == len(exp), f"{port}: {len(got)} UDP frames, expected {len(exp)}",
              failures)
        for i, (g, e) in enumerate(zip(got, exp)):
            if g != e:
                first = next((k for k in range(min(len(g), len(e))) if g[k] != e[k]),
                             min(len(g), len(e)))
                failures.append(f"{port}: frame {i} differs at byte {first} "
                                f"(len {len(g)} vs {len(e)}):\n  got {g.hex()}\n"
                                f"  exp {e.hex()}")
    rin = read_pcap(os.path.join(tmp, "rin0.pcap"))
    check(not any(is_udp(fr) for fr in rin), "rin0 emitted UDP", failures)

    # ---- control plane
    check(arp_reply in rin, "rin0: no (or wrong) ARP reply to 198.18.20.7", failures)
    groups = {"239.20.1.1", "239.20.1.2", "239.20.1.3", "239.20.1.4"}
    if args.igmp_version == 3:
        recs = [igmp_v3_records(fr) for fr in rin if is_igmp(fr)]
        answered = set(g for rs in recs for t, g in rs if t == 2)	# MODE_IS_EXCLUDE
        joined = set(g for rs in recs for t, g in rs if t == 4)	# CHANGE_TO_EXCLUDE
        left = set(g for rs in recs for t, g in rs if t == 3)	# CHANGE_TO_INCLUDE
        check(joined == groups, f"IGMP joins {sorted(joined)}, expected {sorted(groups)}",
              failures)
        check(answered == groups, f"IGMP query answer {sorted(answered)}", failures)
        check(left == groups, f"IGMP leaves {sorted(left)}", failures)
    else:
        msgs = [igmp_v2_message(fr) for fr in rin if is_igmp(fr)]
        reports = {}
        for t, g, ipdst in msgs:
            if t == 0x16:
                check(ipdst == g, f"IGMPv2 report for {g} sent to {ipdst}", failures)
                reports[g] = reports.get(g, 0) + 1
        left = set(g for t, g, ipdst in msgs if t == 0x17 and ipdst == "224.0.0.2")
        # Unsolicited report twice, plus the answer to the query.
        check(set(reports) == groups and min(reports.values()) >= 3,
              f"IGMPv2 reports per group {reports}", failures)
        check(left == groups, f"IGMPv2 leaves {sorted(left)}", failures)
    out1 = read_pcap(os.path.join(tmp, "out1.pcap"))
    arp_q = [fr for fr in out1 if is_arp(fr) and fr[20:22] == b"\x00\x01"
             and fr[38:42] == ip4("198.18.20.150")]
    check(len(arp_q) >= 2, f"out1: {len(arp_q)} ARP requests for the unresolved next hop",
          failures)

    # ---- counters (final, from --stats-out)
    with open(os.path.join(tmp, "stats.json")) as f:
        st = json.load(f)
    want = {}
    for _, reason in bad:
        want[reason] = want.get(reason, 0) + 1
    want["arp_unresolved"] = sum(1 for fl in flows if fl.rule == UNRESOLVED[0])
    want["mtu_exceeded"] = 1
    for reason, n in st["drops"].items():
        check(n == want.get(reason, 0), f"drops.{reason} = {n}, expected {want.get(reason, 0)}",
              failures)
    for reason in want:
        check(reason in st["drops"], f"drops.{reason} missing", failures)
    check(st["totals"]["rx_packets"] == len(frames),
          f"totals.rx_packets {st['totals']['rx_packets']} != {len(frames)}", failures)
    by_name = {r["name"]: r for r in st["rules"]}
    check(set(by_name) == set(OUTPUTS), f"rules in stats: {sorted(by_name)}", failures)
    for name, outs in OUTPUTS.items():
        r = by_name.get(name)
        if r is None:
            continue
        fls = [fl for fl in flows if fl.rule == name]
        check(r["rx_packets"] == len(fls), f"{name}: rx_packets {r['rx_packets']}", failures)
        for k, out in enumerate(outs):
            sent = [fl for fl in fls if (name, k) != UNRESOLVED
                    and len(fl.data) + 28 <= PORTS[out[0]][2]]
            o = r["outputs"][k]
            check(o["port"] == out[0] and o["destination"] == out[1] and o["dport"] == out[2],
                  f"{name}.outputs[{k}] identity {o}", failures)
            check(o["tx_packets"] == len(sent),
                  f"{name}.outputs[{k}].tx_packets {o['tx_packets']} != {len(sent)}", failures)
            check(o["tx_bytes"] == sum(42 + len(fl.data) for fl in sent),
                  f"{name}.outputs[{k}].tx_bytes {o['tx_bytes']}", failures)
            check(o["drops"] == len(fls) - len(sent),
                  f"{name}.outputs[{k}].drops {o['drops']}", failures)
    # The live document (telemetry) has the same shape and already saw all rules.
    check(set(live) >= {"rules", "drops", "ports", "totals"}, "live stats keys", failures)
    check(sorted(r["name"] for r in live["rules"]) == sorted(by_name),
          "live stats rules differ from --stats-out", failures)
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--cg-stats",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "..", "..", "scripts", "cg-stats"))
    ap.add_argument("--keep", help="keep the work files in this directory")
    ap.add_argument("--igmp-version", type=int, choices=(2, 3), default=3,
                    help="[dataplane] igmp_version to run with (default 3)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (DPDK runtime dir)")
        return SKIP
    tmp = a.keep or tempfile.mkdtemp(prefix="cg-golden.")
    os.makedirs(tmp, exist_ok=True)
    try:
        failures = run(a, tmp)
    except Failure as e:
        failures = [str(e)]
    if failures:
        print("FAIL:\n" + "\n".join(failures))
        log = os.path.join(tmp, "dataplane.log")
        if os.path.exists(log):
            print("---- dataplane.log (tail)")
            print("".join(open(log).readlines()[-30:]))
        if not a.keep:
            print(f"(work files kept in {tmp})")
        return 1
    print("PASS: golden pcap test")
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
