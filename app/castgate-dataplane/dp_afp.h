/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_AFP_H
#define CG_DP_AFP_H

/**
 * @file
 * Non-blocking TX guard for net_af_packet ports (DPDK 22.11 and 24.11).
 *
 * Why: in DPDK 22.11 and 24.11 eth_af_packet_tx() calls poll(fd, POLLOUT, -1) when the
 * next frame of its TX ring is still owned by the kernel (e.g. the socket's
 * send buffer is exhausted or the peer does not drain). That poll() may never
 * return, and a forwarding lcore must never block. So, for af_packet ports
 * only, we look at the ring frames the PMD will use next and hand the PMD at
 * most as many packets as there are free frames. With no free frame we kick
 * the kernel (sendto MSG_DONTWAIT, what the PMD does after each burst) and
 * let the caller drop and count the packets.
 *
 * This reads the PMD's private TX queue, so it only engages when the build's
 * and the running DPDK are the same known series, 22.11.x or 24.11.x (whose
 * struct pkt_tx_queue we mirror), and the queue passes sanity checks (its fd is an AF_PACKET socket, the ring geometry is sane);
 * otherwise cg_dp_afp_attach() refuses and the port is not started.
 */

#include <stdbool.h>
#include <stdint.h>

/** Opaque per (port, queue) guard handle. */
struct cg_dp_afp_txq;

/**
 * Whether the running DPDK is one whose af_packet TX queue layout we know.
 * @return true when the build's DPDK is 22.11.x or 24.11.x and the running
 *   library is of the same series.
 */
bool cg_dp_afp_version_ok(void);

/** The DPDK series this build knows the layout of ("DPDK 24.11"), for messages. */
const char *cg_dp_afp_series(void);

/**
 * Validate and return the guard of TX queue @p queue of started port
 * @p port_id (a net_af_packet port).
 * @return the handle, or NULL with errno set (ENOTSUP: unknown DPDK version,
 *   EPROTO: the queue does not look like an af_packet TX queue).
 */
struct cg_dp_afp_txq *cg_dp_afp_attach(uint16_t port_id, uint16_t queue);

/**
 * How many packets a tx_burst on this queue can take right now without
 * blocking: the number of consecutive free ring frames from the PMD's next
 * frame, capped at @p want. When it is 0 the kernel is kicked (one
 * non-blocking sendto), so frames already queued make progress.
 */
uint16_t cg_dp_afp_room(struct cg_dp_afp_txq *g, uint16_t want);

/**
 * Take back the frames the ring still holds for the kernel (SEND_REQUEST:
 * handed to the PMD, not yet taken by a sendto()), so that they are never
 * sent. Only from the lcore that owns the queue: the kernel reads those
 * frames only inside that lcore's sendto() calls.
 * @return the number of frames taken back.
 */
unsigned int cg_dp_afp_purge(struct cg_dp_afp_txq *g);

/**
 * The link is back: take the socket's pending error (ENETDOWN, set by the
 * kernel when the interface went down), which the next sendto() would
 * otherwise return, leaving the frames it should send in the ring.
 */
void cg_dp_afp_resume(struct cg_dp_afp_txq *g);

/** Largest frame (bytes from the Ethernet header on) a ring frame holds. */
unsigned int cg_dp_afp_frame_size(const struct cg_dp_afp_txq *g);

#endif /* CG_DP_AFP_H */
