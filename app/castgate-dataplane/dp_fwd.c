/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The forwarding fast path. No locks, no atomic RMW, no allocation other
 * than mbufs, no syscalls (except the af_packet kick when a ring is full).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "cg_log.h"
#include "cg_pkt.h"
#include "cg_rule.h"
#include "dp.h"
#include "dp_arp.h"
#include "dp_fwd.h"
#include "dp_rules.h"
#include "dp_service.h"
#include "dp_shm.h"
#include "dp_stats.h"
#include "dp_tx.h"

/* Payloads up to this size are copied rather than cloned: a copy of a small
 * payload costs less than an extra header mbuf + indirect mbuf, and avoids
 * zero-length segments. */
#define COPY_MAX_PAYLOAD 128
/* Payloads up to this size are copied inline (rte_memcpy, at DPDK's
 * baseline ISA); longer ones by libc's memcpy, which uses the widest copy
 * this CPU has (at 1316 bytes, a fifth less per copy on AVX2). */
#define COPY_INLINE_MAX 256
/* Empty polls in a row before an idle worker sleeps idle_sleep_us. */
#define IDLE_POLLS_BEFORE_SLEEP 64
/* Control frames drained per loop turn by worker 0. */
#define SVC_BURST 32

struct rxq_ref {
	uint16_t port_id;	/* DPDK */
	uint16_t port;		/* cg index */
	uint16_t queue;
};

/*
 * Fresh mbufs a worker keeps for fan-out copies and clones, refilled in bulk:
 * an extra output then costs a pointer pop, not a bulk call of its own (which
 * made the first extra output dearer than the later ones).
 */
#define STASH_REFILL 32
struct mbuf_stash {
	struct rte_mempool *mp;
	unsigned int n;
	struct rte_mbuf *m[STASH_REFILL];
};

/*
 * A worker's flow cache in front of rte_hash: the slots that the keys of its
 * recent bursts found, 2-way set associative. In a large table a lookup
 * misses the cache two or three times (bucket, key), while the flows a worker
 * sees at a time are usually far fewer than the rules: their entries stay in
 * its L2. Entries are valid only under the epoch they were filled in
 * (cg_dp_rules_epoch), so any rule change empties every cache at once.
 */
#define FLOW_CACHE_SETS 4096	/* x 2 ways x 32 B: 256 KB per worker */

struct flow_ent {
	struct cg_dp_key key;
	uint64_t epoch;		/* 0: never filled (cg_dp_rules_epoch starts at 1) */
	uint32_t slot;
	uint32_t pad;
};

struct worker {
	unsigned int idx;
	unsigned int nb_rxq;
	struct rxq_ref rxq[CG_DP_MAX_RXQ_PER_WORKER];
	struct cg_dp_txq txq[CG_DP_MAX_PORTS];
	uint64_t drain_tsc;
	uint64_t last_drain;
	unsigned int parse_flags;
	unsigned int idle_polls;
	/* Our view of dp_g.port_open/port_tx, as of port_gen; the main lcore
	 * reads port_gen to know that we stopped using a closing port. */
	volatile uint32_t port_gen;
	uint8_t open[CG_DP_MAX_PORTS];
	uint8_t tx[CG_DP_MAX_PORTS];
	/* This burst's trace block, NULL when not tracing (most of the time). */
	struct cg_shm_trace_lcore *trace;
	uint64_t trace_tsc;
	/* Fan-out: payload copies, header mbufs, indirect clones. */
	struct mbuf_stash copies, hdrs, clones;
	struct flow_ent (*flows)[2];	/* FLOW_CACHE_SETS sets */
} __rte_cache_aligned;

static struct worker workers[CG_DP_MAX_WORKERS];

