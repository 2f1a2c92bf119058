#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/tx.h"
#include "consensus/txtype.h"
#include "node/pluginhost.h"
#include "plugins/market/market.h"
#include "plugins/review/review.h"
#include "plugins/review/review_index.h"

/* The review index driven the way the host drives it: blocks connected
 * and disconnected over an in-memory database made with the plugin's
 * schema. The index never checks signatures or rules (blocks of the active
 * chain are valid), so the transactions are unsigned and only as valid as
 * the index needs: a listing, orders of it, reviews and replies. */

static struct pluginhost host;
static sqlite3 *db;
static uint64_t nonce;
static uint8_t seller[32], buyer[32], buyer2[32];
static char err[256];

static void start(void)
{
    pluginhost_init(&host);
    ck_assert_msg(pluginhost_add(&host, &market_plugin, err, sizeof err), "%s", err);
    ck_assert_msg(pluginhost_add(&host, &review_plugin, err, sizeof err), "%s", err);
    ck_assert_msg(pluginhost_install(&host, err, sizeof err), "%s", err);
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    for (size_t i = 0; i < REVIEW_INDEX_N_SCHEMA; i++)
        ck_assert_msg(sqlite3_exec(db, review_index_schema[i], NULL, NULL, NULL) == SQLITE_OK,
                      "%s", sqlite3_errmsg(db));
    fixture_pubkey(seller);
    fixture_pubkey(buyer);
    fixture_pubkey(buyer2);
    nonce = 0;
}

static void stop(void)
{
    sqlite3_close(db);
    pluginhost_clear(&host);
}

#define TEXT(s) {.p = (const uint8_t *)(s), .len = strlen(s)}
#define HASH(h) {.p = (h), .len = 32}

static void add(struct block *b, const uint8_t sender[32], uint8_t type, const struct txvalue *v,
                uint8_t txid[32])
{
    const struct txtype_def *def = txtype_find(type);
    ck_assert_ptr_nonnull(def);
    struct buf pl;
    buf_init(&pl);
    ck_assert(txpayload_encode(def->fields, def->n_fields, v, &pl));
    struct tx tx;
    tx_init(&tx);
    tx.type = type;
    memcpy(tx.sender, sender, 32);
    tx.nonce = nonce++;
    tx.fee = 1000;
    ck_assert_int_eq(tx_set_payload(&tx, pl.data, pl.len), SER_OK);
    buf_clear(&pl);
    if (txid != NULL)
        tx_txid(&tx, txid);
    ck_assert(block_take_tx(b, &tx));
}

static void listing(struct block *b, uint8_t id[32])
{
    struct txvalue v[] = {TEXT("Chair"), TEXT(""), TEXT(""), {.u = 1000}, {.u = 10},
                          {.p = NULL, .len = 0}, {.u = 0}};
    add(b, seller, MARKET_TYPE_LISTING_CREATE, v, id);
}

static void order(struct block *b, const uint8_t who[32], const uint8_t lid[32], uint8_t id[32])
{
    struct txvalue v[] = {HASH(lid), {.u = 1}, {.u = 1000}, {.p = NULL, .len = 0}, {.u = 0},
                          {.p = NULL, .len = 0}};
    add(b, who, MARKET_TYPE_ORDER_PLACE, v, id);
}

static void post(struct block *b, const uint8_t who[32], const uint8_t oid[32], uint64_t rating,
                 const uint8_t aspects[4], const char *text, uint8_t id[32])
{
    struct txvalue v[] = {HASH(oid), {.u = rating}, {.p = aspects, .len = 4}, TEXT(text)};
    add(b, who, REVIEW_TYPE_POST, v, id);
}

static void reply(struct block *b, const uint8_t who[32], const uint8_t rid[32], const char *text,
                  uint8_t id[32])
{
    struct txvalue v[] = {HASH(rid), TEXT(text)};
    add(b, who, REVIEW_TYPE_REPLY, v, id);
}

static void step(struct block *b, uint64_t height, bool connect)
{
    ck_assert_msg(review_index_block(db, b, height, connect, err, sizeof err), "%s", err);
}

struct page {
    uint8_t ids[16][32];
    size_t n;
};

static bool collect(const struct review_index_row *r, void *arg)
{
    struct page *p = arg;
    ck_assert_uint_lt(p->n, 16);
    memcpy(p->ids[p->n++], r->id, 32);
    return true;
}

/* Lists q's page into p; returns the total over all pages. */
static uint64_t list(struct review_index_query q, struct page *p)
{
    memset(p, 0, sizeof *p);
    if (q.limit == 0)
        q.limit = 100;
    uint64_t total = 0;
    ck_assert_msg(review_index_list(db, &q, collect, p, &total, err, sizeof err), "%s", err);
    return total;
}

static bool same(const uint8_t a[32], const uint8_t b[32])
{
    return memcmp(a, b, 32) == 0;
}

static const uint8_t no_aspects[4] = {0, 0, 0, 0};
static const uint8_t all_aspects[4] = {5, 4, 3, 2};
static const uint8_t comm_only[4] = {0, 0, 0, 4};

