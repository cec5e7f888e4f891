/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IGMP host side for the input ports. Main lcore only. See dp_igmp.h.
 *
 * Reports: IGMPv3 by default (state-change records on join/leave, current
 * state records on refresh and in answer to queries); IGMPv2 when configured
 * (v2 cannot express sources: an (S,G) membership is reported as G).
 *
 * Compatibility (RFC 3376 7.2.1; RFC 2236 4): a v2 or v1 query on a port
 * (re)starts that port's Older Version Querier Present timer of its version;
 * while one runs the port reports in that version (v1 before v2; never above
 * igmp_version): v2 reports and leaves, or v1 reports and no leaves. Changes
 * still pending then go out in the older form; when the timer expires, the
 * port is back to its version.
 *
 * Scale. Groups live in an array that doubles when full, found through an
 * open-addressing index keyed by (port, group) that doubles too: no fixed
 * cap, memory follows the groups actually joined (a 64-byte entry and 8 to
 * 16 bytes of index each, up to twice that right after a doubling, plus 12
 * per (S,G) source). Growing happens in cg_dp_igmp_join(), i.e. while a
 * rule is installed on the main lcore, never on a forwarding path.
 *
 * Pacing (RFC 3376 5.1, 5.2, 4.2.16; RFC 2236 3):
 * - A change (join, leave, source added or removed) queues its group on the
 *   port's change list and makes the list due at the next timer run (5 ms at
 *   most), so that the changes of a burst of rule installs leave together.
 *   A pass over the list ("round") packs the records of every queued group
 *   into reports filled up to the port's MTU (v2: one group per report).
 *   Each record is sent [Robustness Variable] times: after a round, the
 *   next one starts after a random delay in (0, Unsolicited Report
 *   Interval]; a new change starts a round at once, as the RFC asks.
 * - Query answers and the periodic refresh walk the port's groups and send
 *   current-state reports spread over the Max Resp Time (or the Unsolicited
 *   Report Interval for the refresh and a port coming up), one frame per
 *   step, instead of all of them at one instant.
 * - Every report of a port spends a token of a bucket refilled at
 *   REPORTS_PER_MS (see there): a burst of thousands of groups leaves paced,
 *   and a pass that runs out of tokens resumes at the next timer run.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_random.h>

#include "cg_log.h"
#include "cg_pkt.h"
#include "dp.h"
#include "dp_igmp.h"
#include "dp_service.h"
#include "dp_stats.h"

#define IDX_NONE UINT32_MAX
/* RFC 3376 8.1 / RFC 2236 8.1: Robustness Variable default; a v3 query's QRV replaces it. */
#define DEFAULT_ROBUSTNESS 2
/* RFC 3376 8.2, 8.3: Query Interval, 125 s, and Query Response Interval, 10 s, by
 * default; a v3 query's QQIC and Max Resp Code replace them (v1 and v2 queries
 * carry no interval). They time the Older Version Querier Present timers (8.12):
 * 2 x 125 s + 10 s = 260 s. */
#define DEFAULT_QUERY_INTERVAL_S 125
#define DEFAULT_QUERY_RESP_DS 100
/* RFC 3376 8.11: Unsolicited Report Interval, 1 s. RFC 2236 8.10 gives 10 s for
 * v2; we use 1 s there too, so that a lost first report is repeated soon. */
#define UNSOLICITED_MS 1000
/*
 * Report pacing per port: 4 reports a millisecond, bursts of 20 (one 5 ms
 * timer run). At a 1500-byte MTU a v3 report holds 183 any-source records,
 * so that is about 730 000 group records a second: 100 000 groups leave in
 * 0.14 s, while the switch's CPU (which handles IGMP in software) sees at
 * most 4000 IGMP frames a second from us. In v2 (one group per report) it is
 * 4000 groups a second. The service ring to worker 0 (1024) takes a whole
 * burst of every port (16 x 20).
 */
#define REPORTS_PER_MS 4
#define REPORT_BURST 20
/* Largest report frame: the largest port MTU, plus Ethernet. */
#define REPORT_FRAME (9000 + CG_PKT_ETH_HLEN)
/* At shutdown: the leaves go out paced as at run time, their repetition
 * after at most 50 ms rather than 1 s, and the whole within 2 s (then the
 * rest expire on the switch); the service stop waits for them. */
#define SHUTDOWN_RTX_MS 50
#define SHUTDOWN_MAX_MS 2000
#define SHUTDOWN_POLL_US 1000
#define TAB_MIN 64
/* Joins and leaves logged one by one (info) per timer run; the rest at debug. */
#define LOG_GROUPS_PER_RUN 16

struct src_ref {
	uint32_t src_be;
	uint32_t refcnt;		/* 0: left; kept while a BLOCK is to be repeated */
	uint8_t allow_rtx;		/* ALLOW_NEW_SOURCES transmissions left */
	uint8_t block_rtx;		/* BLOCK_OLD_SOURCES transmissions left */
};

