/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of castgatectl's pure parts: --in/--out and console rule
 * grammars, the params they build, line splitting, number and table
 * formatting, the renderers of method results and Tab completion.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cg_unit.h"
#include "ctl.h"

static uint32_t
ip(const char *s)
{
	uint32_t a = 0;

	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* Run a renderer into a string (caller frees). */
static char *
render(void (*fn)(FILE *, json_object *), const char *json)
{
	json_object *o = json_tokener_parse(json);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fn(f, o);
	fclose(f);
	json_object_put(o);
	return buf;
}

static char *say_words[2];

/* The template of the table's row say_words. */
static void
say(FILE *f, json_object *o)
{
	int k;

	ctl_fmt_tpl(f, o, ctl_cmd_find(2, say_words, &k)->say);
}

/* The result json through the template of the command w0 w1 (caller frees). */
static char *
said(char *w0, char *w1, const char *json)
{
	say_words[0] = w0;
	say_words[1] = w1;
	return render(say, json);
}

/* `x --in IN --out OUT` (NULL: a valid one) through the rule grammar. */
static int
spec(const char *in, const char *out, struct cg_rule *r, struct ctl_err *e)
{
	char *argv[] = { "x", "--in", (char *)(in ? in : "in0,239.1.1.1,5001"), "--out",
		(char *)(out ? out : "out0,239.2.2.2,6001") };

	return ctl_rule_from_args(5, argv, r, e);
}

/* The spec is refused, naming field (NULL: not checked) with msg in the message. */
static void
bad(const char *in, const char *out, const char *field, const char *msg)
{
	struct cg_rule r;
	struct ctl_err e;

	CU_ASSERT_EQUAL(spec(in, out, &r, &e), -EINVAL);
	if (field != NULL)
		CU_ASSERT_STRING_EQUAL(e.field, field);
	if (msg != NULL)
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, msg));
	if (msg != NULL && strstr(e.msg, msg) == NULL)
		fprintf(stderr, "--in %s --out %s: \"%s\" lacks \"%s\"\n", in, out, e.msg, msg);
}

static void
test_parse_in(void)
{
	struct cg_rule r;
	struct ctl_err e;

	CU_ASSERT_EQUAL(spec("in0,239.1.1.1,5001", NULL, &r, &e), 0);
	CU_ASSERT_STRING_EQUAL(r.in.port, "in0");
	CU_ASSERT_EQUAL(r.in.dst, ip("239.1.1.1"));
	CU_ASSERT_EQUAL(r.in.dport, 5001);
	CU_ASSERT_EQUAL(r.in.src, 0);
	CU_ASSERT_EQUAL(r.in.port_id, CG_RULE_PORT_ID_NONE);

	CU_ASSERT_EQUAL(spec("in0,239.1.1.1,5001,source=198.18.0.10", NULL, &r, &e), 0);
	CU_ASSERT_EQUAL(r.in.src, ip("198.18.0.10"));
	CU_ASSERT_EQUAL(spec("in0,239.1.1.1,5001,src=198.18.0.10", NULL, &r, &e), 0);
	CU_ASSERT_EQUAL(r.in.src, ip("198.18.0.10"));

	/* the server's messages, naming the field */
	bad("in0,239.1.1.1", NULL, "params.rule.input.dport", "required key is missing");
	bad("in0,,5001", NULL, "params.rule.input.destination", NULL);
	bad("in0,239.1.1,5001", NULL, "params.rule.input.destination",
	    "\"239.1.1\" is not an IPv4 address");
	bad("in0,224.0.0.5,5001", NULL, NULL, "link-local");
	bad("in0,239.1.1.1,0", NULL, "params.rule.input.dport", "0 is out of range 1..65535");
	bad("in0,239.1.1.1,65536", NULL, NULL, NULL);
	bad("in0,239.1.1.1,50x", NULL, "params.rule.input.dport", "expected an integer");
	bad("in0,239.1.1.1,5001,ttl=3", NULL, "params.rule.input.ttl", "unknown key");
	bad("in0,239.1.1.1,5001,source=239.9.9.9", NULL, "params.rule.input.source", NULL);
	bad("in0,239.1.1.1,5001,198.18.0.1", NULL, "params.rule.input", "KEY=VALUE");
	bad("bad port!,239.1.1.1,5001", NULL, "params.rule.input.port", NULL);
}

