/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/pkt: multicast helpers, ARP and IGMP parse/build, UDP builder. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cg_pkt.h"
#include "cg_unit.h"
#include "linux_frames.h"
#include "pkt_test.h"

#define ALL_CHECKS (CG_PKT_F_CHECK_IP_CSUM | CG_PKT_F_CHECK_UDP_CSUM)

static const uint8_t mac_a[6] = { 0x02, 0x00, 0xc6, 0x12, 0xc8, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0xc6, 0x12, 0xc8, 0x02 };
static const uint8_t mac_c[6] = { 0x02, 0x00, 0xc6, 0x12, 0xc8, 0x03 };

static uint8_t buf[2048];

static uint32_t
a4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return htonl(IP4(a, b, c, d));
}

/* Frame equals a kernel capture for its length, then zero padding up to 60. */
static void
assert_same_frame(const uint8_t *got, int got_len, const uint8_t *want, size_t want_len)
{
	int i;

	CU_ASSERT_EQUAL_FATAL(got_len, want_len < 60 ? 60 : (int)want_len);
	for (i = 0; i < (int)want_len; i++) {
		if (got[i] != want[i])
			fprintf(stderr, "byte %d: got %02x want %02x\n", i, got[i], want[i]);
		CU_ASSERT_EQUAL(got[i], want[i]);
	}
	for (; i < got_len; i++)
		CU_ASSERT_EQUAL(got[i], 0);
}

/* ------------------------------------------------------------------------ */
/* Multicast helpers                                                        */

static void
test_mcast_mac(void)
{
	static const struct {
		uint32_t group;
		uint8_t mac[6];
	} cases[] = {
		{ IP4(239, 1, 2, 3), { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 } },
		{ IP4(224, 0, 0, 22), { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x16 } },
		{ IP4(239, 129, 2, 3), { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 } }, /* bit 24 lost */
		{ IP4(225, 255, 255, 255), { 0x01, 0x00, 0x5e, 0x7f, 0xff, 0xff } },
		{ IP4(232, 128, 0, 0), { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x00 } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t mac[6];

		memset(mac, 0xaa, sizeof(mac));
		cg_pkt_mcast_mac(htonl(cases[i].group), mac);
		CU_ASSERT_EQUAL(memcmp(mac, cases[i].mac, 6), 0);
	}
}

static void
test_mcast_ranges(void)
{
	CU_ASSERT_TRUE(cg_pkt_ipv4_is_mcast(a4(224, 0, 0, 0)));
	CU_ASSERT_TRUE(cg_pkt_ipv4_is_mcast(a4(239, 255, 255, 255)));
	CU_ASSERT_TRUE(cg_pkt_ipv4_is_mcast(a4(232, 1, 1, 1)));
	CU_ASSERT_FALSE(cg_pkt_ipv4_is_mcast(a4(223, 255, 255, 255)));
	CU_ASSERT_FALSE(cg_pkt_ipv4_is_mcast(a4(240, 0, 0, 0)));
	CU_ASSERT_FALSE(cg_pkt_ipv4_is_mcast(a4(198, 18, 200, 1)));
	CU_ASSERT_FALSE(cg_pkt_ipv4_is_mcast(a4(255, 255, 255, 255)));

	CU_ASSERT_TRUE(cg_pkt_ipv4_is_link_local_mcast(a4(224, 0, 0, 0)));
	CU_ASSERT_TRUE(cg_pkt_ipv4_is_link_local_mcast(a4(224, 0, 0, 1)));
	CU_ASSERT_TRUE(cg_pkt_ipv4_is_link_local_mcast(a4(224, 0, 0, 22)));
	CU_ASSERT_TRUE(cg_pkt_ipv4_is_link_local_mcast(a4(224, 0, 0, 255)));
	CU_ASSERT_FALSE(cg_pkt_ipv4_is_link_local_mcast(a4(224, 0, 1, 1)));
	CU_ASSERT_FALSE(cg_pkt_ipv4_is_link_local_mcast(a4(239, 0, 0, 1)));
	CU_ASSERT_FALSE(cg_pkt_ipv4_is_link_local_mcast(a4(225, 0, 0, 1)));
}

/* ------------------------------------------------------------------------ */
/* ARP                                                                      */

/* who-has 198.18.200.2 tell 198.18.200.1, written out by hand (RFC 826). */
static const uint8_t want_arp_request[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0xc6, 0x12, 0xc8, 0x01,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x02, 0x00, 0xc6, 0x12, 0xc8, 0x01, 198, 18, 200, 1,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 198, 18, 200, 2,
	/* 18 bytes of padding */
};

static void
test_arp_request_bytes(void)
{
	int n;

	memset(buf, 0xee, sizeof(buf));
	n = cg_pkt_arp_build_request(buf, sizeof(buf), mac_a, a4(198, 18, 200, 1),
				     a4(198, 18, 200, 2), CG_PKT_NO_VLAN);
	CU_ASSERT_EQUAL_FATAL(n, 60);
	CU_ASSERT_EQUAL(memcmp(buf, want_arp_request, 60), 0);
	CU_ASSERT_EQUAL(buf[60], 0xee);
}

static void
test_arp_round_trip(void)
{
	static const uint8_t zero[6];
	struct cg_pkt_info pi;
	struct cg_pkt_arp arp;
	int n, vlan;

	for (vlan = -1; vlan <= 1; vlan++) {
		int v = vlan < 0 ? CG_PKT_NO_VLAN : 100 + vlan;
		int flen = vlan < 0 ? 60 : 64;

		/* request */
		n = cg_pkt_arp_build_request(buf, sizeof(buf), mac_a, a4(198, 18, 200, 1),
					     a4(198, 18, 200, 2), v);
		CU_ASSERT_EQUAL_FATAL(n, flen);
		CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(buf, (uint32_t)n, 0, &pi), CG_PKT_ARP);
		CU_ASSERT_EQUAL(pi.nb_vlans, vlan < 0 ? 0 : 1);
		CU_ASSERT_EQUAL(memcmp(pi.dst_mac, "\xff\xff\xff\xff\xff\xff", 6), 0);
		CU_ASSERT_EQUAL_FATAL(cg_pkt_arp_parse(buf + pi.l3_off, (uint32_t)n - pi.l3_off,
						       &arp), CG_PKT_ARP_OK);
		CU_ASSERT_EQUAL(arp.op, CG_PKT_ARP_OP_REQUEST);
		CU_ASSERT_EQUAL(memcmp(arp.sha, mac_a, 6), 0);
		CU_ASSERT_EQUAL(memcmp(arp.tha, zero, 6), 0);
		CU_ASSERT_EQUAL(arp.spa_be, a4(198, 18, 200, 1));
		CU_ASSERT_EQUAL(arp.tpa_be, a4(198, 18, 200, 2));
		CU_ASSERT_FALSE(arp.gratuitous);

		/* reply to it */
		n = cg_pkt_arp_build_reply(buf, sizeof(buf), mac_b, arp.tpa_be, arp.sha,
					   arp.spa_be, v);
		CU_ASSERT_EQUAL_FATAL(n, flen);
		CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(buf, (uint32_t)n, 0, &pi), CG_PKT_ARP);
		CU_ASSERT_EQUAL(memcmp(pi.dst_mac, mac_a, 6), 0);
		CU_ASSERT_EQUAL(memcmp(pi.src_mac, mac_b, 6), 0);
		CU_ASSERT_EQUAL_FATAL(cg_pkt_arp_parse(buf + pi.l3_off, (uint32_t)n - pi.l3_off,
						       &arp), CG_PKT_ARP_OK);
		CU_ASSERT_EQUAL(arp.op, CG_PKT_ARP_OP_REPLY);
		CU_ASSERT_EQUAL(memcmp(arp.sha, mac_b, 6), 0);
		CU_ASSERT_EQUAL(memcmp(arp.tha, mac_a, 6), 0);
		CU_ASSERT_EQUAL(arp.spa_be, a4(198, 18, 200, 2));
		CU_ASSERT_EQUAL(arp.tpa_be, a4(198, 18, 200, 1));

		/* gratuitous */
		n = cg_pkt_arp_build_gratuitous(buf, sizeof(buf), mac_c, a4(198, 18, 200, 3), v);
		CU_ASSERT_EQUAL_FATAL(n, flen);
		CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(buf, (uint32_t)n, 0, &pi), CG_PKT_ARP);
		CU_ASSERT_EQUAL_FATAL(cg_pkt_arp_parse(buf + pi.l3_off, (uint32_t)n - pi.l3_off,
						       &arp), CG_PKT_ARP_OK);
		CU_ASSERT_EQUAL(arp.op, CG_PKT_ARP_OP_REQUEST);
		CU_ASSERT_TRUE(arp.gratuitous);
		CU_ASSERT_EQUAL(arp.spa_be, a4(198, 18, 200, 3));
		CU_ASSERT_EQUAL(arp.tpa_be, a4(198, 18, 200, 3));
		CU_ASSERT_EQUAL(memcmp(arp.tha, zero, 6), 0);
		CU_ASSERT_EQUAL(memcmp(pi.dst_mac, "\xff\xff\xff\xff\xff\xff", 6), 0);
	}
}

