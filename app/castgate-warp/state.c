/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The containers castgate-warp knows (warps and targets), and how Docker
 * events and reconciles change them. Main thread only.
 *
 * Every event is handled by inspecting the container again rather than by
 * trusting the event's action: after a reconnect, replayed events may be
 * older than the container's current state, and the inspect always tells the
 * truth now. This also makes handling an event twice harmless.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cw.h"

struct cw_ctr {
	char id[65];
	char name[256];
	enum cg_warp_role role;
	char warp[CG_WARP_NAME_MAX + 1]; /* target: the warp it names */
	char warp_bad[1024];             /* target: why its label names no container */
	struct cg_docker_container c;    /* last inspect */
	struct cg_warp_record rec;       /* routes we installed in its netns */
	struct cw_prior prior;           /* Docker's default routes there, as first seen */
	int rec_pid;                     /* the netns (by pid) that rec describes */
	bool seen;                       /* mark of a full reconcile */
	bool retry;                      /* last route attempt failed */
	bool adopted;                    /* rec was seeded from the netns' routes */
	bool nh_closed;                  /* failed closed: its warp lost the address */
	enum cg_warp_refusal refused;    /* why its netns is refused now (CG_WARP_SAFE: not) */
	char last_problem[1800];          /* last error logged, not to repeat it */
};

struct cw_state {
	struct cg_warp_config cfg;
	struct cg_docker *d;             /* inspect/list client (the event thread has its own) */
	struct cw_ctr **v;
	size_t n, cap;
	bool need_reconcile;
	/* Names of warps seen going down (die/stop/removal) and not back up yet:
	 * their targets stay fail-closed even if the container was removed. */
	char (*down)[256];
	size_t n_down, cap_down;
	/* Running containers in another container's netns ("container:X"), from
	 * the reconcile's list and every container event's inspect: a target one
	 * of them names is shared. */
	struct cg_warp_joiner *joiners;
	size_t n_joiners, cap_joiners;
	bool joiners_lost;               /* one could not be recorded (ENOMEM) */
};

/* What a target's label points at. */
enum wstate {
	W_UP,        /* a running warp we know */
	W_DOWN,      /* a warp that exists stopped, or that we saw go down */
	W_MISSING,   /* no such container: leave the target untouched */
	W_NOT_WARP,  /* a container whose name does not match the pattern */
	W_UNKNOWN,   /* could not ask Docker: retry later */
	W_ALIAS,     /* Docker found a container by another name (its id): not a warp name */
};

static void nsid_of(const char *path, struct cg_warp_nsid *id);

struct cw_state *
cw_state_new(const struct cg_warp_config *cfg)
{
	struct cw_state *st = calloc(1, sizeof(*st));

	struct cg_warp_nsid host;

	if (st == NULL)
		return NULL;
	st->cfg = *cfg;
	nsid_of("/proc/1/ns/net", &host);
	if (host.ino == 0)
		CG_WARN("cannot read /proc/1/ns/net (%s): a target in the host's network namespace "
			"is refused only by its network mode", strerror(errno));
	return st;
}

static void
ctr_free(struct cw_ctr *e)
{
	cg_docker_container_clear(&e->c);
	free(e);
}

void
cw_state_free(struct cw_state *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++)
		ctr_free(st->v[i]);
	free(st->v);
	free(st->down);
	free(st->joiners);
	cg_docker_free(st->d);
	free(st);
}

void
cw_state_set_config(struct cw_state *st, const struct cg_warp_config *cfg)
{
	st->cfg = *cfg;
}

int
cw_state_connect(struct cw_state *st)
{
	struct cg_docker_opts o = { 0 };
	char err[512];
	int ret;

	cg_docker_free(st->d);
	o.host = st->cfg.socket;
	o.timeout_ms = CW_DOCKER_TIMEOUT_MS;
	o.cancel = cw_stop_pending;	/* a stop does not wait for a hung request */
	o.tls_ca = st->cfg.tls_ca[0] != '\0' ? st->cfg.tls_ca : NULL;
	o.tls_cert = st->cfg.tls_cert[0] != '\0' ? st->cfg.tls_cert : NULL;
	o.tls_key = st->cfg.tls_key[0] != '\0' ? st->cfg.tls_key : NULL;
	st->d = cg_docker_new(&o);
	if (st->d == NULL) {
		ret = -errno;
		CG_ERR("docker %s: cannot create client: %s", st->cfg.socket, strerror(errno));
		return ret;
	}
	ret = cg_docker_negotiate(st->d, err, sizeof(err));
	if (ret < 0) {
		CG_WARN("docker %s: %s", st->cfg.socket, err);
		cw_metric_error(CW_ERR_DOCKER);
	}
	return ret;
}

