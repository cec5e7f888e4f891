/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The durable rule state: a snapshot and a journal of the changes since.
 *
 * Reading is as strict as the config file: an unknown key, a wrong type or
 * an invalid rule is an error that names the key, because a state file that
 * is silently half-read loses acknowledged rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cg_state.h"
#include "cg_util.h"

/* About 250 bytes per rule: room for a million API rules ([dataplane] max_rules). */
#define STATE_MAX_BYTES (256u << 20)

/* Read all of @fd (opened on @path), which is closed. */
static int
read_all(int fd, const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t off = 0;
	char *buf;
	int ret;

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
parse_doc(const char *path, json_object *root, struct cg_rule_set *set, uint64_t *generation,
	  char *err, size_t errlen)
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
			    json_object_get_int64(val) < 1 ||
			    json_object_get_int64(val) > CG_STATE_VERSION) {
				snprintf(err, errlen, "%s: castgate_state: version %s is not "
					 "supported (this build reads 1 to %d)", path,
					 json_object_to_json_string(val), CG_STATE_VERSION);
				return -EINVAL;
			}
			have_version = true;
		} else if (strcmp(key, "generation") == 0) {
			if (!json_object_is_type(val, json_type_int) ||
			    json_object_get_int64(val) < 0) {
				snprintf(err, errlen, "%s: generation: expected an integer >= 0",
					 path);
				return -EINVAL;
			}
			*generation = (uint64_t)json_object_get_int64(val);
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

/*
 * One JSON value from @text[0..len), strictly: only white space may follow.
 * @return the value, or NULL with @err set ("not valid JSON at byte N: ...";
 * @where names the file, or the file and the journal's line).
 */
static json_object *
parse_json(const char *where, const char *text, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root;
	size_t end;

	if (tok == NULL) {
		snprintf(err, errlen, "%s: out of memory", where);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	while (root != NULL && end < len && strchr(" \t\r\n", text[end]) != NULL)
		end++;
	if (root == NULL || end < len) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		/* json-c says "continue" for a value the text ends inside */
		snprintf(err, errlen, "%s: not valid JSON at byte %zu: %s", where,
			 json_tokener_get_parse_end(tok), root != NULL ? "text after the value" :
			 je == json_tokener_continue ? "the file ends inside a value" :
			 json_tokener_error_desc(je));
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

static void
journal_path(char *out, size_t len, const char *path)
{
	snprintf(out, len, "%s.journal", path);
}

/* The header line: {"castgate_journal": 1, "generation": G}. */
static int
journal_header(const char *where, json_object *o, uint64_t *generation, char *err,
	       size_t errlen)
{
	json_object *v, *g;

	if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) != 2 ||
	    !json_object_object_get_ex(o, "castgate_journal", &v) ||
	    !json_object_object_get_ex(o, "generation", &g) ||
	    !json_object_is_type(g, json_type_int) || json_object_get_int64(g) < 0) {
		snprintf(err, errlen, "%s: expected {\"castgate_journal\": %d, \"generation\": N} "
			 "(not a castgate journal?)", where, CG_STATE_JOURNAL_VERSION);
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != CG_STATE_JOURNAL_VERSION) {
		snprintf(err, errlen, "%s: castgate_journal: version %s is not supported (this "
			 "build reads %d)", where, json_object_to_json_string(v),
			 CG_STATE_JOURNAL_VERSION);
		return -EINVAL;
	}
	*generation = (uint64_t)json_object_get_int64(g);
	return 0;
}

/* One change line: {"put": RULE} or {"remove": "name"}, applied to @set. */
static int
journal_apply(const char *where, json_object *o, struct cg_rule_set *set, char *err,
	      size_t errlen)
{
	char msg[512], key[48];
	struct cg_rule r;
	json_object *v;
	int ret;

	if (json_object_is_type(o, json_type_object) && json_object_object_length(o) == 1 &&
	    json_object_object_get_ex(o, "remove", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "%s: remove: expected a rule name", where);
			return -EINVAL;
		}
		/* Already gone is fine: the change it records is made. */
		(void)cg_rule_set_remove(set, json_object_get_string(v));
		return 0;
	}
	if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) != 1 ||
	    !json_object_object_get_ex(o, "put", &v)) {
		snprintf(err, errlen, "%s: expected {\"put\": RULE} or {\"remove\": NAME}", where);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "put");
	ret = cg_rule_from_json(v, key, &r, msg, sizeof(msg));
	if (ret == 0) {
		(void)cg_rule_set_remove(set, r.name);
		ret = cg_rule_set_add(set, &r, msg, sizeof(msg));
	}
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", where, msg);
		return ret == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	return 0;
}

