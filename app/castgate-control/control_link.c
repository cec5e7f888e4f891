/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link state of the data plane's ports, from the source each one has:
 *   - kernel-backed ports (af_packet, af_xdp: an iface= devarg): a netlink
 *     monitor (RTNLGRP_LINK), because their PMDs never report a change after
 *     start; listed again every CONTROL_LINK_RESYNC_TICKS ticks and after the
 *     kernel dropped messages, so that a lost event cannot stick;
 *   - other ports: rte_eth_link_get_nowait() every tick (1 s).
 * Every transition is logged once and kept with its time (port.list/get,
 * system.health).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include <rte_ethdev.h>

#include "cg_log.h"
#include "cg_nl.h"
#include "control.h"

/* Ticks (1 s) between two full listings of the kernel's links. */
#define CONTROL_LINK_RESYNC_TICKS 10

/* The interface of an iface= devarg of a kernel-backed vdev, or "". */
static void
kernel_iface(const char *device, char *name, size_t size)
{
	const char *a;

	name[0] = '\0';
	if (strncmp(device, "net_af_packet", 13) != 0 && strncmp(device, "net_af_xdp", 10) != 0)
		return;
	for (a = strchr(device, ','); a != NULL; a = strchr(a + 1, ','))
		if (strncmp(a + 1, "iface=", 6) == 0) {
			snprintf(name, size, "%.*s", (int)strcspn(a + 7, ","), a + 7);
			return;
		}
}

static void
set_state(struct control *c, unsigned int p, bool up, const char *source, const char *why)
{
	struct control_link *l = &c->link[p];

	if (l->known && l->up == up)
		return;
	if (l->known || !up)
		cg_log(up ? CG_LOG_INFO : CG_LOG_WARN, "port %s%s%s%s: link %s (%s%s%s)",
		       c->shm.info->ports[p].name, l->ifname[0] ? " (" : "", l->ifname,
		       l->ifname[0] ? ")" : "", up ? "up" : "down", source, why ? ": " : "",
		       why ? why : "");
	l->known = true;
	l->up = up;
	l->source = source;
	l->since_unix_ms = control_now_ms();
}

static int
on_link(const struct cg_nl_link *k, void *arg)
{
	struct control *c = arg;

	for (unsigned int p = 0; p < c->shm.info->nb_ports; p++)
		if (c->link[p].ifname[0] != '\0' && strcmp(c->link[p].ifname, k->name) == 0)
			set_state(c, p, cg_nl_link_is_up(k), "netlink",
				  k->deleted ? "the interface was deleted" : NULL);
	return 0;
}

/* List the kernel's links; a monitored interface missing from it is down. */
static void
resync(struct control *c)
{
	bool seen[CG_SHM_MAX_PORTS] = { false };
	struct cg_nl *nl;
	char err[256];
	int ret;

	nl = cg_nl_open_netns(0, err, sizeof(err));
	if (nl == NULL) {
		CG_WARN("link state: %s", err);
		return;
	}
	for (unsigned int p = 0; p < c->shm.info->nb_ports; p++)
		seen[p] = c->link[p].ifname[0] == '\0';
	ret = cg_nl_link_list(nl, on_link, c, err, sizeof(err));
	cg_nl_close(nl);
	if (ret < 0) {
		CG_WARN("link state: %s", err);
		return;
	}
	for (unsigned int p = 0; p < c->shm.info->nb_ports; p++) {
		if (seen[p])
			continue;
		if (if_nametoindex(c->link[p].ifname) == 0)
			set_state(c, p, false, "netlink", "no such interface");
	}
}

static void
poll_ethdev(struct control *c)
{
	for (unsigned int p = 0; p < c->shm.info->nb_ports; p++) {
		uint16_t pid = c->shm.info->ports[p].port_id;
		struct rte_eth_link link;

		if (c->link[p].ifname[0] != '\0')
			continue;
		memset(&link, 0, sizeof(link));
		if (rte_eth_dev_is_valid_port(pid))
			rte_eth_link_get_nowait(pid, &link);
		set_state(c, p, link.link_status == RTE_ETH_LINK_UP, "ethdev", NULL);
	}
}

int
control_link_start(struct control *c)
{
	char err[256];

	for (unsigned int p = 0; p < c->shm.info->nb_ports; p++)
		kernel_iface(c->shm.info->ports[p].device, c->link[p].ifname,
			     sizeof(c->link[p].ifname));
	c->lmon = cg_nl_link_monitor_open(err, sizeof(err));
	if (c->lmon == NULL)
		CG_WARN("link state: %s; kernel-backed ports are listed every %d s instead",
			err, CONTROL_LINK_RESYNC_TICKS);
	resync(c);
	poll_ethdev(c);
	return c->lmon != NULL ? cg_nl_link_monitor_fd(c->lmon) : -1;
}

void
control_link_read(struct control *c)
{
	int ret = cg_nl_link_monitor_read(c->lmon, on_link, c);

	if (ret == -ENOBUFS) {
		CG_WARN("link state: the kernel dropped link messages; listing the links again");
		resync(c);
	} else if (ret < 0) {
		CG_WARN("link state: netlink: %s", strerror(-ret));
	}
}

void
control_link_tick(struct control *c)
{
	poll_ethdev(c);
	if (++c->link_ticks >= CONTROL_LINK_RESYNC_TICKS) {
		c->link_ticks = 0;
		resync(c);
	}
}

void
control_link_stop(struct control *c)
{
	cg_nl_link_monitor_close(c->lmon);
	c->lmon = NULL;
}

bool
control_port_link_up(const struct control *c, unsigned int idx)
{
	return c->link[idx].up;
}

void
control_link_json(const struct control *c, unsigned int idx, json_object *link)
{
	const struct control_link *l = &c->link[idx];

	control_jadd(link, "up", json_object_new_boolean(l->up));
	control_jadd(link, "since_unix_ms", json_object_new_uint64(l->since_unix_ms));
	control_jadd(link, "source", json_object_new_string(l->source ? l->source : "none"));
	if (l->ifname[0] != '\0')
		control_jadd(link, "interface", json_object_new_string(l->ifname));
}
