/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_PKT_H
#define CG_PKT_H

/**
 * @file
 * Frame parsing, validation, header rewrite, checksums, ARP and IGMP for
 * castgate. Plain byte buffers only (no DPDK): the data plane passes
 * rte_pktmbuf_mtod() pointers and the data length of the first segment.
 *
 * Byte order: every field named *_be (IPv4 addresses, UDP ports, UDP
 * length and checksums, IP id) is in network byte order, exactly as it sits
 * in the frame, so it can be compared with rule keys and copied back without
 * swapping. Other numeric fields (lengths, offsets, VLAN TCIs) are host order.
 *
 * Checksums are computed "in memory order" (RFC 1071 section 2(B)): a
 * uint16_t result is meant to be stored with memcpy as is, on any host.
 *
 * Nothing here allocates, locks or makes syscalls. Reading never goes past
 * the given length, whatever the frame contains.
 */

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Wire constants                                                           */

#define CG_PKT_ETH_ALEN 6
#define CG_PKT_ETH_HLEN 14	/**< dst MAC, src MAC, ethertype */
#define CG_PKT_VLAN_HLEN 4	/**< TPID + TCI */
#define CG_PKT_MAX_VLANS 2	/**< QinQ at most */
#define CG_PKT_ETH_MIN_LEN 60	/**< minimum frame without FCS; shorter frames get padded */
#define CG_PKT_ETHERTYPE_IPV4 0x0800
#define CG_PKT_ETHERTYPE_ARP 0x0806
#define CG_PKT_ETHERTYPE_VLAN 0x8100	/**< 802.1Q C-tag */
#define CG_PKT_ETHERTYPE_QINQ 0x88a8	/**< 802.1ad S-tag */
#define CG_PKT_IPV4_HLEN 20	/**< IPv4 header without options */
#define CG_PKT_UDP_HLEN 8
#define CG_PKT_IPPROTO_IGMP 2
#define CG_PKT_IPPROTO_UDP 17
#define CG_PKT_IP_DF 0x4000	/**< in the host-order flags/offset word */
#define CG_PKT_IP_MF 0x2000
#define CG_PKT_IP_OFFMASK 0x1fff

/** "No VLAN tag" for the int vlan parameters of the builders (else a TCI 0..0xffff). */
#define CG_PKT_NO_VLAN (-1)

/* ------------------------------------------------------------------------ */
/* Parse and validate                                                       */

/** What the data plane does with a frame. */
enum cg_pkt_verdict {
	CG_PKT_UDP = 0,	/**< valid IPv4/UDP datagram: relay candidate */
	CG_PKT_ARP,	/**< ethertype ARP: l3_off points at the ARP body, see cg_pkt_arp_parse() */
	CG_PKT_IGMP,	/**< valid IPv4 header, protocol IGMP: see cg_pkt_igmp_parse() */
	CG_PKT_DROP,	/**< cg_pkt_info.drop says why */
};

/**
 * Why a frame was dropped. Values are dense from 0 to CG_PKT_DROP_MAX - 1 so
 * that a counter array `uint64_t c[CG_PKT_DROP_MAX]` can be indexed directly;
 * cg_pkt_drop_name() gives the stable counter name.
 */
enum cg_pkt_drop {
	CG_PKT_DROP_NONE = 0,		/**< "none": not dropped */
	CG_PKT_DROP_TRUNCATED,		/**< "truncated": frame ends inside a header */
	CG_PKT_DROP_NON_IPV4,		/**< "non_ipv4": other ethertype (IPv6, LLDP, 3 tags...) */
	CG_PKT_DROP_BAD_VERSION,	/**< "bad_version": IP version != 4 */
	CG_PKT_DROP_BAD_IHL,		/**< "bad_ihl": IHL < 5 */
	CG_PKT_DROP_BAD_TOTAL_LEN,	/**< "bad_total_len": < IHL*4 or beyond the frame */
	CG_PKT_DROP_FRAGMENT,		/**< "fragment": MF set or offset != 0 */
	CG_PKT_DROP_NON_UDP,		/**< "non_udp": IP protocol other than UDP and IGMP */
	CG_PKT_DROP_BAD_IP_CHECKSUM,	/**< "bad_ip_checksum": only with CG_PKT_F_CHECK_IP_CSUM */
	CG_PKT_DROP_BAD_UDP_LEN,	/**< "bad_udp_len": UDP length < 8 or > IP payload */
	CG_PKT_DROP_BAD_UDP_CHECKSUM,	/**< "bad_udp_checksum": only with CG_PKT_F_CHECK_UDP_CSUM */
	CG_PKT_DROP_BAD_SOURCE,		/**< "bad_source": UDP source cg_pkt_ipv4_src_bad() */
	CG_PKT_DROP_MAX			/**< number of values, for sizing arrays */
};

/**
 * True when the first byte of an IPv4 source address (@p first, as it sits
 * in the frame) is one no sender can have: 0.0.0.0/8 (this network),
 * 127.0.0.0/8 (loopback) or 224.0.0.0/3 (multicast, reserved, and the
 * limited broadcast 255.255.255.255). UDP with such a source is dropped as
 * bad_source. A multicast relay must not re-emit it: it is spoofed or
 * misconfigured, and it would answer to no one (RFC 1812 5.3.7).
 */
static inline bool
cg_pkt_ipv4_src_bad(uint8_t first)
{
	/* 0 wraps to 255: one unsigned compare for 0 and 224..255. */
	return (uint8_t)(first - 1) >= 223 || first == 127;
}

