/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/nl: CIDR parsing and formatting, and real netlink in a private network
 * namespace: a forked child unshare()s a netns, gets a veth pair with
 * 198.18.210.1/24 and 2001:db8:210::1/64, and waits; the test opens a socket
 * in that netns with cg_nl_open_netns() and replaces, lists and deletes
 * routes there. The netns dies with the child. Needs root; skipped otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cg_nl.h"
#include "../cg_unit.h"

static pid_t child = -1;

/* ---- text ---- */

static void
expect_cidr(const char *in, int family, const char *canon)
{
	struct cg_nl_route r;
	char err[256] = "", buf[CG_NL_ROUTE_STRLEN];
	int rc = cg_nl_route_parse_cidr(in, &r, err, sizeof(err));

	CU_ASSERT_EQUAL(rc, 0);
	if (rc != 0) {
		printf("\n  %s: %s\n", in, err);
		return;
	}
	CU_ASSERT_EQUAL(r.family, family);
	CU_ASSERT_EQUAL(r.type, CG_NL_ROUTE_UNICAST);
	CU_ASSERT_STRING_EQUAL(cg_nl_cidr_str(&r, buf, sizeof(buf)), canon);
}

static void
expect_bad_cidr(const char *in, const char *msg_part)
{
	struct cg_nl_route r;
	char err[256] = "";

	CU_ASSERT_EQUAL(cg_nl_route_parse_cidr(in, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, msg_part));
	if (strstr(err, msg_part) == NULL)
		printf("\n  %s: message \"%s\" lacks \"%s\"\n", in, err, msg_part);
	CU_ASSERT_EQUAL(r.family, 0);
}

static void
test_cidr_valid(void)
{
	struct cg_nl_route r;

	expect_cidr("0.0.0.0/0", AF_INET, "0.0.0.0/0");
	expect_cidr("198.18.0.0/15", AF_INET, "198.18.0.0/15");
	expect_cidr("198.18.210.7/32", AF_INET, "198.18.210.7/32");
	expect_cidr("198.18.210.7", AF_INET, "198.18.210.7/32");
	expect_cidr("::/0", AF_INET6, "::/0");
	expect_cidr("2001:db8::/32", AF_INET6, "2001:db8::/32");
	expect_cidr("2001:DB8:210:0::/64", AF_INET6, "2001:db8:210::/64");
	expect_cidr("2001:db8::1", AF_INET6, "2001:db8::1/128");
	expect_cidr("2001:db8:0:0:0:0:0:8000/113", AF_INET6, "2001:db8::8000/113");

	CU_ASSERT_EQUAL(cg_nl_route_parse_cidr("198.18.128.0/17", &r, NULL, 0), 0);
	CU_ASSERT_EQUAL(r.dst_len, 17);
	CU_ASSERT_EQUAL(r.dst[0], 198);
	CU_ASSERT_EQUAL(r.dst[2], 128);
	CU_ASSERT_EQUAL(r.table, 0);
}

static void
test_cidr_invalid(void)
{
	expect_bad_cidr("", "empty");
	expect_bad_cidr(NULL, "empty");
	expect_bad_cidr("10.0.0.0/", "bad prefix length");
	expect_bad_cidr("10.0.0.0/33", "not in 0..32");
	expect_bad_cidr("::/129", "not in 0..128");
	expect_bad_cidr("10.0.0.0/-1", "bad prefix length");
	expect_bad_cidr("10.0.0.0/+8", "bad prefix length");
	expect_bad_cidr("10.0.0.0/ 8", "bad prefix length");
	expect_bad_cidr("10.0.0.0/8x", "not in 0..32");
	expect_bad_cidr("10.0.0.0/0008", "bad prefix length");
	expect_bad_cidr("10.0.0/8", "not an IPv4 or IPv6 address");
	expect_bad_cidr("256.0.0.0/8", "not an IPv4 or IPv6 address");
	expect_bad_cidr(" 10.0.0.0/8", "not an IPv4 or IPv6 address");
	expect_bad_cidr("/8", "not an IPv4 or IPv6 address");
	expect_bad_cidr("example.com/8", "not an IPv4 or IPv6 address");
	expect_bad_cidr("2001:db8:::/48", "not an IPv4 or IPv6 address");
	/* host bits */
	expect_bad_cidr("10.0.0.1/8", "host bits");
	expect_bad_cidr("198.18.210.1/24", "host bits");
	expect_bad_cidr("198.19.0.0/15", "host bits");
	expect_bad_cidr("0.0.0.1/0", "host bits");
	expect_bad_cidr("2001:db8::1/64", "host bits");
	expect_bad_cidr("2001:db8::8000/112", "host bits");
	expect_bad_cidr("::1/0", "host bits");
}

