/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/pkt: cg_pkt_rewrite_hdr(), byte by byte, in place, and at random. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cg_pkt.h"
#include "cg_unit.h"
#include "linux_frames.h"
#include "pkt_test.h"

#define ALL_CHECKS (CG_PKT_F_CHECK_IP_CSUM | CG_PKT_F_CHECK_UDP_CSUM)

/*
 * linux_udp rewritten to 198.18.200.10 -> 239.2.2.2:6001, TTL 8, source port
 * kept, MAC 02:00:c6:12:c8:0a -> 01:00:5e:02:02:02. Checksums computed
 * independently (full recomputation in a script), not by the library.
 */
static const uint8_t want_plain[42] = {
	0x01, 0x00, 0x5e, 0x02, 0x02, 0x02, 0x02, 0x00, 0xc6, 0x12, 0xc8, 0x0a,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x38, 0x9a, 0xcd, 0x40, 0x00, 0x08, 0x11,
	0x58, 0xc6, 0xc6, 0x12, 0xc8, 0x0a, 0xef, 0x02, 0x02, 0x02, 0x9c, 0x40,
	0x17, 0x71, 0x00, 0x24, 0xb2, 0x2e,
};

/* The same with source port 7000 and an 802.1Q tag, TCI 0x6064 (PCP 3, VID 100). */
static const uint8_t want_vlan[46] = {
	0x01, 0x00, 0x5e, 0x02, 0x02, 0x02, 0x02, 0x00, 0xc6, 0x12, 0xc8, 0x0a,
	0x81, 0x00, 0x60, 0x64, 0x08, 0x00, 0x45, 0x00, 0x00, 0x38, 0x9a, 0xcd,
	0x40, 0x00, 0x08, 0x11, 0x58, 0xc6, 0xc6, 0x12, 0xc8, 0x0a, 0xef, 0x02,
	0x02, 0x02, 0x1b, 0x58, 0x17, 0x71, 0x00, 0x24, 0x33, 0x17,
};

static struct cg_pkt_rewrite
base_rw(void)
{
	struct cg_pkt_rewrite rw = {
		.src_mac = { 0x02, 0x00, 0xc6, 0x12, 0xc8, 0x0a },
		.ttl = 8,
	};

	rw.src_ip_be = htonl(IP4(198, 18, 200, 10));
	rw.dst_ip_be = htonl(IP4(239, 2, 2, 2));
	rw.dport_be = htons(6001);
	cg_pkt_mcast_mac(rw.dst_ip_be, rw.dst_mac);
	return rw;
}

static void
test_hdr_len(void)
{
	CU_ASSERT_EQUAL(cg_pkt_rewrite_hdr_len(false), 42);
	CU_ASSERT_EQUAL(cg_pkt_rewrite_hdr_len(true), 46);
}

static void
test_rewrite_bytes(void)
{
	struct cg_pkt_rewrite rw = base_rw();
	struct cg_pkt_info pi;
	uint8_t out[64];

	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(linux_udp, sizeof(linux_udp), ALL_CHECKS, &pi),
			      CG_PKT_UDP);
	memset(out, 0xee, sizeof(out));
	CU_ASSERT_EQUAL(cg_pkt_rewrite_hdr(out, &pi, &rw), 42);
	CU_ASSERT_EQUAL(memcmp(out, want_plain, sizeof(want_plain)), 0);
	CU_ASSERT_EQUAL(out[42], 0xee);	/* nothing written past the header */

	rw.sport_be = htons(7000);
	rw.vlan = true;
	rw.vlan_tci = 0x6064;
	memset(out, 0xee, sizeof(out));
	CU_ASSERT_EQUAL(cg_pkt_rewrite_hdr(out, &pi, &rw), 46);
	CU_ASSERT_EQUAL(memcmp(out, want_vlan, sizeof(want_vlan)), 0);
	CU_ASSERT_EQUAL(out[46], 0xee);
}

/* TTL 0 and ports 0 mean "keep"; a missing UDP checksum stays missing. */
static void
test_rewrite_keep_and_no_csum(void)
{
	struct cg_pkt_rewrite rw = base_rw();
	struct cg_pkt_info pi, po;
	uint8_t in[sizeof(linux_udp)], out[128];

	memcpy(in, linux_udp, sizeof(in));
	in[34 + 6] = in[34 + 7] = 0;
	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(in, sizeof(in), ALL_CHECKS, &pi), CG_PKT_UDP);
	rw.ttl = 0;
	rw.dport_be = 0;
	CU_ASSERT_EQUAL_FATAL(cg_pkt_rewrite_hdr(out, &pi, &rw), 42);
	memcpy(out + 42, in + pi.payload_off, pi.payload_len);
	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(out, 42u + pi.payload_len, ALL_CHECKS, &po),
			      CG_PKT_UDP);
	CU_ASSERT_EQUAL(po.ttl, 16);
	CU_ASSERT_EQUAL(ntohs(po.sport_be), 40000);
	CU_ASSERT_EQUAL(ntohs(po.dport_be), 5001);
	CU_ASSERT_EQUAL(po.udp_csum_be, 0);
	CU_ASSERT_EQUAL(ntohl(po.src_ip_be), IP4(198, 18, 200, 10));
}

