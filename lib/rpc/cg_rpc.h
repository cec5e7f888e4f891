/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_RPC_H
#define CG_RPC_H

/**
 * @file
 * JSON-RPC 2.0 for castgate's control plane: codec, method dispatch with
 * access control, a Unix-stream-socket server for an epoll loop, and a
 * blocking client for castgatectl.
 *
 * Framing: one JSON value per line (newline-delimited UTF-8). The server
 * writes compact JSON, so a reply never contains a raw newline. See
 * docs/RPC-PROTOCOL.md for the protocol as operators and clients see it.
 *
 * No DPDK here; the library is single-threaded per server object (call the
 * server functions from one thread), except cg_rpc_server_stop().
 */

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

/** @name Error codes
 * Standard JSON-RPC 2.0 codes, then castgate's application codes in the
 * server range -32000..-32099. These values are a stable interface: never
 * renumber, only add.
 * @{ */
enum cg_rpc_code {
	CG_RPC_OK = 0,
	CG_RPC_E_PARSE = -32700,           /**< line is not valid JSON / UTF-8 */
	CG_RPC_E_INVALID_REQUEST = -32600, /**< not a valid request object, or too big */
	CG_RPC_E_METHOD_NOT_FOUND = -32601,/**< no such method */
	CG_RPC_E_INVALID_PARAMS = -32602,  /**< params wrong for this method */
	CG_RPC_E_INTERNAL = -32603,        /**< server bug or out of memory */
	CG_RPC_E_PERMISSION = -32001,      /**< peer lacks the group the method needs */
	CG_RPC_E_NOT_FOUND = -32002,       /**< named object (rule, port...) does not exist */
	CG_RPC_E_EXISTS = -32003,          /**< object to create already exists */
	CG_RPC_E_CONFLICT = -32004,        /**< change conflicts with current state */
	CG_RPC_E_DATAPLANE = -32005,       /**< data plane not running or not answering */
	CG_RPC_E_BUSY = -32006,            /**< busy, timed out, or connection limit hit */
};
/** @} */

/** Short stable name of a code ("parse error", "permission denied", ...). */
const char *cg_rpc_code_name(int code);

/** Largest message / field kept in a cg_rpc_error (longer ones are cut). */
#define CG_RPC_MSG_MAX 256
#define CG_RPC_FIELD_MAX 128

/**
 * An error to report. @c field is the JSON path of the value to blame
 * ("params.rule.output[1].ttl"), empty when no field is to blame; it goes
 * out as @c data.field.
 */
struct cg_rpc_error {
	int code;
	char message[CG_RPC_MSG_MAX];
	char field[CG_RPC_FIELD_MAX];
};

/**
 * Fill @p err. @p field may be NULL. Safe to call with a NULL @p err.
 */
