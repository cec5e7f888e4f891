/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CG_RULE_H
#define CG_RULE_H

/**
 * @file
 * Relay rules: what castgate receives and how it re-emits it.
 *
 * A rule matches UDP datagrams arriving on one port for one destination
 * (multicast group or unicast IPv4) and UDP destination port, optionally from
 * one source only, and re-emits each of them on 1..CG_RULE_MAX_OUTPUTS
 * outputs, each with its own destination, ports, TTL, source and next hop.
 *
 * The model is shared by the config file (lib/conf), the data plane and the
 * JSON-RPC control plane. struct cg_rule is fixed-size and holds no
 * pointers, so it can be copied as is into shared memory or a message.
 *
 * Byte order: IPv4 addresses are uint32_t in network order (as in the packet
 * and as inet_pton() writes them); UDP ports in struct cg_rule are uint16_t
 * in host order (as in the config); struct cg_rule_key uses network order
 * for everything but port_id, so that the data plane can build it from the
 * packet without swapping.
 *
 * Port names are resolved to port ids (the index in the config's port list,
 * which is also the DPDK port order) by the caller: cg_rule_resolve_ports()
 * with a lookup callback, or lib/conf for rules of the config file.
 */

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/** Most outputs a rule may have (fan-out). */
#define CG_RULE_MAX_OUTPUTS 16
/** Size of a rule name buffer: names are 1..63 characters of [A-Za-z0-9_.-]. */
#define CG_RULE_NAME_SIZE 64
/** Size of a port name buffer: names are 1..31 characters of [A-Za-z0-9_.-]. */
#define CG_RULE_PORT_NAME_SIZE 32
/** port_id of a port name that was not resolved yet. */
#define CG_RULE_PORT_ID_NONE UINT16_MAX
/**
 * First id given to a rule added over the API without an id. Rules of the
 * config file without an id get ids from 1 up, so that the two automatic
 * schemes never hand out the same id (the config file may grow a rule long
 * after an API rule took an id).
 */
#define CG_RULE_API_ID_BASE 1048576u
/** cg_rule.silence_ms of a rule that never raises a silence alarm ("silence_ms = 0"). */
#define CG_RULE_SILENCE_OFF UINT32_MAX
/** Largest silence_ms a rule or the config may give (one hour). */
#define CG_RULE_SILENCE_MAX_MS 3600000
/** TTL of an output whose ttl is not given. */
#define CG_RULE_DEFAULT_TTL 64
/**
 * Lowest input TTL a rule relays unless its input says min_ttl: 2, so TTL 0
 * (never valid on the wire) and TTL 1 (a datagram meant for its own link,
 * which a router must not forward, RFC 1812 5.3.1) are dropped as
 * ttl_expired. LAN senders that keep Linux's default multicast TTL of 1 need
 * min_ttl = 1 on their rule.
 */
#define CG_RULE_DEFAULT_MIN_TTL 2

/** What a rule matches. */
struct cg_rule_input {
	char port[CG_RULE_PORT_NAME_SIZE]; /**< receiving port, by name */
	uint32_t dst;      /**< destination group or unicast address, network order */
	uint32_t src;      /**< source address (S,G), network order; 0 = any source */
	uint16_t port_id;  /**< resolved @ref port, or CG_RULE_PORT_ID_NONE */
	uint16_t dport;    /**< UDP destination port 1..65535, host order */
};

/** One re-emission of a matched datagram. */
struct cg_rule_output {
	char port[CG_RULE_PORT_NAME_SIZE]; /**< sending port, by name */
	uint32_t dst;      /**< destination group or unicast address, network order */
	uint32_t src;      /**< source address, network order; 0 = the port's IP */
	uint16_t port_id;  /**< resolved @ref port, or CG_RULE_PORT_ID_NONE */
	uint16_t dport;    /**< UDP destination port 1..65535, host order */
	uint16_t sport;    /**< UDP source port, host order; 0 = keep the received one */
	uint8_t ttl;       /**< IPv4 TTL 1..255 */
	uint8_t has_next_hop_mac; /**< 1: send to next_hop_mac without ARP */
	uint8_t next_hop_mac[6];  /**< unicast destinations only */
	uint8_t reserved[2];      /**< zero; keeps the struct free of padding */
};

