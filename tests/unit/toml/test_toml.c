/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cg_toml.h"
#include "../cg_unit.h"

#ifndef CG_TOML_CORPUS
#error "CG_TOML_CORPUS (the fuzz seed corpus directory) must be defined by meson"
#endif

/* ---- helpers ------------------------------------------------------------ */

static json_object *
parse(const char *text)
{
	char err[256];
	json_object *o = cg_toml_parse(text, strlen(text), err, sizeof(err));

	if (o == NULL)
		fprintf(stderr, "\nunexpected parse error: %s\n--- input:\n%s\n---\n", err, text);
	return o;
}

/* The document must be rejected with exactly this message. */
static void
check_error(const char *text, size_t len, const char *want)
{
	char err[256] = "";
	json_object *o = cg_toml_parse(text, len, err, sizeof(err));

	CU_ASSERT_PTR_NULL(o);
	if (o != NULL) {
		fprintf(stderr, "\naccepted invalid input:\n%.*s\n", (int)len, text);
		json_object_put(o);
		return;
	}
	CU_ASSERT_EQUAL(errno, EINVAL);
	if (strcmp(err, want) != 0)
		fprintf(stderr, "\ninput:\n%.*s\nwant: %s\ngot:  %s\n", (int)len, text, want, err);
	CU_ASSERT_STRING_EQUAL(err, want);
}

#define ERR(text, want) check_error(text, sizeof(text) - 1, want)

/* Value at a dotted path of plain keys, with [i] for array elements: "a.b[1].c". */
static json_object *
at(json_object *o, const char *path)
{
	char buf[512], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && o != NULL;
	     tok = strtok_r(NULL, ".", &save)) {
		char *br = strchr(tok, '[');

		if (br != NULL)
			*br = '\0';
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, tok, &o))
			return NULL;
		while (br != NULL && o != NULL) {
			size_t i = strtoul(br + 1, NULL, 10);

			if (!json_object_is_type(o, json_type_array) ||
			    i >= json_object_array_length(o))
				return NULL;
			o = json_object_array_get_idx(o, i);
			br = strchr(br + 1, '[');
		}
	}
	return o;
}

static const char *
str_at(json_object *o, const char *path)
{
	json_object *v = at(o, path);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "<none>";
}

static int64_t
int_at(json_object *o, const char *path)
{
	json_object *v = at(o, path);

	CU_ASSERT_TRUE(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

static double
dbl_at(json_object *o, const char *path)
{
	json_object *v = at(o, path);

	CU_ASSERT_TRUE(json_object_is_type(v, json_type_double));
	return json_object_get_double(v);
}

static const char *
json_of(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

/* The whole document, as compact JSON, must equal want. */
static void
check_json(const char *text, const char *want)
{
	json_object *o = parse(text);

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	if (strcmp(json_of(o), want) != 0)
		fprintf(stderr, "\ninput:\n%s\nwant: %s\ngot:  %s\n", text, want, json_of(o));
	CU_ASSERT_STRING_EQUAL(json_of(o), want);
	json_object_put(o);
}

/* ---- valid documents ---------------------------------------------------- */

static void
test_empty_and_comments(void)
{
	check_json("", "{}");
	check_json("\n\n", "{}");
	check_json("# only a comment", "{}");
	check_json("  # indented comment\n\t\n", "{}");
	check_json("a = 1 # trailing comment\n# b = 2\n", "{\"a\":1}");
	check_json("a = 1\r\nb = 2\r\n", "{\"a\":1,\"b\":2}");
	check_json("\xef\xbb\xbf" "a = 1", "{\"a\":1}");	/* BOM */
	check_json("# comment with \xc3\xa9 and \ttab\na = 1", "{\"a\":1}");
	check_json("\t a\t=\t1\t", "{\"a\":1}");
}

static void
test_keys(void)
{
	check_json("bare_key-1 = 1\n1234 = 2\n", "{\"bare_key-1\":1,\"1234\":2}");
	check_json("\"quoted key\" = 1\n'literal \\ key' = 2\n",
		   "{\"quoted key\":1,\"literal \\\\ key\":2}");
	check_json("\"\\u00e9t\\u00E9\" = 1", "{\"\xc3\xa9t\xc3\xa9\":1}");
	check_json("\"\" = 1", "{\"\":1}");
	check_json("a.b.c = 1\na.b.d = 2\na.e = 3\n",
		   "{\"a\":{\"b\":{\"c\":1,\"d\":2},\"e\":3}}");
	check_json("a . \"b.c\" . 'd' = 1", "{\"a\":{\"b.c\":{\"d\":1}}}");
	check_json("3.14159 = \"pi\"", "{\"3\":{\"14159\":\"pi\"}}");
	check_json("true = 1\ninf = 2", "{\"true\":1,\"inf\":2}");
	/* document order is kept */
	check_json("z = 1\na = 2\nm = 3", "{\"z\":1,\"a\":2,\"m\":3}");
}

static void
test_basic_strings(void)
{
	json_object *o = parse("s = \"b\\bt\\tn\\nf\\fr\\rq\\\"bs\\\\\"\n"
			       "u = \"\\u00e9\\U0001F600\\u20AC\"\n"
			       "raw = \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 tab\there\"\n"
			       "lit = 'C:\\Users\\x \"q\"'\n"
			       "e = \"\"\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(str_at(o, "s"), "b\bt\tn\nf\fr\rq\"bs\\");
	CU_ASSERT_STRING_EQUAL(str_at(o, "u"), "\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac");
	CU_ASSERT_STRING_EQUAL(str_at(o, "raw"), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 tab\there");
	CU_ASSERT_STRING_EQUAL(str_at(o, "lit"), "C:\\Users\\x \"q\"");
	CU_ASSERT_STRING_EQUAL(str_at(o, "e"), "");
	json_object_put(o);
}

static void
test_multiline_strings(void)
{
	json_object *o = parse("a = \"\"\"\nline1\nline2\"\"\"\n"
			       "b = \"\"\"one \\\n    two \\\n\n   three\"\"\"\n"
			       "c = \"\"\"x\\   \n  y\"\"\"\n"
			       "d = \"\"\"q\"\"\"\"\n"
			       "e = \"\"\"q\"\"\"\"\"\n"
			       "f = \"\"\"a \"\" b \"\"\"\n"
			       "g = '''\n\\n is raw\n'''\n"
			       "h = '''it''s'''''\n"
			       "i = \"\"\"crlf\r\nend\"\"\"\n"
			       "j = \"\"\"\r\ntrimmed crlf\"\"\"\n"
			       "k = \"\"\"\"\"\"\n"
			       "l = \"\"\"tab\there \\u0041\"\"\"\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(str_at(o, "a"), "line1\nline2");
	CU_ASSERT_STRING_EQUAL(str_at(o, "b"), "one two three");
	CU_ASSERT_STRING_EQUAL(str_at(o, "c"), "xy");
	CU_ASSERT_STRING_EQUAL(str_at(o, "d"), "q\"");
	CU_ASSERT_STRING_EQUAL(str_at(o, "e"), "q\"\"");
	CU_ASSERT_STRING_EQUAL(str_at(o, "f"), "a \"\" b ");
	CU_ASSERT_STRING_EQUAL(str_at(o, "g"), "\\n is raw\n");
	CU_ASSERT_STRING_EQUAL(str_at(o, "h"), "it''s''");
	CU_ASSERT_STRING_EQUAL(str_at(o, "i"), "crlf\nend");
	CU_ASSERT_STRING_EQUAL(str_at(o, "j"), "trimmed crlf");
	CU_ASSERT_STRING_EQUAL(str_at(o, "k"), "");
	CU_ASSERT_STRING_EQUAL(str_at(o, "l"), "tab\there A");
	/* the multi-line strings moved the line counter correctly */
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "b")), 4);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "l")), 22);
	json_object_put(o);
}

