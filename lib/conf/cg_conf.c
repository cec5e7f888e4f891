/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate.toml: the key tables, the reader that walks them, the
 * cross-checks, the effective config as JSON, and the EAL command line.
 *
 * Every key is one row of its section's table (struct cg_conf_key in
 * cg_conf.h). One generic reader sets the defaults and checks unknown keys,
 * types, ranges and required keys, with lib/toml's "<key path> (line N): ..."
 * messages; a key with a format of its own (an address, a path, an lcore
 * list) names a parse hook in its row. Checks between keys run once their
 * table, or the ports, are read.
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
#include <net/if.h>

#include "cg_conf.h"
#include "cg_toml.h"

#define PATH_SIZE 256

/* Defaults and ranges that have a reason; docs/CONFIG.md says why each default is what it is. */
#define DEF_MBUFS 8191		/* 2^13 - 1: the mempool's optimal size */
#define DEF_MBUF_SIZE 2176	/* 2048 data + 128 headroom (RTE_MBUF_DEFAULT_BUF_SIZE) */
#define DEF_DESC 1024
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
/* Rule slots: the default keeps the reserved memory small (about 2.4 MB with
 * two lcores) and every config of earlier versions valid; the maximum bounds
 * the rule memory to about 2.4 GB with two lcores (docs/CONFIG.md). */
#define DEF_MAX_RULES 1024
#define MAX_MAX_RULES 1000000
#define MIN_MTU 68		/* RFC 791 minimum */
#define MAX_MTU 9000

/* Where a parse hook is: the table, and the key's path for its messages. */
struct cg_conf_in {
	json_object *t;		/* the table that holds the key; NULL when it is absent */
	const char *tpath;	/* the table's path: "dataplane", "port[1]", "" for the root */
	const char *path;	/* the key's path: "dataplane.lcores" */
	char *err;
	size_t errlen;
};

/* An error about the key a hook reads, at the line of @v; evaluates to -EINVAL. */
#define IN_ERR(in, v, ...) cg_toml_errorf((in)->err, (in)->errlen, (in)->path, (v), __VA_ARGS__)

/* The value of row @k in the section struct @sec. */
#define VAL(sec, k) ((void *)((char *)(sec) + (k)->offset))
#define CVAL(sec, k) ((const void *)((const char *)(sec) + (k)->offset))

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
 * the key's line (or the table's when the key is absent), for the checks
 * between keys. Fills the caller's err/errlen and evaluates to -EINVAL.
 */
#define KEY_ERR(tpath, t, key, ...) ({						\
		char m_[320];							\
		snprintf(m_, sizeof(m_), __VA_ARGS__);				\
		key_errorf(err, errlen, (tpath), (t), (key), m_);		\
	})

