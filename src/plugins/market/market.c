#include "plugins/market/market.h"

#include <stdio.h>
#include <string.h>

#include "consensus/account.h"
#include "consensus/chainparams.h"
#include "plugins/market/market_events.h"
#include "plugins/market/market_index.h"
#include "plugins/market/market_media.h"
#include "plugins/market/market_rpc.h"
#include "plugins/market/market_state.h"

/* ---- rules ------------------------------------------------------------------ */

/* What the sender can see wrong without state is INVALID (a peer relaying it
 * is scored); whatever depends on the state (who owns a listing, an order's
 * state, stock, the height) is STATE: two honest parties can race for it. */
static const struct txerr_def market_rules[] = {
    {MARKET_ERR_BAD_NAME, "market-bad-name",
     "a profile name is 3 to 32 of a-z, 0-9, '_' and '-'", TXCLASS_INVALID},
    {MARKET_ERR_FEE_BPS_TOO_HIGH, "market-fee-bps-too-high",
     "an arbiter's fee is at most 1000 basis points (10 %)", TXCLASS_INVALID},
    {MARKET_ERR_ARBITER_IS_BUYER, "market-arbiter-is-buyer",
     "the buyer cannot be the order's arbiter", TXCLASS_INVALID},
    {MARKET_ERR_FEE_WITHOUT_ARBITER, "market-fee-without-arbiter",
     "an arbiter's fee needs an arbiter", TXCLASS_INVALID},
    {MARKET_ERR_NAME_TAKEN, "market-name-taken", "the profile name belongs to another key",
     TXCLASS_STATE},
    {MARKET_ERR_UNKNOWN_LISTING, "market-unknown-listing", "no such listing", TXCLASS_STATE},
    {MARKET_ERR_NOT_SELLER, "market-not-seller", "only the seller may do this", TXCLASS_STATE},
    {MARKET_ERR_LISTING_CLOSED, "market-listing-closed", "the listing is closed",
     TXCLASS_STATE},
    {MARKET_ERR_LISTING_EXPIRED, "market-listing-expired",
     "the listing is past its expiry height", TXCLASS_STATE},
    {MARKET_ERR_EXPIRY_PAST, "market-expiry-past",
     "a listing's expiry height must be above the block's height", TXCLASS_STATE},
    {MARKET_ERR_OWN_LISTING, "market-own-listing", "a seller cannot order their own listing",
     TXCLASS_STATE},
    {MARKET_ERR_ARBITER_IS_SELLER, "market-arbiter-is-seller",
     "the seller cannot be the order's arbiter", TXCLASS_STATE},
    {MARKET_ERR_OUT_OF_STOCK, "market-out-of-stock",
     "the listing has fewer items in stock than ordered", TXCLASS_STATE},
    {MARKET_ERR_PRICE_ABOVE_MAX, "market-price-above-max",
     "price times quantity is above the order's max_total", TXCLASS_STATE},
    {MARKET_ERR_UNKNOWN_ORDER, "market-unknown-order", "no such order", TXCLASS_STATE},
    {MARKET_ERR_NOT_BUYER, "market-not-buyer", "only the buyer may do this", TXCLASS_STATE},
    {MARKET_ERR_NOT_PARTY, "market-not-party", "only the buyer or the seller may do this",
     TXCLASS_STATE},
    {MARKET_ERR_NOT_ARBITER, "market-not-arbiter", "only the order's arbiter may do this",
     TXCLASS_STATE},
    {MARKET_ERR_BAD_STATE, "market-bad-state", "the order is not in a state that allows this",
     TXCLASS_STATE},
    {MARKET_ERR_NO_ARBITER, "market-no-arbiter", "the order has no arbiter to dispute to",
     TXCLASS_STATE},
    {MARKET_ERR_SPLIT_TOO_LARGE, "market-split-too-large",
     "buyer_amount is above the order's total less the arbiter's fee", TXCLASS_STATE},
};

