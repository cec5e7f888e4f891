/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_WARP_H
#define CG_WARP_H

/**
 * @file
 * castgate-warp decisions, as pure functions that unit tests can drive:
 *
 * - configuration: defaults < TOML file < environment < command line, each
 *   layer validated strictly, messages naming the key (and TOML line);
 * - anchored glob matching of warp container names;
 * - classification of a container as warp, target or neither;
 * - choice of the next hop (the warp's address on the right network);
 * - route planning: desired routes of a target vs. the routes we installed,
 *   as a list of replace/remove operations (applying a plan and planning
 *   again yields no operation);
 * - safety: whether a container's network namespace is its own, so that
 *   routes set "for" it never land in the host's or another container's.
 *
 * No I/O apart from reading the TOML file named by the configuration.
 * Key names and defaults follow the "Docker Network Warp" (DNW) spec, so that
 * its config files, environment variables and flags keep working.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "cg_docker.h"
#include "cg_log.h"
#include "cg_nl.h"

/** Defaults (those of DNW, plus castgate's extensions). */
#define CG_WARP_DEFAULT_PATTERN      "warp-*"
#define CG_WARP_DEFAULT_TARGET_LABEL "network.warp.target"
#define CG_WARP_DEFAULT_PREF_LABEL   "network.warp.network"
#define CG_WARP_DEFAULT_RULE         "0.0.0.0/0"
#define CG_WARP_DEFAULT_SOCKET       "unix:///var/run/docker.sock"
#define CG_WARP_DEFAULT_METRICS      "127.0.0.1:9464"

/** Most routing rules: one route each per target; far above any real use. */
#define CG_WARP_MAX_RULES 64
/** Longest string setting (pattern, labels, socket URL, file names). */
#define CG_WARP_STR_MAX 512

/** What a target's routes become while its warp is down. */
enum cg_warp_down {
	CG_WARP_DOWN_BLACKHOLE = 0, /**< unreachable routes: fail closed */
	CG_WARP_DOWN_KEEP,          /**< leave the routes via the old next hop */
};

/**
 * Settings that every layer (env, CLI) can override; TOML has the same keys.
 * The table in cg_warp.c maps each to its TOML key, env suffix and flag.
 */
enum cg_warp_opt {
	CG_WARP_OPT_PATTERN = 0,    /**< warp_container_name_pattern */
	CG_WARP_OPT_TARGET_LABEL,   /**< target_container_label */
	CG_WARP_OPT_PREF_LABEL,     /**< network_preference_label */
	CG_WARP_OPT_RULES,          /**< [[routing_rules]] / --routing-rules */
	CG_WARP_OPT_LOG_LEVEL,      /**< [logging] level */
	CG_WARP_OPT_LOG_FORMAT,     /**< [logging] format */
	CG_WARP_OPT_SOCKET,         /**< [docker] socket */
	CG_WARP_OPT_TLS_CA,         /**< [docker] tls_ca */
	CG_WARP_OPT_TLS_CERT,       /**< [docker] tls_cert */
	CG_WARP_OPT_TLS_KEY,        /**< [docker] tls_key */
	CG_WARP_OPT_METHOD,         /**< docker_connection_method (DNW; informative) */
	CG_WARP_OPT_ON_DOWN,        /**< on_warp_down */
	CG_WARP_OPT_METRICS,        /**< [metrics] listen */
	CG_WARP_OPT_COUNT,
};

/** One routing rule: a destination CIDR routed through the warp. */
struct cg_warp_rule {
	char cidr[64];              /**< canonical text, e.g. "10.0.0.0/8" */
	struct cg_nl_route dst;     /**< family, dst, dst_len (other fields zero) */
	/* DNW's optional protocol/port_range: validated and kept, but a route
	 * cannot select by protocol or port, so the daemon warns and routes the
	 * whole destination. */
	char protocol[8];           /**< "", "tcp", "udp", "icmp" */
	uint16_t port_lo, port_hi;  /**< 0/0 when absent */
};

