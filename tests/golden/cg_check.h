/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_CHECK_H
#define CG_CHECK_H

/*
 * Plain checks for the golden C programs (which run inside a DPDK process,
 * where CUnit's own main loop does not fit): a failed CHECK prints where and
 * why, counts, and the program goes on; main() reports cg_check_failures.
 */

#include <stdio.h>

static int cg_check_failures;

#define CHECK(cond, ...) do {						\
		if (!(cond)) {						\
			cg_check_failures++;				\
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);			\
			fprintf(stderr, "\n");				\
		}							\
	} while (0)

#endif /* CG_CHECK_H */
