/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON-RPC side: a command line -> its row of the table -> a call ->
 * a table or raw JSON, and the mapping of every failure to the exit codes;
 * the handlers of the rows that need more than one call and one renderer.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include "cg_rpc.h"
#include "ctl.h"

volatile int ctl_interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	ctl_interrupted = 1;
}

void
ctl_catch_sigint(struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: Ctrl-C must cut a sleep and a pending call short */
	sigaction(SIGINT, &sa, old);
}

void
ctl_disconnect(struct ctl *c)
{
	cg_rpc_client_close(c->cl);
	c->cl = NULL;
}

/* The server closes idle clients (and says so first): a console that sat at
 * its prompt finds its socket readable or hung up. Drop it then, so that the
 * next call gets a fresh connection instead of a stale reply or a reset. A
 * close without that word is a control process that went away (its
 * stats.clear baselines with it): the console says so once it is back. */
static void
drop_if_closed(struct ctl *c)
{
	struct pollfd p;
	char b;

	if (c->cl == NULL)
		return;
	p.fd = cg_rpc_client_fd(c->cl);
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0)
		return;
	if (c->console && recv(p.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
		c->lost = true;
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
	return CG_EXIT_UNAVAILABLE;
}

/* castgatectl: [PREFIX: ]MESSAGE[ (field FIELD)] */
static void
print_err(const char *prefix, const char *msg, const char *field)
{
	fprintf(stderr, "castgatectl: %s%s%s%s%s%s\n", prefix ? prefix : "", prefix ? ": " : "",
		msg, field[0] ? " (field " : "", field, field[0] ? ")" : "");
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
			if (c->quiet || c->retrying)
				return CG_EXIT_UNAVAILABLE;
			return connect_error(c, errno);
		}
		if (c->lost && !c->quiet && !c->retrying) {
			fprintf(stderr, "castgatectl: reconnected to %s\n", c->socket);
			c->lost = false;
		}
	}
	memset(&err, 0, sizeof(err));
	ret = cg_rpc_call(c->cl, method, params, result, &err, c->timeout_ms);
	if (ret == 0)
		return CG_EXIT_OK;
	if (ret == -EREMOTEIO) {
		if (!c->quiet)
			print_err(NULL, err.message, err.field);
		return err.code == CG_RPC_E_NOT_FOUND ? CG_EXIT_NOT_FOUND :
			err.code == CG_RPC_E_PERMISSION ? CG_EXIT_NOPERM : CG_EXIT_FAILURE;
	}
	/* Transport failure: the connection cannot be trusted any more. */
	ctl_disconnect(c);
	c->lost = true;
	if (c->quiet || c->retrying)
		return CG_EXIT_UNAVAILABLE;
	fprintf(stderr, "castgatectl: %s: connection to castgate-control at %s %s%s%s\n", method,
		c->socket,
		ret == -ETIMEDOUT ? "timed out" : ret == -ECONNRESET ? "was closed" : "failed: ",
		ret == -ETIMEDOUT || ret == -ECONNRESET ? "" :
		ret == -EPROTO ? "malformed reply" : strerror(-ret),
		c->console ? " (reconnecting on the next command)" : "");
	return CG_EXIT_UNAVAILABLE;
}

/* The command being run comes from the console: its hints name console lines. */
static bool usage_in_console;