#define MARKET_N_RULES (sizeof market_rules / sizeof market_rules[0])
#define RULE(code) ((enum txerr)(code))

/* ---- field tables ----------------------------------------------------------- */

#define F_TITLE                                                                              \
    {.name = "title", .kind = TXFIELD_TEXT, .min = 1, .max = MARKET_TITLE_MAX}
#define F_DESCRIPTION {.name = "description", .kind = TXFIELD_TEXT, .max = MARKET_DESCRIPTION_MAX}
#define F_CATEGORY {.name = "category", .kind = TXFIELD_TEXT, .max = MARKET_CATEGORY_MAX}
#define F_PRICE {.name = "price", .kind = TXFIELD_AMOUNT, .min = 1, .err = TXERR_AMOUNT_ZERO}
#define F_QUANTITY                                                                           \
    {.name = "quantity", .kind = TXFIELD_UINT, .min = 1, .max = MARKET_QUANTITY_MAX}
#define F_ORDER {.name = "order_id", .kind = TXFIELD_HASH}
#define F_LISTING {.name = "listing_id", .kind = TXFIELD_HASH}
#define F_NOTE {.name = "note", .kind = TXFIELD_BYTES, .max = MARKET_NOTE_MAX}

static const struct txfield profile_set_fields[] = {
    {.name = "name", .kind = TXFIELD_TEXT, .min = MARKET_NAME_MIN, .max = MARKET_NAME_MAX,
     .charset = MARKET_NAME_CHARS, .err = RULE(MARKET_ERR_BAD_NAME)},
    {.name = "about", .kind = TXFIELD_TEXT, .max = MARKET_ABOUT_MAX},
};
static const struct txfield listing_create_fields[] = {
    F_TITLE, F_DESCRIPTION, F_CATEGORY, F_PRICE, F_QUANTITY,
    {.name = "media", .kind = TXFIELD_HASH_LIST, .max = MARKET_MEDIA_MAX},
    {.name = "expires_at_height", .kind = TXFIELD_UINT},
};
static const struct txfield listing_update_fields[] = {
    F_LISTING, F_TITLE, F_DESCRIPTION, F_CATEGORY, F_PRICE, F_QUANTITY,
};
static const struct txfield listing_close_fields[] = {F_LISTING};
static const struct txfield order_place_fields[] = {
    F_LISTING,
    F_QUANTITY,
    {.name = "max_total", .kind = TXFIELD_AMOUNT, .min = 1, .err = TXERR_AMOUNT_ZERO},
    {.name = "arbiter", .kind = TXFIELD_ACCOUNT_OPT},
    {.name = "arbiter_fee_bps", .kind = TXFIELD_UINT, .max = MARKET_FEE_BPS_MAX,
     .err = RULE(MARKET_ERR_FEE_BPS_TOO_HIGH)},
    F_NOTE,
};
static const struct txfield order_id_fields[] = {F_ORDER};
static const struct txfield order_ship_fields[] = {F_ORDER, F_NOTE};
static const struct txfield order_dispute_fields[] = {
    F_ORDER,
    {.name = "reason", .kind = TXFIELD_TEXT, .max = MARKET_REASON_MAX},
};
static const struct txfield order_resolve_fields[] = {
    F_ORDER,
    {.name = "buyer_amount", .kind = TXFIELD_AMOUNT},
};

/* ---- shared steps ----------------------------------------------------------- */

static void copy_text(char *dst, size_t *len, const struct txvalue *v)
{
    *len = v->len;
    if (v->len > 0)
        memcpy(dst, v->p, v->len);
    dst[v->len] = '\0';
}

static enum txerr load_listing(struct state_view *v, const uint8_t *id, struct market_listing *l)
{
    bool found = false;
    enum txerr err = market_listing_get(v, id, l, &found);
    if (err == TXERR_OK && !found)
        err = RULE(MARKET_ERR_UNKNOWN_LISTING);
    return err;
}

