/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of castgate-control without a data plane: the method handlers
 * run against a fake shared memory (plain heap) through lib/rpc's dispatch,
 * exactly as the server calls them. Covers parameter validation and the
 * fields errors name, origins, access, stats baselines and rates, and the
 * EAL argv of the secondary. The live paths (rte_mp, state file, traffic)
 * are the integration tests' (tests/integration/control).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <json-c/json.h>

#include "cg_conf.h"
#include "cg_http.h"
#include "cg_rpc.h"
#include "cg_rule.h"
#include "cg_shm.h"
#include "cg_unit.h"
#include "control.h"

static struct control c;
static struct cg_shm_request fake_request;
static char tmpdir[] = "/tmp/cg-control-test.XXXXXX";

#define SLOT_CFG 0
#define SLOT_API 3

static const char *const cfg_rule =
	"{\"name\":\"cfg1\",\"id\":1,\"input\":{\"port\":\"in0\",\"destination\":\"239.9.1.1\","
	"\"dport\":5001},\"output\":[{\"port\":\"out0\",\"destination\":\"239.9.2.1\","
	"\"dport\":6001}]}";
static const char *const api_rule =
	"{\"name\":\"api1\",\"id\":7,\"input\":{\"port\":\"in0\",\"destination\":\"239.9.1.2\","
	"\"dport\":5002},\"output\":[{\"port\":\"out0\",\"destination\":\"239.9.2.2\","
	"\"dport\":6002,\"ttl\":9}]}";

static struct cg_conf *
conf_from(const char *text)
{
	json_object *root = json_tokener_parse(text);
	char err[256];
	struct cg_conf *conf;

	if (root == NULL)
		return NULL;
	conf = cg_conf_from_json(root, err, sizeof(err));
	if (conf == NULL)
		fprintf(stderr, "conf: %s\n", err);
	json_object_put(root);
	return conf;
}

/* Rule slots of the fake data plane (its max_rules). */
#define TEST_SLOTS 64

static int
put_rule(uint32_t slot, const char *json, unsigned int origin)
{
	struct cg_shm_rule_slot *s = cg_shm_rule_slot(c.shm.rules, slot);
	json_object *o = json_tokener_parse(json);
	char err[256];
	int ret = cg_rule_from_json(o, "", &s->rule, err, sizeof(err));

	json_object_put(o);
	if (ret < 0)
		return ret;
	s->rule.in.port_id = 0;
	s->rule.out[0].port_id = 1;
	s->nb_out = (uint8_t)s->rule.n_outputs;
	s->origin = (uint8_t)origin;
	s->in_use = 1;
	cg_shm_idx_add(c.shm.rules, slot);
	c.shm.rules->nb_rules++;
	return 0;
}

/* A data plane with ports in0, out0 and rules cfg1 (config), api1 (api). */
static int
setup(void)
{
	char text[1024];
	struct cg_rule r;
	json_object *o;
	char err[256];

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(text, sizeof(text),
		 "{\"dataplane\":{\"lcores\":\"2-3\",\"file_prefix\":\"cgunit\"},"
		 "\"control\":{\"socket\":\"%s/s.sock\",\"state_file\":\"%s/rules.json\"},"
		 "\"port\":[{\"name\":\"in0\",\"device\":\"net_null0\",\"ip\":\"198.18.0.2/24\"},"
		 "{\"name\":\"out0\",\"device\":\"net_null1\",\"ip\":\"198.18.1.2/24\"}]}",
		 tmpdir, tmpdir);
	c.conf = conf_from(text);
	c.config_path = "/nonexistent/castgate.toml";
	c.shm.info = calloc(1, sizeof(*c.shm.info));
	c.shm.rules = aligned_alloc(64, cg_shm_rules_size(TEST_SLOTS, CG_SHM_MAX_OUTPUTS));
	c.shm.ctrs = aligned_alloc(64, cg_shm_ctr_block_size(TEST_SLOTS, CG_SHM_MAX_OUTPUTS));
	c.shm.request = &fake_request;
	if (c.conf == NULL || c.shm.info == NULL || c.shm.rules == NULL || c.shm.ctrs == NULL)
		return -1;
	memset(c.shm.ctrs, 0, cg_shm_ctr_block_size(TEST_SLOTS, CG_SHM_MAX_OUTPUTS));
	c.shm.ctrs->block_size = (uint32_t)cg_shm_ctr_block_size(TEST_SLOTS, CG_SHM_MAX_OUTPUTS);
	c.shm.ctrs->nb_slots = TEST_SLOTS;
	c.shm.ctrs->max_outputs = CG_SHM_MAX_OUTPUTS;
	c.shm.ctrs->ent_size = (uint32_t)cg_shm_ctr_ent_size(CG_SHM_MAX_OUTPUTS);
	memset(c.shm.rules, 0, cg_shm_rules_size(TEST_SLOTS, CG_SHM_MAX_OUTPUTS));
	c.shm.rules->nb_slots = TEST_SLOTS;
	c.shm.rules->max_outputs = CG_SHM_MAX_OUTPUTS;
	c.shm.rules->slot_size = (uint32_t)cg_shm_rule_slot_size(CG_SHM_MAX_OUTPUTS);
	cg_shm_idx_init(c.shm.rules);
	c.shm.info->magic = CG_SHM_MAGIC;
	c.shm.info->pid = getpid();
	c.shm.info->nb_ports = 2;
	snprintf(c.shm.info->ports[0].name, 32, "in0");
	c.shm.info->ports[0].port_id = 0;
	c.shm.info->ports[0].ip = htonl(0xc6120002);	/* 198.18.0.2 */
	c.shm.info->ports[0].prefix_len = 24;
	snprintf(c.shm.info->ports[1].name, 32, "out0");
	c.shm.info->ports[1].port_id = 1;
	c.shm.info->nb_lcores = 1;
	c.shm.info->lcores[0].role = CG_SHM_LCORE_BOTH;
	c.shm.info->nb_ctr_blocks = 1;
	c.shm.info->ready = 1;
	c.shm.rules->generation = 5;
	if (put_rule(SLOT_CFG, cfg_rule, CG_SHM_ORIGIN_CONFIG) < 0 ||
	    put_rule(SLOT_API, api_rule, CG_SHM_ORIGIN_API) < 0)
		return -1;
	c.api = cg_rule_set_new();
	o = json_tokener_parse(api_rule);
	if (c.api == NULL || cg_rule_from_json(o, "", &r, err, sizeof(err)) < 0 ||
	    cg_rule_set_add(c.api, &r, err, sizeof(err)) < 0)
		return -1;
	json_object_put(o);
	c.state_usable = true;
	return control_stats_init(&c);
}

