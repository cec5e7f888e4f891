/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Docker Engine API transport: libcurl over a Unix socket or TCP (+TLS),
 * version negotiation, JSON requests and the /events stream.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <curl/curl.h>

#include "cg_log.h"
#include "cg_docker.h"
#include "cg_util.h"

/* Far above any real answer (a few hundred containers ~ 1 MiB), small enough
 * that a broken or hostile server cannot exhaust our memory. */
#define RESP_MAX (16u * 1024 * 1024)
/* One event is under 2 KiB; labels can make it bigger, not megabytes. */
#define EVENT_LINE_MAX (1024u * 1024)
/* The events contract: should_stop is polled at least this often. */
#define EVENTS_POLL_MS 200
/* What we keep of a non-2xx answer to the event request. */
#define ERRBODY_MAX 4096u
#define DEFAULT_TIMEOUT_MS 10000L
#define DEFAULT_HOST "unix:///var/run/docker.sock"
#define UNIX_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* The event filters castgate-warp needs, as the API's JSON filter map. */
#define EVENT_FILTERS \
	"{\"type\":[\"container\",\"network\"]," \
	"\"event\":[\"start\",\"restart\",\"die\",\"stop\",\"rename\",\"destroy\"," \
	"\"connect\",\"disconnect\"]}"

struct cg_docker {
	CURL *curl;
	char *base;          /* "http://localhost", "http://h:p" or "https://h:p" */
	char *unix_path;     /* NULL for tcp */
	char *tls_ca, *tls_cert, *tls_key;
	long timeout_ms;
	bool (*cancel)(void *arg);
	void *cancel_arg;
	bool global_init;    /* curl_global_init() to be matched */
	char api[16];        /* "1.43", "" before negotiation */
};

struct buf {
	char *p;
	size_t len, cap;
	bool too_big;
};

