/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/rpc: each line of the input goes through
 * cg_rpc_handle_line() (the server's path: strict JSON parse, request
 * validation, dispatch with access control, batches) with a small method
 * table, once as a read-group peer and once as an admin. Every reply must
 * serialize to one line of valid UTF-8 (checked by fuzz_util.h, not by
 * lib/rpc) that json-c parses back, be a well-formed JSON-RPC 2.0 response,
 * and a batch must get one reply per request that is not a notification.
 * Run with scripts/fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cg_rpc.h"
#include "fuzz_util.h"

static json_object *
m_echo(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	(void)ctx;
	(void)err;
	return json_object_get(params);
}

static json_object *
m_fail(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	(void)ctx;
	cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params", "fail: %s",
			 params ? json_object_to_json_string(params) : "no params");
	return json_object_new_string("dropped with the error");
}

static json_object *
m_badcode(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	(void)params;
	(void)ctx;
	cg_rpc_error_set(err, 42, NULL, "handler bug");
	return NULL;
}

/* Echoes the first string param's keys and values into a result: strings the
 * client chose end up in replies. */
static json_object *
m_keys(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	json_object *a = json_object_new_array();

	(void)ctx;
	(void)err;
	if (json_object_is_type(params, json_type_object)) {
		json_object_object_foreach(params, k, v) {
			(void)v;
			json_object_array_add(a, json_object_new_string(k));
		}
	}
	return a;
}

static json_object *
m_set(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	(void)params;
	(void)err;
	return json_object_new_boolean(ctx->peer->can_admin);
}

static const struct cg_rpc_method methods[] = {
	{ "echo", CG_RPC_READ, m_echo },
	{ "fail", CG_RPC_READ, m_fail },
	{ "badcode", CG_RPC_READ, m_badcode },
	{ "keys", CG_RPC_READ, m_keys },
	{ "rule.add", CG_RPC_ADMIN, m_set },
	{ NULL, 0, NULL },
};

static const struct cg_rpc_peer peer_read = { 2, 1000, 1000, true, false };
static const struct cg_rpc_peer peer_admin = { 1, 0, 0, true, true };

/* One response object: jsonrpc, exactly one of result/error, an id. */
static void
check_response(json_object *r)
{
	json_object *v, *e = NULL;

	FUZZ_CHECK(json_object_is_type(r, json_type_object));
	FUZZ_CHECK(json_object_object_get_ex(r, "jsonrpc", &v) &&
		   strcmp(json_object_get_string(v), "2.0") == 0);
	FUZZ_CHECK(json_object_object_get_ex(r, "id", NULL));
	FUZZ_CHECK(json_object_object_get_ex(r, "result", NULL) !=
		   json_object_object_get_ex(r, "error", &e));
	if (e != NULL) {
		FUZZ_CHECK(json_object_object_get_ex(e, "code", &v) &&
			   json_object_is_type(v, json_type_int));
		FUZZ_CHECK(json_object_object_get_ex(e, "message", &v) &&
			   json_object_is_type(v, json_type_string));
	}
}

/* Replies a batch is due: one per element that is not a valid notification. */
static size_t
replies_due(json_object *batch)
{
	size_t i, n = json_object_array_length(batch), due = 0;

	for (i = 0; i < n; i++) {
		struct cg_rpc_request req;
		struct cg_rpc_error err = { 0 };

		if (cg_rpc_request_parse(json_object_array_get_idx(batch, i), &req, &err) != 0 ||
		    req.has_id)
			due++;
	}
	return due;
}

static void
one_line(const char *line, size_t len, const struct cg_rpc_peer *peer, size_t max_reply)
{
	struct cg_rpc_ctx ctx = { .peer = peer, .max_reply = max_reply };
	struct cg_rpc_error err = { 0 };
	json_object *reply, *msg, *back;
	struct json_tokener *tok;
	size_t out_len, i, n;
	char *out;

	reply = cg_rpc_handle_line(methods, line, len, &ctx);
	msg = cg_rpc_json_parse(line, len, &err);
	if (reply == NULL) {
		/* Only a blank line, a notification, or a batch of them. */
		FUZZ_CHECK(msg == NULL || json_object_is_type(msg, json_type_object) ||
			   json_object_is_type(msg, json_type_array));
		json_object_put(msg);
		return;
	}
	out = cg_rpc_to_line(reply, &out_len);
	FUZZ_CHECK(out != NULL && out_len > 0 && out[out_len - 1] == '\n');
	FUZZ_CHECK(memchr(out, '\n', out_len - 1) == NULL);
	FUZZ_CHECK(strlen(out) == out_len);
	FUZZ_CHECK(fuzz_utf8_valid((const uint8_t *)out, out_len));
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	back = json_tokener_parse_ex(tok, out, (int)out_len - 1);
	FUZZ_CHECK(back != NULL && json_tokener_get_error(tok) == json_tokener_success);
	FUZZ_CHECK(json_tokener_get_parse_end(tok) == out_len - 1);
	json_tokener_free(tok);

	if (json_object_is_type(reply, json_type_array)) {
		n = json_object_array_length(reply);
		FUZZ_CHECK(n > 0 && json_object_is_type(msg, json_type_array));
		FUZZ_CHECK(n <= json_object_array_length(msg));
		/* Under the default size limit, the count is exact. */
		if (max_reply == 0)
			FUZZ_CHECK(n == replies_due(msg));
		for (i = 0; i < n; i++)
			check_response(json_object_array_get_idx(reply, i));
	} else {
		check_response(reply);
		if (json_object_is_type(msg, json_type_array)) {
			/* A batch answered by one object: refused whole. */
			n = json_object_array_length(msg);
			FUZZ_CHECK(n == 0 || n > CG_RPC_MAX_BATCH);
		}
	}
	json_object_put(back);
	json_object_put(msg);
	json_object_put(reply);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *end, *nl;
	char *text;

	/* A copy without a terminating NUL, so that ASan sees a read past the end. */
	text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	p = text;
	end = text + size;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		one_line(p, (size_t)(nl - p), &peer_read, 0);
		one_line(p, (size_t)(nl - p), &peer_admin, 300);
		p = nl + 1;
	}
	free(text);
	return 0;
}
