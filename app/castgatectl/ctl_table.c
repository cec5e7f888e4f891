/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one table of castgatectl's commands, and what is walked from it: the
 * lookup of a command line (one-shot and console alike), the help texts and
 * Tab completion. Adding a command is one row here plus, when the generic
 * "call the method, render the result" does not do, its handler.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* testpmd's `show port stats` and `show port info` of a port.get result: raw
 * counts, so that they can be compared with testpmd's. */
#define HASHES "########################"
#define PORT_STATS_BLOCK "  " HASHES " NIC statistics for port {port.port_id} ({port.name}) " \
	HASHES "\n  RX-packets: {-12 stats.rx_packets:r} RX-missed: {-12 stats.rx_missed:r} " \
	"RX-bytes:  {stats.rx_bytes:r}\n  RX-errors:  {stats.rx_errors:r}\n" \
	"  RX-nombuf:  {stats.rx_nombuf:r}\n  TX-packets: {-12 stats.tx_packets:r} TX-errors: " \
	"{-12 stats.tx_errors:r} TX-bytes:  {stats.tx_bytes:r}\n\n" \
	"  Throughput (over the last second)\n" \
	"  Rx-pps: {14 stats.rx_pps:r}          Rx-bps: {14 stats.rx_bps:r}\n" \
	"  Tx-pps: {14 stats.tx_pps:r}          Tx-bps: {14 stats.tx_bps:r}\n" \
	"  " HASHES "############################" HASHES "\n"
#define PORT_INFO_BLOCK "\n********************* Infos for port {port.port_id} ({port.name}) " \
	"*********************\nMAC address: {port.mac}\nIP address: {port.ip}\n" \
	"Device name: {port.device}\nDriver name: {port.driver}\nLink status: {port.link.up:u}\n" \
	"Link speed: {port.link.speed_mbps:m}\nLink duplex: {port.link.duplex}-duplex\n" \
	"MTU: {port.mtu}\nQueues: {port.queues}\n"

/* A process of system.info: "pid 100, up 1h 02m, 2 restarts". */
#define PROC_DESC "{pid?pid }{uptime_s:d?, up }{restarts?, }{restarts:s? restart}"

#define RULE_ARGS "NAME --in IN --out OUT [--out OUT]... [--id N] | --file FILE|-"

/* Rows in the order of the help. Without .run a row calls .method with its
 * arguments as params (its positional as params[.param], --opt VALUE as
 * params.opt) and prints the result with .render, or through the template .say
 * (ctl_fmt_tpl). .help is one line: castgatectl(8) is the full reference. */
