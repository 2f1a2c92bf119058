#include "unit.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/pow.h"
#include "node/blockindex.h"

#define EASY_BITS 0x207fffff
#define HARDER_BITS 0x1f7fffff

static char dir[64];
static char err[512];
static struct blockindex bi;

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "blockindex");
    blockindex_init(&bi);
}

static void teardown(void)
{
    blockindex_clear(&bi);
    fixture_tmpdir_remove(dir);
}

static struct blockindex_entry *add_child(struct blockindex_entry *prev, uint64_t time,
                                          uint32_t bits, uint64_t nonce)
{
    struct block_header h;
    memset(&h, 0, sizeof h);
    if (prev)
        memcpy(h.prev_hash, prev->hash, SHA256_LEN);
    memset(h.merkle_root, 0x11, SHA256_LEN);
    h.time = time;
    h.bits = bits;
    h.nonce = nonce;
    struct blockindex_entry *e = NULL;
    bool added = false;
    ck_assert_int_eq(blockindex_add(&bi, &h, BLOCK_VALID_TREE, &e, &added), BLOCKINDEX_OK);
    ck_assert(added);
    ck_assert_ptr_nonnull(e);
    return e;
}

/* Extends from start by n blocks, times rising by 60 s; returns the tip. */
static struct blockindex_entry *extend(struct blockindex_entry *start, int n, uint32_t bits,
                                       uint64_t salt)
{
    struct blockindex_entry *e = start;
    for (int i = 0; i < n; i++)
        e = add_child(e, (e ? e->header.time : 1700000000) + 60, bits, salt * 1000000 + (uint64_t)i);
    return e;
}

static void work_of(uint32_t bits, struct u256 *w)
{
    ck_assert_int_eq(pow_block_work(bits, w), POW_OK);
}

static struct blockindex_entry *walk_back(struct blockindex_entry *e, uint64_t height)
{
    while (e && e->height > height)
        e = e->prev;
    return e;
}

START_TEST(tree_heights_work_ancestors)
{
    struct blockindex_entry *g = extend(NULL, 1, EASY_BITS, 1);
    struct blockindex_entry *main_tip = extend(g, 99, EASY_BITS, 2);
    struct blockindex_entry *f50 = blockindex_ancestor(main_tip, 50);
    struct blockindex_entry *fork_a = extend(f50, 30, EASY_BITS, 3);
    struct blockindex_entry *f80 = blockindex_ancestor(main_tip, 80);
    struct blockindex_entry *fork_b = extend(f80, 5, HARDER_BITS, 4);
    ck_assert_uint_eq(blockindex_count(&bi), 1 + 99 + 30 + 5);
    ck_assert_ptr_eq(blockindex_root(&bi), g);
    ck_assert_uint_eq(g->height, 0);
    ck_assert_ptr_null(g->prev);
    ck_assert_uint_eq(main_tip->height, 99);
    ck_assert_uint_eq(fork_a->height, 80);
    ck_assert_uint_eq(fork_b->height, 85);

    /* chainwork = sum of each block's work */
    struct u256 easy, hard, expect, tmp;
    work_of(EASY_BITS, &easy);
    work_of(HARDER_BITS, &hard);
    ck_assert_int_gt(u256_cmp(&hard, &easy), 0);
    ck_assert(u256_mul_u64(&expect, &easy, 100));
    ck_assert_int_eq(u256_cmp(&main_tip->chainwork, &expect), 0);
    ck_assert(u256_mul_u64(&expect, &easy, 81));
    ck_assert(u256_mul_u64(&tmp, &hard, 5));
    ck_assert(u256_add(&expect, &expect, &tmp));
    ck_assert_int_eq(u256_cmp(&fork_b->chainwork, &expect), 0);
    /* The short harder fork beats the long easy chain. */
    ck_assert(blockindex_better(fork_b, main_tip));
    ck_assert(!blockindex_better(main_tip, fork_b));

    /* Skip-pointer ancestors agree with walking prev, every height. */
    struct blockindex_entry *tips[] = {main_tip, fork_a, fork_b};
    for (int t = 0; t < 3; t++)
        for (uint64_t h = 0; h <= tips[t]->height; h++)
            ck_assert_ptr_eq(blockindex_ancestor(tips[t], h), walk_back(tips[t], h));
    ck_assert_ptr_null(blockindex_ancestor(fork_a, 81));
    ck_assert_ptr_eq(blockindex_ancestor(fork_a, 80), fork_a);
    ck_assert_ptr_null(blockindex_ancestor(NULL, 0));

    /* Last common ancestors. */
    ck_assert_ptr_eq(blockindex_last_common_ancestor(main_tip, fork_a), f50);
    ck_assert_ptr_eq(blockindex_last_common_ancestor(fork_b, fork_a), f50);
    ck_assert_ptr_eq(blockindex_last_common_ancestor(fork_b, main_tip), f80);
    ck_assert_ptr_eq(blockindex_last_common_ancestor(main_tip, f80), f80);
    ck_assert_ptr_eq(blockindex_last_common_ancestor(f80, main_tip), f80);
    ck_assert_ptr_eq(blockindex_last_common_ancestor(g, fork_b), g);
    ck_assert_ptr_eq(blockindex_last_common_ancestor(fork_a, fork_a), fork_a);
    ck_assert_ptr_null(blockindex_last_common_ancestor(NULL, fork_a));
    struct blockindex_entry *a51 = blockindex_ancestor(fork_a, 51);
    ck_assert_ptr_eq(blockindex_last_common_ancestor(a51, blockindex_ancestor(main_tip, 51)), f50);

    /* Lookups. */
    ck_assert_ptr_eq(blockindex_find(&bi, f50->hash), f50);
    uint8_t none[SHA256_LEN];
    memset(none, 0xee, sizeof none);
    ck_assert_ptr_null(blockindex_find(&bi, none));
    /* Insertion order is kept. */
    ck_assert_ptr_eq(blockindex_entry_at(&bi, 0), g);
    ck_assert_ptr_eq(blockindex_entry_at(&bi, 99), main_tip);
    ck_assert_ptr_null(blockindex_entry_at(&bi, 135));
    /* Sequence ids follow first sight. */
    ck_assert_uint_lt(main_tip->seq, fork_a->seq);
}
END_TEST

