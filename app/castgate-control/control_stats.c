/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stats: a sampler that reads every counter once a second (for rates), the
 * baselines of stats.clear, and the JSON of stats.get, port.list/get.
 *
 * Counts are read live at each request (so that they match what a sink
 * received to the packet) minus the baseline; rates are the difference of
 * the last two samples over their interval. The data plane's counters are
 * never written: a clear only moves our baselines. A rule's counters start
 * from zero when it is (re)installed, so its baseline and samples are kept
 * per slot *and* name, and forgotten when control changes the rule.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>

#include "cg_log.h"
#include "cg_shm.h"
#include "control.h"

struct rule_sample {
	char name[CG_RULE_NAME_SIZE];	/**< "" = nothing sampled in this slot */
	struct cg_shm_ctr_rule ctr;
};

struct sample {
	uint64_t mono_ms;
	struct cg_shm_totals tot;
	uint64_t drops[CG_SHM_DROP_MAX];
	struct rte_eth_stats port[CG_SHM_MAX_PORTS];
	struct cg_shm_lcore_totals lcore[CG_SHM_MAX_LCORES];
	struct rule_sample *rule;	/**< nb_rules entries, one per rule slot */
};

struct control_stats {
	struct sample s[2];		/**< the last two samples */
	unsigned int cur;		/**< index of the newest */
	unsigned int taken;		/**< samples taken, capped at 2 */
	struct sample base;		/**< stats.clear baselines (zero: none) */
	uint64_t cleared_unix_ms;	/**< 0: never cleared */
	uint32_t nb_rules;		/**< entries of each sample's rule[]: the data plane's slots */
};

int
control_stats_init(struct control *c)
{
	struct control_stats *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return -ENOMEM;
	/* Sized by the attached data plane's max_rules, fixed for its life. */
	st->nb_rules = control_rule_slots(c);
	st->s[0].rule = calloc(st->nb_rules ? st->nb_rules : 1, sizeof(struct rule_sample));
	st->s[1].rule = calloc(st->nb_rules ? st->nb_rules : 1, sizeof(struct rule_sample));
	st->base.rule = calloc(st->nb_rules ? st->nb_rules : 1, sizeof(struct rule_sample));
	c->stats = st;
	if (st->s[0].rule == NULL || st->s[1].rule == NULL || st->base.rule == NULL) {
		control_stats_fini(c);
		return -ENOMEM;
	}
	return 0;
}

void
control_stats_fini(struct control *c)
{
	if (c->stats == NULL)
		return;
	free(c->stats->s[0].rule);
	free(c->stats->s[1].rule);
	free(c->stats->base.rule);
	free(c->stats);
	c->stats = NULL;
}

static json_object *
ju64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static uint64_t
rate(uint64_t newer, uint64_t older, uint64_t dt_ms, unsigned int mult)
{
	if (dt_ms == 0 || newer < older)
		return 0;
	return (newer - older) * mult * 1000u / dt_ms;
}

static void
read_port(const struct control *c, unsigned int idx, struct rte_eth_stats *st)
{
	uint16_t pid = c->shm.info->ports[idx].port_id;

	memset(st, 0, sizeof(*st));
	if (control_port_lock(pid)) {
		rte_eth_stats_get(pid, st);
		control_port_unlock();
	}
}

/* Everything but the rules (those are read per slot). */
static void
read_global(const struct control *c, struct sample *s)
{
	const struct cg_shm_info *info = c->shm.info;

	cg_shm_totals_read(c->shm.ctrs, info->nb_ctr_blocks, c->shm.rules, &s->tot);
	cg_shm_drops_read(c->shm.ctrs, info->nb_ctr_blocks, s->drops);
	for (uint32_t l = 0; l < info->nb_ctr_blocks && l < CG_SHM_MAX_LCORES; l++)
		cg_shm_lcore_read(cg_shm_ctr_block(c->shm.ctrs, l), &s->lcore[l]);
	for (unsigned int p = 0; p < info->nb_ports; p++)
		read_port(c, p, &s->port[p]);
}

static void
read_rule(const struct control *c, uint32_t slot, struct rule_sample *rs)
{
	const struct cg_shm_rule_slot *sl = cg_shm_rule_slot(c->shm.rules, slot);

	snprintf(rs->name, sizeof(rs->name), "%.*s", (int)sizeof(rs->name) - 1, sl->rule.name);
	cg_shm_rule_ctrs(&c->shm, slot, &rs->ctr);
}

