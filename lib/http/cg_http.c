/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The read-only HTTP endpoint on libmicrohttpd. We bind the socket ourselves
 * so that a busy or refused address is reported in our words at start-up;
 * libmicrohttpd runs the event loop, the parsing, the timeouts and HEAD.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "cg_http.h"
#include "cg_log.h"

struct cg_http {
	struct MHD_Daemon *mhd;
	int fd;
	cg_http_handler handler;
	void *arg;
};

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

struct cg_http *
cg_http_start(const struct cg_http_opts *o, char *err, size_t errlen)
{
	struct cg_http *h;
	char where[80];
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
	h->fd = socket(o->addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (h->fd < 0 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(h->fd, o->addr, o->addrlen) < 0 || listen(h->fd, 16) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", where, strerror(e));
		goto fail;
	}
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
				  on_request, h,
				  MHD_OPTION_LISTEN_SOCKET, h->fd,
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)(o->timeout_s ? o->timeout_s : 5),
				  MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned int)(o->max_conns ? o->max_conns : 32),
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
	MHD_stop_daemon(h->mhd); /* closes the listen socket too, ours or not */
	free(h);
}