static void
test_parse_out(void)
{
	char *many[4 + 2 * (CG_RULE_MAX_OUTPUTS + 1)] = { "x", "--in", "in0,239.1.1.1,5001" };
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0x07, 0x20 };
	struct cg_rule r;
	struct ctl_err e;
	int n = 3;

	CU_ASSERT_EQUAL(spec(NULL, "out0,239.2.2.2,6001", &r, &e), 0);
	CU_ASSERT_EQUAL(r.n_outputs, 1);
	CU_ASSERT_STRING_EQUAL(r.out[0].port, "out0");
	CU_ASSERT_EQUAL(r.out[0].dst, ip("239.2.2.2"));
	CU_ASSERT_EQUAL(r.out[0].dport, 6001);
	CU_ASSERT_EQUAL(r.out[0].ttl, CG_RULE_DEFAULT_TTL);
	CU_ASSERT_EQUAL(r.out[0].sport, 0);
	CU_ASSERT_EQUAL(r.out[0].port_id, CG_RULE_PORT_ID_NONE);

	CU_ASSERT_EQUAL(spec(NULL, "out1,198.18.7.20,7000,ttl=7,sport=4000,source=198.18.7.1,"
			     "mac=02:00:00:00:07:20", &r, &e), 0);
	CU_ASSERT_EQUAL(r.out[0].ttl, 7);
	CU_ASSERT_EQUAL(r.out[0].sport, 4000);
	CU_ASSERT_EQUAL(r.out[0].src, ip("198.18.7.1"));
	CU_ASSERT_EQUAL(r.out[0].has_next_hop_mac, 1);
	CU_ASSERT_EQUAL(memcmp(r.out[0].next_hop_mac, mac, 6), 0);
	CU_ASSERT_EQUAL(spec(NULL, "out1,198.18.7.20,7000,next_hop_mac=02:00:00:00:07:20", &r,
			     &e), 0);
	CU_ASSERT_EQUAL(r.out[0].has_next_hop_mac, 1);

	bad(NULL, "out0,239.2.2.3,6001,ttl=0", "params.rule.output[0].ttl", NULL);
	bad(NULL, "out0,239.2.2.3,6001,ttl=256", NULL, "1..255");
	bad(NULL, "out0,239.2.2.3,6001,mac=02:00", "params.rule.output[0].next_hop_mac", NULL);
	bad(NULL, "out0,239.2.2.3,6001,colour=red", "params.rule.output[0].colour",
	    "unknown key");
	bad(NULL, "out0", "params.rule.output[0].destination", NULL);
	bad(NULL, "out0,239.2.2.3,6001,port=out1", "params.rule.output[0].port", "given twice");
	bad(NULL, "out0,239.2.2.3,6001,ttl=3,ttl=4", "params.rule.output[0].ttl", "given twice");
	bad(NULL, "out0,239.2.2.3,6001,sport=0", "params.rule.output[0].sport", NULL);

	/* at most CG_RULE_MAX_OUTPUTS */
	for (int i = 0; i <= CG_RULE_MAX_OUTPUTS; i++) {
		many[n++] = "--out";
		many[n++] = "out0,239.2.2.3,6001";
	}
	CU_ASSERT_EQUAL(ctl_rule_from_args(n, many, &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.output");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "expected 1..16 outputs, got 17"));
}

static void
test_rule_from_args(void)
{
	char *ok[] = { "cam1", "--in", "in0,239.1.1.1,5001", "--out", "out0,239.2.2.2,6001,ttl=7",
		"--out=out1,239.3.3.3,6002", "--id", "42" };
	char *noname[] = { "--in", "in0,239.1.1.1,5001", "--out", "out0,239.2.2.2,6001" };
	char *noin[] = { "cam1", "--out", "out0,239.2.2.2,6001" };
	char *noout[] = { "cam1", "--in", "in0,239.1.1.1,5001" };
	char *twoin[] = { "cam1", "--in", "in0,239.1.1.1,5001", "--in", "in0,239.1.1.2,5001" };
	char *dup[] = { "cam1", "--in", "in0,239.1.1.1,5001", "--out", "out0,239.2.2.2,6001",
		"--out", "out0,239.2.2.2,6001,ttl=9" };
	char *loop[] = { "cam1", "--in", "in0,239.1.1.1,5001", "--out", "in0,239.1.1.1,5001" };
	char *badid[] = { "cam1", "--id", "0" };
	char *unknown[] = { "cam1", "--ttl", "3" };
	char *valueless[] = { "cam1", "--in" };
	char *badname[] = { "cam 1", "--in", "in0,239.1.1.1,5001" };
	struct cg_rule r;
	struct ctl_err e;

	CU_ASSERT_EQUAL(ctl_rule_from_args(8, ok, &r, &e), 0);
	CU_ASSERT_STRING_EQUAL(r.name, "cam1");
	CU_ASSERT_EQUAL(r.id, 42);
	CU_ASSERT_EQUAL(r.n_outputs, 2);
	CU_ASSERT_EQUAL(r.out[0].ttl, 7);
	CU_ASSERT_STRING_EQUAL(r.out[1].port, "out1");
	CU_ASSERT_EQUAL(r.out[1].dport, 6002);

	CU_ASSERT_EQUAL(ctl_rule_from_args(4, noname, &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.name");
	CU_ASSERT_EQUAL(ctl_rule_from_args(3, noin, &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.input");
	CU_ASSERT_EQUAL(ctl_rule_from_args(3, noout, &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.output");
	CU_ASSERT_EQUAL(ctl_rule_from_args(5, twoin, &r, &e), -EINVAL);
	/* cg_rule_validate's findings keep their path */
	CU_ASSERT_EQUAL(ctl_rule_from_args(7, dup, &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.output[1]");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "same port, destination and dport"));
	CU_ASSERT_EQUAL(ctl_rule_from_args(5, loop, &r, &e), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "forwarding loop"));
	CU_ASSERT_EQUAL(ctl_rule_from_args(3, badid, &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.id");
	CU_ASSERT_EQUAL(ctl_rule_from_args(3, unknown, &r, &e), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "unknown option --ttl"));
	CU_ASSERT_EQUAL(ctl_rule_from_args(2, valueless, &r, &e), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "--in needs a value"));
	CU_ASSERT_EQUAL(ctl_rule_from_args(3, badname, &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.name");
}

/* The console takes the same rule grammar as the command line: a console
 * line goes through the table to rule add's words. */
static int
console_rule(const char *line, struct cg_rule *r, struct ctl_err *e)
{
	const struct ctl_cmd *cmd;
	char **w;
	int n = ctl_split(line, &w, e), k, ret;

	CU_ASSERT_FATAL(n >= 2);
	cmd = ctl_cmd_find(n, w, &k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
	CU_ASSERT_STRING_EQUAL(cmd->words, "rule add");
	CU_ASSERT_EQUAL(k, 2);
	ret = ctl_rule_from_args(n - k, w + k, r, e);
	free(w);
	return ret;
}

static void
test_rule_console(void)
{
	struct cg_rule r;
	struct ctl_err e;

	CU_ASSERT_EQUAL(console_rule("add rule cam9 --in in0,239.1.1.9,5001,source=198.18.0.10 "
				     "--out out0,239.10.1.9,6001,ttl=16,sport=4000 "
				     "--out out1,198.18.7.20,7000,mac=02:00:00:00:07:20 --id 9",
				     &r, &e), 0);
	CU_ASSERT_STRING_EQUAL(r.name, "cam9");
	CU_ASSERT_EQUAL(r.id, 9);
	CU_ASSERT_EQUAL(r.in.src, ip("198.18.0.10"));
	CU_ASSERT_EQUAL(r.n_outputs, 2);
	CU_ASSERT_EQUAL(r.out[0].ttl, 16);
	CU_ASSERT_EQUAL(r.out[0].sport, 4000);
	CU_ASSERT_EQUAL(r.out[1].ttl, CG_RULE_DEFAULT_TTL);
	CU_ASSERT_EQUAL(r.out[1].has_next_hop_mac, 1);

	CU_ASSERT_EQUAL(console_rule("add rule cam9 --out out0,239.10.1.9,6001", &r, &e),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.input");
	CU_ASSERT_EQUAL(console_rule("add rule cam9 --in in0,239.1.1.9 --out out0,239.10.1.9,6001",
				     &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.input.dport");
	CU_ASSERT_EQUAL(console_rule("add rule cam9 --in in0,239.1.1.9,5001", &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.output");
	CU_ASSERT_EQUAL(console_rule("add rule cam9 --in in0,239.1.1.9,5001 "
				     "--out out0,239.10.1.9,6001,ttl=0", &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.output[0].ttl");
	CU_ASSERT_EQUAL(console_rule("add rule cam9 --in in0,239.1.1.9,5001 "
				     "--out out0,239.10.1.9,6001,ttl", &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.output[0]");
	CU_ASSERT_EQUAL(console_rule("add rule cam9 --in in0,239.1.1.9,5001 "
				     "--out out0,239.10.1.9,6001,colour=red", &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.msg, "params.rule.output[0].colour: unknown key");
	CU_ASSERT_EQUAL(ctl_rule_from_args(0, NULL, &r, &e), -EINVAL);
}

static void
test_rule_params(void)
{
	char *args[] = { "cam1", "--in", "in0,239.1.1.1,5001,source=198.18.0.10", "--out",
		"out0,239.2.2.2,6001,ttl=7,sport=4000" };
	struct cg_rule r, back;
	struct ctl_err e;
	json_object *p, *rj;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(ctl_rule_from_args(5, args, &r, &e), 0);
	p = ctl_rule_params(&r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	/* exactly {"rule": RULE}, and the server's parser reads the same rule back */
	CU_ASSERT_EQUAL(json_object_object_length(p), 1);
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(p, "rule", &rj));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(rj, JSON_C_TO_STRING_PLAIN),
		"{\"name\":\"cam1\",\"input\":{\"port\":\"in0\",\"destination\":\"239.1.1.1\","
		"\"dport\":5001,\"source\":\"198.18.0.10\"},\"output\":[{\"port\":\"out0\","
		"\"destination\":\"239.2.2.2\",\"dport\":6001,\"sport\":4000,\"ttl\":7}]}");
	CU_ASSERT_EQUAL(cg_rule_from_json(rj, "rule", &back, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(cg_rule_equal(&r, &back));
	json_object_put(p);
}

static void
test_rule_from_text(void)
{
	struct cg_rule r;
	struct ctl_err e;
	const char *bare = "{\"name\":\"c\",\"input\":{\"port\":\"in0\",\"destination\":"
		"\"239.1.1.1\",\"dport\":5001},\"output\":[{\"port\":\"out0\",\"destination\":"
		"\"239.2.2.2\",\"dport\":6001,\"ttl\":300}]}";
	const char *wrapped = "{\"rule\": {\"name\":\"c\",\"input\":{\"port\":\"in0\","
		"\"destination\":\"239.1.1.1\",\"dport\":5001},\"output\":[{\"port\":\"out0\","
		"\"destination\":\"239.2.2.2\",\"dport\":6001}]}}\n";
	/* what `castgatectl --json rule show` prints */
	const char *shown = "{\"rule\": {\"name\":\"s\",\"id\":3,\"input\":{\"port\":\"in0\","
		"\"destination\":\"239.1.1.1\",\"dport\":5001},\"output\":[{\"port\":\"out0\","
		"\"destination\":\"239.2.2.2\",\"dport\":6001,\"ttl\":64}]},\"origin\":\"api\","
		"\"stats\":{\"rx_packets\":0}}";

	CU_ASSERT_EQUAL(ctl_rule_from_text(wrapped, &r, &e), 0);
	CU_ASSERT_STRING_EQUAL(r.name, "c");
	CU_ASSERT_EQUAL(r.out[0].dport, 6001);
	CU_ASSERT_EQUAL(ctl_rule_from_text(shown, &r, &e), 0);
	CU_ASSERT_STRING_EQUAL(r.name, "s");
	CU_ASSERT_EQUAL(ctl_rule_from_text(bare, &r, &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.field, "params.rule.output[0].ttl");
	CU_ASSERT_EQUAL(ctl_rule_from_text("{\"name\": ", &r, &e), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "not valid JSON"));
	CU_ASSERT_EQUAL(ctl_rule_from_text("{} x", &r, &e), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "extra text"));
}

static void
test_split(void)
{
	struct ctl_err e;
	char **v;

	CU_ASSERT_EQUAL(ctl_split("  show  port stats all \n", &v, &e), 4);
	CU_ASSERT_STRING_EQUAL(v[0], "show");
	CU_ASSERT_STRING_EQUAL(v[3], "all");
	CU_ASSERT_PTR_NULL(v[4]);
	free(v);
	CU_ASSERT_EQUAL(ctl_split("call stats.get '{\"rule\": \"a b\"}' # comment", &v, &e), 3);
	CU_ASSERT_STRING_EQUAL(v[2], "{\"rule\": \"a b\"}");
	free(v);
	CU_ASSERT_EQUAL(ctl_split("a\\ b \"\"", &v, &e), 2);
	CU_ASSERT_STRING_EQUAL(v[0], "a b");
	CU_ASSERT_STRING_EQUAL(v[1], "");
	free(v);
	CU_ASSERT_EQUAL(ctl_split("   # only a comment", &v, &e), 0);
	free(v);
	CU_ASSERT_EQUAL(ctl_split("", &v, &e), 0);
	free(v);
	CU_ASSERT_EQUAL(ctl_split("a b c d e f g h i j k l m n o p", &v, &e), 16);
	free(v);
	CU_ASSERT_EQUAL(ctl_split("say 'oops", &v, &e), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "unterminated"));
}

static void
test_numbers(void)
{
	char b[64];

	CU_ASSERT_STRING_EQUAL(ctl_fmt_count(0, b, sizeof(b)), "0");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_count(999, b, sizeof(b)), "999");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_count(1000, b, sizeof(b)), "1,000");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_count(1234567, b, sizeof(b)), "1,234,567");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_count(UINT64_MAX, b, sizeof(b)),
			       "18,446,744,073,709,551,615");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(0, "pps", b, sizeof(b)), "0 pps");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(950.4, "pps", b, sizeof(b)), "950 pps");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(999.5, "pps", b, sizeof(b)), "1.00 kpps");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(1200, "pps", b, sizeof(b)), "1.20 kpps");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(12345678, "pps", b, sizeof(b)), "12.3 Mpps");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(10528000, "bps", b, sizeof(b)), "10.5 Mbps");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(215e6, "bps", b, sizeof(b)), "215 Mbps");
	/* 999.7 k rounds up to the next prefix, not to "1000 k" */
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(999700, "bps", b, sizeof(b)), "1.00 Mbps");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(-5, "bps", b, sizeof(b)), "0 bps");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(512, "B", b, sizeof(b)), "512 B");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_rate(13160000, "B", b, sizeof(b)), "13.2 MB");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_duration(42, b, sizeof(b)), "42s");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_duration(312, b, sizeof(b)), "5m 12s");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_duration(7380, b, sizeof(b)), "2h 03m");
	CU_ASSERT_STRING_EQUAL(ctl_fmt_duration(273600, b, sizeof(b)), "3d 04h");
}

static void
test_table(void)
{
	static const char *const hdr[] = { "NAME", "PKTS", "NOTE" };
	struct ctl_table t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ctl_table_init(&t, 3, hdr, "lrl");
	ctl_table_add(&t, "cam1");
	ctl_table_add(&t, "%d", 5);
	ctl_table_add(&t, "x");
	ctl_table_add(&t, "a-long-name");
	ctl_table_add(&t, "10,000");
	ctl_table_add(&t, "%s", ""); /* trailing empty cell: no trailing blanks */
	ctl_table_print(&t, f);
	ctl_table_free(&t);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf,
		"NAME           PKTS  NOTE\n"
		"cam1              5  x\n"
		"a-long-name  10,000\n");
	free(buf);
}

static const char rule_list_json[] =
	"{\"rules\":[{\"rule\":{\"name\":\"cam1\",\"id\":1,\"input\":{\"port\":\"in0\","
	"\"destination\":\"239.1.1.1\",\"dport\":5001,\"min_ttl\":1},\"output\":[{\"port\":\"out0\","
	"\"destination\":\"239.2.2.2\",\"dport\":6001,\"ttl\":7},{\"port\":\"out1\","
	"\"destination\":\"239.3.3.3\",\"dport\":6002,\"ttl\":64,\"sport\":4000}]},"
	"\"origin\":\"config\",\"state\":{\"status\":\"degraded\"}},{\"rule\":{\"name\":\"api-cam22\",\"id\":22,\"input\":"
	"{\"port\":\"in0\",\"destination\":\"239.1.1.22\",\"dport\":5001,\"source\":"
	"\"198.18.0.10\"},\"output\":[{\"port\":\"out0\",\"destination\":\"239.2.2.22\","
	"\"dport\":6001,\"ttl\":64}]},\"origin\":\"api\"}],\"generation\":4}";

static void
test_fmt_rule_list(void)
{
	char *s = said("rule", "list", rule_list_json);

	CU_ASSERT_STRING_EQUAL(s,
		"NAME       ID  ORIGIN  STATE     INPUT                                 OUTPUTS\n"
		"cam1        1  config  degraded  in0 239.1.1.1:5001 min_ttl 1          "
		"out0 239.2.2.2:6001 ttl 7\n"
		"                                                                       "
		"out1 239.3.3.3:6002 ttl 64 sport 4000\n"
		"api-cam22  22  api     -         in0 239.1.1.22:5001 from 198.18.0.10  "
		"out0 239.2.2.22:6001 ttl 64\n"
		"2 rules\n");
	free(s);
	s = said("rule", "list", "{\"rules\":[]}");
	CU_ASSERT_STRING_EQUAL(s, "no rules\n");
	free(s);
}

/* rule show: an rtp rule's accounting and a raised silence alarm are shown;
 * a rule with neither shows neither line. */
static void
test_fmt_rule_show(void)
{
	static const char rtp[] =
		"{\"rule\":{\"name\":\"cam\",\"id\":1,\"rtp\":true,\"input\":{\"port\":\"in0\","
		"\"destination\":\"239.1.1.1\",\"dport\":5001},\"output\":[{\"port\":\"out0\","
		"\"destination\":\"239.2.2.2\",\"dport\":6001,\"ttl\":64}]},\"origin\":\"config\","
		"\"state\":{\"status\":\"active\",\"outputs\":[\"active\"]},\"stats\":{"
		"\"rx_packets\":1200,\"rx_bytes\":1629600,\"rtp_lost\":3,\"rtp_reordered\":1,"
		"\"rtp_duplicate\":0,\"rtp_not_rtp\":2,\"rx_pps\":0,\"rx_bps\":0,\"outputs\":[],"
		"\"silence\":{\"silence_ms\":700,\"alarm\":true,\"since_unix_ms\":1700000000000,"
		"\"last_rx_unix_ms\":null,\"raised\":2}}}";
	static const char plain[] =
		"{\"rule\":{\"name\":\"cam\",\"id\":1,\"input\":{\"port\":\"in0\","
		"\"destination\":\"239.1.1.1\",\"dport\":5001},\"output\":[]},\"origin\":\"api\","
		"\"stats\":{\"rx_packets\":0,\"rx_bytes\":0,\"outputs\":[],\"silence\":{"
		"\"silence_ms\":0,\"alarm\":false,\"last_rx_unix_ms\":null,\"raised\":0}}}";
	char *s = render(ctl_fmt_rule_show, rtp);

	CU_ASSERT_PTR_NOT_NULL(strstr(s,
				      "\nrtp       3 lost  1 reordered  0 duplicate  2 not RTP\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nsilence   ALARM since "));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ": nothing received for 700 ms or more (2 raised)\n\n#"));
	free(s);
	s = render(ctl_fmt_rule_show, plain);
	CU_ASSERT_PTR_NULL(strstr(s, "\nrtp "));
	CU_ASSERT_PTR_NULL(strstr(s, "\nsilence "));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\nreceived  0 pkts  0 B"));
	free(s);
}

