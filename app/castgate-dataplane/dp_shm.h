/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_SHM_H
#define CG_DP_SHM_H

/**
 * @file
 * The primary's side of lib/shm: the CG_SHM_MZ_INFO and CG_SHM_MZ_REQUEST
 * memzones, and the rte_mp server for rule changes.
 *
 * Rule requests: the CG_SHM_MP_RULES action runs in the EAL IPC thread and
 * only queues {seq, peer} on an SP/SC ring (never touching the rule table,
 * never blocking; a full queue or a stopping data plane is answered at once).
 * The main lcore drains the queue in its service turn (cg_dp_shm_poll()):
 * it copies the request out of CG_SHM_MZ_REQUEST under the seqlock, applies it
 * with cg_dp_rules_apply() and answers with rte_mp_reply(). When the main
 * lcore forwards (one lcore, or main_forwards), its forwarding loop does that,
 * after flushing its TX buffers.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

#include "cg_conf.h"
#include "cg_shm.h"

/** cg_info, valid after cg_dp_shm_init(). */
extern struct cg_shm_info *cg_dp_info;
/** The packet trace: control's request, each lcore's records (dp_fwd). */
extern struct cg_shm_trace *cg_dp_trace;
/** Queue of pending rule requests (private to this module; see cg_dp_shm_pending()). */
extern struct rte_ring *cg_dp_shm_queue;

/**
 * Reserve and zero CG_SHM_MZ_INFO and CG_SHM_MZ_REQUEST, create the request
 * queue, and note the pid and start time. cg_info stays invisible to
 * secondaries (magic 0) until cg_dp_shm_publish().
 * @param start_unix_ms  when the process started.
 * @return 0 or a negative errno.
 */
int cg_dp_shm_init(uint64_t start_unix_ms);

/**
 * Fill cg_info from the running data plane (ports up, lcores assigned,
 * counter blocks reserved): versions, paths, ports, lcores and their roles;
 * then write the magic. The state_* fields are set by the caller before.
 * @param config_path  the config file as given (made absolute here).
 */
void cg_dp_shm_publish(const struct cg_conf *c, const char *config_path);

/**
 * Register the CG_SHM_MP_RULES action. Requests queue up until the main
 * lcore polls.
 * @return 0 or a negative errno.
 */
int cg_dp_shm_serve(void);

/** Fill cg_info's entry of port @p idx again (a port opened late or re-opened). */
void cg_dp_shm_publish_port(uint16_t idx);

/** Set cg_info.ready: the lcores forward and requests are served. */
void cg_dp_shm_ready(void);

/** Whether a rule request waits (cheap: two loads; the forwarding loop calls it). */
static inline bool
cg_dp_shm_pending(void)
{
	return cg_dp_shm_queue != NULL && rte_ring_count(cg_dp_shm_queue) != 0;
}

/**
 * Sleep up to @p us microseconds, less if a rule request arrives (the IPC
 * thread signals an eventfd). For the main lcore's idle turns when it does
 * not forward; a forwarding lcore polls cg_dp_shm_pending() instead.
 */
void cg_dp_shm_idle_wait(unsigned int us);

/**
 * Apply and answer the queued rule requests (main lcore only).
 * @param self_reader  as for cg_dp_rules_apply(): the caller's RCU thread id
 *                     if it forwards (its TX buffers flushed), else
 *                     RTE_QSBR_THRID_INVALID.
 * @return the number of requests handled.
 */
unsigned int cg_dp_shm_poll(unsigned int self_reader);

/**
 * Stop serving: ready = 0, unregister the action, answer what is still
 * queued with -EPIPE. Main lcore, before rte_eal_cleanup().
 */
void cg_dp_shm_fini(void);

#endif /* CG_DP_SHM_H */