struct group {
	uint32_t group_be;
	uint16_t port;
	bool used;
	bool queued;			/* on the port's change list */
	bool joined;			/* counted in the port's joined groups */
	uint8_t mode_rtx;		/* v3 filter-mode record / v2 message: sends left */
	uint32_t any_refcnt;		/* any-source members: EXCLUDE {} */
	uint32_t nb_live;		/* sources with refcnt > 0 */
	uint32_t nb_srcs, cap_srcs;	/* srcs[], live and left */
	struct src_ref *srcs;
	uint32_t prev, next;		/* change list (free list: next) */
	uint32_t round;			/* the port's round that last reported it */
	uint64_t query_due;		/* group-specific query answer, 0 = none */
};
static_assert(sizeof(struct group) == 64, "a group entry is one cache line (docs say 64 bytes)");

struct port_st {
	uint32_t head, tail;		/* change list */
	uint32_t cursor;		/* next group of the round in progress */
	bool in_round;
	uint32_t round;
	uint64_t change_due;		/* next change pass, 0 = none, 1 = at once */
	uint64_t walk_due;		/* next current-state frame, 0 = no walk */
	uint64_t walk_step;
	uint32_t walk_pos;		/* next table index of the walk */
	int64_t credit;			/* report tokens, in TSC ticks */
	uint64_t credit_at;
	uint32_t joined;		/* groups with a member */
	uint64_t frames;		/* reports sent (v3) or messages (v2, v1) */
	uint64_t older_until[2];	/* Older Version Querier Present: [0] v1, [1] v2; 0 = off */
	uint32_t round_recs, round_frames;
	bool fresh;			/* a change came since the last round started */
	bool round_fresh;		/* the round in progress sends new changes */
};

/* One record to send. */
struct grec {
	uint8_t type;
	uint32_t group_be;
	const uint32_t *srcs;
	uint32_t n;
};

static struct group *tab;
static uint32_t tab_cap, tab_hi, free_head = IDX_NONE;
static uint32_t *hidx;			/* (port, group) -> tab index, IDX_NONE = empty */
static uint32_t hidx_mask, hidx_n;
static uint32_t *scratch;		/* source lists being sent */
static uint32_t scratch_cap;
static uint32_t *qlist;			/* groups with a query_due */
static uint32_t qlist_n, qlist_cap;

static struct port_st ports[CG_DP_MAX_PORTS];
static uint8_t robustness = DEFAULT_ROBUSTNESS;
static uint32_t query_interval_s = DEFAULT_QUERY_INTERVAL_S;
static uint32_t query_resp_ds = DEFAULT_QUERY_RESP_DS;
static uint64_t refresh_at;
static uint8_t frame[REPORT_FRAME];
static bool ports_ready;
static bool shutting_down;
static unsigned int logged, unlogged;	/* per-group log lines in this timer run */

/* The change lists start empty (IDX_NONE, not the 0 of a static). */
static void
ports_init(void)
{
	if (ports_ready)
		return;
	for (unsigned int p = 0; p < CG_DP_MAX_PORTS; p++)
		ports[p].head = ports[p].tail = ports[p].cursor = IDX_NONE;
	ports_ready = true;
}

/* The version @p port reports in now: 3 or 2 (igmp_version), lower while an older querier is heard. */
static uint8_t
port_version(uint16_t port)
{
	const struct port_st *ps = &ports[port];

	if (ps->older_until[0])
		return 1;
	if (ps->older_until[1] || dp_g.p.igmp_version == 2)
		return 2;
	return 3;
}

/* v2 and v1 know groups only: (S,G) memberships are reported as G, and no source records. */
static bool
groups_only(uint16_t port)
{
	return port_version(port) < 3;
}

/* ------------------------------------------------------------------------ */
/* Group table                                                              */

static inline uint32_t
hslot(uint16_t port, uint32_t group_be)
{
	uint64_t k = ((uint64_t)port << 32 | group_be) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(k >> 32) & hidx_mask;
}

static uint32_t
group_lookup(uint16_t port, uint32_t group_be)
{
	if (hidx == NULL)
		return IDX_NONE;
	for (uint32_t h = hslot(port, group_be);; h = (h + 1) & hidx_mask) {
		uint32_t i = hidx[h];

		if (i == IDX_NONE)
			return IDX_NONE;
		if (tab[i].port == port && tab[i].group_be == group_be)
			return i;
	}
}

static void
hidx_put(uint32_t i)
{
	uint32_t h = hslot(tab[i].port, tab[i].group_be);

	while (hidx[h] != IDX_NONE)
		h = (h + 1) & hidx_mask;
	hidx[h] = i;
}

/* Keep the index at most half full: double it when one more would pass that. */
static int
hidx_reserve(void)
{
	uint32_t cap = hidx == NULL ? 2 * TAB_MIN : (hidx_mask + 1);
	uint32_t *old = hidx, old_cap = hidx == NULL ? 0 : hidx_mask + 1;

	if (hidx != NULL && 2 * (uint64_t)(hidx_n + 1) <= cap)
		return 0;
	if (hidx != NULL)
		cap *= 2;
	hidx = malloc(sizeof(*hidx) * (size_t)cap);
	if (hidx == NULL) {
		hidx = old;
		return -ENOMEM;
	}
	memset(hidx, 0xff, sizeof(*hidx) * (size_t)cap);
	hidx_mask = cap - 1;
	for (uint32_t h = 0; h < old_cap; h++)
		if (old[h] != IDX_NONE)
			hidx_put(old[h]);
	free(old);
	return 0;
}

