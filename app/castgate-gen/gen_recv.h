/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_RECV_H
#define GEN_RECV_H

#include "gen_args.h"

/**
 * Run "castgate-gen recv": join (or bind), signal readiness, receive until a
 * stop condition, and print the report.
 * @return GEN_EXIT_OK (whatever was lost: the report says), or
 *         GEN_EXIT_RUNTIME after logging the cause.
 */
int gen_recv_run(const struct gen_recv_opts *o);

#endif /* GEN_RECV_H */
