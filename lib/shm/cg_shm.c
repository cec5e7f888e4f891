/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Secondary-side helpers of the primary/secondary contract. See cg_shm.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_log.h>
#include <rte_errno.h>
#include <rte_memzone.h>

#include "cg_pkt.h"
#include "cg_shm.h"

static const char *const shm_drop_names[CG_SHM_DROP_MAX - CG_PKT_DROP_MAX] = {
	[CG_SHM_DROP_NO_RULE - CG_PKT_DROP_MAX] = "no_rule",
	[CG_SHM_DROP_ARP_UNRESOLVED - CG_PKT_DROP_MAX] = "arp_unresolved",
	[CG_SHM_DROP_TX_FULL - CG_PKT_DROP_MAX] = "tx_full",
	[CG_SHM_DROP_NO_MBUF - CG_PKT_DROP_MAX] = "no_mbuf",
	[CG_SHM_DROP_MTU_EXCEEDED - CG_PKT_DROP_MAX] = "mtu_exceeded",
	[CG_SHM_DROP_SLOW_PATH_FULL - CG_PKT_DROP_MAX] = "slow_path_full",
	[CG_SHM_DROP_ARP_MALFORMED - CG_PKT_DROP_MAX] = "arp_malformed",
	[CG_SHM_DROP_IGMP_MALFORMED - CG_PKT_DROP_MAX] = "igmp_malformed",
	[CG_SHM_DROP_LINK_LOCAL_MCAST - CG_PKT_DROP_MAX] = "link_local_mcast",
	[CG_SHM_DROP_LINK_DOWN - CG_PKT_DROP_MAX] = "link_down",
	[CG_SHM_DROP_TTL_EXPIRED - CG_PKT_DROP_MAX] = "ttl_expired",
	[CG_SHM_DROP_ARP_REJECTED - CG_PKT_DROP_MAX] = "arp_rejected",
};

static const char *const port_state_names[] = {
	[CG_SHM_PORT_MISSING] = "missing",
	[CG_SHM_PORT_DOWN] = "down",
	[CG_SHM_PORT_UP] = "up",
};

static const char *const link_source_names[] = {
	[CG_SHM_LINK_SRC_NONE] = "none",
	[CG_SHM_LINK_SRC_NETLINK] = "netlink",
	[CG_SHM_LINK_SRC_LSC] = "lsc",
	[CG_SHM_LINK_SRC_POLL] = "ethdev",
};

/* The level of the rte_log message being written, on the writing thread. */
static void
dpdk_line(void *arg, enum cg_log_level *level, const char **source)
{
	int l = rte_log_cur_msg_loglevel();

	(void)arg;
	*source = "dpdk";
	*level = l <= (int)RTE_LOG_ERR ? CG_LOG_ERR : l == (int)RTE_LOG_WARNING ? CG_LOG_WARN :
		 l <= (int)RTE_LOG_INFO ? CG_LOG_INFO : CG_LOG_DEBUG;
}

int
cg_shm_log_bridge(enum cg_log_level level)
{
	static const uint32_t rte_level[] = {
		[CG_LOG_ERR] = RTE_LOG_ERR, [CG_LOG_WARN] = RTE_LOG_WARNING,
		[CG_LOG_INFO] = RTE_LOG_INFO, [CG_LOG_DEBUG] = RTE_LOG_DEBUG,
	};
	FILE *f = cg_log_stream(dpdk_line, NULL);

	if (f == NULL)
		return -errno;
	rte_log_set_global_level(rte_level[level]);
	return rte_openlog_stream(f) < 0 ? -EINVAL : 0;
}

const char *
cg_shm_port_state_name(unsigned int state)
{
	return state < RTE_DIM(port_state_names) ? port_state_names[state] : "unknown";
}

const char *
cg_shm_lcore_role_name(unsigned int role)
{
	switch (role) {
	case CG_SHM_LCORE_SERVICE: return "service";
	case CG_SHM_LCORE_WORKER: return "worker";
	case CG_SHM_LCORE_BOTH: return "both";
	}
	return "unknown";
}

const char *
cg_shm_link_source_name(unsigned int source)
{
	return source < RTE_DIM(link_source_names) ? link_source_names[source] : "unknown";
}

