/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_RING_H
#define GEN_RING_H

/**
 * @file
 * The raw sender of `castgate-gen send --engine ring`: an AF_PACKET socket
 * with a PACKET_TX_RING (TPACKET_V2) and PACKET_QDISC_BYPASS, whose frames are
 * built once with lib/pkt and restamped per packet (gen_frame.h); one
 * sendto() per batch hands them to the driver. No IP stack, no qdisc, no
 * copy from user space: the generator that a relay bench must not be
 * limited by.
 */

#include <stdint.h>

#include "gen_args.h"

struct gen_ring;

/**
 * Open the socket on o->iface, map its ring and build its frames
 * (source MAC and, without --source, source IP of the interface).
 * @return the ring, or NULL after logging why (errno set).
 */
struct gen_ring *gen_ring_open(const struct gen_send_opts *o);

/**
 * Queue up to @p n packets numbered from @p seq, stamped with @p tx_ns, and
 * kick the kernel once.
 * @return the number queued (0 when the ring is full: wait with
 *         gen_ring_wait()), or a negative errno.
 */
int gen_ring_burst(struct gen_ring *r, uint64_t seq, unsigned int n, uint64_t tx_ns);

/** Wait up to @p timeout_ms for a free ring frame. */
void gen_ring_wait(struct gen_ring *r, int timeout_ms);

/**
 * Wait (up to @p timeout_ms) until the kernel has sent every queued frame.
 * @return the frames still pending.
 */
unsigned int gen_ring_drain(struct gen_ring *r, int timeout_ms);

/** Kicks that the kernel refused for lack of room (retried). */
uint64_t gen_ring_retries(const struct gen_ring *r);

/** Unmap and close; NULL is ignored. */
void gen_ring_close(struct gen_ring *r);

#endif /* GEN_RING_H */
