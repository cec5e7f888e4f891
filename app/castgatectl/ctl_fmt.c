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

/* The member at a dotted path ("rule.input.port"; "" is o itself), or NULL. */
static json_object *
jm(json_object *o, const char *path)
{
	char key[64];
	size_t n;

	for (; *path != '\0'; path += n + (path[n] == '.')) {
		n = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (o == NULL || !json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, key, &o))
			return NULL;
	}
	return o;
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

/* What a template's conditions ask: is the member there, and not null,
 * false, {} or []? */
static bool
present(json_object *o, const char *path)
{
	json_object *v = jm(o, path);

	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	if (json_object_is_type(v, json_type_object))
		return json_object_object_length(v) > 0;
	return v != NULL && (!json_object_is_type(v, json_type_array) || jlen(v) > 0);
}

/* A number member (an array: its length) as a count (c), bytes (b), a packet
 * (p) or bit rate (B), raw (r), or a link speed in Mbps (m: 0 is unknown);
 * "-" when it is not a number. */
static const char *
num(json_object *o, const char *key, char nf, char *buf, size_t size)
{
	uint64_t u;
	double d;

	if (json_object_is_type(jm(o, key), json_type_array))
		d = (double)jlen(jm(o, key));
	else if (!jget(o, key, json_type_double, &d))
		return "-";
	u = jget(o, key, json_type_int, &u) ? u : (uint64_t)(d < 0 ? 0 : d);
	if (nf == 'c')
		return ctl_fmt_count(u, buf, size);
	if (nf == 'b' || nf == 'p' || nf == 'B')
		return ctl_fmt_rate(nf == 'b' ? (double)u : d, nf == 'b' ? "B" : nf == 'p' ?
				    "pps" : "bps", buf, size);
	if (nf == 'm' && u == 0)
		return "unknown";
	snprintf(buf, size, nf == 'm' ? "%" PRIu64 " Mbps" : "%" PRIu64, u);
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

/* The member key of o by the format letter nf of ctl_fmt_tpl(), in w columns. */
static void
put(FILE *f, json_object *o, const char *key, char nf, int w)
{
	char buf[64];

	fprintf(f, "%*s", w, nf == 'l' ? link_desc(jm(o, key), buf, sizeof(buf)) :
		nf == 't' || nf == 'T' ? clock_str(o, key, nf == 'T', buf, sizeof(buf)) :
		nf == 'o' || nf == 'u' || nf == 'U' ? flag(o, key, nf) :
		nf == 's' ? (strcmp(num(o, key, 'r', buf, sizeof(buf)), "1") == 0 ? "" : "s") :
		nf == 'd' ? duration(o, key, buf, sizeof(buf)) :
		nf != '\0' ? num(o, key, nf, buf, sizeof(buf)) : jstr(o, key));
}

/* The length of t before its first character of stop, or its first '}' that
 * closes nothing, outside the braces it opens. */
static size_t
span(const char *t, const char *stop)
{
	size_t i = 0;

	for (int depth = 0; t[i] != '\0'; i++) {
		if (depth == 0 && (t[i] == '}' || strchr(stop, t[i]) != NULL))
			break;
		depth += (t[i] == '{') - (t[i] == '}');
	}
	return i;
}

static void tpl(FILE *f, json_object *o, const char *t, size_t len);

/* The cells of spec up to its ';' or closing '}', '|' between them, each a
 * template on o; returns where they end. */
static const char *
cells(struct ctl_table *t, json_object *o, const char *spec)
{
	for (;;) {
		size_t n = span(spec, "|;"), size = 0;
		char *cell = NULL;
		FILE *m = open_memstream(&cell, &size);

		if (m != NULL) {
			tpl(m, o, spec, n);
			fclose(m);
		}
		ctl_table_add(t, "%s", cell != NULL ? cell : "");
		free(cell);
		if (spec[n] != '|')
			return spec + n;
		spec += n + 1;
	}
}

/* One row of a table: the cells row of e, and those of subrow for each
 * element of e's array sub (see ctl_fmt_tpl). */
static void
row(struct ctl_table *t, json_object *e, const char *cols, const char *sub, const char *subrow)
{
	json_object *a = *sub != '\0' ? jm(e, sub) : NULL;
	size_t n = 1;

	for (const char *q = subrow; *q != '\0' && q[span(q, "|;")] == '|'; q += span(q, "|;") + 1)
		n++;
	cells(t, e, cols);
	for (size_t k = 0; k < jlen(a); k++) {
		while ((t->ncells + n) % t->ncols != 0)
			if (ctl_table_add(t, "%s", "") < 0)
				return;
		cells(t, jidx(a, k), subrow);
	}
	while (*sub != '\0' && t->ncells % t->ncols != 0)
		if (ctl_table_add(t, "-") < 0)
			return;
}

/* {PATH#HEAD;ALIGN;ROW;SUB;SUBROW} of ctl_fmt_tpl(), spec from HEAD on. */
static void
table(FILE *f, json_object *a, const char *spec)
{
	const char *part[5] = { spec, "", "", "", "" };
	char align[CTL_TABLE_MAX_COLS + 1], sub[64];
	bool many = json_object_is_type(a, json_type_array);
	struct ctl_table t;

	for (int i = 1; i < 5 && part[i - 1][span(part[i - 1], ";")] == ';'; i++)
		part[i] = part[i - 1] + span(part[i - 1], ";") + 1;
	snprintf(align, sizeof(align), "%.*s", (int)span(part[1], ";"), part[1]);
	snprintf(sub, sizeof(sub), "%.*s", (int)span(part[3], ";"), part[3]);
	ctl_table_init(&t, (unsigned int)strlen(align), NULL, align);
	cells(&t, NULL, part[0]);
	for (size_t i = 0; i < (many ? jlen(a) : 1); i++)
		row(&t, many ? jidx(a, i) : a, part[2], sub, part[4]);
	ctl_table_print(&t, f);
	ctl_table_free(&t);
}

/* The elements of the array a through the template t, sep between them; with
 * sep, "-" when there is none. */
static void
each(FILE *f, json_object *a, const char *t, size_t len, const char *sep)
{
	for (size_t i = 0; i < jlen(a); i++) {
		fputs(i > 0 && sep != NULL ? sep : "", f);
		tpl(f, jidx(a, i), t, len);
	}
	if (sep != NULL && jlen(a) == 0)
		fputc('-', f);
}

static void
tpl(FILE *f, json_object *o, const char *t, size_t len)
{
	const char *end = t + len, *p;
	char k[64], nf, op;
	size_t n;
	int w, skip;

	while (t < end) {
		n = strcspn(t, "{");
		fwrite(t, 1, n < (size_t)(end - t) ? n : (size_t)(end - t), f);
		if (n >= (size_t)(end - t))
			return;
		/* {W PATH:F OP SUB}: p runs through it, t goes past it */
		p = t + n + 1;
		t = p + span(p, "");
		t += *t == '}';
		w = skip = 0;
		sscanf(p, "%d %n", &w, &skip);
		p += skip;
		n = strcspn(p, ":?!&*,#}");
		snprintf(k, sizeof(k), "%.*s", (int)n, p);
		p += n;
		nf = *p == ':' ? p[1] : '\0';
		p += nf != '\0' ? 2 : 0;
		op = *p != '}' && *p != '\0' ? *p++ : '\0';
		n = span(p, "");
		if ((op == '?' || op == '&') && present(o, k))
			tpl(f, op == '&' ? jm(o, k) : o, p, n);
		if (op == '!' && !present(o, k))
			tpl(f, o, p, n);
		if (op == '*' || op == ',')
			each(f, jm(o, k), p, n, op == ',' ? ", " : NULL);
		if (op == '#')
			table(f, jm(o, k), p);
		if (op == '\0' || (op == '?' && present(o, k)))
			put(f, o, k, nf, w);
	}
}

void
ctl_fmt_tpl(FILE *f, json_object *o, const char *t)
{
	tpl(f, o, t, strlen(t));
}

/*
 * Renderers that compute more than a template says
 */

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

/* rule show: the outputs' rows join three arrays (rule, state, stats). */
void
ctl_fmt_rule_show(FILE *f, json_object *res)
{
	json_object *st = jm(res, "stats"), *outs = jm(res, "rule.output");
	json_object *ostate = jm(res, "state.outputs");
	struct ctl_table t;
	uint64_t silence_ms = 0;
	bool alarm = false;

	ctl_fmt_tpl(f, res, "rule {rule.name}  id {rule.id}  origin {origin}"
		    "{state.status?  state }{state.since_unix_ms:t? since }\n"
		    "input     " CTL_INPUT_DESC "{rule.input.source! (any source)}\n"
		    "{stats&received  {rx_packets:c} pkts  {rx_bytes:b}  {rx_pps:p}  "
		    "{rx_bps:B}\n}");
	/* An rtp rule's sequence accounting, and the silence alarm of a rule that
	 * has one: counters of the rule too (castgatectl(8)). */
	if (jm(st, "rtp_lost") != NULL)
		ctl_fmt_tpl(f, st, "rtp       {rtp_lost:c} lost  {rtp_reordered:c} reordered  "
			    "{rtp_duplicate:c} duplicate  {rtp_not_rtp:c} not RTP\n");
	jget(st, "silence.alarm", json_type_boolean, &alarm);
	if (jget(st, "silence.silence_ms", json_type_int, &silence_ms) && silence_ms > 0)
		ctl_fmt_tpl(f, st, alarm ?
			    "silence   ALARM since {silence.since_unix_ms:t}: nothing received for "
			    "{silence.silence_ms} ms or more ({silence.raised} raised)\n" :
			    "silence   no alarm (raised after {silence.silence_ms} ms without a "
			    "packet; {silence.raised} so far)\n");
	fputc('\n', f);
	ctl_table_init(&t, 13, NULL, "rlllrllrrrrrr");
	cells(&t, NULL, "#|PORT|STATE|DESTINATION|TTL|SPORT|SOURCE|NEXT-HOP|PKTS|BYTES|DROPS|"
	      "RATE|BITRATE");
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

/* A port's ethdev counters (prefix: the path of the stats object): its rx and
 * tx rows of the table PORT_TABLE (port show, stats). */
#define PORT_TABLE "PORT|ID|DIR|PKTS|BYTES|RATE|BITRATE|ERRORS|MISSED|NOMBUF;lrlrrrrrrr;"
#define PORT_STATS(s) "rx|{" s "rx_packets:c}|{" s "rx_bytes:b}|{" s "rx_pps:p}|" \
	"{" s "rx_bps:B}|{" s "rx_errors:c}|{" s "rx_missed:c}|{" s "rx_nombuf:c}|||tx|" \
	"{" s "tx_packets:c}|{" s "tx_bytes:b}|{" s "tx_pps:p}|{" s "tx_bps:B}|{" s "tx_errors:c}||"

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
	ctl_table_init(&t, 2, NULL, "lr");
	cells(&t, NULL, head);
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

/* stats: the time counted is the difference of two members. */
void
ctl_fmt_stats(FILE *f, json_object *res)
{
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
	ctl_fmt_tpl(f, res, "\n\n{totals#TOTAL|PKTS|BYTES|RATE|BITRATE;lrrrr;"
		    "rx|{rx_packets:c}|{rx_bytes:b}|{rx_pps:p}|{rx_bps:B}|"
		    "tx|{tx_packets:c}|{tx_bytes:b}|{tx_pps:p}|{tx_bps:B}|drops|{drops:c}}"
		    "{rules&\n{#RULE|ID|ORIGIN|FLOW|PKTS|BYTES|DROPS|RATE|BITRATE;lrllrrrrr;"
		    "{name}|{id}|{origin}|rx|{rx_packets:c}|{rx_bytes:b}||{rx_pps:p}|{rx_bps:B};"
		    "outputs;tx {port} {destination}:{dport}|{tx_packets:c}|{tx_bytes:b}|"
		    "{drops:c}|{tx_pps:p}|{tx_bps:B}}}"
		    "{ports&\n{#" PORT_TABLE "{name}|{port_id}|" PORT_STATS("") "}}"
		    "{lcores&\n{#LCORE|ROLE|RX-PKTS|RX-BYTES|DROPS;rlrrr;"
		    "{lcore}|{role}|{rx_packets:c}|{rx_bytes:b}|{drops:c}}}\n");
	ctl_fmt_drops(f, res, false);
}

/* port show: the xstats that are zero are counted, not shown. */
void
ctl_fmt_port_show(FILE *f, json_object *res)
{
	json_object *xs = jm(res, "xstats");
	size_t zero;

	ctl_fmt_tpl(f, res, "{port&port {name}  id {port_id}\ndriver    {driver}\n"
		    "device    {device}\nmac       {mac}\naddress   {ip}\nmtu       {mtu}\n"
		    "queues    {queues}\nlink      {link:l}\n\n}"
		    "{#" PORT_TABLE "{port.name}|{port.port_id}|" PORT_STATS("stats.") "}");
	if (xs == NULL || !json_object_is_type(xs, json_type_object))
		return;
	fputc('\n', f);
	/* a PMD may have hundreds; the zero ones say nothing */
	if (counts_table(f, xs, "XSTAT|VALUE", false, &zero) >= 0 && zero > 0)
		fprintf(f, "(%zu xstat%s zero; --json shows all)\n", zero,
			zero == 1 ? " is" : "s are");
}

/* config check: the daemon's message usually starts with the file name already. */
void
ctl_fmt_config_check(FILE *f, json_object *res)
{
	const char *path = jstr(res, "path"), *err = jstr(res, "error");

	if (present(res, "valid"))
		ctl_fmt_tpl(f, res, "{path}: valid ({ports} port{ports:s}, {rules} rule{rules:s})\n"
			    "{reload&{refused&a reload would be refused: {}\n}{refused!a reload "
			    "would change the config rules:\n  add      {add,{}}\n  update   "
			    "{update,{}}\n  remove   {remove,{}}\n}}{reload.restart_required&"
			    "changed sections a reload does not apply (restart castgate):{* {}}\n}");
	else if (strncmp(err, path, strlen(path)) == 0)
		fprintf(f, "%s\n", err);
	else
		fprintf(f, "%s: %s\n", path, err);
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

/* trace.get: one line per packet, its time since the first, then one per
 * output, oldest first. */
void
ctl_fmt_trace(FILE *f, json_object *res)
{
	json_object *recs = jm(res, "records");
	uint64_t t0 = (uint64_t)json_object_get_int64(jm(jidx(recs, 0), "time_unix_ns"));

	for (size_t i = 0; i < jlen(recs); i++) {
		json_object *r = jidx(recs, i);

		fprintf(f, "+%10.6f s  ",
			(double)((uint64_t)json_object_get_int64(jm(r, "time_unix_ns")) - t0) / 1e9);
		/* A frame with no IPv4 (or UDP) header has no addresses (ports). */
		ctl_fmt_tpl(f, r, "{port} q{queue} lcore {lcore}  {source!-}{source?}{sport?:} > "
			    "{destination!-}{destination?}{dport?:}{ttl?  ttl }  len {length}"
			    "{rtp_seq?  rtp seq }"
			    "  {rule?rule }{rule!no rule}: {verdict}{drop& ({})}\n"
			    "{outputs*    -> {port}: {result}\n}");
	}
	fprintf(f, "%zu packet%s traced\n", jlen(recs), jlen(recs) == 1 ? "" : "s");
}
