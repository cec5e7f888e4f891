# shellcheck shell=bash
# Checks and JSON/pcap extraction. A failed check is reported and counted, and
# the test goes on, so that one run shows every difference; cg_finish exits 1
# if any check failed.

cg_pass() { CG_CHECKS=$((CG_CHECKS + 1)); cg_log "ok   $*"; }
cg_fail() { CG_CHECKS=$((CG_CHECKS + 1)); CG_FAILS=$((CG_FAILS + 1)); cg_log "FAIL $*"; }

# cg_assert_eq NAME EXPECTED ACTUAL
cg_assert_eq() {
	if [ "$2" = "$3" ]; then
		cg_pass "$1 = $3"
	else
		cg_fail "$1: expected $2, got ${3:-<empty>}"
	fi
}

# cg_assert_ge NAME MIN ACTUAL (integers)
cg_assert_ge() {
	if [[ "$3" =~ ^[0-9]+$ ]] && [ "$3" -ge "$2" ]; then
		cg_pass "$1 = $3 (>= $2)"
	else
		cg_fail "$1: expected >= $2, got ${3:-<empty>}"
	fi
}

# cg_assert_le NAME MAX ACTUAL (integers)
cg_assert_le() {
	if [[ "$3" =~ ^[0-9]+$ ]] && [ "$3" -le "$2" ]; then
		cg_pass "$1 = $3 (<= $2)"
	else
		cg_fail "$1: expected <= $2, got ${3:-<empty>}"
	fi
}

# cg_assert_true NAME COMMAND...: the command succeeds.
cg_assert_true() {
	local name=$1
	shift
	if "$@"; then
		cg_pass "$name"
	else
		cg_fail "$name"
	fi
}

# cg_json FILE EXPR: evaluate a Python expression over the JSON document `d`
# and print it (lists and dicts as compact JSON, None as "null").
# Helpers inside EXPR: rule("name") -> the stats rule of that name,
# out("name", i) -> its i-th output, drop("reason") -> drops[reason] or 0.
cg_json() {
	"$CG_PY" - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def rule(name):
    for r in d.get("rules", []):
        if r.get("name") == name:
            return r
    raise SystemExit("no rule named %r in %s" % (name, sys.argv[1]))
def out(name, i):
    return rule(name)["outputs"][i]
def drop(reason):
    return d.get("drops", {}).get(reason, 0)
v = eval(sys.argv[2])
if isinstance(v, (dict, list)):
    print(json.dumps(v, separators=(",", ":")))
elif v is None:
    print("null")
elif isinstance(v, bool):
    print("true" if v else "false")
else:
    print(v)
PY
}

# cg_pcap FILE: decode a pcap file (Ethernet) into JSON lines, one a frame
# (see cg_pcap.py for the fields).
cg_pcap() {
	"$CG_PY" "$CG_LIB_DIR/cg_pcap.py" "$1"
}

# cg_finish: print the tally and exit 0 if every check passed, else 1.
cg_finish() {
	if [ "$CG_CHECKS" -eq 0 ]; then
		cg_log "no check ran: that is a test bug"
		exit 1
	fi
	if [ "$CG_FAILS" -gt 0 ]; then
		cg_log "$CG_FAILS of $CG_CHECKS checks FAILED"
		exit 1
	fi
	cg_log "all $CG_CHECKS checks passed"
	exit 0
}
