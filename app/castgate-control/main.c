/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder so that the tree builds; being written. */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "castgate-control: not built yet\n");
	return 1;
}
