/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/pkt: checksums against known vectors, a naive reference, and each other. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cg_pkt.h"
#include "cg_unit.h"
#include "linux_frames.h"
#include "pkt_test.h"

/* Store a memory-order checksum and read it back as a host-order number. */
static uint16_t
as_host(uint16_t mem)
{
	return ntohs(mem);
}

/* RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2. */
static void
test_rfc1071_example(void)
{
	static const uint8_t b[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint32_t s;

	s = cg_pkt_csum_add(b, sizeof(b), 0);
	CU_ASSERT_EQUAL(as_host(cg_pkt_csum_fold(s)), 0x220d);	/* ~0xddf2 */
	/* the same sum taken in two chunks (even split) */
	s = cg_pkt_csum_add(b + 4, 4, cg_pkt_csum_add(b, 4, 0));
	CU_ASSERT_EQUAL(as_host(cg_pkt_csum_fold(s)), 0x220d);
	s = cg_pkt_csum_add(b + 2, 6, cg_pkt_csum_add(b, 2, 0));
	CU_ASSERT_EQUAL(as_host(cg_pkt_csum_fold(s)), 0x220d);
	CU_ASSERT_EQUAL(ref_csum(b, sizeof(b), 0), 0x220d);
	/* odd length: the last byte is the high half of a zero-padded word */
	/* 0x0001 + 0xf203 + 0xf4f5 + 0xf600 = 0x2dcf9 -> 0xdcfb -> ~ = 0x2304 */
	CU_ASSERT_EQUAL(as_host(cg_pkt_csum_fold(cg_pkt_csum_add(b, 7, 0))), 0x2304);
	CU_ASSERT_EQUAL(ref_csum(b, 7, 0), 0x2304);
	CU_ASSERT_EQUAL(as_host(cg_pkt_csum_fold(cg_pkt_csum_add(b, 0, 0))), 0xffff);
}

/* Known IPv4 headers: a textbook one and two the Linux kernel sent. */
static void
test_ipv4_known(void)
{
	/* 192.168.0.1 -> 192.168.0.199 UDP, checksum 0xb861 */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	CU_ASSERT_EQUAL(as_host(cg_pkt_ipv4_csum(h, 20)), 0xb861);
	CU_ASSERT_TRUE(cg_pkt_ipv4_csum_ok(h, 20));
	h[10] = 0;	/* the checksum field's content does not matter */
	CU_ASSERT_EQUAL(as_host(cg_pkt_ipv4_csum(h, 20)), 0xb861);
	CU_ASSERT_FALSE(cg_pkt_ipv4_csum_ok(h, 20));

	CU_ASSERT_EQUAL(as_host(cg_pkt_ipv4_csum(linux_udp + 14, 20)), 0x50cf);
	CU_ASSERT_TRUE(cg_pkt_ipv4_csum_ok(linux_udp + 14, 20));
	/* 24-byte header with the Router Alert option */
	CU_ASSERT_EQUAL(as_host(cg_pkt_ipv4_csum(linux_v3_join + 14, 24)), 0x75e5);
	CU_ASSERT_TRUE(cg_pkt_ipv4_csum_ok(linux_v3_join + 14, 24));
	CU_ASSERT_EQUAL(as_host(cg_pkt_ipv4_csum(linux_v2_query + 14, 24)), 0x0417);
}

/* The kernel's UDP datagram: 0xb61f over pseudo-header + 36 bytes. */
static void
test_udp_known(void)
{
	uint32_t src, dst;
	uint8_t copy[sizeof(linux_udp)];

	memcpy(&src, linux_udp + 26, 4);
	memcpy(&dst, linux_udp + 30, 4);
	CU_ASSERT_EQUAL(as_host(cg_pkt_udp_csum(src, dst, linux_udp + 34, 36)), 0xb61f);
	CU_ASSERT_TRUE(cg_pkt_udp_csum_ok(src, dst, linux_udp + 34, 36));
	/* wrong address in the pseudo-header */
	CU_ASSERT_FALSE(cg_pkt_udp_csum_ok(src ^ htonl(1), dst, linux_udp + 34, 36));
	/* odd length: drop the last payload byte and compare with the reference */
	memcpy(copy, linux_udp, sizeof(copy));
	put16(copy + 34 + 4, 35);
	CU_ASSERT_EQUAL(as_host(cg_pkt_udp_csum(src, dst, copy + 34, 35)),
			ref_udp_csum(copy + 26, copy + 30, copy + 34, 35));
	/* no checksum: always ok */
	copy[34 + 6] = copy[34 + 7] = 0;
	CU_ASSERT_TRUE(cg_pkt_udp_csum_ok(src, dst, copy + 34, 35));
}

/* A datagram whose sum comes out as 0 must get 0xffff (RFC 768). */
static void
test_udp_zero_becomes_ffff(void)
{
	uint8_t u[12] = { 0x9c, 0x40, 0x13, 0x89, 0x00, 0x0c, 0x00, 0x00, 0, 0, 0, 0 };
	uint32_t src = htonl(IP4(198, 18, 200, 1)), dst = htonl(IP4(239, 1, 2, 3));
	uint16_t c = ref_udp_csum((const uint8_t *)&src, (const uint8_t *)&dst, u, 12);

	/* the payload word that makes the one's complement sum all ones */
	put16(u + 8, c);
	CU_ASSERT_EQUAL(cg_pkt_udp_csum(src, dst, u, 12), 0xffff);
	put16(u + 6, 0xffff);
	CU_ASSERT_TRUE(cg_pkt_udp_csum_ok(src, dst, u, 12));
}

/* Library sum == naive reference over random data, lengths and alignments. */
static void
test_csum_vs_reference(void)
{
	static uint8_t buf[1600];
	uint32_t st = 1071;
	int iter, bad = 0;
	size_t i;

	for (iter = 0; iter < 3000; iter++) {
		size_t align = trand(&st) % 8, len = trand(&st) % 1500, split;
		uint32_t s;

		for (i = 0; i < len; i++)
			buf[align + i] = (uint8_t)trand(&st);
		if (iter % 50 == 0)
			memset(buf + align, 0xff, len);	/* carries everywhere */
		if (as_host(cg_pkt_csum_fold(cg_pkt_csum_add(buf + align, len, 0))) !=
		    ref_csum(buf + align, len, 0))
			bad++;
		/* chunked at an even split point gives the same result */
		split = len ? (trand(&st) % len) & ~(size_t)1 : 0;
		s = cg_pkt_csum_add(buf + align, split, 0);
		s = cg_pkt_csum_add(buf + align + split, len - split, s);
		if (as_host(cg_pkt_csum_fold(s)) != ref_csum(buf + align, len, 0))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* RFC 1624 section 4: eqn. 3 gives 0x0000, where eqn. 2 would give -0 (0xffff). */
static void
test_rfc1624_example(void)
{
	CU_ASSERT_EQUAL(cg_pkt_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	/* no change is no change */
	CU_ASSERT_EQUAL(cg_pkt_csum_update16(0x1234, 0xabcd, 0xabcd), 0x1234);
	CU_ASSERT_EQUAL(cg_pkt_csum_update32(0x1234, 0xdeadbeef, 0xdeadbeef), 0x1234);
	/* UDP flavour: none stays none, a zero result is sent as all ones */
	CU_ASSERT_EQUAL(cg_pkt_udp_csum_update16(0, 0x5555, 0x3285), 0);
	CU_ASSERT_EQUAL(cg_pkt_udp_csum_update32(0, 0x55555555, 0x32853285), 0);
	CU_ASSERT_EQUAL(cg_pkt_udp_csum_update16(0xdd2f, 0x5555, 0x3285), 0xffff);
}

/* Incremental updates == full recomputation, IPv4 header and UDP. */
static void
test_incremental_vs_full(void)
{
	static uint8_t u[8 + 64];
	uint8_t h[20];
	uint32_t st = 1624;
	int iter, bad = 0;
	size_t i;

	for (iter = 0; iter < 5000; iter++) {
		uint32_t old32, new32, src, dst;
		uint16_t c, old16, new16;
		size_t pl = trand(&st) % 64;

		/* IPv4: change the TTL/proto word and the destination address */
		for (i = 0; i < 20; i++)
			h[i] = (uint8_t)trand(&st);
		c = cg_pkt_ipv4_csum(h, 20);
		memcpy(h + 10, &c, 2);
		memcpy(&old16, h + 8, 2);
		new16 = (uint16_t)trand(&st);
		memcpy(h + 8, &new16, 2);
		c = cg_pkt_csum_update16(c, old16, new16);
		memcpy(&old32, h + 16, 4);
		new32 = iter % 7 ? trand(&st) : 0;
		memcpy(h + 16, &new32, 4);
		c = cg_pkt_csum_update32(c, old32, new32);
		if (c != cg_pkt_ipv4_csum(h, 20))
			bad++;
		h[10] = h[11] = 0;
		if (as_host(c) != ref_csum(h, 20, 0))
			bad++;

		/* UDP: change the addresses and the destination port */
		for (i = 0; i < 8 + pl; i++)
			u[i] = (uint8_t)trand(&st);
		put16(u + 4, (uint16_t)(8 + pl));
		src = trand(&st);
		dst = trand(&st);
		c = cg_pkt_udp_csum(src, dst, u, (uint16_t)(8 + pl));
		new32 = trand(&st);
		c = cg_pkt_udp_csum_update32(c, src, new32);
		src = new32;
		new32 = trand(&st);
		c = cg_pkt_udp_csum_update32(c, dst, new32);
		dst = new32;
		memcpy(&old16, u + 2, 2);
		new16 = (uint16_t)trand(&st);
		memcpy(u + 2, &new16, 2);
		c = cg_pkt_udp_csum_update16(c, old16, new16);
		if (c != cg_pkt_udp_csum(src, dst, u, (uint16_t)(8 + pl)))
			bad++;
		memcpy(u + 6, &c, 2);
		if (!cg_pkt_udp_csum_ok(src, dst, u, (uint16_t)(8 + pl)))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_rfc1071_example),
		CG_UNIT_TEST(test_ipv4_known),
		CG_UNIT_TEST(test_udp_known),
		CG_UNIT_TEST(test_udp_zero_becomes_ffff),
		CG_UNIT_TEST(test_csum_vs_reference),
		CG_UNIT_TEST(test_rfc1624_example),
		CG_UNIT_TEST(test_incremental_vs_full),
		CG_UNIT_END,
	};

	return cg_unit_run("pkt_csum", tests);
}
