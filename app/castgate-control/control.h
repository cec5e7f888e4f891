/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_CONTROL_H
#define CG_CONTROL_H

/**
 * @file
 * castgate-control's private interfaces: the process context and the
 * modules that share it.
 *
 *   main.c         lifecycle: arguments, config, start-up, the epoll loop,
 *                  signals, ready file, exit codes
 *   control_eal.c      EAL as a DPDK secondary: argv, CPU affinity, shm attach,
 *                  primary liveness
 *   control_rules.c    the rule model: origins, durable changes (data plane, then
 *                  state file, undo on failure), start-up reconciliation,
 *                  config reload
 *   control_stats.c    the 1 s sampler, rates, stats.clear baselines, stats and
 *                  port JSON
 *   control_methods.c  the JSON-RPC method table and parameter validation
 *   control_events.c   the event stream: control_event_emit(), events.subscribe
 *   control_silence.c  silence alarms: a 100 ms sampler of the rules' rx counters
 *   control_metrics.c  /metrics and /healthz over HTTP (lib/http)
 *
 * Everything runs on one thread (the epoll loop); nothing here locks, but
 * for the text control_metrics.c hands to lib/http's thread.
 */

#include <stdbool.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "cg_rpc.h"
#include "cg_rule.h"
#include "cg_shm.h"
#include "cg_state.h"
#include "cg_util.h"

#define CONTROL_PROG "castgate-control"

/** Exit status when the data plane (the DPDK primary) is gone. */

/** How long one rule change may take in the data plane before we call it lost.
 *  The primary applies it within a service poll plus an RCU grace period
 *  (milliseconds); seconds mean it is stuck. */
#define CONTROL_DP_TIMEOUT_MS 3000

/** Ticks (seconds) to wait for the data plane to finish an unanswered request
 *  before comparing it with the state file anyway. */
#define CONTROL_SETTLE_TICKS 10

/** Longest message kept for a health check. */
#define CONTROL_MSG_SIZE 512

struct control_stats;
struct control_silence;
struct control_metrics;
struct cg_http_buf;

/** The process context: one instance, owned by main(). */
struct control {
	/* Command line. */
	const char *config_path;
	const char *ready_file;
	bool log_level_forced;		/**< -v / --log-level given: reload keeps it */
	int eal_extra_argc;		/**< EAL arguments after "--" */
	char **eal_extra_argv;

	/** The config as loaded at start: socket, state file, EAL settings. A
	 *  reload applies only its [[rule]] set and never replaces this. */
	struct cg_conf *conf;
	char **eal_argv;
	bool eal_up;			/**< rte_eal_init() succeeded */
	struct cg_shm_view shm;		/**< the data plane's shared memory */

	struct cg_rpc_server *srv;
	int epfd, tfd, sfd;		/**< loop, 1 s timer, signals */
	bool stop;
	int exit_code;

	uint64_t start_unix_ms;
	pid_t supervisor_pid;		/**< 0: not started by the supervisor */
	long restarts_dataplane, restarts_control;

	/* Rules (control_rules.c). */
	struct cg_rule_set *api;	/**< API rules, as the state file holds them */
	struct cg_state state;		/**< its files: snapshot and journal */
	bool state_usable;		/**< false: state file unreadable, API rules frozen */
	bool state_rewrite_failed;	/**< a disturbed state file failed to be rewritten */
	/* The config file as a restarted process would read it (control_config_watch()). */
	struct stat config_seen;	/**< its stat at the last check */
	char config_error[CONTROL_MSG_SIZE];	/**< "" while it passes the check */
	char state_error[CONTROL_MSG_SIZE];	/**< why, or the first skipped rule's error */
	unsigned int state_skipped;	/**< state rules control could not install */
	bool dirty;			/**< data plane and state file may disagree */
	unsigned int dirty_ticks;	/**< ticks since it became dirty */

	struct control_stats *stats;	/**< control_stats.c */
	struct control_metrics *metrics; /**< control_metrics.c; NULL: endpoint off */

