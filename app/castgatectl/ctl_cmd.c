/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One-shot commands: words -> JSON-RPC call -> table or raw JSON, and the
 * mapping of every failure to CONTROL.md's exit codes.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cg_rpc.h"
#include "ctl.h"

volatile int ctl_interrupted;

void
ctl_disconnect(struct ctl *c)
{
	cg_rpc_client_close(c->cl);
	c->cl = NULL;
}

/* The server closes idle clients (and says so first): a console that sat at
 * its prompt finds its socket readable or hung up. Drop it then, so that the
 * next call gets a fresh connection instead of a stale reply or a reset. */
static void
drop_if_closed(struct ctl *c)
{
	struct pollfd p;

	if (c->cl == NULL)
		return;
	p.fd = cg_rpc_client_fd(c->cl);
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) > 0)
		ctl_disconnect(c);
}

static int
connect_error(struct ctl *c, int e)
{
	const char *hint = "";

	if (e == ENOENT || e == ECONNREFUSED)
		hint = " (is castgate running? set the socket with -s or $CASTGATE_SOCKET)";
	else if (e == EACCES || e == EPERM)
		hint = " (is your user in the castgate group?)";
	fprintf(stderr, "castgatectl: cannot reach castgate-control at %s: %s%s\n", c->socket,
		strerror(e), hint);
	/* Even EACCES: the kernel kept us from reaching it; 5 means the daemon
	 * itself refused a method (-32001). */
	return CTL_EXIT_UNREACHABLE;
}

static int
code_exit(int code)
{
	switch (code) {
	case CG_RPC_E_NOT_FOUND:
		return CTL_EXIT_NOT_FOUND;
	case CG_RPC_E_PERMISSION:
		return CTL_EXIT_PERMISSION;
	default:
		return CTL_EXIT_REFUSED;
	}
}

int
ctl_call(struct ctl *c, const char *method, json_object *params, json_object **result)
{
	struct cg_rpc_error err;
	int ret;

	*result = NULL;
	drop_if_closed(c);
	if (c->cl == NULL) {
		c->cl = cg_rpc_client_connect(c->socket, c->timeout_ms);
		if (c->cl == NULL) {
			/* the console says "reconnected" once it is back */
			if (c->console)
				c->lost = true;
			if (c->quiet)
				return CTL_EXIT_UNREACHABLE;
			return connect_error(c, errno);
		}
		if (c->lost && !c->quiet) {
			fprintf(stderr, "castgatectl: reconnected to %s\n", c->socket);
			c->lost = false;
		}
	}
	memset(&err, 0, sizeof(err));
	ret = cg_rpc_call(c->cl, method, params, result, &err, c->timeout_ms);
	if (ret == 0)
		return CTL_EXIT_OK;
	if (ret == -EREMOTEIO) {
		if (c->quiet)
			return code_exit(err.code);
		if (err.field[0] != '\0')
			fprintf(stderr, "castgatectl: %s (field %s)\n", err.message, err.field);
		else
			fprintf(stderr, "castgatectl: %s\n", err.message);
		return code_exit(err.code);
	}
	/* Transport failure: the connection cannot be trusted any more. */
	ctl_disconnect(c);
	c->lost = true;
	if (c->quiet)
		return CTL_EXIT_UNREACHABLE;
	fprintf(stderr, "castgatectl: %s: connection to castgate-control at %s %s%s%s\n", method,
		c->socket,
		ret == -ETIMEDOUT ? "timed out" : ret == -ECONNRESET ? "was closed" : "failed: ",
		ret == -ETIMEDOUT || ret == -ECONNRESET ? "" :
		ret == -EPROTO ? "malformed reply" : strerror(-ret),
		c->console ? " (reconnecting on the next command)" : "");
	return CTL_EXIT_UNREACHABLE;
}

