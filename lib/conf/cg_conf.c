/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate.toml: parsing, defaults, validation and cross-checks, the
 * effective config as JSON, and the EAL command line.
 *
 * Each section is read by its own function with the help of lib/toml's
 * schema helpers, which produce "<key path> (line N): ..." messages; the
 * cross-checks that need several sections run once all are read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "cg_conf.h"
#include "cg_toml.h"

#define PATH_SIZE 256

/* Defaults; docs/CONFIG.md says why each is what it is. */
#define DEF_LCORES "0"
#define DEF_FILE_PREFIX "castgate"
#define DEF_MBUFS 8191		/* 2^13 - 1: the mempool's optimal size */
#define DEF_MBUF_CACHE 256
#define DEF_MBUF_SIZE 2176	/* 2048 data + 128 headroom (RTE_MBUF_DEFAULT_BUF_SIZE) */
#define DEF_BURST 32
#define DEF_DESC 1024
#define DEF_TX_DRAIN_US 100
#define DEF_IGMP_VERSION 3
#define DEF_IGMP_INTERVAL_S 60
#define DEF_ARP_TIMEOUT_S 300
#define DEF_ARP_RETRY_MS 1000
#define DEF_ARP_MAX_RETRIES 5
#define DEF_MTU 1500
#define DEF_SOCKET "/run/castgate/control.sock"
#define DEF_STATE_FILE "/var/lib/castgate/rules.json"
#define DEF_MAX_CLIENTS 64
#define DEF_IDLE_TIMEOUT_MS 60000
#define DEF_REQUEST_TIMEOUT_MS 5000
#define DEF_MAX_REQUEST_BYTES (1u << 20)
#define DEF_RUN_DIR "/run/castgate"
#define DEF_RESTART_MIN_MS 250
#define DEF_RESTART_MAX_MS 16000
#define DEF_STABLE_S 60
#define DEF_STOP_TIMEOUT_S 10
#define DEF_READY_TIMEOUT_S 60

/* Ranges. */
#define MAX_LCORE 127		/* RTE_MAX_LCORE - 1 of Debian's DPDK build */
#define MAX_MEMORY_MB (1024 * 1024)
#define MIN_MBUFS 255
#define MAX_MBUFS ((1 << 24) - 1)
#define MAX_MBUF_CACHE 512	/* RTE_MEMPOOL_CACHE_MAX_SIZE */
#define MIN_MBUF_SIZE 1024
#define MAX_MBUF_SIZE 65535	/* data_room is a uint16_t */
#define MAX_BURST 512
#define MIN_DESC 32
#define MAX_DESC 16384
#define MAX_TX_DRAIN_US 100000	/* 100 ms: beyond that buffered frames go stale */
#define MAX_IDLE_SLEEP_US 100000
#define MIN_MTU 68		/* RFC 791 minimum */
#define MAX_MTU 9000

/* The value of @key in @t for line numbers, else @t itself. */
static json_object *
at_key(json_object *t, const char *key)
{
	json_object *v;

	if (t != NULL && json_object_object_get_ex(t, key, &v))
		return v;
	return t;
}

static int
key_errorf(char *err, size_t errlen, const char *tpath, json_object *t, const char *key,
	   const char *msg)
{
	char path[PATH_SIZE];

	return cg_toml_errorf(err, errlen, cg_toml_path(path, sizeof(path), tpath, key),
			      at_key(t, key), "%s", msg);
}

/*
 * printf-style error about key @key of table @t, whose path is @tpath, with
 * the key's line (or the table's when the key is absent). Fills the
 * caller's err/errlen and evaluates to -EINVAL.
 */
#define KEY_ERR(tpath, t, key, ...) ({						\
		char m_[320];							\
		snprintf(m_, sizeof(m_), __VA_ARGS__);				\
		key_errorf(err, errlen, (tpath), (t), (key), m_);		\
	})

/* Optional integer into a uint32_t / uint16_t / uint8_t; untouched when absent. */
static int
get_u32(json_object *t, const char *tpath, const char *key, int64_t min, int64_t max,
	uint32_t *out, char *err, size_t errlen)
{
	int64_t v;
	int ret = cg_toml_get_int(t, tpath, key, false, min, max, &v, err, errlen);

	if (ret == 0)
		*out = (uint32_t)v;
	return ret == -ENOENT ? 0 : ret;
}

static int
get_u16(json_object *t, const char *tpath, const char *key, int64_t min, int64_t max,
	uint16_t *out, char *err, size_t errlen)
{
	uint32_t v = *out;
	int ret = get_u32(t, tpath, key, min, max, &v, err, errlen);

	*out = (uint16_t)v;
	return ret;
}

static int
get_bool(json_object *t, const char *tpath, const char *key, bool *out, char *err, size_t errlen)
{
	int ret = cg_toml_get_bool(t, tpath, key, false, out, err, errlen);

	return ret == -ENOENT ? 0 : ret;
}

/* Optional section table; NULL when absent. */
static int
get_section(json_object *root, const char *key, json_object **out, char *err, size_t errlen)
{
	int ret = cg_toml_get_table(root, "", key, false, out, err, errlen);

	if (ret == -ENOENT) {
		*out = NULL;
		return 0;
	}
	return ret;
}


/*
 * [log]
 */

static int
read_log(json_object *root, struct cg_conf_log *l, char *err, size_t errlen)
{
	static const char *const keys[] = { "level", "format", NULL };
	json_object *t;
	const char *s;
	int ret;

	l->level = CG_LOG_INFO;
	l->format = CG_LOG_FMT_TEXT;
	if ((ret = get_section(root, "log", &t, err, errlen)) < 0 || t == NULL)
		return ret;
	if ((ret = cg_toml_check_keys(t, "log", keys, err, errlen)) < 0)
		return ret;
	ret = cg_toml_get_string(t, "log", "level", false, &s, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0 && cg_log_level_parse(s, &l->level) < 0)
		return KEY_ERR("log", t, "level",
			       "\"%s\" is not one of error, warn, info, debug", s);
	ret = cg_toml_get_string(t, "log", "format", false, &s, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0 && cg_log_format_parse(s, &l->format) < 0)
		return KEY_ERR("log", t, "format", "\"%s\" is not one of text, json", s);
	return 0;
}

/*
 * [control] and [supervisor]
 */

