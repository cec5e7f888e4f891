/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/pkt: cg_pkt_parse() verdicts, every drop reason, and the parse result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cg_pkt.h"
#include "cg_unit.h"
#include "linux_frames.h"
#include "pkt_test.h"

#define ALL_CHECKS (CG_PKT_F_CHECK_IP_CSUM | CG_PKT_F_CHECK_UDP_CSUM)

static uint8_t fbuf[2048];

/*
 * Parse a copy of @p len bytes in a buffer of exactly that size, so that
 * ASan reports any read past the given length.
 */
static enum cg_pkt_verdict
parse_exact(const uint8_t *frame, size_t len, unsigned int flags, struct cg_pkt_info *pi)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum cg_pkt_verdict v;

	memcpy(copy, frame, len);
	v = cg_pkt_parse(copy, (uint32_t)len, flags, pi);
	free(copy);
	return v;
}

static enum cg_pkt_drop
drop_of(const uint8_t *frame, size_t len, unsigned int flags)
{
	struct cg_pkt_info pi;

	if (parse_exact(frame, len, flags, &pi) != CG_PKT_DROP)
		return CG_PKT_DROP_NONE;
	return pi.drop;
}

static struct tspec
base_spec(void)
{
	struct tspec s = {
		.src = IP4(198, 18, 200, 1), .dst = IP4(239, 1, 1, 1),
		.sport = 40000, .dport = 5001, .ttl = 32, .id = 0x1234,
		.frag = CG_PKT_IP_DF, .tos = 0xb8, .payload_len = 100,
	};
	return s;
}