/* Linear probing deletion: shift back the entries that probed past @p i. */
static void
hidx_del(uint32_t i)
{
	uint32_t h = hslot(tab[i].port, tab[i].group_be), j;

	while (hidx[h] != i)
		h = (h + 1) & hidx_mask;
	hidx[h] = IDX_NONE;
	for (j = (h + 1) & hidx_mask; hidx[j] != IDX_NONE; j = (j + 1) & hidx_mask) {
		uint32_t k = hidx[j], home = hslot(tab[k].port, tab[k].group_be);

		/* k may stay at j unless its home lies cyclically in (h, j] */
		if (((j - home) & hidx_mask) >= ((j - h) & hidx_mask)) {
			hidx[h] = k;
			hidx[j] = IDX_NONE;
			h = j;
		}
	}
	hidx_n--;
}

static uint32_t
group_new(uint16_t port, uint32_t group_be)
{
	uint32_t i;

	if (hidx_reserve() < 0)
		return IDX_NONE;
	if (free_head != IDX_NONE) {
		i = free_head;
		free_head = tab[i].next;
	} else {
		if (tab_hi == tab_cap) {
			uint32_t cap = tab_cap ? 2 * tab_cap : TAB_MIN;
			struct group *t = realloc(tab, sizeof(*t) * (size_t)cap);

			if (t == NULL)
				return IDX_NONE;
			tab = t;
			tab_cap = cap;
		}
		i = tab_hi++;
	}
	tab[i] = (struct group){
		.group_be = group_be, .port = port, .used = true,
		.prev = IDX_NONE, .next = IDX_NONE, .round = ports[port].round - 1,
	};
	hidx_put(i);
	hidx_n++;
	return i;
}

static bool
group_empty(const struct group *g)
{
	return g->any_refcnt == 0 && g->nb_live == 0;
}

/* Forget @p i once it has no member and nothing left to send. */
static void
group_maybe_free(uint32_t i)
{
	struct group *g = &tab[i];

	if (!g->used || g->queued || !group_empty(g) || g->nb_srcs > 0)
		return;
	hidx_del(i);
	free(g->srcs);
	*g = (struct group){ .next = free_head };
	free_head = i;
}

static struct src_ref *
src_find(struct group *g, uint32_t src_be)
{
	for (uint32_t s = 0; s < g->nb_srcs; s++)
		if (g->srcs[s].src_be == src_be)
			return &g->srcs[s];
	return NULL;
}

static struct src_ref *
src_add(struct group *g, uint32_t src_be)
{
	if (g->nb_srcs == g->cap_srcs) {
		uint32_t cap = g->cap_srcs ? 2 * g->cap_srcs : 2;
		struct src_ref *s = realloc(g->srcs, sizeof(*s) * cap);

		if (s == NULL)
			return NULL;
		g->srcs = s;
		g->cap_srcs = cap;
	}
	g->srcs[g->nb_srcs] = (struct src_ref){ .src_be = src_be };
	return &g->srcs[g->nb_srcs++];
}

/* Drop the sources that are left and have nothing more to send. */
static void
src_purge(struct group *g)
{
	uint32_t n = 0;

	for (uint32_t s = 0; s < g->nb_srcs; s++)
		if (g->srcs[s].refcnt > 0 || g->srcs[s].allow_rtx || g->srcs[s].block_rtx)
			g->srcs[n++] = g->srcs[s];
	g->nb_srcs = n;
}

static uint32_t *
scratch_get(uint32_t n)
{
	if (n > scratch_cap) {
		uint32_t *s = realloc(scratch, sizeof(*s) * (size_t)n);

		if (s == NULL)
			return NULL;
		scratch = s;
		scratch_cap = n;
	}
	return scratch;
}

/* ------------------------------------------------------------------------ */
/* Change lists                                                             */

static void
list_unlink(struct port_st *ps, uint32_t i)
{
	struct group *g = &tab[i];

	if (g->prev != IDX_NONE)
		tab[g->prev].next = g->next;
	else
		ps->head = g->next;
	if (g->next != IDX_NONE)
		tab[g->next].prev = g->prev;
	else
		ps->tail = g->prev;
	g->prev = g->next = IDX_NONE;
	g->queued = false;
}

static void
list_append(struct port_st *ps, uint32_t i)
{
	struct group *g = &tab[i];

	g->prev = ps->tail;
	g->next = IDX_NONE;
	if (ps->tail != IDX_NONE)
		tab[ps->tail].next = i;
	else
		ps->head = i;
	ps->tail = i;
	g->queued = true;
}

/*
 * A change of group @p i is to be reported: queue it so that the round in
 * progress (or a new one, at once) sends it. A group already reported in
 * this round goes to the end of the list, which the round has not reached.
 */
static void
changed(uint32_t i)
{
	struct group *g = &tab[i];
	struct port_st *ps = &ports[g->port];

	if (g->queued && g->round == ps->round && ps->in_round)
		list_unlink(ps, i);
	if (!g->queued) {
		g->round = ps->round - 1;	/* not reported in this round yet */
		list_append(ps, i);
	}
	ps->change_due = 1;
	ps->fresh = true;
}

