/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters, the merged stats document and the telemetry commands.
 * See dp_stats.h; the JSON schema is documented in scripts/cg-stats.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <json-c/json.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_memzone.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "cg_log.h"
#include "cg_pkt.h"
#include "cg_util.h"
#include "dp.h"
#include "dp_rules.h"
#include "dp_igmp.h"
#include "dp_stats.h"

/*
 * DPDK 23.03 renamed the u64 telemetry adders to *_uint and deprecated the
 * old names (an error with werror on 24.11); 22.11 has only the old ones.
 */
#if RTE_VERSION >= RTE_VERSION_NUM(23, 3, 0, 0)
#define cg_tel_dict_u64 rte_tel_data_add_dict_uint
#define cg_tel_array_u64 rte_tel_data_add_array_uint
#else
#define cg_tel_dict_u64 rte_tel_data_add_dict_u64
#define cg_tel_array_u64 rte_tel_data_add_array_u64
#endif

struct cg_shm_lcore_ctrs *cg_dp_ctrs;
static unsigned int nb_ctr_lcores;

int
cg_dp_stats_init(void)
{
	const struct rte_memzone *mz;
	size_t bsz = cg_shm_ctr_block_size(dp_g.p.max_rules, dp_g.p.max_outputs), sz;

	nb_ctr_lcores = rte_lcore_count();
	sz = bsz * nb_ctr_lcores;
	mz = rte_memzone_reserve_aligned(CG_SHM_MZ_COUNTERS, sz, (int)rte_socket_id(), 0,
					 RTE_CACHE_LINE_SIZE);
	if (mz == NULL) {
		CG_ERR("stats: rte_memzone_reserve %s (%zu MB: %u lcores x %u rule slots): %s; "
		       "the rule table needs about %" PRIu64 " MB in all: lower dataplane.max_rules "
		       "or raise dataplane.memory_mb", CG_SHM_MZ_COUNTERS, sz >> 20, nb_ctr_lcores,
		       dp_g.p.max_rules, rte_strerror(rte_errno),
		       (cg_shm_rules_mem(dp_g.p.max_rules, dp_g.p.max_outputs, nb_ctr_lcores) +
			(1u << 20) - 1) >> 20);
		return -ENOMEM;
	}
	cg_dp_ctrs = mz->addr;
	memset(cg_dp_ctrs, 0, sz);
	for (unsigned int l = 0; l < nb_ctr_lcores; l++) {
		struct cg_shm_lcore_ctrs *b = (void *)((char *)cg_dp_ctrs + l * bsz);

		b->block_size = (uint32_t)bsz;
		b->nb_slots = dp_g.p.max_rules;
		b->max_outputs = dp_g.p.max_outputs;
		b->ent_size = (uint32_t)cg_shm_ctr_ent_size(dp_g.p.max_outputs);
	}
	return 0;
}

void
cg_dp_stats_clear_rule(uint32_t slot)
{
	for (unsigned int l = 0; l < nb_ctr_lcores; l++)
		memset(cg_shm_ctr_ent(cg_shm_ctr_block(cg_dp_ctrs, l), slot), 0,
		       cg_dp_ctrs->ent_size);
}

void
cg_dp_stats_rule(uint32_t slot, struct cg_shm_ctr_rule *sum)
{
	cg_shm_rule_ctrs_sum(cg_dp_ctrs, nb_ctr_lcores, slot, sum);
}

/* json-c helpers: a failed add leaks nothing worse than a missing key. */
static void
jadd(json_object *o, const char *k, json_object *v)
{
	if (v == NULL || json_object_object_add(o, k, v) < 0)
		json_object_put(v);
}