/* A listing and two orders (h1); the buyer reviews its seller and the
 * seller reviews the buyer (h2); the seller replies to the buyer's review
 * and the second buyer reviews (h3). */
struct world {
    struct block b1, b2, b3;
    uint8_t lid[32], o1[32], o2[32], r_buyer[32], r_seller[32], r_buyer2[32], rep[32];
};

static void world_build(struct world *w)
{
    block_init(&w->b1);
    block_init(&w->b2);
    block_init(&w->b3);
    listing(&w->b1, w->lid);
    order(&w->b1, buyer, w->lid, w->o1);
    order(&w->b1, buyer2, w->lid, w->o2);
    post(&w->b2, buyer, w->o1, 5, all_aspects, "solid chair", w->r_buyer);
    post(&w->b2, seller, w->o1, 4, comm_only, "paid at once", w->r_seller);
    reply(&w->b3, seller, w->r_buyer, "thank you", w->rep);
    post(&w->b3, buyer2, w->o2, 2, no_aspects, "wobbly", w->r_buyer2);
    step(&w->b1, 1, true);
    step(&w->b2, 2, true);
    step(&w->b3, 3, true);
}

static void world_clear(struct world *w)
{
    block_clear(&w->b1);
    block_clear(&w->b2);
    block_clear(&w->b3);
}

START_TEST(test_review_row)
{
    struct world w;
    world_build(&w);
    struct review_index_row r;
    bool found = false;
    ck_assert_msg(review_index_get(db, w.r_buyer, &r, &found, err, sizeof err), "%s", err);
    ck_assert(found);
    ck_assert(same(r.id, w.r_buyer) && same(r.order_id, w.o1));
    ck_assert(same(r.author, buyer) && same(r.subject, seller));
    ck_assert_int_eq(r.role, MARKET_ROLE_SELLER);
    ck_assert_uint_eq(r.rating, 5);
    ck_assert_mem_eq(r.aspects, all_aspects, 4);
    ck_assert_uint_eq(r.height, 2);
    ck_assert_str_eq(r.text, "solid chair");
    ck_assert_uint_eq(r.text_len, 11);
    ck_assert(r.replied);
    ck_assert(same(r.reply_id, w.rep));
    ck_assert_uint_eq(r.reply_height, 3);
    ck_assert_str_eq(r.reply_text, "thank you");

    /* The seller's review has the buyer as subject, in the buyer's role. */
    ck_assert(review_index_get(db, w.r_seller, &r, &found, err, sizeof err) && found);
    ck_assert(same(r.author, seller) && same(r.subject, buyer));
    ck_assert_int_eq(r.role, MARKET_ROLE_BUYER);
    ck_assert_mem_eq(r.aspects, comm_only, 4);
    ck_assert(!r.replied);
    ck_assert_uint_eq(r.reply_text_len, 0);

    uint8_t none[32] = {0};
    ck_assert(review_index_get(db, none, &r, &found, err, sizeof err));
    ck_assert(!found);
    world_clear(&w);
}
END_TEST

START_TEST(test_review_filters_and_pages)
{
    struct world w;
    world_build(&w);
    struct page p;
    /* Everything, newest first: height 3, then height 2 by position. */
    ck_assert_uint_eq(list((struct review_index_query){0}, &p), 3);
    ck_assert_uint_eq(p.n, 3);
    ck_assert(same(p.ids[0], w.r_buyer2) && same(p.ids[1], w.r_seller) &&
              same(p.ids[2], w.r_buyer));
    /* By subject. */
    ck_assert_uint_eq(list((struct review_index_query){.subject = seller}, &p), 2);
    ck_assert(same(p.ids[0], w.r_buyer2) && same(p.ids[1], w.r_buyer));
    ck_assert_uint_eq(list((struct review_index_query){.subject = buyer}, &p), 1);
    ck_assert(same(p.ids[0], w.r_seller));
    ck_assert_uint_eq(list((struct review_index_query){.subject = buyer2}, &p), 0);
    /* By author. */
    ck_assert_uint_eq(list((struct review_index_query){.author = seller}, &p), 1);
    ck_assert(same(p.ids[0], w.r_seller));
    ck_assert_uint_eq(list((struct review_index_query){.author = buyer2}, &p), 1);
    /* By order: both parties' reviews. */
    ck_assert_uint_eq(list((struct review_index_query){.order_id = w.o1}, &p), 2);
    ck_assert_uint_eq(list((struct review_index_query){.order_id = w.lid}, &p), 0);
    /* A minimum rating, alone and with a filter. */
    ck_assert_uint_eq(list((struct review_index_query){.min_rating = 4}, &p), 2);
    ck_assert_uint_eq(list((struct review_index_query){.min_rating = 5}, &p), 1);
    ck_assert(same(p.ids[0], w.r_buyer));
    ck_assert_uint_eq(
        list((struct review_index_query){.subject = seller, .min_rating = 3}, &p), 1);
    ck_assert_uint_eq(list((struct review_index_query){.subject = seller, .author = buyer2}, &p),
                      1);
    /* Paging: the total counts every page. */
    ck_assert_uint_eq(list((struct review_index_query){.limit = 1, .offset = 1}, &p), 3);
    ck_assert_uint_eq(p.n, 1);
    ck_assert(same(p.ids[0], w.r_seller));
    ck_assert_uint_eq(list((struct review_index_query){.limit = 2, .offset = 2}, &p), 3);
    ck_assert_uint_eq(p.n, 1);
    ck_assert_uint_eq(list((struct review_index_query){.offset = 3}, &p), 3);
    ck_assert_uint_eq(p.n, 0);
    world_clear(&w);
}
END_TEST

