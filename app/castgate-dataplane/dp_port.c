/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port bring-up in the canonical order (see examples/skeleton of DPDK).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "cg_nl.h"
#include "dp.h"
#include "dp_port.h"
#include "dp_xdp.h"

/* Ethernet header, one VLAN tag and the FCS some PMDs write into the buffer. */
#define L2_OVERHEAD (RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN)

#define PORT_ERR(p, op, ret) \
	CG_ERR("port %s: %s: %s (%d)", (p)->name, (op), rte_strerror(-(ret)), (ret))

/*
 * All-multicast on a kernel interface (af_packet, af_xdp), set over netlink:
 * the kernel changes that one flag under its lock. These PMDs' own
 * promiscuous and all-multicast calls read the flags and write them back
 * (SIOCGIFFLAGS, SIOCSIFFLAGS), which undoes an `ip link set up` made in
 * between: a port hot-plugged as its interface came up stayed down.
 */
static int
port_kernel_allmulti(const struct cg_dp_port *p)
{
	int ifindex = (int)if_nametoindex(p->ifname), ret;
	struct cg_nl *nl;
	char err[256];

	if (ifindex == 0) {
		ret = -errno;
		CG_ERR("port %s: interface %s: %s", p->name, p->ifname, strerror(-ret));
		return ret;
	}
	nl = cg_nl_open_netns(0, err, sizeof(err));
	if (nl == NULL) {
		ret = errno != 0 ? -errno : -EIO;
	} else {
		ret = cg_nl_link_set_flags(nl, ifindex, IFF_ALLMULTI, IFF_ALLMULTI, err,
					   sizeof(err));
		cg_nl_close(nl);
	}
	if (ret < 0)
		CG_ERR("port %s: all-multicast on %s: %s", p->name, p->ifname, err);
	return ret;
}

int
cg_dp_port_resolve_all(void)
{
	for (uint16_t i = 0; i < RTE_MAX_ETHPORTS; i++)
		dp_g.port_by_dpdk[i] = UINT16_MAX;
	for (uint16_t i = 0; i < dp_g.nb_ports; i++) {
		struct cg_dp_port *p = &dp_g.ports[i];
		char name[RTE_ETH_NAME_MAX_LEN];
		size_t n = strcspn(p->device, ",");
		uint16_t pid;
		int ret;

		if (p->deferred)
			continue;	/* dp_link opens it when its interface appears */
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p->device, n);
		name[n] = '\0';
		ret = rte_eth_dev_get_port_by_name(name, &pid);
		if (ret < 0) {
			CG_ERR("port %s: device %s: no such DPDK port (was it probed? check "
			       "the device string and the EAL log above)", p->name, name);
			return -ENODEV;
		}
		p->port_id = pid;
		dp_g.port_by_dpdk[pid] = i;
	}
	return 0;
}

/* The largest MTU ethdev accepts for this device, as its own checks compute
 * it: max_mtu, and max_rx_pktlen less the L2 overhead. */
static uint16_t
device_max_mtu(const struct rte_eth_dev_info *info)
{
	uint32_t overhead = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
	uint32_t m = info->max_mtu;

	if (info->max_mtu != UINT16_MAX && info->max_rx_pktlen > info->max_mtu)
		overhead = info->max_rx_pktlen - info->max_mtu;
	if (info->max_rx_pktlen > overhead)
		m = RTE_MIN(m, info->max_rx_pktlen - overhead);
	return (uint16_t)m;
}

