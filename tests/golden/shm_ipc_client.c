/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secondary side of the dataplane-shm-ipc test (driven by shm_ipc.py,
 * which starts the real castgate-dataplane): attaches as a DPDK secondary
 * exactly as castgate-control does and checks lib/shm end to end.
 *
 *   shm_ipc_client MODE --prefix P --pid N [options]
 *   api      cg_info, counters of the pcap traffic, add/update/remove through
 *            cg_shm_rules_request() and its errors, request latency
 *   state    what the data plane made of the state file at start
 *   badstate a state file that cannot be read: config rules only, reported
 *   timeout  (with the driver stopping/continuing the primary over stdin/stdout)
 *            -ETIMEDOUT while the primary is stopped; the request is applied
 *            once it runs again (done_seq)
 *   gone     -EPIPE once the primary has exited
 *   ports    ethdev stats, xstats and link of every port, from the secondary
 *            (what castgate-control's port.get does); no other check
 *
 * Exit 0 when every check passed, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "cg_check.h"
#include "cg_rule.h"
#include "cg_shm.h"

#define REQ_TIMEOUT_MS 2000
#define LATENCY_ROUNDS 100


struct opts {
	const char *mode, *prefix, *config, *state_file;
	long pid;
	unsigned int lcores;	/* 1: lcores = "0"; 2: lcores = "0-1" */
	unsigned int cfg_pkts, nomatch_pkts, state_pkts;
};

static struct cg_shm_view v;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t
addr(const char *s)
{
	uint32_t a = 0;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* Port names to cg port indexes, from cg_info (as castgate-control does). */
static int
port_lookup(void *arg, const char *name)
{
	const struct cg_shm_info *info = arg;

	for (uint16_t i = 0; i < info->nb_ports; i++)
		if (strcmp(info->ports[i].name, name) == 0)
			return i;
	return -ENOENT;
}

static struct cg_rule
make_rule(const char *name, uint32_t id, const char *group, uint16_t dport,
	  const char *out_dst, uint8_t ttl)
{
	struct cg_rule r;
	char err[256];

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.id = id;
	snprintf(r.in.port, sizeof(r.in.port), "rin0");
	r.in.dst = addr(group);
	r.in.dport = dport;
	r.n_outputs = 1;
	snprintf(r.out[0].port, sizeof(r.out[0].port), "rout0");
	r.out[0].dst = addr(out_dst);
	r.out[0].dport = 6000;
	r.out[0].ttl = ttl;
	if (cg_rule_resolve_ports(&r, port_lookup, v.info, err, sizeof(err)) < 0)
		CHECK(0, "resolve ports of %s: %s", name, err);
	return r;
}

static int
request(uint32_t op, uint32_t origin, const struct cg_rule *r, uint64_t *gen, char *err,
	size_t errlen)
{
	struct cg_shm_rules_req req;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.origin = origin;
	req.rule = *r;
	return cg_shm_rules_request(&v, &req, REQ_TIMEOUT_MS, gen, err, errlen);
}

/* A refused request: its errno and a message that says why. */
static void
expect_error(const char *what, uint32_t op, uint32_t origin, const struct cg_rule *r,
	     int want, const char *needle)
{
	uint64_t before = v.rules->generation, gen = 0;
	char err[256] = "";
	int ret = request(op, origin, r, &gen, err, sizeof(err));

	CHECK(ret == want, "%s: %d (%s), expected %d", what, ret, err, want);
	CHECK(strstr(err, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what, err, needle);
	CHECK(v.rules->generation == before && gen == before,
	      "%s: generation moved %" PRIu64 " -> %" PRIu64 " (reply %" PRIu64 ")", what,
	      before, v.rules->generation, gen);
	printf("  %-28s -> %s (%s)\n", what, strerror(-ret), err);
}

static uint64_t
rx_total(void)
{
	uint64_t s = 0;

	for (uint32_t l = 0; l < v.info->nb_ctr_blocks; l++)
		s += cg_shm_ctr_block(v.ctrs, l)->rx_pkts;
	return s;
}

/* The pcap PMD reads its file once, right after start: wait for all of it. */
static bool
wait_rx(uint64_t want)
{
	uint64_t deadline = now_ns() + 20ull * 1000000000ull;

	while (rx_total() < want) {
		if (now_ns() > deadline)
			return false;
		usleep(20000);
	}
	return true;
}

static void
check_slot_rule(const char *name, uint8_t origin, const struct cg_rule *want)
{
	int slot = cg_shm_rule_find(&v, name);
	const struct cg_shm_rule_slot *s;

	CHECK(slot >= 0, "rule %s not in the slots", name);
	if (slot < 0)
		return;
	s = cg_shm_rule_slot(v.rules, slot);
	CHECK(s->origin == origin, "rule %s: origin %u, expected %u", name, s->origin, origin);
	if (want != NULL) {
		CHECK(cg_rule_equal(&s->rule, want), "rule %s: slot differs from the request", name);
		CHECK(s->nb_out == want->n_outputs, "rule %s: nb_out %u", name, s->nb_out);
		CHECK(s->out[0].dst_be == want->out[0].dst, "rule %s: out[0] dst differs", name);
	}
}

static void
check_info(const struct opts *o)
{
	const struct cg_shm_info *in = v.info;
	struct timespec ts;
	uint64_t now_ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	CHECK(in->magic == CG_SHM_MAGIC && in->layout_version == CG_SHM_LAYOUT_VERSION,
	      "magic/version");
	CHECK(in->pid == o->pid, "info pid %d, expected %ld", in->pid, o->pid);
	CHECK(in->ready == 1, "not ready");
	CHECK(strcmp(in->version, CG_VERSION) == 0, "version \"%s\"", in->version);
	CHECK(strncmp(in->dpdk_version, "DPDK ", 5) == 0, "dpdk_version \"%s\"", in->dpdk_version);
	CHECK(in->start_unix_ms <= now_ms && in->start_unix_ms + 120000 > now_ms,
	      "start_unix_ms %" PRIu64 " vs now %" PRIu64, in->start_unix_ms, now_ms);
	if (o->config != NULL)
		CHECK(strcmp(in->config_path, o->config) == 0, "config_path \"%s\"",
		      in->config_path);
	if (o->state_file != NULL)
		CHECK(strcmp(in->state_file, o->state_file) == 0, "state_file \"%s\"",
		      in->state_file);
	CHECK(strcmp(in->file_prefix, o->prefix) == 0, "file_prefix \"%s\"", in->file_prefix);
	CHECK(in->nb_ports == 2, "nb_ports %u", in->nb_ports);
	CHECK(strcmp(in->ports[0].name, "rin0") == 0 && strcmp(in->ports[1].name, "rout0") == 0,
	      "port names %s %s", in->ports[0].name, in->ports[1].name);
	for (int i = 0; i < 2; i++) {
		CHECK(strcmp(in->ports[i].driver, "net_pcap") == 0, "port %d driver \"%s\"", i,
		      in->ports[i].driver);
		CHECK(in->ports[i].mtu == 1500 && in->ports[i].nb_queues == 1 &&
		      in->ports[i].prefix_len == 24, "port %d mtu %u queues %u /%u", i,
		      in->ports[i].mtu, in->ports[i].nb_queues, in->ports[i].prefix_len);
		CHECK(strncmp(in->ports[i].device, "net_pcap", 8) == 0, "port %d device \"%s\"", i,
		      in->ports[i].device);
	}
	CHECK(in->ports[0].ip == addr("198.18.40.1") && in->ports[1].ip == addr("198.18.40.129"),
	      "port IPs");
	CHECK(memcmp(in->ports[1].mac, "\x02\x00\x00\x00\x40\x02", 6) == 0, "port 1 mac");
	CHECK(in->nb_lcores == o->lcores && in->nb_ctr_blocks == o->lcores && in->nb_workers == 1,
	      "lcores %u, counter blocks %u, workers %u", in->nb_lcores, in->nb_ctr_blocks,
	      in->nb_workers);
	if (o->lcores == 1) {
		/* lcores = "0": one lcore that forwards and serves. */
		CHECK(in->lcores[0].lcore_id == 0 && in->lcores[0].role == CG_SHM_LCORE_BOTH &&
		      in->lcores[0].worker == 0, "lcore 0: id %u role %u worker %u",
		      in->lcores[0].lcore_id, in->lcores[0].role, in->lcores[0].worker);
	} else {
		/* lcores = "0-1": the main lcore serves, lcore 1 is worker 0. */
		CHECK(in->lcores[0].lcore_id == 0 && in->lcores[0].role == CG_SHM_LCORE_SERVICE,
		      "lcore 0: id %u role %u", in->lcores[0].lcore_id, in->lcores[0].role);
		CHECK(in->lcores[1].lcore_id == 1 && in->lcores[1].role == CG_SHM_LCORE_WORKER &&
		      in->lcores[1].worker == 0, "lcore 1: id %u role %u worker %u",
		      in->lcores[1].lcore_id, in->lcores[1].role, in->lcores[1].worker);
	}
	printf("  cg_info: pid %d, %s, %s, %u ports, %u lcore(s), %u counter block(s)\n",
	       in->pid, in->version, in->dpdk_version, in->nb_ports, in->nb_lcores,
	       in->nb_ctr_blocks);
}

/*
 * The primary's ports seen from here: EAL attached them at rte_eal_init()
 * (vdev bus, same driver), so the ethdev calls of castgate-control work.
 * Returns the stats of port @p i in @p st (zeroed on failure).
 */
static void
port_stats(uint16_t i, struct rte_eth_stats *st, bool print)
{
	const struct cg_shm_port_info *p = &v.info->ports[i];
	struct rte_eth_link link;
	int nx, ret;

	memset(st, 0, sizeof(*st));
	CHECK(rte_eth_dev_is_valid_port(p->port_id), "port %s: DPDK port %u is not valid in "
	      "the secondary", p->name, p->port_id);
	ret = rte_eth_stats_get(p->port_id, st);
	CHECK(ret == 0, "port %s: rte_eth_stats_get: %s", p->name, strerror(-ret));
	nx = rte_eth_xstats_get_names(p->port_id, NULL, 0);
	CHECK(nx > 0, "port %s: rte_eth_xstats_get_names: %d", p->name, nx);
	if (nx > 0) {
		struct rte_eth_xstat *xs = calloc((size_t)nx, sizeof(*xs));
		int got = xs != NULL ? rte_eth_xstats_get(p->port_id, xs, (unsigned int)nx) : -1;

		CHECK(got == nx, "port %s: rte_eth_xstats_get: %d of %d", p->name, got, nx);
		free(xs);
	}
	memset(&link, 0, sizeof(link));
	ret = rte_eth_link_get_nowait(p->port_id, &link);
	CHECK(ret == 0, "port %s: rte_eth_link_get_nowait: %s", p->name, strerror(-ret));
	if (print)
		printf("  port %s (dpdk %u, %s): ipackets %" PRIu64 " opackets %" PRIu64
		       " ierrors %" PRIu64 ", %d xstats, link %s %u Mb/s\n", p->name, p->port_id,
		       p->driver, st->ipackets, st->opackets, st->ierrors, nx,
		       link.link_status ? "up" : "down", link.link_speed);
}

static void
mode_ports(void)
{
	struct rte_eth_stats st;

	printf("  ethdev ports in the secondary: %u available\n", rte_eth_dev_count_avail());
	for (uint16_t i = 0; i < v.info->nb_ports; i++)
		port_stats(i, &st, true);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Round trips of an idle data plane: request sent -> applied -> answered. */
static void
latency(void)
{
	static uint64_t t[2 * LATENCY_ROUNDS];
	struct cg_rule r = make_rule("lat", 0, "239.40.50.1", 5050, "239.40.150.1", 4);
	char err[256];
	unsigned int n = 0;

	for (int i = 0; i < LATENCY_ROUNDS; i++) {
		for (uint32_t op = CG_SHM_RULES_ADD; op <= CG_SHM_RULES_REMOVE;
		     op += CG_SHM_RULES_REMOVE - CG_SHM_RULES_ADD) {
			uint64_t t0 = now_ns();
			int ret = request(op, CG_SHM_ORIGIN_API, &r, NULL, err, sizeof(err));

			t[n++] = now_ns() - t0;
			CHECK(ret == 0, "latency round %d op %u: %d %s", i, op, ret, err);
		}
	}
	qsort(t, n, sizeof(t[0]), cmp_u64);
	printf("  request latency over %u requests (idle): min %.0f us, median %.0f us, "
	       "p99 %.0f us, max %.0f us\n", n, t[0] / 1e3, t[n / 2] / 1e3,
	       t[n * 99 / 100] / 1e3, t[n - 1] / 1e3);
	/* A change is in effect before its reply leaves, so the round trip
	 * bounds the delay; the main lcore takes a request within one loop turn
	 * (<= 0.5 ms asleep). The tail is the scheduler of a loaded 2-core host,
	 * so only the median is a pass/fail bound. */
	CHECK(t[n / 2] < 5000000ull, "median request latency %.1f ms >= 5 ms", t[n / 2] / 1e6);
}

/* A hand-made rte_mp request: what the primary says to a bad message. */
static void
raw_request(const char *what, const void *param, int len, int want, const char *needle)
{
	struct timespec ts = { .tv_sec = 2 };
	struct rte_mp_reply reply;
	struct cg_shm_mp_rep rep;
	struct rte_mp_msg msg;

	memset(&msg, 0, sizeof(msg));
	memset(&reply, 0, sizeof(reply));
	memset(&rep, 0, sizeof(rep));
	snprintf(msg.name, sizeof(msg.name), "%s", CG_SHM_MP_RULES);
	memcpy(msg.param, param, (size_t)len);
	msg.len_param = len;
	if (rte_mp_request_sync(&msg, &reply, &ts) < 0 || reply.nb_received != 1) {
		CHECK(0, "%s: no reply (%s)", what, rte_strerror(rte_errno));
		free(reply.msgs);
		return;
	}
	CHECK(reply.msgs[0].len_param == (int)sizeof(rep), "%s: reply length %d", what,
	      reply.msgs[0].len_param);
	memcpy(&rep, reply.msgs[0].param, sizeof(rep));
	free(reply.msgs);
	rep.err[sizeof(rep.err) - 1] = '\0';
	CHECK(rep.result == want && strstr(rep.err, needle) != NULL, "%s: %d \"%s\", expected %d "
	      "\"%s\"", what, rep.result, rep.err, want, needle);
	printf("  %-28s -> %s (%s)\n", what, strerror(-rep.result), rep.err);
}

static void
mode_api(const struct opts *o)
{
	struct cg_rule cfg = make_rule("cfg1", 1, "239.40.1.1", 5000, "239.40.101.1", 16);
	struct cg_rule api = make_rule("api1", 0, "239.40.3.3", 5003, "239.40.103.3", 9);
	struct cg_rule upd, bad;
	struct cg_shm_ctr_rule sum;
	uint64_t gen0, gen = 0;
	uint32_t nb0;
	char err[256];
	int ret, slot;

	check_info(o);

	/* Counters of the pcap traffic: the config rule and the no-rule drops. */
	CHECK(wait_rx(o->cfg_pkts + o->nomatch_pkts), "rx_pkts stuck at %" PRIu64 " of %u",
	      rx_total(), o->cfg_pkts + o->nomatch_pkts);
	check_slot_rule("cfg1", CG_SHM_ORIGIN_CONFIG, NULL);
	slot = cg_shm_rule_find(&v, "cfg1");
	if (slot >= 0) {
		cg_shm_rule_ctrs(&v, (uint32_t)slot, &sum);
		CHECK(sum.rx_pkts == o->cfg_pkts && sum.out[0].pkts == o->cfg_pkts &&
		      sum.out[0].drops == 0, "cfg1: rx %" PRIu64 " tx %" PRIu64 " drops %" PRIu64
		      ", expected %u", sum.rx_pkts, sum.out[0].pkts, sum.out[0].drops, o->cfg_pkts);
		CHECK(sum.rx_bytes == (uint64_t)o->cfg_pkts * 142, "cfg1: rx_bytes %" PRIu64,
		      sum.rx_bytes);
		printf("  cfg1 counters: rx %" PRIu64 " pkts / %" PRIu64 " bytes, out[0] %" PRIu64
		       " pkts\n", sum.rx_pkts, sum.rx_bytes, sum.out[0].pkts);
	}
	CHECK(cg_shm_drop_sum(&v, CG_SHM_DROP_NO_RULE) == o->nomatch_pkts,
	      "no_rule drops %" PRIu64 ", expected %u", cg_shm_drop_sum(&v, CG_SHM_DROP_NO_RULE),
	      o->nomatch_pkts);
	CHECK(cg_shm_drop_sum(&v, CG_PKT_DROP_TRUNCATED) == 0, "truncated drops");
	{
		struct rte_eth_stats in, out;

		port_stats(0, &in, true);
		port_stats(1, &out, true);
		CHECK(in.ipackets == o->cfg_pkts + o->nomatch_pkts, "rin0 ipackets %" PRIu64,
		      in.ipackets);
		/* Plus the data plane's own frames: gratuitous ARP (and IGMP on rin0). */
		CHECK(out.opackets >= o->cfg_pkts && out.opackets <= o->cfg_pkts + 2,
		      "rout0 opackets %" PRIu64, out.opackets);
	}
	CHECK(strcmp(cg_shm_drop_name(CG_SHM_DROP_NO_RULE), "no_rule") == 0 &&
	      strcmp(cg_shm_drop_name(CG_PKT_DROP_TRUNCATED), "truncated") == 0 &&
	      strcmp(cg_shm_drop_name(CG_SHM_DROP_LINK_LOCAL_MCAST), "link_local_mcast") == 0 &&
	      strcmp(cg_shm_drop_name(CG_SHM_DROP_MAX), "unknown") == 0, "drop names");
	CHECK(cg_shm_rule_find(&v, "nosuch") == -ENOENT, "find of an unknown rule");

	/* Add. */
	gen0 = v.rules->generation;
	nb0 = v.rules->nb_rules;
	ret = request(CG_SHM_RULES_ADD, CG_SHM_ORIGIN_API, &api, &gen, err, sizeof(err));
	CHECK(ret == 0, "add api1: %d %s", ret, err);
	CHECK(gen == gen0 + 1 && v.rules->generation == gen, "add: generation %" PRIu64
	      " -> reply %" PRIu64 " / shm %" PRIu64, gen0, gen, v.rules->generation);
	CHECK(v.rules->nb_rules == nb0 + 1, "add: nb_rules %u", v.rules->nb_rules);
	CHECK(v.request->done_seq == v.request->seq && v.request->done_result == 0, "done_seq %" PRIu64
	      " seq %" PRIu64, v.request->done_seq, v.request->seq);
	check_slot_rule("api1", CG_SHM_ORIGIN_API, &api);
	printf("  add api1                     -> ok, generation %" PRIu64 "\n", gen);

	/* Refused requests. */
	expect_error("add api1 again", CG_SHM_RULES_ADD, CG_SHM_ORIGIN_API, &api, -EEXIST,
		     "name is already used");
	bad = make_rule("dupmatch", 0, "239.40.1.1", 5000, "239.40.104.1", 9);
	expect_error("add same match as cfg1", CG_SHM_RULES_ADD, CG_SHM_ORIGIN_API, &bad, -EEXIST,
		     "\"cfg1\" (config) has the same match");
	bad = make_rule("dupid", 1, "239.40.4.4", 5004, "239.40.104.4", 9);
	expect_error("add with cfg1's id", CG_SHM_RULES_ADD, CG_SHM_ORIGIN_API, &bad, -EEXIST,
		     "id 1 is already used by rule \"cfg1\"");
	bad = make_rule("badttl", 0, "239.40.5.5", 5005, "239.40.105.5", 9);
	bad.out[0].ttl = 0;
	expect_error("add with ttl 0", CG_SHM_RULES_ADD, CG_SHM_ORIGIN_API, &bad, -EINVAL,
		     "output[0].ttl");
	bad = make_rule("badport", 0, "239.40.6.6", 5006, "239.40.106.6", 9);
	bad.out[0].port_id = 9;
	expect_error("add with output port 9", CG_SHM_RULES_ADD, CG_SHM_ORIGIN_API, &bad, -EINVAL,
		     "output[0].port");
	bad = make_rule("badorigin", 0, "239.40.7.7", 5007, "239.40.107.7", 9);
	expect_error("add with origin 7", CG_SHM_RULES_ADD, 7, &bad, -EINVAL, "origin 7");
	expect_error("op 9", 9, CG_SHM_ORIGIN_API, &bad, -EINVAL, "unknown op 9");
	bad = make_rule("nosuch", 0, "239.40.8.8", 5008, "239.40.108.8", 9);
	expect_error("update an unknown rule", CG_SHM_RULES_UPDATE, CG_SHM_ORIGIN_API, &bad,
		     -ENOENT, "no such rule");
	bad = make_rule("bad name!", 0, "239.40.8.9", 5008, "239.40.108.9", 9);
	expect_error("add with a bad name", CG_SHM_RULES_ADD, CG_SHM_ORIGIN_API, &bad, -EINVAL,
		     "name");
	CHECK(v.request->done_result == -EINVAL, "done_result %d", v.request->done_result);
	{
		/* A batch: applied in order up to the refused change, which names its rule. */
		struct cg_shm_rules_req b[3];
		unsigned int done = 99;
		uint32_t nb = v.rules->nb_rules;

		memset(b, 0, sizeof(b));
		for (int i = 0; i < 3; i++) {
			b[i].op = CG_SHM_RULES_ADD;
			b[i].origin = CG_SHM_ORIGIN_API;
		}
		b[0].rule = make_rule("batch1", 0, "239.40.9.1", 5009, "239.40.109.1", 9);
		b[1].rule = make_rule("batch2", 0, "239.40.9.2", 5009, "239.40.109.2", 9);
		b[2].rule = make_rule("batch3", 0, "239.40.9.1", 5009, "239.40.109.3", 9);
		ret = cg_shm_rules_request_batch(&v, b, 3, REQ_TIMEOUT_MS, NULL, &done, err,
						 sizeof(err));
		CHECK(ret == -EEXIST && done == 2 && strstr(err, "batch3") != NULL &&
		      v.rules->nb_rules == nb + 2, "batch of 3, the 3rd a clash: %d, done %u, %s",
		      ret, done, err);
		CHECK(v.request->done_count == 2, "done_count %u", v.request->done_count);
		b[0].op = b[1].op = CG_SHM_RULES_REMOVE;
		ret = cg_shm_rules_request_batch(&v, b, 2, REQ_TIMEOUT_MS, NULL, &done, err,
						 sizeof(err));
		CHECK(ret == 0 && done == 2 && v.rules->nb_rules == nb, "batch remove: %d, done %u, "
		      "%s", ret, done, err);
		ret = cg_shm_rules_request_batch(&v, b, CG_SHM_REQ_BATCH + 1, REQ_TIMEOUT_MS, NULL,
						 &done, err, sizeof(err));
		CHECK(ret == -EINVAL && done == 0, "batch of %u: %d", CG_SHM_REQ_BATCH + 1, ret);
		printf("  batch: 2 of 3 applied, then the clash; batch remove -> ok\n");
	}
	{
		/* A seq the request slot does not hold (as after another writer). */
		struct cg_shm_mp_req stale = { .seq = v.request->seq + 1000 };
		uint32_t short_msg = 1;

		raw_request("request for a seq not in cg_request", &stale, sizeof(stale), -EBUSY,
			    "overwritten");
		CHECK(v.request->done_seq == stale.seq && v.request->done_result == -EBUSY,
		      "done_seq/result after the stale request");
		raw_request("request of the wrong length", &short_msg, sizeof(short_msg), -EPROTO,
			    "length");
	}

	/* Update: new output and TTL; same name and match. */
	upd = api;
	upd.out[0].dst = addr("239.40.113.3");
	upd.out[0].ttl = 3;
	gen0 = v.rules->generation;
	ret = request(CG_SHM_RULES_UPDATE, CG_SHM_ORIGIN_API, &upd, &gen, err, sizeof(err));
	CHECK(ret == 0, "update api1: %d %s", ret, err);
	CHECK(gen == gen0 + 1 && v.rules->generation == gen, "update: generation");
	CHECK(v.rules->nb_rules == nb0 + 1, "update: nb_rules %u", v.rules->nb_rules);
	check_slot_rule("api1", CG_SHM_ORIGIN_API, &upd);
	printf("  update api1                  -> ok, generation %" PRIu64 "\n", gen);

	/* Remove. */
	ret = request(CG_SHM_RULES_REMOVE, 0, &upd, &gen, err, sizeof(err));
	CHECK(ret == 0, "remove api1: %d %s", ret, err);
	CHECK(gen == gen0 + 2, "remove: generation %" PRIu64, gen);
	CHECK(cg_shm_rule_find(&v, "api1") == -ENOENT, "api1 still in the slots");
	CHECK(v.rules->nb_rules == nb0, "remove: nb_rules %u", v.rules->nb_rules);
	printf("  remove api1                  -> ok, generation %" PRIu64 "\n", gen);
	expect_error("remove api1 again", CG_SHM_RULES_REMOVE, 0, &upd, -ENOENT, "no such rule");
	check_slot_rule("cfg1", CG_SHM_ORIGIN_CONFIG, &cfg);

	latency();
	CHECK(v.rules->nb_rules == nb0, "after latency rounds: nb_rules %u", v.rules->nb_rules);
}

static void
mode_state(const struct opts *o)
{
	struct cg_rule good = make_rule("state-good", 7, "239.40.2.2", 5002, "239.40.102.2", 12);
	struct cg_shm_ctr_rule sum;
	int slot;

	check_info(o);
	printf("  state: loaded %u, skipped %u, load error %d, \"%s\"\n", v.info->state_loaded,
	       v.info->state_skipped, v.info->state_load_error, v.info->state_error);
	CHECK(v.info->state_loaded == 1 && v.info->state_skipped == 1 &&
	      v.info->state_load_error == 0, "state: loaded %u skipped %u error %d",
	      v.info->state_loaded, v.info->state_skipped, v.info->state_load_error);
	/* The bad rule names a port the config does not have. */
	CHECK(strstr(v.info->state_error, "rules[1]") != NULL &&
	      strstr(v.info->state_error, "state-bad") != NULL &&
	      strstr(v.info->state_error, "rin9") != NULL,
	      "state_error \"%s\" does not name rules[1], the rule and its port",
	      v.info->state_error);
	CHECK(cg_shm_rule_find(&v, "state-bad") == -ENOENT, "the bad state rule is installed");
	check_slot_rule("cfg1", CG_SHM_ORIGIN_CONFIG, NULL);
	check_slot_rule("state-good", CG_SHM_ORIGIN_API, &good);
	CHECK(v.rules->nb_rules == 2, "nb_rules %u", v.rules->nb_rules);

	/* Forwarded from the first packet on: installed before the lcores run. */
	CHECK(wait_rx(o->cfg_pkts + o->nomatch_pkts + o->state_pkts), "rx_pkts stuck at %" PRIu64,
	      rx_total());
	slot = cg_shm_rule_find(&v, "state-good");
	if (slot >= 0) {
		cg_shm_rule_ctrs(&v, (uint32_t)slot, &sum);
		CHECK(sum.rx_pkts == o->state_pkts && sum.out[0].pkts == o->state_pkts,
		      "state-good: rx %" PRIu64 " tx %" PRIu64 ", expected %u", sum.rx_pkts,
		      sum.out[0].pkts, o->state_pkts);
	}
	CHECK(cg_shm_drop_sum(&v, CG_SHM_DROP_NO_RULE) == o->nomatch_pkts,
	      "no_rule drops %" PRIu64 ", expected %u", cg_shm_drop_sum(&v, CG_SHM_DROP_NO_RULE),
	      o->nomatch_pkts);
}

static void
mode_badstate(const struct opts *o)
{
	check_info(o);
	printf("  state: loaded %u, skipped %u, load error %d, \"%s\"\n", v.info->state_loaded,
	       v.info->state_skipped, v.info->state_load_error, v.info->state_error);
	CHECK(v.info->state_load_error == -EINVAL && v.info->state_loaded == 0 &&
	      v.info->state_skipped == 0, "bad state file: loaded %u skipped %u error %d",
	      v.info->state_loaded, v.info->state_skipped, v.info->state_load_error);
	CHECK(o->state_file != NULL && strstr(v.info->state_error, o->state_file) != NULL,
	      "state_error \"%s\" does not name the file", v.info->state_error);
	CHECK(v.rules->nb_rules == 1 && cg_shm_rule_find(&v, "cfg1") >= 0,
	      "config rules not installed: %u rule(s)", v.rules->nb_rules);
}

/* One line from the driver on stdin. */
static void
wait_go(void)
{
	char line[64];

	if (fgets(line, sizeof(line), stdin) == NULL)
		CHECK(0, "driver went away");
}

static void
mode_timeout(void)
{
	struct cg_rule r = make_rule("late", 0, "239.40.9.1", 5091, "239.40.109.1", 5);
	uint64_t deadline, seq, t0;
	char err[256];
	int ret;

	printf("attached\n");
	fflush(stdout);
	wait_go();	/* the driver has stopped the primary (SIGSTOP) */
	t0 = now_ns();
	{
		struct cg_shm_rules_req req = { .op = CG_SHM_RULES_ADD, .origin = CG_SHM_ORIGIN_API,
						.rule = r };

		ret = cg_shm_rules_request(&v, &req, 300, NULL, err, sizeof(err));
	}
	CHECK(ret == -ETIMEDOUT, "request to a stopped primary: %d (%s)", ret, err);
	CHECK(now_ns() - t0 >= 290000000ull && now_ns() - t0 < 3000000000ull,
	      "timed out after %.0f ms", (now_ns() - t0) / 1e6);
	printf("  stopped primary -> %s (%s)\n", strerror(-ret), err);
	seq = v.request->seq;
	printf("timedout\n");
	fflush(stdout);
	wait_go();	/* the primary runs again: the late request is applied */
	deadline = now_ns() + 5000000000ull;
	while (v.request->done_seq != seq && now_ns() < deadline)
		usleep(1000);
	CHECK(v.request->done_seq == seq && v.request->done_result == 0, "late request: done_seq %"
	      PRIu64 " (want %" PRIu64 "), result %d", v.request->done_seq, seq, v.request->done_result);
	check_slot_rule("late", CG_SHM_ORIGIN_API, &r);
	/* At once: the late reply may still be on its way and reach this
	 * request first; cg_shm_rules_request() must still get its own result. */
	ret = request(CG_SHM_RULES_REMOVE, 0, &r, NULL, err, sizeof(err));
	CHECK(ret == 0, "remove late: %d %s", ret, err);
}

static void
mode_gone(const struct opts *o)
{
	struct cg_rule r = make_rule("orphan", 0, "239.40.9.2", 5092, "239.40.109.2", 5);
	uint64_t deadline;
	char err[256];
	int ret;

	printf("attached\n");
	fflush(stdout);
	/* The driver stops the primary; we only see its pid go. */
	deadline = now_ns() + 30000000000ull;
	while (kill((pid_t)o->pid, 0) == 0 && now_ns() < deadline)
		usleep(20000);
	CHECK(kill((pid_t)o->pid, 0) < 0, "primary %ld still running", o->pid);
	CHECK(v.info->ready == 0, "cg_info.ready still 1 after the primary stopped");
	ret = request(CG_SHM_RULES_ADD, CG_SHM_ORIGIN_API, &r, NULL, err, sizeof(err));
	CHECK(ret == -EPIPE, "request without a primary: %d (%s)", ret, err);
	printf("  no primary -> %s (%s)\n", strerror(-ret), err);
}

static void
usage(void)
{
	fprintf(stderr, "usage: shm_ipc_client api|state|badstate|timeout|gone|ports --prefix P --pid N "
		"[--config PATH] [--state-file PATH] [--pkts CFG,NOMATCH,STATE] [--lcores 1|2]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "pid", required_argument, NULL, 'P' },
		{ "config", required_argument, NULL, 'c' },
		{ "state-file", required_argument, NULL, 's' },
		{ "pkts", required_argument, NULL, 'k' },
		{ "lcores", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .lcores = 1 };
	char pfx[128], err[512];
	char *eal[] = { "shm_ipc_client", "--proc-type=secondary", pfx, "--no-pci",
			"--no-telemetry", "--log-level=error", "-l", "0", NULL };
	cpu_set_t cpus;
	int c, ret;

	if (argc < 2)
		usage();
	o.mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o.prefix = optarg; break;
		case 'P': o.pid = strtol(optarg, NULL, 10); break;
		case 'c': o.config = optarg; break;
		case 's': o.state_file = optarg; break;
		case 'l': o.lcores = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'k':
			if (sscanf(optarg, "%u,%u,%u", &o.cfg_pkts, &o.nomatch_pkts,
				   &o.state_pkts) != 3)
				usage();
			break;
		default: usage();
		}
	}
	if (o.prefix == NULL || o.pid <= 0)
		usage();
	snprintf(pfx, sizeof(pfx), "--file-prefix=%s", o.prefix);

	/* As castgate-control: do not stay pinned on the primary's lcore. */
	sched_getaffinity(0, sizeof(cpus), &cpus);
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "FAIL: rte_eal_init (secondary, prefix %s): %s\n", o.prefix,
			rte_strerror(rte_errno));
		return 1;
	}
	sched_setaffinity(0, sizeof(cpus), &cpus);
	ret = cg_shm_attach(&v, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "FAIL: cg_shm_attach: %s (%d)\n", err, ret);
		rte_eal_cleanup();
		return 1;
	}
	printf("%s: attached to castgate-dataplane pid %d\n", o.mode, v.info->pid);

	if (strcmp(o.mode, "api") == 0)
		mode_api(&o);
	else if (strcmp(o.mode, "state") == 0)
		mode_state(&o);
	else if (strcmp(o.mode, "badstate") == 0)
		mode_badstate(&o);
	else if (strcmp(o.mode, "timeout") == 0)
		mode_timeout();
	else if (strcmp(o.mode, "gone") == 0)
		mode_gone(&o);
	else if (strcmp(o.mode, "ports") == 0)
		mode_ports();
	else
		usage();

	rte_eal_cleanup();
	if (cg_check_failures) {
		printf("FAIL: %s: %d check(s)\n", o.mode, cg_check_failures);
		return 1;
	}
	printf("PASS: %s\n", o.mode);
	return 0;
}
