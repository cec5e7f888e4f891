/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Silence alarms: every CONTROL_SILENCE_TICK_MS, read each installed rule's
 * rx_pkts from shared memory; a rule whose count has not moved for its
 * silence_ms (its own, else [control] silence_ms; 0 = off) raises an alarm,
 * and the next packet clears it. Each raise and clear is logged once and
 * emitted as an event.
 *
 * State is kept per rule *name*, not per slot: an update moves a rule to a
 * new slot with counters from zero, and its alarm, counts and times must
 * follow it. A rule's clock starts when control first sees it (its
 * installation, or control's start), so a rule that never receives anything
 * raises its alarm silence_ms after that.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>

#include <json-c/json.h>

#include "cg_log.h"
#include "cg_shm.h"
#include "control.h"

struct silence_rule {
	char name[CG_RULE_NAME_SIZE];	/**< "" = nothing tracked in this slot */
	uint32_t id;
	uint32_t silence_ms;		/**< effective; 0 = off */
	uint64_t rx;			/**< rx_pkts of the slot at the last sample */
	uint64_t active_mono_ms;	/**< when rx last moved, or when first seen */
	uint64_t last_rx_unix_ms;	/**< sample that saw rx move; 0 = not since seen */
	uint64_t since_unix_ms;		/**< when the alarm was raised */
	uint64_t raised;		/**< alarms raised so far */
	bool alarm;
	bool seen;			/**< scratch: carried over into the new table */
};

struct control_silence {
	struct silence_rule *tab[2];	/**< nb entries each, one per rule slot */
	unsigned int cur;		/**< tab[cur] is the state now */
	bool started;			/**< the first sample was taken */
	uint32_t nb;			/**< the data plane's rule slots */
	/* Names of the previous table (index + 1, 0 = empty), built when a rule is
	 * not in its old slot: so that a sample stays O(slots), never O(slots^2). */
	uint32_t *by_name;
	uint32_t by_name_size;		/**< a power of two > 2 nb */
	bool by_name_built;
	uint64_t generation;		/**< of the rule table at the last full sample */
};

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h ^ (h >> 15);
}

uint32_t
control_silence_ms(const struct control *c, const struct cg_rule *r)
{
	if (r->silence_ms == CG_RULE_SILENCE_OFF)
		return 0;
	if (r->silence_ms != 0)
		return r->silence_ms;
	return c->conf->ctl.silence_ms;
}

int
control_silence_init(struct control *c)
{
	struct control_silence *st = calloc(1, sizeof(*st));
	uint32_t n = control_rule_slots(c);

	if (st == NULL)
		return -ENOMEM;
	st->nb = n;
	for (st->by_name_size = 16; st->by_name_size < 2 * n + 2; st->by_name_size *= 2)
		;
	st->tab[0] = calloc(n ? n : 1, sizeof(struct silence_rule));
	st->tab[1] = calloc(n ? n : 1, sizeof(struct silence_rule));
	st->by_name = calloc(st->by_name_size, sizeof(uint32_t));
	c->silence = st;
	if (st->tab[0] == NULL || st->tab[1] == NULL || st->by_name == NULL) {
		control_silence_fini(c);
		return -ENOMEM;
	}
	return 0;
}

void
control_silence_fini(struct control *c)
{
	if (c->silence == NULL)
		return;
	free(c->silence->tab[0]);
	free(c->silence->tab[1]);
	free(c->silence->by_name);
	free(c->silence);
	c->silence = NULL;
}

int
control_silence_start(struct control *c)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = CONTROL_SILENCE_TICK_MS * 1000000L },
		.it_value = { .tv_nsec = CONTROL_SILENCE_TICK_MS * 1000000L },
	};

	c->silence_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->silence_fd < 0 || timerfd_settime(c->silence_fd, 0, &its, NULL) < 0) {
		CG_ERR("silence timer: %s", strerror(errno));
		return -errno;
	}
	c->silence_clock_ms = control_mono_ms();
	return c->silence_fd;
}

