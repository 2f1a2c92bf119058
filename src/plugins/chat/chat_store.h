/* chat_store: the envelopes a node keeps, in chat.sqlite.
 *
 * Every valid envelope is kept until it expires, whoever it is for, so a
 * recipient whose node was offline gets it from any peer later. The store
 * is capped: past the cap the earliest-expiring envelopes go first (the
 * new one included, if it expires soonest). Counts and sizes are kept by
 * triggers in the same transaction as the rows, so they never drift. The
 * functions take an open handle and do not lock it: the caller holds the
 * plugin's database mutex. */
#ifndef SOUK_PLUGINS_CHAT_STORE_H
#define SOUK_PLUGINS_CHAT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "consensus/envelope.h"
#include "util/buf.h"

#define CHAT_STORE_N_SCHEMA 7
extern const char *const chat_store_schema[CHAT_STORE_N_SCHEMA];

struct chat_store_info {
    uint64_t messages;
    uint64_t bytes;       /* encoded envelopes */
    int64_t next_expiry;  /* earliest expires of any kept envelope; 0 with none */
};

bool chat_store_have(sqlite3 *db, const uint8_t id[32]);
/* The encoded envelope into out (appended); *found false when unknown. */
bool chat_store_get(sqlite3 *db, const uint8_t id[32], struct buf *out, bool *found);
/* Keeps an envelope (its encoding `bytes`, already checked) received at
 * `now`, then drops what expired and, over max_bytes, the earliest to
 * expire. *added: it was new. False (err set) on a database failure, with
 * nothing changed. */
bool chat_store_add(sqlite3 *db, const uint8_t id[32], const struct envelope *e,
                    const uint8_t *bytes, size_t len, int64_t now, uint64_t max_bytes,
                    bool *added, char *err, size_t errlen);
/* Deletes what expired before `now`; *removed (may be NULL) counts them. */
bool chat_store_expire(sqlite3 *db, int64_t now, uint64_t *removed, char *err, size_t errlen);
bool chat_store_info(sqlite3 *db, struct chat_store_info *out);
/* The ids of unexpired envelopes after `after` (exclusive; NULL: from the
 * first) in id order, at most max: a peer's inventory is walked in
 * batches with the last id as the cursor. Returns how many, or -1. */
long chat_store_ids(sqlite3 *db, const uint8_t *after, int64_t now, uint8_t (*ids)[32],
                    size_t max);
/* The same walk with each envelope's sender and recipient (for a wallet
 * catching up: it looks at the keys before it asks for the envelope). */
struct chat_store_parties {
    uint8_t id[32];
    uint8_t sender[32];
    uint8_t recipient[32];
};
long chat_store_parties(sqlite3 *db, const uint8_t *after, int64_t now,
                        struct chat_store_parties *rows, size_t max);

#endif