static void
teardown(void)
{
	char path[256];

	control_stats_fini(&c);
	cg_rule_set_free(c.api);
	cg_conf_free(c.conf);
	free(c.shm.info);
	free(c.shm.rules);
	free(c.shm.ctrs);
	snprintf(path, sizeof(path), "%s/rules.json", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

/* One request line through lib/rpc, as the server handles it. */
static json_object *
call_as(const char *line, bool admin)
{
	struct cg_rpc_peer peer = { .pid = 4242, .uid = 1000, .gid = 1000, .can_read = true,
				    .can_admin = admin };
	struct cg_rpc_ctx ctx = { .peer = &peer, .user = &c };

	return cg_rpc_handle_line(control_methods, line, strlen(line), &ctx);
}

static json_object *
call(const char *line)
{
	return call_as(line, true);
}

static json_object *
get(json_object *o, const char *path)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && o != NULL;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(o, tok, &o))
			o = NULL;
	}
	return o;
}

static int
err_code(json_object *r)
{
	return json_object_get_int(get(r, "error.code"));
}

static const char *
err_field(json_object *r)
{
	const char *f = json_object_get_string(get(r, "error.data.field"));

	return f ? f : "";
}

#define CHECK_ERR(line, code, field) do {					\
		json_object *r_ = call(line);					\
		CU_ASSERT_EQUAL(err_code(r_), code);				\
		CU_ASSERT_STRING_EQUAL(err_field(r_), field);			\
		if (err_code(r_) != (code) || strcmp(err_field(r_), field) != 0) \
			fprintf(stderr, "%s\n  -> %s\n", line,			\
				json_object_to_json_string(r_));		\
		json_object_put(r_);						\
	} while (0)

static void
test_eal_argv(void)
{
	char *extra[] = { "--", "--huge-unlink" };
	struct cg_conf *pci;
	char **argv = NULL;
	int argc = 0;
	bool no_pci = false, vdev = false, secondary = false, telem = false;

	CU_ASSERT_EQUAL_FATAL(control_eal_argv(c.conf, 2, extra, &argc, &argv), 0);
	for (int i = 0; i < argc; i++) {
		no_pci |= strcmp(argv[i], "--no-pci") == 0;
		vdev |= strncmp(argv[i], "--vdev", 6) == 0;
		secondary |= strcmp(argv[i], "--proc-type=secondary") == 0;
		telem |= strcmp(argv[i], "--no-telemetry") == 0;
		if (strcmp(argv[i], "-l") == 0 && i + 1 < argc)
			CU_ASSERT_STRING_EQUAL(argv[i + 1], "2");	/* first of "2-3" */
		if (strcmp(argv[i], "--file-prefix") == 0 && i + 1 < argc)
			CU_ASSERT_STRING_EQUAL(argv[i + 1], "cgunit");
		CU_ASSERT_STRING_NOT_EQUAL(argv[i], "--");
	}
	CU_ASSERT(no_pci && secondary && telem && !vdev);
	CU_ASSERT_STRING_EQUAL(argv[argc - 1], "--huge-unlink");
	CU_ASSERT_PTR_NULL(argv[argc]);
	control_eal_argv_free(argv);

	/* A PCI port: allowlisted (the secondary must map it too), nothing probed. */
	pci = conf_from("{\"dataplane\":{\"file_prefix\":\"p\"},\"port\":[{\"name\":\"p0\","
			"\"device\":\"0000:03:00.0\",\"ip\":\"198.18.0.2/24\"}]}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pci);
	CU_ASSERT_EQUAL_FATAL(control_eal_argv(pci, 0, NULL, &argc, &argv), 0);
	no_pci = false;
	for (int i = 0; i < argc; i++) {
		no_pci |= strcmp(argv[i], "--no-pci") == 0;
		if (strcmp(argv[i], "-a") == 0)
			CU_ASSERT_STRING_EQUAL(argv[i + 1], "0000:03:00.0");
	}
	CU_ASSERT(!no_pci);
	control_eal_argv_free(argv);
	cg_conf_free(pci);
}

static void
test_rule_list_get(void)
{
	json_object *r = call("{\"jsonrpc\":\"2.0\",\"method\":\"rule.list\",\"id\":1}");

	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.rules.0.rule.name")), "cfg1");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.rules.0.origin")), "config");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.rules.1.rule.name")), "api1");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.rules.1.origin")), "api");
	CU_ASSERT_EQUAL(json_object_get_int(get(r, "result.rules.1.rule.output.0.ttl")), 9);
	CU_ASSERT_EQUAL(json_object_get_int64(get(r, "result.generation")), 5);
	CU_ASSERT_PTR_NULL(get(r, "result.next_after"));	/* all of it */
	json_object_put(r);

	/* Pages by id: one rule, then where the next starts, then the rest. */
	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"rule.list\",\"params\":{\"limit\":1},"
		 "\"id\":1}");
	CU_ASSERT_EQUAL(json_object_array_length(get(r, "result.rules")), 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.rules.0.rule.name")), "cfg1");
	CU_ASSERT_EQUAL(json_object_get_int64(get(r, "result.next_after")),
			json_object_get_int64(get(r, "result.rules.0.rule.id")));
	{
		char req[160];

		snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"rule.list\","
			 "\"params\":{\"after\":%" PRId64 ",\"limit\":1},\"id\":1}",
			 json_object_get_int64(get(r, "result.next_after")));
		json_object_put(r);
		r = call(req);
	}
	CU_ASSERT_EQUAL(json_object_array_length(get(r, "result.rules")), 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.rules.0.rule.name")), "api1");
	CU_ASSERT_PTR_NULL(get(r, "result.next_after"));	/* the last page */
	json_object_put(r);
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.list\",\"params\":{\"limit\":0},"
		  "\"id\":1}", CG_RPC_E_INVALID_PARAMS, "params.limit");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.list\",\"params\":{\"after\":"
		  "\"x\"},\"id\":1}", CG_RPC_E_INVALID_PARAMS, "params.after");

	cg_shm_ctr_ent(c.shm.ctrs, SLOT_API)->rx_pkts = 10;
	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"rule.get\",\"params\":{\"name\":\"api1\"},"
		 "\"id\":2}");
	CU_ASSERT_EQUAL(json_object_get_int64(get(r, "result.stats.rx_packets")), 10);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.origin")), "api");
	json_object_put(r);
	cg_shm_ctr_ent(c.shm.ctrs, SLOT_API)->rx_pkts = 0;

	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.get\",\"params\":{\"name\":\"nope\"},"
		  "\"id\":3}", CG_RPC_E_NOT_FOUND, "params.name");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.get\",\"params\":{\"name\":5},\"id\":4}",
		  CG_RPC_E_INVALID_PARAMS, "params.name");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.get\",\"params\":{},\"id\":5}",
		  CG_RPC_E_INVALID_PARAMS, "params.name");
}