static const char stats_json[] =
	"{\"unix_ms\":1700000060000,\"since_unix_ms\":1700000000000,\"interval_ms\":1000,"
	"\"totals\":{\"rx_packets\":10000,\"rx_bytes\":13160000,\"tx_packets\":20000,"
	"\"tx_bytes\":26320000,\"drops\":5,\"rx_pps\":1000,\"tx_pps\":2000,\"rx_bps\":10528000,"
	"\"tx_bps\":21056000},\"drops\":{\"no_rule\":5,\"fragment\":0},"
	"\"rules\":[{\"name\":\"cam1\",\"id\":1,\"origin\":\"config\",\"rx_packets\":10000,"
	"\"rx_bytes\":13160000,\"rx_pps\":1000,\"rx_bps\":10528000,\"outputs\":[{\"port\":"
	"\"out0\",\"destination\":\"239.2.2.2\",\"dport\":6001,\"tx_packets\":9998,\"tx_bytes\":13157368,"
	"\"drops\":2,\"tx_pps\":999.5,\"tx_bps\":10520000}]}],"
	"\"ports\":[{\"name\":\"in0\",\"port_id\":0,\"rx_packets\":10005,\"tx_packets\":0,"
	"\"rx_bytes\":13166580,\"tx_bytes\":0,\"rx_missed\":1,\"rx_errors\":0,\"tx_errors\":0,"
	"\"rx_nombuf\":0,\"rx_pps\":1000,\"tx_pps\":0,\"rx_bps\":10530000,\"tx_bps\":0}],"
	"\"lcores\":[{\"lcore\":0,\"role\":\"both\",\"rx_packets\":10005,\"rx_bytes\":13166580,"
	"\"drops\":5}]}";