int
ctl_usage_error(const char *topic, const char *fmt, ...)
{
	va_list ap;

	fputs("castgatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (topic != NULL)
		fprintf(stderr, "\nTry 'castgatectl %s --help'.\n", topic);
	else
		fprintf(stderr, "\nTry 'castgatectl --help'.\n");
	return CTL_EXIT_USAGE;
}

static void
print_json(struct ctl *c, json_object *res, bool compact)
{
	int flags = compact ? JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE :
		CTL_JSON_PRETTY;

	fprintf(c->out, "%s\n", json_object_to_json_string_ext(res, flags));
}

typedef void (*render_fn)(FILE *f, json_object *res);

/* Call and print: the raw result with --json, else the table. Takes params. */
static int
call_print(struct ctl *c, const char *method, json_object *params, render_fn render)
{
	json_object *res;
	int ret;

	ret = ctl_call(c, method, params, &res);
	json_object_put(params);
	if (ret != CTL_EXIT_OK)
		return ret;
	if (c->json)
		print_json(c, res, false);
	else
		render(c->out, res);
	json_object_put(res);
	return CTL_EXIT_OK;
}

static json_object *
name_params(const char *key, const char *name)
{
	json_object *p = json_object_new_object();

	if (p != NULL)
		json_object_object_add(p, key, json_object_new_string(name));
	return p;
}

static bool
is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

static bool
has_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (is_help(argv[i]))
			return true;
	return false;
}

/* Read all of FILE ("-" = stdin) into a string. */
static char *
slurp(const char *path, struct ctl_err *e)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		ctl_err_set(e, NULL, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nb;

			/* rules are small; the server refuses over 1 MiB anyway */
			if (cap > (2u << 20)) {
				ctl_err_set(e, NULL, "%s: larger than 2 MiB", path);
				free(buf);
				buf = NULL;
				break;
			}
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				ctl_err_set(e, NULL, "out of memory");
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				ctl_err_set(e, NULL, "%s: %s", path, strerror(errno));
				free(buf);
				buf = NULL;
			} else {
				buf[len] = '\0';
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

static void
print_rule_err(const struct ctl_err *e)
{
	if (e->field[0] != '\0')
		fprintf(stderr, "castgatectl: %s (field %s)\n", e->msg, e->field);
	else
		fprintf(stderr, "castgatectl: %s\n", e->msg);
}

/* rule add / rule update: from options or from --file. */
static int
rule_change(struct ctl *c, const char *sub, int argc, char **argv)
{
	const char *method = strcmp(sub, "add") == 0 ? "rule.add" : "rule.update";
	const char *file = NULL;
	struct cg_rule r;
	struct ctl_err e = { 0 };
	json_object *params, *res;
	int ret;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--file") == 0 || strcmp(argv[i], "-f") == 0) {
			if (i + 1 >= argc)
				return ctl_usage_error("rule",
						       "--file needs a path (or - for stdin)");
			file = argv[i + 1];
			if (argc != 2)
				return ctl_usage_error("rule", "rule %s --file takes nothing else: "
						       "the file has the whole rule", sub);
		} else if (strncmp(argv[i], "--file=", 7) == 0) {
			file = argv[i] + 7;
			if (argc != 1)
				return ctl_usage_error("rule", "rule %s --file takes nothing else: "
						       "the file has the whole rule", sub);
		}
	}
	if (file != NULL) {
		char *text = slurp(file, &e);

		if (text == NULL) {
			print_rule_err(&e);
			return CTL_EXIT_USAGE;
		}
		ret = ctl_rule_from_text(text, &r, &e);
		free(text);
		if (ret < 0) {
			fprintf(stderr, "castgatectl: %s: ", file);
			if (e.field[0] != '\0')
				fprintf(stderr, "%s (field %s)\n", e.msg, e.field);
			else
				fprintf(stderr, "%s\n", e.msg);
			return CTL_EXIT_USAGE;
		}
	} else {
		if (argc == 0)
			return ctl_usage_error("rule", "rule %s needs NAME --in ... --out ... "
					       "or --file FILE", sub);
		if (ctl_rule_from_args(argc, argv, &r, &e) < 0) {
			print_rule_err(&e);
			return CTL_EXIT_USAGE;
		}
	}
	params = ctl_rule_params(&r);
	if (params == NULL) {
		fprintf(stderr, "castgatectl: out of memory\n");
		return CTL_EXIT_REFUSED;
	}
	ret = ctl_call(c, method, params, &res);
	json_object_put(params);
	if (ret != CTL_EXIT_OK)
		return ret;
	c->changed = true;
	if (c->json)
		print_json(c, res, false);
	else
		ctl_fmt_rule_change(c->out, strcmp(sub, "add") == 0 ? "added" : "updated", res);
	json_object_put(res);
	return CTL_EXIT_OK;
}

