/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unix-stream-socket JSON-RPC server on epoll. Every socket is non-blocking
 * and level-triggered; one client can never stall the loop: reads take a
 * bounded slice per event, writes that would block are queued (up to
 * max_output), and a timerfd in the same epoll set enforces the idle and
 * slow-request deadlines. Subscribers get notifications pushed the same
 * way, into a queue bounded by max_notify: what does not fit is dropped and
 * counted, so a subscriber that never reads costs memory up to that bound
 * and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include <json-c/json.h>

#include "cg_log.h"
#include "cg_rpc.h"

/* Bytes read from one client per event, so a fast pipeliner cannot starve others. */
#define RPC_READ_SLICE (64 * 1024)
/* First read-buffer size; grows by doubling up to max_request + 1. */
#define RPC_RBUF_MIN 4096
/* Connections accepted per listener event, for the same fairness reason. */
#define RPC_ACCEPT_BURST 32
/* Backoff when accept() hits EMFILE/ENFILE: level-triggered epoll would spin. */
#define RPC_ACCEPT_PAUSE_MS 100
/* At most one log line per this many ms about refused connections. */
#define RPC_REFUSE_LOG_MS 10000
/* A deadline passed while the client's bytes waited unread: look again after this. */
#define RPC_RECHECK_MS 50
/* Upper bound on one wait in cg_rpc_server_run(), so the stop flag is seen. */
#define RPC_RUN_TICK_MS 200
/* Groups looked up for one peer; more than this is unusual, extra ones are ignored. */
#define RPC_MAX_GROUPS 256
#define RPC_EVENTS 64

struct cg_rpc_conn {
	struct cg_rpc_conn *next, *prev;
	int fd;
	struct cg_rpc_peer peer;
	char *rbuf;
	size_t rlen, rcap;
	char *wbuf;
	size_t woff, wlen, wcap;
	uint64_t last_ms;      /* last request handled or reply byte sent (idle) */
	uint64_t partial_ms;   /* when the pending partial line began */
	/* srv->busy_ms at those two moments: time the server spent handling
	 * requests is not the client's, and is added to its deadlines. */
	uint64_t last_busy, partial_busy;
	bool closing;          /* reads done: flush replies, then close */
	bool gone;             /* the peer closed both ways (EPOLLHUP): nobody reads replies */
	bool overflow;         /* unread replies went over max_output */
	bool want_out;         /* EPOLLOUT registered */
	uint32_t topics;       /* subscribed to these notification topics; 0: none */
	uint64_t lost;         /* notifications dropped since the last one queued */
	json_object *after;    /* notifications for after the current reply (array) */
};

struct cg_rpc_server {
	char *path;
	dev_t dev;
	ino_t ino;
	int lfd, epfd, tfd, efd;
	gid_t read_gid, admin_gid;
	uid_t self_uid;
	struct cg_rpc_limits lim;
	const struct cg_rpc_method *methods;
	void *user;
	struct cg_rpc_conn *conns;
	struct cg_rpc_conn *dead;     /* closed in this dispatch; freed at its end */
	uint64_t accept_paused_until;
	uint64_t busy_ms;      /* time spent in handlers (and the owner's, told) */
	unsigned int active_others; /* connections of peers without admin access */
	uint64_t refuse_log_ms; /* last refusal logged; more are counted until */
	uint64_t refuse_quiet;  /* refusals not logged since */
	bool stop_requested;   /* cg_rpc_server_stop() was seen */
	struct cg_rpc_server_stats st;
};

/* Distinct addresses marking the non-connection fds in epoll data. */
static char tag_listen, tag_timer, tag_stop;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Activity that resets the idle clock: a request, or reply bytes taken. */
static void
touch(const struct cg_rpc_server *srv, struct cg_rpc_conn *c)
{
	c->last_ms = now_ms();
	c->last_busy = srv->busy_ms;
}

static void
conn_log(enum cg_log_level lvl, const struct cg_rpc_conn *c, const char *what)
{
	char pid[24], uid[24];
	const struct cg_log_field f[] = { { "pid", pid }, { "uid", uid } };

	snprintf(pid, sizeof(pid), "%ld", (long)c->peer.pid);
	snprintf(uid, sizeof(uid), "%ld", (long)c->peer.uid);
	cg_log_fields(lvl, f, 2, "rpc client: %s", what);
}