/* Optional string into a buffer: must fit, and be absolute when @abs. */
static int
get_path(json_object *t, const char *tpath, const char *key, bool abs, char *out,
	 size_t size, char *err, size_t errlen)
{
	const char *s;
	int ret = cg_toml_get_string(t, tpath, key, false, &s, err, errlen);

	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	if (s[0] == '\0')
		return KEY_ERR(tpath, t, key, "must not be empty");
	if (abs && s[0] != '/')
		return KEY_ERR(tpath, t, key, "\"%s\" is not an absolute path", s);
	if (strlen(s) >= size)
		return KEY_ERR(tpath, t, key, "is %zu bytes long; at most %zu", strlen(s),
			       size - 1);
	snprintf(out, size, "%s", s);
	return 0;
}

/* Group names as useradd(8) allows them, or "" for none. */
static int
get_group(json_object *t, const char *tpath, const char *key, char *out, size_t size,
	  char *err, size_t errlen)
{
	const char *s;
	int ret = cg_toml_get_string(t, tpath, key, false, &s, err, errlen);

	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	if (strlen(s) >= size)
		return KEY_ERR(tpath, t, key, "is too long (at most %zu characters)", size - 1);
	for (const char *p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.' &&
		    !(*p == '$' && p[1] == '\0'))
			return KEY_ERR(tpath, t, key, "\"%s\" is not a group name", s);
	if (s[0] == '-')
		return KEY_ERR(tpath, t, key, "\"%s\" is not a group name", s);
	snprintf(out, size, "%s", s);
	return 0;
}

static int
read_control(json_object *root, struct cg_conf_control *ctl, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"socket", "group", "admin_group", "state_file", "max_clients",
		"idle_timeout_ms", "request_timeout_ms", "max_request_bytes", NULL,
	};
	const char *P = "control";
	json_object *t;
	int ret;

	snprintf(ctl->socket, sizeof(ctl->socket), DEF_SOCKET);
	snprintf(ctl->state_file, sizeof(ctl->state_file), DEF_STATE_FILE);
	ctl->max_clients = DEF_MAX_CLIENTS;
	ctl->idle_timeout_ms = DEF_IDLE_TIMEOUT_MS;
	ctl->request_timeout_ms = DEF_REQUEST_TIMEOUT_MS;
	ctl->max_request_bytes = DEF_MAX_REQUEST_BYTES;
	if ((ret = get_section(root, P, &t, err, errlen)) < 0 || t == NULL)
		return ret;
	if ((ret = cg_toml_check_keys(t, P, keys, err, errlen)) < 0 ||
	    (ret = get_path(t, P, "socket", true, ctl->socket, sizeof(ctl->socket),
			    err, errlen)) < 0 ||
	    (ret = get_group(t, P, "group", ctl->group, sizeof(ctl->group), err, errlen)) < 0 ||
	    (ret = get_group(t, P, "admin_group", ctl->admin_group, sizeof(ctl->admin_group),
			     err, errlen)) < 0 ||
	    (ret = get_path(t, P, "state_file", true, ctl->state_file,
			    sizeof(ctl->state_file), err, errlen)) < 0 ||
	    (ret = get_u32(t, P, "max_clients", 1, 4096, &ctl->max_clients, err, errlen)) < 0 ||
	    (ret = get_u32(t, P, "idle_timeout_ms", 100, 86400000, &ctl->idle_timeout_ms,
			   err, errlen)) < 0 ||
	    (ret = get_u32(t, P, "request_timeout_ms", 100, 600000, &ctl->request_timeout_ms,
			   err, errlen)) < 0 ||
	    (ret = get_u32(t, P, "max_request_bytes", 1024, 64 << 20, &ctl->max_request_bytes,
			   err, errlen)) < 0)
		return ret;
	return 0;
}

static int
read_supervisor(json_object *root, struct cg_conf_supervisor *sup, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"run_dir", "restart_min_ms", "restart_max_ms", "stable_s", "stop_timeout_s",
		"ready_timeout_s", NULL,
	};
	const char *P = "supervisor";
	json_object *t;
	int ret;

	snprintf(sup->run_dir, sizeof(sup->run_dir), DEF_RUN_DIR);
	sup->restart_min_ms = DEF_RESTART_MIN_MS;
	sup->restart_max_ms = DEF_RESTART_MAX_MS;
	sup->stable_s = DEF_STABLE_S;
	sup->stop_timeout_s = DEF_STOP_TIMEOUT_S;
	sup->ready_timeout_s = DEF_READY_TIMEOUT_S;
	if ((ret = get_section(root, P, &t, err, errlen)) < 0 || t == NULL)
		return ret;
	if ((ret = cg_toml_check_keys(t, P, keys, err, errlen)) < 0 ||
	    (ret = get_path(t, P, "run_dir", true, sup->run_dir, sizeof(sup->run_dir),
			    err, errlen)) < 0 ||
	    (ret = get_u32(t, P, "restart_min_ms", 10, 600000, &sup->restart_min_ms,
			   err, errlen)) < 0 ||
	    (ret = get_u32(t, P, "restart_max_ms", 10, 3600000, &sup->restart_max_ms,
			   err, errlen)) < 0 ||
	    (ret = get_u32(t, P, "stable_s", 1, 86400, &sup->stable_s, err, errlen)) < 0 ||
	    (ret = get_u32(t, P, "stop_timeout_s", 1, 600, &sup->stop_timeout_s,
			   err, errlen)) < 0 ||
	    (ret = get_u32(t, P, "ready_timeout_s", 1, 3600, &sup->ready_timeout_s,
			   err, errlen)) < 0)
		return ret;
	if (sup->restart_max_ms < sup->restart_min_ms)
		return KEY_ERR(P, t, "restart_max_ms", "%u is below restart_min_ms (%u)",
			       sup->restart_max_ms, sup->restart_min_ms);
	return 0;
}

/*
 * [dataplane]
 */

/* Parse an EAL -l list ("0", "0-3", "0,2,4-5"), counting distinct lcores. */
static int
parse_lcores(const char *s, unsigned int *count)
{
	uint8_t seen[MAX_LCORE + 1] = { 0 };
	unsigned int n = 0;
	const char *p = s;

	if (*p == '\0')
		return -EINVAL;
	for (;;) {
		unsigned long lo, hi;
		char *end;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		lo = strtoul(p, &end, 10);
		hi = lo;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			hi = strtoul(p, &end, 10);
			p = end;
		}
		if (lo > hi || hi > MAX_LCORE)
			return -EINVAL;
		for (unsigned long i = lo; i <= hi; i++) {
			if (seen[i])
				return -EINVAL;
			seen[i] = 1;
			n++;
		}
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return -EINVAL;
	}
	*count = n;
	return 0;
}

