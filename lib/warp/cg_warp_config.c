/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate-warp configuration: defaults < TOML < environment < command line.
 *
 * Every layer funnels through cg_warp_config_set() (strings) or the TOML
 * routing_rules reader, so a value is validated the same way whatever its
 * source, and the message names that source: a TOML key and line, an
 * environment variable, or a flag.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cg_toml.h"
#include "cg_util.h"
#include "cg_warp.h"

#define ENV_PREFIX     "CASTGATE_WARP_"
#define ENV_PREFIX_DNW "DOCKER_NETWORK_WARP_"

struct opt_desc {
	const char *table;   /* TOML table ("" = root); NULL = handled apart */
	const char *key;     /* TOML key in that table */
	const char *env;     /* suffix after CASTGATE_WARP_ / DOCKER_NETWORK_WARP_ */
	const char *flag;    /* long option, without "--" */
	const char *toml;    /* dotted TOML name for messages */
	/* Static strings naming the env variables and flag, for origin[] and messages. */
	const char *env_cg, *env_dnw, *flag_dd;
};

#define OPT(t, k, e, f, dotted) \
	{ t, k, e, f, dotted, ENV_PREFIX e, ENV_PREFIX_DNW e, "--" f }

static const struct opt_desc opts[CG_WARP_OPT_COUNT] = {
	[CG_WARP_OPT_PATTERN] = OPT("", "warp_container_name_pattern", "WARP_CONTAINER_PATTERN",
				    "warp-container-pattern", "warp_container_name_pattern"),
	[CG_WARP_OPT_TARGET_LABEL] = OPT("", "target_container_label", "TARGET_CONTAINER_LABEL",
					 "target-container-label", "target_container_label"),
	[CG_WARP_OPT_PREF_LABEL] = OPT("", "network_preference_label", "NETWORK_PREFERENCE_LABEL",
				       "network-preference-label", "network_preference_label"),
	[CG_WARP_OPT_RULES] = OPT(NULL, "routing_rules", "ROUTING_RULES", "routing-rules",
				  "routing_rules"),
	[CG_WARP_OPT_LOG_LEVEL] = OPT("logging", "level", "LOG_LEVEL", "log-level",
				      "logging.level"),
	[CG_WARP_OPT_LOG_FORMAT] = OPT("logging", "format", "LOG_FORMAT", "log-format",
				       "logging.format"),
	[CG_WARP_OPT_SOCKET] = OPT("docker", "socket", "DOCKER_SOCKET", "docker-socket",
				   "docker.socket"),
	[CG_WARP_OPT_TLS_CA] = OPT("docker", "tls_ca", "DOCKER_TLS_CA", "docker-tls-ca",
				   "docker.tls_ca"),
	[CG_WARP_OPT_TLS_CERT] = OPT("docker", "tls_cert", "DOCKER_TLS_CERT", "docker-tls-cert",
				     "docker.tls_cert"),
	[CG_WARP_OPT_TLS_KEY] = OPT("docker", "tls_key", "DOCKER_TLS_KEY", "docker-tls-key",
				    "docker.tls_key"),
	[CG_WARP_OPT_METHOD] = OPT("", "docker_connection_method", "DOCKER_CONNECTION_METHOD",
				   "docker-connection-method", "docker_connection_method"),
	[CG_WARP_OPT_ON_DOWN] = OPT("", "on_warp_down", "ON_WARP_DOWN", "on-warp-down",
				    "on_warp_down"),
	[CG_WARP_OPT_METRICS] = OPT("metrics", "listen", "METRICS_LISTEN", "metrics-listen",
				    "metrics.listen"),
};

static const char origin_default[] = "default";

const char *
cg_warp_opt_toml_key(enum cg_warp_opt opt)
{
	return (unsigned int)opt < CG_WARP_OPT_COUNT ? opts[opt].toml : "?";
}

const char *
cg_warp_opt_flag(enum cg_warp_opt opt)
{
	return (unsigned int)opt < CG_WARP_OPT_COUNT ? opts[opt].flag_dd : "?";
}

/* Copy into a fixed buffer, refusing (rather than truncating) what does not fit. */
static int
copy_str(char *dst, size_t size, const char *src, const char *where, char *err, size_t errlen)
{
	size_t n = strlen(src);

	if (n >= size)
		return cg_util_err(err, errlen, -EINVAL,
				   "%s: value is too long (%zu bytes, at most %zu)",
				   where, n, size - 1);
	memcpy(dst, src, n + 1);
	return 0;
}

static bool
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/*
 * CIDR
 */

int
cg_warp_cidr_parse(const char *s, struct cg_nl_route *r, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash, *p;
	unsigned long len = 0;
	unsigned int bytes, max;

	memset(r, 0, sizeof(*r));
	slash = strchr(s, '/');
	if (slash == NULL)
		return cg_util_err(err, errlen, -EINVAL,
				   "\"%s\" is not a CIDR (expected e.g. 10.0.0.0/8 or ::/0)", s);
	if ((size_t)(slash - s) >= sizeof(addr) || slash == s)
		return cg_util_err(err, errlen, -EINVAL, "\"%s\": bad address", s);
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, r->dst) == 1) {
		r->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, r->dst) == 1) {
		r->family = AF_INET6;
		max = 128;
	} else {
		return cg_util_err(err, errlen, -EINVAL,
				   "\"%s\": \"%s\" is not an IPv4 or IPv6 address", s, addr);
	}
	p = slash + 1;
	if (*p == '\0')
		return cg_util_err(err, errlen, -EINVAL, "\"%s\": missing prefix length", s);
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || len > 128)
			return cg_util_err(err, errlen, -EINVAL,
					   "\"%s\": prefix length must be a number 0..%u",
					   s, max);
		len = len * 10 + (unsigned long)(*p - '0');
	}
	if (len > max)
		return cg_util_err(err, errlen, -EINVAL,
				   "\"%s\": prefix length %lu is out of range 0..%u",
				   s, len, max);
	r->dst_len = (uint8_t)len;
	/* Host bits must be zero: "10.0.0.1/8" is almost always a typo. */
	bytes = r->family == AF_INET ? 4 : 16;
	for (unsigned int bit = (unsigned int)len; bit < bytes * 8; bit++) {
		if (r->dst[bit / 8] & (0x80 >> (bit % 8)))
			return cg_util_err(err, errlen, -EINVAL,
					   "\"%s\": host bits are set beyond /%lu", s, len);
	}
	return 0;
}

