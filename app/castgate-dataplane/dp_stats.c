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

#include "cg_log.h"
#include "cg_pkt.h"
#include "cg_util.h"
#include "dp.h"
#include "dp_rules.h"
#include "dp_stats.h"

struct cg_shm_lcore_ctrs *cg_dp_ctrs;
static unsigned int nb_ctr_lcores;

int
cg_dp_stats_init(void)
{
	const struct rte_memzone *mz;
	size_t sz;

	nb_ctr_lcores = rte_lcore_count();
	sz = sizeof(struct cg_shm_lcore_ctrs) * nb_ctr_lcores;
	mz = rte_memzone_reserve_aligned(CG_SHM_MZ_COUNTERS, sz, (int)rte_socket_id(), 0,
					 RTE_CACHE_LINE_SIZE);
	if (mz == NULL) {
		CG_ERR("stats: rte_memzone_reserve %s (%zu bytes): %s", CG_SHM_MZ_COUNTERS, sz,
		       rte_strerror(rte_errno));
		return -ENOMEM;
	}
	cg_dp_ctrs = mz->addr;
	memset(cg_dp_ctrs, 0, sz);
	return 0;
}

void
cg_dp_stats_clear_rule(uint32_t slot)
{
	for (unsigned int l = 0; l < nb_ctr_lcores; l++)
		memset(&cg_dp_ctrs[l].rule[slot], 0, sizeof(cg_dp_ctrs[l].rule[slot]));
}

uint64_t
cg_dp_stats_drop(unsigned int reason)
{
	return cg_shm_drop_sum_blocks(cg_dp_ctrs, nb_ctr_lcores, reason);
}

void
cg_dp_stats_rule(uint32_t slot, struct cg_shm_ctr_rule *sum)
{
	cg_shm_rule_ctrs_sum(cg_dp_ctrs, nb_ctr_lcores, slot, sum);
}

static void
totals(uint64_t *rx_pkts, uint64_t *rx_bytes, uint64_t *ctl_tx)
{
	*rx_pkts = *rx_bytes = *ctl_tx = 0;
	for (unsigned int l = 0; l < nb_ctr_lcores; l++) {
		*rx_pkts += cg_dp_ctrs[l].rx_pkts;
		*rx_bytes += cg_dp_ctrs[l].rx_bytes;
		*ctl_tx += cg_dp_ctrs[l].ctl_tx;
	}
}

static const char *
ip_str(uint32_t ip_be, char *buf)
{
	return inet_ntop(AF_INET, &ip_be, buf, INET_ADDRSTRLEN);
}

/* json-c helpers: a failed add leaks nothing worse than a missing key. */
static void
jadd(json_object *o, const char *k, json_object *v)
{
	if (v == NULL || json_object_object_add(o, k, v) < 0)
		json_object_put(v);
}

static json_object *
ju64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *
rule_json(const struct cg_shm_rule_slot *s, uint32_t slot, uint64_t *tx_pkts, uint64_t *tx_bytes)
{
	struct cg_shm_ctr_rule sum;
	json_object *r = json_object_new_object(), *outs = json_object_new_array();
	char ipb[INET_ADDRSTRLEN];

	cg_dp_stats_rule(slot, &sum);
	jadd(r, "name", json_object_new_string(s->rule.name));
	jadd(r, "id", ju64(s->rule.id));
	jadd(r, "rx_packets", ju64(sum.rx_pkts));
	jadd(r, "rx_bytes", ju64(sum.rx_bytes));
	for (unsigned int o = 0; o < s->nb_out; o++) {
		json_object *jo = json_object_new_object();

		jadd(jo, "port", json_object_new_string(s->rule.out[o].port));
		jadd(jo, "destination", json_object_new_string(ip_str(s->out[o].dst_be, ipb)));
		jadd(jo, "dport", ju64(s->rule.out[o].dport));
		jadd(jo, "tx_packets", ju64(sum.out[o].pkts));
		jadd(jo, "tx_bytes", ju64(sum.out[o].bytes));
		jadd(jo, "drops", ju64(sum.out[o].drops));
		json_object_array_add(outs, jo);
		*tx_pkts += sum.out[o].pkts;
		*tx_bytes += sum.out[o].bytes;
	}
	jadd(r, "outputs", outs);
	return r;
}

static json_object *
port_json(const struct cg_dp_port *p)
{
	struct rte_eth_stats st;
	json_object *j = json_object_new_object();

	memset(&st, 0, sizeof(st));
	if (p->up)
		rte_eth_stats_get(p->port_id, &st);
	jadd(j, "name", json_object_new_string(p->name));
	jadd(j, "port_id", ju64(p->port_id));
	jadd(j, "ipackets", ju64(st.ipackets));
	jadd(j, "opackets", ju64(st.opackets));
	jadd(j, "ibytes", ju64(st.ibytes));
	jadd(j, "obytes", ju64(st.obytes));
	jadd(j, "imissed", ju64(st.imissed));
	jadd(j, "ierrors", ju64(st.ierrors));
	jadd(j, "oerrors", ju64(st.oerrors));
	jadd(j, "rx_nombuf", ju64(st.rx_nombuf));
	return j;
}

