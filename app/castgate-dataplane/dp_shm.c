/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary's side of lib/shm: cg_info, the request slot and the rte_mp
 * rule server. See dp_shm.h and cg_shm.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memzone.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_version.h>

#include "cg_log.h"
#include "cg_shm.h"
#include "dp.h"
#include "dp_rules.h"
#include "dp_shm.h"

/* Requests in flight at once: one per control process in practice. */
#define QUEUE_SIZE 64
/* Requests applied per service turn, so that a flood cannot starve ARP/IGMP. */
#define POLL_BURST 8

/* A queued request: what the IPC thread hands to the main lcore. */
struct pending {
	uint64_t seq;
	char peer[108];		/* the requester's socket path (sun_path) */
	uint8_t pad[4];		/* ring elements are multiples of 4 bytes */
};

struct cg_shm_info *cg_dp_info;
struct rte_ring *cg_dp_shm_queue;

static struct cg_shm_request *slot;
static const struct rte_memzone *info_mz, *req_mz;
static bool serving;
/* Wakes the main lcore's idle wait when a request is queued (multi-lcore). */
static int wake_fd = -1;
static const struct rte_memzone *trace_mz;
struct cg_shm_trace *cg_dp_trace;
/* Read by the IPC thread: new requests are refused once we stop. */
static volatile bool stopping;

