/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-path part of lib/pkt: frame builders (UDP, ARP, IGMP) and the ARP
 * and IGMP parsers. Not per-packet, but still allocation-free so that the
 * data plane may call it from an lcore.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cg_pkt.h"
#include "cg_pkt_priv.h"

/* IPv4 Router Alert option (RFC 2113): type 148, length 4, value 0. */
#define IPOPT_RA_LEN 4
static const uint8_t ipopt_ra[IPOPT_RA_LEN] = { 0x94, 0x04, 0x00, 0x00 };

/* IGMP framing as Linux sends it: network-control precedence, link-local TTL. */
#define IGMP_TOS 0xc0
#define IGMP_TTL 1
#define IGMP_V2_LEN 8
#define IGMP_V3_REPORT_HLEN 8
#define IGMP_V3_REC_HLEN 8
#define IGMP_V3_QUERY_HLEN 12
#define INADDR_ALLRTRS 0xe0000002u	/* 224.0.0.2, IGMPv2 leaves */
#define INADDR_IGMPV3 0xe0000016u	/* 224.0.0.22, IGMPv3 reports */

static const uint8_t bcast_mac[CG_PKT_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[CG_PKT_ETH_ALEN];

static inline bool
vlan_ok(int vlan)
{
	return vlan == CG_PKT_NO_VLAN || (vlan >= 0 && vlan <= 0xffff);
}

static inline size_t
l2_len(int vlan)
{
	return CG_PKT_ETH_HLEN + (vlan == CG_PKT_NO_VLAN ? 0 : CG_PKT_VLAN_HLEN);
}

/* Final frame length: padded to the Ethernet minimum, counted without the tag. */
static inline size_t
padded_len(size_t len, int vlan)
{
	size_t min = CG_PKT_ETH_MIN_LEN + (vlan == CG_PKT_NO_VLAN ? 0 : CG_PKT_VLAN_HLEN);

	return len < min ? min : len;
}

/* Ethernet header [+ 802.1Q tag]; returns its length. */
static size_t
put_eth(uint8_t *p, const uint8_t dmac[CG_PKT_ETH_ALEN], const uint8_t smac[CG_PKT_ETH_ALEN],
	int vlan, uint16_t ethertype)
{
	size_t off = 2 * CG_PKT_ETH_ALEN;

	memcpy(p, dmac, CG_PKT_ETH_ALEN);
	memcpy(p + CG_PKT_ETH_ALEN, smac, CG_PKT_ETH_ALEN);
	if (vlan != CG_PKT_NO_VLAN) {
		pkt_wr16(p + off, CG_PKT_ETHERTYPE_VLAN);
		pkt_wr16(p + off + 2, (uint16_t)vlan);
		off += CG_PKT_VLAN_HLEN;
	}
	pkt_wr16(p + off, ethertype);
	return off + 2;
}

/* IPv4 header with optional options and its checksum; returns its length. */
static size_t
put_ipv4(uint8_t *ip, uint8_t tos, uint16_t total, bool df, uint8_t ttl, uint8_t proto,
	 uint32_t src_be, uint32_t dst_be, const uint8_t *opt, size_t optlen)
{
	size_t hlen = CG_PKT_IPV4_HLEN + optlen;

	ip[0] = (uint8_t)(0x40 | (hlen / 4));
	ip[1] = tos;
	pkt_wr16(ip + 2, total);
	pkt_wr16(ip + 4, 0);	/* id 0: atomic datagram (DF) or a test frame */
	pkt_wr16(ip + 6, df ? CG_PKT_IP_DF : 0);
	ip[8] = ttl;
	ip[9] = proto;
	pkt_st32(ip + 12, src_be);
	pkt_st32(ip + 16, dst_be);
	if (optlen)
		memcpy(ip + CG_PKT_IPV4_HLEN, opt, optlen);
	pkt_st16(ip + 10, cg_pkt_ipv4_csum(ip, (unsigned int)hlen));
	return hlen;
}

int
cg_pkt_build_udp(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN],
		 const uint8_t dmac[CG_PKT_ETH_ALEN], uint32_t src_be, uint32_t dst_be,
		 uint16_t sport_be, uint16_t dport_be, uint8_t ttl, const void *payload,
		 uint16_t payload_len, int vlan)
{
	size_t l2 = l2_len(vlan), len, flen;
	uint16_t udp_len;
	uint8_t *udp;

	if (!vlan_ok(vlan) ||
	    payload_len > UINT16_MAX - CG_PKT_IPV4_HLEN - CG_PKT_UDP_HLEN ||
	    (payload == NULL && payload_len != 0))
		return -EINVAL;
	udp_len = (uint16_t)(CG_PKT_UDP_HLEN + payload_len);
	len = l2 + CG_PKT_IPV4_HLEN + udp_len;
	flen = padded_len(len, vlan);
	if (size < flen)
		return -ENOSPC;

	udp = buf + l2 + CG_PKT_IPV4_HLEN;
	/* payload first and with memmove: it may already sit in buf */
	if (payload_len)
		memmove(udp + CG_PKT_UDP_HLEN, payload, payload_len);
	memset(buf + len, 0, flen - len);
	put_eth(buf, dmac, smac, vlan, CG_PKT_ETHERTYPE_IPV4);
	put_ipv4(buf + l2, 0, (uint16_t)(CG_PKT_IPV4_HLEN + udp_len), false, ttl,
		 CG_PKT_IPPROTO_UDP, src_be, dst_be, NULL, 0);
	pkt_st16(udp, sport_be);
	pkt_st16(udp + 2, dport_be);
	pkt_wr16(udp + 4, udp_len);
	pkt_st16(udp + 6, cg_pkt_udp_csum(src_be, dst_be, udp, udp_len));
	return (int)flen;
}