static bool
prefix_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_' && s[n] != '-')
			return false;
	return n > 0 && n < CG_CONF_PREFIX_SIZE;
}

/* EAL options castgate sets itself, and the key that sets them. */
static const struct {
	const char *opt;
	const char *from;
} eal_owned[] = {
	{ "-l", "dataplane.lcores" }, { "-c", "dataplane.lcores" },
	{ "--lcores", "dataplane.lcores" }, { "--file-prefix", "dataplane.file_prefix" },
	{ "-m", "dataplane.memory_mb" }, { "--no-huge", "dataplane.no_huge" },
	{ "--no-pci", "the [[port]] devices" }, { "-a", "the [[port]] devices" },
	{ "--allow", "the [[port]] devices" }, { "-b", "the [[port]] devices" },
	{ "--block", "the [[port]] devices" }, { "--vdev", "the [[port]] devices" },
};

/* The key that owns an EAL argument, or NULL when the argument is free to use. */
static const char *
eal_arg_owner(const char *arg)
{
	size_t i;

	for (i = 0; i < sizeof(eal_owned) / sizeof(eal_owned[0]); i++) {
		const char *o = eal_owned[i].opt;
		size_t n = strlen(o);

		if (strncmp(arg, o, n) != 0)
			continue;
		/* "-l", "-l0", "--vdev", "--vdev=x"; but not "--vdevfoo" or "-log". */
		if (arg[n] == '\0' || (o[1] != '-' && n == 2) || arg[n] == '=')
			return eal_owned[i].from;
	}
	return NULL;
}

static int
read_eal_args(json_object *t, struct cg_conf_dataplane *dp, char *err, size_t errlen)
{
	char path[PATH_SIZE];
	json_object *arr;
	size_t i, n;
	int ret;

	ret = cg_toml_get_array(t, "dataplane", "eal_args", false, &arr, err, errlen);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	n = json_object_array_length(arr);
	if (n == 0)
		return 0;
	dp->eal_args = calloc(n, sizeof(char *));
	if (dp->eal_args == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *s, *owner;

		cg_toml_path_index(path, sizeof(path), "dataplane.eal_args", i);
		if (!json_object_is_type(e, json_type_string))
			return cg_toml_errorf(err, errlen, path, e, "expected a string, got %s",
					      cg_toml_type_name(e));
		s = json_object_get_string(e);
		if (s[0] == '\0')
			return cg_toml_errorf(err, errlen, path, e, "empty argument");
		if (strcmp(s, "--") == 0)
			return cg_toml_errorf(err, errlen, path, e,
					      "\"--\" would end the EAL arguments");
		owner = eal_arg_owner(s);
		if (owner != NULL)
			return cg_toml_errorf(err, errlen, path, e,
					      "\"%s\" is set from %s; remove it here", s, owner);
		dp->eal_args[i] = strdup(s);
		if (dp->eal_args[i] == NULL)
			return -ENOMEM;
		dp->n_eal_args = i + 1;
	}
	return 0;
}

static int
read_dataplane(json_object *root, struct cg_conf_dataplane *dp, json_object **tbl, char *err,
	       size_t errlen)
{
	static const char *const keys[] = {
		"lcores", "file_prefix", "memory_mb", "no_huge", "mbufs", "mbuf_cache",
		"mbuf_size", "burst", "rx_desc", "tx_desc", "tx_drain_us", "idle_sleep_us",
		"checksum_check", "igmp_version", "igmp_interval_s", "arp_timeout_s",
		"arp_retry_ms", "arp_max_retries", "eal_args", NULL,
	};
	const char *P = "dataplane";
	json_object *t;
	const char *s;
	uint32_t v;
	int ret;

	snprintf(dp->lcores, sizeof(dp->lcores), DEF_LCORES);
	dp->n_lcores = 1;
	snprintf(dp->file_prefix, sizeof(dp->file_prefix), DEF_FILE_PREFIX);
	dp->mbufs = DEF_MBUFS;
	dp->mbuf_cache = DEF_MBUF_CACHE;
	dp->mbuf_size = DEF_MBUF_SIZE;
	dp->burst = DEF_BURST;
	dp->rx_desc = DEF_DESC;
	dp->tx_desc = DEF_DESC;
	dp->tx_drain_us = DEF_TX_DRAIN_US;
	dp->igmp_version = DEF_IGMP_VERSION;
	dp->igmp_interval_s = DEF_IGMP_INTERVAL_S;
	dp->arp_timeout_s = DEF_ARP_TIMEOUT_S;
	dp->arp_retry_ms = DEF_ARP_RETRY_MS;
	dp->arp_max_retries = DEF_ARP_MAX_RETRIES;

	if ((ret = get_section(root, P, &t, err, errlen)) < 0)
		return ret;
	*tbl = t;
	if (t == NULL)
		return 0;
	if ((ret = cg_toml_check_keys(t, P, keys, err, errlen)) < 0)
		return ret;

	ret = cg_toml_get_string(t, P, "lcores", false, &s, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0) {
		if (strlen(s) >= sizeof(dp->lcores) || parse_lcores(s, &dp->n_lcores) < 0)
			return KEY_ERR(P, t, "lcores", "\"%s\" is not an lcore list of distinct "
				       "lcores 0..%d (e.g. \"0\", \"0-3\", \"0,2,4-5\")",
				       s, MAX_LCORE);
		snprintf(dp->lcores, sizeof(dp->lcores), "%s", s);
	}
	ret = cg_toml_get_string(t, P, "file_prefix", false, &s, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0) {
		if (!prefix_valid(s))
			return KEY_ERR(P, t, "file_prefix", "\"%s\" is not a valid prefix "
				       "(1..63 characters of A-Z a-z 0-9 _ -)", s);
		snprintf(dp->file_prefix, sizeof(dp->file_prefix), "%s", s);
	}
	if ((ret = get_u32(t, P, "memory_mb", 0, MAX_MEMORY_MB, &dp->memory_mb, err, errlen)) ||
	    (ret = get_bool(t, P, "no_huge", &dp->no_huge, err, errlen)) ||
	    (ret = get_u32(t, P, "mbufs", MIN_MBUFS, MAX_MBUFS, &dp->mbufs, err, errlen)) ||
	    (ret = get_u32(t, P, "mbuf_cache", 0, MAX_MBUF_CACHE, &dp->mbuf_cache, err,
			   errlen)) ||
	    (ret = get_u32(t, P, "mbuf_size", MIN_MBUF_SIZE, MAX_MBUF_SIZE, &dp->mbuf_size, err,
			   errlen)) ||
	    (ret = get_u16(t, P, "burst", 1, MAX_BURST, &dp->burst, err, errlen)) ||
	    (ret = get_u16(t, P, "rx_desc", MIN_DESC, MAX_DESC, &dp->rx_desc, err, errlen)) ||
	    (ret = get_u16(t, P, "tx_desc", MIN_DESC, MAX_DESC, &dp->tx_desc, err, errlen)) ||
	    (ret = get_u32(t, P, "tx_drain_us", 0, MAX_TX_DRAIN_US, &dp->tx_drain_us, err,
			   errlen)) ||
	    (ret = get_u32(t, P, "idle_sleep_us", 0, MAX_IDLE_SLEEP_US, &dp->idle_sleep_us, err,
			   errlen)) ||
	    (ret = get_bool(t, P, "checksum_check", &dp->checksum_check, err, errlen)) ||
	    (ret = get_u32(t, P, "igmp_interval_s", 1, 3600, &dp->igmp_interval_s, err,
			   errlen)) ||
	    (ret = get_u32(t, P, "arp_timeout_s", 1, 86400, &dp->arp_timeout_s, err, errlen)) ||
	    (ret = get_u32(t, P, "arp_retry_ms", 10, 60000, &dp->arp_retry_ms, err, errlen)) ||
	    (ret = get_u32(t, P, "arp_max_retries", 1, 100, &dp->arp_max_retries, err, errlen)))
		return ret;
	v = dp->igmp_version;
	if ((ret = get_u32(t, P, "igmp_version", 2, 3, &v, err, errlen)) < 0)
		return ret;
	dp->igmp_version = (uint8_t)v;
	/* rte_mempool_create() refuses a cache whose flush threshold (1.5 x) exceeds the pool. */
	if ((uint64_t)dp->mbuf_cache * 3 / 2 > dp->mbufs)
		return KEY_ERR(P, t, "mbuf_cache", "%u is too large for %u mbufs "
			       "(1.5 x mbuf_cache must not exceed mbufs)",
			       dp->mbuf_cache, dp->mbufs);
	return read_eal_args(t, dp, err, errlen);
}