/** The effective configuration. */
struct cg_warp_config {
	char config_path[CG_WARP_STR_MAX];  /**< "" when no file was read */
	char pattern[CG_WARP_STR_MAX];
	char target_label[CG_WARP_STR_MAX];
	char pref_label[CG_WARP_STR_MAX];
	size_t n_rules;
	struct cg_warp_rule rules[CG_WARP_MAX_RULES];
	enum cg_log_level log_level;
	enum cg_log_format log_format;
	char log_level_name[16];            /**< as configured ("trace" kept for DNW) */
	char socket[CG_WARP_STR_MAX];
	char tls_ca[CG_WARP_STR_MAX], tls_cert[CG_WARP_STR_MAX], tls_key[CG_WARP_STR_MAX];
	char method[16];                    /**< "socket", "http" or "ssl" */
	enum cg_warp_down on_down;
	char metrics_listen[128];           /**< "" = disabled */
	struct sockaddr_storage metrics_addr;
	socklen_t metrics_addrlen;          /**< 0 when disabled */
	/** Where each setting came from: "default", "<file>", "<ENV_NAME>", "--flag". */
	const char *origin[CG_WARP_OPT_COUNT];
};

/** Options of one override layer (command line or environment). */
struct cg_warp_args {
	const char *config;                  /**< -c/--config or CASTGATE_WARP_CONFIG */
	const char *config_src;              /**< its flag or variable name */
	const char *opt[CG_WARP_OPT_COUNT];  /**< NULL = not given */
	const char *src[CG_WARP_OPT_COUNT];  /**< flag or variable name, for messages */
	bool check_config;                   /**< --check-config / --validate-config */
	bool print_default_config;
	bool help;
	bool version;
};

/** Fill @p cfg with the defaults (valid on their own). */
void cg_warp_config_defaults(struct cg_warp_config *cfg);

/**
 * Parse the command line (argv[0] is skipped). Accepts "--flag value",
 * "--flag=value", "-c FILE", "-cFILE", "-l LEVEL". Values are pointers into
 * @p argv. Values are not validated here (see cg_warp_config_apply_args()).
 * @return 0, or -EINVAL with a message in @p err (unknown option, missing
 *   value, stray argument).
 */
int cg_warp_args_parse(int argc, char *const argv[], struct cg_warp_args *a,
		       char *err, size_t errlen);

/**
 * Collect the environment layer from @p envp ("NAME=value" strings, NULL
 * terminated; NULL = none). CASTGATE_WARP_<X> wins over DOCKER_NETWORK_WARP_<X>.
 * An empty value counts as unset. Values point into @p envp.
 */
void cg_warp_env_parse(char *const envp[], struct cg_warp_args *a);

/**
 * Check the environment's variable names: every non-empty CASTGATE_WARP_<X>
 * must be a setting (cg_warp_config_load() calls this, so a misspelled one is
 * a configuration error). An unknown DOCKER_NETWORK_WARP_<X> is not an error
 * (a DNW setting castgate lacks must not stop a DNW deployment): its names go
 * to @p dnw ("A, B"; "" when none; may be NULL) for the caller to warn about.
 * @return 0, or -EINVAL with "<NAME>: unknown environment variable ..." (and
 *   the closest known name, if one is close) in @p err.
 */
int cg_warp_env_check(char *const envp[], char *err, size_t errlen, char *dnw, size_t dnwlen);

/**
 * Apply a parsed TOML document (layer "file"). Unknown keys are errors.
 * @param file  name used in origin[] (kept as a pointer: must outlive @p cfg use).
 * @return 0, or -EINVAL with "<key path> (line N): <problem>" in @p err.
 */
int cg_warp_config_apply_toml(struct cg_warp_config *cfg, json_object *root, const char *file,
			      char *err, size_t errlen);

/**
 * Read and apply a TOML file.
 * @return 0, or -EINVAL / -errno with "<file>: ..." in @p err.
 */
int cg_warp_config_apply_file(struct cg_warp_config *cfg, const char *path,
			      char *err, size_t errlen);

/**
 * Apply an override layer (env or CLI); each value is validated and the
 * message names its flag or variable: "--routing-rules: 10.0.0.1/8: host bits set".
 * @return 0 or -EINVAL.
 */
int cg_warp_config_apply_args(struct cg_warp_config *cfg, const struct cg_warp_args *a,
			      char *err, size_t errlen);

/**
 * Set one option from a string, as the env and CLI layers do.
 * @param where  name used in messages and kept in origin[] (static lifetime).
 * @return 0 or -EINVAL.
 */
int cg_warp_config_set(struct cg_warp_config *cfg, enum cg_warp_opt opt, const char *value,
		       const char *where, char *err, size_t errlen);

