#define _POSIX_C_SOURCE 200809L
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/account.h"
#include "consensus/coinbase.h"
#include "consensus/subsidy.h"
#include "consensus/transfer.h"
#include "consensus/txsign.h"
#include "node/chain.h"

static char dir[256];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/souk-test-chain-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const struct chain_params *regtest(void)
{
    return chainparams_get(CHAIN_REGTEST);
}

static struct chain *open_chain(bool reindex)
{
    struct chain *c = NULL;
    char err[512] = "";
    struct chain_options opt = {.cache_bytes = 8 << 20, .reindex = reindex};
    ck_assert_msg(chain_open(&c, regtest(), dir, &opt, err, sizeof err), "%s", err);
    return c;
}

struct user {
    uint8_t sk[32], pub[32];
};

static void user_new(struct user *u)
{
    ck_assert(key_generate(u->sk));
    ck_assert(key_pubkey(u->sk, u->pub));
}

/* A block on top of parent paying subsidy + fees to miner; `salt` varies
 * the coinbase so sibling blocks differ. */
static void build(struct block *b, const struct blockindex_entry *parent, const uint8_t miner[32],
                  const struct tx *txs, size_t n, uint8_t salt)
{
    block_clear(b);
    block_init(b);
    amount_t fees = 0;
    for (size_t i = 0; i < n; i++)
        fees += txs[i].fee;
    uint64_t height = parent->height + 1;
    struct coinbase_payload cp = {.amount = subsidy_at(height, regtest()->halving_interval) + fees,
                                  .extra_len = 1,
                                  .extra = {salt}};
    memcpy(cp.recipient, miner, 32);
    struct tx cb;
    tx_init(&cb);
    ck_assert(coinbase_build(&cb, height, &cp));
    ck_assert(block_take_tx(b, &cb));
    for (size_t i = 0; i < n; i++) {
        struct tx t;
        tx_init(&t);
        ck_assert(tx_copy(&t, &txs[i]));
        ck_assert(block_take_tx(b, &t));
    }
    memcpy(b->header.prev_hash, parent->hash, 32);
    b->header.time = parent->header.time + 60;
    b->header.bits = regtest()->pow_limit_bits;
    block_set_merkle_root(b);
    struct u256 limit;
    chainparams_pow_limit(regtest(), &limit);
    uint8_t h[32];
    for (b->header.nonce = 0;; b->header.nonce++) {
        block_hash(b, h);
        if (pow_check(h, b->header.bits, &limit) == POW_OK)
            break;
    }
}

static enum chain_result submit(struct chain *c, const struct block *b, char *reason)
{
    struct block_fault f;
    return chain_process_block(c, b, &f, reason, 128);
}

/* Mines n empty blocks on the tip. */
static void mine(struct chain *c, size_t n, const uint8_t miner[32])
{
    struct block b;
    block_init(&b);
    char reason[128];
    for (size_t i = 0; i < n; i++) {
        build(&b, chain_tip(c), miner, NULL, 0, 0);
        ck_assert_int_eq(submit(c, &b, reason), CHAIN_OK);
    }
    block_clear(&b);
}

static void state_hash(struct chain *c, uint8_t out[32])
{
    struct chainstate_info info;
    char err[256];
    ck_assert(chain_state_info(c, &info, err, sizeof err));
    memcpy(out, info.state_hash, 32);
}

static struct account account_of(struct chain *c, const uint8_t pub[32])
{
    struct state_backend be;
    chain_tip_backend(c, &be);
    struct state_view v;
    state_view_init(&v, &be);
    struct account a;
    ck_assert_int_eq(account_get(&v, pub, &a), TXERR_OK);
    state_view_clear(&v);
    return a;
}

static void transfer(struct tx *tx, const struct user *from, const uint8_t to[32], amount_t amount,
                     uint64_t nonce, amount_t fee)
{
    struct transfer_payload p = {.amount = amount};
    memcpy(p.to, to, 32);
    struct buf buf;
    buf_init(&buf);
    ck_assert(transfer_payload_encode(&p, &buf));
    tx_init(tx);
    ck_assert_int_eq(tx_set_payload(tx, buf.data, buf.len), SER_OK);
    buf_clear(&buf);
    tx->type = TX_TYPE_TRANSFER;
    tx->nonce = nonce;
    tx->fee = fee;
    ck_assert(txsign_sign(tx, from->sk, regtest()->genesis.hash));
}

