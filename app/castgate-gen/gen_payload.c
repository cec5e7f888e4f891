/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "gen_payload.h"

#define OFF_MAGIC  0
#define OFF_STREAM 4
#define OFF_SEQ    8
#define OFF_TX     16
#define OFF_LEN    24
#define OFF_CHECK  28

#define FNV32_BASIS 0x811c9dc5u
#define FNV32_PRIME 0x01000193u

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static uint32_t
fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * FNV32_PRIME;
	return h;
}

/*
 * The check covers everything but itself, so any flipped byte shows. The
 * filler goes first: its hash depends only on the length and seq mod
 * GEN_PAYLOAD_FILLER_PERIOD, so that a sender can keep it (gen_payload_restamp).
 */
static uint32_t
filler_hash(const uint8_t *buf, size_t len)
{
	return fnv1a(FNV32_BASIS, buf + GEN_PAYLOAD_MIN, len - GEN_PAYLOAD_MIN);
}

static uint32_t
payload_check(const uint8_t *buf, size_t len)
{
	return fnv1a(filler_hash(buf, len), buf, OFF_CHECK);
}

static uint8_t
filler_byte(uint64_t seq, size_t i)
{
	return (uint8_t)(seq * 7 + i);
}

int
gen_payload_prepare(uint8_t *buf, size_t len, uint32_t stream, uint64_t seq,
		    uint32_t *fhash)
{
	if (len < GEN_PAYLOAD_MIN || len > GEN_PAYLOAD_MAX)
		return -EINVAL;
	put32(buf + OFF_MAGIC, GEN_PAYLOAD_MAGIC);
	put32(buf + OFF_STREAM, stream);
	put64(buf + OFF_SEQ, seq);
	put64(buf + OFF_TX, 0);
	put32(buf + OFF_LEN, (uint32_t)len);
	put32(buf + OFF_CHECK, 0);
	for (size_t i = GEN_PAYLOAD_MIN; i < len; i++)
		buf[i] = filler_byte(seq, i);
	*fhash = filler_hash(buf, len);
	return 0;
}

void
gen_payload_restamp(uint8_t *buf, uint32_t fhash, uint64_t seq, uint64_t tx_ns)
{
	put64(buf + OFF_SEQ, seq);
	put64(buf + OFF_TX, tx_ns);
	put32(buf + OFF_CHECK, fnv1a(fhash, buf, OFF_CHECK));
}

int
gen_payload_encode(uint8_t *buf, size_t len, uint32_t stream, uint64_t seq, uint64_t tx_ns)
{
	uint32_t fhash;
	int rc = gen_payload_prepare(buf, len, stream, seq, &fhash);

	if (rc == 0)
		gen_payload_restamp(buf, fhash, seq, tx_ns);
	return rc;
}

enum gen_verify
gen_payload_verify(const uint8_t *buf, size_t len, struct gen_hdr *hdr)
{
	if (len < GEN_PAYLOAD_MIN)
		return GEN_VERIFY_SHORT;
	if (get32(buf + OFF_MAGIC) != GEN_PAYLOAD_MAGIC)
		return GEN_VERIFY_MAGIC;
	hdr->stream = get32(buf + OFF_STREAM);
	hdr->seq = get64(buf + OFF_SEQ);
	hdr->tx_ns = get64(buf + OFF_TX);
	hdr->len = get32(buf + OFF_LEN);
	if (hdr->len != len)
		return GEN_VERIFY_LENGTH;
	if (get32(buf + OFF_CHECK) != payload_check(buf, len))
		return GEN_VERIFY_CHECK;
	/* A matching check over wrong filler would mean a sender bug: say so. */
	for (size_t i = GEN_PAYLOAD_MIN; i < len; i++)
		if (buf[i] != filler_byte(hdr->seq, i))
			return GEN_VERIFY_FILLER;
	return GEN_VERIFY_OK;
}

const char *
gen_verify_name(enum gen_verify v)
{
	switch (v) {
	case GEN_VERIFY_OK: return "ok";
	case GEN_VERIFY_SHORT: return "short";
	case GEN_VERIFY_MAGIC: return "magic";
	case GEN_VERIFY_LENGTH: return "length";
	case GEN_VERIFY_CHECK: return "check";
	case GEN_VERIFY_FILLER: return "filler";
	}
	return "unknown";
}
