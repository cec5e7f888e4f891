/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet part of lib/pkt: parse/validate, UDP checksum, header rewrite.
 * Everything here runs on the data-plane hot path: no allocation, no
 * syscalls, and no read beyond the length the caller gave.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "cg_pkt.h"
#include "cg_pkt_priv.h"

static const char *const drop_names[CG_PKT_DROP_MAX] = {
	[CG_PKT_DROP_NONE] = "none",
	[CG_PKT_DROP_TRUNCATED] = "truncated",
	[CG_PKT_DROP_NON_IPV4] = "non_ipv4",
	[CG_PKT_DROP_BAD_VERSION] = "bad_version",
	[CG_PKT_DROP_BAD_IHL] = "bad_ihl",
	[CG_PKT_DROP_BAD_TOTAL_LEN] = "bad_total_len",
	[CG_PKT_DROP_FRAGMENT] = "fragment",
	[CG_PKT_DROP_NON_UDP] = "non_udp",
	[CG_PKT_DROP_BAD_IP_CHECKSUM] = "bad_ip_checksum",
	[CG_PKT_DROP_BAD_UDP_LEN] = "bad_udp_len",
	[CG_PKT_DROP_BAD_UDP_CHECKSUM] = "bad_udp_checksum",
	[CG_PKT_DROP_BAD_SOURCE] = "bad_source",
};

void
cg_pkt_peek(const uint8_t *frame, uint32_t len, struct cg_pkt_peek *pk)
{
	uint32_t l3 = CG_PKT_ETH_HLEN, ihl;
	uint16_t type = len >= l3 ? (uint16_t)(frame[12] << 8 | frame[13]) : 0;
	const uint8_t *ip;

	memset(pk, 0, sizeof(*pk));
	for (int v = 0; v < CG_PKT_MAX_VLANS && len >= l3 + CG_PKT_VLAN_HLEN &&
	     (type == CG_PKT_ETHERTYPE_VLAN || type == CG_PKT_ETHERTYPE_QINQ); v++) {
		type = (uint16_t)(frame[l3 + 2] << 8 | frame[l3 + 3]);
		l3 += CG_PKT_VLAN_HLEN;
	}
	ip = frame + l3;
	if (type != CG_PKT_ETHERTYPE_IPV4 || len < l3 + CG_PKT_IPV4_HLEN || (ip[0] >> 4) != 4)
		return;
	memcpy(&pk->src_be, ip + 12, 4);
	memcpy(&pk->dst_be, ip + 16, 4);
	pk->ttl = ip[8];
	pk->ip = true;
	ihl = (ip[0] & 0xfu) * 4;
	if (ip[9] != CG_PKT_IPPROTO_UDP || ihl < CG_PKT_IPV4_HLEN ||
	    ((ip[6] << 8 | ip[7]) & CG_PKT_IP_OFFMASK) != 0 || len < l3 + ihl + 4)
		return;
	pk->sport = (uint16_t)(ip[ihl] << 8 | ip[ihl + 1]);
	pk->dport = (uint16_t)(ip[ihl + 2] << 8 | ip[ihl + 3]);
	pk->udp = true;
}

const char *
cg_pkt_drop_name(enum cg_pkt_drop drop)
{
	if ((unsigned int)drop >= CG_PKT_DROP_MAX || drop_names[drop] == NULL)
		return "unknown";
	return drop_names[drop];
}

static inline enum cg_pkt_verdict
drop(struct cg_pkt_info *pi, enum cg_pkt_drop why)
{
	pi->verdict = CG_PKT_DROP;
	pi->drop = why;
	return CG_PKT_DROP;
}

static inline enum cg_pkt_verdict
pass(struct cg_pkt_info *pi, enum cg_pkt_verdict v)
{
	pi->verdict = v;
	pi->drop = CG_PKT_DROP_NONE;
	return v;
}

