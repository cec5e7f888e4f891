# shellcheck shell=bash
# The whole control-plane stack in a test: castgate (the supervisor) with its
# two children castgate-dataplane and castgate-control, castgatectl, raw
# JSON-RPC over the control socket, and their cleanup.
#
#   cg_init 8
#   cg_ctl_init                        # after cg_init: names, leftovers, trap
#   cg_topo_relay
#   cg_ctl_conf > "$CG_TMP/castgate.toml"   # cg_conf_base + [control] + [supervisor]
#   cg_ctl_start "$CG_TMP/castgate.toml"    # supervisor up, control answering
#   cg_ctl rule list                   # castgatectl -s $CG_CTL_SOCK rule list
#   cg_ctl_run add rule add ...        # never fails: exit code in CG_RC, output in
#                                      # $CG_TMP/add.out/.err
#   cg_rpc_send x <<<'{"jsonrpc":"2.0","method":"rule.list","id":1}'
#   cg_json "$CG_TMP/x.json" 'd["replies"][0]["result"]["rules"]'
#   cg_rpc_raw <<<'{"jsonrpc":"2.0","method":"nope","id":2}'   # reply lines as sent
#   cg_ctl_stop                        # SIGTERM to the supervisor, checks exit 0
#
# Nothing here mocks a component: the real binaries of $CG_BUILD run.

# cg_ctl_init: set the paths of the stack (CG_CASTGATE CG_CTL_BIN CG_RUN_DIR
# CG_CTL_SOCK CG_STATE_FILE), stop what a killed earlier run of this test left
# running, and chain the stack's stop in front of cg_cleanup in the traps.
cg_ctl_init() {
	CG_CASTGATE=$CG_BUILD/app/castgate/castgate
	CG_CTL_BIN=$CG_BUILD/app/castgatectl/castgatectl
	CG_CONTROL_BIN=$CG_BUILD/app/castgate-control/castgate-control
	local b
	for b in "$CG_CASTGATE" "$CG_CTL_BIN" "$CG_CONTROL_BIN" "$CG_DP"; do
		[ -x "$b" ] || cg_skip "$b is not built"
	done
	CG_RUN_DIR=$CG_TMP/run
	CG_CTL_SOCK=$CG_RUN_DIR/control.sock
	CG_STATE_FILE=$CG_TMP/state/rules.json
	mkdir -p "$CG_TMP/state"
	CG_SUP_PID=
	CG_SUP_RC=
	CG_SUP_STARTS=0
	CG_CTL_ON_EXIT=()
	cg_ctl_leftovers
	trap 'cg_ctl_trap_exit $?' EXIT
	trap 'cg_ctl_cleanup; cg_cleanup; exit 130' INT
	trap 'cg_ctl_cleanup; cg_cleanup; exit 143' TERM
}

cg_ctl_trap_exit() {
	local st=$1 f
	# A failed test shows the end of the stack's logs: in CI the scratch dir
	# is gone with the runner.
	if { [ "$st" -ne 0 ] && [ "$st" -ne 77 ]; } || [ "${CG_FAILS:-0}" -gt 0 ]; then
		for f in "${CG_TMP:-/nonexistent}"/castgate*.err; do
			[ -s "$f" ] || continue
			cg_log "last lines of $f:"
			tail -n 40 "$f" | sed 's/^/  | /' >&2
		done
	fi
	cg_ctl_cleanup
	cg_cleanup "$st"
}

# cg_ctl_procs: PIDs of castgate, castgate-dataplane and castgate-control
# processes whose command line names a file of this test run ($CG_TMP), or of
# an earlier run of the same test number (/tmp/cgtN.*/) with "all".
cg_ctl_procs() {
	local scope=${1:-this} pid comm args
	# comm is the executable's name cut to 15 characters.
	while read -r pid comm args; do
		case "$comm" in
		castgate | castgate-datapl | castgate-contro) ;;
		*) continue ;;
		esac
		if [ "$scope" = all ]; then
			[[ "$args" =~ /tmp/$CG_PREFIX\.[A-Za-z0-9]+/ ]] && echo "$pid"
		else
			[[ "$args" == *"$CG_TMP/"* ]] && echo "$pid"
		fi
	done < <(ps -eo pid=,comm=,args=)
	return 0
}