const struct ctl_cmd ctl_cmds[] = {
	{ .words = "rule list", .aliases = "show rules", .method = "rule.list",
	  .args = "[--after ID] [--limit N]",
	  .summary = "the rules, from the config file and the API",
	  .say = "{rules!no rules\n}{rules&{#NAME|ID|ORIGIN|STATE|INPUT|OUTPUTS;lrllll;"
	  "{rule.name}|{rule.id}|{origin}|{state.status?}{state.status!-}|" CTL_INPUT_DESC
	  ";rule.output;" CTL_OUTPUT_DESC "}{:c} rule{:s}\n}"
	  "{next_after&more: rule list --after {}\n}" },
	{ .words = "rule show", .aliases = "show rule", .method = "rule.get", .args = "RULE",
	  .param = "name", .summary = "one rule with its counters and rates",
	  .render = ctl_fmt_rule_show },
	{ .words = "rule add", .aliases = "add rule", .method = "rule.add", .args = RULE_ARGS,
	  .summary = "add a rule (durable: on disk before the reply)",
	  .help = "  IN: PORT,GROUP,DPORT[,source=IP][,min_ttl=N]  "
	  "OUT: PORT,DST,DPORT[,ttl=N][,sport=N][,source=IP][,mac=MAC]\n",
	  .run = ctl_run_rule_change,
	  .say = "rule {rule.name} added (id {rule.id}, origin {origin})\n",
	  .flags = CTL_CMD_CHANGES },
	{ .words = "rule update", .method = "rule.update", .args = RULE_ARGS,
	  .summary = "replace the API rule of that name",
	  .help = "  The same forms as rule add; without --id the rule keeps its id.\n",
	  .run = ctl_run_rule_change,
	  .say = "rule {rule.name} updated (id {rule.id}, origin {origin})\n",
	  .flags = CTL_CMD_CHANGES },
	{ .words = "rule remove", .aliases = "rule del|del rule", .method = "rule.remove",
	  .args = "RULE", .param = "name", .summary = "remove an API rule",
	  .help = "  Config rules are removed by editing the file and reloading.\n",
	  .say = "rule {name} removed\n", .flags = CTL_CMD_CHANGES },
	{ .words = "stats", .aliases = "show stats", .method = "stats.get",
	  .args = "[--rule RULE] [--watch [SECONDS]]",
	  .summary = "counters and rates of rules, ports, lcores, drops",
	  .help = "  --watch refreshes every SECONDS (default 1, 0.1..86400) until Ctrl-C.\n",
	  .run = ctl_run_stats, .render = ctl_fmt_stats },
	{ .words = "stats clear", .aliases = "clear stats", .method = "stats.clear",
	  .summary = "count from zero again",
	  .help = "  Resets what castgatectl shows, never the data plane's own counters.\n",
	  .say = "statistics cleared at {cleared_unix_ms:t}\n" },
	{ .words = "stats drops", .aliases = "show drops", .method = "stats.get", .pick = "drops",
	  .summary = "the drop count of every reason, zeros included",
	  .render = ctl_fmt_drops_all },
	{ .words = "trace", .method = "trace.get",
	  .args = "[RULE] [--port PORT] [--destination IP] [--dport N] [--count N] [--wait SECONDS]",
	  .param = "rule",
	  .summary = "follow COUNT packets of a rule, or of no rule on a port",
	  .help = "  Waits up to --wait (default 10) seconds or Ctrl-C, then prints each packet.\n",
	  .run = ctl_run_trace, .render = ctl_fmt_trace, .flags = CTL_CMD_CHANGES },
	{ .words = "port list", .method = "port.list",
	  .summary = "the ports, their addresses and links",
	  .say = "{ports!no ports\n}{ports&{#NAME|ID|DRIVER|MAC|ADDRESS|MTU|QUEUES|LINK;lrlllrrl;"
	  "{name}|{port_id}|{driver}|{mac}|{ip}|{mtu}|{queues}|{link:l}}}" },
	{ .words = "port show", .method = "port.get", .args = "PORT", .param = "name",
	  .summary = "one port with its counters and xstats",
	  .render = ctl_fmt_port_show },
	{ .words = "port stats", .aliases = "show port stats", .method = "port.get",
	  .args = "all|PORT", .summary = "port counters and rates, in testpmd's layout",
	  .run = ctl_run_port_blocks, .say = PORT_STATS_BLOCK },
	{ .words = "port info", .aliases = "show port info", .method = "port.get",
	  .args = "all|PORT", .run = ctl_run_port_blocks, .say = PORT_INFO_BLOCK,
	  .summary = "port MAC, address, driver, link, in testpmd's layout" },
	{ .words = "system info", .aliases = "show system", .method = "system.info",
	  .summary = "versions, pids, uptimes, restarts, lcores",
	  .say = "version      {version} ({dpdk_version})\nconfig       {config}\n"
	  "state file   {state_file}\nfile prefix  {file_prefix}\n"
	  "data plane   {dataplane!none}{dataplane&" PROC_DESC ", {workers} worker{workers:s}}\n"
	  "control      {control!none}{control&" PROC_DESC "}\n"
	  "supervisor   {supervisor!none}{supervisor&" PROC_DESC "}\n"
	  "{dataplane.rule_table&rule table   {rules} rule{rules:s} in {slots} slots, {bytes} "
	  "bytes ({bytes_per_slot} per slot)\n}{rpc&rpc clients  {active} active, {accepted} "
	  "accepted, {requests} requests, {errors} errors\n}"
	  "{dataplane.lcores&\n{#LCORE|ROLE|WORKER;rlr;{lcore}|{role}|{worker}}}" },
	{ .words = "system version", .aliases = "show version", .method = "system.info",
	  .summary = "the versions of castgate, DPDK and castgatectl",
	  .say = "castgate {version} (data plane {dataplane.version}, {dpdk_version}), "
	  "castgatectl " CG_VERSION "\n" },
	{ .words = "system health", .aliases = "show health", .method = "system.health",
	  .summary = "health checks (exit status 1 when degraded)", .flags = CTL_CMD_STATUS,
	  .say = "status     {status}\ndataplane  {checks.dataplane.ok:o} (pid "
	  "{checks.dataplane.pid})\nports      {checks.ports,{name} link {link_up:U}}\n"
	  "state      {checks.state.ok:o} ({checks.state.skipped} rule{checks.state.skipped:s} "
	  "skipped at start){checks.state.error?: }\n"
	  "{checks.config&config     {ok:o}{error?: }\n}" },
	{ .words = "config check", .method = "config.check", .args = "[FILE]", .param = "path",
	  .summary = "validate a config file (default: the running one)",
	  .help = "  Also lists what a reload would change; exit status 1 if it would fail.\n",
	  .render = ctl_fmt_config_check, .flags = CTL_CMD_VALID },
	{ .words = "config reload", .aliases = "reload", .method = "config.reload",
	  .summary = "apply the config file's [[rule]] changes", .flags = CTL_CMD_CHANGES,
	  .say = "config reloaded; config rules:\n  added    {added,{}}\n  updated  {updated,{}}\n"
	  "  removed  {removed,{}}\n",
	  .help = "  The same as SIGHUP; [[port]] and [dataplane] changes need a restart.\n" },
	{ .words = "events", .aliases = "show events", .method = "events.subscribe",
	  .args = "[--types CLASSES]",
	  .summary = "follow links, pauses, silence alarms, restarts until Ctrl-C",
	  .help = "  One line per event (--json: each event's JSON). CLASSES, comma-"
	  "separated:\n  link, port, rule, silence, dataplane, test. Follows a control "
	  "restart.\n",
	  .run = ctl_run_events },
	{ .words = "call", .args = "METHOD [JSON-PARAMS]", .run = ctl_run_call,
	  .summary = "raw JSON-RPC call; prints the result",
	  .help = "  Example: castgatectl call stats.get '{\"rule\": \"cam1\"}' (docs/API.md)\n" },
	{ .words = "console", .args = "[-f FILE]", .summary = "interactive console (testpmd style)",
	  .help = "  With -f FILE or a piped stdin it runs each line; exit status: the first "
	  "failure's.\n",
	  .run = ctl_console_run, .flags = CTL_CMD_ONESHOT },
	{ .words = "help", .aliases = "?", .args = "[COMMAND...]", .run = ctl_run_help,
	  .summary = "this text, or a command's" },
	{ .words = "quit", .aliases = "exit", .summary = "leave the console (Ctrl-D too)",
	  .flags = CTL_CMD_CONSOLE | CTL_CMD_QUIT },
	{ NULL },
};