int
cg_dp_fwd_init(void)
{
	uint64_t hz = rte_get_tsc_hz();
	int ret;

	for (unsigned int w = 0; w < dp_g.nb_workers; w++) {
		struct worker *wk = &workers[w];

		memset(wk, 0, sizeof(*wk));
		wk->idx = w;
		wk->copies.mp = dp_g.pool;
		wk->hdrs.mp = dp_g.hdr_pool;
		wk->clones.mp = dp_g.clone_pool;
		wk->drain_tsc = hz / 1000000 * dp_g.p.tx_drain_us;
		wk->parse_flags = dp_g.p.checksum_check ?
			(CG_PKT_F_CHECK_IP_CSUM | CG_PKT_F_CHECK_UDP_CSUM) : 0;
		for (uint16_t p = 0; p < dp_g.nb_ports; p++) {
			wk->rxq[wk->nb_rxq++] = (struct rxq_ref){
				.port_id = dp_g.ports[p].port_id, .port = p, .queue = (uint16_t)w,
			};
			ret = cg_dp_txq_init(&wk->txq[p], p, (uint16_t)w, dp_g.p.burst);
			if (ret < 0) {
				CG_ERR("port %s: worker %u: TX buffer: %s", dp_g.ports[p].name, w,
				       strerror(-ret));
				return ret;
			}
			wk->open[p] = dp_g.ports[p].up;
			wk->tx[p] = dp_g.port_tx[p];
		}
		wk->port_gen = dp_g.port_gen;
		wk->flows = rte_zmalloc_socket("cg_flow_cache", FLOW_CACHE_SETS * sizeof(*wk->flows),
					       RTE_CACHE_LINE_SIZE, (int)rte_socket_id());
		if (wk->flows == NULL) {
			CG_ERR("worker %u: flow cache (%zu KB): out of memory; raise "
			       "dataplane.memory_mb", w, FLOW_CACHE_SETS * sizeof(*wk->flows) >> 10);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Take up what dp_link changed (rare: a link or a port came or went), before
 * the worker touches any port in a loop turn. Publishing the generation we
 * acted on tells the main lcore that we no longer use a port it closes.
 */
static void
sync_ports(struct worker *wk)
{
	uint32_t gen = __atomic_load_n(&dp_g.port_gen, __ATOMIC_ACQUIRE);

	if (likely(gen == wk->port_gen))
		return;
	for (uint16_t p = 0; p < dp_g.nb_ports; p++) {
		bool open = dp_g.port_open[p], tx = dp_g.port_tx[p];
		struct cg_dp_txq *q = &wk->txq[p];

		if (wk->open[p] && !open) {
			/* Closing: the device may be gone already; touch nothing of it. */
			cg_dp_txq_discard(q, CG_SHM_DROP_LINK_DOWN, false, true);
		} else if (!wk->open[p] && open) {
			if (cg_dp_txq_attach(q, p) < 0) {
				open = tx = false;	/* logged; the port stays unused here */
			} else {
				for (unsigned int i = 0; i < wk->nb_rxq; i++)
					if (wk->rxq[i].port == p)
						wk->rxq[i].port_id = dp_g.ports[p].port_id;
			}
		} else if (open && wk->tx[p] && !tx) {
			/* Link down: what waits for it would go out late at link-up. */
			cg_dp_txq_discard(q, CG_SHM_DROP_LINK_DOWN, true, false);
		} else if (open && !wk->tx[p] && tx && q->afp != NULL) {
			cg_dp_afp_resume(q->afp);
		}
		wk->open[p] = open;
		wk->tx[p] = open && tx;
	}
	__atomic_store_n(&wk->port_gen, gen, __ATOMIC_RELEASE);
}

bool
cg_dp_fwd_ports_synced(uint32_t gen)
{
	/* When the main lcore forwards, the caller is worker 0, which syncs after the service. */
	for (unsigned int w = dp_g.main_is_worker ? 1 : 0; w < dp_g.nb_workers; w++)
		if (__atomic_load_n(&workers[w].port_gen, __ATOMIC_ACQUIRE) != gen)
			return false;
	return true;
}

static inline void
drop(struct cg_shm_lcore_ctrs *c, struct rte_mbuf *m, unsigned int reason)
{
	c->drops[reason]++;
	rte_pktmbuf_free(m);
}

/* An output that passed the checks; dst_mac only for a resolved next hop. */
struct ready_out {
	const struct cg_shm_out_hot *d;
	uint8_t o;
	uint8_t copy;	/* needs a private copy (not the original, not a clone) */
	uint8_t dst_mac[6];
};

/*
 * A private copy of the payload in @p c (raw from the pool, see
 * stash_get_raw()), headers to be written before it. The copy fits: it is
 * no longer than the received frame, in an mbuf of the same pool.
 */
static inline struct rte_mbuf *
out_copy(struct rte_mbuf *c, const struct rte_mbuf *m, const struct cg_pkt_info *pi)
{
	uint16_t len = (uint16_t)(CG_PKT_TMPL_HLEN + pi->payload_len);
	const uint8_t *s;
	uint8_t *d;

	if (unlikely(c == NULL))
		return NULL;
	c->data_off = RTE_PKTMBUF_HEADROOM;
	c->data_len = len;
	c->pkt_len = len;
	d = rte_pktmbuf_mtod_offset(c, uint8_t *, CG_PKT_TMPL_HLEN);
	s = rte_pktmbuf_mtod_offset(m, const uint8_t *, pi->payload_off);
	if (pi->payload_len <= COPY_INLINE_MAX)
		rte_memcpy(d, s, pi->payload_len);
	else
		memcpy(d, s, pi->payload_len);
	return c;
}

/*
 * A private header mbuf @p h chained to an indirect clone @p p (both fresh)
 * of the payload.
 */
static inline struct rte_mbuf *
out_clone(struct rte_mbuf *h, struct rte_mbuf *p, struct rte_mbuf *m,
	  const struct cg_pkt_info *pi)
{
	if (unlikely(h == NULL || p == NULL))
		goto fail;
	if (likely(m->nb_segs == 1)) {
		rte_pktmbuf_attach(p, m);
	} else {
		rte_pktmbuf_free(p);
		p = rte_pktmbuf_clone(m, dp_g.clone_pool);
		if (unlikely(p == NULL))
			goto fail;
	}
	/* The clone covers exactly the payload: headers, padding and options go. */
	rte_pktmbuf_adj(p, pi->payload_off);
	rte_pktmbuf_trim(p, (uint16_t)(p->pkt_len - pi->payload_len));
	if (unlikely(rte_pktmbuf_append(h, CG_PKT_TMPL_HLEN) == NULL ||
		     rte_pktmbuf_chain(h, p) != 0))
		goto fail;
	return h;
fail:
	rte_pktmbuf_free(p);
	rte_pktmbuf_free(h);
	return NULL;
}

/* A fresh mbuf of the stash's pool (NULL: the pool is empty). */
static inline struct rte_mbuf *
stash_get(struct mbuf_stash *st)
{
	if (unlikely(st->n == 0)) {
		/* The pool short of a whole refill: one at a time. */
		if (rte_pktmbuf_alloc_bulk(st->mp, st->m, STASH_REFILL) != 0)
			return rte_pktmbuf_alloc(st->mp);
		st->n = STASH_REFILL;
	}
	return st->m[--st->n];
}

/*
 * A raw mbuf of the stash's pool (NULL: the pool is empty): a free mbuf has
 * refcnt 1, one segment and no next (rte_mbuf_raw_alloc()), and a copy sets
 * the rest it needs (out_copy(), ol_flags) instead of a full reset.
 */
static inline struct rte_mbuf *
stash_get_raw(struct mbuf_stash *st)
{
	if (unlikely(st->n == 0)) {
		if (rte_mempool_get_bulk(st->mp, (void **)st->m, STASH_REFILL) != 0)
			return rte_mbuf_raw_alloc(st->mp);
		st->n = STASH_REFILL;
	}
	return st->m[--st->n];
}

static void
stash_free(struct mbuf_stash *st)
{
	rte_pktmbuf_free_bulk(st->m, st->n);
	st->n = 0;
}

/* The original mbuf, trimmed so that a fresh header ends where the payload starts. */
static inline void
out_in_place(struct rte_mbuf *m, const struct cg_pkt_info *pi)
{
	uint16_t len = (uint16_t)(CG_PKT_TMPL_HLEN + pi->payload_len);

	if (likely(m->nb_segs == 1)) {
		/* What adj + trim do, without their checks: the parse bounded both. */
		m->data_off = (uint16_t)(m->data_off + pi->payload_off - CG_PKT_TMPL_HLEN);
		m->data_len = len;
		m->pkt_len = len;
		return;
	}
	rte_pktmbuf_adj(m, (uint16_t)(pi->payload_off - CG_PKT_TMPL_HLEN));
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - len));
}

/*
 * Packet trace (cg_shm_trace). Off, it costs the load and branch of
 * trace_burst() per burst; on, each matching packet fills one record of this
 * lcore's block, and its outputs are flushed at once to learn the TX result.
 */
static void __rte_noinline __rte_cold
trace_prepare(struct worker *wk)
{
	struct cg_shm_trace_lcore *tl = &cg_dp_trace->lcore[rte_lcore_index(rte_lcore_id())];
	uint64_t session = __atomic_load_n(&cg_dp_trace->session, __ATOMIC_ACQUIRE);

	if (tl->session != session) {
		tl->n = 0;
		__atomic_store_n(&tl->session, session, __ATOMIC_RELEASE);
	}
	if (tl->n < cg_dp_trace->count && tl->n < CG_SHM_TRACE_RECS) {
		wk->trace = tl;
		wk->trace_tsc = rte_rdtsc();
	}
}

static inline void
trace_burst(struct worker *wk)
{
	wk->trace = NULL;
	if (unlikely(__atomic_load_n(&cg_dp_trace->active, __ATOMIC_RELAXED)))
		trace_prepare(wk);
}

/* Whether a packet of no rule (or not parsed) is one the trace follows. */
static inline bool
trace_wants_unmatched(const struct rxq_ref *rq, const struct cg_pkt_info *pi, bool parsed)
{
	const struct cg_shm_trace_filter *f = &cg_dp_trace->filter;

	if (f->slot != CG_SHM_TRACE_NO_RULE || (f->port != UINT16_MAX && f->port != rq->port))
		return false;
	if (!parsed)
		return f->dst_be == 0 && f->dport == 0;
	return (f->dst_be == 0 || f->dst_be == pi->dst_ip_be) &&
	       (f->dport == 0 || f->dport == rte_be_to_cpu_16(pi->dport_be));
}

/*
 * The next record of this burst's block, filled from the packet (from @p pi
 * when it @p parsed, else from the frame's bytes); NULL when full.
 */
static struct cg_shm_trace_rec * __rte_cold
trace_rec(struct worker *wk, const struct rxq_ref *rq, const struct rte_mbuf *m,
	  const struct cg_pkt_info *pi, bool parsed, uint32_t slot, uint16_t drop)
{
	struct cg_shm_trace_lcore *tl = wk->trace;
	struct cg_shm_trace_rec *r;

	if (tl->n >= cg_dp_trace->count || tl->n >= CG_SHM_TRACE_RECS)
		return NULL;
	r = &tl->rec[tl->n];
	memset(r, 0, sizeof(*r));
	r->tsc = wk->trace_tsc;
	r->slot = slot;
	r->port = rq->port;
	r->queue = rq->queue;
	r->len = (uint16_t)m->pkt_len;
	r->drop = drop;
	if (!parsed) {
		/* Its cg_pkt_info is partly an earlier packet's: the frame's own. */
		struct cg_pkt_peek pk;

		cg_pkt_peek(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &pk);
		r->src_be = pk.src_be;
		r->dst_be = pk.dst_be;
		r->ttl = pk.ttl;
		r->sport = pk.sport;
		r->dport = pk.dport;
		r->hdr = (pk.ip ? CG_SHM_TRACE_HDR_IP : 0) | (pk.udp ? CG_SHM_TRACE_HDR_UDP : 0);
		return r;
	}
	r->src_be = pi->src_ip_be;
	r->dst_be = pi->dst_ip_be;
	r->sport = rte_be_to_cpu_16(pi->sport_be);
	r->dport = rte_be_to_cpu_16(pi->dport_be);
	r->ttl = pi->ttl;
	r->hdr = CG_SHM_TRACE_HDR_IP | CG_SHM_TRACE_HDR_UDP;
	return r;
}

/* The record is complete: make it visible to control. */
static inline void
trace_commit(struct worker *wk)
{
	__atomic_store_n(&wk->trace->n, wk->trace->n + 1, __ATOMIC_RELEASE);
}

/* RTP header fields we read: version (2 bits) and the sequence number. */
#define RTP_HDR_LEN 12
#define RTP_VERSION 2
/* As RFC 3550's A.1: a jump this far ahead, or this far back, is a new
 * start of the sequence (a restarted sender), not a loss or a reorder. */
#define RTP_MAX_DROPOUT 3000
#define RTP_MAX_MISORDER 100

/*
 * Sequence accounting of an rtp = true rule: in order costs one compare. A
 * gap counts its missing numbers as lost; one of them arriving late is
 * reordered and no longer lost; the same number again is a duplicate.
 */
static inline void
rtp_account(struct cg_shm_ctr_rtp *r, const uint8_t *p, uint32_t len)
{
	uint16_t seq;
	int16_t d;

	if (unlikely(len < RTP_HDR_LEN || (p[0] >> 6) != RTP_VERSION)) {
		r->not_rtp++;
		return;
	}
	seq = (uint16_t)(p[2] << 8 | p[3]);
	d = (int16_t)(seq - r->last_seq);
	if (likely(d == 1 && r->seen)) {
		r->last_seq = seq;
	} else if (!r->seen || d >= RTP_MAX_DROPOUT || d < -RTP_MAX_MISORDER) {
		r->seen = 1;
		r->last_seq = seq;
	} else if (d > 1) {
		r->lost += (uint64_t)(d - 1);
		r->last_seq = seq;
	} else if (d == 0) {
		r->duplicate++;
	} else {
		r->reordered++;
		if (r->lost > 0)
			r->lost--;
	}
}

/* Note output @p o's fate in a trace record (@p tr not NULL). */
#define TRACE_OUT(tr, o, p, res) do {						\
	if (unlikely((tr) != NULL))						\
		(tr)->out[o] = (struct cg_shm_trace_out){ .port = (p), .result = (res) }; \
} while (0)

