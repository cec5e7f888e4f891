/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate-warp decisions: anchored glob, classification, next hop, route plan.
 * Pure functions over lib/docker's container model and lib/nl's route type.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cg_util.h"
#include "cg_warp.h"

/*
 * Glob
 *
 * Written here rather than using fnmatch(3) so that the syntax is ours to
 * document and check: no locale, no FNM_* flag surprises, and a malformed
 * pattern is reported at load time instead of silently matching literally.
 */

/* Parse a class starting after '['; *pp ends after ']'. 1/0 = c in class or not, -1 malformed. */
static int
class_match(const char **pp, unsigned char c, char *err, size_t errlen)
{
	const char *p = *pp;
	bool neg = false, hit = false, first = true;

	if (*p == '!' || *p == '^') {
		neg = true;
		p++;
	}
	for (;;) {
		unsigned char lo, hi;

		if (*p == '\0')
			return cg_util_err(err, errlen, -1, "unclosed '[' class");
		if (*p == ']' && !first)
			break;
		first = false;
		if (*p == '\\') {
			p++;
			if (*p == '\0')
				return cg_util_err(err, errlen, -1, "trailing '\\' in a class");
		}
		lo = (unsigned char)*p++;
		hi = lo;
		if (*p == '-' && p[1] != ']' && p[1] != '\0') {
			p++;
			if (*p == '\\') {
				p++;
				if (*p == '\0')
					return cg_util_err(err, errlen, -1,
							   "trailing '\\' in a class");
			}
			hi = (unsigned char)*p++;
			if (hi < lo)
				return cg_util_err(err, errlen, -1,
						   "reversed range '%c-%c' in a class",
						   lo, hi);
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	*pp = p + 1;
	return hit != neg;
}

/* Match the single-character element at *pp against c; *pp moves past it. */
static int
elem_match(const char **pp, unsigned char c)
{
	const char *p = *pp;

	switch (*p) {
	case '?':
		*pp = p + 1;
		return 1;
	case '[':
		*pp = p + 1;
		return class_match(pp, c, NULL, 0);
	case '\\':
		if (p[1] == '\0')
			return -1;
		*pp = p + 2;
		return (unsigned char)p[1] == c;
	default:
		*pp = p + 1;
		return (unsigned char)*p == c;
	}
}

int
cg_warp_glob_check(const char *pattern, char *err, size_t errlen)
{
	const char *p = pattern;
	char msg[96];

	if (pattern == NULL || pattern[0] == '\0')
		return cg_util_err(err, errlen, -EINVAL, "empty pattern");
	while (*p != '\0') {
		if (*p == '*') {
			p++;
		} else if (*p == '[') {
			p++;
			if (class_match(&p, 0, msg, sizeof(msg)) < 0)
				return cg_util_err(err, errlen, -EINVAL,
						   "pattern \"%s\": %s", pattern,
						   msg);
		} else if (*p == '\\') {
			if (p[1] == '\0')
				return cg_util_err(err, errlen, -EINVAL,
						   "pattern \"%s\": trailing '\\'",
						   pattern);
			p += 2;
		} else {
			p++;
		}
	}
	return 0;
}

bool
cg_warp_glob_match(const char *pattern, const char *name)
{
	const char *p = pattern, *s = name, *star_p = NULL, *star_s = NULL;

	if (pattern == NULL || name == NULL || cg_warp_glob_check(pattern, NULL, 0) < 0)
		return false;
	/* Greedy with one backtrack point (the last '*'): linear in practice,
	 * O(len(p) * len(s)) at worst, no recursion. */
	for (;;) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*s == '\0')
			return *p == '\0';
		if (*p != '\0') {
			const char *q = p;
			int m = elem_match(&q, (unsigned char)*s);

			if (m < 0)
				return false;
			if (m > 0) {
				p = q;
				s++;
				continue;
			}
		}
		if (star_p == NULL)
			return false;
		p = star_p;
		s = ++star_s;
	}
}

/*
 * Classification
 */

const char *
cg_warp_role_name(enum cg_warp_role role)
{
	switch (role) {
	case CG_WARP_ROLE_WARP:
		return "warp";
	case CG_WARP_ROLE_TARGET:
		return "target";
	default:
		return "none";
	}
}

bool
cg_warp_name_valid(const char *s, char *why, size_t whylen)
{
	size_t len = strlen(s), i = s[0] == '/';
	char dummy[8];

	if (why == NULL) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	if (len > CG_WARP_NAME_MAX) {
		snprintf(why, whylen, "%zu characters, more than %d", len, CG_WARP_NAME_MAX);
		return false;
	}
	if (len - i < 2) {
		snprintf(why, whylen, "a container name has 2 characters at least");
		return false;
	}
	for (size_t k = i; k < len; k++) {
		unsigned char c = (unsigned char)s[k];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (k > i && (c == '_' || c == '.' || c == '-'));

		if (!ok) {
			if (c >= 0x20 && c < 0x7f)
				snprintf(why, whylen, "character '%c' at %zu is not allowed in a "
					 "container name", c, k + 1);
			else
				snprintf(why, whylen, "byte 0x%02x at %zu is not allowed in a "
					 "container name", c, k + 1);
			return false;
		}
	}
	return true;
}