#define MAX_WORDS 8
/* Room for a spelling ("show port stats") or a usage split into words. */
#define SPELLING_MAX 64

const char *
ctl_cmd_spelling(const struct ctl_cmd *cmd, int i, char *buf, size_t size)
{
	const char *p = cmd->aliases;
	size_t len;

	if (i == 0)
		return cmd->words;
	for (; p != NULL && --i > 0; p = strchr(p, '|'), p = p ? p + 1 : NULL)
		;
	if (p == NULL)
		return NULL;
	len = strcspn(p, "|");
	snprintf(buf, size, "%.*s", (int)len, p);
	return buf;
}

/* Split a spelling or usage into words (in place in buf). */
static int
words_of(const char *s, char *buf, size_t size, char **w)
{
	int n = 0;

	snprintf(buf, size, "%s", s);
	for (char *t = strtok(buf, " "); t != NULL && n < MAX_WORDS * 4; t = strtok(NULL, " "))
		w[n++] = t;
	return n;
}

/* How many leading words of the spelling sp (its *n words into w, in buf)
 * and of argv are the same. */
static int
agree(const char *sp, int argc, char *const *argv, char *buf, char **w, int *n)
{
	int k = 0;

	*n = words_of(sp, buf, SPELLING_MAX, w);
	while (k < *n && k < argc && strcmp(w[k], argv[k]) == 0)
		k++;
	return k;
}

