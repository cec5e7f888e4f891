#!/usr/bin/env bash
# (15) castgatectl console, driven through a pseudo-terminal (tmux send-keys,
# capture-pane), against the real stack with one config rule (cfgcam):
#  - the prompt; `show rules` lists cfgcam with its input and output;
#  - Tab completes a partial command (sh -> show, po -> port, st -> stats,
#    a -> all) and a partial rule name (cfgc -> cfgcam);
#  - `show port stats all` shows in0 and out0 with the counts of a stream
#    that went through cfgcam;
#  - `add rule ...` adds an API rule, which then forwards to the sink
#    (count, group, TTL checked by the receiver), and completion knows its
#    name at once;
#  - `clear stats` zeroes what `show rule` shows;
#  - after the server cut the idle console (idle_timeout_ms), the next
#    command just works, without an error;
#  - kill -9 of castgate-control: the console stays, says what happened and
#    answers again once the supervisor restarted control; killed again and
#    back before the next command, that command says it reconnected;
#  - `quit` exits 0 and leaves the history file;
#  - `console -f FILE` echoes each line as "castgate> LINE", runs them all
#    and exits with the first failure's code; a piped stdin works the same.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 15
cg_ctl_init
command -v tmux >/dev/null || cg_skip "tmux is missing (scripts/install-deps)"
N=2000
IDLE_MS=2000
TM=(tmux -L "$CG_PREFIX")
SESSION=$CG_PREFIX
# Our own tmux server (socket cgt15): stop a leftover one, and ours at exit.
"${TM[@]}" kill-server 2>/dev/null || true
cg_ctl_on_exit "tmux -L $CG_PREFIX kill-server 2>/dev/null"

cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	# The server cuts idle clients after 2 s: the console must not mind.
	cg_ctl_conf --ctl "idle_timeout_ms = $IDLE_MS"
	cat <<EOF

[[rule]]
name = "cfgcam"
id = 1
input = { port = "in0", destination = "239.15.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.15.2.1"
dport = 6001
ttl = 7
EOF
} >"$conf"
cg_ctl_start "$conf"

# The pane as text (with scrollback, wrapped lines joined) into $CG_TMP/NAME.
pane() {
	"${TM[@]}" capture-pane -p -J -S -3000 -t "$SESSION" >"$CG_TMP/$1"
}

# The line the cursor is on (what is being typed), trailing blanks removed.
cursor_line() {
	local y
	y=$("${TM[@]}" display-message -p -t "$SESSION" '#{cursor_y}')
	"${TM[@]}" capture-pane -p -t "$SESSION" -S "$y" -E "$y" | sed 's/[[:space:]]*$//'
}

# wait_text SECONDS FIXED-STRING: until the pane shows it (0) or time is up (1).
_pane_has() {
	pane wait.txt
	grep -qF -- "$1" "$CG_TMP/wait.txt"
}
wait_text() {
	cg_wait_for "$1" _pane_has "$2"
}

# The pane count of prompts (an empty one is "castgate>" once trailing blanks
# are cut), to wait for the next one.
prompts() {
	pane prompts.txt
	grep -c '^castgate>' "$CG_TMP/prompts.txt" || true
}

# run LINE: type LINE (nothing: what is typed already), press Enter, wait
# until the next prompt is shown.
run() {
	local before
	before=$(prompts)
	[ -z "$1" ] || "${TM[@]}" send-keys -t "$SESSION" -l -- "$1"
	"${TM[@]}" send-keys -t "$SESSION" Enter
	_more_prompts() { [ "$(prompts)" -gt "$before" ]; }
	# (a call waits up to castgatectl's 10 s timeout)
	cg_wait_for 20 _more_prompts || cg_fail "no prompt after \"$1\""
}

# out_of LINE: the pane text after the last "castgate> LINE" up to the next prompt.
out_of() {
	pane out.txt
	# (a completed word leaves a typed blank at the end of the line)
	awk -v cmd="castgate> $1" '
		{ l = $0; sub(/[ \t]+$/, "", l) }
		l == cmd { buf = ""; on = 1; next }
		on && /^castgate> / { on = 0 }
		on { buf = buf $0 "\n" }
		END { printf "%s", buf }' "$CG_TMP/out.txt"
}

not_grep() { ! grep -q "$@"; }

# type_tab TEXT: type TEXT then press Tab.
type_tab() {
	"${TM[@]}" send-keys -t "$SESSION" -l -- "$1"
	"${TM[@]}" send-keys -t "$SESSION" Tab
}

# check_line NAME EXPECTED: the line being typed becomes EXPECTED (completion
# may fetch names over RPC first: wait up to 5 s).
_line_is() { [ "$(cursor_line)" = "$1" ]; }
check_line() {
	if cg_wait_for 5 _line_is "$2"; then
		cg_pass "$1: $2"
	else
		cg_fail "$1: expected \"$2\", got \"$(cursor_line)\""
	fi
}