void
cg_shm_link_read(const struct cg_shm_info *info, unsigned int idx, struct cg_shm_link *out)
{
	const struct cg_shm_link *l = &info->link[idx];
	uint32_t s0, s1;

	do {
		s0 = __atomic_load_n(&l->seq, __ATOMIC_ACQUIRE);
		memcpy(out, (const void *)l, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s1 = __atomic_load_n(&l->seq, __ATOMIC_RELAXED);
	} while ((s0 & 1) != 0 || s0 != s1);
	out->reason[sizeof(out->reason) - 1] = '\0';
}

const char *
cg_shm_drop_name(unsigned int reason)
{
	if (reason < CG_PKT_DROP_MAX)
		return cg_pkt_drop_name((enum cg_pkt_drop)reason);
	if (reason < CG_SHM_DROP_MAX)
		return shm_drop_names[reason - CG_PKT_DROP_MAX];
	return "unknown";
}

/* The memzone @p name, if it exists and holds at least @p size bytes. */
static void *
lookup(const char *name, size_t size, char *err, size_t errlen, int *ret)
{
	const struct rte_memzone *mz = rte_memzone_lookup(name);

	if (mz == NULL) {
		snprintf(err, errlen, "memzone %s not found: is castgate-dataplane running "
			 "with this file prefix?", name);
		*ret = -ENOENT;
		return NULL;
	}
	if (mz->len < size) {
		snprintf(err, errlen, "memzone %s is %zu bytes, this build expects at least "
			 "%zu: castgate-dataplane is from another castgate build", name,
			 (size_t)mz->len, size);
		*ret = -EPROTO;
		return NULL;
	}
	return mz->addr;
}

int
cg_shm_attach(struct cg_shm_view *v, char *err, size_t errlen)
{
	struct cg_shm_info *info;
	int ret = 0;

	memset(v, 0, sizeof(*v));
	info = lookup(CG_SHM_MZ_INFO, sizeof(*info), err, errlen, &ret);
	if (info == NULL)
		return ret;
	/* The primary writes the magic last, after everything else in cg_info. */
	if (__atomic_load_n(&info->magic, __ATOMIC_ACQUIRE) == 0) {
		snprintf(err, errlen, "memzone %s: castgate-dataplane has not finished starting",
			 CG_SHM_MZ_INFO);
		return -ENOENT;
	}
	if (info->magic != CG_SHM_MAGIC) {
		snprintf(err, errlen, "memzone %s: magic 0x%08" PRIx32 ", expected 0x%08x: not "
			 "castgate-dataplane's", CG_SHM_MZ_INFO, info->magic, CG_SHM_MAGIC);
		return -EPROTO;
	}
	if (info->layout_version != CG_SHM_LAYOUT_VERSION) {
		snprintf(err, errlen, "shared memory layout version %" PRIu32 " (castgate-dataplane "
			 "%.32s), this program uses version %d: run the same castgate build for both",
			 info->layout_version, info->version, CG_SHM_LAYOUT_VERSION);
		return -EPROTO;
	}
	if (info->nb_ctr_blocks == 0 || info->nb_ctr_blocks > CG_SHM_MAX_LCORES ||
	    info->nb_ports > CG_SHM_MAX_PORTS) {
		snprintf(err, errlen, "memzone %s: bad counts (%" PRIu32 " counter blocks, %u "
			 "ports)", CG_SHM_MZ_INFO, info->nb_ctr_blocks, info->nb_ports);
		return -EPROTO;
	}
	v->rules = lookup(CG_SHM_MZ_RULES, sizeof(*v->rules), err, errlen, &ret);
	if (v->rules == NULL)
		return ret;
	/* The sizes come from the primary's max_rules: check them against the zones. */
	if (v->rules->max_outputs == 0 || v->rules->max_outputs > CG_SHM_MAX_OUTPUTS ||
	    v->rules->slot_size != cg_shm_rule_slot_size(v->rules->max_outputs)) {
		snprintf(err, errlen, "memzone %s: slots of %" PRIu32 " bytes for %" PRIu32
			 " outputs: castgate-dataplane is from another castgate build",
			 CG_SHM_MZ_RULES, v->rules->slot_size, v->rules->max_outputs);
		return -EPROTO;
	}
	if (lookup(CG_SHM_MZ_RULES, cg_shm_rules_size(v->rules->nb_slots, v->rules->max_outputs),
		   err, errlen, &ret) == NULL)
		return ret;
	if (v->rules->idx_size != cg_shm_idx_size(v->rules->nb_slots)) {
		snprintf(err, errlen, "memzone %s: index of %" PRIu32 " entries for %" PRIu32
			 " slots: castgate-dataplane is from another castgate build",
			 CG_SHM_MZ_RULES, v->rules->idx_size, v->rules->nb_slots);
		return -EPROTO;
	}
	v->ctrs = lookup(CG_SHM_MZ_COUNTERS, sizeof(*v->ctrs), err, errlen, &ret);
	if (v->ctrs == NULL)
		return ret;
	if (v->ctrs->nb_slots != v->rules->nb_slots ||
	    v->ctrs->max_outputs != v->rules->max_outputs ||
	    v->ctrs->ent_size != cg_shm_ctr_ent_size(v->rules->max_outputs) ||
	    v->ctrs->block_size != cg_shm_ctr_block_size(v->rules->nb_slots,
							  v->rules->max_outputs)) {
		snprintf(err, errlen, "memzone %s: blocks of %" PRIu32 " bytes for %" PRIu32
			 " slots, expected %zu for %" PRIu32 ": castgate-dataplane is from another "
			 "castgate build", CG_SHM_MZ_COUNTERS, v->ctrs->block_size,
			 v->ctrs->nb_slots, cg_shm_ctr_block_size(v->rules->nb_slots,
								  v->rules->max_outputs),
			 v->rules->nb_slots);
		return -EPROTO;
	}
	if (lookup(CG_SHM_MZ_COUNTERS, (size_t)v->ctrs->block_size * info->nb_ctr_blocks, err,
		   errlen, &ret) == NULL)
		return ret;
	v->request = lookup(CG_SHM_MZ_REQUEST, sizeof(*v->request), err, errlen, &ret);
	if (v->request == NULL)
		return ret;
	v->trace = lookup(CG_SHM_MZ_TRACE, sizeof(*v->trace), err, errlen, &ret);
	if (v->trace == NULL)
		return ret;
	v->info = info;
	return 0;
}

/*
 * The rule index (see cg_shm.h): open addressing with linear probing. The
 * hashes are plain code, so every process computes the same ones.
 */

static uint32_t
hash_match(const struct cg_rule *r)
{
	uint32_t h = cg_rule_hash_mix(((uint32_t)r->in.dport << 16) ^ r->in.port_id);

	return cg_rule_hash_mix(r->in.dst ^ cg_rule_hash_mix(r->in.src ^ h));
}

static bool
same_match(const struct cg_rule *a, const struct cg_rule *b)
{
	return a->in.port_id == b->in.port_id && a->in.dst == b->in.dst &&
	       a->in.dport == b->in.dport && a->in.src == b->in.src;
}

static uint32_t
hash_of(const struct cg_rule *r, enum cg_shm_idx_kind kind)
{
	switch (kind) {
	case CG_SHM_IDX_NAME: return cg_rule_hash_name(r->name);
	case CG_SHM_IDX_ID: return cg_rule_hash_mix(r->id);
	default: return hash_match(r);
	}
}

/* Probe table @kind from hash @h; @eq says whether a slot in use is the one. */
static int
idx_probe(const struct cg_shm_rules *rules, enum cg_shm_idx_kind kind, uint32_t h,
	  bool (*eq)(const struct cg_rule *, const void *), const void *key)
{
	const uint32_t *t;
	uint32_t mask;

	if (rules == NULL || rules->idx_size == 0)
		return -ENOENT;
	t = cg_shm_idx_table(rules, kind);
	mask = rules->idx_size - 1;
	for (uint32_t n = 0, i = h & mask; n < rules->idx_size; n++, i = (i + 1) & mask) {
		uint32_t e = __atomic_load_n(&t[i], __ATOMIC_ACQUIRE);
		const struct cg_shm_rule_slot *s;

		if (e == 0)
			break;
		if (e == CG_SHM_IDX_GONE || e - 1 >= rules->nb_slots)
			continue;
		s = cg_shm_rule_slot(rules, e - 1);
		if (s->in_use && eq(&s->rule, key))
			return (int)(e - 1);
	}
	return -ENOENT;
}

static bool
eq_name(const struct cg_rule *r, const void *key)
{
	return strncmp(r->name, key, sizeof(r->name)) == 0;
}

static bool
eq_id(const struct cg_rule *r, const void *key)
{
	return r->id == *(const uint32_t *)key;
}

static bool
eq_match(const struct cg_rule *r, const void *key)
{
	return same_match(r, key);
}

int
cg_shm_rule_find_name(const struct cg_shm_rules *rules, const char *name)
{
	return idx_probe(rules, CG_SHM_IDX_NAME, cg_rule_hash_name(name), eq_name, name);
}

int
cg_shm_rule_find_id(const struct cg_shm_rules *rules, uint32_t id)
{
	return idx_probe(rules, CG_SHM_IDX_ID, cg_rule_hash_mix(id), eq_id, &id);
}

int
cg_shm_rule_find_match(const struct cg_shm_rules *rules, const struct cg_rule *r)
{
	return idx_probe(rules, CG_SHM_IDX_MATCH, hash_match(r), eq_match, r);
}

int
cg_shm_rule_find(const struct cg_shm_view *v, const char *name)
{
	return cg_shm_rule_find_name(v->rules, name);
}

void
cg_shm_idx_init(struct cg_shm_rules *rules)
{
	rules->idx_size = cg_shm_idx_size(rules->nb_slots);
	rules->idx_off = sizeof(*rules) + (uint64_t)rules->nb_slots * rules->slot_size;
	memset(cg_shm_idx_table(rules, 0), 0,
	       (size_t)CG_SHM_IDX_KINDS * rules->idx_size * sizeof(uint32_t));
	memset(rules->idx_gone, 0, sizeof(rules->idx_gone));
}

/* Put slot + 1 into the first empty or removed entry of its probe sequence. */
static void
idx_put(struct cg_shm_rules *rules, enum cg_shm_idx_kind kind, uint32_t slot)
{
	uint32_t *t = cg_shm_idx_table(rules, kind);
	uint32_t mask = rules->idx_size - 1;
	uint32_t i = hash_of(&cg_shm_rule_slot(rules, slot)->rule, kind) & mask;

	/* The table has twice the slots, so there is always an empty entry. */
	while (t[i] != 0 && t[i] != CG_SHM_IDX_GONE)
		i = (i + 1) & mask;
	if (t[i] == CG_SHM_IDX_GONE)
		rules->idx_gone[kind]--;
	__atomic_store_n(&t[i], slot + 1, __ATOMIC_RELEASE);
}

/*
 * Too many removed entries make probes long: refill the table from the slots
 * in use. Readers in other processes may miss a rule while this runs; they
 * read between their own requests, or compare the generation (cg_shm.h).
 */
static void
idx_rebuild(struct cg_shm_rules *rules, enum cg_shm_idx_kind kind, uint32_t skip)
{
	memset(cg_shm_idx_table(rules, kind), 0, rules->idx_size * sizeof(uint32_t));
	rules->idx_gone[kind] = 0;
	for (uint32_t i = 0; i < rules->nb_slots; i++)
		if (cg_shm_rule_slot(rules, i)->in_use && i != skip)
			idx_put(rules, kind, i);
}

void
cg_shm_idx_add(struct cg_shm_rules *rules, uint32_t slot)
{
	for (int k = 0; k < CG_SHM_IDX_KINDS; k++)
		idx_put(rules, (enum cg_shm_idx_kind)k, slot);
}

void
cg_shm_idx_del(struct cg_shm_rules *rules, uint32_t slot)
{
	for (int k = 0; k < CG_SHM_IDX_KINDS; k++) {
		uint32_t *t = cg_shm_idx_table(rules, (enum cg_shm_idx_kind)k);
		uint32_t mask = rules->idx_size - 1;
		uint32_t i = hash_of(&cg_shm_rule_slot(rules, slot)->rule,
				     (enum cg_shm_idx_kind)k) & mask;

		for (uint32_t n = 0; n < rules->idx_size && t[i] != 0; n++, i = (i + 1) & mask) {
			if (t[i] == slot + 1) {
				__atomic_store_n(&t[i], CG_SHM_IDX_GONE, __ATOMIC_RELEASE);
				rules->idx_gone[k]++;
				break;
			}
		}
		/* A quarter removed: probes would get long; rebuild (O(nb_slots), rare). */
		if (rules->idx_gone[k] > rules->idx_size / 4)
			idx_rebuild(rules, (enum cg_shm_idx_kind)k, slot);
	}
}

void
cg_shm_rule_ctrs_sum(const struct cg_shm_lcore_ctrs *ctrs, uint32_t nb_blocks, uint32_t slot,
		     struct cg_shm_ctr_rule *sum)
{
	memset(sum, 0, sizeof(*sum));
	if (nb_blocks == 0 || slot >= ctrs->nb_slots)
		return;
	for (uint32_t l = 0; l < nb_blocks; l++) {
		const struct cg_shm_lcore_ctrs *b = cg_shm_ctr_block(ctrs, l);
		const struct cg_shm_ctr_ent *c = cg_shm_ctr_ent(b, slot);
		const struct cg_shm_ctr_rtp *rtp = cg_shm_ctr_ent_rtp(b, c);

		sum->rx_pkts += c->rx_pkts;
		sum->rx_bytes += c->rx_bytes;
		sum->rtp.lost += rtp->lost;
		sum->rtp.reordered += rtp->reordered;
		sum->rtp.duplicate += rtp->duplicate;
		sum->rtp.not_rtp += rtp->not_rtp;
		for (uint32_t o = 0; o < b->max_outputs && o < CG_SHM_MAX_OUTPUTS; o++) {
			sum->out[o].pkts += c->out[o].pkts;
			sum->out[o].bytes += c->out[o].bytes;
			sum->out[o].drops += c->out[o].drops;
		}
	}
}

void
cg_shm_rule_ctrs(const struct cg_shm_view *v, uint32_t slot, struct cg_shm_ctr_rule *sum)
{
	cg_shm_rule_ctrs_sum(v->ctrs, v->info->nb_ctr_blocks, slot, sum);
}

uint64_t
cg_shm_drop_sum_blocks(const struct cg_shm_lcore_ctrs *ctrs, uint32_t nb_blocks,
		       unsigned int reason)
{
	uint64_t s = 0;

	if (reason >= CG_SHM_DROP_MAX)
		return 0;
	for (uint32_t l = 0; l < nb_blocks; l++)
		s += cg_shm_ctr_block(ctrs, l)->drops[reason];
	return s;
}

uint64_t
cg_shm_drop_sum(const struct cg_shm_view *v, unsigned int reason)
{
	return cg_shm_drop_sum_blocks(v->ctrs, v->info->nb_ctr_blocks, reason);
}

/*
 * Our answer was overtaken by the late answer of an earlier request that
 * timed out (rte_mp gives a waiting request whatever reply of its action
 * comes first). The primary records every outcome in cg_request before it
 * answers, so read ours there; its message went with the lost reply.
 */
static int
wait_done(const struct cg_shm_view *v, uint64_t seq, unsigned int timeout_ms,
	  uint64_t *generation, unsigned int *done, char *err, size_t errlen)
{
	const struct cg_shm_request *rq = v->request;
	struct timespec t0, now, nap = { .tv_sec = 0, .tv_nsec = 200000 };
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&rq->done_seq, __ATOMIC_ACQUIRE) != seq) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((int64_t)(now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000 >= (int64_t)timeout_ms) {
			snprintf(err, errlen, "castgate-dataplane did not answer the rule "
				 "request in %u ms", timeout_ms);
			return -ETIMEDOUT;
		}
		nanosleep(&nap, NULL);
	}
	ret = rq->done_result;
	*done = rq->done_count;
	if (generation != NULL)
		*generation = v->rules->generation;
	if (ret < 0)
		snprintf(err, errlen, "castgate-dataplane refused the change: %s",
			 strerror(-ret));
	return ret;
}

