/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL as a DPDK secondary: the argv, the CPU affinity dance, the shared
 * memory attach, and the data plane's liveness.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "control.h"

/* The data plane may still be filling cg_info when a secondary starts by
 * hand right after it: wait this long for it, polling every ATTACH_POLL_MS. */
#define ATTACH_WAIT_MS 10000
#define ATTACH_POLL_MS 100

int
control_eal_argv(const struct cg_conf *c, int extra_argc, char **extra_argv, int *argc,
	     char ***argv)
{
	/* getopt leaves "--" in front of the EAL arguments: not for the EAL. */
	if (extra_argc > 0 && strcmp(extra_argv[0], "--") == 0) {
		extra_argc--;
		extra_argv++;
	}
	return cg_conf_eal_argv_secondary(c, CONTROL_PROG, cg_log_get_level(), extra_argc,
					  extra_argv, argc, argv);
}

void
control_eal_argv_free(char **argv)
{
	cg_conf_eal_argv_free(argv);
}

/* Where the primary's EAL keeps its config (and the lock that says it
 * lives), computed before our own EAL is up: DPDK's runtime dir rules. */
static void
primary_config_path(const char *prefix, char *buf, size_t len)
{
	/* systemd's RuntimeDirectory= first (castgate.service sets it). */
	snprintf(buf, len, "%s/dpdk/%s/config", cg_util_dpdk_run_base(), prefix);
}

static int port_guard_init(void);

static int
attach(struct control *c)
{
	char err[256];
	int ret;

	for (int waited = 0;; waited += ATTACH_POLL_MS) {
		ret = cg_shm_attach(&c->shm, err, sizeof(err));
		if (ret == 0 && c->shm.info->ready)
			break;
		if (ret == -EPROTO) {
			CG_ERR("data plane shared memory: %s (castgate-dataplane and "
			       CONTROL_PROG " must come from the same build)", err);
			return CG_EXIT_FAILURE;
		}
		if (!rte_eal_primary_proc_alive(NULL)) {
			CG_ERR("the data plane went away while we attached");
			return CG_EXIT_UNAVAILABLE;
		}
		if (waited >= ATTACH_WAIT_MS) {
			CG_ERR("data plane shared memory: %s after %d ms", ret < 0 ? err :
			       "the data plane is not ready", ATTACH_WAIT_MS);
			return CG_EXIT_UNAVAILABLE;
		}
		usleep(ATTACH_POLL_MS * 1000);
	}
	if (strcmp(c->shm.info->file_prefix, c->conf->dp.file_prefix) != 0 ||
	    c->shm.info->nb_ctr_blocks > CG_SHM_MAX_LCORES ||
	    c->shm.info->nb_ports > CG_SHM_MAX_PORTS) {
		CG_ERR("data plane shared memory: inconsistent cg_info (prefix \"%s\", %u ports, "
		       "%u counter blocks, %u rule slots)", c->shm.info->file_prefix,
		       c->shm.info->nb_ports, c->shm.info->nb_ctr_blocks,
		       c->shm.rules->nb_slots);
		return CG_EXIT_FAILURE;
	}
	if (c->shm.info->config_path[0] != '\0') {
		char *mine = realpath(c->config_path, NULL);

		if (mine != NULL && strcmp(mine, c->shm.info->config_path) != 0)
			CG_WARN("the data plane runs with %s, we read %s: reloads apply the "
				"rules of ours", c->shm.info->config_path, mine);
		free(mine);
	}
	if (strcmp(c->shm.info->state_file, c->conf->ctl.state_file) != 0)
		CG_WARN("the data plane read its API rules from \"%s\", we keep them in \"%s\" "
			"(control.state_file)", c->shm.info->state_file, c->conf->ctl.state_file);
	return 0;
}

/*
 * EAL pinned our main thread to the data plane's first lcore (a busy-polling
 * core in single-lcore mode) and its own threads (interrupts, rte_mp) to the
 * CPUs outside our -l list, i.e. the data plane's workers. Control is an
 * ordinary process: every thread goes back to the affinity we started with.
 */
static void
restore_affinity(const cpu_set_t *before)
{
	struct dirent *de;
	DIR *d;

	d = opendir("/proc/self/task");
	if (d == NULL) {
		CG_WARN("restoring the CPU affinity after rte_eal_init: /proc/self/task: %s",
			strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid > 0 && sched_setaffinity(tid, sizeof(*before), before) < 0)
			CG_WARN("restoring the CPU affinity of thread %d after rte_eal_init: %s",
				(int)tid, strerror(errno));
	}
	closedir(d);
}

