#include "unit.h"
#include "fixture.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "consensus/account.h"
#include "consensus/blockcheck.h"
#include "consensus/subsidy.h"
#include "node/chain.h"
#include "util/crashpoint.h"

static char dir[256];

static void setup(void)
{
    fixture_tmpdir_make(dir, sizeof dir, "chain");
}

static void teardown(void)
{
    fixture_tmpdir_remove(dir);
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
        fixture_block_on(&b, chain_tip(c), miner, NULL, 0, 0);
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
    struct account a = fixture_account(&v, pub);
    state_view_clear(&v);
    return a;
}

START_TEST(starts_at_genesis_and_persists)
{
    struct chain *c = fixture_chain_open(dir, false);
    ck_assert_uint_eq(chain_tip(c)->height, 0);
    ck_assert(memcmp(chain_tip(c)->hash, fixture_regtest()->genesis.hash, 32) == 0);
    struct fixture_user m;
    fixture_user_new(&m);
    mine(c, 5, m.pub);
    ck_assert_uint_eq(chain_tip(c)->height, 5);
    uint8_t tip[32], sh[32];
    memcpy(tip, chain_tip(c)->hash, 32);
    state_hash(c, sh);
    chain_close(c);

    c = fixture_chain_open(dir, false);
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
    fixture_grind(&b);
    ck_assert_int_eq(submit(c, &b, reason), CHAIN_ORPHAN);
    ck_assert_str_eq(reason, "prev-blk-not-found");
    block_clear(&b);
    chain_close(c);
}
END_TEST