/* Best-effort error line to a socket we are about to close; never blocks. */
static void
send_error_now(int fd, int code, const char *msg)
{
	struct cg_rpc_error err = { 0 };
	json_object *r;
	char *line;
	size_t len;

	cg_rpc_error_set(&err, code, NULL, "%s", msg);
	r = cg_rpc_response_error(NULL, &err);
	if (r == NULL)
		return;
	line = cg_rpc_to_line(r, &len);
	json_object_put(r);
	if (line == NULL)
		return;
	if (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* The client is going away anyway; nothing more to do. */
	}
	free(line);
}

static void
conn_close(struct cg_rpc_server *srv, struct cg_rpc_conn *c)
{
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->topics != 0)
		srv->st.subscribers--;
	c->topics = 0;
	/* Later events of this epoll batch may still point at it: free it after. */
	c->next = srv->dead;
	srv->dead = c;
	srv->st.active--;
	if (!c->peer.can_admin)
		srv->active_others--;
	if (srv->accept_paused_until != 0) {
		/* A descriptor is free again: resume accepting now. */
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag_listen };

		srv->accept_paused_until = 0;
		epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->lfd, &ev);
	}
}

static void
free_dead(struct cg_rpc_server *srv)
{
	struct cg_rpc_conn *c;

	while ((c = srv->dead) != NULL) {
		srv->dead = c->next;
		free(c->rbuf);
		free(c->wbuf);
		json_object_put(c->after);
		free(c);
	}
}

/* Cut a client off with a reason it can read, if it still reads. */
static void
conn_cut(struct cg_rpc_server *srv, struct cg_rpc_conn *c, int code, const char *why)
{
	conn_log(CG_LOG_WARN, c, why);
	send_error_now(c->fd, code, why);
	conn_close(srv, c);
}

static int
conn_events(struct cg_rpc_server *srv, struct cg_rpc_conn *c)
{
	struct epoll_event ev = { .data.ptr = c };
	bool out = c->wlen > c->woff;

	ev.events = (c->closing ? 0 : EPOLLIN) | (out ? EPOLLOUT : 0);
	c->want_out = out;
	return epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Send what the socket takes now; errors are left for conn_flush() to see. */
static void
try_send(const struct cg_rpc_server *srv, struct cg_rpc_conn *c)
{
	ssize_t n;

	while (c->woff < c->wlen) {
		n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n <= 0)
			return;
		c->woff += (size_t)n;
		touch(srv, c);
	}
}

/* Send what is queued. @return 0, or -1 when the connection was closed. */
static int
conn_flush(struct cg_rpc_server *srv, struct cg_rpc_conn *c)
{
	ssize_t n;

	while (c->woff < c->wlen) {
		n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_log(CG_LOG_DEBUG, c, strerror(errno));
			conn_close(srv, c);
			return -1;
		}
		c->woff += (size_t)n;
		touch(srv, c);
	}
	if (c->woff == c->wlen) {
		c->woff = c->wlen = 0;
		if (c->closing) {
			conn_close(srv, c);
			return -1;
		}
	}
	if ((c->wlen > c->woff) != c->want_out || c->closing)
		conn_events(srv, c);
	return 0;
}