static enum txerr load_order(struct state_view *v, const uint8_t *id, struct market_order *o)
{
    bool found = false;
    enum txerr err = market_order_get(v, id, o, &found);
    if (err == TXERR_OK && !found)
        err = RULE(MARKET_ERR_UNKNOWN_ORDER);
    return err;
}

static bool is(const uint8_t a[32], const uint8_t b[32])
{
    return memcmp(a, b, 32) == 0;
}

static enum txerr credit(struct state_view *v, const uint8_t to[32], amount_t amount)
{
    return amount == 0 ? TXERR_OK : account_credit(v, to, amount);
}

/* Releases an order's escrow: to the buyer, the arbiter and the seller
 * (what is left), and moves the order to `state`. The three shares add up to
 * the total, so no coin is created or lost. */
static enum txerr settle(struct state_view *v, const uint8_t id[32], struct market_order *o,
                         amount_t to_buyer, amount_t to_arbiter, uint64_t state,
                         const struct apply_ctx *ctx)
{
    amount_t to_seller;
    if (!amount_sub(o->total, to_buyer, &to_seller) ||
        !amount_sub(to_seller, to_arbiter, &to_seller))
        return TXERR_STORAGE;
    enum txerr err = market_escrow_sub(v, o->total);
    if (err == TXERR_OK)
        err = credit(v, o->buyer, to_buyer);
    if (err == TXERR_OK && to_arbiter > 0)
        err = credit(v, o->arbiter, to_arbiter);
    if (err == TXERR_OK)
        err = credit(v, o->seller, to_seller);
    o->state = state;
    o->state_height = ctx->height;
    if (err == TXERR_OK)
        err = market_order_put(v, id, o);
    /* The outcome, for both parties' trade counts: a resolution by the
     * arbiter adds none (the dispute was counted). */
    enum market_trade_count outcome = MARKET_TRADES_N_;
    if (state == MARKET_ORDER_COMPLETED)
        outcome = MARKET_TRADES_COMPLETED;
    else if (state == MARKET_ORDER_CANCELED)
        outcome = MARKET_TRADES_CANCELLED;
    else if (state == MARKET_ORDER_RESOLVED && o->timed_out)
        outcome = MARKET_TRADES_REFUNDED;
    if (err == TXERR_OK && outcome != MARKET_TRADES_N_)
        err = market_trades_outcome(v, o, outcome);
    return err;
}

/* Cancels an order: full refund, the items go back into the listing's
 * stock. */
static enum txerr cancel_order(struct state_view *v, const uint8_t id[32], struct market_order *o,
                               const struct apply_ctx *ctx)
{
    struct market_listing l;
    enum txerr err = load_listing(v, o->listing_id, &l);
    if (err != TXERR_OK)
        return err == RULE(MARKET_ERR_UNKNOWN_LISTING) ? TXERR_STORAGE : err;
    l.stock += o->quantity;
    if ((err = market_listing_put(v, o->listing_id, &l)) != TXERR_OK)
        return err;
    return settle(v, id, o, o->total, 0, MARKET_ORDER_CANCELED, ctx);
}

static enum txerr schedule(struct state_view *v, const struct apply_ctx *ctx,
                           const uint8_t id[32], uint32_t blocks)
{
    return deadline_schedule(v, ctx, MARKET_DEADLINE_OWNER, id, 32, ctx->height + blocks, NULL, 0);
}

static enum txerr unschedule(struct state_view *v, const uint8_t id[32])
{
    return deadline_cancel(v, MARKET_DEADLINE_OWNER, id, 32, NULL);
}

/* ---- profile_set ------------------------------------------------------------ */