/*
 * Apply the journal read from @fd on top of @set (snapshot of @generation).
 * Fills st's journal fields when @st is not NULL.
 */
static int
journal_replay(int fd, const char *jpath, uint64_t generation, struct cg_rule_set *set,
	       struct cg_state *st, char *err, size_t errlen)
{
	char *text = NULL, where[4200];
	uint64_t jgen = 0, changes = 0;
	size_t len = 0, off = 0, line = 0;
	int ret;

	ret = read_all(fd, jpath, &text, &len, err, errlen);
	if (ret < 0) {
		if (ret != -EINVAL && ret != -ENOMEM && ret != -EIO)
			snprintf(err, errlen, "%s: %s", jpath, strerror(-ret));
		return ret;
	}
	while (off < len) {
		char *nl = memchr(text + off, '\n', len - off);
		json_object *o;

		/* A line without its newline: an append a crash cut short. */
		if (nl == NULL)
			break;
		line++;
		snprintf(where, sizeof(where), "%s: line %zu", jpath, line);
		o = parse_json(where, text + off, (size_t)(nl - (text + off)), err, errlen);
		if (o == NULL) {
			ret = -EINVAL;
			break;
		}
		if (line == 1) {
			ret = journal_header(where, o, &jgen, err, errlen);
			json_object_put(o);
			if (ret < 0)
				break;
			if (jgen != generation) {
				/* Left by a fold: its changes are in the snapshot. */
				off = len;
				line = 0;
				break;
			}
		} else {
			ret = journal_apply(where, o, set, err, errlen);
			json_object_put(o);
			if (ret < 0)
				break;
			changes++;
		}
		off = (size_t)(nl - text) + 1;
	}
	free(text);
	if (ret == 0 && st != NULL && line > 0) {
		st->journal_bytes = off;
		st->journal_changes = changes;
	}
	return ret;
}

int
cg_state_load(const char *path, struct cg_rule_set **set, struct cg_state *st, char *err,
	      size_t errlen)
{
	char jpath[sizeof(st->path) + 16];
	uint64_t generation = 0;
	struct stat sb;
	json_object *root;
	char *text = NULL;
	size_t len = 0;
	int fd, jfd, ret;

	*set = NULL;
	if (st != NULL) {
		memset(st, 0, sizeof(*st));
		if (snprintf(st->path, sizeof(st->path), "%s", path) >= (int)sizeof(st->path)) {
			snprintf(err, errlen, "%s: path too long", path);
			return -ENAMETOOLONG;
		}
	}
	journal_path(jpath, sizeof(jpath), path);
	/*
	 * The journal is opened before the snapshot is read: a fold between the
	 * two then shows as a journal of an older generation (ignored, the new
	 * snapshot has its changes), never as changes lost.
	 */
	jfd = open(jpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (jfd < 0 && errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", jpath, strerror(-ret));
		return ret;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto out_jfd;
	}
	*set = cg_rule_set_new();
	if (*set == NULL) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		ret = -ENOMEM;
		goto out_jfd;
	}
	/* A missing snapshot is a fresh installation: no API rules yet. */
	if (fd >= 0) {
		ret = read_all(fd, path, &text, &len, err, errlen);
		if (ret < 0) {
			if (ret != -EINVAL && ret != -ENOMEM && ret != -EIO)
				snprintf(err, errlen, "%s: %s", path, strerror(-ret));
			goto fail;
		}
		root = parse_json(path, text, len, err, errlen);
		free(text);
		if (root == NULL) {
			ret = -EINVAL;
			goto fail;
		}
		ret = parse_doc(path, root, *set, &generation, err, errlen);
		json_object_put(root);
		if (ret < 0)
			goto fail;
		if (st != NULL)
			st->snapshot_bytes = len;
		if (st != NULL && stat(path, &sb) == 0) {
			st->snapshot_known = true;
			st->snapshot_dev = sb.st_dev;
			st->snapshot_ino = sb.st_ino;
		}
	}
	if (st != NULL)
		st->generation = generation;
	if (jfd >= 0) {
		ret = journal_replay(jfd, jpath, generation, *set, st, err, errlen);
		jfd = -1;	/* closed by read_all() */
		if (ret < 0)
			goto fail;
	}
	return 0;
fail:
	cg_rule_set_free(*set);
	*set = NULL;
out_jfd:
	if (jfd >= 0)
		close(jfd);
	return ret;
}

