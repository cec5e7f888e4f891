/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "cg_log.h"
#include "gen_frame.h"
#include "gen_net.h"
#include "gen_payload.h"
#include "gen_ring.h"

/*
 * Ring geometry. The frame count is a multiple of the payload's filler
 * period, so that slot k always carries seqs equal to k modulo the period and
 * its filler never changes. 4096 frames cover a 128-packet batch many times
 * over; the ring is kept under RING_MAX_BYTES for jumbo frames.
 */
#define RING_FRAMES 4096u
#define RING_MAX_BYTES (16u << 20)
#define RING_BLOCK_MIN (64u << 10)
/* Frame data sits after the tpacket2 header (TX rings, no PACKET_TX_HAS_OFF). */
#define RING_DATA_OFF (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

struct gen_ring {
	int fd;
	uint8_t *map;
	size_t map_len;
	unsigned int frame_size;
	unsigned int frames;
	unsigned int head;     /* next frame to fill */
	uint32_t frame_len;    /* bytes on the wire */
	uint64_t retries;
	struct gen_frame_tmpl tmpl[GEN_PAYLOAD_FILLER_PERIOD];
	char iface[IF_NAMESIZE];
};

static struct tpacket2_hdr *
slot(const struct gen_ring *r, unsigned int i)
{
	return (struct tpacket2_hdr *)(r->map + (size_t)i * r->frame_size);
}

static unsigned int
pow2_at_least(size_t v)
{
	unsigned int p = 64;

	while (p < v)
		p <<= 1;
	return p;
}

/* The interface's MAC, MTU and (when @p ip is not NULL) first IPv4 address. */
static int
if_info(int fd, const char *name, uint8_t mac[CG_PKT_ETH_ALEN], int *mtu, struct in_addr *ip)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
		CG_ERR("ring: interface %s: SIOCGIFHWADDR: %s", name, strerror(errno));
		return -errno;
	}
	if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
		CG_ERR("ring: interface %s is not Ethernet", name);
		return -EINVAL;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, CG_PKT_ETH_ALEN);
	if (ioctl(fd, SIOCGIFMTU, &ifr) != 0) {
		CG_ERR("ring: interface %s: SIOCGIFMTU: %s", name, strerror(errno));
		return -errno;
	}
	*mtu = ifr.ifr_mtu;
	if (ip != NULL) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

		if (s < 0 || ioctl(s, SIOCGIFADDR, &ifr) != 0) {
			CG_ERR("ring: interface %s has no IPv4 address (%s): give --source",
			       name, strerror(errno));
			rc = -EADDRNOTAVAIL;
		} else {
			*ip = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
		}
		if (s >= 0)
			close(s);
		return rc;
	}
	return 0;
}

static int
ring_setup(struct gen_ring *r, int ifindex)
{
	int ver = TPACKET_V2, one = 1;
	struct tpacket_req req;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = 0, .sll_ifindex = ifindex,
	};

	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) != 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0 ||
	    /* A frame the kernel cannot send is dropped, not left to block the ring. */
	    setsockopt(r->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one)) != 0) {
		CG_ERR("ring: %s: setsockopt(PACKET_VERSION/QDISC_BYPASS/LOSS): %s", r->iface,
		       strerror(errno));
		return -errno;
	}
	memset(&req, 0, sizeof(req));
	req.tp_frame_size = r->frame_size;
	req.tp_block_size = r->frame_size > RING_BLOCK_MIN ? r->frame_size : RING_BLOCK_MIN;
	req.tp_block_nr = r->frames / (req.tp_block_size / r->frame_size);
	req.tp_frame_nr = r->frames;
	if (setsockopt(r->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) != 0) {
		CG_ERR("ring: %s: setsockopt(PACKET_TX_RING, %u frames of %u bytes): %s",
		       r->iface, r->frames, r->frame_size, strerror(errno));
		return -errno;
	}
	r->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		CG_ERR("ring: %s: mmap of %zu bytes: %s", r->iface, r->map_len, strerror(errno));
		return -errno;
	}
	/* Protocol 0: the socket sends only; it receives nothing. */
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		CG_ERR("ring: bind to %s: %s", r->iface, strerror(errno));
		return -errno;
	}
	return 0;
}