START_TEST(add_rules)
{
    struct blockindex_entry *g = extend(NULL, 1, EASY_BITS, 1);
    struct block_header h = g->header;
    struct blockindex_entry *e = NULL;
    bool added = true;
    /* The same header again: the existing entry, nothing added. */
    ck_assert_int_eq(blockindex_add(&bi, &h, 0, &e, &added), BLOCKINDEX_OK);
    ck_assert(!added);
    ck_assert_ptr_eq(e, g);
    ck_assert_uint_eq(blockindex_count(&bi), 1);
    /* A second parentless header. */
    h.nonce = 999;
    e = NULL;
    ck_assert_int_eq(blockindex_add(&bi, &h, 0, &e, &added), BLOCKINDEX_ERR_SECOND_ROOT);
    ck_assert_ptr_null(e);
    /* Unknown parent. */
    memset(h.prev_hash, 0x77, SHA256_LEN);
    ck_assert_int_eq(blockindex_add(&bi, &h, 0, &e, &added), BLOCKINDEX_ERR_NO_PREV);
    /* Bits without work: zero target, negative, overflow. */
    memcpy(h.prev_hash, g->hash, SHA256_LEN);
    const uint32_t bad_bits[] = {0, 0x01003456, 0x04923456, 0xff123456};
    for (size_t i = 0; i < sizeof bad_bits / sizeof *bad_bits; i++) {
        h.bits = bad_bits[i];
        ck_assert_int_eq(blockindex_add(&bi, &h, 0, &e, &added), BLOCKINDEX_ERR_BAD_BITS);
    }
    ck_assert_uint_eq(blockindex_count(&bi), 1);
    ck_assert_ptr_null(e);
    /* Status bits outside the defined set are dropped. */
    h.bits = EASY_BITS;
    ck_assert_int_eq(blockindex_add(&bi, &h, 0xffffffffu, &e, &added), BLOCKINDEX_OK);
    ck_assert_uint_eq(e->status, BLOCK_STATUS_ALL);
    ck_assert_str_eq(blockindex_strerror(BLOCKINDEX_ERR_NO_PREV),
                     "previous block not in the block index");
    ck_assert_ptr_nonnull(blockindex_strerror((enum blockindex_err)77));
}
END_TEST

