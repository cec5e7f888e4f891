/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The supervisor's loop: one thread, poll() on a signalfd (SIGCHLD, SIGTERM,
 * SIGINT, SIGHUP) and an inotify watch of the run dir (ready files), with a
 * timeout that is the nearest deadline (a restart, a ready timeout, a
 * SIGKILL, the watchdog).
 *
 * Each child is a small state machine:
 *
 *   IDLE --spawn--> STARTING --ready file--> RUNNING
 *     ^                 |  (ready timeout: stop it, it counts as a failure)
 *     |                 v
 *   WAITING <--exit-- STARTING/RUNNING          STOPPING --exit--> IDLE
 *   (backoff)
 *
 * and the two are coupled (docs/ARCHITECTURE.md, "what happens on each
 * crash"): the control process
 * (a DPDK secondary) only runs while the data plane (its primary) is
 * RUNNING; when the data plane exits, the control process is stopped first,
 * then the data plane is restarted after its backoff, then the control
 * process once the data plane is ready. A control exit restarts only it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "cg_util.h"
#include "sup.h"

/* While a child starts, its ready file is also checked this often, in case
 * inotify misses it (network file systems, a file written in place). */
#define READY_POLL_MS 100
/* After SIGKILL a process is gone in microseconds unless it sits in the
 * kernel (D state); say so again at this period rather than wait silently. */
#define KILL_REPORT_MS 5000
/* Longest ready file we read: "<pid>\n". */
#define READY_MAX 64

enum child_state { CS_IDLE, CS_WAITING, CS_STARTING, CS_RUNNING, CS_STOPPING };

/* Why the supervisor stops a child: decides what its exit means. */
enum stop_why { WHY_NONE, WHY_SHUTDOWN, WHY_PRIMARY_GONE, WHY_NOT_READY };

struct child {
	const char *name;        /* "castgate-dataplane" */
	const char *bin;
	char ready_path[PATH_MAX + 32]; /* run_dir (< PATH_MAX) + "/dataplane.ready" */
	enum child_state state;
	pid_t pid;
	uint64_t spawn_ms;       /* monotonic */
	uint64_t spawn_unix_ms;  /* wall clock, to compare with a ready file's mtime */
	uint64_t deadline_ms;    /* WAITING: start; STARTING: ready timeout; STOPPING: SIGKILL */
	enum stop_why why;
	bool killed;             /* SIGKILL sent */
	bool stale_logged;       /* the "stale ready file" warning, once per start */
	bool hup_pending;        /* forward SIGHUP once it is ready */
	unsigned int starts;     /* restarts = starts - 1 */
	struct sup_backoff bo;
};

struct sup {
	const struct sup_opts *o;
	const struct cg_conf_supervisor *cfg;
	struct child dp, ctl;
	int sfd, ifd;
	bool stopping;
	uint64_t stop_end_ms;    /* the whole orderly stop ends by then */
	bool ready_sent;         /* READY=1 went out (the first time both were up) */
	bool degraded;           /* since READY=1, a child is not running */
	uint64_t degraded_ms;
	uint64_t started_unix_ms;
	uint64_t wd_period_ms;   /* 0: no watchdog */
	uint64_t wd_next_ms;
};

static bool
active(const struct child *c)
{
	return c->state == CS_STARTING || c->state == CS_RUNNING || c->state == CS_STOPPING;
}

/* "pid 123" when running, else what it is doing. */
static const char *
state_text(const struct child *c, char *buf, size_t size)
{
	switch (c->state) {
	case CS_RUNNING: snprintf(buf, size, "pid %d", (int)c->pid); break;
	case CS_STARTING: snprintf(buf, size, "starting (pid %d)", (int)c->pid); break;
	case CS_STOPPING: snprintf(buf, size, "stopping (pid %d)", (int)c->pid); break;
	case CS_WAITING: snprintf(buf, size, "restart pending"); break;
	case CS_IDLE:
	default: snprintf(buf, size, "not running"); break;
	}
	return buf;
}

/* The STATUS= text: what runs, and how often each child was restarted. */
static const char *
status_text(const struct sup *s, char *buf, size_t size)
{
	char dp[48], ctl[48];
	const char *what;

	if (s->dp.state == CS_RUNNING && s->ctl.state == CS_RUNNING)
		what = "running";
	else if (s->dp.state == CS_RUNNING)
		what = "forwarding, control API down";
	else
		what = "data plane down";
	snprintf(buf, size, "%s: dataplane %s, %u restarts; control %s, %u restarts", what,
		 state_text(&s->dp, dp, sizeof(dp)), s->dp.starts > 0 ? s->dp.starts - 1 : 0,
		 state_text(&s->ctl, ctl, sizeof(ctl)), s->ctl.starts > 0 ? s->ctl.starts - 1 : 0);
	return buf;
}

static void
set_status(const struct sup *s)
{
	char text[256];

	sup_notify("STATUS=%s", status_text(s, text, sizeof(text)));
}

static void
unlink_ready(struct child *c, bool before_start)
{
	if (unlink(c->ready_path) == 0) {
		if (before_start)
			CG_INFO("%s: removed the stale ready file %s", c->name, c->ready_path);
	} else if (errno != ENOENT) {
		CG_WARN("%s: unlink %s: %s", c->name, c->ready_path, strerror(errno));
	}
}

/* Failure path shared by a failed exec and an unexpected exit. */
static void
schedule_restart(struct sup *s, struct child *c, uint64_t now, uint64_t ran_ms,
		 const char *what)
{
	char ran[32], in[32];
	uint32_t delay = sup_backoff_next(&c->bo, ran_ms);

	c->state = CS_WAITING;
	c->deadline_ms = now + delay;
	sup_fmt_ms(ran, sizeof(ran), ran_ms);
	sup_fmt_ms(in, sizeof(in), delay);
	if (c == &s->ctl && s->dp.state != CS_RUNNING) {
		/* It starts when the data plane is ready, not on a timer. */
		c->state = CS_IDLE;
		CG_ERR("%s %s after %s; restart %u once castgate-dataplane is ready", c->name,
		       what, ran, c->starts);
	} else {
		CG_ERR("%s %s after %s; restart %u in %s", c->name, what, ran, c->starts, in);
	}
	sup_notify("STATUS=%s %s; restart %u in %s", c->name, what, c->starts, in);
	if (s->ready_sent && !s->degraded) {
		s->degraded = true;
		s->degraded_ms = now;
	}
}

static void
spawn(struct sup *s, struct child *c, uint64_t now)
{
	const struct sup_opts *o = s->o;
	struct sup_env_vars v;
	char *argv[8];
	char **envp;
	int argc = 0;
	pid_t pid;

	/* Someone may have removed the run dir (tmpfiles, an operator): the
	 * child could not write its ready file and would time out. */
	if (access(s->cfg->run_dir, F_OK) < 0) {
		int ret = sup_mkdir_p(s->cfg->run_dir);

		CG_WARN("supervisor.run_dir %s was gone: %s", s->cfg->run_dir,
			ret < 0 ? strerror(-ret) : "created it again");
	}
	unlink_ready(c, true);
	c->starts++;
	v = (struct sup_env_vars){
		.supervisor_pid = getpid(),
		.restarts_dataplane = s->dp.starts > 0 ? s->dp.starts - 1 : 0,
		.restarts_control = s->ctl.starts > 0 ? s->ctl.starts - 1 : 0,
		.started_unix_ms = s->started_unix_ms,
	};
	argv[argc++] = (char *)c->bin;
	argv[argc++] = (char *)"-c";
	argv[argc++] = (char *)o->config_path;
	argv[argc++] = (char *)"--ready-file";
	argv[argc++] = c->ready_path;
	if (o->log_level != NULL) {
		argv[argc++] = (char *)"--log-level";
		argv[argc++] = (char *)o->log_level;
	}
	argv[argc] = NULL;
	envp = sup_env_build(environ, &v);
	if (envp == NULL) {
		schedule_restart(s, c, now, 0, "could not be started (out of memory)");
		return;
	}
	pid = sup_spawn(argv, envp);
	sup_env_free(envp);
	if (pid < 0) {
		char what[PATH_MAX + 64];

		snprintf(what, sizeof(what), "could not be started: exec %s: %s", c->bin,
			 strerror(-pid));
		schedule_restart(s, c, now, 0, what);
		return;
	}
	c->pid = pid;
	c->state = CS_STARTING;
	c->spawn_ms = now;
	c->spawn_unix_ms = sup_unix_ms();
	c->deadline_ms = now + (uint64_t)s->cfg->ready_timeout_s * 1000;
	c->why = WHY_NONE;
	c->killed = false;
	c->stale_logged = false;
	if (c->starts == 1)
		CG_INFO("%s started (pid %d)", c->name, (int)pid);
	else
		CG_INFO("%s started (pid %d), restart %u", c->name, (int)pid, c->starts - 1);
	CG_DEBUG("%s: %s -c %s --ready-file %s", c->name, c->bin, o->config_path,
		 c->ready_path);
}

static void
stop_child(struct sup *s, struct child *c, enum stop_why why, uint64_t now)
{
	if (c->state != CS_STARTING && c->state != CS_RUNNING)
		return;
	if (kill(c->pid, SIGTERM) < 0 && errno != ESRCH)
		CG_WARN("%s (pid %d): kill SIGTERM: %s", c->name, (int)c->pid, strerror(errno));
	c->state = CS_STOPPING;
	c->why = why;
	c->killed = false;
	c->deadline_ms = now + (uint64_t)s->cfg->stop_timeout_s * 1000;
	if (why == WHY_SHUTDOWN) {
		/* Both stop within stop_timeout_s in all: the control process
		 * has nothing to drain and gets half of it at most; the data
		 * plane gets what is left. */
		uint64_t end = c == &s->ctl ?
			now + (uint64_t)s->cfg->stop_timeout_s * 1000 / 2 : s->stop_end_ms;

		c->deadline_ms = end > now ? end : now;
	}
}

static void
forward_hup(struct child *c)
{
	if (kill(c->pid, SIGHUP) < 0)
		CG_WARN("%s (pid %d): kill SIGHUP: %s", c->name, (int)c->pid, strerror(errno));
	else
		CG_INFO("SIGHUP forwarded to %s (pid %d): it reloads the [[rule]] set", c->name,
			(int)c->pid);
	c->hup_pending = false;
}

/* STARTING: is its ready file there, written by this very process? */
static bool
check_ready(struct child *c)
{
	char buf[READY_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(c->ready_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 || fstat(fd, &st) < 0) {
		close(fd);
		return false;
	}
	close(fd);
	switch (sup_ready_parse(buf, (size_t)n, c->pid)) {
	case SUP_READY_YES:
		return true;
	case SUP_READY_UNKNOWN: {
		/* No pid to compare: it was removed before the spawn, so a file
		 * modified since then is this child's (1 s of slack for file
		 * systems with coarse timestamps). */
		uint64_t mtime_ms = (uint64_t)st.st_mtim.tv_sec * 1000 +
				    (uint64_t)st.st_mtim.tv_nsec / 1000000;

		return mtime_ms + 1000 >= c->spawn_unix_ms;
	}
	case SUP_READY_STALE:
		if (!c->stale_logged)
			CG_WARN("%s (pid %d): %s names another process: ignored (stale); "
				"waiting for this one's", c->name, (int)c->pid, c->ready_path);
		c->stale_logged = true;
		return false;
	case SUP_READY_NOT_YET:
	default:
		return false;
	}
}

/* A child was reaped. */
static void
child_exited(struct sup *s, struct child *c, int wstatus, uint64_t now)
{
	char how[96], ran[32];
	const uint64_t ran_ms = now - c->spawn_ms;
	const enum stop_why why = c->why;
	const enum child_state was = c->state;
	const pid_t pid = c->pid;

	sup_fmt_status(how, sizeof(how), wstatus);
	sup_fmt_ms(ran, sizeof(ran), ran_ms);
	c->state = CS_IDLE;
	c->pid = 0;
	c->why = WHY_NONE;
	/* Whatever it wrote is about a process that is gone. */
	unlink_ready(c, false);

	if (was == CS_STOPPING && (why == WHY_SHUTDOWN || why == WHY_PRIMARY_GONE)) {
		/* We asked for it. */
		if (c->killed || !(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0))
			CG_WARN("%s (pid %d) stopped: %s after %s", c->name, (int)pid, how, ran);
		else
			CG_INFO("%s (pid %d) stopped: %s after %s", c->name, (int)pid, how, ran);
		return;
	}
	if (s->stopping) {
		CG_INFO("%s (pid %d) %s after %s", c->name, (int)pid, how, ran);
		return;
	}
	{
		char what[192];

		if (why == WHY_NOT_READY)
			snprintf(what, sizeof(what), "(pid %d) was not ready within %u s "
				 "(supervisor.ready_timeout_s) and was stopped: %s", (int)pid,
				 s->cfg->ready_timeout_s, how);
		else
			snprintf(what, sizeof(what), "(pid %d) %s", (int)pid, how);
		schedule_restart(s, c, now, ran_ms, what);
	}
	if (c == &s->dp) {
		/* A secondary cannot outlive its primary nor attach to a new one. */
		if (s->ctl.state == CS_STARTING || s->ctl.state == CS_RUNNING) {
			CG_INFO("stopping %s (pid %d) first: it cannot outlive its primary",
				s->ctl.name, (int)s->ctl.pid);
			stop_child(s, &s->ctl, WHY_PRIMARY_GONE, now);
		} else if (s->ctl.state == CS_WAITING) {
			s->ctl.state = CS_IDLE;
		} else if (s->ctl.state == CS_STOPPING && s->ctl.why == WHY_NOT_READY) {
			/* Its exit must not count as a failure of its own any more. */
			s->ctl.why = WHY_PRIMARY_GONE;
		}
	}
}

static void
reap(struct sup *s)
{
	const uint64_t now = sup_now_ms();
	int wstatus, dp_status = 0, ctl_status = 0;
	bool dp_gone = false, ctl_gone = false;
	pid_t pid;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		if (pid == s->dp.pid && active(&s->dp)) {
			dp_gone = true;
			dp_status = wstatus;
		} else if (pid == s->ctl.pid && active(&s->ctl)) {
			ctl_gone = true;
			ctl_status = wstatus;
		} else {
			CG_DEBUG("reaped pid %d, not one of ours", (int)pid);
		}
	}
	/* The data plane first. A control process reaped in the same batch (it
	 * checks its primary every second) is marked as stopped because of it:
	 * not a failure of its own, and no signal to a pid already reaped. */
	if (dp_gone) {
		if (ctl_gone && (s->ctl.state == CS_STARTING || s->ctl.state == CS_RUNNING)) {
			s->ctl.state = CS_STOPPING;
			s->ctl.why = WHY_PRIMARY_GONE;
		}
		child_exited(s, &s->dp, dp_status, now);
	}
	if (ctl_gone)
		child_exited(s, &s->ctl, ctl_status, now);
}

/* Act on the state and the deadlines due at @now. */
static void
step(struct sup *s, uint64_t now)
{
	struct child *const kids[] = { &s->dp, &s->ctl };
	bool status_dirty = false;

	for (size_t i = 0; i < 2; i++) {
		struct child *c = kids[i];

		if (c->state == CS_STARTING && check_ready(c)) {
			char t[32];

			c->state = CS_RUNNING;
			CG_INFO("%s (pid %d) ready in %s", c->name, (int)c->pid,
				sup_fmt_ms(t, sizeof(t), now - c->spawn_ms));
			if (c->hup_pending && !s->stopping)
				forward_hup(c);
			status_dirty = true;
		}
		if (c->state == CS_STARTING && now >= c->deadline_ms && !s->stopping) {
			CG_ERR("%s (pid %d) not ready after %u s (supervisor.ready_timeout_s): "
			       "stopping it", c->name, (int)c->pid, s->cfg->ready_timeout_s);
			stop_child(s, c, WHY_NOT_READY, now);
		}
		if (c->state == CS_STOPPING && now >= c->deadline_ms) {
			if (!c->killed)
				CG_WARN("%s (pid %d) still runs %u s after SIGTERM "
					"(supervisor.stop_timeout_s): SIGKILL", c->name,
					(int)c->pid, s->cfg->stop_timeout_s);
			else
				CG_WARN("%s (pid %d) still runs after SIGKILL (stuck in the "
					"kernel?)", c->name, (int)c->pid);
			kill(c->pid, SIGKILL);
			c->killed = true;
			c->deadline_ms = now + KILL_REPORT_MS;
		}
	}

	if (s->stopping) {
		/* Control first (it talks to the data plane), then the data plane. */
		if (s->dp.state == CS_WAITING)
			s->dp.state = CS_IDLE;
		if (s->ctl.state == CS_WAITING)
			s->ctl.state = CS_IDLE;
		if (s->ctl.state == CS_STARTING || s->ctl.state == CS_RUNNING) {
			CG_INFO("stopping %s (pid %d)", s->ctl.name, (int)s->ctl.pid);
			stop_child(s, &s->ctl, WHY_SHUTDOWN, now);
		}
		if (s->ctl.state == CS_IDLE &&
		    (s->dp.state == CS_STARTING || s->dp.state == CS_RUNNING)) {
			CG_INFO("stopping %s (pid %d)", s->dp.name, (int)s->dp.pid);
			stop_child(s, &s->dp, WHY_SHUTDOWN, now);
		}
		return;
	}

	/* The data plane restarts only once the old control process is gone. */
	if (s->dp.state == CS_IDLE && s->dp.starts == 0)
		spawn(s, &s->dp, now);
	else if (s->dp.state == CS_WAITING && now >= s->dp.deadline_ms && s->ctl.state == CS_IDLE)
		spawn(s, &s->dp, now);
	if (s->dp.state == CS_RUNNING &&
	    (s->ctl.state == CS_IDLE || (s->ctl.state == CS_WAITING && now >= s->ctl.deadline_ms)))
		spawn(s, &s->ctl, now);

	if (s->dp.state == CS_RUNNING && s->ctl.state == CS_RUNNING) {
		if (!s->ready_sent) {
			char text[256];

			s->ready_sent = true;
			CG_INFO("ready: %s pid %d, %s pid %d", s->dp.name, (int)s->dp.pid,
				s->ctl.name, (int)s->ctl.pid);
			sup_notify("READY=1\nSTATUS=%s", status_text(s, text, sizeof(text)));
			if (s->o->ready_file != NULL) {
				char pid[32];
				int ret;

				snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
				ret = cg_util_write_file(s->o->ready_file, pid, strlen(pid),
							 0644, false, NULL);

				if (ret < 0)
					CG_WARN("--ready-file %s: %s", s->o->ready_file,
						strerror(-ret));
			}
			status_dirty = false;
		} else if (s->degraded) {
			char t[32];

			s->degraded = false;
			CG_INFO("back to full service after %s: %s pid %d (restart %u), "
				"%s pid %d (restart %u)",
				sup_fmt_ms(t, sizeof(t), now - s->degraded_ms), s->dp.name,
				(int)s->dp.pid, s->dp.starts - 1, s->ctl.name, (int)s->ctl.pid,
				s->ctl.starts - 1);
		}
	}
	/* After the spawns above, so that it says "starting" rather than "not running". */
	if (status_dirty && s->ready_sent)
		set_status(s);
}

static uint64_t
next_deadline(const struct sup *s, uint64_t now)
{
	const struct child *const kids[] = { &s->dp, &s->ctl };
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < 2; i++) {
		const struct child *c = kids[i];

		if (c->state == CS_WAITING || c->state == CS_STOPPING)
			next = c->deadline_ms < next ? c->deadline_ms : next;
		if (c->state == CS_STARTING) {
			uint64_t t = now + READY_POLL_MS;

			t = c->deadline_ms < t ? c->deadline_ms : t;
			next = t < next ? t : next;
		}
	}
	if (s->wd_period_ms > 0 && s->wd_next_ms < next)
		next = s->wd_next_ms;
	return next;
}

