#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/blockcheck.h"
#include "consensus/chainparams.h"
#include "consensus/deadline.h"
#include "consensus/prologue.h"
#include "consensus/txcheck.h"
#include "consensus/txsign.h"
#include "node/pluginhost.h"
#include "plugins/market/market.h"
#include "plugins/market/market_state.h"

/* Every test drives the market through the paths block validation uses:
 * txcheck_stateless, then blockcheck_apply_tx (fee, nonce, apply, rollback
 * on refusal) and prologue_run for the deadlines of each height. */

#define FEE 1000
#define FUNDS (1000 * AMOUNT_COIN)

static struct pluginhost host;
static struct state_view view;
static struct fixture_user seller, buyer, arbiter, stranger;

static void start(void)
{
    char err[256];
    pluginhost_init(&host);
    ck_assert_msg(pluginhost_add(&host, &market_plugin, err, sizeof err), "%s", err);
    ck_assert_msg(pluginhost_install(&host, err, sizeof err), "%s", err);
    state_view_init(&view, &state_empty_backend);
    struct fixture_user *users[] = {&seller, &buyer, &arbiter, &stranger};
    for (size_t i = 0; i < 4; i++) {
        fixture_user_new(users[i]);
        fixture_fund(&view, users[i]->pub, FUNDS, 0);
    }
}

static void stop(void)
{
    state_view_clear(&view);
    pluginhost_clear(&host);
}

static amount_t balance(const struct fixture_user *u)
{
    return fixture_account(&view, u->pub).balance;
}

/* Builds a market tx of `type` from values, signed by u at its next nonce. */
static void build(struct tx *tx, const struct fixture_user *u, uint8_t type,
                  const struct txvalue *vals)
{
    const struct txtype_def *def = txtype_find(type);
    ck_assert_ptr_nonnull(def);
    struct buf b;
    buf_init(&b);
    ck_assert(txpayload_encode(def->fields, def->n_fields, vals, &b));
    tx->type = type;
    tx->nonce = fixture_account(&view, u->pub).nonce;
    tx->fee = FEE;
    ck_assert_int_eq(tx_set_payload(tx, b.data, b.len), SER_OK);
    buf_clear(&b);
    ck_assert(txsign_sign(tx, u->sk, fixture_regtest()->genesis.hash));
}

/* Checks and applies a tx at height as a block would; txid (may be NULL)
 * receives its id. */
static enum txerr act(const struct fixture_user *u, uint8_t type, const struct txvalue *vals,
                      uint64_t height, uint8_t txid[32])
{
    struct tx tx;
    tx_init(&tx);
    build(&tx, u, type, vals);
    if (txid != NULL)
        tx_txid(&tx, txid);
    enum txerr err = txcheck_stateless(&tx, fixture_regtest()->genesis.hash, NULL);
    if (err == TXERR_OK) {
        struct apply_ctx ctx = {.params = fixture_regtest(), .height = height};
        err = blockcheck_apply_tx(&view, &tx, &ctx);
    }
    tx_clear(&tx);
    return err;
}

/* Runs the block prologue (deadlines) for every height in (from, to]. */
static void blocks(uint64_t from, uint64_t to)
{
    for (uint64_t h = from + 1; h <= to; h++) {
        struct apply_ctx ctx = {.params = fixture_regtest(), .height = h};
        ck_assert_int_eq(prologue_run(&view, &ctx), TXERR_OK);
    }
}

#define TEXT(s) {.p = (const uint8_t *)(s), .len = strlen(s)}
#define HASH(h) {.p = (h), .len = 32}

static enum txerr set_profile(const struct fixture_user *u, const char *name, const char *about)
{
    struct txvalue v[] = {TEXT(name), TEXT(about)};
    return act(u, MARKET_TYPE_PROFILE_SET, v, 10, NULL);
}

static enum txerr create_listing(const struct fixture_user *u, amount_t price, uint64_t qty,
                                 uint64_t expires, uint64_t height, uint8_t id[32])
{
    struct txvalue v[] = {TEXT("A wooden chair"), TEXT("Oak, hand made"), TEXT("furniture"),
                          {.u = price}, {.u = qty}, {.p = NULL, .len = 0}, {.u = expires}};
    return act(u, MARKET_TYPE_LISTING_CREATE, v, height, id);
}

static enum txerr place(const struct fixture_user *u, const uint8_t listing[32], uint64_t qty,
                        amount_t max_total, const uint8_t *arb, uint64_t bps, uint64_t height,
                        uint8_t id[32])
{
    struct txvalue v[] = {HASH(listing), {.u = qty},           {.u = max_total},
                          {.p = arb, .len = arb != NULL ? 32 : 0}, {.u = bps}, TEXT("note")};
    return act(u, MARKET_TYPE_ORDER_PLACE, v, height, id);
}

static enum txerr order_act(const struct fixture_user *u, uint8_t type, const uint8_t order[32],
                            uint64_t height)
{
    struct txvalue v[2] = {HASH(order), TEXT("")};
    return act(u, type, v, height, NULL);
}

static enum txerr resolve(const struct fixture_user *u, const uint8_t order[32], amount_t to_buyer,
                          uint64_t height)
{
    struct txvalue v[] = {HASH(order), {.u = to_buyer}};
    return act(u, MARKET_TYPE_ORDER_RESOLVE, v, height, NULL);
}

static struct market_order order_of(const uint8_t id[32])
{
    struct market_order o;
    bool found = false;
    ck_assert_int_eq(market_order_get(&view, id, &o, &found), TXERR_OK);
    ck_assert(found);
    return o;
}

static struct market_listing listing_of(const uint8_t id[32])
{
    static struct market_listing l;
    bool found = false;
    ck_assert_int_eq(market_listing_get(&view, id, &l, &found), TXERR_OK);
    ck_assert(found);
    return l;
}

