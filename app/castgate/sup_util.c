/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pure helpers of the supervisor: how an exit and a duration read in the
 * log, what a ready file says, a child's environment, where the binaries are.
 * No state and no logging, so that test_sup.c checks each on its own.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sup.h"

const char *
sup_fmt_status(char *buf, size_t size, int wstatus)
{
	if (WIFEXITED(wstatus)) {
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(wstatus));
	} else if (WIFSIGNALED(wstatus)) {
		int sig = WTERMSIG(wstatus);
		const char *abbrev = sigabbrev_np(sig);

		snprintf(buf, size, "killed by signal %d (%s%s)%s", sig, abbrev ? "SIG" : "",
			 abbrev ? abbrev : "unknown", WCOREDUMP(wstatus) ? ", core dumped" : "");
	} else {
		/* Only WIFSTOPPED/WIFCONTINUED are left; we never ask for them. */
		snprintf(buf, size, "changed state (wait status 0x%x)", (unsigned int)wstatus);
	}
	return buf;
}

const char *
sup_fmt_ms(char *buf, size_t size, uint64_t ms)
{
	const uint64_t s = ms / 1000, min = s / 60, h = min / 60, d = h / 24;

	if (ms < 1000)
		snprintf(buf, size, "%u ms", (unsigned int)ms);
	else if (s < 60)
		/* Tenths, truncated: "59.9 s" never rounds up to "60.0 s". */
		snprintf(buf, size, "%u.%u s", (unsigned int)s, (unsigned int)(ms % 1000 / 100));
	else if (min < 60)
		snprintf(buf, size, "%u min %u s", (unsigned int)min, (unsigned int)(s % 60));
	else if (h < 24)
		snprintf(buf, size, "%u h %u min", (unsigned int)h, (unsigned int)(min % 60));
	else
		snprintf(buf, size, "%llu d %u h", (unsigned long long)d, (unsigned int)(h % 24));
	return buf;
}

enum sup_ready
sup_ready_parse(const char *buf, size_t len, pid_t pid)
{
	size_t i = 0;
	unsigned long long v = 0;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	if (i == len)
		return SUP_READY_NOT_YET;
	if (buf[i] < '0' || buf[i] > '9')
		return SUP_READY_UNKNOWN;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		v = v * 10 + (unsigned int)(buf[i] - '0');
		if (v > INT_MAX)
			return SUP_READY_UNKNOWN;
	}
	/* "123" without its newline may be the start of "1234\n" being written. */
	if (i == len)
		return SUP_READY_NOT_YET;
	if (buf[i] != '\n' && buf[i] != '\r' && buf[i] != ' ')
		return SUP_READY_UNKNOWN;
	return (pid_t)v == pid ? SUP_READY_YES : SUP_READY_STALE;
}

/* Variables a child must not inherit from the supervisor. */
static bool
env_dropped(const char *kv)
{
	static const char *const drop[] = {
		"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=",
		"CASTGATE_SUPERVISOR_PID=", "CASTGATE_RESTARTS_DATAPLANE=",
		"CASTGATE_RESTARTS_CONTROL=", "CASTGATE_STARTED_UNIX_MS=", NULL,
	};

	for (size_t i = 0; drop[i] != NULL; i++)
		if (strncmp(kv, drop[i], strlen(drop[i])) == 0)
			return true;
	return false;
}

#define SUP_ENV_OURS 4

char **
sup_env_build(char *const *env, const struct sup_env_vars *v)
{
	size_t n = 0, k = 0;
	char **out;

	while (env != NULL && env[n] != NULL)
		n++;
	out = calloc(n + SUP_ENV_OURS + 1, sizeof(*out));
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (env_dropped(env[i]))
			continue;
		out[k] = strdup(env[i]);
		if (out[k++] == NULL)
			goto nomem;
	}
	if (asprintf(&out[k++], "CASTGATE_SUPERVISOR_PID=%d", (int)v->supervisor_pid) < 0 ||
	    asprintf(&out[k++], "CASTGATE_RESTARTS_DATAPLANE=%u", v->restarts_dataplane) < 0 ||
	    asprintf(&out[k++], "CASTGATE_RESTARTS_CONTROL=%u", v->restarts_control) < 0 ||
	    asprintf(&out[k++], "CASTGATE_STARTED_UNIX_MS=%llu",
		     (unsigned long long)v->started_unix_ms) < 0) {
		/* asprintf leaves its pointer undefined on failure. */
		out[k - 1] = NULL;
		goto nomem;
	}
	out[k] = NULL;
	return out;
nomem:
	sup_env_free(out);
	errno = ENOMEM;
	return NULL;
}

void
sup_env_free(char **env)
{
	if (env == NULL)
		return;
	for (size_t i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

static bool
is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* out = dir + "/" + rel; false when it does not fit. */
static bool
join(char *out, size_t size, const char *dir, size_t dirlen, const char *rel)
{
	int n = snprintf(out, size, "%.*s/%s", (int)dirlen, dir, rel);

	return n >= 0 && (size_t)n < size;
}

int
sup_find_bin(const char *prog, const char *override, const char *self_exe,
	     const char *libexec_dir, const char *path, char *out, size_t size)
{
	char rel[PATH_MAX];

	if (override != NULL) {
		if (strlen(override) >= size)
			return -ENAMETOOLONG;
		snprintf(out, size, "%s", override);
		return is_exec_file(out) ? 0 : -ENOENT;
	}
	if (self_exe != NULL && strrchr(self_exe, '/') != NULL) {
		size_t dirlen = (size_t)(strrchr(self_exe, '/') - self_exe);
		const char *up;

		/* Installed side by side (/usr/bin). */
		if (join(out, size, self_exe, dirlen, prog) && is_exec_file(out))
			return 0;
		/* The meson build tree: build/app/castgate/castgate ->
		 * build/app/<prog>/<prog>. The parent is taken lexically (no "..",
		 * no symlink resolution): /proc/self/exe is a resolved path already,
		 * and the name the child is started under stays its own. */
		up = memrchr(self_exe, '/', dirlen);
		if (up != NULL) {
			snprintf(rel, sizeof(rel), "%s/%s", prog, prog);
			if (join(out, size, self_exe, (size_t)(up - self_exe), rel) &&
			    is_exec_file(out))
				return 0;
		}
	}
	/* Installed: <libexecdir>/castgate (meson install, the Debian package). */
	if (libexec_dir != NULL && libexec_dir[0] != '\0' &&
	    join(out, size, libexec_dir, strlen(libexec_dir), prog) && is_exec_file(out))
		return 0;
	for (const char *p = path; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ':');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		/* An empty $PATH element means the current directory. */
		if ((len == 0 ? join(out, size, ".", 1, prog) : join(out, size, p, len, prog)) &&
		    is_exec_file(out))
			return 0;
		p = end != NULL ? end + 1 : NULL;
	}
	out[0] = '\0';
	return -ENOENT;
}
