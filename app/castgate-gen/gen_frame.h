/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_FRAME_H
#define GEN_FRAME_H

/**
 * @file
 * Whole Ethernet/IPv4/UDP frames carrying a castgate-gen payload, for the
 * raw TX-ring sender: built once per ring slot with lib/pkt's builder, then
 * restamped per packet (seq, send time, payload check, UDP checksum updated
 * incrementally), so that the cost per packet does not grow with its size.
 * No sockets here, so that it is unit-tested.
 */

#include <stddef.h>
#include <stdint.h>

#include "cg_pkt.h"

/** What every frame of a stream shares. */
struct gen_frame_params {
	uint8_t smac[CG_PKT_ETH_ALEN];
	uint8_t dmac[CG_PKT_ETH_ALEN];
	uint32_t src_be;
	uint32_t dst_be;
	uint16_t sport_be;
	uint16_t dport_be;
	uint8_t ttl;
	uint32_t stream;
	uint32_t size;  /**< UDP payload bytes, GEN_PAYLOAD_MIN.. */
};

/** What gen_frame_stamp() needs to restamp a built frame. */
struct gen_frame_tmpl {
	uint32_t fhash;    /**< hash of the payload's filler (gen_payload_prepare) */
	uint16_t udp_base; /**< ones' complement sum of the UDP checksum's data with
			    *   the restamped fields zero */
};

/** Ethernet header + IPv4 + UDP in front of the payload (no VLAN). */
#define GEN_FRAME_HDR_LEN (CG_PKT_ETH_HLEN + CG_PKT_IPV4_HLEN + CG_PKT_UDP_HLEN)

/** Length of the frame for a payload of @p size bytes (padded to 60). */
size_t gen_frame_len(uint32_t size);

/**
 * Build the frame for sequence number @p seq into @p buf (@p cap bytes).
 * The frame may then carry any seq equal to @p seq modulo
 * GEN_PAYLOAD_FILLER_PERIOD through gen_frame_stamp().
 * @return the frame length, -ENOSPC when @p cap is too small, or -EINVAL.
 */
int gen_frame_build(uint8_t *buf, size_t cap, const struct gen_frame_params *p, uint64_t seq,
		    struct gen_frame_tmpl *t);

/** Write @p seq and @p tx_ns into a built frame, with a valid check and UDP checksum. */
void gen_frame_stamp(uint8_t *frame, const struct gen_frame_tmpl *t, uint64_t seq,
		     uint64_t tx_ns);

#endif /* GEN_FRAME_H */
