/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /metrics (Prometheus text format 0.0.4) and /healthz over HTTP, on
 * lib/http's own thread.
 *
 * Thread model. Control is single-threaded and nothing in struct control is
 * safe to read from another thread, so the HTTP thread reads none of it: the
 * main loop renders the whole metrics text and the health answer at every
 * tick (1 s) and publishes them under a mutex; the HTTP thread only copies the
 * published text out. We render on the tick rather than on demand (an eventfd
 * round trip to the loop): a scrape then never waits behind a rule change
 * that holds the loop for up to 3 s, the loop's work does not grow with the
 * number of scrapers, and 1 s of staleness is nothing next to a scrape
 * interval. A loop that stops ticking shows as a stale render: /healthz
 * answers 503 then, and /metrics still serves the last text.
 *
 * The cost of the text grows with the rules (about 20 samples per rule: a
 * second or more of the loop at 100 000 rules), and the loop also serves the
 * API. So the text is rendered again only once METRICS_RENDER_SHARE times
 * its last render time has passed: every tick for a few thousand rules, and
 * no more than about 1/METRICS_RENDER_SHARE of the loop at any scale, at the
 * price of older values (castgate_metrics_render_seconds and
 * castgate_metrics_rendered_time_seconds say how old). The health answer is
 * cheap and stays on every tick.
 *
 * Names. Counters come from lib/shm's emitters (cg_shm_stats.c), the same
 * ones as stats.get, through a sink that writes Prometheus samples: a
 * member "rx_packets" of a rule becomes castgate_rule_rx_packets_total
 * {rule="..."}. A counter added to an emitter shows up here by itself. The
 * values are the data plane's own, since it started: stats.clear moves only
 * stats.get's baselines, never a Prometheus counter.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>

#include "cg_http.h"
#include "cg_log.h"
#include "cg_shm.h"
#include "control.h"

/* A render older than this means the loop is stuck: /healthz says 503. Three
 * ticks, so that one slow tick (a rule change waits up to 3 s) is not one. */
#define METRICS_STALE_MS 5000
/* The text is rendered again after this many times its render time (>= a tick). */
#define METRICS_RENDER_SHARE 10
/* How often a listen address that was busy is tried again. */
#define METRICS_RETRY_TICKS 10
/* Metric families at most; the renderer has fewer than half of that. */
#define PROM_MAX_FAMILIES 96
/* Labels of one sample, escaped. */
#define PROM_LABELS_SIZE 512

struct control_metrics {
	struct cg_http *http;
	struct sockaddr_storage addr;
	socklen_t addrlen;		/**< 0: the endpoint is off */
	unsigned int retry;		/**< ticks until the next bind attempt */
	bool failed;			/**< the last bind failed (logged once) */

	/* Published by the loop, copied by the HTTP thread (under lock). */
	pthread_mutex_t lock;
	struct cg_http_buf text;	/**< /metrics */
	struct cg_http_buf health;	/**< /healthz */
	int health_status;
	uint64_t rendered_ms;		/**< monotonic; 0 = nothing yet */

	/* The loop's own. */
	uint64_t text_next_ms;		/**< monotonic: render the text again from then */
	uint64_t text_render_us;	/**< how long the last text render took */
};

/*
 * A Prometheus text writer: samples are kept per family and written family
 * by family, since the format wants each family's samples together while the
 * emitters go thing by thing (a rule's counters, then the next rule's).
 */

struct prom_family {
	char name[80];
	const char *type;		/**< "counter", "gauge" */
	const char *help;
	struct cg_http_buf lines;
};

struct prom {
	struct prom_family fam[PROM_MAX_FAMILIES];
	unsigned int n;
	int error;
};

