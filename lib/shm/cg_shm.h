/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_SHM_H
#define CG_SHM_H

/**
 * @file
 * The contract between castgate-dataplane (the DPDK primary) and the
 * processes that attach to it as DPDK secondaries (castgate-control, tests):
 * the layouts of the shared memzones and the rte_mp messages that change
 * rules. Nothing else is shared; both sides include only this header.
 *
 * **Memzones** (names are fixed; the EAL file prefix isolates instances):
 * | name                 | layout                                  | written by |
 * |----------------------|-----------------------------------------|------------|
 * | CG_SHM_MZ_INFO       | struct cg_shm_info                      | primary, at start (ready: also at stop) |
 * | CG_SHM_MZ_RULES      | struct cg_shm_rules + its slots + index | primary main lcore only |
 * | CG_SHM_MZ_COUNTERS   | nb_ctr_blocks struct cg_shm_lcore_ctrs, block_size apart | block i: only the lcore of info->lcores[i] |
 * | CG_SHM_MZ_REQUEST    | struct cg_shm_request                   | the one requesting secondary (req), primary (done_*) |
 * | CG_SHM_MZ_TRACE      | struct cg_shm_trace                     | control (what to trace), lcore i (its records) |
 *
 * **Sizes.** The number of rule slots is `[dataplane] max_rules`, fixed at
 * the primary's start: cg_shm_rules.nb_slots says it, and the slots, the
 * rule index and the per-lcore rule counters are flexible arrays sized by
 * it. A slot has room for `[dataplane] max_outputs` outputs
 * (cg_shm_rules.max_outputs, slot_size bytes apart: cg_shm_rule_slot()), and
 * so has its counter entry in each block (ent_size apart: cg_shm_ctr_ent()).
 * A counter block is cg_shm_lcore_ctrs.block_size bytes long (the same in
 * every block); reach block i with cg_shm_ctr_block(), never ctrs[i].
 *
 * **Single writer.** The primary's main lcore is the only writer of the rule
 * table (the rte_hash and the slots). A secondary never writes a slot: it
 * puts one change into the CG_SHM_MZ_REQUEST slot and sends an rte_mp request
 * (CG_SHM_MP_RULES) carrying only the sequence number; the primary copies
 * the change out, applies it, bumps cg_shm_rules.generation and replies with
 * struct cg_shm_mp_rep. cg_shm_rules_request() does all of that.
 *
 * **No function pointers.** DPDK maps shared memory at the same virtual
 * address in every process, but code is not: a function pointer stored by
 * one process (rte_hash's hash function, an ethdev's burst functions)
 * points into that process's text and must never be called by another
 * (DPDK's multi-process guide). Hence secondaries never call rte_hash_* on the rule
 * hash (not even lookups), and everything here is plain data: fixed-size
 * structs, indexes, network-order addresses.
 *
 * **Readers in a secondary** read slots and counters directly, without
 * locks, and stay safe because:
 * - memzones are never freed while the primary serves: only at its exit,
 *   after cg_shm_info.ready went to 0 (the secondary's mapping stays valid,
 *   its contents stale; a secondary exits when the primary is gone);
 * - a slot is written only while it is not in use (in_use == 0) and
 *   in_use is set after the slot is complete; an update fills a *new* slot
 *   and frees the old one after an RCU grace period of the workers (not of
 *   secondaries). Only requests change the table after start, and
 *   control sends them one at a time, so between its own requests the
 *   slots it reads do not move. A reader that cannot rely on that reads
 *   `generation` before and after a slot and retries if it moved;
 * - counters are 64-bit words incremented by one lcore each; a reader sums
 *   the blocks 0..nb_ctr_blocks-1 and may see values a few packets old,
 *   never a torn word (x86-64, aligned). Only the primary resets counters,
 *   and only those of a slot it frees. Rule counters are per *slot*: an
 *   update moves the rule to a new slot, whose counters start at zero, so a
 *   reader that wants totals across updates keeps its own per-name offset.
 */

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <json-c/json.h>

#include "cg_log.h"
#include "cg_pkt.h"
#include "cg_rule.h"

/** Bumped on any change of a layout or message below. */
#define CG_SHM_LAYOUT_VERSION 10
/** cg_shm_info.magic once the primary has filled cg_info ("CGSH"). */
#define CG_SHM_MAGIC 0x43475348u

#define CG_SHM_MZ_INFO     "cg_info"      /**< struct cg_shm_info */
#define CG_SHM_MZ_RULES    "cg_rules"     /**< struct cg_shm_rules */
#define CG_SHM_MZ_COUNTERS "cg_counters"  /**< struct cg_shm_lcore_ctrs[nb_ctr_blocks] */
#define CG_SHM_MZ_REQUEST  "cg_request"   /**< struct cg_shm_request: one request slot */
#define CG_SHM_MZ_TRACE    "cg_trace"     /**< struct cg_shm_trace */
#define CG_SHM_MP_RULES    "cg_rules_req" /**< rte_mp action name */

