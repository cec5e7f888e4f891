/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rule table: rte_hash + slot memzone + RCU. See dp_rules.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <rte_rcu_qsbr.h>

#include "cg_log.h"
#include "cg_pkt.h"
#include "cg_rule.h"
#include "dp.h"
#include "dp_arp.h"
#include "dp_igmp.h"
#include "dp_rules.h"
#include "dp_stats.h"
#include "dp_xdp.h"

/* Memzone names are fixed (the file prefix already isolates processes), so a
 * secondary process can look them up; CG_SHM_MZ_RULES is the shared one. The
 * hash and the RCU variable are the primary's alone (secondaries never call
 * rte_hash_* on it: its hash function pointer is ours). */
#define RULES_QSBR_MZ_NAME "cg_rules_qsbr"
#define RULES_HASH_NAME "cg_rules_hash"
/* The cuckoo hash needs headroom to place keys; twice the slots is ample. */
#define RULES_HASH_PER_SLOT 2

struct rte_hash *cg_dp_rule_hash;
struct cg_shm_rules *cg_dp_rules;
struct rte_rcu_qsbr *cg_dp_rules_qsbr;
struct cg_dp_rule_fast *cg_dp_rule_fast;
volatile uint64_t cg_dp_rules_epoch = 1;	/* flow cache entries: 0 is empty */

static const struct rte_memzone *rules_mz, *qsbr_mz;
/* Free slots, a stack (primary-private): allocation and release are O(1). */
static uint32_t *free_stack;
static uint32_t nb_free;
volatile uint32_t cg_dp_rules_nb_sg;

/* Readers outside the fast path (telemetry thread) take this to see whole rules. */
pthread_mutex_t cg_dp_ctl_lock = PTHREAD_MUTEX_INITIALIZER;