static int
conn_queue(struct cg_rpc_conn *c, const char *data, size_t len)
{
	if (c->woff > 0 && c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (c->wlen + len > c->wcap) {
		size_t cap = c->wcap != 0 ? c->wcap : 4096;
		char *nb;

		/* Reclaim the sent prefix before growing. */
		if (c->woff > 0) {
			memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
			c->wlen -= c->woff;
			c->woff = 0;
		}
		while (cap < c->wlen + len)
			cap *= 2;
		if (cap != c->wcap) {
			nb = realloc(c->wbuf, cap);
			if (nb == NULL)
				return -ENOMEM;
			c->wbuf = nb;
			c->wcap = cap;
		}
	}
	memcpy(c->wbuf + c->wlen, data, len);
	c->wlen += len;
	return 0;
}

static int
conn_reply(struct cg_rpc_server *srv, struct cg_rpc_conn *c, json_object *reply)
{
	char *line;
	size_t len;
	int ret;

	if (json_object_is_type(reply, json_type_object) &&
	    json_object_object_get_ex(reply, "error", NULL))
		srv->st.errors++;
	line = cg_rpc_to_line(reply, &len);
	json_object_put(reply);
	if (line == NULL)
		return -ENOMEM;
	ret = conn_queue(c, line, len);
	free(line);
	return ret;
}

static json_object *
notification(const char *method, json_object *params)
{
	json_object *n = json_object_new_object();

	if (n == NULL)
		return NULL;
	if (json_object_object_add(n, "jsonrpc", json_object_new_string("2.0")) < 0 ||
	    json_object_object_add(n, "method", json_object_new_string(method)) < 0 ||
	    (params != NULL &&
	     json_object_object_add(n, "params", json_object_get(params)) < 0)) {
		json_object_put(n);
		return NULL;
	}
	return n;
}

/* The line of @p n with params.lost = @p lost added (params untouched). */
static char *
line_with_lost(json_object *n, uint64_t lost, size_t *len)
{
	json_object *params, *p2, *n2;
	char *line;

	if (!json_object_object_get_ex(n, "params", &params) ||
	    !json_object_is_type(params, json_type_object))
		return cg_rpc_to_line(n, len);
	p2 = json_object_new_object();
	n2 = json_object_new_object();
	if (p2 == NULL || n2 == NULL) {
		json_object_put(p2);
		json_object_put(n2);
		return NULL;
	}
	json_object_object_foreach(params, k, v)
		json_object_object_add(p2, k, json_object_get(v));
	json_object_object_add(p2, "lost", json_object_new_uint64(lost));
	json_object_object_foreach(n, k2, v2)
		json_object_object_add(n2, k2, strcmp(k2, "params") == 0 ? json_object_get(p2) :
				       json_object_get(v2));
	json_object_put(p2);
	line = cg_rpc_to_line(n2, len);
	json_object_put(n2);
	return line;
}

/*
 * Queue notification @p n (its line: @p line, @p len) for @p c, or drop and
 * count it when more than max_notify bytes wait unsent. Never blocks.
 * @return true when queued.
 */
static bool
notify_conn(struct cg_rpc_server *srv, struct cg_rpc_conn *c, json_object *n, const char *line,
	    size_t len)
{
	char *own = NULL;
	int ret;

	if (c->fd < 0 || c->closing)
		return false;
	if (c->wlen - c->woff + len > srv->lim.max_notify) {
		try_send(srv, c);
		if (c->wlen - c->woff + len > srv->lim.max_notify)
			goto drop;
	}
	if (c->lost > 0) {
		own = line_with_lost(n, c->lost, &len);
		if (own == NULL)
			goto drop;
		line = own;
	}
	ret = conn_queue(c, line, len);
	free(own);
	if (ret != 0)
		goto drop;
	c->lost = 0;
	srv->st.notified++;
	try_send(srv, c);
	/* Whatever the socket did not take goes out on EPOLLOUT; errors show there too. */
	if ((c->wlen > c->woff) != c->want_out)
		conn_events(srv, c);
	return true;
drop:
	c->lost++;
	srv->st.notify_dropped++;
	return false;
}

/* The notifications a handler left for after its reply (cg_rpc_notify_self()). */
static void
flush_after(struct cg_rpc_server *srv, struct cg_rpc_conn *c)
{
	json_object *after = c->after;
	size_t i, len;
	char *line;

	c->after = NULL;
	for (i = 0; i < json_object_array_length(after); i++) {
		json_object *n = json_object_array_get_idx(after, i);

		line = cg_rpc_to_line(n, &len);
		if (line == NULL) {
			c->lost++;
			srv->st.notify_dropped++;
			continue;
		}
		notify_conn(srv, c, n, line, len);
		free(line);
	}
	json_object_put(after);
}

static void
handle_line(struct cg_rpc_server *srv, struct cg_rpc_conn *c, const char *line, size_t len)
{
	struct cg_rpc_ctx ctx = { .peer = &c->peer, .user = srv->user, .server = srv, .conn = c,
				  .max_reply = srv->lim.max_output, .peer_gone = c->gone };
	uint64_t t0 = now_ms();
	json_object *reply;
	size_t i;

	srv->st.requests++;
	reply = cg_rpc_handle_line(srv->methods, line, len, &ctx);
	srv->busy_ms += now_ms() - t0;
	for (i = 0; i < len && strchr(" \t\r", line[i]) != NULL; i++)
		;
	if (i < len)
		touch(srv, c);
	if (reply != NULL && conn_reply(srv, c, reply) != 0) {
		/* Out of memory: drop the client rather than lose a reply silently. */
		c->closing = true;
	}
	if (c->after != NULL)
		flush_after(srv, c);
}

int
cg_rpc_subscribe(const struct cg_rpc_ctx *ctx, uint32_t topics)
{
	struct cg_rpc_conn *c;

	if (ctx == NULL || ctx->server == NULL || ctx->conn == NULL)
		return -ENOTSUP;
	c = ctx->conn;
	if (c->topics == 0 && topics != 0)
		ctx->server->st.subscribers++;
	else if (c->topics != 0 && topics == 0)
		ctx->server->st.subscribers--;
	c->topics = topics;
	conn_log(CG_LOG_DEBUG, c, topics != 0 ? "subscribed" : "unsubscribed");
	return 0;
}

int
cg_rpc_notify_self(const struct cg_rpc_ctx *ctx, const char *method, json_object *params)
{
	struct cg_rpc_conn *c;
	json_object *n;

	if (ctx == NULL || ctx->server == NULL || ctx->conn == NULL)
		return -ENOTSUP;
	c = ctx->conn;
	if (c->after == NULL)
		c->after = json_object_new_array();
	n = notification(method, params);
	if (c->after == NULL || n == NULL || json_object_array_add(c->after, n) < 0) {
		json_object_put(n);
		return -ENOMEM;
	}
	return 0;
}

unsigned int
cg_rpc_server_notify(struct cg_rpc_server *srv, uint32_t topics, const char *method,
		     json_object *params)
{
	struct cg_rpc_conn *c;
	unsigned int sent = 0;
	json_object *n = NULL;
	char *line = NULL;
	size_t len = 0;

	if (srv == NULL || srv->st.subscribers == 0)
		return 0;
	/* Serialized once for all; a subscriber that lost some gets its own copy. */
	n = notification(method, params);
	if (n != NULL)
		line = cg_rpc_to_line(n, &len);
	for (c = srv->conns; c != NULL; c = c->next) {
		if ((c->topics & topics) == 0)
			continue;
		if (line == NULL) {
			c->lost++;
			srv->st.notify_dropped++;
			continue;
		}
		if (notify_conn(srv, c, n, line, len))
			sent++;
	}
	free(line);
	json_object_put(n);
	return sent;
}

/* Reject an over-long line: error reply, then close after it is flushed. */
static void
conn_oversize(struct cg_rpc_server *srv, struct cg_rpc_conn *c)
{
	struct cg_rpc_error err = { 0 };
	json_object *r;

	srv->st.cut_oversize++;
	conn_log(CG_LOG_WARN, c, "request too large, closing");
	cg_rpc_error_set(&err, CG_RPC_E_INVALID_REQUEST, NULL, "request exceeds %zu bytes",
			 srv->lim.max_request);
	r = cg_rpc_response_error(NULL, &err);
	if (r != NULL)
		conn_reply(srv, c, r);
	c->rlen = 0;
	c->closing = true;
}

/* Handle every complete line in the read buffer; keep the partial tail. */
static void
conn_process(struct cg_rpc_server *srv, struct cg_rpc_conn *c, bool eof)
{
	size_t start = 0, len;
	char *nl;

	while (!c->closing && start < c->rlen) {
		nl = memchr(c->rbuf + start, '\n', c->rlen - start);
		if (nl == NULL)
			break;
		len = (size_t)(nl - (c->rbuf + start));
		if (len > srv->lim.max_request) {
			conn_oversize(srv, c);
			return;
		}
		/*
		 * More requests while over max_output of replies is still unread:
		 * the client does not read. Checked before handling (not after),
		 * so that one reply larger than the cap is still delivered; the
		 * queue stays below max_output + one reply.
		 */
		if (c->wlen - c->woff > srv->lim.max_output) {
			try_send(srv, c);
			if (c->wlen - c->woff > srv->lim.max_output) {
				c->overflow = true;
				return;
			}
		}
		handle_line(srv, c, c->rbuf + start, len);
		start += len + 1;
	}
	if (c->closing)
		return;
	if (start > 0) {
		memmove(c->rbuf, c->rbuf + start, c->rlen - start);
		c->rlen -= start;
		c->partial_ms = now_ms();
		c->partial_busy = srv->busy_ms;
	}
	if (c->rlen > srv->lim.max_request) {
		conn_oversize(srv, c);
		return;
	}
	if (eof) {
		/* A last line without its newline (printf '...' | socat) still counts. */
		if (c->rlen > 0)
			handle_line(srv, c, c->rbuf, c->rlen);
		c->rlen = 0;
		c->closing = true;
	}
}

static void
conn_read(struct cg_rpc_server *srv, struct cg_rpc_conn *c)
{
	size_t budget = RPC_READ_SLICE;
	bool eof = false;
	ssize_t n;

	while (budget > 0 && !c->closing && !c->overflow) {
		if (c->rlen == c->rcap) {
			size_t cap = c->rcap * 2;
			char *nb;

			/* One byte over the limit is enough to know it is over. */
			if (cap > srv->lim.max_request + 1)
				cap = srv->lim.max_request + 1;
			if (cap <= c->rcap) {
				conn_process(srv, c, false);
				if (c->closing || c->overflow || c->rlen == c->rcap)
					break;
				continue;
			}
			nb = realloc(c->rbuf, cap);
			if (nb == NULL) {
				conn_cut(srv, c, CG_RPC_E_INTERNAL, "out of memory");
				return;
			}
			c->rbuf = nb;
			c->rcap = cap;
		}
		n = recv(c->fd, c->rbuf + c->rlen,
			 c->rcap - c->rlen < budget ? c->rcap - c->rlen : budget, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_log(CG_LOG_DEBUG, c, strerror(errno));
			conn_close(srv, c);
			return;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (c->rlen == 0) {
			c->partial_ms = now_ms();
			c->partial_busy = srv->busy_ms;
		}
		/* Bytes alone are not activity: a blank line every minute must
		 * not hold a slot for ever. A request is (handle_line()). */
		c->rlen += (size_t)n;
		budget -= (size_t)n;
	}
	if (!c->overflow)
		conn_process(srv, c, eof);
	if (c->overflow) {
		srv->st.cut_output++;
		conn_log(CG_LOG_WARN, c, "replies not read: output limit reached, closing");
		conn_close(srv, c);
		return;
	}
	if (c->closing)
		conn_events(srv, c);
	conn_flush(srv, c);
}

static bool
gid_in(gid_t g, const gid_t *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

/*
 * Decide the peer's access from every group it may hold: its gid, the groups
 * of the connecting process (SO_PEERGROUPS) and the user's groups in the
 * group database.
 */
static void
peer_access(const struct cg_rpc_server *srv, int fd, struct cg_rpc_peer *p)
{
	gid_t groups[RPC_MAX_GROUPS];
	int n = 0;

	p->can_admin = p->uid == 0 || p->uid == srv->self_uid;
	if (p->can_admin) {
		p->can_read = true;
		return;
	}
	groups[n++] = p->gid;
#ifdef SO_PEERGROUPS
	{
		socklen_t sl = (socklen_t)(sizeof(groups) - sizeof(groups[0]));

		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, &groups[1], &sl) == 0)
			n += (int)(sl / sizeof(gid_t));
	}
#else
	(void)fd;
#endif
	{
		struct passwd pw, *res = NULL;
		char buf[4096];
		int ng = RPC_MAX_GROUPS - n;

		/* Users with more groups than the array are judged on the first ones. */
		if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL) {
			if (getgrouplist(pw.pw_name, pw.pw_gid, &groups[n], &ng) >= 0)
				n += ng;
			else
				CG_WARN("rpc: uid %ld: over %d groups, "
					"only its primary ones checked",
					(long)p->uid, RPC_MAX_GROUPS);
		}
	}
	p->can_admin = srv->admin_gid != CG_RPC_GID_NONE && gid_in(srv->admin_gid, groups, n);
	p->can_read = p->can_admin ||
		(srv->read_gid != CG_RPC_GID_NONE && gid_in(srv->read_gid, groups, n));
}

