/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AF_XDP steering. See dp_xdp.h, and docs/ARCHITECTURE.md "AF_XDP steering".
 *
 * DPDK 22.11's af_xdp PMD loads the program given by xdp_prog= at the first
 * RX queue setup, attaches it with XDP_FLAGS_UPDATE_IF_NOEXIST (so an attached
 * program makes it fail), and puts each queue's socket into the program's
 * "xsks_map". It has no option to reuse a pinned map (use_pinned_map came
 * later), and it keeps the bpf_object to itself. So we find our map through
 * the kernel: the program attached to the interface, its map ids, the map
 * named CG_XDP_STEER_MAP.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#ifdef CG_HAVE_LIBBPF
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#endif

#include <rte_ethdev.h>

#include "cg_log.h"
#include "cg_pkt.h"
#include "dp.h"
#include "dp_rules.h"
#include "dp_xdp.h"
#include "bpf/cg_xdp_steer.h"

#define AFXDP_PREFIX "net_af_xdp"
#define VDEV_OPT "--vdev="
#define XDP_PROG_KEY "xdp_prog="

/* Per port (index as dp_g.ports): does it steer, and its map while up. */
static bool steer[CG_DP_MAX_PORTS];
#ifdef CG_HAVE_LIBBPF
static int map_fd[CG_DP_MAX_PORTS] = { [0 ... CG_DP_MAX_PORTS - 1] = -1 };
#endif

#ifdef CG_HAVE_LIBBPF
/* Where the object is looked for: next to the running program (a build
 * tree), then where meson installs it. */
static int
object_path(char *path, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash != NULL) {
			int w;

			*slash = '\0';
			w = snprintf(path, size, "%s/%s", exe, CG_XDP_STEER_OBJ);
			if (w > 0 && (size_t)w < size && access(path, R_OK) == 0)
				return 0;
		}
	}
	snprintf(path, size, "%s/%s", CG_XDP_OBJ_DIR, CG_XDP_STEER_OBJ);
	if (access(path, R_OK) == 0)
		return 0;
	CG_ERR("xdp_steer: %s is neither next to %s nor in %s (build with -Dxdp=enabled, "
	       "which needs clang, or install it)", CG_XDP_STEER_OBJ, n > 0 ? exe : "the program",
	       CG_XDP_OBJ_DIR);
	return -ENOENT;
}
#endif

static const struct cg_conf_port *
conf_port_of_vdev(const struct cg_conf *c, const char *dev)
{
	for (size_t i = 0; i < c->n_ports; i++)
		if (strcmp(c->ports[i].device, dev) == 0)
			return &c->ports[i];
	return NULL;
}

int
cg_dp_xdp_adapt_vdev(const struct cg_conf *c, char **arg)
{
	const char *dev = *arg + strlen(VDEV_OPT);
	const struct cg_conf_port *cp;
	char path[PATH_MAX], *out;
	int ret;

	if (strncmp(*arg, VDEV_OPT, strlen(VDEV_OPT)) != 0 ||
	    strncmp(dev, AFXDP_PREFIX, strlen(AFXDP_PREFIX)) != 0)
		return 0;
	/* The vdev as lib/conf wrote it, before any other adaptation. */
	cp = conf_port_of_vdev(c, dev);
	if (cp == NULL || !cp->xdp_steer)
		return 0;
	if (cp - c->ports < CG_DP_MAX_PORTS)
		steer[cp - c->ports] = true;
#ifndef CG_HAVE_LIBBPF
	(void)path;
	(void)out;
	(void)ret;
	CG_ERR("port %s: xdp_steer: this castgate-dataplane was built without AF_XDP steering "
	       "(meson -Dxdp needs clang and libbpf)", cp->name);
	return -ENOTSUP;
#else
	ret = object_path(path, sizeof(path));
	if (ret < 0)
		return ret;
	if (asprintf(&out, "%s,%s%s", *arg, XDP_PROG_KEY, path) < 0)
		return -ENOMEM;
	free(*arg);
	*arg = out;
	return 0;
#endif
}

#ifdef CG_HAVE_LIBBPF

static bool
is_afxdp(const struct cg_dp_port *p)
{
	return strcmp(p->driver, AFXDP_PREFIX) == 0;
}

/* The name the kernel keeps for program @p id, or "" (gone meanwhile). */
static void
prog_name(uint32_t id, char *name, size_t size)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	name[0] = '\0';
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		snprintf(name, size, "%s", info.name);
	close(fd);
}

/* Programs a run of ours leaves behind: castgate's, or the one the PMD (libxdp)
 * loads when no xdp_prog= is given. */