/* A real kernel-built datagram: every field of the result. */
static void
test_parse_linux_udp(void)
{
	struct cg_pkt_info pi;
	static const uint8_t dmac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
	static const uint8_t smac[6] = { 0x02, 0x00, 0xc6, 0x12, 0xc8, 0x01 };

	CU_ASSERT_EQUAL(parse_exact(linux_udp, sizeof(linux_udp), ALL_CHECKS, &pi), CG_PKT_UDP);
	CU_ASSERT_EQUAL(pi.verdict, CG_PKT_UDP);
	CU_ASSERT_EQUAL(pi.drop, CG_PKT_DROP_NONE);
	CU_ASSERT_EQUAL(memcmp(pi.dst_mac, dmac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(pi.src_mac, smac, 6), 0);
	CU_ASSERT_EQUAL(pi.nb_vlans, 0);
	CU_ASSERT_EQUAL(pi.ethertype, 0x0800);
	CU_ASSERT_EQUAL(pi.l2_len, 14);
	CU_ASSERT_EQUAL(pi.l3_off, 14);
	CU_ASSERT_EQUAL(pi.ihl, 5);
	CU_ASSERT_EQUAL(pi.tos, 0);
	CU_ASSERT_EQUAL(pi.ttl, 16);
	CU_ASSERT_EQUAL(pi.proto, 17);
	CU_ASSERT_TRUE(pi.df);
	CU_ASSERT_EQUAL(pi.frag_off, 0x4000);
	CU_ASSERT_EQUAL(ntohs(pi.ip_id_be), 0x9acd);
	CU_ASSERT_EQUAL(pi.total_len, 56);
	CU_ASSERT_EQUAL(ntohs(pi.ip_csum_be), 0x50cf);
	CU_ASSERT_EQUAL(ntohl(pi.src_ip_be), IP4(198, 18, 200, 1));
	CU_ASSERT_EQUAL(ntohl(pi.dst_ip_be), IP4(239, 1, 2, 3));
	CU_ASSERT_EQUAL(pi.l4_off, 34);
	CU_ASSERT_EQUAL(pi.l4_len, 36);
	CU_ASSERT_EQUAL(ntohs(pi.sport_be), 40000);
	CU_ASSERT_EQUAL(ntohs(pi.dport_be), 5001);
	CU_ASSERT_EQUAL(ntohs(pi.udp_len_be), 36);
	CU_ASSERT_EQUAL(ntohs(pi.udp_csum_be), 0xb61f);
	CU_ASSERT_EQUAL(pi.payload_off, 42);
	CU_ASSERT_EQUAL(pi.payload_len, 28);
	CU_ASSERT_EQUAL(memcmp(linux_udp + pi.payload_off, "castgate lib/pkt test vector", 28), 0);
}

/* No tag, one 802.1Q tag, QinQ (88a8 + 8100) and double 8100: offsets and TCIs. */
static void
test_parse_vlan_qinq(void)
{
	static const struct {
		int ntags;
		uint16_t tpid[2], tci[2];
	} cases[] = {
		{ 0, { 0 }, { 0 } },
		{ 1, { 0x8100 }, { 0x2064 } },		/* PCP 1, VID 100 */
		{ 1, { 0x88a8 }, { 0x0fff } },
		{ 2, { 0x88a8, 0x8100 }, { 0xe00a, 0x0014 } },
		{ 2, { 0x8100, 0x8100 }, { 0x0001, 0xffff } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tspec s = base_spec();
		struct cg_pkt_info pi;
		struct tlayout l;
		int t;

		s.ntags = cases[i].ntags;
		for (t = 0; t < s.ntags; t++) {
			s.tpid[t] = cases[i].tpid[t];
			s.tci[t] = cases[i].tci[t];
		}
		l = tframe(fbuf, &s);
		CU_ASSERT_EQUAL_FATAL(parse_exact(fbuf, l.len, ALL_CHECKS, &pi), CG_PKT_UDP);
		CU_ASSERT_EQUAL(pi.nb_vlans, s.ntags);
		for (t = 0; t < s.ntags; t++) {
			CU_ASSERT_EQUAL(pi.vlan_tpid[t], cases[i].tpid[t]);
			CU_ASSERT_EQUAL(pi.vlan_tci[t], cases[i].tci[t]);
		}
		CU_ASSERT_EQUAL(pi.l2_len, 14 + 4 * s.ntags);
		CU_ASSERT_EQUAL(pi.l3_off, l.l3);
		CU_ASSERT_EQUAL(pi.l4_off, l.l4);
		CU_ASSERT_EQUAL(pi.payload_off, l.payload);
		CU_ASSERT_EQUAL(pi.payload_len, 100);
		CU_ASSERT_EQUAL(pi.tos, 0xb8);
		CU_ASSERT_EQUAL(pi.ttl, 32);
		CU_ASSERT_EQUAL(ntohs(pi.ip_id_be), 0x1234);
		CU_ASSERT_EQUAL(ntohl(pi.dst_ip_be), IP4(239, 1, 1, 1));
	}
}

/* IHL 6..15 with QinQ: the UDP header follows the options. */
static void
test_parse_ip_options(void)
{
	int ihl;

	for (ihl = 5; ihl <= 15; ihl++) {
		struct tspec s = base_spec();
		struct cg_pkt_info pi;
		struct tlayout l;

		s.ihl = ihl;
		s.ntags = 2;
		s.tpid[0] = 0x88a8;
		s.tpid[1] = 0x8100;
		l = tframe(fbuf, &s);
		CU_ASSERT_EQUAL_FATAL(parse_exact(fbuf, l.len, ALL_CHECKS, &pi), CG_PKT_UDP);
		CU_ASSERT_EQUAL(pi.ihl, ihl);
		CU_ASSERT_EQUAL(pi.l4_off, 22 + 4 * ihl);
		CU_ASSERT_EQUAL(pi.l4_len, 108);
		CU_ASSERT_EQUAL(pi.total_len, 4 * ihl + 108);
		CU_ASSERT_EQUAL(ntohs(pi.sport_be), 40000);
		CU_ASSERT_EQUAL(pi.payload_len, 100);
	}
}

/* Ethernet padding after the datagram is ignored, even with checks on. */
static void
test_parse_padding(void)
{
	struct tspec s = base_spec();
	struct cg_pkt_info pi;
	struct tlayout l;

	s.payload_len = 2;	/* 14 + 20 + 8 + 2 = 44: a NIC pads this to 60 */
	s.pad = 16;
	l = tframe(fbuf, &s);
	CU_ASSERT_EQUAL(l.len, 60);
	CU_ASSERT_EQUAL_FATAL(parse_exact(fbuf, l.len, ALL_CHECKS, &pi), CG_PKT_UDP);
	CU_ASSERT_EQUAL(pi.total_len, 30);
	CU_ASSERT_EQUAL(pi.payload_off, 42);
	CU_ASSERT_EQUAL(pi.payload_len, 2);

	/* Zero payload, padded, behind a tag. */
	s.payload_len = 0;
	s.ntags = 1;
	s.tpid[0] = 0x8100;
	s.pad = 14;
	l = tframe(fbuf, &s);
	CU_ASSERT_EQUAL_FATAL(parse_exact(fbuf, l.len, ALL_CHECKS, &pi), CG_PKT_UDP);
	CU_ASSERT_EQUAL(pi.payload_len, 0);
	CU_ASSERT_EQUAL(pi.payload_off, 18 + 28);
}

/* UDP length shorter than the IP payload: accepted, the datagram is the UDP length. */
static void
test_parse_udp_shorter_than_ip(void)
{
	struct tspec s = base_spec();
	struct cg_pkt_info pi;
	struct tlayout l;
	uint8_t *u;

	l = tframe(fbuf, &s);
	u = fbuf + l.l4;
	put16(u + 4, 8 + 60);
	put16(u + 6, ref_udp_csum(fbuf + l.l3 + 12, fbuf + l.l3 + 16, u, 68));
	CU_ASSERT_EQUAL_FATAL(parse_exact(fbuf, l.len, ALL_CHECKS, &pi), CG_PKT_UDP);
	CU_ASSERT_EQUAL(pi.payload_len, 60);
	CU_ASSERT_EQUAL(pi.l4_len, 108);
}

/*
 * Every prefix of a valid frame (tag + options) is dropped: inside the
 * headers as truncated, inside the datagram as bad_total_len.
 */
static void
test_drop_truncated(void)
{
	struct tspec s = base_spec();
	struct tlayout l;
	size_t n;

	s.ntags = 2;
	s.tpid[0] = 0x88a8;
	s.tpid[1] = 0x8100;
	s.ihl = 7;
	l = tframe(fbuf, &s);
	for (n = 0; n < l.len; n++) {
		enum cg_pkt_drop want = n < l.l4 ? CG_PKT_DROP_TRUNCATED :
						   CG_PKT_DROP_BAD_TOTAL_LEN;
		enum cg_pkt_drop got = drop_of(fbuf, n, ALL_CHECKS);

		if (got != want)
			fprintf(stderr, "len %zu: got %s want %s\n", n, cg_pkt_drop_name(got),
				cg_pkt_drop_name(want));
		CU_ASSERT_EQUAL(got, want);
	}
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_NONE);
	/* The well-known edges, spelled out. */
	CU_ASSERT_EQUAL(drop_of(fbuf, 0, 0), CG_PKT_DROP_TRUNCATED);
	CU_ASSERT_EQUAL(drop_of(fbuf, 13, 0), CG_PKT_DROP_TRUNCATED);
	CU_ASSERT_EQUAL(drop_of(fbuf, 14, 0), CG_PKT_DROP_TRUNCATED);	/* outer tag cut */
	CU_ASSERT_EQUAL(drop_of(fbuf, 19, 0), CG_PKT_DROP_TRUNCATED);	/* inner tag cut */
	CU_ASSERT_EQUAL(drop_of(fbuf, 22 + 19, 0), CG_PKT_DROP_TRUNCATED); /* IPv4 cut */
	CU_ASSERT_EQUAL(drop_of(fbuf, 22 + 27, 0), CG_PKT_DROP_TRUNCATED); /* options cut */
}

static void
test_drop_non_ipv4(void)
{
	static const uint16_t types[] = { 0x86dd /* IPv6 */, 0x88cc /* LLDP */, 0x8847 /* MPLS */,
					  0x0842 /* WoL */, 0x0000, 0x05dc /* 802.3 length */,
					  0xffff };
	struct tspec s = base_spec();
	struct tlayout l;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		l = tframe(fbuf, &s);
		put16(fbuf + 12, types[i]);	/* an otherwise valid IPv4/UDP body */
		CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_NON_IPV4);
	}
	/* IPv6 behind a tag */
	s.ntags = 1;
	s.tpid[0] = 0x8100;
	s.ethertype = 0x86dd;
	l = tframe(fbuf, &s);
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_NON_IPV4);
	/* A third tag is not supported. */
	s = base_spec();
	s.ntags = 3;
	s.tpid[0] = 0x88a8;
	s.tpid[1] = 0x8100;
	s.tpid[2] = 0x8100;
	l = tframe(fbuf, &s);
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_NON_IPV4);
}