static amount_t escrow(void)
{
    amount_t e;
    ck_assert_int_eq(market_escrow_get(&view, &e), TXERR_OK);
    return e;
}

/* ---- a snapshot of the whole state, to show a refusal changes nothing ----- */

struct rec {
    struct buf kv;  /* key length (2 bytes) || key || value */
};

struct snap {
    struct rec *r;
    size_t n, cap;
};

static bool snap_add(void *ctx, const uint8_t *key, size_t klen, bool present, const uint8_t *val,
                     size_t vlen)
{
    struct snap *s = ctx;
    if (!present)
        return true;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->r = realloc(s->r, s->cap * sizeof *s->r);
        ck_assert_ptr_nonnull(s->r);
    }
    struct rec *r = &s->r[s->n++];
    buf_init(&r->kv);
    uint8_t len[2] = {(uint8_t)(klen >> 8), (uint8_t)klen};
    ck_assert(buf_append(&r->kv, len, 2) && buf_append(&r->kv, key, klen) &&
              buf_append(&r->kv, val, vlen));
    return true;
}

static int rec_cmp(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    size_t n = x->kv.len < y->kv.len ? x->kv.len : y->kv.len;
    int c = memcmp(x->kv.data, y->kv.data, n);
    return c != 0 ? c : (x->kv.len > y->kv.len) - (x->kv.len < y->kv.len);
}

/* Every record of a view over the empty backend, sorted by key. */
static struct snap snapshot(const struct state_view *v)
{
    struct snap s = {0};
    ck_assert(state_view_for_each_change(v, snap_add, &s));
    if (s.n > 0)
        qsort(s.r, s.n, sizeof *s.r, rec_cmp);
    return s;
}

static bool snap_equal(const struct snap *a, const struct snap *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (rec_cmp(&a->r[i], &b->r[i]) != 0)
            return false;
    return true;
}

static void snap_free(struct snap *s)
{
    for (size_t i = 0; i < s->n; i++)
        buf_clear(&s->r[i].kv);
    free(s->r);
    s->r = NULL;
    s->n = s->cap = 0;
}

/* Expects the refusal `reason` of class cls, and the state exactly as before. */
#define REFUSED(call, reason, cls)                                                           \
    do {                                                                                     \
        struct snap before_ = snapshot(&view);                                               \
        enum txerr e_ = (call);                                                              \
        ck_assert_str_eq(txerr_reason(e_), (reason));                                        \
        ck_assert_int_eq(txerr_class(e_), (cls));                                            \
        struct snap after_ = snapshot(&view);                                                \
        ck_assert_msg(snap_equal(&before_, &after_), "%s changed the state", (reason));     \
        snap_free(&before_);                                                                 \
        snap_free(&after_);                                                                  \
    } while (0)

/* ---- profiles --------------------------------------------------------------- */

START_TEST(profiles_names_are_unique)
{
    start();
    ck_assert_int_eq(set_profile(&seller, "oak-works_1", "chairs"), TXERR_OK);
    struct market_profile p;
    bool found = false;
    ck_assert_int_eq(market_profile_get(&view, seller.pub, &p, &found), TXERR_OK);
    ck_assert(found);
    ck_assert_str_eq(p.name, "oak-works_1");
    ck_assert_str_eq(p.about, "chairs");
    uint8_t owner[32];
    ck_assert_int_eq(market_name_owner(&view, "oak-works_1", 11, owner, &found), TXERR_OK);
    ck_assert(found && memcmp(owner, seller.pub, 32) == 0);

    REFUSED(set_profile(&buyer, "oak-works_1", ""), "market-name-taken", TXCLASS_STATE);
    /* the pattern and length are stateless: an invalid tx */
    REFUSED(set_profile(&buyer, "Oak", ""), "market-bad-name", TXCLASS_INVALID);
    REFUSED(set_profile(&buyer, "ab", ""), "market-bad-name", TXCLASS_INVALID);
    REFUSED(set_profile(&buyer, "a.b", ""), "market-bad-name", TXCLASS_INVALID);
    REFUSED(set_profile(&buyer, "abcdefghijklmnopqrstuvwxyz0123456", ""), "market-bad-name",
            TXCLASS_INVALID);
    char about[MARKET_ABOUT_MAX + 2];
    memset(about, 'x', sizeof about - 1);
    about[sizeof about - 1] = '\0';
    REFUSED(set_profile(&buyer, "buyer", about), "bad-payload", TXCLASS_INVALID);
    /* invalid UTF-8 never reaches apply: the payload does not decode */
    const struct txtype_def *def = txtype_find(MARKET_TYPE_PROFILE_SET);
    static const uint8_t truncated[] = {0x92, 0xa5, 'b', 'u', 'y', 'e', 'r', 0xa4, 'c', 'a', 'f', 0xc3};
    static const uint8_t surrogate[] = {0x92, 0xa5, 'b', 'u', 'y', 'e', 'r', 0xa3, 0xed, 0xa0, 0x80};
    const uint8_t *bad[] = {truncated, surrogate};
    size_t bad_len[] = {sizeof truncated, sizeof surrogate};
    for (size_t i = 0; i < 2; i++) {
        struct txpayload pl;
        txpayload_init(&pl);
        enum ser_err detail = SER_OK;
        ck_assert_int_eq(txpayload_decode(def->fields, def->n_fields, bad[i], bad_len[i], &pl,
                                          &detail, NULL),
                         TXERR_BAD_PAYLOAD);
        ck_assert_int_eq(detail, SER_ERR_UTF8);
        txpayload_clear(&pl);
    }
    about[MARKET_ABOUT_MAX] = '\0';
    ck_assert_int_eq(set_profile(&buyer, "buyer", about), TXERR_OK);

    /* the holder may set the same name again; a rename frees the old one */
    ck_assert_int_eq(set_profile(&seller, "oak-works_1", "tables too"), TXERR_OK);
    ck_assert_int_eq(set_profile(&seller, "oak-works", ""), TXERR_OK);
    ck_assert_int_eq(market_name_owner(&view, "oak-works_1", 11, owner, &found), TXERR_OK);
    ck_assert(!found);
    ck_assert_int_eq(set_profile(&stranger, "oak-works_1", ""), TXERR_OK);
    REFUSED(set_profile(&buyer, "oak-works", ""), "market-name-taken", TXCLASS_STATE);
    stop();
}
END_TEST

