/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "gen_frame.h"
#include "gen_payload.h"

#define UDP_OFF (CG_PKT_ETH_HLEN + CG_PKT_IPV4_HLEN)
#define UDP_CSUM_OFF 6
/* The restamped payload fields: seq and send time (16 bytes), check (4). */
#define STAMP_A_OFF GEN_PAYLOAD_OFF_SEQ
#define STAMP_A_LEN 16u
#define STAMP_B_OFF GEN_PAYLOAD_OFF_CHECK
#define STAMP_B_LEN 4u

size_t
gen_frame_len(uint32_t size)
{
	size_t len = GEN_FRAME_HDR_LEN + (size_t)size;

	return len < CG_PKT_ETH_MIN_LEN ? CG_PKT_ETH_MIN_LEN : len;
}

int
gen_frame_build(uint8_t *buf, size_t cap, const struct gen_frame_params *p, uint64_t seq,
		struct gen_frame_tmpl *t)
{
	uint8_t *udp = buf + UDP_OFF, *pl = udp + CG_PKT_UDP_HLEN;
	uint16_t udp_len, csum;
	int len;

	if (p->size < GEN_PAYLOAD_MIN || p->size > UINT16_MAX - CG_PKT_IPV4_HLEN - CG_PKT_UDP_HLEN)
		return -EINVAL;
	if (cap < gen_frame_len(p->size))
		return -ENOSPC;
	/* The payload in place first: the builder moves nothing then (same address). */
	if (gen_payload_prepare(pl, p->size, p->stream, seq, &t->fhash) != 0)
		return -EINVAL;
	/* Zero the fields that change per packet, so that the checksum leaves them out. */
	memset(pl + STAMP_A_OFF, 0, STAMP_A_LEN);
	memset(pl + STAMP_B_OFF, 0, STAMP_B_LEN);
	len = cg_pkt_build_udp(buf, cap, p->smac, p->dmac, p->src_be, p->dst_be, p->sport_be,
			       p->dport_be, p->ttl, pl, (uint16_t)p->size, CG_PKT_NO_VLAN);
	if (len < 0)
		return len;
	udp_len = (uint16_t)(CG_PKT_UDP_HLEN + p->size);
	csum = cg_pkt_udp_csum(p->src_be, p->dst_be, udp, udp_len);
	t->udp_base = (uint16_t)~csum;
	gen_frame_stamp(buf, t, seq, 0);
	return len;
}

void
gen_frame_stamp(uint8_t *frame, const struct gen_frame_tmpl *t, uint64_t seq, uint64_t tx_ns)
{
	uint8_t *udp = frame + UDP_OFF, *pl = udp + CG_PKT_UDP_HLEN;
	uint32_t sum = t->udp_base;
	uint16_t csum;

	gen_payload_restamp(pl, t->fhash, seq, tx_ns);
	/* RFC 1624: the sum of the rest is kept; add the new fields (even offsets). */
	sum = cg_pkt_csum_add(pl + STAMP_A_OFF, STAMP_A_LEN, sum);
	sum = cg_pkt_csum_add(pl + STAMP_B_OFF, STAMP_B_LEN, sum);
	csum = cg_pkt_csum_fold(sum);
	if (csum == 0)
		csum = 0xffff; /* 0 means "no checksum" in UDP */
	memcpy(udp + UDP_CSUM_OFF, &csum, sizeof(csum));
}
