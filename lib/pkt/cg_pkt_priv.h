/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_PKT_PRIV_H
#define CG_PKT_PRIV_H

/*
 * Unaligned-safe field access for lib/pkt. Frames come at any alignment
 * (VLAN tags and IP options shift everything), so every multi-byte field
 * goes through memcpy or byte arithmetic, never a cast pointer.
 *   rd16/wr16: big-endian bytes <-> host-order value
 *   ld16/ld32/st16/st32: bytes <-> value kept in network (memory) order
 */

#include <stdint.h>
#include <string.h>

static inline uint16_t
pkt_rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline void
pkt_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t
pkt_ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
pkt_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
pkt_st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void
pkt_st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

#endif /* CG_PKT_PRIV_H */
