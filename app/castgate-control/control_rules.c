/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule model of the control plane.
 *
 * Truth: the data plane's slots say what is installed and where each rule
 * comes from (origin config or api); c->api is the durable set of API rules,
 * exactly what the state file holds. Normally the API rules installed equal
 * c->api; a state rule that could not be installed at start (a config rule
 * took its name or match, a port is gone) stays in c->api, so that the state
 * file keeps it, and system.health lists it as skipped.
 *
 * A change is durable before it is acknowledged: the data plane applies it,
 * then the state file is replaced; if that fails the change is undone in the
 * data plane. A change the data plane may or may not have applied (timeout)
 * marks the state dirty, and the 1 s tick reconciles the data plane with
 * c->api until they agree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "cg_rpc.h"
#include "cg_rule.h"
#include "cg_shm.h"
#include "cg_state.h"
#include "control.h"

#define MSG 512

const char *
control_origin_name(unsigned int origin)
{
	switch (origin) {
	case CG_SHM_ORIGIN_CONFIG: return "config";
	case CG_SHM_ORIGIN_API: return "api";
	}
	return "unknown";
}

uint32_t
control_rule_slots(const struct control *c)
{
	if (c->shm.rules == NULL)
		return 0;
	/* cg_shm_attach() checked the memzones against nb_slots. */
	return c->shm.rules->nb_slots;
}

bool
control_rule_at(const struct control *c, uint32_t slot, struct control_rule_ref *ref)
{
	const struct cg_shm_rule_slot *s;

	if (slot >= control_rule_slots(c))
		return false;
	s = cg_shm_rule_slot(c->shm.rules, slot);
	if (!s->in_use)
		return false;
	ref->slot = slot;
	ref->rule = &s->rule;
	ref->origin = s->origin;
	return true;
}

int
control_rule_find(const struct control *c, const char *name, struct control_rule_ref *ref)
{
	int slot = cg_shm_rule_find(&c->shm, name);

	if (slot < 0 || !control_rule_at(c, (uint32_t)slot, ref))
		return -ENOENT;
	return 0;
}

uint64_t
control_rules_generation(const struct control *c)
{
	return c->shm.rules != NULL ? c->shm.rules->generation : 0;
}

int
control_port_find(const struct control *c, const char *name)
{
	for (unsigned int i = 0; i < c->shm.info->nb_ports; i++)
		if (strncmp(c->shm.info->ports[i].name, name,
			    sizeof(c->shm.info->ports[i].name)) == 0)
			return (int)i;
	return -ENOENT;
}

/* "in0, out0, out1": for messages about unknown ports. */
static const char *
port_names(const struct control *c, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < c->shm.info->nb_ports && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%.31s", i ? ", " : "",
					c->shm.info->ports[i].name);
	return buf;
}

/* Resolve the ports of @r against the running data plane, and check that its
 * outputs fit a slot. @base is the JSON path of the rule for data.field
 * ("params.rule"), or NULL for no field. */
static int
resolve_ports(const struct control *c, struct cg_rule *r, const char *base,
	      struct cg_rpc_error *err)
{
	char names[512], msg[192], field[CG_RPC_FIELD_MAX];
	int p = control_port_find(c, r->in.port);

	if (cg_rule_check_outputs(r, c->shm.rules->max_outputs, msg, sizeof(msg)) < 0) {
		snprintf(field, sizeof(field), "%s.output", base ? base : "");
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, base ? field : NULL, "%s", msg);
		return -1;
	}
	if (p < 0) {
		snprintf(field, sizeof(field), "%s.input.port", base ? base : "");
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, base ? field : NULL,
				 "rule \"%s\": input.port: no port named \"%s\" (ports: %s)",
				 r->name, r->in.port, port_names(c, names, sizeof(names)));
		return -1;
	}
	r->in.port_id = (uint16_t)p;
	for (int i = 0; i < r->n_outputs; i++) {
		p = control_port_find(c, r->out[i].port);
		if (p < 0) {
			snprintf(field, sizeof(field), "%s.output[%d].port", base ? base : "", i);
			cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, base ? field : NULL,
					 "rule \"%s\": output[%d].port: no port named \"%s\" "
					 "(ports: %s)", r->name, i, r->out[i].port,
					 port_names(c, names, sizeof(names)));
			return -1;
		}
		r->out[i].port_id = (uint16_t)p;
	}
	return 0;
}

static bool
same_match(const struct cg_rule *a, const struct cg_rule *b)
{
	return strncmp(a->in.port, b->in.port, sizeof(a->in.port)) == 0 &&
	       a->in.dst == b->in.dst && a->in.dport == b->in.dport && a->in.src == b->in.src;
}

static const char *
match_str(const struct cg_rule *r, char *buf, size_t len)
{
	char d[16], s[16];

	snprintf(buf, len, "port %s, %s:%u, %s%s", r->in.port, cg_rule_ipv4_str(r->in.dst, d),
		 r->in.dport, r->in.src ? "source " : "any source",
		 r->in.src ? cg_rule_ipv4_str(r->in.src, s) : "");
	return buf;
}

void
control_audit(enum cg_log_level lvl, const struct control_who *who, const char *rule,
	  const char *result, const char *fmt, ...)
{
	char uid[16], pid[16], msg[MSG];
	struct cg_log_field f[] = {
		{ "via", who->via }, { "uid", uid }, { "pid", pid }, { "rule", rule },
		{ "result", result },
	};
	va_list ap;

	snprintf(uid, sizeof(uid), "%u", (unsigned int)who->uid);
	snprintf(pid, sizeof(pid), "%d", (int)who->pid);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cg_log_fields(lvl, f, sizeof(f) / sizeof(f[0]), "%s", msg);
}

/* One request to the data plane. */
static int
dp_request(struct control *c, uint32_t op, uint32_t origin, const struct cg_rule *r, char *msg,
	   size_t len)
{
	struct cg_shm_rules_req req;
	uint64_t gen = 0;
	int ret;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.origin = origin;
	req.rule = *r;
	msg[0] = '\0';
	ret = cg_shm_rules_request(&c->shm, &req, CONTROL_DP_TIMEOUT_MS, &gen, msg, len);
	if (ret == -ETIMEDOUT) {
		/* It may still land: settle() checks from the next tick on. */
		if (!c->dirty)
			c->dirty_ticks = 0;
		c->dirty = true;
	}
	if (ret == 0)
		CG_DEBUG("data plane: %s %s done, generation %" PRIu64,
			 op == CG_SHM_RULES_ADD ? "add" : op == CG_SHM_RULES_UPDATE ? "update" :
			 "remove", r->name, gen);
	return ret;
}