/** Ports the data plane supports (cg port index 0..CG_SHM_MAX_PORTS-1). */
#define CG_SHM_MAX_PORTS 16
/** Lcores described in cg_info (= counter blocks at most). */
#define CG_SHM_MAX_LCORES 128
/** Outputs per rule. */
#define CG_SHM_MAX_OUTPUTS CG_RULE_MAX_OUTPUTS
/** cg_shm_out_hot.nh of an output whose destination MAC is static. */
#define CG_SHM_NH_STATIC UINT16_MAX

/** Where a rule comes from (cg_shm_rule_slot.origin). */
enum cg_shm_origin {
	CG_SHM_ORIGIN_CONFIG = 1,	/**< a [[rule]] of the config file */
	CG_SHM_ORIGIN_API = 2,		/**< added over JSON-RPC; kept in the state file */
};

/** A change to the rule table. */
enum cg_shm_rules_op {
	CG_SHM_RULES_ADD = 1,	/**< add @c rule; its name, id and match must be new */
	CG_SHM_RULES_UPDATE,	/**< replace the rule named @c rule.name (origin too) */
	CG_SHM_RULES_REMOVE,	/**< remove the rule named @c rule.name (other fields ignored) */
};

/**
 * One change, as the primary applies it. Plain data. The rule's ports must be
 * resolved (port_id = cg port index, i.e. the index in cg_shm_info.ports).
 * The data plane stores @c origin in the slot; whether a change of a rule of
 * some origin is allowed is the control plane's policy, not checked here.
 */
struct cg_shm_rules_req {
	uint32_t op;			/**< enum cg_shm_rules_op */
	uint32_t origin;		/**< enum cg_shm_origin (ADD, UPDATE) */
	struct cg_rule rule;
};

/**
 * What the fast path reads of an output, 60 bytes: with a rule's few flags it
 * makes the primary's one-line record of the rule's first output.
 */
struct cg_shm_out_hot {
	/** The output header as sent, built at install (the source MAC and a
	 * resolved next hop's MAC are written per packet). */
	struct cg_pkt_tmpl tmpl;
	uint16_t port;			/**< cg port index */
	uint16_t nh;			/**< next hop index (primary-private), or CG_SHM_NH_STATIC */
};

/** One output of a rule, precomputed for the fast path. */
struct cg_shm_out {
	struct cg_shm_out_hot h;
	uint16_t sport_be;		/**< 0 = keep */
	uint16_t dport_be;
	uint8_t ttl;
	uint8_t dst_mac[6];		/**< when h.nh == CG_SHM_NH_STATIC */
	uint32_t src_be;		/**< resolved: 0 in the rule means the port's IP */
	uint32_t dst_be;
};

/**
 * A rule slot of CG_SHM_MZ_RULES; its index is also its counter entries'
 * (cg_shm_ctr_ent()). Slots are cg_shm_rules.slot_size bytes apart, room for
 * cg_shm_rules.max_outputs outputs ([dataplane] max_outputs): reach slot i
 * with cg_shm_rule_slot(), and copy one with its size, not sizeof.
 */
struct cg_shm_rule_slot {
	uint8_t in_use;			/**< set after the slot is complete */
	uint8_t nb_out;
	uint8_t origin;			/**< enum cg_shm_origin */
	uint8_t rtp;			/**< rule.rtp */
	uint8_t min_ttl;		/**< cg_rule_min_ttl(): lower TTLs drop as ttl_expired */
	struct cg_rule rule;		/**< as configured (names, ids, resolved ports) */
	struct cg_shm_out out[];	/**< nb_out of cg_shm_rules.max_outputs */
};

/**
 * The rule index: three open-addressing hash tables (linear probing) that
 * find a slot by rule name, by rule id and by match (input port,
 * destination, dport, source) in O(1), for the primary and for secondaries
 * alike. Plain data: the hash functions are code of lib/shm (cg_shm.c), the
 * same in every process, never a stored pointer. An entry holds slot + 1,
 * 0 (empty) or CG_SHM_IDX_GONE (a removed entry, skipped by lookups); a
 * lookup checks the slot itself (in use, same key), so an entry never lies.
 * Written by the primary only; a table with many removed entries is rebuilt
 * in place (cg_shm_idx_*() below).
 */
enum cg_shm_idx_kind {
	CG_SHM_IDX_NAME = 0,
	CG_SHM_IDX_ID,
	CG_SHM_IDX_MATCH,
	CG_SHM_IDX_KINDS
};
#define CG_SHM_IDX_GONE UINT32_MAX

/** Layout of CG_SHM_MZ_RULES: this header, nb_slots slots, then the index. */
struct cg_shm_rules {
	uint32_t nb_slots;		/**< [dataplane] max_rules */
	uint32_t max_outputs;		/**< [dataplane] max_outputs: room per slot */
	uint32_t slot_size;		/**< cg_shm_rule_slot_size(max_outputs) */
	uint32_t nb_rules;		/**< live rules */
	volatile uint64_t generation;	/**< bumped after every applied change */
	uint32_t idx_size;		/**< entries per index table, a power of two */
	uint32_t idx_gone[CG_SHM_IDX_KINDS];	/**< removed entries per table (primary's) */
	uint64_t idx_off;		/**< byte offset of the index from this header */
} __rte_cache_aligned;		/* the slots follow, from the next line on */