static int
cmd_rule(struct ctl *c, int argc, char **argv)
{
	const char *sub;
	json_object *res;
	int ret;

	if (argc < 2 || has_help(argc, argv)) {
		if (argc < 2 && !has_help(argc, argv))
			return ctl_usage_error("rule", "rule needs a subcommand: list, show, add, "
					       "update, del");
		ctl_help(stdout, "rule");
		return CTL_EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "list") == 0 || strcmp(sub, "ls") == 0) {
		if (argc != 2)
			return ctl_usage_error("rule", "rule list takes no arguments");
		return call_print(c, "rule.list", NULL, ctl_fmt_rule_list);
	}
	if (strcmp(sub, "show") == 0 || strcmp(sub, "get") == 0) {
		if (argc != 3)
			return ctl_usage_error("rule", "usage: rule show NAME");
		return call_print(c, "rule.get", name_params("name", argv[2]), ctl_fmt_rule_show);
	}
	if (strcmp(sub, "del") == 0 || strcmp(sub, "delete") == 0 || strcmp(sub, "rm") == 0 ||
	    strcmp(sub, "remove") == 0) {
		json_object *p;

		if (argc != 3)
			return ctl_usage_error("rule", "usage: rule del NAME");
		p = name_params("name", argv[2]);
		ret = ctl_call(c, "rule.remove", p, &res);
		json_object_put(p);
		if (ret != CTL_EXIT_OK)
			return ret;
		c->changed = true;
		if (c->json)
			print_json(c, res, false);
		else
			fprintf(c->out, "rule %s removed\n", argv[2]);
		json_object_put(res);
		return CTL_EXIT_OK;
	}
	if (strcmp(sub, "add") == 0 || strcmp(sub, "update") == 0)
		return rule_change(c, sub, argc - 2, argv + 2);
	return ctl_usage_error("rule", "unknown rule subcommand \"%s\" (list, show, add, update, "
			       "del)", sub);
}

static void
on_sigint(int sig)
{
	(void)sig;
	ctl_interrupted = 1;
}

