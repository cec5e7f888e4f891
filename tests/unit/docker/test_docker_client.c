/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/docker transport against a tiny fake Docker server: a thread serving
 * canned HTTP/1.1 answers on a Unix socket, one request per connection.
 * Deterministic, no dockerd: negotiation, 404/500 with Docker's message,
 * bad JSON, oversized answers, and the event stream split at awkward places,
 * ended cleanly, stopped while idle, stopped by the callback.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cg_docker.h"
#include "../cg_unit.h"

#define MAX_REQS 64

enum ev_mode { EV_SPLIT, EV_IDLE, EV_ERROR, EV_LONGLINE, EV_CUT };

static struct {
	int lfd;
	char path[108];
	pthread_t th;
	volatile int stop;
	pthread_mutex_t mu;
	char reqs[MAX_REQS][1024];
	int nreq;
	/* what to answer */
	const char *version_body;
	enum ev_mode ev_mode;
} fk = { .lfd = -1, .mu = PTHREAD_MUTEX_INITIALIZER };

#define EV(action, id, name, t) \
	"{\"status\":\"" action "\",\"id\":\"" id "\",\"Type\":\"container\",\"Action\":\"" \
	action "\",\"Actor\":{\"ID\":\"" id "\",\"Attributes\":{\"name\":\"" name "\"}}," \
	"\"scope\":\"local\",\"time\":1700000000,\"timeNano\":" t "}"
#define NETEV(action, cid, net, t) \
	"{\"Type\":\"network\",\"Action\":\"" action "\",\"Actor\":{\"ID\":\"9a9a\"," \
	"\"Attributes\":{\"container\":\"" cid "\",\"name\":\"" net "\",\"type\":\"bridge\"}}," \
	"\"scope\":\"local\",\"time\":1700000000,\"timeNano\":" t "}"

/* Event lines as Docker writes them, plus noise the client must survive. */
static const char events_body[] =
	NETEV("connect", "c1", "cgnet1", "1700000000000000001") "\n"
	EV("start", "c1", "warp-a", "1700000000000000002") "\n"
	"\n"
	"this is not json\n"
	EV("die", "c2", "t1", "1700000000000000003") "\r\n"
	NETEV("disconnect", "c2", "cgnet6", "1700000000000000004") "\n"
	EV("restart", "c2", "t1", "1700000000000000005") "\n";
#define EVENTS_GOOD 5

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return; /* the client went away: fine */
		p += w;
		n -= (size_t)w;
	}
}

static void
respond(int fd, int code, const char *reason, const char *body)
{
	char hdr[256];

	snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n", code, reason, strlen(body));
	send_all(fd, hdr, strlen(hdr));
	send_all(fd, body, strlen(body));
}

/* Write @p s in pieces of the given sizes (cycled), pausing so each is read alone. */
static void
dribble(int fd, const char *s, size_t n, const size_t *sizes, size_t nsizes)
{
	for (size_t i = 0, k = 0; i < n; k++) {
		size_t c = sizes[k % nsizes];

		if (c > n - i)
			c = n - i;
		send_all(fd, s + i, c);
		i += c;
		usleep(2000);
	}
}

static void
chunk(char *out, size_t *len, const char *data, size_t n)
{
	*len += (size_t)sprintf(out + *len, "%zx\r\n", n);
	memcpy(out + *len, data, n);
	*len += n;
	memcpy(out + *len, "\r\n", 2);
	*len += 2;
}

static void
wait_client_gone(int fd, int max_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[256];

	while (max_ms > 0 && poll(&p, 1, 50) >= 0) {
		if (p.revents && recv(fd, b, sizeof(b), 0) <= 0)
			return;
		max_ms -= 50;
	}
}