static void
update_joined(struct group *g)
{
	bool j = !group_empty(g);
	char gb[INET_ADDRSTRLEN];

	if (j == g->joined)
		return;
	g->joined = j;
	if (j)
		ports[g->port].joined++;
	else
		ports[g->port].joined--;
	if (logged >= LOG_GROUPS_PER_RUN && cg_log_get_level() < CG_LOG_DEBUG) {
		unlogged++;
		return;
	}
	cg_log(logged++ < LOG_GROUPS_PER_RUN ? CG_LOG_INFO : CG_LOG_DEBUG,
	       "igmp: port %s: %s %s", dp_g.ports[g->port].name, j ? "joined" : "left",
	       inet_ntop(AF_INET, &g->group_be, gb, sizeof(gb)));
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                  */

static uint64_t
token_cost(void)
{
	return cg_dp_tsc_ms / REPORTS_PER_MS + 1;
}

static void
credit_refill(struct port_st *ps, uint64_t now)
{
	int64_t max = (int64_t)(token_cost() * REPORT_BURST);

	if (ps->credit_at == 0 || now < ps->credit_at)
		ps->credit = max;
	else if (ps->credit < max)
		ps->credit = RTE_MIN(max, ps->credit + (int64_t)(now - ps->credit_at));
	ps->credit_at = now;
}

static bool
credit_ok(const struct port_st *ps)
{
	return ps->credit >= (int64_t)token_cost();
}

/* A report being filled for one port. */
struct report {
	uint16_t port;
	bool open;
	struct cg_pkt_igmp_v3_pack pk;
};

static void
report_flush(struct report *r)
{
	const struct cg_dp_port *p = &dp_g.ports[r->port];
	int len;

	if (!r->open)
		return;
	r->open = false;
	if (r->pk.nb_recs == 0)
		return;
	len = cg_pkt_igmp_v3_pack_finish(&r->pk, p->mac.addr_bytes, p->ip);
	if (len < 0) {
		CG_WARN("igmp: port %s: cannot build a report: %s", p->name, strerror(-len));
		return;
	}
	cg_dp_service_send(r->port, frame, len);
	ports[r->port].frames++;
}

/* Open a report: spends a token (the caller checked there was one, or overdraws). */
static bool
report_open(struct report *r)
{
	const struct cg_dp_port *p = &dp_g.ports[r->port];
	int ret;

	if (r->open)
		return true;
	ret = cg_pkt_igmp_v3_pack_init(&r->pk, frame, sizeof(frame), p->mtu ? p->mtu : 1500,
				       CG_PKT_NO_VLAN);
	if (ret < 0) {
		CG_WARN("igmp: port %s: mtu %u: cannot build a report: %s", p->name, p->mtu,
			strerror(-ret));
		return false;
	}
	ports[r->port].credit -= (int64_t)token_cost();
	r->open = true;
	return true;
}

/* Add one record, starting reports as needed; splits a long source list (4.2.16). */
static void
report_add(struct report *r, const struct grec *rec)
{
	const uint32_t *srcs = rec->srcs;
	uint32_t n = rec->n;

	for (;;) {
		int ret;

		if (!report_open(r))
			return;
		ret = cg_pkt_igmp_v3_pack_add(&r->pk, rec->type, rec->group_be, srcs, n);
		if (ret == -ENOSPC) {
			report_flush(r);
			continue;
		}
		if (ret < 0)
			return;
		if ((uint32_t)ret == n || rec->type == CG_PKT_IGMP_MODE_IS_EXCLUDE ||
		    rec->type == CG_PKT_IGMP_CHANGE_TO_EXCLUDE)
			return;
		srcs += ret;
		n -= (uint32_t)ret;
		report_flush(r);
	}
}

/*
 * Add records that belong together (one group's): in the open report if they
 * all fit, else in a new one. Returns false, adding nothing, when a new
 * report is needed and the port has no token left.
 */
static bool
report_add_group(struct report *r, const struct grec *recs, unsigned int n, bool force)
{
	size_t need = 0;

	for (unsigned int k = 0; k < n; k++)
		need += CG_PKT_IGMP_V3_REC_HLEN + 4 * (size_t)recs[k].n;
	if (r->open && r->pk.igmp_max - r->pk.igmp_len < need)
		report_flush(r);
	if (!r->open && !force && !credit_ok(&ports[r->port]))
		return false;
	for (unsigned int k = 0; k < n; k++)
		report_add(r, &recs[k]);
	return true;
}

/* A v2 report or leave, or a v1 report (v1 has no leave: nothing is sent). */
static void
send_old(uint16_t port, uint32_t group_be, bool leave)
{
	const struct cg_dp_port *p = &dp_g.ports[port];
	uint8_t f[128];
	int len;

	if (port_version(port) == 1) {
		if (leave)
			return;
		len = cg_pkt_igmp_build_v1_report(f, sizeof(f), p->mac.addr_bytes, p->ip,
						  group_be, CG_PKT_NO_VLAN);
	} else if (leave) {
		len = cg_pkt_igmp_build_v2_leave(f, sizeof(f), p->mac.addr_bytes, p->ip,
						 group_be, CG_PKT_NO_VLAN);
	} else {
		len = cg_pkt_igmp_build_v2_report(f, sizeof(f), p->mac.addr_bytes, p->ip,
						  group_be, CG_PKT_NO_VLAN);
	}
	if (len > 0)
		cg_dp_service_send(port, f, len);
	ports[port].credit -= (int64_t)token_cost();
	ports[port].frames++;
}

/* Current-state record of a group with members (query answers, refresh). */
static bool
current_record(const struct group *g, struct grec *rec)
{
	uint32_t *s, n = 0;

	rec->group_be = g->group_be;
	if (g->any_refcnt > 0) {
		rec->type = CG_PKT_IGMP_MODE_IS_EXCLUDE;
		rec->srcs = NULL;
		rec->n = 0;
		return true;
	}
	s = scratch_get(g->nb_srcs);
	if (s == NULL)
		return false;
	for (uint32_t k = 0; k < g->nb_srcs; k++)
		if (g->srcs[k].refcnt > 0)
			s[n++] = g->srcs[k].src_be;
	rec->type = CG_PKT_IGMP_MODE_IS_INCLUDE;
	rec->srcs = s;
	rec->n = n;
	return true;
}

/*
 * The records of group @p g's pending change (v3), at most two: a filter-mode
 * change carries the whole state (TO_EX {} or TO_IN {sources}); otherwise the
 * sources added (ALLOW) and removed (BLOCK) that still have sends left.
 */
static unsigned int
change_records(const struct group *g, struct grec recs[2])
{
	uint32_t *s = scratch_get(2 * g->nb_srcs), na = 0, nb = 0;
	unsigned int n = 0;

	if (s == NULL && g->nb_srcs > 0)
		return 0;
	if (g->mode_rtx > 0) {
		recs[0] = (struct grec){ .group_be = g->group_be };
		if (g->any_refcnt > 0) {
			recs[0].type = CG_PKT_IGMP_CHANGE_TO_EXCLUDE;
		} else {
			for (uint32_t k = 0; k < g->nb_srcs; k++)
				if (g->srcs[k].refcnt > 0)
					s[na++] = g->srcs[k].src_be;
			recs[0].type = CG_PKT_IGMP_CHANGE_TO_INCLUDE;
			recs[0].srcs = s;
			recs[0].n = na;
		}
		return 1;
	}
	for (uint32_t k = 0; k < g->nb_srcs; k++) {
		if (g->srcs[k].allow_rtx)
			s[na++] = g->srcs[k].src_be;
		if (g->srcs[k].block_rtx)
			s[g->nb_srcs + nb++] = g->srcs[k].src_be;
	}
	if (na)
		recs[n++] = (struct grec){ .type = CG_PKT_IGMP_ALLOW_NEW_SOURCES,
					   .group_be = g->group_be, .srcs = s, .n = na };
	if (nb)
		recs[n++] = (struct grec){ .type = CG_PKT_IGMP_BLOCK_OLD_SOURCES,
					   .group_be = g->group_be, .srcs = s + g->nb_srcs, .n = nb };
	return n;
}

/* Count one send of @p g's pending change; true when nothing is left to send. */
static bool
change_sent(struct group *g)
{
	bool left = false;

	if (g->mode_rtx > 0) {
		g->mode_rtx--;
		return g->mode_rtx == 0;
	}
	for (uint32_t k = 0; k < g->nb_srcs; k++) {
		struct src_ref *s = &g->srcs[k];

		if (s->allow_rtx)
			s->allow_rtx--;
		if (s->block_rtx)
			s->block_rtx--;
		left |= s->allow_rtx || s->block_rtx;
	}
	src_purge(g);
	return !left;
}

/*
 * One pass of the change round of @p port: report every queued group not yet
 * reported in this round, as long as there are tokens.
 */
static void
change_pass(uint16_t port, uint64_t now)
{
	struct port_st *ps = &ports[port];
	struct report r = { .port = port };
	const uint64_t uri = (shutting_down ? SHUTDOWN_RTX_MS : UNSOLICITED_MS) * cg_dp_tsc_ms;
	uint64_t frames0 = ps->frames;

	if (!ps->in_round) {
		if (ps->head == IDX_NONE) {
			ps->change_due = 0;
			return;
		}
		ps->in_round = true;
		ps->round++;
		ps->cursor = ps->head;
		ps->round_recs = ps->round_frames = 0;
		ps->round_fresh = ps->fresh;
		ps->fresh = false;
	}
	while (ps->cursor != IDX_NONE) {
		uint32_t i = ps->cursor;
		struct group *g = &tab[i];
		struct grec recs[2];
		unsigned int n;

		if (g->round == ps->round) {	/* cannot happen: visited ones move behind */
			ps->cursor = g->next;
			continue;
		}
		if (groups_only(port)) {
			if (!credit_ok(ps))
				break;
			send_old(port, g->group_be, group_empty(g));
			g->mode_rtx = g->mode_rtx ? g->mode_rtx - 1 : 0;
			/* source records pending from v3: the group's message covers them */
			for (uint32_t k = 0; k < g->nb_srcs; k++)
				g->srcs[k].allow_rtx = g->srcs[k].block_rtx = 0;
			src_purge(g);
			ps->round_recs++;
			n = g->mode_rtx == 0;
		} else {
			n = change_records(g, recs);
			if (n > 0 && !report_add_group(&r, recs, n, false))
				break;
			ps->round_recs += n;
			n = change_sent(g);
		}
		g->round = ps->round;
		ps->cursor = g->next;
		if (n) {	/* nothing left to send */
			list_unlink(ps, i);
			group_maybe_free(i);
		}
	}
	report_flush(&r);
	ps->round_frames += (uint32_t)(ps->frames - frames0);
	if (ps->cursor != IDX_NONE) {
		ps->change_due = 1;	/* out of tokens: go on at the next timer run */
		return;
	}
	ps->in_round = false;
	/* repetitions at debug */
	cg_log(ps->round_fresh ? CG_LOG_INFO : CG_LOG_DEBUG,
	       "igmp: port %s: state-change reports: %u records in %u %s; %u groups joined",
	       dp_g.ports[port].name, ps->round_recs, ps->round_frames,
	       ps->round_frames == 1 ? "frame" : "frames", ps->joined);
	ps->change_due = ps->head == IDX_NONE ? 0 : now + 1 + rte_rand_max(uri);
}

/* Start reporting the current state of @p port's groups, spread over @p spread ticks. */
static void
walk_start(uint16_t port, uint64_t now, uint64_t spread, bool at_once)
{
	struct port_st *ps = &ports[port];
	const struct cg_dp_port *p = &dp_g.ports[port];
	uint32_t per_frame = 1, frames;

	if (!groups_only(port)) {
		uint32_t mtu = p->mtu ? p->mtu : 1500;

		per_frame = (mtu - CG_PKT_IGMP_IP_HLEN - CG_PKT_IGMP_V3_HLEN) /
			    CG_PKT_IGMP_V3_REC_HLEN;
	}
	frames = ps->joined / per_frame + 1;
	ps->walk_pos = 0;
	ps->walk_step = spread / frames;
	ps->walk_due = at_once ? 1 : now + 1 + rte_rand_max(ps->walk_step + 1);
}

/* Send the walk's frames that are due, one per step. */
static void
walk_pass(uint16_t port, uint64_t now)
{
	struct port_st *ps = &ports[port];

	if (ps->walk_due == 1)
		ps->walk_due = now;	/* "at once": the steps count from now */
	while (ps->walk_due != 0 && now >= ps->walk_due && credit_ok(ps)) {
		struct report r = { .port = port };
		uint64_t sent = ps->frames;

		while (ps->walk_pos < tab_hi && ps->frames == sent) {
			const struct group *g = &tab[ps->walk_pos];
			struct grec rec;

			if (!g->used || g->port != port || group_empty(g)) {
				ps->walk_pos++;
				continue;
			}
			if (groups_only(port)) {
				send_old(port, g->group_be, false);
			} else {
				if (!current_record(g, &rec)) {
					ps->walk_pos++;	/* out of memory: skip it */
					continue;
				}
				/* a full report is this step's frame; g starts the next */
				if (r.open && !cg_pkt_igmp_v3_pack_fits(&r.pk, rec.n))
					break;
				report_add_group(&r, &rec, 1, true);
			}
			ps->walk_pos++;
		}
		report_flush(&r);
		/* Steps finer than the timer run catch up within it; the tokens
		 * bound any catching up after a stall. */
		if (ps->walk_pos >= tab_hi)
			ps->walk_due = 0;
		else
			ps->walk_due += ps->walk_step;
	}
}

/* Answer the group-specific queries that are due. */
static void
query_pass(uint64_t now)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < qlist_n; k++) {
		uint32_t i = qlist[k];
		struct group *g = &tab[i];
		struct grec rec;

		if (!g->used || g->query_due == 0)
			continue;	/* gone, or answered */
		if (now < g->query_due || !credit_ok(&ports[g->port])) {
			qlist[n++] = i;
			continue;
		}
		g->query_due = 0;
		if (group_empty(g))
			continue;
		if (groups_only(g->port)) {
			send_old(g->port, g->group_be, false);
		} else if (current_record(g, &rec)) {
			struct report r = { .port = g->port };

			report_add_group(&r, &rec, 1, true);
			report_flush(&r);
		}
	}
	qlist_n = n;
}

