/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of castgate-gen's payload format and receive accounting. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "cg_unit.h"
#include "gen_frame.h"
#include "gen_payload.h"
#include "gen_stats.h"

static uint8_t buf[GEN_PAYLOAD_MAX];

static void
test_payload_roundtrip(void)
{
	static const size_t sizes[] = { 32, 33, 1316, 8000, GEN_PAYLOAD_MAX };
	struct gen_hdr h;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&h, 0, sizeof(h));
		CU_ASSERT_EQUAL(gen_payload_encode(buf, sizes[i], 7, 123456789012ull + i,
						   1700000000123456789ull), 0);
		CU_ASSERT_EQUAL(gen_payload_verify(buf, sizes[i], &h), GEN_VERIFY_OK);
		CU_ASSERT_EQUAL(h.stream, 7);
		CU_ASSERT_EQUAL(h.seq, 123456789012ull + i);
		CU_ASSERT_EQUAL(h.tx_ns, 1700000000123456789ull);
		CU_ASSERT_EQUAL(h.len, sizes[i]);
	}
}

static void
test_payload_bounds(void)
{
	CU_ASSERT_EQUAL(gen_payload_encode(buf, 31, 0, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(gen_payload_encode(buf, GEN_PAYLOAD_MAX + 1, 0, 0, 0), -EINVAL);
}

static void
test_payload_wire_format(void)
{
	/* Big-endian fields at fixed offsets: other tools may decode them. */
	static const uint8_t want[28] = {
		'C', 'G', 'E', 'N', 0, 0, 1, 2,
		0, 0, 0, 0, 0, 0, 0, 5,
		0, 0, 0, 0, 0, 0, 0x10, 0,
		0, 0, 0, 40,
	};

	CU_ASSERT_EQUAL(gen_payload_encode(buf, 40, 0x102, 5, 0x1000), 0);
	CU_ASSERT_EQUAL(memcmp(buf, want, sizeof(want)), 0);
	/* filler: (seq * 7 + i) & 0xff */
	CU_ASSERT_EQUAL(buf[32], (uint8_t)(5 * 7 + 32));
	CU_ASSERT_EQUAL(buf[39], (uint8_t)(5 * 7 + 39));
}

static void
test_payload_corruption(void)
{
	struct gen_hdr h;
	size_t len = 1000;

	/* Any single flipped byte anywhere is caught. */
	gen_payload_encode(buf, len, 1, 42, 99);
	for (size_t i = 0; i < len; i++) {
		enum gen_verify v;

		buf[i] ^= 0x20;
		v = gen_payload_verify(buf, len, &h);
		CU_ASSERT_NOT_EQUAL(v, GEN_VERIFY_OK);
		if (i < 4)
			CU_ASSERT_EQUAL(v, GEN_VERIFY_MAGIC);
		if (i >= 24 && i < 28)
			CU_ASSERT_EQUAL(v, GEN_VERIFY_LENGTH);
		buf[i] ^= 0x20;
	}
	CU_ASSERT_EQUAL(gen_payload_verify(buf, len, &h), GEN_VERIFY_OK);
	CU_ASSERT_EQUAL(gen_payload_verify(buf, 31, &h), GEN_VERIFY_SHORT);
	/* Truncated or padded datagrams disagree with the header's length. */
	CU_ASSERT_EQUAL(gen_payload_verify(buf, len - 1, &h), GEN_VERIFY_LENGTH);
	CU_ASSERT_EQUAL(h.seq, 42);
	/* Filler of another packet under this header: the check catches it. */
	{
		static uint8_t other[1000];

		gen_payload_encode(other, len, 1, 43, 99);
		memcpy(other, buf, 32);
		CU_ASSERT_EQUAL(gen_payload_verify(other, len, &h), GEN_VERIFY_CHECK);
	}
	CU_ASSERT_STRING_EQUAL(gen_verify_name(GEN_VERIFY_CHECK), "check");
}

static void
add_all(struct gen_seq *s, const uint64_t *seqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		gen_seq_add(s, seqs[i]);
}

static void
test_seq_in_order(void)
{
	struct gen_seq s;

	CU_ASSERT_EQUAL_FATAL(gen_seq_init(&s, 1000), 0);
	for (uint64_t i = 0; i < 1000; i++)
		gen_seq_add(&s, i);
	CU_ASSERT_EQUAL(s.unique, 1000);
	CU_ASSERT_EQUAL(s.dup, 0);
	CU_ASSERT_EQUAL(s.reordered, 0);
	CU_ASSERT_EQUAL(gen_seq_lost(&s), 0);
	CU_ASSERT_EQUAL(s.first, 0);
	CU_ASSERT_EQUAL(s.last, 999);
	gen_seq_fini(&s);
}

static void
test_seq_loss_dup_reorder(void)
{
	/* 0..9 sent; 3 and 9 lost; 5 duplicated; 7 arrives after 8. */
	static const uint64_t got[] = { 0, 1, 2, 4, 5, 5, 6, 8, 7 };
	struct gen_seq s;

	CU_ASSERT_EQUAL_FATAL(gen_seq_init(&s, 10), 0);
	add_all(&s, got, sizeof(got) / sizeof(got[0]));
	CU_ASSERT_EQUAL(s.unique, 8);
	CU_ASSERT_EQUAL(s.dup, 1);
	CU_ASSERT_EQUAL(s.reordered, 1);
	CU_ASSERT_EQUAL(gen_seq_lost(&s), 2);
	CU_ASSERT_EQUAL(s.lo, 0);
	CU_ASSERT_EQUAL(s.hi, 8);
	CU_ASSERT_EQUAL(s.last, 7);
	gen_seq_fini(&s);

	/* Without a count, only the holes in the range count: 9 is unknowable. */
	CU_ASSERT_EQUAL_FATAL(gen_seq_init(&s, 0), 0);
	add_all(&s, got, sizeof(got) / sizeof(got[0]));
	CU_ASSERT_EQUAL(gen_seq_lost(&s), 1);
	gen_seq_fini(&s);
}

static void
test_seq_expect_edges(void)
{
	struct gen_seq s;

	/* Nothing arrived: all lost. */
	CU_ASSERT_EQUAL_FATAL(gen_seq_init(&s, 5), 0);
	CU_ASSERT_EQUAL(gen_seq_lost(&s), 5);
	/* Extra packets beyond the expected range do not hide losses. */
	gen_seq_add(&s, 0);
	gen_seq_add(&s, 7);
	gen_seq_add(&s, 8);
	CU_ASSERT_EQUAL(s.unique, 3);
	CU_ASSERT_EQUAL(gen_seq_lost(&s), 4);
	gen_seq_fini(&s);

	/* A start in the middle (receiver joined late) without a count. */
	CU_ASSERT_EQUAL_FATAL(gen_seq_init(&s, 0), 0);
	for (uint64_t i = 500; i < 600; i++)
		gen_seq_add(&s, i);
	CU_ASSERT_EQUAL(gen_seq_lost(&s), 0);
	CU_ASSERT_EQUAL(s.first, 500);
	gen_seq_fini(&s);
}

static void
test_seq_window(void)
{
	struct gen_seq s;

	CU_ASSERT_EQUAL_FATAL(gen_seq_init(&s, 0), 0);
	gen_seq_add(&s, 0);
	/* A jump of a whole window forgets everything below it... */
	gen_seq_add(&s, GEN_SEQ_WINDOW + 10);
	/* ...so seq 0 again is "late", not a duplicate we can prove. */
	gen_seq_add(&s, 0);
	CU_ASSERT_EQUAL(s.late, 1);
	CU_ASSERT_EQUAL(s.dup, 0);
	/* Within the window, a seq whose slot was reused is new, not a dup. */
	gen_seq_add(&s, GEN_SEQ_WINDOW + 5);
	CU_ASSERT_EQUAL(s.dup, 0);
	gen_seq_add(&s, GEN_SEQ_WINDOW + 5);
	CU_ASSERT_EQUAL(s.dup, 1);
	/* Advancing reuses the slots of old seqs without calling them dups. */
	gen_seq_add(&s, 2 * GEN_SEQ_WINDOW + 5);
	CU_ASSERT_EQUAL(s.dup, 1);
	gen_seq_add(&s, GEN_SEQ_WINDOW + 11);
	CU_ASSERT_EQUAL(s.dup, 1);
	/* ...while a real dup still inside the window is caught. */
	gen_seq_add(&s, GEN_SEQ_WINDOW + 10);
	CU_ASSERT_EQUAL(s.dup, 2);
	CU_ASSERT_EQUAL(s.late, 1);
	gen_seq_fini(&s);
}

static void
test_latency_percentiles(void)
{
	struct gen_lat l;

	CU_ASSERT_EQUAL_FATAL(gen_lat_init(&l), 0);
	CU_ASSERT_EQUAL(gen_lat_percentile(&l, 50), 0);
	for (uint64_t i = 1; i <= 100; i++)
		gen_lat_add(&l, i);
	CU_ASSERT_EQUAL(gen_lat_percentile(&l, 50), 50);
	CU_ASSERT_EQUAL(gen_lat_percentile(&l, 90), 90);
	CU_ASSERT_EQUAL(gen_lat_percentile(&l, 99), 99);
	CU_ASSERT_EQUAL(gen_lat_percentile(&l, 100), 100);
	CU_ASSERT_EQUAL(l.max_us, 100);
	/* Large values keep ~0.1 % resolution and never exceed the max. */
	gen_lat_add(&l, 1234567);
	CU_ASSERT_EQUAL(l.max_us, 1234567);
	{
		uint64_t p = gen_lat_percentile(&l, 100);

		CU_ASSERT(p <= 1234567 && p >= 1234567 - 1234567 / 1000);
	}
	gen_lat_add(&l, UINT64_MAX / 2);
	CU_ASSERT(gen_lat_percentile(&l, 100) <= UINT64_MAX / 2);
	gen_lat_fini(&l);

	/* p99.9 of 1000 samples 1..1000 is the 999th. */
	CU_ASSERT_EQUAL_FATAL(gen_lat_init(&l), 0);
	for (uint64_t i = 1; i <= 1000; i++)
		gen_lat_add(&l, i);
	CU_ASSERT_EQUAL(gen_lat_percentile(&l, 99.9), 999);
	gen_lat_fini(&l);
}

static void
test_payload_restamp(void)
{
	static uint8_t a[1316], b[1316];
	uint32_t fh;
	struct gen_hdr h;

	/* A payload prepared for seq 5 and restamped for 5 + 3 * period is the encoded one. */
	CU_ASSERT_EQUAL(gen_payload_prepare(a, sizeof(a), 9, 5, &fh), 0);
	gen_payload_restamp(a, fh, 5 + 3 * GEN_PAYLOAD_FILLER_PERIOD, 777);
	CU_ASSERT_EQUAL(gen_payload_encode(b, sizeof(b), 9, 5 + 3 * GEN_PAYLOAD_FILLER_PERIOD,
					   777), 0);
	CU_ASSERT_EQUAL(memcmp(a, b, sizeof(a)), 0);
	CU_ASSERT_EQUAL(gen_payload_verify(a, sizeof(a), &h), GEN_VERIFY_OK);
	CU_ASSERT_EQUAL(h.seq, 5 + 3 * GEN_PAYLOAD_FILLER_PERIOD);
	/* Another residue: the filler no longer matches, and verify says so. */
	gen_payload_restamp(a, fh, 6, 777);
	CU_ASSERT_NOT_EQUAL(gen_payload_verify(a, sizeof(a), &h), GEN_VERIFY_OK);
	CU_ASSERT_EQUAL(gen_payload_prepare(a, 31, 0, 0, &fh), -EINVAL);
}

static void
test_frame_stamp(void)
{
	static const uint32_t sizes[] = { 32, 64, 1316, 1472 };
	struct gen_frame_params p = {
		.smac = { 0x02, 0, 0, 0, 0, 1 },
		.src_be = htonl(0xc612ca01), /* 198.18.202.1 */
		.dst_be = htonl(0xefca0101), /* 239.202.1.1 */
		.sport_be = htons(5001), .dport_be = htons(5001), .ttl = 16, .stream = 3,
	};
	static uint8_t f[2048], g[2048];
	struct gen_frame_tmpl t, u;
	struct gen_hdr h;

	cg_pkt_mcast_mac(p.dst_be, p.dmac);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p.size = sizes[i];
		int len = gen_frame_build(f, sizeof(f), &p, 7, &t);
		uint8_t *ip = f + CG_PKT_ETH_HLEN, *udp = ip + CG_PKT_IPV4_HLEN;

		CU_ASSERT_EQUAL_FATAL(len, (int)gen_frame_len(sizes[i]));
		CU_ASSERT(len >= CG_PKT_ETH_MIN_LEN);
		for (uint64_t k = 0; k < 4; k++) {
			uint64_t seq = 7 + k * GEN_PAYLOAD_FILLER_PERIOD + (k == 3 ? 1ull << 40 : 0);

			if (k == 3)
				seq -= (1ull << 40) % GEN_PAYLOAD_FILLER_PERIOD;
			gen_frame_stamp(f, &t, seq, 1700000000000000000ull + k);
			/* Checksums valid after a restamp: the IP header never changes. */
			CU_ASSERT(cg_pkt_ipv4_csum_ok(ip, CG_PKT_IPV4_HLEN));
			CU_ASSERT(cg_pkt_udp_csum_ok(p.src_be, p.dst_be, udp,
						     (uint16_t)(CG_PKT_UDP_HLEN + sizes[i])));
			CU_ASSERT_NOT_EQUAL(udp[6] | udp[7], 0);
			CU_ASSERT_EQUAL(gen_payload_verify(udp + CG_PKT_UDP_HLEN, sizes[i], &h),
					GEN_VERIFY_OK);
			CU_ASSERT_EQUAL(h.seq, seq);
			CU_ASSERT_EQUAL(h.stream, 3);
			/* Byte for byte the frame built afresh for that seq. */
			CU_ASSERT_EQUAL(gen_frame_build(g, sizeof(g), &p, seq, &u), len);
			gen_frame_stamp(g, &u, seq, 1700000000000000000ull + k);
			CU_ASSERT_EQUAL(memcmp(f, g, (size_t)len), 0);
		}
	}
	p.size = 1316;
	CU_ASSERT_EQUAL(gen_frame_build(f, 100, &p, 0, &t), -ENOSPC);
	p.size = 8;
	CU_ASSERT_EQUAL(gen_frame_build(f, sizeof(f), &p, 0, &t), -EINVAL);
}

static void
test_set(void)
{
	struct gen_set s = { .n = 0 };

	gen_set_add(&s, 1);
	gen_set_add(&s, 2);
	gen_set_add(&s, 1);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_EQUAL(s.v[0], 1);
	CU_ASSERT_EQUAL(s.v[1], 2);
	for (uint32_t i = 0; i < 2 * GEN_SET_MAX; i++)
		gen_set_add(&s, 100 + i);
	CU_ASSERT_EQUAL(s.n, GEN_SET_MAX);
	CU_ASSERT(s.overflow);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_payload_roundtrip),
		CG_UNIT_TEST(test_payload_bounds),
		CG_UNIT_TEST(test_payload_wire_format),
		CG_UNIT_TEST(test_payload_corruption),
		CG_UNIT_TEST(test_payload_restamp),
		CG_UNIT_TEST(test_frame_stamp),
		CG_UNIT_TEST(test_seq_in_order),
		CG_UNIT_TEST(test_seq_loss_dup_reorder),
		CG_UNIT_TEST(test_seq_expect_edges),
		CG_UNIT_TEST(test_seq_window),
		CG_UNIT_TEST(test_latency_percentiles),
		CG_UNIT_TEST(test_set),
		CG_UNIT_END,
	};

	return cg_unit_run("castgate-gen", tests);
}
