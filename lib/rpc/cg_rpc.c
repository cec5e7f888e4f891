/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-RPC 2.0 codec and dispatch: pure functions over json-c objects, so
 * they are tested without a socket and shared by server and client.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cg_rpc.h"

/* Deep nesting is never needed by castgate's methods and costs stack. */
#define RPC_JSON_DEPTH 32

const char *
cg_rpc_code_name(int code)
{
	switch (code) {
	case CG_RPC_OK: return "ok";
	case CG_RPC_E_PARSE: return "parse error";
	case CG_RPC_E_INVALID_REQUEST: return "invalid request";
	case CG_RPC_E_METHOD_NOT_FOUND: return "method not found";
	case CG_RPC_E_INVALID_PARAMS: return "invalid params";
	case CG_RPC_E_INTERNAL: return "internal error";
	case CG_RPC_E_PERMISSION: return "permission denied";
	case CG_RPC_E_NOT_FOUND: return "not found";
	case CG_RPC_E_EXISTS: return "already exists";
	case CG_RPC_E_CONFLICT: return "conflict";
	case CG_RPC_E_DATAPLANE: return "data plane unavailable";
	case CG_RPC_E_BUSY: return "busy";
	default: return "unknown error";
	}
}

/*
 * Every byte of @str that is not part of a whole UTF-8 sequence becomes '?'.
 * A message is cut to its buffer, and a handler's "%.64s" of a name, by
 * bytes: a cut through a character would make the reply invalid UTF-8,
 * which a strict client refuses whole.
 */
static void
utf8_mend(char *str)
{
	unsigned char *s = (unsigned char *)str;

	while (*s != '\0') {
		size_t n = *s < 0x80 ? 1 : *s >= 0xc2 && *s <= 0xdf ? 2 :
			   *s >= 0xe0 && *s <= 0xef ? 3 : *s >= 0xf0 && *s <= 0xf4 ? 4 : 0;
		size_t k = 1;

		while (k < n && (s[k] & 0xc0) == 0x80)
			k++;
		if (n == 0 || k < n) {
			*s++ = '?';
			continue;
		}
		s += n;
	}
}

void
cg_rpc_error_set(struct cg_rpc_error *err, int code, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	snprintf(err->field, sizeof(err->field), "%s", field != NULL ? field : "");
	utf8_mend(err->message);
	utf8_mend(err->field);
}

/*
 * The bytes json-c lets through that are not JSON, or that would break a
 * reply or a C string later: invalid UTF-8 (json-c's check takes overlong
 * forms such as C0 AF, the classic '/' smuggling, and UTF-16 surrogates),
 * and the escape \u0000 (a NUL in a string or a key: "rule.get\u0000zzz"
 * would run rule.get, and a key is cut at it).
 * @return 0, or -1 with @err set.
 */
static int
raw_check(const unsigned char *s, size_t len, struct cg_rpc_error *err)
{
	bool in_str = false;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			if (in_str && c == '\\') {
				if (i + 5 < len && s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0) {
					cg_rpc_error_set(err, CG_RPC_E_PARSE, NULL, "parse error at "
							 "byte %zu: \\u0000 (NUL) is not allowed in "
							 "a string", i);
					return -1;
				}
				i += 2;	/* the escaped character, whatever it is */
				continue;
			}
			if (c == '"')
				in_str = !in_str;
			i++;
			continue;
		}
		/* Lead byte: the length, the smallest code point it may carry. */
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		if (i + n > len)
			goto bad;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += n;
	}
	return 0;
bad:
	cg_rpc_error_set(err, CG_RPC_E_PARSE, NULL, "parse error at byte %zu: invalid UTF-8", i);
	return -1;
}

