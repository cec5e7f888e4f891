/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON-RPC methods of castgate-control: parameter validation (strict:
 * unknown members are errors, every error names its field), then the work
 * in control_rules.c / control_stats.c. Shapes: docs/API.md.
 */
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <rte_version.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "cg_rpc.h"
#include "cg_rule.h"
#include "cg_shm.h"
#include "control.h"

static struct control *
control_of(const struct cg_rpc_ctx *ctx)
{
	return ctx->user;
}

static struct control_who
who_of(const struct cg_rpc_ctx *ctx, const char *method)
{
	struct control_who w = { .uid = ctx->peer->uid, .pid = ctx->peer->pid, .via = method };

	return w;
}

/*
 * Parameter validation
 */

/* @params must be absent or an object whose members are all in @keys. */
static int
check_params(json_object *params, const char *const keys[], struct cg_rpc_error *err)
{
	char list[256];
	size_t off = 0;

	if (params == NULL)
		return 0;
	if (!json_object_is_type(params, json_type_object)) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params", "params: expected an "
				 "object with named members, got an array");
		return -1;
	}
	list[0] = '\0';
	for (int i = 0; keys[i] != NULL && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s\"%s\"", i ? ", " : "",
					keys[i]);
	json_object_object_foreach(params, k, v) {
		bool known = false;

		(void)v;
		for (int i = 0; keys[i] != NULL && !known; i++)
			known = strcmp(k, keys[i]) == 0;
		if (!known) {
			char field[CG_RPC_FIELD_MAX];

			snprintf(field, sizeof(field), "params.%.100s", k);
			cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, field, "params: unknown "
					 "member \"%.100s\" (%s%s)", k, keys[0] ? "expected " : "",
					 keys[0] ? list : "this method takes no params");
			return -1;
		}
	}
	return 0;
}

static const char *
type_name(json_object *v)
{
	return v == NULL ? "null" : json_type_to_name(json_object_get_type(v));
}

/* A string member. @return 1 found, 0 absent (optional), -1 error. */
static int
get_str(json_object *params, const char *key, bool required, const char **out,
	struct cg_rpc_error *err)
{
	char field[CG_RPC_FIELD_MAX];
	json_object *v;

	snprintf(field, sizeof(field), "params.%s", key);
	if (params == NULL || !json_object_object_get_ex(params, key, &v)) {
		if (!required)
			return 0;
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, field, "%s: required", field);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, field, "%s: expected a string, "
				 "got %s", field, type_name(v));
		return -1;
	}
	*out = json_object_get_string(v);
	return 1;
}

/* A rule name member (syntax checked). */
static int
get_rule_name(json_object *params, const char *key, bool required, const char **out,
	      struct cg_rpc_error *err)
{
	int ret = get_str(params, key, required, out, err);

	if (ret == 1 && !cg_rule_name_valid(*out)) {
		char field[CG_RPC_FIELD_MAX];

		snprintf(field, sizeof(field), "params.%s", key);
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, field, "%s: \"%.80s\" is not a "
				 "valid rule name (1..63 characters of A-Z a-z 0-9 _ . -)", field,
				 *out);
		return -1;
	}
	return ret;
}

/* lib/rule's messages start with the path of the bad value:
 * "params.rule.output[0].ttl (line 3): ..." or "params.rule.output[0].ttl: ...". */
static void
field_of(const char *msg, char *field, size_t len)
{
	size_t n = strcspn(msg, ": ");

	if (strncmp(msg, "params.rule", 11) != 0 || n >= len) {
		snprintf(field, len, "params.rule");
		return;
	}
	snprintf(field, len, "%.*s", (int)n, msg);
}

/* params.rule as a struct cg_rule (ports by name, not resolved). */
static int
get_rule(json_object *params, struct cg_rule *r, struct cg_rpc_error *err)
{
	static const char *const keys[] = { "rule", NULL };
	char msg[CG_RPC_MSG_MAX], field[CG_RPC_FIELD_MAX];
	json_object *o;

	r->name[0] = '\0';	/* the audit line's name, even when refused before it */
	if (check_params(params, keys, err) < 0)
		return -1;
	if (params == NULL || !json_object_object_get_ex(params, "rule", &o)) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.rule", "params.rule: "
				 "required (the rule object: name, id?, input, output)");
		return -1;
	}
	if (cg_rule_from_json(o, "params.rule", r, msg, sizeof(msg)) < 0) {
		field_of(msg, field, sizeof(field));
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, field, "%s", msg);
		return -1;
	}
	return 0;
}

/* {"rule", "origin"}, and "state" for an installed rule (@p c not NULL). */
static json_object *
rule_result(const struct control *c, const struct cg_rule *r, unsigned int origin)
{
	json_object *res = json_object_new_object();

	if (res == NULL)
		return NULL;
	control_jadd(res, "rule", cg_rule_to_json(r));
	control_jadd(res, "origin", json_object_new_string(control_origin_name(origin)));
	if (c != NULL)
		control_jadd(res, "state", control_rule_state_json(c, r));
	return res;
}

static json_object *
oom(struct cg_rpc_error *err)
{
	cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "out of memory");
	return NULL;
}

/*
 * rule.*
 */

static json_object *
rule_change(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err,
	    uint32_t op, const char *method)
{
	struct control_who who = who_of(ctx, method);
	struct control_rule_ref ref;
	struct cg_rule r;
	json_object *res;

	if (get_rule(params, &r, err) < 0) {
		control_audit(CG_LOG_WARN, &who, r.name[0] ? r.name : "-", "refused",
			      "%s refused: %s", method, err->message);
		return NULL;
	}
	if (control_rule_change(control_of(ctx), op, &r, &who, err) < 0)
		return NULL;
	/* Reply with what the data plane holds now. */
	if (control_rule_find(control_of(ctx), r.name, &ref) == 0)
		res = rule_result(control_of(ctx), ref.rule, ref.origin);
	else
		res = rule_result(NULL, &r, CG_SHM_ORIGIN_API);
	return res != NULL ? res : oom(err);
}

