/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The durable rule state file: strict reading, atomic and durable writing.
 *
 * Reading is as strict as the config file: an unknown key, a wrong type or
 * an invalid rule is an error that names the key, because a state file that
 * is silently half-read loses acknowledged rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cg_state.h"
#include "cg_util.h"

/* Far above any real set (1024 rules of ~1 KiB JSON each), far below harm. */
/* About 250 bytes per rule: room for a million API rules ([dataplane] max_rules). */
#define STATE_MAX_BYTES (256u << 20)

static int
read_all(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t off = 0;
	char *buf;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: fstat: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > STATE_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ?
			 "larger than 256 MiB" : "not a regular file");
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: read: %s", path, strerror(-ret));
			free(buf);
			close(fd);
			return ret;
		}
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*text = buf;
	*len = off;
	return 0;
}

static int
parse_doc(const char *path, json_object *root, struct cg_rule_set *set, char *err,
	  size_t errlen)
{
	json_object *v, *rules = NULL;
	char msg[512], where[32];
	bool have_version = false;

	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "%s: expected a JSON object at the top", path);
		return -EINVAL;
	}
	json_object_object_foreach(root, key, val) {
		if (strcmp(key, "castgate_state") == 0) {
			if (!json_object_is_type(val, json_type_int) ||
			    json_object_get_int64(val) != CG_STATE_VERSION) {
				snprintf(err, errlen, "%s: castgate_state: version %s is not "
					 "supported (this build reads %d)", path,
					 json_object_to_json_string(val), CG_STATE_VERSION);
				return -EINVAL;
			}
			have_version = true;
		} else if (strcmp(key, "saved_unix_ms") == 0) {
			if (!json_object_is_type(val, json_type_int)) {
				snprintf(err, errlen, "%s: saved_unix_ms: expected an integer",
					 path);
				return -EINVAL;
			}
		} else if (strcmp(key, "rules") == 0) {
			rules = val;
		} else {
			snprintf(err, errlen, "%s: %s: unknown key", path, key);
			return -EINVAL;
		}
	}
	if (!have_version) {
		snprintf(err, errlen, "%s: castgate_state: missing (not a castgate state file?)",
			 path);
		return -EINVAL;
	}
	if (rules == NULL) {
		snprintf(err, errlen, "%s: rules: missing", path);
		return -EINVAL;
	}
	if (!json_object_is_type(rules, json_type_array)) {
		snprintf(err, errlen, "%s: rules: expected an array", path);
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		struct cg_rule r;
		int ret;

		v = json_object_array_get_idx(rules, i);
		snprintf(where, sizeof(where), "rules[%zu]", i);
		ret = cg_rule_from_json(v, where, &r, msg, sizeof(msg));
		if (ret == 0)
			ret = cg_rule_set_add(set, &r, msg, sizeof(msg));
		if (ret < 0) {
			if (ret == -EEXIST)
				snprintf(err, errlen, "%s: %s: %s", path, where, msg);
			else
				snprintf(err, errlen, "%s: %s", path, msg);
			return ret == -ENOMEM ? -ENOMEM : -EINVAL;
		}
	}
	return 0;
}

int
cg_state_load(const char *path, struct cg_rule_set **set, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *root;
	char *text = NULL;
	size_t len = 0;
	int ret;

	*set = NULL;
	ret = read_all(path, &text, &len, err, errlen);
	if (ret == -ENOENT) {
		*set = cg_rule_set_new();
		return *set == NULL ? -ENOMEM : 0;
	}
	if (ret < 0) {
		if (ret != -EINVAL && ret != -ENOMEM && ret != -EIO)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	tok = json_tokener_new();
	if (tok == NULL) {
		free(text);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (root == NULL || json_tokener_get_parse_end(tok) < len) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		/* Only white space may follow the value. */
		size_t end = json_tokener_get_parse_end(tok);

		while (root != NULL && end < len && strchr(" \t\r\n", text[end]) != NULL)
			end++;
		if (root == NULL || end < len) {
			snprintf(err, errlen, "%s: not valid JSON at byte %zu: %s", path,
				 json_tokener_get_parse_end(tok),
				 root == NULL ? json_tokener_error_desc(je) : "text after the value");
			json_object_put(root);
			json_tokener_free(tok);
			free(text);
			return -EINVAL;
		}
	}
	json_tokener_free(tok);
	free(text);

	*set = cg_rule_set_new();
	if (*set == NULL) {
		json_object_put(root);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	ret = parse_doc(path, root, *set, err, errlen);
	json_object_put(root);
	if (ret < 0) {
		cg_rule_set_free(*set);
		*set = NULL;
	}
	return ret;
}

static char *
to_text(const struct cg_rule_set *set)
{
	json_object *root = json_object_new_object(), *rules = json_object_new_array();
	const struct cg_rule *r;
	struct timespec ts;
	char *text = NULL;
	bool ok = root != NULL && rules != NULL;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	CG_RULE_SET_FOREACH(set, i, r) {
		json_object *j = ok ? cg_rule_to_json(r) : NULL;

		if (j == NULL || json_object_array_add(rules, j) < 0) {
			json_object_put(j);
			ok = false;
			break;
		}
	}
	if (ok && (json_object_object_add(root, "castgate_state",
					  json_object_new_int(CG_STATE_VERSION)) < 0 ||
		   json_object_object_add(root, "saved_unix_ms",
					  json_object_new_int64((int64_t)ts.tv_sec * 1000 +
								ts.tv_nsec / 1000000)) < 0))
		ok = false;
	if (ok && json_object_object_add(root, "rules", rules) == 0) {
		const char *s;

		rules = NULL;
		/* Pretty: operators read and diff this file. */
		s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
		text = s != NULL ? strdup(s) : NULL;
	}
	json_object_put(rules);
	json_object_put(root);
	return text;
}

int
cg_state_save(const char *path, const struct cg_rule_set *set, char *err, size_t errlen)
{
	const char *step;
	char *text;
	size_t len;
	int ret;

	text = to_text(set);
	if (text == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	/* One line more: the file ends with a newline, as text files do. */
	len = strlen(text);
	text[len] = '\n';
	ret = cg_util_write_file(path, text, len + 1, 0640, true, &step);
	free(text);
	if (ret < 0)
		snprintf(err, errlen, "%s: %s: %s", path, step, strerror(-ret));
	return ret;
}