const char *
cg_warp_route_cidr(const struct cg_nl_route *r, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(r->family, r->dst, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, size, "%s/%u", a, r->dst_len);
	return buf;
}

/*
 * Metrics listen address
 */

int
cg_warp_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len,
		     char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s, *end;
	unsigned long port = 0;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':')
			return cg_util_err(err, errlen, -EINVAL, "\"%s\": expected [::1]:PORT", s);
		if ((size_t)(end - s - 1) >= sizeof(host))
			return cg_util_err(err, errlen, -EINVAL, "\"%s\": bad address", s);
		memcpy(host, s + 1, end - s - 1);
		host[end - s - 1] = '\0';
		port_s = end + 2;
	} else {
		end = strrchr(s, ':');
		if (end == NULL)
			return cg_util_err(err, errlen, -EINVAL,
					   "\"%s\": expected ADDRESS:PORT, e.g. 127.0.0.1:9464", s);
		if ((size_t)(end - s) >= sizeof(host))
			return cg_util_err(err, errlen, -EINVAL, "\"%s\": bad address", s);
		memcpy(host, s, end - s);
		host[end - s] = '\0';
		port_s = end + 1;
	}
	if (*port_s == '\0')
		return cg_util_err(err, errlen, -EINVAL, "\"%s\": missing port", s);
	for (const char *p = port_s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return cg_util_err(err, errlen, -EINVAL,
					   "\"%s\": port must be a number 1..65535", s);
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port < 1 || port > 65535)
		return cg_util_err(err, errlen, -EINVAL,
				   "\"%s\": port %lu is out of range 1..65535", s, port);

	if (s[0] != '[') {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return cg_util_err(err, errlen, -EINVAL,
					   "\"%s\": \"%s\" is not an IPv4 address "
					   "(write IPv6 as [::1]:PORT; names are not resolved)",
					   s, host);
		/* Loopback only: the endpoints are unauthenticated. */
		if ((ntohl(in->sin_addr.s_addr) >> 24) != 127)
			return cg_util_err(err, errlen, -EINVAL,
					   "\"%s\": must be a loopback address "
					   "(127.0.0.0/8 or [::1]): /metrics and /healthz have no "
					   "authentication", s);
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return cg_util_err(err, errlen, -EINVAL,
					   "\"%s\": \"%s\" is not an IPv6 address", s, host);
		if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return cg_util_err(err, errlen, -EINVAL,
					   "\"%s\": must be a loopback address "
					   "(127.0.0.0/8 or [::1]): /metrics and /healthz have no "
					   "authentication", s);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
	}
	return 0;
}

/*
 * Routing rules
 */

static int
rule_protocol(struct cg_warp_rule *r, const char *proto, const char *where,
	      char *err, size_t errlen)
{
	static const char *const ok[] = { "tcp", "udp", "icmp", "all", NULL };

	for (size_t i = 0; ok[i] != NULL; i++) {
		if (strcasecmp(proto, ok[i]) == 0) {
			snprintf(r->protocol, sizeof(r->protocol), "%s", ok[i]);
			return 0;
		}
	}
	return cg_util_err(err, errlen, -EINVAL,
			   "%s: unknown protocol \"%s\" (expected tcp, udp, icmp or all)",
			   where, proto);
}

static int
rule_ports(struct cg_warp_rule *r, int64_t lo, int64_t hi, const char *where,
	   char *err, size_t errlen)
{
	if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535)
		return cg_util_err(err, errlen, -EINVAL, "%s: ports must be in 1..65535", where);
	if (lo > hi)
		return cg_util_err(err, errlen, -EINVAL,
				   "%s: port range %lld-%lld is reversed", where,
				   (long long)lo, (long long)hi);
	r->port_lo = (uint16_t)lo;
	r->port_hi = (uint16_t)hi;
	return 0;
}

static int
rule_dest(struct cg_warp_rule *r, const char *cidr, const char *where, char *err, size_t errlen)
{
	char msg[256];

	if (cg_warp_cidr_parse(cidr, &r->dst, msg, sizeof(msg)) < 0)
		return cg_util_err(err, errlen, -EINVAL, "%s: %s", where, msg);
	cg_warp_route_cidr(&r->dst, r->cidr, sizeof(r->cidr));
	return 0;
}

/* Exactly one route per CIDR: "10.0.0.0/8" twice would fight over the same route. */
static int
rules_check_dups(const struct cg_warp_rule *rules, size_t n, const char *where,
		 char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (cg_warp_route_same_dst(&rules[i].dst, &rules[j].dst))
				return cg_util_err(err, errlen, -EINVAL,
						   "%s: destination %s is listed twice",
						   where, rules[i].cidr);
	return 0;
}