static void
test_params_strict(void)
{
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.list\",\"params\":{\"x\":1},\"id\":1}",
		  CG_RPC_E_INVALID_PARAMS, "params.x");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.get\",\"params\":[\"api1\"],\"id\":2}",
		  CG_RPC_E_INVALID_PARAMS, "params");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"stats.get\",\"params\":{\"rule\":\"zz\"},"
		  "\"id\":3}", CG_RPC_E_NOT_FOUND, "params.rule");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"port.get\",\"params\":{\"name\":\"zz\"},"
		  "\"id\":4}", CG_RPC_E_NOT_FOUND, "params.name");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"config.check\",\"params\":{\"path\":\"rel\"},"
		  "\"id\":5}", CG_RPC_E_INVALID_PARAMS, "params.path");
	/* Only files beside the running config: never a device, never any
	 * root-readable file quoted back in an error (issue 14). */
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"config.check\",\"params\":{\"path\":"
		  "\"/dev/zero\"},\"id\":6}", CG_RPC_E_INVALID_PARAMS, "params.path");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"config.check\",\"params\":{\"path\":"
		  "\"/etc/shadow\"},\"id\":7}", CG_RPC_E_INVALID_PARAMS, "params.path");
}

#define ADD(rule) "{\"jsonrpc\":\"2.0\",\"method\":\"rule.add\",\"params\":{\"rule\":" rule \
	"},\"id\":9}"
#define UPDATE(rule) "{\"jsonrpc\":\"2.0\",\"method\":\"rule.update\",\"params\":{\"rule\":" \
	rule "},\"id\":9}"
#define R(name, inport, dst, outport, extra) "{\"name\":\"" name "\",\"input\":{\"port\":\"" \
	inport "\",\"destination\":\"" dst "\",\"dport\":5001},\"output\":[{\"port\":\"" \
	outport "\",\"destination\":\"239.9.3.3\",\"dport\":7000" extra "}]}"

static void
test_rule_add_errors(void)
{
	CHECK_ERR(ADD(R("n1", "in0", "239.9.1.9", "out0", ",\"ttl\":300")),
		  CG_RPC_E_INVALID_PARAMS, "params.rule.output[0].ttl");
	CHECK_ERR(ADD(R("n1", "in9", "239.9.1.9", "out0", "")),
		  CG_RPC_E_INVALID_PARAMS, "params.rule.input.port");
	CHECK_ERR(ADD(R("n1", "in0", "239.9.1.9", "out7", "")),
		  CG_RPC_E_INVALID_PARAMS, "params.rule.output[0].port");
	CHECK_ERR(ADD(R("n1", "in0", "239.9.1.9", "out0", ",\"color\":1")),
		  CG_RPC_E_INVALID_PARAMS, "params.rule.output[0].color");
	CHECK_ERR(ADD(R("cfg1", "in0", "239.9.1.9", "out0", "")),
		  CG_RPC_E_EXISTS, "params.rule.name");
	CHECK_ERR(ADD(R("n1", "in0", "239.9.1.1", "out0", "")),	/* cfg1's match */
		  CG_RPC_E_EXISTS, "params.rule.input");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.add\",\"params\":{},\"id\":9}",
		  CG_RPC_E_INVALID_PARAMS, "params.rule");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.add\",\"params\":{\"rule\":{\"name\":"
		  "\"n1\",\"id\":7,\"input\":{\"port\":\"in0\",\"destination\":\"239.9.1.9\","
		  "\"dport\":1},\"output\":[{\"port\":\"out0\",\"destination\":\"239.9.3.3\","
		  "\"dport\":7}]}},\"id\":9}", CG_RPC_E_EXISTS, "params.rule.id");
}

/* A valid rule reaches the data plane; when it refuses (here: we are no
 * secondary), nothing is saved and the API set is unchanged. */