const char *
cg_warp_label(const struct cg_docker_container *c, const char *key)
{
	json_object *v;

	if (c->labels == NULL || !json_object_is_type(c->labels, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(c->labels, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

enum cg_warp_role
cg_warp_classify(const struct cg_warp_config *cfg, const struct cg_docker_container *c,
		 const char **warp_name, char *note, size_t notelen)
{
	const char *label = cg_warp_label(c, cfg->target_label);
	bool is_warp = cg_warp_glob_match(cfg->pattern, c->name);

	if (note != NULL && notelen > 0)
		note[0] = '\0';
	if (warp_name != NULL)
		*warp_name = NULL;
	if (is_warp) {
		if (label != NULL)
			cg_util_err(note, notelen, 0,
				    "name matches the warp pattern \"%s\" and it also "
				    "has label %s=%s: it is treated as a warp and the label "
				    "is ignored",
				    cfg->pattern, cfg->target_label, label);
		return CG_WARP_ROLE_WARP;
	}
	if (label == NULL)
		return CG_WARP_ROLE_NONE;
	if (label[0] == '\0') {
		cg_util_err(note, notelen, 0, "label %s is empty: it must name the warp container; "
		     "container ignored", cfg->target_label);
		return CG_WARP_ROLE_NONE;
	}
	if (warp_name != NULL)
		*warp_name = label;
	return CG_WARP_ROLE_TARGET;
}

/*
 * Next hop
 */

static const struct cg_docker_net *
find_net(const struct cg_docker_container *c, const char *name)
{
	for (size_t i = 0; i < c->n_nets && i < CG_DOCKER_MAX_NETS; i++)
		if (strcmp(c->nets[i].name, name) == 0)
			return &c->nets[i];
	return NULL;
}

int
cg_warp_nexthop_choose(const struct cg_warp_config *cfg, const struct cg_docker_container *warp,
		       const struct cg_docker_container *target, struct cg_warp_nexthop *nh,
		       char *err, size_t errlen)
{
	const char *pref = cg_warp_label(warp, cfg->pref_label);
	const struct cg_docker_net *wn;

	memset(nh, 0, sizeof(*nh));
	if (pref != NULL && pref[0] != '\0') {
		wn = find_net(warp, pref);
		if (wn == NULL)
			return cg_util_err(err, errlen, -ENONET, "warp %s prefers network \"%s\" "
				    "(label %s) but is not attached to it", warp->name, pref,
				    cfg->pref_label);
	} else if (warp->n_nets == 1) {
		wn = &warp->nets[0];
	} else if (warp->n_nets == 0) {
		return cg_util_err(err, errlen, -ENETUNREACH, "warp %s is attached to no network",
			    warp->name);
	} else {
		char list[256] = "";
		size_t len = 0;

		for (size_t i = 0; i < warp->n_nets && i < CG_DOCKER_MAX_NETS; i++) {
			int n = snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "",
					 warp->nets[i].name);

			if (n < 0 || (size_t)n >= sizeof(list) - len)
				break;
			len += (size_t)n;
		}
		return cg_util_err(err, errlen, -ENOTUNIQ,
				   "warp %s is on several networks (%s) and "
				   "has no label %s to choose one",
				   warp->name, list, cfg->pref_label);
	}
	if (find_net(target, wn->name) == NULL)
		return cg_util_err(err, errlen, -ENETUNREACH,
				   "target %s is not attached to network "
				   "\"%s\" of warp %s%s", target->name, wn->name, warp->name,
				   pref != NULL && pref[0] != '\0' ? " (its preferred network)" :
				   "");
	snprintf(nh->network, sizeof(nh->network), "%s", wn->name);
	if (wn->ipv4[0] != '\0') {
		if (inet_pton(AF_INET, wn->ipv4, nh->v4) != 1)
			return cg_util_err(err, errlen, -EADDRNOTAVAIL, "warp %s: bad IPv4 address "
				    "\"%s\" on network %s", warp->name, wn->ipv4, wn->name);
		nh->has_v4 = true;
		snprintf(nh->v4_str, sizeof(nh->v4_str), "%s", wn->ipv4);
	}
	if (wn->ipv6[0] != '\0') {
		if (inet_pton(AF_INET6, wn->ipv6, nh->v6) != 1)
			return cg_util_err(err, errlen, -EADDRNOTAVAIL, "warp %s: bad IPv6 address "
				    "\"%s\" on network %s", warp->name, wn->ipv6, wn->name);
		nh->has_v6 = true;
		inet_ntop(AF_INET6, nh->v6, nh->v6_str, sizeof(nh->v6_str));
	}
	if (!nh->has_v4 && !nh->has_v6)
		return cg_util_err(err, errlen, -EADDRNOTAVAIL,
				   "warp %s has no IP address on network "
				   "%s", warp->name, wn->name);
	return 0;
}

int
cg_warp_nexthop_gw(const struct cg_warp_nexthop *nh, int family, uint8_t gw[16])
{
	memset(gw, 0, 16);
	if (family == AF_INET && nh->has_v4) {
		memcpy(gw, nh->v4, 4);
		return 0;
	}
	if (family == AF_INET6 && nh->has_v6) {
		memcpy(gw, nh->v6, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/*
 * Route planning
 */

const char *
cg_warp_action_name(enum cg_warp_action a)
{
	switch (a) {
	case CG_WARP_ACT_ADD:
		return "add";
	case CG_WARP_ACT_REPLACE:
		return "replace";
	case CG_WARP_ACT_BLACKHOLE:
		return "blackhole";
	case CG_WARP_ACT_REMOVE:
		return "remove";
	}
	return "?";
}

static size_t
addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

bool
cg_warp_route_same_dst(const struct cg_nl_route *a, const struct cg_nl_route *b)
{
	return a->family == b->family && a->dst_len == b->dst_len && a->table == b->table &&
	       memcmp(a->dst, b->dst, addr_len(a->family)) == 0;
}

static bool
route_equal(const struct cg_nl_route *a, const struct cg_nl_route *b)
{
	if (!cg_warp_route_same_dst(a, b) || a->type != b->type)
		return false;
	return a->type != CG_NL_ROUTE_UNICAST || memcmp(a->gw, b->gw, addr_len(a->family)) == 0;
}

const char *
cg_warp_route_via(const struct cg_nl_route *r, char *buf, size_t size)
{
	switch (r->type) {
	case CG_NL_ROUTE_UNREACHABLE:
		snprintf(buf, size, "unreachable");
		break;
	case CG_NL_ROUTE_BLACKHOLE:
		snprintf(buf, size, "blackhole");
		break;
	default:
		if (inet_ntop(r->family, r->gw, buf, (socklen_t)size) == NULL)
			snprintf(buf, size, "?");
	}
	return buf;
}

static const struct cg_nl_route *
record_find(const struct cg_warp_record *rec, const struct cg_nl_route *r)
{
	for (size_t i = 0; rec != NULL && i < rec->n; i++)
		if (cg_warp_route_same_dst(&rec->routes[i], r))
			return &rec->routes[i];
	return NULL;
}

void
cg_warp_plan_routes(const struct cg_warp_config *cfg, const struct cg_warp_nexthop *nh,
		    const struct cg_warp_record *rec, struct cg_warp_plan *plan)
{
	plan->n_ops = 0;
	plan->n_notes = 0;
	for (size_t i = 0; i < cfg->n_rules && i < CG_WARP_MAX_RULES; i++) {
		struct cg_nl_route want = cfg->rules[i].dst;
		const struct cg_nl_route *have = record_find(rec, &want);
		struct cg_warp_op *op;

		want.table = 0;
		if (nh != NULL && cg_warp_nexthop_gw(nh, want.family, want.gw) == 0) {
			want.type = CG_NL_ROUTE_UNICAST;
		} else {
			/* Warp down, or no next hop of this family: fail per policy.
			 * A missing family is a config/network mismatch worth a note. */
			if (nh != NULL) {
				plan->notes[plan->n_notes].rule = i;
				plan->notes[plan->n_notes].error = -EAFNOSUPPORT;
				plan->n_notes++;
			}
			if (cfg->on_down == CG_WARP_DOWN_KEEP)
				continue;
			want.type = CG_NL_ROUTE_UNREACHABLE;
			memset(want.gw, 0, sizeof(want.gw));
		}
		if (have != NULL && route_equal(have, &want))
			continue;
		op = &plan->ops[plan->n_ops++];
		op->route = want;
		op->rule = i;
		if (want.type != CG_NL_ROUTE_UNICAST)
			op->action = CG_WARP_ACT_BLACKHOLE;
		else
			op->action = have != NULL ? CG_WARP_ACT_REPLACE : CG_WARP_ACT_ADD;
	}
	/* Our routes whose CIDR is no longer configured (config reload). */
	for (size_t j = 0; rec != NULL && j < rec->n; j++) {
		bool wanted = false;

		for (size_t i = 0; i < cfg->n_rules; i++)
			if (cg_warp_route_same_dst(&rec->routes[j], &cfg->rules[i].dst))
				wanted = true;
		if (wanted || plan->n_ops >= sizeof(plan->ops) / sizeof(plan->ops[0]))
			continue;
		plan->ops[plan->n_ops].action = CG_WARP_ACT_REMOVE;
		plan->ops[plan->n_ops].route = rec->routes[j];
		plan->ops[plan->n_ops].rule = SIZE_MAX;
		plan->n_ops++;
	}
}

void
cg_warp_record_apply(struct cg_warp_record *rec, const struct cg_warp_op *op)
{
	for (size_t i = 0; i < rec->n; i++) {
		if (!cg_warp_route_same_dst(&rec->routes[i], &op->route))
			continue;
		if (op->action == CG_WARP_ACT_REMOVE) {
			rec->routes[i] = rec->routes[rec->n - 1];
			rec->n--;
		} else {
			rec->routes[i] = op->route;
		}
		return;
	}
	if (op->action != CG_WARP_ACT_REMOVE && rec->n < CG_WARP_MAX_RULES)
		rec->routes[rec->n++] = op->route;
}
