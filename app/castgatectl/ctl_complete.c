/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What Tab offers in the console: a small grammar of the console commands
 * (and the one-shot ones), with rule and port names where they fit. Pure, so
 * that the unit test drives it with word lists.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char *const top_words[] = {
	"add", "clear", "del", "exit", "help", "quit", "reload", "show",
	"call", "config", "port", "rule", "stats", "system", NULL
};
static const char *const show_words[] = {
	"drops", "health", "port", "rule", "rules", "stats", "system", NULL
};
static const char *const in_keys[] = { "source", "out", NULL };
static const char *const out_keys[] = { "ttl", "sport", "source", "mac", "out", "id", NULL };

struct cands {
	const char **v;
	size_t n, cap;
	const char *partial;
	size_t plen;
};

static void
add(struct cands *c, const char *w)
{
	if (strncmp(w, c->partial, c->plen) != 0)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		const char **v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL)
			return;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = w;
}

static void
add_list(struct cands *c, const char *const *words)
{
	for (; *words != NULL; words++)
		add(c, *words);
}

static void
add_names(struct cands *c, char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		add(c, names[i]);
}

static bool
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* `add rule NAME in PORT GROUP DPORT [source IP] out PORT DST DPORT [k v]... [out ...]` */
static void
complete_add_rule(struct cands *c, char *const *w, int n, const struct ctl_names *names)
{
	enum { NONE, IN, OUT } section = NONE;
	int pos = 0;

	if (n == 0)
		return; /* the new rule's NAME: nothing to offer */
	for (int i = 1; i < n; i++) {
		if (is(w[i], "in") || is(w[i], "out")) {
			section = is(w[i], "in") ? IN : OUT;
			pos = 0;
		} else if (pos < 3) {
			pos++;
		} else if (i + 1 < n) {
			i++; /* a key and its value */
		} else {
			return; /* a key waiting for its value */
		}
	}
	if (section == NONE)
		add(c, "in");
	else if (pos == 0)
		add_names(c, names->ports, names->nports);
	else if (pos == 3)
		add_list(c, section == IN ? in_keys : out_keys);
}

static void
complete_words(struct cands *c, char *const *w, int n, const struct ctl_names *nm)
{
	static const char *const rule_subs[] = { "add", "del", "list", "show", "update", NULL };
	static const char *const rule_opts[] = { "--in", "--out", "--id", NULL };
	static const char *const port_subs[] = { "list", "show", NULL };
	static const char *const sys_subs[] = { "health", "info", NULL };
	static const char *const conf_subs[] = { "check", "reload", NULL };
	static const char *const stats_opts[] = { "clear", "--rule", "--watch", NULL };
	static const char *const port_what[] = { "info", "stats", NULL };

	if (n == 0) {
		add_list(c, top_words);
		return;
	}
	if (is(w[0], "help")) {
		if (n == 1)
			add_list(c, top_words);
	} else if (is(w[0], "show")) {
		if (n == 1)
			add_list(c, show_words);
		else if (n == 2 && is(w[1], "rule"))
			add_names(c, nm->rules, nm->nrules);
		else if (n == 2 && is(w[1], "port"))
			add_list(c, port_what);
		else if (n == 3 && is(w[1], "port")) {
			add(c, "all");
			add_names(c, nm->ports, nm->nports);
		}
	} else if (is(w[0], "add")) {
		if (n == 1)
			add(c, "rule");
		else if (is(w[1], "rule"))
			complete_add_rule(c, w + 2, n - 2, nm);
	} else if (is(w[0], "del")) {
		if (n == 1)
			add(c, "rule");
		else if (n == 2 && is(w[1], "rule"))
			add_names(c, nm->rules, nm->nrules);
	} else if (is(w[0], "clear")) {
		if (n == 1)
			add(c, "stats");
	} else if (is(w[0], "rule")) {
		if (n == 1)
			add_list(c, rule_subs);
		else if (n == 2 && (is(w[1], "show") || is(w[1], "del") || is(w[1], "update")))
			add_names(c, nm->rules, nm->nrules);
		else if (is(w[1], "add") || is(w[1], "update")) {
			if (is(w[n - 1], "--in") || is(w[n - 1], "--out"))
				add_names(c, nm->ports, nm->nports);
			else if (n > 2 && !is(w[n - 1], "--id"))
				add_list(c, rule_opts);
		}
	} else if (is(w[0], "port")) {
		if (n == 1)
			add_list(c, port_subs);
		else if (n == 2 && is(w[1], "show"))
			add_names(c, nm->ports, nm->nports);
	} else if (is(w[0], "system")) {
		if (n == 1)
			add_list(c, sys_subs);
	} else if (is(w[0], "config")) {
		if (n == 1)
			add_list(c, conf_subs);
	} else if (is(w[0], "stats")) {
		if (is(w[n - 1], "--rule"))
			add_names(c, nm->rules, nm->nrules);
		else if (n == 1)
			add_list(c, stats_opts);
	}
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t
ctl_complete(char *const *prev, int nprev, const char *partial, const struct ctl_names *names,
	     const char ***out)
{
	struct cands c = { .partial = partial, .plen = strlen(partial) };
	size_t k = 0;

	complete_words(&c, prev, nprev, names);
	if (c.n > 1) {
		qsort(c.v, c.n, sizeof(*c.v), cmp);
		for (size_t i = 0; i < c.n; i++)
			if (k == 0 || strcmp(c.v[k - 1], c.v[i]) != 0)
				c.v[k++] = c.v[i];
		c.n = k;
	}
	*out = c.v;
	return c.n;
}

size_t
ctl_common_prefix(const char *const *cand, size_t n)
{
	size_t len;

	if (n == 0)
		return 0;
	len = strlen(cand[0]);
	for (size_t i = 1; i < n; i++) {
		size_t k = 0;

		while (k < len && cand[i][k] == cand[0][k])
			k++;
		len = k;
	}
	return len;
}