static int
buf_append(struct buf *b, const char *data, size_t n, size_t max)
{
	if (b->len + n + 1 > max) {
		b->too_big = true;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* A copy of an optional string; NULL and "" (an unset config key) are both unset. */
static char *
dup_opt(const char *s, bool *fail)
{
	char *d;

	if (s == NULL || s[0] == '\0')
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*fail = true;
	return d;
}

struct cg_docker *
cg_docker_new(const struct cg_docker_opts *o)
{
	static const struct cg_docker_opts defaults = { 0 };
	struct cg_docker *d;
	const char *host, *path = NULL;
	bool fail = false, tls;

	if (o == NULL)
		o = &defaults;
	host = o->host && o->host[0] ? o->host : DEFAULT_HOST;
	tls = (o->tls_ca && o->tls_ca[0]) || (o->tls_cert && o->tls_cert[0]) ||
	      (o->tls_key && o->tls_key[0]);
	if (strncmp(host, "unix://", 7) == 0 || host[0] == '/') {
		path = host[0] == '/' ? host : host + 7;
		/* An absolute path that fits in sockaddr_un.sun_path; no TLS on it. */
		if (path[0] != '/' || strlen(path) >= UNIX_PATH_MAX || tls) {
			errno = EINVAL;
			return NULL;
		}
	} else if (strncmp(host, "tcp://", 6) != 0 || host[6] == '\0' ||
		   strpbrk(host + 6, "/?#@ ") != NULL) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	d->cancel = o->cancel;
	d->cancel_arg = o->cancel_arg;
	if (path != NULL) {
		d->unix_path = dup_opt(path, &fail);
		/* The host part is ignored on a Unix socket but must be valid. */
		d->base = dup_opt("http://localhost", &fail);
	} else {
		size_t n = strlen(host) + 8;

		d->base = malloc(n);
		if (d->base == NULL)
			fail = true;
		else
			snprintf(d->base, n, "%s://%s", tls ? "https" : "http", host + 6);
		d->tls_ca = dup_opt(o->tls_ca, &fail);
		d->tls_cert = dup_opt(o->tls_cert, &fail);
		d->tls_key = dup_opt(o->tls_key, &fail);
	}
	/* Reference-counted by libcurl; matched in cg_docker_free(). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		d->curl = NULL;
		fail = true;
	} else {
		d->global_init = true;
		d->curl = curl_easy_init();
	}
	if (fail || d->curl == NULL) {
		cg_docker_free(d);
		errno = ENOMEM;
		return NULL;
	}
	return d;
}

void
cg_docker_free(struct cg_docker *d)
{
	if (d == NULL)
		return;
	if (d->curl)
		curl_easy_cleanup(d->curl);
	if (d->global_init)
		curl_global_cleanup();
	free(d->base);
	free(d->unix_path);
	free(d->tls_ca);
	free(d->tls_cert);
	free(d->tls_key);
	free(d);
}

const char *
cg_docker_api_version(const struct cg_docker *d)
{
	return d ? d->api : "";
}

/* "1.41" -> 1041; -1 when malformed. */
static int
api_num(const char *v)
{
	unsigned int maj, min;
	char tail;

	if (v == NULL || sscanf(v, "%u.%u%c", &maj, &min, &tail) != 2 || maj > 99 || min > 999)
		return -1;
	return (int)(maj * 1000 + min);
}

static size_t
write_body(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_append(b, data, size * n, RESP_MAX) < 0)
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	return size * n;
}

/* curl's progress callback: non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int
xfer_cancel(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
	    curl_off_t ulnow)
{
	struct cg_docker *d = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return d->cancel(d->cancel_arg) ? 1 : 0;
}

static int
setup(struct cg_docker *d, const char *path, bool versioned, long timeout_ms)
{
	char url[1024];
	int n;

	if (versioned && d->api[0])
		n = snprintf(url, sizeof(url), "%s/v%s%s", d->base, d->api, path);
	else
		n = snprintf(url, sizeof(url), "%s%s", d->base, path);
	if (n < 0 || (size_t)n >= sizeof(url))
		return -ENAMETOOLONG;
	curl_easy_reset(d->curl);
	if (curl_easy_setopt(d->curl, CURLOPT_URL, url) != CURLE_OK)
		return -ENOMEM;
	curl_easy_setopt(d->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(d->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(d->curl, CURLOPT_CONNECTTIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(d->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(d->curl, CURLOPT_USERAGENT, "castgate/" CG_VERSION);
	if (d->unix_path)
		curl_easy_setopt(d->curl, CURLOPT_UNIX_SOCKET_PATH, d->unix_path);
	if (d->cancel) {
		curl_easy_setopt(d->curl, CURLOPT_XFERINFOFUNCTION, xfer_cancel);
		curl_easy_setopt(d->curl, CURLOPT_XFERINFODATA, d);
		curl_easy_setopt(d->curl, CURLOPT_NOPROGRESS, 0L);
	}
	if (d->tls_ca)
		curl_easy_setopt(d->curl, CURLOPT_CAINFO, d->tls_ca);
	if (d->tls_cert)
		curl_easy_setopt(d->curl, CURLOPT_SSLCERT, d->tls_cert);
	if (d->tls_key)
		curl_easy_setopt(d->curl, CURLOPT_SSLKEY, d->tls_key);
	return 0;
}

/* A curl failure as a negative errno, with the OS's errno when curl has one. */
static int
curl_errno(struct cg_docker *d, CURLcode cc)
{
	long os = 0;

	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(d->curl, CURLINFO_OS_ERRNO, &os);
		return os > 0 ? -(int)os : -ECONNREFUSED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return -EPROTO;
	default:
		return -EIO;
	}
}

/* The "message" of a Docker error body, or a short excerpt of it. */
static void
http_error(const char *what, long code, const struct buf *body, char *err, size_t errlen)
{
	json_object *o = body->p ? json_tokener_parse(body->p) : NULL;
	json_object *m;

	if (o && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "message", &m) && json_object_is_type(m, json_type_string))
		cg_util_err(err, errlen, 0,
			    "%s: HTTP %ld: %s", what, code, json_object_get_string(m));
	else
		cg_util_err(err, errlen, 0, "%s: HTTP %ld: %.200s", what, code,
		       body->p && body->p[0] ? body->p : "(no body)");
	json_object_put(o);
}

