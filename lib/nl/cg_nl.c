/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Netlink route operations with libmnl, one whole request per call: build,
 * send, read until the kernel's ack (or NLMSG_DONE for a dump), return 0 or
 * a negative errno with the kernel's message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "cg_log.h"
#include "cg_nl.h"
#include "cg_util.h"

/*
 * Receive buffer: larger than MNL_SOCKET_BUFFER_SIZE (8 KiB) because the
 * kernel sizes dump batches after the reader's buffer, and a bigger one
 * means fewer round trips for large tables.
 */
#define NL_RECV_BUF (32 * 1024)
/* The kernel answers at once; a stuck socket is a bug we should not hang on. */
#define NL_RECV_TIMEOUT_S 5

struct cg_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	uint32_t seq;
	char buf[NL_RECV_BUF];
};

/* ---- opening a socket in another netns ---- */

struct open_job {
	pid_t pid;
	int pidfd;           /* >= 0: enter through it instead of /proc/<pid>/ns/net */
	struct mnl_socket *sock;
	int err;             /* positive errno */
	char msg[256];
};

static struct mnl_socket *
open_here(int *e, char *msg, size_t msglen)
{
	struct mnl_socket *s;
	struct timeval tv = { .tv_sec = NL_RECV_TIMEOUT_S };
	int one = 1;

	s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (s == NULL) {
		*e = errno;
		snprintf(msg, msglen, "netlink socket: %s", strerror(errno));
		return NULL;
	}
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		*e = errno;
		snprintf(msg, msglen, "netlink bind: %s", strerror(errno));
		mnl_socket_close(s);
		return NULL;
	}
	/* Best effort: extended acks give the kernel's reason in words, capped
	 * acks keep them short. Old kernels lack both; errors still work. */
	setsockopt(mnl_socket_get_fd(s), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(s), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

/*
 * Runs on its own thread: setns() changes the netns of the calling thread
 * only, and this thread ends right after, so no other thread ever runs in
 * the target's namespace. The socket stays bound to the netns it was
 * created in.
 */
static void *
open_worker(void *p)
{
	struct open_job *j = p;
	char path[64];
	int fd = j->pidfd;

	if (fd >= 0) {
		snprintf(path, sizeof(path), "pidfd %d", fd);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)j->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			j->err = errno;
			snprintf(j->msg, sizeof(j->msg), "open %s: %s%s", path, strerror(errno),
				 (errno == EACCES || errno == EPERM) ? " (needs CAP_SYS_PTRACE)" :
				 "");
			return NULL;
		}
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		j->err = errno;
		snprintf(j->msg, sizeof(j->msg), "setns %s: %s%s", path, strerror(errno),
			 errno == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		if (fd != j->pidfd)
			close(fd);
		return NULL;
	}
	if (fd != j->pidfd)
		close(fd);
	j->sock = open_here(&j->err, j->msg, sizeof(j->msg));
	return NULL;
}

static struct cg_nl *
open_job_run(struct open_job *j, const char *what, char *err, size_t errlen)
{
	struct cg_nl *nl = calloc(1, sizeof(*nl));
	pthread_t t;
	int rc;

	if (nl == NULL) {
		cg_util_err(err, errlen, 0, "netns of %s: %s", what, strerror(ENOMEM));
		errno = ENOMEM;
		return NULL;
	}
	if (j->pid == 0 && j->pidfd < 0) {
		j->sock = open_here(&j->err, j->msg, sizeof(j->msg));
	} else {
		rc = pthread_create(&t, NULL, open_worker, j);
		if (rc != 0) {
			j->err = rc;
			snprintf(j->msg, sizeof(j->msg), "pthread_create: %s", strerror(rc));
		} else {
			pthread_join(t, NULL);
		}
	}
	if (j->sock == NULL) {
		cg_util_err(err, errlen, 0, "netns of %s: %s", what, j->msg);
		free(nl);
		errno = j->err ? j->err : EIO;
		return NULL;
	}
	nl->sock = j->sock;
	nl->portid = mnl_socket_get_portid(j->sock);
	nl->seq = (uint32_t)time(NULL);
	return nl;
}