int
cg_dp_port_up(uint16_t idx, uint16_t nb_queues)
{
	struct cg_dp_port *p = &dp_g.ports[idx];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = p->rx_desc ? p->rx_desc : dp_g.p.rx_desc;
	uint16_t nb_txd = p->tx_desc ? p->tx_desc : dp_g.p.tx_desc;
	uint32_t room = rte_pktmbuf_data_room_size(dp_g.pool) - RTE_PKTMBUF_HEADROOM;
	int socket = rte_eth_dev_socket_id(p->port_id);
	bool sw_mac = false, afp;
	uint16_t mtu, dev_max_mtu;
	int ret;

	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret != 0) {
		PORT_ERR(p, "rte_eth_dev_info_get", ret);
		return ret;
	}
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if ((ret = cg_dp_xdp_port_prepare(idx)) < 0)	/* a stale XDP program */
		return ret;
	if (info.max_rx_queues < nb_queues || info.max_tx_queues < nb_queues) {
		CG_ERR("port %s: %s has %u RX / %u TX queues, %u workers need %u each%s",
		       p->name, info.driver_name, info.max_rx_queues, info.max_tx_queues,
		       nb_queues, nb_queues,
		       strcmp(info.driver_name, "net_af_packet") == 0 ?
		       " (add qpairs=N to the device string)" : " (use fewer lcores)");
		return -EINVAL;
	}
	/* We refuse scattered RX: the fast path parses the first segment only. */
	if ((uint32_t)p->mtu + L2_OVERHEAD > room) {
		CG_ERR("port %s: mtu %u needs %u bytes of mbuf data room, the pool has %u: "
		       "raise [dataplane] mbuf_size to at least %u", p->name, p->mtu,
		       p->mtu + L2_OVERHEAD, room,
		       p->mtu + L2_OVERHEAD + RTE_PKTMBUF_HEADROOM);
		return -EINVAL;
	}
	/*
	 * net_af_packet in 22.11 reports a 1518-byte max frame although its ring
	 * frames (framesz=) may hold jumbo frames: there the interface MTU and
	 * framesz govern, dp_tx checks framesz, and we enforce our MTU on output.
	 */
	afp = strcmp(info.driver_name, "net_af_packet") == 0;
	dev_max_mtu = device_max_mtu(&info);
	if (p->mtu < info.min_mtu || (p->mtu > dev_max_mtu && !afp)) {
		CG_ERR("port %s: mtu %u is outside what %s supports (%u..%u)", p->name, p->mtu,
		       info.driver_name, info.min_mtu, dev_max_mtu);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = RTE_MIN(p->mtu, dev_max_mtu);
	/* Only where the driver raises it: af_packet and af_xdp refuse lsc = 1. */
	p->lsc = info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0;
	conf.intr_conf.lsc = p->lsc;
	p->multi_seg = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	if (p->multi_seg)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (p->tx_multi_seg == CG_CONF_MULTI_SEG_OFF) {
		p->multi_seg = false;
	} else if (p->tx_multi_seg == CG_CONF_MULTI_SEG_ON && !p->multi_seg) {
		/* Some drivers take chains without saying so (22.11's net_null frees them). */
		CG_WARN("port %s: tx_multi_seg = on, but %s does not declare multi-segment TX: "
			"fan-out hands it chained mbufs anyway", p->name, info.driver_name);
		p->multi_seg = true;
	}
	/*
	 * Several workers, one RX queue each: a NIC spreads the flows over them
	 * by RSS on the IP addresses and UDP ports (so groups, sources and
	 * ports spread), else all would land in queue 0. Software devices
	 * report no RSS and spread otherwise: af_packet by the kernel's
	 * PACKET_FANOUT hash, pcap with one file per queue.
	 */
	if (nb_queues > 1 &&
	    (info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP)) != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	}
	ret = rte_eth_dev_configure(p->port_id, nb_queues, nb_queues, &conf);
	if (ret != 0) {
		PORT_ERR(p, "rte_eth_dev_configure", ret);
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (ret != 0) {
		PORT_ERR(p, "rte_eth_dev_adjust_nb_rx_tx_desc", ret);
		return ret;
	}
	for (uint16_t q = 0; q < nb_queues; q++) {
		ret = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, (unsigned int)socket, NULL,
					     dp_g.pool);
		if (ret < 0) {
			PORT_ERR(p, "rte_eth_rx_queue_setup", ret);
			return ret;
		}
		struct rte_eth_txconf txc = info.default_txconf;

		txc.offloads = conf.txmode.offloads;
		ret = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, (unsigned int)socket, &txc);
		if (ret < 0) {
			PORT_ERR(p, "rte_eth_tx_queue_setup", ret);
			return ret;
		}
	}
	if (p->mac_set) {
		ret = rte_eth_dev_default_mac_addr_set(p->port_id, &p->mac);
		if (ret == -ENOTSUP) {
			/* e.g. pcap: we write every source MAC ourselves; promiscuous
			 * mode (below) lets frames to the configured MAC in. */
			CG_WARN("port %s: %s cannot change its MAC; using the configured one "
				"in software, with promiscuous RX", p->name, info.driver_name);
			sw_mac = true;
		} else if (ret != 0) {
			PORT_ERR(p, "rte_eth_dev_default_mac_addr_set", ret);
			return ret;
		}
	} else {
		ret = rte_eth_macaddr_get(p->port_id, &p->mac);
		if (ret != 0) {
			PORT_ERR(p, "rte_eth_macaddr_get", ret);
			return ret;
		}
	}
	if (p->mtu > dev_max_mtu) {
		CG_INFO("port %s: mtu %u is above the %u %s reports: the interface MTU and "
			"framesz govern RX; output is limited to %u", p->name, p->mtu,
			dev_max_mtu, info.driver_name, p->mtu);
		ret = 0;
	} else {
		ret = rte_eth_dev_set_mtu(p->port_id, p->mtu);
	}
	if (ret == -ENOTSUP) {
		/* e.g. pcap: nothing to set; the fast path still enforces our MTU. */
		if (rte_eth_dev_get_mtu(p->port_id, &mtu) == 0 && mtu != p->mtu)
			CG_WARN("port %s: %s cannot set its MTU (it is %u); enforcing %u on "
				"output only", p->name, info.driver_name, mtu, p->mtu);
	} else if (ret != 0) {
		PORT_ERR(p, "rte_eth_dev_set_mtu", ret);
		return ret;
	}
	ret = rte_eth_dev_start(p->port_id);
	if (ret != 0) {
		PORT_ERR(p, "rte_eth_dev_start", ret);
		return ret;
	}
	p->up = true;
	p->nb_queues = nb_queues;
	if ((ret = cg_dp_xdp_port_started(idx)) < 0)	/* fill the steering map */
		return ret;
	if (p->ifname[0] == '\0')
		cg_conf_kernel_iface(p->device, p->ifname, sizeof(p->ifname));
	if (p->ifname[0] != '\0')
		ret = port_kernel_allmulti(p);
	else
		ret = sw_mac ? -ENOTSUP : rte_eth_allmulticast_enable(p->port_id);
	if (ret == -ENOTSUP) {
		ret = rte_eth_promiscuous_enable(p->port_id);
		if (ret == 0 && !sw_mac)
			CG_INFO("port %s: no all-multicast mode; promiscuous instead", p->name);
		else if (ret != 0 && ret != -ENOTSUP)
			PORT_ERR(p, "rte_eth_promiscuous_enable", ret);
	} else if (ret != 0) {
		PORT_ERR(p, "rte_eth_allmulticast_enable", ret);
		return ret;
	}
	p->afp_guard = afp;
	CG_INFO("port %s: up: %s dpdk port %u, mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u, "
		"%u queue(s), %u/%u descriptors%s%s", p->name, info.driver_name, p->port_id,
		p->mac.addr_bytes[0], p->mac.addr_bytes[1], p->mac.addr_bytes[2],
		p->mac.addr_bytes[3], p->mac.addr_bytes[4], p->mac.addr_bytes[5], p->mtu,
		nb_queues, nb_rxd, nb_txd, p->multi_seg ? ", multi-seg TX" : ", copy fan-out",
		p->afp_guard ? ", af_packet TX guard" : "");
	return 0;
}

void
cg_dp_port_down_all(void)
{
	for (uint16_t i = 0; i < dp_g.nb_ports; i++) {
		struct cg_dp_port *p = &dp_g.ports[i];
		int ret;

		if (!p->up)
			continue;
		ret = rte_eth_dev_stop(p->port_id);
		if (ret != 0)
			PORT_ERR(p, "rte_eth_dev_stop", ret);
		ret = rte_eth_dev_close(p->port_id);
		if (ret != 0)
			PORT_ERR(p, "rte_eth_dev_close", ret);
		p->up = false;
	}
}