/* rule.add {"rules": [RULE, ...]}: many rules, one state file save. */
static json_object *
rules_add(json_object *params, json_object *arr, const struct cg_rpc_ctx *ctx,
	  struct cg_rpc_error *err)
{
	static const char *const keys[] = { "rules", NULL };
	struct control_who who = who_of(ctx, "rule.add");
	char path[48], msg[256], field[CG_RPC_FIELD_MAX];
	struct cg_rule *rules;
	json_object *res;
	size_t n, i;

	if (check_params(params, keys, err) < 0)
		return NULL;
	n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (n == 0) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.rules", "params.rules: "
				 "expected a non-empty array of rule objects");
		return NULL;
	}
	rules = calloc(n, sizeof(*rules));
	if (rules == NULL)
		return oom(err);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "params.rules[%zu]", i);
		if (cg_rule_from_json(json_object_array_get_idx(arr, i), path, &rules[i], msg,
				      sizeof(msg)) < 0) {
			field_of(msg, field, sizeof(field));
			cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, field, "%s", msg);
			control_audit(CG_LOG_WARN, &who, "-", "refused", "rule.add refused: %s",
				      err->message);
			free(rules);
			return NULL;
		}
	}
	if (control_rules_add_many(control_of(ctx), rules, n, &who, err) < 0) {
		free(rules);
		return NULL;
	}
	free(rules);
	res = json_object_new_object();
	if (res == NULL)
		return oom(err);
	control_jadd(res, "added", json_object_new_uint64(n));
	control_jadd(res, "origin", json_object_new_string("api"));
	return res;
}

static json_object *
m_rule_add(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	json_object *arr;

	if (params != NULL && json_object_object_get_ex(params, "rules", &arr) &&
	    !json_object_object_get_ex(params, "rule", NULL))
		return rules_add(params, arr, ctx, err);
	return rule_change(params, ctx, err, CG_SHM_RULES_ADD, "rule.add");
}

static json_object *
m_rule_update(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	return rule_change(params, ctx, err, CG_SHM_RULES_UPDATE, "rule.update");
}

static json_object *
m_rule_remove(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { "name", NULL };
	struct control_who who = who_of(ctx, "rule.remove");
	const char *name;
	json_object *res;

	if (check_params(params, keys, err) < 0 ||
	    get_rule_name(params, "name", true, &name, err) < 0) {
		control_audit(CG_LOG_WARN, &who, "-", "refused", "rule.remove refused: %s",
			  err->message);
		return NULL;
	}
	if (control_rule_remove(control_of(ctx), name, &who, err) < 0)
		return NULL;
	res = json_object_new_object();
	if (res == NULL)
		return oom(err);
	control_jadd(res, "name", json_object_new_string(name));
	control_jadd(res, "removed", json_object_new_boolean(1));
	return res;
}

/* The installed rule named params.<key>, or -32002. */
static int
find_named(struct control *c, json_object *params, const char *key, struct control_rule_ref *ref,
	   struct cg_rpc_error *err)
{
	char field[CG_RPC_FIELD_MAX];
	const char *name;

	if (get_rule_name(params, key, true, &name, err) < 0)
		return -1;
	if (control_rule_find(c, name, ref) == 0)
		return 0;
	snprintf(field, sizeof(field), "params.%s", key);
	if (c->api != NULL && cg_rule_set_find(c->api, name) != NULL)
		cg_rpc_error_set(err, CG_RPC_E_NOT_FOUND, field, "rule \"%s\" is in the state "
				 "file but not installed (see system.health)", name);
	else
		cg_rpc_error_set(err, CG_RPC_E_NOT_FOUND, field, "rule \"%s\" not found", name);
	return -1;
}

static json_object *
m_rule_get(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { "name", NULL };
	struct control *c = control_of(ctx);
	struct control_rule_ref ref;
	json_object *res;

	if (check_params(params, keys, err) < 0 || find_named(c, params, "name", &ref, err) < 0)
		return NULL;
	res = rule_result(c, ref.rule, ref.origin);
	if (res == NULL)
		return oom(err);
	control_jadd(res, "stats", control_rule_stats_json(c, ref.slot));
	return res;
}

static int
by_id(const void *a, const void *b)
{
	const struct control_rule_ref *x = a, *y = b;

	return x->rule->id < y->rule->id ? -1 : x->rule->id > y->rule->id;
}

static int get_int(json_object *params, const char *key, int64_t min, int64_t max,
		   int64_t *out, struct cg_rpc_error *err);

static json_object *
m_rule_list(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { "after", "limit", NULL };
	struct control *c = control_of(ctx);
	struct control_rule_ref *refs;
	int64_t after = -1, limit = INT64_MAX;
	json_object *res, *arr;
	size_t n = 0, i;
	uint64_t gen;

	if (check_params(params, keys, err) < 0 ||
	    get_int(params, "after", 0, UINT32_MAX, &after, err) < 0 ||
	    get_int(params, "limit", 1, INT32_MAX, &limit, err) < 0)
		return NULL;
	gen = control_rules_generation(c);
	refs = calloc(control_rule_slots(c) + 1, sizeof(*refs));
	res = json_object_new_object();
	arr = json_object_new_array();
	if (refs == NULL || res == NULL || arr == NULL) {
		free(refs);
		json_object_put(res);
		json_object_put(arr);
		return oom(err);
	}
	for (uint32_t s = 0; s < control_rule_slots(c); s++)
		if (control_rule_at(c, s, &refs[n]) && (int64_t)refs[n].rule->id > after)
			n++;
	qsort(refs, n, sizeof(*refs), by_id);
	for (i = 0; i < n && (int64_t)i < limit; i++) {
		json_object *e = rule_result(c, refs[i].rule, refs[i].origin);

		if (e == NULL)
			continue;
		control_jadd(e, "silence", control_silence_json(c, refs[i].slot));
		if (json_object_array_add(arr, e) < 0)
			json_object_put(e);
	}
	control_jadd(res, "rules", arr);
	control_jadd(res, "generation", json_object_new_uint64(gen));
	/* A page: where the next one starts (params.after), or nothing more. */
	if (i < n)
		control_jadd(res, "next_after", json_object_new_uint64(refs[i - 1].rule->id));
	free(refs);
	return res;
}