/* ------------------------------------------------------------------------ */
/* ARP                                                                      */

#define ARP_HTYPE_ETHER 1

static const char *const arp_err_names[CG_PKT_ARP_ERR_MAX] = {
	[CG_PKT_ARP_OK] = "ok",
	[CG_PKT_ARP_TRUNCATED] = "arp_truncated",
	[CG_PKT_ARP_BAD_HTYPE] = "arp_bad_htype",
	[CG_PKT_ARP_BAD_PTYPE] = "arp_bad_ptype",
	[CG_PKT_ARP_BAD_ADDR_LEN] = "arp_bad_addr_len",
	[CG_PKT_ARP_BAD_OP] = "arp_bad_op",
};

const char *
cg_pkt_arp_err_name(enum cg_pkt_arp_err err)
{
	if ((unsigned int)err >= CG_PKT_ARP_ERR_MAX || arp_err_names[err] == NULL)
		return "unknown";
	return arp_err_names[err];
}

enum cg_pkt_arp_err
cg_pkt_arp_parse(const uint8_t *body, uint32_t len, struct cg_pkt_arp *arp)
{
	uint16_t op;

	if (len < CG_PKT_ARP_LEN)
		return CG_PKT_ARP_TRUNCATED;
	if (pkt_rd16(body) != ARP_HTYPE_ETHER)
		return CG_PKT_ARP_BAD_HTYPE;
	if (pkt_rd16(body + 2) != CG_PKT_ETHERTYPE_IPV4)
		return CG_PKT_ARP_BAD_PTYPE;
	if (body[4] != CG_PKT_ETH_ALEN || body[5] != 4)
		return CG_PKT_ARP_BAD_ADDR_LEN;
	op = pkt_rd16(body + 6);
	if (op != CG_PKT_ARP_OP_REQUEST && op != CG_PKT_ARP_OP_REPLY)
		return CG_PKT_ARP_BAD_OP;
	arp->op = op;
	memcpy(arp->sha, body + 8, CG_PKT_ETH_ALEN);
	arp->spa_be = pkt_ld32(body + 14);
	memcpy(arp->tha, body + 18, CG_PKT_ETH_ALEN);
	arp->tpa_be = pkt_ld32(body + 24);
	arp->gratuitous = arp->spa_be == arp->tpa_be;
	return CG_PKT_ARP_OK;
}

