/* review_index: the review plugin's index in review.sqlite — every review
 * with its text and its reply, found by subject, by author and by order.
 *
 * The chainstate keeps what the rules and the reputation need (review
 * records under 'R', review_state.h), not the texts: they are in the
 * blocks. This index reads them from the blocks of the active chain, so it
 * is not consensus, and a lost or damaged file is rebuilt from the blocks
 * (the plugin host does that) and changes nothing but speed.
 *
 * A review_post names an order, not its subject. The index finds the
 * subject from the blocks alone: it keeps the seller of every listing (the
 * sender of its listing_create) and the two parties of every order (the
 * sender of its order_place and its listing's seller), so it never reads
 * the chainstate and never waits for the chain. What a block adds is keyed
 * by its height, and disconnecting the block deletes exactly that. */
#ifndef SOUK_PLUGINS_REVIEW_INDEX_H
#define SOUK_PLUGINS_REVIEW_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "consensus/block.h"
#include "node/plugin.h"
#include "plugins/review/review_state.h"

#define REVIEW_INDEX_N_SCHEMA 10
extern const char *const review_index_schema[REVIEW_INDEX_N_SCHEMA];

/* The plugin host's callbacks (see node/plugin.h). */
bool review_index_connect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                          size_t errlen);
bool review_index_disconnect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                             size_t errlen);
bool review_index_reset(struct plugin_ctx *pc, char *err, size_t errlen);

/* The same over a database handle (unit tests drive these directly). The
 * caller holds the transaction. */
bool review_index_block(sqlite3 *db, const struct block *block, uint64_t height, bool connect,
                        char *err, size_t errlen);
bool review_index_clear(sqlite3 *db, char *err, size_t errlen);

/* A review as the index has it. The texts are NUL-terminated copies
 * (valid UTF-8 that may itself hold a NUL: use the lengths). */
struct review_index_row {
    uint8_t id[32];
    uint8_t order_id[32];
    uint8_t author[32];
    uint8_t subject[32];
    enum market_role role;  /* the subject's side of the order */
    uint64_t rating;
    uint8_t aspects[REVIEW_N_ASPECTS];
    uint64_t height;
    char text[REVIEW_TEXT_MAX + 1];
    size_t text_len;
    bool replied;
    uint8_t reply_id[32];   /* the txid of the review_reply */
    uint64_t reply_height;
    char reply_text[REVIEW_TEXT_MAX + 1];
    size_t reply_text_len;
};

/* Filters (NULL / 0: any) and a page, newest first (height, then the
 * position in the block, descending). */
struct review_index_query {
    const uint8_t *subject;
    const uint8_t *author;
    const uint8_t *order_id;
    uint64_t min_rating;
    uint64_t limit, offset;
};

/* Called for each review of the page; false stops with an error (the
 * caller's). */
typedef bool (*review_index_emit_fn)(const struct review_index_row *r, void *arg);

/* *total receives the number of matches over all pages. False with err on
 * a database failure or when emit returned false (err then empty). */
bool review_index_list(sqlite3 *db, const struct review_index_query *q, review_index_emit_fn emit,
                       void *arg, uint64_t *total, char *err, size_t errlen);
/* One review by id; *found false when the index has none. */
bool review_index_get(sqlite3 *db, const uint8_t id[32], struct review_index_row *out, bool *found,
                      char *err, size_t errlen);

#endif
