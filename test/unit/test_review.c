#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/blockcheck.h"
#include "consensus/chainparams.h"
#include "consensus/prologue.h"
#include "consensus/txcheck.h"
#include "consensus/txsign.h"
#include "node/pluginhost.h"
#include "plugins/market/market.h"
#include "plugins/market/market_state.h"
#include "plugins/review/review.h"
#include "plugins/review/review_state.h"

/* The review plugin's consensus, hosted with the market as soukd hosts it,
 * against a state view: who may review which order and when, the aspect
 * rules, replies, and the reputation kept incrementally — checked against
 * hand-computed figures, against a recomputation from the stored reviews,
 * and through a block's undo data. */

#define FEE 1000
#define FUNDS (1000 * AMOUNT_COIN)
#define N_USERS 6

static struct pluginhost host;
static struct state_view view;
static struct fixture_user users[N_USERS];
static struct fixture_user *const seller = &users[0], *const buyer = &users[1],
                           *const arbiter = &users[2], *const stranger = &users[3];
static uint8_t listing[32];

static void start(void)
{
    char err[256];
    pluginhost_init(&host);
    ck_assert_msg(pluginhost_add(&host, &market_plugin, err, sizeof err), "%s", err);
    ck_assert_msg(pluginhost_add(&host, &review_plugin, err, sizeof err), "%s", err);
    ck_assert_msg(pluginhost_install(&host, err, sizeof err), "%s", err);
    state_view_init(&view, &state_empty_backend);
    for (size_t i = 0; i < N_USERS; i++) {
        fixture_user_new(&users[i]);
        fixture_fund(&view, users[i].pub, FUNDS, 0);
    }
}

static void stop(void)
{
    state_view_clear(&view);
    pluginhost_clear(&host);
}

