/* SPDX-License-Identifier: BSD-3-Clause */
/* Help texts: each teaches its command with examples that work as typed. */
#include <errno.h>
#include <string.h>

#include "ctl.h"

static const char help_main[] =
"Usage: castgatectl [OPTIONS] COMMAND [ARGS...]\n"
"\n"
"Inspect and change a running castgate relay through castgate-control's\n"
"JSON-RPC socket.\n"
"\n"
"Commands:\n"
"  rule list                    the rules, from the config file and the API\n"
"  rule show NAME               one rule with its counters and rates\n"
"  rule add NAME --in PORT,GROUP,DPORT --out PORT,DST,DPORT[,ttl=N]... [--id N]\n"
"                               add a rule (durable: on disk before the reply)\n"
"  rule add --file FILE|-       add a rule given as JSON\n"
"  rule update ...              replace the rule of that name (same forms as add)\n"
"  rule del NAME                remove a rule\n"
"  stats [--rule NAME] [--watch [SECONDS]]\n"
"                               counters and rates of rules, ports, lcores, drops\n"
"  stats clear                  count from zero again\n"
"  port list                    the ports, their addresses and links\n"
"  port show NAME               one port with its counters and xstats\n"
"  system info                  versions, pids, uptimes, restarts, lcores\n"
"  system health                health checks (exit status 1 when degraded)\n"
"  config check [FILE]          validate a config file (default: the running one)\n"
"  config reload                apply the config file's [[rule]] changes\n"
"  call METHOD [JSON-PARAMS]    raw JSON-RPC call; prints the result\n"
"  console [-f FILE]            interactive console (testpmd style)\n"
"  help [COMMAND]               this text, or a command's\n"
"\n"
"Options (before COMMAND; --json also after it):\n"
"  -s, --socket PATH    the control socket; default $CASTGATE_SOCKET, else\n"
"                       control.socket of -c CONFIG, else\n"
"                       " CTL_DEFAULT_SOCKET "\n"
"  -c, --config FILE    take the socket path from this castgate.toml\n"
"      --json           print the raw JSON result instead of tables\n"
"  -t, --timeout MS     wait for the daemon at most MS ms (default 10000)\n"
"  -h, --help           this help; 'castgatectl COMMAND --help' for a command's\n"
"  -V, --version        print the version\n"
"\n"
"Examples:\n"
"  castgatectl rule add cam1 --in in0,239.1.1.1,5001 --out out0,239.10.1.1,6001,ttl=16\n"
"  castgatectl stats --watch\n"
"  castgatectl --json rule show cam1\n"
"  castgatectl -s /tmp/cg/control.sock console\n"
"\n"
"Exit status: 0 ok, 1 refused by the daemon, 2 usage error (nothing sent),\n"
"3 daemon unreachable, 4 not found, 5 permission denied.\n";

static const char help_rule[] =
"Usage: castgatectl rule list\n"
"       castgatectl rule show NAME\n"
"       castgatectl rule add NAME --in PORT,GROUP,DPORT[,source=IP]\n"
"                   --out PORT,DST,DPORT[,ttl=N][,sport=N][,source=IP][,mac=MAC]\n"
"                   [--out ...] [--id N]\n"
"       castgatectl rule add --file FILE|-\n"
"       castgatectl rule update (the same forms as add)\n"
"       castgatectl rule del NAME\n"
"\n"
"A rule matches UDP datagrams arriving on one port for one destination\n"
"(multicast group or unicast address) and UDP port, optionally from one source\n"
"only, and re-emits each of them on up to 16 outputs.\n"
"\n"
"  NAME               1..63 characters of A-Z a-z 0-9 _ . -\n"
"  --in PORT,GROUP,DPORT[,source=IP]\n"
"                     what to match: receiving port (a name from 'port list'),\n"
"                     destination address, UDP destination port; source=IP\n"
"                     matches only that sender (an (S,G) rule)\n"
"  --out PORT,DST,DPORT[,KEY=VALUE...]\n"
"                     one re-emission (repeat for fan-out): sending port, new\n"
"                     destination and UDP port; optional keys:\n"
"                       ttl=N      IP TTL 1..255 (default 64)\n"
"                       sport=N    UDP source port (default: the received one)\n"
"                       source=IP  IP source (default: the output port's address)\n"
"                       mac=MAC    next-hop MAC of a unicast DST (default: ARP)\n"
"  --id N             the rule's id (default: the next free one from 1048576,\n"
"                     above the ids config rules get without one)\n"
"  --file FILE|-      the rule as JSON: {\"name\": ..., \"input\": {...},\n"
"                     \"output\": [{...}]}, or what 'castgatectl --json rule show'\n"
"                     prints\n"
"\n"
"Rules added here are API rules, kept in the state file; rules of the config\n"
"file (origin config) can only be changed by editing the file and reloading.\n"
"update replaces the whole rule of that name; del removes it at once.\n"
"\n"
"Examples:\n"
"  castgatectl rule add cam1 --in in0,239.1.1.1,5001 --out out0,239.10.1.1,6001,ttl=16\n"
"  castgatectl rule add cam2 --in in0,239.1.1.2,5001,source=198.18.0.10 \\\n"
"      --out out0,239.10.1.2,6001 --out out1,198.18.7.20,7000,mac=02:00:00:00:07:20\n"
"  castgatectl rule update cam1 --in in0,239.1.1.1,5001 --out out0,239.10.1.1,6002\n"
"  castgatectl --json rule show cam1 > cam1.json; castgatectl rule add --file cam1.json\n"
"  castgatectl rule del cam2\n"
"\n"
"Exit status 2 for a bad rule (nothing sent; the message names the field, e.g.\n"
"params.rule.output[0].ttl), 1 when the daemon refuses it (name, id or match\n"
"already used, unknown port, config rule), 4 when NAME does not exist.\n";