static unsigned long
parse_port(const char *s, const char **end)
{
	unsigned long v = 0;

	if (*s < '0' || *s > '9') {
		*end = s;
		return ULONG_MAX;
	}
	while (*s >= '0' && *s <= '9') {
		if (v <= 65535)
			v = v * 10 + (unsigned long)(*s - '0');
		s++;
	}
	*end = s;
	return v;
}

/*
 * "CIDR[:PROTO[:LO-HI]][,...]" as DNW's environment and flag take it. IPv6
 * addresses contain ':' too, so the protocol starts at the first ':' after
 * the '/' of the prefix length.
 */
static int
rules_from_string(struct cg_warp_config *cfg, const char *value, const char *where,
		  char *err, size_t errlen)
{
	struct cg_warp_rule rules[CG_WARP_MAX_RULES];
	char item[256], w[300], *proto, *ports, *slash;
	const char *p = value, *comma;
	size_t n = 0, len;

	memset(rules, 0, sizeof(rules));
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0)
			return cg_util_err(err, errlen, -EINVAL,
					   "%s: empty rule in \"%s\" (expected "
					   "CIDR[:PROTO[:LO-HI]][,...])", where, value);
		if (len >= sizeof(item))
			return cg_util_err(err, errlen, -EINVAL,
					   "%s: rule %zu is too long", where, n + 1);
		if (n == CG_WARP_MAX_RULES)
			return cg_util_err(err, errlen, -EINVAL, "%s: more than %d rules", where,
				    CG_WARP_MAX_RULES);
		memcpy(item, p, len);
		item[len] = '\0';
		snprintf(w, sizeof(w), "%s: rule %zu", where, n + 1);
		proto = NULL;
		ports = NULL;
		slash = strchr(item, '/');
		if (slash != NULL) {
			proto = strchr(slash, ':');
			if (proto != NULL) {
				*proto++ = '\0';
				ports = strchr(proto, ':');
				if (ports != NULL)
					*ports++ = '\0';
			}
		}
		if (rule_dest(&rules[n], item, w, err, errlen) < 0)
			return -EINVAL;
		if (proto != NULL && *proto != '\0' &&
		    rule_protocol(&rules[n], proto, w, err, errlen) < 0)
			return -EINVAL;
		if (ports != NULL && *ports != '\0') {
			const char *e;
			unsigned long lo = parse_port(ports, &e), hi;

			if (*e != '-')
				return cg_util_err(err, errlen, -EINVAL,
						   "%s: port range \"%s\" must be LO-HI",
						   w, ports);
			hi = parse_port(e + 1, &e);
			if (*e != '\0' || lo == ULONG_MAX || hi == ULONG_MAX)
				return cg_util_err(err, errlen, -EINVAL,
						   "%s: port range \"%s\" must be LO-HI",
						   w, ports);
			if (rule_ports(&rules[n], (int64_t)lo, (int64_t)hi, w, err, errlen) < 0)
				return -EINVAL;
		}
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (rules_check_dups(rules, n, where, err, errlen) < 0)
		return -EINVAL;
	memcpy(cfg->rules, rules, n * sizeof(rules[0]));
	cfg->n_rules = n;
	return 0;
}

/*
 * Single settings
 */

static int
check_docker_host(const char *v, const char *where, char *err, size_t errlen)
{
	if (strncmp(v, "unix://", 7) == 0) {
		if (v[7] != '/')
			return cg_util_err(err, errlen, -EINVAL,
					   "%s: \"%s\": unix:// needs an absolute path "
					   "(unix:///var/run/docker.sock)", where, v);
		return 0;
	}
	if (strncmp(v, "tcp://", 6) == 0) {
		const char *colon = strrchr(v + 6, ':');

		if (v[6] == '\0' || colon == NULL || colon[1] == '\0' ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1))
			return cg_util_err(err, errlen, -EINVAL,
					   "%s: \"%s\": expected tcp://HOST:PORT", where, v);
		return 0;
	}
	if (v[0] == '/')
		return 0;
	return cg_util_err(err, errlen, -EINVAL,
			   "%s: \"%s\": expected a socket path (/var/run/docker.sock), "
			   "unix:///PATH or tcp://HOST:PORT", where, v);
}