/*
 * [[port]]
 */

static bool
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool
cg_conf_device_is_pci(const char *d)
{
	/* DDDD:BB:DD.F: domain, bus, device 0..1f, function 0..7. */
	if (d == NULL || strlen(d) < 12)
		return false;
	if (!is_hex(d, 4) || d[4] != ':' || !is_hex(d + 5, 2) || d[7] != ':' ||
	    !is_hex(d + 8, 2) || d[10] != '.' || d[11] < '0' || d[11] > '7')
		return false;
	if (strtoul((char[]){ d[8], d[9], '\0' }, NULL, 16) > 0x1f)
		return false;
	return d[12] == '\0' || d[12] == ',';
}

/* A vdev string: net_<driver-and-instance>[,key=value...], no spaces. */
static bool
device_is_vdev(const char *d)
{
	size_t i;

	if (strncmp(d, "net_", 4) != 0 || d[4] == '\0' || d[4] == ',')
		return false;
	for (i = 4; d[i] != '\0' && d[i] != ','; i++)
		if (!isalnum((unsigned char)d[i]) && d[i] != '_')
			return false;
	for (; d[i] != '\0'; i++)
		if (!isgraph((unsigned char)d[i]))
			return false;
	return true;
}

/* Length of the device's identity: up to the devargs. */
static size_t
device_id_len(const char *d)
{
	return strcspn(d, ",");
}

static uint32_t
mask_of(unsigned int len)
{
	return htonl(len == 0 ? 0 : 0xffffffffu << (32 - len));
}

/* "a.b.c.d/n", n 1..32, strictly. */
static int
parse_cidr(const char *s, uint32_t *ip, uint8_t *len)
{
	char buf[INET_ADDRSTRLEN + 4];
	const char *slash = strchr(s, '/');
	size_t alen;
	unsigned long n;
	char *end;

	if (slash == NULL)
		return -EINVAL;
	alen = (size_t)(slash - s);
	if (alen >= INET_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (cg_rule_parse_ipv4(buf, ip) < 0)
		return -EINVAL;
	if (!isdigit((unsigned char)slash[1]) || (slash[1] == '0' && slash[2] != '\0'))
		return -EINVAL;
	n = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || n < 1 || n > 32)
		return -EINVAL;
	*len = (uint8_t)n;
	return 0;
}

/* Whether @a is the network or broadcast address of a prefix that has both. */
static bool
is_net_or_bcast(uint32_t a, uint32_t mask, uint8_t len)
{
	if (len >= 31)
		return false;
	return (a & ~mask) == 0 || (a & ~mask) == ~mask;
}

