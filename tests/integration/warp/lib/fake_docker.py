#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A scripted Docker Engine API on a Unix socket, for castgate-warp tests that need Docker to say
what a real dockerd cannot be made to say on cue (a container whose pid changes between two
inspects).

    fake_docker.py SOCKET SCENARIO.json LOG

SCENARIO: {"containers": [{"runs": [INSPECT, INSPECT, ...]}, ...]}. Each inspect of a container
(by id or name) answers with its next run document; the last one repeats. GET /containers/json
lists the containers whose current document runs. Optional: "list_fail": N answers the first N
lists with a 500; a container's "inspect_status": CODE answers its inspects with that status. /version, /_ping and /events (an empty stream
held open) complete what castgate-warp asks. Every request is appended to LOG as "METHOD PATH".
"""
import json
import os
import re
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

SOCK, SCENARIO, LOG = sys.argv[1:4]
with open(SCENARIO) as f:
    SCEN = json.load(f)
CTRS = SCEN["containers"]
LIST_FAIL = [SCEN.get("list_fail", 0)]
LOCK = threading.Lock()
SEEN = [0] * len(CTRS)  # inspects answered per container


def current(i):
    runs = CTRS[i]["runs"]
    return runs[min(SEEN[i], len(runs) - 1)]


def find(key):
    for i, c in enumerate(CTRS):
        doc = c["runs"][0]
        if key in (doc["Id"], doc["Name"].lstrip("/")) or (
                len(key) >= 12 and doc["Id"].startswith(key)):
            return i
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):  # the default needs a peer address
        pass

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = re.sub(r"^/v1\.[0-9]+", "", self.path.split("?")[0])
        with open(LOG, "a") as log:
            log.write("GET %s\n" % path)
        if path == "/_ping":
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")
        elif path == "/version":
            self.send_json(200, {"ApiVersion": "1.41", "MinAPIVersion": "1.12",
                                 "Version": "fake"})
        elif path == "/containers/json" and LIST_FAIL[0] > 0:
            LIST_FAIL[0] -= 1
            self.send_json(500, {"message": "list broken"})
        elif path == "/containers/json":
            with LOCK:
                docs = [current(i) for i in range(len(CTRS))]
            self.send_json(200, [{
                "Id": d["Id"], "Names": [d["Name"]], "State": "running",
                "HostConfig": {"NetworkMode": d["HostConfig"]["NetworkMode"]},
            } for d in docs if d["State"]["Running"]])
        elif path.startswith("/containers/") and path.endswith("/json"):
            with LOCK:
                i = find(path[len("/containers/"):-len("/json")])
                if i is not None:
                    doc = current(i)
                    SEEN[i] += 1
            if i is None:
                self.send_json(404, {"message": "No such container"})
            elif "inspect_status" in CTRS[i]:
                self.send_json(CTRS[i]["inspect_status"], {"message": "inspect broken"})
            else:
                self.send_json(200, doc)
        elif path == "/events":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.flush()
            while True:  # no event ever; the client hangs up when it stops
                time.sleep(0.5)
        else:
            self.send_json(404, {"message": "page not found"})


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(SOCK):
    os.unlink(SOCK)
Server(SOCK, Handler).serve_forever()
