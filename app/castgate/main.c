/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate: the supervisor. It runs no DPDK itself: it checks the config,
 * finds the two binaries, takes the run dir's lock, and hands over to the
 * loop in sup_loop.c, which starts, watches and restarts castgate-dataplane
 * (the DPDK primary) and castgate-control (the secondary serving JSON-RPC).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "cg_util.h"
#include "setup.h"
#include "sup.h"

/* Exit codes: 2 is also RestartPreventExitStatus= in castgate.service, since
 * restarting cannot fix a bad command line or config. */
/* Name of the lock (and pid) file in the run dir. */
#define LOCK_NAME "castgate.pid"
/* The state file's lock, beside it: one castgate per state file. */
#define STATE_LOCK_SUFFIX ".lock"

struct args {
	const char *config;
	const char *dp_bin;
	const char *ctl_bin;
	const char *log_level;
	const char *ready_file;
	bool verbose;
	bool check_config;
};

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: " SUP_PROG " -c FILE [options]\n"
"       " SUP_PROG " setup [--config FILE] [--dry-run] [--undo]\n"
"\n"
"castgate's supervisor. It runs the two processes of the multicast relay and\n"
"keeps them running:\n"
"  castgate-dataplane  the DPDK primary: ports, rule table, forwarding lcores\n"
"  castgate-control    a DPDK secondary: the JSON-RPC socket that castgatectl\n"
"                      talks to ([control] socket); it never forwards\n"
"Each gets `-c FILE --ready-file RUN/<name>.ready`; RUN is [supervisor]\n"
"run_dir (default /run/castgate, created 0755 if missing). castgate itself\n"
"runs no DPDK.\n"
"\n"
"Options:\n"
"  -c, --config FILE       config file (TOML; castgate.toml(5), docs/CONFIG.md)\n"
"      --check-config      validate FILE as a whole start would, without\n"
"                          starting anything: the config (lib/conf), the\n"
"                          supervisor's own checks (binaries found, groups\n"
"                          exist, dataplane.no_huge refused) and the data\n"
"                          plane's (castgate-dataplane --check-config); exit 0\n"
"                          valid, 1 invalid with the error naming the key\n"
"      --dataplane-bin PATH  castgate-dataplane to run\n"
"      --control-bin PATH    castgate-control to run\n"
"                          default for both: next to this program, else\n"
"                          ../<name>/<name> from it (the meson build tree),\n"
"                          else " CG_LIBEXECDIR ",\n"
"                          else $PATH\n"
"      --ready-file PATH   write our pid to PATH once both children are ready\n"
"                          the first time (the READY=1 moment; for scripts)\n"
"      --log-level L       error, warn, info or debug, for castgate and both\n"
"                          children (default: [log] level)\n"
"  -v, --verbose           same as --log-level debug\n"
"  -h, --help              this help\n"
"  -V, --version           print the version and exit\n"
"\n"
"Start order: castgate-dataplane, wait for its ready file; castgate-control,\n"
"wait for its ready file; then READY=1 to systemd. A child not ready within\n"
"[supervisor] ready_timeout_s (60) is stopped and restarted. Ready files\n"
"left from an earlier run are removed before each start and must name the\n"
"new child's pid.\n"
"\n"
"Restart policy ([supervisor]):\n"
"  Either child is restarted whenever it exits: the first quick_restarts (3)\n"
"  times at once, then after a delay that starts at restart_min_ms (250),\n"
"  doubles on each consecutive failure up to restart_max_ms (16000), and\n"
"  returns to none once the child has run stable_s (60). If castgate-dataplane exits, castgate-control (which cannot\n"
"  outlive its primary) is stopped first, then the data plane is restarted,\n"
"  then the control process once the data plane is ready; the data plane\n"
"  rebuilds its rules from the config and the state file at start. If\n"
"  castgate-control exits, only it is restarted; forwarding goes on.\n"
"  Children get CASTGATE_SUPERVISOR_PID, CASTGATE_RESTARTS_DATAPLANE,\n"
"  CASTGATE_RESTARTS_CONTROL and CASTGATE_STARTED_UNIX_MS, and die with\n"
"  castgate if it is killed (PR_SET_PDEATHSIG).\n"
"\n"
"Signals:\n"
"  SIGTERM, SIGINT  orderly stop within stop_timeout_s (10) in all: SIGTERM\n"
"                   to castgate-control (SIGKILL after half of it), then to\n"
"                   castgate-dataplane (SIGKILL at the end of it); exit 0.\n"
"                   A second one kills both at once.\n"
"  SIGHUP           forwarded to castgate-control, which reloads the [[rule]]\n"
"                   set from FILE (held until it is ready if it is restarting).\n"
"                   Other changes need a restart.\n"
"\n"
"systemd (Type=notify): READY=1 once both are ready, STATUS= on every start\n"
"and restart, WATCHDOG=1 at half of WatchdogSec, STOPPING=1. Logs go to\n"
"stderr (journald when run by systemd).\n"
"\n"
"Files:\n"
"  /etc/castgate/castgate.toml    the config (castgate.service passes it)\n"
"  RUN/dataplane.ready, RUN/control.ready   the children's ready files\n"
"  RUN/castgate.pid               lock: one castgate per run dir\n"
"  [control] socket               JSON-RPC socket (/run/castgate/control.sock)\n"
"  [control] state_file           API rules (/var/lib/castgate/rules.json)\n"
"\n"
"castgate setup binds the config's PCI ports to vfio-pci and persists that\n"
"for dpdk.service (" SUP_PROG " setup --help, castgate-setup(8)).\n"
"\n"
"Exit status: 0 after an orderly stop; 1 runtime failure (or --check-config\n"
"found an error); 2 bad command line or config (systemd does not restart).\n"
"\n"
"Examples:\n"
"  " SUP_PROG " -c /etc/castgate/castgate.toml --check-config\n"
"  " SUP_PROG " -c /etc/castgate/castgate.toml\n"
"  kill -HUP $(cat /run/castgate/castgate.pid)     # reload the [[rule]] set\n"
"  castgatectl system info                          # pids, uptimes, restarts\n");
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	enum { OPT_CHECK = 256, OPT_DP_BIN, OPT_CTL_BIN, OPT_LOGLEVEL, OPT_READY };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "dataplane-bin", required_argument, NULL, OPT_DP_BIN },
		{ "control-bin", required_argument, NULL, OPT_CTL_BIN },
		{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	memset(a, 0, sizeof(*a));
	while ((o = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': a->config = optarg; break;
		case OPT_CHECK: a->check_config = true; break;
		case OPT_DP_BIN: a->dp_bin = optarg; break;
		case OPT_CTL_BIN: a->ctl_bin = optarg; break;
		case OPT_LOGLEVEL: a->log_level = optarg; break;
		case OPT_READY: a->ready_file = optarg; break;
		case 'v': a->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf(SUP_PROG " %s\n", CG_VERSION); exit(0);
		default:
			fprintf(stderr, "Try '" SUP_PROG " --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, SUP_PROG ": unexpected argument '%s'\nTry '" SUP_PROG
			" --help'.\n", argv[optind]);
		return -EINVAL;
	}
	if (a->config == NULL) {
		fprintf(stderr, SUP_PROG ": missing -c FILE (the config file)\n"
			"Try '" SUP_PROG " --help'.\n");
		return -EINVAL;
	}
	return 0;
}

/* Find both binaries; on failure print which and how to fix it. */
static int
find_bins(const struct args *a, char *dp, char *ctl, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *path = getenv("PATH");
	struct {
		const char *prog, *override, *opt;
		char *out;
	} b[] = {
		{ SUP_DP_NAME, a->dp_bin, "--dataplane-bin", dp },
		{ SUP_CTL_NAME, a->ctl_bin, "--control-bin", ctl },
	};

	if (n < 0) {
		fprintf(stderr, SUP_PROG ": readlink /proc/self/exe: %s\n", strerror(errno));
		n = 0;
	}
	self[n] = '\0';
	for (size_t i = 0; i < 2; i++) {
		if (sup_find_bin(b[i].prog, b[i].override, n > 0 ? self : NULL, CG_LIBEXECDIR,
				 path, b[i].out, size) == 0)
			continue;
		if (b[i].override != NULL)
			fprintf(stderr, SUP_PROG ": %s %s: not an executable file\n", b[i].opt,
				b[i].override);
		else
			fprintf(stderr, SUP_PROG ": %s not found next to %s, in ../%s/ from it, "
				"in " CG_LIBEXECDIR ", nor in $PATH; give it with %s\n", b[i].prog,
				n > 0 ? self : "this program", b[i].prog, b[i].opt);
		return -ENOENT;
	}
	return 0;
}

static int
check_group(const char *path, const char *key, const char *name)
{
	struct group *g;

	if (name[0] == '\0')
		return 0;
	errno = 0;
	g = getgrnam(name);
	if (g != NULL)
		return 0;
	if (errno != 0)
		fprintf(stderr, SUP_PROG ": %s: %s: looking up group \"%s\": %s\n", path, key,
			name, strerror(errno));
	else
		fprintf(stderr, SUP_PROG ": %s: %s: there is no group \"%s\" (getent group %s)\n",
			path, key, name, name);
	return -ENOENT;
}

/* The supervisor's own checks, beyond what lib/conf validates. */
static int
check_conf(const struct cg_conf *c, const char *path)
{
	struct stat st;

	if (c->dp.no_huge) {
		fprintf(stderr, SUP_PROG ": %s: dataplane.no_huge = true is refused: "
			"castgate-control is a DPDK secondary process and maps the data "
			"plane's hugepages; run castgate-dataplane alone for no-huge tests\n",
			path);
		return -EINVAL;
	}
	if (check_group(path, "control.group", c->ctl.group) < 0 ||
	    check_group(path, "control.admin_group", c->ctl.admin_group) < 0)
		return -ENOENT;
	if (stat(c->sup.run_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fprintf(stderr, SUP_PROG ": %s: supervisor.run_dir: %s is not a directory\n",
			path, c->sup.run_dir);
		return -ENOTDIR;
	}
	return 0;
}

/*
 * --check-config and a start: the directories a start would refuse, where
 * they exist already (a start makes a missing one itself): the run directory,
 * and the state file's, which castgate-control checks the same way; and a
 * file at the socket's path that is not a socket.
 */
static int
check_dirs(const struct cg_conf *c, const char *path)
{
	const struct { const char *key, *path; bool file; } d[] = {
		{ "supervisor.run_dir", c->sup.run_dir, false },
		{ "control.state_file", c->ctl.state_file, true },
	};
	char dir[PATH_MAX], err[PATH_MAX + 256], *slash;
	struct stat st;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		snprintf(dir, sizeof(dir), "%s", d[i].path);
		if (d[i].file && (slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';	/* the file's directory */
		if (dir[0] == '\0' || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (cg_util_check_dir(dir, err, sizeof(err)) < 0) {
			fprintf(stderr, SUP_PROG ": %s: %s: directory %s\n", path, d[i].key, err);
			return -EINVAL;
		}
	}
	/* castgate-control replaces a stale socket, never anything else */
	if (stat(c->ctl.socket, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, SUP_PROG ": %s: control.socket: %s exists and is not a socket\n",
			path, c->ctl.socket);
		return -EINVAL;
	}
	return 0;
}

/* castgate-dataplane --check-config: its own checks of the EAL line. Its
 * output is shown only when it fails. */
static int
check_dataplane(const char *bin, const char *config)
{
	char out[8192];
	size_t len = 0;
	int pfd[2], wstatus;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(devnull, STDOUT_FILENO) < 0 || dup2(pfd[1], STDERR_FILENO) < 0)
			_exit(127);
		execl(bin, bin, "-c", config, "--check-config", (char *)NULL);
		dprintf(STDERR_FILENO, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		/* Past the buffer, keep reading so that the child never blocks on a full pipe. */
		char scratch[512];
		bool room = len < sizeof(out) - 1;

		n = read(pfd[0], room ? out + len : scratch,
			 room ? sizeof(out) - 1 - len : sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (room)
			len += (size_t)n;
	}
	close(pfd[0]);
	out[len] = '\0';
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
		return 0;
	fprintf(stderr, "%s", out);
	{
		char how[96];

		fprintf(stderr, SUP_PROG ": %s --check-config %s\n", SUP_DP_NAME,
			sup_fmt_status(how, sizeof(how), wstatus));
	}
	return -EINVAL;
}

static void
print_summary(const struct cg_conf *c, const char *path, const char *dp, const char *ctl)
{
	const struct cg_conf_supervisor *s = &c->sup;

	printf("%s: valid\n"
	       "  ports %zu, config rules %zu\n"
	       "  %s: %s\n"
	       "  %s: %s\n"
	       "  run dir %s (dataplane.ready, control.ready, " LOCK_NAME ")\n"
	       "  control socket %s, state file %s\n"
	       "  restarts: %u at once, then %u ms doubling to %u ms, reset after %u s "
	       "running; ready timeout %u s; stop timeout %u s\n",
	       path, c->n_ports, cg_rule_set_count(c->rules), SUP_DP_NAME, dp, SUP_CTL_NAME, ctl,
	       s->run_dir, c->ctl.socket, c->ctl.state_file, s->quick_restarts, s->restart_min_ms,
	       s->restart_max_ms, s->stable_s, s->ready_timeout_s, s->stop_timeout_s);
}

/* @p path made absolute against the cwd, without resolving anything. */
static int
absolute_path(const char *path, char *out, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/') {
		n = snprintf(out, size, "%s", path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return -errno;
		/* "./x" reads better in logs as "x". */
		while (path[0] == '.' && path[1] == '/')
			path += 2;
		n = snprintf(out, size, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
	}
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * One supervisor per run dir (two would remove each other's ready files) and
 * per state file (two would each cut the other's journal lines as torn, and
 * lose acknowledged rules). The lock file holds our pid and lives as long as
 * the process (the fd is close-on-exec, so children do not hold it after we
 * die); @what names what is shared in the error.
 */
static int
take_lock(const char *path, const char *what, int *lockfd)
{
	char text[32];
	int fd, len;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		CG_ERR("%s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		ssize_t n = read(fd, text, sizeof(text) - 1);

		text[n > 0 ? n : 0] = '\0';
		text[strcspn(text, "\n")] = '\0';
		if (err == EWOULDBLOCK)
			CG_ERR("another castgate (pid %s) runs with %s (%s is locked)",
			       text[0] != '\0' ? text : "?", what, path);
		else
			CG_ERR("%s: flock: %s", path, strerror(err));
		close(fd);
		return -err;
	}
	len = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)len, 0) != len)
		CG_WARN("%s: writing our pid: %s", path, strerror(errno));
	*lockfd = fd;
	return 0;
}

/* The run dir's lock, then the state file's (<state_file>.lock, in a
 * directory made as castgate-control would make it: 0755, not its parents). */
static int
take_locks(const struct cg_conf *c, int lockfd[2])
{
	char path[PATH_MAX], what[PATH_MAX + 16], *slash;

	if (snprintf(path, sizeof(path), "%s/" LOCK_NAME, c->sup.run_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	snprintf(what, sizeof(what), "run dir %s", c->sup.run_dir);
	if (take_lock(path, what, &lockfd[0]) < 0)
		return -EBUSY;
	if (snprintf(path, sizeof(path), "%s" STATE_LOCK_SUFFIX, c->ctl.state_file) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	slash = strrchr(path, '/');
	if (slash != NULL && slash != path) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			CG_ERR("control.state_file: mkdir %s: %s", path, strerror(errno));
			return -errno;
		}
		*slash = '/';
	}
	snprintf(what, sizeof(what), "state file %s", c->ctl.state_file);
	return take_lock(path, what, &lockfd[1]) < 0 ? -EBUSY : 0;
}

int
main(int argc, char **argv)
{
	char err[1024], dp_bin[PATH_MAX], ctl_bin[PATH_MAX], config[PATH_MAX];
	struct sup_opts o;
	struct cg_conf *conf;
	enum cg_log_level level;
	struct args a;
	int lockfd[2] = { -1, -1 }, code, ret;
	pid_t holder;

	cg_log_init(SUP_PROG, CG_LOG_INFO, CG_LOG_FMT_TEXT);
	if (argc > 1 && strcmp(argv[1], "setup") == 0)
		return setup_main(argc - 1, argv + 1);
	if (parse_args(argc, argv, &a) < 0)
		return CG_EXIT_USAGE;
	level = CG_LOG_INFO;
	if (a.log_level != NULL && cg_log_level_parse(a.log_level, &level) < 0) {
		fprintf(stderr, SUP_PROG ": --log-level: unknown level \"%s\" (error, warn, "
			"info, debug)\n", a.log_level);
		return CG_EXIT_USAGE;
	}
	if (a.verbose && a.log_level == NULL)
		a.log_level = "debug";

	conf = cg_conf_load(a.config, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, SUP_PROG ": %s\n", err);
		return a.check_config ? CG_EXIT_FAILURE : CG_EXIT_USAGE;
	}
	/* Children get an absolute path, so that what they read does not depend
	 * on a cwd; symlinks are kept, so that a restart after the link moved
	 * (a deployment switching config versions) reads the new target. */
	if (absolute_path(a.config, config, sizeof(config)) < 0) {
		fprintf(stderr, SUP_PROG ": %s: %s\n", a.config, strerror(errno));
		cg_conf_free(conf);
		return a.check_config ? CG_EXIT_FAILURE : CG_EXIT_USAGE;
	}
	if (find_bins(&a, dp_bin, ctl_bin, sizeof(dp_bin)) < 0 || check_conf(conf, a.config) < 0) {
		cg_conf_free(conf);
		return a.check_config ? CG_EXIT_FAILURE : CG_EXIT_USAGE;
	}
	/* A start makes the checks --check-config makes: what they refuse would
	 * otherwise be a child's exit at every restart, never castgate's exit 2. */
	ret = check_dirs(conf, a.config);
	if (ret == 0)
		ret = check_dataplane(dp_bin, config);
	if (ret < 0 && ret != -EINVAL)
		fprintf(stderr, SUP_PROG ": running %s --check-config: %s\n", dp_bin,
			strerror(-ret));
	if (a.check_config) {
		if (ret == 0)
			print_summary(conf, a.config, dp_bin, ctl_bin);
		cg_conf_free(conf);
		return ret == 0 ? 0 : 1;
	}
	if (ret < 0) {
		cg_conf_free(conf);
		return ret == -EINVAL ? CG_EXIT_USAGE : CG_EXIT_FAILURE;
	}

	if (a.log_level == NULL)
		level = conf->log.level;
	else
		cg_log_level_parse(a.log_level, &level);
	cg_log_init(SUP_PROG, level, conf->log.format);
	/* Writes to a closed notify socket or pipe must not kill the supervisor. */
	signal(SIGPIPE, SIG_IGN);

	ret = sup_mkdir_p(conf->sup.run_dir);
	if (ret < 0) {
		CG_ERR("supervisor.run_dir %s: mkdir: %s", conf->sup.run_dir, strerror(-ret));
		cg_conf_free(conf);
		return CG_EXIT_FAILURE;
	}
	ret = cg_util_check_dir(conf->sup.run_dir, err, sizeof(err));
	if (ret < 0) {
		CG_ERR("supervisor.run_dir %s", err);
		cg_conf_free(conf);
		return CG_EXIT_FAILURE;
	}
	ret = take_locks(conf, lockfd);
	holder = ret == 0 ? sup_dpdk_prefix_holder(conf->dp.file_prefix,
						   cg_util_dpdk_run_base()) : 0;
	/* Ours could not start (EAL's lock), and our stop would remove its files. */
	if (holder != 0)
		CG_ERR("dataplane.file_prefix \"%s\" is in use by a running DPDK primary "
		       "(pid %ld); give this castgate a file_prefix of its own",
		       conf->dp.file_prefix, (long)holder);
	if (ret < 0 || holder != 0) {
		for (int i = 0; i < 2; i++)
			if (lockfd[i] >= 0)
				close(lockfd[i]);
		cg_conf_free(conf);
		return CG_EXIT_FAILURE;
	}
	/* Ready files a killed write left (the children write them atomically). */
	for (const char *const *f = (const char *const[]){ "dataplane.ready", "control.ready",
							   NULL }; *f != NULL; f++) {
		char rp[PATH_MAX];

		if (snprintf(rp, sizeof(rp), "%s/%s", conf->sup.run_dir, *f) < (int)sizeof(rp))
			(void)cg_util_remove_stale_tmp(rp);
	}
	CG_INFO("castgate %s: config %s, run dir %s; %s, %s", CG_VERSION, config,
		conf->sup.run_dir, dp_bin, ctl_bin);

	o = (struct sup_opts){
		.conf = conf, .config_path = config, .dp_bin = dp_bin, .ctl_bin = ctl_bin,
		.log_level = a.log_level, .ready_file = a.ready_file,
	};
	code = sup_run(&o);

	/* An empty pid file says "not running"; the locks go with the fds. */
	for (int i = 0; i < 2; i++) {
		if (ftruncate(lockfd[i], 0) < 0)
			CG_DEBUG("truncating a lock file: %s", strerror(errno));
		close(lockfd[i]);
	}
	cg_conf_free(conf);
	return code;
}