static void
forward(struct worker *wk, struct cg_shm_lcore_ctrs *c, struct rte_mbuf *m,
	const struct cg_pkt_info *pi, uint32_t slot, struct cg_shm_trace_rec *tr)
{
	const struct cg_dp_rule_fast *s = &cg_dp_rule_fast[slot];
	struct cg_shm_ctr_ent *cr = cg_shm_ctr_ent(c, slot);
	const uint32_t l3_len = CG_PKT_IPV4_HLEN + CG_PKT_UDP_HLEN + pi->payload_len;
	struct ready_out ready[CG_DP_MAX_OUTPUTS];
	struct cg_pkt_tmpl_pkt pp;
	unsigned int nb_ready = 0;

	/* Below the rule's min_ttl: not the rule's traffic (its rx_packets and
	 * outputs do not see it), one compare on the record's first line. */
	if (unlikely(pi->ttl < s->min_ttl)) {
		c->drops[CG_SHM_DROP_TTL_EXPIRED]++;
		if (unlikely(tr != NULL))
			tr->drop = CG_SHM_DROP_TTL_EXPIRED;
		rte_pktmbuf_free(m);
		return;
	}
	cr->rx_pkts++;
	cr->rx_bytes += m->pkt_len;
	if (s->rtp)
		rtp_account(cg_shm_ctr_ent_rtp(c, cr),
			    rte_pktmbuf_mtod_offset(m, const uint8_t *, pi->payload_off),
			    pi->payload_len);
	if (unlikely(tr != NULL)) {
		const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, pi->payload_off);

		tr->nb_out = s->nb_out;
		if (s->rtp && pi->payload_len >= RTP_HDR_LEN && (p[0] >> 6) == RTP_VERSION) {
			tr->rtp_valid = 1;
			tr->rtp_seq = (uint16_t)(p[2] << 8 | p[3]);
		}
	}

	/* Decide first, so that the last output sent can take the original. */
	for (unsigned int o = 0; o < s->nb_out; o++) {
		const struct cg_shm_out_hot *d = cg_dp_rule_out(s, slot, o);
		struct ready_out *r = &ready[nb_ready];

		if (unlikely(!wk->tx[d->port])) {
			c->drops[CG_SHM_DROP_LINK_DOWN]++;
			cr->out[o].drops++;
			TRACE_OUT(tr, o, d->port, CG_SHM_DROP_LINK_DOWN);
			continue;
		}
		if (unlikely(l3_len > dp_g.ports[d->port].mtu)) {
			c->drops[CG_SHM_DROP_MTU_EXCEEDED]++;
			cr->out[o].drops++;
			TRACE_OUT(tr, o, d->port, CG_SHM_DROP_MTU_EXCEEDED);
			continue;
		}
		if (d->nh != CG_SHM_NH_STATIC && unlikely(!cg_dp_nh_get(d->nh, r->dst_mac))) {
			c->drops[CG_SHM_DROP_ARP_UNRESOLVED]++;
			cr->out[o].drops++;
			TRACE_OUT(tr, o, d->port, CG_SHM_DROP_ARP_UNRESOLVED);
			continue;
		}
		r->d = d;
		r->o = (uint8_t)o;
		r->copy = !(dp_g.ports[d->port].multi_seg && pi->payload_len > COPY_MAX_PAYLOAD);
		nb_ready++;
	}
	if (nb_ready == 0) {
		rte_pktmbuf_free(m);
		return;
	}

	/* What every output takes from the packet, computed once. */
	cg_pkt_tmpl_pkt_init(&pp, pi);
	for (unsigned int i = 0; i < nb_ready; i++) {
		const struct cg_shm_out_hot *d = ready[i].d;
		const struct cg_dp_port *port = &dp_g.ports[d->port];
		struct cg_shm_ctr_out *co = &cr->out[ready[i].o];
		struct rte_mbuf *om;
		uint8_t *h;

		/* The last output takes the original; the others, a stash's mbufs. */
		if (i + 1 == nb_ready) {
			om = m;
			out_in_place(om, pi);
		} else if (ready[i].copy) {
			om = out_copy(stash_get_raw(&wk->copies), m, pi);
		} else {
			om = out_clone(stash_get(&wk->hdrs), stash_get(&wk->clones), m, pi);
		}
		if (unlikely(om == NULL)) {
			c->drops[CG_SHM_DROP_NO_MBUF]++;
			co->drops++;
			TRACE_OUT(tr, ready[i].o, d->port, CG_SHM_DROP_NO_MBUF);
			continue;
		}
		h = rte_pktmbuf_mtod(om, uint8_t *);
		cg_pkt_tmpl_write(h, &d->tmpl, &pp);
		memcpy(h + RTE_ETHER_ADDR_LEN, port->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
		if (d->nh != CG_SHM_NH_STATIC)
			memcpy(h, ready[i].dst_mac, RTE_ETHER_ADDR_LEN);
		om->ol_flags = 0;
		om->hash.usr = CG_DP_CTR_TAG(slot, ready[i].o);
		co->pkts++;
		co->bytes += om->pkt_len;
		if (likely(tr == NULL)) {
			cg_dp_txq_put(&wk->txq[d->port], om);
		} else {
			/* Alone in the buffer, so that the flush says what became of it. */
			cg_dp_txq_flush(&wk->txq[d->port]);
			cg_dp_txq_put(&wk->txq[d->port], om);
			TRACE_OUT(tr, ready[i].o, d->port, cg_dp_txq_flush(&wk->txq[d->port]) == 1 ?
				  CG_SHM_TRACE_SENT : CG_SHM_DROP_TX_FULL);
		}
	}
}

