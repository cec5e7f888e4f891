/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_RECV_H
#define GEN_RECV_H

#include "gen_args.h"

/**
 * Run "castgate-gen recv": join (or bind), signal readiness, receive until a
 * stop condition, and print the report.
 * @return CG_EXIT_OK (whatever was lost: the report says), or
 *         CG_EXIT_FAILURE after logging the cause.
 */
int gen_recv_run(const struct gen_recv_opts *o);

#endif /* GEN_RECV_H */
