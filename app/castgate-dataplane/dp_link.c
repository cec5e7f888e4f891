/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link state and presence of the ports. See dp_link.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_pause.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "cg_nl.h"
#include "dp.h"
#include "dp_arp.h"
#include "dp_fwd.h"
#include "dp_igmp.h"
#include "dp_link.h"
#include "dp_port.h"
#include "dp_shm.h"

/* The slow checks: ethdev link, kernel interfaces, missing ports. */
#define LINK_CHECK_MS 1000
/* How long a close waits for the workers to let go of the port. */
#define LINK_CLOSE_WAIT_MS 1000

static struct cg_nl_monitor *nl_mon;
static int ioctl_fd = -1;
static uint64_t next_check;
/* Set by the LSC callback (interrupt thread), taken by the main lcore. */
static uint8_t lsc_pending[CG_DP_MAX_PORTS];
/* A port's first state is not a transition; missing ports log their
 * failures to open once per absence. */
static bool known[CG_DP_MAX_PORTS], open_failed[CG_DP_MAX_PORTS];

static uint64_t
now_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The device name of a device string: what the EAL and ethdev call it. */
static void
dev_name(const char *devargs, char *name, size_t size)
{
	snprintf(name, size, "%.*s", (int)strcspn(devargs, ","), devargs);
}

bool
cg_dp_link_defer_vdev(const char *devargs, void *arg __rte_unused)
{
	char name[RTE_DEV_NAME_MAX_LEN], pname[RTE_DEV_NAME_MAX_LEN];

	dev_name(devargs, name, sizeof(name));
	for (uint16_t i = 0; i < dp_g.nb_ports; i++) {
		struct cg_dp_port *p = &dp_g.ports[i];

		dev_name(p->device, pname, sizeof(pname));
		if (strcmp(name, pname) != 0)
			continue;
		snprintf(p->devargs, sizeof(p->devargs), "%s", devargs);
		if (!cg_conf_kernel_iface(devargs, p->ifname, sizeof(p->ifname)) ||
		    if_nametoindex(p->ifname) != 0)
			return false;
		CG_WARN("port %s: interface %s does not exist: starting without the port; "
			"it is opened when the interface appears", p->name, p->ifname);
		p->deferred = true;
		return true;
	}
	return false;
}

/* Write port @p idx's state into cg_info (seqlock) and tell the workers. */
static void
set_state(uint16_t idx, uint8_t state, uint8_t source, const char *reason)
{
	struct cg_dp_port *p = &dp_g.ports[idx];
	struct cg_shm_link *l = &cg_dp_info->link[idx];
	uint32_t seq = l->seq;

	if (known[idx] && l->state == state && l->port_id == p->port_id)
		return;
	if (known[idx] || state != CG_SHM_PORT_UP)
		cg_log(state == CG_SHM_PORT_UP ? CG_LOG_INFO : CG_LOG_WARN,
		       "port %s%s%s%s: %s%s (%s%s%s)", p->name, p->ifname[0] ? " (" : "",
		       p->ifname, p->ifname[0] ? ")" : "",
		       state == CG_SHM_PORT_MISSING ? "" : "link ", cg_shm_port_state_name(state),
		       cg_shm_link_source_name(source), reason[0] ? ": " : "", reason);
	__atomic_store_n(&l->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (known[idx])
		l->changes++;
	l->state = state;
	l->source = source;
	l->port_id = p->up ? p->port_id : UINT16_MAX;
	l->since_unix_ms = now_unix_ms();
	snprintf(l->reason, sizeof(l->reason), "%s", reason);
	__atomic_store_n(&l->seq, seq + 2, __ATOMIC_RELEASE);
	if (known[idx] && state == CG_SHM_PORT_UP) {
		cg_dp_igmp_port_up(idx);
		cg_dp_arp_port_up(idx);
	}
	known[idx] = true;

	dp_g.port_open[idx] = state != CG_SHM_PORT_MISSING;
	dp_g.port_tx[idx] = state == CG_SHM_PORT_UP;
	__atomic_store_n(&dp_g.port_gen, dp_g.port_gen + 1, __ATOMIC_RELEASE);
}

/* Up, with carrier, as the kernel says; -1: no such interface. */
static int
kernel_link(const struct cg_dp_port *p, int *ifindex)
{
	char path[64], c = '0';
	struct ifreq ifr;
	ssize_t n;
	int fd;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->ifname);
	if (ioctl_fd < 0 || ioctl(ioctl_fd, SIOCGIFINDEX, &ifr) < 0)
		return -1;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(ioctl_fd, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	if (!(ifr.ifr_flags & IFF_UP))
		return 0;
	/*
	 * The carrier itself, as the driver set it: IFF_RUNNING follows it only
	 * once the kernel's linkwatch work has run, which a loaded machine may
	 * put off for seconds.
	 */
	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", p->ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, &c, 1);
		close(fd);
		if (n == 1)
			return c == '1';
	}
	return (ifr.ifr_flags & IFF_RUNNING) != 0;
}

