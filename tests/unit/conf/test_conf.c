/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <json-c/json.h>

#include "cg_conf.h"
#include "cg_toml.h"
#include "../cg_unit.h"

#ifndef CG_SRC_DIR
#error "CG_SRC_DIR must name the source tree"
#endif

static const char *base[] = {
	"[log]",							/* 1 */
	"level = \"info\"",						/* 2 */
	"[dataplane]",							/* 3 */
	"lcores = \"0\"",						/* 4 */
	"[[port]]",							/* 5 */
	"name = \"rin0\"",						/* 6 */
	"device = \"net_af_packet0,iface=rin0\"",			/* 7 */
	"ip = \"198.18.1.2/26\"",					/* 8 */
	"[[port]]",							/* 9 */
	"name = \"rout0\"",						/* 10 */
	"device = \"net_af_packet1,iface=rout0\"",			/* 11 */
	"ip = \"198.18.1.66/26\"",					/* 12 */
	"[[rule]]",							/* 13 */
	"name = \"cam1\"",						/* 14 */
	"input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001 }", /* 15 */
	"[[rule.output]]",						/* 16 */
	"port = \"rout0\"",						/* 17 */
	"destination = \"239.2.2.2\"",					/* 18 */
	"dport = 6001",							/* 19 */
	NULL,
};

/* The base document with line @line replaced by @text (0: @text appended). */
static char *
doc_with(int line, const char *text)
{
	static char buf[8192];
	size_t off = 0;
	int i;

	for (i = 0; base[i] != NULL; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s\n",
					i + 1 == line ? text : base[i]);
	if (line == 0 && text != NULL)
		snprintf(buf + off, sizeof(buf) - off, "%s\n", text);
	return buf;
}

static struct cg_conf *
load_text(const char *toml, char *err, size_t errlen)
{
	char terr[256];
	struct cg_conf *c;
	json_object *root;

	root = cg_toml_parse(toml, strlen(toml), terr, sizeof(terr));
	if (root == NULL) {
		snprintf(err, errlen, "TOML: %s", terr);
		return NULL;
	}
	c = cg_conf_from_json(root, err, errlen);
	json_object_put(root);
	return c;
}

/* iface= is an interface name only for af_packet, af_xdp, tap and tun. */
static void
test_kernel_iface(void)
{
	char err[512], name[16];
	struct cg_conf *c;

	c = load_text(doc_with(7, "device = \"net_vhost0,iface=/run/castgate/vhost/port-0.sock\""),
		      err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c == NULL)
		fprintf(stderr, "%s\n", err);
	cg_conf_free(c);
	CU_ASSERT_TRUE(cg_conf_kernel_iface("net_af_packet0,iface=rin0,qpairs=2", name,
					    sizeof(name)));
	CU_ASSERT_STRING_EQUAL(name, "rin0");
	CU_ASSERT_TRUE(cg_conf_kernel_iface("net_af_xdp1,start_queue=0,iface=ens1f0", name,
					    sizeof(name)));
	CU_ASSERT_STRING_EQUAL(name, "ens1f0");
	CU_ASSERT_FALSE(cg_conf_kernel_iface("net_tap0,iface=tap0", name, sizeof(name)));
	CU_ASSERT_STRING_EQUAL(name, "");
	CU_ASSERT_FALSE(cg_conf_kernel_iface("net_af_packet0", name, sizeof(name)));
	CU_ASSERT_FALSE(cg_conf_kernel_iface("0000:03:00.0", name, sizeof(name)));
}