static void
test_integers(void)
{
	json_object *o = parse("a = 42\nb = +17\nc = -5\nd = 0\ne = +0\nf = -0\n"
			       "g = 1_000_000\nh = 5_3_4\n"
			       "i = 0xDEAD_beef\nj = 0o755\nk = 0b1101_0110\nl = 0x0\n"
			       "max = 9223372036854775807\nmin = -9223372036854775808\n"
			       "hmax = 0x7fffffffffffffff\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(int_at(o, "a"), 42);
	CU_ASSERT_EQUAL(int_at(o, "b"), 17);
	CU_ASSERT_EQUAL(int_at(o, "c"), -5);
	CU_ASSERT_EQUAL(int_at(o, "d"), 0);
	CU_ASSERT_EQUAL(int_at(o, "e"), 0);
	CU_ASSERT_EQUAL(int_at(o, "f"), 0);
	CU_ASSERT_EQUAL(int_at(o, "g"), 1000000);
	CU_ASSERT_EQUAL(int_at(o, "h"), 534);
	CU_ASSERT_EQUAL(int_at(o, "i"), 0xdeadbeef);
	CU_ASSERT_EQUAL(int_at(o, "j"), 0755);
	CU_ASSERT_EQUAL(int_at(o, "k"), 0xd6);
	CU_ASSERT_EQUAL(int_at(o, "l"), 0);
	CU_ASSERT_EQUAL(int_at(o, "max"), INT64_MAX);
	CU_ASSERT_EQUAL(int_at(o, "min"), INT64_MIN);
	CU_ASSERT_EQUAL(int_at(o, "hmax"), INT64_MAX);
	json_object_put(o);
}

static void
test_floats(void)
{
	json_object *o = parse("a = 1.5\nb = -3.25\nc = +0.5\nd = 5e+2\ne = 1E3\nf = 6.25e-2\n"
			       "g = 224_617.445_991\nh = 1e0_6\ni = -0.0\nj = 0e0\nk = 1e06\n"
			       "l = 3.0e1\n"
			       "pinf = inf\nqinf = +inf\nninf = -inf\nn1 = nan\nn2 = +nan\nn3 = -nan\n"
			       "tiny = 1e-400\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "a"), 1.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "b"), -3.25, 0);
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "c"), 0.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "d"), 500, 0);
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "e"), 1000, 0);
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "f"), 0.0625, 0);
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "g"), 224617.445991, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "h"), 1e6, 0);
	CU_ASSERT_TRUE(dbl_at(o, "i") == 0 && signbit(dbl_at(o, "i")));
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "j"), 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "k"), 1e6, 0);
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "l"), 30, 0);
	CU_ASSERT_TRUE(isinf(dbl_at(o, "pinf")) && dbl_at(o, "pinf") > 0);
	CU_ASSERT_TRUE(isinf(dbl_at(o, "qinf")) && dbl_at(o, "qinf") > 0);
	CU_ASSERT_TRUE(isinf(dbl_at(o, "ninf")) && dbl_at(o, "ninf") < 0);
	CU_ASSERT_TRUE(isnan(dbl_at(o, "n1")));
	CU_ASSERT_TRUE(isnan(dbl_at(o, "n2")));
	CU_ASSERT_TRUE(isnan(dbl_at(o, "n3")));
	CU_ASSERT_DOUBLE_EQUAL(dbl_at(o, "tiny"), 0, 1e-300);	/* underflow rounds */
	json_object_put(o);
}

