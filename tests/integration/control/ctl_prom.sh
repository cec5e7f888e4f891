#!/usr/bin/env bash
# (21) /metrics and /healthz of castgate-control ([control] metrics_listen).
# - A busy address at start: control starts anyway, logs an error naming the
#   key, and serves once the address is free (it retries every 10 s).
# - The whole text parses with a strict text-format reader (lib/cg_prom.py),
#   scraped while a stream runs and after it.
# - After a known stream (3 000 datagrams, fanned out to out0 and out1, and
#   200 to an rtp rule): every rule, output, port, drop and total counter
#   equals stats.get, and the rule and output counters equal what the sinks
#   received; the gauges say what port.get and rule.list say; stats.clear
#   leaves them alone.
# - /healthz: 200 and system.health's document when all is ok; out1's link
#   down makes it 503, castgate_port_up{port="out1"} 0 and the rule degraded;
#   back up, 200 again. Other paths are 404.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 21
cg_ctl_init
command -v curl >/dev/null || cg_skip "curl is missing"
N=3000
NR=200
RATE=1000
SIZE=500
FRAME=$((SIZE + 8 + 20 + 14)) # bytes a counter sees per datagram: the frame without FCS
PROM=$CG_LIB_DIR/cg_prom.py

# A loopback port nobody listens on now (fixed first choice, for readable logs).
port_free() {
	"$CG_PY" -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' \
		"$1" 2>/dev/null
}
MPORT=
for p in $(seq 19521 19540); do
	if port_free "$p"; then MPORT=$p; break; fi
done
[ -n "$MPORT" ] || cg_skip "no free loopback port in 19521..19540"
URL=http://127.0.0.1:$MPORT

cg_topo_relay --sink1
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf --sink1 --ctl "metrics_listen = \"127.0.0.1:$MPORT\""
	cat <<EOF

[[rule]]
name = "pm"
id = 21
input = { port = "in0", destination = "239.21.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.21.2.1"
dport = 6001
[[rule.output]]
port = "out1"
destination = "239.21.3.1"
dport = 6001

[[rule]]
name = "pr"
id = 22
rtp = true
input = { port = "in0", destination = "239.21.1.2", dport = 5002 }
[[rule.output]]
port = "out0"
destination = "239.21.2.2"
dport = 6002
EOF
} >"$conf"

# The address is busy at start: a listener of ours holds it.
"$CG_PY" -c 'import socket,sys,time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("up", flush=True); time.sleep(600)' \
	"$MPORT" >"$CG_TMP/holder.out" 2>&1 &
holder=$!
CG_PIDS+=("$holder")
cg_assert_true "a listener holds 127.0.0.1:$MPORT" cg_wait_for 5 grep -q up "$CG_TMP/holder.out"
cg_ctl_start "$conf"
log=$CG_TMP/$CG_SUP_LOG.err
cg_assert_true "control runs with its metrics address busy" cg_ctl_up
cg_assert_true "the error names control.metrics_listen" \
	grep -q "control.metrics_listen: 127.0.0.1:$MPORT: Address already in use; running" \
	"$log"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
cg_forget_pid "$holder"
t0=$(cg_now_ms)
healthz_up() { curl -s -o /dev/null --max-time 1 "$URL/healthz"; }
cg_assert_true "served within 12 s of the address being free" cg_wait_for 12 healthz_up
cg_log "the endpoint came up $(($(cg_now_ms) - t0)) ms after the address was free"
cg_assert_true "the log says it serves now" \
	grep -q "serving /metrics and /healthz on http://127.0.0.1:$MPORT" "$log"

# scrape NAME: GET /metrics into $CG_TMP/NAME.prom (headers in NAME.hdr) and
# parse it strictly into NAME.json; a parse error fails the test.
scrape() {
	local code
	code=$(curl -s --max-time 5 -o "$CG_TMP/$1.prom" -D "$CG_TMP/$1.hdr" -w '%{http_code}' \
		"$URL/metrics") || code=000
	cg_assert_eq "GET /metrics ($1): status" 200 "$code"
	if "$CG_PY" "$PROM" "$CG_TMP/$1.prom" >"$CG_TMP/$1.json" 2>"$CG_TMP/$1.perr"; then
		cg_pass "/metrics ($1) parses: $(wc -l <"$CG_TMP/$1.prom") lines"
	else
		cg_fail "/metrics ($1) does not parse: $(cat "$CG_TMP/$1.perr")"
	fi
}

