/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Start a child the way a daemon expects to be started: no blocked signals
 * (the supervisor blocks its own for signalfd, and the mask survives exec),
 * every disposition back to default (SIG_IGN survives exec too), stdin on
 * /dev/null, and PR_SET_PDEATHSIG so that a supervisor killed with SIGKILL
 * leaves no orphan behind (a DPDK primary left running would hold the file
 * prefix and the hugepages, and make every later start fail).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sup.h"

uint64_t
sup_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
sup_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
sup_mkdir_p(const char *dir)
{
	char p[PATH_MAX];
	size_t len = strlen(dir);

	if (len >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		p[i] = dir[i];
	}
	return 0;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(char *const argv[], char *const envp[], pid_t parent, int errfd)
{
	struct sigaction sa;
	sigset_t none;
	int err, fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* SIGKILL, SIGSTOP and glibc's internal signals refuse: that is fine. */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	/* The supervisor may have died before prctl: then nobody would kill us. */
	if (getppid() != parent)
		_exit(127);

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		goto fail;
	if (fd != STDIN_FILENO)
		close(fd);
	execve(argv[0], argv, envp);
fail:
	err = errno;
	/* The parent reads it; if this write fails it still sees status 127. */
	if (write(errfd, &err, sizeof(err)) < 0)
		err = 0;
	_exit(127);
}

pid_t
sup_spawn(char *const argv[], char *const envp[])
{
	const pid_t parent = getpid();
	int pfd[2], err = 0;
	ssize_t n;
	pid_t pid;

	/* Close-on-exec: EOF means the exec succeeded, 4 bytes are its errno. */
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(pfd[0]);
		close(pfd[1]);
		return -err;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_exec(argv, envp, parent, pfd[1]);
	}
	close(pfd[1]);
	do {
		n = read(pfd[0], &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(err)) {
		/* Reap it now, so that the loop never sees this pid exit. */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -(err != 0 ? err : EIO);
	}
	return pid;
}