struct cg_nl *
cg_nl_open_netns(pid_t pid, char *err, size_t errlen)
{
	struct open_job j = { .pid = pid, .pidfd = -1 };
	char what[32];

	snprintf(what, sizeof(what), "pid %d", (int)pid);
	if (pid < 0) {
		cg_util_err(err, errlen, 0, "netns of %s: invalid pid", what);
		errno = EINVAL;
		return NULL;
	}
	return open_job_run(&j, what, err, errlen);
}

struct cg_nl *
cg_nl_open_pidfd(int pidfd, char *err, size_t errlen)
{
	struct open_job j = { .pidfd = pidfd };
	char what[32];

	snprintf(what, sizeof(what), "pidfd %d", pidfd);
	if (pidfd < 0) {
		cg_util_err(err, errlen, 0, "netns of %s: invalid pidfd", what);
		errno = EBADF;
		return NULL;
	}
	return open_job_run(&j, what, err, errlen);
}

int
cg_nl_netns_id(const struct cg_nl *nl, uint64_t *dev, uint64_t *ino)
{
	struct stat st;
	int fd, ret = 0;

	/* SIOCGSKNS: the namespace the socket really lives in, not the one a
	 * path pointed at when it was opened. */
	fd = ioctl(mnl_socket_get_fd(nl->sock), SIOCGSKNS);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		ret = -errno;
	else {
		*dev = (uint64_t)st.st_dev;
		*ino = (uint64_t)st.st_ino;
	}
	close(fd);
	return ret;
}

void
cg_nl_close(struct cg_nl *nl)
{
	if (nl == NULL)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

/* ---- request/answer ---- */

/* The kernel's extended-ack text (NLMSGERR_ATTR_MSG), or NULL. */
static const char *
ext_ack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr, *tlvs;
	size_t off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	/* The TLVs follow the echoed request, which is only its header if capped. */
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = MNL_ALIGN(off);
	if (off >= mnl_nlmsg_get_payload_len(nlh))
		return NULL;
	tlvs = (const struct nlattr *)((const char *)e + off);
	mnl_attr_for_each_payload(tlvs, mnl_nlmsg_get_payload_len(nlh) - off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

typedef int (*msg_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send @p req and read the answer: for a dump every multipart message up to
 * NLMSG_DONE (cb for each), otherwise up to the ack. Messages with another
 * sequence number (left over from an earlier interrupted call) are skipped.
 * @p what names the operation for err.
 */
static int
talk(struct cg_nl *nl, struct nlmsghdr *req, msg_cb cb, void *arg, const char *what,
     char *err, size_t errlen)
{
	bool dump = req->nlmsg_flags & NLM_F_DUMP;
	int cb_rc = 0;

	req->nlmsg_seq = ++nl->seq;
	req->nlmsg_pid = 0;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0) {
		int e = errno;

		return cg_util_err(err, errlen, -e, "%s: netlink send: %s", what, strerror(e));
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		const struct nlmsghdr *nlh;
		size_t len;

		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			if (e == EAGAIN || e == EWOULDBLOCK)
				e = ETIMEDOUT;
			/* ENOSPC from libmnl: a message was larger than our buffer. */
			return cg_util_err(err, errlen, -e,
					   "%s: netlink receive: %s", what, strerror(e));
		}
		len = (size_t)n;
		for (nlh = (const struct nlmsghdr *)nl->buf; mnl_nlmsg_ok(nlh, (int)len);
		     nlh = mnl_nlmsg_next(nlh, (int *)&len)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq || nlh->nlmsg_pid != nl->portid) {
				CG_DEBUG("%s: skipping netlink message seq %u (want %u)", what,
					 nlh->nlmsg_seq, req->nlmsg_seq);
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				const char *km;

				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
					return cg_util_err(err, errlen, -EBADMSG,
							   "%s: truncated netlink error", what);
				if (e->error == 0) /* the ack */
					return dump ? cb_rc : 0;
				km = ext_ack_msg(nlh);
				return cg_util_err(err, errlen, e->error,
						   "%s: %s (%d)%s%s", what, strerror(-e->error),
						   e->error, km ? ": " : "", km ? km : "");
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				const int *e = mnl_nlmsg_get_payload(nlh);

				/* A dump that failed midway says so here. */
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int) && *e < 0)
					return cg_util_err(err, errlen, *e,
							   "%s: %s (%d)", what, strerror(-*e), *e);
				return cb_rc;
			}
			if (nlh->nlmsg_type == NLMSG_OVERRUN)
				return cg_util_err(err, errlen, -EOVERFLOW,
						   "%s: netlink overrun", what);
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue; /* NLMSG_NOOP */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				CG_WARN("%s: dump interrupted by a concurrent change, "
					"it may be inconsistent", what);
			if (cb != NULL && cb_rc >= 0)
				cb_rc = cb(nlh, arg); /* keep draining after a stop */
		}
		if (len != 0 && !dump)
			return cg_util_err(err, errlen, -EBADMSG,
					   "%s: malformed netlink answer", what);
	}
}