# prom_v NAME FAMILY [LABELS]: the value of a sample of scrape NAME (LABELS: a
# Python dict, {} by default).
prom_v() {
	cg_json "$CG_TMP/$1.json" '[s[2] for s in d["samples"] if s[0] == "'"$2"'" and
	s[1] == '"${3:-"{}"}"'][0]'
}

# The sinks, then the streams.
cg_recv_start r0 "$CG_NS_SINK" 239.21.2.1:6001 --iface "$CG_IF_SINK" --expect $N --count $N \
	--interval 0.1
cg_recv_start r1 "$CG_NS_SINK1" 239.21.3.1:6001 --iface "$CG_IF_SINK1" --expect $N --count $N
cg_recv_start rr "$CG_NS_SINK" 239.21.2.2:6002 --iface "$CG_IF_SINK" --expect $NR --count $NR
cg_send_bg s0 "$CG_NS_GEN" --dst 239.21.1.1:5001 --iface "$CG_IF_GEN" --rate $RATE --count $N \
	--size $SIZE --sport 4001
s0=$CG_LAST_PID
cg_send sr "$CG_NS_GEN" --dst 239.21.1.2:5002 --iface "$CG_IF_GEN" --rate 1000 --count $NR \
	--size $SIZE --sport 4002

# While it runs.
cg_assert_true "sink got a third of the stream" cg_recv_wait_count r0 $((N / 3)) 15
scrape mid
cg_assert_le "mid-stream: castgate_rule_rx_packets_total{pm} before the end" $((N - 1)) \
	"$(prom_v mid castgate_rule_rx_packets_total '{"rule": "pm"}')"
cg_assert_eq "Content-Type" "text/plain; version=0.0.4; charset=utf-8" \
	"$(tr -d '\r' <"$CG_TMP/mid.hdr" | sed -n 's/^Content-Type: //Ip')"

cg_send_wait s0 "$s0" 30
cg_recv_wait r0 30
cg_recv_wait r1 30
cg_recv_wait rr 30
got0=$(cg_json "$CG_TMP/r0.json" 'd["received"]')
got1=$(cg_json "$CG_TMP/r1.json" 'd["received"]')
gotr=$(cg_json "$CG_TMP/rr.json" 'd["received"]')
cg_assert_eq "sink out0 received" $N "$got0"
cg_assert_eq "sink out1 received" $N "$got1"
cg_assert_eq "sink of the rtp rule received" $NR "$gotr"

# After it: stats.get, then a render after it (the loop renders each second),
# then stats.get again. A counter that did not move between the two stats.get
# must be equal in /metrics; one that moved (a port's ARP or IGMP frame) must
# lie between.
sleep 1.5
cg_ctl_json before stats
sleep 1.2
scrape after
cg_ctl_json after2 stats
cg_ctl_json rules rule list
cg_ctl_json ports port list

"$CG_PY" - "$CG_TMP/after.json" "$CG_TMP/before.json" "$CG_TMP/after2.json" "$CG_TMP/rules.json" \
	"$CG_TMP/ports.json" >"$CG_TMP/compare.out" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
s1, s2 = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
rules, ports = json.load(open(sys.argv[4])), json.load(open(sys.argv[5]))
idx = {}
for name, labels, v in m["samples"]:
    idx[(name, tuple(sorted(labels.items())))] = v
def metric(name, **labels):
    return idx.get((name, tuple(sorted((k, str(v)) for k, v in labels.items()))))
checks = 0
def check(what, got, lo, hi=None):
    global checks
    checks += 1
    hi = lo if hi is None else hi
    ok = got is not None and lo <= got <= hi
    want = str(lo) if lo == hi else "%s..%s" % (lo, hi)
    print("%s %s: /metrics %s, the API %s" % ("ok  " if ok else "FAIL", what, got, want))
def both(what, name, get, **labels):
    a, b = get(s1), get(s2)
    check(what, metric(name, **labels), min(a, b), max(a, b))