/** cg_pkt_parse() flags. */
#define CG_PKT_F_CHECK_IP_CSUM 0x1u	/**< verify the IPv4 header checksum (UDP and IGMP) */
#define CG_PKT_F_CHECK_UDP_CSUM 0x2u	/**< verify a non-zero UDP checksum */

/**
 * Everything the data plane needs about a frame, so that it never re-reads
 * the headers. Fields past the point where parsing stopped are unspecified
 * (except verdict/drop); all of them are valid for CG_PKT_UDP. For CG_PKT_ARP
 * only the L2 fields and l3_off are valid; for CG_PKT_IGMP the L2 and IPv4
 * fields, l4_off and l4_len.
 */
struct cg_pkt_info {
	enum cg_pkt_verdict verdict;
	enum cg_pkt_drop drop;		/**< CG_PKT_DROP_NONE unless verdict is DROP */

	/* L2 */
	uint8_t dst_mac[CG_PKT_ETH_ALEN];
	uint8_t src_mac[CG_PKT_ETH_ALEN];
	uint8_t nb_vlans;		/**< 0, 1 or 2 tags */
	uint16_t vlan_tpid[CG_PKT_MAX_VLANS];	/**< host order; [0] is the outer tag */
	uint16_t vlan_tci[CG_PKT_MAX_VLANS];	/**< host order (PCP:3 DEI:1 VID:12) */
	uint16_t ethertype;		/**< host order, after the tags */
	uint16_t l2_len;		/**< Ethernet header + tags = l3_off */

	/* IPv4 */
	uint16_t l3_off;		/**< offset of the IPv4 header (or ARP body) */
	uint8_t ihl;			/**< header length in 32-bit words, 5..15 */
	uint8_t tos;
	uint8_t ttl;
	uint8_t proto;
	bool df;			/**< Don't Fragment flag */
	uint16_t ip_id_be;
	uint16_t frag_off;		/**< host order, flags included */
	uint16_t total_len;		/**< host order IPv4 total length */
	uint16_t ip_csum_be;
	uint32_t src_ip_be;
	uint32_t dst_ip_be;

	/* L4 */
	uint16_t l4_off;		/**< offset of the UDP (or IGMP) header */
	uint16_t l4_len;		/**< IPv4 payload length: total_len - ihl * 4 */
	uint16_t sport_be;
	uint16_t dport_be;
	uint16_t udp_len_be;
	uint16_t udp_csum_be;		/**< 0 = sender computed none */
	uint16_t payload_off;		/**< offset of the UDP payload */
	uint16_t payload_len;		/**< UDP length - 8 */
};

/**
 * Parse and validate one frame: Ethernet II, up to two VLAN tags
 * (0x8100/0x88a8 in any order), IPv4 with options, then UDP.
 *
 * Ethernet padding after the IPv4 total length is ignored, and so are bytes
 * after the UDP length inside the IPv4 payload (as Linux does): the datagram
 * is [payload_off, payload_off + payload_len).
 *
 * Checks run in wire order (truncated, non_ipv4, bad_version, bad_ihl,
 * truncated options, bad_total_len, fragment, bad_ip_checksum, then the
 * protocol: IGMP verdict or non_udp, bad_udp_len, bad_source,
 * bad_udp_checksum); the first that fails names the drop. Every fragment,
 * whatever its protocol (IGMP included), offset and MF flag, is dropped as
 * fragment: castgate does not reassemble.
 *
 * The whole datagram must be readable at @p frame: for a multi-segment mbuf
 * pass the first segment's data length, and a datagram spilling into a
 * second segment is dropped as bad_total_len.
 *
 * @param frame  first byte of the Ethernet header
 * @param len    bytes readable at @p frame
 * @param flags  CG_PKT_F_* checks to perform
 * @param pi     filled in; pi->verdict and pi->drop always set
 * @return pi->verdict
 */
enum cg_pkt_verdict cg_pkt_parse(const uint8_t *frame, uint32_t len, unsigned int flags,
				 struct cg_pkt_info *pi);

/** What a frame's headers say, as far as they go: cg_pkt_peek(). */
struct cg_pkt_peek {
	bool ip;		/**< an IPv4 header: src_be, dst_be and ttl are set */
	bool udp;		/**< and a UDP header in a first fragment: sport, dport */
	uint32_t src_be, dst_be;
	uint16_t sport, dport;	/**< host order */
	uint8_t ttl;
};

/**
 * The addresses, ports and TTL of any frame, checked no further than it
 * takes to read them (up to two VLAN tags, IPv4 version and IHL, the UDP
 * header's first 4 bytes inside @p len): for diagnostics of a frame that
 * cg_pkt_parse() refused, whose cg_pkt_info holds only what the parser
 * reached before the check that failed.
 */
void cg_pkt_peek(const uint8_t *frame, uint32_t len, struct cg_pkt_peek *pk);

/**
 * Stable snake_case name of a drop reason, for counters and logs
 * ("truncated", "non_ipv4", ...). "none" for CG_PKT_DROP_NONE and "unknown"
 * for an out-of-range value; never NULL.
 */
const char *cg_pkt_drop_name(enum cg_pkt_drop drop);

/* ------------------------------------------------------------------------ */
/* Checksums (RFC 1071 / RFC 1624)                                          */