static enum txerr profile_set_apply(struct state_view *v, const struct tx *tx,
                                    const struct apply_ctx *ctx)
{
    const struct txpayload *p = ctx->payload;
    const char *name = (const char *)p->v[0].p;
    size_t len = p->v[0].len;
    uint8_t owner[32];
    bool found = false;
    enum txerr err = market_name_owner(v, name, len, owner, &found);
    if (err != TXERR_OK)
        return err;
    if (found && !is(owner, tx->sender))
        return RULE(MARKET_ERR_NAME_TAKEN);
    struct market_profile prof;
    bool had = false;
    if ((err = market_profile_get(v, tx->sender, &prof, &had)) != TXERR_OK)
        return err;
    /* A rename frees the old name for anyone. */
    if (had && (prof.name_len != len || memcmp(prof.name, name, len) != 0) &&
        (err = market_name_del(v, prof.name, prof.name_len)) != TXERR_OK)
        return err;
    copy_text(prof.name, &prof.name_len, &p->v[0]);
    copy_text(prof.about, &prof.about_len, &p->v[1]);
    prof.height = ctx->height;
    if ((err = market_name_put(v, name, len, tx->sender)) != TXERR_OK)
        return err;
    return market_profile_put(v, tx->sender, &prof);
}

/* ---- listings --------------------------------------------------------------- */

static void listing_fields(struct market_listing *l, const struct txvalue *f)
{
    copy_text(l->title, &l->title_len, &f[0]);
    copy_text(l->description, &l->description_len, &f[1]);
    copy_text(l->category, &l->category_len, &f[2]);
    l->price = f[3].u;
    l->stock = f[4].u;
}

static enum txerr listing_create_apply(struct state_view *v, const struct tx *tx,
                                       const struct apply_ctx *ctx)
{
    const struct txpayload *p = ctx->payload;
    uint64_t expires = p->v[6].u;
    if (expires != 0 && expires <= ctx->height)
        return RULE(MARKET_ERR_EXPIRY_PAST);
    struct market_listing l;
    memset(&l, 0, sizeof l);
    memcpy(l.seller, tx->sender, 32);
    l.state = MARKET_LISTING_ACTIVE;
    listing_fields(&l, &p->v[0]);
    l.n_media = p->v[5].len;
    if (l.n_media > 0)
        memcpy(l.media, p->v[5].p, l.n_media * 32);
    l.expires_at_height = expires;
    l.created_height = l.updated_height = ctx->height;
    return market_listing_put(v, ctx->txid, &l);
}

/* The seller's own ACTIVE listing. */
static enum txerr own_active_listing(struct state_view *v, const struct tx *tx, const uint8_t *id,
                                     struct market_listing *l)
{
    enum txerr err = load_listing(v, id, l);
    if (err != TXERR_OK)
        return err;
    if (!is(l->seller, tx->sender))
        return RULE(MARKET_ERR_NOT_SELLER);
    if (l->state != MARKET_LISTING_ACTIVE)
        return RULE(MARKET_ERR_LISTING_CLOSED);
    return TXERR_OK;
}

static enum txerr listing_update_apply(struct state_view *v, const struct tx *tx,
                                       const struct apply_ctx *ctx)
{
    const struct txpayload *p = ctx->payload;
    struct market_listing l;
    enum txerr err = own_active_listing(v, tx, p->v[0].p, &l);
    if (err != TXERR_OK)
        return err;
    listing_fields(&l, &p->v[1]);
    l.updated_height = ctx->height;
    return market_listing_put(v, p->v[0].p, &l);
}

static enum txerr listing_close_apply(struct state_view *v, const struct tx *tx,
                                      const struct apply_ctx *ctx)
{
    const struct txpayload *p = ctx->payload;
    struct market_listing l;
    enum txerr err = own_active_listing(v, tx, p->v[0].p, &l);
    if (err != TXERR_OK)
        return err;
    l.state = MARKET_LISTING_CLOSED;
    l.updated_height = ctx->height;
    return market_listing_put(v, p->v[0].p, &l);
}