START_TEST(transfers_and_maturity)
{
    struct chain *c = fixture_chain_open(dir, false);
    struct fixture_user m, r;
    fixture_user_new(&m);
    fixture_user_new(&r);
    mine(c, 1, m.pub);
    mine(c, 100, r.pub);
    amount_t sub = subsidy_at(1, fixture_regtest()->halving_interval);
    ck_assert_uint_eq(account_of(c, m.pub).balance, sub); /* matured at height 101 */

    struct tx txs[3];
    for (int i = 0; i < 3; i++)
        tx_init(&txs[i]);
    fixture_transfer(&txs[0], m.sk, r.pub, 1000, 0, 10);
    fixture_transfer(&txs[1], m.sk, r.pub, 2000, 1, 20);
    fixture_transfer(&txs[2], m.sk, r.pub, 3000, 2, 30);
    struct block b;
    block_init(&b);
    fixture_block_on(&b, chain_tip(c), r.pub, txs, 3, 0);
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
    /* The index follows the chain on its own: before it catches up it
     * does not know the tx. */
    ck_assert(chain_find_tx(c, txid, &where, &pos, &found, err, sizeof err));
    ck_assert(!found);
    struct index_def def;
    chain_txindex_def(c, &def);
    ck_assert_msg(index_catch_up(c, &def, fixture_regtest()->genesis.hash, err, sizeof err),
                  "%s", err);
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
    fixture_block_on(&b, chain_tip(c), r.pub, txs, 1, 0);
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
    struct chain *c = fixture_chain_open(dir, false);
    struct fixture_user m, x;
    fixture_user_new(&m);
    fixture_user_new(&x);
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
        fixture_block_on(&b, parent, x.pub, NULL, 0, 1);
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
    fixture_block_on(&b, parent, m.pub, NULL, 0, 2);
    ck_assert_int_eq(submit(c, &b, reason), CHAIN_OK);
    uint8_t c1[32];
    block_hash(&b, c1);
    parent = blockindex_find(chain_index(c), c1);
    struct fixture_user y;
    fixture_user_new(&y);
    struct tx bad;
    tx_init(&bad);
    fixture_transfer(&bad, y.sk, x.pub, 5, 0, 1); /* y has no coins */
    /* c2 (bad) and c3 only tie B: stored, B stays. c4 makes C the most
     * work: the node tries it, c2 fails, and it returns to B. c5 builds on
     * a known-invalid block. */
    const enum chain_result expect[4] = {CHAIN_OK, CHAIN_OK, CHAIN_INVALID, CHAIN_INVALID};
    const char *why[4] = {"", "", "insufficient-funds", "bad-prevblk"};
    for (int i = 0; i < 4; i++) {
        fixture_block_on(&b, parent, m.pub, i == 0 ? &bad : NULL, i == 0 ? 1 : 0, 2);
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
    c = fixture_chain_open(dir, true);
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
    struct chain *c = fixture_chain_open(dir, false);
    struct fixture_user m;
    fixture_user_new(&m);
    /* build 5 blocks on another chain instance's view: make them here, keep
     * them, submit only their headers first */
    struct block blocks[5];
    struct block_header headers[5];
    const struct blockindex_entry *parent = chain_tip(c);
    struct blockindex_entry fake[5];
    for (int i = 0; i < 5; i++) {
        block_init(&blocks[i]);
        fixture_block_on(&blocks[i], parent, m.pub, NULL, 0, 3);
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
    ck_assert(memcmp(loc[n - 1], fixture_regtest()->genesis.hash, 32) == 0);
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

START_TEST(antidos_work_threshold)
{
    struct chain *c = fixture_chain_open(dir, false);
    struct fixture_user m;
    fixture_user_new(&m);
    /* regtest bits are worth 2 each: a chain of height h has 2 (h + 1) */
    struct u256 t, want;
    chain_antidos_work(c, &t);
    ck_assert(u256_is_zero(&t)); /* the margin exceeds a young chain's work */
    mine(c, 200, m.pub);
    chain_antidos_work(c, &t);
    u256_from_u64(&want, 2 * 201 - 2 * CHAIN_ANTIDOS_MARGIN_BLOCKS);
    ck_assert_int_eq(u256_cmp(&t, &want), 0);

    /* claimed: the parent's work plus 2 per header, whatever their proof */
    struct block_header h[3];
    memset(h, 0, sizeof h);
    memcpy(h[0].prev_hash, blockindex_ancestor(chain_tip(c), 10)->hash, 32);
    for (int i = 0; i < 3; i++)
        h[i].bits = 0x207fffff;
    struct u256 claimed;
    ck_assert(chain_headers_claimed_work(c, h, 3, &claimed));
    u256_from_u64(&want, 2 * 11 + 2 * 3);
    ck_assert_int_eq(u256_cmp(&claimed, &want), 0);
    h[1].bits = 0x01810000; /* negative: no work to claim */
    ck_assert(!chain_headers_claimed_work(c, h, 3, &claimed));
    h[0].prev_hash[0] ^= 1; /* unknown parent */
    ck_assert(!chain_headers_claimed_work(c, h, 1, &claimed));
    ck_assert(!chain_headers_claimed_work(c, h, 0, &claimed));
    chain_close(c);

    /* a minimum chain work above the margin rules */
    char err[512] = "";
    struct chain_options opt = {.cache_bytes = 8 << 20};
    u256_from_u64(&opt.min_chain_work, 1000);
    ck_assert_msg(chain_open(&c, fixture_regtest(), dir, &opt, err, sizeof err), "%s", err);
    chain_antidos_work(c, &t);
    ck_assert_int_eq(u256_cmp(&t, &opt.min_chain_work), 0);
    chain_close(c);
}
END_TEST

/* Mines a few blocks with a transfer in them and closes the chain; tip and
 * state_hash are what every way of opening the datadir must come back to. */
static void build_reference_chain(uint8_t tip[32], uint8_t sh[32])
{
    struct chain *c = fixture_chain_open(dir, false);
    struct fixture_user m, to;
    fixture_user_new(&m);
    fixture_user_new(&to);
    mine(c, 101, m.pub);
    struct tx t;
    tx_init(&t);
    fixture_transfer(&t, m.sk, to.pub, 5 * AMOUNT_COIN, 0, 1000);
    struct block b;
    block_init(&b);
    char reason[128];
    fixture_block_on(&b, chain_tip(c), m.pub, &t, 1, 0);
    ck_assert_int_eq(submit(c, &b, reason), CHAIN_OK);
    mine(c, 3, m.pub);
    ck_assert_uint_eq(account_of(c, to.pub).balance, 5 * AMOUNT_COIN);
    memcpy(tip, chain_tip(c)->hash, 32);
    state_hash(c, sh);
    tx_clear(&t);
    block_clear(&b);
    chain_close(c);
}

static void check_same_chain(struct chain *c, const uint8_t tip[32], const uint8_t sh[32])
{
    ck_assert_uint_eq(chain_tip(c)->height, 105);
    ck_assert(memcmp(chain_tip(c)->hash, tip, 32) == 0);
    uint8_t got[32];
    state_hash(c, got);
    ck_assert(memcmp(got, sh, 32) == 0);
}

static void remove_sub(const char *sub)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    fixture_tmpdir_remove(p);
}

/* A crash right after -reindex wiped the databases (or an index deleted by
 * hand) leaves block files without an index: they are indexed again rather
 * than a new chain started next to them. */
START_TEST(lost_index_is_rebuilt_from_block_files)
{
    uint8_t tip[32], sh[32];
    build_reference_chain(tip, sh);
    remove_sub("blocks/index");
    remove_sub("chainstate");
    remove_sub("indexes");
    struct chain *c = fixture_chain_open(dir, false);
    check_same_chain(c, tip, sh);
    chain_close(c);
    /* and it opens normally afterwards */
    c = fixture_chain_open(dir, false);
    check_same_chain(c, tip, sh);
    chain_close(c);
}
END_TEST

/* Raises the interrupt once the rebuilt index is being connected. */
static void stop_when_activating(void *ctx, const char *what)
{
    if (strncmp(what, "Activating", 10) == 0)
        atomic_store((atomic_bool *)ctx, true);
}

/* A -reindex stopped half-way (kill -9, or shutdown while loading) is
 * resumed by the next start, even without -reindex. */
START_TEST(interrupted_reindex_resumes)
{
    uint8_t tip[32], sh[32];
    build_reference_chain(tip, sh);
    atomic_bool stop;
    atomic_init(&stop, true);
    struct chain_options opt = {.cache_bytes = 8 << 20, .reindex = true, .interrupt = &stop};
    struct chain *c = NULL;
    char err[256];
    ck_assert(!chain_open(&c, fixture_regtest(), dir, &opt, err, sizeof err));
    ck_assert_str_eq(err, "interrupted");
    c = fixture_chain_open(dir, false);
    check_same_chain(c, tip, sh);
    chain_close(c);

    /* interrupted later, while connecting the rebuilt index: the next start
     * carries on connecting */
    atomic_store(&stop, false);
    opt.progress = stop_when_activating;
    opt.progress_ctx = &stop;
    ck_assert(!chain_open(&c, fixture_regtest(), dir, &opt, err, sizeof err));
    ck_assert_str_eq(err, "interrupted");
    c = fixture_chain_open(dir, false);
    check_same_chain(c, tip, sh);
    chain_close(c);
}
END_TEST

/* In a child process: opens the chain, mines a block on the entry at
 * height `on` (a side branch when that is below the tip) with the power
 * cut armed right after the block's index entry is written. Exits with the
 * crash status, or 1 when it did not get there. */
static void child_store_and_cut_power(uint64_t on)
{
    struct chain *c = fixture_chain_open(dir, false);
    struct fixture_user m;
    fixture_user_new(&m);
    struct block b;
    block_init(&b);
    fixture_block_on(&b, blockindex_chain_at(chain_active(c), on), m.pub, NULL, 0, 7);
    crashpoint_arm("blockindex-after-write", 1, true);
    char reason[128];
    submit(c, &b, reason);
    _exit(1);
}

/* Power-loss order: a block's bytes are durable before the index entry
 * that points at them is, for a block that stays on a side branch and for
 * one that becomes the tip. The child is cut off right after the entry is
 * committed, losing whatever the block files had not synced; after that
 * every entry that claims data must still read its block. */
START_TEST(block_data_is_durable_before_its_index_entry)
{
    struct chain *c = fixture_chain_open(dir, false);
    struct fixture_user m;
    fixture_user_new(&m);
    mine(c, 3, m.pub);
    chain_close(c);
    const uint64_t parents[2] = {2, 3}; /* a side branch, then a new tip */
    for (int k = 0; k < 2; k++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            child_store_and_cut_power(parents[k]);
        int status = 0;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), CRASHPOINT_EXIT_STATUS);

        c = fixture_chain_open(dir, false);
        size_t with_data = 0;
        for (size_t i = 0; i < blockindex_count(chain_index(c)); i++) {
            struct blockindex_entry *e = blockindex_entry_at(chain_index(c), i);
            if (!(e->status & BLOCK_HAVE_DATA))
                continue;
            with_data++;
            struct block b;
            block_init(&b);
            char err[256];
            ck_assert_msg(chain_read_block(c, e, &b, err, sizeof err),
                          "entry at height %llu points at missing data: %s",
                          (unsigned long long)e->height, err);
            block_clear(&b);
        }
        /* genesis, three blocks and what the children stored */
        ck_assert_uint_eq(with_data, 5 + (size_t)k);
        chain_close(c);
    }
}
END_TEST