/* Slots only admins may take: at most CG_RPC_ADMIN_SLOTS, half of max_conns. */
static unsigned int
reserved(const struct cg_rpc_server *srv)
{
	unsigned int half = srv->lim.max_conns / 2;

	return half < CG_RPC_ADMIN_SLOTS ? half : CG_RPC_ADMIN_SLOTS;
}

/* Refuse a connection with -32006; say so in the log, at most every 10 s. */
static void
refuse(struct cg_rpc_server *srv, int fd, const struct cg_rpc_peer *p)
{
	bool full = srv->st.active >= srv->lim.max_conns;
	uint64_t now = now_ms();
	char why[160], more[80] = "";

	if (full) {
		srv->st.refused_full++;
		snprintf(why, sizeof(why), "too many connections (max %u)", srv->lim.max_conns);
	} else {
		srv->st.refused_reserved++;
		snprintf(why, sizeof(why), "too many connections (max %u; the last %u are kept "
			 "for the admin group)", srv->lim.max_conns, reserved(srv));
	}
	send_error_now(fd, CG_RPC_E_BUSY, why);
	close(fd);
	if (srv->refuse_log_ms != 0 && now - srv->refuse_log_ms < RPC_REFUSE_LOG_MS) {
		srv->refuse_quiet++;
		return;
	}
	if (srv->refuse_quiet > 0)
		snprintf(more, sizeof(more), "; %" PRIu64 " more refused since the last message",
			 srv->refuse_quiet);
	CG_WARN("rpc %s: refused a connection of uid %ld pid %ld: %s (%u open, %u of them "
		"without admin access)%s", srv->path, (long)p->uid, (long)p->pid, why,
		srv->st.active, srv->active_others, more);
	srv->refuse_log_ms = now;
	srv->refuse_quiet = 0;
}

