/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Metrics, and their endpoint on a loopback socket (lib/http): GET /healthz
 * (JSON, 503 while Docker is disconnected) and GET /metrics (Prometheus
 * text). The endpoint's thread reads atomics only, so a scrape never waits
 * for the main thread, and a slow client never holds up another.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cg_http.h"
#include "cw.h"

/* An idle connection is closed after this long (a scraper reconnects). */
#define CW_HTTP_TIMEOUT_S 2

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

static void
render_metrics(struct cg_http_buf *b)
{
	uint64_t cum = 0;

	cg_http_printf(b, "# HELP castgate_warp_events_total Docker events received.\n"
	     "# TYPE castgate_warp_events_total counter\n");
	for (int t = 0; t < CW_EV_TYPES; t++)
		for (int a = 0; a < CW_EV_ACTIONS; a++) {
			uint64_t v = atomic_load_explicit(&cw_m.events[t][a],
							  memory_order_relaxed);

			if (v != 0 || (t < 2 && a < 6))
				cg_http_printf(b, "castgate_warp_events_total{type=\"%s\",action=\"%s\"} "
				     "%llu\n", ev_types[t], ev_actions[a], (unsigned long long)v);
		}
	cg_http_printf(b, "# HELP castgate_warp_routes_applied_total Route changes applied in targets.\n"
	     "# TYPE castgate_warp_routes_applied_total counter\n");
	for (int a = 0; a < 4; a++)
		cg_http_printf(b, "castgate_warp_routes_applied_total{action=\"%s\"} %llu\n",
		     cg_warp_action_name((enum cg_warp_action)a),
		     (unsigned long long)atomic_load(&cw_m.routes[a]));
	cg_http_printf(b, "# HELP castgate_warp_errors_total Errors by kind.\n"
	     "# TYPE castgate_warp_errors_total counter\n");
	for (int k = 0; k < CW_ERR_COUNT; k++)
		cg_http_printf(b, "castgate_warp_errors_total{kind=\"%s\"} %llu\n", err_kinds[k],
		     (unsigned long long)atomic_load(&cw_m.errors[k]));
	cg_http_printf(b, "# HELP castgate_warp_refusals_total Containers refused because their network "
	     "namespace is not their own (nothing was changed), by reason.\n"
	     "# TYPE castgate_warp_refusals_total counter\n");
	for (int r = CG_WARP_SAFE + 1; r < CG_WARP_REFUSE_COUNT; r++)
		cg_http_printf(b, "castgate_warp_refusals_total{reason=\"%s\"} %llu\n",
		     cg_warp_refusal_name((enum cg_warp_refusal)r),
		     (unsigned long long)atomic_load(&cw_m.refusals[r]));
	cg_http_printf(b, "# HELP castgate_warp_event_to_route_seconds Time from a Docker event "
	     "(timeNano) to its routes applied.\n"
	     "# TYPE castgate_warp_event_to_route_seconds histogram\n");
	for (int i = 0; i < CW_HIST_BUCKETS; i++) {
		cum += atomic_load(&cw_m.hist[i]);
		cg_http_printf(b, "castgate_warp_event_to_route_seconds_bucket{le=\"%g\"} %llu\n",
		     cw_hist_bounds[i], (unsigned long long)cum);
	}
	cum += atomic_load(&cw_m.hist[CW_HIST_BUCKETS]);
	cg_http_printf(b, "castgate_warp_event_to_route_seconds_bucket{le=\"+Inf\"} %llu\n",
	     (unsigned long long)cum);
	cg_http_printf(b, "castgate_warp_event_to_route_seconds_sum %.9f\n",
	     (double)atomic_load(&cw_m.hist_sum_ns) / 1e9);
	/* _count equals the +Inf bucket by construction. */
	cg_http_printf(b, "castgate_warp_event_to_route_seconds_count %llu\n", (unsigned long long)cum);
	cg_http_printf(b, "# HELP castgate_warp_docker_connected 1 while the Docker event stream is up.\n"
	     "# TYPE castgate_warp_docker_connected gauge\n"
	     "castgate_warp_docker_connected %d\n", atomic_load(&cw_m.docker_connected));
	cg_http_printf(b, "# HELP castgate_warp_breaker_state Docker circuit breaker: 0 closed, 1 open, "
	     "2 half-open.\n# TYPE castgate_warp_breaker_state gauge\n"
	     "castgate_warp_breaker_state %d\n", atomic_load(&cw_m.breaker));
	cg_http_printf(b, "# HELP castgate_warp_reconnects_total Successful reconnections to Docker.\n"
	     "# TYPE castgate_warp_reconnects_total counter\n"
	     "castgate_warp_reconnects_total %llu\n",
	     (unsigned long long)atomic_load(&cw_m.reconnects));
	cg_http_printf(b, "# HELP castgate_warp_targets Target containers known.\n"
	     "# TYPE castgate_warp_targets gauge\ncastgate_warp_targets %u\n"
	     "# HELP castgate_warp_warps Warp containers known.\n"
	     "# TYPE castgate_warp_warps gauge\ncastgate_warp_warps %u\n"
	     "# HELP castgate_warp_refused_targets Targets whose routes are refused now.\n"
	     "# TYPE castgate_warp_refused_targets gauge\ncastgate_warp_refused_targets %u\n",
	     atomic_load(&cw_m.targets), atomic_load(&cw_m.warps),
	     atomic_load(&cw_m.refused_targets));
}

static int
render_health(struct cg_http_buf *b)
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
	cg_http_printf(b, "{\"status\":\"%s\",\"docker\":\"%s\",\"breaker\":\"%s\",\"last_event\":%s,"
	     "\"targets\":%u,\"warps\":%u}\n", connected ? "ok" : "unavailable",
	     connected ? "connected" : "disconnected",
	     cw_breaker_name(atomic_load(&cw_m.breaker)), ts, atomic_load(&cw_m.targets),
	     atomic_load(&cw_m.warps));
	return connected ? 200 : 503;
}

static int
on_get(void *arg, const char *path, struct cg_http_buf *b, const char **ctype)
{
	(void)arg;
	if (strcmp(path, "/metrics") == 0) {
		*ctype = "text/plain; version=0.0.4";
		render_metrics(b);
		return 200;
	}
	if (strcmp(path, "/healthz") == 0) {
		*ctype = "application/json";
		return render_health(b);
	}
	*ctype = "text/plain";
	cg_http_printf(b, "try /healthz or /metrics\n");
	return 404;
}

static struct cg_http *http;

int
cw_http_start(const struct cg_warp_config *cfg)
{
	struct cg_http_opts o = {
		.addr = (const struct sockaddr *)&cfg->metrics_addr,
		.addrlen = cfg->metrics_addrlen,
		.handler = on_get,
		.timeout_s = CW_HTTP_TIMEOUT_S,
	};
	char err[256];

	if (cfg->metrics_addrlen == 0)
		return 0;
	http = cg_http_start(&o, err, sizeof(err));
	if (http == NULL) {
		int e = errno;

		CG_DEBUG("metrics endpoint: %s", err);
		return -(e != 0 ? e : EIO);
	}
	return 0;
}

void
cw_http_stop(void)
{
	cg_http_stop(http);
	http = NULL;
}