/* ---- routes ---- */

static int
addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static bool
is_zero(const uint8_t *p, int n)
{
	for (int i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static int
check_route(const struct cg_nl_route *r, const char *op, char *err, size_t errlen)
{
	if (r == NULL || addr_len(r->family) == 0)
		return cg_util_err(err, errlen, -EAFNOSUPPORT,
				   "route %s: unsupported address family", op);
	if (r->dst_len > addr_len(r->family) * 8)
		return cg_util_err(err, errlen, -EINVAL,
				   "route %s: prefix length %u out of range", op, r->dst_len);
	if (r->type != CG_NL_ROUTE_UNICAST && r->type != CG_NL_ROUTE_UNREACHABLE &&
	    r->type != CG_NL_ROUTE_BLACKHOLE)
		return cg_util_err(err, errlen, -EINVAL,
				   "route %s: unknown route type %d", op, (int)r->type);
	return 0;
}

static uint8_t
rtn_type(enum cg_nl_route_type t)
{
	switch (t) {
	case CG_NL_ROUTE_UNREACHABLE:
		return RTN_UNREACHABLE;
	case CG_NL_ROUTE_BLACKHOLE:
		return RTN_BLACKHOLE;
	default:
		return RTN_UNICAST;
	}
}

static struct nlmsghdr *
build_route(char *buf, uint16_t type, uint16_t flags, const struct cg_nl_route *r)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	int alen = addr_len(r->family);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = (r->table == 0 || r->table == RT_TABLE_MAIN) ? RT_TABLE_MAIN :
			 r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_type = rtn_type(r->type);
	if (type == RTM_NEWROUTE) {
		/* The caller's protocol, else "proto static": either way not
		 * Docker's "proto kernel"/"boot". */
		rtm->rtm_protocol = r->protocol != RTPROT_UNSPEC ? r->protocol : RTPROT_STATIC;
		rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	} else {
		rtm->rtm_scope = RT_SCOPE_NOWHERE; /* delete: any scope */
	}
	if (r->dst_len > 0)
		mnl_attr_put(nlh, RTA_DST, (size_t)alen, r->dst);
	if (r->table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->type == CG_NL_ROUTE_UNICAST && !is_zero(r->gw, alen))
		mnl_attr_put(nlh, RTA_GATEWAY, (size_t)alen, r->gw);
	return nlh;
}

int
cg_nl_route_replace(struct cg_nl *nl, const struct cg_nl_route *r, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	char what[CG_NL_ROUTE_STRLEN + 16];
	int rc;

	rc = check_route(r, "replace", err, errlen);
	if (rc < 0)
		return rc;
	snprintf(what, sizeof(what), "route replace ");
	cg_nl_route_str(r, what + strlen(what), sizeof(what) - strlen(what));
	return talk(nl, build_route(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r),
		    NULL, NULL, what, err, errlen);
}

int
cg_nl_route_delete(struct cg_nl *nl, const struct cg_nl_route *r, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	char what[CG_NL_ROUTE_STRLEN + 16];
	int rc;

	rc = check_route(r, "delete", err, errlen);
	if (rc < 0)
		return rc;
	snprintf(what, sizeof(what), "route delete ");
	cg_nl_route_str(r, what + strlen(what), sizeof(what) - strlen(what));
	return talk(nl, build_route(buf, RTM_DELROUTE, 0, r), NULL, NULL, what, err, errlen);
}

struct list_ctx {
	int (*cb)(const struct cg_nl_route *r, void *arg);
	void *arg;
};

static int
route_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

/* The gateway of the first hop of a multipath route. */
static const struct nlattr *
first_hop_gateway(const struct nlattr *mp)
{
	const struct rtnexthop *nh = mnl_attr_get_payload(mp);
	size_t len = mnl_attr_get_payload_len(mp);
	const struct nlattr *attr, *hop;

	if (len < sizeof(*nh) || nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > len)
		return NULL;
	hop = (const struct nlattr *)((const char *)nh + RTNH_ALIGN(sizeof(*nh)));
	mnl_attr_for_each_payload(hop, nh->rtnh_len - RTNH_ALIGN(sizeof(*nh))) {
		if (mnl_attr_get_type(attr) == RTA_GATEWAY)
			return attr;
	}
	return NULL;
}

static int
route_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct list_ctx *ctx = arg;
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	const struct rtmsg *rtm;
	struct cg_nl_route r = { 0 };
	uint32_t table;
	int alen;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return 0;
	rtm = mnl_nlmsg_get_payload(nlh);
	alen = addr_len(rtm->rtm_family);
	if (alen == 0 || (rtm->rtm_flags & RTM_F_CLONED))
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0)
		return 0;
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table != RT_TABLE_MAIN)
		return 0;
	switch (rtm->rtm_type) {
	case RTN_UNICAST:
		r.type = CG_NL_ROUTE_UNICAST;
		break;
	case RTN_UNREACHABLE:
		r.type = CG_NL_ROUTE_UNREACHABLE;
		break;
	case RTN_BLACKHOLE:
		r.type = CG_NL_ROUTE_BLACKHOLE;
		break;
	default:
		return 0; /* prohibit, throw, local...: not ours to manage */
	}
	r.family = rtm->rtm_family;
	r.dst_len = rtm->rtm_dst_len;
	r.table = RT_TABLE_MAIN;
	r.protocol = rtm->rtm_protocol;
	r.scope = rtm->rtm_scope;
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == (uint16_t)alen)
		memcpy(r.dst, mnl_attr_get_payload(tb[RTA_DST]), (size_t)alen);
	if (tb[RTA_OIF] && mnl_attr_get_payload_len(tb[RTA_OIF]) == 4)
		r.oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	{
		const struct nlattr *gw = tb[RTA_GATEWAY];

		if (gw == NULL && tb[RTA_MULTIPATH])
			gw = first_hop_gateway(tb[RTA_MULTIPATH]);
		if (gw && mnl_attr_get_payload_len(gw) == (uint16_t)alen)
			memcpy(r.gw, mnl_attr_get_payload(gw), (size_t)alen);
	}
	return ctx->cb(&r, ctx->arg);
}

