/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * castgate-gen: sends numbered, checked UDP datagrams and receives them on
 * the far side of a relay, to tell what the relay did to them.
 */
#include <stdio.h>
#include <string.h>

#include "cg_log.h"
#include "gen_args.h"
#include "gen_net.h"
#include "gen_recv.h"
#include "gen_send.h"

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	cg_log_init("castgate-gen", CG_LOG_INFO, CG_LOG_FMT_TEXT);
	if (cmd == NULL) {
		gen_usage(stderr);
		return CG_EXIT_USAGE;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		gen_usage(stdout);
		return CG_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("castgate-gen %s\n", CG_VERSION);
		return CG_EXIT_OK;
	}
	gen_signals_init();
	if (strcmp(cmd, "send") == 0) {
		struct gen_send_opts o;

		switch (gen_args_send(argc - 1, argv + 1, &o)) {
		case GEN_ARGS_OK: return gen_send_run(&o);
		case GEN_ARGS_HELP: return CG_EXIT_OK;
		default: return CG_EXIT_USAGE;
		}
	}
	if (strcmp(cmd, "recv") == 0) {
		struct gen_recv_opts o;

		switch (gen_args_recv(argc - 1, argv + 1, &o)) {
		case GEN_ARGS_OK: return gen_recv_run(&o);
		case GEN_ARGS_HELP: return CG_EXIT_OK;
		default: return CG_EXIT_USAGE;
		}
	}
	fprintf(stderr, "castgate-gen: unknown command '%s'; use send or recv (see --help)\n", cmd);
	return CG_EXIT_USAGE;
}