/**
 * The whole load: defaults, then the TOML file named by -c/--config (or
 * CASTGATE_WARP_CONFIG / DOCKER_NETWORK_WARP_CONFIG), then the environment,
 * then the command line.
 * @param cli  receives the parsed command line (actions such as --help).
 * @return 0, or -EINVAL (bad flag, bad value, bad file) / -ENOENT (file
 *   missing) with a message in @p err.
 */
int cg_warp_config_load(int argc, char *const argv[], char *const envp[],
			struct cg_warp_config *cfg, struct cg_warp_args *cli,
			char *err, size_t errlen);

/**
 * Write @p cfg as a TOML document that cg_warp_config_apply_toml() accepts
 * and that yields the same settings (used by --print-default-config and
 * --check-config).
 * @return the length the full document needs (like snprintf).
 */
size_t cg_warp_config_to_toml(const struct cg_warp_config *cfg, char *buf, size_t size);

/** Name of an option's TOML key ("logging.level"), env suffix and flag. */
const char *cg_warp_opt_toml_key(enum cg_warp_opt opt);
const char *cg_warp_opt_flag(enum cg_warp_opt opt);

/**
 * Parse a CIDR strictly: "a.b.c.d/len" or "v6addr/len", the prefix length
 * required, decimal, in range, and no host bits set.
 * @return 0, or -EINVAL with a message (without the key name) in @p err.
 */
int cg_warp_cidr_parse(const char *s, struct cg_nl_route *r, char *err, size_t errlen);

/**
 * Parse a metrics listen address "127.0.0.1:9464" or "[::1]:9464"; the
 * address must be loopback (127.0.0.0/8 or ::1) and the port 1..65535.
 * @return 0 or -EINVAL with a message in @p err.
 */
int cg_warp_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len,
			 char *err, size_t errlen);

/*
 * Glob
 */

/**
 * Check a glob pattern: '*' any run of characters, '?' one character,
 * "[abc]", "[a-z]", "[!a-z]" or "[^a-z]" a class, '\' quotes the next
 * character. Rejects an empty pattern, an unclosed '[', an empty class,
 * a reversed range and a trailing '\'.
 * @return 0 or -EINVAL with a message.
 */
int cg_warp_glob_check(const char *pattern, char *err, size_t errlen);

/**
 * Anchored match: true only when the whole of @p name matches the whole of
 * @p pattern ("warp-*" matches "warp-1", not "proxy-warp-1"). '/' and a
 * leading '.' are ordinary characters. A malformed pattern matches nothing.
 */
bool cg_warp_glob_match(const char *pattern, const char *name);

/** Longest container name a target's label may give (a longer value is refused, never cut). */
#define CG_WARP_NAME_MAX 255

/**
 * Whether @p s can be a Docker container name, as Docker checks it
 * (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`, an optional leading '/'), and at most
 * CG_WARP_NAME_MAX characters: a target label's value that is not one never
 * names a warp, and is refused without asking Docker.
 * @param why  when not, why ("257 characters, more than 255", "character ';'
 *             at 6 is not allowed in a container name"); may be NULL.
 */
bool cg_warp_name_valid(const char *s, char *why, size_t whylen);

/*
 * Classification
 */

enum cg_warp_role {
	CG_WARP_ROLE_NONE = 0,
	CG_WARP_ROLE_WARP,
	CG_WARP_ROLE_TARGET,
};

/** "none", "warp", "target". */
const char *cg_warp_role_name(enum cg_warp_role role);

/**
 * Classify a container. A warp's name matches the pattern; a target carries
 * the target label, whose value names its warp (a container name). When a
 * container is both, the warp role wins (a gateway is never routed through
 * another gateway) and @p note says that its label is ignored. A target label
 * with an empty value makes the container neither, with a note.
 *
 * @param warp_name  for a target: receives the label value (may be NULL).
 * @param note       receives a warning to log, or "" (may be NULL).
 */
enum cg_warp_role cg_warp_classify(const struct cg_warp_config *cfg,
				   const struct cg_docker_container *c,
				   const char **warp_name, char *note, size_t notelen);

/** Label @p key of @p c, or NULL (json-c lookup; no lib/docker call). */
const char *cg_warp_label(const struct cg_docker_container *c, const char *key);

/*
 * Next hop
 */

