/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_PORT_H
#define CG_DP_PORT_H

/**
 * @file
 * Port bring-up and shutdown, nothing else: find the DPDK port of each
 * configured device, configure it (one RX and one TX queue per worker), set
 * MAC and MTU, start it and open it to multicast.
 */

#include <stdint.h>

#include "dp.h"

/**
 * Find the DPDK port of every configured port (but those deferred) (by device name, the part of
 * the device string before the first comma) and fill dp_g.port_by_dpdk.
 * @return 0, or -ENODEV naming the missing port in the log.
 */
int cg_dp_port_resolve_all(void);

/**
 * Bring up cg port @p idx with @p nb_queues RX/TX queue pairs:
 * info_get, configure, adjust descriptors, queue setup, MAC, MTU, start,
 * allmulticast (or promiscuous), af_packet TX guard. Each step is checked
 * and logged with the port name.
 * @return 0 or a negative errno.
 */
int cg_dp_port_up(uint16_t idx, uint16_t nb_queues);

/** Stop and close every port that was brought up. */
void cg_dp_port_down_all(void);

#endif /* CG_DP_PORT_H */
