/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command words -> rules: the one rule grammar of the command line and the
 * console (NAME --in ... --out ...), and the console's word splitting. Pure:
 * no I/O. Every error names the value to blame with the JSON-RPC path the
 * server would use (params.rule.output[1].ttl), so that a bad rule reads the
 * same whether the client or the server caught it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

void
ctl_err_set(struct ctl_err *e, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	snprintf(e->field, sizeof(e->field), "%s", field != NULL ? field : "");
}

int
ctl_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	unsigned long n = 0;
	const char *p;

	if (s == NULL || *s == '\0' || strlen(s) > 10)
		return -EINVAL;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n < min || n > max)
		return -EINVAL;
	*v = n;
	return 0;
}

/* Field setters of the --in / --out specs. @what is how the user wrote the value. */

/* A number in min..max into *dst, a field of the given size (1 or 2 bytes). */
static int
put_num(const char *field, const char *what, const char *val, unsigned long min,
	unsigned long max, void *dst, size_t size, struct ctl_err *e)
{
	unsigned long v;

	if (ctl_parse_uint(val, min, max, &v) < 0) {
		ctl_err_set(e, field, "%s: \"%s\" is not a number in %lu..%lu", what, val, min, max);
		return -EINVAL;
	}
	if (size == 1)
		*(uint8_t *)dst = (uint8_t)v;
	else
		*(uint16_t *)dst = (uint16_t)v;
	return 0;
}

/* dst_role: a destination (multicast group or unicast), else a source. */
static int
put_addr(const char *field, const char *what, const char *val, bool dst_role, uint32_t *dst,
	 struct ctl_err *e)
{
	const char *why;
	uint32_t a;

	if (cg_rule_parse_ipv4(val, &a) < 0) {
		ctl_err_set(e, field, "%s: \"%s\" is not an IPv4 address (a.b.c.d)", what, val);
		return -EINVAL;
	}
	why = dst_role ? cg_rule_dst_problem(a) : cg_rule_src_problem(a);
	if (why != NULL) {
		ctl_err_set(e, field, "%s: %s %s", what, val, why);
		return -EINVAL;
	}
	*dst = a;
	return 0;
}

static int
put_port_name(const char *field, const char *what, const char *val, char *dst,
	      struct ctl_err *e)
{
	if (!cg_rule_port_name_valid(val)) {
		ctl_err_set(e, field,
			    "%s: \"%s\" is not a port name (1..31 of A-Z a-z 0-9 _ . -)",
			    what, val);
		return -EINVAL;
	}
	snprintf(dst, CG_RULE_PORT_NAME_SIZE, "%s", val);
	return 0;
}

/* Name the input / output (or one key of it) as the field to blame. */
static void
spec_field(struct ctl_err *e, int out_idx, const char *key)
{
	if (out_idx < 0)
		snprintf(e->field, sizeof(e->field), "params.rule.input%s%s", key ? "." : "",
			 key ? key : "");
	else
		snprintf(e->field, sizeof(e->field), "params.rule.output[%d]%s%s", out_idx,
			 key ? "." : "", key ? key : "");
}

/* Set one key of the input (out_idx < 0) or of output out_idx. */
static int
spec_set(struct cg_rule *r, int out_idx, const char *key, const char *val, const char *what,
	 struct ctl_err *e)
{
	struct cg_rule_output *o = out_idx < 0 ? NULL : &r->out[out_idx];
	struct ctl_err f;

