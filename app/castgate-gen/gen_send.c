/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "cg_log.h"
#include "gen_net.h"
#include "gen_payload.h"
#include "gen_ring.h"
#include "gen_send.h"

/* Enough socket buffer for a full batch of the largest datagrams. */
#define SEND_SNDBUF (4 * 1024 * 1024)
/* Back-off when the kernel has no room (ENOBUFS/EAGAIN), then retry. */
#define SEND_BACKOFF_NS 100000ull

/* Frames still in the ring at the end: wait this long for the kernel to send them. */
#define RING_DRAIN_MS 1000

struct send_state {
	int fd;
	struct gen_ring *ring; /* --engine ring instead of fd */
	uint8_t *bufs;
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint64_t sent;
	uint64_t bytes;
	uint64_t retries; /* sendmmsg calls that found no room and were retried */
	uint64_t t_start;
	uint64_t t_end;
};

static int
open_socket(const struct gen_send_opts *o, int *fdp)
{
	const char *what = "send socket";
	bool mcast = gen_is_multicast(o->dst.sin_addr);
	int fd, loop = 0, ttl = o->ttl, sndbuf = SEND_SNDBUF;
	int pmtu = IP_PMTUDISC_DONT;
	int rc;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		CG_ERR("%s: socket: %s", what, strerror(errno));
		return -errno;
	}
	/* Bigger than the default so that a batch of 8000-byte datagrams fits. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* DF off: a datagram over the MTU leaves as IP fragments, as a test may want. */
	rc = gen_setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, "IP_MTU_DISCOVER", &pmtu,
			    sizeof(pmtu), what);
	if (rc == 0 && mcast) {
		struct ip_mreqn mr = { .imr_address = o->source };

		if (o->iface[0] != '\0') {
			int idx = gen_ifindex(o->iface);

			if (idx < 0) {
				close(fd);
				return idx;
			}
			mr.imr_ifindex = idx;
		}
		if (o->iface[0] != '\0' || o->source.s_addr != INADDR_ANY)
			rc = gen_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, "IP_MULTICAST_IF",
					    &mr, sizeof(mr), what);
		if (rc == 0)
			rc = gen_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL,
					    "IP_MULTICAST_TTL", &ttl, sizeof(ttl), what);
		/* Our own host's receivers must not see the stream: only the relay. */
		if (rc == 0)
			rc = gen_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP,
					    "IP_MULTICAST_LOOP", &loop, sizeof(loop), what);
	} else if (rc == 0) {
		rc = gen_setsockopt(fd, IPPROTO_IP, IP_TTL, "IP_TTL", &ttl, sizeof(ttl), what);
		if (rc == 0 && o->iface[0] != '\0')
			rc = gen_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "SO_BINDTODEVICE",
					    o->iface, (socklen_t)strlen(o->iface), what);
	}
	if (rc == 0 && (o->sport != 0 || o->source.s_addr != INADDR_ANY)) {
		struct sockaddr_in src = {
			.sin_family = AF_INET, .sin_addr = o->source, .sin_port = htons(o->sport),
		};

		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			char a[32];

			rc = -errno;
			CG_ERR("%s: bind %s: %s", what, gen_fmt_addr(&src, a, sizeof(a)),
			       strerror(-rc));
		}
	}
	/* Connected: the kernel resolves the route once, and sendmmsg needs no name. */
	if (rc == 0 && connect(fd, (const struct sockaddr *)&o->dst, sizeof(o->dst)) != 0) {
		char a[32];

		rc = -errno;
		CG_ERR("%s: connect %s: %s", what, gen_fmt_addr(&o->dst, a, sizeof(a)),
		       strerror(-rc));
	}
	if (rc != 0) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