/* NaN and Infinity, which json-c reads even in strict mode, are not JSON. */
static bool
has_non_finite(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_double:
		return !isfinite(json_object_get_double(o));
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (has_non_finite(json_object_array_get_idx(o, i)))
				return true;
		return false;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (has_non_finite(val))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

json_object *
cg_rpc_json_parse(const char *line, size_t len, struct cg_rpc_error *err)
{
	struct json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	if (len > INT32_MAX) {
		cg_rpc_error_set(err, CG_RPC_E_PARSE, NULL, "parse error: line too long");
		return NULL;
	}
	if (raw_check((const unsigned char *)line, len, err) < 0)
		return NULL;
	tok = json_tokener_new_ex(RPC_JSON_DEPTH);
	if (tok == NULL) {
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	/* UTF-8 is checked by raw_check(), more strictly: json-c's own check
	 * takes overlong forms (0.16) or refuses every multi-byte character
	 * (0.18, Debian 13). */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (obj == NULL && jerr == json_tokener_continue && end == len) {
		/*
		 * A bare number or literal at the very end ("42", "null") is
		 * complete only once a delimiter follows: the line end is one.
		 */
		obj = json_tokener_parse_ex(tok, " ", 1);
		jerr = json_tokener_get_error(tok);
	}
	if (obj == NULL && jerr == json_tokener_continue) {
		/* Input ended inside a value: say so rather than "continue". */
		cg_rpc_error_set(err, CG_RPC_E_PARSE, NULL,
				 "parse error: unexpected end of line at byte %zu", len);
		json_tokener_free(tok);
		return NULL;
	}
	if (obj == NULL && jerr != json_tokener_success) {
		cg_rpc_error_set(err, CG_RPC_E_PARSE, NULL, "parse error at byte %zu: %s",
				 end, json_tokener_error_desc(jerr));
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	/* Only white space may follow the value (NUL bytes included: not JSON). */
	for (; end < len; end++) {
		char c = line[end];

		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			json_object_put(obj);
			cg_rpc_error_set(err, CG_RPC_E_PARSE, NULL,
					 "parse error at byte %zu: data after the JSON value", end);
			return NULL;
		}
	}
	if (obj == NULL && jerr == json_tokener_success) {
		/* The literal null is valid JSON; it is an invalid request, not a parse error. */
		return NULL;
	}
	if (has_non_finite(obj)) {
		json_object_put(obj);
		cg_rpc_error_set(err, CG_RPC_E_PARSE, NULL,
				 "parse error: a number too large for a double, or NaN or "
				 "Infinity (not JSON numbers)");
		return NULL;
	}
	return obj;
}

int
cg_rpc_request_parse(json_object *obj, struct cg_rpc_request *req, struct cg_rpc_error *err)
{
	json_object *v;
	const char *s;

	memset(req, 0, sizeof(*req));
	if (!json_object_is_type(obj, json_type_object)) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_REQUEST, NULL,
				 "invalid request: expected an object, got %s",
				 obj == NULL ? "null" :
				 json_type_to_name(json_object_get_type(obj)));
		return -EINVAL;
	}
	/* Read the id first, so that every later error can echo it. */
	if (json_object_object_get_ex(obj, "id", &v)) {
		json_type t = json_object_get_type(v);

		if (t != json_type_null && t != json_type_string && t != json_type_int &&
		    t != json_type_double) {
			cg_rpc_error_set(err, CG_RPC_E_INVALID_REQUEST, "id",
					 "invalid request: id must be a string, number "
					 "or null, got %s",
					 json_type_to_name(t));
			return -EINVAL;
		}
		/* json-c clamps integers beyond 64 bits to the limits: refuse
		 * them (and INT64_MIN, which a clamp cannot be told from), so
		 * that a reply never carries an id the client did not send. */
		if ((t == json_type_int && (json_object_get_uint64(v) > INT64_MAX ||
					    json_object_get_int64(v) == INT64_MIN))) {
			cg_rpc_error_set(err, CG_RPC_E_INVALID_REQUEST, "id",
					 "invalid request: an integer id must be within "
					 "-9223372036854775807..9223372036854775807");
			return -EINVAL;
		}
		req->id = v;
		req->has_id = true;
	}
	if (!json_object_object_get_ex(obj, "jsonrpc", &v)) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_REQUEST, "jsonrpc",
				 "invalid request: missing \"jsonrpc\": \"2.0\"");
		return -EINVAL;
	}
	s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	if (s == NULL || strcmp(s, "2.0") != 0) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_REQUEST, "jsonrpc",
				 "invalid request: jsonrpc must be \"2.0\"");
		return -EINVAL;
	}
	if (!json_object_object_get_ex(obj, "method", &v)) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_REQUEST, "method",
				 "invalid request: missing method");
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_REQUEST, "method",
				 "invalid request: method must be a non-empty string");
		return -EINVAL;
	}
	req->method = json_object_get_string(v);
	if (json_object_object_get_ex(obj, "params", &v)) {
		json_type t = json_object_get_type(v);

		if (t != json_type_object && t != json_type_array) {
			cg_rpc_error_set(err, CG_RPC_E_INVALID_REQUEST, "params",
					 "invalid request: params must be an object or "
					 "an array, got %s",
					 json_type_to_name(t));
			return -EINVAL;
		}
		req->params = v;
	}
	/* Unknown members are refused: a typo such as "param" must not be ignored. */
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (strcmp(key, "jsonrpc") != 0 && strcmp(key, "method") != 0 &&
		    strcmp(key, "params") != 0 && strcmp(key, "id") != 0) {
			cg_rpc_error_set(err, CG_RPC_E_INVALID_REQUEST, key,
					 "invalid request: unknown member \"%s\"", key);
			return -EINVAL;
		}
	}
	return 0;
}

