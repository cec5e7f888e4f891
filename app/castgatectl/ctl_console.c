/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `castgatectl console`: a testpmd-style console on libedit. Interactive on a
 * terminal (history, Tab completion); a script runner with -f FILE or a
 * standard input that is not a terminal, echoing each line before its output.
 * A broken connection does not end the console: ctl_call() drops it and the
 * next command reconnects.
 */
#include <errno.h>
#include <histedit.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cg_rpc.h"
#include "ctl.h"

#define PROMPT "castgate> "
#define HISTORY_SIZE 1000
/* Rule and port names for completion are fetched again after this long, in
 * case another client changed them. */
#define NAMES_MAX_AGE_S 5

struct console {
	struct ctl *c;
	EditLine *el;
	History *hist;
	char histfile[PATH_MAX];
	struct ctl_names names;
	time_t names_at; /* 0: fetch before the next completion */
};

/* Fetch rule and port names without a word on the terminal: a failure just
 * leaves completion without names. */
static void
names_refresh(struct console *con)
{
	time_t now = time(NULL);

	if (!con->c->changed && con->names_at != 0 && now - con->names_at < NAMES_MAX_AGE_S)
		return;
	ctl_names_free(&con->names);
	ctl_names_fetch(con->c, &con->names);
	con->c->changed = false;
	con->names_at = now;
}

/* Candidates in columns under the line, as a shell lists them. */
static void
list_candidates(char *const *cand, size_t n)
{
	size_t w = 0, cols, i;

	for (i = 0; i < n; i++)
		if (strlen(cand[i]) > w)
			w = strlen(cand[i]);
	w += 2;
	cols = w < 78 ? 78 / w : 1;
	fputc('\n', stdout);
	for (i = 0; i < n; i++)
		fprintf(stdout, "%-*s%s", (int)w, cand[i], (i + 1) % cols == 0 || i + 1 == n ?
			"\n" : "");
	fflush(stdout);
}

static unsigned char
complete(EditLine *el, int ch)
{
	struct console *con = NULL;
	const LineInfo *li = el_line(el);
	char *line, **words = NULL, *partial, **cand = NULL;
	size_t len = (size_t)(li->cursor - li->buffer), n, plen, common;
	struct ctl_err e;
	unsigned char ret = CC_REFRESH;
	int nw;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &con);
	line = strndup(li->buffer, len);
	if (line == NULL || con == NULL) {
		free(line);
		return CC_ERROR;
	}
	/* the word under the cursor starts after the last blank */
	partial = line + len;
	while (partial > line && partial[-1] != ' ' && partial[-1] != '\t')
		partial--;
	plen = strlen(partial);
	partial = strdup(partial);
	line[len - plen] = '\0';
	nw = partial != NULL ? ctl_split(line, &words, &e) : -1;
	if (nw < 0) {
		free(line);
		free(partial);
		return CC_ERROR;
	}
	names_refresh(con);
	n = ctl_complete(words, nw, partial, &con->names, &cand);
	common = ctl_common_prefix(cand, n);
	if (n == 0) {
		ret = CC_ERROR; /* beep */
	} else if (n == 1 || common > plen) {
		char add[256];

		/* one: the word and a blank, but a KEY= of --out waits for its value */
		snprintf(add, sizeof(add), "%.*s%s", (int)(common - plen), cand[0] + plen,
			 n == 1 && cand[0][common - 1] != '=' ? " " : "");
		el_insertstr(el, add);
	} else {
		list_candidates(cand, n);
		ret = CC_REDISPLAY;
	}
	ctl_complete_free(cand, n);
	free(words);
	free(partial);
	free(line);
	return ret;
}

static char *
prompt(EditLine *el)
{
	(void)el;
	return (char *)PROMPT;
}

/* One line: split, run, and print nothing extra. Returns an exit code or
 * CTL_CONSOLE_QUIT; a blank or comment line is 0. */
static int
console_line(struct ctl *c, const char *line)
{
	struct ctl_err e;
	char **argv;
	int argc, ret;

	argc = ctl_split(line, &argv, &e);
	if (argc < 0) {
		fprintf(stderr, "castgatectl: %s\n", e.msg);
		return CG_EXIT_USAGE;
	}
	ret = argc == 0 ? CG_EXIT_OK : ctl_cmd_run(c, argc, argv);
	free(argv);
	fflush(c->out);
	return ret;
}

/* Nothing to run: blank, or only a comment. */
static bool
blank(const char *s)
{
	s += strspn(s, " \t\r\n");
	return *s == '\0' || *s == '#';
}