	/* Each port's link state as of the last tick (control_link.c). */
	struct cg_shm_link link[CG_SHM_MAX_PORTS];

	/* Events and silence alarms (control_events.c, control_silence.c). */
	uint64_t event_seq;		/**< seq of the last event emitted */
	/** Tests: sees every event emitted (params, borrowed). NULL in the daemon. */
	void (*event_tap)(json_object *params, void *arg);
	void *event_tap_arg;
	bool test_hooks;		/**< CASTGATE_TEST_HOOKS=1: test.emit is served */
	struct control_silence *silence;
	int silence_fd;			/**< the sampler's timerfd */
	uint64_t silence_clock_ms;	/**< its clock: start + expirations x tick */
};

/*
 * control_eal.c
 */

/**
 * Build the EAL argv of the secondary from the config: program name,
 * --proc-type=secondary, --file-prefix, --no-pci (or -a for each PCI port,
 * which a secondary must map as the primary did), --no-telemetry, -l with
 * the first data-plane lcore, --log-level, then @p extra verbatim.
 * (lib/conf's cg_conf_eal_argv_secondary(), after a leading "--" is dropped.)
 * @return 0, or -ENOMEM.
 */
int control_eal_argv(const struct cg_conf *c, int extra_argc, char **extra_argv, int *argc,
		 char ***argv);

/** Free an argv from control_eal_argv(). NULL is a no-op. */
void control_eal_argv_free(char **argv);

/**
 * Whether a data plane runs with our file prefix (its EAL config file is
 * locked), checked before our own EAL starts.
 * @return 0, or CONTROL_EXIT_PRIMARY_GONE (logged).
 */
int control_primary_check(const struct control *c);

/**
 * Join the data plane as a DPDK secondary: rte_eal_init() (then put our CPU
 * affinity back as it was: control must not sit on a forwarding core), then
 * attach the shared memory.
 * @return 0; CONTROL_EXIT_PRIMARY_GONE when no data plane runs with our file
 *         prefix; 1 for any other failure (logged).
 */
int control_eal_start(struct control *c);

/** Whether the data plane is still alive (EAL config lock and its pid). */
bool control_dataplane_alive(const struct control *c);

/** rte_eal_cleanup() if EAL is up. */
void control_eal_stop(struct control *c);

/**
 * Hold off EAL's detach of DPDK port @p port_id while we call ethdev on it
 * (the data plane closes and re-opens ports at run time).
 * @return true with the lock held (control_port_unlock() after the calls),
 *         false (no lock) when the port is not attached
 */
bool control_port_lock(uint16_t port_id);
void control_port_unlock(void);

/*
 * control_rules.c
 */

/** A rule as the data plane holds it. */
struct control_rule_ref {
	uint32_t slot;
	const struct cg_rule *rule;
	unsigned int origin;		/**< enum cg_shm_origin */
};

/** The name of an origin: "config" or "api". */
const char *control_origin_name(unsigned int origin);

/** The installed rule named @p name. @return 0, or -ENOENT. */
int control_rule_find(const struct control *c, const char *name, struct control_rule_ref *ref);

/** Number of rule slots to scan (0 before attach). */
uint32_t control_rule_slots(const struct control *c);

/** The rule in slot @p slot, if in use. @return true when @p ref was filled. */
bool control_rule_at(const struct control *c, uint32_t slot, struct control_rule_ref *ref);

/** The data plane's index of the port named @p name, or -ENOENT. */
int control_port_find(const struct control *c, const char *name);

/**
 * Load the state file and make the data plane's API rules equal to it:
 * install missing ones, update differing ones, remove ones the file does
 * not have. Failures are logged and counted as skipped (system.health).
 * A state file that cannot be read freezes the API rules (changes are
 * refused) rather than overwrite it.
 */
void control_rules_start(struct control *c);

/** Called once a second: retry reconciliation after a lost change. */
void control_rules_tick(struct control *c);

/**
 * Called once a second: when the config file changed (its stat), check it as
 * a start would (cg_conf_load()); c->config_error says why it fails, so that
 * system.health warns before a process restarts into it.
 */
