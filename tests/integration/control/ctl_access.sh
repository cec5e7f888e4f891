#!/usr/bin/env bash
# (14) Access to the control socket. With [control] group = cgt14r and
# admin_group = cgt14a:
#  - the socket is mode 0660, owner root, group cgt14r;
#  - nobody (outside both groups) cannot connect: castgatectl exits 3;
#    even when the socket is opened to everyone (chmod 0666, to test the
#    server's own SO_PEERCRED check), every method is refused with -32001 and
#    castgatectl exits 5;
#  - a member of cgt14r reads (rule list, stats, system health, port list) but
#    every changing method is refused (-32001, exit 5) and changes nothing;
#    it may config check the running file by its path, not another file;
#  - a member of cgt14r and cgt14a adds and removes rules, and its rule
#    forwards;
#  - with max_clients = 8, a reader that opens 12 connections and holds them
#    gets 4 (the last 4 slots are kept for admins), and root's rule.add still
#    works meanwhile (issue 14);
#  - castgate-control runs without any capability once started (CapEff,
#    CapPrm, CapBnd all 0, NoNewPrivs 1), while the data plane keeps its own;
#  - castgate-control with an unknown group exits 2 before it makes anything;
#    castgate --check-config refuses a run directory that everyone may write.
# The groups and users are made for the test and removed at exit.
set -euo pipefail
source "$(dirname "$0")/../lib/cg_test.sh"

cg_init 14
cg_ctl_init
command -v setpriv >/dev/null || cg_skip "setpriv is missing (util-linux)"
command -v useradd >/dev/null || cg_skip "useradd is missing (passwd)"
NP=1000
GR=cgt14r  # read group
GA=cgt14a  # admin group
UR=cgt14u  # reader: in GR
UA=cgt14w  # admin: in GR and GA

# castgatectl runs as other users, who may not reach the build tree (a clone
# in a 0700 directory): they run a copy in $CG_TMP (opened below). Its
# libraries are the system's; lib/ is linked in statically.
mkdir -p "$CG_TMP/bin"
cp "$CG_CTL_BIN" "$CG_TMP/bin/castgatectl"
chmod 0755 "$CG_TMP/bin" "$CG_TMP/bin/castgatectl"
CG_CTL_BIN=$CG_TMP/bin/castgatectl
# Everyone may reach the socket's directory; the socket's own mode decides.
chmod 0755 "$CG_TMP"

remove_ids() {
	local u g
	for u in $UR $UA; do
		id "$u" >/dev/null 2>&1 && userdel "$u" >/dev/null 2>&1
	done
	for g in $GR $GA; do
		getent group "$g" >/dev/null && groupdel "$g" >/dev/null 2>&1
	done
	return 0
}
remove_ids
cg_ctl_on_exit remove_ids
groupadd --system $GR
groupadd --system $GA
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin -g $GR $UR
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin -g $GR -G $GA $UA


cg_topo_relay
conf=$CG_TMP/castgate.toml
{
	cg_ctl_conf --ctl "group = \"$GR\"" --ctl "admin_group = \"$GA\"" --ctl "max_clients = 8"
	cat <<EOF

[[rule]]
name = "cfgX"
input = { port = "in0", destination = "239.14.1.1", dport = 5001 }
[[rule.output]]
port = "out0"
destination = "239.14.2.1"
dport = 6001
EOF
} >"$conf"
cg_ctl_start "$conf"

cg_assert_eq "socket mode, owner, group" "660 root $GR" "$(stat -c '%a %U %G' "$CG_CTL_SOCK")"
cg_assert_eq "socket is a socket" socket "$(stat -c '%F' "$CG_CTL_SOCK")"

# as_user USER GROUP NAME ARGS...: castgatectl ARGS as USER (groups from the
# group database, or none for nobody); exit status in CG_RC.
as_user() {
	local u=$1 g=$2 name=$3 grp=(--init-groups)
	shift 3
	[ "$u" = nobody ] && grp=(--clear-groups)
	CG_RC=0
	setpriv --reuid="$u" --regid="$g" "${grp[@]}" \
		"$CG_CTL_BIN" -s "$CG_CTL_SOCK" "$@" >"$CG_TMP/$name.out" 2>"$CG_TMP/$name.err" || CG_RC=$?
}
expect_user() { # RC USER GROUP NAME ARGS...
	local want=$1 u=$2
	as_user "${@:2}"
	cg_assert_eq "as $u: castgatectl ${*:5}: exit status" "$want" "$CG_RC"
	[ "$CG_RC" = "$want" ] || sed 's/^/  err| /' "$CG_TMP/$4.err" >&2
}
# rpc_user USER GROUP NAME LINE: one raw request as USER; the error code.
rpc_user() {
	local u=$1 g=$2 name=$3 line=$4 grp=(--init-groups)
	[ "$u" = nobody ] && grp=(--clear-groups)
	printf '%s\n' "$line" | setpriv --reuid="$u" --regid="$g" "${grp[@]}" \
		"$CG_PY" -c "$CG_RPC_PY" send "$CG_CTL_SOCK" >"$CG_TMP/$name.json" 2>"$CG_TMP/$name.err" ||
		echo '{"replies":[],"eof":false,"sent":0,"send_error":"client failed"}' >"$CG_TMP/$name.json"
	cg_json "$CG_TMP/$name.json" 'd["replies"][0]["error"]["code"] if d["replies"] and "error" in d["replies"][0] else ("result" if d["replies"] else "no reply")'
}
ADD='{"jsonrpc":"2.0","method":"rule.add","params":{"rule":{"name":"evil","input":{"port":"in0","destination":"239.14.1.9","dport":5009},"output":[{"port":"out0","destination":"239.14.2.9","dport":6009}]}},"id":1}'

