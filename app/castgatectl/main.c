/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgatectl: the command-line client of castgate-control (JSON-RPC over a
 * Unix socket). Global options here; the commands are the rows of
 * ctl_table.c. `castgatectl __complete [OPTIONS] WORDS... PARTIAL` (hidden)
 * prints the Tab candidates for bash (config/bash-completion/castgatectl).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cg_rpc.h"
#include "cg_toml.h"
#include "ctl.h"

/* control.socket of a castgate.toml, or the default when the key is absent. */
static int
socket_from_config(const char *path, char *out, size_t size)
{
	json_object *root, *ctl = NULL;
	const char *sock = NULL;
	char err[512];
	int ret;

	root = cg_toml_parse_file(path, err, sizeof(err));
	if (root == NULL) {
		fprintf(stderr, "castgatectl: %s\n", err);
		return -EINVAL;
	}
	ret = cg_toml_get_table(root, "", "control", false, &ctl, err, sizeof(err));
	if (ret == 0 || ret == -ENOENT)
		ret = cg_toml_get_string(ctl, "control", "socket", false, &sock, err, sizeof(err));
	if (ret == -EINVAL) {
		fprintf(stderr, "castgatectl: %s: %s\n", path, err);
		json_object_put(root);
		return ret;
	}
	snprintf(out, size, "%s", sock != NULL ? sock : CTL_DEFAULT_SOCKET);
	json_object_put(root);
	return 0;
}

/* The table's first words, once each, for "a COMMAND is needed (rule, stats, ...)". */
static const char *
command_words(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (const struct ctl_cmd *cmd = ctl_cmds; cmd->words != NULL; cmd++) {
		size_t w = strcspn(cmd->words, " ");
		const struct ctl_cmd *prev = ctl_cmds;

		while (prev < cmd && (strncmp(prev->words, cmd->words, w) != 0 ||
				      (prev->words[w] != ' ' && prev->words[w] != '\0')))
			prev++;
		if (prev < cmd || (cmd->flags & CTL_CMD_CONSOLE))
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%.*s", len ? ", " : "", (int)w,
					cmd->words);
		if (len >= size)
			break;
	}
	return buf;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .timeout_ms = CTL_DEFAULT_TIMEOUT_MS, .out = stdout };
	const char *sock = NULL, *conf = NULL;
	static char conf_sock[4096];
	char words[256];
	/* __complete: the options of the line being completed come after it */
	bool complete = argc > 1 && strcmp(argv[1], "__complete") == 0;
	unsigned long v;
	int opt, ret, n;
	char **args;

	if (complete) {
		argv++;
		argc--;
		c.timeout_ms = 1000;
		c.quiet = true;
	}

	/* No SIGPIPE handling: lib/rpc sends with MSG_NOSIGNAL, and a closed
	 * stdout (castgatectl stats --watch | head) ends us as it ends cat. */
	opterr = 0;
	/* '+': stop at COMMAND, whose own options are its business */
	while ((opt = getopt_long(argc, argv, "+s:c:t:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 't':
			if (ctl_parse_uint(optarg, 1, 3600000, &v) < 0)
				return ctl_usage_error(NULL, "-t: \"%s\" is not a number of "
						       "milliseconds in 1..3600000", optarg);
			c.timeout_ms = (int)v;
			break;
		case 'j':
			c.json = true;
			break;
		case 'h':
			ctl_help(stdout, 0, NULL);
			return CG_EXIT_OK;
		case 'V':
			printf("castgatectl %s\n", CG_VERSION);
			return CG_EXIT_OK;
		case ':':
			if (complete)
				return CG_EXIT_OK;
			return ctl_usage_error(NULL, "%s needs a value", argv[optind - 1]);
		default:
			if (complete)
				return CG_EXIT_OK;
			return ctl_usage_error(NULL, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc && !complete)
		return ctl_usage_error(NULL, "a COMMAND is needed (%s)", command_words(words,
											  sizeof(words)));

	if (sock == NULL)
		sock = getenv("CASTGATE_SOCKET");
	if ((sock == NULL || *sock == '\0') && conf != NULL) {
		if (socket_from_config(conf, conf_sock, sizeof(conf_sock)) < 0)
			return CG_EXIT_USAGE;
		sock = conf_sock;
	}
	if (sock == NULL || *sock == '\0')
		sock = CTL_DEFAULT_SOCKET;
	c.socket = sock;

	/* --json is also taken after the command ("castgatectl rule list --json"). */
	args = argv + optind;
	n = 0;
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c.json = true;
		else
			args[n++] = argv[i];
	}
	if (complete)
		ret = ctl_complete_run(&c, n, args);
	else if (n == 0)
		ret = ctl_usage_error(NULL, "a COMMAND is needed (%s)",
				      command_words(words, sizeof(words)));
	else
		ret = ctl_cmd_run(&c, n, args);
	ctl_disconnect(&c);
	if (fflush(stdout) != 0 && ret == CG_EXIT_OK) {
		fprintf(stderr, "castgatectl: writing the output: %s\n", strerror(errno));
		ret = CG_EXIT_FAILURE;
	}
	return ret;
}