/** Bytes from one slot to the next for @p max_outputs outputs each. */
static inline size_t
cg_shm_rule_slot_size(uint32_t max_outputs)
{
	return RTE_ALIGN_CEIL(offsetof(struct cg_shm_rule_slot, out) +
			      (size_t)max_outputs * sizeof(struct cg_shm_out),
			      (size_t)RTE_CACHE_LINE_SIZE);
}

/** Slot @p i of @p rules. */
static inline struct cg_shm_rule_slot *
cg_shm_rule_slot(const struct cg_shm_rules *rules, uint32_t i)
{
	return (struct cg_shm_rule_slot *)(uintptr_t)((const char *)(rules + 1) +
						      (size_t)i * rules->slot_size);
}

/** Entries per index table for @p nb_slots slots: a power of two >= 2 x nb_slots. */
static inline uint32_t
cg_shm_idx_size(uint32_t nb_slots)
{
	return (uint32_t)rte_align64pow2(2 * (uint64_t)nb_slots < 16 ? 16 : 2 * (uint64_t)nb_slots);
}

/** Bytes of CG_SHM_MZ_RULES for @p nb_slots slots of @p max_outputs outputs
 * (header, slots, index). */
static inline size_t
cg_shm_rules_size(uint32_t nb_slots, uint32_t max_outputs)
{
	return sizeof(struct cg_shm_rules) + (size_t)nb_slots * cg_shm_rule_slot_size(max_outputs) +
	       (size_t)CG_SHM_IDX_KINDS * cg_shm_idx_size(nb_slots) * sizeof(uint32_t);
}

/** Index table @p kind of @p rules (idx_size entries). */
static inline uint32_t *
cg_shm_idx_table(const struct cg_shm_rules *rules, enum cg_shm_idx_kind kind)
{
	return (uint32_t *)(uintptr_t)((const char *)rules + rules->idx_off) +
	       (size_t)kind * rules->idx_size;
}

/** Drop reasons: lib/pkt's parse reasons (0..CG_PKT_DROP_MAX-1), then the data plane's. */
enum cg_shm_drop {
	CG_SHM_DROP_NO_RULE = CG_PKT_DROP_MAX,	/**< "no_rule": valid UDP, no matching rule */
	CG_SHM_DROP_ARP_UNRESOLVED,	/**< "arp_unresolved": next hop MAC unknown yet */
	CG_SHM_DROP_TX_FULL,		/**< "tx_full": TX queue/ring had no room */
	CG_SHM_DROP_NO_MBUF,		/**< "no_mbuf": fan-out copy/header allocation failed */
	CG_SHM_DROP_MTU_EXCEEDED,	/**< "mtu_exceeded": output larger than the port MTU */
	CG_SHM_DROP_SLOW_PATH_FULL,	/**< "slow_path_full": ARP/IGMP ring to the service full */
	CG_SHM_DROP_ARP_MALFORMED,	/**< "arp_malformed" */
	CG_SHM_DROP_IGMP_MALFORMED,	/**< "igmp_malformed" */
	CG_SHM_DROP_LINK_LOCAL_MCAST,	/**< "link_local_mcast": 224.0.0.x UDP, never relayed */
	CG_SHM_DROP_LINK_DOWN,		/**< "link_down": output port down or not open (paused) */
	CG_SHM_DROP_TTL_EXPIRED,	/**< "ttl_expired": input TTL below the rule's min_ttl */
	CG_SHM_DROP_ARP_REJECTED,	/**< "arp_rejected": bad sender, or would rebind unasked */
	CG_SHM_DROP_MAX			/**< number of reasons incl. lib/pkt's and "none" (0) */
};

/*
 * The drop reasons size the counter blocks, so they are part of the layout,
 * lib/pkt's included. A reason added there or here stops the build until
 * this count is updated and CG_SHM_LAYOUT_VERSION bumped with it.
 */
#define CG_SHM_LAYOUT_DROPS 24
static_assert(CG_SHM_DROP_MAX == CG_SHM_LAYOUT_DROPS && CG_SHM_LAYOUT_VERSION == 10,
	      "drop reasons changed: bump CG_SHM_LAYOUT_VERSION and set CG_SHM_LAYOUT_DROPS");

/** Counters of one output of a rule. */
struct cg_shm_ctr_out {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t drops;
};

/**
 * RTP sequence accounting of one rule on one lcore (rules with rtp = true).
 * A stream is received by one queue, so one lcore sees all of it.
 */
struct cg_shm_ctr_rtp {
	uint64_t lost;			/**< sequence numbers skipped (gaps) */
	uint64_t reordered;		/**< arrived behind a later one */
	uint64_t duplicate;		/**< the same sequence number again */
	uint64_t not_rtp;		/**< datagrams that are not RTP (version != 2, short) */
	uint16_t last_seq;		/**< state: highest sequence number seen */
	uint16_t seen;			/**< state: 1 once last_seq is valid */
};

/** Counters of one rule, every output, as readers sum them (cg_shm_rule_ctrs()). */
struct cg_shm_ctr_rule {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	struct cg_shm_ctr_out out[CG_SHM_MAX_OUTPUTS];
	struct cg_shm_ctr_rtp rtp;
};

