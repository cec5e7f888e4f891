/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_SERVICE_H
#define CG_DP_SERVICE_H

/**
 * @file
 * The slow path, run by the main lcore: ARP and IGMP frames that workers
 * passed up, ARP retries and expiry, IGMP reports, all on timers. Frames it
 * sends go to worker 0 through the dp_g.svc_tx ring, so that no TX queue is
 * ever shared between threads.
 */

#include <stdint.h>

/**
 * Create the slow-path rings and initialise timers.
 * @return 0 or a negative errno.
 */
int cg_dp_service_init(void);

/**
 * One pass of the service: drain the slow-path rings, run due timers. Cheap
 * when there is nothing to do, so a forwarding main lcore calls it every turn.
 * @param now  rte_rdtsc()
 * @return the number of frames handled (0 = idle).
 */
unsigned int cg_dp_service_poll(uint64_t now);

/**
 * Queue a control frame (ARP, IGMP) for sending on cg port @p port. Copies
 * @p len bytes into a new mbuf.
 * @return 0, -ENOBUFS (no mbuf) or -ENOSPC (ring full); counted as drops.
 */
int cg_dp_service_send(uint16_t port, const uint8_t *frame, int len);

/** Send gratuitous ARPs and initial IGMP state for all ports (after start). */
void cg_dp_service_start(void);

/** Leave IGMP groups and free what is queued (lcores stopped). */
void cg_dp_service_stop(void);

/** TSC ticks per millisecond, for the modules' timers. */
extern uint64_t cg_dp_tsc_ms;

#endif /* CG_DP_SERVICE_H */
