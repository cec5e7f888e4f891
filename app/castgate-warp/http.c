/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Metrics, and a deliberately tiny HTTP/1.1 server for them on a loopback
 * socket: GET /healthz (JSON, 503 while Docker is disconnected) and
 * GET /metrics (Prometheus text). One request per connection, answered with
 * "Connection: close". The thread reads atomics only, so a scrape never
 * waits for the main thread.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "cw.h"

/* Requests are a line and a few headers; anything bigger is not for us. */
#define CW_HTTP_REQ_MAX 4096
/* A client that has not sent its request by then is dropped. */
#define CW_HTTP_TIMEOUT_MS 2000
#define CW_HTTP_BODY_MAX 16384

struct cw_metrics cw_m;
const double cw_hist_bounds[CW_HIST_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

static const char *const ev_types[CW_EV_TYPES] = { "container", "network", "other" };
static const char *const ev_actions[CW_EV_ACTIONS] = {
	"start", "restart", "die", "stop", "connect", "disconnect", "other",
};
static const char *const err_kinds[CW_ERR_COUNT] = {
	"docker", "inspect", "nexthop", "netns", "netlink", "classify",
};

void
cw_metric_event(const struct cg_docker_event *e)
{
	unsigned int t = e->type == CG_DOCKER_EV_CONTAINER ? 0 :
			 e->type == CG_DOCKER_EV_NETWORK ? 1 : 2;
	unsigned int a = CW_EV_ACTIONS - 1;

	for (unsigned int i = 0; i < CW_EV_ACTIONS - 1; i++)
		if (strcmp(e->action, ev_actions[i]) == 0)
			a = i;
	atomic_fetch_add_explicit(&cw_m.events[t][a], 1, memory_order_relaxed);
	atomic_store(&cw_m.last_event_ns, e->time_nano);
}

void
cw_metric_error(enum cw_err_kind kind)
{
	atomic_fetch_add_explicit(&cw_m.errors[kind], 1, memory_order_relaxed);
}

void
cw_metric_refusal(enum cg_warp_refusal r)
{
	if ((unsigned int)r < CG_WARP_REFUSE_COUNT)
		atomic_fetch_add_explicit(&cw_m.refusals[r], 1, memory_order_relaxed);
}

void
cw_metric_latency(int64_t ns)
{
	double s;
	unsigned int b = CW_HIST_BUCKETS;

	if (ns < 0)
		ns = 0;
	s = (double)ns / 1e9;
	for (unsigned int i = 0; i < CW_HIST_BUCKETS; i++) {
		if (s <= cw_hist_bounds[i]) {
			b = i;
			break;
		}
	}
	atomic_fetch_add_explicit(&cw_m.hist[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&cw_m.hist_sum_ns, (uint64_t)ns, memory_order_relaxed);
	atomic_fetch_add_explicit(&cw_m.hist_count, 1, memory_order_relaxed);
}

const char *
cw_breaker_name(int state)
{
	switch (state) {
	case CW_BREAKER_OPEN:
		return "open";
	case CW_BREAKER_HALF_OPEN:
		return "half-open";
	default:
		return "closed";
	}
}

struct buf {
	char *p;
	size_t size, len;
};

static void
bput(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bput(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= b->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
	if (b->len >= b->size)
		b->len = b->size - 1;
}

static void
render_metrics(struct buf *b)
{
	uint64_t cum = 0;

	bput(b, "# HELP castgate_warp_events_total Docker events received.\n"
	     "# TYPE castgate_warp_events_total counter\n");
	for (int t = 0; t < CW_EV_TYPES; t++)
		for (int a = 0; a < CW_EV_ACTIONS; a++) {
			uint64_t v = atomic_load_explicit(&cw_m.events[t][a],
							  memory_order_relaxed);

			if (v != 0 || (t < 2 && a < 6))
				bput(b, "castgate_warp_events_total{type=\"%s\",action=\"%s\"} "
				     "%llu\n", ev_types[t], ev_actions[a], (unsigned long long)v);
		}
	bput(b, "# HELP castgate_warp_routes_applied_total Route changes applied in targets.\n"
	     "# TYPE castgate_warp_routes_applied_total counter\n");
	for (int a = 0; a < 4; a++)
		bput(b, "castgate_warp_routes_applied_total{action=\"%s\"} %llu\n",
		     cg_warp_action_name((enum cg_warp_action)a),
		     (unsigned long long)atomic_load(&cw_m.routes[a]));
	bput(b, "# HELP castgate_warp_errors_total Errors by kind.\n"
	     "# TYPE castgate_warp_errors_total counter\n");
	for (int k = 0; k < CW_ERR_COUNT; k++)
		bput(b, "castgate_warp_errors_total{kind=\"%s\"} %llu\n", err_kinds[k],
		     (unsigned long long)atomic_load(&cw_m.errors[k]));
	bput(b, "# HELP castgate_warp_refusals_total Containers refused because their network "
	     "namespace is not their own (nothing was changed), by reason.\n"
	     "# TYPE castgate_warp_refusals_total counter\n");
	for (int r = CG_WARP_SAFE + 1; r < CG_WARP_REFUSE_COUNT; r++)
		bput(b, "castgate_warp_refusals_total{reason=\"%s\"} %llu\n",
		     cg_warp_refusal_name((enum cg_warp_refusal)r),
		     (unsigned long long)atomic_load(&cw_m.refusals[r]));
	bput(b, "# HELP castgate_warp_event_to_route_seconds Time from a Docker event "
	     "(timeNano) to its routes applied.\n"
	     "# TYPE castgate_warp_event_to_route_seconds histogram\n");
	for (int i = 0; i < CW_HIST_BUCKETS; i++) {
		cum += atomic_load(&cw_m.hist[i]);
		bput(b, "castgate_warp_event_to_route_seconds_bucket{le=\"%g\"} %llu\n",
		     cw_hist_bounds[i], (unsigned long long)cum);
	}
	cum += atomic_load(&cw_m.hist[CW_HIST_BUCKETS]);
	bput(b, "castgate_warp_event_to_route_seconds_bucket{le=\"+Inf\"} %llu\n",
	     (unsigned long long)cum);
	bput(b, "castgate_warp_event_to_route_seconds_sum %.9f\n",
	     (double)atomic_load(&cw_m.hist_sum_ns) / 1e9);
	/* _count equals the +Inf bucket by construction. */
	bput(b, "castgate_warp_event_to_route_seconds_count %llu\n", (unsigned long long)cum);
	bput(b, "# HELP castgate_warp_docker_connected 1 while the Docker event stream is up.\n"
	     "# TYPE castgate_warp_docker_connected gauge\n"
	     "castgate_warp_docker_connected %d\n", atomic_load(&cw_m.docker_connected));
	bput(b, "# HELP castgate_warp_breaker_state Docker circuit breaker: 0 closed, 1 open, "
	     "2 half-open.\n# TYPE castgate_warp_breaker_state gauge\n"
	     "castgate_warp_breaker_state %d\n", atomic_load(&cw_m.breaker));
	bput(b, "# HELP castgate_warp_reconnects_total Successful reconnections to Docker.\n"
	     "# TYPE castgate_warp_reconnects_total counter\n"
	     "castgate_warp_reconnects_total %llu\n",
	     (unsigned long long)atomic_load(&cw_m.reconnects));
	bput(b, "# HELP castgate_warp_targets Target containers known.\n"
	     "# TYPE castgate_warp_targets gauge\ncastgate_warp_targets %u\n"
	     "# HELP castgate_warp_warps Warp containers known.\n"
	     "# TYPE castgate_warp_warps gauge\ncastgate_warp_warps %u\n"
	     "# HELP castgate_warp_refused_targets Targets whose routes are refused now.\n"
	     "# TYPE castgate_warp_refused_targets gauge\ncastgate_warp_refused_targets %u\n",
	     atomic_load(&cw_m.targets), atomic_load(&cw_m.warps),
	     atomic_load(&cw_m.refused_targets));
}

static int
render_health(struct buf *b)
{
	int connected = atomic_load(&cw_m.docker_connected);
	int64_t last = atomic_load(&cw_m.last_event_ns);
	char ts[64] = "null";

	if (last > 0) {
		time_t s = (time_t)(last / 1000000000LL);
		struct tm tm;

		gmtime_r(&s, &tm);
		snprintf(ts, sizeof(ts), "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int)((last / 1000000) % 1000));
	}
	bput(b, "{\"status\":\"%s\",\"docker\":\"%s\",\"breaker\":\"%s\",\"last_event\":%s,"
	     "\"targets\":%u,\"warps\":%u}\n", connected ? "ok" : "unavailable",
	     connected ? "connected" : "disconnected",
	     cw_breaker_name(atomic_load(&cw_m.breaker)), ts, atomic_load(&cw_m.targets),
	     atomic_load(&cw_m.warps));
	return connected ? 200 : 503;
}

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* HEAD gets the headers of GET (same Content-Length) and no body. */
static void
respond(int fd, int code, const char *ctype, const char *body, size_t len, bool head)
{
	char hdr[256];
	const char *reason = code == 200 ? "OK" : code == 503 ? "Service Unavailable" :
			     code == 404 ? "Not Found" : code == 405 ? "Method Not Allowed" :
			     "Bad Request";
	int n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", code, reason,
			 ctype, len);

	send_all(fd, hdr, (size_t)n);
	if (!head)
		send_all(fd, body, len);
}

static void
serve(int fd)
{
	static char body[CW_HTTP_BODY_MAX];
	char req[CW_HTTP_REQ_MAX + 1], method[16], path[256];
	struct timeval tv = { CW_HTTP_TIMEOUT_MS / 1000, (CW_HTTP_TIMEOUT_MS % 1000) * 1000 };
	struct buf b = { body, sizeof(body), 0 };
	size_t len = 0;
	bool head;
	int code;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < CW_HTTP_REQ_MAX) {
		ssize_t n = recv(fd, req + len, CW_HTTP_REQ_MAX - len, 0);

		if (n <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	req[len] = '\0';
	if (sscanf(req, "%15s %255s HTTP/1.%*c", method, path) != 2) {
		respond(fd, 400, "text/plain", "bad request\n", 12, false);
		return;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		respond(fd, 405, "text/plain", "only GET\n", 9, false);
		return;
	}
	head = strcmp(method, "HEAD") == 0;
	if (strcmp(path, "/metrics") == 0) {
		render_metrics(&b);
		respond(fd, 200, "text/plain; version=0.0.4", body, b.len, head);
	} else if (strcmp(path, "/healthz") == 0) {
		code = render_health(&b);
		respond(fd, code, "application/json", body, b.len, head);
	} else {
		respond(fd, 404, "text/plain", "try /healthz or /metrics\n", 25, head);
	}
}

static struct {
	int fd;
	pthread_t thread;
	bool started;
} http = { .fd = -1 };

static void *
http_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&cw_stopping)) {
		struct pollfd p = { .fd = http.fd, .events = POLLIN };
		int c;

		/* Wake regularly to notice a stop. */
		if (poll(&p, 1, 200) <= 0)
			continue;
		c = accept4(http.fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve(c);
		close(c);
	}
	return NULL;
}

int
cw_http_start(const struct cg_warp_config *cfg)
{
	int one = 1, rc;

	if (cfg->metrics_addrlen == 0)
		return 0;
	http.fd = socket(cfg->metrics_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (http.fd < 0)
		return -errno;
	setsockopt(http.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(http.fd, (const struct sockaddr *)&cfg->metrics_addr, cfg->metrics_addrlen) < 0 ||
	    listen(http.fd, 16) < 0) {
		rc = -errno;
		close(http.fd);
		http.fd = -1;
		return rc;
	}
	rc = pthread_create(&http.thread, NULL, http_thread, NULL);
	if (rc != 0) {
		close(http.fd);
		http.fd = -1;
		return -rc;
	}
	http.started = true;
	return 0;
}

void
cw_http_stop(void)
{
	if (http.started)
		pthread_join(http.thread, NULL);
	if (http.fd >= 0)
		close(http.fd);
	http.started = false;
	http.fd = -1;
}