static void
test_fmt_stats(void)
{
	char *s = render(ctl_fmt_stats, stats_json);

	CU_ASSERT_PTR_NOT_NULL(strstr(s, "(1m 00s), rates over 1.0 s\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s,
		"TOTAL    PKTS    BYTES       RATE    BITRATE\n"
		"rx     10,000  13.2 MB  1.00 kpps  10.5 Mbps\n"
		"tx     20,000  26.3 MB  2.00 kpps  21.1 Mbps\n"
		"drops       5\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s,
		"RULE  ID  ORIGIN  FLOW                      PKTS    BYTES  DROPS       RATE"
		"    BITRATE\n"
		"cam1   1  config  rx                      10,000  13.2 MB         1.00 kpps"
		"  10.5 Mbps\n"
		"                  tx out0 239.2.2.2:6001   9,998  13.2 MB      2  1.00 kpps"
		"  10.5 Mbps\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s,
		"in0    0  rx   10,005  13.2 MB  1.00 kpps  10.5 Mbps       0       1       0\n"
		"          tx        0      0 B      0 pps      0 bps       0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "    0  both   10,005   13.2 MB      5\n"));
	/* only the reasons that counted */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "DROP REASON  PKTS\nno_rule         5\n"));
	CU_ASSERT_PTR_NULL(strstr(s, "fragment"));
	free(s);

	/* a shape it does not know prints dashes, never crashes */
	s = render(ctl_fmt_stats, "{\"totals\": 3, \"rules\": [{}], \"ports\": {}}");
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "rx        -      -     -        -\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "-      -  -       rx       -      -            -"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "drops: -\n"));
	free(s);
	s = render(ctl_fmt_stats, "null");
	CU_ASSERT_PTR_NOT_NULL(s);
	free(s);
}