/* A corrupted input checksum stays wrong: the relay never launders errors. */
static void
test_rewrite_keeps_bad_csum_bad(void)
{
	struct cg_pkt_rewrite rw = base_rw();
	struct cg_pkt_info pi, po;
	uint8_t in[sizeof(linux_udp)], out[128];

	memcpy(in, linux_udp, sizeof(in));
	in[50] ^= 0x20;	/* payload corrupted in transit */
	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(in, sizeof(in), CG_PKT_F_CHECK_IP_CSUM, &pi),
			      CG_PKT_UDP);
	cg_pkt_rewrite_hdr(out, &pi, &rw);
	memcpy(out + 42, in + pi.payload_off, pi.payload_len);
	CU_ASSERT_EQUAL(cg_pkt_parse(out, 42u + pi.payload_len, ALL_CHECKS, &po), CG_PKT_DROP);
	CU_ASSERT_EQUAL(po.drop, CG_PKT_DROP_BAD_UDP_CHECKSUM);
}

/* Options, QinQ and padding in; a clean 42/46-byte header out. */
static void
test_rewrite_drops_options(void)
{
	struct tspec s = {
		.ntags = 2, .tpid = { 0x88a8, 0x8100 }, .tci = { 10, 20 }, .ihl = 15,
		.src = IP4(198, 18, 201, 1), .dst = IP4(239, 9, 9, 9), .sport = 1234,
		.dport = 5678, .ttl = 64, .tos = 0x88, .id = 0xbeef, .frag = 0,
		.payload_len = 333, .pad = 5,
	};
	struct cg_pkt_rewrite rw = base_rw();
	struct cg_pkt_info pi, po;
	static uint8_t in[1024], out[1024];
	struct tlayout l = tframe(in, &s);
	uint16_t n;

	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(in, (uint32_t)l.len, ALL_CHECKS, &pi), CG_PKT_UDP);
	rw.vlan = true;
	rw.vlan_tci = 300;
	n = cg_pkt_rewrite_hdr(out, &pi, &rw);
	CU_ASSERT_EQUAL_FATAL(n, 46);
	memcpy(out + n, in + pi.payload_off, pi.payload_len);
	CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(out, (uint32_t)n + pi.payload_len, ALL_CHECKS, &po),
			      CG_PKT_UDP);
	CU_ASSERT_EQUAL(po.nb_vlans, 1);
	CU_ASSERT_EQUAL(po.vlan_tpid[0], 0x8100);
	CU_ASSERT_EQUAL(po.vlan_tci[0], 300);
	CU_ASSERT_EQUAL(po.ihl, 5);
	CU_ASSERT_EQUAL(po.total_len, 20 + 8 + 333);
	CU_ASSERT_EQUAL(po.tos, 0x88);
	CU_ASSERT_EQUAL(ntohs(po.ip_id_be), 0xbeef);
	CU_ASSERT_FALSE(po.df);
	CU_ASSERT_EQUAL(po.ttl, 8);
	CU_ASSERT_EQUAL(ntohs(po.sport_be), 1234);
	CU_ASSERT_EQUAL(ntohs(po.dport_be), 6001);
	CU_ASSERT_EQUAL(po.payload_len, 333);
	CU_ASSERT_EQUAL(po.udp_csum_be,
			cg_pkt_udp_csum(po.src_ip_be, po.dst_ip_be, out + po.l4_off, 341));
	CU_ASSERT_EQUAL(memcmp(out + po.payload_off, in + pi.payload_off, 333), 0);
}

/*
 * In place: the header is written right before the payload, inside the old
 * headers (shrink), over them exactly, or reaching into headroom (grow).
 * The result must equal a rewrite into a separate buffer.
 */