/* The rules' samples, for their rates. */
static void
read_rules(const struct control *c, struct sample *s)
{
	struct control_rule_ref ref;

	for (uint32_t slot = 0; slot < c->stats->nb_rules; slot++) {
		s->rule[slot].name[0] = '\0';
		if (control_rule_at(c, slot, &ref))
			read_rule(c, slot, &s->rule[slot]);
	}
}

void
control_stats_sample(struct control *c)
{
	struct control_stats *st = c->stats;
	struct sample *s;

	if (st == NULL)
		return;
	st->cur ^= 1;
	s = &st->s[st->cur];
	s->mono_ms = control_mono_ms();
	read_global(c, s);
	read_rules(c, s);
	if (st->taken < 2)
		st->taken++;
}

void
control_stats_forget_rule(struct control *c, const char *name)
{
	struct control_stats *st = c->stats;

	if (st == NULL)
		return;
	for (uint32_t slot = 0; slot < st->nb_rules; slot++) {
		if (strcmp(st->base.rule[slot].name, name) == 0)
			memset(&st->base.rule[slot], 0, sizeof(st->base.rule[slot]));
		for (int i = 0; i < 2; i++)
			if (strcmp(st->s[i].rule[slot].name, name) == 0)
				st->s[i].rule[slot].name[0] = '\0';
	}
}

uint64_t
control_stats_clear(struct control *c)
{
	struct control_stats *st = c->stats;

	read_global(c, &st->base);
	read_rules(c, &st->base);
	st->cleared_unix_ms = control_now_ms();
	return st->cleared_unix_ms;
}

/* The newest and the one before, or NULL when there are not two yet. */
static bool
last_two(const struct control_stats *st, const struct sample **n, const struct sample **o,
	 uint64_t *dt)
{
	if (st->taken < 2)
		return false;
	*n = &st->s[st->cur];
	*o = &st->s[st->cur ^ 1];
	*dt = (*n)->mono_ms - (*o)->mono_ms;
	return *dt > 0;
}

/* A rule sample of @slot in @s if it is the same rule (by name). */
static const struct cg_shm_ctr_rule *
rule_in(const struct sample *s, uint32_t slot, const char *name)
{
	if (s == NULL || s->rule == NULL || strcmp(s->rule[slot].name, name) != 0)
		return NULL;
	return &s->rule[slot].ctr;
}

json_object *
control_rule_stats_json(struct control *c, uint32_t slot)
{
	const struct sample *sn = NULL, *so = NULL;
	const struct cg_shm_ctr_rule *b, *rn, *ro;
	static const struct cg_shm_ctr_rule zero;
	struct control_rule_ref ref;
	struct rule_sample live;
	json_object *j, *outs;
	struct cg_shm_sink k;
	uint64_t dt = 0;

	if (!control_rule_at(c, slot, &ref))
		return NULL;
	read_rule(c, slot, &live);
	b = rule_in(&c->stats->base, slot, live.name);
	if (b == NULL)
		b = &zero;
	if (!last_two(c->stats, &sn, &so, &dt))
		sn = so = NULL;
	rn = rule_in(sn, slot, live.name);
	ro = rule_in(so, slot, live.name);
	j = json_object_new_object();
	outs = json_object_new_array();
	if (j == NULL || outs == NULL) {
		json_object_put(j);
		json_object_put(outs);
		return NULL;
	}
	k = cg_shm_json_sink(j);
	cg_shm_emit_rule(&k, ref.rule, &live.ctr, b);
	control_jadd(j, "rx_pps", ju64(rn && ro ? rate(rn->rx_pkts, ro->rx_pkts, dt, 1) : 0));
	control_jadd(j, "rx_bps", ju64(rn && ro ? rate(rn->rx_bytes, ro->rx_bytes, dt, 8) : 0));
	for (unsigned int o = 0; o < ref.rule->n_outputs && o < CG_SHM_MAX_OUTPUTS; o++) {
		json_object *jo = json_object_new_object();

		if (jo == NULL)
			continue;
		k = cg_shm_json_sink(jo);
		cg_shm_emit_output(&k, &ref.rule->out[o], &live.ctr.out[o], &b->out[o]);
		control_jadd(jo, "tx_pps", ju64(rn && ro ?
						rate(rn->out[o].pkts, ro->out[o].pkts, dt, 1) : 0));
		control_jadd(jo, "tx_bps", ju64(rn && ro ? rate(rn->out[o].bytes, ro->out[o].bytes,
							    dt, 8) : 0));
		if (json_object_array_add(outs, jo) < 0)
			json_object_put(jo);
	}
	control_jadd(j, "outputs", outs);
	control_jadd(j, "silence", control_silence_json(c, slot));
	return j;
}