const struct ctl_cmd *
ctl_cmd_find(int argc, char *const *argv, int *nwords)
{
	const struct ctl_cmd *best = NULL;
	char buf[64], tmp[SPELLING_MAX], *w[MAX_WORDS * 4];
	const char *sp;
	int n;

	*nwords = 0;
	for (const struct ctl_cmd *cmd = ctl_cmds; cmd->words != NULL; cmd++)
		for (int i = 0; (sp = ctl_cmd_spelling(cmd, i, buf, sizeof(buf))) != NULL; i++)
			if (agree(sp, argc, argv, tmp, w, &n) == n && n > *nwords) {
				*nwords = n;
				best = cmd;
			}
	return best;
}

/*
 * Help
 */

static const char help_head[] =
"Usage: castgatectl [OPTIONS] COMMAND [ARGS...]\n"
"\n"
"Inspect and change a running castgate relay through castgate-control's\n"
"JSON-RPC socket. The console takes the same commands.\n"
"\n"
"Commands:\n";

static const char help_tail[] =
"\n"
"Options (before COMMAND; --json also after it):\n"
"  -s, --socket PATH    the control socket; default $CASTGATE_SOCKET, else\n"
"                       control.socket of -c CONFIG, else\n"
"                       " CTL_DEFAULT_SOCKET "\n"
"  -c, --config FILE    take the socket path from this castgate.toml\n"
"      --json           print the raw JSON result instead of tables\n"
"  -t, --timeout MS     wait for the daemon at most MS ms (default 10000)\n"
"  -h, --help           this help; 'castgatectl help COMMAND' for a command's\n"
"  -V, --version        print the version\n"
"\n"
"Exit status: 0 ok, 1 refused by the daemon, 2 usage error (nothing sent),\n"
"3 daemon unreachable, 4 not found, 5 permission denied.\n";

static void
usage_line(FILE *f, const char *sp, const struct ctl_cmd *cmd, bool summary)
{
	char u[160];

	snprintf(u, sizeof(u), "%s%s%s", sp, cmd->args ? " " : "", cmd->args ? cmd->args : "");
	if (!summary)
		fprintf(f, "  castgatectl %s\n", u);
	else if (strlen(u) <= 28)
		fprintf(f, "  %-28s %s\n", u, cmd->summary);
	else
		fprintf(f, "  %s\n  %-28s %s\n", u, "", cmd->summary);
}

int
ctl_help(FILE *f, int ntopic, char *const *topic)
{
	const struct ctl_cmd *cmd;
	char buf[64], tmp[SPELLING_MAX], *w[MAX_WORDS * 4];
	const char *sp;
	int shown = 0, n;

	if (ntopic == 0) {
		fputs(help_head, f);
		for (cmd = ctl_cmds; cmd->words != NULL; cmd++)
			usage_line(f, cmd->words, cmd, true);
		fputs("\nAliases (the same commands, with the same arguments):\n", f);
		for (cmd = ctl_cmds; cmd->words != NULL; cmd++)
			for (int i = 1; (sp = ctl_cmd_spelling(cmd, i, buf, sizeof(buf))); i++)
				fprintf(f, "  %-28s %s\n", sp, cmd->words);
		fputs(help_tail, f);
		return 0;
	}
	for (cmd = ctl_cmds; cmd->words != NULL; cmd++) {
		bool match = false;

		/* the topic is the first words of one of its spellings */
		for (int i = 0; !match && (sp = ctl_cmd_spelling(cmd, i, buf, sizeof(buf))); i++)
			match = agree(sp, ntopic, topic, tmp, w, &n) == ntopic;
		if (!match)
			continue;
		fprintf(f, "%s%s: %s%s%s\n", shown++ ? "\n" : "", cmd->words, cmd->summary,
			cmd->method ? ", method " : "", cmd->method ? cmd->method : "");
		for (int i = 0; (sp = ctl_cmd_spelling(cmd, i, buf, sizeof(buf))) != NULL; i++)
			usage_line(f, sp, cmd, false);
		fputs(cmd->help ? cmd->help : "", f);
	}
	if (shown > 0)
		return 0;
	fprintf(stderr, "castgatectl: no help on \"%s\"; the commands are:\n\n", topic[0]);
	ctl_help(stderr, 0, NULL);
	return -ENOENT;
}

