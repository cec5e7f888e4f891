/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cg_log.h"

/* Longest line we emit; longer messages are truncated, never split. */
#define CG_LOG_LINE_MAX 4096

static struct {
	char ident[64];
	enum cg_log_level level;
	enum cg_log_format format;
	int journal; /* stderr goes to journald: use <N> prefixes */
} cg_log_cfg = {
	.ident = "castgate",
	.level = CG_LOG_INFO,
	.format = CG_LOG_FMT_TEXT,
	.journal = -1,
};

static const char *const cg_log_names[] = {
	[CG_LOG_ERR] = "error",
	[CG_LOG_WARN] = "warn",
	[CG_LOG_INFO] = "info",
	[CG_LOG_DEBUG] = "debug",
};

/* syslog priorities for journald's "<N>" prefix */
static const int cg_log_prio[] = {
	[CG_LOG_ERR] = 3, [CG_LOG_WARN] = 4, [CG_LOG_INFO] = 6, [CG_LOG_DEBUG] = 7,
};

void
cg_log_init(const char *ident, enum cg_log_level level, enum cg_log_format format)
{
	if (ident != NULL)
		snprintf(cg_log_cfg.ident, sizeof(cg_log_cfg.ident), "%s", ident);
	cg_log_cfg.level = level;
	cg_log_cfg.format = format;
	cg_log_cfg.journal = getenv("JOURNAL_STREAM") != NULL;
}

void
cg_log_set_level(enum cg_log_level level)
{
	cg_log_cfg.level = level;
}

enum cg_log_level
cg_log_get_level(void)
{
	return cg_log_cfg.level;
}

int
cg_log_level_parse(const char *name, enum cg_log_level *level)
{
	static const struct {
		const char *name;
		enum cg_log_level level;
	} map[] = {
		{ "error", CG_LOG_ERR }, { "err", CG_LOG_ERR },
		{ "warn", CG_LOG_WARN }, { "warning", CG_LOG_WARN },
		{ "info", CG_LOG_INFO }, { "debug", CG_LOG_DEBUG },
	};

	if (name == NULL)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcasecmp(name, map[i].name) == 0) {
			*level = map[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
cg_log_level_name(enum cg_log_level level)
{
	if ((unsigned int)level > CG_LOG_DEBUG)
		return "unknown";
	return cg_log_names[level];
}

int
cg_log_format_parse(const char *name, enum cg_log_format *format)
{
	if (name == NULL)
		return -EINVAL;
	if (strcasecmp(name, "text") == 0)
		*format = CG_LOG_FMT_TEXT;
	else if (strcasecmp(name, "json") == 0)
		*format = CG_LOG_FMT_JSON;
	else
		return -EINVAL;
	return 0;
}

/* Append helpers that never overrun: @p len may exceed @p size (truncation). */
static size_t
cg_log_putc(char *buf, size_t size, size_t len, char c)
{
	if (len + 1 < size)
		buf[len] = c;
	return len + 1;
}

static size_t
cg_log_puts(char *buf, size_t size, size_t len, const char *s)
{
	while (*s != '\0')
		len = cg_log_putc(buf, size, len, *s++);
	return len;
}

/* JSON string body, escaped per RFC 8259. */
static size_t
cg_log_put_json(char *buf, size_t size, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	len = cg_log_putc(buf, size, len, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			len = cg_log_putc(buf, size, len, '\\');
			len = cg_log_putc(buf, size, len, (char)c);
		} else if (c == '\n') {
			len = cg_log_puts(buf, size, len, "\\n");
		} else if (c == '\t') {
			len = cg_log_puts(buf, size, len, "\\t");
		} else if (c < 0x20) {
			len = cg_log_puts(buf, size, len, "\\u00");
			len = cg_log_putc(buf, size, len, hex[c >> 4]);
			len = cg_log_putc(buf, size, len, hex[c & 0xf]);
		} else {
			len = cg_log_putc(buf, size, len, (char)c);
		}
	}
	return cg_log_putc(buf, size, len, '"');
}

static bool
cg_log_has_ctrl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/*
 * A text message with its control characters escaped (\n, \r, \t, \xNN):
 * a newline from a peer's data (a container label, a rule name) must not
 * start a forged log line.
 */
static size_t
cg_log_put_text_msg(char *buf, size_t size, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n') {
			len = cg_log_puts(buf, size, len, "\\n");
		} else if (c == '\r') {
			len = cg_log_puts(buf, size, len, "\\r");
		} else if (c == '\t') {
			len = cg_log_puts(buf, size, len, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			len = cg_log_puts(buf, size, len, "\\x");
			len = cg_log_putc(buf, size, len, hex[c >> 4]);
			len = cg_log_putc(buf, size, len, hex[c & 0xf]);
		} else {
			len = cg_log_putc(buf, size, len, (char)c);
		}
	}
	return len;
}

/* Text values are quoted (JSON-escaped) when they hold a space, a quote, an
 * '=' or a control character. */
static size_t
cg_log_put_text_value(char *buf, size_t size, size_t len, const char *s)
{
	if (s[0] != '\0' && strpbrk(s, " \"=") == NULL && !cg_log_has_ctrl(s))
		return cg_log_puts(buf, size, len, s);
	return cg_log_put_json(buf, size, len, s);
}

static void
cg_log_timestamp(char *ts, size_t size)
{
	struct timespec now;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts, size, "%s.%03ldZ", base, now.tv_nsec / 1000000L);
}

