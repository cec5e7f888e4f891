/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small helpers shared by the modules: time, JSON, and the mapping of the
 * data plane's errors to JSON-RPC errors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <json-c/json.h>

#include "cg_rpc.h"
#include "cg_rule.h"
#include "control.h"

uint64_t
control_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
control_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
control_mono_ms(void)
{
	return control_mono_us() / 1000u;
}

void
control_jadd(json_object *o, const char *k, json_object *v)
{
	if (v != NULL && json_object_object_add(o, k, v) < 0)
		json_object_put(v);
}

json_object *
control_jip(uint32_t ip_be)
{
	char b[INET_ADDRSTRLEN];

	return json_object_new_string(cg_rule_ipv4_str(ip_be, b));
}

void
control_dp_error(struct cg_rpc_error *err, int ret, const char *field, const char *msg)
{
	switch (ret) {
	case -EINVAL:
		cg_rpc_error_set(err, CG_RPC_E_INVALID_PARAMS, field, "%s", msg);
		break;
	case -EEXIST:
		cg_rpc_error_set(err, CG_RPC_E_EXISTS, field, "%s", msg);
		break;
	case -ENOENT:
		cg_rpc_error_set(err, CG_RPC_E_NOT_FOUND, field, "%s", msg);
		break;
	case -ENOSPC:
		cg_rpc_error_set(err, CG_RPC_E_CONFLICT, NULL, "%s", msg);
		break;
	case -ETIMEDOUT:
		if (msg[0] != '\0')
			cg_rpc_error_set(err, CG_RPC_E_DATAPLANE, NULL, "%s; whether it applied "
					 "the change is checked in the background", msg);
		else
			cg_rpc_error_set(err, CG_RPC_E_DATAPLANE, NULL, "the data plane did not "
					 "answer within %d ms", CONTROL_DP_TIMEOUT_MS);
		break;
	case -EBUSY:
		cg_rpc_error_set(err, CG_RPC_E_BUSY, NULL, "%s", msg);
		break;
	case -EPIPE:
	case -ESRCH:
	case -ECONNREFUSED:
	case -ENOTCONN:
		if (msg[0] != '\0')
			cg_rpc_error_set(err, CG_RPC_E_DATAPLANE, NULL, "%s", msg);
		else
			cg_rpc_error_set(err, CG_RPC_E_DATAPLANE, NULL, "the data plane is not "
					 "running");
		break;
	default:
		cg_rpc_error_set(err, CG_RPC_E_INTERNAL, NULL, "%s%s%s", msg, msg[0] ? ": " : "",
				 strerror(-ret));
		break;
	}
}