static void
begin_stop(struct sup *s, const char *signame)
{
	if (s->stopping) {
		/* A second request: do not make the user wait for stop_timeout_s. */
		CG_WARN("%s again: killing the children now", signame);
		if (active(&s->ctl) && s->ctl.pid > 0)
			kill(s->ctl.pid, SIGKILL);
		if (active(&s->dp) && s->dp.pid > 0)
			kill(s->dp.pid, SIGKILL);
		s->ctl.killed = s->dp.killed = true;
		return;
	}
	s->stopping = true;
	s->stop_end_ms = sup_now_ms() + (uint64_t)s->cfg->stop_timeout_s * 1000;
	CG_INFO("%s: stopping castgate-control, then castgate-dataplane (within %u s, then "
		"SIGKILL)", signame, s->cfg->stop_timeout_s);
	sup_notify("STOPPING=1\nSTATUS=stopping (%s)", signame);
}

static void
on_hup(struct sup *s)
{
	if (s->stopping)
		return;
	if (s->ctl.state == CS_RUNNING) {
		forward_hup(&s->ctl);
		return;
	}
	s->ctl.hup_pending = true;
	CG_INFO("SIGHUP: castgate-control is not up; it gets the SIGHUP once it is ready");
}

/* Drain the signalfd: returns false on a fatal read error. */
static bool
read_signals(struct sup *s, bool *chld, bool *hup, const char **stop)
{
	struct signalfd_siginfo si;
	ssize_t n;

	while ((n = read(s->sfd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD: *chld = true; break;
		case SIGHUP: *hup = true; break;
		case SIGTERM: *stop = "SIGTERM"; break;
		case SIGINT: *stop = "SIGINT"; break;
		default: break;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		CG_ERR("signalfd read: %s", strerror(errno));
		return false;
	}
	return true;
}

static void
drain_inotify(int fd)
{
	/* The events only wake us; step() looks at the files themselves. */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int
setup_fds(struct sup *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked here only; sup_spawn() clears the mask in each child. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		int err = errno;

		CG_ERR("sigprocmask: %s", strerror(err));
		return -err;
	}
	s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sfd < 0) {
		int err = errno;

		CG_ERR("signalfd: %s", strerror(err));
		return -err;
	}
	s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->ifd < 0 || inotify_add_watch(s->ifd, s->cfg->run_dir,
					    IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		/* Not fatal: the READY_POLL_MS polling still sees the files. */
		CG_WARN("inotify on %s: %s; polling for the ready files", s->cfg->run_dir,
			strerror(errno));
		if (s->ifd >= 0)
			close(s->ifd);
		s->ifd = -1;
	}
	return 0;
}

static void
child_init(struct sup *s, struct child *c, const char *name, const char *bin,
	   const char *ready_name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->bin = bin;
	snprintf(c->ready_path, sizeof(c->ready_path), "%s/%s", s->cfg->run_dir, ready_name);
	sup_backoff_init(&c->bo, s->cfg->restart_min_ms, s->cfg->restart_max_ms,
			 s->cfg->stable_s, s->cfg->quick_restarts);
}

int
sup_run(const struct sup_opts *o)
{
	struct sup s;
	uint64_t wd_usec;
	int code = 0;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.cfg = &o->conf->sup;
	s.sfd = s.ifd = -1;
	s.started_unix_ms = sup_unix_ms();
	child_init(&s, &s.dp, SUP_DP_NAME, o->dp_bin, "dataplane.ready");
	child_init(&s, &s.ctl, SUP_CTL_NAME, o->ctl_bin, "control.ready");
	if (setup_fds(&s) < 0)
		return 1;
	wd_usec = sup_notify_init();
	if (wd_usec > 0) {
		/* Half the period, as sd_watchdog_enabled(3) recommends. */
		s.wd_period_ms = wd_usec / 2000 > 0 ? wd_usec / 2000 : 1;
		s.wd_next_ms = sup_now_ms();
		CG_INFO("systemd watchdog: %llu ms, pinged every %llu ms",
			(unsigned long long)(wd_usec / 1000), (unsigned long long)s.wd_period_ms);
	}
	sup_notify("STATUS=starting castgate-dataplane");

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = s.sfd, .events = POLLIN },
			{ .fd = s.ifd, .events = POLLIN },
		};
		bool chld = false, hup = false;
		const char *stop = NULL;
		uint64_t now = sup_now_ms(), next;
		int timeout, n;

		step(&s, now);
		if (s.stopping && s.dp.state == CS_IDLE && s.ctl.state == CS_IDLE)
			break;
		if (s.wd_period_ms > 0 && now >= s.wd_next_ms) {
			/* Only this loop pings: a stuck loop lets systemd restart us. */
			sup_notify("WATCHDOG=1");
			s.wd_next_ms = now + s.wd_period_ms;
		}
		next = next_deadline(&s, now);
		if (next == UINT64_MAX)
			timeout = -1;
		else if (next <= now)
			timeout = 0;
		else
			timeout = next - now > INT_MAX ? INT_MAX : (int)(next - now);
		n = poll(pfd, s.ifd >= 0 ? 2 : 1, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			CG_ERR("poll: %s", strerror(errno));
			code = 1;
			break;
		}
		if (s.ifd >= 0 && (pfd[1].revents & POLLIN))
			drain_inotify(s.ifd);
		if ((pfd[0].revents & POLLIN) && !read_signals(&s, &chld, &hup, &stop)) {
			code = 1;
			break;
		}
		/* A stop first: then an exit it caused is not taken for a crash. */
		if (stop != NULL)
			begin_stop(&s, stop);
		if (chld)
			reap(&s);
		if (hup)
			on_hup(&s);
	}

	if (code != 0) {
		/* The loop itself failed: take the children down rather than orphan them. */
		if (active(&s.ctl))
			kill(s.ctl.pid, SIGKILL);
		if (active(&s.dp))
			kill(s.dp.pid, SIGKILL);
		while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
			;
	}
	if (code == 0 && s.stopping) {
		/* Both children are gone: their hugepages go back to the system. */
		unsigned int n = sup_dpdk_cleanup(o->conf->dp.file_prefix, "/proc/mounts",
						  cg_util_dpdk_run_base());

		if (n > 0)
			CG_INFO("removed %u hugepage and runtime file(s) of file prefix %s", n,
				o->conf->dp.file_prefix);
	}
	if (o->ready_file != NULL)
		unlink(o->ready_file);
	close(s.sfd);
	if (s.ifd >= 0)
		close(s.ifd);
	CG_INFO("exit %d", code);
	return code;
}
