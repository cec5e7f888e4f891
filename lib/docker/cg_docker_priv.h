/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DOCKER_PRIV_H
#define CG_DOCKER_PRIV_H

/* Helpers shared by the files of lib/docker; not part of its API. */

#include <stddef.h>

/** printf into a caller's error buffer; a NULL or empty buffer is ignored. */
void cg_docker_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* CG_DOCKER_PRIV_H */