/* Add @v to @o as @key; -ENOMEM (and @v dropped) when either failed. */
static int
add(json_object *o, const char *key, json_object *v)
{
	if (v == NULL || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/*
 * The generic reader
 */

static void
store_int(void *sec, const struct cg_conf_key *k, int64_t v)
{
	void *p = VAL(sec, k);

	switch (k->size) {
	case sizeof(uint8_t): *(uint8_t *)p = (uint8_t)v; break;
	case sizeof(uint16_t): *(uint16_t *)p = (uint16_t)v; break;
	default: *(uint32_t *)p = (uint32_t)v; break;
	}
}

static int64_t
load_int(const void *sec, const struct cg_conf_key *k)
{
	const void *p = CVAL(sec, k);

	switch (k->size) {
	case sizeof(uint8_t): return *(const uint8_t *)p;
	case sizeof(uint16_t): return *(const uint16_t *)p;
	default: return *(const uint32_t *)p;
	}
}

/* A string into its char[size], for rows without a hook (and hooks that check first). */
static int
copy_string(const struct cg_conf_key *k, void *sec, json_object *v, const struct cg_conf_in *in)
{
	const char *s = json_object_get_string(v);

	if (strlen(s) >= k->size)
		return IN_ERR(in, v, "is %zu bytes long; at most %zu", strlen(s), k->size - 1);
	snprintf(VAL(sec, k), k->size, "%s", s);
	return 0;
}

static int
read_string(const struct cg_conf_key *k, void *sec, json_object *v, const struct cg_conf_in *in)
{
	return k->parse != NULL ? k->parse(k, sec, v, in) : copy_string(k, sec, v, in);
}

/* A row's default. Inherited ones are the caller's; strings are read like a value. */
static int
set_default(const struct cg_conf_key *k, void *sec, const struct cg_conf_in *in)
{
	json_object *v;
	int ret;

	switch (k->type) {
	case CG_CONF_INT:
		if (!(k->flags & CG_CONF_INHERIT))
			store_int(sec, k, k->def);
		return 0;
	case CG_CONF_BOOL:
		*(bool *)VAL(sec, k) = k->def != 0;
		return 0;
	case CG_CONF_STRING:
		if (k->def_str == NULL)
			return 0;
		v = json_object_new_string(k->def_str);
		if (v == NULL)
			return -ENOMEM;
		ret = read_string(k, sec, v, in);
		json_object_put(v);
		return ret;
	default:
		return 0;
	}
}

static int read_table(const struct cg_conf_table *tb, void *sec, json_object *t,
		      const char *tpath, char *err, size_t errlen);

/* One key of @in->t, if present: type, range, hook. */
static int
read_key(const struct cg_conf_key *k, void *sec, const struct cg_conf_in *in)
{
	const bool req = (k->flags & CG_CONF_REQUIRED) != 0;
	json_object *v;
	const char *s;
	int64_t i;
	int ret;

	switch (k->type) {
	case CG_CONF_INT:
		ret = cg_toml_get_int(in->t, in->tpath, k->name, req, k->min, k->max, &i,
				      in->err, in->errlen);
		if (ret == 0)
			store_int(sec, k, i);
		break;
	case CG_CONF_BOOL:
		ret = cg_toml_get_bool(in->t, in->tpath, k->name, req, VAL(sec, k), in->err,
				       in->errlen);
		break;
	case CG_CONF_STRING:
		ret = cg_toml_get_string(in->t, in->tpath, k->name, req, &s, in->err, in->errlen);
		if (ret == 0)
			ret = read_string(k, sec, at_key(in->t, k->name), in);
		break;
	case CG_CONF_TABLE:
		/* An absent section is an empty one: its defaults. */
		ret = cg_toml_get_table(in->t, in->tpath, k->name, req, &v, in->err, in->errlen);
		if (ret == 0 || ret == -ENOENT)
			ret = read_table(k->table, VAL(sec, k), ret == 0 ? v : NULL, in->path,
					 in->err, in->errlen);
		break;
	default:
		ret = cg_toml_get_array(in->t, in->tpath, k->name, req, &v, in->err, in->errlen);
		if (ret == 0)
			ret = k->parse(k, sec, v, in);
		break;
	}
	return ret == -ENOENT ? 0 : ret;
}

static const struct cg_conf_key *
find_key(const struct cg_conf_table *tb, const char *name)
{
	size_t i;

	for (i = 0; i < tb->n_keys; i++)
		if (strcmp(tb->keys[i].name, name) == 0)
			return &tb->keys[i];
	return NULL;
}

/*
 * Read table @t (NULL: absent) at @tpath into @sec with @tb's rows: the
 * defaults, then the unknown keys, then each row in order, then the table's
 * own check.
 */
static int
read_table(const struct cg_conf_table *tb, void *sec, json_object *t, const char *tpath,
	   char *err, size_t errlen)
{
	char path[PATH_SIZE];
	struct cg_conf_in in = {
		.t = t, .tpath = tpath, .path = path, .err = err, .errlen = errlen,
	};
	size_t i;
	int ret;

	for (i = 0; i < tb->n_keys; i++) {
		cg_toml_path(path, sizeof(path), tpath, tb->keys[i].name);
		if ((ret = set_default(&tb->keys[i], sec, &in)) < 0)
			return ret;
	}
	if (t != NULL) {
		json_object_object_foreach(t, key, v) {
			if (find_key(tb, key) == NULL)
				return cg_toml_errorf(err, errlen, cg_toml_path(path, sizeof(path),
									       tpath, key),
						      v, "unknown key");
		}
	}
	for (i = 0; i < tb->n_keys; i++) {
		cg_toml_path(path, sizeof(path), tpath, tb->keys[i].name);
		if ((ret = read_key(&tb->keys[i], sec, &in)) < 0)
			return ret;
	}
	for (i = 0; i < tb->n_keys; i++) {
		const struct cg_conf_key *k = &tb->keys[i], *lo;

		if (k->at_least == NULL)
			continue;
		lo = find_key(tb, k->at_least);
		if (load_int(sec, k) < load_int(sec, lo))
			return KEY_ERR(tpath, t, k->name, "%lld is below %s (%lld)",
				       (long long)load_int(sec, k), lo->name,
				       (long long)load_int(sec, lo));
	}
	return tb->check != NULL ? tb->check(sec, t, tpath, err, errlen) : 0;
}

static int
key_to_json(const struct cg_conf_key *k, const void *sec, json_object *o);

/* The effective values of @tb's rows in @sec, as a new object in *@out. */
static int
table_to_json(const struct cg_conf_table *tb, const void *sec, json_object **out)
{
	json_object *o = json_object_new_object();
	size_t i;
	int ret;

	if (o == NULL)
		return -ENOMEM;
	for (i = 0; i < tb->n_keys; i++) {
		if ((ret = key_to_json(&tb->keys[i], sec, o)) < 0) {
			json_object_put(o);
			return ret;
		}
	}
	*out = o;
	return 0;
}

static int
key_to_json(const struct cg_conf_key *k, const void *sec, json_object *o)
{
	json_object *v;
	int ret;

	if (k->to_json != NULL)
		return k->to_json(k, sec, o);
	switch (k->type) {
	case CG_CONF_INT:
		v = json_object_new_int64(load_int(sec, k));
		break;
	case CG_CONF_BOOL:
		v = json_object_new_boolean(*(const bool *)CVAL(sec, k));
		break;
	case CG_CONF_STRING:
		v = json_object_new_string(CVAL(sec, k));
		break;
	case CG_CONF_TABLE:
		if ((ret = table_to_json(k->table, CVAL(sec, k), &v)) < 0)
			return ret;
		break;
	default:
		return -EINVAL;	/* arrays have a hook */
	}
	return add(o, k->name, v);
}

const char *
cg_conf_type_name(enum cg_conf_type type)
{
	switch (type) {
	case CG_CONF_INT: return "integer";
	case CG_CONF_BOOL: return "boolean";
	case CG_CONF_STRING: return "string";
	case CG_CONF_STRINGS: return "array of strings";
	case CG_CONF_TABLE: return "table";
	case CG_CONF_TABLES: return "array of tables";
	}
	return "?";
}

/* Row helpers: key @f of section struct @S, and its type with range and default. */
#define KEY(S, f) .name = #f, .offset = offsetof(S, f), .size = sizeof(((S *)NULL)->f)
#define INT(lo, hi, d) .type = CG_CONF_INT, .min = (lo), .max = (hi), .def = (d)
#define BOOL(d) .type = CG_CONF_BOOL, .def = (d)
#define STR(d, fn) .type = CG_CONF_STRING, .def_str = (d), .parse = (fn)
#define SECTION(key, f, tb) .name = (key), .offset = offsetof(struct cg_conf, f), \
	.size = sizeof(((struct cg_conf *)NULL)->f), .type = CG_CONF_TABLE, .table = (tb)
#define ROWS(rows) .keys = (rows), .n_keys = sizeof(rows) / sizeof((rows)[0])

/*
 * [log]
 */

/* level and format: lib/log's names, and its aliases. */
static int
parse_log(const struct cg_conf_key *k, void *sec, json_object *v, const struct cg_conf_in *in)
{
	struct cg_conf_log *l = sec;
	const char *s = json_object_get_string(v);

	if (k->offset == offsetof(struct cg_conf_log, level)) {
		if (cg_log_level_parse(s, &l->level) < 0)
			return IN_ERR(in, v, "\"%s\" is not one of error, warn, info, debug", s);
	} else if (cg_log_format_parse(s, &l->format) < 0) {
		return IN_ERR(in, v, "\"%s\" is not one of text, json", s);
	}
	return 0;
}

static int
log_json(const struct cg_conf_key *k, const void *sec, json_object *o)
{
	const struct cg_conf_log *l = sec;

	return add(o, k->name, json_object_new_string(
			   k->offset == offsetof(struct cg_conf_log, level) ?
			   cg_log_level_name(l->level) :
			   l->format == CG_LOG_FMT_JSON ? "json" : "text"));
}

#define LOG_KEY(f) KEY(struct cg_conf_log, f)
static const struct cg_conf_key log_keys[] = {
	{ LOG_KEY(level), STR("info", parse_log), .to_json = log_json,
	  .doc = "log threshold: error, warn, info or debug" },
	{ LOG_KEY(format), STR("text", parse_log), .to_json = log_json,
	  .doc = "text (for people) or json (one object per line)" },
};
static const struct cg_conf_table log_table = { ROWS(log_keys) };

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
parse_lcores_key(const struct cg_conf_key *k, void *sec, json_object *v,
		 const struct cg_conf_in *in)
{
	struct cg_conf_dataplane *dp = sec;
	const char *s = json_object_get_string(v);

	if (strlen(s) >= k->size || parse_lcores(s, &dp->n_lcores) < 0)
		return IN_ERR(in, v, "\"%s\" is not an lcore list of distinct lcores 0..%d "
			      "(e.g. \"0\", \"0-3\", \"0,2,4-5\")", s, MAX_LCORE);
	return copy_string(k, sec, v, in);
}

/* A name: file_prefix, or a port's name (lib/rule says what one is, "." allowed). */
static int
parse_name(const struct cg_conf_key *k, void *sec, json_object *v, const struct cg_conf_in *in)
{
	const bool port = k->size == CG_RULE_PORT_NAME_SIZE;
	const char *s = json_object_get_string(v);

	if (port ? !cg_rule_port_name_valid(s) : !prefix_valid(s))
		return IN_ERR(in, v, "\"%s\" is not a valid %s (1..%zu characters of "
			      "A-Z a-z 0-9 %s)", s, port ? "port name" : "prefix", k->size - 1,
			      port ? "_ . -" : "_ -");
	return copy_string(k, sec, v, in);
}

static int
parse_eal_args(const struct cg_conf_key *k, void *sec, json_object *arr,
	       const struct cg_conf_in *in)
{
	struct cg_conf_dataplane *dp = sec;
	char path[PATH_SIZE];
	size_t i, n = json_object_array_length(arr);

	(void)k;
	if (n == 0)
		return 0;
	dp->eal_args = calloc(n, sizeof(char *));
	if (dp->eal_args == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *s, *owner;

		cg_toml_path_index(path, sizeof(path), in->path, i);
		if (!json_object_is_type(e, json_type_string))
			return cg_toml_errorf(in->err, in->errlen, path, e,
					      "expected a string, got %s", cg_toml_type_name(e));
		s = json_object_get_string(e);
		if (s[0] == '\0')
			return cg_toml_errorf(in->err, in->errlen, path, e, "empty argument");
		if (strcmp(s, "--") == 0)
			return cg_toml_errorf(in->err, in->errlen, path, e,
					      "\"--\" would end the EAL arguments");
		owner = eal_arg_owner(s);
		if (owner != NULL)
			return cg_toml_errorf(in->err, in->errlen, path, e,
					      "\"%s\" is set from %s; remove it here", s, owner);
		dp->eal_args[i] = strdup(s);
		if (dp->eal_args[i] == NULL)
			return -ENOMEM;
		dp->n_eal_args = i + 1;
	}
	return 0;
}

static int
eal_args_json(const struct cg_conf_key *k, const void *sec, json_object *o)
{
	const struct cg_conf_dataplane *dp = sec;
	json_object *args = json_object_new_array();
	size_t i;

	for (i = 0; args != NULL && i < dp->n_eal_args; i++) {
		json_object *s = json_object_new_string(dp->eal_args[i]);

		if (s == NULL || json_object_array_add(args, s) < 0) {
			json_object_put(s);
			json_object_put(args);
			return -ENOMEM;
		}
	}
	return add(o, k->name, args);
}

/* rte_mempool_create() refuses a cache whose flush threshold (1.5 x) exceeds the pool. */
static int
check_dataplane(const void *sec, json_object *t, const char *tpath, char *err, size_t errlen)
{
	const struct cg_conf_dataplane *dp = sec;

	if ((uint64_t)dp->mbuf_cache * 3 / 2 > dp->mbufs)
		return KEY_ERR(tpath, t, "mbuf_cache", "%u is too large for %u mbufs "
			       "(1.5 x mbuf_cache must not exceed mbufs)",
			       dp->mbuf_cache, dp->mbufs);
	return 0;
}

#define DP_KEY(f) KEY(struct cg_conf_dataplane, f)
static const struct cg_conf_key dataplane_keys[] = {
	{ DP_KEY(lcores), STR("0", parse_lcores_key), .doc = "EAL -l list, main lcore first" },
	{ DP_KEY(main_forwards), BOOL(false),
	  .doc = "the main lcore forwards too (always with one lcore)" },
	{ DP_KEY(file_prefix), STR("castgate", parse_name), .doc = "EAL --file-prefix" },
	{ DP_KEY(memory_mb), INT(0, MAX_MEMORY_MB, 0), .doc = "EAL -m; 0 = grow on demand" },
	{ DP_KEY(no_huge), BOOL(false), .doc = "EAL --no-huge (tests only)" },
	{ DP_KEY(mbufs), INT(MIN_MBUFS, MAX_MBUFS, DEF_MBUFS),
	  .doc = "packet buffers per NUMA socket; absent, grows to fill the rings" },
	{ DP_KEY(mbuf_cache), INT(0, MAX_MBUF_CACHE, 256), .doc = "per-lcore pool cache" },
	{ DP_KEY(mbuf_size), INT(MIN_MBUF_SIZE, MAX_MBUF_SIZE, DEF_MBUF_SIZE),
	  .doc = "buffer data room incl. 128 B headroom; >= mtu + 146 for every port" },
	{ DP_KEY(burst), INT(1, MAX_BURST, 32), .doc = "packets per RX poll and per TX burst" },
	{ DP_KEY(max_rules), INT(1, MAX_MAX_RULES, DEF_MAX_RULES),
	  .doc = "rule slots reserved at start (an update needs one free)" },
	{ DP_KEY(max_outputs), INT(1, CG_RULE_MAX_OUTPUTS, CG_RULE_MAX_OUTPUTS),
	  .doc = "outputs each rule slot has room for (a rule with more is refused)" },
	{ DP_KEY(rx_desc), INT(MIN_DESC, MAX_DESC, DEF_DESC), .doc = "RX ring size of the ports" },
	{ DP_KEY(tx_desc), INT(MIN_DESC, MAX_DESC, DEF_DESC), .doc = "TX ring size of the ports" },
	{ DP_KEY(tx_drain_us), INT(0, MAX_TX_DRAIN_US, 100), .doc = "TX buffer flush period" },
	{ DP_KEY(idle_sleep_us), INT(0, MAX_IDLE_SLEEP_US, 0), .doc = "sleep of an idle poll" },
	{ DP_KEY(checksum_check), BOOL(false), .doc = "drop bad IPv4/UDP checksums" },
	{ DP_KEY(igmp_version), INT(2, 3, 3), .doc = "IGMP version of our membership reports" },
	{ DP_KEY(igmp_interval_s), INT(1, 3600, 60), .doc = "period of unsolicited reports" },
	{ DP_KEY(arp_timeout_s), INT(1, 86400, 300), .doc = "lifetime of a resolved next hop" },
	{ DP_KEY(arp_retry_ms), INT(10, 60000, 1000), .doc = "delay between ARP requests" },
	{ DP_KEY(arp_max_retries), INT(1, 100, 5), .doc = "ARP requests before unreachable" },
	{ DP_KEY(eal_args), .type = CG_CONF_STRINGS, .parse = parse_eal_args,
	  .to_json = eal_args_json, .doc = "extra EAL arguments, appended verbatim" },
};
static const struct cg_conf_table dataplane_table = {
	ROWS(dataplane_keys), .check = check_dataplane,
};

/*
 * [control] and [supervisor]
 */

/* A path: not empty, absolute, and it must fit. */
static int
parse_path(const struct cg_conf_key *k, void *sec, json_object *v, const struct cg_conf_in *in)
{
	const char *s = json_object_get_string(v);

	if (s[0] == '\0')
		return IN_ERR(in, v, "must not be empty");
	if (s[0] != '/')
		return IN_ERR(in, v, "\"%s\" is not an absolute path", s);
	return copy_string(k, sec, v, in);
}

/* Group names as useradd(8) allows them, or "" for none. */
static int
parse_group(const struct cg_conf_key *k, void *sec, json_object *v, const struct cg_conf_in *in)
{
	const char *s = json_object_get_string(v);

	if (strlen(s) >= k->size)
		return IN_ERR(in, v, "is too long (at most %zu characters)", k->size - 1);
	for (const char *p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.' &&
		    !(*p == '$' && p[1] == '\0'))
			return IN_ERR(in, v, "\"%s\" is not a group name", s);
	if (s[0] == '-')
		return IN_ERR(in, v, "\"%s\" is not a group name", s);
	return copy_string(k, sec, v, in);
}

/* lib/conf does without lib/util: the same convention, message and -EINVAL. */
#define LISTEN_ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

int
cg_conf_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
		     size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s, *end;
	unsigned long port = 0;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	*len = 0;
	if (s[0] == '\0')
		return 0;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':')
			return LISTEN_ERR("\"%s\": expected [::1]:PORT", s);
		hl = (size_t)(end - s - 1);
		memcpy(host, s + 1, hl < sizeof(host) ? hl : 0);
		port_s = end + 2;
	} else {
		end = strrchr(s, ':');
		if (end == NULL)
			return LISTEN_ERR("\"%s\": expected ADDRESS:PORT, e.g. 127.0.0.1:9465", s);
		hl = (size_t)(end - s);
		memcpy(host, s, hl < sizeof(host) ? hl : 0);
		port_s = end + 1;
	}
	if (hl >= sizeof(host))
		return LISTEN_ERR("\"%s\": bad address", s);
	host[hl] = '\0';
	if (*port_s == '\0')
		return LISTEN_ERR("\"%s\": missing port", s);
	for (const char *p = port_s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return LISTEN_ERR("\"%s\": port must be a number 1..65535", s);
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port < 1 || port > 65535)
		return LISTEN_ERR("\"%s\": port %lu is out of range 1..65535", s, port);
	if (s[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return LISTEN_ERR("\"%s\": \"%s\" is not an IPv6 address", s, host);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
	} else {
		struct sockaddr_in *in4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			return LISTEN_ERR("\"%s\": \"%s\" is not an IPv4 address (write IPv6 "
					  "as [::1]:PORT; names are not resolved)", s, host);
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
	}
	return 0;
}