static int
http_status(long code)
{
	if (code >= 200 && code < 300)
		return 0;
	return code == 404 ? -ENOENT : -EIO;
}

/* Parse a whole body as one JSON value: trailing garbage is an error. */
static json_object *
parse_body(const struct buf *b)
{
	struct json_tokener *tok;
	json_object *o;

	if (b->p == NULL)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, b->p, (int)b->len);
	if (o != NULL && json_tokener_get_error(tok) == json_tokener_success) {
		size_t off = json_tokener_get_parse_end(tok);

		while (off < b->len && strchr(" \t\r\n", b->p[off]))
			off++;
		if (off != b->len) {
			json_object_put(o);
			o = NULL;
		}
	} else {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static int
get_json(struct cg_docker *d, const char *path, bool versioned, const char *what,
	 json_object **out, char *err, size_t errlen)
{
	struct buf body = { 0 };
	long code = 0;
	CURLcode cc;
	int rc;

	*out = NULL;
	rc = setup(d, path, versioned, d->timeout_ms);
	if (rc < 0)
		return cg_util_err(err, errlen, rc, "%s: %s", what, strerror(-rc));
	curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, &body);
	cc = curl_easy_perform(d->curl);
	if (cc != CURLE_OK) {
		if (body.too_big) {
			cg_util_err(err, errlen, 0,
				    "%s: response larger than %u bytes", what, RESP_MAX);
			rc = -EFBIG;
		} else {
			rc = curl_errno(d, cc);
			cg_util_err(err, errlen, 0, "%s: %s%s%s", what, curl_easy_strerror(cc),
			       d->unix_path ? " on " : "", d->unix_path ? d->unix_path : "");
		}
		buf_free(&body);
		return rc;
	}
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &code);
	rc = http_status(code);
	if (rc < 0) {
		http_error(what, code, &body, err, errlen);
		buf_free(&body);
		return rc;
	}
	*out = parse_body(&body);
	buf_free(&body);
	if (*out == NULL)
		return cg_util_err(err, errlen, -EPROTO,
				   "%s: HTTP %ld: the answer is not valid JSON", what, code);
	return 0;
}

int
cg_docker_negotiate(struct cg_docker *d, char *err, size_t errlen)
{
	json_object *o, *v;
	const char *srv, *srv_min = NULL;
	int rc, n;

	rc = get_json(d, "/version", false, "GET /version", &o, err, errlen);
	if (rc < 0)
		return rc;
	if (!json_object_object_get_ex(o, "ApiVersion", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (n = api_num(srv = json_object_get_string(v))) < 0) {
		cg_util_err(err, errlen, 0, "GET /version: ApiVersion missing or malformed");
		json_object_put(o);
		return -EPROTO;
	}
	if (json_object_object_get_ex(o, "MinAPIVersion", &v) &&
	    json_object_is_type(v, json_type_string))
		srv_min = json_object_get_string(v);
	if (n < api_num(CG_DOCKER_API_MIN)) {
		cg_util_err(err, errlen, 0,
			    "GET /version: the server speaks API %s, older than the "
			    "minimum %s (Docker 1.12)", srv, CG_DOCKER_API_MIN);
		json_object_put(o);
		return -ENOTSUP;
	}
	if (n > api_num(CG_DOCKER_API_MAX))
		srv = CG_DOCKER_API_MAX;
	if (srv_min && api_num(srv_min) > api_num(srv)) {
		cg_util_err(err, errlen, 0,
			    "GET /version: the server needs API %s or newer, we speak "
			    "up to %s", srv_min, CG_DOCKER_API_MAX);
		json_object_put(o);
		return -ENOTSUP;
	}
	snprintf(d->api, sizeof(d->api), "%s", srv);
	json_object_put(o);
	return 0;
}

int
cg_docker_list_containers(struct cg_docker *d, json_object **arr, char *err, size_t errlen)
{
	int rc = get_json(d, "/containers/json", true, "list containers", arr, err, errlen);

	if (rc == 0 && !json_object_is_type(*arr, json_type_array)) {
		cg_util_err(err, errlen, 0, "list containers: the answer is not a JSON array");
		json_object_put(*arr);
		*arr = NULL;
		return -EPROTO;
	}
	return rc;
}

/* Container ids and names are [A-Za-z0-9_.-]; anything else could bend the URL. */
static bool
safe_name(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '.' || s[n] == '-'))
			return false;
	return n > 0 && n < 256;
}