/*
 * @p n adds (at most CG_SHM_REQ_BATCH) in one request: a bulk load costs a
 * round trip per batch, not per rule. *done: how many went in, in order.
 */
static int
dp_add_batch(struct control *c, const struct cg_rule *rules, unsigned int n, unsigned int *done,
	     char *msg, size_t len)
{
	static struct cg_shm_rules_req req[CG_SHM_REQ_BATCH];
	uint64_t gen = 0;
	int ret;

	for (unsigned int i = 0; i < n; i++) {
		memset(&req[i], 0, sizeof(req[i]));
		req[i].op = CG_SHM_RULES_ADD;
		req[i].origin = CG_SHM_ORIGIN_API;
		req[i].rule = rules[i];
	}
	msg[0] = '\0';
	ret = cg_shm_rules_request_batch(&c->shm, req, n, CONTROL_DP_TIMEOUT_MS, &gen, done,
					 msg, len);
	if (ret == -ETIMEDOUT) {
		if (!c->dirty)
			c->dirty_ticks = 0;
		c->dirty = true;
	}
	return ret;
}

/* The data plane names the bad value like lib/rule does:
 * `rule "cam1": output[1].destination: not inside ...`; make it a field. */
static void
dp_field(const char *msg, char *field, size_t len)
{
	const char *p = strstr(msg, "\": ");
	size_t n;

	snprintf(field, len, "params.rule");
	if (p == NULL)
		return;
	p += 3;
	if (strncmp(p, "input.", 6) != 0 && strncmp(p, "output[", 7) != 0)
		return;
	n = strcspn(p, ": ");
	if (p[n] == ':')
		snprintf(field, len, "params.rule.%.*s", (int)n, p);
}

/* A copy of @s without the rule named @skip, with @with in its place (or at
 * the end when @skip is not there). Either may be NULL. */
static struct cg_rule_set *
set_replace(const struct cg_rule_set *s, const char *skip, const struct cg_rule *with,
	    char *msg, size_t len)
{
	struct cg_rule_set *n;
	const struct cg_rule *r;
	bool placed = false;
	struct cg_rule tmp;
	size_t i;

	/* The common case, an add: one copy of the set, then the new rule (O(n)
	 * copying, no rule hashed again). */
	if (with != NULL && (skip == NULL || cg_rule_set_find(s, skip) == NULL)) {
		n = cg_rule_set_clone(s, 1);
		if (n == NULL) {
			snprintf(msg, len, "out of memory");
			return NULL;
		}
		tmp = *with;
		if (cg_rule_set_add(n, &tmp, msg, len) < 0)
			goto fail;
		return n;
	}
	n = cg_rule_set_new();
	if (n == NULL || cg_rule_set_reserve(n, cg_rule_set_count(s) + 1) < 0) {
		cg_rule_set_free(n);
		snprintf(msg, len, "out of memory");
		return NULL;
	}
	CG_RULE_SET_FOREACH(s, i, r) {
		if (skip != NULL && strcmp(r->name, skip) == 0) {
			if (with == NULL)
				continue;
			tmp = *with;
			placed = true;
		} else {
			tmp = *r;
		}
		if (cg_rule_set_add(n, &tmp, msg, len) < 0)
			goto fail;
	}
	if (with != NULL && !placed) {
		tmp = *with;
		if (cg_rule_set_add(n, &tmp, msg, len) < 0)
			goto fail;
	}
	return n;
fail:
	cg_rule_set_free(n);
	return NULL;
}

static bool
installed_api_equal(const struct control *c, const struct cg_rule *r)
{
	struct control_rule_ref ref;

	return control_rule_find(c, r->name, &ref) == 0 && ref.origin == CG_SHM_ORIGIN_API &&
	       cg_rule_equal(ref.rule, r);
}

/*
 * Reconciliation: make the data plane's API rules equal to c->api. Returns
 * the number of rules that could not be installed; sets c->dirty when a
 * request got no answer.
 */
static unsigned int
reconcile(struct control *c, bool at_start)
{
	struct control_who who = { .uid = getuid(), .pid = getpid(), .via = "state-file" };
	const struct cg_rule *sr;
	struct control_rule_ref ref;
	struct cg_rpc_error rerr;
	unsigned int skipped = 0;
	char msg[MSG], why[MSG - 96];
	size_t i;
	int ret;

	c->dirty = false;
	c->state_error[0] = '\0';
	/* Removals first: they may free names and matches the others need. */
	for (uint32_t s = 0; s < control_rule_slots(c); s++) {
		struct cg_rule old;

		if (!control_rule_at(c, s, &ref) || ref.origin != CG_SHM_ORIGIN_API ||
		    cg_rule_set_find(c->api, ref.rule->name) != NULL)
			continue;
		old = *ref.rule;
		ret = dp_request(c, CG_SHM_RULES_REMOVE, CG_SHM_ORIGIN_API, &old, msg, sizeof(msg));
		control_audit(ret < 0 ? CG_LOG_ERR : CG_LOG_WARN, &who, old.name,
			  ret < 0 ? "error" : "ok", "rule %s (id %u): installed as an API rule "
			  "but not in %s: removed%s%s",
			  old.name, old.id, c->conf->ctl.state_file, ret < 0 ? ": " : "",
			  ret < 0 ? msg : "");
		if (ret == 0)
			control_stats_forget_rule(c, old.name);
	}
	CG_RULE_SET_FOREACH(c->api, i, sr) {
		struct cg_rule r = *sr;
		uint32_t op = CG_SHM_RULES_ADD;

		if (installed_api_equal(c, &r))
			continue;
		memset(&rerr, 0, sizeof(rerr));
		if (control_rule_find(c, r.name, &ref) == 0) {
			if (ref.origin != CG_SHM_ORIGIN_API) {
				snprintf(why, sizeof(why), "the name is taken by a rule of the "
					 "config file");
				goto skip;
			}
			op = CG_SHM_RULES_UPDATE;
		}
		if (resolve_ports(c, &r, NULL, &rerr) < 0) {
			snprintf(why, sizeof(why), "%s", rerr.message);
			goto skip;
		}
		ret = dp_request(c, op, CG_SHM_ORIGIN_API, &r, why, sizeof(why));
		if (ret == 0) {
			control_audit(CG_LOG_INFO, &who, r.name, "ok",
				      "state rule %s (id %u): %s in the data plane", r.name, r.id,
				  op == CG_SHM_RULES_ADD ? "installed" : "updated");
			control_stats_forget_rule(c, r.name);
			continue;
		}
		if (ret == -ETIMEDOUT || ret == -EPIPE)
			return skipped;	/* dirty: the tick tries again */
skip:
		skipped++;
		snprintf(msg, sizeof(msg), "state rule %s: not installed: %s", r.name, why);
		if (at_start)
			CG_ERR("%s", msg);
		if (c->state_error[0] == '\0')
			snprintf(c->state_error, sizeof(c->state_error), "%s", msg);
	}
	return skipped;
}