/**
 * Add @p len bytes at @p buf to a running ones' complement sum, 16-bit words
 * in memory order. An odd trailing byte is padded with zero, so only the last
 * chunk of a sum may have an odd length.
 * @return the new unfolded 32-bit sum (pass it to cg_pkt_csum_fold())
 */
static inline uint32_t
cg_pkt_csum_add(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;	/* 64-bit accumulator: no carry handling in the loop */
	uint32_t w32;
	uint16_t w16;

	while (len >= 4) {
		memcpy(&w32, p, 4);	/* unaligned-safe; compiles to one load */
		s += w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		s += w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		w16 = 0;
		memcpy(&w16, p, 1);	/* first byte of a zero-padded word */
		s += w16;
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/**
 * Fold a 32-bit sum to 16 bits and complement it: the value to store in a
 * checksum field (memory order), or 0 when verifying data that includes a
 * correct checksum.
 */
static inline uint16_t
cg_pkt_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * RFC 1624 eqn. 3 incremental update: HC' = ~(~HC + ~m + m') for a 16-bit
 * field changing from @p old_be to @p new_be (memory order).
 *
 * For UDP, the caller keeps a 0 checksum at 0 (none) and stores a 0 result
 * as 0xffff; cg_pkt_udp_csum_update*() do both.
 * @return the updated checksum
 */
static inline uint16_t
cg_pkt_csum_update16(uint16_t csum, uint16_t old_be, uint16_t new_be)
{
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~old_be;
	s += new_be;
	return cg_pkt_csum_fold(s);
}

/** As cg_pkt_csum_update16() for a 32-bit field (an IPv4 address). */
static inline uint16_t
cg_pkt_csum_update32(uint16_t csum, uint32_t old_be, uint32_t new_be)
{
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~(old_be & 0xffff);
	s += (uint16_t)~(old_be >> 16);
	s += new_be & 0xffff;
	s += new_be >> 16;
	return cg_pkt_csum_fold(s);
}

/** UDP flavour of cg_pkt_csum_update16(): 0 (none) stays 0, a 0 result becomes 0xffff. */
static inline uint16_t
cg_pkt_udp_csum_update16(uint16_t csum, uint16_t old_be, uint16_t new_be)
{
	if (csum == 0)
		return 0;
	csum = cg_pkt_csum_update16(csum, old_be, new_be);
	return csum ? csum : 0xffff;
}

/** UDP flavour of cg_pkt_csum_update32(): 0 stays 0, a 0 result becomes 0xffff. */
static inline uint16_t
cg_pkt_udp_csum_update32(uint16_t csum, uint32_t old_be, uint32_t new_be)
{
	if (csum == 0)
		return 0;
	csum = cg_pkt_csum_update32(csum, old_be, new_be);
	return csum ? csum : 0xffff;
}

/**
 * IPv4 header checksum of @p hlen bytes (20..60, options included). The
 * checksum field (bytes 10-11) is skipped, whatever it holds.
 * @return the value to store at byte 10
 */
static inline uint16_t
cg_pkt_ipv4_csum(const void *iphdr, unsigned int hlen)
{
	const uint8_t *p = iphdr;
	uint32_t s;

	s = cg_pkt_csum_add(p, 10, 0);
	s = cg_pkt_csum_add(p + 12, hlen - 12, s);
	return cg_pkt_csum_fold(s);
}

/** True when the IPv4 header of @p hlen bytes (checksum included) verifies. */
static inline bool
cg_pkt_ipv4_csum_ok(const void *iphdr, unsigned int hlen)
{
	return cg_pkt_csum_fold(cg_pkt_csum_add(iphdr, hlen, 0)) == 0;
}

/**
 * Full UDP checksum: pseudo-header (addresses, protocol 17, UDP length) plus
 * the UDP header and payload, contiguous at @p udp. The checksum field
 * (bytes 6-7) is skipped, whatever it holds.
 * @param udp      UDP header followed by the payload
 * @param udp_len  UDP length in bytes (host order), >= 8
 * @return the value to store at byte 6; never 0 (a 0 sum is sent as 0xffff),
 *         except 0 for @p udp_len < 8, which no valid datagram has
 */
uint16_t cg_pkt_udp_csum(uint32_t src_be, uint32_t dst_be, const void *udp, uint16_t udp_len);

/**
 * True when a UDP datagram verifies: its checksum is 0 (none) or the sum over
 * the pseudo-header and @p udp_len bytes at @p udp (checksum included) is 0.
 */
bool cg_pkt_udp_csum_ok(uint32_t src_be, uint32_t dst_be, const void *udp, uint16_t udp_len);

/* ------------------------------------------------------------------------ */
/* Header rewrite                                                           */

/** How to rewrite a datagram for one output. */
struct cg_pkt_rewrite {
	uint8_t dst_mac[CG_PKT_ETH_ALEN];
	uint8_t src_mac[CG_PKT_ETH_ALEN];
	uint32_t src_ip_be;
	uint32_t dst_ip_be;
	uint8_t ttl;		/**< output TTL; 0 = keep the input TTL */
	uint16_t sport_be;	/**< 0 = keep the input source port */
	uint16_t dport_be;	/**< 0 = keep the input destination port */
	bool vlan;		/**< emit one 802.1Q (0x8100) tag */
	uint16_t vlan_tci;	/**< host order, used when @c vlan */
};

/** Length of the header cg_pkt_rewrite_hdr() writes: 42, or 46 with a VLAN tag. */
static inline uint16_t
cg_pkt_rewrite_hdr_len(bool vlan)
{
	return CG_PKT_ETH_HLEN + (vlan ? CG_PKT_VLAN_HLEN : 0) + CG_PKT_IPV4_HLEN +
	       CG_PKT_UDP_HLEN;
}

/**
 * Write a fresh output header for a parsed UDP datagram (verdict CG_PKT_UDP):
 * Ethernet [+ one 802.1Q tag] + IPv4 (20 bytes, input options dropped) +
 * UDP (8 bytes), cg_pkt_rewrite_hdr_len(rw->vlan) bytes in all. The UDP
 * payload (pi->payload_len bytes) must follow it unchanged.
 *
 * Kept from the input: tos, id, DF (MF/offset are 0: fragments never parse),
 * UDP length. Recomputed: IPv4 total length (20 + UDP length), IPv4 header
 * checksum (full), UDP checksum (RFC 1624 incremental from the input one over
 * the changed addresses and ports, so the payload is never read; 0 stays 0,
 * and a wrong input checksum stays wrong, so end-to-end detection holds).
 *
 * Reads only @p pi and @p rw, never the input frame, so @p out may overlap
 * it. For an in-place rewrite, place @p out at
 * frame + pi->payload_off - cg_pkt_rewrite_hdr_len(rw->vlan) (prepending
 * headroom when that is before the frame) and trim the frame to end at
 * payload_off + payload_len (drops Ethernet padding and options).
 *
 * @param out  at least cg_pkt_rewrite_hdr_len(rw->vlan) writable bytes
 * @return the number of bytes written
 */
uint16_t cg_pkt_rewrite_hdr(uint8_t *out, const struct cg_pkt_info *pi,
			    const struct cg_pkt_rewrite *rw);

/* ------------------------------------------------------------------------ */
/* Fast path: the common frame, and output headers precomputed per rule     */

/**
 * cg_pkt_parse() with the common frame parsed inline: Ethernet II without a
 * tag, IPv4 without options, not a fragment, UDP, lengths consistent, a
 * source cg_pkt_ipv4_src_bad() accepts, no checksum check asked. Any other
 * frame goes to cg_pkt_parse(), so verdicts and drops are the same. On the
 * inline path the MACs (dst_mac, src_mac) are not copied and the tag arrays
 * not touched (nb_vlans is 0); every other field is filled as cg_pkt_parse()
 * fills it.
 */
static inline enum cg_pkt_verdict
cg_pkt_parse_fast(const uint8_t *frame, uint32_t len, unsigned int flags,
		  struct cg_pkt_info *pi)
{
	const uint8_t *ip = frame + CG_PKT_ETH_HLEN, *udp = ip + CG_PKT_IPV4_HLEN;
	uint32_t total, udp_len;
	uint16_t frag;

	if (flags != 0 || len < CG_PKT_ETH_HLEN + CG_PKT_IPV4_HLEN + CG_PKT_UDP_HLEN ||
	    frame[12] != 0x08 || frame[13] != 0x00 || ip[0] != 0x45 || ip[9] != CG_PKT_IPPROTO_UDP)
		return cg_pkt_parse(frame, len, flags, pi);
	total = (uint32_t)ip[2] << 8 | ip[3];
	frag = (uint16_t)(ip[6] << 8 | ip[7]);
	udp_len = (uint32_t)udp[4] << 8 | udp[5];
	if (total > len - CG_PKT_ETH_HLEN || (frag & (CG_PKT_IP_MF | CG_PKT_IP_OFFMASK)) ||
	    udp_len < CG_PKT_UDP_HLEN || udp_len + CG_PKT_IPV4_HLEN > total ||
	    cg_pkt_ipv4_src_bad(ip[12]))
		return cg_pkt_parse(frame, len, flags, pi);
	pi->verdict = CG_PKT_UDP;
	pi->drop = CG_PKT_DROP_NONE;
	pi->nb_vlans = 0;
	pi->ethertype = CG_PKT_ETHERTYPE_IPV4;
	pi->l2_len = CG_PKT_ETH_HLEN;
	pi->l3_off = CG_PKT_ETH_HLEN;
	pi->ihl = 5;
	pi->tos = ip[1];
	pi->ttl = ip[8];
	pi->proto = CG_PKT_IPPROTO_UDP;
	pi->df = (frag & CG_PKT_IP_DF) != 0;
	pi->frag_off = frag;
	pi->total_len = (uint16_t)total;
	memcpy(&pi->ip_id_be, ip + 4, 2);
	memcpy(&pi->ip_csum_be, ip + 10, 2);
	memcpy(&pi->src_ip_be, ip + 12, 4);
	memcpy(&pi->dst_ip_be, ip + 16, 4);
	pi->l4_off = CG_PKT_ETH_HLEN + CG_PKT_IPV4_HLEN;
	pi->l4_len = (uint16_t)(total - CG_PKT_IPV4_HLEN);
	memcpy(&pi->sport_be, udp, 2);
	memcpy(&pi->dport_be, udp + 2, 2);
	memcpy(&pi->udp_len_be, udp + 4, 2);
	memcpy(&pi->udp_csum_be, udp + 6, 2);
	pi->payload_off = CG_PKT_ETH_HLEN + CG_PKT_IPV4_HLEN + CG_PKT_UDP_HLEN;
	pi->payload_len = (uint16_t)(udp_len - CG_PKT_UDP_HLEN);
	return CG_PKT_UDP;
}

/** Length of a template's header: Ethernet, IPv4 without options, UDP. */
#define CG_PKT_TMPL_HLEN 42

/**
 * One output's header, built once when a rule is installed, so that a
 * packet costs a copy and a few stores instead of a rebuild: the bytes as
 * sent, with the per-packet fields zero, and the checksum sums of what the
 * rule fixes. 56 bytes, so that a user's record with a few more fields
 * still fits one cache line.
 */
struct cg_pkt_tmpl {
	uint8_t hdr[CG_PKT_TMPL_HLEN];
	uint8_t keep_ttl;	/**< rewrite ttl 0: the input's */
	uint8_t keep_sport;
	uint8_t keep_dport;
	uint8_t pad[3];
	uint32_t ip_sum;	/**< host-order sum of the IPv4 words the rule fixes */
	uint32_t udp_sum;	/**< memory-order sum of new addresses and set ports */
};

static_assert(sizeof(struct cg_pkt_tmpl) == 56, "struct cg_pkt_tmpl: 56 bytes");

/**
 * Build @p t from @p rw (as cg_pkt_rewrite_hdr() would use it).
 * @return 0, or -1 if @p rw asks for a VLAN tag (templates have none)
 */
int cg_pkt_tmpl_init(struct cg_pkt_tmpl *t, const struct cg_pkt_rewrite *rw);

/**
 * What a template takes from the packet, the same for each of its outputs:
 * cg_pkt_tmpl_pkt_init() computes it once per packet, cg_pkt_tmpl_write()
 * once per output.
 */
struct cg_pkt_tmpl_pkt {
	uint8_t ip_w0[8];	/**< IPv4 bytes 0-7 as sent: 0x45, tos, total length, id, DF */
	uint32_t ip_sum;	/**< host-order sum of tos, total length, id and DF */
	uint32_t udp_sum;	/**< ~checksum + the complements of the input's addresses */
	uint16_t sport_be, dport_be, udp_len_be;
	uint16_t nsport, ndport; /**< ~sport, ~dport: what a rewritten port takes out */
	uint16_t udp_csum_be;	/**< 0: the sender computed none, and 0 stays 0 */
	uint8_t ttl;
};

/** Fill @p pp from a parsed UDP datagram @p pi. */
static inline void
cg_pkt_tmpl_pkt_init(struct cg_pkt_tmpl_pkt *pp, const struct cg_pkt_info *pi)
{
	const uint8_t *ul = (const uint8_t *)&pi->udp_len_be, *il = (const uint8_t *)&pi->ip_id_be;
	uint16_t total = (uint16_t)(CG_PKT_IPV4_HLEN + (ul[0] << 8 | ul[1]));
	uint16_t frag = pi->df ? CG_PKT_IP_DF : 0;

	pp->ip_w0[0] = 0x45;
	pp->ip_w0[1] = pi->tos;
	pp->ip_w0[2] = (uint8_t)(total >> 8);
	pp->ip_w0[3] = (uint8_t)total;
	memcpy(&pp->ip_w0[4], &pi->ip_id_be, 2);
	pp->ip_w0[6] = (uint8_t)(frag >> 8);
	pp->ip_w0[7] = 0;
	pp->ip_sum = (uint32_t)pi->tos + total + (uint16_t)(il[0] << 8 | il[1]) + frag;
	pp->udp_sum = (uint16_t)~pi->udp_csum_be +
		      (uint16_t)~(pi->src_ip_be & 0xffff) + (uint16_t)~(pi->src_ip_be >> 16) +
		      (uint16_t)~(pi->dst_ip_be & 0xffff) + (uint16_t)~(pi->dst_ip_be >> 16);
	pp->sport_be = pi->sport_be;
	pp->dport_be = pi->dport_be;
	pp->udp_len_be = pi->udp_len_be;
	pp->nsport = (uint16_t)~pi->sport_be;
	pp->ndport = (uint16_t)~pi->dport_be;
	pp->udp_csum_be = pi->udp_csum_be;
	pp->ttl = pi->ttl;
}

/**
 * Write @p t's header for the packet @p pp at @p out: the same
 * CG_PKT_TMPL_HLEN bytes cg_pkt_rewrite_hdr() writes for the rewrite @p t
 * was built from (kept fields, total length, IPv4 checksum in full from the
 * precomputed sums, UDP checksum incrementally, RFC 1624; 0 stays 0). Reads
 * only @p pp and @p t, so @p out may overlap the input frame.
 */
static inline void
cg_pkt_tmpl_write(uint8_t *out, const struct cg_pkt_tmpl *t, const struct cg_pkt_tmpl_pkt *pp)
{
	uint32_t isum = t->ip_sum + pp->ip_sum;
	uint16_t csum = pp->udp_csum_be;
	uint8_t *ip = out + CG_PKT_ETH_HLEN;

	/* Two overlapping 16-byte-multiple copies cover the 42 bytes. */
	memcpy(out, t->hdr, 32);
	memcpy(out + 26, t->hdr + 26, 16);
	memcpy(ip, pp->ip_w0, 8);
	if (t->keep_ttl) {
		ip[8] = pp->ttl;
		isum += (uint32_t)pp->ttl << 8;
	}
	isum = cg_pkt_csum_fold(isum);
	ip[10] = (uint8_t)(isum >> 8);
	ip[11] = (uint8_t)isum;
	if (t->keep_sport)
		memcpy(ip + 20, &pp->sport_be, 2);
	if (t->keep_dport)
		memcpy(ip + 22, &pp->dport_be, 2);
	memcpy(ip + 24, &pp->udp_len_be, 2);
	if (csum != 0) {
		uint32_t s = pp->udp_sum + t->udp_sum;

		if (!t->keep_sport)
			s += pp->nsport;
		if (!t->keep_dport)
			s += pp->ndport;
		csum = cg_pkt_csum_fold(s);
		if (csum == 0)
			csum = 0xffff;
	}
	memcpy(ip + 26, &csum, 2);
}

/** cg_pkt_tmpl_pkt_init() and cg_pkt_tmpl_write() for a packet of one output. */
static inline void
cg_pkt_tmpl_apply(uint8_t *out, const struct cg_pkt_tmpl *t, const struct cg_pkt_info *pi)
{
	struct cg_pkt_tmpl_pkt pp;

	cg_pkt_tmpl_pkt_init(&pp, pi);
	cg_pkt_tmpl_write(out, t, &pp);
}

/* ------------------------------------------------------------------------ */
/* Multicast                                                                */

/** Ethernet address of an IPv4 multicast group: 01:00:5e + the low 23 bits of the group. */
static inline void
cg_pkt_mcast_mac(uint32_t group_be, uint8_t mac[CG_PKT_ETH_ALEN])
{
	const uint8_t *g = (const uint8_t *)&group_be;

	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = g[1] & 0x7f;
	mac[4] = g[2];
	mac[5] = g[3];
}

/** True for 224.0.0.0/4. */
static inline bool
cg_pkt_ipv4_is_mcast(uint32_t addr_be)
{
	return (((const uint8_t *)&addr_be)[0] & 0xf0) == 0xe0;
}

/** True for 224.0.0.0/24, the link-local control block never forwarded (RFC 5771). */
static inline bool
cg_pkt_ipv4_is_link_local_mcast(uint32_t addr_be)
{
	const uint8_t *a = (const uint8_t *)&addr_be;

	return a[0] == 224 && a[1] == 0 && a[2] == 0;
}

/* ------------------------------------------------------------------------ */
/* Frame builders (shared conventions)                                      */
/*
 * Builders write a whole frame at @p buf of @p size bytes, zero-pad it to
 * CG_PKT_ETH_MIN_LEN (+ 4 with a VLAN tag, so that it stays >= 60 once a
 * switch strips the tag) and return its length, or -ENOSPC when @p size is
 * too small (nothing useful is written then), or -EINVAL for a bad argument.
 * @p vlan is CG_PKT_NO_VLAN or a host-order TCI for one 802.1Q tag.
 */

/**
 * Build an Ethernet/IPv4/UDP frame with correct IPv4 and UDP checksums:
 * tos 0, id 0, no DF, no options.
 * @return the frame length, -ENOSPC, or -EINVAL (payload too long for IPv4)
 */
int cg_pkt_build_udp(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN],
		     const uint8_t dmac[CG_PKT_ETH_ALEN], uint32_t src_be, uint32_t dst_be,
		     uint16_t sport_be, uint16_t dport_be, uint8_t ttl, const void *payload,
		     uint16_t payload_len, int vlan);

