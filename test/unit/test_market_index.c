#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/tx.h"
#include "consensus/txtype.h"
#include "node/pluginhost.h"
#include "plugins/market/market.h"
#include "plugins/market/market_index.h"

/* The search index driven the way the host drives it: blocks of market
 * transactions connected and disconnected over an in-memory database made
 * with the plugin's schema. The index never checks signatures (blocks of
 * the active chain are valid), so the transactions are left unsigned. */

static struct pluginhost host;
static sqlite3 *db;
static uint64_t nonce;
static uint8_t seller[32], seller2[32], buyer[32], arbiter[32];
static char err[256];

static void start(void)
{
    pluginhost_init(&host);
    ck_assert_msg(pluginhost_add(&host, &market_plugin, err, sizeof err), "%s", err);
    ck_assert_msg(pluginhost_install(&host, err, sizeof err), "%s", err);
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    for (size_t i = 0; i < MARKET_INDEX_N_SCHEMA; i++)
        ck_assert_msg(sqlite3_exec(db, market_index_schema[i], NULL, NULL, NULL) == SQLITE_OK,
                      "%s", sqlite3_errmsg(db));
    fixture_pubkey(seller);
    fixture_pubkey(seller2);
    fixture_pubkey(buyer);
    fixture_pubkey(arbiter);
    nonce = 0;
}

static void stop(void)
{
    sqlite3_close(db);
    pluginhost_clear(&host);
}

#define TEXT(s) {.p = (const uint8_t *)(s), .len = strlen(s)}
#define HASH(h) {.p = (h), .len = 32}

/* Appends a market tx to b; txid (may be NULL) receives its id. */
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

static void create(struct block *b, const uint8_t who[32], const char *title, const char *desc,
                   const char *cat, amount_t price, uint64_t qty, uint64_t expires, uint8_t id[32])
{
    struct txvalue v[] = {TEXT(title), TEXT(desc), TEXT(cat), {.u = price}, {.u = qty},
                          {.p = NULL, .len = 0}, {.u = expires}};
    add(b, who, MARKET_TYPE_LISTING_CREATE, v, id);
}

static void update(struct block *b, const uint8_t who[32], const uint8_t id[32], const char *title,
                   amount_t price)
{
    struct txvalue v[] = {HASH(id), TEXT(title), TEXT("updated"), TEXT("furniture"), {.u = price},
                          {.u = 1}};
    add(b, who, MARKET_TYPE_LISTING_UPDATE, v, NULL);
}

static void close_listing(struct block *b, const uint8_t who[32], const uint8_t id[32])
{
    struct txvalue v[] = {HASH(id)};
    add(b, who, MARKET_TYPE_LISTING_CLOSE, v, NULL);
}

static void profile(struct block *b, const uint8_t who[32], const char *name)
{
    struct txvalue v[] = {TEXT(name), TEXT("")};
    add(b, who, MARKET_TYPE_PROFILE_SET, v, NULL);
}

/* Connects (or disconnects) one block of the txs `fill` adds. */
static void step(struct block *b, uint64_t height, bool connect)
{
    ck_assert_msg(market_index_block(db, b, height, connect, err, sizeof err), "%s", err);
}

/* ---- searching ---- */

struct hits {
    uint8_t ids[16][32];
    size_t n;
};

static bool collect(const struct market_index_listing *l, void *arg)
{
    struct hits *h = arg;
    ck_assert_uint_lt(h->n, 16);
    memcpy(h->ids[h->n++], l->id, 32);
    return true;
}

/* Runs q; returns the number of hits on this page, *total all of them. */
static size_t run(struct market_index_query *q, struct hits *h, uint64_t *total)
{
    memset(h, 0, sizeof *h);
    if (q->limit == 0)
        q->limit = 100;
    uint64_t t;
    ck_assert_msg(market_index_search(db, q, collect, h, &t, err, sizeof err), "%s", err);
    if (total != NULL)
        *total = t;
    return h->n;
}

static size_t search(const char *text, struct hits *h)
{
    struct market_index_query q = {.text = text};
    return run(&q, h, NULL);
}

static bool same(const uint8_t a[32], const uint8_t b[32])
{
    return memcmp(a, b, 32) == 0;
}