static bool
ours(const char *name)
{
	return strcmp(name, CG_XDP_STEER_PROG) == 0 || strcmp(name, "xsk_def_prog") == 0 ||
	       strcmp(name, "xdp_dispatcher") == 0;
}

static int
detach_stale(const struct cg_dp_port *p, int ifindex, uint32_t id, uint32_t mode_flag,
	     const char *mode)
{
	char name[BPF_OBJ_NAME_LEN];
	int ret;

	if (id == 0)
		return 0;
	prog_name(id, name, sizeof(name));
	if (!ours(name)) {
		CG_ERR("port %s (%s): XDP program %u \"%s\" (%s mode) is attached and is not "
		       "castgate's: the af_xdp PMD cannot attach its own; detach it "
		       "(ip link set dev %s xdp off) if nothing needs it", p->name, p->ifname, id,
		       name, mode, p->ifname);
		return -EBUSY;
	}
	ret = bpf_xdp_detach(ifindex, mode_flag, NULL);
	if (ret < 0) {
		CG_ERR("port %s (%s): detaching stale XDP program %u \"%s\" (%s mode): %s",
		       p->name, p->ifname, id, name, mode, strerror(-ret));
		return ret;
	}
	CG_WARN("port %s (%s): detached XDP program %u \"%s\" (%s mode) left by a previous "
		"run that did not stop cleanly", p->name, p->ifname, id, name, mode);
	return 0;
}

int
cg_dp_xdp_port_prepare(uint16_t idx)
{
	struct cg_dp_port *p = &dp_g.ports[idx];
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex, ret;

	if (!is_afxdp(p))
		return 0;
	if (map_fd[idx] >= 0) {
		pthread_mutex_lock(&cg_dp_ctl_lock);
		close(map_fd[idx]);	/* the previous instance of a reopened port */
		map_fd[idx] = -1;
		pthread_mutex_unlock(&cg_dp_ctl_lock);
	}
	if (p->ifname[0] == '\0')
		cg_conf_kernel_iface(p->device, p->ifname, sizeof(p->ifname));
	ifindex = p->ifname[0] ? (int)if_nametoindex(p->ifname) : 0;
	if (ifindex == 0)
		return 0;	/* the PMD reports a missing interface itself */
	ret = bpf_xdp_query(ifindex, 0, &q);
	if (ret < 0) {
		CG_WARN("port %s (%s): bpf_xdp_query: %s; not checking for a stale XDP program",
			p->name, p->ifname, strerror(-ret));
		return 0;
	}
	ret = detach_stale(p, ifindex, q.drv_prog_id, XDP_FLAGS_DRV_MODE, "native");
	if (ret == 0)
		ret = detach_stale(p, ifindex, q.skb_prog_id, XDP_FLAGS_SKB_MODE, "generic");
	return ret;
}

/* The fd of map @p want among the maps of program @p prog_id, or a negative errno. */
static int
find_map(uint32_t prog_id, const char *want)
{
	struct bpf_prog_info info;
	uint32_t ids[16], len = sizeof(info), n;
	int pfd = bpf_prog_get_fd_by_id(prog_id), ret = -ENOENT;

	if (pfd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(pfd, &info, &len) < 0) {
		ret = -errno;
		close(pfd);
		return ret;
	}
	close(pfd);
	n = info.nr_map_ids < 16 ? info.nr_map_ids : 16;
	for (uint32_t i = 0; i < n && ret == -ENOENT; i++) {
		struct bpf_map_info mi;
		uint32_t mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(mfd, &mi, &mlen) == 0 && strcmp(mi.name, want) == 0)
			ret = mfd;
		else
			close(mfd);
	}
	return ret;
}

static int
key_add(int fd, const struct cg_xdp_key *k)
{
	cg_xdp_val_t v = 0;

	if (bpf_map_lookup_elem(fd, k, &v) < 0)
		v = 0;
	v++;
	return bpf_map_update_elem(fd, k, &v, BPF_ANY) < 0 ? -errno : 0;
}

static int
key_del(int fd, const struct cg_xdp_key *k)
{
	cg_xdp_val_t v = 0;

	if (bpf_map_lookup_elem(fd, k, &v) < 0)
		return -errno;
	if (v > 1) {
		v--;
		return bpf_map_update_elem(fd, k, &v, BPF_EXIST) < 0 ? -errno : 0;
	}
	return bpf_map_delete_elem(fd, k) < 0 ? -errno : 0;
}