/* ------------------------------------------------------------------------ */
/* ARP (Ethernet / IPv4 only)                                               */

#define CG_PKT_ARP_LEN 28	/**< ARP body for Ethernet/IPv4 */
#define CG_PKT_ARP_OP_REQUEST 1
#define CG_PKT_ARP_OP_REPLY 2

/** Why an ARP body was rejected; dense, with names like enum cg_pkt_drop. */
enum cg_pkt_arp_err {
	CG_PKT_ARP_OK = 0,		/**< "ok" */
	CG_PKT_ARP_TRUNCATED,		/**< "arp_truncated": < 28 bytes */
	CG_PKT_ARP_BAD_HTYPE,		/**< "arp_bad_htype": hardware type != 1 (Ethernet) */
	CG_PKT_ARP_BAD_PTYPE,		/**< "arp_bad_ptype": protocol type != 0x0800 */
	CG_PKT_ARP_BAD_ADDR_LEN,	/**< "arp_bad_addr_len": hlen != 6 or plen != 4 */
	CG_PKT_ARP_BAD_OP,		/**< "arp_bad_op": neither request nor reply */
	CG_PKT_ARP_ERR_MAX
};

/** A parsed Ethernet/IPv4 ARP message. */
struct cg_pkt_arp {
	uint16_t op;			/**< CG_PKT_ARP_OP_REQUEST or _REPLY (host order) */
	uint8_t sha[CG_PKT_ETH_ALEN];	/**< sender hardware address */
	uint32_t spa_be;		/**< sender protocol address */
	uint8_t tha[CG_PKT_ETH_ALEN];	/**< target hardware address */
	uint32_t tpa_be;		/**< target protocol address */
	bool gratuitous;		/**< spa == tpa (announcement / gratuitous ARP) */
};

