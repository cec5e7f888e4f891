/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_TX_H
#define CG_DP_TX_H

/**
 * @file
 * Buffered TX per (worker, port). Each worker owns TX queue <worker index> of
 * every port, so no TX queue is shared. Packets collect in an
 * rte_eth_dev_tx_buffer and go out when it is full or when the worker's TSC
 * drain timer fires. Unsent packets are dropped through the buffer's error
 * callback, which counts them as "tx_full" and against their rule output.
 *
 * The flush is ours rather than rte_eth_tx_buffer_flush() because af_packet
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
	struct rte_eth_dev_tx_buffer *buf;
	struct cg_dp_afp_txq *afp;	/**< non-NULL on af_packet ports */
	uint16_t port_id;		/**< DPDK port id */
	uint16_t queue;
};

/**
 * Set up @p txq for cg port @p port, queue @p queue: the buffer, then
 * cg_dp_txq_attach() if the port is up.
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

/** Free the buffer; packets still in it are dropped. */
void cg_dp_txq_fini(struct cg_dp_txq *txq);

/** Send what is buffered; drops (and counts) what the queue does not take. */
static inline void
cg_dp_txq_flush(struct cg_dp_txq *txq)
{
	struct rte_eth_dev_tx_buffer *b = txq->buf;
	uint16_t n = b->length, room = n, sent = 0;

	if (n == 0)
		return;
	if (txq->afp != NULL)
		room = cg_dp_afp_room(txq->afp, n);
	if (room > 0)
		sent = rte_eth_tx_burst(txq->port_id, txq->queue, b->pkts, room);
	b->length = 0;
	if (sent < n)
		b->error_callback(&b->pkts[sent], (uint16_t)(n - sent), b->error_userdata);
}

/** Buffer one packet; flushes when the buffer is full. */
static inline void
cg_dp_txq_put(struct cg_dp_txq *txq, struct rte_mbuf *m)
{
	struct rte_eth_dev_tx_buffer *b = txq->buf;

	b->pkts[b->length++] = m;
	if (b->length == b->size)
		cg_dp_txq_flush(txq);
}

#endif /* CG_DP_TX_H */
