/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the supervisor's pure logic: backoff, status and duration
 * text, ready-file content, the children's environment, binary lookup. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg_unit.h"
#include "sup.h"

static void
test_backoff_doubles_to_cap(void)
{
	static const uint32_t want[] = { 250, 500, 1000, 2000, 4000, 8000, 16000, 16000, 16000 };
	struct sup_backoff b;

	sup_backoff_init(&b, 250, 16000, 60, 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CU_ASSERT_EQUAL(sup_backoff_next(&b, 10), want[i]);
	CU_ASSERT_EQUAL(b.failures, 9);
}

/* The defaults: three restarts at once, then the doubling; a stable run
 * gives the quick ones back (a single crash costs only the child's start). */
static void
test_backoff_quick_first(void)
{
	static const uint32_t want[] = { 0, 0, 0, 250, 500, 1000, 2000, 4000 };
	struct sup_backoff b;

	sup_backoff_init(&b, 250, 16000, 60, 3);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CU_ASSERT_EQUAL(sup_backoff_next(&b, 10), want[i]);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 60000), 0);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 10), 0);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 10), 0);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 10), 250);
}

static void
test_backoff_resets_after_stable(void)
{
	struct sup_backoff b;

	sup_backoff_init(&b, 250, 16000, 60, 0);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 250);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 1000), 500);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 59999), 1000);   /* just short of stable */
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 60000), 250);    /* exactly stable_s: reset */
	CU_ASSERT_EQUAL(b.failures, 1);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 5), 500);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 86400000), 250); /* a day of service */
}

static void
test_backoff_odd_bounds(void)
{
	struct sup_backoff b;

	/* A cap that is not a power-of-two multiple of the minimum is still reached. */
	sup_backoff_init(&b, 300, 1000, 60, 0);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 300);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 600);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 1000);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 1000);
	/* min == max: constant. */
	sup_backoff_init(&b, 500, 500, 60, 0);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 500);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 500);
	/* max below min is raised to min. */
	sup_backoff_init(&b, 800, 100, 60, 0);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 800);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 800);
	/* The config's extremes: no uint32_t overflow on the way to the cap. */
	sup_backoff_init(&b, 600000, 3600000, 1, 0);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 600000);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 1200000);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 2400000);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 3600000);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 3600000);
	sup_backoff_init(&b, 3000000000u, 4000000000u, 1, 0);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 3000000000u);
	CU_ASSERT_EQUAL(sup_backoff_next(&b, 0), 4000000000u);
}

static void
test_fmt_status(void)
{
	char b[96];

	/* Raw wait statuses as Linux encodes them. */
	CU_ASSERT_STRING_EQUAL(sup_fmt_status(b, sizeof(b), 0), "exited with status 0");
	CU_ASSERT_STRING_EQUAL(sup_fmt_status(b, sizeof(b), 3 << 8), "exited with status 3");
	CU_ASSERT_STRING_EQUAL(sup_fmt_status(b, sizeof(b), 255 << 8), "exited with status 255");
	CU_ASSERT_STRING_EQUAL(sup_fmt_status(b, sizeof(b), SIGKILL),
			       "killed by signal 9 (SIGKILL)");
	CU_ASSERT_STRING_EQUAL(sup_fmt_status(b, sizeof(b), SIGSEGV | 0x80),
			       "killed by signal 11 (SIGSEGV), core dumped");
	CU_ASSERT_STRING_EQUAL(sup_fmt_status(b, sizeof(b), SIGTERM),
			       "killed by signal 15 (SIGTERM)");
	/* Truncation is safe. */
	sup_fmt_status(b, 8, SIGKILL);
	CU_ASSERT_STRING_EQUAL(b, "killed ");
}

static void
test_fmt_ms(void)
{
	char b[32];

	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 0), "0 ms");
	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 250), "250 ms");
	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 999), "999 ms");
	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 1000), "1.0 s");
	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 4250), "4.2 s");
	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 59999), "59.9 s");
	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 60000), "1 min 0 s");
	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 187000), "3 min 7 s");
	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 3600000), "1 h 0 min");
	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 7500000), "2 h 5 min");
	CU_ASSERT_STRING_EQUAL(sup_fmt_ms(b, sizeof(b), 288000000), "3 d 8 h");
}

