/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Relay rule model: parsing from JSON/TOML, validation, JSON output, and
 * ordered rule sets with unique names, ids and match keys.
 *
 * The same checks run on rules parsed from the config (where messages carry
 * the key path and line) and on rules built by hand (where messages name
 * the rule): both go through check_rule() with a context that knows, when
 * there is one, the JSON table each field came from.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "cg_rule.h"
#include "cg_toml.h"

/* Longest key path we build: "rule[4294967295].output[15].next_hop_mac" and a caller prefix. */
#define PATH_SIZE 256
#define MSG_SIZE 256

/* Where in a rule a field lives, for messages. */
#define AT_RULE  (-2)
#define AT_INPUT (-1)

struct vctx {
	const struct cg_rule *r;
	const char *base;		/* JSON path of the rule; NULL for a struct check */
	json_object *rule;		/* the rule table, or NULL */
	json_object *in;		/* its input table, or NULL */
	json_object *out[CG_RULE_MAX_OUTPUTS]; /* its output tables, or NULL */
	char *err;
	size_t errlen;
};

/* "a" + "." + "b", leaving out empty parts. */
static const char *
join(char *buf, size_t size, const char *a, const char *b)
{
	if (a == NULL || a[0] == '\0')
		snprintf(buf, size, "%s", b ? b : "");
	else if (b == NULL || b[0] == '\0')
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "%s.%s", a, b);
	return buf;
}

/*
 * Report a problem with field @key (NULL: the table itself) of the rule
 * (AT_RULE), its input (AT_INPUT) or output @where.
 */
static int __attribute__((format(printf, 4, 5)))
fail(const struct vctx *c, int where, const char *key, const char *fmt, ...)
{
	char msg[MSG_SIZE], sub[32], tpath[PATH_SIZE], path[PATH_SIZE];
	json_object *tbl, *at;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (where == AT_RULE) {
		sub[0] = '\0';
		tbl = c->rule;
	} else if (where == AT_INPUT) {
		snprintf(sub, sizeof(sub), "input");
		tbl = c->in;
	} else {
		snprintf(sub, sizeof(sub), "output[%d]", where);
		tbl = c->out[where];
	}

	if (c->base != NULL) {
		join(path, sizeof(path), join(tpath, sizeof(tpath), c->base, sub), key);
		at = tbl;
		if (tbl != NULL && key != NULL && !json_object_object_get_ex(tbl, key, &at))
			at = tbl;
		return cg_toml_errorf(c->err, c->errlen, path, at, "%s", msg);
	}

	join(path, sizeof(path), sub, key);
	if (cg_rule_name_valid(c->r->name))
		snprintf(c->err, c->errlen, "rule \"%s\": %s: %s", c->r->name, path, msg);
	else
		snprintf(c->err, c->errlen, "rule: %s: %s", path, msg);
	return -EINVAL;
}

static bool
name_valid(const char *name, size_t max)
{
	size_t n;

	if (name == NULL)
		return false;
	for (n = 0; name[n] != '\0'; n++) {
		char ch = name[n];

		if (n >= max)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return n > 0;
}

bool
cg_rule_name_valid(const char *name)
{
	return name_valid(name, CG_RULE_NAME_SIZE - 1);
}

bool
cg_rule_port_name_valid(const char *name)
{
	return name_valid(name, CG_RULE_PORT_NAME_SIZE - 1);
}

int
cg_rule_parse_ipv4(const char *s, uint32_t *addr_be)
{
	struct in_addr a;

	/* inet_pton() takes exactly four decimal parts, unlike inet_aton(). */
	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr_be = a.s_addr;
	return 0;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
cg_rule_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	int i;

	if (s == NULL || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, 6);
	return 0;
}

static const char *
mac_problem(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	if (mac[0] & 1)
		return "is a multicast or broadcast MAC address, not a unicast one";
	if (memcmp(mac, zero, 6) == 0)
		return "is the all-zero MAC address";
	return NULL;
}

/* Problems common to destinations and sources; NULL for an ordinary unicast address. */
static const char *
addr_problem(uint32_t addr_be)
{
	uint32_t a = ntohl(addr_be);

	if (a == 0)
		return "is the unspecified address";
	if (a == 0xffffffffu)
		return "is the limited broadcast address";
	if ((a >> 24) == 0)
		return "is in 0.0.0.0/8 (this network)";
	if ((a >> 24) == 127)
		return "is a loopback address";
	if ((a >> 28) == 0xf)
		return "is in the reserved range 240.0.0.0/4";
	return NULL;
}

const char *
cg_rule_dst_problem(uint32_t addr_be)
{
	/* 224.0.0.0/24 carries IGMP, OSPF, mDNS...: never data, never routed. */
	if ((ntohl(addr_be) & 0xffffff00u) == 0xe0000000u)
		return "is in 224.0.0.0/24 (link-local multicast control), which is never relayed";
	return addr_problem(addr_be);
}

const char *
cg_rule_src_problem(uint32_t addr_be)
{
	if (cg_rule_addr_is_multicast(addr_be))
		return "is a multicast address, not a unicast one";
	return addr_problem(addr_be);
}

const char *
cg_rule_onlink_problem(uint32_t dst_be, uint32_t port_be, uint8_t prefix_len)
{
	uint32_t mask = htonl(prefix_len > 0 && prefix_len <= 32 ? ~0u << (32 - prefix_len) : 0);

	if (port_be == 0 || (dst_be & mask) != (port_be & mask))
		return NULL;
	if (dst_be == port_be)
		return "own address";
	if (prefix_len <= 30 && dst_be == (port_be & mask))
		return "network address";
	if (prefix_len <= 30 && dst_be == (port_be | ~mask))
		return "broadcast address";
	return NULL;
}

const char *
cg_rule_ipv4_str(uint32_t addr_be, char *buf)
{
	struct in_addr a = { .s_addr = addr_be };

	if (inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN) == NULL)
		snprintf(buf, INET_ADDRSTRLEN, "?");
	return buf;
}