START_TEST(connect_and_disconnect_restore_exactly)
{
    start();
    uint8_t chair[32];
    struct hits h;
    struct block b1, b2, b3;
    block_init(&b1);
    block_init(&b2);
    block_init(&b3);
    create(&b1, seller, "A wooden chair", "Oak, hand made", "furniture", 500, 3, 0, chair);
    step(&b1, 10, true);
    ck_assert_uint_eq(search("chair", &h), 1);
    ck_assert(same(h.ids[0], chair));
    ck_assert_uint_eq(search("oak", &h), 1);

    /* an update replaces the words; a close takes it out of the search */
    update(&b2, seller, chair, "A pine stool", 400);
    step(&b2, 11, true);
    ck_assert_uint_eq(search("chair", &h), 0);
    ck_assert_uint_eq(search("stool", &h), 1);
    close_listing(&b3, seller, chair);
    step(&b3, 12, true);
    ck_assert_uint_eq(search("stool", &h), 0);
    struct market_index_query all = {.include_closed = true};
    ck_assert_uint_eq(run(&all, &h, NULL), 1);
    struct market_index_query open = {0};
    ck_assert_uint_eq(run(&open, &h, NULL), 0);

    /* a reorg takes them back one by one */
    step(&b3, 12, false);
    ck_assert_uint_eq(search("stool", &h), 1);
    step(&b2, 11, false);
    ck_assert_uint_eq(search("stool", &h), 0);
    ck_assert_uint_eq(search("chair", &h), 1);
    struct market_index_query by_price = {.has_max_price = true, .max_price = 450};
    ck_assert_uint_eq(run(&by_price, &h, NULL), 0);  /* the price is 500 again */
    step(&b1, 10, false);
    ck_assert_uint_eq(search("chair", &h), 0);
    ck_assert_uint_eq(run(&all, &h, NULL), 0);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM listing_log) + "
                                            "(SELECT count(*) FROM listings) + "
                                            "(SELECT count(*) FROM listing_fts)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    block_clear(&b1);
    block_clear(&b2);
    block_clear(&b3);
    stop();
}
END_TEST

START_TEST(seller_name_is_searched_and_follows_renames)
{
    start();
    uint8_t id[32];
    struct hits h;
    struct block b1, b2;
    block_init(&b1);
    block_init(&b2);
    profile(&b1, seller, "oak-works");
    create(&b1, seller, "A chair", "", "furniture", 500, 1, 0, id);
    step(&b1, 10, true);
    ck_assert_uint_eq(search("works", &h), 1);
    char name[40];
    ck_assert(market_index_profile_name(db, seller, name, sizeof name));
    ck_assert_str_eq(name, "oak-works");
    profile(&b2, seller, "pine-shop");
    step(&b2, 11, true);
    ck_assert_uint_eq(search("works", &h), 0);
    ck_assert_uint_eq(search("pine shop", &h), 1);
    step(&b2, 11, false);
    ck_assert_uint_eq(search("works", &h), 1);
    ck_assert_uint_eq(search("pine", &h), 0);
    block_clear(&b1);
    block_clear(&b2);
    stop();
}
END_TEST

/* Keeps listings whose price is even: stands in for the RPC's chainstate
 * checks (stock, status), which paging must count after. */
static bool even_price(const struct market_index_listing *l, void *arg)
{
    (void)arg;
    return l->price % 2 == 0;
}