static void
all_drops(FILE *f, json_object *o)
{
	ctl_fmt_drops(f, o, true);
}

static void
test_fmt_ports(void)
{
	const char *port_get = "{\"port\":{\"name\":\"in0\",\"port_id\":0,\"driver\":"
		"\"net_af_packet\",\"device\":\"net_af_packet0,iface=cgt46rin0\",\"mac\":"
		"\"02:00:00:00:00:01\",\"ip\":\"198.18.46.2/26\",\"mtu\":1500,\"queues\":1,"
		"\"link\":{\"up\":true,\"speed_mbps\":10000,\"duplex\":\"full\"}},"
		"\"stats\":{\"rx_packets\":10005,\"tx_packets\":3,\"rx_bytes\":13166580,\"tx_bytes\":180,"
		"\"rx_missed\":0,\"rx_errors\":0,\"tx_errors\":0,\"rx_nombuf\":0,\"rx_pps\":1000,"
		"\"tx_pps\":0,\"rx_bps\":10530000,\"tx_bps\":0},\"xstats\":{\"rx_good_packets\":"
		"10005,\"rx_q0_errors\":0}}";
	char *s;

	s = said("port", "list", "{\"ports\":[{\"name\":\"in0\",\"port_id\":0,\"driver\":"
		   "\"net_af_packet\",\"mac\":\"02:00:00:00:00:01\",\"ip\":\"198.18.46.2/26\","
		   "\"mtu\":1500,\"queues\":1,\"link\":{\"up\":true,\"speed_mbps\":10000,"
		   "\"duplex\":\"full\"}},{\"name\":\"out0\",\"port_id\":1,\"link\":{\"up\":"
		   "false}}]}");
	CU_ASSERT_STRING_EQUAL(s,
		"NAME  ID  DRIVER         MAC                ADDRESS          MTU  QUEUES  LINK\n"
		"in0    0  net_af_packet  02:00:00:00:00:01  198.18.46.2/26  1500       1  "
		"up 10.0 Gbps full\n"
		"out0   1  -              -                  -                  -       -  down\n");
	free(s);

	s = said("port", "stats", port_get);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "NIC statistics for port 0 (in0)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "  RX-packets: 10005        RX-missed: 0            "
				      "RX-bytes:  13166580\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "  TX-packets: 3            TX-errors: 0            "
				      "TX-bytes:  180\n"));
	free(s);
	s = said("port", "info", port_get);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Infos for port 0 (in0)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Link speed: 10000 Mbps\n"));
	free(s);
	/* API.md: a speed of 0 is unknown (veths, null ports), not 0 Mbps. */
	s = said("port", "info", "{\"port\":{\"name\":\"in0\",\"port_id\":0,\"link\":"
		 "{\"up\":true,\"speed_mbps\":0,\"duplex\":\"full\"}}}");
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Link speed: unknown\n"));
	free(s);
	s = render(ctl_fmt_port_show, port_get);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "rx_good_packets  10,005\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "(1 xstat is zero; --json shows all)\n"));
	free(s);
	s = render(all_drops, stats_json);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "fragment        0\n"));
	free(s);
}


static void
test_fmt_system(void)
{
	char *s;

	s = said("system", "info", "{\"version\":\"0.1.0\",\"dpdk_version\":"
		   "\"DPDK 22.11.1\",\"dataplane\":{\"pid\":100,\"uptime_s\":3725,\"workers\":1,"
		   "\"restarts\":2,\"lcores\":[{\"lcore\":0,\"role\":\"both\",\"worker\":0}]},"
		   "\"control\":{\"pid\":101,\"uptime_s\":65,\"restarts\":1},\"supervisor\":null}");
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "version      0.1.0 (DPDK 22.11.1)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s,
				      "data plane   pid 100, up 1h 02m, 2 restarts, 1 worker\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "control      pid 101, up 1m 05s, 1 restart\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "supervisor   none\n"));
	free(s);
	s = said("system", "version", "{\"version\":\"0.1.0\",\"dpdk_version\":\"DPDK 22.11.1\","
		   "\"dataplane\":{\"version\":\"0.1.0\"}}");
	CU_ASSERT_STRING_EQUAL(s, "castgate 0.1.0 (data plane 0.1.0, DPDK 22.11.1), castgatectl "
			       CG_VERSION "\n");
	free(s);
	s = said("system", "health", "{\"status\":\"degraded\",\"checks\":{\"dataplane\":"
		   "{\"ok\":true,\"pid\":100},\"ports\":[{\"name\":\"in0\",\"link_up\":true},"
		   "{\"name\":\"out0\",\"link_up\":false}],\"state\":{\"ok\":false,\"skipped\":1,"
		   "\"error\":\"rule \\\"x\\\": no port named \\\"zz\\\"\"}}}");
	CU_ASSERT_STRING_EQUAL(s,
		"status     degraded\n"
		"dataplane  ok (pid 100)\n"
		"ports      in0 link up, out0 link DOWN\n"
		"state      FAILED (1 rule skipped at start): rule \"x\": no port named \"zz\"\n");
	free(s);
}

