/* SPDX-License-Identifier: BSD-3-Clause */
#include "cg_warp.h"

int
cg_warp_placeholder(void)
{
	return 0;
}