static void
test_drop_bad_version(void)
{
	static const uint8_t vers[] = { 0, 5, 6, 15 };
	struct tspec s = base_spec();
	struct tlayout l = tframe(fbuf, &s);
	size_t i;

	for (i = 0; i < sizeof(vers); i++) {
		fbuf[l.l3] = (uint8_t)(vers[i] << 4 | 5);
		CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_VERSION);
	}
}

static void
test_drop_bad_ihl(void)
{
	struct tspec s = base_spec();
	struct tlayout l = tframe(fbuf, &s);
	int ihl;

	for (ihl = 0; ihl < 5; ihl++) {
		fbuf[l.l3] = (uint8_t)(0x40 | ihl);
		CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_IHL);
	}
}

static void
test_drop_bad_total_len(void)
{
	struct tspec s = base_spec();
	struct tlayout l;
	uint8_t *ip;

	s.ihl = 6;
	l = tframe(fbuf, &s);
	ip = fbuf + l.l3;
	put16(ip + 2, 0);
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_TOTAL_LEN);
	put16(ip + 2, 20);	/* shorter than the 24-byte header */
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_TOTAL_LEN);
	put16(ip + 2, 23);
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_TOTAL_LEN);
	put16(ip + 2, (uint16_t)(l.len - l.l3 + 1));	/* one past the frame */
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_TOTAL_LEN);
	put16(ip + 2, 0xffff);
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_TOTAL_LEN);
	put16(ip + 2, (uint16_t)(l.len - l.l3));	/* exact: valid again */
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_NONE);
}

