/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capability check at start-up: we never escalate, so say precisely what is
 * missing and how to grant it, before touching anything.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

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
