/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/pkt. Every input is one frame:
 *  - cg_pkt_parse() and cg_pkt_parse_fast() must agree (verdict, drop reason
 *    and every field the header says is set);
 *  - a UDP datagram is rewritten (cg_pkt_rewrite_hdr(), with and without a
 *    VLAN tag, and the per-output template cg_pkt_tmpl_apply(), which must
 *    write the same bytes), the result reparsed: UDP with the rewritten
 *    fields, the payload unchanged, and the IPv4 and UDP checksums checked
 *    with a plain ones' complement sum written here (not lib/pkt's);
 *  - ARP bodies and IGMP messages go through their parsers.
 * The list of drop reasons is not written here: only CG_PKT_DROP_MAX and
 * cg_pkt_drop_name(). Run with scripts/fuzz.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cg_pkt.h"
#include "fuzz_util.h"

/* ---- reference checksums: byte by byte, big-endian words, end-around carry ---- */

static uint32_t
ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* Data that includes its checksum verifies when its sum is 0xffff (-0). */
static bool
ref_ipv4_ok(const uint8_t *ip, size_t hlen)
{
	return ref_sum(ip, hlen, 0) == 0xffff;
}

static bool
ref_udp_ok(const uint8_t *ip, const uint8_t *udp, uint16_t udp_len)
{
	uint32_t s = 0;

	s = ref_sum(ip + 12, 8, s);		/* source and destination */
	s += CG_PKT_IPPROTO_UDP + udp_len;	/* zero, protocol, UDP length */
	s = ref_sum(udp, udp_len, s);
	return s == 0xffff;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- parse oracle ---- */

static void
same_l2(const struct cg_pkt_info *a, const struct cg_pkt_info *b, bool macs)
{
	unsigned int i;

	FUZZ_CHECK(a->nb_vlans == b->nb_vlans);
	FUZZ_CHECK(a->ethertype == b->ethertype);
	FUZZ_CHECK(a->l2_len == b->l2_len);
	FUZZ_CHECK(a->l3_off == b->l3_off);
	if (!macs)
		return;
	FUZZ_CHECK(memcmp(a->dst_mac, b->dst_mac, CG_PKT_ETH_ALEN) == 0);
	FUZZ_CHECK(memcmp(a->src_mac, b->src_mac, CG_PKT_ETH_ALEN) == 0);
	for (i = 0; i < a->nb_vlans && i < CG_PKT_MAX_VLANS; i++) {
		FUZZ_CHECK(a->vlan_tpid[i] == b->vlan_tpid[i]);
		FUZZ_CHECK(a->vlan_tci[i] == b->vlan_tci[i]);
	}
}

static void
same_l3(const struct cg_pkt_info *a, const struct cg_pkt_info *b)
{
	FUZZ_CHECK(a->ihl == b->ihl);
	FUZZ_CHECK(a->tos == b->tos);
	FUZZ_CHECK(a->ttl == b->ttl);
	FUZZ_CHECK(a->proto == b->proto);
	FUZZ_CHECK(a->df == b->df);
	FUZZ_CHECK(a->ip_id_be == b->ip_id_be);
	FUZZ_CHECK(a->frag_off == b->frag_off);
	FUZZ_CHECK(a->total_len == b->total_len);
	FUZZ_CHECK(a->ip_csum_be == b->ip_csum_be);
	FUZZ_CHECK(a->src_ip_be == b->src_ip_be);
	FUZZ_CHECK(a->dst_ip_be == b->dst_ip_be);
	FUZZ_CHECK(a->l4_off == b->l4_off);
	FUZZ_CHECK(a->l4_len == b->l4_len);
}

static void
same_udp(const struct cg_pkt_info *a, const struct cg_pkt_info *b)
{
	FUZZ_CHECK(a->sport_be == b->sport_be);
	FUZZ_CHECK(a->dport_be == b->dport_be);
	FUZZ_CHECK(a->udp_len_be == b->udp_len_be);
	FUZZ_CHECK(a->udp_csum_be == b->udp_csum_be);
	FUZZ_CHECK(a->payload_off == b->payload_off);
	FUZZ_CHECK(a->payload_len == b->payload_len);
}

/* What a UDP verdict promises about the frame, checked against its bytes. */
static void
udp_matches_frame(const uint8_t *f, uint32_t len, const struct cg_pkt_info *pi)
{
	const uint8_t *ip = f + pi->l3_off, *udp = f + pi->l4_off;

	FUZZ_CHECK(pi->drop == CG_PKT_DROP_NONE);
	FUZZ_CHECK(pi->ihl >= 5 && pi->ihl <= 15);
	FUZZ_CHECK(pi->l4_off == pi->l3_off + pi->ihl * 4);
	FUZZ_CHECK((uint32_t)pi->l3_off + pi->total_len <= len);
	FUZZ_CHECK(pi->payload_off == pi->l4_off + CG_PKT_UDP_HLEN);
	FUZZ_CHECK((uint32_t)pi->payload_off + pi->payload_len <= len);
	FUZZ_CHECK(pi->payload_len + CG_PKT_UDP_HLEN <= pi->l4_len);
	FUZZ_CHECK(pi->l4_len == pi->total_len - pi->ihl * 4);
	FUZZ_CHECK((ip[0] >> 4) == 4 && (ip[0] & 0xf) == pi->ihl);
	FUZZ_CHECK(ip[9] == CG_PKT_IPPROTO_UDP);
	FUZZ_CHECK(rd16(ip + 2) == pi->total_len);
	FUZZ_CHECK((rd16(ip + 6) & (CG_PKT_IP_MF | CG_PKT_IP_OFFMASK)) == 0);
	FUZZ_CHECK(memcmp(ip + 12, &pi->src_ip_be, 4) == 0);
	FUZZ_CHECK(memcmp(ip + 16, &pi->dst_ip_be, 4) == 0);
	FUZZ_CHECK(memcmp(udp, &pi->sport_be, 2) == 0);
	FUZZ_CHECK(memcmp(udp + 2, &pi->dport_be, 2) == 0);
	FUZZ_CHECK(rd16(udp + 4) == pi->payload_len + CG_PKT_UDP_HLEN);
}

/* ---- rewrite, reparse, checksums ---- */

static uint32_t
fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* A rewrite drawn from @p h: a unicast source in 198.18.0.0/15, a group in
 * 239.0.0.0/8, TTL and ports either kept (0) or set. */
static void
make_rewrite(uint32_t h, bool vlan, struct cg_pkt_rewrite *rw)
{
	unsigned int i;

	memset(rw, 0, sizeof(*rw));
	for (i = 0; i < CG_PKT_ETH_ALEN; i++) {
		rw->dst_mac[i] = (uint8_t)(h >> i);
		rw->src_mac[i] = (uint8_t)(h >> (i + 8));
	}
	rw->src_mac[0] &= 0xfe;
	rw->src_ip_be = htonl(0xc6120000u | (h & 0x1ffff));	/* 198.18.0.0/15 */
	rw->dst_ip_be = htonl(0xef000000u | (h >> 8 & 0xffffff));	/* 239/8 */
	rw->ttl = (h & 0x100) ? 0 : (uint8_t)(2 + (h >> 24) % 250);
	rw->sport_be = (h & 0x200) ? 0 : htons((uint16_t)(1 + (h >> 10 & 0x7fff)));
	rw->dport_be = (h & 0x400) ? 0 : htons((uint16_t)(1 + (h >> 12 & 0x7fff)));
	rw->vlan = vlan;
	rw->vlan_tci = (uint16_t)(h >> 4);
}

static void
check_rewrite(const uint8_t *f, const struct cg_pkt_info *in, bool in_udp_ok,
	      const struct cg_pkt_rewrite *rw)
{
	uint16_t hlen = cg_pkt_rewrite_hdr_len(rw->vlan), n;
	uint32_t len = (uint32_t)hlen + in->payload_len;
	uint8_t *out = malloc(len), *ip, *udp;
	struct cg_pkt_info pi;

	FUZZ_CHECK(out != NULL);
	n = cg_pkt_rewrite_hdr(out, in, rw);
	FUZZ_CHECK(n == hlen);
	memcpy(out + hlen, f + in->payload_off, in->payload_len);

	/* The template writes the same bytes (no tag in templates). */
	if (!rw->vlan) {
		struct cg_pkt_tmpl t;
		uint8_t tout[CG_PKT_TMPL_HLEN];

		FUZZ_CHECK(cg_pkt_tmpl_init(&t, rw) == 0);
		cg_pkt_tmpl_apply(tout, &t, in);
		FUZZ_CHECK(memcmp(tout, out, CG_PKT_TMPL_HLEN) == 0);
	}

	FUZZ_CHECK(cg_pkt_parse(out, len, 0, &pi) == CG_PKT_UDP);
	udp_matches_frame(out, len, &pi);
	FUZZ_CHECK(memcmp(pi.dst_mac, rw->dst_mac, CG_PKT_ETH_ALEN) == 0);
	FUZZ_CHECK(memcmp(pi.src_mac, rw->src_mac, CG_PKT_ETH_ALEN) == 0);
	FUZZ_CHECK(pi.nb_vlans == (rw->vlan ? 1 : 0));
	if (rw->vlan)
		FUZZ_CHECK(pi.vlan_tpid[0] == CG_PKT_ETHERTYPE_VLAN &&
			   pi.vlan_tci[0] == rw->vlan_tci);
	FUZZ_CHECK(pi.ihl == 5);
	FUZZ_CHECK(pi.src_ip_be == rw->src_ip_be && pi.dst_ip_be == rw->dst_ip_be);
	FUZZ_CHECK(pi.ttl == (rw->ttl ? rw->ttl : in->ttl));
	FUZZ_CHECK(pi.sport_be == (rw->sport_be ? rw->sport_be : in->sport_be));
	FUZZ_CHECK(pi.dport_be == (rw->dport_be ? rw->dport_be : in->dport_be));
	FUZZ_CHECK(pi.tos == in->tos && pi.ip_id_be == in->ip_id_be && pi.df == in->df);
	FUZZ_CHECK(pi.frag_off == (in->df ? CG_PKT_IP_DF : 0));
	FUZZ_CHECK(pi.udp_len_be == in->udp_len_be);
	FUZZ_CHECK(pi.payload_len == in->payload_len);
	FUZZ_CHECK(pi.total_len == CG_PKT_IPV4_HLEN + CG_PKT_UDP_HLEN + in->payload_len);
	FUZZ_CHECK(memcmp(out + pi.payload_off, f + in->payload_off, in->payload_len) == 0);

	ip = out + pi.l3_off;
	udp = out + pi.l4_off;
	FUZZ_CHECK(ref_ipv4_ok(ip, CG_PKT_IPV4_HLEN));
	/* 0 (none) stays 0; a right checksum stays right and a wrong one wrong. */
	if (in->udp_csum_be == 0)
		FUZZ_CHECK(pi.udp_csum_be == 0);
	else
		FUZZ_CHECK(pi.udp_csum_be != 0 &&
			   ref_udp_ok(ip, udp, pi.payload_len + CG_PKT_UDP_HLEN) == in_udp_ok);
	/* lib/pkt's own checks agree with the reference on the output. */
	FUZZ_CHECK(cg_pkt_parse(out, len, CG_PKT_F_CHECK_IP_CSUM, &pi) == CG_PKT_UDP);
	FUZZ_CHECK((cg_pkt_parse(out, len, CG_PKT_F_CHECK_UDP_CSUM, &pi) == CG_PKT_UDP) ==
		   (in->udp_csum_be == 0 || in_udp_ok));
	free(out);
}

/* ---- ARP and IGMP ---- */

static void
check_arp(const uint8_t *body, uint32_t len)
{
	struct cg_pkt_arp arp;
	enum cg_pkt_arp_err e = cg_pkt_arp_parse(body, len, &arp);

	FUZZ_CHECK(e < CG_PKT_ARP_ERR_MAX);
	FUZZ_CHECK(cg_pkt_arp_err_name(e) != NULL);
	if (e != CG_PKT_ARP_OK)
		return;
	FUZZ_CHECK(len >= CG_PKT_ARP_LEN);
	FUZZ_CHECK(arp.op == CG_PKT_ARP_OP_REQUEST || arp.op == CG_PKT_ARP_OP_REPLY);
	FUZZ_CHECK(rd16(body + 6) == arp.op);
	FUZZ_CHECK(memcmp(body + 8, arp.sha, 6) == 0 && memcmp(body + 14, &arp.spa_be, 4) == 0);
	FUZZ_CHECK(memcmp(body + 18, arp.tha, 6) == 0 && memcmp(body + 24, &arp.tpa_be, 4) == 0);
	FUZZ_CHECK(arp.gratuitous == (arp.spa_be == arp.tpa_be));
}

static void
check_igmp(const uint8_t *igmp, uint32_t len)
{
	struct cg_pkt_igmp msg;
	enum cg_pkt_igmp_err e = cg_pkt_igmp_parse(igmp, len, &msg);

	FUZZ_CHECK(e < CG_PKT_IGMP_ERR_MAX);
	FUZZ_CHECK(cg_pkt_igmp_err_name(e) != NULL);
	if (e != CG_PKT_IGMP_OK)
		return;
	FUZZ_CHECK(len >= 8 && ref_sum(igmp, len, 0) == 0xffff);
	FUZZ_CHECK(msg.type == igmp[0]);
	if (msg.nb_sources > 0)
		FUZZ_CHECK(msg.sources >= igmp &&
			   msg.sources + 4 * (size_t)msg.nb_sources <= igmp + len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool names_checked;
	struct cg_pkt_info slow, fast, chk;
	enum cg_pkt_verdict v;
	uint32_t len, h;
	uint8_t *f;

	if (!names_checked) {
		/* Dense names: each reason below the max has its own, never NULL. */
		for (int d = 0; d <= CG_PKT_DROP_MAX; d++) {
			const char *nm = cg_pkt_drop_name((enum cg_pkt_drop)d);

			FUZZ_CHECK(nm != NULL && nm[0] != '\0');
			FUZZ_CHECK((strcmp(nm, "unknown") == 0) == (d == CG_PKT_DROP_MAX));
		}
		names_checked = true;
	}
	if (size > 65535 + 64)
		return 0;
	len = (uint32_t)size;
	/* An exact-size copy: ASan sees any read past the frame. */
	f = malloc(size ? size : 1);
	if (f == NULL)
		return 0;
	memcpy(f, data, size);

	memset(&slow, 0xa5, sizeof(slow));
	memset(&fast, 0x5a, sizeof(fast));
	v = cg_pkt_parse(f, len, 0, &slow);
	FUZZ_CHECK(cg_pkt_parse_fast(f, len, 0, &fast) == v);
	FUZZ_CHECK(slow.verdict == v && fast.verdict == v);
	FUZZ_CHECK(slow.drop == fast.drop);
	FUZZ_CHECK((unsigned int)slow.drop < CG_PKT_DROP_MAX);
	FUZZ_CHECK((v == CG_PKT_DROP) == (slow.drop != CG_PKT_DROP_NONE));
	FUZZ_CHECK(strcmp(cg_pkt_drop_name(slow.drop), "unknown") != 0);

	switch (v) {
	case CG_PKT_UDP:
		/* The fast path copies no MACs and no tags on its inline path. */
		same_l2(&slow, &fast, slow.nb_vlans != 0 || slow.ihl != 5);
		same_l3(&slow, &fast);
		same_udp(&slow, &fast);
		udp_matches_frame(f, len, &slow);
		break;
	case CG_PKT_ARP:
		same_l2(&slow, &fast, true);
		FUZZ_CHECK(slow.ethertype == CG_PKT_ETHERTYPE_ARP && slow.l3_off <= len);
		check_arp(f + slow.l3_off, len - slow.l3_off);
		break;
	case CG_PKT_IGMP:
		same_l2(&slow, &fast, true);
		same_l3(&slow, &fast);
		FUZZ_CHECK((uint32_t)slow.l4_off + slow.l4_len <= len);
		check_igmp(f + slow.l4_off, slow.l4_len);
		break;
	default:
		break;
	}

	/* The checksum flags: the reference agrees with lib/pkt's verdict. */
	if (v == CG_PKT_UDP || v == CG_PKT_IGMP) {
		enum cg_pkt_verdict cv = cg_pkt_parse(f, len, CG_PKT_F_CHECK_IP_CSUM, &chk);

		FUZZ_CHECK((cv == v) == ref_ipv4_ok(f + slow.l3_off, slow.ihl * 4u));
		if (cv != v)
			FUZZ_CHECK(chk.drop == CG_PKT_DROP_BAD_IP_CHECKSUM);
	}
	if (v == CG_PKT_UDP) {
		bool ok = ref_udp_ok(f + slow.l3_off, f + slow.l4_off,
				     slow.payload_len + CG_PKT_UDP_HLEN);
		enum cg_pkt_verdict cv = cg_pkt_parse(f, len, CG_PKT_F_CHECK_UDP_CSUM, &chk);

		FUZZ_CHECK((cv == CG_PKT_UDP) == (slow.udp_csum_be == 0 || ok));
		if (cv != CG_PKT_UDP)
			FUZZ_CHECK(chk.drop == CG_PKT_DROP_BAD_UDP_CHECKSUM);

		h = fnv1a(f, len);
		for (int vlan = 0; vlan < 2; vlan++) {
			struct cg_pkt_rewrite rw;

			make_rewrite(h ^ (vlan ? 0x9e3779b9u : 0), vlan, &rw);
			check_rewrite(f, &slow, ok, &rw);
		}
	}
	free(f);
	return 0;
}
