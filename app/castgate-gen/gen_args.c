/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_args.h"
#include "gen_payload.h"

static const char usage_top[] =
"castgate-gen: UDP traffic generator and sink for testing castgate\n"
"\n"
"Usage:\n"
"  castgate-gen send --dst ADDR:PORT [options]   send numbered, checked datagrams\n"
"  castgate-gen send --engine ring --iface IF ... the same from raw frames (benchmarks)\n"
"  castgate-gen recv --group ADDR:PORT [options] receive them and report what arrived\n"
"  castgate-gen send --help | recv --help        all options of a subcommand\n"
"\n"
"Each payload carries a stream id, a sequence number, the send time and a check\n"
"value, so the receiver counts lost, duplicated, reordered and corrupted packets\n"
"and measures latency (sender and receiver on the same host clock).\n"
"\n"
"Example: relay test in two namespaces\n"
"  ip netns exec sink castgate-gen recv --group 239.2.2.2:6001 --iface sink0 \\\n"
"      --expect 10000 --json &\n"
"  ip netns exec gen castgate-gen send --dst 239.1.1.1:5001 --iface gen0 \\\n"
"      --rate 10000 --count 10000\n"
"\n"
"Exit status: 0 ok, 1 runtime error, 2 usage error.\n";

static const char usage_send[] =
"Usage: castgate-gen send --dst ADDR:PORT [options]\n"
"\n"
"Sends UDP datagrams to a multicast group or a unicast address, paced by a\n"
"token bucket, in bursts of up to --batch per sendmmsg(2) call (or per ring kick).\n"
"\n"
"  --dst ADDR:PORT     destination group (e.g. 239.1.1.1:5001) or unicast address\n"
"  --rate PPS          packets per second (default 1000; 0 = as fast as possible)\n"
"  --count N           stop after N packets\n"
"  --duration S        stop after S seconds (fractions allowed)\n"
"                      (with neither, sends until SIGINT/SIGTERM)\n"
"  --size BYTES        UDP payload size, 32..65507 (default 1316); larger than\n"
"                      the link MTU makes the kernel send IP fragments\n"
"  --iface IF          send out of IF (IP_MULTICAST_IF, or SO_BINDTODEVICE for unicast)\n"
"  --source IP         bind this source address\n"
"  --sport PORT        UDP source port (default: ephemeral)\n"
"  --ttl N             IP TTL, 1..255 (default 16)\n"
"  --stream ID         stream id carried in each payload (default 0)\n"
"  --batch N           packets per sendmmsg and burst size, 1..1024 (default 32)\n"
"  --engine E          socket (default): a UDP socket through the IP stack;\n"
"                      ring: raw Ethernet frames from an AF_PACKET TX ring with\n"
"                      the qdisc bypassed, one sendto(2) kick per batch, frames\n"
"                      built once and only restamped: for relay benchmarks,\n"
"                      where the generator must not be the bottleneck. Needs\n"
"                      --iface, a multicast --dst, --size up to the MTU - 28;\n"
"                      source IP from --source or IF, source MAC from IF, UDP\n"
"                      source port --sport or else the destination port\n"
"  --json              print the summary as JSON\n"
"  -h, --help          this help\n"
"\n"
"Sequence numbers start at 0. Multicast loopback is off.\n"
"\n"
"Examples:\n"
"  castgate-gen send --dst 239.1.1.1:5001 --iface gen0 --rate 10000 --count 10000\n"
"  castgate-gen send --dst 239.1.1.2:5002 --iface gen0 --duration 5 --size 8000\n"
"  castgate-gen send --dst 198.18.1.129:7000 --rate 0 --count 1000000 --json\n"
"  castgate-gen send --engine ring --dst 239.1.1.1:5001 --iface gen0 --rate 0 \\\n"
"      --duration 5 --size 64\n";