static int
alloc_batch(struct send_state *st, const struct gen_send_opts *o)
{
	st->bufs = malloc((size_t)o->batch * o->size);
	st->msgs = calloc(o->batch, sizeof(*st->msgs));
	st->iov = calloc(o->batch, sizeof(*st->iov));
	if (st->bufs == NULL || st->msgs == NULL || st->iov == NULL) {
		CG_ERR("send: out of memory for %u buffers of %u bytes", o->batch, o->size);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < o->batch; i++) {
		st->iov[i].iov_base = st->bufs + (size_t)i * o->size;
		st->iov[i].iov_len = o->size;
		st->msgs[i].msg_hdr.msg_iov = &st->iov[i];
		st->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

/*
 * Send @p n datagrams numbered from st->sent. Returns how many left, 0 when
 * the kernel had no room (the caller retries), or a negative errno.
 */
static int
send_burst(struct send_state *st, const struct gen_send_opts *o, unsigned int n)
{
	uint64_t now = gen_real_ns();
	int r;

	if (st->ring != NULL) {
		r = gen_ring_burst(st->ring, st->sent, n, now);
		if (r == 0) /* ring full: wait for the kernel to free a frame */
			gen_ring_wait(st->ring, 1);
		return r;
	}
	for (unsigned int i = 0; i < n; i++)
		gen_payload_encode(st->iov[i].iov_base, o->size, o->stream, st->sent + i, now);
	r = sendmmsg(st->fd, st->msgs, n, 0);
	if (r >= 0)
		return r;
	switch (errno) {
	case EINTR:
		return 0;
	case ENOBUFS:
	case EAGAIN:
	case ECONNREFUSED: /* an ICMP error from an earlier unicast send: keep going */
		st->retries++;
		gen_sleep_until(gen_mono_ns() + SEND_BACKOFF_NS);
		return 0;
	default:
		return -errno;
	}
}

static void
print_summary(const struct send_state *st, const struct gen_send_opts *o)
{
	double el = (double)(st->t_end - st->t_start) / 1e9;
	double pps = el > 0 ? (double)st->sent / el : 0;
	double bps = el > 0 ? (double)st->bytes * 8 / el : 0;
	char dst[32];

	gen_fmt_addr(&o->dst, dst, sizeof(dst));
	if (o->json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "dst", json_object_new_string(dst));
		json_object_object_add(j, "engine", json_object_new_string(
					       o->engine == GEN_ENGINE_RING ? "ring" : "socket"));
		json_object_object_add(j, "stream", json_object_new_int64(o->stream));
		json_object_object_add(j, "size", json_object_new_int64(o->size));
		json_object_object_add(j, "ttl", json_object_new_int(o->ttl));
		json_object_object_add(j, "sent", json_object_new_uint64(st->sent));
		json_object_object_add(j, "bytes", json_object_new_uint64(st->bytes));
		json_object_object_add(j, "first_seq", st->sent ?
				       json_object_new_uint64(0) : NULL);
		json_object_object_add(j, "last_seq", st->sent ?
				       json_object_new_uint64(st->sent - 1) : NULL);
		json_object_object_add(j, "retries", json_object_new_uint64(st->retries));
		json_object_object_add(j, "elapsed_s", json_object_new_double(el));
		json_object_object_add(j, "pps", json_object_new_double(pps));
		json_object_object_add(j, "bps", json_object_new_double(bps));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else {
		printf("sent %llu packets (%llu payload bytes) to %s in %.3f s: "
		       "%.0f pps, %.2f Mbit/s%s\n",
		       (unsigned long long)st->sent, (unsigned long long)st->bytes, dst, el,
		       pps, bps / 1e6, st->retries ? " (kernel queue full at times)" : "");
	}
	fflush(stdout);
}

int
gen_send_run(const struct gen_send_opts *o)
{
	struct send_state st = { .fd = -1 };
	uint64_t deadline = 0, last, now;
	double tokens = 1; /* the first packet leaves at once */
	int rc;

	if (o->engine == GEN_ENGINE_RING) {
		st.ring = gen_ring_open(o);
		if (st.ring == NULL) {
			rc = CG_EXIT_FAILURE;
			goto out;
		}
	} else if (open_socket(o, &st.fd) != 0 || alloc_batch(&st, o) != 0) {
		rc = CG_EXIT_FAILURE;
		goto out;
	}
	st.t_start = last = gen_mono_ns();
	if (o->duration > 0)
		deadline = st.t_start + gen_secs_to_ns(o->duration);
	rc = CG_EXIT_OK;
	while (!gen_stop) {
		uint64_t left = o->count ? o->count - st.sent : UINT64_MAX;
		unsigned int n = o->batch;
		int r;

		if (left == 0)
			break;
		now = gen_mono_ns();
		if (deadline && now >= deadline)
			break;
		if (o->rate > 0) {
			/*
			 * Token bucket: rate tokens a second, a batch per send. It
			 * holds a batch and 1 ms more, so that a sleep that ran late
			 * is made up for (with --batch 1, a bucket of one lost it all
			 * and sent 40 % short), while a long stall is not.
			 */
			double depth = o->batch + o->rate / 1e3;

			tokens += (double)(now - last) * o->rate / 1e9;
			if (tokens > depth)
				tokens = depth;
			last = now;
			if (tokens < 1) {
				uint64_t wake = now + (uint64_t)((1 - tokens) * 1e9 / o->rate);

				gen_sleep_until(deadline && wake > deadline ? deadline : wake);
				continue;
			}
			n = tokens < o->batch ? (unsigned int)tokens : o->batch;
		}
		if (n > left)
			n = (unsigned int)left;
		r = send_burst(&st, o, n);
		if (r < 0) {
			char dst[32];

			CG_ERR("send to %s: %s: %s", gen_fmt_addr(&o->dst, dst, sizeof(dst)),
			       st.ring ? "ring" : "sendmmsg", strerror(-r));
			rc = CG_EXIT_FAILURE;
			break;
		}
		st.sent += (unsigned int)r;
		st.bytes += (uint64_t)r * o->size;
		tokens -= r;
	}
	if (st.ring != NULL) {
		unsigned int left = gen_ring_drain(st.ring, RING_DRAIN_MS);

		/* Queued but never handed to the driver: not sent. */
		st.sent -= left;
		st.bytes -= (uint64_t)left * o->size;
		st.retries = gen_ring_retries(st.ring);
	}
	st.t_end = gen_mono_ns();
	print_summary(&st, o);
out:
	gen_ring_close(st.ring);
	if (st.fd >= 0)
		close(st.fd);
	free(st.bufs);
	free(st.msgs);
	free(st.iov);
	return rc;
}
