#define _DEFAULT_SOURCE
#include "bench/bench_chain.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "consensus/blockcheck.h"
#include "consensus/coinbase.h"
#include "consensus/sigcache.h"
#include "consensus/state.h"
#include "consensus/subsidy.h"
#include "consensus/transfer.h"
#include "consensus/txcheck.h"
#include "consensus/txsign.h"
#include "crypto/key.h"
#include "node/miner.h"

const struct chain_params *bench_params;

struct bench_user *bench_users_new(size_t n)
{
    struct bench_user *u = calloc(n ? n : 1, sizeof *u);
    if (u == NULL)
        bench_fail("out of memory for %zu keys", n);
    for (size_t i = 0; i < n; i++)
        if (!key_generate(u[i].sk) || !key_pubkey(u[i].sk, u[i].pub))
            bench_fail("key generation failed");
    return u;
}

void bench_make_transfer(struct tx *tx, const struct bench_user *from, const uint8_t to[32],
                         amount_t amount, uint64_t nonce, amount_t fee)
{
    struct transfer_payload p = {.amount = amount, .memo_len = 0};
    memcpy(p.to, to, 32);
    struct buf b;
    buf_init(&b);
    if (!transfer_payload_encode(&p, &b))
        bench_fail("out of memory encoding a payload");
    tx_clear(tx);
    tx_init(tx);
    if (tx_set_payload(tx, b.data, b.len) != SER_OK)
        bench_fail("transfer payload refused");
    buf_clear(&b);
    tx->type = TX_TYPE_TRANSFER;
    tx->nonce = nonce;
    tx->fee = fee;
    if (!txsign_sign(tx, from->sk, bench_params->genesis.hash))
        bench_fail("signing failed");
}

struct tx *bench_txs_new(size_t n)
{
    struct tx *txs = calloc(n ? n : 1, sizeof *txs);
    if (txs == NULL)
        bench_fail("out of memory for %zu txs", n);
    for (size_t i = 0; i < n; i++)
        tx_init(&txs[i]);
    return txs;
}

void bench_txs_free(struct tx *txs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tx_clear(&txs[i]);
    free(txs);
}

void bench_build_block(struct block *b, const struct blockindex_entry *parent,
                       const uint8_t miner[32], const struct tx *txs, size_t n, uint32_t salt)
{
    block_clear(b);
    block_init(b);
    amount_t fees = 0;
    for (size_t i = 0; i < n; i++)
        fees += txs[i].fee;
    uint64_t height = parent->height + 1;
    struct coinbase_payload cp = {.amount = subsidy_at(height, bench_params->halving_interval) + fees,
                                  .extra_len = 4,
                                  .extra = {(uint8_t)salt, (uint8_t)(salt >> 8),
                                            (uint8_t)(salt >> 16), (uint8_t)(salt >> 24)}};
    memcpy(cp.recipient, miner, 32);
    struct tx cb;
    tx_init(&cb);
    if (!coinbase_build(&cb, height, &cp) || !block_take_tx(b, &cb))
        bench_fail("building a coinbase failed");
    for (size_t i = 0; i < n; i++) {
        struct tx t;
        tx_init(&t);
        if (!tx_copy(&t, &txs[i]) || !block_take_tx(b, &t))
            bench_fail("out of memory building a block");
    }
    memcpy(b->header.prev_hash, parent->hash, 32);
    b->header.time = parent->header.time + 60;
    b->header.bits = bench_params->pow_limit_bits;
    block_set_merkle_root(b);
    bool found = false;
    if (!miner_grind(b, bench_params, UINT64_MAX, &found) || !found)
        bench_fail("grinding a regtest block failed");
}

void bench_submit_tip(struct chain *c, const struct block *b)
{
    struct block_fault f;
    char reason[256];
    enum chain_result r = chain_process_block(c, b, &f, reason, sizeof reason);
    if (r != CHAIN_OK)
        bench_fail("chain_process_block: result %d (%s)", (int)r, reason);
    uint8_t h[32];
    block_hash(b, h);
    if (memcmp(chain_tip(c)->hash, h, 32) != 0)
        bench_fail("the block did not become the tip");
}

/* soukd's -dbcache default. */
#define BENCH_DBCACHE_BYTES ((size_t)64 << 20)