static inline bool
key_eq(const struct cg_dp_key *a, const struct cg_dp_key *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/*
 * Keys of this burst that the flow cache knows (filled under @p epoch): their
 * slot in data[k], bit k in *hits. Each key's rule hash signature goes to
 * sig[k] (its low bits pick its set). The others go to kp[] and miss[] (key
 * index); returns their count.
 */
static inline unsigned int
flow_cache_find(struct worker *wk, struct cg_dp_key *keys, unsigned int nk, uint64_t epoch,
		hash_sig_t *sig, uint64_t *hits, void **data, const void **kp, uint16_t *miss)
{
	unsigned int nmiss = 0;

	for (unsigned int k = 0; k < nk; k++) {
		const struct flow_ent *e;

		sig[k] = cg_dp_key_sig(&keys[k]);
		e = wk->flows[sig[k] & (FLOW_CACHE_SETS - 1)];
		if (e[0].epoch == epoch && key_eq(&e[0].key, &keys[k])) {
			data[k] = (void *)(uintptr_t)e[0].slot;
			*hits |= 1ULL << k;
		} else if (e[1].epoch == epoch && key_eq(&e[1].key, &keys[k])) {
			data[k] = (void *)(uintptr_t)e[1].slot;
			*hits |= 1ULL << k;
		} else {
			kp[nmiss] = &keys[k];
			miss[nmiss++] = (uint16_t)k;
		}
	}
	return nmiss;
}

/* The newest entry of a set is way 0: the older one makes room. */
static inline void
flow_cache_fill(struct worker *wk, const struct cg_dp_key *key, hash_sig_t sig, uint32_t slot,
		uint64_t epoch)
{
	struct flow_ent *e = wk->flows[sig & (FLOW_CACHE_SETS - 1)];

	e[1] = e[0];
	e[0] = (struct flow_ent){ .key = *key, .epoch = epoch, .slot = slot };
}

/*
 * rte_hash for the flow cache's misses (kp[], miss[] from flow_cache_find()):
 * (S,G) first, then any-source for what found nothing; one lookup while no
 * (S,G) rule exists (@p sg false). The keys are not hashed again: their
 * signatures from flow_cache_find() (@p sig) go with them. Hits are cached
 * under their key as the packet had it.
 */
static void
lookup_misses(struct worker *wk, struct cg_dp_key *keys, unsigned int nmiss, uint64_t epoch,
	      bool sg, const hash_sig_t *sig, uint64_t *hits, void **data, const void **kp,
	      uint16_t *miss)
{
	void *found[CG_DP_MAX_BURST];
	hash_sig_t msig[CG_DP_MAX_BURST];
	uint32_t src[CG_DP_MAX_BURST];
	uint16_t miss2[CG_DP_MAX_BURST];
	uint64_t h = 0;
	unsigned int n2 = 0;

	for (unsigned int j = 0; j < nmiss; j++)
		msig[j] = sig[miss[j]];
	rte_hash_lookup_with_hash_bulk_data(cg_dp_rule_hash, kp, msig, nmiss, &h, found);
	for (unsigned int j = 0; j < nmiss; j++) {
		unsigned int k = miss[j];

		if (h & (1ULL << j)) {
			data[k] = found[j];
			*hits |= 1ULL << k;
			flow_cache_fill(wk, &keys[k], sig[k], (uint32_t)(uintptr_t)found[j], epoch);
		} else if (sg) {
			src[n2] = keys[k].k.src;
			keys[k].k.src = 0;
			kp[n2] = &keys[k];
			msig[n2] = cg_dp_key_sig(&keys[k]);	/* the any-source key's */
			miss2[n2++] = (uint16_t)k;
		}
	}
	if (n2 == 0)
		return;
	h = 0;
	rte_hash_lookup_with_hash_bulk_data(cg_dp_rule_hash, kp, msig, n2, &h, found);
	for (unsigned int j = 0; j < n2; j++) {
		unsigned int k = miss2[j];

		keys[k].k.src = src[j];	/* the packet's key again, for the cache */
		if (h & (1ULL << j)) {
			data[k] = found[j];
			*hits |= 1ULL << k;
			flow_cache_fill(wk, &keys[k], sig[k], (uint32_t)(uintptr_t)found[j], epoch);
		}
	}
}

static void
process_burst(struct worker *wk, struct cg_shm_lcore_ctrs *c, const struct rxq_ref *rq,
	      struct rte_mbuf **pkts, uint16_t n)
{
	struct cg_pkt_info pi[CG_DP_MAX_BURST];
	/*
	 * The burst's distinct keys in a row: a run of packets of one stream,
	 * the usual shape of multicast traffic, costs one lookup. Slots found
	 * are valid until this worker's next quiescent state, after the burst.
	 */
	struct cg_dp_key keys[CG_DP_MAX_BURST];
	const void *kp[CG_DP_MAX_BURST];
	void *data[CG_DP_MAX_BURST];
	uint16_t which[CG_DP_MAX_BURST];	/* the k-th UDP packet's index */
	uint8_t kidx[CG_DP_MAX_BURST];		/* and its key's */
	hash_sig_t sig[CG_DP_MAX_BURST];	/* each key's rule hash signature */
	uint64_t hits = 0, rx_bytes = 0;
	unsigned int nu = 0, nk = 0, nmiss = 0;
	uint16_t miss[CG_DP_MAX_BURST];
	const bool sg = __atomic_load_n(&cg_dp_rules_nb_sg, __ATOMIC_ACQUIRE) != 0;
	const uint64_t epoch = __atomic_load_n(&cg_dp_rules_epoch, __ATOMIC_ACQUIRE);

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct cg_rule_key key;
		enum cg_pkt_verdict v;

		/* The next frame's headers load while this one is parsed. */
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		rx_bytes += m->pkt_len;
		v = cg_pkt_parse_fast(rte_pktmbuf_mtod(m, const uint8_t *),
				      rte_pktmbuf_data_len(m), wk->parse_flags, &pi[i]);
		switch (v) {
		case CG_PKT_UDP:
			if (unlikely(cg_pkt_ipv4_is_link_local_mcast(pi[i].dst_ip_be))) {
				drop(c, m, CG_SHM_DROP_LINK_LOCAL_MCAST);
				break;
			}
			key = cg_rule_key_make(rq->port, pi[i].dst_ip_be, pi[i].dport_be,
					       sg ? pi[i].src_ip_be : 0);
			/* Field by field, on values in registers: a wide compare
			 * of the key just stored would stall store forwarding. */
			if (nk == 0 || key.dst != keys[nk - 1].k.dst ||
			    key.dport != keys[nk - 1].k.dport || key.src != keys[nk - 1].k.src) {
				keys[nk] = (struct cg_dp_key){ .k = key };
				kp[nk] = &keys[nk];
				nk++;
			}
			kidx[nu] = (uint8_t)(nk - 1);
			which[nu] = i;
			nu++;
			break;
		case CG_PKT_ARP:
		case CG_PKT_IGMP:
			if (unlikely(rte_ring_sp_enqueue(dp_g.slow_rx[wk->idx], m) != 0))
				drop(c, m, CG_SHM_DROP_SLOW_PATH_FULL);
			break;
		default:
			if (unlikely(wk->trace != NULL) && trace_wants_unmatched(rq, &pi[i], false) &&
			    trace_rec(wk, rq, m, &pi[i], false, CG_SHM_TRACE_NO_RULE, pi[i].drop) != NULL)
				trace_commit(wk);
			drop(c, m, pi[i].drop);
			break;
		}
	}
	c->rx_pkts += n;
	c->rx_bytes += rx_bytes;
	if (nu == 0)
		return;

	nmiss = flow_cache_find(wk, keys, nk, epoch, sig, &hits, data, kp, miss);
	if (nmiss > 0)
		lookup_misses(wk, keys, nmiss, epoch, sg, sig, &hits, data, kp, miss);
	/*
	 * In a large table the burst's slots and counters are far apart and
	 * rarely cached: start all their loads now, so that they overlap each
	 * other instead of each packet waiting for its own.
	 */
	for (unsigned int k = 0; k < nk; k++) {
		if (hits & (1ULL << k)) {
			uint32_t slot = (uint32_t)(uintptr_t)data[k];

			rte_prefetch0(&cg_dp_rule_fast[slot]);
			rte_prefetch0(cg_shm_ctr_ent(c, slot));	/* rx, out[0..1]: a line */
		}
	}
	for (unsigned int u = 0; u < nu; u++) {
		uint16_t i = which[u];
		unsigned int k = kidx[u];
		uint32_t slot = (uint32_t)(uintptr_t)data[k];
		struct cg_shm_trace_rec *tr = NULL;

		if (hits & (1ULL << k)) {
			if (unlikely(wk->trace != NULL) && cg_dp_trace->filter.slot == slot)
				tr = trace_rec(wk, rq, pkts[i], &pi[i], true, slot, 0);
			forward(wk, c, pkts[i], &pi[i], slot, tr);
		} else {
			if (unlikely(wk->trace != NULL) && trace_wants_unmatched(rq, &pi[i], true))
				tr = trace_rec(wk, rq, pkts[i], &pi[i], true, CG_SHM_TRACE_NO_RULE,
					       CG_SHM_DROP_NO_RULE);
			drop(c, pkts[i], CG_SHM_DROP_NO_RULE);
		}
		if (unlikely(tr != NULL))
			trace_commit(wk);
	}
}