int
cg_warp_config_set(struct cg_warp_config *cfg, enum cg_warp_opt opt, const char *v,
		   const char *where, char *err, size_t errlen)
{
	char msg[256];
	int ret;

	if ((unsigned int)opt >= CG_WARP_OPT_COUNT || v == NULL)
		return cg_util_err(err, errlen, -EINVAL, "%s: invalid option", where);
	if (has_ctl(v))
		return cg_util_err(err, errlen, -EINVAL,
				   "%s: control characters are not allowed", where);
	/* Only the metrics address may be empty (it disables the endpoint). */
	if (v[0] == '\0' && opt != CG_WARP_OPT_METRICS && opt != CG_WARP_OPT_TLS_CA &&
	    opt != CG_WARP_OPT_TLS_CERT && opt != CG_WARP_OPT_TLS_KEY)
		return cg_util_err(err, errlen, -EINVAL, "%s: must not be empty", where);

	switch (opt) {
	case CG_WARP_OPT_PATTERN:
		if (cg_warp_glob_check(v, msg, sizeof(msg)) < 0)
			return cg_util_err(err, errlen, -EINVAL, "%s: %s", where, msg);
		ret = copy_str(cfg->pattern, sizeof(cfg->pattern), v, where, err, errlen);
		break;
	case CG_WARP_OPT_TARGET_LABEL:
	case CG_WARP_OPT_PREF_LABEL:
		/* Docker label keys: any non-blank string; refuse blanks that cannot match. */
		if (strspn(v, " \t") == strlen(v) || v[0] == ' ' || v[strlen(v) - 1] == ' ')
			return cg_util_err(err, errlen, -EINVAL,
					   "%s: label key \"%s\" has leading or trailing "
					   "blanks", where, v);
		if (strchr(v, '=') != NULL)
			return cg_util_err(err, errlen, -EINVAL,
					   "%s: label key \"%s\" must not contain '=' "
					   "(give the key only; the value names the warp)",
					   where, v);
		ret = copy_str(opt == CG_WARP_OPT_TARGET_LABEL ? cfg->target_label :
			       cfg->pref_label, sizeof(cfg->target_label), v, where, err, errlen);
		break;
	case CG_WARP_OPT_RULES:
		ret = rules_from_string(cfg, v, where, err, errlen);
		break;
	case CG_WARP_OPT_LOG_LEVEL:
		/* DNW also has "trace": the most verbose level we have is debug. */
		if (strcasecmp(v, "trace") == 0) {
			cfg->log_level = CG_LOG_DEBUG;
		} else if (cg_log_level_parse(v, &cfg->log_level) < 0)
			return cg_util_err(err, errlen, -EINVAL,
					   "%s: unknown level \"%s\" (expected error, "
					   "warn, info, debug or trace)", where, v);
		snprintf(cfg->log_level_name, sizeof(cfg->log_level_name), "%s",
			 cg_log_level_name(cfg->log_level));
		if (strcasecmp(v, "trace") == 0)
			snprintf(cfg->log_level_name, sizeof(cfg->log_level_name), "trace");
		ret = 0;
		break;
	case CG_WARP_OPT_LOG_FORMAT:
		/* "plain" is DNW's name for text. */
		if (strcasecmp(v, "plain") == 0)
			cfg->log_format = CG_LOG_FMT_TEXT;
		else if (cg_log_format_parse(v, &cfg->log_format) < 0)
			return cg_util_err(err, errlen, -EINVAL,
					   "%s: unknown format \"%s\" (expected text or json)",
					   where, v);
		ret = 0;
		break;
	case CG_WARP_OPT_SOCKET:
		if (check_docker_host(v, where, err, errlen) < 0)
			return -EINVAL;
		ret = copy_str(cfg->socket, sizeof(cfg->socket), v, where, err, errlen);
		break;
	case CG_WARP_OPT_TLS_CA:
		ret = copy_str(cfg->tls_ca, sizeof(cfg->tls_ca), v, where, err, errlen);
		break;
	case CG_WARP_OPT_TLS_CERT:
		ret = copy_str(cfg->tls_cert, sizeof(cfg->tls_cert), v, where, err, errlen);
		break;
	case CG_WARP_OPT_TLS_KEY:
		ret = copy_str(cfg->tls_key, sizeof(cfg->tls_key), v, where, err, errlen);
		break;
	case CG_WARP_OPT_METHOD:
		if (strcasecmp(v, "socket") != 0 && strcasecmp(v, "http") != 0 &&
		    strcasecmp(v, "ssl") != 0)
			return cg_util_err(err, errlen, -EINVAL,
					   "%s: unknown method \"%s\" (expected socket, "
					   "http or ssl)", where, v);
		snprintf(cfg->method, sizeof(cfg->method), "%s", v);
		for (char *p = cfg->method; *p != '\0'; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		ret = 0;
		break;
	case CG_WARP_OPT_ON_DOWN:
		if (strcmp(v, "blackhole") == 0)
			cfg->on_down = CG_WARP_DOWN_BLACKHOLE;
		else if (strcmp(v, "keep") == 0)
			cfg->on_down = CG_WARP_DOWN_KEEP;
		else
			return cg_util_err(err, errlen, -EINVAL,
					   "%s: \"%s\" is not one of blackhole, keep",
					   where, v);
		ret = 0;
		break;
	case CG_WARP_OPT_METRICS:
		if (v[0] == '\0') {
			cfg->metrics_listen[0] = '\0';
			cfg->metrics_addrlen = 0;
			ret = 0;
			break;
		}
		if (cg_warp_listen_parse(v, &cfg->metrics_addr, &cfg->metrics_addrlen,
					 msg, sizeof(msg)) < 0)
			return cg_util_err(err, errlen, -EINVAL, "%s: %s", where, msg);
		ret = copy_str(cfg->metrics_listen, sizeof(cfg->metrics_listen), v, where,
			       err, errlen);
		break;
	default:
		return cg_util_err(err, errlen, -EINVAL, "%s: invalid option", where);
	}
	if (ret == 0)
		cfg->origin[opt] = where;
	return ret;
}

void
cg_warp_config_defaults(struct cg_warp_config *cfg)
{
	char err[64];

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->pattern, sizeof(cfg->pattern), "%s", CG_WARP_DEFAULT_PATTERN);
	snprintf(cfg->target_label, sizeof(cfg->target_label), "%s", CG_WARP_DEFAULT_TARGET_LABEL);
	snprintf(cfg->pref_label, sizeof(cfg->pref_label), "%s", CG_WARP_DEFAULT_PREF_LABEL);
	cfg->n_rules = 1;
	/* Cannot fail: a constant checked by the unit tests. */
	(void)rule_dest(&cfg->rules[0], CG_WARP_DEFAULT_RULE, "default", err, sizeof(err));
	cfg->log_level = CG_LOG_INFO;
	snprintf(cfg->log_level_name, sizeof(cfg->log_level_name), "info");
	cfg->log_format = CG_LOG_FMT_TEXT;
	snprintf(cfg->socket, sizeof(cfg->socket), "%s", CG_WARP_DEFAULT_SOCKET);
	snprintf(cfg->method, sizeof(cfg->method), "socket");
	cfg->on_down = CG_WARP_DOWN_BLACKHOLE;
	snprintf(cfg->metrics_listen, sizeof(cfg->metrics_listen), "%s", CG_WARP_DEFAULT_METRICS);
	(void)cg_warp_listen_parse(CG_WARP_DEFAULT_METRICS, &cfg->metrics_addr,
				   &cfg->metrics_addrlen, err, sizeof(err));
	for (int i = 0; i < CG_WARP_OPT_COUNT; i++)
		cfg->origin[i] = origin_default;
}