	/* the short forms users type for the rule's JSON keys */
	if (o != NULL && strcmp(key, "mac") == 0)
		key = "next_hop_mac";
	if (o != NULL && strcmp(key, "src") == 0)
		key = "source";
	spec_field(&f, out_idx, key);
	if (strcmp(key, "port") == 0)
		return put_port_name(f.field, what, val, o ? o->port : r->in.port, e);
	if (strcmp(key, "destination") == 0)
		return put_addr(f.field, what, val, true, o ? &o->dst : &r->in.dst, e);
	if (strcmp(key, "dport") == 0)
		return put_num(f.field, what, val, 1, 65535, o ? &o->dport : &r->in.dport, 2, e);
	if (strcmp(key, "source") == 0)
		return put_addr(f.field, what, val, false, o ? &o->src : &r->in.src, e);
	if (o != NULL && strcmp(key, "sport") == 0)
		return put_num(f.field, what, val, 1, 65535, &o->sport, 2, e);
	if (o != NULL && strcmp(key, "ttl") == 0)
		return put_num(f.field, what, val, 1, 255, &o->ttl, 1, e);
	if (o != NULL && strcmp(key, "next_hop_mac") == 0) {
		if (cg_rule_parse_mac(val, o->next_hop_mac) < 0) {
			ctl_err_set(e, f.field, "%s: \"%s\" is not a MAC address "
				    "(aa:bb:cc:dd:ee:ff)", what, val);
			return -EINVAL;
		}
		o->has_next_hop_mac = 1;
		return 0;
	}
	ctl_err_set(e, NULL, "%s: unknown key \"%s\" (%s)", what, key, o == NULL ?
		    "the input takes source=IP" : "an output takes ttl=, sport=, source=, mac=");
	spec_field(e, out_idx, NULL);
	return -EINVAL;
}

/*
 * The comma forms. Positional parts first, then key=value parts. The spec
 * is copied so that it can be cut in place.
 */
