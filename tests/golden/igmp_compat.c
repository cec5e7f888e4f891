/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's IGMP compatibility modes (dp_igmp.c, RFC 3376 7.2.1),
 * without EAL, on a fake 1 GHz TSC: with igmp_version 3, an IGMPv2 query
 * makes the port report in v2 for the Older Version Querier Present Timeout
 * (2 x 125 s + the Query Response Interval, 10 s: 260 s by default) and a v1 query in
 * v1 for its own; v1 wins while both run; each query restarts its timer; when
 * they run out the port is back to v3. The frames counted show the form: a
 * general query's answer is one v3 report for the port's groups, or one v2
 * (v1) report a group; a leave is one v2 leave, none in v1. Ports are never
 * started, so the frames are counted, not sent (the wire: igmp_compat.sh).
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "cg_check.h"
#include "cg_log.h"
#include "cg_pkt.h"
#include "dp.h"
#include "dp_igmp.h"
#include "dp_service.h"

#define NB_GROUPS 10
#define TICK (5 * 1000000ull)	/* the service's 5 ms timer at a fake 1 GHz TSC */
#define SEC (1000 * 1000000ull)

struct cg_dp dp_g;

static uint64_t now;

static uint32_t
group_of(uint32_t g)
{
	return htonl(0xef220100u + 1 + g);	/* 239.34.1.x */
}

/* Run the timer until @p until (fake TSC). */
static void
run_until(uint64_t until)
{
	while (now < until) {
		now += TICK;
		cg_dp_igmp_timer(now);
	}
}

/* Frames port 0 sends in the next @p secs seconds. */
static uint64_t
frames_in(unsigned int secs)
{
	uint64_t f0 = cg_dp_igmp_reports(0);

	run_until(now + secs * SEC);
	return cg_dp_igmp_reports(0) - f0;
}

/* A general query of @p len bytes (8: v1/v2, 12: v3: QRV 2, QQIC @p qqic), Max Resp Code @p code. */
static void
query_qqic(unsigned int len, uint8_t code, uint8_t qqic)
{
	uint8_t q[12] = { CG_PKT_IGMP_QUERY, code, 0, 0, 0, 0, 0, 0, 2, qqic, 0, 0 };
	uint16_t c = cg_pkt_csum_fold(cg_pkt_csum_add(q, len, 0));

	memcpy(q + 2, &c, sizeof(c));	/* the sum is in the bytes' own order */
	cg_dp_igmp_input(0, q, len, now);
}

static void
query(unsigned int len, uint8_t code)
{
	query_qqic(len, code, 125);
}