/*
 * TOML layer
 */

static int
toml_rules(struct cg_warp_config *cfg, json_object *arr, char *err, size_t errlen)
{
	static const char *const keys[] = { "destination", "protocol", "port_range", NULL };
	struct cg_warp_rule rules[CG_WARP_MAX_RULES];
	size_t n = json_object_array_length(arr);
	char path[64], kp[96], where[128];

	if (n == 0)
		return cg_toml_errorf(err, errlen, "routing_rules", arr,
				      "at least one rule is needed");
	if (n > CG_WARP_MAX_RULES)
		return cg_toml_errorf(err, errlen, "routing_rules", arr,
				      "%zu rules, at most %d", n, CG_WARP_MAX_RULES);
	memset(rules, 0, sizeof(rules));
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(arr, i), *pr;
		const char *dest, *proto;
		int ret;

		cg_toml_path_index(path, sizeof(path), "routing_rules", i);
		if (!json_object_is_type(t, json_type_object))
			return cg_toml_errorf(err, errlen, path, t,
					      "expected a table ([[routing_rules]])");
		if (cg_toml_check_keys(t, path, keys, err, errlen) < 0)
			return -EINVAL;
		if (cg_toml_get_string(t, path, "destination", true, &dest, err, errlen) < 0)
			return -EINVAL;
		cg_toml_path(kp, sizeof(kp), path, "destination");
		if (cg_toml_line(json_object_object_get(t, "destination")) > 0)
			snprintf(where, sizeof(where), "%s (line %u)", kp,
				 cg_toml_line(json_object_object_get(t, "destination")));
		else
			snprintf(where, sizeof(where), "%s", kp);
		if (rule_dest(&rules[i], dest, where, err, errlen) < 0)
			return -EINVAL;
		ret = cg_toml_get_string(t, path, "protocol", false, &proto, err, errlen);
		if (ret == -EINVAL)
			return ret;
		if (ret == 0) {
			cg_toml_path(kp, sizeof(kp), path, "protocol");
			snprintf(where, sizeof(where), "%s (line %u)", kp,
				 cg_toml_line(json_object_object_get(t, "protocol")));
			if (rule_protocol(&rules[i], proto, where, err, errlen) < 0)
				return -EINVAL;
		}
		ret = cg_toml_get_array(t, path, "port_range", false, &pr, err, errlen);
		if (ret == -EINVAL)
			return ret;
		if (ret == 0) {
			json_object *a, *b;

			cg_toml_path(kp, sizeof(kp), path, "port_range");
			snprintf(where, sizeof(where), "%s (line %u)", kp, cg_toml_line(pr));
			a = json_object_array_get_idx(pr, 0);
			b = json_object_array_get_idx(pr, 1);
			if (json_object_array_length(pr) != 2 ||
			    !json_object_is_type(a, json_type_int) ||
			    !json_object_is_type(b, json_type_int))
				return cg_util_err(err, errlen, -EINVAL,
						   "%s: expected [LO, HI], two integers",
						   where);
			if (rule_ports(&rules[i], json_object_get_int64(a),
				       json_object_get_int64(b), where, err, errlen) < 0)
				return -EINVAL;
		}
	}
	if (rules_check_dups(rules, n, "routing_rules", err, errlen) < 0)
		return -EINVAL;
	memcpy(cfg->rules, rules, n * sizeof(rules[0]));
	cfg->n_rules = n;
	return 0;
}