/**
 * Parse an ARP body: pass frame + pi->l3_off and len - pi->l3_off after
 * cg_pkt_parse() returned CG_PKT_ARP. Trailing padding is ignored.
 * @return CG_PKT_ARP_OK and @p arp filled, or the reason it is malformed
 */
enum cg_pkt_arp_err cg_pkt_arp_parse(const uint8_t *body, uint32_t len, struct cg_pkt_arp *arp);

/** Stable name of an ARP error for counters ("arp_truncated", ...); never NULL. */
const char *cg_pkt_arp_err_name(enum cg_pkt_arp_err err);

/**
 * Build a broadcast who-has request: "who has @p tpa_be? tell @p spa_be".
 * See the builder conventions above.
 */
int cg_pkt_arp_build_request(uint8_t *buf, size_t size, const uint8_t sha[CG_PKT_ETH_ALEN],
			     uint32_t spa_be, uint32_t tpa_be, int vlan);

/**
 * Build a unicast reply "@p spa_be is at @p sha" to (@p tha, @p tpa_be), the
 * sender of the request. See the builder conventions above.
 */
int cg_pkt_arp_build_reply(uint8_t *buf, size_t size, const uint8_t sha[CG_PKT_ETH_ALEN],
			   uint32_t spa_be, const uint8_t tha[CG_PKT_ETH_ALEN], uint32_t tpa_be,
			   int vlan);