static void
test_arp_build_errors(void)
{
	CU_ASSERT_EQUAL(cg_pkt_arp_build_request(buf, 59, mac_a, 1, 2, CG_PKT_NO_VLAN), -ENOSPC);
	CU_ASSERT_EQUAL(cg_pkt_arp_build_request(buf, 63, mac_a, 1, 2, 5), -ENOSPC);
	CU_ASSERT_EQUAL(cg_pkt_arp_build_request(buf, 60, mac_a, 1, 2, CG_PKT_NO_VLAN), 60);
	CU_ASSERT_EQUAL(cg_pkt_arp_build_reply(buf, 10, mac_a, 1, mac_b, 2, 0), -ENOSPC);
	CU_ASSERT_EQUAL(cg_pkt_arp_build_gratuitous(buf, 0, mac_a, 1, CG_PKT_NO_VLAN), -ENOSPC);
	CU_ASSERT_EQUAL(cg_pkt_arp_build_request(buf, sizeof(buf), mac_a, 1, 2, 0x10000),
			-EINVAL);
	CU_ASSERT_EQUAL(cg_pkt_arp_build_request(buf, sizeof(buf), mac_a, 1, 2, -2), -EINVAL);
}

static void
test_arp_malformed(void)
{
	uint8_t body[28];
	struct cg_pkt_arp arp;
	int i;

	memcpy(body, want_arp_request + 14, 28);
	CU_ASSERT_EQUAL(cg_pkt_arp_parse(body, 28, &arp), CG_PKT_ARP_OK);
	for (i = 0; i < 28; i++)
		CU_ASSERT_EQUAL(cg_pkt_arp_parse(body, (uint32_t)i, &arp), CG_PKT_ARP_TRUNCATED);
	body[1] = 6;	/* IEEE 802 */
	CU_ASSERT_EQUAL(cg_pkt_arp_parse(body, 28, &arp), CG_PKT_ARP_BAD_HTYPE);
	body[1] = 1;
	body[2] = 0x86;	/* IPv6 */
	body[3] = 0xdd;
	CU_ASSERT_EQUAL(cg_pkt_arp_parse(body, 28, &arp), CG_PKT_ARP_BAD_PTYPE);
	body[2] = 0x08;
	body[3] = 0x00;
	body[4] = 8;
	CU_ASSERT_EQUAL(cg_pkt_arp_parse(body, 28, &arp), CG_PKT_ARP_BAD_ADDR_LEN);
	body[4] = 6;
	body[5] = 16;
	CU_ASSERT_EQUAL(cg_pkt_arp_parse(body, 28, &arp), CG_PKT_ARP_BAD_ADDR_LEN);
	body[5] = 4;
	body[7] = 3;	/* RARP request */
	CU_ASSERT_EQUAL(cg_pkt_arp_parse(body, 28, &arp), CG_PKT_ARP_BAD_OP);
	body[7] = 0;
	CU_ASSERT_EQUAL(cg_pkt_arp_parse(body, 28, &arp), CG_PKT_ARP_BAD_OP);
	body[7] = 2;
	CU_ASSERT_EQUAL(cg_pkt_arp_parse(body, 28, &arp), CG_PKT_ARP_OK);

	CU_ASSERT_STRING_EQUAL(cg_pkt_arp_err_name(CG_PKT_ARP_OK), "ok");
	CU_ASSERT_STRING_EQUAL(cg_pkt_arp_err_name(CG_PKT_ARP_TRUNCATED), "arp_truncated");
	CU_ASSERT_STRING_EQUAL(cg_pkt_arp_err_name(CG_PKT_ARP_BAD_HTYPE), "arp_bad_htype");
	CU_ASSERT_STRING_EQUAL(cg_pkt_arp_err_name(CG_PKT_ARP_BAD_PTYPE), "arp_bad_ptype");
	CU_ASSERT_STRING_EQUAL(cg_pkt_arp_err_name(CG_PKT_ARP_BAD_ADDR_LEN), "arp_bad_addr_len");
	CU_ASSERT_STRING_EQUAL(cg_pkt_arp_err_name(CG_PKT_ARP_BAD_OP), "arp_bad_op");
	CU_ASSERT_STRING_EQUAL(cg_pkt_arp_err_name(CG_PKT_ARP_ERR_MAX), "unknown");
}