/** A relay rule. Zero-initialise before filling it by hand. */
struct cg_rule {
	char name[CG_RULE_NAME_SIZE]; /**< unique name, NUL-terminated */
	uint32_t id;          /**< unique id > 0; 0 = not assigned yet */
	uint16_t n_outputs;   /**< 1..CG_RULE_MAX_OUTPUTS */
	uint8_t rtp;          /**< 1: count RTP sequence gaps, reorders and duplicates */
	/** Input key min_ttl: datagrams with a lower TTL are dropped; 0 = the
	 *  default CG_RULE_DEFAULT_MIN_TTL (which is also stored as 0, so that
	 *  equal rules compare equal). Read it with cg_rule_min_ttl(). */
	uint8_t min_ttl;
	/** Silence alarm after this many ms without a packet: 0 = the [control]
	 *  default (silence_ms), CG_RULE_SILENCE_OFF = never. */
	uint32_t silence_ms;
	uint32_t reserved2;   /**< zero; keeps the struct free of padding */
	struct cg_rule_input in;
	struct cg_rule_output out[CG_RULE_MAX_OUTPUTS];
};

/* No implicit padding, so that memcmp() and copies into shared memory are exact. */
static_assert(sizeof(struct cg_rule_input) == CG_RULE_PORT_NAME_SIZE + 12,
	      "struct cg_rule_input has padding");
static_assert(sizeof(struct cg_rule_output) == CG_RULE_PORT_NAME_SIZE + 24,
	      "struct cg_rule_output has padding");
static_assert(sizeof(struct cg_rule) == CG_RULE_NAME_SIZE + 16 +
	      sizeof(struct cg_rule_input) +
	      CG_RULE_MAX_OUTPUTS * sizeof(struct cg_rule_output),
	      "struct cg_rule has padding");

/** The input TTL below which @p r drops a datagram (1..255). */
static inline uint8_t
cg_rule_min_ttl(const struct cg_rule *r)
{
	return r->min_ttl != 0 ? r->min_ttl : CG_RULE_DEFAULT_MIN_TTL;
}

/**
 * Hash key of a rule's match, as the data plane builds it from a packet.
 *
 * Lookup order in the data plane: first with the packet's source address
 * (finds an (S,G) rule for exactly that source), then, on a miss, with
 * src = 0 (finds the any-source rule). So an (S,G) rule takes precedence
 * over an any-source rule for the same port, destination and dport.
 *
 * All fields are in network order except port_id. The struct has no padding
 * holes, so hashing its bytes is well defined; always build it with
 * cg_rule_key_make() or cg_rule_key_from_rule().
 */
struct cg_rule_key {
	uint32_t dst;      /**< destination address, network order */
	uint32_t src;      /**< source address, network order; 0 = any source */
	uint16_t dport;    /**< UDP destination port, network order */
	uint16_t port_id;  /**< receiving port id, host order */
};

static_assert(sizeof(struct cg_rule_key) == 12, "struct cg_rule_key has padding");

/**
 * Build a lookup key from packet fields (no byte swapping: pass them as read
 * from the headers).
 */
static inline struct cg_rule_key
cg_rule_key_make(uint16_t port_id, uint32_t dst_be, uint16_t dport_be, uint32_t src_be)
{
	struct cg_rule_key k = {
		.dst = dst_be, .src = src_be, .dport = dport_be, .port_id = port_id,
	};
	return k;
}

/**
 * The lookup key of a rule's match. The input port must be resolved
 * (in.port_id != CG_RULE_PORT_ID_NONE) for the key to be meaningful.
 */
struct cg_rule_key cg_rule_key_from_rule(const struct cg_rule *r);

/**
 * Parse and validate a rule from its JSON/TOML form:
 * `{ "name": "cam1", "id": 1, "input": { "port", "destination", "dport",
 * "source"? }, "output": [ { "port", "destination", "dport", "sport"?,
 * "ttl"?, "source"?, "next_hop_mac"? }, ... ] }`.
 *
 * Keys are strict, addresses are parsed exactly, and everything
 * cg_rule_validate() checks is checked. Port names are not resolved:
 * port_id fields are set to CG_RULE_PORT_ID_NONE.
 *
 * @param o      the rule table.
 * @param path   its dotted location for messages, e.g. "rule[2]"; "" = none.
 * @param r      filled on success (zeroed first, also on failure).
 * @param err    on failure, a message naming the key path and, when the
 *               object came from lib/toml, the line:
 *               `rule[2].output[0].ttl (line 14): 300 is out of range 1..255`.
 * @param errlen size of @p err.
 * @return 0, or -EINVAL.
 */
int cg_rule_from_json(json_object *o, const char *path, struct cg_rule *r,
		      char *err, size_t errlen);

/**
 * The JSON form of a rule, as cg_rule_from_json() reads it. Optional fields
 * are left out when they hold their "absent" value (id 0, source 0, sport 0,
 * no next_hop_mac); ttl is always written. port_id is not written.
 * cg_rule_from_json(cg_rule_to_json(r)) gives back a rule that
 * cg_rule_equal() to @p r.
 *
 * @return a new object (the caller puts it), or NULL with errno = ENOMEM.
 */
