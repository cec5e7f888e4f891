/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CW_H
#define CW_H

/*
 * castgate-warp internals shared by its files:
 *   main.c      arguments, help, start-up, signals, the main poll loop
 *   caps.c      capability check
 *   events.c    Docker event thread: connection, backoff, circuit breaker, queue
 *   state.c     containers we know, reconcile and event handling (main thread)
 *   routes.c    applying route plans in a target's netns, audit lines
 *   http.c      /healthz and /metrics thread, and the metrics themselves
 *
 * Threads: the main thread owns the state and is the only one that changes
 * routes (through lib/nl, whose setns happens on its own worker thread). The
 * event thread only talks to Docker and hands events over through a pipe.
 * The HTTP thread only reads atomics.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cg_docker.h"
#include "cg_log.h"
#include "cg_warp.h"

/* Per-request Docker timeout (list, inspect, version): well above the ~2 s an
 * inspect can block while Docker is starting that container. A pending stop
 * cancels a request in flight (cw_stop_pending), so it does not delay the 5 s
 * SIGTERM promise. */
#define CW_DOCKER_TIMEOUT_MS 4000

/* --- time --- */

/** CLOCK_REALTIME in ns (Docker's timeNano is wall-clock). */
int64_t cw_now_real_ns(void);
/** CLOCK_MONOTONIC in ms. */
int64_t cw_now_mono_ms(void);

/* --- stop flag (set by the main thread on SIGTERM/SIGINT) --- */

extern atomic_bool cw_stopping;

/** Main thread: a SIGTERM/SIGINT is pending (not yet read from the signalfd). */
bool cw_stop_pending(void *unused);

/* --- metrics (written by any thread with relaxed atomics, read by http.c) --- */

enum cw_err_kind {
	CW_ERR_DOCKER = 0,   /* connection / negotiation / stream */
	CW_ERR_INSPECT,      /* list or inspect failed */
	CW_ERR_NEXTHOP,      /* no usable next hop (left untouched) */
	CW_ERR_NETNS,        /* cannot enter the target's netns */
	CW_ERR_NETLINK,      /* a route operation failed */
	CW_ERR_CLASSIFY,     /* conflicting or empty labels */
	CW_ERR_COUNT,
};

enum cw_breaker { CW_BREAKER_CLOSED = 0, CW_BREAKER_OPEN = 1, CW_BREAKER_HALF_OPEN = 2 };

#define CW_EV_TYPES 3      /* container, network, other */
#define CW_EV_ACTIONS 7    /* start restart die stop connect disconnect other */
/* Event-to-route latency buckets (seconds): routes normally land in a few ms;
 * the tail shows inspect/netlink stalls and reconnect replays. */
#define CW_HIST_BUCKETS 12

struct cw_metrics {
	atomic_uint_fast64_t events[CW_EV_TYPES][CW_EV_ACTIONS];
	atomic_uint_fast64_t routes[4];                 /* by enum cg_warp_action */
	atomic_uint_fast64_t errors[CW_ERR_COUNT];
	atomic_uint_fast64_t hist[CW_HIST_BUCKETS + 1]; /* last = +Inf */
	atomic_uint_fast64_t hist_sum_ns;
	atomic_uint_fast64_t hist_count;
	atomic_uint_fast64_t reconnects;
	atomic_int docker_connected;
	atomic_int breaker;
	atomic_int_fast64_t last_event_ns;
	atomic_uint_fast64_t refusals[CG_WARP_REFUSE_COUNT]; /* by enum cg_warp_refusal */
	atomic_uint targets, warps, refused_targets;
};

extern struct cw_metrics cw_m;
extern const double cw_hist_bounds[CW_HIST_BUCKETS];

void cw_metric_event(const struct cg_docker_event *ev);
void cw_metric_error(enum cw_err_kind kind);
void cw_metric_refusal(enum cg_warp_refusal r);
void cw_metric_latency(int64_t ns);
const char *cw_breaker_name(int state);

/* --- capabilities --- */

/** Check CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SYS_PTRACE; log each missing one. 0 or -EPERM. */
int cw_caps_check(void);

/** Forbid execve/execveat for the whole process (seccomp); call before creating threads. */
int cw_forbid_exec(void);

/* --- event thread --- */

