/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
#include <sys/socket.h>

#include "cg_log.h"
#include "gen_net.h"

volatile sig_atomic_t gen_stop;

static void
on_signal(int sig)
{
	(void)sig;
	gen_stop = 1;
}

void
gen_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t
gen_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t
gen_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

void
gen_sleep_until(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

bool
gen_is_multicast(struct in_addr a)
{
	return IN_MULTICAST(ntohl(a.s_addr));
}

const char *
gen_fmt_addr(const struct sockaddr_in *sa, char *buf, size_t size)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
	snprintf(buf, size, "%s:%u", ip, ntohs(sa->sin_port));
	return buf;
}

int
gen_ifindex(const char *name)
{
	unsigned int idx = if_nametoindex(name);

	if (idx == 0) {
		CG_ERR("interface %s: %s", name, strerror(errno));
		return -ENODEV;
	}
	return (int)idx;
}

int
gen_setsockopt(int fd, int level, int opt, const char *optname, const void *val,
	       socklen_t len, const char *what)
{
	int err;

	if (setsockopt(fd, level, opt, val, len) == 0)
		return 0;
	err = errno;
	CG_ERR("%s: setsockopt(%s): %s", what, optname, strerror(err));
	return -err;
}