static void
test_fmt_config(void)
{
	char *s;

	s = render(ctl_fmt_config_check, "{\"valid\":false,\"path\":\"/etc/c.toml\",\"error\":"
		   "\"/etc/c.toml: dataplane.burst (line 2): 4096 is out of range 1..512\"}");
	CU_ASSERT_STRING_EQUAL(s, "/etc/c.toml: dataplane.burst (line 2): 4096 is out of range "
			       "1..512\n");
	free(s);
	s = render(ctl_fmt_config_check, "{\"valid\":false,\"path\":\"/etc/c.toml\",\"error\":"
		   "\"cannot read\"}");
	CU_ASSERT_STRING_EQUAL(s, "/etc/c.toml: cannot read\n");
	free(s);
	s = render(ctl_fmt_config_check, "{\"valid\":true,\"path\":\"/etc/c.toml\",\"ports\":3,"
		   "\"rules\":1,\"reload\":{\"add\":[\"a\",\"b\"],\"update\":[],"
		   "\"remove\":[\"c\"]}}");
	CU_ASSERT_STRING_EQUAL(s,
		"/etc/c.toml: valid (3 ports, 1 rule)\n"
		"a reload would change the config rules:\n"
		"  add      a, b\n"
		"  update   -\n"
		"  remove   c\n");
	free(s);
	s = render(ctl_fmt_config_check, "{\"valid\":true,\"path\":\"/etc/c.toml\",\"ports\":2,"
		   "\"rules\":2,\"reload\":{\"add\":[\"cam4\"],\"update\":[],\"remove\":[],"
		   "\"refused\":\"config rule \\\"cam4\\\" has the match of API rule \\\"cam9\\\"\","
		   "\"restart_required\":[\"dataplane\",\"port\"]}}");
	CU_ASSERT_STRING_EQUAL(s,
		"/etc/c.toml: valid (2 ports, 2 rules)\n"
		"a reload would be refused: config rule \"cam4\" has the match of API rule \"cam9\"\n"
		"changed sections a reload does not apply (restart castgate): dataplane port\n");
	free(s);
}

/* Tab after the words w (NULL-terminated) on the partial word: want
 * candidates, the first of them first (NULL: not checked). */
static size_t
tab(char *const *w, const char *partial, size_t want, const char *first, char ***out)
{
	struct ctl_names nm = {
		json_tokener_parse("{\"rules\": [{\"rule\": {\"name\": \"cam1\"}, \"origin\": "
				   "\"config\"}, {\"rule\": {\"name\": \"cam2\"}, \"origin\": \"api\"}, "
				   "{\"rule\": {\"name\": \"feed\"}, \"origin\": \"api\"}]}"),
		json_tokener_parse("{\"ports\": [{\"name\": \"in0\"}, {\"name\": \"out0\"}, "
				   "{\"name\": \"out1\"}]}"),
	};
	char **c;
	int n = 0;
	size_t got;

	while (w != NULL && w[n] != NULL)
		n++;
	got = ctl_complete(w, n, partial, &nm, &c);
	ctl_names_free(&nm);
	CU_ASSERT_EQUAL(got, want);
	if (got != want)
		fprintf(stderr, "Tab on \"%s\" after %d words: %zu candidates, not %zu\n",
			partial, n, got, want);
	if (first != NULL && got > 0)
		CU_ASSERT_STRING_EQUAL(c[0], first);
	if (out != NULL)
		*out = c;
	else
		ctl_complete_free(c, got);
	return got;
}

static void
test_complete(void)
{
	char **c;
	size_t n;

#define W(...) ((char *[]){ __VA_ARGS__, NULL })
#define ADD_X "add", "rule", "x"
#define ADD_X_IN ADD_X, "--in", "in0,239.1.1.1,5001"
	tab(NULL, "sh", 1, "show", NULL);
	n = tab(NULL, "s", 3, "show", &c); /* show stats system, sorted */
	CU_ASSERT_STRING_EQUAL(c[2], "system");
	ctl_complete_free(c, n);
	n = tab(W("show", "rule"), "ca", 2, NULL, &c);
	CU_ASSERT_EQUAL(ctl_common_prefix(c, n), 3); /* "cam" */
	ctl_complete_free(c, n);
	tab(W("del", "rule"), "f", 1, "feed", NULL);
	n = tab(W("show", "port", "stats"), "", 4, "all", &c);
	CU_ASSERT_STRING_EQUAL(c[1], "in0");
	ctl_complete_free(c, n);
	tab(W("show"), "r", 2, NULL, NULL); /* rule rules */
	/* events --types: the classes, each after the commas typed */
	tab(W("events", "--types"), "", 6, "dataplane", NULL);
	tab(W("show", "events", "--types"), "link,s", 1, "link,silence", NULL);
	/* add rule: after NAME the input option, then the ports, then nothing
	 * for GROUP, then the keys */
	tab(W(ADD_X), "--in", 1, "--in", NULL);
	tab(W(ADD_X, "--in"), "i", 1, "in0", NULL);
	tab(W(ADD_X, "--in"), "in0,", 0, NULL, NULL);
	tab(W(ADD_X, "--in"), "in0,239.1.1.1,5001,m", 1, "in0,239.1.1.1,5001,min_ttl=", NULL);
	tab(W(ADD_X, "--in"), "in0,239.1.1.1,5001,", 2, NULL, NULL); /* source= min_ttl= */
	tab(W(ADD_X_IN), "--o", 1, "--out", NULL);
	tab(W(ADD_X_IN, "--out"), "out", 2, NULL, NULL);
	/* source= sport= */
	tab(W(ADD_X_IN, "--out"), "out0,239.2.2.2,6001,ttl=7,s", 2,
	    "out0,239.2.2.2,6001,ttl=7,source=", NULL);
	tab(W(ADD_X_IN, "--out"), "out0,239.2.2.2,6001,ttl=", 0, NULL, NULL);
	tab(W("rule", "add", "x", "--out"), "out", 2, NULL, NULL);
	tab(W("stats", "--rule"), "c", 2, NULL, NULL);
	/* a command that changes a rule offers the API rules only (cam1 is the file's) */
	tab(W("rule", "remove"), "", 2, "cam2", NULL);
	tab(W("rule", "update"), "c", 1, "cam2", NULL);
	tab(W("rule", "add"), "c", 0, NULL, NULL);	/* a new name */
	tab(NULL, "zz", 0, NULL, NULL);
	/* what follows a command's words, and help's words */
	tab(W("stats"), "", 4, NULL, NULL); /* --rule --watch clear drops */
	tab(W("help", "rule"), "re", 1, "remove", NULL);
#undef ADD_X_IN
#undef ADD_X
#undef W
}

