/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <json-c/json.h>

#include "cg_rule.h"
#include "cg_toml.h"
#include "../cg_unit.h"

/* Parse a TOML document and run cg_rule_from_json() on its first [[rule]]. */
static int
parse_rule(const char *toml, struct cg_rule *r, char *err, size_t errlen)
{
	char terr[256];
	json_object *root, *arr;
	int ret;

	root = cg_toml_parse(toml, strlen(toml), terr, sizeof(terr));
	if (root == NULL) {
		snprintf(err, errlen, "TOML: %s", terr);
		return -1000;
	}
	if (!json_object_object_get_ex(root, "rule", &arr)) {
		json_object_put(root);
		return -1001;
	}
	ret = cg_rule_from_json(json_object_array_get_idx(arr, 0), "rule[0]", r, err, errlen);
	json_object_put(root);
	return ret;
}

static uint32_t
ip(const char *s)
{
	return inet_addr(s);
}

static const char *good =
	"[[rule]]\n"						/* 1 */
	"name = \"cam1\"\n"					/* 2 */
	"id = 7\n"						/* 3 */
	"input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001 }\n"
	"[[rule.output]]\n"					/* 5 */
	"port = \"rout0\"\n"					/* 6 */
	"destination = \"239.2.2.2\"\n"				/* 7 */
	"dport = 6001\n"					/* 8 */
	"ttl = 16\n"						/* 9 */
	"[[rule.output]]\n"					/* 10 */
	"port = \"rout1\"\n"					/* 11 */
	"destination = \"198.18.1.200\"\n"			/* 12 */
	"dport = 6002\n"					/* 13 */
	"sport = 7002\n"					/* 14 */
	"source = \"198.18.1.130\"\n"				/* 15 */
	"next_hop_mac = \"02:AA:bb:cc:dd:0e\"\n";		/* 16 */

static void
test_parse_valid(void)
{
	struct cg_rule r;
	char err[256] = "";

	CU_ASSERT_EQUAL_FATAL(parse_rule(good, &r, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(r.name, "cam1");
	CU_ASSERT_EQUAL(r.id, 7);
	CU_ASSERT_STRING_EQUAL(r.in.port, "rin0");
	CU_ASSERT_EQUAL(r.in.dst, ip("239.1.1.1"));
	CU_ASSERT_EQUAL(r.in.dport, 5001);
	CU_ASSERT_EQUAL(r.in.src, 0);
	CU_ASSERT_EQUAL(r.in.port_id, CG_RULE_PORT_ID_NONE);
	CU_ASSERT_EQUAL_FATAL(r.n_outputs, 2);
	CU_ASSERT_STRING_EQUAL(r.out[0].port, "rout0");
	CU_ASSERT_EQUAL(r.out[0].dst, ip("239.2.2.2"));
	CU_ASSERT_EQUAL(r.out[0].dport, 6001);
	CU_ASSERT_EQUAL(r.out[0].sport, 0);
	CU_ASSERT_EQUAL(r.out[0].ttl, 16);
	CU_ASSERT_EQUAL(r.out[0].src, 0);
	CU_ASSERT_EQUAL(r.out[0].has_next_hop_mac, 0);
	CU_ASSERT_EQUAL(r.out[0].port_id, CG_RULE_PORT_ID_NONE);
	CU_ASSERT_EQUAL(r.out[1].dst, ip("198.18.1.200"));
	CU_ASSERT_EQUAL(r.out[1].sport, 7002);
	CU_ASSERT_EQUAL(r.out[1].ttl, CG_RULE_DEFAULT_TTL);
	CU_ASSERT_EQUAL(r.out[1].src, ip("198.18.1.130"));
	CU_ASSERT_EQUAL(r.out[1].has_next_hop_mac, 1);
	CU_ASSERT_EQUAL(memcmp(r.out[1].next_hop_mac, "\x02\xaa\xbb\xcc\xdd\x0e", 6), 0);
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), 0);
}

