/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DOCKER_H
#define CG_DOCKER_H

/* Placeholder: the owner of lib/docker replaces this with the library's API. */
int cg_docker_placeholder(void);

#endif /* CG_DOCKER_H */
