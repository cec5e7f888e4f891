/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_EAL_H
#define CG_DP_EAL_H

/**
 * @file
 * The EAL command line: lib/conf's (never probes PCI unless a port is PCI),
 * with af_packet vdevs given one queue pair per worker when there are
 * several workers, then the extra arguments given after "--".
 */

#include <stdbool.h>

#include "cg_conf.h"

/**
 * Decides whether a vdev is left out of the EAL line (to be probed later, as
 * when its interface is missing at start); gets the device string as the EAL
 * would probe it (af_packet queues adapted).
 * @return true to leave it out.
 */
typedef bool (*cg_dp_eal_vdev_fn)(const char *devargs, void *arg);

/**
 * Build the EAL argv.
 * @param vdev_fn  NULL, or called for every --vdev (see cg_dp_eal_vdev_fn)
 * @param extra_argc/extra_argv  arguments from the command line after "--"
 * @param argv  set to a NULL-terminated array; free with cg_dp_eal_argv_free()
 * @return 0, -ENOMEM, or -EINVAL (an af_packet qpairs= that does not match
 *         the number of workers; logged)
 */
int cg_dp_eal_argv(const struct cg_conf *c, const char *argv0, int extra_argc,
		   char **extra_argv, cg_dp_eal_vdev_fn vdev_fn, void *vdev_arg, int *argc,
		   char ***argv);

/** Free an argv from cg_dp_eal_argv(). NULL is allowed. */
void cg_dp_eal_argv_free(char **argv);

#endif /* CG_DP_EAL_H */