int
cg_dp_shm_init(uint64_t start_unix_ms)
{
	int socket = (int)rte_socket_id();

	info_mz = rte_memzone_reserve(CG_SHM_MZ_INFO, sizeof(struct cg_shm_info), socket, 0);
	req_mz = rte_memzone_reserve(CG_SHM_MZ_REQUEST, sizeof(struct cg_shm_request), socket, 0);
	if (info_mz == NULL || req_mz == NULL) {
		CG_ERR("shm: rte_memzone_reserve %s/%s: %s", CG_SHM_MZ_INFO, CG_SHM_MZ_REQUEST,
		       rte_strerror(rte_errno));
		return -ENOMEM;
	}
	trace_mz = rte_memzone_reserve_aligned(CG_SHM_MZ_TRACE, sizeof(struct cg_shm_trace), socket,
					       0, RTE_CACHE_LINE_SIZE);
	if (trace_mz == NULL) {
		CG_ERR("shm: rte_memzone_reserve %s: %s", CG_SHM_MZ_TRACE, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	cg_dp_trace = trace_mz->addr;
	memset(cg_dp_trace, 0, sizeof(*cg_dp_trace));
	{
		struct timespec ts;

		/* The anchor that turns a record's TSC into wall-clock time. */
		clock_gettime(CLOCK_REALTIME, &ts);
		cg_dp_trace->tsc0 = rte_rdtsc();
		cg_dp_trace->unix_ns0 = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
		cg_dp_trace->tsc_hz = rte_get_tsc_hz();
	}
	cg_dp_info = info_mz->addr;
	slot = req_mz->addr;
	memset(cg_dp_info, 0, sizeof(*cg_dp_info));
	memset(slot, 0, sizeof(*slot));
	cg_dp_info->layout_version = CG_SHM_LAYOUT_VERSION;
	cg_dp_info->pid = (int32_t)getpid();
	cg_dp_info->start_unix_ms = start_unix_ms;

	cg_dp_shm_queue = rte_ring_create_elem("cg_shm_queue", sizeof(struct pending),
					       QUEUE_SIZE, socket,
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (cg_dp_shm_queue == NULL) {
		CG_ERR("shm: rte_ring_create_elem cg_shm_queue: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wake_fd < 0) {
		CG_ERR("shm: eventfd: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static uint16_t
lcore_role(unsigned int lcore, uint16_t *worker)
{
	*worker = 0;
	if (lcore == rte_get_main_lcore())
		return dp_g.main_is_worker ? CG_SHM_LCORE_BOTH : CG_SHM_LCORE_SERVICE;
	for (unsigned int w = 0; w < dp_g.nb_workers; w++) {
		if (dp_g.worker_lcore[w] == lcore) {
			*worker = (uint16_t)w;
			return CG_SHM_LCORE_WORKER;
		}
	}
	return 0;
}

void
cg_dp_shm_publish_port(uint16_t idx)
{
	const struct cg_dp_port *p = &dp_g.ports[idx];
	struct cg_shm_port_info *o = &cg_dp_info->ports[idx];

	snprintf(o->name, sizeof(o->name), "%s", p->name);
	snprintf(o->driver, sizeof(o->driver), "%s", p->driver);
	snprintf(o->device, sizeof(o->device), "%s", p->device);
	o->port_id = p->up ? p->port_id : UINT16_MAX;
	o->mtu = p->mtu;
	o->nb_queues = p->nb_queues;
	o->ip = p->ip;
	o->prefix_len = p->prefix_len;
	memcpy(o->mac, p->mac.addr_bytes, 6);
	o->gateway = p->gateway;
}

void
cg_dp_shm_publish(const struct cg_conf *c, const char *config_path)
{
	struct cg_shm_info *in = cg_dp_info;
	char abs[PATH_MAX];
	unsigned int lcore;

	snprintf(in->version, sizeof(in->version), "%s", CG_VERSION);
	snprintf(in->dpdk_version, sizeof(in->dpdk_version), "%s", rte_version());
	snprintf(in->config_path, sizeof(in->config_path), "%s",
		 realpath(config_path, abs) != NULL ? abs : config_path);
	snprintf(in->state_file, sizeof(in->state_file), "%s", c->ctl.state_file);
	snprintf(in->file_prefix, sizeof(in->file_prefix), "%s", dp_g.p.file_prefix);

	in->nb_ports = dp_g.nb_ports;
	for (uint16_t i = 0; i < dp_g.nb_ports && i < CG_SHM_MAX_PORTS; i++)
		cg_dp_shm_publish_port(i);

	/* Index = rte_lcore_index() = the lcore's counter block. */
	in->nb_lcores = 0;
	RTE_LCORE_FOREACH(lcore) {
		int idx = rte_lcore_index((int)lcore);
		struct cg_shm_lcore_info *l;

		if (idx < 0 || idx >= CG_SHM_MAX_LCORES)
			continue;
		l = &in->lcores[idx];
		l->lcore_id = lcore;
		l->role = lcore_role(lcore, &l->worker);
		if ((uint32_t)idx + 1 > in->nb_lcores)
			in->nb_lcores = (uint32_t)idx + 1;
	}
	/* Blocks as cg_dp_stats_init() reserved them: one per EAL lcore. */
	in->nb_ctr_blocks = rte_lcore_count();
	in->nb_workers = dp_g.nb_workers;
	__atomic_store_n(&in->magic, CG_SHM_MAGIC, __ATOMIC_RELEASE);
}

/* Answer a request (any thread: rte_mp_reply() only sends on the socket). */
static void
reply(const char *peer, uint64_t seq, int result, uint32_t done, const char *err)
{
	struct cg_shm_mp_rep rep;
	struct rte_mp_msg msg;

	memset(&rep, 0, sizeof(rep));
	rep.seq = seq;
	rep.result = result;
	rep.done = done;
	rep.generation = cg_dp_rules != NULL ?
		__atomic_load_n(&cg_dp_rules->generation, __ATOMIC_ACQUIRE) : 0;
	if (result < 0 && err != NULL)
		snprintf(rep.err, sizeof(rep.err), "%s", err);
	memset(&msg, 0, sizeof(msg));
	snprintf(msg.name, sizeof(msg.name), "%s", CG_SHM_MP_RULES);
	memcpy(msg.param, &rep, sizeof(rep));
	msg.len_param = sizeof(rep);
	if (rte_mp_reply(&msg, peer) < 0)
		CG_WARN("shm: rule request %" PRIu64 ": reply to %s: %s", seq, peer,
			rte_strerror(rte_errno));
}

/* EAL IPC thread: queue, never block, never touch the rule table. */
static int
on_rules_msg(const struct rte_mp_msg *msg, const void *peer)
{
	struct cg_shm_mp_req req;
	struct pending p;

	if (peer == NULL)
		return 0;
	if (msg->len_param != (int)sizeof(req)) {
		reply(peer, 0, -EPROTO, 0, "rule request: bad message length (another castgate build?)");
		return 0;
	}
	memcpy(&req, msg->param, sizeof(req));
	if (stopping) {
		reply(peer, req.seq, -EPIPE, 0, "castgate-dataplane is stopping");
		return 0;
	}
	memset(&p, 0, sizeof(p));
	p.seq = req.seq;
	snprintf(p.peer, sizeof(p.peer), "%s", (const char *)peer);
	if (rte_ring_sp_enqueue_elem(cg_dp_shm_queue, &p, sizeof(p)) != 0) {
		reply(peer, req.seq, -EBUSY, 0, "castgate-dataplane: too many rule requests queued");
		return 0;
	}
	/* Non-blocking: a full counter already means "wake up". */
	if (eventfd_write(wake_fd, 1) < 0 && errno != EAGAIN)
		CG_WARN("shm: eventfd_write: %s", strerror(errno));
	return 0;
}

int
cg_dp_shm_serve(void)
{
	if (rte_mp_action_register(CG_SHM_MP_RULES, on_rules_msg) < 0) {
		CG_ERR("shm: rte_mp_action_register %s: %s", CG_SHM_MP_RULES,
		       rte_strerror(rte_errno));
		return -rte_errno;
	}
	serving = true;
	return 0;
}

void
cg_dp_shm_ready(void)
{
	__atomic_store_n(&cg_dp_info->ready, 1, __ATOMIC_RELEASE);
}

static const char *
op_name(uint32_t op)
{
	switch (op) {
	case CG_SHM_RULES_ADD: return "add";
	case CG_SHM_RULES_UPDATE: return "update";
	case CG_SHM_RULES_REMOVE: return "remove";
	default: return "?";
	}
}

static void
handle(const struct pending *p, unsigned int self_reader)
{
	/* Static: 64 KB, and only the main lcore handles requests. */
	static struct cg_shm_rules_req req[CG_SHM_REQ_BATCH];
	char err[sizeof(((struct cg_shm_mp_rep *)0)->err)];
	uint64_t s1, s2, t0 = rte_rdtsc();
	uint32_t n, done = 0;
	int ret = 0;

	err[0] = '\0';
	/* Seqlock read: the copy is good only if seq did not move during it. */
	s1 = __atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE);
	n = RTE_MIN(slot->count, (uint32_t)CG_SHM_REQ_BATCH);
	memcpy(req, (const void *)slot->req, n * sizeof(req[0]));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	s2 = __atomic_load_n(&slot->seq, __ATOMIC_RELAXED);
	if (s1 != p->seq || s2 != s1) {
		snprintf(err, sizeof(err), "rule request %" PRIu64 ": the request slot was "
			 "overwritten (holds %" PRIu64 "): one writer at a time", p->seq, s2);
		ret = -EBUSY;
	} else if (n == 0) {
		snprintf(err, sizeof(err), "rule request %" PRIu64 ": no change in it", p->seq);
		ret = -EINVAL;
	}
	for (; ret == 0 && done < n; done++) {
		ret = cg_dp_rules_apply(&req[done], self_reader, err, sizeof(err));
		if (ret < 0)
			break;
	}
	slot->done_count = done;
	slot->done_result = ret;
	__atomic_store_n(&slot->done_seq, p->seq, __ATOMIC_RELEASE);
	reply(p->peer, p->seq, ret, done, err);

	if (ret == 0 && n == 1) {
		req[0].rule.name[sizeof(req[0].rule.name) - 1] = '\0';
		CG_INFO("rule %s: %s (%s), from control; generation %" PRIu64 ", %.0f us",
			req[0].rule.name, op_name(req[0].op),
			req[0].origin == CG_SHM_ORIGIN_CONFIG ? "config" : "api",
			cg_dp_rules->generation,
			(double)(rte_rdtsc() - t0) * 1e6 / (double)rte_get_tsc_hz());
	} else if (ret == 0) {
		/* A bulk load: one line per request, not per rule. */
		req[0].rule.name[sizeof(req[0].rule.name) - 1] = '\0';
		req[n - 1].rule.name[sizeof(req[n - 1].rule.name) - 1] = '\0';
		CG_INFO("rules %s .. %s: %u changes (%s), from control; generation %" PRIu64
			", %.0f us", req[0].rule.name, req[n - 1].rule.name, n,
			op_name(req[0].op), cg_dp_rules->generation,
			(double)(rte_rdtsc() - t0) * 1e6 / (double)rte_get_tsc_hz());
	} else {
		CG_WARN("rule request %" PRIu64 " (%s, change %u of %u) refused: %s", p->seq,
			n > 0 ? op_name(req[RTE_MIN(done, n - 1)].op) : "?", done + 1, n, err);
	}
}

void
cg_dp_shm_idle_wait(unsigned int us)
{
	struct pollfd pfd = { .fd = wake_fd, .events = POLLIN };
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
	eventfd_t n;

	if (wake_fd < 0) {
		usleep(us);
		return;
	}
	if (ppoll(&pfd, 1, &ts, NULL) > 0)
		(void)eventfd_read(wake_fd, &n);
}

unsigned int
cg_dp_shm_poll(unsigned int self_reader)
{
	struct pending p;
	unsigned int n = 0;

	if (cg_dp_shm_queue == NULL)
		return 0;
	while (n < POLL_BURST &&
	       rte_ring_sc_dequeue_elem(cg_dp_shm_queue, &p, sizeof(p)) == 0) {
		handle(&p, self_reader);
		n++;
	}
	return n;
}

void
cg_dp_shm_fini(void)
{
	struct pending p;

	if (cg_dp_info != NULL)
		__atomic_store_n(&cg_dp_info->ready, 0, __ATOMIC_RELEASE);
	stopping = true;
	if (serving) {
		rte_mp_action_unregister(CG_SHM_MP_RULES);
		serving = false;
	}
	/* The IPC thread may still be queueing one; rte_eal_cleanup() stops it. */
	while (cg_dp_shm_queue != NULL &&
	       rte_ring_sc_dequeue_elem(cg_dp_shm_queue, &p, sizeof(p)) == 0)
		reply(p.peer, p.seq, -EPIPE, 0, "castgate-dataplane is stopping");
	/* wake_fd stays open: the IPC thread may still write it until
	 * rte_eal_cleanup() stops that thread; exit closes it. */
}
