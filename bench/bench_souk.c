/* bench_souk: how fast the hot paths of validation are.
 *
 * Times Schnorr verification, tx decoding with the stateless check, mempool
 * acceptance, connecting a block of 2,000 transfers and one of 2,000 market
 * transactions to a real on-disk chain (regtest, in a temporary datadir),
 * and searching the market's index (bench_market.c), and prints the
 * machine it ran on. The market plugin is installed as soukd installs it,
 * before any chain opens. Every timed result is checked, so a benchmark of
 * a failing path cannot pass unnoticed. Built by `make`, never run by the
 * tests. */
#define _POSIX_C_SOURCE 200809L
#include <secp256k1_extrakeys.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/bench_chain.h"
#include "bench/bench_chat.h"
#include "bench/bench_market.h"
#include "consensus/account.h"
#include "consensus/block.h"
#include "consensus/blockcheck.h"
#include "consensus/sigcache.h"
#include "consensus/txsign.h"
#include "consensus/chainparams.h"
#include "consensus/coinbase.h"
#include "consensus/state.h"
#include "consensus/subsidy.h"
#include "consensus/transfer.h"
#include "consensus/tx.h"
#include "consensus/txcheck.h"
#include "consensus/txsign.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "node/chain.h"
#include "node/checkqueue.h"
#include "node/mempool.h"
#include "node/miner.h"
#include "node/pluginhost.h"
#include "plugins/market/market.h"
#include "util/time.h"

/* Default operation counts at scale 1. */
#define VERIFY_OPS 20000
#define TXCHECK_OPS 20000
#define MEMPOOL_OPS 10000
#define BLOCK_TXS 2000
#define BLOCK_REPEATS 5
#define SEARCH_LISTINGS 100000
#define SEARCH_QUERIES 1000
/* Targets (doc/benchmarks.md): the market block against the transfer
 * block, and the search's 99th percentile. */
#define MARKET_BLOCK_TARGET 1.3
#define SEARCH_P99_TARGET 0.020
/* Longest nonce chain per sender in the chained mempool run. */
#define MEMPOOL_CHAIN 10
/* Distinct signatures / encodings cycled through, so the loop is not timing
 * one cache-resident input. */
#define VERIFY_SET 512
#define TXCHECK_SET 1000
/* A block of this many transfers stays well under BLOCK_MAX_SIZE and the
 * funder's single matured coinbase covers them all. */
#define BLOCK_TXS_MAX 20000
#define FEE 1000

enum bench_case {
    CASE_VERIFY,
    CASE_TXCHECK,
    CASE_MEMPOOL,
    CASE_BLOCK,
    CASE_MARKET,
    CASE_SEARCH,
    CASE_CHAT,
    CASE_COUNT_
};
static const char *const case_names[CASE_COUNT_] = {"verify", "txcheck", "mempool", "block",
                                                    "market", "search",  "chat"};
/* Stamps timed at main difficulty, and the envelopes a new peer is offered
 * (the chat case). A main stamp should take under 2 s at the median. */
#define CHAT_STAMPS 15
#define CHAT_INVENTORY 100000
#define CHAT_STAMP_TARGET 2.0

struct bench_opts {
    double scale;
    unsigned repeats;
    size_t block_txs;
    unsigned threads; /* block signature threads; 0: one per core */
    size_t listings, queries;
    size_t stamps, inventory;
    bool run[CASE_COUNT_];
};

/* What the summary at the end is built from (negative: not measured). */
struct bench_results {
    double verify_per_op;
    double block_median, block_stateless, block_stateless_1, block_apply, block_warm;
    size_t block_txs;
    unsigned block_threads;
    double block_verify;                       /* per verify, beside the cold runs */
    double block_ratio, block_ratio_min, block_ratio_max;
    double block_speedup, block_speedup_min, block_speedup_max;
    struct bench_market_block_result market;   /* txs 0: not measured */
    struct bench_market_search_result search;  /* queries 0: not measured */
    struct bench_chat_result chat;             /* stamps 0: not measured */
};

static uint64_t scaled(uint64_t base, double scale)
{
    double v = (double)base * scale;
    return v < 1 ? 1 : (uint64_t)v;
}