static void
test_drop_fragment(void)
{
	static const uint16_t frags[] = { 0x2000 /* MF */, 0x6000 /* DF|MF */, 0x0001, 0x1fff,
					  0x2001, 0x00b9 /* offset 1480 */ };
	struct tspec s = base_spec();
	struct cg_pkt_info pi;
	struct tlayout l;
	size_t i;

	for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		s.frag = frags[i];
		l = tframe(fbuf, &s);
		CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_FRAGMENT);
	}
	/* DF alone or nothing is not a fragment; the reserved bit is ignored. */
	s.frag = 0;
	l = tframe(fbuf, &s);
	CU_ASSERT_EQUAL_FATAL(parse_exact(fbuf, l.len, ALL_CHECKS, &pi), CG_PKT_UDP);
	CU_ASSERT_FALSE(pi.df);
	s.frag = 0x4000;
	l = tframe(fbuf, &s);
	CU_ASSERT_EQUAL_FATAL(parse_exact(fbuf, l.len, ALL_CHECKS, &pi), CG_PKT_UDP);
	CU_ASSERT_TRUE(pi.df);
}

static void
test_drop_non_udp_and_igmp(void)
{
	static const uint8_t protos[] = { 1 /* ICMP */, 6 /* TCP */, 41, 47 /* GRE */, 103, 255 };
	struct tspec s = base_spec();
	struct cg_pkt_info pi;
	struct tlayout l;
	size_t i;

	for (i = 0; i < sizeof(protos); i++) {
		s.proto = protos[i];
		l = tframe(fbuf, &s);
		CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_NON_UDP);
	}
	/* IGMP is its own verdict, with the L4 offset and length set. */
	CU_ASSERT_EQUAL(parse_exact(linux_v3_join, sizeof(linux_v3_join), ALL_CHECKS, &pi),
			CG_PKT_IGMP);
	CU_ASSERT_EQUAL(pi.drop, CG_PKT_DROP_NONE);
	CU_ASSERT_EQUAL(pi.ihl, 6);
	CU_ASSERT_EQUAL(pi.ttl, 1);
	CU_ASSERT_EQUAL(pi.tos, 0xc0);
	CU_ASSERT_EQUAL(pi.l4_off, 38);
	CU_ASSERT_EQUAL(pi.l4_len, 16);
	CU_ASSERT_EQUAL(ntohl(pi.dst_ip_be), IP4(224, 0, 0, 22));
	/* An IGMP fragment is still a fragment. */
	memcpy(fbuf, linux_v2_report, sizeof(linux_v2_report));
	fbuf[14 + 6] = 0x20;
	CU_ASSERT_EQUAL(drop_of(fbuf, sizeof(linux_v2_report), 0), CG_PKT_DROP_FRAGMENT);
}

static void
test_drop_bad_ip_checksum(void)
{
	struct tspec s = base_spec();
	struct cg_pkt_info pi;
	struct tlayout l;

	s.ihl = 9;
	l = tframe(fbuf, &s);
	fbuf[l.l3 + 10] ^= 0x01;
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, CG_PKT_F_CHECK_IP_CSUM), CG_PKT_DROP_BAD_IP_CHECKSUM);
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_BAD_IP_CHECKSUM);
	/* not asked: accepted */
	CU_ASSERT_EQUAL(parse_exact(fbuf, l.len, CG_PKT_F_CHECK_UDP_CSUM, &pi), CG_PKT_UDP);
	fbuf[l.l3 + 10] ^= 0x01;
	/* a corrupted option byte is covered too */
	fbuf[l.l3 + 21] ^= 0x40;
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, CG_PKT_F_CHECK_IP_CSUM), CG_PKT_DROP_BAD_IP_CHECKSUM);
	/* and IGMP */
	memcpy(fbuf, linux_v2_leave, sizeof(linux_v2_leave));
	fbuf[14 + 8] = 2;	/* TTL changed, checksum not */
	CU_ASSERT_EQUAL(drop_of(fbuf, sizeof(linux_v2_leave), CG_PKT_F_CHECK_IP_CSUM),
			CG_PKT_DROP_BAD_IP_CHECKSUM);
	CU_ASSERT_EQUAL(parse_exact(fbuf, sizeof(linux_v2_leave), 0, &pi), CG_PKT_IGMP);
}

