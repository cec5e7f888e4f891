/* SPDX-License-Identifier: BSD-3-Clause */
#include "cg_nl.h"

int
cg_nl_placeholder(void)
{
	return 0;
}