/**
 * Build a gratuitous ARP (an announcement, RFC 5227): a broadcast request with
 * sender and target protocol address both @p addr_be and a zero target MAC.
 * See the builder conventions above.
 */
int cg_pkt_arp_build_gratuitous(uint8_t *buf, size_t size, const uint8_t sha[CG_PKT_ETH_ALEN],
				uint32_t addr_be, int vlan);

/* ------------------------------------------------------------------------ */
/* IGMP (RFC 2236, RFC 3376)                                                */

#define CG_PKT_IGMP_QUERY 0x11
#define CG_PKT_IGMP_V1_REPORT 0x12
#define CG_PKT_IGMP_V2_REPORT 0x16
#define CG_PKT_IGMP_V2_LEAVE 0x17
#define CG_PKT_IGMP_V3_REPORT 0x22

/** IGMPv3 group record types (RFC 3376 4.2.12). */
enum cg_pkt_igmp_rec_type {
	CG_PKT_IGMP_MODE_IS_INCLUDE = 1,
	CG_PKT_IGMP_MODE_IS_EXCLUDE = 2,
	CG_PKT_IGMP_CHANGE_TO_INCLUDE = 3,	/**< with no sources: leave (*,G) */
	CG_PKT_IGMP_CHANGE_TO_EXCLUDE = 4,	/**< with no sources: join (*,G) */
	CG_PKT_IGMP_ALLOW_NEW_SOURCES = 5,	/**< join (S,G) */
	CG_PKT_IGMP_BLOCK_OLD_SOURCES = 6,	/**< leave (S,G) */
};

