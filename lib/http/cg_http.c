/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The read-only HTTP endpoint on libmicrohttpd. We bind the socket ourselves
 * so that a busy or refused address is reported in our words at start-up;
 * libmicrohttpd runs the event loop, the parsing, the idle timeouts, the
 * per-address limit and HEAD.
 *
 * libmicrohttpd's own timeout is an idle one: every byte restarts it, so a
 * client dripping a byte a second would keep its connection forever, and a
 * few dozen such clients would hold every slot. Hence a deadline of our own:
 * each connection is recorded when it starts (NOTIFY_CONNECTION) with the
 * time it must be done by (kept alive, a connection's requests share it, or
 * a client repeating requests would hold its slot); a watchdog thread shuts down the
 * socket of one past it, and libmicrohttpd, reading EOF, closes it. The
 * watchdog shuts down a dup() of the socket that we own and close ourselves
 * (at NOTIFY_CLOSED, under the mutex the watchdog holds), so it never touches
 * a descriptor number that libmicrohttpd has closed and the kernel reused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "cg_http.h"
#include "cg_log.h"

/*
 * The listen socket's backlog is the kernel's largest (SOMAXCONN): a burst of
 * connections (scrapers, probes, a flood libmicrohttpd accepts only to refuse)
 * waits there for the server thread; a short queue would drop their SYNs, and
 * each client would retry only after a second.
 */

/* A live connection, as the watchdog sees it. */
struct conn {
	struct conn *prev, *next;
	int fd;			/* our dup of its socket; -1 if dup failed (no deadline) */
	int64_t due_ms;		/* CLOCK_MONOTONIC time its answer is due by */
	bool cut;		/* shut down already */
	char peer[64];		/* its client's address, for the log */
};

struct cg_http {
	struct MHD_Daemon *mhd;
	int fd;
	cg_http_handler handler;
	void *arg;
	int64_t deadline_ms;
	pthread_mutex_t mu;	/* guards conns, stopping, and every conn's fields */
	pthread_cond_t cv;	/* (CLOCK_MONOTONIC) an earlier deadline, or stop */
	int64_t wake_ms;	/* when the watchdog wakes next; INT64_MAX: not before a signal */
	pthread_t watchdog;
	bool watchdog_up, stopping;
	struct conn *conns;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
cg_http_printf(struct cg_http_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->error != 0)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p != NULL ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->error = EINVAL;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *p;

		while (cap - b->len <= (size_t)n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			if (b->p != NULL)
				b->p[b->len] = '\0';
			b->error = ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static enum MHD_Result
reply(struct MHD_Connection *conn, int status, const char *ctype, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body != NULL ? body : (char *)"",
					    body != NULL ? MHD_RESPMEM_MUST_FREE :
					    MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(conn, (unsigned int)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **state)
{
	static int first_call;
	struct cg_http *h = cls;
	struct cg_http_buf b = { 0 };
	const char *ctype = "text/plain";
	int status;

	(void)version;
	(void)upload;
	/* The first call only announces the request (its headers). */
	if (*state == NULL) {
		*state = &first_call;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0; /* a body is not for us: drop it, answer 405 below */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		cg_http_printf(&b, "only GET and HEAD\n");
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, ctype, b.p, b.len);
	}
	status = h->handler(h->arg, url, &b, &ctype);
	if (b.error != 0) {
		free(b.p);
		b = (struct cg_http_buf){ 0 };
		cg_http_printf(&b, "out of memory\n");
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", b.p, b.len);
	}
	return reply(conn, status, ctype, b.p, b.len);
}

static void
addr_str(const struct sockaddr *sa, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(a->sin_port));
	}
}

/* Runs on libmicrohttpd's thread when a connection starts and when it ends. */
static void
on_conn(void *cls, struct MHD_Connection *mc, void **socket_context,
	enum MHD_ConnectionNotificationCode code)
{
	struct cg_http *h = cls;
	struct conn *c;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		/* Each answer is read before the next call: libmicrohttpd 1.0
		 * (Debian 13) returns the same per-connection storage every time. */
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		int fd = ci != NULL ? ci->connect_fd : -1;

		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return; /* then this one has the idle timeout only */
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci != NULL && ci->client_addr != NULL)
			addr_str(ci->client_addr, c->peer, sizeof(c->peer));
		c->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
		if (c->fd < 0) {
			CG_DEBUG("http: no deadline for a connection: dup: %s", strerror(errno));
			free(c);
			return;
		}
		pthread_mutex_lock(&h->mu);
		c->due_ms = now_ms() + h->deadline_ms;
		c->next = h->conns;
		if (h->conns != NULL)
			h->conns->prev = c;
		h->conns = c;
		if (c->due_ms < h->wake_ms)
			pthread_cond_signal(&h->cv); /* the watchdog would wake too late */
		pthread_mutex_unlock(&h->mu);
		*socket_context = c;
		return;
	}
	c = *socket_context;
	if (c == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&h->mu);
	close(c->fd);
	free(c);
	*socket_context = NULL;
}

