/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate-control: castgate's control process, a DPDK secondary that
 * serves the JSON-RPC API on a Unix socket. It never runs lcores and never
 * writes the rule table: the data plane (the primary) applies every change
 * it sends over rte_mp IPC.
 *
 * main() is the lifecycle: arguments, config, EAL, reconciliation with the
 * state file, the socket, then one epoll loop (rpc server, 1 s timer,
 * signals) until SIGTERM/SIGINT or the data plane goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include <json-c/json.h>
#include <rte_version.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "cg_rpc.h"
#include "cg_state.h"
#include "cg_util.h"
#include "control.h"

#define LOOP_EVENTS 8

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: " CONTROL_PROG " -c FILE [options] [-- EAL-ARGS...]\n"
"\n"
"castgate's control process: serves the JSON-RPC 2.0 API (rules, stats,\n"
"ports, config, health) on the Unix socket of [control] socket. It joins the\n"
"running castgate-dataplane as a DPDK secondary process (same\n"
"[dataplane] file_prefix); the data plane applies every rule change, and\n"
"each acknowledged change is already in [control] state_file. Normally the\n"
"castgate supervisor starts it after the data plane is ready.\n"
"\n"
"Options:\n"
"  -c, --config FILE     config file (TOML; see docs/CONFIG.md); the same\n"
"                        file the data plane runs with\n"
"      --ready-file PATH write our pid to PATH once the socket accepts\n"
"  -v, --verbose         log at debug level\n"
"      --log-level L     error, warn, info or debug (overrides [log] level)\n"
"  -h, --help            this help\n"
"  -V, --version         print the version and exit\n"
"  -- EAL-ARGS           extra DPDK EAL arguments for the secondary\n"
"\n"
"Methods (docs/API.md; access: read = [control] group, admin = admin_group):\n"
"  rule.add rule.update rule.remove (admin)   rule.get rule.list\n"
"  stats.get   stats.clear (admin)            port.list port.get\n"
"  config.check   config.reload (admin)       system.info system.health\n"
"  events.subscribe (pushes events: links, rules paused, silence alarms)\n"
"  trace.start trace.stop (admin)             trace.get\n"
"\n"
"HTTP (GET, no authentication) on [control] metrics_listen (default\n"
"127.0.0.1:9465; \"\" = off): /metrics (Prometheus text), /healthz (200 when\n"
"system.health says ok, else 503).\n"
"\n"
"Rules of the config file (origin \"config\") are changed by editing the file\n"
"and reloading (SIGHUP or config.reload); rules added over the API (origin\n"
"\"api\") live in the state file.\n"
"\n"
"Signals: SIGTERM/SIGINT close the socket and exit 0; SIGHUP reloads the\n"
"[[rule]] set of the config file. Exit status: 0 stopped by a signal,\n"
"1 start-up error, 2 bad command line or config (the message names the\n"
"key), 3 the data plane is not running or went away.\n"
"\n"
"Example:\n"
"  " CONTROL_PROG " -c /etc/castgate/castgate.toml --ready-file /run/castgate/control.ready\n"
"  echo '{\"jsonrpc\":\"2.0\",\"method\":\"rule.list\",\"id\":1}' |\n"
"      socat - UNIX-CONNECT:/run/castgate/control.sock\n"
"  castgatectl rule list\n");
}

static int
parse_args(int argc, char **argv, struct control *c, const char **log_level, bool *verbose)
{
	enum { OPT_READY = 256, OPT_LOGLEVEL };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	/* '+': stop at the first non-option, so that "--" and EAL args stay ours. */
	while ((o = getopt_long(argc, argv, "+c:vhV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': c->config_path = optarg; break;
		case OPT_READY: c->ready_file = optarg; break;
		case OPT_LOGLEVEL: *log_level = optarg; break;
		case 'v': *verbose = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V':
			printf(CONTROL_PROG " %s (%s)\n", CG_VERSION, rte_version());
			exit(0);
		default:
			fprintf(stderr, "Try '" CONTROL_PROG " --help'.\n");
			return -EINVAL;
		}
	}
	if (c->config_path == NULL) {
		fprintf(stderr, CONTROL_PROG ": missing -c FILE (the config file)\n"
			"Try '" CONTROL_PROG " --help'.\n");
		return -EINVAL;
	}
	if (optind < argc && strcmp(argv[optind], "--") != 0) {
		fprintf(stderr, CONTROL_PROG ": unexpected argument \"%s\" (EAL arguments go "
			"after \"--\")\nTry '" CONTROL_PROG " --help'.\n", argv[optind]);
		return -EINVAL;
	}
	c->eal_extra_argc = argc - optind;
	c->eal_extra_argv = argv + optind;
	return 0;
}

/* Restart counts and pids the supervisor passes in the environment. */
static long
env_long(const char *name)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return 0;
	return v;
}

