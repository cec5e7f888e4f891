/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict TOML 1.0 reader yielding json-c objects.
 *
 * Layout of this file:
 *   1. document pre-scan: UTF-8 and control characters, once, so that the
 *      lexer can trust every byte it sees;
 *   2. lexer: whitespace, comments, newlines, keys, strings, scalars
 *      (booleans, integers, floats) - pure functions of the cursor;
 *   3. parser: key/value pairs, [tables], [[arrays of tables]], arrays and
 *      inline tables, and TOML's rules about what may be defined twice;
 *   4. schema helpers for consumers.
 *
 * Table bookkeeping. TOML forbids defining a table twice, but "defining"
 * depends on how a table came to exist, so every container carries a kind
 * while the document is parsed:
 *   IMPLICIT  created as an intermediate of a header ([a.b] creates a): may be
 *             defined once later by its own header;
 *   EXPLICIT  defined by a header, or an element of an array of tables;
 *   DOTTED    created by a dotted key (a.b = 1 creates a): a header may pass
 *             through it ([a.c]) but never define it;
 *   INLINE    an inline table: immutable once closed;
 *   AOT       an array created by [[...]]: headers may append to it;
 *   ARRAY     a static array [...]: immutable.
 * Dotted keys may only pass through DOTTED tables. TOML leaves "dotted key into
 * a table created by a header" ambiguous; we refuse it, which keeps every rule
 * local and the message clear.
 *
 * The kind and the line share the json-c userdata word while parsing
 * (line << TAG_BITS | kind); finalize() rewrites it to the bare line, which is
 * the public contract of cg_toml_line(). This avoids a side table and keeps
 * the parser free of global state.
 *
 * Keys are resolved while they are read: each component followed by '.' is
 * descended into at once, so no key path is ever stored and the recursion
 * (arrays and inline tables only) needs little stack per level. Depth is
 * bounded by CG_TOML_MAX_DEPTH, which also bounds json-c's own recursion when
 * it frees or prints the tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cg_toml.h"

/* Kinds of values while parsing (see the comment at the top). */
enum kind {
	K_VALUE = 0,
	K_IMPLICIT,
	K_EXPLICIT,
	K_DOTTED,
	K_INLINE,
	K_AOT,
	K_ARRAY,
};
#define TAG_BITS 3
#define TAG_MASK ((uintptr_t)(1u << TAG_BITS) - 1)

/*
 * Largest line number a parsed document can have (one line per byte, plus
 * one). cg_toml_line() treats larger userdata as "not a line": json_tokener
 * stores a heap pointer (the number's text) as the userdata of doubles.
 */
#define MAX_LINE ((uintptr_t)CG_TOML_MAX_SIZE + 1)

/* Room for a rendered key path in messages; longer ones are truncated. */
#define DISP_SIZE 160
/* Longest token quoted back in a message. */
#define TOKEN_SHOWN 40

struct sbuf {
	char *p;
	size_t len;
	size_t cap;
};

struct parser {
	const char *s;
	size_t len;
	size_t pos;
	unsigned int line;
	char *err;
	size_t errlen;
	bool failed;
	bool oom;
	json_object *root;
	json_object *cur;		/* table receiving key/values */
	unsigned int cur_depth;		/* its depth below the root */
	locale_t c_locale;		/* for strtod, created on first float */
	struct sbuf sb;			/* string and number scratch */
};

/* ---- small helpers ----------------------------------------------------- */

