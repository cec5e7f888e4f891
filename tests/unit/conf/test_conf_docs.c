/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config docs against lib/conf's key tables (cg_conf_schema()):
 * docs/CONFIG.md, docs/man/castgate.toml.5 and config/castgate.toml.example
 * must name every key of every section, and no other, with the table's type,
 * default and range. The prose around them stays hand-written; this test
 * fails when a key is added, removed or changed in one place and not in the
 * others, and says what the docs should read.
 *
 * What each file must hold, per key of a section with a key table:
 *   CONFIG.md   a row "| `key` | type | default | range | ...", the default
 *               in backquotes (`1024`, `"castgate"`, `false`, `[]`), or
 *               "required", "none", `dataplane.<key>` (inherited); the range
 *               cell starting with "min..max" for integers (and naming
 *               ">= `other`" for a key bounded by another).
 *   the man page ".TP" then ".BR key " (type, default D, min..max)"" (several
 *               keys may share one entry: ".BR a ", " b ...").
 *   the example "key = default", or "# key = ..." for a key that has no default.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_conf.h"
#include "../cg_unit.h"

#ifndef CG_SRC_DIR
#error "CG_SRC_DIR must name the source tree"
#endif

/* Most sections and keys per table the counters below hold (checked by test_schema). */
#define MAX_SECTIONS 16
#define MAX_KEYS 64
#define LINE_SIZE 1024

/* What one file said about each key: how often it named it. */
struct seen {
	unsigned int n[MAX_SECTIONS][MAX_KEYS];
};

static const char *cur_file;
static unsigned int problems;

static void __attribute__((format(printf, 2, 3)))
problem(unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (line > 0)
		printf("\n%s:%u: ", cur_file, line);
	else
		printf("\n%s: ", cur_file);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	problems++;
}