static void
test_refused_change_not_saved(void)
{
	char path[256];
	json_object *r = call(ADD(R("n1", "in0", "239.9.1.9", "out0", "")));

	CU_ASSERT(err_code(r) != 0);
	json_object_put(r);
	CU_ASSERT_EQUAL(cg_rule_set_count(c.api), 1);
	snprintf(path, sizeof(path), "%s/rules.json", tmpdir);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
}

static void
test_origin_policy(void)
{
	CHECK_ERR(UPDATE(R("cfg1", "in0", "239.9.1.1", "out0", "")), CG_RPC_E_CONFLICT,
		  "params.rule.name");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.remove\",\"params\":{\"name\":\"cfg1\"},"
		  "\"id\":1}", CG_RPC_E_CONFLICT, "params.name");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.remove\",\"params\":{\"name\":\"zz\"},"
		  "\"id\":1}", CG_RPC_E_NOT_FOUND, "params.name");
	CHECK_ERR(UPDATE(R("zz", "in0", "239.9.1.9", "out0", "")), CG_RPC_E_NOT_FOUND,
		  "params.rule.name");
	/* api1 may not take cfg1's match. */
	CHECK_ERR(UPDATE(R("api1", "in0", "239.9.1.1", "out0", "")), CG_RPC_E_CONFLICT,
		  "params.rule.input");
}

/* config.check with a path: a reader may name the running config (by a link
 * too), not another file beside it. */
static void
access_config_check(void)
{
	char conf[300], link[300], other[300], line[1024];
	const char *saved = c.config_path;
	json_object *r;
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/castgate.toml", tmpdir);
	snprintf(link, sizeof(link), "%s/link.toml", tmpdir);
	snprintf(other, sizeof(other), "%s/other.toml", tmpdir);
	f = fopen(conf, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("[dataplane]\nlcores = \"0\"\n", f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(symlink(conf, link), 0);
	c.config_path = conf;
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"config.check\","
		 "\"params\":{\"path\":\"%s\"},\"id\":1}", conf);
	r = call_as(line, false);
	CU_ASSERT_EQUAL(err_code(r), 0);
	CU_ASSERT_PTR_NOT_NULL(get(r, "result.valid"));
	json_object_put(r);
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"config.check\","
		 "\"params\":{\"path\":\"%s\"},\"id\":2}", link);
	r = call_as(line, false);
	CU_ASSERT_EQUAL(err_code(r), 0);
	json_object_put(r);
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"config.check\","
		 "\"params\":{\"path\":\"%s\"},\"id\":3}", other);
	r = call_as(line, false);
	CU_ASSERT_EQUAL(err_code(r), CG_RPC_E_PERMISSION);
	json_object_put(r);
	r = call_as(line, true);
	CU_ASSERT_EQUAL(err_code(r), 0);
	json_object_put(r);
	unlink(link);
	unlink(conf);
	c.config_path = saved;
}

static void
test_access(void)
{
	json_object *r = call_as(ADD(R("n1", "in0", "239.9.1.9", "out0", "")), false);

	CU_ASSERT_EQUAL(err_code(r), CG_RPC_E_PERMISSION);
	json_object_put(r);
	r = call_as("{\"jsonrpc\":\"2.0\",\"method\":\"stats.clear\",\"id\":1}", false);
	CU_ASSERT_EQUAL(err_code(r), CG_RPC_E_PERMISSION);
	json_object_put(r);
	r = call_as("{\"jsonrpc\":\"2.0\",\"method\":\"rule.list\",\"id\":1}", false);
	CU_ASSERT_EQUAL(err_code(r), 0);
	json_object_put(r);
	access_config_check();
}

/* A state file unreadable at start: every change refused, reads still answered. */
static void
test_frozen_state(void)
{
	struct cg_rule_set *api = c.api;
	json_object *r;

	/* As control_rules_start() leaves it: no API set at all. */
	c.state_usable = false;
	c.api = NULL;
	CHECK_ERR(ADD(R("n1", "in0", "239.9.1.9", "out0", "")), CG_RPC_E_CONFLICT, "");
	CHECK_ERR(UPDATE(R("api1", "in0", "239.9.1.1", "out0", ",\"ttl\":9")), CG_RPC_E_CONFLICT,
		  "");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.add\",\"params\":{\"rules\":["
		  R("n1", "in0", "239.9.1.9", "out0", "") "]},\"id\":1}", CG_RPC_E_CONFLICT, "");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"rule.remove\",\"params\":{\"name\":\"api1\"},"
		  "\"id\":1}", CG_RPC_E_CONFLICT, "");
	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"rule.list\",\"id\":1}");
	CU_ASSERT_EQUAL(err_code(r), 0);
	json_object_put(r);
	c.api = api;
	c.state_usable = true;
}

static uint64_t
rule_stat(const char *what)
{
	json_object *r = call("{\"jsonrpc\":\"2.0\",\"method\":\"stats.get\",\"params\":"
			      "{\"rule\":\"api1\"},\"id\":1}");
	char path[64];
	uint64_t v;

	snprintf(path, sizeof(path), "result.rules.0.%s", what);
	v = json_object_get_uint64(get(r, path));
	json_object_put(r);
	return v;
}

