/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_UNIT_H
#define CG_UNIT_H

/*
 * Shared CUnit runner for the unit tests: each test program fills a table of
 * suites and calls cg_unit_run(), which prints CUnit's basic report and
 * returns non-zero when any assertion failed, so that meson counts it.
 */

#include <stdio.h>
#include <CUnit/Basic.h>

struct cg_unit_test {
	const char *name;
	CU_TestFunc fn;
};

#define CG_UNIT_TEST(fn) { #fn, fn }
#define CG_UNIT_END { NULL, NULL }

static inline int
cg_unit_run(const char *suite, const struct cg_unit_test *tests)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite(suite, NULL, NULL);
	if (s == NULL)
		return 2;
	for (; tests->name != NULL; tests++)
		if (CU_add_test(s, tests->name, tests->fn) == NULL)
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed != 0;
}

#endif /* CG_UNIT_H */
