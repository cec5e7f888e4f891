/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_LOG_H
#define CG_LOG_H

/**
 * @file
 * Leveled logging shared by every castgate program.
 *
 * One call writes one whole line with a single write(2), so lines from
 * several threads never interleave. Two formats: text for people, JSON lines
 * for log pipelines. When stderr is connected to journald (JOURNAL_STREAM is
 * set), text lines carry a "<N>" priority prefix and no timestamp, which
 * journald understands.
 *
 * Structured context (a rule id, a container id and name, a port) goes in
 * fields, so that it is a key in JSON and "key=value" in text.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum cg_log_level {
	CG_LOG_ERR = 0,
	CG_LOG_WARN,
	CG_LOG_INFO,
	CG_LOG_DEBUG,
};

enum cg_log_format {
	CG_LOG_FMT_TEXT = 0,
	CG_LOG_FMT_JSON,
};

/** One key/value pair of context. A NULL value is written as null/"-". */
struct cg_log_field {
	const char *key;
	const char *value;
};

/**
 * Set the program name, threshold and format. May be called again at any
 * time (e.g. after the config is read). Before the first call the defaults
 * are "castgate", info and text.
 */
void cg_log_init(const char *ident, enum cg_log_level level,
		 enum cg_log_format format);

/** Change only the threshold. */
void cg_log_set_level(enum cg_log_level level);

/** Current threshold, so that callers can skip building costly messages. */
enum cg_log_level cg_log_get_level(void);

/**
 * Parse a level name: "error"/"err", "warn"/"warning", "info", "debug"
 * (case-insensitive).
 * @return 0, or -EINVAL for an unknown name.
 */
int cg_log_level_parse(const char *name, enum cg_log_level *level);

/** Name of a level ("error", "warn", "info", "debug"). */
const char *cg_log_level_name(enum cg_log_level level);

/**
 * Parse a format name: "text" or "json".
 * @return 0, or -EINVAL.
 */
int cg_log_format_parse(const char *name, enum cg_log_format *format);

/** Log a printf-style message. */
void cg_log(enum cg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Log a message with @p n context fields. */
void cg_log_fields(enum cg_log_level level, const struct cg_log_field *fields,
		   size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/** va_list form of cg_log_fields(). */
void cg_log_vfields(enum cg_log_level level, const struct cg_log_field *fields,
		    size_t n, const char *fmt, va_list ap);

/**
 * Decides the level and source of a line written to a cg_log_stream(); called
 * on the writing thread while it writes (DPDK: the level of the message being
 * written). @p source is a short tag such as "dpdk".
 */
typedef void (*cg_log_stream_fn)(void *arg, enum cg_log_level *level, const char **source);

/**
 * A stdio stream whose lines are logged through cg_log (same format, same
 * threshold), each with a "source" field: for libraries that log to a
 * FILE *, such as DPDK (rte_openlog_stream()). Unbuffered and thread-safe;
 * a line is logged once its newline is written. Never closed while the
 * library may write; fclose() logs an unfinished line and frees it.
 * @return the stream, or NULL with errno set.
 */
FILE *cg_log_stream(cg_log_stream_fn fn, void *arg);

/**
 * Format one line into @p buf exactly as it would be written, without the
 * trailing newline. Exposed for tests.
 * @return the length written (truncated to @p size - 1).
 */
size_t cg_log_format_line(char *buf, size_t size, enum cg_log_level level,
			  const struct cg_log_field *fields, size_t n,
			  const char *msg);

#define CG_ERR(...)   cg_log(CG_LOG_ERR, __VA_ARGS__)
#define CG_WARN(...)  cg_log(CG_LOG_WARN, __VA_ARGS__)
#define CG_INFO(...)  cg_log(CG_LOG_INFO, __VA_ARGS__)
#define CG_DEBUG(...) do {						\
		if (cg_log_get_level() >= CG_LOG_DEBUG)			\
			cg_log(CG_LOG_DEBUG, __VA_ARGS__);		\
	} while (0)

#endif /* CG_LOG_H */