static const char usage_recv[] =
"Usage: castgate-gen recv --group ADDR:PORT [options]\n"
"\n"
"Joins a multicast group (or binds a unicast address), receives castgate-gen\n"
"datagrams with recvmmsg(2), and reports what arrived.\n"
"\n"
"  --group ADDR:PORT   group to join, or unicast address to bind (0.0.0.0 = any)\n"
"  --iface IF          join on IF (and receive only from it); without it, on the\n"
"                      interface of the route to the group\n"
"  --source IP         source-specific join (SSM) to this sender\n"
"  --expect N          the sender sends N packets (seq 0..N-1): lost = N - unique\n"
"                      (without it, lost = holes between the lowest and highest seq)\n"
"  --stream ID         count only payloads of this stream id\n"
"  --count N           stop after N packets\n"
"  --duration S        stop after S seconds\n"
"  --idle-timeout S    stop S seconds after the last packet counted, or after the\n"
"                      first of another --stream id if none was (default 2; 0 = never)\n"
"  --interval S        print a live line to stderr every S seconds\n"
"  --ready-file PATH   create PATH once joined (a ready line also goes to stderr)\n"
"  --json              print the report as JSON\n"
"  -h, --help          this help\n"
"\n"
"Report: received, bytes, unique, lost, duplicates, reordered, corrupt (not a\n"
"castgate-gen payload, or changed on the way: corrupt_reasons says how),\n"
"other_stream (another stream id), ttl_seen, sources_seen, sports_seen,\n"
"dst_seen, first/last seq, pps, bps (UDP payload bits), latency\n"
"p50/p90/p99/p99_9/max in us.\n"
"It stops at --count, --duration, --idle-timeout or SIGINT/SIGTERM, whichever\n"
"comes first; with none of them given, it waits for the first packet forever.\n"
"\n"
"Examples:\n"
"  castgate-gen recv --group 239.2.2.2:6001 --iface sink0 --expect 10000 --json\n"
"  castgate-gen recv --group 239.2.2.2:6001 --iface sink0 --source 198.18.1.130 \\\n"
"      --duration 10 --interval 1\n"
"  castgate-gen recv --group 0.0.0.0:7000 --ready-file /tmp/ready --json\n";

void
gen_usage(FILE *f)
{
	fputs(usage_top, f);
}

static int
bad(const char *cmd, const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "castgate-gen %s: %s: '%s' %s (see castgate-gen %s --help)\n",
		cmd, opt, val, why, cmd);
	return -EINVAL;
}

static int
parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
	  uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == '-' || *s == '\0')
		return bad(cmd, opt, s, "is not a non-negative integer");
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return bad(cmd, opt, s, "is not a non-negative integer");
	if (v < min || v > max) {
		char why[96];

		snprintf(why, sizeof(why), "is out of range %llu..%llu",
			 (unsigned long long)min, (unsigned long long)max);
		return bad(cmd, opt, s, why);
	}
	*out = v;
	return 0;
}

static int
parse_secs(const char *cmd, const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || !isfinite(v) || v < 0)
		return bad(cmd, opt, s, "is not a number of seconds >= 0");
	/* A year: anything longer is a typo, and keeps ns arithmetic in range. */
	if (v > 31536000.0)
		return bad(cmd, opt, s, "is longer than a year");
	*out = v;
	return 0;
}

static int
parse_iface(const char *cmd, const char *opt, const char *s, char *out)
{
	if (*s == '\0' || strlen(s) >= IF_NAMESIZE)
		return bad(cmd, opt, s, "is not an interface name (1..15 characters)");
	strcpy(out, s);
	return 0;
}

static int
parse_ip(const char *cmd, const char *opt, const char *s, struct in_addr *out)
{
	if (inet_pton(AF_INET, s, out) != 1)
		return bad(cmd, opt, s, "is not an IPv4 address");
	return 0;
}

int
gen_parse_addr_port(const char *s, struct sockaddr_in *sa)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port < 1 || port > 65535)
		return -EINVAL;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

static int
parse_dst(const char *cmd, const char *opt, const char *s, struct sockaddr_in *sa)
{
	if (gen_parse_addr_port(s, sa) != 0)
		return bad(cmd, opt, s, "is not ADDR:PORT (e.g. 239.1.1.1:5001)");
	return 0;
}

enum {
	OPT_DST = 256, OPT_RATE, OPT_COUNT, OPT_DURATION, OPT_SIZE, OPT_IFACE, OPT_SOURCE,
	OPT_TTL, OPT_SPORT, OPT_STREAM, OPT_BATCH, OPT_JSON, OPT_GROUP, OPT_EXPECT,
	OPT_IDLE, OPT_INTERVAL, OPT_READY, OPT_ENGINE,
};

