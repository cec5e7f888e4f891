/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/docker model: containers and events parsed from JSON captured from a
 * real dockerd (data/capture.sh), and malformed documents.
 *
 * The capture: "warp-a" on cgnet1 and cgnet6 (IPv6, 2001:db8:1::/64) with
 * label network.warp.network=cgnet6; "t1" on cgnet6 with
 * network.warp.target=warp-a, restarted; "stopped1" started and stopped on
 * the default bridge. The tests use no ids from the files, so a new capture
 * keeps them valid.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg_docker.h"
#include "../cg_unit.h"

static json_object *
load(const char *name)
{
	char path[512];
	json_object *o;

	snprintf(path, sizeof(path), "%s/%s", CG_DOCKER_TESTDATA, name);
	o = json_object_from_file(path);
	if (o == NULL)
		printf("\n  cannot load %s: %s\n", path, json_util_get_last_err());
	return o;
}

static int
parse_file(const char *name, struct cg_docker_container *c)
{
	json_object *o = load(name);
	char err[256] = "";
	int rc;

	if (o == NULL)
		return -ENOENT;
	rc = cg_docker_container_from_json(o, c, err, sizeof(err));
	if (rc != 0)
		printf("\n  %s: %s\n", name, err);
	json_object_put(o); /* c keeps its own reference to the labels */
	return rc;
}

static bool
is_v4_in(const char *ip, const char *prefix16)
{
	return strncmp(ip, prefix16, strlen(prefix16)) == 0;
}

static void
test_inspect_warp(void)
{
	struct cg_docker_container c;
	const struct cg_docker_net *n1, *n6;

	CU_ASSERT_EQUAL_FATAL(parse_file("inspect-warp-a.json", &c), 0);
	CU_ASSERT_EQUAL(strlen(c.id), 64);
	CU_ASSERT_STRING_EQUAL(c.name, "warp-a");
	CU_ASSERT_TRUE(c.running);
	CU_ASSERT(c.pid > 0);
	CU_ASSERT_STRING_EQUAL(cg_docker_container_label(&c, "network.warp.network"), "cgnet6");
	CU_ASSERT_PTR_NULL(cg_docker_container_label(&c, "network.warp.target"));
	CU_ASSERT_PTR_NULL(cg_docker_container_label(&c, NULL));
	CU_ASSERT_EQUAL(c.n_nets, 2);
	/* sorted by name */
	CU_ASSERT_STRING_EQUAL(c.nets[0].name, "cgnet1");
	CU_ASSERT_STRING_EQUAL(c.nets[1].name, "cgnet6");
	n1 = cg_docker_container_net(&c, "cgnet1");
	n6 = cg_docker_container_net(&c, "cgnet6");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n6);
	CU_ASSERT_PTR_NULL(cg_docker_container_net(&c, "bridge"));
	/* dockerd K=1: user networks come from 198.19.16.0/20 */
	CU_ASSERT_TRUE(is_v4_in(n1->ipv4, "198.19.1"));
	CU_ASSERT_EQUAL(n1->ipv4_prefix, 24);
	CU_ASSERT_STRING_EQUAL(n1->ipv6, "");
	CU_ASSERT_EQUAL(n1->ipv6_prefix, 0);
	CU_ASSERT_TRUE(is_v4_in(n6->ipv4, "198.19.1"));
	CU_ASSERT_TRUE(strncmp(n6->ipv6, "2001:db8:1::", 12) == 0);
	CU_ASSERT_EQUAL(n6->ipv6_prefix, 64);
	cg_docker_container_clear(&c);
	CU_ASSERT_PTR_NULL(c.labels);
	CU_ASSERT_EQUAL(c.n_nets, 0);
	cg_docker_container_clear(&c); /* twice is harmless */
}