int
cg_nl_route_list(struct cg_nl *nl, int family,
		 int (*cb)(const struct cg_nl_route *r, void *arg), void *arg,
		 char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct list_ctx ctx = { cb, arg };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC)
		return cg_util_err(err, errlen, -EAFNOSUPPORT,
				   "route list: unsupported address family %d", family);
	if (cb == NULL)
		return cg_util_err(err, errlen, -EINVAL, "route list: no callback");
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	return talk(nl, nlh, route_msg_cb, &ctx, "route list", err, errlen);
}

/* ---- text ---- */

int
cg_nl_route_parse_cidr(const char *cidr, struct cg_nl_route *r, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash;
	size_t alen;
	unsigned long plen;
	int bits;

	if (r == NULL)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (cidr == NULL || *cidr == '\0')
		return cg_util_err(err, errlen, -EINVAL, "empty CIDR");
	slash = strchr(cidr, '/');
	alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	if (alen == 0 || alen >= sizeof(addr))
		return cg_util_err(err, errlen, -EINVAL,
				   "\"%s\": not an IPv4 or IPv6 address", cidr);
	memcpy(addr, cidr, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, r->dst) == 1) {
		r->family = AF_INET;
	} else if (inet_pton(AF_INET6, addr, r->dst) == 1) {
		r->family = AF_INET6;
	} else {
		cg_util_err(err, errlen, 0,
			    "\"%s\": \"%s\" is not an IPv4 or IPv6 address", cidr, addr);
		memset(r, 0, sizeof(*r));
		return -EINVAL;
	}
	bits = addr_len(r->family) * 8;
	if (slash == NULL) {
		plen = (unsigned long)bits;
	} else {
		const char *p = slash + 1;
		char *end;

		/* strtoul would accept " 8", "+8" and "-8"; a prefix is plain digits. */
		if (*p < '0' || *p > '9' || strlen(p) > 3) {
			cg_util_err(err, errlen, 0, "\"%s\": bad prefix length \"%s\"", cidr, p);
			memset(r, 0, sizeof(*r));
			return -EINVAL;
		}
		plen = strtoul(p, &end, 10);
		if (*end != '\0' || plen > (unsigned long)bits) {
			cg_util_err(err, errlen, 0, "\"%s\": prefix length \"%s\" is not in 0..%d",
			       cidr, p, bits);
			memset(r, 0, sizeof(*r));
			return -EINVAL;
		}
	}
	for (int i = 0; i < bits / 8; i++) {
		int keep = (int)plen - i * 8;
		uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));

		if (r->dst[i] & ~mask) {
			cg_util_err(err, errlen, 0,
				    "\"%s\": host bits set beyond /%lu", cidr, plen);
			memset(r, 0, sizeof(*r));
			return -EINVAL;
		}
	}
	r->dst_len = (uint8_t)plen;
	r->type = CG_NL_ROUTE_UNICAST;
	return 0;
}