/** Why an IGMP message was rejected; dense, with names like enum cg_pkt_drop. */
enum cg_pkt_igmp_err {
	CG_PKT_IGMP_OK = 0,		/**< "ok" */
	CG_PKT_IGMP_TRUNCATED,		/**< "igmp_truncated": shorter than its type needs */
	CG_PKT_IGMP_BAD_CHECKSUM,	/**< "igmp_bad_checksum" */
	CG_PKT_IGMP_BAD_TYPE,		/**< "igmp_bad_type": unknown message type */
	CG_PKT_IGMP_BAD_LEN,		/**< "igmp_bad_len": 9..11 bytes query, or sources past the end */
	CG_PKT_IGMP_ERR_MAX
};

/** A parsed IGMP message. Only the fields of its type are set. */
struct cg_pkt_igmp {
	uint8_t type;			/**< CG_PKT_IGMP_* message type */
	uint8_t version;		/**< queries: 1, 2 or 3 (RFC 3376 7.1); reports: 1, 2, 3 */
	uint32_t group_be;		/**< 0 in a general query; unset in a v3 report */
	uint8_t max_resp_code;		/**< raw field */
	uint32_t max_resp_ds;		/**< decoded, tenths of a second (v1: 100 = 10 s) */
	/* v3 query */
	bool s_flag;			/**< suppress router-side processing */
	uint8_t qrv;			/**< querier's robustness variable, 0..7 */
	uint8_t qqic;			/**< raw field */
	uint32_t qqi_s;			/**< decoded querier's query interval, seconds */
	uint16_t nb_sources;		/**< v3 query sources */
	const uint8_t *sources;		/**< nb_sources * 4 bytes in the frame, network order */
	/* v3 report */
	uint16_t nb_records;		/**< number of group records (not walked) */
};

/**
 * Parse and check an IGMP message: after cg_pkt_parse() returned
 * CG_PKT_IGMP, pass frame + pi->l4_off and pi->l4_len. The IGMP checksum
 * over @p len bytes is always verified. @p msg->sources points into @p igmp.
 * @return CG_PKT_IGMP_OK and @p msg filled, or the reason it is malformed
 */
enum cg_pkt_igmp_err cg_pkt_igmp_parse(const uint8_t *igmp, uint32_t len,
				       struct cg_pkt_igmp *msg);

/** Stable name of an IGMP error for counters ("igmp_truncated", ...); never NULL. */
const char *cg_pkt_igmp_err_name(enum cg_pkt_igmp_err err);

/** One IGMPv3 group record to build. */
struct cg_pkt_igmp_rec {
	uint8_t type;			/**< enum cg_pkt_igmp_rec_type */
	uint32_t group_be;
	uint16_t nb_sources;
	const uint32_t *sources_be;	/**< nb_sources addresses, network order */
};