/* An HTTP listen address (cg_conf_listen_parse()), or "" for none. */
static int
parse_listen(const struct cg_conf_key *k, void *sec, json_object *v, const struct cg_conf_in *in)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char msg[160];

	if (cg_conf_listen_parse(json_object_get_string(v), &ss, &len, msg, sizeof(msg)) < 0)
		return IN_ERR(in, v, "%s", msg);
	return copy_string(k, sec, v, in);
}

#define CTL_KEY(f) KEY(struct cg_conf_control, f)
static const struct cg_conf_key control_keys[] = {
	{ CTL_KEY(socket), STR("/run/castgate/control.sock", parse_path),
	  .doc = "the JSON-RPC socket, an absolute path" },
	{ CTL_KEY(group), STR("", parse_group), .doc = "may connect and read; \"\" = root only" },
	{ CTL_KEY(admin_group), STR("", parse_group), .doc = "may change rules too; \"\": root" },
	{ CTL_KEY(state_file), STR("/var/lib/castgate/rules.json", parse_path),
	  .doc = "the rules added over the API, an absolute path" },
	{ CTL_KEY(max_clients), INT(1, 4096, 64), .doc = "connections at once" },
	{ CTL_KEY(idle_timeout_ms), INT(100, 86400000, 60000), .doc = "cut a silent client" },
	{ CTL_KEY(request_timeout_ms), INT(100, 600000, 5000), .doc = "cut an unfinished request" },
	{ CTL_KEY(max_request_bytes), INT(1024, 64 << 20, 1 << 20), .doc = "longest request line" },
	{ CTL_KEY(silence_ms), INT(0, CG_RULE_SILENCE_MAX_MS, 0),
	  .doc = "alarm on a rule that received nothing this long; 0 = off" },
	{ CTL_KEY(metrics_listen), STR("127.0.0.1:9465", parse_listen),
	  .doc = "/metrics and /healthz over HTTP, ADDRESS:PORT; \"\" = off" },
};
static const struct cg_conf_table control_table = { ROWS(control_keys) };

