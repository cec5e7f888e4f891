/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_CTL_H
#define CG_CTL_H

/*
 * castgatectl internals. One table of commands (ctl_table.c) drives the
 * one-shot commands, the console, Tab and bash completion and the help;
 * ctl_cmd.c holds the JSON-RPC side and the handlers, ctl_args.c the rule
 * grammar, ctl_fmt.c the human output, ctl_console.c the libedit console.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "cg_rule.h"
#include "cg_util.h"

/* Exit codes: lib/util's enum cg_exit, as castgatectl(8) lists them. */

/* A console line asked to leave (never an exit status). */
#define CTL_CONSOLE_QUIT (-1)

/* How --json prints a result: indented, "key": value, slashes as they are. */
#define CTL_JSON_PRETTY (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
			 JSON_C_TO_STRING_NOSLASHESCAPE)

#define CTL_DEFAULT_SOCKET "/run/castgate/control.sock"
#define CTL_DEFAULT_TIMEOUT_MS 10000

/* A user-input error: the message and, when one value is to blame, the
 * JSON-RPC path of that value (the same path the server would name). */
struct ctl_err {
	char msg[512];
	char field[128];
};

void ctl_err_set(struct ctl_err *e, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ctl_args.c: the rule grammar and the console's words (pure) */

/* The rule grammar of `rule add|update` on the command line and in the
 * console: `NAME --in IN --out OUT [--out ...] [--id N]` (the words after
 * the command), IN `PORT,GROUP,DPORT[,source=IP]`, OUT
 * `PORT,DST,DPORT[,ttl=N][,sport=N][,source=IP][,mac=MAC]`. The words become
 * the rule's JSON, checked by cg_rule_from_json() as the server checks it:
 * 0, or -EINVAL with the server's message and field (params.rule.input.dport). */
int ctl_rule_from_args(int argc, char *const *argv, struct cg_rule *r, struct ctl_err *e);

/* A rule from JSON text: a rule object, or an object with a "rule" member
 * (params of rule.add, or a rule.get result). Validates. */
int ctl_rule_from_text(const char *text, struct cg_rule *r, struct ctl_err *e);

/* {"rule": RULE} for rule.add / rule.update; NULL on ENOMEM. */
json_object *ctl_rule_params(const struct cg_rule *r);

/* Parse an unsigned decimal number in [min, max]. 0 or -EINVAL. */
int ctl_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v);

/* Split a console line into words (blanks separate; '...' and "..." quote;
 * '#' starts a comment at a word start). *argv is malloc'd, words point into
 * it; free(*argv) frees all. Returns the word count, or -EINVAL with a message
 * (unterminated quote), or -ENOMEM. */
int ctl_split(const char *line, char ***argv, struct ctl_err *e);

/* ctl_fmt.c: human output (pure) */

/* A text table: columns aligned ('l' or 'r' per column), two blanks between
 * them, no trailing blanks. Cells fill the rows left to right, the headers
 * (NULL: none) first. */
#define CTL_TABLE_MAX_COLS 16
struct ctl_table {
	unsigned int ncols;
	const char *align;
	char **cells;
	size_t ncells, cap;
};

void ctl_table_init(struct ctl_table *t, unsigned int ncols, const char *const *headers,
		    const char *align);
