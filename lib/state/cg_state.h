/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_STATE_H
#define CG_STATE_H

/**
 * @file
 * The durable rule state file: the rules added over JSON-RPC ("api" rules),
 * which must survive any crash of any castgate process. The config file owns
 * its own rules; this file holds only the others.
 *
 * Format (JSON, one object):
 *   {"castgate_state": 1, "saved_unix_ms": N, "rules": [RULE, ...]}
 * where RULE is lib/rule's JSON form (cg_rule_to_json()).
 *
 * Writers replace the file atomically (temp file, fsync, rename, fsync of the
 * directory), so a reader sees the old or the new set, never a mix, and an
 * acknowledged change is on disk even after a power cut (lib/util's
 * cg_util_write_file()).
 */

#include <stdbool.h>
#include <stddef.h>

#include "cg_rule.h"

/** Format version written in "castgate_state". */
#define CG_STATE_VERSION 1

/**
 * Read a state file.
 * @param set  on success a new set (free with cg_rule_set_free()), in file
 *             order; ports are not resolved. A missing file gives an empty
 *             set: a fresh installation has no API rules yet.
 * @param err  on failure, a message starting with the path and naming the
 *             key: `/var/lib/castgate/rules.json: rules[2].output[0].ttl: 0
 *             is out of range 1..255`.
 * @return 0; -EINVAL (bad content), -ENOMEM, or the errno of open/read.
 */
int cg_state_load(const char *path, struct cg_rule_set **set, char *err, size_t errlen);

/**
 * Write @p set to @p path atomically and durably: `<path>.tmp.<pid>`,
 * write, fsync, rename over @p path, fsync of the directory. The directory
 * must exist.
 * @param err  on failure, the path and the step that failed.
 * @return 0, or a negative errno (the temp file is removed).
 */
int cg_state_save(const char *path, const struct cg_rule_set *set, char *err, size_t errlen);


#endif /* CG_STATE_H */
