/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Non-blocking TX guard for net_af_packet (DPDK 22.11 and 24.11). See dp_afp.h
 * for why.
 *
 * The PMD (drivers/net/af_packet/rte_eth_af_packet.c) keeps, per TX queue, a
 * struct pkt_tx_queue whose head is mirrored below. eth_af_packet_tx() walks
 * rd[framenum] and blocks in poll(-1) on the first frame whose tp_status is
 * not TP_STATUS_AVAILABLE. Oversized or VLAN-failing packets are dropped
 * without taking a frame, so "free frames >= packets" guarantees it never
 * reaches that poll().
 *
 * The head and eth_af_packet_tx() were read in v22.11 .. v22.11.11 and in
 * v24.11 .. v24.11.6: the same fields in the same order (24.11 only adds
 * __rte_cache_aligned to the struct, which moves nothing inside it) and the
 * same ring walk. Debian 13 ships 24.11.8. Built against another series, or
 * running another series' library, cg_dp_afp_attach() refuses (ENOTSUP) and
 * the port does not start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/if_packet.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include "cg_log.h"
#include "dp_afp.h"

/*
 * The LTS series whose layout is known, as rte_version() starts: the build's
 * DPDK must be one of them and the running library the same series.
 */
#if RTE_VERSION >= RTE_VERSION_NUM(22, 11, 0, 0) && RTE_VERSION < RTE_VERSION_NUM(22, 12, 0, 0)
#define AFP_SERIES "DPDK 22.11"
#elif RTE_VERSION >= RTE_VERSION_NUM(24, 11, 0, 0) && RTE_VERSION < RTE_VERSION_NUM(24, 12, 0, 0)
#define AFP_SERIES "DPDK 24.11"
#endif

/** Head of struct pkt_tx_queue in DPDK 22.11 and 24.11 (fields we read, same order). */
struct afp_pkt_tx_queue {
	int sockfd;
	unsigned int frame_data_size;
	struct iovec *rd;
	uint8_t *map;
	unsigned int framecount;
	unsigned int framenum;
};

/** A ring larger than this is not something the PMD would have set up. */
#define AFP_MAX_FRAMES (1u << 24)

struct cg_dp_afp_txq {
	const struct afp_pkt_tx_queue *q;
	int sockfd;
};

bool
cg_dp_afp_version_ok(void)
{
#ifdef AFP_SERIES
	/* "DPDK 24.11.8": the running library is of the series we built for. */
	const char *v = rte_version();
	size_t n = strlen(AFP_SERIES);

	return strncmp(v, AFP_SERIES, n) == 0 && (v[n] == '.' || v[n] == '\0');
#else
	return false;
#endif
}

const char *
cg_dp_afp_series(void)
{
#ifdef AFP_SERIES
	return AFP_SERIES;
#else
	return "no DPDK series (built against an unknown one)";
#endif
}

static bool
fd_is_packet_socket(int fd)
{
	int domain = 0;
	socklen_t len = sizeof(domain);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return false;
	return domain == AF_PACKET;
}

struct cg_dp_afp_txq *
cg_dp_afp_attach(uint16_t port_id, uint16_t queue)
{
	const struct afp_pkt_tx_queue *q;
	struct cg_dp_afp_txq *g;

	if (!cg_dp_afp_version_ok()) {
		errno = ENOTSUP;
		return NULL;
	}
	if (port_id >= RTE_MAX_ETHPORTS || queue >= RTE_MAX_QUEUES_PER_PORT) {
		errno = EINVAL;
		return NULL;
	}
	/* The public fast-path table holds the PMD's queue pointers once started. */
	q = rte_eth_fp_ops[port_id].txq.data[queue];
	if (q == NULL || !fd_is_packet_socket(q->sockfd) || q->rd == NULL ||
	    q->framecount == 0 || q->framecount > AFP_MAX_FRAMES ||
	    q->framenum >= q->framecount) {
		errno = EPROTO;
		return NULL;
	}
	g = rte_zmalloc("cg_afp_txq", sizeof(*g), 0);
	if (g == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	g->q = q;
	g->sockfd = q->sockfd;
	CG_DEBUG("af_packet guard: port %u queue %u: %u frames of %u bytes",
		 port_id, queue, q->framecount, q->frame_data_size);
	return g;
}

static inline bool
frame_free(const struct iovec *rd, unsigned int n)
{
	const volatile struct tpacket2_hdr *h = rd[n].iov_base;
	uint32_t st = h->tp_status;

	/* Same test as the PMD: timestamp bits do not make a frame busy. */
	st &= ~(TP_STATUS_TS_SOFTWARE | TP_STATUS_TS_RAW_HARDWARE);
	return st == TP_STATUS_AVAILABLE;
}

unsigned int
cg_dp_afp_purge(struct cg_dp_afp_txq *g)
{
	/* The PMD's queue, which we must move back with the frames. */
	struct afp_pkt_tx_queue *q = (struct afp_pkt_tx_queue *)(uintptr_t)g->q;
	unsigned int count = q->framecount, n = q->framenum, taken = 0;

	/*
	 * Pending frames are the run just before the PMD's next frame: the
	 * kernel takes them in ring order from its own head, which is the
	 * first of them. Give them back newest first, and make the PMD write
	 * its next frame at that head, or the kernel would stop at a free
	 * frame and never reach the ones written after it.
	 */
	while (taken < count) {
		unsigned int prev = n == 0 ? count - 1 : n - 1;
		volatile struct tpacket2_hdr *h = q->rd[prev].iov_base;

		if ((h->tp_status & TP_STATUS_SEND_REQUEST) == 0)
			break;
		h->tp_status = TP_STATUS_AVAILABLE;
		n = prev;
		taken++;
	}
	q->framenum = n;
	return taken;
}

void
cg_dp_afp_resume(struct cg_dp_afp_txq *g)
{
	int err = 0;
	socklen_t len = sizeof(err);

	/* Reading SO_ERROR clears it. */
	(void)getsockopt(g->sockfd, SOL_SOCKET, SO_ERROR, &err, &len);
}

uint16_t
cg_dp_afp_room(struct cg_dp_afp_txq *g, uint16_t want)
{
	const struct afp_pkt_tx_queue *q = g->q;
	unsigned int n = q->framenum, count = q->framecount;
	uint16_t room = 0;

	while (room < want && frame_free(q->rd, n)) {
		room++;
		if (++n >= count)
			n = 0;
	}
	if (room == 0) {
		/*
		 * Ring full: frames marked SEND_REQUEST wait for a kick that the
		 * PMD may have issued while the socket had no buffer (ENOBUFS).
		 * Kick once more, without waiting; the caller drops this batch.
		 */
		(void)sendto(g->sockfd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	}
	return room;
}

unsigned int
cg_dp_afp_frame_size(const struct cg_dp_afp_txq *g)
{
	return g->q->frame_data_size;
}