/*
 * stats.*
 */

static json_object *
m_stats_get(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { "rule", NULL };
	struct control *c = control_of(ctx);
	uint32_t slot = UINT32_MAX;
	struct control_rule_ref ref;
	json_object *res;

	if (check_params(params, keys, err) < 0)
		return NULL;
	if (params != NULL && json_object_object_get_ex(params, "rule", NULL)) {
		if (find_named(c, params, "rule", &ref, err) < 0)
			return NULL;
		slot = ref.slot;
	}
	res = control_stats_json(c, slot);
	return res != NULL ? res : oom(err);
}

static json_object *
m_stats_clear(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { NULL };
	json_object *res;
	uint64_t t;

	if (check_params(params, keys, err) < 0)
		return NULL;
	t = control_stats_clear(control_of(ctx));
	{
		struct control_who who = who_of(ctx, "stats.clear");

		control_audit(CG_LOG_INFO, &who, "-", "ok", "stats cleared: counts start from now");
	}
	res = json_object_new_object();
	if (res == NULL)
		return oom(err);
	control_jadd(res, "cleared_unix_ms", json_object_new_uint64(t));
	return res;
}

/*
 * port.*
 */

static json_object *
m_port_list(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { NULL };
	struct control *c = control_of(ctx);
	json_object *res, *arr;

	if (check_params(params, keys, err) < 0)
		return NULL;
	res = json_object_new_object();
	arr = json_object_new_array();
	if (res == NULL || arr == NULL) {
		json_object_put(res);
		json_object_put(arr);
		return oom(err);
	}
	for (unsigned int i = 0; i < c->shm.info->nb_ports; i++) {
		json_object *p = control_port_json(c, i);

		if (p != NULL && json_object_array_add(arr, p) < 0)
			json_object_put(p);
	}
	control_jadd(res, "ports", arr);
	return res;
}

static json_object *
m_port_get(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { "name", NULL };
	struct control *c = control_of(ctx);
	const char *name;
	json_object *res;
	int idx;

	if (check_params(params, keys, err) < 0 || get_str(params, "name", true, &name, err) < 0)
		return NULL;
	idx = control_port_find(c, name);
	if (idx < 0) {
		char names[256];
		size_t off = 0;

		names[0] = '\0';
		for (unsigned int i = 0; i < c->shm.info->nb_ports && off < sizeof(names); i++)
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%.31s",
						i ? ", " : "", c->shm.info->ports[i].name);
		cg_rpc_error_set(err, CG_RPC_E_NOT_FOUND, "params.name", "port \"%.64s\" not found "
				 "(ports: %s)", name, names);
		return NULL;
	}
	res = json_object_new_object();
	if (res == NULL)
		return oom(err);
	control_jadd(res, "port", control_port_json(c, (unsigned int)idx));
	control_jadd(res, "stats", control_port_stats_json(c, (unsigned int)idx));
	control_jadd(res, "xstats", control_port_xstats_json(c, (unsigned int)idx));
	return res;
}

/*
 * config.*
 */

/* The directory of @path, links resolved, into @out; false if it has none. */
static bool
real_dir(const char *path, char *out)
{
	char tmp[PATH_MAX], *slash;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return false;
	slash = strrchr(tmp, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	return realpath(tmp[0] != '\0' ? tmp : "/", out) != NULL;
}

/*
 * Whether @path is a file in the directory of the running config @config
 * (links resolved; the file itself too, when it exists): a candidate config
 * is written beside the running one, and no other file is read.
 */
static bool
in_config_dir(const char *config, const char *path)
{
	char cdir[PATH_MAX], pdir[PATH_MAX], rp[PATH_MAX];

	if (!real_dir(config, cdir) || !real_dir(path, pdir) || strcmp(cdir, pdir) != 0)
		return false;
	return realpath(path, rp) == NULL || (real_dir(rp, pdir) && strcmp(cdir, pdir) == 0);
}

/* Whether @path names the running config @config (links resolved): a reader
 * may name it, as castgatectl does with `config check FILE`. */
static bool
is_running_config(const char *config, const char *path)
{
	char a[PATH_MAX], b[PATH_MAX];

	return strcmp(config, path) == 0 ||
		(realpath(config, a) != NULL && realpath(path, b) != NULL && strcmp(a, b) == 0);
}

static json_object *
m_config_check(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { "path", NULL };
	struct control *c = control_of(ctx);
	struct control_reload_plan plan;
	const char *path = c->config_path;
	json_object *res, *rl;
	int ret;

	if (check_params(params, keys, err) < 0 ||
	    (ret = get_str(params, "path", false, &path, err)) < 0)
		return NULL;
	/* Reading any file as root and quoting it in errors is not for readers. */
	if (ret == 1 && !ctx->peer->can_admin && !is_running_config(c->config_path, path)) {
		cg_rpc_error_set(err, CG_RPC_E_PERMISSION, "params.path", "permission denied: "
				 "config.check of another file than the running config needs the "
				 "admin group (uid %u)", (unsigned int)ctx->peer->uid);
		return NULL;
	}
	if (ret == 1 && path[0] != '/') {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.path", "params.path: "
				 "\"%.100s\" is not an absolute path (the server's working "
				 "directory is not yours)", path);
		return NULL;
	}
	if (ret == 1 && !in_config_dir(c->config_path, path)) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.path", "params.path: "
				 "\"%.100s\" is not in the running config's directory (of %s): "
				 "only configs beside it are checked, never any file the server "
				 "can read", path, c->config_path);
		return NULL;
	}
	res = json_object_new_object();
	if (res == NULL)
		return oom(err);
	control_jadd(res, "path", json_object_new_string(path));
	if (control_reload_plan(c, path, &plan, err) < 0) {
		if (err->code != CG_RPC_E_INVALID_PARAMS) {
			json_object_put(res);
			return NULL;
		}
		/* An invalid file is an answer, not a failed call. */
		control_jadd(res, "valid", json_object_new_boolean(0));
		control_jadd(res, "error", json_object_new_string(err->message));
		memset(err, 0, sizeof(*err));
		return res;
	}
	control_jadd(res, "valid", json_object_new_boolean(1));
	control_jadd(res, "ports", json_object_new_uint64(plan.conf->n_ports));
	control_jadd(res, "rules", json_object_new_uint64(cg_rule_set_count(cg_conf_rule_set(
								  plan.conf))));
	rl = json_object_new_object();
	if (rl != NULL) {
		control_jadd(rl, "add", json_object_get(plan.add));
		control_jadd(rl, "update", json_object_get(plan.update));
		control_jadd(rl, "remove", json_object_get(plan.remove));
		if (plan.conflict[0] != '\0')
			control_jadd(rl, "refused", json_object_new_string(plan.conflict));
		control_jadd(rl, "restart_required", json_object_get(plan.restart));
		control_jadd(res, "reload", rl);
	}
	control_reload_plan_free(&plan);
	return res;
}