static int
arp_build(uint8_t *buf, size_t size, const uint8_t eth_dst[CG_PKT_ETH_ALEN], uint16_t op,
	  const uint8_t sha[CG_PKT_ETH_ALEN], uint32_t spa_be, const uint8_t tha[CG_PKT_ETH_ALEN],
	  uint32_t tpa_be, int vlan)
{
	size_t len, flen;
	uint8_t *a;

	if (!vlan_ok(vlan))
		return -EINVAL;
	len = l2_len(vlan) + CG_PKT_ARP_LEN;
	flen = padded_len(len, vlan);
	if (size < flen)
		return -ENOSPC;
	a = buf + put_eth(buf, eth_dst, sha, vlan, CG_PKT_ETHERTYPE_ARP);
	pkt_wr16(a, ARP_HTYPE_ETHER);
	pkt_wr16(a + 2, CG_PKT_ETHERTYPE_IPV4);
	a[4] = CG_PKT_ETH_ALEN;
	a[5] = 4;
	pkt_wr16(a + 6, op);
	memcpy(a + 8, sha, CG_PKT_ETH_ALEN);
	pkt_st32(a + 14, spa_be);
	memcpy(a + 18, tha, CG_PKT_ETH_ALEN);
	pkt_st32(a + 24, tpa_be);
	memset(buf + len, 0, flen - len);
	return (int)flen;
}

int
cg_pkt_arp_build_request(uint8_t *buf, size_t size, const uint8_t sha[CG_PKT_ETH_ALEN],
			 uint32_t spa_be, uint32_t tpa_be, int vlan)
{
	return arp_build(buf, size, bcast_mac, CG_PKT_ARP_OP_REQUEST, sha, spa_be, zero_mac,
			 tpa_be, vlan);
}

int
cg_pkt_arp_build_reply(uint8_t *buf, size_t size, const uint8_t sha[CG_PKT_ETH_ALEN],
		       uint32_t spa_be, const uint8_t tha[CG_PKT_ETH_ALEN], uint32_t tpa_be,
		       int vlan)
{
	return arp_build(buf, size, tha, CG_PKT_ARP_OP_REPLY, sha, spa_be, tha, tpa_be, vlan);
}

int
cg_pkt_arp_build_gratuitous(uint8_t *buf, size_t size, const uint8_t sha[CG_PKT_ETH_ALEN],
			    uint32_t addr_be, int vlan)
{
	return arp_build(buf, size, bcast_mac, CG_PKT_ARP_OP_REQUEST, sha, addr_be, zero_mac,
			 addr_be, vlan);
}

/* ------------------------------------------------------------------------ */
/* IGMP                                                                     */

static const char *const igmp_err_names[CG_PKT_IGMP_ERR_MAX] = {
	[CG_PKT_IGMP_OK] = "ok",
	[CG_PKT_IGMP_TRUNCATED] = "igmp_truncated",
	[CG_PKT_IGMP_BAD_CHECKSUM] = "igmp_bad_checksum",
	[CG_PKT_IGMP_BAD_TYPE] = "igmp_bad_type",
	[CG_PKT_IGMP_BAD_LEN] = "igmp_bad_len",
};

const char *
cg_pkt_igmp_err_name(enum cg_pkt_igmp_err err)
{
	if ((unsigned int)err >= CG_PKT_IGMP_ERR_MAX || igmp_err_names[err] == NULL)
		return "unknown";
	return igmp_err_names[err];
}

/*
 * RFC 3376 4.1.1/4.1.7: codes below 128 are literal; above, a floating
 * point value 1 | exp(3) | mant(4) = (mant | 0x10) << (exp + 3).
 */
static uint32_t
igmp_decode_code(uint8_t code)
{
	if (code < 128)
		return code;
	return (uint32_t)((code & 0x0f) | 0x10) << (((code >> 4) & 0x07) + 3);
}

