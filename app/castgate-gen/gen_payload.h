/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_PAYLOAD_H
#define GEN_PAYLOAD_H

/**
 * @file
 * The castgate-gen payload: a fixed header, then filler bytes derived from the
 * sequence number, so that a receiver can tell which packet it got, when it
 * was sent, and whether any byte of it changed on the way.
 *
 * Layout (all integers big-endian, offsets in bytes):
 *   0  magic "CGEN" (0x4347454e)
 *   4  stream id (u32)
 *   8  sequence number (u64)
 *  16  send time, CLOCK_REALTIME in ns (u64)
 *  24  payload length in bytes, header included (u32)
 *  28  check: FNV-1a 32 over bytes 32..length-1, then 0..27 (u32)
 *  32  filler: byte i = (seq * 7 + i) & 0xff
 */

#include <stddef.h>
#include <stdint.h>

#define GEN_PAYLOAD_MAGIC 0x4347454eu
/** Smallest payload: just the header. */
#define GEN_PAYLOAD_MIN 32u
/** Largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP). */
#define GEN_PAYLOAD_MAX 65507u

/** Fields of a decoded header. */
struct gen_hdr {
	uint32_t stream;
	uint64_t seq;
	uint64_t tx_ns;
	uint32_t len;
};

/** Result of gen_payload_verify(). */
enum gen_verify {
	GEN_VERIFY_OK = 0,
	GEN_VERIFY_SHORT,   /**< fewer bytes than a header */
	GEN_VERIFY_MAGIC,   /**< not a castgate-gen payload */
	GEN_VERIFY_LENGTH,  /**< header length differs from the datagram's */
	GEN_VERIFY_CHECK,   /**< check value does not match: bytes changed */
	GEN_VERIFY_FILLER,  /**< filler differs from the one the seq implies */
};

/**
 * Write a whole payload of @p len bytes (GEN_PAYLOAD_MIN..GEN_PAYLOAD_MAX)
 * into @p buf: header, filler and check.
 * @return 0, or -EINVAL if @p len is out of range.
 */
int gen_payload_encode(uint8_t *buf, size_t len, uint32_t stream, uint64_t seq,
		       uint64_t tx_ns);

/**
 * The filler repeats with the sequence number modulo this: a payload prepared
 * for seq s is restamped for any seq that equals s modulo the period.
 */
#define GEN_PAYLOAD_FILLER_PERIOD 256u

/** Field offsets that gen_payload_restamp() rewrites (the rest stays). */
#define GEN_PAYLOAD_OFF_SEQ 8u   /* seq and send time: 16 bytes */
#define GEN_PAYLOAD_OFF_CHECK 28u /* check: 4 bytes */

/**
 * Write a payload as gen_payload_encode() with send time 0 and check 0, and
 * return the hash of its filler in @p fhash for gen_payload_restamp(): a sender
 * that keeps its frames (a TX ring) then rewrites 20 bytes per packet, not all.
 * @return 0, or -EINVAL if @p len is out of range.
 */
int gen_payload_prepare(uint8_t *buf, size_t len, uint32_t stream, uint64_t seq,
			uint32_t *fhash);

/**
 * Set the seq, the send time and the check of a prepared payload.
 * @p seq must equal the prepared one modulo GEN_PAYLOAD_FILLER_PERIOD.
 */
void gen_payload_restamp(uint8_t *buf, uint32_t fhash, uint64_t seq, uint64_t tx_ns);

/**
 * Decode and verify a received payload of @p len bytes.
 * @param hdr filled with the header fields when the magic is right (even if a
 *            later check fails), so that callers can still count the seq.
 * @return GEN_VERIFY_OK or the first problem found.
 */
enum gen_verify gen_payload_verify(const uint8_t *buf, size_t len, struct gen_hdr *hdr);

/** Short name of a verify result ("ok", "short", "magic", ...). */
const char *gen_verify_name(enum gen_verify v);

#endif /* GEN_PAYLOAD_H */
