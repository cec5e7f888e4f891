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
#include <signal.h>
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

/* A console line asked to leave. */
#define CONSOLE_QUIT (-1)

struct console {
	struct ctl *c;
	EditLine *el;
	History *hist;
	char histfile[PATH_MAX];
	struct ctl_names names;
	time_t names_at; /* 0: fetch before the next completion */
};

static const char console_help[] =
"Commands (Tab completes commands, rule names and port names):\n"
"  show rules                  the rules, from the config file and the API\n"
"  show rule NAME              one rule with its counters and rates\n"
"  show port stats all|NAME    port counters and rates (testpmd style)\n"
"  show port info all|NAME     port address, driver, link (testpmd style)\n"
"  show stats                  every counter: totals, rules, ports, lcores, drops\n"
"  show drops                  drop counts of every reason\n"
"  show system                 versions, pids, uptimes, restarts, lcores\n"
"  show health                 health checks\n"
"  add rule NAME in PORT GROUP DPORT [source IP]\n"
"           out PORT DST DPORT [ttl N] [sport N] [source IP] [mac MAC] [out ...] [id N]\n"
"                              add an API rule (help add: details)\n"
"  del rule NAME               remove an API rule\n"
"  clear stats                 count from zero again\n"
"  reload                      apply the config file's [[rule]] changes\n"
"  help [COMMAND]              this text, or a command's\n"
"  quit | exit                 leave (Ctrl-D too)\n"
"The one-shot commands work as well: rule ..., stats [--rule NAME] [--watch],\n"
"port ..., system ..., config ..., call METHOD [JSON] ('help rule' etc.).\n"
"\n"
"Example:\n"
"  add rule cam9 in in0 239.1.1.9 5001 out out0 239.10.1.9 6001 ttl 16\n";

static const char console_help_add[] =
"add rule NAME in PORT GROUP DPORT [source IP]\n"
"         out PORT DST DPORT [ttl N] [sport N] [source IP] [mac MAC]\n"
"         [out PORT DST DPORT ...] [id N]\n"
"\n"
"  in PORT GROUP DPORT   match datagrams to GROUP:DPORT arriving on PORT;\n"
"                        'source IP' matches only that sender\n"
"  out PORT DST DPORT    re-emit on PORT to DST:DPORT (up to 16 outs); keys:\n"
"                        ttl N (1..255, default 64), sport N (default: kept),\n"
"                        source IP (default: the port's), mac MAC (unicast\n"
"                        next hop without ARP)\n"
"  id N                  the rule's id (default: the next free one)\n"
"\n"
"Examples:\n"
"  add rule cam9 in in0 239.1.1.9 5001 out out0 239.10.1.9 6001 ttl 16\n"
"  add rule cam10 in in0 239.1.1.10 5001 source 198.18.0.10 out out0 239.10.1.10 6001 "
"out out1 239.11.1.10 6001\n";

static const char console_help_show[] =
"show rules | show rule NAME | show port stats all|NAME | show port info all|NAME\n"
"show stats | show drops | show system | show health\n";

static void
names_free(struct ctl_names *n)
{
	for (size_t i = 0; i < n->nrules; i++)
		free(n->rules[i]);
	for (size_t i = 0; i < n->nports; i++)
		free(n->ports[i]);
	free(n->rules);
	free(n->ports);
	memset(n, 0, sizeof(*n));
}

/* names[] of the array res[list][i][sub?][key]; sub may be NULL. */
static void
collect(json_object *res, const char *list, const char *sub, const char *key, char ***out,
	size_t *n)
{
	json_object *a, *e, *v;
	size_t len;

	*out = NULL;
	*n = 0;
	if (!json_object_object_get_ex(res, list, &a) || !json_object_is_type(a, json_type_array))
		return;
	len = json_object_array_length(a);
	*out = calloc(len + 1, sizeof(char *));
	if (*out == NULL)
		return;
	for (size_t i = 0; i < len; i++) {
		e = json_object_array_get_idx(a, i);
		if (sub != NULL && !json_object_object_get_ex(e, sub, &e))
			continue;
		if (json_object_object_get_ex(e, key, &v) &&
		    json_object_is_type(v, json_type_string))
			(*out)[(*n)++] = strdup(json_object_get_string(v));
		if (*n > 0 && (*out)[*n - 1] == NULL)
			(*n)--;
	}
}

/* Fetch rule and port names without a word on the terminal: a failure just
 * leaves completion without names. */