/* A group name of the config as a gid; "" is "nobody but root". */
static int
group_gid(const char *key, const char *name, gid_t *gid)
{
	struct group *g;

	*gid = CG_RPC_GID_NONE;
	if (name[0] == '\0')
		return 0;
	errno = 0;
	g = getgrnam(name);
	if (g == NULL) {
		CG_ERR("config: %s: no group named \"%s\"%s%s", key, name, errno ? ": " : "",
		       errno ? strerror(errno) : "");
		return -ENOENT;
	}
	*gid = g->gr_gid;
	return 0;
}

/* Make the last directory of @p path if it is missing (the parents are the
 * installation's business). @p key names the config key in messages. */
/*
 * The state file's directory must be ours alone (a user who may write there
 * could replace the API rules), and a temporary file a killed save left
 * there is removed.
 */
static int
safe_dir(const char *key, const char *path, const char *dir)
{
	char err[PATH_MAX + 256];
	int ret = cg_util_check_dir(dir, err, sizeof(err));

	if (ret < 0) {
		CG_ERR("config: %s \"%s\": directory %s", key, path, err);
		return ret;
	}
	ret = cg_util_remove_stale_tmp(path);
	if (ret > 0)
		CG_INFO("%s: removed %d temporary file(s) that an interrupted save left", dir, ret);
	return 0;
}

static int
ensure_parent_dir(const char *key, const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			CG_ERR("config: %s \"%s\": %s is not a directory", key, path, dir);
			return -ENOTDIR;
		}
		/* Not fatal (it may be fixed while we run), but say it now, not
		 * at the first change. */
		if (access(dir, W_OK) < 0)
			CG_WARN("config: %s \"%s\": directory %s is not writable: %s", key,
				path, dir, strerror(errno));
		return safe_dir(key, path, dir);
	}
	if (errno != ENOENT || mkdir(dir, 0755) < 0) {
		int e = errno;

		CG_ERR("config: %s \"%s\": directory %s: %s", key, path, dir, strerror(e));
		return -e;
	}
	CG_INFO("created directory %s (for %s)", dir, key);
	return safe_dir(key, path, dir);
}

/* Signals arrive through a signalfd in the loop; blocked before EAL starts
 * its threads so that they inherit the mask and never take them. */
