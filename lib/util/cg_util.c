/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "cg_util.h"

int
cg_util_verr(char *err, size_t errlen, int ret, const char *fmt, va_list ap)
{
	if (err != NULL && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
	return ret;
}

int
cg_util_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cg_util_verr(err, errlen, ret, fmt, ap);
	va_end(ap);
	return ret;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
cg_util_write_file(const char *path, const void *data, size_t len, mode_t mode, bool durable,
		   const char **step)
{
	/* Distinct names for threads of one process writing the same path. */
	static atomic_uint seq;
	char tmp[PATH_MAX];
	const char *dummy;
	int fd, ret;

	if (step == NULL)
		step = &dummy;
	*step = "create";
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d.%u", path, (int)getpid(),
		     atomic_fetch_add(&seq, 1)) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* O_EXCL|O_NOFOLLOW: never write through a file or link someone left there. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	*step = "write";
	ret = write_all(fd, data, len);
	if (ret == 0 && durable) {
		*step = "fsync";
		if (fsync(fd) < 0)
			ret = -errno;
	}
	if (close(fd) < 0 && ret == 0) {
		*step = "close";
		ret = -errno;
	}
	if (ret == 0) {
		*step = "rename";
		if (rename(tmp, path) < 0)
			ret = -errno;
	}
	if (ret < 0) {
		unlink(tmp);
		return ret;
	}
	if (!durable)
		return 0;
	/* The rename itself is durable only once the directory is. */
	*step = "fsync of the directory";
	return cg_util_fsync_dir(path);
}

int
cg_util_fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int dfd, ret = 0;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		ret = -errno;
	if (dfd >= 0)
		close(dfd);
	return ret;
}

int
cg_util_drop_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	int last = CAP_LAST_CAP;
	FILE *f;

	/* The kernel may know more capabilities than our headers. */
	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f != NULL) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* The bounding set first: dropping it needs CAP_SETPCAP, gone below. */
	for (int cap = 0; cap <= last; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

int
cg_util_check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) < 0)
		return cg_util_err(err, errlen, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cg_util_err(err, errlen, -ENOTDIR, "%s: not a directory%s", dir,
				   S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return cg_util_err(err, errlen, -EPERM, "%s: owned by uid %u, not by root or "
				   "this process's user (uid %u): whoever owns it controls what "
				   "is written there", dir, (unsigned int)st.st_uid,
				   (unsigned int)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return cg_util_err(err, errlen, -EPERM, "%s: mode %04o is writable by %s: "
				   "others could replace the files written there (chmod go-w)",
				   dir, (unsigned int)(st.st_mode & 07777),
				   st.st_mode & S_IWOTH ? "everyone" : "its group");
	return 0;
}

int
cg_util_remove_stale_tmp(const char *path)
{
	char dir[PATH_MAX], base[PATH_MAX], p[PATH_MAX];
	struct dirent *e;
	size_t blen;
	int n = 0;
	DIR *d;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir) ||
	    snprintf(base, sizeof(base), "%s.tmp.", basename(dir)) >= (int)sizeof(base))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%s", path);
	blen = strlen(base);
	d = opendir(dirname(dir));
	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid;

		if (strncmp(e->d_name, base, blen) != 0)
			continue;
		/* <path>.tmp.<pid>.<n>: only a writer that is gone leaves one. */
		pid = strtol(e->d_name + blen, &end, 10);
		if (end == e->d_name + blen || *end != '.' || pid <= 0)
			continue;
		if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) < (int)sizeof(p) &&
		    unlink(p) == 0)
			n++;
	}
	closedir(d);
	return n;
}

const char *
cg_util_dpdk_run_base(void)
{
	const char *dir = getenv("RUNTIME_DIRECTORY");

	if (dir == NULL && geteuid() == 0)
		dir = "/var/run";
	if (dir == NULL)
		dir = getenv("XDG_RUNTIME_DIR");
	return dir != NULL ? dir : "/tmp";
}
