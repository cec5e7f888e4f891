/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_NL_H
#define CG_NL_H

/**
 * @file
 * Netlink route operations (libmnl) inside the network namespace of any
 * process, in the spirit of iproute2's libnetlink: each call builds one
 * request, sends it, reads the kernel's answer and returns 0 or a negative
 * errno, with the kernel's own message in @p err.
 *
 * Namespaces: cg_nl_open_netns() opens the socket from a short-lived worker
 * thread that setns()es into the target's netns. A netlink socket keeps the
 * netns it was created in, so the calling thread never changes namespace.
 *
 * A struct cg_nl is used by one thread at a time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum cg_nl_route_type {
	CG_NL_ROUTE_UNICAST,
	CG_NL_ROUTE_UNREACHABLE,
	CG_NL_ROUTE_BLACKHOLE,
};

struct cg_nl_route {
	int family;                 /**< AF_INET or AF_INET6 */
	uint8_t dst[16];            /**< network order; 4 bytes used for AF_INET */
	uint8_t dst_len;            /**< prefix length; 0 = default route */
	enum cg_nl_route_type type;
	uint8_t gw[16];             /**< next hop (UNICAST only); all zero = none (on-link) */
	uint32_t table;             /**< 0 = main */
	/* Filled in by cg_nl_route_list(); replace uses protocol (0 = RTPROT_STATIC),
	 * delete ignores them. */
	int oif;                    /**< output interface index, 0 if none */
	uint8_t protocol;           /**< RTPROT_* */
	uint8_t scope;              /**< RT_SCOPE_* */
};

/** Buffer size that holds any string of cg_nl_route_str(). */
#define CG_NL_ROUTE_STRLEN 128

struct cg_nl;

/**
 * Open a netlink route socket inside the network namespace of process @p pid.
 *
 * @param pid  process whose /proc/<pid>/ns/net is entered; 0 = our own netns.
 * @param err  receives a message on failure (may be NULL).
 * @return a handle, or NULL with errno set: EPERM/EACCES when a capability is
 *   missing (CAP_SYS_ADMIN for setns, CAP_SYS_PTRACE to open another user's
 *   namespace), ENOENT/ESRCH when the process is gone, ENOMEM.
 */
struct cg_nl *cg_nl_open_netns(pid_t pid, char *err, size_t errlen);

/**
 * Open a netlink route socket inside the network namespace of the process
 * that @p pidfd (pidfd_open(2)) refers to. Unlike a pid, a pidfd cannot come
 * to name another process: if the process exited, this fails with ESRCH.
 *
 * @return a handle, or NULL with errno set as cg_nl_open_netns() (ESRCH when
 *   the process has exited, EBADF for a bad descriptor).
 */
struct cg_nl *cg_nl_open_pidfd(int pidfd, char *err, size_t errlen);

/**
 * The identity of the namespace the handle's socket lives in: the device and
 * inode of its nsfs file, comparable with stat() of /proc/<pid>/ns/net.
 * @return 0, or -errno (SIOCGSKNS refused).
 */
int cg_nl_netns_id(const struct cg_nl *nl, uint64_t *dev, uint64_t *ino);

/** Close a handle from cg_nl_open_netns() or cg_nl_open_pidfd(). NULL is accepted. */
void cg_nl_close(struct cg_nl *nl);

/**
 * Install a route with replace semantics (RTM_NEWROUTE, NLM_F_CREATE |
 * NLM_F_REPLACE), like `ip route replace`. For UNICAST the kernel picks the
 * output device from the gateway; a dst_len of 0 replaces the default route.
 * Applying the same route twice leaves exactly one route.
 *
 * @return 0, or -errno from the kernel's ack (e.g. -ENETUNREACH when the
 *   gateway is not on a connected network), message in @p err.
 */
int cg_nl_route_replace(struct cg_nl *nl, const struct cg_nl_route *r, char *err, size_t errlen);

/**
 * Delete a route (RTM_DELROUTE) matching family, destination, table and
 * type; the gateway is matched too when set.
 *
 * @return 0, -ESRCH if no such route exists, or another -errno.
 */
int cg_nl_route_delete(struct cg_nl *nl, const struct cg_nl_route *r, char *err, size_t errlen);

/**
 * Dump the routes of the main table (RTM_GETROUTE, NLM_F_DUMP).
 *
 * IPv6 dumps also carry the kernel's local/multicast entries of other tables;
 * only main-table routes are passed to @p cb.
 *
 * @param family AF_INET, AF_INET6 or AF_UNSPEC (both).
 * @param cb     called for each route; a negative return stops the dump and is
 *   returned (the rest of the dump is drained so the socket stays usable).
 * @return 0, cb's negative value, or -errno.
 */
