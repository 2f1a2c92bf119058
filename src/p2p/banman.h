/* banman: manual bans and automatic discouragement of peers.
 *
 * Manual bans (setban) cover a single address or a subnet ("1.2.3.0/24",
 * "2001:db8::/32") until a time; they are kept in banlist.json, rewritten
 * atomically on every change and by banman_flush (at shutdown), and read
 * back at start. A banned address may not connect at all.
 *
 * Discouragement is what misbehaviour earns (score 100): the address is
 * remembered for BANMAN_DISCOURAGE_SECS in memory only (as in bitcoind, it
 * does not survive a restart), at most BANMAN_DISCOURAGED_MAX addresses,
 * the one closest to expiry forgotten first. The connection code decides
 * what discouraged means for a peer (bitcoind: refused unless inbound slots
 * are free, first to be evicted).
 *
 * banlist.json: {"version": 1, "banned": [{"address": "1.2.3.0/24",
 * "ban_created": <unix time>, "banned_until": <unix time>}, ...]}. A file
 * that cannot be parsed or has any malformed entry is renamed to
 * banlist.json.bak.<time> with a warning and the node starts with no bans;
 * entries already expired are dropped quietly.
 *
 * Thread-safe (own mutex): RPC workers ban and list while the event loop
 * checks. Times are time_now() seconds. Owns its lists and the path. */
#ifndef SOUK_P2P_BANMAN_H
#define SOUK_P2P_BANMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/netaddr.h"

#define BANMAN_DEFAULT_BAN_SECS (24 * 3600)
#define BANMAN_DISCOURAGE_SECS (24 * 3600)
#define BANMAN_DISCOURAGED_MAX 10000
#define BANMAN_BANS_MAX 100000
/* "address/prefix" text: an IPv6 address, "/" and up to 3 digits, NUL. */
#define BANMAN_SUBNET_STR_MAX (NETADDR_STR_MAX + 4)
/* banlist.json: largest file accepted. */
#define BANMAN_FILE_MAX (16u * 1024u * 1024u)

/* A network in the 16-byte address space: the first `prefix` bits of net
 * (0..128; an IPv4 /n is stored as IPv4-mapped with prefix 96 + n). Host
 * bits of net are always zero. */
struct banman_subnet {
    struct netaddr net;
    uint8_t prefix;
};

struct banman_entry {
    struct banman_subnet subnet;
    int64_t created;
    int64_t until;
};

enum banman_err {
    BANMAN_OK = 0,
    BANMAN_ERR_ALREADY,   /* already banned (see banman_ban) */
    BANMAN_ERR_NOT_FOUND, /* unban of something not manually banned */
    BANMAN_ERR_EXPIRED,   /* the ban would end at or before now */
    BANMAN_ERR_FULL,      /* BANMAN_BANS_MAX bans in force */
    BANMAN_ERR_NOMEM,
    BANMAN_ERR_COUNT_
};

const char *banman_strerror(enum banman_err e);

/* Parses "ip" (a single address: /32 or /128) or "ip/prefix" with a decimal
 * prefix length (0-32 for IPv4, 0-128 for IPv6); the address part goes
 * through inet_pton. Host bits below the prefix are cleared ("1.2.3.4/16"
 * means 1.2.0.0/16). False with a message naming the problem otherwise. */
bool banman_subnet_parse(const char *s, struct banman_subnet *out, char *err, size_t errlen);
/* "1.2.0.0/16", "1.2.3.4/32", "2001:db8::/32". */
void banman_subnet_format(const struct banman_subnet *sn, char out[BANMAN_SUBNET_STR_MAX]);
/* The subnet of exactly one address. */
void banman_subnet_single(const struct netaddr *ip, struct banman_subnet *out);
bool banman_subnet_contains(const struct banman_subnet *sn, const struct netaddr *ip);
bool banman_subnet_equal(const struct banman_subnet *a, const struct banman_subnet *b);

struct banman;

/* A manager that keeps its bans in path (NULL: not persisted), loading them
 * now as described above. NULL only when out of memory. */
struct banman *banman_new(const char *path);
/* Frees without writing: call banman_flush first at shutdown. */
void banman_free(struct banman *bm);

/* Bans sn until `until` (absolute time_now() seconds). BANMAN_ERR_ALREADY
 * when a single address is already covered by a ban in force, or the same
 * subnet is already banned; nothing changes then. Saved at once (a failed
 * write is logged and retried by the next flush; the ban is in force). */
enum banman_err banman_ban(struct banman *bm, const struct banman_subnet *sn, int64_t until);
/* Lifts the ban of exactly this subnet. */
enum banman_err banman_unban(struct banman *bm, const struct banman_subnet *sn);
/* Lifts every manual ban and forgets every discouraged address. */
void banman_clear(struct banman *bm);

/* Whether a ban in force covers ip. */
bool banman_is_banned(struct banman *bm, const struct netaddr *ip);

/* Number of bans in force (expired ones are swept first). */
size_t banman_count(struct banman *bm);
/* Copies up to max bans in force into out, oldest ban first; returns how
 * many. */
size_t banman_list(struct banman *bm, struct banman_entry *out, size_t max);
/* Drops expired bans and discouragements; returns how many bans went. */
size_t banman_sweep(struct banman *bm);
/* Writes banlist.json if anything changed since the last write. False
 * with a message in err when the write fails. */
bool banman_flush(struct banman *bm, char *err, size_t errlen);

/* Replaces the manual bans with those of banlist.json text, as loading
 * does: entries expired by now are dropped, a subnet listed twice keeps
 * its later end, anything malformed refuses the whole text (bm unchanged,
 * the reason in why). The new bans count as changed (the next flush writes
 * them). */
bool banman_decode(struct banman *bm, const char *text, size_t len, char *why, size_t whylen);
/* The banlist.json text of the bans (as the file is written, expired ones
 * included until a sweep); caller frees. NULL when out of memory. */
char *banman_encode(struct banman *bm);

/* Discourages ip for BANMAN_DISCOURAGE_SECS from now. */
void banman_discourage(struct banman *bm, const struct netaddr *ip);
bool banman_is_discouraged(struct banman *bm, const struct netaddr *ip);

#endif