/* Every spelling names one command; help lists every command. */
static void
test_commands(void)
{
	char b1[64], b2[64], *help = NULL;
	const char *s1, *s2;
	size_t len = 0;
	FILE *f = open_memstream(&help, &len);
	int k;

	CU_ASSERT_EQUAL(ctl_help(f, 0, NULL), 0);
	fclose(f);
	for (const struct ctl_cmd *a = ctl_cmds; a->words != NULL; a++) {
		CU_ASSERT_PTR_NOT_NULL(strstr(help, a->words));
		CU_ASSERT_TRUE(a->run != NULL || (a->flags & CTL_CMD_QUIT) ||
			       (a->method != NULL && (a->render || a->say)));
		for (int i = 0; (s1 = ctl_cmd_spelling(a, i, b1, sizeof(b1))) != NULL; i++) {
			char *w[8], tmp[64], *save;
			int n = 0;

			snprintf(tmp, sizeof(tmp), "%s", s1);
			for (char *t = strtok_r(tmp, " ", &save); t; t = strtok_r(NULL, " ", &save))
				w[n++] = t;
			CU_ASSERT_PTR_EQUAL(ctl_cmd_find(n, w, &k), a);
			for (const struct ctl_cmd *b = ctl_cmds; b->words != NULL; b++)
				for (int j = 0; (s2 = ctl_cmd_spelling(b, j, b2, sizeof(b2))); j++)
					CU_ASSERT_TRUE((a == b && i == j) || strcmp(s1, s2) != 0);
		}
	}
	free(help);
	/* the verbs of the API, and the one alias of each */
	CU_ASSERT_STRING_EQUAL(ctl_cmd_find(3, (char *[]){ "rule", "del", "x" }, &k)->method,
			       "rule.remove");
	CU_ASSERT_EQUAL(k, 2);
	CU_ASSERT_STRING_EQUAL(ctl_cmd_find(2, (char *[]){ "del", "rule" }, &k)->words,
			       "rule remove");
	CU_ASSERT_PTR_NULL(ctl_cmd_find(2, (char *[]){ "rule", "rm" }, &k));
}

/* Usage errors exit 2 with nothing sent (castgatectl(8)): here the socket does
 * not exist, so a command line that reaches for it exits 3 instead (the
 * messages go to stderr, as they would). */
static int
run_offline(int argc, char **argv)
{
	char *buf = NULL;
	size_t len = 0;
	struct ctl c = { .socket = "/nonexistent/castgate-test.sock", .timeout_ms = 100 };
	int ret;

	c.out = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.out);
	ret = ctl_cmd_run(&c, argc, argv);
	ctl_disconnect(&c);
	fclose(c.out);
	free(buf);
	return ret;
}

static void
test_usage_offline(void)
{
	CU_ASSERT_EQUAL(run_offline(1, (char *[]){ "trace" }), CG_EXIT_USAGE);
	CU_ASSERT_EQUAL(run_offline(4, (char *[]){ "trace", "cam1", "--port", "in0" }),
			CG_EXIT_USAGE);
	CU_ASSERT_EQUAL(run_offline(4, (char *[]){ "trace", "cam1", "--dport", "5001" }),
			CG_EXIT_USAGE);
	CU_ASSERT_EQUAL(run_offline(3, (char *[]){ "trace", "--destination", "239.1.1.1" }),
			CG_EXIT_USAGE);
	CU_ASSERT_EQUAL(run_offline(4, (char *[]){ "trace", "cam1", "--wait", "0" }),
			CG_EXIT_USAGE);
	CU_ASSERT_EQUAL(run_offline(2, (char *[]){ "bogus", "x" }), CG_EXIT_USAGE);
	/* a count or an id that is not a number; its range is the daemon's */
	CU_ASSERT_EQUAL(run_offline(4, (char *[]){ "rule", "list", "--limit", "abc" }),
			CG_EXIT_USAGE);
	CU_ASSERT_EQUAL(run_offline(3, (char *[]){ "rule", "list", "--after=-1" }), CG_EXIT_USAGE);
	CU_ASSERT_EQUAL(run_offline(4, (char *[]){ "trace", "cam1", "--count", "7x" }),
			CG_EXIT_USAGE);
	CU_ASSERT_EQUAL(run_offline(4, (char *[]){ "rule", "list", "--limit", "0" }),
			CG_EXIT_UNAVAILABLE);
	/* well-formed: they go for the socket */
	CU_ASSERT_EQUAL(run_offline(2, (char *[]){ "trace", "cam1" }), CG_EXIT_UNAVAILABLE);
	CU_ASSERT_EQUAL(run_offline(5, (char *[]){ "trace", "--port", "in0", "--dport", "5" }),
			CG_EXIT_UNAVAILABLE);
}

/* config check FILE: the daemon gets an absolute path, the file there or not
 * (castgatectl(8): "FILE is made absolute"). */
static void
test_abs_path(void)
{
	char *cwd = getcwd(NULL, 0), *p, want[4200];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cwd);
	p = ctl_abs_path("no-such-castgate.toml");
	snprintf(want, sizeof(want), "%s/no-such-castgate.toml", strcmp(cwd, "/") ? cwd : "");
	CU_ASSERT_STRING_EQUAL(p, want);
	free(p);
	p = ctl_abs_path("/nonexistent/c.toml");
	CU_ASSERT_STRING_EQUAL(p, "/nonexistent/c.toml");
	free(p);
	p = ctl_abs_path(".");
	CU_ASSERT_STRING_EQUAL(p, cwd);
	free(p);
	free(cwd);
}

