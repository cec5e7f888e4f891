/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_DOCKER_H
#define CG_DOCKER_H

/**
 * @file
 * A small Docker Engine API client (libcurl, json-c) and the model that
 * castgate-warp needs from it: containers with their networks and labels,
 * and container/network events.
 *
 * Transport: a Unix socket ("unix:///var/run/docker.sock" or a plain path) or
 * "tcp://host:port", optionally with TLS (client certificate and CA). Every
 * response is capped in size so that a broken or hostile server cannot
 * exhaust memory.
 *
 * A struct cg_docker is used by one thread at a time; create one per thread.
 * Errors: functions return 0 or a negative errno and fill @p err with a
 * message naming the operation and object, e.g.
 * "inspect 3f2a...: HTTP 404: No such container: 3f2a...".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/** Newest API version we speak; the negotiated one is min(server, this). */
#define CG_DOCKER_API_MAX "1.43"
/** Oldest API version we accept (Docker 1.12). */
#define CG_DOCKER_API_MIN "1.24"

struct cg_docker_opts {
	/** "unix:///var/run/docker.sock", a plain socket path, or "tcp://host:port";
	 * NULL = "unix:///var/run/docker.sock". */
	const char *host;
	/** PEM files, tcp:// only; any set = https (server verified against tls_ca,
	 * or the system CAs); all NULL or "" = plain HTTP. */
	const char *tls_ca, *tls_cert, *tls_key;
	/** Per request (not the event stream); 0 = 10000. */
	long timeout_ms;
	/** Optional: polled while a request (not the event stream) waits, about
	 * once a second when nothing moves; true aborts it with -ECANCELED. So a
	 * stop need not wait for timeout_ms of a server that stopped answering. */
	bool (*cancel)(void *arg);
	void *cancel_arg;
};

struct cg_docker;

/**
 * Create a client. No connection is made until the first request.
 * Calls curl_global_init(), which is thread-safe in the libcurl of Debian 12
 * (7.88); with an older libcurl create the first client before any thread.
 * @return a handle, or NULL with errno: EINVAL (bad host URL, TLS options
 *   with a unix socket), ENOMEM.
 */
struct cg_docker *cg_docker_new(const struct cg_docker_opts *o);

/** Free a client. NULL is accepted. */
void cg_docker_free(struct cg_docker *d);

/**
 * GET /version (unversioned) and use min(server ApiVersion, CG_DOCKER_API_MAX)
 * as the prefix of later requests. Until this succeeds, requests go
 * unversioned.
 * @return 0; -ENOTSUP if the server is older than CG_DOCKER_API_MIN; -EIO,
 *   -ECONNREFUSED, -ENOENT (no socket), -ETIMEDOUT, -EPROTO (bad answer).
 */
int cg_docker_negotiate(struct cg_docker *d, char *err, size_t errlen);

/** The negotiated API version, e.g. "1.41", or "" before negotiation. */
const char *cg_docker_api_version(const struct cg_docker *d);

/**
 * GET /containers/json: the running containers (json-c array, caller puts it).
 * @return 0 or a negative errno.
 */
int cg_docker_list_containers(struct cg_docker *d, json_object **arr, char *err, size_t errlen);

/**
 * GET /containers/{id}/json (caller puts *obj).
 * @return 0, -ENOENT when the container does not exist (HTTP 404), -EINVAL for
 *   an empty or unsafe name, or another negative errno.
 */
int cg_docker_inspect(struct cg_docker *d, const char *id_or_name, json_object **obj,
		      char *err, size_t errlen);

#define CG_DOCKER_MAX_NETS 16

struct cg_docker_net {
	char name[128];                           /**< network name, e.g. "bridge" */
	char ipv4[16]; unsigned int ipv4_prefix;  /**< "" if none */
	char ipv6[46]; unsigned int ipv6_prefix;  /**< "" if none */
};

struct cg_docker_container {
	char id[65];
	char name[256];             /**< without the leading '/' */
	bool running;               /**< State.Running and not State.Restarting */
	int pid;                    /**< State.Pid, 0 when not running */
	/** State.StartedAt as Docker wrote it ("" if absent): with the pid it tells
	 * one run of the container from the next (a restart changes both). */
	char started_at[40];
	/** HostConfig.NetworkMode: "default", "bridge", a network name, "host",
	 * "none" or "container:<id>" ("" if absent). Where the container's network
	 * namespace comes from: only its own unless "host" or "container:". */
	char network_mode[320];
	json_object *labels;        /**< Config.Labels (owned reference, may be NULL) */
	size_t n_nets;
	struct cg_docker_net nets[CG_DOCKER_MAX_NETS];
};

/**
 * Fill @p c from a /containers/{id}/json document. Networks beyond
 * CG_DOCKER_MAX_NETS are ignored (logged at warn). Networks are sorted by
 * name so that the result does not depend on the JSON's key order.
 * @return 0, or -EINVAL with a message naming the field on a malformed
 *   document (missing Id, wrong types); @p c is then cleared.
 */
int cg_docker_container_from_json(json_object *inspect, struct cg_docker_container *c,
				  char *err, size_t errlen);

/** The value of label @p key, or NULL if absent or not a string. */
const char *cg_docker_container_label(const struct cg_docker_container *c, const char *key);

/** The network named @p name, or NULL. */
const struct cg_docker_net *cg_docker_container_net(const struct cg_docker_container *c,
						    const char *name);

/** Drop the labels reference and zero @p c. */
void cg_docker_container_clear(struct cg_docker_container *c);

enum cg_docker_event_type { CG_DOCKER_EV_CONTAINER, CG_DOCKER_EV_NETWORK, CG_DOCKER_EV_OTHER };

struct cg_docker_event {
	enum cg_docker_event_type type;
	char action[32];   /**< "start", "restart", "die", "stop", "connect", "disconnect", ... */
	char id[65];       /**< the container id (network events: Actor.Attributes.container) */
	char name[256];    /**< container name (container events), or "" */
	char network[128]; /**< network name (network events), or "" */
	int64_t time_nano; /**< timeNano (or time * 1e9 on old servers) */
};

/**
 * Parse one event object of the /events stream.
 * @return 0, or -EINVAL when it is not an object, lacks Action/Type/time, or
 *   has a "time" (seconds) too large to hold in nanoseconds (int64).
 */
int cg_docker_event_from_json(json_object *o, struct cg_docker_event *ev);

/** Called for each event in order; a negative return stops the stream. */
typedef int (*cg_docker_event_cb)(const struct cg_docker_event *ev, void *arg);

/**
 * Stream GET /events filtered to container start/restart/die/stop/rename/destroy
 * and network connect/disconnect, from @p since_nano (unix time in ns; 0 = from now).
 * Lines that do not parse are logged and skipped.
 *
 * @param should_stop polled at least every 200 ms, also while idle (may be NULL).
 * @return 0 when the server ends the stream cleanly (callers treat it as a
 *   disconnect), cb's negative return if cb stopped it, -ECANCELED when
 *   should_stop(arg) returned true, -ECONNRESET when the server closed the
 *   stream mid-transfer (what dockerd does when it shuts down), -ENOENT or
 *   -EIO on an HTTP error, or another negative errno on a transport error.
 */
int cg_docker_events(struct cg_docker *d, int64_t since_nano, cg_docker_event_cb cb,
		     bool (*should_stop)(void *arg), void *arg, char *err, size_t errlen);

#endif /* CG_DOCKER_H */
