/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_RULES_H
#define CG_DP_RULES_H

/**
 * @file
 * The rule table: an rte_hash (lock-free readers) from struct cg_rule_key to
 * a slot index in the memzone CG_SHM_MZ_RULES, which holds each rule as configured
 * and what the workers need to emit it, precomputed per output.
 *
 * Single writer: the primary's main lcore (config and state-file rules at
 * start; then requests that arrive over rte_mp IPC from a control process,
 * see dp_ctl.h). Every change goes through cg_dp_rules_apply() with a
 * plain-data request (struct cg_shm_rules_req), so a request can be copied
 * from shared memory as is. The layouts are lib/shm's (cg_shm.h); nothing in
 * shared memory is a function pointer.
 *
 * Memory safety: a slot or hash key position is only reused after an RCU
 * (rte_rcu_qsbr) grace period: every forwarding lcore reports a quiescent
 * state once per loop iteration, and the writer synchronizes after unlinking
 * and before recycling.
 */

#include <stdbool.h>
#include <assert.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_rcu_qsbr.h>

#include "cg_rule.h"
#include "cg_shm.h"
#include "dp.h"

/**
 * A rule key as handed to rte_hash: rte_hash_crc() reads keys with 8-byte
 * loads, so each key starts on an 8-byte boundary (also in arrays).
 */
struct cg_dp_key {
	struct cg_rule_key k;
	uint32_t pad;	/* zero: 16 bytes is a key length rte_hash compares fast */
} __rte_aligned(8);

static_assert(sizeof(struct cg_dp_key) == 16, "struct cg_dp_key: rte_hash's 16-byte compare");

/** The seed of the rule hash's function (rte_hash_crc). */
#define CG_DP_RULE_HASH_SEED 0

/**
 * The rule hash's signature of @p key, as rte_hash computes it: the fast path
 * hashes a key once, for its flow cache set and, on a miss, for
 * rte_hash_lookup_with_hash_bulk_data().
 */
static inline hash_sig_t
cg_dp_key_sig(const struct cg_dp_key *key)
{
	return rte_hash_crc(key, sizeof(*key), CG_DP_RULE_HASH_SEED);
}

/* The slots (struct cg_shm_rule_slot, struct cg_shm_out) and the change
 * request (struct cg_shm_rules_req) are lib/shm's: secondaries read them. */

/** The table, for the fast path. */
extern struct rte_hash *cg_dp_rule_hash;
/**
 * Installed rules with a source ((S,G)). While there is none, a packet needs
 * one lookup (source 0) instead of two. Raised before such a rule's key is
 * added, lowered after it is removed.
 */
extern volatile uint32_t cg_dp_rules_nb_sg;
extern struct cg_shm_rules *cg_dp_rules;
extern struct rte_rcu_qsbr *cg_dp_rules_qsbr;

/**
 * What the fast path reads of a rule: its per-packet checks and its first
 * output, a copy of the slot's, in one 64-byte record per slot
 * (cg_dp_rule_fast[slot], primary-private). A slot is 2.3 KB, mostly the
 * configured rule that readers show, so in a large table each packet's slot
 * would be on a page of its own; the records of 100 000 rules take 6.4 MB,
 * and a packet of a one-output rule reads one line of them.
 * Written with the slot, before the hash makes either reachable; outputs
 * after the first are read from the slot.
 */
struct cg_dp_rule_fast {
	struct cg_shm_out_hot out0;
	uint8_t nb_out;
	uint8_t rtp;
	uint8_t min_ttl;
} __rte_aligned(64);

static_assert(sizeof(struct cg_dp_rule_fast) == 64 && CG_SHM_PRIVATE_BYTES_PER_SLOT >= 64 + 64,
	      "struct cg_dp_rule_fast: one line, counted in CG_SHM_PRIVATE_BYTES_PER_SLOT");

extern struct cg_dp_rule_fast *cg_dp_rule_fast;

/**
 * Bumped by the main lcore after every change of what a key finds (a key
 * added, removed or pointed at another slot), before the grace period that
 * precedes freeing a slot. A worker's flow cache (dp_fwd.c) trusts an entry
 * only in bursts that read the epoch the entry was filled under, so a burst
 * begun after a change never uses what it cached before.
 */
extern volatile uint64_t cg_dp_rules_epoch;

/** Output @p o of slot @p slot, whose record is @p f. */
static inline const struct cg_shm_out_hot *
cg_dp_rule_out(const struct cg_dp_rule_fast *f, uint32_t slot, unsigned int o)
{
	return o == 0 ? &f->out0 : &cg_shm_rule_slot(cg_dp_rules, slot)->out[o].h;
}

/**
 * Create the hash, the memzone and the RCU variable for @p nb_readers
 * forwarding lcores (thread ids 0..nb_readers-1 = worker indexes).
 * @return 0 or a negative errno.
 */
int cg_dp_rules_init(unsigned int nb_readers);

/**
 * Apply one change (main lcore only). Validates the rule against the ports
 * (existence, next hop reachability), links it, joins/leaves IGMP groups and
 * references ARP next hops as needed, stores req->origin in the slot (ADD,
 * UPDATE; must be a valid enum cg_shm_origin) and bumps the generation. On
 * failure nothing changed. Which origins may be changed is not checked here
 * (control's policy). @p req is copied first, so it may live in memory
 * that another process writes.
 *
 * @param self_reader  RCU thread id of the caller if it also forwards
 *                     (the main lcore as worker 0: 0), else RTE_QSBR_THRID_INVALID. A
 *                     forwarding caller must have flushed its TX buffers:
 *                     buffered packets carry counter tags of rule slots.
 * @param err          message naming the rule and the problem.
 * @return 0; -EINVAL, -EEXIST, -ENOENT, -ENOSPC or -ENOMEM.
 */
int cg_dp_rules_apply(const struct cg_shm_rules_req *req, unsigned int self_reader,
		      char *err, size_t errlen);

/** Remove every rule (shutdown); leaves their IGMP groups. */
void cg_dp_rules_clear(unsigned int self_reader);

/** Free the hash and RCU memory (after the lcores stopped). */
void cg_dp_rules_fini(void);

#endif /* CG_DP_RULES_H */