static void
test_booleans(void)
{
	json_object *o = parse("t = true\nf = false\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(json_object_is_type(at(o, "t"), json_type_boolean));
	CU_ASSERT_TRUE(json_object_get_boolean(at(o, "t")));
	CU_ASSERT_TRUE(json_object_is_type(at(o, "f"), json_type_boolean));
	CU_ASSERT_FALSE(json_object_get_boolean(at(o, "f")));
	json_object_put(o);
}

static void
test_arrays(void)
{
	check_json("a = []\nb = [ ]\nc = [1]\nd = [1, 2, 3,]\n",
		   "{\"a\":[],\"b\":[],\"c\":[1],\"d\":[1,2,3]}");
	check_json("m = [1, 'two', 3.5, true, [4], {x = 5}]",
		   "{\"m\":[1,\"two\",3.5,true,[4],{\"x\":5}]}");
	check_json("a = [\n  1, # one\n  # alone\n  2\n  ,3\n\n]\n", "{\"a\":[1,2,3]}");
	check_json("a = [\r\n1,\r\n2,\r\n]", "{\"a\":[1,2]}");
	check_json("a = [[1, 2], [\"a\", 'b'], [[]]]", "{\"a\":[[1,2],[\"a\",\"b\"],[[]]]}");
	check_json("a = [ \"\"\"x\ny\"\"\", '''z''' ]", "{\"a\":[\"x\\ny\",\"z\"]}");
}

static void
test_inline_tables(void)
{
	check_json("p = {}\nq = { }\n", "{\"p\":{},\"q\":{}}");
	check_json("p = { x = 1, y = \"s\", z = [1, 2] }",
		   "{\"p\":{\"x\":1,\"y\":\"s\",\"z\":[1,2]}}");
	check_json("p = {a.b = 1, a.c = 2, d = {e = {}}}",
		   "{\"p\":{\"a\":{\"b\":1,\"c\":2},\"d\":{\"e\":{}}}}");
	/* arrays inside an inline table may span lines */
	check_json("p = {a = [\n1,\n2\n]}", "{\"p\":{\"a\":[1,2]}}");
	check_json("a.b = {c = 1}\na.d = 2", "{\"a\":{\"b\":{\"c\":1},\"d\":2}}");
}

static void
test_tables(void)
{
	check_json("[a]\nx = 1\n[b]\ny = 2\n", "{\"a\":{\"x\":1},\"b\":{\"y\":2}}");
	check_json("top = 0\n[a.b.c]\nx = 1\n", "{\"top\":0,\"a\":{\"b\":{\"c\":{\"x\":1}}}}");
	check_json("[ a . \"b c\" . 'd' ]", "{\"a\":{\"b c\":{\"d\":{}}}}");
	/* an implicitly created table may be defined later, once */
	check_json("[a.b]\nx = 1\n[a]\ny = 2\n", "{\"a\":{\"b\":{\"x\":1},\"y\":2}}");
	/* sub-tables of a table defined by dotted keys (TOML 1.0 example) */
	check_json("[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n"
		   "[fruit.apple.texture]\nsmooth = true\n",
		   "{\"fruit\":{\"apple\":{\"color\":\"red\",\"taste\":{\"sweet\":true},"
		   "\"texture\":{\"smooth\":true}}}}");
	check_json("[a]\n[b]\n[a.c]\n", "{\"a\":{\"c\":{}},\"b\":{}}");
	check_json("[a]#comment\n[b] # comment\n", "{\"a\":{},\"b\":{}}");
}

static void
test_arrays_of_tables(void)
{
	check_json("[[p]]\nn = 1\n[[p]]\n[[p]]\nn = 3\n", "{\"p\":[{\"n\":1},{},{\"n\":3}]}");
	check_json("[[f]]\nname = \"apple\"\n[f.physical]\ncolor = \"red\"\n"
		   "[[f.variety]]\nname = \"x\"\n[[f.variety]]\nname = \"y\"\n"
		   "[[f]]\nname = \"banana\"\n[[f.variety]]\nname = \"z\"\n",
		   "{\"f\":[{\"name\":\"apple\",\"physical\":{\"color\":\"red\"},"
		   "\"variety\":[{\"name\":\"x\"},{\"name\":\"y\"}]},"
		   "{\"name\":\"banana\",\"variety\":[{\"name\":\"z\"}]}]}");
	check_json("[a]\n[[a.b]]\nx = 1\n[[a.b]]\nx = 2\n", "{\"a\":{\"b\":[{\"x\":1},{\"x\":2}]}}");
	check_json("[[a]]\nb.c = 1\n[[a]]\nb.c = 2\n", "{\"a\":[{\"b\":{\"c\":1}},{\"b\":{\"c\":2}}]}");
}

static void
test_lines(void)
{
	json_object *o = parse("# header comment\n"		/* 1 */
			       "a = 1\n"			/* 2 */
			       "s = \"\"\"\n"			/* 3 */
			       "x\"\"\"\n"			/* 4 */
			       "arr = [\n"			/* 5 */
			       "  1,\n"				/* 6 */
			       "  { k = 2 },\n"			/* 7 */
			       "]\n"				/* 8 */
			       "d.e = true\n"			/* 9 */
			       "[t.u]\n"			/* 10 */
			       "v = 1.5\n"			/* 11 */
			       "[t]\n"				/* 12 */
			       "w = 'x'\n"			/* 13 */
			       "[[aot]]\n"			/* 14 */
			       "n = 1\n"			/* 15 */
			       "\n"				/* 16 */
			       "[[aot]]\n"			/* 17 */
			       "n = 2\n"			/* 18 */
			       "[aot.sub]\n"			/* 19 */
			       "it = { y = [1] }\n");		/* 20 */

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(cg_toml_line(o), 1);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "a")), 2);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "s")), 3);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "arr")), 5);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "arr[0]")), 6);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "arr[1]")), 7);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "arr[1].k")), 7);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "d")), 9);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "d.e")), 9);
	/* t was created implicitly on line 10, then defined on line 12 */
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "t")), 12);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "t.u")), 10);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "t.u.v")), 11);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "t.w")), 13);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "aot")), 14);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "aot[0]")), 14);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "aot[0].n")), 15);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "aot[1]")), 17);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "aot[1].n")), 18);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "aot[1].sub")), 19);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "aot[1].sub.it")), 20);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "aot[1].sub.it.y")), 20);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "aot[1].sub.it.y[0]")), 20);
	json_object_put(o);

	/* objects not made by the parser have no line */
	CU_ASSERT_EQUAL(cg_toml_line(NULL), 0);
	o = json_tokener_parse("{\"a\": 1.25, \"b\": 3}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(cg_toml_line(o), 0);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "a")), 0);	/* json-c keeps a pointer here */
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "b")), 0);
	json_object_put(o);
}

/* Userdata must not leak into json-c's output. */
static void
test_serialization_unaffected(void)
{
	check_json("a = 1.5\nb = 2\nc = 'x'\nd = [true]\n[e]\n",
		   "{\"a\":1.5,\"b\":2,\"c\":\"x\",\"d\":[true],\"e\":{}}");
}

/* ---- errors ------------------------------------------------------------- */

static void
test_errors_characters(void)
{
	check_error("a = 1\nb = \"x\0y\"", 14, "line 2: control character U+0000 is not allowed");
	ERR("a = 1\n\n# bell \x07\n", "line 3: control character U+0007 is not allowed");
	ERR("a = \"\x1b[0m\"", "line 1: control character U+001B is not allowed");
	ERR("a = 'del \x7f'", "line 1: control character U+007F is not allowed");
	ERR("a = 1\rb = 2", "line 1: carriage return not followed by a newline");
	ERR("a = 1\n\nb = \"\xc3\"", "line 3: invalid UTF-8");
	ERR("a = '\xc0\xaf'", "line 1: invalid UTF-8");		/* overlong */
	ERR("a = '\xed\xa0\x80'", "line 1: invalid UTF-8");	/* surrogate */
	ERR("a = '\xf4\x90\x80\x80'", "line 1: invalid UTF-8");	/* > U+10FFFF */
	ERR("# \xff in a comment", "line 1: invalid UTF-8");
	ERR("\xef\xbb\xbf\xef\xbb\xbf" "a = 1", "line 1: expected a key, got a non-ASCII character");
}