/* ---- listings --------------------------------------------------------------- */

START_TEST(listing_rules)
{
    start();
    uint8_t id[32], id2[32];
    ck_assert_int_eq(create_listing(&seller, 500, 3, 0, 10, id), TXERR_OK);
    struct market_listing l = listing_of(id);
    ck_assert(memcmp(l.seller, seller.pub, 32) == 0);
    ck_assert_uint_eq(l.state, MARKET_LISTING_ACTIVE);
    ck_assert_uint_eq(l.price, 500);
    ck_assert_uint_eq(l.stock, 3);
    ck_assert_str_eq(l.title, "A wooden chair");
    ck_assert_str_eq(l.category, "furniture");
    ck_assert_uint_eq(l.created_height, 10);

    /* field bounds */
    REFUSED(create_listing(&seller, 0, 3, 0, 10, NULL), "bad-amount-zero", TXCLASS_INVALID);
    REFUSED(create_listing(&seller, 5, 0, 0, 10, NULL), "bad-payload", TXCLASS_INVALID);
    REFUSED(create_listing(&seller, 5, MARKET_QUANTITY_MAX + 1, 0, 10, NULL), "bad-payload",
            TXCLASS_INVALID);
    char title[MARKET_TITLE_MAX + 2];
    memset(title, 't', sizeof title - 1);
    title[sizeof title - 1] = '\0';
    struct txvalue long_title[] = {TEXT(title), TEXT(""), TEXT(""), {.u = 1}, {.u = 1},
                                   {.len = 0}, {.u = 0}};
    REFUSED(act(&seller, MARKET_TYPE_LISTING_CREATE, long_title, 10, NULL), "bad-payload",
            TXCLASS_INVALID);
    uint8_t media[9 * 32] = {0};
    struct txvalue many_media[] = {TEXT("t"), TEXT(""), TEXT(""), {.u = 1}, {.u = 1},
                                   {.p = media, .len = 9}, {.u = 0}};
    REFUSED(act(&seller, MARKET_TYPE_LISTING_CREATE, many_media, 10, NULL), "bad-payload",
            TXCLASS_INVALID);
    many_media[5].len = 8;
    ck_assert_int_eq(act(&seller, MARKET_TYPE_LISTING_CREATE, many_media, 10, id2), TXERR_OK);
    ck_assert_uint_eq(listing_of(id2).n_media, 8);
    /* an expiry must lie ahead */
    REFUSED(create_listing(&seller, 5, 1, 10, 10, NULL), "market-expiry-past", TXCLASS_STATE);

    /* only the seller updates or closes, and only while ACTIVE */
    struct txvalue upd[] = {HASH(id), TEXT("A chair"), TEXT("d"), TEXT("c"), {.u = 700}, {.u = 9}};
    REFUSED(act(&stranger, MARKET_TYPE_LISTING_UPDATE, upd, 11, NULL), "market-not-seller",
            TXCLASS_STATE);
    ck_assert_int_eq(act(&seller, MARKET_TYPE_LISTING_UPDATE, upd, 11, NULL), TXERR_OK);
    l = listing_of(id);
    ck_assert_uint_eq(l.price, 700);
    ck_assert_uint_eq(l.stock, 9);
    ck_assert_str_eq(l.title, "A chair");
    ck_assert_uint_eq(l.updated_height, 11);
    uint8_t ghost[32] = {7};
    struct txvalue close_ghost[] = {HASH(ghost)};
    REFUSED(act(&seller, MARKET_TYPE_LISTING_CLOSE, close_ghost, 12, NULL),
            "market-unknown-listing", TXCLASS_STATE);
    struct txvalue close[] = {HASH(id)};
    REFUSED(act(&buyer, MARKET_TYPE_LISTING_CLOSE, close, 12, NULL), "market-not-seller",
            TXCLASS_STATE);
    ck_assert_int_eq(act(&seller, MARKET_TYPE_LISTING_CLOSE, close, 12, NULL), TXERR_OK);
    ck_assert_uint_eq(listing_of(id).state, MARKET_LISTING_CLOSED);
    REFUSED(act(&seller, MARKET_TYPE_LISTING_CLOSE, close, 13, NULL), "market-listing-closed",
            TXCLASS_STATE);
    REFUSED(act(&seller, MARKET_TYPE_LISTING_UPDATE, upd, 13, NULL), "market-listing-closed",
            TXCLASS_STATE);
    REFUSED(place(&buyer, id, 1, 10000, NULL, 0, 13, NULL), "market-listing-closed",
            TXCLASS_STATE);

    /* a listing expiring at 20 takes orders up to block 20, none after */
    uint8_t exp[32], o[32];
    ck_assert_int_eq(create_listing(&seller, 5, 5, 20, 13, exp), TXERR_OK);
    ck_assert_int_eq(place(&buyer, exp, 1, 5, NULL, 0, 20, o), TXERR_OK);
    REFUSED(place(&buyer, exp, 1, 5, NULL, 0, 21, NULL), "market-listing-expired",
            TXCLASS_STATE);
    stop();
}
END_TEST

/* ---- order_place refusals --------------------------------------------------- */