size_t
cg_log_format_line(char *buf, size_t size, enum cg_log_level level,
		   const struct cg_log_field *fields, size_t n, const char *msg)
{
	char ts[48];
	size_t len = 0;

	if (size == 0)
		return 0;
	if (cg_log_cfg.journal < 0)
		cg_log_cfg.journal = getenv("JOURNAL_STREAM") != NULL;

	if (cg_log_cfg.format == CG_LOG_FMT_JSON) {
		cg_log_timestamp(ts, sizeof(ts));
		len = cg_log_puts(buf, size, len, "{\"ts\":");
		len = cg_log_put_json(buf, size, len, ts);
		len = cg_log_puts(buf, size, len, ",\"level\":");
		len = cg_log_put_json(buf, size, len, cg_log_level_name(level));
		len = cg_log_puts(buf, size, len, ",\"prog\":");
		len = cg_log_put_json(buf, size, len, cg_log_cfg.ident);
		len = cg_log_puts(buf, size, len, ",\"msg\":");
		len = cg_log_put_json(buf, size, len, msg);
		for (size_t i = 0; i < n; i++) {
			len = cg_log_putc(buf, size, len, ',');
			len = cg_log_put_json(buf, size, len, fields[i].key);
			len = cg_log_putc(buf, size, len, ':');
			if (fields[i].value == NULL)
				len = cg_log_puts(buf, size, len, "null");
			else
				len = cg_log_put_json(buf, size, len, fields[i].value);
		}
		len = cg_log_putc(buf, size, len, '}');
	} else {
		if (cg_log_cfg.journal) {
			snprintf(ts, sizeof(ts), "<%d>", cg_log_prio[level]);
			len = cg_log_puts(buf, size, len, ts);
		} else {
			cg_log_timestamp(ts, sizeof(ts));
			len = cg_log_puts(buf, size, len, ts);
			len = cg_log_putc(buf, size, len, ' ');
		}
		len = cg_log_puts(buf, size, len, cg_log_cfg.ident);
		len = cg_log_putc(buf, size, len, ' ');
		len = cg_log_puts(buf, size, len, cg_log_level_name(level));
		len = cg_log_puts(buf, size, len, ": ");
		len = cg_log_put_text_msg(buf, size, len, msg);
		for (size_t i = 0; i < n; i++) {
			len = cg_log_putc(buf, size, len, ' ');
			len = cg_log_puts(buf, size, len, fields[i].key);
			len = cg_log_putc(buf, size, len, '=');
			len = cg_log_put_text_value(buf, size, len,
				fields[i].value != NULL ? fields[i].value : "-");
		}
	}

	if (len >= size)
		len = size - 1;
	buf[len] = '\0';
	return len;
}

void
cg_log_vfields(enum cg_log_level level, const struct cg_log_field *fields,
	       size_t n, const char *fmt, va_list ap)
{
	char msg[CG_LOG_LINE_MAX];
	char line[CG_LOG_LINE_MAX + 1];
	size_t len;
	int saved = errno; /* logging must not clobber the caller's errno */

	if (level > cg_log_cfg.level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = cg_log_format_line(line, sizeof(line) - 1, level, fields, n, msg);
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}

void
cg_log_fields(enum cg_log_level level, const struct cg_log_field *fields,
	      size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cg_log_vfields(level, fields, n, fmt, ap);
	va_end(ap);
}

void
cg_log(enum cg_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cg_log_vfields(level, NULL, 0, fmt, ap);
	va_end(ap);
}

/* A cg_log_stream(): the part of a line written so far, per stream. */
struct log_stream {
	pthread_mutex_t lock;
	cg_log_stream_fn fn;
	void *arg;
	size_t len;
	char line[CG_LOG_LINE_MAX];
};

static void
stream_emit(struct log_stream *st)
{
	enum cg_log_level level = CG_LOG_INFO;
	const char *source = "lib";
	struct cg_log_field f;

	st->fn(st->arg, &level, &source);
	f = (struct cg_log_field){ .key = "source", .value = source };
	cg_log_fields(level, &f, 1, "%.*s", (int)st->len, st->line);
	st->len = 0;
}

static ssize_t
stream_write(void *cookie, const char *buf, size_t size)
{
	struct log_stream *st = cookie;

	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n') {
			stream_emit(st);
		} else if (st->len < sizeof(st->line)) {
			st->line[st->len++] = buf[i];
		}
	}
	pthread_mutex_unlock(&st->lock);
	return (ssize_t)size;
}

/* fclose(): log what is left of a line, then free the stream. */
static int
stream_close(void *cookie)
{
	struct log_stream *st = cookie;

	if (st->len > 0)
		stream_emit(st);
	pthread_mutex_destroy(&st->lock);
	free(st);
	return 0;
}

FILE *
cg_log_stream(cg_log_stream_fn fn, void *arg)
{
	static const cookie_io_functions_t io = { .write = stream_write, .close = stream_close };
	struct log_stream *st = calloc(1, sizeof(*st));
	FILE *f;

	if (st == NULL)
		return NULL;
	pthread_mutex_init(&st->lock, NULL);
	st->fn = fn;
	st->arg = arg;
	f = fopencookie(st, "w", io);
	if (f == NULL) {
		free(st);
		return NULL;
	}
	/* Each write reaches us at once: the writer's per-message level holds. */
	setvbuf(f, NULL, _IONBF, 0);
	return f;
}