static int
read_port(json_object *t, const char *P, const struct cg_conf_dataplane *dp,
	  struct cg_conf_port *p, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"name", "device", "ip", "mac", "mtu", "gateway", "rx_desc", "tx_desc", NULL,
	};
	char a[INET_ADDRSTRLEN];
	const char *s, *why;
	uint32_t gw;
	int ret;

	if ((ret = cg_toml_check_keys(t, P, keys, err, errlen)) < 0)
		return ret;
	p->mac_auto = true;
	p->mtu = DEF_MTU;
	p->rx_desc = dp->rx_desc;
	p->tx_desc = dp->tx_desc;

	if ((ret = cg_toml_get_string(t, P, "name", true, &s, err, errlen)) < 0)
		return ret;
	if (!cg_rule_port_name_valid(s))
		return KEY_ERR(P, t, "name", "\"%s\" is not a valid port name "
			       "(1..31 characters of A-Z a-z 0-9 _ . -)", s);
	snprintf(p->name, sizeof(p->name), "%s", s);

	if ((ret = cg_toml_get_string(t, P, "device", true, &s, err, errlen)) < 0)
		return ret;
	if (strlen(s) >= sizeof(p->device))
		return KEY_ERR(P, t, "device", "longer than %zu characters",
			       sizeof(p->device) - 1);
	p->is_pci = cg_conf_device_is_pci(s);
	if (!p->is_pci && !device_is_vdev(s))
		return KEY_ERR(P, t, "device", "\"%s\" is neither a PCI address "
			       "(DDDD:BB:DD.F) nor a vdev (net_<driver><n>[,args])", s);
	snprintf(p->device, sizeof(p->device), "%s", s);

	if ((ret = cg_toml_get_string(t, P, "ip", true, &s, err, errlen)) < 0)
		return ret;
	if (parse_cidr(s, &p->ip, &p->prefix_len) < 0)
		return KEY_ERR(P, t, "ip", "\"%s\" is not an IPv4 address with a prefix length "
			       "(e.g. 198.18.1.2/25)", s);
	p->netmask = mask_of(p->prefix_len);
	if ((why = cg_rule_src_problem(p->ip)) != NULL)
		return KEY_ERR(P, t, "ip", "%s %s", cg_rule_ipv4_str(p->ip, a), why);
	if (is_net_or_bcast(p->ip, p->netmask, p->prefix_len))
		return KEY_ERR(P, t, "ip", "%s is the network or broadcast address of /%u",
			       cg_rule_ipv4_str(p->ip, a), p->prefix_len);

	ret = cg_toml_get_string(t, P, "mac", false, &s, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0 && strcmp(s, "auto") != 0) {
		if (cg_rule_parse_mac(s, p->mac) < 0)
			return KEY_ERR(P, t, "mac", "\"%s\" is neither \"auto\" nor a MAC "
				       "address (aa:bb:cc:dd:ee:ff)", s);
		if ((p->mac[0] & 1) || !(p->mac[0] | p->mac[1] | p->mac[2] | p->mac[3] |
					 p->mac[4] | p->mac[5]))
			return KEY_ERR(P, t, "mac", "%s is not a unicast MAC address", s);
		p->mac_auto = false;
	}
	if ((ret = get_u16(t, P, "mtu", MIN_MTU, MAX_MTU, &p->mtu, err, errlen)) ||
	    (ret = get_u16(t, P, "rx_desc", MIN_DESC, MAX_DESC, &p->rx_desc, err, errlen)) ||
	    (ret = get_u16(t, P, "tx_desc", MIN_DESC, MAX_DESC, &p->tx_desc, err, errlen)))
		return ret;

	ret = cg_toml_get_string(t, P, "gateway", false, &s, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0) {
		if (cg_rule_parse_ipv4(s, &gw) < 0)
			return KEY_ERR(P, t, "gateway", "\"%s\" is not an IPv4 address", s);
		if ((why = cg_rule_src_problem(gw)) != NULL)
			return KEY_ERR(P, t, "gateway", "%s %s", s, why);
		if ((gw & p->netmask) != (p->ip & p->netmask))
			return KEY_ERR(P, t, "gateway", "%s is outside the port's prefix %s/%u",
				       s, cg_rule_ipv4_str(p->ip & p->netmask, a), p->prefix_len);
		if (gw == p->ip)
			return KEY_ERR(P, t, "gateway", "%s is the port's own address", s);
		if (is_net_or_bcast(gw, p->netmask, p->prefix_len))
			return KEY_ERR(P, t, "gateway", "%s is the network or broadcast address "
				       "of /%u", s, p->prefix_len);
		p->gateway = gw;
	}
	/* The data plane does not use RX scatter: a whole frame must fit in one mbuf. */
	if (dp->mbuf_size < (uint32_t)p->mtu + CG_CONF_L2_OVERHEAD + CG_CONF_MBUF_HEADROOM)
		return KEY_ERR(P, t, "mtu", "%u needs dataplane.mbuf_size >= %u "
			       "(mtu + %d Ethernet + %d headroom), it is %u", p->mtu,
			       p->mtu + CG_CONF_L2_OVERHEAD + CG_CONF_MBUF_HEADROOM,
			       CG_CONF_L2_OVERHEAD, CG_CONF_MBUF_HEADROOM, dp->mbuf_size);
	return 0;
}

static int
read_ports(json_object *root, struct cg_conf *c, json_object **arr_out, char *err, size_t errlen)
{
	char P[PATH_SIZE], a[INET_ADDRSTRLEN];
	json_object *arr;
	size_t i, j, n;
	int ret;

	ret = cg_toml_get_array(root, "", "port", true, &arr, err, errlen);
	if (ret < 0)
		return ret;
	*arr_out = arr;
	n = json_object_array_length(arr);
	if (n < 1 || n > CG_CONF_MAX_PORTS)
		return cg_toml_errorf(err, errlen, "port", arr, "expected 1..%d [[port]] tables, "
				      "got %zu", CG_CONF_MAX_PORTS, n);
	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(arr, i);
		struct cg_conf_port *p = &c->ports[i];

		cg_toml_path_index(P, sizeof(P), "port", i);
		if (!json_object_is_type(t, json_type_object))
			return cg_toml_errorf(err, errlen, P, t ? t : arr,
					      "expected a table, got %s", cg_toml_type_name(t));
		if ((ret = read_port(t, P, &c->dp, p, err, errlen)) < 0)
			return ret;
		for (j = 0; j < i; j++) {
			const struct cg_conf_port *q = &c->ports[j];
			size_t l = device_id_len(p->device);

			if (strcmp(q->name, p->name) == 0)
				return KEY_ERR(P, t, "name", "\"%s\" is already the name of port[%zu]",
					       p->name, j);
			if (l == device_id_len(q->device) &&
			    strncasecmp(q->device, p->device, l) == 0)
				return KEY_ERR(P, t, "device", "\"%.*s\" is already the device of "
					       "port[%zu] \"%s\"", (int)l, p->device, j, q->name);
			if (q->ip == p->ip)
				return KEY_ERR(P, t, "ip", "%s is already the address of port[%zu] "
					       "\"%s\"", cg_rule_ipv4_str(p->ip, a), j, q->name);
		}
		c->n_ports = i + 1;
	}
	return 0;
}

/*
 * [[rule]]
 */