START_TEST(order_place_refusals)
{
    start();
    uint8_t id[32];
    ck_assert_int_eq(create_listing(&seller, 250, 2, 0, 10, id), TXERR_OK);
    uint8_t ghost[32] = {9};
    REFUSED(place(&buyer, ghost, 1, 250, NULL, 0, 11, NULL), "market-unknown-listing",
            TXCLASS_STATE);
    REFUSED(place(&seller, id, 1, 250, NULL, 0, 11, NULL), "market-own-listing", TXCLASS_STATE);
    REFUSED(place(&buyer, id, 3, 750, NULL, 0, 11, NULL), "market-out-of-stock", TXCLASS_STATE);
    REFUSED(place(&buyer, id, 2, 499, NULL, 0, 11, NULL), "market-price-above-max",
            TXCLASS_STATE);
    REFUSED(place(&buyer, id, 1, 250, buyer.pub, 0, 11, NULL), "market-arbiter-is-buyer",
            TXCLASS_INVALID);
    REFUSED(place(&buyer, id, 1, 250, seller.pub, 0, 11, NULL), "market-arbiter-is-seller",
            TXCLASS_STATE);
    REFUSED(place(&buyer, id, 1, 250, arbiter.pub, 1001, 11, NULL), "market-fee-bps-too-high",
            TXCLASS_INVALID);
    REFUSED(place(&buyer, id, 1, 250, NULL, 10, 11, NULL), "market-fee-without-arbiter",
            TXCLASS_INVALID);
    REFUSED(place(&buyer, id, 1, 0, NULL, 0, 11, NULL), "bad-amount-zero", TXCLASS_INVALID);
    /* the total must be there besides the fee */
    uint8_t pricey[32];
    ck_assert_int_eq(create_listing(&seller, FUNDS, 1, 0, 10, pricey), TXERR_OK);
    REFUSED(place(&buyer, pricey, 1, FUNDS, NULL, 0, 11, NULL), "insufficient-funds",
            TXCLASS_STATE);
    /* a price times quantity past the largest amount is above any max_total */
    uint8_t huge[32];
    ck_assert_int_eq(create_listing(&seller, AMOUNT_MAX, 2, 0, 10, huge), TXERR_OK);
    REFUSED(place(&buyer, huge, 2, AMOUNT_MAX, NULL, 0, 11, NULL), "market-price-above-max",
            TXCLASS_STATE);
    /* the edge cases that are allowed */
    ck_assert_int_eq(place(&buyer, id, 2, 500, arbiter.pub, 1000, 11, NULL), TXERR_OK);
    REFUSED(place(&stranger, id, 1, 250, NULL, 0, 11, NULL), "market-out-of-stock",
            TXCLASS_STATE);
    stop();
}
END_TEST

/* ---- the happy path and escrow ---------------------------------------------- */

START_TEST(order_happy_path_moves_escrow_exactly)
{
    start();
    uint8_t id[32], o[32];
    ck_assert_int_eq(create_listing(&seller, 1234567, 10, 0, 10, id), TXERR_OK);
    amount_t s0 = balance(&seller), b0 = balance(&buyer);
    ck_assert_int_eq(place(&buyer, id, 3, 3703701, NULL, 0, 11, o), TXERR_OK);
    ck_assert_uint_eq(balance(&buyer), b0 - 3703701 - FEE);
    ck_assert_uint_eq(escrow(), 3703701);
    ck_assert_uint_eq(listing_of(id).stock, 7);
    struct market_order ord = order_of(o);
    ck_assert_uint_eq(ord.state, MARKET_ORDER_PLACED);
    ck_assert_uint_eq(ord.total, 3703701);
    ck_assert_uint_eq(ord.quantity, 3);
    ck_assert(memcmp(ord.seller, seller.pub, 32) == 0 && memcmp(ord.buyer, buyer.pub, 32) == 0);
    ck_assert(!ord.has_arbiter);
    uint64_t due;
    bool found;
    ck_assert_int_eq(deadline_find(&view, MARKET_DEADLINE_OWNER, o, 32, &due, &found), TXERR_OK);
    ck_assert(found);
    ck_assert_uint_eq(due, 11 + fixture_regtest()->order_accept_timeout);

    REFUSED(order_act(&stranger, MARKET_TYPE_ORDER_ACCEPT, o, 12), "market-not-seller",
            TXCLASS_STATE);
    REFUSED(order_act(&buyer, MARKET_TYPE_ORDER_ACCEPT, o, 12), "market-not-seller",
            TXCLASS_STATE);
    REFUSED(order_act(&seller, MARKET_TYPE_ORDER_SHIP, o, 12), "market-bad-state", TXCLASS_STATE);
    REFUSED(order_act(&buyer, MARKET_TYPE_ORDER_COMPLETE, o, 12), "market-bad-state",
            TXCLASS_STATE);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o, 12), TXERR_OK);
    ck_assert_uint_eq(order_of(o).state, MARKET_ORDER_ACCEPTED);
    ck_assert_int_eq(deadline_find(&view, MARKET_DEADLINE_OWNER, o, 32, &due, &found), TXERR_OK);
    ck_assert(!found);
    REFUSED(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o, 13), "market-bad-state",
            TXCLASS_STATE);
    REFUSED(order_act(&stranger, MARKET_TYPE_ORDER_SHIP, o, 13), "market-not-seller",
            TXCLASS_STATE);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_SHIP, o, 13), TXERR_OK);
    ck_assert_uint_eq(order_of(o).state, MARKET_ORDER_SHIPPED);
    ck_assert_uint_eq(order_of(o).state_height, 13);
    REFUSED(order_act(&seller, MARKET_TYPE_ORDER_COMPLETE, o, 14), "market-not-buyer",
            TXCLASS_STATE);
    REFUSED(order_act(&stranger, MARKET_TYPE_ORDER_COMPLETE, o, 14), "market-not-buyer",
            TXCLASS_STATE);
    ck_assert_int_eq(order_act(&buyer, MARKET_TYPE_ORDER_COMPLETE, o, 14), TXERR_OK);
    ck_assert_uint_eq(order_of(o).state, MARKET_ORDER_COMPLETED);
    ck_assert_uint_eq(balance(&seller), s0 + 3703701 - 2 * FEE);
    ck_assert_uint_eq(balance(&buyer), b0 - 3703701 - 2 * FEE);
    /* no escrow left: no record at all, so equal states have equal keys */
    ck_assert_uint_eq(escrow(), 0);
    uint8_t ekey[2] = {MARKET_PREFIX, MARKET_REC_ESCROW};
    struct buf val;
    buf_init(&val);
    ck_assert(state_get(&view, ekey, 2, &val, &found));
    ck_assert(!found);
    buf_clear(&val);
    ck_assert_int_eq(deadline_find(&view, MARKET_DEADLINE_OWNER, o, 32, &due, &found), TXERR_OK);
    ck_assert(!found);
    REFUSED(order_act(&buyer, MARKET_TYPE_ORDER_COMPLETE, o, 15), "market-bad-state",
            TXCLASS_STATE);
    uint8_t ghost[32] = {1};
    REFUSED(order_act(&buyer, MARKET_TYPE_ORDER_COMPLETE, ghost, 15), "market-unknown-order",
            TXCLASS_STATE);
    /* the stock stays sold */
    ck_assert_uint_eq(listing_of(id).stock, 7);
    stop();
}
END_TEST