int ctl_table_add(struct ctl_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctl_table_print(const struct ctl_table *t, FILE *f);
void ctl_table_free(struct ctl_table *t);

/* Readable numbers: "1,234,567"; three digits with an SI prefix: "950 pps",
 * "1.20 kpps", "12.3 Mpps", "13.2 MB" (unit "B"); "3d 04h", "2h 03m", "5m 12s". */
const char *ctl_fmt_count(uint64_t v, char *buf, size_t size);
const char *ctl_fmt_rate(double v, const char *unit, char *buf, size_t size);
const char *ctl_fmt_duration(uint64_t secs, char *buf, size_t size);

/* Renderers of method results that a template cannot say, named after the
 * method (rule_show: rule.get; drops_all: stats.get's drops, zeros too).
 * Missing members print as "-"; nothing here fails on an unexpected shape. */
typedef void ctl_render_fn(FILE *f, json_object *res);
ctl_render_fn ctl_fmt_rule_show, ctl_fmt_stats, ctl_fmt_drops_all, ctl_fmt_port_show,
	ctl_fmt_config_check, ctl_fmt_trace;
/* Print the template t with its placeholders replaced by members of o:
 *   {PATH}       the member at the dotted PATH (rule.name; "" is o) as text, "-" if missing
 *   {PATH:F}     a number (an array: its length) as a count (c), bytes (b), a packet (p)
 *                or bit rate (B), raw (r), a link speed in Mbps, 0 as unknown (m),
 *                seconds as a duration (d), a plural's "s"
 *                unless it is 1 (s); a link object (l); a clock time of Unix
 *                milliseconds (t; T with the ms); a bool as ok or FAILED (o), up or
 *                down (u), up or DOWN (U)
 *   {W PATH...}  in W columns (printf's %Ws; -W aligns left)
 * and, where "there" means present and not null, false, {} or [], with SUB a
 * template itself:
 *   {PATH?SUB}   SUB and the member when it is there; {PATH!SUB} SUB when not
 *   {PATH&SUB}   SUB of the member when it is there
 *   {PATH*SUB}   SUB of each element of the array; {PATH,SUB} the same, ", "
 *                between them, "-" when there is none
 *   {PATH#HEAD;ALIGN;ROW;SUB;SUBROW}  a table (ctl_table) with a row per element
 *                of the array (or the one row of the member): HEAD's and ROW's
 *                cells between '|', ALIGN 'l' or 'r' per column; with SUB, each
 *                element of the row's array SUB adds the cells SUBROW: the first
 *                completes a row short of cells ("-" when there is none), the
 *                others stand under it, in its last columns */
void ctl_fmt_tpl(FILE *f, json_object *o, const char *t);
/* A rule's input and output (rule list, rule show): "in0 239.1.1.1:5001 from
 * 198.18.0.10 min_ttl 1" and "out0 239.2.2.2:6001 ttl 7 sport 4000 source
 * 198.18.1.66 mac 02:..." */
#define CTL_INPUT_DESC "{rule.input.port} {rule.input.destination}:{rule.input.dport}" \
	"{rule.input.source? from }{rule.input.min_ttl? min_ttl }"
#define CTL_OUTPUT_DESC "{port} {destination}:{dport} ttl {ttl}{sport? sport }" \
	"{source? source }{next_hop_mac? mac }"
/* One event (the params of an "event" notification of events.subscribe) as
 * one line: local time with ms, type, then its own words; "(N events lost
 * ...)" before it when it says some were lost. */
void ctl_fmt_event(FILE *f, json_object *ev);

/* stats.get "drops": every reason with @all, else only those that counted. */
void ctl_fmt_drops(FILE *f, json_object *res, bool all);

/* ctl_table.c: the command table, help and completion */

/* A command's usage as options and positionals: "[--rule RULE] [--watch [SECONDS]]" has two
 * options, the value of the second optional; "METHOD [JSON-PARAMS]" two positionals, the
 * first required. An option --name is also -n and --name=VALUE. */
#define CTL_USAGE_MAX 16
struct ctl_usage {
	char buf[256];
	const char *opt[CTL_USAGE_MAX];  /* "--rule" */
	const char *kind[CTL_USAGE_MAX]; /* its value's kind ("RULE"), or NULL */
	bool optional[CTL_USAGE_MAX];    /* the value may be left out */
	const char *pos[CTL_USAGE_MAX];  /* "METHOD", "JSON-PARAMS" */
	int nopt, npos, nreq;            /* the first nreq positionals are required */
	bool more;                       /* "...": the handler counts the words */
};

/* A command's words sorted by its usage. */
struct ctl_args {
	const struct ctl_usage *u;
	int argc; /* the words after the command's */
	char **argv;
	const char *val[CTL_USAGE_MAX]; /* per option: NULL not given, "" without value */
	char *pos[CTL_USAGE_MAX];
	int npos;
};

void ctl_usage_parse(const char *args, struct ctl_usage *u);

/* The index of the option of u that the word w is (*val: its =VALUE, else NULL), or -1. */
int ctl_usage_opt(const struct ctl_usage *u, const char *w, const char **val);

/* Sort argv by u into a: 0, or -EINVAL with the message in e (an unknown
 * option, a missing value, too few or too many positionals). */
int ctl_getopt(const struct ctl_usage *u, int argc, char **argv, struct ctl_args *a,
	       struct ctl_err *e);

struct ctl;
struct ctl_cmd;
typedef int ctl_run_fn(struct ctl *c, const struct ctl_cmd *cmd, const struct ctl_args *a);

enum {
	CTL_CMD_CHANGES = 1 << 0, /* a success changes rules (the console refreshes names) */
	CTL_CMD_STATUS = 1 << 1,  /* exit 1 unless the result's "status" is "ok" */
	CTL_CMD_CONSOLE = 1 << 2, /* only in the console */
	CTL_CMD_ONESHOT = 1 << 3, /* only on the command line */
	CTL_CMD_QUIT = 1 << 4,    /* leaves the console */
	CTL_CMD_VALID = 1 << 5,   /* exit 1, the text on stderr, unless the result's "valid"
				   * is true and its reload not refused */
};

/* One command. Its words and aliases are how it is typed, the same on the
 * command line and in the console; its args are its usage and drive the
 * argument count and Tab (RULE and PORT complete names, COMMAND command
 * words, lower-case words themselves; --opt VALUE is an option). */
struct ctl_cmd {
	const char *words;   /* "rule list" */
	const char *aliases; /* other spellings, '|' between them, or NULL */
	const char *method;  /* the JSON-RPC method it calls, or NULL */
	const char *args;    /* "RULE", "[FILE]"; NULL: none */
	const char *param;   /* params member of the positional argument */
	const char *pick;    /* --json prints only this member of the result */
	const char *summary; /* one line for the command list */
	const char *help;    /* details and examples, lines indented by two */
	ctl_run_fn *run;     /* NULL: call method with params from the words, print */
	ctl_render_fn *render;
	const char *say;     /* without render: the result through ctl_fmt_tpl() */
	unsigned int flags;
};

/* The commands, ending with a row whose words are NULL. */
extern const struct ctl_cmd ctl_cmds[];

/* The command whose words or alias start argv (the longest), and in *nwords
 * how many words it took; NULL when none. */
const struct ctl_cmd *ctl_cmd_find(int argc, char *const *argv, int *nwords);

/* The i-th spelling of a command (0: its words, then its aliases) into buf;
 * NULL past the last. */
const char *ctl_cmd_spelling(const struct ctl_cmd *cmd, int i, char *buf, size_t size);

/* The program's help (topic NULL), or that of the commands whose spelling
 * starts with the words of topic. -ENOENT (and the program's help on
 * stderr) for an unknown topic. */
int ctl_help(FILE *f, int ntopic, char *const *topic);

/* Names known to the daemon, for completion: the results of rule.list and
 * port.list (NULL when the call failed). */
struct ctl_names {
	json_object *rules;
	json_object *ports;
};

/* The candidates for the word being typed (@partial) after the complete words
 * @prev[0..nprev-1] of a command line (without the program and its options),
 * filtered by prefix, sorted, without duplicates: malloc'd strings in a
 * malloc'd array (ctl_complete_free). Returns the count (0 on ENOMEM too). */
size_t ctl_complete(char *const *prev, int nprev, const char *partial,
		    const struct ctl_names *names, char ***out);
void ctl_complete_free(char **cand, size_t n);

/* The longest common prefix of candidates, as a length. */
size_t ctl_common_prefix(char *const *cand, size_t n);

/* ctl_cmd.c: the JSON-RPC side and the handlers */

struct cg_rpc_client;

struct ctl {
	const char *socket;
	int timeout_ms;
	bool json;                /* --json: print raw results */
	bool console;             /* running inside the console */
	FILE *out;                /* results (stdout) */
	struct cg_rpc_client *cl; /* connected lazily; NULL after a transport failure */
	bool lost;                /* a connection broke: say so when it is back */
	bool changed;             /* a changing call succeeded (console refreshes completion) */
	bool quiet;               /* ctl_call prints nothing (completion's background calls) */
	bool retrying;            /* ctl_call says nothing of a daemon it cannot reach, or is back */
};

/* Call a method; on failure print `castgatectl: MESSAGE (field F)` on stderr
 * and return the exit code (a transport failure drops the connection, so
 * the next call reconnects). On success *result is the caller's. */
int ctl_call(struct ctl *c, const char *method, json_object *params, json_object **result);
void ctl_disconnect(struct ctl *c);

/* PATH as an absolute path for the daemon, whose working directory is not
 * ours: resolved (realpath) when it exists, else joined to ours. malloc'd;
 * NULL with errno set. */
char *ctl_abs_path(const char *path);

/* Run one command line (argv[0] = "rule", "show", ...). Returns the exit
 * code, or CTL_CONSOLE_QUIT. */
int ctl_cmd_run(struct ctl *c, int argc, char **argv);

/* `castgatectl __complete WORDS... PARTIAL`: print the candidates, one a line. */
int ctl_complete_run(struct ctl *c, int argc, char **argv);

/* Fetch (quietly) the rule and port names; on failure the lists stay empty. */
void ctl_names_fetch(struct ctl *c, struct ctl_names *n);
void ctl_names_free(struct ctl_names *n);

/* Print the usage error and return CG_EXIT_USAGE. */
int ctl_usage_error(const char *topic, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* stats --watch and the console: SIGINT sets ctl_interrupted (and interrupts
 * system calls); the old action into *old unless NULL. */
extern volatile int ctl_interrupted;
struct sigaction;
void ctl_catch_sigint(struct sigaction *old);

/* Handlers of the table's rows. */
ctl_run_fn ctl_run_rule_change, ctl_run_stats, ctl_run_port_blocks, ctl_run_call, ctl_run_help,
	ctl_console_run, ctl_run_trace, ctl_run_events;

#endif /* CG_CTL_H */
