/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PKT_TEST_H
#define PKT_TEST_H

/*
 * Helpers shared by the lib/pkt unit tests: a deliberately naive reference
 * checksum (big-endian words, one at a time, so it shares no code or trick
 * with the library), a hand-rolled frame generator for crafting valid and
 * malformed frames, and a small fixed-seed PRNG.
 */

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cg_pkt.h"

/* RFC 1071 in its plainest form; returns the host-order checksum value. */
static inline uint16_t
ref_csum(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Reference UDP checksum with the checksum field at udp[6..7] taken as zero. */
static inline uint16_t
ref_udp_csum(const uint8_t *src4, const uint8_t *dst4, const uint8_t *udp, uint16_t ulen)
{
	uint8_t *tmp = malloc((size_t)ulen + 12);
	uint16_t c;

	memcpy(tmp, src4, 4);
	memcpy(tmp + 4, dst4, 4);
	tmp[8] = 0;
	tmp[9] = 17;
	tmp[10] = (uint8_t)(ulen >> 8);
	tmp[11] = (uint8_t)ulen;
	memcpy(tmp + 12, udp, ulen);
	tmp[12 + 6] = tmp[12 + 7] = 0;
	c = ref_csum(tmp, (size_t)ulen + 12, 0);
	free(tmp);
	return c == 0 ? 0xffff : c;
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* What tframe() builds. Addresses and ports in host order for readability. */
struct tspec {
	int ntags;
	uint16_t tpid[3];
	uint16_t tci[3];
	uint16_t ethertype;	/* 0 = IPv4 */
	int ihl;		/* 0 = 5 */
	uint8_t proto;		/* 0 = UDP */
	uint16_t frag;
	uint8_t tos, ttl;
	uint16_t id;
	uint32_t src, dst;
	uint16_t sport, dport;
	uint16_t payload_len;
	int pad;		/* garbage bytes after the IP datagram (Ethernet padding) */
	int no_udp_csum;	/* leave the UDP checksum 0 */
};

struct tlayout {
	size_t len, l3, l4, payload;
};

/*
 * Build a frame from @p s into @p buf with reference checksums. Options are
 * NOPs ended by EOL, payload bytes are i * 7 + 3, padding bytes are 0xa5.
 */
static inline struct tlayout
tframe(uint8_t *buf, const struct tspec *s)
{
	static const uint8_t dmac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x01, 0x01 };
	static const uint8_t smac[6] = { 0x02, 0x00, 0xc6, 0x12, 0xc8, 0x11 };
	struct tlayout l;
	int ihl = s->ihl ? s->ihl : 5, i;
	size_t off = 12, hlen = (size_t)ihl * 4, ulen = 8 + (size_t)s->payload_len;
	uint8_t *ip, *u;

	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	for (i = 0; i < s->ntags; i++) {
		put16(buf + off, s->tpid[i]);
		put16(buf + off + 2, s->tci[i]);
		off += 4;
	}
	put16(buf + off, s->ethertype ? s->ethertype : 0x0800);
	l.l3 = off + 2;
	ip = buf + l.l3;
	ip[0] = (uint8_t)(0x40 | ihl);
	ip[1] = s->tos;
	put16(ip + 2, (uint16_t)(hlen + ulen));
	put16(ip + 4, s->id);
	put16(ip + 6, s->frag);
	ip[8] = s->ttl ? s->ttl : 64;
	ip[9] = s->proto ? s->proto : 17;
	put16(ip + 10, 0);
	put16(ip + 12, (uint16_t)(s->src >> 16));
	put16(ip + 14, (uint16_t)s->src);
	put16(ip + 16, (uint16_t)(s->dst >> 16));
	put16(ip + 18, (uint16_t)s->dst);
	for (i = 20; i < (int)hlen; i++)
		ip[i] = (i == (int)hlen - 1) ? 0 : 1;	/* NOP ... EOL */
	l.l4 = l.l3 + hlen;
	u = buf + l.l4;
	put16(u, s->sport);
	put16(u + 2, s->dport);
	put16(u + 4, (uint16_t)ulen);
	put16(u + 6, 0);
	l.payload = l.l4 + 8;
	for (i = 0; i < s->payload_len; i++)
		buf[l.payload + (size_t)i] = (uint8_t)(i * 7 + 3);
	if (!s->no_udp_csum)
		put16(u + 6, ref_udp_csum(ip + 12, ip + 16, u, (uint16_t)ulen));
	put16(ip + 10, ref_csum(ip, hlen, 0));
	l.len = l.payload + s->payload_len;
	for (i = 0; i < s->pad; i++)
		buf[l.len++] = 0xa5;
	return l;
}

/* xorshift32: fixed seeds make the random tests reproducible. */
static inline uint32_t
trand(uint32_t *st)
{
	uint32_t x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

#endif /* PKT_TEST_H */
