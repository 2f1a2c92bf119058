#include "plugins/review/review.h"

#include <stdio.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "plugins/market/market_rpc.h"
#include "plugins/market/market_state.h"
#include "plugins/review/review_index.h"
#include "plugins/review/review_rpc.h"
#include "plugins/review/review_state.h"

/* ---- rules ------------------------------------------------------------------ */

/* A rating out of its range is wrong whatever the state: INVALID. Every
 * other rule depends on the order's record or on earlier reviews: STATE. */
static const struct txerr_def review_rules[] = {
    {REVIEW_ERR_BAD_RATING, "review-bad-rating", "the overall rating is 1 to 5",
     TXCLASS_INVALID},
    {REVIEW_ERR_BAD_ASPECT, "review-bad-aspect",
     "aspects are four ratings of 0 (not rated) to 5", TXCLASS_INVALID},
    {REVIEW_ERR_UNKNOWN_ORDER, "review-unknown-order", "no such order", TXCLASS_STATE},
    {REVIEW_ERR_NOT_PARTY, "review-not-party", "only the order's buyer or seller may review it",
     TXCLASS_STATE},
    {REVIEW_ERR_ORDER_OPEN, "review-order-open",
     "an order can be reviewed once it is completed or resolved", TXCLASS_STATE},
    {REVIEW_ERR_ORDER_REFUNDED, "review-order-refunded",
     "a cancelled order, or a dispute refunded by its timeout, cannot be reviewed",
     TXCLASS_STATE},
    {REVIEW_ERR_WINDOW_CLOSED, "review-window-closed",
     "the review window of the order has closed", TXCLASS_STATE},
    {REVIEW_ERR_SELLER_ASPECT, "review-seller-aspect",
     "a seller may rate only communication (the other aspects 0)", TXCLASS_STATE},
    {REVIEW_ERR_DUPLICATE, "review-duplicate", "this party has already reviewed this order",
     TXCLASS_STATE},
    {REVIEW_ERR_UNKNOWN_REVIEW, "review-unknown-review", "no such review", TXCLASS_STATE},
    {REVIEW_ERR_NOT_SUBJECT, "review-not-subject", "only the reviewed party may reply",
     TXCLASS_STATE},
    {REVIEW_ERR_REPLIED, "review-replied", "the review already has its reply", TXCLASS_STATE},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define RULE(code) ((enum txerr)(code))

/* ---- field tables ----------------------------------------------------------- */

static const struct txfield review_post_fields[] = {
    {.name = "order_id", .kind = TXFIELD_HASH},
    {.name = "rating", .kind = TXFIELD_UINT, .min = REVIEW_RATING_MIN, .max = REVIEW_RATING_MAX,
     .err = RULE(REVIEW_ERR_BAD_RATING)},
    {.name = "aspects", .kind = TXFIELD_UINT8_LIST, .min = REVIEW_N_ASPECTS,
     .max = REVIEW_N_ASPECTS, .item_max = REVIEW_ASPECT_MAX, .err = RULE(REVIEW_ERR_BAD_ASPECT)},
    {.name = "text", .kind = TXFIELD_TEXT, .max = REVIEW_TEXT_MAX},
};
static const struct txfield review_reply_fields[] = {
    {.name = "review_id", .kind = TXFIELD_HASH},
    {.name = "text", .kind = TXFIELD_TEXT, .max = REVIEW_TEXT_MAX},
};

/* ---- review_post -------------------------------------------------------------- */

/* Whether an order's end allows reviews: paid out to the seller, or split
 * by its arbiter — not refunded by a cancellation or a timeout. */
static enum txerr reviewable(const struct market_order *o)
{
    if (o->state == MARKET_ORDER_COMPLETED ||
        (o->state == MARKET_ORDER_RESOLVED && !o->timed_out))
        return TXERR_OK;
    if (o->state == MARKET_ORDER_CANCELED || o->state == MARKET_ORDER_RESOLVED)
        return RULE(REVIEW_ERR_ORDER_REFUNDED);
    return RULE(REVIEW_ERR_ORDER_OPEN);
}

static enum txerr review_post_apply(struct state_view *v, const struct tx *tx,
                                    const struct apply_ctx *ctx)
{
    const struct txpayload *p = ctx->payload;
    const uint8_t *order_id = p->v[0].p;
    struct market_order o;
    bool found = false;
    enum txerr err = market_order_get(v, order_id, &o, &found);
    if (err != TXERR_OK)
        return err;
    if (!found)
        return RULE(REVIEW_ERR_UNKNOWN_ORDER);
    enum market_role author_role;
    if (memcmp(tx->sender, o.buyer, 32) == 0)
        author_role = MARKET_ROLE_BUYER;
    else if (memcmp(tx->sender, o.seller, 32) == 0)
        author_role = MARKET_ROLE_SELLER;
    else
        return RULE(REVIEW_ERR_NOT_PARTY);
    if ((err = reviewable(&o)) != TXERR_OK)
        return err;
    if (ctx->height > o.state_height + ctx->params->review_window)
        return RULE(REVIEW_ERR_WINDOW_CLOSED);
    struct review_record r;
    memset(&r, 0, sizeof r);
    memcpy(r.aspects, p->v[2].p, REVIEW_N_ASPECTS);
    if (author_role == MARKET_ROLE_SELLER)
        for (size_t i = 0; i < REVIEW_N_ASPECTS; i++)
            if (i != REVIEW_ASPECT_COMMUNICATION && r.aspects[i] != 0)
                return RULE(REVIEW_ERR_SELLER_ASPECT);
    uint8_t earlier[32];
    if ((err = review_by_order(v, order_id, author_role, earlier, &found)) != TXERR_OK)
        return err;
    if (found)
        return RULE(REVIEW_ERR_DUPLICATE);
    memcpy(r.order_id, order_id, 32);
    memcpy(r.author, tx->sender, 32);
    bool by_buyer = author_role == MARKET_ROLE_BUYER;
    memcpy(r.subject, by_buyer ? o.seller : o.buyer, 32);
    r.role = by_buyer ? MARKET_ROLE_SELLER : MARKET_ROLE_BUYER;
    r.rating = p->v[1].u;
    r.weight = o.total;
    r.height = ctx->height;
    return review_add(v, ctx->txid, &r);
}

/* ---- review_reply ------------------------------------------------------------- */

static enum txerr review_reply_apply(struct state_view *v, const struct tx *tx,
                                     const struct apply_ctx *ctx)
{
    const uint8_t *id = ctx->payload->v[0].p;
    struct review_record r;
    bool found = false;
    enum txerr err = review_get(v, id, &r, &found);
    if (err != TXERR_OK)
        return err;
    if (!found)
        return RULE(REVIEW_ERR_UNKNOWN_REVIEW);
    if (memcmp(tx->sender, r.subject, 32) != 0)
        return RULE(REVIEW_ERR_NOT_SUBJECT);
    if (r.reply_height != 0)
        return RULE(REVIEW_ERR_REPLIED);
    return review_set_reply(v, id, &r, ctx->height);
}

/* ---- the plugin ----------------------------------------------------------------- */

static const struct txtype_def t_review_post = {
    .id = REVIEW_TYPE_POST,
    .name = "review_post",
    .fields = review_post_fields,
    .n_fields = N(review_post_fields),
    .apply = review_post_apply,
};
static const struct txtype_def t_review_reply = {
    .id = REVIEW_TYPE_REPLY,
    .name = "review_reply",
    .fields = review_reply_fields,
    .n_fields = N(review_reply_fields),
    .apply = review_reply_apply,
};
static const struct txtype_def *const review_types[] = {&t_review_post, &t_review_reply};

static const uint8_t review_prefixes[] = {REVIEW_PREFIX};

/* The index commits once per block, as the market's does: its write-ahead
 * log is checkpointed every 64 pages (256 KiB) instead of SQLite's 1,000,
 * so the -wal file of a node that follows a long chain stays small. The
 * market's listings and profiles show the seller's reputation from here
 * on. */
static bool review_start(struct plugin_ctx *pc, char *err, size_t errlen)
{
    char *msg = NULL;
    if (pc->db != NULL &&
        sqlite3_exec(pc->db, "PRAGMA wal_autocheckpoint=64", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "review index: %s",
                 msg != NULL ? msg : "cannot set its checkpoint");
        sqlite3_free(msg);
        return false;
    }
    market_rpc_set_reputation(review_rpc_summary);
    return true;
}

static void review_stop(struct plugin_ctx *pc)
{
    (void)pc;
    market_rpc_set_reputation(NULL);
}

/* For event clients: both parties of the order a review is about, and a
 * review's author and subject for its reply. */
static size_t review_tx_parties(struct state_view *v, const struct tx *tx,
                                const struct txpayload *p, uint8_t (*out)[32], size_t max)
{
    if (p->n == 0 || p->v[0].len != 32 || max < 2)
        return 0;
    bool found = false;
    if (tx->type == REVIEW_TYPE_POST) {
        struct market_order o;
        if (market_order_get(v, p->v[0].p, &o, &found) != TXERR_OK || !found)
            return 0;
        memcpy(out[0], o.buyer, 32);
        memcpy(out[1], o.seller, 32);
        return 2;
    }
    struct review_record r;
    if (tx->type != REVIEW_TYPE_REPLY || review_get(v, p->v[0].p, &r, &found) != TXERR_OK ||
        !found)
        return 0;
    memcpy(out[0], r.author, 32);
    memcpy(out[1], r.subject, 32);
    return 2;
}

const struct plugin review_plugin = {
    .name = "review",
    .summary = "verified-purchase reviews, replies and reputation",
    .types = review_types,
    .n_types = N(review_types),
    .rules = review_rules,
    .n_rules = N(review_rules),
    .prefixes = review_prefixes,
    .n_prefixes = N(review_prefixes),
    .tx_parties = review_tx_parties,
    /* Texts and lookups by subject, author and order (review_index.c). */
    .db_file = "review.sqlite",
    .schema = review_index_schema,
    .n_schema = REVIEW_INDEX_N_SCHEMA,
    .index_connect = review_index_connect,
    .index_disconnect = review_index_disconnect,
    .index_reset = review_index_reset,
    .rpc_methods = review_rpc_methods,
    .n_rpc_methods = REVIEW_RPC_N_METHODS,
    .start = review_start,
    .stop = review_stop,
};
