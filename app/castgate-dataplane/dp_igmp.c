/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IGMP host side for the input ports. Main lcore only. See dp_igmp.h.
 *
 * Reports: IGMPv3 by default (state-change records on join/leave, current
 * state records on refresh and in answer to queries); IGMPv2 when configured
 * (v2 cannot express sources: an (S,G) membership is reported as G).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_random.h>

#include "cg_log.h"
#include "cg_pkt.h"
#include "dp.h"
#include "dp_igmp.h"
#include "dp_service.h"
#include "dp_stats.h"

#define MAX_GROUPS 256
#define MAX_SRCS 16		/* sources per group we track ((S,G) rules per group) */
/* RFC 3376 8.11: unsolicited report interval, default 1 s; we retransmit
 * state changes once after a random delay up to it (robustness 2). */
#define UNSOLICITED_MS 1000
/* A report with many records: 1500-byte MTU minus IP/IGMP headers, ample. */
#define REPORT_MAX 1514
/* Records per report frame, so that a full report fits REPORT_MAX. */
#define RECS_PER_FRAME 32

struct src_ref {
	uint32_t src_be;
	uint32_t refcnt;
};

struct group {
	bool used;
	uint16_t port;
	uint32_t group_be;
	uint32_t any_refcnt;		/* any-source members: EXCLUDE {} */
	unsigned int nb_srcs;
	struct src_ref srcs[MAX_SRCS];
	/* pending retransmission of the last state change */
	uint64_t rtx_at;		/* 0 = none */
	uint8_t rtx_type;
	unsigned int rtx_nb;
	uint32_t rtx_srcs[MAX_SRCS];
	uint64_t query_due;		/* group-specific query answer, 0 = none */
};

static struct group groups[MAX_GROUPS];
static uint64_t general_due[CG_DP_MAX_PORTS];	/* general query answer, 0 = none */
static uint64_t refresh_at;

static struct group *
group_find(uint16_t port, uint32_t group_be, bool create)
{
	struct group *free_g = NULL;

	for (int i = 0; i < MAX_GROUPS; i++) {
		struct group *g = &groups[i];

		if (!g->used) {
			if (free_g == NULL)
				free_g = g;
			continue;
		}
		if (g->port == port && g->group_be == group_be)
			return g;
	}
	if (!create || free_g == NULL)
		return NULL;
	memset(free_g, 0, sizeof(*free_g));
	free_g->used = true;
	free_g->port = port;
	free_g->group_be = group_be;
	return free_g;
}

static bool
port_can_send(uint16_t port)
{
	/* Without an IP the report's source would be 0.0.0.0: still valid IGMP. */
	return port < dp_g.nb_ports;
}

/* Send one v3 report with the given records on @p port. */
static void
send_v3(uint16_t port, const struct cg_pkt_igmp_rec *recs, unsigned int n)
{
	const struct cg_dp_port *p = &dp_g.ports[port];
	uint8_t f[REPORT_MAX];
	int len;

	if (n == 0 || !port_can_send(port))
		return;
	len = cg_pkt_igmp_build_v3_report(f, sizeof(f), p->mac.addr_bytes, p->ip, recs, n,
					  CG_PKT_NO_VLAN);
	if (len < 0) {
		CG_WARN("igmp: port %s: cannot build report: %s", p->name, strerror(-len));
		return;
	}
	cg_dp_service_send(port, f, len);
}

static void
send_v2(uint16_t port, uint32_t group_be, bool leave)
{
	const struct cg_dp_port *p = &dp_g.ports[port];
	uint8_t f[128];
	int len;

	if (!port_can_send(port))
		return;
	if (leave)
		len = cg_pkt_igmp_build_v2_leave(f, sizeof(f), p->mac.addr_bytes, p->ip,
						 group_be, CG_PKT_NO_VLAN);
	else
		len = cg_pkt_igmp_build_v2_report(f, sizeof(f), p->mac.addr_bytes, p->ip,
						  group_be, CG_PKT_NO_VLAN);
	if (len > 0)
		cg_dp_service_send(port, f, len);
}

static bool
is_v2(void)
{
	return dp_g.p.igmp_version == 2;
}

/* Current-state record of a group (answers to queries, refresh). */
static void
current_record(const struct group *g, struct cg_pkt_igmp_rec *rec, uint32_t *srcs)
{
	rec->group_be = g->group_be;
	if (g->any_refcnt > 0) {
		rec->type = CG_PKT_IGMP_MODE_IS_EXCLUDE;
		rec->nb_sources = 0;
		rec->sources_be = NULL;
		return;
	}
	for (unsigned int i = 0; i < g->nb_srcs; i++)
		srcs[i] = g->srcs[i].src_be;
	rec->type = CG_PKT_IGMP_MODE_IS_INCLUDE;
	rec->nb_sources = (uint16_t)g->nb_srcs;
	rec->sources_be = srcs;
}

