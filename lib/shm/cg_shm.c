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
	v->ctrs = lookup(CG_SHM_MZ_COUNTERS, sizeof(*v->ctrs) * info->nb_ctr_blocks, err, errlen,
			 &ret);
	if (v->ctrs == NULL)
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

int
cg_shm_rule_find(const struct cg_shm_view *v, const char *name)
{
	for (uint32_t i = 0; i < v->rules->nb_slots && i < CG_SHM_MAX_RULES; i++) {
		const struct cg_shm_rule_slot *s = &v->rules->slot[i];

		if (s->in_use && strncmp(s->rule.name, name, sizeof(s->rule.name)) == 0)
			return (int)i;
	}
	return -ENOENT;
}

void
cg_shm_rule_ctrs_sum(const struct cg_shm_lcore_ctrs *ctrs, uint32_t nb_blocks, uint32_t slot,
		     struct cg_shm_ctr_rule *sum)
{
	memset(sum, 0, sizeof(*sum));
	if (slot >= CG_SHM_MAX_RULES)
		return;
	for (uint32_t l = 0; l < nb_blocks; l++) {
		const struct cg_shm_ctr_rule *c = &ctrs[l].rule[slot];

		sum->rx_pkts += c->rx_pkts;
		sum->rx_bytes += c->rx_bytes;
		sum->rtp.lost += c->rtp.lost;
		sum->rtp.reordered += c->rtp.reordered;
		sum->rtp.duplicate += c->rtp.duplicate;
		sum->rtp.not_rtp += c->rtp.not_rtp;
		for (int o = 0; o < CG_SHM_MAX_OUTPUTS; o++) {
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
		s += ctrs[l].drops[reason];
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
	  uint64_t *generation, char *err, size_t errlen)
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
	if (rte_eal_process_type() != RTE_PROC_SECONDARY) {
		snprintf(err, errlen, "rule request: only a DPDK secondary process can send one");
		return -EINVAL;
	}
	/* Seqlock write: the primary refuses a copy it made while we wrote. */
	seq = __atomic_add_fetch(&rq->next_seq, 1, __ATOMIC_RELAXED);
	if (seq == 0)	/* 0 means "being written"; skip it after a wrap */
		seq = __atomic_add_fetch(&rq->next_seq, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&rq->seq, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(&rq->req, req, sizeof(*req));
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
		return wait_done(v, seq, timeout_ms, generation, err, errlen);
	if (rep.seq != seq) {
		snprintf(err, errlen, "castgate-dataplane answered request %" PRIu64 " instead of "
			 "%" PRIu64, rep.seq, seq);
		return -EPROTO;
	}
	if (generation != NULL)
		*generation = rep.generation;
	if (rep.result < 0) {
		rep.err[sizeof(rep.err) - 1] = '\0';
		snprintf(err, errlen, "%s", rep.err);
		return rep.result;
	}
	return 0;
}