static void
test_parse_subtable_and_source(void)
{
	const char *t =
		"[[rule]]\n"
		"name = \"sg.cam-2_x\"\n"
		"[rule.input]\n"
		"port = \"rin0\"\n"
		"destination = \"239.1.1.2\"\n"
		"dport = 5002\n"
		"source = \"198.18.1.1\"\n"
		"[[rule.output]]\n"
		"port = \"rin0\"\n"
		"destination = \"239.1.1.2\"\n"
		"dport = 5002\n"
		"source = \"198.18.1.9\"\n";
	struct cg_rule r;
	char err[256] = "";

	/* Same port, group and dport as the input is fine when the source differs. */
	CU_ASSERT_EQUAL_FATAL(parse_rule(t, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.id, 0);
	CU_ASSERT_EQUAL(r.in.src, ip("198.18.1.1"));
	CU_ASSERT_EQUAL(r.n_outputs, 1);
}

static void
test_roundtrip(void)
{
	struct cg_rule a, b;
	json_object *j;
	char err[256] = "";

	CU_ASSERT_EQUAL_FATAL(parse_rule(good, &a, err, sizeof(err)), 0);
	a.in.src = ip("198.18.1.1");
	j = cg_rule_to_json(&a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(cg_rule_from_json(j, "", &b, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(cg_rule_equal(&a, &b));
	/* Both came from the parser: even the bytes agree (no padding, unused slots zero). */
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
	json_object_put(j);

	/* Changing any field breaks equality. */
	b.out[1].next_hop_mac[5] ^= 1;
	CU_ASSERT_FALSE(cg_rule_equal(&a, &b));
	b = a;
	b.out[0].ttl = 17;
	CU_ASSERT_FALSE(cg_rule_equal(&a, &b));
	b = a;
	b.in.port_id = 3;	/* resolution is not part of what a rule says */
	CU_ASSERT_TRUE(cg_rule_equal(&a, &b));
}

static void
test_to_json_fields(void)
{
	struct cg_rule a;
	json_object *j, *in, *outs, *o, *v;
	char err[256] = "";

	CU_ASSERT_EQUAL_FATAL(parse_rule(good, &a, err, sizeof(err)), 0);
	j = cg_rule_to_json(&a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "input", &in));
	CU_ASSERT_FALSE(json_object_object_get_ex(in, "source", &v));
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "output", &outs));
	o = json_object_array_get_idx(outs, 0);
	CU_ASSERT_FALSE(json_object_object_get_ex(o, "sport", &v));
	CU_ASSERT_FALSE(json_object_object_get_ex(o, "next_hop_mac", &v));
	o = json_object_array_get_idx(outs, 1);
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "next_hop_mac", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "02:aa:bb:cc:dd:0e");
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "ttl", &v));
	CU_ASSERT_EQUAL(json_object_get_int(v), 64);
	json_object_put(j);

	/* A struct with an unterminated name is written without reading past it. */
	memset(a.name, 'z', sizeof(a.name));
	j = cg_rule_to_json(&a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "name", &v));
	CU_ASSERT_EQUAL(json_object_get_string_len(v), CG_RULE_NAME_SIZE);
	json_object_put(j);
}

/* A rule with one substitution: the line at @line (1-based) of base_err replaced. */
static const char *base_err[] = {
	"[[rule]]",							/* 1 */
	"name = \"cam1\"",						/* 2 */
	"input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001 }", /* 3 */
	"[[rule.output]]",						/* 4 */
	"port = \"rout0\"",						/* 5 */
	"destination = \"239.2.2.2\"",					/* 6 */
	"dport = 6001",							/* 7 */
	"ttl = 16",							/* 8 */
	NULL,
};

static char *
with_line(int line, const char *text)
{
	static char buf[2048];
	size_t off = 0;
	int i;

	for (i = 0; base_err[i] != NULL; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s\n",
					i + 1 == line ? text : base_err[i]);
	return buf;
}

struct err_case {
	int line;		/* line of base_err to replace; 0 = append text */
	const char *text;
	const char *want;
};

/* rtp and silence_ms: absent, set, silence_ms = 0 (off), through JSON and back. */
static void
test_stream_health(void)
{
	static const char *head = "[[rule]]\nname = \"cam1\"\n";
	static const char *tail =
		"input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001 }\n"
		"output = [ { port = \"rout0\", destination = \"239.2.2.2\", dport = 6001 } ]\n";
	static const struct {
		const char *keys;
		int ret;
		uint8_t rtp;
		uint32_t silence_ms;
	} cases[] = {
		{ "", 0, 0, 0 },
		{ "rtp = true\nsilence_ms = 500\n", 0, 1, 500 },
		{ "rtp = false\nsilence_ms = 0\n", 0, 0, CG_RULE_SILENCE_OFF },
		{ "rtp = 1\n", -EINVAL, 0, 0 },
		{ "silence_ms = 3600001\n", -EINVAL, 0, 0 },
		{ "silence_ms = -1\n", -EINVAL, 0, 0 },
	};
	char doc[512], err[256];
	struct cg_rule r, b;
	json_object *j;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(doc, sizeof(doc), "%s%s%s", head, cases[i].keys, tail);
		CU_ASSERT_EQUAL(parse_rule(doc, &r, err, sizeof(err)), cases[i].ret);
		if (cases[i].ret != 0)
			continue;
		CU_ASSERT_EQUAL(r.rtp, cases[i].rtp);
		CU_ASSERT_EQUAL(r.silence_ms, cases[i].silence_ms);
		j = cg_rule_to_json(&r);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		CU_ASSERT_EQUAL(cg_rule_from_json(j, "", &b, err, sizeof(err)), 0);
		CU_ASSERT_TRUE(cg_rule_equal(&r, &b));
		json_object_put(j);
	}
}