int
cg_conf_port_find(const struct cg_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_ports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int
cg_conf_port_lookup(void *conf, const char *name)
{
	return cg_conf_port_find(conf, name);
}

/* Resolve the rule's ports, with the line of each reference for messages. */
static int
resolve_rule(const struct cg_conf *c, json_object *t, const char *P, struct cg_rule *r,
	     char *err, size_t errlen)
{
	char tp[PATH_SIZE], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	json_object *in = at_key(t, "input"), *outs = at_key(t, "output");
	int id;
	uint16_t i;

	cg_toml_path(tp, sizeof(tp), P, "input");
	id = cg_conf_port_find(c, r->in.port);
	if (id < 0)
		return KEY_ERR(tp, in, "port", "no [[port]] is named \"%s\"", r->in.port);
	r->in.port_id = (uint16_t)id;

	for (i = 0; i < r->n_outputs; i++) {
		struct cg_rule_output *o = &r->out[i];
		json_object *ot = json_object_array_get_idx(outs, i);
		const struct cg_conf_port *p;
		char op[PATH_SIZE];

		cg_toml_path(op, sizeof(op), P, "output");
		cg_toml_path_index(tp, sizeof(tp), op, i);
		id = cg_conf_port_find(c, o->port);
		if (id < 0)
			return KEY_ERR(tp, ot, "port", "no [[port]] is named \"%s\"", o->port);
		o->port_id = (uint16_t)id;
		p = &c->ports[id];
		/* A unicast destination needs a next hop: on-link, the gateway, or a fixed MAC. */
		if (!cg_rule_addr_is_multicast(o->dst) && !o->has_next_hop_mac &&
		    (o->dst & p->netmask) != (p->ip & p->netmask) && p->gateway == 0)
			return KEY_ERR(tp, ot, "destination", "%s is outside port \"%s\"'s prefix "
				       "%s/%u and the port has no gateway; set the port's gateway "
				       "or this output's next_hop_mac", cg_rule_ipv4_str(o->dst, a), p->name,
				       cg_rule_ipv4_str(p->ip & p->netmask, b), p->prefix_len);
	}
	return 0;
}

/* Index of @r in @s, for messages. */
static size_t
rule_index(const struct cg_rule_set *s, const struct cg_rule *r)
{
	size_t i;

	for (i = 0; i < cg_rule_set_count(s); i++)
		if (cg_rule_set_get(s, i) == r)
			return i;
	return 0;
}

static bool
id_taken(const struct cg_rule *rules, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rules[i].id == id)
			return true;
	return false;
}

static int
read_rules(json_object *root, struct cg_conf *c, char *err, size_t errlen)
{
	char P[PATH_SIZE], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct cg_rule *rules = NULL;
	json_object *arr;
	uint32_t next = 1;
	size_t i, n;
	int ret;

	ret = cg_toml_get_array(root, "", "rule", false, &arr, err, errlen);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	n = json_object_array_length(arr);
	if (n == 0)
		return 0;
	rules = calloc(n, sizeof(*rules));
	if (rules == NULL)
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(arr, i);

		cg_toml_path_index(P, sizeof(P), "rule", i);
		if (!json_object_is_type(t, json_type_object)) {
			ret = cg_toml_errorf(err, errlen, P, t ? t : arr,
					     "expected a table, got %s", cg_toml_type_name(t));
			goto out;
		}
		if ((ret = cg_rule_from_json(t, P, &rules[i], err, errlen)) < 0 ||
		    (ret = resolve_rule(c, t, P, &rules[i], err, errlen)) < 0)
			goto out;
	}

	/*
	 * Rules without an id get the lowest ids no rule of the file names
	 * explicitly, in file order, so adding an id to one rule never makes
	 * another one's clash.
	 */
	for (i = 0; i < n; i++) {
		if (rules[i].id != 0)
			continue;
		while (id_taken(rules, n, next))
			next++;
		rules[i].id = next++;
	}

	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(arr, i);
		const struct cg_rule *o;
		const struct cg_rule *r = &rules[i];
		size_t oi;

		cg_toml_path_index(P, sizeof(P), "rule", i);
		switch (cg_rule_set_check(c->rules, r, &o)) {
		case CG_RULE_CONFLICT_NONE:
			break;
		case CG_RULE_CONFLICT_NAME:
			ret = KEY_ERR(P, t, "name", "\"%s\" is already the name of rule[%zu]",
				      r->name, rule_index(c->rules, o));
			goto out;
		case CG_RULE_CONFLICT_ID:
			ret = KEY_ERR(P, t, "id", "%u is already the id of rule[%zu] \"%s\"",
				      r->id, rule_index(c->rules, o), o->name);
			goto out;
		case CG_RULE_CONFLICT_MATCH:
			oi = rule_index(c->rules, o);
			ret = KEY_ERR(P, t, "input", "rule[%zu] \"%s\" already matches port %s, "
				      "%s:%u, %s%s", oi, o->name, r->in.port,
				      cg_rule_ipv4_str(r->in.dst, a), r->in.dport,
				      r->in.src ? "source " : "any source",
				      r->in.src ? cg_rule_ipv4_str(r->in.src, b) : "");
			goto out;
		}
		ret = cg_rule_set_add(c->rules, &rules[i], err, errlen);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	free(rules);
	return ret;
}

/*
 * Whole config
 */

/*
 * Enough mbufs to fill every ring and every lcore cache, or RX starves. When
 * the config leaves mbufs unset, the default grows to the next 2^n - 1 that
 * fits (the mempool's best size), so that more ports never need a new key.
 */
static int
check_mbufs(struct cg_conf *c, json_object *dpt, char *err, size_t errlen)
{
	struct cg_conf_dataplane *dp = &c->dp;
	uint64_t need = 0;
	size_t i;

	for (i = 0; i < c->n_ports; i++)
		need += (uint64_t)c->ports[i].rx_desc + c->ports[i].tx_desc;
	need += (uint64_t)dp->n_lcores * (dp->mbuf_cache * 3 / 2 + dp->burst);
	if (dp->mbufs < need && (dpt == NULL || !json_object_object_get_ex(dpt, "mbufs", NULL))) {
		uint64_t n = (uint64_t)DEF_MBUFS + 1;

		while (n - 1 < need && n - 1 < MAX_MBUFS)
			n <<= 1;
		dp->mbufs = (uint32_t)(n - 1 > MAX_MBUFS ? MAX_MBUFS : n - 1);
	}
	if (dp->mbufs < need)
		return KEY_ERR("dataplane", dpt, "mbufs", "%u mbufs cannot fill the rings and "
			       "caches: need at least %llu (RX + TX descriptors of every port, "
			       "and 1.5 x mbuf_cache + burst per lcore)", dp->mbufs,
			       (unsigned long long)need);
	return 0;
}

static void
free_conf(struct cg_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->dp.n_eal_args; i++)
		free(c->dp.eal_args[i]);
	free(c->dp.eal_args);
	cg_rule_set_free(c->rules);
	free(c);
}

void
cg_conf_free(struct cg_conf *c)
{
	free_conf(c);
}