static void
names_refresh(struct console *con)
{
	struct ctl *c = con->c;
	json_object *res;
	time_t now = time(NULL);

	if (!c->changed && con->names_at != 0 && now - con->names_at < NAMES_MAX_AGE_S)
		return;
	c->quiet = true;
	names_free(&con->names);
	if (ctl_call(c, "rule.list", NULL, &res) == CTL_EXIT_OK)
		collect(res, "rules", "rule", "name", &con->names.rules, &con->names.nrules);
	json_object_put(res);
	if (ctl_call(c, "port.list", NULL, &res) == CTL_EXIT_OK)
		collect(res, "ports", NULL, "name", &con->names.ports, &con->names.nports);
	json_object_put(res);
	c->quiet = false;
	c->changed = false;
	con->names_at = now;
}

/* Candidates in columns under the line, as a shell lists them. */
static void
list_candidates(const char *const *cand, size_t n)
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
	const char **cand = NULL;
	char *line, **words = NULL, *partial;
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
	if (n == 0) {
		ret = CC_ERROR; /* beep */
	} else if (n == 1) {
		char add[256];

		snprintf(add, sizeof(add), "%s ", cand[0] + plen);
		el_insertstr(el, add);
	} else {
		common = ctl_common_prefix(cand, n);
		if (common > plen) {
			char add[256];

			snprintf(add, sizeof(add), "%.*s", (int)(common - plen), cand[0] + plen);
			el_insertstr(el, add);
		} else {
			list_candidates(cand, n);
			ret = CC_REDISPLAY;
		}
	}
	free(cand);
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

/* show port stats|info all|NAME */
static int
show_port(struct ctl *c, bool stats, const char *which)
{
	json_object *list = NULL, *ports, *res, *p;
	int ret = CTL_EXIT_OK, r;
	size_t n;

	if (strcmp(which, "all") != 0) {
		p = json_object_new_object();
		json_object_object_add(p, "name", json_object_new_string(which));
		ret = ctl_call(c, "port.get", p, &res);
		json_object_put(p);
		if (ret != CTL_EXIT_OK)
			return ret;
		if (c->json)
			fprintf(c->out, "%s\n", json_object_to_json_string_ext(res,
					CTL_JSON_PRETTY));
		else if (stats)
			ctl_fmt_port_stats_block(c->out, res);
		else
			ctl_fmt_port_info_block(c->out, res);
		json_object_put(res);
		return CTL_EXIT_OK;
	}
	ret = ctl_call(c, "port.list", NULL, &list);
	if (ret != CTL_EXIT_OK)
		return ret;
	if (!json_object_object_get_ex(list, "ports", &ports) ||
	    !json_object_is_type(ports, json_type_array) ||
	    (n = json_object_array_length(ports)) == 0) {
		fprintf(c->out, "no ports\n");
		json_object_put(list);
		return CTL_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *name;

		if (!json_object_object_get_ex(json_object_array_get_idx(ports, i), "name", &name))
			continue;
		r = show_port(c, stats, json_object_get_string(name));
		if (r != CTL_EXIT_OK && ret == CTL_EXIT_OK)
			ret = r;
		if (r == CTL_EXIT_UNREACHABLE)
			break;
		if (!c->json && i + 1 < n)
			fputc('\n', c->out);
	}
	json_object_put(list);
	return ret;
}

static int
show_drops(struct ctl *c)
{
	json_object *res, *d;
	int ret = ctl_call(c, "stats.get", NULL, &res);

	if (ret != CTL_EXIT_OK)
		return ret;
	if (c->json) {
		fprintf(c->out, "%s\n", json_object_object_get_ex(res, "drops", &d) ?
			json_object_to_json_string_ext(d, CTL_JSON_PRETTY) : "{}");
	} else {
		ctl_fmt_drops(c->out, res, true);
	}
	json_object_put(res);
	return CTL_EXIT_OK;
}

static int
add_rule(struct ctl *c, int argc, char **argv)
{
	struct cg_rule r;
	struct ctl_err e = { 0 };
	json_object *params, *res;
	int ret;

	if (ctl_rule_from_words(argc, argv, &r, &e) < 0) {
		if (e.field[0] != '\0')
			fprintf(stderr, "castgatectl: %s (field %s)\n", e.msg, e.field);
		else
			fprintf(stderr, "castgatectl: %s\n", e.msg);
		fprintf(stderr, "castgatectl: usage: add rule NAME in PORT GROUP DPORT out PORT "
			"DST DPORT [ttl N] ... ('help add')\n");
		return CTL_EXIT_USAGE;
	}
	params = ctl_rule_params(&r);
	ret = ctl_call(c, "rule.add", params, &res);
	json_object_put(params);
	if (ret != CTL_EXIT_OK)
		return ret;
	c->changed = true;
	if (c->json)
		fprintf(c->out, "%s\n", json_object_to_json_string_ext(res,
				CTL_JSON_PRETTY));
	else
		ctl_fmt_rule_change(c->out, "added", res);
	json_object_put(res);
	return CTL_EXIT_OK;
}