/* HELP of the counters that the emitters name; others get a generic one. */
static const struct {
	const char *name, *help;
} prom_help[] = {
	{ "castgate_rx_packets_total", "Frames received on all ports (data plane)." },
	{ "castgate_rx_bytes_total", "Bytes of the frames received on all ports." },
	{ "castgate_tx_packets_total", "Datagrams sent by the rules installed now, all outputs." },
	{ "castgate_tx_bytes_total", "Bytes sent by the rules installed now, all outputs." },
	{ "castgate_service_tx_total", "ARP and IGMP frames sent by the data plane's service." },
	{ "castgate_drops_total", "Datagrams dropped, by reason." },
	{ "castgate_rule_rx_packets_total", "Datagrams received by a rule." },
	{ "castgate_rule_rx_bytes_total", "Bytes (frames) received by a rule." },
	{ "castgate_rule_rtp_lost_total", "RTP sequence numbers missing (rules with rtp)." },
	{ "castgate_rule_rtp_reordered_total", "RTP datagrams arriving behind a later one." },
	{ "castgate_rule_rtp_duplicate_total", "RTP datagrams with a repeated sequence number." },
	{ "castgate_rule_rtp_not_rtp_total", "Datagrams of an rtp rule that are not RTP." },
	{ "castgate_rule_output_tx_packets_total", "Datagrams sent by one output of a rule." },
	{ "castgate_rule_output_tx_bytes_total", "Bytes (frames) sent by one output of a rule." },
	{ "castgate_rule_output_drops_total", "Datagrams one output of a rule dropped." },
	{ "castgate_port_rx_packets_total", "Frames received by a port (ethdev ipackets)." },
	{ "castgate_port_tx_packets_total", "Frames sent by a port (ethdev opackets)." },
	{ "castgate_port_rx_bytes_total", "Bytes received by a port (ethdev ibytes)." },
	{ "castgate_port_tx_bytes_total", "Bytes sent by a port (ethdev obytes)." },
	{ "castgate_port_rx_missed_total", "Frames the port's RX ring had no room for (imissed)." },
	{ "castgate_port_rx_errors_total", "Erroneous frames received (ethdev ierrors)." },
	{ "castgate_port_tx_errors_total", "Frames the port failed to send (ethdev oerrors)." },
	{ "castgate_port_rx_nombuf_total", "RX mbuf allocation failures (ethdev rx_nombuf)." },
	{ "castgate_lcore_rx_packets_total", "Frames received by one data-plane lcore." },
	{ "castgate_lcore_rx_bytes_total", "Bytes received by one data-plane lcore." },
	{ "castgate_lcore_drops_total", "Datagrams one data-plane lcore dropped." },
};

static const char *
help_of(const char *name)
{
	for (size_t i = 0; i < RTE_DIM(prom_help); i++)
		if (strcmp(prom_help[i].name, name) == 0)
			return prom_help[i].help;
	return "castgate counter (docs/API.md).";
}

static struct prom_family *
prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
	struct prom_family *f;

	for (unsigned int i = 0; i < p->n; i++)
		if (strcmp(p->fam[i].name, name) == 0)
			return &p->fam[i];
	if (p->n == PROM_MAX_FAMILIES || strlen(name) >= sizeof(f->name)) {
		p->error = ENOSPC;
		return NULL;
	}
	f = &p->fam[p->n++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->type = type;
	f->help = help != NULL ? help : help_of(name);
	f->lines = (struct cg_http_buf){ 0 };
	return f;
}

static void
prom_sample(struct prom *p, const char *name, const char *type, const char *help,
	    const char *labels, const char *value)
{
	struct prom_family *f = prom_family(p, name, type, help);

	if (f == NULL)
		return;
	if (labels != NULL && labels[0] != '\0')
		cg_http_printf(&f->lines, "%s{%s} %s\n", name, labels, value);
	else
		cg_http_printf(&f->lines, "%s %s\n", name, value);
}

static void
prom_u64(struct prom *p, const char *name, const char *type, const char *help,
	 const char *labels, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	prom_sample(p, name, type, help, labels, s);
}