int
cg_warp_config_apply_toml(struct cg_warp_config *cfg, json_object *root, const char *file,
			  char *err, size_t errlen)
{
	static const char *const root_keys[] = {
		"warp_container_name_pattern", "target_container_label",
		"network_preference_label", "on_warp_down", "docker_connection_method",
		"routing_rules", "docker", "logging", "metrics", NULL,
	};
	static const char *const docker_keys[] = {
		"socket", "tls_ca", "tls_cert", "tls_key", "api_version", NULL,
	};
	static const char *const logging_keys[] = { "level", "format", NULL };
	static const char *const metrics_keys[] = { "listen", NULL };
	struct cg_warp_config tmp = *cfg;
	json_object *tables[3] = { NULL, NULL, NULL }, *arr, *v;
	static const char *const tnames[3] = { "docker", "logging", "metrics" };
	static const char *const *const tkeys[3] = { docker_keys, logging_keys, metrics_keys };
	const char *apiv;
	char where[160], kp[96];
	int ret;

	if (!json_object_is_type(root, json_type_object))
		return cg_util_err(err, errlen, -EINVAL, "%s: expected a TOML table", file);
	if (cg_toml_check_keys(root, "", root_keys, err, errlen) < 0)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		ret = cg_toml_get_table(root, "", tnames[i], false, &tables[i], err, errlen);
		if (ret == -EINVAL)
			return ret;
		if (ret == 0 && cg_toml_check_keys(tables[i], tnames[i], tkeys[i], err,
						    errlen) < 0)
			return -EINVAL;
	}
	for (int o = 0; o < CG_WARP_OPT_COUNT; o++) {
		const struct opt_desc *d = &opts[o];
		json_object *t;
		const char *s;

		if (d->table == NULL)
			continue;
		if (d->table[0] == '\0')
			t = root;
		else
			t = tables[strcmp(d->table, "docker") == 0 ? 0 :
				   strcmp(d->table, "logging") == 0 ? 1 : 2];
		ret = cg_toml_get_string(t, d->table, d->key, false, &s, err, errlen);
		if (ret == -ENOENT)
			continue;
		if (ret < 0)
			return ret;
		v = json_object_object_get(t, d->key);
		cg_toml_path(kp, sizeof(kp), d->table, d->key);
		if (cg_toml_line(v) > 0)
			snprintf(where, sizeof(where), "%s (line %u)", kp, cg_toml_line(v));
		else
			snprintf(where, sizeof(where), "%s", kp);
		if (cg_warp_config_set(&tmp, (enum cg_warp_opt)o, s, where, err, errlen) < 0)
			return -EINVAL;
		tmp.origin[o] = file;
	}
	/* DNW's [docker] api_version: we negotiate instead; still, it must look right. */
	ret = cg_toml_get_string(tables[0], "docker", "api_version", false, &apiv, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0) {
		unsigned int maj, min;
		char c;

		if (sscanf(apiv, "%u.%u%c", &maj, &min, &c) != 2)
			return cg_toml_errorf(err, errlen, "docker.api_version",
					      json_object_object_get(tables[0], "api_version"),
					      "\"%s\" is not a version like 1.41", apiv);
	}
	ret = cg_toml_get_array(root, "", "routing_rules", false, &arr, err, errlen);
	if (ret == -EINVAL)
		return ret;
	if (ret == 0) {
		if (toml_rules(&tmp, arr, err, errlen) < 0)
			return -EINVAL;
		tmp.origin[CG_WARP_OPT_RULES] = file;
	}
	*cfg = tmp;
	return 0;
}

int
cg_warp_config_apply_file(struct cg_warp_config *cfg, const char *path, char *err, size_t errlen)
{
	char msg[512];
	json_object *root;
	int ret;

	root = cg_toml_parse_file(path, err, errlen);
	if (root == NULL)
		return errno == ENOENT ? -ENOENT : -EINVAL;
	ret = cg_warp_config_apply_toml(cfg, root, path, msg, sizeof(msg));
	json_object_put(root);
	if (ret < 0) {
		cg_util_err(err, errlen, -EINVAL, "%s: %s", path, msg);
		return ret;
	}
	if (copy_str(cfg->config_path, sizeof(cfg->config_path), path, "--config", err,
		     errlen) < 0)
		return -EINVAL;
	return 0;
}

/*
 * Environment and command line
 */

/* Whether @p name (of @p len characters) is a variable we read, with @p prefix. */
static bool
env_known(const char *name, size_t len, bool cg)
{
	const char *cfgname = cg ? ENV_PREFIX "CONFIG" : ENV_PREFIX_DNW "CONFIG";

	if (len == strlen(cfgname) && strncmp(name, cfgname, len) == 0)
		return true;
	for (int o = 0; o < CG_WARP_OPT_COUNT; o++) {
		const char *k = cg ? opts[o].env_cg : opts[o].env_dnw;

		if (len == strlen(k) && strncmp(name, k, len) == 0)
			return true;
	}
	return false;
}

/* Edit distance of a and b (short names), capped at 3: for "did you mean". */
static unsigned int
near(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b);
	unsigned int row[80], prev, cur;

	if (la >= sizeof(row) / sizeof(row[0]) || lb >= sizeof(row) / sizeof(row[0]))
		return 3;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (unsigned int)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned int sub = prev + (a[i - 1] != b[j - 1]);

			cur = row[j];
			row[j] = sub;
			if (cur + 1 < row[j])
				row[j] = cur + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			prev = cur;
		}
	}
	return row[lb] < 3 ? row[lb] : 3;
}

int
cg_warp_env_check(char *const envp[], char *err, size_t errlen, char *dnw, size_t dnwlen)
{
	size_t dlen = 0;

	if (dnw != NULL && dnwlen > 0)
		dnw[0] = '\0';
	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
		const char *e = envp[i], *eq = strchr(e, '='), *best = NULL;
		bool cg = strncmp(e, ENV_PREFIX, strlen(ENV_PREFIX)) == 0;
		size_t nlen;

		if (eq == NULL || eq[1] == '\0') /* an empty variable counts as unset */
			continue;
		if (!cg && strncmp(e, ENV_PREFIX_DNW, strlen(ENV_PREFIX_DNW)) != 0)
			continue;
		nlen = (size_t)(eq - e);
		if (env_known(e, nlen, cg))
			continue;
		if (!cg) {
			/* DNW's prefix: a setting of DNW that castgate does not have
			 * must not stop a DNW deployment; the caller warns. */
			if (dnw != NULL && dlen + nlen + 3 < dnwlen)
				dlen += (size_t)snprintf(dnw + dlen, dnwlen - dlen, "%s%.*s",
							 dlen ? ", " : "", (int)nlen, e);
			continue;
		}
		if (near(e, nlen, ENV_PREFIX "CONFIG") <= 2)
			best = ENV_PREFIX "CONFIG";
		for (int o = 0; best == NULL && o < CG_WARP_OPT_COUNT; o++)
			if (near(e, nlen, opts[o].env_cg) <= 2)
				best = opts[o].env_cg;
		return cg_util_err(err, errlen, -EINVAL, "%.*s: unknown environment variable "
				   "(every " ENV_PREFIX "* variable must be a setting)%s%s%s",
				   (int)nlen, e, best ? "; did you mean " : "", best ? best : "",
				   best ? "?" : "");
	}
	return 0;
}

