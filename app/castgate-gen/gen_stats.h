/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_STATS_H
#define GEN_STATS_H

/**
 * @file
 * Receiver accounting that needs no sockets, so that it can be unit-tested:
 * sequence tracking (unique, duplicates, reordered, lost), a latency
 * histogram with percentiles, and small sets of seen values.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Sequence numbers seen in a sliding window below the highest one. A packet
 * further behind than the window is counted as unique and reordered without a
 * duplicate check ("late"): that needs 2^20 packets of reordering, which a
 * test network never shows.
 */
#define GEN_SEQ_WINDOW_BITS 20
#define GEN_SEQ_WINDOW (1ull << GEN_SEQ_WINDOW_BITS)

struct gen_seq {
	uint64_t *bits;     /**< GEN_SEQ_WINDOW bits, indexed by seq mod window */
	bool any;           /**< at least one packet seen */
	uint64_t lo;        /**< lowest seq seen */
	uint64_t hi;        /**< highest seq seen */
	uint64_t first;     /**< seq of the first packet received */
	uint64_t last;      /**< seq of the last packet received */
	uint64_t unique;    /**< distinct seqs */
	uint64_t dup;       /**< packets whose seq was already seen */
	uint64_t reordered; /**< packets that arrived after a higher seq */
	uint64_t late;      /**< reordered beyond the window (not dup-checked) */
	uint64_t expect;    /**< sender's count (seqs 0..expect-1), 0 if unknown */
	uint64_t beyond;    /**< distinct seqs >= expect (extra packets) */
};

/**
 * Allocate the window.
 * @param expect the number of packets the sender sends, numbered from 0, or 0
 *               when unknown; it decides how gen_seq_lost() counts.
 * @return 0 or -ENOMEM.
 */
int gen_seq_init(struct gen_seq *s, uint64_t expect);

/** Free the window. */
void gen_seq_fini(struct gen_seq *s);

/** Account one received sequence number. */
void gen_seq_add(struct gen_seq *s, uint64_t seq);

/**
 * Lost packets. With an expected count: the seqs in 0..expect-1 never seen.
 * Without: the holes between the lowest and the highest seq seen.
 */
uint64_t gen_seq_lost(const struct gen_seq *s);

/**
 * Latency histogram in microseconds: exact below 1024 us, then 1024 steps per
 * power of two (0.1 % resolution) up to 2^41 us.
 */
#define GEN_LAT_LINEAR 1024u
#define GEN_LAT_MAX_SHIFT 31u
#define GEN_LAT_BUCKETS (GEN_LAT_LINEAR * (GEN_LAT_MAX_SHIFT + 2))

struct gen_lat {
	uint64_t *count; /**< GEN_LAT_BUCKETS counters */
	uint64_t n;
	uint64_t max_us;
	uint64_t sum_us;
};

/** Allocate the histogram. @return 0 or -ENOMEM. */
int gen_lat_init(struct gen_lat *l);

/** Free the histogram. */
void gen_lat_fini(struct gen_lat *l);

/** Add one sample. */
void gen_lat_add(struct gen_lat *l, uint64_t us);

/**
 * The @p pct percentile (0 < pct <= 100), as the lower bound of its bucket
 * (exact below 1024 us). @return 0 when there are no samples.
 */
uint64_t gen_lat_percentile(const struct gen_lat *l, double pct);

/** A small set of distinct 32-bit values in order of first appearance. */
#define GEN_SET_MAX 16

struct gen_set {
	uint32_t v[GEN_SET_MAX];
	unsigned int n;
	bool overflow; /**< more distinct values than GEN_SET_MAX were seen */
};

/** Add @p v if it is new. */
void gen_set_add(struct gen_set *set, uint32_t v);

#endif /* GEN_STATS_H */
