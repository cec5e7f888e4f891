/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/warp: config layers, glob, classification, next hop, plans. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cg_toml.h"
#include "cg_warp.h"
#include "../cg_unit.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static char tmpdir[] = "/tmp/cg_warp_unit.XXXXXX";

static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	static bool made;
	FILE *f;

	/* A flag, not the template's last X: mkdtemp() may well put an X there. */
	if (!made && mkdtemp(tmpdir) == NULL)
		return NULL;
	made = true;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

/*
 * Config
 */

static void
test_defaults(void)
{
	struct cg_warp_config c;
	char *argv[] = { "castgate-warp", NULL };
	char *envp[] = { NULL };
	struct cg_warp_args cli;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(cg_warp_config_load(ARGC(argv), argv, envp, &c, &cli, err,
						  sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.pattern, "warp-*");
	CU_ASSERT_STRING_EQUAL(c.target_label, "network.warp.target");
	CU_ASSERT_STRING_EQUAL(c.pref_label, "network.warp.network");
	CU_ASSERT_EQUAL(c.n_rules, 1);
	CU_ASSERT_STRING_EQUAL(c.rules[0].cidr, "0.0.0.0/0");
	CU_ASSERT_EQUAL(c.rules[0].dst.family, AF_INET);
	CU_ASSERT_EQUAL(c.rules[0].dst.dst_len, 0);
	CU_ASSERT_EQUAL(c.log_level, CG_LOG_INFO);
	CU_ASSERT_STRING_EQUAL(c.socket, "unix:///var/run/docker.sock");
	CU_ASSERT_EQUAL(c.on_down, CG_WARP_DOWN_BLACKHOLE);
	CU_ASSERT_STRING_EQUAL(c.metrics_listen, "127.0.0.1:9464");
	CU_ASSERT_NOT_EQUAL(c.metrics_addrlen, 0);
	CU_ASSERT_STRING_EQUAL(c.origin[CG_WARP_OPT_PATTERN], "default");
}

static const char toml_all[] =
	"warp_container_name_pattern = \"toml-*\"\n"
	"target_container_label = \"toml.target\"\n"
	"network_preference_label = \"toml.net\"\n"
	"on_warp_down = \"keep\"\n"
	"[[routing_rules]]\n"
	"destination = \"10.0.0.0/8\"\n"
	"[[routing_rules]]\n"
	"destination = \"2001:db8::/32\"\n"
	"[docker]\n"
	"socket = \"/toml/docker.sock\"\n"
	"[logging]\n"
	"level = \"warn\"\n"
	"format = \"json\"\n"
	"[metrics]\n"
	"listen = \"127.0.0.2:9000\"\n";

/* Each layer over the one below, key by key. */
static void
test_precedence(void)
{
	const char *path = write_file("all.toml", toml_all);
	char cfgarg[300];
	struct cg_warp_config c;
	struct cg_warp_args cli;
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	snprintf(cfgarg, sizeof(cfgarg), "--config=%s", path);

	/* TOML over defaults. */
	{
		char *argv[] = { "x", cfgarg, NULL };
		char *envp[] = { NULL };

		CU_ASSERT_EQUAL_FATAL(cg_warp_config_load(ARGC(argv), argv, envp, &c, &cli, err,
							  sizeof(err)), 0);
		CU_ASSERT_STRING_EQUAL(c.pattern, "toml-*");
		CU_ASSERT_STRING_EQUAL(c.target_label, "toml.target");
		CU_ASSERT_STRING_EQUAL(c.pref_label, "toml.net");
		CU_ASSERT_EQUAL(c.on_down, CG_WARP_DOWN_KEEP);
		CU_ASSERT_EQUAL(c.n_rules, 2);
		CU_ASSERT_STRING_EQUAL(c.rules[1].cidr, "2001:db8::/32");
		CU_ASSERT_STRING_EQUAL(c.socket, "/toml/docker.sock");
		CU_ASSERT_EQUAL(c.log_level, CG_LOG_WARN);
		CU_ASSERT_EQUAL(c.log_format, CG_LOG_FMT_JSON);
		CU_ASSERT_STRING_EQUAL(c.metrics_listen, "127.0.0.2:9000");
		CU_ASSERT_STRING_EQUAL(c.config_path, path);
	}
	/* Env over TOML (DNW names too), config file named by env. */
	{
		char envcfg[300];
		char *argv[] = { "x", NULL };
		char *envp[] = { envcfg, "CASTGATE_WARP_WARP_CONTAINER_PATTERN=env-*",
				 "DOCKER_NETWORK_WARP_TARGET_CONTAINER_LABEL=env.target",
				 "CASTGATE_WARP_ROUTING_RULES=192.168.0.0/16, ::/0",
				 "CASTGATE_WARP_LOG_LEVEL=debug", "CASTGATE_WARP_ON_WARP_DOWN=blackhole",
				 "CASTGATE_WARP_METRICS_LISTEN=", "UNRELATED=1", NULL };

		snprintf(envcfg, sizeof(envcfg), "CASTGATE_WARP_CONFIG=%s", path);
		CU_ASSERT_EQUAL_FATAL(cg_warp_config_load(ARGC(argv), argv, envp, &c, &cli, err,
							  sizeof(err)), 0);
		CU_ASSERT_STRING_EQUAL(c.pattern, "env-*");
		CU_ASSERT_STRING_EQUAL(c.origin[CG_WARP_OPT_PATTERN],
				       "CASTGATE_WARP_WARP_CONTAINER_PATTERN");
		CU_ASSERT_STRING_EQUAL(c.target_label, "env.target");
		CU_ASSERT_STRING_EQUAL(c.pref_label, "toml.net");       /* from TOML */
		CU_ASSERT_EQUAL(c.n_rules, 2);
		CU_ASSERT_STRING_EQUAL(c.rules[0].cidr, "192.168.0.0/16");
		CU_ASSERT_STRING_EQUAL(c.rules[1].cidr, "::/0");
		CU_ASSERT_EQUAL(c.log_level, CG_LOG_DEBUG);
		CU_ASSERT_EQUAL(c.log_format, CG_LOG_FMT_JSON);         /* from TOML */
		CU_ASSERT_EQUAL(c.on_down, CG_WARP_DOWN_BLACKHOLE);
		/* An empty env value counts as unset. */
		CU_ASSERT_STRING_EQUAL(c.metrics_listen, "127.0.0.2:9000");
	}
	/* CLI over env over TOML. */
	{
		char *argv[] = { "x", "-c", (char *)path, "--warp-container-pattern", "cli-*",
				 "-l", "error", "--metrics-listen", "", "--routing-rules",
				 "172.16.0.0/12:udp:53-53", NULL };
		char *envp[] = { "CASTGATE_WARP_WARP_CONTAINER_PATTERN=env-*",
				 "CASTGATE_WARP_LOG_LEVEL=debug",
				 "CASTGATE_WARP_NETWORK_PREFERENCE_LABEL=env.net", NULL };

		CU_ASSERT_EQUAL_FATAL(cg_warp_config_load(ARGC(argv), argv, envp, &c, &cli, err,
							  sizeof(err)), 0);
		CU_ASSERT_STRING_EQUAL(c.pattern, "cli-*");
		CU_ASSERT_STRING_EQUAL(c.origin[CG_WARP_OPT_PATTERN], "--warp-container-pattern");
		CU_ASSERT_EQUAL(c.log_level, CG_LOG_ERR);
		CU_ASSERT_STRING_EQUAL(c.pref_label, "env.net");
		CU_ASSERT_STRING_EQUAL(c.target_label, "toml.target");
		CU_ASSERT_STRING_EQUAL(c.metrics_listen, "");            /* "" disables */
		CU_ASSERT_EQUAL(c.metrics_addrlen, 0);
		CU_ASSERT_EQUAL(c.n_rules, 1);
		CU_ASSERT_STRING_EQUAL(c.rules[0].protocol, "udp");
		CU_ASSERT_EQUAL(c.rules[0].port_lo, 53);
	}
}

/* CASTGATE_WARP_* wins over DOCKER_NETWORK_WARP_* whatever the order. */
static void
test_env_prefix_order(void)
{
	struct cg_warp_args a;
	char *e1[] = { "CASTGATE_WARP_LOG_LEVEL=debug", "DOCKER_NETWORK_WARP_LOG_LEVEL=error",
		       NULL };
	char *e2[] = { "DOCKER_NETWORK_WARP_LOG_LEVEL=error", "CASTGATE_WARP_LOG_LEVEL=debug",
		       NULL };
	char *e3[] = { "DOCKER_NETWORK_WARP_LOG_LEVEL=trace", NULL };

	cg_warp_env_parse(e1, &a);
	CU_ASSERT_STRING_EQUAL(a.opt[CG_WARP_OPT_LOG_LEVEL], "debug");
	cg_warp_env_parse(e2, &a);
	CU_ASSERT_STRING_EQUAL(a.opt[CG_WARP_OPT_LOG_LEVEL], "debug");
	CU_ASSERT_STRING_EQUAL(a.src[CG_WARP_OPT_LOG_LEVEL], "CASTGATE_WARP_LOG_LEVEL");
	cg_warp_env_parse(e3, &a);
	CU_ASSERT_STRING_EQUAL(a.src[CG_WARP_OPT_LOG_LEVEL], "DOCKER_NETWORK_WARP_LOG_LEVEL");
}

static int
load_err(char **argv, int argc, char **envp, char *err, size_t errlen)
{
	struct cg_warp_config c;
	struct cg_warp_args cli;

	err[0] = '\0';
	return cg_warp_config_load(argc, argv, envp, &c, &cli, err, errlen);
}

/* An unknown CASTGATE_WARP_* variable is an error naming it; DNW's prefix only reports it. */
static void
test_env_unknown(void)
{
	char err[512], dnw[256];
	char *argv[] = { "x", NULL };
	char *e1[] = { "CASTGATE_WARP_ROUTING_RULE=10.0.0.0/8", NULL };
	char *e2[] = { "CASTGATE_WARP_BOGUS=1", NULL };
	char *e3[] = { "DOCKER_NETWORK_WARP_BOGUS=1", "DOCKER_NETWORK_WARP_X=2",
		       "CASTGATE_WARP_LOG_LEVEL=debug", NULL };
	char *e4[] = { "CASTGATE_WARP_BOGUS=", "CASTGATE_WARPX=1", NULL };

	CU_ASSERT_EQUAL(load_err(argv, 1, e1, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "CASTGATE_WARP_ROUTING_RULE: unknown environment"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "did you mean CASTGATE_WARP_ROUTING_RULES?"));
	CU_ASSERT_EQUAL(load_err(argv, 1, e2, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "CASTGATE_WARP_BOGUS: unknown environment"));
	CU_ASSERT_PTR_NULL(strstr(err, "did you mean"));
	CU_ASSERT_EQUAL(load_err(argv, 1, e3, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_warp_env_check(e3, err, sizeof(err), dnw, sizeof(dnw)), 0);
	CU_ASSERT_STRING_EQUAL(dnw, "DOCKER_NETWORK_WARP_BOGUS, DOCKER_NETWORK_WARP_X");
	/* Empty counts as unset; another prefix is not ours. */
	CU_ASSERT_EQUAL(load_err(argv, 1, e4, err, sizeof(err)), 0);
}

static void
test_cli_errors(void)
{
	char err[256];
	char *envp[] = { NULL };
	char *a1[] = { "x", "--routing-rules", "10.0.0.1/8", NULL };
	char *a2[] = { "x", "--on-warp-down", "drop", NULL };
	char *a3[] = { "x", "--metrics-listen", "0.0.0.0:9464", NULL };
	char *a4[] = { "x", "--warp-container-pattern", "warp-[", NULL };
	char *a5[] = { "x", "--target-container-label", "", NULL };
	char *a6[] = { "x", "--frobnicate", NULL };
	char *a7[] = { "x", "--log-level", NULL };
	char *a8[] = { "x", "--routing-rules", "10.0.0.0/33", NULL };
	char *a9[] = { "x", "--metrics-listen", "[::1]:0", NULL };
	char *a10[] = { "x", "--routing-rules", "10.0.0.0/8,10.0.0.0/8", NULL };
	char *a11[] = { "x", "--docker-socket", "docker.sock", NULL };
	char *e1[] = { "CASTGATE_WARP_ROUTING_RULES=10.0.0.0", NULL };
	char *a0[] = { "x", NULL };

	CU_ASSERT_EQUAL(load_err(a1, ARGC(a1), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--routing-rules"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "host bits"));
	CU_ASSERT_EQUAL(load_err(a2, ARGC(a2), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--on-warp-down"));
	CU_ASSERT_EQUAL(load_err(a3, ARGC(a3), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "loopback"));
	CU_ASSERT_EQUAL(load_err(a4, ARGC(a4), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--warp-container-pattern"));
	CU_ASSERT_EQUAL(load_err(a5, ARGC(a5), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--target-container-label"));
	CU_ASSERT_EQUAL(load_err(a6, ARGC(a6), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--frobnicate"));
	CU_ASSERT_EQUAL(load_err(a7, ARGC(a7), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(load_err(a8, ARGC(a8), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "out of range"));
	CU_ASSERT_EQUAL(load_err(a9, ARGC(a9), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(load_err(a10, ARGC(a10), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "twice"));
	CU_ASSERT_EQUAL(load_err(a11, ARGC(a11), envp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(load_err(a0, ARGC(a0), e1, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "CASTGATE_WARP_ROUTING_RULES"));
}

static void
test_toml_errors(void)
{
	static const struct {
		const char *text, *want1, *want2;
	} cases[] = {
		{ "[[routing_rules]]\ndestination = \"10.0.0.0/8\"\n"
		  "[[routing_rules]]\ndestination = \"10.1.0.1/16\"\n",
		  "routing_rules[1].destination (line 4)", "host bits" },
		{ "bogus = 1\n", "bogus", "unknown" },
		{ "on_warp_down = \"drop\"\n", "on_warp_down (line 1)", "blackhole" },
		{ "[metrics]\nlisten = \"10.0.0.1:80\"\n", "metrics.listen (line 2)", "loopback" },
		{ "[[routing_rules]]\nprotocol = \"tcp\"\n", "destination", "missing" },
		{ "[[routing_rules]]\ndestination = \"10.0.0.0/8\"\nport_range = [443, 80]\n",
		  "port_range (line 3)", "reversed" },
		{ "warp_container_name_pattern = 5\n", "warp_container_name_pattern", "string" },
		{ "[logging]\nlevel = \"loud\"\n", "logging.level (line 2)", "loud" },
		{ "[docker]\nsocket = \"tcp://h:1\"\ntls_cert = \"/c\"\n",
		  "docker.tls_cert (", "without docker.tls_key" },
		{ "[docker]\nsocket = \"tcp://h:1\"\ntls_key = \"/k\"\n",
		  "docker.tls_key (", "without docker.tls_cert" },
		/* the key that is set is named, not always tls_ca */
		{ "[docker]\ntls_cert = \"/c\"\ntls_key = \"/k\"\n",
		  "docker.tls_cert (", "needs a tcp://" },
		/* a TLS file that is not there (or not readable) */
		{ "[docker]\nsocket = \"tcp://h:1\"\ntls_ca = \"/nonexistent/ca.pem\"\n",
		  "docker.tls_ca (", "/nonexistent/ca.pem: No such file or directory" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = write_file("bad.toml", cases[i].text);
		char *argv[] = { "x", "-c", (char *)path, NULL };
		char *envp[] = { NULL };

		CU_ASSERT_EQUAL(load_err(argv, ARGC(argv), envp, err, sizeof(err)), -EINVAL);
		if (strstr(err, cases[i].want1) == NULL || strstr(err, cases[i].want2) == NULL)
			fprintf(stderr, "case %zu: unexpected message: %s\n", i, err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].want1));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].want2));
	}
	{
		char *argv[] = { "x", "-c", "/nonexistent/warp.toml", NULL };
		char *envp[] = { NULL };

		CU_ASSERT(load_err(argv, ARGC(argv), envp, err, sizeof(err)) < 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/warp.toml"));
	}
}

/* A DNW config file (with its own extra keys) loads unchanged. */
static void
test_dnw_file(void)
{
	const char *path = write_file("dnw.toml",
		"docker_connection_method = \"socket\"\n"
		"warp_container_name_pattern = \"proxy-*\"\n"
		"target_container_label = \"app.proxy.target\"\n"
		"network_preference_label = \"app.proxy.network\"\n"
		"[logging]\nlevel = \"trace\"\nformat = \"plain\"\n"
		"[docker]\nsocket = \"/var/run/docker.sock\"\napi_version = \"1.41\"\n"
		"[[routing_rules]]\ndestination = \"10.0.0.0/8\"\nprotocol = \"tcp\"\n"
		"port_range = [80, 443]\n"
		"[[routing_rules]]\ndestination = \"192.168.0.0/16\"\n");
	char *argv[] = { "x", "-c", (char *)path, NULL };
	char *envp[] = { NULL };
	struct cg_warp_config c;
	struct cg_warp_args cli;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(cg_warp_config_load(ARGC(argv), argv, envp, &c, &cli, err,
						  sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.pattern, "proxy-*");
	CU_ASSERT_EQUAL(c.log_level, CG_LOG_DEBUG);
	CU_ASSERT_EQUAL(c.n_rules, 2);
	CU_ASSERT_EQUAL(c.rules[0].port_hi, 443);
}

/* --print-default-config output loads back to the same settings; so does a custom one. */
static void
test_toml_roundtrip(void)
{
	struct cg_warp_config d, c2, c3;
	char buf[8192], err[256];
	json_object *root;
	char *argv[] = { "x", "--routing-rules", "10.0.0.0/8:tcp:1-2,2001:db8::/48",
			 "--on-warp-down", "keep", "--warp-container-pattern", "gw-\"q\"\\*",
			 "--metrics-listen", "[::1]:9", NULL };
	char *envp[] = { NULL };
	struct cg_warp_args cli;

	cg_warp_config_defaults(&d);
	CU_ASSERT(cg_warp_config_to_toml(&d, buf, sizeof(buf)) < sizeof(buf));
	root = cg_toml_parse(buf, strlen(buf), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	cg_warp_config_defaults(&c2);
	snprintf(c2.pattern, sizeof(c2.pattern), "changed");
	CU_ASSERT_EQUAL(cg_warp_config_apply_toml(&c2, root, "rt", err, sizeof(err)), 0);
	json_object_put(root);
	CU_ASSERT_STRING_EQUAL(c2.pattern, d.pattern);
	CU_ASSERT_STRING_EQUAL(c2.socket, d.socket);
	CU_ASSERT_STRING_EQUAL(c2.metrics_listen, d.metrics_listen);
	CU_ASSERT_EQUAL(c2.n_rules, d.n_rules);

	CU_ASSERT_EQUAL_FATAL(cg_warp_config_load(ARGC(argv), argv, envp, &c2, &cli, err,
						  sizeof(err)), 0);
	cg_warp_config_to_toml(&c2, buf, sizeof(buf));
	root = cg_toml_parse(buf, strlen(buf), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	cg_warp_config_defaults(&c3);
	CU_ASSERT_EQUAL(cg_warp_config_apply_toml(&c3, root, "rt", err, sizeof(err)), 0);
	json_object_put(root);
	CU_ASSERT_STRING_EQUAL(c3.pattern, "gw-\"q\"\\*");
	CU_ASSERT_EQUAL(c3.on_down, CG_WARP_DOWN_KEEP);
	CU_ASSERT_EQUAL(c3.n_rules, 2);
	CU_ASSERT_STRING_EQUAL(c3.rules[1].cidr, "2001:db8::/48");
	CU_ASSERT_STRING_EQUAL(c3.rules[0].protocol, "tcp");
	CU_ASSERT_STRING_EQUAL(c3.metrics_listen, "[::1]:9");
}

static void
test_cli_actions(void)
{
	struct cg_warp_args a;
	char err[128];
	char *argv[] = { "x", "--validate-config", "--print-default-config", "-V", "-h",
			 "-cfile", "-linfo", NULL };
	char *bad[] = { "x", "stray", NULL };

	CU_ASSERT_EQUAL(cg_warp_args_parse(ARGC(argv), argv, &a, err, sizeof(err)), 0);
	CU_ASSERT(a.check_config && a.print_default_config && a.version && a.help);
	CU_ASSERT_STRING_EQUAL(a.config, "file");
	CU_ASSERT_STRING_EQUAL(a.opt[CG_WARP_OPT_LOG_LEVEL], "info");
	CU_ASSERT_EQUAL(cg_warp_args_parse(ARGC(bad), bad, &a, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "stray"));
}

static void
test_cidr(void)
{
	struct cg_nl_route r;
	char err[128], buf[64];

	CU_ASSERT_EQUAL(cg_warp_cidr_parse("0.0.0.0/0", &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("::/0", &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.family, AF_INET6);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("2001:DB8:0::/32", &r, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cg_warp_route_cidr(&r, buf, sizeof(buf)), "2001:db8::/32");
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("198.18.0.1/32", &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("10.0.0.0", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("10.0.0/8", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("10.0.0.0/8x", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("10.0.0.0/", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("10.0.0.0/-1", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("::1/129", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("2001:db8::1/64", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("/8", &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_warp_cidr_parse("10.0.0.0/99999999999999999999", &r, err,
					   sizeof(err)), -EINVAL);
}

/*
 * Glob
 */

static void
test_glob(void)
{
	char err[128];

	CU_ASSERT(cg_warp_glob_match("warp-*", "warp-1"));
	CU_ASSERT(cg_warp_glob_match("warp-*", "warp-"));
	CU_ASSERT(!cg_warp_glob_match("warp-*", "proxy-warp"));
	CU_ASSERT(!cg_warp_glob_match("warp-*", "proxy-warp-1"));   /* anchored at start */
	CU_ASSERT(!cg_warp_glob_match("warp", "warp-1"));           /* anchored at end */
	CU_ASSERT(!cg_warp_glob_match("warp-*", "Warp-1"));         /* case-sensitive */
	CU_ASSERT(cg_warp_glob_match("*-gw", "eu-west-gw"));
	CU_ASSERT(!cg_warp_glob_match("*-gw", "eu-west-gw2"));
	CU_ASSERT(cg_warp_glob_match("w?rp-[0-9]", "warp-7"));
	CU_ASSERT(!cg_warp_glob_match("w?rp-[0-9]", "warp-77"));
	CU_ASSERT(!cg_warp_glob_match("w?rp-[0-9]", "wrp-7"));
	CU_ASSERT(cg_warp_glob_match("warp-[!0-9]", "warp-a"));
	CU_ASSERT(!cg_warp_glob_match("warp-[^0-9]", "warp-5"));
	CU_ASSERT(cg_warp_glob_match("a*b*c", "axxbyyc"));
	CU_ASSERT(!cg_warp_glob_match("a*b*c", "axxbyy"));
	CU_ASSERT(cg_warp_glob_match("*", ""));
	CU_ASSERT(cg_warp_glob_match("\\*", "*"));
	CU_ASSERT(!cg_warp_glob_match("\\*", "x"));
	CU_ASSERT(cg_warp_glob_match("[]x]", "]"));
	CU_ASSERT(cg_warp_glob_match("a/b.*", "a/b.c"));
	CU_ASSERT(cg_warp_glob_match("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
	CU_ASSERT(!cg_warp_glob_match("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	CU_ASSERT_EQUAL(cg_warp_glob_check("warp-[", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_warp_glob_check("warp-\\", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(cg_warp_glob_check("[z-a]", err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "reversed"));
	CU_ASSERT_EQUAL(cg_warp_glob_check("", err, sizeof(err)), -EINVAL);
	CU_ASSERT(!cg_warp_glob_match("warp-[", "warp-["));         /* malformed: nothing */
}

/*
 * Containers
 */

static void
mk(struct cg_docker_container *c, const char *name, const char *labels_json)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%064x", (unsigned int)strlen(name));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->running = true;
	c->pid = 42;
	c->labels = labels_json != NULL ? json_tokener_parse(labels_json) : NULL;
}

static void
addnet(struct cg_docker_container *c, const char *net, const char *v4, const char *v6)
{
	struct cg_docker_net *n = &c->nets[c->n_nets++];

	snprintf(n->name, sizeof(n->name), "%s", net);
	snprintf(n->ipv4, sizeof(n->ipv4), "%s", v4);
	n->ipv4_prefix = v4[0] ? 24 : 0;
	snprintf(n->ipv6, sizeof(n->ipv6), "%s", v6);
	n->ipv6_prefix = v6[0] ? 64 : 0;
}

static void
drop(struct cg_docker_container *c)
{
	json_object_put(c->labels);
	c->labels = NULL;
}

static void
test_classify(void)
{
	struct cg_warp_config cfg;
	struct cg_docker_container c;
	const char *wn;
	char note[256];

	cg_warp_config_defaults(&cfg);
	mk(&c, "warp-1", NULL);
	CU_ASSERT_EQUAL(cg_warp_classify(&cfg, &c, &wn, note, sizeof(note)), CG_WARP_ROLE_WARP);
	CU_ASSERT_STRING_EQUAL(note, "");
	drop(&c);
	mk(&c, "app", "{\"network.warp.target\":\"warp-1\"}");
	CU_ASSERT_EQUAL(cg_warp_classify(&cfg, &c, &wn, note, sizeof(note)), CG_WARP_ROLE_TARGET);
	CU_ASSERT_STRING_EQUAL(wn, "warp-1");
	drop(&c);
	mk(&c, "proxy-warp", "{\"other\":\"x\"}");
	CU_ASSERT_EQUAL(cg_warp_classify(&cfg, &c, &wn, note, sizeof(note)), CG_WARP_ROLE_NONE);
	CU_ASSERT_PTR_NULL(wn);
	drop(&c);
	/* Both: warp wins, with a note. */
	mk(&c, "warp-2", "{\"network.warp.target\":\"warp-1\"}");
	CU_ASSERT_EQUAL(cg_warp_classify(&cfg, &c, &wn, note, sizeof(note)), CG_WARP_ROLE_WARP);
	CU_ASSERT_PTR_NOT_NULL(strstr(note, "ignored"));
	drop(&c);
	/* Empty label value: neither, with a note. */
	mk(&c, "app", "{\"network.warp.target\":\"\"}");
	CU_ASSERT_EQUAL(cg_warp_classify(&cfg, &c, &wn, note, sizeof(note)), CG_WARP_ROLE_NONE);
	CU_ASSERT_PTR_NOT_NULL(strstr(note, "empty"));
	drop(&c);
	/* Custom label key. */
	snprintf(cfg.target_label, sizeof(cfg.target_label), "x.y");
	mk(&c, "app", "{\"network.warp.target\":\"warp-1\",\"x.y\":\"gw\"}");
	CU_ASSERT_EQUAL(cg_warp_classify(&cfg, &c, &wn, note, sizeof(note)), CG_WARP_ROLE_TARGET);
	CU_ASSERT_STRING_EQUAL(wn, "gw");
	drop(&c);
}

static void
test_nexthop(void)
{
	struct cg_warp_config cfg;
	struct cg_docker_container w, t;
	struct cg_warp_nexthop nh;
	uint8_t gw[16];
	char err[256];

	cg_warp_config_defaults(&cfg);
	/* Single network, dual stack. */
	mk(&w, "warp-1", NULL);
	addnet(&w, "n1", "198.19.32.2", "2001:db8:2::2");
	mk(&t, "app", NULL);
	addnet(&t, "n1", "198.19.32.3", "");
	CU_ASSERT_EQUAL(cg_warp_nexthop_choose(&cfg, &w, &t, &nh, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(nh.network, "n1");
	CU_ASSERT_STRING_EQUAL(nh.v4_str, "198.19.32.2");
	CU_ASSERT_STRING_EQUAL(nh.v6_str, "2001:db8:2::2");
	CU_ASSERT_EQUAL(cg_warp_nexthop_gw(&nh, AF_INET, gw), 0);
	CU_ASSERT_EQUAL(gw[0], 198);
	CU_ASSERT_EQUAL(gw[3], 2);
	CU_ASSERT_EQUAL(cg_warp_nexthop_gw(&nh, AF_INET6, gw), 0);

	/* Several networks without preference: ambiguous. */
	addnet(&w, "n2", "198.19.33.2", "");
	addnet(&t, "n2", "198.19.33.3", "");
	CU_ASSERT_EQUAL(cg_warp_nexthop_choose(&cfg, &w, &t, &nh, err, sizeof(err)), -ENOTUNIQ);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "network.warp.network"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "n1, n2"));

	/* With the preference label. */
	w.labels = json_tokener_parse("{\"network.warp.network\":\"n2\"}");
	CU_ASSERT_EQUAL(cg_warp_nexthop_choose(&cfg, &w, &t, &nh, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(nh.network, "n2");
	CU_ASSERT_STRING_EQUAL(nh.v4_str, "198.19.33.2");
	CU_ASSERT(!nh.has_v6);
	CU_ASSERT_EQUAL(cg_warp_nexthop_gw(&nh, AF_INET6, gw), -EAFNOSUPPORT);
	drop(&w);

	/* Preferred network missing on the warp. */
	w.labels = json_tokener_parse("{\"network.warp.network\":\"n9\"}");
	CU_ASSERT_EQUAL(cg_warp_nexthop_choose(&cfg, &w, &t, &nh, err, sizeof(err)), -ENONET);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "n9"));
	drop(&w);

	/* Target not on the preferred network. */
	w.labels = json_tokener_parse("{\"network.warp.network\":\"n1\"}");
	t.n_nets = 0;
	addnet(&t, "n2", "198.19.33.3", "");
	CU_ASSERT_EQUAL(cg_warp_nexthop_choose(&cfg, &w, &t, &nh, err, sizeof(err)),
			-ENETUNREACH);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "n1"));
	drop(&w);

	/* Single network, no shared network. */
	w.n_nets = 0;
	addnet(&w, "n1", "198.19.32.2", "");
	CU_ASSERT_EQUAL(cg_warp_nexthop_choose(&cfg, &w, &t, &nh, err, sizeof(err)),
			-ENETUNREACH);

	/* No address at all on the network. */
	w.n_nets = 0;
	addnet(&w, "n2", "", "");
	CU_ASSERT_EQUAL(cg_warp_nexthop_choose(&cfg, &w, &t, &nh, err, sizeof(err)),
			-EADDRNOTAVAIL);
	/* Malformed address. */
	w.n_nets = 0;
	addnet(&w, "n2", "300.1.1.1", "");
	CU_ASSERT_EQUAL(cg_warp_nexthop_choose(&cfg, &w, &t, &nh, err, sizeof(err)),
			-EADDRNOTAVAIL);
	/* No network at all. */
	w.n_nets = 0;
	CU_ASSERT_EQUAL(cg_warp_nexthop_choose(&cfg, &w, &t, &nh, err, sizeof(err)),
			-ENETUNREACH);
	drop(&t);
}

/*
 * Route planning
 */

static void
nh_v4(struct cg_warp_nexthop *nh, const char *a)
{
	memset(nh, 0, sizeof(*nh));
	nh->has_v4 = inet_pton(AF_INET, a, nh->v4) == 1;
	snprintf(nh->v4_str, sizeof(nh->v4_str), "%s", a);
}

static void
apply_all(struct cg_warp_record *rec, const struct cg_warp_plan *p)
{
	for (size_t i = 0; i < p->n_ops; i++)
		cg_warp_record_apply(rec, &p->ops[i]);
}

static void
cfg_rules(struct cg_warp_config *cfg, const char *rules)
{
	char err[128];

	cg_warp_config_defaults(cfg);
	CU_ASSERT_EQUAL_FATAL(cg_warp_config_set(cfg, CG_WARP_OPT_RULES, rules, "t", err,
						 sizeof(err)), 0);
}

static void
test_plan_idempotent(void)
{
	struct cg_warp_config cfg;
	struct cg_warp_nexthop nh;
	struct cg_warp_record rec = { 0 };
	struct cg_warp_plan p;
	char via[64];

	cfg_rules(&cfg, "0.0.0.0/0,10.0.0.0/8");
	nh_v4(&nh, "198.19.32.2");
	cg_warp_plan_routes(&cfg, &nh, &rec, &p);
	CU_ASSERT_EQUAL_FATAL(p.n_ops, 2);
	CU_ASSERT_EQUAL(p.ops[0].action, CG_WARP_ACT_ADD);
	CU_ASSERT_EQUAL(p.ops[0].route.type, CG_NL_ROUTE_UNICAST);
	CU_ASSERT_STRING_EQUAL(cg_warp_route_via(&p.ops[0].route, via, sizeof(via)),
			       "198.19.32.2");
	CU_ASSERT_EQUAL(p.n_notes, 0);
	apply_all(&rec, &p);
	CU_ASSERT_EQUAL(rec.n, 2);
	cg_warp_plan_routes(&cfg, &nh, &rec, &p);
	CU_ASSERT_EQUAL(p.n_ops, 0);   /* second application: nothing to do */
	cg_warp_plan_routes(&cfg, &nh, &rec, &p);
	CU_ASSERT_EQUAL(p.n_ops, 0);
}

static void
test_plan_ip_change(void)
{
	struct cg_warp_config cfg;
	struct cg_warp_nexthop nh;
	struct cg_warp_record rec = { 0 };
	struct cg_warp_plan p;
	char via[64];

	cfg_rules(&cfg, "0.0.0.0/0");
	nh_v4(&nh, "198.19.32.2");
	cg_warp_plan_routes(&cfg, &nh, &rec, &p);
	apply_all(&rec, &p);
	nh_v4(&nh, "198.19.32.9");
	cg_warp_plan_routes(&cfg, &nh, &rec, &p);
	CU_ASSERT_EQUAL_FATAL(p.n_ops, 1);
	CU_ASSERT_EQUAL(p.ops[0].action, CG_WARP_ACT_REPLACE);   /* replace, not add */
	CU_ASSERT_STRING_EQUAL(cg_warp_route_via(&p.ops[0].route, via, sizeof(via)),
			       "198.19.32.9");
	apply_all(&rec, &p);
	CU_ASSERT_EQUAL(rec.n, 1);                                /* one route per CIDR */
	CU_ASSERT_STRING_EQUAL(cg_warp_route_via(&rec.routes[0], via, sizeof(via)),
			       "198.19.32.9");
}

static void
test_plan_down(void)
{
	struct cg_warp_config cfg;
	struct cg_warp_nexthop nh;
	struct cg_warp_record rec = { 0 }, saved;
	struct cg_warp_plan p;

	cfg_rules(&cfg, "0.0.0.0/0,::/0");
	nh_v4(&nh, "198.19.32.2");
	cg_warp_plan_routes(&cfg, &nh, &rec, &p);
	/* v4 via the warp; v6 has no next hop: fail closed and a note. */
	CU_ASSERT_EQUAL_FATAL(p.n_ops, 2);
	CU_ASSERT_EQUAL(p.ops[0].action, CG_WARP_ACT_ADD);
	CU_ASSERT_EQUAL(p.ops[1].action, CG_WARP_ACT_BLACKHOLE);
	CU_ASSERT_EQUAL(p.ops[1].route.type, CG_NL_ROUTE_UNREACHABLE);
	CU_ASSERT_EQUAL(p.ops[1].route.family, AF_INET6);
	CU_ASSERT_EQUAL_FATAL(p.n_notes, 1);
	CU_ASSERT_EQUAL(p.notes[0].rule, 1);
	CU_ASSERT_EQUAL(p.notes[0].error, -EAFNOSUPPORT);
	apply_all(&rec, &p);

	/* Warp down, blackhole: the v4 route becomes unreachable, v6 already is. */
	cg_warp_plan_routes(&cfg, NULL, &rec, &p);
	CU_ASSERT_EQUAL_FATAL(p.n_ops, 1);
	CU_ASSERT_EQUAL(p.ops[0].action, CG_WARP_ACT_BLACKHOLE);
	CU_ASSERT_EQUAL(p.ops[0].route.family, AF_INET);
	CU_ASSERT_EQUAL(p.n_notes, 0);
	apply_all(&rec, &p);
	cg_warp_plan_routes(&cfg, NULL, &rec, &p);
	CU_ASSERT_EQUAL(p.n_ops, 0);
	CU_ASSERT_EQUAL(rec.n, 2);

	/* Back up: replace the unreachable v4 route with the via route. */
	cg_warp_plan_routes(&cfg, &nh, &rec, &p);
	CU_ASSERT_EQUAL_FATAL(p.n_ops, 1);
	CU_ASSERT_EQUAL(p.ops[0].action, CG_WARP_ACT_REPLACE);
	apply_all(&rec, &p);

	/* keep: nothing changes while the warp is down. */
	cfg.on_down = CG_WARP_DOWN_KEEP;
	saved = rec;
	cg_warp_plan_routes(&cfg, NULL, &rec, &p);
	CU_ASSERT_EQUAL(p.n_ops, 0);
	CU_ASSERT_EQUAL(memcmp(&saved, &rec, sizeof(rec)), 0);
	/* keep with nothing installed yet: still nothing. */
	memset(&rec, 0, sizeof(rec));
	cg_warp_plan_routes(&cfg, NULL, &rec, &p);
	CU_ASSERT_EQUAL(p.n_ops, 0);
}

static void
test_plan_remove_stale(void)
{
	struct cg_warp_config cfg;
	struct cg_warp_nexthop nh;
	struct cg_warp_record rec = { 0 };
	struct cg_warp_plan p;
	char buf[64];

	cfg_rules(&cfg, "10.0.0.0/8,172.16.0.0/12");
	nh_v4(&nh, "198.19.32.2");
	cg_warp_plan_routes(&cfg, &nh, &rec, &p);
	apply_all(&rec, &p);
	cfg_rules(&cfg, "172.16.0.0/12");
	cg_warp_plan_routes(&cfg, &nh, &rec, &p);
	CU_ASSERT_EQUAL_FATAL(p.n_ops, 1);
	CU_ASSERT_EQUAL(p.ops[0].action, CG_WARP_ACT_REMOVE);
	CU_ASSERT_STRING_EQUAL(cg_warp_route_cidr(&p.ops[0].route, buf, sizeof(buf)),
			       "10.0.0.0/8");
	apply_all(&rec, &p);
	CU_ASSERT_EQUAL(rec.n, 1);
	cg_warp_plan_routes(&cfg, &nh, &rec, &p);
	CU_ASSERT_EQUAL(p.n_ops, 0);
}

/*
 * Safety
 */

static void
test_safety_network_mode(void)
{
	struct cg_docker_container c;
	char why[256];

	mk(&c, "t1", NULL);
	CU_ASSERT_EQUAL(cg_warp_check_network_mode(&c, "target", why, sizeof(why)), CG_WARP_SAFE);
	CU_ASSERT_STRING_EQUAL(why, "");
	snprintf(c.network_mode, sizeof(c.network_mode), "default");
	CU_ASSERT_EQUAL(cg_warp_check_network_mode(&c, "target", why, sizeof(why)), CG_WARP_SAFE);
	snprintf(c.network_mode, sizeof(c.network_mode), "appnet");
	CU_ASSERT_EQUAL(cg_warp_check_network_mode(&c, "target", why, sizeof(why)), CG_WARP_SAFE);
	snprintf(c.network_mode, sizeof(c.network_mode), "none");
	CU_ASSERT_EQUAL(cg_warp_check_network_mode(&c, "target", why, sizeof(why)), CG_WARP_SAFE);
	snprintf(c.network_mode, sizeof(c.network_mode), "host");
	CU_ASSERT_EQUAL(cg_warp_check_network_mode(&c, "target", why, sizeof(why)),
			CG_WARP_REFUSE_HOST_NETWORK);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "host's network namespace"));
	snprintf(c.network_mode, sizeof(c.network_mode), "container:%064x", 7u);
	CU_ASSERT_EQUAL(cg_warp_check_network_mode(&c, "warp", why, sizeof(why)),
			CG_WARP_REFUSE_CONTAINER_NETWORK);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "warp runs in another container's"));
	/* Names of every reason, for the metric labels. */
	CU_ASSERT_STRING_EQUAL(cg_warp_refusal_name(CG_WARP_REFUSE_HOST_NETWORK), "host_network");
	CU_ASSERT_STRING_EQUAL(cg_warp_refusal_name(CG_WARP_REFUSE_PID_CHANGED), "pid_changed");
	CU_ASSERT_STRING_EQUAL(cg_warp_refusal_name(CG_WARP_REFUSE_COUNT), "?");
	for (int r = 1; r < CG_WARP_REFUSE_COUNT; r++)
		CU_ASSERT(cg_warp_refusal_name((enum cg_warp_refusal)r)[0] != '\0');
	drop(&c);
}

static void
test_safety_netns(void)
{
	struct cg_warp_nsid host = { 4, 4026531840u }, self = { 4, 4026531841u };
	struct cg_warp_nsid mine = { 4, 4026532999u }, none = { 0, 0 };
	char why[256];

	CU_ASSERT_EQUAL(cg_warp_check_netns(&mine, &host, &self, why, sizeof(why)), CG_WARP_SAFE);
	CU_ASSERT_EQUAL(cg_warp_check_netns(&host, &host, &self, why, sizeof(why)),
			CG_WARP_REFUSE_HOST_NETNS);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "host's"));
	CU_ASSERT_EQUAL(cg_warp_check_netns(&self, &host, &self, why, sizeof(why)),
			CG_WARP_REFUSE_OWN_NETNS);
	/* The daemon in the host's namespace: host wins, still refused. */
	CU_ASSERT_EQUAL(cg_warp_check_netns(&host, &host, &host, why, sizeof(why)),
			CG_WARP_REFUSE_HOST_NETNS);
	/* Same inode on another device is another namespace. */
	mine.ino = host.ino;
	mine.dev = 5;
	CU_ASSERT_EQUAL(cg_warp_check_netns(&mine, &host, &self, why, sizeof(why)), CG_WARP_SAFE);
	/* Unreadable references are not compared. */
	CU_ASSERT_EQUAL(cg_warp_check_netns(&host, &none, &none, why, sizeof(why)), CG_WARP_SAFE);
}

/* The pid-reuse guard: the pinned pid must still be the same run's. */
static void
test_safety_same_run(void)
{
	struct cg_docker_container before, now;
	char why[256];

	mk(&before, "t1", NULL);
	snprintf(before.started_at, sizeof(before.started_at), "2026-12-02T16:01:46.673418912Z");
	mk(&now, "t1", NULL);
	snprintf(now.started_at, sizeof(now.started_at), "%s", before.started_at);
	CU_ASSERT_EQUAL(cg_warp_check_same_run(&before, &now, true, why, sizeof(why)),
			CG_WARP_SAFE);
	/* The container is gone or stopped: its pid may be anyone's now. */
	CU_ASSERT_EQUAL(cg_warp_check_same_run(&before, NULL, true, why, sizeof(why)),
			CG_WARP_REFUSE_PID_CHANGED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "pid 42 no longer belongs to the container"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "removed"));
	now.running = false;
	CU_ASSERT_EQUAL(cg_warp_check_same_run(&before, &now, true, why, sizeof(why)),
			CG_WARP_REFUSE_PID_CHANGED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "stopped"));
	/* Restarted: another pid, or the same pid number in a new run. */
	now.running = true;
	now.pid = 43;
	CU_ASSERT_EQUAL(cg_warp_check_same_run(&before, &now, true, why, sizeof(why)),
			CG_WARP_REFUSE_PID_CHANGED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "restarted"));
	now.pid = 42;
	snprintf(now.started_at, sizeof(now.started_at), "2026-12-02T16:05:00.000000001Z");
	CU_ASSERT_EQUAL(cg_warp_check_same_run(&before, &now, true, why, sizeof(why)),
			CG_WARP_REFUSE_PID_CHANGED);
	/* Same run per Docker, but the pinned process died: the pid we opened may
	 * have been reused before the pin. */
	snprintf(now.started_at, sizeof(now.started_at), "%s", before.started_at);
	CU_ASSERT_EQUAL(cg_warp_check_same_run(&before, &now, false, why, sizeof(why)),
			CG_WARP_REFUSE_PID_CHANGED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "exited"));
	drop(&before);
	drop(&now);
}

/* Joiners from a Docker list as the reconcile reads them, then checked. */
static enum cg_warp_refusal
sharers_of(const char *doc, const struct cg_docker_container *t, char *why, size_t whylen)
{
	struct cg_warp_joiner j[8];
	json_object *list = json_tokener_parse(doc);
	size_t n = 0;
	enum cg_warp_refusal r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(list);
	for (size_t i = 0; i < json_object_array_length(list) && n < 8; i++)
		n += cg_warp_joiner_from_list(json_object_array_get_idx(list, i), &j[n]);
	r = cg_warp_check_sharers(j, n, t, why, whylen);
	json_object_put(list);
	return r;
}

static void
test_safety_sharers(void)
{
	struct cg_docker_container t, y;
	struct cg_warp_joiner j;
	char why[256], doc[2048];

	mk(&t, "t1", NULL);
	/* Itself (its own entry never counts), an unrelated joined container, a
	 * host-network one, entries without an id, a non-object. */
	snprintf(doc, sizeof(doc),
		 "[{\"Id\":\"%s\",\"Names\":[\"/t1\"],\"State\":\"running\","
		 "\"HostConfig\":{\"NetworkMode\":\"container:%s\"}},"
		 "{\"Id\":\"%064x\",\"Names\":[\"/other\"],\"State\":\"running\","
		 "\"HostConfig\":{\"NetworkMode\":\"container:%064x\"}},"
		 "{\"Id\":\"%064x\",\"Names\":[\"/h\"],\"HostConfig\":{\"NetworkMode\":\"host\"}},"
		 "{\"Names\":[\"/noid\"]}, 5]", t.id, t.id, 99u, 98u, 97u);
	CU_ASSERT_EQUAL(sharers_of(doc, &t, why, sizeof(why)), CG_WARP_SAFE);

	/* Joined by full id, by a short id and by name; a stopped one does not count. */
	const char *modes[] = { t.id, "000000000000", "t1", "/t1" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(doc, sizeof(doc),
			 "[{\"Id\":\"%064x\",\"Names\":[\"/sidecar\"],\"State\":\"running\","
			 "\"HostConfig\":{\"NetworkMode\":\"container:%s\"}}]", 12345u, modes[i]);
		CU_ASSERT_EQUAL(sharers_of(doc, &t, why, sizeof(why)), CG_WARP_REFUSE_SHARED_NETNS);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, "container sidecar"));
	}
	snprintf(doc, sizeof(doc),
		 "[{\"Id\":\"%064x\",\"Names\":[\"/sidecar\"],\"State\":\"exited\","
		 "\"HostConfig\":{\"NetworkMode\":\"container:%s\"}},"
		 "{\"Id\":\"%064x\",\"State\":\"running\","
		 "\"HostConfig\":{\"NetworkMode\":\"container:t10\"}}]", 1u, t.id, 2u);
	CU_ASSERT_EQUAL(sharers_of(doc, &t, why, sizeof(why)), CG_WARP_SAFE);
	CU_ASSERT_EQUAL(cg_warp_check_sharers(NULL, 0, &t, why, sizeof(why)), CG_WARP_SAFE);

	/* From an inspect (container events): only running containers in that mode. */
	mk(&y, "y", NULL);
	snprintf(y.network_mode, sizeof(y.network_mode), "container:%s", t.id);
	CU_ASSERT_TRUE(cg_warp_joiner_from_container(&y, &j));
	CU_ASSERT_EQUAL(cg_warp_check_sharers(&j, 1, &t, why, sizeof(why)),
			CG_WARP_REFUSE_SHARED_NETNS);
	y.running = false;
	CU_ASSERT_FALSE(cg_warp_joiner_from_container(&y, &j));
	y.running = true;
	snprintf(y.network_mode, sizeof(y.network_mode), "appnet");
	CU_ASSERT_FALSE(cg_warp_joiner_from_container(&y, &j));
	drop(&y);
	drop(&t);
}

/* A pid is the container's when its cgroup names the container's full id. */
static void
test_safety_cgroup(void)
{
	char id[65], other[65], text[1024];

	snprintf(id, sizeof(id), "%064x", 0x1bcau);
	snprintf(other, sizeof(other), "%064x", 0x1bcbu);
	/* cgroup v1, cgroupfs driver with a parent */
	snprintf(text, sizeof(text), "9:name=systemd:/cgtw7/%s\n8:pids:/cgtw7/%s\n", id, id);
	CU_ASSERT_TRUE(cg_warp_cgroup_has(text, id));
	CU_ASSERT_FALSE(cg_warp_cgroup_has(text, other));
	/* cgroup v2, systemd driver; a process in a sub-cgroup of the container */
	snprintf(text, sizeof(text), "0::/system.slice/docker-%s.scope\n", id);
	CU_ASSERT_TRUE(cg_warp_cgroup_has(text, id));
	snprintf(text, sizeof(text), "0::/docker/%s/init\n", id);
	CU_ASSERT_TRUE(cg_warp_cgroup_has(text, id));
	/* Not a whole component, a prefix, a short id, the host's own cgroup */
	snprintf(text, sizeof(text), "0::/docker/x%s\n", id);
	CU_ASSERT_FALSE(cg_warp_cgroup_has(text, id));
	snprintf(text, sizeof(text), "0::/docker/%sab\n", id);
	CU_ASSERT_FALSE(cg_warp_cgroup_has(text, id));
	snprintf(text, sizeof(text), "0::/docker/%.12s\n", id);
	CU_ASSERT_FALSE(cg_warp_cgroup_has(text, id));
	CU_ASSERT_FALSE(cg_warp_cgroup_has("0::/\n", id));
	CU_ASSERT_FALSE(cg_warp_cgroup_has("0::/docker/abc\n", "abc"));
	CU_ASSERT_FALSE(cg_warp_cgroup_has(NULL, id));
}

/* Target label values (issue 14): never cut, never a shell-ish string. */
static void
test_name_valid(void)
{
	char why[160], name[300];

	CU_ASSERT_TRUE(cg_warp_name_valid("warp-eu", why, sizeof(why)));
	CU_ASSERT_TRUE(cg_warp_name_valid("/warp_1.a", why, sizeof(why)));
	CU_ASSERT_FALSE(cg_warp_name_valid("warp-a;rm -rf /", why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "character ';' at 7 is not allowed in a container name");
	CU_ASSERT_FALSE(cg_warp_name_valid("warp-*", why, sizeof(why)));
	CU_ASSERT_FALSE(cg_warp_name_valid("-warp", why, sizeof(why)));
	CU_ASSERT_FALSE(cg_warp_name_valid("w", why, sizeof(why)));
	CU_ASSERT_FALSE(cg_warp_name_valid("warp\n2", why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "byte 0x0a at 5 is not allowed in a container name");
	memset(name, 'w', 255);
	name[255] = '\0';
	CU_ASSERT_TRUE(cg_warp_name_valid(name, why, sizeof(why)));
	name[255] = 'w';
	name[256] = '\0';
	CU_ASSERT_FALSE(cg_warp_name_valid(name, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "256 characters, more than 255");
	CU_ASSERT_FALSE(cg_warp_name_valid("x;", NULL, 0));
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_name_valid),
		CG_UNIT_TEST(test_defaults),
		CG_UNIT_TEST(test_precedence),
		CG_UNIT_TEST(test_env_prefix_order),
		CG_UNIT_TEST(test_env_unknown),
		CG_UNIT_TEST(test_cli_errors),
		CG_UNIT_TEST(test_toml_errors),
		CG_UNIT_TEST(test_dnw_file),
		CG_UNIT_TEST(test_toml_roundtrip),
		CG_UNIT_TEST(test_cli_actions),
		CG_UNIT_TEST(test_cidr),
		CG_UNIT_TEST(test_glob),
		CG_UNIT_TEST(test_classify),
		CG_UNIT_TEST(test_nexthop),
		CG_UNIT_TEST(test_plan_idempotent),
		CG_UNIT_TEST(test_plan_ip_change),
		CG_UNIT_TEST(test_plan_down),
		CG_UNIT_TEST(test_plan_remove_stale),
		CG_UNIT_TEST(test_safety_network_mode),
		CG_UNIT_TEST(test_safety_netns),
		CG_UNIT_TEST(test_safety_same_run),
		CG_UNIT_TEST(test_safety_sharers),
		CG_UNIT_TEST(test_safety_cgroup),
		CG_UNIT_END,
	};
	int ret = cg_unit_run("warp", tests);
	char cmd[300];

	/* Remove the temporary files (no shell: unlink each). */
	static const char *const files[] = { "all.toml", "bad.toml", "dnw.toml" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "%s/%s", tmpdir, files[i]);
		unlink(cmd);
	}
	rmdir(tmpdir);
	return ret;
}