/*
 * Completion
 */

/* The candidates: a one-column ctl_table of the words that extend partial. */
struct cands {
	struct ctl_table t;
	const char *partial;
};

/* Add pre + w when it extends the partial word. */
static void
add2(struct cands *c, const char *pre, const char *w)
{
	if (ctl_table_add(&c->t, "%s%s", pre, w) == 0 &&
	    strncmp(c->t.cells[c->t.ncells - 1], c->partial, strlen(c->partial)) != 0)
		free(c->t.cells[--c->t.ncells]);
}

/* The names of rule.list's rules[i].rule.name or port.list's ports[i].name. */
static void
add_names(struct cands *c, json_object *res, const char *list, const char *sub,
	  const char *origin)
{
	json_object *a, *e, *v;

	json_object_object_get_ex(res, list, &a);
	for (size_t i = 0; json_object_is_type(a, json_type_array) &&
	     i < json_object_array_length(a); i++) {
		e = json_object_array_get_idx(a, i);
		if (origin != NULL && (!json_object_object_get_ex(e, "origin", &v) ||
				       strcmp(json_object_get_string(v), origin) != 0))
			continue;
		if ((sub == NULL || json_object_object_get_ex(e, sub, &e)) &&
		    json_object_object_get_ex(e, "name", &v) &&
		    json_object_is_type(v, json_type_string))
			add2(c, "", json_object_get_string(v));
	}
}

/* The next word of every spelling that starts with w[0..n-1]. */
static void
add_next_words(struct cands *c, char *const *w, int n)
{
	char buf[64], tmp[SPELLING_MAX], *sw[MAX_WORDS * 4];
	const char *sp;
	int k;

	for (const struct ctl_cmd *cmd = ctl_cmds; cmd->words != NULL; cmd++) {
		for (int i = 0; (sp = ctl_cmd_spelling(cmd, i, buf, sizeof(buf))) != NULL; i++)
			if (agree(sp, n, w, tmp, sw, &k) == n && k > n)
				add2(c, "", sw[n]);
	}
}

/* Candidates for a value of the usage's kind ("RULE", "all|PORT", "IN", "OUT"
 * (PORT,...,KEY=VALUE), "CLASSES" (a,b,...), "COMMAND"); w[0..n-1] are the
 * words typed after the command's. */