struct chain *bench_chain_open(unsigned verify_threads)
{
    char dir[4096], err[512] = "";
    if (!bench_tmpdir_create(dir, sizeof dir))
        bench_fail("cannot create a temporary datadir");
    struct chain *c = NULL;
    struct chain_options opt = {.cache_bytes = BENCH_DBCACHE_BYTES, .reindex = false,
                                .verify_threads = verify_threads};
    if (!chain_open(&c, bench_params, dir, &opt, err, sizeof err))
        bench_fail("chain_open: %s", err);
    return c;
}

double bench_mine_empty(struct chain *c, const uint8_t to[32], size_t n)
{
    struct block b;
    block_init(&b);
    double t = 0;
    for (size_t i = 0; i < n; i++) {
        bench_build_block(&b, chain_tip(c), to, NULL, 0, 0);
        double t0 = bench_now();
        bench_submit_tip(c, &b);
        t += bench_now() - t0;
    }
    block_clear(&b);
    return t;
}

/* Per-run samples of one set, reduced to bench_block_times at the end. */
struct block_samples {
    double *connect, *stateless, *stateless_1, *apply, *disconnect, *warm, *warm_check;
    double *verify, *ratio, *speedup;
};

static double *samples_new(unsigned runs)
{
    double *s = calloc(runs, sizeof *s);
    if (s == NULL)
        bench_fail("out of memory");
    return s;
}

static double median_of(double *s, unsigned runs, double *min)
{
    double mn, md;
    bench_stats(s, runs, &mn, &md);
    if (min != NULL)
        *min = mn;
    free(s);
    return md;
}

/* Connects b (which must become the tip), then invalidates it again;
 * returns the connect time, *disconnect the invalidation's. */
/* What the previous connect left to the disk and to LevelDB's background
 * compaction is let finish first: a node meets a block about a minute after
 * the last, not on the heels of one, and a connect timed on top of another's
 * writeback measures the order of the runs. */
static void settle_storage(void)
{
    sync();
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
}

static double connect_and_undo(struct chain *c, const struct block *b,
                               const uint8_t parent_hash[32], double *disconnect)
{
    settle_storage();
    double t0 = bench_now();
    bench_submit_tip(c, b);
    double t = bench_now() - t0;
    uint8_t h[32];
    block_hash(b, h);
    char err[512] = "";
    t0 = bench_now();
    if (!chain_invalidate(c, h, err, sizeof err))
        bench_fail("chain_invalidate: %s", err);
    if (disconnect != NULL)
        *disconnect = bench_now() - t0;
    if (memcmp(chain_tip(c)->hash, parent_hash, 32) != 0)
        bench_fail("invalidating the block did not return to its parent");
    return t;
}

