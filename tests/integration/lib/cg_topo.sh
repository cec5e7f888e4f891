# shellcheck shell=bash
# The relay topology (generator and sinks in namespaces, the relay in the root namespace) for
# test number N:
#
#  [netns cgtN-gen]              [root ns: castgate-dataplane]          [netns cgtN-sink]
#   cgtNgen0 198.18.N.1/26 <-> cgtNrin0  (port in0,  198.18.N.2/26)
#                              cgtNrout0 (port out0, 198.18.N.66/26)  <-> cgtNsink0 198.18.N.65/26
#                              cgtNrout1 (port out1, 198.18.N.130/26) <-> cgtNsink1 198.18.N.129/26
#                                                                         [netns cgtN-sink1]
# (the addresses of config/demo.toml for N=1; scripts/demo names the
# interfaces as that file does, through the CG_IF_* variables).
# The relay's veths have no kernel address: castgate owns them via AF_PACKET
# and has the port addresses in its config. Offloads are off on every veth
# (frames with partial checksums would hide checksum bugs), IPv6 is off (no
# router solicitations or MLD in the counters), rp_filter is 0 in the sinks
# (relayed sources need not be routable there), and the generator has a
# multicast route out of its veth.

# cg_topo_names: set the names and addresses (cg_init calls it). Interface
# names already set in the environment win (scripts/demo uses that).
cg_topo_names() {
	CG_NS_GEN=$CG_PREFIX-gen
	CG_NS_SINK=$CG_PREFIX-sink
	CG_NS_SINK1=$CG_PREFIX-sink1
	CG_IF_GEN=${CG_IF_GEN:-${CG_PREFIX}gen0}
	CG_IF_SINK=${CG_IF_SINK:-${CG_PREFIX}sink0}
	CG_IF_SINK1=${CG_IF_SINK1:-${CG_PREFIX}sink1}
	CG_IF_RIN=${CG_IF_RIN:-${CG_PREFIX}rin0}
	CG_IF_ROUT0=${CG_IF_ROUT0:-${CG_PREFIX}rout0}
	CG_IF_ROUT1=${CG_IF_ROUT1:-${CG_PREFIX}rout1}
	CG_IP_GEN=$CG_NET.1
	CG_IP_RIN=$CG_NET.2
	CG_IP_SINK=$CG_NET.65
	CG_IP_ROUT0=$CG_NET.66
	CG_IP_SINK1=$CG_NET.129
	CG_IP_ROUT1=$CG_NET.130
	CG_PLEN=26
}

# cg_veth_quiet IF [NETNS]: offloads off, IPv6 off.
cg_veth_quiet() {
	local ifc=$1 ns=${2:-} pre=()
	[ -n "$ns" ] && pre=(ip netns exec "$ns")
	# tx/rx/gro are the ones TESTNET.md names; tso/gso follow tx on veth
	# but say so explicitly. Older ethtool versions reject some: retry basic.
	"${pre[@]}" ethtool -K "$ifc" tx off rx off gro off tso off gso off >/dev/null 2>&1 ||
		"${pre[@]}" ethtool -K "$ifc" tx off rx off gro off >/dev/null ||
		cg_die "ethtool -K $ifc failed"
	"${pre[@]}" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" >/dev/null
}

# cg_veth_pair RELAY_IF PEER_IF NETNS PEER_IP MTU: a veth whose relay end
# stays in the root namespace (up, no address) and whose peer goes to NETNS.
cg_veth_pair() {
	local rif=$1 pif=$2 ns=$3 ip=$4 mtu=$5
	# The peer is made inside its namespace: its name never meets the root's.
	ip link add "$rif" mtu "$mtu" type veth peer name "$pif" mtu "$mtu" netns "$ns" ||
		cg_die "ip link add $rif/$pif failed"
	CG_LINKS+=("$rif")
	cg_veth_quiet "$rif"
	ip link set "$rif" up
	cg_veth_quiet "$pif" "$ns"
	ip -n "$ns" addr add "$ip/$CG_PLEN" dev "$pif"
	ip -n "$ns" link set "$pif" up
}

cg_netns_add() {
	ip netns add "$1" || cg_die "ip netns add $1 failed"
	CG_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# cg_topo_relay [--mtu BYTES] [--sink1]: build the topology (second sink and
# cgtNrout1 with --sink1). Waits until every link is up.
cg_topo_relay() {
	local mtu=1500 sink1=0
	while [ $# -gt 0 ]; do
		case "$1" in
		--mtu) mtu=$2; shift ;;
		--sink1) sink1=1 ;;
		*) cg_die "cg_topo_relay: unknown option $1" ;;
		esac
		shift
	done
	cg_topo_names
	CG_MTU=$mtu
	cg_netns_add "$CG_NS_GEN"
	cg_netns_add "$CG_NS_SINK"
	cg_veth_pair "$CG_IF_RIN" "$CG_IF_GEN" "$CG_NS_GEN" "$CG_IP_GEN" "$mtu"
	cg_veth_pair "$CG_IF_ROUT0" "$CG_IF_SINK" "$CG_NS_SINK" "$CG_IP_SINK" "$mtu"
	# The stream leaves the generator by its veth, whatever the group.
	ip -n "$CG_NS_GEN" route add 239.0.0.0/8 dev "$CG_IF_GEN"
	cg_sink_sysctl "$CG_NS_SINK" "$CG_IF_SINK"
	if [ "$sink1" = 1 ]; then
		cg_netns_add "$CG_NS_SINK1"
		cg_veth_pair "$CG_IF_ROUT1" "$CG_IF_SINK1" "$CG_NS_SINK1" "$CG_IP_SINK1" "$mtu"
		cg_sink_sysctl "$CG_NS_SINK1" "$CG_IF_SINK1"
	fi
	cg_wait_links_up
}

cg_sink_sysctl() {
	local ns=$1 ifc=$2 k
	for k in all default "$ifc"; do
		ip netns exec "$ns" sysctl -qw "net.ipv4.conf.$k.rp_filter=0"
	done
}

# veth reports carrier once both ends are up; DPDK and the sockets need it.
cg_wait_links_up() {
	local i l down
	for ((i = 0; i < 100; i++)); do
		down=0
		for l in "${CG_LINKS[@]}"; do
			ip -o link show "$l" | grep -q 'NO-CARRIER\|state DOWN' && down=1
		done
		[ "$down" = 0 ] && return 0
		sleep 0.05
	done
	cg_die "links of $CG_PREFIX did not come up"
}

# cg_if_mac IF [NETNS]: the MAC address of an interface.
cg_if_mac() {
	local pre=()
	[ -n "${2:-}" ] && pre=(-n "$2")
	ip "${pre[@]}" -o link show "$1" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}
