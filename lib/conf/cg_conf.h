/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_CONF_H
#define CG_CONF_H

/**
 * @file
 * castgate's config file (castgate.toml): logging, data-plane tuning, ports
 * and relay rules. docs/CONFIG.md is the reference for every key.
 *
 * Loading is strict: unknown keys, wrong types and bad values fail with a
 * message naming the key path and line, and the cross-checks (unique port
 * names and devices, rule ports that exist, mbuf size vs MTU, gateway inside
 * the port's prefix, ...) run before anything is returned, so a loaded
 * config is ready to use as is.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "cg_log.h"
#include "cg_rule.h"

/** Most ports a config may declare: what the data plane holds (CG_SHM_MAX_PORTS). */
#define CG_CONF_MAX_PORTS 16
/** Size of a port device string buffer (vdev string or PCI address with devargs). */
#define CG_CONF_DEVICE_SIZE 256
/** Size of the lcore list buffer. */
#define CG_CONF_LCORES_SIZE 128
/** Size of the EAL file prefix buffer. */
#define CG_CONF_PREFIX_SIZE 64
/** Headroom DPDK reserves in front of packet data (RTE_PKTMBUF_HEADROOM). */
#define CG_CONF_MBUF_HEADROOM 128
/** Ethernet header and FCS: some PMDs DMA the FCS into the buffer too. */
#define CG_CONF_L2_OVERHEAD 18

/** [log] */
struct cg_conf_log {
	enum cg_log_level level;   /**< level: error|warn|info|debug (default info) */
	enum cg_log_format format; /**< format: text|json (default text) */
};

/** [dataplane] */
struct cg_conf_dataplane {
	char lcores[CG_CONF_LCORES_SIZE];     /**< EAL -l list; the first is the main lcore */
	unsigned int n_lcores;                /**< number of lcores in the list */
	bool main_forwards;      /**< the main lcore also forwards (worker 0) */
	char file_prefix[CG_CONF_PREFIX_SIZE]; /**< EAL --file-prefix */
	uint32_t memory_mb;      /**< 0 = DPDK default; else -m */
	bool no_huge;            /**< --no-huge (tests only) */
	uint32_t mbufs;          /**< mempool size per socket */
	uint32_t mbuf_cache;     /**< per-lcore mempool cache */
	uint32_t mbuf_size;      /**< data room, headroom included */
	uint16_t burst;          /**< RX/TX burst size */
	uint32_t max_rules;      /**< rule slots reserved at start */
	uint32_t max_outputs;    /**< outputs each rule slot has room for */
	uint16_t rx_desc;        /**< default RX ring size */
	uint16_t tx_desc;        /**< default TX ring size */
	uint32_t tx_drain_us;    /**< TX buffer flush period; 0 = after every poll */
	uint32_t idle_sleep_us;  /**< sleep of an idle worker; 0 = pure polling */
	bool checksum_check;     /**< verify IPv4/UDP checksums on input */
	uint8_t igmp_version;    /**< 2 or 3 */
	uint32_t igmp_interval_s; /**< unsolicited membership report period */
	uint32_t arp_timeout_s;  /**< lifetime of an ARP entry */
	uint32_t arp_retry_ms;   /**< delay between ARP requests */
	uint32_t arp_max_retries; /**< ARP requests before a next hop is unreachable */
	char **eal_args;         /**< extra EAL arguments, appended verbatim */
	size_t n_eal_args;
};

/** One [[port]]. Its index in cg_conf.ports is its port_id. */
struct cg_conf_port {
	char name[CG_RULE_PORT_NAME_SIZE];  /**< unique name */
	char device[CG_CONF_DEVICE_SIZE];   /**< vdev string or PCI address (+ devargs) */
	bool is_pci;             /**< device is a PCI address: allowlisted with -a */
	uint32_t ip;             /**< the port's address, network order */
	uint8_t prefix_len;      /**< its prefix length, 1..32 */
	uint32_t netmask;        /**< prefix_len as a mask, network order */
	bool mac_auto;           /**< use the device's own MAC */
	uint8_t mac[6];          /**< the MAC to set, when !mac_auto */
	uint16_t mtu;            /**< 68..9000 */
	uint32_t gateway;        /**< next hop for unicast outside the prefix; 0 = none */
	uint16_t rx_desc;        /**< effective RX ring size */
	uint16_t tx_desc;        /**< effective TX ring size */
	uint8_t tx_multi_seg;    /**< enum cg_conf_multi_seg: how fan-out copies are made */
	bool xdp_steer;          /**< net_af_xdp: castgate's XDP program takes only the rules' traffic */
};