/* ------------------------------------------------------------------------ */
/* Older version queriers (RFC 3376 7.2.1)                                  */

/*
 * A v@p version (1 or 2) query came on @p port: (re)start that version's
 * Older Version Querier Present timer. Returns whether the port's version
 * changed, so that the query is answered afresh (a walk in progress was
 * paced for the other form, and 7.2.1 cancels pending responses).
 */
static bool
older_querier(uint16_t port, uint8_t version, uint64_t now)
{
	struct port_st *ps = &ports[port];
	uint64_t ms = cg_dp_igmp_older_querier_ms(robustness, query_interval_s, query_resp_ds);
	uint8_t before = port_version(port);

	ps->older_until[version - 1] = now + ms * cg_dp_tsc_ms;
	if (port_version(port) == before)
		return false;
	CG_INFO("igmp: port %s: IGMPv%u querier seen: sending v%u reports for %" PRIu64 " s",
		dp_g.ports[port].name, version, port_version(port), ms / 1000);
	return true;
}

/* End the older querier timers of @p port that ran out. */
static void
older_expire(uint16_t port, uint64_t now)
{
	struct port_st *ps = &ports[port];

	for (uint8_t v = 1; v <= 2; v++) {
		uint8_t before = port_version(port);

		if (ps->older_until[v - 1] == 0 || now < ps->older_until[v - 1])
			continue;
		ps->older_until[v - 1] = 0;
		if (port_version(port) != before)
			CG_INFO("igmp: port %s: no IGMPv%u querier heard for its timeout: "
				"sending v%u reports", dp_g.ports[port].name, v, port_version(port));
	}
}

