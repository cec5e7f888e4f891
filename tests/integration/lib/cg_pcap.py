#!/usr/bin/env python3
"""Decode a classic pcap file of Ethernet frames into one JSON object a line.

Fields: eth_src, eth_dst, ethertype; for IPv4: ip_src, ip_dst, ttl, proto,
df, mf, frag_off, ip_options (hex); for UDP: sport, dport, udp_len; for IGMP:
igmp_type and, for an IGMPv3 report (0x22), records [{type, group, sources}],
for v1/v2 messages, group; for ARP: arp_op, arp_sha, arp_spa, arp_tha, arp_tpa.
Used by the integration tests to assert on what was on the wire.
"""
import json
import socket
import struct
import sys


def mac(b):
    return ":".join("%02x" % x for x in b)


def ip4(b):
    return socket.inet_ntoa(bytes(b))


def decode_igmp(p, f):
    if len(p) < 8:
        return
    f["igmp_type"] = p[0]
    if p[0] == 0x22:
        n = struct.unpack("!H", p[6:8])[0]
        off, recs = 8, []
        for _ in range(n):
            if off + 8 > len(p):
                break
            rtype, aux, nsrc = p[off], p[off + 1], struct.unpack("!H", p[off + 2:off + 4])[0]
            group = ip4(p[off + 4:off + 8])
            srcs = [ip4(p[off + 8 + 4 * i:off + 12 + 4 * i]) for i in range(nsrc)]
            recs.append({"type": rtype, "group": group, "sources": srcs})
            off += 8 + 4 * nsrc + 4 * aux
        f["records"] = recs
    else:
        f["group"] = ip4(p[4:8])


def decode(frame):
    f = {"len": len(frame)}
    if len(frame) < 14:
        return f
    f["eth_dst"], f["eth_src"] = mac(frame[0:6]), mac(frame[6:12])
    et = struct.unpack("!H", frame[12:14])[0]
    f["ethertype"] = et
    p = frame[14:]
    if et == 0x0806 and len(p) >= 28:
        f["arp_op"] = struct.unpack("!H", p[6:8])[0]
        f["arp_sha"], f["arp_spa"] = mac(p[8:14]), ip4(p[14:18])
        f["arp_tha"], f["arp_tpa"] = mac(p[18:24]), ip4(p[24:28])
    elif et == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 0x0F) * 4
        flags = struct.unpack("!H", p[6:8])[0]
        f.update(ip_src=ip4(p[12:16]), ip_dst=ip4(p[16:20]), ttl=p[8], proto=p[9],
                 df=bool(flags & 0x4000), mf=bool(flags & 0x2000),
                 frag_off=(flags & 0x1FFF) * 8, ip_options=p[20:ihl].hex())
        total = struct.unpack("!H", p[2:4])[0]
        l4 = p[ihl:total]
        if p[9] == 17 and f["frag_off"] == 0 and len(l4) >= 8:
            f["sport"], f["dport"], f["udp_len"] = struct.unpack("!HHH", l4[0:6])
        elif p[9] == 2:
            decode_igmp(l4, f)
    return f


def main(path):
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[0:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        sys.exit("%s: not a pcap file" % path)
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        print(json.dumps(decode(data[off:off + incl])))
        off += incl


if __name__ == "__main__":
    main(sys.argv[1])