/* The root row (a section with a key table) named @name, or -1. */
static int
section_index(const char *name, size_t len)
{
	const struct cg_conf_table *root = cg_conf_schema();

	for (size_t i = 0; i < root->n_keys; i++)
		if (root->keys[i].table != NULL && strlen(root->keys[i].name) == len &&
		    strncmp(root->keys[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* The section in "[name]" or "[[name]]" at @s, or -1. */
static int
section_at(const char *s)
{
	const char *end;

	if (*s++ != '[')
		return -1;
	if (*s == '[')
		s++;
	end = strchr(s, ']');
	return end == NULL ? -1 : section_index(s, (size_t)(end - s));
}

static const struct cg_conf_table *
section_table(int sec)
{
	return cg_conf_schema()->keys[sec].table;
}

/* Index of key @name (@len bytes) in section @sec, or -1. */
static int
key_index(int sec, const char *name, size_t len)
{
	const struct cg_conf_table *tb = section_table(sec);

	for (size_t i = 0; i < tb->n_keys; i++)
		if (strlen(tb->keys[i].name) == len && strncmp(tb->keys[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* A default as the docs and TOML write it: 1024, true, "castgate", []. */
static const char *
render_default(const struct cg_conf_key *k, char *buf, size_t size)
{
	switch (k->type) {
	case CG_CONF_INT:
		snprintf(buf, size, "%lld", (long long)k->def);
		break;
	case CG_CONF_BOOL:
		snprintf(buf, size, "%s", k->def ? "true" : "false");
		break;
	case CG_CONF_STRING:
		snprintf(buf, size, "\"%s\"", k->def_str != NULL ? k->def_str : "");
		break;
	default:
		snprintf(buf, size, "[]");
		break;
	}
	return buf;
}

static bool
has_default(const struct cg_conf_key *k)
{
	return !(k->flags & (CG_CONF_REQUIRED | CG_CONF_NODEF | CG_CONF_INHERIT));
}

/* How a file words a default: required, none, inherited (%s: the key), a value (%s). */
struct default_words {
	const char *required, *none, *inherit, *value;
};

static const struct default_words md_words = {
	"required", "none", "`dataplane.%s`", "`%s`",
};
static const struct default_words man_words = {
	"required", "no default", "default from [dataplane]", "default %s",
};

static const char *
default_text(const struct cg_conf_key *k, const struct default_words *w, char *buf,
	     size_t size)
{
	char d[128];

	if (k->flags & CG_CONF_REQUIRED)
		snprintf(buf, size, "%s", w->required);
	else if (k->flags & CG_CONF_NODEF)
		snprintf(buf, size, "%s", w->none);
	else if (k->flags & CG_CONF_INHERIT)
		snprintf(buf, size, w->inherit, k->name);
	else
		snprintf(buf, size, w->value, render_default(k, d, sizeof(d)));
	return buf;
}

static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Every key of every section named once; @hint says how a missing one reads. */
static void
check_all_seen(const struct seen *seen, void (*hint)(const struct cg_conf_key *k, char *buf,
						    size_t size))
{
	const struct cg_conf_table *root = cg_conf_schema();
	char h[512];

	for (size_t s = 0; s < root->n_keys; s++) {
		const struct cg_conf_table *tb = root->keys[s].table;

		for (size_t i = 0; tb != NULL && i < tb->n_keys; i++) {
			if (seen->n[s][i] == 1)
				continue;
			hint(&tb->keys[i], h, sizeof(h));
			problem(0, "[%s] %s: named %u times, want once, e.g.\n    %s",
				root->keys[s].name, tb->keys[i].name, seen->n[s][i], h);
		}
	}
}

/* The next line of *@text into @buf (without its newline); false at the end. */
static bool
next_line(const char **text, char *buf, size_t size, unsigned int *line)
{
	const char *s = *text, *nl;
	size_t n;

	if (*s == '\0')
		return false;
	nl = strchr(s, '\n');
	n = nl != NULL ? (size_t)(nl - s) : strlen(s);
	snprintf(buf, size, "%.*s", (int)n, s);
	*text = nl != NULL ? nl + 1 : s + n;
	(*line)++;
	return true;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/*
 * docs/CONFIG.md
 */

static void
md_hint(const struct cg_conf_key *k, char *buf, size_t size)
{
	char d[256], r[64] = "";

	if (k->type == CG_CONF_INT)
		snprintf(r, sizeof(r), "%lld..%lld", (long long)k->min, (long long)k->max);
	snprintf(buf, size, "| `%s` | %s | %s | %s | %s |", k->name, cg_conf_type_name(k->type),
		 default_text(k, &md_words, d, sizeof(d)), r, k->doc);
}

/* Split a table row into its cells (trimmed, in place); returns how many. */
static int
md_cells(char *row, char **cells, int max)
{
	int n = 0;
	char *p = strchr(row, '|');

	while (p != NULL && n < max) {
		char *q = strchr(p + 1, '|');

		if (q == NULL)
			break;
		*q = '\0';
		cells[n++] = trim(p + 1);
		p = q;
	}
	return n;
}

static void
md_check_row(int sec, char **cells, int n, const int col[3], unsigned int line,
	     struct seen *seen)
{
	const struct cg_conf_table *tb = section_table(sec);
	const char *key = cells[0] + 1, *end = strchr(key, '`');
	char d[256], r[128];
	const struct cg_conf_key *k;
	int ki = end != NULL ? key_index(sec, key, (size_t)(end - key)) : -1;

	if (ki < 0) {
		problem(line, "%s: not a key of [%s]", cells[0], cg_conf_schema()->keys[sec].name);
		return;
	}
	k = &tb->keys[ki];
	seen->n[sec][ki]++;
	if (col[0] < 0 || col[0] >= n || strcmp(cells[col[0]], cg_conf_type_name(k->type)) != 0)
		problem(line, "%s: type should read \"%s\"", k->name, cg_conf_type_name(k->type));
	default_text(k, &md_words, d, sizeof(d));
	if (col[1] < 0 || col[1] >= n || !starts_with(cells[col[1]], d))
		problem(line, "%s: default should read %s", k->name, d);
	if (k->type != CG_CONF_INT)
		return;
	snprintf(r, sizeof(r), "%lld..%lld", (long long)k->min, (long long)k->max);
	if (col[2] < 0 || col[2] >= n || !starts_with(cells[col[2]], r))
		problem(line, "%s: the Range column should start with %s", k->name, r);
	snprintf(r, sizeof(r), ">= `%s`", k->at_least != NULL ? k->at_least : "");
	if (k->at_least != NULL && (col[2] < 0 || col[2] >= n || strstr(cells[col[2]], r) == NULL))
		problem(line, "%s: the Range column should say %s", k->name, r);
}

static void
check_md(const char *text)
{
	const struct cg_conf_table *root = cg_conf_schema();
	char buf[LINE_SIZE], *cells[16];
	bool overview[MAX_SECTIONS] = { false };
	unsigned int line = 0;
	struct seen seen = { 0 };
	int sec = -1, col[3] = { -1, -1, -1 };

	while (next_line(&text, buf, sizeof(buf), &line)) {
		int n;

		if (starts_with(buf, "#")) {
			/* "## `[dataplane]`"; any other heading ends the section. */
			const char *b = strstr(buf, "`[");

			sec = starts_with(buf, "## ") && b != NULL ? section_at(b + 1) : -1;
			col[0] = col[1] = col[2] = -1;
			continue;
		}
		if (!starts_with(buf, "| "))
			continue;
		n = md_cells(buf, cells, 16);
		if (n > 0 && starts_with(cells[0], "`[")) {
			/* The overview table of the sections. */
			for (size_t i = 0; i < root->n_keys; i++) {
				char name[64];

				snprintf(name, sizeof(name), root->keys[i].type == CG_CONF_TABLES ?
					 "`[[%s]]`" : "`[%s]`", root->keys[i].name);
				overview[i] |= strcmp(cells[0], name) == 0;
			}
			continue;
		}
		if (sec < 0 || n == 0)
			continue;
		if (strcmp(cells[0], "Key") == 0) {
			for (int i = 1; i < n; i++) {
				col[0] = strcmp(cells[i], "Type") == 0 ? i : col[0];
				col[1] = strcmp(cells[i], "Default") == 0 ? i : col[1];
				col[2] = strcmp(cells[i], "Range") == 0 ? i : col[2];
			}
			continue;
		}
		if (cells[0][0] == '`')
			md_check_row(sec, cells, n, col, line, &seen);
	}
	for (size_t i = 0; i < root->n_keys; i++)
		if (!overview[i])
			problem(0, "the table of sections has no row for %s", root->keys[i].name);
	check_all_seen(&seen, md_hint);
}

/*
 * docs/man/castgate.toml.5
 */

static void
man_hint(const struct cg_conf_key *k, char *buf, size_t size)
{
	char d[256], r[64] = "";

	if (k->type == CG_CONF_INT)
		snprintf(r, sizeof(r), ", %lld..%lld", (long long)k->min, (long long)k->max);
	snprintf(buf, size, ".TP\n    .BR %s \" (%s, %s%s)\"\n    %s", k->name,
		 cg_conf_type_name(k->type), default_text(k, &man_words, d, sizeof(d)), r,
		 k->doc);
}

/* The text of a .BR line: its arguments joined, quotes and escapes resolved. */
static void
man_text(const char *s, char *out, size_t size)
{
	static const struct {
		const char *esc, *text;
	} escs[] = { { "\\(dq", "\"" }, { "\\-", "-" }, { "\\(mu", "x" }, { "\\&", "" } };
	size_t n = 0;
	bool quoted = false;

	while (*s != '\0' && n + 1 < size) {
		size_t i;

		for (i = 0; i < sizeof(escs) / sizeof(escs[0]); i++)
			if (starts_with(s, escs[i].esc))
				break;
		if (i < sizeof(escs) / sizeof(escs[0])) {
			n += (size_t)snprintf(out + n, size - n, "%s", escs[i].text);
			s += strlen(escs[i].esc);
			continue;
		}
		if (*s == '"')
			quoted = !quoted;
		else if (*s != ' ' || quoted)
			out[n++] = *s;
		s++;
	}
	out[n < size ? n : size - 1] = '\0';
}

/* "key, key2 (type, default D, min..max)": check each key against its row. */
static void
man_check_entry(int sec, char *entry, unsigned int line, struct seen *seen)
{
	char *paren = strstr(entry, " ("), *items[8], *save = NULL, *p;
	char d[256], r[128];
	int ni = 0;

	if (paren == NULL || entry[strlen(entry) - 1] != ')')
		return;
	entry[strlen(entry) - 1] = '\0';
	*paren = '\0';
	for (p = strtok_r(paren + 2, ",", &save); p != NULL && ni < 8;
	     p = strtok_r(NULL, ",", &save))
		items[ni++] = trim(p);
	for (p = strtok_r(entry, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		const char *name = trim(p);
		int ki = key_index(sec, name, strlen(name));
		const struct cg_conf_key *k;
		bool def_ok = false, range_ok = false;

		if (ki < 0) {
			problem(line, "%s: not a key of [%s]", name,
				cg_conf_schema()->keys[sec].name);
			continue;
		}
		k = &section_table(sec)->keys[ki];
		seen->n[sec][ki]++;
		if (ni == 0 || strcmp(items[0], cg_conf_type_name(k->type)) != 0)
			problem(line, "%s: type should read \"%s\"", name,
				cg_conf_type_name(k->type));
		default_text(k, &man_words, d, sizeof(d));
		snprintf(r, sizeof(r), "%lld..%lld", (long long)k->min, (long long)k->max);
		for (int i = 1; i < ni; i++) {
			/* "default 8191 or more": the value, then words. */
			def_ok |= strcmp(items[i], d) == 0 ||
				  (starts_with(items[i], d) && items[i][strlen(d)] == ' ');
			range_ok |= strcmp(items[i], r) == 0;
		}
		if (!def_ok)
			problem(line, "%s: should say \"%s\"", name, d);
		if (k->type == CG_CONF_INT && !range_ok)
			problem(line, "%s: should say \"%s\"", name, r);
	}
}

static void
check_man(const char *text)
{
	char buf[LINE_SIZE], entry[LINE_SIZE];
	unsigned int line = 0;
	struct seen seen = { 0 };
	bool after_tp = false;
	int sec = -1;

	while (next_line(&text, buf, sizeof(buf), &line)) {
		bool tp = after_tp;

		after_tp = starts_with(buf, ".TP");
		if (starts_with(buf, ".SH ") || starts_with(buf, ".SS ")) {
			sec = starts_with(buf, ".SH ") ? section_at(buf + 4) : -1;
			continue;
		}
		if (sec < 0 || !tp || !starts_with(buf, ".BR "))
			continue;
		man_text(buf + 4, entry, sizeof(entry));
		man_check_entry(sec, entry, line, &seen);
	}
	check_all_seen(&seen, man_hint);
}

/*
 * config/castgate.toml.example
 */

static void
example_hint(const struct cg_conf_key *k, char *buf, size_t size)
{
	char d[128];

	snprintf(buf, size, "%s%s = %s  # %s", has_default(k) ? "" : "# ", k->name,
		 has_default(k) ? render_default(k, d, sizeof(d)) : "...", k->doc);
}

/* The value of "key = value  # comment", without the comment. */
static char *
toml_value(char *s)
{
	bool quoted = false;
	char *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '"' && (p == s || p[-1] != '\\'))
			quoted = !quoted;
		else if (*p == '#' && !quoted)
			*p = '\0';
	}
	return trim(s);
}

static void
check_example(const char *text)
{
	char buf[LINE_SIZE], d[256];
	bool done[MAX_SECTIONS] = { false };
	unsigned int line = 0;
	struct seen seen = { 0 };
	int sec = -1;

	while (next_line(&text, buf, sizeof(buf), &line)) {
		char *s = trim(buf), *eq, *value;
		bool comment = s[0] == '#';
		const struct cg_conf_key *k;
		int ki;

		if (s[0] == '[') {
			/* Only the first table of an array of tables names its keys. */
			sec = section_at(s);
			if (sec >= 0 && done[sec])
				sec = -1;
			if (sec >= 0)
				done[sec] = true;
			continue;
		}
		if (comment)
			s = trim(s + 1);
		eq = strstr(s, " = ");
		if (sec < 0 || eq == NULL || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    (size_t)(eq - s))
			continue;
		ki = key_index(sec, s, (size_t)(eq - s));
		if (ki < 0) {
			if (!comment)
				problem(line, "%.*s: not a key of [%s]", (int)(eq - s), s,
					cg_conf_schema()->keys[sec].name);
			continue;
		}
		k = &section_table(sec)->keys[ki];
		seen.n[sec][ki]++;
		value = toml_value(eq + 3);
		if (has_default(k) && (comment || strcmp(value, render_default(k, d, sizeof(d)))))
			problem(line, "%s: should read %s = %s", k->name, k->name, d);
		else if (!has_default(k) && comment != !(k->flags & CG_CONF_REQUIRED))
			problem(line, "%s: has no default: it should be %s", k->name,
				comment ? "set" : "commented out");
	}
	check_all_seen(&seen, example_hint);
}

/*
 * Tests
 */

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = calloc(1, (size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	return buf;
}

/* Problems that @check finds in @file, or in its text with @from replaced by @to. */
static unsigned int
run_check(void (*check)(const char *), const char *file, const char *from, const char *to)
{
	char path[512], *text, *mod = NULL, *at;

	snprintf(path, sizeof(path), "%s/%s", CG_SRC_DIR, file);
	text = read_text(path);
	if (from != NULL) {
		at = strstr(text, from);
		CU_ASSERT_PTR_NOT_NULL_FATAL(at);
		mod = calloc(1, strlen(text) + strlen(to) + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(mod);
		memcpy(mod, text, (size_t)(at - text));
		strcat(mod, to);
		strcat(mod, at + strlen(from));
	}
	cur_file = file;
	problems = 0;
	check(mod != NULL ? mod : text);
	free(mod);
	free(text);
	return problems;
}

/* The rows themselves: what the reader and the checks below rely on. */
static void
test_schema(void)
{
	const struct cg_conf_table *root = cg_conf_schema();

	CU_ASSERT_FATAL(root->n_keys <= MAX_SECTIONS);
	for (size_t s = 0; s < root->n_keys; s++) {
		const struct cg_conf_table *tb = root->keys[s].table;

		CU_ASSERT(root->keys[s].type == CG_CONF_TABLE ||
			  root->keys[s].type == CG_CONF_TABLES);
		CU_ASSERT(root->keys[s].type == CG_CONF_TABLE || root->keys[s].parse != NULL);
		if (tb == NULL)
			continue;
		CU_ASSERT_FATAL(tb->n_keys <= MAX_KEYS);
		for (size_t i = 0; i < tb->n_keys; i++) {
			const struct cg_conf_key *k = &tb->keys[i];

			CU_ASSERT_PTR_NOT_NULL(k->doc);
			for (size_t j = 0; j < i; j++)
				CU_ASSERT_STRING_NOT_EQUAL(k->name, tb->keys[j].name);
			if (k->type == CG_CONF_INT) {
				CU_ASSERT(k->size == 1 || k->size == 2 || k->size == 4);
				CU_ASSERT(k->min <= k->max);
				CU_ASSERT(k->min >= 0 && k->max < (1ll << (8 * k->size)));
				if (has_default(k))
					CU_ASSERT(k->def >= k->min && k->def <= k->max);
			}
			if (k->type == CG_CONF_BOOL)
				CU_ASSERT(k->size == sizeof(bool));
			if (k->type == CG_CONF_STRINGS || k->type == CG_CONF_TABLES)
				CU_ASSERT(k->parse != NULL && k->to_json != NULL);
			if (k->at_least != NULL)
				CU_ASSERT(key_index((int)s, k->at_least, strlen(k->at_least)) >= 0);
			if (k->flags & CG_CONF_INHERIT)
				CU_ASSERT(key_index(section_index("dataplane", 9), k->name,
						    strlen(k->name)) >= 0);
		}
	}
}

/* The JSON of @k's default: the row's, or for an inherited key its [dataplane] value. */
static void
want_default(const struct cg_conf_key *k, json_object *dp, char *buf, size_t size)
{
	json_object *v = NULL;
	char d[128];

	if (k->flags & CG_CONF_INHERIT) {
		json_object_object_get_ex(dp, k->name, &v);
		snprintf(buf, size, "%s", json_object_to_json_string(v));
	} else {
		snprintf(buf, size, "%s", render_default(k, d, sizeof(d)));
	}
}

/* A config that sets no key but the required ones holds every row's default. */
static void
test_defaults(void)
{
	const struct cg_conf_table *root = cg_conf_schema();
	json_object *in = json_tokener_parse("{\"port\": [{\"name\": \"p\", \"device\": "
					     "\"net_null0\", \"ip\": \"198.18.0.1/24\"}]}");
	json_object *out, *dp = NULL;
	struct cg_conf *c;
	char err[256] = "";

	c = cg_conf_from_json(in, err, sizeof(err));
	json_object_put(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	out = cg_conf_to_json(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_FATAL(json_object_object_get_ex(out, "dataplane", &dp));
	for (size_t s = 0; s < root->n_keys; s++) {
		const struct cg_conf_table *tb = root->keys[s].table;
		json_object *sec = NULL, *v;

		if (tb == NULL)
			continue;
		CU_ASSERT_FATAL(json_object_object_get_ex(out, root->keys[s].name, &sec));
		if (json_object_is_type(sec, json_type_array))
			sec = json_object_array_get_idx(sec, 0);
		for (size_t i = 0; i < tb->n_keys; i++) {
			const struct cg_conf_key *k = &tb->keys[i];
			char want[128], got[128];

			if (k->flags & (CG_CONF_REQUIRED | CG_CONF_NODEF))
				continue;
			v = NULL;
			json_object_object_get_ex(sec, k->name, &v);
			want_default(k, dp, want, sizeof(want));
			snprintf(got, sizeof(got), "%s", json_object_to_json_string_ext(v,
				 JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			if (strcmp(got, want) != 0)
				printf("\n%s.%s: default %s, the row says %s", root->keys[s].name,
				       k->name, got, want);
			CU_ASSERT_STRING_EQUAL(got, want);
		}
	}
	json_object_put(out);
	cg_conf_free(c);
}

static const char *const md = "docs/CONFIG.md";
static const char *const man = "docs/man/castgate.toml.5";
static const char *const example = "config/castgate.toml.example";

/* The three files as they are. */
static void
test_docs(void)
{
	CU_ASSERT_EQUAL(run_check(check_md, md, NULL, NULL), 0);
	CU_ASSERT_EQUAL(run_check(check_man, man, NULL, NULL), 0);
	CU_ASSERT_EQUAL(run_check(check_example, example, NULL, NULL), 0);
}

/* Copies that drift from the rows: a changed default, range or type, a missing or unknown key. */
static void
test_drift(void)
{
	static const struct {
		void (*check)(const char *text);
		const char *const *file;
		const char *from, *to;
	} cases[] = {
		{ check_md, &md, "| `burst`           | integer | `32`",
		  "| `burst`           | integer | `64`" },
		{ check_md, &md, "| 1..512 ", "| 1..256 " },
		{ check_md, &md, "| `no_huge`         | boolean",
		  "| `no_huge`         | integer" },
		{ check_md, &md, "| `stable_s`", "| `stable_ms`" },
		{ check_md, &md, ">= `restart_min_ms`", "" },
		{ check_md, &md, "| `[[port]]`", "| `[[ports]]`" },
		{ check_man, &man, "(integer, default 32, 1..512)",
		  "(integer, default 32, 1..64)" },
		{ check_man, &man, "\\(dq/run/castgate\\(dq", "\\(dq/run\\(dq" },
		{ check_man, &man, ".BR rx_desc \", \" tx_desc \" (integer, default 1024",
		  ".BR rx_desc \" (integer, default 1024" },
		{ check_man, &man, ".BR gateway \" (string, no default)\"",
		  ".BR gateway \" (string, default none)\"" },
		{ check_example, &example, "arp_retry_ms = 1000", "arp_retry_ms = 100" },
		{ check_example, &example, "max_clients = 64 ", "# x " },
		{ check_example, &example, "# gateway = ", "gateway = " },
	};

	printf("\n(expected: the problems of modified copies)");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_NOT_EQUAL(run_check(cases[i].check, *cases[i].file, cases[i].from,
					      cases[i].to), 0);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_schema),
		CG_UNIT_TEST(test_defaults),
		CG_UNIT_TEST(test_docs),
		CG_UNIT_TEST(test_drift),
		CG_UNIT_END,
	};

	return cg_unit_run("conf_docs", tests);
}