enum cw_msg_kind { CW_MSG_EVENT = 0, CW_MSG_CONNECTED, CW_MSG_DISCONNECTED };

/** One message from the event thread; smaller than PIPE_BUF so writes are atomic. */
struct cw_msg {
	enum cw_msg_kind kind;
	struct cg_docker_event ev;
};

/** Start the event thread; messages arrive on *read_fd. 0 or -errno. */
int cw_events_start(const struct cg_warp_config *cfg, int *read_fd);
/** Ask the thread to stop (cw_stopping must be set) and join it. */
void cw_events_stop(void);

/* --- http --- */

/** Bind the listen socket (cfg->metrics_addr) and start the thread. 0 or -errno. */
int cw_http_start(const struct cg_warp_config *cfg);
void cw_http_stop(void);

/* --- state (main thread only) --- */

struct cw_state;

struct cw_state *cw_state_new(const struct cg_warp_config *cfg);
void cw_state_free(struct cw_state *st);
/** Swap the configuration (SIGHUP); the caller then runs a full reconcile. */
void cw_state_set_config(struct cw_state *st, const struct cg_warp_config *cfg);
/** (Re)connect the inspect client after the event thread connected. */
int cw_state_connect(struct cw_state *st);
/** List, inspect and classify every running container, then converge every target. */
int cw_state_reconcile(struct cw_state *st, const char *why);
/** Handle one Docker event. */
void cw_state_event(struct cw_state *st, const struct cg_docker_event *ev);
/** Retry targets whose last attempt failed. */
void cw_state_retry(struct cw_state *st);
/** Log the shutdown state: targets keep their routes. */
void cw_state_log_shutdown(struct cw_state *st);

/* --- routes (main thread) --- */

/** Fields identifying a container in logs: short id and name. */
struct cw_ctr_fields {
	char id[13];
	const char *name;
};

/**
 * Called once the target's netns is open and before anything in it is read
 * or changed: @p pidfd pins the process whose namespace was entered, @p ns is
 * the namespace the netlink socket really lives in. Returns 0 to go on, or a
 * negative errno to leave the namespace untouched (the guard logs why).
 */
typedef int (*cw_guard_fn)(void *arg, int pidfd, const struct cg_warp_nsid *ns);

/** Docker's default routes in a target's netns as the daemon first saw them
 * (before replacing them), to give back when it stops being a target. */
struct cw_prior {
	bool has[2];                 /* [0] IPv4, [1] IPv6 */
	struct cg_nl_route r[2];
};

/**
 * Converge a target's routes in the netns of @p pid: plan (cg_warp_plan_routes)
 * against @p rec, apply each operation, update @p rec after each success and
 * write one audit line per change. With @p adopt (a record not yet filled for
 * this netns), the routes of an earlier run already there (our protocol,
 * CG_WARP_RTPROT, any CIDR; or "proto static" for a configured CIDR, from
 * versions before it) are first taken into @p rec, so that a restarted daemon
 * does not re-apply them and removes those of CIDRs no longer configured;
 * a default route of another origin (Docker's) is kept in @p prior (may be
 * NULL) for a family that has none there yet.
 * The netns is entered only when there is something to do (or to adopt),
 * through a pidfd of @p pid (so that a reused pid cannot redirect us), and
 * @p guard must accept it first.
 * @param plan  receives the plan (its notes are for the caller to log).
 * @return 0 when every operation succeeded, the guard's refusal, else the
 *   first -errno.
 */
int cw_routes_converge(const struct cg_warp_config *cfg, const char *id, const char *name,
		       int pid, const struct cg_warp_nexthop *nh, struct cg_warp_record *rec,
		       bool adopt, struct cw_prior *prior, struct cg_warp_plan *plan,
		       int64_t event_ns, cw_guard_fn guard, void *guard_arg);

/**
 * Put back the default routes @p prior has for the families @p want says
 * (Docker's, with their own protocol) in the netns of @p pid, entered as
 * cw_routes_converge() does; one audit line each (action "restore").
 * @return 0 or the first -errno.
 */
int cw_routes_restore(const char *id, const char *name, int pid, const struct cw_prior *prior,
		      const bool want[2], cw_guard_fn guard, void *guard_arg);

/** Log with the container's short id and name as fields. */
void cw_log_ctr(enum cg_log_level level, const char *id, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* CW_H */
