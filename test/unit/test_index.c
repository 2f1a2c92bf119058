#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "node/chain.h"
#include "node/index.h"

/* An index kept in memory: the heights it holds, in order, and its marker. */
struct mem_index {
    uint64_t heights[64];
    size_t n;
    uint8_t best[32];
    bool has_best;
    int resets, connects, disconnects;
    bool fail_next;
};

static bool mem_get_best(void *ctx, uint8_t hash[32], bool *found, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct mem_index *m = ctx;
    *found = m->has_best;
    if (m->has_best)
        memcpy(hash, m->best, 32);
    return true;
}

static bool mem_connect(void *ctx, const struct block *b, const uint8_t hash[32],
                        uint64_t height, char *err, size_t errlen)
{
    struct mem_index *m = ctx;
    if (m->fail_next) {
        snprintf(err, errlen, "disk full");
        return false;
    }
    /* Blocks arrive in chain order: each one's parent is the marker. */
    if (m->has_best)
        ck_assert_mem_eq(b->header.prev_hash, m->best, 32);
    ck_assert_uint_lt(m->n, 64);
    m->heights[m->n++] = height;
    memcpy(m->best, hash, 32);
    m->has_best = true;
    m->connects++;
    return true;
}

static bool mem_disconnect(void *ctx, const struct block *b, const uint8_t hash[32],
                           uint64_t height, const uint8_t prev_hash[32], char *err,
                           size_t errlen)
{
    (void)err;
    (void)errlen;
    struct mem_index *m = ctx;
    /* Only the marker block is ever taken off. */
    ck_assert_mem_eq(hash, m->best, 32);
    ck_assert_mem_eq(b->header.prev_hash, prev_hash, 32);
    ck_assert_uint_gt(m->n, 0);
    ck_assert_uint_eq(m->heights[m->n - 1], height);
    m->n--;
    memcpy(m->best, prev_hash, 32);
    m->disconnects++;
    return true;
}

static bool mem_reset(void *ctx, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct mem_index *m = ctx;
    m->n = 0;
    m->has_best = false;
    m->resets++;
    return true;
}

static struct index_def mem_def(struct mem_index *m)
{
    return (struct index_def){.name = "mem", .ctx = m, .get_best = mem_get_best,
                              .connect = mem_connect, .disconnect = mem_disconnect,
                              .reset = mem_reset};
}

static void mine(struct chain *c, size_t n, uint8_t salt)
{
    uint8_t miner[32];
    fixture_pubkey(miner);
    struct block b;
    block_init(&b);
    for (size_t i = 0; i < n; i++) {
        fixture_block_on(&b, chain_tip(c), miner, NULL, 0, salt);
        struct block_fault f;
        char reason[128];
        ck_assert_int_eq(chain_process_block(c, &b, &f, reason, sizeof reason), CHAIN_OK);
    }
    block_clear(&b);
}

static void catch_up(struct chain *c, struct mem_index *m)
{
    struct index_def def = mem_def(m);
    char err[256];
    ck_assert_msg(index_catch_up(c, &def, fixture_regtest()->genesis.hash, err, sizeof err),
                  "%s", err);
    ck_assert_mem_eq(m->best, chain_tip(c)->hash, 32);
    ck_assert_uint_eq(m->n, chain_tip(c)->height);
    for (size_t i = 0; i < m->n; i++)
        ck_assert_uint_eq(m->heights[i], i + 1);
}

START_TEST(follows_connects_reorgs_and_unknown_markers)
{
    char dir[256];
    fixture_tmpdir_make(dir, sizeof dir, "index");
    struct chain *c = fixture_chain_open(dir, false);
    struct mem_index m;
    memset(&m, 0, sizeof m);

    /* From nothing: every block after the genesis block. */
    mine(c, 5, 0);
    catch_up(c, &m);
    ck_assert_int_eq(m.connects, 5);
    ck_assert_int_eq(m.resets, 0);

    /* At the tip: nothing to do. */
    catch_up(c, &m);
    ck_assert_int_eq(m.connects, 5);

    /* A reorg to a longer branch from height 3: two blocks off, four on. */
    uint8_t tip5[32];
    memcpy(tip5, chain_tip(c)->hash, 32);
    char err[256];
    struct blockindex_entry *h4 = chain_tip(c)->prev;
    ck_assert(chain_invalidate(c, h4->hash, err, sizeof err));
    ck_assert_uint_eq(chain_tip(c)->height, 3);
    mine(c, 4, 7);
    ck_assert_uint_eq(chain_tip(c)->height, 7);
    catch_up(c, &m);
    ck_assert_int_eq(m.disconnects, 2);
    ck_assert_int_eq(m.connects, 9);

    /* A marker the block index does not know: emptied and rebuilt. */
    memset(m.best, 0x5a, 32);
    catch_up(c, &m);
    ck_assert_int_eq(m.resets, 1);
    ck_assert_uint_eq(m.n, 7);

    /* A failing write is reported, and the index stays where it was. */
    mine(c, 1, 0);
    m.fail_next = true;
    struct index_def def = mem_def(&m);
    ck_assert(!index_catch_up(c, &def, fixture_regtest()->genesis.hash, err, sizeof err));
    ck_assert_str_eq(err, "disk full");
    ck_assert_uint_eq(m.n, 7);
    m.fail_next = false;
    catch_up(c, &m);

    chain_close(c);
    fixture_tmpdir_remove(dir);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {follows_connects_reorgs_and_unknown_markers, NULL};
    return fixture_suite("index", NULL, tests);
}