int cg_nl_route_list(struct cg_nl *nl, int family,
		     int (*cb)(const struct cg_nl_route *r, void *arg), void *arg,
		     char *err, size_t errlen);

/**
 * Parse a CIDR ("10.0.0.0/8", "2001:db8::/32", "::/0") into r->family, r->dst
 * and r->dst_len; the other fields are zeroed (type UNICAST, table main).
 * A bare address without "/len" is a host route (/32 or /128).
 *
 * @return 0, or -EINVAL with a message in @p err for a bad address, a bad or
 *   out-of-range prefix length, or host bits set beyond the prefix.
 */
int cg_nl_route_parse_cidr(const char *cidr, struct cg_nl_route *r, char *err, size_t errlen);

/**
 * Format a CIDR alone: "198.18.0.0/15", "::/0".
 * @return @p buf.
 */
const char *cg_nl_cidr_str(const struct cg_nl_route *r, char *buf, size_t size);

/**
 * Format a route the way `ip route` does, in short:
 * "0.0.0.0/0 via 198.19.1.3", "unreachable ::/0", "blackhole 10.0.0.0/8";
 * an on-link route without gateway is "198.18.210.0/24 dev #6" when its
 * interface index is known (listed routes), else "198.18.210.0/24".
 * A table other than main is appended as " table N".
 * @return @p buf (always NUL-terminated when size > 0).
 */
const char *cg_nl_route_str(const struct cg_nl_route *r, char *buf, size_t size);

/*
 * Links: the state of the kernel's interfaces, listed on request and followed
 * by a monitor (RTNLGRP_LINK), for ports whose PMD reports no link change
 * (af_packet, af_xdp).
 */

/** A link as the kernel reports it (RTM_NEWLINK / RTM_DELLINK). */
struct cg_nl_link {
	int ifindex;
	char name[16];               /**< IFLA_IFNAME */
	unsigned int flags;          /**< IFF_* */
	bool deleted;                /**< RTM_DELLINK: the interface is gone */
};

/**
 * Up for forwarding: there, administratively up, with carrier (IFF_UP and
 * IFF_LOWER_UP, which the driver sets at once; IFF_RUNNING waits for the
 * kernel's linkwatch work).
 */
bool cg_nl_link_is_up(const struct cg_nl_link *l);

/** Called for each link; a negative return stops (and is returned). */
typedef int (*cg_nl_link_cb)(const struct cg_nl_link *l, void *arg);

/**
 * List the links of @p nl's namespace (RTM_GETLINK dump).
 * @return 0, cb's negative value, or -errno with a message in @p err.
 */
int cg_nl_link_list(struct cg_nl *nl, cg_nl_link_cb cb, void *arg, char *err, size_t errlen);

/**
 * Set the flags of link @p ifindex that @p change selects (IFF_ALLMULTI,
 * IFF_PROMISC, IFF_UP...) to their value in @p flags; the others stay as they
 * are. The kernel applies it under its own lock, unlike a SIOCGIFFLAGS and
 * SIOCSIFFLAGS pair, whose write undoes a change made in between.
 * @return 0, or -errno with a message in @p err.
 */
int cg_nl_link_set_flags(struct cg_nl *nl, int ifindex, unsigned int flags, unsigned int change,
			 char *err, size_t errlen);

struct cg_nl_monitor;

/**
 * Subscribe to link changes of our own namespace (RTNLGRP_LINK), non-blocking.
 * @return a monitor, or NULL with errno and a message in @p err.
 */
struct cg_nl_monitor *cg_nl_link_monitor_open(char *err, size_t errlen);

/** Its file descriptor, for poll/epoll (readable when changes wait). */
int cg_nl_link_monitor_fd(const struct cg_nl_monitor *m);

/**
 * Read every change waiting, calling @p cb for each; never blocks.
 * @return 0; -ENOBUFS when the kernel dropped messages (the socket's buffer
 *   overflowed): the caller then lists the links again; another -errno.
 */
int cg_nl_link_monitor_read(struct cg_nl_monitor *m, cg_nl_link_cb cb, void *arg);

/** Close. NULL is accepted. */
void cg_nl_link_monitor_close(struct cg_nl_monitor *m);

#endif /* CG_NL_H */