/**
 * Counters of one rule slot in an lcore's block: rx, the slot's room of
 * outputs (cg_shm_lcore_ctrs.max_outputs), then the RTP state
 * (cg_shm_ctr_ent_rtp()). A packet of a one- or two-output rule updates only
 * the first line. Entries are ent_size bytes apart (cg_shm_ctr_ent()): whole
 * cache lines, an odd number of them, so that the entries of a large table
 * spread over every cache set.
 */
struct cg_shm_ctr_ent {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	struct cg_shm_ctr_out out[];
};

/** Bytes from one counter entry to the next for @p max_outputs outputs. */
static inline size_t
cg_shm_ctr_ent_size(uint32_t max_outputs)
{
	size_t lines = (sizeof(struct cg_shm_ctr_ent) + (size_t)max_outputs *
			sizeof(struct cg_shm_ctr_out) + sizeof(struct cg_shm_ctr_rtp) +
			RTE_CACHE_LINE_SIZE - 1) / RTE_CACHE_LINE_SIZE;

	return (lines | 1) * RTE_CACHE_LINE_SIZE;
}

/**
 * One lcore's counter block in CG_SHM_MZ_COUNTERS; blocks are block_size
 * bytes apart (cg_shm_ctr_block()), and hold nb_slots entries.
 */
struct cg_shm_lcore_ctrs {
	uint32_t block_size;		/**< bytes from one block to the next (set at start) */
	uint32_t nb_slots;		/**< entries (= cg_shm_rules.nb_slots) */
	uint32_t max_outputs;		/**< outputs per entry (= cg_shm_rules.max_outputs) */
	uint32_t ent_size;		/**< cg_shm_ctr_ent_size(max_outputs) */
	uint64_t rx_pkts;		/**< frames received on our ports */
	uint64_t rx_bytes;
	uint64_t svc_tx;		/**< service (ARP/IGMP) frames handed to TX */
	uint64_t drops[CG_SHM_DROP_MAX];
	uint8_t ents[] __rte_cache_aligned;	/**< nb_slots entries: cg_shm_ctr_ent() */
} __rte_cache_aligned;

/** The counters of slot @p slot in block @p b. */
static inline struct cg_shm_ctr_ent *
cg_shm_ctr_ent(const struct cg_shm_lcore_ctrs *b, uint32_t slot)
{
	return (struct cg_shm_ctr_ent *)(uintptr_t)(b->ents + (size_t)slot * b->ent_size);
}

/** The RTP state of entry @p e of block @p b. */
static inline struct cg_shm_ctr_rtp *
cg_shm_ctr_ent_rtp(const struct cg_shm_lcore_ctrs *b, const struct cg_shm_ctr_ent *e)
{
	return (struct cg_shm_ctr_rtp *)(uintptr_t)&e->out[b->max_outputs];
}

/** Bytes of one counter block for @p nb_slots rule slots of @p max_outputs
 * outputs (a cache-line multiple). */
static inline size_t
cg_shm_ctr_block_size(uint32_t nb_slots, uint32_t max_outputs)
{
	return RTE_ALIGN_CEIL(offsetof(struct cg_shm_lcore_ctrs, ents) +
			      (size_t)nb_slots * cg_shm_ctr_ent_size(max_outputs),
			      (size_t)RTE_CACHE_LINE_SIZE);
}

/** Counter block @p i of the blocks starting at @p base. */
static inline struct cg_shm_lcore_ctrs *
cg_shm_ctr_block(const struct cg_shm_lcore_ctrs *base, uint32_t i)
{
	return (struct cg_shm_lcore_ctrs *)(uintptr_t)((const char *)base +
						       (size_t)i * base->block_size);
}

/**
 * DPDK memory the rule table takes for @p nb_slots slots of @p max_outputs
 * outputs and @p nb_blocks counter blocks (one per lcore): rule memzone, counters, and what the
 * primary keeps for itself, CG_SHM_PRIVATE_BYTES_PER_SLOT per slot: its
 * rte_hash (about 64 B) and the fast path's record of the slot (64 B).
 */
#define CG_SHM_PRIVATE_BYTES_PER_SLOT 128
static inline uint64_t
cg_shm_rules_mem(uint32_t nb_slots, uint32_t max_outputs, uint32_t nb_blocks)
{
	return (uint64_t)cg_shm_rules_size(nb_slots, max_outputs) +
	       (uint64_t)nb_blocks * cg_shm_ctr_block_size(nb_slots, max_outputs) +
	       (uint64_t)nb_slots * CG_SHM_PRIVATE_BYTES_PER_SLOT;
}

/** A port as the data plane brought it up. */
struct cg_shm_port_info {
	char name[32];			/**< config name */
	char driver[32];		/**< PMD name, e.g. "net_af_packet" */
	char device[256];		/**< device string of the config */
	uint16_t port_id;		/**< DPDK port id (also valid in a secondary) */
	uint16_t mtu;
	uint16_t nb_queues;		/**< RX and TX queues */
	uint32_t ip;			/**< network order */
	uint8_t prefix_len;
	uint8_t mac[6];
	uint32_t gateway;		/**< network order, 0 = none */
};

