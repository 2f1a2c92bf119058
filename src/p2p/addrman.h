/* addrman: the address manager — every peer address the node knows, which
 * ones to try for outbound connections and which to hand out to getaddr.
 *
 * Addresses learnt from others sit in the "new" table; an address the node
 * has completed a handshake with moves to the "tried" table. Both tables are
 * arrays of fixed-size buckets, and where an address may go is decided by
 * SHA-256 over a secret per-node key and network groups (netaddr_group: the
 * /16 of an IPv4 address, the /32 of an IPv6 one), as in bitcoind:
 *   - new: the (address group, source group) pair picks one of
 *     ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP buckets of the source group, so a
 *     single source group reaches at most 64 of the 1024 new buckets, and
 *     one address group sent by one source group lands in one bucket;
 *   - tried: the address picks one of ADDRMAN_TRIED_BUCKETS_PER_GROUP
 *     buckets of its group, so one /16 holds at most 8 of the 256 buckets;
 *   - the slot inside a bucket is a keyed hash of bucket and address.
 * Without the key nobody can aim addresses at chosen slots, and selection
 * picks a bucket first, so an operator with many addresses in few groups
 * gains few chances to be chosen. An address can sit in up to
 * ADDRMAN_NEW_BUCKETS_PER_ADDRESS new buckets (one per source group that
 * told us, added with falling probability).
 *
 * Collisions: a new-table slot keeps its occupant unless the occupant is
 * terrible (or sits in several buckets while the newcomer sits in none).
 * When good() moves an address into an occupied tried slot, the occupant
 * stays if it had a successful connection within ADDRMAN_REPLACEMENT_SECS
 * (the newcomer then stays in new); otherwise the occupant goes back to the
 * new table (into its own source's bucket) and the newcomer takes its slot.
 *
 * "Terrible" (ADDRMAN_HORIZON_SECS etc. below, bitcoind's rules): last seen
 * more than 30 days ago or in the future, 3 failed tries and never a
 * success, or 10 failures and no success for 7 days — unless tried in the
 * last minute. Terrible entries are skipped by select and get_addr, lose
 * their slot to any newcomer, and are dropped from the new table by
 * addrman_sweep (which addrman_save runs first).
 *
 * Unroutable addresses (loopback, private ranges) are refused unless the
 * manager is made with allow_local (regtest). They are grouped by address
 * and port, so several nodes on 127.0.0.1 spread like separate operators.
 *
 * peers.dat is the canonical msgpack body
 *   ["souk-peers", 1, key: bin(32), new_buckets, tried_buckets, bucket_size,
 *    [entry, ...]]
 *   entry = [ip: bin(16), port, services, time, source: bin(16), last_try,
 *            last_success, attempts, in_tried: 0|1, [new bucket, ...]]
 * followed by the 32-byte SHA-256 of the body. Slots are recomputed from the
 * key on load (new entries keep their stored buckets when the table sizes
 * match). A file that cannot be read, fails the checksum or does not decode
 * is renamed to peers.dat.bak.<time> with a warning and the manager starts
 * empty: a bad peers.dat never stops the node.
 *
 * Thread-safe: every call takes the manager's own mutex (the event loop adds
 * and selects, RPC workers read). Owns its tables and entries. All times are
 * time_now() seconds (so tests and -mocktime move them). */
#ifndef SOUK_P2P_ADDRMAN_H
#define SOUK_P2P_ADDRMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/netaddr.h"
#include "util/buf.h"

#define ADDRMAN_KEY_LEN 32
#define ADDRMAN_NEW_BUCKET_COUNT 1024
#define ADDRMAN_TRIED_BUCKET_COUNT 256
#define ADDRMAN_BUCKET_SIZE 64
#define ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP 64
#define ADDRMAN_TRIED_BUCKETS_PER_GROUP 8
#define ADDRMAN_NEW_BUCKETS_PER_ADDRESS 8

#define ADDRMAN_HORIZON_SECS (30 * 24 * 3600)  /* older than this: terrible */
#define ADDRMAN_RETRIES 3                      /* failures before a never-good entry is terrible */
#define ADDRMAN_MAX_FAILURES 10                /* failures ... */
#define ADDRMAN_MIN_FAIL_SECS (7 * 24 * 3600)  /* ... without success for this long: terrible */
#define ADDRMAN_REPLACEMENT_SECS (4 * 3600)    /* a tried entry this fresh keeps its slot */
#define ADDRMAN_FUTURE_SECS (10 * 60)          /* timestamps further ahead are not believed */

/* getaddr replies: at most this many, and at most this percent of all. */
#define ADDRMAN_GETADDR_MAX 1000
#define ADDRMAN_GETADDR_MAX_PCT 23
/* Penalty for addresses relayed by someone other than the address itself. */
#define ADDRMAN_RELAY_PENALTY_SECS (2 * 3600)

/* peers.dat: largest file accepted. */
#define ADDRMAN_FILE_MAX (32u * 1024u * 1024u)

/* An address as gossiped: where, what it serves, when it was last seen. */
struct addrman_addr {
    struct netaddr ip;
    uint16_t port;
    uint64_t services;
    int64_t time;
};

/* Everything the manager knows about one address (for RPC and tests). */
struct addrman_info {
    struct addrman_addr addr;
    struct netaddr source;
    int64_t last_try;
    int64_t last_success;
    uint32_t attempts;
    bool in_tried;
    int tried_bucket;          /* -1 when in new */
    unsigned n_new;            /* new buckets holding it (0 when in tried) */
    uint16_t new_buckets[ADDRMAN_NEW_BUCKETS_PER_ADDRESS];
    bool terrible;
};