START_TEST(median_time_past)
{
    /* Times out of order: MTP is the median of the last 11 (or fewer). */
    static const uint64_t times[] = {100, 90, 130, 120, 110, 160, 150, 140, 105, 170, 95, 300, 10};
    struct blockindex_entry *e = NULL, *at[13];
    for (int i = 0; i < 13; i++)
        at[i] = e = add_child(e, times[i], EASY_BITS, (uint64_t)i);
    ck_assert_uint_eq(blockindex_median_time_past(at[0]), 100);
    ck_assert_uint_eq(blockindex_median_time_past(at[1]), 100); /* {90,100} -> upper */
    ck_assert_uint_eq(blockindex_median_time_past(at[2]), 100); /* {90,100,130} */
    /* heights 0..10: sorted 90 95 100 105 110 120 130 140 150 160 170 */
    ck_assert_uint_eq(blockindex_median_time_past(at[10]), 120);
    /* heights 1..11: 90 95 105 110 120 130 140 150 160 170 300 */
    ck_assert_uint_eq(blockindex_median_time_past(at[11]), 130);
    /* heights 2..12: 10 95 105 110 120 130 140 150 160 170 300 */
    ck_assert_uint_eq(blockindex_median_time_past(at[12]), 130);
    ck_assert_uint_eq(blockindex_median_time_past(NULL), 0);
    /* time_max tracks the largest time so far. */
    ck_assert_uint_eq(at[10]->time_max, 170);
    ck_assert_uint_eq(at[12]->time_max, 300);
}
END_TEST

START_TEST(active_chain)
{
    struct blockindex_entry *g = extend(NULL, 1, EASY_BITS, 1);
    struct blockindex_entry *a = extend(g, 20, EASY_BITS, 2);
    struct blockindex_entry *a5 = blockindex_ancestor(a, 5);
    struct blockindex_entry *b = extend(a5, 3, EASY_BITS, 3);
    struct blockindex_chain c;
    blockindex_chain_init(&c);
    ck_assert_int_eq(blockindex_chain_height(&c), -1);
    ck_assert_ptr_null(blockindex_chain_tip(&c));
    ck_assert_ptr_null(blockindex_chain_find_fork(&c, a));

    ck_assert(blockindex_chain_set_tip(&c, a));
    ck_assert_int_eq(blockindex_chain_height(&c), 20);
    ck_assert_ptr_eq(blockindex_chain_tip(&c), a);
    ck_assert_ptr_eq(blockindex_chain_genesis(&c), g);
    ck_assert_ptr_eq(blockindex_chain_at(&c, 5), a5);
    ck_assert_ptr_null(blockindex_chain_at(&c, 21));
    ck_assert(blockindex_chain_contains(&c, a5));
    ck_assert(!blockindex_chain_contains(&c, b));
    ck_assert(!blockindex_chain_contains(&c, NULL));
    ck_assert_ptr_eq(blockindex_chain_next(&c, a5), blockindex_ancestor(a, 6));
    ck_assert_ptr_null(blockindex_chain_next(&c, a));
    ck_assert_ptr_null(blockindex_chain_next(&c, b));
    ck_assert_ptr_eq(blockindex_chain_find_fork(&c, b), a5);
    ck_assert_ptr_eq(blockindex_chain_find_fork(&c, a), a);

    /* Reorganise to the short branch, then back: slots above the shorter
     * chain's end must not be trusted when the longer one returns. */
    ck_assert(blockindex_chain_set_tip(&c, b));
    ck_assert_int_eq(blockindex_chain_height(&c), 8);
    ck_assert(!blockindex_chain_contains(&c, blockindex_ancestor(a, 6)));
    ck_assert(blockindex_chain_contains(&c, blockindex_ancestor(b, 6)));
    ck_assert_ptr_eq(blockindex_chain_find_fork(&c, a), a5);
    ck_assert(blockindex_chain_set_tip(&c, a));
    for (uint64_t h = 0; h <= 20; h++)
        ck_assert_ptr_eq(blockindex_chain_at(&c, h), blockindex_ancestor(a, h));
    /* Back down the same branch. */
    ck_assert(blockindex_chain_set_tip(&c, a5));
    ck_assert_int_eq(blockindex_chain_height(&c), 5);
    ck_assert_ptr_eq(blockindex_chain_tip(&c), a5);
    ck_assert(blockindex_chain_set_tip(&c, NULL));
    ck_assert_int_eq(blockindex_chain_height(&c), -1);
    blockindex_chain_clear(&c);
}
END_TEST

