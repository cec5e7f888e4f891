/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP responder and next hop resolver. Main lcore only, except the MAC
 * words read by workers (see dp_arp.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_memzone.h>

#include "cg_log.h"
#include "cg_pkt.h"
#include "dp.h"
#include "dp_arp.h"
#include "dp_service.h"
#include "dp_stats.h"

#define NH_MZ_NAME "cg_nexthops"
/* Refresh a resolved entry when this fraction of its lifetime is left, so
 * that a live next hop is re-confirmed before it expires. */
#define REFRESH_FRACTION 5	/* last 1/5 */
/* Builders pad to 60/64 bytes; ARP frames are never larger. */
#define ARP_FRAME_MAX 64

enum nh_state {
	NH_FREE = 0,
	NH_INCOMPLETE,		/* querying, not usable */
	NH_REACHABLE,		/* MAC valid until expire */
};

struct nh_entry {
	enum nh_state state;
	uint16_t port;
	uint32_t ip_be;
	uint32_t refcnt;
	uint32_t tries;		/* requests sent in the current round */
	uint64_t next_try;	/* TSC of the next request */
	uint64_t expire;	/* TSC when a REACHABLE entry becomes invalid */
	/* TSC of our last request for it still unanswered, 0 = none: only an
	 * answer to it may bind or rebind the entry. */
	uint64_t asked;
	/* TSC of a unicast request to the MAC it has, sent when another MAC was
	 * claimed for it; 0 = none. Unconfirmed after arp_retry_ms: ask anew. */
	uint64_t verify;
	bool warned;
	bool warned_unasked;	/* logged an unasked binding since the last answer */
};

uint64_t *cg_dp_nh_mac;
static struct nh_entry nh_tab[CG_DP_MAX_NH];
static bool announce_due[CG_DP_MAX_PORTS];	/* link came up: announce at the next timer */

int
cg_dp_arp_init(void)
{
	const struct rte_memzone *mz;

	mz = rte_memzone_reserve(NH_MZ_NAME, sizeof(uint64_t) * CG_DP_MAX_NH,
				 (int)rte_socket_id(), 0);
	if (mz == NULL) {
		CG_ERR("arp: rte_memzone_reserve %s: %s", NH_MZ_NAME, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	cg_dp_nh_mac = mz->addr;
	memset(cg_dp_nh_mac, 0, mz->len);
	memset(nh_tab, 0, sizeof(nh_tab));
	memset(announce_due, 0, sizeof(announce_due));
	return 0;
}

static void
nh_publish(uint32_t nh, const uint8_t *mac)
{
	uint64_t w = 0;

	if (mac != NULL) {
		for (int i = 0; i < 6; i++)
			w = (w << 8) | mac[i];
		w |= CG_DP_NH_VALID;
	}
	__atomic_store_n(&cg_dp_nh_mac[nh], w, __ATOMIC_RELEASE);
}

static const char *
ip_str(uint32_t ip_be, char *buf)
{
	return inet_ntop(AF_INET, &ip_be, buf, INET_ADDRSTRLEN);
}

/* A who-has for @p e: broadcast (an answer may bind it), or unicast to
 * @p mac, the one it has (only that MAC's answer confirms it). */
static void
send_request(struct nh_entry *e, uint64_t now, const uint8_t *mac)
{
	const struct cg_dp_port *p = &dp_g.ports[e->port];
	uint8_t f[ARP_FRAME_MAX];
	int len;

	len = cg_pkt_arp_build_request(f, sizeof(f), p->mac.addr_bytes, p->ip, e->ip_be,
				       CG_PKT_NO_VLAN);
	if (len <= 0)
		return;
	if (mac != NULL)
		memcpy(f, mac, 6);
	if (cg_dp_service_send(e->port, f, len) == 0)
		*(mac != NULL ? &e->verify : &e->asked) = now;
}

int
cg_dp_arp_nh_ref(uint16_t port, uint32_t ip_be)
{
	int free_idx = -1;

	for (int i = 0; i < CG_DP_MAX_NH; i++) {
		struct nh_entry *e = &nh_tab[i];

		if (e->state == NH_FREE) {
			if (free_idx < 0)
				free_idx = i;
			continue;
		}
		if (e->port == port && e->ip_be == ip_be) {
			e->refcnt++;
			return i;
		}
	}
	if (free_idx < 0)
		return -ENOSPC;
	nh_tab[free_idx] = (struct nh_entry){
		.state = NH_INCOMPLETE, .port = port, .ip_be = ip_be, .refcnt = 1,
	};
	nh_publish((uint32_t)free_idx, NULL);
	/* Ask now, so that an answer that comes before the next timer run is
	 * one to a request we made (a link not up yet: the timer asks once it is). */
	if (dp_g.port_tx[port]) {
		struct nh_entry *e = &nh_tab[free_idx];
		uint64_t now = rte_rdtsc();

		send_request(e, now, NULL);
		if (e->asked != 0) {
			e->tries = 1;
			e->next_try = now + (uint64_t)dp_g.p.arp_retry_ms * cg_dp_tsc_ms;
		}
	}
	return free_idx;
}

void
cg_dp_arp_nh_unref(uint32_t nh)
{
	struct nh_entry *e;

	if (nh >= CG_DP_MAX_NH || nh_tab[nh].state == NH_FREE)
		return;
	e = &nh_tab[nh];
	if (--e->refcnt > 0)
		return;
	/* No rule references it: no worker reads it after the rule's grace period. */
	nh_publish(nh, NULL);
	memset(e, 0, sizeof(*e));
}

static void
mac_str(const uint8_t *m, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* @p e (index @p i) is at @p mac, as an answer of it says. */
static void
nh_bind(struct nh_entry *e, uint32_t i, const uint8_t *mac, uint64_t now, uint64_t timeout)
{
	char ipb[INET_ADDRSTRLEN], mb[18];
	uint8_t cur[6];

	if (e->state != NH_REACHABLE || !cg_dp_nh_get(i, cur) || memcmp(cur, mac, 6) != 0) {
		mac_str(mac, mb);
		CG_INFO("arp: port %s: next hop %s is at %s", dp_g.ports[e->port].name,
			ip_str(e->ip_be, ipb), mb);
	}
	e->state = NH_REACHABLE;
	e->tries = 0;
	e->asked = 0;
	e->verify = 0;
	e->warned = false;
	e->warned_unasked = false;
	e->expire = now + timeout;
	e->next_try = e->expire - timeout / REFRESH_FRACTION;
	nh_publish(i, mac);
}

/*
 * A binding for a next hop of ours (port, spa). Only an answer binds: a
 * reply from it, to this port's address, while a request of ours for it is
 * outstanding (sent and not answered yet). Anything else (a gratuitous ARP,
 * a request, an unsolicited reply) is refused when it would change what the
 * entry holds, so that no host on the link can redirect an output by
 * speaking first. Such a claim on a resolved next hop makes us check the
 * MAC it has with a unicast request, which a third host does not see:
 * confirmed, nothing changes; silent for arp_retry_ms (the next hop moved,
 * a router failover), the timer asks anew by broadcast and the answer
 * rebinds it.
 * @return false when it was refused (the caller counts arp_rejected)
 */
static bool
learn(uint16_t port, const struct cg_pkt_arp *arp)
{
	const struct cg_dp_port *p = &dp_g.ports[port];
	const uint64_t timeout = (uint64_t)dp_g.p.arp_timeout_s * 1000 * cg_dp_tsc_ms;
	uint64_t now = rte_rdtsc();
	char ipb[INET_ADDRSTRLEN], mb[18];
	bool ok = true;

	for (uint32_t i = 0; i < CG_DP_MAX_NH; i++) {
		struct nh_entry *e = &nh_tab[i];
		bool to_us = arp->op == CG_PKT_ARP_OP_REPLY && arp->tpa_be == p->ip;
		bool has = false;
		uint8_t cur[6];

		if (e->state == NH_FREE || e->port != port || e->ip_be != arp->spa_be)
			continue;
		/* A reply a whole arp_timeout_s after our request answers nothing
		 * we still wait for (the timer asks again long before). */
		if (to_us && e->asked != 0 && now - e->asked < timeout) {
			nh_bind(e, i, arp->sha, now, timeout);
			continue;
		}
		has = e->state == NH_REACHABLE && cg_dp_nh_get(i, cur);
		if (has && memcmp(cur, arp->sha, 6) == 0) {
			/* The MAC it has: nothing to change; the answer to our check. */
			if (to_us && e->verify != 0)
				nh_bind(e, i, arp->sha, now, timeout);
			continue;
		}
		ok = false;
		if (!e->warned_unasked) {
			mac_str(arp->sha, mb);
			CG_WARN("arp: port %s: next hop %s: %s says it is at %s, but we did not "
				"ask; ignored (counted as arp_rejected)%s", p->name,
				ip_str(e->ip_be, ipb),
				arp->op == CG_PKT_ARP_OP_REPLY ? "a reply" : "a request", mb,
				has ? ", checking the MAC it has" : "");
			e->warned_unasked = true;
		}
		if (has && e->verify == 0 && e->asked == 0)
			send_request(e, now, cur);
	}
	return ok;
}

/* Why no host sends this ARP message (NULL: it may be answered and learnt from). */
static const char *
arp_sender_problem(const struct cg_pkt_info *pi, const struct cg_pkt_arp *arp)
{
	static const uint8_t zero[6];

	if ((arp->sha[0] & 1) || (pi->src_mac[0] & 1))
		return "multicast or broadcast sender MAC";
	if (memcmp(arp->sha, zero, 6) == 0)
		return "all-zero sender MAC";
	/* 0.0.0.0 is an address probe (RFC 5227): a request, never a binding. */
	if (arp->spa_be == 0)
		return arp->op == CG_PKT_ARP_OP_REQUEST ? NULL : "reply from 0.0.0.0";
	if (cg_pkt_ipv4_src_bad(((const uint8_t *)&arp->spa_be)[0]))
		return "sender IP in 0/8, 127/8 or 224/3";
	return NULL;
}

void
cg_dp_arp_input(uint16_t port, const uint8_t *frame, uint32_t len,
		const struct cg_pkt_info *pi)
{
	const struct cg_dp_port *p = &dp_g.ports[port];
	struct cg_pkt_arp arp;
	enum cg_pkt_arp_err aerr;
	const char *why;
	uint8_t f[ARP_FRAME_MAX];
	int flen;

	aerr = cg_pkt_arp_parse(frame + pi->l3_off, len - pi->l3_off, &arp);
	if (aerr != CG_PKT_ARP_OK) {
		cg_dp_ctrs_self()->drops[CG_SHM_DROP_ARP_MALFORMED]++;
		CG_DEBUG("arp: port %s: %s", p->name, cg_pkt_arp_err_name(aerr));
		return;
	}
	why = arp_sender_problem(pi, &arp);
	if (why != NULL) {
		cg_dp_ctrs_self()->drops[CG_SHM_DROP_ARP_REJECTED]++;
		CG_DEBUG("arp: port %s: ignored: %s", p->name, why);
		return;
	}
	if (arp.spa_be != 0 && !learn(port, &arp))
		cg_dp_ctrs_self()->drops[CG_SHM_DROP_ARP_REJECTED]++;
	/* Answered as Linux does, probes included (tpa = 0 then: the prober). */
	if (arp.op == CG_PKT_ARP_OP_REQUEST && !arp.gratuitous && p->ip != 0 &&
	    arp.tpa_be == p->ip) {
		flen = cg_pkt_arp_build_reply(f, sizeof(f), p->mac.addr_bytes, p->ip, arp.sha,
					      arp.spa_be, CG_PKT_NO_VLAN);
		if (flen > 0)
			cg_dp_service_send(port, f, flen);
	}
}

void
cg_dp_arp_announce(uint16_t port)
{
	const struct cg_dp_port *p = &dp_g.ports[port];
	uint8_t f[ARP_FRAME_MAX];
	int len;

	/* Down: it would only be dropped; cg_dp_arp_port_up() announces later. */
	if (p->ip == 0 || !dp_g.port_tx[port])
		return;
	len = cg_pkt_arp_build_gratuitous(f, sizeof(f), p->mac.addr_bytes, p->ip,
					  CG_PKT_NO_VLAN);
	if (len > 0)
		cg_dp_service_send(port, f, len);
}

void
cg_dp_arp_port_up(uint16_t port)
{
	if (port >= CG_DP_MAX_PORTS)
		return;
	announce_due[port] = true;
	for (uint32_t i = 0; i < CG_DP_MAX_NH; i++) {
		struct nh_entry *e = &nh_tab[i];

		/* Reachable ones too: the host behind may have changed meanwhile. */
		if (e->state != NH_FREE && e->port == port) {
			e->tries = 0;
			e->next_try = 0;
			e->warned = false;
		}
	}
}

void
cg_dp_arp_timer(uint64_t now)
{
	const uint64_t retry = (uint64_t)dp_g.p.arp_retry_ms * cg_dp_tsc_ms;
	const uint64_t timeout = (uint64_t)dp_g.p.arp_timeout_s * 1000 * cg_dp_tsc_ms;
	char ipb[INET_ADDRSTRLEN];

	for (uint16_t p = 0; p < dp_g.nb_ports; p++) {
		if (announce_due[p]) {
			announce_due[p] = false;
			cg_dp_arp_announce(p);
		}
	}
	for (uint32_t i = 0; i < CG_DP_MAX_NH; i++) {
		struct nh_entry *e = &nh_tab[i];

		if (e->state == NH_FREE)
			continue;
		if (e->state == NH_REACHABLE && now >= e->expire) {
			CG_WARN("arp: port %s: next hop %s expired", dp_g.ports[e->port].name,
				ip_str(e->ip_be, ipb));
			nh_publish(i, NULL);
			e->state = NH_INCOMPLETE;
			e->tries = 0;
			e->next_try = now;
		}
		if (e->verify != 0 && now - e->verify >= retry) {
			CG_WARN("arp: port %s: next hop %s did not confirm its MAC after another "
				"was claimed for it; asking again", dp_g.ports[e->port].name,
				ip_str(e->ip_be, ipb));
			e->verify = 0;
			e->tries = 0;
			e->next_try = now;
		}
		/* A request on a down link is lost: keep the round for link up. */
		if (now < e->next_try || !dp_g.port_tx[e->port])
			continue;
		if (e->tries < dp_g.p.arp_max_retries) {
			send_request(e, now, NULL);
			e->tries++;
			e->next_try = now + retry;
			continue;
		}
		/* Round exhausted. Reachable: it expires on its own. Incomplete: pause
		 * one timeout, then start a new round (next hops may come up late). */
		if (e->state == NH_INCOMPLETE && !e->warned) {
			CG_WARN("arp: port %s: next hop %s unresolved after %u requests; "
				"its outputs drop until it answers", dp_g.ports[e->port].name,
				ip_str(e->ip_be, ipb), e->tries);
			e->warned = true;
		}
		e->tries = 0;
		e->next_try = e->state == NH_INCOMPLETE ? now + timeout : e->expire;
	}
}
