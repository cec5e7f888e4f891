/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gen_stats.h"

#define WORD_BITS 64u

static bool
bit_test(const uint64_t *b, uint64_t seq)
{
	uint64_t i = seq & (GEN_SEQ_WINDOW - 1);

	return b[i / WORD_BITS] >> (i % WORD_BITS) & 1;
}

static void
bit_set(uint64_t *b, uint64_t seq)
{
	uint64_t i = seq & (GEN_SEQ_WINDOW - 1);

	b[i / WORD_BITS] |= 1ull << (i % WORD_BITS);
}

static void
bit_clear(uint64_t *b, uint64_t seq)
{
	uint64_t i = seq & (GEN_SEQ_WINDOW - 1);

	b[i / WORD_BITS] &= ~(1ull << (i % WORD_BITS));
}

int
gen_seq_init(struct gen_seq *s, uint64_t expect)
{
	memset(s, 0, sizeof(*s));
	s->expect = expect;
	s->bits = calloc(GEN_SEQ_WINDOW / WORD_BITS, sizeof(uint64_t));
	return s->bits == NULL ? -ENOMEM : 0;
}

void
gen_seq_fini(struct gen_seq *s)
{
	free(s->bits);
	s->bits = NULL;
}

static void
seq_new(struct gen_seq *s, uint64_t seq)
{
	bit_set(s->bits, seq);
	s->unique++;
	if (s->expect > 0 && seq >= s->expect)
		s->beyond++;
}

void
gen_seq_add(struct gen_seq *s, uint64_t seq)
{
	if (!s->any) {
		s->any = true;
		s->lo = s->hi = s->first = s->last = seq;
		seq_new(s, seq);
		return;
	}
	s->last = seq;
	if (seq > s->hi) {
		/* The slots up to the new highest now stand for new seqs. */
		if (seq - s->hi >= GEN_SEQ_WINDOW)
			memset(s->bits, 0, GEN_SEQ_WINDOW / 8);
		else
			for (uint64_t q = s->hi + 1; q < seq; q++)
				bit_clear(s->bits, q);
		s->hi = seq;
		seq_new(s, seq);
		return;
	}
	if (seq < s->lo)
		s->lo = seq;
	if (s->hi - seq >= GEN_SEQ_WINDOW) {
		/* Too far behind to remember: take it as new. */
		s->late++;
		s->reordered++;
		s->unique++;
		if (s->expect > 0 && seq >= s->expect)
			s->beyond++;
		return;
	}
	if (bit_test(s->bits, seq)) {
		s->dup++;
		return;
	}
	s->reordered++;
	seq_new(s, seq);
}

uint64_t
gen_seq_lost(const struct gen_seq *s)
{
	uint64_t got;

	if (s->expect > 0) {
		got = s->unique - s->beyond;
		return got >= s->expect ? 0 : s->expect - got;
	}
	if (!s->any)
		return 0;
	return s->hi - s->lo + 1 - s->unique;
}

int
gen_lat_init(struct gen_lat *l)
{
	memset(l, 0, sizeof(*l));
	l->count = calloc(GEN_LAT_BUCKETS, sizeof(uint64_t));
	return l->count == NULL ? -ENOMEM : 0;
}

void
gen_lat_fini(struct gen_lat *l)
{
	free(l->count);
	l->count = NULL;
}

static unsigned int
lat_bucket(uint64_t us)
{
	unsigned int shift;

	if (us < GEN_LAT_LINEAR)
		return (unsigned int)us;
	/* us has its top bit at position 10 + shift: keep 10 bits below it. */
	shift = 63 - __builtin_clzll(us) - 10;
	if (shift > GEN_LAT_MAX_SHIFT)
		return GEN_LAT_BUCKETS - 1;
	return GEN_LAT_LINEAR * (shift + 1) + (unsigned int)((us >> shift) - GEN_LAT_LINEAR);
}

static uint64_t
lat_bucket_floor(unsigned int b)
{
	unsigned int shift;

	if (b < GEN_LAT_LINEAR)
		return b;
	shift = b / GEN_LAT_LINEAR - 1;
	return (uint64_t)(GEN_LAT_LINEAR + b % GEN_LAT_LINEAR) << shift;
}

void
gen_lat_add(struct gen_lat *l, uint64_t us)
{
	l->count[lat_bucket(us)]++;
	l->n++;
	l->sum_us += us;
	if (us > l->max_us)
		l->max_us = us;
}

uint64_t
gen_lat_percentile(const struct gen_lat *l, double pct)
{
	uint64_t rank, seen = 0;

	if (l->n == 0)
		return 0;
	/* Nearest-rank: the smallest value with at least pct % at or below it. */
	rank = (uint64_t)(pct / 100.0 * (double)l->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > l->n)
		rank = l->n;
	for (unsigned int b = 0; b < GEN_LAT_BUCKETS; b++) {
		seen += l->count[b];
		if (seen >= rank) {
			uint64_t v = lat_bucket_floor(b);

			return v > l->max_us ? l->max_us : v;
		}
	}
	return l->max_us;
}

void
gen_set_add(struct gen_set *set, uint32_t v)
{
	for (unsigned int i = 0; i < set->n; i++)
		if (set->v[i] == v)
			return;
	if (set->n < GEN_SET_MAX)
		set->v[set->n++] = v;
	else
		set->overflow = true;
}