START_TEST(candidates)
{
    struct blockindex_entry *g = extend(NULL, 1, EASY_BITS, 1);
    struct blockindex_entry *a = extend(g, 10, EASY_BITS, 2);
    struct blockindex_entry *b = extend(g, 10, EASY_BITS, 3); /* same work, seen later */
    struct blockindex_entry *c = extend(g, 12, EASY_BITS, 4);
    struct blockindex_entry *d = extend(g, 3, EASY_BITS, 5);
    ck_assert(blockindex_better(a, b));
    ck_assert(!blockindex_better(b, a));
    ck_assert(!blockindex_better(a, a));

    struct blockindex_candidates s;
    blockindex_candidates_init(&s);
    ck_assert_ptr_null(blockindex_candidates_best(&s));
    ck_assert(blockindex_candidates_add(&s, d));
    ck_assert(blockindex_candidates_add(&s, b));
    ck_assert(blockindex_candidates_add(&s, a));
    ck_assert(blockindex_candidates_add(&s, c));
    ck_assert(blockindex_candidates_add(&s, a)); /* no duplicate */
    ck_assert_uint_eq(s.len, 4);
    ck_assert_ptr_eq(blockindex_candidates_best(&s), c);
    ck_assert_ptr_eq(s.v[1], a);
    ck_assert_ptr_eq(s.v[2], b);
    ck_assert_ptr_eq(s.v[3], d);
    ck_assert(blockindex_candidates_contains(&s, b));
    blockindex_candidates_remove(&s, c);
    ck_assert(!blockindex_candidates_contains(&s, c));
    blockindex_candidates_remove(&s, c); /* absent: no-op */
    ck_assert_uint_eq(s.len, 3);
    ck_assert_ptr_eq(blockindex_candidates_best(&s), a);
    /* With a as the tip, b and d are worse and go. */
    blockindex_candidates_prune(&s, a);
    ck_assert_uint_eq(s.len, 1);
    ck_assert_ptr_eq(blockindex_candidates_best(&s), a);
    /* Pruning against a better tip that is not a member empties the set. */
    blockindex_candidates_prune(&s, c);
    ck_assert_uint_eq(s.len, 0);
    blockindex_candidates_clear(&s);
}
END_TEST

static struct db *open_index_db(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/index", dir);
    struct db_options o;
    db_options_default(&o);
    struct db *db = NULL;
    ck_assert_msg(db_open(path, &o, &db, err, sizeof err), "%s", err);
    return db;
}

static void assert_same_entry(const struct blockindex_entry *x, const struct blockindex_entry *y)
{
    ck_assert_mem_eq(x->hash, y->hash, SHA256_LEN);
    ck_assert_mem_eq(x->header.prev_hash, y->header.prev_hash, SHA256_LEN);
    ck_assert_mem_eq(x->header.merkle_root, y->header.merkle_root, SHA256_LEN);
    ck_assert_uint_eq(x->header.time, y->header.time);
    ck_assert_uint_eq(x->header.bits, y->header.bits);
    ck_assert_uint_eq(x->header.nonce, y->header.nonce);
    ck_assert_uint_eq(x->height, y->height);
    ck_assert_int_eq(u256_cmp(&x->chainwork, &y->chainwork), 0);
    ck_assert_uint_eq(x->status, y->status);
    ck_assert_uint_eq(x->tx_count, y->tx_count);
    ck_assert_uint_eq(x->data_pos.file, y->data_pos.file);
    ck_assert_uint_eq(x->data_pos.offset, y->data_pos.offset);
    ck_assert_uint_eq(x->undo_pos.file, y->undo_pos.file);
    ck_assert_uint_eq(x->undo_pos.offset, y->undo_pos.offset);
    ck_assert_uint_eq(x->seq, y->seq);
    ck_assert_uint_eq(x->time_max, y->time_max);
    ck_assert_uint_eq(x->prev != NULL, y->prev != NULL);
    if (x->prev)
        ck_assert_mem_eq(x->prev->hash, y->prev->hash, SHA256_LEN);
}