# Kill (by PID) what a killed earlier run of this test number left running.
cg_ctl_leftovers() {
	local p left
	left=$(cg_ctl_procs all)
	[ -n "$left" ] || return 0
	cg_log "stopping leftover castgate processes of an earlier run: ${left//$'\n'/ }"
	for p in $left; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for _ in $(seq 50); do
		[ -z "$(cg_ctl_procs all)" ] && break
		sleep 0.1
	done
	cg_dpdk_files_remove
}

# cg_ctl_on_exit 'COMMAND': run COMMAND (eval) at cleanup, after the stack
# stopped (e.g. remove a user the test made).
cg_ctl_on_exit() {
	CG_CTL_ON_EXIT+=("$1")
}

# cg_ctl_cleanup: stop the supervisor (SIGTERM, then SIGKILL after 15 s),
# then SIGKILL any process of the stack that is still there (an orphan of a
# supervisor that was killed), by PID; then the cg_ctl_on_exit commands.
cg_ctl_cleanup() {
	local p left c
	if [ -n "${CG_SUP_PID:-}" ]; then
		cg_stop_pid "$CG_SUP_PID" 15 || true
		CG_SUP_PID=
	fi
	if [ -n "${CG_TMP:-}" ]; then
		left=$(cg_ctl_procs)
		if [ -n "$left" ]; then
			cg_log "castgate processes left after the supervisor: ${left//$'\n'/ }: SIGKILL"
			for p in $left; do
				kill -KILL "$p" 2>/dev/null || true
			done
			for _ in $(seq 50); do
				[ -z "$(cg_ctl_procs)" ] && break
				sleep 0.1
			done
		fi
	fi
	for c in "${CG_CTL_ON_EXIT[@]}"; do
		eval "$c" || true
	done
	CG_CTL_ON_EXIT=()
}

# cg_ctl_conf [cg_conf_base options] [--ctl 'KEY = VALUE']... [--sup 'KEY = VALUE']...:
# print cg_conf_base's config followed by [control] (socket, state file under
# $CG_TMP, and the --ctl lines) and [supervisor] (run dir under $CG_TMP, and
# the --sup lines). The test appends its [[rule]] tables.
cg_ctl_conf() {
	local base=() ctl="" sup=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--ctl) ctl+="$2"$'\n'; shift ;;
		--sup) sup+="$2"$'\n'; shift ;;
		--mtu | --set | --in-device) base+=("$1" "$2"); shift ;;
		*) base+=("$1") ;;
		esac
		shift
	done
	cg_conf_base "${base[@]}"
	cat <<CONF

[control]
socket = "$CG_CTL_SOCK"
state_file = "$CG_STATE_FILE"
$ctl
[supervisor]
run_dir = "$CG_RUN_DIR"
$sup
CONF
}

