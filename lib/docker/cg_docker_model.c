/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Docker JSON model: containers from /containers/{id}/json and events
 * from /events. Every field is type-checked; a document of the wrong shape is
 * an error naming the field, never a crash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_log.h"
#include "cg_docker.h"
#include "cg_util.h"

/* Member @p key of @p o if it has type @p t. Returns 1 found, 0 absent or null, -1 wrong type. */
static int
get_typed(json_object *o, const char *key, json_type t, json_object **v)
{
	*v = NULL;
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, v) || *v == NULL)
		return 0;
	if (!json_object_is_type(*v, t)) {
		/* Docker sends some integers as doubles in old versions; accept whole ones. */
		if (t == json_type_int && json_object_is_type(*v, json_type_double))
			return 1;
		return -1;
	}
	return 1;
}

/* Copy a string member into @p dst; absent = "". -1 when wrong type or too long. */
static int
get_str(json_object *o, const char *key, char *dst, size_t size)
{
	json_object *v;
	int rc = get_typed(o, key, json_type_string, &v);

	dst[0] = '\0';
	if (rc <= 0)
		return rc;
	if ((size_t)json_object_get_string_len(v) >= size)
		return -1;
	memcpy(dst, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	return 1;
}

static int
get_uint(json_object *o, const char *key, unsigned int max, unsigned int *out)
{
	json_object *v;
	int rc = get_typed(o, key, json_type_int, &v);
	int64_t x;

	*out = 0;
	if (rc <= 0)
		return rc;
	x = json_object_get_int64(v);
	if (x < 0 || x > (int64_t)max)
		return -1;
	*out = (unsigned int)x;
	return 1;
}

static int
net_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cg_docker_net *)a)->name,
		      ((const struct cg_docker_net *)b)->name);
}

static int
parse_net(const char *cid, const char *name, json_object *v, struct cg_docker_net *n,
	  char *err, size_t errlen)
{
	unsigned char tmp[16];

	memset(n, 0, sizeof(*n));
	if (strlen(name) >= sizeof(n->name))
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: NetworkSettings.Networks: network name "
				   "\"%.40s...\" is too long", cid, name);
	strcpy(n->name, name);
	if (!json_object_is_type(v, json_type_object))
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: NetworkSettings.Networks.%s: not an object",
				   cid, name);
	if (get_str(v, "IPAddress", n->ipv4, sizeof(n->ipv4)) < 0 ||
	    (n->ipv4[0] && inet_pton(AF_INET, n->ipv4, tmp) != 1))
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: NetworkSettings.Networks.%s.IPAddress: "
				   "not an IPv4 address", cid, name);
	if (get_uint(v, "IPPrefixLen", 32, &n->ipv4_prefix) < 0)
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: NetworkSettings.Networks.%s.IPPrefixLen: "
				   "not an integer in 0..32", cid, name);
	if (get_str(v, "GlobalIPv6Address", n->ipv6, sizeof(n->ipv6)) < 0 ||
	    (n->ipv6[0] && inet_pton(AF_INET6, n->ipv6, tmp) != 1))
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: NetworkSettings.Networks.%s."
				   "GlobalIPv6Address: not an IPv6 address", cid, name);
	if (get_uint(v, "GlobalIPv6PrefixLen", 128, &n->ipv6_prefix) < 0)
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: NetworkSettings.Networks.%s."
				   "GlobalIPv6PrefixLen: not an integer in 0..128", cid, name);
	return 0;
}

static int
parse_container(json_object *o, struct cg_docker_container *c, char *err, size_t errlen)
{
	json_object *state, *config, *labels, *ns, *nets, *v;
	char name[sizeof(c->name) + 1];
	unsigned int pid;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return cg_util_err(err, errlen, -EINVAL, "container: not a JSON object");
	if (get_str(o, "Id", c->id, sizeof(c->id)) <= 0 || c->id[0] == '\0')
		return cg_util_err(err, errlen, -EINVAL,
				   "container: Id: missing, not a string or longer than 64");
	/* Docker's leading '/' does not count: a name of sizeof(c->name) - 1 characters fits. */
	if (get_str(o, "Name", name, sizeof(name)) < 0 ||
	    strlen(name + (name[0] == '/')) >= sizeof(c->name))
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: Name: not a string or longer than %zu", c->id,
				   sizeof(c->name) - 1);
	snprintf(c->name, sizeof(c->name), "%s", name + (name[0] == '/'));

	if (get_typed(o, "State", json_type_object, &state) < 0)
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: State: not an object", c->id);
	if (get_typed(state, "Running", json_type_boolean, &v) < 0)
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: State.Running: not a boolean", c->id);
	c->running = v != NULL && json_object_get_boolean(v);
	/* "restarting" (a restart policy's wait): Docker keeps Running true,
	 * but there is no process, no pid and no address until it starts. */
	if (get_typed(state, "Restarting", json_type_boolean, &v) < 0)
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: State.Restarting: not a boolean", c->id);
	if (v != NULL && json_object_get_boolean(v))
		c->running = false;
	if (get_uint(state, "Pid", 0x7fffffff, &pid) < 0)
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: State.Pid: not a non-negative integer",
				   c->id);
	c->pid = c->running ? (int)pid : 0;
	if (get_str(state, "StartedAt", c->started_at, sizeof(c->started_at)) < 0)
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: State.StartedAt: not a string or "
				   "longer than %zu", c->id, sizeof(c->started_at) - 1);
	if (get_typed(o, "HostConfig", json_type_object, &v) < 0 ||
	    get_str(v, "NetworkMode", c->network_mode, sizeof(c->network_mode)) < 0)
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: HostConfig.NetworkMode: not a string "
				   "or longer than %zu", c->id, sizeof(c->network_mode) - 1);

	if (get_typed(o, "Config", json_type_object, &config) < 0 ||
	    get_typed(config, "Labels", json_type_object, &labels) < 0)
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: Config.Labels: not an object", c->id);
	c->labels = labels ? json_object_get(labels) : NULL;

	if (get_typed(o, "NetworkSettings", json_type_object, &ns) < 0 ||
	    get_typed(ns, "Networks", json_type_object, &nets) < 0)
		return cg_util_err(err, errlen, -EINVAL,
				   "container %.12s: NetworkSettings.Networks: not an object",
				   c->id);
	if (nets != NULL) {
		json_object_object_foreach(nets, name, nv) {
			int rc;

			if (c->n_nets == CG_DOCKER_MAX_NETS) {
				CG_WARN("container %.12s (%s): more than %d networks, "
					"ignoring network %s", c->id, c->name,
					CG_DOCKER_MAX_NETS, name);
				continue;
			}
			rc = parse_net(c->id, name, nv, &c->nets[c->n_nets], err, errlen);
			if (rc < 0)
				return rc;
			c->n_nets++;
		}
		qsort(c->nets, c->n_nets, sizeof(c->nets[0]), net_cmp);
	}
	return 0;
}