static void
update_gauges(struct cw_state *st)
{
	unsigned int t = 0, w = 0, r = 0;

	for (size_t i = 0; i < st->n; i++) {
		if (st->v[i]->role == CG_WARP_ROLE_TARGET) {
			t++;
			r += st->v[i]->refused != CG_WARP_SAFE;
		} else if (st->v[i]->role == CG_WARP_ROLE_WARP) {
			w++;
		}
	}
	atomic_store(&cw_m.targets, t);
	atomic_store(&cw_m.warps, w);
	atomic_store(&cw_m.refused_targets, r);
}

static struct cw_ctr *
find(struct cw_state *st, const char *id)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->v[i]->id, id) == 0)
			return st->v[i];
	return NULL;
}

static struct cw_ctr *
find_warp(struct cw_state *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i]->role == CG_WARP_ROLE_WARP && strcmp(st->v[i]->name, name) == 0)
			return st->v[i];
	return NULL;
}

static bool
down_has(const struct cw_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_down; i++)
		if (strcmp(st->down[i], name) == 0)
			return true;
	return false;
}

static void
down_set(struct cw_state *st, const char *name, bool down)
{
	for (size_t i = 0; i < st->n_down; i++) {
		if (strcmp(st->down[i], name) != 0)
			continue;
		if (!down)
			memcpy(st->down[i], st->down[--st->n_down], sizeof(st->down[0]));
		return;
	}
	if (!down)
		return;
	if (st->n_down == st->cap_down) {
		size_t cap = st->cap_down ? st->cap_down * 2 : 16;
		char (*v)[256] = realloc(st->down, cap * sizeof(*v));

		if (v == NULL)
			return; /* then only Docker's own view (a stopped container) counts */
		st->down = v;
		st->cap_down = cap;
	}
	snprintf(st->down[st->n_down++], sizeof(st->down[0]), "%s", name);
}

static void
joiner_del(struct cw_state *st, const char *id)
{
	for (size_t i = 0; i < st->n_joiners; i++)
		if (strcmp(st->joiners[i].id, id) == 0) {
			st->joiners[i] = st->joiners[--st->n_joiners];
			return;
		}
}

static void
joiner_add(struct cw_state *st, const struct cg_warp_joiner *j)
{
	joiner_del(st, j->id);
	if (st->n_joiners == st->cap_joiners) {
		size_t cap = st->cap_joiners ? st->cap_joiners * 2 : 16;
		struct cg_warp_joiner *v = realloc(st->joiners, cap * sizeof(*v));

		if (v == NULL) {
			/* Unknown sharers would be missed: refuse everything instead. */
			CG_ERR("out of memory tracking containers that share a network namespace");
			st->joiners_lost = true;
			return;
		}
		st->joiners = v;
		st->cap_joiners = cap;
	}
	st->joiners[st->n_joiners++] = *j;
}

/* Where is the warp named @p name? Asks Docker only when we do not know it running. */
static enum wstate
warp_state(struct cw_state *st, const char *name, struct cw_ctr **w)
{
	struct cg_docker_container c;
	json_object *obj = NULL;
	char err[512];
	int ret;

	*w = find_warp(st, name);
	if (*w != NULL && (*w)->c.running)
		return W_UP;
	if (down_has(st, name))
		return W_DOWN;
	if (st->d == NULL)
		return W_UNKNOWN;
	ret = cg_docker_inspect(st->d, name, &obj, err, sizeof(err));
	if (ret == -ENOENT)
		return W_MISSING;
	if (ret < 0) {
		if (ret != -ECANCELED)
			CG_WARN("warp %s: inspect: %s", name, err);
		return W_UNKNOWN;
	}
	memset(&c, 0, sizeof(c));
	ret = cg_docker_container_from_json(obj, &c, err, sizeof(err));
	json_object_put(obj);
	if (ret < 0)
		return W_UNKNOWN;
	/* Inspect also finds a container by (a prefix of) its id: a warp is
	 * named by its name, which the reconcile and the events know it by. */
	if (strcmp(c.name, name) != 0)
		ret = W_ALIAS;
	else
		ret = cg_warp_glob_match(st->cfg.pattern, c.name) ?
		      (c.running ? W_UNKNOWN : W_DOWN) : W_NOT_WARP;
	cg_docker_container_clear(&c);
	/* Running and a warp but not in our table: its start event is on its way. */
	return (enum wstate)ret;
}

static void
forget(struct cw_state *st, struct cw_ctr *e)
{
	for (size_t i = 0; i < st->n; i++) {
		if (st->v[i] == e) {
			st->v[i] = st->v[--st->n];
			ctr_free(e);
			return;
		}
	}
}