enum cg_pkt_verdict
cg_pkt_parse(const uint8_t *frame, uint32_t len, unsigned int flags, struct cg_pkt_info *pi)
{
	const uint8_t *ip, *udp;
	uint32_t off, l3, hlen, total, l4_len, udp_len;
	uint16_t et;

	if (len < CG_PKT_ETH_HLEN)
		return drop(pi, CG_PKT_DROP_TRUNCATED);
	memcpy(pi->dst_mac, frame, CG_PKT_ETH_ALEN);
	memcpy(pi->src_mac, frame + CG_PKT_ETH_ALEN, CG_PKT_ETH_ALEN);

	/* off: where the current ethertype/TPID sits */
	off = 2 * CG_PKT_ETH_ALEN;
	et = pkt_rd16(frame + off);
	pi->nb_vlans = 0;
	while (et == CG_PKT_ETHERTYPE_VLAN || et == CG_PKT_ETHERTYPE_QINQ) {
		if (pi->nb_vlans == CG_PKT_MAX_VLANS)
			return drop(pi, CG_PKT_DROP_NON_IPV4);	/* 3+ tags: not ours */
		if (len < off + CG_PKT_VLAN_HLEN + 2)
			return drop(pi, CG_PKT_DROP_TRUNCATED);
		pi->vlan_tpid[pi->nb_vlans] = et;
		pi->vlan_tci[pi->nb_vlans] = pkt_rd16(frame + off + 2);
		pi->nb_vlans++;
		off += CG_PKT_VLAN_HLEN;
		et = pkt_rd16(frame + off);
	}
	l3 = off + 2;
	pi->ethertype = et;
	pi->l2_len = (uint16_t)l3;
	pi->l3_off = (uint16_t)l3;
	if (et == CG_PKT_ETHERTYPE_ARP)
		return pass(pi, CG_PKT_ARP);
	if (et != CG_PKT_ETHERTYPE_IPV4)
		return drop(pi, CG_PKT_DROP_NON_IPV4);

	if (len - l3 < CG_PKT_IPV4_HLEN)
		return drop(pi, CG_PKT_DROP_TRUNCATED);
	ip = frame + l3;
	if ((ip[0] >> 4) != 4)
		return drop(pi, CG_PKT_DROP_BAD_VERSION);
	pi->ihl = ip[0] & 0x0f;
	if (pi->ihl < 5)
		return drop(pi, CG_PKT_DROP_BAD_IHL);
	hlen = (uint32_t)pi->ihl * 4;
	if (len - l3 < hlen)
		return drop(pi, CG_PKT_DROP_TRUNCATED);
	total = pkt_rd16(ip + 2);
	/* total < len - l3 is Ethernet padding: fine, ignored */
	if (total < hlen || total > len - l3)
		return drop(pi, CG_PKT_DROP_BAD_TOTAL_LEN);
	pi->total_len = (uint16_t)total;
	pi->frag_off = pkt_rd16(ip + 6);
	if (pi->frag_off & (CG_PKT_IP_MF | CG_PKT_IP_OFFMASK))
		return drop(pi, CG_PKT_DROP_FRAGMENT);
	pi->df = (pi->frag_off & CG_PKT_IP_DF) != 0;
	pi->tos = ip[1];
	pi->ip_id_be = pkt_ld16(ip + 4);
	pi->ttl = ip[8];
	pi->proto = ip[9];
	pi->ip_csum_be = pkt_ld16(ip + 10);
	pi->src_ip_be = pkt_ld32(ip + 12);
	pi->dst_ip_be = pkt_ld32(ip + 16);
	if ((flags & CG_PKT_F_CHECK_IP_CSUM) && !cg_pkt_ipv4_csum_ok(ip, hlen))
		return drop(pi, CG_PKT_DROP_BAD_IP_CHECKSUM);

	l4_len = total - hlen;
	pi->l4_off = (uint16_t)(l3 + hlen);
	pi->l4_len = (uint16_t)l4_len;
	if (pi->proto == CG_PKT_IPPROTO_IGMP)
		return pass(pi, CG_PKT_IGMP);
	if (pi->proto != CG_PKT_IPPROTO_UDP)
		return drop(pi, CG_PKT_DROP_NON_UDP);

	/* The UDP header itself must fit in the IP payload. */
	if (l4_len < CG_PKT_UDP_HLEN)
		return drop(pi, CG_PKT_DROP_BAD_UDP_LEN);
	udp = ip + hlen;
	udp_len = pkt_rd16(udp + 4);
	/* Shorter than the IP payload is legal (Linux trims); longer is not. */
	if (udp_len < CG_PKT_UDP_HLEN || udp_len > l4_len)
		return drop(pi, CG_PKT_DROP_BAD_UDP_LEN);
	pi->sport_be = pkt_ld16(udp);
	pi->dport_be = pkt_ld16(udp + 2);
	pi->udp_len_be = pkt_ld16(udp + 4);
	pi->udp_csum_be = pkt_ld16(udp + 6);
	if (cg_pkt_ipv4_src_bad(ip[12]))
		return drop(pi, CG_PKT_DROP_BAD_SOURCE);
	if ((flags & CG_PKT_F_CHECK_UDP_CSUM) &&
	    !cg_pkt_udp_csum_ok(pi->src_ip_be, pi->dst_ip_be, udp, (uint16_t)udp_len))
		return drop(pi, CG_PKT_DROP_BAD_UDP_CHECKSUM);
	pi->payload_off = (uint16_t)(pi->l4_off + CG_PKT_UDP_HLEN);
	pi->payload_len = (uint16_t)(udp_len - CG_PKT_UDP_HLEN);
	return pass(pi, CG_PKT_UDP);
}

