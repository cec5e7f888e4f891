#!/usr/bin/env bash
# `castgate setup` against fixture trees (--root: sysfs, procfs and /etc built here; commands
# recorded, never run) and, read-only, against this machine's own sysfs and procfs:
#   - two PCI ports: the exact dry-run plan (golden), then the real run under the root: the
#     files of /etc/dpdk as expected (their other lines kept), the commands recorded; a second
#     run with the ports bound changes nothing; --undo gives them back and restores the file;
#   - each refusal: default route, an IPv4 route, a global IPv6 address, a bridge port, a
#     missing device, a device that is no network controller (and has no interface), no IOMMU (and the warning of vfio's no-IOMMU mode), dpdk.service missing;
#   - vdev ports only: nothing to do;
#   - the runner (CASTGATE_SETUP_EXEC=1 with stand-ins on PATH that change the fixture): the
#     commands are exec'd in order; a bind that did not happen, and a failing command, stop it;
#   - this machine's NIC (the one with the default route), by PCI address, with --dry-run on
#     the real /sys and /proc: refused, nothing run.
# Never binds anything: under --root nothing is executed, and the real-system case is a dry run
# that must refuse. Needs no root.
#
# Usage: test_setup.sh CASTGATE_BINARY SOURCE_DIR (tests/setup)
#        UPDATE=1 test_setup.sh ...   rewrite the expected/ files from this run
set -euo pipefail

CG=${1:?usage: $0 CASTGATE_BINARY SOURCE_DIR}
SRC=${2:?usage: $0 CASTGATE_BINARY SOURCE_DIR}
EXP=$SRC/expected
T=$(mktemp -d /tmp/test_setup.XXXXXX)
FAILS=0
CHECKS=0

cleanup() {
	if [ "$FAILS" -eq 0 ]; then rm -rf "$T"; else echo "files kept in $T" >&2; fi
}
trap cleanup EXIT

pass() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }

# Stand-ins on PATH for the programs setup looks up: under --root it must never run them.
mkdir -p "$T/bin"
for p in dpdk-devbind.py modprobe systemctl; do
	printf '#!/bin/sh\necho "%s must not run in this test" >&2\nexit 99\n' "$p" >"$T/bin/$p"
	chmod +x "$T/bin/$p"
done
export PATH="$T/bin:/usr/bin:/bin"

# A fixture root: two ixgbe ports (eth1, eth2) with no address, the host on eth0 (another
# device) with the default route, an IOMMU, vfio-pci not loaded, dpdk.service installed but not
# enabled, Debian's /etc/dpdk files with lines of their own.
mkroot() {
	local r=$1 a i=1
	rm -rf "$r"
	mkdir -p "$r/sys/bus/pci/drivers/ixgbe" "$r/sys/kernel/iommu_groups/0" \
		"$r/sys/kernel/iommu_groups/1" "$r/sys/kernel/mm/hugepages/hugepages-2048kB" \
		"$r/proc/net" "$r/etc/dpdk" "$r/lib/systemd/system" "$r/sys/class/net"
	for a in 0000:04:00.0 0000:04:00.1; do
		mkdir -p "$r/sys/bus/pci/devices/$a/net/eth$i"
		echo 0x8086 >"$r/sys/bus/pci/devices/$a/vendor"
		echo 0x10fb >"$r/sys/bus/pci/devices/$a/device"
		echo 0x020000 >"$r/sys/bus/pci/devices/$a/class"
		ln -s ../../../../bus/pci/drivers/ixgbe "$r/sys/bus/pci/devices/$a/driver"
		mkdir -p "$r/sys/class/net/eth$i"
		i=$((i + 1))
	done
	echo 64 >"$r/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
	: >"$r/sys/bus/pci/drivers_probe"
	printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' \
		>"$r/proc/net/route"
	printf 'eth0\t00000000\t011212C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' >>"$r/proc/net/route"
	printf 'eth0\t001212C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' >>"$r/proc/net/route"
	# The kernel's unreachable IPv6 default on lo, and link-local routes on the ports.
	{
		echo "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo"
		echo "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1"
	} >"$r/proc/net/ipv6_route"
	{
		echo "fe800000000000000211aafffe000001 03 40 20 80     eth1"
		echo "00000000000000000000000000000001 01 80 10 80       lo"
	} >"$r/proc/net/if_inet6"
	printf '[Unit]\nDescription=DPDK runtime environment\n' >"$r/lib/systemd/system/dpdk.service"
	cat >"$r/etc/dpdk/interfaces" <<-'EOF'
	#
	# <bus>	<id>		<driver>
	# pci	0000:04:00.0	vfio-pci
	pci	0000:05:00.0	uio_pci_generic
	EOF
	cat >"$r/etc/dpdk/dpdk.conf" <<-'EOF'
	#
	# The number of 2M hugepages to reserve on system boot
	# NR_2M_PAGES=64
	NR_2M_PAGES=64
	#DROPCACHE_BEFORE_HP_ALLOC=0
	EOF
}