/* ---- 1. Schnorr verify -------------------------------------------------- */

static void bench_verify(const struct bench_opts *o, struct bench_results *res)
{
    uint64_t n = scaled(VERIFY_OPS, o->scale);
    struct bench_user *keys = bench_users_new(VERIFY_SET);
    static uint8_t msg[VERIFY_SET][32], sig[VERIFY_SET][KEY_SIG_LEN];
    for (size_t i = 0; i < VERIFY_SET; i++)
        if (!random_bytes(msg[i], 32) || !key_sign(keys[i].sk, msg[i], sig[i]))
            bench_fail("signing failed");

    double t0 = bench_now();
    uint64_t good = 0;
    for (uint64_t i = 0; i < n; i++) {
        size_t k = (size_t)(i % VERIFY_SET);
        good += key_verify(keys[k].pub, msg[k], 32, sig[k]);
    }
    double t = bench_now() - t0;
    if (good != n)
        bench_fail("%llu of %llu signatures failed to verify", (unsigned long long)(n - good),
                   (unsigned long long)n);
    bench_report("schnorr verify (key_verify, 32-byte msg)", n, t);
    res->verify_per_op = t / (double)n;

    /* A bad signature must cost the same and fail: the check above would
     * not notice a verifier that accepts everything. */
    sig[0][5] ^= 1;
    if (key_verify(keys[0].pub, msg[0], 32, sig[0]))
        bench_fail("a corrupted signature verified");
    free(keys);
}

/* ---- 2. tx decode + stateless check ------------------------------------- */

static void bench_txcheck(const struct bench_opts *o)
{
    uint64_t n = scaled(TXCHECK_OPS, o->scale);
    size_t set = n < TXCHECK_SET ? (size_t)n : TXCHECK_SET;
    struct bench_user *senders = bench_users_new(set);
    struct bench_user *to = bench_users_new(1);
    struct buf *enc = calloc(set, sizeof *enc);
    if (enc == NULL)
        bench_fail("out of memory");
    struct tx tx;
    tx_init(&tx);
    size_t bytes = 0;
    for (size_t i = 0; i < set; i++) {
        bench_make_transfer(&tx, &senders[i], to->pub, 1000 + i, i % 7, FEE);
        buf_init(&enc[i]);
        if (!tx_encode(&tx, &enc[i]))
            bench_fail("out of memory encoding a tx");
        bytes += enc[i].len;
    }

    double t0 = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        const struct buf *e = &enc[i % set];
        if (tx_decode(e->data, e->len, &tx) != SER_OK)
            bench_fail("tx_decode refused a valid tx");
    }
    double t_decode = bench_now() - t0;

    t0 = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        const struct buf *e = &enc[i % set];
        if (tx_decode(e->data, e->len, &tx) != SER_OK)
            bench_fail("tx_decode refused a valid tx");
        enum txerr err = txcheck_stateless(&tx, bench_params->genesis.hash, NULL);
        if (err != TXERR_OK)
            bench_fail("txcheck_stateless refused a valid tx: %s", txerr_reason(err));
    }
    double t_check = bench_now() - t0;
    /* The same bytes signed for another network must be refused. */
    if (txcheck_stateless(&tx, chainparams_get(CHAIN_MAIN)->genesis.hash, NULL) == TXERR_OK)
        bench_fail("a regtest tx passed the check for main");

    /* Two parts of the check besides the signature, for the breakdown. */
    uint8_t sighash[SHA256_LEN];
    t0 = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        tx.nonce = i;
        tx_sighash(&tx, bench_params->genesis.hash, sighash);
        tx.fee ^= sighash[0] & 1; /* a dependency, so no call is skipped */
    }
    double t_sighash = bench_now() - t0;
    uint64_t valid = 0;
    t0 = bench_now();
    for (uint64_t i = 0; i < n; i++)
        valid += key_pubkey_valid(senders[i % set].pub);
    double t_pubkey = bench_now() - t0;
    if (valid != n)
        bench_fail("a sender key was found invalid");
    /* The same keys parsed by libsecp256k1 (a square root), which
     * key_pubkey_valid's Legendre symbol replaces. */
    const secp256k1_context *ctx = key_context();
    if (ctx == NULL)
        bench_fail("no libsecp256k1 context");
    secp256k1_xonly_pubkey xonly;
    valid = 0;
    t0 = bench_now();
    for (uint64_t i = 0; i < n; i++)
        valid += secp256k1_xonly_pubkey_parse(ctx, &xonly, senders[i % set].pub);
    double t_parse = bench_now() - t0;
    if (valid != n)
        bench_fail("libsecp256k1 refused a sender key");

    char name[96];
    snprintf(name, sizeof name, "tx decode only (tx_decode, %zu-byte transfer)", bytes / set);
    bench_report(name, n, t_decode);
    bench_report("tx decode + stateless check (txcheck_stateless)", n, t_check);
    bench_report("  part: sighash (tx_sighash)", n, t_sighash);
    bench_report("  part: sender key check (key_pubkey_valid, GMP)", n, t_pubkey);
    bench_report("  for comparison: libsecp256k1 key parse", n, t_parse);

    tx_clear(&tx);
    for (size_t i = 0; i < set; i++)
        buf_clear(&enc[i]);
    free(enc);
    free(senders);
    free(to);
}

