/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_ARP_H
#define CG_DP_ARP_H

/**
 * @file
 * ARP: answers requests for each port's IP, announces it at start, and
 * resolves the next hops of unicast outputs. Messages from a sender no host
 * has (multicast, broadcast or zero MAC; IP in 0/8 but a probe's 0.0.0.0,
 * 127/8, 224/3) are ignored, and a next hop takes a MAC only from an answer
 * to a request of ours (arp_rejected counts the rest; see dp_arp.c).
 *
 * Next hops live in the memzone "cg_nexthops" as one 64-bit word each:
 * bit 63 = valid, bits 0..47 = the MAC. Only the main lcore writes them
 * (single writer, whole-word stores); workers read them lock-free.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cg_pkt.h"

/** Most distinct (port, next hop) pairs. */
#define CG_DP_MAX_NH 256
#define CG_DP_NH_VALID (1ULL << 63)

extern uint64_t *cg_dp_nh_mac;

/** Fast path: the MAC of next hop @p nh, if resolved. */
static inline bool
cg_dp_nh_get(uint32_t nh, uint8_t mac[6])
{
	uint64_t w = __atomic_load_n(&cg_dp_nh_mac[nh], __ATOMIC_ACQUIRE);

	if (!(w & CG_DP_NH_VALID))
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(w >> (8 * (5 - i)));
	return true;
}

/** Reserve the next hop memzone. @return 0 or -ENOMEM. */
int cg_dp_arp_init(void);

/**
 * Take a reference on the next hop @p ip_be of cg port @p port (created
 * unresolved and queried at once when new).
 * @return its index, or -ENOSPC.
 */
int cg_dp_arp_nh_ref(uint16_t port, uint32_t ip_be);

/** Drop a reference taken with cg_dp_arp_nh_ref(); frees it at zero. */
void cg_dp_arp_nh_unref(uint32_t nh);

/** Handle an ARP frame received on cg port @p port. */
void cg_dp_arp_input(uint16_t port, const uint8_t *frame, uint32_t len,
		     const struct cg_pkt_info *pi);

/** Send a gratuitous ARP for cg port @p port's IP. */
void cg_dp_arp_announce(uint16_t port);

/**
 * Cg port @p port's link came up: at the next timer, announce the port and
 * start a new round for each of its next hops (requests are not sent while
 * the link is down, so a round spent then must not delay resolution).
 */
void cg_dp_arp_port_up(uint16_t port);

/** Retries, refreshes and expiry; call every few milliseconds. */
void cg_dp_arp_timer(uint64_t now);

#endif /* CG_DP_ARP_H */
