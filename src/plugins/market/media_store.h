/* media_store: the listing photos a node keeps, in media.sqlite.
 *
 * A blob is kept while an active listing names it ("named"): it is then
 * served to peers and offered to new ones. A blob no active listing names
 * is kept MEDIA_KEEP_UNNAMED_SECS from when it was added or last named,
 * neither served nor offered, then dropped: that is the wait of a photo the
 * seller added before the listing connects, and the grace of one whose
 * listing closed. The store is capped: room for a new blob is made from the
 * unnamed ones, oldest first, and a blob that still does not fit is
 * refused — a named photo is never dropped for another one.
 *
 * "Wanted" ids are those an active listing names and the node lacks: they
 * are asked of peers and accepted when they come.
 *
 * Counts and sizes are kept by triggers in the same transaction as the
 * rows. The functions take an open handle and do not lock it: the caller
 * serialises use. */
#ifndef SOUK_PLUGINS_MARKET_MEDIA_STORE_H
#define SOUK_PLUGINS_MARKET_MEDIA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "util/buf.h"

#define MEDIA_STORE_N_SCHEMA 8
extern const char *const media_store_schema[MEDIA_STORE_N_SCHEMA];
#define MEDIA_STORE_APP_ID 0x534b4d44 /* "SKMD" */

#define MEDIA_KEEP_UNNAMED_SECS (24 * 3600)

enum media_store_add {
    MEDIA_STORE_ADDED,
    MEDIA_STORE_EXISTS,
    MEDIA_STORE_FULL, /* it does not fit beside the named blobs */
};

struct media_store_info {
    uint64_t blobs;
    uint64_t bytes; /* encoded blobs */
    uint64_t named;
    uint64_t wanted;
};

struct media_store_row {
    char mime[65];
    bool named;
    bool local; /* added through this node's RPC */
    int64_t since;
};

bool media_store_have(sqlite3 *db, const uint8_t id[32]);
/* The encoded blob (appended to out) and its row; *found false when
 * unknown, or when named_only and it is not named. */
bool media_store_get(sqlite3 *db, const uint8_t id[32], bool named_only, struct buf *out,
                     struct media_store_row *row, bool *found);
/* Keeps an encoded blob (checked by the caller) of that mime. A wanted id
 * is named at once and leaves the wanted list. */
bool media_store_add(sqlite3 *db, const uint8_t id[32], const char *mime, const uint8_t *encoded,
                     size_t len, bool local, int64_t now, uint64_t max_bytes,
                     enum media_store_add *res, char *err, size_t errlen);
/* Marks a held blob named or not (since = now when that changes);
 * *changed (may be NULL) says whether it did. */
bool media_store_set_named(sqlite3 *db, const uint8_t id[32], bool named, int64_t now,
                           bool *changed, char *err, size_t errlen);
bool media_store_want(sqlite3 *db, const uint8_t id[32], int64_t now, char *err, size_t errlen);
bool media_store_unwant(sqlite3 *db, const uint8_t id[32], char *err, size_t errlen);
bool media_store_wanted(sqlite3 *db, const uint8_t id[32]);
bool media_store_info(sqlite3 *db, struct media_store_info *out);
/* Ids after `after` (exclusive; NULL: from the first) in id order, at
 * most max: of named blobs (wanted false) or of wanted ids (wanted true).
 * Returns how many, or -1. */
long media_store_ids(sqlite3 *db, bool wanted, const uint8_t *after, uint8_t (*ids)[32],
                     size_t max);

/* Whether an active listing names an id: 1 yes, 0 no, -1 failure. */
typedef int (*media_store_named_fn)(void *ctx, const uint8_t id[32]);
struct media_store_sweep {
    uint64_t renamed;  /* became named: to announce, in named_ids (up to max_out) */
    uint64_t unnamed;  /* stopped being named */
    uint64_t dropped;  /* unnamed past the keep time, deleted */
    uint64_t unwanted; /* wanted ids no active listing names any more */
    uint8_t (*named_ids)[32];
    uint8_t (*want_ids)[32]; /* still wanted: to ask for again, up to max_out */
    size_t n_named_ids, n_want_ids, max_out;
};
/* Brings every blob's named flag and the wanted list up to date with
 * `named` and drops what was unnamed for longer than keep_secs. The
 * caller sets the out arrays and max_out (or NULL/0). */
bool media_store_sweep(sqlite3 *db, media_store_named_fn named, void *ctx, int64_t now,
                       int64_t keep_secs, struct media_store_sweep *out, char *err,
                       size_t errlen);

#endif