static void
test_drop_bad_udp_len(void)
{
	struct tspec s = base_spec();
	struct tlayout l;
	uint8_t *ip, *u;

	s.pad = 8;
	l = tframe(fbuf, &s);
	ip = fbuf + l.l3;
	u = fbuf + l.l4;
	put16(u + 4, 0);
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_UDP_LEN);
	put16(u + 4, 7);
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_UDP_LEN);
	put16(u + 4, 109);	/* one past the IP payload (but inside the padding) */
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_UDP_LEN);
	put16(u + 4, 108);
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_NONE);
	/* IP payload too short for a UDP header */
	put16(ip + 2, 20 + 7);
	put16(ip + 10, 0);
	put16(ip + 10, ref_csum(ip, 20, 0));
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_BAD_UDP_LEN);
	put16(ip + 2, 20);
	put16(ip + 10, 0);
	put16(ip + 10, ref_csum(ip, 20, 0));
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_BAD_UDP_LEN);
}

/* cg_pkt_peek(): a refused frame's own fields, as far as it has them. */
static void
test_peek(void)
{
	struct tspec s = base_spec();
	struct cg_pkt_peek pk;
	struct tlayout l;

	s.ntags = 2;
	s.tpid[0] = 0x88a8;
	s.tpid[1] = 0x8100;
	s.ihl = 7;
	l = tframe(fbuf, &s);
	put16(fbuf + l.l4 + 4, 4000);			/* bad_udp_len: still read */
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_UDP_LEN);
	cg_pkt_peek(fbuf, (uint32_t)l.len, &pk);
	CU_ASSERT(pk.ip && pk.udp);
	CU_ASSERT_EQUAL(ntohl(pk.src_be), IP4(198, 18, 200, 1));
	CU_ASSERT_EQUAL(ntohl(pk.dst_be), IP4(239, 1, 1, 1));
	CU_ASSERT_EQUAL(pk.sport, 40000);
	CU_ASSERT_EQUAL(pk.dport, 5001);
	CU_ASSERT_EQUAL(pk.ttl, 32);
	cg_pkt_peek(fbuf, (uint32_t)l.l4 + 3, &pk);	/* the ports cut off */
	CU_ASSERT(pk.ip && !pk.udp);
	s = base_spec();
	s.frag = 100;					/* a later fragment: no ports */
	l = tframe(fbuf, &s);
	cg_pkt_peek(fbuf, (uint32_t)l.len, &pk);
	CU_ASSERT(pk.ip && !pk.udp && pk.sport == 0);
	cg_pkt_peek(fbuf, (uint32_t)l.l3 + 19, &pk);	/* no whole IPv4 header */
	CU_ASSERT(!pk.ip && !pk.udp && pk.src_be == 0);
	s.ethertype = 0x88b5;				/* not IPv4 */
	l = tframe(fbuf, &s);
	cg_pkt_peek(fbuf, (uint32_t)l.len, &pk);
	CU_ASSERT(!pk.ip && !pk.udp);
	cg_pkt_peek(fbuf, 3, &pk);
	CU_ASSERT(!pk.ip);
}

static void
test_drop_bad_udp_checksum(void)
{
	struct tspec s = base_spec();
	struct cg_pkt_info pi;
	struct tlayout l;
	size_t i;

	s.ihl = 6;
	s.ntags = 1;
	s.tpid[0] = 0x8100;
	s.payload_len = 33;	/* odd length: the last byte is padded in the sum */
	s.pad = 3;
	l = tframe(fbuf, &s);
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_NONE);
	/* any single flipped bit in the datagram or the addresses is detected */
	for (i = l.l4; i < l.payload + 33; i++) {
		if (i == l.l4 + 4 || i == l.l4 + 5)
			continue;	/* the length: bad_udp_len, tested elsewhere */
		fbuf[i] ^= 0x10;
		CU_ASSERT_EQUAL(drop_of(fbuf, l.len, CG_PKT_F_CHECK_UDP_CSUM),
				CG_PKT_DROP_BAD_UDP_CHECKSUM);
		fbuf[i] ^= 0x10;
	}
	fbuf[l.l3 + 13] ^= 0x01;	/* source address, seen by the pseudo-header */
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, CG_PKT_F_CHECK_UDP_CSUM),
			CG_PKT_DROP_BAD_UDP_CHECKSUM);
	/* the IP checksum catches it first when both are checked */
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_BAD_IP_CHECKSUM);
	fbuf[l.l3 + 13] ^= 0x01;
	/* padding bytes are not part of the sum, not even the one after the odd byte */
	fbuf[l.len - 3] ^= 0xff;
	fbuf[l.len - 1] ^= 0xff;
	CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_NONE);

	/* not asked: accepted */
	fbuf[l.payload] ^= 0xff;
	CU_ASSERT_EQUAL(parse_exact(fbuf, l.len, CG_PKT_F_CHECK_IP_CSUM, &pi), CG_PKT_UDP);
	/* checksum 0 means none and is valid, whatever the payload */
	put16(fbuf + l.l4 + 6, 0);
	CU_ASSERT_EQUAL(parse_exact(fbuf, l.len, ALL_CHECKS, &pi), CG_PKT_UDP);
	CU_ASSERT_EQUAL(pi.udp_csum_be, 0);
}