/*
 * The wall-clock time of the tick at tick_mono_ms, not of its read: the
 * stamps (last_rx_unix_ms, since_unix_ms) are then whole ticks apart like
 * the decision, so that a raise shows silence_ms after the last packet
 * (to the millisecond). Stamped at the read, a late read of the sample that
 * saw the last packet made the raise look early (696 ms of 700).
 */
static uint64_t
tick_unix_ms(uint64_t tick_mono_ms)
{
	uint64_t mono_us = control_mono_us(), late_us;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	late_us = mono_us > tick_mono_ms * 1000u ? mono_us - tick_mono_ms * 1000u : 0;
	return ((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u - late_us) / 1000u;
}

void
control_silence_read(struct control *c)
{
	uint64_t n;

	if (read(c->silence_fd, &n, sizeof(n)) != (ssize_t)sizeof(n)) {
		if (errno != EAGAIN)
			CG_WARN("silence timer: %s", strerror(errno));
		return;
	}
	/*
	 * The sampler's clock counts the timer's expirations, not when each
	 * was read: samples are whole ticks apart however late a read is, so
	 * that a silence is measured in ticks. With the read times, a sample
	 * read 1 ms late made the next gap 699 ms of a 700 ms silence_ms, and
	 * the alarm waited one tick more than documented.
	 */
	c->silence_clock_ms += n * CONTROL_SILENCE_TICK_MS;
	control_silence_sample(c, c->silence_clock_ms, tick_unix_ms(c->silence_clock_ms));
}

void
control_silence_stop(struct control *c)
{
	if (c->silence_fd >= 0)
		close(c->silence_fd);
	c->silence_fd = -1;
}

static uint64_t
rule_rx(const struct control *c, uint32_t slot)
{
	uint64_t s = 0;

	for (uint32_t b = 0; b < c->shm.info->nb_ctr_blocks; b++)
		s += cg_shm_ctr_ent(cg_shm_ctr_block(c->shm.ctrs, b), slot)->rx_pkts;
	return s;
}

static void
raise_alarm(struct control *c, struct silence_rule *s, uint64_t now_unix)
{
	json_object *f = json_object_new_object();
	char last[48];

	s->alarm = true;
	s->since_unix_ms = now_unix;
	s->raised++;
	if (s->last_rx_unix_ms != 0)
		snprintf(last, sizeof(last), "%" PRIu64 " ms ago",
			 now_unix - s->last_rx_unix_ms);
	else
		snprintf(last, sizeof(last), "none since it was installed or control started");
	cg_log(CG_LOG_WARN, "rule %s (id %u): silence alarm: nothing received for %u ms "
	       "(last packet: %s)", s->name, s->id, s->silence_ms, last);
	if (f == NULL)
		return;
	control_jadd(f, "rule", json_object_new_string(s->name));
	control_jadd(f, "id", json_object_new_uint64(s->id));
	control_jadd(f, "silence_ms", json_object_new_uint64(s->silence_ms));
	json_object_object_add(f, "last_rx_unix_ms", s->last_rx_unix_ms != 0 ?
			       json_object_new_uint64(s->last_rx_unix_ms) : NULL);
	control_jadd(f, "raised", json_object_new_uint64(s->raised));
	/* The alarm's own time (rule.get's since_unix_ms): the envelope's
	 * time_unix_ms is taken a moment later. */
	control_jadd(f, "since_unix_ms", json_object_new_uint64(s->since_unix_ms));
	control_event_emit(c, "silence.raised", f);
}

/* @p why: "traffic" (a packet came), "removed" (the rule is gone), "disabled". */
static void
clear_alarm(struct control *c, struct silence_rule *s, uint64_t now_unix, const char *why)
{
	json_object *f = json_object_new_object();
	uint64_t dur = now_unix > s->since_unix_ms ? now_unix - s->since_unix_ms : 0;

	s->alarm = false;
	cg_log(CG_LOG_INFO, "rule %s (id %u): silence alarm cleared after %" PRIu64 " ms (%s)",
	       s->name, s->id, dur, why);
	if (f == NULL)
		return;
	control_jadd(f, "rule", json_object_new_string(s->name));
	control_jadd(f, "id", json_object_new_uint64(s->id));
	control_jadd(f, "reason", json_object_new_string(why));
	control_jadd(f, "since_unix_ms", json_object_new_uint64(s->since_unix_ms));
	control_jadd(f, "duration_ms", json_object_new_uint64(dur));
	control_event_emit(c, "silence.cleared", f);
}

/* The previous state of rule @p name, @p slot's first: NULL if it is new. */
static struct silence_rule *
find_old(struct control_silence *st, struct silence_rule *old, uint32_t slot, const char *name)
{
	uint32_t mask = st->by_name_size - 1, j;

	if (strcmp(old[slot].name, name) == 0)
		return &old[slot];
	if (!st->by_name_built) {
		memset(st->by_name, 0, st->by_name_size * sizeof(uint32_t));
		for (uint32_t i = 0; i < st->nb; i++) {
			if (old[i].name[0] == '\0')
				continue;
			for (j = name_hash(old[i].name) & mask; st->by_name[j] != 0; j = (j + 1) & mask)
				;
			st->by_name[j] = i + 1;
		}
		st->by_name_built = true;
	}
	for (j = name_hash(name) & mask; st->by_name[j] != 0; j = (j + 1) & mask) {
		struct silence_rule *o = &old[st->by_name[j] - 1];

		if (!o->seen && strcmp(o->name, name) == 0)
			return o;
	}
	return NULL;
}

/* One rule's sample: its rx counter now, and the alarm that follows from it
 * (s->silence_ms, set when the rule was last seen in its slot). */
static void
sample_rule(struct control *c, struct silence_rule *s, uint64_t rx, uint64_t now_mono,
	    uint64_t now_unix)
{
	/* Fewer than before: removed and added again in this slot, counters reset. */
	if (rx < s->rx)
		s->rx = 0;
	if (rx != s->rx) {
		s->rx = rx;
		s->active_mono_ms = now_mono;
		s->last_rx_unix_ms = now_unix;
		if (s->alarm)
			clear_alarm(c, s, now_unix, "traffic");
	}
	if (s->silence_ms == 0) {
		if (s->alarm)
			clear_alarm(c, s, now_unix, "disabled");
		return;
	}
	if (!s->alarm && now_mono - s->active_mono_ms >= s->silence_ms)
		raise_alarm(c, s, now_unix);
}

void
control_silence_sample(struct control *c, uint64_t now_mono, uint64_t now_unix)
{
	struct control_silence *st = c->silence;
	struct silence_rule *old, *cur;
	struct control_rule_ref ref;
	uint64_t gen;
	uint32_t slots;

	if (st == NULL || c->shm.rules == NULL)
		return;
	slots = control_rule_slots(c);
	gen = control_rules_generation(c);
	/*
	 * No rule changed since the last sample (the usual case, ten times a
	 * second): the same rules in the same slots with the same silence_ms
	 * (a [control] change needs a restart), so each state is updated where
	 * it is from its counters alone, without reading the slots (a slot is
	 * kilobytes: at 100 000 rules those cache misses were most of the
	 * sampler's time) or matching names.
	 */
	if (st->started && gen == st->generation) {
		cur = st->tab[st->cur];
		for (uint32_t slot = 0; slot < st->nb && slot < slots; slot++)
			if (cur[slot].name[0] != '\0')
				sample_rule(c, &cur[slot], rule_rx(c, slot), now_mono, now_unix);
		return;
	}
	old = st->tab[st->cur];
	cur = st->tab[st->cur ^ 1];
	st->by_name_built = false;
	for (uint32_t i = 0; i < st->nb; i++)
		old[i].seen = false;
	for (uint32_t slot = 0; slot < st->nb; slot++) {
		struct silence_rule *s = &cur[slot], *o;
		uint64_t rx;

		memset(s, 0, sizeof(*s));
		if (slot >= slots || !control_rule_at(c, slot, &ref))
			continue;
		rx = rule_rx(c, slot);
		o = find_old(st, old, slot, ref.rule->name);
		if (o != NULL) {
			*s = *o;
			o->seen = true;
			/* Moved by an update: the new slot's counters started from zero. */
			if (o != &old[slot])
				s->rx = 0;
		} else {
			snprintf(s->name, sizeof(s->name), "%s", ref.rule->name);
			s->rx = rx;
			s->active_mono_ms = now_mono;
			/* Installed since the last sample and already fed: it received now. */
			if (st->started && rx > 0)
				s->last_rx_unix_ms = now_unix;
		}
		s->seen = false;
		s->id = ref.rule->id;
		s->silence_ms = control_silence_ms(c, ref.rule);
		sample_rule(c, s, rx, now_mono, now_unix);
	}
	for (uint32_t i = 0; i < st->nb; i++)
		if (old[i].name[0] != '\0' && !old[i].seen && old[i].alarm)
			clear_alarm(c, &old[i], now_unix, "removed");
	st->cur ^= 1;
	st->started = true;
	st->generation = gen;
}

/* The state of the rule in @p slot, if it is tracked there. */
static const struct silence_rule *
state_of(const struct control *c, uint32_t slot, const char *name)
{
	const struct silence_rule *s;

	if (c->silence == NULL || slot >= c->silence->nb)
		return NULL;
	s = &c->silence->tab[c->silence->cur][slot];
	return strcmp(s->name, name) == 0 ? s : NULL;
}

json_object *
control_silence_json(const struct control *c, uint32_t slot)
{
	const struct silence_rule *s;
	struct control_rule_ref ref;
	json_object *j;

	if (!control_rule_at(c, slot, &ref))
		return NULL;
	j = json_object_new_object();
	if (j == NULL)
		return NULL;
	/* Not sampled yet (installed within the last tick): a fresh state. */
	s = state_of(c, slot, ref.rule->name);
	control_jadd(j, "silence_ms", json_object_new_uint64(control_silence_ms(c, ref.rule)));
	control_jadd(j, "alarm", json_object_new_boolean(s != NULL && s->alarm));
	if (s != NULL && s->alarm)
		control_jadd(j, "since_unix_ms", json_object_new_uint64(s->since_unix_ms));
	json_object_object_add(j, "last_rx_unix_ms", s != NULL && s->last_rx_unix_ms != 0 ?
			       json_object_new_uint64(s->last_rx_unix_ms) : NULL);
	control_jadd(j, "raised", json_object_new_uint64(s != NULL ? s->raised : 0));
	return j;
}

json_object *
control_silence_alarms_json(const struct control *c)
{
	json_object *arr = json_object_new_array();
	const struct silence_rule *s;

	if (arr == NULL || c->silence == NULL)
		return arr;
	for (uint32_t slot = 0; slot < c->silence->nb; slot++) {
		json_object *a;

		s = &c->silence->tab[c->silence->cur][slot];
		if (s->name[0] == '\0' || !s->alarm)
			continue;
		a = json_object_new_object();
		if (a == NULL)
			continue;
		control_jadd(a, "rule", json_object_new_string(s->name));
		control_jadd(a, "id", json_object_new_uint64(s->id));
		control_jadd(a, "silence_ms", json_object_new_uint64(s->silence_ms));
		control_jadd(a, "since_unix_ms", json_object_new_uint64(s->since_unix_ms));
		json_object_object_add(a, "last_rx_unix_ms", s->last_rx_unix_ms != 0 ?
				       json_object_new_uint64(s->last_rx_unix_ms) : NULL);
		if (json_object_array_add(arr, a) < 0)
			json_object_put(a);
	}
	return arr;
}