/* castgatectl events: one line per event, in the words of its type. */
static void
test_fmt_event(void)
{
	char *s;

	setenv("TZ", "UTC", 1);
	tzset();
	s = render(ctl_fmt_event, "{\"type\":\"silence.raised\",\"seq\":7,\"time_unix_ms\":"
		   "1796243769225,\"rule\":\"cam\",\"id\":1,\"silence_ms\":700,"
		   "\"last_rx_unix_ms\":null,\"raised\":1}");
	CU_ASSERT_STRING_EQUAL(s, "2026-12-02 20:36:09.225  silence.raised       rule cam (id 1): "
			       "silence alarm: nothing received for 700 ms, nothing since it is "
			       "watched\n");
	free(s);
	s = render(ctl_fmt_event, "{\"type\":\"silence.cleared\",\"time_unix_ms\":1796243769005,"
		   "\"rule\":\"cam\",\"id\":1,\"reason\":\"traffic\",\"duration_ms\":902,"
		   "\"lost\":3}");
	CU_ASSERT_STRING_EQUAL(s, "(3 events lost before the next: castgatectl did not read fast "
			       "enough)\n"
			       "2026-12-02 20:36:09.005  silence.cleared      rule cam (id 1): "
			       "silence alarm cleared after 902 ms (traffic)\n");
	free(s);
	s = render(ctl_fmt_event, "{\"type\":\"link.down\",\"time_unix_ms\":1796243769005,"
		   "\"port\":\"out1\",\"state\":\"down\",\"source\":\"netlink\","
		   "\"reason\":\"carrier lost\"}");
	CU_ASSERT_STRING_EQUAL(s, "2026-12-02 20:36:09.005  link.down            port out1: link "
			       "down, netlink: carrier lost\n");
	free(s);
	s = render(ctl_fmt_event, "{\"type\":\"dataplane.restarted\",\"time_unix_ms\":"
		   "1796243769005,\"pid\":42,\"restarts\":1,\"previous\":{\"pid\":41}}");
	CU_ASSERT_STRING_EQUAL(s, "2026-12-02 20:36:09.005  dataplane.restarted  data plane "
			       "restarted: pid 42 (was 41), restart 1\n");
	free(s);
	/* An unknown type prints its JSON; a shape it does not expect prints "-". */
	s = render(ctl_fmt_event, "{\"type\":\"test.x\",\"n\":1}");
	CU_ASSERT_STRING_EQUAL(s, "-  test.x               {\"type\":\"test.x\",\"n\":1}\n");
	free(s);
	s = render(ctl_fmt_event, "[]");
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "-  -"));
	free(s);
}

static const char *man_path;

/* castgatectl.8's COMMANDS section lists exactly the table's spellings: the
 * leading lower-case words of the first line of each .TP / .TQ item. */
static void
test_man_page(void)
{
	char line[512], clean[512], names[128][48], buf[64];
	bool in = false, item = false, found;
	const char *sp;
	size_t nnames = 0, o;
	FILE *f;

	if (man_path == NULL)
		return;
	f = fopen(man_path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = line;

		if (strncmp(line, ".SH ", 4) == 0)
			in = strncmp(line, ".SH COMMANDS", 12) == 0;
		if (in && (strncmp(line, ".TP", 3) == 0 || strncmp(line, ".TQ", 3) == 0)) {
			item = true;
			continue;
		}
		if (!in || !item)
			continue;
		item = false;
		if (p[0] == '.')
			p += strcspn(p, " ") + strspn(p + strcspn(p, " "), " ");
		for (o = 0; *p != '\0' && *p != '\n' && o + 1 < sizeof(clean); p++) {
			if (p[0] == '\\' && p[1] == 'f')
				p += 2;
			else if (p[0] == '\\' && p[1] == '-')
				clean[o++] = *++p;
			else if (*p != '"')
				clean[o++] = *p;
		}
		clean[o] = '\0';
		/* the leading words of lower-case letters (and "?") */
		for (o = 0; clean[o] != '\0'; o++)
			if (!((clean[o] >= 'a' && clean[o] <= 'z') || clean[o] == '?' ||
			      (clean[o] == ' ' && clean[o + 1] >= 'a' && clean[o + 1] <= 'z')))
				break;
		clean[o] = '\0';
		if (o > 0 && nnames < 128)
			snprintf(names[nnames++], sizeof(names[0]), "%.47s", clean);
	}
	fclose(f);
	/* each item names a command by its leading words (arguments such as
	 * "all" may follow) */
	for (size_t k = 0; k < nnames; k++) {
		int n = 0, nw = 0;
		char *w[8], *save;

		snprintf(buf, sizeof(buf), "%.47s", names[k]);
		for (char *t = strtok_r(buf, " ", &save); t && n < 8; t = strtok_r(NULL, " ", &save))
			w[n++] = t;
		if (ctl_cmd_find(n, w, &nw) == NULL)
			fprintf(stderr, "castgatectl.8 lists \"%s\", which is no command\n", names[k]);
		CU_ASSERT_TRUE(nw > 0);
		for (o = 0; nw > 0 && names[k][o] != '\0'; o++)
			nw -= names[k][o + 1] == ' ' || names[k][o + 1] == '\0';
		names[k][o] = '\0';
	}
	for (const struct ctl_cmd *a = ctl_cmds; a->words != NULL; a++) {
		for (int i = 0; (sp = ctl_cmd_spelling(a, i, buf, sizeof(buf))) != NULL; i++) {
			found = false;
			for (size_t k = 0; k < nnames; k++)
				found |= strcmp(names[k], sp) == 0;
			if (!found)
				fprintf(stderr, "castgatectl.8 does not list \"%s\"\n", sp);
			CU_ASSERT_TRUE(found);
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_parse_in),
		CG_UNIT_TEST(test_parse_out),
		CG_UNIT_TEST(test_rule_from_args),
		CG_UNIT_TEST(test_rule_console),
		CG_UNIT_TEST(test_rule_params),
		CG_UNIT_TEST(test_rule_from_text),
		CG_UNIT_TEST(test_split),
		CG_UNIT_TEST(test_numbers),
		CG_UNIT_TEST(test_table),
		CG_UNIT_TEST(test_fmt_rule_list),
		CG_UNIT_TEST(test_fmt_rule_show),
		CG_UNIT_TEST(test_fmt_stats),
		CG_UNIT_TEST(test_fmt_ports),
		CG_UNIT_TEST(test_fmt_system),
		CG_UNIT_TEST(test_fmt_config),
		CG_UNIT_TEST(test_fmt_event),
		CG_UNIT_TEST(test_complete),
		CG_UNIT_TEST(test_commands),
		CG_UNIT_TEST(test_usage_offline),
		CG_UNIT_TEST(test_abs_path),
		CG_UNIT_TEST(test_man_page),
		CG_UNIT_END,
	};

	man_path = argc > 1 ? argv[1] : NULL;
	return cg_unit_run("castgatectl", tests);
}