static json_object *
m_config_reload(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { NULL };
	struct control_who who = who_of(ctx, "config.reload");
	json_object *res = NULL;

	if (check_params(params, keys, err) < 0)
		return NULL;
	if (control_reload(control_of(ctx), &who, &res, err) < 0)
		return NULL;
	return res;
}

/*
 * system.*
 */

static json_object *
rpc_stats_json(const struct control *c)
{
	struct cg_rpc_server_stats st;
	json_object *j = json_object_new_object();

	if (j == NULL || c->srv == NULL)
		return j;
	cg_rpc_server_get_stats(c->srv, &st);
	control_jadd(j, "accepted", json_object_new_uint64(st.accepted));
	control_jadd(j, "refused_full", json_object_new_uint64(st.refused_full));
	control_jadd(j, "refused_reserved", json_object_new_uint64(st.refused_reserved));
	control_jadd(j, "requests", json_object_new_uint64(st.requests));
	control_jadd(j, "errors", json_object_new_uint64(st.errors));
	control_jadd(j, "cut_oversize", json_object_new_uint64(st.cut_oversize));
	control_jadd(j, "cut_idle", json_object_new_uint64(st.cut_idle));
	control_jadd(j, "cut_slow", json_object_new_uint64(st.cut_slow));
	control_jadd(j, "cut_output", json_object_new_uint64(st.cut_output));
	control_jadd(j, "active", json_object_new_uint64(st.active));
	control_jadd(j, "subscribers", json_object_new_uint64(st.subscribers));
	control_jadd(j, "notified", json_object_new_uint64(st.notified));
	control_jadd(j, "notify_dropped", json_object_new_uint64(st.notify_dropped));
	return j;
}

static const char *
role_str(unsigned int role)
{
	switch (role) {
	case CG_SHM_LCORE_SERVICE: return "service";
	case CG_SHM_LCORE_WORKER: return "worker";
	case CG_SHM_LCORE_BOTH: return "both";
	}
	return "unknown";
}

/* The rule table's size: live rules, slots ([dataplane] max_rules), outputs a
 * slot holds ([dataplane] max_outputs), memory. */
static json_object *
rule_table_json(const struct control *c)
{
	json_object *t = json_object_new_object();
	uint32_t slots = control_rule_slots(c);
	uint64_t bytes;

	if (t == NULL || slots == 0)
		return t;
	/* The memzones as reserved, and the primary's own (its size per slot). */
	bytes = cg_shm_rules_size(slots, c->shm.rules->max_outputs) +
		(uint64_t)c->shm.info->nb_ctr_blocks *
		c->shm.ctrs->block_size + (uint64_t)slots * CG_SHM_PRIVATE_BYTES_PER_SLOT;
	control_jadd(t, "rules", json_object_new_uint64(c->shm.rules->nb_rules));
	control_jadd(t, "slots", json_object_new_uint64(slots));
	control_jadd(t, "max_outputs", json_object_new_uint64(c->shm.rules->max_outputs));
	control_jadd(t, "bytes", json_object_new_uint64(bytes));
	control_jadd(t, "bytes_per_slot", json_object_new_uint64(bytes / slots));
	return t;
}