/* The option as the user knows it, for messages: "--rate", not its value. */
static const char *
option_name(int c, const struct option *lo, int idx, int argc, char **argv, char *buf,
	    size_t size)
{
	if (c >= OPT_DST) {
		snprintf(buf, size, "--%s", lo[idx].name);
		return buf;
	}
	/* Unknown or missing a value: getopt has just stepped over it. */
	return optind > 0 && optind <= argc ? argv[optind - 1] : "?";
}

/* Leftover operands and the missing-argument case, shared by both parsers. */
static enum gen_args_result
finish(const char *cmd, int argc, char **argv, bool have_addr, const char *addr_opt)
{
	if (optind < argc) {
		fprintf(stderr, "castgate-gen %s: unexpected argument '%s' (see --help)\n",
			cmd, argv[optind]);
		return GEN_ARGS_USAGE;
	}
	if (!have_addr) {
		fprintf(stderr, "castgate-gen %s: %s ADDR:PORT is required (see --help)\n",
			cmd, addr_opt);
		return GEN_ARGS_USAGE;
	}
	return GEN_ARGS_OK;
}

enum gen_args_result
gen_args_send(int argc, char **argv, struct gen_send_opts *o)
{
	static const struct option lo[] = {
		{ "dst", required_argument, NULL, OPT_DST },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "iface", required_argument, NULL, OPT_IFACE },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ "sport", required_argument, NULL, OPT_SPORT },
		{ "stream", required_argument, NULL, OPT_STREAM },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "engine", required_argument, NULL, OPT_ENGINE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "send";
	bool have_dst = false;
	char name[32];
	uint64_t v;
	int c, idx = 0, rc = 0;

	memset(o, 0, sizeof(*o));
	o->rate = 1000;
	o->size = GEN_DEFAULT_SIZE;
	o->ttl = GEN_DEFAULT_TTL;
	o->batch = GEN_DEFAULT_BATCH;
	optind = 1;
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, ":h", lo, &idx)) != -1) {
		const char *opt = option_name(c, lo, idx, argc, argv, name, sizeof(name));

		switch (c) {
		case OPT_DST:
			rc = parse_dst(cmd, opt, optarg, &o->dst);
			have_dst = true;
			break;
		case OPT_RATE:
			rc = parse_u64(cmd, opt, optarg, 0, 100000000, &v);
			o->rate = (double)v;
			break;
		case OPT_COUNT:
			rc = parse_u64(cmd, opt, optarg, 1, UINT64_MAX, &o->count);
			break;
		case OPT_DURATION:
			rc = parse_secs(cmd, opt, optarg, &o->duration);
			break;
		case OPT_SIZE:
			rc = parse_u64(cmd, opt, optarg, GEN_PAYLOAD_MIN, GEN_PAYLOAD_MAX, &v);
			o->size = (uint32_t)v;
			break;
		case OPT_IFACE:
			rc = parse_iface(cmd, opt, optarg, o->iface);
			break;
		case OPT_SOURCE:
			rc = parse_ip(cmd, opt, optarg, &o->source);
			break;
		case OPT_TTL:
			rc = parse_u64(cmd, opt, optarg, 1, 255, &v);
			o->ttl = (int)v;
			break;
		case OPT_SPORT:
			rc = parse_u64(cmd, opt, optarg, 1, 65535, &v);
			o->sport = (uint16_t)v;
			break;
		case OPT_STREAM:
			rc = parse_u64(cmd, opt, optarg, 0, UINT32_MAX, &v);
			o->stream = (uint32_t)v;
			break;
		case OPT_BATCH:
			rc = parse_u64(cmd, opt, optarg, 1, GEN_MAX_BATCH, &v);
			o->batch = (unsigned int)v;
			break;
		case OPT_ENGINE:
			if (strcmp(optarg, "socket") == 0)
				o->engine = GEN_ENGINE_SOCKET;
			else if (strcmp(optarg, "ring") == 0)
				o->engine = GEN_ENGINE_RING;
			else
				rc = bad(cmd, opt, optarg, "is not an engine (socket or ring)");
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'h':
			fputs(usage_send, stdout);
			return GEN_ARGS_HELP;
		case ':':
			fprintf(stderr, "castgate-gen send: %s needs a value (see --help)\n", opt);
			return GEN_ARGS_USAGE;
		default:
			fprintf(stderr, "castgate-gen send: unknown option '%s' (see --help)\n",
				opt);
			return GEN_ARGS_USAGE;
		}
	}
	if (rc != 0 || finish(cmd, argc, argv, have_dst, "--dst") != GEN_ARGS_OK)
		return GEN_ARGS_USAGE;
	if (o->engine == GEN_ENGINE_RING && o->iface[0] == '\0') {
		fprintf(stderr, "castgate-gen send: --engine ring needs --iface (raw frames "
			"go out of one interface)\n");
		return GEN_ARGS_USAGE;
	}
	if (o->engine == GEN_ENGINE_RING && !IN_MULTICAST(ntohl(o->dst.sin_addr.s_addr))) {
		fprintf(stderr, "castgate-gen send: --engine ring needs a multicast --dst "
			"(it resolves no unicast MAC address)\n");
		return GEN_ARGS_USAGE;
	}
	return GEN_ARGS_OK;
}