static struct cw_ctr *
add(struct cw_state *st, const char *id)
{
	struct cw_ctr *e;

	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct cw_ctr **v = realloc(st->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		st->v = v;
		st->cap = cap;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	snprintf(e->id, sizeof(e->id), "%s", id);
	st->v[st->n++] = e;
	return e;
}

/* Log a problem once until it changes, so that retries do not flood the log. */
static void
problem(struct cw_ctr *e, enum cg_log_level level, const char *msg)
{
	if (strcmp(e->last_problem, msg) == 0) {
		cw_log_ctr(CG_LOG_DEBUG, e->id, e->name, "%s", msg);
		return;
	}
	snprintf(e->last_problem, sizeof(e->last_problem), "%s", msg);
	cw_log_ctr(level, e->id, e->name, "%s", msg);
}

/*
 * A refused target: one line that names the container and the reason, which
 * is also its audit entry (event=refuse), and a count in /metrics; repeated
 * only when the reason changes. Nothing in any namespace was touched.
 */
static void
refuse_target(struct cw_ctr *t, enum cg_warp_refusal r, const char *why)
{
	char sid[13], msg[1600];
	struct cg_log_field f[4];

	snprintf(msg, sizeof(msg), "refused: %s; castgate-warp changes routes only in a "
		 "target's own network namespace, so no route was set", why);
	t->refused = r;
	if (strcmp(t->last_problem, msg) == 0) {
		cw_log_ctr(CG_LOG_DEBUG, t->id, t->name, "%s", msg);
		return;
	}
	snprintf(t->last_problem, sizeof(t->last_problem), "%s", msg);
	snprintf(sid, sizeof(sid), "%.12s", t->id);
	f[0] = (struct cg_log_field){ "event", "refuse" };
	f[1] = (struct cg_log_field){ "reason", cg_warp_refusal_name(r) };
	f[2] = (struct cg_log_field){ "container", sid };
	f[3] = (struct cg_log_field){ "name", t->name };
	cg_log_fields(CG_LOG_ERR, f, 4, "target %s %s", t->name, msg);
	cw_metric_refusal(r);
}

static void
nsid_of(const char *path, struct cg_warp_nsid *id)
{
	struct stat sb;

	id->dev = id->ino = 0; /* unreadable: not compared */
	if (stat(path, &sb) == 0) {
		id->dev = (uint64_t)sb.st_dev;
		id->ino = (uint64_t)sb.st_ino;
	}
}

/* A pidfd polls readable once its process has exited. Unlike a signal 0,
 * this needs no permission over the process (the unit has no CAP_KILL). */
static bool
pidfd_alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

struct guard_ctx {
	struct cw_state *st;
	struct cw_ctr *t;
	enum cg_warp_refusal refused;
	char why[512];
};

/*
 * The target's netns is open and its process pinned: is the namespace the
 * target's alone? Not the host's nor ours, the pid still that of the same run
 * of the container (asked after pinning, so a pid reused before the pin is
 * caught), and no other running container joined it.
 */
/* Read /proc/<pid>/cgroup (small: a line per hierarchy). */
static bool
read_cgroup(int pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n > 0;
}

/*
 * Does the pinned pid still belong to the container? Its cgroup names the
 * container (read while the pidfd shows it alive, so the file was the pinned
 * process's): yes, with no Docker round trip. Otherwise ask Docker again: the
 * same run must still have the same pid.
 */
static enum cg_warp_refusal
same_container(struct guard_ctx *g, int pidfd, int *err_ret)
{
	struct cg_docker_container now;
	json_object *obj = NULL;
	char cgroup[4096], err[512];
	enum cg_warp_refusal r;
	bool found;
	int ret;

	*err_ret = 0;
	if (read_cgroup(g->t->c.pid, cgroup, sizeof(cgroup)) && pidfd_alive(pidfd) &&
	    cg_warp_cgroup_has(cgroup, g->t->id))
		return CG_WARP_SAFE;
	memset(&now, 0, sizeof(now));
	ret = cg_docker_inspect(g->st->d, g->t->id, &obj, err, sizeof(err));
	if (ret == 0) {
		ret = cg_docker_container_from_json(obj, &now, err, sizeof(err));
		json_object_put(obj);
	}
	if (ret < 0 && ret != -ENOENT) {
		cw_log_ctr(CG_LOG_ERR, g->t->id, g->t->name, "inspect (checking the pid): %s", err);
		cw_metric_error(CW_ERR_INSPECT);
		*err_ret = -EAGAIN;
		return CG_WARP_SAFE;
	}
	found = ret == 0;
	/* Only after Docker confirmed the pid: then a live pinned process is it. */
	r = cg_warp_check_same_run(&g->t->c, found ? &now : NULL, pidfd_alive(pidfd), g->why,
				   sizeof(g->why));
	if (r == CG_WARP_SAFE && found)
		r = cg_warp_check_network_mode(&now, "target", g->why, sizeof(g->why));
	cg_docker_container_clear(&now);
	return r;
}

/*
 * The target's netns is open and its process pinned: is the namespace the
 * target's alone? Not the host's nor ours, the pid still the container's
 * (checked after pinning, so a pid reused before the pin is caught), and no
 * other running container joined it.
 */
static int
target_guard(void *arg, int pidfd, const struct cg_warp_nsid *ns)
{
	struct guard_ctx *g = arg;
	struct cg_warp_nsid host, self;
	int ret = 0;

	nsid_of("/proc/1/ns/net", &host);
	nsid_of("/proc/self/ns/net", &self);
	g->refused = cg_warp_check_netns(ns, &host, &self, g->why, sizeof(g->why));
	if (g->refused == CG_WARP_SAFE)
		g->refused = same_container(g, pidfd, &ret);
	if (g->refused == CG_WARP_SAFE && ret < 0)
		return ret;
	if (g->refused == CG_WARP_SAFE && g->st->joiners_lost) {
		cw_log_ctr(CG_LOG_ERR, g->t->id, g->t->name, "not changing routes: who shares "
			   "network namespaces is not known (out of memory); retrying");
		return -ENOMEM;
	}
	if (g->refused == CG_WARP_SAFE)
		g->refused = cg_warp_check_sharers(g->st->joiners, g->st->n_joiners, &g->t->c,
						   g->why, sizeof(g->why));
	return g->refused != CG_WARP_SAFE ? -EPERM : 0;
}

/* Whether @p ip (of @p family, network order) is an address of container @p c. */
static bool
ctr_has_addr(const struct cg_docker_container *c, int family, const uint8_t *ip)
{
	uint8_t a[16];

	for (size_t i = 0; i < c->n_nets; i++) {
		const char *s = family == AF_INET ? c->nets[i].ipv4 : c->nets[i].ipv6;

		if (s[0] != '\0' && inet_pton(family, s, a) == 1 &&
		    memcmp(a, ip, family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

/* Whether a route we installed leads to an address that warp @p w no longer has. */
static bool
routes_lead_elsewhere(const struct cg_warp_record *rec, const struct cg_docker_container *w)
{
	for (size_t i = 0; i < rec->n; i++) {
		const struct cg_nl_route *r = &rec->routes[i];

		if (r->type == CG_NL_ROUTE_UNICAST && !ctr_has_addr(w, r->family, r->gw))
			return true;
	}
	return false;
}

/* What on_warp_down does to a target that has no next hop. */
static const char *
fail_closed_words(const struct cg_warp_config *cfg)
{
	return cfg->on_down == CG_WARP_DOWN_KEEP ?
	       "keeping routes as they are (on_warp_down=keep)" :
	       "failing closed with unreachable routes (on_warp_down=blackhole)";
}

/* Converge one target's routes. */
static void
converge_target(struct cw_state *st, struct cw_ctr *t, int64_t event_ns)
{
	const struct cg_warp_config *cfg = &st->cfg;
	struct cg_warp_nexthop nh, *nhp = NULL;
	static struct cg_warp_plan plan; /* large; main thread only */
	struct guard_ctx g = { .st = st, .t = t };
	struct cw_ctr *w;
	char err[512], msg[1600], down[1800] = "";
	bool nexthop_err = false;	/* down[] is an error of the warp's next hop */
	int ret;

	if (!t->c.running || t->c.pid <= 0)
		return;
	/* Before anything else, even failing closed: a host-network or joined
	 * target has no namespace of its own to change. */
	g.refused = cg_warp_check_network_mode(&t->c, "target", g.why, sizeof(g.why));
	if (g.refused != CG_WARP_SAFE) {
		refuse_target(t, g.refused, g.why);
		return;
	}
	/* A restarted container has a new netns: what we installed died with the old one. */
	if (t->rec_pid != t->c.pid) {
		memset(&t->rec, 0, sizeof(t->rec));
		memset(&t->prior, 0, sizeof(t->prior));
		t->rec_pid = t->c.pid;
		t->adopted = false;
	}
	if (t->warp_bad[0] != '\0') {
		/* Labels never change on a container: once, and no retry. */
		if (strcmp(t->last_problem, t->warp_bad) != 0)
			cw_metric_error(CW_ERR_CLASSIFY);
		problem(t, CG_LOG_ERR, t->warp_bad);
		t->retry = false;
		return;
	}
	switch (warp_state(st, t->warp, &w)) {
	case W_ALIAS:
		snprintf(msg, sizeof(msg), "label %s=%s finds a container by its id or another "
			 "alias, not by its name: name the warp by its container name; target "
			 "left untouched", cfg->target_label, t->warp);
		if (strcmp(t->last_problem, msg) != 0)
			cw_metric_error(CW_ERR_CLASSIFY);
		problem(t, CG_LOG_ERR, msg);
		t->retry = false;
		return;
	case W_MISSING:
		snprintf(msg, sizeof(msg), "warp %s does not exist: target left untouched until "
			 "it starts", t->warp);
		problem(t, CG_LOG_WARN, msg);
		t->retry = false;	/* its start event brings us back */
		return;
	case W_NOT_WARP:
		snprintf(msg, sizeof(msg), "label %s names %s, whose name does not match the "
			 "warp pattern \"%s\": target left untouched", cfg->target_label, t->warp,
			 cfg->pattern);
		if (strcmp(t->last_problem, msg) != 0)
			cw_metric_error(CW_ERR_CLASSIFY);
		problem(t, CG_LOG_ERR, msg);
		t->retry = false;	/* a name does not change: events bring us back */
		return;
	case W_UNKNOWN:
		t->retry = true;
		return;
	case W_DOWN:
		/* Said once the target is known to be safe to change (below): a
		 * refusal and this, alternating, would each be logged every retry. */
		snprintf(down, sizeof(down), "warp %s is not running: %s", t->warp,
			 fail_closed_words(cfg));
		break;
	case W_UP:
		/* Its address is only its own with a namespace of its own. */
		if (cg_warp_check_network_mode(&w->c, "warp", err, sizeof(err)) !=
		    CG_WARP_SAFE) {
			snprintf(msg, sizeof(msg), "warp %s is not used as a next hop: %s", t->warp,
				 err);
		} else if (cg_warp_nexthop_choose(cfg, &w->c, &t->c, &nh, err, sizeof(err)) < 0) {
			snprintf(msg, sizeof(msg), "%s", err);
		} else {
			nhp = &nh;
			t->nh_closed = false;
			break;
		}
		/*
		 * No next hop. Where our routes lead to an address that is no
		 * longer the warp's (it left the network), another container may
		 * take it: fail closed as for a warp that stopped. Otherwise
		 * (never routed, or the warp still has that address) the target
		 * stays as it is.
		 */
		nexthop_err = true;
		if (!t->nh_closed && !routes_lead_elsewhere(&t->rec, &w->c)) {
			snprintf(down, sizeof(down), "%s; target left untouched", msg);
			if (strcmp(t->last_problem, down) != 0)
				cw_metric_error(CW_ERR_NEXTHOP);
			problem(t, CG_LOG_ERR, down);
			return;
		}
		/* Until the warp has a next hop again (its routes are unreachable
		 * now, so they no longer show it). */
		t->nh_closed = true;
		snprintf(down, sizeof(down), "%s; the target's routes lead to an address the warp "
			 "no longer has: %s", msg, fail_closed_words(cfg));
		break;
	}
	g.refused = CG_WARP_SAFE;
	ret = cw_routes_converge(cfg, t->id, t->name, t->c.pid, nhp, &t->rec, !t->adopted,
				 &t->prior, &plan, event_ns, target_guard, &g);
	if (g.refused != CG_WARP_SAFE) {
		refuse_target(t, g.refused, g.why);
		/* A restart, or a sharer that leaves, may make it safe: ask again. */
		t->retry = g.refused == CG_WARP_REFUSE_PID_CHANGED ||
			   g.refused == CG_WARP_REFUSE_SHARED_NETNS;
		return;
	}
	t->refused = CG_WARP_SAFE;
	if (down[0] != '\0') {
		if (nexthop_err && strcmp(t->last_problem, down) != 0)
			cw_metric_error(CW_ERR_NEXTHOP);
		problem(t, nexthop_err ? CG_LOG_ERR : CG_LOG_WARN, down);
	}
	if (ret == 0)
		t->adopted = true;
	t->retry = ret < 0;
	for (size_t i = 0; i < plan.n_notes; i++) {
		const struct cg_warp_rule *r = &cfg->rules[plan.notes[i].rule];

		snprintf(msg, sizeof(msg), "warp %s has no %s address on network %s: %s %s",
			 t->warp, r->dst.family == AF_INET ? "IPv4" : "IPv6", nh.network,
			 cfg->on_down == CG_WARP_DOWN_KEEP ? "leaving" : "failing closed for",
			 r->cidr);
		problem(t, CG_LOG_WARN, msg);
	}
	if (nhp != NULL && plan.n_notes == 0)
		t->last_problem[0] = '\0';
	if (ret == 0 && plan.n_ops == 0)
		cw_log_ctr(CG_LOG_DEBUG, t->id, t->name, "routes up to date (warp %s%s%s)",
			   t->warp, nhp ? " via network " : nexthop_err ? " without a next hop" :
			   " down", nhp ? nh.network : "");
}

static void
converge_targets_of(struct cw_state *st, const char *warp, int64_t event_ns)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i]->role == CG_WARP_ROLE_TARGET && strcmp(st->v[i]->warp, warp) == 0)
			converge_target(st, st->v[i], event_ns);
}

static size_t
count_targets_of(struct cw_state *st, const char *warp)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n; i++)
		if (st->v[i]->role == CG_WARP_ROLE_TARGET && strcmp(st->v[i]->warp, warp) == 0)
			n++;
	return n;
}

