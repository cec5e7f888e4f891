/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/toml: any input must either parse into a tree that
 * the schema helpers and json-c can walk, or be rejected with a "line N: "
 * message - never crash, leak or trip a sanitizer. Run with scripts/fuzz.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cg_toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every value must carry a plausible line, and the helpers must accept the tree. */
static void
walk(json_object *o, const char *path, unsigned int depth)
{
	char err[256], sub[512];
	size_t i, n;

	if (depth > CG_TOML_MAX_DEPTH + 1 || cg_toml_line(o) == 0)
		abort();
	if (json_object_is_type(o, json_type_object)) {
		static const char *const allowed[] = { "a", "b", NULL };

		cg_toml_check_keys(o, path, allowed, err, sizeof(err));
		json_object_object_foreach(o, k, v) {
			const char *s;
			int64_t i64;
			double d;
			bool b;
			json_object *t;

			/* each getter on each key: exercises type errors and paths */
			cg_toml_get_string(o, path, k, true, &s, err, sizeof(err));
			cg_toml_get_int(o, path, k, true, -5, 5, &i64, err, sizeof(err));
			cg_toml_get_bool(o, path, k, true, &b, err, sizeof(err));
			cg_toml_get_double(o, path, k, true, &d, err, sizeof(err));
			cg_toml_get_table(o, path, k, true, &t, err, sizeof(err));
			cg_toml_get_array(o, path, k, true, &t, err, sizeof(err));
			walk(v, cg_toml_path(sub, sizeof(sub), path, k), depth + 1);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			walk(json_object_array_get_idx(o, i),
			     cg_toml_path_index(sub, sizeof(sub), path, i), depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_object *o;

	/* Copy so that ASan catches any read past the end (the input is not
	 * NUL-terminated, and neither is this copy). */
	char *text = malloc(size ? size : 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	o = cg_toml_parse(text, size, err, sizeof(err));
	if (o == NULL) {
		if (errno != ENOMEM && strncmp(err, "line ", 5) != 0 &&
		    strncmp(err, "document is larger", 18) != 0)
			abort();	/* every rejection must say where */
	} else {
		walk(o, "", 0);
		(void)json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		json_object_put(o);
	}
	free(text);
	return 0;
}