/* Write the families in the order they first appeared, and free them. */
static void
prom_finish(struct prom *p, struct cg_http_buf *out)
{
	for (unsigned int i = 0; i < p->n; i++) {
		struct prom_family *f = &p->fam[i];

		cg_http_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s", f->name, f->help, f->name,
			       f->type, f->lines.p != NULL ? f->lines.p : "");
		if (f->lines.error != 0)
			p->error = f->lines.error;
		free(f->lines.p);
	}
	p->n = 0;
	if (out->error != 0)
		p->error = out->error;
}

/* Append name="value" to a label list, with the format's escapes. */
static void
label_add(char *labels, size_t size, const char *name, const char *value)
{
	size_t n = strlen(labels);

	n += (size_t)snprintf(labels + n, n < size ? size - n : 0, "%s%s=\"", n ? "," : "",
			      name);
	for (const char *v = value; *v != '\0' && n + 3 < size; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			labels[n++] = '\\';
			labels[n++] = *v == '\n' ? 'n' : *v;
		} else {
			labels[n++] = *v;
		}
	}
	if (n + 1 < size) {
		labels[n++] = '"';
		labels[n] = '\0';
	} else {
		labels[size - 1] = '\0';
	}
}

/*
 * The sink: what one cg_shm_emit_*() call hands over becomes samples of
 * <prefix><member>_total with the scope's labels. Members in @attrs are not
 * counters but describe the thing (an output's port): they become labels
 * (the emitters name them before the counters). Members in @skip are shown
 * by another family. With @by set, every member is a value of label @by of
 * the one family @prefix (the drop reasons).
 */
struct prom_scope {
	struct prom *p;
	const char *prefix;
	const char *by;
	const char *const *attrs;
	const char *const *skip;
	char labels[PROM_LABELS_SIZE];
};

static bool
in_list(const char *const *list, const char *name)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

static void
sink_u64(void *ctx, const char *member, uint64_t v)
{
	struct prom_scope *s = ctx;
	char name[96], labels[PROM_LABELS_SIZE];

	if (in_list(s->skip, member))
		return;
	if (in_list(s->attrs, member)) {
		char num[24];

		snprintf(num, sizeof(num), "%" PRIu64, v);
		label_add(s->labels, sizeof(s->labels), member, num);
		return;
	}
	if (s->by != NULL) {
		snprintf(labels, sizeof(labels), "%s", s->labels);
		label_add(labels, sizeof(labels), s->by, member);
		prom_u64(s->p, s->prefix, "counter", NULL, labels, v);
		return;
	}
	snprintf(name, sizeof(name), "%s%s_total", s->prefix, member);
	prom_u64(s->p, name, "counter", NULL, s->labels, v);
}

static void
sink_str(void *ctx, const char *member, const char *v)
{
	struct prom_scope *s = ctx;

	if (in_list(s->attrs, member))
		label_add(s->labels, sizeof(s->labels), member, v);
}

static struct cg_shm_sink
prom_sink(struct prom_scope *s)
{
	return (struct cg_shm_sink){ .u64 = sink_u64, .str = sink_str, .ctx = s };
}

static struct prom_scope
scope(struct prom *p, const char *prefix)
{
	return (struct prom_scope){ .p = p, .prefix = prefix };
}

/*
 * The families
 */

