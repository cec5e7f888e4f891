/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sd_notify: READY=1, STATUS=, STOPPING=1, WATCHDOG=1 to systemd.
 *
 * With libsystemd (the normal build) its sd_notify() does the work. Without
 * it the protocol is small enough to speak by hand: one datagram of
 * "KEY=VALUE\n" lines to the AF_UNIX socket named by $NOTIFY_SOCKET ('@'
 * meaning the abstract namespace), so that Type=notify works either way.
 * Outside systemd ($NOTIFY_SOCKET unset) every call is a no-op.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef CG_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "cg_log.h"
#include "sup.h"

/* A STATUS= line is for people: a few hundred bytes say everything. */
#define NOTIFY_MAX 1024

#ifndef CG_HAVE_LIBSYSTEMD
static int
notify_send(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	socklen_t salen;
	int fd, ret = 0;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return 0;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			    (path[0] == '/' ? 1 : 0));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
#endif

uint64_t
sup_notify_init(void)
{
#ifdef CG_HAVE_LIBSYSTEMD
	uint64_t usec = 0;

	/* Checks WATCHDOG_PID too: a watchdog meant for another process is not ours. */
	if (sd_watchdog_enabled(0, &usec) > 0)
		return usec;
	return 0;
#else
	const char *u = getenv("WATCHDOG_USEC"), *p = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long usec;

	if (u == NULL)
		return 0;
	if (p != NULL && strtol(p, NULL, 10) != (long)getpid())
		return 0;
	errno = 0;
	usec = strtoull(u, &end, 10);
	if (errno != 0 || *end != '\0' || usec == 0)
		return 0;
	return usec;
#endif
}

void
sup_notify(const char *fmt, ...)
{
	static bool warned;
	char msg[NOTIFY_MAX];
	va_list ap;
	int ret;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
#ifdef CG_HAVE_LIBSYSTEMD
	ret = sd_notify(0, msg);
#else
	ret = notify_send(msg);
#endif
	/* Once: a broken notify socket would otherwise fill the log every watchdog period. */
	if (ret < 0 && !warned) {
		warned = true;
		CG_WARN("sd_notify to $NOTIFY_SOCKET: %s", strerror(-ret));
	}
}
