#!/bin/bash
# castgate-warp integration: odd target label values against a real dockerd (issue 14, item 8).
# Targets labelled with values that cannot name a warp container by its name:
#   tid    the full container id of warp-a (Docker would resolve it: an alias, not a name)
#   tsid   the short (12-character) id of warp-a
#   tsemi  "warp-a;rm -rf /"
#   tlong  257 characters: the 255-character warp's name and 2 more (no truncation: cut to
#          255 it would name a real warp, and the target would be routed)
#   tuml   "warp-ä", a character Docker names cannot hold
# each reported exactly once (one error line naming the target and why, counted over 3 of the
# daemon's 2 s retry cycles after the first report, during which nothing names it again), their
# routes left as Docker made them; while a valid target (tok) is routed via warp-a and a target
# of a warp whose name is 255 characters long (t255) is routed via that warp.
# Exit: 0 pass, 77 skip (not root / no docker), 1 fail.

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
wt_setup

NET=cglb
docker network create --subnet 198.19.112.0/24 "$NET" >/dev/null

# "warp-" and 250 more: 255 characters, the longest name the daemon accepts.
W255=warp-$(printf 'l%.0s' $(seq 250))
[ "${#W255}" = 255 ] || fail "test bug: W255 has ${#W255} characters"
# Ends in "zz": its first 255 characters are W255.
V257=${W255}zz

# errors_for NAME: error lines naming NAME since the case began.
errors_for() {
	log_new | jq -s --arg n "$1" 'map(select(.level == "error" and .name == $n)) | length'
}
# lines_for NAME: lines of any level naming NAME since the last mark.
lines_for() {
	log_new | jq -s --arg n "$1" 'map(select(.name == $n)) | length'
}
# reported NAME REGEX: an error line names NAME and its message matches REGEX.
reported() {
	log_new | jq -e -s --arg n "$1" --arg re "$2" \
		'map(select(.level == "error" and .name == $n and (tostring | test($re)))) |
		 length > 0' >/dev/null
}

wt_daemon_start
wt_daemon_ready 15 || fail "daemon not healthy within 15 s after start"

# ---------------------------------------------------------------------------------------------
case_begin odd-labels
wt_run_warp warp-a "$NET" || fail "cannot start warp-a"
wt_run_warp "$W255" "$NET" || fail "cannot start a warp named with 255 characters"
WA=$(cip warp-a "$NET")
WL=$(cip "$W255" "$NET")
ID=$(cid warp-a)
[ "${#ID}" = 64 ] || fail "warp-a's id is '$ID'"
wt_run_target tid "$NET" "$ID" || fail "cannot start tid"
wt_run_target tsid "$NET" "${ID:0:12}" || fail "cannot start tsid"
wt_run_target tsemi "$NET" 'warp-a;rm -rf /' || fail "cannot start tsemi"
wt_run_target tlong "$NET" "$V257" || fail "cannot start tlong"
wt_run_target tuml "$NET" 'warp-ä' || fail "cannot start tuml"
wt_run_target tok "$NET" warp-a || fail "cannot start tok"
wt_run_target t255 "$NET" "$W255" || fail "cannot start t255"

# Valid targets are routed: tok via warp-a, t255 via the 255-character warp.
wait_for "all_via tok $WA" "$WT_T" || fail "tok not routed via warp-a $WA: $(routes tok | tr '\n' ';')"
wait_for "all_via t255 $WL" "$WT_T" ||
	fail "t255 not routed via the 255-character warp $WL: $(routes t255 | tr '\n' ';')"

# Each odd one is reported, naming the target and why.
wait_for "reported tid 'by its id'" "$WT_T" || fail "no error for tid (label: warp-a's id)"
wait_for "reported tsid 'by its id'" "$WT_T" || fail "no error for tsid (label: warp-a's short id)"
wait_for "reported tsemi \"character ';'\"" "$WT_T" || fail "no error for tsemi naming ';'"
wait_for "reported tlong '257 characters'" "$WT_T" || fail "no error for tlong naming its length"
wait_for "reported tuml 'byte 0xc3'" "$WT_T" || fail "no error for tuml naming the byte"
ok "valid targets routed (tok, t255), each odd label reported"

# Three retry cycles (2 s each) later: nothing more about them, not even at debug level.
mark=$WT_LOG_MARK
log_mark
sleep 6
for t in tid tsid tsemi tlong tuml; do
	n=$(lines_for "$t")
	[ "$n" = 0 ] || fail "$t named again $n time(s) in 6 s: $(log_new | jq -c --arg n "$t" \
		'select(.name == $n)' | head -3)"
done
WT_LOG_MARK=$mark
for t in tid tsid tsemi tlong tuml; do
	n=$(errors_for "$t")
	[ "$n" = 1 ] || fail "$t reported $n times, not once"
	untouched "$t" "$NET" || fail "$t's routes changed: $(routes "$t" | tr '\n' ';')"
	[ "$(audit "$t")" = "" ] || fail "route audit lines for $t: $(audit "$t")"
done
ok "each odd label reported once, its target untouched"

# Still the same after an unrelated event re-evaluates everything.
log_mark
wt_run_target tok2 "$NET" warp-a || fail "cannot start tok2"
wait_for "all_via tok2 $WA" "$WT_T" || fail "tok2 not routed via warp-a"
for t in tid tsid tsemi tlong tuml; do
	[ "$(errors_for "$t")" = 0 ] || fail "$t reported again after another target started"
	untouched "$t" "$NET" || fail "$t's routes changed: $(routes "$t" | tr '\n' ';')"
done
all_via tok "$WA" || fail "tok lost its routes"
all_via t255 "$WL" || fail "t255 lost its routes"
ok "a later event changes nothing for them"

wt_finish
