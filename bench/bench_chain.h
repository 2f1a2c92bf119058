/* bench_chain: the fixtures bench_souk's cases share — keys, signed
 * transactions, regtest blocks ground on a parent, and submitting a block
 * that must become the tip.
 *
 * Every helper checks what it builds and stops the run with bench_fail
 * when something is refused, so a case never times a path that failed.
 * bench_params is the network the run uses (regtest), set once by main
 * before any case runs. */
#ifndef SOUK_BENCH_BENCH_CHAIN_H
#define SOUK_BENCH_BENCH_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/chainparams.h"
#include "consensus/tx.h"
#include "crypto/key.h"
#include "node/chain.h"
#include "util/amount.h"

extern const struct chain_params *bench_params;

struct bench_user {
    uint8_t sk[KEY_SECRET_LEN];
    uint8_t pub[KEY_PUBKEY_LEN];
};

/* n fresh keys; the caller frees them. */
struct bench_user *bench_users_new(size_t n);

/* n initialized txs; bench_txs_free clears and frees them. */
struct tx *bench_txs_new(size_t n);
void bench_txs_free(struct tx *txs, size_t n);

/* tx (initialized) becomes a signed transfer. */
void bench_make_transfer(struct tx *tx, const struct bench_user *from, const uint8_t to[32],
                         amount_t amount, uint64_t nonce, amount_t fee);

/* b becomes a block on parent holding copies of txs[0..n), paying subsidy
 * and fees to miner; salt varies the coinbase, so blocks with the same
 * txs differ. */
void bench_build_block(struct block *b, const struct blockindex_entry *parent,
                       const uint8_t miner[32], const struct tx *txs, size_t n, uint32_t salt);

/* Submits b to the chain and insists it becomes the tip. */
void bench_submit_tip(struct chain *c, const struct block *b);

/* A regtest chain in a fresh temporary datadir (bench_tmpdir_create), with
 * soukd's default -dbcache and verify_threads signature threads (0: one
 * per core); chain_close and bench_tmpdir_remove end it. */
struct chain *bench_chain_open(unsigned verify_threads);
/* Connects n empty blocks paying their coinbase to `to`; returns the
 * seconds chain_process_block took over all of them. */
double bench_mine_empty(struct chain *c, const uint8_t to[32], size_t n);

/* What bench_block_time measured for one block: medians over the runs (and
 * the fastest connect), in seconds. */
struct bench_block_times {
    size_t bytes;            /* the block's encoding */
    double connect_min, connect;
    double stateless;        /* chain_check_block, on the chain's verification threads */
    double stateless_1;      /* blockcheck_stateless, on this thread alone */
    double apply;            /* blockcheck_apply on a view over the chainstate */
    double disconnect;       /* chain_invalidate of the connected block */
    double warm, warm_check; /* connect and check with the txs in the signature cache */
    /* Single-core verify, timed just before each cold connect on the
     * block's own keys and sighashes (key_verify alone): seconds per
     * verify, median; and each run's cold connect rate against the chain's
     * threads times that run's verify rate, median, min and max. Taken in
     * pairs a moment apart, so both see the machine as it is then. */
    double verify_per_op;
    double ratio, ratio_min, ratio_max;
    /* Each run's cold connect over the warm one right after it: median,
     * min and max. */
    double speedup, speedup_min, speedup_max;
};

/* One block to time: its transactions, valid on the chain's tip. */
struct bench_block_set {
    const struct tx *txs;
    size_t n;
    struct bench_block_times t;  /* filled by bench_block_time */
};

/* Times connecting each set's block to the tip `runs` times with the
 * signature cache off (cold), each followed by one with every tx checked
 * into it first, untimed, as mempool_accept does (warm). Each run connects a
 * distinct block (another coinbase salt) with the same txs and then
 * invalidates it, so every run starts from the same parent; the sets take
 * turns within each run, so they share the machine's conditions. The cold
 * runs also time the stateless check and the apply apart, in memory, and
 * the single-core verify of the block's signatures. Leaves the signature
 * cache off. */
void bench_block_time(struct chain *c, const uint8_t miner[32], struct bench_block_set *sets,
                      size_t n_sets, unsigned runs);

#endif