static struct cg_nl_route
route(const char *cidr, enum cg_nl_route_type type, const char *gw)
{
	struct cg_nl_route r;

	CU_ASSERT_FATAL(cg_nl_route_parse_cidr(cidr, &r, NULL, 0) == 0);
	r.type = type;
	if (gw)
		CU_ASSERT_FATAL(inet_pton(r.family, gw, r.gw) == 1);
	return r;
}

static void
test_route_str(void)
{
	char buf[CG_NL_ROUTE_STRLEN];
	struct cg_nl_route r;

	r = route("0.0.0.0/0", CG_NL_ROUTE_UNICAST, "198.19.1.3");
	CU_ASSERT_STRING_EQUAL(cg_nl_route_str(&r, buf, sizeof(buf)), "0.0.0.0/0 via 198.19.1.3");
	r = route("::/0", CG_NL_ROUTE_UNREACHABLE, NULL);
	CU_ASSERT_STRING_EQUAL(cg_nl_route_str(&r, buf, sizeof(buf)), "unreachable ::/0");
	r = route("198.18.0.0/15", CG_NL_ROUTE_BLACKHOLE, NULL);
	CU_ASSERT_STRING_EQUAL(cg_nl_route_str(&r, buf, sizeof(buf)), "blackhole 198.18.0.0/15");
	r = route("2001:db8::/32", CG_NL_ROUTE_UNICAST, "2001:db8:1::2");
	CU_ASSERT_STRING_EQUAL(cg_nl_route_str(&r, buf, sizeof(buf)),
			       "2001:db8::/32 via 2001:db8:1::2");
	r = route("198.18.210.0/24", CG_NL_ROUTE_UNICAST, NULL);
	CU_ASSERT_STRING_EQUAL(cg_nl_route_str(&r, buf, sizeof(buf)), "198.18.210.0/24");
	r.oif = 6;
	CU_ASSERT_STRING_EQUAL(cg_nl_route_str(&r, buf, sizeof(buf)), "198.18.210.0/24 dev #6");
	r.oif = 0;
	r.table = 100;
	CU_ASSERT_STRING_EQUAL(cg_nl_route_str(&r, buf, sizeof(buf)), "198.18.210.0/24 table 100");
	/* truncation keeps a terminated string */
	r = route("2001:db8::/32", CG_NL_ROUTE_UNICAST, "2001:db8:1::2");
	CU_ASSERT_STRING_EQUAL(cg_nl_route_str(&r, buf, 8), "2001:db");
	r.family = 99;
	CU_ASSERT_STRING_EQUAL(cg_nl_route_str(&r, buf, sizeof(buf)), "?");
}

/* ---- real netlink in a private netns ---- */

/* Enough routes that the dump spans many receive buffers (~100 bytes each). */
#define MANY_ROUTES 1000

static ino_t
netns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void
stop_child(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
}

/*
 * The child: a fresh netns with lo and a veth pair (veth rather than dummy: not every
 * kernel has the dummy module). Tests may use ip(8), the library never does; it runs
 * inside the child's netns only.
 */