void
cg_warp_env_parse(char *const envp[], struct cg_warp_args *a)
{
	static const char cfg_cg[] = ENV_PREFIX "CONFIG", cfg_dnw[] = ENV_PREFIX_DNW "CONFIG";
	bool from_cg[CG_WARP_OPT_COUNT] = { false };
	bool cfg_from_cg = false;

	memset(a, 0, sizeof(*a));
	if (envp == NULL)
		return;
	for (size_t i = 0; envp[i] != NULL; i++) {
		const char *e = envp[i], *eq = strchr(e, '=');
		size_t nlen;
		bool cg;

		if (eq == NULL || eq[1] == '\0')
			continue;
		nlen = (size_t)(eq - e);
		if (strncmp(e, ENV_PREFIX, strlen(ENV_PREFIX)) == 0)
			cg = true;
		else if (strncmp(e, ENV_PREFIX_DNW, strlen(ENV_PREFIX_DNW)) == 0)
			cg = false;
		else
			continue;
		/* CASTGATE_WARP_* wins whatever the order in envp. */
		if (nlen == strlen(cg ? cfg_cg : cfg_dnw) &&
		    strncmp(e, cg ? cfg_cg : cfg_dnw, nlen) == 0) {
			if (cg || !cfg_from_cg) {
				a->config = eq + 1;
				a->config_src = cg ? cfg_cg : cfg_dnw;
				cfg_from_cg = cg;
			}
			continue;
		}
		for (int o = 0; o < CG_WARP_OPT_COUNT; o++) {
			const char *name = cg ? opts[o].env_cg : opts[o].env_dnw;

			if (nlen != strlen(name) || strncmp(e, name, nlen) != 0)
				continue;
			if (cg || !from_cg[o]) {
				a->opt[o] = eq + 1;
				a->src[o] = name;
				from_cg[o] = cg;
			}
		}
	}
}

int
cg_warp_args_parse(int argc, char *const argv[], struct cg_warp_args *a, char *err, size_t errlen)
{
	static const char config_flag[] = "--config";

	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = NULL, *name, *eq;
		size_t nlen;
		int o;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			a->help = true;
			continue;
		}
		if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
			a->version = true;
			continue;
		}
		if (strcmp(arg, "--check-config") == 0 || strcmp(arg, "--validate-config") == 0) {
			a->check_config = true;
			continue;
		}
		if (strcmp(arg, "--print-default-config") == 0) {
			a->print_default_config = true;
			continue;
		}
		/* Short options with a value: -c FILE, -cFILE, -l LEVEL, -lLEVEL. */
		if (arg[0] == '-' && (arg[1] == 'c' || arg[1] == 'l')) {
			bool is_c = arg[1] == 'c';

			if (arg[2] != '\0') {
				val = arg + 2;
			} else {
				if (i + 1 >= argc)
					return cg_util_err(err, errlen, -EINVAL,
							   "-%c needs a value", arg[1]);
				val = argv[++i];
			}
			if (is_c) {
				a->config = val;
				a->config_src = config_flag;
			} else {
				a->opt[CG_WARP_OPT_LOG_LEVEL] = val;
				a->src[CG_WARP_OPT_LOG_LEVEL] = opts[CG_WARP_OPT_LOG_LEVEL].flag_dd;
			}
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
			return cg_util_err(err, errlen, -EINVAL,
					   "unexpected argument \"%s\" (see --help)", arg);
		name = arg + 2;
		eq = strchr(name, '=');
		nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if (nlen == 6 && strncmp(name, "config", 6) == 0) {
			o = -1;
		} else {
			for (o = 0; o < CG_WARP_OPT_COUNT; o++)
				if (strlen(opts[o].flag) == nlen &&
				    strncmp(opts[o].flag, name, nlen) == 0)
					break;
			if (o == CG_WARP_OPT_COUNT)
				return cg_util_err(err, errlen, -EINVAL,
						   "unknown option \"--%.*s\" (see --help)",
						   (int)nlen, name);
		}
		if (eq != NULL) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc)
				return cg_util_err(err, errlen, -EINVAL,
						   "--%.*s needs a value", (int)nlen, name);
			val = argv[++i];
		}
		if (o < 0) {
			a->config = val;
			a->config_src = config_flag;
		} else {
			a->opt[o] = val;
			a->src[o] = opts[o].flag_dd;
		}
	}
	return 0;
}

int
cg_warp_config_apply_args(struct cg_warp_config *cfg, const struct cg_warp_args *a,
			  char *err, size_t errlen)
{
	struct cg_warp_config tmp = *cfg;

	for (int o = 0; o < CG_WARP_OPT_COUNT; o++) {
		if (a->opt[o] == NULL)
			continue;
		if (cg_warp_config_set(&tmp, (enum cg_warp_opt)o, a->opt[o],
				       a->src[o] != NULL ? a->src[o] : opts[o].flag_dd,
				       err, errlen) < 0)
			return -EINVAL;
	}
	*cfg = tmp;
	return 0;
}