static void
test_errors_strings(void)
{
	ERR("a = \"abc", "line 1: unterminated string");
	ERR("a = 'abc", "line 1: unterminated string");
	ERR("a = 1\nb = \"\"\"abc\n\ndef", "line 2: unterminated string");
	ERR("a = '''abc\n", "line 1: unterminated string");
	ERR("a = \"ab\nc\"", "line 1: newline in a single-line string");
	ERR("a = 'ab\nc'", "line 1: newline in a single-line string");
	ERR("a = \"\\x41\"", "line 1: invalid escape sequence '\\x'");
	ERR("a = \"\\e\"", "line 1: invalid escape sequence '\\e'");
	ERR("a = \"\\ \"", "line 1: invalid escape sequence");
	ERR("a = \"\\\nb\"", "line 1: invalid escape sequence");	/* only multi-line */
	ERR("a = \"\"\"x\\  y\"\"\"", "line 1: invalid escape sequence");
	ERR("a = \"\\u12\"", "line 1: \\u needs 4 hexadecimal digits");
	ERR("a = \"\\U0001F60\"", "line 1: \\U needs 8 hexadecimal digits");
	ERR("a = \"\\uD800\"", "line 1: \\uD800 is not a Unicode scalar value");
	ERR("a = \"\\uDFFF\"", "line 1: \\uDFFF is not a Unicode scalar value");
	ERR("a = \"\\U00110000\"", "line 1: \\U00110000 is not a Unicode scalar value");
	ERR("a = \"\\u0000\"", "line 1: U+0000 is not allowed in strings");
	ERR("a = \"\"\"x\"\"\"\"\"\"", "line 1: too many quotes at the end of a string");
	ERR("a = '''x''''''", "line 1: too many quotes at the end of a string");
	ERR("a = \"\"\"x\"\"\"\"\"\"\"", "line 1: too many quotes at the end of a string");
}

static void
test_errors_numbers(void)
{
	ERR("a = 01", "line 1: leading zeros are not allowed: '01'");
	ERR("a = -007", "line 1: leading zeros are not allowed: '-007'");
	ERR("a = 0_1", "line 1: leading zeros are not allowed: '0_1'");
	ERR("a = 00.5", "line 1: leading zeros are not allowed: '00.5'");
	ERR("a = 1__0", "line 1: invalid integer '1__0'");
	ERR("a = 1_", "line 1: invalid integer '1_'");
	ERR("a = _1", "line 1: invalid value '_1' (strings need quotes)");
	ERR("a = +_1", "line 1: invalid value '+_1'");
	ERR("a = 0x_1", "line 1: invalid integer '0x_1'");
	ERR("a = 0x", "line 1: invalid integer '0x'");
	ERR("a = 0xG", "line 1: invalid integer '0xG'");
	ERR("a = 0o8", "line 1: invalid integer '0o8'");
	ERR("a = 0b102", "line 1: invalid integer '0b102'");
	ERR("a = 0X1F", "line 1: invalid integer '0X1F'");
	ERR("a = +0x1", "line 1: '+0x1': hexadecimal, octal and binary integers take no sign");
	ERR("a = -0b1", "line 1: '-0b1': hexadecimal, octal and binary integers take no sign");
	ERR("a = 9223372036854775808", "line 1: integer '9223372036854775808' is out of range");
	ERR("a = -9223372036854775809", "line 1: integer '-9223372036854775809' is out of range");
	ERR("a = 0x8000000000000000", "line 1: integer '0x8000000000000000' is out of range");
	ERR("a = 99999999999999999999999", "line 1: integer '99999999999999999999999' is out "
	    "of range");
	ERR("a = 1.", "line 1: invalid float '1.'");
	ERR("a = .5", "line 1: invalid value '.5' (strings need quotes)");
	ERR("a = 1.e5", "line 1: invalid float '1.e5'");
	ERR("a = 1e", "line 1: invalid float '1e'");
	ERR("a = 1e+", "line 1: invalid float '1e+'");
	ERR("a = 1.5.3", "line 1: invalid float '1.5.3'");
	ERR("a = 1._5", "line 1: invalid float '1._5'");
	ERR("a = 1e_5", "line 1: invalid float '1e_5'");
	ERR("a = 1e5.0", "line 1: invalid float '1e5.0'");
	ERR("a = 1e400", "line 1: float '1e400' is out of range");
	ERR("a = -1.8e308", "line 1: float '-1.8e308' is out of range");
	ERR("a = Inf", "line 1: invalid value 'Inf' (strings need quotes)");
	ERR("a = NaN", "line 1: invalid value 'NaN' (strings need quotes)");
	ERR("a = infinity", "line 1: invalid value 'infinity' (strings need quotes)");
	ERR("a = True", "line 1: invalid value 'True' (strings need quotes)");
	ERR("a = yes", "line 1: invalid value 'yes' (strings need quotes)");
	ERR("a = 1x", "line 1: invalid integer '1x'");
	ERR("a = 1 2", "line 1: expected the end of the line, got '2'");
	ERR("a = trueish", "line 1: invalid value 'trueish' (strings need quotes)");
}

static void
test_errors_dates(void)
{
	ERR("a = 1\nd = 1979-05-27", "line 2: dates and times are not supported");
	ERR("d = 1979-05-27T07:32:00Z", "line 1: dates and times are not supported");
	ERR("d = 1979-05-27 07:32:00", "line 1: dates and times are not supported");
	ERR("t = 07:32:00", "line 1: dates and times are not supported");
	ERR("a = [\n1,\n2000-01-01]", "line 3: dates and times are not supported");
}