START_TEST(cancel_refunds_and_restores_stock)
{
    start();
    uint8_t id[32], o1[32], o2[32];
    ck_assert_int_eq(create_listing(&seller, 100, 5, 0, 10, id), TXERR_OK);
    amount_t b0 = balance(&buyer);
    ck_assert_int_eq(place(&buyer, id, 2, 200, NULL, 0, 11, o1), TXERR_OK);
    ck_assert_int_eq(place(&buyer, id, 3, 300, NULL, 0, 11, o2), TXERR_OK);
    ck_assert_uint_eq(listing_of(id).stock, 0);
    ck_assert_uint_eq(escrow(), 500);
    REFUSED(order_act(&stranger, MARKET_TYPE_ORDER_CANCEL, o1, 12), "market-not-party",
            TXCLASS_STATE);
    /* the buyer withdraws a PLACED order */
    ck_assert_int_eq(order_act(&buyer, MARKET_TYPE_ORDER_CANCEL, o1, 12), TXERR_OK);
    ck_assert_uint_eq(order_of(o1).state, MARKET_ORDER_CANCELED);
    ck_assert_uint_eq(listing_of(id).stock, 2);
    ck_assert_uint_eq(escrow(), 300);
    /* once accepted only the seller may back out */
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o2, 12), TXERR_OK);
    REFUSED(order_act(&buyer, MARKET_TYPE_ORDER_CANCEL, o2, 13), "market-bad-state",
            TXCLASS_STATE);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_CANCEL, o2, 13), TXERR_OK);
    ck_assert_uint_eq(listing_of(id).stock, 5);
    ck_assert_uint_eq(escrow(), 0);
    ck_assert_uint_eq(balance(&buyer), b0 - 3 * FEE);
    REFUSED(order_act(&seller, MARKET_TYPE_ORDER_CANCEL, o2, 14), "market-bad-state",
            TXCLASS_STATE);
    /* shipped goods are not cancelled */
    uint8_t o3[32];
    ck_assert_int_eq(place(&buyer, id, 1, 100, NULL, 0, 14, o3), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o3, 14), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_SHIP, o3, 14), TXERR_OK);
    REFUSED(order_act(&seller, MARKET_TYPE_ORDER_CANCEL, o3, 15), "market-bad-state",
            TXCLASS_STATE);
    stop();
}
END_TEST

START_TEST(dispute_and_resolve_split)
{
    start();
    uint8_t id[32], plain[32], o[32];
    ck_assert_int_eq(create_listing(&seller, 33333, 5, 0, 10, id), TXERR_OK);
    ck_assert_int_eq(place(&buyer, id, 1, 33333, NULL, 0, 11, plain), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, plain, 11), TXERR_OK);
    REFUSED(order_act(&buyer, MARKET_TYPE_ORDER_DISPUTE, plain, 12), "market-no-arbiter",
            TXCLASS_STATE);

    ck_assert_int_eq(place(&buyer, id, 3, 99999, arbiter.pub, 250, 12, o), TXERR_OK);
    REFUSED(order_act(&buyer, MARKET_TYPE_ORDER_DISPUTE, o, 12), "market-bad-state",
            TXCLASS_STATE);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o, 12), TXERR_OK);
    REFUSED(order_act(&stranger, MARKET_TYPE_ORDER_DISPUTE, o, 13), "market-not-party",
            TXCLASS_STATE);
    REFUSED(order_act(&arbiter, MARKET_TYPE_ORDER_DISPUTE, o, 13), "market-not-party",
            TXCLASS_STATE);
    REFUSED(resolve(&arbiter, o, 0, 13), "market-bad-state", TXCLASS_STATE);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_DISPUTE, o, 13), TXERR_OK);
    ck_assert_uint_eq(order_of(o).state, MARKET_ORDER_DISPUTED);
    REFUSED(order_act(&buyer, MARKET_TYPE_ORDER_COMPLETE, o, 14), "market-bad-state",
            TXCLASS_STATE);
    REFUSED(resolve(&buyer, o, 0, 14), "market-not-arbiter", TXCLASS_STATE);
    REFUSED(resolve(&seller, o, 0, 14), "market-not-arbiter", TXCLASS_STATE);
    REFUSED(resolve(&stranger, o, 0, 14), "market-not-arbiter", TXCLASS_STATE);
    /* fee = 99999 * 250 / 10000 = 2499 (rounded down): the buyer can get 97500 at most */
    amount_t fee = market_arbiter_fee(99999, 250);
    ck_assert_uint_eq(fee, 2499);
    REFUSED(resolve(&arbiter, o, 99999 - fee + 1, 14), "market-split-too-large", TXCLASS_STATE);
    amount_t s0 = balance(&seller), b0 = balance(&buyer), a0 = balance(&arbiter);
    amount_t e0 = escrow();
    ck_assert_int_eq(resolve(&arbiter, o, 60000, 14), TXERR_OK);
    ck_assert_uint_eq(order_of(o).state, MARKET_ORDER_RESOLVED);
    ck_assert_uint_eq(balance(&buyer), b0 + 60000);
    ck_assert_uint_eq(balance(&arbiter), a0 + fee - FEE);
    ck_assert_uint_eq(balance(&seller), s0 + 99999 - 60000 - fee);
    ck_assert_uint_eq(escrow(), e0 - 99999);
    REFUSED(resolve(&arbiter, o, 0, 15), "market-bad-state", TXCLASS_STATE);
    stop();
}
END_TEST