/* ------------------------------------------------------------------------ */
/* IGMP parse                                                               */

/* Run a whole frame through cg_pkt_parse() then cg_pkt_igmp_parse(). */
static enum cg_pkt_igmp_err
igmp_of(const uint8_t *frame, size_t len, struct cg_pkt_igmp *msg)
{
	struct cg_pkt_info pi;

	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(frame, (uint32_t)len, CG_PKT_F_CHECK_IP_CSUM, &pi),
			      CG_PKT_IGMP);
	return cg_pkt_igmp_parse(frame + pi.l4_off, pi.l4_len, msg);
}

static void
test_igmp_parse_v2_query(void)
{
	struct cg_pkt_igmp m;

	CU_ASSERT_EQUAL_FATAL(igmp_of(linux_v2_query, sizeof(linux_v2_query), &m),
			      CG_PKT_IGMP_OK);
	CU_ASSERT_EQUAL(m.type, CG_PKT_IGMP_QUERY);
	CU_ASSERT_EQUAL(m.version, 2);
	CU_ASSERT_EQUAL(m.group_be, 0);
	CU_ASSERT_EQUAL(m.max_resp_code, 100);
	CU_ASSERT_EQUAL(m.max_resp_ds, 100);
	CU_ASSERT_EQUAL(m.nb_sources, 0);
}

static void
test_igmp_parse_v1_query(void)
{
	/* type 0x11, max resp 0 (v1), checksum ~0x1100 = 0xeeff, general */
	static const uint8_t q[8] = { 0x11, 0x00, 0xee, 0xff, 0, 0, 0, 0 };
	struct cg_pkt_igmp m;

	CU_ASSERT_EQUAL_FATAL(cg_pkt_igmp_parse(q, 8, &m), CG_PKT_IGMP_OK);
	CU_ASSERT_EQUAL(m.version, 1);
	CU_ASSERT_EQUAL(m.max_resp_ds, 100);	/* v1 hosts use 10 s */
	CU_ASSERT_EQUAL(m.group_be, 0);
}

static void
test_igmp_parse_v3_query(void)
{
	/*
	 * Group-and-source-specific query for 239.1.2.3, S=1, QRV 3, max resp
	 * code 0x8a = (0xa|0x10) << 3 = 208 ds, QQIC 0xff = 31 << 10 = 31744 s,
	 * sources 198.18.200.7 and .8; checksum 0xd539 computed by hand/script.
	 */
	static const uint8_t q[20] = { 0x11, 0x8a, 0xd5, 0x39, 239, 1, 2, 3, 0x0b, 0xff, 0x00,
				       0x02, 198, 18, 200, 7, 198, 18, 200, 8 };
	struct cg_pkt_igmp m;
	uint32_t s;

	CU_ASSERT_EQUAL_FATAL(igmp_of(linux_v3_query, sizeof(linux_v3_query), &m),
			      CG_PKT_IGMP_OK);
	CU_ASSERT_EQUAL(m.version, 3);
	CU_ASSERT_EQUAL(m.group_be, 0);
	CU_ASSERT_EQUAL(m.max_resp_ds, 100);
	CU_ASSERT_FALSE(m.s_flag);
	CU_ASSERT_EQUAL(m.qrv, 2);
	CU_ASSERT_EQUAL(m.qqic, 1);
	CU_ASSERT_EQUAL(m.qqi_s, 1);
	CU_ASSERT_EQUAL(m.nb_sources, 0);

	CU_ASSERT_EQUAL_FATAL(cg_pkt_igmp_parse(q, sizeof(q), &m), CG_PKT_IGMP_OK);
	CU_ASSERT_EQUAL(m.version, 3);
	CU_ASSERT_EQUAL(m.group_be, a4(239, 1, 2, 3));
	CU_ASSERT_EQUAL(m.max_resp_code, 0x8a);
	CU_ASSERT_EQUAL(m.max_resp_ds, 208);
	CU_ASSERT_TRUE(m.s_flag);
	CU_ASSERT_EQUAL(m.qrv, 3);
	CU_ASSERT_EQUAL(m.qqic, 0xff);
	CU_ASSERT_EQUAL(m.qqi_s, 31744);
	CU_ASSERT_EQUAL_FATAL(m.nb_sources, 2);
	CU_ASSERT_PTR_EQUAL(m.sources, q + 12);
	memcpy(&s, m.sources + 4, 4);
	CU_ASSERT_EQUAL(s, a4(198, 18, 200, 8));
}