/** Where a port's link state came from (cg_shm_link.source). */
enum cg_shm_link_source {
	CG_SHM_LINK_SRC_NONE = 0,	/**< "none": not known (port not open) */
	CG_SHM_LINK_SRC_NETLINK,	/**< "netlink": the kernel's RTNLGRP_LINK (af_packet, af_xdp) */
	CG_SHM_LINK_SRC_LSC,		/**< "lsc": the driver's RTE_ETH_EVENT_INTR_LSC */
	CG_SHM_LINK_SRC_POLL,		/**< "ethdev": rte_eth_link_get_nowait() */
};

/** A port's state in the data plane (cg_shm_link.state). */
enum cg_shm_port_state {
	CG_SHM_PORT_MISSING = 0,	/**< "missing": not open, waiting for its device */
	CG_SHM_PORT_DOWN,		/**< "down": open, link down; its rules are paused */
	CG_SHM_PORT_UP,			/**< "up": open, link up, forwarding */
};

/**
 * A port's live state, written by the primary's main lcore at every
 * transition; read with cg_shm_link_read() (a seqlock: @c seq is odd while
 * the primary writes).
 */
struct cg_shm_link {
	volatile uint32_t seq;
	uint8_t state;			/**< enum cg_shm_port_state */
	uint8_t source;			/**< enum cg_shm_link_source of the last transition */
	uint16_t port_id;		/**< DPDK port id now (a re-opened port may get another) */
	uint64_t since_unix_ms;		/**< time of the last transition */
	uint64_t changes;		/**< transitions since the primary started */
	uint32_t opens;			/**< times opened: 1 at start, more once re-opened */
	char reason[96];		/**< why the last transition ("" = none given) */
};

/** cg_shm_lcore_info.role */
enum cg_shm_lcore_role {
	CG_SHM_LCORE_SERVICE = 1,	/**< main lcore: ARP, IGMP, timers, rule requests */
	CG_SHM_LCORE_WORKER = 2,	/**< forwards */
	CG_SHM_LCORE_BOTH = 3,		/**< main lcore that also forwards (worker 0) */
};

/** An EAL lcore of the data plane. Its index in cg_shm_info.lcores is its counter block. */
struct cg_shm_lcore_info {
	uint32_t lcore_id;
	uint16_t role;			/**< enum cg_shm_lcore_role */
	uint16_t worker;		/**< worker index (= queue id) if it forwards, else 0 */
};

/** Layout of CG_SHM_MZ_INFO. */
struct cg_shm_info {
	uint32_t magic;			/**< CG_SHM_MAGIC once filled in */
	uint32_t layout_version;	/**< CG_SHM_LAYOUT_VERSION */
	int32_t pid;			/**< of the primary */
	uint64_t start_unix_ms;		/**< when the primary started */
	char version[32];		/**< castgate version */
	char dpdk_version[64];		/**< rte_version() */
	char config_path[4096];		/**< absolute path of the config file */
	char state_file[4096];		/**< control.state_file ("" = none) */
	char file_prefix[64];		/**< EAL file prefix */
	uint16_t nb_ports;
	struct cg_shm_port_info ports[CG_SHM_MAX_PORTS];	/**< index = cg port index */
	uint32_t nb_lcores;
	struct cg_shm_lcore_info lcores[CG_SHM_MAX_LCORES];	/**< index = counter block */
	uint32_t nb_ctr_blocks;		/**< blocks in CG_SHM_MZ_COUNTERS */
	uint32_t nb_workers;
	uint32_t state_loaded;		/**< state-file rules installed at start */
	uint32_t state_skipped;		/**< state-file rules the data plane could not install */
	int32_t state_load_error;	/**< 0, or cg_state_load()'s errno (whole file ignored) */
	char state_error[256];		/**< the first state-file error ("" = none) */
	volatile uint32_t ready;	/**< 1 while forwarding and serving requests */
	struct cg_shm_link link[CG_SHM_MAX_PORTS];	/**< index = cg port index */
};

/*
 * Packet trace (CG_SHM_MZ_TRACE). Control sets what to trace and how many
 * records, bumps @c session, then sets @c active. Each lcore, seeing a new
 * session, restarts its own block and records up to @c count packets that
 * match; nothing is shared between lcores. While @c active is 0 a lcore
 * pays one load and branch per burst.
 */
#define CG_SHM_TRACE_RECS 64		/**< records per lcore and session at most */
#define CG_SHM_TRACE_NO_RULE UINT32_MAX	/**< filter.slot: packets of no rule, by port/dst/dport */

/** What a trace follows. */
struct cg_shm_trace_filter {
	uint32_t slot;			/**< a rule slot, or CG_SHM_TRACE_NO_RULE */
	uint16_t port;			/**< input cg port index (NO_RULE only; UINT16_MAX = any) */
	uint16_t dport;			/**< UDP destination port, host order (NO_RULE; 0 = any) */
	uint32_t dst_be;		/**< destination (NO_RULE; 0 = any) */
};

