/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Docker event thread: keeps a connection to Docker forever and forwards
 * every event, in order, to the main thread through a pipe.
 *
 * Reconnection: exponential backoff (CW_BACKOFF_MIN_MS doubling up to
 * CW_BACKOFF_MAX_MS) with jitter, and a circuit breaker. After
 * CW_BREAKER_THRESHOLD consecutive failures the breaker opens: no attempt
 * for the current backoff; then it is half-open and one probe decides:
 * success closes it, failure opens it again. Transitions are logged and
 * published in /healthz and /metrics.
 *
 * An event stream that ends cleanly is a disconnect like any other. The
 * stream restarts from the last event's timeNano (the checkpoint), so nothing
 * that happened while we were away is lost; the main thread also runs a full
 * reconcile on every (re)connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cw.h"

#define CW_BACKOFF_MIN_MS 250
#define CW_BACKOFF_MAX_MS 30000
/* Consecutive failures that open the breaker: a few quick retries ride out
 * a dockerd restart; beyond that we stop hammering a daemon that is down. */
#define CW_BREAKER_THRESHOLD 5
/* A stream that lasted this long was healthy: its end resets the backoff. */
#define CW_HEALTHY_STREAM_MS 10000

static struct {
	pthread_t thread;
	bool started;
	int wfd;
	struct cg_docker_opts opts;
	char host[CG_WARP_STR_MAX];
	char ca[CG_WARP_STR_MAX], cert[CG_WARP_STR_MAX], key[CG_WARP_STR_MAX];
	int64_t since_ns;      /* checkpoint: timeNano of the last event seen */
	unsigned int failures; /* consecutive */
	long backoff_ms;
	unsigned int seed;
} ev;

static bool
should_stop(void *arg)
{
	(void)arg;
	return atomic_load(&cw_stopping);
}

/* Write a whole message; the pipe is non-blocking so that a stalled main
 * thread cannot keep us from noticing a stop. */
static int
push(const struct cw_msg *m)
{
	for (;;) {
		ssize_t n = write(ev.wfd, m, sizeof(*m));
		struct pollfd p = { .fd = ev.wfd, .events = POLLOUT };

		if (n == (ssize_t)sizeof(*m))
			return 0;
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			return -EIO; /* cannot happen below PIPE_BUF; give up loudly */
		if (atomic_load(&cw_stopping))
			return -ECANCELED;
		poll(&p, 1, 200);
	}
}

static int
on_event(const struct cg_docker_event *e, void *arg)
{
	struct cw_msg m = { .kind = CW_MSG_EVENT };

	(void)arg;
	m.ev = *e;
	if (e->time_nano > ev.since_ns)
		ev.since_ns = e->time_nano;
	return push(&m) < 0 ? -ECANCELED : 0;
}

static void
set_breaker(int state, const char *why)
{
	int old = atomic_exchange(&cw_m.breaker, state);

	if (old == state)
		return;
	if (state == CW_BREAKER_OPEN)
		CG_WARN("docker circuit breaker %s -> open: %s; next probe in %ld ms",
			cw_breaker_name(old), why, ev.backoff_ms);
	else
		CG_INFO("docker circuit breaker %s -> %s: %s", cw_breaker_name(old),
			cw_breaker_name(state), why);
}

/* Sleep up to ms, waking early on stop. */
static void
nap(long ms)
{
	int64_t end = cw_now_mono_ms() + ms;

	while (!atomic_load(&cw_stopping)) {
		int64_t left = end - cw_now_mono_ms();

		if (left <= 0)
			return;
		poll(NULL, 0, left > 100 ? 100 : (int)left);
	}
}

/* Delay before the next attempt: the backoff, minus up to a quarter of jitter
 * so that several daemons do not reconnect in lockstep. */
static long
jittered(long ms)
{
	return ms - (long)(rand_r(&ev.seed) % (unsigned int)(ms / 4 + 1));
}

static void
failed(const char *what)
{
	ev.failures++;
	cw_metric_error(CW_ERR_DOCKER);
	if (atomic_load(&cw_m.breaker) == CW_BREAKER_HALF_OPEN)
		set_breaker(CW_BREAKER_OPEN, "probe failed");
	else if (ev.failures >= CW_BREAKER_THRESHOLD)
		set_breaker(CW_BREAKER_OPEN, what);
	nap(jittered(ev.backoff_ms));
	ev.backoff_ms = ev.backoff_ms * 2 > CW_BACKOFF_MAX_MS ? CW_BACKOFF_MAX_MS :
			ev.backoff_ms * 2;
	if (atomic_load(&cw_m.breaker) == CW_BREAKER_OPEN && !atomic_load(&cw_stopping))
		set_breaker(CW_BREAKER_HALF_OPEN, "open period over, probing once");
}