/* ------------------------------------------------------------------------ */
/* API                                                                      */

void
cg_dp_igmp_join(uint16_t port, uint32_t group_be, uint32_t src_be)
{
	uint32_t i = port < CG_DP_MAX_PORTS ? group_lookup(port, group_be) : IDX_NONE;
	char gb[INET_ADDRSTRLEN];
	struct group *g;
	bool old;

	if (port >= CG_DP_MAX_PORTS)
		return;
	ports_init();
	old = groups_only(port);
	if (i == IDX_NONE)
		i = group_new(port, group_be);
	if (i == IDX_NONE) {
		CG_WARN("igmp: port %s: out of memory, not joining %s", dp_g.ports[port].name,
			inet_ntop(AF_INET, &group_be, gb, sizeof(gb)));
		return;
	}
	g = &tab[i];
	if (src_be == 0) {
		if (g->any_refcnt++ == 0) {
			bool was_empty = g->nb_live == 0;

			/* INCLUDE -> EXCLUDE {}: the mode record says it all. */
			for (uint32_t k = 0; k < g->nb_srcs; k++)
				g->srcs[k].allow_rtx = g->srcs[k].block_rtx = 0;
			src_purge(g);
			/* v2 knows groups only: a group already reported stays reported. */
			if (!old || was_empty) {
				g->mode_rtx = robustness;
				changed(i);
			}
		}
	} else {
		struct src_ref *s = src_find(g, src_be);

		if (s != NULL && s->refcnt > 0) {
			s->refcnt++;
		} else {
			bool was_empty = group_empty(g);

			if (s == NULL)
				s = src_add(g, src_be);
			if (s == NULL) {
				CG_WARN("igmp: port %s: group %s: out of memory, not joining a "
					"source", dp_g.ports[port].name,
					inet_ntop(AF_INET, &group_be, gb, sizeof(gb)));
				group_maybe_free(i);
				return;
			}
			s->refcnt = 1;
			s->block_rtx = 0;
			g->nb_live++;
			/* In EXCLUDE {} mode we already receive every source. */
			if (old && was_empty) {
				g->mode_rtx = robustness;
				changed(i);
			} else if (!old && g->any_refcnt == 0) {
				if (g->mode_rtx > 0)	/* a TO_IN in flight: resend the whole set */
					g->mode_rtx = robustness;
				else
					s->allow_rtx = robustness;
				changed(i);
			}
		}
	}
	update_joined(g);
}

