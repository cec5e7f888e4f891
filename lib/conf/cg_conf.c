/* SPDX-License-Identifier: BSD-3-Clause */
#include "cg_conf.h"

int
cg_conf_placeholder(void)
{
	return 0;
}
