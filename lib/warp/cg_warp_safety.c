/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Whether a container's network namespace is its own. A label is only a
 * request from whoever started the container; the namespace it points at must
 * be checked before a route is set there, or a labelled host-network
 * container would have castgate-warp rewrite the host's own default route.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cg_util.h"
#include "cg_warp.h"

#define MODE_CONTAINER "container:"

static const char *const refusal_names[CG_WARP_REFUSE_COUNT] = {
	[CG_WARP_SAFE] = "",
	[CG_WARP_REFUSE_HOST_NETWORK] = "host_network",
	[CG_WARP_REFUSE_CONTAINER_NETWORK] = "container_network",
	[CG_WARP_REFUSE_HOST_NETNS] = "host_netns",
	[CG_WARP_REFUSE_OWN_NETNS] = "own_netns",
	[CG_WARP_REFUSE_SHARED_NETNS] = "shared_netns",
	[CG_WARP_REFUSE_PID_CHANGED] = "pid_changed",
};

const char *
cg_warp_refusal_name(enum cg_warp_refusal r)
{
	return (unsigned int)r < CG_WARP_REFUSE_COUNT ? refusal_names[r] : "?";
}

static enum cg_warp_refusal __attribute__((format(printf, 4, 5)))
refuse(enum cg_warp_refusal r, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cg_util_verr(why, whylen, 0, fmt, ap);
	va_end(ap);
	return r;
}

enum cg_warp_refusal
cg_warp_check_network_mode(const struct cg_docker_container *c, const char *role, char *why,
			   size_t whylen)
{
	const char *m = c->network_mode;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (strcmp(m, "host") == 0)
		return refuse(CG_WARP_REFUSE_HOST_NETWORK, why, whylen,
			      "%s runs in the host's network namespace (network mode %s)", role,
			      m);
	if (strncmp(m, MODE_CONTAINER, strlen(MODE_CONTAINER)) == 0)
		return refuse(CG_WARP_REFUSE_CONTAINER_NETWORK, why, whylen,
			      "%s runs in another container's network namespace (network "
			      "mode %.80s)", role, m);
	return CG_WARP_SAFE;
}

static bool
nsid_set(const struct cg_warp_nsid *n)
{
	return n != NULL && (n->dev != 0 || n->ino != 0);
}