static void
add_kind(struct cands *c, const struct ctl_cmd *cmd, const char *kind, char *const *w, int n,
	 const struct ctl_names *nm)
{
	static const char *const in_keys[] = { "source=", "min_ttl=", NULL };
	static const char *const out_keys[] = { "ttl=", "sport=", "source=", "mac=", NULL };
	/* A command that changes a rule takes an API rule: config rules are the file's. */
	const char *origin = cmd->flags & CTL_CMD_CHANGES ? "api" : NULL;
	char buf[64], *alt[8];
	int nalt = 0;

	if (strcmp(kind, "IN") == 0 || strcmp(kind, "OUT") == 0) {
		const char *last = strrchr(c->partial, ',');
		int commas = 0;
		char pre[256];

		for (const char *p = c->partial; *p != '\0'; p++)
			commas += *p == ',';
		if (commas == 0) {
			add_names(c, nm->ports, "ports", NULL, NULL);
		} else if (commas >= 3 && strchr(last, '=') == NULL) {
			snprintf(pre, sizeof(pre), "%.*s", (int)(last + 1 - c->partial),
				 c->partial);
			for (const char *const *k = kind[0] == 'O' ? out_keys : in_keys; *k; k++)
				add2(c, pre, *k);
		}
		return;
	}
	if (strcmp(kind, "COMMAND") == 0) {
		add_next_words(c, w, n);
		return;
	}
	if (strcmp(kind, "CLASSES") == 0) {
		/* events.subscribe's classes (castgate-control's control_events.c) */
		static const char *const classes[] = {
			"link", "port", "rule", "silence", "dataplane", "test", NULL
		};
		const char *last = strrchr(c->partial, ',');
		char pre[256];

		snprintf(pre, sizeof(pre), "%.*s", last != NULL ? (int)(last + 1 - c->partial) : 0,
			 c->partial);
		for (const char *const *k = classes; *k != NULL; k++)
			add2(c, pre, *k);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", kind);
	for (char *t = strtok(buf, "|"); t != NULL && nalt < 8; t = strtok(NULL, "|"))
		alt[nalt++] = t;
	for (int i = 0; i < nalt; i++) {
		if (strcmp(alt[i], "RULE") == 0 ||
		    (strcmp(alt[i], "NAME") == 0 && cmd->method != NULL &&
		     strcmp(cmd->method, "rule.update") == 0))
			add_names(c, nm->rules, "rules", "rule", origin);
		else if (strcmp(alt[i], "PORT") == 0)
			add_names(c, nm->ports, "ports", NULL, NULL);
		else if (alt[i][0] >= 'a' && alt[i][0] <= 'z')
			add2(c, "", alt[i]);
	}
}

void
ctl_usage_parse(const char *args, struct ctl_usage *u)
{
	char *w[MAX_WORDS * 4];
	int n, depth = 0;

	memset(u, 0, sizeof(*u));
	n = words_of(args != NULL ? args : "", u->buf, sizeof(u->buf), w);
	u->more = args != NULL && strstr(args, "...") != NULL;
	for (int i = 0; i < n; i++) {
		bool bracket = w[i][0] == '[';
		char *t = w[i] + strspn(w[i], "[");
		size_t len = strlen(t);

		depth += (int)(t - w[i]);
		/* strip the closing brackets and dots, counting the brackets */
		for (; len > 0 && (t[len - 1] == ']' || t[len - 1] == '.'); t[--len] = '\0')
			depth -= t[len - 1] == ']';
		if (len == 0 || strcmp(t, "|") == 0)
			continue;
		if (t[0] == '-' && u->nopt < CTL_USAGE_MAX) {
			u->opt[u->nopt++] = t;
		} else if (u->nopt > 0 && u->kind[u->nopt - 1] == NULL &&
			   u->opt[u->nopt - 1] == w[i - 1] + strspn(w[i - 1], "[")) {
			/* the word after an option is its value */
			u->kind[u->nopt - 1] = t;
			u->optional[u->nopt - 1] = bracket;
		} else if (u->npos < CTL_USAGE_MAX) {
			u->nreq += depth == 0 && !bracket;
			u->pos[u->npos++] = t;
		}
	}
}

int
ctl_usage_opt(const struct ctl_usage *u, const char *w, const char **val)
{
	for (int k = 0; k < u->nopt; k++) {
		const char *o = u->opt[k];
		size_t n = strlen(o);

		*val = strncmp(w, o, n) == 0 && w[n] == '=' ? w + n + 1 : NULL;
		if (*val != NULL || strcmp(w, o) == 0 ||
		    (o[1] == '-' && w[0] == '-' && w[1] == o[2] && w[2] == '\0'))
			return k;
	}
	return -1;
}

int
ctl_getopt(const struct ctl_usage *u, int argc, char **argv, struct ctl_args *a,
	   struct ctl_err *e)
{
	const char *v;
	int k;

	memset(a, 0, sizeof(*a));
	a->u = u;
	a->argc = argc;
	a->argv = argv;
	for (int i = 0; i < argc && !u->more; i++) {
		k = ctl_usage_opt(u, argv[i], &v);
		if (k < 0 && argv[i][0] == '-' && argv[i][1] != '\0' && u->nopt > 0) {
			ctl_err_set(e, NULL, "unknown option %s", argv[i]);
			return -EINVAL;
		}
		if (k < 0) {
			if (a->npos < CTL_USAGE_MAX)
				a->pos[a->npos] = argv[i];
			a->npos++;
			continue;
		}
		/* an optional value is the next word unless that is an option */
		if (v == NULL && u->kind[k] != NULL && i + 1 < argc &&
		    (!u->optional[k] || argv[i + 1][0] != '-'))
			v = argv[++i];
		if (v == NULL && u->kind[k] != NULL && !u->optional[k]) {
			ctl_err_set(e, NULL, "%s needs %s", argv[i], u->kind[k]);
			return -EINVAL;
		}
		a->val[k] = v != NULL ? v : "";
		/* A count or an id is a number: say so here, not as the daemon's
		 * type error of a params member. Its range is the daemon's. */
		if (v != NULL && u->kind[k] != NULL && (strcmp(u->kind[k], "N") == 0 ||
							strcmp(u->kind[k], "ID") == 0) &&
		    (v[0] == '\0' || strspn(v, "0123456789") != strlen(v))) {
			ctl_err_set(e, NULL, "%s: '%s' is not a number", u->opt[k], v);
			return -EINVAL;
		}
	}
	if (!u->more && (a->npos < u->nreq || a->npos > u->npos)) {
		ctl_err_set(e, NULL, "wrong number of arguments");
		return -EINVAL;
	}
	return 0;
}

/* The arguments of cmd, walking its usage: options, their values, positionals. */
static void
complete_args(struct cands *c, const struct ctl_cmd *cmd, char *const *w, int n,
	      const struct ctl_names *nm)
{
	struct ctl_usage u;
	const char *value_of = NULL;
	int ip = 0;

	ctl_usage_parse(cmd->args, &u);
	for (int j = 0; j < n; j++) {
		int k = 0;

		while (k < u.nopt && strcmp(w[j], u.opt[k]) != 0)
			k++;
		value_of = NULL;
		if (k == u.nopt)
			ip++;
		else if (u.kind[k] != NULL && j + 1 < n)
			j++;
		else
			value_of = u.kind[k];
	}
	if (value_of != NULL) {
		add_kind(c, cmd, value_of, w, n, nm);
		return;
	}
	if (ip < u.npos || (u.npos > 0 && strcmp(u.pos[u.npos - 1], "COMMAND") == 0))
		add_kind(c, cmd, u.pos[ip < u.npos ? ip : u.npos - 1], w, n, nm);
	for (int k = 0; k < u.nopt; k++)
		add2(c, "", u.opt[k]);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t
ctl_complete(char *const *prev, int nprev, const char *partial, const struct ctl_names *names,
	     char ***out)
{
	struct cands c = { .partial = partial };
	int k = 0;
	const struct ctl_cmd *cmd = ctl_cmd_find(nprev, prev, &k);
	size_t m = 0;

	ctl_table_init(&c.t, 1, NULL, "l");
	if (cmd == NULL || k == nprev)
		add_next_words(&c, prev, nprev);
	if (cmd != NULL)
		complete_args(&c, cmd, prev + k, nprev - k, names);
	if (c.t.ncells > 0)
		qsort(c.t.cells, c.t.ncells, sizeof(char *), cmp);
	for (size_t i = 0; i < c.t.ncells; i++) {
		if (m > 0 && strcmp(c.t.cells[m - 1], c.t.cells[i]) == 0)
			free(c.t.cells[i]);
		else
			c.t.cells[m++] = c.t.cells[i];
	}
	*out = c.t.cells;
	return m;
}

void
ctl_complete_free(char **cand, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cand[i]);
	free(cand);
}

size_t
ctl_common_prefix(char *const *cand, size_t n)
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