static void
test_igmp_parse_reports(void)
{
	struct cg_pkt_igmp m;

	CU_ASSERT_EQUAL_FATAL(igmp_of(linux_v2_report, sizeof(linux_v2_report), &m),
			      CG_PKT_IGMP_OK);
	CU_ASSERT_EQUAL(m.type, CG_PKT_IGMP_V2_REPORT);
	CU_ASSERT_EQUAL(m.version, 2);
	CU_ASSERT_EQUAL(m.group_be, a4(239, 1, 2, 3));
	CU_ASSERT_EQUAL_FATAL(igmp_of(linux_v2_leave, sizeof(linux_v2_leave), &m),
			      CG_PKT_IGMP_OK);
	CU_ASSERT_EQUAL(m.type, CG_PKT_IGMP_V2_LEAVE);
	CU_ASSERT_EQUAL(m.group_be, a4(239, 1, 2, 3));
	CU_ASSERT_EQUAL_FATAL(igmp_of(linux_v3_join, sizeof(linux_v3_join), &m), CG_PKT_IGMP_OK);
	CU_ASSERT_EQUAL(m.type, CG_PKT_IGMP_V3_REPORT);
	CU_ASSERT_EQUAL(m.version, 3);
	CU_ASSERT_EQUAL(m.nb_records, 1);
}