static void
test_ready_parse(void)
{
#define RP(s, pid) sup_ready_parse((s), strlen(s), (pid))
	CU_ASSERT_EQUAL(RP("1234\n", 1234), SUP_READY_YES);
	CU_ASSERT_EQUAL(RP("1234\r\n", 1234), SUP_READY_YES);
	CU_ASSERT_EQUAL(RP("1234 extra\n", 1234), SUP_READY_YES);
	/* The previous run's file: another pid. */
	CU_ASSERT_EQUAL(RP("999\n", 1234), SUP_READY_STALE);
	/* "12" may be the start of "1234\n" being written: wait. */
	CU_ASSERT_EQUAL(RP("12", 1234), SUP_READY_NOT_YET);
	CU_ASSERT_EQUAL(RP("1234", 1234), SUP_READY_NOT_YET);
	CU_ASSERT_EQUAL(RP("", 1234), SUP_READY_NOT_YET);
	CU_ASSERT_EQUAL(RP("  ", 1234), SUP_READY_NOT_YET);
	/* Content without a pid: the caller decides by mtime. */
	CU_ASSERT_EQUAL(RP("ready\n", 1234), SUP_READY_UNKNOWN);
	CU_ASSERT_EQUAL(RP("{\"pid\": 1234}\n", 1234), SUP_READY_UNKNOWN);
	CU_ASSERT_EQUAL(RP("12x\n", 12), SUP_READY_UNKNOWN);
	CU_ASSERT_EQUAL(RP("99999999999999999999\n", 1234), SUP_READY_UNKNOWN);
	/* Length is honoured, not the NUL. */
	CU_ASSERT_EQUAL(sup_ready_parse("1234\n", 4, 1234), SUP_READY_NOT_YET);
#undef RP
}

static size_t
env_count(char **env, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

static bool
env_has(char **env, const char *kv)
{
	for (size_t i = 0; env[i] != NULL; i++)
		if (strcmp(env[i], kv) == 0)
			return true;
	return false;
}

static void
test_env_build(void)
{
	char *in[] = {
		"PATH=/usr/bin", "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=30000000",
		"WATCHDOG_PID=1", "JOURNAL_STREAM=8:123", "CASTGATE_RESTARTS_CONTROL=77",
		"CASTGATE_SOCKET=/tmp/x.sock", "NOTIFY_SOCKETX=keep", NULL,
	};
	struct sup_env_vars v = {
		.supervisor_pid = 4321, .restarts_dataplane = 2, .restarts_control = 5,
		.started_unix_ms = 1700000000123ull,
	};
	char **env = sup_env_build(in, &v);
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	while (env[n] != NULL)
		n++;
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_TRUE(env_has(env, "PATH=/usr/bin"));
	/* The journal stream is the children's stderr too: kept. */
	CU_ASSERT_TRUE(env_has(env, "JOURNAL_STREAM=8:123"));
	/* castgatectl's variable is not ours to drop; a prefix match is not a match. */
	CU_ASSERT_TRUE(env_has(env, "CASTGATE_SOCKET=/tmp/x.sock"));
	CU_ASSERT_TRUE(env_has(env, "NOTIFY_SOCKETX=keep"));
	CU_ASSERT_EQUAL(env_count(env, "NOTIFY_SOCKET="), 0);
	CU_ASSERT_EQUAL(env_count(env, "WATCHDOG_"), 0);
	CU_ASSERT_TRUE(env_has(env, "CASTGATE_SUPERVISOR_PID=4321"));
	CU_ASSERT_TRUE(env_has(env, "CASTGATE_RESTARTS_DATAPLANE=2"));
	/* Ours replaces an inherited one, never both. */
	CU_ASSERT_TRUE(env_has(env, "CASTGATE_RESTARTS_CONTROL=5"));
	CU_ASSERT_EQUAL(env_count(env, "CASTGATE_RESTARTS_CONTROL="), 1);
	CU_ASSERT_TRUE(env_has(env, "CASTGATE_STARTED_UNIX_MS=1700000000123"));
	sup_env_free(env);

	env = sup_env_build(NULL, &v);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	CU_ASSERT_PTR_NOT_NULL(env[3]);
	CU_ASSERT_PTR_NULL(env[4]);
	sup_env_free(env);
	sup_env_free(NULL);
}

static char tmpdir[64];

static void
mkfile(const char *rel, mode_t mode)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	chmod(p, mode);
}