/** The warp's addresses on the network chosen for a target. */
struct cg_warp_nexthop {
	char network[128];
	bool has_v4, has_v6;
	uint8_t v4[4];
	uint8_t v6[16];
	char v4_str[16];
	char v6_str[46];
};

/**
 * Choose the network through which @p target reaches @p warp and the warp's
 * addresses on it. With the preference label on the warp, that network;
 * otherwise the warp's only network.
 *
 * @return 0 (at least one address family present), or with a message in @p err:
 *   -ENOTUNIQ  the warp is on several networks and has no preference label;
 *   -ENONET    the preferred network is not among the warp's networks;
 *   -ENETUNREACH the target is not on the chosen network (or the warp has none);
 *   -EADDRNOTAVAIL the warp has no usable address on it, or one is malformed.
 */
int cg_warp_nexthop_choose(const struct cg_warp_config *cfg,
			   const struct cg_docker_container *warp,
			   const struct cg_docker_container *target,
			   struct cg_warp_nexthop *nh, char *err, size_t errlen);

/**
 * The gateway for a destination family: fills @p gw (16 bytes).
 * @return 0, or -EAFNOSUPPORT when the next hop has no address of @p family.
 */
int cg_warp_nexthop_gw(const struct cg_warp_nexthop *nh, int family, uint8_t gw[16]);

/*
 * Route planning
 */

/**
 * The route protocol (rtm_protocol, "proto 103" in `ip route`) of the routes
 * castgate-warp installs. Its own number, so that a restarted daemon knows its
 * routes even for CIDRs no longer configured; Docker's routes are "kernel" or
 * "boot", an administrator's "static". 103 is assigned neither in the
 * kernel's rtnetlink.h nor in iproute2's rt_protos, and is not one that FRR
 * (186..198) or Calico (80) use.
 */
#define CG_WARP_RTPROT 103

/** What we installed in one target's netns: at most one route per CIDR. */
struct cg_warp_record {
	size_t n;
	struct cg_nl_route routes[CG_WARP_MAX_RULES];
};

/** Audit action of an operation (also the "action" of the audit log line). */
enum cg_warp_action {
	CG_WARP_ACT_ADD = 0,     /**< replace where we had nothing: a new route */
	CG_WARP_ACT_REPLACE,     /**< replace our route with another next hop */
	CG_WARP_ACT_BLACKHOLE,   /**< replace with an unreachable route (fail closed) */
	CG_WARP_ACT_REMOVE,      /**< delete a route we installed */
};

/** "add", "replace", "blackhole", "remove". */
const char *cg_warp_action_name(enum cg_warp_action a);

struct cg_warp_op {
	enum cg_warp_action action;
	struct cg_nl_route route;   /**< to replace with, or to delete */
	size_t rule;                /**< index in cfg->rules (SIZE_MAX for a remove) */
};

/** Per-rule problem found while planning (e.g. no IPv6 next hop). */
struct cg_warp_plan_note {
	size_t rule;
	int error;                  /**< negative errno */
};

/** A plan: operations to run in order, and the problems met. */
struct cg_warp_plan {
	size_t n_ops;
	struct cg_warp_op ops[2 * CG_WARP_MAX_RULES];
	size_t n_notes;
	struct cg_warp_plan_note notes[CG_WARP_MAX_RULES];
};

/**
 * Plan a target's routes. For each rule: via the next hop of its family;
 * when @p nh is NULL (warp down) or has no address of the rule's family, the
 * on_warp_down policy: an unreachable route ("blackhole"), or the installed
 * route left as it is ("keep"). A family mismatch is also reported in
 * plan->notes (-EAFNOSUPPORT). Routes in @p rec for CIDRs no longer
 * configured are removed. Operations already satisfied by @p rec are omitted,
 * so that planning after cg_warp_record_apply() of every op yields none.
 */
void cg_warp_plan_routes(const struct cg_warp_config *cfg, const struct cg_warp_nexthop *nh,
			 const struct cg_warp_record *rec, struct cg_warp_plan *plan);

/** Record the effect of a successfully applied operation. */
void cg_warp_record_apply(struct cg_warp_record *rec, const struct cg_warp_op *op);

/** True when two routes have the same family, destination and prefix. */
bool cg_warp_route_same_dst(const struct cg_nl_route *a, const struct cg_nl_route *b);

/** Format a route's CIDR ("10.0.0.0/8") and its next hop ("198.19.1.3", "unreachable"). */
const char *cg_warp_route_cidr(const struct cg_nl_route *r, char *buf, size_t size);
const char *cg_warp_route_via(const struct cg_nl_route *r, char *buf, size_t size);