#define SUP_KEY(f) KEY(struct cg_conf_supervisor, f)
static const struct cg_conf_key supervisor_keys[] = {
	{ SUP_KEY(run_dir), STR("/run/castgate", parse_path), .doc = "ready files and lock" },
	{ SUP_KEY(quick_restarts), INT(0, 10, 3),
	  .doc = "restarts at once after a stable run, before any delay" },
	{ SUP_KEY(restart_min_ms), INT(10, 600000, 250), .doc = "first restart delay" },
	{ SUP_KEY(restart_max_ms), INT(10, 3600000, 16000), .at_least = "restart_min_ms",
	  .doc = "the delay doubles up to this" },
	{ SUP_KEY(stable_s), INT(1, 86400, 60), .doc = "running this long resets the delay" },
	{ SUP_KEY(stop_timeout_s), INT(1, 600, 10), .doc = "orderly stop, then SIGKILL" },
	{ SUP_KEY(ready_timeout_s), INT(1, 3600, 60), .doc = "restart a child not ready by then" },
};
static const struct cg_conf_table supervisor_table = { ROWS(supervisor_keys) };

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

unsigned int
cg_conf_nb_workers(const struct cg_conf_dataplane *dp)
{
	if (dp->n_lcores <= 1 || dp->main_forwards)
		return dp->n_lcores;
	return dp->n_lcores - 1;
}