static void
test_errors(void)
{
	static const struct err_case cases[] = {
		{ 2, "name = \"cam1\"\ncolour = \"red\"",
		  "rule[0].colour (line 3): unknown key" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "group = 1 }", "rule[0].input.group (line 3): unknown key" },
		{ 0, "hops = 3", "rule[0].output[0].hops (line 9): unknown key" },
		{ 2, "# no name", "rule[0].name (line 1): required key is missing" },
		{ 3, "# no input", "rule[0].input (line 1): required key is missing" },
		{ 2, "name = \"cam 1\"", "rule[0].name (line 2): \"cam 1\" is not a valid name "
		  "(1..63 characters of A-Z a-z 0-9 _ . -)" },
		{ 2, "name = 5", "rule[0].name (line 2): expected a string, got an integer" },
		{ 2, "name = \"cam1\"\nid = 0",
		  "rule[0].id (line 3): 0 is out of range 1..4294967295" },
		{ 3, "input = { port = \"rin 0\", destination = \"239.1.1.1\", dport = 5001 }",
		  "rule[0].input.port (line 3): \"rin 0\" is not a valid port name "
		  "(1..31 characters of A-Z a-z 0-9 _ . -)" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = \"5001\" }",
		  "rule[0].input.dport (line 3): expected an integer, got a string" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 0 }",
		  "rule[0].input.dport (line 3): 0 is out of range 1..65535" },
		{ 3, "input = { port = \"rin0\", destination = \"1.2.3\", dport = 5001 }",
		  "rule[0].input.destination (line 3): \"1.2.3\" is not an IPv4 address" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.01\", dport = 5001 }",
		  "rule[0].input.destination (line 3): \"239.1.1.01\" is not an IPv4 address" },
		{ 3, "input = { port = \"rin0\", destination = \"224.0.0.22\", dport = 5001 }",
		  "rule[0].input.destination (line 3): 224.0.0.22 is in 224.0.0.0/24 "
		  "(link-local multicast control), which is never relayed" },
		{ 3, "input = { port = \"rin0\", destination = \"0.0.0.0\", dport = 5001 }",
		  "rule[0].input.destination (line 3): 0.0.0.0 is the unspecified address" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "source = \"239.9.9.9\" }",
		  "rule[0].input.source (line 3): 239.9.9.9 is a multicast address, not a unicast "
		  "one; leave source out to match any source" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "source = \"0.0.0.0\" }",
		  "rule[0].input.source (line 3): 0.0.0.0 is the unspecified address; leave source "
		  "out to match any source" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "source = \"127.0.0.1\" }",
		  "rule[0].input.source (line 3): 127.0.0.1 is a loopback address; leave source "
		  "out to match any source" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "source = \"255.255.255.255\" }",
		  "rule[0].input.source (line 3): 255.255.255.255 is the limited broadcast "
		  "address; leave source out to match any source" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "source = \"0.1.2.3\" }",
		  "rule[0].input.source (line 3): 0.1.2.3 is in 0.0.0.0/8 (this network); leave "
		  "source out to match any source" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "source = \"240.0.0.1\" }",
		  "rule[0].input.source (line 3): 240.0.0.1 is in the reserved range 240.0.0.0/4; "
		  "leave source out to match any source" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "min_ttl = 0 }",
		  "rule[0].input.min_ttl (line 3): 0 is out of range 1..255" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "min_ttl = 256 }",
		  "rule[0].input.min_ttl (line 3): 256 is out of range 1..255" },
		{ 3, "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "min_ttl = \"1\" }",
		  "rule[0].input.min_ttl (line 3): expected an integer, got a string" },
		{ 6, "destination = \"255.255.255.255\"",
		  "rule[0].output[0].destination (line 6): 255.255.255.255 is the limited "
		  "broadcast address" },
		{ 6, "destination = \"127.0.0.1\"",
		  "rule[0].output[0].destination (line 6): 127.0.0.1 is a loopback address" },
		{ 6, "destination = 239", "rule[0].output[0].destination (line 6): expected a "
		  "string, got an integer" },
		{ 7, "dport = 70000", "rule[0].output[0].dport (line 7): 70000 is out of range "
		  "1..65535" },
		{ 7, "# no dport", "rule[0].output[0].dport (line 4): required key is missing" },
		{ 8, "ttl = 300", "rule[0].output[0].ttl (line 8): 300 is out of range 1..255" },
		{ 8, "ttl = 0", "rule[0].output[0].ttl (line 8): 0 is out of range 1..255" },
		{ 8, "ttl = \"16\"", "rule[0].output[0].ttl (line 8): expected an integer, got a "
		  "string" },
		{ 0, "sport = 0", "rule[0].output[0].sport (line 9): 0 is out of range 1..65535" },
		{ 0, "source = \"198.18.1.255.1\"", "rule[0].output[0].source (line 9): "
		  "\"198.18.1.255.1\" is not an IPv4 address" },
		{ 0, "source = \"240.0.0.1\"", "rule[0].output[0].source (line 9): 240.0.0.1 is in "
		  "the reserved range 240.0.0.0/4; leave source out to use the output port's "
		  "address" },
		{ 0, "next_hop_mac = \"02:00:00:00:00:01\"", "rule[0].output[0].next_hop_mac "
		  "(line 9): only allowed for a unicast destination (239.2.2.2 is a multicast "
		  "group)" },
		{ 6, "destination = \"198.18.1.70\"\nnext_hop_mac = \"02:00:00:00:00\"",
		  "rule[0].output[0].next_hop_mac (line 7): \"02:00:00:00:00\" is not a MAC "
		  "address (aa:bb:cc:dd:ee:ff)" },
		{ 6, "destination = \"198.18.1.70\"\nnext_hop_mac = \"01:00:5e:00:00:01\"",
		  "rule[0].output[0].next_hop_mac (line 7): 01:00:5e:00:00:01 is a multicast or "
		  "broadcast MAC address, not a unicast one" },
		{ 6, "destination = \"198.18.1.70\"\nnext_hop_mac = \"00:00:00:00:00:00\"",
		  "rule[0].output[0].next_hop_mac (line 7): 00:00:00:00:00:00 is the all-zero "
		  "MAC address" },
		{ 0, "[[rule.output]]\nport = \"rout0\"\ndestination = \"239.2.2.2\"\n"
		     "dport = 6001\nttl = 3",
		  "rule[0].output[1] (line 9): same port, destination and dport as output[0]" },
		{ 3, "input = { port = \"rout0\", destination = \"239.2.2.2\", dport = 6001 }",
		  "rule[0].output[0] (line 4): would be matched again by the rule's own input "
		  "(a forwarding loop)" },
	};
	struct cg_rule r;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct err_case *c = &cases[i];
		char doc[4096];
		int ret;

		if (c->line == 0)
			snprintf(doc, sizeof(doc), "%s%s\n", with_line(0, NULL), c->text);
		else
			snprintf(doc, sizeof(doc), "%s", with_line(c->line, c->text));
		err[0] = '\0';
		ret = parse_rule(doc, &r, err, sizeof(err));
		CU_ASSERT_EQUAL(ret, -EINVAL);
		CU_ASSERT_STRING_EQUAL(err, c->want);
		if (ret != -EINVAL || strcmp(err, c->want) != 0)
			printf("\ncase %zu:\n%s\n got %d: %s\nwant: %s\n", i, doc, ret, err,
			       c->want);
		/* A failed parse leaves no half-filled rule behind. */
		CU_ASSERT_EQUAL(r.n_outputs, 0);
		CU_ASSERT_EQUAL(r.name[0], '\0');
	}
}