/*
 * @p t stops being a target (a reload changed the label or the pattern, or it
 * was renamed to a warp's name) while it runs: remove the routes we installed
 * in its netns, so that none leads to an address that another container may
 * take once its warp is gone. A default route we replaced is not given back:
 * A default route we replaced gets Docker's back when we saw it before
 * replacing it (this run, this netns); else the target is left without one
 * (Docker gives it back when the container restarts). @p now is its fresh
 * inspect.
 */
static void
release_target(struct cw_state *st, struct cw_ctr *t, const struct cg_docker_container *now)
{
	static struct cg_warp_config none; /* large; main thread only */
	static struct cg_warp_plan plan;
	struct guard_ctx g = { .st = st, .t = t };
	struct cg_docker_container old = t->c;
	int ret;

	if (!now->running || now->pid <= 0)
		return;
	if (cg_warp_check_network_mode(now, "target", g.why, sizeof(g.why)) != CG_WARP_SAFE)
		return; /* never routed: nothing of ours there */
	bool restore[2] = { false, false };

	if (t->rec_pid != now->pid) {
		memset(&t->rec, 0, sizeof(t->rec));
		memset(&t->prior, 0, sizeof(t->prior));
		t->adopted = false;
	}
	if (t->adopted && t->rec.n == 0)
		return;
	/* No rule wanted: the plan removes every route of the record (adopted
	 * first: then only routes with our own protocol count). */
	none = st->cfg;
	none.n_rules = 0;
	t->c = *now; /* the guard checks the pid of this run */
	ret = cw_routes_converge(&none, t->id, t->name, now->pid, NULL, &t->rec, !t->adopted,
				 &t->prior, &plan, 0, target_guard, &g);
	/* Default routes of ours that are gone now: Docker's back where we know it. */
	for (size_t i = 0; g.refused == CG_WARP_SAFE && i < plan.n_ops; i++) {
		const struct cg_nl_route *r = &plan.ops[i].route;
		bool still = false;

		if (plan.ops[i].action != CG_WARP_ACT_REMOVE || r->dst_len != 0)
			continue;
		for (size_t j = 0; j < t->rec.n; j++)
			still |= cg_warp_route_same_dst(&t->rec.routes[j], r);
		if (!still)
			restore[r->family == AF_INET6] = true;
	}
	if (restore[0] || restore[1]) {
		int r2 = cw_routes_restore(t->id, t->name, now->pid, &t->prior, restore,
					   target_guard, &g);

		if (ret == 0)
			ret = r2;
	}
	t->c = old;
	if (ret < 0 || g.refused != CG_WARP_SAFE)
		cw_log_ctr(CG_LOG_ERR, t->id, t->name, "no longer a target, but its routes could "
			   "not all be removed%s%s", g.refused != CG_WARP_SAFE ? ": " : "",
			   g.refused != CG_WARP_SAFE ? g.why : "");
}

