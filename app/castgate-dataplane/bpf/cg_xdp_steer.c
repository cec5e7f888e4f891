/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate's XDP steering program, loaded by the af_xdp PMD (xdp_prog=) on a
 * port with xdp_steer = true. It hands to the port's AF_XDP socket only what
 * castgate relays: IPv4 UDP whose (destination, dport) a rule of this port
 * takes, and ARP for the port's own address (castgate answers it and learns
 * next hops from replies). Everything else goes on to the kernel (XDP_PASS),
 * so the host keeps its ARP, ping, SSH and IGMP on the same interface.
 *
 * castgate-dataplane keeps cg_steer in step with its rule table (dp_xdp.c).
 * The map holds (destination, dport) only: an (S,G) rule steers every source
 * of its group and port, and the data plane's own lookup decides the rest.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "cg_xdp_steer.h"

/* struct vlan_hdr is not in the UAPI headers: TCI then the inner type. */
struct cg_vlan {
	__be16 tci;
	__be16 proto;
};

/* The ARP fields we read: fixed header, then sender/target of IPv4 over Ethernet. */
struct cg_arp {
	__be16 htype, ptype;
	__u8 hlen, plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

/* The fast path parses up to two VLAN tags (lib/pkt); so do we. */
#define MAX_VLANS 2

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, CG_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, CG_XDP_STEER_MAX);
	__type(key, struct cg_xdp_key);
	__type(value, cg_xdp_val_t);
} cg_steer SEC(".maps");

static __always_inline int
to_socket(const struct xdp_md *ctx)
{
	/* No socket on this queue (yet): the kernel gets the packet. */
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

SEC("xdp")
int
cg_xdp_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct cg_xdp_key key = { 0 };
	void *l3;
	__be16 proto;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	proto = eth->h_proto;
	l3 = eth + 1;
#pragma unroll
	for (int i = 0; i < MAX_VLANS; i++) {
		struct cg_vlan *v = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(v + 1) > end)
			return XDP_PASS;
		proto = v->proto;
		l3 = v + 1;
	}

	if (proto == bpf_htons(ETH_P_ARP)) {
		struct cg_arp *a = l3;

		if ((void *)(a + 1) > end || a->ptype != bpf_htons(ETH_P_IP) || a->plen != 4)
			return XDP_PASS;
		key.dst = a->tpa;
		key.kind = CG_XDP_KIND_ARP;
	} else if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		struct udphdr *udp;

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP)
			return XDP_PASS;
		/* Fragments have no (or a partial) UDP header: the kernel's. */
		if (ip->frag_off & bpf_htons(0x3fff))
			return XDP_PASS;
		if (ip->ihl < 5)
			return XDP_PASS;
		udp = (void *)ip + ip->ihl * 4;
		if ((void *)(udp + 1) > end)
			return XDP_PASS;
		key.dst = ip->daddr;
		key.dport = udp->dest;
		key.kind = CG_XDP_KIND_UDP;
	} else {
		return XDP_PASS;
	}
	if (bpf_map_lookup_elem(&cg_steer, &key) == NULL)
		return XDP_PASS;
	return to_socket(ctx);
}

char _license[] SEC("license") = "Dual BSD/GPL";