static bool
nsid_eq(const struct cg_warp_nsid *a, const struct cg_warp_nsid *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

enum cg_warp_refusal
cg_warp_check_netns(const struct cg_warp_nsid *ns, const struct cg_warp_nsid *host,
		    const struct cg_warp_nsid *self, char *why, size_t whylen)
{
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (nsid_set(host) && nsid_eq(ns, host))
		return refuse(CG_WARP_REFUSE_HOST_NETNS, why, whylen,
			      "its network namespace is the host's (that of pid 1)");
	if (nsid_set(self) && nsid_eq(ns, self))
		return refuse(CG_WARP_REFUSE_OWN_NETNS, why, whylen,
			      "its network namespace is castgate-warp's own");
	return CG_WARP_SAFE;
}

enum cg_warp_refusal
cg_warp_check_same_run(const struct cg_docker_container *before,
		       const struct cg_docker_container *now, bool pinned_alive, char *why,
		       size_t whylen)
{
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (now == NULL || !now->running)
		return refuse(CG_WARP_REFUSE_PID_CHANGED, why, whylen,
			      "pid %d no longer belongs to the container: it %s", before->pid,
			      now == NULL ? "was removed" : "stopped");
	if (now->pid != before->pid || strcmp(now->started_at, before->started_at) != 0 ||
	    strcmp(now->id, before->id) != 0)
		return refuse(CG_WARP_REFUSE_PID_CHANGED, why, whylen,
			      "pid %d no longer belongs to the container: it restarted "
			      "meanwhile (now pid %d)", before->pid, now->pid);
	if (!pinned_alive)
		return refuse(CG_WARP_REFUSE_PID_CHANGED, why, whylen,
			      "pid %d exited while its namespace was being opened", before->pid);
	return CG_WARP_SAFE;
}

/* Does "container:X" name @p c (full id, an id prefix, or its name)? */
static bool
mode_names(const char *mode, const struct cg_docker_container *c)
{
	const char *x;
	size_t n;

	if (strncmp(mode, MODE_CONTAINER, strlen(MODE_CONTAINER)) != 0)
		return false;
	x = mode + strlen(MODE_CONTAINER);
	n = strlen(x);
	if (n == 0)
		return false;
	if (strcmp(x, c->name) == 0 || (x[0] == '/' && strcmp(x + 1, c->name) == 0))
		return true;
	return n <= strlen(c->id) && strncmp(x, c->id, n) == 0;
}

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
joiner_set(struct cg_warp_joiner *j, const char *id, const char *name, const char *mode)
{
	if (strncmp(mode, MODE_CONTAINER, strlen(MODE_CONTAINER)) != 0)
		return false;
	snprintf(j->id, sizeof(j->id), "%s", id);
	snprintf(j->name, sizeof(j->name), "%s", name != NULL ? name : "");
	snprintf(j->mode, sizeof(j->mode), "%s", mode);
	return true;
}

bool
cg_warp_joiner_from_list(json_object *o, struct cg_warp_joiner *j)
{
	const char *id = str_of(o, "Id"), *state = str_of(o, "State"), *mode, *name = NULL;
	json_object *hc, *names, *nm;

	/* The list holds running containers only; older APIs have no State. */
	if (id == NULL || (state != NULL && strcmp(state, "running") != 0) ||
	    !json_object_object_get_ex(o, "HostConfig", &hc) ||
	    (mode = str_of(hc, "NetworkMode")) == NULL)
		return false;
	if (json_object_object_get_ex(o, "Names", &names) &&
	    json_object_is_type(names, json_type_array) && json_object_array_length(names) > 0 &&
	    (nm = json_object_array_get_idx(names, 0)) != NULL &&
	    json_object_is_type(nm, json_type_string))
		name = json_object_get_string(nm);
	if (name != NULL && name[0] == '/')
		name++;
	return joiner_set(j, id, name, mode);
}

bool
cg_warp_joiner_from_container(const struct cg_docker_container *c, struct cg_warp_joiner *j)
{
	return c->running && joiner_set(j, c->id, c->name, c->network_mode);
}

enum cg_warp_refusal
cg_warp_check_sharers(const struct cg_warp_joiner *joiners, size_t n,
		      const struct cg_docker_container *c, char *why, size_t whylen)
{
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (strcmp(joiners[i].id, c->id) == 0 || !mode_names(joiners[i].mode, c))
			continue;
		return refuse(CG_WARP_REFUSE_SHARED_NETNS, why, whylen,
			      "container %.80s (%.12s) shares its network namespace",
			      joiners[i].name[0] ? joiners[i].name : "?", joiners[i].id);
	}
	return CG_WARP_SAFE;
}

/* Is @p id a whole word of @p s at @p at: after '/' or "docker-", before '/',
 * ".scope", '\n' or the end? */
static bool
cgroup_word(const char *s, const char *at, size_t len)
{
	const char *end = at + len;
	bool before = (at > s && at[-1] == '/') ||
		      (at - s >= 7 && strncmp(at - 7, "docker-", 7) == 0);

	return before && (*end == '\0' || *end == '\n' || *end == '/' ||
			  strncmp(end, ".scope", 6) == 0);
}

bool
cg_warp_cgroup_has(const char *cgroup, const char *id)
{
	size_t len = strlen(id);

	/* Only a full id: a prefix could be another container's. */
	if (len != 64 || cgroup == NULL)
		return false;
	for (const char *p = strstr(cgroup, id); p != NULL; p = strstr(p + 1, id))
		if (cgroup_word(cgroup, p, len))
			return true;
	return false;
}