/* Pseudo-header sum (RFC 768): addresses, zero + protocol, UDP length. */
static inline uint32_t
udp_pseudo_sum(uint32_t src_be, uint32_t dst_be, uint16_t udp_len)
{
	uint32_t s = 0;

	s += src_be & 0xffff;
	s += src_be >> 16;
	s += dst_be & 0xffff;
	s += dst_be >> 16;
	s += htons(CG_PKT_IPPROTO_UDP);
	s += htons(udp_len);
	return s;
}

uint16_t
cg_pkt_udp_csum(uint32_t src_be, uint32_t dst_be, const void *udp, uint16_t udp_len)
{
	const uint8_t *u = udp;
	uint32_t s = udp_pseudo_sum(src_be, dst_be, udp_len);
	uint16_t c;

	if (udp_len < CG_PKT_UDP_HLEN)
		return 0;	/* no such datagram; never read before/past the header */
	s = cg_pkt_csum_add(u, 6, s);	/* ports and length; skip the checksum */
	s = cg_pkt_csum_add(u + CG_PKT_UDP_HLEN, (size_t)udp_len - CG_PKT_UDP_HLEN, s);
	c = cg_pkt_csum_fold(s);
	return c ? c : 0xffff;	/* RFC 768: 0 means "none", so send all ones */
}

bool
cg_pkt_udp_csum_ok(uint32_t src_be, uint32_t dst_be, const void *udp, uint16_t udp_len)
{
	const uint8_t *u = udp;
	uint32_t s;

	if (u[6] == 0 && u[7] == 0)
		return true;
	s = udp_pseudo_sum(src_be, dst_be, udp_len);
	return cg_pkt_csum_fold(cg_pkt_csum_add(u, udp_len, s)) == 0;
}