static void
test_stats_clear_and_rates(void)
{
	struct cg_shm_lcore_ctrs *b = &c.shm.ctrs[0];
	json_object *r;
	uint64_t pps, bps;

	cg_shm_ctr_ent(b, SLOT_API)->rx_pkts = 100;
	cg_shm_ctr_ent(b, SLOT_API)->out[0].pkts = 100;
	b->drops[CG_SHM_DROP_NO_RULE] = 3;
	CU_ASSERT_EQUAL(rule_stat("rx_packets"), 100);
	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"stats.get\",\"id\":1}");
	CU_ASSERT_EQUAL(json_object_get_uint64(get(r, "result.drops.no_rule")), 3);
	CU_ASSERT_EQUAL(json_object_get_uint64(get(r, "result.totals.tx_packets")), 100);
	json_object_put(r);

	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"stats.clear\",\"id\":1}");
	CU_ASSERT(json_object_get_uint64(get(r, "result.cleared_unix_ms")) > 0);
	json_object_put(r);
	CU_ASSERT_EQUAL(rule_stat("rx_packets"), 0);
	CU_ASSERT_EQUAL(rule_stat("outputs.0.pkts"), 0);
	cg_shm_ctr_ent(b, SLOT_API)->rx_pkts += 5;
	CU_ASSERT_EQUAL(rule_stat("rx_packets"), 5);
	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"stats.get\",\"id\":1}");
	CU_ASSERT_EQUAL(json_object_get_uint64(get(r, "result.drops.no_rule")), 0);
	CU_ASSERT_EQUAL(json_object_get_uint64(get(r, "result.totals.tx_packets")), 0);
	json_object_put(r);

	/* 200 packets in ~200 ms: about 1000 pps. */
	control_stats_sample(&c);
	cg_shm_ctr_ent(b, SLOT_API)->rx_pkts += 200;
	cg_shm_ctr_ent(b, SLOT_API)->rx_bytes += 200 * 1000;
	usleep(200 * 1000);
	control_stats_sample(&c);
	pps = rule_stat("rx_pps");
	CU_ASSERT(pps >= 500 && pps <= 1000);
	/* 1000-byte packets: bps = pps x 8000, give or take integer rounding. */
	bps = rule_stat("rx_bps");
	CU_ASSERT(bps + 8000 >= pps * 8000 && bps <= pps * 8000 + 8000);
	/* A rule that is replaced starts from its own zero, not our baseline. */
	control_stats_forget_rule(&c, "api1");
	CU_ASSERT_EQUAL(rule_stat("rx_packets"), cg_shm_ctr_ent(b, SLOT_API)->rx_pkts);
}

static void
test_ports_and_system(void)
{
	json_object *r = call("{\"jsonrpc\":\"2.0\",\"method\":\"port.list\",\"id\":1}");

	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.ports.0.name")), "in0");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.ports.0.ip")),
			       "198.18.0.2/24");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.ports.1.name")), "out0");
	json_object_put(r);
	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"system.info\",\"id\":1}");
	CU_ASSERT_EQUAL(json_object_get_int(get(r, "result.dataplane.pid")), getpid());
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.file_prefix")), "cgunit");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(r, "result.dataplane.lcores.0.role")),
			       "both");
	CU_ASSERT(json_object_is_type(get(r, "result.supervisor"), json_type_null));
	json_object_put(r);
}

/* Events emitted, as the tap sees them. */
static json_object *tapped;

static void
tap(json_object *params, void *arg)
{
	(void)arg;
	json_object_array_add(tapped, json_object_get(params));
}

/* The @p i-th tapped event's member @p key as a string ("" when absent). */
static const char *
ev(size_t i, const char *key)
{
	json_object *v = get(json_object_array_get_idx(tapped, i), key);

	return v != NULL ? json_object_get_string(v) : "";
}

static void
test_events(void)
{
	json_object *r;

	tapped = json_object_new_array();
	c.event_tap = tap;
	/* Not on a server connection (no socket here): refused, nothing half done. */
	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"id\":1}");
	CU_ASSERT_EQUAL(err_code(r), CG_RPC_E_INTERNAL);
	json_object_put(r);
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"params\":"
		  "{\"types\":[\"silence\",\"nope\"]},\"id\":1}", CG_RPC_E_INVALID_PARAMS,
		  "params.types[1]");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"params\":"
		  "{\"types\":[]},\"id\":1}", CG_RPC_E_INVALID_PARAMS, "params.types");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"params\":"
		  "{\"dataplane\":{\"pid\":1}},\"id\":1}", CG_RPC_E_INVALID_PARAMS,
		  "params.dataplane");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"params\":"
		  "{\"dataplane\":{\"pid\":1,\"start_unix_ms\":2,\"x\":3}},\"id\":1}",
		  CG_RPC_E_INVALID_PARAMS, "params.dataplane");
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"events.subscribe\",\"params\":"
		  "{\"type\":[\"link\"]},\"id\":1}", CG_RPC_E_INVALID_PARAMS, "params.type");

	/* The test hook: absent unless CASTGATE_TEST_HOOKS=1, for readers too
	 * (unknown methods are -32601 for everyone); with it, admins only. */
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"test.emit\",\"params\":{\"type\":"
		  "\"test.ping\"},\"id\":1}", CG_RPC_E_METHOD_NOT_FOUND, "method");
	r = call_as("{\"jsonrpc\":\"2.0\",\"method\":\"test.emit\",\"id\":1}", false);
	CU_ASSERT_EQUAL(err_code(r), CG_RPC_E_METHOD_NOT_FOUND);
	json_object_put(r);
	c.test_hooks = true;
	r = call_as("{\"jsonrpc\":\"2.0\",\"method\":\"test.emit\",\"params\":{\"type\":"
		    "\"test.ping\"},\"id\":1}", false);
	CU_ASSERT_EQUAL(err_code(r), CG_RPC_E_PERMISSION);
	json_object_put(r);
	r = call("{\"jsonrpc\":\"2.0\",\"method\":\"test.emit\",\"params\":{\"type\":"
		 "\"link.down\",\"count\":3,\"fields\":{\"port\":\"out0\"}},\"id\":1}");
	CU_ASSERT_EQUAL(json_object_get_int(get(r, "result.emitted")), 3);
	json_object_put(r);
	CHECK_ERR("{\"jsonrpc\":\"2.0\",\"method\":\"test.emit\",\"params\":{\"type\":"
		  "\"bogus.x\"},\"id\":1}", CG_RPC_E_INVALID_PARAMS, "params.type");
	c.test_hooks = false;
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(tapped), 3);
	CU_ASSERT_STRING_EQUAL(ev(0, "type"), "link.down");
	CU_ASSERT_STRING_EQUAL(ev(2, "port"), "out0");
	CU_ASSERT_EQUAL(atoll(ev(1, "seq")), atoll(ev(0, "seq")) + 1);
	CU_ASSERT(atoll(ev(0, "time_unix_ms")) > 1700000000000LL);

	/* An unknown class is a bug: nothing goes out. */
	control_event_emit(&c, "nope.x", json_object_new_object());
	control_event_emit(&c, "silence", NULL);
	CU_ASSERT_EQUAL(json_object_array_length(tapped), 3);
	c.event_tap = NULL;
	json_object_put(tapped);
}

