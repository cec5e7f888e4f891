/* SPDX-License-Identifier: BSD-3-Clause */
#include "cg_rule.h"

int
cg_rule_placeholder(void)
{
	return 0;
}
