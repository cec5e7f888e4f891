/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "cg_log.h"
#include "gen_net.h"
#include "gen_payload.h"
#include "gen_recv.h"
#include "gen_stats.h"

/* Datagrams per recvmmsg call. */
#define RECV_BATCH 64
/* Each buffer holds the largest UDP payload, so nothing is ever truncated. */
#define RECV_BUFSZ (GEN_PAYLOAD_MAX + 1)
/* Deep socket buffer: a burst from the relay must not overflow it. */
#define RECV_RCVBUF (16 * 1024 * 1024)
#define RECV_CMSG_SPACE 256

struct recv_state {
	int fd;
	uint8_t *bufs;
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct sockaddr_in from[RECV_BATCH];
	uint8_t cmsg[RECV_BATCH][RECV_CMSG_SPACE];

	uint64_t received;      /* datagrams of our stream (or any, without --stream) */
	uint64_t bytes;
	uint64_t corrupt;
	uint64_t corrupt_why[GEN_VERIFY_FILLER + 1];
	uint64_t other_stream;  /* valid payloads of another stream id */
	uint64_t truncated;
	struct gen_seq seq;
	struct gen_lat lat;
	uint64_t ttl_seen[256 / 64];
	struct gen_set sources;
	struct gen_set sports;
	struct gen_set dsts;
	uint64_t t_start, t_first, t_last; /* CLOCK_MONOTONIC; first, last: counted ones */
	/* Where --idle-timeout counts from: the last datagram counted, or the
	 * first of another stream while none was (0: nothing arrived yet), so
	 * that a wrong --stream ends the run instead of waiting forever. */
	uint64_t t_idle;
};

static int
join(int fd, const struct gen_recv_opts *o, int ifindex)
{
	const char *what = "recv socket";

	if (o->source.s_addr != INADDR_ANY) {
		struct group_source_req gsr = { .gsr_interface = (uint32_t)ifindex };
		struct sockaddr_in *g = (struct sockaddr_in *)&gsr.gsr_group;
		struct sockaddr_in *s = (struct sockaddr_in *)&gsr.gsr_source;

		g->sin_family = s->sin_family = AF_INET;
		g->sin_addr = o->group.sin_addr;
		s->sin_addr = o->source;
		return gen_setsockopt(fd, IPPROTO_IP, MCAST_JOIN_SOURCE_GROUP,
				      "MCAST_JOIN_SOURCE_GROUP", &gsr, sizeof(gsr), what);
	} else {
		struct group_req gr = { .gr_interface = (uint32_t)ifindex };
		struct sockaddr_in *g = (struct sockaddr_in *)&gr.gr_group;

		g->sin_family = AF_INET;
		g->sin_addr = o->group.sin_addr;
		return gen_setsockopt(fd, IPPROTO_IP, MCAST_JOIN_GROUP, "MCAST_JOIN_GROUP",
				      &gr, sizeof(gr), what);
	}
}

static int
open_socket(const struct gen_recv_opts *o, int *fdp)
{
	const char *what = "recv socket";
	int fd, on = 1, off = 0, rcvbuf = RECV_RCVBUF, ifindex = 0, rc = 0;

	if (o->iface[0] != '\0') {
		ifindex = gen_ifindex(o->iface);
		if (ifindex < 0)
			return ifindex;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		CG_ERR("%s: socket: %s", what, strerror(errno));
		return -errno;
	}
	/* FORCE works as root and goes past rmem_max; else take what we may. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	rc = gen_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", &on, sizeof(on), what);
	if (rc == 0)
		rc = gen_setsockopt(fd, IPPROTO_IP, IP_RECVTTL, "IP_RECVTTL", &on, sizeof(on),
				    what);
	if (rc == 0)
		rc = gen_setsockopt(fd, IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO", &on, sizeof(on),
				    what);
	if (rc == 0)
		rc = gen_setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, "SO_TIMESTAMPNS", &on,
				    sizeof(on), what);
	if (rc == 0 && gen_is_multicast(o->group.sin_addr))
		/* Only the group we joined, not every group any socket joined. */
		rc = gen_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, "IP_MULTICAST_ALL", &off,
				    sizeof(off), what);
	if (rc == 0 && o->iface[0] != '\0')
		rc = gen_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "SO_BINDTODEVICE",
				    o->iface, (socklen_t)strlen(o->iface), what);
	/* Bound to the group itself, so unicast to the same port stays out. */
	if (rc == 0 && bind(fd, (const struct sockaddr *)&o->group, sizeof(o->group)) != 0) {
		char a[32];

		rc = -errno;
		CG_ERR("%s: bind %s: %s", what, gen_fmt_addr(&o->group, a, sizeof(a)),
		       strerror(-rc));
	}
	if (rc == 0 && gen_is_multicast(o->group.sin_addr)) {
		rc = join(fd, o, ifindex);
		/* Without an interface the kernel picks the group's route's. */
		if (rc == -ENODEV && ifindex == 0)
			CG_ERR("%s: no route to %s picks an interface to join on: give --iface",
			       what, inet_ntoa(o->group.sin_addr));
	}
	if (rc != 0) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