static void
render_process(struct control *c, struct prom *p)
{
	const struct cg_shm_info *info = c->shm.info;
	char labels[PROM_LABELS_SIZE] = "", v[32];
	unsigned int nrules[3] = { 0 };
	struct control_rule_ref ref;

	label_add(labels, sizeof(labels), "version", info->version);
	label_add(labels, sizeof(labels), "dpdk", info->dpdk_version);
	prom_sample(p, "castgate_build_info", "gauge",
		    "The data plane's castgate and DPDK versions (value 1).", labels, "1");
	snprintf(v, sizeof(v), "%" PRIu64 ".%03u", info->start_unix_ms / 1000,
		 (unsigned int)(info->start_unix_ms % 1000));
	prom_sample(p, "castgate_dataplane_start_time_seconds", "gauge",
		    "When the data plane started, in seconds since the epoch.", NULL, v);
	snprintf(v, sizeof(v), "%" PRIu64 ".%03u", c->start_unix_ms / 1000,
		 (unsigned int)(c->start_unix_ms % 1000));
	prom_sample(p, "castgate_control_start_time_seconds", "gauge",
		    "When castgate-control started, in seconds since the epoch.", NULL, v);
	if (c->metrics != NULL) {
		uint64_t now = control_now_ms();

		snprintf(v, sizeof(v), "%" PRIu64 ".%03u", now / 1000, (unsigned int)(now % 1000));
		prom_sample(p, "castgate_metrics_rendered_time_seconds", "gauge",
			    "When this text was rendered, in seconds since the epoch.", NULL, v);
		snprintf(v, sizeof(v), "%.6f", (double)c->metrics->text_render_us / 1e6);
		prom_sample(p, "castgate_metrics_render_seconds", "gauge",
			    "How long the previous render of this text took; it is rendered "
			    "again after 10 times that, or after a second.", NULL, v);
	}
	prom_u64(p, "castgate_dataplane_ready", "gauge",
		 "1 while the data plane forwards and serves rule changes.", NULL,
		 info->ready ? 1 : 0);
	for (uint32_t slot = 0; slot < control_rule_slots(c); slot++)
		if (control_rule_at(c, slot, &ref) && ref.origin <= CG_SHM_ORIGIN_API)
			nrules[ref.origin]++;
	for (unsigned int o = CG_SHM_ORIGIN_CONFIG; o <= CG_SHM_ORIGIN_API; o++) {
		labels[0] = '\0';
		label_add(labels, sizeof(labels), "origin", control_origin_name(o));
		prom_u64(p, "castgate_rules", "gauge", "Rules installed, by origin.", labels,
			 nrules[o]);
	}
}

static void
render_totals(struct control *c, struct prom *p)
{
	static const char *const skip_drops[] = { "drops", NULL };
	const struct cg_shm_info *info = c->shm.info;
	uint64_t drops[CG_SHM_DROP_MAX];
	struct cg_shm_totals tot;
	struct prom_scope s;
	struct cg_shm_sink k;

	cg_shm_totals_read(c->shm.ctrs, info->nb_ctr_blocks, c->shm.rules, &tot);
	/* The totals' "drops" is the sum of castgate_drops_total{reason}. */
	s = scope(p, "castgate_");
	s.skip = skip_drops;
	k = prom_sink(&s);
	cg_shm_emit_totals(&k, &tot, NULL);
	cg_shm_drops_read(c->shm.ctrs, info->nb_ctr_blocks, drops);
	s = scope(p, "castgate_drops_total");
	s.by = "reason";
	k = prom_sink(&s);
	cg_shm_emit_drops(&k, drops, NULL);
}

static void
render_lcores(struct control *c, struct prom *p)
{
	const struct cg_shm_info *info = c->shm.info;

	for (uint32_t l = 0; l < info->nb_ctr_blocks && l < info->nb_lcores; l++) {
		struct cg_shm_lcore_totals t;
		struct prom_scope s = scope(p, "castgate_lcore_");
		struct cg_shm_sink k = prom_sink(&s);
		char id[16];

		snprintf(id, sizeof(id), "%u", info->lcores[l].lcore_id);
		label_add(s.labels, sizeof(s.labels), "lcore", id);
		label_add(s.labels, sizeof(s.labels), "role", cg_shm_lcore_role_name(info->lcores[l].role));
		cg_shm_lcore_read(cg_shm_ctr_block(c->shm.ctrs, l), &t);
		cg_shm_emit_lcore(&k, &t, NULL);
	}
}