int
cg_docker_container_from_json(json_object *inspect, struct cg_docker_container *c,
			      char *err, size_t errlen)
{
	int rc;

	if (c == NULL)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	rc = parse_container(inspect, c, err, errlen);
	if (rc < 0)
		cg_docker_container_clear(c);
	return rc;
}

const char *
cg_docker_container_label(const struct cg_docker_container *c, const char *key)
{
	json_object *v;

	if (c == NULL || key == NULL || c->labels == NULL ||
	    !json_object_object_get_ex(c->labels, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const struct cg_docker_net *
cg_docker_container_net(const struct cg_docker_container *c, const char *name)
{
	if (c == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < c->n_nets; i++)
		if (strcmp(c->nets[i].name, name) == 0)
			return &c->nets[i];
	return NULL;
}

void
cg_docker_container_clear(struct cg_docker_container *c)
{
	if (c == NULL)
		return;
	if (c->labels != NULL)
		json_object_put(c->labels);
	memset(c, 0, sizeof(*c));
}

/* Copy at most size-1 bytes: event actions like "exec_start: sh -c ..." may be long. */
static void
copy_trunc(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static const char *
str_member(json_object *o, const char *key)
{
	json_object *v;

	if (get_typed(o, key, json_type_string, &v) <= 0)
		return NULL;
	return json_object_get_string(v);
}

int
cg_docker_event_from_json(json_object *o, struct cg_docker_event *ev)
{
	json_object *actor, *attrs, *v;
	const char *type, *action, *id, *s;

	if (ev == NULL)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return -EINVAL;
	type = str_member(o, "Type");
	/* API < 1.22 had only "status" and "id"; keep accepting that shape. */
	action = str_member(o, "Action");
	if (action == NULL)
		action = str_member(o, "status");
	if (action == NULL || action[0] == '\0')
		return -EINVAL;
	if (get_typed(o, "Actor", json_type_object, &actor) < 0 ||
	    get_typed(actor, "Attributes", json_type_object, &attrs) < 0)
		return -EINVAL;
	if (type == NULL)
		type = "container";
	copy_trunc(ev->action, sizeof(ev->action), action);

	if (get_typed(o, "timeNano", json_type_int, &v) > 0) {
		ev->time_nano = json_object_get_int64(v);
	} else if (get_typed(o, "time", json_type_int, &v) > 0) {
		int64_t t = json_object_get_int64(v);

		/* Seconds past year 2262 overflow nanoseconds: no real event has them. */
		if (t > INT64_MAX / 1000000000LL || t < INT64_MIN / 1000000000LL)
			return -EINVAL;
		ev->time_nano = t * 1000000000LL;
	} else {
		return -EINVAL;
	}

	if (strcmp(type, "container") == 0) {
		ev->type = CG_DOCKER_EV_CONTAINER;
		id = str_member(actor, "ID");
		if (id == NULL)
			id = str_member(o, "id");
		s = str_member(attrs, "name");
		copy_trunc(ev->name, sizeof(ev->name), s);
	} else if (strcmp(type, "network") == 0) {
		ev->type = CG_DOCKER_EV_NETWORK;
		id = str_member(attrs, "container");
		s = str_member(attrs, "name");
		copy_trunc(ev->network, sizeof(ev->network), s);
		/* Only connect/disconnect name a container. */
		if (id == NULL && strcmp(action, "connect") != 0 &&
		    strcmp(action, "disconnect") != 0)
			id = "";
	} else {
		ev->type = CG_DOCKER_EV_OTHER;
		id = str_member(actor, "ID");
		if (id == NULL)
			id = "";
	}
	if (id == NULL || strlen(id) >= sizeof(ev->id))
		return -EINVAL;
	strcpy(ev->id, id);
	return 0;
}