# Outside both groups: the kernel refuses the connection.
expect_user 3 nobody nogroup n_list rule list
cg_assert_true "nobody: permission denied on stderr" grep -qi 'permission denied' "$CG_TMP/n_list.err"
expect_user 3 nobody nogroup n_add rule add evil --in in0,239.14.1.9,5009 --out out0,239.14.2.9,6009

# Socket opened to everyone: the server's SO_PEERCRED check refuses.
chmod 0666 "$CG_CTL_SOCK"
expect_user 5 nobody nogroup n_health system health
expect_user 5 nobody nogroup n_list2 rule list
expect_user 5 nobody nogroup n_add2 rule add evil --in in0,239.14.1.9,5009 --out out0,239.14.2.9,6009
cg_assert_eq "nobody: system.health -32001" -32001 \
	"$(rpc_user nobody nogroup n_rpc1 '{"jsonrpc":"2.0","method":"system.health","id":1}')"
cg_assert_eq "nobody: rule.add -32001" -32001 "$(rpc_user nobody nogroup n_rpc2 "$ADD")"
chmod 0660 "$CG_CTL_SOCK"

# The read group: reading yes, changing no.
expect_user 0 $UR $GR r_list rule list
cg_assert_true "reader sees cfgX" grep -q cfgX "$CG_TMP/r_list.out"
expect_user 0 $UR $GR r_health system health
expect_user 0 $UR $GR r_stats stats
expect_user 0 $UR $GR r_ports port list
expect_user 0 $UR $GR r_info system info
expect_user 5 $UR $GR r_add rule add evil --in in0,239.14.1.9,5009 --out out0,239.14.2.9,6009
cg_assert_true "reader: permission denied on stderr" grep -qi 'permission denied' "$CG_TMP/r_add.err"
expect_user 5 $UR $GR r_del rule del cfgX
expect_user 5 $UR $GR r_clear stats clear
expect_user 5 $UR $GR r_reload config reload
# config check FILE: the running config named by its path is a reader's
# check (castgatectl(8)); another file beside it needs the admin group.
expect_user 0 $UR $GR r_check config check "$conf"
cg_assert_true "reader: config check FILE says valid" grep -q ': valid' "$CG_TMP/r_check.out"
cp "$conf" "$CG_TMP/other.toml"
expect_user 5 $UR $GR r_check2 config check "$CG_TMP/other.toml"
cg_assert_eq "reader: rule.add -32001" -32001 "$(rpc_user $UR $GR r_rpc1 "$ADD")"
cg_assert_eq "reader: rule.list answered" result \
	"$(rpc_user $UR $GR r_rpc2 '{"jsonrpc":"2.0","method":"rule.list","id":2}')"
cg_ctl_json list1 rule list
cg_assert_eq "refused changes changed nothing" '["cfgX"]' \
	"$(cg_json "$CG_TMP/list1.json" 'sorted(r["rule"]["name"] for r in d["rules"])')"

# The admin group: changes are allowed, and they forward.
expect_user 0 $UA $GR a_add rule add acc --in in0,239.14.1.2,5002 --out out0,239.14.2.2,6002,ttl=9
expect_user 0 $UA $GR a_add2 rule add acc2 --in in0,239.14.1.3,5003 --out out0,239.14.2.3,6003
expect_user 0 $UA $GR a_del rule del acc2
cg_ctl_json list2 rule list
cg_assert_eq "admin's changes applied" '["acc","cfgX"]' \
	"$(cg_json "$CG_TMP/list2.json" 'sorted(r["rule"]["name"] for r in d["rules"])')"
cg_recv_start r0 "$CG_NS_SINK" 239.14.2.2:6002 --iface "$CG_IF_SINK" --expect $NP --count $NP
cg_send s0 "$CG_NS_GEN" --dst 239.14.1.2:5002 --iface "$CG_IF_GEN" --rate 10000 --count $NP --size 500
cg_recv_wait r0 15
cg_assert_eq "admin's rule forwards: received" $NP "$(cg_json "$CG_TMP/r0.json" 'd["received"]')"
cg_assert_eq "admin's rule forwards: TTL" '[9]' "$(cg_json "$CG_TMP/r0.json" 'd["ttl_seen"]')"
cg_assert_eq "socket mode unchanged at the end" "660 root $GR" "$(stat -c '%a %U %G' "$CG_CTL_SOCK")"