static void
test_igmp_malformed(void)
{
	static const uint8_t v1q[8] = { 0x11, 0x00, 0xee, 0xff, 0, 0, 0, 0 };
	uint8_t b[64];
	struct cg_pkt_igmp m;
	size_t i;

	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(cg_pkt_igmp_parse(v1q, (uint32_t)i, &m), CG_PKT_IGMP_TRUNCATED);
	/* every single-bit error is caught by the checksum */
	memcpy(b, v1q, 8);
	for (i = 0; i < 64; i++) {
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
		CU_ASSERT_EQUAL(cg_pkt_igmp_parse(b, 8, &m), CG_PKT_IGMP_BAD_CHECKSUM);
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	/* unknown type with a correct checksum: 0x99 -> ~0x9900 = 0x66ff */
	memcpy(b, (const uint8_t[8]){ 0x99, 0, 0x66, 0xff, 0, 0, 0, 0 }, 8);
	CU_ASSERT_EQUAL(cg_pkt_igmp_parse(b, 8, &m), CG_PKT_IGMP_BAD_TYPE);
	/* a 10-byte query (zero tail keeps the checksum): neither v2 nor v3 */
	memcpy(b, v1q, 8);
	b[8] = b[9] = 0;
	CU_ASSERT_EQUAL(cg_pkt_igmp_parse(b, 10, &m), CG_PKT_IGMP_BAD_LEN);
	/* v3 query claiming 3 sources with room for 2 */
	memcpy(b, (const uint8_t[20]){ 0x11, 0x8a, 0xd5, 0x39, 239, 1, 2, 3, 0x0b, 0xff, 0x00,
				       0x02, 198, 18, 200, 7, 198, 18, 200, 8 }, 20);
	CU_ASSERT_EQUAL(cg_pkt_igmp_parse(b, 20, &m), CG_PKT_IGMP_OK);
	b[11] = 3;
	b[3] = 0x38;	/* checksum adjusted for the +1 */
	CU_ASSERT_EQUAL(cg_pkt_igmp_parse(b, 20, &m), CG_PKT_IGMP_BAD_LEN);
	/* v3 report claiming 2 records in 16 bytes */
	memcpy(b, linux_v3_join + 38, 16);
	b[7] = 2;
	b[3] = 0xf8;	/* 0xe8f9 - 1 */
	CU_ASSERT_EQUAL(cg_pkt_igmp_parse(b, 16, &m), CG_PKT_IGMP_BAD_LEN);

	CU_ASSERT_STRING_EQUAL(cg_pkt_igmp_err_name(CG_PKT_IGMP_OK), "ok");
	CU_ASSERT_STRING_EQUAL(cg_pkt_igmp_err_name(CG_PKT_IGMP_TRUNCATED), "igmp_truncated");
	CU_ASSERT_STRING_EQUAL(cg_pkt_igmp_err_name(CG_PKT_IGMP_BAD_CHECKSUM),
			       "igmp_bad_checksum");
	CU_ASSERT_STRING_EQUAL(cg_pkt_igmp_err_name(CG_PKT_IGMP_BAD_TYPE), "igmp_bad_type");
	CU_ASSERT_STRING_EQUAL(cg_pkt_igmp_err_name(CG_PKT_IGMP_BAD_LEN), "igmp_bad_len");
	CU_ASSERT_STRING_EQUAL(cg_pkt_igmp_err_name(CG_PKT_IGMP_ERR_MAX), "unknown");
}

/* ------------------------------------------------------------------------ */
/* IGMP build, against the kernel                                           */

static void
test_igmp_build_v3_vs_linux(void)
{
	struct cg_pkt_igmp_rec r = { .type = CG_PKT_IGMP_CHANGE_TO_EXCLUDE };
	int n;

	r.group_be = a4(239, 1, 2, 3);
	n = cg_pkt_igmp_build_v3_report(buf, sizeof(buf), mac_a, a4(198, 18, 200, 1), &r, 1,
					CG_PKT_NO_VLAN);
	assert_same_frame(buf, n, linux_v3_join, sizeof(linux_v3_join));

	r.type = CG_PKT_IGMP_CHANGE_TO_INCLUDE;
	n = cg_pkt_igmp_build_v3_report(buf, sizeof(buf), mac_a, a4(198, 18, 200, 1), &r, 1,
					CG_PKT_NO_VLAN);
	assert_same_frame(buf, n, linux_v3_leave, sizeof(linux_v3_leave));

	r.type = CG_PKT_IGMP_MODE_IS_EXCLUDE;
	r.group_be = a4(224, 0, 0, 106);
	n = cg_pkt_igmp_build_v3_report(buf, sizeof(buf), mac_c, a4(198, 18, 200, 3), &r, 1,
					CG_PKT_NO_VLAN);
	assert_same_frame(buf, n, linux_v3_is_ex, sizeof(linux_v3_is_ex));
}

static void
test_igmp_build_v2_vs_linux(void)
{
	int n;

	n = cg_pkt_igmp_build_v2_report(buf, sizeof(buf), mac_a, a4(198, 18, 200, 1),
					a4(239, 1, 2, 3), CG_PKT_NO_VLAN);
	assert_same_frame(buf, n, linux_v2_report, sizeof(linux_v2_report));
	n = cg_pkt_igmp_build_v2_leave(buf, sizeof(buf), mac_a, a4(198, 18, 200, 1),
				       a4(239, 1, 2, 3), CG_PKT_NO_VLAN);
	assert_same_frame(buf, n, linux_v2_leave, sizeof(linux_v2_leave));
}

/*
 * IGMPv1 report 239.1.2.3 (v1 compatibility mode): Linux's v2 report with
 * type 0x12; the checksum's first word drops by 0x0400, so it gains 0x0400.
 */
static void
test_igmp_build_v1(void)
{
	uint8_t want[sizeof(linux_v2_report)];
	struct cg_pkt_igmp m;
	int n;

	memcpy(want, linux_v2_report, sizeof(want));
	want[38] = CG_PKT_IGMP_V1_REPORT;
	want[40] = 0xfc;
	n = cg_pkt_igmp_build_v1_report(buf, sizeof(buf), mac_a, a4(198, 18, 200, 1),
					a4(239, 1, 2, 3), CG_PKT_NO_VLAN);
	assert_same_frame(buf, n, want, sizeof(want));
	CU_ASSERT_EQUAL_FATAL(igmp_of(buf, (size_t)n, &m), CG_PKT_IGMP_OK);
	CU_ASSERT_EQUAL(m.type, CG_PKT_IGMP_V1_REPORT);
	CU_ASSERT_EQUAL(m.version, 1);
	CU_ASSERT_EQUAL(m.group_be, a4(239, 1, 2, 3));
}

/*
 * (S,G) join and leave in one report: ALLOW_NEW_SOURCES 239.1.2.3
 * {198.18.200.7, .8} and BLOCK_OLD_SOURCES 239.1.2.4 {198.18.200.9}. The
 * expected frame was assembled by hand from RFC 3376 4.2, checksums by script.
 */
static const uint8_t want_v3_sg[74] = {
	0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, 0x02, 0x00, 0xc6, 0x12, 0xc8, 0x01,
	0x08, 0x00, 0x46, 0xc0, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02,
	0x75, 0xd1, 0xc6, 0x12, 0xc8, 0x01, 0xe0, 0x00, 0x00, 0x16, 0x94, 0x04,
	0x00, 0x00, 0x22, 0x00, 0x46, 0x9d, 0x00, 0x00, 0x00, 0x02, 0x05, 0x00,
	0x00, 0x02, 0xef, 0x01, 0x02, 0x03, 0xc6, 0x12, 0xc8, 0x07, 0xc6, 0x12,
	0xc8, 0x08, 0x06, 0x00, 0x00, 0x01, 0xef, 0x01, 0x02, 0x04, 0xc6, 0x12,
	0xc8, 0x09,
};

static void
test_igmp_build_v3_sources(void)
{
	uint32_t s1[2] = { a4(198, 18, 200, 7), a4(198, 18, 200, 8) };
	uint32_t s2[1] = { a4(198, 18, 200, 9) };
	struct cg_pkt_igmp_rec r[2] = {
		{ .type = CG_PKT_IGMP_ALLOW_NEW_SOURCES, .nb_sources = 2, .sources_be = s1 },
		{ .type = CG_PKT_IGMP_BLOCK_OLD_SOURCES, .nb_sources = 1, .sources_be = s2 },
	};
	struct cg_pkt_igmp m;
	int n;

	r[0].group_be = a4(239, 1, 2, 3);
	r[1].group_be = a4(239, 1, 2, 4);
	n = cg_pkt_igmp_build_v3_report(buf, sizeof(buf), mac_a, a4(198, 18, 200, 1), r, 2,
					CG_PKT_NO_VLAN);
	assert_same_frame(buf, n, want_v3_sg, sizeof(want_v3_sg));
	CU_ASSERT_EQUAL(igmp_of(buf, (size_t)n, &m), CG_PKT_IGMP_OK);
	CU_ASSERT_EQUAL(m.nb_records, 2);
}

/* A tagged report: same IP/IGMP bytes after the tag, padded to 64. */
static void
test_igmp_build_vlan(void)
{
	struct cg_pkt_info pi;
	struct cg_pkt_igmp m;
	int n;

	n = cg_pkt_igmp_build_v2_report(buf, sizeof(buf), mac_a, a4(198, 18, 200, 1),
					a4(239, 1, 2, 3), 0x0123);
	CU_ASSERT_EQUAL_FATAL(n, 64);
	CU_ASSERT_EQUAL(memcmp(buf, linux_v2_report, 12), 0);
	CU_ASSERT_EQUAL(get16(buf + 12), 0x8100);
	CU_ASSERT_EQUAL(get16(buf + 14), 0x0123);
	CU_ASSERT_EQUAL(memcmp(buf + 16, linux_v2_report + 12, sizeof(linux_v2_report) - 12), 0);
	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(buf, (uint32_t)n, CG_PKT_F_CHECK_IP_CSUM, &pi),
			      CG_PKT_IGMP);
	CU_ASSERT_EQUAL(pi.vlan_tci[0], 0x0123);
	CU_ASSERT_EQUAL(cg_pkt_igmp_parse(buf + pi.l4_off, pi.l4_len, &m), CG_PKT_IGMP_OK);
}