/* ---- 3. mempool acceptance ---------------------------------------------- */

/* Accepts txs[0..n) (n_senders senders, `chain` consecutive nonces each,
 * sender-major) into a fresh pool over a tip funding every sender; returns
 * the seconds the accepts took. With enc, each tx is decoded from enc[i]
 * first, inside the timing, as sendrawtransaction and a relayed tx are. */
static double mempool_run(const struct tx *txs, const struct buf *enc, size_t n,
                          const struct bench_user *senders, size_t n_senders)
{
    struct state_view tipv;
    state_view_init(&tipv, &state_empty_backend);
    for (size_t i = 0; i < n_senders; i++) {
        struct account a = {.balance = 10 * AMOUNT_COIN, .nonce = 0};
        if (account_put(&tipv, senders[i].pub, &a) != TXERR_OK)
            bench_fail("funding the tip failed");
    }
    struct state_backend tip;
    state_view_as_backend(&tipv, &tip);
    struct mempool *pool = mempool_new(bench_params, (size_t)MEMPOOL_DEFAULT_MAX_MB << 20);
    if (pool == NULL || !mempool_update_tip(pool, &tip, 200))
        bench_fail("mempool setup failed");
    int64_t now = time_now();

    struct tx decoded;
    tx_init(&decoded);
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        const struct tx *tx = &txs[i];
        if (enc != NULL) {
            if (tx_decode(enc[i].data, enc[i].len, &decoded) != SER_OK)
                bench_fail("tx_decode refused tx %zu", i);
            tx = &decoded;
        }
        struct mempool_accept_info info;
        enum mempool_err err = mempool_accept(pool, tx, now, &info);
        if (err != MEMPOOL_OK || info.future)
            bench_fail("mempool refused tx %zu: %s", i, mempool_reject_reason(err, &info));
    }
    double t = bench_now() - t0;
    tx_clear(&decoded);
    if (mempool_count(pool) != n)
        bench_fail("mempool holds %zu txs, expected %zu", mempool_count(pool), n);
    /* A second copy of a pooled tx must be refused. */
    if (n > 0 && mempool_accept(pool, &txs[0], now, NULL) != MEMPOOL_ERR_DUPLICATE)
        bench_fail("mempool accepted a duplicate");
    mempool_free(pool);
    state_view_clear(&tipv);
    return t;
}

