#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two-process test of lib/shm: the real castgate-dataplane and a DPDK secondary.

The data plane runs as a DPDK primary on hugepages (a secondary cannot attach
to --no-huge) with two pcap PMD ports (no network), its own file prefix and a
small memory_mb. shm_ipc_client (C) attaches as a secondary the way
castgate-control does (--proc-type=secondary --no-pci --no-telemetry, no
--vdev) and checks, through lib/shm:

  run 1 (no state file):
    api      cg_info; counters of the pcap traffic; add, update, remove of an
             API rule through cg_shm_rules_request() (origin, generation,
             slots), -EEXIST/-ENOENT/-EINVAL with their messages; latency
    timeout  SIGSTOP of the primary: -ETIMEDOUT; after SIGCONT the request is
             applied (done_seq)
    gone     SIGTERM of the primary: cg_info.ready drops, then -EPIPE
  run 2 (state file with one good and one bad rule):
    state    the good rule is installed with origin api and forwards, the bad
             one is skipped, counted and reported; the data plane logs it
  run 3 (state file that is not JSON):
    badstate the config rules forward; cg_info reports the error; logged
  run 4 (lcores "0-1": the main lcore serves requests, lcore 1 forwards;
         idle_sleep_us 50 ms):
    api      as in run 1, with RCU grace periods against a real worker that
             sleeps 50 ms when idle: requests still take well under 5 ms

Cleans /var/run/dpdk/<prefix> and /dev/hugepages/<prefix>map_* on every exit.
Usage: shm_ipc.py --binary DP --client CLIENT [--keep DIR]
Exit: 0 pass, 1 fail, 77 skip (not root, no hugepages).
"""

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden as g  # noqa: E402  (frame builders and pcap writer)

SKIP = 77
SRC = "198.18.40.10"
SRC_MAC = g.mac("02:00:00:00:40:10")
# Packets per flow in in.pcap; every frame is 142 bytes (100 bytes of payload).
CFG_PKTS, NOMATCH_PKTS, STATE_PKTS = 20, 7, 13

CONFIG = """[log]
level = "info"

[dataplane]
lcores = "{lcores}"
file_prefix = "{prefix}"
memory_mb = 128
mbufs = 8191
idle_sleep_us = {idle}
# Map DPDK's memory far from where ASan keeps its shadow and heap, so that a
# sanitizer build's secondary can map it at the same addresses (harmless
# otherwise).
eal_args = ["--base-virtaddr=0x200000000000"]

[control]
state_file = "{state}"

[[port]]
name = "rin0"
device = "net_pcap0,rx_pcap={tmp}/in.pcap,tx_pcap={tmp}/rin0.pcap"
ip = "198.18.40.1/24"
mac = "02:00:00:00:40:01"

[[port]]
name = "rout0"
device = "net_pcap1,tx_pcap={tmp}/rout0.pcap"
ip = "198.18.40.129/24"
mac = "02:00:00:00:40:02"