/*
 * Enough mbufs to fill every ring (one RX and one TX queue per worker on
 * every port) and every lcore cache, or RX starves. When
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
	need *= cg_conf_nb_workers(dp);
	need += (uint64_t)dp->n_lcores * (dp->mbuf_cache * 3 / 2 + dp->burst);
	if (dp->mbufs < need && (dpt == NULL || !json_object_object_get_ex(dpt, "mbufs", NULL))) {
		uint64_t n = (uint64_t)DEF_MBUFS + 1;

		while (n - 1 < need && n - 1 < MAX_MBUFS)
			n <<= 1;
		dp->mbufs = (uint32_t)(n - 1 > MAX_MBUFS ? MAX_MBUFS : n - 1);
	}
	if (dp->mbufs < need)
		return KEY_ERR("dataplane", dpt, "mbufs", "%u mbufs cannot fill the rings and "
			       "caches: need at least %llu (RX + TX descriptors of every port "
			       "times %u worker(s), and 1.5 x mbuf_cache + burst per lcore)",
			       dp->mbufs, (unsigned long long)need, cg_conf_nb_workers(dp));
	return 0;
}

/*
 * The value of a vdev's iface= devarg: its length, and *name pointing at it;
 * 0 and NULL without one.
 */
static size_t
iface_arg(const char *d, const char **name)
{
	for (const char *a = strchr(d, ','); a != NULL; a = strchr(a + 1, ',')) {
		if (strncmp(a + 1, "iface=", 6) == 0) {
			*name = a + 7;
			return strcspn(*name, ",");
		}
	}
	*name = NULL;
	return 0;
}

static bool
iface_is_netdev(const char *device)
{
	return strncmp(device, "net_af_packet", 13) == 0 || strncmp(device, "net_af_xdp", 10) == 0 ||
	       strncmp(device, "net_tap", 7) == 0 || strncmp(device, "net_tun", 7) == 0;
}

bool
cg_conf_kernel_iface(const char *device, char *name, size_t size)
{
	const char *v;
	size_t n;

	name[0] = '\0';
	if (strncmp(device, "net_af_packet", 13) != 0 && strncmp(device, "net_af_xdp", 10) != 0)
		return false;
	n = iface_arg(device, &v);
	if (v == NULL || n == 0 || n >= size)
		return false;
	snprintf(name, size, "%.*s", (int)n, v);
	return true;
}

static int
parse_device(const struct cg_conf_key *k, void *sec, json_object *v, const struct cg_conf_in *in)
{
	struct cg_conf_port *p = sec;
	const char *s = json_object_get_string(v), *name;
	size_t n;

	if (strlen(s) >= k->size)
		return IN_ERR(in, v, "longer than %zu characters", k->size - 1);
	p->is_pci = cg_conf_device_is_pci(s);
	if (!p->is_pci && !device_is_vdev(s))
		return IN_ERR(in, v, "\"%s\" is neither a PCI address (DDDD:BB:DD.F) nor a vdev "
			      "(net_<driver><n>[,args])", s);
	/* af_packet, af_xdp, tap and tun name a kernel interface there (net_vhost
	 * a socket path): the PMD would refuse a longer name at every start. */
	n = iface_arg(s, &name);
	if (iface_is_netdev(s) && (n > IFNAMSIZ - 1 || (name != NULL && n == 0)))
		return IN_ERR(in, v, "iface \"%.*s\" is %zu characters: a Linux interface name "
			      "has 1 to %d", (int)n, name, n, IFNAMSIZ - 1);
	return copy_string(k, sec, v, in);
}

