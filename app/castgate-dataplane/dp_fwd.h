/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_FWD_H
#define CG_DP_FWD_H

/**
 * @file
 * Forwarding lcores: RX burst -> parse -> bulk rule lookup -> rewrite
 * (fan-out) -> buffered TX, and the lcore loop around it.
 */

#include <stdbool.h>
#include <stdint.h>

/**
 * Assign RX queues to workers and set up every worker's TX queues
 * (ports started). Worker w polls queue w of every port.
 * @return 0 or a negative errno.
 */
int cg_dp_fwd_init(void);

/**
 * The lcore loop of worker @p arg (worker index as uintptr_t). Runs until
 * dp_g.stop; then flushes its TX buffers and goes RCU-offline. When the
 * main lcore forwards (one lcore, or main_forwards), worker 0 also runs the
 * service.
 * @return 0.
 */
int cg_dp_fwd_loop(void *arg);

/**
 * Whether every worker (but the caller, when the main lcore forwards) has taken up
 * port generation @p gen (dp_g.port_gen): then none uses a port that the
 * change closed. Main lcore only.
 */
bool cg_dp_fwd_ports_synced(uint32_t gen);

/**
 * After the lcores stopped: send what the service queued so far through
 * worker 0's TX queues (the paced IGMP leaves at shutdown).
 */
void cg_dp_fwd_drain_service(void);

/**
 * After the lcores stopped: send what the service queued last (IGMP leaves)
 * through worker 0's TX queues, and free the TX buffers.
 */
void cg_dp_fwd_fini(void);

#endif /* CG_DP_FWD_H */