/* A datagram whose sum is zero is sent with 0xffff, which must verify. */
static void
test_udp_checksum_ffff_valid(void)
{
	struct tspec s = base_spec();
	struct cg_pkt_info pi;
	struct tlayout l;
	uint16_t c;
	uint8_t *u;

	s.payload_len = 4;
	l = tframe(fbuf, &s);
	u = fbuf + l.l4;
	/* payload word := current checksum makes the one's complement sum all ones */
	put16(fbuf + l.payload, 0);
	put16(fbuf + l.payload + 2, 0);
	c = ref_udp_csum(fbuf + l.l3 + 12, fbuf + l.l3 + 16, u, 12);
	put16(fbuf + l.payload, c);
	CU_ASSERT_EQUAL(ref_udp_csum(fbuf + l.l3 + 12, fbuf + l.l3 + 16, u, 12), 0xffff);
	put16(u + 6, 0xffff);
	CU_ASSERT_EQUAL_FATAL(parse_exact(fbuf, l.len, ALL_CHECKS, &pi), CG_PKT_UDP);
	CU_ASSERT_EQUAL(pi.udp_csum_be, 0xffff);
}

/*
 * UDP from a source no host has: 0/8, 127/8, 224/3 (multicast, 240/4 and
 * 255.255.255.255). Its neighbours pass; IGMP from such a source is not UDP
 * and goes on to the IGMP verdict; a fragment stays a fragment.
 */
static void
test_drop_bad_source(void)
{
	static const uint32_t bad[] = {
		IP4(0, 0, 0, 0), IP4(0, 1, 2, 3), IP4(127, 0, 0, 1), IP4(127, 255, 255, 255),
		IP4(224, 0, 0, 1), IP4(239, 1, 1, 1), IP4(240, 0, 0, 1), IP4(255, 255, 255, 255),
	};
	static const uint32_t good[] = {
		IP4(1, 0, 0, 0), IP4(126, 255, 255, 255), IP4(128, 0, 0, 1),
		IP4(223, 255, 255, 255), IP4(198, 18, 200, 1),
	};
	struct cg_pkt_info pi;
	struct tlayout l;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tspec s = base_spec();

		s.src = bad[i];
		l = tframe(fbuf, &s);
		CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_BAD_SOURCE);
		CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_BAD_SOURCE);
		CU_ASSERT_EQUAL(cg_pkt_parse_fast(fbuf, (uint32_t)l.len, 0, &pi), CG_PKT_DROP);
		CU_ASSERT_EQUAL(pi.drop, CG_PKT_DROP_BAD_SOURCE);
		s.frag = 0x2000;
		l = tframe(fbuf, &s);
		CU_ASSERT_EQUAL(drop_of(fbuf, l.len, 0), CG_PKT_DROP_FRAGMENT);
		s.frag = 0;
		s.proto = 2;
		l = tframe(fbuf, &s);
		CU_ASSERT_EQUAL(parse_exact(fbuf, l.len, 0, &pi), CG_PKT_IGMP);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct tspec s = base_spec();

		s.src = good[i];
		l = tframe(fbuf, &s);
		CU_ASSERT_EQUAL(drop_of(fbuf, l.len, ALL_CHECKS), CG_PKT_DROP_NONE);
		CU_ASSERT_EQUAL(cg_pkt_parse_fast(fbuf, (uint32_t)l.len, 0, &pi), CG_PKT_UDP);
	}
}