/** [[port]] tx_multi_seg: whether fan-out sends chained mbufs (clones) or copies. */
enum cg_conf_multi_seg {
	CG_CONF_MULTI_SEG_AUTO = 0,	/**< "auto": chains where the driver declares multi-seg TX */
	CG_CONF_MULTI_SEG_ON,		/**< "on": chains even where it does not declare it */
	CG_CONF_MULTI_SEG_OFF,		/**< "off": always copies */
};

/** Size of a Unix socket path (sun_path). */
#define CG_CONF_SOCKET_SIZE 108
/** Size of a group name buffer. */
#define CG_CONF_GROUP_SIZE 64
/** "[v6addr]:port" at its longest, with room to spare. */
#define CG_CONF_LISTEN_SIZE 64
/** Size of a file or directory path buffer. */
#define CG_CONF_PATH_SIZE 4096

/** [control]: castgate-control, the JSON-RPC process. */
struct cg_conf_control {
	char socket[CG_CONF_SOCKET_SIZE];    /**< socket path (absolute) */
	char group[CG_CONF_GROUP_SIZE];      /**< socket group: connect and read; "" = root only */
	char admin_group[CG_CONF_GROUP_SIZE]; /**< may change rules too; "" = root only */
	char state_file[CG_CONF_PATH_SIZE];  /**< API rules (lib/state), absolute */
	uint32_t max_clients;        /**< connections at once */
	uint32_t idle_timeout_ms;    /**< cut a client silent this long */
	uint32_t request_timeout_ms; /**< cut a client whose request is incomplete this long */
	uint32_t max_request_bytes;  /**< longest request line */
	uint32_t silence_ms;         /**< silence alarm of rules without their own; 0 = off */
	char metrics_listen[CG_CONF_LISTEN_SIZE]; /**< /metrics, /healthz: "ADDR:PORT"; "" = off */
};

/** [supervisor]: castgate, which runs the two processes. */
struct cg_conf_supervisor {
	char run_dir[CG_CONF_PATH_SIZE]; /**< ready files; created if missing */
	uint32_t restart_min_ms;  /**< first restart delay */
	uint32_t restart_max_ms;  /**< delay cap; doubling in between */
	uint32_t quick_restarts;  /**< restarts without delay before the backoff */
	uint32_t stable_s;        /**< running this long resets the delay */
	uint32_t stop_timeout_s;  /**< orderly stop of both children, in all, then SIGKILL */
	uint32_t ready_timeout_s; /**< a child not ready by then is restarted */
};

/** A loaded config. Read-only for its users, except the rule set. */
struct cg_conf {
	struct cg_conf_log log;
	struct cg_conf_dataplane dp;
	struct cg_conf_control ctl;
	struct cg_conf_supervisor sup;
	struct cg_conf_port ports[CG_CONF_MAX_PORTS];
	size_t n_ports;
	struct cg_rule_set *rules; /**< rules, in file order, ports resolved */
};

/*
 * The schema: one row per key.
 *
 * Each section is a table of struct cg_conf_key rows, and the root is a
 * table whose rows are the sections. The rows drive reading (type, range,
 * required or default), the defaults, cg_conf_to_json(), and the test that
 * checks docs/CONFIG.md, castgate.toml(5) and config/castgate.toml.example
 * against them. Adding a key is one row (and a field in the section's
 * struct) plus its use.
 */

