/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's rule table under change: cg_dp_rules_apply() add, update
 * (same key and new key), remove and their errors, while a reader on another
 * lcore looks rules up and reads their slots the way a worker does. RCU must
 * keep every slot a reader holds intact until its next quiescent state: the
 * reader checks that what it reads is always one of the published versions,
 * never a freed (zeroed) or half-written slot.
 *
 * Runs the EAL with --no-huge --no-pci and its own file prefix; needs two
 * lcores (skips otherwise) and root for the DPDK runtime dir (skips).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "cg_check.h"
#include "cg_log.h"
#include "cg_rule.h"
#include "dp.h"
#include "dp_arp.h"
#include "dp_rules.h"
#include "dp_service.h"
#include "dp_stats.h"

#define SKIP 77
#define ITERATIONS 3000
/* Reads of one looked-up slot before the quiescent report (a burst's worth). */
#define READS_PER_HIT 256

struct cg_dp dp_g;


static uint32_t
addr(const char *s)
{
	uint32_t a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static struct cg_rule
make_rule(const char *name, uint32_t id, const char *group, uint16_t dport,
	  const char *out_dst, uint8_t ttl)
{
	struct cg_rule r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.id = id;
	snprintf(r.in.port, sizeof(r.in.port), "p0");
	r.in.port_id = 0;
	r.in.dst = addr(group);
	r.in.dport = dport;
	r.n_outputs = 1;
	snprintf(r.out[0].port, sizeof(r.out[0].port), "p1");
	r.out[0].port_id = 1;
	r.out[0].dst = addr(out_dst);
	r.out[0].dport = 6000;
	r.out[0].ttl = ttl;
	return r;
}

static int
apply(uint32_t op, const struct cg_rule *r, char *err, size_t errlen)
{
	struct cg_shm_rules_req req = { .op = op, .origin = CG_SHM_ORIGIN_API, .rule = *r };

	return cg_dp_rules_apply(&req, RTE_QSBR_THRID_INVALID, err, errlen);
}

/* Reader state, shared with the main lcore. */
static volatile int reader_stop;
static uint64_t reader_lookups, reader_hits, reader_bad;
static uint32_t ver_a, ver_b;	/* the two output destinations ever published */

static int
reader(void *arg __rte_unused)
{
	struct cg_dp_key key = {
		.k = cg_rule_key_make(0, addr("239.20.7.1"), htons(5000), 0),
	};

	rte_rcu_qsbr_thread_online(cg_dp_rules_qsbr, 0);
	while (!reader_stop) {
		void *data;

		reader_lookups++;
		if (rte_hash_lookup_data(cg_dp_rule_hash, &key, &data) >= 0) {
			const struct cg_shm_rule_slot *s =
				cg_shm_rule_slot(cg_dp_rules, (uint32_t)(uintptr_t)data);

			reader_hits++;
			/* Hold the slot for a while, as a worker does across a burst. */
			for (int i = 0; i < READS_PER_HIT; i++) {
				uint32_t d = __atomic_load_n(&s->out[0].dst_be, __ATOMIC_RELAXED);

				if ((d != ver_a && d != ver_b) || s->nb_out != 1)
					reader_bad++;
				rte_pause();
			}
		}
		rte_rcu_qsbr_quiescent(cg_dp_rules_qsbr, 0);
	}
	rte_rcu_qsbr_thread_offline(cg_dp_rules_qsbr, 0);
	return 0;
}

static void
test_errors(void)
{
	char err[512];
	struct cg_rule r = make_rule("e1", 101, "239.20.8.1", 5001, "239.20.9.1", 5);
	struct cg_rule dup_match = make_rule("e2", 102, "239.20.8.1", 5001, "239.20.9.2", 5);
	struct cg_rule dup_id = make_rule("e3", 101, "239.20.8.3", 5001, "239.20.9.3", 5);
	struct cg_rule bad_port = make_rule("e4", 104, "239.20.8.4", 5001, "239.20.9.4", 5);
	struct cg_rule no_gw = make_rule("e5", 105, "239.20.8.5", 5001, "198.18.21.9", 5);
	struct cg_rule via_gw = make_rule("e6", 106, "239.20.8.6", 5001, "198.18.21.9", 5);
	struct cg_rule moved = r;
	struct cg_dp_key k = { .pad = 0 };
	int ret;

	ret = apply(CG_SHM_RULES_ADD, &r, err, sizeof(err));
	CHECK(ret == 0, "add e1: %d %s", ret, err);
	/* The origin of the request is kept in the slot, for secondaries. */
	for (uint32_t i = 0; i < cg_dp_rules->nb_slots; i++) {
		const struct cg_shm_rule_slot *s = cg_shm_rule_slot(cg_dp_rules, i);

		if (s->in_use && strcmp(s->rule.name, "e1") == 0)
			CHECK(s->origin == CG_SHM_ORIGIN_API, "e1: origin %u", s->origin);
	}
	{
		struct cg_shm_rules_req req = { .op = CG_SHM_RULES_ADD, .origin = 0, .rule = dup_id };

		snprintf(req.rule.name, sizeof(req.rule.name), "e0");
		req.rule.id = 100;
		ret = cg_dp_rules_apply(&req, RTE_QSBR_THRID_INVALID, err, sizeof(err));
		CHECK(ret == -EINVAL && strstr(err, "origin 0"), "origin 0: %d %s", ret, err);
	}
	ret = apply(CG_SHM_RULES_ADD, &r, err, sizeof(err));
	CHECK(ret == -EEXIST, "add e1 twice: %d", ret);
	ret = apply(CG_SHM_RULES_ADD, &dup_match, err, sizeof(err));
	CHECK(ret == -EEXIST && strstr(err, "same match"), "same match: %d %s", ret, err);
	ret = apply(CG_SHM_RULES_ADD, &dup_id, err, sizeof(err));
	CHECK(ret == -EEXIST && strstr(err, "id 101"), "same id: %d %s", ret, err);
	bad_port.out[0].port_id = 7;
	ret = apply(CG_SHM_RULES_ADD, &bad_port, err, sizeof(err));
	CHECK(ret < 0 && strstr(err, "output[0].port"), "bad output port: %d %s", ret, err);
	/* Port 0 has no gateway and 198.18.21.9 is off its prefix. */
	no_gw.out[0].port_id = 0;
	snprintf(no_gw.out[0].port, sizeof(no_gw.out[0].port), "p0");
	ret = apply(CG_SHM_RULES_ADD, &no_gw, err, sizeof(err));
	CHECK(ret == -EINVAL && strstr(err, "gateway"), "no gateway: %d %s", ret, err);
	/* Port 1 has a gateway: the output resolves through it. */
	ret = apply(CG_SHM_RULES_ADD, &via_gw, err, sizeof(err));
	CHECK(ret == 0, "via gateway: %d %s", ret, err);
	ret = apply(CG_SHM_RULES_REMOVE, &via_gw, err, sizeof(err));
	CHECK(ret == 0, "remove e6: %d %s", ret, err);
	ret = apply(CG_SHM_RULES_REMOVE, &via_gw, err, sizeof(err));
	CHECK(ret == -ENOENT, "remove e6 twice: %d", ret);
	ret = apply(CG_SHM_RULES_UPDATE, &dup_id, err, sizeof(err));
	CHECK(ret == -ENOENT, "update unknown: %d", ret);
	ret = apply(42, &r, err, sizeof(err));
	CHECK(ret == -EINVAL, "unknown op: %d", ret);

	/* Update that moves the match: the old key goes, the new key comes. */
	moved.in.dport = 5999;
	ret = apply(CG_SHM_RULES_UPDATE, &moved, err, sizeof(err));
	CHECK(ret == 0, "update e1 to a new key: %d %s", ret, err);
	k.k = cg_rule_key_from_rule(&r);
	CHECK(rte_hash_lookup(cg_dp_rule_hash, &k) < 0, "old key still present");
	k.k = cg_rule_key_from_rule(&moved);
	CHECK(rte_hash_lookup(cg_dp_rule_hash, &k) >= 0, "new key missing");
	ret = apply(CG_SHM_RULES_REMOVE, &moved, err, sizeof(err));
	CHECK(ret == 0, "remove e1: %d %s", ret, err);
	CHECK(rte_hash_lookup(cg_dp_rule_hash, &k) < 0, "removed key still present");
	CHECK(cg_dp_rules->nb_rules == 0, "nb_rules %u after removing all", cg_dp_rules->nb_rules);
}

static void
test_concurrent(unsigned int reader_lcore)
{
	struct cg_rule r = make_rule("live", 1, "239.20.7.1", 5000, "239.20.7.101", 10);
	char err[512];
	int ret;

	ver_a = addr("239.20.7.101");
	ver_b = addr("239.20.7.102");
	ret = apply(CG_SHM_RULES_ADD, &r, err, sizeof(err));
	CHECK(ret == 0, "add live: %d %s", ret, err);
	rte_eal_remote_launch(reader, NULL, reader_lcore);
	for (int i = 0; i < ITERATIONS; i++) {
		r.out[0].dst = (i & 1) ? ver_a : ver_b;
		if (i % 50 == 49) {
			ret = apply(CG_SHM_RULES_REMOVE, &r, err, sizeof(err));
			CHECK(ret == 0, "remove live (%d): %d %s", i, ret, err);
			ret = apply(CG_SHM_RULES_ADD, &r, err, sizeof(err));
			CHECK(ret == 0, "re-add live (%d): %d %s", i, ret, err);
		} else {
			ret = apply(CG_SHM_RULES_UPDATE, &r, err, sizeof(err));
			CHECK(ret == 0, "update live (%d): %d %s", i, ret, err);
		}
	}
	reader_stop = 1;
	rte_eal_wait_lcore(reader_lcore);
	printf("reader: %lu lookups, %lu hits, %lu bad reads; %d updates\n",
	       (unsigned long)reader_lookups, (unsigned long)reader_hits,
	       (unsigned long)reader_bad, ITERATIONS);
	CHECK(reader_hits > 0, "the reader never found the rule");
	CHECK(reader_bad == 0, "the reader saw %lu freed or torn slots", (unsigned long)reader_bad);
	ret = apply(CG_SHM_RULES_REMOVE, &r, err, sizeof(err));
	CHECK(ret == 0, "final remove: %d %s", ret, err);
	for (uint32_t i = 0; i < cg_dp_rules->nb_slots; i++)
		CHECK(!cg_shm_rule_slot(cg_dp_rules, i)->in_use, "slot %u leaked", i);
}

int
main(void)
{
	char prefix[64], pfx_arg[80];
	char *eal[] = { "rules_update", "-l", "0,1", "--no-pci", "--no-huge", "-m", "128",
			pfx_arg, "--log-level=error", "--no-telemetry", NULL };
	unsigned int reader_lcore;

	if (geteuid() != 0) {
		printf("SKIP: needs root for the DPDK runtime dir\n");
		return SKIP;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("SKIP: needs two CPUs\n");
		return SKIP;
	}
	snprintf(prefix, sizeof(prefix), "cgrulestest%d", (int)getpid());
	snprintf(pfx_arg, sizeof(pfx_arg), "--file-prefix=%s", prefix);
	cg_log_init("rules_update", CG_LOG_WARN, CG_LOG_FMT_TEXT);
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	reader_lcore = rte_get_next_lcore(-1, 1, 0);

	/* Two ports that are never started: control frames are just refused. */
	dp_g.nb_ports = 2;
	snprintf(dp_g.ports[0].name, sizeof(dp_g.ports[0].name), "p0");
	dp_g.ports[0].ip = addr("198.18.20.2");
	dp_g.ports[0].prefix_len = 26;
	snprintf(dp_g.ports[1].name, sizeof(dp_g.ports[1].name), "p1");
	dp_g.ports[1].ip = addr("198.18.20.66");
	dp_g.ports[1].prefix_len = 26;
	dp_g.ports[1].gateway = addr("198.18.20.65");
	dp_g.nb_workers = 1;
	dp_g.p.igmp_version = 3;
	dp_g.p.arp_timeout_s = 300;
	dp_g.p.arp_retry_ms = 1000;
	dp_g.p.arp_max_retries = 3;
	dp_g.p.max_rules = 64;
	dp_g.p.max_outputs = CG_SHM_MAX_OUTPUTS;
	if (cg_dp_stats_init() < 0 || cg_dp_arp_init() < 0 || cg_dp_rules_init(1) < 0 ||
	    cg_dp_service_init() < 0) {
		fprintf(stderr, "init failed\n");
		return 1;
	}

	test_errors();
	test_concurrent(reader_lcore);

	cg_dp_rules_fini();
	rte_eal_cleanup();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/%s", prefix);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of /var/run/dpdk/%s failed\n", prefix);
	}
	if (cg_check_failures) {
		printf("FAIL: %d check(s)\n", cg_check_failures);
		return 1;
	}
	printf("PASS: rule table add/update/remove under a concurrent reader\n");
	return 0;
}