void
control_rules_start(struct control *c)
{
	const char *path = c->conf->ctl.state_file;
	char err[MSG];
	int ret;

	c->state_error[0] = '\0';
	ret = cg_state_load(path, &c->api, &c->state, err, sizeof(err));
	if (ret < 0) {
		/* Writing would destroy what the file still holds: freeze instead. */
		c->api = NULL;
		c->state_usable = false;
		snprintf(c->state_error, sizeof(c->state_error), "%s", err);
		CG_ERR("%s; API rules are read-only until the file is fixed and " CONTROL_PROG
		       " restarted", err);
		return;
	}
	c->state_usable = true;
	if (c->state.journal_changes > 0) {
		uint64_t changes = c->state.journal_changes;

		/* Fold the journal now: a start reads one file next time. */
		if (cg_state_save(&c->state, c->api, err, sizeof(err)) < 0)
			CG_WARN("%s; the journal stays and is folded later", err);
		else
			CG_INFO("state file %s: %" PRIu64 " change(s) of the journal folded in",
				path, changes);
	}
	c->state_skipped = reconcile(c, true);
	CG_INFO("state file %s: %zu API rule(s), %u not installed", path,
		cg_rule_set_count(c->api), c->state_skipped);
}

/*
 * After a request got no answer, the data plane may still apply it. Every
 * request we sent is finished (applied or refused for good: a later request
 * overwrites the shared slot, so the primary refuses a stale copy) once its
 * done_seq reached next_seq; only then does comparing make sense. If it
 * never catches up (a request lost on the way), compare anyway after a while.
 * @return true when the data plane agrees with c->api again.
 */
static bool
settle(struct control *c)
{
	uint64_t done, sent;

	if (!c->dirty)
		return true;
	done = __atomic_load_n(&c->shm.request->done_seq, __ATOMIC_ACQUIRE);
	sent = __atomic_load_n(&c->shm.request->next_seq, __ATOMIC_RELAXED);
	if (done < sent && c->dirty_ticks < CONTROL_SETTLE_TICKS)
		return false;
	if (!c->state_usable) {
		/* No API set to compare with; config rules: reload again. */
		c->dirty = false;
		return true;
	}
	CG_WARN("a rule change got no answer from the data plane in time: reconciling the "
		"data plane with %s%s", c->conf->ctl.state_file,
		done < sent ? " (it did not finish every request)" : "");
	c->state_skipped = reconcile(c, false);
	if (c->dirty)
		return false;
	c->dirty_ticks = 0;
	CG_INFO("the data plane agrees with %s again", c->conf->ctl.state_file);
	return true;
}

void
control_rules_tick(struct control *c)
{
	char err[512];

	/* The state file removed, replaced or cut under us (by hand): write it
	 * again from the running rules, so that a restart finds every rule that
	 * was acknowledged, and an append never lands on a base that is gone. */
	if (c->state_usable && c->api != NULL && cg_state_disturbed(&c->state)) {
		if (cg_state_save(&c->state, c->api, err, sizeof(err)) == 0) {
			CG_WARN("state file %s was removed, replaced or cut while " CONTROL_PROG
				" ran: written again with the %zu API rule(s) it runs",
				c->state.path, cg_rule_set_count(c->api));
			c->state_rewrite_failed = false;
		} else if (!c->state_rewrite_failed) {
			CG_ERR("state file %s was removed, replaced or cut while " CONTROL_PROG
			       " ran, and cannot be written again: %s", c->state.path, err);
			c->state_rewrite_failed = true;
		}
	}
	if (!c->dirty)
		return;
	c->dirty_ticks++;
	settle(c);
}

void
control_config_watch(struct control *c)
{
	struct cg_conf *conf;
	struct stat sb;
	char err[CONTROL_MSG_SIZE];

	if (stat(c->config_path, &sb) < 0)
		memset(&sb, 0, sizeof(sb));	/* gone: the load below says so */
	if (sb.st_ino == c->config_seen.st_ino && sb.st_dev == c->config_seen.st_dev &&
	    sb.st_size == c->config_seen.st_size &&
	    sb.st_mtim.tv_sec == c->config_seen.st_mtim.tv_sec &&
	    sb.st_mtim.tv_nsec == c->config_seen.st_mtim.tv_nsec && sb.st_ino != 0)
		return;
	c->config_seen = sb;
	conf = cg_conf_load(c->config_path, err, sizeof(err));
	if (conf != NULL) {
		if (c->config_error[0] != '\0')
			CG_INFO("config %s passes its check again", c->config_path);
		c->config_error[0] = '\0';
		cg_conf_free(conf);
		return;
	}
	/* What runs is unchanged; a process restarted now would read this. */
	CG_WARN("config %s fails its check: a castgate process restarted now would not "
		"start (system.health is degraded until it is fixed): %s", c->config_path, err);
	snprintf(c->config_error, sizeof(c->config_error), "%s", err);
}

/* Changes wait until an unanswered one is settled: they would race it. */
static int
busy(struct control *c, struct cg_rpc_error *err)
{
	if (settle(c))
		return 0;
	cg_rpc_error_set(err, CG_RPC_E_BUSY, NULL, "an earlier rule change got no answer from "
			 "the data plane and is being reconciled; retry in a second");
	return -1;
}

/* Checks of a new or replacing API rule against every other rule. @old is
 * the rule it replaces (NULL for an add). */
static int
check_conflicts(const struct control *c, const struct cg_rule *r, const struct cg_rule *old,
		struct cg_rpc_error *err)
{
	const int code = old ? CG_RPC_E_CONFLICT : CG_RPC_E_EXISTS;
	const struct cg_rule *other;
	struct control_rule_ref ref;
	char m[96];

	int s;