enum cg_pkt_igmp_err
cg_pkt_igmp_parse(const uint8_t *igmp, uint32_t len, struct cg_pkt_igmp *msg)
{
	uint32_t n;

	if (len < IGMP_V2_LEN)
		return CG_PKT_IGMP_TRUNCATED;
	if (cg_pkt_csum_fold(cg_pkt_csum_add(igmp, len, 0)) != 0)
		return CG_PKT_IGMP_BAD_CHECKSUM;
	memset(msg, 0, sizeof(*msg));
	msg->type = igmp[0];
	msg->max_resp_code = igmp[1];
	switch (igmp[0]) {
	case CG_PKT_IGMP_QUERY:
		msg->group_be = pkt_ld32(igmp + 4);
		/* RFC 3376 7.1: the version follows from length and max resp code */
		if (len == IGMP_V2_LEN) {
			msg->version = igmp[1] == 0 ? 1 : 2;
			/* v1 has no field: hosts use 10 s (RFC 2236 4) */
			msg->max_resp_ds = igmp[1] == 0 ? 100 : igmp[1];
			return CG_PKT_IGMP_OK;
		}
		if (len < IGMP_V3_QUERY_HLEN)
			return CG_PKT_IGMP_BAD_LEN;	/* 9..11 bytes: ignore (7.1) */
		msg->version = 3;
		msg->max_resp_ds = igmp_decode_code(igmp[1]);
		msg->s_flag = (igmp[8] & 0x08) != 0;
		msg->qrv = igmp[8] & 0x07;
		msg->qqic = igmp[9];
		msg->qqi_s = igmp_decode_code(igmp[9]);
		n = pkt_rd16(igmp + 10);
		if (n > (len - IGMP_V3_QUERY_HLEN) / 4)
			return CG_PKT_IGMP_BAD_LEN;
		msg->nb_sources = (uint16_t)n;
		msg->sources = igmp + IGMP_V3_QUERY_HLEN;
		return CG_PKT_IGMP_OK;
	case CG_PKT_IGMP_V1_REPORT:
		msg->version = 1;
		msg->group_be = pkt_ld32(igmp + 4);
		return CG_PKT_IGMP_OK;
	case CG_PKT_IGMP_V2_REPORT:
	case CG_PKT_IGMP_V2_LEAVE:
		msg->version = 2;
		msg->group_be = pkt_ld32(igmp + 4);
		return CG_PKT_IGMP_OK;
	case CG_PKT_IGMP_V3_REPORT:
		msg->version = 3;
		n = pkt_rd16(igmp + 6);
		/* each record takes at least its 8-byte header */
		if (n > (len - IGMP_V3_REPORT_HLEN) / IGMP_V3_REC_HLEN)
			return CG_PKT_IGMP_BAD_LEN;
		msg->nb_records = (uint16_t)n;
		return CG_PKT_IGMP_OK;
	default:
		return CG_PKT_IGMP_BAD_TYPE;
	}
}

/*
 * Common IGMP framing: Ethernet to the group MAC, IPv4 with Router Alert,
 * TTL 1, tos 0xc0, DF, id 0 (what Linux puts in DF datagrams). Checks the
 * room for @p igmp_len bytes of IGMP; returns the IGMP offset via @p igmp_off
 * and the padded frame length, or -ENOSPC.
 */
static int
igmp_frame(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN], uint32_t src_be,
	   uint32_t dst_be, size_t igmp_len, int vlan, size_t *igmp_off)
{
	size_t l2 = l2_len(vlan), iph = CG_PKT_IPV4_HLEN + IPOPT_RA_LEN, len, flen;
	uint8_t dmac[CG_PKT_ETH_ALEN];

	if (!vlan_ok(vlan) || iph + igmp_len > UINT16_MAX)
		return -EINVAL;
	len = l2 + iph + igmp_len;
	flen = padded_len(len, vlan);
	if (size < flen)
		return -ENOSPC;
	cg_pkt_mcast_mac(dst_be, dmac);
	put_eth(buf, dmac, smac, vlan, CG_PKT_ETHERTYPE_IPV4);
	put_ipv4(buf + l2, IGMP_TOS, (uint16_t)(iph + igmp_len), true, IGMP_TTL,
		 CG_PKT_IPPROTO_IGMP, src_be, dst_be, ipopt_ra, IPOPT_RA_LEN);
	memset(buf + len, 0, flen - len);
	*igmp_off = l2 + iph;
	return (int)flen;
}