static void
test_errors_syntax(void)
{
	ERR("a", "line 1: expected '=' after key 'a', got end of file");
	ERR("a\nb = 1", "line 1: expected '=' after key 'a', got end of line");
	ERR("a b = 1", "line 1: expected '=' after key 'a', got 'b'");
	ERR("a =", "line 1: expected a value, got end of file");
	ERR("a =\n1", "line 1: expected a value, got end of line");
	ERR("a = # c", "line 1: expected a value, got '#'");
	ERR("= 1", "line 1: expected a key, got '='");
	ERR("a. = 1", "line 1: expected a key, got '='");
	ERR(".a = 1", "line 1: expected a key, got '.'");
	ERR("a..b = 1", "line 1: expected a key, got '.'");
	ERR("a$b = 1", "line 1: expected '=' after key 'a', got '$'");
	ERR("\"\"\"k\"\"\" = 1", "line 1: a multi-line string cannot be a key");
	ERR("'''k''' = 1", "line 1: a multi-line string cannot be a key");
	ERR("a = 1 b = 2", "line 1: expected the end of the line, got 'b'");
	ERR("a = \"x\" \"y\"", "line 1: expected the end of the line, got '\"'");
	ERR("a = [1 2]", "line 1: expected ',' or ']' in array, got '2'");
	ERR("a = [,]", "line 1: expected a value, got ','");
	ERR("a = [1,,2]", "line 1: expected a value, got ','");
	ERR("a = [1\n\n", "line 1: unterminated array");
	ERR("a = [1,\n2,\n", "line 1: unterminated array");
	ERR("x = 0\na = [\n1,\n", "line 2: unterminated array");
	ERR("a = {x = 1,}", "line 1: trailing comma in inline table");
	ERR("a = {x = 1\n}", "line 1: an inline table must be on a single line");
	ERR("a = {\nx = 1}", "line 1: an inline table must be on a single line");
	ERR("a = {x = 1, \n y = 2}", "line 1: an inline table must be on a single line");
	ERR("a = {x = 1", "line 1: an inline table must be on a single line");
	ERR("a = {x = 1 y = 2}", "line 1: expected ',' or '}' in inline table, got 'y'");
	ERR("a = {x}", "line 1: expected '=' after key 'x', got '}'");
	ERR("a = {,}", "line 1: expected a key, got ','");
	ERR("[a", "line 1: expected ']' to close the header, got end of file");
	ERR("[a]]", "line 1: expected the end of the line, got ']'");
	ERR("[[a]", "line 1: expected ']]' to close the header, got end of file");
	ERR("[[a] ]", "line 1: expected ']]' to close the header, got whitespace");
	ERR("[ [a]]", "line 1: expected a key, got '['");
	ERR("[]", "line 1: expected a key, got ']'");
	ERR("[a.]", "line 1: expected a key, got ']'");
	ERR("[a] b = 1", "line 1: expected the end of the line, got 'b'");
	ERR("[a\nb]", "line 1: expected ']' to close the header, got end of line");
	ERR("[\"\"\"a\"\"\"]", "line 1: a multi-line string cannot be a key");
	ERR("a = 1\n\n\n  ]", "line 4: expected a key, got ']'");
}

static void
test_errors_redefinition(void)
{
	ERR("a = 1\na = 2", "line 2: duplicate key 'a' (first defined on line 1)");
	ERR("a = 1\n\"a\" = 2", "line 2: duplicate key 'a' (first defined on line 1)");
	ERR("a = 1\n'a' = 2", "line 2: duplicate key 'a' (first defined on line 1)");
	ERR("a.b = 1\na.b = 2", "line 2: duplicate key 'a.b' (first defined on line 1)");
	ERR("a.b = 1\na = 2", "line 2: duplicate key 'a' (first defined on line 1)");
	ERR("a = 1\na.b = 2", "line 2: 'a' is already a value (line 1), not a table");
	ERR("a = [1]\na.b = 2", "line 2: 'a' is already an array (line 1)");
	ERR("[[a]]\n[b]\na.c = 1\n[x]\n[b.a]", "line 5: table [b.a] is already defined by "
	    "dotted keys (line 3)");
	ERR("[[a]]\n[b]\na.c = 1\n[x]\n[b.a.c]", "line 5: 'b.a.c' is already a value (line 3), "
	    "not a table");
	ERR("[t]\n[[t.a]]\n[t.b]\n[t]", "line 4: table [t] is already defined (line 1)");
	ERR("[[t.a]]\n[t]\na.x = 1", "line 3: 'a' is already an array of tables (line 1)");
	ERR("p = {x = 1, x = 2}", "line 1: duplicate key 'x' (first defined on line 1)");
	ERR("\"a b\" = 1\n'a b' = 2", "line 2: duplicate key '\"a b\"' (first defined on line 1)");
	/* tables */
	ERR("[a]\n[a]", "line 2: table [a] is already defined (line 1)");
	ERR("[a.b]\n[a]\n[a]", "line 3: table [a] is already defined (line 2)");
	ERR("[a]\nb = 1\n[a.b]", "line 3: 'a.b' is already a value (line 2), not a table");
	ERR("[a]\nb = 1\n[a.b.c]", "line 3: 'a.b' is already a value (line 2), not a table");
	ERR("[a.b]\n[a]\nb = 1", "line 3: duplicate key 'b' (first defined on line 1)");
	ERR("a = 1\n[a]", "line 2: 'a' is already a value (line 1), not a table");
	/* dotted keys vs headers */
	ERR("a.b = 1\n[a]", "line 2: table [a] is already defined by dotted keys (line 1)");
	ERR("[fruit]\napple.color = 1\n[fruit.apple]",
	    "line 3: table [fruit.apple] is already defined by dotted keys (line 2)");
	ERR("[fruit]\napple.taste.sweet = 1\n[fruit.apple.taste]",
	    "line 3: table [fruit.apple.taste] is already defined by dotted keys (line 2)");
	ERR("[a.b.c]\nz = 9\n[a]\nb.c.t = 1",
	    "line 4: table 'b' was created by a [header] (line 1) and cannot be extended with "
	    "dotted keys");
	ERR("[a.b]\n[a]\nb.x = 1",
	    "line 3: table 'b' was created by a [header] (line 1) and cannot be extended with "
	    "dotted keys");
	/* inline tables are immutable */
	ERR("a = {x = 1}\n[a]", "line 2: table [a] is already defined inline (line 1)");
	ERR("a = {x = 1}\n[a.b]", "line 2: inline table 'a' (line 1) cannot be extended");
	ERR("a = {x = 1}\na.y = 2", "line 2: inline table 'a' (line 1) cannot be extended");
	ERR("a = {b = {}}\n[a.b.c]", "line 2: inline table 'a' (line 1) cannot be extended");
	ERR("a = {b = 1}\n[[a]]", "line 2: [[a]] is already a table (line 1)");
	ERR("p = {a = {x = 1}, a.y = 2}", "line 1: inline table 'a' (line 1) cannot be extended");
	ERR("a = {b = [1]}\n[[a.b]]", "line 2: inline table 'a' (line 1) cannot be extended");
	/* arrays of tables and static arrays */
	ERR("a = []\n[[a]]", "line 2: cannot append to static array 'a' (line 1)");
	ERR("a = [{x = 1}]\n[[a]]", "line 2: cannot append to static array 'a' (line 1)");
	ERR("a = [{x = 1}]\n[a.b]", "line 2: 'a' is already an array (line 1)");
	ERR("[[a]]\n[a]", "line 2: [a] is already an array of tables (line 1)");
	ERR("[a]\n[[a]]", "line 2: [[a]] is already a table (line 1)");
	ERR("[a.b]\n[[a]]", "line 2: [[a]] is already a table (line 1)");
	ERR("[[a.b]]\n[[a]]", "line 2: [[a]] is already a table (line 1)");
	ERR("a = 1\n[[a]]", "line 2: 'a' is already a value (line 1), not a table");
	ERR("[[a]]\nb = 1\n[a.b]", "line 3: 'a.b' is already a value (line 2), not a table");
	ERR("[[a]]\nb = 1\n[[a.b]]", "line 3: 'a.b' is already a value (line 2), not a table");
	ERR("[[a]]\n[a.b]\n[a.b]", "line 3: table [a.b] is already defined (line 2)");
	ERR("[[a]]\n[[a]]\n[a.b]\n[[a]]\n[a.b]\n[a.b]",
	    "line 6: table [a.b] is already defined (line 5)");
}

