#!/usr/bin/env bash
# build_deps.sh SRCDIR: every package debian/control's Build-Depends names is in
# scripts/install-deps's list (CG_PACKAGES), the project's one package list, so that a machine
# set up by install-deps can run scripts/build-debs. debhelper-compat and dh-sequence-* are
# virtual packages that debhelper provides: they need debhelper in the list.
set -euo pipefail
src=$1
list=$("$src/scripts/install-deps" --list)
# The Build-Depends field with its continuation lines, comments dropped.
field=$(sed -n '/^Build-Depends:/,/^[^ ]/{/^#/d;/^Build-Depends:/{s/^Build-Depends://;p;d};/^ /p}' \
	"$src/debian/control")
n=0 bad=0
while IFS= read -r dep; do
	[ -n "$dep" ] || continue
	n=$((n + 1))
	# "a | b": one of them is enough.
	ok=0
	IFS='|' read -ra alts <<<"$dep"
	for alt in "${alts[@]}"; do
		alt=${alt#"${alt%%[![:space:]]*}"}
		name=${alt%%[ (<[]*}
		case $name in
		debhelper-compat|dh-sequence-*) need=debhelper ;;
		*) need=$name ;;
		esac
		grep -qx -- "$need" <<<"$list" && ok=1
	done
	if [ "$ok" = 0 ]; then
		echo "debian/control: Build-Depends names '$dep', but scripts/install-deps does not" \
			"install it: add it to CG_PACKAGES" >&2
		bad=1
	fi
done < <(tr ',' '\n' <<<"$field" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
[ "$n" -ge 10 ] || { echo "debian/control: only $n Build-Depends read: the parser is broken" >&2; exit 1; }
[ "$bad" = 0 ] && echo "build_deps: $n Build-Depends, all in scripts/install-deps"
exit "$bad"
