/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event stream: control_event_emit() turns a state change into one
 * JSON-RPC notification ("method": "event") for every subscriber of its
 * class (events.subscribe), through lib/rpc's bounded, never-blocking push.
 * Producers: control_silence.c (silence.*), control_link.c (link.*, port.*,
 * rule.*), events.subscribe itself (dataplane.restarted, to one subscriber)
 * and the test hook. Shapes: docs/API.md, "Events".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cg_log.h"
#include "cg_rpc.h"
#include "control.h"

static const struct {
	const char *name;
	uint32_t bit;
} classes[] = {
	{ "link", CONTROL_EV_LINK },
	{ "port", CONTROL_EV_PORT },
	{ "rule", CONTROL_EV_RULE },
	{ "silence", CONTROL_EV_SILENCE },
	{ "dataplane", CONTROL_EV_DATAPLANE },
	{ "test", CONTROL_EV_TEST },
};

uint32_t
control_event_class(const char *name, size_t len)
{
	for (size_t i = 0; i < RTE_DIM(classes); i++)
		if (strlen(classes[i].name) == len && strncmp(classes[i].name, name, len) == 0)
			return classes[i].bit;
	return 0;
}

const char *
control_event_class_name(uint32_t bit)
{
	for (size_t i = 0; i < RTE_DIM(classes); i++)
		if (classes[i].bit == bit)
			return classes[i].name;
	return NULL;
}

/* The class of "<class>.<what>", or 0. */
static uint32_t
class_of(const char *type)
{
	const char *dot = strchr(type, '.');

	if (dot == NULL || dot == type || dot[1] == '\0')
		return 0;
	return control_event_class(type, (size_t)(dot - type));
}

json_object *
control_event_params(struct control *c, const char *type, json_object *fields)
{
	json_object *p = json_object_new_object();

	if (p == NULL)
		return NULL;
	/* The common members first, so that a line reads "type, seq, time, ...". */
	control_jadd(p, "type", json_object_new_string(type));
	control_jadd(p, "seq", json_object_new_uint64(++c->event_seq));
	control_jadd(p, "time_unix_ms", json_object_new_uint64(control_now_ms()));
	/* object_add, not control_jadd: a null member (no last packet) is data. */
	if (fields != NULL) {
		json_object_object_foreach(fields, k, v)
			json_object_object_add(p, k, json_object_get(v));
	}
	return p;
}

void
control_event_emit(struct control *c, const char *type, json_object *fields)
{
	uint32_t bit = class_of(type);
	unsigned int n = 0;
	json_object *p;

	if (bit == 0) {
		CG_ERR("event \"%s\": no such event class (a bug): not sent", type);
		json_object_put(fields);
		return;
	}
	if (fields != NULL && !json_object_is_type(fields, json_type_object)) {
		CG_ERR("event %s: fields are not an object (a bug): not sent", type);
		json_object_put(fields);
		return;
	}
	p = control_event_params(c, type, fields);
	json_object_put(fields);
	if (p == NULL) {
		CG_WARN("event %s: out of memory: not sent", type);
		return;
	}
	if (c->srv != NULL)
		n = cg_rpc_server_notify(c->srv, bit, "event", p);
	if (c->event_tap != NULL)
		c->event_tap(p, c->event_tap_arg);
	CG_DEBUG("event %s (seq %" PRIu64 "): %u subscriber(s)", type, c->event_seq, n);
	json_object_put(p);
}

json_object *
control_events_snapshot(struct control *c, uint32_t classes_mask)
{
	const struct cg_shm_info *info = c->shm.info;
	json_object *res = json_object_new_object(), *types = json_object_new_array();
	json_object *dp = json_object_new_object(), *cp = json_object_new_object();
	json_object *ports = json_object_new_array();

	if (res == NULL || types == NULL || dp == NULL || cp == NULL || ports == NULL) {
		json_object_put(res);
		json_object_put(types);
		json_object_put(dp);
		json_object_put(cp);
		json_object_put(ports);
		return NULL;
	}
	for (size_t i = 0; i < RTE_DIM(classes); i++)
		if (classes_mask & classes[i].bit)
			json_object_array_add(types, json_object_new_string(classes[i].name));
	control_jadd(res, "subscribed", json_object_new_boolean(1));
	control_jadd(res, "types", types);
	control_jadd(res, "seq", json_object_new_uint64(c->event_seq));
	control_jadd(dp, "pid", json_object_new_int(info->pid));
	control_jadd(dp, "start_unix_ms", json_object_new_uint64(info->start_unix_ms));
	control_jadd(dp, "restarts", json_object_new_int64(c->restarts_dataplane));
	control_jadd(res, "dataplane", dp);
	control_jadd(cp, "pid", json_object_new_int(getpid()));
	control_jadd(cp, "start_unix_ms", json_object_new_uint64(c->start_unix_ms));
	control_jadd(cp, "restarts", json_object_new_int64(c->restarts_control));
	control_jadd(res, "control", cp);
	for (unsigned int p = 0; p < info->nb_ports; p++) {
		json_object *j = json_object_new_object(), *l = json_object_new_object();

		if (j == NULL || l == NULL) {
			json_object_put(j);
			json_object_put(l);
			continue;
		}
		control_jadd(j, "name", json_object_new_string(info->ports[p].name));
		control_link_json(c, p, l);
		control_jadd(j, "link", l);
		if (json_object_array_add(ports, j) < 0)
			json_object_put(j);
	}
	control_jadd(res, "ports", ports);
	control_jadd(res, "silence_alarms", control_silence_alarms_json(c));
	return res;
}