/*
 * Inspect @p id and update the table. @p hint is the container's name as an
 * event or the list gave it (NULL if none), for a log line when the inspect
 * fails. @p warp_changed receives the name of a
 * warp whose targets need converging ("" if none). Returns the entry when it
 * is a running target (to converge), else NULL.
 */
static struct cw_ctr *
ingest(struct cw_state *st, const char *id, const char *hint, char *warp_changed, size_t wlen)
{
	struct cg_docker_container c;
	struct cw_ctr *e = find(st, id);
	json_object *obj = NULL;
	const char *warp_name;
	char err[512], note[512];
	enum cg_warp_role role;
	int ret;

	warp_changed[0] = '\0';
	memset(&c, 0, sizeof(c));
	if (st->d == NULL)
		return NULL;
	ret = cg_docker_inspect(st->d, id, &obj, err, sizeof(err));
	if (ret == 0) {
		ret = cg_docker_container_from_json(obj, &c, err, sizeof(err));
		json_object_put(obj);
	}
	if (ret < 0 && ret != -ENOENT) {
		if (ret != -ECANCELED) { /* cancelled: a stop is pending, not an error */
			cw_log_ctr(CG_LOG_ERR, id, e != NULL ? e->name : hint, "inspect: %s",
				   err);
			cw_metric_error(CW_ERR_INSPECT);
		}
		/* Keep what we know (a reconcile must not take a transient error
		 * for a container that went away) and try again later. */
		if (e != NULL) {
			e->retry = true;
			e->seen = true;
		} else {
			st->need_reconcile = true;
		}
		return NULL;
	}
	{
		struct cg_warp_joiner j;

		if (ret == 0 && cg_warp_joiner_from_container(&c, &j))
			joiner_add(st, &j);
		else
			joiner_del(st, id);
	}
	if (ret == -ENOENT || !c.running) {
		cg_docker_container_clear(&c);
		if (e == NULL)
			return NULL;
		if (e->role == CG_WARP_ROLE_WARP) {
			size_t n = count_targets_of(st, e->name);

			cw_log_ctr(CG_LOG_WARN, e->id, e->name, "warp is down: %zu target(s) %s", n,
				   st->cfg.on_down == CG_WARP_DOWN_KEEP ? "keep their routes" :
				   "fail closed");
			snprintf(warp_changed, wlen, "%s", e->name);
			down_set(st, e->name, true);
		} else {
			cw_log_ctr(CG_LOG_INFO, e->id, e->name, "target %s: forgetting it",
				   ret == -ENOENT ? "removed" : "stopped");
		}
		forget(st, e);
		return NULL;
	}
	role = cg_warp_classify(&st->cfg, &c, &warp_name, note, sizeof(note));
	if (note[0] != '\0') {
		if (e == NULL || strcmp(e->last_problem, note) != 0) {
			cw_log_ctr(CG_LOG_WARN, c.id, c.name, "%s", note);
			cw_metric_error(CW_ERR_CLASSIFY);
		}
	}
	if (e != NULL && e->role == CG_WARP_ROLE_TARGET && role != CG_WARP_ROLE_TARGET)
		release_target(st, e, &c);
	if (role == CG_WARP_ROLE_NONE) {
		if (e != NULL) {
			if (e->role == CG_WARP_ROLE_WARP) {
				snprintf(warp_changed, wlen, "%s", e->name);
				down_set(st, e->name, true);
			}
			cw_log_ctr(CG_LOG_INFO, e->id, e->name, "no longer a %s: forgetting it%s",
				   cg_warp_role_name(e->role), e->role == CG_WARP_ROLE_TARGET ?
				   " (the routes it had from castgate-warp are removed)" : "");
			forget(st, e);
		} else {
			cw_log_ctr(CG_LOG_DEBUG, c.id, c.name, "neither warp nor target: ignored");
		}
		cg_docker_container_clear(&c);
		return NULL;
	}
	if (e == NULL) {
		e = add(st, c.id);
		if (e == NULL) {
			CG_ERR("out of memory tracking container %.12s", c.id);
			cg_docker_container_clear(&c);
			return NULL;
		}
		cw_log_ctr(CG_LOG_INFO, c.id, c.name, "%s%s%s (pid %d)",
			   role == CG_WARP_ROLE_WARP ? "warp" : "target of warp ",
			   role == CG_WARP_ROLE_WARP ? "" : warp_name,
			   role == CG_WARP_ROLE_WARP ? " is up" : "", c.pid);
	} else if (e->role == CG_WARP_ROLE_WARP && (role != CG_WARP_ROLE_WARP ||
						    strcmp(e->name, c.name) != 0)) {
		/* Its old name's targets must learn it is gone. */
		snprintf(warp_changed, wlen, "%s", e->name);
	}
	if (note[0] != '\0')
		snprintf(e->last_problem, sizeof(e->last_problem), "%s", note);
	e->role = role;
	snprintf(e->name, sizeof(e->name), "%s", c.name);
	e->warp[0] = e->warp_bad[0] = '\0';
	if (role == CG_WARP_ROLE_TARGET) {
		char why[160];

		/* Never cut: a cut value could name another container. */
		if (warp_name[0] == '/')
			warp_name++;
		if (cg_warp_name_valid(warp_name, why, sizeof(why)))
			snprintf(e->warp, sizeof(e->warp), "%s", warp_name);
		else
			snprintf(e->warp_bad, sizeof(e->warp_bad), "label %s=\"%.64s%s\" cannot "
				 "name a warp container (%s): target left untouched; relabel "
				 "it (recreate the container) to route it",
				 st->cfg.target_label, warp_name, strlen(warp_name) > 64 ? "..." : "",
				 why);
	}
	cg_docker_container_clear(&e->c);
	e->c = c; /* takes the labels reference */
	e->seen = true;
	if (role == CG_WARP_ROLE_WARP) {
		down_set(st, e->name, false);
		if (warp_changed[0] != '\0') {
			down_set(st, warp_changed, true);
			converge_targets_of(st, warp_changed, 0);
		}
		snprintf(warp_changed, wlen, "%s", e->name);
		return NULL;
	}
	return e;
}