static void
test_output_count(void)
{
	char doc[8192], err[256];
	struct cg_rule r;
	size_t off;
	int i;

	snprintf(doc, sizeof(doc), "[[rule]]\nname = \"x\"\n"
		 "input = { port = \"a\", destination = \"239.1.1.1\", dport = 1 }\n"
		 "output = []\n");
	CU_ASSERT_EQUAL(parse_rule(doc, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule[0].output (line 4): expected 1..16 outputs, got 0");

	snprintf(doc, sizeof(doc), "[[rule]]\nname = \"x\"\n"
		 "input = { port = \"a\", destination = \"239.1.1.1\", dport = 1 }\n"
		 "output = { port = \"b\" }\n");
	CU_ASSERT_EQUAL(parse_rule(doc, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule[0].output (line 4): expected an array, got a table");

	snprintf(doc, sizeof(doc), "[[rule]]\nname = \"x\"\n"
		 "input = { port = \"a\", destination = \"239.1.1.1\", dport = 1 }\n"
		 "output = [ 1 ]\n");
	CU_ASSERT_EQUAL(parse_rule(doc, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule[0].output[0] (line 4): expected a table, got an "
			       "integer");

	/* 16 outputs are fine, 17 are not. */
	off = (size_t)snprintf(doc, sizeof(doc), "[[rule]]\nname = \"x\"\n"
			       "input = { port = \"a\", destination = \"239.1.1.1\", dport = 1 }\n");
	for (i = 0; i < 16; i++)
		off += (size_t)snprintf(doc + off, sizeof(doc) - off, "[[rule.output]]\n"
					"port = \"b\"\ndestination = \"239.2.2.2\"\ndport = %d\n",
					i + 1);
	CU_ASSERT_EQUAL(parse_rule(doc, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.n_outputs, 16);
	snprintf(doc + off, sizeof(doc) - off, "[[rule.output]]\n"
		 "port = \"b\"\ndestination = \"239.2.2.2\"\ndport = 99\n");
	CU_ASSERT_EQUAL(parse_rule(doc, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule[0].output (line 4): expected 1..16 outputs, got 17");
}

/* Objects from plain JSON (the control plane) have no lines: messages omit them. */
static void
test_json_input(void)
{
	json_object *o;
	struct cg_rule r;
	char err[256];

	o = json_tokener_parse("{\"name\":\"j1\",\"input\":{\"port\":\"rin0\","
			       "\"destination\":\"239.1.1.1\",\"dport\":5001},"
			       "\"output\":[{\"port\":\"rout0\",\"destination\":\"239.2.2.2\","
			       "\"dport\":\"6001\"}]}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(cg_rule_from_json(o, "params.rule", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "params.rule.output[0].dport: expected an integer, got a "
			       "string");
	json_object_put(o);

	o = json_tokener_parse("[1]");
	CU_ASSERT_EQUAL(cg_rule_from_json(o, "", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule: expected a table, got an array");
	json_object_put(o);
	CU_ASSERT_EQUAL(cg_rule_from_json(NULL, "x", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "x: expected a table, got null");
}

/* The rule of @c good with @p line added among its own keys (before its sub-tables). */
static void
good_with(char *text, size_t size, const char *line)
{
	const char *p = strstr(good, "id = 7\n") + strlen("id = 7\n");

	snprintf(text, size, "%.*s%s%s", (int)(p - good), good, line, p);
}

/* Per-rule silence_ms: absent = the [control] default (0), 0 = never, else the value. */
static void
test_silence_ms(void)
{
	char text[1024], err[256];
	json_object *j, *v;
	struct cg_rule r, back;

	CU_ASSERT_EQUAL_FATAL(parse_rule(good, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.silence_ms, 0);
	j = cg_rule_to_json(&r);
	CU_ASSERT_FALSE(json_object_object_get_ex(j, "silence_ms", NULL));
	json_object_put(j);

	good_with(text, sizeof(text), "silence_ms = 2500\n");
	CU_ASSERT_EQUAL_FATAL(parse_rule(text, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.silence_ms, 2500);
	j = cg_rule_to_json(&r);
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "silence_ms", &v) &&
		       json_object_get_int(v) == 2500);
	CU_ASSERT_EQUAL(cg_rule_from_json(j, "", &back, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(cg_rule_equal(&r, &back));
	json_object_put(j);

	/* 0: off for this rule, and it stays off through JSON (0, not absent). */
	good_with(text, sizeof(text), "silence_ms = 0\n");
	CU_ASSERT_EQUAL_FATAL(parse_rule(text, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.silence_ms, CG_RULE_SILENCE_OFF);
	j = cg_rule_to_json(&r);
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "silence_ms", &v) &&
		       json_object_get_int(v) == 0);
	CU_ASSERT_EQUAL(cg_rule_from_json(j, "", &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(back.silence_ms, CG_RULE_SILENCE_OFF);
	CU_ASSERT_TRUE(cg_rule_equal(&r, &back));
	back.silence_ms = 0;
	CU_ASSERT_FALSE(cg_rule_equal(&r, &back));
	json_object_put(j);

	/* Range: 0..3600000, with the line. */
	j = json_tokener_parse("{\"name\":\"s1\",\"silence_ms\":3600001,\"input\":{\"port\":"
			       "\"rin0\",\"destination\":\"239.1.1.1\",\"dport\":5001},"
			       "\"output\":[{\"port\":\"rout0\",\"destination\":\"239.2.2.2\","
			       "\"dport\":6001}]}");
	CU_ASSERT_EQUAL(cg_rule_from_json(j, "params.rule", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "params.rule.silence_ms: 3600001 is out of range 0..3600000");
	json_object_object_add(j, "silence_ms", json_object_new_int(-1));
	CU_ASSERT_EQUAL(cg_rule_from_json(j, "params.rule", &r, err, sizeof(err)), -EINVAL);
	json_object_object_add(j, "silence_ms", json_object_new_string("1s"));
	CU_ASSERT_EQUAL(cg_rule_from_json(j, "params.rule", &r, err, sizeof(err)), -EINVAL);
	json_object_object_add(j, "silence_ms", json_object_new_int(3600000));
	CU_ASSERT_EQUAL(cg_rule_from_json(j, "params.rule", &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.silence_ms, 3600000);
	json_object_put(j);

	/* A struct from elsewhere (state file, a request slot) is checked too. */
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), 0);
	r.silence_ms = CG_RULE_SILENCE_OFF;
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), 0);
	r.silence_ms = CG_RULE_SILENCE_MAX_MS + 1;
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "silence_ms: 3600001 is out of range 0..3600000"));
}

/* Input min_ttl: absent and 2 are the default (stored as 0), 1..255 kept and shown. */
static void
test_min_ttl(void)
{
	static const char *in = "input = { port = \"rin0\", destination = \"239.1.1.1\", "
				"dport = 5001";
	char line[256], err[256];
	json_object *j, *v, *jin;
	struct cg_rule r, dflt, back;

	CU_ASSERT_EQUAL_FATAL(parse_rule(with_line(0, NULL), &dflt, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(dflt.min_ttl, 0);
	CU_ASSERT_EQUAL(cg_rule_min_ttl(&dflt), CG_RULE_DEFAULT_MIN_TTL);
	CU_ASSERT_EQUAL(CG_RULE_DEFAULT_MIN_TTL, 2);
	j = cg_rule_to_json(&dflt);
	CU_ASSERT_TRUE(json_object_object_get_ex(j, "input", &jin) &&
		       !json_object_object_get_ex(jin, "min_ttl", NULL));
	json_object_put(j);

	for (int ttl = 1; ttl <= 255; ttl += 127) {	/* 1, 128, 255 */
		snprintf(line, sizeof(line), "%s, min_ttl = %d }", in, ttl);
		CU_ASSERT_EQUAL_FATAL(parse_rule(with_line(3, line), &r, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(cg_rule_min_ttl(&r), ttl);
		CU_ASSERT_FALSE(cg_rule_equal(&r, &dflt));
		j = cg_rule_to_json(&r);
		CU_ASSERT_TRUE(json_object_object_get_ex(j, "input", &jin) &&
			       json_object_object_get_ex(jin, "min_ttl", &v) &&
			       json_object_get_int(v) == ttl);
		CU_ASSERT_EQUAL(cg_rule_from_json(j, "", &back, err, sizeof(err)), 0);
		CU_ASSERT_TRUE(cg_rule_equal(&r, &back));
		CU_ASSERT_EQUAL(cg_rule_validate(&back, err, sizeof(err)), 0);
		json_object_put(j);
	}
	/* The default said aloud is the same rule, and is not written back. */
	snprintf(line, sizeof(line), "%s, min_ttl = 2 }", in);
	CU_ASSERT_EQUAL_FATAL(parse_rule(with_line(3, line), &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.min_ttl, 0);
	CU_ASSERT_TRUE(cg_rule_equal(&r, &dflt));
	/* A struct from elsewhere that says 2 is the default too. */
	back = dflt;
	back.min_ttl = CG_RULE_DEFAULT_MIN_TTL;
	CU_ASSERT_TRUE(cg_rule_equal(&back, &dflt));
}

static void
make_rule(struct cg_rule *r, const char *name, const char *dst, uint16_t dport)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->in.port, sizeof(r->in.port), "rin0");
	r->in.dst = ip(dst);
	r->in.dport = dport;
	r->in.port_id = CG_RULE_PORT_ID_NONE;
	r->n_outputs = 1;
	snprintf(r->out[0].port, sizeof(r->out[0].port), "rout0");
	r->out[0].dst = ip("239.2.2.2");
	r->out[0].dport = 6001;
	r->out[0].ttl = 64;
	r->out[0].port_id = CG_RULE_PORT_ID_NONE;
}

/* The one refusal of a rule with more outputs than a slot holds. */
static void
test_check_outputs(void)
{
	struct cg_rule r;
	char err[256] = "";

	make_rule(&r, "cam1", "239.1.1.1", 5001);
	r.out[1] = r.out[0];
	r.out[1].dport = 6002;
	r.n_outputs = 2;
	CU_ASSERT_EQUAL(cg_rule_check_outputs(&r, 2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_rule_check_outputs(&r, 16, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(cg_rule_check_outputs(&r, 1, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule \"cam1\": output: 2 outputs, more than a rule slot "
			       "holds ([dataplane] max_outputs = 1)");
}

static void
test_validate_struct(void)
{
	struct cg_rule r;
	char err[256];

	make_rule(&r, "cam1", "239.1.1.1", 5001);
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), 0);

	r.out[0].ttl = 0;
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule \"cam1\": output[0].ttl: 0 is out of range 1..255");

	make_rule(&r, "cam1", "239.1.1.1", 5001);
	r.n_outputs = 0;
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule \"cam1\": output: expected 1..16 outputs, got 0");

	make_rule(&r, "cam1", "239.1.1.1", 5001);
	r.n_outputs = 17;
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), -EINVAL);

	make_rule(&r, "cam1", "239.1.1.1", 5001);
	r.in.src = ip("255.255.255.255");
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule \"cam1\": input.source: 255.255.255.255 is the "
			       "limited broadcast address");

	make_rule(&r, "cam1", "239.1.1.1", 5001);
	r.out[0].has_next_hop_mac = 1;
	r.out[0].dst = ip("198.18.1.7");
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule \"cam1\": output[0].next_hop_mac: 00:00:00:00:00:00 "
			       "is the all-zero MAC address");

	/* Unterminated strings are caught before anything reads them. */
	make_rule(&r, "cam1", "239.1.1.1", 5001);
	memset(r.name, 'a', sizeof(r.name));
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule: name: longer than 63 characters");
	make_rule(&r, "cam1", "239.1.1.1", 5001);
	memset(r.out[0].port, 'p', sizeof(r.out[0].port));
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule \"cam1\": output[0].port: longer than 31 characters");
	make_rule(&r, "", "239.1.1.1", 5001);
	CU_ASSERT_EQUAL(cg_rule_validate(&r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule: name: \"\" is not a valid name (1..63 characters of "
			       "A-Z a-z 0-9 _ . -)");
}

static void
test_helpers(void)
{
	uint8_t mac[6];
	uint32_t a;
	char name[80];

	CU_ASSERT_EQUAL(cg_rule_parse_ipv4("198.18.0.1", &a), 0);
	CU_ASSERT_EQUAL(a, htonl(0xc6120001));
	CU_ASSERT_EQUAL(cg_rule_parse_ipv4("198.18.1", &a), -EINVAL);
	CU_ASSERT_EQUAL(cg_rule_parse_ipv4(" 198.18.0.1", &a), -EINVAL);
	CU_ASSERT_EQUAL(cg_rule_parse_ipv4("198.18.0.256", &a), -EINVAL);
	CU_ASSERT_EQUAL(cg_rule_parse_ipv4("0x7f.0.0.1", &a), -EINVAL);
	CU_ASSERT_EQUAL(cg_rule_parse_mac("02:0A:0b:0c:0d:ff", mac), 0);
	CU_ASSERT_EQUAL(memcmp(mac, "\x02\x0a\x0b\x0c\x0d\xff", 6), 0);
	CU_ASSERT_EQUAL(cg_rule_parse_mac("02-0a-0b-0c-0d-ff", mac), -EINVAL);
	CU_ASSERT_EQUAL(cg_rule_parse_mac("02:0a:0b:0c:0d:fg", mac), -EINVAL);
	CU_ASSERT_EQUAL(cg_rule_parse_mac("02:0a:0b:0c:0d:ff:", mac), -EINVAL);
	CU_ASSERT_PTR_NULL(cg_rule_dst_problem(ip("239.1.1.1")));
	CU_ASSERT_PTR_NULL(cg_rule_dst_problem(ip("224.0.1.1")));
	CU_ASSERT_PTR_NULL(cg_rule_dst_problem(ip("198.18.0.1")));
	CU_ASSERT_PTR_NOT_NULL(cg_rule_dst_problem(ip("224.0.0.255")));
	CU_ASSERT_PTR_NOT_NULL(cg_rule_dst_problem(ip("0.1.2.3")));
	CU_ASSERT_PTR_NOT_NULL(cg_rule_dst_problem(ip("250.1.2.3")));
	CU_ASSERT_PTR_NULL(cg_rule_src_problem(ip("198.18.0.1")));
	CU_ASSERT_PTR_NOT_NULL(cg_rule_src_problem(ip("224.0.1.1")));
	CU_ASSERT_TRUE(cg_rule_addr_is_multicast(ip("239.255.255.255")));
	CU_ASSERT_FALSE(cg_rule_addr_is_multicast(ip("240.0.0.1")));
	CU_ASSERT_TRUE(cg_rule_name_valid("a"));
	memset(name, 'n', 63);
	name[63] = '\0';
	CU_ASSERT_TRUE(cg_rule_name_valid(name));
	name[63] = 'n';
	name[64] = '\0';
	CU_ASSERT_FALSE(cg_rule_name_valid(name));
	name[31] = '\0';
	CU_ASSERT_TRUE(cg_rule_port_name_valid(name));
	name[31] = 'n';
	name[32] = '\0';
	CU_ASSERT_FALSE(cg_rule_port_name_valid(name));
	CU_ASSERT_FALSE(cg_rule_name_valid("a/b"));
	CU_ASSERT_FALSE(cg_rule_name_valid(""));
	CU_ASSERT_FALSE(cg_rule_name_valid(NULL));
}

static void
test_key(void)
{
	struct cg_rule r;
	struct cg_rule_key k1, k2;
	const uint8_t *b;

	make_rule(&r, "cam1", "239.1.1.1", 5001);
	r.in.port_id = 2;
	r.in.src = ip("198.18.1.1");
	k1 = cg_rule_key_from_rule(&r);
	/* As the data plane builds it: straight from the headers, network order. */
	k2 = cg_rule_key_make(2, ip("239.1.1.1"), htons(5001), ip("198.18.1.1"));
	CU_ASSERT_EQUAL(sizeof(k1), 12);
	CU_ASSERT_EQUAL(memcmp(&k1, &k2, sizeof(k1)), 0);
	b = (const uint8_t *)&k1.dport;
	CU_ASSERT_EQUAL(b[0], 5001 >> 8);
	CU_ASSERT_EQUAL(b[1], 5001 & 0xff);
	b = (const uint8_t *)&k1.dst;
	CU_ASSERT_EQUAL(b[0], 239);
	CU_ASSERT_EQUAL(k1.port_id, 2);
	k2 = cg_rule_key_make(2, ip("239.1.1.1"), htons(5001), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(&k1, &k2, sizeof(k1)), 0);
}

static int
lookup(void *arg, const char *name)
{
	static const char *const ports[] = { "rin0", "rout0", "rout1" };
	int i;

	(void)arg;
	for (i = 0; i < 3; i++)
		if (strcmp(ports[i], name) == 0)
			return i;
	return -ENOENT;
}

static void
test_resolve(void)
{
	struct cg_rule r;
	char err[256];

	make_rule(&r, "cam1", "239.1.1.1", 5001);
	r.n_outputs = 2;
	r.out[1] = r.out[0];
	snprintf(r.out[1].port, sizeof(r.out[1].port), "rout1");
	CU_ASSERT_EQUAL(cg_rule_resolve_ports(&r, lookup, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.in.port_id, 0);
	CU_ASSERT_EQUAL(r.out[0].port_id, 1);
	CU_ASSERT_EQUAL(r.out[1].port_id, 2);

	make_rule(&r, "cam1", "239.1.1.1", 5001);
	snprintf(r.out[0].port, sizeof(r.out[0].port), "rout9");
	CU_ASSERT_EQUAL(cg_rule_resolve_ports(&r, lookup, NULL, err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "rule \"cam1\": output[0].port: no port named \"rout9\"");
	/* Nothing is half-resolved. */
	CU_ASSERT_EQUAL(r.in.port_id, CG_RULE_PORT_ID_NONE);
}

static void
test_set(void)
{
	struct cg_rule_set *s = cg_rule_set_new();
	struct cg_rule r;
	const struct cg_rule *p, *other;
	char err[256];
	size_t i, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(cg_rule_set_next_id(s), 1);

	make_rule(&r, "a", "239.1.1.1", 5001);
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.id, 1);
	make_rule(&r, "b", "239.1.1.2", 5001);
	r.id = 10;
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), 0);
	make_rule(&r, "c", "239.1.1.3", 5001);
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.id, 11);
	/* (S,G) next to (*,G) for the same group is allowed: more specific match. */
	make_rule(&r, "a-sg", "239.1.1.1", 5001);
	r.in.src = ip("198.18.1.1");
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_rule_set_count(s), 4);

	/* Conflicts. */
	make_rule(&r, "a", "239.1.1.9", 5001);
	CU_ASSERT_EQUAL(cg_rule_set_check(s, &r, &other), CG_RULE_CONFLICT_NAME);
	CU_ASSERT_STRING_EQUAL(other->name, "a");
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), -EEXIST);
	CU_ASSERT_STRING_EQUAL(err, "rule \"a\": name is already used by rule id 1");
	make_rule(&r, "d", "239.1.1.9", 5001);
	r.id = 10;
	CU_ASSERT_EQUAL(cg_rule_set_check(s, &r, NULL), CG_RULE_CONFLICT_ID);
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), -EEXIST);
	CU_ASSERT_STRING_EQUAL(err, "rule \"d\": id 10 is already used by rule \"b\"");
	make_rule(&r, "d", "239.1.1.1", 5001);
	r.in.src = ip("198.18.1.1");
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), -EEXIST);
	CU_ASSERT_STRING_EQUAL(err, "rule \"d\": same match (port rin0, 239.1.1.1:5001, source "
			       "198.18.1.1) as rule \"a-sg\"");
	make_rule(&r, "d", "239.1.1.2", 5001);
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), -EEXIST);
	CU_ASSERT_STRING_EQUAL(err, "rule \"d\": same match (port rin0, 239.1.1.2:5001, any "
			       "source) as rule \"b\"");
	/* A different input port is a different match. */
	snprintf(r.in.port, sizeof(r.in.port), "rin1");
	CU_ASSERT_EQUAL(cg_rule_set_check(s, &r, NULL), CG_RULE_CONFLICT_NONE);
	/* Invalid rules never get in; the id is not consumed. */
	make_rule(&r, "e", "224.0.0.1", 5001);
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(r.id, 0);
	CU_ASSERT_EQUAL(cg_rule_set_count(s), 4);
	CU_ASSERT_EQUAL(cg_rule_set_next_id(s), 13);

	/* Find, iterate in insertion order, remove. */
	p = cg_rule_set_find(s, "c");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->id, 11);
	CU_ASSERT_PTR_EQUAL(cg_rule_set_find_id(s, 11), p);
	CU_ASSERT_PTR_NULL(cg_rule_set_find(s, "zz"));
	CU_ASSERT_PTR_NULL(cg_rule_set_find_id(s, 2));
	n = 0;
	CG_RULE_SET_FOREACH(s, i, p) {
		static const char *const order[] = { "a", "b", "c", "a-sg" };

		CU_ASSERT_STRING_EQUAL(p->name, order[i]);
		n++;
	}
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(cg_rule_set_remove(s, "b"), 0);
	CU_ASSERT_EQUAL(cg_rule_set_remove(s, "b"), -ENOENT);
	CU_ASSERT_EQUAL(cg_rule_set_count(s), 3);
	CU_ASSERT_STRING_EQUAL(cg_rule_set_get(s, 1)->name, "c");
	CU_ASSERT_PTR_NULL(cg_rule_set_get(s, 3));
	/* The removed rule's match and name are free again. */
	make_rule(&r, "b", "239.1.1.2", 5001);
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), 0);
	/* Removing the highest id does not hand it out again at once. */
	CU_ASSERT_EQUAL(r.id, 13);
	CU_ASSERT_EQUAL(cg_rule_set_remove(s, "b"), 0);
	CU_ASSERT_EQUAL(cg_rule_set_next_id(s), 14);

	/* Many rules: the array grows and finds still work. */
	for (i = 0; i < 100; i++) {
		char name[16];

		snprintf(name, sizeof(name), "many%zu", i);
		make_rule(&r, name, "239.5.0.1", (uint16_t)(i + 1));
		CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), 0);
	}
	CU_ASSERT_EQUAL(cg_rule_set_count(s), 103);
	CU_ASSERT_EQUAL(cg_rule_set_find(s, "many99")->in.dport, 100);

	/* Truncate undoes the last adds: names, ids and matches free again. */
	cg_rule_set_truncate(s, 5);
	CU_ASSERT_EQUAL(cg_rule_set_count(s), 5);
	CU_ASSERT_PTR_NOT_NULL(cg_rule_set_find(s, "many1"));
	CU_ASSERT_PTR_NULL(cg_rule_set_find(s, "many2"));
	CU_ASSERT_PTR_NULL(cg_rule_set_find(s, "many99"));
	CU_ASSERT_PTR_NOT_NULL(cg_rule_set_find(s, "a"));
	make_rule(&r, "many2", "239.5.0.1", 3);
	CU_ASSERT_EQUAL(cg_rule_set_check(s, &r, NULL), CG_RULE_CONFLICT_NONE);
	make_rule(&r, "x", "239.5.0.1", 2);
	CU_ASSERT_EQUAL(cg_rule_set_check(s, &r, NULL), CG_RULE_CONFLICT_MATCH);
	cg_rule_set_truncate(s, 50);	/* longer than the set: nothing */
	CU_ASSERT_EQUAL(cg_rule_set_count(s), 5);
	cg_rule_set_free(s);
	cg_rule_set_free(NULL);
}

