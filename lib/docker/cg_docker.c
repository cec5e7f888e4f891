/* SPDX-License-Identifier: BSD-3-Clause */
#include "cg_docker.h"

int
cg_docker_placeholder(void)
{
	return 0;
}
