#include "unit.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/txindex.h"

static char dir[64];
static char err[512];
static struct db *db;

static uint8_t KA[32], KB[32], KC[32], KD[32];

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "txindex");
    char path[128];
    snprintf(path, sizeof path, "%s/indexes", dir);
    struct db_options o;
    db_options_default(&o);
    ck_assert_msg(db_open(path, &o, &db, err, sizeof err), "%s", err);
    memset(KA, 0xaa, 32);
    memset(KB, 0xbb, 32);
    memset(KC, 0xcc, 32);
    memset(KD, 0xdd, 32);
    KB[31] = 0xaa; /* B sorts right after A's prefix range: no bleed between keys */
}

static void teardown(void)
{
    db_close(db);
    fixture_tmpdir_remove(dir);
}

/* Test blocks: hash i, txid = (block, position). */
static void fill(uint8_t out[32], uint8_t tag, uint8_t a, uint8_t b)
{
    memset(out, tag, 32);
    out[0] = a;
    out[1] = b;
}

struct tblock {
    uint8_t hash[32], prev[32];
    uint8_t txids[4][32];
    struct txindex_tx txs[4];
    struct txindex_block blk;
};

static void make(struct tblock *t, uint8_t id, uint8_t prev_id, uint64_t height, size_t n_txs)
{
    memset(t, 0, sizeof *t);
    fill(t->hash, 0x10, id, 0);
    fill(t->prev, 0x10, prev_id, 0);
    for (size_t i = 0; i < n_txs; i++) {
        fill(t->txids[i], 0x20, id, (uint8_t)i);
        t->txs[i].txid = t->txids[i];
    }
    t->blk.hash = t->hash;
    t->blk.prev_hash = t->prev;
    t->blk.height = height;
    t->blk.txs = t->txs;
    t->blk.n_txs = n_txs;
}

static void touch(struct tblock *t, size_t i, uint8_t (*keys)[32], size_t n)
{
    t->txs[i].touched = keys[0];
    t->txs[i].n_touched = n;
}

static uint8_t K_A[1][32], K_C[1][32], K_AB[2][32], K_BA_A[3][32], K_D[1][32];

static void keysets(void)
{
    memcpy(K_A[0], KA, 32);
    memcpy(K_C[0], KC, 32);
    memcpy(K_AB[0], KA, 32);
    memcpy(K_AB[1], KB, 32);
    memcpy(K_BA_A[0], KB, 32);
    memcpy(K_BA_A[1], KA, 32);
    memcpy(K_BA_A[2], KA, 32); /* a duplicate is harmless */
    memcpy(K_D[0], KD, 32);
}

static struct tblock b1, b2, b3;

/* b1 at height 1: coinbase to A, A -> B.
 * b2 at height 2: coinbase to C, A -> B, B -> A.
 * b3 at height 300: coinbase to A. */
static void connect_three(void)
{
    keysets();
    make(&b1, 1, 0, 1, 2);
    touch(&b1, 0, K_A, 1);
    touch(&b1, 1, K_AB, 2);
    make(&b2, 2, 1, 2, 3);
    touch(&b2, 0, K_C, 1);
    touch(&b2, 1, K_AB, 2);
    touch(&b2, 2, K_BA_A, 3);
    make(&b3, 3, 2, 300, 1);
    touch(&b3, 0, K_A, 1);
    ck_assert_msg(txindex_connect_block(db, NULL, &b1.blk, false, err, sizeof err), "%s", err);
    struct db_batch *batch = db_batch_new();
    ck_assert(txindex_connect_block(db, batch, &b2.blk, false, err, sizeof err));
    /* Queued only: nothing visible before the caller writes the batch. */
    struct txindex_loc loc;
    bool found = true;
    ck_assert(txindex_find_tx(db, b2.txids[0], &loc, &found, err, sizeof err));
    ck_assert(!found);
    ck_assert(db_write(db, batch, true, err, sizeof err));
    db_batch_free(batch);
    ck_assert(txindex_connect_block(db, NULL, &b3.blk, true, err, sizeof err));
}

static void expect_history(const uint8_t *key, uint64_t skip, size_t count, size_t n_expect,
                           const uint64_t *heights, const uint32_t *positions,
                           const struct tblock *const *blocks)
{
    struct txindex_hist *h = (struct txindex_hist *)1;
    size_t n = 99;
    ck_assert_msg(txindex_history(db, key, skip, count, &h, &n, err, sizeof err), "%s", err);
    ck_assert_uint_eq(n, n_expect);
    if (n == 0)
        ck_assert_ptr_null(h);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(h[i].height, heights[i]);
        ck_assert_uint_eq(h[i].position, positions[i]);
        ck_assert_mem_eq(h[i].txid, blocks[i]->txids[positions[i]], 32);
    }
    free(h);
}