static void *
event_thread(void *arg)
{
	struct cw_msg m;
	char err[512];
	bool first = true;

	(void)arg;
	while (!atomic_load(&cw_stopping)) {
		struct cg_docker *d = cg_docker_new(&ev.opts);
		int64_t t0;
		int ret;

		if (d == NULL) {
			CG_ERR("docker %s: cannot create client: %s", ev.host, strerror(errno));
			failed("client creation failed");
			continue;
		}
		ret = cg_docker_negotiate(d, err, sizeof(err));
		if (ret < 0) {
			CG_WARN("docker %s: %s (attempt %u, retry in ~%ld ms)", ev.host, err,
				ev.failures + 1, ev.backoff_ms);
			cg_docker_free(d);
			failed(err);
			continue;
		}
		set_breaker(CW_BREAKER_CLOSED, "connected");
		if (!first)
			atomic_fetch_add(&cw_m.reconnects, 1);
		CG_INFO("docker %s: connected, API %s%s", ev.host, cg_docker_api_version(d),
			first ? "" : ", replaying events since the checkpoint");
		first = false;
		/* The first stream starts now; later ones from the checkpoint. */
		if (ev.since_ns == 0)
			ev.since_ns = cw_now_real_ns();
		atomic_store(&cw_m.docker_connected, 1);
		memset(&m, 0, sizeof(m));
		m.kind = CW_MSG_CONNECTED;
		if (push(&m) < 0) {
			cg_docker_free(d);
			break;
		}
		t0 = cw_now_mono_ms();
		ret = cg_docker_events(d, ev.since_ns, on_event, should_stop, NULL, err,
				       sizeof(err));
		cg_docker_free(d);
		atomic_store(&cw_m.docker_connected, 0);
		memset(&m, 0, sizeof(m));
		m.kind = CW_MSG_DISCONNECTED;
		if (ret == -ECANCELED || atomic_load(&cw_stopping))
			break;
		push(&m);
		if (ret == 0)
			CG_WARN("docker %s: event stream ended; reconnecting", ev.host);
		else
			CG_WARN("docker %s: event stream failed: %s; reconnecting", ev.host, err);
		if (cw_now_mono_ms() - t0 >= CW_HEALTHY_STREAM_MS) {
			ev.failures = 0;
			ev.backoff_ms = CW_BACKOFF_MIN_MS;
		}
		failed(ret == 0 ? "event stream ended" : err);
	}
	atomic_store(&cw_m.docker_connected, 0);
	return NULL;
}

int
cw_events_start(const struct cg_warp_config *cfg, int *read_fd)
{
	int fds[2];
	int rc;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.host, sizeof(ev.host), "%s", cfg->socket);
	snprintf(ev.ca, sizeof(ev.ca), "%s", cfg->tls_ca);
	snprintf(ev.cert, sizeof(ev.cert), "%s", cfg->tls_cert);
	snprintf(ev.key, sizeof(ev.key), "%s", cfg->tls_key);
	ev.opts.host = ev.host;
	ev.opts.timeout_ms = CW_DOCKER_TIMEOUT_MS; /* negotiation only; the stream has none */
	ev.opts.tls_ca = ev.ca[0] != '\0' ? ev.ca : NULL;
	ev.opts.tls_cert = ev.cert[0] != '\0' ? ev.cert : NULL;
	ev.opts.tls_key = ev.key[0] != '\0' ? ev.key : NULL;
	ev.backoff_ms = CW_BACKOFF_MIN_MS;
	ev.seed = (unsigned int)cw_now_real_ns() ^ (unsigned int)getpid();
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if (fcntl(fds[1], F_SETFL, O_NONBLOCK) < 0) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	ev.wfd = fds[1];
	rc = pthread_create(&ev.thread, NULL, event_thread, NULL);
	if (rc != 0) {
		close(fds[0]);
		close(fds[1]);
		return -rc;
	}
	ev.started = true;
	*read_fd = fds[0];
	return 0;
}

void
cw_events_stop(void)
{
	if (!ev.started)
		return;
	pthread_join(ev.thread, NULL);
	close(ev.wfd);
	ev.started = false;
}