static int
igmp_build_v2(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN], uint32_t src_be,
	      uint32_t dst_be, uint8_t type, uint32_t group_be, int vlan)
{
	size_t off;
	uint8_t *g;
	int flen;

	flen = igmp_frame(buf, size, smac, src_be, dst_be, IGMP_V2_LEN, vlan, &off);
	if (flen < 0)
		return flen;
	g = buf + off;
	g[0] = type;
	g[1] = 0;	/* max resp time: unused in reports */
	pkt_wr16(g + 2, 0);
	pkt_st32(g + 4, group_be);
	pkt_st16(g + 2, cg_pkt_csum_fold(cg_pkt_csum_add(g, IGMP_V2_LEN, 0)));
	return flen;
}

int
cg_pkt_igmp_build_v2_report(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN],
			    uint32_t src_be, uint32_t group_be, int vlan)
{
	return igmp_build_v2(buf, size, smac, src_be, group_be, CG_PKT_IGMP_V2_REPORT, group_be,
			     vlan);
}

int
cg_pkt_igmp_build_v1_report(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN],
			    uint32_t src_be, uint32_t group_be, int vlan)
{
	return igmp_build_v2(buf, size, smac, src_be, group_be, CG_PKT_IGMP_V1_REPORT, group_be,
			     vlan);
}

int
cg_pkt_igmp_build_v2_leave(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN],
			   uint32_t src_be, uint32_t group_be, int vlan)
{
	return igmp_build_v2(buf, size, smac, src_be, htonl(INADDR_ALLRTRS),
			     CG_PKT_IGMP_V2_LEAVE, group_be, vlan);
}

int
cg_pkt_igmp_build_v3_report(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN],
			    uint32_t src_be, const struct cg_pkt_igmp_rec *recs,
			    unsigned int nb_recs, int vlan)
{
	size_t igmp_len = IGMP_V3_REPORT_HLEN, off;
	unsigned int i;
	uint8_t *g, *r;
	int flen;

	if (recs == NULL || nb_recs == 0 || nb_recs > UINT16_MAX)
		return -EINVAL;
	for (i = 0; i < nb_recs; i++) {
		if (recs[i].type < CG_PKT_IGMP_MODE_IS_INCLUDE ||
		    recs[i].type > CG_PKT_IGMP_BLOCK_OLD_SOURCES ||
		    (recs[i].nb_sources && recs[i].sources_be == NULL))
			return -EINVAL;
		igmp_len += IGMP_V3_REC_HLEN + 4 * (size_t)recs[i].nb_sources;
		if (igmp_len > UINT16_MAX)	/* stop before size_t could ever wrap */
			return -EINVAL;
	}
	flen = igmp_frame(buf, size, smac, src_be, htonl(INADDR_IGMPV3), igmp_len, vlan, &off);
	if (flen < 0)
		return flen;
	g = buf + off;
	g[0] = CG_PKT_IGMP_V3_REPORT;
	g[1] = 0;
	pkt_wr16(g + 2, 0);
	pkt_wr16(g + 4, 0);
	pkt_wr16(g + 6, (uint16_t)nb_recs);
	r = g + IGMP_V3_REPORT_HLEN;
	for (i = 0; i < nb_recs; i++) {
		r[0] = recs[i].type;
		r[1] = 0;	/* aux data len */
		pkt_wr16(r + 2, recs[i].nb_sources);
		pkt_st32(r + 4, recs[i].group_be);
		if (recs[i].nb_sources)
			memcpy(r + IGMP_V3_REC_HLEN, recs[i].sources_be,
			       4 * (size_t)recs[i].nb_sources);
		r += IGMP_V3_REC_HLEN + 4 * (size_t)recs[i].nb_sources;
	}
	pkt_st16(g + 2, cg_pkt_csum_fold(cg_pkt_csum_add(g, igmp_len, 0)));
	return flen;
}

/* ------------------------------------------------------------------------ */
/* IGMPv3 report packer                                                     */

