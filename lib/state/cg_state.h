/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_STATE_H
#define CG_STATE_H

/**
 * @file
 * The durable rule state: the rules added over JSON-RPC ("api" rules), which
 * must survive any crash of any castgate process. The config file owns its
 * own rules; the state holds only the others.
 *
 * Two files. The snapshot, at the configured path (JSON, one object):
 *   {"castgate_state": 2, "generation": G, "saved_unix_ms": N, "rules": [RULE, ...]}
 * where RULE is lib/rule's JSON form (cg_rule_to_json()); version 1 (no
 * "generation", read as 0) is still read. And the journal, `<path>.journal`,
 * the changes made since that snapshot, one JSON object per line:
 *   {"castgate_journal": 1, "generation": G}    first line: the snapshot it extends
 *   {"put": RULE}                               add, or replace the rule of that name
 *   {"remove": "name"}
 * A change is acknowledged once its line is appended and synced, so a request
 * costs what it changes, not the size of the whole set (a bulk load of 100 000
 * rules in many requests would otherwise rewrite the whole set each time).
 * The owner folds the journal into a new snapshot (generation G + 1: written
 * atomically, then the journal is removed) at start and whenever the journal
 * outgrows the snapshot, so the files stay in proportion to the set.
 *
 * A journal whose generation is not the snapshot's is left over from a fold
 * that ended between the rename and the unlink: its changes are in the
 * snapshot already, and it is ignored. A last line without its newline is a
 * write that a crash cut short (its change was never acknowledged): ignored.
 * Any other bad line is an error, as in the snapshot.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cg_rule.h"

/** Snapshot format version written in "castgate_state" (1 is still read). */
#define CG_STATE_VERSION 2
/** Journal format version written in "castgate_journal". */
#define CG_STATE_JOURNAL_VERSION 1

/** Where the state is and how large its files are; filled by cg_state_load(). */
struct cg_state {
	char path[4096];		/**< the snapshot; the journal is path + ".journal" */
	uint64_t generation;		/**< of the snapshot on disk */
	uint64_t snapshot_bytes;
	uint64_t journal_bytes;		/**< 0: no journal of this generation yet */
	uint64_t journal_changes;	/**< lines after the header */
	bool journal_broken;		/**< a failed append left it unusable: fold next */
	bool snapshot_known;		/**< the snapshot below is ours (read or written) */
	uint64_t snapshot_dev, snapshot_ino; /**< which file it is, to see it replaced */
};

/** One change for cg_state_append(). */
struct cg_state_change {
	const struct cg_rule *put;	/**< the rule to add or replace, or NULL */
	const char *remove;		/**< else the name of the rule to remove */
};

/**
 * Read the state: the snapshot, then the journal's changes on top.
 * @param set  on success a new set (free with cg_rule_set_free()), in file
 *             order; ports are not resolved. A missing snapshot is an empty
 *             set of generation 0: a fresh installation has no API rules yet.
 * @param st   if not NULL, filled for cg_state_save() and cg_state_append().
 * @param err  on failure, a message starting with the path and naming the
 *             key: `/var/lib/castgate/rules.json: rules[2].output[0].ttl: 0
 *             is out of range 1..255`, or the journal's line.
 * @return 0; -EINVAL (bad content), -ENOMEM, or the errno of open/read.
 */
int cg_state_load(const char *path, struct cg_rule_set **set, struct cg_state *st, char *err,
		  size_t errlen);

/**
 * Write @p set as the next snapshot (generation + 1) atomically and durably
 * (`<path>.tmp.<pid>.<n>`, write, fsync, rename, fsync of the directory;
 * lib/util's cg_util_write_file()), then remove the journal it replaces.
 * @p st may be a zeroed struct with only the path set (generation 0 then).
 * @param err  on failure, the path and the step that failed.
 * @return 0, or a negative errno (nothing changed on disk).
 */
int cg_state_save(struct cg_state *st, const struct cg_rule_set *set, char *err,
		  size_t errlen);

/**
 * Append @p n changes to the journal (created with its header when there is
 * none of this generation), then fdatasync it: one write for the lot.
 * On failure the journal is cut back to where it was (or marked broken, and
 * the caller must cg_state_save() before the next append).
 * @return 0, or a negative errno with @p err set.
 */
int cg_state_append(struct cg_state *st, const struct cg_state_change *ch, size_t n, char *err,
		    size_t errlen);

/**
 * Whether the owner should fold the journal into a new snapshot now: when
 * it is broken, or larger than the snapshot (and than 1 MiB), so that the
 * bytes written for a bulk load stay proportional to the set.
 */
bool cg_state_fold_due(const struct cg_state *st);

/**
 * Whether the files on disk are no longer those this process read or wrote:
 * the snapshot removed, replaced or resized, or the journal removed or cut
 * shorter than what was appended. Appending then would leave the changes on
 * top of a base that is gone; cg_state_save() writes the whole set again.
 */
bool cg_state_disturbed(const struct cg_state *st);

#endif /* CG_STATE_H */