START_TEST(persistence_roundtrip)
{
    struct blockindex_entry *g = extend(NULL, 1, EASY_BITS, 1);
    struct blockindex_entry *a = extend(g, 40, EASY_BITS, 2);
    struct blockindex_entry *b = extend(blockindex_ancestor(a, 30), 15, HARDER_BITS, 3);
    struct blockstore_pos p = {3, 12345}, u = {1, 999};
    blockindex_set_data(&bi, b, p, 17);
    blockindex_set_undo(&bi, b, u);
    blockindex_set_status(&bi, a, BLOCK_FAILED);
    ck_assert_uint_eq(blockindex_dirty_count(&bi), 56); /* no duplicates */

    struct db *db = open_index_db();
    struct blockindex_meta meta = {{4, 1000, 2, 500}, BLOCKINDEX_FLAG_REINDEXING};
    ck_assert_int_eq(blockindex_flush(&bi, db, &meta, true, err, sizeof err), BLOCKINDEX_OK);
    ck_assert_uint_eq(blockindex_dirty_count(&bi), 0);
    ck_assert(!b->dirty);

    struct blockindex back;
    blockindex_init(&back);
    struct blockindex_meta m2;
    bool has_meta = false;
    ck_assert_int_eq(blockindex_load(&back, db, &m2, &has_meta, err, sizeof err), BLOCKINDEX_OK);
    ck_assert(has_meta);
    ck_assert_mem_eq(&m2.cursor, &meta.cursor, sizeof meta.cursor);
    ck_assert_uint_eq(m2.flags, BLOCKINDEX_FLAG_REINDEXING);
    ck_assert_uint_eq(blockindex_count(&back), blockindex_count(&bi));
    ck_assert_uint_eq(blockindex_dirty_count(&back), 0);
    for (size_t i = 0; i < blockindex_count(&bi); i++) {
        struct blockindex_entry *x = blockindex_entry_at(&bi, i);
        struct blockindex_entry *y = blockindex_find(&back, x->hash);
        ck_assert_ptr_nonnull(y);
        assert_same_entry(x, y);
    }
    ck_assert_mem_eq(blockindex_root(&back)->hash, g->hash, SHA256_LEN);
    struct blockindex_entry *b2 = blockindex_find(&back, b->hash);
    ck_assert_ptr_eq(blockindex_ancestor(b2, 0), blockindex_root(&back));
    /* New entries after a load get fresh sequence ids. */
    struct block_header h = b2->header;
    memcpy(h.prev_hash, b2->hash, SHA256_LEN);
    struct blockindex_entry *n;
    bool added;
    ck_assert_int_eq(blockindex_add(&back, &h, 0, &n, &added), BLOCKINDEX_OK);
    ck_assert_uint_gt(n->seq, b->seq);
    ck_assert_uint_gt(n->seq, a->seq);

    /* Only the changed entry is rewritten; the change survives a reload. */
    blockindex_clear_status(&bi, a, BLOCK_FAILED);
    blockindex_clear_status(&bi, a, BLOCK_FAILED); /* already clear: not dirty again */
    ck_assert_uint_eq(blockindex_dirty_count(&bi), 1);
    struct db_batch *batch = db_batch_new();
    ck_assert(blockindex_write(&bi, batch, &meta));
    ck_assert_uint_eq(db_batch_count(batch), 2); /* the entry + the metadata */
    ck_assert(db_write(db, batch, false, err, sizeof err));
    blockindex_mark_clean(&bi);
    db_batch_free(batch);
    ck_assert_int_eq(blockindex_load(&back, db, &m2, &has_meta, err, sizeof err), BLOCKINDEX_OK);
    ck_assert_uint_eq(blockindex_find(&back, a->hash)->status, BLOCK_VALID_TREE);
    blockindex_clear(&back);
    db_close(db);

    /* A new database: no metadata, nothing loaded. */
    char path[128];
    snprintf(path, sizeof path, "%s/fresh", dir);
    struct db_options o;
    db_options_default(&o);
    ck_assert(db_open(path, &o, &db, err, sizeof err));
    ck_assert_int_eq(blockindex_load(&back, db, &m2, &has_meta, err, sizeof err), BLOCKINDEX_OK);
    ck_assert(!has_meta);
    ck_assert_uint_eq(blockindex_count(&back), 0);
    db_close(db);
}
END_TEST

