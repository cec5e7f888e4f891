/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate-warp: makes labelled Docker containers route chosen CIDRs through a
 * "warp" gateway container, by netlink inside each target's netns.
 *
 * This file: command line, start-up checks, signals and the main loop. The
 * main loop owns the state; it reads Docker events from the event thread's
 * pipe and signals from a signalfd, and retries failed work on a timer.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "cg_util.h"
#include "cw.h"

/* Failed work (inspect, netlink, a listing) is retried this often. */
#define CW_RETRY_MS 2000

extern char **environ;

atomic_bool cw_stopping;

bool
cw_stop_pending(void *unused)
{
	sigset_t set;

	(void)unused;
	/* Blocked everywhere and read from the signalfd: pending until read. */
	return sigpending(&set) == 0 &&
	       (sigismember(&set, SIGTERM) == 1 || sigismember(&set, SIGINT) == 1);
}

int64_t
cw_now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t
cw_now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: castgate-warp [OPTIONS]\n"
"\n"
"Watches Docker and makes *target* containers route chosen destinations through a\n"
"*warp* (gateway) container: inside each target's network namespace it replaces the\n"
"routes for the configured CIDRs with routes via the warp's address on their shared\n"
"network (0.0.0.0/0 and ::/0 replace the default route). Routes follow the warp when\n"
"it restarts with a new address; while a warp is down its targets fail closed\n"
"(unreachable routes) unless on_warp_down = \"keep\". No program is ever executed.\n"
"Only a namespace that is the target's alone is changed: a labelled container in\n"
"--network host or container:X mode, in the host's or our own namespace, joined by\n"
"another container, or whose pid is no longer its own is refused and logged\n"
"(event=refuse, reason=...); see docs/WARP.md, \"Safety\".\n"
"\n"
"  warp container   its name matches --warp-container-pattern (anchored glob,\n"
"                   default \"warp-*\": \"warp-eu\" matches, \"proxy-warp\" does not)\n"
"  target container carries the label --target-container-label (default\n"
"                   network.warp.target) whose value is the warp's container name\n"
"  several networks a warp on more than one network needs the label\n"
"                   --network-preference-label (default network.warp.network)\n"
"                   naming the network its targets reach it through\n"
"\n"
"Options (precedence: command line > environment > TOML file > defaults):\n"
"  -c, --config FILE                 TOML file            CASTGATE_WARP_CONFIG\n"
"      --warp-container-pattern GLOB '*', '?', [a-z], [!a-z], '\\' quotes\n"
"      --target-container-label KEY\n"
"      --network-preference-label KEY\n"
"      --routing-rules CIDR[,CIDR...] e.g. 0.0.0.0/0,::/0 (DNW's CIDR:PROTO:LO-HI\n"
"                                    is accepted; routes cannot filter by port,\n"
"                                    so the whole CIDR is routed)\n"
"  -l, --log-level LEVEL             error, warn, info (default), debug, trace\n"
"      --log-format text|json\n"
"      --docker-socket URL           unix:///var/run/docker.sock (default), a path,\n"
"                                    or tcp://HOST:PORT (TLS: [docker] tls_ca,\n"
"                                    tls_cert, tls_key or --docker-tls-*)\n"
"      --docker-connection-method socket|http|ssl  DNW's; validated, the socket\n"
"                                    URL decides the transport\n"
"      --on-warp-down blackhole|keep default blackhole\n"
"      --metrics-listen ADDR:PORT    /healthz and /metrics, loopback only\n"
"                                    (default 127.0.0.1:9464; \"\" disables)\n"
"      --check-config, --validate-config  load, validate, print the result, exit\n"
"      --print-default-config        print the defaults as a TOML file and exit\n"
"  -h, --help      -V, --version\n"
"\n"
"Environment: CASTGATE_WARP_<NAME> or DOCKER_NETWORK_WARP_<NAME> (the former wins),\n"
"NAME = CONFIG, WARP_CONTAINER_PATTERN, TARGET_CONTAINER_LABEL,\n"
"NETWORK_PREFERENCE_LABEL, ROUTING_RULES, LOG_LEVEL, LOG_FORMAT, DOCKER_SOCKET,\n"
"DOCKER_TLS_CA, DOCKER_TLS_CERT, DOCKER_TLS_KEY, DOCKER_CONNECTION_METHOD,\n"
"ON_WARP_DOWN, METRICS_LISTEN. An empty variable counts as unset.\n"
"\n"
"Example /etc/castgate/warp.toml:\n"
"  warp_container_name_pattern = \"warp-*\"\n"
"  target_container_label = \"network.warp.target\"\n"
"  network_preference_label = \"network.warp.network\"\n"
"  on_warp_down = \"blackhole\"\n"
"  [[routing_rules]]\n"
"  destination = \"0.0.0.0/0\"\n"
"  [[routing_rules]]\n"
"  destination = \"::/0\"\n"
"  [docker]\n"
"  socket = \"unix:///var/run/docker.sock\"\n"
"  [logging]\n"
"  level = \"info\"\n"
"  format = \"json\"\n"
"  [metrics]\n"
"  listen = \"127.0.0.1:9464\"\n"
"\n"
"Example containers:\n"
"  docker network create cgnet\n"
"  docker run -d --name warp-eu --network cgnet --cap-add NET_ADMIN \\\n"
"      --sysctl net.ipv4.ip_forward=1 my/gateway\n"
"  docker run -d --name app --network cgnet \\\n"
"      --label network.warp.target=warp-eu my/app\n"
"  # inside app: \"ip route\" shows: default via <warp-eu's address on cgnet>\n"
"\n"
"Privileges: CAP_NET_ADMIN, CAP_SYS_ADMIN (setns) and CAP_SYS_PTRACE (open other\n"
"processes' namespaces); checked at start-up. Logs: one audit line per route change\n"
"(event=route action=add|replace|blackhole|remove container= name= cidr= via= result=).\n"
"SIGTERM/SIGINT: stop, leaving routes in place. SIGHUP: reload the configuration\n"
"(socket and metrics address changes need a restart).\n"
"Exit status: 0 ok, 1 runtime failure (e.g. missing capability), 2 usage/config error.\n");
}

