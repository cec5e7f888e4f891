/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow-path service: ARP and IGMP frames from the workers, protocol
 * timers, and the control frames it sends through worker 0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "cg_log.h"
#include "cg_pkt.h"
#include "dp.h"
#include "dp_arp.h"
#include "dp_fwd.h"
#include "dp_igmp.h"
#include "dp_link.h"
#include "dp_service.h"
#include "dp_stats.h"

/* Slow-path rings: ARP/IGMP arrive at human rates; 1024 absorbs bursts. */
#define SLOW_RING_SIZE 1024
#define SLOW_BURST 32
/* Timers run at most this often (ARP retries are >= tens of ms). */
#define TIMER_PERIOD_MS 5

uint64_t cg_dp_tsc_ms;
static uint64_t next_timer;

int
cg_dp_service_init(void)
{
	char name[RTE_RING_NAMESIZE];

	cg_dp_tsc_ms = rte_get_tsc_hz() / 1000;
	for (unsigned int w = 0; w < dp_g.nb_workers; w++) {
		snprintf(name, sizeof(name), "cg_slow_rx_%u", w);
		dp_g.slow_rx[w] = rte_ring_create(name, SLOW_RING_SIZE, (int)rte_socket_id(),
						  RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (dp_g.slow_rx[w] == NULL) {
			CG_ERR("service: rte_ring_create %s: %s", name, rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	dp_g.svc_tx = rte_ring_create("cg_svc_tx", SLOW_RING_SIZE, (int)rte_socket_id(),
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (dp_g.svc_tx == NULL) {
		CG_ERR("service: rte_ring_create cg_svc_tx: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

int
cg_dp_service_send(uint16_t port, const uint8_t *frame, int len)
{
	struct rte_mbuf *m;
	char *d;

	if (len <= 0 || port >= dp_g.nb_ports || !dp_g.ports[port].up)
		return -EINVAL;
	m = rte_pktmbuf_alloc(dp_g.pool);
	if (m == NULL) {
		cg_dp_ctrs_self()->drops[CG_SHM_DROP_NO_MBUF]++;
		return -ENOBUFS;
	}
	d = rte_pktmbuf_append(m, (uint16_t)len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	memcpy(d, frame, (size_t)len);
	m->port = port;		/* cg index: worker 0 reads it in drain_svc() */
	if (rte_ring_sp_enqueue(dp_g.svc_tx, m) != 0) {
		rte_pktmbuf_free(m);
		cg_dp_ctrs_self()->drops[CG_SHM_DROP_TX_FULL]++;
		return -ENOSPC;
	}
	return 0;
}

static void
handle(struct rte_mbuf *m, uint64_t now)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	struct cg_pkt_info pi;
	uint16_t port = m->port < RTE_MAX_ETHPORTS ? dp_g.port_by_dpdk[m->port] : UINT16_MAX;

	if (port >= dp_g.nb_ports)
		goto out;
	switch (cg_pkt_parse(f, len, CG_PKT_F_CHECK_IP_CSUM, &pi)) {
	case CG_PKT_ARP:
		cg_dp_arp_input(port, f, len, &pi);
		break;
	case CG_PKT_IGMP:
		cg_dp_igmp_input(port, f + pi.l4_off, pi.l4_len, now);
		break;
	default:
		break;
	}
out:
	rte_pktmbuf_free(m);
}

unsigned int
cg_dp_service_poll(uint64_t now)
{
	struct rte_mbuf *m[SLOW_BURST];
	unsigned int total = 0;

	for (unsigned int w = 0; w < dp_g.nb_workers; w++) {
		unsigned int n = rte_ring_sc_dequeue_burst(dp_g.slow_rx[w], (void **)m,
							   SLOW_BURST, NULL);

		for (unsigned int i = 0; i < n; i++)
			handle(m[i], now);
		total += n;
	}
	if (now >= next_timer) {
		next_timer = now + TIMER_PERIOD_MS * cg_dp_tsc_ms;
		cg_dp_arp_timer(now);
		cg_dp_igmp_timer(now);
		cg_dp_link_poll(now);
	}
	return total;
}

void
cg_dp_service_start(void)
{
	for (uint16_t p = 0; p < dp_g.nb_ports; p++)
		cg_dp_arp_announce(p);
}

void
cg_dp_service_stop(void)
{
	struct rte_mbuf *m;

	cg_dp_igmp_leave_all(cg_dp_fwd_drain_service);
	for (unsigned int w = 0; w < dp_g.nb_workers; w++)
		while (rte_ring_sc_dequeue(dp_g.slow_rx[w], (void **)&m) == 0)
			rte_pktmbuf_free(m);
}