static json_object *
response_base(void)
{
	json_object *r = json_object_new_object();

	if (r == NULL)
		return NULL;
	if (json_object_object_add(r, "jsonrpc", json_object_new_string("2.0")) != 0) {
		json_object_put(r);
		return NULL;
	}
	return r;
}

json_object *
cg_rpc_response_result(json_object *id, json_object *result)
{
	json_object *r = response_base();

	if (r == NULL) {
		json_object_put(result);
		return NULL;
	}
	json_object_object_add(r, "result", result);
	json_object_object_add(r, "id", json_object_get(id));
	return r;
}

json_object *
cg_rpc_response_error(json_object *id, const struct cg_rpc_error *err)
{
	json_object *r = response_base();
	json_object *e, *data;

	if (r == NULL)
		return NULL;
	e = json_object_new_object();
	if (e == NULL) {
		json_object_put(r);
		return NULL;
	}
	json_object_object_add(e, "code", json_object_new_int(err->code));
	json_object_object_add(e, "message", json_object_new_string(
		err->message[0] != '\0' ? err->message : cg_rpc_code_name(err->code)));
	if (err->field[0] != '\0') {
		data = json_object_new_object();
		if (data != NULL) {
			json_object_object_add(data, "field", json_object_new_string(err->field));
			json_object_object_add(e, "data", data);
		}
	}
	json_object_object_add(r, "error", e);
	json_object_object_add(r, "id", json_object_get(id));
	return r;
}

char *
cg_rpc_to_line(json_object *obj, size_t *len)
{
	const char *s;
	size_t n;
	char *line;

	/* PLAIN: no added white space, so no raw newline; strings escape their own. */
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	line = malloc(n + 2);
	if (line == NULL)
		return NULL;
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

static const struct cg_rpc_method *
method_find(const struct cg_rpc_method *methods, const char *name)
{
	for (; methods != NULL && methods->name != NULL; methods++)
		if (strcmp(methods->name, name) == 0)
			return methods;
	return NULL;
}

/* One request object: reply, or NULL for a valid notification. */
static json_object *
dispatch_one(const struct cg_rpc_method *methods, json_object *msg, const struct cg_rpc_ctx *ctx)
{
	struct cg_rpc_request req;
	struct cg_rpc_error err = { 0 };
	const struct cg_rpc_method *m;
	json_object *result;
	bool allowed;

	if (cg_rpc_request_parse(msg, &req, &err) != 0)
		/* An invalid request is answered even without an id (spec §5). */
		return ctx != NULL && ctx->peer_gone ? NULL : cg_rpc_response_error(req.id, &err);
	/* A client that sent a batch and hung up must not make us work for
	 * nothing: what it asked for, it can no longer read. */
	if (req.has_id && ctx != NULL && ctx->peer_gone)
		return NULL;

	m = method_find(methods, req.method);
	if (m == NULL) {
		cg_rpc_error_set(&err, CG_RPC_E_METHOD_NOT_FOUND, "method",
				 "method not found: \"%s\"", req.method);
		goto fail;
	}
	if (ctx == NULL || ctx->peer == NULL)
		allowed = false;
	else if (m->access == CG_RPC_READ)
		allowed = ctx->peer->can_read || ctx->peer->can_admin;
	else
		allowed = ctx->peer->can_admin;
	if (!allowed) {
		cg_rpc_error_set(&err, CG_RPC_E_PERMISSION, "method",
				 "permission denied: \"%s\" needs the %s group (uid %ld)",
				 req.method, m->access == CG_RPC_READ ? "read" : "admin",
				 ctx != NULL && ctx->peer != NULL ? (long)ctx->peer->uid : -1L);
		goto fail;
	}
	result = m->fn(req.params, ctx, &err);
	if (err.code != 0) {
		json_object_put(result);
		/* METHOD_NOT_FOUND: a method that is off in this process (a test hook). */
		if (err.code != CG_RPC_E_INVALID_PARAMS && err.code != CG_RPC_E_INTERNAL &&
		    err.code != CG_RPC_E_METHOD_NOT_FOUND &&
		    (err.code > -32000 || err.code < -32099)) {
			/* A handler bug must not leak an out-of-range code. */
			err.code = CG_RPC_E_INTERNAL;
		}
		goto fail;
	}
	if (!req.has_id) {
		json_object_put(result);
		return NULL;
	}
	return cg_rpc_response_result(req.id, result);

fail:
	if (!req.has_id)
		return NULL;
	return cg_rpc_response_error(req.id, &err);
}

/*
 * The reply to a batch element when the batch's replies passed @limit at
 * element @i:
 * @ran says whether it was run (its reply was the one that went over) or
 * not (it came after).
 */
static json_object *
over_limit(json_object *req, size_t i, size_t limit, bool ran)
{
	struct cg_rpc_error err = { 0 };
	json_object *id = NULL;

	struct cg_rpc_request rq;

	/* A valid notification gets no reply, run or not; an invalid element
	 * gets one, with id null, as under the limit (spec section 5). */
	if (!json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "id", &id)) {
		if (cg_rpc_request_parse(req, &rq, &err) == 0)
			return NULL;
		id = NULL;
	}
	/* Only ids that could be echoed: cg_rpc_request_parse()'s rules. */
	if (!json_object_is_type(id, json_type_string) && !json_object_is_type(id, json_type_int) &&
	    !json_object_is_type(id, json_type_null))
		id = NULL;
	cg_rpc_error_set(&err, CG_RPC_E_INVALID_REQUEST, NULL, "%s: the batch's replies passed "
			 "their limit of %zu bytes at element %zu; send fewer requests per batch",
			 ran ? "done, but its reply is left out" : "not run", limit, i);
	return cg_rpc_response_error(id, &err);
}