static json_object *
m_system_info(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { NULL };
	struct control *c = control_of(ctx);
	const struct cg_shm_info *info = c->shm.info;
	json_object *res, *dp, *cp, *lc, *sup = NULL;
	uint64_t now = control_now_ms();

	if (check_params(params, keys, err) < 0)
		return NULL;
	res = json_object_new_object();
	dp = json_object_new_object();
	cp = json_object_new_object();
	lc = json_object_new_array();
	if (res == NULL || dp == NULL || cp == NULL || lc == NULL) {
		json_object_put(res);
		json_object_put(dp);
		json_object_put(cp);
		json_object_put(lc);
		return oom(err);
	}
	control_jadd(res, "version", json_object_new_string(CG_VERSION));
	control_jadd(res, "dpdk_version", json_object_new_string(rte_version()));
	control_jadd(res, "config", json_object_new_string(info->config_path[0] ?
							   info->config_path : c->config_path));
	control_jadd(res, "state_file", json_object_new_string(c->conf->ctl.state_file));
	control_jadd(res, "file_prefix", json_object_new_string(c->conf->dp.file_prefix));
	for (uint32_t i = 0; i < info->nb_lcores && i < CG_SHM_MAX_LCORES; i++) {
		json_object *l = json_object_new_object();

		if (l == NULL)
			continue;
		control_jadd(l, "lcore", json_object_new_uint64(info->lcores[i].lcore_id));
		control_jadd(l, "role", json_object_new_string(role_str(info->lcores[i].role)));
		control_jadd(l, "worker", json_object_new_uint64(info->lcores[i].worker));
		if (json_object_array_add(lc, l) < 0)
			json_object_put(l);
	}
	control_jadd(dp, "pid", json_object_new_int(info->pid));
	control_jadd(dp, "version", json_object_new_string(info->version));
	control_jadd(dp, "uptime_s", json_object_new_uint64(now > info->start_unix_ms ?
							(now - info->start_unix_ms) / 1000 : 0));
	control_jadd(dp, "lcores", lc);
	control_jadd(dp, "workers", json_object_new_uint64(info->nb_workers));
	control_jadd(dp, "rule_table", rule_table_json(c));
	control_jadd(dp, "restarts", json_object_new_int64(c->restarts_dataplane));
	control_jadd(res, "dataplane", dp);
	control_jadd(cp, "pid", json_object_new_int(getpid()));
	control_jadd(cp, "uptime_s", json_object_new_uint64((now - c->start_unix_ms) / 1000));
	control_jadd(cp, "restarts", json_object_new_int64(c->restarts_control));
	control_jadd(res, "control", cp);
	if (c->supervisor_pid > 0) {
		sup = json_object_new_object();
		if (sup != NULL)
			control_jadd(sup, "pid", json_object_new_int(c->supervisor_pid));
	}
	json_object_object_add(res, "supervisor", sup);
	control_jadd(res, "rpc", rpc_stats_json(c));
	return res;
}

static json_object *
m_system_health(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { NULL };
	struct control *c = control_of(ctx);
	json_object *res, *checks, *dp, *ports, *st, *skipped, *cf;
	const struct cg_rule *r;
	struct control_rule_ref ref;
	bool dp_ok, links_ok = true, state_ok, rw_ok;
	char dir[PATH_MAX], *slash;
	unsigned int nskip = 0;
	size_t i;

	if (check_params(params, keys, err) < 0)
		return NULL;
	res = json_object_new_object();
	checks = json_object_new_object();
	dp = json_object_new_object();
	ports = json_object_new_array();
	st = json_object_new_object();
	skipped = json_object_new_array();
	if (res == NULL || checks == NULL || dp == NULL || ports == NULL || st == NULL ||
	    skipped == NULL) {
		json_object_put(res);
		json_object_put(checks);
		json_object_put(dp);
		json_object_put(ports);
		json_object_put(st);
		json_object_put(skipped);
		return oom(err);
	}
	dp_ok = control_dataplane_alive(c);
	control_jadd(dp, "ok", json_object_new_boolean(dp_ok));
	control_jadd(dp, "pid", json_object_new_int(c->shm.info->pid));
	for (unsigned int p = 0; p < c->shm.info->nb_ports; p++) {
		json_object *j = json_object_new_object();
		bool up = control_port_link_up(c, p);

		links_ok &= up;
		if (j == NULL)
			continue;
		control_jadd(j, "name", json_object_new_string(c->shm.info->ports[p].name));
		control_jadd(j, "link_up", json_object_new_boolean(up));
		if (json_object_array_add(ports, j) < 0)
			json_object_put(j);
	}
	/* Skipped now: state rules that are not installed as they are in the file. */
	if (c->api != NULL) {
		CG_RULE_SET_FOREACH(c->api, i, r) {
			if (control_rule_find(c, r->name, &ref) == 0 &&
			    ref.origin == CG_SHM_ORIGIN_API && cg_rule_equal(ref.rule, r))
				continue;
			nskip++;
			json_object_array_add(skipped, json_object_new_string(r->name));
		}
	}
	/* A directory made read-only after the start: every change would fail. */
	snprintf(dir, sizeof(dir), "%s", c->conf->ctl.state_file);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir)
		*slash = '\0';
	rw_ok = slash == NULL || slash == dir || access(dir, W_OK) == 0;
	state_ok = c->state_usable && !c->dirty && nskip == 0 && rw_ok;
	control_jadd(st, "ok", json_object_new_boolean(state_ok));
	control_jadd(st, "skipped", json_object_new_uint64(nskip));
	control_jadd(st, "skipped_rules", skipped);
	if (!c->state_usable)
		control_jadd(st, "error", json_object_new_string(c->state_error));
	else if (c->dirty)
		control_jadd(st, "error", json_object_new_string("a rule change got no answer from "
							     "the data plane and is being "
							     "reconciled with the state file"));
	else if (nskip > 0)
		control_jadd(st, "error", json_object_new_string(c->state_error[0] ?
							     c->state_error :
							     "rules of the state file are not "
							     "installed"));
	else if (!rw_ok)
		control_jadd(st, "error", json_object_new_string("the state file's directory is "
							     "not writable: every rule change "
							     "would fail"));
	control_jadd(checks, "dataplane", dp);
	control_jadd(checks, "ports", ports);
	control_jadd(checks, "state", st);
	cf = json_object_new_object();
	control_jadd(cf, "ok", json_object_new_boolean(c->config_error[0] == '\0'));
	if (c->config_error[0] != '\0')
		control_jadd(cf, "error", json_object_new_string(c->config_error));
	control_jadd(checks, "config", cf);
	control_jadd(res, "status", json_object_new_string(dp_ok && links_ok && state_ok &&
							   c->config_error[0] == '\0' ? "ok" :
							   "degraded"));
	control_jadd(res, "checks", checks);
	return res;
}

/*
 * events.*
 */