START_TEST(ranking_filters_and_paging)
{
    start();
    uint8_t a[32], b[32], c[32], d[32];
    struct hits h;
    struct block b1;
    block_init(&b1);
    create(&b1, seller, "Wooden chair", "", "furniture", 100, 1, 0, a);
    create(&b1, seller, "Steel lamp", "with a wooden base", "lighting", 201, 1, 0, b);
    create(&b1, seller2, "Wooden table", "", "furniture", 302, 1, 50, c);
    create(&b1, seller2, "Café crème cup", "", "kitchen", 400, 1, 0, d);
    step(&b1, 10, true);

    /* the title weighs more than the description */
    ck_assert_uint_eq(search("wooden", &h), 3);
    ck_assert(same(h.ids[2], b));
    /* every word must match, case and accents aside */
    ck_assert_uint_eq(search("WOODEN table", &h), 1);
    ck_assert(same(h.ids[0], c));
    ck_assert_uint_eq(search("cafe creme", &h), 1);
    ck_assert(same(h.ids[0], d));
    /* syntax in the query is only separators */
    ck_assert_uint_eq(search("\"wooden\"* (lamp -", &h), 1);
    ck_assert(same(h.ids[0], b));

    struct market_index_query q = {.text = "wooden", .category = "furniture"};
    uint64_t total;
    ck_assert_uint_eq(run(&q, &h, &total), 2);
    q = (struct market_index_query){.text = "wooden", .has_min_price = true, .min_price = 201,
                                    .has_max_price = true, .max_price = 302};
    ck_assert_uint_eq(run(&q, &h, NULL), 2);
    q = (struct market_index_query){.text = "wooden", .seller = seller2};
    ck_assert_uint_eq(run(&q, &h, NULL), 1);
    ck_assert(same(h.ids[0], c));
    /* expiry 50: live for a block at 50, gone at 51 */
    q = (struct market_index_query){.text = "table", .live_at = 50};
    ck_assert_uint_eq(run(&q, &h, NULL), 1);
    q.live_at = 51;
    ck_assert_uint_eq(run(&q, &h, NULL), 0);

    /* paging counts what the accept callback keeps */
    q = (struct market_index_query){.text = "wooden", .limit = 1, .offset = 1};
    ck_assert_uint_eq(run(&q, &h, &total), 1);
    ck_assert_uint_eq(total, 3);
    q = (struct market_index_query){.text = "wooden", .limit = 1, .offset = 1,
                                    .accept = even_price};
    ck_assert_uint_eq(run(&q, &h, &total), 1);
    ck_assert_uint_eq(total, 2);
    ck_assert(same(h.ids[0], c));
    /* without words: newest first */
    q = (struct market_index_query){.limit = 2};
    ck_assert_uint_eq(run(&q, &h, &total), 2);
    ck_assert_uint_eq(total, 4);
    ck_assert(same(h.ids[0], d));
    ck_assert(same(h.ids[1], c));
    block_clear(&b1);
    stop();
}
END_TEST

START_TEST(fts_query_quotes_every_word)
{
    char out[64];
    ck_assert(market_index_fts_query("Wooden  chair!", out, sizeof out));
    ck_assert_str_eq(out, "\"Wooden\" \"chair\"");
    ck_assert(market_index_fts_query("a\"b*c", out, sizeof out));
    ck_assert_str_eq(out, "\"a\" \"b\" \"c\"");
    ck_assert(market_index_fts_query("caf\xc3\xa9", out, sizeof out));
    ck_assert_str_eq(out, "\"caf\xc3\xa9\"");
    ck_assert(!market_index_fts_query(" -- ** ", out, sizeof out));
    ck_assert(!market_index_fts_query(NULL, out, sizeof out));
    ck_assert(!market_index_fts_query("a very long query indeed", out, 12));
}
END_TEST

struct orders {
    uint8_t ids[8][32];
    size_t n;
    uint64_t types[8];
};

static bool collect_order(const uint8_t id[32], uint64_t height, void *arg)
{
    (void)height;
    struct orders *o = arg;
    memcpy(o->ids[o->n++], id, 32);
    return true;
}

static bool collect_event(const struct market_index_event *e, void *arg)
{
    struct orders *o = arg;
    o->types[o->n++] = e->type;
    return true;
}

static size_t party(const uint8_t who[32], const char *as, struct orders *o)
{
    memset(o, 0, sizeof *o);
    ck_assert(market_index_party_orders(db, who, as, collect_order, o, err, sizeof err));
    return o->n;
}

