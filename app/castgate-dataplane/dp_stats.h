/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_STATS_H
#define CG_DP_STATS_H

/**
 * @file
 * Counters: per lcore, in the memzone "cg_counters", one cache-aligned block
 * per lcore (dense rte_lcore_index()). Only the owning lcore writes its block,
 * with plain increments; readers (telemetry thread, shutdown) sum the blocks
 * and may see a value a few packets old, never a torn 64-bit word on x86-64.
 *
 * Also the stats document: cg_dp_stats_json() builds the merged JSON that
 * --stats-out writes and that scripts/cg-stats prints with --json, and the
 * /castgate/... telemetry commands.
 */

#include <stdint.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include "cg_pkt.h"
#include "dp.h"

/** Drop reasons: lib/pkt's parse reasons, then the data plane's own. */
enum cg_dp_drop {
	CG_DP_DROP_NO_RULE = CG_PKT_DROP_MAX,	/**< "no_rule": valid UDP, no matching rule */
	CG_DP_DROP_ARP_UNRESOLVED,	/**< "arp_unresolved": next hop MAC unknown yet */
	CG_DP_DROP_TX_FULL,		/**< "tx_full": TX queue/ring had no room */
	CG_DP_DROP_NO_MBUF,		/**< "no_mbuf": fan-out copy/header allocation failed */
	CG_DP_DROP_MTU_EXCEEDED,	/**< "mtu_exceeded": output larger than the port MTU */
	CG_DP_DROP_SLOW_PATH_FULL,	/**< "slow_path_full": ARP/IGMP ring to the service full */
	CG_DP_DROP_ARP_MALFORMED,	/**< "arp_malformed" */
	CG_DP_DROP_IGMP_MALFORMED,	/**< "igmp_malformed" */
	CG_DP_DROP_LINK_LOCAL_MCAST,	/**< "link_local_mcast": 224.0.0.x UDP, never relayed */
	CG_DP_DROP_MAX
};

/** Per output of a rule. */
struct cg_dp_ctr_out {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t drops;
};

/** Per rule slot. */
struct cg_dp_ctr_rule {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	struct cg_dp_ctr_out out[CG_DP_MAX_OUTPUTS];
};

/** One lcore's counters. */
struct cg_dp_lcore_ctrs {
	uint64_t rx_pkts;		/**< frames received on our ports */
	uint64_t rx_bytes;
	uint64_t ctl_tx;		/**< ARP/IGMP frames handed to TX */
	uint64_t drops[CG_DP_DROP_MAX];
	struct cg_dp_ctr_rule rule[CG_DP_MAX_RULES];
} __rte_cache_aligned;

/** Base of the counter blocks, indexed by rte_lcore_index(). */
extern struct cg_dp_lcore_ctrs *cg_dp_ctrs;

/** The calling lcore's block. */
static inline struct cg_dp_lcore_ctrs *
cg_dp_ctrs_self(void)
{
	return &cg_dp_ctrs[rte_lcore_index(rte_lcore_id())];
}

/**
 * Counter tag of (rule slot, output), carried in mbuf->hash.usr on TX so that
 * a TX drop is charged to its output.
 */
#define CG_DP_CTR_TAG(slot, out) (((uint32_t)(slot) << 4) | (uint32_t)(out))
/** Tag of frames that belong to no rule (ARP, IGMP). */
#define CG_DP_CTR_TAG_NONE UINT32_MAX

/**
 * Reserve and zero the counter memzone for all EAL lcores.
 * @return 0, or -ENOMEM.
 */
int cg_dp_stats_init(void);

/** Zero every lcore's counters of rule slot @p slot (no lcore may be using it). */
void cg_dp_stats_clear_rule(uint32_t slot);

/** Stable name of a drop reason (lib/pkt's, then ours); never NULL. */
const char *cg_dp_drop_name(unsigned int reason);

/** Sum of one drop reason over all lcores. */
uint64_t cg_dp_stats_drop(unsigned int reason);

/** Sum of the counters of rule slot @p slot over all lcores into @p sum. */
void cg_dp_stats_rule(uint32_t slot, struct cg_dp_ctr_rule *sum);

/**
 * Build the merged stats document (schema in scripts/cg-stats).
 * @return a NUL-terminated JSON string to free(), or NULL on ENOMEM.
 */
char *cg_dp_stats_json(void);

/**
 * Write cg_dp_stats_json() to @p path atomically (temp file + rename).
 * @return 0 or a negative errno.
 */
int cg_dp_stats_write(const char *path);

/**
 * Register the /castgate/... telemetry commands.
 * @return 0 or a negative errno.
 */
int cg_dp_stats_telemetry_register(void);

#endif /* CG_DP_STATS_H */
