/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_RULES_H
#define CG_DP_RULES_H

/**
 * @file
 * The rule table: an rte_hash (lock-free readers) from struct cg_rule_key to
 * a slot index in the memzone "cg_rules", which holds each rule as configured
 * and what the workers need to emit it, precomputed per output.
 *
 * Single writer: the primary's main lcore (config at start; later requests
 * that arrive over rte_mp IPC from a control process). Every change goes
 * through cg_dp_rules_apply() with a plain-data request, so a request can be
 * copied from a message as is. Nothing in shared memory is a function pointer.
 *
 * Memory safety: a slot or hash key position is only reused after an RCU
 * (rte_rcu_qsbr) grace period: every forwarding lcore reports a quiescent
 * state once per loop iteration, and the writer synchronizes after unlinking
 * and before recycling.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "cg_rule.h"
#include "dp.h"

#if CG_DP_MAX_OUTPUTS != CG_RULE_MAX_OUTPUTS
#error "CG_DP_MAX_OUTPUTS must equal CG_RULE_MAX_OUTPUTS"
#endif

/**
 * A rule key as handed to rte_hash: rte_hash_crc() reads keys with 8-byte
 * loads, so each key starts on an 8-byte boundary (also in arrays).
 */
struct cg_dp_key {
	struct cg_rule_key k;
} __rte_aligned(8);

/** Next hop index meaning "destination MAC is static" (multicast or configured). */
#define CG_DP_NH_STATIC UINT32_MAX

/** One output, precomputed for the fast path. */
struct cg_dp_out {
	uint16_t port;			/**< cg port index */
	uint16_t sport_be;		/**< 0 = keep */
	uint16_t dport_be;
	uint8_t ttl;
	uint32_t src_be;		/**< resolved: 0 in the rule means the port's IP */
	uint32_t dst_be;
	uint32_t nh;			/**< next hop index, or CG_DP_NH_STATIC */
	uint8_t dst_mac[6];		/**< when nh == CG_DP_NH_STATIC */
};

/** A rule slot in the "cg_rules" memzone. */
struct cg_dp_rule_slot {
	struct cg_rule rule;		/**< as configured (names, ids for readers) */
	uint8_t in_use;
	uint8_t nb_out;
	struct cg_dp_out out[CG_DP_MAX_OUTPUTS];
} __rte_cache_aligned;

/** Layout of the "cg_rules" memzone. */
struct cg_dp_rules_shm {
	uint32_t nb_slots;
	uint32_t nb_rules;		/**< live rules */
	uint64_t generation;		/**< bumped after every applied change */
	struct cg_dp_rule_slot slot[CG_DP_MAX_RULES];
};

/** The table, for the fast path. */
extern struct rte_hash *cg_dp_rule_hash;
extern struct cg_dp_rules_shm *cg_dp_rules;
extern struct rte_rcu_qsbr *cg_dp_rules_qsbr;

/** A change to the table. Plain data: may come from another process. */
enum cg_dp_rules_op {
	CG_DP_RULES_ADD = 1,	/**< add @c rule; its name, id and match must be new */
	CG_DP_RULES_UPDATE,	/**< replace the rule named @c rule.name */
	CG_DP_RULES_REMOVE,	/**< remove the rule named @c rule.name (other fields ignored) */
};

struct cg_dp_rules_req {
	uint32_t op;			/**< enum cg_dp_rules_op */
	struct cg_rule rule;		/**< ports resolved (port_id set) */
};

/**
 * Create the hash, the memzone and the RCU variable for @p nb_readers
 * forwarding lcores (thread ids 0..nb_readers-1 = worker indexes).
 * @return 0 or a negative errno.
 */
int cg_dp_rules_init(unsigned int nb_readers);

/**
 * Apply one change (main lcore only). Validates the rule against the ports
 * (existence, next hop reachability), links it, joins/leaves IGMP groups and
 * references ARP next hops as needed. On failure nothing changed.
 *
 * @param self_reader  RCU thread id of the caller if it also forwards
 *                     (single-lcore mode), else RTE_QSBR_THRID_INVALID. A
 *                     forwarding caller must have flushed its TX buffers:
 *                     buffered packets carry counter tags of rule slots.
 * @param err          message naming the rule and the problem.
 * @return 0; -EINVAL, -EEXIST, -ENOENT, -ENOSPC or -ENOMEM.
 */
int cg_dp_rules_apply(const struct cg_dp_rules_req *req, unsigned int self_reader,
		      char *err, size_t errlen);

/** Remove every rule (shutdown); leaves their IGMP groups. */
void cg_dp_rules_clear(unsigned int self_reader);

/** Free the hash and RCU memory (after the lcores stopped). */
void cg_dp_rules_fini(void);

#endif /* CG_DP_RULES_H */