static void
mkd(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	CU_ASSERT_EQUAL_FATAL(mkdir(p, 0755), 0);
}

static void
test_find_bin(void)
{
	char self[PATH_MAX], path[2 * PATH_MAX], out[PATH_MAX], want[PATH_MAX];
	char inst[PATH_MAX], libexec[PATH_MAX];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sup.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
	/* build/app/castgate/castgate and build/app/castgate-dataplane/castgate-dataplane */
	mkd("app");
	mkd("app/castgate");
	mkd("app/castgate-dataplane");
	mkd("bin");
	mkd("bin2");
	mkfile("app/castgate/castgate", 0755);
	mkfile("app/castgate-dataplane/castgate-dataplane", 0755);
	mkfile("bin/castgate-control", 0644);   /* not executable: skipped */
	mkfile("bin2/castgate-control", 0755);
	snprintf(self, sizeof(self), "%s/app/castgate/castgate", tmpdir);

	/* The build tree. */
	CU_ASSERT_EQUAL(sup_find_bin("castgate-dataplane", NULL, self, NULL, NULL, out, sizeof(out)),
			0);
	snprintf(want, sizeof(want), "%s/app/castgate-dataplane/castgate-dataplane", tmpdir);
	CU_ASSERT_STRING_EQUAL(out, want);
	/* Side by side wins over the build tree. */
	mkfile("app/castgate/castgate-dataplane", 0755);
	CU_ASSERT_EQUAL(sup_find_bin("castgate-dataplane", NULL, self, NULL, NULL, out, sizeof(out)),
			0);
	snprintf(want, sizeof(want), "%s/app/castgate/castgate-dataplane", tmpdir);
	CU_ASSERT_STRING_EQUAL(out, want);
	/* $PATH, in order, skipping what is not executable. */
	snprintf(path, sizeof(path), "/nonexistent::%s/bin:%s/bin2", tmpdir, tmpdir);
	CU_ASSERT_EQUAL(sup_find_bin("castgate-control", NULL, self, NULL, path, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/bin2/castgate-control", tmpdir);
	CU_ASSERT_STRING_EQUAL(out, want);
	/* Installed: sbin/castgate finds libexec/castgate/<prog>, before $PATH... */
	mkd("sbin");
	mkd("libexec");
	mkd("libexec/castgate");
	mkfile("sbin/castgate", 0755);
	mkfile("libexec/castgate/castgate-control", 0755);
	mkfile("libexec/castgate/castgate-dataplane", 0755);
	snprintf(libexec, sizeof(libexec), "%s/libexec/castgate", tmpdir);
	snprintf(inst, sizeof(inst), "%s/sbin/castgate", tmpdir);
	CU_ASSERT_EQUAL(sup_find_bin("castgate-control", NULL, inst, libexec, path, out,
				     sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/libexec/castgate/castgate-control", tmpdir);
	CU_ASSERT_STRING_EQUAL(out, want);
	/* ... but a build tree never starts an installed copy. */
	CU_ASSERT_EQUAL(sup_find_bin("castgate-dataplane", NULL, self, libexec, path, out,
				     sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/app/castgate/castgate-dataplane", tmpdir);
	CU_ASSERT_STRING_EQUAL(out, want);
	/* An empty or missing libexec dir is skipped. */
	CU_ASSERT_EQUAL(sup_find_bin("castgate-control", NULL, inst, "", path, out, sizeof(out)),
			0);
	snprintf(want, sizeof(want), "%s/bin2/castgate-control", tmpdir);
	CU_ASSERT_STRING_EQUAL(out, want);
	/* Nothing anywhere. */
	CU_ASSERT_EQUAL(sup_find_bin("castgate-nothing", NULL, self, NULL, path, out, sizeof(out)),
			-ENOENT);
	CU_ASSERT_EQUAL(sup_find_bin("castgate-control", NULL, NULL, NULL, NULL, out, sizeof(out)),
			-ENOENT);
	/* A program at the root has no build tree above it. */
	CU_ASSERT_EQUAL(sup_find_bin("castgate-nothing", NULL, "/castgate", NULL, NULL, out,
				     sizeof(out)),
			-ENOENT);
	/* An override is used as given, and must be an executable file. */
	snprintf(want, sizeof(want), "%s/bin2/castgate-control", tmpdir);
	CU_ASSERT_EQUAL(sup_find_bin("castgate-control", want, NULL, NULL, NULL, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, want);
	snprintf(want, sizeof(want), "%s/bin/castgate-control", tmpdir);
	CU_ASSERT_EQUAL(sup_find_bin("castgate-control", want, self, NULL, path, out, sizeof(out)),
			-ENOENT);
	snprintf(want, sizeof(want), "%s/bin", tmpdir);   /* a directory */
	CU_ASSERT_EQUAL(sup_find_bin("castgate-control", want, self, NULL, path, out, sizeof(out)),
			-ENOENT);
	CU_ASSERT_EQUAL(sup_find_bin("castgate-control", want, self, NULL, path, out, 4),
			-ENAMETOOLONG);

	snprintf(path, sizeof(path), "rm -rf '%s'", tmpdir);
	CU_ASSERT_EQUAL(system(path), 0);
}

/* After a stop, the prefix's hugepage files and runtime directory go; others stay. */
static void
test_dpdk_cleanup(void)
{
	char dir[] = "/tmp/cg-sup-files.XXXXXX", p[512], mounts[512];
	static const char *const files[] = { "huge/cgtmap_0", "huge/cgtmap_17", "huge/cgt1map_0",
					     "huge/othermap_0", "run/dpdk/cgt/config",
					     "run/dpdk/cgt/fbarray_memseg-2048k-0-0",
					     "run/dpdk/cgt1/config" };
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(p, sizeof(p), "mkdir -p %s/huge %s/run/dpdk/cgt %s/run/dpdk/cgt1", dir, dir, dir);
	CU_ASSERT_EQUAL_FATAL(system(p), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		f = fopen(p, "w");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		fclose(f);
	}
	snprintf(mounts, sizeof(mounts), "%s/mounts", dir);
	f = fopen(mounts, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "proc /proc proc rw 0 0\nnone %s/huge hugetlbfs rw,pagesize=2M 0 0\n", dir);
	fclose(f);
	snprintf(p, sizeof(p), "%s/run", dir);
	/* 2 map files, 2 runtime files, the runtime directory. */
	CU_ASSERT_EQUAL(sup_dpdk_cleanup("cgt", mounts, p), 5);
	snprintf(p, sizeof(p), "%s/huge/cgt1map_0", dir);
	CU_ASSERT_EQUAL(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/huge/othermap_0", dir);
	CU_ASSERT_EQUAL(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/run/dpdk/cgt1/config", dir);
	CU_ASSERT_EQUAL(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/run/dpdk/cgt", dir);
	CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0);
	CU_ASSERT_EQUAL(sup_dpdk_cleanup("cgt", mounts, NULL), 0);
	CU_ASSERT_EQUAL(sup_dpdk_cleanup("", mounts, NULL), 0);
	CU_ASSERT_EQUAL(sup_dpdk_cleanup("../x", mounts, NULL), 0);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(p), 0);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_backoff_doubles_to_cap),
		CG_UNIT_TEST(test_backoff_quick_first),
		CG_UNIT_TEST(test_dpdk_cleanup),
		CG_UNIT_TEST(test_backoff_resets_after_stable),
		CG_UNIT_TEST(test_backoff_odd_bounds),
		CG_UNIT_TEST(test_fmt_status),
		CG_UNIT_TEST(test_fmt_ms),
		CG_UNIT_TEST(test_ready_parse),
		CG_UNIT_TEST(test_env_build),
		CG_UNIT_TEST(test_find_bin),
		CG_UNIT_END,
	};

	return cg_unit_run("castgate supervisor", tests);
}