START_TEST(orders_by_party_and_their_history)
{
    start();
    uint8_t listing[32], order[32];
    struct block b1, b2, b3;
    block_init(&b1);
    block_init(&b2);
    block_init(&b3);
    create(&b1, seller, "Chair", "", "furniture", 100, 5, 0, listing);
    /* an order in the same block as its listing */
    struct txvalue place[] = {HASH(listing), {.u = 2}, {.u = 200}, HASH(arbiter), {.u = 100},
                              TEXT("")};
    add(&b1, buyer, MARKET_TYPE_ORDER_PLACE, place, order);
    step(&b1, 10, true);
    struct txvalue id[] = {HASH(order), TEXT("")};
    add(&b2, seller, MARKET_TYPE_ORDER_ACCEPT, id, NULL);
    step(&b2, 11, true);
    add(&b3, seller, MARKET_TYPE_ORDER_SHIP, id, NULL);
    step(&b3, 12, true);

    struct orders o;
    ck_assert_uint_eq(party(buyer, "buyer", &o), 1);
    ck_assert(same(o.ids[0], order));
    ck_assert_uint_eq(party(seller, "seller", &o), 1);
    ck_assert_uint_eq(party(arbiter, "arbiter", &o), 1);
    ck_assert_uint_eq(party(arbiter, NULL, &o), 1);
    ck_assert_uint_eq(party(buyer, "seller", &o), 0);
    ck_assert_uint_eq(party(seller2, NULL, &o), 0);

    memset(&o, 0, sizeof o);
    ck_assert(market_index_order_events(db, order, collect_event, &o, err, sizeof err));
    ck_assert_uint_eq(o.n, 3);
    ck_assert_uint_eq(o.types[0], MARKET_TYPE_ORDER_PLACE);
    ck_assert_uint_eq(o.types[1], MARKET_TYPE_ORDER_ACCEPT);
    ck_assert_uint_eq(o.types[2], MARKET_TYPE_ORDER_SHIP);

    step(&b3, 12, false);
    step(&b2, 11, false);
    memset(&o, 0, sizeof o);
    ck_assert(market_index_order_events(db, order, collect_event, &o, err, sizeof err));
    ck_assert_uint_eq(o.n, 1);
    step(&b1, 10, false);
    ck_assert_uint_eq(party(buyer, NULL, &o), 0);

    /* a reset empties everything */
    step(&b1, 10, true);
    ck_assert(market_index_clear(db, err, sizeof err));
    ck_assert_uint_eq(party(buyer, NULL, &o), 0);
    struct hits h;
    ck_assert_uint_eq(search("chair", &h), 0);
    block_clear(&b1);
    block_clear(&b2);
    block_clear(&b3);
    stop();
}
END_TEST

START_TEST(filtered_page_reaches_past_better_matches)
{
    start();
    struct block b1;
    block_init(&b1);
    uint8_t id[32], low[3][32];
    /* 60 better matches the filter drops, then the 3 it keeps */
    for (int i = 0; i < 60; i++)
        create(&b1, seller, "chair chair chair", "", "a", 100, 1, 0, id);
    for (int i = 0; i < 3; i++)
        create(&b1, seller, "chair", "a long description of a plain seat for one person", "b",
               100 + (amount_t)i, 1, 0, low[i]);
    step(&b1, 10, true);
    struct hits h;
    uint64_t total;
    struct market_index_query q = {.text = "chair", .category = "b", .limit = 2, .offset = 1};
    ck_assert_uint_eq(run(&q, &h, &total), 2);
    ck_assert_uint_eq(total, 3);
    /* equal ranks go by age: the second and third created */
    ck_assert(same(h.ids[0], low[1]));
    ck_assert(same(h.ids[1], low[2]));
    q = (struct market_index_query){.text = "chair", .limit = 5, .offset = 61};
    ck_assert_uint_eq(run(&q, &h, &total), 2);
    ck_assert_uint_eq(total, 63);
    q = (struct market_index_query){.text = "chair", .limit = 5, .offset = 63};
    ck_assert_uint_eq(run(&q, &h, &total), 0);
    ck_assert_uint_eq(total, 63);
    block_clear(&b1);
    stop();
}
END_TEST

START_TEST(expired_listings_leave_at_their_height_and_come_back)
{
    start();
    struct block b10, empty;
    block_init(&b10);
    block_init(&empty);
    uint8_t id[32];
    create(&b10, seller, "Old clock", "", "antiques", 100, 1, 12, id);
    step(&b10, 10, true);
    struct hits h;
    uint64_t total;
    step(&empty, 11, true);
    ck_assert_uint_eq(search("clock", &h), 1);
    /* the block at 12 is the last that can order it */
    step(&empty, 12, true);
    ck_assert_uint_eq(search("clock", &h), 0);
    struct market_index_query q = {.text = "clock"};
    run(&q, &h, &total);
    ck_assert_uint_eq(total, 0);
    struct market_index_query all = {.include_closed = true};
    ck_assert_uint_eq(run(&all, &h, NULL), 1);  /* still listed, as expired */
    step(&empty, 12, false);
    ck_assert_uint_eq(search("clock", &h), 1);
    block_clear(&b10);
    block_clear(&empty);
    stop();
}
END_TEST

