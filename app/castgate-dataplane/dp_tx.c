/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TX buffers and their drop callback. See dp_tx.h.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include "cg_log.h"
#include "dp.h"
#include "dp_stats.h"
#include "dp_tx.h"

/*
 * Runs on the worker that owns the buffer, so the counters are its own.
 * Output packets were counted as sent when buffered; move them to drops.
 */
static void
drop_pkts(struct rte_mbuf **pkts, uint16_t n, unsigned int reason)
{
	struct cg_shm_lcore_ctrs *c = cg_dp_ctrs_self();

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t tag = m->hash.usr;

		if (tag != CG_DP_CTR_TAG_NONE) {
			struct cg_shm_ctr_out *o = &cg_shm_ctr_ent(c, tag >> 4)->out[tag & 0xf];

			o->pkts--;
			o->bytes -= m->pkt_len;
			o->drops++;
		}
		c->drops[reason]++;
		rte_pktmbuf_free(m);
	}
}

void
cg_dp_txq_drop_unsent(struct rte_mbuf **pkts, uint16_t n)
{
	drop_pkts(pkts, n, CG_SHM_DROP_TX_FULL);
}

int
cg_dp_txq_init(struct cg_dp_txq *txq, uint16_t port, uint16_t queue, uint16_t size)
{
	const struct cg_dp_port *p = &dp_g.ports[port];

	memset(txq, 0, sizeof(*txq));
	txq->port_id = p->port_id;
	txq->queue = queue;
	txq->size = RTE_MIN(size, (uint16_t)CG_DP_MAX_BURST);
	return p->up ? cg_dp_txq_attach(txq, port) : 0;
}

int
cg_dp_txq_attach(struct cg_dp_txq *txq, uint16_t port)
{
	const struct cg_dp_port *p = &dp_g.ports[port];
	uint16_t queue = txq->queue;
	int ret;

	txq->port_id = p->port_id;
	rte_free(txq->afp);
	txq->afp = NULL;
	if (!p->afp_guard)
		return 0;
	txq->afp = cg_dp_afp_attach(p->port_id, queue);
	if (txq->afp == NULL) {
		ret = -errno;
		CG_ERR("port %s: queue %u: af_packet TX guard: %s; refusing to run a "
		       "TX path that can block (this build knows the af_packet queue "
		       "of %s, running %s; known: 22.11.x, 24.11.x)", p->name, queue,
		       strerror(errno), cg_dp_afp_series(), rte_version());
		return ret;
	}
	/* The PMD silently drops frames larger than a ring frame. */
	if ((unsigned int)p->mtu + RTE_ETHER_HDR_LEN > cg_dp_afp_frame_size(txq->afp)) {
		CG_ERR("port %s: mtu %u needs ring frames of %u bytes, the device has %u: "
		       "raise framesz= (and blocksz=) in its device string", p->name,
		       p->mtu, p->mtu + RTE_ETHER_HDR_LEN, cg_dp_afp_frame_size(txq->afp));
		rte_free(txq->afp);
		txq->afp = NULL;
		return -EINVAL;
	}
	return 0;
}

unsigned int
cg_dp_txq_discard(struct cg_dp_txq *txq, unsigned int reason, bool purge_ring, bool detach)
{
	unsigned int n = txq->length;

	if (n > 0)
		drop_pkts(txq->pkts, txq->length, reason);
	txq->length = 0;
	if (purge_ring && !detach && txq->afp != NULL) {
		unsigned int k = cg_dp_afp_purge(txq->afp);

		cg_dp_ctrs_self()->drops[reason] += k;
		n += k;
	}
	if (detach) {
		rte_free(txq->afp);
		txq->afp = NULL;
	}
	return n;
}

void
cg_dp_txq_fini(struct cg_dp_txq *txq)
{
	for (uint16_t i = 0; i < txq->length; i++)
		rte_pktmbuf_free(txq->pkts[i]);
	txq->length = 0;
	rte_free(txq->afp);
	txq->afp = NULL;
}