# cg_ctl_start CONF: start the supervisor with CONF, wait for the control
# process's ready file and for system.info to answer
# ($CG_CTL_READY_TIMEOUT s, default 40). On failure shows the log and fails
# the test. Sets CG_SUP_PID and CG_CONF.
cg_ctl_start() {
	local conf=$1 secs=${CG_CTL_READY_TIMEOUT:-40} t0
	CG_CONF=$conf
	cg_hugepages
	rm -f "$CG_RUN_DIR/control.ready" "$CG_RUN_DIR/dataplane.ready"
	t0=$(cg_now_ms)
	# Each start logs to its own castgate[-K].out/.err.
	CG_SUP_STARTS=$((CG_SUP_STARTS + 1))
	CG_SUP_LOG=castgate
	[ "$CG_SUP_STARTS" -eq 1 ] || CG_SUP_LOG=castgate-$CG_SUP_STARTS
	cg_log "starting castgate -c $conf (log $CG_TMP/$CG_SUP_LOG.err)"
	cg_bg "$CG_SUP_LOG" "$CG_CASTGATE" -c "$conf"
	CG_SUP_PID=$CG_LAST_PID
	if ! cg_wait_file "$CG_RUN_DIR/control.ready" "$secs" "$CG_SUP_PID" ||
		! cg_wait_for 10 cg_ctl_up; then
		if kill -0 "$CG_SUP_PID" 2>/dev/null; then
			cg_log "castgate: no control ready file in ${secs}s, or no answer to" \
				"system.info 10 s after it; its log:"
		else
			local rc=0
			wait "$CG_SUP_PID" || rc=$?
			cg_forget_pid "$CG_SUP_PID"
			CG_SUP_PID=
			cg_log "castgate exited with status $rc before ready; its log:"
		fi
		cg_ctl_show_log
		CG_FAILS=$((CG_FAILS + 1))
		exit 1
	fi
	cg_log "castgate ready in $(($(cg_now_ms) - t0)) ms (supervisor $CG_SUP_PID," \
		"dataplane $(cg_ctl_child_pid dataplane), control $(cg_ctl_child_pid control))"
}

cg_ctl_show_log() {
	sed 's/^/  | /' "$CG_TMP/$CG_SUP_LOG.out" "$CG_TMP/$CG_SUP_LOG.err" >&2 2>/dev/null || true
}

# cg_ctl_up: true when the control process answers (system.info: a
# degraded system.health exits 1 and is still an answer).
cg_ctl_up() {
	"$CG_CTL_BIN" -s "$CG_CTL_SOCK" -t 1000 system info >/dev/null 2>&1
}

# cg_ctl_stop [SECONDS]: SIGTERM to the supervisor; it must exit within
# SECONDS (default 10) with status 0, and no process of the stack may remain.
# Sets CG_SUP_RC and CG_STOP_MS (how long the stop took).
cg_ctl_stop() {
	local secs=${1:-10} t0 i left
	[ -n "${CG_SUP_PID:-}" ] || return 0
	t0=$(cg_now_ms)
	kill -TERM "$CG_SUP_PID" 2>/dev/null || true
	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$CG_SUP_PID" 2>/dev/null || break
		sleep 0.05
	done
	CG_STOP_MS=$(($(cg_now_ms) - t0))
	if kill -0 "$CG_SUP_PID" 2>/dev/null; then
		cg_fail "castgate still running ${secs}s after SIGTERM"
		cg_ctl_show_log
		cg_stop_pid "$CG_SUP_PID" 5 || true
		CG_SUP_RC=timeout
	else
		CG_SUP_RC=0
		wait "$CG_SUP_PID" 2>/dev/null || CG_SUP_RC=$?
		cg_forget_pid "$CG_SUP_PID"
		cg_assert_eq "castgate exit status after SIGTERM" 0 "$CG_SUP_RC"
		[ "$CG_SUP_RC" = 0 ] || cg_ctl_show_log
	fi
	CG_SUP_PID=
	left=$(cg_ctl_procs)
	if [ -n "$left" ]; then
		cg_fail "castgate processes still running after the supervisor exited:" \
			"$(for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)"
	else
		cg_pass "no castgate process of this test left after the stop (${CG_STOP_MS} ms)"
	fi
}

# cg_ctl ARGS...: castgatectl on this test's socket.
cg_ctl() {
	"$CG_CTL_BIN" -s "$CG_CTL_SOCK" "$@"
}

# cg_ctl_run NAME ARGS...: run castgatectl ARGS; stdout to $CG_TMP/NAME.out,
# stderr to NAME.err, exit status in CG_RC. Never fails the shell.
cg_ctl_run() {
	local name=$1
	shift
	CG_RC=0
	"$CG_CTL_BIN" -s "$CG_CTL_SOCK" "$@" >"$CG_TMP/$name.out" 2>"$CG_TMP/$name.err" ||
		CG_RC=$?
}