static pid_t
start_netns_child(void)
{
	int p[2];
	char ok = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (system("ip link set lo up && "
			   "ip link add cgtnla0 type veth peer name cgtnla1 && "
			   "ip addr add 198.18.210.1/24 dev cgtnla0 && "
			   "ip addr add 2001:db8:210::1/64 dev cgtnla0 nodad && "
			   "ip link set cgtnla1 up && ip link set cgtnla0 up") != 0)
			_exit(1);
		ok = 1;
		if (write(p[1], &ok, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &ok, 1) != 1 || ok != 1) {
		close(p[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(p[0]);
	return pid;
}

struct seen {
	int n;
	struct cg_nl_route r[64];
};

static int
collect(const struct cg_nl_route *r, void *arg)
{
	struct seen *s = arg;

	if (s->n < 64)
		s->r[s->n++] = *r;
	return 0;
}

static int
list(struct cg_nl *nl, int family, struct seen *s)
{
	char err[256];
	int rc;

	memset(s, 0, sizeof(*s));
	rc = cg_nl_route_list(nl, family, collect, s, err, sizeof(err));
	if (rc != 0)
		printf("\n  list: %s\n", err);
	return rc;
}

/* How many listed routes have this destination, and the last of them. */
static int
count_dst(const struct seen *s, const char *cidr, struct cg_nl_route *last)
{
	struct cg_nl_route want;
	int n = 0;

	if (cg_nl_route_parse_cidr(cidr, &want, NULL, 0) != 0)
		return -1;
	for (int i = 0; i < s->n; i++)
		if (s->r[i].family == want.family && s->r[i].dst_len == want.dst_len &&
		    memcmp(s->r[i].dst, want.dst, 16) == 0) {
			n++;
			if (last)
				*last = s->r[i];
		}
	return n;
}

static void
expect_route(struct cg_nl *nl, const char *cidr, const char *text)
{
	struct cg_nl_route got, want;
	struct seen s;
	char buf[CG_NL_ROUTE_STRLEN];

	CU_ASSERT_FATAL(cg_nl_route_parse_cidr(cidr, &want, NULL, 0) == 0);
	CU_ASSERT_EQUAL_FATAL(list(nl, want.family, &s), 0);
	CU_ASSERT_EQUAL(count_dst(&s, cidr, &got), text ? 1 : 0);
	if (text) {
		CU_ASSERT_STRING_EQUAL(cg_nl_route_str(&got, buf, sizeof(buf)), text);
		if (strcmp(buf, text) != 0)
			printf("\n  %s: got \"%s\", want \"%s\"\n", cidr, buf, text);
	}
}

static void
replace_ok(struct cg_nl *nl, struct cg_nl_route r)
{
	char err[256] = "";
	int rc = cg_nl_route_replace(nl, &r, err, sizeof(err));

	CU_ASSERT_EQUAL(rc, 0);
	if (rc != 0)
		printf("\n  %s\n", err);
}

static void
test_netns_routes(void)
{
	ino_t before = netns_ino("/proc/self/ns/net");
	ino_t tbefore = netns_ino("/proc/thread-self/ns/net");
	struct cg_nl *nl;
	struct cg_nl_route r, got;
	struct seen s;
	char err[256] = "";
	int rc;

	if (geteuid() != 0) {
		printf("\n  SKIP: not root, netlink namespace tests not run\n");
		return;
	}
	child = start_netns_child();
	CU_ASSERT_FATAL(child > 0);
	CU_ASSERT_NOT_EQUAL(netns_ino("/proc/self/ns/net"), 0);

	nl = cg_nl_open_netns(child, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(nl);
	if (nl == NULL) {
		printf("\n  %s\n", err);
		stop_child();
		return;
	}
	/* The kernel's connected routes of the dummy interface, and nothing of ours. */
	CU_ASSERT_EQUAL(list(nl, AF_UNSPEC, &s), 0);
	CU_ASSERT_EQUAL(count_dst(&s, "198.18.210.0/24", &got), 1);
	CU_ASSERT_NOT_EQUAL(got.oif, 0);
	CU_ASSERT_EQUAL(got.protocol, 2); /* RTPROT_KERNEL */
	CU_ASSERT_EQUAL(count_dst(&s, "2001:db8:210::/64", NULL), 1);
	CU_ASSERT_EQUAL(count_dst(&s, "0.0.0.0/0", NULL), 0);
	/* Host routes of the root netns must not show up: we are in the child's. */
	CU_ASSERT_EQUAL(list(nl, AF_INET, &s), 0);
	for (int i = 0; i < s.n; i++)
		CU_ASSERT_EQUAL(s.r[i].family, AF_INET);

	/* Default route: replacing twice leaves one; a new gateway replaces it. */
	replace_ok(nl, route("0.0.0.0/0", CG_NL_ROUTE_UNICAST, "198.18.210.2"));
	replace_ok(nl, route("0.0.0.0/0", CG_NL_ROUTE_UNICAST, "198.18.210.2"));
	expect_route(nl, "0.0.0.0/0", "0.0.0.0/0 via 198.18.210.2");
	replace_ok(nl, route("0.0.0.0/0", CG_NL_ROUTE_UNICAST, "198.18.210.3"));
	expect_route(nl, "0.0.0.0/0", "0.0.0.0/0 via 198.18.210.3");
	replace_ok(nl, route("::/0", CG_NL_ROUTE_UNICAST, "2001:db8:210::2"));
	replace_ok(nl, route("::/0", CG_NL_ROUTE_UNICAST, "2001:db8:210::2"));
	expect_route(nl, "::/0", "::/0 via 2001:db8:210::2");
	replace_ok(nl, route("198.19.96.0/20", CG_NL_ROUTE_UNICAST, "198.18.210.4"));
	expect_route(nl, "198.19.96.0/20", "198.19.96.0/20 via 198.18.210.4");
	replace_ok(nl, route("2001:db8:99::/48", CG_NL_ROUTE_UNICAST, "2001:db8:210::4"));
	expect_route(nl, "2001:db8:99::/48", "2001:db8:99::/48 via 2001:db8:210::4");

	/* Fail closed: unreachable replaces the unicast default, still one route. */
	replace_ok(nl, route("0.0.0.0/0", CG_NL_ROUTE_UNREACHABLE, NULL));
	expect_route(nl, "0.0.0.0/0", "unreachable 0.0.0.0/0");
	replace_ok(nl, route("::/0", CG_NL_ROUTE_UNREACHABLE, NULL));
	expect_route(nl, "::/0", "unreachable ::/0");
	replace_ok(nl, route("::/0", CG_NL_ROUTE_UNREACHABLE, NULL));
	expect_route(nl, "::/0", "unreachable ::/0");
	/* ... and back. */
	replace_ok(nl, route("0.0.0.0/0", CG_NL_ROUTE_UNICAST, "198.18.210.5"));
	expect_route(nl, "0.0.0.0/0", "0.0.0.0/0 via 198.18.210.5");
	replace_ok(nl, route("::/0", CG_NL_ROUTE_UNICAST, "2001:db8:210::5"));
	expect_route(nl, "::/0", "::/0 via 2001:db8:210::5");
	replace_ok(nl, route("198.19.98.0/24", CG_NL_ROUTE_BLACKHOLE, NULL));
	expect_route(nl, "198.19.98.0/24", "blackhole 198.19.98.0/24");

	/* A gateway on no connected network: the kernel's errno and its words. */
	r = route("198.19.97.0/24", CG_NL_ROUTE_UNICAST, "198.19.50.1");
	rc = cg_nl_route_replace(nl, &r, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, -ENETUNREACH);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "route replace 198.19.97.0/24 via 198.19.50.1: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Network is unreachable"));
	expect_route(nl, "198.19.97.0/24", NULL);
	/* The socket is still in sync after an error. */
	expect_route(nl, "198.19.98.0/24", "blackhole 198.19.98.0/24");

	/* Delete, then delete again: -ESRCH. */
	r = route("198.19.98.0/24", CG_NL_ROUTE_BLACKHOLE, NULL);
	CU_ASSERT_EQUAL(cg_nl_route_delete(nl, &r, err, sizeof(err)), 0);
	expect_route(nl, "198.19.98.0/24", NULL);
	CU_ASSERT_EQUAL(cg_nl_route_delete(nl, &r, err, sizeof(err)), -ESRCH);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "route delete blackhole 198.19.98.0/24"));
	r = route("::/0", CG_NL_ROUTE_UNICAST, "2001:db8:210::5");
	CU_ASSERT_EQUAL(cg_nl_route_delete(nl, &r, err, sizeof(err)), 0);
	expect_route(nl, "::/0", NULL);
	r = route("0.0.0.0/0", CG_NL_ROUTE_UNICAST, "198.18.210.5");
	CU_ASSERT_EQUAL(cg_nl_route_delete(nl, &r, err, sizeof(err)), 0);
	expect_route(nl, "0.0.0.0/0", NULL);

	CU_ASSERT_EQUAL(cg_nl_route_list(nl, AF_UNSPEC, NULL, NULL, err, sizeof(err)), -EINVAL);
	cg_nl_close(nl);

	/* Gone process: NULL + ENOENT, and a message naming the pid. */
	stop_child();
	CU_ASSERT_PTR_NULL(cg_nl_open_netns(999999999, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "999999999"));

	/* Our own threads never changed netns. */
	CU_ASSERT_EQUAL(netns_ino("/proc/self/ns/net"), before);
	CU_ASSERT_EQUAL(netns_ino("/proc/thread-self/ns/net"), tbefore);
}