static int
on_lsc(uint16_t port_id, enum rte_eth_event_type type __rte_unused, void *arg,
       void *ret_param __rte_unused)
{
	uint16_t idx = (uint16_t)(uintptr_t)arg;

	if (idx < dp_g.nb_ports && dp_g.ports[idx].port_id == port_id)
		__atomic_store_n(&lsc_pending[idx], 1, __ATOMIC_RELEASE);
	return 0;
}

static void
ethdev_link(uint16_t idx, uint8_t source)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(dp_g.ports[idx].port_id, &link) < 0)
		return;
	set_state(idx, link.link_status == RTE_ETH_LINK_UP ? CG_SHM_PORT_UP : CG_SHM_PORT_DOWN,
		  source, "");
}

/*
 * Remove the device of port @p p (DPDK port @p pid, stopped). Removing it
 * detaches it from the secondaries (control) first, then closes it here:
 * closing it first freed its private data while control could still read
 * the port's counters through it.
 */
static void
unplug(const struct cg_dp_port *p, uint16_t pid)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	int ret;

	dev_name(p->devargs, name, sizeof(name));
	ret = rte_eal_hotplug_remove("vdev", name);
	if (ret == 0)
		return;
	/* A secondary did not answer: close ours all the same; the device
	 * itself goes at the next open's retry (port_open). */
	CG_WARN("port %s: removing device %s: %s", p->name, name, rte_strerror(-ret));
	if (rte_eth_dev_is_valid_port(pid)) {
		ret = rte_eth_dev_close(pid);
		if (ret != 0)
			CG_WARN("port %s: rte_eth_dev_close: %s", p->name, rte_strerror(-ret));
	}
}

/* Stop, close and unplug port @p idx once no worker uses it. */
static void
port_close(uint16_t idx, const char *why)
{
	struct cg_dp_port *p = &dp_g.ports[idx];
	uint64_t deadline = rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000 * LINK_CLOSE_WAIT_MS;
	uint16_t pid = p->port_id;
	int ret;

	set_state(idx, CG_SHM_PORT_MISSING, CG_SHM_LINK_SRC_NETLINK, why);
	while (!cg_dp_fwd_ports_synced(dp_g.port_gen)) {
		if (rte_get_tsc_cycles() > deadline) {
			/* Not closed: a worker may still poll it. Retried next check. */
			CG_ERR("port %s: a worker did not let go of the port in %d ms; "
			       "not closing it yet", p->name, LINK_CLOSE_WAIT_MS);
			return;
		}
		rte_pause();
	}
	if (p->lsc)
		rte_eth_dev_callback_unregister(pid, RTE_ETH_EVENT_INTR_LSC, on_lsc,
						(void *)(uintptr_t)idx);
	ret = rte_eth_dev_stop(pid);
	if (ret != 0)
		CG_WARN("port %s: rte_eth_dev_stop: %s", p->name, rte_strerror(-ret));
	unplug(p, pid);
	dp_g.port_by_dpdk[pid] = UINT16_MAX;
	p->up = false;
	p->ifindex = 0;
	cg_dp_shm_publish_port(idx);
	CG_INFO("port %s: closed (dpdk port %u); opened again when %s is back", p->name, pid,
		p->ifname);
}

/* Probe, bring up and hand to the workers port @p idx, whose interface exists. */
static void
port_open(uint16_t idx)
{
	struct cg_dp_port *p = &dp_g.ports[idx];
	char name[RTE_DEV_NAME_MAX_LEN];
	const char *args = strchr(p->devargs, ',');
	struct cg_shm_link *l = &cg_dp_info->link[idx];
	int up, ifindex = 0, ret;
	uint16_t pid;

	dev_name(p->devargs, name, sizeof(name));
	ret = rte_eal_hotplug_add("vdev", name, args != NULL ? args + 1 : "");
	if (ret == 0)
		ret = rte_eth_dev_get_port_by_name(name, &pid);
	if (ret != 0) {
		if (!open_failed[idx])
			CG_ERR("port %s: cannot open device %s: %s; trying again every %d ms",
			       p->name, p->devargs, rte_strerror(-ret), LINK_CHECK_MS);
		open_failed[idx] = true;
		rte_eal_hotplug_remove("vdev", name);
		return;
	}
	p->port_id = pid;
	dp_g.port_by_dpdk[pid] = idx;
	ret = cg_dp_port_up(idx, (uint16_t)dp_g.nb_workers);
	if (ret == 0 && p->lsc)
		ret = rte_eth_dev_callback_register(pid, RTE_ETH_EVENT_INTR_LSC, on_lsc,
						    (void *)(uintptr_t)idx);
	if (ret != 0) {
		open_failed[idx] = true;
		if (p->up)
			rte_eth_dev_stop(pid);
		unplug(p, pid);
		dp_g.port_by_dpdk[pid] = UINT16_MAX;
		p->up = false;
		return;
	}
	open_failed[idx] = false;
	up = kernel_link(p, &ifindex);
	p->ifindex = ifindex;
	l->opens++;
	cg_dp_shm_publish_port(idx);
	CG_INFO("port %s: %s (dpdk port %u)", p->name, l->opens > 1 ? "re-opened" : "opened",
		pid);
	set_state(idx, up > 0 ? CG_SHM_PORT_UP : CG_SHM_PORT_DOWN, CG_SHM_LINK_SRC_NETLINK,
		  l->opens > 1 ? "re-opened" : "opened");
	cg_dp_arp_announce(idx);
}

