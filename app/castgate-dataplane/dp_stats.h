/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DP_STATS_H
#define CG_DP_STATS_H

/**
 * @file
 * Counters: per lcore, in the memzone CG_SHM_MZ_COUNTERS, one cache-aligned
 * block per lcore (dense rte_lcore_index(), which is also the index in
 * cg_shm_info.lcores[]). Only the owning lcore writes its block, with plain
 * increments; readers (telemetry thread, shutdown, a secondary through
 * lib/shm) sum the blocks and may see a value a few packets old, never a
 * torn 64-bit word on x86-64.
 *
 * Also the stats document: cg_dp_stats_json() builds the merged JSON that
 * --stats-out writes and that scripts/cg-stats prints with --json, and the
 * /castgate/... telemetry commands.
 */

#include <stdint.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include "cg_pkt.h"
#include "cg_shm.h"
#include "dp.h"

/* The counter layout (struct cg_shm_lcore_ctrs, cg_shm_ctr_ent,
 * cg_shm_ctr_out) and the drop reasons (enum cg_shm_drop, cg_shm_drop_name())
 * are lib/shm's: castgate-control reads the same blocks. */

/** Base of the counter blocks, indexed by rte_lcore_index(). */
extern struct cg_shm_lcore_ctrs *cg_dp_ctrs;

/** The calling lcore's block. */
static inline struct cg_shm_lcore_ctrs *
cg_dp_ctrs_self(void)
{
	return cg_shm_ctr_block(cg_dp_ctrs, (uint32_t)rte_lcore_index(rte_lcore_id()));
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

/** Sum of the counters of rule slot @p slot over all lcores into @p sum. */
void cg_dp_stats_rule(uint32_t slot, struct cg_shm_ctr_rule *sum);

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