	/* The data plane's rule index finds each kind of clash in O(1). The rule
	 * being replaced (@old) clashes with nothing. */
	if (!old && (s = cg_shm_rule_find_name(c->shm.rules, r->name)) >= 0 &&
	    control_rule_at(c, (uint32_t)s, &ref)) {
		cg_rpc_error_set(err, code, "params.rule.name", "rule \"%s\" exists "
				 "(id %u, origin %s)", r->name, ref.rule->id,
				 control_origin_name(ref.origin));
		return -1;
	}
	if (r->id != 0 && (s = cg_shm_rule_find_id(c->shm.rules, r->id)) >= 0 &&
	    control_rule_at(c, (uint32_t)s, &ref) &&
	    !(old && strcmp(ref.rule->name, old->name) == 0)) {
		cg_rpc_error_set(err, code, "params.rule.id", "rule \"%s\": id %u is "
				 "already used by rule \"%s\" (origin %s)", r->name, r->id,
				 ref.rule->name, control_origin_name(ref.origin));
		return -1;
	}
	if ((s = cg_shm_rule_find_match(c->shm.rules, r)) >= 0 &&
	    control_rule_at(c, (uint32_t)s, &ref) &&
	    !(old && strcmp(ref.rule->name, old->name) == 0) && same_match(ref.rule, r)) {
		cg_rpc_error_set(err, code, "params.rule.input", "rule \"%s\": same match "
				 "(%s) as rule \"%s\" (origin %s)", r->name,
				 match_str(r, m, sizeof(m)), ref.rule->name,
				 control_origin_name(ref.origin));
		return -1;
	}
	/* State rules that are not installed keep their name, id and match. */
	switch (cg_rule_set_check(c->api, r, &other)) {
	case CG_RULE_CONFLICT_NONE:
		break;
	case CG_RULE_CONFLICT_NAME:
		if (old != NULL)
			break;	/* the rule being replaced */
		/* fall through */
	case CG_RULE_CONFLICT_ID:
	case CG_RULE_CONFLICT_MATCH:
		if (old != NULL && strcmp(other->name, old->name) == 0)
			break;
		if (installed_api_equal(c, other))
			break;	/* seen above as installed */
		if (strcmp(other->name, r->name) == 0)
			cg_rpc_error_set(err, code, "params.rule.name", "rule \"%s\" is in the "
					 "state file but not installed (see system.health): remove "
					 "it first", r->name);
		else
			cg_rpc_error_set(err, code, "params.rule", "rule \"%s\" conflicts "
					 "with rule \"%s\" of the state file, which is not "
					 "installed (see system.health): remove that first",
					 r->name, other->name);
		return -1;
	}
	return 0;
}

/*
 * The id of an API rule added without one: one more than the highest id in
 * use (config and API rules, installed or not), but at least
 * CG_RULE_API_ID_BASE, above the ids config rules get automatically. So an
 * id-less rule added to the config file later never takes an API rule's id
 * (which would skip the API rule at the next start).
 */
static int
cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The lowest id from CG_RULE_API_ID_BASE up that no rule has (0: none, or
 * no memory): once a rule was given UINT32_MAX by hand, "one more" is none. */
static uint32_t
lowest_free_id(const struct control *c)
{
	struct control_rule_ref ref;
	const struct cg_rule *r;
	size_t n = 0, i, cap = control_rule_slots(c) + cg_rule_set_count(c->api);
	uint32_t *ids = malloc((cap + 1) * sizeof(*ids)), id = CG_RULE_API_ID_BASE;

	if (ids == NULL)
		return 0;
	for (uint32_t s = 0; s < control_rule_slots(c); s++)
		if (control_rule_at(c, s, &ref) && ref.rule->id >= CG_RULE_API_ID_BASE)
			ids[n++] = ref.rule->id;
	CG_RULE_SET_FOREACH(c->api, i, r)
		if (r->id >= CG_RULE_API_ID_BASE && n < cap)
			ids[n++] = r->id;
	qsort(ids, n, sizeof(*ids), cmp_id);
	for (i = 0; i < n && ids[i] <= id; i++)
		if (ids[i] == id)
			id++;	/* sorted, duplicates adjacent: the next candidate */
	free(ids);
	return id;	/* 0 when it wrapped: every id is taken */
}

static uint32_t
next_id(const struct control *c)
{
	struct control_rule_ref ref;
	const struct cg_rule *r;
	uint32_t max = CG_RULE_API_ID_BASE - 1;
	size_t i;

	for (uint32_t s = 0; s < control_rule_slots(c); s++)
		if (control_rule_at(c, s, &ref) && ref.rule->id > max)
			max = ref.rule->id;
	CG_RULE_SET_FOREACH(c->api, i, r)
		if (r->id > max)
			max = r->id;
	return max < UINT32_MAX ? max + 1 : lowest_free_id(c);
}

static int
frozen(const struct control *c, struct cg_rpc_error *err)
{
	if (c->state_usable)
		return 0;
	cg_rpc_error_set(err, CG_RPC_E_CONFLICT, NULL, "API rules are read-only: the state "
			 "file could not be read at start (%s); fix or move it, then restart "
			 CONTROL_PROG, c->state_error);
	return -1;
}

/*
 * Make @next, which is c->api with the changes @ch, durable: append the
 * changes to the journal (the cost of a request is what it changes), or
 * write @next as a new snapshot when the journal has grown past it or the
 * files are no longer those we wrote.
 */
static int
state_write(struct control *c, const struct cg_rule_set *next, const struct cg_state_change *ch,
	    size_t n, char *msg, size_t len)
{
	if (cg_state_fold_due(&c->state) || cg_state_disturbed(&c->state))
		return cg_state_save(&c->state, next, msg, len);
	return cg_state_append(&c->state, ch, n, msg, len);
}

/*
 * Save @next as the state file, then make it c->api; @next NULL: the change
 * is in c->api already, appended after its first @base rules (an add). On
 * failure undo @undo_op of @undo_rule in the data plane and fill @err.
 */
static int
commit(struct control *c, struct cg_rule_set *next, size_t base,
       const struct cg_state_change *ch, uint32_t undo_op, const struct cg_rule *undo_rule,
       const struct control_who *who, const char *what, struct cg_rpc_error *err)
{
	char msg[MSG], umsg[MSG];
	int ret;

	ret = state_write(c, next != NULL ? next : c->api, ch, 1, msg, sizeof(msg));
	if (ret == 0) {
		if (next != NULL) {
			cg_rule_set_free(c->api);
			c->api = next;
		}
		return 0;
	}
	if (next != NULL)
		cg_rule_set_free(next);
	else
		cg_rule_set_truncate(c->api, base);
	ret = dp_request(c, undo_op, CG_SHM_ORIGIN_API, undo_rule, umsg, sizeof(umsg));
	if (ret == 0) {
		control_audit(CG_LOG_ERR, who, undo_rule->name, "error", "%s: not saved (%s): "
			  "undone in the data plane", what, msg);
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "%s: the state file could not be "
				 "written (%s); the change was undone", what, msg);
	} else {
		if (!c->dirty)
			c->dirty_ticks = 0;
		c->dirty = true;
		control_audit(CG_LOG_ERR, who, undo_rule->name, "error", "%s: not saved (%s), and "
			  "undoing it in the data plane failed (%s): retrying every second",
			  what, msg, umsg);
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "%s: the state file could not be "
				 "written (%s); undoing the change in the data plane failed (%s) "
				 "and is retried", what, msg, umsg);
	}
	return -1;
}