START_TEST(arbiter_fee_arithmetic)
{
    ck_assert_uint_eq(market_arbiter_fee(9999, 1), 0);
    ck_assert_uint_eq(market_arbiter_fee(10000, 1), 1);
    ck_assert_uint_eq(market_arbiter_fee(12345, 250), 308);
    ck_assert_uint_eq(market_arbiter_fee(12345, 0), 0);
    ck_assert_uint_eq(market_arbiter_fee(100, 1000), 10);
    /* no overflow at the largest total: exactly a tenth */
    ck_assert_uint_eq(market_arbiter_fee(AMOUNT_MAX, 1000), AMOUNT_MAX / 10);
    ck_assert_uint_eq(market_arbiter_fee(AMOUNT_MAX - 1, 999),
                      (amount_t)(((unsigned __int128)(AMOUNT_MAX - 1) * 999) / 10000));
}
END_TEST

/* ---- timeouts --------------------------------------------------------------- */

START_TEST(timeouts_fire_at_their_height)
{
    start();
    const struct chain_params *p = fixture_regtest();
    ck_assert_uint_eq(p->order_accept_timeout, 20);
    ck_assert_uint_eq(p->order_ship_timeout, 30);
    ck_assert_uint_eq(p->order_dispute_timeout, 40);
    for (int net = CHAIN_MAIN; net <= CHAIN_TEST; net++) {
        const struct chain_params *q = chainparams_get((enum chain_network)net);
        ck_assert_uint_eq(q->order_accept_timeout, 1440);
        ck_assert_uint_eq(q->order_ship_timeout, 20160);
        ck_assert_uint_eq(q->order_dispute_timeout, 43200);
    }
    uint8_t id[32], unaccepted[32], accepted[32], shipped[32], disputed[32], moved[32];
    ck_assert_int_eq(create_listing(&seller, 1000, 10, 0, 10, id), TXERR_OK);
    amount_t b0 = balance(&buyer);
    ck_assert_int_eq(place(&buyer, id, 1, 1000, NULL, 0, 100, unaccepted), TXERR_OK);
    ck_assert_int_eq(place(&buyer, id, 1, 1000, NULL, 0, 100, accepted), TXERR_OK);
    ck_assert_int_eq(place(&buyer, id, 1, 1000, NULL, 0, 100, shipped), TXERR_OK);
    ck_assert_int_eq(place(&buyer, id, 1, 1000, arbiter.pub, 100, 100, disputed), TXERR_OK);
    ck_assert_int_eq(place(&buyer, id, 1, 1000, arbiter.pub, 100, 100, moved), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, accepted, 100), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, shipped, 100), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_SHIP, shipped, 100), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, disputed, 100), TXERR_OK);
    ck_assert_int_eq(order_act(&buyer, MARKET_TYPE_ORDER_DISPUTE, disputed, 100), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, moved, 100), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_SHIP, moved, 100), TXERR_OK);
    ck_assert_uint_eq(listing_of(id).stock, 5);
    amount_t s0 = balance(&seller), a0 = balance(&arbiter);

    /* a PLACED order is cancelled when block 120 starts */
    blocks(100, 119);
    ck_assert_uint_eq(order_of(unaccepted).state, MARKET_ORDER_PLACED);
    blocks(119, 120);
    ck_assert_uint_eq(order_of(unaccepted).state, MARKET_ORDER_CANCELED);
    ck_assert_uint_eq(order_of(unaccepted).state_height, 120);
    ck_assert_uint_eq(listing_of(id).stock, 6);
    /* the buyer of `moved` disputes at 125: its completion at 130 is moved to 165 */
    ck_assert_int_eq(order_act(&buyer, MARKET_TYPE_ORDER_DISPUTE, moved, 125), TXERR_OK);
    blocks(120, 129);
    ck_assert_uint_eq(order_of(shipped).state, MARKET_ORDER_SHIPPED);
    blocks(129, 130);
    ck_assert_uint_eq(order_of(shipped).state, MARKET_ORDER_COMPLETED);
    ck_assert_uint_eq(balance(&seller), s0 + 1000);
    ck_assert_uint_eq(order_of(moved).state, MARKET_ORDER_DISPUTED);
    blocks(130, 139);
    ck_assert_uint_eq(order_of(disputed).state, MARKET_ORDER_DISPUTED);
    blocks(139, 140);
    /* an unresolved dispute goes back to the buyer; the arbiter earns nothing */
    ck_assert_uint_eq(order_of(disputed).state, MARKET_ORDER_RESOLVED);
    blocks(140, 164);
    ck_assert_uint_eq(order_of(moved).state, MARKET_ORDER_DISPUTED);
    blocks(164, 165);
    ck_assert_uint_eq(order_of(moved).state, MARKET_ORDER_RESOLVED);
    ck_assert_uint_eq(balance(&arbiter), a0);
    /* an ACCEPTED order has no timeout: it waits for the seller */
    blocks(165, 300);
    ck_assert_uint_eq(order_of(accepted).state, MARKET_ORDER_ACCEPTED);
    ck_assert_uint_eq(escrow(), 1000);
    /* refunds: unaccepted, disputed and moved; paid: shipped; held: accepted */
    ck_assert_uint_eq(balance(&buyer), b0 - 5 * 1000 - 7 * FEE + 3 * 1000);
    stop();
}
END_TEST