# Run setup; stdout+stderr with the temporary paths made stable, and the exit status.
runsetup() {	# runsetup OUT ARGS...
	local out=$1 rc=0
	shift
	"$CG" setup "$@" >"$T/raw" 2>&1 || rc=$?
	sed -e "s|$T|@T@|g" -e "s|$SRC|@SRC@|g" "$T/raw" >"$out"
	echo "exit $rc" >>"$out"
	return 0
}

golden() {	# golden NAME FILE
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$2" "$EXP/$1"
		pass "$1 (expected/ rewritten)"
	elif diff -u "$EXP/$1" "$2"; then
		pass "$1 as expected"
	else
		fail "$1 differs from expected/$1 (diff above)"
	fi
}

expect_in() {	# expect_in FILE TEXT WHAT
	if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3: no \"$2\" in:"; cat "$1"; fi
}

R=$T/root
TWO=$SRC/two-pci.toml

# 1. Two PCI ports: the dry-run plan, exactly; nothing changed or run.
mkroot "$R"
cp -a "$R/etc" "$T/etc.orig"
runsetup "$T/dry.out" --root "$R" -c "$TWO" --dry-run
golden dry-run.out "$T/dry.out"
if diff -r "$T/etc.orig" "$R/etc" >/dev/null && [ ! -e "$R/setup-commands" ] &&
   [ "$(cat "$R/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")" = 64 ]; then
	pass "dry run: nothing written, nothing run"
else
	fail "dry run changed something"
fi

# 2. The same for real under the root: the commands (recorded), the files, the hugepages.
runsetup "$T/run.out" --root "$R" -c "$TWO"
golden run.out "$T/run.out"
sed -e "s|$T|@T@|g" "$R/setup-commands" >"$T/commands"
golden run.commands "$T/commands"
golden run.interfaces "$R/etc/dpdk/interfaces"
golden run.dpdk.conf "$R/etc/dpdk/dpdk.conf"
if [ "$(cat "$R/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")" = 256 ]; then
	pass "nr_hugepages raised to 256 (memory_mb 512)"
else
	fail "nr_hugepages is $(cat "$R/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")"
fi

# 3. Again, as the bind and enable would have left the host: nothing to do, files unchanged.
for a in 0000:04:00.0 0000:04:00.1; do
	ln -sfn ../../../../bus/pci/drivers/vfio-pci "$R/sys/bus/pci/devices/$a/driver"
	rm -rf "$R/sys/bus/pci/devices/$a/net"
done
mkdir -p "$R/sys/bus/pci/drivers/vfio-pci" "$R/etc/systemd/system/multi-user.target.wants"
ln -s /lib/systemd/system/dpdk.service "$R/etc/systemd/system/multi-user.target.wants/"
cp -a "$R/etc/dpdk" "$T/dpdk.after"
rm -f "$R/setup-commands"
runsetup "$T/again.out" --root "$R" -c "$TWO"
golden again.out "$T/again.out"
if diff -r "$T/dpdk.after" "$R/etc/dpdk" >/dev/null && [ ! -e "$R/setup-commands" ]; then
	pass "second run: idempotent (no file changed, nothing run)"
else
	fail "second run changed something"
fi