void cg_rpc_error_set(struct cg_rpc_error *err, int code, const char *field,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** @name Codec
 * @{ */

/** A validated request. Pointers borrow from the parsed object. */
struct cg_rpc_request {
	const char *method;     /**< method name */
	json_object *params;    /**< object, array, or NULL when absent */
	json_object *id;        /**< id value (NULL also for "id": null) */
	bool has_id;            /**< false: a notification, which gets no reply */
};

/**
 * Validate one parsed JSON value as a request: an object with exactly the
 * members "jsonrpc" == "2.0", "method" (string), optional "params" (object
 * or array) and optional "id" (string, number or null).
 *
 * @param obj  parsed value (may be NULL, which is invalid).
 * @param req  filled on success; on failure req->id/has_id still hold the id
 *             when it could be read, so that the error can echo it.
 * @param err  filled on failure with CG_RPC_E_INVALID_REQUEST and the field.
 * @return 0, or -EINVAL.
 */
int cg_rpc_request_parse(json_object *obj, struct cg_rpc_request *req,
			 struct cg_rpc_error *err);

/**
 * Parse one line of text (without its newline) as JSON: strict JSON,
 * valid UTF-8, nothing after the value but white space.
 * @return the value (caller puts it), or NULL with @p err set to
 *         CG_RPC_E_PARSE and a message with the byte offset. The literal
 *         null also gives NULL, with @p err left untouched (code 0).
 */
json_object *cg_rpc_json_parse(const char *line, size_t len, struct cg_rpc_error *err);

/**
 * Build {"jsonrpc":"2.0","result":result,"id":id}.
 * @param id      borrowed (a reference is taken); NULL writes null.
 * @param result  owned by the response from now on; NULL writes null.
 * @return the response, or NULL on ENOMEM.
 */
json_object *cg_rpc_response_result(json_object *id, json_object *result);

/**
 * Build {"jsonrpc":"2.0","error":{"code","message"[,"data":{"field"}]},"id":id}.
 * @param id  borrowed; NULL writes null.
 * @return the response, or NULL on ENOMEM.
 */
json_object *cg_rpc_response_error(json_object *id, const struct cg_rpc_error *err);

/**
 * Serialize a value as compact JSON followed by '\n' (one protocol line).
 * @return a malloc'd string (caller frees) with its length in @p len, or NULL.
 */
char *cg_rpc_to_line(json_object *obj, size_t *len);
/** @} */

/** @name Methods and dispatch
 * @{ */

/** Access level a method needs. */
enum cg_rpc_access {
	CG_RPC_READ = 0,  /**< read group, admin group or root */
	CG_RPC_ADMIN = 1, /**< admin group or root */
};

/** Who is on the other end of a connection (from SO_PEERCRED at accept). */
struct cg_rpc_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool can_read;  /**< may call CG_RPC_READ methods */
	bool can_admin; /**< may call every method */
};

struct cg_rpc_server;
struct cg_rpc_conn;

/** What a handler sees besides its params. */
struct cg_rpc_ctx {
	const struct cg_rpc_peer *peer; /**< never NULL in a dispatch */
	void *user;                     /**< the server's user data */
	/** The server and the connection the request came on; NULL when the
	 *  request does not come from a server (cg_rpc_dispatch() in a test). */
	struct cg_rpc_server *server;
	struct cg_rpc_conn *conn;
	/** Bytes a batch's replies may add up to (0: CG_RPC_MAX_OUTPUT_DEFAULT). */
	size_t max_reply;
	/** The client closed its connection (both ways): requests with an id
	 *  are not run, since nobody can read their answer; notifications are. */
	bool peer_gone;
};

/** Requests in one batch; a longer batch is refused whole with -32600. */
#define CG_RPC_MAX_BATCH 256

/**
 * A method handler.
 * @param params  the request's params (object, array, or NULL if absent); borrowed.
 * @param ctx     peer and user data.
 * @param err     zeroed on entry; set err->code (cg_rpc_error_set()) to fail.
 * @return the result (ownership passes to the caller; NULL is the JSON null
 *         result), ignored when err->code is set.
 */
typedef json_object *(*cg_rpc_handler_fn)(json_object *params, const struct cg_rpc_ctx *ctx,
					  struct cg_rpc_error *err);

/** One entry of a method table; a table ends with an entry whose name is NULL. */
struct cg_rpc_method {
	const char *name;
	int access; /**< CG_RPC_READ or CG_RPC_ADMIN */
	cg_rpc_handler_fn fn;
};

/**
 * Handle one parsed value: a request or a batch (array). Validates it,
 * looks the method up, checks the peer's access, calls the handler and
 * builds the reply. A handler failure is an error reply, never a crash.
 *
 * A batch holds at most CG_RPC_MAX_BATCH requests, and its replies are
 * counted as they are built: once they pass ctx->max_reply bytes, the
 * request whose reply went over and every later one get a short -32600
 * error instead ("not run"), so one line cannot make a reply of any size.
 *
 * @return the reply (an object, or an array for a batch), or NULL when no
 *         reply is due (a notification, or a batch of notifications).
 */
json_object *cg_rpc_dispatch(const struct cg_rpc_method *methods, json_object *msg,
			     const struct cg_rpc_ctx *ctx);

/**
 * cg_rpc_json_parse() then cg_rpc_dispatch(): what the server does with
 * each line. A parse error gives an error reply with id null.
 * @return the reply, or NULL when none is due (also for a blank line).
 */
json_object *cg_rpc_handle_line(const struct cg_rpc_method *methods, const char *line,
				size_t len, const struct cg_rpc_ctx *ctx);
/** @} */

/** @name Server
 * @{ */

#define CG_RPC_MAX_REQUEST_DEFAULT (1u << 20)  /**< 1 MiB per request line */
#define CG_RPC_MAX_OUTPUT_DEFAULT (4u << 20)   /**< unread replies kept per client */
#define CG_RPC_IDLE_MS_DEFAULT 60000           /**< no traffic at all */
#define CG_RPC_REQUEST_MS_DEFAULT 5000         /**< a partial line pending */
#define CG_RPC_MAX_CONNS_DEFAULT 64
/** Connection slots only admins (admin group, root) may take: this many, at
 *  most half of max_conns; so that read-only clients can never lock the
 *  admins out. */
#define CG_RPC_ADMIN_SLOTS 4
/** Unsent notifications kept per subscriber: about a thousand events of ~250 bytes. */
#define CG_RPC_MAX_NOTIFY_DEFAULT (256u << 10)

/** Server limits; zero fields mean the default. */
struct cg_rpc_limits {
	size_t max_request;    /**< bytes in one line, newline excluded */
	/** Unread reply bytes a client may have when it sends its next request;
	 *  over it, the client is cut off. One reply may exceed it. */
	size_t max_output;
	unsigned int idle_ms;  /**< cut a client with no traffic for this long */
	unsigned int request_ms; /**< cut a client whose partial line is this old */
	unsigned int max_conns;  /**< connections beyond this are refused */
	/** Unsent bytes (replies and notifications) above which a notification
	 *  to a subscriber is dropped and counted instead of queued. Capped at
	 *  max_output, so that notifications alone never get a client cut. */
	size_t max_notify;
};

/** Means "no such group": only root (and the server's own uid) gets that access. */
#define CG_RPC_GID_NONE ((gid_t)-1)

/** Counters, for logs, stats and tests. */
struct cg_rpc_server_stats {
	uint64_t accepted;      /**< connections accepted */
	uint64_t refused_full;  /**< refused: max_conns reached */
	uint64_t refused_reserved; /**< refused: only the admins' slots were left */
	uint64_t requests;      /**< lines handled */
	uint64_t errors;        /**< error replies sent */
	uint64_t cut_oversize;  /**< closed: line over max_request */
	uint64_t cut_idle;      /**< closed: idle */
	uint64_t cut_slow;      /**< closed: partial line too old */
	uint64_t cut_output;    /**< closed: replies not read */
	unsigned int active;    /**< open connections now */
	unsigned int subscribers; /**< connections subscribed to notifications now */
	uint64_t notified;      /**< notifications queued to subscribers */
	uint64_t notify_dropped; /**< notifications dropped: a subscriber's queue was full */
};

/**
 * Create the listening socket at @p path and the epoll set.
 *
 * An existing socket file is removed only when nothing accepts on it (a
 * stale socket from a crashed server); if a server answers there, this
 * fails with EADDRINUSE. Anything that is not a socket is left alone
 * (EEXIST). The socket gets @p mode and group @p read_gid (unchanged when
 * CG_RPC_GID_NONE); its directory is the caller's business.
 *
 * Access: root and the server's own effective uid may call every method;
 * others may call CG_RPC_READ methods when one of their groups (SO_PEERCRED
 * gid, SO_PEERGROUPS, and the user's groups from the group database) is
 * @p read_gid or @p admin_gid, and every method when one is @p admin_gid.
 *
 * @param methods  table ending with a NULL name; must outlive the server.
 * @param limits   NULL for all defaults.
 * @param user     passed to handlers in cg_rpc_ctx.user.
 * @return the server, or NULL with errno set (EADDRINUSE, EEXIST,
 *         ENAMETOOLONG, EINVAL, or that of the failing system call).
 */
struct cg_rpc_server *cg_rpc_server_new(const char *path, mode_t mode, gid_t read_gid,
					gid_t admin_gid, const struct cg_rpc_limits *limits,
					const struct cg_rpc_method *methods, void *user);

/**
 * The epoll fd to watch for POLLIN in the owner's own loop; when readable,
 * call cg_rpc_server_dispatch(srv, 0). Timeouts are driven by a timerfd in
 * the same set, so nothing else needs polling.
 */
int cg_rpc_server_fd(const struct cg_rpc_server *srv);

/**
 * Handle what is ready: new connections, requests, pending writes, timeouts.
 * Never blocks on a client.
 * @param timeout_ms  how long to wait for events (0: do not wait, -1: forever).
 * @return the number of events handled (>= 0), or a negative errno.
 */
int cg_rpc_server_dispatch(struct cg_rpc_server *srv, int timeout_ms);

/**
 * Tell the server its owner's loop spent @p ms on other work (a long tick, a
 * render) without dispatching: every client's idle and request deadlines move
 * by that much, as they do for time spent in handlers, so no client is cut
 * for the owner's busy time.
 */
void cg_rpc_server_owner_busy(struct cg_rpc_server *srv, uint64_t ms);

/**
 * Serve until @p *stop becomes non-zero (may be NULL) or cg_rpc_server_stop()
 * is called. Checks the flag at least every 200 ms.
 * @return 0 when stopped, or a negative errno.
 */
int cg_rpc_server_run(struct cg_rpc_server *srv, const volatile sig_atomic_t *stop);

/**
 * Make cg_rpc_server_run() return after its current step (its next one if
 * it is not running yet). Async-signal-safe and thread-safe.
 */
void cg_rpc_server_stop(struct cg_rpc_server *srv);

/** Copy the counters (from the thread that runs the server). */
void cg_rpc_server_get_stats(const struct cg_rpc_server *srv, struct cg_rpc_server_stats *st);

/** Close every connection, remove the socket file if it is still ours, free. NULL is a no-op. */
void cg_rpc_server_free(struct cg_rpc_server *srv);
/** @} */

/** @name Server push (notifications to subscribers)
 *
 * A handler marks its connection as a subscriber with cg_rpc_subscribe();
 * the owner then pushes JSON-RPC notifications ({"jsonrpc":"2.0","method",
 * "params"}, no id) with cg_rpc_server_notify() to every subscriber whose
 * topics match. Topics are bits the application chooses.
 *
 * Pushing never blocks and never cuts anyone: a notification is written to
 * the socket if it takes it, else queued; while a subscriber has more than
 * cg_rpc_limits.max_notify unsent bytes, notifications for it are dropped
 * and counted. The next notification it does get carries the count as
 * params.lost (params must be an object for that), so a slow subscriber
 * knows how many it missed. A subscriber is exempt from the idle timeout.
 * Notifications and replies share the connection, in the order they were
 * produced: a subscriber that also calls methods tells them apart by the
 * id, which notifications lack.
 * @{ */

/**
 * Subscribe the connection of @p ctx to @p topics (replacing its former
 * topics; 0 unsubscribes). Call it from a handler; it takes effect at once.
 * @return 0, or -ENOTSUP outside a server connection.
 */
int cg_rpc_subscribe(const struct cg_rpc_ctx *ctx, uint32_t topics);

/**
 * Queue a notification for the connection of @p ctx alone, sent right
 * after the reply to the current request (e.g. the first state a new
 * subscriber should see). Subject to the same bound as
 * cg_rpc_server_notify(). @p params is borrowed.
 * @return 0, -ENOTSUP outside a server connection, or -ENOMEM.
 */
int cg_rpc_notify_self(const struct cg_rpc_ctx *ctx, const char *method, json_object *params);

/**
 * Push a notification to every subscriber whose topics intersect
 * @p topics. From the thread that runs the server (handlers included);
 * never blocks. @p params (an object, or NULL) is borrowed.
 * @return the number of subscribers it was queued or sent to (those whose
 *         queue was full are counted in notify_dropped instead).
 */
unsigned int cg_rpc_server_notify(struct cg_rpc_server *srv, uint32_t topics, const char *method,
				  json_object *params);
/** @} */

/** @name Client
 * @{ */
struct cg_rpc_client;

/**
 * Connect to the server at @p path, retrying while its backlog is full.
 * @param timeout_ms  give up after this long (ETIMEDOUT); 0 for one try.
 * @return the client, or NULL with errno set (ENOENT, ECONNREFUSED, EACCES...).
 */
struct cg_rpc_client *cg_rpc_client_connect(const char *path, int timeout_ms);

/**
 * Call @p method and wait for its reply.
 * @param params   object, array or NULL; borrowed.
 * @param result   on success, the result (caller puts it; may be NULL for null).
 * @param err      on failure, the error: the server's (code < 0 from the
 *                 table above) or a local one (CG_RPC_E_INTERNAL with a message).
 * @param timeout_ms  for the whole call; -1 waits forever.
 * @return 0; -EREMOTEIO when the server answered with an error; -ETIMEDOUT;
 *         -ECONNRESET when the server closed the connection; -EPROTO for a
 *         malformed reply; another negative errno from send/recv.
 *         After any failure other than -EREMOTEIO, close the client.
 */
int cg_rpc_call(struct cg_rpc_client *cl, const char *method, json_object *params,
		json_object **result, struct cg_rpc_error *err, int timeout_ms);

/** The client's socket (e.g. to poll it in a console). */
int cg_rpc_client_fd(const struct cg_rpc_client *cl);

/**
 * Read the next notification the server pushed (after a subscription).
 * Replies that arrive instead (to calls that timed out) are skipped.
 * @param msg  the whole notification object (caller puts it): "method",
 *             "params".
 * @param timeout_ms  -1 waits forever.
 * @return 0; -ETIMEDOUT; -ECONNRESET when the server closed; -EPROTO.
 */
int cg_rpc_client_next(struct cg_rpc_client *cl, json_object **msg, int timeout_ms);

/**
 * What cg_rpc_call() does with a notification that arrives while it waits
 * for its reply: call @p fn (which takes the object's reference), or drop
 * it when @p fn is NULL (the default).
 */
void cg_rpc_client_on_notify(struct cg_rpc_client *cl,
			     void (*fn)(json_object *msg, void *arg), void *arg);

/** Close and free. NULL is a no-op. */
void cg_rpc_client_close(struct cg_rpc_client *cl);
/** @} */

#endif /* CG_RPC_H */