static void
render_ports(struct control *c, struct prom *p)
{
	static const unsigned int states[] = { CG_SHM_PORT_UP, CG_SHM_PORT_DOWN,
					       CG_SHM_PORT_MISSING };
	const struct cg_shm_info *info = c->shm.info;

	for (unsigned int i = 0; i < info->nb_ports && i < CG_SHM_MAX_PORTS; i++) {
		struct prom_scope s = scope(p, "castgate_port_");
		struct cg_shm_sink k = prom_sink(&s);
		char labels[PROM_LABELS_SIZE];
		struct rte_eth_stats st;
		struct cg_shm_link l;
		uint16_t pid = info->ports[i].port_id;

		label_add(s.labels, sizeof(s.labels), "port", info->ports[i].name);
		memset(&st, 0, sizeof(st));
		if (control_port_lock(pid)) {
			rte_eth_stats_get(pid, &st);
			control_port_unlock();
		}
		cg_shm_emit_port(&k, &st, NULL);
		cg_shm_link_read(info, i, &l);
		prom_u64(p, "castgate_port_up", "gauge",
			 "1 while the port is open and its link up, as the data plane follows it.",
			 s.labels, l.state == CG_SHM_PORT_UP);
		for (size_t j = 0; j < RTE_DIM(states); j++) {
			snprintf(labels, sizeof(labels), "%s", s.labels);
			label_add(labels, sizeof(labels), "state",
				  cg_shm_port_state_name(states[j]));
			prom_u64(p, "castgate_port_state", "gauge",
				 "1 for the port's state (up, down, missing), 0 for the others.",
				 labels, l.state == states[j]);
		}
		prom_u64(p, "castgate_port_link_changes_total", "counter",
			 "Link transitions of the port since the data plane started.", s.labels,
			 l.changes);
	}
}

/* A rule's status (control_link.c's, the same as rule.list's "state"). */
static void
render_rule_state(struct prom *p, const struct cg_rule *r, const struct cg_shm_link *links,
		  const char *rl)
{
	static const char *const states[] = { "active", "degraded", "paused" };
	const char *now = control_rule_status(r, links);
	char labels[PROM_LABELS_SIZE];

	for (size_t i = 0; i < RTE_DIM(states); i++) {
		snprintf(labels, sizeof(labels), "%s", rl);
		label_add(labels, sizeof(labels), "state", states[i]);
		prom_u64(p, "castgate_rule_state", "gauge",
			 "1 for the rule's state (active, degraded, paused), 0 for the others.",
			 labels, strcmp(now, states[i]) == 0);
	}
}

static void
render_rules(struct control *c, struct prom *p)
{
	static const char *const out_attrs[] = { "port", NULL };
	static const char *const out_skip[] = { "destination", "dport", NULL };
	struct cg_shm_link links[CG_SHM_MAX_PORTS];
	struct control_rule_ref ref;

	control_links_read(c, links);
	for (uint32_t slot = 0; slot < control_rule_slots(c); slot++) {
		struct prom_scope s = scope(p, "castgate_rule_");
		struct cg_shm_sink k = prom_sink(&s);
		struct cg_shm_ctr_rule ctr;
		char labels[PROM_LABELS_SIZE], id[24];

		if (!control_rule_at(c, slot, &ref))
			continue;
		label_add(s.labels, sizeof(s.labels), "rule", ref.rule->name);
		snprintf(labels, sizeof(labels), "%s", s.labels);
		snprintf(id, sizeof(id), "%" PRIu32, ref.rule->id);
		label_add(labels, sizeof(labels), "id", id);
		label_add(labels, sizeof(labels), "origin", control_origin_name(ref.origin));
		label_add(labels, sizeof(labels), "input_port", ref.rule->in.port);
		prom_sample(p, "castgate_rule_info", "gauge",
			    "An installed rule: its id, origin and input port (value 1).", labels,
			    "1");
		cg_shm_rule_ctrs(&c->shm, slot, &ctr);
		cg_shm_emit_rule(&k, ref.rule, &ctr, NULL);
		for (unsigned int o = 0; o < ref.rule->n_outputs && o < CG_SHM_MAX_OUTPUTS; o++) {
			struct prom_scope so = scope(p, "castgate_rule_output_");
			char idx[8];

			so.attrs = out_attrs;
			so.skip = out_skip;
			snprintf(so.labels, sizeof(so.labels), "%s", s.labels);
			snprintf(idx, sizeof(idx), "%u", o);
			label_add(so.labels, sizeof(so.labels), "output", idx);
			k = prom_sink(&so);
			cg_shm_emit_output(&k, &ref.rule->out[o], &ctr.out[o], NULL);
		}
		render_rule_state(p, ref.rule, links, s.labels);
	}
}