/* Stores the tree, applies one damage, and expects load to refuse it. */
static void expect_corrupt(void (*damage)(struct db *db, const struct blockindex_entry *e),
                           const char *needle)
{
    struct blockindex_entry *g = extend(NULL, 1, EASY_BITS, 1);
    struct blockindex_entry *a = extend(g, 5, EASY_BITS, 2);
    struct db *db = open_index_db();
    struct blockindex_meta meta = {{0, 0, 0, 0}, 0};
    ck_assert_int_eq(blockindex_flush(&bi, db, &meta, false, err, sizeof err), BLOCKINDEX_OK);
    damage(db, blockindex_ancestor(a, 3));
    struct blockindex back;
    blockindex_init(&back);
    struct blockindex_meta m2;
    bool has_meta;
    err[0] = 0;
    ck_assert_int_eq(blockindex_load(&back, db, &m2, &has_meta, err, sizeof err),
                     BLOCKINDEX_ERR_CORRUPT);
    ck_assert_msg(strstr(err, needle) != NULL, "message '%s' lacks '%s'", err, needle);
    ck_assert_uint_eq(blockindex_count(&back), 0);
    ck_assert_ptr_null(blockindex_find(&back, g->hash));
    blockindex_clear(&back);
    db_close(db);
}

static void entry_key(const struct blockindex_entry *e, uint8_t key[33])
{
    key[0] = 'b';
    memcpy(key + 1, e->hash, SHA256_LEN);
}

static void damage_value(struct db *db, const struct blockindex_entry *e)
{
    uint8_t key[33];
    entry_key(e, key);
    ck_assert(db_put(db, key, sizeof key, "\x93\x01\x02\x03", 4, false, err, sizeof err));
}

static void damage_other_header(struct db *db, const struct blockindex_entry *e)
{
    /* The record of e stored under its parent's key. */
    uint8_t key[33], val_key[33];
    entry_key(e->prev, key);
    entry_key(e, val_key);
    struct buf v;
    buf_init(&v);
    bool found;
    ck_assert(db_get(db, val_key, sizeof val_key, &v, &found, err, sizeof err));
    ck_assert(found);
    ck_assert(db_put(db, key, sizeof key, v.data, v.len, false, err, sizeof err));
    buf_clear(&v);
}

static void damage_remove_parent(struct db *db, const struct blockindex_entry *e)
{
    uint8_t key[33];
    entry_key(e->prev, key);
    ck_assert(db_delete(db, key, sizeof key, false, err, sizeof err));
}

static void damage_key_length(struct db *db, const struct blockindex_entry *e)
{
    (void)e;
    ck_assert(db_put(db, "bshort", 6, "\x90", 1, false, err, sizeof err));
}

static void damage_meta(struct db *db, const struct blockindex_entry *e)
{
    (void)e;
    ck_assert(db_put(db, "F", 1, "\x92\x01\x02", 3, false, err, sizeof err));
}

START_TEST(corrupt_value) { expect_corrupt(damage_value, "wrong array length"); }
END_TEST
START_TEST(corrupt_wrong_header) { expect_corrupt(damage_other_header, "another header"); }
END_TEST
START_TEST(corrupt_missing_parent) { expect_corrupt(damage_remove_parent, "parent missing"); }
END_TEST
START_TEST(corrupt_key_length) { expect_corrupt(damage_key_length, "key of 6 bytes"); }
END_TEST
START_TEST(corrupt_meta) { expect_corrupt(damage_meta, "metadata"); }
END_TEST