json_object *
control_port_stats_json(struct control *c, unsigned int idx)
{
	const struct rte_eth_stats *b = &c->stats->base.port[idx], *pn = NULL, *po = NULL;
	const struct sample *sn, *so;
	struct rte_eth_stats st;
	json_object *j = json_object_new_object();
	struct cg_shm_sink k;
	uint64_t dt = 0;

	if (j == NULL)
		return NULL;
	read_port(c, idx, &st);
	if (last_two(c->stats, &sn, &so, &dt)) {
		pn = &sn->port[idx];
		po = &so->port[idx];
	}
	k = cg_shm_json_sink(j);
	cg_shm_emit_port(&k, &st, b);
	control_jadd(j, "rx_pps", ju64(pn ? rate(pn->ipackets, po->ipackets, dt, 1) : 0));
	control_jadd(j, "tx_pps", ju64(pn ? rate(pn->opackets, po->opackets, dt, 1) : 0));
	control_jadd(j, "rx_bps", ju64(pn ? rate(pn->ibytes, po->ibytes, dt, 8) : 0));
	control_jadd(j, "tx_bps", ju64(pn ? rate(pn->obytes, po->obytes, dt, 8) : 0));
	return j;
}

json_object *
control_stats_json(struct control *c, uint32_t rule_slot)
{
	const struct cg_shm_info *info = c->shm.info;
	struct control_stats *st = c->stats;
	const struct sample *sn = NULL, *so = NULL;
	json_object *root = json_object_new_object(), *tot = json_object_new_object();
	json_object *drops = json_object_new_object(), *rules = json_object_new_array();
	json_object *ports = json_object_new_array(), *lcores = json_object_new_array();
	struct sample *live;
	struct control_rule_ref ref;
	struct cg_shm_sink k;
	uint64_t dt = 0;
	bool rates;

	live = malloc(sizeof(*live));
	if (root == NULL || tot == NULL || drops == NULL || rules == NULL || ports == NULL ||
	    lcores == NULL || live == NULL) {
		json_object_put(root);
		json_object_put(tot);
		json_object_put(drops);
		json_object_put(rules);
		json_object_put(ports);
		json_object_put(lcores);
		free(live);
		return NULL;
	}
	rates = last_two(st, &sn, &so, &dt);
	read_global(c, live);
	for (uint32_t slot = 0; slot < control_rule_slots(c); slot++) {
		json_object *j;

		if (!control_rule_at(c, slot, &ref))
			continue;
		if (rule_slot != UINT32_MAX && slot != rule_slot)
			continue;
		j = control_rule_stats_json(c, slot);
		if (j == NULL)
			continue;
		/* {"name","id","origin"} first, then RULESTATS. */
		{
			json_object *r = json_object_new_object();

			if (r == NULL) {
				json_object_put(j);
				continue;
			}
			control_jadd(r, "name", json_object_new_string(ref.rule->name));
			control_jadd(r, "id", ju64(ref.rule->id));
			control_jadd(r, "origin",
				     json_object_new_string(control_origin_name(ref.origin)));
			json_object_object_foreach(j, k, v)
				control_jadd(r, k, json_object_get(v));
			json_object_put(j);
			if (json_object_array_add(rules, r) < 0)
				json_object_put(r);
		}
	}
	/* The totals' tx is the sum over the rules installed now: a removed
	 * rule takes its share with it (clamped, never negative). */
	k = cg_shm_json_sink(tot);
	cg_shm_emit_totals(&k, &live->tot, &st->base.tot);
	control_jadd(tot, "rx_pps", ju64(rates ? rate(sn->tot.rx_packets, so->tot.rx_packets, dt,
						      1) : 0));
	control_jadd(tot, "tx_pps", ju64(rates ? rate(sn->tot.tx_packets, so->tot.tx_packets, dt,
						      1) : 0));
	control_jadd(tot, "rx_bps", ju64(rates ? rate(sn->tot.rx_bytes, so->tot.rx_bytes, dt, 8) :
				     0));
	control_jadd(tot, "tx_bps", ju64(rates ? rate(sn->tot.tx_bytes, so->tot.tx_bytes, dt, 8) :
				     0));
	k = cg_shm_json_sink(drops);
	cg_shm_emit_drops(&k, live->drops, st->base.drops);
	for (unsigned int p = 0; p < info->nb_ports; p++) {
		json_object *j = json_object_new_object(), *ps = control_port_stats_json(c, p);

		if (j == NULL || ps == NULL) {
			json_object_put(j);
			json_object_put(ps);
			continue;
		}
		control_jadd(j, "name", json_object_new_string(info->ports[p].name));
		control_jadd(j, "port_id", ju64(info->ports[p].port_id));
		json_object_object_foreach(ps, k, v)
			control_jadd(j, k, json_object_get(v));
		json_object_put(ps);
		if (json_object_array_add(ports, j) < 0)
			json_object_put(j);
	}
	for (uint32_t l = 0; l < info->nb_ctr_blocks && l < info->nb_lcores; l++) {
		json_object *j = json_object_new_object();

		if (j == NULL)
			continue;
		control_jadd(j, "lcore", ju64(info->lcores[l].lcore_id));
		control_jadd(j, "role", json_object_new_string(cg_shm_lcore_role_name(info->lcores[l].role)));
		k = cg_shm_json_sink(j);
		cg_shm_emit_lcore(&k, &live->lcore[l], &st->base.lcore[l]);
		if (json_object_array_add(lcores, j) < 0)
			json_object_put(j);
	}
	control_jadd(root, "unix_ms", ju64(control_now_ms()));
	control_jadd(root, "since_unix_ms", ju64(st->cleared_unix_ms ? st->cleared_unix_ms :
					     info->start_unix_ms));
	control_jadd(root, "interval_ms", ju64(rates ? dt : 0));
	control_jadd(root, "totals", tot);
	control_jadd(root, "drops", drops);
	control_jadd(root, "rules", rules);
	control_jadd(root, "ports", ports);
	control_jadd(root, "lcores", lcores);
	free(live);
	return root;
}