static int
parse_spec(const char *opt, const char *spec, struct cg_rule *r, int out_idx, struct ctl_err *e)
{
	/* the positional parts, as the rule's JSON names them */
	static const char *const pos[] = { "port", "destination", "dport" };
	const unsigned int npos = 3;
	const char *expect = out_idx < 0 ? "PORT,GROUP,DPORT[,source=IP]" :
		"PORT,DST,DPORT[,ttl=N][,sport=N][,source=IP][,mac=MAC]";
	char buf[512], what[600], *save = NULL, *part;
	unsigned int n = 0;
	int ret;

	if (strlen(spec) >= sizeof(buf)) {
		ctl_err_set(e, out_idx < 0 ? "params.rule.input" : "params.rule.output",
			    "%s: too long", opt);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	/* strtok_r would merge ",," and hide a missing part: cut by hand. */
	part = buf;
	for (;;) {
		char *comma = strchr(part, ',');
		char *eq;

		if (comma != NULL)
			*comma = '\0';
		save = comma != NULL ? comma + 1 : NULL;
		eq = strchr(part, '=');
		if (n < npos) {
			snprintf(what, sizeof(what), "%s %s: %s", opt, spec, pos[n]);
			if (eq != NULL || *part == '\0') {
				ctl_err_set(e, NULL, "%s: missing (expected %s)", what, expect);
				spec_field(e, out_idx, pos[n]);
				return -EINVAL;
			}
			ret = spec_set(r, out_idx, pos[n], part, what, e);
		} else {
			if (eq == NULL || eq == part) {
				snprintf(what, sizeof(what), "%s %s", opt, spec);
				ctl_err_set(e, NULL, "%s: \"%s\" is not KEY=VALUE", what, part);
				spec_field(e, out_idx, NULL);
				return -EINVAL;
			}
			*eq = '\0';
			snprintf(what, sizeof(what), "%s %s: %s", opt, spec, part);
			for (unsigned int k = 0; k < npos; k++) {
				if (strcmp(part, pos[k]) == 0) {
					ctl_err_set(e, NULL, "%s: the %s is given by position, "
						    "not as a key (expected %s)", what, part,
						    expect);
					spec_field(e, out_idx, part);
					return -EINVAL;
				}
			}
			ret = spec_set(r, out_idx, part, eq + 1, what, e);
		}
		if (ret < 0)
			return ret;
		n++;
		if (save == NULL)
			break;
		part = save;
	}
	if (n < npos) {
		snprintf(what, sizeof(what), "%s %s", opt, spec);
		ctl_err_set(e, NULL, "%s: %s missing (expected %s)", what, pos[n], expect);
		spec_field(e, out_idx, pos[n]);
		return -EINVAL;
	}
	return 0;
}

int
ctl_parse_in(const char *spec, struct cg_rule *r, struct ctl_err *e)
{
	r->in.src = 0;
	r->in.port_id = CG_RULE_PORT_ID_NONE;
	return parse_spec("--in", spec, r, -1, e);
}

int
ctl_parse_out(const char *spec, struct cg_rule *r, struct ctl_err *e)
{
	int ret;

	if (r->n_outputs >= CG_RULE_MAX_OUTPUTS) {
		ctl_err_set(e, NULL, "--out: a rule has at most %d outputs", CG_RULE_MAX_OUTPUTS);
		spec_field(e, (int)r->n_outputs, NULL);
		return -EINVAL;
	}
	memset(&r->out[r->n_outputs], 0, sizeof(r->out[0]));
	r->out[r->n_outputs].ttl = CG_RULE_DEFAULT_TTL;
	r->out[r->n_outputs].port_id = CG_RULE_PORT_ID_NONE;
	ret = parse_spec("--out", spec, r, (int)r->n_outputs, e);
	if (ret < 0)
		return ret;
	r->n_outputs++;
	return 0;
}

static int
set_name(struct cg_rule *r, const char *name, struct ctl_err *e)
{
	if (!cg_rule_name_valid(name)) {
		ctl_err_set(e, "params.rule.name",
			    "rule name \"%s\" is invalid (1..63 of A-Z a-z 0-9 _ . -)", name);
		return -EINVAL;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	return 0;
}

static int
set_id(struct cg_rule *r, const char *val, struct ctl_err *e)
{
	unsigned long v;

	if (ctl_parse_uint(val, 1, UINT32_MAX, &v) < 0) {
		ctl_err_set(e, "params.rule.id", "id: \"%s\" is not a number in 1..%u", val,
			    UINT32_MAX);
		return -EINVAL;
	}
	r->id = (uint32_t)v;
	return 0;
}

/* cg_rule_validate() says `rule "x": output[1].ttl: ...`: recover the path. */
static int
validate(struct cg_rule *r, struct ctl_err *e)
{
	char msg[512];
	const char *p, *end;

	if (cg_rule_validate(r, msg, sizeof(msg)) == 0)
		return 0;
	ctl_err_set(e, "params.rule", "%s", msg);
	p = strstr(msg, "\": ");
	if (p != NULL) {
		p += 3;
		end = strstr(p, ": ");
		if (end != NULL && strspn(p, "abcdefghijklmnopqrstuvwxyz_[]0123456789.") ==
		    (size_t)(end - p) && end > p)
			snprintf(e->field, sizeof(e->field), "params.rule.%.*s", (int)(end - p), p);
	}
	return -EINVAL;
}

static void
rule_init(struct cg_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->in.port_id = CG_RULE_PORT_ID_NONE;
}

int
ctl_rule_from_args(int argc, char *const *argv, struct cg_rule *r, struct ctl_err *e)
{
	const char *name = NULL;
	bool have_in = false;
	int i, ret;

	rule_init(r);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		size_t optlen = 0;

		if (a[0] == '-' && a[1] == '-') {
			const char *eq = strchr(a, '=');

			optlen = eq != NULL ? (size_t)(eq - a) : strlen(a);
			if (eq != NULL)
				val = eq + 1;
		}
#define IS_OPT(o) (optlen == strlen(o) && strncmp(a, o, optlen) == 0)
		if (IS_OPT("--in") || IS_OPT("--out") || IS_OPT("--id")) {
			if (val == NULL) {
				if (i + 1 >= argc) {
					ctl_err_set(e, NULL, "%.*s needs a value", (int)optlen, a);
					return -EINVAL;
				}
				val = argv[++i];
			}
			if (IS_OPT("--in")) {
				if (have_in) {
					ctl_err_set(e, "params.rule.input",
						    "--in given twice (a rule has one input)");
					return -EINVAL;
				}
				have_in = true;
				ret = ctl_parse_in(val, r, e);
			} else if (IS_OPT("--out")) {
				ret = ctl_parse_out(val, r, e);
			} else {
				ret = set_id(r, val, e);
			}
			if (ret < 0)
				return ret;
		} else if (a[0] == '-' && a[1] != '\0') {
			ctl_err_set(e, NULL, "unknown option %s (rule add takes --in, --out, --id)",
				    a);
			return -EINVAL;
		} else if (name == NULL) {
			name = a;
			ret = set_name(r, a, e);
			if (ret < 0)
				return ret;
		} else {
			ctl_err_set(e, NULL, "unexpected argument \"%s\" (one rule NAME only)", a);
			return -EINVAL;
		}
#undef IS_OPT
	}
	if (name == NULL) {
		ctl_err_set(e, "params.rule.name", "the rule NAME is missing");
		return -EINVAL;
	}
	if (!have_in) {
		ctl_err_set(e, "params.rule.input",
			    "--in PORT,GROUP,DPORT is missing: what should rule %s match?", name);
		return -EINVAL;
	}
	if (r->n_outputs == 0) {
		ctl_err_set(e, "params.rule.output",
			    "--out PORT,DST,DPORT is missing: rule %s needs at least one output",
			    name);
		return -EINVAL;
	}
	return validate(r, e);
}

int
ctl_rule_from_text(const char *text, struct cg_rule *r, struct ctl_err *e)
{
	struct json_tokener *tok;
	json_object *o, *inner;
	char msg[512];
	int ret;

	rule_init(r);
	tok = json_tokener_new();
	if (tok == NULL) {
		ctl_err_set(e, NULL, "out of memory");
		return -ENOMEM;
	}
	o = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		ctl_err_set(e, "params.rule", "not valid JSON: %s at byte %zu",
			    je == json_tokener_continue ? "unexpected end of input" :
			    json_tokener_error_desc(je), json_tokener_get_parse_end(tok));
		json_object_put(o);
		json_tokener_free(tok);
		return -EINVAL;
	}
	/* Nothing but blanks may follow the value. */
	for (size_t k = json_tokener_get_parse_end(tok); text[k] != '\0'; k++) {
		if (text[k] != ' ' && text[k] != '\t' && text[k] != '\n' && text[k] != '\r') {
			ctl_err_set(e, "params.rule", "not valid JSON: extra text at byte %zu", k);
			json_object_put(o);
			json_tokener_free(tok);
			return -EINVAL;
		}
	}
	json_tokener_free(tok);
	/* {"rule": RULE, ...}: also what `castgatectl --json rule show` prints
	 * (its origin and stats are ignored) */
	if (json_object_object_get_ex(o, "rule", &inner) &&
	    json_object_is_type(inner, json_type_object))
		ret = cg_rule_from_json(inner, "params.rule", r, msg, sizeof(msg));
	else
		ret = cg_rule_from_json(o, "params.rule", r, msg, sizeof(msg));
	json_object_put(o);
	if (ret < 0) {
		const char *colon = strstr(msg, ": ");
		const char *paren = strstr(msg, " (line");
		const char *end = colon;

		ctl_err_set(e, NULL, "%s", msg);
		/* message: `params.rule.output[0].ttl (line 3): ...` */
		if (paren != NULL && (end == NULL || paren < end))
			end = paren;
		if (strncmp(msg, "params.rule", 11) == 0 && end != NULL)
			snprintf(e->field, sizeof(e->field), "%.*s", (int)(end - msg), msg);
		return -EINVAL;
	}
	return 0;
}