/* ---- the ranked page against SQL's own bm25 ---- */

struct ranked {
    uint8_t ids[128][32];
    double ranks[128];
    size_t n;
};

static bool collect_ranked(const struct market_index_listing *l, void *arg)
{
    struct ranked *r = arg;
    ck_assert_uint_lt(r->n, 128);
    memcpy(r->ids[r->n], l->id, 32);
    r->ranks[r->n++] = l->rank;
    return true;
}

/* What SQL gives for q: every match ranked by bm25, filtered, paged. */
static void sql_ranked(const struct market_index_query *q, const char *fts, struct ranked *r,
                       uint64_t *total)
{
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT l.id, bm25(listing_fts, 10.0, 1.0, 3.0, 5.0) AS r FROM listing_fts "
             "JOIN listings l ON l.k = listing_fts.rowid WHERE listing_fts MATCH ?1%s%s%s%s%s "
             "ORDER BY r, l.k",
             q->category ? " AND l.category = ?2" : "", q->has_min_price ? " AND l.price >= ?3" : "",
             q->has_max_price ? " AND l.price <= ?4" : "", q->seller ? " AND l.seller = ?5" : "",
             q->live_at ? " AND (l.expires = 0 OR l.expires >= ?6)" : "");
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s",
                  sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
    if (q->category)
        sqlite3_bind_text(st, 2, q->category, -1, SQLITE_STATIC);
    if (q->has_min_price)
        sqlite3_bind_int64(st, 3, (sqlite3_int64)q->min_price);
    if (q->has_max_price)
        sqlite3_bind_int64(st, 4, (sqlite3_int64)q->max_price);
    if (q->seller)
        sqlite3_bind_blob(st, 5, q->seller, 32, SQLITE_STATIC);
    if (q->live_at)
        sqlite3_bind_int64(st, 6, (sqlite3_int64)q->live_at);
    memset(r, 0, sizeof *r);
    *total = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint64_t i = (*total)++;
        if (i < q->offset || i - q->offset >= q->limit)
            continue;
        memcpy(r->ids[r->n], sqlite3_column_blob(st, 0), 32);
        r->ranks[r->n++] = sqlite3_column_double(st, 1);
    }
    sqlite3_finalize(st);
}

/* The listings of a small vocabulary, so that words repeat within and
 * across listings and ranks tie. */
static const char *const vocab[] = {
    "oak",  "pine",  "chair", "table", "lamp",  "old",   "red",  "blue",
    "set",  "small", "large", "brass", "stool", "shelf", "desk", "rug",
    "new",  "used",  "wool",  "linen", "green", "black", "iron", "glass",
    "clock", "mirror", "bench", "frame", "vase", "bowl", "cup",  "tray"};
#define VOCAB_N (sizeof vocab / sizeof vocab[0])

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

static void words(uint32_t *s, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "",
                                vocab[lcg(s) % VOCAB_N]);
}

static void compare_with_sql(const char *text, const struct market_index_query *base)
{
    static const uint64_t pages[][2] = {{100, 0}, {7, 5}, {0, 0}};
    char fts[1024];
    ck_assert(market_index_fts_query(text, fts, sizeof fts));
    for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
        struct market_index_query q = *base;
        q.text = text;
        q.limit = pages[p][0];
        q.offset = pages[p][1];
        struct ranked got = {0}, want;
        uint64_t total = 0, want_total;
        ck_assert_msg(market_index_search(db, &q, collect_ranked, &got, &total, err, sizeof err),
                      "%s", err);
        sql_ranked(&q, fts, &want, &want_total);
        ck_assert_msg(total == want_total, "\"%s\": total %llu, SQL %llu", text,
                      (unsigned long long)total, (unsigned long long)want_total);
        ck_assert_msg(got.n == want.n, "\"%s\": %zu on the page, SQL %zu", text, got.n, want.n);
        for (size_t i = 0; i < got.n; i++) {
            ck_assert_msg(same(got.ids[i], want.ids[i]), "\"%s\": listing %zu differs", text, i);
            /* the same double, not a close one */
            ck_assert_msg(memcmp(&got.ranks[i], &want.ranks[i], sizeof(double)) == 0,
                          "\"%s\": rank %zu is %.17g, SQL %.17g", text, i, got.ranks[i],
                          want.ranks[i]);
        }
    }
}