int
cg_dp_rules_init(unsigned int nb_readers)
{
	struct rte_hash_parameters hp = {
		.name = RULES_HASH_NAME,
		.entries = dp_g.p.max_rules * RULES_HASH_PER_SLOT,
		.key_len = sizeof(struct cg_dp_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = CG_DP_RULE_HASH_SEED,	/* cg_dp_key_sig() */
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	uint32_t n = dp_g.p.max_rules, nout = dp_g.p.max_outputs;
	size_t sz = cg_shm_rules_size(n, nout), qsz;
	int ret;

	rules_mz = rte_memzone_reserve_aligned(CG_SHM_MZ_RULES, sz, (int)rte_socket_id(), 0,
					       RTE_CACHE_LINE_SIZE);
	if (rules_mz == NULL) {
		CG_ERR("rules: rte_memzone_reserve %s (%zu MB for %u rule slots): %s; the rule "
		       "table needs about %" PRIu64 " MB in all: lower dataplane.max_rules (or "
		       "max_outputs) or raise dataplane.memory_mb", CG_SHM_MZ_RULES, sz >> 20, n,
		       rte_strerror(rte_errno),
		       (cg_shm_rules_mem(n, nout, rte_lcore_count()) + (1u << 20) - 1) >> 20);
		return -ENOMEM;
	}
	cg_dp_rule_fast = rte_zmalloc_socket("cg_rules_fast", (size_t)n * sizeof(*cg_dp_rule_fast),
					     sizeof(*cg_dp_rule_fast), (int)rte_socket_id());
	if (cg_dp_rule_fast == NULL) {
		CG_ERR("rules: rte_zmalloc (%zu MB of fast-path records for %u rule slots): out "
		       "of memory; lower dataplane.max_rules or raise dataplane.memory_mb",
		       ((size_t)n * sizeof(*cg_dp_rule_fast)) >> 20, n);
		return -ENOMEM;
	}
	cg_dp_rules = rules_mz->addr;
	memset(cg_dp_rules, 0, sizeof(*cg_dp_rules));
	cg_dp_rules->nb_slots = n;
	cg_dp_rules->max_outputs = nout;
	cg_dp_rules->slot_size = (uint32_t)cg_shm_rule_slot_size(nout);
	cg_shm_idx_init(cg_dp_rules);
	/* Slots are zeroed page by page as they are first used, not all up front. */
	free_stack = malloc((size_t)n * sizeof(*free_stack));
	if (free_stack == NULL) {
		CG_ERR("rules: out of memory for %u free-slot entries", n);
		return -ENOMEM;
	}
	/* Lowest slot on top: the first rules take slots 0, 1, 2... */
	for (nb_free = 0; nb_free < n; nb_free++)
		free_stack[nb_free] = n - 1 - nb_free;

	qsz = rte_rcu_qsbr_get_memsize(nb_readers);
	qsbr_mz = rte_memzone_reserve_aligned(RULES_QSBR_MZ_NAME, qsz, (int)rte_socket_id(), 0,
					      RTE_CACHE_LINE_SIZE);
	if (qsbr_mz == NULL) {
		CG_ERR("rules: rte_memzone_reserve %s: %s", RULES_QSBR_MZ_NAME,
		       rte_strerror(rte_errno));
		return -ENOMEM;
	}
	cg_dp_rules_qsbr = qsbr_mz->addr;
	ret = rte_rcu_qsbr_init(cg_dp_rules_qsbr, nb_readers);
	if (ret != 0) {
		CG_ERR("rules: rte_rcu_qsbr_init: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	for (unsigned int i = 0; i < nb_readers; i++)
		rte_rcu_qsbr_thread_register(cg_dp_rules_qsbr, i);

	cg_dp_rule_hash = rte_hash_create(&hp);
	if (cg_dp_rule_hash == NULL) {
		CG_ERR("rules: rte_hash_create %s (%u entries): %s; lower dataplane.max_rules or "
		       "raise dataplane.memory_mb", RULES_HASH_NAME, hp.entries,
		       rte_strerror(rte_errno));
		return -rte_errno ? -rte_errno : -ENOMEM;
	}
	return 0;
}

/* By the shared rule index (lib/shm): O(1). */
static struct cg_shm_rule_slot *
find_by_name(const char *name, uint32_t *slot)
{
	int i = cg_shm_rule_find_name(cg_dp_rules, name);

	if (i < 0)
		return NULL;
	*slot = (uint32_t)i;
	return cg_shm_rule_slot(cg_dp_rules, i);
}

static struct cg_shm_rule_slot *
find_by_id(uint32_t id, const char *except_name)
{
	int i = cg_shm_rule_find_id(cg_dp_rules, id);

	if (i < 0 || strcmp(cg_shm_rule_slot(cg_dp_rules, i)->rule.name, except_name) == 0)
		return NULL;
	return cg_shm_rule_slot(cg_dp_rules, i);
}

/* The slot whose key equals @p key, or NULL. */
static const struct cg_shm_rule_slot *
find_by_key(const struct cg_dp_key *key)
{
	void *data;

	if (rte_hash_lookup_data(cg_dp_rule_hash, key, &data) < 0)
		return NULL;
	return cg_shm_rule_slot(cg_dp_rules, (uint32_t)(uintptr_t)data);
}

static const char *
origin_name(uint8_t origin)
{
	return origin == CG_SHM_ORIGIN_CONFIG ? "config" :
	       origin == CG_SHM_ORIGIN_API ? "api" : "unknown";
}

static int
alloc_slot(uint32_t *slot)
{
	if (nb_free == 0)
		return -ENOSPC;
	*slot = free_stack[--nb_free];
	return 0;
}

static void
push_free(uint32_t slot)
{
	free_stack[nb_free++] = slot;
}

static bool
in_prefix(uint32_t a_be, uint32_t net_be, uint8_t prefix_len)
{
	uint32_t mask = prefix_len ? ~0u << (32 - prefix_len) : 0;

	return (rte_be_to_cpu_32(a_be) & mask) == (rte_be_to_cpu_32(net_be) & mask);
}

/* A resolved port: the id exists and carries that name (a request from
 * another process may have resolved names against something else). */
static bool
port_ok(uint16_t port_id, const char *name)
{
	return port_id < dp_g.nb_ports && strcmp(dp_g.ports[port_id].name, name) == 0;
}

static void
release_outputs(struct cg_shm_rule_slot *s, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (s->out[i].h.nh != CG_SHM_NH_STATIC)
			cg_dp_arp_nh_unref(s->out[i].h.nh);
}

static_assert(CG_DP_MAX_NH < CG_SHM_NH_STATIC, "next hop indexes fit cg_shm_out_hot.nh");

/* The output's header as the fast path sends it (cg_pkt_tmpl). */
static void
out_template(struct cg_shm_out *d)
{
	struct cg_pkt_rewrite rw = {
		.src_ip_be = d->src_be, .dst_ip_be = d->dst_be, .ttl = d->ttl,
		.sport_be = d->sport_be, .dport_be = d->dport_be,
	};

	/* A next hop's MAC and the port's own are written per packet: the
	 * first is learnt by ARP, the second may change when the port re-opens. */
	if (d->h.nh == CG_SHM_NH_STATIC)
		memcpy(rw.dst_mac, d->dst_mac, 6);
	cg_pkt_tmpl_init(&d->h.tmpl, &rw);
}

/* Fill s->out[] from s->rule; references next hops. */
static int
prepare_outputs(struct cg_shm_rule_slot *s, char *err, size_t errlen)
{
	const struct cg_rule *r = &s->rule;
	unsigned int i;

	for (i = 0; i < r->n_outputs; i++) {
		const struct cg_rule_output *o = &r->out[i];
		struct cg_shm_out *d = &s->out[i];
		const struct cg_dp_port *p;
		char a[INET_ADDRSTRLEN];
		const char *why;
		uint32_t nh_ip;
		int ret;

		if (!port_ok(o->port_id, o->port)) {
			snprintf(err, errlen, "rule \"%s\": output[%u].port: no port \"%s\" with "
				 "id %u (resolve port names against cg_info)", r->name, i, o->port,
				 o->port_id);
			goto fail;
		}
		p = &dp_g.ports[o->port_id];
		memset(d, 0, sizeof(*d));
		d->h.port = o->port_id;
		d->sport_be = rte_cpu_to_be_16(o->sport);
		d->dport_be = rte_cpu_to_be_16(o->dport);
		d->ttl = o->ttl;
		d->src_be = o->src ? o->src : p->ip;
		d->dst_be = o->dst;
		d->h.nh = CG_SHM_NH_STATIC;
		if (cg_pkt_ipv4_is_mcast(o->dst)) {
			cg_pkt_mcast_mac(o->dst, d->dst_mac);
			continue;
		}
		if (o->has_next_hop_mac) {
			memcpy(d->dst_mac, o->next_hop_mac, 6);
			continue;
		}
		/* Unicast: on-link destinations are their own next hop, but for
		 * those that ARP never resolves (the config's check, for API rules). */
		if ((why = cg_rule_onlink_problem(o->dst, p->ip, p->prefix_len)) != NULL) {
			snprintf(err, errlen, "rule \"%s\": output[%u].destination: %s is port "
				 "%s's %s: no host there answers ARP (give another address, or "
				 "next_hop_mac)", r->name, i, cg_rule_ipv4_str(o->dst, a), p->name,
				 why);
			goto fail;
		}
		if (p->ip != 0 && in_prefix(o->dst, p->ip, p->prefix_len)) {
			nh_ip = o->dst;
		} else if (p->gateway != 0) {
			nh_ip = p->gateway;
		} else {
			snprintf(err, errlen, "rule \"%s\": output[%u].destination: not inside "
				 "port %s's prefix and the port has no gateway (set one, or "
				 "next_hop_mac)", r->name, i, p->name);
			goto fail;
		}
		ret = cg_dp_arp_nh_ref(o->port_id, nh_ip);
		if (ret < 0) {
			snprintf(err, errlen, "rule \"%s\": output[%u]: no room for another "
				 "next hop: %s", r->name, i, strerror(-ret));
			goto fail;
		}
		d->h.nh = (uint16_t)ret;
	}
	for (i = 0; i < r->n_outputs; i++)
		out_template(&s->out[i]);
	s->nb_out = (uint8_t)r->n_outputs;
	s->rtp = r->rtp;
	s->min_ttl = cg_rule_min_ttl(r);
	return 0;
fail:
	release_outputs(s, i);
	return -EINVAL;
}

static void
igmp_update(const struct cg_rule *r, bool join)
{
	cg_dp_xdp_rule(r, join);	/* the AF_XDP steering map follows too */
	if (!cg_pkt_ipv4_is_mcast(r->in.dst))
		return;
	if (join)
		cg_dp_igmp_join(r->in.port_id, r->in.dst, r->in.src);
	else
		cg_dp_igmp_leave(r->in.port_id, r->in.dst, r->in.src);
}

/* Keys now find something else: flow caches filled before are stale. */
static void
epoch_bump(void)
{
	__atomic_store_n(&cg_dp_rules_epoch, cg_dp_rules_epoch + 1, __ATOMIC_RELEASE);
}

/*
 * Wait until no forwarding lcore can still hold a pointer read before now.
 * Called after a key was removed or repointed: the epoch moves first, so
 * that a worker past its quiescent state no longer trusts its flow cache.
 */
static void
grace_period(unsigned int self_reader)
{
	epoch_bump();
	rte_rcu_qsbr_synchronize(cg_dp_rules_qsbr, self_reader);
}

static void
free_slot(uint32_t slot)
{
	struct cg_shm_rule_slot *s = cg_shm_rule_slot(cg_dp_rules, slot);

	release_outputs(s, s->nb_out);
	cg_dp_stats_clear_rule(slot);
	memset(s, 0, cg_dp_rules->slot_size);
	push_free(slot);
}

static int
check_rule(const struct cg_rule *r, uint32_t origin, char *err, size_t errlen)
{
	int ret = cg_rule_validate(r, err, errlen);

	if (ret < 0)
		return ret;
	/* The origin is stored for readers; what it allows is control's policy. */
	if (origin != CG_SHM_ORIGIN_CONFIG && origin != CG_SHM_ORIGIN_API) {
		snprintf(err, errlen, "rule \"%s\": origin %" PRIu32 " is neither config (%d) "
			 "nor api (%d)", r->name, origin, CG_SHM_ORIGIN_CONFIG, CG_SHM_ORIGIN_API);
		return -EINVAL;
	}
	if (!port_ok(r->in.port_id, r->in.port)) {
		snprintf(err, errlen, "rule \"%s\": input.port: no port \"%s\" with id %u "
			 "(resolve port names against cg_info)", r->name, r->in.port,
			 r->in.port_id);
		return -EINVAL;
	}
	return cg_rule_check_outputs(r, cg_dp_rules->max_outputs, err, errlen);
}

/* Take a free slot and fill it for @p r; not yet reachable from the hash. */
static int
slot_new(const struct cg_rule *r, uint8_t origin, uint32_t *slot, char *err, size_t errlen)
{
	struct cg_shm_rule_slot *s;
	int ret;

	if (alloc_slot(slot) < 0) {
		snprintf(err, errlen, "rule \"%s\": rule table full (%u slots, [dataplane] "
			 "max_rules; an update needs one free slot)", r->name,
			 cg_dp_rules->nb_slots);
		return -ENOSPC;
	}
	s = cg_shm_rule_slot(cg_dp_rules, *slot);
	memset(s, 0, cg_dp_rules->slot_size);
	s->rule = *r;
	s->origin = origin;
	ret = prepare_outputs(s, err, errlen);
	if (ret < 0) {
		memset(s, 0, cg_dp_rules->slot_size);
		push_free(*slot);
		return ret;
	}
	cg_dp_rule_fast[*slot] = (struct cg_dp_rule_fast){
		.nb_out = s->nb_out, .rtp = s->rtp, .min_ttl = s->min_ttl, .out0 = s->out[0].h,
	};
	s->in_use = 1;
	return 0;
}

/* Only the main lcore changes the count; workers read it once per burst. */
static void
sg_count(int delta)
{
	__atomic_store_n(&cg_dp_rules_nb_sg, cg_dp_rules_nb_sg + (uint32_t)delta,
			 __ATOMIC_RELEASE);
}

static int
rule_add(const struct cg_rule *r, uint8_t origin, char *err, size_t errlen)
{
	struct cg_dp_key key = { .k = cg_rule_key_from_rule(r) };
	const struct cg_shm_rule_slot *o;
	uint32_t slot, other;
	int ret;

	if ((o = find_by_name(r->name, &other)) != NULL) {
		snprintf(err, errlen, "rule \"%s\": name is already used (%s rule)",
			 r->name, origin_name(o->origin));
		return -EEXIST;
	}
	if (r->id != 0 && (o = find_by_id(r->id, r->name)) != NULL) {
		snprintf(err, errlen, "rule \"%s\": id %" PRIu32 " is already used by rule \"%s\" "
			 "(%s)", r->name, r->id, o->rule.name, origin_name(o->origin));
		return -EEXIST;
	}
	if ((o = find_by_key(&key)) != NULL) {
		snprintf(err, errlen, "rule \"%s\": rule \"%s\" (%s) has the same match (input "
			 "port, destination, dport, source)", r->name, o->rule.name,
			 origin_name(o->origin));
		return -EEXIST;
	}
	ret = slot_new(r, origin, &slot, err, errlen);
	if (ret < 0)
		return ret;
	if (r->in.src != 0)
		sg_count(1);
	/* Publish: the slot is complete before the key points at it. */
	ret = rte_hash_add_key_data(cg_dp_rule_hash, &key, (void *)(uintptr_t)slot);
	if (ret < 0) {
		snprintf(err, errlen, "rule \"%s\": rte_hash_add_key_data: %s", r->name,
			 strerror(-ret));
		if (r->in.src != 0)
			sg_count(-1);
		free_slot(slot);
		return ret;
	}
	cg_shm_idx_add(cg_dp_rules, slot);
	cg_dp_rules->nb_rules++;
	/* An (S,G) key may now win over an any-source rule a cache holds. */
	epoch_bump();
	igmp_update(r, true);
	return 0;
}

static int
rule_remove(const char *name, unsigned int self_reader, char *err, size_t errlen)
{
	struct cg_shm_rule_slot *s;
	struct cg_dp_key key = { .pad = 0 };
	uint32_t slot;
	int32_t pos;

	s = find_by_name(name, &slot);
	if (s == NULL) {
		snprintf(err, errlen, "rule \"%s\": no such rule", name);
		return -ENOENT;
	}
	key.k = cg_rule_key_from_rule(&s->rule);
	pos = rte_hash_del_key(cg_dp_rule_hash, &key);
	cg_shm_idx_del(cg_dp_rules, slot);
	if (s->rule.in.src != 0)
		sg_count(-1);
	igmp_update(&s->rule, false);
	grace_period(self_reader);
	/* With RW_CONCURRENCY_LF the key position is ours to free after the grace period. */
	if (pos >= 0)
		rte_hash_free_key_with_position(cg_dp_rule_hash, pos);
	free_slot(slot);
	cg_dp_rules->nb_rules--;
	return 0;
}

static int
rule_update(const struct cg_rule *r, uint8_t origin, unsigned int self_reader, char *err,
	    size_t errlen)
{
	struct cg_dp_key key = { .k = cg_rule_key_from_rule(r) }, old_key = { .pad = 0 };
	const struct cg_shm_rule_slot *o;
	struct cg_shm_rule_slot *old;
	uint32_t old_slot, slot;
	int32_t pos = -1;
	int ret;

	old = find_by_name(r->name, &old_slot);
	if (old == NULL) {
		snprintf(err, errlen, "rule \"%s\": no such rule", r->name);
		return -ENOENT;
	}
	if (r->id != 0 && (o = find_by_id(r->id, r->name)) != NULL) {
		snprintf(err, errlen, "rule \"%s\": id %" PRIu32 " is already used by rule \"%s\" "
			 "(%s)", r->name, r->id, o->rule.name, origin_name(o->origin));
		return -EEXIST;
	}
	old_key.k = cg_rule_key_from_rule(&old->rule);
	if (memcmp(&key.k, &old_key.k, sizeof(key.k)) != 0 &&
	    (o = find_by_key(&key)) != NULL) {
		snprintf(err, errlen, "rule \"%s\": rule \"%s\" (%s) has the same match (input "
			 "port, destination, dport, source)", r->name, o->rule.name,
			 origin_name(o->origin));
		return -EEXIST;
	}
	ret = slot_new(r, origin, &slot, err, errlen);
	if (ret < 0)
		return ret;
	/* Join before leaving so a shared group is never left in between. */
	igmp_update(r, true);
	if (r->in.src != 0)
		sg_count(1);
	/* Same key: rte_hash replaces the data atomically for LF readers. */
	ret = rte_hash_add_key_data(cg_dp_rule_hash, &key, (void *)(uintptr_t)slot);
	if (ret < 0) {
		snprintf(err, errlen, "rule \"%s\": rte_hash_add_key_data: %s", r->name,
			 strerror(-ret));
		if (r->in.src != 0)
			sg_count(-1);
		igmp_update(r, false);
		free_slot(slot);
		return ret;
	}
	if (memcmp(&key.k, &old_key.k, sizeof(key.k)) != 0)
		pos = rte_hash_del_key(cg_dp_rule_hash, &old_key);
	/* The new slot first, so that the name is never missing from the index. */
	cg_shm_idx_add(cg_dp_rules, slot);
	cg_shm_idx_del(cg_dp_rules, old_slot);
	if (old->rule.in.src != 0)
		sg_count(-1);
	/* Hide the old slot from name lookups now; readers may still use it. */
	old->in_use = 0;
	igmp_update(&old->rule, false);
	grace_period(self_reader);
	if (pos >= 0)
		rte_hash_free_key_with_position(cg_dp_rule_hash, pos);
	free_slot(old_slot);
	return 0;
}

int
cg_dp_rules_apply(const struct cg_shm_rules_req *req, unsigned int self_reader,
		  char *err, size_t errlen)
{
	struct cg_shm_rules_req copy;
	int ret;

	/* Copy: req may sit in memory another process still writes; and its
	 * strings may lack their NUL. */
	memcpy(&copy, req, sizeof(copy));
	req = &copy;
	copy.rule.name[sizeof(copy.rule.name) - 1] = '\0';
	copy.rule.in.port[sizeof(copy.rule.in.port) - 1] = '\0';
	for (unsigned int i = 0; i < CG_RULE_MAX_OUTPUTS; i++)
		copy.rule.out[i].port[sizeof(copy.rule.out[i].port) - 1] = '\0';

	pthread_mutex_lock(&cg_dp_ctl_lock);
	switch (req->op) {
	case CG_SHM_RULES_ADD:
		ret = check_rule(&req->rule, req->origin, err, errlen);
		if (ret == 0)
			ret = rule_add(&req->rule, (uint8_t)req->origin, err, errlen);
		break;
	case CG_SHM_RULES_UPDATE:
		ret = check_rule(&req->rule, req->origin, err, errlen);
		if (ret == 0)
			ret = rule_update(&req->rule, (uint8_t)req->origin, self_reader, err,
					  errlen);
		break;
	case CG_SHM_RULES_REMOVE:
		ret = rule_remove(copy.rule.name, self_reader, err, errlen);
		break;
	default:
		snprintf(err, errlen, "rule request: unknown op %" PRIu32, req->op);
		ret = -EINVAL;
		break;
	}
	/* After the change is complete, for secondaries that compare it. */
	if (ret == 0)
		__atomic_store_n(&cg_dp_rules->generation, cg_dp_rules->generation + 1,
				 __ATOMIC_RELEASE);
	pthread_mutex_unlock(&cg_dp_ctl_lock);
	return ret;
}

void
cg_dp_rules_clear(unsigned int self_reader)
{
	char err[256];

	if (cg_dp_rules == NULL || cg_dp_rule_hash == NULL)
		return;
	for (uint32_t i = 0; i < cg_dp_rules->nb_slots; i++) {
		struct cg_shm_rules_req req = { .op = CG_SHM_RULES_REMOVE };
		const struct cg_shm_rule_slot *s = cg_shm_rule_slot(cg_dp_rules, i);

		if (!s->in_use)
			continue;
		memcpy(req.rule.name, s->rule.name, sizeof(req.rule.name));
		if (cg_dp_rules_apply(&req, self_reader, err, sizeof(err)) < 0)
			CG_WARN("%s", err);
	}
}

void
cg_dp_rules_fini(void)
{
	rte_hash_free(cg_dp_rule_hash);
	cg_dp_rule_hash = NULL;
	rte_memzone_free(qsbr_mz);
	rte_memzone_free(rules_mz);
	qsbr_mz = rules_mz = NULL;
	rte_free(cg_dp_rule_fast);
	cg_dp_rule_fast = NULL;
	free(free_stack);
	free_stack = NULL;
	nb_free = 0;
	cg_dp_rules = NULL;
	cg_dp_rules_qsbr = NULL;
}
