/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_CTL_H
#define CG_CTL_H

/*
 * castgatectl internals. The pure parts (argument parsing, rule building,
 * table formatting: ctl_args.c, ctl_fmt.c) take no socket and do no I/O but
 * to a FILE *, so that test_ctl.c exercises them directly; ctl_cmd.c talks
 * JSON-RPC, ctl_console.c is the libedit console, main.c the entry point.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "cg_rule.h"

/* Exit codes: CONTROL.md's contract with scripts. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_REFUSED = 1,    /* the server answered with an error (other than below) */
	CTL_EXIT_USAGE = 2,      /* bad command line / bad rule, nothing was sent */
	CTL_EXIT_UNREACHABLE = 3, /* no socket, refused, timeout, reset */
	CTL_EXIT_NOT_FOUND = 4,  /* -32002 */
	CTL_EXIT_PERMISSION = 5, /* -32001: the daemon refused the method to us */
				 /* (a socket whose mode refuses us is 3) */
};

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

/*
 * ctl_args.c: words -> rule / params (pure)
 */

/* Parse `--in PORT,GROUP,DPORT[,source=IP]` into r->in. 0 or -EINVAL. */
int ctl_parse_in(const char *spec, struct cg_rule *r, struct ctl_err *e);

/* Parse `--out PORT,DST,DPORT[,ttl=N][,sport=N][,source=IP][,mac=MAC]` as
 * output number r->n_outputs (then incremented). 0 or -EINVAL. */
int ctl_parse_out(const char *spec, struct cg_rule *r, struct ctl_err *e);

/* The one-shot form: `NAME --in ... --out ... [--out ...] [--id N]` (argv
 * after "rule add"). Validates with cg_rule_validate(). 0 or -EINVAL. */
int ctl_rule_from_args(int argc, char *const *argv, struct cg_rule *r, struct ctl_err *e);

/* The console form: `NAME in PORT GROUP DPORT [source IP] out PORT DST DPORT
 * [ttl N] [sport N] [source IP] [mac MAC] [out ...] [id N]` (words after
 * "add rule"). Validates. 0 or -EINVAL. */
int ctl_rule_from_words(int argc, char *const *argv, struct cg_rule *r, struct ctl_err *e);

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

/*
 * ctl_fmt.c: human output (pure)
 */

/* A text table: columns aligned, two blanks between them, no trailing blanks. */
struct ctl_table {
	unsigned int ncols;
	const char *const *headers; /* ncols names; NULL = no header line */
	const char *align;          /* per column: 'l' or 'r' */
	char **cells;               /* row-major, ncols per row */
	size_t ncells, cap;
	const char *indent;         /* printed before each line; NULL = "" */
};

void ctl_table_init(struct ctl_table *t, unsigned int ncols, const char *const *headers,
		    const char *align);
/* Append one cell (printf format); rows fill left to right. 0 or -ENOMEM. */
int ctl_table_add(struct ctl_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctl_table_print(const struct ctl_table *t, FILE *f);
void ctl_table_free(struct ctl_table *t);

/* Readable numbers: "1,234,567"; "950 pps", "1.20 kpps", "12.3 Mpps";
 * "0 bps", "10.5 Mbps"; "512 B", "13.2 MB"; "3d 04h", "2h 03m", "5m 12s". */
const char *ctl_fmt_count(uint64_t v, char *buf, size_t size);
const char *ctl_fmt_rate(double v, const char *unit, char *buf, size_t size);
const char *ctl_fmt_bytes(uint64_t v, char *buf, size_t size);
const char *ctl_fmt_duration(uint64_t secs, char *buf, size_t size);

/* Renderers of method results. Missing members print as "-"; nothing here
 * fails on an unexpected shape. */
void ctl_fmt_rule_list(FILE *f, json_object *res);   /* rule.list */
void ctl_fmt_rule_show(FILE *f, json_object *res);   /* rule.get */
void ctl_fmt_rule_change(FILE *f, const char *verb, json_object *res); /* rule.add/update */
void ctl_fmt_stats(FILE *f, json_object *res);       /* stats.get */
void ctl_fmt_drops(FILE *f, json_object *res, bool all); /* stats.get "drops" */
void ctl_fmt_port_list(FILE *f, json_object *res);   /* port.list */
void ctl_fmt_port_show(FILE *f, json_object *res);   /* port.get */
void ctl_fmt_system_info(FILE *f, json_object *res); /* system.info */
void ctl_fmt_health(FILE *f, json_object *res);      /* system.health */
void ctl_fmt_config_check(FILE *f, json_object *res); /* config.check */
void ctl_fmt_reload(FILE *f, json_object *res);      /* config.reload */
/* testpmd-style blocks of the console's `show port stats|info`. */
void ctl_fmt_port_stats_block(FILE *f, json_object *port_get_res);
void ctl_fmt_port_info_block(FILE *f, json_object *port_get_res);

/*
 * ctl_complete.c: console completion (pure)
 */

/* Names known to the daemon, for completion. */
struct ctl_names {
	char **rules;
	size_t nrules;
	char **ports;
	size_t nports;
};

/* The candidates for the word being typed (@partial) after the complete words
 * @prev[0..nprev-1] of a console line, filtered by prefix, sorted, without
 * duplicates. *out is a malloc'd array of pointers to static strings or into
 * @names (free only the array). Returns the count (0 on ENOMEM too). */
size_t ctl_complete(char *const *prev, int nprev, const char *partial,
		    const struct ctl_names *names, const char ***out);

/* The longest common prefix of candidates, as a length. */
size_t ctl_common_prefix(const char *const *cand, size_t n);

/*
 * ctl_cmd.c: the JSON-RPC side
 */

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
};

/* Call a method; on failure print `castgatectl: MESSAGE (field F)` on stderr
 * and return the exit code (a transport failure drops the connection, so
 * the next call reconnects). On success *result is the caller's. */
int ctl_call(struct ctl *c, const char *method, json_object *params, json_object **result);
void ctl_disconnect(struct ctl *c);

/* Run a one-shot command (argv[0] = "rule", "stats", ...). Returns the exit code. */
int ctl_cmd_run(struct ctl *c, int argc, char **argv);
/* Whether argv[0] names a one-shot command. */
bool ctl_cmd_known(const char *word);

/* Help texts. topic NULL = the program's. -ENOENT (and the program's help
 * on stderr) for an unknown topic. */
int ctl_help(FILE *f, const char *topic);
/* Print the usage error and return CTL_EXIT_USAGE. */
int ctl_usage_error(const char *topic, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* stats --watch: set by the SIGINT handler. */
extern volatile int ctl_interrupted;

/*
 * ctl_console.c
 */
int ctl_console_run(struct ctl *c, int argc, char **argv);

#endif /* CG_CTL_H */