int
cg_docker_inspect(struct cg_docker *d, const char *id_or_name, json_object **obj,
		  char *err, size_t errlen)
{
	char path[300], what[64];
	int rc;

	*obj = NULL;
	if (id_or_name == NULL || !safe_name(id_or_name))
		return cg_util_err(err, errlen, -EINVAL,
				   "inspect: bad container id or name \"%.64s\"",
				   id_or_name ? id_or_name : "");
	snprintf(path, sizeof(path), "/containers/%s/json", id_or_name);
	snprintf(what, sizeof(what), "inspect %.12s", id_or_name);
	rc = get_json(d, path, true, what, obj, err, errlen);
	if (rc == 0 && !json_object_is_type(*obj, json_type_object)) {
		cg_util_err(err, errlen, 0, "%s: the answer is not a JSON object", what);
		json_object_put(*obj);
		*obj = NULL;
		return -EPROTO;
	}
	return rc;
}

/* ---- the event stream ---- */

struct ev_stream {
	struct cg_docker *d;
	cg_docker_event_cb cb;
	void *arg;
	struct json_tokener *tok;
	struct buf line;
	struct buf errbody;   /* body of a non-2xx answer */
	long code;            /* HTTP status, read at the first chunk */
	bool skipping;        /* inside an over-long line */
	int cb_rc;
	unsigned long bad;    /* lines that did not parse */
};

static int
ev_line(struct ev_stream *s, const char *p, size_t n)
{
	struct cg_docker_event ev;
	json_object *o;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (n == 0)
		return 0;
	json_tokener_reset(s->tok);
	o = json_tokener_parse_ex(s->tok, p, (int)n);
	if (o == NULL || cg_docker_event_from_json(o, &ev) < 0) {
		s->bad++;
		CG_WARN("events: skipping an event that does not parse: %.120s", p);
		json_object_put(o);
		return 0;
	}
	json_object_put(o);
	return s->cb(&ev, s->arg);
}

/* Split the stream into lines; a line may arrive in any number of chunks. */
static size_t
write_events(char *data, size_t size, size_t n, void *arg)
{
	struct ev_stream *s = arg;
	size_t len = size * n, i = 0;

	if (s->code == 0)
		curl_easy_getinfo(s->d->curl, CURLINFO_RESPONSE_CODE, &s->code);
	if (s->code < 200 || s->code >= 300) {
		/* An error body is short; cap it and keep reading it. */
		size_t room = ERRBODY_MAX - 1 - s->errbody.len;

		buf_append(&s->errbody, data, len < room ? len : room, ERRBODY_MAX);
		return len;
	}
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t chunk = nl ? (size_t)(nl - (data + i)) : len - i;

		if (!s->skipping && buf_append(&s->line, data + i, chunk, EVENT_LINE_MAX) < 0) {
			if (!s->line.too_big)
				return 0; /* out of memory */
			CG_WARN("events: skipping a line longer than %u bytes", EVENT_LINE_MAX);
			s->skipping = true;
			s->bad++;
		}
		i += chunk;
		if (nl == NULL)
			break;
		i++; /* the '\n' */
		if (!s->skipping && s->line.len > 0) {
			int rc = ev_line(s, s->line.p, s->line.len);

			if (rc < 0) {
				s->cb_rc = rc;
				return 0; /* stops the transfer */
			}
		}
		s->skipping = false;
		s->line.too_big = false;
		s->line.len = 0;
	}
	return len;
}