/* ---- orders ----------------------------------------------------------------- */

static enum txerr order_place_check(const struct tx *tx, const struct txpayload *p)
{
    const struct txvalue *arbiter = &p->v[3];
    if (arbiter->len == 32 && memcmp(arbiter->p, tx->sender, 32) == 0)
        return RULE(MARKET_ERR_ARBITER_IS_BUYER);
    if (arbiter->len == 0 && p->v[4].u > 0)
        return RULE(MARKET_ERR_FEE_WITHOUT_ARBITER);
    return TXERR_OK;
}

static enum txerr order_place_apply(struct state_view *v, const struct tx *tx,
                                    const struct apply_ctx *ctx)
{
    const struct txpayload *p = ctx->payload;
    const uint8_t *listing_id = p->v[0].p;
    uint64_t quantity = p->v[1].u;
    struct market_listing l;
    enum txerr err = load_listing(v, listing_id, &l);
    if (err != TXERR_OK)
        return err;
    if (is(l.seller, tx->sender))
        return RULE(MARKET_ERR_OWN_LISTING);
    if (l.state != MARKET_LISTING_ACTIVE)
        return RULE(MARKET_ERR_LISTING_CLOSED);
    if (market_listing_expired(&l, ctx->height))
        return RULE(MARKET_ERR_LISTING_EXPIRED);
    if (p->v[3].len == 32 && is(p->v[3].p, l.seller))
        return RULE(MARKET_ERR_ARBITER_IS_SELLER);
    if (quantity > l.stock)
        return RULE(MARKET_ERR_OUT_OF_STOCK);
    amount_t total;
    if (!amount_mul(l.price, quantity, &total) || total > p->v[2].u)
        return RULE(MARKET_ERR_PRICE_ABOVE_MAX);

    /* The total leaves the buyer's balance (the fee is already taken). */
    struct account buyer;
    if ((err = account_get(v, tx->sender, &buyer)) != TXERR_OK)
        return err;
    if (buyer.balance < total)
        return TXERR_INSUFFICIENT_FUNDS;
    buyer.balance -= total;
    if ((err = account_put(v, tx->sender, &buyer)) != TXERR_OK ||
        (err = market_escrow_add(v, total)) != TXERR_OK)
        return err;
    l.stock -= quantity;
    if ((err = market_listing_put(v, listing_id, &l)) != TXERR_OK)
        return err;

    struct market_order o;
    memset(&o, 0, sizeof o);
    memcpy(o.listing_id, listing_id, 32);
    memcpy(o.buyer, tx->sender, 32);
    memcpy(o.seller, l.seller, 32);
    o.has_arbiter = p->v[3].len == 32;
    if (o.has_arbiter)
        memcpy(o.arbiter, p->v[3].p, 32);
    o.arbiter_fee_bps = p->v[4].u;
    o.quantity = quantity;
    o.price = l.price;
    o.total = total;
    o.state = MARKET_ORDER_PLACED;
    o.placed_height = o.state_height = ctx->height;
    if ((err = market_order_put(v, ctx->txid, &o)) != TXERR_OK ||
        (err = market_trades_order(v, o.buyer, o.seller, ctx->height)) != TXERR_OK)
        return err;
    return schedule(v, ctx, ctx->txid, ctx->params->order_accept_timeout);
}

/* The seller moves an order from one state to the next. */
static enum txerr seller_step(struct state_view *v, const struct tx *tx,
                              const struct apply_ctx *ctx, enum market_order_state from,
                              enum market_order_state to)
{
    const uint8_t *id = ctx->payload->v[0].p;
    struct market_order o;
    enum txerr err = load_order(v, id, &o);
    if (err != TXERR_OK)
        return err;
    if (!is(o.seller, tx->sender))
        return RULE(MARKET_ERR_NOT_SELLER);
    if (o.state != from)
        return RULE(MARKET_ERR_BAD_STATE);
    o.state = to;
    o.state_height = ctx->height;
    return market_order_put(v, id, &o);
}

