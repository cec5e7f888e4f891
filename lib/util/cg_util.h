/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_UTIL_H
#define CG_UTIL_H

/**
 * @file
 * The few helpers every library and program needs the same way: the error
 * message convention (a negative errno returned, the words in a caller's
 * buffer) and the atomic replacement of a file.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/**
 * Exit statuses: one meaning in every castgate program (each program's man
 * page or --help lists those it uses). In the spirit of sysexits(3), but
 * small, and 0..6 so that shell scripts can switch on them.
 */
enum cg_exit {
	CG_EXIT_OK = 0,
	CG_EXIT_FAILURE = 1,     /**< it ran and failed; castgatectl: the daemon refused */
	CG_EXIT_USAGE = 2,       /**< bad command line or configuration: nothing was done */
	CG_EXIT_UNAVAILABLE = 3, /**< a process it needs is not there: castgatectl's daemon,
				  *   castgate-control's data plane */
	CG_EXIT_NOT_FOUND = 4,   /**< castgatectl: no such rule or port */
	CG_EXIT_NOPERM = 5,      /**< castgatectl: the daemon refused the method to this user */
	CG_EXIT_REFUSED = 6,     /**< castgate setup: the host is not fit (a NIC in use, no
				  *   IOMMU...): nothing was changed */
};

/**
 * Format a message into @p err (nothing when @p err is NULL or @p errlen 0)
 * and return @p ret, so that a failing path reads
 * `return cg_util_err(err, errlen, -EINVAL, "key %s: ...", key);`.
 */
int cg_util_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/** va_list form of cg_util_err(). */
int cg_util_verr(char *err, size_t errlen, int ret, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/**
 * Replace @p path with @p len bytes of @p data atomically: a new temporary
 * file beside it (`<path>.tmp.<pid>.<n>`, created O_EXCL|O_NOFOLLOW, mode
 * @p mode), written whole, renamed over @p path. A reader sees the old file or
 * the whole new one, never part of it.
 * @param durable  also fsync the file before the rename and the directory
 *                 after it, so that the new content survives a power cut.
 * @param step     receives the step that failed ("create", "write", "fsync",
 *                 "rename", ...) for the caller's message (may be NULL).
 * @return 0, or a negative errno (the temporary file is removed).
 */
int cg_util_write_file(const char *path, const void *data, size_t len, mode_t mode,
		       bool durable, const char **step);

/**
 * fsync the directory that holds @p path, so that a file created or renamed
 * there survives a power cut.
 * @return 0, or a negative errno.
 */
int cg_util_fsync_dir(const char *path);

/**
 * Give up every capability for good: the effective, permitted, inheritable
 * and ambient sets and the bounding set are emptied, and no_new_privs is
 * set, so neither this process nor anything it runs gets one back. The uid
 * is kept: a process that was root still owns (and may write) root's files,
 * but may no longer override permissions, open raw devices, configure the
 * network or trace other processes.
 * @return 0, or a negative errno.
 */
int cg_util_drop_privileges(void);

/**
 * Check that @p dir is safe to write files in that others rely on: a real
 * directory (not a link), owned by root or by this process's user, and
 * writable by neither its group nor others.
 * @param err  on failure, why, naming the directory and what to do.
 * @return 0, or a negative errno.
 */
int cg_util_check_dir(const char *dir, char *err, size_t errlen);

/**
 * Remove the temporary files that cg_util_write_file() left beside @p path
 * when its writer died between create and rename (`<path>.tmp.<pid>.<n>` of
 * a pid that no longer runs).
 * @return how many were removed, or a negative errno.
 */
int cg_util_remove_stale_tmp(const char *path);

/**
 * The directory under which DPDK's EAL keeps its runtime directories
 * (<base>/dpdk/<file prefix>/), in EAL's own order: systemd's
 * $RUNTIME_DIRECTORY, /var/run for root, $XDG_RUNTIME_DIR, /tmp. For the
 * processes that must find a primary's files before (or without) an EAL.
 */
const char *cg_util_dpdk_run_base(void);

#endif /* CG_UTIL_H */