static const char stream_hdr[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n";

static void
serve_events(int fd)
{
	static const size_t sizes[] = { 1, 3, 17, 2, 64, 5, 200, 9 };
	static char out[8 * 1024 * 1024];
	size_t len = 0, off, body_len = strlen(events_body);

	switch (fk.ev_mode) {
	case EV_ERROR:
		respond(fd, 500, "Internal Server Error",
			"{\"message\":\"events: daemon is shutting down\"}");
		return;
	case EV_IDLE:
		len = strlen(stream_hdr);
		memcpy(out, stream_hdr, len);
		chunk(out, &len, events_body, strchr(events_body, '\n') + 1 - events_body);
		send_all(fd, out, len);
		wait_client_gone(fd, 5000);
		return;
	case EV_LONGLINE: {
		/* a 2 MiB line (above the client's 1 MiB cap) between two good events */
		static char big[2 * 1024 * 1024 + 2];
		const char *first_end = strchr(events_body, '\n') + 1;

		len = strlen(stream_hdr);
		memcpy(out, stream_hdr, len);
		chunk(out, &len, events_body, (size_t)(first_end - events_body));
		memset(big, 'x', sizeof(big) - 2);
		big[0] = '{';
		big[sizeof(big) - 2] = '\n';
		for (off = 0; off < sizeof(big) - 1; off += 100000)
			chunk(out, &len, big + off, sizeof(big) - 1 - off < 100000 ?
			      sizeof(big) - 1 - off : 100000);
		chunk(out, &len, first_end, strlen(first_end));
		memcpy(out + len, "0\r\n\r\n", 5);
		send_all(fd, out, len + 5);
		return;
	}
	case EV_CUT:
		/* two events, then the connection closes without the last chunk */
		len = strlen(stream_hdr);
		memcpy(out, stream_hdr, len);
		chunk(out, &len, events_body, (size_t)(strstr(events_body, "\n\n") + 2 -
						      events_body));
		send_all(fd, out, len);
		return;
	case EV_SPLIT:
		break;
	}
	/* Chunk boundaries inside lines, then the bytes in odd-sized pieces. */
	len = strlen(stream_hdr);
	memcpy(out, stream_hdr, len);
	for (off = 0; off < body_len;) {
		size_t c = off == 0 ? 10 : 97;

		if (c > body_len - off)
			c = body_len - off;
		chunk(out, &len, events_body + off, c);
		off += c;
	}
	memcpy(out + len, "0\r\n\r\n", 5);
	len += 5;
	dribble(fd, out, len, sizes, sizeof(sizes) / sizeof(sizes[0]));
}

static void
serve_huge(int fd)
{
	static char block[65536];
	const size_t total = 17u * 1024 * 1024;
	char hdr[160];

	memset(block, ' ', sizeof(block));
	snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n", total);
	send_all(fd, hdr, strlen(hdr));
	for (size_t sent = 0; sent < total; sent += sizeof(block)) {
		ssize_t w = send(fd, block, sizeof(block), MSG_NOSIGNAL);

		if (w <= 0)
			return;
	}
}

static void
serve(int fd)
{
	char req[4096] = "", path[1024] = "";
	size_t n = 0;

	while (n < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		ssize_t r = recv(fd, req + n, sizeof(req) - 1 - n, 0);

		if (r <= 0)
			return;
		n += (size_t)r;
		req[n] = '\0';
	}
	if (sscanf(req, "GET %1023s HTTP/1.1", path) != 1) {
		respond(fd, 400, "Bad Request", "{\"message\":\"bad request\"}");
		return;
	}
	pthread_mutex_lock(&fk.mu);
	if (fk.nreq < MAX_REQS)
		snprintf(fk.reqs[fk.nreq++], sizeof(fk.reqs[0]), "%s", path);
	pthread_mutex_unlock(&fk.mu);

	if (strcmp(path, "/version") == 0)
		respond(fd, 200, "OK", fk.version_body);
	else if (strstr(path, "/containers/json"))
		respond(fd, 200, "OK", "[{\"Id\":\"c1\",\"Names\":[\"/warp-a\"]},"
			"{\"Id\":\"c2\",\"Names\":[\"/t1\"]}]");
	else if (strstr(path, "/containers/nope/json"))
		respond(fd, 404, "Not Found", "{\"message\":\"No such container: nope\"}");
	else if (strstr(path, "/containers/boom/json"))
		respond(fd, 500, "Internal Server Error",
			"{\"message\":\"boom: the storage driver failed\"}");
	else if (strstr(path, "/containers/plain500/json"))
		respond(fd, 500, "Internal Server Error", "gateway exploded");
	else if (strstr(path, "/containers/notjson/json"))
		respond(fd, 200, "OK", "{\"Id\": \"notjson\", ");
	else if (strstr(path, "/containers/trailing/json"))
		respond(fd, 200, "OK", "{\"Id\":\"x\"} {\"Id\":\"y\"}");
	else if (strstr(path, "/containers/array/json"))
		respond(fd, 200, "OK", "[]");
	else if (strstr(path, "/containers/huge/json"))
		serve_huge(fd);
	else if (strstr(path, "/containers/") && strstr(path, "/json"))
		respond(fd, 200, "OK", "{\"Id\":\"c1\",\"Name\":\"/warp-a\"}");
	else if (strncmp(path, "/v1.43/events?", 14) == 0 || strncmp(path, "/events?", 8) == 0)
		serve_events(fd);
	else
		respond(fd, 404, "Not Found", "{\"message\":\"page not found\"}");
}

static void *
server(void *arg)
{
	(void)arg;
	while (!fk.stop) {
		struct pollfd p = { .fd = fk.lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(fk.lfd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(fd);
		close(fd);
	}
	return NULL;
}

static int
fake_start(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(fk.path, sizeof(fk.path), "/tmp/cgtdk-%d.sock", (int)getpid());
	unlink(fk.path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", fk.path);
	fk.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fk.lfd < 0 || bind(fk.lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fk.lfd, 8) < 0)
		return -1;
	fk.version_body = "{\"Version\":\"26.1.0\",\"ApiVersion\":\"1.45\","
			  "\"MinAPIVersion\":\"1.24\"}";
	return pthread_create(&fk.th, NULL, server, NULL) == 0 ? 0 : -1;
}

static void
fake_stop(void)
{
	if (fk.lfd < 0)
		return;
	fk.stop = 1;
	pthread_join(fk.th, NULL);
	close(fk.lfd);
	fk.lfd = -1;
	unlink(fk.path);
}

static const char *
last_req(void)
{
	static char r[1024];

	pthread_mutex_lock(&fk.mu);
	snprintf(r, sizeof(r), "%s", fk.nreq ? fk.reqs[fk.nreq - 1] : "");
	pthread_mutex_unlock(&fk.mu);
	return r;
}

static struct cg_docker *
client(void)
{
	char host[160];
	struct cg_docker_opts o = { .host = host, .timeout_ms = 3000 };

	snprintf(host, sizeof(host), "unix://%s", fk.path);
	return cg_docker_new(&o);
}

static struct cg_docker *
negotiated(void)
{
	struct cg_docker *d = client();
	char err[256];

	if (d && cg_docker_negotiate(d, err, sizeof(err)) != 0) {
		printf("\n  negotiate: %s\n", err);
		cg_docker_free(d);
		return NULL;
	}
	return d;
}

static void
test_new(void)
{
	struct cg_docker_opts o = { 0 };
	struct cg_docker *d;

	d = cg_docker_new(NULL); /* default socket; nothing is connected yet */
	CU_ASSERT_PTR_NOT_NULL(d);
	CU_ASSERT_STRING_EQUAL(cg_docker_api_version(d), "");
	cg_docker_free(d);
	cg_docker_free(NULL);
	o.host = "/run/some.sock";
	d = cg_docker_new(&o);
	CU_ASSERT_PTR_NOT_NULL(d);
	cg_docker_free(d);
	o.host = "tcp://127.0.0.1:2375";
	d = cg_docker_new(&o);
	CU_ASSERT_PTR_NOT_NULL(d);
	cg_docker_free(d);
	o.tls_ca = "/nonexistent/ca.pem";
	d = cg_docker_new(&o); /* https; files are read at connect time */
	CU_ASSERT_PTR_NOT_NULL(d);
	cg_docker_free(d);

	static const char *bad[] = { "http://127.0.0.1:2375", "unix://relative.sock", "tcp://",
				     "tcp://h:1/path", "ssh://u@h", "docker.sock" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = (struct cg_docker_opts){ .host = bad[i] };
		errno = 0;
		CU_ASSERT_PTR_NULL(cg_docker_new(&o));
		CU_ASSERT_EQUAL(errno, EINVAL);
	}
	o = (struct cg_docker_opts){ .host = "unix:///run/x.sock", .tls_cert = "c.pem" };
	CU_ASSERT_PTR_NULL(cg_docker_new(&o));
	/* longer than sun_path */
	o = (struct cg_docker_opts){ .host = "/run/a/very/long/path/that/does/not/fit/into/"
					     "sockaddr_un/because/it/has/more/than/one/hundred/"
					     "and/eight/characters/docker.sock" };
	CU_ASSERT_PTR_NULL(cg_docker_new(&o));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* "" is unset (an empty config key), not a file name */
	o = (struct cg_docker_opts){ .host = "unix:///run/x.sock", .tls_ca = "", .tls_key = "" };
	d = cg_docker_new(&o);
	CU_ASSERT_PTR_NOT_NULL(d);
	cg_docker_free(d);
}

static void
test_negotiate(void)
{
	struct cg_docker *d = client();
	json_object *o;
	char err[256] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(cg_docker_negotiate(d, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(last_req(), "/version");
	CU_ASSERT_STRING_EQUAL(cg_docker_api_version(d), "1.43"); /* min(1.45, ours) */
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "c1", &o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(last_req(), "/v1.43/containers/c1/json");
	json_object_put(o);

	fk.version_body = "{\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12\"}";
	CU_ASSERT_EQUAL(cg_docker_negotiate(d, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cg_docker_api_version(d), "1.41");
	CU_ASSERT_EQUAL(cg_docker_list_containers(d, &o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(last_req(), "/v1.41/containers/json");
	json_object_put(o);

	fk.version_body = "{\"ApiVersion\":\"1.12\"}";
	CU_ASSERT_EQUAL(cg_docker_negotiate(d, err, sizeof(err)), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1.12"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "minimum 1.24"));
	fk.version_body = "{\"ApiVersion\":\"1.50\",\"MinAPIVersion\":\"1.44\"}";
	CU_ASSERT_EQUAL(cg_docker_negotiate(d, err, sizeof(err)), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs API 1.44"));
	fk.version_body = "{\"ApiVersion\":\"one\"}";
	CU_ASSERT_EQUAL(cg_docker_negotiate(d, err, sizeof(err)), -EPROTO);
	fk.version_body = "{\"ApiVersion\":1.41}";
	CU_ASSERT_EQUAL(cg_docker_negotiate(d, err, sizeof(err)), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "GET /version"));
	/* the earlier negotiated version stays */
	CU_ASSERT_STRING_EQUAL(cg_docker_api_version(d), "1.41");
	fk.version_body = "{\"ApiVersion\":\"1.45\",\"MinAPIVersion\":\"1.24\"}";
	cg_docker_free(d);
}

static void
test_requests(void)
{
	struct cg_docker *d = negotiated();
	json_object *o = NULL;
	char err[256] = "";
	int nreq;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(cg_docker_list_containers(d, &o, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(json_object_is_type(o, json_type_array));
	CU_ASSERT_EQUAL(json_object_array_length(o), 2);
	json_object_put(o);

	CU_ASSERT_EQUAL(cg_docker_inspect(d, "nope", &o, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NULL(o);
	CU_ASSERT_STRING_EQUAL(err, "inspect nope: HTTP 404: No such container: nope");
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "boom", &o, err, sizeof(err)), -EIO);
	CU_ASSERT_STRING_EQUAL(err, "inspect boom: HTTP 500: boom: the storage driver failed");
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "plain500", &o, err, sizeof(err)), -EIO);
	CU_ASSERT_STRING_EQUAL(err, "inspect plain500: HTTP 500: gateway exploded");
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "notjson", &o, err, sizeof(err)), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not valid JSON"));
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "trailing", &o, err, sizeof(err)), -EPROTO);
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "array", &o, err, sizeof(err)), -EPROTO);
	CU_ASSERT_PTR_NULL(o);
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "huge", &o, err, sizeof(err)), -EFBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "larger than"));
	CU_ASSERT_PTR_NULL(o);

	/* Names that could bend the URL never reach the server. */
	nreq = fk.nreq;
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "../../version", &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "a?b", &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "", &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_docker_inspect(d, NULL, &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(fk.nreq, nreq);

	/* The client still works after all that. */
	CU_ASSERT_EQUAL(cg_docker_inspect(d, "c1", &o, err, sizeof(err)), 0);
	json_object_put(o);
	cg_docker_free(d);
}

static void
test_no_server(void)
{
	struct cg_docker_opts o = { .host = "unix:///tmp/cgtdk-nonexistent.sock" };
	struct cg_docker *d = cg_docker_new(&o);
	char err[256] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(cg_docker_negotiate(d, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "GET /version: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/tmp/cgtdk-nonexistent.sock"));
	cg_docker_free(d);
	/* loopback port 1: nothing listens there */
	o.host = "tcp://127.0.0.1:1";
	d = cg_docker_new(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(cg_docker_negotiate(d, err, sizeof(err)), -ECONNREFUSED);
	cg_docker_free(d);
}

struct ev_log {
	int n, stop_at, stop_rc;
	struct cg_docker_event ev[16];
	bool stop;
	struct timespec deadline;
};

static int
on_event(const struct cg_docker_event *ev, void *arg)
{
	struct ev_log *l = arg;

	if (l->n < 16)
		l->ev[l->n] = *ev;
	l->n++;
	if (l->stop_at && l->n == l->stop_at)
		return l->stop_rc;
	return 0;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double stop_at_time;

static bool
stop_after_time(void *arg)
{
	(void)arg;
	return now_s() >= stop_at_time;
}

static void
test_events_split_and_clean_end(void)
{
	struct cg_docker *d = negotiated();
	struct ev_log l = { 0 };
	char err[256] = "";
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	fk.ev_mode = EV_SPLIT;
	rc = cg_docker_events(d, 1700000000000000123LL, on_event, NULL, &l, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, 0); /* the server ended the stream */
	CU_ASSERT_EQUAL(l.n, EVENTS_GOOD);
	if (l.n == EVENTS_GOOD) {
		CU_ASSERT_EQUAL(l.ev[0].type, CG_DOCKER_EV_NETWORK);
		CU_ASSERT_STRING_EQUAL(l.ev[0].action, "connect");
		CU_ASSERT_STRING_EQUAL(l.ev[0].id, "c1");
		CU_ASSERT_STRING_EQUAL(l.ev[0].network, "cgnet1");
		CU_ASSERT_STRING_EQUAL(l.ev[1].action, "start");
		CU_ASSERT_STRING_EQUAL(l.ev[1].name, "warp-a");
		CU_ASSERT_STRING_EQUAL(l.ev[2].action, "die"); /* the \r\n line */
		CU_ASSERT_STRING_EQUAL(l.ev[2].id, "c2");
		CU_ASSERT_STRING_EQUAL(l.ev[3].action, "disconnect");
		CU_ASSERT_STRING_EQUAL(l.ev[4].action, "restart");
		for (int i = 0; i < EVENTS_GOOD; i++)
			CU_ASSERT_EQUAL(l.ev[i].time_nano, 1700000000000000001LL + i);
	}
	/* since with nanoseconds, filters as URL-encoded JSON */
	CU_ASSERT_PTR_NOT_NULL(strstr(last_req(), "/v1.43/events?since=1700000000.000000123&"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_req(), "filters=%7B%22type%22%3A%5B%22container%22"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_req(), "%22disconnect%22"));

	/* 0 = from now: no since at all */
	l.n = 0;
	CU_ASSERT_EQUAL(cg_docker_events(d, 0, on_event, NULL, &l, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(l.n, EVENTS_GOOD);
	CU_ASSERT_PTR_NULL(strstr(last_req(), "since="));
	cg_docker_free(d);
}

static void
test_events_stop_idle(void)
{
	struct cg_docker *d = negotiated();
	struct ev_log l = { 0 };
	char err[256] = "";
	double t0, took;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	fk.ev_mode = EV_IDLE;
	t0 = now_s();
	stop_at_time = t0 + 0.5;
	rc = cg_docker_events(d, 0, on_event, stop_after_time, &l, err, sizeof(err));
	took = now_s() - t0;
	CU_ASSERT_EQUAL(rc, -ECANCELED);
	CU_ASSERT_EQUAL(l.n, 1);      /* the event before the silence */
	/* should_stop is polled every 200 ms even with no data flowing */
	CU_ASSERT(took >= 0.5 && took < 0.5 + 0.2 + 0.15);
	if (!(took < 0.85))
		printf("\n  stopping an idle stream took %.3f s\n", took);
	cg_docker_free(d);
}

static void
test_events_cb_stops(void)
{
	struct cg_docker *d = negotiated();
	struct ev_log l = { .stop_at = 2, .stop_rc = -42 };
	char err[256] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	fk.ev_mode = EV_SPLIT;
	CU_ASSERT_EQUAL(cg_docker_events(d, 0, on_event, NULL, &l, err, sizeof(err)), -42);
	CU_ASSERT_EQUAL(l.n, 2);
	cg_docker_free(d);
}

static void
test_events_errors(void)
{
	struct cg_docker *d = negotiated();
	struct ev_log l = { 0 };
	char err[256] = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	fk.ev_mode = EV_ERROR;
	CU_ASSERT_EQUAL(cg_docker_events(d, 0, on_event, NULL, &l, err, sizeof(err)), -EIO);
	CU_ASSERT_STRING_EQUAL(err, "events: HTTP 500: events: daemon is shutting down");
	CU_ASSERT_EQUAL(l.n, 0);

	/* an over-long line is skipped; what follows still arrives */
	fk.ev_mode = EV_LONGLINE;
	l.n = 0;
	CU_ASSERT_EQUAL(cg_docker_events(d, 0, on_event, NULL, &l, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(l.n, 1 + EVENTS_GOOD - 1);
	CU_ASSERT_STRING_EQUAL(l.ev[0].action, "connect");
	CU_ASSERT_STRING_EQUAL(l.ev[1].action, "start");
	/* dockerd shutting down: the stream is cut, not ended */
	fk.ev_mode = EV_CUT;
	l.n = 0;
	CU_ASSERT_EQUAL(cg_docker_events(d, 0, on_event, NULL, &l, err, sizeof(err)),
			-ECONNRESET);
	CU_ASSERT_EQUAL(l.n, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mid-transfer"));
	CU_ASSERT_EQUAL(cg_docker_events(NULL, 0, on_event, NULL, &l, err, sizeof(err)), -EINVAL);
	cg_docker_free(d);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_new),
		CG_UNIT_TEST(test_negotiate),
		CG_UNIT_TEST(test_requests),
		CG_UNIT_TEST(test_no_server),
		CG_UNIT_TEST(test_events_split_and_clean_end),
		CG_UNIT_TEST(test_events_stop_idle),
		CG_UNIT_TEST(test_events_cb_stops),
		CG_UNIT_TEST(test_events_errors),
		CG_UNIT_END,
	};
	int rc;

	if (fake_start() != 0) {
		perror("fake docker server");
		return 1;
	}
	rc = cg_unit_run("docker_client", tests);
	fake_stop();
	return rc;
}
