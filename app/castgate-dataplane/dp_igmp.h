/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_IGMP_H
#define CG_DP_IGMP_H

/**
 * @file
 * IGMP host side (RFC 3376 / RFC 2236) for the input ports: castgate is a
 * member of every group (and source, for (S,G) rules) its rules receive, so
 * that switches with IGMP snooping and routers send the streams to it.
 *
 * Memberships are reference counted per (port, group, source); source 0
 * means any source. A group with an any-source member is in EXCLUDE {} mode,
 * else INCLUDE {sources}. Main lcore only.
 */

#include <stdint.h>

/**
 * Add a reference to (port, group, source). No cap on groups or sources (the
 * table grows; a failed allocation is logged and the membership skipped).
 * A state change is reported at the next timer run, packed with the other
 * changes of the port into reports filled up to its MTU, and repeated
 * [Robustness Variable] times within the Unsolicited Report Interval.
 */
void cg_dp_igmp_join(uint16_t port, uint32_t group_be, uint32_t src_be);

/** Drop a reference; the last one reports the leave. */
void cg_dp_igmp_leave(uint16_t port, uint32_t group_be, uint32_t src_be);

/**
 * Handle an IGMP message (frame bytes from the IGMP header on) that came at
 * TSC @p now (the clock of cg_dp_igmp_timer()). An IGMPv2 or v1 query puts
 * the port in that version's compatibility mode (cg_dp_igmp_version()).
 */
void cg_dp_igmp_input(uint16_t port, const uint8_t *igmp, uint32_t len, uint64_t now);

/**
 * Port @p port came up (opened late, re-opened or its link back): report its
 * memberships at the next timer run, as if a general query had come, since
 * what was sent while it was down never left and a switch may have flushed.
 */
void cg_dp_igmp_port_up(uint16_t port);

/** Periodic reports, query answers and retransmissions. */
void cg_dp_igmp_timer(uint64_t now);

/** Groups of port @p port with at least one member now (a gauge). */
uint32_t cg_dp_igmp_joined(uint16_t port);

/** IGMP reports (v3) or messages (v2, v1) port @p port has sent since start. */
uint64_t cg_dp_igmp_reports(uint16_t port);

/**
 * The IGMP version port @p port reports in now: igmp_version, or 2 (1)
 * while an IGMPv2 (v1) querier was heard on it within the Older Version
 * Querier Present Timeout (RFC 3376 7.2.1), never more than igmp_version.
 */
uint8_t cg_dp_igmp_version(uint16_t port);

/**
 * RFC 3376 8.12, Older Version Querier Present Timeout, in ms: the
 * Robustness Variable times the Query Interval, plus the Query Response
 * Interval (@p resp_ds tenths of a second: the last v3 general query's Max
 * Resp Time).
 * 260 000 with the defaults (2, 125 s, 100).
 */
static inline uint64_t
cg_dp_igmp_older_querier_ms(uint8_t robustness, uint32_t query_interval_s, uint32_t resp_ds)
{
	return (uint64_t)robustness * query_interval_s * 1000 + (uint64_t)resp_ds * 100;
}

/**
 * Shutdown, lcores stopped: report leaving every group, paced as at run time
 * (repeated after at most 50 ms; 2 s at most in all), calling @p drain after
 * each batch to send what was queued; then free the group table.
 */
void cg_dp_igmp_leave_all(void (*drain)(void));

#endif /* CG_DP_IGMP_H */
