/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/state: round trips, strict reading, atomic replacement, the journal. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/wait.h>

#include "cg_state.h"
#include "cg_util.h"
#include "../cg_unit.h"

static char dir[64];
static char path[128];

static void
fresh_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cg-state-test.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rules.json", dir);
}

static void
remove_dir(void)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	char p[512];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* Files in the directory (to catch left-over temp files). */
static int
count_files(void)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

static void
write_text(const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static struct cg_rule
make_rule(const char *name, uint32_t id, const char *group, int n_out)
{
	struct cg_rule r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.id = id;
	snprintf(r.in.port, sizeof(r.in.port), "rin0");
	cg_rule_parse_ipv4(group, &r.in.dst);
	r.in.dport = 5001;
	r.n_outputs = (uint16_t)n_out;
	for (int i = 0; i < n_out; i++) {
		snprintf(r.out[i].port, sizeof(r.out[i].port), "rout%d", i);
		cg_rule_parse_ipv4("239.2.2.2", &r.out[i].dst);
		r.out[i].dport = (uint16_t)(6001 + i);
		r.out[i].ttl = (uint8_t)(8 + i);
	}
	return r;
}

/* A full save of @set to @p, as a first start would (generation 0 -> 1). */
static int
save(const char *p, const struct cg_rule_set *set, char *err, size_t errlen)
{
	struct cg_state st = { 0 };

	snprintf(st.path, sizeof(st.path), "%s", p);
	return cg_state_save(&st, set, err, errlen);
}

static void
write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void
test_missing_is_empty(void)
{
	struct cg_rule_set *s = NULL;
	char err[256] = "";

	fresh_dir();
	CU_ASSERT_EQUAL(cg_state_load(path, &s, NULL, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(cg_rule_set_count(s), 0);
	cg_rule_set_free(s);
	remove_dir();
}

static void
test_roundtrip(void)
{
	struct cg_rule_set *s = cg_rule_set_new(), *back = NULL;
	struct cg_rule a = make_rule("cam1", 7, "239.1.1.1", 1);
	struct cg_rule b = make_rule("cam2", 0, "239.1.1.2", 3);
	char err[256] = "";
	struct stat st;

	fresh_dir();
	b.out[1].sport = 4000;
	cg_rule_parse_ipv4("198.18.1.9", &b.in.src);
	b.out[2].has_next_hop_mac = 1;
	cg_rule_parse_ipv4("198.18.1.70", &b.out[2].dst);
	cg_rule_parse_mac("02:00:00:00:00:07", b.out[2].next_hop_mac);
	CU_ASSERT_EQUAL_FATAL(cg_rule_set_add(s, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(cg_rule_set_add(s, &b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(save(path, s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(count_files(), 1); /* no temp file left */
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0640);

	CU_ASSERT_EQUAL_FATAL(cg_state_load(path, &back, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(cg_rule_set_count(back), 2);
	CU_ASSERT_TRUE(cg_rule_equal(cg_rule_set_get(back, 0), cg_rule_set_get(s, 0)));
	CU_ASSERT_TRUE(cg_rule_equal(cg_rule_set_get(back, 1), cg_rule_set_get(s, 1)));
	CU_ASSERT_EQUAL(cg_rule_set_get(back, 1)->id, 8); /* assigned at add, kept */

	/* Replacing: the new content, whole. */
	CU_ASSERT_EQUAL(cg_rule_set_remove(s, "cam1"), 0);
	CU_ASSERT_EQUAL(save(path, s, err, sizeof(err)), 0);
	cg_rule_set_free(back);
	CU_ASSERT_EQUAL_FATAL(cg_state_load(path, &back, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_rule_set_count(back), 1);
	CU_ASSERT_PTR_NOT_NULL(cg_rule_set_find(back, "cam2"));
	CU_ASSERT_PTR_NULL(cg_rule_set_find(back, "cam1"));
	CU_ASSERT_EQUAL(count_files(), 1);
	cg_rule_set_free(back);
	cg_rule_set_free(s);
	remove_dir();
}

static void
test_save_errors(void)
{
	struct cg_rule_set *s = cg_rule_set_new();
	char err[256] = "";

	CU_ASSERT_EQUAL(save("/nonexistent-dir-cg/rules.json", s, err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-dir-cg/rules.json: create: "));
	cg_rule_set_free(s);
}

static void
test_bad_files(void)
{
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
		{ "", "not valid JSON at byte 0" },
		{ "{\"castgate_state\": 1, \"rules\": [",
		  "not valid JSON at byte 32: the file ends inside a value" },
		{ "{\"castgate_state\": 1, \"rules\": []} x", "not valid JSON" },
		{ "[]", "expected a JSON object at the top" },
		{ "{\"rules\": []}", "castgate_state: missing" },
		{ "{\"castgate_state\": 3, \"rules\": []}", "castgate_state: version 3 is not supported" },
		{ "{\"castgate_state\": 2, \"generation\": -1, \"rules\": []}",
		  "generation: expected an integer >= 0" },
		{ "{\"castgate_state\": 1}", "rules: missing" },
		{ "{\"castgate_state\": 1, \"rules\": {}}", "rules: expected an array" },
		{ "{\"castgate_state\": 1, \"rules\": [], \"extra\": 1}", "extra: unknown key" },
		{ "{\"castgate_state\": 1, \"saved_unix_ms\": \"x\", \"rules\": []}",
		  "saved_unix_ms: expected an integer" },
		{ "{\"castgate_state\": 1, \"rules\": [{\"name\": \"a\", \"input\": {\"port\": "
		  "\"rin0\", \"destination\": \"239.1.1.1\", \"dport\": 5001}, \"output\": "
		  "[{\"port\": \"rout0\", \"destination\": \"239.2.2.2\", \"dport\": 6001, "
		  "\"ttl\": 0}]}]}", "rules[0].output[0].ttl" },
		{ "{\"castgate_state\": 1, \"rules\": [{\"name\": \"a\", \"input\": {\"port\": "
		  "\"rin0\", \"destination\": \"239.1.1.1\", \"dport\": 5001}, \"output\": "
		  "[{\"port\": \"rout0\", \"destination\": \"239.2.2.2\", \"dport\": 6001}]}, "
		  "{\"name\": \"a\", \"input\": {\"port\": "
		  "\"rin0\", \"destination\": \"239.1.1.2\", \"dport\": 5001}, \"output\": "
		  "[{\"port\": \"rout0\", \"destination\": \"239.2.2.2\", \"dport\": 6001}]}]}",
		  "rules[1]: rule \"a\": name is already used" },
	};
	struct cg_rule_set *s;
	char err[512];

	fresh_dir();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(bad[i].text);
		err[0] = '\0';
		s = (struct cg_rule_set *)1;
		CU_ASSERT_EQUAL(cg_state_load(path, &s, NULL, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NULL(s);
		if (strstr(err, bad[i].want) == NULL || strncmp(err, path, strlen(path)) != 0)
			printf("\nwant \"%s\"\n got \"%s\"\n", bad[i].want, err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].want));
		CU_ASSERT_EQUAL(strncmp(err, path, strlen(path)), 0);
	}
	/* A directory is not a state file. */
	CU_ASSERT_EQUAL(cg_state_load(dir, &s, NULL, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
	remove_dir();
}

static void
test_journal(void)
{
	struct cg_rule a = make_rule("cam1", 7, "239.1.1.1", 1);
	struct cg_rule b = make_rule("cam2", 8, "239.1.1.2", 2);
	struct cg_rule b2 = make_rule("cam2", 8, "239.1.1.3", 3);
	struct cg_rule_set *s = NULL, *back = NULL;
	struct cg_state st, st2;
	char err[512] = "", jpath[160], stale[160];

	fresh_dir();
	snprintf(jpath, sizeof(jpath), "%s.journal", path);
	/* Fresh: no snapshot, generation 0; changes go to the journal only. */
	CU_ASSERT_EQUAL_FATAL(cg_state_load(path, &s, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(st.generation, 0);
	CU_ASSERT_EQUAL(st.journal_bytes, 0);
	CU_ASSERT_EQUAL(cg_state_append(&st, (struct cg_state_change[]){ { .put = &a },
									 { .put = &b } }, 2,
					err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(count_files(), 1);	/* the journal */
	CU_ASSERT_EQUAL(st.journal_changes, 2);
	CU_ASSERT_EQUAL(cg_state_append(&st, (struct cg_state_change[]){ { .put = &b2 },
									 { .remove = "cam1" },
									 { .remove = "gone" } }, 3,
					err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(cg_state_load(path, &back, &st2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(st2.journal_bytes, st.journal_bytes);
	CU_ASSERT_EQUAL(st2.journal_changes, 5);
	CU_ASSERT_EQUAL_FATAL(cg_rule_set_count(back), 1);
	CU_ASSERT_TRUE(cg_rule_equal(cg_rule_set_get(back, 0), &b2));
	cg_rule_set_free(back);

	/* A torn last line (no newline): a cut append, ignored. */
	FILE *f = fopen(jpath, "a");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("{\"remove\": \"cam2\"", f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(cg_state_load(path, &back, &st2, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_rule_set_count(back), 1);
	CU_ASSERT_EQUAL(st2.journal_bytes, st.journal_bytes);
	cg_rule_set_free(back);
	/* The next append cuts the torn bytes off first. */
	CU_ASSERT_EQUAL(cg_state_append(&st2, &(struct cg_state_change){ .put = &a }, 1, err,
					sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(cg_state_load(path, &back, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_rule_set_count(back), 2);

	/* A fold: new snapshot of generation 1, the journal gone. */
	CU_ASSERT_EQUAL(cg_state_save(&st2, back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(st2.generation, 1);
	CU_ASSERT_EQUAL(st2.journal_bytes, 0);
	CU_ASSERT_EQUAL(access(jpath, F_OK), -1);
	CU_ASSERT_EQUAL(count_files(), 1);
	cg_rule_set_free(back);

	/* A journal of an older generation (a fold cut before its unlink) is
	 * ignored: its changes are in the snapshot. */
	snprintf(stale, sizeof(stale), "{\"castgate_journal\": 1, \"generation\": 0}\n"
		 "{\"remove\": \"cam1\"}\n");
	write_file(jpath, stale);
	CU_ASSERT_EQUAL_FATAL(cg_state_load(path, &back, &st, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(st.generation, 1);
	CU_ASSERT_EQUAL(st.journal_bytes, 0);
	CU_ASSERT_EQUAL(cg_rule_set_count(back), 2);
	/* ... and the next append replaces it. */
	CU_ASSERT_EQUAL(cg_state_append(&st, &(struct cg_state_change){ .remove = "cam2" }, 1,
					err, sizeof(err)), 0);
	cg_rule_set_free(back);
	CU_ASSERT_EQUAL_FATAL(cg_state_load(path, &back, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_rule_set_count(back), 1);
	CU_ASSERT_PTR_NOT_NULL(cg_rule_set_find(back, "cam1"));
	cg_rule_set_free(back);

	/* Fold when the journal outgrows the snapshot (and 1 MiB). */
	st.snapshot_bytes = 100;
	st.journal_bytes = 1u << 19;
	CU_ASSERT_FALSE(cg_state_fold_due(&st));
	st.journal_bytes = (1u << 20) + 1;
	CU_ASSERT_TRUE(cg_state_fold_due(&st));
	st.snapshot_bytes = 4u << 20;
	CU_ASSERT_FALSE(cg_state_fold_due(&st));
	st.journal_broken = true;
	CU_ASSERT_TRUE(cg_state_fold_due(&st));
	CU_ASSERT_EQUAL(cg_state_append(&st, &(struct cg_state_change){ .remove = "x" }, 1,
					err, sizeof(err)), -EIO);
	cg_rule_set_free(s);
	remove_dir();
}

/* Files removed, replaced or cut under the owner are seen, and a save
 * makes them its own again. */
static void
test_disturbed(void)
{
	struct cg_rule a = make_rule("cam1", 7, "239.1.1.1", 1);
	struct cg_rule_set *s = NULL;
	struct cg_state st;
	char err[512] = "", jpath[160], copy[160];

	fresh_dir();
	snprintf(jpath, sizeof(jpath), "%s.journal", path);
	snprintf(copy, sizeof(copy), "%s.copy", path);
	CU_ASSERT_EQUAL_FATAL(cg_state_load(path, &s, &st, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(cg_state_disturbed(&st));	/* fresh: none, and none known */
	CU_ASSERT_EQUAL(cg_state_append(&st, &(struct cg_state_change){ .put = &a }, 1, err,
					sizeof(err)), 0);
	CU_ASSERT_FALSE(cg_state_disturbed(&st));
	CU_ASSERT_EQUAL(truncate(jpath, 10), 0);	/* the journal cut */
	CU_ASSERT_TRUE(cg_state_disturbed(&st));
	CU_ASSERT_EQUAL(cg_rule_set_add(s, &a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_state_save(&st, s, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(cg_state_disturbed(&st));
	CU_ASSERT_EQUAL(unlink(path), 0);		/* the snapshot removed */
	CU_ASSERT_TRUE(cg_state_disturbed(&st));
	CU_ASSERT_EQUAL(cg_state_save(&st, s, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(cg_state_disturbed(&st));
	/* replaced by a copy of itself: another file, the same bytes */
	CU_ASSERT_EQUAL(link(path, copy), 0);
	CU_ASSERT_EQUAL(unlink(path), 0);
	write_file(path, "{}");
	CU_ASSERT_TRUE(cg_state_disturbed(&st));
	CU_ASSERT_EQUAL(cg_state_save(&st, s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_state_append(&st, &(struct cg_state_change){ .remove = "cam1" }, 1,
					err, sizeof(err)), 0);
	CU_ASSERT_FALSE(cg_state_disturbed(&st));
	CU_ASSERT_EQUAL(unlink(jpath), 0);		/* the journal removed */
	CU_ASSERT_TRUE(cg_state_disturbed(&st));
	unlink(copy);
	cg_rule_set_free(s);
	remove_dir();
}

static void
test_journal_errors(void)
{
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
		{ "{}\n", "line 1: expected {\"castgate_journal\": 1, \"generation\": N}" },
		{ "{\"castgate_journal\": 2, \"generation\": 0}\n",
		  "line 1: castgate_journal: version 2 is not supported" },
		{ "{\"castgate_journal\": 1, \"generation\": 0}\nnope\n",
		  "line 2: not valid JSON" },
		{ "{\"castgate_journal\": 1, \"generation\": 0}\n{\"add\": {}}\n",
		  "line 2: expected {\"put\": RULE} or {\"remove\": NAME}" },
		{ "{\"castgate_journal\": 1, \"generation\": 0}\n{\"remove\": 1}\n",
		  "line 2: remove: expected a rule name" },
		{ "{\"castgate_journal\": 1, \"generation\": 0}\n{\"put\": {\"name\": \"a\"}}\n",
		  "line 2: put" },
	};
	struct cg_rule_set *s;
	char err[512], jpath[160];

	fresh_dir();
	snprintf(jpath, sizeof(jpath), "%s.journal", path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(jpath, bad[i].text);
		err[0] = '\0';
		s = (struct cg_rule_set *)1;
		CU_ASSERT_EQUAL(cg_state_load(path, &s, NULL, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NULL(s);
		if (strstr(err, bad[i].want) == NULL || strncmp(err, jpath, strlen(jpath)) != 0)
			printf("\nwant \"%s\"\n got \"%s\"\n", bad[i].want, err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].want));
		CU_ASSERT_EQUAL(strncmp(err, jpath, strlen(jpath)), 0);
	}
	/* An append that cannot open the journal changes nothing. */
	unlink(jpath);
	CU_ASSERT_EQUAL(mkdir(jpath, 0700), 0);
	struct cg_state st = { 0 };
	struct cg_rule a = make_rule("cam1", 7, "239.1.1.1", 1);

	snprintf(st.path, sizeof(st.path), "%s", path);
	CU_ASSERT_EQUAL(cg_state_append(&st, &(struct cg_state_change){ .put = &a }, 1, err,
					sizeof(err)), -EISDIR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rules.json.journal: open: "));
	CU_ASSERT_EQUAL(st.journal_bytes, 0);
	rmdir(jpath);
	remove_dir();
}

/* lib/util's file safety (issue 14): stale temp files, unsafe directories. */
static void
test_stale_tmp_and_dir(void)
{
	char p[256], err[512];
	pid_t dead;

	fresh_dir();
	/* A pid that surely runs no more: a child that already exited. */
	dead = fork();
	if (dead == 0)
		_exit(0);
	CU_ASSERT_FATAL(dead > 0);
	waitpid(dead, NULL, 0);
	snprintf(p, sizeof(p), "%s.tmp.%d.0", path, (int)dead);
	write_file(p, "half a save");
	snprintf(p, sizeof(p), "%s.tmp.%d.3", path, (int)getpid());	/* ours: kept */
	write_file(p, "x");
	snprintf(p, sizeof(p), "%s.tmp.1.0", path);			/* pid 1 runs: kept */
	write_file(p, "x");
	snprintf(p, sizeof(p), "%s.tmpx.%d.0", path, (int)dead);	/* not ours: kept */
	write_file(p, "x");
	CU_ASSERT_EQUAL(cg_util_remove_stale_tmp(path), 1);
	CU_ASSERT_EQUAL(count_files(), 3);

	CU_ASSERT_EQUAL(chmod(dir, 0700), 0);
	CU_ASSERT_EQUAL(cg_util_check_dir(dir, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(chmod(dir, 0775), 0);
	CU_ASSERT_EQUAL(cg_util_check_dir(dir, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is writable by its group"));
	CU_ASSERT_EQUAL(chmod(dir, 01777), 0);
	CU_ASSERT_EQUAL(cg_util_check_dir(dir, err, sizeof(err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "writable by everyone"));
	CU_ASSERT_EQUAL(chmod(dir, 0700), 0);
	CU_ASSERT_EQUAL(cg_util_check_dir(path, err, sizeof(err)), -ENOENT);
	snprintf(p, sizeof(p), "%s/link", dir);
	CU_ASSERT_EQUAL(symlink("/", p), 0);
	CU_ASSERT_EQUAL(cg_util_check_dir(p, err, sizeof(err)), -ENOTDIR);
	if (geteuid() == 0) {
		snprintf(p, sizeof(p), "%s/theirs", dir);
		CU_ASSERT_EQUAL(mkdir(p, 0755), 0);
		CU_ASSERT_EQUAL(chown(p, 65534, 65534), 0);
		CU_ASSERT_EQUAL(cg_util_check_dir(p, err, sizeof(err)), -EPERM);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "owned by uid 65534"));
		rmdir(p);
	}
	remove_dir();
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_missing_is_empty),
		CG_UNIT_TEST(test_roundtrip),
		CG_UNIT_TEST(test_save_errors),
		CG_UNIT_TEST(test_bad_files),
		CG_UNIT_TEST(test_journal),
		CG_UNIT_TEST(test_disturbed),
		CG_UNIT_TEST(test_journal_errors),
		CG_UNIT_TEST(test_stale_tmp_and_dir),
		CG_UNIT_END,
	};

	return cg_unit_run("state", tests);
}