/* The silence alarm of each watched rule (control_silence.c's state). */
static void
render_silence(struct control *c, struct prom *p)
{
	struct control_rule_ref ref;

	for (uint32_t slot = 0; slot < control_rule_slots(c); slot++) {
		char labels[PROM_LABELS_SIZE] = "";
		json_object *j, *v;

		if (!control_rule_at(c, slot, &ref) || control_silence_ms(c, ref.rule) == 0)
			continue;
		j = control_silence_json(c, slot);
		if (j == NULL)
			continue;
		label_add(labels, sizeof(labels), "rule", ref.rule->name);
		prom_u64(p, "castgate_rule_silence_alarm", "gauge",
			 "1 while the rule received nothing for its silence_ms.", labels,
			 json_object_object_get_ex(j, "alarm", &v) && json_object_get_boolean(v));
		prom_u64(p, "castgate_rule_silence_raised_total", "counter",
			 "Silence alarms raised for the rule since castgate-control started.", labels,
			 json_object_object_get_ex(j, "raised", &v) ? json_object_get_uint64(v) : 0);
		json_object_put(j);
	}
}

int
control_metrics_render(struct control *c, struct cg_http_buf *out)
{
	struct prom *p = calloc(1, sizeof(*p));
	int err;

	if (p == NULL)
		return -ENOMEM;
	render_process(c, p);
	render_totals(c, p);
	render_rules(c, p);
	render_ports(c, p);
	render_lcores(c, p);
	render_silence(c, p);
	prom_finish(p, out);
	err = p->error;
	free(p);
	return -err;
}

int
control_metrics_health(struct control *c, struct cg_http_buf *out)
{
	const struct cg_rpc_peer root = { .can_read = true };
	const struct cg_rpc_ctx ctx = { .peer = &root, .user = c };
	struct cg_rpc_error err;
	json_object *h = NULL, *st;
	int status = 503;

	/* The same checks as system.health: one definition of healthy. */
	memset(&err, 0, sizeof(err));
	for (const struct cg_rpc_method *m = control_methods; m->name != NULL; m++)
		if (strcmp(m->name, "system.health") == 0)
			h = m->fn(NULL, &ctx, &err);
	if (h == NULL) {
		cg_http_printf(out, "{\"status\":\"error\"}\n");
		return 500;
	}
	if (json_object_object_get_ex(h, "status", &st) &&
	    strcmp(json_object_get_string(st), "ok") == 0)
		status = 200;
	cg_http_printf(out, "%s\n", json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN));
	json_object_put(h);
	return status;
}

/*
 * The endpoint
 */

/* lib/http's thread: copies what the loop published, reads nothing else. */
static int
on_get(void *arg, const char *path, struct cg_http_buf *b, const char **ctype)
{
	struct control_metrics *m = arg;
	int status;

	pthread_mutex_lock(&m->lock);
	if (strcmp(path, "/metrics") == 0) {
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		status = m->text.p != NULL ? 200 : 503;
		cg_http_printf(b, "%s", m->text.p != NULL ? m->text.p : "# not rendered yet\n");
	} else if (strcmp(path, "/healthz") == 0) {
		*ctype = "application/json";
		if (m->rendered_ms == 0 || control_mono_ms() - m->rendered_ms > METRICS_STALE_MS) {
			status = 503;
			cg_http_printf(b, "{\"status\":\"stale\",\"message\":\"castgate-control "
				       "has not checked its health for more than %u ms\"}\n",
				       METRICS_STALE_MS);
		} else {
			status = m->health_status;
			cg_http_printf(b, "%s", m->health.p != NULL ? m->health.p : "{}\n");
		}
	} else {
		status = 404;
		cg_http_printf(b, "try /metrics or /healthz\n");
	}
	pthread_mutex_unlock(&m->lock);
	return status;
}