static void
do_accept(struct cg_rpc_server *srv)
{
	struct epoll_event ev;
	struct cg_rpc_peer peer;
	struct ucred cred;
	socklen_t sl;
	struct cg_rpc_conn *c;
	int i, fd;

	for (i = 0; i < RPC_ACCEPT_BURST; i++) {
		fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				CG_WARN("rpc %s: accept: %s: pausing %d ms", srv->path,
					strerror(errno), RPC_ACCEPT_PAUSE_MS);
				ev.events = 0;
				ev.data.ptr = &tag_listen;
				epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->lfd, &ev);
				srv->accept_paused_until = now_ms() + RPC_ACCEPT_PAUSE_MS;
			}
			return;
		}
		/* Who it is first: the last slots are kept for admins. */
		peer = (struct cg_rpc_peer){ .uid = (uid_t)-1, .gid = (gid_t)-1 };
		sl = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) == 0) {
			peer.pid = cred.pid;
			peer.uid = cred.uid;
			peer.gid = cred.gid;
			peer_access(srv, fd, &peer);
		}
		if (srv->st.active >= srv->lim.max_conns ||
		    (!peer.can_admin && srv->active_others >= srv->lim.max_conns - reserved(srv))) {
			refuse(srv, fd, &peer);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c != NULL) {
			c->rcap = RPC_RBUF_MIN < srv->lim.max_request + 1 ?
				RPC_RBUF_MIN : srv->lim.max_request + 1;
			c->rbuf = malloc(c->rcap);
		}
		if (c == NULL || c->rbuf == NULL) {
			free(c);
			send_error_now(fd, CG_RPC_E_INTERNAL, "out of memory");
			close(fd);
			continue;
		}
		c->fd = fd;
		/* An unknown peer (no SO_PEERCRED) has no access, but may still learn why. */
		c->peer = peer;
		touch(srv, c);
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			CG_ERR("rpc %s: epoll_ctl: %s", srv->path, strerror(errno));
			close(fd);
			free(c->rbuf);
			free(c);
			continue;
		}
		c->next = srv->conns;
		if (srv->conns != NULL)
			srv->conns->prev = c;
		srv->conns = c;
		srv->st.accepted++;
		srv->st.active++;
		if (!c->peer.can_admin)
			srv->active_others++;
		conn_log(CG_LOG_DEBUG, c, c->peer.can_admin ? "connected (admin)" :
			 c->peer.can_read ? "connected (read)" : "connected (no access)");
	}
}