static enum txerr order_accept_apply(struct state_view *v, const struct tx *tx,
                                     const struct apply_ctx *ctx)
{
    enum txerr err = seller_step(v, tx, ctx, MARKET_ORDER_PLACED, MARKET_ORDER_ACCEPTED);
    return err != TXERR_OK ? err : unschedule(v, ctx->payload->v[0].p);
}

static enum txerr order_ship_apply(struct state_view *v, const struct tx *tx,
                                   const struct apply_ctx *ctx)
{
    enum txerr err = seller_step(v, tx, ctx, MARKET_ORDER_ACCEPTED, MARKET_ORDER_SHIPPED);
    return err != TXERR_OK ? err
                           : schedule(v, ctx, ctx->payload->v[0].p, ctx->params->order_ship_timeout);
}

static enum txerr order_complete_apply(struct state_view *v, const struct tx *tx,
                                       const struct apply_ctx *ctx)
{
    const uint8_t *id = ctx->payload->v[0].p;
    struct market_order o;
    enum txerr err = load_order(v, id, &o);
    if (err != TXERR_OK)
        return err;
    if (!is(o.buyer, tx->sender))
        return RULE(MARKET_ERR_NOT_BUYER);
    if (o.state != MARKET_ORDER_ACCEPTED && o.state != MARKET_ORDER_SHIPPED)
        return RULE(MARKET_ERR_BAD_STATE);
    if ((err = settle(v, id, &o, 0, 0, MARKET_ORDER_COMPLETED, ctx)) != TXERR_OK)
        return err;
    return unschedule(v, id);
}

static enum txerr order_cancel_apply(struct state_view *v, const struct tx *tx,
                                     const struct apply_ctx *ctx)
{
    const uint8_t *id = ctx->payload->v[0].p;
    struct market_order o;
    enum txerr err = load_order(v, id, &o);
    if (err != TXERR_OK)
        return err;
    bool buyer = is(o.buyer, tx->sender), seller = is(o.seller, tx->sender);
    if (!buyer && !seller)
        return RULE(MARKET_ERR_NOT_PARTY);
    /* The buyer may withdraw until the seller commits; the seller may back
     * out until the goods are shipped. */
    bool allowed = o.state == MARKET_ORDER_PLACED || (seller && o.state == MARKET_ORDER_ACCEPTED);
    if (!allowed)
        return RULE(MARKET_ERR_BAD_STATE);
    if ((err = cancel_order(v, id, &o, ctx)) != TXERR_OK)
        return err;
    return unschedule(v, id);
}

static enum txerr order_dispute_apply(struct state_view *v, const struct tx *tx,
                                      const struct apply_ctx *ctx)
{
    const uint8_t *id = ctx->payload->v[0].p;
    struct market_order o;
    enum txerr err = load_order(v, id, &o);
    if (err != TXERR_OK)
        return err;
    if (!is(o.buyer, tx->sender) && !is(o.seller, tx->sender))
        return RULE(MARKET_ERR_NOT_PARTY);
    if (o.state != MARKET_ORDER_ACCEPTED && o.state != MARKET_ORDER_SHIPPED)
        return RULE(MARKET_ERR_BAD_STATE);
    if (!o.has_arbiter)
        return RULE(MARKET_ERR_NO_ARBITER);
    o.state = MARKET_ORDER_DISPUTED;
    o.state_height = ctx->height;
    if ((err = market_order_put(v, id, &o)) != TXERR_OK ||
        (err = market_trades_outcome(v, &o, MARKET_TRADES_DISPUTED)) != TXERR_OK)
        return err;
    /* Replaces a shipped order's completion timeout. */
    return schedule(v, ctx, id, ctx->params->order_dispute_timeout);
}