static int
signal_ready(const struct gen_recv_opts *o)
{
	char a[32];

	gen_fmt_addr(&o->group, a, sizeof(a));
	fprintf(stderr, "castgate-gen recv: ready: %s %s%s%s\n",
		gen_is_multicast(o->group.sin_addr) ? "joined" : "bound", a,
		o->iface[0] ? " on " : "", o->iface);
	if (o->ready_file != NULL) {
		int fd = open(o->ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0) {
			CG_ERR("ready file %s: %s", o->ready_file, strerror(errno));
			return -errno;
		}
		if (write(fd, "ready\n", 6) != 6)
			CG_WARN("ready file %s: short write", o->ready_file);
		close(fd);
	}
	return 0;
}

static void
setup_msgs(struct recv_state *st)
{
	for (unsigned int i = 0; i < RECV_BATCH; i++) {
		struct msghdr *h = &st->msgs[i].msg_hdr;

		st->iov[i].iov_base = st->bufs + (size_t)i * RECV_BUFSZ;
		st->iov[i].iov_len = RECV_BUFSZ;
		h->msg_iov = &st->iov[i];
		h->msg_iovlen = 1;
		h->msg_name = &st->from[i];
		h->msg_namelen = sizeof(st->from[i]);
		h->msg_control = st->cmsg[i];
		h->msg_controllen = RECV_CMSG_SPACE;
		h->msg_flags = 0;
	}
}

