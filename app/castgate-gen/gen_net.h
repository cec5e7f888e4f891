/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_NET_H
#define GEN_NET_H

/**
 * @file
 * Small socket and clock helpers shared by the sender and the receiver.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

/** Set by SIGINT/SIGTERM: loops finish their report and exit. */
extern volatile sig_atomic_t gen_stop;

/** Install the SIGINT/SIGTERM handlers (no SA_RESTART, so waits wake up). */
void gen_signals_init(void);

/** CLOCK_MONOTONIC in ns. */
uint64_t gen_mono_ns(void);

/** CLOCK_REALTIME in ns (the payload's send time). */
uint64_t gen_real_ns(void);

/** Sleep until the CLOCK_MONOTONIC time @p ns (returns early on a signal). */
void gen_sleep_until(uint64_t ns);

/** True for 224.0.0.0/4. */
bool gen_is_multicast(struct in_addr a);

/** "A.B.C.D:PORT" of @p sa into @p buf (at least 22 bytes). */
const char *gen_fmt_addr(const struct sockaddr_in *sa, char *buf, size_t size);

/**
 * Interface index of @p name, logging an error naming it when unknown.
 * @return the index (> 0), or -ENODEV.
 */
int gen_ifindex(const char *name);

/**
 * Set a socket option, logging "<what>: setsockopt(<optname>): <error>"
 * on failure.
 * @return 0 or a negative errno.
 */
int gen_setsockopt(int fd, int level, int opt, const char *optname, const void *val,
		   socklen_t len, const char *what);

/** Seconds -> ns, for option values already checked to be <= a year. */
static inline uint64_t
gen_secs_to_ns(double s)
{
	return (uint64_t)(s * 1e9);
}

#endif /* GEN_NET_H */