static int
parse_ip(const struct cg_conf_key *k, void *sec, json_object *v, const struct cg_conf_in *in)
{
	struct cg_conf_port *p = sec;
	const char *s = json_object_get_string(v), *why;
	char a[INET_ADDRSTRLEN];

	(void)k;
	if (parse_cidr(s, &p->ip, &p->prefix_len) < 0)
		return IN_ERR(in, v, "\"%s\" is not an IPv4 address with a prefix length "
			      "(e.g. 198.18.1.2/25)", s);
	p->netmask = mask_of(p->prefix_len);
	if ((why = cg_rule_src_problem(p->ip)) != NULL)
		return IN_ERR(in, v, "%s %s", cg_rule_ipv4_str(p->ip, a), why);
	if (is_net_or_bcast(p->ip, p->netmask, p->prefix_len))
		return IN_ERR(in, v, "%s is the network or broadcast address of /%u",
			      cg_rule_ipv4_str(p->ip, a), p->prefix_len);
	return 0;
}

static int
ip_json(const struct cg_conf_key *k, const void *sec, json_object *o)
{
	const struct cg_conf_port *p = sec;
	char a[INET_ADDRSTRLEN], buf[INET_ADDRSTRLEN + 4];

	snprintf(buf, sizeof(buf), "%s/%u", cg_rule_ipv4_str(p->ip, a), p->prefix_len);
	return add(o, k->name, json_object_new_string(buf));
}

/* "auto" (the device's own MAC), or a unicast MAC to set. */
static int
parse_mac(const struct cg_conf_key *k, void *sec, json_object *v, const struct cg_conf_in *in)
{
	struct cg_conf_port *p = sec;
	const char *s = json_object_get_string(v);

	(void)k;
	p->mac_auto = strcmp(s, "auto") == 0;
	if (p->mac_auto)
		return 0;
	if (cg_rule_parse_mac(s, p->mac) < 0)
		return IN_ERR(in, v, "\"%s\" is neither \"auto\" nor a MAC address "
			      "(aa:bb:cc:dd:ee:ff)", s);
	if ((p->mac[0] & 1) || !(p->mac[0] | p->mac[1] | p->mac[2] | p->mac[3] | p->mac[4] |
				 p->mac[5]))
		return IN_ERR(in, v, "%s is not a unicast MAC address", s);
	return 0;
}

static int
mac_json(const struct cg_conf_key *k, const void *sec, json_object *o)
{
	const struct cg_conf_port *p = sec;
	char buf[18];

	if (p->mac_auto)
		return add(o, k->name, json_object_new_string("auto"));
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0], p->mac[1],
		 p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
	return add(o, k->name, json_object_new_string(buf));
}

/* Read after ip: it must lie inside the port's prefix. */
static int
parse_gateway(const struct cg_conf_key *k, void *sec, json_object *v,
	      const struct cg_conf_in *in)
{
	struct cg_conf_port *p = sec;
	const char *s = json_object_get_string(v), *why;
	char a[INET_ADDRSTRLEN];
	uint32_t gw;

	(void)k;
	if (cg_rule_parse_ipv4(s, &gw) < 0)
		return IN_ERR(in, v, "\"%s\" is not an IPv4 address", s);
	if ((why = cg_rule_src_problem(gw)) != NULL)
		return IN_ERR(in, v, "%s %s", s, why);
	if ((gw & p->netmask) != (p->ip & p->netmask))
		return IN_ERR(in, v, "%s is outside the port's prefix %s/%u", s,
			      cg_rule_ipv4_str(p->ip & p->netmask, a), p->prefix_len);
	if (gw == p->ip)
		return IN_ERR(in, v, "%s is the port's own address", s);
	if (is_net_or_bcast(gw, p->netmask, p->prefix_len))
		return IN_ERR(in, v, "%s is the network or broadcast address of /%u", s,
			      p->prefix_len);
	p->gateway = gw;
	return 0;
}

static int
gateway_json(const struct cg_conf_key *k, const void *sec, json_object *o)
{
	const struct cg_conf_port *p = sec;
	char a[INET_ADDRSTRLEN];

	if (p->gateway == 0)
		return 0;
	return add(o, k->name, json_object_new_string(cg_rule_ipv4_str(p->gateway, a)));
}

static const char *const multi_seg_names[] = { "auto", "on", "off" };

static int
parse_multi_seg(const struct cg_conf_key *k, void *sec, json_object *v,
		const struct cg_conf_in *in)
{
	const char *s = json_object_get_string(v);

	(void)k;
	for (size_t i = 0; i < sizeof(multi_seg_names) / sizeof(multi_seg_names[0]); i++) {
		if (strcmp(s, multi_seg_names[i]) == 0) {
			((struct cg_conf_port *)sec)->tx_multi_seg = (uint8_t)i;
			return 0;
		}
	}
	return IN_ERR(in, v, "\"%s\" is not one of auto, on, off", s);
}

static int
multi_seg_json(const struct cg_conf_key *k, const void *sec, json_object *o)
{
	const struct cg_conf_port *p = sec;

	return add(o, k->name, json_object_new_string(multi_seg_names[p->tx_multi_seg]));
}