enum gen_args_result
gen_args_recv(int argc, char **argv, struct gen_recv_opts *o)
{
	static const struct option lo[] = {
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "iface", required_argument, NULL, OPT_IFACE },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "expect", required_argument, NULL, OPT_EXPECT },
		{ "stream", required_argument, NULL, OPT_STREAM },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "recv";
	bool have_group = false;
	char name[32];
	uint64_t v;
	int c, idx = 0, rc = 0;

	memset(o, 0, sizeof(*o));
	o->idle_timeout = GEN_DEFAULT_IDLE;
	optind = 1;
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, ":h", lo, &idx)) != -1) {
		const char *opt = option_name(c, lo, idx, argc, argv, name, sizeof(name));

		switch (c) {
		case OPT_GROUP:
			rc = parse_dst(cmd, opt, optarg, &o->group);
			have_group = true;
			break;
		case OPT_IFACE:
			rc = parse_iface(cmd, opt, optarg, o->iface);
			break;
		case OPT_SOURCE:
			rc = parse_ip(cmd, opt, optarg, &o->source);
			break;
		case OPT_EXPECT:
			rc = parse_u64(cmd, opt, optarg, 1, UINT64_MAX, &o->expect);
			break;
		case OPT_STREAM:
			rc = parse_u64(cmd, opt, optarg, 0, UINT32_MAX, &v);
			o->stream = (uint32_t)v;
			o->has_stream = true;
			break;
		case OPT_COUNT:
			rc = parse_u64(cmd, opt, optarg, 1, UINT64_MAX, &o->count);
			break;
		case OPT_DURATION:
			rc = parse_secs(cmd, opt, optarg, &o->duration);
			break;
		case OPT_IDLE:
			rc = parse_secs(cmd, opt, optarg, &o->idle_timeout);
			break;
		case OPT_INTERVAL:
			rc = parse_secs(cmd, opt, optarg, &o->interval);
			break;
		case OPT_READY:
			if (*optarg == '\0')
				rc = bad(cmd, opt, optarg, "is not a path");
			o->ready_file = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'h':
			fputs(usage_recv, stdout);
			return GEN_ARGS_HELP;
		case ':':
			fprintf(stderr, "castgate-gen recv: %s needs a value (see --help)\n", opt);
			return GEN_ARGS_USAGE;
		default:
			fprintf(stderr, "castgate-gen recv: unknown option '%s' (see --help)\n",
				opt);
			return GEN_ARGS_USAGE;
		}
	}
	if (rc != 0 || finish(cmd, argc, argv, have_group, "--group") != GEN_ARGS_OK)
		return GEN_ARGS_USAGE;
	if (o->source.s_addr != INADDR_ANY && !IN_MULTICAST(ntohl(o->group.sin_addr.s_addr))) {
		fprintf(stderr, "castgate-gen recv: --source (SSM) needs a multicast --group\n");
		return GEN_ARGS_USAGE;
	}
	return GEN_ARGS_OK;
}