static json_object *
rule_json(const struct cg_shm_rule_slot *s, uint32_t slot)
{
	struct cg_shm_ctr_rule sum;
	json_object *r = json_object_new_object(), *outs = json_object_new_array();
	struct cg_shm_sink k = cg_shm_json_sink(r);

	cg_dp_stats_rule(slot, &sum);
	k.str(k.ctx, "name", s->rule.name);
	k.u64(k.ctx, "id", s->rule.id);
	cg_shm_emit_rule(&k, &s->rule, &sum, NULL);
	for (unsigned int o = 0; o < s->nb_out; o++) {
		json_object *jo = json_object_new_object();
		struct cg_shm_sink ko = cg_shm_json_sink(jo);

		cg_shm_emit_output(&ko, &s->rule.out[o], &sum.out[o], NULL);
		if (json_object_array_add(outs, jo) < 0)
			json_object_put(jo);
	}
	jadd(r, "outputs", outs);
	return r;
}

/* Port counters, as stats.get shows them (DPDK's own are in /ethdev/stats). */
static json_object *
port_json(const struct cg_dp_port *p)
{
	struct rte_eth_stats st;
	json_object *j = json_object_new_object();
	struct cg_shm_sink k = cg_shm_json_sink(j);

	memset(&st, 0, sizeof(st));
	if (p->up)
		rte_eth_stats_get(p->port_id, &st);
	k.str(k.ctx, "name", p->name);
	/* Not open: no DPDK port, as stats.get and port.list say it. */
	k.u64(k.ctx, "port_id", p->up ? p->port_id : UINT16_MAX);
	cg_shm_emit_port(&k, &st, NULL);
	return j;
}

/* Totals and drops of the whole data plane, the rule table held still. */
static uint32_t
read_totals(struct cg_shm_totals *t, uint64_t drops[CG_SHM_DROP_MAX])
{
	uint32_t nb_rules;

	pthread_mutex_lock(&cg_dp_ctl_lock);
	cg_shm_totals_read(cg_dp_ctrs, nb_ctr_lcores, cg_dp_rules, t);
	nb_rules = cg_dp_rules != NULL ? cg_dp_rules->nb_rules : 0;
	pthread_mutex_unlock(&cg_dp_ctl_lock);
	if (drops != NULL)
		cg_shm_drops_read(cg_dp_ctrs, nb_ctr_lcores, drops);
	return nb_rules;
}

char *
cg_dp_stats_json(void)
{
	json_object *root = json_object_new_object(), *rules = json_object_new_array();
	json_object *drops = json_object_new_object(), *ports = json_object_new_array();
	json_object *tot = json_object_new_object();
	struct cg_shm_sink kt = cg_shm_json_sink(tot), kd = cg_shm_json_sink(drops);
	uint64_t drop[CG_SHM_DROP_MAX];
	struct cg_shm_totals t;
	uint32_t nb_rules;
	char *out;

	pthread_mutex_lock(&cg_dp_ctl_lock);
	for (uint32_t i = 0; cg_dp_rules != NULL && i < cg_dp_rules->nb_slots; i++)
		if (cg_shm_rule_slot(cg_dp_rules, i)->in_use)
			json_object_array_add(rules,
					      rule_json(cg_shm_rule_slot(cg_dp_rules, i), i));
	pthread_mutex_unlock(&cg_dp_ctl_lock);
	nb_rules = read_totals(&t, drop);
	cg_shm_emit_drops(&kd, drop, NULL);
	for (uint16_t p = 0; p < dp_g.nb_ports; p++)
		json_object_array_add(ports, port_json(&dp_g.ports[p]));
	cg_shm_emit_totals(&kt, &t, NULL);
	kt.u64(kt.ctx, "rules", nb_rules);
	jadd(root, "rules", rules);
	jadd(root, "drops", drops);
	jadd(root, "ports", ports);
	jadd(root, "totals", tot);
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return out;
}

int
cg_dp_stats_write(const char *path)
{
	char *doc = cg_dp_stats_json();
	size_t len;
	int ret;

	if (doc == NULL)
		return -ENOMEM;
	/* One more byte: the file ends with a newline, as text files do. */
	len = strlen(doc);
	doc[len] = '\n';
	ret = cg_util_write_file(path, doc, len + 1, 0644, true, NULL);
	free(doc);
	return ret;
}

/*
 * Telemetry. DPDK 22.11 allows one level of containers inside a reply, so
 * tables are columnar: a dict of same-length arrays.
 */

