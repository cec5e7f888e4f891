/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What DPDK leaves on disk after its processes: the hugepage files of the
 * file prefix (<hugetlbfs mount>/<prefix>map_<n>) and its runtime directory
 * (<runtime base>/dpdk/<prefix>/). EAL keeps both after a clean exit so that
 * secondaries could still attach; once the supervisor has stopped both
 * children nothing can, and they are only pages and names held.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sup.h"

/* Remove the regular files of @dir whose name starts with @start; count them. */
static unsigned int
remove_prefixed(const char *dir, const char *start)
{
	size_t len = strlen(start);
	unsigned int n = 0;
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, start, len) != 0 || e->d_type == DT_DIR)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path) &&
		    unlink(path) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* EAL holds an fcntl write lock on part of <run base>/dpdk/<prefix>/config
 * while its primary runs. */
pid_t
sup_dpdk_prefix_holder(const char *prefix, const char *run_base)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[PATH_MAX];
	int fd;

	if (run_base == NULL ||
	    snprintf(path, sizeof(path), "%s/dpdk/%s/config", run_base, prefix) >=
	    (int)sizeof(path) || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;	/* none ran, or its files were removed */
	if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		fl.l_pid = 0;
	close(fd);
	return fl.l_pid;
}

unsigned int
sup_dpdk_cleanup(const char *prefix, const char *mounts, const char *run_base)
{
	char start[PATH_MAX], dir[PATH_MAX];
	unsigned int n = 0;
	struct mntent *m;
	FILE *f;

	if (prefix == NULL || prefix[0] == '\0' || strchr(prefix, '/') != NULL)
		return 0;
	/* A primary started with our prefix after ours stopped: its files. */
	if (sup_dpdk_prefix_holder(prefix, run_base) != 0)
		return 0;
	/* "<prefix>map_": exactly ours, not those of a prefix that starts alike. */
	snprintf(start, sizeof(start), "%smap_", prefix);
	f = setmntent(mounts, "re");
	while (f != NULL && (m = getmntent(f)) != NULL)
		if (strcmp(m->mnt_type, "hugetlbfs") == 0)
			n += remove_prefixed(m->mnt_dir, start);
	if (f != NULL)
		endmntent(f);
	if (run_base != NULL &&
	    snprintf(dir, sizeof(dir), "%s/dpdk/%s", run_base, prefix) < (int)sizeof(dir)) {
		n += remove_prefixed(dir, "");
		if (rmdir(dir) == 0)
			n++;
	}
	return n;
}