void bench_block_time(struct chain *c, const uint8_t miner[32], struct bench_block_set *sets,
                      size_t n_sets, unsigned runs)
{
    struct blockindex_entry *parent = chain_tip(c);
    uint8_t parent_hash[32];
    memcpy(parent_hash, parent->hash, 32);
    struct block_samples *s = calloc(n_sets, sizeof *s);
    if (s == NULL)
        bench_fail("out of memory");
    for (size_t k = 0; k < n_sets; k++)
        s[k] = (struct block_samples){samples_new(runs), samples_new(runs), samples_new(runs),
                                      samples_new(runs), samples_new(runs), samples_new(runs),
                                      samples_new(runs), samples_new(runs), samples_new(runs),
                                      samples_new(runs)};
    /* The sighashes of every set's txs, for the verify timed beside each
     * cold connect. */
    uint8_t (**sighash)[32] = calloc(n_sets, sizeof *sighash);
    if (sighash == NULL)
        bench_fail("out of memory");
    for (size_t k = 0; k < n_sets; k++) {
        sighash[k] = malloc(sets[k].n * sizeof **sighash);
        if (sighash[k] == NULL)
            bench_fail("out of memory");
        for (size_t i = 0; i < sets[k].n; i++)
            tx_sighash(&sets[k].txs[i], bench_params->genesis.hash, sighash[k][i]);
    }
    unsigned threads = chain_verify_threads(c);
    struct block b;
    block_init(&b);
    for (unsigned r = 0; r < runs; r++) {
        for (size_t k = 0; k < n_sets; k++) {
            bench_build_block(&b, parent, miner, sets[k].txs, sets[k].n, r + 1);
            sets[k].t.bytes = block_encoded_size(&b);

            /* The parts, in memory and without storage, for the breakdown. */
            struct block_fault f;
            double t0 = bench_now();
            bool ok = chain_check_block(c, &b, &f);
            s[k].stateless[r] = bench_now() - t0;
            if (!ok)
                bench_fail("chain_check_block: %s", blockerr_reason(f.err));
            t0 = bench_now();
            ok = blockcheck_stateless(&b, bench_params, &f);
            s[k].stateless_1[r] = bench_now() - t0;
            if (!ok)
                bench_fail("blockcheck_stateless: %s", blockerr_reason(f.err));
            struct state_backend be;
            chain_tip_backend(c, &be);
            struct state_view v;
            state_view_init(&v, &be);
            struct apply_ctx actx = {.params = bench_params, .height = parent->height + 1,
                                     .time = b.header.time};
            t0 = bench_now();
            ok = blockcheck_apply(&v, &b, &actx, &f);
            s[k].apply[r] = bench_now() - t0;
            if (!ok)
                bench_fail("blockcheck_apply: %s (%s), tx %zu", blockerr_reason(f.err),
                           txerr_reason(f.txerr), f.tx_index);
            state_view_clear(&v);

            t0 = bench_now();
            for (size_t i = 0; i < sets[k].n; i++)
                if (!key_verify(sets[k].txs[i].sender, sighash[k][i], 32, sets[k].txs[i].sig))
                    bench_fail("a signature of the block does not verify");
            s[k].verify[r] = (bench_now() - t0) / (double)sets[k].n;

            s[k].connect[r] = connect_and_undo(c, &b, parent_hash, &s[k].disconnect[r]);
            s[k].ratio[r] = (double)sets[k].n / s[k].connect[r] * s[k].verify[r] / threads;

            /* Right after, the same txs in another block with the txs in
             * the signature cache, as when they were checked on entering
             * the mempool (untimed): cold and warm runs alternate, so each
             * pair sees the machine alike. */
            if (!sigcache_set_size((size_t)SIGCACHE_DEFAULT_MB << 20))
                bench_fail("out of memory for the signature cache");
            for (size_t i = 0; i < sets[k].n; i++)
                if (txcheck_stateless(&sets[k].txs[i], bench_params->genesis.hash, NULL) !=
                    TXERR_OK)
                    bench_fail("a tx fails its stateless check");
            uint64_t verified_before = txsign_verify_count();
            bench_build_block(&b, parent, miner, sets[k].txs, sets[k].n, runs + r + 1);
            t0 = bench_now();
            ok = chain_check_block(c, &b, &f);
            s[k].warm_check[r] = bench_now() - t0;
            if (!ok)
                bench_fail("chain_check_block (warm): %s", blockerr_reason(f.err));
            s[k].warm[r] = connect_and_undo(c, &b, parent_hash, NULL);
            if (txsign_verify_count() != verified_before)
                bench_fail("the warm block verified %llu signatures",
                           (unsigned long long)(txsign_verify_count() - verified_before));
            sigcache_set_size(0);
            s[k].speedup[r] = s[k].connect[r] / s[k].warm[r];
        }
    }
    for (size_t k = 0; k < n_sets; k++)
        free(sighash[k]);
    free(sighash);

    for (size_t k = 0; k < n_sets; k++) {
        struct bench_block_times *t = &sets[k].t;
        t->connect = median_of(s[k].connect, runs, &t->connect_min);
        t->stateless = median_of(s[k].stateless, runs, NULL);
        t->stateless_1 = median_of(s[k].stateless_1, runs, NULL);
        t->apply = median_of(s[k].apply, runs, NULL);
        t->disconnect = median_of(s[k].disconnect, runs, NULL);
        t->warm = median_of(s[k].warm, runs, NULL);
        t->warm_check = median_of(s[k].warm_check, runs, NULL);
        t->verify_per_op = median_of(s[k].verify, runs, NULL);
        double mx = 0;
        for (unsigned r = 0; r < runs; r++)
            mx = s[k].ratio[r] > mx ? s[k].ratio[r] : mx;
        t->ratio_max = mx;
        t->ratio = median_of(s[k].ratio, runs, &t->ratio_min);
        mx = 0;
        for (unsigned r = 0; r < runs; r++)
            mx = s[k].speedup[r] > mx ? s[k].speedup[r] : mx;
        t->speedup_max = mx;
        t->speedup = median_of(s[k].speedup, runs, &t->speedup_min);
    }
    free(s);
    block_clear(&b);
}