/** The TOML type of a key. */
enum cg_conf_type {
	CG_CONF_INT,     /**< integer in min..max, stored in a uint8/16/32_t (size) */
	CG_CONF_BOOL,    /**< boolean, stored in a bool */
	CG_CONF_STRING,  /**< string: its parse hook, else copied into a char[size] */
	CG_CONF_STRINGS, /**< array of strings: its parse hook */
	CG_CONF_TABLE,   /**< a section, read with .table */
	CG_CONF_TABLES,  /**< an array of tables: its parse hook, each read with .table */
};

/** The key must be present (it has no default). */
#define CG_CONF_REQUIRED 0x1u
/** Optional, without a default: absent leaves the value unset (zero). */
#define CG_CONF_NODEF 0x2u
/** Its default is the key of the same name in [dataplane]. */
#define CG_CONF_INHERIT 0x4u

struct cg_conf_key;
struct cg_conf_in;

/**
 * Parse hook of a key whose value needs more than a type and range check.
 * @p v has the row's TOML type already (or is a string made from .def_str,
 * to set the default); @p sec is the section's struct.
 * @return 0, or -EINVAL with the error (naming the key) in the context's
 *         err buffer, or -ENOMEM.
 */
typedef int cg_conf_parse_t(const struct cg_conf_key *k, void *sec, json_object *v,
			    const struct cg_conf_in *in);

/**
 * JSON hook: add the key's effective value to @p obj, or nothing when it is
 * unset. @return 0, or -ENOMEM.
 */
typedef int cg_conf_json_t(const struct cg_conf_key *k, const void *sec, json_object *obj);

/** A table of keys: a section, an element of an array of tables, or the root. */
struct cg_conf_table {
	const struct cg_conf_key *keys;
	size_t n_keys;
	/** Checks between keys of the table, once all are read (NULL: none); @p t may be NULL. */
	int (*check)(const void *sec, json_object *t, const char *tpath, char *err, size_t errlen);
};

/** One config key. */
struct cg_conf_key {
	const char *name;
	enum cg_conf_type type;
	size_t offset;           /**< offsetof() the value in the section's struct */
	size_t size;             /**< sizeof() the value */
	int64_t min, max;        /**< CG_CONF_INT: the range */
	int64_t def;             /**< CG_CONF_INT, CG_CONF_BOOL: the default */
	const char *def_str;     /**< CG_CONF_STRING: the default, read like a value */
	const char *at_least;    /**< CG_CONF_INT: not below this key of the same table */
	unsigned int flags;      /**< CG_CONF_REQUIRED, CG_CONF_NODEF, CG_CONF_INHERIT */
	cg_conf_parse_t *parse;  /**< NULL: the type's own reading */
	cg_conf_json_t *to_json; /**< NULL: the type's own JSON */
	const struct cg_conf_table *table; /**< CG_CONF_TABLE, CG_CONF_TABLES */
	const char *doc;         /**< one line: what the key is for */
};

/** The root table of castgate.toml: one CG_CONF_TABLE(S) row per section. */
const struct cg_conf_table *cg_conf_schema(void);

/** "integer", "boolean", "string", "array of strings", "table", "array of tables". */
const char *cg_conf_type_name(enum cg_conf_type type);

/**
 * Read, parse and validate a config file.
 *
 * @param err    on failure, a message starting with the file name:
 *               `castgate.toml: rule[2].output[0].ttl (line 14): 300 is out
 *               of range 1..255`.
 * @return the config (free with cg_conf_free()), or NULL with errno set
 *         (EINVAL for a bad file, ENOENT, EACCES... when it cannot be read,
 *         ENOMEM).
 */
struct cg_conf *cg_conf_load(const char *path, char *err, size_t errlen);

/**
 * Build a config from its parsed form (the document root as lib/toml or
 * json-c gives it). Missing keys take their defaults.
 *
 * @param err on failure: `dataplane.burst (line 3): 4096 is out of range 1..512`.
 * @return the config, or NULL with errno = EINVAL or ENOMEM.
 */
struct cg_conf *cg_conf_from_json(json_object *root, char *err, size_t errlen);

/** Free a config and its rules. NULL is allowed. */
void cg_conf_free(struct cg_conf *c);