static void
test_rewrite_in_place(void)
{
	static const struct {
		int ntags, ihl;
		bool vlan_out;
	} cases[] = {
		{ 2, 15, false },	/* 82-byte headers -> 42: out starts inside the options */
		{ 1, 6, true },		/* 50 -> 46 */
		{ 0, 5, false },	/* 42 -> 42: same place */
		{ 0, 5, true },		/* 42 -> 46: 4 bytes into the headroom */
		{ 1, 5, false },	/* 46 -> 42 */
	};
	static uint8_t mem[2048], ref[2048];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tspec s = {
			.ntags = cases[i].ntags, .tpid = { 0x8100, 0x8100 }, .tci = { 5, 6 },
			.ihl = cases[i].ihl, .src = IP4(198, 18, 200, 1),
			.dst = IP4(239, 1, 1, 1), .sport = 1000, .dport = 2000, .ttl = 9,
			.payload_len = 77, .pad = 0,
		};
		struct cg_pkt_rewrite rw = base_rw();
		struct cg_pkt_info pi;
		uint8_t *frame = mem + 128, *out;	/* 128 bytes of headroom, as an mbuf */
		struct tlayout l;
		uint16_t hl, n;

		rw.vlan = cases[i].vlan_out;
		rw.vlan_tci = 7;
		rw.sport_be = htons(4242);
		memset(mem, 0, sizeof(mem));
		l = tframe(frame, &s);
		CU_ASSERT_EQUAL_FATAL(cg_pkt_parse(frame, (uint32_t)l.len, ALL_CHECKS, &pi),
				      CG_PKT_UDP);
		/* reference: separate buffer */
		n = cg_pkt_rewrite_hdr(ref, &pi, &rw);
		memcpy(ref + n, frame + pi.payload_off, pi.payload_len);
		/* in place */
		hl = cg_pkt_rewrite_hdr_len(rw.vlan);
		out = frame + pi.payload_off - hl;
		CU_ASSERT_EQUAL(cg_pkt_rewrite_hdr(out, &pi, &rw), hl);
		CU_ASSERT_EQUAL(memcmp(out, ref, (size_t)hl + pi.payload_len), 0);
	}
}

/* A random source a host can have (the parse drops the others as bad_source). */
static uint32_t
host_src(uint32_t r)
{
	uint32_t first = 1 + (r >> 24) % 222;	/* 1..222 */

	return (first == 127 ? 128 : first) << 24 | (r & 0xffffff);
}

/*
 * A few thousand random rewrites: the incrementally updated UDP checksum
 * equals a full recomputation, and the output parses with all checks on.
 */