# cg_ctl_expect RC NAME ARGS...: run castgatectl ARGS as cg_ctl_run and
# check its exit status; shows its output when it differs.
cg_ctl_expect() {
	local want=$1 name=$2
	shift 2
	cg_ctl_run "$name" "$@"
	cg_assert_eq "castgatectl $* : exit status" "$want" "$CG_RC"
	if [ "$CG_RC" != "$want" ]; then
		sed 's/^/  out| /' "$CG_TMP/$name.out" >&2
		sed 's/^/  err| /' "$CG_TMP/$name.err" >&2
	fi
}

# cg_ctl_json NAME ARGS...: castgatectl --json ARGS into $CG_TMP/NAME.json;
# fails the test (exit) when the command fails: what follows needs it.
cg_ctl_json() {
	local name=$1 rc=0
	shift
	"$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json "$@" >"$CG_TMP/$name.json" \
		2>"$CG_TMP/$name.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cg_fail "castgatectl --json $*: exit status $rc"
		sed 's/^/  | /' "$CG_TMP/$name.err" >&2
		exit 1
	fi
}

# cg_ctl_control_replaced OLD_PID: a castgate-control other than OLD_PID runs
# and answers (for cg_wait_for after a kill of OLD_PID).
cg_ctl_control_replaced() {
	local p
	p=$(cg_ctl_child_pid control)
	[ -n "$p" ] && [ "$p" != "$1" ] && cg_ctl_up
}

# cg_ctl_child_pid dataplane|control: the PID of the supervisor's child that
# runs castgate-dataplane / castgate-control (empty when there is none).
cg_ctl_child_pid() {
	local want=castgate-$1 p exe
	[ -n "${CG_SUP_PID:-}" ] || return 0
	for p in $(ps -o pid= --ppid "$CG_SUP_PID" 2>/dev/null); do
		exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
		exe=${exe% (deleted)}
		if [ "${exe##*/}" = "$want" ]; then
			echo "$p"
			return 0
		fi
	done
	return 0
}

# cg_state_names [FILE]: the names of the API rules the state on disk holds
# (default $CG_STATE_FILE), sorted, as JSON: the snapshot, with the journal
# (FILE.journal) replayed on top as docs/API.md describes. Checks the
# formats strictly on the way: a test of what a restart would read.
cg_state_names() {
	"$CG_PY" - "${1:-$CG_STATE_FILE}" <<'PY'
import json, os, sys
path = sys.argv[1]
rules, gen = {}, 0
if os.path.exists(path):
    d = json.load(open(path))
    assert d["castgate_state"] in (1, 2), d["castgate_state"]
    gen = d.get("generation", 0)
    rules = {r["name"]: r for r in d["rules"]}
jpath = path + ".journal"
if os.path.exists(jpath):
    lines = open(jpath).read().split("\n")
    head = json.loads(lines[0])
    assert head == {"castgate_journal": 1, "generation": head["generation"]}, head
    if head["generation"] == gen:
        for line in lines[1:-1]:
            c = json.loads(line)
            if "put" in c:
                rules[c["put"]["name"]] = c["put"]
            else:
                rules.pop(c["remove"], None)
print(json.dumps(sorted(rules), separators=(",", ":")))
PY
}

# cg_ctl_rules_norm FILE: a rule.list result (castgatectl --json rule list)
# as one canonical line: [[origin, rule]...] sorted by name, for comparisons.
cg_ctl_rules_norm() {
	cg_json "$1" 'sorted([[r["origin"], r["rule"]] for r in d["rules"]], key=lambda x: x[1]["name"])'
}

# cg_ctl_link PORT MEMBER: port.get PORT's link.MEMBER, as JSON (e.g. true,
# "missing", 2).
cg_ctl_link() {
	"$CG_CTL_BIN" -s "$CG_CTL_SOCK" --json port show "$1" 2>/dev/null |
		"$CG_PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["port"]["link"][sys.argv[1]]))' "$2"
}