/* Send a state-change record now and schedule its one retransmission. */
static void
state_change(struct group *g, uint8_t type, const uint32_t *srcs, unsigned int nb)
{
	struct cg_pkt_igmp_rec rec = {
		.type = type, .group_be = g->group_be, .nb_sources = (uint16_t)nb,
		.sources_be = srcs,
	};

	if (is_v2()) {
		bool leave = type == CG_PKT_IGMP_CHANGE_TO_INCLUDE && nb == 0;

		send_v2(g->port, g->group_be, leave);
		if (leave) {
			g->rtx_at = 0;	/* a pending join report must not follow */
			return;
		}
	} else {
		send_v3(g->port, &rec, 1);
	}
	g->rtx_type = type;
	g->rtx_nb = nb;
	if (nb)
		memcpy(g->rtx_srcs, srcs, nb * sizeof(*srcs));
	g->rtx_at = rte_rdtsc() + 1 + rte_rand_max(UNSOLICITED_MS * cg_dp_tsc_ms);
}

static bool
group_empty(const struct group *g)
{
	return g->any_refcnt == 0 && g->nb_srcs == 0;
}

void
cg_dp_igmp_join(uint16_t port, uint32_t group_be, uint32_t src_be)
{
	struct group *g = group_find(port, group_be, true);
	char gb[INET_ADDRSTRLEN];
	bool was_empty;

	if (g == NULL) {
		CG_WARN("igmp: port %s: too many groups (%d), not joining %s",
			dp_g.ports[port].name, MAX_GROUPS,
			inet_ntop(AF_INET, &group_be, gb, sizeof(gb)));
		return;
	}
	was_empty = group_empty(g);
	if (src_be == 0) {
		/* v2 knows groups only: a group already reported stays reported. */
		if (g->any_refcnt++ == 0 && (!is_v2() || was_empty))
			state_change(g, CG_PKT_IGMP_CHANGE_TO_EXCLUDE, NULL, 0);
	} else {
		unsigned int i;

		for (i = 0; i < g->nb_srcs; i++)
			if (g->srcs[i].src_be == src_be)
				break;
		if (i < g->nb_srcs) {
			g->srcs[i].refcnt++;
		} else if (g->nb_srcs == MAX_SRCS) {
			CG_WARN("igmp: port %s: group %s: more than %d sources; not joining one",
				dp_g.ports[port].name, inet_ntop(AF_INET, &group_be, gb,
								 sizeof(gb)), MAX_SRCS);
		} else {
			g->srcs[g->nb_srcs++] = (struct src_ref){ .src_be = src_be, .refcnt = 1 };
			/* In EXCLUDE {} mode we already receive every source. */
			if (g->any_refcnt == 0 && (!is_v2() || was_empty))
				state_change(g, CG_PKT_IGMP_ALLOW_NEW_SOURCES, &src_be, 1);
		}
	}
	if (was_empty && !group_empty(g))
		CG_INFO("igmp: port %s: joined %s", dp_g.ports[port].name,
			inet_ntop(AF_INET, &group_be, gb, sizeof(gb)));
}

void
cg_dp_igmp_leave(uint16_t port, uint32_t group_be, uint32_t src_be)
{
	struct group *g = group_find(port, group_be, false);
	char gb[INET_ADDRSTRLEN];
	uint32_t srcs[MAX_SRCS];

	if (g == NULL)
		return;
	if (src_be == 0) {
		if (g->any_refcnt == 0 || --g->any_refcnt > 0)
			return;
		/* EXCLUDE {} -> INCLUDE {remaining sources}; {} means leave. */
		for (unsigned int i = 0; i < g->nb_srcs; i++)
			srcs[i] = g->srcs[i].src_be;
		if (!is_v2() || g->nb_srcs == 0)
			state_change(g, CG_PKT_IGMP_CHANGE_TO_INCLUDE, srcs, g->nb_srcs);
	} else {
		unsigned int i;

		for (i = 0; i < g->nb_srcs; i++)
			if (g->srcs[i].src_be == src_be)
				break;
		if (i == g->nb_srcs || --g->srcs[i].refcnt > 0)
			return;
		g->srcs[i] = g->srcs[--g->nb_srcs];
		if (g->any_refcnt == 0) {
			if (is_v2() && g->nb_srcs == 0)
				state_change(g, CG_PKT_IGMP_CHANGE_TO_INCLUDE, NULL, 0);
			else if (!is_v2())
				state_change(g, CG_PKT_IGMP_BLOCK_OLD_SOURCES, &src_be, 1);
		}
	}
	if (group_empty(g)) {
		CG_INFO("igmp: port %s: left %s", dp_g.ports[port].name,
			inet_ntop(AF_INET, &group_be, gb, sizeof(gb)));
		/* We forget the group now, so send its leave's retransmission at once. */
		if (g->rtx_at && !is_v2()) {
			struct cg_pkt_igmp_rec rec = {
				.type = g->rtx_type, .group_be = g->group_be,
				.nb_sources = (uint16_t)g->rtx_nb, .sources_be = g->rtx_srcs,
			};

			send_v3(g->port, &rec, 1);
		} else if (is_v2()) {
			send_v2(g->port, g->group_be, true);
		}
		g->used = false;
	}
}