const char *
cg_nl_cidr_str(const struct cg_nl_route *r, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (size == 0)
		return buf;
	if (r == NULL || addr_len(r->family) == 0 ||
	    inet_ntop(r->family, r->dst, a, sizeof(a)) == NULL) {
		snprintf(buf, size, "?");
		return buf;
	}
	snprintf(buf, size, "%s/%u", a, r->dst_len);
	return buf;
}

const char *
cg_nl_route_str(const struct cg_nl_route *r, char *buf, size_t size)
{
	char cidr[INET6_ADDRSTRLEN + 8], gw[INET6_ADDRSTRLEN], table[24] = "";

	if (size == 0)
		return buf;
	cg_nl_cidr_str(r, cidr, sizeof(cidr));
	if (r == NULL || addr_len(r->family) == 0) {
		snprintf(buf, size, "%s", cidr);
		return buf;
	}
	if (r->table != 0 && r->table != RT_TABLE_MAIN)
		snprintf(table, sizeof(table), " table %u", r->table);
	switch (r->type) {
	case CG_NL_ROUTE_UNREACHABLE:
		snprintf(buf, size, "unreachable %s%s", cidr, table);
		break;
	case CG_NL_ROUTE_BLACKHOLE:
		snprintf(buf, size, "blackhole %s%s", cidr, table);
		break;
	default:
		if (!is_zero(r->gw, addr_len(r->family)) &&
		    inet_ntop(r->family, r->gw, gw, sizeof(gw)) != NULL)
			snprintf(buf, size, "%s via %s%s", cidr, gw, table);
		else if (r->oif > 0)
			snprintf(buf, size, "%s dev #%d%s", cidr, r->oif, table);
		else
			snprintf(buf, size, "%s%s", cidr, table);
		break;
	}
	return buf;
}