json_object *
ctl_rule_params(const struct cg_rule *r)
{
	json_object *p = json_object_new_object(), *rj = cg_rule_to_json(r);

	if (p == NULL || rj == NULL || json_object_object_add(p, "rule", rj) < 0) {
		json_object_put(p);
		json_object_put(rj);
		return NULL;
	}
	return p;
}

int
ctl_split(const char *line, char ***argvp, struct ctl_err *e)
{
	size_t len = strlen(line), max = len / 2 + 2;
	char **argv, *buf, *w;
	const char *p = line;
	int argc = 0;

	/* One block: the pointer array, then the words (never longer than the line). */
	argv = malloc(max * sizeof(char *) + len + 1);
	if (argv == NULL) {
		ctl_err_set(e, NULL, "out of memory");
		return -ENOMEM;
	}
	buf = (char *)(argv + max);
	w = buf;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		argv[argc++] = w;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;

				while (*p != '\0' && *p != q)
					*w++ = *p++;
				if (*p != q) {
					ctl_err_set(e, NULL, "unterminated %c quote", q);
					free(argv);
					return -EINVAL;
				}
				p++;
			} else if (*p == '\\' && p[1] != '\0') {
				p++;
				*w++ = *p++;
			} else {
				*w++ = *p++;
			}
		}
		*w++ = '\0';
	}
	argv[argc] = NULL;
	*argvp = argv;
	return argc;
}