static void
test_inspect_target_and_stopped(void)
{
	struct cg_docker_container c;

	CU_ASSERT_EQUAL_FATAL(parse_file("inspect-t1.json", &c), 0);
	CU_ASSERT_STRING_EQUAL(c.name, "t1");
	CU_ASSERT_TRUE(c.running);
	CU_ASSERT(c.pid > 0);
	CU_ASSERT_STRING_EQUAL(c.network_mode, "cgnet6");
	CU_ASSERT_STRING_EQUAL(c.started_at, "2026-11-23T09:44:48.453070464Z");
	CU_ASSERT_STRING_EQUAL(cg_docker_container_label(&c, "network.warp.target"), "warp-a");
	CU_ASSERT_STRING_EQUAL(cg_docker_container_label(&c, "com.example.x"), "y");
	CU_ASSERT_EQUAL(c.n_nets, 1);
	CU_ASSERT_STRING_EQUAL(c.nets[0].name, "cgnet6");
	CU_ASSERT_EQUAL(c.nets[0].ipv6_prefix, 64);
	cg_docker_container_clear(&c);

	CU_ASSERT_EQUAL_FATAL(parse_file("inspect-stopped1.json", &c), 0);
	CU_ASSERT_STRING_EQUAL(c.name, "stopped1");
	CU_ASSERT_FALSE(c.running);
	CU_ASSERT_EQUAL(c.pid, 0);
	CU_ASSERT_STRING_EQUAL(cg_docker_container_label(&c, "network.warp.target"), "warp-a");
	/* A stopped container keeps its endpoint entry but no address. */
	CU_ASSERT_EQUAL(c.n_nets, 1);
	CU_ASSERT_STRING_EQUAL(c.nets[0].name, "bridge");
	CU_ASSERT_STRING_EQUAL(c.nets[0].ipv4, "");
	cg_docker_container_clear(&c);
}

/* /containers/json lists the running ones, with ids matching the inspects. */
static void
test_container_list(void)
{
	json_object *arr = load("containers.json"), *w = load("inspect-warp-a.json");
	json_object *s = load("inspect-stopped1.json"), *id;
	bool seen_warp = false, seen_stopped = false;

	CU_ASSERT_FATAL(arr && w && s);
	CU_ASSERT_TRUE(json_object_is_type(arr, json_type_array));
	CU_ASSERT_EQUAL(json_object_array_length(arr), 2);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		const char *x;

		CU_ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(arr, i),
							 "Id", &id));
		x = json_object_get_string(id);
		json_object_object_get_ex(w, "Id", &id);
		seen_warp |= strcmp(x, json_object_get_string(id)) == 0;
		json_object_object_get_ex(s, "Id", &id);
		seen_stopped |= strcmp(x, json_object_get_string(id)) == 0;
	}
	CU_ASSERT_TRUE(seen_warp);
	CU_ASSERT_FALSE(seen_stopped);
	json_object_put(arr);
	json_object_put(w);
	json_object_put(s);
}

static const char *
file_id(const char *name, char *buf)
{
	json_object *o = load(name), *id;

	buf[0] = '\0';
	if (o && json_object_object_get_ex(o, "Id", &id))
		snprintf(buf, 65, "%s", json_object_get_string(id));
	json_object_put(o);
	return buf;
}

static void
test_events_captured(void)
{
	char path[512], line[8192], warp[65], t1[65], st[65];
	struct cg_docker_event ev;
	int64_t last = 0;
	int n = 0, starts = 0, dies = 0, stops = 0, restarts = 0, conns = 0, discs = 0;
	bool t1_restart = false, warp_conn6 = false, st_disc_bridge = false, st_die = false;
	FILE *f;

	file_id("inspect-warp-a.json", warp);
	file_id("inspect-t1.json", t1);
	file_id("inspect-stopped1.json", st);
	snprintf(path, sizeof(path), "%s/events.jsonl", CG_DOCKER_TESTDATA);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		json_object *o = json_tokener_parse(line);
		int rc = cg_docker_event_from_json(o, &ev);

		json_object_put(o);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc != 0) {
			printf("\n  does not parse: %.100s\n", line);
			continue;
		}
		n++;
		CU_ASSERT(ev.time_nano >= last); /* in order, nanosecond stamps */
		CU_ASSERT(ev.time_nano > 1600000000LL * 1000000000LL);
		last = ev.time_nano;
		CU_ASSERT_EQUAL(strlen(ev.id), 64);
		if (ev.type == CG_DOCKER_EV_CONTAINER) {
			CU_ASSERT_STRING_EQUAL(ev.network, "");
			CU_ASSERT(strcmp(ev.name, "warp-a") == 0 || strcmp(ev.name, "t1") == 0 ||
				  strcmp(ev.name, "stopped1") == 0);
			starts += strcmp(ev.action, "start") == 0;
			dies += strcmp(ev.action, "die") == 0;
			stops += strcmp(ev.action, "stop") == 0;
			restarts += strcmp(ev.action, "restart") == 0;
			t1_restart |= strcmp(ev.action, "restart") == 0 && strcmp(ev.id, t1) == 0 &&
				      strcmp(ev.name, "t1") == 0;
			st_die |= strcmp(ev.action, "die") == 0 && strcmp(ev.id, st) == 0;
		} else {
			CU_ASSERT_EQUAL(ev.type, CG_DOCKER_EV_NETWORK);
			CU_ASSERT_STRING_EQUAL(ev.name, "");
			CU_ASSERT(ev.network[0] != '\0');
			conns += strcmp(ev.action, "connect") == 0;
			discs += strcmp(ev.action, "disconnect") == 0;
			/* the container's id, not the network's */
			warp_conn6 |= strcmp(ev.action, "connect") == 0 &&
				      strcmp(ev.id, warp) == 0 &&
				      strcmp(ev.network, "cgnet6") == 0;
			st_disc_bridge |= strcmp(ev.action, "disconnect") == 0 &&
					  strcmp(ev.id, st) == 0 &&
					  strcmp(ev.network, "bridge") == 0;
		}
	}
	fclose(f);
	CU_ASSERT_EQUAL(n, 19);
	CU_ASSERT_EQUAL(starts, 4);   /* warp-a, t1, stopped1, t1 again (restart) */
	CU_ASSERT_EQUAL(dies, 2);
	CU_ASSERT_EQUAL(stops, 2);
	CU_ASSERT_EQUAL(restarts, 1);
	CU_ASSERT_EQUAL(conns, 6);
	CU_ASSERT_EQUAL(discs, 4);    /* Docker reports warp-a's disconnect twice */
	CU_ASSERT_TRUE(t1_restart);
	CU_ASSERT_TRUE(warp_conn6);
	CU_ASSERT_TRUE(st_disc_bridge);
	CU_ASSERT_TRUE(st_die);
}

