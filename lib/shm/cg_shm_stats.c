/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counters' names, in one place: every surface that shows a counter
 * (stats.get, the --stats-out document, the telemetry commands) gets it from
 * an emitter here, through a sink of its own format.
 */
#include <stdio.h>

#include "cg_shm.h"

static void
json_u64(void *ctx, const char *name, uint64_t v)
{
	json_object *n = json_object_new_uint64(v);

	if (n != NULL && json_object_object_add(ctx, name, n) < 0)
		json_object_put(n);
}

static void
json_str(void *ctx, const char *name, const char *v)
{
	json_object *n = json_object_new_string(v);

	if (n != NULL && json_object_object_add(ctx, name, n) < 0)
		json_object_put(n);
}

struct cg_shm_sink
cg_shm_json_sink(json_object *obj)
{
	return (struct cg_shm_sink){ .u64 = json_u64, .str = json_str, .ctx = obj };
}

void
cg_shm_totals_read(const struct cg_shm_lcore_ctrs *ctrs, uint32_t nb_blocks,
		   const struct cg_shm_rules *rules, struct cg_shm_totals *t)
{
	struct cg_shm_ctr_rule sum;

	*t = (struct cg_shm_totals){ 0 };
	for (uint32_t l = 0; l < nb_blocks; l++) {
		const struct cg_shm_lcore_ctrs *b = cg_shm_ctr_block(ctrs, l);

		t->rx_packets += b->rx_pkts;
		t->rx_bytes += b->rx_bytes;
		t->service_tx += b->svc_tx;
		for (unsigned int r = CG_PKT_DROP_NONE + 1; r < CG_SHM_DROP_MAX; r++)
			t->drops += b->drops[r];
	}
	/* tx: what the rules installed now sent; a removed rule takes its share. */
	for (uint32_t i = 0; rules != NULL && nb_blocks > 0 && i < rules->nb_slots &&
	     i < ctrs->nb_slots; i++) {
		const struct cg_shm_rule_slot *s = cg_shm_rule_slot(rules, i);

		if (!s->in_use)
			continue;
		cg_shm_rule_ctrs_sum(ctrs, nb_blocks, i, &sum);
		for (unsigned int o = 0; o < s->nb_out && o < CG_SHM_MAX_OUTPUTS; o++) {
			t->tx_packets += sum.out[o].pkts;
			t->tx_bytes += sum.out[o].bytes;
		}
	}
}

void
cg_shm_drops_read(const struct cg_shm_lcore_ctrs *ctrs, uint32_t nb_blocks,
		  uint64_t drops[CG_SHM_DROP_MAX])
{
	for (unsigned int r = 0; r < CG_SHM_DROP_MAX; r++)
		drops[r] = cg_shm_drop_sum_blocks(ctrs, nb_blocks, r);
}

void
cg_shm_lcore_read(const struct cg_shm_lcore_ctrs *b, struct cg_shm_lcore_totals *t)
{
	t->rx_packets = b->rx_pkts;
	t->rx_bytes = b->rx_bytes;
	t->drops = 0;
	for (unsigned int r = CG_PKT_DROP_NONE + 1; r < CG_SHM_DROP_MAX; r++)
		t->drops += b->drops[r];
}

static uint64_t
since(uint64_t now, uint64_t base)
{
	return now >= base ? now - base : now;
}

#define B(field) (base != NULL ? base->field : 0)

void
cg_shm_emit_totals(const struct cg_shm_sink *s, const struct cg_shm_totals *now,
		   const struct cg_shm_totals *base)
{
	s->u64(s->ctx, "rx_packets", since(now->rx_packets, B(rx_packets)));
	s->u64(s->ctx, "rx_bytes", since(now->rx_bytes, B(rx_bytes)));
	s->u64(s->ctx, "tx_packets", since(now->tx_packets, B(tx_packets)));
	s->u64(s->ctx, "tx_bytes", since(now->tx_bytes, B(tx_bytes)));
	s->u64(s->ctx, "drops", since(now->drops, B(drops)));
	s->u64(s->ctx, "service_tx", since(now->service_tx, B(service_tx)));
}

void
cg_shm_emit_lcore(const struct cg_shm_sink *s, const struct cg_shm_lcore_totals *now,
		  const struct cg_shm_lcore_totals *base)
{
	s->u64(s->ctx, "rx_packets", since(now->rx_packets, B(rx_packets)));
	s->u64(s->ctx, "rx_bytes", since(now->rx_bytes, B(rx_bytes)));
	s->u64(s->ctx, "drops", since(now->drops, B(drops)));
}

void
cg_shm_emit_rule(const struct cg_shm_sink *s, const struct cg_rule *r,
		 const struct cg_shm_ctr_rule *now, const struct cg_shm_ctr_rule *base)
{
	s->u64(s->ctx, "rx_packets", since(now->rx_pkts, B(rx_pkts)));
	s->u64(s->ctx, "rx_bytes", since(now->rx_bytes, B(rx_bytes)));
	if (r == NULL || !r->rtp)
		return;
	s->u64(s->ctx, "rtp_lost", since(now->rtp.lost, B(rtp.lost)));
	s->u64(s->ctx, "rtp_reordered", since(now->rtp.reordered, B(rtp.reordered)));
	s->u64(s->ctx, "rtp_duplicate", since(now->rtp.duplicate, B(rtp.duplicate)));
	s->u64(s->ctx, "rtp_not_rtp", since(now->rtp.not_rtp, B(rtp.not_rtp)));
}

void
cg_shm_emit_output(const struct cg_shm_sink *s, const struct cg_rule_output *o,
		   const struct cg_shm_ctr_out *now, const struct cg_shm_ctr_out *base)
{
	char dst[16];

	s->str(s->ctx, "port", o->port);
	s->str(s->ctx, "destination", cg_rule_ipv4_str(o->dst, dst));
	s->u64(s->ctx, "dport", o->dport);
	s->u64(s->ctx, "tx_packets", since(now->pkts, B(pkts)));
	s->u64(s->ctx, "tx_bytes", since(now->bytes, B(bytes)));
	s->u64(s->ctx, "drops", since(now->drops, B(drops)));
}

void
cg_shm_emit_drops(const struct cg_shm_sink *s, const uint64_t now[CG_SHM_DROP_MAX],
		  const uint64_t *base)
{
	for (unsigned int r = CG_PKT_DROP_NONE + 1; r < CG_SHM_DROP_MAX; r++)
		s->u64(s->ctx, cg_shm_drop_name(r), since(now[r], base != NULL ? base[r] : 0));
}

void
cg_shm_emit_port(const struct cg_shm_sink *s, const struct rte_eth_stats *now,
		 const struct rte_eth_stats *base)
{
	s->u64(s->ctx, "rx_packets", since(now->ipackets, B(ipackets)));
	s->u64(s->ctx, "tx_packets", since(now->opackets, B(opackets)));
	s->u64(s->ctx, "rx_bytes", since(now->ibytes, B(ibytes)));
	s->u64(s->ctx, "tx_bytes", since(now->obytes, B(obytes)));
	s->u64(s->ctx, "rx_missed", since(now->imissed, B(imissed)));
	s->u64(s->ctx, "rx_errors", since(now->ierrors, B(ierrors)));
	s->u64(s->ctx, "tx_errors", since(now->oerrors, B(oerrors)));
	s->u64(s->ctx, "rx_nombuf", since(now->rx_nombuf, B(rx_nombuf)));
}