int
cg_shm_rules_request(const struct cg_shm_view *v, const struct cg_shm_rules_req *req,
		     unsigned int timeout_ms, uint64_t *generation, char *err, size_t errlen)
{
	return cg_shm_rules_request_batch(v, req, 1, timeout_ms, generation, NULL, err, errlen);
}

int
cg_shm_rules_request_batch(const struct cg_shm_view *v, const struct cg_shm_rules_req *reqs,
			   unsigned int n, unsigned int timeout_ms, uint64_t *generation,
			   unsigned int *done, char *err, size_t errlen)
{
	unsigned int done_local;
	struct cg_shm_request *rq = v->request;
	struct rte_mp_msg msg;
	struct rte_mp_reply reply;
	struct cg_shm_mp_req mreq;
	struct cg_shm_mp_rep rep;
	struct timespec ts = {
		.tv_sec = timeout_ms / 1000, .tv_nsec = (long)(timeout_ms % 1000) * 1000000L,
	};
	uint64_t seq;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (done == NULL)
		done = &done_local;
	*done = 0;
	if (rte_eal_process_type() != RTE_PROC_SECONDARY) {
		snprintf(err, errlen, "rule request: only a DPDK secondary process can send one");
		return -EINVAL;
	}
	if (n == 0 || n > CG_SHM_REQ_BATCH) {
		snprintf(err, errlen, "rule request: %u changes, 1..%u in one request", n,
			 CG_SHM_REQ_BATCH);
		return -EINVAL;
	}
	/* Seqlock write: the primary refuses a copy it made while we wrote. */
	seq = __atomic_add_fetch(&rq->next_seq, 1, __ATOMIC_RELAXED);
	if (seq == 0)	/* 0 means "being written"; skip it after a wrap */
		seq = __atomic_add_fetch(&rq->next_seq, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&rq->seq, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	rq->count = n;
	memcpy(rq->req, reqs, n * sizeof(*reqs));
	__atomic_store_n(&rq->seq, seq, __ATOMIC_RELEASE);

	memset(&msg, 0, sizeof(msg));
	snprintf(msg.name, sizeof(msg.name), "%s", CG_SHM_MP_RULES);
	mreq.seq = seq;
	memcpy(msg.param, &mreq, sizeof(mreq));
	msg.len_param = sizeof(mreq);
	memset(&reply, 0, sizeof(reply));
	if (rte_mp_request_sync(&msg, &reply, &ts) < 0) {
		/* Mostly: the primary's socket is gone (ENOENT, ECONNREFUSED). */
		ret = rte_errno;
		free(reply.msgs);
		if (ret == ETIMEDOUT) {
			snprintf(err, errlen, "castgate-dataplane did not answer the rule request "
				 "in %u ms", timeout_ms);
			return -ETIMEDOUT;
		}
		snprintf(err, errlen, "castgate-dataplane is not running (rte_mp: %s)",
			 rte_strerror(ret));
		return -EPIPE;
	}
	if (reply.nb_sent == 0) {
		free(reply.msgs);
		snprintf(err, errlen, "castgate-dataplane is not running (no primary process)");
		return -EPIPE;
	}
	if (reply.nb_received == 0) {
		free(reply.msgs);
		snprintf(err, errlen, "castgate-dataplane did not answer the rule request in %u ms",
			 timeout_ms);
		return -ETIMEDOUT;
	}
	if (reply.msgs[0].len_param < (int)sizeof(rep)) {
		free(reply.msgs);
		snprintf(err, errlen, "castgate-dataplane's answer is %d bytes, expected %zu: "
			 "another castgate build", reply.msgs[0].len_param, sizeof(rep));
		return -EPROTO;
	}
	memcpy(&rep, reply.msgs[0].param, sizeof(rep));
	free(reply.msgs);
	if (rep.seq < seq)
		return wait_done(v, seq, timeout_ms, generation, done, err, errlen);
	if (rep.seq != seq) {
		snprintf(err, errlen, "castgate-dataplane answered request %" PRIu64 " instead of "
			 "%" PRIu64, rep.seq, seq);
		return -EPROTO;
	}
	if (generation != NULL)
		*generation = rep.generation;
	*done = rep.result < 0 ? RTE_MIN(rep.done, n) : n;
	if (rep.result < 0) {
		rep.err[sizeof(rep.err) - 1] = '\0';
		snprintf(err, errlen, "%s", rep.err);
		return rep.result;
	}
	return 0;
}
