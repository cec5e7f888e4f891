/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate setup: bind a config's PCI ports to vfio-pci and persist that
 * Debian's way (see setup.h). Reads only sysfs and procfs to decide; changes
 * happen through dpdk-devbind.py, modprobe and systemctl (fork/exec, never a
 * shell), a write to sysfs for the hugepages, and the two files of
 * /etc/dpdk. The plan is printed whole before the first change.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cg_conf.h"
#include "cg_util.h"
#include "setup.h"
#include "sup.h"

#define PROG SUP_PROG " setup"

/* Exit status of a refusal (not an error in castgate's vocabulary for other programs). */
#define EXIT_REFUSED CG_EXIT_REFUSED

/* Hugepages: dpdk.conf's NR_2M_PAGES counts pages of this size. */
#define HP_PAGE_MB 2
/* memory_mb = 0 lets DPDK grow on demand: reserve this much (1 GiB), which holds the default
 * config many times over (default pools and rule table take under 64 MB). */
#define HP_DEFAULT_PAGES 512
#define HP_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB"

#define F_INTERFACES "/etc/dpdk/interfaces"
#define F_DPDKCONF "/etc/dpdk/dpdk.conf"
#define F_COMMANDS "/setup-commands"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#define MAX_ACTS 64
#define MAX_ARGS 6

/* One change the plan makes, in order. */
enum act_kind { ACT_RUN, ACT_FILE, ACT_SYSFS };

struct act {
	enum act_kind kind;
	char *argv[MAX_ARGS + 1]; /* ACT_RUN */
	char *path;               /* ACT_FILE, ACT_SYSFS: the path without the root */
	char *data;               /* what to write */
	/* ACT_RUN of dpdk-devbind: the device and the driver it must have afterwards
	 * ("" = any kernel driver, or none). */
	char addr[16];
	char expect[64];
	bool bind;
};

struct plan {
	const char *root;     /* "" = the real system */
	bool dry_run, undo;
	bool exec;            /* run the commands (always, but under a test root) */
	struct act acts[MAX_ACTS];
	size_t n_acts;
	unsigned int refusals;
	char devbind[PATH_MAX], modprobe[PATH_MAX], systemctl[PATH_MAX];
};

/* --- Small helpers ----------------------------------------------------------------------- */