int
ctl_usage_error(const char *topic, const char *fmt, ...)
{
	const char *pre = usage_in_console ? "" : "castgatectl ";
	va_list ap;

	fputs("castgatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (topic != NULL)
		fprintf(stderr, "\nTry '%s%s --help'.\n", pre, topic);
	else
		fprintf(stderr, "\nTry '%s'.\n", usage_in_console ? "help" : "castgatectl --help");
	return CG_EXIT_USAGE;
}

static void
print_json(struct ctl *c, json_object *res)
{
	fprintf(c->out, "%s\n", json_object_to_json_string_ext(res, CTL_JSON_PRETTY));
}

static json_object *
name_params(const char *key, const char *name)
{
	json_object *p = json_object_new_object();

	if (p != NULL)
		json_object_object_add(p, key, json_object_new_string(name));
	return p;
}

/* An argument's value as JSON, by its kind in the usage: N (or ID) a number when it is
 * one (the server checks the range), CLASSES a comma-separated array, FILE an
 * absolute path (the daemon resolves relative ones from its own cwd). */
static json_object *
arg_json(const char *kind, const char *v)
{
	json_object *j;
	char *end, *abs;
	long long n;

	if (strcmp(kind, "N") == 0 || strcmp(kind, "ID") == 0) {
		n = strtoll(v, &end, 10);
		if (end != v && *end == '\0')
			return json_object_new_int64(n);
	}
	if (strcmp(kind, "CLASSES") == 0) {
		j = json_object_new_array();
		for (; j != NULL && *v != '\0'; v += *v == ',') {
			size_t len = strcspn(v, ",");

			json_object_array_add(j, json_object_new_string_len(v, (int)len));
			v += len;
		}
		return j;
	}
	if (strcmp(kind, "FILE") == 0 && (abs = ctl_abs_path(v)) != NULL) {
		j = json_object_new_string(abs);
		free(abs);
		return j;
	}
	return json_object_new_string(v);
}

char *
ctl_abs_path(const char *path)
{
	char *abs = realpath(path, NULL), *cwd;

	if (abs != NULL || path[0] == '/')
		return abs != NULL ? abs : strdup(path);
	/* A file that is not there: its name from here, so that the daemon says
	 * "No such file" rather than "not an absolute path". */
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return NULL;
	if (asprintf(&abs, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path) < 0)
		abs = NULL;
	free(cwd);
	return abs;
}

/* A command's params from its words: the positional as params[cmd->param], and
 * each option by its name ("--port" is params.port), but for SECONDS, which
 * are castgatectl's own. NULL when there are none. */
static json_object *
params_of(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	const struct ctl_usage *u = a->u;
	json_object *p = json_object_new_object();

	if (p != NULL && a->npos > 0 && cmd->param != NULL)
		json_object_object_add(p, cmd->param, arg_json(u->pos[0], a->pos[0]));
	for (int k = 0; p != NULL && k < u->nopt; k++)
		if (a->val[k] != NULL && u->kind[k] != NULL && strcmp(u->kind[k], "SECONDS") != 0)
			json_object_object_add(p, u->opt[k] + 2, arg_json(u->kind[k], a->val[k]));
	if (p != NULL && json_object_object_length(p) == 0) {
		json_object_put(p);
		p = NULL;
	}
	return p;
}

/* Whether a result fails by the row's flags (exit status 1). */
static bool
result_fails(const struct ctl_cmd *cmd, json_object *res)
{
	json_object *v;

	if ((cmd->flags & CTL_CMD_STATUS) && (!json_object_object_get_ex(res, "status", &v) ||
					      strcmp(json_object_get_string(v), "ok") != 0))
		return true;
	return (cmd->flags & CTL_CMD_VALID) &&
		(!json_object_object_get_ex(res, "valid", &v) || !json_object_get_boolean(v) ||
		 (json_object_object_get_ex(res, "reload", &v) &&
		  json_object_object_get_ex(v, "refused", NULL)));
}

/* Print a result: the raw JSON (or its pick) with --json, else through the
 * row's renderer or template; a failed CTL_CMD_VALID check on stderr. */
static void
print_result(struct ctl *c, const struct ctl_cmd *cmd, json_object *res, bool failed)
{
	FILE *f = failed && (cmd->flags & CTL_CMD_VALID) ? stderr : c->out;
	json_object *v = NULL;

	if (c->json) {
		if (cmd->pick != NULL)
			json_object_object_get_ex(res, cmd->pick, &v);
		print_json(c, cmd->pick != NULL ? v : res);
		return;
	}
	if (f == stderr)
		fputs("castgatectl: ", f);
	if (cmd->render != NULL)
		cmd->render(f, res);
	else
		ctl_fmt_tpl(f, res, cmd->say);
}

/* Call the row's method and print its result. Takes params. */
static int
call_print(struct ctl *c, const struct ctl_cmd *cmd, json_object *params)
{
	json_object *res;
	int ret;

	ret = ctl_call(c, cmd->method, params, &res);
	json_object_put(params);
	if (ret != CG_EXIT_OK)
		return ret;
	if (cmd->flags & CTL_CMD_CHANGES)
		c->changed = true;
	if (result_fails(cmd, res))
		ret = CG_EXIT_FAILURE;
	print_result(c, cmd, res, ret != CG_EXIT_OK);
	json_object_put(res);
	return ret;
}

/* All of FILE ("-" = stdin) as a string. */
static char *
read_all(const char *path, struct ctl_err *e)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = -1;

	if (f != NULL)
		n = getdelim(&buf, &cap, '\0', f);
	if (f == NULL || ferror(f))
		ctl_err_set(e, NULL, "%s: %s", path, strerror(errno));
	else if (n > (2 << 20)) /* rules are small; the server refuses over 1 MiB anyway */
		ctl_err_set(e, NULL, "%s: larger than 2 MiB", path);
	else if (n < 0 && (buf = realloc(buf, 1)) != NULL)
		buf[0] = '\0'; /* empty */
	if (f != NULL && f != stdin)
		fclose(f);
	if (e->msg[0] != '\0') {
		free(buf);
		return NULL;
	}
	return buf;
}