/* Queries of two and three words first: a few matches each, whose
 * lengths are looked up one by one while no search has needed them all
 * since the index changed; then single words, which need them all. */
static void compare_queries(uint32_t seed)
{
    static const char *const fixed[] = {"oak", "oak oak", "chair oak", "oak-works", "rug desk",
                                        "red blue set", "nothing", "oak \xe2\x80\xa6 chair",
                                        "works shelf"};
    uint32_t s = seed;
    for (size_t i = 0; i < 16 + sizeof fixed / sizeof fixed[0] + 6; i++) {
        char text[64];
        if (i < 16)
            words(&s, 2 + lcg(&s) % 2, text, sizeof text);
        else if (i < 16 + sizeof fixed / sizeof fixed[0])
            snprintf(text, sizeof text, "%s", fixed[i - 16]);
        else
            words(&s, 1, text, sizeof text);
        struct market_index_query q = {0};
        compare_with_sql(text, &q);
        q.category = i % 2 ? "b" : "a";
        compare_with_sql(text, &q);
        q = (struct market_index_query){.seller = i % 2 ? seller : seller2};
        compare_with_sql(text, &q);
        q = (struct market_index_query){.has_min_price = true, .min_price = 150,
                                        .has_max_price = true, .max_price = 400, .live_at = 30};
        compare_with_sql(text, &q);
    }
}

START_TEST(ranked_pages_equal_sqls_bm25)
{
    start();
    struct block b1, b2;
    block_init(&b1);
    block_init(&b2);
    profile(&b1, seller, "oak-works");
    profile(&b1, seller2, "shelf-and-rug");
    uint32_t s = 7;
    uint8_t ids[300][32];
    for (size_t i = 0; i < 300; i++) {
        char title[96], desc[256];
        words(&s, 1 + lcg(&s) % 5, title, sizeof title);
        words(&s, lcg(&s) % 20, desc, sizeof desc);
        create(&b1, i % 3 ? seller : seller2, title, desc, i % 4 ? "a" : "b", 100 + i,
               1, i % 10 == 0 ? 40 + i : 0, ids[i]);
    }
    step(&b1, 10, true);
    compare_queries(1);
    /* more words than market_rank takes: ranked through SQL */
    char many[600];
    words(&s, 70, many, sizeof many);
    struct market_index_query q = {0};
    compare_with_sql(many, &q);
    compare_with_sql("oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak "
                     "oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak "
                     "oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak oak "
                     "oak oak oak oak oak oak oak oak oak oak oak",
                     &q);
    /* A block changes some lengths and closes some listings: the ranks
     * must follow (the lengths read for earlier searches are stale). */
    for (size_t i = 0; i < 300; i += 7) {
        char title[96];
        words(&s, 1 + lcg(&s) % 8, title, sizeof title);
        if (i % 2)
            update(&b2, i % 3 ? seller : seller2, ids[i], title, 120 + i);
        else
            close_listing(&b2, i % 3 ? seller : seller2, ids[i]);
    }
    step(&b2, 11, true);
    compare_queries(2);
    step(&b2, 11, false);
    compare_queries(3);
    block_clear(&b1);
    block_clear(&b2);
    stop();
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {connect_and_disconnect_restore_exactly,
                            seller_name_is_searched_and_follows_renames,
                            ranking_filters_and_paging,
                            fts_query_quotes_every_word,
                            orders_by_party_and_their_history,
                            filtered_page_reaches_past_better_matches,
                            expired_listings_leave_at_their_height_and_come_back,
                            ranked_pages_equal_sqls_bm25,
                            NULL};
    /* ranked_pages_equal_sqls_bm25 runs some 1,100 searches and as many
     * SQL rankings: seconds under the sanitizers. */
    static const struct fixture_case tc = {.timeout = 30};
    return fixture_suite("market_index", &tc, tests);
}