mkdir -p "$CG_TMP/home"
"${TM[@]}" new-session -d -s "$SESSION" -x 200 -y 50 \
	"HOME=$CG_TMP/home $CG_CTL_BIN -s $CG_CTL_SOCK console; echo \$? >$CG_TMP/console.rc" \; \
	set-option -t "$SESSION" remain-on-exit on
cg_assert_true "the console shows its prompt" wait_text 10 'castgate> '

# show rules
run "show rules"
out_of "show rules" >"$CG_TMP/rules1.txt"
cg_assert_true "show rules: cfgcam, its input and output" \
	grep -Eq '^cfgcam +1 +config +active +in0 239\.15\.1\.1:5001 +out0 239\.15\.2\.1:6001 ttl 7$' \
	"$CG_TMP/rules1.txt"
cg_assert_true "show rules: the count" grep -qx '1 rule' "$CG_TMP/rules1.txt"

# Tab: a partial rule name.
type_tab "show rule cfgc"
check_line "Tab completes the rule name" "castgate> show rule cfgcam"
run ""
cg_assert_true "show rule cfgcam" grep -q '^rule cfgcam  id 1  origin config' \
	<(out_of "show rule cfgcam")

# A stream through cfgcam, for the port counters.
cg_recv_start r1 "$CG_NS_SINK" 239.15.2.1:6001 --iface "$CG_IF_SINK" --expect $N --count $N
cg_send s1 "$CG_NS_GEN" --dst 239.15.1.1:5001 --iface "$CG_IF_GEN" --rate 10000 --count $N \
	--size 500
cg_recv_wait r1
cg_assert_eq "cfgcam forwards: received" $N "$(cg_json "$CG_TMP/r1.json" 'd["received"]')"

# Tab: partial command words, then the port counters.
type_tab "sh"
check_line "Tab completes a command" "castgate> show"
type_tab "po"
type_tab "st"
type_tab "a"
check_line "Tab completes show port stats all" "castgate> show port stats all"
run ""
out_of "show port stats all" >"$CG_TMP/pstats.txt"
cg_assert_true "port stats: in0's block" grep -q 'NIC statistics for port 0 (in0)' \
	"$CG_TMP/pstats.txt"
cg_assert_true "port stats: out0's block" grep -q 'NIC statistics for port 1 (out0)' \
	"$CG_TMP/pstats.txt"
# "RX-packets: n" of in0 (the first block) and "TX-packets: n" of out0.
rx_in0=$(grep -m1 -o 'RX-packets: [0-9]*' "$CG_TMP/pstats.txt" | grep -o '[0-9]*$' || true)
tx_out0=$(grep -o 'TX-packets: [0-9]*' "$CG_TMP/pstats.txt" | sed -n 2p | grep -o '[0-9]*$' || true)
cg_assert_ge "port stats: in0 RX-packets" $N "$rx_in0"
cg_assert_ge "port stats: out0 TX-packets" $N "$tx_out0"

# add rule: an API rule that forwards (the rule grammar of the command line).
ADD="add rule apicam --in in0,239.15.1.2,5002 --out out0,239.15.2.2,6002,ttl=9"
run "$ADD"
cg_assert_true "add rule: confirmed" grep -qx 'rule apicam added (id 1048576, origin api)' \
	<(out_of "$ADD")
cg_recv_start r2 "$CG_NS_SINK" 239.15.2.2:6002 --iface "$CG_IF_SINK" --expect 1000 --count 1000
cg_send s2 "$CG_NS_GEN" --dst 239.15.1.2:5002 --iface "$CG_IF_GEN" --rate 10000 --count 1000 \
	--size 300
cg_recv_wait r2
cg_assert_eq "apicam forwards: received" 1000 "$(cg_json "$CG_TMP/r2.json" 'd["received"]')"
cg_assert_eq "apicam forwards: TTL" '[9]' "$(cg_json "$CG_TMP/r2.json" 'd["ttl_seen"]')"
cg_assert_eq "apicam forwards: group" '["239.15.2.2"]' "$(cg_json "$CG_TMP/r2.json" 'd["dst_seen"]')"
# Completion learnt the new name right after the change.
type_tab "show rule api"
check_line "Tab knows the added rule" "castgate> show rule apicam"
run ""
cg_assert_true "show rule apicam: 1,000 received" grep -q '^received  1,000 pkts' \
	<(out_of "show rule apicam")
run "show rules"
cg_assert_true "show rules: apicam, origin api" \
	grep -Eq '^apicam +1048576 +api +active +in0 239\.15\.1\.2:5002 +out0 239\.15\.2\.2:6002 ttl 9$' \
	<(out_of "show rules")

# clear stats
run "clear stats"
cg_assert_true "clear stats: confirmed" grep -q '^statistics cleared at ' <(out_of "clear stats")
run "show rule cfgcam"
cg_assert_true "after clear stats: cfgcam received 0" grep -q '^received  0 pkts' \
	<(out_of "show rule cfgcam")

