/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Blocking JSON-RPC client for castgatectl: one call at a time, each with
 * its own deadline, over the newline-delimited framing of the server.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <json-c/json.h>

#include "cg_rpc.h"

/* Retry interval while the server's accept backlog is full. */
#define RPC_CONNECT_RETRY_MS 10
/* Replies above this are refused: a sane server never sends one (cf. max_output). */
#define RPC_CLIENT_MAX_REPLY (64u << 20)

struct cg_rpc_client {
	int fd;
	int64_t next_id;
	char *buf;
	size_t len, cap;
	void (*on_notify)(json_object *msg, void *arg);
	void *notify_arg;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until @p deadline (-1: none) for poll(). */
static int
left_ms(int64_t deadline)
{
	int64_t l;

	if (deadline < 0)
		return -1;
	l = deadline - mono_ms();
	return l < 0 ? 0 : (l > 1000000 ? 1000000 : (int)l);
}

struct cg_rpc_client *
cg_rpc_client_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct cg_rpc_client *cl;
	int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int fd, err;

	if (path == NULL || strlen(path) >= sizeof(sa.sun_path)) {
		errno = path == NULL ? EINVAL : ENAMETOOLONG;
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	/* A Unix stream connect never goes "in progress": it succeeds or says EAGAIN. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = errno;
		if (err == EINTR)
			continue;
		if (err != EAGAIN || mono_ms() >= deadline) {
			close(fd);
			errno = err == EAGAIN ? ETIMEDOUT : err;
			return NULL;
		}
		poll(NULL, 0, RPC_CONNECT_RETRY_MS);
	}
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	cl->fd = fd;
	cl->next_id = 1;
	return cl;
}

int
cg_rpc_client_fd(const struct cg_rpc_client *cl)
{
	return cl->fd;
}

void
cg_rpc_client_on_notify(struct cg_rpc_client *cl, void (*fn)(json_object *msg, void *arg),
			void *arg)
{
	cl->on_notify = fn;
	cl->notify_arg = arg;
}

void
cg_rpc_client_close(struct cg_rpc_client *cl)
{
	if (cl == NULL)
		return;
	close(cl->fd);
	free(cl->buf);
	free(cl);
}

static int
send_all(struct cg_rpc_client *cl, const char *p, size_t len, int64_t deadline)
{
	struct pollfd pfd = { .fd = cl->fd, .events = POLLOUT };
	ssize_t n;
	int r;

	while (len > 0) {
		n = send(cl->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return errno == EPIPE ? -ECONNRESET : -errno;
		r = poll(&pfd, 1, left_ms(deadline));
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Read one line into a malloc'd string (without '\n'). */
static int
recv_line(struct cg_rpc_client *cl, char **line, size_t *llen, int64_t deadline)
{
	struct pollfd pfd = { .fd = cl->fd, .events = POLLIN };
	char *nl;
	ssize_t n;
	int r;

	for (;;) {
		nl = cl->len > 0 ? memchr(cl->buf, '\n', cl->len) : NULL;
		if (nl != NULL) {
			size_t l = (size_t)(nl - cl->buf);

			*line = malloc(l + 1);
			if (*line == NULL)
				return -ENOMEM;
			memcpy(*line, cl->buf, l);
			(*line)[l] = '\0';
			*llen = l;
			memmove(cl->buf, nl + 1, cl->len - l - 1);
			cl->len -= l + 1;
			return 0;
		}
		if (cl->len == cl->cap) {
			size_t cap = cl->cap != 0 ? cl->cap * 2 : 4096;
			char *nb;

			if (cap > RPC_CLIENT_MAX_REPLY)
				return -EPROTO;
			nb = realloc(cl->buf, cap);
			if (nb == NULL)
				return -ENOMEM;
			cl->buf = nb;
			cl->cap = cap;
		}
		n = recv(cl->fd, cl->buf + cl->len, cl->cap - cl->len, MSG_DONTWAIT);
		if (n > 0) {
			cl->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = poll(&pfd, 1, left_ms(deadline));
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* Copy the error member of a reply into @p err. */
static void
take_error(json_object *e, struct cg_rpc_error *err)
{
	json_object *v, *data;

	cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "malformed error in reply");
	if (!json_object_is_type(e, json_type_object))
		return;
	if (json_object_object_get_ex(e, "code", &v) && json_object_is_type(v, json_type_int))
		err->code = json_object_get_int(v);
	if (json_object_object_get_ex(e, "message", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(err->message, sizeof(err->message), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(e, "data", &data) &&
	    json_object_object_get_ex(data, "field", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(err->field, sizeof(err->field), "%s", json_object_get_string(v));
}

int
cg_rpc_call(struct cg_rpc_client *cl, const char *method, json_object *params,
	    json_object **result, struct cg_rpc_error *err, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	struct cg_rpc_error perr = { 0 };
	json_object *req, *reply, *v;
	int64_t id = cl->next_id++;
	char *line;
	size_t len;
	int ret;

	*result = NULL;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	req = json_object_new_object();
	if (req == NULL)
		return -ENOMEM;
	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params != NULL)
		json_object_object_add(req, "params", json_object_get(params));
	json_object_object_add(req, "id", json_object_new_int64(id));
	line = cg_rpc_to_line(req, &len);
	json_object_put(req);
	if (line == NULL)
		return -ENOMEM;
	ret = send_all(cl, line, len, deadline);
	free(line);
	if (ret != 0)
		goto local_fail;

	for (;;) {
		ret = recv_line(cl, &line, &len, deadline);
		if (ret != 0)
			goto local_fail;
		reply = cg_rpc_json_parse(line, len, &perr);
		free(line);
		if (!json_object_is_type(reply, json_type_object)) {
			json_object_put(reply);
			ret = -EPROTO;
			goto local_fail;
		}
		if (!json_object_object_get_ex(reply, "id", &v)) {
			/* A notification pushed to a subscriber, not our reply. */
			if (json_object_object_get_ex(reply, "method", NULL)) {
				if (cl->on_notify != NULL)
					cl->on_notify(reply, cl->notify_arg);
				else
					json_object_put(reply);
				continue;
			}
			json_object_put(reply);
			ret = -EPROTO;
			goto local_fail;
		}
		/* id null: the server could not tie it to a request, e.g. it is cutting us off. */
		if (json_object_is_type(v, json_type_null) ||
		    (json_object_is_type(v, json_type_int) && json_object_get_int64(v) == id))
			break;
		/* A reply to an earlier call that timed out: skip it. */
		json_object_put(reply);
	}
	if (json_object_object_get_ex(reply, "error", &v)) {
		take_error(v, err != NULL ? err : &perr);
		json_object_put(reply);
		return -EREMOTEIO;
	}
	if (!json_object_object_get_ex(reply, "result", &v)) {
		json_object_put(reply);
		ret = -EPROTO;
		goto local_fail;
	}
	*result = json_object_get(v);
	json_object_put(reply);
	return 0;

local_fail:
	cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "%s: %s", method,
			 ret == -EPROTO ? "malformed reply from server" :
			 ret == -ECONNRESET ? "server closed the connection" : strerror(-ret));
	return ret;
}

int
cg_rpc_client_next(struct cg_rpc_client *cl, json_object **msg, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	struct cg_rpc_error perr = { 0 };
	json_object *m;
	char *line;
	size_t len;
	int ret;

	*msg = NULL;
	for (;;) {
		ret = recv_line(cl, &line, &len, deadline);
		if (ret != 0)
			return ret;
		if (len == 0) {
			free(line);
			continue;
		}
		m = cg_rpc_json_parse(line, len, &perr);
		free(line);
		if (!json_object_is_type(m, json_type_object)) {
			json_object_put(m);
			return -EPROTO;
		}
		/* A late reply to a call that timed out is not a notification. */
		if (json_object_object_get_ex(m, "id", NULL) ||
		    !json_object_object_get_ex(m, "method", NULL)) {
			json_object_put(m);
			continue;
		}
		*msg = m;
		return 0;
	}
}