int
control_rule_change(struct control *c, uint32_t op, struct cg_rule *r,
		    const struct control_who *who, struct cg_rpc_error *err)
{
	const char *verb = op == CG_SHM_RULES_ADD ? "add" : "update";
	size_t base;	/* an add goes after the rules c->api has now */
	struct cg_rule old;
	struct control_rule_ref ref;
	struct cg_rule_set *next;
	char msg[MSG], what[160];
	uint64_t t0, t1;
	int ret;

	/* Frozen, there is no c->api at all: nothing below may run. */
	if (frozen(c, err) < 0 || busy(c, err) < 0 ||
	    resolve_ports(c, r, "params.rule", err) < 0)
		goto refused;
	base = cg_rule_set_count(c->api);
	if (op == CG_SHM_RULES_UPDATE) {
		if (control_rule_find(c, r->name, &ref) < 0) {
			if (cg_rule_set_find(c->api, r->name) != NULL)
				cg_rpc_error_set(err, CG_RPC_E_CONFLICT, "params.rule.name",
						 "rule \"%s\" is in the state file but not "
						 "installed (see system.health): remove it and "
						 "add it again", r->name);
			else
				cg_rpc_error_set(err, CG_RPC_E_NOT_FOUND, "params.rule.name",
						 "rule \"%s\" not found", r->name);
			goto refused;
		}
		if (ref.origin != CG_SHM_ORIGIN_API) {
			cg_rpc_error_set(err, CG_RPC_E_CONFLICT, "params.rule.name", "rule \"%s\" "
					 "comes from the config file %s: edit the file and reload",
					 r->name, c->config_path);
			goto refused;
		}
		old = *ref.rule;
		if (r->id == 0)
			r->id = old.id;
		if (check_conflicts(c, r, &old, err) < 0)
			goto refused;
		if (cg_rule_equal(&old, r)) {
			control_audit(CG_LOG_INFO, who, r->name, "ok", "rule %s (id %u): update: "
				  "unchanged", r->name, r->id);
			return 0;
		}
	} else {
		if (check_conflicts(c, r, NULL, err) < 0)
			goto refused;
		if (r->id == 0 && (r->id = next_id(c)) == 0) {
			cg_rpc_error_set(err, CG_RPC_E_CONFLICT, "params.rule.id", "rule \"%s\": "
					 "every id up to %u is taken: give one", r->name,
					 UINT32_MAX);
			goto refused;
		}
	}
	/*
	 * Built before the data plane changes: a failure here changes nothing.
	 * An add goes into c->api in place (a copy of the set per add costs
	 * O(set)) and is truncated off again on failure; an update, or an add
	 * that takes the place of a state rule of that name which is not
	 * installed, builds a copy.
	 */
	if (op == CG_SHM_RULES_ADD && cg_rule_set_find(c->api, r->name) == NULL) {
		struct cg_rule tmp = *r;

		next = NULL;
		ret = cg_rule_set_add(c->api, &tmp, msg, sizeof(msg));
	} else {
		next = set_replace(c->api, r->name, r, msg, sizeof(msg));
		ret = next != NULL ? 0 : -1;
	}
	if (ret < 0) {
		/* A clash with a state rule that is not installed, or ENOMEM. */
		cg_rpc_error_set(err, CG_RPC_E_CONFLICT, "params.rule", "%s", msg);
		goto refused;
	}
	t0 = control_mono_us();
	ret = dp_request(c, op, CG_SHM_ORIGIN_API, r, msg, sizeof(msg));
	if (ret < 0) {
		char field[CG_RPC_FIELD_MAX];

		if (next != NULL)
			cg_rule_set_free(next);
		else
			cg_rule_set_truncate(c->api, base);
		dp_field(msg, field, sizeof(field));
		control_dp_error(err, ret, field, msg);
		goto refused;
	}
	t1 = control_mono_us();
	snprintf(what, sizeof(what), "rule %s (id %u): %s", r->name, r->id, verb);
	if (op == CG_SHM_RULES_ADD)
		ret = commit(c, next, base, &(struct cg_state_change){ .put = r }, CG_SHM_RULES_REMOVE,
			     r, who, what, err);
	else
		ret = commit(c, next, base, &(struct cg_state_change){ .put = r }, CG_SHM_RULES_UPDATE,
			     &old, who, what, err);
	if (ret < 0)
		return -1;
	control_stats_forget_rule(c, r->name);
	control_audit(CG_LOG_INFO, who, r->name, "ok", "rule %s (id %u): %s: %u output(s), saved "
		  "(data plane %.1f ms, state file %.1f ms)", r->name, r->id, verb, r->n_outputs,
		  (double)(t1 - t0) / 1000.0, (double)(control_mono_us() - t1) / 1000.0);
	return 0;
refused:
	control_audit(CG_LOG_WARN, who, r->name, "refused", "rule %s: %s refused: %s", r->name,
		      verb, err->message);
	return -1;
}

/*
 * Whether rule @p i of a batch clashes (name, id, match) with an earlier rule
 * of the same batch, which went into @p api from index @p first on: -1 with
 * the error naming both.
 */
static int
batch_clash(const struct cg_rule_set *api, size_t first, const struct cg_rule *r, size_t i,
	    struct cg_rpc_error *err)
{
	static const char *const what[] = {
		[CG_RULE_CONFLICT_NAME] = "name", [CG_RULE_CONFLICT_ID] = "id",
		[CG_RULE_CONFLICT_MATCH] = "match",
	};
	const struct cg_rule *other;
	enum cg_rule_conflict k = cg_rule_set_check(api, r, &other);

	if (k == CG_RULE_CONFLICT_NONE || k >= RTE_DIM(what) || what[k] == NULL)
		return 0;
	for (size_t j = first; j < cg_rule_set_count(api); j++)
		if (cg_rule_set_get(api, j) == other) {
			cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, "params.rules", "rules[%zu] "
					 "(\"%s\"): same %s as rules[%zu] (\"%s\") of this request",
					 i, r->name, what[k], j - first, other->name);
			return -1;
		}
	return 0;
}