[[rule]]
name = "cfg1"
id = 1
input = {{ port = "rin0", destination = "239.40.1.1", dport = 5000 }}
[[rule.output]]
port = "rout0"
destination = "239.40.101.1"
dport = 6000
ttl = 16
"""

STATE = {
    "castgate_state": 1,
    "saved_unix_ms": 1700000000000,
    "rules": [
        {"name": "state-good", "id": 7,
         "input": {"port": "rin0", "destination": "239.40.2.2", "dport": 5002},
         "output": [{"port": "rout0", "destination": "239.40.102.2", "dport": 6000,
                     "ttl": 12}]},
        {"name": "state-bad", "id": 8,
         "input": {"port": "rin9", "destination": "239.40.2.3", "dport": 5002},
         "output": [{"port": "rout0", "destination": "239.40.102.3", "dport": 6000,
                     "ttl": 12}]},
    ],
}


class Failure(Exception):
    pass


# Every process we start, so that any exit path kills what still runs.
PROCS = []


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    PROCS.append(p)
    return p


def kill_all():
    for p in PROCS:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGCONT)
                p.kill()
            except ProcessLookupError:
                pass
            p.wait()


def frame(group, dport, seed):
    udp = g.udp_dgram(SRC, group, 4000, dport, g.payload(100, seed), with_csum=False)
    ip = g.ipv4_hdr(SRC, group, 17, len(udp), ttl=32) + udp
    return g.eth(g.mcast_mac(group), SRC_MAC, 0x0800, ip)


def frames():
    out = []
    for i in range(max(CFG_PKTS, NOMATCH_PKTS, STATE_PKTS)):
        if i < CFG_PKTS:
            out.append(frame("239.40.1.1", 5000, i))
        if i < NOMATCH_PKTS:
            out.append(frame("239.40.9.9", 5009, i))
        if i < STATE_PKTS:
            out.append(frame("239.40.2.2", 5002, i))
    return out


class Run:
    """One castgate-dataplane process and its cleanup."""

    def __init__(self, args, tmp, prefix, conf, name):
        self.args, self.tmp, self.prefix, self.name = args, tmp, prefix, name
        self.ready = os.path.join(tmp, f"{name}.ready")
        self.logpath = os.path.join(tmp, f"{name}.log")
        self.log = open(self.logpath, "w")
        self.proc = spawn([args.binary, "-c", conf, "--ready-file", self.ready],
                          stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.wait_ready()
        except BaseException:
            self.kill()
            raise

    def wait_ready(self):
        name = self.name
        deadline = time.time() + 30
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None:
                raise Failure(f"{name}: castgate-dataplane exited {self.proc.returncode} "
                              f"before ready:\n{self.text()}")
            if time.time() > deadline:
                raise Failure(f"{name}: castgate-dataplane not ready after 30 s")
            time.sleep(0.05)

    def text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.logpath) as f:
            return f.read()

    def stop(self):
        """SIGTERM; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            raise Failure(f"{self.name}: castgate-dataplane did not exit within 15 s")

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
        if not self.log.closed:
            self.log.close()


def client(args, mode, run, extra, stdin=None):
    cmd = [args.client, mode, "--prefix", run.prefix, "--pid", str(run.proc.pid)] + extra
    return spawn(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                 text=True, bufsize=1)


def finish(p, what, timeout=60):
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        raise Failure(f"{what}: client timed out:\n{out}")
    sys.stdout.write(out)
    if p.returncode != 0:
        raise Failure(f"{what}: client exit {p.returncode}")