json_object *
cg_rpc_dispatch(const struct cg_rpc_method *methods, json_object *msg,
		const struct cg_rpc_ctx *ctx)
{
	struct cg_rpc_error err = { 0 };
	json_object *replies, *r;
	size_t i, n, size = 0, limit, over_at = 0;

	if (!json_object_is_type(msg, json_type_array))
		return dispatch_one(methods, msg, ctx);

	n = json_object_array_length(msg);
	if (n == 0) {
		cg_rpc_error_set(&err, CG_RPC_E_INVALID_REQUEST, NULL,
				 "invalid request: empty batch");
		return cg_rpc_response_error(NULL, &err);
	}
	if (n > CG_RPC_MAX_BATCH) {
		cg_rpc_error_set(&err, CG_RPC_E_INVALID_REQUEST, NULL,
				 "invalid request: a batch of %zu requests is over the limit of %d",
				 n, CG_RPC_MAX_BATCH);
		return cg_rpc_response_error(NULL, &err);
	}
	limit = ctx != NULL && ctx->max_reply != 0 ? ctx->max_reply : CG_RPC_MAX_OUTPUT_DEFAULT;
	replies = json_object_new_array();
	if (replies == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		json_object *req = json_object_array_get_idx(msg, i);

		if (size > limit) {
			/* Over the limit: what is left is not run, only answered. */
			r = over_limit(req, over_at, limit, false);
		} else {
			r = dispatch_one(methods, req, ctx);
			if (r != NULL) {
				size += strlen(json_object_to_json_string_ext(r,
						JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
				if (size > limit) {
					/* This reply went over: it is replaced too. */
					json_object_put(r);
					over_at = i;
					r = over_limit(req, i, limit, true);
				}
			}
		}
		if (r != NULL)
			json_object_array_add(replies, r);
	}
	/* A batch of notifications only gets no reply at all. */
	if (json_object_array_length(replies) == 0) {
		json_object_put(replies);
		return NULL;
	}
	return replies;
}

json_object *
cg_rpc_handle_line(const struct cg_rpc_method *methods, const char *line, size_t len,
		   const struct cg_rpc_ctx *ctx)
{
	struct cg_rpc_error err = { 0 };
	json_object *msg, *reply;
	size_t i;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			break;
	if (i == len)
		return NULL; /* blank line: keep-alive, no reply */

	msg = cg_rpc_json_parse(line, len, &err);
	if (msg == NULL) {
		if (err.code == 0) /* the literal null */
			cg_rpc_error_set(&err, CG_RPC_E_INVALID_REQUEST, NULL,
					 "invalid request: expected an object, got null");
		return cg_rpc_response_error(NULL, &err);
	}
	reply = cg_rpc_dispatch(methods, msg, ctx);
	json_object_put(msg);
	return reply;
}