/* rule add / rule update: from options or from --file. */
int
ctl_run_rule_change(struct ctl *c, const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	int argc = a->argc, ret;
	char **argv = a->argv;
	const char *file = NULL;
	struct ctl_err e = { 0 };
	struct ctl_usage u;
	struct cg_rule r;
	json_object *params;
	bool inline_val;
	char *text;

	/* --file FILE (also -f FILE, --file=FILE), else the rule's words */
	ctl_usage_parse("--file FILE", &u);
	if (argc > 0 && ctl_usage_opt(&u, argv[0], &file) == 0 && file == NULL)
		file = argc > 1 ? argv[1] : "";
	inline_val = argc > 0 && strchr(argv[0], '=') != NULL;
	if (file != NULL && (*file == '\0' || argc != (inline_val ? 1 : 2)))
		return ctl_usage_error(cmd->words, "%s --file takes a path (- for stdin) and "
				       "nothing else: the file has the whole rule", cmd->words);
	if (argc == 0)
		return ctl_usage_error(cmd->words, "%s needs NAME --in ... --out ... or --file "
				       "FILE", cmd->words);
	if (file != NULL && (text = read_all(file, &e)) != NULL) {
		ret = ctl_rule_from_text(text, &r, &e);
		free(text);
	} else {
		ret = file != NULL ? -EINVAL : ctl_rule_from_args(argc, argv, &r, &e);
	}
	if (ret < 0) {
		print_err(file != NULL && e.field[0] != '\0' ? file : NULL, e.msg, e.field);
		return CG_EXIT_USAGE;
	}
	params = ctl_rule_params(&r);
	if (params == NULL) {
		fprintf(stderr, "castgatectl: out of memory\n");
		return CG_EXIT_FAILURE;
	}
	return call_print(c, cmd, params);
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
	struct sigaction old;
	bool tty = isatty(fileno(c->out));
	bool first = true;
	int ret = CG_EXIT_OK;

	ctl_catch_sigint(&old);
	ctl_interrupted = 0;
	while (!ctl_interrupted) {
		json_object *res;
		char *buf = NULL;
		size_t len = 0;
		FILE *m = NULL;

		ret = ctl_call(c, "stats.get", params, &res);
		if (ret == CG_EXIT_OK && !ctl_interrupted &&
		    (m = open_memstream(&buf, &len)) == NULL)
			ret = CG_EXIT_FAILURE;
		if (m != NULL && c->json)
			fprintf(m, "%s\n", json_object_to_json_string_ext(res,
					JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		else if (m != NULL)
			ctl_fmt_stats(m, res);
		json_object_put(res);
		if (m != NULL) {
			fclose(m);
			/* one write per refresh, so that the screen never shows half a table */
			fputs(c->json ? "" : tty ? "\033[H\033[2J" : first ? "" : "\n", c->out);
			fwrite(buf, 1, len, c->out);
			if (tty && !c->json)
				fprintf(c->out, "\n(every %g s; Ctrl-C to stop)\n", secs);
			fflush(c->out);
			free(buf);
			first = false;
		}
		/* unavailable: control restarts within seconds, keep watching */
		if (ctl_interrupted || (ret != CG_EXIT_OK && ret != CG_EXIT_UNAVAILABLE))
			break;
		watch_sleep(secs);
	}
	sigaction(SIGINT, &old, NULL);
	if (ctl_interrupted) {
		ctl_interrupted = 0;
		if (tty)
			fputc('\n', c->out); /* the shell's prompt after "^C", not on it */
		return CG_EXIT_OK;
	}
	return ret;
}

/* The SECONDS of option k into *secs (def when it has none): 0, or a usage
 * error when it is no number in 0.1..86400. */
static int
seconds_of(const struct ctl_cmd *cmd, const struct ctl_args *a, int k, double def,
	   double *secs)
{
	const char *v = a->val[k];
	char *end;

	*secs = def;
	if (v == NULL || *v == '\0')
		return CG_EXIT_OK;
	errno = 0;
	*secs = strtod(v, &end);
	if (errno != 0 || *end != '\0' || !isfinite(*secs) || *secs < 0.1 || *secs > 86400)
		return ctl_usage_error(cmd->words, "%s: \"%s\" is not a number of seconds in "
				       "0.1..86400", a->u->opt[k], v);
	return CG_EXIT_OK;
}

/* stats [--rule RULE] [--watch [SECONDS]] */
int
ctl_run_stats(struct ctl *c, const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_object *params;
	double watch;
	int ret = seconds_of(cmd, a, 1, 1, &watch);

	if (ret != CG_EXIT_OK)
		return ret;
	params = params_of(cmd, a);
	if (a->val[1] == NULL)
		return call_print(c, cmd, params);
	ret = stats_watch(c, params, watch);
	json_object_put(params);
	return ret;
}

/* Print one notification: its params as a JSON line (--json) or a line of words. */
static void
event_print(struct ctl *c, json_object *msg)
{
	json_object *ev;

	if (!json_object_object_get_ex(msg, "params", &ev))
		return;
	if (c->json)
		fprintf(c->out, "%s\n", json_object_to_json_string_ext(ev,
				JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		ctl_fmt_event(c->out, ev);
	fflush(c->out);
}

/* How long one wait for an event lasts, so that Ctrl-C is seen between two. */
#define EVENTS_POLL_MS 250
/* Between two attempts to reach a castgate-control that is restarting. */
#define EVENTS_RETRY_MS 200

/*
 * events [--types CLASSES]: subscribe on a connection of its own (the console's
 * stays a plain client) and print each event until Ctrl-C. When the
 * connection ends (castgate-control exits with its data plane, or is
 * restarted), connect again and subscribe naming the data plane we knew:
 * the server then tells a restart as dataplane.restarted.
 */
int
ctl_run_events(struct ctl *c, const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	static const char *const dp_keys[] = { "pid", "start_unix_ms" };
	struct ctl ec = { .socket = c->socket, .timeout_ms = c->timeout_ms };
	json_object *known = NULL, *params, *res, *msg, *dp, *v;
	struct sigaction old;
	int ret = CG_EXIT_OK, r;

	ctl_catch_sigint(&old);
	ctl_interrupted = 0;
	while (!ctl_interrupted) {
		params = params_of(cmd, a);
		if (params == NULL && known != NULL)
			params = json_object_new_object();
		if (known != NULL)
			json_object_object_add(params, "dataplane", json_object_get(known));
		/* once subscribed, a castgate-control that is restarting: try again */
		ec.retrying = known != NULL;
		ret = ctl_call(&ec, cmd->method, params, &res);
		json_object_put(params);
		if (ret == CG_EXIT_UNAVAILABLE && ec.retrying) {
			poll(NULL, 0, EVENTS_RETRY_MS);
			continue;
		}
		if (ret != CG_EXIT_OK)
			break;
		if (!c->json)
			ctl_fmt_tpl(stderr, res, known == NULL ?
				    "castgatectl: following events ({types,{}}) of the data plane "
				    "pid {dataplane.pid}; Ctrl-C to stop\n" :
				    "castgatectl: following again ({types,{}}), data plane pid "
				    "{dataplane.pid}\n");
		/* the data plane as the next subscribe names it: its pid and start */
		json_object_put(known);
		known = json_object_object_get_ex(res, "dataplane", &dp) ?
			json_object_new_object() : NULL;
		for (int i = 0; known != NULL && i < 2; i++)
			if (json_object_object_get_ex(dp, dp_keys[i], &v))
				json_object_object_add(known, dp_keys[i], json_object_get(v));
		json_object_put(res);
		while (!ctl_interrupted &&
		       ((r = cg_rpc_client_next(ec.cl, &msg, EVENTS_POLL_MS)) == 0 || r == -ETIMEDOUT))
			if (r == 0) {
				event_print(c, msg);
				json_object_put(msg);
			}
		ctl_disconnect(&ec);
		if (!ctl_interrupted)
			fprintf(stderr, "castgatectl: the connection to castgate-control ended; "
				"reconnecting\n");
	}
	ctl_disconnect(&ec);
	json_object_put(known);
	sigaction(SIGINT, &old, NULL);
	if (ctl_interrupted) {
		ctl_interrupted = 0;
		return CG_EXIT_OK;
	}
	return ret;
}

/* trace: trace.start, trace.get until COUNT records or --wait, trace.stop, print. */
int
ctl_run_trace(struct ctl *c, const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_object *params, *res = NULL, *recs, *n;
	struct timespec t0, now;
	struct sigaction old;
	int64_t count;
	double wait;
	int ret = seconds_of(cmd, a, 4, 10, &wait);

	if (ret != CG_EXIT_OK)
		return ret;
	/* Usage errors (exit 2, nothing sent), not the server's refusals: a trace
	 * follows a rule or a port's packets of no rule, and filters ports only. */
	if ((a->npos > 0) == (a->val[0] != NULL))
		return ctl_usage_error(cmd->words, "trace takes RULE or --port PORT, one of them");
	if (a->npos > 0 && (a->val[1] != NULL || a->val[2] != NULL))
		return ctl_usage_error(cmd->words,
				       "--destination and --dport filter a --port trace");
	params = params_of(cmd, a);
	count = json_object_object_get_ex(params, "count", &n) ? json_object_get_int64(n) : 10;
	ret = ctl_call(c, "trace.start", params, &res);
	json_object_put(params);
	json_object_put(res);
	if (ret != CG_EXIT_OK)
		return ret;
	ctl_catch_sigint(&old);
	ctl_interrupted = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		res = NULL;
		ret = ctl_call(c, "trace.get", NULL, &res);
		recs = ret == CG_EXIT_OK ? json_object_object_get(res, "records") : NULL;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ret != CG_EXIT_OK || ctl_interrupted ||
		    (int64_t)json_object_array_length(recs) >= count ||
		    (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 >= wait)
			break;
		json_object_put(res);
		watch_sleep(0.1);
	}
	sigaction(SIGINT, &old, NULL);
	recs = NULL;
	if (ctl_call(c, "trace.stop", NULL, &recs) != CG_EXIT_OK && ret == CG_EXIT_OK)
		ret = CG_EXIT_FAILURE;
	json_object_put(recs);
	if (ret == CG_EXIT_OK)
		print_result(c, cmd, res, false);
	json_object_put(res);
	return ret;
}

/* port stats|info all|PORT: testpmd's blocks, one port.get per port. */
int
ctl_run_port_blocks(struct ctl *c, const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_object *list, *ports, *name;
	int ret, r;
	size_t n;

	if (strcmp(a->pos[0], "all") != 0)
		return call_print(c, cmd, name_params("name", a->pos[0]));
	ret = ctl_call(c, "port.list", NULL, &list);
	if (ret != CG_EXIT_OK)
		return ret;
	ports = json_object_object_get_ex(list, "ports", &ports) ? ports : NULL;
	n = json_object_is_type(ports, json_type_array) ? json_object_array_length(ports) : 0;
	if (n == 0)
		fprintf(c->out, "no ports\n");
	for (size_t i = 0; i < n; i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(ports, i), "name", &name))
			continue;
		r = call_print(c, cmd, name_params("name", json_object_get_string(name)));
		if (r != CG_EXIT_OK && ret == CG_EXIT_OK)
			ret = r;
		if (r == CG_EXIT_UNAVAILABLE)
			break;
		if (!c->json && i + 1 < n)
			fputc('\n', c->out);
	}
	json_object_put(list);
	return ret;
}

/* call METHOD [JSON-PARAMS]: always the JSON, for scripts and curiosity. */
int
ctl_run_call(struct ctl *c, const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	json_object *params = NULL, *res;
	enum json_tokener_error je;
	int ret;

	(void)cmd;
	if (a->npos == 2) {
		params = json_tokener_parse_verbose(a->pos[1], &je);
		if (params == NULL || !(json_object_is_type(params, json_type_object) ||
					json_object_is_type(params, json_type_array))) {
			json_object_put(params);
			if (params == NULL)
				return ctl_usage_error("call", "JSON-PARAMS is not JSON (the parser: "
						       "%s); quote it for the shell, e.g. "
						       "'{\"name\": \"cam1\"}'",
						       json_tokener_error_desc(je));
			return ctl_usage_error("call", "JSON-PARAMS must be a JSON object or "
					       "array, e.g. '{\"name\": \"cam1\"}'");
		}
	}
	ret = ctl_call(c, a->pos[0], params, &res);
	json_object_put(params);
	if (ret == CG_EXIT_OK)
		print_json(c, res);
	json_object_put(res);
	return ret;
}

int
ctl_run_help(struct ctl *c, const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	(void)cmd;
	return ctl_help(c->out, a->argc, a->argv) == 0 ? CG_EXIT_OK : CG_EXIT_USAGE;
}

static bool
is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

int
ctl_cmd_run(struct ctl *c, int argc, char **argv)
{
	struct ctl_names none = { 0 };
	const struct ctl_cmd *cmd;
	struct ctl_usage u;
	struct ctl_args a;
	struct ctl_err e;
	char **next, list[512] = "";
	size_t n;
	int k;

	usage_in_console = c->console;
	cmd = ctl_cmd_find(argc, argv, &k);
	for (int i = cmd != NULL ? k : 1; i < argc; i++)
		if (is_help(argv[i]))
			return ctl_help(c->out, cmd != NULL ? k : 1, argv) == 0 ? CG_EXIT_OK :
				CG_EXIT_USAGE;
	if (cmd != NULL && (cmd->flags & CTL_CMD_ONESHOT) && c->console)
		return ctl_usage_error(NULL, "already in the console");
	if (cmd != NULL && (cmd->flags & CTL_CMD_CONSOLE) && !c->console)
		return ctl_usage_error(NULL, "%s works in the console only", argv[0]);
	if (cmd != NULL)
		ctl_usage_parse(cmd->args, &u);
	if (cmd != NULL && ctl_getopt(&u, argc - k, argv + k, &a, &e) < 0)
		return ctl_usage_error(cmd->words, "%s; usage: %s %s", e.msg, cmd->words,
				       cmd->args ? cmd->args : "(no arguments)");
	if (cmd != NULL && (cmd->flags & CTL_CMD_QUIT))
		return CTL_CONSOLE_QUIT;
	if (cmd != NULL)
		return cmd->run != NULL ? cmd->run(c, cmd, &a) : call_print(c, cmd, params_of(cmd, &a));
	/* A known first word: say what may follow it. */
	n = ctl_complete(argv, 1, "", &none, &next);
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 next[i]);
	ctl_complete_free(next, n);
	if (n == 0)
		return ctl_usage_error(NULL, "unknown command \"%s\"", argv[0]);
	if (argc == 1)
		return ctl_usage_error(argv[0], "%s needs a subcommand: %s", argv[0], list);
	return ctl_usage_error(argv[0], "not a %s command: %s %s (%s)", argv[0], argv[0], argv[1],
			       list);
}

void
ctl_names_fetch(struct ctl *c, struct ctl_names *nm)
{
	bool quiet = c->quiet;

	c->quiet = true;
	ctl_call(c, "rule.list", NULL, &nm->rules);
	ctl_call(c, "port.list", NULL, &nm->ports);
	c->quiet = quiet;
}

void
ctl_names_free(struct ctl_names *n)
{
	json_object_put(n->rules);
	json_object_put(n->ports);
	memset(n, 0, sizeof(*n));
}

int
ctl_complete_run(struct ctl *c, int argc, char **argv)
{
	struct ctl_names nm = { 0 };
	char **cand;
	size_t n;

	ctl_names_fetch(c, &nm);
	n = ctl_complete(argv, argc > 0 ? argc - 1 : 0, argc > 0 ? argv[argc - 1] : "", &nm,
			 &cand);
	for (size_t i = 0; i < n; i++)
		fprintf(c->out, "%s\n", cand[i]);
	ctl_complete_free(cand, n);
	ctl_names_free(&nm);
	return CG_EXIT_OK;
}