json_object *cg_rule_to_json(const struct cg_rule *r);

/**
 * Check a rule built by hand (e.g. from a control-plane request) with the
 * same rules as cg_rule_from_json(): name syntax, port name syntax, address
 * classes, port and TTL ranges, output count, next_hop_mac, duplicate outputs.
 * Does not check that the ports exist.
 *
 * @param err on failure: `rule "cam1": output[1].ttl: 0 is out of range 1..255`.
 * @return 0, or -EINVAL.
 */
int cg_rule_validate(const struct cg_rule *r, char *err, size_t errlen);

/**
 * Check that a rule's outputs fit a data plane rule slot, which holds
 * @p max_outputs ([dataplane] max_outputs). The API and the data plane
 * refuse with this one message (the config adds the rule's line to it).
 *
 * @param err on failure: `rule "cam1": output: 3 outputs, more than a rule
 *            slot holds ([dataplane] max_outputs = 2)`.
 * @return 0, or -EINVAL.
 */
int cg_rule_check_outputs(const struct cg_rule *r, unsigned int max_outputs, char *err,
			  size_t errlen);

/**
 * Whether two rules say the same thing: compares every configured field,
 * ignoring the resolved port_id fields and unused output slots.
 */
bool cg_rule_equal(const struct cg_rule *a, const struct cg_rule *b);

/**
 * Port name lookup callback for cg_rule_resolve_ports().
 * @return the port id (0..CG_RULE_PORT_ID_NONE - 1), or a negative errno
 *         (-ENOENT when there is no such port).
 */
typedef int (*cg_rule_port_lookup_t)(void *arg, const char *name);

/**
 * Resolve the input and output port names of a rule to port ids.
 *
 * @param r      the rule; its port_id fields are set on success.
 * @param lookup the callback; @p arg is passed to it.
 * @param err    on failure: `rule "cam1": output[1].port: no port named "rout9"`.
 * @return 0, or the callback's negative errno (-ENOENT, ...).
 */
int cg_rule_resolve_ports(struct cg_rule *r, cg_rule_port_lookup_t lookup, void *arg,
			  char *err, size_t errlen);

/**
 * Whether a name is a valid rule name: 1..63 characters of [A-Za-z0-9_.-].
 */
bool cg_rule_name_valid(const char *name);

/**
 * Whether a name is a valid port name: 1..31 characters of [A-Za-z0-9_.-].
 */
bool cg_rule_port_name_valid(const char *name);

/**
 * Parse a dotted-quad IPv4 address strictly (inet_pton: four decimal parts,
 * no shorthand, no leading zeros).
 * @param addr_be written in network order on success.
 * @return 0, or -EINVAL.
 */
int cg_rule_parse_ipv4(const char *s, uint32_t *addr_be);

/**
 * Parse a MAC address "aa:bb:cc:dd:ee:ff" (hex digits of either case).
 * @return 0, or -EINVAL.
 */
int cg_rule_parse_mac(const char *s, uint8_t mac[6]);

/**
 * Format an IPv4 address (network order) as a dotted quad into @p buf,
 * which must hold INET_ADDRSTRLEN (16) bytes.
 * @return @p buf.
 */
const char *cg_rule_ipv4_str(uint32_t addr_be, char *buf);

/**
 * Why an address may not be a rule destination: NULL when it may be, else
 * a reason ("is 0.0.0.0", "is in 224.0.0.0/24 (link-local multicast
 * control)", ...). Multicast groups other than 224.0.0.0/24 and ordinary
 * unicast addresses are accepted.
 */
const char *cg_rule_dst_problem(uint32_t addr_be);

/**
 * Why an address may not be a source address: NULL for a unicast address,
 * else a reason ("is a multicast address", ...).
 */
const char *cg_rule_src_problem(uint32_t addr_be);

/**
 * Why a unicast output destination on the link of a port with address
 * @p port_be / @p prefix_len can never be resolved by ARP: "own address"
 * (the port's), "network address" or "broadcast address" of the prefix
 * (none in a /31 or /32); NULL when it can, or is not on that link.
 */
const char *cg_rule_onlink_problem(uint32_t dst_be, uint32_t port_be, uint8_t prefix_len);

/** Whether an address (network order) is multicast (224.0.0.0/4). */
static inline bool
cg_rule_addr_is_multicast(uint32_t addr_be)
{
	const uint8_t *b = (const uint8_t *)&addr_be;

	return (b[0] & 0xf0) == 0xe0;
}

/*
 * Rule sets
 */