def read_until(p, word, what, timeout=30):
    """Lines of the client's stdout until one equals word (the client blocks meanwhile)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            raise Failure(f"{what}: client ended before \"{word}\" (exit {p.wait()})")
        sys.stdout.write(line)
        if line.strip() == word:
            return
    raise Failure(f"{what}: no \"{word}\" from the client")


def test(args, tmp, prefix):
    g.write_pcap(os.path.join(tmp, "in.pcap"), frames())
    state = os.path.join(tmp, "rules.json")
    conf = os.path.join(tmp, "dp.toml")
    with open(conf, "w") as f:
        f.write(CONFIG.format(prefix=prefix, tmp=tmp, state=state, lcores="0", idle=20))
    common = ["--config", os.path.realpath(conf), "--state-file", state]

    print("== run 1: no state file")
    run = Run(args, tmp, prefix, conf, "run1")
    try:
        finish(client(args, "api", run, common + [
            "--pkts", f"{CFG_PKTS},{NOMATCH_PKTS + STATE_PKTS},0"]), "api")

        p = client(args, "timeout", run, [], stdin=subprocess.PIPE)
        read_until(p, "attached", "timeout")
        os.kill(run.proc.pid, signal.SIGSTOP)
        try:
            p.stdin.write("go\n")
            p.stdin.flush()
            read_until(p, "timedout", "timeout")
        finally:
            os.kill(run.proc.pid, signal.SIGCONT)
        p.stdin.write("go\n")
        p.stdin.flush()
        finish(p, "timeout")

        p = client(args, "gone", run, [])
        read_until(p, "attached", "gone")
        rc = run.stop()
        finish(p, "gone")
        if rc != 0:
            raise Failure(f"run 1: exit code {rc} after SIGTERM:\n{run.text()}")
        log = run.text()
    finally:
        run.kill()
    for want in ("rule api1: add (api), from control", "rule api1: update (api), from control",
                 "rule api1: remove (api), from control", "refused: rule \"api1\": name is "
                 "already used", "0 API rule(s) installed, 0 skipped"):
        if want not in log:
            raise Failure(f"run 1: the data plane's log lacks \"{want}\":\n{log}")
    if "still in use at exit" in log:
        raise Failure(f"run 1: mbuf leak:\n{log}")

    print("== run 2: state file with a good and a bad rule")
    with open(state, "w") as f:
        json.dump(STATE, f)
    run = Run(args, tmp, prefix, conf, "run2")
    try:
        finish(client(args, "state", run, common + [
            "--pkts", f"{CFG_PKTS},{NOMATCH_PKTS},{STATE_PKTS}"]), "state")
        rc = run.stop()
        log = run.text()
    finally:
        run.kill()
    if rc != 0:
        raise Failure(f"run 2: exit code {rc} after SIGTERM:\n{log}")
    for want in ("rules[1]: rule \"state-bad\"", "rule skipped",
                 "1 API rule(s) installed, 1 skipped",
                 "rule state-good (id 7): installed from the state file"):
        if want not in log:
            raise Failure(f"run 2: the data plane's log lacks \"{want}\":\n{log}")

    print("== run 3: a state file that is not JSON")
    with open(state, "w") as f:
        f.write('{"castgate_state": 1, "rules": [')
    run = Run(args, tmp, prefix, conf, "run3")
    try:
        finish(client(args, "badstate", run, common), "badstate")
        rc = run.stop()
        log = run.text()
    finally:
        run.kill()
    if rc != 0 or "no API rule installed" not in log:
        raise Failure(f"run 3: exit code {rc}, or no error logged for the state file:\n{log}")

    print("== run 4: lcores 0-1 (service on the main lcore, one worker), idle_sleep_us 50000")
    os.unlink(state)
    conf2 = os.path.join(tmp, "dp2.toml")
    with open(conf2, "w") as f:
        f.write(CONFIG.format(prefix=prefix, tmp=tmp, state=state, lcores="0-1",
                                idle=50000))
    run = Run(args, tmp, prefix, conf2, "run4")
    try:
        finish(client(args, "api", run, ["--config", os.path.realpath(conf2),
                                          "--state-file", state, "--lcores", "2", "--pkts",
                                          f"{CFG_PKTS},{NOMATCH_PKTS + STATE_PKTS},0"]), "api")
        rc = run.stop()
        log = run.text()
    finally:
        run.kill()
    if rc != 0 or "still in use at exit" in log:
        raise Failure(f"run 4: exit code {rc} after SIGTERM, or a leak:\n{log}")


def hugepages_free():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True, help="castgate-dataplane")
    ap.add_argument("--client", required=True, help="shm_ipc_client")
    ap.add_argument("--keep", help="keep the work files in this directory")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (DPDK runtime dir, hugepages)")
        return SKIP
    with open("/proc/mounts") as f:
        mounted = any(line.split()[2] == "hugetlbfs" for line in f)
    if not mounted or hugepages_free() < 80:
        print(f"SKIP: needs hugetlbfs and 80 free 2 MiB hugepages "
              f"({hugepages_free()} free; scripts/hugepages reserves them)")
        return SKIP
    # meson's timeout sends SIGTERM: unwind through the cleanup below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    prefix = f"cgshmipc{os.getpid()}"
    tmp = a.keep or tempfile.mkdtemp(prefix="cg-shm-ipc-")
    os.makedirs(tmp, exist_ok=True)
    try:
        test(a, tmp, prefix)
    except Failure as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        kill_all()
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
        for p in glob.glob(f"/dev/hugepages/{prefix}map_*"):
            try:
                os.unlink(p)
            except OSError:
                pass
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("PASS: lib/shm between castgate-dataplane and a secondary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