START_TEST(starts_at_genesis_and_persists)
{
    struct chain *c = open_chain(false);
    ck_assert_uint_eq(chain_tip(c)->height, 0);
    ck_assert(memcmp(chain_tip(c)->hash, regtest()->genesis.hash, 32) == 0);
    struct user m;
    user_new(&m);
    mine(c, 5, m.pub);
    ck_assert_uint_eq(chain_tip(c)->height, 5);
    uint8_t tip[32], sh[32];
    memcpy(tip, chain_tip(c)->hash, 32);
    state_hash(c, sh);
    chain_close(c);

    c = open_chain(false);
    ck_assert_uint_eq(chain_tip(c)->height, 5);
    ck_assert(memcmp(chain_tip(c)->hash, tip, 32) == 0);
    uint8_t sh2[32];
    state_hash(c, sh2);
    ck_assert(memcmp(sh, sh2, 32) == 0);

    /* a duplicate is reported, not stored twice */
    struct block b;
    block_init(&b);
    char err[256], reason[128];
    ck_assert(chain_read_block(c, chain_tip(c), &b, err, sizeof err));
    ck_assert_int_eq(submit(c, &b, reason), CHAIN_DUPLICATE);
    /* an unknown parent */
    b.header.prev_hash[0] ^= 0xff;
    struct u256 limit;
    chainparams_pow_limit(regtest(), &limit);
    uint8_t h[32];
    for (b.header.nonce = 0;; b.header.nonce++) {
        block_hash(&b, h);
        if (pow_check(h, b.header.bits, &limit) == POW_OK)
            break;
    }
    ck_assert_int_eq(submit(c, &b, reason), CHAIN_ORPHAN);
    ck_assert_str_eq(reason, "prev-blk-not-found");
    block_clear(&b);
    chain_close(c);
}
END_TEST

START_TEST(transfers_and_maturity)
{
    struct chain *c = open_chain(false);
    struct user m, r;
    user_new(&m);
    user_new(&r);
    mine(c, 1, m.pub);
    mine(c, 100, r.pub);
    amount_t sub = subsidy_at(1, regtest()->halving_interval);
    ck_assert_uint_eq(account_of(c, m.pub).balance, sub); /* matured at height 101 */

    struct tx txs[3];
    transfer(&txs[0], &m, r.pub, 1000, 0, 10);
    transfer(&txs[1], &m, r.pub, 2000, 1, 20);
    transfer(&txs[2], &m, r.pub, 3000, 2, 30);
    struct block b;
    block_init(&b);
    build(&b, chain_tip(c), r.pub, txs, 3, 0);
    char reason[128];
    ck_assert_int_eq(submit(c, &b, reason), CHAIN_OK);
    ck_assert_uint_eq(chain_tip(c)->height, 102);
    ck_assert_uint_eq(account_of(c, m.pub).balance, sub - 6060);
    ck_assert_uint_eq(account_of(c, m.pub).nonce, 3);

    /* history and tx lookup */
    uint8_t txid[32];
    tx_txid(&txs[1], txid);
    struct blockindex_entry *where;
    uint32_t pos;
    bool found;
    char err[256];
    ck_assert(chain_find_tx(c, txid, &where, &pos, &found, err, sizeof err));
    ck_assert(found);
    ck_assert_ptr_eq(where, chain_tip(c));
    ck_assert_uint_eq(pos, 2);
    struct txindex_hist *hist;
    size_t n;
    ck_assert(chain_account_history(c, m.pub, 0, 100, &hist, &n, err, sizeof err));
    ck_assert_uint_eq(n, 4); /* its coinbase and three transfers */
    ck_assert_uint_eq(hist[0].height, 1);
    ck_assert(memcmp(hist[2].txid, txid, 32) == 0);
    free(hist);

    /* replaying a tx in a new block is refused and changes nothing */
    uint8_t before[32], after[32];
    state_hash(c, before);
    build(&b, chain_tip(c), r.pub, txs, 1, 0);
    ck_assert_int_eq(submit(c, &b, reason), CHAIN_INVALID);
    ck_assert_str_eq(reason, "bad-nonce");
    ck_assert_uint_eq(chain_tip(c)->height, 102);
    state_hash(c, after);
    ck_assert(memcmp(before, after, 32) == 0);

    for (int i = 0; i < 3; i++)
        tx_clear(&txs[i]);
    block_clear(&b);
    chain_close(c);
}
END_TEST