# 4. --undo: back to ixgbe (recorded at bind time), our lines gone, Debian's kept.
runsetup "$T/undo.out" --root "$R" -c "$TWO" --undo
golden undo.out "$T/undo.out"
sed -e "s|$T|@T@|g" "$R/setup-commands" >"$T/commands"
golden undo.commands "$T/commands"
if diff -u "$T/etc.orig/dpdk/interfaces" "$R/etc/dpdk/interfaces"; then
	pass "--undo: $R/etc/dpdk/interfaces as before setup"
else
	fail "--undo: interfaces differs from the original (diff above)"
fi

# 5. --undo with no record (the lines were removed): unbind, then drivers_probe.
rm -f "$R/setup-commands"
cp "$T/etc.orig/dpdk/interfaces" "$R/etc/dpdk/interfaces"
runsetup "$T/undo2.out" --root "$R" -c "$TWO" --undo
golden undo-unrecorded.out "$T/undo2.out"
expect_in "$R/sys/bus/pci/drivers_probe" "0000:04:00.1" "--undo without a record: drivers_probe written"

# 6. Refusals, one fixture change each: exit 6, the message names the port, the device and why,
#    and nothing is changed.
refusal() {	# refusal NAME TEXT: the fixture change is the function break_NAME
	local name=$1 text=$2
	mkroot "$R"
	rm -rf "$T/etc.orig"
	cp -a "$R/etc" "$T/etc.orig"
	"break_$name"
	runsetup "$T/$name.out" --root "$R" -c "$TWO"
	expect_in "$T/$name.out" "exit 6" "$name: exit 6 (refused)"
	expect_in "$T/$name.out" "castgate setup: refused: $text" "$name: says why"
	if diff -r "$T/etc.orig" "$R/etc" >/dev/null && [ ! -e "$R/setup-commands" ]; then
		pass "$name: nothing changed"
	else
		fail "$name: something changed"
	fi
}
break_default-route() {
	printf 'eth2\t00000000\t011D12C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' >>"$R/proc/net/route"
}
break_default-route6() {
	echo "00000000000000000000000000000000 00 00000000000000000000000000000000 00" \
		"fe800000000000000000000000000001 00000400 00000003 00000000 00000003     eth1" \
		>>"$R/proc/net/ipv6_route"
}
break_ipv4-route() {
	printf 'eth1\t001D12C6\t00000000\t0001\t0\t0\t0\t80FFFFFF\t0\t0\t0\n' >>"$R/proc/net/route"
}
break_ipv6-address() {
	echo "20010db8000000000000000000000029 04 40 00 80     eth2" >>"$R/proc/net/if_inet6"
}
break_bridge-port() {
	mkdir -p "$R/sys/devices/virtual/net/br0"
	ln -s ../../devices/virtual/net/br0 "$R/sys/class/net/eth1/master"
}
break_no-device() { rm -rf "$R/sys/bus/pci/devices/0000:04:00.1"; }
# A device with no network interface that is no NIC: an NVMe disk, say.
break_not-network() {
	rm -rf "$R/sys/bus/pci/devices/0000:04:00.1/net"
	echo 0x010802 >"$R/sys/bus/pci/devices/0000:04:00.1/class"
}
break_no-iommu() { rm -rf "$R/sys/kernel/iommu_groups"/*; }
break_no-dpdk-service() { rm "$R/lib/systemd/system/dpdk.service"; }

refusal default-route "port lan: 0000:04:00.1: interface eth2 carries the default route (IPv4)"
# The whole plan of that refusal: the other port's steps are shown, the refused one has none.
runsetup "$T/refused.out" --root "$R" -c "$TWO" --dry-run
golden refused.out "$T/refused.out"
refusal default-route6 "port wan: 0000:04:00.0: interface eth1 carries the default route (IPv6)"
refusal ipv4-route "port wan: 0000:04:00.0: interface eth1 is in use: 1 IPv4 route through it (198.18.29.0/25)"
refusal ipv6-address "port lan: 0000:04:00.1: interface eth2 is in use: it has the IPv6 address 2001:0db8:0000:0000:0000:0000:0000:0029"
refusal bridge-port "port wan: 0000:04:00.0: interface eth1 is in use: it is a port of br0"
refusal no-device "port lan: 0000:04:00.1: no such PCI device"
refusal not-network "port lan: 0000:04:00.1: not a network controller (PCI class 0x010802), and the host may be using it"
refusal no-iommu "no IOMMU: /sys/kernel/iommu_groups is empty"
refusal no-dpdk-service "dpdk.service not found"

# vfio's no-IOMMU mode: allowed, with the warning on stderr and in the plan.
mkroot "$R"
rm -rf "$R/sys/kernel/iommu_groups"/*
mkdir -p "$R/sys/module/vfio/parameters"
echo Y >"$R/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
runsetup "$T/noiommu.out" --root "$R" -c "$TWO" --dry-run
expect_in "$T/noiommu.out" "castgate setup: WARNING: no IOMMU" "no-IOMMU mode: warned"
expect_in "$T/noiommu.out" "exit 0" "no-IOMMU mode: the plan goes on"

# dpdk.conf with more pages than needed: never lowered.
mkroot "$R"
sed -i 's/^NR_2M_PAGES=64/NR_2M_PAGES=1024/' "$R/etc/dpdk/dpdk.conf"
cp "$R/etc/dpdk/dpdk.conf" "$T/dpdk.conf.orig"
runsetup "$T/more.out" --root "$R" -c "$TWO"
expect_in "$T/more.out" "NR_2M_PAGES=1024 already covers 256 pages: unchanged" "dpdk.conf: 1024 kept"
if cmp -s "$T/dpdk.conf.orig" "$R/etc/dpdk/dpdk.conf"; then
	pass "dpdk.conf: not lowered"
else
	fail "dpdk.conf was rewritten"
fi

# More pages reserved now than needed: dpdk.conf gets those (dpdk-init would free the rest).
mkroot "$R"
echo 1000 >"$R/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
runsetup "$T/reserved.out" --root "$R" -c "$TWO"
expect_in "$R/etc/dpdk/dpdk.conf" "NR_2M_PAGES=1000" "dpdk.conf: the 1000 pages reserved now are kept"
if [ "$(cat "$R/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages")" = 1000 ] &&
   ! grep -q nr_hugepages "$T/reserved.out"; then
	pass "nr_hugepages: 1000 left alone"
else
	fail "nr_hugepages was written"
fi

# 7. vdev ports only.
runsetup "$T/vdev.out" --root "$R" -c "$SRC/vdev-only.toml" --dry-run
golden vdev-only.out "$T/vdev.out"

# Bad command line and config: exit 2.
runsetup "$T/bad.out" --root "$R" -c "$T/none.toml"
expect_in "$T/bad.out" "exit 2" "missing config: exit 2"
runsetup "$T/bad.out" --root "$R" -c "$TWO" --frobnicate
expect_in "$T/bad.out" "exit 2" "unknown option: exit 2"

# 8. The runner (CASTGATE_SETUP_EXEC=1): fork/exec of stand-ins that change the fixture as the
#    real programs would; the bind is checked on the device, not on the exit status.
mkroot "$R"
mkdir -p "$T/bin2"
cat >"$T/bin2/modprobe" <<EOF
#!/bin/sh
echo "modprobe \$*" >>"$R/ran"
mkdir -p "$R/sys/bus/pci/drivers/\$1"
EOF
cat >"$T/bin2/dpdk-devbind.py" <<EOF
#!/bin/sh
echo "dpdk-devbind.py \$*" >>"$R/ran"
[ -n "\${FAKE_DEVBIND_EXIT:-}" ] && exit "\$FAKE_DEVBIND_EXIT"
[ -n "\${FAKE_DEVBIND_NOOP:-}" ] && exit 0
[ "\$1" = -b ] && ln -sfn "../../../../bus/pci/drivers/\$2" "$R/sys/bus/pci/devices/\$3/driver"
exit 0
EOF
cat >"$T/bin2/systemctl" <<EOF
#!/bin/sh
echo "systemctl \$*" >>"$R/ran"
mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
ln -s /lib/systemd/system/dpdk.service "$R/etc/systemd/system/multi-user.target.wants/"
EOF
chmod +x "$T/bin2"/*
PATH="$T/bin2:/usr/bin:/bin" CASTGATE_SETUP_EXEC=1 runsetup "$T/exec.out" --root "$R" -c "$TWO"
expect_in "$T/exec.out" "exit 0" "runner: exit 0"
printf '%s\n' "modprobe vfio-pci" "dpdk-devbind.py -b vfio-pci 0000:04:00.0" \
	"dpdk-devbind.py -b vfio-pci 0000:04:00.1" "systemctl enable dpdk.service" >"$T/ran.exp"
if diff -u "$T/ran.exp" "$R/ran"; then
	pass "runner: the four commands ran, in order"
else
	fail "runner: commands differ (diff above)"
fi
if [ "$(readlink "$R/sys/bus/pci/devices/0000:04:00.1/driver")" = \
     ../../../../bus/pci/drivers/vfio-pci ] && [ ! -e "$R/setup-commands" ]; then
	pass "runner: bound (per the stand-in), nothing recorded"
else
	fail "runner: not bound, or recorded instead of run"
fi
mkroot "$R"
PATH="$T/bin2:/usr/bin:/bin" CASTGATE_SETUP_EXEC=1 FAKE_DEVBIND_NOOP=1 \
	runsetup "$T/noop.out" --root "$R" -c "$TWO"
expect_in "$T/noop.out" \
	"0000:04:00.0: @T@/bin2/dpdk-devbind.py done, but the device has driver ixgbe, not vfio-pci" \
	"runner: a bind that did not happen is caught"
expect_in "$T/noop.out" "exit 1" "runner: ... exit 1"
mkroot "$R"
PATH="$T/bin2:/usr/bin:/bin" CASTGATE_SETUP_EXEC=1 FAKE_DEVBIND_EXIT=3 \
	runsetup "$T/fail.out" --root "$R" -c "$TWO"
expect_in "$T/fail.out" "castgate setup: @T@/bin2/dpdk-devbind.py exited with status 3" \
	"runner: a failing command is reported"
expect_in "$T/fail.out" "exit 1" "runner: ... exit 1"
if [ "$(grep -c devbind "$R/ran")" = 1 ]; then
	pass "runner: stopped at the first failure"
else
	fail "runner: went on after a failure"
fi

# 9. This machine's own NIC, read-only on the real /sys and /proc: refused for the default route.
dev=$(awk 'NR > 1 && $2 == "00000000" && $8 == "00000000" { print $1; exit }' /proc/net/route)
pci=""
if [ -n "$dev" ] && [ -e "/sys/class/net/$dev/device" ]; then
	d=$(readlink -f "/sys/class/net/$dev/device")
	# virtio: the interface hangs off virtioN, a child of the PCI device.
	while [ "$d" != / ]; do
		b=${d##*/}
		if [[ $b =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]]; then pci=$b; break; fi
		d=${d%/*}
	done
fi
if [ -z "$pci" ]; then
	echo "SKIP (part 9): the default route's interface (${dev:-none}) is not a PCI device here"
else
	cat >"$T/own.toml" <<-EOF
	[dataplane]
	lcores = "0"
	file_prefix = "cgt29"
	[[port]]
	name = "own"
	device = "$pci"
	ip = "198.18.29.2/25"
	EOF
	drv=$(readlink -f "/sys/bus/pci/devices/$pci/driver")
	# Restore PATH so that the plan names the real dpdk-devbind.py; --dry-run runs nothing.
	PATH=/usr/sbin:/usr/bin:/sbin:/bin runsetup "$T/own.out" -c "$T/own.toml" --dry-run
	expect_in "$T/own.out" "castgate setup: refused: port own: $pci: interface $dev carries the default route (IPv4)" \
		"this machine's NIC $pci ($dev): refused"
	expect_in "$T/own.out" "exit 6" "this machine's NIC: exit 6"
	if [ "$(readlink -f "/sys/bus/pci/devices/$pci/driver")" = "$drv" ] &&
	   [ -e "/sys/class/net/$dev" ]; then
		pass "$pci still has driver ${drv##*/} and interface $dev"
	else
		fail "$pci: driver or interface $dev changed"
	fi
fi

echo "$CHECKS checks, $FAILS failed"
[ "$FAILS" -eq 0 ]