static int
console_usage(const char *fmt, const char *word)
{
	fputs("castgatectl: ", stderr);
	fprintf(stderr, fmt, word);
	fputs(" (type 'help')\n", stderr);
	return CTL_EXIT_USAGE;
}

/* Run the words of one console line through the one-shot commands. */
static int
run(struct ctl *c, int n, const char *a0, const char *a1, const char *a2)
{
	char *argv[4] = { (char *)a0, (char *)a1, (char *)a2, NULL };

	return ctl_cmd_run(c, n, argv);
}

static int
console_exec(struct ctl *c, int argc, char **argv)
{
	const char *w0 = argv[0], *w1 = argc > 1 ? argv[1] : "";

	if (strcmp(w0, "quit") == 0 || strcmp(w0, "exit") == 0)
		return CONSOLE_QUIT;
	if (strcmp(w0, "help") == 0 || strcmp(w0, "?") == 0) {
		if (argc == 1)
			fputs(console_help, c->out);
		else if (strcmp(w1, "add") == 0)
			fputs(console_help_add, c->out);
		else if (strcmp(w1, "show") == 0)
			fputs(console_help_show, c->out);
		else if (strcmp(w1, "del") == 0 || strcmp(w1, "clear") == 0 ||
			 strcmp(w1, "reload") == 0 || strcmp(w1, "quit") == 0 ||
			 strcmp(w1, "exit") == 0)
			fputs(console_help, c->out);
		else if (ctl_help(c->out, w1) < 0)
			return CTL_EXIT_USAGE;
		return CTL_EXIT_OK;
	}
	if (strcmp(w0, "show") == 0) {
		if (argc == 2 && strcmp(w1, "rules") == 0)
			return run(c, 2, "rule", "list", NULL);
		if (argc == 3 && strcmp(w1, "rule") == 0)
			return run(c, 3, "rule", "show", argv[2]);
		if (argc == 4 && strcmp(w1, "port") == 0 &&
		    (strcmp(argv[2], "stats") == 0 || strcmp(argv[2], "info") == 0))
			return show_port(c, strcmp(argv[2], "stats") == 0, argv[3]);
		if (argc == 2 && strcmp(w1, "stats") == 0)
			return run(c, 1, "stats", NULL, NULL);
		if (argc == 2 && strcmp(w1, "drops") == 0)
			return show_drops(c);
		if (argc == 2 && strcmp(w1, "system") == 0)
			return run(c, 2, "system", "info", NULL);
		if (argc == 2 && strcmp(w1, "health") == 0)
			return run(c, 2, "system", "health", NULL);
		fputs(console_help_show, stderr);
		return console_usage("not a show command: show %s", w1);
	}
	if (strcmp(w0, "add") == 0) {
		if (strcmp(w1, "rule") != 0)
			return console_usage("usage: add rule NAME in ... out ...%s", "");
		return add_rule(c, argc - 2, argv + 2);
	}
	if (strcmp(w0, "del") == 0 || strcmp(w0, "delete") == 0) {
		if (argc != 3 || strcmp(w1, "rule") != 0)
			return console_usage("usage: del rule NAME%s", "");
		return run(c, 3, "rule", "del", argv[2]);
	}
	if (strcmp(w0, "clear") == 0) {
		if (argc != 2 || strcmp(w1, "stats") != 0)
			return console_usage("usage: clear stats%s", "");
		return run(c, 2, "stats", "clear", NULL);
	}
	if (strcmp(w0, "reload") == 0) {
		if (argc != 1)
			return console_usage("usage: reload%s", "");
		return run(c, 2, "config", "reload", NULL);
	}
	if (strcmp(w0, "console") == 0)
		return console_usage("already in the console%s", "");
	if (ctl_cmd_known(w0))
		return ctl_cmd_run(c, argc, argv);
	return console_usage("unknown command \"%s\"", w0);
}

/* One line: split, run, and print nothing extra. Returns an exit code or
 * CONSOLE_QUIT; a blank or comment line is 0. */
