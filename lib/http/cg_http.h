/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_HTTP_H
#define CG_HTTP_H

/**
 * @file
 * A read-only HTTP endpoint (GET and HEAD) for health and metrics, on
 * libmicrohttpd: its own thread polls every connection, so a slow or idle
 * client never holds up another. Each connection has an idle timeout and an
 * absolute deadline: a connection lives deadline_s from its start, however
 * its request trickles in and however many requests it carries kept alive;
 * one past it is shut down (the client reads EOF, and connects again). One address holds at most
 * max_conns_per_ip of the max_conns connections, so a single host cannot take
 * them all.
 * The caller's handler renders a body into a growable buffer; the library
 * sends it (HEAD: the same headers, no body).
 *
 * The handler runs on the library's thread: it must only read state that is
 * safe to read from another thread (atomics).
 */

#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

/** A growing text buffer for a response body. */
struct cg_http_buf {
	char *p;        /**< NUL-terminated; NULL until the first write */
	size_t len;
	size_t cap;
	int error;      /**< ENOMEM once a write failed (the reply is then 500) */
};

/** Append printf-style text. On ENOMEM the buffer keeps what it had and b->error is set. */
void cg_http_printf(struct cg_http_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Render the answer to GET @p path into @p body and set *ctype.
 * @return the HTTP status (200, 503, 404 ...).
 */
typedef int (*cg_http_handler)(void *arg, const char *path, struct cg_http_buf *body,
			       const char **ctype);

struct cg_http_opts {
	const struct sockaddr *addr;  /**< where to listen (bound by the library) */
	socklen_t addrlen;
	cg_http_handler handler;
	void *arg;
	unsigned int timeout_s;       /**< idle connection timeout; 0 = 5 */
	unsigned int max_conns;       /**< concurrent connections; 0 = 32 */
	unsigned int deadline_s;      /**< a connection's whole time, start to shutdown; 0 = 5 */
	unsigned int max_conns_per_ip; /**< connections from one address; 0 = max_conns / 2 */
};

/** Defaults of struct cg_http_opts (the values its zero fields mean). */
#define CG_HTTP_TIMEOUT_S 5
#define CG_HTTP_MAX_CONNS 32
#define CG_HTTP_DEADLINE_S 5

struct cg_http;

/**
 * Bind, listen and start serving.
 * @return a handle, or NULL with errno (EADDRINUSE, EACCES, ...) and a
 *   message in @p err naming the address.
 */
struct cg_http *cg_http_start(const struct cg_http_opts *o, char *err, size_t errlen);

/** The local port the endpoint listens on (useful after binding port 0). */
unsigned int cg_http_port(const struct cg_http *h);

/** Stop serving and free. NULL is accepted. */
void cg_http_stop(struct cg_http *h);

#endif /* CG_HTTP_H */