def rule(s, n): return [r for r in s["rules"] if r["name"] == n][0]
def port(s, n): return [p for p in s["ports"] if p["name"] == n][0]
for r in s2["rules"]:
    n = r["name"]
    for k in ("rx_packets", "rx_bytes", "rtp_lost", "rtp_reordered", "rtp_duplicate",
              "rtp_not_rtp"):
        if k in r:
            both("rule %s %s" % (n, k), "castgate_rule_%s_total" % k,
                 lambda s, n=n, k=k: rule(s, n)[k], rule=n)
        elif metric("castgate_rule_%s_total" % k, rule=n) is not None:
            check("rule %s has no %s" % (n, k), "present", "absent")
    for o, out in enumerate(r["outputs"]):
        for k in ("tx_packets", "tx_bytes", "drops"):
            both("rule %s output %d %s" % (n, o, k), "castgate_rule_output_%s_total" % k,
                 lambda s, n=n, o=o, k=k: rule(s, n)["outputs"][o][k], rule=n, output=o,
                 port=out["port"])
for p in s2["ports"]:
    n = p["name"]
    for k in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_missed", "rx_errors",
              "tx_errors", "rx_nombuf"):
        both("port %s %s" % (n, k), "castgate_port_%s_total" % k,
             lambda s, n=n, k=k: port(s, n)[k], port=n)
for reason in s2["drops"]:
    both("drops %s" % reason, "castgate_drops_total", lambda s, r=reason: s["drops"][r],
         reason=reason)
for k in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "service_tx"):
    both("totals %s" % k, "castgate_%s_total" % k, lambda s, k=k: s["totals"][k])
for e in rules["rules"]:
    r = e["rule"]
    check("rule %s state %s" % (r["name"], e["state"]["status"]),
          metric("castgate_rule_state", rule=r["name"], state=e["state"]["status"]), 1)
    check("rule %s info" % r["name"], metric("castgate_rule_info", rule=r["name"], id=r["id"],
          origin=e["origin"], input_port=r["input"]["port"]), 1)
for p in ports["ports"]:
    check("port %s up" % p["name"], metric("castgate_port_up", port=p["name"]),
          1 if p["link"]["up"] else 0)
    check("port %s state %s" % (p["name"], p["link"]["state"]),
          metric("castgate_port_state", port=p["name"], state=p["link"]["state"]), 1)
print("checks %d" % checks)
PY
while read -r st rest; do
	case "$st" in
	ok) cg_pass "/metrics vs the API: $rest" ;;
	FAIL) cg_fail "/metrics vs the API: $rest" ;;
	checks) cg_assert_ge "samples compared with stats.get, rule.list, port.list" 60 "$rest" ;;
	esac
done <"$CG_TMP/compare.out"

# And the sinks: what the rules counted is what arrived.
O0='{"rule": "pm", "output": "0", "port": "out0"}'
O1='{"rule": "pm", "output": "1", "port": "out1"}'
cg_assert_eq "castgate_rule_rx_packets_total{pm} = sent" $N \
	"$(prom_v after castgate_rule_rx_packets_total '{"rule": "pm"}')"
cg_assert_eq "castgate_rule_rx_bytes_total{pm} = sent x frame" $((N * FRAME)) \
	"$(prom_v after castgate_rule_rx_bytes_total '{"rule": "pm"}')"
cg_assert_eq "output 0 tx_packets = sink out0" "$got0" \
	"$(prom_v after castgate_rule_output_tx_packets_total "$O0")"
cg_assert_eq "output 1 tx_packets = sink out1" "$got1" \
	"$(prom_v after castgate_rule_output_tx_packets_total "$O1")"
cg_assert_eq "output 1 tx_bytes = sink out1 x frame" $((got1 * FRAME)) \
	"$(prom_v after castgate_rule_output_tx_bytes_total "$O1")"
cg_assert_eq "rtp rule: rx_packets = sink" "$gotr" \
	"$(prom_v after castgate_rule_rx_packets_total '{"rule": "pr"}')"
cg_assert_eq "rtp rule: castgate-gen's payload is not RTP" "$gotr" \
	"$(prom_v after castgate_rule_rtp_not_rtp_total '{"rule": "pr"}')"
cg_assert_eq "no rtp_* for a rule without rtp" '[]' \
	"$(cg_json "$CG_TMP/after.json" '[s for s in d["samples"]
	   if s[0].startswith("castgate_rule_rtp") and s[1]["rule"] == "pm"]')"
cg_assert_eq "castgate_build_info" true "$(cg_json "$CG_TMP/after.json" '[s[1]["dpdk"][:5]
	for s in d["samples"] if s[0] == "castgate_build_info" and s[2] == 1] == ["DPDK "]')"