/** cg_shm_trace_out.result: what became of one output of a traced packet. */
enum cg_shm_trace_result {
	CG_SHM_TRACE_SENT = 0,		/**< the TX queue took it */
	/* otherwise an enum cg_shm_drop: tx_full, link_down, mtu_exceeded... */
};

struct cg_shm_trace_out {
	uint16_t port;			/**< cg port index */
	uint16_t result;		/**< CG_SHM_TRACE_SENT or a drop reason */
};

/** Which header fields of a trace record were read from the frame. */
enum cg_shm_trace_hdr {
	CG_SHM_TRACE_HDR_IP = 1,	/**< src_be, dst_be, ttl: an IPv4 header */
	CG_SHM_TRACE_HDR_UDP = 2,	/**< sport, dport: a UDP header after it */
};

/** One traced packet. */
struct cg_shm_trace_rec {
	uint64_t tsc;			/**< rte_rdtsc() of its burst */
	uint32_t slot;			/**< its rule's slot, or CG_SHM_TRACE_NO_RULE */
	uint16_t port, queue;		/**< where it arrived */
	uint32_t src_be, dst_be;
	uint16_t sport, dport;		/**< host order */
	uint16_t len;			/**< frame length */
	uint16_t drop;			/**< 0, or why the packet went nowhere (a drop reason) */
	uint8_t ttl;
	uint8_t nb_out;
	uint8_t rtp_valid;		/**< rtp_seq is set (an rtp = true rule, an RTP packet) */
	uint8_t hdr;			/**< enum cg_shm_trace_hdr bits: the fields above that are set */
	uint16_t rtp_seq;
	struct cg_shm_trace_out out[CG_SHM_MAX_OUTPUTS];
};

/** One lcore's records (index = counter block). */
struct cg_shm_trace_lcore {
	volatile uint64_t session;	/**< the session the records belong to */
	volatile uint32_t n;		/**< records written (stored before n moves) */
	struct cg_shm_trace_rec rec[CG_SHM_TRACE_RECS];
} __rte_cache_aligned;

/** Layout of CG_SHM_MZ_TRACE. */
struct cg_shm_trace {
	volatile uint32_t active;	/**< 1 while tracing */
	uint32_t count;			/**< records per lcore wanted, 1..CG_SHM_TRACE_RECS */
	volatile uint64_t session;	/**< bumped by control at each start */
	struct cg_shm_trace_filter filter;
	uint64_t tsc_hz;		/**< the primary's TSC rate */
	uint64_t tsc0;			/**< a TSC reading of the primary ... */
	uint64_t unix_ns0;		/**< ... and the wall clock at that moment */
	struct cg_shm_trace_lcore lcore[CG_SHM_MAX_LCORES];
} __rte_cache_aligned;

/** Most changes in one request: a bulk load costs one round trip per this many. */
#define CG_SHM_REQ_BATCH 64

/**
 * Layout of CG_SHM_MZ_REQUEST: the one request slot, a seqlock. A writer takes a
 * fresh seq from @c next_seq (atomic add), stores seq = 0, writes @c count and
 * @c req, stores seq (release), then sends the rte_mp message with that seq.
 * The primary reads seq, copies the changes, reads seq again, and refuses the
 * request (-EBUSY) unless both equal the message's seq. It applies the
 * changes in order and stops at the first refused one.
 */
struct cg_shm_request {
	volatile uint64_t seq;		/**< seq of the request in @c req; 0 while written */
	uint32_t count;			/**< changes in @c req, 1..CG_SHM_REQ_BATCH */
	struct cg_shm_rules_req req[CG_SHM_REQ_BATCH];
	uint64_t next_seq;		/**< last seq handed out (atomic add by writers) */
	volatile uint64_t done_seq;	/**< last seq the primary finished (applied or refused) */
	volatile int32_t done_result;	/**< its result */
	volatile uint32_t done_count;	/**< its changes applied (before a refused one) */
};

/** rte_mp request param of CG_SHM_MP_RULES. */
struct cg_shm_mp_req {
	uint64_t seq;
};

/** rte_mp reply param of CG_SHM_MP_RULES. */
struct cg_shm_mp_rep {
	uint64_t seq;			/**< the request's */
	int32_t result;			/**< 0 or a negative errno */
	uint32_t done;			/**< changes applied, in order (all of them when result is 0) */
	uint64_t generation;		/**< cg_shm_rules.generation after the request */
	char err[200];			/**< message when result < 0 */
};

static_assert(sizeof(struct cg_shm_mp_req) <= RTE_MP_MAX_PARAM_LEN, "mp request too large");
static_assert(sizeof(struct cg_shm_mp_rep) <= RTE_MP_MAX_PARAM_LEN, "mp reply too large");
static_assert(sizeof(CG_SHM_MP_RULES) <= RTE_MP_MAX_NAME_LEN, "mp action name too long");

/*
 * Secondary-side helpers (cg_shm.c). Also usable in the primary.
 */

/** Pointers to the memzones, valid in the process that attached. */
struct cg_shm_view {
	struct cg_shm_info *info;
	struct cg_shm_rules *rules;
	struct cg_shm_lcore_ctrs *ctrs;
	struct cg_shm_request *request;
	struct cg_shm_trace *trace;	/**< NULL from a primary without tracing */
};