void
cg_dp_igmp_leave(uint16_t port, uint32_t group_be, uint32_t src_be)
{
	uint32_t i = port < CG_DP_MAX_PORTS ? group_lookup(port, group_be) : IDX_NONE;
	struct group *g;

	if (i == IDX_NONE)
		return;
	g = &tab[i];
	if (src_be == 0) {
		if (g->any_refcnt == 0 || --g->any_refcnt > 0)
			return;
		/* EXCLUDE {} -> INCLUDE {remaining sources}; {} means leave. */
		if (!groups_only(port)) {
			g->mode_rtx = robustness;
			changed(i);
		} else if (g->nb_live == 0) {
			g->mode_rtx = 1;	/* one v2 leave (RFC 2236 3) */
			changed(i);
		}
	} else {
		struct src_ref *s = src_find(g, src_be);

		if (s == NULL || s->refcnt == 0 || --s->refcnt > 0)
			return;
		g->nb_live--;
		s->allow_rtx = 0;
		if (groups_only(port)) {
			if (group_empty(g)) {
				g->mode_rtx = 1;
				changed(i);
			}
		} else if (g->any_refcnt == 0) {
			if (g->mode_rtx > 0)
				g->mode_rtx = robustness;	/* the TO_IN carries the new set */
			else
				s->block_rtx = robustness;
			changed(i);
		}
		src_purge(g);
	}
	update_joined(g);
	group_maybe_free(i);
}

void
cg_dp_igmp_input(uint16_t port, const uint8_t *igmp, uint32_t len, uint64_t now)
{
	struct cg_pkt_igmp msg;
	enum cg_pkt_igmp_err err;
	uint64_t mrt;
	bool switched = false;

	err = cg_pkt_igmp_parse(igmp, len, &msg);
	if (err != CG_PKT_IGMP_OK) {
		cg_dp_ctrs_self()->drops[CG_SHM_DROP_IGMP_MALFORMED]++;
		CG_DEBUG("igmp: port %s: %s", dp_g.ports[port].name, cg_pkt_igmp_err_name(err));
		return;
	}
	if (msg.type != CG_PKT_IGMP_QUERY || port >= CG_DP_MAX_PORTS)
		return;		/* other hosts' reports: nothing to do for us */
	/* RFC 3376 4.1.6, 4.1.7, 8.3: adopt the querier's robustness and intervals. */
	if (msg.version == 3) {
		if (msg.qrv > 0)
			robustness = msg.qrv;
		if (msg.qqi_s > 0)
			query_interval_s = msg.qqi_s;
		if (msg.group_be == 0 && msg.max_resp_ds > 0)
			query_resp_ds = msg.max_resp_ds;
	} else {
		switched = older_querier(port, msg.version, now);
	}
	/* Answer within the max response time (>= 1 ms). */
	mrt = msg.max_resp_ds ? (uint64_t)msg.max_resp_ds * 100 * cg_dp_tsc_ms : cg_dp_tsc_ms;
	if (msg.group_be == 0) {
		/* 5.2: a response already scheduled (a walk in progress) stands. */
		if (ports[port].walk_due == 0 || switched)
			walk_start(port, now, mrt, false);
		return;
	}
	uint32_t i = group_lookup(port, msg.group_be);
	uint64_t due = now + 1 + rte_rand_max(mrt);

	if (i == IDX_NONE || group_empty(&tab[i]))
		return;
	if (tab[i].query_due == 0) {
		if (qlist_n == qlist_cap) {
			uint32_t cap = qlist_cap ? 2 * qlist_cap : 16;
			uint32_t *q = realloc(qlist, sizeof(*q) * cap);

			if (q == NULL)
				return;
			qlist = q;
			qlist_cap = cap;
		}
		qlist[qlist_n++] = i;
		tab[i].query_due = due;
	} else if (tab[i].query_due > due) {
		tab[i].query_due = due;
	}
}