/*
 * Shut down each connection past its deadline. Sleeps until the earliest
 * deadline, or until a connection with an earlier one arrives: no wake-ups
 * while idle.
 */
static void *
watchdog(void *arg)
{
	struct cg_http *h = arg;

	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		int64_t now = now_ms(), next = INT64_MAX;

		for (struct conn *c = h->conns; c != NULL; c = c->next) {
			if (c->cut)
				continue;
			if (c->due_ms <= now) {
				shutdown(c->fd, SHUT_RDWR);
				c->cut = true;
				CG_DEBUG("http: connection from %s: no whole request answered "
					 "within %lld ms: closed", c->peer[0] ? c->peer : "?",
					 (long long)h->deadline_ms);
			} else if (c->due_ms < next) {
				next = c->due_ms;
			}
		}
		h->wake_ms = next;
		if (next == INT64_MAX) {
			pthread_cond_wait(&h->cv, &h->mu);
		} else {
			struct timespec ts = { .tv_sec = next / 1000,
					       .tv_nsec = (next % 1000) * 1000000 };

			pthread_cond_timedwait(&h->cv, &h->mu, &ts);
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	CG_DEBUG("http: %s", msg);
}

/* The watchdog's lock and clock; 0 or a positive errno. */
static int
watchdog_init(struct cg_http *h)
{
	pthread_condattr_t ca;
	int e;

	h->wake_ms = INT64_MAX;
	e = pthread_mutex_init(&h->mu, NULL);
	if (e != 0)
		return e;
	e = pthread_condattr_init(&ca);
	if (e == 0) {
		e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		if (e == 0)
			e = pthread_cond_init(&h->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (e != 0) {
		pthread_mutex_destroy(&h->mu);
		return e;
	}
	e = pthread_create(&h->watchdog, NULL, watchdog, h);
	if (e != 0) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		return e;
	}
	h->watchdog_up = true;
	return 0;
}

static void
watchdog_stop(struct cg_http *h)
{
	if (!h->watchdog_up)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->watchdog, NULL);
	h->watchdog_up = false;
}

static void
watchdog_free(struct cg_http *h)
{
	/* libmicrohttpd closed (and told us about) every connection it had. */
	while (h->conns != NULL) {
		struct conn *c = h->conns;

		h->conns = c->next;
		close(c->fd);
		free(c);
	}
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
}

struct cg_http *
cg_http_start(const struct cg_http_opts *o, char *err, size_t errlen)
{
	struct cg_http *h;
	char where[80];
	unsigned int max_conns = o->max_conns ? o->max_conns : CG_HTTP_MAX_CONNS;
	unsigned int per_ip = o->max_conns_per_ip ? o->max_conns_per_ip :
			      (max_conns / 2 ? max_conns / 2 : 1);
	int one = 1, e;

	addr_str(o->addr, where, sizeof(where));
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		snprintf(err, errlen, "%s: %s", where, strerror(ENOMEM));
		errno = ENOMEM;
		return NULL;
	}
	h->handler = o->handler;
	h->arg = o->arg;
	h->deadline_ms = 1000LL * (o->deadline_s ? o->deadline_s : CG_HTTP_DEADLINE_S);
	e = watchdog_init(h);
	if (e != 0) {
		snprintf(err, errlen, "%s: cannot start the HTTP watchdog thread: %s", where,
			 strerror(e));
		free(h);
		errno = e;
		return NULL;
	}
	h->fd = socket(o->addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (h->fd < 0 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(h->fd, o->addr, o->addrlen) < 0 || listen(h->fd, SOMAXCONN) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", where, strerror(e));
		goto fail;
	}
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
				  on_request, h,
				  MHD_OPTION_LISTEN_SOCKET, h->fd,
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)(o->timeout_s ? o->timeout_s : CG_HTTP_TIMEOUT_S),
				  MHD_OPTION_CONNECTION_LIMIT, max_conns,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
				  MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_END);
	if (h->mhd == NULL) {
		e = errno ? errno : EIO;
		snprintf(err, errlen, "%s: cannot start the HTTP server (libmicrohttpd)", where);
		goto fail;
	}
	return h;
fail:
	if (h->fd >= 0)
		close(h->fd);
	watchdog_stop(h);
	watchdog_free(h);
	free(h);
	errno = e;
	return NULL;
}

unsigned int
cg_http_port(const struct cg_http *h)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(h->fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void
cg_http_stop(struct cg_http *h)
{
	if (h == NULL)
		return;
	watchdog_stop(h);
	MHD_stop_daemon(h->mhd); /* closes the listen socket too, ours or not */
	watchdog_free(h);
	free(h);
}