/**
 * Build an IGMPv3 membership report to 224.0.0.22 holding @p nb_recs group
 * records, as Linux sends it: TTL 1, tos 0xc0, DF, id 0, Router Alert option,
 * dst MAC 01:00:5e:00:00:16, correct IP and IGMP checksums.
 * Join (*,G): CHANGE_TO_EXCLUDE (state change) or MODE_IS_EXCLUDE (query
 * answer), no sources. Leave (*,G): CHANGE_TO_INCLUDE, no sources. Join
 * (S,G): ALLOW_NEW_SOURCES or MODE_IS_INCLUDE with sources. Leave (S,G):
 * BLOCK_OLD_SOURCES with sources.
 * See the builder conventions above.
 * @return frame length, -ENOSPC, or -EINVAL (no records, bad record type,
 *         or a record with sources missing)
 */
int cg_pkt_igmp_build_v3_report(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN],
				uint32_t src_be, const struct cg_pkt_igmp_rec *recs,
				unsigned int nb_recs, int vlan);

/** IPv4 header of an IGMP message we send: 20 bytes + Router Alert (4). */
#define CG_PKT_IGMP_IP_HLEN 24
/** IGMPv3 report header (type, checksum, number of records). */
#define CG_PKT_IGMP_V3_HLEN 8
/** IGMPv3 group record header; each source adds 4 bytes. */
#define CG_PKT_IGMP_V3_REC_HLEN 8
/** Smallest MTU a packer accepts: one record without sources. */
#define CG_PKT_IGMP_V3_MIN_MTU \
	(CG_PKT_IGMP_IP_HLEN + CG_PKT_IGMP_V3_HLEN + CG_PKT_IGMP_V3_REC_HLEN)

/**
 * An IGMPv3 report being filled with group records up to an MTU (RFC 3376
 * 4.2.16: as many records per report as fit, in as many reports as needed).
 * Records are written into the caller's buffer as they are added; finish
 * writes the headers and checksums. Plain data, no allocation.
 */
struct cg_pkt_igmp_v3_pack {
	uint8_t *buf;
	size_t size;
	int vlan;
	size_t igmp_off;	/**< where the IGMP message starts in @c buf */
	size_t igmp_max;	/**< IGMP bytes the MTU (and @c size) allow */
	size_t igmp_len;	/**< IGMP bytes so far: header + records */
	uint16_t nb_recs;	/**< records so far */
};

/**
 * Start an empty report in @p buf for a port of @p mtu (the largest IP
 * packet): the report, IP header included, never exceeds it.
 * @return 0, or -EINVAL (bad vlan, @p mtu below CG_PKT_IGMP_V3_MIN_MTU, or
 *         @p buf too small for one record)
 */
int cg_pkt_igmp_v3_pack_init(struct cg_pkt_igmp_v3_pack *pk, uint8_t *buf, size_t size,
			     unsigned int mtu, int vlan);

/**
 * Add a group record. If it fits whole it is added and @p nb_sources is
 * returned. If it does not and the report already holds records, nothing is
 * added: -ENOSPC (finish the report, then add it to the next one). In an
 * empty report a record too long for the MTU takes as many of its sources as
 * fit and that count is returned (RFC 3376 4.2.16: send the rest in another
 * record of the same type, except for the EXCLUDE types, which drop them).
 * @return sources taken (>= 0), -ENOSPC, or -EINVAL (bad type, sources NULL)
 */
int cg_pkt_igmp_v3_pack_add(struct cg_pkt_igmp_v3_pack *pk, uint8_t type, uint32_t group_be,
			    const uint32_t *sources_be, unsigned int nb_sources);

/** Whether a record with @p nb_sources sources fits whole in what is left of the report. */
static inline bool
cg_pkt_igmp_v3_pack_fits(const struct cg_pkt_igmp_v3_pack *pk, unsigned int nb_sources)
{
	return pk->nb_recs < UINT16_MAX &&
	       pk->igmp_max - pk->igmp_len >= CG_PKT_IGMP_V3_REC_HLEN + 4 * (size_t)nb_sources;
}

/**
 * Complete the report (same framing as cg_pkt_igmp_build_v3_report()) and
 * empty the packer for the next one; the frame stays in the buffer until
 * the next add.
 * @return frame length, or -EINVAL when it holds no record
 */
int cg_pkt_igmp_v3_pack_finish(struct cg_pkt_igmp_v3_pack *pk,
			       const uint8_t smac[CG_PKT_ETH_ALEN], uint32_t src_be);

/**
 * Build an IGMPv2 membership report for @p group_be, sent to the group itself
 * (same IP/Ethernet framing as the v3 report). See the builder conventions.
 */
int cg_pkt_igmp_build_v2_report(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN],
				uint32_t src_be, uint32_t group_be, int vlan);

/**
 * Build an IGMPv1 membership report (type 0x12, RFC 1112 appendix I) for
 * @p group_be, sent to the group; the framing of the v2 report (Linux sends
 * its v1 reports so too). A v1 host has no leave message.
 * See the builder conventions above.
 */
int cg_pkt_igmp_build_v1_report(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN],
				uint32_t src_be, uint32_t group_be, int vlan);

/**
 * Build an IGMPv2 leave for @p group_be, sent to 224.0.0.2 (all routers).
 * See the builder conventions above.
 */
int cg_pkt_igmp_build_v2_leave(uint8_t *buf, size_t size, const uint8_t smac[CG_PKT_ETH_ALEN],
			       uint32_t src_be, uint32_t group_be, int vlan);

#endif /* CG_PKT_H */