void
cg_dp_igmp_timer(uint64_t now)
{
	const uint64_t interval = (uint64_t)dp_g.p.igmp_interval_s * 1000 * cg_dp_tsc_ms;
	const uint64_t uri = UNSOLICITED_MS * cg_dp_tsc_ms;

	ports_init();
	if (unlogged > 0)
		CG_INFO("igmp: %u more joins and leaves (the debug log shows them)", unlogged);
	logged = unlogged = 0;
	if (refresh_at == 0)
		refresh_at = now + interval;
	if (interval && now >= refresh_at) {
		for (uint16_t p = 0; p < dp_g.nb_ports; p++)
			if (ports[p].walk_due == 0)
				walk_start(p, now, uri, false);
		refresh_at = now + interval;
	}
	for (uint16_t p = 0; p < dp_g.nb_ports; p++) {
		struct port_st *ps = &ports[p];

		older_expire(p, now);
		credit_refill(ps, now);
		if (ps->change_due && now >= ps->change_due)
			change_pass(p, now);
		if (ps->walk_due && now >= ps->walk_due)
			walk_pass(p, now);
	}
	if (qlist_n > 0)
		query_pass(now);
}

void
cg_dp_igmp_port_up(uint16_t port)
{
	if (port < CG_DP_MAX_PORTS)
		walk_start(port, 0, UNSOLICITED_MS * cg_dp_tsc_ms, true);
}

uint32_t
cg_dp_igmp_joined(uint16_t port)
{
	return port < CG_DP_MAX_PORTS ? ports[port].joined : 0;
}

uint64_t
cg_dp_igmp_reports(uint16_t port)
{
	return port < CG_DP_MAX_PORTS ? ports[port].frames : 0;
}

uint8_t
cg_dp_igmp_version(uint16_t port)
{
	return port < CG_DP_MAX_PORTS ? port_version(port) : (uint8_t)dp_g.p.igmp_version;
}

void
cg_dp_igmp_leave_all(void (*drain)(void))
{
	uint64_t now = rte_rdtsc(), deadline = now + SHUTDOWN_MAX_MS * cg_dp_tsc_ms;
	uint32_t left = 0;

	ports_init();
	shutting_down = true;
	/* Every membership ends: TO_IN {} (v3) or a leave (v2; none in v1), sent robustness times. */
	for (uint32_t i = 0; i < tab_hi; i++) {
		struct group *g = &tab[i];

		if (!g->used || group_empty(g))
			continue;
		g->any_refcnt = 0;
		g->nb_live = 0;
		g->nb_srcs = 0;
		g->mode_rtx = robustness;
		update_joined(g);
		changed(i);
	}
	for (;;) {
		bool busy = false;

		now = rte_rdtsc();
		for (uint16_t p = 0; p < dp_g.nb_ports && p < CG_DP_MAX_PORTS; p++) {
			struct port_st *ps = &ports[p];

			credit_refill(ps, now);
			if (ps->change_due && now >= ps->change_due)
				change_pass(p, now);
			busy |= ps->head != IDX_NONE;
		}
		if (drain != NULL)
			drain();
		if (!busy || now >= deadline)
			break;
		rte_delay_us_sleep(SHUTDOWN_POLL_US);
	}
	if (unlogged > 0)
		CG_INFO("igmp: %u more groups left (the debug log shows them)", unlogged);
	logged = unlogged = 0;
	for (uint16_t p = 0; p < CG_DP_MAX_PORTS; p++)
		for (uint32_t i = ports[p].head; i != IDX_NONE; i = tab[i].next)
			left++;
	if (left > 0)
		CG_WARN("igmp: %u groups not left within %d ms of shutdown (they expire on the "
			"switch)", left, SHUTDOWN_MAX_MS);
	for (uint32_t i = 0; i < tab_hi; i++)
		free(tab[i].srcs);
	free(tab);
	free(hidx);
	free(scratch);
	free(qlist);
	tab = NULL;
	hidx = NULL;
	scratch = NULL;
	qlist = NULL;
	tab_cap = tab_hi = hidx_mask = hidx_n = scratch_cap = qlist_n = qlist_cap = 0;
	free_head = IDX_NONE;
	memset(ports, 0, sizeof(ports));
	robustness = DEFAULT_ROBUSTNESS;
	query_interval_s = DEFAULT_QUERY_INTERVAL_S;
	query_resp_ds = DEFAULT_QUERY_RESP_DS;
	ports_ready = false;
	shutting_down = false;
}
