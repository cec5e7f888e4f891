/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http on a real loopback socket: GET, HEAD, 404, 405, a body larger
 * than any first guess, a slow client that does not hold up another, the
 * idle timeout that drops it, and dripping clients (a byte every 300 ms of a
 * request line that never ends, which the idle timeout alone never drops):
 * probes are answered meanwhile, each within PROBE_MAX_MS, and the drippers
 * are cut at the deadline; one address cannot take every slot; and when
 * drippers from many addresses do take every slot, the deadline frees them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cg_http.h"
#include "../cg_unit.h"

#define BIG_LINES 20000
/* The test server's idle timeout and deadline. */
#define TIMEOUT_S 2
#define DEADLINE_S 2
/* A dripper sends one byte this often: well inside the idle timeout. */
#define DRIP_MS 300
/* How late after its deadline a dripper may be cut (the watchdog wakes at the
 * deadline; the rest is scheduling on a loaded 2-core machine). */
#define CUT_SLACK_MS 1500
/*
 * Probes while drippers hold connections, start to end: the median within
 * PROBE_MEDIAN_MS (the bound issue 14 sets for /healthz; an answer takes
 * about 1 ms on an idle machine), and every one within PROBE_MAX_MS. A probe
 * served only after a dripper would take the 2 s deadline or more, so either
 * bound proves concurrency; the wider one for each probe leaves room for a
 * scheduling stall on a loaded 2-core machine (seen: 108 ms at load 9).
 */
#define PROBE_MEDIAN_MS 100
#define PROBE_MAX_MS 1000
#define PROBE_EVERY_MS 100
#define MAX_PROBES 64

static struct cg_http *h;

static int
handler(void *arg, const char *path, struct cg_http_buf *b, const char **ctype)
{
	(void)arg;
	*ctype = "text/plain";
	if (strcmp(path, "/hello") == 0) {
		cg_http_printf(b, "hello %s\n", "world");
		return 200;
	}
	if (strcmp(path, "/big") == 0) {
		for (int i = 0; i < BIG_LINES; i++)
			cg_http_printf(b, "line %05d\n", i);
		return 200;
	}
	if (strcmp(path, "/down") == 0) {
		*ctype = "application/json";
		cg_http_printf(b, "{\"status\":\"down\"}\n");
		return 503;
	}
	cg_http_printf(b, "no\n");
	return 404;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect from 127.0.0.<src> (loopback holds all of 127/8), or from any address if 0. */
static int
connect_from(unsigned int src)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cg_http_port(h)) };
	struct sockaddr_in s = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.sin_addr.s_addr = htonl(INADDR_LOOPBACK & 0xffffff00u) | htonl(src);
	if (fd >= 0 && src != 0 && bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0) {
		close(fd);
		return -1;
	}
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
connect_to(void)
{
	return connect_from(0);
}