/* ---- links ---- */

/* linux/if.h's, which cannot be included next to net/if.h. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP (1u << 16)
#endif

bool
cg_nl_link_is_up(const struct cg_nl_link *l)
{
	return !l->deleted && (l->flags & IFF_UP) && (l->flags & IFF_LOWER_UP);
}

static int
link_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFLA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* One RTM_NEWLINK / RTM_DELLINK message into @p l; false if it is neither or malformed. */
static bool
link_from_msg(const struct nlmsghdr *nlh, struct cg_nl_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	const struct ifinfomsg *ifi;

	if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return false;
	ifi = mnl_nlmsg_get_payload(nlh);
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->deleted = nlh->nlmsg_type == RTM_DELLINK;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb);
	if (tb[IFLA_IFNAME] != NULL && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
		snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	return true;
}

struct link_ctx {
	cg_nl_link_cb cb;
	void *arg;
};

static int
link_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct link_ctx *c = arg;
	struct cg_nl_link l;

	if (!link_from_msg(nlh, &l))
		return 0;
	return c->cb(&l, c->arg);
}

int
cg_nl_link_list(struct cg_nl *nl, cg_nl_link_cb cb, void *arg, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct link_ctx ctx = { cb, arg };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (cb == NULL)
		return cg_util_err(err, errlen, -EINVAL, "link list: no callback");
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return talk(nl, nlh, link_msg_cb, &ctx, "link list", err, errlen);
}

int
cg_nl_link_set_flags(struct cg_nl *nl, int ifindex, unsigned int flags, unsigned int change,
		     char *err, size_t errlen)
{
	char buf[NLMSG_ALIGN(sizeof(struct nlmsghdr)) + NLMSG_ALIGN(sizeof(struct ifinfomsg))];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	char what[48];

	snprintf(what, sizeof(what), "link %d: set flags 0x%x/0x%x", ifindex, flags, change);
	if (ifindex <= 0 || change == 0)
		return cg_util_err(err, errlen, -EINVAL, "%s: no interface or no flag", what);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags & change;
	ifi->ifi_change = change;
	return talk(nl, nlh, NULL, NULL, what, err, errlen);
}

struct cg_nl_monitor {
	struct mnl_socket *sock;
	char buf[NL_RECV_BUF];
};

struct cg_nl_monitor *
cg_nl_link_monitor_open(char *err, size_t errlen)
{
	struct cg_nl_monitor *m = calloc(1, sizeof(*m));
	int e;

	if (m == NULL) {
		cg_util_err(err, errlen, 0, "link monitor: %s", strerror(ENOMEM));
		errno = ENOMEM;
		return NULL;
	}
	m->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (m->sock == NULL || mnl_socket_bind(m->sock, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		cg_util_err(err, errlen, 0, "link monitor: netlink socket: %s", strerror(e));
		if (m->sock != NULL)
			mnl_socket_close(m->sock);
		free(m);
		errno = e;
		return NULL;
	}
	return m;
}

int
cg_nl_link_monitor_fd(const struct cg_nl_monitor *m)
{
	return mnl_socket_get_fd(m->sock);
}

int
cg_nl_link_monitor_read(struct cg_nl_monitor *m, cg_nl_link_cb cb, void *arg)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(m->sock, m->buf, sizeof(m->buf));
		const struct nlmsghdr *nlh;
		int len;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno; /* ENOBUFS: lost messages */
		}
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)m->buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			struct cg_nl_link l;
			int ret;

			if (!link_from_msg(nlh, &l))
				continue;
			ret = cb(&l, arg);
			if (ret < 0)
				return ret;
		}
	}
}

void
cg_nl_link_monitor_close(struct cg_nl_monitor *m)
{
	if (m == NULL)
		return;
	mnl_socket_close(m->sock);
	free(m);
}
