/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The contract between castgate's XDP steering program (cg_xdp_steer.c, built
 * with clang -target bpf) and castgate-dataplane (dp_xdp.c), which fills its
 * map. Plain C types only: this header is compiled for both targets.
 */
#ifndef CG_XDP_STEER_H
#define CG_XDP_STEER_H

/** Name of the program's hash map of steered flows (BPF object names: <= 15 chars). */
#define CG_XDP_STEER_MAP "cg_steer"
/** Name of the program itself, as the kernel lists it (bpf_prog_info.name). */
#define CG_XDP_STEER_PROG "cg_xdp_steer"
/** The XSKMAP the af_xdp PMD (DPDK 22.11, xdp_prog=) looks up by this name. */
#define CG_XDP_XSKS_MAP "xsks_map"
/** Object file name, installed next to castgate-dataplane's libraries. */
#define CG_XDP_STEER_OBJ "cg_xdp_steer.o"

/** Most entries in the steering map: one per (destination, dport) of the
 * rules of one port, plus the port's own address for ARP. The map is not
 * preallocated, so only the entries in use cost kernel memory. */
#define CG_XDP_STEER_MAX 1048576
/** Most RX queues of one port (XSKMAP slots, indexed by RX queue). */
#define CG_XDP_MAX_QUEUES 64

/** What a key matches. */
enum cg_xdp_kind {
	CG_XDP_KIND_UDP = 1,	/**< IPv4 UDP to dst:dport (a rule's input) */
	CG_XDP_KIND_ARP = 2,	/**< ARP whose target address is dst (the port's own) */
};

/** Key of the steering map; all fields as on the wire (network order). */
struct cg_xdp_key {
	unsigned int dst;	/**< IPv4 destination (UDP) or ARP target address */
	unsigned short dport;	/**< UDP destination port; 0 for ARP */
	unsigned char kind;	/**< enum cg_xdp_kind */
	unsigned char pad;	/**< 0 */
};

/** Value: how many rules (or the port address: 1) want this key. The
 * program only tests presence; the count lets rules share a key. */
typedef unsigned int cg_xdp_val_t;

#endif
