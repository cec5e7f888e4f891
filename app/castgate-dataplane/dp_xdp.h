/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AF_XDP steering: ports on net_af_xdp with xdp_steer = true get castgate's
 * XDP program (bpf/cg_xdp_steer.c) through the PMD's xdp_prog= devarg, and
 * this module keeps the program's map equal to the port's rules, so that
 * only the rules' traffic reaches the socket and the kernel keeps the rest.
 * It also removes a program that a killed run left on an af_xdp port's
 * interface, which would otherwise make the PMD's attach fail.
 * Main lcore only (like the rule table's writers).
 */
#ifndef CG_DP_XDP_H
#define CG_DP_XDP_H

#include <stdbool.h>
#include <stdint.h>

#include "cg_conf.h"
#include "cg_rule.h"

/**
 * Rewrite one EAL `--vdev=` argument for steering: a net_af_xdp device of a
 * port with xdp_steer gets `,xdp_prog=<castgate's object>` appended.
 * @param c the config (ports and their xdp_steer).
 * @param arg in: a malloc'ed "--vdev=..." string; out: the same or a new one
 *        (the old one freed).
 * @return 0, -ENOENT if the object file is missing (logged, naming the paths
 *         looked at), -ENOTSUP if this build has no AF_XDP steering, -ENOMEM.
 */
int cg_dp_xdp_adapt_vdev(const struct cg_conf *c, char **arg);

/**
 * Before an af_xdp port's queues are set up: remember whether it steers, and
 * detach a program left on its interface by a run that died (castgate's own
 * program or the PMD's default one), with a warning naming it. No-op for
 * other drivers.
 * @return 0, or a negative errno: a foreign program is attached (logged with
 *         its id and name), or the detach failed.
 */
int cg_dp_xdp_port_prepare(uint16_t idx);

/**
 * After an af_xdp port with xdp_steer started: find the steering map of the
 * program the PMD attached, and fill it with the port's rules and its own
 * address (ARP). No-op for other ports.
 * @return 0, or a negative errno (logged).
 */
int cg_dp_xdp_port_started(uint16_t idx);

/**
 * A rule of the table was added (@p add) or removed: count its input's
 * (destination, dport) in or out of its port's steering map. Called by the
 * rule table under its lock, once per change; an update is an add of the new
 * rule then a remove of the old one. Failures are logged (that rule's traffic
 * then goes to the kernel), never returned: the rule table stays as decided.
 */
void cg_dp_xdp_rule(const struct cg_rule *r, bool add);

#endif