/* Say which rule of a batch @p err is about: "params.rules[i]...". */
static void
batch_err(struct cg_rpc_error *err, size_t i, const char *name)
{
	char m[sizeof(err->message)], f[sizeof(err->field) + 32];

	snprintf(m, sizeof(m), "%s", err->message);
	/* "params.rule.x" -> "params.rules[i].x" */
	if (strncmp(err->field, "params.rule", 11) == 0 && err->field[11] != 's')
		snprintf(f, sizeof(f), "params.rules[%zu]%s", i, err->field + 11);
	else
		snprintf(f, sizeof(f), "%s", err->field);
	/* Through cg_rpc_error_set(): what is cut keeps whole characters. */
	cg_rpc_error_set(err, err->code, f, "rules[%zu] (\"%s\"): %s", i, name, m);
}

int
control_rules_add_many(struct control *c, struct cg_rule *rules, size_t n,
		       const struct control_who *who, struct cg_rpc_error *err)
{
	size_t base;	/* c->api had this many rules */
	struct cg_state_change *ch;
	char msg[MSG], field[CG_RPC_FIELD_MAX];
	uint64_t t0 = control_mono_us(), t1;
	size_t i, done = 0, first = 0;	/* rules[first..i] wait to be sent */
	size_t first_api;		/* rules[0] is c->api's rule of this index */
	uint32_t id;
	int ret;

	if (frozen(c, err) < 0 || busy(c, err) < 0)
		goto refused;	/* frozen: c->api is NULL */
	base = cg_rule_set_count(c->api);
	first_api = base;
	/* One scan for the next free id, then counting up: O(1) per rule. */
	id = next_id(c);
	/*
	 * The rules go into c->api as they are checked, not into a copy: a copy
	 * per request costs O(set) (100 MB at 100 000 rules). A refusal takes
	 * them out again (cg_rule_set_truncate()), before anything else runs.
	 */
	for (i = 0; i < n; i++) {
		struct cg_rule *r = &rules[i];
		char base[48];

		snprintf(base, sizeof(base), "params.rules[%zu]", i);
		if (resolve_ports(c, r, base, err) < 0)
			goto undo;
		/* An earlier rule of this request (in c->api, not yet installed):
		 * say so, not "a state rule that is not installed". */
		if (batch_clash(c->api, first_api, r, i, err) < 0)
			goto undo;
		if (check_conflicts(c, r, NULL, err) < 0) {
			batch_err(err, i, r->name);
			goto undo;
		}
		if (r->id == 0) {
			while (id != 0 && (cg_shm_rule_find_id(c->shm.rules, id) >= 0 ||
					   cg_rule_set_find_id(c->api, id) != NULL))
				id++;
			if (id == 0) {
				cg_rpc_error_set(err, CG_RPC_E_CONFLICT, "params.rules", "rules[%zu] "
						 "(\"%s\"): every id up to %u is taken: give one", i,
						 r->name, UINT32_MAX);
				goto undo;
			}
			r->id = id++;
		}
		if (cg_rule_set_add(c->api, r, msg, sizeof(msg)) < 0) {
			/* A clash with a state rule that is not installed. */
			cg_rpc_error_set(err, CG_RPC_E_CONFLICT, base, "rules[%zu]: %s", i, msg);
			goto undo;
		}
		/* Sent in batches once checked: the data plane stops at a refused one. */
		if (i + 1 - first == CG_SHM_REQ_BATCH || i + 1 == n) {
			unsigned int k = 0;

			ret = dp_add_batch(c, &rules[first], (unsigned int)(i + 1 - first), &k, msg,
					   sizeof(msg));
			done += k;
			if (ret < 0) {
				dp_field(msg, field, sizeof(field));
				control_dp_error(err, ret, field, msg);
				batch_err(err, first + k, rules[first + k].name);
				goto undo;
			}
			first = i + 1;
		}
	}
	t1 = control_mono_us();
	ch = calloc(n ? n : 1, sizeof(*ch));
	if (ch == NULL) {
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "out of memory");
		goto undo;
	}
	for (i = 0; i < n; i++)
		ch[i].put = &rules[i];
	ret = state_write(c, c->api, ch, n, msg, sizeof(msg));
	free(ch);
	if (ret < 0) {
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "%zu rules: the state file could "
				 "not be written (%s); the change was undone", n, msg);
		goto undo;
	}
	control_audit(CG_LOG_INFO, who, n ? rules[0].name : "-", "ok", "%zu rules added, \"%s\" "
		      "to \"%s\", saved (data plane %.1f ms, state file %.1f ms)", n,
		      n ? rules[0].name : "", n ? rules[n - 1].name : "",
		      (double)(t1 - t0) / 1000.0, (double)(control_mono_us() - t1) / 1000.0);
	return 0;
undo:
	/* Nothing of a refused batch stays: remove what went in, newest first. */
	while (done-- > 0) {
		if (dp_request(c, CG_SHM_RULES_REMOVE, CG_SHM_ORIGIN_API, &rules[done], msg,
			       sizeof(msg)) < 0) {
			if (!c->dirty)
				c->dirty_ticks = 0;
			c->dirty = true;	/* the tick reconciles with c->api */
			control_audit(CG_LOG_ERR, who, rules[done].name, "error", "rule %s: undoing "
				      "its add failed (%s): retrying every second",
				      rules[done].name, msg);
		}
	}
	cg_rule_set_truncate(c->api, base);
refused:
	control_audit(CG_LOG_WARN, who, n ? rules[0].name : "-", "refused", "rule.add of %zu "
		      "rules refused, none added: %s", n, err->message);
	return -1;
}

int
control_rule_remove(struct control *c, const char *name, const struct control_who *who,
		struct cg_rpc_error *err)
{
	struct control_rule_ref ref;
	struct cg_rule_set *next;
	struct cg_rule old;
	char msg[MSG], what[160];
	uint64_t t0, t1;
	int ret;

