/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_ARGS_H
#define GEN_ARGS_H

/**
 * @file
 * Command line of castgate-gen: one options struct per subcommand, parsed
 * strictly (a bad value names its option), and the help texts.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>
#include <netinet/in.h>

#include "cg_util.h"

/** Outcome of parsing. */
enum gen_args_result {
	GEN_ARGS_OK = 0,
	GEN_ARGS_HELP,  /**< --help was given: help printed, exit 0 */
	GEN_ARGS_USAGE, /**< bad command line: message printed, exit 2 */
};

/* Exit codes of the program: lib/util's enum cg_exit (0, 1 run-time failure, 2 usage). */

/** How `send` hands packets to the kernel. */
enum gen_engine {
	GEN_ENGINE_SOCKET = 0, /**< UDP socket, sendmmsg: the IP stack and qdisc */
	GEN_ENGINE_RING,       /**< AF_PACKET TX ring, qdisc bypassed: raw frames */
};

struct gen_send_opts {
	struct sockaddr_in dst;  /**< group or unicast address and port */
	double rate;             /**< packets per second, 0 = as fast as possible */
	uint64_t count;          /**< packets to send, 0 = no limit */
	double duration;         /**< seconds, 0 = no limit */
	uint32_t size;           /**< UDP payload bytes */
	char iface[IF_NAMESIZE]; /**< egress interface, "" = routing decides */
	struct in_addr source;   /**< source address to bind, INADDR_ANY = any */
	int ttl;                 /**< IP TTL */
	uint16_t sport;          /**< UDP source port, 0 = ephemeral */
	uint32_t stream;         /**< stream id written into each payload */
	unsigned int batch;      /**< packets per sendmmsg and token-bucket depth */
	enum gen_engine engine;  /**< socket or ring */
	bool json;               /**< summary as JSON */
};

struct gen_recv_opts {
	struct sockaddr_in group; /**< group (joined) or unicast address, and port */
	char iface[IF_NAMESIZE];  /**< interface to join on / bind to */
	struct in_addr source;    /**< SSM source, INADDR_ANY = any-source join */
	uint64_t expect;          /**< packets the sender sends, 0 = unknown */
	uint64_t count;           /**< stop after this many, 0 = no limit */
	double duration;          /**< stop after this many seconds, 0 = no limit */
	double idle_timeout;      /**< stop this long after the last packet */
	double interval;          /**< live line period in seconds, 0 = none */
	bool has_stream;          /**< accept only payloads of this stream id */
	uint32_t stream;
	const char *ready_file;   /**< created once joined */
	bool json;                /**< report as JSON */
};

/** Defaults of the send subcommand. */
#define GEN_DEFAULT_SIZE 1316 /* 7 x 188-byte MPEG-TS packets: the common case */
#define GEN_DEFAULT_TTL 16
#define GEN_DEFAULT_BATCH 32
#define GEN_MAX_BATCH 1024
#define GEN_DEFAULT_IDLE 2.0

/**
 * Parse "send" options (argv[0] is "send").
 * @return GEN_ARGS_OK with @p o filled, or GEN_ARGS_HELP / GEN_ARGS_USAGE
 *         after printing help or the error.
 */
enum gen_args_result gen_args_send(int argc, char **argv, struct gen_send_opts *o);

/** Parse "recv" options (argv[0] is "recv"), as gen_args_send(). */
enum gen_args_result gen_args_recv(int argc, char **argv, struct gen_recv_opts *o);

/** Print the top-level help to @p f. */
void gen_usage(FILE *f);

/**
 * Parse "A.B.C.D:PORT" into @p sa (port 1..65535).
 * @return 0, or -EINVAL.
 */
int gen_parse_addr_port(const char *s, struct sockaddr_in *sa);

#endif /* GEN_ARGS_H */