int
cw_state_reconcile(struct cw_state *st, const char *why)
{
	json_object *arr = NULL;
	char err[512], changed[256];
	size_t n, targets = 0, warps = 0;
	int ret;

	if (st->d == NULL) {
		st->need_reconcile = true;
		return -ENOTCONN;
	}
	ret = cg_docker_list_containers(st->d, &arr, err, sizeof(err));
	if (ret == -ECANCELED) { /* a stop is pending */
		st->need_reconcile = true;
		return ret;
	}
	if (ret < 0) {
		/* err starts with what failed ("list containers: ...") */
		CG_ERR("reconcile (%s): %s; will retry", why, err);
		cw_metric_error(CW_ERR_INSPECT);
		st->need_reconcile = true;
		return ret;
	}
	for (size_t i = 0; i < st->n; i++)
		st->v[i]->seen = false;
	n = json_object_array_length(arr);
	st->n_joiners = 0;
	st->joiners_lost = false;
	for (size_t i = 0; i < n; i++) {
		struct cg_warp_joiner j;

		if (cg_warp_joiner_from_list(json_object_array_get_idx(arr, i), &j))
			joiner_add(st, &j);
	}
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i), *idv, *names, *nm;
		const char *hint = NULL;

		if (!json_object_object_get_ex(o, "Id", &idv) ||
		    !json_object_is_type(idv, json_type_string))
			continue;
		if (cw_stop_pending(NULL))
			break;
		/* Names: ["/name"] */
		if (json_object_object_get_ex(o, "Names", &names) &&
		    json_object_is_type(names, json_type_array) &&
		    (nm = json_object_array_get_idx(names, 0)) != NULL &&
		    json_object_is_type(nm, json_type_string)) {
			hint = json_object_get_string(nm);
			hint += hint[0] == '/';
		}
		(void)ingest(st, json_object_get_string(idv), hint, changed, sizeof(changed));
	}
	json_object_put(arr);
	if (cw_stop_pending(NULL)) { /* stopping: unseen is not gone */
		st->need_reconcile = true;
		return -ECANCELED;
	}
	/* Those that did not show up are gone (died while we were disconnected). */
	for (size_t i = 0; i < st->n;) {
		struct cw_ctr *e = st->v[i];

		if (e->seen) {
			i++;
			continue;
		}
		cw_log_ctr(CG_LOG_INFO, e->id, e->name, "%s no longer running: forgetting it",
			   cg_warp_role_name(e->role));
		if (e->role == CG_WARP_ROLE_WARP)
			down_set(st, e->name, true);
		forget(st, e);
	}
	for (size_t i = 0; i < st->n; i++) {
		if (st->v[i]->role == CG_WARP_ROLE_TARGET) {
			converge_target(st, st->v[i], 0);
			targets++;
		} else {
			warps++;
		}
	}
	update_gauges(st);
	st->need_reconcile = false;
	CG_INFO("reconcile (%s): %zu running container(s), %zu warp(s), %zu target(s)", why, n,
		warps, targets);
	return 0;
}