static int
fmt_s(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* snprintf() whose truncation is intended: paths and names longer than their buffers are
 * not ones sysfs has, and a cut message is still a message. */
static int
fmt_s(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void
say(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line of the plan: "  <what>  <text>". */
static void
say(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("  %-7s ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void
refuse(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
refuse(struct plan *p, const char *fmt, ...)
{
	va_list ap;

	printf("  %-7s ", "REFUSE");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	/* The plan and the refusals interleave as they happen, also in one file (2>&1). */
	fflush(stdout);
	fprintf(stderr, PROG ": refused: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	p->refusals++;
}

/* ROOT + path. */
static const char *
rp(const char *root, const char *path, char *buf, size_t size)
{
	fmt_s(buf, size, "%s%s", root, path);
	return buf;
}

/* The whole file under the root, NUL-terminated, or NULL with errno. */
static char *
slurp(const char *root, const char *path)
{
	char full[PATH_MAX], *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	fd = open(rp(root, path, full, sizeof(full)), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (nb == NULL) {
				free(buf);
				close(fd);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			free(buf);
			close(fd);
			errno = err;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* First line of a small file, trailing newline cut; "" when unreadable. */
static void
read_line(const char *root, const char *path, char *out, size_t size)
{
	char *s = slurp(root, path);

	out[0] = '\0';
	if (s == NULL)
		return;
	s[strcspn(s, "\n")] = '\0';
	fmt_s(out, size, "%s", s);
	free(s);
}

/* Basename of a symlink's target under the root; "" when it is not one. */
static void
link_base(const char *root, const char *path, char *out, size_t size)
{
	char full[PATH_MAX], target[PATH_MAX];
	ssize_t n = readlink(rp(root, path, full, sizeof(full)), target, sizeof(target) - 1);
	const char *b;

	out[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	b = strrchr(target, '/');
	fmt_s(out, size, "%s", b != NULL ? b + 1 : target);
}

static bool
exists(const char *root, const char *path)
{
	char full[PATH_MAX];

	return access(rp(root, path, full, sizeof(full)), F_OK) == 0;
}

/* Entries of a directory under the root, "." and ".." aside; -1 if it cannot be read. */
static int
count_entries(const char *root, const char *path)
{
	char full[PATH_MAX];
	DIR *d = opendir(rp(root, path, full, sizeof(full)));
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *ns = realloc(b->s, cap);

		if (ns == NULL) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_add(b, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static char *
sb_done(struct sbuf *b)
{
	if (b->oom) {
		free(b->s);
		errno = ENOMEM;
		return NULL;
	}
	if (b->s == NULL)
		return strdup("");
	return b->s;
}

/* The n-th whitespace-separated word of a line (up to the newline), copied into out. */
static bool
word(const char *line, int n, char *out, size_t size)
{
	const char *p = line;

	for (int i = 0;; i++) {
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n')
			return false;
		len = strcspn(p, " \t\n");
		if (i == n) {
			fmt_s(out, size, "%.*s", (int)len, p);
			return true;
		}
		p += len;
	}
}

/* --- sysfs and procfs -------------------------------------------------------------------- */

/* Network interfaces in DIR/net/ (appended to d). */
static void
add_ifaces(const char *root, const char *dir, struct setup_dev *d)
{
	char path[PATH_MAX], full[PATH_MAX];
	struct dirent *e;
	DIR *dh;

	fmt_s(path, sizeof(path), "%s/net", dir);
	dh = opendir(rp(root, path, full, sizeof(full)));
	if (dh == NULL)
		return;
	while ((e = readdir(dh)) != NULL && d->n_ifaces < SETUP_MAX_IFACES) {
		if (e->d_name[0] == '.')
			continue;
		fmt_s(d->ifaces[d->n_ifaces++], sizeof(d->ifaces[0]), "%s", e->d_name);
	}
	closedir(dh);
}

int
setup_dev_read(const char *root, const char *addr, struct setup_dev *d)
{
	char dir[PATH_MAX], path[PATH_MAX], full[PATH_MAX], v[32];
	struct dirent *e;
	DIR *dh;

	memset(d, 0, sizeof(*d));
	fmt_s(d->addr, sizeof(d->addr), "%s", addr);
	fmt_s(dir, sizeof(dir), "/sys/bus/pci/devices/%s", addr);
	d->exists = exists(root, dir);
	if (!d->exists)
		return 0;
	fmt_s(path, sizeof(path), "%s/vendor", dir);
	read_line(root, path, v, sizeof(v));
	fmt_s(d->vendor, sizeof(d->vendor), "%s", strncmp(v, "0x", 2) == 0 ? v + 2 : v);
	fmt_s(path, sizeof(path), "%s/device", dir);
	read_line(root, path, v, sizeof(v));
	fmt_s(d->device, sizeof(d->device), "%s", strncmp(v, "0x", 2) == 0 ? v + 2 : v);
	fmt_s(path, sizeof(path), "%s/class", dir);
	read_line(root, path, v, sizeof(v));
	fmt_s(d->pci_class, sizeof(d->pci_class), "%s", strncmp(v, "0x", 2) == 0 ? v + 2 : v);
	fmt_s(path, sizeof(path), "%s/driver", dir);
	link_base(root, path, d->driver, sizeof(d->driver));
	/* A NIC's interface is in <dev>/net/; virtio puts it one level down,
	 * <dev>/virtioN/net/. */
	add_ifaces(root, dir, d);
	dh = opendir(rp(root, dir, full, sizeof(full)));
	if (dh == NULL)
		return 0;
	while ((e = readdir(dh)) != NULL) {
		if (strncmp(e->d_name, "virtio", 6) != 0)
			continue;
		fmt_s(path, sizeof(path), "%s/%s", dir, e->d_name);
		add_ifaces(root, path, d);
	}
	closedir(dh);
	return 0;
}

/* IPv4 routes through ifname in /proc/net/route: the default route, and the others
 * (169.254/16 aside, as dpdk-devbind.py does). */
static void
v4_routes(const char *root, const char *ifname, bool *dflt, unsigned int *others,
	  char *example, size_t size)
{
	char *s = slurp(root, "/proc/net/route"), dev[32], dst[16], mask[16];
	const char *line;

	if (s == NULL)
		return;
	/* The first line is the header. */
	for (line = strchr(s, '\n'); line != NULL && line[1] != '\0'; line = strchr(line, '\n')) {
		unsigned long d, m;
		const unsigned char *o, *mo;
		int plen = 0;

		line++;
		if (!word(line, 0, dev, sizeof(dev)) || strcmp(dev, ifname) != 0 ||
		    !word(line, 1, dst, sizeof(dst)) || !word(line, 7, mask, sizeof(mask)))
			continue;
		/* The kernel prints the raw network-order word as a host-order number. */
		d = strtoul(dst, NULL, 16);
		m = strtoul(mask, NULL, 16);
		{
			uint32_t d32 = (uint32_t)d, m32 = (uint32_t)m;

			o = (const unsigned char *)&d32;
			mo = (const unsigned char *)&m32;
			for (int i = 0; i < 4; i++)
				plen += __builtin_popcount(mo[i]);
			if (m32 == 0 && d32 == 0) {
				*dflt = true;
				continue;
			}
			if (o[0] == 169 && o[1] == 254)
				continue;
			if (*others == 0)
				fmt_s(example, size, "%u.%u.%u.%u/%d", o[0], o[1], o[2], o[3],
					 plen);
		}
		(*others)++;
	}
	free(s);
}

/* An IPv6 default route through ifname in /proc/net/ipv6_route (reject routes aside). */
static bool
v6_default(const char *root, const char *ifname)
{
	char *s = slurp(root, "/proc/net/ipv6_route"), dst[40], plen[8], flags[16], dev[32];
	const char *line;
	bool found = false;

	if (s == NULL)
		return false;
	for (line = s; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!word(line, 0, dst, sizeof(dst)) || !word(line, 1, plen, sizeof(plen)) ||
		    !word(line, 8, flags, sizeof(flags)) || !word(line, 9, dev, sizeof(dev)))
			continue;
		/* RTF_REJECT (0x200): the "unreachable" default on lo. */
		if (strcmp(dev, ifname) == 0 && strcmp(plen, "00") == 0 &&
		    strspn(dst, "0") == strlen(dst) && (strtoul(flags, NULL, 16) & 0x200) == 0)
			found = true;
	}
	free(s);
	return found;
}

/* A global (or site) IPv6 address on ifname in /proc/net/if_inet6: link-local and
 * host scope are there on any interface that is up, and say nothing of use. */
static bool
v6_address(const char *root, const char *ifname, char *addr, size_t size)
{
	char *s = slurp(root, "/proc/net/if_inet6"), hex[40], scope[8], dev[32];
	const char *line;
	bool found = false;

	if (s == NULL)
		return false;
	for (line = s; !found && line != NULL && *line != '\0'; line = strchr(line, '\n')) {
		unsigned long sc;

		if (*line == '\n')
			line++;
		if (!word(line, 0, hex, sizeof(hex)) || !word(line, 3, scope, sizeof(scope)) ||
		    !word(line, 5, dev, sizeof(dev)) || strcmp(dev, ifname) != 0 ||
		    strlen(hex) != 32)
			continue;
		sc = strtoul(scope, NULL, 16);
		if (sc == 0x20 || sc == 0x10)
			continue;
		/* Groups of four hex digits, without compressing zeros: unambiguous enough. */
		{
			size_t o = 0;

			for (int i = 0; i < 8 && o + 6 < size; i++)
				o += (size_t)fmt_s(addr + o, size - o, "%s%.4s", i ? ":" : "",
						      hex + 4 * i);
		}
		found = true;
	}
	free(s);
	return found;
}

int
setup_iface_busy(const char *root, const char *ifname, char *why, size_t size)
{
	char path[PATH_MAX], master[64], example[32] = "", v6[48];
	unsigned int others = 0;
	bool dflt = false;

	v4_routes(root, ifname, &dflt, &others, example, sizeof(example));
	if (dflt || v6_default(root, ifname)) {
		fmt_s(why, size, "interface %s carries the default route (%s): taking it would "
			 "cut this host off its network", ifname, dflt ? "IPv4" : "IPv6");
		return -EBUSY;
	}
	if (others > 0) {
		fmt_s(why, size, "interface %s is in use: %u IPv4 route%s through it (%s), as "
			 "dpdk-devbind.py calls it *Active*; remove its addresses first "
			 "(ip address flush dev %s)", ifname, others, others == 1 ? "" : "s",
			 example, ifname);
		return -EBUSY;
	}
	if (v6_address(root, ifname, v6, sizeof(v6))) {
		fmt_s(why, size, "interface %s is in use: it has the IPv6 address %s; remove "
			 "its addresses first (ip address flush dev %s)", ifname, v6, ifname);
		return -EBUSY;
	}
	fmt_s(path, sizeof(path), "/sys/class/net/%s/master", ifname);
	link_base(root, path, master, sizeof(master));
	if (master[0] != '\0') {
		fmt_s(why, size, "interface %s is in use: it is a port of %s (a bridge or "
			 "bond); take it out first (ip link set %s nomaster)", ifname, master,
			 ifname);
		return -EBUSY;
	}
	fmt_s(why, size, "interface %s: no default route, no route, no global IPv6 address, "
		 "no bridge or bond", ifname);
	return 0;
}

/* --- /etc/dpdk files --------------------------------------------------------------------- */

/* Index of addr in addrs (case-insensitive), or -1. */
static int
addr_index(const char *addr, size_t n, char *const *addrs)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(addr, addrs[i]) == 0)
			return (int)i;
	return -1;
}

/* Our comment line's address: "# castgate setup: pci <addr> ..." */
static bool
mark_addr(const char *line, char *addr, size_t size)
{
	if (strncmp(line, SETUP_MARK " pci ", strlen(SETUP_MARK " pci ")) != 0)
		return false;
	return word(line + strlen(SETUP_MARK " pci "), 0, addr, size);
}

char *
setup_interfaces_render(const char *old, size_t n, char *const *addrs, char *const *ports,
			char *const *drivers, bool undo)
{
	struct sbuf b = { 0 };
	const char *line = old;

	while (line != NULL && *line != '\0') {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) + 1 : strlen(line);
		char w0[16], w1[32];
		bool ours = false;

		if (mark_addr(line, w1, sizeof(w1)))
			ours = addr_index(w1, n, addrs) >= 0;
		else if (word(line, 0, w0, sizeof(w0)) && strcmp(w0, "pci") == 0 &&
			 word(line, 1, w1, sizeof(w1)))
			ours = addr_index(w1, n, addrs) >= 0;
		if (!ours) {
			sb_add(&b, line, len);
			if (end == NULL)
				sb_add(&b, "\n", 1);
		}
		line += len;
	}
	for (size_t i = 0; !undo && i < n; i++) {
		sb_printf(&b, SETUP_MARK " pci %s port %s, kernel driver %s "
			  "(castgate setup --undo gives it back)\n", addrs[i], ports[i],
			  drivers[i][0] != '\0' ? drivers[i] : "none");
		sb_printf(&b, "pci\t%s\t" SETUP_DPDK_DRIVER "\n", addrs[i]);
	}
	return sb_done(&b);
}

bool
setup_interfaces_driver(const char *content, const char *addr, char *out, size_t size)
{
	const char *line = content;
	char a[32];

	for (; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
		const char *k;

		if (*line == '\n')
			line++;
		if (!mark_addr(line, a, sizeof(a)) || strcasecmp(a, addr) != 0)
			continue;
		k = strstr(line, "kernel driver ");
		if (k == NULL || k > line + strcspn(line, "\n"))
			continue;
		word(k + strlen("kernel driver "), 0, out, size);
		if (strcmp(out, "none") == 0)
			out[0] = '\0';
		return true;
	}
	return false;
}

/* An uncommented NR_2M_PAGES= line: its value (quotes dropped) in val. */
static bool
nr2m_line(const char *line, char *val, size_t size)
{
	size_t len;

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, "NR_2M_PAGES=", 12) != 0)
		return false;
	line += 12;
	len = strcspn(line, "\n");
	if (len > 0 && (line[0] == '"' || line[0] == '\'')) {
		line++;
		len--;
		if (len > 0 && (line[len - 1] == '"' || line[len - 1] == '\''))
			len--;
	}
	fmt_s(val, size, "%.*s", (int)len, line);
	return true;
}

char *
setup_dpdkconf_render(const char *old, unsigned int need, unsigned int reserved,
		      unsigned int memory_mb, char *note, size_t size)
{
	unsigned int pages = need > reserved ? need : reserved;
	struct sbuf b = { 0 };
	const char *line;
	char val[128], ours[384];
	bool replaced = false;

	/* dpdk-init sets nr_hugepages to exactly NR_2M_PAGES at boot, freeing the others: a
	 * reservation in force now (the kernel command line's, another DPDK program's) is
	 * persisted rather than lowered. */
	fmt_s(ours, sizeof(ours), SETUP_MARK " dataplane.memory_mb = %u%s needs %u x 2 MiB "
	      "hugepages%s\nNR_2M_PAGES=%u\n", memory_mb,
	      memory_mb == 0 ? " (grows on demand: castgate's default)" : "", need,
	      reserved > need ? "; more were reserved when it ran, kept" : "", pages);
	/* The value in force is the last assignment (the file is sourced by sh). */
	val[0] = '\0';
	for (line = old; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
		char v[128];

		if (*line == '\n')
			line++;
		if (nr2m_line(line, v, sizeof(v)))
			fmt_s(val, sizeof(val), "%s", v);
	}
	if (val[0] != '\0') {
		char *end;
		unsigned long have = strtoul(val, &end, 10);

		if (strchr(val, ' ') != NULL) {
			unsigned long sum = 0;

			for (const char *q = val; *q != '\0';) {
				sum += strtoul(q, &end, 10);
				if (end == q)
					break;
				q = end;
			}
			fmt_s(note, size, "NR_2M_PAGES=\"%s\" (per NUMA node, %lu in all) is "
				 "left as is%s", val, sum, sum >= need ? "" :
				 ": WARNING: below what the config needs; raise it by hand");
			return strdup(old);
		}
		if (*end == '\0' && have >= pages) {
			fmt_s(note, size, "NR_2M_PAGES=%lu already covers %u pages: unchanged",
				 have, pages);
			return strdup(old);
		}
	}
	fmt_s(note, size, "NR_2M_PAGES=%u (%s%s)", pages, val[0] != '\0' ? "raised" : "none was set",
	      reserved > need ? "; the pages reserved now, more than needed, are kept" : "");
	for (line = old; line != NULL && *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) + 1 : strlen(line);
		char v[128];

		if (strncmp(line, SETUP_MARK, strlen(SETUP_MARK)) == 0) {
			/* Our previous comment: replaced with its line. */
		} else if (nr2m_line(line, v, sizeof(v))) {
			if (!replaced)
				sb_add(&b, ours, strlen(ours));
			replaced = true;
		} else {
			sb_add(&b, line, len);
			if (end == NULL)
				sb_add(&b, "\n", 1);
		}
		line += len;
	}
	if (!replaced) {
		if (b.len > 0 && !(b.len >= 2 && b.s[b.len - 2] == '\n'))
			sb_add(&b, "\n", 1);
		sb_add(&b, ours, strlen(ours));
	}
	return sb_done(&b);
}

/* --- The plan ---------------------------------------------------------------------------- */

static struct act *
act_new(struct plan *p, enum act_kind kind)
{
	struct act *a;

	if (p->n_acts == MAX_ACTS) {
		fprintf(stderr, PROG ": more than %d steps\n", MAX_ACTS);
		exit(CG_EXIT_FAILURE);
	}
	a = &p->acts[p->n_acts++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

/* Add a command; NULL-terminated arguments after the program. Printed as it runs. */
static struct act *
plan_run(struct plan *p, const char *prog, ...)
{
	struct act *a = act_new(p, ACT_RUN);
	char line[1024];
	size_t o, i = 0;
	const char *arg;
	va_list ap;

	a->argv[i++] = strdup(prog);
	o = (size_t)fmt_s(line, sizeof(line), "%s", prog);
	va_start(ap, prog);
	while ((arg = va_arg(ap, const char *)) != NULL && i < MAX_ARGS) {
		a->argv[i++] = strdup(arg);
		o += (size_t)fmt_s(line + o, o < sizeof(line) ? sizeof(line) - o : 0, " %s",
				      arg);
	}
	va_end(ap);
	say("run", "%s", line);
	return a;
}

/* Add a file write: print the lines it removes and adds (a diff of whole lines, in order). */
static void
plan_file(struct plan *p, const char *path, const char *old, char *data)
{
	const char *o = old != NULL ? old : "", *n = data;
	struct act *a;

	if (old != NULL && strcmp(old, data) == 0) {
		say("check", "%s: already as needed, unchanged", path);
		free(data);
		return;
	}
	say("write", "%s%s:", path, old == NULL ? " (new file)" : "");
	/* Both are the old lines with some removed and some appended or put in place of
	 * removed ones: walk them together, printing what differs. */
	while (*o != '\0' || *n != '\0') {
		size_t ol = strcspn(o, "\n"), nl = strcspn(n, "\n");
		const char *next;
		size_t nlen = 0;

		if (*o != '\0' && *n != '\0' && ol == nl && strncmp(o, n, ol) == 0) {
			o += ol + (o[ol] == '\n');
			n += nl + (n[nl] == '\n');
			continue;
		}
		/* Is the old line still somewhere ahead in the new text? Then the new lines
		 * before it were added; else it was removed. */
		next = NULL;
		if (*o != '\0') {
			for (const char *q = n; *q != '\0'; q += nlen + (q[nlen] == '\n')) {
				nlen = strcspn(q, "\n");
				if (nlen == ol && strncmp(q, o, ol) == 0) {
					next = q;
					break;
				}
			}
		}
		if (*o != '\0' && next == NULL) {
			printf("            -%s%.*s\n", ol > 0 ? " " : "", (int)ol, o);
			o += ol + (o[ol] == '\n');
		} else {
			printf("            +%s%.*s\n", nl > 0 ? " " : "", (int)nl, n);
			n += nl + (n[nl] == '\n');
		}
	}
	a = act_new(p, ACT_FILE);
	a->path = strdup(path);
	a->data = data;
}

static void
plan_sysfs(struct plan *p, const char *path, const char *value)
{
	struct act *a = act_new(p, ACT_SYSFS);

	say("write", "%s: %s", path, value);
	a->path = strdup(path);
	a->data = strdup(value);
}

/* Find a program on $PATH; refuse (once) when it is missing. */
static bool
need_prog(struct plan *p, const char *prog, char *out, size_t size, const char *why)
{
	const char *path = getenv("PATH");

	if (out[0] != '\0')
		return true;
	if (sup_find_bin(prog, NULL, NULL, NULL, path != NULL ? path : DEFAULT_PATH, out, size) == 0)
		return true;
	refuse(p, "%s not found in $PATH: %s", prog, why);
	fmt_s(out, size, "%s", prog);
	return false;
}

struct port_ref {
	const char *name;
	char addr[16];
};

/* Checks of the IOMMU; the module. */
static void
plan_iommu(struct plan *p)
{
	char val[16];
	int groups = count_entries(p->root, "/sys/kernel/iommu_groups");

	if (groups > 0) {
		say("check", "IOMMU: %d groups in /sys/kernel/iommu_groups: vfio-pci can isolate "
		    "the NICs", groups);
		return;
	}
	read_line(p->root, "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode", val,
		  sizeof(val));
	if (val[0] == 'Y' || val[0] == '1') {
		say("WARNING", "no IOMMU (/sys/kernel/iommu_groups is empty) and vfio runs in "
		    "no-IOMMU mode (enable_unsafe_noiommu_mode=Y): the NICs can DMA anywhere in "
		    "memory, the kernel is tainted; for a lab only");
		fflush(stdout);
		fprintf(stderr, PROG ": WARNING: no IOMMU: vfio's unsafe no-IOMMU mode is on; the "
			"NICs will be able to DMA anywhere in memory\n");
		return;
	}
	refuse(p, "no IOMMU: /sys/kernel/iommu_groups is empty, so vfio-pci cannot take a "
	       "device; turn it on (intel_iommu=on or amd_iommu=on on the kernel command line, "
	       "and VT-d/AMD-Vi in the firmware), or, unsafe, load vfio with "
	       "enable_unsafe_noiommu_mode=1 (modprobe vfio enable_unsafe_noiommu_mode=1)");
}

static void
plan_hugepages(struct plan *p, const struct cg_conf *c)
{
	unsigned int pages, have = 0;
	char note[256], val[32], buf[32], *old, *data;

	if (c->dp.no_huge) {
		say("check", "hugepages: dataplane.no_huge = true: none needed");
		return;
	}
	pages = c->dp.memory_mb > 0 ? (c->dp.memory_mb + HP_PAGE_MB - 1) / HP_PAGE_MB :
				      HP_DEFAULT_PAGES;
	if (!exists(p->root, HP_DIR)) {
		say("WARNING", "hugepages: this kernel has no 2 MiB pages (no %s): reserve "
		    "hugepages yourself (dpdk.conf NR_1G_PAGES, or the kernel command line)",
		    HP_DIR);
		return;
	}
	read_line(p->root, HP_DIR "/nr_hugepages", val, sizeof(val));
	have = (unsigned int)strtoul(val, NULL, 10);
	say("check", "hugepages: dataplane.memory_mb = %u%s: %u pages of 2 MiB; %u reserved now",
	    c->dp.memory_mb, c->dp.memory_mb == 0 ? " (grows on demand)" : "", pages, have);
	/* Never lower a reservation: other DPDK programs may hold pages. */
	if (have < pages) {
		fmt_s(buf, sizeof(buf), "%u", pages);
		plan_sysfs(p, HP_DIR "/nr_hugepages", buf);
	}
	old = slurp(p->root, F_DPDKCONF);
	if (old == NULL && errno != ENOENT) {
		refuse(p, "%s: %s", F_DPDKCONF, strerror(errno));
		return;
	}
	data = setup_dpdkconf_render(old, pages, have, c->dp.memory_mb, note, sizeof(note));
	if (data == NULL) {
		refuse(p, "%s: %s", F_DPDKCONF, strerror(errno));
		free(old);
		return;
	}
	say("check", "%s: %s", F_DPDKCONF, note);
	if (old != NULL && strcmp(old, data) == 0)
		free(data);
	else
		plan_file(p, F_DPDKCONF, old, data);
	free(old);
}

static void
plan_service(struct plan *p)
{
	static const char *const units[] = { "/lib/systemd/system/dpdk.service",
					     "/usr/lib/systemd/system/dpdk.service",
					     "/etc/systemd/system/dpdk.service" };
	bool found = false;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		found = found || exists(p->root, units[i]);
	if (!found) {
		refuse(p, "dpdk.service not found (no /lib/systemd/system/dpdk.service): it binds "
		       "the NICs and reserves the hugepages at boot; install Debian's dpdk "
		       "package (apt-get install dpdk)");
		return;
	}
	if (exists(p->root, "/etc/systemd/system/multi-user.target.wants/dpdk.service")) {
		say("check", "dpdk.service: enabled");
		return;
	}
	say("check", "dpdk.service: not enabled (it applies %s and %s at boot)", F_INTERFACES,
	    F_DPDKCONF);
	if (need_prog(p, "systemctl", p->systemctl, sizeof(p->systemctl),
		      "needed to enable dpdk.service"))
		plan_run(p, p->systemctl, "enable", "dpdk.service", NULL);
}

/* --undo of one port on vfio-pci: back to the recorded driver, else to the kernel's pick. */
static void
plan_undo_port(struct plan *p, const struct port_ref *port, const struct setup_dev *d,
	       const char *recorded)
{
	struct act *a;

	if (strcmp(d->driver, SETUP_DPDK_DRIVER) != 0) {
		say("check", "port %s: %s: not bound to " SETUP_DPDK_DRIVER ": left as is",
		    port->name, d->addr);
		return;
	}
	if (!need_prog(p, "dpdk-devbind.py", p->devbind, sizeof(p->devbind),
		       "install Debian's dpdk package"))
		return;
	if (recorded[0] != '\0') {
		say("check", "port %s: %s: kernel driver %s (recorded in %s)", port->name, d->addr,
		    recorded, F_INTERFACES);
		a = plan_run(p, p->devbind, "-b", recorded, d->addr, NULL);
		fmt_s(a->expect, sizeof(a->expect), "%s", recorded);
		a->bind = true;
	} else {
		say("check", "port %s: %s: no kernel driver recorded in %s: unbind, then let the "
		    "kernel pick its driver", port->name, d->addr, F_INTERFACES);
		a = plan_run(p, p->devbind, "-u", d->addr, NULL);
		plan_sysfs(p, "/sys/bus/pci/drivers_probe", d->addr);
	}
	fmt_s(a->addr, sizeof(a->addr), "%s", d->addr);
}

/* Whether the host uses the device's interfaces; each one's verdict is printed. */
static bool
port_busy(struct plan *p, const struct port_ref *port, const struct setup_dev *d)
{
	char why[512];
	bool busy = false;

	/* Without an interface, only its class says what it is: a disk
	 * controller has none either, and the host may well be using it. */
	if (d->n_ifaces == 0 && strncmp(d->pci_class, "02", 2) != 0) {
		refuse(p, "port %s: %s: not a network controller (PCI class %s%s), and the host "
		       "may be using it", port->name, d->addr, d->pci_class[0] ? "0x" : "",
		       d->pci_class[0] ? d->pci_class : "unknown");
		return true;
	}
	if (d->n_ifaces == 0)
		say("check", "port %s: %s: no network interface: not in use by the host",
		    port->name, d->addr);
	for (size_t k = 0; k < d->n_ifaces; k++) {
		if (setup_iface_busy(p->root, d->ifaces[k], why, sizeof(why)) < 0) {
			refuse(p, "port %s: %s: %s", port->name, d->addr, why);
			busy = true;
		} else {
			say("check", "port %s: %s: %s: free to take", port->name, d->addr, why);
		}
	}
	return busy;
}

/* modprobe and the binds of the ports that drivers[] marks (non-NULL) and are not bound yet. */
static void
plan_binds(struct plan *p, const struct setup_dev *dev, char *const *drivers, size_t n)
{
	if (exists(p->root, "/sys/bus/pci/drivers/" SETUP_DPDK_DRIVER)) {
		say("check", SETUP_DPDK_DRIVER ": loaded");
	} else {
		say("check", SETUP_DPDK_DRIVER ": not loaded");
		if (need_prog(p, "modprobe", p->modprobe, sizeof(p->modprobe),
			      "needed to load " SETUP_DPDK_DRIVER " (package kmod)"))
			plan_run(p, p->modprobe, SETUP_DPDK_DRIVER, NULL);
	}
	if (!need_prog(p, "dpdk-devbind.py", p->devbind, sizeof(p->devbind),
		       "install Debian's dpdk package"))
		return;
	for (size_t i = 0; i < n; i++) {
		struct act *a;

		if (drivers[i] == NULL || strcmp(dev[i].driver, SETUP_DPDK_DRIVER) == 0)
			continue;
		a = plan_run(p, p->devbind, "-b", SETUP_DPDK_DRIVER, dev[i].addr, NULL);
		fmt_s(a->addr, sizeof(a->addr), "%s", dev[i].addr);
		fmt_s(a->expect, sizeof(a->expect), SETUP_DPDK_DRIVER);
		a->bind = true;
	}
}

/* The plan of `setup` or `setup --undo`; printed as it is built. */
static void
build_plan(struct plan *p, const struct cg_conf *c, const struct port_ref *ports, size_t n)
{
	/* Per port: the kernel driver to record in /etc/dpdk/interfaces; NULL = the port gets
	 * no line (refused, or missing). */
	char *addrs[CG_CONF_MAX_PORTS], *names[CG_CONF_MAX_PORTS], *drivers[CG_CONF_MAX_PORTS];
	char *old, *data;
	struct setup_dev dev[CG_CONF_MAX_PORTS];
	size_t n_bind = 0, m = 0;

	old = slurp(p->root, F_INTERFACES);
	if (old == NULL && errno != ENOENT) {
		refuse(p, "%s: %s", F_INTERFACES, strerror(errno));
		return;
	}
	if (!p->undo)
		plan_iommu(p);
	for (size_t i = 0; i < n; i++) {
		struct setup_dev *d = &dev[i];
		char recorded[64] = "";

		if (old != NULL)
			setup_interfaces_driver(old, ports[i].addr, recorded, sizeof(recorded));
		drivers[i] = NULL;
		setup_dev_read(p->root, ports[i].addr, d);
		if (!d->exists) {
			if (p->undo)
				say("check", "port %s: %s: no such PCI device: nothing to give back",
				    ports[i].name, ports[i].addr);
			else
				refuse(p, "port %s: %s: no such PCI device (no "
				       "/sys/bus/pci/devices/%s); check [[port]] device against "
				       "lspci -D", ports[i].name, ports[i].addr, ports[i].addr);
			continue;
		}
		say("check", "port %s: %s: PCI %s:%s, driver %s%s%s", ports[i].name, d->addr,
		    d->vendor, d->device, d->driver[0] != '\0' ? d->driver : "none",
		    d->n_ifaces > 0 ? ", interface " : "", d->n_ifaces > 0 ? d->ifaces[0] : "");
		if (p->undo) {
			plan_undo_port(p, &ports[i], d, recorded);
		} else if (strcmp(d->driver, SETUP_DPDK_DRIVER) == 0) {
			/* Done before: its line keeps the driver it recorded then. */
			say("check", "port %s: %s: already bound to " SETUP_DPDK_DRIVER
			    ": nothing to bind", ports[i].name, d->addr);
			drivers[i] = strdup(recorded);
		} else if (!port_busy(p, &ports[i], d)) {
			/* A refused port gets no step: the plan shows what would be done. */
			drivers[i] = strdup(d->driver);
			n_bind++;
		}
	}
	if (n_bind > 0)
		plan_binds(p, dev, drivers, n);
	/* /etc/dpdk/interfaces: setup (re)writes the lines of the ports it took or found bound;
	 * --undo removes those of every port of the config. */
	for (size_t i = 0; i < n; i++) {
		if (!p->undo && drivers[i] == NULL)
			continue;
		addrs[m] = (char *)ports[i].addr;
		names[m] = (char *)ports[i].name;
		m++;
	}
	if (!p->undo) {
		/* drivers[] compacted in the same order as addrs[]. */
		for (size_t i = 0, k = 0; i < n; i++)
			if (drivers[i] != NULL)
				drivers[k++] = drivers[i];
		for (size_t k = m; k < n; k++)
			drivers[k] = NULL;
	}
	if (m > 0 && !(p->undo && old == NULL)) {
		data = setup_interfaces_render(old, m, addrs, names, drivers, p->undo);
		if (data == NULL)
			refuse(p, "%s: %s", F_INTERFACES, strerror(errno));
		else
			plan_file(p, F_INTERFACES, old, data);
	}
	for (size_t i = 0; i < n; i++)
		free(drivers[i]);
	free(old);
	if (!p->undo) {
		plan_hugepages(p, c);
		plan_service(p);
	}
}

/* --- Doing it ---------------------------------------------------------------------------- */

/* Run a command and wait; under a test root, record it instead. */
static int
run(const struct plan *p, char *const *argv)
{
	int wstatus;
	pid_t pid;

	if (!p->exec) {
		char path[PATH_MAX];
		FILE *f = fopen(rp(p->root, F_COMMANDS, path, sizeof(path)), "ae");

		if (f == NULL)
			return -errno;
		for (size_t i = 0; argv[i] != NULL; i++)
			fprintf(f, "%s%s", i ? " " : "", argv[i]);
		fputc('\n', f);
		return fclose(f) == 0 ? 0 : -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, PROG ": exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
		return 0;
	{
		char how[96];

		fprintf(stderr, PROG ": %s %s\n", argv[0],
			sup_fmt_status(how, sizeof(how), wstatus));
	}
	return -ECHILD;
}

static int
write_small(const char *root, const char *path, const char *value)
{
	char full[PATH_MAX];
	size_t len = strlen(value);
	int fd = open(rp(root, path, full, sizeof(full)), O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0 || (size_t)n != len) {
		int err = n < 0 ? errno : EIO;

		close(fd);
		return -err;
	}
	return close(fd) == 0 ? 0 : -errno;
}

static int
execute(const struct plan *p)
{
	char full[PATH_MAX];

	for (size_t i = 0; i < p->n_acts; i++) {
		const struct act *a = &p->acts[i];
		const char *step = NULL;
		int ret;

		switch (a->kind) {
		case ACT_RUN:
			ret = run(p, a->argv);
			if (ret < 0) {
				if (ret != -ECHILD)
					fprintf(stderr, PROG ": running %s: %s\n", a->argv[0],
						strerror(-ret));
				return CG_EXIT_FAILURE;
			}
			/* Trust the device, not the exit status (dpdk-devbind.py prints some
			 * of its failures and exits 0). */
			if (a->addr[0] != '\0' && p->exec) {
				struct setup_dev d;

				setup_dev_read(p->root, a->addr, &d);
				if (a->bind && strcmp(d.driver, a->expect) != 0) {
					fprintf(stderr, PROG ": %s: %s done, but the device has "
						"driver %s, not %s\n", a->addr, a->argv[0],
						d.driver[0] != '\0' ? d.driver : "none",
						a->expect);
					return CG_EXIT_FAILURE;
				}
			}
			break;
		case ACT_FILE:
			ret = cg_util_write_file(rp(p->root, a->path, full, sizeof(full)), a->data,
						 strlen(a->data), 0644, true, &step);
			if (ret < 0) {
				fprintf(stderr, PROG ": %s: %s: %s\n", full, step != NULL ? step :
					"write", strerror(-ret));
				return CG_EXIT_FAILURE;
			}
			break;
		case ACT_SYSFS:
			ret = write_small(p->root, a->path, a->data);
			if (ret < 0) {
				fprintf(stderr, PROG ": %s: writing %s: %s\n", a->path, a->data,
					strerror(-ret));
				return CG_EXIT_FAILURE;
			}
			if (strcmp(a->path, HP_DIR "/nr_hugepages") == 0) {
				char val[32];

				read_line(p->root, a->path, val, sizeof(val));
				if (strtoul(val, NULL, 10) < strtoul(a->data, NULL, 10)) {
					fprintf(stderr, PROG ": hugepages: asked for %s pages of "
						"2 MiB, the kernel gave %s (memory too fragmented? "
						"dpdk.service reserves them at the next boot)\n",
						a->data, val);
					return CG_EXIT_FAILURE;
				}
			}
			break;
		}
	}
	return 0;
}

/* --- Command line ------------------------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " [--config FILE] [--dry-run] [--undo]\n"
"\n"
"Prepare this host for FILE's PCI ports ([[port]] device = \"DDDD:BB:DD.F\"):\n"
"check each device (it exists; its interface carries no default route, no\n"
"route, no global IPv6 address, is in no bridge or bond), check the IOMMU\n"
"(no IOMMU: refused, unless vfio runs in its unsafe no-IOMMU mode: a loud\n"
"warning), load " SETUP_DPDK_DRIVER ", bind each with `dpdk-devbind.py -b "
SETUP_DPDK_DRIVER "`,\n"
"and persist it Debian's way: the binding in " F_INTERFACES ", the\n"
"hugepages dataplane.memory_mb needs in " F_DPDKCONF " (NR_2M_PAGES, never\n"
"lowered, nor below the pages reserved now; 512 when memory_mb = 0),\n"
"dpdk.service enabled (it applies both at boot; castgate.service wants it).\n"
"Ports already on " SETUP_DPDK_DRIVER " are left as they are. vdev ports\n"
"(net_af_packet, net_af_xdp, net_pcap...) need nothing.\n"
"The whole plan is printed, then carried out; if any check refuses, nothing\n"
"is changed. Run as root.\n"
"\n"
"Options:\n"
"  -c, --config FILE  the config (default " SETUP_DEFAULT_CONFIG ")\n"
"  -n, --dry-run      print the plan (each check and its result, each command,\n"
"                     each line each file gains or loses) and change nothing\n"
"  -u, --undo         give the config's PCI ports back to their kernel drivers\n"
"                     (the one recorded in " F_INTERFACES " at bind time,\n"
"                     else the kernel's pick through drivers_probe) and remove\n"
"                     their lines from " F_INTERFACES "; hugepages and\n"
"                     dpdk.service are left as they are\n"
"      --root DIR     for tests: read sys/, proc/ and etc/ under DIR, write the\n"
"                     files there, and append the commands to DIR/setup-commands\n"
"                     instead of running them (with CASTGATE_SETUP_EXEC=1 in\n"
"                     the environment, run them: tests with stand-in programs)\n"
"  -h, --help         this help\n"
"\n"
"Exit status: 0 done (or nothing to do, or the dry run's plan is fine);\n"
"1 a step failed (what was done before it stays done); 2 bad command line\n"
"or config; 6 refused (a device in use or missing, no IOMMU, dpdk-devbind.py\n"
"or dpdk.service missing): nothing was changed.\n");
}

int
setup_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "undo", no_argument, NULL, 'u' },
		{ "root", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = SETUP_DEFAULT_CONFIG;
	struct port_ref ports[CG_CONF_MAX_PORTS];
	struct plan *p;
	struct cg_conf *c;
	char err[1024], root[PATH_MAX] = "";
	size_t n = 0;
	int o, code;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		fprintf(stderr, PROG ": %s\n", strerror(errno));
		return CG_EXIT_FAILURE;
	}
	optind = 1;
	while ((o = getopt_long(argc, argv, "c:nuh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': config = optarg; break;
		case 'n': p->dry_run = true; break;
		case 'u': p->undo = true; break;
		case 'R':
			if (optarg[0] == '\0' || realpath(optarg, root) == NULL) {
				fprintf(stderr, PROG ": --root %s: %s\n", optarg,
					optarg[0] == '\0' ? "empty" : strerror(errno));
				free(p);
				return CG_EXIT_USAGE;
			}
			/* "/" is the real system: no prefix. */
			if (strcmp(root, "/") == 0)
				root[0] = '\0';
			break;
		case 'h': usage(stdout); free(p); return 0;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			free(p);
			return CG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\nTry '" PROG " --help'.\n",
			argv[optind]);
		free(p);
		return CG_EXIT_USAGE;
	}
	p->root = root;
	/* Under a test root, commands are recorded; CASTGATE_SETUP_EXEC=1 runs them anyway, for
	 * tests whose stand-in programs on $PATH change the fixture tree as the real ones would. */
	p->exec = root[0] == '\0' ||
		  (getenv("CASTGATE_SETUP_EXEC") != NULL &&
		   strcmp(getenv("CASTGATE_SETUP_EXEC"), "1") == 0);
	c = cg_conf_load(config, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, PROG ": %s\n", err);
		free(p);
		return CG_EXIT_USAGE;
	}
	for (size_t i = 0; i < c->n_ports; i++) {
		if (!c->ports[i].is_pci)
			continue;
		ports[n].name = c->ports[i].name;
		/* The address without its devargs; sysfs spells it in lower case. */
		fmt_s(ports[n].addr, sizeof(ports[n].addr), "%.12s", c->ports[i].device);
		for (char *q = ports[n].addr; *q != '\0'; q++)
			*q = (char)tolower((unsigned char)*q);
		n++;
	}
	printf(PROG "%s%s: %s: %zu port%s, %zu on PCI\n", p->undo ? " --undo" : "",
	       p->dry_run ? " --dry-run" : "", config, c->n_ports, c->n_ports == 1 ? "" : "s", n);
	if (n == 0) {
		printf("  nothing to do: vdev ports need no binding\n");
		cg_conf_free(c);
		free(p);
		return 0;
	}
	if (!p->dry_run && root[0] == '\0' && geteuid() != 0)
		say("WARNING", "not root: the changes below will fail");
	build_plan(p, c, ports, n);
	if (p->refusals > 0) {
		printf("refused (%u problem%s): nothing was changed\n", p->refusals,
		       p->refusals == 1 ? "" : "s");
		code = EXIT_REFUSED;
	} else if (p->n_acts == 0) {
		printf("nothing to do: the host is ready\n");
		code = 0;
	} else if (p->dry_run) {
		printf("dry run: nothing was changed\n");
		code = 0;
	} else {
		code = execute(p);
		if (code == 0)
			printf("done: %zu step%s\n", p->n_acts, p->n_acts == 1 ? "" : "s");
	}
	for (size_t i = 0; i < p->n_acts; i++) {
		for (size_t k = 0; p->acts[i].argv[k] != NULL; k++)
			free(p->acts[i].argv[k]);
		free(p->acts[i].path);
		free(p->acts[i].data);
	}
	cg_conf_free(c);
	free(p);
	return code;
}