int
control_primary_check(const struct control *c)
{
	char path[4096];

	primary_config_path(c->conf->dp.file_prefix, path, sizeof(path));
	if (!rte_eal_primary_proc_alive(path)) {
		CG_ERR("no data plane runs with file prefix \"%s\" (dataplane.file_prefix; "
		       "%s is not locked): start castgate-dataplane first", c->conf->dp.file_prefix,
		       path);
		return CG_EXIT_UNAVAILABLE;
	}
	return 0;
}

int
control_eal_start(struct control *c)
{
	char path[4096];
	cpu_set_t before;
	int argc, ret, code;

	primary_config_path(c->conf->dp.file_prefix, path, sizeof(path));
	ret = control_primary_check(c);
	if (ret != 0)
		return ret;
	ret = control_eal_argv(c->conf, c->eal_extra_argc, c->eal_extra_argv, &argc, &c->eal_argv);
	if (ret < 0) {
		CG_ERR("EAL arguments: %s", strerror(-ret));
		return CG_EXIT_FAILURE;
	}
	if (cg_log_get_level() >= CG_LOG_DEBUG) {
		char line[1024];
		size_t off = 0;

		for (int i = 0; i < argc && off < sizeof(line); i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off, " %s",
						c->eal_argv[i]);
		CG_DEBUG("EAL arguments:%s", line);
	}
	ret = pthread_getaffinity_np(pthread_self(), sizeof(before), &before);
	if (ret != 0) {
		CG_ERR("pthread_getaffinity_np: %s", strerror(ret));
		return CG_EXIT_FAILURE;
	}
	ret = cg_shm_log_bridge(cg_log_get_level());
	if (ret < 0)
		CG_WARN("DPDK's log stays on stderr: %s", strerror(-ret));
	ret = rte_eal_init(argc, c->eal_argv);
	if (ret < 0) {
		code = rte_eal_primary_proc_alive(path) ? CG_EXIT_FAILURE : CG_EXIT_UNAVAILABLE;
		CG_ERR("rte_eal_init (secondary, file prefix %s): %s (%d)%s",
		       c->conf->dp.file_prefix, rte_strerror(rte_errno), rte_errno,
		       code == 1 ? "" : "; the data plane is not running");
		return code;
	}
	c->eal_up = true;
	restore_affinity(&before);
	ret = port_guard_init();
	if (ret != 0)
		return ret;
	return attach(c);
}

/*
 * A port the data plane closes is detached here by EAL's hotplug thread
 * (the primary's request), while our loop may be reading the port through
 * ethdev: a read in the middle of the release dereferenced the driver's
 * freed private data. Ethdev calls go between control_port_lock() and
 * control_port_unlock(); the release's DESTROY event takes the same lock,
 * so it waits for a read in progress, and marks the port gone until an
 * attach (NEW) brings that port id back.
 */
static pthread_mutex_t port_mutex = PTHREAD_MUTEX_INITIALIZER;
static bool port_gone[RTE_MAX_ETHPORTS];

static int
on_port_event(uint16_t port_id, enum rte_eth_event_type type, void *arg __rte_unused,
	      void *ret_param __rte_unused)
{
	if (port_id >= RTE_MAX_ETHPORTS)
		return 0;
	pthread_mutex_lock(&port_mutex);
	port_gone[port_id] = type == RTE_ETH_EVENT_DESTROY;
	pthread_mutex_unlock(&port_mutex);
	return 0;
}

static int
port_guard_init(void)
{
	int ret = rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_DESTROY,
						on_port_event, NULL);

	if (ret == 0)
		ret = rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_NEW,
						    on_port_event, NULL);
	if (ret != 0) {
		CG_ERR("rte_eth_dev_callback_register (port attach and detach): %s",
		       rte_strerror(-ret));
		return CG_EXIT_FAILURE;
	}
	return 0;
}

bool
control_port_lock(uint16_t port_id)
{
	pthread_mutex_lock(&port_mutex);
	if (port_id < RTE_MAX_ETHPORTS && !port_gone[port_id] &&
	    rte_eth_dev_is_valid_port(port_id))
		return true;
	pthread_mutex_unlock(&port_mutex);
	return false;
}

void
control_port_unlock(void)
{
	pthread_mutex_unlock(&port_mutex);
}

bool
control_dataplane_alive(const struct control *c)
{
	if (!rte_eal_primary_proc_alive(NULL))
		return false;
	/* The lock says "a primary"; the pid says "ours" (and catches a zombie
	 * whose lock went with its file descriptors anyway). */
	if (c->shm.info->pid > 0 && kill(c->shm.info->pid, 0) < 0 && errno == ESRCH)
		return false;
	return c->shm.info->ready != 0;
}

void
control_eal_stop(struct control *c)
{
	int ret;

	if (!c->eal_up)
		return;
	ret = rte_eal_cleanup();
	if (ret != 0)
		CG_WARN("rte_eal_cleanup: %s", strerror(-ret));
	c->eal_up = false;
}