static enum txerr order_resolve_apply(struct state_view *v, const struct tx *tx,
                                      const struct apply_ctx *ctx)
{
    const uint8_t *id = ctx->payload->v[0].p;
    amount_t to_buyer = ctx->payload->v[1].u;
    struct market_order o;
    enum txerr err = load_order(v, id, &o);
    if (err != TXERR_OK)
        return err;
    if (!o.has_arbiter || !is(o.arbiter, tx->sender))
        return RULE(MARKET_ERR_NOT_ARBITER);
    if (o.state != MARKET_ORDER_DISPUTED)
        return RULE(MARKET_ERR_BAD_STATE);
    amount_t fee = market_arbiter_fee(o.total, o.arbiter_fee_bps);
    if (to_buyer > o.total - fee)
        return RULE(MARKET_ERR_SPLIT_TOO_LARGE);
    if ((err = settle(v, id, &o, to_buyer, fee, MARKET_ORDER_RESOLVED, ctx)) != TXERR_OK)
        return err;
    return unschedule(v, id);
}

/* ---- the type table --------------------------------------------------------- */

#define N(fields) (sizeof(fields) / sizeof((fields)[0]))
#define MARKET_TYPE(var, id_, name_, fields_, check_, apply_)                                \
    static const struct txtype_def var = {.id = (id_), .name = (name_), .fields = (fields_),  \
                                          .n_fields = N(fields_), .check = (check_),         \
                                          .apply = (apply_)}

MARKET_TYPE(t_profile_set, MARKET_TYPE_PROFILE_SET, "profile_set", profile_set_fields, NULL,
            profile_set_apply);
MARKET_TYPE(t_listing_create, MARKET_TYPE_LISTING_CREATE, "listing_create",
            listing_create_fields, NULL, listing_create_apply);
MARKET_TYPE(t_listing_update, MARKET_TYPE_LISTING_UPDATE, "listing_update",
            listing_update_fields, NULL, listing_update_apply);
MARKET_TYPE(t_listing_close, MARKET_TYPE_LISTING_CLOSE, "listing_close", listing_close_fields,
            NULL, listing_close_apply);
MARKET_TYPE(t_order_place, MARKET_TYPE_ORDER_PLACE, "order_place", order_place_fields,
            order_place_check, order_place_apply);
MARKET_TYPE(t_order_accept, MARKET_TYPE_ORDER_ACCEPT, "order_accept", order_id_fields, NULL,
            order_accept_apply);
MARKET_TYPE(t_order_ship, MARKET_TYPE_ORDER_SHIP, "order_ship", order_ship_fields, NULL,
            order_ship_apply);
MARKET_TYPE(t_order_complete, MARKET_TYPE_ORDER_COMPLETE, "order_complete", order_id_fields,
            NULL, order_complete_apply);
MARKET_TYPE(t_order_cancel, MARKET_TYPE_ORDER_CANCEL, "order_cancel", order_id_fields, NULL,
            order_cancel_apply);
MARKET_TYPE(t_order_dispute, MARKET_TYPE_ORDER_DISPUTE, "order_dispute", order_dispute_fields,
            NULL, order_dispute_apply);
MARKET_TYPE(t_order_resolve, MARKET_TYPE_ORDER_RESOLVE, "order_resolve", order_resolve_fields,
            NULL, order_resolve_apply);

static const struct txtype_def *const market_types[] = {
    &t_profile_set,   &t_listing_create, &t_listing_update, &t_listing_close,
    &t_order_place,   &t_order_accept,   &t_order_ship,     &t_order_complete,
    &t_order_cancel,  &t_order_dispute,  &t_order_resolve,
};

/* ---- timeouts --------------------------------------------------------------- */

/* An order whose timeout fell due: a PLACED order the seller never
 * accepted is cancelled (refund, stock back); a SHIPPED order the buyer
 * never disputed completes (paid to the seller); a DISPUTED order the
 * arbiter never resolved goes back to the buyer, and the arbiter earns no
 * fee. Any other state had its entry cancelled when it changed. */
