/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's IGMP membership table (dp_igmp.c) at scale, without EAL:
 * 120 000 random joins and leaves of (port, group, source) over 3 ports and
 * 40 000 groups, with the timer run in between (so that reported groups are
 * freed and their index entries deleted and reused), against a reference
 * count kept here. After every batch, each port's joined-group gauge must
 * equal the reference; at the end everything is left and the gauges are 0.
 * Ports are never started, so the reports built are refused, not sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "cg_check.h"
#include "cg_log.h"
#include "dp.h"
#include "dp_igmp.h"
#include "dp_service.h"

#define NB_PORTS 3
#define NB_GROUPS 40000
#define NB_SRCS 3		/* source 0 = any, then two (S,G) sources */
#define OPS 120000
#define BATCH 4000
#define TICK (5 * 1000000ull)	/* the service's 5 ms timer at a fake 1 GHz TSC */

struct cg_dp dp_g;

static uint32_t refcnt[NB_PORTS][NB_GROUPS][NB_SRCS];

static uint32_t
group_of(uint32_t g)
{
	return htonl(0xef1a0000u + 1 + g);	/* 239.26.x.y */
}

static uint32_t
src_of(uint32_t s)
{
	return s == 0 ? 0 : htonl(0xc6121a00u + s);	/* 198.18.26.s */
}

static uint32_t
ref_joined(uint16_t p)
{
	uint32_t n = 0;

	for (uint32_t g = 0; g < NB_GROUPS; g++)
		for (uint32_t s = 0; s < NB_SRCS; s++)
			if (refcnt[p][g][s] > 0) {
				n++;
				break;
			}
	return n;
}

/* Run the timer for @p ms of fake time. */
static void
run_timer(uint64_t *now, unsigned int ms)
{
	for (unsigned int t = 0; t < ms / 5; t++) {
		*now += TICK;
		cg_dp_igmp_timer(*now);
	}
}

static void
check_gauges(const char *when)
{
	for (uint16_t p = 0; p < NB_PORTS; p++)
		CHECK(cg_dp_igmp_joined(p) == ref_joined(p), "%s: port %u: %u groups joined, "
		      "expected %u", when, p, cg_dp_igmp_joined(p), ref_joined(p));
}

int
main(void)
{
	uint64_t now = 1000 * TICK;
	unsigned int seed = 26;
	char when[64];

	cg_log_init("igmp_table", CG_LOG_WARN, CG_LOG_FMT_TEXT);
	dp_g.nb_ports = NB_PORTS;
	for (uint16_t p = 0; p < NB_PORTS; p++) {
		snprintf(dp_g.ports[p].name, sizeof(dp_g.ports[p].name), "p%u", p);
		dp_g.ports[p].mtu = 1500;
	}
	dp_g.p.igmp_version = 3;
	dp_g.p.igmp_interval_s = 60;
	cg_dp_tsc_ms = 1000000;

	for (unsigned int op = 0; op < OPS; op++) {
		uint16_t p = (uint16_t)(rand_r(&seed) % NB_PORTS);
		uint32_t g = (uint32_t)rand_r(&seed) % NB_GROUPS;
		uint32_t s = (uint32_t)rand_r(&seed) % NB_SRCS;

		/* joins win 3 to 2, so that the table fills up while it churns */
		if (rand_r(&seed) % 5 < 3 || refcnt[p][g][s] == 0) {
			cg_dp_igmp_join(p, group_of(g), src_of(s));
			refcnt[p][g][s]++;
		} else {
			cg_dp_igmp_leave(p, group_of(g), src_of(s));
			refcnt[p][g][s]--;
		}
		if ((op + 1) % BATCH == 0) {
			snprintf(when, sizeof(when), "after %u operations", op + 1);
			check_gauges(when);
			run_timer(&now, 1500);	/* rounds and repetitions: frees groups */
			check_gauges(when);
		}
	}
	/* Leave everything, one reference at a time, in a different order. */
	for (uint32_t g = NB_GROUPS; g-- > 0;)
		for (uint16_t p = 0; p < NB_PORTS; p++)
			for (uint32_t s = 0; s < NB_SRCS; s++)
				while (refcnt[p][g][s] > 0) {
					cg_dp_igmp_leave(p, group_of(g), src_of(s));
					refcnt[p][g][s]--;
				}
	check_gauges("after leaving all");
	run_timer(&now, 3000);
	/* Join again after the frees: the index must find nothing stale. */
	for (uint32_t g = 0; g < NB_GROUPS; g += 7) {
		cg_dp_igmp_join(1, group_of(g), 0);
		cg_dp_igmp_join(1, group_of(g), 0);
		refcnt[1][g][0] += 2;
	}
	check_gauges("after joining again");
	cg_dp_igmp_leave_all(NULL);
	for (uint16_t p = 0; p < NB_PORTS; p++)
		CHECK(cg_dp_igmp_joined(p) == 0, "port %u: %u groups joined after leave_all", p,
		      cg_dp_igmp_joined(p));
	if (cg_check_failures) {
		printf("FAIL: %d check(s)\n", cg_check_failures);
		return 1;
	}
	printf("PASS: IGMP table, %d operations over %d groups on %d ports\n", OPS, NB_GROUPS,
	       NB_PORTS);
	return 0;
}
