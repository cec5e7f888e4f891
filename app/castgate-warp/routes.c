/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route applier: pins the target's process, enters its netns through lib/nl
 * once the caller's guard accepts that namespace, runs a plan there and writes
 * one audit line per route change. Only routes of the plan are touched: the
 * plan removes only what the record says we installed; the replace of
 * 0.0.0.0/0 or ::/0 takes over Docker's default route, by design.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "cg_nl.h"
#include "cw.h"

void
cw_log_ctr(enum cg_log_level level, const char *id, const char *name, const char *fmt, ...)
{
	char sid[13];
	struct cg_log_field f[2];
	va_list ap;

	if (level > cg_log_get_level())
		return;
	snprintf(sid, sizeof(sid), "%.12s", id != NULL ? id : "");
	f[0] = (struct cg_log_field){ "container", sid };
	f[1] = (struct cg_log_field){ "name", name != NULL && name[0] != '\0' ? name : NULL };
	va_start(ap, fmt);
	cg_log_vfields(level, f, 2, fmt, ap);
	va_end(ap);
}

/* One audit line: @p action ("add", "remove", "restore"...) of @p route. */
static void
audit(const char *id, const char *name, const char *action, const struct cg_nl_route *route,
      bool with_via, const char *result, bool ok)
{
	char sid[13], cidr[64], via[64] = "-";
	struct cg_log_field f[7];

	snprintf(sid, sizeof(sid), "%.12s", id);
	cg_warp_route_cidr(route, cidr, sizeof(cidr));
	if (with_via)
		cg_warp_route_via(route, via, sizeof(via));
	f[0] = (struct cg_log_field){ "event", "route" };
	f[1] = (struct cg_log_field){ "action", action };
	f[2] = (struct cg_log_field){ "container", sid };
	f[3] = (struct cg_log_field){ "name", name };
	f[4] = (struct cg_log_field){ "cidr", cidr };
	f[5] = (struct cg_log_field){ "via", via };
	f[6] = (struct cg_log_field){ "result", result };
	cg_log_fields(ok ? CG_LOG_INFO : CG_LOG_ERR, f, 7, "route %s %s via %s: %s", action, cidr,
		      via, result);
}

/* The audit line of a planned operation. */
static void
audit_op(const char *id, const char *name, const struct cg_warp_op *op, const char *result,
	 bool ok)
{
	audit(id, name, cg_warp_action_name(op->action), &op->route,
	      op->action != CG_WARP_ACT_REMOVE, result, ok);
}

struct adopt_ctx {
	const struct cg_warp_config *cfg;
	struct cg_warp_record *rec;
	struct cw_prior *prior;
};

/*
 * Routes of an earlier run are taken as ours: those with our own protocol
 * (CG_WARP_RTPROT), whatever their CIDR, so that a CIDR removed from the
 * configuration while the daemon was away is removed now; and "proto static"
 * routes for configured CIDRs, which versions before CG_WARP_RTPROT
 * installed, so that an upgrade changes nothing. Docker's own routes are
 * neither, so they are replaced, never adopted.
 */
static int
adopt_one(const struct cg_nl_route *r, void *arg)
{
	struct adopt_ctx *a = arg;
	struct cg_warp_op op = { .action = CG_WARP_ACT_ADD };
	struct cg_nl_route k = *r;
	bool ours;

	/* lib/nl reports the main table as RT_TABLE_MAIN; our records use 0 (= main). */
	if (k.table != 0 && k.table != RT_TABLE_MAIN)
		return 0;
	if (k.protocol != CG_WARP_RTPROT && k.protocol != RTPROT_STATIC) {
		int f = k.family == AF_INET6;

		/* Docker's default route, before we replace it. */
		if (k.dst_len == 0 && k.type == CG_NL_ROUTE_UNICAST && a->prior != NULL &&
		    !a->prior->has[f]) {
			a->prior->r[f] = k;
			a->prior->r[f].oif = 0;
			a->prior->has[f] = true;
		}
		return 0;
	}
	k.table = 0;
	ours = k.protocol == CG_WARP_RTPROT;
	for (size_t i = 0; !ours && i < a->cfg->n_rules; i++)
		ours = cg_warp_route_same_dst(&k, &a->cfg->rules[i].dst);
	if (!ours)
		return 0;
	op.route = k;
	op.route.oif = 0;
	op.route.protocol = 0;
	op.route.scope = 0;
	if (op.route.type != CG_NL_ROUTE_UNICAST)
		memset(op.route.gw, 0, sizeof(op.route.gw));
	cg_warp_record_apply(a->rec, &op);
	return 0;
}