static int
parse_str(const char *json, struct cg_docker_container *c, char *err, size_t errlen)
{
	json_object *o = json_tokener_parse(json);
	int rc = cg_docker_container_from_json(o, c, err, errlen);

	json_object_put(o);
	return rc;
}

static void
expect_bad(const char *json, const char *msg_part)
{
	struct cg_docker_container c;
	char err[256] = "";

	CU_ASSERT_EQUAL(parse_str(json, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, msg_part));
	if (strstr(err, msg_part) == NULL)
		printf("\n  %s: message \"%s\" lacks \"%s\"\n", json, err, msg_part);
	CU_ASSERT_PTR_NULL(c.labels); /* cleared on error */
	CU_ASSERT_STRING_EQUAL(c.id, "");
}

#define ID "\"Id\":\"3f2a\""

static void
test_container_malformed(void)
{
	struct cg_docker_container c;
	char err[256] = "";

	expect_bad("[]", "not a JSON object");
	expect_bad("null", "not a JSON object");
	expect_bad("{}", "Id");
	expect_bad("{\"Id\":42}", "Id");
	expect_bad("{\"Id\":\"\"}", "Id");
	expect_bad("{\"Id\":\"0123456789012345678901234567890123456789012345678901234567890123"
		   "4\"}", "Id");
	expect_bad("{" ID ",\"Name\":7}", "3f2a: Name");
	{
		/* 255 characters after Docker's '/' fit; 256 do not. */
		char j[400], name[257];

		memset(name, 'n', 256);
		name[256] = '\0';
		snprintf(j, sizeof(j), "{" ID ",\"Name\":\"/%s\"}", name);
		expect_bad(j, "3f2a: Name: not a string or longer than 255");
		name[255] = '\0';
		snprintf(j, sizeof(j), "{" ID ",\"Name\":\"/%s\"}", name);
		CU_ASSERT_EQUAL_FATAL(parse_str(j, &c, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(strlen(c.name), 255);
		CU_ASSERT_EQUAL(c.name[0], 'n');
		cg_docker_container_clear(&c);
	}
	expect_bad("{" ID ",\"State\":\"running\"}", "3f2a: State: not an object");
	expect_bad("{" ID ",\"State\":{\"Running\":\"yes\"}}", "State.Running");
	expect_bad("{" ID ",\"State\":{\"Running\":true,\"Restarting\":1}}", "State.Restarting");
	expect_bad("{" ID ",\"State\":{\"Running\":true,\"Pid\":-1}}", "State.Pid");
	expect_bad("{" ID ",\"State\":{\"Running\":true,\"Pid\":\"12\"}}", "State.Pid");
	expect_bad("{" ID ",\"Config\":{\"Labels\":[\"a\"]}}", "Config.Labels");
	expect_bad("{" ID ",\"State\":{\"StartedAt\":1}}", "State.StartedAt");
	expect_bad("{" ID ",\"HostConfig\":[]}", "HostConfig.NetworkMode");
	expect_bad("{" ID ",\"HostConfig\":{\"NetworkMode\":true}}", "HostConfig.NetworkMode");
	expect_bad("{" ID ",\"Config\":{\"Labels\":{\"a\":\"b\"}},"
		   "\"NetworkSettings\":{\"Networks\":[]}}", "NetworkSettings.Networks");
	expect_bad("{" ID ",\"NetworkSettings\":{\"Networks\":{\"n1\":5}}}",
		   "Networks.n1: not an object");
	expect_bad("{" ID ",\"NetworkSettings\":{\"Networks\":{\"n1\":{\"IPAddress\":"
		   "\"300.1.1.1\"}}}}", "Networks.n1.IPAddress");
	expect_bad("{" ID ",\"NetworkSettings\":{\"Networks\":{\"n1\":{\"IPAddress\":"
		   "\"198.18.1.1\",\"IPPrefixLen\":33}}}}", "Networks.n1.IPPrefixLen");
	expect_bad("{" ID ",\"NetworkSettings\":{\"Networks\":{\"n1\":{\"GlobalIPv6Address\":"
		   "\"198.18.1.1\"}}}}", "Networks.n1.GlobalIPv6Address");
	expect_bad("{" ID ",\"NetworkSettings\":{\"Networks\":{\"n1\":{"
		   "\"GlobalIPv6PrefixLen\":\"64\"}}}}", "Networks.n1.GlobalIPv6PrefixLen");

	/* Missing parts are empty, not errors; null is absent. */
	CU_ASSERT_EQUAL(parse_str("{" ID ",\"Name\":\"/x\",\"State\":null,\"Config\":"
				  "{\"Labels\":null},\"NetworkSettings\":{}}", &c, err,
				  sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.name, "x");
	CU_ASSERT_FALSE(c.running);
	CU_ASSERT_PTR_NULL(c.labels);
	CU_ASSERT_EQUAL(c.n_nets, 0);
	CU_ASSERT_STRING_EQUAL(c.network_mode, "");
	CU_ASSERT_STRING_EQUAL(c.started_at, "");
	CU_ASSERT_PTR_NULL(cg_docker_container_label(&c, "a"));
	cg_docker_container_clear(&c);
	/* A pid of a stopped container is not used; non-string labels are absent. */
	CU_ASSERT_EQUAL(parse_str("{" ID ",\"State\":{\"Running\":false,\"Pid\":99},"
				  "\"Config\":{\"Labels\":{\"a\":1,\"b\":\"2\"}}}", &c, err,
				  sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.pid, 0);
	CU_ASSERT_PTR_NULL(cg_docker_container_label(&c, "a"));
	CU_ASSERT_STRING_EQUAL(cg_docker_container_label(&c, "b"), "2");
	cg_docker_container_clear(&c);
	/* "restarting" (a restart policy's wait): Docker says Running, but it is not. */
	CU_ASSERT_EQUAL(parse_str("{" ID ",\"State\":{\"Running\":true,\"Restarting\":true,"
				  "\"Pid\":0}}", &c, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(c.running);
	CU_ASSERT_EQUAL(c.pid, 0);
	cg_docker_container_clear(&c);
	CU_ASSERT_EQUAL(parse_str("{" ID ",\"State\":{\"Running\":true,\"Restarting\":false,"
				  "\"Pid\":7}}", &c, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(c.running);
	CU_ASSERT_EQUAL(c.pid, 7);
	cg_docker_container_clear(&c);
	CU_ASSERT_EQUAL(cg_docker_container_from_json(NULL, &c, NULL, 0), -EINVAL);
}

/* More networks than fit: the first CG_DOCKER_MAX_NETS are kept, no overflow. */
static void
test_container_many_nets(void)
{
	struct cg_docker_container c;
	char json[8192], err[256] = "";
	size_t n;
	int rc;

	n = (size_t)snprintf(json, sizeof(json), "{" ID ",\"NetworkSettings\":{\"Networks\":{");
	for (int i = 0; i < CG_DOCKER_MAX_NETS + 4; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n,
				      "%s\"n%02d\":{\"IPAddress\":\"198.18.%d.2\","
				      "\"IPPrefixLen\":24}", i ? "," : "", i, i);
	snprintf(json + n, sizeof(json) - n, "}}}");
	rc = parse_str(json, &c, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(c.n_nets, CG_DOCKER_MAX_NETS);
	CU_ASSERT_STRING_EQUAL(c.nets[0].name, "n00");
	CU_ASSERT_STRING_EQUAL(c.nets[CG_DOCKER_MAX_NETS - 1].ipv4, "198.18.15.2");
	cg_docker_container_clear(&c);
}

static int
ev_str(const char *json, struct cg_docker_event *ev)
{
	json_object *o = json_tokener_parse(json);
	int rc = cg_docker_event_from_json(o, ev);

	json_object_put(o);
	return rc;
}

static void
test_event_malformed(void)
{
	struct cg_docker_event ev;
	char big[600];

	CU_ASSERT_EQUAL(ev_str("[]", &ev), -EINVAL);
	CU_ASSERT_EQUAL(cg_docker_event_from_json(NULL, &ev), -EINVAL);
	CU_ASSERT_EQUAL(ev_str("{}", &ev), -EINVAL);
	/* no time */
	CU_ASSERT_EQUAL(ev_str("{\"Type\":\"container\",\"Action\":\"start\","
			       "\"Actor\":{\"ID\":\"ab\"}}", &ev), -EINVAL);
	/* wrong types */
	CU_ASSERT_EQUAL(ev_str("{\"Type\":\"container\",\"Action\":5,\"Actor\":{\"ID\":\"ab\"},"
			       "\"timeNano\":1}", &ev), -EINVAL);
	CU_ASSERT_EQUAL(ev_str("{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":[],"
			       "\"timeNano\":1}", &ev), -EINVAL);
	CU_ASSERT_EQUAL(ev_str("{\"Type\":\"container\",\"Action\":\"start\","
			       "\"Actor\":{\"ID\":\"ab\",\"Attributes\":\"x\"},\"timeNano\":1}",
			       &ev), -EINVAL);
	/* a container event needs the container's id; connect needs it too */
	CU_ASSERT_EQUAL(ev_str("{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{},"
			       "\"timeNano\":1}", &ev), -EINVAL);
	CU_ASSERT_EQUAL(ev_str("{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":"
			       "{\"ID\":\"netid\",\"Attributes\":{\"name\":\"n\"}},\"timeNano\":1}",
			       &ev), -EINVAL);
	/* too long an id */
	snprintf(big, sizeof(big), "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":"
		 "{\"ID\":\"%070d\"},\"timeNano\":1}", 0);
	CU_ASSERT_EQUAL(ev_str(big, &ev), -EINVAL);

	/* pre-1.22 shape: status/id/time */
	CU_ASSERT_EQUAL(ev_str("{\"status\":\"die\",\"id\":\"abc\",\"time\":1700000000}", &ev), 0);
	CU_ASSERT_EQUAL(ev.type, CG_DOCKER_EV_CONTAINER);
	CU_ASSERT_STRING_EQUAL(ev.action, "die");
	CU_ASSERT_STRING_EQUAL(ev.id, "abc");
	CU_ASSERT_EQUAL(ev.time_nano, 1700000000LL * 1000000000LL);
	/* "time" in seconds that nanoseconds cannot hold is refused, not
	 * multiplied into a signed overflow (issue 14, found by UBSan) */
	CU_ASSERT_EQUAL(ev_str("{\"status\":\"die\",\"id\":\"abc\",\"time\":9300000000}", &ev),
			-EINVAL);
	CU_ASSERT_EQUAL(ev_str("{\"status\":\"die\",\"id\":\"abc\",\"time\":-9300000000}", &ev),
			-EINVAL);
	CU_ASSERT_EQUAL(ev_str("{\"status\":\"die\",\"id\":\"abc\",\"time\":1e300}", &ev),
			-EINVAL);
	/* the largest that fits (year 2262) still parses */
	CU_ASSERT_EQUAL(ev_str("{\"status\":\"die\",\"id\":\"abc\",\"time\":9223372036}", &ev), 0);
	CU_ASSERT_EQUAL(ev.time_nano, 9223372036LL * 1000000000LL);
	/* long actions are cut, not rejected */
	CU_ASSERT_EQUAL(ev_str("{\"Type\":\"container\",\"Action\":\"exec_start: /bin/sh -c "
			       "'a very long command line indeed'\",\"Actor\":{\"ID\":\"ab\"},"
			       "\"timeNano\":5}", &ev), 0);
	CU_ASSERT_EQUAL(strlen(ev.action), sizeof(ev.action) - 1);
	/* other types are reported as such */
	CU_ASSERT_EQUAL(ev_str("{\"Type\":\"image\",\"Action\":\"pull\",\"Actor\":"
			       "{\"ID\":\"busybox\"},\"timeNano\":5}", &ev), 0);
	CU_ASSERT_EQUAL(ev.type, CG_DOCKER_EV_OTHER);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_inspect_warp),
		CG_UNIT_TEST(test_inspect_target_and_stopped),
		CG_UNIT_TEST(test_container_list),
		CG_UNIT_TEST(test_events_captured),
		CG_UNIT_TEST(test_container_malformed),
		CG_UNIT_TEST(test_container_many_nets),
		CG_UNIT_TEST(test_event_malformed),
		CG_UNIT_END,
	};

	return cg_unit_run("docker_model", tests);
}