/* The records load reads, fed one by one in any order: the same tree, and
 * a record twice or under another key is refused without changing it. */
START_TEST(records_one_by_one)
{
    struct blockindex_entry *g = extend(NULL, 1, EASY_BITS, 1);
    struct blockindex_entry *tip = extend(g, 20, EASY_BITS, 2);
    extend(blockindex_ancestor(tip, 7), 4, HARDER_BITS, 3);
    size_t n = blockindex_count(&bi);
    struct buf *vals = calloc(n, sizeof *vals);
    ck_assert_ptr_nonnull(vals);
    struct blockindex back;
    blockindex_init(&back);
    for (size_t i = n; i-- > 0;) {
        const struct blockindex_entry *e = blockindex_entry_at(&bi, i);
        buf_init(&vals[i]);
        ck_assert(blockindex_entry_encode(e, &vals[i]));
        uint8_t key[BLOCKINDEX_ENTRY_KEY_LEN];
        blockindex_entry_key(e->hash, key);
        ck_assert_int_eq(blockindex_load_record(&back, key, sizeof key, vals[i].data,
                                                vals[i].len, err, sizeof err),
                         BLOCKINDEX_OK);
    }
    ck_assert_int_eq(blockindex_load_link(&back, err, sizeof err), BLOCKINDEX_OK);
    ck_assert_uint_eq(blockindex_count(&back), n);
    for (size_t i = 0; i < n; i++) {
        const struct blockindex_entry *e = blockindex_entry_at(&bi, i);
        const struct blockindex_entry *b = blockindex_find(&back, e->hash);
        ck_assert_ptr_nonnull(b);
        ck_assert_uint_eq(b->height, e->height);
        ck_assert_int_eq(u256_cmp(&b->chainwork, &e->chainwork), 0);
        ck_assert(b->prev == NULL ? e->prev == NULL
                                  : memcmp(b->prev->hash, e->prev->hash, SHA256_LEN) == 0);
        struct buf again;
        buf_init(&again);
        ck_assert(blockindex_entry_encode(b, &again));
        ck_assert_uint_eq(again.len, vals[i].len);
        ck_assert_int_eq(memcmp(again.data, vals[i].data, again.len), 0);
        buf_clear(&again);
    }
    uint8_t key[BLOCKINDEX_ENTRY_KEY_LEN];
    blockindex_entry_key(tip->hash, key);
    size_t at = (size_t)(tip->seq);
    ck_assert_ptr_eq(blockindex_entry_at(&bi, at), tip);
    err[0] = 0;
    ck_assert_int_eq(blockindex_load_record(&back, key, sizeof key, vals[at].data, vals[at].len,
                                            err, sizeof err),
                     BLOCKINDEX_ERR_CORRUPT);
    ck_assert_msg(strstr(err, "twice") != NULL, "%s", err);
    key[1] ^= 1;
    ck_assert_int_eq(blockindex_load_record(&back, key, sizeof key, vals[at].data, vals[at].len,
                                            err, sizeof err),
                     BLOCKINDEX_ERR_CORRUPT);
    ck_assert_msg(strstr(err, "another header") != NULL, "%s", err);
    key[0] = 'c';
    ck_assert_int_eq(blockindex_load_record(&back, key, sizeof key, vals[at].data, vals[at].len,
                                            err, sizeof err),
                     BLOCKINDEX_ERR_CORRUPT);
    ck_assert_uint_eq(blockindex_count(&back), n);
    for (size_t i = 0; i < n; i++)
        buf_clear(&vals[i]);
    free(vals);
    blockindex_clear(&back);

    /* The metadata record. */
    struct blockindex_meta m = {{3, 1000, 2, 77}, BLOCKINDEX_FLAG_REINDEXING}, m2, m3;
    struct buf mv;
    buf_init(&mv);
    ck_assert(blockindex_meta_encode(&m, &mv));
    ck_assert_int_eq(blockindex_meta_decode(mv.data, mv.len, &m2), SER_OK);
    ck_assert_int_eq(memcmp(&m, &m2, sizeof m), 0);
    mv.data[1] = 2; /* version 2 */
    memset(&m3, 0x5a, sizeof m3);
    ck_assert_int_eq(blockindex_meta_decode(mv.data, mv.len, &m3), SER_ERR_VERSION);
    ck_assert_uint_eq(m3.flags, 0x5a5a5a5a5a5a5a5aull);
    buf_clear(&mv);
}
END_TEST

