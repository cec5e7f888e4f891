/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_TOML_H
#define CG_TOML_H

/**
 * @file
 * Strict TOML 1.0 reader yielding json-c objects, plus strict-schema helpers.
 *
 * Mapping: tables -> json objects (keys in document order), arrays and arrays of
 * tables -> json arrays, strings -> json strings, integers -> json int64,
 * floats -> json doubles (inf/nan included), booleans -> json booleans.
 *
 * Every object created by the parser carries its 1-based source line as json-c
 * userdata (see cg_toml_line()), so that consumers can point at the offending line.
 *
 * Deliberate restrictions (all reported as errors, never silently accepted):
 * - dates and times ("line N: dates and times are not supported");
 * - U+0000 in strings and keys (json-c keys are C strings, and consumers read
 *   values as C strings, so an embedded NUL would silently truncate them);
 * - dotted keys that reach into a table created by a [header] (explicitly or as
 *   an intermediate of [a.b.c]); TOML leaves this ambiguous, we refuse it;
 * - documents over CG_TOML_MAX_SIZE bytes, nesting deeper than CG_TOML_MAX_DEPTH,
 *   keys longer than CG_TOML_MAX_KEY bytes.
 * A leading UTF-8 byte order mark is skipped.
 *
 * The parser keeps no global state and is safe to call from several threads.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/**
 * Largest document accepted, in bytes: most configs are a few KiB, but one of
 * 100 000 rules ([dataplane] max_rules) is about 20 MiB; this still bounds
 * fuzzing (fuzz inputs are far smaller).
 */
#define CG_TOML_MAX_SIZE (64 * 1024 * 1024)
/** Deepest nesting of tables and arrays below the root (bounds recursion). */
#define CG_TOML_MAX_DEPTH 32
/** Longest key (one component of a dotted key, after unescaping), in bytes. */
#define CG_TOML_MAX_KEY 256

/**
 * Parse a TOML document.
 *
 * @param text    the document, @p len bytes, need not be NUL-terminated.
 * @param len     its length in bytes.
 * @param err     buffer for a message on failure, "line N: <what is wrong>"
 *                (the size-limit message has no line); may be NULL.
 * @param errlen  size of @p err.
 * @return the root table (a json object, release with json_object_put()), or
 *         NULL on a syntax or semantic error (err filled; errno set to EINVAL,
 *         or ENOMEM when memory ran out).
 */
json_object *cg_toml_parse(const char *text, size_t len, char *err, size_t errlen);

/**
 * Read and parse a file.
 *
 * @return as cg_toml_parse(); messages are "<path>: line N: ..." for bad content
 *         and "<path>: <strerror>" when the file cannot be read.
 */
json_object *cg_toml_parse_file(const char *path, char *err, size_t errlen);

/**
 * Source line of a value created by the parser.
 *
 * Tables: the line of their [header], or of the first key that created them
 * (dotted keys, inline tables); a table first created on the way to [a.b] and
 * defined later by its own [a] has the line of [a]; the root has line 1.
 * Arrays: the line of '['. Arrays of tables: the line of their first [[header]],
 * and each element that of its own. Other values: the line where they start.
 * The line is stored as json-c userdata:
 * json_object_set_userdata(obj, (void *)(uintptr_t)line, NULL).
 *
 * @return the 1-based line, or 0 if unknown (NULL, or built elsewhere, e.g. from
 *         JSON-RPC input).
 */
unsigned int cg_toml_line(const json_object *obj);

/*
 * Strict-schema helpers.
 *
 * @p path is the dotted location of @p table used in messages ("" for the root,
 * e.g. "rule[2].output[0]"). Messages look like
 *   rule[2].output[0].ttl (line 14): expected an integer, got a string
 *   dataplane.burst (line 3): 4096 is out of range 1..512
 *   port[1].speed (line 9): unknown key
 * where the line is that of the value (or of the table for a missing key);
 * " (line N)" is omitted when the line is 0 (objects not made by the parser).
 *
 * The getters return 0 when the key was found and valid (*out set), -ENOENT when it
 * is absent and !required (*out untouched), -EINVAL on error (err filled; a missing
 * required key says "<path>.<key> (line N): required key is missing" with the
 * table's line). A NULL @p table is treated as an empty table, so an optional
 * sub-table that was absent can be passed on directly. A @p table that is not a
 * json object is an error ("<path>: expected a table, got ...").
 * They work on any json-c object, not only on those made by the parser.
 */

/**
 * Check that every key of @p table is in @p allowed (NULL-terminated).
 * @return 0, or -EINVAL naming the first unknown key.
 */
int cg_toml_check_keys(json_object *table, const char *path, const char *const *allowed,
		       char *err, size_t errlen);

/**
 * Get a string; *out stays valid as long as @p table is alive. A string holding
 * U+0000 (possible in JSON input) is refused, since *out is read as a C string.
 */
int cg_toml_get_string(json_object *table, const char *path, const char *key, bool required,
		       const char **out, char *err, size_t errlen);

/** Get an integer and check that it lies in [min, max]. */
int cg_toml_get_int(json_object *table, const char *path, const char *key, bool required,
		    int64_t min, int64_t max, int64_t *out, char *err, size_t errlen);

/** Get a boolean. */
int cg_toml_get_bool(json_object *table, const char *path, const char *key, bool required,
		     bool *out, char *err, size_t errlen);

/** Get a number: a float, or an integer converted to double (1 means 1.0). */
int cg_toml_get_double(json_object *table, const char *path, const char *key, bool required,
		       double *out, char *err, size_t errlen);

/** Get a table (json object). */
int cg_toml_get_table(json_object *table, const char *path, const char *key, bool required,
		      json_object **out, char *err, size_t errlen);

/** Get an array: a TOML array or an array of tables (both are json arrays). */
int cg_toml_get_array(json_object *table, const char *path, const char *key, bool required,
		      json_object **out, char *err, size_t errlen);

/**
 * Format "<path>.<key>" into @p buf ("<key>" when @p path is empty). A key that is
 * not a bare TOML key is written quoted, as in TOML: rule."cam 1".
 * @return @p buf (truncated to @p size if needed, always NUL-terminated).
 */
const char *cg_toml_path(char *buf, size_t size, const char *path, const char *key);

/**
 * Format "<path>[<index>]" into @p buf.
 * @return @p buf (truncated to @p size if needed, always NUL-terminated).
 */
const char *cg_toml_path_index(char *buf, size_t size, const char *path, size_t index);

/**
 * The TOML name of a value's type, with its article, for messages:
 * "a string", "an integer", "a float", "a boolean", "a table", "an array",
 * "null" (JSON input only).
 */
const char *cg_toml_type_name(const json_object *v);

/**
 * printf-style error for consumers' own semantic checks: fills @p err with
 * "<path> (line N): <message>", N being cg_toml_line(@p at) (omitted when 0;
 * "line N: <message>" when @p path is empty). @p err may be NULL.
 * @return -EINVAL, so that callers can write `return cg_toml_errorf(...);`.
 */
int cg_toml_errorf(char *err, size_t errlen, const char *path, const json_object *at,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif /* CG_TOML_H */