static enum txerr market_timeout(struct state_view *v, const uint8_t *key, size_t klen,
                                 const uint8_t *data, size_t dlen, const struct apply_ctx *ctx)
{
    (void)data;
    (void)dlen;
    if (klen != 32)
        return TXERR_STORAGE;
    struct market_order o;
    enum txerr err = load_order(v, key, &o);
    if (err != TXERR_OK)
        return err == RULE(MARKET_ERR_UNKNOWN_ORDER) ? TXERR_STORAGE : err;
    o.timed_out = true;  /* every timeout ends the order */
    switch (o.state) {
    case MARKET_ORDER_PLACED:
        return cancel_order(v, key, &o, ctx);
    case MARKET_ORDER_SHIPPED:
        return settle(v, key, &o, 0, 0, MARKET_ORDER_COMPLETED, ctx);
    case MARKET_ORDER_DISPUTED:
        return settle(v, key, &o, o.total, 0, MARKET_ORDER_RESOLVED, ctx);
    default:
        return TXERR_STORAGE;
    }
}

static const struct deadline_handler market_deadlines[] = {
    {.owner = MARKET_DEADLINE_OWNER, .name = "market-timeout", .fire = market_timeout},
};

static const uint8_t market_prefixes[] = {MARKET_PREFIX};

static enum txerr market_held(struct state_view *v, amount_t *out)
{
    return market_escrow_get(v, out);
}

/* The index commits once per block: its write-ahead log is checkpointed
 * every 64 pages (256 KiB) instead of SQLite's 1,000 (4 MiB), so the -wal
 * file of a node that follows a long chain stays small. */
static bool market_start(struct plugin_ctx *pc, char *err, size_t errlen)
{
    char *msg = NULL;
    if (pc->db != NULL &&
        sqlite3_exec(pc->db, "PRAGMA wal_autocheckpoint=64", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "market index: %s",
                 msg != NULL ? msg : "cannot set its checkpoint");
        sqlite3_free(msg);
        return false;
    }
    return market_media_start(pc, err, errlen);
}

static void market_stop(struct plugin_ctx *pc)
{
    market_media_stop(pc);
}

/* The index, then the listing photos its new listings name. */
static bool market_connect(struct plugin_ctx *pc, const struct plugin_block *b, char *err,
                           size_t errlen)
{
    if (!market_index_connect(pc, b, err, errlen))
        return false;
    market_media_block(pc, b->height);
    return true;
}

const struct plugin market_plugin = {
    .name = "market",
    .summary = "profiles, listings and orders with escrow held by consensus",
    .types = market_types,
    .n_types = N(market_types),
    .rules = market_rules,
    .n_rules = MARKET_N_RULES,
    .deadlines = market_deadlines,
    .n_deadlines = N(market_deadlines),
    .prefixes = market_prefixes,
    .n_prefixes = N(market_prefixes),
    .supply_held = market_held,
    .tx_parties = market_tx_parties, /* market_events.c */
    .deadline_event = market_deadline_event,
    /* Search and read RPCs (market_index.c, market_rpc.c). */
    .db_file = "market.sqlite",
    .schema = market_index_schema,
    .n_schema = MARKET_INDEX_N_SCHEMA,
    .db_version = MARKET_INDEX_VERSION,
    .index_connect = market_connect,
    .index_disconnect = market_index_disconnect,
    .index_reset = market_index_reset,
    .rpc_methods = market_rpc_methods,
    .n_rpc_methods = MARKET_RPC_N_METHODS,
    /* Listing photos (market_media.c). */
    .invs = market_media_invs,
    .n_invs = N(market_media_invs),
    .options = market_media_options,
    .n_options = MARKET_MEDIA_N_OPTIONS,
    .start = market_start,
    .stop = market_stop,
};