/* TLS files only make sense for tcp://, and need each other. */
static int
config_check(const struct cg_warp_config *cfg, char *err, size_t errlen)
{
	/* The first TLS key set names itself, and where it came from, in a refusal. */
	const struct { const char *key; const char *v; enum cg_warp_opt o; } t[] = {
		{ "docker.tls_ca", cfg->tls_ca, CG_WARP_OPT_TLS_CA },
		{ "docker.tls_cert", cfg->tls_cert, CG_WARP_OPT_TLS_CERT },
		{ "docker.tls_key", cfg->tls_key, CG_WARP_OPT_TLS_KEY },
	};
	bool cert = cfg->tls_cert[0] != '\0', key = cfg->tls_key[0] != '\0';

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].v[0] != '\0' && strncmp(cfg->socket, "tcp://", 6) != 0)
			return cg_util_err(err, errlen, -EINVAL,
					   "%s (%s): TLS needs a tcp:// docker socket, not \"%s\" (%s)",
					   t[i].key, cfg->origin[t[i].o], cfg->socket,
					   cfg->origin[CG_WARP_OPT_SOCKET]);
	if (cert != key)
		return cg_util_err(err, errlen, -EINVAL,
				   "%s (%s) is set without %s: set both or neither",
				   t[cert ? 1 : 2].key, cfg->origin[t[cert ? 1 : 2].o],
				   t[cert ? 2 : 1].key);
	/* Found now rather than at every reconnect attempt (and by --check-config). */
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].v[0] != '\0' && access(t[i].v, R_OK) < 0)
			return cg_util_err(err, errlen, -EINVAL, "%s (%s): %s: %s", t[i].key,
					   cfg->origin[t[i].o], t[i].v, strerror(errno));
	return 0;
}

int
cg_warp_config_load(int argc, char *const argv[], char *const envp[],
		    struct cg_warp_config *cfg, struct cg_warp_args *cli, char *err, size_t errlen)
{
	struct cg_warp_args env;
	const char *path;
	int ret;

	cg_warp_config_defaults(cfg);
	ret = cg_warp_args_parse(argc, argv, cli, err, errlen);
	if (ret < 0)
		return ret;
	ret = cg_warp_env_check(envp, err, errlen, NULL, 0);
	if (ret < 0)
		return ret;
	cg_warp_env_parse(envp, &env);
	path = cli->config != NULL ? cli->config : env.config;
	if (path != NULL) {
		if (path[0] == '\0')
			return cg_util_err(err, errlen, -EINVAL, "%s: empty file name",
				    cli->config != NULL ? cli->config_src : env.config_src);
		ret = cg_warp_config_apply_file(cfg, path, err, errlen);
		if (ret < 0)
			return ret;
	}
	ret = cg_warp_config_apply_args(cfg, &env, err, errlen);
	if (ret < 0)
		return ret;
	ret = cg_warp_config_apply_args(cfg, cli, err, errlen);
	if (ret < 0)
		return ret;
	return config_check(cfg, err, errlen);
}

/*
 * TOML output
 */

struct out {
	char *buf;
	size_t size, len;
};

static void
outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
		      o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* A TOML basic string: quotes and backslashes escaped (control chars are refused on input). */
static void
out_str(struct out *o, const char *key, const char *v)
{
	outf(o, "%s = \"", key);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			outf(o, "\\%c", *v);
		else
			outf(o, "%c", *v);
	}
	outf(o, "\"\n");
}

size_t
cg_warp_config_to_toml(const struct cg_warp_config *cfg, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };

	if (size > 0)
		buf[0] = '\0';
	outf(&o, "# castgate-warp configuration (TOML; keys of Docker Network Warp)\n"
	     "# Precedence: command line > environment > this file > defaults.\n\n");
	outf(&o, "# Anchored glob on container names: '*', '?', [a-z], [!a-z]\n");
	out_str(&o, "warp_container_name_pattern", cfg->pattern);
	outf(&o, "# Label on a target container; its value is the warp container's name\n");
	out_str(&o, "target_container_label", cfg->target_label);
	outf(&o, "# Label on a warp on several networks: the network to route through\n");
	out_str(&o, "network_preference_label", cfg->pref_label);
	outf(&o, "# While a warp is down: \"blackhole\" (unreachable routes, fail closed) "
	     "or \"keep\"\n");
	out_str(&o, "on_warp_down", cfg->on_down == CG_WARP_DOWN_KEEP ? "keep" : "blackhole");
	outf(&o, "# DNW compatibility; the [docker] socket URL decides the transport\n");
	out_str(&o, "docker_connection_method", cfg->method);
	outf(&o, "\n# Destinations routed through the warp (0.0.0.0/0 and ::/0 replace the "
	     "default route)\n");
	for (size_t i = 0; i < cfg->n_rules; i++) {
		outf(&o, "[[routing_rules]]\n");
		out_str(&o, "destination", cfg->rules[i].cidr);
		if (cfg->rules[i].protocol[0] != '\0')
			out_str(&o, "protocol", cfg->rules[i].protocol);
		if (cfg->rules[i].port_hi != 0)
			outf(&o, "port_range = [%u, %u]\n", cfg->rules[i].port_lo,
			     cfg->rules[i].port_hi);
	}
	outf(&o, "\n[docker]\n# unix:///PATH, a plain socket path, or tcp://HOST:PORT\n");
	out_str(&o, "socket", cfg->socket);
	if (cfg->tls_ca[0] != '\0')
		out_str(&o, "tls_ca", cfg->tls_ca);
	if (cfg->tls_cert[0] != '\0')
		out_str(&o, "tls_cert", cfg->tls_cert);
	if (cfg->tls_key[0] != '\0')
		out_str(&o, "tls_key", cfg->tls_key);
	outf(&o, "\n[logging]\n# error, warn, info, debug (trace = debug)\n");
	out_str(&o, "level", cfg->log_level_name);
	outf(&o, "# text or json\n");
	out_str(&o, "format", cfg->log_format == CG_LOG_FMT_JSON ? "json" : "text");
	outf(&o, "\n[metrics]\n# /healthz and /metrics; loopback only; \"\" disables\n");
	out_str(&o, "listen", cfg->metrics_listen);
	return o.len;
}