/* params.types: names of event classes, as a mask (absent: all). */
static int
get_types(json_object *params, uint32_t *mask, struct cg_rpc_error *err)
{
	json_object *v;
	size_t n;

	*mask = CONTROL_EV_ALL;
	if (params == NULL || !json_object_object_get_ex(params, "types", &v))
		return 0;
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.types", "params.types: "
				 "expected a non-empty array of event classes (link, port, rule, "
				 "silence, dataplane, test), got %s", type_name(v));
		return -1;
	}
	*mask = 0;
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		const char *name = json_object_get_string(e);
		uint32_t bit = json_object_is_type(e, json_type_string) ?
			control_event_class(name, strlen(name)) : 0;

		if (bit == 0) {
			char field[CG_RPC_FIELD_MAX];

			snprintf(field, sizeof(field), "params.types[%zu]", i);
			cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, field, "%s: \"%.40s\" is "
					 "not an event class (link, port, rule, silence, "
					 "dataplane, test)", field, name != NULL ? name : "null");
			return -1;
		}
		*mask |= bit;
	}
	return 0;
}

/* params.dataplane {"pid", "start_unix_ms"}: the data plane the subscriber knew. */
static int
get_known_dataplane(json_object *params, int64_t *pid, int64_t *start,
		    struct cg_rpc_error *err)
{
	static const char *const keys[] = { "pid", "start_unix_ms", NULL };
	json_object *d, *v;

	*pid = *start = -1;
	if (params == NULL || !json_object_object_get_ex(params, "dataplane", &d))
		return 0;
	if (json_object_is_type(d, json_type_object) &&
	    json_object_object_get_ex(d, "pid", &v) && json_object_is_type(v, json_type_int))
		*pid = json_object_get_int64(v);
	if (json_object_is_type(d, json_type_object) &&
	    json_object_object_get_ex(d, "start_unix_ms", &v) &&
	    json_object_is_type(v, json_type_int))
		*start = json_object_get_int64(v);
	if (*pid < 0 || *start < 0) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.dataplane", "params."
				 "dataplane: expected {\"pid\": N, \"start_unix_ms\": N} (the "
				 "dataplane member of an earlier events.subscribe result)");
		return -1;
	}
	json_object_object_foreach(d, k, x) {
		bool known = false;

		(void)x;
		for (int i = 0; keys[i] != NULL; i++)
			known |= strcmp(k, keys[i]) == 0;
		if (!known) {
			cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.dataplane", "params."
					 "dataplane: unknown member \"%.60s\" (expected \"pid\", "
					 "\"start_unix_ms\")", k);
			return -1;
		}
	}
	return 0;
}

static json_object *
m_events_subscribe(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { "types", "dataplane", NULL };
	struct control *c = control_of(ctx);
	const struct cg_shm_info *info = c->shm.info;
	int64_t known_pid, known_start;
	json_object *res;
	uint32_t mask;

	if (check_params(params, keys, err) < 0 || get_types(params, &mask, err) < 0 ||
	    get_known_dataplane(params, &known_pid, &known_start, err) < 0)
		return NULL;
	res = control_events_snapshot(c, mask);
	if (res == NULL)
		return oom(err);
	if (cg_rpc_subscribe(ctx, mask) < 0) {
		json_object_put(res);
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "events.subscribe: not on a "
				 "connection of the server");
		return NULL;
	}
	/* Another data plane than the one this subscriber knew: it restarted while
	 * the subscriber was away (control exits with its data plane). */
	if ((mask & CONTROL_EV_DATAPLANE) && known_pid >= 0 &&
	    (known_pid != info->pid || (uint64_t)known_start != info->start_unix_ms)) {
		json_object *f = json_object_new_object(), *prev = json_object_new_object(), *p;

		if (f != NULL && prev != NULL) {
			control_jadd(prev, "pid", json_object_new_int64(known_pid));
			control_jadd(prev, "start_unix_ms", json_object_new_int64(known_start));
			control_jadd(f, "pid", json_object_new_int(info->pid));
			control_jadd(f, "start_unix_ms",
				     json_object_new_uint64(info->start_unix_ms));
			control_jadd(f, "restarts", json_object_new_int64(c->restarts_dataplane));
			control_jadd(f, "previous", json_object_get(prev));
			p = control_event_params(c, "dataplane.restarted", f);
			if (p != NULL)
				cg_rpc_notify_self(ctx, "event", p);
			json_object_put(p);
		}
		json_object_put(f);
		json_object_put(prev);
	}
	CG_INFO("events: uid %u pid %d subscribed", (unsigned int)ctx->peer->uid,
		(int)ctx->peer->pid);
	return res;
}

/* test.emit (CASTGATE_TEST_HOOKS=1 only): emit @count events of @type with @fields. */
static json_object *
m_test_emit(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { "type", "count", "fields", NULL };
	struct control *c = control_of(ctx);
	json_object *fields = NULL, *v, *res;
	const char *type, *dot;
	int64_t count = 1;

	if (!c->test_hooks) {
		cg_rpc_error_set(err, CG_RPC_E_METHOD_NOT_FOUND, "method", "method not found: "
				 "\"test.emit\"");
		return NULL;
	}
	/* Listed as a reading method, so that without the hook it is unknown to
	 * everyone alike (-32601); with it, for admins only. */
	if (!ctx->peer->can_admin) {
		cg_rpc_error_set(err, CG_RPC_E_PERMISSION, "method", "permission denied: "
				 "\"test.emit\" needs the admin group (uid %ld)", (long)ctx->peer->uid);
		return NULL;
	}
	if (check_params(params, keys, err) < 0 || get_str(params, "type", true, &type, err) < 0)
		return NULL;
	dot = strchr(type, '.');
	if (dot == NULL || control_event_class(type, (size_t)(dot - type)) == 0) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.type", "params.type: "
				 "\"%.60s\" is not <class>.<what>", type);
		return NULL;
	}
	if (json_object_object_get_ex(params, "count", &v)) {
		count = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || count < 1 || count > 1000000) {
			cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.count",
					 "params.count: 1..1000000");
			return NULL;
		}
	}
	if (json_object_object_get_ex(params, "fields", &fields) &&
	    !json_object_is_type(fields, json_type_object)) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.fields",
				 "params.fields: expected an object");
		return NULL;
	}
	for (int64_t i = 0; i < count; i++)
		control_event_emit(c, type, fields != NULL ? json_object_get(fields) : NULL);
	res = json_object_new_object();
	if (res == NULL)
		return oom(err);
	control_jadd(res, "emitted", json_object_new_int64(count));
	control_jadd(res, "seq", json_object_new_uint64(c->event_seq));
	return res;
}

