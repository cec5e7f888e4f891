/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate-dataplane: the DPDK primary process of castgate.
 *
 * main() is the lifecycle: arguments, config, EAL, mempools, ports, rules,
 * lcores, then the orderly shutdown on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <json-c/json.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <rte_version.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "cg_rule.h"
#include "cg_shm.h"
#include "cg_state.h"
#include "cg_util.h"
#include "dp.h"
#include "dp_arp.h"
#include "dp_eal.h"
#include "dp_fwd.h"
#include "dp_link.h"
#include "dp_port.h"
#include "dp_rules.h"
#include "dp_service.h"
#include "dp_shm.h"
#include "dp_stats.h"

#define PROG "castgate-dataplane"
/* Header mbufs hold Ethernet (+VLAN) + IPv4 + UDP = at most 46 bytes. */
#define HDR_MBUF_DATA 64
/* The service loop sleeps this long when it had nothing to do (multi-lcore);
 * a rule request from control cuts the sleep short (dp_shm's eventfd). */
#define SERVICE_IDLE_US 1000

struct cg_dp dp_g;

struct args {
	const char *config;
	const char *ready_file;
	const char *stats_out;
	const char *log_level;
	bool verbose;
	bool check_config;
	int extra_argc;		/* EAL arguments after "--" */
	char **extra_argv;
};

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " -c FILE [options] [-- EAL-ARGS...]\n"
"\n"
"castgate's data plane: receives UDP streams (multicast or unicast) on DPDK\n"
"ports and re-emits each, rewritten, on one or more ports, as the [[rule]]\n"
"tables of the config file say, plus the API rules of the state file\n"
"([control] state_file), which castgate-control changes at run time.\n"
"The EAL command line is built from the config ([dataplane] lcores,\n"
"file_prefix, memory_mb, no_huge, eal_args and one --vdev per [[port]]);\n"
"PCI is never probed unless a port names a PCI address. A secondary can\n"
"only attach when the data plane runs on hugepages (no_huge = false).\n"
"\n"
"Options:\n"
"  -c, --config FILE     config file (TOML; see docs/CONFIG.md)\n"
"      --check-config    validate FILE, print the effective config as JSON\n"
"                        (every default filled in) and the EAL arguments,\n"
"                        then exit 0 (valid) or 1 (invalid)\n"
"      --ready-file PATH write our pid to PATH once ports are up, rules are\n"
"                        installed, the lcores forward and rule requests are\n"
"                        served (scripts and the supervisor wait on it)\n"
"      --stats-out PATH  at shutdown, write the final counters as JSON to PATH\n"
"                        (atomically; same schema as `cg-stats --json`)\n"
"  -v, --verbose         log at debug level\n"
"      --log-level L     error, warn, info or debug (overrides [log] level)\n"
"  -h, --help            this help\n"
"  -V, --version         print the version and exit\n"
"  -- EAL-ARGS           extra DPDK EAL arguments, appended after the config's\n"
"\n"
"Running:\n"
"  Rules: the config's [[rule]]s (origin config), then those of the state\n"
"  file (origin api; a missing file means none; a rule that cannot be\n"
"  installed is logged and skipped). castgate-control, a DPDK secondary with\n"
"  the same file prefix, reads rules and counters from shared memory and\n"
"  changes rules through rte_mp requests (lib/shm/cg_shm.h); the main lcore\n"
"  applies them and stays the only writer of the rule table.\n"
"  SIGINT or SIGTERM stops forwarding, drains TX, writes --stats-out, leaves\n"
"  the IGMP groups, closes the ports and exits 0. A bad command line or\n"
"  config exits 2 with a message naming the key and line; a run-time failure\n"
"  (EAL, ports, memory) exits 1.\n"
"\n"
"Live counters (DPDK telemetry, /var/run/dpdk/<file_prefix>/dpdk_telemetry.v2,\n"
"  or /run/castgate/dpdk/... under castgate.service):\n"
"  /castgate/stats  /castgate/rules  /castgate/rule,<name>  /castgate/drops\n"
"  /castgate/ports (name to port id; counters in /ethdev/stats,<port_id>);\n"
"  or simply: scripts/cg-stats --prefix <file_prefix>\n"
"\n"
"Example:\n"
"  " PROG " -c config/demo.toml --ready-file /run/cg.ready --stats-out /tmp/s.json\n");
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	enum { OPT_READY = 256, OPT_STATS, OPT_LOGLEVEL, OPT_CHECK };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "stats-out", required_argument, NULL, OPT_STATS },
		{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	memset(a, 0, sizeof(*a));
	/* '+': stop at the first non-option, so "--" and EAL args stay ours to pass. */
	while ((o = getopt_long(argc, argv, "+c:vhV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': a->config = optarg; break;
		case OPT_READY: a->ready_file = optarg; break;
		case OPT_STATS: a->stats_out = optarg; break;
		case OPT_LOGLEVEL: a->log_level = optarg; break;
		case OPT_CHECK: a->check_config = true; break;
		case 'v': a->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V':
			printf(PROG " %s (%s)\n", CG_VERSION, rte_version());
			exit(0);
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return -EINVAL;
		}
	}
	if (a->config == NULL) {
		fprintf(stderr, PROG ": missing -c FILE (the config file)\n"
			"Try '" PROG " --help'.\n");
		return -EINVAL;
	}
	a->extra_argc = argc - optind;
	a->extra_argv = argv + optind;
	return 0;
}

/* Per mbuf beyond its data room (struct rte_mbuf, mempool header): the least
 * the pools take. What the EAL, rings and rte_hash take besides is about
 * RULES_EAL_SLACK_MB: below that margin only a warning (the estimate may be
 * high), beyond the sure part an error. For the memory_mb check. */
#define RULES_MBUF_OVERHEAD 192
#define RULES_EAL_SLACK_MB 32

/*
 * The rule table is reserved whole at start (max_rules slots, counters per
 * lcore): with a fixed memory_mb, say now how much it needs rather than fail
 * inside the EAL. The packet pools come on top. Also run by --check-config.
 */
static int
check_memory(const struct cg_conf *c)
{
	if (c->dp.memory_mb > 0) {
		uint64_t rules = cg_shm_rules_mem(c->dp.max_rules, c->dp.max_outputs,
						  c->dp.n_lcores);
		uint64_t pools = (uint64_t)c->dp.mbufs * (c->dp.mbuf_size + RULES_MBUF_OVERHEAD);
		uint64_t sure_mb = (rules + pools) >> 20, need_mb = sure_mb + RULES_EAL_SLACK_MB;

		if (need_mb > c->dp.memory_mb && sure_mb <= c->dp.memory_mb)
			CG_WARN("config: dataplane.memory_mb = %u may be short: dataplane.max_rules = "
				"%u takes about %" PRIu64 " MB, the packet buffers about %" PRIu64
				" MB, DPDK itself some %d MB more; %" PRIu64 " would be safe",
				c->dp.memory_mb, c->dp.max_rules, rules >> 20, pools >> 20,
				RULES_EAL_SLACK_MB, need_mb);
		if (sure_mb > c->dp.memory_mb) {
			CG_ERR("config: dataplane.memory_mb = %u is too small: dataplane.max_rules = "
			       "%u (max_outputs = %u) needs about %" PRIu64 " MB for the rule table "
			       "and counters (%u lcores), the packet buffers about %" PRIu64 " MB; set "
			       "memory_mb to at least %" PRIu64 " (or 0: grow on demand)",
			       c->dp.memory_mb, c->dp.max_rules, c->dp.max_outputs, rules >> 20,
			       c->dp.n_lcores, pools >> 20, need_mb);
			return -EINVAL;
		}
	}
	return 0;
}

/* Copy the config into the process context. */
static int
setup_from_conf(const struct cg_conf *c)
{
	if (c->n_ports > CG_DP_MAX_PORTS) {
		CG_ERR("config: %zu ports; this build supports %d", c->n_ports, CG_DP_MAX_PORTS);
		return -EINVAL;
	}
	/* lib/conf checked every value (mbuf_size fits the uint16_t data room). */
	dp_g.p = c->dp;
	if (check_memory(c) < 0)
		return -EINVAL;
	if (dp_g.p.burst > CG_DP_MAX_BURST) {
		CG_WARN("dataplane.burst %u: using %d (the rule lookup's bulk limit)",
			dp_g.p.burst, CG_DP_MAX_BURST);
		dp_g.p.burst = CG_DP_MAX_BURST;
	}
	dp_g.nb_ports = (uint16_t)c->n_ports;
	for (size_t i = 0; i < c->n_ports; i++) {
		const struct cg_conf_port *cp = &c->ports[i];
		struct cg_dp_port *p = &dp_g.ports[i];

		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", cp->name);
		snprintf(p->device, sizeof(p->device), "%s", cp->device);
		p->ip = cp->ip;
		p->prefix_len = cp->prefix_len;
		p->gateway = cp->gateway;
		p->mac_set = !cp->mac_auto;
		if (p->mac_set)
			memcpy(p->mac.addr_bytes, cp->mac, 6);
		p->mtu = cp->mtu;
		p->rx_desc = cp->rx_desc;
		p->tx_desc = cp->tx_desc;
		p->tx_multi_seg = cp->tx_multi_seg;
	}
	return 0;
}

static int
check_config(const struct cg_conf *c)
{
	json_object *j = cg_conf_to_json(c);
	char **argv = NULL;
	int argc = 0;

	if (j == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return CG_EXIT_FAILURE;
	}
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	/* The check ran and found an error: 1, as for a file that does not load. */
	if (check_memory(c) < 0)
		return CG_EXIT_FAILURE;
	/* The data plane's own checks of the EAL line (af_packet qpairs=). */
	if (cg_dp_eal_argv(c, PROG, 0, NULL, NULL, NULL, &argc, &argv) < 0)
		return CG_EXIT_FAILURE;
	fprintf(stderr, "EAL arguments:");
	for (int i = 1; i < argc; i++)
		fprintf(stderr, " %s", argv[i]);
	fprintf(stderr, "\n");
	cg_dp_eal_argv_free(argv);
	return 0;
}

static void
on_signal(int sig __rte_unused)
{
	__atomic_store_n(&dp_g.stop, true, __ATOMIC_RELAXED);
}

static int
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
create_pools(void)
{
	int socket = (int)rte_socket_id();
	unsigned int cache = dp_g.p.mbuf_cache;

	dp_g.pool = rte_pktmbuf_pool_create("cg_mbuf", dp_g.p.mbufs, cache, 0,
					    (uint16_t)dp_g.p.mbuf_size, socket);
	if (dp_g.pool == NULL) {
		CG_ERR("mempool cg_mbuf (%u x %u bytes): %s", dp_g.p.mbufs, dp_g.p.mbuf_size,
		       rte_strerror(rte_errno));
		return -rte_errno;
	}
	/* Fan-out: one header and one indirect mbuf per extra output in flight. */
	dp_g.hdr_pool = rte_pktmbuf_pool_create("cg_hdr", dp_g.p.mbufs, cache, 0,
						RTE_PKTMBUF_HEADROOM + HDR_MBUF_DATA, socket);
	dp_g.clone_pool = rte_pktmbuf_pool_create("cg_clone", dp_g.p.mbufs, cache, 0, 0,
						  socket);
	if (dp_g.hdr_pool == NULL || dp_g.clone_pool == NULL) {
		CG_ERR("mempools cg_hdr/cg_clone (%u mbufs each): %s", dp_g.p.mbufs,
		       rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

/* Every mbuf is back once the ports are closed; anything else is a leak
 * (tests look for this line). */
static void
check_pools(void)
{
	struct rte_mempool *pools[] = { dp_g.pool, dp_g.hdr_pool, dp_g.clone_pool };

	for (size_t i = 0; i < RTE_DIM(pools); i++) {
		unsigned int in_use;

		if (pools[i] == NULL)
			continue;
		in_use = rte_mempool_in_use_count(pools[i]);
		if (in_use > 0)
			CG_WARN("mempool %s: %u mbufs still in use at exit (leak)",
				pools[i]->name, in_use);
	}
}

static int
assign_lcores(void)
{
	unsigned int lcore;

	/* As cg_conf_nb_workers(): the main lcore is worker 0 when it forwards. */
	dp_g.nb_workers = 0;
	if (rte_lcore_count() == 1 || dp_g.p.main_forwards) {
		dp_g.main_is_worker = true;
		dp_g.worker_lcore[dp_g.nb_workers++] = rte_get_main_lcore();
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (dp_g.nb_workers == CG_DP_MAX_WORKERS) {
			CG_ERR("dataplane.lcores: more than %d workers", CG_DP_MAX_WORKERS);
			return -EINVAL;
		}
		dp_g.worker_lcore[dp_g.nb_workers++] = lcore;
	}
	return 0;
}

/* The config's rules: any failure is a startup error (the file is wrong). */
static int
install_config_rules(const struct cg_conf *c, unsigned int self)
{
	const struct cg_rule_set *set = cg_conf_rule_set(c);
	const struct cg_rule *r;
	char err[512];
	size_t i;

	CG_RULE_SET_FOREACH(set, i, r) {
		struct cg_shm_rules_req req = {
			.op = CG_SHM_RULES_ADD, .origin = CG_SHM_ORIGIN_CONFIG, .rule = *r,
		};
		int ret = cg_dp_rules_apply(&req, self, err, sizeof(err));

		if (ret < 0) {
			CG_ERR("%s", err);
			return ret;
		}
		CG_INFO("rule %s (id %u): installed, %u output(s)", r->name, r->id,
			r->n_outputs);
	}
	return 0;
}

/* Note a state-file problem in cg_info, where control reports it. */
static void
state_problem(const char *msg)
{
	if (cg_dp_info->state_error[0] == '\0')
		snprintf(cg_dp_info->state_error, sizeof(cg_dp_info->state_error), "%s", msg);
}

/*
 * The API rules of the state file. Forwarding of the config's rules must not
 * depend on it: an unreadable file or a rule that cannot be installed (a
 * port gone from the config, a conflict with a config rule) is logged,
 * skipped and reported in cg_info, never fatal.
 */
static void
install_state_rules(const struct cg_conf *c, unsigned int self)
{
	const char *path = c->ctl.state_file;
	struct cg_rule_set *set = NULL;
	const struct cg_rule *r;
	char err[512], msg[1024];
	size_t i;
	int ret;

	if (path[0] == '\0')
		return;
	ret = cg_state_load(path, &set, NULL, err, sizeof(err));
	if (ret < 0) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "%.400s: %s", path, strerror(-ret));
		CG_ERR("state file: %s; no API rule installed", err);
		cg_dp_info->state_load_error = ret;
		state_problem(err);
		return;
	}
	CG_RULE_SET_FOREACH(set, i, r) {
		struct cg_shm_rules_req req = {
			.op = CG_SHM_RULES_ADD, .origin = CG_SHM_ORIGIN_API, .rule = *r,
		};

		ret = cg_rule_resolve_ports(&req.rule, cg_conf_port_lookup, (void *)(uintptr_t)c,
					    err, sizeof(err));
		if (ret == 0)
			ret = cg_dp_rules_apply(&req, self, err, sizeof(err));
		if (ret < 0) {
			/* cg_info has the path already; the log says it too. */
			snprintf(msg, sizeof(msg), "rules[%zu]: %s", i, err);
			CG_ERR("state file %s: %s: rule skipped", path, msg);
			cg_dp_info->state_skipped++;
			state_problem(msg);
			continue;
		}
		cg_dp_info->state_loaded++;
		CG_INFO("rule %s (id %u): installed from the state file, %u output(s)", r->name,
			r->id, r->n_outputs);
	}
	CG_INFO("state file %s: %u API rule(s) installed, %u skipped", path,
		cg_dp_info->state_loaded, cg_dp_info->state_skipped);
	cg_rule_set_free(set);
}

static int
install_rules(const struct cg_conf *c)
{
	const unsigned int self = dp_g.main_is_worker ? 0 : RTE_QSBR_THRID_INVALID;
	int ret = install_config_rules(c, self);

	if (ret < 0)
		return ret;
	install_state_rules(c, self);
	return 0;
}

static void
service_loop(void)
{
	/* Its idle waits should last what they ask, not the 50 us default slack. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	while (!__atomic_load_n(&dp_g.stop, __ATOMIC_RELAXED)) {
		unsigned int work = cg_dp_service_poll(rte_rdtsc());

		/* The main lcore does not forward here: no RCU id of its own. */
		work += cg_dp_shm_poll(RTE_QSBR_THRID_INVALID);
		if (work == 0)
			cg_dp_shm_idle_wait(SERVICE_IDLE_US);
	}
}

/* Everything after rte_eal_init(). Returns the exit code. */
static int
run(const struct cg_conf *c, const struct args *a, uint64_t start_unix_ms)
{
	char text[64];
	int ret;

	if (assign_lcores() < 0 || cg_dp_shm_init(start_unix_ms) < 0 ||
	    cg_dp_stats_init() < 0 || cg_dp_arp_init() < 0 ||
	    cg_dp_rules_init(dp_g.nb_workers) < 0 || cg_dp_service_init() < 0 ||
	    create_pools() < 0 || cg_dp_port_resolve_all() < 0)
		return CG_EXIT_FAILURE;
	for (uint16_t p = 0; p < dp_g.nb_ports; p++)
		if (!dp_g.ports[p].deferred && cg_dp_port_up(p, (uint16_t)dp_g.nb_workers) < 0)
			return CG_EXIT_FAILURE;
	cg_dp_shm_publish(c, a->config);
	if (cg_dp_link_init() < 0 || cg_dp_fwd_init() < 0 || install_rules(c) < 0)
		return CG_EXIT_FAILURE;
	ret = cg_dp_stats_telemetry_register();
	if (ret < 0)
		CG_WARN("telemetry: live counters unavailable: %s", strerror(-ret));
	/* dpdk-dumpcap (a secondary) copies our ports' packets through this. */
	if (rte_pdump_init() < 0)
		CG_WARN("pdump: %s; dpdk-dumpcap cannot capture", rte_strerror(rte_errno));
	if (cg_dp_shm_serve() < 0)
		return CG_EXIT_FAILURE;
	cg_dp_service_start();

	/* Worker 0 is the main lcore itself when it forwards: it starts below. */
	for (unsigned int w = dp_g.main_is_worker ? 1 : 0; w < dp_g.nb_workers; w++) {
		ret = rte_eal_remote_launch(cg_dp_fwd_loop, (void *)(uintptr_t)w,
					    dp_g.worker_lcore[w]);
		if (ret != 0) {
			CG_ERR("lcore %u: rte_eal_remote_launch: %s", dp_g.worker_lcore[w],
			       strerror(-ret));
			__atomic_store_n(&dp_g.stop, true, __ATOMIC_RELAXED);
			rte_eal_mp_wait_lcore();
			return CG_EXIT_FAILURE;
		}
	}
	cg_dp_shm_ready();
	CG_INFO("ready: %u port(s), %u rule(s), %u worker(s)%s, file prefix %s",
		dp_g.nb_ports, cg_dp_rules->nb_rules, dp_g.nb_workers,
		dp_g.main_is_worker ? " (main lcore forwards)" : "", dp_g.p.file_prefix);
	if (a->ready_file != NULL) {
		snprintf(text, sizeof(text), "%d\n", (int)getpid());
		ret = cg_util_write_file(a->ready_file, text, strlen(text), 0644, false, NULL);
		if (ret < 0)
			CG_WARN("--ready-file %s: %s", a->ready_file, strerror(-ret));
	}

	if (dp_g.main_is_worker)
		cg_dp_fwd_loop((void *)(uintptr_t)0);
	else
		service_loop();
	CG_INFO("stopping");
	rte_eal_mp_wait_lcore();
	return 0;
}

int
main(int argc, char **argv)
{
	char err[1024];
	struct cg_conf *conf;
	struct args a;
	char **eal_argv = NULL;
	int eal_argc = 0, code, ret;
	enum cg_log_level level;
	struct timespec now;
	uint64_t start_unix_ms;

	clock_gettime(CLOCK_REALTIME, &now);
	start_unix_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	cg_log_init(PROG, CG_LOG_INFO, CG_LOG_FMT_TEXT);
	if (parse_args(argc, argv, &a) < 0)
		return CG_EXIT_USAGE;
	conf = cg_conf_load(a.config, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, PROG ": %s\n", err);
		/* As castgate --check-config: the check ran and found an error. */
		return a.check_config ? CG_EXIT_FAILURE : CG_EXIT_USAGE;
	}
	if (a.check_config) {
		code = check_config(conf);
		cg_conf_free(conf);
		return code;
	}
	level = conf->log.level;
	if (a.verbose)
		level = CG_LOG_DEBUG;
	if (a.log_level != NULL && cg_log_level_parse(a.log_level, &level) < 0) {
		fprintf(stderr, PROG ": --log-level: unknown level \"%s\" (error, warn, info, "
			"debug)\n", a.log_level);
		cg_conf_free(conf);
		return CG_EXIT_USAGE;
	}
	cg_log_init(PROG, level, conf->log.format);
	if (setup_from_conf(conf) < 0) {
		cg_conf_free(conf);
		return CG_EXIT_USAGE;	/* the configuration asks for what cannot be */
	}
	dp_g.stats_out = a.stats_out;
	if (install_signals() < 0) {
		CG_ERR("sigaction: %s", strerror(errno));
		cg_conf_free(conf);
		return CG_EXIT_FAILURE;
	}

	ret = cg_dp_eal_argv(conf, PROG, a.extra_argc, a.extra_argv, cg_dp_link_defer_vdev, NULL,
			     &eal_argc, &eal_argv);
	if (ret < 0) {
		CG_ERR("EAL arguments: %s", strerror(-ret));
		cg_conf_free(conf);
		return CG_EXIT_FAILURE;
	}
	ret = cg_shm_log_bridge(level);
	if (ret < 0)
		CG_WARN("DPDK's log stays on stderr: %s", strerror(-ret));
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		/* Some of EAL's refusals (another primary holds the file prefix's
		 * lock) leave rte_errno at 0: its own log line above says why. */
		if (rte_errno != 0)
			CG_ERR("rte_eal_init: %s (%d)", rte_strerror(rte_errno), rte_errno);
		else
			CG_ERR("rte_eal_init failed (see EAL's message above; file prefix \"%s\")",
			       conf->dp.file_prefix);
		cg_dp_eal_argv_free(eal_argv);
		cg_conf_free(conf);
		return CG_EXIT_FAILURE;
	}

	code = run(conf, &a, start_unix_ms);

	/* Orderly shutdown: lcores are stopped (or never started) here. No rule
	 * request is taken from now on (queued ones are answered -EPIPE). */
	__atomic_store_n(&dp_g.stop, true, __ATOMIC_RELAXED);
	cg_dp_shm_fini();
	if (a.stats_out != NULL && cg_dp_ctrs != NULL) {
		ret = cg_dp_stats_write(a.stats_out);
		if (ret < 0)
			CG_ERR("--stats-out %s: %s", a.stats_out, strerror(-ret));
		else
			CG_INFO("stats written to %s", a.stats_out);
	}
	if (dp_g.svc_tx != NULL && cg_dp_rules != NULL)
		cg_dp_service_stop();
	cg_dp_fwd_fini();
	/* Unlink every rule through the same path a control request takes (no
	 * lcore is online, so the grace periods are immediate). */
	cg_dp_rules_clear(RTE_QSBR_THRID_INVALID);
	cg_dp_link_fini();
	rte_pdump_uninit();
	cg_dp_port_down_all();
	check_pools();
	cg_dp_rules_fini();
	ret = rte_eal_cleanup();
	if (ret != 0)
		CG_WARN("rte_eal_cleanup: %s", strerror(-ret));
	cg_dp_eal_argv_free(eal_argv);
	cg_conf_free(conf);
	CG_INFO("exit %d", code);
	return code;
}