/* One datagram: what the kernel said about it, then what its payload says. */
static void
account(struct recv_state *st, const struct gen_recv_opts *o, struct mmsghdr *m,
	uint64_t rx_fallback_ns)
{
	const uint8_t *buf = m->msg_hdr.msg_iov->iov_base;
	size_t len = m->msg_len;
	uint64_t rx_ns = rx_fallback_ns;
	struct cmsghdr *c;
	struct gen_hdr hdr;
	enum gen_verify v;
	int ttl = -1;
	struct in_addr dst = { 0 };

	v = gen_payload_verify(buf, len, &hdr);
	if (o->has_stream && v != GEN_VERIFY_SHORT && v != GEN_VERIFY_MAGIC &&
	    hdr.stream != o->stream) {
		st->other_stream++;
		return;
	}
	for (c = CMSG_FIRSTHDR(&m->msg_hdr); c != NULL; c = CMSG_NXTHDR(&m->msg_hdr, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
			memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			dst = pi.ipi_addr;
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			rx_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
	}
	st->received++;
	st->bytes += len;
	if (ttl >= 0 && ttl < 256)
		st->ttl_seen[ttl / 64] |= 1ull << (ttl % 64);
	gen_set_add(&st->sources, st->from[m - st->msgs].sin_addr.s_addr);
	gen_set_add(&st->sports, ntohs(st->from[m - st->msgs].sin_port));
	gen_set_add(&st->dsts, dst.s_addr);
	if (m->msg_hdr.msg_flags & MSG_TRUNC)
		st->truncated++;
	if (v != GEN_VERIFY_OK) {
		st->corrupt++;
		st->corrupt_why[v]++;
		return;
	}
	gen_seq_add(&st->seq, hdr.seq);
	gen_lat_add(&st->lat, rx_ns > hdr.tx_ns ? (rx_ns - hdr.tx_ns) / 1000 : 0);
}

static void
print_live(const struct recv_state *st, uint64_t now, uint64_t *last_n, uint64_t *last_t)
{
	double dt = (double)(now - *last_t) / 1e9;

	fprintf(stderr, "[%7.1fs] received %llu (%.0f pps) lost %llu dup %llu corrupt %llu\n",
		(double)(now - st->t_start) / 1e9, (unsigned long long)st->received,
		dt > 0 ? (double)(st->received - *last_n) / dt : 0,
		(unsigned long long)gen_seq_lost(&st->seq),
		(unsigned long long)st->seq.dup, (unsigned long long)st->corrupt);
	*last_n = st->received;
	*last_t = now;
}

static struct json_object *
ip_array(const struct gen_set *set)
{
	struct json_object *a = json_object_new_array();
	char ip[INET_ADDRSTRLEN];

	for (unsigned int i = 0; i < set->n; i++) {
		struct in_addr in = { .s_addr = set->v[i] };

		inet_ntop(AF_INET, &in, ip, sizeof(ip));
		json_object_array_add(a, json_object_new_string(ip));
	}
	return a;
}

static struct json_object *
build_report(const struct recv_state *st, const struct gen_recv_opts *o)
{
	struct json_object *j = json_object_new_object(), *a, *lat, *why;
	double el = st->received > 1 ? (double)(st->t_last - st->t_first) / 1e9 : 0;
	bool any = st->seq.any;
	char g[32];

	json_object_object_add(j, "group", json_object_new_string(
					gen_fmt_addr(&o->group, g, sizeof(g))));
	json_object_object_add(j, "iface", o->iface[0] ?
			       json_object_new_string(o->iface) : NULL);
	json_object_object_add(j, "expect", o->expect ?
			       json_object_new_uint64(o->expect) : NULL);
	json_object_object_add(j, "received", json_object_new_uint64(st->received));
	json_object_object_add(j, "bytes", json_object_new_uint64(st->bytes));
	json_object_object_add(j, "unique", json_object_new_uint64(st->seq.unique));
	json_object_object_add(j, "lost", json_object_new_uint64(gen_seq_lost(&st->seq)));
	json_object_object_add(j, "duplicates", json_object_new_uint64(st->seq.dup));
	json_object_object_add(j, "reordered", json_object_new_uint64(st->seq.reordered));
	json_object_object_add(j, "corrupt", json_object_new_uint64(st->corrupt));
	why = json_object_new_object();
	for (int v = GEN_VERIFY_SHORT; v <= GEN_VERIFY_FILLER; v++)
		json_object_object_add(why, gen_verify_name(v),
				       json_object_new_uint64(st->corrupt_why[v]));
	json_object_object_add(j, "corrupt_reasons", why);
	json_object_object_add(j, "truncated", json_object_new_uint64(st->truncated));
	json_object_object_add(j, "other_stream", json_object_new_uint64(st->other_stream));
	a = json_object_new_array();
	for (int t = 0; t < 256; t++)
		if (st->ttl_seen[t / 64] >> (t % 64) & 1)
			json_object_array_add(a, json_object_new_int(t));
	json_object_object_add(j, "ttl_seen", a);
	json_object_object_add(j, "sources_seen", ip_array(&st->sources));
	a = json_object_new_array();
	for (unsigned int i = 0; i < st->sports.n; i++)
		json_object_array_add(a, json_object_new_int((int)st->sports.v[i]));
	json_object_object_add(j, "sports_seen", a);
	json_object_object_add(j, "dst_seen", ip_array(&st->dsts));
	json_object_object_add(j, "first_seq", any ? json_object_new_uint64(st->seq.first) : NULL);
	json_object_object_add(j, "last_seq", any ? json_object_new_uint64(st->seq.last) : NULL);
	json_object_object_add(j, "min_seq", any ? json_object_new_uint64(st->seq.lo) : NULL);
	json_object_object_add(j, "max_seq", any ? json_object_new_uint64(st->seq.hi) : NULL);
	json_object_object_add(j, "elapsed_s", json_object_new_double(el));
	json_object_object_add(j, "pps", json_object_new_double(
					el > 0 ? (double)(st->received - 1) / el : 0));
	json_object_object_add(j, "bps", json_object_new_double(
					el > 0 ? (double)st->bytes * 8 / el : 0));
	lat = json_object_new_object();
	json_object_object_add(lat, "p50", json_object_new_uint64(
					gen_lat_percentile(&st->lat, 50)));
	json_object_object_add(lat, "p90", json_object_new_uint64(
					gen_lat_percentile(&st->lat, 90)));
	json_object_object_add(lat, "p99", json_object_new_uint64(
					gen_lat_percentile(&st->lat, 99)));
	json_object_object_add(lat, "p99_9", json_object_new_uint64(
					gen_lat_percentile(&st->lat, 99.9)));
	json_object_object_add(lat, "max", json_object_new_uint64(st->lat.max_us));
	json_object_object_add(j, "latency_us", lat);
	return j;
}

static void
print_text(const struct recv_state *st, struct json_object *j)
{
	struct json_object *lat = json_object_object_get(j, "latency_us");

	printf("group %s: received %llu packets (%llu bytes), unique %llu\n",
	       json_object_get_string(json_object_object_get(j, "group")),
	       (unsigned long long)st->received, (unsigned long long)st->bytes,
	       (unsigned long long)st->seq.unique);
	printf("  lost %s, duplicates %llu, reordered %llu, corrupt %llu\n",
	       json_object_get_string(json_object_object_get(j, "lost")),
	       (unsigned long long)st->seq.dup, (unsigned long long)st->seq.reordered,
	       (unsigned long long)st->corrupt);
	printf("  ttl seen %s, sources %s, destinations %s\n",
	       json_object_to_json_string(json_object_object_get(j, "ttl_seen")),
	       json_object_to_json_string(json_object_object_get(j, "sources_seen")),
	       json_object_to_json_string(json_object_object_get(j, "dst_seen")));
	printf("  rate %.0f pps, %.2f Mbit/s; latency us p50 %s p90 %s p99 %s p99.9 %s "
	       "max %s\n",
	       json_object_get_double(json_object_object_get(j, "pps")),
	       json_object_get_double(json_object_object_get(j, "bps")) / 1e6,
	       json_object_get_string(json_object_object_get(lat, "p50")),
	       json_object_get_string(json_object_object_get(lat, "p90")),
	       json_object_get_string(json_object_object_get(lat, "p99")),
	       json_object_get_string(json_object_object_get(lat, "p99_9")),
	       json_object_get_string(json_object_object_get(lat, "max")));
	if (st->other_stream > 0)
		printf("  %llu packets of another stream id than --stream's were not counted\n",
		       (unsigned long long)st->other_stream);
}

/* Milliseconds until the nearest stop or live-line time, -1 for none. */
static int
wait_ms(const struct recv_state *st, const struct gen_recv_opts *o, uint64_t now,
	uint64_t next_live)
{
	uint64_t until = UINT64_MAX;

	if (o->duration > 0)
		until = st->t_start + gen_secs_to_ns(o->duration);
	if (o->idle_timeout > 0 && st->t_idle > 0) {
		uint64_t idle = st->t_idle + gen_secs_to_ns(o->idle_timeout);

		if (idle < until)
			until = idle;
	}
	if (next_live && next_live < until)
		until = next_live;
	if (until == UINT64_MAX)
		return -1;
	if (until <= now)
		return 0;
	/* Round up, so that we never wake a hair early and spin. */
	return (int)((until - now + 999999) / 1000000);
}

static bool
done(const struct recv_state *st, const struct gen_recv_opts *o, uint64_t now)
{
	if (gen_stop)
		return true;
	if (o->count && st->received >= o->count)
		return true;
	if (o->duration > 0 && now >= st->t_start + gen_secs_to_ns(o->duration))
		return true;
	return o->idle_timeout > 0 && st->t_idle > 0 &&
	       now >= st->t_idle + gen_secs_to_ns(o->idle_timeout);
}

static int
receive_loop(struct recv_state *st, const struct gen_recv_opts *o)
{
	uint64_t period = gen_secs_to_ns(o->interval);
	uint64_t next_live = period ? st->t_start + period : 0;
	uint64_t live_n = 0, live_t = st->t_start;
	struct pollfd pfd = { .fd = st->fd, .events = POLLIN };

	for (;;) {
		uint64_t now = gen_mono_ns(), before;
		int n;

		if (next_live && now >= next_live) {
			print_live(st, now, &live_n, &live_t);
			next_live += period;
		}
		if (done(st, o, now))
			return 0;
		n = poll(&pfd, 1, wait_ms(st, o, now, next_live));
		if (n < 0 && errno != EINTR) {
			CG_ERR("recv: poll: %s", strerror(errno));
			return -errno;
		}
		if (n <= 0)
			continue;
		setup_msgs(st);
		n = recvmmsg(st->fd, st->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			CG_ERR("recv: recvmmsg: %s", strerror(errno));
			return -errno;
		}
		now = gen_mono_ns();
		before = st->received;
		for (int i = 0; i < n && !(o->count && st->received >= o->count); i++)
			account(st, o, &st->msgs[i], gen_real_ns());
		if (st->received > before) {
			if (before == 0)
				st->t_first = now;
			st->t_last = st->t_idle = now;
		} else if (n > 0 && st->t_idle == 0) {
			st->t_idle = now;
		}
	}
}

int
gen_recv_run(const struct gen_recv_opts *o)
{
	struct recv_state *st = calloc(1, sizeof(*st));
	struct json_object *j;
	int rc = CG_EXIT_FAILURE;

	if (st == NULL) {
		CG_ERR("recv: out of memory");
		return CG_EXIT_FAILURE;
	}
	st->fd = -1;
	st->bufs = malloc((size_t)RECV_BATCH * RECV_BUFSZ);
	if (st->bufs == NULL || gen_seq_init(&st->seq, o->expect) != 0 ||
	    gen_lat_init(&st->lat) != 0) {
		CG_ERR("recv: out of memory");
		goto out;
	}
	if (open_socket(o, &st->fd) != 0 || signal_ready(o) != 0)
		goto out;
	st->t_start = gen_mono_ns();
	if (receive_loop(st, o) != 0)
		goto out;
	j = build_report(st, o);
	if (o->json)
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	else
		print_text(st, j);
	fflush(stdout);
	json_object_put(j);
	rc = CG_EXIT_OK;
out:
	if (st->fd >= 0)
		close(st->fd);
	gen_seq_fini(&st->seq);
	gen_lat_fini(&st->lat);
	free(st->bufs);
	free(st);
	return rc;
}