static int
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int
loop_setup(struct control *c, const sigset_t *sigs)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = CONTROL_TICK_MS / 1000,
				 .tv_nsec = (CONTROL_TICK_MS % 1000) * 1000000L },
		.it_value = { .tv_sec = CONTROL_TICK_MS / 1000,
			      .tv_nsec = (CONTROL_TICK_MS % 1000) * 1000000L },
	};

	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	c->sfd = signalfd(-1, sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (c->epfd < 0 || c->tfd < 0 || c->sfd < 0) {
		CG_ERR("epoll/timerfd/signalfd: %s", strerror(errno));
		return -errno;
	}
	if (timerfd_settime(c->tfd, 0, &its, NULL) < 0 ||
	    epoll_add(c->epfd, c->tfd) < 0 || epoll_add(c->epfd, c->sfd) < 0 ||
	    epoll_add(c->epfd, cg_rpc_server_fd(c->srv)) < 0) {
		CG_ERR("event loop: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void
on_tick(struct control *c)
{
	uint64_t n;

	if (read(c->tfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		CG_WARN("timerfd: %s", strerror(errno));
	if (!control_dataplane_alive(c)) {
		CG_ERR("the data plane (pid %d, file prefix %s) is gone: exiting %d so that the "
		       "supervisor restarts us once a new one is ready", (int)c->shm.info->pid,
		       c->conf->dp.file_prefix, CG_EXIT_UNAVAILABLE);
		c->stop = true;
		c->exit_code = CG_EXIT_UNAVAILABLE;
		return;
	}
	control_stats_sample(c);
	control_rules_tick(c);
	control_config_watch(c);
	control_metrics_tick(c);
}

static void
on_signal(struct control *c)
{
	struct signalfd_siginfo si;
	struct cg_rpc_error err;
	json_object *res = NULL;

	while (read(c->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			struct control_who who = { .uid = si.ssi_uid, .pid = (pid_t)si.ssi_pid,
					       .via = "SIGHUP" };

			memset(&err, 0, sizeof(err));
			CG_INFO("SIGHUP from pid %u: reloading the rules of %s", si.ssi_pid,
				c->config_path);
			if (control_reload(c, &who, &res, &err) == 0)
				json_object_put(res);
			/* control_reload() logged the outcome either way. */
			continue;
		}
		CG_INFO("%s from pid %u: stopping", strsignal((int)si.ssi_signo), si.ssi_pid);
		c->stop = true;
	}
}

static void
run_loop(struct control *c)
{
	struct epoll_event ev[LOOP_EVENTS];
	int srv_fd = cg_rpc_server_fd(c->srv);

	while (!c->stop) {
		int n = epoll_wait(c->epfd, ev, LOOP_EVENTS, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			CG_ERR("epoll_wait: %s", strerror(errno));
			c->exit_code = CG_EXIT_FAILURE;
			return;
		}
		for (int i = 0; i < n && !c->stop; i++) {
			int fd = ev[i].data.fd;
			uint64_t t0 = control_mono_ms();

			if (fd == srv_fd) {
				int ret = cg_rpc_server_dispatch(c->srv, 0);

				if (ret < 0)
					CG_WARN("rpc: %s", strerror(-ret));
				continue;
			}
			if (fd == c->tfd) {
				on_tick(c);
			} else if (fd == c->sfd) {
				on_signal(c);
			} else if (fd == c->silence_fd) {
				/* the 100 ms sampler: silence, and link events */
				control_silence_read(c);
				control_link_tick(c);
			}
			/* Our own work (a tick that rendered /metrics for 100 000
			 * rules, a reload) is not a client's: off its deadlines. */
			cg_rpc_server_owner_busy(c->srv, control_mono_ms() - t0);
		}
	}
}

/* Config checks that only castgate-control makes, each naming its key. */
static int
check_conf(const struct cg_conf *conf)
{
	gid_t gid;

	if (conf->dp.no_huge) {
		CG_ERR("config: dataplane.no_huge = true: " CONTROL_PROG " is a DPDK secondary "
		       "and maps the data plane's hugepages, so it needs them; set no_huge = "
		       "false (the default)");
		return -EINVAL;
	}
	if (conf->ctl.socket[0] == '\0') {
		CG_ERR("config: control.socket is empty");
		return -EINVAL;
	}
	if (conf->ctl.state_file[0] == '\0') {
		CG_ERR("config: control.state_file is empty");
		return -EINVAL;
	}
	/* Resolved again when the socket is made; here, before anything is done. */
	if (group_gid("control.group", conf->ctl.group, &gid) < 0 ||
	    group_gid("control.admin_group", conf->ctl.admin_group, &gid) < 0)
		return -EINVAL;
	return 0;
}

static struct cg_rpc_server *
open_server(struct control *c)
{
	const struct cg_conf_control *k = &c->conf->ctl;
	struct cg_rpc_limits lim = {
		.max_request = k->max_request_bytes,
		.idle_ms = k->idle_timeout_ms,
		.request_ms = k->request_timeout_ms,
		.max_conns = k->max_clients,
	};
	struct cg_rpc_server *srv;
	gid_t rgid, agid;

	if (group_gid("control.group", k->group, &rgid) < 0 ||
	    group_gid("control.admin_group", k->admin_group, &agid) < 0 ||
	    ensure_parent_dir("control.socket", k->socket) < 0)
		return NULL;
	srv = cg_rpc_server_new(k->socket, 0660, rgid, agid, &lim, control_methods, c);
	if (srv == NULL) {
		if (errno == EADDRINUSE)
			CG_ERR("config: control.socket %s: another server answers there (is "
			       CONTROL_PROG " already running?)", k->socket);
		else if (errno == EEXIST)
			CG_ERR("config: control.socket %s: exists and is not a socket; not "
			       "touching it", k->socket);
		else
			CG_ERR("config: control.socket %s: %s", k->socket, strerror(errno));
		return NULL;
	}
	CG_INFO("access: group %s reads, admin group %s changes (and root)",
		k->group[0] ? k->group : "(none)", k->admin_group[0] ? k->admin_group : "(none)");
	return srv;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int
main(int argc, char **argv)
{
	static struct control ctl;
	struct control *c = &ctl;
	const char *log_level = NULL;
	bool verbose = false, ready_written = false;
	enum cg_log_level level;
	char err[1024];
	sigset_t sigs;
	int ret;

	c->epfd = c->tfd = c->sfd = c->silence_fd = -1;
	c->exit_code = CG_EXIT_FAILURE;
	c->start_unix_ms = control_now_ms();
	cg_log_init(CONTROL_PROG, CG_LOG_INFO, CG_LOG_FMT_TEXT);
	if (parse_args(argc, argv, c, &log_level, &verbose) < 0)
		return CG_EXIT_USAGE;
	/* The file as loaded: control_config_watch() checks it again only once it changed. */
	if (stat(c->config_path, &c->config_seen) < 0)
		memset(&c->config_seen, 0, sizeof(c->config_seen));
	c->conf = cg_conf_load(c->config_path, err, sizeof(err));
	if (c->conf == NULL) {
		fprintf(stderr, CONTROL_PROG ": %s\n", err);
		return CG_EXIT_USAGE;
	}
	level = c->conf->log.level;
	if (verbose)
		level = CG_LOG_DEBUG;
	if (log_level != NULL && cg_log_level_parse(log_level, &level) < 0) {
		fprintf(stderr, CONTROL_PROG ": --log-level: unknown level \"%s\" (error, warn, "
			"info, debug)\n", log_level);
		cg_conf_free(c->conf);
		return CG_EXIT_USAGE;
	}
	c->log_level_forced = verbose || log_level != NULL;
	cg_log_init(CONTROL_PROG, level, c->conf->log.format);
	c->supervisor_pid = (pid_t)env_long("CASTGATE_SUPERVISOR_PID");
	c->restarts_dataplane = env_long("CASTGATE_RESTARTS_DATAPLANE");
	c->restarts_control = env_long("CASTGATE_RESTARTS_CONTROL");
	c->test_hooks = env_long("CASTGATE_TEST_HOOKS") == 1;

	if (check_conf(c->conf) < 0) {
		c->exit_code = CG_EXIT_USAGE;	/* castgate-control(8): a bad configuration */
		goto out;
	}
	if (ensure_parent_dir("control.state_file", c->conf->ctl.state_file) < 0)
		goto out;
	ret = block_signals(&sigs);
	if (ret < 0) {
		CG_ERR("sigprocmask: %s", strerror(-ret));
		goto out;
	}
	/* No data plane: exit 3 at once, the supervisor's cue to wait for one. */
	ret = control_primary_check(c);
	if (ret != 0) {
		c->exit_code = ret;
		goto out;
	}
	/* Then the socket, before EAL: a bad group or a second instance fails
	 * before we touch the data plane. Clients that connect now wait in the
	 * backlog until the loop runs. */
	c->srv = open_server(c);
	if (c->srv == NULL)
		goto out;
	ret = control_eal_start(c);
	if (ret != 0) {
		c->exit_code = ret;
		goto out;
	}
	if (control_stats_init(c) < 0 || control_silence_init(c) < 0) {
		CG_ERR("out of memory for the stats and silence samplers");
		goto out;
	}
	control_rules_start(c);
	control_stats_sample(c);
	if (loop_setup(c, &sigs) < 0)
		goto out;
	control_link_start(c);
	ret = control_silence_start(c);
	if (ret < 0 || epoll_add(c->epfd, ret) < 0) {
		CG_ERR("event loop: silence sampler: %s", strerror(ret < 0 ? -ret : errno));
		goto out;
	}
	if (c->test_hooks)
		CG_WARN("CASTGATE_TEST_HOOKS=1: the test method test.emit is served");
	if (control_metrics_start(c) < 0)
		goto out;
	/*
	 * Everything privileged is done: the EAL attach (hugepages, the
	 * primary's shared memory), the sockets bound. What is left parses
	 * untrusted JSON, so it runs with no capability at all (still uid 0,
	 * which owns the state and run files it writes).
	 */
	ret = cg_util_drop_privileges();
	if (ret < 0) {
		CG_ERR("dropping capabilities: %s", strerror(-ret));
		goto out;
	}
	if (c->ready_file != NULL) {
		char text[32];

		snprintf(text, sizeof(text), "%d\n", (int)getpid());
		ret = cg_util_write_file(c->ready_file, text, strlen(text), 0644, false, NULL);
		if (ret < 0) {
			CG_ERR("--ready-file %s: %s", c->ready_file, strerror(-ret));
			goto out;
		}
		ready_written = true;
	}
	CG_INFO("ready: data plane pid %d, %u rule(s) (generation %" PRIu64 "), "
		"%zu API rule(s) in %s", (int)c->shm.info->pid, c->shm.rules->nb_rules,
		control_rules_generation(c), c->api ? cg_rule_set_count(c->api) : 0,
		c->conf->ctl.state_file);
	/* The first sample starts every rule's silence clock now. */
	control_silence_read(c);
	c->exit_code = CG_EXIT_OK;
	run_loop(c);
out:
	/* Close the socket first: clients see the end at once, not after EAL. */
	cg_rpc_server_free(c->srv);
	c->srv = NULL;
	control_silence_stop(c);
	control_metrics_stop(c);
	close_fd(&c->sfd);
	close_fd(&c->tfd);
	close_fd(&c->epfd);
	control_stats_fini(c);
	control_silence_fini(c);
	cg_rule_set_free(c->api);
	c->api = NULL;
	/* Without a primary, EAL's cleanup only logs that it cannot reach it. */
	if (c->exit_code != CG_EXIT_UNAVAILABLE)
		control_eal_stop(c);
	control_eal_argv_free(c->eal_argv);
	cg_conf_free(c->conf);
	/* Our ready file must not outlive us: a supervisor would trust it. (Not
	 * one we did not write: it may be another instance's.) */
	if (ready_written)
		unlink(c->ready_file);
	CG_INFO("exit %d", c->exit_code);
	return c->exit_code;
}