/* In a child process: opens the chain with two check threads and the
 * early commit forced (so a new tip's state is committed before its txs'
 * verdict), arms a crash at the first arrival at `point` and submits b.
 * Exits with the crash status, or 1 when it did not get there. */
static void child_submit_and_crash(const struct block *b, const char *point, bool power_loss)
{
    struct chain_options opt = {
        .cache_bytes = 8 << 20, .verify_threads = 2, .always_early_commit = true};
    struct chain *c = NULL;
    char err[256], reason[128];
    if (!chain_open(&c, fixture_regtest(), dir, &opt, err, sizeof err))
        _exit(2);
    crashpoint_arm(point, 1, power_loss);
    submit(c, b, reason);
    _exit(1);
}

static void crash_child(const struct block *b, const char *point, bool power_loss)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        child_submit_and_crash(b, point, power_loss);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), CRASHPOINT_EXIT_STATUS);
}

/* After a crash between a block's early commit and its verdict, the next
 * start takes the state back from it and checks it again: a block that
 * fails is refused and the state is its parent's; one that passes is the
 * tip with the state a -reindex gives. Both crash points of the window:
 * after the index entry (before the chainstate) and after the chainstate. */
START_TEST(crash_before_the_verdict_is_recovered)
{
    struct fixture_user m;
    fixture_user_new(&m);
    struct chain *c = fixture_chain_open(dir, false);
    mine(c, 101, m.pub);
    uint8_t parent[32], parent_sh[32];
    memcpy(parent, chain_tip(c)->hash, 32);
    state_hash(c, parent_sh);
    enum { N = 40 };
    struct tx *txs = calloc(2 * N, sizeof *txs);
    ck_assert_ptr_nonnull(txs);
    uint8_t to[32];
    fixture_pubkey(to);
    for (size_t i = 0; i < 2 * N; i++) {
        tx_init(&txs[i]);
        fixture_transfer(&txs[i], m.sk, to, 1000, i, 1000);
    }
    struct block bad[2], good;
    uint8_t bad_hash[2][32];
    txs[N - 1].sig[4] ^= 1;
    tx_finalize(&txs[N - 1]);
    for (int k = 0; k < 2; k++) {
        /* a bad signature in the last tx */
        block_init(&bad[k]);
        fixture_block_on(&bad[k], chain_tip(c), m.pub, txs, N, (uint8_t)(1 + k));
        block_hash(&bad[k], bad_hash[k]);
    }
    txs[N - 1].sig[4] ^= 1;
    tx_finalize(&txs[N - 1]);
    block_init(&good);
    chain_close(c);

    static const char *const points[2] = {"blockindex-after-write",
                                          "chainstate-before-verdict"};
    for (int k = 0; k < 2; k++) {
        crash_child(&bad[k], points[k], k == 0);
        c = fixture_chain_open(dir, false);
        struct blockindex_entry *e = blockindex_find(chain_index(c), bad_hash[k]);
        ck_assert_ptr_nonnull(e);
        ck_assert(!(e->status & BLOCK_CHECKS_PENDING));
        ck_assert(e->status & BLOCK_FAILED);
        ck_assert_mem_eq(chain_tip(c)->hash, parent, 32);
        uint8_t sh[32];
        state_hash(c, sh);
        ck_assert_mem_eq(sh, parent_sh, 32);
        chain_close(c);
    }
    for (int k = 0; k < 2; k++) {
        /* a valid block on the tip, then one on that */
        c = fixture_chain_open(dir, false);
        fixture_block_on(&good, chain_tip(c), m.pub, txs + k * N, N, 3);
        uint64_t height = chain_tip(c)->height + 1;
        chain_close(c);
        crash_child(&good, points[k], k == 1);
        c = fixture_chain_open(dir, false);
        uint8_t h[32];
        block_hash(&good, h);
        ck_assert_mem_eq(chain_tip(c)->hash, h, 32);
        ck_assert_uint_eq(chain_tip(c)->height, height);
        ck_assert(!(chain_tip(c)->status & BLOCK_CHECKS_PENDING));
        ck_assert(chain_tip(c)->status & BLOCK_VALID_FULL);
        uint8_t sh[32], again[32];
        state_hash(c, sh);
        chain_close(c);
        c = fixture_chain_open(dir, true);
        ck_assert_mem_eq(chain_tip(c)->hash, h, 32);
        state_hash(c, again);
        ck_assert_mem_eq(again, sh, 32);
        chain_close(c);
    }
    /* Without a crash: a block whose last signature is bad is committed
     * early, then taken back at once; the state is the tip's, now and
     * after a restart. */
    struct chain_options opt = {
        .cache_bytes = 8 << 20, .verify_threads = 2, .always_early_commit = true};
    char err[256], reason[128];
    c = NULL;
    ck_assert_msg(chain_open(&c, fixture_regtest(), dir, &opt, err, sizeof err), "%s", err);
    uint8_t tip_hash[32], tip_sh[32];
    memcpy(tip_hash, chain_tip(c)->hash, 32);
    state_hash(c, tip_sh);
    for (size_t i = 0; i < N; i++) {
        tx_clear(&txs[i]);
        fixture_transfer(&txs[i], m.sk, to, 1000, 2 * N + i, 1000);
    }
    txs[N - 1].sig[4] ^= 1;
    tx_finalize(&txs[N - 1]);
    struct block late;
    block_init(&late);
    fixture_block_on(&late, chain_tip(c), m.pub, txs, N, 9);
    struct block_fault f;
    ck_assert_int_eq(chain_process_block(c, &late, &f, reason, sizeof reason), CHAIN_INVALID);
    ck_assert_int_eq(f.err, BLOCKERR_BAD_TX);
    ck_assert_uint_eq(f.tx_index, N); /* after the coinbase */
    ck_assert_mem_eq(chain_tip(c)->hash, tip_hash, 32);
    uint8_t sh[32];
    state_hash(c, sh);
    ck_assert_mem_eq(sh, tip_sh, 32);
    chain_close(c);
    c = fixture_chain_open(dir, false);
    ck_assert_mem_eq(chain_tip(c)->hash, tip_hash, 32);
    state_hash(c, sh);
    ck_assert_mem_eq(sh, tip_sh, 32);
    uint8_t late_hash[32];
    block_hash(&late, late_hash);
    ck_assert(blockindex_find(chain_index(c), late_hash)->status & BLOCK_FAILED);
    chain_close(c);
    block_clear(&late);

    for (size_t i = 0; i < 2 * N; i++)
        tx_clear(&txs[i]);
    free(txs);
    block_clear(&bad[0]);
    block_clear(&bad[1]);
    block_clear(&good);
}
END_TEST