/* Current state of every group of @p port (or only @p only), v3 or v2. */
static void
report_current(uint16_t port, const struct group *only)
{
	struct cg_pkt_igmp_rec recs[RECS_PER_FRAME];
	static uint32_t srcs[RECS_PER_FRAME][MAX_SRCS];
	unsigned int n = 0;

	for (int i = 0; i < MAX_GROUPS; i++) {
		const struct group *g = &groups[i];

		if (!g->used || g->port != port || group_empty(g) || (only && g != only))
			continue;
		if (is_v2()) {
			send_v2(port, g->group_be, false);
			continue;
		}
		current_record(g, &recs[n], srcs[n]);
		if (++n == RECS_PER_FRAME) {
			send_v3(port, recs, n);
			n = 0;
		}
	}
	send_v3(port, recs, n);
}

void
cg_dp_igmp_input(uint16_t port, const uint8_t *igmp, uint32_t len)
{
	struct cg_pkt_igmp msg;
	enum cg_pkt_igmp_err err;
	uint64_t now = rte_rdtsc(), delay;

	err = cg_pkt_igmp_parse(igmp, len, &msg);
	if (err != CG_PKT_IGMP_OK) {
		cg_dp_ctrs_self()->drops[CG_SHM_DROP_IGMP_MALFORMED]++;
		CG_DEBUG("igmp: port %s: %s", dp_g.ports[port].name, cg_pkt_igmp_err_name(err));
		return;
	}
	if (msg.type != CG_PKT_IGMP_QUERY)
		return;		/* other hosts' reports: nothing to do for us */
	/* Answer after a random delay within the max response time (>= 1 ms). */
	delay = msg.max_resp_ds ? (uint64_t)msg.max_resp_ds * 100 * cg_dp_tsc_ms : cg_dp_tsc_ms;
	delay = 1 + rte_rand_max(delay);
	if (msg.group_be == 0) {
		if (general_due[port] == 0 || general_due[port] > now + delay)
			general_due[port] = now + delay;
		return;
	}
	struct group *g = group_find(port, msg.group_be, false);

	if (g != NULL && !group_empty(g) && (g->query_due == 0 || g->query_due > now + delay))
		g->query_due = now + delay;
}

void
cg_dp_igmp_timer(uint64_t now)
{
	const uint64_t interval = (uint64_t)dp_g.p.igmp_interval_s * 1000 * cg_dp_tsc_ms;

	if (refresh_at == 0)
		refresh_at = now + interval;
	if (interval && now >= refresh_at) {
		for (uint16_t p = 0; p < dp_g.nb_ports; p++)
			report_current(p, NULL);
		refresh_at = now + interval;
	}
	for (uint16_t p = 0; p < dp_g.nb_ports; p++) {
		if (general_due[p] && now >= general_due[p]) {
			general_due[p] = 0;
			report_current(p, NULL);
		}
	}
	for (int i = 0; i < MAX_GROUPS; i++) {
		struct group *g = &groups[i];

		if (!g->used)
			continue;
		if (g->query_due && now >= g->query_due) {
			g->query_due = 0;
			report_current(g->port, g);
		}
		if (g->rtx_at && now >= g->rtx_at) {
			struct cg_pkt_igmp_rec rec = {
				.type = g->rtx_type, .group_be = g->group_be,
				.nb_sources = (uint16_t)g->rtx_nb, .sources_be = g->rtx_srcs,
			};

			g->rtx_at = 0;
			if (is_v2())
				send_v2(g->port, g->group_be, false);
			else
				send_v3(g->port, &rec, 1);
		}
	}
}

void
cg_dp_igmp_port_up(uint16_t port)
{
	if (port < CG_DP_MAX_PORTS)
		general_due[port] = 1;	/* due at once: the timer compares with now */
}

void
cg_dp_igmp_leave_all(void)
{
	for (int i = 0; i < MAX_GROUPS; i++) {
		struct group *g = &groups[i];
		uint32_t srcs[MAX_SRCS];

		if (!g->used || group_empty(g))
			continue;
		for (int rep = 0; rep < 2; rep++) {	/* robustness: twice */
			if (is_v2()) {
				send_v2(g->port, g->group_be, true);
			} else {
				struct cg_pkt_igmp_rec rec = { .group_be = g->group_be };

				if (g->any_refcnt > 0) {
					rec.type = CG_PKT_IGMP_CHANGE_TO_INCLUDE;
				} else {
					for (unsigned int s = 0; s < g->nb_srcs; s++)
						srcs[s] = g->srcs[s].src_be;
					rec.type = CG_PKT_IGMP_BLOCK_OLD_SOURCES;
					rec.nb_sources = (uint16_t)g->nb_srcs;
					rec.sources_be = srcs;
				}
				send_v3(g->port, &rec, 1);
			}
		}
		g->used = false;
	}
}
