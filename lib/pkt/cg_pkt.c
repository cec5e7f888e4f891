/* SPDX-License-Identifier: BSD-3-Clause */
#include "cg_pkt.h"

int
cg_pkt_placeholder(void)
{
	return 0;
}