/* rule.get's stats.silence.<key> of rule @p name, as a string. */
static const char *
silence_of(const char *name, const char *key, json_object **keep)
{
	char line[256], path[64];

	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":\"rule.get\","
		 "\"params\":{\"name\":\"%s\"},\"id\":1}", name);
	json_object_put(*keep);
	*keep = call(line);
	snprintf(path, sizeof(path), "result.stats.silence.%s", key);
	return get(*keep, path) != NULL ? json_object_get_string(get(*keep, path)) : "absent";
}

static void
test_silence(void)
{
	const uint64_t m0 = 50000, u0 = 1800000000000ULL;
	/* Its fixed part: control reads no output of a slot. */
	struct cg_shm_rule_slot saved = *cg_shm_rule_slot(c.shm.rules, SLOT_API);
	json_object *keep = NULL, *snap;
	const uint32_t moved = 5;

	tapped = json_object_new_array();
	c.event_tap = tap;
	c.silence_fd = -1;
	CU_ASSERT_EQUAL_FATAL(control_silence_init(&c), 0);
	c.conf->ctl.silence_ms = 1000;
	cg_shm_ctr_ent(c.shm.ctrs, SLOT_CFG)->rx_pkts = 5;
	/* First sight: the clock starts; what the counters held before is not "received". */
	control_silence_sample(&c, m0, u0);
	control_silence_sample(&c, m0 + 900, u0 + 900);
	CU_ASSERT_EQUAL(json_object_array_length(tapped), 0);
	CU_ASSERT_STRING_EQUAL(silence_of("cfg1", "alarm", &keep), "false");
	CU_ASSERT_STRING_EQUAL(silence_of("cfg1", "last_rx_unix_ms", &keep), "absent");
	CU_ASSERT_PTR_NULL(get(keep, "result.stats.silence.last_rx_unix_ms"));
	CU_ASSERT_STRING_EQUAL(silence_of("cfg1", "silence_ms", &keep), "1000");
	/* silence_ms after first sight: both raise, once. */
	control_silence_sample(&c, m0 + 1000, u0 + 1000);
	control_silence_sample(&c, m0 + 1100, u0 + 1100);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(tapped), 2);
	CU_ASSERT_STRING_EQUAL(ev(0, "type"), "silence.raised");
	CU_ASSERT_STRING_EQUAL(ev(0, "rule"), "cfg1");
	CU_ASSERT_STRING_EQUAL(ev(0, "silence_ms"), "1000");
	CU_ASSERT_STRING_EQUAL(ev(0, "raised"), "1");
	/* Never received since first seen: last_rx_unix_ms is there, and null. */
	CU_ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(tapped, 0),
						 "last_rx_unix_ms", NULL));
	CU_ASSERT_PTR_NULL(get(json_object_array_get_idx(tapped, 0), "last_rx_unix_ms"));
	CU_ASSERT_STRING_EQUAL(ev(1, "rule"), "api1");
	CU_ASSERT_STRING_EQUAL(silence_of("api1", "alarm", &keep), "true");
	CU_ASSERT_EQUAL(json_object_get_int64(get(keep, "result.stats.silence.since_unix_ms")),
			(int64_t)(u0 + 1000));
	snap = control_events_snapshot(&c, CONTROL_EV_ALL);
	CU_ASSERT_EQUAL(json_object_array_length(get(snap, "silence_alarms")), 2);
	CU_ASSERT_EQUAL(json_object_get_boolean(get(snap, "subscribed")), 1);
	json_object_put(snap);

	/* A packet clears it at the next sample. */
	cg_shm_ctr_ent(c.shm.ctrs, SLOT_CFG)->rx_pkts = 6;
	control_silence_sample(&c, m0 + 1200, u0 + 1200);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(tapped), 3);
	CU_ASSERT_STRING_EQUAL(ev(2, "type"), "silence.cleared");
	CU_ASSERT_STRING_EQUAL(ev(2, "rule"), "cfg1");
	CU_ASSERT_STRING_EQUAL(ev(2, "reason"), "traffic");
	CU_ASSERT_STRING_EQUAL(ev(2, "duration_ms"), "200");
	CU_ASSERT_STRING_EQUAL(silence_of("cfg1", "alarm", &keep), "false");
	CU_ASSERT_STRING_EQUAL(silence_of("cfg1", "last_rx_unix_ms", &keep), "1800000001200");
	CU_ASSERT_STRING_EQUAL(silence_of("cfg1", "raised", &keep), "1");

	/* An update moves api1 to a new slot with fresh counters: the alarm follows it. */
	*cg_shm_rule_slot(c.shm.rules, moved) = saved;
	cg_shm_idx_add(c.shm.rules, moved);
	cg_shm_rule_slot(c.shm.rules, SLOT_API)->in_use = 0;
	c.shm.rules->generation++;	/* as the data plane does after every change */
	control_silence_sample(&c, m0 + 1300, u0 + 1300);
	CU_ASSERT_EQUAL(json_object_array_length(tapped), 3);
	CU_ASSERT_STRING_EQUAL(silence_of("api1", "alarm", &keep), "true");
	cg_shm_ctr_ent(c.shm.ctrs, moved)->rx_pkts = 1;
	control_silence_sample(&c, m0 + 1400, u0 + 1400);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(tapped), 4);
	CU_ASSERT_STRING_EQUAL(ev(3, "rule"), "api1");
	CU_ASSERT_STRING_EQUAL(ev(3, "reason"), "traffic");

	/* Its own silence_ms = 0 (off) wins over [control]; cfg1 raises a second time. */
	cg_shm_rule_slot(c.shm.rules, moved)->rule.silence_ms = CG_RULE_SILENCE_OFF;
	c.shm.rules->generation++;	/* a rule's silence_ms changes only with its slot */
	control_silence_sample(&c, m0 + 5000, u0 + 5000);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(tapped), 5);
	CU_ASSERT_STRING_EQUAL(ev(4, "rule"), "cfg1");
	CU_ASSERT_STRING_EQUAL(ev(4, "raised"), "2");
	CU_ASSERT_STRING_EQUAL(silence_of("api1", "silence_ms", &keep), "0");
	/* Its own 3000 wins too: raised 3000 ms after its last packet (m0 + 1400). */
	cg_shm_rule_slot(c.shm.rules, moved)->rule.silence_ms = 3000;
	c.shm.rules->generation++;
	control_silence_sample(&c, m0 + 4300, u0 + 4300);
	CU_ASSERT_EQUAL(json_object_array_length(tapped), 5);
	control_silence_sample(&c, m0 + 4400, u0 + 4400);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(tapped), 6);
	CU_ASSERT_STRING_EQUAL(ev(5, "rule"), "api1");
	CU_ASSERT_STRING_EQUAL(ev(5, "last_rx_unix_ms"), "1800000001400");

	/* Counters back to zero in the same slot (removed and added again between two
	 * samples): not a packet, the alarm stays. */
	cg_shm_ctr_ent(c.shm.ctrs, moved)->rx_pkts = 0;
	control_silence_sample(&c, m0 + 4450, u0 + 4450);
	CU_ASSERT_EQUAL(json_object_array_length(tapped), 6);
	CU_ASSERT_STRING_EQUAL(silence_of("api1", "alarm", &keep), "true");

	/* Removed while raised: cleared, reason "removed". */
	cg_shm_rule_slot(c.shm.rules, SLOT_CFG)->in_use = 0;
	c.shm.rules->generation++;
	control_silence_sample(&c, m0 + 4500, u0 + 4500);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(tapped), 7);
	CU_ASSERT_STRING_EQUAL(ev(6, "type"), "silence.cleared");
	CU_ASSERT_STRING_EQUAL(ev(6, "rule"), "cfg1");
	CU_ASSERT_STRING_EQUAL(ev(6, "reason"), "removed");

	/* Back as it was for the other tests. */
	cg_shm_rule_slot(c.shm.rules, SLOT_CFG)->in_use = 1;
	*cg_shm_rule_slot(c.shm.rules, SLOT_API) = saved;
	memset(cg_shm_rule_slot(c.shm.rules, moved), 0, c.shm.rules->slot_size);
	c.shm.rules->generation++;
	cg_shm_ctr_ent(c.shm.ctrs, SLOT_CFG)->rx_pkts = 0;
	cg_shm_ctr_ent(c.shm.ctrs, moved)->rx_pkts = 0;
	c.conf->ctl.silence_ms = 0;
	control_silence_stop(&c);
	control_silence_fini(&c);
	c.event_tap = NULL;
	json_object_put(keep);
	json_object_put(tapped);
}