int
main(void)
{
	uint64_t t_v2, t_v1;

	cg_log_init("igmp_compat", CG_LOG_WARN, CG_LOG_FMT_TEXT);
	dp_g.nb_ports = 1;
	snprintf(dp_g.ports[0].name, sizeof(dp_g.ports[0].name), "in0");
	dp_g.ports[0].mtu = 1500;
	dp_g.p.igmp_version = 3;
	dp_g.p.igmp_interval_s = 3600;	/* no refresh inside the test */
	cg_dp_tsc_ms = 1000000;
	now = 1000 * TICK;

	/* The timeout: RFC 3376 8.12 with its defaults, and other values. */
	CHECK(cg_dp_igmp_older_querier_ms(2, 125, 100) == 260000, "default timeout %llu ms",
	      (unsigned long long)cg_dp_igmp_older_querier_ms(2, 125, 100));
	CHECK(cg_dp_igmp_older_querier_ms(3, 60, 50) == 185000, "3 x 60 s + 5 s");
	CHECK(cg_dp_igmp_older_querier_ms(7, 31744, 255) == 222233500ull, "largest QRV, QQI");

	for (uint32_t g = 0; g < NB_GROUPS; g++)
		cg_dp_igmp_join(0, group_of(g), 0);
	run_until(now + 3 * SEC);	/* the state-change rounds */
	CHECK(cg_dp_igmp_version(0) == 3, "version %u at start", cg_dp_igmp_version(0));
	query(12, 100);	/* Max Resp Time 10 s: the Query Response Interval */
	CHECK(frames_in(11) == 1, "v3 query: the groups in one v3 report");

	/* v2 query (Max Resp Time 10 s): v2 for 260 s, every group a report. */
	t_v2 = now;
	query(8, 100);
	CHECK(cg_dp_igmp_version(0) == 2, "version %u after a v2 query", cg_dp_igmp_version(0));
	CHECK(frames_in(11) == NB_GROUPS, "v2 query: one v2 report a group");
	cg_dp_igmp_leave(0, group_of(0), 0);
	CHECK(frames_in(2) == 1, "v2 mode: a leave is one v2 leave");
	cg_dp_igmp_join(0, group_of(0), 0);
	CHECK(frames_in(2) == 2, "v2 mode: a join is two v2 reports (robustness)");
	run_until(t_v2 + 259 * SEC);
	CHECK(cg_dp_igmp_version(0) == 2, "version %u 259 s after the v2 query",
	      cg_dp_igmp_version(0));
	run_until(t_v2 + 261 * SEC);
	CHECK(cg_dp_igmp_version(0) == 3, "version %u 261 s after the v2 query",
	      cg_dp_igmp_version(0));
	query(12, 100);
	CHECK(frames_in(11) == 1, "back in v3: one v3 report again");

	/* A v2 query, then a v1 query 100 s later (Max Resp Time 10 s for v1). */
	t_v2 = now;
	query(8, 100);
	run_until(now + 100 * SEC);
	t_v1 = now;
	query(8, 0);
	CHECK(cg_dp_igmp_version(0) == 1, "version %u after a v1 query", cg_dp_igmp_version(0));
	CHECK(frames_in(11) == NB_GROUPS, "v1 query: one v1 report a group");
	cg_dp_igmp_leave(0, group_of(0), 0);
	CHECK(frames_in(2) == 0, "v1 mode: no leave message");
	CHECK(cg_dp_igmp_joined(0) == NB_GROUPS - 1, "v1 mode: the group is left");
	cg_dp_igmp_join(0, group_of(0), 0);
	/* the v2 timer runs out first: still v1; a v2 query restarts it */
	run_until(t_v2 + 261 * SEC);
	CHECK(cg_dp_igmp_version(0) == 1, "version %u when the v2 timer ran out under v1",
	      cg_dp_igmp_version(0));
	t_v2 = now;
	query(8, 100);
	CHECK(cg_dp_igmp_version(0) == 1, "version %u: v1 wins over v2", cg_dp_igmp_version(0));
	run_until(t_v1 + 261 * SEC);
	CHECK(cg_dp_igmp_version(0) == 2, "version %u when the v1 timer ran out, v2 running",
	      cg_dp_igmp_version(0));
	run_until(t_v2 + 261 * SEC);
	CHECK(cg_dp_igmp_version(0) == 3, "version %u when both ran out", cg_dp_igmp_version(0));

	/* A v3 querier's interval (QQIC 60 s) and Max Resp Time (5 s) time the next
	 * v2 timer: 2 x 60 s + 5 s = 125 s. */
	query_qqic(12, 50, 60);
	run_until(now + 6 * SEC);
	t_v2 = now;
	query(8, 100);
	run_until(t_v2 + 124 * SEC);
	CHECK(cg_dp_igmp_version(0) == 2, "version %u 124 s after a v2 query (QQI 60 s)",
	      cg_dp_igmp_version(0));
	run_until(t_v2 + 126 * SEC);
	CHECK(cg_dp_igmp_version(0) == 3, "version %u 126 s after a v2 query (QQI 60 s)",
	      cg_dp_igmp_version(0));

	/* igmp_version 2: a v1 querier gives v1 (RFC 2236 4), never v3. */
	dp_g.p.igmp_version = 2;
	CHECK(cg_dp_igmp_version(0) == 2, "igmp_version 2: version %u", cg_dp_igmp_version(0));
	query_qqic(12, 100, 125);	/* back to the default intervals */
	run_until(now + 11 * SEC);
	t_v1 = now;
	query(8, 0);
	CHECK(cg_dp_igmp_version(0) == 1, "igmp_version 2, v1 query: version %u",
	      cg_dp_igmp_version(0));
	run_until(t_v1 + 259 * SEC);
	CHECK(cg_dp_igmp_version(0) == 1, "igmp_version 2, 259 s after: version %u",
	      cg_dp_igmp_version(0));
	run_until(t_v1 + 261 * SEC);
	CHECK(cg_dp_igmp_version(0) == 2, "igmp_version 2 after the v1 timer: version %u",
	      cg_dp_igmp_version(0));

	cg_dp_igmp_leave_all(NULL);
	if (cg_check_failures) {
		printf("FAIL: %d check(s)\n", cg_check_failures);
		return 1;
	}
	printf("PASS: IGMP compatibility modes\n");
	return 0;
}