void control_config_watch(struct control *c);

/** Who asked for a change, for the log. */
struct control_who {
	uid_t uid;
	pid_t pid;
	const char *via;		/**< method name, or "SIGHUP" */
};

/**
 * Log one change or refused change: who (via, uid, pid), what (the message,
 * the rule), result ("ok", "refused", "error"), as one line with fields.
 */
void control_audit(enum cg_log_level lvl, const struct control_who *who, const char *rule,
	       const char *result, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/**
 * Add (@p op CG_SHM_RULES_ADD) or update an API rule durably: checks, data
 * plane, state file (undone in the data plane if the save fails).
 * @param r    parsed and validated; ports by name. On success holds the rule
 *             as installed (id assigned).
 * @return 0, or -1 with @p err set (code, field, message).
 */
int control_rule_change(struct control *c, uint32_t op, struct cg_rule *r,
			const struct control_who *who, struct cg_rpc_error *err);

/**
 * Add @p n API rules at once (rule.add with "rules"): each checked and
 * installed in order, then the state file saved once. All or nothing: a
 * refused rule, or a failed save, removes the ones already installed.
 * @param rules parsed and validated; ports by name; ids assigned on success.
 * @return 0, or -1 with @p err set, naming the rule (params.rules[i]).
 */
int control_rules_add_many(struct control *c, struct cg_rule *rules, size_t n,
			   const struct control_who *who, struct cg_rpc_error *err);

/** Remove an API rule durably. @return 0, or -1 with @p err set. */
int control_rule_remove(struct control *c, const char *name, const struct control_who *who,
		    struct cg_rpc_error *err);

/** The diff of a config file's [[rule]] set against the installed config rules. */
struct control_reload_plan {
	struct cg_conf *conf;		/**< the new config (owned) */
	json_object *add, *update, *remove; /**< arrays of names */
	char conflict[CONTROL_MSG_SIZE];	/**< non-empty: the reload would be refused */
	json_object *restart;		/**< sections changed that need a restart */
};

/**
 * Read @p path and plan a reload against what is installed.
 * @return 0; -1 with @p err (-32602 for an invalid file, message = lib/conf's).
 */
int control_reload_plan(const struct control *c, const char *path, struct control_reload_plan *p,
		    struct cg_rpc_error *err);

/** Free what a plan holds. */
void control_reload_plan_free(struct control_reload_plan *p);

/**
 * Reload the [[rule]] set of the running config file: plan, then removes,
 * updates, adds; all or nothing (a failure undoes the steps done).
 * @param result  on success: {"added", "updated", "removed"}.
 * @return 0, or -1 with @p err set (-32004 for a conflict with an API rule).
 */
int control_reload(struct control *c, const struct control_who *who, json_object **result,
	       struct cg_rpc_error *err);

/** Highest generation the data plane reported (rule.list). */
uint64_t control_rules_generation(const struct control *c);

/*
 * control_stats.c
 */

/** Allocate the sampler. @return 0 or -ENOMEM. */
int control_stats_init(struct control *c);

/** Free it. */
void control_stats_fini(struct control *c);

/** Take one sample (every second, from the timer). */
void control_stats_sample(struct control *c);

/** Forget counters and baselines of a rule (it was removed or replaced). */
void control_stats_forget_rule(struct control *c, const char *name);

/** stats.clear: baselines := now. @return the clear time (unix ms). */
uint64_t control_stats_clear(struct control *c);

/**
 * The STATS document (stats.get); only rule @p rule_slot when it is not
 * UINT32_MAX. @return a new object, or NULL (ENOMEM).
 */
json_object *control_stats_json(struct control *c, uint32_t rule_slot);

/** RULESTATS of one installed rule. */
json_object *control_rule_stats_json(struct control *c, uint32_t slot);

/** PORT of data-plane port @p idx (name, ids, addresses, link). */
json_object *control_port_json(struct control *c, unsigned int idx);

/** PORTSTATS of data-plane port @p idx. */
json_object *control_port_stats_json(struct control *c, unsigned int idx);

/** Extended stats of port @p idx as {name: value}. */
json_object *control_port_xstats_json(struct control *c, unsigned int idx);

/** Whether port @p idx is open and its link up (as the data plane says). */
bool control_port_link_up(const struct control *c, unsigned int idx);

/*
 * control_link.c: the link state of each port, as the data plane publishes
 * it in cg_info (it follows netlink, LSC callbacks and an ethdev poll)
 */

/**
 * A rule's state from its ports' (RULESTATE): {"status": "active", "degraded"
 * (an output's port is down) or "paused" (its input's port is down),
 * "since_unix_ms" (the last transition of one of its ports), "input" and
 * "outputs": "active" or "paused" each}.
 */
json_object *control_rule_state_json(const struct control *c, const struct cg_rule *r);

/** Read every port's link state (zeroed beyond nb_ports): one read for many rules. */
void control_links_read(const struct control *c, struct cg_shm_link links[CG_SHM_MAX_PORTS]);

/** A rule's "status" of control_rule_state_json(), from links read above. */
const char *control_rule_status(const struct cg_rule *r, const struct cg_shm_link *links);

/** Take the ports' current state (no event for it). */
void control_link_start(struct control *c);
/** Each tick: what changed since the last one. */
void control_link_tick(struct control *c);
/** Add up, state, since_unix_ms, source, changes, opens, reason and interface to a
 * port's "link" object. */
void control_link_json(const struct control *c, unsigned int idx, json_object *link);

/*
 * control_metrics.c: /metrics (Prometheus text) and /healthz, served on
 * lib/http's thread from text the loop renders at each tick
 */

/**
 * Start the endpoint on control.metrics_listen ("": do nothing), with a
 * first render. A busy address is logged and tried again every 10 ticks.
 * @return 0; -ENOMEM, or -EINVAL for an address lib/conf should have refused.
 */
int control_metrics_start(struct control *c);

/** Each tick: render and publish; retry a failed bind. */
void control_metrics_tick(struct control *c);

/** Stop the endpoint (joins its thread) and free it. NULL-safe. */
void control_metrics_stop(struct control *c);

/**
 * The /metrics text: every family, in Prometheus text format 0.0.4.
 * @return 0, or -ENOMEM / -ENOSPC (then @p out holds part of it).
 */
int control_metrics_render(struct control *c, struct cg_http_buf *out);

/**
 * The /healthz answer: system.health's result as JSON in @p out.
 * @return the HTTP status: 200 when its status is "ok", else 503 (500: no memory).
 */
int control_metrics_health(struct control *c, struct cg_http_buf *out);

/*
 * control_methods.c
 */

/** The method table for the rpc server. */
extern const struct cg_rpc_method control_methods[];

/*
 * Helpers shared by the modules (main.c).
 */

/** Wall clock in milliseconds since the epoch. */
uint64_t control_now_ms(void);

/** Monotonic clock in milliseconds (intervals, timeouts). */
uint64_t control_mono_ms(void);

/** The monotonic clock in microseconds (durations). */
uint64_t control_mono_us(void);

/** Add @p v to @p o under @p k; a NULL @p v (ENOMEM) is dropped. */
void control_jadd(json_object *o, const char *k, json_object *v);

/** IPv4 (network order) as a new JSON string. */
json_object *control_jip(uint32_t ip_be);

/** Map a negative errno from the data plane to an RPC error. */
void control_dp_error(struct cg_rpc_error *err, int ret, const char *field, const char *msg);

/*
 * control_events.c: the event stream (events.subscribe; docs/API.md, "Events")
 */

/** Event classes: the word before the dot of an event type. A subscriber
 *  picks classes (events.subscribe "types"); lib/rpc's topics are these bits. */
enum control_event_class_bit {
	CONTROL_EV_LINK = 1u << 0,	/**< "link": link.up, link.down */
	CONTROL_EV_PORT = 1u << 1,	/**< "port": port.reopened */
	CONTROL_EV_RULE = 1u << 2,	/**< "rule": rule.paused, rule.resumed */
	CONTROL_EV_SILENCE = 1u << 3,	/**< "silence": silence.raised, silence.cleared */
	CONTROL_EV_DATAPLANE = 1u << 4,	/**< "dataplane": dataplane.restarted */
	CONTROL_EV_TEST = 1u << 5,	/**< "test": test.* (the test hook only) */
	CONTROL_EV_ALL = (1u << 6) - 1,
};

/**
 * Emit one event: a JSON-RPC notification {"jsonrpc":"2.0","method":"event",
 * "params":{"type": @p type, "seq": N, "time_unix_ms": N, ...@p fields}} to
 * every subscriber of the event's class. Never blocks (a slow subscriber
 * loses events, counted; see lib/rpc), never fails the caller; callable
 * from the loop and from method handlers.
 *
 * Log the transition yourself (once); this logs only at debug level.
 *
 * @param type    "<class>.<what>", one of the types of docs/API.md
 *                ("link.down", "port.reopened", "rule.paused", ...); an
 *                unknown class is a bug: logged, nothing sent.
 * @param fields  the event's own members (a json object, or NULL); always
 *                consumed (put), also on failure. Never "type", "seq",
 *                "time_unix_ms" or "lost": those are the envelope's.
 *
 * Example (control_link.c):
 *   json_object *f = json_object_new_object();
 *   control_jadd(f, "port", json_object_new_string("out1"));
 *   control_jadd(f, "source", json_object_new_string("netlink"));
 *   control_event_emit(c, "link.down", f);
 */
void control_event_emit(struct control *c, const char *type, json_object *fields);

/** The envelope of an event as emitted (type, next seq, time, @p fields'
 *  members, borrowed). @return a new object, or NULL (ENOMEM). */
json_object *control_event_params(struct control *c, const char *type, json_object *fields);

/** The class bit of the class named by the @p len bytes at @p name, or 0. */
uint32_t control_event_class(const char *name, size_t len);

/** The name of class bit @p bit, or NULL. */
const char *control_event_class_name(uint32_t bit);

/** The result of events.subscribe: types, seq, dataplane and control
 *  identities, ports' links, silence alarms now. @return new, or NULL. */
json_object *control_events_snapshot(struct control *c, uint32_t classes);

/** The loop's tick: rate sampling, the primary's liveness, rule retries, metrics. */
#define CONTROL_TICK_MS 1000

/*
 * control_silence.c: silence alarms
 */

/** How often the rules' rx counters are sampled: an alarm is raised within
 *  this much after silence_ms. Cheap: one 64-bit read per rule and lcore. */
#define CONTROL_SILENCE_TICK_MS 100

/** Allocate the state. @return 0 or -ENOMEM. */
int control_silence_init(struct control *c);
/** Free what control_silence_init() took. */
void control_silence_fini(struct control *c);
/** Create the sampler's timerfd (c->silence_fd). @return it, or a negative errno. */
int control_silence_start(struct control *c);
/** The timerfd is readable: take a sample. */
void control_silence_read(struct control *c);
/** Close the timer; control_silence_fini() frees the state. */
void control_silence_stop(struct control *c);

/**
 * One sample at the given times: follow each installed rule's rx_pkts;
 * raise (silence.raised) when it has not moved for the rule's silence_ms,
 * clear (silence.cleared) on traffic, on removal, or when turned off.
 */
void control_silence_sample(struct control *c, uint64_t mono_ms, uint64_t unix_ms);

/** A rule's effective silence_ms: its own, else [control] silence_ms; 0 = off. */
uint32_t control_silence_ms(const struct control *c, const struct cg_rule *r);

/** {"silence_ms", "alarm", "since_unix_ms" (while raised), "last_rx_unix_ms"
 *  (null: none seen), "raised"} of the rule in @p slot, or NULL. */
json_object *control_silence_json(const struct control *c, uint32_t slot);

/** The alarms raised now: [{"rule", "id", "silence_ms", "since_unix_ms",
 *  "last_rx_unix_ms"}, ...]. */
json_object *control_silence_alarms_json(const struct control *c);

#endif /* CG_CONTROL_H */
