/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_SUP_H
#define CG_SUP_H

/*
 * castgate, the supervisor: private interfaces between its files.
 *
 *   main.c         arguments, config checks, run dir and lock, then sup_run()
 *   setup.c        `castgate setup`: binds the PCI ports, persists it (setup.h)
 *   sup_loop.c     the event loop and the state machine of the two children
 *   sup_child.c    fork/exec with a clean signal state, PDEATHSIG, stop
 *   sup_notify.c   sd_notify (libsystemd, or the datagram protocol by hand)
 *   sup_backoff.c  pure logic: restart backoff
 *   sup_util.c     pure logic: exit-status and duration text, ready-file
 *                  content, child environment, binary lookup
 *
 * The last two have no dependency on the rest (unit-tested by test_sup.c);
 * test_sup_run.sh runs the whole program with stand-in children.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cg_conf;

#define SUP_PROG "castgate"
#define SUP_DP_NAME "castgate-dataplane"
#define SUP_CTL_NAME "castgate-control"

/*
 * Backoff (sup_backoff.c)
 */

/** Restart delay of one child: doubles on each quick failure, resets after a stable run. */
struct sup_backoff {
	uint32_t min_ms;     /* first delay (supervisor.restart_min_ms) */
	uint32_t max_ms;     /* cap (supervisor.restart_max_ms) */
	uint64_t stable_ms;  /* a run this long resets the delay (supervisor.stable_s) */
	uint32_t next_ms;    /* delay the next failure gets */
	uint32_t failures;   /* consecutive failures since the last stable run */
	uint32_t quick;      /* the first this many restarts have no delay (supervisor.quick_restarts) */
};

/** Set up @p b; @p max_ms below @p min_ms is raised to it. */
void sup_backoff_init(struct sup_backoff *b, uint32_t min_ms, uint32_t max_ms,
		      uint32_t stable_s, uint32_t quick);

/**
 * A run of the child that lasted @p ran_ms ended unexpectedly.
 * @return the delay before the next start: min_ms after a stable run, else
 *         the current delay, which then doubles up to max_ms.
 */
uint32_t sup_backoff_next(struct sup_backoff *b, uint64_t ran_ms);

/*
 * Pure helpers (sup_util.c)
 */

/**
 * Describe a wait(2) status: "exited with status 1", "killed by signal 9
 * (SIGKILL)", "killed by signal 11 (SIGSEGV), core dumped".
 * @return @p buf.
 */
const char *sup_fmt_status(char *buf, size_t size, int wstatus);

/**
 * A duration for people: "250 ms", "4.2 s", "3 min 7 s", "2 h 5 min", "3 d 4 h".
 * @return @p buf.
 */
const char *sup_fmt_ms(char *buf, size_t size, uint64_t ms);

/** What the content of a ready file says (sup_ready_parse()). */
enum sup_ready {
	SUP_READY_NOT_YET = 0, /* empty, or a number without its newline (write in progress) */
	SUP_READY_YES,         /* "<pid>\n" with the child's pid */
	SUP_READY_STALE,       /* "<pid>\n" with another pid: a previous run's file */
	SUP_READY_UNKNOWN,     /* anything else: no pid to check, trust its mtime */
};

/** Classify @p len bytes of a ready file against the pid of the child we started. */
enum sup_ready sup_ready_parse(const char *buf, size_t len, pid_t pid);

/** The CASTGATE_* variables every child gets. */
struct sup_env_vars {
	pid_t supervisor_pid;
	unsigned int restarts_dataplane;
	unsigned int restarts_control;
	uint64_t started_unix_ms;
};

/**
 * A child's environment: @p env minus the variables that belong to the
 * supervisor alone (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID: with
 * NotifyAccess=main systemd would refuse the children's messages anyway) and
 * minus inherited CASTGATE_* supervisor variables, plus @p v.
 * @return a NULL-terminated array (free with sup_env_free()), or NULL (ENOMEM).
 */
char **sup_env_build(char *const *env, const struct sup_env_vars *v);

/** Free an array from sup_env_build(). NULL is allowed. */
void sup_env_free(char **env);

/**
 * Find the executable @p prog ("castgate-dataplane"): @p override when set
 * (must be executable), else next to @p self_exe, else in <parent of
 * @p self_exe's dir>/<prog>/<prog> (the meson build tree), else in
 * @p libexec_dir (the installed place, CG_LIBEXECDIR; may be NULL), else in
 * @p path ($PATH, may be NULL). The build tree comes before @p libexec_dir so
 * that a supervisor run from a build tree never starts an installed copy.
 * Paths are joined, never resolved: the child keeps the name it was found
 * under.
 * @return 0 with the path in @p out; -ENOENT (nothing found; with an
 *         override: it is not an executable file); -ENAMETOOLONG (an
 *         override longer than @p size).
 */
int sup_find_bin(const char *prog, const char *override, const char *self_exe,
		 const char *libexec_dir, const char *path, char *out, size_t size);

/*
 * DPDK's files (sup_files.c)
 */

/**
 * The pid of the DPDK primary that runs with file prefix @p prefix (under
 * @p run_base, cg_util_dpdk_run_base()), or 0 when none does.
 */
pid_t sup_dpdk_prefix_holder(const char *prefix, const char *run_base);

/**
 * Remove what DPDK keeps on disk for file prefix @p prefix once its processes
 * are gone: <prefix>map_* in every hugetlbfs mount listed in @p mounts
 * ("/proc/mounts"), and the runtime directory @p run_base/dpdk/<prefix>/.
 * Nothing when a primary of that prefix runs (it is another's then).
 * @return the number of files and directories removed.
 */
unsigned int sup_dpdk_cleanup(const char *prefix, const char *mounts, const char *run_base);

/*
 * sd_notify (sup_notify.c)
 */

/** Read the watchdog settings; call once at start. @return the watchdog period in µs, 0 = off. */
uint64_t sup_notify_init(void);

/** Send one notification ("READY=1\nSTATUS=..."); no-op outside systemd. */
void sup_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Children (sup_child.c)
 */

/**
 * fork + execve @p argv[0] with @p envp. In the child, before exec: every
 * signal unblocked and back to its default action, stdin from /dev/null,
 * PR_SET_PDEATHSIG(SIGKILL) so that it dies with the supervisor.
 * Waits until the exec succeeded (a close-on-exec pipe reports its errno).
 * @return the child's pid, or a negative errno (fork, or the exec's error;
 *         the failed child is reaped).
 */
pid_t sup_spawn(char *const argv[], char *const envp[]);

/** mkdir -p @p dir, each missing level 0755. @return 0 or a negative errno. */
int sup_mkdir_p(const char *dir);

/** Monotonic clock in ms. */
uint64_t sup_now_ms(void);

/** Wall clock in ms since the Unix epoch. */
uint64_t sup_unix_ms(void);

/*
 * The loop (sup_loop.c)
 */

/** What the loop needs from main(). */
struct sup_opts {
	const struct cg_conf *conf;
	const char *config_path;   /* absolute */
	const char *dp_bin;
	const char *ctl_bin;
	const char *log_level;     /* passed to both children as --log-level; NULL = theirs */
	const char *ready_file;    /* our own --ready-file, NULL = none */
};

/**
 * Run both children until SIGTERM/SIGINT, then stop them in order.
 * @return the exit code: 0 after an orderly stop, 1 when the loop cannot run.
 */
int sup_run(const struct sup_opts *o);

#endif /* CG_SUP_H */