/* Rows in the order they are read: ip before gateway. */
#define PORT_KEY(f) KEY(struct cg_conf_port, f)
static const struct cg_conf_key port_keys[] = {
	{ PORT_KEY(name), STR(NULL, parse_name), .flags = CG_CONF_REQUIRED,
	  .doc = "unique name; rules refer to it" },
	{ PORT_KEY(device), STR(NULL, parse_device), .flags = CG_CONF_REQUIRED,
	  .doc = "a vdev (--vdev) or a PCI address (-a), with devargs" },
	{ PORT_KEY(ip), STR(NULL, parse_ip), .flags = CG_CONF_REQUIRED, .to_json = ip_json,
	  .doc = "the port's IPv4 address and prefix length" },
	{ PORT_KEY(mac), STR("auto", parse_mac), .to_json = mac_json,
	  .doc = "\"auto\" (the device's MAC) or a unicast MAC to set" },
	{ PORT_KEY(mtu), INT(MIN_MTU, MAX_MTU, 1500), .doc = "largest IP packet sent (not checked on receive)" },
	{ PORT_KEY(gateway), STR(NULL, parse_gateway), .flags = CG_CONF_NODEF,
	  .to_json = gateway_json, .doc = "next hop of unicast outputs outside the prefix" },
	{ PORT_KEY(rx_desc), INT(MIN_DESC, MAX_DESC, 0), .flags = CG_CONF_INHERIT,
	  .doc = "this port's RX ring size" },
	{ PORT_KEY(tx_desc), INT(MIN_DESC, MAX_DESC, 0), .flags = CG_CONF_INHERIT,
	  .doc = "this port's TX ring size" },
	{ PORT_KEY(tx_multi_seg), STR("auto", parse_multi_seg), .to_json = multi_seg_json,
	  .doc = "fan-out: auto (clones where the driver declares multi-seg TX), on, off (copies)" },
	{ PORT_KEY(xdp_steer), BOOL(false),
	  .doc = "net_af_xdp: only the rules' traffic reaches castgate, the kernel keeps the rest" },
};
static const struct cg_conf_table port_table = { ROWS(port_keys) };

static int
read_port(const struct cg_conf *c, struct cg_conf_port *p, json_object *t, const char *P,
	  char *err, size_t errlen)
{
	const struct cg_conf_dataplane *dp = &c->dp;
	int ret;

	/* The CG_CONF_INHERIT rows. */
	p->rx_desc = dp->rx_desc;
	p->tx_desc = dp->tx_desc;
	if ((ret = read_table(&port_table, p, t, P, err, errlen)) < 0)
		return ret;
	if (p->xdp_steer && strncmp(p->device, "net_af_xdp", 10) != 0)
		return KEY_ERR(P, t, "xdp_steer", "needs a net_af_xdp device; \"%s\" is not one "
			       "(the XDP program steers what an AF_XDP socket receives)", p->device);
	if (p->xdp_steer && strstr(p->device, "xdp_prog=") != NULL)
		return KEY_ERR(P, t, "xdp_steer", "loads castgate's own XDP program: remove "
			       "xdp_prog= from device \"%s\" (or xdp_steer, to run your program)",
			       p->device);
	/* The data plane does not use RX scatter: a whole frame must fit in one mbuf. */
	if (dp->mbuf_size < (uint32_t)p->mtu + CG_CONF_L2_OVERHEAD + CG_CONF_MBUF_HEADROOM)
		return KEY_ERR(P, t, "mtu", "%u needs dataplane.mbuf_size >= %u "
			       "(mtu + %d Ethernet + %d headroom), it is %u", p->mtu,
			       p->mtu + CG_CONF_L2_OVERHEAD + CG_CONF_MBUF_HEADROOM,
			       CG_CONF_L2_OVERHEAD, CG_CONF_MBUF_HEADROOM, dp->mbuf_size);
	return 0;
}

/* Names, devices and addresses are unique among ports. */
static int
check_port_unique(const struct cg_conf *c, size_t i, json_object *t, const char *P, char *err,
		  size_t errlen)
{
	const struct cg_conf_port *p = &c->ports[i];
	char a[INET_ADDRSTRLEN];
	size_t j, l = device_id_len(p->device);

	for (j = 0; j < i; j++) {
		const struct cg_conf_port *q = &c->ports[j];

		if (strcmp(q->name, p->name) == 0)
			return KEY_ERR(P, t, "name", "\"%s\" is already the name of port[%zu]",
				       p->name, j);
		if (l == device_id_len(q->device) && strncasecmp(q->device, p->device, l) == 0)
			return KEY_ERR(P, t, "device", "\"%.*s\" is already the device of "
				       "port[%zu] \"%s\"", (int)l, p->device, j, q->name);
		if (q->ip == p->ip)
			return KEY_ERR(P, t, "ip", "%s is already the address of port[%zu] \"%s\"",
				       cg_rule_ipv4_str(p->ip, a), j, q->name);
	}
	return 0;
}


/* The [[port]] array, then the pool size that the ports need. */
static int
parse_ports(const struct cg_conf_key *k, void *sec, json_object *arr,
	    const struct cg_conf_in *in)
{
	struct cg_conf *c = sec;
	json_object *dpt = NULL;
	char P[PATH_SIZE];
	size_t i, n = json_object_array_length(arr);
	int ret;

	if (n < 1 || n > CG_CONF_MAX_PORTS)
		return IN_ERR(in, arr, "expected 1..%d [[port]] tables, got %zu",
			      CG_CONF_MAX_PORTS, n);
	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(arr, i);

		cg_toml_path_index(P, sizeof(P), k->name, i);
		if (!json_object_is_type(t, json_type_object))
			return cg_toml_errorf(in->err, in->errlen, P, t ? t : arr,
					      "expected a table, got %s", cg_toml_type_name(t));
		if ((ret = read_port(c, &c->ports[i], t, P, in->err, in->errlen)) < 0 ||
		    (ret = check_port_unique(c, i, t, P, in->err, in->errlen)) < 0)
			return ret;
		c->n_ports = i + 1;
	}
	json_object_object_get_ex(in->t, "dataplane", &dpt);
	return check_mbufs(c, dpt, in->err, in->errlen);
}