/* Whether @p text holds the line @p line. */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* The text format's structure: HELP and TYPE once per family, before its
 * samples, which are together; counters end in _total; values are numbers. */
static int
prom_check(const char *text)
{
	char fam[128] = "", seen[8192] = " ", name[128], *line, *save = NULL;
	char *copy = strdup(text);
	int bad = 0, samples = 0;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char type[16], *v, *end;
		size_t n;

		if (sscanf(line, "# TYPE %127s %15s", name, type) == 2) {
			char key[132];

			snprintf(key, sizeof(key), " %s ", name);
			if (strstr(seen, key) != NULL)
				bad++, fprintf(stderr, "family %s twice\n", name);
			strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
			snprintf(fam, sizeof(fam), "%s", name);
			n = strlen(name);
			if (strcmp(type, "counter") == 0 &&
			    (n < 6 || strcmp(name + n - 6, "_total") != 0))
				bad++, fprintf(stderr, "counter %s without _total\n", name);
			continue;
		}
		if (line[0] == '#')
			continue;
		n = strcspn(line, "{ ");
		if (n != strlen(fam) || strncmp(line, fam, n) != 0)
			bad++, fprintf(stderr, "sample outside its family: %s\n", line);
		v = strrchr(line, ' ');
		if (v == NULL || (strtod(v + 1, &end), *end != '\0' || end == v + 1))
			bad++, fprintf(stderr, "not a number: %s\n", line);
		samples++;
	}
	free(copy);
	return bad == 0 && samples > 0 ? 0 : -1;
}

/* The labels of rule cfg1's first output. */
#define OUT0 "{rule=\"cfg1\",output=\"0\",port=\"out0\"}"