/* Worker 0 sends the service's frames (ARP, IGMP). */
static unsigned int
drain_svc(struct worker *wk, struct cg_shm_lcore_ctrs *c)
{
	struct rte_mbuf *m[SVC_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(dp_g.svc_tx, (void **)m, SVC_BURST, NULL);

	for (unsigned int i = 0; i < n; i++) {
		uint16_t port = m[i]->port;	/* cg index, set by the service */

		m[i]->hash.usr = CG_DP_CTR_TAG_NONE;
		if (unlikely(!wk->tx[port])) {
			drop(c, m[i], CG_SHM_DROP_LINK_DOWN);
			continue;
		}
		c->svc_tx++;
		cg_dp_txq_put(&wk->txq[port], m[i]);
	}
	return n;
}

static inline void
flush_all(struct worker *wk)
{
	for (uint16_t p = 0; p < dp_g.nb_ports; p++)
		if (wk->open[p])
			cg_dp_txq_flush(&wk->txq[p]);
}

static inline bool
tx_empty(const struct worker *wk)
{
	for (uint16_t p = 0; p < dp_g.nb_ports; p++)
		if (wk->txq[p].length != 0)
			return false;
	return true;
}

int
cg_dp_fwd_loop(void *arg)
{
	struct worker *wk = &workers[(uintptr_t)arg];
	struct cg_shm_lcore_ctrs *c = cg_dp_ctrs_self();
	struct rte_mbuf *pkts[CG_DP_MAX_BURST];
	const uint16_t burst = dp_g.p.burst;
	const bool service = dp_g.main_is_worker && wk->idx == 0;

	CG_INFO("worker %u: forwarding on lcore %u, %u RX queue(s)%s", wk->idx,
		rte_lcore_id(), wk->nb_rxq, service ? ", and the service" : "");
	/* An idle sleep of idle_sleep_us should last that, not the 50 us default slack. */
	if (dp_g.p.idle_sleep_us > 0)
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	rte_rcu_qsbr_thread_online(cg_dp_rules_qsbr, wk->idx);
	wk->last_drain = rte_rdtsc();
	while (!__atomic_load_n(&dp_g.stop, __ATOMIC_RELAXED)) {
		unsigned int work = 0;
		bool partial = false;
		uint64_t now;

		sync_ports(wk);
		for (unsigned int q = 0; q < wk->nb_rxq; q++) {
			const struct rxq_ref *rq = &wk->rxq[q];
			uint16_t n;

			if (unlikely(!wk->open[rq->port]))
				continue;
			n = rte_eth_rx_burst(rq->port_id, rq->queue, pkts, burst);
			partial |= n < burst;
			if (n > 0) {
				trace_burst(wk);
				process_burst(wk, c, rq, pkts, n);
				work += n;
			}
		}
		if (wk->idx == 0)
			work += drain_svc(wk, c);
		now = rte_rdtsc();
		if (service) {
			work += cg_dp_service_poll(now);
			sync_ports(wk);	/* the service may have closed a port */
			/* A rule change waits for every reader's quiescent state,
			 * ours included, and ours needs empty TX buffers. */
			if (unlikely(cg_dp_shm_pending())) {
				flush_all(wk);
				work += cg_dp_shm_poll(wk->idx);
			}
		}
		/*
		 * A short RX burst means the queues are drained: send now, so that
		 * low-rate traffic leaves at once; at full bursts (high rate) the TX
		 * buffers fill and go out whole, or at the drain timer.
		 */
		if (partial || now - wk->last_drain >= wk->drain_tsc) {
			flush_all(wk);
			wk->last_drain = now;
		}
		/*
		 * Quiescent: no rule slot read before this point is used after it.
		 * Buffered packets carry their slot's counter tag (a TX drop is
		 * charged to it), so only report once the TX buffers are empty;
		 * the drain timer empties them every tx_drain_us at the latest.
		 */
		if (tx_empty(wk))
			rte_rcu_qsbr_quiescent(cg_dp_rules_qsbr, wk->idx);

		if (work > 0) {
			wk->idle_polls = 0;
		} else if (dp_g.p.idle_sleep_us > 0 &&
			   ++wk->idle_polls >= IDLE_POLLS_BEFORE_SLEEP) {
			flush_all(wk);
			/*
			 * Asleep we hold no rule slot: go RCU-offline so that a
			 * rule change does not wait up to idle_sleep_us for us.
			 * The main lcore also wakes early for a rule request.
			 */
			rte_rcu_qsbr_thread_offline(cg_dp_rules_qsbr, wk->idx);
			if (service)
				cg_dp_shm_idle_wait(dp_g.p.idle_sleep_us);
			else
				usleep(dp_g.p.idle_sleep_us);
			rte_rcu_qsbr_thread_online(cg_dp_rules_qsbr, wk->idx);
		}
	}
	flush_all(wk);
	stash_free(&wk->copies);
	stash_free(&wk->hdrs);
	stash_free(&wk->clones);
	rte_rcu_qsbr_thread_offline(cg_dp_rules_qsbr, wk->idx);
	CG_INFO("worker %u: stopped", wk->idx);
	return 0;
}

void
cg_dp_fwd_drain_service(void)
{
	if (dp_g.nb_workers > 0 && dp_g.svc_tx != NULL && workers[0].txq[0].size != 0) {
		struct worker *wk = &workers[0];
		struct cg_shm_lcore_ctrs *c = cg_dp_ctrs_self();

		while (drain_svc(wk, c) > 0)
			;
		flush_all(wk);
	}
}

void
cg_dp_fwd_fini(void)
{
	cg_dp_fwd_drain_service();
	for (unsigned int w = 0; w < dp_g.nb_workers; w++) {
		for (uint16_t p = 0; p < dp_g.nb_ports; p++)
			cg_dp_txq_fini(&workers[w].txq[p]);
		rte_free(workers[w].flows);
		workers[w].flows = NULL;
	}
}
