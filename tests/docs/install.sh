#!/usr/bin/env bash
# install.sh BUILDDIR PREFIX BINDIR SBINDIR LIBEXECDIR MANDIR SYSCONFDIR
# `meson install --destdir` of this build into a temporary directory, then the FHS layout of
# what landed there: every program at its place and nothing else in the programs' directories,
# each unit's ExecStart= program and config inside the destdir, a man page for every installed
# program, the sysusers.d group that the installed castgate.toml names, and a second install
# that keeps an edited config. Directories are the build's options (absolute or under PREFIX).
set -euo pipefail
build=$1 prefix=$2
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
bindir=$(abs "$3") sbindir=$(abs "$4") libexec=$(abs "$5")/castgate mandir=$(abs "$6")
etc=$(abs "$7")/castgate
D=$(mktemp -d /tmp/castgate-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
fails=0
fail() { echo "install: $*" >&2; fails=$((fails + 1)); }

meson install -C "$build" --destdir "$D" --no-rebuild --quiet >"$D.log" 2>&1 ||
	{ cat "$D.log" >&2; rm -f "$D.log"; echo "install: meson install failed" >&2; exit 1; }
rm -f "$D.log"

# The programs the build made (those of the configured features) and where each belongs.
declare -A want=([castgate]=$sbindir [castgate-gen]=$bindir)
[ -x "$build/app/castgate-dataplane/castgate-dataplane" ] &&
	want[castgate-dataplane]=$libexec want[castgate-control]=$libexec
[ -x "$build/app/castgatectl/castgatectl" ] && want[castgatectl]=$bindir
[ -x "$build/app/castgate-warp/castgate-warp" ] && want[castgate-warp]=$sbindir
for p in "${!want[@]}"; do
	[ -x "$D${want[$p]}/$p" ] || fail "$p is not an executable in ${want[$p]}"
done
# Nothing else there: a program installed elsewhere, or a new one without a place here.
for dir in "$bindir" "$sbindir" "$libexec"; do
	for f in "$D$dir"/*; do
		[ -e "$f" ] || continue
		p=${f##*/}
		[ "${want[$p]:-}" = "$dir" ] || fail "$dir/$p: not expected there (add it to tests/docs/install.sh)"
	done
done

# A man page for every installed program (section 1 for bindir, 8 for the rest).
for p in "${!want[@]}"; do
	sec=8
	[ "${want[$p]}" = "$bindir" ] && [ "$p" != castgatectl ] && sec=1
	[ -f "$D$mandir/man$sec/$p.$sec" ] || fail "no man page $mandir/man$sec/$p.$sec for $p"
done
for page in castgate.toml.5 ${want[castgate-warp]:+castgate-warp.toml.5}; do
	[ -f "$D$mandir/man5/$page" ] || fail "no man page $mandir/man5/$page"
done

# Units: ExecStart's program and its config file are in the destdir.
units=$(find "$D" -path '*/systemd/system/*.service' -type f)
nunits=0
[ -n "${want[castgate-dataplane]:-}" ] && nunits=$((nunits + 1))
[ -n "${want[castgate-warp]:-}" ] && nunits=$((nunits + 1))
found=0
[ -z "$units" ] || found=$(grep -c . <<<"$units")
[ "$found" = "$nunits" ] ||
	fail "$nunits units expected (castgate.service with the data plane, castgate-warp.service), found $found:" $units
n=0
for u in $units; do
	n=$((n + 1))
	line=$(sed -n 's/^ExecStart=//p' "$u")
	[ -n "$line" ] || { fail "${u#"$D"}: no ExecStart="; continue; }
	read -r prog rest <<<"$line"
	[ -x "$D$prog" ] || fail "${u#"$D"}: ExecStart=$prog is not installed"
	conf=$(sed -n 's/.*\(-c\|--config\) \([^ ]*\).*/\2/p' <<<"$rest")
	[ -n "$conf" ] && [ -f "$D$conf" ] || fail "${u#"$D"}: config '$conf' of ExecStart= is not installed"
	grep -q '@[a-z]*dir@' "$u" && fail "${u#"$D"}: a @...dir@ placeholder is left"
done

# The control socket's group: created by sysusers.d, named by the installed config.
if [ -n "${want[castgate-dataplane]:-}" ]; then
	sysusers=$(find "$D" -path '*/sysusers.d/castgate.conf')
	[ -n "$sysusers" ] && grep -qx 'g castgate -' $sysusers ||
		fail "no sysusers.d/castgate.conf with 'g castgate -'"
	grep -qx 'group = "castgate"' "$D$etc/castgate.toml" ||
		fail "$etc/castgate.toml does not set [control] group = \"castgate\""
	# A second install keeps an edited config.
	echo '# edited' >>"$D$etc/castgate.toml"
	meson install -C "$build" --destdir "$D" --no-rebuild --quiet >/dev/null 2>&1 ||
		fail "the second meson install failed"
	tail -n 1 "$D$etc/castgate.toml" | grep -qx '# edited' ||
		fail "a second meson install replaced the edited $etc/castgate.toml"
fi

# The installed supervisor finds the installed children in the libexecdir it was built with:
# seen in a private mount namespace where the destdir's copy is bind-mounted at that place
# (root only; nothing changes outside the namespace). --check-config prints the paths used.
if [ -n "${want[castgate-dataplane]:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	top=${libexec%/castgate}
	[ -d "$top" ] || top=$prefix
	demo=$(find "$D" -name demo.toml -path '*/examples/*' | head -n 1)
	if [ "$top" = / ] || [ "$top" = /usr ]; then
		# Binding over / or /usr would hide the libraries the programs need.
		echo "install: ${libexec%/castgate} is missing here: the supervisor's lookup is not checked"
	elif [ -z "$demo" ]; then
		fail "no examples/demo.toml installed"
	else
		out=$(PATH=/usr/bin:/bin unshare -m sh -c 'mount --bind "$1$2" "$2" && "$1$3/castgate" -c "$4" --check-config' \
			sh "$D" "$top" "$sbindir" "$demo" 2>&1) || fail "the installed castgate --check-config failed: $out"
		grep -q "castgate-dataplane: $libexec/castgate-dataplane\$" <<<"$out" &&
			grep -q "castgate-control: $libexec/castgate-control\$" <<<"$out" ||
			fail "the installed castgate does not run the children in $libexec: $out"
	fi
fi

[ "$fails" = 0 ] || { echo "install: $fails problem(s)" >&2; exit 1; }
echo "install: ${#want[@]} programs, $n units, man pages and configs in place"
