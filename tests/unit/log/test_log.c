/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cg_log.h"
#include "../cg_unit.h"

static void
test_level_parse(void)
{
	enum cg_log_level l;

	CU_ASSERT_EQUAL(cg_log_level_parse("DEBUG", &l), 0);
	CU_ASSERT_EQUAL(l, CG_LOG_DEBUG);
	CU_ASSERT_EQUAL(cg_log_level_parse("warning", &l), 0);
	CU_ASSERT_EQUAL(l, CG_LOG_WARN);
	CU_ASSERT_EQUAL(cg_log_level_parse("err", &l), 0);
	CU_ASSERT_EQUAL(l, CG_LOG_ERR);
	CU_ASSERT_EQUAL(cg_log_level_parse("loud", &l), -EINVAL);
	CU_ASSERT_EQUAL(cg_log_level_parse(NULL, &l), -EINVAL);
	CU_ASSERT_STRING_EQUAL(cg_log_level_name(CG_LOG_INFO), "info");
}

static void
test_text_fields(void)
{
	const struct cg_log_field f[] = {
		{ "container", "abc123" }, { "name", "two words" }, { "x", NULL },
	};
	char buf[512];

	unsetenv("JOURNAL_STREAM");
	cg_log_init("unit", CG_LOG_DEBUG, CG_LOG_FMT_TEXT);
	cg_log_format_line(buf, sizeof(buf), CG_LOG_WARN, f, 3, "route added");
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " unit warn: route added"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "container=abc123"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "name=\"two words\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "x=-"));
}

/* A newline in a peer's data (a label, a rule name) never starts a line. */
static void
test_text_escapes(void)
{
	const struct cg_log_field f[] = { { "label", "warp-a\n2026 castgate-warp err: x" },
					  { "k", "a\x01" "b" } };
	char buf[512];

	unsetenv("JOURNAL_STREAM");
	cg_log_init("unit", CG_LOG_DEBUG, CG_LOG_FMT_TEXT);
	cg_log_format_line(buf, sizeof(buf), CG_LOG_WARN, f, 2,
			   "target \"a\nb\" left\r untouched\t\x7f\x1b[31m");
	CU_ASSERT_PTR_NULL(strpbrk(buf, "\n\r\t\x1b\x7f\x01"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "warn: target \"a\\nb\" left\\r untouched\\t\\x7f"
				      "\\x1b[31m"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "label=\"warp-a\\n2026 castgate-warp err: x\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "k=\"a\\u0001b\""));
}

static void
test_json_is_valid(void)
{
	const struct cg_log_field f[] = { { "cidr", "0.0.0.0/0" }, { "q", "a\"b\\c\n" } };
	char buf[512];
	json_object *o, *v;

	cg_log_init("unit", CG_LOG_INFO, CG_LOG_FMT_JSON);
	cg_log_format_line(buf, sizeof(buf), CG_LOG_ERR, f, 2, "tab\there");
	o = json_tokener_parse(buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "level", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "error");
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "msg", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "tab\there");
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "q", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "a\"b\\c\n");
	json_object_put(o);
	cg_log_init("unit", CG_LOG_INFO, CG_LOG_FMT_TEXT);
}

static void
test_truncation(void)
{
	char big[600], buf[64];
	size_t n;

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = cg_log_format_line(buf, sizeof(buf), CG_LOG_INFO, NULL, 0, big);
	CU_ASSERT_EQUAL(n, sizeof(buf) - 1);
	CU_ASSERT_EQUAL(strlen(buf), sizeof(buf) - 1);
}

static void
test_journal_prefix(void)
{
	char buf[128];

	setenv("JOURNAL_STREAM", "8:1234", 1);
	cg_log_init("unit", CG_LOG_INFO, CG_LOG_FMT_TEXT);
	cg_log_format_line(buf, sizeof(buf), CG_LOG_ERR, NULL, 0, "boom");
	CU_ASSERT_STRING_EQUAL(buf, "<3>unit error: boom");
	unsetenv("JOURNAL_STREAM");
	cg_log_init("unit", CG_LOG_INFO, CG_LOG_FMT_TEXT);
}

static void
stream_level(void *arg, enum cg_log_level *level, const char **source)
{
	*level = *(enum cg_log_level *)arg;
	*source = "lib";
}

/* Lines written to a cg_log_stream() come out as log lines, one each, with
 * the level the callback gives at write time, filtered by the threshold. */
static void
test_stream(void)
{
	enum cg_log_level lvl = CG_LOG_WARN;
	int fds[2], saved = dup(STDERR_FILENO);
	char out[2048] = "";
	ssize_t n;
	FILE *f;

	CU_ASSERT_FATAL(pipe(fds) == 0 && saved >= 0);
	dup2(fds[1], STDERR_FILENO);
	cg_log_init("t", CG_LOG_WARN, CG_LOG_FMT_JSON);
	f = cg_log_stream(stream_level, &lvl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "EAL: two ");
	fprintf(f, "parts\nEAL: second\n");
	lvl = CG_LOG_DEBUG;
	fprintf(f, "below the threshold\n");
	fclose(f);
	dup2(saved, STDERR_FILENO);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	close(saved);
	CU_ASSERT_TRUE(n > 0);
	out[n > 0 ? n : 0] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"msg\":\"EAL: two parts\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"msg\":\"EAL: second\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"source\":\"lib\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"level\":\"warn\""));
	CU_ASSERT_PTR_NULL(strstr(out, "below"));
	cg_log_init("t", CG_LOG_INFO, CG_LOG_FMT_TEXT);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_level_parse),
		CG_UNIT_TEST(test_text_fields),
		CG_UNIT_TEST(test_text_escapes),
		CG_UNIT_TEST(test_json_is_valid),
		CG_UNIT_TEST(test_truncation),
		CG_UNIT_TEST(test_journal_prefix),
		CG_UNIT_TEST(test_stream),
		CG_UNIT_END,
	};

	return cg_unit_run("log", tests);
}
