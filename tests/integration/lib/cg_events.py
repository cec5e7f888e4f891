#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A subscriber of castgate-control's event stream (events.subscribe), for tests.

    cg_events.py SOCK OUT STOPFILE [--types link,silence] [--hold FILE] [--reconnect]

Connects to SOCK, calls events.subscribe and writes one JSON line to OUT per
thing it gets, each with "recv_ms" (wall clock, ms): {"result": ...} for the
subscribe reply, {"msg": ...} for each notification, {"reconnected": N} when
it subscribed again. Stops when STOPFILE exists.

--hold FILE: after subscribing, read nothing (a small receive buffer, so that
  the server's queue for us fills) until FILE exists; then read on.
--reconnect: when the server closes (castgate-control exits with its data
  plane), connect again for up to 60 s and subscribe with the data plane it
  knew, so that a restart is told as dataplane.restarted.
"""
import json
import os
import select
import socket
import sys
import time


def now_ms():
    return int(time.time() * 1000)


def main():
    sock_path, out_path, stop = sys.argv[1:4]
    args = sys.argv[4:]
    types = None
    hold = None
    reconnect = False
    while args:
        a = args.pop(0)
        if a == "--types":
            types = args.pop(0).split(",")
        elif a == "--hold":
            hold = args.pop(0)
        elif a == "--reconnect":
            reconnect = True
        else:
            raise SystemExit("unknown option " + a)
    out = open(out_path, "a", buffering=1)
    known = None
    reconnects = 0
    while not os.path.exists(stop):
        s = socket.socket(socket.AF_UNIX)
        if hold:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            s.connect(sock_path)
        except OSError:
            s.close()
            if not reconnect or known is None:
                raise
            time.sleep(0.1)
            continue
        params = {}
        if types:
            params["types"] = types
        if known is not None:
            params["dataplane"] = known
        req = {"jsonrpc": "2.0", "method": "events.subscribe", "params": params, "id": 1}
        buf = b""
        closed = False
        try:
            s.sendall((json.dumps(req) + "\n").encode())
            while b"\n" not in buf:
                data = s.recv(65536)
                if not data:
                    closed = True
                    break
                buf += data
        except OSError:
            # The old castgate-control, going away as we came.
            closed = True
        if closed:
            s.close()
            if not reconnect:
                break
            time.sleep(0.1)
            continue
        line, buf = buf.split(b"\n", 1)
        reply = json.loads(line)
        if "result" not in reply:
            out.write(json.dumps({"recv_ms": now_ms(), "error": reply.get("error")}) + "\n")
            break
        if known is not None:
            reconnects += 1
            out.write(json.dumps({"recv_ms": now_ms(), "reconnected": reconnects}) + "\n")
        known = {k: reply["result"]["dataplane"][k] for k in ("pid", "start_unix_ms")}
        out.write(json.dumps({"recv_ms": now_ms(), "result": reply["result"]}) + "\n")
        if hold:
            while not os.path.exists(hold) and not os.path.exists(stop):
                time.sleep(0.05)
        while not os.path.exists(stop):
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                out.write(json.dumps({"recv_ms": now_ms(), "msg": json.loads(line)}) + "\n")
            r, _, _ = select.select([s], [], [], 0.2)
            if not r:
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                closed = True
                break
            buf += data
        s.close()
        if closed:
            out.write(json.dumps({"recv_ms": now_ms(), "closed": True}) + "\n")
            if not reconnect:
                break


if __name__ == "__main__":
    main()