static void
test_rewrite_random(void)
{
	static uint8_t in[1024], out[1024];
	uint32_t st = 2026;
	int iter, bad = 0;

	for (iter = 0; iter < 4000; iter++) {
		struct tspec s = {
			.ntags = (int)(trand(&st) % 3), .tpid = { 0x88a8, 0x8100 },
			.ihl = 5 + (int)(trand(&st) % 11), .src = host_src(trand(&st)),
			.dst = trand(&st),
			.sport = (uint16_t)trand(&st), .dport = (uint16_t)trand(&st),
			.ttl = (uint8_t)(1 + trand(&st) % 255), .tos = (uint8_t)trand(&st),
			.id = (uint16_t)trand(&st), .frag = trand(&st) & 1 ? 0x4000 : 0,
			.payload_len = (uint16_t)(trand(&st) % 600),
			.pad = (int)(trand(&st) % 20), .no_udp_csum = trand(&st) % 10 == 0,
		};
		struct cg_pkt_rewrite rw = {
			.src_ip_be = htonl(host_src(trand(&st))), .dst_ip_be = trand(&st),
			.ttl = (uint8_t)trand(&st),
			.sport_be = trand(&st) % 4 ? (uint16_t)trand(&st) : 0,
			.dport_be = trand(&st) % 4 ? (uint16_t)trand(&st) : 0,
			.vlan = trand(&st) & 1, .vlan_tci = (uint16_t)trand(&st),
		};
		struct cg_pkt_info pi, po;
		struct tlayout l = tframe(in, &s);
		uint16_t n, full;

		if (cg_pkt_parse(in, (uint32_t)l.len, ALL_CHECKS, &pi) != CG_PKT_UDP) {
			bad++;
			continue;
		}
		n = cg_pkt_rewrite_hdr(out, &pi, &rw);
		memcpy(out + n, in + pi.payload_off, pi.payload_len);
		if (cg_pkt_parse(out, (uint32_t)n + pi.payload_len, ALL_CHECKS, &po) != CG_PKT_UDP) {
			bad++;
			continue;
		}
		full = cg_pkt_udp_csum(rw.src_ip_be, rw.dst_ip_be, out + po.l4_off,
				       ntohs(po.udp_len_be));
		if (po.udp_csum_be != (s.no_udp_csum ? 0 : full))
			bad++;
		if (po.src_ip_be != rw.src_ip_be || po.dst_ip_be != rw.dst_ip_be ||
		    po.ttl != (rw.ttl ? rw.ttl : pi.ttl) || po.tos != pi.tos ||
		    po.ip_id_be != pi.ip_id_be || po.df != pi.df ||
		    po.sport_be != (rw.sport_be ? rw.sport_be : pi.sport_be) ||
		    po.dport_be != (rw.dport_be ? rw.dport_be : pi.dport_be) ||
		    po.nb_vlans != (rw.vlan ? 1 : 0) || (rw.vlan && po.vlan_tci[0] != rw.vlan_tci))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/*
 * Random rewrites through a template (cg_pkt_tmpl_init + apply) give the
 * same 42 bytes as cg_pkt_rewrite_hdr(); so does a second template written
 * from the same per-packet part (a fan-out's next output); and a VLAN
 * rewrite has no template.
 */
static void
test_tmpl_random(void)
{
	static uint8_t in[1024], want[64], got[64];
	uint32_t st = 1624;
	int iter, bad = 0;

	for (iter = 0; iter < 20000; iter++) {
		struct tspec s = {
			.ihl = 5 + (int)(trand(&st) % 3), .src = host_src(trand(&st)),
			.dst = trand(&st),
			.sport = (uint16_t)trand(&st), .dport = (uint16_t)trand(&st),
			.ttl = (uint8_t)(1 + trand(&st) % 255), .tos = (uint8_t)trand(&st),
			.id = (uint16_t)trand(&st), .frag = trand(&st) & 1 ? 0x4000 : 0,
			.payload_len = (uint16_t)(trand(&st) % 600),
			.pad = (int)(trand(&st) % 4), .no_udp_csum = trand(&st) % 10 == 0,
		};
		struct cg_pkt_rewrite rw = {
			.src_ip_be = trand(&st), .dst_ip_be = trand(&st),
			.ttl = trand(&st) % 4 ? (uint8_t)trand(&st) : 0,
			.sport_be = trand(&st) % 4 ? (uint16_t)trand(&st) : 0,
			.dport_be = trand(&st) % 4 ? (uint16_t)trand(&st) : 0,
		};
		struct cg_pkt_tmpl t;
		struct cg_pkt_info pi;
		struct tlayout l = tframe(in, &s);

		for (int k = 0; k < 6; k++) {
			rw.dst_mac[k] = (uint8_t)trand(&st);
			rw.src_mac[k] = (uint8_t)trand(&st);
		}
		if (trand(&st) % 8 == 0)	/* a corrupt input checksum stays corrupt */
			in[l.l4 + 6] ^= 0x5a;
		if (cg_pkt_parse(in, (uint32_t)l.len, 0, &pi) != CG_PKT_UDP ||
		    cg_pkt_tmpl_init(&t, &rw) != 0) {
			bad++;
			continue;
		}
		memset(got, 0xee, sizeof(got));
		CU_ASSERT_EQUAL(cg_pkt_rewrite_hdr(want, &pi, &rw), CG_PKT_TMPL_HLEN);
		cg_pkt_tmpl_apply(got, &t, &pi);
		if (memcmp(want, got, CG_PKT_TMPL_HLEN) != 0 || got[CG_PKT_TMPL_HLEN] != 0xee)
			bad++;
		{
			struct cg_pkt_tmpl_pkt pp;
			struct cg_pkt_tmpl t2;

			/* Another output of the same packet: other fields kept. */
			rw.ttl = rw.ttl ? 0 : 9;
			rw.sport_be = rw.sport_be ? 0 : 0x1234;
			rw.dst_ip_be ^= 0x00ff00ff;
			cg_pkt_tmpl_pkt_init(&pp, &pi);
			CU_ASSERT_EQUAL(cg_pkt_tmpl_init(&t2, &rw), 0);
			cg_pkt_tmpl_write(got, &t, &pp);
			bad += memcmp(want, got, CG_PKT_TMPL_HLEN) != 0;
			CU_ASSERT_EQUAL(cg_pkt_rewrite_hdr(want, &pi, &rw), CG_PKT_TMPL_HLEN);
			cg_pkt_tmpl_write(got, &t2, &pp);
			bad += memcmp(want, got, CG_PKT_TMPL_HLEN) != 0;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	{
		struct cg_pkt_rewrite rw = base_rw();
		struct cg_pkt_tmpl t;

		rw.vlan = true;
		CU_ASSERT_EQUAL(cg_pkt_tmpl_init(&t, &rw), -1);
	}
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_hdr_len),
		CG_UNIT_TEST(test_rewrite_bytes),
		CG_UNIT_TEST(test_rewrite_keep_and_no_csum),
		CG_UNIT_TEST(test_rewrite_keeps_bad_csum_bad),
		CG_UNIT_TEST(test_rewrite_drops_options),
		CG_UNIT_TEST(test_rewrite_in_place),
		CG_UNIT_TEST(test_rewrite_random),
		CG_UNIT_TEST(test_tmpl_random),
		CG_UNIT_END,
	};

	return cg_unit_run("pkt_rewrite", tests);
}