struct cg_conf *
cg_conf_from_json(json_object *root, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"log", "dataplane", "control", "supervisor", "port", "rule", NULL,
	};
	struct cg_conf *c;
	json_object *dpt = NULL, *ports;
	int ret;

	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "config: expected a table at the top, got %s",
			 cg_toml_type_name(root));
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->rules = cg_rule_set_new()) == NULL) {
		free(c);
		snprintf(err, errlen, "config: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if ((ret = cg_toml_check_keys(root, "", keys, err, errlen)) < 0 ||
	    (ret = read_log(root, &c->log, err, errlen)) < 0 ||
	    (ret = read_dataplane(root, &c->dp, &dpt, err, errlen)) < 0 ||
	    (ret = read_control(root, &c->ctl, err, errlen)) < 0 ||
	    (ret = read_supervisor(root, &c->sup, err, errlen)) < 0 ||
	    (ret = read_ports(root, c, &ports, err, errlen)) < 0 ||
	    (ret = check_mbufs(c, dpt, err, errlen)) < 0 ||
	    (ret = read_rules(root, c, err, errlen)) < 0) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "config: out of memory");
		free_conf(c);
		errno = -ret;
		return NULL;
	}
	return c;
}

struct cg_conf *
cg_conf_load(const char *path, char *err, size_t errlen)
{
	char msg[512];
	struct cg_conf *c;
	json_object *root;
	int e;

	/* Its messages already start with the path. */
	root = cg_toml_parse_file(path, err, errlen);
	if (root == NULL)
		return NULL;
	c = cg_conf_from_json(root, msg, sizeof(msg));
	e = errno;
	json_object_put(root);
	if (c == NULL) {
		snprintf(err, errlen, "%s: %s", path, msg);
		errno = e;
	}
	return c;
}

struct cg_rule_set *
cg_conf_rule_set(const struct cg_conf *c)
{
	return c->rules;
}

/*
 * Effective config as JSON
 */

/* Add a new value, keeping track of allocation failure in *ok. */
static void
put(json_object *o, const char *key, json_object *v, bool *ok)
{
	if (v == NULL || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		*ok = false;
	}
}

static json_object *
port_to_json(const struct cg_conf_port *p, bool *ok)
{
	json_object *o = json_object_new_object();
	char a[INET_ADDRSTRLEN], buf[INET_ADDRSTRLEN + 4];

	if (o == NULL) {
		*ok = false;
		return NULL;
	}
	put(o, "name", json_object_new_string(p->name), ok);
	put(o, "device", json_object_new_string(p->device), ok);
	snprintf(buf, sizeof(buf), "%s/%u", cg_rule_ipv4_str(p->ip, a), p->prefix_len);
	put(o, "ip", json_object_new_string(buf), ok);
	if (p->mac_auto) {
		put(o, "mac", json_object_new_string("auto"), ok);
	} else {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0],
			 p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
		put(o, "mac", json_object_new_string(buf), ok);
	}
	put(o, "mtu", json_object_new_int(p->mtu), ok);
	if (p->gateway != 0)
		put(o, "gateway", json_object_new_string(cg_rule_ipv4_str(p->gateway, a)), ok);
	put(o, "rx_desc", json_object_new_int(p->rx_desc), ok);
	put(o, "tx_desc", json_object_new_int(p->tx_desc), ok);
	return o;
}

json_object *
cg_conf_to_json(const struct cg_conf *c)
{
	const struct cg_conf_dataplane *dp = &c->dp;
	json_object *root = json_object_new_object(), *log, *d, *args, *ports, *rules;
	const struct cg_rule *r;
	bool ok = root != NULL;
	size_t i;

	if (!ok)
		goto nomem;
	log = json_object_new_object();
	if (log != NULL) {
		put(log, "level", json_object_new_string(cg_log_level_name(c->log.level)), &ok);
		put(log, "format", json_object_new_string(c->log.format == CG_LOG_FMT_JSON ?
							  "json" : "text"), &ok);
	}
	put(root, "log", log, &ok);

	d = json_object_new_object();
	if (d != NULL) {
		put(d, "lcores", json_object_new_string(dp->lcores), &ok);
		put(d, "file_prefix", json_object_new_string(dp->file_prefix), &ok);
		put(d, "memory_mb", json_object_new_int64(dp->memory_mb), &ok);
		put(d, "no_huge", json_object_new_boolean(dp->no_huge), &ok);
		put(d, "mbufs", json_object_new_int64(dp->mbufs), &ok);
		put(d, "mbuf_cache", json_object_new_int64(dp->mbuf_cache), &ok);
		put(d, "mbuf_size", json_object_new_int64(dp->mbuf_size), &ok);
		put(d, "burst", json_object_new_int(dp->burst), &ok);
		put(d, "rx_desc", json_object_new_int(dp->rx_desc), &ok);
		put(d, "tx_desc", json_object_new_int(dp->tx_desc), &ok);
		put(d, "tx_drain_us", json_object_new_int64(dp->tx_drain_us), &ok);
		put(d, "idle_sleep_us", json_object_new_int64(dp->idle_sleep_us), &ok);
		put(d, "checksum_check", json_object_new_boolean(dp->checksum_check), &ok);
		put(d, "igmp_version", json_object_new_int(dp->igmp_version), &ok);
		put(d, "igmp_interval_s", json_object_new_int64(dp->igmp_interval_s), &ok);
		put(d, "arp_timeout_s", json_object_new_int64(dp->arp_timeout_s), &ok);
		put(d, "arp_retry_ms", json_object_new_int64(dp->arp_retry_ms), &ok);
		put(d, "arp_max_retries", json_object_new_int64(dp->arp_max_retries), &ok);
		args = json_object_new_array();
		for (i = 0; args != NULL && i < dp->n_eal_args; i++) {
			json_object *s = json_object_new_string(dp->eal_args[i]);

			if (s == NULL || json_object_array_add(args, s) < 0) {
				json_object_put(s);
				ok = false;
			}
		}
		put(d, "eal_args", args, &ok);
	}
	put(root, "dataplane", d, &ok);

	d = json_object_new_object();
	if (d != NULL) {
		const struct cg_conf_control *ctl = &c->ctl;

		put(d, "socket", json_object_new_string(ctl->socket), &ok);
		put(d, "group", json_object_new_string(ctl->group), &ok);
		put(d, "admin_group", json_object_new_string(ctl->admin_group), &ok);
		put(d, "state_file", json_object_new_string(ctl->state_file), &ok);
		put(d, "max_clients", json_object_new_int64(ctl->max_clients), &ok);
		put(d, "idle_timeout_ms", json_object_new_int64(ctl->idle_timeout_ms), &ok);
		put(d, "request_timeout_ms", json_object_new_int64(ctl->request_timeout_ms), &ok);
		put(d, "max_request_bytes", json_object_new_int64(ctl->max_request_bytes), &ok);
	}
	put(root, "control", d, &ok);

	d = json_object_new_object();
	if (d != NULL) {
		const struct cg_conf_supervisor *sup = &c->sup;

		put(d, "run_dir", json_object_new_string(sup->run_dir), &ok);
		put(d, "restart_min_ms", json_object_new_int64(sup->restart_min_ms), &ok);
		put(d, "restart_max_ms", json_object_new_int64(sup->restart_max_ms), &ok);
		put(d, "stable_s", json_object_new_int64(sup->stable_s), &ok);
		put(d, "stop_timeout_s", json_object_new_int64(sup->stop_timeout_s), &ok);
		put(d, "ready_timeout_s", json_object_new_int64(sup->ready_timeout_s), &ok);
	}
	put(root, "supervisor", d, &ok);

	ports = json_object_new_array();
	for (i = 0; ports != NULL && i < c->n_ports; i++) {
		json_object *p = port_to_json(&c->ports[i], &ok);

		if (p == NULL || json_object_array_add(ports, p) < 0) {
			json_object_put(p);
			ok = false;
		}
	}
	put(root, "port", ports, &ok);

	rules = json_object_new_array();
	CG_RULE_SET_FOREACH(c->rules, i, r) {
		json_object *j;

		if (rules == NULL)
			break;
		j = cg_rule_to_json(r);
		if (j == NULL || json_object_array_add(rules, j) < 0) {
			json_object_put(j);
			ok = false;
		}
	}
	put(root, "rule", rules, &ok);
	if (ok)
		return root;
nomem:
	json_object_put(root);
	errno = ENOMEM;
	return NULL;
}