static void bench_mempool(const struct bench_opts *o)
{
    size_t n = (size_t)scaled(MEMPOOL_OPS, o->scale);
    struct bench_user *senders = bench_users_new(n);
    struct bench_user *to = bench_users_new(1);
    struct tx *txs = bench_txs_new(n);

    /* One tx from each of n senders. */
    for (size_t i = 0; i < n; i++)
        bench_make_transfer(&txs[i], &senders[i], to->pub, 1000, 0, FEE);
    double t = mempool_run(txs, NULL, n, senders, n);
    char name[96];
    snprintf(name, sizeof name, "mempool accept, 1 tx each from %zu senders", n);
    bench_report(name, n, t);
    /* The same from their bytes: decode, then accept. */
    struct buf *enc = calloc(n ? n : 1, sizeof *enc);
    if (enc == NULL)
        bench_fail("out of memory");
    for (size_t i = 0; i < n; i++) {
        buf_init(&enc[i]);
        if (!tx_encode(&txs[i], &enc[i]))
            bench_fail("out of memory encoding a tx");
    }
    t = mempool_run(txs, enc, n, senders, n);
    snprintf(name, sizeof name, "  the same, decoded from bytes first (tx_decode)");
    bench_report(name, n, t);
    for (size_t i = 0; i < n; i++)
        buf_clear(&enc[i]);
    free(enc);

    /* Chains of consecutive nonces: each tx builds on its sender's pending
     * ones. */
    size_t chain = n < MEMPOOL_CHAIN ? n : MEMPOOL_CHAIN;
    size_t n_senders = n / chain;
    size_t m = n_senders * chain;
    for (size_t s = 0; s < n_senders; s++)
        for (size_t k = 0; k < chain; k++)
            bench_make_transfer(&txs[s * chain + k], &senders[s], to->pub, 1000, k, FEE);
    t = mempool_run(txs, NULL, m, senders, n_senders);
    snprintf(name, sizeof name, "mempool accept, nonce chains of %zu, %zu senders", chain,
             n_senders);
    bench_report(name, m, t);

    bench_txs_free(txs, n);
    free(senders);
    free(to);
}

/* ---- 4. connecting a block of transfers --------------------------------- */

static void bench_block(const struct bench_opts *o, struct bench_results *res)
{
    size_t T = o->block_txs;
    unsigned R = o->repeats;
    struct chain *c = bench_chain_open(o->threads);

    /* 101 empty blocks: the funder's first coinbase matures. */
    struct bench_user *funder = bench_users_new(1), *miner = bench_users_new(1);
    struct block b;
    block_init(&b);
    const size_t empty_blocks = (size_t)bench_params->coinbase_maturity + 1;
    double t_empty = bench_mine_empty(c, funder->pub, empty_blocks);
    bench_report("connect empty block (coinbase only)", empty_blocks, t_empty);

    /* One block funds T senders from the funder's nonce chain. */
    struct bench_user *senders = bench_users_new(T), *recipients = bench_users_new(T);
    struct tx *txs = bench_txs_new(T);
    for (size_t i = 0; i < T; i++)
        bench_make_transfer(&txs[i], funder, senders[i].pub, 100000, i, FEE);
    bench_build_block(&b, chain_tip(c), miner->pub, txs, T, 0);
    double t0 = bench_now();
    bench_submit_tip(c, &b);
    double t_fund = bench_now() - t0;
    char name[128];
    snprintf(name, sizeof name, "connect %zu-tx block from 1 sender (1 run)", T);
    bench_report(name, T, t_fund);

    /* The measured block: T senders each pay a fresh account. */
    for (size_t i = 0; i < T; i++)
        bench_make_transfer(&txs[i], &senders[i], recipients[i].pub, 1000, 0, FEE);
    struct bench_block_set set = {.txs = txs, .n = T};
    bench_block_time(c, miner->pub, &set, 1, R);
    const struct bench_block_times *t = &set.t;

    printf("  (%zu-tx block: %zu bytes; %u run%s, each a distinct block on the same parent)\n", T,
           t->bytes, R, R == 1 ? "" : "s");
    res->block_median = t->connect;
    res->block_txs = T;
    snprintf(name, sizeof name, "connect %zu-tx block, min (per tx)", T);
    bench_report(name, T, t->connect_min);
    snprintf(name, sizeof name, "connect %zu-tx block, median (per tx)", T);
    bench_report(name, T, t->connect);
    res->block_stateless = t->stateless;
    res->block_threads = chain_verify_threads(c);
    snprintf(name, sizeof name, "  of which stateless block check (%u thr), median",
             res->block_threads);
    bench_report(name, T, t->stateless);
    res->block_stateless_1 = t->stateless_1;
    bench_report("  (the same check on 1 thread, median)", T, t->stateless_1);
    res->block_apply = t->apply;
    bench_report("  of which apply to state view, median", T, t->apply);
    snprintf(name, sizeof name, "disconnect %zu-tx block (chain_invalidate), median", T);
    bench_report(name, T, t->disconnect);
    res->block_verify = t->verify_per_op;
    res->block_ratio = t->ratio;
    res->block_ratio_min = t->ratio_min;
    res->block_ratio_max = t->ratio_max;
    bench_report("single-core verify of the block's signatures, before each run, median", T,
                 t->verify_per_op * (double)T);
    res->block_warm = t->warm;
    res->block_speedup = t->speedup;
    res->block_speedup_min = t->speedup_min;
    res->block_speedup_max = t->speedup_max;
    snprintf(name, sizeof name, "connect %zu-tx block, signatures cached, median", T);
    bench_report(name, T, t->warm);
    bench_report("  of which stateless block check, median", T, t->warm_check);

    bench_txs_free(txs, T);
    block_clear(&b);
    free(senders);
    free(recipients);
    free(funder);
    free(miner);
    chain_close(c);
    bench_tmpdir_remove();
}