/*
 * trace.*
 */

#define TRACE_COUNT_DEFAULT 10

/* An integer member in [min, max]. @return 1 found, 0 absent, -1 error. */
static int
get_int(json_object *params, const char *key, int64_t min, int64_t max, int64_t *out,
	struct cg_rpc_error *err)
{
	char field[CG_RPC_FIELD_MAX];
	json_object *v;

	snprintf(field, sizeof(field), "params.%s", key);
	if (params == NULL || !json_object_object_get_ex(params, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, field, "%s: expected an integer, "
				 "got %s", field, type_name(v));
		return -1;
	}
	*out = json_object_get_int64(v);
	if (*out < min || *out > max) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, field, "%s: %" PRId64 " is out of "
				 "range %" PRId64 "..%" PRId64, field, *out, min, max);
		return -1;
	}
	return 1;
}

/* params of trace.start into @p f: a rule, or a port with an optional destination and dport. */
static int
trace_filter(struct control *c, json_object *params, struct cg_shm_trace_filter *f,
	     struct cg_rpc_error *err)
{
	const char *rule = NULL, *port = NULL, *dst = NULL;
	int64_t dport = 0;
	int ret;

	if (get_rule_name(params, "rule", false, &rule, err) < 0 ||
	    get_str(params, "port", false, &port, err) < 0 ||
	    get_str(params, "destination", false, &dst, err) < 0 ||
	    get_int(params, "dport", 1, 65535, &dport, err) < 0)
		return -1;
	memset(f, 0, sizeof(*f));
	if ((rule == NULL) == (port == NULL) || (rule != NULL && (dst != NULL || dport != 0))) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params", "params: give \"rule\" "
				 "(its packets), or \"port\" with an optional \"destination\" and "
				 "\"dport\" (packets of no rule)");
		return -1;
	}
	if (rule != NULL) {
		ret = cg_shm_rule_find(&c->shm, rule);
		if (ret < 0) {
			cg_rpc_error_set(err, CG_RPC_E_NOT_FOUND, "params.rule", "rule \"%s\" not "
					 "found", rule);
			return -1;
		}
		f->slot = (uint32_t)ret;
		return 0;
	}
	f->slot = CG_SHM_TRACE_NO_RULE;
	ret = control_port_find(c, port);
	if (ret < 0) {
		cg_rpc_error_set(err, CG_RPC_E_NOT_FOUND, "params.port", "port \"%.64s\" not found",
				 port);
		return -1;
	}
	f->port = (uint16_t)ret;
	f->dport = (uint16_t)dport;
	if (dst != NULL && cg_rule_parse_ipv4(dst, &f->dst_be) < 0) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.destination",
				 "params.destination: \"%.64s\" is not an IPv4 address", dst);
		return -1;
	}
	return 0;
}

static json_object *
m_trace_start(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { "rule", "port", "destination", "dport", "count", NULL };
	struct control *c = control_of(ctx);
	struct control_who who = who_of(ctx, "trace.start");
	struct cg_shm_trace *t = c->shm.trace;
	struct cg_shm_trace_filter f;
	int64_t count = TRACE_COUNT_DEFAULT;
	json_object *res;
	uint64_t session;

	if (check_params(params, keys, err) < 0 || trace_filter(c, params, &f, err) < 0 ||
	    get_int(params, "count", 1, CG_SHM_TRACE_RECS, &count, err) < 0)
		return NULL;
	/* Off first, so that no lcore records under the old filter the new session. */
	__atomic_store_n(&t->active, 0, __ATOMIC_RELEASE);
	t->filter = f;
	t->count = (uint32_t)count;
	session = t->session + 1;
	__atomic_store_n(&t->session, session, __ATOMIC_RELEASE);
	__atomic_store_n(&t->active, 1, __ATOMIC_RELEASE);
	control_audit(CG_LOG_INFO, &who, f.slot == CG_SHM_TRACE_NO_RULE ? "-" :
		      cg_shm_rule_slot(c->shm.rules, f.slot)->rule.name, "trace",
		      "trace %" PRIu64 " started: up to %" PRId64 " packets per lcore", session,
		      count);
	res = json_object_new_object();
	if (res == NULL)
		return oom(err);
	control_jadd(res, "session", json_object_new_uint64(session));
	control_jadd(res, "count", json_object_new_int64(count));
	return res;
}

/* A drop reason, or "sent", as trace records say it. */
static const char *
trace_result(unsigned int r)
{
	return r == CG_SHM_TRACE_SENT ? "sent" : cg_shm_drop_name(r);
}

