/* SPDX-License-Identifier: BSD-3-Clause */
#include "cg_toml.h"

int
cg_toml_placeholder(void)
{
	return 0;
}
