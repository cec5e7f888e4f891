/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http on a real loopback socket: GET, HEAD, 404, 405, a body larger
 * than any first guess, a slow client that does not hold up another, and the
 * idle timeout that drops it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "cg_http.h"
#include "../cg_unit.h"

#define BIG_LINES 20000

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

static int
connect_to(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(cg_http_port(h)) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
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
		CG_UNIT_TEST(test_bind_errors),
		CG_UNIT_END,
	};
	struct sockaddr_in a = { .sin_family = AF_INET }; /* port 0: any free one */
	struct cg_http_opts o = { .addr = (struct sockaddr *)&a, .addrlen = sizeof(a),
				  .handler = handler, .timeout_s = 2 };
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
