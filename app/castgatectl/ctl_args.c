/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command words -> rules: the one rule grammar of the command line and the
 * console (NAME --in ... --out ...), and the console's word splitting. Pure:
 * no I/O. The words become the rule's JSON, which lib/rule checks exactly as
 * the server does, so that a bad rule reads the same (the same message, the
 * same field: params.rule.output[1].ttl) whether the client or the server
 * caught it.
 */
#include <errno.h>
#include <limits.h>
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
	char *end;

	if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 10)
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end != '\0' || errno != 0 || *v < min || *v > max ? -EINVAL : 0;
}

/* A word as a JSON value: digits are a number, anything else a string (the
 * server's parser then names the field whose type or range is wrong). */
static json_object *
value(const char *s)
{
	unsigned long n;

	return ctl_parse_uint(s, 0, ULONG_MAX, &n) == 0 ? json_object_new_int64((int64_t)n) :
		json_object_new_string(s);
}

/* The comma form of --in or --out (@path: where it goes in params) as the
 * rule's JSON table: PORT,DST,DPORT by position, then KEY=VALUE (mac= and
 * src= are the short forms of next_hop_mac= and source=). The values are
 * checked by cg_rule_from_json(), as the server checks them. */
static json_object *
spec_json(const char *opt, const char *path, const char *spec, struct ctl_err *e)
{
	static const char *const pos[] = { "port", "destination", "dport" };
	json_object *t = json_object_new_object();
	char *buf = strdup(spec), *part = buf, *next, *eq;

	for (unsigned int i = 0; t != NULL && part != NULL; i++, part = next) {
		const char *key = i < 3 ? pos[i] : part;

		next = strchr(part, ',');
		if (next != NULL)
			*next++ = '\0';
		eq = strchr(part, '=');
		if (i >= 3 && eq == NULL) {
			ctl_err_set(e, path, "%s %s: \"%s\" is not KEY=VALUE", opt, spec, part);
		} else if (i >= 3) {
			*eq = '\0';
			key = strcmp(key, "mac") == 0 ? "next_hop_mac" :
				strcmp(key, "src") == 0 ? "source" : key;
			if (json_object_object_get_ex(t, key, NULL)) {
				ctl_err_set(e, NULL, "%s %s: %s given twice", opt, spec, key);
				snprintf(e->field, sizeof(e->field), "%s.%s", path, key);
			}
		}
		if (e->msg[0] != '\0') {
			json_object_put(t);
			t = NULL;
		} else {
			json_object_object_add(t, key, value(i < 3 ? part : eq + 1));
		}
	}
	free(buf);
	return t;
}

/* Check a rule's JSON as the server does; its message starts with the
 * path of the value to blame: `params.rule.output[0].ttl: ...`. */
static int
from_json(json_object *o, struct cg_rule *r, struct ctl_err *e)
{
	char msg[sizeof(e->msg)];
	int ret = cg_rule_from_json(o, "params.rule", r, msg, sizeof(msg));

	if (ret < 0) {
		ctl_err_set(e, NULL, "%s", msg);
		snprintf(e->field, sizeof(e->field), "%.*s", (int)strcspn(msg, ": ("), msg);
	}
	return ret;
}

int
ctl_rule_from_args(int argc, char *const *argv, struct cg_rule *r, struct ctl_err *e)
{
	json_object *o = json_object_new_object(), *outs = json_object_new_array(), *t;
	enum { IN, OUT, ID }; /* the options of the usage below */
	struct ctl_usage u;
	const char *val;
	char path[64];
	int ret = -EINVAL, k;

	memset(e, 0, sizeof(*e));
	ctl_usage_parse("--in IN --out OUT --id N", &u);
	json_object_object_add(o, "output", outs);
	for (int i = 0; i < argc && e->msg[0] == '\0'; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || a[1] == '\0') {
			if (json_object_object_get_ex(o, "name", NULL))
				ctl_err_set(e, NULL, "unexpected argument \"%s\" (one rule NAME "
					    "only)", a);
			else
				json_object_object_add(o, "name", json_object_new_string(a));
			continue;
		}
		k = ctl_usage_opt(&u, a, &val);
		if (k < 0) {
			ctl_err_set(e, NULL, "unknown option %s (rule add takes --in, --out, --id; "
				    "or --file alone)", a);
			break;
		}
		if (val == NULL && i + 1 < argc)
			val = argv[++i];
		if (val == NULL) {
			ctl_err_set(e, NULL, "%s needs a value", a);
			break;
		}
		if (k == ID) {
			json_object_object_add(o, "id", value(val));
		} else if (k == OUT) {
			snprintf(path, sizeof(path), "params.rule.output[%zu]",
				 json_object_array_length(outs));
			if ((t = spec_json("--out", path, val, e)) != NULL)
				json_object_array_add(outs, t);
		} else if (json_object_object_get_ex(o, "input", NULL)) {
			ctl_err_set(e, "params.rule.input",
				    "--in given twice (a rule has one input)");
		} else if ((t = spec_json("--in", "params.rule.input", val, e)) != NULL) {
			json_object_object_add(o, "input", t);
		}
	}
	if (e->msg[0] == '\0')
		ret = from_json(o, r, e);
	json_object_put(o);
	return ret;
}

int
ctl_rule_from_text(const char *text, struct cg_rule *r, struct ctl_err *e)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o, *in;
	enum json_tokener_error je;
	size_t end;
	int ret = -EINVAL;

	memset(e, 0, sizeof(*e));
	if (tok == NULL)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, text, (int)strlen(text));
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	end += strspn(text + end, " \t\r\n");
	if (o == NULL || je != json_tokener_success)
		ctl_err_set(e, "params.rule", "not valid JSON: %s at byte %zu",
			    je == json_tokener_continue ? "unexpected end of input" :
			    json_tokener_error_desc(je), end);
	else if (text[end] != '\0')
		ctl_err_set(e, "params.rule", "not valid JSON: extra text at byte %zu", end);
	/* {"rule": RULE, ...} is also what `castgatectl --json rule show` prints */
	else if (json_object_object_get_ex(o, "rule", &in) &&
		 json_object_is_type(in, json_type_object))
		ret = from_json(in, r, e);
	else
		ret = from_json(o, r, e);
	json_object_put(o);
	json_tokener_free(tok);
	return ret;
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