START_TEST(reorg_to_more_work_and_back_on_invalid)
{
    struct chain *c = open_chain(false);
    struct user m, x;
    user_new(&m);
    user_new(&x);
    mine(c, 3, m.pub);
    struct blockindex_entry *fork = chain_tip(c);
    uint8_t fork_hash[32], sh_fork[32];
    memcpy(fork_hash, fork->hash, 32);
    state_hash(c, sh_fork);
    mine(c, 2, m.pub);
    uint8_t a_tip[32], sh_a[32];
    memcpy(a_tip, chain_tip(c)->hash, 32);
    state_hash(c, sh_a);

    /* branch B: three blocks on the fork point -> more work, reorg */
    struct block b;
    block_init(&b);
    char reason[128];
    struct blockindex_entry *parent = fork;
    uint8_t b_hashes[3][32];
    for (int i = 0; i < 3; i++) {
        build(&b, parent, x.pub, NULL, 0, 1);
        ck_assert_int_eq(submit(c, &b, reason), CHAIN_OK);
        block_hash(&b, b_hashes[i]);
        parent = blockindex_find(chain_index(c), b_hashes[i]);
        ck_assert_ptr_nonnull(parent);
    }
    ck_assert_uint_eq(chain_tip(c)->height, 6);
    ck_assert(memcmp(chain_tip(c)->hash, b_hashes[2], 32) == 0);

    /* invalidating B's first block returns to A with A's exact state */
    char err[256];
    ck_assert(chain_invalidate(c, b_hashes[0], err, sizeof err));
    ck_assert(memcmp(chain_tip(c)->hash, a_tip, 32) == 0);
    uint8_t sh[32];
    state_hash(c, sh);
    ck_assert(memcmp(sh, sh_a, 32) == 0);
    ck_assert(chain_reconsider(c, b_hashes[0], err, sizeof err));
    ck_assert(memcmp(chain_tip(c)->hash, b_hashes[2], 32) == 0);

    /* invalidate A's tip side fully: back to the fork point's state */
    ck_assert(chain_invalidate(c, b_hashes[0], err, sizeof err));
    ck_assert(chain_invalidate(c, blockindex_chain_at(chain_active(c), 4)->hash, err, sizeof err));
    ck_assert(memcmp(chain_tip(c)->hash, fork_hash, 32) == 0);
    state_hash(c, sh);
    ck_assert(memcmp(sh, sh_fork, 32) == 0);
    ck_assert(chain_reconsider(c, b_hashes[0], err, sizeof err));
    ck_assert(memcmp(chain_tip(c)->hash, b_hashes[2], 32) == 0);

    /* branch C: longer, but its second block pays too much: invalid in
     * context, so the node returns to B */
    parent = fork;
    build(&b, parent, m.pub, NULL, 0, 2);
    ck_assert_int_eq(submit(c, &b, reason), CHAIN_OK);
    uint8_t c1[32];
    block_hash(&b, c1);
    parent = blockindex_find(chain_index(c), c1);
    struct user y;
    user_new(&y);
    struct tx bad;
    transfer(&bad, &y, x.pub, 5, 0, 1); /* y has no coins */
    /* c2 (bad) and c3 only tie B: stored, B stays. c4 makes C the most
     * work: the node tries it, c2 fails, and it returns to B. c5 builds on
     * a known-invalid block. */
    const enum chain_result expect[4] = {CHAIN_OK, CHAIN_OK, CHAIN_INVALID, CHAIN_INVALID};
    const char *why[4] = {"", "", "insufficient-funds", "bad-prevblk"};
    for (int i = 0; i < 4; i++) {
        build(&b, parent, m.pub, i == 0 ? &bad : NULL, i == 0 ? 1 : 0, 2);
        ck_assert_int_eq(submit(c, &b, reason), expect[i]);
        ck_assert_str_eq(reason, why[i]);
        ck_assert(memcmp(chain_tip(c)->hash, b_hashes[2], 32) == 0);
        uint8_t h[32];
        block_hash(&b, h);
        parent = blockindex_find(chain_index(c), h);
        ck_assert(i == 3 ? parent == NULL : parent != NULL); /* invalid children are not kept */
    }
    ck_assert(memcmp(chain_tip(c)->hash, b_hashes[2], 32) == 0);
    state_hash(c, sh);
    uint8_t sh_b[32];
    memcpy(sh_b, sh, 32);
    chain_close(c);

    /* -reindex rebuilds everything from the block files: same tip, same state */
    c = open_chain(true);
    ck_assert(memcmp(chain_tip(c)->hash, b_hashes[2], 32) == 0);
    state_hash(c, sh);
    ck_assert(memcmp(sh, sh_b, 32) == 0);
    tx_clear(&bad);
    block_clear(&b);
    chain_close(c);
}
END_TEST