/*
 * Render the health answer, and the text when it is due, and swap them in:
 * the lock is held for two pointer swaps.
 */
static void
publish(struct control *c)
{
	struct control_metrics *m = c->metrics;
	struct cg_http_buf text = { 0 }, health = { 0 }, old_t = { 0 }, old_h;
	uint64_t t0 = control_mono_us();
	bool due = t0 / 1000 >= m->text_next_ms;
	int hs, ret = 0;

	if (due)
		ret = control_metrics_render(c, &text);
	hs = control_metrics_health(c, &health);
	if (ret < 0 || health.error != 0) {
		CG_WARN("metrics: rendering failed: %s; serving the last ones", strerror(-ret ?
			-ret : health.error));
		free(text.p);
		free(health.p);
		return;
	}
	if (due) {
		/* The render and the (cheap) health answer: what the text costs. */
		m->text_render_us = control_mono_us() - t0;
		m->text_next_ms = t0 / 1000 +
			RTE_MAX((uint64_t)METRICS_RENDER_SHARE * m->text_render_us / 1000,
				(uint64_t)CONTROL_TICK_MS - CONTROL_TICK_MS / 4);
	}
	pthread_mutex_lock(&m->lock);
	if (due) {
		old_t = m->text;
		m->text = text;
	}
	old_h = m->health;
	m->health = health;
	m->health_status = hs;
	m->rendered_ms = control_mono_ms();
	pthread_mutex_unlock(&m->lock);
	free(old_t.p);
	free(old_h.p);
}

static void
try_listen(struct control *c)
{
	struct control_metrics *m = c->metrics;
	const char *where = c->conf->ctl.metrics_listen;
	struct cg_http_opts o = {
		.addr = (const struct sockaddr *)&m->addr,
		.addrlen = m->addrlen,
		.handler = on_get,
		.arg = m,
	};
	char err[256];

	m->http = cg_http_start(&o, err, sizeof(err));
	if (m->http == NULL) {
		/* Not fatal: the API matters more than its metrics. Said once, loudly. */
		if (!m->failed)
			CG_ERR("config: control.metrics_listen: %s; running without /metrics and "
			       "/healthz, trying again every %u s", err, METRICS_RETRY_TICKS);
		m->failed = true;
		m->retry = METRICS_RETRY_TICKS;
		return;
	}
	CG_INFO("serving /metrics and /healthz on http://%s%s", where,
		m->failed ? " (the address is free again)" : "");
	m->failed = false;
}

int
control_metrics_start(struct control *c)
{
	struct control_metrics *m;
	char err[160];

	if (c->conf->ctl.metrics_listen[0] == '\0') {
		CG_INFO("control.metrics_listen = \"\": no /metrics and /healthz");
		return 0;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	/* lib/conf checked it already; this only turns it into a sockaddr. */
	if (cg_conf_listen_parse(c->conf->ctl.metrics_listen, &m->addr, &m->addrlen, err,
				 sizeof(err)) < 0) {
		CG_ERR("config: control.metrics_listen: %s", err);
		free(m);
		return -EINVAL;
	}
	pthread_mutex_init(&m->lock, NULL);
	c->metrics = m;
	publish(c);
	try_listen(c);
	return 0;
}

void
control_metrics_tick(struct control *c)
{
	struct control_metrics *m = c->metrics;

	if (m == NULL)
		return;
	publish(c);
	if (m->http == NULL && --m->retry == 0)
		try_listen(c);
}

void
control_metrics_stop(struct control *c)
{
	struct control_metrics *m = c->metrics;

	if (m == NULL)
		return;
	cg_http_stop(m->http);	/* joins the HTTP thread: nothing reads m after this */
	pthread_mutex_destroy(&m->lock);
	free(m->text.p);
	free(m->health.p);
	free(m);
	c->metrics = NULL;
}