START_TEST(connect_lookup_history)
{
    connect_three();
    struct txindex_loc loc;
    bool found = false;
    ck_assert(txindex_find_tx(db, b2.txids[2], &loc, &found, err, sizeof err));
    ck_assert(found);
    ck_assert_mem_eq(loc.block_hash, b2.hash, 32);
    ck_assert_uint_eq(loc.position, 2);
    ck_assert(txindex_find_tx(db, b3.txids[0], &loc, &found, err, sizeof err));
    ck_assert(found);
    ck_assert_mem_eq(loc.block_hash, b3.hash, 32);
    ck_assert_uint_eq(loc.position, 0);
    uint8_t unknown[32];
    memset(unknown, 0x99, 32);
    ck_assert(txindex_find_tx(db, unknown, &loc, &found, err, sizeof err));
    ck_assert(!found);
    ck_assert_mem_eq(loc.block_hash, b3.hash, 32); /* untouched */

    /* A: oldest first, across the 255/256 height boundary. */
    const struct tblock *ba[] = {&b1, &b1, &b2, &b2, &b3};
    const uint64_t ha[] = {1, 1, 2, 2, 300};
    const uint32_t pa[] = {0, 1, 1, 2, 0};
    expect_history(KA, 0, 100, 5, ha, pa, ba);
    /* Paging. */
    expect_history(KA, 0, 2, 2, ha, pa, ba);
    expect_history(KA, 2, 2, 2, ha + 2, pa + 2, ba + 2);
    expect_history(KA, 4, 2, 1, ha + 4, pa + 4, ba + 4);
    expect_history(KA, 5, 2, 0, NULL, NULL, NULL);
    expect_history(KA, 0, 0, 0, NULL, NULL, NULL);
    /* B and C see only their own. */
    const struct tblock *bb[] = {&b1, &b2, &b2};
    const uint64_t hb[] = {1, 2, 2};
    const uint32_t pb[] = {1, 1, 2};
    expect_history(KB, 0, 100, 3, hb, pb, bb);
    const struct tblock *bc[] = {&b2};
    const uint64_t hc[] = {2};
    const uint32_t pc[] = {0};
    expect_history(KC, 0, 100, 1, hc, pc, bc);
    expect_history(KD, 0, 100, 0, NULL, NULL, NULL);

    /* Cursor paging: strictly after the entry given, whether or not it
     * exists, and never into another key's entries. */
    struct txindex_cursor cur = {.height = 1, .position = 1};
    struct txindex_hist *page;
    size_t np;
    ck_assert(txindex_history_after(db, KA, &cur, 2, &page, &np, err, sizeof err));
    ck_assert_uint_eq(np, 2);
    ck_assert_uint_eq(page[0].height, 2);
    ck_assert_uint_eq(page[0].position, 1);
    ck_assert_uint_eq(page[1].position, 2);
    cur = (struct txindex_cursor){.height = page[1].height, .position = page[1].position};
    free(page);
    ck_assert(txindex_history_after(db, KA, &cur, 100, &page, &np, err, sizeof err));
    ck_assert_uint_eq(np, 1);
    ck_assert_uint_eq(page[0].height, 300);
    free(page);
    cur = (struct txindex_cursor){.height = 2, .position = 0}; /* not one of A's */
    ck_assert(txindex_history_after(db, KA, &cur, 100, &page, &np, err, sizeof err));
    ck_assert_uint_eq(np, 3);
    ck_assert_uint_eq(page[0].position, 1);
    free(page);
    cur = (struct txindex_cursor){.height = 300, .position = 0};
    ck_assert(txindex_history_after(db, KA, &cur, 100, &page, &np, err, sizeof err));
    ck_assert_uint_eq(np, 0);
    free(page);
    cur = (struct txindex_cursor){.height = 0, .position = 0};
    ck_assert(txindex_history_after(db, KC, &cur, 100, &page, &np, err, sizeof err));
    ck_assert_uint_eq(np, 1);
    free(page);

    uint8_t best[32];
    ck_assert(txindex_get_best(db, best, &found, err, sizeof err));
    ck_assert(found);
    ck_assert_mem_eq(best, b3.hash, 32);

    struct txindex_hist *h;
    size_t n;
    ck_assert(!txindex_history(db, KA, 0, TXINDEX_HISTORY_MAX + 1, &h, &n, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "limit"));
}
END_TEST