static void
test_limits(void)
{
	char buf[4096];
	char key[CG_TOML_MAX_KEY + 2];
	char *big;
	json_object *o;
	size_t n = 0;
	int i;

	/* nesting: 32 levels are fine, 33 are not, whatever builds them */
	for (i = 0; i < CG_TOML_MAX_DEPTH; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sk", i ? "." : "[");
	snprintf(buf + n, sizeof(buf) - n, "]\nx = 1\n");
	o = parse(buf);
	CU_ASSERT_PTR_NOT_NULL(o);
	json_object_put(o);
	snprintf(buf + n, sizeof(buf) - n, ".k]\n");
	check_error(buf, strlen(buf), "line 1: nesting is deeper than 32 levels");

	n = (size_t)snprintf(buf, sizeof(buf), "a = ");
	for (i = 0; i < CG_TOML_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (i = 0; i < CG_TOML_MAX_DEPTH; i++)
		buf[n++] = ']';
	buf[n] = '\0';
	o = parse(buf);
	CU_ASSERT_PTR_NOT_NULL(o);
	json_object_put(o);
	memmove(buf + 5, buf + 4, n - 4 + 1);	/* one more '[' ... */
	strcat(buf, "]");			/* ... and ']' */
	check_error(buf, strlen(buf), "line 1: nesting is deeper than 32 levels");

	/* inline tables and dotted keys add up under [[...]] */
	n = (size_t)snprintf(buf, sizeof(buf), "[[a]]\nx = ");
	for (i = 0; i < CG_TOML_MAX_DEPTH - 2; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{y = ");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1");
	for (i = 0; i < CG_TOML_MAX_DEPTH - 2; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}");
	o = parse(buf);
	CU_ASSERT_PTR_NOT_NULL(o);
	json_object_put(o);
	/* "z.x" adds one level */
	snprintf(buf, sizeof(buf), "[[a]]\nz.x = ");
	n = strlen(buf);
	for (i = 0; i < CG_TOML_MAX_DEPTH - 2; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{y = ");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1");
	for (i = 0; i < CG_TOML_MAX_DEPTH - 2; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}");
	check_error(buf, strlen(buf), "line 2: nesting is deeper than 32 levels");

	/* key length */
	memset(key, 'k', CG_TOML_MAX_KEY);
	key[CG_TOML_MAX_KEY] = '\0';
	snprintf(buf, sizeof(buf), "%s = 1\n[t]\n\"%s\" = 2", key, key);
	o = parse(buf);
	CU_ASSERT_PTR_NOT_NULL(o);
	CU_ASSERT_EQUAL(json_object_get_int(at(o, key)), 1);
	json_object_put(o);
	key[CG_TOML_MAX_KEY] = 'k';
	key[CG_TOML_MAX_KEY + 1] = '\0';
	snprintf(buf, sizeof(buf), "a = 1\n%s = 1", key);
	check_error(buf, strlen(buf), "line 2: key is longer than 256 bytes");
	snprintf(buf, sizeof(buf), "a = 1\n[b.'%s']", key);
	check_error(buf, strlen(buf), "line 2: key is longer than 256 bytes");

	/* document size: the limit itself is fine, one byte more is not */
	big = malloc(CG_TOML_MAX_SIZE + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, '\n', CG_TOML_MAX_SIZE + 1);
	memcpy(big + CG_TOML_MAX_SIZE - 5, "a = 1", 5);
	o = cg_toml_parse(big, CG_TOML_MAX_SIZE, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(o);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "a")), CG_TOML_MAX_SIZE - 5 + 1);
	json_object_put(o);
	o = cg_toml_parse(big, CG_TOML_MAX_SIZE + 1, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(o);
	CU_ASSERT_STRING_EQUAL(buf, "document is larger than 67108864 bytes");
	free(big);
}

static void
test_parse_file(void)
{
	char path[] = "/tmp/cg_toml_test_XXXXXX";
	char err[512], want[600];
	json_object *o;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("[dataplane]\nburst = 32\n", f);
	fclose(f);
	o = cg_toml_parse_file(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(o);
	CU_ASSERT_EQUAL(int_at(o, "dataplane.burst"), 32);
	CU_ASSERT_EQUAL(cg_toml_line(at(o, "dataplane.burst")), 2);
	json_object_put(o);

	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("[dataplane]\nburst = 32\nburst = 64\n", f);
	fclose(f);
	CU_ASSERT_PTR_NULL(cg_toml_parse_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: line 3: duplicate key 'burst' (first defined on line 2)",
		 path);
	CU_ASSERT_STRING_EQUAL(err, want);
	unlink(path);

	errno = 0;
	CU_ASSERT_PTR_NULL(cg_toml_parse_file(path, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	CU_ASSERT_STRING_EQUAL(err, want);

	CU_ASSERT_PTR_NULL(cg_toml_parse_file("/", err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "/: Is a directory");

	/* a small err buffer truncates but never overflows */
	CU_ASSERT_PTR_NULL(cg_toml_parse("a = ?", 5, err, 8));
	CU_ASSERT_STRING_EQUAL(err, "line 1:");
	CU_ASSERT_PTR_NULL(cg_toml_parse("a = ?", 5, NULL, 0));
}

/* ---- schema helpers ----------------------------------------------------- */

static const char *const doc_text =
	"[dataplane]\n"			/* 1 */
	"burst = 4096\n"		/* 2 */
	"name = \"dp\"\n"		/* 3 */
	"rate = 2.5\n"			/* 4 */
	"whole = 3\n"			/* 5 */
	"on = true\n"			/* 6 */
	"\n"				/* 7 */
	"[[rule]]\n"			/* 8 */
	"[[rule]]\n"			/* 9 */
	"[[rule]]\n"			/* 10 */
	"id = 'cam1'\n"			/* 11 */
	"[[rule.output]]\n"		/* 12 */
	"port = 'p1'\n"			/* 13 */
	"ttl = \"64\"\n"		/* 14 */
	"speed = 10\n"			/* 15 */
	"\"odd key\" = 1\n";		/* 16 */

static void
test_schema_getters(void)
{
	static const char *const out_keys[] = { "port", "ttl", NULL };
	static const char *const all_keys[] = { "port", "ttl", "speed", "odd key", NULL };
	json_object *root = parse(doc_text), *dp, *rules, *rule, *outs, *out, *t;
	char err[256], p1[128], p2[128];
	const char *s = "untouched";
	int64_t i = -1;
	double d = -1;
	bool b = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_EQUAL(cg_toml_get_table(root, "", "dataplane", true, &dp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_toml_get_int(dp, "dataplane", "burst", true, 1, 512, &i, err,
					sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "dataplane.burst (line 2): 4096 is out of range 1..512");
	CU_ASSERT_EQUAL(i, -1);
	CU_ASSERT_EQUAL(cg_toml_get_int(dp, "dataplane", "burst", true, 1, 4096, &i, err,
					sizeof(err)), 0);
	CU_ASSERT_EQUAL(i, 4096);
	CU_ASSERT_EQUAL(cg_toml_get_string(dp, "dataplane", "name", true, &s, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(s, "dp");
	CU_ASSERT_EQUAL(cg_toml_get_double(dp, "dataplane", "rate", true, &d, err, sizeof(err)), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 2.5, 0);
	CU_ASSERT_EQUAL(cg_toml_get_double(dp, "dataplane", "whole", true, &d, err, sizeof(err)),
			0);
	CU_ASSERT_DOUBLE_EQUAL(d, 3.0, 0);
	CU_ASSERT_EQUAL(cg_toml_get_bool(dp, "dataplane", "on", true, &b, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(b);

	/* absent keys */
	s = "untouched";
	CU_ASSERT_EQUAL(cg_toml_get_string(dp, "dataplane", "nope", false, &s, err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_STRING_EQUAL(s, "untouched");
	CU_ASSERT_EQUAL(cg_toml_get_string(dp, "dataplane", "nope", true, &s, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "dataplane.nope (line 1): required key is missing");
	CU_ASSERT_EQUAL(cg_toml_get_table(root, "", "nope", true, &t, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "nope (line 1): required key is missing");

	/* wrong types, each with its own wording */
	CU_ASSERT_EQUAL(cg_toml_get_int(dp, "dataplane", "name", true, 0, 1, &i, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "dataplane.name (line 3): expected an integer, got a string");
	CU_ASSERT_EQUAL(cg_toml_get_int(dp, "dataplane", "rate", true, 0, 1, &i, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "dataplane.rate (line 4): expected an integer, got a float");
	CU_ASSERT_EQUAL(cg_toml_get_string(dp, "dataplane", "on", true, &s, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "dataplane.on (line 6): expected a string, got a boolean");
	CU_ASSERT_EQUAL(cg_toml_get_bool(dp, "dataplane", "burst", true, &b, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "dataplane.burst (line 2): expected a boolean, got an integer");
	CU_ASSERT_EQUAL(cg_toml_get_double(dp, "dataplane", "name", true, &d, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "dataplane.name (line 3): expected a number, got a string");
	CU_ASSERT_EQUAL(cg_toml_get_table(root, "", "rule", true, &t, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule (line 8): expected a table, got an array");
	CU_ASSERT_EQUAL(cg_toml_get_array(root, "", "dataplane", true, &t, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "dataplane (line 1): expected an array, got a table");

	/* down into arrays of tables, building paths as consumers will */
	CU_ASSERT_EQUAL(cg_toml_get_array(root, "", "rule", true, &rules, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(json_object_array_length(rules), 3);
	rule = json_object_array_get_idx(rules, 2);
	cg_toml_path_index(p1, sizeof(p1), "rule", 2);
	CU_ASSERT_STRING_EQUAL(p1, "rule[2]");
	CU_ASSERT_EQUAL(cg_toml_get_array(rule, p1, "output", true, &outs, err, sizeof(err)), 0);
	out = json_object_array_get_idx(outs, 0);
	cg_toml_path_index(p2, sizeof(p2), cg_toml_path(p1, sizeof(p1), "rule[2]", "output"), 0);
	CU_ASSERT_STRING_EQUAL(p2, "rule[2].output[0]");
	CU_ASSERT_EQUAL(cg_toml_get_int(out, p2, "ttl", true, 1, 255, &i, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule[2].output[0].ttl (line 14): expected an integer, got a "
			       "string");
	CU_ASSERT_EQUAL(cg_toml_get_int(out, p2, "hops", true, 1, 255, &i, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule[2].output[0].hops (line 12): required key is missing");
	CU_ASSERT_EQUAL(cg_toml_check_keys(out, p2, out_keys, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule[2].output[0].speed (line 15): unknown key");
	CU_ASSERT_EQUAL(cg_toml_check_keys(out, p2, all_keys, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_toml_check_keys(root, "", out_keys, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "dataplane (line 1): unknown key");
	CU_ASSERT_EQUAL(cg_toml_check_keys(rule, "rule[2]", (const char *const[]){ "id", NULL },
					   err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule[2].output (line 12): unknown key");
	CU_ASSERT_EQUAL(cg_toml_check_keys(out, p2, (const char *const[]){ "port", "ttl",
					   "speed", NULL }, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule[2].output[0].\"odd key\" (line 16): unknown key");

	/* consumers' own semantic errors */
	CU_ASSERT_EQUAL(cg_toml_errorf(err, sizeof(err), "rule[2].id", at(rule, "id"),
				       "rule \"%s\" is defined twice", "cam1"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule[2].id (line 11): rule \"cam1\" is defined twice");
	CU_ASSERT_EQUAL(cg_toml_errorf(err, sizeof(err), "rule", NULL, "no rules"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule: no rules");
	CU_ASSERT_EQUAL(cg_toml_errorf(err, sizeof(err), "", root, "empty"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "line 1: empty");
	CU_ASSERT_EQUAL(cg_toml_errorf(NULL, 0, "x", NULL, "ignored"), -EINVAL);

	/* not a table at all */
	CU_ASSERT_EQUAL(cg_toml_get_int(rules, "rule", "x", true, 0, 1, &i, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule (line 8): expected a table, got an array");
	CU_ASSERT_EQUAL(cg_toml_check_keys(rules, "rule", out_keys, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rule (line 8): expected a table, got an array");
	/* an absent optional table behaves as an empty one */
	CU_ASSERT_EQUAL(cg_toml_get_int(NULL, "opt", "x", false, 0, 1, &i, err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_EQUAL(cg_toml_get_int(NULL, "opt", "x", true, 0, 1, &i, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "opt.x: required key is missing");
	CU_ASSERT_EQUAL(cg_toml_check_keys(NULL, "opt", out_keys, err, sizeof(err)), 0);
	json_object_put(root);
}

/* The same helpers on json-c objects from JSON (e.g. JSON-RPC): no lines. */
static void
test_schema_plain_json(void)
{
	static const char *const keys[] = { "a", "big", "n", "f", "s", NULL };
	json_object *o = json_tokener_parse("{\"a\": 7, \"big\": 18446744073709551615, "
					    "\"n\": null, \"f\": 1.5, \"s\": \"x\", \"z\": 0, "
					    "\"nul\": \"ab\\u0000cd\"}");
	char err[256];
	int64_t i = 0;
	double d = 0;
	const char *s = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(cg_toml_get_int(o, "rpc", "a", true, 0, 10, &i, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(i, 7);
	CU_ASSERT_EQUAL(cg_toml_get_int(o, "rpc", "a", true, 8, 10, &i, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rpc.a: 7 is out of range 8..10");
	CU_ASSERT_EQUAL(cg_toml_get_int(o, "rpc", "big", true, INT64_MIN, INT64_MAX, &i, err,
					sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rpc.big: 18446744073709551615 is out of range "
			       "-9223372036854775808..9223372036854775807");
	CU_ASSERT_EQUAL(cg_toml_get_string(o, "rpc", "n", true, &s, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rpc.n: expected a string, got null");
	CU_ASSERT_EQUAL(cg_toml_get_int(o, "rpc", "f", true, 0, 10, &i, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rpc.f: expected an integer, got a float");
	CU_ASSERT_EQUAL(cg_toml_get_double(o, "rpc", "f", true, &d, err, sizeof(err)), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 1.5, 0);
	CU_ASSERT_EQUAL(cg_toml_get_string(o, "", "s", true, &s, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(s, "x");
	CU_ASSERT_EQUAL(cg_toml_get_string(o, "", "q", true, &s, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "q: required key is missing");
	s = NULL;
	CU_ASSERT_EQUAL(cg_toml_get_string(o, "rpc", "nul", true, &s, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "rpc.nul: U+0000 is not allowed in strings");
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(cg_toml_check_keys(o, "", keys, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "z: unknown key");
	json_object_put(o);
}

static void
test_paths(void)
{
	char buf[64];

	CU_ASSERT_STRING_EQUAL(cg_toml_path(buf, sizeof(buf), "", "a"), "a");
	CU_ASSERT_STRING_EQUAL(cg_toml_path(buf, sizeof(buf), NULL, "a"), "a");
	CU_ASSERT_STRING_EQUAL(cg_toml_path(buf, sizeof(buf), "x.y", "a_b-1"), "x.y.a_b-1");
	CU_ASSERT_STRING_EQUAL(cg_toml_path(buf, sizeof(buf), "rule", "cam 1"), "rule.\"cam 1\"");
	CU_ASSERT_STRING_EQUAL(cg_toml_path(buf, sizeof(buf), "r", "a.b"), "r.\"a.b\"");
	CU_ASSERT_STRING_EQUAL(cg_toml_path(buf, sizeof(buf), "r", "q\"\\\n"),
			       "r.\"q\\\"\\\\\\u000A\"");
	CU_ASSERT_STRING_EQUAL(cg_toml_path(buf, sizeof(buf), "r", ""), "r.\"\"");
	CU_ASSERT_STRING_EQUAL(cg_toml_path_index(buf, sizeof(buf), "", 3), "[3]");
	CU_ASSERT_STRING_EQUAL(cg_toml_path_index(buf, sizeof(buf), "rule[2].output", 10),
			       "rule[2].output[10]");
	CU_ASSERT_STRING_EQUAL(cg_toml_path(buf, 6, "abcdef", "g"), "abcde");
	CU_ASSERT_STRING_EQUAL(cg_toml_path_index(buf, 4, "abcdef", 1), "abc");
}

/* ---- corpus replay ------------------------------------------------------ */

/*
 * Every file of the fuzz seed corpus goes through the parser: ok_* must parse,
 * bad_* must be rejected with a "line N: " message, crash_* (regressions found
 * by fuzzing) must simply not crash.
 */
static void
test_corpus(void)
{
	DIR *d = opendir(CG_TOML_CORPUS);
	struct dirent *e;
	unsigned int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d)) != NULL) {
		char path[1024], err[512];
		json_object *o;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", CG_TOML_CORPUS, e->d_name);
		o = cg_toml_parse_file(path, err, sizeof(err));
		n++;
		if (strncmp(e->d_name, "ok_", 3) == 0) {
			if (o == NULL)
				fprintf(stderr, "\n%s\n", err);
			CU_ASSERT_PTR_NOT_NULL(o);
		} else if (strncmp(e->d_name, "bad_", 4) == 0) {
			CU_ASSERT_PTR_NULL(o);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, ": line "));
		} else {
			CU_ASSERT_TRUE(strncmp(e->d_name, "crash_", 6) == 0);
		}
		if (o != NULL)
			json_object_to_json_string(o);
		json_object_put(o);
	}
	closedir(d);
	CU_ASSERT(n >= 10);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_empty_and_comments),
		CG_UNIT_TEST(test_keys),
		CG_UNIT_TEST(test_basic_strings),
		CG_UNIT_TEST(test_multiline_strings),
		CG_UNIT_TEST(test_integers),
		CG_UNIT_TEST(test_floats),
		CG_UNIT_TEST(test_booleans),
		CG_UNIT_TEST(test_arrays),
		CG_UNIT_TEST(test_inline_tables),
		CG_UNIT_TEST(test_tables),
		CG_UNIT_TEST(test_arrays_of_tables),
		CG_UNIT_TEST(test_lines),
		CG_UNIT_TEST(test_serialization_unaffected),
		CG_UNIT_TEST(test_errors_characters),
		CG_UNIT_TEST(test_errors_strings),
		CG_UNIT_TEST(test_errors_numbers),
		CG_UNIT_TEST(test_errors_dates),
		CG_UNIT_TEST(test_errors_syntax),
		CG_UNIT_TEST(test_errors_redefinition),
		CG_UNIT_TEST(test_limits),
		CG_UNIT_TEST(test_parse_file),
		CG_UNIT_TEST(test_schema_getters),
		CG_UNIT_TEST(test_schema_plain_json),
		CG_UNIT_TEST(test_paths),
		CG_UNIT_TEST(test_corpus),
		CG_UNIT_END,
	};

	return cg_unit_run("toml", tests);
}