/* Sleep, cut short by Ctrl-C. */
static void
watch_sleep(double secs)
{
	struct timespec ts;

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (!ctl_interrupted && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
stats_watch(struct ctl *c, json_object *params, double secs)
{
	struct sigaction sa, old;
	bool tty = isatty(fileno(c->out));
	bool first = true;
	int ret = CTL_EXIT_OK;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: Ctrl-C must cut the sleep and a pending call short */
	sigaction(SIGINT, &sa, &old);
	ctl_interrupted = 0;
	while (!ctl_interrupted) {
		json_object *res;
		char *buf = NULL;
		size_t len = 0;
		FILE *m;

		ret = ctl_call(c, "stats.get", params, &res);
		if (ctl_interrupted) {
			json_object_put(res);
			break;
		}
		if (ret == CTL_EXIT_UNREACHABLE) {
			/* control restarts within seconds: keep watching */
			watch_sleep(secs);
			continue;
		}
		if (ret != CTL_EXIT_OK)
			break;
		m = open_memstream(&buf, &len);
		if (m == NULL) {
			json_object_put(res);
			ret = CTL_EXIT_REFUSED;
			break;
		}
		if (c->json)
			fprintf(m, "%s\n", json_object_to_json_string_ext(res,
					JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			ctl_fmt_stats(m, res);
		fclose(m);
		json_object_put(res);
		/* one write per refresh, so that the screen never shows half a table */
		if (tty && !c->json)
			fputs("\033[H\033[2J", c->out);
		else if (!first && !c->json)
			fputs("\n", c->out);
		fwrite(buf, 1, len, c->out);
		if (tty && !c->json)
			fprintf(c->out, "\n(every %g s; Ctrl-C to stop)\n", secs);
		fflush(c->out);
		free(buf);
		first = false;
		watch_sleep(secs);
	}
	sigaction(SIGINT, &old, NULL);
	if (ctl_interrupted) {
		ctl_interrupted = 0;
		if (tty)
			fputc('\n', c->out); /* the shell's prompt after "^C", not on it */
		return CTL_EXIT_OK;
	}
	return ret;
}

static int
cmd_stats(struct ctl *c, int argc, char **argv)
{
	const char *rule = NULL;
	double watch = 0;
	json_object *params = NULL;
	int ret;

	if (has_help(argc, argv)) {
		ctl_help(stdout, "stats");
		return CTL_EXIT_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "clear") == 0) {
		json_object *res;

		if (argc != 2)
			return ctl_usage_error("stats", "stats clear takes no arguments");
		ret = ctl_call(c, "stats.clear", NULL, &res);
		if (ret != CTL_EXIT_OK)
			return ret;
		if (c->json) {
			print_json(c, res, false);
		} else {
			json_object *ms;
			char when[32] = "now";

			if (json_object_object_get_ex(res, "cleared_unix_ms", &ms)) {
				time_t t = (time_t)(json_object_get_int64(ms) / 1000);
				struct tm tm;

				localtime_r(&t, &tm);
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			}
			fprintf(c->out, "statistics cleared at %s\n", when);
		}
		json_object_put(res);
		return CTL_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rule") == 0 || strcmp(argv[i], "-r") == 0) {
			if (i + 1 >= argc)
				return ctl_usage_error("stats", "--rule needs a rule NAME");
			rule = argv[++i];
		} else if (strncmp(argv[i], "--rule=", 7) == 0) {
			rule = argv[i] + 7;
		} else if (strcmp(argv[i], "--watch") == 0 || strcmp(argv[i], "-w") == 0 ||
			   strncmp(argv[i], "--watch=", 8) == 0) {
			const char *v = NULL;
			char *end;

			watch = 1;
			if (argv[i][1] == '-' && argv[i][7] == '=')
				v = argv[i] + 8;
			else if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9')
				v = argv[++i];
			if (v != NULL) {
				errno = 0;
				watch = strtod(v, &end);
				if (errno != 0 || *end != '\0' || !isfinite(watch) || watch < 0.1 ||
				    watch > 86400)
					return ctl_usage_error("stats", "--watch: \"%s\" is "
							       "not a number of seconds in "
							       "0.1..86400", v);
			}
		} else {
			return ctl_usage_error("stats", "unexpected \"%s\"", argv[i]);
		}
	}
	if (rule != NULL)
		params = name_params("rule", rule);
	if (watch > 0)
		ret = stats_watch(c, params, watch);
	else
		ret = call_print(c, "stats.get", json_object_get(params), ctl_fmt_stats);
	json_object_put(params);
	return ret;
}

static int
cmd_port(struct ctl *c, int argc, char **argv)
{
	if (has_help(argc, argv)) {
		ctl_help(stdout, "port");
		return CTL_EXIT_OK;
	}
	if (argc == 2 && (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "ls") == 0))
		return call_print(c, "port.list", NULL, ctl_fmt_port_list);
	if (argc == 3 && strcmp(argv[1], "show") == 0)
		return call_print(c, "port.get", name_params("name", argv[2]), ctl_fmt_port_show);
	return ctl_usage_error("port", "usage: port list | port show NAME");
}

/* system health: exit 1 when degraded, so that a monitor can just run it. */
static int
cmd_system(struct ctl *c, int argc, char **argv)
{
	json_object *res, *st;
	int ret;

	if (has_help(argc, argv)) {
		ctl_help(stdout, "system");
		return CTL_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[1], "info") == 0)
		return call_print(c, "system.info", NULL, ctl_fmt_system_info);
	if (argc != 2 || strcmp(argv[1], "health") != 0)
		return ctl_usage_error("system", "usage: system info | system health");
	ret = ctl_call(c, "system.health", NULL, &res);
	if (ret != CTL_EXIT_OK)
		return ret;
	if (c->json)
		print_json(c, res, false);
	else
		ctl_fmt_health(c->out, res);
	if (!json_object_object_get_ex(res, "status", &st) ||
	    strcmp(json_object_get_string(st), "ok") != 0)
		ret = CTL_EXIT_REFUSED;
	json_object_put(res);
	return ret;
}