struct addrman_config {
    bool allow_local;          /* accept loopback/private addresses (regtest) */
    const uint8_t *key;        /* ADDRMAN_KEY_LEN bytes; NULL: a random key */
};

enum addrman_load_result {
    ADDRMAN_LOAD_OK,           /* loaded */
    ADDRMAN_LOAD_MISSING,      /* no file: empty manager */
    ADDRMAN_LOAD_CORRUPT,      /* bad file moved aside: empty manager */
    ADDRMAN_LOAD_IO_ERROR,     /* file there but unreadable (left in place): empty manager */
};

enum addrman_decode_err {
    ADDRMAN_DECODE_OK,
    ADDRMAN_DECODE_TRUNCATED,  /* shorter than a checksum */
    ADDRMAN_DECODE_CHECKSUM,   /* checksum does not match the body */
    ADDRMAN_DECODE_MSGPACK,    /* body is not canonical msgpack */
    ADDRMAN_DECODE_FORMAT,     /* wrong shape, magic, version or field */
    ADDRMAN_DECODE_DUPLICATE,  /* the same address twice */
    ADDRMAN_DECODE_NOMEM,
    ADDRMAN_DECODE_COUNT_
};

struct addrman;

const char *addrman_decode_strerror(enum addrman_decode_err e);

/* A new empty manager (cfg NULL: random key, no local addresses). NULL only
 * when out of memory or when no random key could be drawn. */
struct addrman *addrman_new(const struct addrman_config *cfg);
void addrman_free(struct addrman *am);
/* Forgets every address, keeping the key and allow_local: the manager then
 * behaves as a new one made with the same configuration. Keeps its tables,
 * so the cost follows the number of entries (a fuzz target empties one
 * manager per input instead of building 320 KiB of tables each time). */
void addrman_clear(struct addrman *am);

/* Learns addresses from source (the peer that sent them). Each address's
 * time is made believable first (0, before 1973 or more than
 * ADDRMAN_FUTURE_SECS ahead: now minus 5 days) and then lowered by
 * time_penalty (never for an address announcing itself). Invalid,
 * port-0, and (without allow_local) unroutable addresses are ignored.
 * Returns how many were new to the manager. */
size_t addrman_add(struct addrman *am, const struct addrman_addr *addrs, size_t n,
                   const struct netaddr *source, int64_t time_penalty);
/* A handshake with this address succeeded: moves it to tried (see the
 * collision rule above). False when the address is unknown or stays in new
 * because of a collision. */
bool addrman_good(struct addrman *am, const struct netaddr *ip, uint16_t port);
/* A connection to it is being tried. count_failure: count it toward the
 * terrible rules (only once per success elsewhere, so being offline does not
 * ruin every entry). */
void addrman_attempt(struct addrman *am, const struct netaddr *ip, uint16_t port,
                     bool count_failure);
/* We were connected to it until now: refreshes its time (at most every 20
 * minutes, as the time is gossiped). */
void addrman_connected(struct addrman *am, const struct netaddr *ip, uint16_t port);
/* Replaces the services it advertises (learnt from its version message). */
void addrman_set_services(struct addrman *am, const struct netaddr *ip, uint16_t port,
                          uint64_t services);

/* Picks an address to connect to: tried or new with even odds (new only
 * when new_only), a random non-empty bucket and slot, accepted with a
 * chance that falls with recent and repeated failures; terrible entries are
 * skipped. False when there is nothing to pick. */
bool addrman_select(struct addrman *am, bool new_only, struct addrman_addr *out);
/* Up to max_count random non-terrible addresses written to out (which has
 * room for max_count), and at most max_pct percent of all entries (0: no
 * percent limit). getaddr replies use ADDRMAN_GETADDR_MAX and
 * ADDRMAN_GETADDR_MAX_PCT; "all of them" is max_count = addrman_size(). */
size_t addrman_get_addr(struct addrman *am, struct addrman_addr *out, size_t max_count,
                        unsigned max_pct);

size_t addrman_size(struct addrman *am);
void addrman_counts(struct addrman *am, size_t *n_new, size_t *n_tried);
/* What the manager knows about one address; false when unknown. */
bool addrman_lookup(struct addrman *am, const struct netaddr *ip, uint16_t port,
                    struct addrman_info *out);
/* Drops terrible entries from the new table; returns how many. */
size_t addrman_sweep(struct addrman *am);

/* The peers.dat bytes (body and checksum) appended to out. */
bool addrman_encode(struct addrman *am, struct buf *out);
/* Replaces the manager's key and contents with those of a peers.dat image.
 * On error the manager is unchanged. The image is built in a second set of
 * tables, kept afterwards (with the replaced contents, emptied by the next
 * decode) so that repeated decodes reuse them. */
enum addrman_decode_err addrman_decode(struct addrman *am, const uint8_t *data, size_t len);

/* addrman_sweep, then writes path atomically. False with a message in err. */
bool addrman_save(struct addrman *am, const char *path, char *err, size_t errlen);
/* Loads path, replacing the manager's contents on success. Every bad file
 * is handled as described above (warning logged, file moved aside) and
 * leaves the manager as it was (empty at startup): no result is a reason
 * to stop the node. */
enum addrman_load_result addrman_load(struct addrman *am, const char *path);

#endif