void
cw_state_event(struct cw_state *st, const struct cg_docker_event *ev)
{
	char changed[256];
	struct cw_ctr *t;

	struct cw_ctr *known;

	if (ev->id[0] == '\0' || ev->type == CG_DOCKER_EV_OTHER)
		return;
	known = find(st, ev->id);
	cw_log_ctr(CG_LOG_DEBUG, ev->id, ev->name[0] ? ev->name : known ? known->name : NULL,
		   "event %s %s%s%s", ev->type == CG_DOCKER_EV_NETWORK ? "network" : "container",
		   ev->action, ev->network[0] ? " network=" : "", ev->network);
	/* Network events of containers that are neither warp nor target cannot
	 * make them one (names and labels do not change), and inspecting a
	 * container that is still starting blocks until its start completes:
	 * its start event follows and is handled then. */
	if (ev->type == CG_DOCKER_EV_NETWORK && known == NULL)
		return;
	t = ingest(st, ev->id, ev->name[0] != '\0' ? ev->name : NULL, changed, sizeof(changed));
	if (changed[0] != '\0')
		converge_targets_of(st, changed, ev->time_nano);
	/* A (dis)connect adds or removes an interface of the target, and the
	 * kernel drops the routes via a removed one: read the routes from its
	 * netns again (adopt) instead of trusting the record. */
	if (t != NULL && ev->type == CG_DOCKER_EV_NETWORK) {
		memset(&t->rec, 0, sizeof(t->rec));
		t->adopted = false;
	}
	if (t != NULL)
		converge_target(st, t, ev->time_nano);
	update_gauges(st);
}