/* ---- main ----------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: bench_souk [options] [verify|txcheck|mempool|block|market|search|chat ...]\n"
            "Times souk's validation hot paths and prints the machine they ran on.\n"
            "With no names every benchmark runs.\n\n"
            "Options:\n"
            "  -n <factor>  scale the operation counts of verify, txcheck and mempool\n"
            "               (default 1: %d verifies, %d tx checks, %d mempool accepts)\n"
            "  -q           quick mode: -n 0.1, 2 block runs, 10000 listings, 200 searches,\n"
            "               5 chat stamps and an inventory of 10000 envelopes\n"
            "  -r <runs>    connect each block this many times (default %d; 1..100)\n"
            "  -t <txs>     transfers, and market txs, in the measured blocks (default %d;\n"
            "               1..%d; a market block must also fit in 4 MiB)\n"
            "  -l <n>       listings in the search index (default %d; 1..1000000)\n"
            "  -s <n>       search queries (default %d; 1..100000)\n"
            "  -p <n>       threads that check a block's signatures (default 0: one\n"
            "               per CPU core; 1: the validation thread alone; at most %d)\n"
            "  -h           this help\n\n"
            "Datadirs go under $TMPDIR (default /tmp) and are removed at exit.\n",
            VERIFY_OPS, TXCHECK_OPS, MEMPOOL_OPS, BLOCK_REPEATS, BLOCK_TXS, BLOCK_TXS_MAX,
            SEARCH_LISTINGS, SEARCH_QUERIES, CHECKQUEUE_MAX_THREADS);
}

static bool parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *s == '-' || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_opts(int argc, char **argv, struct bench_opts *o)
{
    *o = (struct bench_opts){.scale = 1.0,
                             .repeats = BLOCK_REPEATS,
                             .block_txs = BLOCK_TXS,
                             .listings = SEARCH_LISTINGS,
                             .queries = SEARCH_QUERIES, .stamps = CHAT_STAMPS,
                             .inventory = CHAT_INVENTORY};
    bool repeats_set = false, listings_set = false, queries_set = false;
    int ch;
    unsigned long v;
    while ((ch = getopt(argc, argv, "l:n:p:qr:s:t:h")) != -1) {
        switch (ch) {
        case 'n': {
            char *end;
            double s = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(s > 0) || s > 1000) {
                fprintf(stderr, "bench_souk: -n wants a factor in (0, 1000]\n");
                return false;
            }
            o->scale = s;
            break;
        }
        case 'p':
            if (!parse_ulong(optarg, 0, CHECKQUEUE_MAX_THREADS, &v)) {
                fprintf(stderr, "bench_souk: -p wants 0..%d\n", CHECKQUEUE_MAX_THREADS);
                return false;
            }
            o->threads = (unsigned)v;
            break;
        case 'q':
            o->scale = 0.1;
            if (!repeats_set)
                o->repeats = 2;
            if (!listings_set)
                o->listings = SEARCH_LISTINGS / 10;
            if (!queries_set)
                o->queries = SEARCH_QUERIES / 5;
            o->stamps = 5;
            o->inventory = CHAT_INVENTORY / 10;
            break;
        case 'l':
            if (!parse_ulong(optarg, 1, 1000000, &v)) {
                fprintf(stderr, "bench_souk: -l wants 1..1000000\n");
                return false;
            }
            o->listings = (size_t)v;
            listings_set = true;
            break;
        case 's':
            if (!parse_ulong(optarg, 1, 100000, &v)) {
                fprintf(stderr, "bench_souk: -s wants 1..100000\n");
                return false;
            }
            o->queries = (size_t)v;
            queries_set = true;
            break;
        case 'r':
            if (!parse_ulong(optarg, 1, 100, &v)) {
                fprintf(stderr, "bench_souk: -r wants 1..100\n");
                return false;
            }
            o->repeats = (unsigned)v;
            repeats_set = true;
            break;
        case 't':
            if (!parse_ulong(optarg, 1, BLOCK_TXS_MAX, &v)) {
                fprintf(stderr, "bench_souk: -t wants 1..%d\n", BLOCK_TXS_MAX);
                return false;
            }
            o->block_txs = (size_t)v;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return false;
        }
    }
    bool any = false;
    for (int i = optind; i < argc; i++) {
        int k = 0;
        while (k < CASE_COUNT_ && strcmp(argv[i], case_names[k]) != 0)
            k++;
        if (k == CASE_COUNT_) {
            fprintf(stderr, "bench_souk: unknown benchmark '%s'\n", argv[i]);
            usage(stderr);
            return false;
        }
        o->run[k] = true;
        any = true;
    }
    if (!any)
        for (int k = 0; k < CASE_COUNT_; k++)
            o->run[k] = true;
    return true;
}

static const char *verdict(bool met)
{
    return met ? "met" : "NOT met";
}

static void print_market_summary(const struct bench_results *r)
{
    const struct bench_market_block_result *m = &r->market;
    if (m->txs > 0) {
        double cold = m->market_cold / m->transfer_cold, warm = m->market_warm / m->transfer_warm;
        printf("\nmarket: the %zu-tx market block connects in %.1f ms against %.1f ms for as "
               "many transfers\n  (%.2f times; target <= %.1f: %s); with signatures cached "
               "%.1f ms against %.1f ms (%.2f times: %s)\n",
               m->txs, m->market_cold * 1e3, m->transfer_cold * 1e3, cold, MARKET_BLOCK_TARGET,
               verdict(cold <= MARKET_BLOCK_TARGET), m->market_warm * 1e3,
               m->transfer_warm * 1e3, warm, verdict(warm <= MARKET_BLOCK_TARGET));
    }
    const struct bench_market_search_result *s = &r->search;
    if (s->queries > 0)
        printf("%ssearch: %zu queries over %zu listings, p50 %.2f ms, p99 %.2f ms "
               "(target p99 < %.0f ms at 100000 listings: %s)\n",
               m->txs > 0 ? "" : "\n", s->queries, s->listings, s->p50 * 1e3, s->p99 * 1e3,
               SEARCH_P99_TARGET * 1e3,
               s->listings < SEARCH_LISTINGS ? "not measured at that size"
                                             : verdict(s->p99 < SEARCH_P99_TARGET));
}

static void print_chat_summary(const struct bench_results *r)
{
    const struct bench_chat_result *c = &r->chat;
    if (c->stamps == 0)
        return;
    printf("\nchat: a main-difficulty stamp (20 bits) takes %.2f s at the median of %zu on %u "
           "thread%s (max %.2f s; target median < %.0f s: %s);\n  checking and opening one "
           "%.0f us, keeping one %.2f ms; a new peer's offer of %zu envelopes is read in "
           "%.0f ms\n",
           c->stamp_main_median, c->stamps, c->threads, c->threads == 1 ? "" : "s",
           c->stamp_main_max, CHAT_STAMP_TARGET, verdict(c->stamp_main_median < CHAT_STAMP_TARGET),
           c->open_verify * 1e6, c->insert * 1e3, c->inventory, c->inventory_total * 1e3);
}

static void print_summary(const struct bench_results *r)
{
    print_market_summary(r);
    print_chat_summary(r);
    if (r->block_median <= 0)
        return;
    double ms = 1e3;
    printf("\nsummary: the %zu-tx block connects in %.1f ms (median), %.0f tx/s;\n", r->block_txs,
           r->block_median * ms, (double)r->block_txs / r->block_median);
    printf("  measured alone: stateless checks %.1f ms on %u thread%s (%.1f ms on one)",
           r->block_stateless * ms, r->block_threads, r->block_threads == 1 ? "" : "s",
           r->block_stateless_1 * ms);
    if (r->verify_per_op > 0)
        printf(", of which %zu signature verifies ~%.1f ms of CPU time", r->block_txs,
               (double)r->block_txs * r->verify_per_op * ms);
    printf(";\n  state apply %.1f ms; in the connect the apply, the storage and the undo "
           "record overlap the signature checks\n",
           r->block_apply * ms);
    if (r->block_warm > 0) {
        printf("  with its signatures cached (its txs seen in the mempool) it connects in "
               "%.1f ms: %.1f times faster\n  (median of the runs' ratios, each warm run right "
               "after a cold one; %.1f to %.1f)",
               r->block_warm * ms, r->block_speedup, r->block_speedup_min,
               r->block_speedup_max);
        printf(";\n  cold %.0f tx/s against %u cores x %.0f verifies/s (one core, timed just "
               "before each run) = %.0f:\n  %.2f of it (median of the runs' ratios; %.2f to "
               "%.2f)",
               (double)r->block_txs / r->block_median, r->block_threads, 1 / r->block_verify,
               r->block_threads / r->block_verify, r->block_ratio, r->block_ratio_min,
               r->block_ratio_max);
        if (r->verify_per_op > 0)
            printf(";\n  against the verify benchmark above (%.0f verifies/s): %.2f",
                   1 / r->verify_per_op,
                   (double)r->block_txs / r->block_median * r->verify_per_op /
                       r->block_threads);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    /* Every figure but the warm block is measured without the signature
     * cache, which would otherwise turn repeated checks into lookups. */
    sigcache_set_size(0);
    if (!parse_opts(argc, argv, &o))
        return 2;
    bench_params = chainparams_get(CHAIN_REGTEST);
    /* Block times follow regtest's genesis at 60 s spacing; a clock pinned a
     * week after it keeps them valid (not in the future) whatever the real
     * date, without affecting anything timed. */
    if (!time_set_mock((int64_t)bench_params->genesis.time + 7 * 24 * 3600))
        bench_fail("cannot set the node clock");
    /* The market's types, rules and timeouts, registered before any chain
     * opens, as soukd's start-up does (src/soukd/init.c). */
    static struct pluginhost host;
    char err[256];
    pluginhost_init(&host);
    if (!pluginhost_add(&host, &market_plugin, err, sizeof err) ||
        !pluginhost_install(&host, err, sizeof err))
        bench_fail("installing the market plugin: %s", err);

    const char *tmp = getenv("TMPDIR");
    printf("souk benchmark (bench_souk)\n");
    bench_print_machine(stdout, tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    printf("scale:     %g; block: %zu transfers, %u runs, signatures on %u thread%s\n\n", o.scale,
           o.block_txs, o.repeats, o.threads != 0 ? o.threads : checkqueue_cpu_count(),
           (o.threads != 0 ? o.threads : checkqueue_cpu_count()) == 1 ? "" : "s");
    bench_report_header();

    struct bench_results res = {.verify_per_op = -1, .block_median = -1};
    if (o.run[CASE_VERIFY])
        bench_verify(&o, &res);
    if (o.run[CASE_TXCHECK])
        bench_txcheck(&o);
    if (o.run[CASE_MEMPOOL])
        bench_mempool(&o);
    if (o.run[CASE_BLOCK])
        bench_block(&o, &res);
    if (o.run[CASE_MARKET])
        bench_market_block(o.block_txs, o.repeats, o.threads, &res.market);
    if (o.run[CASE_SEARCH])
        bench_market_search(o.listings, o.queries, &res.search);
    if (o.run[CASE_CHAT])
        bench_chat(o.stamps, o.inventory, &res.chat);
    print_summary(&res);
    pluginhost_clear(&host);
    return 0;
}