/* Send @p req and read the whole answer (the request asks to close). */
static char *
exchange(const char *req, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap + 1);
	int fd = connect_to();

	*len = 0;
	if (buf == NULL || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			break;
		r = read(fd, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static char *
get(const char *method, const char *path, size_t *len)
{
	char req[256];

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		 method, path);
	return exchange(req, len);
}

static void
test_get_head_errors(void)
{
	size_t len;
	char *r;

	/* Each answer: its status line, and what it must and must not contain. */
	static const struct {
		const char *method, *path, *status, *has[3], *lacks;
	} cases[] = {
		{ "GET", "/hello", "HTTP/1.1 200", { "Content-Type: text/plain\r\n",
		  "Content-Length: 12\r\n", "\r\n\r\nhello world\n" }, NULL },
		/* HEAD: the headers of GET (same length), no body. */
		{ "HEAD", "/hello", "HTTP/1.1 200", { "Content-Length: 12\r\n" }, "hello world" },
		{ "GET", "/down", "HTTP/1.1 503", { "application/json" }, NULL },
		{ "GET", "/nothing", "HTTP/1.1 404", { NULL }, NULL },
		{ "DELETE", "/hello", "HTTP/1.1 405", { NULL }, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = get(cases[i].method, cases[i].path, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		CU_ASSERT_EQUAL(strncmp(r, cases[i].status, 12), 0);
		for (size_t k = 0; k < 3 && cases[i].has[k] != NULL; k++)
			CU_ASSERT_PTR_NOT_NULL(strstr(r, cases[i].has[k]));
		if (cases[i].lacks != NULL)
			CU_ASSERT_PTR_NULL(strstr(r, cases[i].lacks));
		free(r);
	}

	r = exchange("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		     "Connection: close\r\n\r\nabcde", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(strncmp(r, "HTTP/1.1 405", 12), 0);
	free(r);

	/* Not HTTP at all: an error answer or a closed connection, never a hang. */
	r = exchange("\x01\x02 garbage\r\n\r\n", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT(len == 0 || strncmp(r, "HTTP/1.1 4", 10) == 0);
	free(r);
}

/* A body far beyond the buffer's first size arrives whole. */
static void
test_big_body(void)
{
	char want[32];
	size_t len;
	char *r = get("GET", "/big", &len), *body;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	body = strstr(r, "\r\n\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	body += 4;
	CU_ASSERT_EQUAL(strlen(body), (size_t)BIG_LINES * 11);
	snprintf(want, sizeof(want), "line %05d\n", BIG_LINES - 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(body, want));
	free(r);
}

/*
 * A client that sends half a request and then nothing holds a connection,
 * not the server: other requests are answered at once, and the idle one is
 * dropped after the timeout.
 */
static void
test_slow_client(void)
{
	struct timespec t0, t1;
	struct pollfd p;
	size_t len;
	char buf[64], *r;
	int slow = connect_to();

	CU_ASSERT_FATAL(slow >= 0);
	CU_ASSERT_EQUAL(write(slow, "GET /hel", 8), 8);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 5; i++) {
		r = get("GET", "/hello", &len);
		CU_ASSERT_PTR_NOT_NULL(r);
		if (r != NULL)
			CU_ASSERT_EQUAL(strncmp(r, "HTTP/1.1 200", 12), 0);
		free(r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Far below the 2 s idle timeout (whole seconds alone fail when a second
	 * boundary falls between t0 and t1). */
	CU_ASSERT((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);

	/* The server closes the idle connection (EOF) within the timeout and a bit. */
	p = (struct pollfd){ .fd = slow, .events = POLLIN };
	CU_ASSERT_EQUAL(poll(&p, 1, 6000), 1);
	CU_ASSERT(read(slow, buf, sizeof(buf)) <= 0 || strncmp(buf, "HTTP/1.1 4", 10) == 0);
	close(slow);
}

/* A client that sends a request line one byte at a time, for ever. */
struct drip {
	int fd;
	int64_t t0;
	int64_t last_ms;	/* its last byte */
	int64_t cut_ms;	/* after t0, when the server closed it; -1 while open */
};

static void
drip_open(struct drip *d, unsigned int src)
{
	d->t0 = d->last_ms = now_ms();
	d->cut_ms = -1;
	d->fd = connect_from(src);
	CU_ASSERT_FATAL(d->fd >= 0);
	if (send(d->fd, "GET /", 5, MSG_NOSIGNAL) != 5)
		d->cut_ms = now_ms() - d->t0;
}

/* One more byte if DRIP_MS passed, unless the server has closed it (EOF, reset, or an
 * error answer). */
static void
drip_tick(struct drip *d)
{
	struct pollfd p = { .fd = d->fd, .events = POLLIN };
	char buf[256];

	if (d->cut_ms >= 0)
		return;
	if (poll(&p, 1, 0) == 1) {
		ssize_t r = read(d->fd, buf, sizeof(buf) - 1);

		if (r > 0) {
			buf[r] = '\0';
			/* An answer can only be an error: the request never ends. */
			CU_ASSERT_EQUAL(strncmp(buf, "HTTP/1.1 4", 10), 0);
		}
		d->cut_ms = now_ms() - d->t0;
		return;
	}
	if (now_ms() - d->last_ms < DRIP_MS)
		return;
	d->last_ms = now_ms();
	if (send(d->fd, "a", 1, MSG_NOSIGNAL) != 1)
		d->cut_ms = now_ms() - d->t0;
}

static void
drip_close(struct drip *d, int n)
{
	for (int i = 0; i < n; i++)
		close(d[i].fd);
}

/* GET /hello, connection to close; its time in ms, or -1 if not answered 200. */
static int64_t
probe(void)
{
	int64_t t0 = now_ms();
	size_t len;
	char *r = get("GET", "/hello", &len);
	int ok = r != NULL && strncmp(r, "HTTP/1.1 200", 12) == 0;

	free(r);
	return ok ? now_ms() - t0 : -1;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Drip on every dripper and probe every PROBE_EVERY_MS until all drippers are
 * cut or their deadline and the slack have passed. Probes must all succeed,
 * the median and the slowest within their bounds; says what it measured.
 */
static void
drip_and_probe(struct drip *d, int n, const char *what)
{
	int64_t end = now_ms() + DEADLINE_S * 1000 + CUT_SLACK_MS, t[MAX_PROBES];
	int open, probes = 0;

	do {
		open = 0;
		for (int i = 0; i < n; i++) {
			drip_tick(&d[i]);
			open += d[i].cut_ms < 0;
		}
		if (open == 0)
			break;
		t[probes] = probe();
		CU_ASSERT(t[probes] >= 0);
		probes++;
		usleep(PROBE_EVERY_MS * 1000);
	} while (now_ms() < end && probes < MAX_PROBES);
	CU_ASSERT_FATAL(probes >= 3);
	qsort(t, (size_t)probes, sizeof(t[0]), cmp_i64);
	printf("\n    %s: %d probes while dripping, median %lld ms, slowest %lld ms ", what,
	       probes, (long long)t[probes / 2], (long long)t[probes - 1]);
	CU_ASSERT(t[probes / 2] < PROBE_MEDIAN_MS);
	CU_ASSERT(t[probes - 1] < PROBE_MAX_MS);
}

/*
 * One dripper: libmicrohttpd's idle timeout alone never drops it (each byte
 * restarts it). Probes are answered meanwhile, and the deadline cuts it.
 */
static void
test_dripper(void)
{
	struct drip d;

	drip_open(&d, 0);
	drip_and_probe(&d, 1, "1 dripper");
	printf("cut after %lld ms ", (long long)d.cut_ms);
	/* Cut, and by the deadline, not before it nor by the idle timeout. */
	CU_ASSERT(d.cut_ms >= DEADLINE_S * 1000 - 100);
	CU_ASSERT(d.cut_ms <= DEADLINE_S * 1000 + CUT_SLACK_MS);
	drip_close(&d, 1);
}

/*
 * A kept-alive connection asking again and again, each request whole and
 * answered at once: cut at the deadline from its start all the same (it
 * once got a new deadline with every answer, and held its slot for ever).
 */
static void
test_keepalive_repeater(void)
{
	static const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
	int64_t t0 = now_ms(), cut = -1;
	int fd = connect_to(), answers = 0;
	char buf[4096];

	CU_ASSERT_FATAL(fd >= 0);
	while (now_ms() - t0 < DEADLINE_S * 1000 + CUT_SLACK_MS) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1) ||
		    poll(&p, 1, 1000) <= 0 || (r = read(fd, buf, sizeof(buf))) <= 0) {
			cut = now_ms() - t0;
			break;
		}
		answers += strncmp(buf, "HTTP/1.1 200", 12) == 0;
		usleep(DRIP_MS * 1000);
	}
	close(fd);
	printf("%d answers, cut after %lld ms ", answers, (long long)cut);
	CU_ASSERT(answers >= 2);
	CU_ASSERT(cut >= DEADLINE_S * 1000 - 100);
	CU_ASSERT(cut >= 0 && cut <= DEADLINE_S * 1000 + CUT_SLACK_MS);
}

/*
 * As many drippers as the server has connections, all from one address
 * (127.0.0.2): that address gets half the slots, the others are refused;
 * probes from 127.0.0.1 are answered meanwhile; the held ones are cut
 * at the deadline.
 */
static void
test_drippers_one_host(void)
{
	struct drip d[CG_HTTP_MAX_CONNS];
	int held = 0;

	for (int i = 0; i < CG_HTTP_MAX_CONNS; i++)
		drip_open(&d[i], 2);
	drip_and_probe(d, CG_HTTP_MAX_CONNS, "32 drippers from one address");
	for (int i = 0; i < CG_HTTP_MAX_CONNS; i++) {
		if (d[i].cut_ms >= DEADLINE_S * 1000 - 100) {
			held++;
			CU_ASSERT(d[i].cut_ms <= DEADLINE_S * 1000 + CUT_SLACK_MS);
		} else {
			/* Refused: closed as soon as the server accepts it (it may sit in the
			 * listen backlog a while), unanswered. */
			CU_ASSERT(d[i].cut_ms >= 0);
		}
	}
	printf("%d held until the deadline ", held);
	CU_ASSERT_EQUAL(held, CG_HTTP_MAX_CONNS / 2);
	drip_close(d, CG_HTTP_MAX_CONNS);
}

/*
 * Drippers from as many addresses as there are slots take them all: a probe
 * then waits, but only until the deadline cuts the drippers (without it, it
 * would wait for ever). A server of its own with 4 slots, so that no
 * connection left over from another test takes one.
 */
#define FEW_CONNS 4
static void
test_drippers_every_slot(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct cg_http_opts o = { .addr = (struct sockaddr *)&a, .addrlen = sizeof(a),
				  .handler = handler, .timeout_s = TIMEOUT_S,
				  .deadline_s = DEADLINE_S, .max_conns = FEW_CONNS };
	struct cg_http *main_server = h;
	struct drip d[FEW_CONNS];
	int64_t t = -1;
	char err[256];
	int open = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h = cg_http_start(&o, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (int i = 0; i < FEW_CONNS; i++)
		drip_open(&d[i], 10 + (unsigned int)i);
	usleep(DRIP_MS * 1000);
	for (int i = 0; i < FEW_CONNS; i++) {
		drip_tick(&d[i]);
		open += d[i].cut_ms < 0;
	}
	CU_ASSERT_EQUAL(open, FEW_CONNS); /* every slot is taken */
	/* A probe, dripping on while it waits (a probe refused, closed unanswered, is sent
	 * again), until it is answered. */
	while (t < 0 && now_ms() - d[0].t0 < DEADLINE_S * 1000 + CUT_SLACK_MS) {
		static const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
		int fd = connect_to();
		char buf[64];
		ssize_t r = 0;

		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_EQUAL(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(req) - 1);
		while (now_ms() - d[0].t0 < DEADLINE_S * 1000 + CUT_SLACK_MS) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			for (int i = 0; i < FEW_CONNS; i++)
				drip_tick(&d[i]);
			if (poll(&p, 1, 50) == 1) {
				r = read(fd, buf, sizeof(buf) - 1);
				break;
			}
		}
		close(fd);
		if (r > 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0)
			t = 0;
		else
			usleep(50 * 1000);
	}
	CU_ASSERT(t == 0);
	t = now_ms() - d[0].t0;
	printf("\n    every slot dripped on: a probe answered %lld ms after the first dripper ",
	       (long long)t);
	/* Not before the deadline (the slots were full), not long after it. */
	CU_ASSERT(t >= DEADLINE_S * 1000 - 100);
	CU_ASSERT(t <= DEADLINE_S * 1000 + CUT_SLACK_MS);
	/* The others are cut at their own deadlines, a few ms apart. */
	for (int open = FEW_CONNS; open > 0 &&
	     now_ms() - d[0].t0 < DEADLINE_S * 1000 + CUT_SLACK_MS; usleep(10 * 1000)) {
		open = 0;
		for (int i = 0; i < FEW_CONNS; i++) {
			drip_tick(&d[i]);
			open += d[i].cut_ms < 0;
		}
	}
	for (int i = 0; i < FEW_CONNS; i++)
		CU_ASSERT(d[i].cut_ms >= DEADLINE_S * 1000 - 100);
	drip_close(d, FEW_CONNS);
	cg_http_stop(h);
	h = main_server;
}

static void
test_bind_errors(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cg_http_port(h)) };
	struct cg_http_opts o = { .addr = (struct sockaddr *)&a, .addrlen = sizeof(a),
				  .handler = handler };
	char err[256] = "";

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_PTR_NULL(cg_http_start(&o, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, EADDRINUSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "127.0.0.1:"));
	cg_http_stop(NULL);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_get_head_errors),
		CG_UNIT_TEST(test_big_body),
		CG_UNIT_TEST(test_slow_client),
		CG_UNIT_TEST(test_dripper),
		CG_UNIT_TEST(test_keepalive_repeater),
		CG_UNIT_TEST(test_drippers_one_host),
		CG_UNIT_TEST(test_drippers_every_slot),
		CG_UNIT_TEST(test_bind_errors),
		CG_UNIT_END,
	};
	struct sockaddr_in a = { .sin_family = AF_INET }; /* port 0: any free one */
	struct cg_http_opts o = { .addr = (struct sockaddr *)&a, .addrlen = sizeof(a),
				  .handler = handler, .timeout_s = TIMEOUT_S,
				  .deadline_s = DEADLINE_S };
	char err[256];
	int rc;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h = cg_http_start(&o, err, sizeof(err));
	if (h == NULL) {
		fprintf(stderr, "cg_http_start: %s\n", err);
		return 1;
	}
	rc = cg_unit_run("http", tests);
	cg_http_stop(h);
	return rc;
}
