/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_TX_H
#define CG_DP_TX_H

/**
 * @file
 * Buffered TX per (worker, port). Each worker owns TX queue <worker index> of
 * every port, so no TX queue is shared. Packets collect in the worker's own
 * array (in its struct: no pointer to chase per packet) and go out when it is
 * full, after a short RX burst, or when the worker's TSC drain timer fires.
 * Unsent packets are dropped and counted as "tx_full" and against their rule
 * output.
 *
 * The buffer is ours rather than rte_eth_dev_tx_buffer because af_packet
 * ports must first ask dp_afp how many packets the PMD can take without
 * blocking.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dp.h"
#include "dp_afp.h"

struct cg_dp_txq {
	uint16_t length;		/**< packets in pkts[] */
	uint16_t size;			/**< flush when this many */
	uint16_t port_id;		/**< DPDK port id */
	uint16_t queue;
	struct cg_dp_afp_txq *afp;	/**< non-NULL on af_packet ports */
	struct rte_mbuf *pkts[CG_DP_MAX_BURST];
};

/**
 * Set up @p txq for cg port @p port, queue @p queue, flushing at @p size
 * packets (at most CG_DP_MAX_BURST), then cg_dp_txq_attach() if the port is up.
 * @return 0 or a negative errno.
 */
int cg_dp_txq_init(struct cg_dp_txq *txq, uint16_t port, uint16_t queue, uint16_t size);

/**
 * Bind @p txq to its port as it is now started (its DPDK port id, the
 * af_packet guard). Also for a port opened late or re-opened.
 * @return 0 or a negative errno (logged).
 */
int cg_dp_txq_attach(struct cg_dp_txq *txq, uint16_t port);

/**
 * Drop what is buffered, counted as @p reason (enum cg_shm_drop) and taken
 * back from the outputs' tx counters; with @p purge_ring also the frames an
 * af_packet ring still holds for the kernel (a link that went down must not
 * send them late at link-up). @p detach: the port is closing; forget its
 * queue (no device access).
 * @return the number of packets dropped.
 */
unsigned int cg_dp_txq_discard(struct cg_dp_txq *txq, unsigned int reason, bool purge_ring,
			       bool detach);

/** Drop what is still buffered; release the af_packet guard. */
void cg_dp_txq_fini(struct cg_dp_txq *txq);

/** Drop @p n packets the queue did not take, as tx_full (the flush's cold path). */
void cg_dp_txq_drop_unsent(struct rte_mbuf **pkts, uint16_t n);

/**
 * Send what is buffered; drops (and counts) what the queue does not take.
 * @return the number of packets the queue took.
 */
static inline uint16_t
cg_dp_txq_flush(struct cg_dp_txq *txq)
{
	uint16_t n = txq->length, room = n, sent = 0;

	if (n == 0)
		return 0;
	if (txq->afp != NULL)
		room = cg_dp_afp_room(txq->afp, n);
	if (room > 0)
		sent = rte_eth_tx_burst(txq->port_id, txq->queue, txq->pkts, room);
	txq->length = 0;
	if (unlikely(sent < n))
		cg_dp_txq_drop_unsent(&txq->pkts[sent], (uint16_t)(n - sent));
	return sent;
}

/** Buffer one packet; flushes when the buffer is full. */
static inline void
cg_dp_txq_put(struct cg_dp_txq *txq, struct rte_mbuf *m)
{
	txq->pkts[txq->length++] = m;
	if (txq->length == txq->size)
		cg_dp_txq_flush(txq);
}

#endif /* CG_DP_TX_H */
