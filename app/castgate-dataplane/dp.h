/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_H
#define CG_DP_H

/**
 * @file
 * Process-wide state of castgate-dataplane shared by its modules.
 *
 * Ports are referred to by their index in the config ("cg port index",
 * 0..nb_ports-1), which is also the port_id in rule keys and rule outputs.
 * The DPDK port id is kept next to it; dp_port_by_dpdk[] maps back.
 *
 * Lcores: every lcore of the EAL set has a dense index (rte_lcore_index()).
 * Forwarding lcores ("workers") get a worker index 0..nb_workers-1, which is
 * also the RX and TX queue id they own on every port. With one lcore, or with
 * main_forwards, the main lcore is worker 0 and also runs the service (ARP,
 * IGMP, timers) between bursts; else the main lcore only runs the service.
 * Either way the service talks to the other workers through rings.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "cg_conf.h"
#include "cg_shm.h"

/* Sizes of what lib/shm shares with secondaries. */
#define CG_DP_MAX_PORTS CG_SHM_MAX_PORTS
#define CG_DP_MAX_WORKERS 16
#define CG_DP_MAX_OUTPUTS CG_SHM_MAX_OUTPUTS
/** RX queues one worker may poll (one per port when workers <= queues). */
#define CG_DP_MAX_RXQ_PER_WORKER (CG_DP_MAX_PORTS * 2)
/** rte_hash_lookup_bulk_data() takes at most this many keys. */
#define CG_DP_MAX_BURST 64

/** One DPDK port as configured and brought up. */
struct cg_dp_port {
	char name[32];			/**< config name, used in logs */
	char device[256];		/**< device string (vdev args or PCI address) */
	uint16_t port_id;		/**< DPDK port id (while up) */
	bool up;			/**< probed, configured and started */
	char ifname[16];		/**< kernel interface (af_packet, af_xdp), else "" */
	char devargs[512];		/**< vdev string as probed ("" for PCI): to re-probe */
	bool lsc;			/**< its driver raises RTE_ETH_EVENT_INTR_LSC */
	bool deferred;			/**< interface missing at start: not on the EAL line */
	int ifindex;			/**< of ifname when the port was opened */
	uint32_t ip;			/**< network order; source IP of what we emit */
	uint8_t prefix_len;
	uint32_t gateway;		/**< network order, 0 = none */
	bool mac_set;			/**< false: read from device */
	struct rte_ether_addr mac;
	uint16_t mtu;
	uint16_t rx_desc, tx_desc;	/**< 0 = dataplane default */
	uint16_t nb_queues;		/**< RX and TX queues, one per worker */
	bool multi_seg;			/**< TX accepts chained mbufs */
	uint8_t tx_multi_seg;		/**< enum cg_conf_multi_seg, from the config */
	bool afp_guard;			/**< net_af_packet: TX goes through dp_afp */
	char driver[32];
};

/** The process context. One instance, dp_g. */
struct cg_dp {
	/**
	 * The config's [dataplane] section as loaded, read in place by the
	 * modules (a struct copy: no field is copied by hand, a new key needs
	 * no code here). burst is clamped to CG_DP_MAX_BURST. eal_args points
	 * into the config, which main() keeps until exit.
	 */
	struct cg_conf_dataplane p;
	uint16_t nb_ports;
	struct cg_dp_port ports[CG_DP_MAX_PORTS];
	/** DPDK port id -> cg port index, 0xffff if not ours. */
	uint16_t port_by_dpdk[RTE_MAX_ETHPORTS];

	struct rte_mempool *pool;	/**< packet buffers */
	struct rte_mempool *hdr_pool;	/**< small header mbufs for fan-out */
	struct rte_mempool *clone_pool;	/**< indirect mbufs for fan-out */

	unsigned int nb_workers;
	unsigned int worker_lcore[CG_DP_MAX_WORKERS];
	bool main_is_worker;		/**< the main lcore is worker 0 (and the service) */
	/** Frames for the service (ARP, IGMP), one ring per worker, SP/SC. */
	struct rte_ring *slow_rx[CG_DP_MAX_WORKERS];
	/** Service frames (ARP, IGMP) to send, drained by worker 0, SP/SC. */
	struct rte_ring *svc_tx;

	/*
	 * What the workers may do with each port, written by the main lcore
	 * (dp_link) and read by the workers when port_gen moves: open = the
	 * device is started (poll RX), tx = open and its link is up (send).
	 */
	volatile uint8_t port_open[CG_DP_MAX_PORTS];
	volatile uint8_t port_tx[CG_DP_MAX_PORTS];
	volatile uint32_t port_gen;	/**< bumped (release) after a change above */

	volatile bool stop;		/**< set by the signal path; lcores exit */
	const char *stats_out;
};

extern struct cg_dp dp_g;

/** Serializes rule changes with readers outside the fast path (telemetry). */
extern pthread_mutex_t cg_dp_ctl_lock;

#endif /* CG_DP_H */
