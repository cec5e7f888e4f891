/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_SEND_H
#define GEN_SEND_H

#include "gen_args.h"

/**
 * Run "castgate-gen send": open and set up the socket, send paced datagrams
 * until the count, the duration or a signal, and print the summary.
 * @return CG_EXIT_OK, or CG_EXIT_FAILURE after logging the cause.
 */
int gen_send_run(const struct gen_send_opts *o);

#endif /* GEN_SEND_H */