static void
test_igmp_build_errors(void)
{
	uint32_t s[1] = { 1 };
	struct cg_pkt_igmp_rec r = { .type = CG_PKT_IGMP_CHANGE_TO_EXCLUDE, .group_be = 1 };
	struct cg_pkt_igmp_rec *many;

	CU_ASSERT_EQUAL(cg_pkt_igmp_build_v3_report(buf, sizeof(buf), mac_a, 1, &r, 0,
						    CG_PKT_NO_VLAN), -EINVAL);
	CU_ASSERT_EQUAL(cg_pkt_igmp_build_v3_report(buf, sizeof(buf), mac_a, 1, NULL, 1,
						    CG_PKT_NO_VLAN), -EINVAL);
	r.type = 0;
	CU_ASSERT_EQUAL(cg_pkt_igmp_build_v3_report(buf, sizeof(buf), mac_a, 1, &r, 1,
						    CG_PKT_NO_VLAN), -EINVAL);
	r.type = 7;
	CU_ASSERT_EQUAL(cg_pkt_igmp_build_v3_report(buf, sizeof(buf), mac_a, 1, &r, 1,
						    CG_PKT_NO_VLAN), -EINVAL);
	r.type = CG_PKT_IGMP_ALLOW_NEW_SOURCES;
	r.nb_sources = 1;	/* but no array */
	CU_ASSERT_EQUAL(cg_pkt_igmp_build_v3_report(buf, sizeof(buf), mac_a, 1, &r, 1,
						    CG_PKT_NO_VLAN), -EINVAL);
	r.sources_be = s;
	/* 14 + 24 + 8 + 12 = 58 -> padded 60 */
	CU_ASSERT_EQUAL(cg_pkt_igmp_build_v3_report(buf, 59, mac_a, 1, &r, 1, CG_PKT_NO_VLAN),
			-ENOSPC);
	CU_ASSERT_EQUAL(cg_pkt_igmp_build_v3_report(buf, 60, mac_a, 1, &r, 1, CG_PKT_NO_VLAN),
			60);
	CU_ASSERT_EQUAL(cg_pkt_igmp_build_v2_report(buf, 59, mac_a, 1, 2, CG_PKT_NO_VLAN),
			-ENOSPC);
	CU_ASSERT_EQUAL(cg_pkt_igmp_build_v2_leave(buf, 63, mac_a, 1, 2, 9), -ENOSPC);
	/* more records than an IPv4 datagram holds */
	many = calloc(8200, sizeof(*many));
	CU_ASSERT_PTR_NOT_NULL_FATAL(many);
	for (int i = 0; i < 8200; i++)
		many[i].type = CG_PKT_IGMP_CHANGE_TO_EXCLUDE;
	CU_ASSERT_EQUAL(cg_pkt_igmp_build_v3_report(buf, sizeof(buf), mac_a, 1, many, 8200,
						    CG_PKT_NO_VLAN), -EINVAL);
	free(many);
}

/* ------------------------------------------------------------------------ */
/* IGMPv3 report packer                                                     */

static uint8_t big_frame[9100];

/* Walk a packed report: check framing, return its records' groups and sizes. */
static unsigned int
check_packed(const uint8_t *f, int len, unsigned int mtu, uint32_t *groups, uint16_t *nsrc)
{
	struct cg_pkt_info pi;
	struct cg_pkt_igmp m;
	const uint8_t *r;
	unsigned int n;

	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(f, (uint32_t)len, CG_PKT_F_CHECK_IP_CSUM, &pi),
			      CG_PKT_IGMP);
	CU_ASSERT(get16(f + 14 + 2) <= mtu);		/* IP total length */
	CU_ASSERT_EQUAL(get16(f + 14 + 2), pi.l4_off - 14 + pi.l4_len);
	CU_ASSERT_EQUAL(memcmp(f, "\x01\x00\x5e\x00\x00\x16", 6), 0);
	CU_ASSERT_EQUAL_FATAL(cg_pkt_igmp_parse(f + pi.l4_off, pi.l4_len, &m), CG_PKT_IGMP_OK);
	CU_ASSERT_EQUAL(m.type, CG_PKT_IGMP_V3_REPORT);
	r = f + pi.l4_off + 8;
	for (n = 0; n < m.nb_records; n++) {
		memcpy(&groups[n], r + 4, 4);
		nsrc[n] = get16(r + 2);
		r += 8 + 4 * (size_t)nsrc[n];
	}
	CU_ASSERT_EQUAL((size_t)(r - f), (size_t)pi.l4_off + pi.l4_len);
	return n;
}

/* 1000 any-source joins at MTU 1500: 183 records a report, all there, in order. */
static void
test_igmp_pack_many(void)
{
	const unsigned int mtu = 1500, total = 1000, per = (1500 - 24 - 8) / 8;
	struct cg_pkt_igmp_v3_pack pk;
	static uint32_t got[2000];
	uint16_t nsrc[2000];
	unsigned int n = 0, frames = 0, k;
	int len;

	CU_ASSERT_EQUAL_FATAL(cg_pkt_igmp_v3_pack_init(&pk, big_frame, sizeof(big_frame), mtu,
						       CG_PKT_NO_VLAN), 0);
	for (k = 0; k < total; k++) {
		uint32_t g = a4(239, 26, (uint8_t)(k >> 8), (uint8_t)k);
		int ret = cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_CHANGE_TO_EXCLUDE, g, NULL, 0);

		if (ret == -ENOSPC) {
			CU_ASSERT_EQUAL(pk.nb_recs, per);
			CU_ASSERT(!cg_pkt_igmp_v3_pack_fits(&pk, 0));
			len = cg_pkt_igmp_v3_pack_finish(&pk, mac_a, a4(198, 18, 26, 2));
			CU_ASSERT_EQUAL(len, 14 + 24 + 8 + 8 * (int)per);
			n += check_packed(big_frame, len, mtu, got + n, nsrc + n);
			frames++;
			ret = cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_CHANGE_TO_EXCLUDE, g,
						      NULL, 0);
		}
		CU_ASSERT_EQUAL(ret, 0);
	}
	len = cg_pkt_igmp_v3_pack_finish(&pk, mac_a, a4(198, 18, 26, 2));
	n += check_packed(big_frame, len, mtu, got + n, nsrc + n);
	frames++;
	CU_ASSERT_EQUAL(frames, (total + per - 1) / per);
	CU_ASSERT_EQUAL_FATAL(n, total);
	for (k = 0; k < total; k++) {
		CU_ASSERT_EQUAL(got[k], a4(239, 26, (uint8_t)(k >> 8), (uint8_t)k));
		CU_ASSERT_EQUAL(nsrc[k], 0);
	}
	/* finished: empty again */
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_finish(&pk, mac_a, 1), -EINVAL);
}

