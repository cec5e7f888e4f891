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

void
control_links_read(const struct control *c, struct cg_shm_link links[CG_SHM_MAX_PORTS])
{
	memset(links, 0, CG_SHM_MAX_PORTS * sizeof(*links));
	for (unsigned int p = 0; p < c->shm.info->nb_ports && p < CG_SHM_MAX_PORTS; p++)
		cg_shm_link_read(c->shm.info, p, &links[p]);
}

/* Paused when nothing can arrive, degraded when some output cannot send. */
const char *
control_rule_status(const struct cg_rule *r, const struct cg_shm_link *links)
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
	control_links_read(c, links);
	if (r->in.port_id < CG_SHM_MAX_PORTS)
		since = links[r->in.port_id].since_unix_ms;
	for (uint16_t o = 0; o < r->n_outputs && o < CG_RULE_MAX_OUTPUTS; o++) {
		uint16_t p = r->out[o].port_id;

		if (p < CG_SHM_MAX_PORTS && links[p].since_unix_ms > since)
			since = links[p].since_unix_ms;
		json_object_array_add(outs, json_object_new_string(port_active(links, p) ?
								   "active" : "paused"));
	}
	control_jadd(j, "status", json_object_new_string(control_rule_status(r, links)));
	control_jadd(j, "since_unix_ms", json_object_new_uint64(since));
	control_jadd(j, "input", json_object_new_string(port_active(links, r->in.port_id) ?
							"active" : "paused"));
	control_jadd(j, "outputs", outs);
	return j;
}

static void
emit_link(struct control *c, unsigned int p, const struct cg_shm_link *l, uint8_t state,
	  const char *reason)
{
	json_object *f = json_object_new_object();
	char ifname[16];

	control_jadd(f, "port", json_object_new_string(c->shm.info->ports[p].name));
	control_jadd(f, "state", json_object_new_string(cg_shm_port_state_name(state)));
	control_jadd(f, "source", json_object_new_string(cg_shm_link_source_name(l->source)));
	if (reason[0] != '\0')
		control_jadd(f, "reason", json_object_new_string(reason));
	if (cg_conf_kernel_iface(c->shm.info->ports[p].device, ifname, sizeof(ifname)))
		control_jadd(f, "interface", json_object_new_string(ifname));
	control_event_emit(c, state == CG_SHM_PORT_UP ? "link.up" : "link.down", f);
}

/* rule.paused/resumed of a rule's input (@p out < 0) or output @p out on port @p p. */
static void
emit_rule(struct control *c, const struct cg_rule *r, unsigned int p, int out, bool active)
{
	json_object *f = json_object_new_object();

	control_jadd(f, "rule", json_object_new_string(r->name));
	control_jadd(f, "id", json_object_new_uint64(r->id));
	control_jadd(f, "port", json_object_new_string(c->shm.info->ports[p].name));
	if (out >= 0)
		control_jadd(f, "output", json_object_new_int(out));
	control_event_emit(c, active ? "rule.resumed" : "rule.paused", f);
}

/* Every rule with its input or an output on port @p p is now @p active or not. */
static void
rules_changed(struct control *c, unsigned int p, bool active)
{
	struct control_rule_ref ref;

	for (uint32_t s = 0; s < control_rule_slots(c); s++) {
		if (!control_rule_at(c, s, &ref))
			continue;
		if (ref.rule->in.port_id == p)
			emit_rule(c, ref.rule, p, -1, active);
		for (uint16_t o = 0; o < ref.rule->n_outputs && o < CG_RULE_MAX_OUTPUTS; o++)
			if (ref.rule->out[o].port_id == p)
				emit_rule(c, ref.rule, p, o, active);
	}
}

/*
 * The state a port went through between two reads that found the same state
 * two changes apart. Up: down, or missing when it was re-opened since (a
 * close, then an open). Down: missing when re-opened, else up. Missing: it
 * was opened and went again, up or down unknown: down (no rule resumed).
 */
static uint8_t
link_between(const struct cg_shm_link *was, const struct cg_shm_link *now)
{
	bool reopened = now->opens > was->opens;

	switch (was->state) {
	case CG_SHM_PORT_UP:
		return reopened ? CG_SHM_PORT_MISSING : CG_SHM_PORT_DOWN;
	case CG_SHM_PORT_DOWN:
		return reopened ? CG_SHM_PORT_MISSING : CG_SHM_PORT_UP;
	default:
		return CG_SHM_PORT_DOWN;
	}
}

/* What changed on port @p p since the last tick, as events. */
static void
link_changed(struct control *c, unsigned int p, const struct cg_shm_link *was,
	     const struct cg_shm_link *now)
{
	bool before = was->state == CG_SHM_PORT_UP, after = now->state == CG_SHM_PORT_UP;
	uint8_t mid;

	/*
	 * Re-opened first: the link state that follows is the new device's.
	 * One event per opening, also when several came between two reads (an
	 * interface deleted and created again faster than the tick), so that a
	 * subscriber counts them all.
	 */
	for (uint64_t o = was->opens < 1 ? 2 : (uint64_t)was->opens + 1; o <= now->opens; o++) {
		json_object *f = json_object_new_object();

		control_jadd(f, "port", json_object_new_string(c->shm.info->ports[p].name));
		control_jadd(f, "port_id", json_object_new_int(now->port_id));
		control_jadd(f, "opens", json_object_new_uint64(o));
		control_event_emit(c, "port.reopened", f);
	}
	if (now->state != was->state) {
		emit_link(c, p, now, now->state, now->reason);
		if (before != after)
			rules_changed(c, p, after);
	} else if (now->changes >= was->changes + 2) {
		/* Went and came back between two reads: say both. */
		mid = link_between(was, now);
		emit_link(c, p, now, mid, "");
		emit_link(c, p, now, now->state, now->reason);
		if ((mid == CG_SHM_PORT_UP) != before) {
			rules_changed(c, p, !before);
			rules_changed(c, p, before);
		}
	}
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