void
cw_state_retry(struct cw_state *st)
{
	char (*ids)[65];
	size_t n = 0;

	if (st->need_reconcile) {
		cw_state_reconcile(st, "retry");
		return;
	}
	/* Collect first: ingest() may forget entries and reorder the table. */
	ids = calloc(st->n + 1, sizeof(*ids));
	if (ids == NULL)
		return;
	for (size_t i = 0; i < st->n; i++) {
		if (st->v[i]->retry && st->v[i]->role == CG_WARP_ROLE_TARGET)
			snprintf(ids[n++], sizeof(ids[0]), "%s", st->v[i]->id);
		st->v[i]->retry = false;
	}
	for (size_t i = 0; i < n && !cw_stop_pending(NULL); i++) {
		char changed[256];
		/* Re-inspect: the pid or the networks may have changed meanwhile. */
		struct cw_ctr *t = ingest(st, ids[i], NULL, changed, sizeof(changed));

		if (t != NULL)
			converge_target(st, t, 0);
	}
	free(ids);
	update_gauges(st);
}

void
cw_state_log_shutdown(struct cw_state *st)
{
	size_t t = 0;

	for (size_t i = 0; i < st->n; i++)
		if (st->v[i]->role == CG_WARP_ROLE_TARGET)
			t++;
	CG_INFO("stopping: routes of %zu target(s) stay in place (unreachable routes keep "
		"targets of down warps fail-closed)", t);
}