/* Pin @p pid with a pidfd and open a netlink socket in its netns through it. */
static struct cg_nl *
open_ns(const char *id, const char *name, int pid, int *pidfd, struct cg_warp_nsid *ns, int *ret)
{
	char err[512];
	struct cg_nl *nl;
	int e;

	*pidfd = pidfd_open(pid, 0);
	if (*pidfd < 0) {
		e = errno;
		snprintf(err, sizeof(err), "pidfd_open %d: %s", pid, strerror(e));
		nl = NULL;
	} else {
		nl = cg_nl_open_pidfd(*pidfd, err, sizeof(err));
		e = errno;
	}
	if (nl != NULL) {
		e = -cg_nl_netns_id(nl, &ns->dev, &ns->ino);
		if (e == 0)
			return nl;
		snprintf(err, sizeof(err), "identify the namespace (SIOCGSKNS): %s", strerror(e));
		cg_nl_close(nl);
	}
	if (*pidfd >= 0)
		close(*pidfd);
	*pidfd = -1;
	/* ESRCH: the target is exiting; its die event follows. */
	if (e == ENOENT || e == ESRCH) {
		cw_log_ctr(CG_LOG_INFO, id, name, "process gone, routes not changed "
			   "(container exiting?): %s", err);
		*ret = -e;
		return NULL;
	}
	cw_log_ctr(CG_LOG_ERR, id, name, "cannot enter network namespace: %s%s", err,
		   e == EPERM || e == EACCES ? " (missing CAP_SYS_ADMIN/CAP_SYS_PTRACE?)" : "");
	cw_metric_error(CW_ERR_NETNS);
	*ret = -(e != 0 ? e : EIO);
	return NULL;
}

/* open_ns(), then the caller's guard on the process and the namespace it
 * reached: the netlink socket, or NULL with *ret set. */
static struct cg_nl *
enter(const char *id, const char *name, int pid, cw_guard_fn guard, void *guard_arg, int *ret)
{
	struct cg_warp_nsid ns;
	struct cg_nl *nl;
	int pidfd;

	nl = open_ns(id, name, pid, &pidfd, &ns, ret);
	if (nl == NULL)
		return NULL;
	*ret = guard(guard_arg, pidfd, &ns);
	close(pidfd);
	if (*ret < 0) {
		cg_nl_close(nl);
		return NULL;
	}
	return nl;
}

int
cw_routes_converge(const struct cg_warp_config *cfg, const char *id, const char *name, int pid,
		   const struct cg_warp_nexthop *nh, struct cg_warp_record *rec, bool adopt,
		   struct cw_prior *prior, struct cg_warp_plan *plan, int64_t event_ns,
		   cw_guard_fn guard, void *guard_arg)
{
	char err[512];
	struct cg_nl *nl;
	int first = 0, ret;
	bool applied = false;

	plan->n_ops = 0;
	plan->n_notes = 0;
	if (!adopt) {
		cg_warp_plan_routes(cfg, nh, rec, plan);
		if (plan->n_ops == 0)
			return 0;
	}
	if (pid <= 0) {
		cw_log_ctr(CG_LOG_ERR, id, name, "cannot change routes: container has no pid");
		cw_metric_error(CW_ERR_NETNS);
		return -ESRCH;
	}
	nl = enter(id, name, pid, guard, guard_arg, &ret);
	if (nl == NULL)
		return ret;
	if (adopt) {
		struct adopt_ctx a = { cfg, rec, prior };

		ret = cg_nl_route_list(nl, AF_UNSPEC, adopt_one, &a, err, sizeof(err));

		if (ret < 0) {
			cw_log_ctr(CG_LOG_ERR, id, name, "listing routes: %s", err);
			cw_metric_error(CW_ERR_NETLINK);
			cg_nl_close(nl);
			return ret;
		}
		if (rec->n > 0)
			cw_log_ctr(CG_LOG_DEBUG, id, name, "adopted %zu route(s) of an earlier "
				   "run", rec->n);
		cg_warp_plan_routes(cfg, nh, rec, plan);
	}
	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct cg_warp_op *op = &plan->ops[i];

		if (op->action == CG_WARP_ACT_REMOVE) {
			ret = cg_nl_route_delete(nl, &op->route, err, sizeof(err));
			if (ret == -ESRCH) /* already gone: the record was stale */
				ret = 0;
		} else {
			struct cg_nl_route r = op->route;

			r.protocol = CG_WARP_RTPROT;
			ret = cg_nl_route_replace(nl, &r, err, sizeof(err));
		}
		if (ret == 0) {
			cg_warp_record_apply(rec, op);
			atomic_fetch_add_explicit(&cw_m.routes[op->action], 1,
						  memory_order_relaxed);
			audit_op(id, name, op, "ok", true);
			applied = true;
		} else {
			audit_op(id, name, op, err, false);
			cw_metric_error(CW_ERR_NETLINK);
			if (first == 0)
				first = ret;
		}
	}
	cg_nl_close(nl);
	if (applied && event_ns > 0)
		cw_metric_latency(cw_now_real_ns() - event_ns);
	return first;
}

int
cw_routes_restore(const char *id, const char *name, int pid, const struct cw_prior *prior,
		  const bool want[2], cw_guard_fn guard, void *guard_arg)
{
	char err[512];
	struct cg_nl *nl;
	int first = 0, ret;

	if (!(want[0] && prior->has[0]) && !(want[1] && prior->has[1]))
		return 0;
	nl = enter(id, name, pid, guard, guard_arg, &ret);
	if (nl == NULL)
		return ret;
	for (int i = 0; i < 2; i++) {
		if (!want[i] || !prior->has[i])
			continue;
		/* As Docker had it, its protocol included: not ours to adopt later. */
		ret = cg_nl_route_replace(nl, &prior->r[i], err, sizeof(err));
		if (ret < 0) {
			cw_metric_error(CW_ERR_NETLINK);
			if (first == 0)
				first = ret;
		}
		audit(id, name, "restore", &prior->r[i], true, ret == 0 ? "ok" : err, ret == 0);
	}
	cg_nl_close(nl);
	return first;
}