static char *
to_text(const struct cg_rule_set *set, uint64_t generation)
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
		   json_object_object_add(root, "generation",
					  json_object_new_int64((int64_t)generation)) < 0 ||
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
cg_state_save(struct cg_state *st, const struct cg_rule_set *set, char *err, size_t errlen)
{
	char jpath[sizeof(st->path) + 16];
	const char *step;
	struct stat sb;
	char *text;
	size_t len;
	int ret;

	/* Beyond int64 would not read back; a wrap in practice never comes. */
	if (st->generation >= INT64_MAX) {
		snprintf(err, errlen, "%s: generation %" PRIu64 " cannot grow", st->path,
			 st->generation);
		return -EOVERFLOW;
	}
	text = to_text(set, st->generation + 1);
	if (text == NULL) {
		snprintf(err, errlen, "%s: out of memory", st->path);
		return -ENOMEM;
	}
	/* One line more: the file ends with a newline, as text files do. */
	len = strlen(text);
	text[len] = '\n';
	ret = cg_util_write_file(st->path, text, len + 1, 0640, true, &step);
	free(text);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s: %s", st->path, step, strerror(-ret));
		return ret;
	}
	st->generation++;
	st->snapshot_bytes = len + 1;
	st->snapshot_known = stat(st->path, &sb) == 0;
	st->snapshot_dev = sb.st_dev;
	st->snapshot_ino = sb.st_ino;
	st->journal_bytes = 0;
	st->journal_changes = 0;
	st->journal_broken = false;
	/* A journal left behind now is of an older generation: ignored on reading. */
	journal_path(jpath, sizeof(jpath), st->path);
	(void)unlink(jpath);
	return 0;
}

static int
append_line(char **buf, size_t *len, size_t *cap, json_object *o)
{
	const char *s = o != NULL ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE) :
				    NULL;
	size_t n = s != NULL ? strlen(s) : 0;

	if (s == NULL)
		return -ENOMEM;
	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 4096);
		char *nb;

		while (ncap < *len + n + 1)
			ncap *= 2;
		nb = realloc(*buf, ncap);
		if (nb == NULL)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	(*buf)[*len + n] = '\n';
	*len += n + 1;
	return 0;
}

