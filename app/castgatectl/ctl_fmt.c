/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Human output of method results: aligned tables, counts with thousands
 * separators, rates with SI units. Pure: reads json-c objects, writes to a
 * FILE *. A member that is missing or of another type prints as "-", so an
 * older or newer server never makes castgatectl fail to print.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

/*
 * Tables
 */

void
ctl_table_init(struct ctl_table *t, unsigned int ncols, const char *const *headers,
	       const char *align)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->align = align;
	for (unsigned int c = 0; headers != NULL && c < ncols; c++)
		ctl_table_add(t, "%s", headers[c]);
}

int
ctl_table_add(struct ctl_table *t, const char *fmt, ...)
{
	va_list ap;
	char **c;
	int n;

	if (t->ncells == t->cap) {
		c = realloc(t->cells, (t->cap ? t->cap * 2 : 64) * sizeof(*c));
		if (c == NULL)
			return -ENOMEM;
		t->cells = c;
		t->cap = t->cap ? t->cap * 2 : 64;
	}
	va_start(ap, fmt);
	n = vasprintf(&t->cells[t->ncells], fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	t->ncells++;
	return 0;
}

/* Code points, not bytes, so that a UTF-8 name does not skew a column. */
static size_t
cell_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

void
ctl_table_print(const struct ctl_table *t, FILE *f)
{
	size_t width[CTL_TABLE_MAX_COLS] = { 0 }, n = t->ncols, w;

	for (size_t i = 0; n <= CTL_TABLE_MAX_COLS && i < t->ncells; i++)
		if ((w = cell_width(t->cells[i])) > width[i % n])
			width[i % n] = w;
	for (size_t r = 0; n <= CTL_TABLE_MAX_COLS && r < t->ncells; r += n) {
		size_t last = t->ncells - r < n ? t->ncells - r : n;

		/* trailing empty cells print nothing, so that lines end without blanks */
		while (last > 0 && t->cells[r + last - 1][0] == '\0')
			last--;
		for (size_t c = 0; c < last; c++) {
			int pad = (int)(width[c] - cell_width(t->cells[r + c]));
			bool right = t->align[c] == 'r';

			fprintf(f, "%s%*s%s%*s", c > 0 ? "  " : "", right ? pad : 0, "",
				t->cells[r + c], !right && c + 1 < last ? pad : 0, "");
		}
		fputc('\n', f);
	}
}

void
ctl_table_free(struct ctl_table *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/*
 * Numbers
 */

const char *
ctl_fmt_count(uint64_t v, char *buf, size_t size)
{
	char digits[32];
	size_t n, o = 0;

	n = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, v);
	for (size_t i = 0; i < n && o + 2 < size; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *
ctl_fmt_rate(double v, const char *unit, char *buf, size_t size)
{
	static const char *const prefix[] = { "", "k", "M", "G", "T", "P" };
	unsigned int p = 0;

	if (!isfinite(v) || v < 0)
		v = 0;
	if (v < 999.5) {
		/* below 1000 the unit is exact enough as an integer */
		snprintf(buf, size, "%.0f %s", v, unit);
		return buf;
	}
	while (v >= 999.5 && p + 1 < sizeof(prefix) / sizeof(prefix[0])) {
		v /= 1000;
		p++;
	}
	snprintf(buf, size, "%.*f %s%s", v < 9.995 ? 2 : v < 99.95 ? 1 : 0, v, prefix[p], unit);
	return buf;
}


const char *
ctl_fmt_duration(uint64_t s, char *buf, size_t size)
{
	if (s >= 86400)
		snprintf(buf, size, "%" PRIu64 "d %02" PRIu64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%" PRIu64 "h %02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, size, "%" PRIu64 "m %02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, size, "%" PRIu64 "s", s);
	return buf;
}

/*
 * json-c access that never fails
 */

/* The member at a dotted path ("rule.input.port"), or NULL. */
static json_object *
jm(json_object *o, const char *path)
{
	char key[64];
	size_t n;

	for (;; path += n + 1) {
		n = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (o == NULL || !json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, key, &o))
			return NULL;
		if (path[n] == '\0')
			return o;
	}
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v = jm(o, key);

	if (v == NULL || json_object_is_type(v, json_type_null))
		return "-";
	return json_object_get_string(v);
}

/* A member of the type into *out: a double (an int counts too), a uint64_t
 * (json_type_int) or a bool. false, *out untouched, when it is not there. */
static bool
jget(json_object *o, const char *key, json_type type, void *out)
{
	json_object *v = jm(o, key);

	if (v == NULL || !(json_object_is_type(v, type) ||
			   (type == json_type_double && json_object_is_type(v, json_type_int))))
		return false;
	if (type == json_type_double)
		*(double *)out = json_object_get_double(v);
	else if (type == json_type_int)
		*(uint64_t *)out = json_object_get_uint64(v);
	else
		*(bool *)out = json_object_get_boolean(v);
	return true;
}

static size_t
jlen(json_object *a)
{
	return a != NULL && json_object_is_type(a, json_type_array) ?
		json_object_array_length(a) : 0;
}

static json_object *
jidx(json_object *a, size_t i)
{
	return i < jlen(a) ? json_object_array_get_idx(a, i) : NULL;
}

/* A number member as a count (c), bytes (b), a packet (p) or bit rate (B),
 * or raw (r); "-" when it is not a number. */
static const char *
num(json_object *o, const char *key, char nf, char *buf, size_t size)
{
	uint64_t u;
	double d;

	if (!jget(o, key, json_type_double, &d))
		return "-";
	u = jget(o, key, json_type_int, &u) ? u : (uint64_t)(d < 0 ? 0 : d);
	if (nf == 'c')
		return ctl_fmt_count(u, buf, size);
	if (nf == 'b' || nf == 'p' || nf == 'B')
		return ctl_fmt_rate(nf == 'b' ? (double)u : d, nf == 'b' ? "B" : nf == 'p' ?
				    "pps" : "bps", buf, size);
	snprintf(buf, size, "%" PRIu64, u);
	return buf;
}

static const char *
link_desc(json_object *link, char *buf, size_t size)
{
	bool up;
	double speed;
	char sp[32];

	if (!jget(link, "up", json_type_boolean, &up))
		return "-";
	if (!up)	/* down, or missing: no interface */
		return jm(link, "state") != NULL ? jstr(link, "state") : "down";
	if (jget(link, "speed_mbps", json_type_double, &speed) && speed > 0)
		ctl_fmt_rate(speed * 1e6, "bps", sp, sizeof(sp));
	else
		snprintf(sp, sizeof(sp), "speed unknown");
	snprintf(buf, size, "up %s %s", sp, jstr(link, "duplex"));
	return buf;
}

/* A bool as a word: ok or FAILED (o), up or down (u), up or DOWN (U). */
static const char *
flag(json_object *o, const char *key, char nf)
{
	bool b;

	if (!jget(o, key, json_type_boolean, &b))
		return "-";
	return nf == 'o' ? (b ? "ok" : "FAILED") : b ? "up" : nf == 'u' ? "down" : "DOWN";
}

static const char *
duration(json_object *o, const char *key, char *buf, size_t size)
{
	uint64_t s;

	return jget(o, key, json_type_int, &s) ? ctl_fmt_duration(s, buf, size) : "-";
}

static const char *
clock_str(json_object *o, const char *key, bool msec, char *buf, size_t size)
{
	uint64_t ms;
	time_t t;
	struct tm tm;

	if (!jget(o, key, json_type_int, &ms) || ms == 0)
		return "-";
	t = (time_t)(ms / 1000);
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	if (msec)
		snprintf(buf + strlen(buf), size - strlen(buf), ".%03u", (unsigned int)(ms % 1000));
	return buf;
}

void
ctl_fmt_tpl(FILE *f, json_object *o, const char *t)
{
	char k[64], text[64], buf[64], nf, cond;
	int w, n;

	while (*t != '\0') {
		if (*t != '{') {
			fputc(*t++, f);
			continue;
		}
		w = n = 0;
		sscanf(t + 1, "%d %n", &w, &n);
		t += 1 + n;
		n = (int)strcspn(t, ":?!}");
		snprintf(k, sizeof(k), "%.*s", n, t);
		t += n;
		nf = *t == ':' ? t[1] : '\0';
		t += nf != '\0' ? 2 : 0;
		cond = *t == '?' || *t == '!' ? *t++ : '\0';
		n = (int)strcspn(t, "}");
		snprintf(text, sizeof(text), "%.*s", n, t);
		t += n + (t[n] == '}');
		if (cond == '!' && jm(o, k) == NULL)
			fputs(text, f);
		if (cond == '!' || (cond == '?' && jm(o, k) == NULL))
			continue;
		/* a list: "a, b", or "-" below */
		for (size_t i = 0, len = nf == 'L' ? jlen(jm(o, k)) : 0; i < len; i++)
			fprintf(f, "%s%s", i > 0 ? ", " : "",
				json_object_get_string(jidx(jm(o, k), i)));
		if (nf == 'L' && jlen(jm(o, k)) > 0)
			continue;
		fprintf(f, "%s%*s", text, w, nf == 'l' ? link_desc(jm(o, k), buf, sizeof(buf)) :
			nf == 't' || nf == 'T' ? clock_str(o, k, nf == 'T', buf, sizeof(buf)) :
			nf == 'o' || nf == 'u' || nf == 'U' ? flag(o, k, nf) :
			nf == 's' ? (strcmp(jstr(o, k), "1") == 0 ? "" : "s") :
			nf == 'd' ? duration(o, k, buf, sizeof(buf)) :
			nf == 'L' ? "-" : nf != '\0' ? num(o, k, nf, buf, sizeof(buf)) :
			jstr(o, k));
	}
}

/* Table cells: the parts of spec between '|', each a template of ctl_fmt_tpl(). */
static void
cells(struct ctl_table *t, json_object *o, const char *spec)
{
	char part[160], cell[256] = "";
	FILE *m;

	for (const char *p = spec; p != NULL; p = strchr(p, '|'), p = p != NULL ? p + 1 : NULL) {
		snprintf(part, sizeof(part), "%.*s", (int)strcspn(p, "|"), p);
		memset(cell, 0, sizeof(cell));
		m = fmemopen(cell, sizeof(cell) - 1, "w");
		if (m != NULL) {
			ctl_fmt_tpl(m, o, part);
			fclose(m);
		}
		ctl_table_add(t, "%s", cell);
	}
}

/* A table's columns as data: the headers and a row's cells (templates of
 * ctl_fmt_tpl()), '|' between them, and the alignment of each column. With
 * sub, each element of the row's array sub adds the cells subrow: the first
 * completes a row short of cells ("-" when there is none), the others stand
 * under it, in its last columns. */
struct cols {
	const char *head;
	const char *align;
	const char *row;
	const char *sub;
	const char *subrow;
};

static void
table_start(struct ctl_table *t, const struct cols *c)
{
	ctl_table_init(t, (unsigned int)strlen(c->align), NULL, c->align);
	cells(t, NULL, c->head);
}

static void
table_row(struct ctl_table *t, json_object *e, const struct cols *c)
{
	json_object *sub = c->sub != NULL ? jm(e, c->sub) : NULL;
	size_t n = 1;

	for (const char *p = c->subrow; p != NULL && *p != '\0'; p++)
		n += *p == '|';
	cells(t, e, c->row);
	for (size_t k = 0; k < jlen(sub); k++) {
		while ((t->ncells + n) % t->ncols != 0)
			if (ctl_table_add(t, "%s", "") < 0)
				return;
		cells(t, jidx(sub, k), c->subrow);
	}
	while (c->sub != NULL && t->ncells % t->ncols != 0)
		if (ctl_table_add(t, "-") < 0)
			return;
}

/* A table of a row per element of the array a, or of the one row of a. */
static void
table(FILE *f, json_object *a, const struct cols *c)
{
	struct ctl_table t;

	table_start(&t, c);
	for (size_t i = 0; i < jlen(a); i++)
		table_row(&t, jidx(a, i), c);
	if (!json_object_is_type(a, json_type_array))
		table_row(&t, a, c);
	ctl_table_print(&t, f);
	ctl_table_free(&t);
}

/*
 * Rules
 */

/* "in0 239.1.1.1:5001 from 198.18.0.10 min_ttl 1" and
 * "out0 239.2.2.2:6001 ttl 7 sport 4000 source 198.18.1.66 mac 02:..." */
#define INPUT_DESC "{rule.input.port} {rule.input.destination}:{rule.input.dport}" \
	"{rule.input.source? from }{rule.input.min_ttl? min_ttl }"
#define OUTPUT_DESC "{port} {destination}:{dport} ttl {ttl}{sport? sport }{source? source }" \
	"{next_hop_mac? mac }"

void
ctl_fmt_rule_list(FILE *f, json_object *res)
{
	static const struct cols c = { "NAME|ID|ORIGIN|STATE|INPUT|OUTPUTS", "lrllll",
		"{rule.name}|{rule.id}|{origin}|{state.status?}{state.status!-}|" INPUT_DESC,
		"rule.output", OUTPUT_DESC };
	json_object *rules = jm(res, "rules");

	if (jlen(rules) == 0) {
		fprintf(f, "no rules\n");
		return;
	}
	table(f, rules, &c);
	fprintf(f, "%zu rule%s\n", jlen(rules), jlen(rules) == 1 ? "" : "s");
	if (jm(res, "next_after") != NULL)
		fprintf(f, "more: rule list --after %s\n", jstr(res, "next_after"));
}

/* How an output's destination MAC is found: given, the group's MAC, or ARP. */
static const char *
next_hop_desc(json_object *o)
{
	uint32_t dst;

	if (jm(o, "next_hop_mac") != NULL)
		return jstr(o, "next_hop_mac");
	if (cg_rule_parse_ipv4(jstr(o, "destination"), &dst) == 0 &&
	    cg_rule_addr_is_multicast(dst))
		return "group";
	return "arp";
}

void
ctl_fmt_rule_show(FILE *f, json_object *res)
{
	static const struct cols c = { "#|PORT|STATE|DESTINATION|TTL|SPORT|SOURCE|NEXT-HOP|PKTS|"
		"BYTES|DROPS|RATE|BITRATE", "rlllrllrrrrrr" };
	json_object *st = jm(res, "stats"), *outs = jm(res, "rule.output");
	json_object *ostate = jm(res, "state.outputs");
	struct ctl_table t;

	ctl_fmt_tpl(f, res, "rule {rule.name}  id {rule.id}  origin {origin}"
		    "{state.status?  state }{state.since_unix_ms:t? since }\n"
		    "input     " INPUT_DESC "{rule.input.source! (any source)}\n");
	if (st != NULL)
		ctl_fmt_tpl(f, st, "received  {rx_packets:c} pkts  {rx_bytes:b}  {rx_pps:p}  "
			    "{rx_bps:B}\n");
	fputc('\n', f);
	table_start(&t, &c);
	for (size_t i = 0; i < jlen(outs); i++) {
		json_object *o = jidx(outs, i), *os = jidx(ostate, i);

		ctl_table_add(&t, "%zu", i);
		ctl_table_add(&t, "%s", jstr(o, "port"));
		ctl_table_add(&t, "%s", os != NULL ? json_object_get_string(os) : "-");
		cells(&t, o, "{destination}:{dport}|{ttl}|{sport?}{sport!kept}|"
		      "{source?}{source!port's}");
		ctl_table_add(&t, "%s", next_hop_desc(o));
		cells(&t, jidx(jm(st, "outputs"), i),
		      "{tx_packets:c}|{tx_bytes:b}|{drops:c}|{tx_pps:p}|{tx_bps:B}");
	}
	ctl_table_print(&t, f);
	ctl_table_free(&t);
}

/*
 * Stats
 */

/* A port's ethdev counters: its rx and tx rows (port show, stats). */
#define PORT_STATS "rx|{rx_packets:c}|{rx_bytes:b}|{rx_pps:p}|{rx_bps:B}|{rx_errors:c}|" \
	"{rx_missed:c}|{rx_nombuf:c}|||tx|{tx_packets:c}|{tx_bytes:b}|{tx_pps:p}|{tx_bps:B}|" \
	"{tx_errors:c}||"
static const struct cols port_cols = { "PORT|ID|DIR|PKTS|BYTES|RATE|BITRATE|ERRORS|MISSED|NOMBUF",
	"lrlrrrrrrr", "{name}|{port_id}|" PORT_STATS };

/* The NAME -> count members of the object o as a table of head (nothing when
 * no row is shown), zeros too with all. Returns the rows shown (-1: o is no
 * object); *zero: the zeros left out. */
static int
counts_table(FILE *f, json_object *o, const char *head, bool all, size_t *zero)
{
	struct ctl_table t;
	int shown = 0;

	*zero = 0;
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return -1;
	table_start(&t, &(struct cols){ head, "lr" });
	json_object_object_foreach(o, name, v) {
		uint64_t n = json_object_is_type(v, json_type_int) ? json_object_get_uint64(v) : 0;

		if (n == 0 && !all) {
			(*zero)++;
			continue;
		}
		ctl_table_add(&t, "%s", name);
		ctl_table_add(&t, "%s", ctl_fmt_count(n, (char[32]){ 0 }, 32));
		shown++;
	}
	if (shown > 0)
		ctl_table_print(&t, f);
	ctl_table_free(&t);
	return shown;
}

void
ctl_fmt_drops(FILE *f, json_object *res, bool all)
{
	size_t zero;
	int shown = counts_table(f, jm(res, "drops"), "DROP REASON|PKTS", all, &zero);

	fputs(shown < 0 ? "drops: -\n" : shown == 0 ? "no drops\n" : "", f);
}

void
ctl_fmt_drops_all(FILE *f, json_object *res)
{
	ctl_fmt_drops(f, res, true);
}

void
ctl_fmt_stats(FILE *f, json_object *res)
{
	static const struct cols totals = { "TOTAL|PKTS|BYTES|RATE|BITRATE", "lrrrr",
		"rx|{rx_packets:c}|{rx_bytes:b}|{rx_pps:p}|{rx_bps:B}|"
		"tx|{tx_packets:c}|{tx_bytes:b}|{tx_pps:p}|{tx_bps:B}|drops|{drops:c}" };
	static const struct cols rules = { "RULE|ID|ORIGIN|FLOW|PKTS|BYTES|DROPS|RATE|BITRATE",
		"lrllrrrrr", "{name}|{id}|{origin}|rx|{rx_packets:c}|{rx_bytes:b}||{rx_pps:p}|"
		"{rx_bps:B}", "outputs", "tx {port} {destination}:{dport}|{tx_packets:c}|"
		"{tx_bytes:b}|{drops:c}|{tx_pps:p}|{tx_bps:B}" };
	static const struct cols lcores = { "LCORE|ROLE|RX-PKTS|RX-BYTES|DROPS", "rlrrr",
		"{lcore}|{role}|{rx_packets:c}|{rx_bytes:b}|{drops:c}" };
	static const struct {
		const char *array;
		const struct cols *cols;
	} tables[] = { { "rules", &rules }, { "ports", &port_cols }, { "lcores", &lcores } };
	char dur[32] = "-";
	uint64_t a, b;
	double iv;

	if (jget(res, "unix_ms", json_type_int, &a) &&
	    jget(res, "since_unix_ms", json_type_int, &b) && a >= b)
		ctl_fmt_duration((a - b) / 1000, dur, sizeof(dur));
	ctl_fmt_tpl(f, res, "castgate statistics at {unix_ms:t}, "
		    "counted since {since_unix_ms:t} (");
	fputs(dur, f);
	fputc(')', f);
	if (jget(res, "interval_ms", json_type_double, &iv))
		fprintf(f, ", rates over %.1f s", iv / 1000.0);
	fputs("\n\n", f);
	table(f, jm(res, "totals"), &totals);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (jlen(jm(res, tables[i].array)) == 0)
			continue;
		fputc('\n', f);
		table(f, jm(res, tables[i].array), tables[i].cols);
	}
	fputc('\n', f);
	ctl_fmt_drops(f, res, false);
}

/*
 * Ports
 */

void
ctl_fmt_port_list(FILE *f, json_object *res)
{
	static const struct cols c = { "NAME|ID|DRIVER|MAC|ADDRESS|MTU|QUEUES|LINK", "lrlllrrl",
		"{name}|{port_id}|{driver}|{mac}|{ip}|{mtu}|{queues}|{link:l}" };
	json_object *ports = jm(res, "ports");

	if (jlen(ports) == 0) {
		fprintf(f, "no ports\n");
		return;
	}
	table(f, ports, &c);
}

void
ctl_fmt_port_show(FILE *f, json_object *res)
{
	json_object *p = jm(res, "port"), *xs = jm(res, "xstats");
	struct ctl_table t;
	size_t zero;

	ctl_fmt_tpl(f, p, "port {name}  id {port_id}\ndriver    {driver}\ndevice    {device}\n"
		    "mac       {mac}\naddress   {ip}\nmtu       {mtu}\nqueues    {queues}\n"
		    "link      {link:l}\n\n");
	table_start(&t, &port_cols);
	cells(&t, p, "{name}|{port_id}");
	cells(&t, jm(res, "stats"), PORT_STATS);
	ctl_table_print(&t, f);
	ctl_table_free(&t);
	if (xs == NULL || !json_object_is_type(xs, json_type_object))
		return;
	fputc('\n', f);
	/* a PMD may have hundreds; the zero ones say nothing */
	if (counts_table(f, xs, "XSTAT|VALUE", false, &zero) >= 0 && zero > 0)
		fprintf(f, "(%zu xstat%s zero; --json shows all)\n", zero,
			zero == 1 ? " is" : "s are");
}

/*
 * System
 */

/* A process of system.info: "pid 100, up 1h 02m, 2 restarts" ("none" before it when null). */
#define PROC_DESC "{pid?pid }{uptime_s:d?, up }{restarts?, }{restarts:s? restart}"

void
ctl_fmt_system_info(FILE *f, json_object *res)
{
	static const struct cols lcores = { "LCORE|ROLE|WORKER", "rlr", "{lcore}|{role}|{worker}" };
	json_object *dp = jm(res, "dataplane"), *rpc = jm(res, "rpc"), *lc = jm(dp, "lcores");

	/* rte_version() already says "DPDK 22.11.1" */
	fprintf(f, "%-12s %s (%s%s)\n", "version", jstr(res, "version"),
		strncmp(jstr(res, "dpdk_version"), "DPDK", 4) == 0 ? "" : "DPDK ",
		jstr(res, "dpdk_version"));
	ctl_fmt_tpl(f, res, "config       {config}\nstate file   {state_file}\n"
		    "file prefix  {file_prefix}\n");
	ctl_fmt_tpl(f, res, "data plane   {dataplane!none}");
	ctl_fmt_tpl(f, dp, PROC_DESC ", {workers} worker{workers:s}\ncontrol      ");
	ctl_fmt_tpl(f, res, "{control!none}");
	ctl_fmt_tpl(f, jm(res, "control"), PROC_DESC "\nsupervisor   ");
	ctl_fmt_tpl(f, res, "{supervisor!none}");
	ctl_fmt_tpl(f, jm(res, "supervisor"), PROC_DESC "\n");
	if (jm(dp, "rule_table") != NULL)
		ctl_fmt_tpl(f, jm(dp, "rule_table"), "rule table   {rules} rule{rules:s} in {slots} "
			    "slots, {bytes} bytes ({bytes_per_slot} per slot)\n");
	if (rpc != NULL)
		ctl_fmt_tpl(f, rpc, "rpc clients  {active} active, {accepted} accepted, "
			    "{requests} requests, {errors} errors\n");
	if (jlen(lc) > 0) {
		fputc('\n', f);
		table(f, lc, &lcores);
	}
}

void
ctl_fmt_health(FILE *f, json_object *res)
{
	json_object *ck = jm(res, "checks"), *ports = jm(ck, "ports");

	ctl_fmt_tpl(f, res, "status     {status}\n"
		    "dataplane  {checks.dataplane.ok:o} (pid {checks.dataplane.pid})\nports     ");
	for (size_t i = 0; i < jlen(ports); i++)
		ctl_fmt_tpl(f, jidx(ports, i), i > 0 ? ", {name} link {link_up:U}" :
			    " {name} link {link_up:U}");
	fputs(jlen(ports) == 0 ? " -\n" : "\n", f);
	ctl_fmt_tpl(f, ck, "state      {state.ok:o} ({state.skipped} rule{state.skipped:s} "
		    "skipped at start){state.error?: }\n");
}

void
ctl_fmt_config_check(FILE *f, json_object *res)
{
	bool valid = false;
	json_object *rl = jm(res, "reload"), *restart = jm(rl, "restart_required");

	jget(res, "valid", json_type_boolean, &valid);
	if (!valid) {
		const char *path = jstr(res, "path"), *err = jstr(res, "error");

		/* the daemon's message usually starts with the file name already */
		if (strncmp(err, path, strlen(path)) == 0)
			fprintf(f, "%s\n", err);
		else
			fprintf(f, "%s: %s\n", path, err);
		return;
	}
	ctl_fmt_tpl(f, res, "{path}: valid ({ports} port{ports:s}, {rules} rule{rules:s})\n");
	if (jm(rl, "refused") != NULL)
		ctl_fmt_tpl(f, rl, "a reload would be refused: {refused}\n");
	else if (rl != NULL)
		ctl_fmt_tpl(f, rl, "a reload would change the config rules:\n  add      {add:L}\n"
			    "  update   {update:L}\n  remove   {remove:L}\n");
	if (jlen(restart) > 0)
		fputs("changed sections a reload does not apply (restart castgate):", f);
	for (size_t i = 0; i < jlen(restart); i++)
		fprintf(f, " %s%s", json_object_get_string(jidx(restart, i)),
			i + 1 == jlen(restart) ? "\n" : "");
}

/* How each event type reads (docs/API.md, "Events"); others print their JSON. */
static const struct {
	const char *type;
	const char *tpl;
} event_tpl[] = {
	{ "link.up", "port {port}: link {state}, {source}{reason?: }" },
	{ "link.down", "port {port}: link {state}, {source}{reason?: }" },
	{ "port.reopened", "port {port}: opened again (DPDK port {port_id}, {opens} opens)" },
	{ "rule.paused", "rule {rule} (id {id}): paused{output?, output }{port?, port }" },
	{ "rule.resumed", "rule {rule} (id {id}): resumed{output?, output }{port?, port }" },
	{ "silence.raised", "rule {rule} (id {id}): silence alarm: nothing received for "
	  "{silence_ms} ms{last_rx_unix_ms!, nothing since it is watched}" },
	{ "silence.cleared", "rule {rule} (id {id}): silence alarm cleared after "
	  "{duration_ms} ms ({reason})" },
	{ "dataplane.restarted", "data plane restarted: pid {pid} (was {previous.pid}), "
	  "restart {restarts}" },
};

void
ctl_fmt_event(FILE *f, json_object *ev)
{
	const char *type = jstr(ev, "type");
	uint64_t lost = 0;
	size_t i;

	if (jget(ev, "lost", json_type_int, &lost) && lost > 0)
		fprintf(f, "(%" PRIu64 " event%s lost before the next: castgatectl did not read "
			"fast enough)\n", lost, lost == 1 ? "" : "s");
	ctl_fmt_tpl(f, ev, "{time_unix_ms:T}  {-19 type}  ");
	for (i = 0; i < sizeof(event_tpl) / sizeof(event_tpl[0]); i++)
		if (strcmp(event_tpl[i].type, type) == 0)
			break;
	if (i < sizeof(event_tpl) / sizeof(event_tpl[0]))
		ctl_fmt_tpl(f, ev, event_tpl[i].tpl);
	else
		fputs(json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE), f);
	fputc('\n', f);
}

/* trace.get: one line per packet, then one per output, oldest first. */
void
ctl_fmt_trace(FILE *f, json_object *res)
{
	json_object *recs = jm(res, "records");
	uint64_t t0 = 0;

	for (size_t i = 0; i < jlen(recs); i++) {
		json_object *r = jidx(recs, i), *outs = jm(r, "outputs");
		uint64_t t = (uint64_t)json_object_get_int64(jm(r, "time_unix_ns"));

		if (i == 0)
			t0 = t;
		fprintf(f, "+%10.6f s  ", (double)(t - t0) / 1e9);
		ctl_fmt_tpl(f, r, "{port} q{queue} lcore {lcore}  {source}:{sport} > "
			    "{destination}:{dport}  ttl {ttl}  len {length}{rtp_seq?  rtp seq }"
			    "  {rule?rule }{rule!no rule}: {verdict}");
		if (jm(r, "drop") != NULL)
			fprintf(f, " (%s)", jstr(r, "drop"));
		fputc('\n', f);
		for (size_t k = 0; k < jlen(outs); k++)
			ctl_fmt_tpl(f, jidx(outs, k), "    -> {port}: {result}\n");
	}
	fprintf(f, "%zu packet%s traced\n", jlen(recs), jlen(recs) == 1 ? "" : "s");
}