static void __attribute__((format(printf, 3, 4)))
perr(struct parser *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;		/* the first error is the one that matters */
	p->failed = true;
	if (p->err == NULL || p->errlen == 0)
		return;
	n = snprintf(p->err, p->errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
}

static void
oom(struct parser *p)
{
	if (!p->failed && p->err != NULL && p->errlen > 0)
		snprintf(p->err, p->errlen, "out of memory");
	p->failed = true;
	p->oom = true;
}

static int
sb_put(struct parser *p, const char *data, size_t n)
{
	struct sbuf *b = &p->sb;

	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			oom(p);
			return -1;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
sb_putc(struct parser *p, char c)
{
	return sb_put(p, &c, 1);
}

static void
tag(json_object *o, unsigned int line, enum kind k)
{
	json_object_set_userdata(o, (void *)(((uintptr_t)line << TAG_BITS) | k), NULL);
}

static enum kind
kind_of(json_object *o)
{
	return (enum kind)((uintptr_t)json_object_get_userdata(o) & TAG_MASK);
}

static unsigned int
tag_line(json_object *o)
{
	return (unsigned int)((uintptr_t)json_object_get_userdata(o) >> TAG_BITS);
}

static bool
is_bare_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Append to a fixed buffer, keeping it NUL-terminated and never overflowing. */
static void __attribute__((format(printf, 4, 5)))
app(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (size == 0 || *n >= size - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	*n += (size_t)r;
	if (*n > size - 1)
		*n = size - 1;
}

/* Append one key as TOML would write it: bare if possible, else "quoted". */
static void
app_key(char *buf, size_t size, size_t *n, const char *key, size_t klen)
{
	bool bare = klen > 0;
	size_t i;

	for (i = 0; i < klen && bare; i++)
		bare = is_bare_char((unsigned char)key[i]);
	if (bare) {
		app(buf, size, n, "%.*s", (int)klen, key);
		return;
	}
	app(buf, size, n, "\"");
	for (i = 0; i < klen; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c == '"' || c == '\\')
			app(buf, size, n, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			app(buf, size, n, "\\u%04X", c);
		else
			app(buf, size, n, "%c", c);
	}
	app(buf, size, n, "\"");
}

/* ---- 1. pre-scan ------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;	/* continuation byte, overlong lead or > U+10FFFF */
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * TOML allows no control character but tab anywhere (newlines are LF or CRLF),
 * and the document must be valid UTF-8. Checking it all once up front gives
 * exact line numbers and lets the lexer copy bytes without looking at them.
 */
static int
prescan(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	unsigned int line = 1;
	size_t i = p->pos;

	while (i < p->len) {
		unsigned char c = s[i];
		size_t n;

		if (c == '\n') {
			line++;
		} else if (c == '\r') {
			if (i + 1 >= p->len || s[i + 1] != '\n') {
				perr(p, line, "carriage return not followed by a newline");
				return -1;
			}
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			perr(p, line, "control character U+%04X is not allowed", c);
			return -1;
		} else if (c >= 0x80) {
			n = utf8_len(s + i, p->len - i);
			if (n == 0) {
				perr(p, line, "invalid UTF-8");
				return -1;
			}
			i += n;
			continue;
		}
		i++;
	}
	return 0;
}

/* ---- 2. lexer ---------------------------------------------------------- */

#define END (-1)

static int
peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : END;
}

static int
peek_at(const struct parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->s[p->pos + off] : END;
}

static void
skip_ws(struct parser *p)
{
	while (peek(p) == ' ' || peek(p) == '\t')
		p->pos++;
}

/* LF or CRLF (a lone CR was refused by the pre-scan). */
static bool
at_newline(const struct parser *p)
{
	return peek(p) == '\n' || peek(p) == '\r';
}

static void
eat_newline(struct parser *p)
{
	if (peek(p) == '\r')
		p->pos++;
	p->pos++;
	p->line++;
}

/* A comment runs to the end of the line; its bytes were checked by prescan(). */
static void
skip_comment(struct parser *p)
{
	if (peek(p) != '#')
		return;
	while (p->pos < p->len && !at_newline(p))
		p->pos++;
}

/* Inside arrays: whitespace, newlines and comments in any number. */
static void
skip_ws_nl_comments(struct parser *p)
{
	for (;;) {
		skip_ws(p);
		skip_comment(p);
		if (!at_newline(p))
			return;
		eat_newline(p);
	}
}

/* Describe the character at the cursor for a message. */
static const char *
what_is_here(const struct parser *p, char *buf, size_t size)
{
	int c = peek(p);

	if (c == END)
		return "end of file";
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else if (c == ' ' || c == '\t')
		return "whitespace";
	else
		return "a non-ASCII character";
	return buf;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

static int
put_utf8(struct parser *p, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return sb_put(p, u, n);
}

/* \uXXXX or \UXXXXXXXX; the cursor is on the backslash. */
static int
lex_unicode_escape(struct parser *p)
{
	const int e = peek_at(p, 1);
	const size_t ndig = e == 'u' ? 4 : 8;
	uint32_t cp = 0;
	size_t i;

	for (i = 0; i < ndig; i++) {
		int h = hexval(peek_at(p, 2 + i));

		if (h > 15) {
			perr(p, p->line, "\\%c needs %zu hexadecimal digits", e, ndig);
			return -1;
		}
		cp = cp << 4 | (uint32_t)h;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		perr(p, p->line, "\\%c%0*" PRIX32 " is not a Unicode scalar value", e, (int)ndig,
		     cp);
		return -1;
	}
	if (cp == 0) {
		perr(p, p->line, "U+0000 is not allowed in strings");
		return -1;
	}
	p->pos += 2 + ndig;
	return put_utf8(p, cp);
}

/*
 * Line-ending backslash in a multi-line basic string: only whitespace may
 * follow it on its line, and it swallows all whitespace and newlines up to the
 * next text. Returns 1 if the backslash at the cursor was one, else 0.
 */
static int
skip_line_ending_backslash(struct parser *p)
{
	size_t j = p->pos + 1;

	while (j < p->len && (p->s[j] == ' ' || p->s[j] == '\t'))
		j++;
	if (j >= p->len || (p->s[j] != '\n' && p->s[j] != '\r'))
		return 0;
	p->pos = j;
	while (at_newline(p)) {
		eat_newline(p);
		skip_ws(p);
	}
	return 1;
}

/* An escape in a basic string; the cursor is on the backslash. */
static int
lex_escape(struct parser *p, bool multi)
{
	static const char from[] = "btnfr\"\\";
	static const char to[] = "\b\t\n\f\r\"\\";
	const int e = peek_at(p, 1);
	const char *hit = e > 0 ? strchr(from, e) : NULL;

	if (hit != NULL) {
		p->pos += 2;
		return sb_putc(p, to[hit - from]);
	}
	if (e == 'u' || e == 'U')
		return lex_unicode_escape(p);
	if (multi && skip_line_ending_backslash(p))
		return 0;
	if (e > 0x20 && e < 0x7f)
		perr(p, p->line, "invalid escape sequence '\\%c'", e);
	else
		perr(p, p->line, "invalid escape sequence");
	return -1;
}

/*
 * A string of any of the four kinds; the cursor is on its first quote. The
 * unescaped text is left in p->sb (NUL-terminated, no NUL inside).
 */
static int
lex_string(struct parser *p, bool *multi_out)
{
	const int q = peek(p);
	const bool multi = peek_at(p, 1) == q && peek_at(p, 2) == q;
	const unsigned int start = p->line;

	p->sb.len = 0;
	if (sb_put(p, "", 0) < 0)
		return -1;
	if (multi_out != NULL)
		*multi_out = multi;
	if (multi) {
		p->pos += 3;
		if (at_newline(p))	/* a newline right after the opening quotes is trimmed */
			eat_newline(p);
	} else {
		p->pos++;
	}
	for (;;) {
		int c = peek(p);

		if (c == END) {
			perr(p, start, "unterminated string");
			return -1;
		}
		if (c == q) {
			size_t run = 0;

			if (!multi) {
				p->pos++;
				return 0;
			}
			while (peek_at(p, run) == q)
				run++;
			if (run >= 3) {
				/* Up to two quotes may sit right before the closing three. */
				if (run > 5) {
					perr(p, p->line, "too many quotes at the end of a string");
					return -1;
				}
				if (sb_put(p, p->s + p->pos, run - 3) < 0)
					return -1;
				p->pos += run;
				return 0;
			}
			if (sb_put(p, p->s + p->pos, run) < 0)
				return -1;
			p->pos += run;
			continue;
		}
		if (c == '\n' || c == '\r') {
			if (!multi) {
				perr(p, p->line, "newline in a single-line string");
				return -1;
			}
			eat_newline(p);	/* CRLF is stored as LF */
			if (sb_putc(p, '\n') < 0)
				return -1;
			continue;
		}
		if (c == '\\' && q == '"') {
			if (lex_escape(p, multi) < 0)
				return -1;
			continue;
		}
		if (sb_putc(p, (char)c) < 0)
			return -1;
		p->pos++;
	}
}

/*
 * One key component, bare or quoted, into key[CG_TOML_MAX_KEY + 1]. It holds no
 * NUL (the pre-scan refuses raw ones, lex_escape() refuses \u0000), so it can be
 * a json-c key as is.
 */
static int
lex_key(struct parser *p, char *key, size_t *klen)
{
	char what[8];
	int c = peek(p);
	size_t n = 0;

	if (is_bare_char(c)) {
		while (is_bare_char(peek_at(p, n)))
			n++;
		if (n > CG_TOML_MAX_KEY) {
			perr(p, p->line, "key is longer than %d bytes", CG_TOML_MAX_KEY);
			return -1;
		}
		memcpy(key, p->s + p->pos, n);
		key[n] = '\0';
		p->pos += n;
		*klen = n;
		return 0;
	}
	if (c == '"' || c == '\'') {
		unsigned int line = p->line;
		bool multi;

		if (lex_string(p, &multi) < 0)
			return -1;
		if (multi) {
			perr(p, line, "a multi-line string cannot be a key");
			return -1;
		}
		if (p->sb.len > CG_TOML_MAX_KEY) {
			perr(p, line, "key is longer than %d bytes", CG_TOML_MAX_KEY);
			return -1;
		}
		memcpy(key, p->sb.p, p->sb.len + 1);
		*klen = p->sb.len;
		return 0;
	}
	perr(p, p->line, "expected a key, got %s", what_is_here(p, what, sizeof(what)));
	return -1;
}

/*
 * Digits of the given base from t[*i], with single underscores allowed only
 * between two digits. Returns how many digits were read.
 */
static size_t
scan_digits(const char *t, size_t n, size_t *i, int base)
{
	size_t cnt = 0;

	while (*i < n) {
		int c = (unsigned char)t[*i];

		if (hexval(c) < base) {
			cnt++;
			(*i)++;
		} else if (c == '_' && cnt > 0 && *i + 1 < n &&
			   hexval((unsigned char)t[*i + 1]) < base) {
			(*i)++;
		} else {
			break;
		}
	}
	return cnt;
}

/* Value of already-validated digits (underscores skipped), within limit. */
static bool
digits_value(const char *t, size_t n, int base, uint64_t limit, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned int d;

		if (t[i] == '_')
			continue;
		d = (unsigned int)hexval((unsigned char)t[i]);
		if (v > (limit - d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return true;
}

static bool
tok_is(const char *t, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(t, word, n) == 0;
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Characters that can make up a number, boolean, inf or nan. */
static bool
is_scalar_char(int c)
{
	return is_bare_char(c) || c == '+' || c == '.';
}

static json_object *
lex_float(struct parser *p, const char *t, size_t n, unsigned int line)
{
	double d;
	char *end;
	size_t i;

	if (p->c_locale == (locale_t)0) {
		/* strtod follows LC_NUMERIC; TOML's decimal point is always '.' */
		p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
		if (p->c_locale == (locale_t)0) {
			oom(p);
			return NULL;
		}
	}
	p->sb.len = 0;
	for (i = 0; i < n; i++)
		if (t[i] != '_' && sb_putc(p, t[i]) < 0)
			return NULL;
	d = strtod_l(p->sb.p, &end, p->c_locale);
	if (*end != '\0') {
		perr(p, line, "invalid float '%.*s'", TOKEN_SHOWN, p->sb.p);
		return NULL;
	}
	if (isinf(d)) {
		perr(p, line, "float '%.*s' is out of range", (int)(n > TOKEN_SHOWN ?
		     TOKEN_SHOWN : n), t);
		return NULL;
	}
	return json_object_new_double(d);
}

/* Integer or float: t[0..n) holds only is_scalar_char() characters. */
static json_object *
lex_number(struct parser *p, const char *t, size_t n, unsigned int line)
{
	const int shown = (int)(n > TOKEN_SHOWN ? TOKEN_SHOWN : n);
	size_t i = 0, start, cnt;
	bool neg = false, sign = false, is_float = false;
	uint64_t u;

	if (t[0] == '+' || t[0] == '-') {
		sign = true;
		neg = t[0] == '-';
		i++;
	}
	if (i + 1 < n && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'o' ||
					 t[i + 1] == 'b')) {
		int base = t[i + 1] == 'x' ? 16 : t[i + 1] == 'o' ? 8 : 2;

		if (sign) {
			perr(p, line, "'%.*s': hexadecimal, octal and binary integers take "
			     "no sign", shown, t);
			return NULL;
		}
		i += 2;
		start = i;
		if (scan_digits(t, n, &i, base) == 0 || i != n) {
			perr(p, line, "invalid integer '%.*s'", shown, t);
			return NULL;
		}
		if (!digits_value(t + start, n - start, base, INT64_MAX, &u)) {
			perr(p, line, "integer '%.*s' is out of range", shown, t);
			return NULL;
		}
		return json_object_new_int64((int64_t)u);
	}
	start = i;
	cnt = scan_digits(t, n, &i, 10);
	if (cnt == 0) {
		perr(p, line, "invalid value '%.*s'", shown, t);
		return NULL;
	}
	if (t[start] == '0' && cnt > 1) {
		perr(p, line, "leading zeros are not allowed: '%.*s'", shown, t);
		return NULL;
	}
	if (i < n && t[i] == '.') {
		i++;
		if (scan_digits(t, n, &i, 10) == 0) {
			perr(p, line, "invalid float '%.*s'", shown, t);
			return NULL;
		}
		is_float = true;
	}
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		i++;
		if (i < n && (t[i] == '+' || t[i] == '-'))
			i++;
		if (scan_digits(t, n, &i, 10) == 0) {	/* leading zeros are fine here */
			perr(p, line, "invalid float '%.*s'", shown, t);
			return NULL;
		}
		is_float = true;
	}
	if (i != n) {
		perr(p, line, "invalid %s '%.*s'", is_float ? "float" : "integer", shown, t);
		return NULL;
	}
	if (is_float)
		return lex_float(p, t, n, line);
	if (!digits_value(t + start, n - start, 10, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX,
			  &u)) {
		perr(p, line, "integer '%.*s' is out of range", shown, t);
		return NULL;
	}
	/* -(2^63) has no positive counterpart: negate in unsigned arithmetic. */
	return json_object_new_int64(neg ? (int64_t)(0 - u) : (int64_t)u);
}

/* A boolean, number, inf or nan at the cursor. */
static json_object *
lex_scalar(struct parser *p)
{
	const char *t = p->s + p->pos;
	const unsigned int line = p->line;
	json_object *o;
	size_t n = 0;
	char what[8];

	/* 1979-05-27 or 07:32:00: refuse with a clear message rather than
	 * "invalid integer". */
	if ((is_digit(peek_at(p, 0)) && is_digit(peek_at(p, 1)) && is_digit(peek_at(p, 2)) &&
	     is_digit(peek_at(p, 3)) && peek_at(p, 4) == '-') ||
	    (is_digit(peek_at(p, 0)) && is_digit(peek_at(p, 1)) && peek_at(p, 2) == ':')) {
		perr(p, line, "dates and times are not supported");
		return NULL;
	}
	while (is_scalar_char(peek_at(p, n)))
		n++;
	if (n == 0) {
		perr(p, line, "expected a value, got %s", what_is_here(p, what, sizeof(what)));
		return NULL;
	}
	p->pos += n;
	if (tok_is(t, n, "true") || tok_is(t, n, "false"))
		o = json_object_new_boolean(t[0] == 't');
	else if (tok_is(t, n, "inf") || tok_is(t, n, "+inf"))
		o = json_object_new_double(INFINITY);
	else if (tok_is(t, n, "-inf"))
		o = json_object_new_double(-INFINITY);
	else if (tok_is(t, n, "nan") || tok_is(t, n, "+nan"))
		o = json_object_new_double(NAN);
	else if (tok_is(t, n, "-nan"))
		o = json_object_new_double(-NAN);
	else if (is_digit(t[0]) || t[0] == '+' || t[0] == '-')
		return lex_number(p, t, n, line);
	else {
		perr(p, line, "invalid value '%.*s' (strings need quotes)",
		     (int)(n > TOKEN_SHOWN ? TOKEN_SHOWN : n), t);
		return NULL;
	}
	if (o == NULL)
		oom(p);
	return o;
}

/* ---- 3. parser --------------------------------------------------------- */

static json_object *parse_value(struct parser *p, unsigned int depth);

static bool
too_deep(struct parser *p, unsigned int depth, unsigned int line)
{
	if (depth <= CG_TOML_MAX_DEPTH)
		return false;
	perr(p, line, "nesting is deeper than %d levels", CG_TOML_MAX_DEPTH);
	return true;
}

/* Add a new container of the given kind under key; NULL on failure. */
static json_object *
add_container(struct parser *p, json_object *parent, const char *key, bool array,
	      enum kind k, unsigned int line)
{
	json_object *o = array ? json_object_new_array() : json_object_new_object();

	if (o == NULL) {
		oom(p);
		return NULL;
	}
	tag(o, line, k);
	if (json_object_object_add(parent, key, o) != 0) {
		json_object_put(o);
		oom(p);
		return NULL;
	}
	return o;
}

/* Why an existing value cannot be used as a table. */
static void
not_a_table(struct parser *p, unsigned int line, const char *disp, json_object *o)
{
	if (json_object_is_type(o, json_type_array) && kind_of(o) == K_AOT)
		perr(p, line, "'%s' is already an array of tables (line %u)", disp, tag_line(o));
	else if (json_object_is_type(o, json_type_array))
		perr(p, line, "'%s' is already an array (line %u)", disp, tag_line(o));
	else
		perr(p, line, "'%s' is already a value (line %u), not a table", disp, tag_line(o));
}

/* Pass through key as an intermediate of a dotted key. */
static json_object *
dotted_step(struct parser *p, json_object *t, const char *key, const char *disp,
	    unsigned int line, unsigned int depth)
{
	json_object *o;

	if (!json_object_object_get_ex(t, key, &o)) {
		if (too_deep(p, depth, line))
			return NULL;
		return add_container(p, t, key, false, K_DOTTED, line);
	}
	if (!json_object_is_type(o, json_type_object)) {
		not_a_table(p, line, disp, o);
		return NULL;
	}
	switch (kind_of(o)) {
	case K_DOTTED:
		return o;
	case K_INLINE:
		perr(p, line, "inline table '%s' (line %u) cannot be extended", disp,
		     tag_line(o));
		return NULL;
	default:
		perr(p, line, "table '%s' was created by a [header] (line %u) and cannot be "
		     "extended with dotted keys", disp, tag_line(o));
		return NULL;
	}
}

/*
 * key = value, into table t at depth tdepth; the cursor is on the key. Leaves
 * the cursor after the value.
 */
static int
parse_keyval(struct parser *p, json_object *t, unsigned int tdepth)
{
	const unsigned int line = p->line;
	char key[CG_TOML_MAX_KEY + 1];
	char disp[DISP_SIZE];
	size_t klen, dn = 0;
	unsigned int depth = tdepth;
	json_object *v;
	char what[8];

	disp[0] = '\0';
	for (;;) {
		if (lex_key(p, key, &klen) < 0)
			return -1;
		if (dn > 0)
			app(disp, sizeof(disp), &dn, ".");
		app_key(disp, sizeof(disp), &dn, key, klen);
		skip_ws(p);
		if (peek(p) != '.')
			break;
		p->pos++;
		skip_ws(p);
		t = dotted_step(p, t, key, disp, line, ++depth);
		if (t == NULL)
			return -1;
	}
	if (peek(p) != '=') {
		perr(p, p->line, "expected '=' after key '%s', got %s", disp,
		     what_is_here(p, what, sizeof(what)));
		return -1;
	}
	p->pos++;
	skip_ws(p);
	if (json_object_object_get_ex(t, key, &v)) {
		perr(p, line, "duplicate key '%s' (first defined on line %u)", disp, tag_line(v));
		return -1;
	}
	v = parse_value(p, depth + 1);
	if (v == NULL)
		return -1;
	if (json_object_object_add(t, key, v) != 0) {
		json_object_put(v);
		oom(p);
		return -1;
	}
	return 0;
}

static json_object *
parse_array(struct parser *p, unsigned int depth)
{
	const unsigned int line = p->line;
	json_object *a, *v;
	char what[8];

	if (too_deep(p, depth, line))
		return NULL;
	a = json_object_new_array();
	if (a == NULL) {
		oom(p);
		return NULL;
	}
	tag(a, line, K_ARRAY);
	p->pos++;
	skip_ws_nl_comments(p);
	if (peek(p) == ']') {
		p->pos++;
		return a;
	}
	for (;;) {
		if (peek(p) == END) {
			perr(p, line, "unterminated array");
			goto fail;
		}
		v = parse_value(p, depth + 1);
		if (v == NULL)
			goto fail;
		if (json_object_array_add(a, v) != 0) {
			json_object_put(v);
			oom(p);
			goto fail;
		}
		skip_ws_nl_comments(p);
		if (peek(p) == ',') {
			p->pos++;
			skip_ws_nl_comments(p);
			if (peek(p) == ']') {	/* trailing comma */
				p->pos++;
				return a;
			}
			continue;
		}
		if (peek(p) == ']') {
			p->pos++;
			return a;
		}
		if (peek(p) == END)
			perr(p, line, "unterminated array");
		else
			perr(p, p->line, "expected ',' or ']' in array, got %s",
			     what_is_here(p, what, sizeof(what)));
		goto fail;
	}
fail:
	json_object_put(a);
	return NULL;
}

static json_object *
parse_inline_table(struct parser *p, unsigned int depth)
{
	const unsigned int line = p->line;
	json_object *t;
	char what[8];

	if (too_deep(p, depth, line))
		return NULL;
	t = json_object_new_object();
	if (t == NULL) {
		oom(p);
		return NULL;
	}
	tag(t, line, K_INLINE);
	p->pos++;
	skip_ws(p);
	if (peek(p) == '}') {
		p->pos++;
		return t;
	}
	for (;;) {
		if (at_newline(p) || peek(p) == END) {
			perr(p, p->line, "an inline table must be on a single line");
			goto fail;
		}
		if (parse_keyval(p, t, depth) < 0)
			goto fail;
		skip_ws(p);
		if (peek(p) == ',') {
			p->pos++;
			skip_ws(p);
			if (peek(p) == '}') {
				perr(p, p->line, "trailing comma in inline table");
				goto fail;
			}
			continue;
		}
		if (peek(p) == '}') {
			p->pos++;
			return t;
		}
		if (at_newline(p) || peek(p) == END)
			perr(p, p->line, "an inline table must be on a single line");
		else
			perr(p, p->line, "expected ',' or '}' in inline table, got %s",
			     what_is_here(p, what, sizeof(what)));
		goto fail;
	}
fail:
	json_object_put(t);
	return NULL;
}

/* A value at the cursor; depth is the one a container value would have. */
static json_object *
parse_value(struct parser *p, unsigned int depth)
{
	const unsigned int line = p->line;
	json_object *o;

	switch (peek(p)) {
	case '"':
	case '\'':
		if (lex_string(p, NULL) < 0)
			return NULL;
		o = json_object_new_string_len(p->sb.p, (int)p->sb.len);
		if (o == NULL) {
			oom(p);
			return NULL;
		}
		break;
	case '[':
		return parse_array(p, depth);
	case '{':
		return parse_inline_table(p, depth);
	default:
		o = lex_scalar(p);
		if (o == NULL)
			return NULL;
		break;
	}
	tag(o, line, K_VALUE);
	return o;
}

/* Pass through key as an intermediate of a [header] or [[header]]. */
static json_object *
header_step(struct parser *p, json_object *t, const char *key, const char *disp,
	    unsigned int line, unsigned int *depth)
{
	json_object *o;
	size_t n;

	if (!json_object_object_get_ex(t, key, &o)) {
		if (too_deep(p, ++*depth, line))
			return NULL;
		return add_container(p, t, key, false, K_IMPLICIT, line);
	}
	if (json_object_is_type(o, json_type_object)) {
		if (kind_of(o) == K_INLINE) {
			perr(p, line, "inline table '%s' (line %u) cannot be extended", disp,
			     tag_line(o));
			return NULL;
		}
		++*depth;
		return o;
	}
	if (json_object_is_type(o, json_type_array) && kind_of(o) == K_AOT) {
		/* [a.b] after [[a]] goes into the last element of a. */
		n = json_object_array_length(o);
		*depth += 2;
		return json_object_array_get_idx(o, n - 1);
	}
	not_a_table(p, line, disp, o);
	return NULL;
}

/* [key]: the final component of a table header. */
static json_object *
define_table(struct parser *p, json_object *t, const char *key, const char *disp,
	     unsigned int line, unsigned int *depth)
{
	json_object *o;

	if (!json_object_object_get_ex(t, key, &o)) {
		if (too_deep(p, ++*depth, line))
			return NULL;
		return add_container(p, t, key, false, K_EXPLICIT, line);
	}
	if (json_object_is_type(o, json_type_object)) {
		switch (kind_of(o)) {
		case K_IMPLICIT:
			/* Created on the way to a sub-table: this is its definition,
			 * and the line people will want to see. */
			tag(o, line, K_EXPLICIT);
			++*depth;
			return o;
		case K_DOTTED:
			perr(p, line, "table [%s] is already defined by dotted keys (line %u)",
			     disp, tag_line(o));
			return NULL;
		case K_INLINE:
			perr(p, line, "table [%s] is already defined inline (line %u)", disp,
			     tag_line(o));
			return NULL;
		default:
			perr(p, line, "table [%s] is already defined (line %u)", disp,
			     tag_line(o));
			return NULL;
		}
	}
	if (json_object_is_type(o, json_type_array) && kind_of(o) == K_AOT) {
		perr(p, line, "[%s] is already an array of tables (line %u)", disp, tag_line(o));
		return NULL;
	}
	not_a_table(p, line, disp, o);
	return NULL;
}

/* [[key]]: append a new table to the array of tables key. */
static json_object *
define_aot_elem(struct parser *p, json_object *t, const char *key, const char *disp,
		unsigned int line, unsigned int *depth)
{
	json_object *a, *e;

	if (!json_object_object_get_ex(t, key, &a)) {
		if (too_deep(p, *depth + 2, line))
			return NULL;
		a = add_container(p, t, key, true, K_AOT, line);
		if (a == NULL)
			return NULL;
	} else if (!json_object_is_type(a, json_type_array) || kind_of(a) != K_AOT) {
		if (json_object_is_type(a, json_type_array))
			perr(p, line, "cannot append to static array '%s' (line %u)", disp,
			     tag_line(a));
		else if (json_object_is_type(a, json_type_object))
			perr(p, line, "[[%s]] is already a table (line %u)", disp, tag_line(a));
		else
			not_a_table(p, line, disp, a);
		return NULL;
	}
	*depth += 2;
	e = json_object_new_object();
	if (e == NULL) {
		oom(p);
		return NULL;
	}
	tag(e, line, K_EXPLICIT);
	if (json_object_array_add(a, e) != 0) {
		json_object_put(e);
		oom(p);
		return NULL;
	}
	return e;
}

/* [a.b] or [[a.b]]; the cursor is on the first '['. */
static int
parse_header(struct parser *p)
{
	const unsigned int line = p->line;
	char key[CG_TOML_MAX_KEY + 1];
	char disp[DISP_SIZE];
	size_t klen, dn = 0;
	unsigned int depth = 0;
	json_object *t = p->root;
	bool aot;
	char what[8];

	disp[0] = '\0';
	p->pos++;
	aot = peek(p) == '[';
	if (aot)
		p->pos++;
	skip_ws(p);
	for (;;) {
		if (lex_key(p, key, &klen) < 0)
			return -1;
		if (dn > 0)
			app(disp, sizeof(disp), &dn, ".");
		app_key(disp, sizeof(disp), &dn, key, klen);
		skip_ws(p);
		if (peek(p) != '.')
			break;
		p->pos++;
		skip_ws(p);
		t = header_step(p, t, key, disp, line, &depth);
		if (t == NULL)
			return -1;
	}
	if (peek(p) != ']' || (aot && peek_at(p, 1) != ']')) {
		if (peek(p) == ']')
			p->pos++;	/* point the message at what follows "]" */
		perr(p, line, "expected '%s' to close the header, got %s", aot ? "]]" : "]",
		     what_is_here(p, what, sizeof(what)));
		return -1;
	}
	p->pos += aot ? 2 : 1;
	t = aot ? define_aot_elem(p, t, key, disp, line, &depth) :
		  define_table(p, t, key, disp, line, &depth);
	if (t == NULL)
		return -1;
	p->cur = t;
	p->cur_depth = depth;
	return 0;
}

static int
parse_document(struct parser *p)
{
	char what[8];

	for (;;) {
		skip_ws(p);
		skip_comment(p);
		if (peek(p) == END)
			return 0;
		if (at_newline(p)) {
			eat_newline(p);
			continue;
		}
		if (peek(p) == '[') {
			if (parse_header(p) < 0)
				return -1;
		} else if (parse_keyval(p, p->cur, p->cur_depth) < 0) {
			return -1;
		}
		skip_ws(p);
		skip_comment(p);
		if (peek(p) != END && !at_newline(p)) {
			perr(p, p->line, "expected the end of the line, got %s",
			     what_is_here(p, what, sizeof(what)));
			return -1;
		}
	}
}

/* Replace the parse-time tags by bare line numbers (the public contract). */
static void
finalize(json_object *o)
{
	size_t i, n;

	json_object_set_userdata(o, (void *)(uintptr_t)tag_line(o), NULL);
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			finalize(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			finalize(json_object_array_get_idx(o, i));
	}
}

json_object *
cg_toml_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser p = {
		.s = text, .len = len, .line = 1, .err = err, .errlen = errlen,
	};
	int rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL && len > 0) {
		perr(&p, 1, "no text");
		errno = EINVAL;
		return NULL;
	}
	if (len > CG_TOML_MAX_SIZE) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "document is larger than %d bytes",
				 CG_TOML_MAX_SIZE);
		errno = EINVAL;
		return NULL;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p.pos = 3;	/* byte order mark, as some editors write */
	p.root = json_object_new_object();
	if (p.root == NULL) {
		oom(&p);
	} else {
		tag(p.root, 1, K_EXPLICIT);
		p.cur = p.root;
		if (prescan(&p) == 0)
			rc = parse_document(&p);
	}
	free(p.sb.p);
	if (p.c_locale != (locale_t)0)
		freelocale(p.c_locale);
	if (rc < 0) {
		json_object_put(p.root);
		errno = p.oom ? ENOMEM : EINVAL;
		return NULL;
	}
	finalize(p.root);
	return p.root;
}

json_object *
cg_toml_parse_file(const char *path, char *err, size_t errlen)
{
	char msg[512];
	json_object *o;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, e;
	ssize_t r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		goto sys_fail;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			/* Read one byte past the limit to tell "too large" apart. */
			cap = cap ? cap * 2 : 4096;
			if (cap > CG_TOML_MAX_SIZE + 1)
				cap = CG_TOML_MAX_SIZE + 1;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				e = ENOMEM;
				goto sys_fail;
			}
			buf = nb;
		}
		if (len == cap)
			break;
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			goto sys_fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	o = cg_toml_parse(buf, len, msg, sizeof(msg));
	e = errno;
	free(buf);
	if (o == NULL && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, msg);
	errno = e;
	return o;