static void
test_drop_names(void)
{
	static const char *const want[] = {
		"none", "truncated", "non_ipv4", "bad_version", "bad_ihl", "bad_total_len",
		"fragment", "non_udp", "bad_ip_checksum", "bad_udp_len", "bad_udp_checksum",
		"bad_source",
	};
	int i, j;

	CU_ASSERT_EQUAL_FATAL(CG_PKT_DROP_MAX, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < CG_PKT_DROP_MAX; i++)
		CU_ASSERT_STRING_EQUAL(cg_pkt_drop_name((enum cg_pkt_drop)i), want[i]);
	for (i = 0; i < CG_PKT_DROP_MAX; i++)
		for (j = i + 1; j < CG_PKT_DROP_MAX; j++)
			CU_ASSERT_STRING_NOT_EQUAL(cg_pkt_drop_name((enum cg_pkt_drop)i),
						   cg_pkt_drop_name((enum cg_pkt_drop)j));
	CU_ASSERT_STRING_EQUAL(cg_pkt_drop_name(CG_PKT_DROP_MAX), "unknown");
	CU_ASSERT_STRING_EQUAL(cg_pkt_drop_name((enum cg_pkt_drop)-1), "unknown");
	CU_ASSERT_EQUAL(CG_PKT_DROP_TRUNCATED, 1);	/* counter indices are ABI */
}

/* ARP frames, tagged or not, are handed over with l3_off at the ARP body. */
static void
test_parse_arp_verdict(void)
{
	static const uint8_t mac[6] = { 0x02, 0, 0xc6, 0x12, 0xc8, 0x01 };
	struct cg_pkt_info pi;
	int n;

	n = cg_pkt_arp_build_request(fbuf, sizeof(fbuf), mac, htonl(IP4(198, 18, 200, 1)),
				     htonl(IP4(198, 18, 200, 2)), 42);
	CU_ASSERT_EQUAL_FATAL(n, 64);
	CU_ASSERT_EQUAL(parse_exact(fbuf, (size_t)n, ALL_CHECKS, &pi), CG_PKT_ARP);
	CU_ASSERT_EQUAL(pi.l3_off, 18);
	CU_ASSERT_EQUAL(pi.nb_vlans, 1);
	CU_ASSERT_EQUAL(pi.vlan_tci[0], 42);
	CU_ASSERT_EQUAL(pi.ethertype, 0x0806);
	/* even a runt ARP frame gets the verdict: cg_pkt_arp_parse() judges the body */
	CU_ASSERT_EQUAL(parse_exact(fbuf, 20, 0, &pi), CG_PKT_ARP);
}

/*
 * Random frames and random corruptions of valid ones: never a crash or an
 * overread (ASan), and an accepted datagram always lies inside the frame.
 */