static struct cg_xdp_key
rule_key(const struct cg_rule *r)
{
	struct cg_xdp_key k;

	memset(&k, 0, sizeof(k));
	k.dst = r->in.dst;
	k.dport = htons(r->in.dport);
	k.kind = CG_XDP_KIND_UDP;
	return k;
}

static void
log_rule_err(const struct cg_rule *r, bool add, int err)
{
	char a[INET_ADDRSTRLEN];

	CG_WARN("rule \"%s\": port %s: %s %s:%u %s the XDP steering map: %s%s", r->name,
		dp_g.ports[r->in.port_id].name, add ? "adding" : "removing",
		inet_ntop(AF_INET, &r->in.dst, a, sizeof(a)), r->in.dport,
		add ? "to" : "from", strerror(-err),
		add ? " (its traffic goes to the kernel, not to castgate)" : "");
}

void
cg_dp_xdp_rule(const struct cg_rule *r, bool add)
{
	uint16_t idx = r->in.port_id;
	struct cg_xdp_key k;
	int ret;

	if (idx >= CG_DP_MAX_PORTS || map_fd[idx] < 0)
		return;
	k = rule_key(r);
	ret = add ? key_add(map_fd[idx], &k) : key_del(map_fd[idx], &k);
	if (ret < 0)
		log_rule_err(r, add, ret);
}

/* The map of a port just started is new: put every rule of the port in. */
static unsigned int
fill(uint16_t idx)
{
	const struct cg_dp_port *p = &dp_g.ports[idx];
	unsigned int n = 0;
	int ret;

	if (p->ip != 0) {
		struct cg_xdp_key k = { .dst = p->ip, .kind = CG_XDP_KIND_ARP };

		ret = key_add(map_fd[idx], &k);
		if (ret < 0)
			CG_WARN("port %s: adding its address to the XDP steering map: %s (ARP "
				"for it goes to the kernel)", p->name, strerror(-ret));
	}
	for (uint32_t i = 0; i < cg_dp_rules->nb_slots; i++) {
		const struct cg_shm_rule_slot *s = cg_shm_rule_slot(cg_dp_rules, i);

		if (!s->in_use || s->rule.in.port_id != idx)
			continue;
		cg_dp_xdp_rule(&s->rule, true);
		n++;
	}
	return n;
}

int
cg_dp_xdp_port_started(uint16_t idx)
{
	struct cg_dp_port *p = &dp_g.ports[idx];
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char name[BPF_OBJ_NAME_LEN];
	const char *mode;
	uint32_t id;
	int ifindex, fd, ret;
	unsigned int n;

	if (!is_afxdp(p) || !steer[idx])
		return 0;	/* no xdp_steer: the PMD's default program takes all */
	ifindex = (int)if_nametoindex(p->ifname);
	ret = ifindex == 0 ? -errno : bpf_xdp_query(ifindex, 0, &q);
	if (ret < 0) {
		CG_ERR("port %s (%s): bpf_xdp_query: %s", p->name, p->ifname, strerror(-ret));
		return ret;
	}
	id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	mode = q.drv_prog_id ? "native" : "generic";
	prog_name(id, name, sizeof(name));
	if (id == 0 || strcmp(name, CG_XDP_STEER_PROG) != 0) {
		CG_ERR("port %s (%s): the af_xdp PMD started but %s is attached, not castgate's "
		       "%s", p->name, p->ifname, id ? name : "no XDP program", CG_XDP_STEER_PROG);
		return -ENOENT;
	}
	fd = find_map(id, CG_XDP_STEER_MAP);
	if (fd < 0) {
		CG_ERR("port %s (%s): XDP program %u has no map %s: %s", p->name, p->ifname, id,
		       CG_XDP_STEER_MAP, strerror(-fd));
		return fd;
	}
	pthread_mutex_lock(&cg_dp_ctl_lock);
	map_fd[idx] = fd;
	n = fill(idx);
	pthread_mutex_unlock(&cg_dp_ctl_lock);
	CG_INFO("port %s (%s): XDP steering program %u (%s mode): only the rules' UDP "
		"(%u rule(s) now) and ARP for %s reach castgate, the rest the kernel", p->name,
		p->ifname, id, mode, n, p->ip ? "its address" : "no address");
	return 0;
}

#else /* !CG_HAVE_LIBBPF */

int
cg_dp_xdp_port_prepare(uint16_t idx)
{
	(void)idx;
	return 0;
}

int
cg_dp_xdp_port_started(uint16_t idx)
{
	(void)idx;
	return 0;
}

void
cg_dp_xdp_rule(const struct cg_rule *r, bool add)
{
	(void)r;
	(void)add;
}

#endif