/* The packer's one-record report is the single-record builder's, byte for byte. */
static void
test_igmp_pack_same_as_build(void)
{
	uint32_t s1[2] = { a4(198, 18, 200, 7), a4(198, 18, 200, 8) };
	uint32_t s2[1] = { a4(198, 18, 200, 9) };
	struct cg_pkt_igmp_v3_pack pk;
	int n;

	CU_ASSERT_EQUAL_FATAL(cg_pkt_igmp_v3_pack_init(&pk, big_frame, sizeof(big_frame), 1500,
						       CG_PKT_NO_VLAN), 0);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_ALLOW_NEW_SOURCES,
						a4(239, 1, 2, 3), s1, 2), 2);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_BLOCK_OLD_SOURCES,
						a4(239, 1, 2, 4), s2, 1), 1);
	n = cg_pkt_igmp_v3_pack_finish(&pk, mac_a, a4(198, 18, 200, 1));
	assert_same_frame(big_frame, n, want_v3_sg, sizeof(want_v3_sg));
}

/* Small MTU: a long source list is split in an empty report, refused in a full one. */
static void
test_igmp_pack_split(void)
{
	struct cg_pkt_igmp_v3_pack pk;
	uint32_t srcs[20], g[8];
	uint16_t nsrc[8];
	int len;

	for (int i = 0; i < 20; i++)
		srcs[i] = a4(198, 18, 26, (uint8_t)(i + 1));
	/* MTU 68: 68 - 24 - 8 - 8 = 28 bytes: 7 sources in a record at most */
	CU_ASSERT_EQUAL_FATAL(cg_pkt_igmp_v3_pack_init(&pk, big_frame, sizeof(big_frame), 68,
						       CG_PKT_NO_VLAN), 0);
	CU_ASSERT(cg_pkt_igmp_v3_pack_fits(&pk, 7));
	CU_ASSERT(!cg_pkt_igmp_v3_pack_fits(&pk, 8));
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_MODE_IS_INCLUDE,
						a4(239, 26, 0, 1), srcs, 20), 7);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_MODE_IS_INCLUDE,
						a4(239, 26, 0, 2), NULL, 0), -ENOSPC);
	len = cg_pkt_igmp_v3_pack_finish(&pk, mac_a, 1);
	CU_ASSERT_EQUAL(len, 14 + 68);
	CU_ASSERT_EQUAL(check_packed(big_frame, len, 68, g, nsrc), 1);
	CU_ASSERT_EQUAL(nsrc[0], 7);
	CU_ASSERT_EQUAL(memcmp(big_frame + 14 + 24 + 16, srcs, 28), 0);
	/* two small records, then one that does not fit: -ENOSPC, nothing added */
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_ALLOW_NEW_SOURCES,
						a4(239, 26, 0, 3), srcs, 1), 1);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_ALLOW_NEW_SOURCES,
						a4(239, 26, 0, 4), srcs, 1), 1);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_ALLOW_NEW_SOURCES,
						a4(239, 26, 0, 5), srcs, 2), -ENOSPC);
	CU_ASSERT_EQUAL(pk.nb_recs, 2);
	len = cg_pkt_igmp_v3_pack_finish(&pk, mac_a, 1);
	CU_ASSERT_EQUAL(check_packed(big_frame, len, 68, g, nsrc), 2);
	CU_ASSERT_EQUAL(g[1], a4(239, 26, 0, 4));
}