static_assert(CG_PKT_IGMP_IP_HLEN == CG_PKT_IPV4_HLEN + IPOPT_RA_LEN, "IGMP IP header");
static_assert(CG_PKT_IGMP_V3_HLEN == IGMP_V3_REPORT_HLEN, "IGMPv3 report header");
static_assert(CG_PKT_IGMP_V3_REC_HLEN == IGMP_V3_REC_HLEN, "IGMPv3 record header");

int
cg_pkt_igmp_v3_pack_init(struct cg_pkt_igmp_v3_pack *pk, uint8_t *buf, size_t size,
			 unsigned int mtu, int vlan)
{
	size_t off = l2_len(vlan) + CG_PKT_IGMP_IP_HLEN, max;

	if (pk == NULL || buf == NULL || !vlan_ok(vlan) || mtu < CG_PKT_IGMP_V3_MIN_MTU)
		return -EINVAL;
	max = mtu - CG_PKT_IGMP_IP_HLEN;
	if (max > UINT16_MAX - CG_PKT_IGMP_IP_HLEN)
		max = UINT16_MAX - CG_PKT_IGMP_IP_HLEN;
	if (size < off || size < padded_len(0, vlan))
		return -EINVAL;
	if (max > size - off)
		max = size - off;
	if (max < IGMP_V3_REPORT_HLEN + IGMP_V3_REC_HLEN)
		return -EINVAL;
	*pk = (struct cg_pkt_igmp_v3_pack){
		.buf = buf, .size = size, .vlan = vlan, .igmp_off = off, .igmp_max = max,
		.igmp_len = IGMP_V3_REPORT_HLEN,
	};
	return 0;
}

int
cg_pkt_igmp_v3_pack_add(struct cg_pkt_igmp_v3_pack *pk, uint8_t type, uint32_t group_be,
			const uint32_t *sources_be, unsigned int nb_sources)
{
	size_t room = pk->igmp_max - pk->igmp_len;
	unsigned int n = nb_sources;
	uint8_t *r;

	if (type < CG_PKT_IGMP_MODE_IS_INCLUDE || type > CG_PKT_IGMP_BLOCK_OLD_SOURCES ||
	    (nb_sources && sources_be == NULL))
		return -EINVAL;
	if (pk->nb_recs == UINT16_MAX || room < IGMP_V3_REC_HLEN)
		return -ENOSPC;
	if ((room - IGMP_V3_REC_HLEN) / 4 < n) {
		if (pk->nb_recs > 0)
			return -ENOSPC;
		n = (unsigned int)((room - IGMP_V3_REC_HLEN) / 4);	/* split (4.2.16) */
	}
	r = pk->buf + pk->igmp_off + pk->igmp_len;
	r[0] = type;
	r[1] = 0;	/* aux data len */
	pkt_wr16(r + 2, (uint16_t)n);
	pkt_st32(r + 4, group_be);
	if (n)
		memcpy(r + IGMP_V3_REC_HLEN, sources_be, 4 * (size_t)n);
	pk->igmp_len += IGMP_V3_REC_HLEN + 4 * (size_t)n;
	pk->nb_recs++;
	return (int)n;
}

int
cg_pkt_igmp_v3_pack_finish(struct cg_pkt_igmp_v3_pack *pk, const uint8_t smac[CG_PKT_ETH_ALEN],
			   uint32_t src_be)
{
	size_t off;
	uint8_t *g;
	int flen;

	if (pk->nb_recs == 0)
		return -EINVAL;
	flen = igmp_frame(pk->buf, pk->size, smac, src_be, htonl(INADDR_IGMPV3), pk->igmp_len,
			  pk->vlan, &off);
	if (flen < 0)
		return flen;
	g = pk->buf + off;
	g[0] = CG_PKT_IGMP_V3_REPORT;
	g[1] = 0;
	pkt_wr16(g + 2, 0);
	pkt_wr16(g + 4, 0);
	pkt_wr16(g + 6, pk->nb_recs);
	pkt_st16(g + 2, cg_pkt_csum_fold(cg_pkt_csum_add(g, pk->igmp_len, 0)));
	pk->igmp_len = IGMP_V3_REPORT_HLEN;
	pk->nb_recs = 0;
	return flen;
}