int
cg_docker_events(struct cg_docker *d, int64_t since_nano, cg_docker_event_cb cb,
		 bool (*should_stop)(void *arg), void *arg, char *err, size_t errlen)
{
	struct ev_stream s = { .d = d, .cb = cb, .arg = arg };
	char path[512], since[48] = "";
	char *filters = NULL;
	CURLM *multi = NULL;
	CURLcode cc = CURLE_OK;
	int rc, running = 1;

	if (d == NULL || cb == NULL)
		return -EINVAL;
	if (since_nano > 0)
		snprintf(since, sizeof(since), "since=%lld.%09lld&",
			 (long long)(since_nano / 1000000000LL),
			 (long long)(since_nano % 1000000000LL));
	filters = curl_easy_escape(d->curl, EVENT_FILTERS, 0);
	s.tok = json_tokener_new();
	multi = curl_multi_init();
	if (filters == NULL || s.tok == NULL || multi == NULL) {
		cg_util_err(err, errlen, 0, "events: %s", strerror(ENOMEM));
		rc = -ENOMEM;
		goto out;
	}
	snprintf(path, sizeof(path), "/events?%sfilters=%s", since, filters);
	/* No overall timeout: the stream is meant to stay open for days. */
	rc = setup(d, path, true, 0);
	if (rc < 0) {
		cg_util_err(err, errlen, 0, "events: %s", strerror(-rc));
		goto out;
	}
	curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION, write_events);
	curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(d->curl, CURLOPT_LOW_SPEED_TIME, 0L);
	curl_easy_setopt(d->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_multi_add_handle(multi, d->curl);

	/*
	 * The multi interface rather than a progress callback: libcurl calls
	 * the latter only about once a second while idle, and the contract
	 * is to notice should_stop within EVENTS_POLL_MS.
	 */
	while (running) {
		CURLMcode mc = curl_multi_perform(multi, &running);

		if (mc != CURLM_OK) {
			cg_util_err(err, errlen, 0, "events: %s", curl_multi_strerror(mc));
			rc = -EIO;
			goto remove;
		}
		if (!running)
			break;
		if (should_stop && should_stop(arg)) {
			rc = -ECANCELED;
			cg_util_err(err, errlen, 0, "events: stopped");
			goto remove;
		}
		mc = curl_multi_poll(multi, NULL, 0, EVENTS_POLL_MS, NULL);
		if (mc != CURLM_OK) {
			cg_util_err(err, errlen, 0, "events: %s", curl_multi_strerror(mc));
			rc = -EIO;
			goto remove;
		}
	}
	{
		CURLMsg *m;
		int q;

		while ((m = curl_multi_info_read(multi, &q)) != NULL)
			if (m->msg == CURLMSG_DONE)
				cc = m->data.result;
	}
	if (s.code == 0)
		curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &s.code);
	if (s.cb_rc < 0) {
		rc = s.cb_rc;
		cg_util_err(err, errlen, 0, "events: stopped by the callback (%d)", rc);
	} else if (cc == CURLE_PARTIAL_FILE || cc == CURLE_RECV_ERROR) {
		/* What a dockerd that shuts down or dies does to the stream. */
		rc = -ECONNRESET;
		cg_util_err(err, errlen, 0,
			    "events: the server closed the stream mid-transfer (%s)",
			    curl_easy_strerror(cc));
	} else if (cc != CURLE_OK) {
		rc = curl_errno(d, cc);
		cg_util_err(err, errlen, 0, "events: %s%s%s", curl_easy_strerror(cc),
		       d->unix_path ? " on " : "", d->unix_path ? d->unix_path : "");
	} else if (s.code < 200 || s.code >= 300) {
		rc = http_status(s.code);
		http_error("events", s.code, &s.errbody, err, errlen);
	} else {
		/* A clean end: Docker shut down or closed us. Callers reconnect. */
		if (s.line.len > 0 && !s.skipping && ev_line(&s, s.line.p, s.line.len) < 0)
			CG_DEBUG("events: callback stopped on the last line");
		rc = 0;
		cg_util_err(err, errlen, 0, "events: the server ended the stream");
	}
remove:
	curl_multi_remove_handle(multi, d->curl);
out:
	if (multi)
		curl_multi_cleanup(multi);
	curl_free(filters);
	if (s.tok)
		json_tokener_free(s.tok);
	buf_free(&s.line);
	buf_free(&s.errbody);
	return rc;
}