static json_object *
trace_rec_json(const struct control *c, const struct cg_shm_trace *t, unsigned int lcore,
	       const struct cg_shm_trace_rec *r)
{
	json_object *j = json_object_new_object(), *outs = json_object_new_array();
	uint64_t dt = r->tsc >= t->tsc0 ? r->tsc - t->tsc0 : 0;
	uint64_t ns = t->unix_ns0 + (t->tsc_hz ? dt / t->tsc_hz * 1000000000 +
				     dt % t->tsc_hz * 1000000000 / t->tsc_hz : 0);

	if (j == NULL || outs == NULL) {
		json_object_put(j);
		json_object_put(outs);
		return NULL;
	}
	control_jadd(j, "time_unix_ns", json_object_new_uint64(ns));
	control_jadd(j, "lcore", json_object_new_int((int)c->shm.info->lcores[lcore].lcore_id));
	control_jadd(j, "port", json_object_new_string(r->port < c->shm.info->nb_ports ?
						       c->shm.info->ports[r->port].name : "?"));
	control_jadd(j, "queue", json_object_new_int(r->queue));
	if (r->slot < control_rule_slots(c) && cg_shm_rule_slot(c->shm.rules, r->slot)->in_use)
		control_jadd(j, "rule", json_object_new_string(
				     cg_shm_rule_slot(c->shm.rules, r->slot)->rule.name));
	if (r->hdr & CG_SHM_TRACE_HDR_IP) {
		control_jadd(j, "source", control_jip(r->src_be));
		control_jadd(j, "destination", control_jip(r->dst_be));
		control_jadd(j, "ttl", json_object_new_int(r->ttl));
	}
	if (r->hdr & CG_SHM_TRACE_HDR_UDP) {
		control_jadd(j, "sport", json_object_new_int(r->sport));
		control_jadd(j, "dport", json_object_new_int(r->dport));
	}
	control_jadd(j, "length", json_object_new_int(r->len));
	if (r->rtp_valid)
		control_jadd(j, "rtp_seq", json_object_new_int(r->rtp_seq));
	control_jadd(j, "verdict", json_object_new_string(r->drop ? "dropped" : "forwarded"));
	if (r->drop)
		control_jadd(j, "drop", json_object_new_string(cg_shm_drop_name(r->drop)));
	for (unsigned int o = 0; o < r->nb_out && o < CG_SHM_MAX_OUTPUTS; o++) {
		json_object *jo = json_object_new_object();

		control_jadd(jo, "port", json_object_new_string(
			r->out[o].port < c->shm.info->nb_ports ?
			c->shm.info->ports[r->out[o].port].name : "?"));
		control_jadd(jo, "result", json_object_new_string(trace_result(r->out[o].result)));
		json_object_array_add(outs, jo);
	}
	control_jadd(j, "outputs", outs);
	return j;
}

static int
by_time(const void *a, const void *b)
{
	uint64_t x = json_object_get_uint64(json_object_object_get(*(json_object *const *)a,
								   "time_unix_ns"));
	uint64_t y = json_object_get_uint64(json_object_object_get(*(json_object *const *)b,
								   "time_unix_ns"));

	return x < y ? -1 : x > y;
}

static json_object *
m_trace_get(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { NULL };
	struct control *c = control_of(ctx);
	const struct cg_shm_trace *t = c->shm.trace;
	uint64_t session = __atomic_load_n(&t->session, __ATOMIC_ACQUIRE);
	json_object *res, *recs;

	if (check_params(params, keys, err) < 0)
		return NULL;
	res = json_object_new_object();
	recs = json_object_new_array();
	if (res == NULL || recs == NULL) {
		json_object_put(res);
		json_object_put(recs);
		return oom(err);
	}
	for (unsigned int l = 0; l < c->shm.info->nb_ctr_blocks && l < CG_SHM_MAX_LCORES; l++) {
		const struct cg_shm_trace_lcore *tl = &t->lcore[l];
		uint32_t n;

		if (session == 0 || __atomic_load_n(&tl->session, __ATOMIC_ACQUIRE) != session)
			continue;
		n = __atomic_load_n(&tl->n, __ATOMIC_ACQUIRE);
		for (uint32_t i = 0; i < n && i < CG_SHM_TRACE_RECS; i++) {
			json_object *r = trace_rec_json(c, t, l, &tl->rec[i]);

			if (r != NULL && json_object_array_add(recs, r) < 0)
				json_object_put(r);
		}
	}
	json_object_array_sort(recs, by_time);
	control_jadd(res, "active", json_object_new_boolean(t->active));
	control_jadd(res, "session", json_object_new_uint64(session));
	control_jadd(res, "count", json_object_new_int((int)t->count));
	control_jadd(res, "records", recs);
	return res;
}

static json_object *
m_trace_stop(json_object *params, const struct cg_rpc_ctx *ctx, struct cg_rpc_error *err)
{
	static const char *const keys[] = { NULL };
	struct control *c = control_of(ctx);
	json_object *res;

	if (check_params(params, keys, err) < 0)
		return NULL;
	__atomic_store_n(&c->shm.trace->active, 0, __ATOMIC_RELEASE);
	res = json_object_new_object();
	if (res == NULL)
		return oom(err);
	control_jadd(res, "stopped", json_object_new_boolean(1));
	control_jadd(res, "session", json_object_new_uint64(c->shm.trace->session));
	return res;
}

const struct cg_rpc_method control_methods[] = {
	{ "rule.add", CG_RPC_ADMIN, m_rule_add },
	{ "rule.update", CG_RPC_ADMIN, m_rule_update },
	{ "rule.remove", CG_RPC_ADMIN, m_rule_remove },
	{ "rule.get", CG_RPC_READ, m_rule_get },
	{ "rule.list", CG_RPC_READ, m_rule_list },
	{ "stats.get", CG_RPC_READ, m_stats_get },
	{ "stats.clear", CG_RPC_ADMIN, m_stats_clear },
	{ "port.list", CG_RPC_READ, m_port_list },
	{ "port.get", CG_RPC_READ, m_port_get },
	{ "config.check", CG_RPC_READ, m_config_check },
	{ "config.reload", CG_RPC_ADMIN, m_config_reload },
	{ "system.info", CG_RPC_READ, m_system_info },
	{ "system.health", CG_RPC_READ, m_system_health },
	{ "trace.start", CG_RPC_ADMIN, m_trace_start },
	{ "trace.get", CG_RPC_READ, m_trace_get },
	{ "trace.stop", CG_RPC_ADMIN, m_trace_stop },
	{ "events.subscribe", CG_RPC_READ, m_events_subscribe },
	{ "test.emit", CG_RPC_READ, m_test_emit },	/* admin: checked by m_test_emit() */
	{ NULL, 0, NULL },
};