/*
 * EAL command line
 */

/* DPDK log levels (RTE_LOG_*) matching ours, one step quieter: see the header. */
static int
dpdk_log_level(enum cg_log_level l)
{
	switch (l) {
	case CG_LOG_ERR: return 4;	/* RTE_LOG_ERR */
	case CG_LOG_WARN: return 5;	/* RTE_LOG_WARNING */
	case CG_LOG_INFO: return 6;	/* RTE_LOG_NOTICE */
	case CG_LOG_DEBUG: return 7;	/* RTE_LOG_INFO */
	}
	return 6;
}

struct argv_builder {
	char **v;
	int n, cap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
arg(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (b->failed)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		va_end(ap);
		b->failed = true;
		return;
	}
	va_end(ap);
	if (b->n == b->cap) {
		int cap = b->cap ? 2 * b->cap : 32;
		char **v = reallocarray(b->v, (size_t)cap, sizeof(char *));

		if (v == NULL) {
			free(s);
			b->failed = true;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = s;
}

/* Never let EAL probe PCI devices the config does not name. */
static void
arg_pci(struct argv_builder *b, const struct cg_conf *c)
{
	bool any_pci = false;
	size_t i;

	for (i = 0; i < c->n_ports; i++)
		any_pci |= c->ports[i].is_pci;
	if (!any_pci)
		arg(b, "--no-pci");
	for (i = 0; i < c->n_ports; i++) {
		if (c->ports[i].is_pci) {
			arg(b, "-a");
			arg(b, "%s", c->ports[i].device);
		}
	}
}

/*
 * Hand the builder's arguments over as an argv. Block layout:
 * [count][argv[0..n-1]][NULL][copy of the n pointers]. rte_eal_init()
 * permutes and overwrites argv entries, so the free function walks the
 * private copy.
 */
static int
argv_finish(struct argv_builder *b, int *argc, char ***argv)
{
	char **block = NULL;
	int k;

	if (!b->failed)
		block = calloc(2 * (size_t)b->n + 2, sizeof(char *));
	if (block == NULL) {
		for (k = 0; k < b->n; k++)
			free(b->v[k]);
		free(b->v);
		return -ENOMEM;
	}
	block[0] = (char *)(uintptr_t)b->n;
	memcpy(block + 1, b->v, (size_t)b->n * sizeof(char *));
	memcpy(block + 2 + b->n, b->v, (size_t)b->n * sizeof(char *));
	free(b->v);
	*argc = b->n;
	*argv = block + 1;
	return 0;
}

int
cg_conf_eal_argv(const struct cg_conf *c, const char *argv0, int *argc, char ***argv)
{
	struct argv_builder b = { 0 };
	size_t i;

	arg(&b, "%s", argv0);
	arg(&b, "-l");
	arg(&b, "%s", c->dp.lcores);
	arg(&b, "--file-prefix");
	arg(&b, "%s", c->dp.file_prefix);
	arg_pci(&b, c);
	for (i = 0; i < c->n_ports; i++)
		if (!c->ports[i].is_pci)
			arg(&b, "--vdev=%s", c->ports[i].device);
	if (c->dp.memory_mb > 0) {
		arg(&b, "-m");
		arg(&b, "%u", c->dp.memory_mb);
	}
	if (c->dp.no_huge)
		arg(&b, "--no-huge");
	arg(&b, "--log-level=%d", dpdk_log_level(c->log.level));
	for (i = 0; i < c->dp.n_eal_args; i++)
		arg(&b, "%s", c->dp.eal_args[i]);
	return argv_finish(&b, argc, argv);
}

int
cg_conf_eal_argv_secondary(const struct cg_conf *c, const char *argv0,
			   enum cg_log_level level, int extra_argc, char *const *extra_argv,
			   int *argc, char ***argv)
{
	struct argv_builder b = { 0 };

	arg(&b, "%s", argv0);
	arg(&b, "--proc-type=secondary");
	arg(&b, "--file-prefix");
	arg(&b, "%s", c->dp.file_prefix);
	arg_pci(&b, c);
	arg(&b, "--no-telemetry");
	/* The main lcore of the data plane, which runs the slow path only when
	 * there are workers. EAL pins the main thread to it: the caller undoes
	 * that after rte_eal_init(). lib/conf checked the list's syntax. */
	arg(&b, "-l");
	arg(&b, "%lu", strtoul(c->dp.lcores, NULL, 10));
	arg(&b, "--log-level=%d", dpdk_log_level(level));
	for (int i = 0; i < extra_argc; i++)
		arg(&b, "%s", extra_argv[i]);
	return argv_finish(&b, argc, argv);
}

void
cg_conf_eal_argv_free(char **argv)
{
	char **block;
	size_t i, n;

	if (argv == NULL)
		return;
	block = argv - 1;
	n = (size_t)(uintptr_t)block[0];
	for (i = 0; i < n; i++)
		free(block[2 + n + i]);
	free(block);
}