/* The lines for @ch (and the header first when @header), in one buffer. */
static int
journal_text(const struct cg_state *st, const struct cg_state_change *ch, size_t n, bool header,
	     char **out, size_t *outlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int ret = 0;

	if (header) {
		json_object *h = json_object_new_object();

		if (h == NULL ||
		    json_object_object_add(h, "castgate_journal",
					   json_object_new_int(CG_STATE_JOURNAL_VERSION)) < 0 ||
		    json_object_object_add(h, "generation",
					   json_object_new_int64((int64_t)st->generation)) < 0)
			ret = -ENOMEM;
		if (ret == 0)
			ret = append_line(&buf, &len, &cap, h);
		json_object_put(h);
	}
	for (size_t i = 0; ret == 0 && i < n; i++) {
		json_object *o = json_object_new_object(), *v;

		v = ch[i].put != NULL ? cg_rule_to_json(ch[i].put) :
					json_object_new_string(ch[i].remove);
		if (o == NULL || v == NULL ||
		    json_object_object_add(o, ch[i].put != NULL ? "put" : "remove", v) < 0) {
			json_object_put(v);
			ret = -ENOMEM;
		}
		if (ret == 0)
			ret = append_line(&buf, &len, &cap, o);
		json_object_put(o);
	}
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int
cg_state_append(struct cg_state *st, const struct cg_state_change *ch, size_t n, char *err,
		size_t errlen)
{
	char jpath[sizeof(st->path) + 16];
	bool create = st->journal_bytes == 0;
	const char *step = "open";
	size_t len = 0, off = 0;
	char *text = NULL;
	int fd, ret;

	if (st->journal_broken) {
		snprintf(err, errlen, "%s.journal: unusable since a failed append: save first",
			 st->path);
		return -EIO;
	}
	if (n == 0)
		return 0;
	ret = journal_text(st, ch, n, create, &text, &len);
	if (ret < 0) {
		snprintf(err, errlen, "%s.journal: out of memory", st->path);
		return ret;
	}
	journal_path(jpath, sizeof(jpath), st->path);
	/* A new journal replaces one of an older generation that a fold left. */
	fd = open(jpath, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_CREAT | (create ? O_TRUNC : 0),
		  0640);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (!create) {
		struct stat sb;

		/* Bytes past what we know are a torn line (a crash, or a write
		 * that failed and could not be cut): cut them; fewer bytes mean
		 * someone else wrote here, and only a fold is safe. */
		step = "check";
		if (fstat(fd, &sb) < 0)
			ret = -errno;
		else if ((uint64_t)sb.st_size < st->journal_bytes)
			ret = -ESTALE;
		else if ((uint64_t)sb.st_size > st->journal_bytes &&
			 ftruncate(fd, (off_t)st->journal_bytes) < 0)
			ret = -errno;
		else if (lseek(fd, (off_t)st->journal_bytes, SEEK_SET) < 0)
			ret = -errno;
		if (ret < 0) {
			st->journal_broken = true;
			close(fd);
			goto out;
		}
	}
	step = "write";
	while (ret == 0 && off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			ret = w < 0 ? -errno : -EIO;
		else
			off += (size_t)w;
	}
	if (ret == 0) {
		step = "fdatasync";
		if (fdatasync(fd) < 0)
			ret = -errno;
	}
	if (ret == 0 && create) {
		/* The new file's name must be durable too. */
		step = "fsync of the directory";
		ret = cg_util_fsync_dir(st->path);
	}
	if (ret < 0 && fd >= 0) {
		/* Cut back, so that the next append does not follow a torn line. */
		if (ftruncate(fd, (off_t)st->journal_bytes) < 0 || fdatasync(fd) < 0)
			st->journal_broken = true;
	}
	if (fd >= 0)
		close(fd);
out:
	free(text);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s: %s", jpath, step, strerror(-ret));
		return ret;
	}
	st->journal_bytes += len;
	st->journal_changes += n;
	return 0;
}

bool
cg_state_fold_due(const struct cg_state *st)
{
	return st->journal_broken ||
	       (st->journal_bytes > st->snapshot_bytes && st->journal_bytes > (1u << 20));
}

bool
cg_state_disturbed(const struct cg_state *st)
{
	char jpath[sizeof(st->path) + 16];
	struct stat sb;
	bool there = stat(st->path, &sb) == 0;

	if (there != st->snapshot_known ||
	    (there && ((uint64_t)sb.st_dev != st->snapshot_dev ||
		       (uint64_t)sb.st_ino != st->snapshot_ino ||
		       (uint64_t)sb.st_size != st->snapshot_bytes)))
		return true;
	if (st->journal_bytes == 0)
		return false;	/* none of ours: one that is there is of an older generation */
	journal_path(jpath, sizeof(jpath), st->path);
	return stat(jpath, &sb) < 0 || (uint64_t)sb.st_size < st->journal_bytes;
}