static const char help_stats[] =
"Usage: castgatectl stats [--rule NAME] [--watch [SECONDS]]\n"
"       castgatectl stats clear\n"
"\n"
"Counters since the last 'stats clear' (or the start), and rates over the last\n"
"second: totals, every rule and each of its outputs, every port (rx and tx),\n"
"every lcore, and the drop reasons that are not zero ('--json' has them all).\n"
"\n"
"  --rule NAME        only that rule\n"
"  --watch [SECONDS]  refresh every SECONDS (default 1, 0.1..86400): in place on\n"
"                     a terminal, appended otherwise (with --json: one JSON\n"
"                     object per line); Ctrl-C stops it with exit status 0\n"
"\n"
"'stats clear' resets what castgatectl and the console show; the data plane's\n"
"own counters are never written.\n"
"\n"
"Examples:\n"
"  castgatectl stats\n"
"  castgatectl stats --rule cam1 --watch 2\n"
"  castgatectl --json stats | jq '.totals.rx_pps'\n";

static const char help_port[] =
"Usage: castgatectl port list\n"
"       castgatectl port show NAME\n"
"\n"
"list: every port with its id, driver, MAC, address, MTU, queues and link.\n"
"show: one port, its rx/tx counters and rates (ethdev stats since 'stats\n"
"clear'), and its non-zero xstats ('--json' shows all of them).\n"
"\n"
"Examples:\n"
"  castgatectl port list\n"
"  castgatectl port show in0\n";

static const char help_system[] =
"Usage: castgatectl system info\n"
"       castgatectl system health\n"
"\n"
"info: castgate and DPDK versions, config and state file, the pids, uptimes\n"
"and restart counts of the data plane, control process and supervisor, the\n"
"lcores and the control socket's counters.\n"
"health: the data plane is alive, each port's link, the state file's rules\n"
"were all installed. Exit status 0 when healthy, 1 when degraded.\n"
"\n"
"Examples:\n"
"  castgatectl system info\n"
"  castgatectl system health || alert 'castgate degraded'\n";

static const char help_config[] =
"Usage: castgatectl config check [FILE]\n"
"       castgatectl config reload\n"
"\n"
"check: validate FILE (default: the running config file) as the daemon would\n"
"load it, and list the config rules a reload would add, update and remove.\n"
"Exit status 1 when the file is invalid; the message names the key and line.\n"
"reload: re-read the config file and apply its [[rule]] changes (the same as\n"
"SIGHUP to castgate). Refused, with nothing changed, when a new or changed\n"
"config rule conflicts with an API rule. [[port]] and [dataplane] changes need\n"
"a restart.\n"
"\n"
"Examples:\n"
"  castgatectl config check /etc/castgate/castgate.toml.new\n"
"  castgatectl config reload\n";

static const char help_call[] =
"Usage: castgatectl call METHOD [JSON-PARAMS]\n"
"\n"
"Call any JSON-RPC method of castgate-control and print its result as JSON\n"
"(docs/API.md lists them). Errors are printed and mapped to the exit status\n"
"as for every command.\n"
"\n"
"Examples:\n"
"  castgatectl call rule.list\n"
"  castgatectl call stats.get '{\"rule\": \"cam1\"}'\n";

static const char help_console[] =
"Usage: castgatectl console [-f FILE]\n"
"\n"
"An interactive console in the style of testpmd: line editing, history (in\n"
"~/.castgate_history), Tab completion of commands, rule names and port names.\n"
"Type 'help' inside for its commands. Ctrl-D or 'quit' leaves it.\n"
"\n"
"  -f FILE   run the commands of FILE, one a line ('#' starts a comment),\n"
"            echoing each as 'castgate> LINE' before its output; every line\n"
"            runs, and the exit status is that of the first failing line.\n"
"            Commands are also read this way from a standard input that is\n"
"            not a terminal.\n"
"\n"
"Examples:\n"
"  castgatectl console\n"
"  castgatectl console -f setup.txt\n"
"  echo 'show port stats all' | castgatectl console\n";

int
ctl_help(FILE *f, const char *topic)
{
	static const struct { const char *name; const char *text; } topics[] = {
		{ "rule", help_rule }, { "rules", help_rule }, { "stats", help_stats },
		{ "port", help_port }, { "ports", help_port }, { "system", help_system },
		{ "config", help_config }, { "call", help_call }, { "console", help_console },
	};

	if (topic != NULL) {
		for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
			if (strcmp(topic, topics[i].name) == 0) {
				fputs(topics[i].text, f);
				return 0;
			}
		}
		fprintf(stderr, "castgatectl: no help on \"%s\"; the commands are:\n\n", topic);
		fputs(help_main, stderr);
		return -ENOENT;
	}
	fputs(help_main, f);
	return 0;
}