# cg_ctl_health_rc: castgatectl system health's exit status (0 ok, 1 degraded).
cg_ctl_health_rc() {
	local rc=0
	"$CG_CTL_BIN" -s "$CG_CTL_SOCK" system health >/dev/null 2>&1 || rc=$?
	echo "$rc"
}

# cg_now_ms: wall clock in milliseconds.
cg_now_ms() { date +%s%3N; }

# cg_wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds (0) or
# SECONDS pass (1).
cg_wait_for() {
	local secs=$1 end
	shift
	end=$(($(cg_now_ms) + secs * 1000))
	while :; do
		"$@" && return 0
		[ "$(cg_now_ms)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# cg_recv_count NAME: packets receiver NAME has counted so far, from its live
# lines (start it with --interval 0.1); 0 before the first line.
cg_recv_count() {
	local n
	n=$(sed -n 's/^\[ *[0-9.]*s\] received \([0-9]*\) .*/\1/p' "$CG_TMP/$1.err" | tail -n 1)
	echo "${n:-0}"
}

# cg_recv_wait_count NAME MIN SECONDS: wait until receiver NAME counted at
# least MIN packets.
cg_recv_wait_count() {
	local name=$1 min=$2
	_cg_recv_ge() { [ "$(cg_recv_count "$1")" -ge "$2" ]; }
	cg_wait_for "$3" _cg_recv_ge "$name" "$min"
}

# cg_send_bg NAME NETNS [castgate-gen send options...]: a sender in the
# background (JSON summary in $CG_TMP/NAME.out when it ends). Sets
# CG_LAST_PID; cg_send_wait NAME PID waits for it and copies the summary to
# $CG_TMP/NAME.json.
cg_send_bg() {
	local name=$1 ns=$2
	shift 2
	cg_bg "$name" ip netns exec "$ns" "$CG_GEN" send --json "$@"
}

cg_send_wait() {
	local name=$1 pid=$2 secs=${3:-60} rc=0
	cg_wait_pid "$pid" "$secs" || rc=$?
	cp "$CG_TMP/$name.out" "$CG_TMP/$name.json"
	if [ "$rc" -ne 0 ]; then
		cg_fail "sender $name: exit status $rc"
		sed 's/^/  | /' "$CG_TMP/$name.err" >&2
		return 1
	fi
}

# The raw JSON-RPC client (python3, AF_UNIX):
#   send SOCK [--timeout S] [--no-shutdown] [--raw]: send stdin's bytes exactly as
#       given, then (unless --no-shutdown) shut down the write side; read
#       until the server closes or S seconds (default 5) pass. Prints one
#       JSON object: {"sent": bytes written, "send_error": str|null,
#       "replies": [each reply line parsed, or {"unparsed": text}],
#       "eof": true if the server closed the connection}; with --raw, the
#       reply lines as they came instead.
#   flood SOCK N: open N connections and call system.info on each, then
#       open one more and read what the server says on it until it closes
#       (3 s at most), then call again on the N; print {"ok_before",
#       "extra": [replies], "extra_eof", "ok_after"}.
#   hold SOCK STOPFILE: stay connected and call system.health every 0.1 s
#       until STOPFILE exists; print {"requests", "ok", "failures": [...],
#       "connected"}. The "other client" of the abuse tests.
CG_RPC_PY='
import json, os, socket, sys, time

def parse(line):
    try:
        return json.loads(line)
    except ValueError:
        return {"unparsed": line.decode("utf-8", "replace")[:300]}

def send(path, args):
    timeout, shut, raw = 5.0, True, False
    i = 0
    while i < len(args):
        if args[i] == "--timeout":
            timeout = float(args[i + 1]); i += 1
        elif args[i] == "--no-shutdown":
            shut = False
        elif args[i] == "--raw":
            raw = True
        i += 1
    data = sys.stdin.buffer.read()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    sent, err = 0, None
    view = memoryview(data)
    try:
        while sent < len(data):
            sent += s.send(view[sent:sent + 65536])
    except OSError as e:
        err = "%s: %s" % (type(e).__name__, e)
    if shut:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    buf, eof = b"", False
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except OSError as e:
            eof = True
            err = err or "%s: %s" % (type(e).__name__, e)
            break
        if not b:
            eof = True
            break
        buf += b
    lines = [l for l in buf.split(b"\n") if l.strip()]
    if raw:
        sys.stdout.buffer.write(b"".join(l + b"\n" for l in lines))
        return
    print(json.dumps({"sent": sent, "send_error": err,
                      "replies": [parse(l) for l in lines], "eof": eof}))

def hold(path, stopfile):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(path)
    n = ok = 0
    fails = []
    buf = b""
    connected = True
    while not os.path.exists(stopfile):
        n += 1
        try:
            s.sendall(json.dumps({"jsonrpc": "2.0", "method": "system.health",
                                  "id": n}).encode() + b"\n")
            while b"\n" not in buf:
                b = s.recv(65536)
                if not b:
                    raise ConnectionError("closed by the server")
                buf += b
            line, buf = buf.split(b"\n", 1)
            r = json.loads(line)
            if r.get("id") == n and "result" in r:
                ok += 1
            else:
                fails.append({"request": n, "reply": r})
        except (OSError, ValueError) as e:
            fails.append({"request": n, "error": "%s: %s" % (type(e).__name__, e)})
            connected = False
            break
        time.sleep(0.1)
    print(json.dumps({"requests": n, "ok": ok, "failures": fails[:5],
                      "connected": connected}))

def flood(path, n):
    conns = []
    for _ in range(n):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(3)
        c.connect(path)
        conns.append(c)
    # Each of the n is served (and so counted by the server) before the extra one.
    def call(c, i):
        c.sendall(json.dumps({"jsonrpc": "2.0", "method": "system.info", "id": i}).encode() + b"\n")
        buf = b""
        while b"\n" not in buf:
            b = c.recv(65536)
            if not b:
                return {"closed": True}
            buf += b
        return json.loads(buf.split(b"\n", 1)[0])
    first = [call(c, i) for i, c in enumerate(conns)]
    x = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    x.settimeout(3)
    x.connect(path)
    buf, eof = b"", False
    try:
        while True:
            b = x.recv(65536)
            if not b:
                eof = True
                break
            buf += b
    except OSError:
        eof = True
    extra = [json.loads(l) for l in buf.split(b"\n") if l.strip()]
    again = [call(c, 100 + i) for i, c in enumerate(conns)]
    print(json.dumps({"ok_before": sum("result" in r for r in first),
                      "extra": extra, "extra_eof": eof,
                      "ok_after": sum("result" in r for r in again)}))

if sys.argv[1] == "flood":
    flood(sys.argv[2], int(sys.argv[3]))
elif sys.argv[1] == "send":
    send(sys.argv[2], sys.argv[3:])
elif sys.argv[1] == "hold":
    hold(sys.argv[2], sys.argv[3])
'

# cg_rpc_send NAME [--timeout S] [--no-shutdown] < BYTES: send BYTES on a new
# connection to the control socket; the summary (see CG_RPC_PY) goes to
# $CG_TMP/NAME.json. Fails the test when the client could not even connect.
cg_rpc_send() {
	local name=$1
	shift
	if ! "$CG_PY" -c "$CG_RPC_PY" send "$CG_CTL_SOCK" "$@" >"$CG_TMP/$name.json" \
		2>"$CG_TMP/$name.err"; then
		cg_fail "raw JSON-RPC client $name failed"
		sed 's/^/  | /' "$CG_TMP/$name.err" >&2
		echo '{"sent":0,"send_error":"client failed","replies":[],"eof":false}' \
			>"$CG_TMP/$name.json"
	fi
}

# cg_rpc_raw [--timeout S] [--no-shutdown] < BYTES: send BYTES on a new
# connection and print the reply lines exactly as the server wrote them.
cg_rpc_raw() {
	"$CG_PY" -c "$CG_RPC_PY" send "$CG_CTL_SOCK" --raw "$@"
}

# cg_rpc_line NAME LINE: cg_rpc_send of LINE and a newline.
cg_rpc_line() {
	local name=$1
	shift
	printf '%s\n' "$1" | cg_rpc_send "$name"
}

# cg_rpc_hold_start NAME: start the long-lived client in the background
# (see CG_RPC_PY hold); cg_rpc_hold_stop NAME ends it and leaves its summary
# in $CG_TMP/NAME.json.
cg_rpc_hold_start() {
	local name=$1
	rm -f "$CG_TMP/$name.stop"
	cg_bg "$name" "$CG_PY" -c "$CG_RPC_PY" hold "$CG_CTL_SOCK" "$CG_TMP/$name.stop"
	CG_HOLD_PID=$CG_LAST_PID
}

cg_rpc_hold_stop() {
	local name=$1 pid=$2 rc=0
	touch "$CG_TMP/$name.stop"
	cg_wait_pid "$pid" 10 || rc=$?
	cp "$CG_TMP/$name.out" "$CG_TMP/$name.json"
	if [ "$rc" -ne 0 ]; then
		cg_fail "long-lived client $name: exit status $rc"
		sed 's/^/  | /' "$CG_TMP/$name.err" >&2
		echo '{"requests":0,"ok":0,"failures":["client failed"],"connected":false}' \
			>"$CG_TMP/$name.json"
	fi
}

# cg_jsonv FILE EXPR...: each EXPR evaluated as cg_json does, one a line,
# with one python3 run (helpers: rule, out, drop and port("name") of STATS;
# reply(id) of a cg_rpc_send summary).
# An EXPR that fails prints as "<error: ...>".
cg_jsonv() {
	"$CG_PY" - "$@" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    d = None
    err = "%s: %s" % (type(e).__name__, e)
def rule(name):
    for r in d.get("rules", []):
        if r.get("name") == name:
            return r
    raise KeyError("no rule named %r" % name)
def out(name, i):
    return rule(name)["outputs"][i]
def drop(reason):
    return d.get("drops", {}).get(reason, 0)
def port(name):
    for p in d.get("ports", []):
        if p.get("name") == name:
            return p
    raise KeyError("no port named %r" % name)
def reply(i):
    for r in d.get("replies", []):
        if isinstance(r, dict) and r.get("id") == i:
            return r
    raise KeyError("no reply with id %r" % i)
for expr in sys.argv[2:]:
    try:
        if d is None:
            raise ValueError(err)
        v = eval(expr)
        if isinstance(v, (dict, list)):
            s = json.dumps(v, separators=(",", ":"))
        elif v is None:
            s = "null"
        elif isinstance(v, bool):
            s = "true" if v else "false"
        else:
            s = str(v)
    except Exception as e:
        s = "<error: %s: %s>" % (type(e).__name__, e)
    print(s.replace("\n", "\\n"))
PY
}

# cg_json_eqs FILE NAME EXPECTED EXPR [NAME EXPECTED EXPR]...: cg_assert_eq
# of each EXPR (cg_jsonv over FILE) against EXPECTED.
cg_json_eqs() {
	local file=$1 i=0 vals=() exprs=()
	shift
	[ $(($# % 3)) -eq 0 ] || cg_die "cg_json_eqs: NAME EXPECTED EXPR triples needed"
	local args=("$@")
	for ((i = 2; i < ${#args[@]}; i += 3)); do
		exprs+=("${args[i]}")
	done
	mapfile -t vals < <(cg_jsonv "$file" "${exprs[@]}")
	for ((i = 0; i < ${#args[@]}; i += 3)); do
		cg_assert_eq "${args[i]}" "${args[i + 1]}" "${vals[i / 3]:-}"
	done
}
