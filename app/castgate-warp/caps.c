/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capability check at start-up: we never escalate, so say precisely what is
 * missing and how to grant it, before touching anything.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "cw.h"

static const struct {
	int cap;
	const char *name;
	const char *why;
} needed[] = {
	{ CAP_NET_ADMIN, "CAP_NET_ADMIN", "change routes inside target containers" },
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN", "setns() into a target's network namespace" },
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE",
	  "open /proc/<pid>/ns/net of containers whose capabilities exceed ours" },
};

int
cw_caps_check(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int missing = 0;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0) {
		CG_ERR("capget: %s", strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		int c = needed[i].cap;

		if (data[c / 32].effective & (1u << (c % 32)))
			continue;
		missing++;
		CG_ERR("missing capability %s (needed to %s)", needed[i].name, needed[i].why);
	}
	if (missing == 0)
		return 0;
	CG_ERR("grant them without full root: in the systemd unit "
	       "AmbientCapabilities=CAP_NET_ADMIN CAP_SYS_ADMIN CAP_SYS_PTRACE and "
	       "CapabilityBoundingSet=CAP_NET_ADMIN CAP_SYS_ADMIN CAP_SYS_PTRACE; or "
	       "setcap cap_net_admin,cap_sys_admin,cap_sys_ptrace+ep castgate-warp; or run as root");
	return -EPERM;
}

/*
 * No program is ever executed: beyond not calling exec*() ourselves, forbid
 * execve/execveat for the whole process with a seccomp filter (inherited by
 * every thread created afterwards), so that no library we link can do it
 * either. PR_SET_NO_NEW_PRIVS is required for an unprivileged filter and
 * changes nothing else for us (setns and capabilities are unaffected).
 */
#if defined(__x86_64__)
#define CW_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define CW_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

int
cw_forbid_exec(void)
{
#ifdef CW_AUDIT_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CW_AUDIT_ARCH, 0, 6),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 2, 0),
#if defined(__x86_64__)
		/* Every x32 call (__X32_SYSCALL_BIT set): we are a native binary, and this
		 * closes the x32 aliases of execve/execveat (520, 545). */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 1, 0),
#else
		BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0),
#endif
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		/* Another architecture's ABI (e.g. ia32 on x86_64): refuse outright. */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		CG_WARN("seccomp filter against execve not installed: %s", strerror(errno));
		return -errno;
	}
	CG_DEBUG("execve/execveat disabled for this process (seccomp)");
	return 0;
#else
	CG_DEBUG("no seccomp execve filter on this architecture");
	return 0;
#endif
}