static bool
pending_bytes(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/* Cut expired clients and arm the timer for the next deadline. */
static void
check_timeouts(struct cg_rpc_server *srv)
{
	uint64_t now = now_ms(), next = UINT64_MAX, d;
	struct itimerspec its = { 0 };
	struct cg_rpc_conn *c, *nx;
	char why[96];

	if (srv->accept_paused_until != 0) {
		if (now >= srv->accept_paused_until) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag_listen };

			srv->accept_paused_until = 0;
			epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->lfd, &ev);
		} else {
			next = srv->accept_paused_until;
		}
	}
	for (c = srv->conns; c != NULL; c = nx) {
		nx = c->next;
		if (c->rlen > 0 && !c->closing) {
			d = c->partial_ms + srv->lim.request_ms + (srv->busy_ms - c->partial_busy);
			/* Bytes of it already waiting in the socket: the client sent
			 * them, and the server was too busy to read (a long tick of
			 * its owner's, say). Not the client's fault: look again soon,
			 * after the read. */
			if (now >= d && pending_bytes(c->fd)) {
				d = now + RPC_RECHECK_MS;
			} else if (now >= d) {
				snprintf(why, sizeof(why), "request not completed within %u ms",
					 srv->lim.request_ms);
				srv->st.cut_slow++;
				conn_cut(srv, c, CG_RPC_E_BUSY, why);
				continue;
			}
			if (d < next)
				next = d;
		}
		/* A subscriber waits for notifications: silence is its normal state.
		 * A started line has its own deadline (above). */
		if (c->topics != 0 || (c->rlen > 0 && !c->closing))
			continue;
		d = c->last_ms + srv->lim.idle_ms + (srv->busy_ms - c->last_busy);
		if (now >= d) {
			snprintf(why, sizeof(why), "idle for %u ms", srv->lim.idle_ms);
			srv->st.cut_idle++;
			conn_cut(srv, c, CG_RPC_E_BUSY, why);
			continue;
		}
		if (d < next)
			next = d;
	}
	if (next != UINT64_MAX) {
		/* Absolute time on the same clock as now_ms(). */
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(srv->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int
cg_rpc_server_dispatch(struct cg_rpc_server *srv, int timeout_ms)
{
	struct epoll_event evs[RPC_EVENTS];
	struct cg_rpc_conn *c;
	uint64_t junk;
	int i, n;

	n = epoll_wait(srv->epfd, evs, RPC_EVENTS, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	for (i = 0; i < n; i++) {
		void *p = evs[i].data.ptr;

		if (p == &tag_listen) {
			do_accept(srv);
		} else if (p == &tag_timer) {
			if (read(srv->tfd, &junk, sizeof(junk)) < 0) {
				/* EAGAIN: already consumed; the check below runs anyway. */
			}
		} else if (p == &tag_stop) {
			/* Drain it, or an owner's poll loop would spin on it. */
			if (read(srv->efd, &junk, sizeof(junk)) == (ssize_t)sizeof(junk))
				srv->stop_requested = true;
		} else {
			c = p;
			if (c->fd < 0)
				continue; /* closed earlier in this batch */
			if ((evs[i].events & EPOLLOUT) && conn_flush(srv, c) != 0)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				/* HUP, unlike a half-close (SHUT_WR: RDHUP), means the
				 * peer cannot read our replies any more. */
				if (evs[i].events & (EPOLLHUP | EPOLLERR))
					c->gone = true;
				if (!c->closing)
					conn_read(srv, c);
				else if (evs[i].events & (EPOLLHUP | EPOLLERR))
					conn_close(srv, c);
			}
		}
	}
	check_timeouts(srv);
	free_dead(srv);
	return n;
}

int
cg_rpc_server_fd(const struct cg_rpc_server *srv)
{
	return srv->epfd;
}

void
cg_rpc_server_owner_busy(struct cg_rpc_server *srv, uint64_t ms)
{
	srv->busy_ms += ms;
}

int
cg_rpc_server_run(struct cg_rpc_server *srv, const volatile sig_atomic_t *stop)
{
	int ret;

	for (;;) {
		if ((stop != NULL && *stop) || srv->stop_requested) {
			srv->stop_requested = false;
			return 0;
		}
		ret = cg_rpc_server_dispatch(srv, RPC_RUN_TICK_MS);
		if (ret < 0)
			return ret;
	}
}

void
cg_rpc_server_stop(struct cg_rpc_server *srv)
{
	uint64_t one = 1;

	if (write(srv->efd, &one, sizeof(one)) < 0) {
		/* Counter full: a stop is already pending. */
	}
}

void
cg_rpc_server_get_stats(const struct cg_rpc_server *srv, struct cg_rpc_server_stats *st)
{
	*st = srv->st;
}

/*
 * Is a server alive at @p path? @return 1 alive, 0 stale socket,
 * -errno when the path is not a socket or cannot be checked.
 */
static int
probe_existing(const struct sockaddr_un *sa)
{
	struct stat sb;
	int fd, ret;

	if (lstat(sa->sun_path, &sb) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	if (ret == 0 || errno == EAGAIN) {
		/* Accepted, or its backlog is full: either way someone listens. */
		close(fd);
		return 1;
	}
	ret = errno;
	close(fd);
	if (ret == ECONNREFUSED) {
		if (unlink(sa->sun_path) != 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	return -ret;
}

static int
epoll_add_tag(int epfd, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

struct cg_rpc_server *
cg_rpc_server_new(const char *path, mode_t mode, gid_t read_gid, gid_t admin_gid,
		  const struct cg_rpc_limits *limits, const struct cg_rpc_method *methods,
		  void *user)
{
	struct cg_rpc_server *srv;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat sb;
	int ret, err;

	if (path == NULL || path[0] == '\0' || methods == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return NULL;
	srv->lfd = srv->epfd = srv->tfd = srv->efd = -1;
	srv->path = strdup(path);
	if (srv->path == NULL)
		goto fail_errno;
	srv->read_gid = read_gid;
	srv->admin_gid = admin_gid;
	srv->self_uid = geteuid();
	srv->methods = methods;
	srv->user = user;
	if (limits != NULL)
		srv->lim = *limits;
	if (srv->lim.max_request == 0)
		srv->lim.max_request = CG_RPC_MAX_REQUEST_DEFAULT;
	if (srv->lim.max_output == 0)
		srv->lim.max_output = CG_RPC_MAX_OUTPUT_DEFAULT;
	if (srv->lim.idle_ms == 0)
		srv->lim.idle_ms = CG_RPC_IDLE_MS_DEFAULT;
	if (srv->lim.request_ms == 0)
		srv->lim.request_ms = CG_RPC_REQUEST_MS_DEFAULT;
	if (srv->lim.max_conns == 0)
		srv->lim.max_conns = CG_RPC_MAX_CONNS_DEFAULT;
	if (srv->lim.max_notify == 0)
		srv->lim.max_notify = CG_RPC_MAX_NOTIFY_DEFAULT;
	if (srv->lim.max_notify > srv->lim.max_output)
		srv->lim.max_notify = srv->lim.max_output;

	ret = probe_existing(&sa);
	if (ret != 0) {
		err = ret > 0 ? EADDRINUSE : -ret;
		CG_ERR("rpc %s: %s", path, ret > 0 ? "another server is listening there" :
		       ret == -EEXIST ? "exists and is not a socket" : strerror(err));
		goto fail;
	}
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->lfd < 0)
		goto fail_errno;
	if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = errno;
		CG_ERR("rpc %s: bind: %s", path, strerror(err));
		goto fail;
	}
	/* Not listening yet, so nobody can connect before mode and group are right. */
	if (stat(path, &sb) != 0 || chmod(path, mode) != 0 ||
	    (read_gid != CG_RPC_GID_NONE && chown(path, (uid_t)-1, read_gid) != 0)) {
		err = errno;
		CG_ERR("rpc %s: chmod/chown: %s", path, strerror(err));
		unlink(path);
		goto fail;
	}
	srv->dev = sb.st_dev;
	srv->ino = sb.st_ino;
	if (listen(srv->lfd, SOMAXCONN) != 0) {
		err = errno;
		CG_ERR("rpc %s: listen: %s", path, strerror(err));
		unlink(path);
		goto fail;
	}
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	srv->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->epfd < 0 || srv->tfd < 0 || srv->efd < 0 ||
	    epoll_add_tag(srv->epfd, srv->lfd, &tag_listen) != 0 ||
	    epoll_add_tag(srv->epfd, srv->tfd, &tag_timer) != 0 ||
	    epoll_add_tag(srv->epfd, srv->efd, &tag_stop) != 0) {
		err = errno;
		CG_ERR("rpc %s: epoll/timerfd/eventfd: %s", path, strerror(err));
		unlink(path);
		goto fail;
	}
	CG_INFO("rpc: listening on %s (mode %04o, max %u clients)", path, (unsigned int)mode,
		srv->lim.max_conns);
	return srv;

fail_errno:
	err = errno;
fail:
	free(srv->path);
	srv->path = NULL;   /* nothing of ours to unlink */
	cg_rpc_server_free(srv);
	errno = err;
	return NULL;
}

void
cg_rpc_server_free(struct cg_rpc_server *srv)
{
	struct stat sb;

	if (srv == NULL)
		return;
	while (srv->conns != NULL)
		conn_close(srv, srv->conns);
	free_dead(srv);
	/* Remove the socket only if it is still ours, not a successor's. */
	if (srv->path != NULL && lstat(srv->path, &sb) == 0 && sb.st_dev == srv->dev &&
	    sb.st_ino == srv->ino)
		unlink(srv->path);
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->tfd >= 0)
		close(srv->tfd);
	if (srv->efd >= 0)
		close(srv->efd);
	free(srv->path);
	free(srv);
}