static json_object *
mac_json(const uint8_t m[6])
{
	char b[18];

	snprintf(b, sizeof(b), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return json_object_new_string(b);
}

json_object *
control_port_json(struct control *c, unsigned int idx)
{
	const struct cg_shm_port_info *p = &c->shm.info->ports[idx];
	json_object *j = json_object_new_object(), *l = json_object_new_object();
	struct rte_eth_link link;
	char ip[32], a[16];

	if (j == NULL || l == NULL) {
		json_object_put(j);
		json_object_put(l);
		return NULL;
	}
	/* An unknown link (invalid port, or the call fails) reads as all zero. */
	memset(&link, 0, sizeof(link));
	if (control_port_lock(p->port_id)) {
		if (rte_eth_link_get_nowait(p->port_id, &link) < 0)
			memset(&link, 0, sizeof(link));
		control_port_unlock();
	}
	snprintf(ip, sizeof(ip), "%s/%u", cg_rule_ipv4_str(p->ip, a), p->prefix_len);
	control_jadd(j, "name", json_object_new_string(p->name));
	control_jadd(j, "port_id", ju64(p->port_id));
	control_jadd(j, "driver", json_object_new_string(p->driver));
	control_jadd(j, "device", json_object_new_string(p->device));
	control_jadd(j, "mac", mac_json(p->mac));
	control_jadd(j, "ip", json_object_new_string(ip));
	if (p->gateway != 0)
		control_jadd(j, "gateway", control_jip(p->gateway));
	control_jadd(j, "mtu", ju64(p->mtu));
	control_jadd(j, "queues", ju64(p->nb_queues));
	control_link_json(c, idx, l);
	control_jadd(l, "speed_mbps", ju64(link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 :
				       link.link_speed));
	control_jadd(l, "duplex", json_object_new_string(
		link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half"));
	control_jadd(j, "link", l);
	return j;
}

json_object *
control_port_xstats_json(struct control *c, unsigned int idx)
{
	uint16_t pid = c->shm.info->ports[idx].port_id;
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	json_object *j = json_object_new_object();
	int n, m;

	if (j == NULL || !control_port_lock(pid))
		return j;
	n = rte_eth_xstats_get_names(pid, NULL, 0);
	if (n <= 0)
		goto out;
	names = calloc((size_t)n, sizeof(*names));
	vals = calloc((size_t)n, sizeof(*vals));
	if (names == NULL || vals == NULL)
		goto out;
	if (rte_eth_xstats_get_names(pid, names, (unsigned int)n) != n)
		goto out;
	m = rte_eth_xstats_get(pid, vals, (unsigned int)n);
	for (int i = 0; i < m && i < n; i++)
		if (vals[i].id < (uint64_t)n)
			control_jadd(j, names[vals[i].id].name, ju64(vals[i].value));
out:
	control_port_unlock();
	free(names);
	free(vals);
	return j;
}