/* Appends the one text column of every row of sql to out. */
static void rows(const char *sql, struct buf *out)
{
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        ck_assert(buf_append(out, sqlite3_column_text(st, 0),
                             (size_t)sqlite3_column_bytes(st, 0)));
    sqlite3_finalize(st);
}

/* Every review and reply in a fixed order, as one string, to compare the
 * index before and after blocks come and go. */
static void snapshot(struct buf *out)
{
    buf_reset(out);
    rows("SELECT quote(id) || quote(order_id) || quote(subject) || role || rating || text "
         "FROM reviews ORDER BY height, pos",
         out);
    rows("SELECT quote(review_id) || height || text FROM replies ORDER BY review_id", out);
}

static int64_t count(const char *table)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

START_TEST(test_review_disconnect_restores)
{
    struct world w;
    world_build(&w);
    struct buf full, two;
    buf_init(&full);
    buf_init(&two);
    snapshot(&full);

    /* Height 3 goes: the reply and the second buyer's review leave, the
     * first review stays without a reply. */
    step(&w.b3, 3, false);
    struct review_index_row r;
    bool found = false;
    ck_assert(review_index_get(db, w.r_buyer, &r, &found, err, sizeof err) && found);
    ck_assert(!r.replied);
    ck_assert(review_index_get(db, w.r_buyer2, &r, &found, err, sizeof err) && !found);
    ck_assert_int_eq(count("replies"), 0);
    snapshot(&two);

    /* Down to nothing, then the same blocks again give the same rows. */
    step(&w.b2, 2, false);
    step(&w.b1, 1, false);
    ck_assert_int_eq(count("reviews") + count("orders") + count("listing_sellers"), 0);
    step(&w.b1, 1, true);
    step(&w.b2, 2, true);
    struct buf again;
    buf_init(&again);
    snapshot(&again);
    ck_assert_uint_eq(again.len, two.len);
    ck_assert_mem_eq(again.data, two.data, two.len);
    step(&w.b3, 3, true);
    snapshot(&again);
    ck_assert_uint_eq(again.len, full.len);
    ck_assert_mem_eq(again.data, full.data, full.len);

    /* A reset empties it; rebuilt from the blocks it is as before. */
    ck_assert_msg(review_index_clear(db, err, sizeof err), "%s", err);
    ck_assert_int_eq(count("reviews") + count("replies") + count("orders"), 0);
    step(&w.b1, 1, true);
    step(&w.b2, 2, true);
    step(&w.b3, 3, true);
    snapshot(&again);
    ck_assert_mem_eq(again.data, full.data, full.len);
    buf_clear(&again);
    buf_clear(&full);
    buf_clear(&two);
    world_clear(&w);
}
END_TEST

START_TEST(test_review_one_block)
{
    /* A listing, its order and a review of it in one block (in that
     * order), and a text holding every kind of UTF-8 the field allows. */
    struct block b;
    block_init(&b);
    uint8_t lid[32], oid[32], rid[32];
    listing(&b, lid);
    order(&b, buyer, lid, oid);
    const char *text = "tr\xc3\xa8s bien \xe2\x80\x94 \xf0\x9f\x91\x8d";
    post(&b, buyer, oid, 3, no_aspects, text, rid);
    step(&b, 7, true);
    struct review_index_row r;
    bool found = false;
    ck_assert(review_index_get(db, rid, &r, &found, err, sizeof err) && found);
    ck_assert_str_eq(r.text, text);
    ck_assert_uint_eq(r.height, 7);
    ck_assert(same(r.subject, seller));
    block_clear(&b);
}
END_TEST

START_TEST(test_review_damaged_chain)
{
    /* A review of an order the index never saw, and an order of an
     * unknown listing, mean a damaged block file: refused with a reason,
     * nothing written. */
    struct block b;
    block_init(&b);
    uint8_t oid[32], rid[32], lid[32];
    memset(oid, 7, 32);
    post(&b, buyer, oid, 3, no_aspects, "ghost", rid);
    ck_assert(!review_index_block(db, &b, 1, true, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "has not seen"));
    block_clear(&b);
    block_init(&b);
    memset(lid, 9, 32);
    order(&b, buyer, lid, oid);
    ck_assert(!review_index_block(db, &b, 1, true, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "has not seen"));
    ck_assert_int_eq(count("orders") + count("reviews"), 0);
    block_clear(&b);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case c = {.setup = start, .teardown = stop};
    const TTest *tests[] = {test_review_row, test_review_filters_and_pages,
                            test_review_disconnect_restores, test_review_one_block,
                            test_review_damaged_chain, NULL};
    return fixture_suite("review_index", &c, tests);
}