/* ---- coins are conserved ---------------------------------------------------- */

START_TEST(escrow_conserves_coins)
{
    start();
    uint8_t id[32], o[4][32];
    /* every tx below succeeds and pays FEE */
    enum txerr r[] = {
        create_listing(&seller, 777, 100, 0, 10, id),
        place(&buyer, id, 1, 100000, arbiter.pub, 333, 11, o[0]),
        place(&buyer, id, 2, 100000, arbiter.pub, 333, 11, o[1]),
        place(&buyer, id, 3, 100000, arbiter.pub, 333, 11, o[2]),
        place(&buyer, id, 4, 100000, arbiter.pub, 333, 11, o[3]),
        order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o[0], 12),
        order_act(&buyer, MARKET_TYPE_ORDER_COMPLETE, o[0], 12),
        order_act(&buyer, MARKET_TYPE_ORDER_CANCEL, o[1], 12),
        order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o[2], 12),
        order_act(&buyer, MARKET_TYPE_ORDER_DISPUTE, o[2], 12),
        resolve(&arbiter, o[2], 1001, 13),
    };
    size_t txs = sizeof r / sizeof r[0];
    for (size_t i = 0; i < txs; i++)
        ck_assert_msg(r[i] == TXERR_OK, "tx %zu: %s", i, txerr_reason(r[i]));
    blocks(13, 40); /* o[3] times out unaccepted */
    ck_assert_uint_eq(order_of(o[3]).state, MARKET_ORDER_CANCELED);
    amount_t sum = balance(&seller) + balance(&buyer) + balance(&arbiter) + balance(&stranger);
    ck_assert_uint_eq(sum + escrow() + txs * FEE, 4 * FUNDS);
    ck_assert_uint_eq(escrow(), 0);
    ck_assert_uint_eq(listing_of(id).stock, 100 - 1 - 3);
    stop();
}
END_TEST

/* ---- undo ------------------------------------------------------------------- */

static bool copy_change(void *ctx, const uint8_t *key, size_t klen, bool present,
                        const uint8_t *val, size_t vlen)
{
    struct state_view *base = ctx;
    return present ? state_put(base, key, klen, val, vlen) : state_del(base, key, klen);
}

START_TEST(undo_restores_the_state_exactly)
{
    start();
    uint8_t id[32], o1[32], o2[32], o3[32];
    ck_assert_int_eq(set_profile(&seller, "seller", "x"), TXERR_OK);
    ck_assert_int_eq(create_listing(&seller, 500, 4, 0, 10, id), TXERR_OK);
    ck_assert_int_eq(place(&buyer, id, 1, 500, arbiter.pub, 100, 10, o1), TXERR_OK);
    ck_assert_int_eq(place(&buyer, id, 1, 500, NULL, 0, 11, o2), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o1, 11), TXERR_OK);
    struct snap before = snapshot(&view);

    /* "block 30" in a view stacked on the state: o2's timeout fires, then
     * every kind of change (rename, update, orders placed, shipped,
     * disputed, completed) */
    struct state_view base = view;
    struct state_backend be;
    state_view_as_backend(&base, &be);
    state_view_init(&view, &be);
    blocks(29, 31);
    ck_assert_int_eq(set_profile(&seller, "seller-renamed", "y"), TXERR_OK);
    struct txvalue upd[] = {HASH(id), TEXT("t"), TEXT("d"), TEXT("c"), {.u = 9}, {.u = 9}};
    ck_assert_int_eq(act(&seller, MARKET_TYPE_LISTING_UPDATE, upd, 31, NULL), TXERR_OK);
    ck_assert_int_eq(place(&buyer, id, 2, 18, NULL, 0, 31, o3), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o3, 31), TXERR_OK);
    ck_assert_int_eq(order_act(&buyer, MARKET_TYPE_ORDER_COMPLETE, o3, 31), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_SHIP, o1, 31), TXERR_OK);
    ck_assert_int_eq(order_act(&buyer, MARKET_TYPE_ORDER_DISPUTE, o1, 31), TXERR_OK);
    ck_assert_uint_eq(order_of(o2).state, MARKET_ORDER_CANCELED);
    struct buf undo;
    buf_init(&undo);
    ck_assert(state_view_undo_encode(&view, &undo));
    ck_assert(state_view_for_each_change(&view, copy_change, &base));
    state_view_clear(&view);
    view = base;

    /* connected: the market really changed */
    struct snap connected = snapshot(&view);
    ck_assert(!snap_equal(&before, &connected));
    /* disconnected: every record back, byte for byte, none left over */
    ck_assert_int_eq(state_undo_for_each(undo.data, undo.len, copy_change, &view), SER_OK);
    struct snap after = snapshot(&view);
    ck_assert(snap_equal(&before, &after));
    ck_assert_uint_eq(order_of(o2).state, MARKET_ORDER_PLACED);
    ck_assert_uint_eq(order_of(o1).state, MARKET_ORDER_ACCEPTED);
    ck_assert_uint_eq(listing_of(id).stock, 2);
    snap_free(&before);
    snap_free(&connected);
    snap_free(&after);
    buf_clear(&undo);
    stop();
}
END_TEST

