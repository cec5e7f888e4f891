/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/rule: the input is read as strict JSON and as a
 * TOML document (lib/toml, the config file's path: the document itself and
 * each [[rule]] table). A rule that cg_rule_from_json() accepts must pass
 * cg_rule_validate(), and cg_rule_to_json() of it must parse back into a
 * rule that is cg_rule_equal() to it; a refusal must say why. Run with
 * scripts/fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cg_rule.h"
#include "cg_toml.h"
#include "fuzz_util.h"

static void
check_rule(json_object *o)
{
	struct cg_rule r, back;
	json_object *j, *j2;
	const char *text;
	char err[512];

	err[0] = '\0';
	if (cg_rule_from_json(o, "rule", &r, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
		return;
	}
	FUZZ_CHECK(cg_rule_validate(&r, err, sizeof(err)) == 0);
	FUZZ_CHECK(cg_rule_name_valid(r.name));
	j = cg_rule_to_json(&r);
	FUZZ_CHECK(j != NULL);
	/* Through text, as the state file and the API carry it. */
	text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	FUZZ_CHECK(text != NULL);
	j2 = json_tokener_parse(text);
	FUZZ_CHECK(j2 != NULL);
	if (cg_rule_from_json(j2, "back", &back, err, sizeof(err)) != 0) {
		fprintf(stderr, "round trip refused: %s\n%s\n", err, text);
		abort();
	}
	FUZZ_CHECK(cg_rule_equal(&r, &back));
	FUZZ_CHECK(cg_rule_equal(&back, &r));
	json_object_put(j2);
	json_object_put(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	json_object *o, *rules;
	char *text, err[256];
	size_t i, n;

	if (size > 65536)
		return 0;
	text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);

	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)size);
	if (o != NULL) {
		check_rule(o);
		json_object_put(o);
	}
	json_tokener_free(tok);

	o = cg_toml_parse(text, size, err, sizeof(err));
	if (o != NULL) {
		check_rule(o);
		if (json_object_object_get_ex(o, "rule", &rules) &&
		    json_object_is_type(rules, json_type_array)) {
			n = json_object_array_length(rules);
			for (i = 0; i < n; i++)
				check_rule(json_object_array_get_idx(rules, i));
		}
		json_object_put(o);
	}
	free(text);
	return 0;
}
