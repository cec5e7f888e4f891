#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of scripts/demo that are easier in Python than in bash.

  cg_demo.py plan CONF              shell assignments describing the relay in
                                    CONF: ports, their interfaces, the flows
  cg_demo.py live PREV CUR T0 TPREV TNOW
                                    one block of the live table from two
                                    `cg-stats --json` snapshots taken at the
                                    epoch times TPREV and TNOW (start: T0)
  cg_demo.py summary CONF DIR       the end-of-demo table from the sender and
                                    receiver reports in DIR; exit 1 if any
                                    output missed a packet, got a bad one or
                                    saw another TTL than CONF says

Standard library only (tomllib needs Python 3.11, as in Debian 12).
"""

import ipaddress
import json
import os
import shlex
import sys
import tomllib


def die(msg):
    sys.stderr.write(f"demo: {msg}\n")
    sys.exit(1)


def iface_of(port):
    """The kernel interface of an AF_PACKET port ("net_af_packet0,iface=rin0")."""
    dev = port.get("device", "")
    for arg in dev.split(",")[1:]:
        k, _, v = arg.partition("=")
        if k == "iface":
            return v
    die(f"port {port.get('name')}: device \"{dev}\" is not net_af_packet with iface=: "
        "the demo builds veths for AF_PACKET ports only")


def read_plan(path):
    """Ports and flows of the config, as the demo network needs them."""
    try:
        with open(path, "rb") as f:
            conf = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        die(f"{path}: {e}")
    ports = {p["name"]: p for p in conf.get("port", [])}
    rules = conf.get("rule", [])
    if not rules:
        die(f"{path}: no [[rule]]: nothing to stream")
    inputs = sorted({r["input"]["port"] for r in rules})
    if len(inputs) != 1:
        die(f"{path}: the demo network has one input link, the rules use {inputs}")
    outs = []
    for p in conf.get("port", []):
        if any(o["port"] == p["name"] for r in rules for o in r.get("output", [])):
            outs.append(p["name"])
    if not 1 <= len(outs) <= 2:
        die(f"{path}: the demo network has one or two output links, the rules use {outs}")

    def ip_of(name):
        return str(ipaddress.ip_interface(ports[name]["ip"]).ip)

    vars_ = {
        "DEMO_PREFIX": conf.get("dataplane", {}).get("file_prefix", "castgate"),
        # what the relay keeps between runs, which the demo removes
        "DEMO_STATE_FILE": conf.get("control", {}).get("state_file", ""),
        "DEMO_RUN_DIR": conf.get("supervisor", {}).get("run_dir", ""),
        "DEMO_IN_PORT": inputs[0],
        "DEMO_IN_IF": iface_of(ports[inputs[0]]),
        "DEMO_IN_IP": ip_of(inputs[0]),
    }
    for k, name in enumerate(outs):
        vars_[f"DEMO_OUT{k}_PORT"] = name
        vars_[f"DEMO_OUT{k}_IF"] = iface_of(ports[name])
        vars_[f"DEMO_OUT{k}_IP"] = ip_of(name)
    vars_["DEMO_NOUT"] = len(outs)
    flows, outputs = [], []
    for i, r in enumerate(rules):
        inp = r["input"]
        flow = {"rule": r["name"], "id": r.get("id", i + 1), "group": inp["destination"],
                "dport": inp["dport"], "source": inp.get("source", "")}
        flows.append(flow)
        for k, o in enumerate(r.get("output", [])):
            # 64 is the documented default TTL of an output.
            outputs.append({"rule": r["name"], "id": flow["id"], "idx": k, "port": o["port"],
                            "sink": outs.index(o["port"]), "dest": o["destination"],
                            "dport": o["dport"], "ttl": o.get("ttl", 64),
                            "input": f"{inp['destination']}:{inp['dport']}"})
    return vars_, flows, outputs


def plan(path):
    vars_, flows, outputs = read_plan(path)
    print("\n".join(f"{k}={shlex.quote(str(v))}" for k, v in vars_.items()))
    print("DEMO_FLOWS=(" + " ".join(shlex.quote("|".join(str(f[k]) for k in (
        "rule", "id", "group", "dport", "source"))) for f in flows) + ")")
    print("DEMO_OUTPUTS=(" + " ".join(shlex.quote("|".join(str(o[k]) for k in (
        "rule", "id", "idx", "port", "sink", "dest", "dport", "ttl"))) for o in outputs) + ")")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def live(prev_path, cur_path, t0, tprev, tnow):
    t = float(tnow) - float(t0)
    secs = max(float(tnow) - float(tprev), 1e-3)
    cur = load(cur_path)
    if cur is None:
        print(f"  [{t:5.1f}s] (no counters: cg-stats failed)")
        return
    prev = load(prev_path) or {"rules": []}
    before = {r["name"]: r for r in prev.get("rules", [])}
    for i, r in enumerate(cur["rules"]):
        p = before.get(r["name"], {"rx_packets": 0, "outputs": []})
        rate = (r["rx_packets"] - p["rx_packets"]) / secs
        head = f"  [{t:5.1f}s] " if i == 0 else " " * 11
        outs = []
        for k, o in enumerate(r["outputs"]):
            drops = f" drops {o['drops']}" if o["drops"] else ""
            outs.append(f"{o['port']} {o['destination']}:{o['dport']} tx {o['tx_packets']}{drops}")
        print(f"{head}{r['name']:<8} in {r['rx_packets']:>8} pkts {rate:>7.0f} pkt/s"
              f"  ->  " + ";  ".join(outs))
    drops = {k: v for k, v in cur.get("drops", {}).items() if v}
    if drops:
        print(" " * 11 + "relay drops: " + ", ".join(f"{k} {v}" for k, v in sorted(drops.items())))


def summary(conf, d):
    rows, bad = [], 0
    _, _, outputs = read_plan(conf)
    for o in outputs:
        s = load(os.path.join(d, f"send-{o['rule']}.json")) or {}
        r = load(os.path.join(d, f"recv-{o['rule']}-{o['idx']}.json"))
        sent = s.get("sent", 0)
        if r is None:
            rows.append((o, sent, None, None, None, "-", "-"))
            bad += 1
            continue
        got = r["unique"]
        lost = max(sent - got, 0)
        ttl_ok = r["ttl_seen"] in ([], [o["ttl"]])
        ttl = (",".join(str(x) for x in r["ttl_seen"]) or "-") + ("" if ttl_ok else "!")
        lat = r["latency_us"]
        rows.append((o, sent, r["received"], lost, r["corrupt"] + r["duplicates"], ttl,
                     f"{lat['p50']}/{lat['p99']}"))
        if lost or r["corrupt"] or r["duplicates"] or sent == 0 or not ttl_ok:
            bad += 1
    print(f"  {'FLOW':<7} {'FROM (input)':<17} {'TO (port destination)':<27} {'SENT':>7} "
          f"{'RECEIVED':>9} {'LOST':>6} {'BAD':>4} {'TTL':>4}  LATENCY p50/p99 us")
    for o, sent, got, lost, badn, ttl, lat in rows:
        to = f"{o['port']} {o['dest']}:{o['dport']}"
        got_s = "none" if got is None else got
        lost_s = "?" if lost is None else lost
        bad_s = "?" if badn is None else badn
        print(f"  {o['rule']:<7} {o['input']:<17} {to:<27} {sent:>7} {got_s:>9} {lost_s:>6} "
              f"{bad_s:>4} {ttl:>4}  {lat}")
    print()
    if bad:
        print(f"  RESULT: {bad} of {len(rows)} outputs missed packets or got bad ones "
              "(BAD = corrupt or duplicated; TTL! = not the configured TTL).")
        return 1
    print(f"  RESULT: every packet of every flow arrived intact on all {len(rows)} outputs.")
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "plan":
        plan(argv[2])
        return 0
    if len(argv) == 7 and argv[1] == "live":
        live(*argv[2:7])
        return 0
    if len(argv) == 4 and argv[1] == "summary":
        return summary(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
