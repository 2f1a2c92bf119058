/* chainparams: the constants of the three networks and their genesis blocks.
 *
 * main, test and regtest differ in message magic, address prefix, ports,
 * difficulty rule, halving interval, plugin timeouts and genesis block. Each
 * genesis block is built by code from the fixed inputs kept here; the
 * hard-coded genesis hash is what that code produces (a unit test checks it),
 * and it is what binds every signature to one network (see tx_sighash).
 * The parameter tables are static and immutable. */
#ifndef SOUK_CONSENSUS_CHAINPARAMS_H
#define SOUK_CONSENSUS_CHAINPARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/pow.h"
#include "consensus/uint256.h"
#include "crypto/sha256.h"
#include "util/amount.h"

enum chain_network {
    CHAIN_MAIN,
    CHAIN_TEST,
    CHAIN_REGTEST,
    CHAIN_NETWORK_COUNT_
};

struct chain_genesis {
    uint64_t time;
    uint32_t bits;
    uint64_t nonce;
    const char *message;          /* coinbase extra, <= 64 bytes */
    uint8_t recipient[32];        /* coinbase recipient: a key nobody holds */
    uint8_t hash[SHA256_LEN];     /* block hash the inputs above produce */
};

struct chain_params {
    enum chain_network network;
    const char *name;             /* "main", "test", "regtest" */
    const char *datadir_sub;      /* "" for main, "testnet", "regtest" */
    uint8_t magic[4];             /* P2P message start */
    const char *hrp;              /* bech32m address prefix */
    uint16_t p2p_port;
    uint16_t rpc_port;

    uint32_t pow_limit_bits;      /* the easiest target allowed */
    bool pow_no_retarget;         /* regtest: every block carries pow_limit_bits */
    int64_t target_spacing;       /* seconds */
    int64_t asert_half_life;      /* seconds */
    uint64_t halving_interval;    /* blocks */
    uint32_t coinbase_maturity;   /* blocks */

    /* Market and review timeouts, in blocks. */
    uint32_t order_accept_timeout;
    uint32_t order_ship_timeout;
    uint32_t order_dispute_timeout;
    uint32_t review_window;
    /* Chat anti-spam: leading zero bits required of an envelope's hash. */
    uint32_t chat_pow_bits;

    /* Default -minimumchainwork, big-endian: header chains claiming less
     * work than this are not stored (as Bitcoin Core's nMinimumChainWork).
     * Zero on every network for now: the chain is too young for a value
     * that would protect more than the margin below the tip does; a
     * release raises main's and test's to a point well behind the tip
     * of its day. */
    uint8_t min_chain_work[U256_BYTES];

    struct chain_genesis genesis;
};

const struct chain_params *chainparams_get(enum chain_network net);
/* "main", "test" or "regtest"; NULL for anything else. */
const struct chain_params *chainparams_by_name(const char *name);

/* The pow limit as a 256-bit target. */
void chainparams_pow_limit(const struct chain_params *p, struct u256 *out);
/* The default minimum chain work as a number. */
void chainparams_min_chain_work(const struct chain_params *p, struct u256 *out);

/* Builds the genesis block from the parameters' fixed inputs with the given
 * nonce (the stored one for the real genesis; other values only for the
 * search that found it). out must be initialized; false on allocation
 * failure, out untouched. */
bool chainparams_build_genesis_nonce(const struct chain_params *p, uint64_t nonce,
                                     struct block *out);
bool chainparams_build_genesis(const struct chain_params *p, struct block *out);

/* The bits required of the block whose parent has parent_height and
 * parent_time: fixed on regtest, ASERT anchored at genesis elsewhere. */
enum pow_result chainparams_next_bits(const struct chain_params *p, uint64_t parent_height,
                                      int64_t parent_time, uint32_t *bits);

#endif