uint16_t
cg_pkt_rewrite_hdr(uint8_t *out, const struct cg_pkt_info *pi, const struct cg_pkt_rewrite *rw)
{
	uint16_t sport = rw->sport_be ? rw->sport_be : pi->sport_be;
	uint16_t dport = rw->dport_be ? rw->dport_be : pi->dport_be;
	uint16_t ucsum = pi->udp_csum_be;
	uint16_t vhl_tos, total, frag, ttl_proto;
	uint32_t src, dst, isum;
	uint8_t *p = out, *ip;

	memcpy(p, rw->dst_mac, CG_PKT_ETH_ALEN);
	memcpy(p + CG_PKT_ETH_ALEN, rw->src_mac, CG_PKT_ETH_ALEN);
	p += 2 * CG_PKT_ETH_ALEN;
	if (rw->vlan) {
		pkt_wr16(p, CG_PKT_ETHERTYPE_VLAN);
		pkt_wr16(p + 2, rw->vlan_tci);
		p += CG_PKT_VLAN_HLEN;
	}
	pkt_wr16(p, CG_PKT_ETHERTYPE_IPV4);
	p += 2;

	/*
	 * The IPv4 checksum is summed from the values, in host order, rather
	 * than read back from the bytes just stored: reading them back would
	 * stall on store-to-load forwarding on every packet.
	 */
	ip = p;
	vhl_tos = (uint16_t)(0x4500 | pi->tos);	/* version 4, IHL 5: options dropped */
	total = (uint16_t)(CG_PKT_IPV4_HLEN + ntohs(pi->udp_len_be));
	frag = pi->df ? CG_PKT_IP_DF : 0;
	ttl_proto = (uint16_t)((rw->ttl ? rw->ttl : pi->ttl) << 8 | CG_PKT_IPPROTO_UDP);
	src = ntohl(rw->src_ip_be);
	dst = ntohl(rw->dst_ip_be);
	isum = (uint32_t)vhl_tos + total + ntohs(pi->ip_id_be) + frag + ttl_proto +
	       (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
	pkt_wr16(ip, vhl_tos);
	pkt_wr16(ip + 2, total);
	pkt_st16(ip + 4, pi->ip_id_be);
	pkt_wr16(ip + 6, frag);
	pkt_wr16(ip + 8, ttl_proto);
	pkt_wr16(ip + 10, cg_pkt_csum_fold(isum));	/* host-order sum, so host-order result */
	pkt_st32(ip + 12, rw->src_ip_be);
	pkt_st32(ip + 16, rw->dst_ip_be);
	p += CG_PKT_IPV4_HLEN;

	/*
	 * RFC 1624 over the pseudo-header addresses and the ports in one sum;
	 * the UDP length and the payload are unchanged.
	 */
	if (ucsum != 0) {
		uint32_t s = (uint16_t)~ucsum;

		s += (uint16_t)~(pi->src_ip_be & 0xffff);
		s += (uint16_t)~(pi->src_ip_be >> 16);
		s += (uint16_t)~(pi->dst_ip_be & 0xffff);
		s += (uint16_t)~(pi->dst_ip_be >> 16);
		s += (uint16_t)~pi->sport_be;
		s += (uint16_t)~pi->dport_be;
		s += rw->src_ip_be & 0xffff;
		s += rw->src_ip_be >> 16;
		s += rw->dst_ip_be & 0xffff;
		s += rw->dst_ip_be >> 16;
		s += sport;
		s += dport;
		ucsum = cg_pkt_csum_fold(s);
		if (ucsum == 0)
			ucsum = 0xffff;
	}
	pkt_st16(p, sport);
	pkt_st16(p + 2, dport);
	pkt_st16(p + 4, pi->udp_len_be);
	pkt_st16(p + 6, ucsum);
	p += CG_PKT_UDP_HLEN;
	return (uint16_t)(p - out);
}

int
cg_pkt_tmpl_init(struct cg_pkt_tmpl *t, const struct cg_pkt_rewrite *rw)
{
	uint8_t *p = t->hdr, *ip = t->hdr + CG_PKT_ETH_HLEN;
	uint32_t src = ntohl(rw->src_ip_be), dst = ntohl(rw->dst_ip_be);

	memset(t, 0, sizeof(*t));
	if (rw->vlan)
		return -1;
	memcpy(p, rw->dst_mac, CG_PKT_ETH_ALEN);
	memcpy(p + CG_PKT_ETH_ALEN, rw->src_mac, CG_PKT_ETH_ALEN);
	pkt_wr16(p + 2 * CG_PKT_ETH_ALEN, CG_PKT_ETHERTYPE_IPV4);
	ip[0] = 0x45;
	ip[8] = rw->ttl;
	ip[9] = CG_PKT_IPPROTO_UDP;
	pkt_st32(ip + 12, rw->src_ip_be);
	pkt_st32(ip + 16, rw->dst_ip_be);
	pkt_st16(ip + 20, rw->sport_be);
	pkt_st16(ip + 22, rw->dport_be);
	t->keep_ttl = rw->ttl == 0;
	t->keep_sport = rw->sport_be == 0;
	t->keep_dport = rw->dport_be == 0;
	/* The packet adds tos, total length, id, DF and (kept) TTL. */
	t->ip_sum = 0x4500u + ((uint32_t)rw->ttl << 8 | CG_PKT_IPPROTO_UDP) +
		    (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
	t->udp_sum = (rw->src_ip_be & 0xffff) + (rw->src_ip_be >> 16) +
		     (rw->dst_ip_be & 0xffff) + (rw->dst_ip_be >> 16) +
		     (t->keep_sport ? 0u : rw->sport_be) + (t->keep_dport ? 0u : rw->dport_be);
	return 0;
}