struct gen_ring *
gen_ring_open(const struct gen_send_opts *o)
{
	struct gen_ring *r = calloc(1, sizeof(*r));
	struct gen_frame_params p;
	struct in_addr src = o->source;
	int ifindex, mtu = 0, err = 0;
	unsigned int i;

	if (r == NULL) {
		CG_ERR("ring: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->fd = -1;
	strcpy(r->iface, o->iface);
	ifindex = gen_ifindex(o->iface);
	if (ifindex < 0) {
		err = -ifindex;
		goto fail;
	}
	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (r->fd < 0) {
		err = errno;
		CG_ERR("ring: socket(AF_PACKET): %s (needs CAP_NET_RAW)", strerror(err));
		goto fail;
	}
	memset(&p, 0, sizeof(p));
	err = -if_info(r->fd, o->iface, p.smac, &mtu,
		       src.s_addr == INADDR_ANY ? &src : NULL);
	if (err != 0)
		goto fail;
	if (o->size + CG_PKT_IPV4_HLEN + CG_PKT_UDP_HLEN > (unsigned int)mtu) {
		CG_ERR("ring: --size %u: a %u-byte IP datagram is over the MTU %d of %s "
		       "(the ring engine does not fragment)", o->size,
		       o->size + CG_PKT_IPV4_HLEN + CG_PKT_UDP_HLEN, mtu, o->iface);
		err = EMSGSIZE;
		goto fail;
	}
	cg_pkt_mcast_mac(o->dst.sin_addr.s_addr, p.dmac);
	p.src_be = src.s_addr;
	p.dst_be = o->dst.sin_addr.s_addr;
	p.dport_be = o->dst.sin_port;
	/* Without --sport: the destination port (there is no socket to pick one). */
	p.sport_be = o->sport ? htons(o->sport) : o->dst.sin_port;
	p.ttl = (uint8_t)o->ttl;
	p.stream = o->stream;
	p.size = o->size;
	r->frame_len = (uint32_t)gen_frame_len(o->size);
	r->frame_size = pow2_at_least(RING_DATA_OFF + r->frame_len);
	r->frames = RING_FRAMES;
	while (r->frames > GEN_PAYLOAD_FILLER_PERIOD &&
	       (size_t)r->frames * r->frame_size > RING_MAX_BYTES)
		r->frames /= 2;
	err = -ring_setup(r, ifindex);
	if (err != 0)
		goto fail;
	for (i = 0; i < r->frames; i++) {
		struct tpacket2_hdr *h = slot(r, i);
		int len = gen_frame_build((uint8_t *)h + RING_DATA_OFF,
					  r->frame_size - RING_DATA_OFF, &p, i,
					  &r->tmpl[i % GEN_PAYLOAD_FILLER_PERIOD]);

		if (len < 0) {
			CG_ERR("ring: building frame %u: %s", i, strerror(-len));
			err = -len;
			goto fail;
		}
		h->tp_len = (uint32_t)len;
		h->tp_status = TP_STATUS_AVAILABLE;
	}
	CG_DEBUG("ring on %s: %u frames of %u bytes, %u-byte packets", o->iface, r->frames,
		 r->frame_size, r->frame_len);
	return r;
fail:
	gen_ring_close(r);
	errno = err;
	return NULL;
}

static int
kick(struct gen_ring *r)
{
	if (sendto(r->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
		return 0;
	switch (errno) {
	case EAGAIN:
	case ENOBUFS:
	case EINTR:
		/* The frames stay queued: the next kick sends them. */
		r->retries++;
		return 0;
	default:
		return -errno;
	}
}

int
gen_ring_burst(struct gen_ring *r, uint64_t seq, unsigned int n, uint64_t tx_ns)
{
	unsigned int q;
	int rc;

	for (q = 0; q < n; q++) {
		struct tpacket2_hdr *h = slot(r, r->head);
		uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

		if (st != TP_STATUS_AVAILABLE)
			break;
		/* head == seq mod frames: the slot's filler already fits this seq. */
		gen_frame_stamp((uint8_t *)h + RING_DATA_OFF,
				&r->tmpl[r->head % GEN_PAYLOAD_FILLER_PERIOD], seq + q, tx_ns);
		h->tp_len = r->frame_len;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
		r->head = r->head + 1 == r->frames ? 0 : r->head + 1;
	}
	rc = kick(r);
	if (rc != 0) {
		CG_ERR("ring: %s: sendto: %s", r->iface, strerror(-rc));
		return rc;
	}
	return (int)q;
}

void
gen_ring_wait(struct gen_ring *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLOUT };

	poll(&pfd, 1, timeout_ms);
}

unsigned int
gen_ring_drain(struct gen_ring *r, int timeout_ms)
{
	uint64_t until = gen_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	unsigned int pending;

	for (;;) {
		pending = 0;
		for (unsigned int i = 0; i < r->frames; i++)
			if (__atomic_load_n(&slot(r, i)->tp_status, __ATOMIC_ACQUIRE) !=
			    TP_STATUS_AVAILABLE)
				pending++;
		if (pending == 0 || gen_mono_ns() >= until)
			return pending;
		kick(r);
		gen_ring_wait(r, 1);
	}
}

uint64_t
gen_ring_retries(const struct gen_ring *r)
{
	return r->retries;
}

void
gen_ring_close(struct gen_ring *r)
{
	if (r == NULL)
		return;
	if (r->map != NULL)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}