sys_fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, strerror(e));
	errno = e;
	return NULL;
}

unsigned int
cg_toml_line(const json_object *obj)
{
	uintptr_t u;

	if (obj == NULL)
		return 0;
	/* json-c's getter is not const-correct; it only reads. */
	u = (uintptr_t)json_object_get_userdata((json_object *)(uintptr_t)obj);
	return u <= MAX_LINE ? (unsigned int)u : 0;
}

/* ---- 4. schema helpers ------------------------------------------------- */

const char *
cg_toml_path(char *buf, size_t size, const char *path, const char *key)
{
	size_t n = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (path != NULL && path[0] != '\0')
		app(buf, size, &n, "%s.", path);
	if (key != NULL)
		app_key(buf, size, &n, key, strlen(key));
	return buf;
}

const char *
cg_toml_path_index(char *buf, size_t size, const char *path, size_t index)
{
	if (size > 0)
		snprintf(buf, size, "%s[%zu]", path != NULL ? path : "", index);
	return buf;
}

static int
verrorf(char *err, size_t errlen, const char *path, const json_object *at, const char *fmt,
	va_list ap)
{
	unsigned int line = cg_toml_line(at);
	size_t n = 0;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	err[0] = '\0';
	if (path != NULL && path[0] != '\0') {
		app(err, errlen, &n, "%s", path);
		if (line > 0)
			app(err, errlen, &n, " (line %u)", line);
		app(err, errlen, &n, ": ");
	} else if (line > 0) {
		app(err, errlen, &n, "line %u: ", line);
	}
	if (n < errlen - 1)
		vsnprintf(err + n, errlen - n, fmt, ap);
	return -EINVAL;
}