char *
cg_dp_stats_json(void)
{
	json_object *root = json_object_new_object(), *rules = json_object_new_array();
	json_object *drops = json_object_new_object(), *ports = json_object_new_array();
	json_object *tot = json_object_new_object();
	uint64_t rx_pkts, rx_bytes, ctl_tx, tx_pkts = 0, tx_bytes = 0, drop_sum = 0;
	uint64_t nb_rules = 0;
	char *out;

	pthread_mutex_lock(&cg_dp_ctl_lock);
	if (cg_dp_rules != NULL) {
		nb_rules = cg_dp_rules->nb_rules;
		for (uint32_t i = 0; i < cg_dp_rules->nb_slots; i++)
			if (cg_dp_rules->slot[i].in_use)
				json_object_array_add(rules, rule_json(&cg_dp_rules->slot[i], i,
								       &tx_pkts, &tx_bytes));
	}
	pthread_mutex_unlock(&cg_dp_ctl_lock);
	for (unsigned int r = CG_PKT_DROP_NONE + 1; r < CG_SHM_DROP_MAX; r++) {
		uint64_t v = cg_dp_stats_drop(r);

		drop_sum += v;
		jadd(drops, cg_shm_drop_name(r), ju64(v));
	}
	for (uint16_t p = 0; p < dp_g.nb_ports; p++)
		json_object_array_add(ports, port_json(&dp_g.ports[p]));
	totals(&rx_pkts, &rx_bytes, &ctl_tx);
	jadd(tot, "rx_packets", ju64(rx_pkts));
	jadd(tot, "rx_bytes", ju64(rx_bytes));
	jadd(tot, "tx_packets", ju64(tx_pkts));
	jadd(tot, "tx_bytes", ju64(tx_bytes));
	jadd(tot, "control_tx", ju64(ctl_tx));
	jadd(tot, "drops", ju64(drop_sum));
	jadd(tot, "rules", ju64(nb_rules));
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

static int
tel_stats(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	uint64_t rx_pkts, rx_bytes, ctl_tx, drops = 0, tx_pkts = 0, tx_bytes = 0;
	struct cg_shm_ctr_rule sum;
	uint32_t nb_rules = 0;

	totals(&rx_pkts, &rx_bytes, &ctl_tx);
	for (unsigned int r = CG_PKT_DROP_NONE + 1; r < CG_SHM_DROP_MAX; r++)
		drops += cg_dp_stats_drop(r);
	pthread_mutex_lock(&cg_dp_ctl_lock);
	for (uint32_t i = 0; cg_dp_rules && i < cg_dp_rules->nb_slots; i++) {
		if (!cg_dp_rules->slot[i].in_use)
			continue;
		nb_rules++;
		cg_dp_stats_rule(i, &sum);
		for (int o = 0; o < CG_DP_MAX_OUTPUTS; o++) {
			tx_pkts += sum.out[o].pkts;
			tx_bytes += sum.out[o].bytes;
		}
	}
	pthread_mutex_unlock(&cg_dp_ctl_lock);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", rx_pkts);
	rte_tel_data_add_dict_u64(d, "rx_bytes", rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", tx_pkts);
	rte_tel_data_add_dict_u64(d, "tx_bytes", tx_bytes);
	rte_tel_data_add_dict_u64(d, "control_tx", ctl_tx);
	rte_tel_data_add_dict_u64(d, "drops", drops);
	rte_tel_data_add_dict_u64(d, "rules", nb_rules);
	return 0;
}

static struct rte_tel_data *
tel_array(enum rte_tel_value_type t)
{
	struct rte_tel_data *a = rte_tel_data_alloc();

	if (a != NULL)
		rte_tel_data_start_array(a, t);
	return a;
}

static void
tel_dict_array(struct rte_tel_data *d, const char *name, struct rte_tel_data *a)
{
	if (a != NULL && rte_tel_data_add_dict_container(d, name, a, 0) < 0)
		rte_tel_data_free(a);
}

static int
tel_rules(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	struct rte_tel_data *name = tel_array(RTE_TEL_STRING_VAL);
	struct rte_tel_data *id = tel_array(RTE_TEL_U64_VAL);
	struct rte_tel_data *rxp = tel_array(RTE_TEL_U64_VAL);
	struct rte_tel_data *rxb = tel_array(RTE_TEL_U64_VAL);
	struct cg_shm_ctr_rule sum;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&cg_dp_ctl_lock);
	for (uint32_t i = 0; cg_dp_rules && i < cg_dp_rules->nb_slots; i++) {
		const struct cg_shm_rule_slot *s = &cg_dp_rules->slot[i];

		if (!s->in_use)
			continue;
		cg_dp_stats_rule(i, &sum);
		rte_tel_data_add_array_string(name, s->rule.name);
		rte_tel_data_add_array_u64(id, s->rule.id);
		rte_tel_data_add_array_u64(rxp, sum.rx_pkts);
		rte_tel_data_add_array_u64(rxb, sum.rx_bytes);
	}
	pthread_mutex_unlock(&cg_dp_ctl_lock);
	tel_dict_array(d, "name", name);
	tel_dict_array(d, "id", id);
	tel_dict_array(d, "rx_packets", rxp);
	tel_dict_array(d, "rx_bytes", rxb);
	return 0;
}

static int
tel_rule(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct cg_shm_rule_slot *s = NULL;
	struct cg_shm_ctr_rule sum;
	char ipb[INET_ADDRSTRLEN];
	uint32_t slot = 0;

	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	pthread_mutex_lock(&cg_dp_ctl_lock);
	for (uint32_t i = 0; cg_dp_rules && i < cg_dp_rules->nb_slots; i++) {
		if (cg_dp_rules->slot[i].in_use &&
		    strcmp(cg_dp_rules->slot[i].rule.name, params) == 0) {
			s = &cg_dp_rules->slot[i];
			slot = i;
			break;
		}
	}
	if (s == NULL) {
		pthread_mutex_unlock(&cg_dp_ctl_lock);
		return -ENOENT;
	}
	struct rte_tel_data *port = tel_array(RTE_TEL_STRING_VAL);
	struct rte_tel_data *dst = tel_array(RTE_TEL_STRING_VAL);
	struct rte_tel_data *dport = tel_array(RTE_TEL_U64_VAL);
	struct rte_tel_data *txp = tel_array(RTE_TEL_U64_VAL);
	struct rte_tel_data *txb = tel_array(RTE_TEL_U64_VAL);
	struct rte_tel_data *drops = tel_array(RTE_TEL_U64_VAL);

	cg_dp_stats_rule(slot, &sum);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", s->rule.name);
	rte_tel_data_add_dict_u64(d, "id", s->rule.id);
	rte_tel_data_add_dict_u64(d, "rx_packets", sum.rx_pkts);
	rte_tel_data_add_dict_u64(d, "rx_bytes", sum.rx_bytes);
	for (unsigned int o = 0; o < s->nb_out; o++) {
		rte_tel_data_add_array_string(port, s->rule.out[o].port);
		rte_tel_data_add_array_string(dst, ip_str(s->out[o].dst_be, ipb));
		rte_tel_data_add_array_u64(dport, s->rule.out[o].dport);
		rte_tel_data_add_array_u64(txp, sum.out[o].pkts);
		rte_tel_data_add_array_u64(txb, sum.out[o].bytes);
		rte_tel_data_add_array_u64(drops, sum.out[o].drops);
	}
	pthread_mutex_unlock(&cg_dp_ctl_lock);
	tel_dict_array(d, "port", port);
	tel_dict_array(d, "destination", dst);
	tel_dict_array(d, "dport", dport);
	tel_dict_array(d, "tx_packets", txp);
	tel_dict_array(d, "tx_bytes", txb);
	tel_dict_array(d, "drops", drops);
	return 0;
}

static int
tel_drops(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (unsigned int r = CG_PKT_DROP_NONE + 1; r < CG_SHM_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, cg_shm_drop_name(r), cg_dp_stats_drop(r));
	return 0;
}

static int
tel_ports(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (uint16_t i = 0; i < dp_g.nb_ports; i++) {
		const struct cg_dp_port *p = &dp_g.ports[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		struct rte_eth_stats st;

		if (c == NULL)
			return -ENOMEM;
		memset(&st, 0, sizeof(st));
		if (p->up)
			rte_eth_stats_get(p->port_id, &st);
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "port_id", p->port_id);
		rte_tel_data_add_dict_u64(c, "ipackets", st.ipackets);
		rte_tel_data_add_dict_u64(c, "opackets", st.opackets);
		rte_tel_data_add_dict_u64(c, "ibytes", st.ibytes);
		rte_tel_data_add_dict_u64(c, "obytes", st.obytes);
		rte_tel_data_add_dict_u64(c, "imissed", st.imissed);
		rte_tel_data_add_dict_u64(c, "ierrors", st.ierrors);
		rte_tel_data_add_dict_u64(c, "oerrors", st.oerrors);
		rte_tel_data_add_dict_u64(c, "rx_nombuf", st.rx_nombuf);
		if (rte_tel_data_add_dict_container(d, p->name, c, 0) < 0)
			rte_tel_data_free(c);
	}
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
		  "castgate rule outputs: columns port, destination, dport, tx_packets, "
		  "tx_bytes, drops. Parameter: rule name." },
		{ "/castgate/drops", tel_drops, "castgate drops per reason. No parameters." },
		{ "/castgate/ports", tel_ports, "castgate port counters. No parameters." },
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