struct stop_ctx {
	int calls, stop_after;
};

static int
count_or_stop(const struct cg_nl_route *r, void *arg)
{
	struct stop_ctx *c = arg;

	(void)r;
	if (c->stop_after && c->calls == c->stop_after)
		return -7;
	c->calls++;
	return 0;
}

/* A multipart dump across many reads, stopped early and then repeated. */
static void
test_netns_big_dump(void)
{
	struct stop_ctx c = { 0 };
	struct cg_nl *nl;
	struct cg_nl_route r;
	char err[256] = "";
	int base, rc, failed = 0;

	if (geteuid() != 0) {
		printf("\n  SKIP: not root, netlink namespace tests not run\n");
		return;
	}
	child = start_netns_child();
	CU_ASSERT_FATAL(child > 0);
	nl = cg_nl_open_netns(child, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
	CU_ASSERT_EQUAL(cg_nl_route_list(nl, AF_INET, count_or_stop, &c, err, sizeof(err)), 0);
	base = c.calls;
	CU_ASSERT(base >= 1);

	/* 1000 blackhole /28s inside 198.19.192.0/18 */
	r = route("198.19.192.0/28", CG_NL_ROUTE_BLACKHOLE, NULL);
	for (int i = 0; i < MANY_ROUTES; i++) {
		r.dst[2] = (uint8_t)(192 + i / 16);
		r.dst[3] = (uint8_t)((i % 16) * 16);
		if (cg_nl_route_replace(nl, &r, err, sizeof(err)) != 0 && failed++ == 0)
			printf("\n  %s\n", err);
	}
	CU_ASSERT_EQUAL(failed, 0);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(cg_nl_route_list(nl, AF_INET, count_or_stop, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.calls, base + MANY_ROUTES);

	/* cb stops after 10: its value comes back, and the socket is still in step */
	memset(&c, 0, sizeof(c));
	c.stop_after = 10;
	rc = cg_nl_route_list(nl, AF_INET, count_or_stop, &c, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, -7);
	CU_ASSERT_EQUAL(c.calls, 10);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(cg_nl_route_list(nl, AF_UNSPEC, count_or_stop, &c, err, sizeof(err)), 0);
	CU_ASSERT(c.calls >= base + MANY_ROUTES + 1); /* + the IPv6 ones */
	r.dst[2] = 192;
	r.dst[3] = 0;
	CU_ASSERT_EQUAL(cg_nl_route_delete(nl, &r, err, sizeof(err)), 0);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(cg_nl_route_list(nl, AF_INET, count_or_stop, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.calls, base + MANY_ROUTES - 1);
	cg_nl_close(nl);
	stop_child();
}

/* Our own netns (pid 0) opens without a thread and lists. */
static void
test_own_netns(void)
{
	struct stop_ctx c = { 0 };
	struct cg_nl *nl;
	char err[256] = "";

	nl = cg_nl_open_netns(0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
	CU_ASSERT_EQUAL(cg_nl_route_list(nl, AF_UNSPEC, count_or_stop, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_nl_route_list(nl, 99, count_or_stop, &c, err, sizeof(err)),
			-EAFNOSUPPORT);
	cg_nl_close(nl);
	cg_nl_close(NULL);
	CU_ASSERT_PTR_NULL(cg_nl_open_netns(-5, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, EINVAL);
}

/*
 * Through a pidfd: the socket lives in the child's namespace (SIOCGSKNS says
 * which), and a pidfd of an exited process opens nothing, even if its pid
 * were taken by another process meanwhile.
 */
static void
test_pidfd_netns(void)
{
	struct cg_nl *nl;
	uint64_t dev = 0, ino = 0;
	char err[256] = "";
	struct stat sb;
	int pidfd;

	if (geteuid() != 0) {
		printf("\n  SKIP: not root, netlink namespace tests not run\n");
		return;
	}
	/* Ours first: the identity matches stat() of our nsfs file. */
	nl = cg_nl_open_netns(0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
	CU_ASSERT_EQUAL(cg_nl_netns_id(nl, &dev, &ino), 0);
	CU_ASSERT_EQUAL(stat("/proc/self/ns/net", &sb), 0);
	CU_ASSERT_EQUAL(ino, (uint64_t)sb.st_ino);
	CU_ASSERT_EQUAL(dev, (uint64_t)sb.st_dev);
	cg_nl_close(nl);

	child = start_netns_child();
	CU_ASSERT_FATAL(child > 0);
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	CU_ASSERT_FATAL(pidfd >= 0);
	nl = cg_nl_open_pidfd(pidfd, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(nl);
	if (nl != NULL) {
		CU_ASSERT_EQUAL(cg_nl_netns_id(nl, &dev, &ino), 0);
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
		CU_ASSERT_EQUAL(ino, (uint64_t)netns_ino(path));
		CU_ASSERT_NOT_EQUAL(ino, (uint64_t)sb.st_ino);
		cg_nl_close(nl);
	}
	stop_child();
	nl = cg_nl_open_pidfd(pidfd, err, sizeof(err));
	CU_ASSERT_PTR_NULL(nl);
	CU_ASSERT_EQUAL(errno, ESRCH);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pidfd"));
	cg_nl_close(nl);
	close(pidfd);
	CU_ASSERT_PTR_NULL(cg_nl_open_pidfd(-1, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, EBADF);
}

struct link_find {
	const char *name;
	int found, up;
	unsigned int flags;
};

static int
find_link(const struct cg_nl_link *l, void *arg)
{
	struct link_find *f = arg;

	if (strcmp(l->name, f->name) == 0) {
		f->found++;
		f->up = cg_nl_link_is_up(l);
		f->flags = l->flags;
	}
	return 0;
}

/* Wait up to 2 s for the monitor to report @p name down (up = 0) or up (1). */
static int
monitor_sees(struct cg_nl_monitor *m, const char *name, int up)
{
	for (int i = 0; i < 40; i++) {
		struct pollfd p = { .fd = cg_nl_link_monitor_fd(m), .events = POLLIN };
		struct link_find f = { name, 0, -1, 0 };

		if (poll(&p, 1, 50) > 0 && cg_nl_link_monitor_read(m, find_link, &f) < 0)
			return -1;
		if (f.found && f.up == up)
			return 0;
	}
	return -1;
}

/*
 * Links: listed, and followed by the monitor as a veth's peer goes down and up
 * (its carrier). In a child of its own netns: the monitor watches the caller's.
 */
static void
test_links(void)
{
	pid_t pid;
	int status = -1;

	if (geteuid() != 0) {
		printf("\n  SKIP: not root, netlink namespace tests not run\n");
		return;
	}
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct cg_nl_monitor *m;
		struct link_find f = { "cgtnlm0", 0, -1, 0 };
		struct cg_nl *nl;
		char err[256];
		int ifindex;

		if (unshare(CLONE_NEWNET) < 0 ||
		    system("ip link add cgtnlm0 type veth peer name cgtnlm1 && "
			   "ip link set cgtnlm0 up && ip link set cgtnlm1 up") != 0)
			_exit(10);
		nl = cg_nl_open_netns(0, err, sizeof(err));
		if (nl == NULL || cg_nl_link_list(nl, find_link, &f, err, sizeof(err)) != 0 ||
		    f.found != 1)
			_exit(11);
		/* One flag set, one cleared; IFF_UP, which the call leaves out, stays. */
		ifindex = (int)if_nametoindex("cgtnlm0");
		f.found = 0;
		if (system("ip link set cgtnlm0 promisc on") != 0 ||
		    cg_nl_link_set_flags(nl, ifindex, IFF_ALLMULTI, IFF_ALLMULTI | IFF_PROMISC,
					 err, sizeof(err)) != 0 ||
		    cg_nl_link_list(nl, find_link, &f, err, sizeof(err)) != 0 ||
		    (f.flags & (IFF_ALLMULTI | IFF_PROMISC | IFF_UP)) != (IFF_ALLMULTI | IFF_UP))
			_exit(16);
		if (cg_nl_link_set_flags(nl, 999999, IFF_ALLMULTI, IFF_ALLMULTI, err,
					 sizeof(err)) != -ENODEV || strstr(err, "link 999999") == NULL)
			_exit(17);
		cg_nl_close(nl);
		m = cg_nl_link_monitor_open(err, sizeof(err));
		if (m == NULL)
			_exit(12);
		if (system("ip link set cgtnlm1 down") != 0 || monitor_sees(m, "cgtnlm0", 0) != 0)
			_exit(13);
		if (system("ip link set cgtnlm1 up") != 0 || monitor_sees(m, "cgtnlm0", 1) != 0)
			_exit(14);
		if (system("ip link del cgtnlm0") != 0 || monitor_sees(m, "cgtnlm0", 0) != 0)
			_exit(15);
		cg_nl_link_monitor_close(m);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CU_ASSERT_TRUE(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		printf("\n  link test child: status %d\n", status);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_cidr_valid),
		CG_UNIT_TEST(test_cidr_invalid),
		CG_UNIT_TEST(test_route_str),
		CG_UNIT_TEST(test_own_netns),
		CG_UNIT_TEST(test_netns_routes),
		CG_UNIT_TEST(test_netns_big_dump),
		CG_UNIT_TEST(test_pidfd_netns),
		CG_UNIT_TEST(test_links),
		CG_UNIT_END,
	};
	int rc;

	/* A failed FATAL assertion longjmps out of a test: never leave the child. */
	atexit(stop_child);
	rc = cg_unit_run("nl", tests);
	stop_child();
	return rc;
}
