/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/docker's JSON model (cg_docker_model.c): the input
 * is parsed as JSON and given to cg_docker_container_from_json() (an inspect
 * document; for an array, as /containers/json returns, each element) and to
 * cg_docker_event_from_json() (one /events object). Either the document is
 * accepted with every string terminated inside its buffer, or refused with a
 * message; never a crash, a leak or undefined behaviour (UBSan is on: the
 * "time": 9300000000 overflow was found this way). Run with scripts/fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cg_docker.h"
#include "cg_log.h"
#include "fuzz_util.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static void
check_container(json_object *o)
{
	struct cg_docker_container c;
	char err[256];
	size_t i;

	memset(&c, 0x5a, sizeof(c));
	err[0] = '\0';
	if (cg_docker_container_from_json(o, &c, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0' && TERMINATED(err));
		FUZZ_CHECK(c.labels == NULL && c.n_nets == 0);
		return;
	}
	FUZZ_CHECK(TERMINATED(c.id) && TERMINATED(c.name) && TERMINATED(c.started_at) &&
		   TERMINATED(c.network_mode));
	FUZZ_CHECK(c.n_nets <= CG_DOCKER_MAX_NETS);
	for (i = 0; i < c.n_nets; i++) {
		FUZZ_CHECK(TERMINATED(c.nets[i].name) && TERMINATED(c.nets[i].ipv4) &&
			   TERMINATED(c.nets[i].ipv6));
		FUZZ_CHECK(cg_docker_container_net(&c, c.nets[i].name) != NULL);
		/* Sorted by name. */
		if (i > 0)
			FUZZ_CHECK(strcmp(c.nets[i - 1].name, c.nets[i].name) <= 0);
	}
	if (c.labels != NULL) {
		json_object_object_foreach(c.labels, k, v) {
			const char *s = cg_docker_container_label(&c, k);

			FUZZ_CHECK((s != NULL) == json_object_is_type(v, json_type_string));
		}
	}
	cg_docker_container_clear(&c);
	FUZZ_CHECK(c.labels == NULL);
}

static void
check_event(json_object *o)
{
	struct cg_docker_event ev;

	if (cg_docker_event_from_json(o, &ev) != 0)
		return;
	FUZZ_CHECK(TERMINATED(ev.action) && TERMINATED(ev.id) && TERMINATED(ev.name) &&
		   TERMINATED(ev.network));
	FUZZ_CHECK(ev.action[0] != '\0');
	FUZZ_CHECK(ev.type == CG_DOCKER_EV_CONTAINER || ev.type == CG_DOCKER_EV_NETWORK ||
		   ev.type == CG_DOCKER_EV_OTHER);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct json_tokener *tok;
	json_object *o;
	size_t i, n;
	char *text;

	if (!quiet) {
		/* The model warns about odd documents; keep the fuzzer's output readable. */
		cg_log_set_level(CG_LOG_ERR);
		quiet = true;
	}
	if (size > 65536)
		return 0;
	text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, text, (int)size);
	json_tokener_free(tok);
	free(text);
	if (o == NULL)
		return 0;
	check_container(o);
	check_event(o);
	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			check_container(json_object_array_get_idx(o, i));
			check_event(json_object_array_get_idx(o, i));
		}
	}
	json_object_put(o);
	return 0;
}