static int
ports_json(const struct cg_conf_key *k, const void *sec, json_object *o)
{
	const struct cg_conf *c = sec;
	json_object *ports = json_object_new_array(), *p;
	size_t i;
	int ret;

	for (i = 0; ports != NULL && i < c->n_ports; i++) {
		if ((ret = table_to_json(k->table, &c->ports[i], &p)) < 0) {
			json_object_put(ports);
			return ret;
		}
		if (json_object_array_add(ports, p) < 0) {
			json_object_put(p);
			json_object_put(ports);
			return -ENOMEM;
		}
	}
	return add(o, k->name, ports);
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
	const char *why;
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
		/* ARP could never resolve these (the data plane checks API rules so). */
		if (!cg_rule_addr_is_multicast(o->dst) && !o->has_next_hop_mac &&
		    (why = cg_rule_onlink_problem(o->dst, p->ip, p->prefix_len)) != NULL)
			return KEY_ERR(tp, ot, "destination", "%s is port \"%s\"'s %s (%s/%u): "
				       "no host there answers ARP; give another address, or this "
				       "output's next_hop_mac", cg_rule_ipv4_str(o->dst, a), p->name,
				       why, cg_rule_ipv4_str(p->ip, b), p->prefix_len);
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

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The [[rule]] array: lib/rule reads each rule; here, their ports, ids and clashes. */
static int
parse_rules(const struct cg_conf_key *k, void *sec, json_object *arr,
	    const struct cg_conf_in *in)
{
	char P[PATH_SIZE], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct cg_conf *c = sec;
	struct cg_rule *rules = NULL;
	char *err = in->err;
	size_t errlen = in->errlen;
	uint32_t next = 1;
	size_t i, n;
	int ret;

	n = json_object_array_length(arr);
	if (n == 0)
		return 0;
	if (n > c->dp.max_rules) {
		json_object *dpt = NULL;

		json_object_object_get_ex(in->t, "dataplane", &dpt);
		return KEY_ERR("dataplane", dpt, "max_rules", "%zu [[rule]] tables do not fit in "
			       "%u rule slots; set max_rules to at least %zu (one more lets a "
			       "rule be updated)", n, c->dp.max_rules, n + 1);
	}
	rules = calloc(n, sizeof(*rules));
	if (rules == NULL)
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(arr, i);

		cg_toml_path_index(P, sizeof(P), k->name, i);
		if (!json_object_is_type(t, json_type_object)) {
			ret = cg_toml_errorf(err, errlen, P, t ? t : arr,
					     "expected a table, got %s", cg_toml_type_name(t));
			goto out;
		}
		if ((ret = cg_rule_from_json(t, P, &rules[i], err, errlen)) < 0 ||
		    (ret = resolve_rule(c, t, P, &rules[i], err, errlen)) < 0)
			goto out;
		if (rules[i].n_outputs > c->dp.max_outputs) {
			ret = KEY_ERR(P, t, "output", "%u outputs, more than a rule slot holds "
				      "([dataplane] max_outputs = %u)", rules[i].n_outputs,
				      c->dp.max_outputs);
			goto out;
		}
	}

	/*
	 * Rules without an id get the lowest ids no rule of the file names
	 * explicitly, in file order, so adding an id to one rule never makes
	 * another one's clash.
	 */
	{
		/* The explicit ids, sorted, walked once: O(n log n) for 10^5 rules. */
		uint32_t *ids = calloc(n, sizeof(*ids));
		size_t m = 0, j = 0;

		if (ids == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		for (i = 0; i < n; i++)
			if (rules[i].id != 0)
				ids[m++] = rules[i].id;
		qsort(ids, m, sizeof(*ids), cmp_u32);
		for (i = 0; i < n; i++) {
			if (rules[i].id != 0)
				continue;
			for (;;) {
				while (j < m && ids[j] < next)
					j++;
				if (j == m || ids[j] != next)
					break;
				next++;
			}
			rules[i].id = next++;
		}
		free(ids);
	}

	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(arr, i);
		const struct cg_rule *o;
		const struct cg_rule *r = &rules[i];
		size_t oi;

		cg_toml_path_index(P, sizeof(P), k->name, i);
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

static int
rules_json(const struct cg_conf_key *k, const void *sec, json_object *o)
{
	const struct cg_conf *c = sec;
	json_object *rules = json_object_new_array();
	const struct cg_rule *r;
	size_t i;

	if (rules == NULL)
		return -ENOMEM;
	CG_RULE_SET_FOREACH(c->rules, i, r) {
		json_object *j = cg_rule_to_json(r);

		if (j == NULL || json_object_array_add(rules, j) < 0) {
			json_object_put(j);
			json_object_put(rules);
			return -ENOMEM;
		}
	}
	return add(o, k->name, rules);
}

/*
 * Whole config
 */

static const struct cg_conf_key root_keys[] = {
	{ SECTION("log", log, &log_table), .doc = "log threshold and format" },
	{ SECTION("dataplane", dp, &dataplane_table),
	  .doc = "DPDK EAL settings and forwarding tuning" },
	{ SECTION("control", ctl, &control_table),
	  .doc = "the JSON-RPC control process: socket, groups, state file, limits" },
	{ SECTION("supervisor", sup, &supervisor_table),
	  .doc = "the supervisor: run directory, restart backoff, timeouts" },
	{ .name = "port", .type = CG_CONF_TABLES, .table = &port_table,
	  .flags = CG_CONF_REQUIRED, .parse = parse_ports, .to_json = ports_json,
	  .doc = "the DPDK ports, in port id order" },
	/* lib/rule owns the keys of a rule. */
	{ .name = "rule", .type = CG_CONF_TABLES, .parse = parse_rules, .to_json = rules_json,
	  .doc = "relay rules: what to receive and how to re-emit it" },
};
static const struct cg_conf_table root_table = { ROWS(root_keys) };

const struct cg_conf_table *
cg_conf_schema(void)
{
	return &root_table;
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
	struct cg_conf *c;
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
	ret = read_table(&root_table, c, root, "", err, errlen);
	if (ret < 0) {
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

json_object *
cg_conf_to_json(const struct cg_conf *c)
{
	json_object *root;

	if (table_to_json(&root_table, c, &root) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return root;
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