/* Signs, checks and applies one tx at `height` as a block would. */
static enum txerr act(const struct fixture_user *u, uint8_t type, const struct txvalue *vals,
                      uint64_t height, uint8_t txid[32])
{
    const struct txtype_def *def = txtype_find(type);
    ck_assert_ptr_nonnull(def);
    struct buf b;
    buf_init(&b);
    ck_assert(txpayload_encode(def->fields, def->n_fields, vals, &b));
    struct tx tx;
    tx_init(&tx);
    tx.type = type;
    tx.nonce = fixture_account(&view, u->pub).nonce;
    tx.fee = FEE;
    ck_assert_int_eq(tx_set_payload(&tx, b.data, b.len), SER_OK);
    buf_clear(&b);
    ck_assert(txsign_sign(&tx, u->sk, fixture_regtest()->genesis.hash));
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

static void blocks(uint64_t from, uint64_t to)
{
    for (uint64_t h = from + 1; h <= to; h++) {
        struct apply_ctx ctx = {.params = fixture_regtest(), .height = h};
        ck_assert_int_eq(prologue_run(&view, &ctx), TXERR_OK);
    }
}

#define TEXT(s) {.p = (const uint8_t *)(s), .len = strlen(s)}
#define HASH(h) {.p = (h), .len = 32}

static void new_listing(uint64_t height)
{
    struct txvalue v[] = {TEXT("Lamp"), TEXT("Brass"), TEXT("lighting"), {.u = 1000},
                          {.u = 1000}, {.p = NULL, .len = 0},          {.u = 0}};
    ck_assert_int_eq(act(seller, MARKET_TYPE_LISTING_CREATE, v, height, listing), TXERR_OK);
}

static void order_step(const struct fixture_user *u, uint8_t type, const uint8_t id[32],
                       uint64_t height)
{
    struct txvalue v[2] = {HASH(id), TEXT("")};
    ck_assert_int_eq(act(u, type, v, height, NULL), TXERR_OK);
}

/* An order of qty lamps by `by`, with the arbiter, taken to `end`:
 * COMPLETED, PLACED, CANCELED or DISPUTED (then resolved by the arbiter
 * when resolve is set). */
static void order(const struct fixture_user *by, uint64_t qty, uint64_t height,
                  enum market_order_state end, bool resolve, uint8_t id[32])
{
    struct txvalue v[] = {HASH(listing), {.u = qty}, {.u = 1000 * qty}, HASH(arbiter->pub),
                          {.u = 0},      TEXT("")};
    ck_assert_int_eq(act(by, MARKET_TYPE_ORDER_PLACE, v, height, id), TXERR_OK);
    if (end == MARKET_ORDER_PLACED)
        return;
    if (end == MARKET_ORDER_CANCELED) {
        order_step(by, MARKET_TYPE_ORDER_CANCEL, id, height);
        return;
    }
    order_step(seller, MARKET_TYPE_ORDER_ACCEPT, id, height);
    if (end == MARKET_ORDER_COMPLETED) {
        order_step(by, MARKET_TYPE_ORDER_COMPLETE, id, height);
        return;
    }
    order_step(by, MARKET_TYPE_ORDER_DISPUTE, id, height);
    if (resolve) {
        struct txvalue r[] = {HASH(id), {.u = 100}};
        ck_assert_int_eq(act(arbiter, MARKET_TYPE_ORDER_RESOLVE, r, height, NULL), TXERR_OK);
    }
}

static enum txerr post(const struct fixture_user *u, const uint8_t order_id[32], uint64_t rating,
                       const uint8_t aspects[4], const char *text, uint64_t height,
                       uint8_t id[32])
{
    struct txvalue v[] = {HASH(order_id), {.u = rating}, {.p = aspects, .len = 4}, TEXT(text)};
    return act(u, REVIEW_TYPE_POST, v, height, id);
}

static enum txerr reply(const struct fixture_user *u, const uint8_t review_id[32],
                        uint64_t height)
{
    struct txvalue v[] = {HASH(review_id), TEXT("Thank you")};
    return act(u, REVIEW_TYPE_REPLY, v, height, NULL);
}

static struct review_reputation rep(const struct fixture_user *u, enum market_role role)
{
    struct review_reputation r;
    ck_assert_int_eq(review_reputation_get(&view, u->pub, role, &r), TXERR_OK);
    return r;
}

/* ---- the whole state, to show that a refusal changes nothing --------------- */

struct rec {
    struct buf kv; /* key length (2 bytes) || key || value */
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
    memset(s, 0, sizeof *s);
}

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

/* The reputation of one subject and role recomputed from every stored
 * review record, in key order (not the order they were applied in). */
static struct review_reputation recompute(const uint8_t subject[32], enum market_role role)
{
    struct snap s = snapshot(&view);
    struct review_reputation acc;
    memset(&acc, 0, sizeof acc);
    struct review_latest *latest = calloc(s.n + 1, sizeof *latest);
    ck_assert_ptr_nonnull(latest);
    size_t n_latest = 0;
    for (size_t i = 0; i < s.n; i++) {
        const uint8_t *kv = s.r[i].kv.data;
        size_t klen = ((size_t)kv[0] << 8) | kv[1];
        const uint8_t *key = kv + 2;
        if (klen != 34 || key[0] != REVIEW_PREFIX || key[1] != REVIEW_REC_REVIEW)
            continue;
        struct review_record r;
        ck_assert(review_record_decode(key + klen, s.r[i].kv.len - 2 - klen, &r));
        if (memcmp(r.subject, subject, 32) == 0 && r.role == role)
            review_reputation_fold(&acc, latest, &n_latest, key + 2, &r);
    }
    free(latest);
    snap_free(&s);
    return acc;
}

static bool rep_equal(const struct review_reputation *a, const struct review_reputation *b)
{
    bool eq = a->reviews == b->reviews && a->rating_sum == b->rating_sum &&
              a->weight_sum == b->weight_sum && a->weighted_sum == b->weighted_sum &&
              a->authors == b->authors && a->latest_sum == b->latest_sum;
    for (size_t i = 0; i < REVIEW_N_ASPECTS; i++)
        eq = eq && a->aspect_n[i] == b->aspect_n[i] && a->aspect_sum[i] == b->aspect_sum[i];
    return eq;
}

/* ---- tests ---------------------------------------------------------------------- */

START_TEST(who_may_review_what)
{
    start();
    new_listing(10);
    uint8_t done[32], open[32], cancelled[32], refunded[32], resolved[32], late[32];
    order(buyer, 2, 11, MARKET_ORDER_COMPLETED, false, done);
    order(buyer, 1, 11, MARKET_ORDER_COMPLETED, false, late);
    order(buyer, 1, 11, MARKET_ORDER_CANCELED, false, cancelled);
    order(stranger, 1, 11, MARKET_ORDER_DISPUTED, false, refunded);
    order(buyer, 3, 11, MARKET_ORDER_DISPUTED, true, resolved);
    blocks(11, 11 + fixture_regtest()->order_dispute_timeout); /* refunded's dispute times out */
    struct market_order ro;
    bool ro_found = false;
    ck_assert_int_eq(market_order_get(&view, refunded, &ro, &ro_found), TXERR_OK);
    ck_assert(ro_found && ro.state == MARKET_ORDER_RESOLVED && ro.timed_out);
    order(buyer, 1, 55, MARKET_ORDER_PLACED, false, open); /* placed after those timeouts */

    static const uint8_t all[4] = {5, 4, 0, 3}, comm[4] = {0, 0, 0, 4}, none[4] = {0},
                         six[4] = {5, 6, 0, 0}, seller_quality[4] = {1, 0, 0, 2};
    uint64_t h = 60;
    /* refusals first, each with its rule and class, nothing changed */
    REFUSED(post(stranger, done, 4, all, "", h, NULL), "review-not-party", TXCLASS_STATE);
    REFUSED(post(arbiter, resolved, 4, none, "", h, NULL), "review-not-party", TXCLASS_STATE);
    REFUSED(post(buyer, open, 4, all, "", h, NULL), "review-order-open", TXCLASS_STATE);
    REFUSED(post(buyer, cancelled, 4, all, "", h, NULL), "review-order-refunded", TXCLASS_STATE);
    REFUSED(post(stranger, refunded, 1, none, "", h, NULL), "review-order-refunded",
            TXCLASS_STATE);
    REFUSED(post(seller, refunded, 1, none, "", h, NULL), "review-order-refunded",
            TXCLASS_STATE);
    REFUSED(post(buyer, done, 0, all, "", h, NULL), "review-bad-rating", TXCLASS_INVALID);
    REFUSED(post(buyer, done, 6, all, "", h, NULL), "review-bad-rating", TXCLASS_INVALID);
    REFUSED(post(buyer, done, 4, six, "", h, NULL), "review-bad-aspect", TXCLASS_INVALID);
    REFUSED(post(seller, done, 4, seller_quality, "", h, NULL), "review-seller-aspect",
            TXCLASS_STATE);
    uint8_t unknown[32];
    memset(unknown, 0x5a, 32);
    REFUSED(post(buyer, unknown, 4, all, "", h, NULL), "review-unknown-order", TXCLASS_STATE);
    char *long_text = malloc(REVIEW_TEXT_MAX + 2);
    ck_assert_ptr_nonnull(long_text);
    memset(long_text, 'a', REVIEW_TEXT_MAX + 1);
    long_text[REVIEW_TEXT_MAX + 1] = '\0';
    REFUSED(post(buyer, done, 4, all, long_text, h, NULL), "bad-payload", TXCLASS_INVALID);
    long_text[REVIEW_TEXT_MAX] = '\0'; /* at the limit: fine */

    /* the buyer and the seller each review once; a resolved order too */
    uint8_t by_buyer[32], by_seller[32], on_resolved[32];
    ck_assert_int_eq(post(buyer, done, 4, all, long_text, h, by_buyer), TXERR_OK);
    ck_assert_int_eq(post(seller, done, 5, comm, "Paid at once", h, by_seller), TXERR_OK);
    ck_assert_int_eq(post(buyer, resolved, 2, none, "Late", h + 1, on_resolved), TXERR_OK);
    /* the window: 50 blocks on regtest from the order's completion at 11 */
    uint64_t last = 11 + fixture_regtest()->review_window;
    ck_assert_int_eq(post(seller, late, 3, none, "", last, NULL), TXERR_OK);
    REFUSED(post(buyer, late, 3, none, "", last + 1, NULL), "review-window-closed",
            TXCLASS_STATE);
    free(long_text);
    REFUSED(post(buyer, done, 3, all, "again", h, NULL), "review-duplicate", TXCLASS_STATE);
    REFUSED(post(seller, done, 3, comm, "again", h + 1, NULL), "review-duplicate",
            TXCLASS_STATE);

    /* replies: by the subject only, once */
    REFUSED(reply(buyer, by_buyer, h), "review-not-subject", TXCLASS_STATE);
    REFUSED(reply(stranger, by_buyer, h), "review-not-subject", TXCLASS_STATE);
    REFUSED(reply(seller, unknown, h), "review-unknown-review", TXCLASS_STATE);
    ck_assert_int_eq(reply(seller, by_buyer, h + 1), TXERR_OK);
    REFUSED(reply(seller, by_buyer, h + 2), "review-replied", TXCLASS_STATE);
    ck_assert_int_eq(reply(buyer, by_seller, h + 2), TXERR_OK);
    struct review_record r;
    bool found;
    ck_assert_int_eq(review_get(&view, by_buyer, &r, &found), TXERR_OK);
    ck_assert(found);
    ck_assert_uint_eq(r.reply_height, h + 1);
    ck_assert_int_eq(r.role, MARKET_ROLE_SELLER);
    ck_assert_mem_eq(r.subject, seller->pub, 32);
    ck_assert_uint_eq(r.weight, 2000);

    /* the seller as seller: 4 on a 2,000 order, then 2 on a 3,000 one (hand computed) */
    struct review_reputation s = rep(seller, MARKET_ROLE_SELLER);
    ck_assert_uint_eq(s.reviews, 2);
    ck_assert_uint_eq(s.rating_sum, 6);
    ck_assert_uint_eq(s.authors, 1);  /* one buyer */
    ck_assert_uint_eq(s.latest_sum, 2); /* its latest: the resolved order's */
    ck_assert(s.weight_sum == 5000);
    ck_assert(s.weighted_sum == 4 * 2000 + 2 * 3000);
    ck_assert_uint_eq(review_avg100_u128(s.weighted_sum, s.weight_sum), 280);
    ck_assert_uint_eq(s.aspect_n[REVIEW_ASPECT_QUALITY], 1);
    ck_assert_uint_eq(s.aspect_sum[REVIEW_ASPECT_QUALITY], 5);
    ck_assert_uint_eq(s.aspect_n[REVIEW_ASPECT_DELIVERY], 0);
    ck_assert_uint_eq(s.aspect_sum[REVIEW_ASPECT_COMMUNICATION], 3);
    /* the buyer as buyer: the seller's 5, then its 3 on the late order */
    struct review_reputation b = rep(buyer, MARKET_ROLE_BUYER);
    ck_assert_uint_eq(b.reviews, 2);
    ck_assert_uint_eq(b.rating_sum, 8);
    ck_assert_uint_eq(b.authors, 1);
    ck_assert_uint_eq(b.latest_sum, 3);
    ck_assert_uint_eq(b.aspect_sum[REVIEW_ASPECT_COMMUNICATION], 4);
    ck_assert_uint_eq(rep(buyer, MARKET_ROLE_SELLER).reviews, 0);
    ck_assert(rep_equal(&s, &(struct review_reputation){0}) == false);
    struct review_reputation again = recompute(seller->pub, MARKET_ROLE_SELLER);
    ck_assert(rep_equal(&s, &again));
    stop();
}
END_TEST

/* A hundred trades with one friendly key move the headline as one
 * counterparty: its latest rating, once. */
START_TEST(a_counterparty_counts_once)
{
    start();
    new_listing(10);
    static const uint8_t none[4] = {0};
    for (int i = 0; i < 10; i++) {
        uint8_t id[32];
        order(buyer, 1, 11 + (uint64_t)i, MARKET_ORDER_COMPLETED, false, id);
        ck_assert_int_eq(post(buyer, id, 5, none, "great", 11 + (uint64_t)i, NULL), TXERR_OK);
    }
    struct review_reputation s = rep(seller, MARKET_ROLE_SELLER);
    ck_assert_uint_eq(s.reviews, 10);
    ck_assert_uint_eq(s.authors, 1);
    ck_assert_uint_eq(s.latest_sum, 5);
    /* one honest buyer's 1 weighs as much as the friend's ten 5s */
    uint8_t id[32];
    order(stranger, 1, 30, MARKET_ORDER_COMPLETED, false, id);
    ck_assert_int_eq(post(stranger, id, 1, none, "broken", 30, NULL), TXERR_OK);
    s = rep(seller, MARKET_ROLE_SELLER);
    ck_assert_uint_eq(s.authors, 2);
    ck_assert_uint_eq(review_avg100(s.latest_sum, s.authors), 300);
    ck_assert_uint_eq(review_avg100(s.rating_sum, s.reviews), 463); /* 51 / 11 */
    /* the friend's later 2 replaces its 5 */
    order(buyer, 1, 31, MARKET_ORDER_COMPLETED, false, id);
    ck_assert_int_eq(post(buyer, id, 2, none, "meh", 31, NULL), TXERR_OK);
    s = rep(seller, MARKET_ROLE_SELLER);
    ck_assert_uint_eq(s.latest_sum, 3);
    struct review_reputation again = recompute(seller->pub, MARKET_ROLE_SELLER);
    ck_assert(rep_equal(&s, &again));
    /* a review farm: keys with no orders post nothing */
    for (size_t u = 3; u < N_USERS; u++)
        REFUSED(post(&users[u], listing, 5, none, "", 40, NULL), "review-unknown-order",
                TXCLASS_STATE);
    stop();
}
END_TEST

static bool copy_change(void *ctx, const uint8_t *key, size_t klen, bool present,
                        const uint8_t *val, size_t vlen)
{
    struct state_view *to = ctx;
    return present ? state_put(to, key, klen, val, vlen) : state_del(to, key, klen);
}

/* Random trades and reviews in blocks: after every block the kept
 * reputation of every key in both roles equals the recomputation, and
 * undoing the blocks one by one (newest first) gives back each earlier
 * state exactly. */
START_TEST(reputation_equals_recomputation_through_undo)
{
    start();
    new_listing(10);
    srand(7);
    enum { BLOCKS = 12 };
    struct buf undo[BLOCKS];
    struct snap before[BLOCKS];
    uint8_t orders[64][32];
    size_t n_orders = 0;
    for (int blk = 0; blk < BLOCKS; blk++) {
        uint64_t h = 20 + (uint64_t)blk;
        before[blk] = snapshot(&view);
        struct state_view base = view;
        struct state_backend be;
        state_view_as_backend(&base, &be);
        state_view_init(&view, &be);
        /* two new completed orders by random buyers (not the seller) */
        for (int k = 0; k < 2 && n_orders < 64; k++) {
            struct fixture_user *by = &users[1 + rand() % (N_USERS - 1)];
            if (by == arbiter)
                by = buyer;
            order(by, 1 + (uint64_t)(rand() % 3), h, MARKET_ORDER_COMPLETED, false,
                  orders[n_orders++]);
        }
        /* reviews of random earlier orders, by whichever party may */
        for (int k = 0; k < 4; k++) {
            const uint8_t *o = orders[rand() % n_orders];
            struct market_order mo;
            bool found = false;
            ck_assert_int_eq(market_order_get(&view, o, &mo, &found), TXERR_OK);
            const struct fixture_user *who = NULL;
            bool as_seller = rand() % 2 == 0;
            for (size_t u = 0; u < N_USERS && who == NULL; u++)
                if (memcmp(users[u].pub, as_seller ? mo.seller : mo.buyer, 32) == 0)
                    who = &users[u];
            uint8_t aspects[4] = {0, 0, 0, (uint8_t)(rand() % 6)};
            if (!as_seller)
                for (int a = 0; a < 3; a++)
                    aspects[a] = (uint8_t)(rand() % 6);
            enum txerr e = post(who, o, 1 + (uint64_t)(rand() % 5), aspects, "", h, NULL);
            ck_assert_msg(e == TXERR_OK || e == (enum txerr)REVIEW_ERR_DUPLICATE, "%s",
                          txerr_reason(e));
        }
        buf_init(&undo[blk]);
        ck_assert(state_view_undo_encode(&view, &undo[blk]));
        ck_assert(state_view_for_each_change(&view, copy_change, &base));
        state_view_clear(&view);
        view = base;
        for (size_t u = 0; u < N_USERS; u++)
            for (int role = MARKET_ROLE_BUYER; role <= MARKET_ROLE_SELLER; role++) {
                struct review_reputation kept = rep(&users[u], (enum market_role)role);
                struct review_reputation fresh = recompute(users[u].pub, (enum market_role)role);
                ck_assert_msg(rep_equal(&kept, &fresh), "block %d, user %zu, role %d", blk, u,
                              role);
            }
    }
    ck_assert_uint_gt(rep(seller, MARKET_ROLE_SELLER).reviews, 5);
    for (int blk = BLOCKS - 1; blk >= 0; blk--) {
        ck_assert_int_eq(state_undo_for_each(undo[blk].data, undo[blk].len, copy_change, &view),
                         SER_OK);
        struct snap now = snapshot(&view);
        ck_assert_msg(snap_equal(&now, &before[blk]), "undoing block %d", blk);
        snap_free(&now);
        snap_free(&before[blk]);
        buf_clear(&undo[blk]);
    }
    ck_assert_uint_eq(rep(seller, MARKET_ROLE_SELLER).reviews, 0);
    stop();
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {who_may_review_what, a_counterparty_counts_once,
                            reputation_equals_recomputation_through_undo, NULL};
    return fixture_suite("review", NULL, tests);
}