	if (frozen(c, err) < 0 || busy(c, err) < 0)
		goto refused;
	if (control_rule_find(c, name, &ref) < 0) {
		if (cg_rule_set_find(c->api, name) == NULL) {
			cg_rpc_error_set(err, CG_RPC_E_NOT_FOUND, "params.name",
					 "rule \"%s\" not found", name);
			goto refused;
		}
		/* A skipped state rule: only the file has it. */
		next = set_replace(c->api, name, NULL, msg, sizeof(msg));
		if (next == NULL || state_write(c, next, &(struct cg_state_change){
							.remove = name }, 1, msg, sizeof(msg)) < 0) {
			cg_rule_set_free(next);
			cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "rule %s: %s", name, msg);
			goto refused;
		}
		cg_rule_set_free(c->api);
		c->api = next;
		control_audit(CG_LOG_INFO, who, name, "ok", "rule %s: removed from %s (it was not "
			  "installed)", name, c->conf->ctl.state_file);
		return 0;
	}
	if (ref.origin != CG_SHM_ORIGIN_API) {
		cg_rpc_error_set(err, CG_RPC_E_CONFLICT, "params.name", "rule \"%s\" comes from "
				 "the config file %s: edit the file and reload", name,
				 c->config_path);
		goto refused;
	}
	old = *ref.rule;
	next = set_replace(c->api, name, NULL, msg, sizeof(msg));
	if (next == NULL) {
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "%s", msg);
		goto refused;
	}
	t0 = control_mono_us();
	ret = dp_request(c, CG_SHM_RULES_REMOVE, CG_SHM_ORIGIN_API, &old, msg, sizeof(msg));
	if (ret < 0) {
		cg_rule_set_free(next);
		control_dp_error(err, ret, "params.name", msg);
		goto refused;
	}
	t1 = control_mono_us();
	snprintf(what, sizeof(what), "rule %s (id %u): remove", name, old.id);
	if (commit(c, next, 0, &(struct cg_state_change){ .remove = name }, CG_SHM_RULES_ADD, &old,
		   who, what, err) < 0)
		return -1;
	control_stats_forget_rule(c, name);
	control_audit(CG_LOG_INFO, who, name, "ok", "rule %s (id %u): removed, saved (data plane "
		  "%.1f ms, state file %.1f ms)", name, old.id, (double)(t1 - t0) / 1000.0,
		  (double)(control_mono_us() - t1) / 1000.0);
	return 0;
refused:
	control_audit(CG_LOG_WARN, who, name, "refused", "rule %s: remove refused: %s", name,
		  err->message);
	return -1;
}

/*
 * Reload
 */

static int
jarray_add_str(json_object *a, const char *s)
{
	json_object *v = json_object_new_string(s);

	if (v == NULL || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Sections whose change the running processes do not apply. [log] too: only
 * castgate-control takes a new level at reload; the data plane and the
 * supervisor keep theirs, and nobody changes format.
 */
static json_object *
restart_sections(const struct cg_conf *now, const struct cg_conf *next)
{
	static const char *const sections[] = { "dataplane", "port", "control", "supervisor",
						"log", NULL };
	json_object *a = json_object_new_array();
	json_object *jn = cg_conf_to_json(now), *jx = cg_conf_to_json(next);

	for (int i = 0; a != NULL && jn != NULL && jx != NULL && sections[i]; i++) {
		json_object *x = NULL, *y = NULL;

		json_object_object_get_ex(jn, sections[i], &x);
		json_object_object_get_ex(jx, sections[i], &y);
		if (!json_object_equal(x, y))
			jarray_add_str(a, sections[i]);
	}
	json_object_put(jn);
	json_object_put(jx);
	return a;
}

void
control_reload_plan_free(struct control_reload_plan *p)
{
	cg_conf_free(p->conf);
	json_object_put(p->add);
	json_object_put(p->update);
	json_object_put(p->remove);
	json_object_put(p->restart);
	memset(p, 0, sizeof(*p));
}

/* A new or changed config rule against the API rules (installed or not). */
static bool
api_conflict(const struct control *c, const struct cg_rule *r, char *buf, size_t len)
{
	struct control_rule_ref ref;
	const struct cg_rule *a;
	char m[96];
	size_t i;

	for (uint32_t s = 0; s < control_rule_slots(c); s++) {
		const struct cg_rule *o;

		if (!control_rule_at(c, s, &ref) || ref.origin != CG_SHM_ORIGIN_API)
			continue;
		o = ref.rule;
		if (strcmp(o->name, r->name) == 0)
			snprintf(buf, len, "config rule \"%s\" has the name of API rule \"%s\"",
				 r->name, o->name);
		else if (o->id == r->id)
			snprintf(buf, len, "config rule \"%s\" has id %u, used by API rule \"%s\" "
				 "(a rule without an id gets the next free one at load: give it an "
				 "explicit id)", r->name, r->id, o->name);
		else if (same_match(o, r))
			snprintf(buf, len, "config rule \"%s\" has the match (%s) of API rule "
				 "\"%s\"", r->name, match_str(r, m, sizeof(m)), o->name);
		else
			continue;
		return true;
	}
	if (c->api == NULL)
		return false;	/* state file unreadable: only installed rules count */
	CG_RULE_SET_FOREACH(c->api, i, a) {
		if (strcmp(a->name, r->name) == 0 || a->id == r->id || same_match(a, r)) {
			snprintf(buf, len, "config rule \"%s\" conflicts with API rule \"%s\" "
				 "(state file, not installed)", r->name, a->name);
			return true;
		}
	}
	return false;
}

int
control_reload_plan(const struct control *c, const char *path, struct control_reload_plan *p,
		struct cg_rpc_error *err)
{
	const struct cg_rule *nr;
	struct control_rule_ref ref;
	struct cg_rpc_error perr;
	char msg[1024];
	struct stat st;
	size_t i;

	memset(p, 0, sizeof(*p));
	/* A FIFO or a device would block the loop in open() or read(). */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, NULL, "%s: not a regular file",
				 path);
		return -1;
	}
	p->conf = cg_conf_load(path, msg, sizeof(msg));
	if (p->conf == NULL) {
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, NULL, "%s", msg);
		return -1;
	}
	p->add = json_object_new_array();
	p->update = json_object_new_array();
	p->remove = json_object_new_array();
	p->restart = restart_sections(c->conf, p->conf);
	if (p->add == NULL || p->update == NULL || p->remove == NULL || p->restart == NULL) {
		control_reload_plan_free(p);
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "out of memory");
		return -1;
	}
	for (uint32_t s = 0; s < control_rule_slots(c); s++)
		if (control_rule_at(c, s, &ref) && ref.origin == CG_SHM_ORIGIN_CONFIG &&
		    cg_rule_set_find(cg_conf_rule_set(p->conf), ref.rule->name) == NULL)
			jarray_add_str(p->remove, ref.rule->name);
	CG_RULE_SET_FOREACH(cg_conf_rule_set(p->conf), i, nr) {
		struct cg_rule r = *nr;
		bool is_new = control_rule_find(c, r.name, &ref) < 0 ||
			      ref.origin != CG_SHM_ORIGIN_CONFIG;

		if (!is_new && cg_rule_equal(ref.rule, &r))
			continue;
		jarray_add_str(is_new ? p->add : p->update, r.name);
		if (p->conflict[0] != '\0')
			continue;
		memset(&perr, 0, sizeof(perr));
		if (resolve_ports(c, &r, NULL, &perr) < 0)
			snprintf(p->conflict, sizeof(p->conflict), "%s (the running data plane "
				 "has no such port; ports change with a restart)", perr.message);
		else
			api_conflict(c, &r, p->conflict, sizeof(p->conflict));
	}
	return 0;
}