/** A consistent copy of port @p idx's link state (spins while the primary writes it). */
void cg_shm_link_read(const struct cg_shm_info *info, unsigned int idx, struct cg_shm_link *out);

/** "missing", "down", "up"; "unknown" when out of range. */
const char *cg_shm_port_state_name(unsigned int state);

/** "service", "worker", "both" (enum cg_shm_lcore_role); "unknown" otherwise. */
const char *cg_shm_lcore_role_name(unsigned int role);

/** "none", "netlink", "lsc", "ethdev"; "unknown" when out of range. */
const char *cg_shm_link_source_name(unsigned int source);

/**
 * Send DPDK's log (EAL, PMDs, libraries) through lib/log: one format (text or
 * JSON lines, with "source": "dpdk"), one threshold. rte_log levels map to
 * lib/log's (emergency..error: error, warning: warn, notice and info: info,
 * debug: debug), and DPDK's own threshold follows @p level until the EAL
 * parses its --log-level (lib/conf puts one on the EAL line). Call before
 * rte_eal_init(), so that the EAL's lines go through it too.
 * @return 0, or -errno when the stream could not be made (DPDK then keeps
 *   logging to stderr by itself).
 */
int cg_shm_log_bridge(enum cg_log_level level);

/**
 * Look up the memzones of the primary (after rte_eal_init() of a secondary
 * with the primary's file prefix) and check that the primary filled them in
 * with our layout.
 * @param err on failure: which memzone is missing, or the version mismatch.
 * @return 0; -ENOENT (no such memzone, or cg_info not filled in yet) or
 *         -EPROTO (magic or layout version differ: another castgate build).
 */
int cg_shm_attach(struct cg_shm_view *v, char *err, size_t errlen);

/**
 * The slot of the rule named @p name (the rule index: O(1)).
 * @return the slot index, or -ENOENT.
 */
int cg_shm_rule_find(const struct cg_shm_view *v, const char *name);

/** The slot in use whose rule has id @p id, or -ENOENT. */
int cg_shm_rule_find_id(const struct cg_shm_rules *rules, uint32_t id);

/**
 * The slot in use whose rule has the same match as @p r (input port id,
 * destination, dport, source), or -ENOENT.
 */
int cg_shm_rule_find_match(const struct cg_shm_rules *rules, const struct cg_rule *r);

/** The slot in use whose rule is named @p name, or -ENOENT. */
int cg_shm_rule_find_name(const struct cg_shm_rules *rules, const char *name);

/*
 * Index maintenance: primary only, on the main lcore, with the slot complete
 * (in_use = 1) before cg_shm_idx_add() and still filled in at cg_shm_idx_del().
 */

/** Set up an empty index behind nb_slots slots (after the header is zeroed). */
void cg_shm_idx_init(struct cg_shm_rules *rules);

/** Enter slot @p slot under its name, id and match. */
void cg_shm_idx_add(struct cg_shm_rules *rules, uint32_t slot);

/** Remove slot @p slot's entries (by slot, so a new slot with the same keys stays). */
void cg_shm_idx_del(struct cg_shm_rules *rules, uint32_t slot);

/** Sum the counters of rule slot @p slot over all counter blocks into @p sum. */
void cg_shm_rule_ctrs(const struct cg_shm_view *v, uint32_t slot, struct cg_shm_ctr_rule *sum);

/** Sum of drop reason @p reason (enum cg_pkt_drop or enum cg_shm_drop) over all blocks. */
uint64_t cg_shm_drop_sum(const struct cg_shm_view *v, unsigned int reason);

/** cg_shm_rule_ctrs() over @p nb_blocks blocks at @p ctrs (the primary has no view). */
void cg_shm_rule_ctrs_sum(const struct cg_shm_lcore_ctrs *ctrs, uint32_t nb_blocks,
			  uint32_t slot, struct cg_shm_ctr_rule *sum);

/** cg_shm_drop_sum() over @p nb_blocks blocks at @p ctrs. */
uint64_t cg_shm_drop_sum_blocks(const struct cg_shm_lcore_ctrs *ctrs, uint32_t nb_blocks,
				unsigned int reason);

/**
 * Stable name of a drop reason: lib/pkt's names ("truncated", ...), then the
 * data plane's ("no_rule", ...); "unknown" when out of range. Never NULL.
 */
const char *cg_shm_drop_name(unsigned int reason);

/**
 * Send one change to the primary and wait for its answer (secondary only;
 * not from the EAL interrupt or mp thread). Changes of one process must be
 * serialized by the caller. After -ETIMEDOUT the primary may still apply the
 * change later, unless a later request overwrote the slot first (then it
 * refuses it with -EBUSY, never applying another request's data): the seq
 * was ctl->seq right after the call; ctl->done_seq == seq and
 * ctl->done_result tell what happened, or re-read the slots. The late
 * answer of such a request may reach the next request first: that one then
 * takes its own outcome from done_seq/done_result (its message is generic).
 *
 * @param req        the change; ports resolved.
 * @param timeout_ms how long to wait for the reply (e.g. 1000).
 * @param generation if not NULL, set to the rule generation after the change.
 * @param err        on failure, the primary's message (naming the rule and
 *                   the field) or why no answer came.
 * @return 0, or the primary's negative errno (-EINVAL, -EEXIST, -ENOENT,
 *         -ENOSPC, -ENOMEM, -EBUSY), -ETIMEDOUT (no answer in time) or
 *         -EPIPE (no primary, or it is stopping).
 */