# A reader holding every slot it may take does not lock the admins out.
# (It prints its counts on stdout: the reader may not write in $CG_TMP.)
setpriv --reuid=$UR --regid=$GR --init-groups "$CG_PY" - "$CG_CTL_SOCK" \
	>"$CG_TMP/hold.json" 2>"$CG_TMP/hold.err" <<'PY' &
import json, socket, sys, time
held, refused = [], 0
for _ in range(12):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.settimeout(0.5)
    try:
        line = s.recv(4096)  # a refused one gets its -32006 at once
    except socket.timeout:
        line = b""
    if line:
        refused += 1
        last = line.decode()
        s.close()
    else:
        held.append(s)
print(json.dumps({"held": len(held), "refused": refused,
                  "last": last if refused else ""}), flush=True)
time.sleep(30)
PY
hold_pid=$!
for _ in $(seq 100); do [ -s "$CG_TMP/hold.json" ] && break; sleep 0.1; done
[ -s "$CG_TMP/hold.json" ] || sed 's/^/  hold| /' "$CG_TMP/hold.err" >&2
cg_assert_eq "reader: connections held" 4 "$(cg_json "$CG_TMP/hold.json" 'd["held"]')"
cg_assert_eq "reader: connections refused" 8 "$(cg_json "$CG_TMP/hold.json" 'd["refused"]')"
cg_assert_true "reader: refusal names the admins' slots" \
	grep -q 'the last 4 are kept for the admin group' "$CG_TMP/hold.json"
cg_ctl_expect 0 slots_add rule add slots --in in0,239.14.1.4,5004 --out out0,239.14.2.4,6004
cg_ctl_json list3 rule list
cg_assert_eq "root's rule.add while the reader holds its slots" '["acc","cfgX","slots"]' \
	"$(cg_json "$CG_TMP/list3.json" 'sorted(r["rule"]["name"] for r in d["rules"])')"
cg_ctl_json info system info
cg_assert_eq "system.info: rpc refused_reserved" 8 "$(cg_json "$CG_TMP/info.json" 'd["rpc"]["refused_reserved"]')"
kill "$hold_pid" 2>/dev/null || true
wait "$hold_pid" 2>/dev/null || true

# Least privilege: control gave every capability up; the data plane did not.
ctl_pid=$(cg_ctl_child_pid control)
dp_pid=$(cg_ctl_child_pid dataplane)
for f in CapEff CapPrm CapBnd CapAmb; do
	cg_assert_eq "castgate-control $f" 0000000000000000 \
		"$(awk -v f="$f:" '$1 == f { print $2 }' "/proc/$ctl_pid/status")"
done
cg_assert_eq "castgate-control NoNewPrivs" 1 "$(awk '$1 == "NoNewPrivs:" { print $2 }' "/proc/$ctl_pid/status")"
cg_assert_true "castgate-dataplane keeps its capabilities" \
	test "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$dp_pid/status")" != 0000000000000000

# A group that does not exist: castgate-control refuses its configuration (exit 2, naming the
# key) before it does anything, not even make the state file's directory.
sed -e "s/^group = \"$GR\"/group = \"cgt14-no-such-group\"/" \
	-e "s|^state_file = .*|state_file = \"$CG_TMP/nogroup/rules.json\"|" "$conf" >"$CG_TMP/nogroup.toml"
rc=0
"$CG_CONTROL_BIN" -c "$CG_TMP/nogroup.toml" >"$CG_TMP/nogroup.out" 2>&1 || rc=$?
cg_assert_eq "castgate-control with an unknown group: exit status" 2 "$rc"
cg_assert_true "the refusal names control.group" \
	grep -q 'control.group: no group named "cgt14-no-such-group"' "$CG_TMP/nogroup.out"
cg_assert_true "nothing made before the refusal" test ! -e "$CG_TMP/nogroup"
# A run directory that everyone may write: a start refuses it, so --check-config does too.
mkdir -m 0777 "$CG_TMP/openrun"
chmod 0777 "$CG_TMP/openrun"
sed "s|^run_dir = .*|run_dir = \"$CG_TMP/openrun\"|" "$conf" >"$CG_TMP/openrun.toml"
rc=0
"$CG_CASTGATE" -c "$CG_TMP/openrun.toml" --check-config >"$CG_TMP/openrun.out" 2>&1 || rc=$?
cg_assert_eq "castgate --check-config with a run_dir of mode 0777: exit status" 1 "$rc"
cg_assert_true "the refusal names supervisor.run_dir" \
	grep -q 'supervisor.run_dir: directory .*openrun' "$CG_TMP/openrun.out"

cg_ctl_stop
cg_finish
