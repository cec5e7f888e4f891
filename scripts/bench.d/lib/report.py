#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Merges the cases' JSON of one scripts/bench run into DIR/bench.json, prints
the table and draws DIR/bench.png. Run by scripts/bench, not on its own.

The ratio column: a result's own "ratio" when the case set one (its meaning
in the case's "ratio_label"), else value / the value of the reference series
of the same group (the case's "reference", or DEFAULT_REFERENCE below)."""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import textwrap

# The series each case's ratios are taken against, when the case names none.
DEFAULT_REFERENCE = {
    "cpu": "testpmd-5tswap",
    "veth": "testpmd-io",
    "latency": "testpmd-io",
}


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine(src, args):
    cpu = None
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "dpdk": sh("pkg-config", "--modversion", "libdpdk"),
        "git": sh("git", "-C", src, "describe", "--always", "--dirty", "--tags"),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "duration_s": args.duration,
        "runs": args.runs,
        "quick": args.quick,
    }


def ratios(doc):
    """(result, ratio or None) for every result of a case."""
    ref = doc.get("reference") or DEFAULT_REFERENCE.get(doc.get("case"))
    refval = {}
    if ref:
        for r in doc["results"]:
            if r.get("name") == ref and r.get("value"):
                refval[r.get("group")] = r["value"]
    for r in doc["results"]:
        if r.get("ratio") is not None:
            yield r, r["ratio"]
        elif ref and r.get("name") != ref and r.get("group") in refval and r.get("value") is not None:
            yield r, r["value"] / refval[r["group"]]
        else:
            yield r, None


def fmt(v, spec):
    return "" if v is None else format(v, spec)


def table(docs):
    rows = [("case", "group", "name", "value", "ns/pkt", "ratio")]
    legends = []
    for d in docs:
        metric = d.get("metric", "")
        ref = d.get("reference") or DEFAULT_REFERENCE.get(d.get("case"))
        for r, q in ratios(d):
            v = r.get("value")
            rows.append((d["case"], str(r.get("group", "")), str(r.get("name", "")),
                         ("%s %s" % (fmt(v, ".3f" if isinstance(v, float) else ""), metric)).strip()
                         if v is not None else "", fmt(r.get("ns_per_pkt"), ".1f"), fmt(q, ".2f")))
        if d.get("ratio_label"):
            legends.append("%s: ratio = %s" % (d["case"], d["ratio_label"]))
        elif ref:
            legends.append("%s: ratio = value / %s's (same group)" % (d["case"], ref))
    w = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w[k]) if k < 3 else c.rjust(w[k]) for k, c in enumerate(row)))
        if i == 0:
            lines.append("  ".join("-" * x for x in w))
    return "\n".join(lines + [""] + legends)


def plot(docs, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: python3-matplotlib missing (scripts/install-deps): no plot", file=sys.stderr)
        return False
    docs = [d for d in docs if d.get("results")]
    if not docs:
        return False
    ncol = 1 if len(docs) == 1 else 2
    nrow = (len(docs) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.5 * ncol, 4.2 * nrow), squeeze=False)
    for ax in axes.flat[len(docs):]:
        ax.axis("off")
    for ax, d in zip(axes.flat, docs):
        groups, names = [], []
        for r in d["results"]:
            if r["group"] not in groups:
                groups.append(r["group"])
            if r["name"] not in names:
                names.append(r["name"])
        val = {(r["group"], r["name"]): r.get("value") for r in d["results"]}
        width = 0.8 / len(names)
        for k, n in enumerate(names):
            xs = [i - 0.4 + width * (k + 0.5) for i in range(len(groups))]
            ys = [val.get((g, n)) or 0 for g in groups]
            bars = ax.bar(xs, ys, width, label=n)
            ax.bar_label(bars, labels=[fmt(val.get((g, n)), ".3g") for g in groups],
                         fontsize=7, padding=1)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(groups)
        ax.set_ylabel(d.get("metric", ""))
        ax.set_title("\n".join(textwrap.wrap("%s: %s" % (d["case"], d.get("title", "")), 70)),
                     fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--status", required=True)
    ap.add_argument("--duration", type=int)
    ap.add_argument("--runs", type=int)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    docs, status, bad = [], [], False
    for line in open(args.status):
        case, st, log = (line.rstrip("\n").split("\t") + ["", ""])[:3]
        status.append({"case": case, "status": st, "log": log or None})
        if st != "ok":
            continue
        # A case may add panels of its own: DIR/<case>-<part>.json.
        extra = sorted(f[:-5] for f in os.listdir(args.out)
                       if f.startswith(case + "-") and f.endswith(".json"))
        try:
            for name in [case] + extra:
                d = json.load(open(os.path.join(args.out, name + ".json")))
                if d.get("case") != name or not isinstance(d.get("results"), list):
                    raise ValueError("no \"case\": \"%s\" or no \"results\" list" % name)
                docs.append(d)
        except (OSError, ValueError) as e:
            status[-1]["status"] = "failed (bad JSON: %s)" % e
            bad = True
    merged = {"machine": machine(src, args), "status": status, "cases": docs}
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(merged, f, indent=1)

    m = merged["machine"]
    print("\nbench: %s, %s cores, Linux %s, DPDK %s, castgate %s, %s (load %s)"
          % (m["cpu"], m["cores"], m["kernel"], m["dpdk"], m["git"], m["date"],
             " ".join(map(str, m["load_avg"]))))
    if docs:
        print(table(docs))
    for d in docs:
        for n in d.get("notes", []):
            print("note: %s: %s" % (d["case"], n))
    for s in status:
        if s["status"] != "ok":
            print("bench: %s: %s" % (s["case"], s["status"]))
    print("Compare ratios within this run, never numbers across runs.")
    png = os.path.join(args.out, "bench.png")
    if plot(docs, png):
        print("bench: %s, %s" % (os.path.join(args.out, "bench.json"), png))
    else:
        print("bench: %s (no plot)" % os.path.join(args.out, "bench.json"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
