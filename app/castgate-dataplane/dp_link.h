/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_LINK_H
#define CG_DP_LINK_H

/**
 * @file
 * Each port's link and presence, followed by the main lcore, which is the
 * only writer of a port's state (cg_info's link[], dp_g.port_open/port_tx):
 *   - af_packet and af_xdp ports: the kernel's RTNLGRP_LINK (their PMDs
 *     report no change after start), checked again every second with an
 *     ioctl, which also notices an interface deleted and created again;
 *   - ports whose driver raises RTE_ETH_EVENT_INTR_LSC: its callback (on
 *     the EAL interrupt thread) only flags the port; the main lcore reads
 *     the link then;
 *   - every open port: rte_eth_link_get_nowait() every second, as a backup.
 * A port whose interface is missing at start is left out of the EAL line
 * and opened (hot-plugged) when it appears; one whose interface is deleted
 * is closed once no worker uses it, and opened again when it comes back.
 * Workers stop sending on a port whose link is down (dropped and counted as
 * link_down), and drop what waits for it, so nothing goes out late.
 */

#include <stdbool.h>
#include <stdint.h>

/**
 * For cg_dp_eal_argv(): note each vdev's device string in its port, and
 * leave out (return true) an af_packet or af_xdp vdev whose interface does
 * not exist now. Before rte_eal_init(), after the ports were set up.
 */
bool cg_dp_link_defer_vdev(const char *devargs, void *arg);

/**
 * After the ports that exist were brought up and cg_info was published:
 * register LSC callbacks, open the netlink monitor, set every port's first
 * state (a missing port is "missing").
 * @return 0 (a netlink failure is logged: the 1 s check remains).
 */
int cg_dp_link_init(void);

/**
 * Main lcore, from the service timer: take in what changed, open ports
 * whose interface appeared, close ports whose interface went away.
 */
void cg_dp_link_poll(uint64_t now_tsc);

/** Unregister callbacks, close the monitor. */
void cg_dp_link_fini(void);

#endif /* CG_DP_LINK_H */