static int
console_line(struct ctl *c, const char *line)
{
	struct ctl_err e;
	char **argv;
	int argc, ret;

	argc = ctl_split(line, &argv, &e);
	if (argc < 0) {
		fprintf(stderr, "castgatectl: %s\n", e.msg);
		return CTL_EXIT_USAGE;
	}
	ret = argc == 0 ? CTL_EXIT_OK : console_exec(c, argc, argv);
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

/* -f FILE or a piped stdin: every line runs; the first failure's code is the
 * exit status. */
static int
console_script(struct ctl *c, FILE *in, const char *name)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned int lineno = 0, failed = 0, first_line = 0;
	int first = CTL_EXIT_OK, ret;

	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (blank(line))
			continue;
		fprintf(c->out, "%s%s\n", PROMPT, line);
		fflush(c->out);
		ret = console_line(c, line);
		if (ret == CONSOLE_QUIT)
			break;
		if (ret != CTL_EXIT_OK) {
			failed++;
			if (first == CTL_EXIT_OK) {
				first = ret;
				first_line = lineno;
			}
		}
	}
	free(line);
	if (ferror(in)) {
		fprintf(stderr, "castgatectl: %s: read error: %s\n", name, strerror(errno));
		if (first == CTL_EXIT_OK)
			first = CTL_EXIT_USAGE;
	}
	if (failed > 0)
		fprintf(stderr, "castgatectl: %s: %u command%s failed, the first at line %u\n",
			name, failed, failed == 1 ? "" : "s", first_line);
	return first;
}

static void
on_sigint(int sig)
{
	(void)sig;
	ctl_interrupted = 1;
}

static int
console_interactive(struct ctl *c)
{
	struct console con = { .c = c };
	struct sigaction sa;
	const char *home = getenv("HOME");
	json_object *res;
	HistEvent ev;
	int ret;

	con.hist = history_init();
	if (con.hist == NULL) {
		fprintf(stderr, "castgatectl: history_init failed\n");
		return CTL_EXIT_REFUSED;
	}
	history(con.hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(con.hist, &ev, H_SETUNIQUE, 1);
	if (home != NULL && *home != '\0') {
		snprintf(con.histfile, sizeof(con.histfile), "%s/.castgate_history", home);
		history(con.hist, &ev, H_LOAD, con.histfile); /* absent the first time */
	}
	con.el = el_init("castgatectl", stdin, stdout, stderr);
	if (con.el == NULL) {
		fprintf(stderr, "castgatectl: el_init failed\n");
		history_end(con.hist);
		return CTL_EXIT_REFUSED;
	}
	el_set(con.el, EL_EDITOR, "emacs");
	el_set(con.el, EL_SIGNAL, 1);
	el_set(con.el, EL_PROMPT, prompt);
	el_set(con.el, EL_HIST, history, con.hist);
	el_set(con.el, EL_CLIENTDATA, &con);
	el_source(con.el, NULL); /* ~/.editrc, before our Tab so that ours wins */
	el_set(con.el, EL_ADDFN, "cg-complete", "complete a castgate word", complete);
	el_set(con.el, EL_BIND, "^I", "cg-complete", NULL);

	/* Ctrl-C abandons the line being typed (or a watch), never the console. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	printf("castgate console on %s. 'help' lists the commands, Tab completes, "
	       "Ctrl-D quits.\n", c->socket);
	/* Say now when the daemon is not there, not at the first command. */
	c->quiet = true;
	ret = ctl_call(c, "system.health", NULL, &res);
	json_object_put(res);
	c->quiet = false;
	if (ret == CTL_EXIT_UNREACHABLE)
		fprintf(stderr, "castgatectl: cannot reach castgate-control at %s yet; each "
			"command tries again\n", c->socket);

	for (;;) {
		const char *line;
		int count = 0;

		ctl_interrupted = 0;
		line = el_gets(con.el, &count);
		if (line == NULL || count <= 0) {
			if (ctl_interrupted || (count < 0 && errno == EINTR)) {
				/* Ctrl-C at the prompt: a fresh line */
				fputc('\n', stdout);
				el_reset(con.el);
				continue;
			}
			fputc('\n', stdout); /* Ctrl-D */
			break;
		}
		if (!blank(line)) {
			history(con.hist, &ev, H_ENTER, line);
			if (con.histfile[0] != '\0')
				history(con.hist, &ev, H_SAVE, con.histfile);
		}
		ret = console_line(c, line);
		if (ret == CONSOLE_QUIT)
			break;
	}
	el_end(con.el);
	history_end(con.hist);
	names_free(&con.names);
	return CTL_EXIT_OK;
}

int
ctl_console_run(struct ctl *c, int argc, char **argv)
{
	const char *file = NULL;
	FILE *in;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			ctl_help(stdout, "console");
			return CTL_EXIT_OK;
		}
		if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--file") == 0) &&
		    i + 1 < argc && file == NULL) {
			file = argv[++i];
			continue;
		}
		return ctl_usage_error("console", "usage: console [-f FILE]");
	}
	c->console = true;
	if (file != NULL) {
		in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
		if (in == NULL) {
			fprintf(stderr, "castgatectl: %s: %s\n", file, strerror(errno));
			return CTL_EXIT_USAGE;
		}
		ret = console_script(c, in, file);
		if (in != stdin)
			fclose(in);
		return ret;
	}
	if (!isatty(STDIN_FILENO))
		return console_script(c, stdin, "stdin");
	return console_interactive(c);
}