static void
test_parse_random(void)
{
	uint32_t st = 0xc0ffee;
	int iter, bad = 0;

	for (iter = 0; iter < 20000; iter++) {
		struct cg_pkt_info pi;
		struct tspec s = base_spec();
		struct tlayout l;
		size_t len, k, nflip;
		enum cg_pkt_verdict v;

		s.ntags = (int)(trand(&st) % 3);
		s.tpid[0] = 0x88a8;
		s.tpid[1] = 0x8100;
		s.ihl = 5 + (int)(trand(&st) % 11);
		s.payload_len = (uint16_t)(trand(&st) % 200);
		s.pad = (int)(trand(&st) % 8);
		l = tframe(fbuf, &s);
		nflip = trand(&st) % 4;
		for (k = 0; k < nflip; k++)
			fbuf[trand(&st) % l.len] = (uint8_t)trand(&st);
		len = iter % 3 == 0 ? trand(&st) % (l.len + 1) : l.len;
		v = parse_exact(fbuf, len, trand(&st) & 3, &pi);
		if (v == CG_PKT_UDP &&
		    ((size_t)pi.payload_off + pi.payload_len > len ||
		     pi.payload_off != pi.l4_off + 8 || pi.l4_off != pi.l3_off + 4u * pi.ihl ||
		     pi.drop != CG_PKT_DROP_NONE))
			bad++;
		if (v == CG_PKT_DROP && (pi.drop == CG_PKT_DROP_NONE || pi.drop >= CG_PKT_DROP_MAX))
			bad++;
		if (v != pi.verdict)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Every field a UDP verdict defines, the MACs and tag arrays aside. */
static bool
same_udp_fields(const struct cg_pkt_info *a, const struct cg_pkt_info *b)
{
#define SAME(f) (a->f == b->f)
	return SAME(nb_vlans) && SAME(ethertype) && SAME(l2_len) && SAME(l3_off) &&
	       SAME(ihl) && SAME(tos) && SAME(ttl) && SAME(proto) && SAME(df) &&
	       SAME(ip_id_be) && SAME(frag_off) && SAME(total_len) && SAME(ip_csum_be) &&
	       SAME(src_ip_be) && SAME(dst_ip_be) && SAME(l4_off) && SAME(l4_len) &&
	       SAME(sport_be) && SAME(dport_be) && SAME(udp_len_be) && SAME(udp_csum_be) &&
	       SAME(payload_off) && SAME(payload_len);
#undef SAME
}

/*
 * cg_pkt_parse_fast() against cg_pkt_parse(): the same verdict and drop on
 * random and corrupted frames (mostly of the common shape, so both of its
 * paths run), and the same fields for a UDP verdict but the MACs and tags.
 */
static void
test_parse_fast_random(void)
{
	uint32_t st = 0xfa57;
	int iter, bad = 0, inline_udp = 0;

	for (iter = 0; iter < 20000; iter++) {
		struct cg_pkt_info a, b;
		struct tspec s = base_spec();
		struct tlayout l;
		size_t len, k, nflip;
		uint8_t *copy;
		enum cg_pkt_verdict va, vb;

		s.ntags = trand(&st) % 4 == 0 ? 1 : 0;
		s.tpid[0] = 0x8100;
		s.ihl = trand(&st) % 4 == 0 ? 6 : 5;
		s.frag = trand(&st) % 8 == 0 ? 0x2000 : CG_PKT_IP_DF;
		s.proto = trand(&st) % 8 == 0 ? 2 : 0;
		if (trand(&st) % 8 == 0)	/* a first byte near or in the bad_source ranges */
			s.src = (uint32_t)(trand(&st) % 4 == 0 ? 126 + trand(&st) % 3 :
					   220 + trand(&st) % 36) << 24 | 0x010203;
		s.payload_len = (uint16_t)(trand(&st) % 200);
		s.pad = (int)(trand(&st) % 8);
		l = tframe(fbuf, &s);
		nflip = trand(&st) % 3;
		for (k = 0; k < nflip; k++)
			fbuf[trand(&st) % l.len] = (uint8_t)trand(&st);
		len = iter % 5 == 0 ? trand(&st) % (l.len + 1) : l.len;
		copy = malloc(len ? len : 1);
		memcpy(copy, fbuf, len);
		va = cg_pkt_parse(copy, (uint32_t)len, 0, &a);
		memset(&b, 0x5a, sizeof(b));
		memcpy(b.dst_mac, a.dst_mac, 6);
		memcpy(b.src_mac, a.src_mac, 6);
		memcpy(b.vlan_tpid, a.vlan_tpid, sizeof(a.vlan_tpid));
		memcpy(b.vlan_tci, a.vlan_tci, sizeof(a.vlan_tci));
		vb = cg_pkt_parse_fast(copy, (uint32_t)len, 0, &b);
		free(copy);
		if (va != vb || a.drop != b.drop || b.verdict != vb)
			bad++;
		else if (va == CG_PKT_UDP && !same_udp_fields(&a, &b))
			bad++;
		inline_udp += va == CG_PKT_UDP && s.ntags == 0 && s.ihl == 5;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(inline_udp > 5000);
	/* A checksum check asked: never the inline path, which checks none. */
	{
		struct tspec s = base_spec();
		struct cg_pkt_info pi;
		struct tlayout l = tframe(fbuf, &s);

		fbuf[l.l3 + 10] ^= 0xff;
		CU_ASSERT_EQUAL(cg_pkt_parse_fast(fbuf, (uint32_t)l.len, CG_PKT_F_CHECK_IP_CSUM, &pi),
				CG_PKT_DROP);
		CU_ASSERT_EQUAL(pi.drop, CG_PKT_DROP_BAD_IP_CHECKSUM);
	}
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_parse_linux_udp),
		CG_UNIT_TEST(test_parse_vlan_qinq),
		CG_UNIT_TEST(test_parse_ip_options),
		CG_UNIT_TEST(test_parse_padding),
		CG_UNIT_TEST(test_parse_udp_shorter_than_ip),
		CG_UNIT_TEST(test_drop_truncated),
		CG_UNIT_TEST(test_drop_non_ipv4),
		CG_UNIT_TEST(test_drop_bad_version),
		CG_UNIT_TEST(test_drop_bad_ihl),
		CG_UNIT_TEST(test_drop_bad_total_len),
		CG_UNIT_TEST(test_drop_fragment),
		CG_UNIT_TEST(test_drop_non_udp_and_igmp),
		CG_UNIT_TEST(test_drop_bad_ip_checksum),
		CG_UNIT_TEST(test_drop_bad_udp_len),
		CG_UNIT_TEST(test_drop_bad_udp_checksum),
		CG_UNIT_TEST(test_drop_bad_source),
		CG_UNIT_TEST(test_udp_checksum_ffff_valid),
		CG_UNIT_TEST(test_drop_names),
		CG_UNIT_TEST(test_parse_arp_verdict),
		CG_UNIT_TEST(test_peek),
		CG_UNIT_TEST(test_parse_random),
		CG_UNIT_TEST(test_parse_fast_random),
		CG_UNIT_END,
	};

	return cg_unit_run("pkt_parse", tests);
}