static int fatal_calls;
static char fatal_msg[1024];

static void count_fatal(void *ctx, const char *msg)
{
    (void)ctx;
    fatal_calls++;
    snprintf(fatal_msg, sizeof fatal_msg, "%s", msg);
}

static long long blk0_size(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/blocks/blk00000.dat", dir);
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

/* In a child process (the limit and the ignored signal stay there): a
 * block write that fails with EFBIG. Exits 0 when the chain behaved, or
 * with the line of the first check that did not hold. */
#define CHILD_CHECK(x) do { if (!(x)) _exit(__LINE__ % 200 + 1); } while (0)
static void child_fill_the_disk(void)
{
    signal(SIGXFSZ, SIG_IGN);
    struct chain *c = NULL;
    char err[512] = "", reason[128];
    struct chain_options opt = {.cache_bytes = 8 << 20, .fatal = count_fatal};
    CHILD_CHECK(chain_open(&c, fixture_regtest(), dir, &opt, err, sizeof err));
    uint64_t height = chain_tip(c)->height;
    long long size = blk0_size();
    /* The block file is already at the limit: the next record cannot go in. */
    struct rlimit rl;
    CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &rl) == 0);
    rl.rlim_cur = (rlim_t)size;
    CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
    struct fixture_user m;
    fixture_user_new(&m);
    struct block b;
    block_init(&b);
    fixture_block_on(&b, chain_tip(c), m.pub, NULL, 0, 9);
    struct block_fault f;
    CHILD_CHECK(chain_process_block(c, &b, &f, reason, sizeof reason) == CHAIN_ERROR);
    CHILD_CHECK(fatal_calls == 1);
    CHILD_CHECK(strstr(fatal_msg, "cannot store a block") != NULL);
    CHILD_CHECK(strstr(fatal_msg, "blk00000.dat") != NULL);
    CHILD_CHECK(strstr(fatal_msg, "File too large") != NULL);
    /* With room again, nothing more is written: every call that would
     * write is refused, and the owner is not told twice. */
    rl.rlim_cur = RLIM_INFINITY;
    CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
    CHILD_CHECK(chain_process_block(c, &b, &f, reason, sizeof reason) == CHAIN_ERROR);
    CHILD_CHECK(strstr(reason, "shutting down") != NULL);
    CHILD_CHECK(!chain_invalidate(c, chain_tip(c)->hash, err, sizeof err));
    CHILD_CHECK(strstr(err, "shutting down") != NULL);
    CHILD_CHECK(fatal_calls == 1);
    CHILD_CHECK(chain_tip(c)->height == height);
    chain_close(c);
    CHILD_CHECK(blk0_size() == size);
    block_clear(&b);
    _exit(0);
}