static void
tel_u64(void *ctx, const char *name, uint64_t v)
{
	cg_tel_dict_u64(ctx, name, v);
}

static void
tel_str(void *ctx, const char *name, const char *v)
{
	rte_tel_data_add_dict_string(ctx, name, v);
}

static struct cg_shm_sink
tel_sink(struct rte_tel_data *d)
{
	return (struct cg_shm_sink){ .u64 = tel_u64, .str = tel_str, .ctx = d };
}

/*
 * A columnar sink: DPDK 22.11 allows one level of containers inside a reply,
 * so a list of objects becomes a dict of same-length arrays, one per member,
 * each created at its first row.
 */
#define TEL_COLS 8

struct tel_cols {
	unsigned int n;
	const char *name[TEL_COLS];
	struct rte_tel_data *col[TEL_COLS];
};

static struct rte_tel_data *
tel_col(struct tel_cols *c, const char *name, enum rte_tel_value_type t)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return c->col[i];
	if (c->n == TEL_COLS)
		return NULL;
	c->col[i] = rte_tel_data_alloc();
	if (c->col[i] == NULL)
		return NULL;
	rte_tel_data_start_array(c->col[i], t);
	c->name[i] = name;
	c->n++;
	return c->col[i];
}

static void
col_u64(void *ctx, const char *name, uint64_t v)
{
	struct rte_tel_data *a = tel_col(ctx, name, RTE_TEL_U64_VAL);

	if (a != NULL)
		cg_tel_array_u64(a, v);
}

static void
col_str(void *ctx, const char *name, const char *v)
{
	struct rte_tel_data *a = tel_col(ctx, name, RTE_TEL_STRING_VAL);

	if (a != NULL)
		rte_tel_data_add_array_string(a, v);
}

static void
tel_cols_finish(struct tel_cols *c, struct rte_tel_data *d)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (rte_tel_data_add_dict_container(d, c->name[i], c->col[i], 0) < 0)
			rte_tel_data_free(c->col[i]);
}

static int
tel_stats(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	struct cg_shm_sink k = tel_sink(d);
	struct cg_shm_totals t;
	uint32_t nb_rules = read_totals(&t, NULL);

	rte_tel_data_start_dict(d);
	cg_shm_emit_totals(&k, &t, NULL);
	k.u64(k.ctx, "rules", nb_rules);
	return 0;
}

static int
tel_rules(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	struct tel_cols cols = { 0 };
	struct cg_shm_sink k = { .u64 = col_u64, .str = col_str, .ctx = &cols };
	struct cg_shm_ctr_rule sum;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&cg_dp_ctl_lock);
	for (uint32_t i = 0; cg_dp_rules && i < cg_dp_rules->nb_slots; i++) {
		const struct cg_shm_rule_slot *s = cg_shm_rule_slot(cg_dp_rules, i);

		if (!s->in_use)
			continue;
		cg_dp_stats_rule(i, &sum);
		k.str(k.ctx, "name", s->rule.name);
		k.u64(k.ctx, "id", s->rule.id);
		/* Columns: the same members for every rule, so no RTP ones. */
		cg_shm_emit_rule(&k, NULL, &sum, NULL);
	}
	pthread_mutex_unlock(&cg_dp_ctl_lock);
	tel_cols_finish(&cols, d);
	return 0;
}

static int
tel_rule(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	struct tel_cols cols = { 0 };
	struct cg_shm_sink k = tel_sink(d), kc = { .u64 = col_u64, .str = col_str, .ctx = &cols };
	const struct cg_shm_rule_slot *s = NULL;
	struct cg_shm_ctr_rule sum;
	uint32_t slot = 0;

	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	pthread_mutex_lock(&cg_dp_ctl_lock);
	{
		int i = cg_shm_rule_find_name(cg_dp_rules, params);

		if (i >= 0) {
			slot = (uint32_t)i;
			s = cg_shm_rule_slot(cg_dp_rules, slot);
		}
	}
	if (s == NULL) {
		pthread_mutex_unlock(&cg_dp_ctl_lock);
		return -ENOENT;
	}
	cg_dp_stats_rule(slot, &sum);
	rte_tel_data_start_dict(d);
	k.str(k.ctx, "name", s->rule.name);
	k.u64(k.ctx, "id", s->rule.id);
	cg_shm_emit_rule(&k, &s->rule, &sum, NULL);
	for (unsigned int o = 0; o < s->nb_out; o++)
		cg_shm_emit_output(&kc, &s->rule.out[o], &sum.out[o], NULL);
	pthread_mutex_unlock(&cg_dp_ctl_lock);
	tel_cols_finish(&cols, d);
	return 0;
}

