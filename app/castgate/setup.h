/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_SETUP_H
#define CG_SETUP_H

/*
 * castgate setup: prepare the host for a config's PCI ports (setup.c).
 *
 * For each [[port]] whose device is a PCI address: check that the device
 * exists and is not in use by the host (default route, routes, IPv6
 * addresses, bridge or bond), check the IOMMU, load vfio-pci, bind it with
 * dpdk-devbind.py, and persist the binding and the hugepages Debian's way
 * (/etc/dpdk/interfaces, /etc/dpdk/dpdk.conf, dpdk.service). The whole plan
 * is built and printed before anything changes; a refusal changes nothing.
 *
 * The parts that decide (reading sysfs and procfs, rendering the files) take
 * every path under a root directory, so that tests run them on fixture trees
 * (--root); there, commands are recorded in ROOT/setup-commands instead of
 * being run.
 */

#include <stdbool.h>
#include <stddef.h>

/** Default config, as in castgate.service. */
#define SETUP_DEFAULT_CONFIG "/etc/castgate/castgate.toml"
/** The kernel driver DPDK takes the NICs with. */
#define SETUP_DPDK_DRIVER "vfio-pci"
/** Marks the comment lines setup writes in /etc/dpdk/interfaces and dpdk.conf. */
#define SETUP_MARK "# castgate setup:"

/** Interfaces of one device we look at (a NIC has one; virtio nests it one level deeper). */
#define SETUP_MAX_IFACES 4

/** What sysfs says about one PCI device. */
struct setup_dev {
	char addr[16];                    /**< DDDD:BB:DD.F, lower case */
	bool exists;                      /**< /sys/bus/pci/devices/<addr> is there */
	char vendor[8], device[8];        /**< "8086", "10fb" (0x dropped); "" unknown */
	char pci_class[8];                /**< "020000" (0x dropped): 02 = network; "" unknown */
	char driver[64];                  /**< bound driver; "" none */
	char ifaces[SETUP_MAX_IFACES][16]; /**< its network interfaces */
	size_t n_ifaces;
};

/**
 * Read /sys/bus/pci/devices/<addr> under @p root ("" = the real one).
 * @return 0 (d->exists says whether the device is there).
 */
int setup_dev_read(const char *root, const char *addr, struct setup_dev *d);

/**
 * Why the host uses interface @p ifname, from ROOT/proc/net/route,
 * ipv6_route, if_inet6 and ROOT/sys/class/net/<if>/master.
 * @return 0 when it is free to take, else -EBUSY with the reason in @p why
 *         ("carries the default route (IPv4)", ...).
 */
int setup_iface_busy(const char *root, const char *ifname, char *why, size_t size);

/**
 * New content of /etc/dpdk/interfaces: @p old (NULL: no file) with every
 * line for the @p n addresses removed (`pci <addr> <driver>` and our comment
 * lines naming them), then, unless @p undo, for each address our comment
 * (naming its port and the kernel driver it had, @p drivers[i], "" = none)
 * and `pci\t<addr>\tvfio-pci`. Other lines are kept as they are.
 * @return a new string (free()), or NULL with errno = ENOMEM.
 */
char *setup_interfaces_render(const char *old, size_t n, char *const *addrs,
			      char *const *ports, char *const *drivers, bool undo);

/**
 * The kernel driver our comment in @p content records for @p addr.
 * @return true with it in @p out ("" when it recorded none).
 */
bool setup_interfaces_driver(const char *content, const char *addr, char *out, size_t size);

/**
 * New content of /etc/dpdk/dpdk.conf reserving at least the larger of
 * @p need (what the config needs) and @p reserved (nr_hugepages now: dpdk-init
 * sets exactly NR_2M_PAGES at boot, so a smaller value would free pages)
 * 2 MiB pages: @p old (NULL: no file) unchanged when its NR_2M_PAGES is that
 * many or more (never lowered), else its NR_2M_PAGES line replaced (or one
 * appended) by our comment, naming @p memory_mb, and `NR_2M_PAGES=<pages>`.
 * A per-NUMA-node list ("0 64") is never rewritten: @p note says so.
 * @param note  what was decided, for the plan.
 * @return a new string (free()), or NULL with errno = ENOMEM.
 */
char *setup_dpdkconf_render(const char *old, unsigned int need, unsigned int reserved,
			    unsigned int memory_mb, char *note, size_t size);

/** `castgate setup ...`: @p argv[0] is "setup". @return the exit status. */
int setup_main(int argc, char **argv);

#endif /* CG_SETUP_H */