static void
test_metrics_text(void)
{
	struct cg_shm_lcore_ctrs *b = &c.shm.ctrs[0];
	struct cg_http_buf t = { 0 }, h = { 0 };
	char line[256];
	json_object *o;

	memset(b, 0, cg_shm_ctr_block_size(TEST_SLOTS, CG_SHM_MAX_OUTPUTS));
	b->block_size = (uint32_t)cg_shm_ctr_block_size(TEST_SLOTS, CG_SHM_MAX_OUTPUTS);
	b->nb_slots = TEST_SLOTS;
	b->max_outputs = CG_SHM_MAX_OUTPUTS;
	b->ent_size = (uint32_t)cg_shm_ctr_ent_size(CG_SHM_MAX_OUTPUTS);
	cg_shm_rule_slot(c.shm.rules, SLOT_CFG)->rule.rtp = true;
	b->rx_pkts = 1000;
	cg_shm_ctr_ent(b, SLOT_CFG)->rx_pkts = 40;
	cg_shm_ctr_ent(b, SLOT_CFG)->rx_bytes = 40 * 1042;
	cg_shm_ctr_ent_rtp(b, cg_shm_ctr_ent(b, SLOT_CFG))->lost = 2;
	cg_shm_ctr_ent(b, SLOT_CFG)->out[0].pkts = 39;
	cg_shm_ctr_ent(b, SLOT_CFG)->out[0].bytes = 39 * 1042;
	cg_shm_ctr_ent(b, SLOT_CFG)->out[0].drops = 1;
	cg_shm_ctr_ent(b, SLOT_API)->out[0].pkts = 7;
	b->drops[CG_SHM_DROP_NO_RULE] = 3;
	snprintf(c.shm.info->version, sizeof(c.shm.info->version), "9.8.7");
	snprintf(c.shm.info->dpdk_version, sizeof(c.shm.info->dpdk_version), "DPDK 22.11.4");
	c.shm.info->start_unix_ms = 1700000000123;
	c.shm.info->link[0].state = CG_SHM_PORT_UP;
	c.shm.info->link[1].state = CG_SHM_PORT_DOWN;
	CU_ASSERT_EQUAL_FATAL(control_metrics_render(&c, &t), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.p);
	CU_ASSERT_EQUAL(prom_check(t.p), 0);
	{
		static const char *const want[] = {
			"# TYPE castgate_rule_rx_packets_total counter",
			"castgate_rule_rx_packets_total{rule=\"cfg1\"} 40",
			"castgate_rule_rx_bytes_total{rule=\"cfg1\"} 41680",
			"castgate_rule_rx_packets_total{rule=\"api1\"} 0",
			"castgate_rule_rtp_lost_total{rule=\"cfg1\"} 2",
			"castgate_rule_output_tx_packets_total" OUT0 " 39",
			"castgate_rule_output_tx_bytes_total" OUT0 " 40638",
			"castgate_rule_output_drops_total" OUT0 " 1",
			"castgate_rule_output_tx_packets_total{rule=\"api1\",output=\"0\","
			"port=\"out0\"} 7",
			"castgate_rule_info{rule=\"api1\",id=\"7\",origin=\"api\","
			"input_port=\"in0\"} 1",
			"castgate_rule_state{rule=\"cfg1\",state=\"degraded\"} 1",
			"castgate_rule_state{rule=\"cfg1\",state=\"active\"} 0",
			"castgate_drops_total{reason=\"no_rule\"} 3",
			"castgate_drops_total{reason=\"truncated\"} 0",
			"castgate_rx_packets_total 1000",
			"castgate_tx_packets_total 46",
			"castgate_rules{origin=\"config\"} 1",
			"castgate_rules{origin=\"api\"} 1",
			"castgate_port_up{port=\"in0\"} 1",
			"castgate_port_up{port=\"out0\"} 0",
			"castgate_port_state{port=\"out0\",state=\"down\"} 1",
			"castgate_port_rx_nombuf_total{port=\"in0\"} 0",
			"castgate_port_rx_missed_total{port=\"in0\"} 0",
			"castgate_build_info{version=\"9.8.7\",dpdk=\"DPDK 22.11.4\"} 1",
			"castgate_dataplane_start_time_seconds 1700000000.123",
			"castgate_lcore_rx_packets_total{lcore=\"0\",role=\"both\"} 1000",
		};

		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			snprintf(line, sizeof(line), "%s", want[i]);
			if (!has_line(t.p, line))
				fprintf(stderr, "missing: %s\n", line);
			CU_ASSERT(has_line(t.p, line));
		}
	}
	/* Not for a rule without rtp, and the totals' drops only by reason. */
	CU_ASSERT_PTR_NULL(strstr(t.p, "castgate_rule_rtp_lost_total{rule=\"api1\"}"));
	CU_ASSERT_FALSE(has_line(t.p, "castgate_drops_total 3"));
	free(t.p);
	cg_shm_rule_slot(c.shm.rules, SLOT_CFG)->rule.rtp = false;

	/* No data plane lock here: system.health says degraded, so 503. */
	CU_ASSERT_EQUAL(control_metrics_health(&c, &h), 503);
	o = json_tokener_parse(h.p);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(o, "status")), "degraded");
	json_object_put(o);
	free(h.p);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_eal_argv),
		CG_UNIT_TEST(test_rule_list_get),
		CG_UNIT_TEST(test_params_strict),
		CG_UNIT_TEST(test_rule_add_errors),
		CG_UNIT_TEST(test_refused_change_not_saved),
		CG_UNIT_TEST(test_origin_policy),
		CG_UNIT_TEST(test_access),
		CG_UNIT_TEST(test_frozen_state),
		CG_UNIT_TEST(test_stats_clear_and_rates),
		CG_UNIT_TEST(test_ports_and_system),
		CG_UNIT_TEST(test_events),
		CG_UNIT_TEST(test_silence),
		CG_UNIT_TEST(test_metrics_text),
		CG_UNIT_END,
	};
	int ret;

	cg_log_init("test_control", CG_LOG_ERR, CG_LOG_FMT_TEXT);
	if (setup() < 0) {
		fprintf(stderr, "test_control: setup failed\n");
		return 2;
	}
	ret = cg_unit_run("control", tests);
	teardown();
	return ret;
}