/**
 * The effective config, every default filled in, in the file's structure
 * (for --check-config and debugging). Feeding it back to
 * cg_conf_from_json() gives the same config.
 *
 * @return a new object, or NULL with errno = ENOMEM.
 */
json_object *cg_conf_to_json(const struct cg_conf *c);

/** The rules of a config (owned by it; never NULL for a loaded config). */
struct cg_rule_set *cg_conf_rule_set(const struct cg_conf *c);

/**
 * Forwarding lcores ("workers") of a [dataplane] section: every lcore when the
 * main lcore forwards (a single lcore, or main_forwards), else all but the
 * main lcore. Each worker owns one RX and one TX queue on every port.
 */
unsigned int cg_conf_nb_workers(const struct cg_conf_dataplane *dp);

/**
 * Index (= port id) of the port named @p name.
 * @return 0..n_ports-1, or -ENOENT.
 */
int cg_conf_port_find(const struct cg_conf *c, const char *name);

/**
 * cg_conf_port_find() in the shape of a cg_rule_port_lookup_t, with the
 * config as @p arg: resolves the ports of rules added at run time.
 */
int cg_conf_port_lookup(void *conf, const char *name);

/**
 * The kernel interface of an af_packet or af_xdp device string (its iface=
 * devarg): ports whose PMD follows no link change, and whose interface may
 * be missing, deleted or created again while castgate runs.
 * @return true with the name in @p name; false ("" in @p name) for others.
 */
bool cg_conf_kernel_iface(const char *device, char *name, size_t size);

/**
 * Parse an HTTP listen address: "IPv4:PORT" or "[IPv6]:PORT" (literal
 * addresses, names are not resolved; port 1..65535), or "" for none.
 * @param ss, len  the socket address; *len = 0 for "".
 * @return 0, or -EINVAL with a message (without the key name) in @p err.
 */
int cg_conf_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
			 size_t errlen);

/**
 * Build the EAL command line of the data plane:
 * `argv0 -l <lcores> --file-prefix <prefix>`, then `--no-pci` when no port
 * is PCI, else `-a <pci>` for each PCI port (nothing else is probed); then
 * `--vdev=<device>` for each vdev port; `-m <memory_mb>` when set;
 * `--no-huge` when set; `--log-level=<n>` from [log] level (error -> error,
 * warn -> warning, info -> notice, debug -> info: DPDK's own debug and info
 * output is much chattier than ours); then eal_args verbatim.
 *
 * @param argv0 the program name to put in argv[0].
 * @param argc  set to the number of arguments.
 * @param argv  set to a NULL-terminated array; free it with
 *              cg_conf_eal_argv_free(). rte_eal_init() may permute it,
 *              so the free function does not rely on its order.
 * @return 0, or -ENOMEM.
 */
int cg_conf_eal_argv(const struct cg_conf *c, const char *argv0, int *argc, char ***argv);

/**
 * Build the EAL command line of a secondary process of this config's data
 * plane (castgate-control): `argv0 --proc-type=secondary --file-prefix
 * <prefix>`, the same PCI rule as cg_conf_eal_argv() (a secondary reads a
 * PCI port's ethdev only if it maps the device), never a `--vdev` (EAL
 * attaches the primary's devices), `--no-telemetry` (telemetry is the data
 * plane's), `-l <first lcore of dataplane.lcores>`, `--log-level=<n>` from
 * @p level, then @p extra_argv verbatim.
 *
 * @return 0, or -ENOMEM. Free the argv with cg_conf_eal_argv_free().
 */
int cg_conf_eal_argv_secondary(const struct cg_conf *c, const char *argv0,
			       enum cg_log_level level, int extra_argc,
			       char *const *extra_argv, int *argc, char ***argv);

/** Free an argv from cg_conf_eal_argv() or cg_conf_eal_argv_secondary(). NULL is allowed. */
void cg_conf_eal_argv_free(char **argv);

/**
 * Whether a device string is a PCI address, DDDD:BB:DD.F (hex), optionally
 * followed by ",devargs".
 */
bool cg_conf_device_is_pci(const char *device);

#endif /* CG_CONF_H */