static int
load(int argc, char **argv, struct cg_warp_config *cfg, struct cg_warp_args *cli)
{
	char err[1024];

	if (cg_warp_config_load(argc, argv, environ, cfg, cli, err, sizeof(err)) < 0) {
		fprintf(stderr, "castgate-warp: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

static void
print_toml(const struct cg_warp_config *cfg)
{
	size_t need = cg_warp_config_to_toml(cfg, NULL, 0) + 1;
	char *buf = malloc(need);

	if (buf == NULL)
		return;
	cg_warp_config_to_toml(cfg, buf, need);
	fputs(buf, stdout);
	free(buf);
}

static void
log_config(const struct cg_warp_config *cfg)
{
	char rules[1024] = "", dnw[1024];
	size_t len = 0;

	for (size_t i = 0; i < cfg->n_rules; i++) {
		int n = snprintf(rules + len, sizeof(rules) - len, "%s%s", i ? "," : "",
				 cfg->rules[i].cidr);

		if (n < 0 || (size_t)n >= sizeof(rules) - len)
			break;
		len += (size_t)n;
		if (cfg->rules[i].protocol[0] != '\0' || cfg->rules[i].port_hi != 0)
			CG_WARN("routing rule %s: protocol/port_range are accepted for DNW "
				"compatibility but a route cannot select them: the whole %s is "
				"routed through the warp", cfg->rules[i].cidr, cfg->rules[i].cidr);
	}
	if (cg_warp_env_check(environ, NULL, 0, dnw, sizeof(dnw)) == 0 && dnw[0] != '\0')
		CG_WARN("environment: %s: not a castgate-warp setting, ignored (DNW prefix; a "
			"CASTGATE_WARP_ variable of that name would be an error)", dnw);
	CG_INFO("config%s%s: pattern=\"%s\" target_label=%s preference_label=%s rules=%s "
		"on_warp_down=%s docker=%s metrics=%s", cfg->config_path[0] ? " " : "",
		cfg->config_path, cfg->pattern, cfg->target_label, cfg->pref_label, rules,
		cfg->on_down == CG_WARP_DOWN_KEEP ? "keep" : "blackhole", cfg->socket,
		cfg->metrics_listen[0] ? cfg->metrics_listen : "disabled");
}

/* SIGHUP: reload; keep the old config on error, and the parts that need a restart. */
/* The same Docker socket, written "unix:///path" or "/path". */
static bool
same_socket(const char *a, const char *b)
{
	static const char unix_[] = "unix://";

	if (strncmp(a, unix_, strlen(unix_)) == 0)
		a += strlen(unix_);
	if (strncmp(b, unix_, strlen(unix_)) == 0)
		b += strlen(unix_);
	return strcmp(a, b) == 0;
}

static void
reload(int argc, char **argv, struct cg_warp_config *cfg, struct cw_state *st)
{
	struct cg_warp_config n;
	struct cg_warp_args cli;
	char err[1024];

	if (cg_warp_config_load(argc, argv, environ, &n, &cli, err, sizeof(err)) < 0) {
		CG_ERR("SIGHUP: configuration not reloaded: %s", err);
		return;
	}
	if (!same_socket(n.socket, cfg->socket) || strcmp(n.tls_ca, cfg->tls_ca) != 0 ||
	    strcmp(n.tls_cert, cfg->tls_cert) != 0 || strcmp(n.tls_key, cfg->tls_key) != 0) {
		CG_WARN("SIGHUP: docker socket/TLS changes need a restart; keeping %s", cfg->socket);
		memcpy(n.socket, cfg->socket, sizeof(n.socket));
		memcpy(n.tls_ca, cfg->tls_ca, sizeof(n.tls_ca));
		memcpy(n.tls_cert, cfg->tls_cert, sizeof(n.tls_cert));
		memcpy(n.tls_key, cfg->tls_key, sizeof(n.tls_key));
	}
	if (strcmp(n.metrics_listen, cfg->metrics_listen) != 0) {
		CG_WARN("SIGHUP: metrics address changes need a restart; keeping %s",
			cfg->metrics_listen[0] ? cfg->metrics_listen : "disabled");
		memcpy(n.metrics_listen, cfg->metrics_listen, sizeof(n.metrics_listen));
		n.metrics_addr = cfg->metrics_addr;
		n.metrics_addrlen = cfg->metrics_addrlen;
	}
	*cfg = n;
	cg_log_init("castgate-warp", cfg->log_level, cfg->log_format);
	CG_INFO("SIGHUP: configuration reloaded");
	log_config(cfg);
	cw_state_set_config(st, cfg);
	cw_state_reconcile(st, "reload");
}

int
main(int argc, char **argv)
{
	static struct cg_warp_config cfg;
	struct cg_warp_args cli;
	struct cw_state *st;
	sigset_t mask;
	int sfd, rfd = -1, ret;
	bool connected = false;
	int64_t next_retry;

	if (load(argc, argv, &cfg, &cli) < 0) {
		/* A usage error still deserves the help it asked for. */
		if (cli.help)
			usage(stdout);
		return CG_EXIT_USAGE;
	}
	if (cli.help) {
		usage(stdout);
		return 0;
	}
	if (cli.version) {
		printf("castgate-warp %s\n", CG_VERSION);
		return 0;
	}
	if (cli.print_default_config) {
		struct cg_warp_config d;

		cg_warp_config_defaults(&d);
		print_toml(&d);
		return 0;
	}
	if (cli.check_config) {
		char dnw[1024];

		if (cg_warp_env_check(environ, NULL, 0, dnw, sizeof(dnw)) == 0 && dnw[0] != '\0')
			fprintf(stderr, "castgate-warp: warning: environment: %s: not a "
				"castgate-warp setting, ignored\n", dnw);
		printf("# configuration OK%s%s\n", cfg.config_path[0] ? ": " : "",
		       cfg.config_path);
		print_toml(&cfg);
		return 0;
	}
	cg_log_init("castgate-warp", cfg.log_level, cfg.log_format);
	CG_INFO("castgate-warp %s starting", CG_VERSION);
	log_config(&cfg);
	if (cw_caps_check() < 0)
		return CG_EXIT_FAILURE;
	/* Best effort: the design already never executes anything. */
	(void)cw_forbid_exec();

	/* Signals go to the signalfd only; threads inherit the blocked mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return CG_EXIT_FAILURE;
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		CG_ERR("signalfd: %s", strerror(errno));
		return CG_EXIT_FAILURE;
	}
	ret = cw_http_start(&cfg);
	if (ret < 0) {
		CG_ERR("metrics listen %s: %s", cfg.metrics_listen, strerror(-ret));
		return CG_EXIT_FAILURE;
	}
	if (cfg.metrics_addrlen != 0)
		CG_INFO("serving /healthz and /metrics on http://%s", cfg.metrics_listen);
	st = cw_state_new(&cfg);
	if (st == NULL) {
		CG_ERR("out of memory");
		return CG_EXIT_FAILURE;
	}
	ret = cw_events_start(&cfg, &rfd);
	if (ret < 0) {
		CG_ERR("event thread: %s", strerror(-ret));
		return CG_EXIT_FAILURE;
	}

	next_retry = cw_now_mono_ms() + CW_RETRY_MS;
	for (;;) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN },
				       { .fd = rfd, .events = POLLIN } };
		int64_t wait = next_retry - cw_now_mono_ms();
		int n;

		n = poll(p, 2, wait < 0 ? 0 : (int)wait);
		if (n < 0 && errno != EINTR) {
			CG_ERR("poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && (p[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					reload(argc, argv, &cfg, st);
				} else {
					CG_INFO("%s received: shutting down",
						si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
					break;
				}
			}
		}
		if (n > 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			struct cw_msg m;
			ssize_t r = read(rfd, &m, sizeof(m));

			if (r == (ssize_t)sizeof(m)) {
				switch (m.kind) {
				case CW_MSG_CONNECTED:
					cw_state_connect(st);
					cw_state_reconcile(st, connected ? "reconnected" :
							   "start-up");
					connected = true;
					break;
				case CW_MSG_DISCONNECTED:
					CG_WARN("docker disconnected: routes stay as they are "
						"until it is back");
					break;
				case CW_MSG_EVENT:
					cw_metric_event(&m.ev);
					cw_state_event(st, &m.ev);
					break;
				}
			} else if (r == 0) {
				CG_ERR("event thread ended unexpectedly");
				break;
			}
		}
		if (cw_now_mono_ms() >= next_retry && !cw_stop_pending(NULL)) {
			if (atomic_load(&cw_m.docker_connected))
				cw_state_retry(st);
			next_retry = cw_now_mono_ms() + CW_RETRY_MS;
		}
	}

	atomic_store(&cw_stopping, true);
	cw_events_stop();
	cw_http_stop();
	cw_state_log_shutdown(st);
	cw_state_free(st);
	close(rfd);
	close(sfd);
	CG_INFO("stopped");
	return 0;
}
