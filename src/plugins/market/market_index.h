/* market_index: the market's search index in market.sqlite.
 *
 * Search is not consensus: this file only speeds up finding listings and a
 * party's orders, and everything in it is derived from the blocks of the
 * active chain, so a lost or damaged file is rebuilt from them (the plugin
 * host does that) and changes nothing but speed.
 *
 * The index is a log of the market transactions of each block (listing,
 * profile and order transactions, keyed by height and position) plus what
 * follows from it: one row per listing with its latest title, description,
 * category, price, quantity, expiry and whether a listing_close closed it,
 * and an FTS5 table over the listings that are not closed (title,
 * description, category, the seller's profile name). Disconnecting a block
 * deletes its log rows and recomputes the listings and sellers they
 * touched, so a reorg puts back exactly what the other branch changed.
 *
 * What the blocks' transactions do not show — stock (timeouts give items
 * back without a transaction) and whether a listing has expired at the tip
 * — is read from the chainstate when a query runs: the caller's `accept`
 * callback filters the ranked candidates, and paging counts only the ones
 * it accepts. */
#ifndef SOUK_PLUGINS_MARKET_INDEX_H
#define SOUK_PLUGINS_MARKET_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "consensus/block.h"
#include "node/plugin.h"
#include "util/amount.h"

#define MARKET_INDEX_N_SCHEMA 13
/* The schema's version: a file of an older one is rebuilt from the chain. */
#define MARKET_INDEX_VERSION 2
extern const char *const market_index_schema[MARKET_INDEX_N_SCHEMA];

/* The plugin host's callbacks (see node/plugin.h). */
bool market_index_connect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                          size_t errlen);
bool market_index_disconnect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                             size_t errlen);
bool market_index_reset(struct plugin_ctx *pc, char *err, size_t errlen);

/* The same over a database handle (unit tests drive these directly). The
 * caller holds the transaction. */
bool market_index_block(sqlite3 *db, const struct block *block, uint64_t height, bool connect,
                        char *err, size_t errlen);
bool market_index_clear(sqlite3 *db, char *err, size_t errlen);

/* A listing as the index has it. */
struct market_index_listing {
    uint8_t id[32];
    uint8_t seller[32];
    amount_t price;
    uint64_t quantity;  /* as last set by its create/update, not the stock */
    uint64_t expires_at_height;
    bool closed;
    double rank;        /* bm25 (lower is better); 0 outside a search */
};

/* Called for each candidate in order; true keeps it. */
typedef bool (*market_index_accept_fn)(const struct market_index_listing *l, void *arg);
/* Called for each kept candidate inside the page; false stops with an
 * error (the caller's). */
typedef bool (*market_index_emit_fn)(const struct market_index_listing *l, void *arg);

struct market_index_query {
    const char *text;       /* words to search for; NULL or only separators: every listing */
    const char *category;   /* exact; NULL: any */
    bool has_min_price, has_max_price;
    amount_t min_price, max_price;
    const uint8_t *seller;  /* 32 bytes; NULL: any */
    /* Listings whose expiry height is below this are left out (the tip's
     * height + 1 = the first height a new order could be mined at); 0: no
     * expiry filter. */
    uint64_t live_at;
    bool include_closed;    /* listlistings; a text search never has closed ones */
    uint64_t limit, offset;
    market_index_accept_fn accept;  /* NULL: keep every candidate */
    void *accept_arg;
};

/* Ranked search (bm25: title weighs most, then the seller's name and the
 * category, then the description; ties by age) when q->text has words,
 * else every listing matching the filters, newest first. *total receives
 * the number of accepted candidates (over all pages). False with err on a
 * database failure; a text that holds no word matches nothing. */
bool market_index_search(sqlite3 *db, const struct market_index_query *q,
                         market_index_emit_fn emit, void *emit_arg, uint64_t *total, char *err,
                         size_t errlen);

/* Turns free text into an FTS5 query: every run of letters and digits
 * (any non-ASCII byte counts as a letter) becomes a quoted term, all
 * required. Returns false when there is no word or out is too small. */
bool market_index_fts_query(const char *text, char *out, size_t outlen);

/* The orders of one party (as buyer, seller or arbiter; `as` NULL: any
 * role), newest first: emit gets each order id and its placing height. */
typedef bool (*market_index_order_fn)(const uint8_t id[32], uint64_t height, void *arg);
bool market_index_party_orders(sqlite3 *db, const uint8_t party[32], const char *as,
                               market_index_order_fn fn, void *arg, char *err, size_t errlen);

/* The transactions of an order in chain order (its order_place first). */
struct market_index_event {
    uint8_t txid[32];
    uint64_t height;
    uint64_t type;
    uint8_t sender[32];
};
typedef bool (*market_index_event_fn)(const struct market_index_event *e, void *arg);
bool market_index_order_events(sqlite3 *db, const uint8_t order_id[32], market_index_event_fn fn,
                               void *arg, char *err, size_t errlen);

/* The seller's latest profile name per the index (empty when none). */
/* Whether a listing that takes orders in the block after `tip` (not
 * closed, not expired) names the photo `media`: 1 yes, 0 no, -1 failure. */
int market_index_media_named(sqlite3 *db, const uint8_t media[32], uint64_t tip);
/* The photos named by the listings created at `height`, each once, into a
 * new array (*out, free()) of *n ids. */
bool market_index_media_at(sqlite3 *db, uint64_t height, uint8_t (**out)[32], size_t *n,
                           char *err, size_t errlen);

bool market_index_profile_name(sqlite3 *db, const uint8_t pubkey[32], char *out, size_t outlen);

#endif
