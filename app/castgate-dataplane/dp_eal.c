/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL argv: lib/conf builds it; we adapt af_packet and af_xdp vdevs to the worker count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_conf.h"
#include "cg_log.h"
#include "dp_eal.h"
#include "dp_xdp.h"

#define VDEV_OPT "--vdev="

/* The devices that take their queue count in a devarg. */
static const struct {
	const char *prefix;
	const char *key;
} queue_args[] = {
	{ "net_af_packet", "qpairs=" },
	{ "net_af_xdp", "queue_count=" },	/* the interface needs that many queues */
};

/* Each worker owns one RX and one TX queue per port, so af_packet needs
 * qpairs = workers, af_xdp queue_count = workers. Returns a new string, or
 * NULL (ENOMEM / EINVAL). */
static char *
adapt_vdev(const char *arg, unsigned int workers)
{
	const char *dev = arg + strlen(VDEV_OPT), *key = NULL, *q;
	char *out;

	for (size_t i = 0; i < sizeof(queue_args) / sizeof(queue_args[0]); i++)
		if (strncmp(dev, queue_args[i].prefix, strlen(queue_args[i].prefix)) == 0)
			key = queue_args[i].key;
	if (key == NULL || workers <= 1)
		return strdup(arg);
	for (q = strchr(dev, ','); q != NULL; q = strchr(q + 1, ','))
		if (strncmp(q + 1, key, strlen(key)) == 0)
			break;
	if (q != NULL) {
		unsigned long n = strtoul(q + 1 + strlen(key), NULL, 10);

		if (n != workers) {
			CG_ERR("port device \"%s\": %s%lu, but %u workers need one queue "
			       "pair each: use %s%u or drop it", dev, key, n, workers, key, workers);
			errno = EINVAL;
			return NULL;
		}
		return strdup(arg);
	}
	if (asprintf(&out, "%s,%s%u", arg, key, workers) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return out;
}

int
cg_dp_eal_argv(const struct cg_conf *c, const char *argv0, int extra_argc,
	       char **extra_argv, cg_dp_eal_vdev_fn vdev_fn, void *vdev_arg, int *argc,
	       char ***argv)
{
	char **base = NULL, **v;
	int n = 0, ret, k = 0;

	ret = cg_conf_eal_argv(c, argv0, &n, &base);
	if (ret < 0)
		return ret;
	/* Twice the room: rte_eal_init() rewrites argv slots (it stores argv[0]
	 * again further on), so the free function uses a private copy of the
	 * pointers kept after the NULL terminator. */
	v = calloc((size_t)(2 * (n + extra_argc + 1)), sizeof(*v));
	if (v == NULL) {
		cg_conf_eal_argv_free(base);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		if (strncmp(base[i], VDEV_OPT, strlen(VDEV_OPT)) == 0)
			v[k] = adapt_vdev(base[i], cg_conf_nb_workers(&c->dp));
		else
			v[k] = strdup(base[i]);
		if (v[k] == NULL)
			goto fail;
		if ((ret = cg_dp_xdp_adapt_vdev(c, &v[k])) < 0) {
			free(v[k]);
			errno = ret == -ENOMEM ? ENOMEM : EINVAL;
			goto fail;
		}
		if (vdev_fn != NULL && strncmp(v[k], VDEV_OPT, strlen(VDEV_OPT)) == 0 &&
		    vdev_fn(v[k] + strlen(VDEV_OPT), vdev_arg)) {
			free(v[k]);
			v[k] = NULL;
			continue;
		}
		k++;
	}
	for (int i = 0; i < extra_argc; i++) {
		/* getopt leaves "--" in front of the EAL arguments: not for the EAL. */
		if (i == 0 && strcmp(extra_argv[0], "--") == 0)
			continue;
		v[k] = strdup(extra_argv[i]);
		if (v[k++] == NULL)
			goto fail;
	}
	cg_conf_eal_argv_free(base);
	memcpy(&v[k + 1], v, (size_t)k * sizeof(*v));
	*argc = k;
	*argv = v;
	return 0;
fail:
	ret = errno == EINVAL ? -EINVAL : -ENOMEM;
	for (int i = 0; i < k; i++)
		free(v[i]);
	free(v);
	cg_conf_eal_argv_free(base);
	return ret;
}

void
cg_dp_eal_argv_free(char **argv)
{
	char **p = argv;

	if (argv == NULL)
		return;
	while (*p != NULL)
		p++;
	for (p++; *p != NULL; p++)
		free(*p);
	free(argv);
}