static int
tel_drops(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	struct cg_shm_sink k = tel_sink(d);
	uint64_t drops[CG_SHM_DROP_MAX];

	cg_shm_drops_read(cg_dp_ctrs, nb_ctr_lcores, drops);
	rte_tel_data_start_dict(d);
	cg_shm_emit_drops(&k, drops, NULL);
	return 0;
}

/* Which DPDK port is which castgate port; DPDK serves their counters itself.
 * (Help texts: at most RTE_TEL_MAX_STRING_LEN - 1, or registration fails.) */
static int
tel_ports(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	/* A port that is not open (missing, closed) has no DPDK port: 65535. */
	for (uint16_t i = 0; i < dp_g.nb_ports; i++)
		cg_tel_dict_u64(d, dp_g.ports[i].name,
				dp_g.port_open[i] ? dp_g.ports[i].port_id : UINT16_MAX);
	return 0;
}

/* IGMP per port: groups joined now and reports sent (dp_igmp.c keeps both). */
static int
tel_igmp(const char *cmd __rte_unused, const char *params __rte_unused,
	 struct rte_tel_data *d)
{
	struct rte_tel_data *groups = rte_tel_data_alloc(), *reports = rte_tel_data_alloc();
	struct rte_tel_data *version = rte_tel_data_alloc();

	if (groups == NULL || reports == NULL || version == NULL) {
		rte_tel_data_free(groups);
		rte_tel_data_free(reports);
		rte_tel_data_free(version);
		return -ENOMEM;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_start_dict(groups);
	rte_tel_data_start_dict(reports);
	rte_tel_data_start_dict(version);
	for (uint16_t i = 0; i < dp_g.nb_ports; i++) {
		cg_tel_dict_u64(groups, dp_g.ports[i].name, cg_dp_igmp_joined(i));
		cg_tel_dict_u64(reports, dp_g.ports[i].name, cg_dp_igmp_reports(i));
		cg_tel_dict_u64(version, dp_g.ports[i].name, cg_dp_igmp_version(i));
	}
	rte_tel_data_add_dict_container(d, "groups", groups, 0);
	rte_tel_data_add_dict_container(d, "reports", reports, 0);
	rte_tel_data_add_dict_container(d, "version", version, 0);
	return 0;
}

int
cg_dp_stats_telemetry_register(void)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/castgate/stats", tel_stats, "castgate totals. No parameters." },
		{ "/castgate/rules", tel_rules,
		  "castgate rules: columns name, id, rx_packets, rx_bytes. No parameters." },
		{ "/castgate/rule", tel_rule,
		  "castgate rule: name, id, rx counters, and its outputs as columns. "
		  "Parameter: rule name." },
		{ "/castgate/drops", tel_drops, "castgate drops per reason. No parameters." },
		{ "/castgate/ports", tel_ports,
		  "castgate ports: {name: port_id}, 65535 while not open. Their counters: /ethdev/stats,<port_id>." },
		{ "/castgate/igmp", tel_igmp,
		  "castgate IGMP: {groups: {port: groups joined}, reports: {port: sent}, "
		  "version: {port: IGMP version reported in now}}." },
	};
	int ret;

	for (size_t i = 0; i < RTE_DIM(cmds); i++) {
		ret = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);
		if (ret < 0) {
			CG_ERR("telemetry: register %s: %s", cmds[i].cmd, strerror(-ret));
			return ret;
		}
	}
	return 0;
}