/*
 * Safety: castgate-warp changes routes only in a network namespace that
 * belongs to the target alone. Each check returns CG_WARP_SAFE or the reason
 * for refusing, with a sentence for the log in @p why.
 */

enum cg_warp_refusal {
	CG_WARP_SAFE = 0,
	CG_WARP_REFUSE_HOST_NETWORK,      /**< network mode "host" */
	CG_WARP_REFUSE_CONTAINER_NETWORK, /**< network mode "container:<id>" */
	CG_WARP_REFUSE_HOST_NETNS,        /**< the netns is the host's (that of pid 1) */
	CG_WARP_REFUSE_OWN_NETNS,         /**< the netns is castgate-warp's own */
	CG_WARP_REFUSE_SHARED_NETNS,      /**< another running container joined it */
	CG_WARP_REFUSE_PID_CHANGED,       /**< the pid no longer belongs to the container */
	CG_WARP_REFUSE_COUNT,
};

/** The metric label and log field of a refusal: "host_network", "container_network",
 * "host_netns", "own_netns", "shared_netns", "pid_changed" ("" for CG_WARP_SAFE). */
const char *cg_warp_refusal_name(enum cg_warp_refusal r);

/** A network namespace's identity: the device and inode of its nsfs file. */
struct cg_warp_nsid {
	uint64_t dev, ino;
};

/**
 * From Docker's word alone: a container whose network mode is "host" or
 * "container:<id>" has no network namespace of its own.
 * @param role  "target" or "warp", for the message.
 */
enum cg_warp_refusal cg_warp_check_network_mode(const struct cg_docker_container *c,
						const char *role, char *why, size_t whylen);

/**
 * From the kernel: the namespace a netlink socket was opened in (@p ns) is
 * neither the host's (@p host, that of pid 1) nor our own (@p self). A
 * zero @p host or @p self (could not be read) is not compared.
 */
enum cg_warp_refusal cg_warp_check_netns(const struct cg_warp_nsid *ns,
					 const struct cg_warp_nsid *host,
					 const struct cg_warp_nsid *self, char *why, size_t whylen);

/**
 * Does the process we pinned still belong to the container? @p before is the
 * inspect whose pid was pinned; @p now a fresh inspect of the same container
 * (NULL when Docker no longer knows it); @p pinned_alive whether the pinned
 * process still runs (checked after @p now was read). Safe only when the
 * container still runs with the same pid and start time and the pinned
 * process lives: then the pid cannot have been reused in between.
 */
enum cg_warp_refusal cg_warp_check_same_run(const struct cg_docker_container *before,
					    const struct cg_docker_container *now,
					    bool pinned_alive, char *why, size_t whylen);

/** A running container in another container's network namespace ("container:<x>"). */
struct cg_warp_joiner {
	char id[65];
	char name[256];
	char mode[320];   /**< HostConfig.NetworkMode */
};

/**
 * Read a joiner from one entry of Docker's /containers/json array (Id, Names,
 * State, HostConfig.NetworkMode).
 * @return true when the entry is a running container in "container:" mode.
 */
bool cg_warp_joiner_from_list(json_object *entry, struct cg_warp_joiner *j);

/** The same from an inspected container. */
bool cg_warp_joiner_from_container(const struct cg_docker_container *c, struct cg_warp_joiner *j);

/**
 * Is @p c's network namespace joined by another running container? One of
 * @p joiners whose mode is "container:" followed by @p c's id, a prefix of
 * it, or its name shares it.
 */
enum cg_warp_refusal cg_warp_check_sharers(const struct cg_warp_joiner *joiners, size_t n,
					   const struct cg_docker_container *c,
					   char *why, size_t whylen);

/**
 * Does @p cgroup (the text of /proc/<pid>/cgroup) put the process in the
 * cgroup of container @p id? Docker names it after the full id: a path
 * component "<id>" (cgroupfs driver, any parent) or "docker-<id>.scope"
 * (systemd driver). A process in that cgroup belongs to that container,
 * whatever Docker is asked later; false when no line says so (another
 * runtime, a private cgroup namespace): then ask Docker again.
 */
bool cg_warp_cgroup_has(const char *cgroup, const char *id);

#endif /* CG_WARP_H */
