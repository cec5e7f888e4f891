/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ports' link state as the data plane follows it (its dp_link module:
 * netlink for af_packet and af_xdp ports, the driver's LSC callback, a 1 s
 * ethdev poll; it also opens ports late and re-opens re-created ones). The
 * data plane is the one source and logs every transition; here we read its
 * cg_info link[] each tick and turn what changed into events.
 */
#include <stdio.h>
#include <string.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "control.h"

static bool
port_active(const struct cg_shm_link *links, uint16_t port)
{
	return port < CG_SHM_MAX_PORTS && links[port].state == CG_SHM_PORT_UP;
}

/* A rule's status given its ports' states: paused when nothing can arrive,
 * degraded when some output cannot send. */
static const char *
rule_status(const struct cg_rule *r, const struct cg_shm_link *links)
{
	if (!port_active(links, r->in.port_id))
		return "paused";
	for (uint16_t o = 0; o < r->n_outputs && o < CG_RULE_MAX_OUTPUTS; o++)
		if (!port_active(links, r->out[o].port_id))
			return "degraded";
	return "active";
}

json_object *
control_rule_state_json(const struct control *c, const struct cg_rule *r)
{
	struct cg_shm_link links[CG_SHM_MAX_PORTS];
	json_object *j = json_object_new_object(), *outs = json_object_new_array();
	uint64_t since = 0;

	if (j == NULL || outs == NULL) {
		json_object_put(j);
		json_object_put(outs);
		return NULL;
	}
	memset(links, 0, sizeof(links));
	for (unsigned int p = 0; p < c->shm.info->nb_ports && p < CG_SHM_MAX_PORTS; p++)
		cg_shm_link_read(c->shm.info, p, &links[p]);
	if (r->in.port_id < CG_SHM_MAX_PORTS)
		since = links[r->in.port_id].since_unix_ms;
	for (uint16_t o = 0; o < r->n_outputs && o < CG_RULE_MAX_OUTPUTS; o++) {
		uint16_t p = r->out[o].port_id;

		if (p < CG_SHM_MAX_PORTS && links[p].since_unix_ms > since)
			since = links[p].since_unix_ms;
		json_object_array_add(outs, json_object_new_string(port_active(links, p) ?
								   "active" : "paused"));
	}
	control_jadd(j, "status", json_object_new_string(rule_status(r, links)));
	control_jadd(j, "since_unix_ms", json_object_new_uint64(since));
	control_jadd(j, "input", json_object_new_string(port_active(links, r->in.port_id) ?
							"active" : "paused"));
	control_jadd(j, "outputs", outs);
	return j;
}

/* What changed on port @p p since the last tick, as events. */
static void
link_changed(struct control *c, unsigned int p, const struct cg_shm_link *was,
	     const struct cg_shm_link *now)
{
	(void)c;
	(void)p;
	(void)was;
	(void)now;
}

void
control_link_start(struct control *c)
{
	for (unsigned int p = 0; p < c->shm.info->nb_ports; p++)
		cg_shm_link_read(c->shm.info, p, &c->link[p]);
}

void
control_link_tick(struct control *c)
{
	for (unsigned int p = 0; p < c->shm.info->nb_ports; p++) {
		struct cg_shm_link now;

		cg_shm_link_read(c->shm.info, p, &now);
		if (now.changes != c->link[p].changes || now.opens != c->link[p].opens ||
		    now.state != c->link[p].state)
			link_changed(c, p, &c->link[p], &now);
		c->link[p] = now;
	}
}

bool
control_port_link_up(const struct control *c, unsigned int idx)
{
	struct cg_shm_link l;

	cg_shm_link_read(c->shm.info, idx, &l);
	return l.state == CG_SHM_PORT_UP;
}

void
control_link_json(const struct control *c, unsigned int idx, json_object *link)
{
	struct cg_shm_link l;
	char ifname[16];

	cg_shm_link_read(c->shm.info, idx, &l);
	control_jadd(link, "up", json_object_new_boolean(l.state == CG_SHM_PORT_UP));
	control_jadd(link, "state", json_object_new_string(cg_shm_port_state_name(l.state)));
	control_jadd(link, "since_unix_ms", json_object_new_uint64(l.since_unix_ms));
	control_jadd(link, "source", json_object_new_string(cg_shm_link_source_name(l.source)));
	control_jadd(link, "changes", json_object_new_uint64(l.changes));
	control_jadd(link, "opens", json_object_new_uint64(l.opens));
	if (l.reason[0] != '\0')
		control_jadd(link, "reason", json_object_new_string(l.reason));
	if (cg_conf_kernel_iface(c->shm.info->ports[idx].device, ifname, sizeof(ifname)))
		control_jadd(link, "interface", json_object_new_string(ifname));
}