/* A reset index is empty and fills again like a new one. */
START_TEST(reset_then_refill)
{
    struct blockindex_entry *tip = extend(extend(NULL, 1, EASY_BITS, 1), 5000, EASY_BITS, 2);
    uint8_t old_tip[SHA256_LEN];
    memcpy(old_tip, tip->hash, SHA256_LEN);
    blockindex_reset(&bi);
    ck_assert_uint_eq(blockindex_count(&bi), 0);
    ck_assert_ptr_null(blockindex_root(&bi));
    ck_assert_ptr_null(blockindex_find(&bi, old_tip));
    ck_assert_uint_eq(blockindex_dirty_count(&bi), 0);

    /* The same headers into the reset index and into a new one (extend
     * works on bi, so the two take turns there). */
    struct blockindex_entry *a = extend(extend(NULL, 1, EASY_BITS, 3), 100, HARDER_BITS, 4);
    struct blockindex used = bi, fresh;
    blockindex_init(&bi);
    struct blockindex_entry *b = extend(extend(NULL, 1, EASY_BITS, 3), 100, HARDER_BITS, 4);
    fresh = bi;
    bi = used;
    ck_assert_uint_eq(blockindex_count(&bi), blockindex_count(&fresh));
    ck_assert_int_eq(memcmp(a->hash, b->hash, SHA256_LEN), 0);
    ck_assert_uint_eq(a->seq, b->seq);
    ck_assert_int_eq(u256_cmp(&a->chainwork, &b->chainwork), 0);
    ck_assert_uint_eq(blockindex_dirty_count(&bi), blockindex_dirty_count(&fresh));
    ck_assert_ptr_null(blockindex_find(&bi, old_tip));
    for (size_t i = 0; i < blockindex_count(&bi); i++) {
        const struct blockindex_entry *x = blockindex_entry_at(&bi, i);
        ck_assert_ptr_eq(blockindex_find(&bi, x->hash), x);
        ck_assert_ptr_eq(blockindex_ancestor(a, x->height), x);
    }
    blockindex_clear(&fresh);
}
END_TEST

/* A long chain: lookups and ancestors stay fast and right. */
START_TEST(long_chain)
{
    enum { N = 200000 };
    struct blockindex_entry *tip = extend(NULL, N, EASY_BITS, 9);
    ck_assert_uint_eq(tip->height, N - 1);
    ck_assert_uint_eq(blockindex_count(&bi), N);
    uint64_t h = 12345;
    for (int i = 0; i < 20000; i++) {
        h = h * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t target = (h >> 33) % N;
        struct blockindex_entry *e = blockindex_ancestor(tip, target);
        ck_assert_uint_eq(e->height, target);
        ck_assert_ptr_eq(blockindex_find(&bi, e->hash), e);
        /* A neighbour's ancestor agrees: the skips of two entries lead to
         * the same place. */
        if (target > 0)
            ck_assert_ptr_eq(blockindex_ancestor(e, target - 1), e->prev);
    }
    struct blockindex_entry *mid = blockindex_ancestor(tip, N / 2);
    struct blockindex_entry *side = extend(mid, 3, EASY_BITS, 10);
    ck_assert_ptr_eq(blockindex_last_common_ancestor(tip, side), mid);
    ck_assert_ptr_eq(blockindex_last_common_ancestor(side, blockindex_ancestor(tip, 7)),
                     blockindex_ancestor(tip, 7));
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {
        .name = "blockindex", .setup = setup, .teardown = teardown, .timeout = 60};
    const TTest *tests[] = {
        tree_heights_work_ancestors, add_rules, median_time_past, active_chain, candidates,
        persistence_roundtrip, corrupt_value, corrupt_wrong_header, corrupt_missing_parent,
        corrupt_key_length, corrupt_meta, records_one_by_one, reset_then_refill, long_chain, NULL
    };
    return fixture_suite("blockindex", &tc, tests);
}