/* A write that fails (disk full, a file size limit) is reported once to
 * the chain's owner with the file and the reason; the chain then writes
 * nothing, and the datadir opens as it was. */
START_TEST(failed_write_stops_the_chain)
{
    struct chain *c = fixture_chain_open(dir, false);
    struct fixture_user m;
    fixture_user_new(&m);
    mine(c, 3, m.pub);
    uint8_t tip[32], sh[32];
    memcpy(tip, chain_tip(c)->hash, 32);
    state_hash(c, sh);
    chain_close(c);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        child_fill_the_disk();
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_msg(WEXITSTATUS(status) == 0, "check at line %d (mod 200, +1) failed in the child",
                  WEXITSTATUS(status));
    c = fixture_chain_open(dir, false);
    ck_assert(memcmp(chain_tip(c)->hash, tip, 32) == 0);
    uint8_t again[32];
    state_hash(c, again);
    ck_assert(memcmp(again, sh, 32) == 0);
    mine(c, 1, m.pub); /* and it goes on */
    chain_close(c);
}
END_TEST

/* The transactions of a block are checked on several threads; the verdict
 * (rule, index, reason) is blockcheck_stateless's. */
START_TEST(parallel_tx_checks_give_the_serial_verdict)
{
    struct chain_options opt = {.cache_bytes = 8 << 20, .verify_threads = 4};
    struct chain *c = NULL;
    char err[256], reason[128];
    ck_assert_msg(chain_open(&c, fixture_regtest(), dir, &opt, err, sizeof err), "%s", err);
    ck_assert_uint_eq(chain_verify_threads(c), 4);
    struct fixture_user m;
    fixture_user_new(&m);
    mine(c, 101, m.pub);
    enum { N = 80 };
    struct tx txs[N];
    uint8_t to[32];
    fixture_pubkey(to);
    for (size_t i = 0; i < N; i++) {
        tx_init(&txs[i]);
        fixture_transfer(&txs[i], m.sk, to, 1000, i, 1000);
    }
    txs[60].sig[5] ^= 1;
    txs[17].sig[9] ^= 1;
    tx_finalize(&txs[60]);
    tx_finalize(&txs[17]);
    struct block b;
    block_init(&b);
    fixture_block_on(&b, chain_tip(c), m.pub, txs, N, 0);
    struct block_fault want, got, direct;
    ck_assert(!blockcheck_stateless(&b, fixture_regtest(), &want));
    ck_assert_int_eq(want.err, BLOCKERR_BAD_TX);
    ck_assert_uint_eq(want.tx_index, 18); /* the coinbase comes first */
    ck_assert(!chain_check_block(c, &b, &direct));
    ck_assert_int_eq(direct.err, want.err);
    ck_assert_int_eq(direct.txerr, want.txerr);
    ck_assert_uint_eq(direct.tx_index, want.tx_index);
    ck_assert_int_eq(chain_process_block(c, &b, &got, reason, sizeof reason), CHAIN_INVALID);
    ck_assert_int_eq(got.err, want.err);
    ck_assert_int_eq(got.txerr, want.txerr);
    ck_assert_uint_eq(got.tx_index, want.tx_index);
    ck_assert_str_eq(reason, txerr_reason(want.txerr));
    ck_assert_uint_eq(chain_tip(c)->height, 101);
    /* its transactions were checked while it was stored and applied: the
     * same bytes again cost a lookup and are refused the same way */
    ck_assert_int_eq(chain_process_block(c, &b, &got, reason, sizeof reason), CHAIN_INVALID);
    ck_assert_str_eq(reason, "duplicate-invalid");

    /* The txs' check starts before the merkle root is checked: a block
     * whose txs do not match its header (two swapped) is refused for the
     * merkle root, not for the bad signature, and is not remembered by
     * hash (its header is a valid block's). */
    fixture_block_on(&b, chain_tip(c), m.pub, txs, N, 3);
    struct tx swap = b.txs[40];
    b.txs[40] = b.txs[41];
    b.txs[41] = swap;
    ck_assert_int_eq(chain_process_block(c, &b, &got, reason, sizeof reason), CHAIN_INVALID);
    ck_assert_int_eq(got.err, BLOCKERR_MERKLE);
    ck_assert_str_eq(reason, "bad-txnmrklroot");
    ck_assert_int_eq(chain_process_block(c, &b, &got, reason, sizeof reason), CHAIN_INVALID);
    ck_assert_int_eq(got.err, BLOCKERR_MERKLE);
    /* a tx twice, after the bad signature: the duplicate is reported, as a
     * block rule comes before the txs' rules */
    struct tx twice[N + 1];
    memcpy(twice, txs, sizeof txs);
    twice[N] = txs[70];
    fixture_block_on(&b, chain_tip(c), m.pub, twice, N + 1, 4);
    ck_assert_int_eq(chain_process_block(c, &b, &got, reason, sizeof reason), CHAIN_INVALID);
    ck_assert_int_eq(got.err, BLOCKERR_DUPLICATE_TX);
    ck_assert_uint_eq(chain_tip(c)->height, 101);

    /* a stateful failure before the bad signature (tx 3 reuses tx 2's
     * nonce): the signature's rule is reported, as when every stateless
     * check ran before the apply */
    struct tx reused;
    tx_init(&reused);
    fixture_transfer(&reused, m.sk, to, 1000, 2, 1000);
    struct tx keep = txs[3];
    txs[3] = reused;
    fixture_block_on(&b, chain_tip(c), m.pub, txs, N, 2);
    ck_assert_int_eq(chain_process_block(c, &b, &got, reason, sizeof reason), CHAIN_INVALID);
    ck_assert_int_eq(got.err, BLOCKERR_BAD_TX);
    ck_assert_int_eq(got.txerr, want.txerr);
    ck_assert_uint_eq(got.tx_index, want.tx_index);
    txs[3] = keep;
    tx_clear(&reused);
    ck_assert_uint_eq(chain_tip(c)->height, 101);

    /* mended, the block connects */
    txs[60].sig[5] ^= 1;
    txs[17].sig[9] ^= 1;
    tx_finalize(&txs[60]);
    tx_finalize(&txs[17]);
    fixture_block_on(&b, chain_tip(c), m.pub, txs, N, 1);
    ck_assert(chain_check_block(c, &b, &got));
    ck_assert_int_eq(chain_process_block(c, &b, &got, reason, sizeof reason), CHAIN_OK);
    ck_assert_uint_eq(chain_tip(c)->height, 102);
    uint8_t tip[32], before[32];
    memcpy(tip, chain_tip(c)->hash, 32);
    state_hash(c, before);
    chain_close(c);

    /* reopened: the valid block is the tip, the refused ones stay refused */
    c = NULL;
    ck_assert_msg(chain_open(&c, fixture_regtest(), dir, &opt, err, sizeof err), "%s", err);
    ck_assert_uint_eq(chain_tip(c)->height, 102);
    ck_assert_mem_eq(chain_tip(c)->hash, tip, 32);
    uint8_t after[32];
    state_hash(c, after);
    ck_assert_mem_eq(after, before, 32);
    for (size_t i = 0; i < N; i++)
        tx_clear(&txs[i]);
    block_clear(&b);
    chain_close(c);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.setup = setup, .teardown = teardown, .timeout = 60};
    const TTest *tests[] = {
        starts_at_genesis_and_persists, transfers_and_maturity,
        reorg_to_more_work_and_back_on_invalid, headers_first_then_blocks,
        lost_index_is_rebuilt_from_block_files, interrupted_reindex_resumes,
        parallel_tx_checks_give_the_serial_verdict, antidos_work_threshold,
        block_data_is_durable_before_its_index_entry, crash_before_the_verdict_is_recovered,
        failed_write_stops_the_chain, NULL
    };
    return fixture_suite("chain", &tc, tests);
}
