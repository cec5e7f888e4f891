/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder until the implementation lands (same session). */
#include <errno.h>
#include <stdio.h>

#include "cg_state.h"

int
cg_state_load(const char *path, struct cg_rule_set **set, char *err, size_t errlen)
{
	(void)path;
	*set = cg_rule_set_new();
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return *set == NULL ? -ENOMEM : 0;
}

int
cg_state_save(const char *path, const struct cg_rule_set *set, char *err, size_t errlen)
{
	(void)set;
	snprintf(err, errlen, "%s: not implemented yet", path);
	return -ENOSYS;
}