static struct market_trades trades_of(const struct fixture_user *u, enum market_role role)
{
    struct market_trades t;
    ck_assert_int_eq(market_trades_get(&view, u->pub, role, &t), TXERR_OK);
    return t;
}

#define ASSERT_TRADES(u, role, orders, completed, cancelled, disputed, refunded, parties)      \
    do {                                                                                     \
        struct market_trades t_ = trades_of((u), (role));                                    \
        uint64_t want_[] = {(orders), (completed), (cancelled), (disputed), (refunded),      \
                            (parties)};                                                      \
        for (size_t i_ = 0; i_ < MARKET_TRADES_N_; i_++)                                     \
            ck_assert_msg(t_.n[i_] == want_[i_], "%s: %llu, expected %llu",                  \
                          market_trade_count_name((enum market_trade_count)i_),              \
                          (unsigned long long)t_.n[i_], (unsigned long long)want_[i_]);      \
    } while (0)

/* Each key's orders and their outcomes are counted in each role as they
 * happen, by transactions and by timeouts alike; a refusal counts nothing. */
START_TEST(trade_counts_follow_orders)
{
    start();
    const struct chain_params *p = fixture_regtest();
    uint8_t listing[32], o1[32], o2[32], o3[32], o4[32], o5[32];
    ck_assert_int_eq(create_listing(&seller, 100, 50, 0, 10, listing), TXERR_OK);
    ASSERT_TRADES(&seller, MARKET_ROLE_SELLER, 0, 0, 0, 0, 0, 0);

    /* completed by the buyer */
    ck_assert_int_eq(place(&buyer, listing, 1, 100, arbiter.pub, 0, 11, o1), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o1, 12), TXERR_OK);
    ck_assert_int_eq(order_act(&buyer, MARKET_TYPE_ORDER_COMPLETE, o1, 12), TXERR_OK);
    /* cancelled by the buyer; then one never accepted, cancelled by its timeout */
    ck_assert_int_eq(place(&buyer, listing, 1, 100, NULL, 0, 13, o2), TXERR_OK);
    ck_assert_int_eq(order_act(&buyer, MARKET_TYPE_ORDER_CANCEL, o2, 13), TXERR_OK);
    ck_assert_int_eq(place(&buyer, listing, 1, 100, NULL, 0, 14, o3), TXERR_OK);
    blocks(14, 14 + p->order_accept_timeout);
    ck_assert(order_of(o3).timed_out);
    ck_assert(!order_of(o2).timed_out);
    /* a stranger's dispute nobody resolves: refunded by its timeout */
    ck_assert_int_eq(place(&stranger, listing, 1, 100, arbiter.pub, 0, 40, o4), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o4, 41), TXERR_OK);
    ck_assert_int_eq(order_act(&stranger, MARKET_TYPE_ORDER_DISPUTE, o4, 41), TXERR_OK);
    blocks(41, 41 + p->order_dispute_timeout);
    struct market_order refunded = order_of(o4);
    ck_assert_int_eq(refunded.state, MARKET_ORDER_RESOLVED);
    ck_assert(refunded.timed_out);
    /* a dispute the arbiter resolves: disputed, not refunded */
    ck_assert_int_eq(place(&buyer, listing, 2, 200, arbiter.pub, 0, 90, o5), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_ACCEPT, o5, 90), TXERR_OK);
    ck_assert_int_eq(order_act(&seller, MARKET_TYPE_ORDER_DISPUTE, o5, 91), TXERR_OK);
    ck_assert_int_eq(resolve(&arbiter, o5, 50, 92), TXERR_OK);
    ck_assert(!order_of(o5).timed_out);
    /* refused actions count nothing */
    REFUSED(order_act(&buyer, MARKET_TYPE_ORDER_COMPLETE, o1, 93), "market-bad-state",
            TXCLASS_STATE);
    REFUSED(place(&seller, listing, 1, 100, NULL, 0, 93, NULL), "market-own-listing",
            TXCLASS_STATE);

    ASSERT_TRADES(&buyer, MARKET_ROLE_BUYER, 4, 1, 2, 1, 0, 1);
    ASSERT_TRADES(&stranger, MARKET_ROLE_BUYER, 1, 0, 0, 1, 1, 1);
    ASSERT_TRADES(&seller, MARKET_ROLE_SELLER, 5, 1, 2, 2, 1, 2);
    ASSERT_TRADES(&buyer, MARKET_ROLE_SELLER, 0, 0, 0, 0, 0, 0);
    ASSERT_TRADES(&arbiter, MARKET_ROLE_BUYER, 0, 0, 0, 0, 0, 0);
    struct market_trades t = trades_of(&seller, MARKET_ROLE_SELLER);
    ck_assert_uint_eq(t.first_height, 11);
    ck_assert_uint_eq(t.last_height, 90);
    t = trades_of(&stranger, MARKET_ROLE_BUYER);
    ck_assert_uint_eq(t.first_height, 40);
    ck_assert_uint_eq(t.last_height, 40);
    stop();
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {profiles_names_are_unique,
                            listing_rules,
                            order_place_refusals,
                            order_happy_path_moves_escrow_exactly,
                            cancel_refunds_and_restores_stock,
                            dispute_and_resolve_split,
                            arbiter_fee_arithmetic,
                            timeouts_fire_at_their_height,
                            escrow_conserves_coins,
                            undo_restores_the_state_exactly, trade_counts_follow_orders,
                            NULL};
    return fixture_suite("market", NULL, tests);
}