START_TEST(disconnect_restores)
{
    connect_three();
    ck_assert(txindex_disconnect_block(db, NULL, &b3.blk, false, err, sizeof err));
    struct txindex_loc loc;
    bool found = true;
    ck_assert(txindex_find_tx(db, b3.txids[0], &loc, &found, err, sizeof err));
    ck_assert(!found);
    uint8_t best[32];
    ck_assert(txindex_get_best(db, best, &found, err, sizeof err));
    ck_assert_mem_eq(best, b2.hash, 32);
    const struct tblock *ba[] = {&b1, &b1, &b2, &b2};
    const uint64_t ha[] = {1, 1, 2, 2};
    const uint32_t pa[] = {0, 1, 1, 2};
    expect_history(KA, 0, 100, 4, ha, pa, ba);

    /* Disconnect b2 through a caller batch; replaying it is harmless. */
    struct db_batch *batch = db_batch_new();
    ck_assert(txindex_disconnect_block(db, batch, &b2.blk, false, err, sizeof err));
    ck_assert(txindex_disconnect_block(db, batch, &b2.blk, false, err, sizeof err));
    ck_assert(db_write(db, batch, false, err, sizeof err));
    db_batch_free(batch);
    expect_history(KA, 0, 100, 2, ha, pa, ba);
    expect_history(KC, 0, 100, 0, NULL, NULL, NULL);
    ck_assert(txindex_get_best(db, best, &found, err, sizeof err));
    ck_assert_mem_eq(best, b1.hash, 32);
    /* Reconnect: back to where it was. */
    ck_assert(txindex_connect_block(db, NULL, &b2.blk, false, err, sizeof err));
    ck_assert(txindex_connect_block(db, NULL, &b3.blk, false, err, sizeof err));
    const struct tblock *ba5[] = {&b1, &b1, &b2, &b2, &b3};
    const uint64_t ha5[] = {1, 1, 2, 2, 300};
    const uint32_t pa5[] = {0, 1, 1, 2, 0};
    expect_history(KA, 0, 100, 5, ha5, pa5, ba5);
}
END_TEST

START_TEST(fresh_and_corrupt)
{
    uint8_t best[32];
    bool found = true;
    ck_assert(txindex_get_best(db, best, &found, err, sizeof err));
    ck_assert(!found);
    connect_three();

    /* A damaged tx record. */
    uint8_t key[33];
    key[0] = 't';
    memcpy(key + 1, b1.txids[0], 32);
    ck_assert(db_put(db, key, sizeof key, "\x92\xc4\x01\x00\x00", 5, false, err, sizeof err));
    struct txindex_loc loc;
    err[0] = 0;
    ck_assert(!txindex_find_tx(db, b1.txids[0], &loc, &found, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "corrupt tx index record"));
    ck_assert(db_put(db, key, sizeof key, "\xc1", 1, false, err, sizeof err));
    ck_assert(!txindex_find_tx(db, b1.txids[0], &loc, &found, err, sizeof err));

    /* A damaged history value and a history key of the wrong length. */
    uint8_t hk[45];
    hk[0] = 'h';
    memcpy(hk + 1, KC, 32);
    memset(hk + 33, 0, 12);
    hk[40] = 2; /* height 2 */
    ck_assert(db_put(db, hk, sizeof hk, "\xc4\x02\x00\x00", 4, false, err, sizeof err));
    struct txindex_hist *h = NULL;
    size_t n = 0;
    ck_assert(!txindex_history(db, KC, 0, 10, &h, &n, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "corrupt account history"));
    ck_assert(db_put(db, hk, 40, "\xc4\x02\x00\x00", 4, false, err, sizeof err));
    ck_assert(db_delete(db, hk, sizeof hk, false, err, sizeof err));
    ck_assert(!txindex_history(db, KC, 0, 10, &h, &n, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "40-byte key"));

    /* A damaged marker. */
    ck_assert(db_put(db, "B", 1, "\xc4\x1f", 2, false, err, sizeof err));
    ck_assert(!txindex_get_best(db, best, &found, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "marker"));
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.name = "txindex", .setup = setup, .teardown = teardown};
    const TTest *tests[] = {connect_lookup_history, disconnect_restores, fresh_and_corrupt, NULL};
    return fixture_suite("txindex", &tc, tests);
}