int
cg_toml_errorf(char *err, size_t errlen, const char *path, const json_object *at,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrorf(err, errlen, path, at, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *
cg_toml_type_name(const json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a float";
	case json_type_int: return "an integer";
	case json_type_object: return "a table";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "an unknown type";
}

/* Room for "<path>.<key>" in messages. */
#define PATH_SIZE 512

/*
 * Common part of the getters: find key in table. 0 and *v set, -ENOENT, or
 * -EINVAL with err filled. kp receives the key's path for the caller's messages.
 */
static int
lookup(json_object *table, const char *path, const char *key, bool required, json_object **v,
       char *kp, char *err, size_t errlen)
{
	cg_toml_path(kp, PATH_SIZE, path, key);
	if (table != NULL && !json_object_is_type(table, json_type_object))
		return cg_toml_errorf(err, errlen, path, table, "expected a table, got %s",
				      cg_toml_type_name(table));
	if (table == NULL || !json_object_object_get_ex(table, key, v)) {
		if (required)
			return cg_toml_errorf(err, errlen, kp, table, "required key is missing");
		return -ENOENT;
	}
	return 0;
}

int
cg_toml_check_keys(json_object *table, const char *path, const char *const *allowed,
		   char *err, size_t errlen)
{
	char kp[PATH_SIZE];
	size_t i;

	if (table == NULL)
		return 0;
	if (!json_object_is_type(table, json_type_object))
		return cg_toml_errorf(err, errlen, path, table, "expected a table, got %s",
				      cg_toml_type_name(table));
	json_object_object_foreach(table, k, v) {
		for (i = 0; allowed != NULL && allowed[i] != NULL; i++)
			if (strcmp(allowed[i], k) == 0)
				break;
		if (allowed == NULL || allowed[i] == NULL)
			return cg_toml_errorf(err, errlen, cg_toml_path(kp, sizeof(kp), path, k),
					      v, "unknown key");
	}
	return 0;
}

static int
type_error(char *err, size_t errlen, const char *kp, json_object *v, const char *want)
{
	return cg_toml_errorf(err, errlen, kp, v, "expected %s, got %s", want, cg_toml_type_name(v));
}

int
cg_toml_get_string(json_object *table, const char *path, const char *key, bool required,
		   const char **out, char *err, size_t errlen)
{
	char kp[PATH_SIZE];
	json_object *v;
	int rc = lookup(table, path, key, required, &v, kp, err, errlen);

	if (rc < 0)
		return rc;
	if (!json_object_is_type(v, json_type_string))
		return type_error(err, errlen, kp, v, "a string");
	/* The parser never makes such strings, but JSON input ("\u0000") can:
	 * callers use C strings, which would silently be cut short. */
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return cg_toml_errorf(err, errlen, kp, v, "U+0000 is not allowed in strings");
	*out = json_object_get_string(v);
	return 0;
}

int
cg_toml_get_int(json_object *table, const char *path, const char *key, bool required,
		int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
	char kp[PATH_SIZE];
	json_object *v;
	int64_t x;
	int rc = lookup(table, path, key, required, &v, kp, err, errlen);

	if (rc < 0)
		return rc;
	if (!json_object_is_type(v, json_type_int))
		return type_error(err, errlen, kp, v, "an integer");
	x = json_object_get_int64(v);
	/* json-c holds JSON integers above INT64_MAX as uint64 and clamps them here. */
	if (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return cg_toml_errorf(err, errlen, kp, v, "%" PRIu64 " is out of range %" PRId64
				      "..%" PRId64, json_object_get_uint64(v), min, max);
	if (x < min || x > max)
		return cg_toml_errorf(err, errlen, kp, v, "%" PRId64 " is out of range %" PRId64
				      "..%" PRId64, x, min, max);
	*out = x;
	return 0;
}

int
cg_toml_get_bool(json_object *table, const char *path, const char *key, bool required,
		 bool *out, char *err, size_t errlen)
{
	char kp[PATH_SIZE];
	json_object *v;
	int rc = lookup(table, path, key, required, &v, kp, err, errlen);

	if (rc < 0)
		return rc;
	if (!json_object_is_type(v, json_type_boolean))
		return type_error(err, errlen, kp, v, "a boolean");
	*out = json_object_get_boolean(v);
	return 0;
}

int
cg_toml_get_double(json_object *table, const char *path, const char *key, bool required,
		   double *out, char *err, size_t errlen)
{
	char kp[PATH_SIZE];
	json_object *v;
	int rc = lookup(table, path, key, required, &v, kp, err, errlen);

	if (rc < 0)
		return rc;
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return type_error(err, errlen, kp, v, "a number");
	*out = json_object_get_double(v);
	return 0;
}

int
cg_toml_get_table(json_object *table, const char *path, const char *key, bool required,
		  json_object **out, char *err, size_t errlen)
{
	char kp[PATH_SIZE];
	json_object *v;
	int rc = lookup(table, path, key, required, &v, kp, err, errlen);

	if (rc < 0)
		return rc;
	if (!json_object_is_type(v, json_type_object))
		return type_error(err, errlen, kp, v, "a table");
	*out = v;
	return 0;
}

int
cg_toml_get_array(json_object *table, const char *path, const char *key, bool required,
		  json_object **out, char *err, size_t errlen)
{
	char kp[PATH_SIZE];
	json_object *v;
	int rc = lookup(table, path, key, required, &v, kp, err, errlen);

	if (rc < 0)
		return rc;
	if (!json_object_is_type(v, json_type_array))
		return type_error(err, errlen, kp, v, "an array");
	*out = v;
	return 0;
}