/* With mbufs unset, the default grows to fill the rings of many ports. */
static void
test_mbufs_default_scales(void)
{
	char doc[4096], err[512] = "";
	struct cg_conf *c;
	size_t len = 0;

	len += (size_t)snprintf(doc + len, sizeof(doc) - len, "[dataplane]\nlcores = \"0\"\n");
	for (int i = 0; i < 6; i++)
		len += (size_t)snprintf(doc + len, sizeof(doc) - len,
			"[[port]]\nname = \"p%d\"\ndevice = \"net_af_packet%d,iface=x%d\"\n"
			"ip = \"198.18.%d.2/24\"\n", i, i, i, i);
	c = load_text(doc, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* 6 x (1024 + 1024) + 1 x (384 + 32) = 12704 -> 16383 */
	CU_ASSERT_EQUAL(c->dp.mbufs, 16383);
	cg_conf_free(c);

	/* An explicit value is never raised: it is checked. */
	snprintf(doc + len, sizeof(doc) - len, "%s", "");
	memmove(doc + strlen("[dataplane]\n") + strlen("mbufs = 8191\n"), doc + strlen("[dataplane]\n"),
		len - strlen("[dataplane]\n") + 1);
	memcpy(doc + strlen("[dataplane]\n"), "mbufs = 8191\n", strlen("mbufs = 8191\n"));
	c = load_text(doc, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dataplane.mbufs (line 2): 8191 mbufs cannot fill"));
	cg_conf_free(c);
}

/* Each worker owns a queue pair on every port: the pool must fill them all. */
static void
test_mbufs_per_worker(void)
{
	static const struct {
		const char *dp;
		unsigned int workers;
		uint32_t mbufs;
	} cases[] = {
		/* 1 x 2 x 2048 + 2 x (384 + 32) = 4928 -> 8191 */
		{ "lcores = \"0-1\"", 1, 8191 },
		/* 2 x 2 x 2048 + 2 x 416 = 9024 -> 16383 */
		{ "lcores = \"0-1\"\nmain_forwards = true", 2, 16383 },
		/* 2 x 2 x 2048 + 3 x 416 = 9440 -> 16383 */
		{ "lcores = \"0-2\"", 2, 16383 },
		/* one lcore: the main lcore forwards, main_forwards or not */
		{ "lcores = \"0\"\nmain_forwards = true", 1, 8191 },
	};
	char doc[1024], err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cg_conf *c;

		snprintf(doc, sizeof(doc), "[dataplane]\n%s\n"
			 "[[port]]\nname = \"a\"\ndevice = \"net_af_packet0,iface=xa\"\n"
			 "ip = \"198.18.1.2/24\"\n"
			 "[[port]]\nname = \"b\"\ndevice = \"net_af_packet1,iface=xb\"\n"
			 "ip = \"198.18.2.2/24\"\n", cases[i].dp);
		err[0] = '\0';
		c = load_text(doc, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(cg_conf_nb_workers(&c->dp), cases[i].workers);
		CU_ASSERT_EQUAL(c->dp.mbufs, cases[i].mbufs);
		cg_conf_free(c);
	}
	/* An explicit value that fills one worker's queues but not two's. */
	snprintf(doc, sizeof(doc), "[dataplane]\nlcores = \"0-1\"\nmain_forwards = true\n"
		 "mbufs = 8191\n"
		 "[[port]]\nname = \"a\"\ndevice = \"net_af_packet0,iface=xa\"\n"
		 "ip = \"198.18.1.2/24\"\n"
		 "[[port]]\nname = \"b\"\ndevice = \"net_af_packet1,iface=xb\"\n"
		 "ip = \"198.18.2.2/24\"\n");
	err[0] = '\0';
	CU_ASSERT_PTR_NULL(load_text(doc, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "need at least 9024 (RX + TX descriptors of every port "
					   "times 2 worker(s)"));
}

static void
test_base_defaults(void)
{
	const struct cg_rule *r;
	struct cg_conf *c;
	char err[512] = "";

	c = load_text(doc_with(0, NULL), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->log.level, CG_LOG_INFO);
	CU_ASSERT_EQUAL(c->log.format, CG_LOG_FMT_TEXT);
	CU_ASSERT_STRING_EQUAL(c->dp.lcores, "0");
	CU_ASSERT_EQUAL(c->dp.n_lcores, 1);
	CU_ASSERT_STRING_EQUAL(c->dp.file_prefix, "castgate");
	CU_ASSERT_EQUAL(c->dp.memory_mb, 0);
	CU_ASSERT_FALSE(c->dp.no_huge);
	CU_ASSERT_FALSE(c->dp.main_forwards);
	CU_ASSERT_EQUAL(c->dp.mbufs, 8191);
	CU_ASSERT_EQUAL(c->dp.mbuf_cache, 256);
	CU_ASSERT_EQUAL(c->dp.mbuf_size, 2176);
	CU_ASSERT_EQUAL(c->dp.burst, 32);
	CU_ASSERT_EQUAL(c->dp.rx_desc, 1024);
	CU_ASSERT_EQUAL(c->dp.tx_desc, 1024);
	CU_ASSERT_EQUAL(c->dp.tx_drain_us, 100);
	CU_ASSERT_EQUAL(c->dp.idle_sleep_us, 0);
	CU_ASSERT_FALSE(c->dp.checksum_check);
	CU_ASSERT_EQUAL(c->dp.igmp_version, 3);
	CU_ASSERT_EQUAL(c->dp.igmp_interval_s, 60);
	CU_ASSERT_EQUAL(c->dp.arp_timeout_s, 300);
	CU_ASSERT_EQUAL(c->dp.arp_retry_ms, 1000);
	CU_ASSERT_EQUAL(c->dp.arp_max_retries, 5);
	CU_ASSERT_EQUAL(c->dp.n_eal_args, 0);

	CU_ASSERT_EQUAL_FATAL(c->n_ports, 2);
	CU_ASSERT_STRING_EQUAL(c->ports[0].name, "rin0");
	CU_ASSERT_STRING_EQUAL(c->ports[0].device, "net_af_packet0,iface=rin0");
	CU_ASSERT_FALSE(c->ports[0].is_pci);
	CU_ASSERT_EQUAL(c->ports[0].ip, inet_addr("198.18.1.2"));
	CU_ASSERT_EQUAL(c->ports[0].prefix_len, 26);
	CU_ASSERT_EQUAL(c->ports[0].netmask, inet_addr("255.255.255.192"));
	CU_ASSERT_TRUE(c->ports[0].mac_auto);
	CU_ASSERT_EQUAL(c->ports[0].mtu, 1500);
	CU_ASSERT_EQUAL(c->ports[0].gateway, 0);
	CU_ASSERT_EQUAL(c->ports[1].rx_desc, 1024);
	CU_ASSERT_EQUAL(c->ports[1].tx_desc, 1024);

	CU_ASSERT_EQUAL_FATAL(cg_rule_set_count(cg_conf_rule_set(c)), 1);
	r = cg_rule_set_find(cg_conf_rule_set(c), "cam1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->id, 1);
	CU_ASSERT_EQUAL(r->in.port_id, 0);
	CU_ASSERT_EQUAL(r->out[0].port_id, 1);
	CU_ASSERT_EQUAL(r->out[0].ttl, 64);

	CU_ASSERT_EQUAL(cg_conf_port_find(c, "rout0"), 1);
	CU_ASSERT_EQUAL(cg_conf_port_find(c, "nope"), -ENOENT);
	CU_ASSERT_EQUAL(cg_conf_port_lookup(c, "rin0"), 0);
	cg_conf_free(c);
	cg_conf_free(NULL);
}

static const char *full =
	"[log]\n"
	"level = \"debug\"\n"
	"format = \"json\"\n"
	"[dataplane]\n"
	"lcores = \"1-2,4\"\n"
	"file_prefix = \"cg-full_1\"\n"
	"memory_mb = 512\n"
	"no_huge = true\n"
	"main_forwards = true\n"
	"mbufs = 65535\n"
	"mbuf_cache = 128\n"
	"mbuf_size = 9300\n"
	"burst = 64\n"
	"rx_desc = 512\n"
	"tx_desc = 2048\n"
	"tx_drain_us = 50\n"
	"idle_sleep_us = 10\n"
	"checksum_check = true\n"
	"igmp_version = 2\n"
	"igmp_interval_s = 30\n"
	"arp_timeout_s = 600\n"
	"arp_retry_ms = 250\n"
	"arp_max_retries = 3\n"
	"eal_args = [\"-n\", \"4\", \"--log-level=pmd.net.af_packet:debug\"]\n"
	"[[port]]\n"
	"name = \"pci.0\"\n"
	"device = \"0000:03:00.1\"\n"
	"ip = \"198.18.2.2/24\"\n"
	"mac = \"02:00:00:00:02:02\"\n"
	"mtu = 9000\n"
	"gateway = \"198.18.2.1\"\n"
	"rx_desc = 4096\n"
	"tx_multi_seg = \"off\"\n"
	"[[port]]\n"
	"name = \"v1\"\n"
	"device = \"net_af_packet1,iface=rout0,qpairs=1\"\n"
	"ip = \"198.18.3.2/31\"\n"
	"[[port]]\n"
	"name = \"pci-2\"\n"
	"device = \"0000:81:1f.7,rxq_cqe_comp_en=0\"\n"
	"ip = \"198.18.4.2/32\"\n"
	"[[rule]]\n"
	"name = \"a\"\n"
	"input = { port = \"v1\", destination = \"239.1.1.1\", dport = 1 }\n"
	"output = [ { port = \"pci.0\", destination = \"198.18.9.9\", dport = 2 } ]\n"
	"[[rule]]\n"
	"name = \"b\"\n"
	"id = 1\n"
	"input = { port = \"v1\", destination = \"239.1.1.2\", dport = 1 }\n"
	"output = [ { port = \"pci-2\", destination = \"198.18.9.9\", dport = 2, "
	"next_hop_mac = \"02:00:00:00:09:09\" } ]\n"
	"[[rule]]\n"
	"name = \"c\"\n"
	"input = { port = \"v1\", destination = \"239.1.1.3\", dport = 1 }\n"
	"output = [ { port = \"v1\", destination = \"198.18.3.3\", dport = 2 } ]\n";

static void
test_full(void)
{
	struct cg_rule_set *s;
	struct cg_conf *c;
	char err[512] = "";

	c = load_text(full, err, sizeof(err));
	if (c == NULL)
		printf("\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->log.level, CG_LOG_DEBUG);
	CU_ASSERT_EQUAL(c->log.format, CG_LOG_FMT_JSON);
	CU_ASSERT_STRING_EQUAL(c->dp.lcores, "1-2,4");
	CU_ASSERT_EQUAL(c->dp.n_lcores, 3);
	CU_ASSERT_STRING_EQUAL(c->dp.file_prefix, "cg-full_1");
	CU_ASSERT_EQUAL(c->dp.memory_mb, 512);
	CU_ASSERT_TRUE(c->dp.no_huge);
	CU_ASSERT_TRUE(c->dp.main_forwards);
	CU_ASSERT_EQUAL(c->dp.mbufs, 65535);
	CU_ASSERT_EQUAL(c->dp.mbuf_cache, 128);
	CU_ASSERT_EQUAL(c->dp.mbuf_size, 9300);
	CU_ASSERT_EQUAL(c->dp.burst, 64);
	CU_ASSERT_EQUAL(c->dp.rx_desc, 512);
	CU_ASSERT_EQUAL(c->dp.tx_desc, 2048);
	CU_ASSERT_EQUAL(c->dp.tx_drain_us, 50);
	CU_ASSERT_EQUAL(c->dp.idle_sleep_us, 10);
	CU_ASSERT_TRUE(c->dp.checksum_check);
	CU_ASSERT_EQUAL(c->dp.igmp_version, 2);
	CU_ASSERT_EQUAL(c->dp.igmp_interval_s, 30);
	CU_ASSERT_EQUAL(c->dp.arp_timeout_s, 600);
	CU_ASSERT_EQUAL(c->dp.arp_retry_ms, 250);
	CU_ASSERT_EQUAL(c->dp.arp_max_retries, 3);
	CU_ASSERT_EQUAL_FATAL(c->dp.n_eal_args, 3);
	CU_ASSERT_STRING_EQUAL(c->dp.eal_args[2], "--log-level=pmd.net.af_packet:debug");

	CU_ASSERT_EQUAL_FATAL(c->n_ports, 3);
	CU_ASSERT_TRUE(c->ports[0].is_pci);
	CU_ASSERT_FALSE(c->ports[0].mac_auto);
	CU_ASSERT_EQUAL(memcmp(c->ports[0].mac, "\x02\x00\x00\x00\x02\x02", 6), 0);
	CU_ASSERT_EQUAL(c->ports[0].mtu, 9000);
	CU_ASSERT_EQUAL(c->ports[0].gateway, inet_addr("198.18.2.1"));
	CU_ASSERT_EQUAL(c->ports[0].rx_desc, 4096);	/* override */
	CU_ASSERT_EQUAL(c->ports[0].tx_desc, 2048);	/* inherited */
	CU_ASSERT_EQUAL(c->ports[0].tx_multi_seg, CG_CONF_MULTI_SEG_OFF);
	CU_ASSERT_EQUAL(c->ports[1].tx_multi_seg, CG_CONF_MULTI_SEG_AUTO);
	CU_ASSERT_FALSE(c->ports[1].is_pci);
	CU_ASSERT_EQUAL(c->ports[1].prefix_len, 31);
	CU_ASSERT_TRUE(c->ports[2].is_pci);
	CU_ASSERT_EQUAL(c->ports[2].netmask, 0xffffffffu);

	/* Rules without an id get the lowest ids that no rule names. */
	s = cg_conf_rule_set(c);
	CU_ASSERT_EQUAL(cg_rule_set_find(s, "a")->id, 2);
	CU_ASSERT_EQUAL(cg_rule_set_find(s, "b")->id, 1);
	CU_ASSERT_EQUAL(cg_rule_set_find(s, "c")->id, 3);
	CU_ASSERT_STRING_EQUAL(cg_rule_set_get(s, 0)->name, "a");
	CU_ASSERT_EQUAL(cg_rule_set_find(s, "b")->out[0].port_id, 2);
	cg_conf_free(c);
}

struct err_case {
	int line;		/* base line to replace; 0 = append */
	const char *text;
	const char *want;
};

static void
test_errors(void)
{
	static const struct err_case cases[] = {
		/* Unknown keys at every level. */
		{ 1, "[logging]", "logging (line 1): unknown key" },
		{ 2, "verbose = true", "log.verbose (line 2): unknown key" },
		{ 4, "speed = 1", "dataplane.speed (line 4): unknown key" },
		{ 8, "ip = \"198.18.1.2/26\"\nspeed = 10", "port[0].speed (line 9): unknown key" },
		{ 14, "name = \"cam1\"\nttl = 3", "rule[0].ttl (line 15): unknown key" },
		{ 0, "hops = 1", "rule[0].output[0].hops (line 20): unknown key" },
		/* [log] */
		{ 2, "level = \"loud\"", "log.level (line 2): \"loud\" is not one of error, warn, "
		  "info, debug" },
		{ 2, "format = \"xml\"", "log.format (line 2): \"xml\" is not one of text, json" },
		/* [dataplane] */
		{ 4, "lcores = \"0-\"", "dataplane.lcores (line 4): \"0-\" is not an lcore list of "
		  "distinct lcores 0..127 (e.g. \"0\", \"0-3\", \"0,2,4-5\")" },
		{ 4, "lcores = \"1,1\"", "dataplane.lcores (line 4): \"1,1\" is not an lcore list of "
		  "distinct lcores 0..127 (e.g. \"0\", \"0-3\", \"0,2,4-5\")" },
		{ 4, "lcores = \"3-1\"", "dataplane.lcores (line 4): \"3-1\" is not an lcore list of "
		  "distinct lcores 0..127 (e.g. \"0\", \"0-3\", \"0,2,4-5\")" },
		{ 4, "lcores = \"0,128\"", "dataplane.lcores (line 4): \"0,128\" is not an lcore list "
		  "of distinct lcores 0..127 (e.g. \"0\", \"0-3\", \"0,2,4-5\")" },
		{ 4, "lcores = 0", "dataplane.lcores (line 4): expected a string, got an integer" },
		{ 4, "file_prefix = \"a/b\"", "dataplane.file_prefix (line 4): \"a/b\" is not a "
		  "valid prefix (1..63 characters of A-Z a-z 0-9 _ -)" },
		{ 4, "burst = 4096", "dataplane.burst (line 4): 4096 is out of range 1..512" },
		{ 4, "burst = \"32\"", "dataplane.burst (line 4): expected an integer, got a "
		  "string" },
		{ 4, "no_huge = 1", "dataplane.no_huge (line 4): expected a boolean, got an "
		  "integer" },
		{ 4, "igmp_version = 1", "dataplane.igmp_version (line 4): 1 is out of range 2..3" },
		{ 4, "rx_desc = 16", "dataplane.rx_desc (line 4): 16 is out of range 32..16384" },
		{ 4, "tx_drain_us = -1", "dataplane.tx_drain_us (line 4): -1 is out of range "
		  "0..100000" },
		{ 4, "mbuf_cache = 512\nmbufs = 700", "dataplane.mbuf_cache (line 4): 512 is too "
		  "large for 700 mbufs (1.5 x mbuf_cache must not exceed mbufs)" },
		{ 4, "mbufs = 4095", "dataplane.mbufs (line 4): 4095 mbufs cannot fill the rings "
		  "and caches: need at least 4512 (RX + TX descriptors of every port times 1 "
		  "worker(s), and 1.5 x mbuf_cache + burst per lcore)" },
		{ 4, "eal_args = [\"-n\", \"--no-pci\"]", "dataplane.eal_args[1] (line 4): "
		  "\"--no-pci\" is set from the [[port]] devices; remove it here" },
		{ 4, "eal_args = [\"-l0\"]", "dataplane.eal_args[0] (line 4): \"-l0\" is set from "
		  "dataplane.lcores; remove it here" },
		{ 4, "eal_args = [\"--vdev=net_null0\"]", "dataplane.eal_args[0] (line 4): "
		  "\"--vdev=net_null0\" is set from the [[port]] devices; remove it here" },
		{ 4, "eal_args = [\"--\"]", "dataplane.eal_args[0] (line 4): \"--\" would end the "
		  "EAL arguments" },
		{ 4, "eal_args = [4]", "dataplane.eal_args[0] (line 4): expected a string, got an "
		  "integer" },
		{ 4, "eal_args = \"-n 4\"", "dataplane.eal_args (line 4): expected an array, got a "
		  "string" },
		/* [[port]] */
		{ 7, "# no device", "port[0].device (line 5): required key is missing" },
		{ 6, "name = \"r in\"", "port[0].name (line 6): \"r in\" is not a valid port name "
		  "(1..31 characters of A-Z a-z 0-9 _ . -)" },
		{ 10, "name = \"rin0\"", "port[1].name (line 10): \"rin0\" is already the name of "
		  "port[0]" },
		{ 7, "device = \"eth0\"", "port[0].device (line 7): \"eth0\" is neither a PCI "
		  "address (DDDD:BB:DD.F) nor a vdev (net_<driver><n>[,args])" },
		{ 7, "device = \"0000:03:20.0\"", "port[0].device (line 7): \"0000:03:20.0\" is "
		  "neither a PCI address (DDDD:BB:DD.F) nor a vdev (net_<driver><n>[,args])" },
		{ 7, "device = \"net_af packet0\"", "port[0].device (line 7): \"net_af packet0\" is "
		  "neither a PCI address (DDDD:BB:DD.F) nor a vdev (net_<driver><n>[,args])" },
		{ 11, "device = \"net_af_packet0,iface=other\"", "port[1].device (line 11): "
		  "\"net_af_packet0\" is already the device of port[0] \"rin0\"" },
		/* Linux names have 15 characters at most: the PMD would fail at every start. */
		{ 7, "device = \"net_af_packet0,iface=cgt123456789rin0\"", "port[0].device (line 7): "
		  "iface \"cgt123456789rin0\" is 16 characters: a Linux interface name has 1 to 15" },
		{ 7, "device = \"net_af_xdp0,iface=,start_queue=0\"", "port[0].device (line 7): "
		  "iface \"\" is 0 characters: a Linux interface name has 1 to 15" },
		{ 8, "ip = \"198.18.1.2\"", "port[0].ip (line 8): \"198.18.1.2\" is not an IPv4 "
		  "address with a prefix length (e.g. 198.18.1.2/25)" },
		{ 8, "ip = \"198.18.1.2/33\"", "port[0].ip (line 8): \"198.18.1.2/33\" is not an "
		  "IPv4 address with a prefix length (e.g. 198.18.1.2/25)" },
		{ 8, "ip = \"198.18.1/24\"", "port[0].ip (line 8): \"198.18.1/24\" is not an IPv4 "
		  "address with a prefix length (e.g. 198.18.1.2/25)" },
		{ 8, "ip = \"198.18.1.2/026\"", "port[0].ip (line 8): \"198.18.1.2/026\" is not an "
		  "IPv4 address with a prefix length (e.g. 198.18.1.2/25)" },
		{ 8, "ip = \"198.18.1.0/26\"", "port[0].ip (line 8): 198.18.1.0 is the network or "
		  "broadcast address of /26" },
		{ 8, "ip = \"239.1.1.1/24\"", "port[0].ip (line 8): 239.1.1.1 is a multicast "
		  "address, not a unicast one" },
		{ 12, "ip = \"198.18.1.2/24\"", "port[1].ip (line 12): 198.18.1.2 is already the "
		  "address of port[0] \"rin0\"" },
		{ 8, "ip = \"198.18.1.2/26\"\nmac = \"xx\"", "port[0].mac (line 9): \"xx\" is "
		  "neither \"auto\" nor a MAC address (aa:bb:cc:dd:ee:ff)" },
		{ 8, "ip = \"198.18.1.2/26\"\nmac = \"01:00:5e:01:01:01\"", "port[0].mac (line 9): "
		  "01:00:5e:01:01:01 is not a unicast MAC address" },
		{ 8, "ip = \"198.18.1.2/26\"\nmtu = 67", "port[0].mtu (line 9): 67 is out of range "
		  "68..9000" },
		{ 8, "ip = \"198.18.1.2/26\"\ntx_multi_seg = \"yes\"", "port[0].tx_multi_seg "
		  "(line 9): \"yes\" is not one of auto, on, off" },
		{ 8, "ip = \"198.18.1.2/26\"\nmtu = 9000", "port[0].mtu (line 9): 9000 needs "
		  "dataplane.mbuf_size >= 9146 (mtu + 18 Ethernet + 128 headroom), it is 2176" },
		{ 8, "ip = \"198.18.1.2/26\"\ngateway = \"198.18.1.126\"", "port[0].gateway "
		  "(line 9): 198.18.1.126 is outside the port's prefix 198.18.1.0/26" },
		{ 8, "ip = \"198.18.1.2/26\"\ngateway = \"198.18.1.2\"", "port[0].gateway (line 9): "
		  "198.18.1.2 is the port's own address" },
		{ 8, "ip = \"198.18.1.2/26\"\ngateway = \"198.18.1.63\"", "port[0].gateway "
		  "(line 9): 198.18.1.63 is the network or broadcast address of /26" },
		{ 8, "ip = \"198.18.1.2/26\"\ngateway = \"198.18.1\"", "port[0].gateway (line 9): "
		  "\"198.18.1\" is not an IPv4 address" },
		{ 8, "ip = \"198.18.1.2/26\"\ntx_desc = 65536", "port[0].tx_desc (line 9): 65536 is "
		  "out of range 32..16384" },
		/* xdp_steer: only on net_af_xdp, and castgate's program, not the user's. */
		{ 7, "device = \"net_af_packet0,iface=rin0\"\nxdp_steer = true", "port[0].xdp_steer "
		  "(line 8): needs a net_af_xdp device; \"net_af_packet0,iface=rin0\" is not one (the "
		  "XDP program steers what an AF_XDP socket receives)" },
		{ 7, "device = \"net_af_xdp0,iface=rin0,xdp_prog=/a.o\"\nxdp_steer = true",
		  "port[0].xdp_steer (line 8): loads castgate's own XDP program: remove xdp_prog= "
		  "from device \"net_af_xdp0,iface=rin0,xdp_prog=/a.o\" (or xdp_steer, to run your "
		  "program)" },
		/* [[rule]] and its cross-checks. */
		{ 15, "input = { port = \"rin9\", destination = \"239.1.1.1\", dport = 5001 }",
		  "rule[0].input.port (line 15): no [[port]] is named \"rin9\"" },
		{ 17, "port = \"rout9\"", "rule[0].output[0].port (line 17): no [[port]] is named "
		  "\"rout9\"" },
		{ 18, "destination = \"198.18.2.5\"", "rule[0].output[0].destination (line 18): "
		  "198.18.2.5 is outside port \"rout0\"'s prefix 198.18.1.64/26 and the port has no "
		  "gateway; set the port's gateway or this output's next_hop_mac" },
		{ 18, "destination = \"198.18.1.66\"", "rule[0].output[0].destination (line 18): "
		  "198.18.1.66 is port \"rout0\"'s own address (198.18.1.66/26): no host there "
		  "answers ARP; give another address, or this output's next_hop_mac" },
		{ 18, "destination = \"198.18.1.64\"", "rule[0].output[0].destination (line 18): "
		  "198.18.1.64 is port \"rout0\"'s network address (198.18.1.66/26): no host there "
		  "answers ARP; give another address, or this output's next_hop_mac" },
		{ 18, "destination = \"198.18.1.127\"", "rule[0].output[0].destination (line 18): "
		  "198.18.1.127 is port \"rout0\"'s broadcast address (198.18.1.66/26): no host "
		  "there answers ARP; give another address, or this output's next_hop_mac" },
		{ 0, "ttl = 0", "rule[0].output[0].ttl (line 20): 0 is out of range 1..255" },
		{ 0, "[[rule]]\nname = \"cam1\"\n"
		     "input = { port = \"rin0\", destination = \"239.1.1.9\", dport = 5001 }\n"
		     "output = [ { port = \"rout0\", destination = \"239.2.2.9\", dport = 1 } ]",
		  "rule[1].name (line 21): \"cam1\" is already the name of rule[0]" },
		{ 0, "[[rule]]\nname = \"cam2\"\n"
		     "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001 }\n"
		     "output = [ { port = \"rout0\", destination = \"239.2.2.9\", dport = 1 } ]",
		  "rule[1].input (line 22): rule[0] \"cam1\" already matches port rin0, "
		  "239.1.1.1:5001, any source" },
		{ 0, "[[rule]]\nname = \"x\"\n"
		     "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "source = \"198.18.1.1\" }\n"
		     "output = [ { port = \"rout0\", destination = \"239.2.2.9\", dport = 1 } ]\n"
		     "[[rule]]\nname = \"y\"\n"
		     "input = { port = \"rin0\", destination = \"239.1.1.1\", dport = 5001, "
		     "source = \"198.18.1.1\" }\n"
		     "output = [ { port = \"rout0\", destination = \"239.2.2.8\", dport = 1 } ]",
		  "rule[2].input (line 26): rule[1] \"x\" already matches port rin0, "
		  "239.1.1.1:5001, source 198.18.1.1" },
	};
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct err_case *c = &cases[i];
		struct cg_conf *conf;
		char doc[8192];

		snprintf(doc, sizeof(doc), "%s", doc_with(c->line, c->text));
		err[0] = '\0';
		errno = 0;
		conf = load_text(doc, err, sizeof(err));
		CU_ASSERT_PTR_NULL(conf);
		CU_ASSERT_EQUAL(errno, EINVAL);
		CU_ASSERT_STRING_EQUAL(err, c->want);
		if (conf != NULL || strcmp(err, c->want) != 0)
			printf("\ncase %zu:\n%s\n got: %s\nwant: %s\n", i, doc, err, c->want);
		cg_conf_free(conf);
	}
}

static void
test_rule_ids(void)
{
	char doc[4096], err[512];
	struct cg_conf *c;

	/* An explicit id clashing with another explicit id names the second one. */
	snprintf(doc, sizeof(doc), "%s%s", doc_with(14, "name = \"cam1\"\nid = 5"),
		 "[[rule]]\nname = \"cam2\"\nid = 5\n"
		 "input = { port = \"rin0\", destination = \"239.1.1.2\", dport = 5001 }\n"
		 "output = [ { port = \"rout0\", destination = \"239.2.2.9\", dport = 1 } ]\n");
	c = load_text(doc, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "rule[1].id (line 23): 5 is already the id of rule[0] "
			       "\"cam1\"");
	cg_conf_free(c);

	/* A rule without an id never takes one a later rule names. */
	snprintf(doc, sizeof(doc), "%s%s", doc_with(0, NULL),
		 "[[rule]]\nname = \"cam2\"\nid = 1\n"
		 "input = { port = \"rin0\", destination = \"239.1.1.2\", dport = 5001 }\n"
		 "output = [ { port = \"rout0\", destination = \"239.2.2.9\", dport = 1 } ]\n");
	c = load_text(doc, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(cg_rule_set_find(c->rules, "cam1")->id, 2);
	CU_ASSERT_EQUAL(cg_rule_set_find(c->rules, "cam2")->id, 1);
	CU_ASSERT_EQUAL(cg_rule_set_next_id(c->rules), 3);
	cg_conf_free(c);
}

/* [dataplane] max_outputs: default, range, and a rule with more outputs than a slot holds. */
static void
test_max_outputs(void)
{
	char doc[16384], err[512];
	struct cg_conf *c;
	size_t len;

	c = load_text(doc_with(0, NULL), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->dp.max_outputs, 16);
	cg_conf_free(c);
	c = load_text(doc_with(4, "lcores = \"0\"\nmax_outputs = 0"), err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dataplane.max_outputs (line 5)"));
	c = load_text(doc_with(4, "lcores = \"0\"\nmax_outputs = 17"), err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dataplane.max_outputs (line 5)"));

	/* cam1 has one output: it fits a slot of one. */
	len = (size_t)snprintf(doc, sizeof(doc), "%s",
			       doc_with(4, "lcores = \"0\"\nmax_outputs = 1"));
	c = load_text(doc, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->dp.max_outputs, 1);
	cg_conf_free(c);
	/* cam2 has two: refused, naming the rule, the count and the key. */
	snprintf(doc + len, sizeof(doc) - len, "[[rule]]\nname = \"cam2\"\n"
		 "input = { port = \"rin0\", destination = \"239.1.1.2\", dport = 5001 }\n"
		 "output = [ { port = \"rout0\", destination = \"239.2.2.9\", dport = 1 },\n"
		 "           { port = \"rout0\", destination = \"239.2.2.10\", dport = 1 } ]\n");
	c = load_text(doc, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "rule[1].output (line 24): 2 outputs, more than a rule slot "
			       "holds ([dataplane] max_outputs = 1)");
	cg_conf_free(c);
}

/* [dataplane] max_rules: default, range, and a config with more rules than slots. */
static void
test_max_rules(void)
{
	char doc[16384], err[512];
	struct cg_conf *c;
	size_t len;

	c = load_text(doc_with(0, NULL), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->dp.max_rules, 1024);
	cg_conf_free(c);

	c = load_text(doc_with(4, "lcores = \"0\"\nmax_rules = 1000000"), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->dp.max_rules, 1000000);
	cg_conf_free(c);

	c = load_text(doc_with(4, "lcores = \"0\"\nmax_rules = 0"), err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dataplane.max_rules (line 5)"));
	cg_conf_free(c);
	c = load_text(doc_with(4, "lcores = \"0\"\nmax_rules = 1000001"), err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dataplane.max_rules (line 5)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1000000"));
	cg_conf_free(c);

	/* Three rules, two slots: refused, naming the key, how many, what to set. */
	len = (size_t)snprintf(doc, sizeof(doc), "%s",
			       doc_with(4, "lcores = \"0\"\nmax_rules = 2"));
	for (int i = 2; i <= 3; i++)
		len += (size_t)snprintf(doc + len, sizeof(doc) - len,
			"[[rule]]\nname = \"cam%d\"\n"
			"input = { port = \"rin0\", destination = \"239.1.1.%d\", dport = 5001 }\n"
			"output = [ { port = \"rout0\", destination = \"239.2.2.9\", dport = 1 } ]\n",
			i, i);
	c = load_text(doc, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "dataplane.max_rules (line 5): 3 [[rule]] tables do not fit "
			       "in 2 rule slots; set max_rules to at least 4 (one more lets a rule "
			       "be updated)");
	cg_conf_free(c);

	/* As many rules as slots is allowed (only an update then needs one more). */
	len = (size_t)snprintf(doc, sizeof(doc), "%s",
			       doc_with(4, "lcores = \"0\"\nmax_rules = 2"));
	snprintf(doc + len, sizeof(doc) - len, "[[rule]]\nname = \"cam2\"\n"
		 "input = { port = \"rin0\", destination = \"239.1.1.2\", dport = 5001 }\n"
		 "output = [ { port = \"rout0\", destination = \"239.2.2.9\", dport = 1 } ]\n");
	c = load_text(doc, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(c);
	cg_conf_free(c);
}

static void
test_sections(void)
{
	char err[512];
	struct cg_conf *c;

	c = load_text("[log]\nlevel = \"info\"\n", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "port"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "required key is missing"));
	c = load_text("log = 3\n", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "log (line 1): expected a table, got an integer");
	c = load_text("dataplane = []\n", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "dataplane (line 1): expected a table, got an array");
	c = load_text("port = []\n", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "port (line 1): expected 1..16 [[port]] tables, got 0");
	c = load_text("port = [1]\n", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "port[0] (line 1): expected a table, got an integer");
	c = load_text("rule = 5\n[[port]]\nname = \"p\"\ndevice = \"net_null0\"\n"
		      "ip = \"198.18.0.1/24\"\n", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "rule (line 1): expected an array, got an integer");
	c = load_text("rule = [\"x\"]\n[[port]]\nname = \"p\"\ndevice = \"net_null0\"\n"
		      "ip = \"198.18.0.1/24\"\n", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "rule[0] (line 1): expected a table, got a string");
	/* Rules are optional: a control plane may add them later. */
	c = load_text("[[port]]\nname = \"p\"\ndevice = \"net_null0\"\n"
		      "ip = \"198.18.0.1/24\"\n", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c != NULL)
		CU_ASSERT_EQUAL(cg_rule_set_count(cg_conf_rule_set(c)), 0);
	cg_conf_free(c);
}

static void
test_json_root(void)
{
	json_object *o = json_tokener_parse("{\"port\":[{\"name\":\"p\",\"device\":\"net_null0\","
					    "\"ip\":\"198.18.0.1/24\",\"mtu\":\"big\"}]}");
	char err[512];
	struct cg_conf *c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	c = cg_conf_from_json(o, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	/* Plain JSON has no lines: the path alone. */
	CU_ASSERT_STRING_EQUAL(err, "port[0].mtu: expected an integer, got a string");
	json_object_put(o);
	o = json_tokener_parse("[]");
	c = cg_conf_from_json(o, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(err, "config: expected a table at the top, got an array");
	json_object_put(o);
}

static void
test_to_json_roundtrip(void)
{
	json_object *j1, *j2, *d, *v;
	struct cg_conf *c1, *c2;
	char err[512] = "";

	c1 = load_text(full, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	j1 = cg_conf_to_json(c1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j1);
	c2 = cg_conf_from_json(j1, err, sizeof(err));
	if (c2 == NULL)
		printf("\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	j2 = cg_conf_to_json(c2);
	CU_ASSERT_TRUE(json_object_equal(j1, j2));
	CU_ASSERT_EQUAL(cg_rule_set_find(c2->rules, "a")->id, 2);
	json_object_put(j2);
	cg_conf_free(c2);
	json_object_put(j1);
	cg_conf_free(c1);

	/* Defaults are written out. */
	c1 = load_text(doc_with(0, NULL), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	j1 = cg_conf_to_json(c1);
	CU_ASSERT_TRUE(json_object_object_get_ex(j1, "dataplane", &d));
	CU_ASSERT_TRUE(json_object_object_get_ex(d, "mbufs", &v));
	CU_ASSERT_EQUAL(json_object_get_int(v), 8191);
	CU_ASSERT_TRUE(json_object_object_get_ex(d, "arp_max_retries", &v));
	CU_ASSERT_EQUAL(json_object_get_int(v), 5);
	json_object_put(j1);
	cg_conf_free(c1);
}

static void
check_argv(int argc, char **argv, const char *const *want)
{
	int i;

	for (i = 0; want[i] != NULL && i < argc; i++) {
		CU_ASSERT_STRING_EQUAL(argv[i], want[i]);
		if (strcmp(argv[i], want[i]) != 0)
			printf("\nargv[%d] = %s, want %s\n", i, argv[i], want[i]);
	}
	CU_ASSERT_EQUAL(i, argc);
	CU_ASSERT_PTR_NULL(want[i]);
	CU_ASSERT_PTR_NULL(argv[argc]);
}

static void
test_eal_argv(void)
{
	static const char *const want_vdev[] = {
		"castgate", "-l", "0", "--file-prefix", "castgate", "--no-pci",
		"--vdev=net_af_packet0,iface=rin0", "--vdev=net_af_packet1,iface=rout0",
		"--log-level=6", NULL,
	};
	static const char *const want_pci[] = {
		"cg", "-l", "1-2,4", "--file-prefix", "cg-full_1",
		"-a", "0000:03:00.1", "-a", "0000:81:1f.7,rxq_cqe_comp_en=0",
		"--vdev=net_af_packet1,iface=rout0,qpairs=1", "-m", "512", "--no-huge",
		"--log-level=7", "-n", "4", "--log-level=pmd.net.af_packet:debug", NULL,
	};
	struct cg_conf *c;
	char err[512], *tmp, **argv;
	int argc, i;

	c = load_text(doc_with(0, NULL), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(cg_conf_eal_argv(c, "castgate", &argc, &argv), 0);
	check_argv(argc, argv, want_vdev);
	cg_conf_eal_argv_free(argv);
	cg_conf_free(c);

	c = load_text(full, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(cg_conf_eal_argv(c, "cg", &argc, &argv), 0);
	check_argv(argc, argv, want_pci);
	for (i = 0; i < argc; i++)
		CU_ASSERT_STRING_NOT_EQUAL(argv[i], "--no-pci");
	/* What rte_eal_init() does to argv: permute, and overwrite an entry with argv[0]. */
	tmp = argv[1];
	argv[1] = argv[argc - 1];
	argv[argc - 1] = tmp;
	argv[4] = argv[0];
	cg_conf_eal_argv_free(argv);	/* frees every string once (checked under ASan) */
	cg_conf_free(c);
	cg_conf_eal_argv_free(NULL);
}

/* A secondary: same prefix, never a --vdev, only the PCI ports mapped. */
static void
test_eal_argv_secondary(void)
{
	static const char *const want_vdev[] = {
		"ctl", "--proc-type=secondary", "--file-prefix", "castgate", "--no-pci",
		"--no-telemetry", "-l", "0", "--log-level=5", "--base-virtaddr=0x1000", NULL,
	};
	static const char *const want_pci[] = {
		"ctl", "--proc-type=secondary", "--file-prefix", "cg-full_1",
		"-a", "0000:03:00.1", "-a", "0000:81:1f.7,rxq_cqe_comp_en=0",
		"--no-telemetry", "-l", "1", "--log-level=7", NULL,
	};
	char *extra[] = { "--base-virtaddr=0x1000" };
	struct cg_conf *c;
	char err[512], **argv;
	int argc;

	c = load_text(doc_with(0, NULL), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(cg_conf_eal_argv_secondary(c, "ctl", CG_LOG_WARN, 1, extra,
							 &argc, &argv), 0);
	check_argv(argc, argv, want_vdev);
	cg_conf_eal_argv_free(argv);
	cg_conf_free(c);

	c = load_text(full, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(cg_conf_eal_argv_secondary(c, "ctl", CG_LOG_DEBUG, 0, NULL,
							 &argc, &argv), 0);
	check_argv(argc, argv, want_pci);
	cg_conf_eal_argv_free(argv);
	cg_conf_free(c);
}

static void
test_device_is_pci(void)
{
	CU_ASSERT_TRUE(cg_conf_device_is_pci("0000:03:00.0"));
	CU_ASSERT_TRUE(cg_conf_device_is_pci("ABCD:ff:1f.7"));
	CU_ASSERT_TRUE(cg_conf_device_is_pci("0000:03:00.0,txq_inline=1"));
	CU_ASSERT_FALSE(cg_conf_device_is_pci("03:00.0"));
	CU_ASSERT_FALSE(cg_conf_device_is_pci("0000:03:00.8"));
	CU_ASSERT_FALSE(cg_conf_device_is_pci("0000:03:20.0"));
	CU_ASSERT_FALSE(cg_conf_device_is_pci("0000:03:00.0x"));
	CU_ASSERT_FALSE(cg_conf_device_is_pci("000g:03:00.0"));
	CU_ASSERT_FALSE(cg_conf_device_is_pci("net_pcap0"));
	CU_ASSERT_FALSE(cg_conf_device_is_pci(NULL));
}

static void
test_load_files(void)
{
	const struct cg_rule *r;
	struct cg_conf *c;
	char err[512] = "";

	c = cg_conf_load(CG_SRC_DIR "/config/demo.toml", err, sizeof(err));
	if (c == NULL)
		printf("\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->dp.file_prefix, "cgdemo");
	CU_ASSERT_STRING_EQUAL(c->dp.lcores, "0");
	CU_ASSERT_EQUAL(c->dp.idle_sleep_us, 20);
	CU_ASSERT_EQUAL_FATAL(c->n_ports, 3);
	CU_ASSERT_STRING_EQUAL(c->ports[2].name, "rout1");
	CU_ASSERT_STRING_EQUAL(c->ports[2].device, "net_af_packet2,iface=rout1");
	CU_ASSERT_EQUAL(c->ports[1].ip, inet_addr("198.18.1.66"));
	CU_ASSERT_EQUAL(c->ports[1].prefix_len, 26);
	CU_ASSERT_EQUAL(cg_rule_set_count(c->rules), 3);
	r = cg_rule_set_find(c->rules, "cam2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->n_outputs, 2);
	CU_ASSERT_EQUAL(r->out[0].port_id, 1);
	CU_ASSERT_EQUAL(r->out[1].port_id, 2);
	CU_ASSERT_NOT_EQUAL(r->out[0].ttl, r->out[1].ttl);
	CU_ASSERT_EQUAL(r->out[1].dst, inet_addr("239.3.3.3"));
	r = cg_rule_set_find(c->rules, "cam3");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->in.dst, inet_addr("239.1.1.3"));
	CU_ASSERT_EQUAL(r->out[0].port_id, 2);
	cg_conf_free(c);

	c = cg_conf_load(CG_SRC_DIR "/config/castgate.toml.example", err, sizeof(err));
	if (c == NULL)
		printf("\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->n_ports, 2);
	CU_ASSERT_EQUAL(cg_rule_set_count(c->rules), 2);
	cg_conf_free(c);
}

static void
test_load_errors(void)
{
	char path[] = "/tmp/cg-conf-test-XXXXXX", want[600], err[512];
	struct cg_conf *c;
	FILE *f;
	int fd;

	errno = 0;
	c = cg_conf_load("/nonexistent/castgate.toml", err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/castgate.toml: "));

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(doc_with(8, "ip = \"198.18.1.2/26\"\nmtu = 100000"), f);
	fclose(f);
	c = cg_conf_load(path, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(errno, EINVAL);
	snprintf(want, sizeof(want), "%s: port[0].mtu (line 9): 100000 is out of range 68..9000",
		 path);
	CU_ASSERT_STRING_EQUAL(err, want);

	/* A TOML syntax error: the message of lib/toml, with the file name. */
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("[log]\nlevel = info\n", f);
	fclose(f);
	c = cg_conf_load(path, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	snprintf(want, sizeof(want), "%s: line 2: ", path);
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
	unlink(path);
}

/* [control] and [supervisor]: defaults, values, and errors naming the key. */
static void
test_control_supervisor(void)
{
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
		{ "[control]\nsocket = \"run/x.sock\"", "control.socket (line 21): \"run/x.sock\" is not an absolute path" },
		{ "[control]\nsocket = \"/run/castgate/a-socket-path-that-is-far-too-long-for-sun_path-which-holds-only-one-hundred-and-eight-bytes.sock\"", "control.socket (line 21): is 111 bytes long; at most 107" },
		{ "[control]\ngroup = \"cast gate\"", "control.group (line 21): \"cast gate\" is not a group name" },
		{ "[control]\nadmin_group = 7", "control.admin_group (line 21): " },
		{ "[control]\nstate_file = \"\"", "control.state_file (line 21): must not be empty" },
		{ "[control]\nmax_clients = 0", "control.max_clients (line 21): 0 is out of range 1..4096" },
		{ "[control]\nsokcet = \"/x\"", "control.sokcet (line 21): unknown key" },
		{ "[supervisor]\nrestart_min_ms = 500\nrestart_max_ms = 400", "supervisor.restart_max_ms (line 22): 400 is below restart_min_ms (500)" },
		{ "[supervisor]\nstop_timeout_s = 0", "supervisor.stop_timeout_s (line 21): 0 is out of range 1..600" },
		{ "[supervisor]\nrun_dir = \"tmp\"", "supervisor.run_dir (line 21): \"tmp\" is not an absolute path" },
	};
	char err[512] = "";
	struct cg_conf *c;

	c = load_text(doc_with(0, NULL), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->ctl.socket, "/run/castgate/control.sock");
	CU_ASSERT_STRING_EQUAL(c->ctl.group, "");
	CU_ASSERT_STRING_EQUAL(c->ctl.admin_group, "");
	CU_ASSERT_STRING_EQUAL(c->ctl.state_file, "/var/lib/castgate/rules.json");
	CU_ASSERT_EQUAL(c->ctl.max_clients, 64);
	CU_ASSERT_EQUAL(c->ctl.idle_timeout_ms, 60000);
	CU_ASSERT_EQUAL(c->ctl.request_timeout_ms, 5000);
	CU_ASSERT_EQUAL(c->ctl.max_request_bytes, 1u << 20);
	CU_ASSERT_STRING_EQUAL(c->ctl.metrics_listen, "127.0.0.1:9465");
	CU_ASSERT_STRING_EQUAL(c->sup.run_dir, "/run/castgate");
	CU_ASSERT_EQUAL(c->sup.restart_min_ms, 250);
	CU_ASSERT_EQUAL(c->sup.restart_max_ms, 16000);
	CU_ASSERT_EQUAL(c->sup.stable_s, 60);
	CU_ASSERT_EQUAL(c->sup.stop_timeout_s, 10);
	CU_ASSERT_EQUAL(c->sup.ready_timeout_s, 60);
	cg_conf_free(c);

	c = load_text(doc_with(0, "[control]\nsocket = \"/tmp/cg.sock\"\ngroup = \"castgate\"\n"
			       "admin_group = \"castgate-admin\"\nstate_file = \"/tmp/st.json\"\n"
			       "max_clients = 8\nidle_timeout_ms = 1000\nrequest_timeout_ms = 200\n"
			       "max_request_bytes = 4096\n[supervisor]\nrun_dir = \"/tmp/cgrun\"\n"
			       "restart_min_ms = 100\nrestart_max_ms = 1000\nstable_s = 5\n"
			       "stop_timeout_s = 3\nready_timeout_s = 20"), err, sizeof(err));
	if (c == NULL)
		printf("\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->ctl.socket, "/tmp/cg.sock");
	CU_ASSERT_STRING_EQUAL(c->ctl.group, "castgate");
	CU_ASSERT_STRING_EQUAL(c->ctl.admin_group, "castgate-admin");
	CU_ASSERT_STRING_EQUAL(c->ctl.state_file, "/tmp/st.json");
	CU_ASSERT_EQUAL(c->ctl.max_clients, 8);
	CU_ASSERT_EQUAL(c->ctl.idle_timeout_ms, 1000);
	CU_ASSERT_EQUAL(c->ctl.request_timeout_ms, 200);
	CU_ASSERT_EQUAL(c->ctl.max_request_bytes, 4096);
	CU_ASSERT_STRING_EQUAL(c->sup.run_dir, "/tmp/cgrun");
	CU_ASSERT_EQUAL(c->sup.restart_min_ms, 100);
	CU_ASSERT_EQUAL(c->sup.restart_max_ms, 1000);
	CU_ASSERT_EQUAL(c->sup.stable_s, 5);
	CU_ASSERT_EQUAL(c->sup.stop_timeout_s, 3);
	CU_ASSERT_EQUAL(c->sup.ready_timeout_s, 20);
	cg_conf_free(c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		c = load_text(doc_with(0, bad[i].text), err, sizeof(err));
		CU_ASSERT_PTR_NULL(c);
		if (strstr(err, bad[i].want) == NULL)
			printf("\nwant \"%s\"\n got \"%s\"\n", bad[i].want, err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].want));
		cg_conf_free(c);
	}
}

/* control.metrics_listen: ADDRESS:PORT or "", refused with the key named. */
static void
test_metrics_listen(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "[control]\nmetrics_listen = \"9465\"", "control.metrics_listen (line 21): "
		  "\"9465\": expected ADDRESS:PORT" },
		{ "[control]\nmetrics_listen = \"127.0.0.1:\"", "missing port" },
		{ "[control]\nmetrics_listen = \"127.0.0.1:0\"", "out of range 1..65535" },
		{ "[control]\nmetrics_listen = \"127.0.0.1:70000\"", "1..65535" },
		{ "[control]\nmetrics_listen = \"127.0.0.1:9x\"", "port must be a number" },
		{ "[control]\nmetrics_listen = \"localhost:9465\"", "is not an IPv4 address" },
		{ "[control]\nmetrics_listen = \"[::1:9465\"", "expected [::1]:PORT" },
		{ "[control]\nmetrics_listen = \"[x::y]:9465\"", "is not an IPv6 address" },
	};
	struct sockaddr_storage ss;
	char err[512] = "";
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct cg_conf *c;
	socklen_t len;

	c = load_text(doc_with(0, "[control]\nmetrics_listen = \"\""), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->ctl.metrics_listen, "");
	cg_conf_free(c);
	c = load_text(doc_with(0, "[control]\nmetrics_listen = \"[::1]:19465\""), err,
		      sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->ctl.metrics_listen, "[::1]:19465");
	cg_conf_free(c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		c = load_text(doc_with(0, bad[i].text), err, sizeof(err));
		CU_ASSERT_PTR_NULL(c);
		if (strstr(err, bad[i].want) == NULL)
			printf("\nwant \"%s\"\n got \"%s\"\n", bad[i].want, err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].want));
		cg_conf_free(c);
	}
	CU_ASSERT_EQUAL(cg_conf_listen_parse("", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(cg_conf_listen_parse("10.1.2.3:80", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(len, sizeof(*in4));
	CU_ASSERT_EQUAL(in4->sin_family, AF_INET);
	CU_ASSERT_EQUAL(ntohs(in4->sin_port), 80);
	CU_ASSERT_EQUAL(ntohl(in4->sin_addr.s_addr), 0x0a010203u);
	CU_ASSERT_EQUAL(cg_conf_listen_parse("[::1]:65535", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(len, sizeof(*in6));
	CU_ASSERT_EQUAL(in6->sin6_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(in6->sin6_port), 65535);
	CU_ASSERT_EQUAL(cg_conf_listen_parse("1.2.3:80", &ss, &len, err, sizeof(err)), -EINVAL);
}

int
main(void)
{
	static const struct cg_unit_test tests[] = {
		CG_UNIT_TEST(test_base_defaults),
		CG_UNIT_TEST(test_mbufs_default_scales),
		CG_UNIT_TEST(test_mbufs_per_worker),
		CG_UNIT_TEST(test_full),
		CG_UNIT_TEST(test_errors),
		CG_UNIT_TEST(test_rule_ids),
		CG_UNIT_TEST(test_sections),
		CG_UNIT_TEST(test_json_root),
		CG_UNIT_TEST(test_to_json_roundtrip),
		CG_UNIT_TEST(test_eal_argv),
		CG_UNIT_TEST(test_eal_argv_secondary),
		CG_UNIT_TEST(test_device_is_pci),
		CG_UNIT_TEST(test_kernel_iface),
		CG_UNIT_TEST(test_load_files),
		CG_UNIT_TEST(test_load_errors),
		CG_UNIT_TEST(test_max_rules),
		CG_UNIT_TEST(test_max_outputs),
		CG_UNIT_TEST(test_control_supervisor),
		CG_UNIT_TEST(test_metrics_listen),
		CG_UNIT_END,
	};

	return cg_unit_run("conf", tests);
}