/* Jumbo MTU fills up to it; the buffer bounds it too; bad arguments. */
static void
test_igmp_pack_limits(void)
{
	struct cg_pkt_igmp_v3_pack pk;
	unsigned int n = 0;
	int len;

	CU_ASSERT_EQUAL_FATAL(cg_pkt_igmp_v3_pack_init(&pk, big_frame, sizeof(big_frame), 9000,
						       CG_PKT_NO_VLAN), 0);
	while (cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_MODE_IS_EXCLUDE, htonl(0xef1a0000 + n),
				       NULL, 0) == 0)
		n++;
	CU_ASSERT_EQUAL(n, (9000 - 32) / 8);
	len = cg_pkt_igmp_v3_pack_finish(&pk, mac_a, 1);
	CU_ASSERT(len <= 9014);
	/* a 1500-byte buffer caps a 9000 MTU (tagged: 18 bytes of L2) */
	CU_ASSERT_EQUAL_FATAL(cg_pkt_igmp_v3_pack_init(&pk, big_frame, 1500, 9000, 5), 0);
	n = 0;
	while (cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_MODE_IS_EXCLUDE, htonl(0xef1a0000 + n),
				       NULL, 0) == 0)
		n++;
	CU_ASSERT_EQUAL(n, (1500 - 18 - 24 - 8) / 8);
	len = cg_pkt_igmp_v3_pack_finish(&pk, mac_a, 1);
	CU_ASSERT(len > 0 && len <= 1500);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_init(&pk, big_frame, sizeof(big_frame), 39,
						 CG_PKT_NO_VLAN), -EINVAL);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_init(&pk, big_frame, sizeof(big_frame), 40,
						 CG_PKT_NO_VLAN), 0);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_init(&pk, big_frame, 40, 1500, CG_PKT_NO_VLAN),
			-EINVAL);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_init(&pk, big_frame, sizeof(big_frame), 1500,
						 0x10000), -EINVAL);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_init(&pk, big_frame, sizeof(big_frame), 1500,
						 CG_PKT_NO_VLAN), 0);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_add(&pk, 0, 1, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_add(&pk, 7, 1, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(cg_pkt_igmp_v3_pack_add(&pk, CG_PKT_IGMP_ALLOW_NEW_SOURCES, 1, NULL, 1),
			-EINVAL);
	CU_ASSERT_EQUAL(pk.nb_recs, 0);
}

/* ------------------------------------------------------------------------ */
/* UDP builder                                                              */

/* Rebuild the kernel's datagram from its parts: same bytes but id/DF/TTL. */
static void
test_build_udp_vs_linux(void)
{
	static const uint8_t dmac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
	struct cg_pkt_info pi;
	uint8_t want[sizeof(linux_udp)];
	int n;

	n = cg_pkt_build_udp(buf, sizeof(buf), mac_a, dmac, a4(198, 18, 200, 1),
			     a4(239, 1, 2, 3), htons(40000), htons(5001), 16,
			     "castgate lib/pkt test vector", 28, CG_PKT_NO_VLAN);
	CU_ASSERT_EQUAL_FATAL(n, 70);
	/* the kernel used id 0x9acd and DF; the builder uses id 0 and no DF */
	memcpy(want, linux_udp, sizeof(want));
	want[18] = want[19] = want[20] = 0;
	put16(want + 24, 0);
	put16(want + 24, ref_csum(want + 14, 20, 0));
	CU_ASSERT_EQUAL(memcmp(buf, want, sizeof(want)), 0);
	/* the UDP part does not depend on id/DF: 0xb61f as captured */
	CU_ASSERT_EQUAL(get16(buf + 40), 0xb61f);
	CU_ASSERT_EQUAL(cg_pkt_parse(buf, (uint32_t)n, ALL_CHECKS, &pi), CG_PKT_UDP);
}

static void
test_build_udp_small_and_vlan(void)
{
	static uint8_t big[1400];
	struct cg_pkt_info pi;
	int n;

	/* 42 bytes of headers, no payload: padded to 60 with zeros */
	memset(buf, 0xee, sizeof(buf));
	n = cg_pkt_build_udp(buf, sizeof(buf), mac_a, mac_b, a4(198, 18, 200, 1),
			     a4(198, 18, 200, 2), htons(1), htons(2), 64, NULL, 0,
			     CG_PKT_NO_VLAN);
	CU_ASSERT_EQUAL_FATAL(n, 60);
	for (int i = 42; i < 60; i++)
		CU_ASSERT_EQUAL(buf[i], 0);
	CU_ASSERT_EQUAL(buf[60], 0xee);
	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(buf, (uint32_t)n, ALL_CHECKS, &pi), CG_PKT_UDP);
	CU_ASSERT_EQUAL(pi.payload_len, 0);
	CU_ASSERT_EQUAL(pi.total_len, 28);

	n = cg_pkt_build_udp(buf, sizeof(buf), mac_a, mac_b, a4(198, 18, 200, 1),
			     a4(239, 7, 7, 7), htons(1), htons(2), 5, "abc", 3, 0xe07b);
	CU_ASSERT_EQUAL_FATAL(n, 64);
	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(buf, (uint32_t)n, ALL_CHECKS, &pi), CG_PKT_UDP);
	CU_ASSERT_EQUAL(pi.vlan_tci[0], 0xe07b);
	CU_ASSERT_EQUAL(pi.payload_len, 3);
	CU_ASSERT_EQUAL(pi.ttl, 5);
	CU_ASSERT_EQUAL(memcmp(buf + pi.payload_off, "abc", 3), 0);

	/* large: no padding, exact size fits, one less does not */
	n = cg_pkt_build_udp(buf, 42 + 1400, mac_a, mac_b, 1, 2, 3, 4, 5, big, 1400,
			     CG_PKT_NO_VLAN);
	CU_ASSERT_EQUAL(n, 1442);
	n = cg_pkt_build_udp(buf, 42 + 1399, mac_a, mac_b, 1, 2, 3, 4, 5, big, 1400,
			     CG_PKT_NO_VLAN);
	CU_ASSERT_EQUAL(n, -ENOSPC);
	n = cg_pkt_build_udp(buf, sizeof(buf), mac_a, mac_b, 1, 2, 3, 4, 5, buf, 65535 - 27,
			     CG_PKT_NO_VLAN);
	CU_ASSERT_EQUAL(n, -EINVAL);
	n = cg_pkt_build_udp(buf, sizeof(buf), mac_a, mac_b, 1, 2, 3, 4, 5, NULL, 1,
			     CG_PKT_NO_VLAN);
	CU_ASSERT_EQUAL(n, -EINVAL);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_mcast_mac),
		CG_UNIT_TEST(test_mcast_ranges),
		CG_UNIT_TEST(test_arp_request_bytes),
		CG_UNIT_TEST(test_arp_round_trip),
		CG_UNIT_TEST(test_arp_build_errors),
		CG_UNIT_TEST(test_arp_malformed),
		CG_UNIT_TEST(test_igmp_parse_v2_query),
		CG_UNIT_TEST(test_igmp_parse_v1_query),
		CG_UNIT_TEST(test_igmp_parse_v3_query),
		CG_UNIT_TEST(test_igmp_parse_reports),
		CG_UNIT_TEST(test_igmp_malformed),
		CG_UNIT_TEST(test_igmp_build_v3_vs_linux),
		CG_UNIT_TEST(test_igmp_build_v2_vs_linux),
		CG_UNIT_TEST(test_igmp_build_v1),
		CG_UNIT_TEST(test_igmp_build_v3_sources),
		CG_UNIT_TEST(test_igmp_build_vlan),
		CG_UNIT_TEST(test_igmp_build_errors),
		CG_UNIT_TEST(test_igmp_pack_many),
		CG_UNIT_TEST(test_igmp_pack_same_as_build),
		CG_UNIT_TEST(test_igmp_pack_split),
		CG_UNIT_TEST(test_igmp_pack_limits),
		CG_UNIT_TEST(test_build_udp_vs_linux),
		CG_UNIT_TEST(test_build_udp_small_and_vlan),
		CG_UNIT_END,
	};

	return cg_unit_run("pkt_arp_igmp", tests);
}