# Idle longer than the server allows: it closes the connection; the next
# command reconnects without a word.
sleep $((IDLE_MS / 1000 + 1))
run "show rule apicam"
out_of "show rule apicam" >"$CG_TMP/idle.txt"
cg_assert_true "after an idle cut: the command works" grep -q '^rule apicam  id 1048576' \
	"$CG_TMP/idle.txt"
cg_assert_true "after an idle cut: no error shown" not_grep 'castgatectl:' "$CG_TMP/idle.txt"

# A mistake is explained, and the console goes on.
run "show nonsense"
cg_assert_true "a bad command is explained" grep -q 'not a show command' \
	<(out_of "show nonsense")

# kill -9 of castgate-control: the console survives it and reconnects.
ctl_pid=$(cg_ctl_child_pid control)
kill -KILL "$ctl_pid"
run "show health"
cg_assert_true "control is back" cg_wait_for 15 cg_ctl_up
run "show health"
out_of "show health" >"$CG_TMP/health2.txt"
cg_assert_true "after control's restart the console answers" grep -q '^status     ok' \
	"$CG_TMP/health2.txt"
pane after_kill.txt
if grep -q 'cannot reach castgate-control\|connection to castgate-control' \
	"$CG_TMP/after_kill.txt"; then
	cg_assert_true "the console said it reconnected" grep -q 'reconnected to ' \
		"$CG_TMP/after_kill.txt"
fi
# Killed again and back before the next command: that command reconnects
# and says so (castgatectl(8)); the old connection ended without a word.
ctl_pid=$(cg_ctl_child_pid control)
kill -KILL "$ctl_pid"
cg_assert_true "control is back after the second kill" \
	cg_wait_for 15 cg_ctl_control_replaced "$ctl_pid"
run "show version"
cg_assert_true "the next command said it reconnected" grep -q 'reconnected to ' \
	<(out_of "show version")

# quit
"${TM[@]}" send-keys -t "$SESSION" -l "quit"
"${TM[@]}" send-keys -t "$SESSION" Enter
cg_assert_true "the console exits on quit" cg_wait_for 5 test -s "$CG_TMP/console.rc"
cg_assert_eq "console exit status" 0 "$(cat "$CG_TMP/console.rc" 2>/dev/null)"
cg_assert_true "history saved" grep -q 'apicam' "$CG_TMP/home/.castgate_history"
pane final.txt

# -f FILE: every line echoed and run; the first failure's code is the status.
cat >"$CG_TMP/script.cg" <<'EOF'
# console script of test 15
show rules
del rule apicam
show rule apicam

show rules
EOF
rc=0
"$CG_CTL_BIN" -s "$CG_CTL_SOCK" console -f "$CG_TMP/script.cg" >"$CG_TMP/script.out" \
	2>"$CG_TMP/script.err" || rc=$?
cg_assert_eq "console -f: exit status of the first failure (not found)" 4 "$rc"
cg_assert_eq "console -f: the lines echoed, comments and blanks skipped" \
	"castgate> show rules|castgate> del rule apicam|castgate> show rule apicam|castgate> show rules" \
	"$(grep '^castgate> ' "$CG_TMP/script.out" | paste -sd'|')"
cg_assert_true "console -f: rule removed" grep -qx 'rule apicam removed' "$CG_TMP/script.out"
cg_assert_true "console -f: the missing rule named on stderr" \
	grep -q 'rule "apicam" not found' "$CG_TMP/script.err"
# the last show rules ran after the failure, and lists cfgcam only
cg_assert_eq "console -f: went on after the failure" "1 rule" "$(tail -n 1 "$CG_TMP/script.out")"
cg_ctl_json list rule list
cg_assert_eq "apicam is gone" '["cfgcam"]' \
	"$(cg_json "$CG_TMP/list.json" '[r["rule"]["name"] for r in d["rules"]]')"

# Commands from a piped stdin, the same way.
rc=0
printf 'show health\nshow drops\n' | "$CG_CTL_BIN" -s "$CG_CTL_SOCK" console \
	>"$CG_TMP/pipe.out" 2>"$CG_TMP/pipe.err" || rc=$?
cg_assert_eq "console from a pipe: exit status" 0 "$rc"
cg_assert_true "console from a pipe: echo" grep -qx 'castgate> show drops' "$CG_TMP/pipe.out"
cg_assert_true "console from a pipe: output" grep -q '^status     ok' "$CG_TMP/pipe.out"
# A usage error in the console points at the console's help, not the shell's.
rc=0
printf 'frobnicate\nrule show\n' | "$CG_CTL_BIN" -s "$CG_CTL_SOCK" console \
	>"$CG_TMP/pipe2.out" 2>"$CG_TMP/pipe2.err" || rc=$?
cg_assert_eq "console usage errors: exit status" 2 "$rc"
cg_assert_eq "console usage errors: the hints" "Try 'help'.|Try 'rule show --help'." \
	"$(grep '^Try ' "$CG_TMP/pipe2.err" | paste -sd'|')"

cg_ctl_stop
cg_finish