/* A step of a reload, kept to undo it. */
struct step {
	uint32_t op;
	struct cg_rule before, after;
};

static int
undo_step(struct control *c, const struct step *s, char *msg, size_t len)
{
	switch (s->op) {
	case CG_SHM_RULES_ADD:
		return dp_request(c, CG_SHM_RULES_REMOVE, CG_SHM_ORIGIN_CONFIG, &s->after, msg,
				  len);
	case CG_SHM_RULES_UPDATE:
		return dp_request(c, CG_SHM_RULES_UPDATE, CG_SHM_ORIGIN_CONFIG, &s->before, msg,
				  len);
	default:
		return dp_request(c, CG_SHM_RULES_ADD, CG_SHM_ORIGIN_CONFIG, &s->before, msg, len);
	}
}

static int
reload_apply(struct control *c, struct control_reload_plan *p, const struct control_who *who,
	     struct cg_rpc_error *err)
{
	size_t nrem = json_object_array_length(p->remove);
	size_t nupd = json_object_array_length(p->update);
	size_t nadd = json_object_array_length(p->add);
	size_t n = nrem + nupd + nadd, done = 0;
	struct step *steps;
	char msg[MSG];
	int ret = 0;

	if (n == 0)
		return 0;
	steps = calloc(n, sizeof(*steps));
	if (steps == NULL) {
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "out of memory");
		return -1;
	}
	for (size_t k = 0; k < n && ret == 0; k++) {
		struct step *s = &steps[k];
		json_object *names = k < nrem ? p->remove : k < nrem + nupd ? p->update : p->add;
		size_t idx = k < nrem ? k : k < nrem + nupd ? k - nrem : k - nrem - nupd;
		const char *name = json_object_get_string(json_object_array_get_idx(names, idx));
		struct control_rule_ref ref;

		s->op = k < nrem ? CG_SHM_RULES_REMOVE : k < nrem + nupd ? CG_SHM_RULES_UPDATE :
			CG_SHM_RULES_ADD;
		if (s->op != CG_SHM_RULES_ADD && control_rule_find(c, name, &ref) == 0)
			s->before = *ref.rule;
		if (s->op != CG_SHM_RULES_REMOVE) {
			struct cg_rpc_error perr;

			s->after = *cg_rule_set_find(cg_conf_rule_set(p->conf), name);
			memset(&perr, 0, sizeof(perr));
			resolve_ports(c, &s->after, NULL, &perr);	/* checked by the plan */
		}
		ret = dp_request(c, s->op, CG_SHM_ORIGIN_CONFIG,
				 s->op == CG_SHM_RULES_REMOVE ? &s->before : &s->after, msg,
				 sizeof(msg));
		if (ret == 0) {
			done++;
			control_stats_forget_rule(c, name);
		}
	}
	if (ret == 0) {
		free(steps);
		return 0;
	}
	/* All or nothing: undo what was done, newest first. */
	{
		char umsg[MSG];
		int bad = 0;

		for (size_t k = done; k-- > 0;)
			if (undo_step(c, &steps[k], umsg, sizeof(umsg)) < 0) {
				bad++;
				CG_ERR("reload: undoing rule %s: %s", steps[k].after.name[0] ?
				       steps[k].after.name : steps[k].before.name, umsg);
			}
		control_audit(CG_LOG_ERR, who, steps[done].after.name[0] ? steps[done].after.name :
			  steps[done].before.name, "error", "reload of %s failed: %s; %s",
			  c->config_path, msg, bad ? "undoing it failed too (see above)" :
			  "rolled back");
		if (ret == -ETIMEDOUT || ret == -EPIPE)
			control_dp_error(err, ret, NULL, msg);	/* a later reload heals it */
		else
			cg_rpc_error_set(err, CG_RPC_E_CONFLICT, NULL, "reload of %s: %s; %s",
					 c->config_path, msg, bad ? "rolling it back failed too" :
					 "nothing was changed");
	}
	free(steps);
	return -1;
}

int
control_reload(struct control *c, const struct control_who *who, json_object **result,
	   struct cg_rpc_error *err)
{
	struct control_reload_plan p;
	json_object *res;

	*result = NULL;
	if (busy(c, err) < 0) {
		control_audit(CG_LOG_WARN, who, "-", "refused", "reload refused: %s", err->message);
		return -1;
	}
	if (control_reload_plan(c, c->config_path, &p, err) < 0) {
		/* A bad file is the operator's to fix; nothing changed. */
		err->code = CG_RPC_E_CONFLICT;
		control_audit(CG_LOG_ERR, who, "-", "refused",
			      "reload refused: %s; nothing changed", err->message);
		return -1;
	}
	if (p.conflict[0] != '\0') {
		cg_rpc_error_set(err, CG_RPC_E_CONFLICT, NULL, "reload of %s refused: %s; nothing "
				 "changed", c->config_path, p.conflict);
		control_audit(CG_LOG_ERR, who, "-", "refused", "%s", err->message);
		control_reload_plan_free(&p);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(p.restart); i++)
		CG_WARN("reload: [%s] changed in %s: not applied, needs a restart of castgate",
			json_object_get_string(json_object_array_get_idx(p.restart, i)),
			c->config_path);
	if (reload_apply(c, &p, who, err) < 0) {
		control_reload_plan_free(&p);
		return -1;
	}
	/* A state rule that a config rule kept out (its name, its match) may fit now. */
	if (c->state_usable && c->state_skipped > 0 && !c->dirty)
		c->state_skipped = reconcile(c, false);
	if (!c->log_level_forced)
		cg_log_set_level(p.conf->log.level);
	res = json_object_new_object();
	if (res == NULL) {
		control_reload_plan_free(&p);
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "out of memory");
		return -1;
	}
	control_audit(CG_LOG_INFO, who, "-", "ok",
		      "reload of %s: %zu added, %zu updated, %zu removed",
		  c->config_path, json_object_array_length(p.add),
		  json_object_array_length(p.update), json_object_array_length(p.remove));
	control_jadd(res, "added", json_object_get(p.add));
	control_jadd(res, "updated", json_object_get(p.update));
	control_jadd(res, "removed", json_object_get(p.remove));
	control_reload_plan_free(&p);
	*result = res;
	return 0;
}
