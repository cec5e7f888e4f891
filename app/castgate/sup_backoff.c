/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Restart backoff of one child. Pure: the loop feeds it how long each run
 * lasted, so that the unit test can replay any history.
 */
#include "sup.h"

void
sup_backoff_init(struct sup_backoff *b, uint32_t min_ms, uint32_t max_ms, uint32_t stable_s,
		 uint32_t quick)
{
	b->quick = quick;
	b->min_ms = min_ms;
	b->max_ms = max_ms < min_ms ? min_ms : max_ms;
	b->stable_ms = (uint64_t)stable_s * 1000;
	b->next_ms = min_ms;
	b->failures = 0;
}

uint32_t
sup_backoff_next(struct sup_backoff *b, uint64_t ran_ms)
{
	uint32_t delay;

	/* A run that lasted stable_s was a success: this failure is a first one. */
	if (ran_ms >= b->stable_ms) {
		b->next_ms = b->min_ms;
		b->failures = 0;
	}
	/* A crash after a stable run is most likely a one-off: the first
	 * restarts cost only the child's own start; a crash loop still backs
	 * off once they are used up. */
	if (b->failures < b->quick) {
		b->failures++;
		return 0;
	}
	delay = b->next_ms;
	b->failures++;
	/* Double without overflowing (max_ms may be up to an hour). */
	b->next_ms = delay > b->max_ms / 2 ? b->max_ms : delay * 2;
	return delay;
}