START_TEST(headers_first_then_blocks)
{
    struct chain *c = open_chain(false);
    struct user m;
    user_new(&m);
    /* build 5 blocks on another chain instance's view: make them here, keep
     * them, submit only their headers first */
    struct block blocks[5];
    struct block_header headers[5];
    const struct blockindex_entry *parent = chain_tip(c);
    struct blockindex_entry fake[5];
    for (int i = 0; i < 5; i++) {
        block_init(&blocks[i]);
        build(&blocks[i], parent, m.pub, NULL, 0, 3);
        headers[i] = blocks[i].header;
        memset(&fake[i], 0, sizeof fake[i]);
        block_hash(&blocks[i], fake[i].hash);
        fake[i].height = parent->height + 1;
        fake[i].header = blocks[i].header;
        parent = &fake[i];
    }
    struct blockindex_entry *last = NULL;
    struct block_fault f;
    char reason[128];
    ck_assert_int_eq(chain_process_headers(c, headers, 5, &last, &f, reason, sizeof reason),
                     CHAIN_OK);
    ck_assert_ptr_nonnull(last);
    ck_assert_uint_eq(last->height, 5);
    ck_assert_uint_eq(chain_tip(c)->height, 0); /* no blocks yet */
    ck_assert_ptr_eq(chain_best_header(c), last);
    ck_assert(!(last->status & BLOCK_HAVE_DATA));
    /* again: already known, fine */
    ck_assert_int_eq(chain_process_headers(c, headers, 5, &last, &f, reason, sizeof reason),
                     CHAIN_OK);

    /* a header with an unknown parent, and one with bad proof of work */
    struct block_header orphan = headers[2];
    orphan.prev_hash[0] ^= 1;
    ck_assert_int_eq(chain_process_headers(c, &orphan, 1, &last, &f, reason, sizeof reason),
                     CHAIN_ORPHAN);
    struct block_header weak = headers[0];
    weak.bits = 0x1e0fffff; /* harder than regtest allows: bad-diffbits or high-hash */
    ck_assert_int_eq(chain_process_headers(c, &weak, 1, &last, &f, reason, sizeof reason),
                     CHAIN_INVALID);

    /* the blocks arrive, in order: the chain follows */
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(submit(c, &blocks[i], reason), CHAIN_OK);
        ck_assert_uint_eq(chain_tip(c)->height, (uint64_t)i + 1);
    }

    /* locator: 10 single steps, then doubling, ending at genesis */
    mine(c, 40, m.pub);
    uint8_t loc[32][32];
    size_t n = chain_locator(c, NULL, loc, 32);
    ck_assert(memcmp(loc[0], chain_tip(c)->hash, 32) == 0);
    ck_assert(memcmp(loc[n - 1], regtest()->genesis.hash, 32) == 0);
    ck_assert_uint_eq(blockindex_find(chain_index(c), loc[9])->height, 45 - 9);
    ck_assert_uint_eq(blockindex_find(chain_index(c), loc[10])->height, 45 - 11);
    ck_assert_uint_eq(blockindex_find(chain_index(c), loc[11])->height, 45 - 15);
    ck_assert_ptr_eq(chain_locator_fork(c, (const uint8_t(*)[32])loc + 3, n - 3),
                     blockindex_find(chain_index(c), loc[3]));
    uint8_t unknown[1][32] = {{1}};
    ck_assert_ptr_eq(chain_locator_fork(c, (const uint8_t(*)[32])unknown, 1),
                     blockindex_chain_genesis(chain_active(c)));
    for (int i = 0; i < 5; i++)
        block_clear(&blocks[i]);
    chain_close(c);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("chain");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, starts_at_genesis_and_persists);
    tcase_add_test(tc, transfers_and_maturity);
    tcase_add_test(tc, reorg_to_more_work_and_back_on_invalid);
    tcase_add_test(tc, headers_first_then_blocks);
    suite_add_tcase(s, tc);
    return s;
}