static void
test_set_id_wrap(void)
{
	struct cg_rule_set *s = cg_rule_set_new();
	struct cg_rule r;
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	make_rule(&r, "top", "239.1.1.1", 1);
	r.id = UINT32_MAX;
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), 0);
	make_rule(&r, "one", "239.1.1.1", 2);
	r.id = 1;
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), 0);
	/* Past the top, the lowest free id. */
	CU_ASSERT_EQUAL(cg_rule_set_next_id(s), 2);
	make_rule(&r, "auto", "239.1.1.1", 3);
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.id, 2);
	cg_rule_set_free(s);
}

/* A clone of an empty set (castgate-control's first rule.add): the empty set
 * has no array, and copying from it was undefined (UBSan, scripts/test --sanitize). */
static void
test_set_clone_empty(void)
{
	struct cg_rule_set *s = cg_rule_set_new(), *c;
	struct cg_rule r;
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	c = cg_rule_set_clone(s, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(cg_rule_set_count(c), 0);
	cg_rule_set_free(c);
	c = cg_rule_set_clone(s, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	make_rule(&r, "first", "239.1.1.1", 1);
	CU_ASSERT_EQUAL(cg_rule_set_add(c, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_rule_set_count(c), 1);
	CU_ASSERT_EQUAL(cg_rule_set_count(s), 0);
	cg_rule_set_free(c);
	cg_rule_set_free(s);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_parse_valid),
		CG_UNIT_TEST(test_parse_subtable_and_source),
		CG_UNIT_TEST(test_roundtrip),
		CG_UNIT_TEST(test_to_json_fields),
		CG_UNIT_TEST(test_errors),
		CG_UNIT_TEST(test_stream_health),
		CG_UNIT_TEST(test_output_count),
		CG_UNIT_TEST(test_json_input),
		CG_UNIT_TEST(test_validate_struct),
		CG_UNIT_TEST(test_check_outputs),
		CG_UNIT_TEST(test_helpers),
		CG_UNIT_TEST(test_key),
		CG_UNIT_TEST(test_resolve),
		CG_UNIT_TEST(test_set),
		CG_UNIT_TEST(test_set_id_wrap),
		CG_UNIT_TEST(test_set_clone_empty),
		CG_UNIT_TEST(test_silence_ms),
		CG_UNIT_TEST(test_min_ttl),
		CG_UNIT_END,
	};

	return cg_unit_run("rule", tests);
}