static void
mac_str(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Every check that needs no JSON: shared by cg_rule_from_json() and cg_rule_validate(). */
static int
check_rule(const struct vctx *c)
{
	const struct cg_rule *r = c->r;
	char a[INET_ADDRSTRLEN];
	const char *why;
	int i, j;

	if (!cg_rule_name_valid(r->name))
		return fail(c, AT_RULE, "name", "\"%.*s\" is not a valid name "
			    "(1..63 characters of A-Z a-z 0-9 _ . -)",
			    CG_RULE_NAME_SIZE, r->name);
	if (!cg_rule_port_name_valid(r->in.port))
		return fail(c, AT_INPUT, "port", "\"%.*s\" is not a valid port name",
			    CG_RULE_PORT_NAME_SIZE, r->in.port);
	why = cg_rule_dst_problem(r->in.dst);
	if (why != NULL)
		return fail(c, AT_INPUT, "destination", "%s %s", cg_rule_ipv4_str(r->in.dst, a), why);
	if (r->in.dport == 0)
		return fail(c, AT_INPUT, "dport", "0 is out of range 1..65535");
	if (r->in.src != 0 && (why = cg_rule_src_problem(r->in.src)) != NULL)
		return fail(c, AT_INPUT, "source", "%s %s", cg_rule_ipv4_str(r->in.src, a), why);

	/* A struct from elsewhere (state file, rte_mp) may hold any value. */
	if (r->silence_ms > CG_RULE_SILENCE_MAX_MS && r->silence_ms != CG_RULE_SILENCE_OFF)
		return fail(c, AT_RULE, "silence_ms", "%u is out of range 0..%d", r->silence_ms,
			    CG_RULE_SILENCE_MAX_MS);
	if (r->n_outputs < 1 || r->n_outputs > CG_RULE_MAX_OUTPUTS)
		return fail(c, AT_RULE, "output", "expected 1..%d outputs, got %u",
			    CG_RULE_MAX_OUTPUTS, r->n_outputs);

	for (i = 0; i < r->n_outputs; i++) {
		const struct cg_rule_output *o = &r->out[i];

		if (!cg_rule_port_name_valid(o->port))
			return fail(c, i, "port", "\"%.*s\" is not a valid port name",
				    CG_RULE_PORT_NAME_SIZE, o->port);
		why = cg_rule_dst_problem(o->dst);
		if (why != NULL)
			return fail(c, i, "destination", "%s %s", cg_rule_ipv4_str(o->dst, a), why);
		if (o->dport == 0)
			return fail(c, i, "dport", "0 is out of range 1..65535");
		if (o->ttl == 0)
			return fail(c, i, "ttl", "0 is out of range 1..255");
		if (o->src != 0 && (why = cg_rule_src_problem(o->src)) != NULL)
			return fail(c, i, "source", "%s %s", cg_rule_ipv4_str(o->src, a), why);
		if (o->has_next_hop_mac) {
			if (cg_rule_addr_is_multicast(o->dst))
				return fail(c, i, "next_hop_mac", "only allowed for a unicast "
					    "destination (%s is a multicast group)",
					    cg_rule_ipv4_str(o->dst, a));
			why = mac_problem(o->next_hop_mac);
			if (why != NULL) {
				char m[18];

				mac_str(o->next_hop_mac, m);
				return fail(c, i, "next_hop_mac", "%s %s", m, why);
			}
		}
		/* Re-emitting into our own match would loop frames through the relay. */
		if (strcmp(o->port, r->in.port) == 0 && o->dst == r->in.dst &&
		    o->dport == r->in.dport && (r->in.src == 0 || o->src == r->in.src))
			return fail(c, i, NULL, "would be matched again by the rule's own input "
				    "(a forwarding loop)");
		for (j = 0; j < i; j++) {
			const struct cg_rule_output *p = &r->out[j];

			if (strcmp(o->port, p->port) == 0 && o->dst == p->dst &&
			    o->dport == p->dport)
				return fail(c, i, NULL, "same port, destination and dport as "
					    "output[%d]", j);
		}
	}
	return 0;
}

int
cg_rule_validate(const struct cg_rule *r, char *err, size_t errlen)
{
	struct vctx c = { .r = r, .err = err, .errlen = errlen };

	if (r == NULL) {
		snprintf(err, errlen, "rule: missing");
		return -EINVAL;
	}
	/* Names must be terminated inside their arrays before anything prints them. */
	if (memchr(r->name, '\0', sizeof(r->name)) == NULL) {
		snprintf(err, errlen, "rule: name: longer than %d characters",
			 CG_RULE_NAME_SIZE - 1);
		return -EINVAL;
	}
	if (memchr(r->in.port, '\0', sizeof(r->in.port)) == NULL)
		return fail(&c, AT_INPUT, "port", "longer than %d characters",
			    CG_RULE_PORT_NAME_SIZE - 1);
	for (int i = 0; i < r->n_outputs && i < CG_RULE_MAX_OUTPUTS; i++)
		if (memchr(r->out[i].port, '\0', sizeof(r->out[i].port)) == NULL)
			return fail(&c, i, "port", "longer than %d characters",
				    CG_RULE_PORT_NAME_SIZE - 1);
	return check_rule(&c);
}

/*
 * JSON input
 */

/* Read a port name: string, valid syntax. */
static int
get_port_name(json_object *t, const char *tpath, const char *key, char out[CG_RULE_PORT_NAME_SIZE],
	      char *err, size_t errlen)
{
	char path[PATH_SIZE];
	const char *s;
	json_object *v;
	int ret;

	ret = cg_toml_get_string(t, tpath, key, true, &s, err, errlen);
	if (ret < 0)
		return ret;
	if (!cg_rule_port_name_valid(s)) {
		json_object_object_get_ex(t, key, &v);
		return cg_toml_errorf(err, errlen, cg_toml_path(path, sizeof(path), tpath, key), v,
				      "\"%s\" is not a valid port name "
				      "(1..31 characters of A-Z a-z 0-9 _ . -)", s);
	}
	snprintf(out, CG_RULE_PORT_NAME_SIZE, "%s", s);
	return 0;
}

/*
 * Read an IPv4 address. @src_hint: for source keys, 0.0.0.0 and other
 * non-unicast values are rejected here with a hint, since 0 means "absent"
 * in the struct and check_rule() cannot tell them apart.
 * @return 0, -ENOENT (absent, optional) or -EINVAL.
 */
static int
get_addr(json_object *t, const char *tpath, const char *key, bool required, uint32_t *out,
	 const char *src_hint, char *err, size_t errlen)
{
	char path[PATH_SIZE];
	const char *s, *why;
	json_object *v;
	uint32_t a;
	int ret;

	ret = cg_toml_get_string(t, tpath, key, required, &s, err, errlen);
	if (ret < 0)
		return ret;
	json_object_object_get_ex(t, key, &v);
	cg_toml_path(path, sizeof(path), tpath, key);
	if (cg_rule_parse_ipv4(s, &a) < 0)
		return cg_toml_errorf(err, errlen, path, v, "\"%s\" is not an IPv4 address", s);
	if (src_hint != NULL && (why = cg_rule_src_problem(a)) != NULL)
		return cg_toml_errorf(err, errlen, path, v, "%s %s; %s", s, why, src_hint);
	*out = a;
	return 0;
}

static int
get_u16(json_object *t, const char *tpath, const char *key, bool required, int64_t min,
	int64_t max, uint16_t *out, char *err, size_t errlen)
{
	int64_t v;
	int ret;

	ret = cg_toml_get_int(t, tpath, key, required, min, max, &v, err, errlen);
	if (ret == 0)
		*out = (uint16_t)v;
	return ret;
}

static int
table_at(json_object *arr, size_t i, const char *path, json_object **out, char *err, size_t errlen)
{
	json_object *e = json_object_array_get_idx(arr, i);

	if (!json_object_is_type(e, json_type_object))
		return cg_toml_errorf(err, errlen, path, e ? e : arr, "expected a table, got %s",
				      cg_toml_type_name(e));
	*out = e;
	return 0;
}

static int
output_from_json(json_object *t, const char *tpath, struct cg_rule_output *o, char *err,
		 size_t errlen)
{
	static const char *const keys[] = {
		"port", "destination", "dport", "sport", "ttl", "source", "next_hop_mac", NULL,
	};
	char path[PATH_SIZE];
	const char *s;
	json_object *v;
	int ret;

	ret = cg_toml_check_keys(t, tpath, keys, err, errlen);
	if (ret < 0)
		return ret;
	o->port_id = CG_RULE_PORT_ID_NONE;
	o->ttl = CG_RULE_DEFAULT_TTL;
	if ((ret = get_port_name(t, tpath, "port", o->port, err, errlen)) < 0)
		return ret;
	if ((ret = get_addr(t, tpath, "destination", true, &o->dst, NULL, err, errlen)) < 0)
		return ret;
	if ((ret = get_u16(t, tpath, "dport", true, 1, 65535, &o->dport, err, errlen)) < 0)
		return ret;
	if ((ret = get_u16(t, tpath, "sport", false, 1, 65535, &o->sport, err, errlen)) == -EINVAL)
		return ret;
	{
		int64_t ttl;

		ret = cg_toml_get_int(t, tpath, "ttl", false, 1, 255, &ttl, err, errlen);
		if (ret == -EINVAL)
			return ret;
		if (ret == 0)
			o->ttl = (uint8_t)ttl;
	}
	ret = get_addr(t, tpath, "source", false, &o->src,
		       "leave source out to use the output port's address", err, errlen);
	if (ret == -EINVAL)
		return ret;
	ret = cg_toml_get_string(t, tpath, "next_hop_mac", false, &s, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0) {
		if (cg_rule_parse_mac(s, o->next_hop_mac) < 0) {
			json_object_object_get_ex(t, "next_hop_mac", &v);
			return cg_toml_errorf(err, errlen,
					      cg_toml_path(path, sizeof(path), tpath, "next_hop_mac"),
					      v, "\"%s\" is not a MAC address (aa:bb:cc:dd:ee:ff)", s);
		}
		o->has_next_hop_mac = 1;
	}
	return 0;
}

static int
rule_from_json(json_object *o, const char *path, struct cg_rule *r, char *err, size_t errlen)
{
	static const char *const rule_keys[] = {
		"name", "id", "input", "output", "rtp", "silence_ms", NULL,
	};
	static const char *const input_keys[] = {
		"port", "destination", "dport", "source", "min_ttl", NULL,
	};
	struct vctx c = { .r = r, .err = err, .errlen = errlen };
	char ipath[PATH_SIZE], opath[PATH_SIZE], epath[PATH_SIZE];
	json_object *in, *outs, *v;
	const char *s;
	int64_t id;
	bool b;
	size_t i, n;
	int ret;

	if (path == NULL)
		path = "";
	memset(r, 0, sizeof(*r));
	r->in.port_id = CG_RULE_PORT_ID_NONE;
	if (!json_object_is_type(o, json_type_object))
		return cg_toml_errorf(err, errlen, path[0] ? path : "rule", o,
				      "expected a table, got %s", cg_toml_type_name(o));
	ret = cg_toml_check_keys(o, path, rule_keys, err, errlen);
	if (ret < 0)
		return ret;

	ret = cg_toml_get_string(o, path, "name", true, &s, err, errlen);
	if (ret < 0)
		return ret;
	if (!cg_rule_name_valid(s)) {
		json_object_object_get_ex(o, "name", &v);
		return cg_toml_errorf(err, errlen, cg_toml_path(epath, sizeof(epath), path, "name"),
				      v, "\"%s\" is not a valid name "
				      "(1..63 characters of A-Z a-z 0-9 _ . -)", s);
	}
	snprintf(r->name, sizeof(r->name), "%s", s);
	ret = cg_toml_get_int(o, path, "id", false, 1, UINT32_MAX, &id, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0)
		r->id = (uint32_t)id;
	ret = cg_toml_get_bool(o, path, "rtp", false, &b, err, errlen);
	if (ret == -EINVAL)
		return ret;
	r->rtp = ret == 0 && b;
	/* 0 turns the alarm off for this rule; absent takes [control] silence_ms. */
	ret = cg_toml_get_int(o, path, "silence_ms", false, 0, CG_RULE_SILENCE_MAX_MS, &id, err,
			      errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0)
		r->silence_ms = id == 0 ? CG_RULE_SILENCE_OFF : (uint32_t)id;

	cg_toml_path(ipath, sizeof(ipath), path, "input");
	if ((ret = cg_toml_get_table(o, path, "input", true, &in, err, errlen)) < 0)
		return ret;
	if ((ret = cg_toml_check_keys(in, ipath, input_keys, err, errlen)) < 0)
		return ret;
	if ((ret = get_port_name(in, ipath, "port", r->in.port, err, errlen)) < 0)
		return ret;
	if ((ret = get_addr(in, ipath, "destination", true, &r->in.dst, NULL, err, errlen)) < 0)
		return ret;
	if ((ret = get_u16(in, ipath, "dport", true, 1, 65535, &r->in.dport, err, errlen)) < 0)
		return ret;
	ret = get_addr(in, ipath, "source", false, &r->in.src,
		       "leave source out to match any source", err, errlen);
	if (ret == -EINVAL)
		return ret;
	/* The default is stored as 0: absent and "min_ttl = 2" are one rule. */
	ret = cg_toml_get_int(in, ipath, "min_ttl", false, 1, 255, &id, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0 && id != CG_RULE_DEFAULT_MIN_TTL)
		r->min_ttl = (uint8_t)id;

	cg_toml_path(opath, sizeof(opath), path, "output");
	if ((ret = cg_toml_get_array(o, path, "output", true, &outs, err, errlen)) < 0)
		return ret;
	n = json_object_array_length(outs);
	if (n < 1 || n > CG_RULE_MAX_OUTPUTS)
		return cg_toml_errorf(err, errlen, opath, outs, "expected 1..%d outputs, got %zu",
				      CG_RULE_MAX_OUTPUTS, n);
	c.base = path;
	c.rule = o;
	c.in = in;
	for (i = 0; i < n; i++) {
		cg_toml_path_index(epath, sizeof(epath), opath, i);
		if ((ret = table_at(outs, i, epath, &c.out[i], err, errlen)) < 0)
			return ret;
		if ((ret = output_from_json(c.out[i], epath, &r->out[i], err, errlen)) < 0)
			return ret;
	}
	r->n_outputs = (uint16_t)n;
	return check_rule(&c);
}

int
cg_rule_from_json(json_object *o, const char *path, struct cg_rule *r, char *err, size_t errlen)
{
	int ret = rule_from_json(o, path, r, err, errlen);

	if (ret < 0)
		memset(r, 0, sizeof(*r));
	return ret;
}

/*
 * JSON output
 */

/* @val is read up to @max bytes: names in a struct cg_rule need not be terminated. */
static int
add_strn(json_object *o, const char *key, const char *val, size_t max)
{
	json_object *v = json_object_new_string_len(val, (int)strnlen(val, max));

	if (v == NULL || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int
add_str(json_object *o, const char *key, const char *val)
{
	json_object *v = json_object_new_string(val);

	if (v == NULL || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int
add_int(json_object *o, const char *key, int64_t val)
{
	json_object *v = json_object_new_int64(val);

	if (v == NULL || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int
add_obj(json_object *o, const char *key, json_object *v)
{
	if (v == NULL || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static json_object *
output_to_json(const struct cg_rule_output *o)
{
	json_object *j = json_object_new_object();
	char a[INET_ADDRSTRLEN], m[18];
	int ret = 0;

	if (j == NULL)
		return NULL;
	ret |= add_strn(j, "port", o->port, sizeof(o->port));
	ret |= add_str(j, "destination", cg_rule_ipv4_str(o->dst, a));
	ret |= add_int(j, "dport", o->dport);
	if (o->sport != 0)
		ret |= add_int(j, "sport", o->sport);
	ret |= add_int(j, "ttl", o->ttl);
	if (o->src != 0)
		ret |= add_str(j, "source", cg_rule_ipv4_str(o->src, a));
	if (o->has_next_hop_mac) {
		mac_str(o->next_hop_mac, m);
		ret |= add_str(j, "next_hop_mac", m);
	}
	if (ret != 0) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

json_object *
cg_rule_to_json(const struct cg_rule *r)
{
	json_object *j = json_object_new_object(), *in = NULL, *outs = NULL;
	char a[INET_ADDRSTRLEN];
	int ret = 0;
	uint16_t i;

	if (j == NULL)
		goto nomem;
	ret |= add_strn(j, "name", r->name, sizeof(r->name));
	if (r->id != 0)
		ret |= add_int(j, "id", r->id);
	if (r->rtp)
		ret |= add_obj(j, "rtp", json_object_new_boolean(1));
	if (r->silence_ms != 0)
		ret |= add_int(j, "silence_ms",
			       r->silence_ms == CG_RULE_SILENCE_OFF ? 0 : r->silence_ms);
	in = json_object_new_object();
	if (in == NULL)
		goto nomem;
	ret |= add_strn(in, "port", r->in.port, sizeof(r->in.port));
	ret |= add_str(in, "destination", cg_rule_ipv4_str(r->in.dst, a));
	ret |= add_int(in, "dport", r->in.dport);
	if (r->in.src != 0)
		ret |= add_str(in, "source", cg_rule_ipv4_str(r->in.src, a));
	if (r->min_ttl != 0 && r->min_ttl != CG_RULE_DEFAULT_MIN_TTL)
		ret |= add_int(in, "min_ttl", r->min_ttl);
	ret |= add_obj(j, "input", in);
	outs = json_object_new_array();
	if (outs == NULL)
		goto nomem;
	for (i = 0; i < r->n_outputs && i < CG_RULE_MAX_OUTPUTS; i++) {
		json_object *o = output_to_json(&r->out[i]);

		if (o == NULL || json_object_array_add(outs, o) < 0) {
			json_object_put(o);
			json_object_put(outs);
			goto nomem;
		}
	}
	ret |= add_obj(j, "output", outs);
	if (ret != 0)
		goto nomem;
	return j;
nomem:
	json_object_put(j);
	errno = ENOMEM;
	return NULL;
}

bool
cg_rule_equal(const struct cg_rule *a, const struct cg_rule *b)
{
	uint16_t i;

	if (strncmp(a->name, b->name, sizeof(a->name)) != 0 || a->id != b->id ||
	    a->n_outputs != b->n_outputs || a->rtp != b->rtp || a->silence_ms != b->silence_ms ||
	    cg_rule_min_ttl(a) != cg_rule_min_ttl(b) ||
	    strncmp(a->in.port, b->in.port, sizeof(a->in.port)) != 0 ||
	    a->in.dst != b->in.dst || a->in.src != b->in.src || a->in.dport != b->in.dport)
		return false;
	for (i = 0; i < a->n_outputs && i < CG_RULE_MAX_OUTPUTS; i++) {
		const struct cg_rule_output *x = &a->out[i], *y = &b->out[i];

		if (strncmp(x->port, y->port, sizeof(x->port)) != 0 || x->dst != y->dst ||
		    x->src != y->src || x->dport != y->dport || x->sport != y->sport ||
		    x->ttl != y->ttl || x->has_next_hop_mac != y->has_next_hop_mac ||
		    (x->has_next_hop_mac &&
		     memcmp(x->next_hop_mac, y->next_hop_mac, sizeof(x->next_hop_mac)) != 0))
			return false;
	}
	return true;
}

struct cg_rule_key
cg_rule_key_from_rule(const struct cg_rule *r)
{
	return cg_rule_key_make(r->in.port_id, r->in.dst, htons(r->in.dport), r->in.src);
}

static int
resolve_one(const struct cg_rule *r, const char *field, const char *name, uint16_t *id,
	    cg_rule_port_lookup_t lookup, void *arg, char *err, size_t errlen)
{
	int ret = lookup(arg, name);

	if (ret >= 0 && ret >= CG_RULE_PORT_ID_NONE)
		ret = -ERANGE;
	if (ret == -ENOENT) {
		snprintf(err, errlen, "rule \"%s\": %s: no port named \"%s\"", r->name, field, name);
		return ret;
	}
	if (ret < 0) {
		snprintf(err, errlen, "rule \"%s\": %s: cannot resolve port \"%s\": %s",
			 r->name, field, name, strerror(-ret));
		return ret;
	}
	*id = (uint16_t)ret;
	return 0;
}

int
cg_rule_check_outputs(const struct cg_rule *r, unsigned int max_outputs, char *err, size_t errlen)
{
	if (r->n_outputs <= max_outputs)
		return 0;
	snprintf(err, errlen, "rule \"%s\": output: %u outputs, more than a rule slot holds "
		 "([dataplane] max_outputs = %u)", r->name, r->n_outputs, max_outputs);
	return -EINVAL;
}

int
cg_rule_resolve_ports(struct cg_rule *r, cg_rule_port_lookup_t lookup, void *arg, char *err,
		      size_t errlen)
{
	uint16_t ids[1 + CG_RULE_MAX_OUTPUTS];
	char field[32];
	uint16_t i;
	int ret;

	/* Resolve into a scratch array so that a failure leaves the rule untouched. */
	ret = resolve_one(r, "input.port", r->in.port, &ids[0], lookup, arg, err, errlen);
	if (ret < 0)
		return ret;
	for (i = 0; i < r->n_outputs && i < CG_RULE_MAX_OUTPUTS; i++) {
		snprintf(field, sizeof(field), "output[%u].port", i);
		ret = resolve_one(r, field, r->out[i].port, &ids[1 + i], lookup, arg, err, errlen);
		if (ret < 0)
			return ret;
	}
	r->in.port_id = ids[0];
	for (i = 0; i < r->n_outputs && i < CG_RULE_MAX_OUTPUTS; i++)
		r->out[i].port_id = ids[1 + i];
	return 0;
}

/*
 * Rule sets
 */

/*
 * A set keeps its rules in an array (insertion order, which the state file
 * and listings follow) and finds them by name, id and match through three
 * open-addressing hash tables of array index + 1 (0 = empty), so that adding
 * 10^5 rules is O(n), not O(n^2). A removal shifts the array and rebuilds the
 * tables: O(n), as the shift already is.
 */
enum { IX_NAME, IX_ID, IX_MATCH, IX_KINDS };

struct cg_rule_set {
	struct cg_rule *v;
	size_t n, cap;
	uint32_t high;		/* highest id ever held */
	uint32_t *ix[IX_KINDS];	/* ix_size entries each */
	size_t ix_size;		/* a power of two > 2 n, or 0 */
};

uint32_t
cg_rule_hash_mix(uint32_t h)
{
	/* A 32-bit finalizer (xorshift-multiply): spreads ids and addresses. */
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h;
}

static uint32_t
hash_str(const char *p, size_t max, uint32_t h)
{
	for (size_t i = 0; i < max && p[i] != '\0'; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;	/* FNV-1a */
	return h;
}

uint32_t
cg_rule_hash_name(const char *name)
{
	return cg_rule_hash_mix(hash_str(name, CG_RULE_NAME_SIZE, 2166136261u));
}

static uint32_t
rule_hash(const struct cg_rule *r, int kind)
{
	switch (kind) {
	case IX_NAME: return cg_rule_hash_name(r->name);
	case IX_ID: return cg_rule_hash_mix(r->id);
	default:
		/* Ports by name: a set's rules may not be resolved yet. */
		return cg_rule_hash_mix(hash_str(r->in.port, sizeof(r->in.port), r->in.dst ^
			     cg_rule_hash_mix(r->in.src ^ cg_rule_hash_mix(r->in.dport))));
	}
}

static bool
same_match(const struct cg_rule *a, const struct cg_rule *b)
{
	return strcmp(a->in.port, b->in.port) == 0 && a->in.dst == b->in.dst &&
	       a->in.dport == b->in.dport && a->in.src == b->in.src;
}

static bool
rule_eq(const struct cg_rule *a, const struct cg_rule *b, int kind)
{
	switch (kind) {
	case IX_NAME: return strcmp(a->name, b->name) == 0;
	case IX_ID: return a->id == b->id;
	default: return same_match(a, b);
	}
}

static void
ix_put(struct cg_rule_set *s, size_t i)
{
	size_t mask = s->ix_size - 1;

	for (int k = 0; k < IX_KINDS; k++) {
		size_t j = rule_hash(&s->v[i], k) & mask;

		while (s->ix[k][j] != 0)
			j = (j + 1) & mask;
		s->ix[k][j] = (uint32_t)i + 1;
	}
}

/* (Re)build the tables for at least @p want rules; -ENOMEM keeps the old ones. */
static int
ix_rebuild(struct cg_rule_set *s, size_t want)
{
	size_t size = 16;
	uint32_t *t[IX_KINDS];

	while (size < 2 * want + 2)
		size *= 2;
	for (int k = 0; k < IX_KINDS; k++) {
		t[k] = size == s->ix_size ? s->ix[k] : calloc(size, sizeof(uint32_t));
		if (t[k] == NULL) {
			while (k-- > 0)
				if (t[k] != s->ix[k])
					free(t[k]);
			return -ENOMEM;
		}
	}
	for (int k = 0; k < IX_KINDS; k++) {
		if (t[k] == s->ix[k]) {
			memset(t[k], 0, size * sizeof(uint32_t));
		} else {
			free(s->ix[k]);
			s->ix[k] = t[k];
		}
	}
	s->ix_size = size;
	for (size_t i = 0; i < s->n; i++)
		ix_put(s, i);
	return 0;
}

/* The rule equal to @p r in table @p kind, or NULL. */
static const struct cg_rule *
ix_find(const struct cg_rule_set *s, const struct cg_rule *r, int kind)
{
	size_t mask = s->ix_size - 1, j;

	if (s->ix_size == 0)
		return NULL;
	for (j = rule_hash(r, kind) & mask; s->ix[kind][j] != 0; j = (j + 1) & mask) {
		const struct cg_rule *o = &s->v[s->ix[kind][j] - 1];

		if (rule_eq(o, r, kind))
			return o;
	}
	return NULL;
}

struct cg_rule_set *
cg_rule_set_new(void)
{
	return calloc(1, sizeof(struct cg_rule_set));
}

int
cg_rule_set_reserve(struct cg_rule_set *s, size_t n)
{
	struct cg_rule *v;

	if (n <= s->cap)
		return 0;
	v = reallocarray(s->v, n, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	s->v = v;
	s->cap = n;
	return 2 * n + 2 > s->ix_size ? ix_rebuild(s, n) : 0;
}

struct cg_rule_set *
cg_rule_set_clone(const struct cg_rule_set *s, size_t extra)
{
	struct cg_rule_set *n = cg_rule_set_new();

	if (n == NULL)
		return NULL;
	/* One copy of the array and of the tables: no rule is hashed again. */
	n->cap = s->n + extra ? s->n + extra : 1;
	n->v = malloc(n->cap * sizeof(*n->v));
	if (n->v == NULL)
		goto fail;
	if (s->n > 0)	/* an empty set may have no array at all */
		memcpy(n->v, s->v, s->n * sizeof(*n->v));
	n->n = s->n;
	n->high = s->high;
	if (s->ix_size >= 2 * n->cap + 2) {
		for (int k = 0; k < IX_KINDS; k++) {
			n->ix[k] = malloc(s->ix_size * sizeof(uint32_t));
			if (n->ix[k] == NULL)
				goto fail;
			memcpy(n->ix[k], s->ix[k], s->ix_size * sizeof(uint32_t));
		}
		n->ix_size = s->ix_size;
	} else if (ix_rebuild(n, n->cap) < 0) {
		goto fail;
	}
	return n;
fail:
	cg_rule_set_free(n);
	return NULL;
}

void
cg_rule_set_free(struct cg_rule_set *s)
{
	if (s == NULL)
		return;
	for (int k = 0; k < IX_KINDS; k++)
		free(s->ix[k]);
	free(s->v);
	free(s);
}

enum cg_rule_conflict
cg_rule_set_check(const struct cg_rule_set *s, const struct cg_rule *r,
		  const struct cg_rule **other)
{
	enum cg_rule_conflict what = CG_RULE_CONFLICT_NONE;
	const struct cg_rule *o;

	if ((o = ix_find(s, r, IX_NAME)) != NULL)
		what = CG_RULE_CONFLICT_NAME;
	else if (r->id != 0 && (o = ix_find(s, r, IX_ID)) != NULL)
		what = CG_RULE_CONFLICT_ID;
	else if ((o = ix_find(s, r, IX_MATCH)) != NULL)
		what = CG_RULE_CONFLICT_MATCH;
	if (other != NULL)
		*other = o;
	return what;
}

uint32_t
cg_rule_set_next_id(const struct cg_rule_set *s)
{
	uint32_t id;

	if (s->high < UINT32_MAX)
		return s->high + 1;
	/* Rare: ids ran out at the top; reuse the lowest free one. */
	for (id = 1; id != 0; id++)
		if (cg_rule_set_find_id(s, id) == NULL)
			return id;
	return 0;
}

int
cg_rule_set_add(struct cg_rule_set *s, struct cg_rule *r, char *err, size_t errlen)
{
	const struct cg_rule *other;
	struct cg_rule copy;
	char a[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN + 8];
	int ret;

	ret = cg_rule_validate(r, err, errlen);
	if (ret < 0)
		return ret;
	copy = *r;
	if (copy.id == 0) {
		copy.id = cg_rule_set_next_id(s);
		if (copy.id == 0) {
			snprintf(err, errlen, "rule \"%s\": no free rule id", r->name);
			return -ENOSPC;
		}
	}
	switch (cg_rule_set_check(s, &copy, &other)) {
	case CG_RULE_CONFLICT_NONE:
		break;
	case CG_RULE_CONFLICT_NAME:
		snprintf(err, errlen, "rule \"%s\": name is already used by rule id %u",
			 r->name, other->id);
		return -EEXIST;
	case CG_RULE_CONFLICT_ID:
		snprintf(err, errlen, "rule \"%s\": id %u is already used by rule \"%s\"",
			 r->name, copy.id, other->name);
		return -EEXIST;
	case CG_RULE_CONFLICT_MATCH:
		if (copy.in.src != 0)
			snprintf(src, sizeof(src), "source %s", cg_rule_ipv4_str(copy.in.src, a));
		else
			snprintf(src, sizeof(src), "any source");
		snprintf(err, errlen, "rule \"%s\": same match (port %s, %s:%u, %s) as rule \"%s\"",
			 r->name, copy.in.port, cg_rule_ipv4_str(copy.in.dst, a), copy.in.dport, src,
			 other->name);
		return -EEXIST;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct cg_rule *v = reallocarray(s->v, cap, sizeof(*v));

		if (v == NULL) {
			snprintf(err, errlen, "rule \"%s\": out of memory", r->name);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	if (2 * (s->n + 1) + 2 > s->ix_size && ix_rebuild(s, s->cap) < 0) {
		snprintf(err, errlen, "rule \"%s\": out of memory", r->name);
		return -ENOMEM;
	}
	s->v[s->n++] = copy;
	ix_put(s, s->n - 1);
	if (copy.id > s->high)
		s->high = copy.id;
	r->id = copy.id;
	return 0;
}

int
cg_rule_set_remove(struct cg_rule_set *s, const char *name)
{
	size_t i;

	const struct cg_rule *r = cg_rule_set_find(s, name);

	if (r == NULL)
		return -ENOENT;
	i = (size_t)(r - s->v);
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(s->v[0]));
	s->n--;
	/* Indexes moved: rebuild in place (same size, cannot fail). */
	(void)ix_rebuild(s, s->ix_size / 2 - 1);
	return 0;
}

void
cg_rule_set_truncate(struct cg_rule_set *s, size_t n)
{
	if (n >= s->n)
		return;
	s->n = n;
	(void)ix_rebuild(s, s->ix_size / 2 - 1);	/* same size: in place */
}

const struct cg_rule *
cg_rule_set_find(const struct cg_rule_set *s, const char *name)
{
	struct cg_rule key;

	if (strlen(name) >= sizeof(key.name))
		return NULL;
	strcpy(key.name, name);
	return ix_find(s, &key, IX_NAME);
}

const struct cg_rule *
cg_rule_set_find_id(const struct cg_rule_set *s, uint32_t id)
{
	struct cg_rule key;

	key.id = id;
	return ix_find(s, &key, IX_ID);
}

size_t
cg_rule_set_count(const struct cg_rule_set *s)
{
	return s->n;
}

const struct cg_rule *
cg_rule_set_get(const struct cg_rule_set *s, size_t i)
{
	return i < s->n ? &s->v[i] : NULL;
}