/** An ordered set of rules with unique names, ids and match keys. */
struct cg_rule_set;

/** Why a rule cannot join a set. */
enum cg_rule_conflict {
	CG_RULE_CONFLICT_NONE = 0,
	CG_RULE_CONFLICT_NAME,   /**< same name */
	CG_RULE_CONFLICT_ID,     /**< same id */
	CG_RULE_CONFLICT_MATCH,  /**< same input port, destination, dport and source */
};

/**
 * Create an empty set.
 * @return the set, or NULL with errno = ENOMEM.
 */
struct cg_rule_set *cg_rule_set_new(void);

/**
 * A copy of @p s with room for @p extra more rules (no reallocation while
 * adding them): one copy of the rules and of the lookup tables, O(n).
 * @return the copy, or NULL (ENOMEM).
 */
struct cg_rule_set *cg_rule_set_clone(const struct cg_rule_set *s, size_t extra);

/** Make room for @p n rules in all. @return 0 or -ENOMEM. */
int cg_rule_set_reserve(struct cg_rule_set *s, size_t n);

/** Free a set and its rules. NULL is allowed. */
void cg_rule_set_free(struct cg_rule_set *s);

/**
 * Check whether a rule could join a set, without adding it. @p r must be
 * valid (cg_rule_validate()). A rule whose id is 0 never conflicts by id. Match keys compare the input
 * port by name, so they work before ports are resolved.
 *
 * @param other if not NULL, set to the conflicting rule (or NULL).
 * @return the first conflict found, in the order name, id, match.
 */
enum cg_rule_conflict cg_rule_set_check(const struct cg_rule_set *s, const struct cg_rule *r,
					const struct cg_rule **other);

/**
 * Validate a rule (cg_rule_validate()) and append a copy of it to a set.
 * A rule with id 0 is given cg_rule_set_next_id(), written back to @p r->id.
 *
 * @param err on failure: the validation message, or for a conflict
 *            `rule "cam2": name is already used by rule id 1`,
 *            `... id 1 is already used by rule "cam1"`,
 *            `... same match (port rin0, 239.1.1.1:5001, any source) as rule "cam1"`.
 * @return 0; -EINVAL (invalid rule), -EEXIST (conflict), -ENOSPC (no free
 *         id) or -ENOMEM.
 */
int cg_rule_set_add(struct cg_rule_set *s, struct cg_rule *r, char *err, size_t errlen);

/**
 * Remove a rule by name; the order of the others is kept.
 * @return 0, or -ENOENT.
 */
int cg_rule_set_remove(struct cg_rule_set *s, const char *name);

/**
 * Keep the first @p n rules and drop the rest: undoes adds made since the set
 * held @p n rules (cg_rule_set_add() appends). O(n): the index is rebuilt in
 * place, so it cannot fail. Ids the dropped rules held are not given again.
 */
void cg_rule_set_truncate(struct cg_rule_set *s, size_t n);

/** The rule named @p name, or NULL. */
const struct cg_rule *cg_rule_set_find(const struct cg_rule_set *s, const char *name);

/** The rule with id @p id, or NULL. */
const struct cg_rule *cg_rule_set_find_id(const struct cg_rule_set *s, uint32_t id);

/** Number of rules in the set. */
size_t cg_rule_set_count(const struct cg_rule_set *s);

/**
 * The @p i-th rule in insertion order (0 <= i < count), or NULL.
 * Pointers into the set stay valid until the next add or remove.
 */
const struct cg_rule *cg_rule_set_get(const struct cg_rule_set *s, size_t i);

/**
 * The id cg_rule_set_add() gives the next rule without one: one more than
 * the highest id the set has ever held, so that the id of a removed rule is
 * not handed out again at once; past UINT32_MAX, the lowest free id.
 * @return the id, or 0 when all ids are used.
 */
uint32_t cg_rule_set_next_id(const struct cg_rule_set *s);

/** Iterate over the rules of a set: `CG_RULE_SET_FOREACH(s, i, r) { ... }`. */
#define CG_RULE_SET_FOREACH(s, i, r)						\
	for ((i) = 0; ((r) = cg_rule_set_get((s), (i))) != NULL; (i)++)

/**
 * Hashes for rule indexes (lib/rule's sets, lib/shm's shared index): plain
 * code, so every process computes the same values. cg_rule_hash_mix() is a
 * 32-bit finalizer; cg_rule_hash_name() hashes at most CG_RULE_NAME_SIZE
 * bytes of a name.
 */
uint32_t cg_rule_hash_mix(uint32_t h);
uint32_t cg_rule_hash_name(const char *name);

#endif /* CG_RULE_H */