int cg_shm_rules_request(const struct cg_shm_view *v, const struct cg_shm_rules_req *req,
			 unsigned int timeout_ms, uint64_t *generation, char *err, size_t errlen);

/**
 * cg_shm_rules_request() for @p n changes (1..CG_SHM_REQ_BATCH) in one round
 * trip, applied in order up to the first refused one (whose error is
 * returned; the message names its rule). @p done, if not NULL, is set to how
 * many were applied (those before the refused one): undoing them is the
 * caller's choice. After -ETIMEDOUT, *done is 0 and the outcome unknown.
 */
int cg_shm_rules_request_batch(const struct cg_shm_view *v, const struct cg_shm_rules_req *reqs,
			       unsigned int n, unsigned int timeout_ms, uint64_t *generation,
			       unsigned int *done, char *err, size_t errlen);

/*
 * Counters as the outside sees them (cg_shm_stats.c): one vocabulary, named
 * in one place. Each cg_shm_emit_*() hands every counter of one thing, its
 * live value minus an optional baseline, to a sink: a JSON object (stats.get,
 * --stats-out) or a telemetry dictionary. docs/API.md lists the names.
 */

/** Where counters go: @p u64 and @p str are called once per member. */
struct cg_shm_sink {
	void (*u64)(void *ctx, const char *name, uint64_t v);
	void (*str)(void *ctx, const char *name, const char *v);
	void *ctx;
};

/** A sink that adds members to the json-c object @p obj. */
struct cg_shm_sink cg_shm_json_sink(json_object *obj);

/** Totals of the whole data plane. */
struct cg_shm_totals {
	uint64_t rx_packets, rx_bytes;	/**< frames received on all ports */
	uint64_t tx_packets, tx_bytes;	/**< sent by the rules installed now (all outputs) */
	uint64_t drops;			/**< all drop reasons */
	uint64_t service_tx;		/**< ARP and IGMP frames sent by the service */
};

/** Read the totals over @p nb_blocks counter blocks and the rules in use in @p rules. */
void cg_shm_totals_read(const struct cg_shm_lcore_ctrs *ctrs, uint32_t nb_blocks,
			const struct cg_shm_rules *rules, struct cg_shm_totals *t);

/** Drop counters per reason (index: enum cg_pkt_drop / cg_shm_drop), over all blocks. */
void cg_shm_drops_read(const struct cg_shm_lcore_ctrs *ctrs, uint32_t nb_blocks,
		       uint64_t drops[CG_SHM_DROP_MAX]);

/** One lcore's own totals. */
struct cg_shm_lcore_totals {
	uint64_t rx_packets, rx_bytes, drops;
};

/** Read one counter block's totals. */
void cg_shm_lcore_read(const struct cg_shm_lcore_ctrs *b, struct cg_shm_lcore_totals *t);

/* The emitters: @p base may be NULL (no baseline). A counter below its
 * baseline (reused behind our back) counts from zero, never wraps. */

/** rx_packets, rx_bytes, tx_packets, tx_bytes, drops, service_tx */
void cg_shm_emit_totals(const struct cg_shm_sink *s, const struct cg_shm_totals *now,
			const struct cg_shm_totals *base);
/** rx_packets, rx_bytes, drops of one lcore */
void cg_shm_emit_lcore(const struct cg_shm_sink *s, const struct cg_shm_lcore_totals *now,
		       const struct cg_shm_lcore_totals *base);
/** rx_packets, rx_bytes of a rule; when @p r (may be NULL) says rtp = true, also
 * rtp_lost, rtp_reordered, rtp_duplicate and rtp_not_rtp */
void cg_shm_emit_rule(const struct cg_shm_sink *s, const struct cg_rule *r,
		      const struct cg_shm_ctr_rule *now, const struct cg_shm_ctr_rule *base);
/** port, destination, dport, tx_packets, tx_bytes, drops of one output */
void cg_shm_emit_output(const struct cg_shm_sink *s, const struct cg_rule_output *o,
			const struct cg_shm_ctr_out *now, const struct cg_shm_ctr_out *base);
/** one member per drop reason (cg_shm_drop_name()), "none" excluded */
void cg_shm_emit_drops(const struct cg_shm_sink *s, const uint64_t now[CG_SHM_DROP_MAX],
		       const uint64_t *base);
/** rx_packets, tx_packets, rx_bytes, tx_bytes, rx_missed, rx_errors, tx_errors,
 * rx_nombuf of a port (rte_eth_stats' ipackets, opackets, ibytes, obytes,
 * imissed, ierrors, oerrors, rx_nombuf) */
void cg_shm_emit_port(const struct cg_shm_sink *s, const struct rte_eth_stats *now,
		      const struct rte_eth_stats *base);

#endif /* CG_SHM_H */