uptime=$(cg_ctl --json system info | "$CG_PY" -c 'import json, sys
print(json.load(sys.stdin)["dataplane"]["uptime_s"])')
cg_assert_eq "data plane start time = system.info's uptime, within 3 s" true \
	"$("$CG_PY" -c 'import sys, time; print(str(abs(float(sys.argv[1]) -
	(time.time() - int(sys.argv[2]))) < 3).lower())' \
	"$(prom_v after castgate_dataplane_start_time_seconds)" "$uptime")"
cg_assert_eq "castgate_rules{origin=config}" 2 \
	"$(prom_v after castgate_rules '{"origin": "config"}')"
cg_assert_eq "castgate_rules{origin=api}" 0 "$(prom_v after castgate_rules '{"origin": "api"}')"
cg_assert_eq "castgate_dataplane_ready" 1 "$(prom_v after castgate_dataplane_ready)"

# stats.clear moves stats.get's baselines, never a Prometheus counter.
cg_ctl_expect 0 clear stats clear
sleep 1.2
scrape cleared
cg_assert_eq "after stats clear: castgate_rule_rx_packets_total{pm} still" $N \
	"$(prom_v cleared castgate_rule_rx_packets_total '{"rule": "pm"}')"
cg_assert_eq "after stats clear: stats.get's rx_packets" 0 \
	"$(cg_ctl --json stats --rule pm | "$CG_PY" -c 'import json, sys
print(json.load(sys.stdin)["rules"][0]["rx_packets"])')"

# /healthz: system.health's document, 200 while ok.
hz() { # NAME: GET /healthz into NAME.body; prints the status
	curl -s --max-time 5 -o "$CG_TMP/$1.body" -w '%{http_code}' "$URL/healthz" || true
}
cg_assert_eq "GET /healthz: 200" 200 "$(hz h0)"
cg_assert_eq "/healthz says ok" ok "$(cg_json "$CG_TMP/h0.body" 'd["status"]')"
cg_assert_eq "/healthz has system.health's checks" true \
	"$(cg_json "$CG_TMP/h0.body" '"dataplane" in d["checks"] and "ports" in d["checks"]')"
cg_assert_eq "GET /nope: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")"
cg_assert_eq "POST /metrics: 405" 405 \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$URL/metrics")"
cg_assert_eq "HEAD /metrics: 200" 200 "$(curl -s -o /dev/null -I -w '%{http_code}' "$URL/metrics")"

# out1's link goes down: the gauges and /healthz follow within a few ticks.
ip -n "$CG_NS_SINK1" link set "$CG_IF_SINK1" down
degraded() {
	[ "$(hz h1)" = 503 ] || return 1
	curl -s --max-time 2 "$URL/metrics" >"$CG_TMP/down.prom" || return 1
	grep -qx 'castgate_port_up{port="out1"} 0' "$CG_TMP/down.prom" &&
		grep -qx 'castgate_rule_state{rule="pm",state="degraded"} 1' "$CG_TMP/down.prom" &&
		grep -qx 'castgate_port_state{port="out1",state="down"} 1' "$CG_TMP/down.prom"
}
cg_assert_true "out1 down: /healthz 503, port_up 0, rule pm degraded (within 5 s)" \
	cg_wait_for 5 degraded
cg_assert_eq "/healthz says degraded" degraded "$(cg_json "$CG_TMP/h1.body" 'd["status"]')"
cg_assert_true "out1 down: the text still parses" "$CG_PY" "$PROM" "$CG_TMP/down.prom"
ip -n "$CG_NS_SINK1" link set "$CG_IF_SINK1" up
healthy() { [ "$(hz h2)" = 200 ]; }
cg_assert_true "out1 up again: /healthz 200 (within 5 s)" cg_wait_for 5 healthy
curl -s --max-time 2 "$URL/metrics" >"$CG_TMP/up.prom"
cg_assert_true "out1 up again: castgate_port_up 1" \
	grep -qx 'castgate_port_up{port="out1"} 1' "$CG_TMP/up.prom"
changes() { sed -n 's/^castgate_port_link_changes_total{port="out1"} //p' "$1"; }
cg_assert_eq "out1: two more link changes counted" $(($(changes "$CG_TMP/after.prom") + 2)) \
	"$(changes "$CG_TMP/up.prom")"

cg_ctl_stop
cg_assert_eq "nothing listens on $MPORT after the stop" 000 \
	"$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "$URL/metrics" || true)"
cg_finish