/* libedit with history and our Tab, or NULL. */
static EditLine *
editline(struct console *con)
{
	const char *home = getenv("HOME");
	HistEvent ev;

	con->hist = history_init();
	con->el = con->hist != NULL ? el_init("castgatectl", stdin, stdout, stderr) : NULL;
	if (con->el == NULL) {
		fprintf(stderr, "castgatectl: cannot set up line editing\n");
		if (con->hist != NULL)
			history_end(con->hist);
		return NULL;
	}
	history(con->hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(con->hist, &ev, H_SETUNIQUE, 1);
	if (home != NULL && *home != '\0') {
		snprintf(con->histfile, sizeof(con->histfile), "%s/.castgate_history", home);
		history(con->hist, &ev, H_LOAD, con->histfile); /* absent the first time */
	}
	el_set(con->el, EL_EDITOR, "emacs");
	el_set(con->el, EL_SIGNAL, 1);
	el_set(con->el, EL_PROMPT, prompt);
	el_set(con->el, EL_HIST, history, con->hist);
	el_set(con->el, EL_CLIENTDATA, con);
	el_source(con->el, NULL); /* ~/.editrc, before our Tab so that ours wins */
	el_set(con->el, EL_ADDFN, "cg-complete", "complete a castgate word", complete);
	el_set(con->el, EL_BIND, "^I", "cg-complete", NULL);

	/* Ctrl-C abandons the line being typed (or a watch), never the console. */
	ctl_catch_sigint(NULL);
	return con->el;
}

/* console [-f FILE]: interactive on a terminal; else (-f FILE or a piped
 * stdin) every line is echoed and run, and the first failure's code is the
 * exit status. */
int
ctl_console_run(struct ctl *c, const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	struct console con = { .c = c };
	const char *name = a->val[0];
	unsigned int lineno = 0, failed = 0, first_line = 0;
	int first = CG_EXIT_OK, ret;
	FILE *in = stdin;
	char *buf = NULL;
	size_t cap = 0;
	json_object *res;
	HistEvent ev;

	(void)cmd;
	c->console = true;
	if (name != NULL && strcmp(name, "-") != 0 && (in = fopen(name, "r")) == NULL) {
		fprintf(stderr, "castgatectl: %s: %s\n", name, strerror(errno));
		return CG_EXIT_USAGE;
	}
	if (name == NULL && isatty(STDIN_FILENO)) {
		if (editline(&con) == NULL)
			return CG_EXIT_FAILURE;
		printf("castgate console on %s. 'help' lists the commands, Tab completes, "
		       "Ctrl-D quits.\n", c->socket);
		/* Say now when the daemon is not there, not at the first command. */
		c->quiet = true;
		ret = ctl_call(c, "system.health", NULL, &res);
		json_object_put(res);
		c->quiet = false;
		if (ret == CG_EXIT_UNAVAILABLE)
			fprintf(stderr, "castgatectl: cannot reach castgate-control at %s yet; "
				"each command tries again\n", c->socket);
	}
	for (;;) {
		const char *line = NULL;
		int count = 0;

		ctl_interrupted = 0;
		if (con.el != NULL && (line = el_gets(con.el, &count)) != NULL && count > 0) {
			if (!blank(line))
				history(con.hist, &ev, H_ENTER, line);
			if (!blank(line) && con.histfile[0] != '\0')
				history(con.hist, &ev, H_SAVE, con.histfile);
		} else if (con.el != NULL) {
			fputc('\n', stdout);
			/* Ctrl-C at the prompt: a fresh line; Ctrl-D: the end */
			if (!ctl_interrupted && !(count < 0 && errno == EINTR))
				break;
			el_reset(con.el);
			continue;
		} else if (getline(&buf, &cap, in) >= 0) {
			lineno++;
			buf[strcspn(buf, "\r\n")] = '\0';
			if (blank(buf))
				continue;
			fprintf(c->out, "%s%s\n", PROMPT, buf);
			fflush(c->out);
			line = buf;
		} else {
			break;
		}
		ret = console_line(c, line);
		if (ret == CTL_CONSOLE_QUIT)
			break;
		if (ret != CG_EXIT_OK && failed++ == 0) {
			first = ret;
			first_line = lineno;
		}
	}
	free(buf);
	if (con.el != NULL) {
		el_end(con.el);
		history_end(con.hist);
		ctl_names_free(&con.names);
		return CG_EXIT_OK;
	}
	name = name != NULL ? name : "stdin";
	if (ferror(in)) {
		fprintf(stderr, "castgatectl: %s: read error: %s\n", name, strerror(errno));
		first = first != CG_EXIT_OK ? first : CG_EXIT_USAGE;
	}
	if (in != stdin)
		fclose(in);
	if (failed > 0)
		fprintf(stderr, "castgatectl: %s: %u command%s failed, the first at line %u\n",
			name, failed, failed == 1 ? "" : "s", first_line);
	return first;
}