/* A kernel-backed port against what the kernel has now. */
static void
check_kernel_port(uint16_t idx, const char *why_gone)
{
	struct cg_dp_port *p = &dp_g.ports[idx];
	int ifindex = 0, up = kernel_link(p, &ifindex);

	if (up < 0) {
		if (p->up)
			port_close(idx, why_gone);
		else if (!known[idx])
			set_state(idx, CG_SHM_PORT_MISSING, CG_SHM_LINK_SRC_NETLINK,
				  "no such interface");
		return;
	}
	if (p->up && ifindex != p->ifindex) {
		/* Deleted and created again: the PMD's socket is bound to the old one. */
		port_close(idx, "the interface was created again");
		if (p->up)
			return;
	}
	if (!p->up)
		port_open(idx);
	else
		set_state(idx, up ? CG_SHM_PORT_UP : CG_SHM_PORT_DOWN, CG_SHM_LINK_SRC_NETLINK,
			  "");
}

static int
on_nl(const struct cg_nl_link *k, void *arg __rte_unused)
{
	for (uint16_t i = 0; i < dp_g.nb_ports; i++)
		if (dp_g.ports[i].ifname[0] != '\0' && strcmp(dp_g.ports[i].ifname, k->name) == 0)
			check_kernel_port(i, "the interface was deleted");
	return 0;
}

int
cg_dp_link_init(void)
{
	char err[256];

	ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ioctl_fd < 0)
		CG_WARN("link state: socket: %s", strerror(errno));
	nl_mon = cg_nl_link_monitor_open(err, sizeof(err));
	if (nl_mon == NULL)
		CG_WARN("link state: %s; kernel interfaces are checked every %d ms instead",
			err, LINK_CHECK_MS);
	for (uint16_t i = 0; i < dp_g.nb_ports; i++) {
		struct cg_dp_port *p = &dp_g.ports[i];

		if (p->ifname[0] == '\0')
			cg_conf_kernel_iface(p->device, p->ifname, sizeof(p->ifname));
		if (!p->up) {
			set_state(i, CG_SHM_PORT_MISSING, CG_SHM_LINK_SRC_NETLINK,
				  "no such interface");
			continue;
		}
		cg_dp_info->link[i].opens = 1;
		if (p->lsc && rte_eth_dev_callback_register(p->port_id, RTE_ETH_EVENT_INTR_LSC,
							    on_lsc, (void *)(uintptr_t)i) != 0) {
			CG_WARN("port %s: no LSC callback; polling its link", p->name);
			p->lsc = false;
		}
		if (p->ifname[0] != '\0') {
			kernel_link(p, &p->ifindex);	/* the one the PMD bound to */
			check_kernel_port(i, "the interface was deleted");
		} else {
			ethdev_link(i, p->lsc ? CG_SHM_LINK_SRC_LSC : CG_SHM_LINK_SRC_POLL);
		}
	}
	next_check = rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000 * LINK_CHECK_MS;
	return 0;
}

void
cg_dp_link_poll(uint64_t now)
{
	if (nl_mon != NULL) {
		int ret = cg_nl_link_monitor_read(nl_mon, on_nl, NULL);

		if (ret == -ENOBUFS)
			CG_WARN("link state: the kernel dropped link messages; checking now");
		if (ret == -ENOBUFS)
			next_check = 0;
	}
	for (uint16_t i = 0; i < dp_g.nb_ports; i++)
		if (__atomic_exchange_n(&lsc_pending[i], 0, __ATOMIC_ACQ_REL) && dp_g.ports[i].up)
			ethdev_link(i, CG_SHM_LINK_SRC_LSC);
	if (now < next_check)
		return;
	next_check = now + rte_get_tsc_hz() / 1000 * LINK_CHECK_MS;
	for (uint16_t i = 0; i < dp_g.nb_ports; i++) {
		if (dp_g.ports[i].ifname[0] != '\0')
			check_kernel_port(i, "the interface was deleted");
		else if (dp_g.ports[i].up)
			ethdev_link(i, CG_SHM_LINK_SRC_POLL);
	}
}

void
cg_dp_link_fini(void)
{
	for (uint16_t i = 0; i < dp_g.nb_ports; i++)
		if (dp_g.ports[i].up && dp_g.ports[i].lsc)
			rte_eth_dev_callback_unregister(dp_g.ports[i].port_id,
							RTE_ETH_EVENT_INTR_LSC, on_lsc,
							(void *)(uintptr_t)i);
	cg_nl_link_monitor_close(nl_mon);
	nl_mon = NULL;
	if (ioctl_fd >= 0)
		close(ioctl_fd);
	ioctl_fd = -1;
}