static int
cmd_config(struct ctl *c, int argc, char **argv)
{
	json_object *res, *params = NULL, *v;
	int ret;

	if (has_help(argc, argv)) {
		ctl_help(stdout, "config");
		return CTL_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[1], "reload") == 0) {
		ret = call_print(c, "config.reload", NULL, ctl_fmt_reload);
		if (ret == CTL_EXIT_OK)
			c->changed = true;
		return ret;
	}
	if ((argc != 2 && argc != 3) || strcmp(argv[1], "check") != 0)
		return ctl_usage_error("config", "usage: config check [FILE] | config reload");
	if (argc == 3) {
		char *abs = realpath(argv[2], NULL);

		/* the daemon resolves relative paths from its own cwd, not ours */
		params = name_params("path", abs != NULL ? abs : argv[2]);
		free(abs);
	}
	ret = ctl_call(c, "config.check", params, &res);
	json_object_put(params);
	if (ret != CTL_EXIT_OK)
		return ret;
	/* An invalid file, or one whose reload would be refused, is a failed
	 * check: exit 1 and the reason on stderr, like a refusal. */
	if (!json_object_object_get_ex(res, "valid", &v) || !json_object_get_boolean(v) ||
	    (json_object_object_get_ex(res, "reload", &v) &&
	     json_object_object_get_ex(v, "refused", NULL)))
		ret = CTL_EXIT_REFUSED;
	if (c->json) {
		print_json(c, res, false);
	} else if (ret != CTL_EXIT_OK) {
		fputs("castgatectl: ", stderr);
		ctl_fmt_config_check(stderr, res);
	} else {
		ctl_fmt_config_check(c->out, res);
	}
	json_object_put(res);
	return ret;
}

static int
cmd_call(struct ctl *c, int argc, char **argv)
{
	json_object *params = NULL, *res;
	int ret;

	if (argc < 2 || argc > 3 || is_help(argv[1])) {
		if (argc >= 2 && is_help(argv[1])) {
			ctl_help(stdout, "call");
			return CTL_EXIT_OK;
		}
		return ctl_usage_error("call", "usage: call METHOD [JSON-PARAMS]");
	}
	if (argc == 3) {
		enum json_tokener_error je;

		params = json_tokener_parse_verbose(argv[2], &je);
		if (params == NULL || !(json_object_is_type(params, json_type_object) ||
					json_object_is_type(params, json_type_array))) {
			json_object_put(params);
			return ctl_usage_error("call",
					       "JSON-PARAMS must be a JSON object or array%s%s",
					       params == NULL ? ": " : "",
					       params == NULL ? json_tokener_error_desc(je) : "");
		}
	}
	ret = ctl_call(c, argv[1], params, &res);
	json_object_put(params);
	if (ret != CTL_EXIT_OK)
		return ret;
	/* call is for scripts and curiosity: always the JSON */
	print_json(c, res, false);
	json_object_put(res);
	return CTL_EXIT_OK;
}

static const char *const commands[] = {
	"rule", "stats", "port", "system", "config", "call", "help", NULL
};

bool
ctl_cmd_known(const char *word)
{
	for (size_t i = 0; commands[i] != NULL; i++)
		if (strcmp(word, commands[i]) == 0)
			return true;
	return false;
}

int
ctl_cmd_run(struct ctl *c, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "rule") == 0 || strcmp(cmd, "rules") == 0)
		return cmd_rule(c, argc, argv);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(c, argc, argv);
	if (strcmp(cmd, "port") == 0 || strcmp(cmd, "ports") == 0)
		return cmd_port(c, argc, argv);
	if (strcmp(cmd, "system") == 0)
		return cmd_system(c, argc, argv);
	if (strcmp(cmd, "config") == 0)
		return cmd_config(c, argc, argv);
	if (strcmp(cmd, "call") == 0)
		return cmd_call(c, argc, argv);
	if (strcmp(cmd, "help") == 0) {
		if (argc > 2)
			return ctl_usage_error(NULL, "usage: help [COMMAND]");
		return ctl_help(stdout, argc == 2 ? argv[1] : NULL) == 0 ? CTL_EXIT_OK :
			CTL_EXIT_USAGE;
	}
	return ctl_usage_error(NULL, "unknown command \"%s\"", cmd);
}
