#define _POSIX_C_SOURCE 200809L
#include "rpc/rpc_mining.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/block.h"
#include "consensus/blockcheck.h"
#include "consensus/chainparams.h"
#include "consensus/pow.h"
#include "consensus/subsidy.h"
#include "consensus/txtype.h"
#include "consensus/uint256.h"
#include "crypto/address.h"
#include "crypto/random.h"
#include "node/miner.h"
#include "node/node.h"
#include "node/services.h"
#include "rpc/rpcutil.h"
#include "rpc/server.h"
#include "util/hex.h"
#include "util/time.h"

/* Random coinbase extra bytes: two blocks built on the same parent in the
 * same second (say, after invalidateblock) must still differ. */
#define MINING_EXTRANONCE_LEN 8
/* Nonces tried between looks at the shutdown flag. */
#define MINING_GRIND_SLICE 100000
#define MINING_DEFAULT_MAXTRIES 1000000
/* generateblock has no maxtries argument; bitcoind grinds until it finds. */
#define MINING_GENERATEBLOCK_TRIES UINT64_MAX

/* The request for a block on the current tip paying recipient. Caller
 * holds the lock. *mintime gets the earliest time the block may carry. */
static void mining_request(struct node_ctx *ctx, const uint8_t recipient[32],
                           struct miner_request *mr, uint64_t *mintime)
{
    const struct blockindex_entry *tip = chain_tip(services_chain(ctx));
    memset(mr, 0, sizeof *mr);
    memcpy(mr->prev_hash, tip->hash, SHA256_LEN);
    mr->parent_height = tip->height;
    mr->parent_time = (int64_t)tip->header.time;
    uint64_t min = blockindex_median_time_past(tip) + 1;
    int64_t now = time_now();
    mr->time = now > 0 && (uint64_t)now > min ? (uint64_t)now : min;
    memcpy(mr->recipient, recipient, 32);
    if (random_bytes(mr->extra, MINING_EXTRANONCE_LEN))
        mr->extra_len = MINING_EXTRANONCE_LEN;
    if (mintime != NULL)
        *mintime = min;
}

static bool mining_miner_error(struct rpc_request *req, enum miner_err me)
{
    return rpc_error(req, me == MINER_ERR_NOMEM ? RPC_INTERNAL_ERROR : RPC_MISC_ERROR,
                     "Could not create a block: %s", miner_strerror(me));
}

/* Grinds outside the lock, in slices so a shutdown interrupts a long
 * search. *tries drops by the nonces tried. False when the bits can never
 * be met. */
static bool mining_grind(struct node_ctx *ctx, struct block *b, uint64_t *tries, bool *found)
{
    *found = false;
    while (*tries > 0 && !node_shutdown_requested(ctx)) {
        uint64_t slice = *tries < MINING_GRIND_SLICE ? *tries : MINING_GRIND_SLICE;
        uint64_t start = b->header.nonce;
        if (!miner_grind(b, ctx->params, slice, found))
            return false;
        uint64_t used = *found ? b->header.nonce - start + 1 : slice;
        *tries -= used < *tries ? used : *tries;
        if (*found || b->header.nonce == UINT64_MAX)
            return true;
    }
    return true;
}

/* Hands a block we built to the chain; an error names the reason. */
static bool mining_process(struct rpc_request *req, const struct block *b)
{
    char reason[256];
    pthread_mutex_lock(&req->node->lock);
    enum chain_result r = services_process_block(req->node, b, NULL, reason, sizeof reason);
    pthread_mutex_unlock(&req->node->lock);
    if (r != CHAIN_OK)
        return rpc_error(req, RPC_INTERNAL_ERROR, "ProcessNewBlock, block not accepted: %s",
                         reason);
    return true;
}

/* ---- generatetoaddress ---------------------------------------------------- */

static bool rpc_generatetoaddress(struct rpc_request *req, json_t **result)
{
    int64_t nblocks, maxtries;
    uint8_t recipient[32];
    if (!rpc_param_int(req, 0, 0, 0, 1000000, &nblocks) || !rpc_param_address(req, 1, recipient) ||
        !rpc_param_int(req, 2, MINING_DEFAULT_MAXTRIES, 1, INT64_MAX, &maxtries))
        return false;
    struct node_ctx *ctx = req->node;
    json_t *hashes = json_array();
    if (hashes == NULL)
        return rpc_nomem(req);
    uint64_t tries = (uint64_t)maxtries;
    struct block b;
    block_init(&b);
    bool ok = true;
    for (int64_t i = 0; ok && i < nblocks && tries > 0; i++) {
        struct miner_request mr;
        pthread_mutex_lock(&ctx->lock);
        mining_request(ctx, recipient, &mr, NULL);
        struct state_backend tip;
        chain_tip_backend(services_chain(ctx), &tip);
        enum miner_err me =
            miner_create_block(services_mempool(ctx), &tip, ctx->params, &mr, &b, NULL);
        pthread_mutex_unlock(&ctx->lock);
        if (me != MINER_OK) {
            ok = mining_miner_error(req, me);
            break;
        }
        bool found;
        if (!mining_grind(ctx, &b, &tries, &found)) {
            ok = rpc_error(req, RPC_MISC_ERROR, "the block's bits can never be met");
            break;
        }
        if (!found)
            break; /* out of tries (or shutting down): return what was mined */
        if (!mining_process(req, &b)) {
            ok = false;
            break;
        }
        uint8_t hash[SHA256_LEN];
        block_hash(&b, hash);
        json_array_append_new(hashes, rpc_hex_json(hash, sizeof hash));
    }
    block_clear(&b);
    if (!ok) {
        json_decref(hashes);
        return false;
    }
    *result = hashes;
    return true;
}

/* ---- generateblock --------------------------------------------------------- */

struct tx_list {
    struct tx *v;
    size_t n;
};

static void tx_list_clear(struct tx_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        tx_clear(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Fills l from the array of raw txs and mempool txids. Caller holds the
 * lock (txids are looked up in the mempool). */
static bool generateblock_txs(struct rpc_request *req, const json_t *arr, struct tx_list *l)
{
    size_t n = arr != NULL ? json_array_size(arr) : 0;
    l->v = calloc(n + 1, sizeof *l->v);
    if (l->v == NULL)
        return rpc_nomem(req);
    for (l->n = 0; l->n < n; l->n++)
        tx_init(&l->v[l->n]);
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(arr, i);
        if (!json_is_string(item))
            return rpc_error(req, RPC_TYPE_ERROR, "transactions[%zu]: expected a string", i);
        const char *s = json_string_value(item);
        size_t len = json_string_length(item);
        uint8_t txid[SHA256_LEN];
        if (len == 2 * SHA256_LEN && hex_decode_exact(s, txid, sizeof txid)) {
            /* 32 bytes are too short to be a tx: this is a txid. */
            if (!mempool_get(services_mempool(req->node), txid, &l->v[i], NULL))
                return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY,
                                 "Transaction %s not in mempool.", s);
            continue;
        }
        struct buf raw;
        buf_init(&raw);
        if (!hex_decode_buf(s, len, &raw)) {
            buf_clear(&raw);
            return rpc_error(req, RPC_DESERIALIZATION_ERROR,
                             "Transaction decode failed for transactions[%zu]: not hex", i);
        }
        enum ser_err se = tx_decode(raw.data, raw.len, &l->v[i]);
        buf_clear(&raw);
        if (se != SER_OK)
            return rpc_error(req, RPC_DESERIALIZATION_ERROR,
                             "Transaction decode failed for transactions[%zu]: %s", i,
                             ser_strerror(se));
    }
    return true;
}

static bool rpc_generateblock(struct rpc_request *req, json_t **result)
{
    uint8_t recipient[32];
    if (!rpc_param_address(req, 0, recipient))
        return false;
    struct node_ctx *ctx = req->node;
    struct tx_list txs = {NULL, 0};
    struct block b;
    block_init(&b);
    struct miner_fault fault = {0, TXERR_OK};
    pthread_mutex_lock(&ctx->lock);
    bool ok = generateblock_txs(req, rpc_param(req, 1), &txs);
    enum miner_err me = MINER_OK;
    if (ok) {
        struct miner_request mr;
        mining_request(ctx, recipient, &mr, NULL);
        struct state_backend tip;
        chain_tip_backend(services_chain(ctx), &tip);
        me = miner_create_block_with(txs.v, txs.n, &tip, ctx->params, &mr, &b, NULL, &fault);
    }
    pthread_mutex_unlock(&ctx->lock);
    tx_list_clear(&txs);
    if (ok && me == MINER_ERR_BAD_TX)
        ok = rpc_error(req, RPC_VERIFY_ERROR, "TestBlockValidity failed: transaction %zu: %s",
                       fault.index, txerr_reason(fault.txerr));
    else if (ok && me == MINER_ERR_TOO_LARGE)
        ok = rpc_error(req, RPC_VERIFY_ERROR, "TestBlockValidity failed: bad-blk-length");
    else if (ok && me != MINER_OK)
        ok = mining_miner_error(req, me);
    bool found = false;
    uint64_t tries = MINING_GENERATEBLOCK_TRIES;
    if (ok && (!mining_grind(ctx, &b, &tries, &found) || !found))
        ok = rpc_error(req, RPC_MISC_ERROR, "Failed to make a block (no proof of work found)");
    if (ok)
        ok = mining_process(req, &b);
    if (ok) {
        uint8_t hash[SHA256_LEN];
        block_hash(&b, hash);
        *result = json_pack("{s:o}", "hash", rpc_hex_json(hash, sizeof hash));
    }
    block_clear(&b);
    return ok;
}

/* ---- getblocktemplate ------------------------------------------------------ */

static json_t *template_tx(const struct tx *tx)
{
    struct buf raw;
    buf_init(&raw);
    if (!tx_encode(tx, &raw)) {
        buf_clear(&raw);
        return NULL;
    }
    uint8_t txid[SHA256_LEN];
    tx_txid(tx, txid);
    json_t *o = json_pack("{s:o,s:o,s:I,s:I}", "data", rpc_hex_json(raw.data, raw.len), "txid",
                          rpc_hex_json(txid, sizeof txid), "fee", (json_int_t)tx->fee, "size",
                          (json_int_t)raw.len);
    buf_clear(&raw);
    return o;
}

static bool rpc_getblocktemplate(struct rpc_request *req, json_t **result)
{
    const json_t *treq = rpc_param(req, 0);
    const json_t *mode = treq != NULL ? json_object_get(treq, "mode") : NULL;
    if (mode != NULL && !(json_is_string(mode) && strcmp(json_string_value(mode), "template") == 0))
        return rpc_error(req, RPC_INVALID_PARAMETER, "Invalid mode");
    struct node_ctx *ctx = req->node;
    struct block b;
    block_init(&b);
    amount_t fees = 0;
    uint64_t mintime = 0, height = 0;
    struct miner_request mr;
    pthread_mutex_lock(&ctx->lock);
    /* The template's coinbase is the miner's business; pay nobody's key. */
    mining_request(ctx, ctx->params->genesis.recipient, &mr, &mintime);
    height = mr.parent_height + 1;
    struct state_backend tip;
    chain_tip_backend(services_chain(ctx), &tip);
    enum miner_err me = miner_create_block(services_mempool(ctx), &tip, ctx->params, &mr, &b,
                                           &fees);
    pthread_mutex_unlock(&ctx->lock);
    if (me != MINER_OK) {
        block_clear(&b);
        return mining_miner_error(req, me);
    }
    json_t *txs = json_array();
    for (size_t i = 1; txs != NULL && i < b.tx_count; i++) {
        json_t *t = template_tx(&b.txs[i]);
        if (t == NULL || json_array_append_new(txs, t) != 0) {
            json_decref(txs);
            txs = NULL;
        }
    }
    struct u256 target;
    char target_hex[U256_HEX_LEN + 1] = "";
    if (pow_bits_to_target(b.header.bits, &target) == POW_OK)
        u256_to_hex(&target, target_hex);
    char bits[9];
    snprintf(bits, sizeof bits, "%08x", b.header.bits);
    amount_t value = subsidy_at(height, ctx->params->halving_interval) + fees;
    json_t *o = txs == NULL ? NULL
                            : json_pack("{s:i,s:o,s:I,s:I,s:I,s:s,s:s,s:o,s:I,s:I}", "version",
                                        BLOCK_VERSION, "previousblockhash",
                                        rpc_hex_json(b.header.prev_hash, SHA256_LEN), "height",
                                        (json_int_t)height, "curtime", (json_int_t)b.header.time,
                                        "mintime", (json_int_t)mintime, "bits", bits, "target",
                                        target_hex, "transactions", txs, "coinbasevalue",
                                        (json_int_t)value, "sizelimit", (json_int_t)BLOCK_MAX_SIZE);
    block_clear(&b);
    return rpc_done(req, result, o);
}

/* ---- submitblock ------------------------------------------------------------ */

static bool rpc_submitblock(struct rpc_request *req, json_t **result)
{
    struct buf raw;
    buf_init(&raw);
    if (!rpc_param_hex(req, 0, &raw))
        return false;
    struct block b;
    block_init(&b);
    enum ser_err se = block_decode(raw.data, raw.len, &b);
    buf_clear(&raw);
    if (se != SER_OK) {
        block_clear(&b);
        return rpc_error(req, RPC_DESERIALIZATION_ERROR, "Block decode failed: %s",
                         ser_strerror(se));
    }
    uint8_t hash[SHA256_LEN];
    block_hash(&b, hash);
    char reason[256];
    struct node_ctx *ctx = req->node;
    pthread_mutex_lock(&ctx->lock);
    enum chain_result r = services_process_block(ctx, &b, NULL, reason, sizeof reason);
    bool is_tip = memcmp(chain_tip(services_chain(ctx))->hash, hash, SHA256_LEN) == 0;
    pthread_mutex_unlock(&ctx->lock);
    block_clear(&b);
    switch (r) {
    case CHAIN_OK:
        /* Stored on a side branch: valid as far as it could be checked. */
        *result = is_tip ? NULL : json_string("inconclusive");
        return true;
    case CHAIN_DUPLICATE:
    case CHAIN_INVALID:
    case CHAIN_ORPHAN:
        *result = json_string(reason);
        return true;
    case CHAIN_ERROR:
        break;
    }
    return rpc_error(req, RPC_MISC_ERROR, "Block could not be stored: %s", reason);
}

/* ---- getmininginfo ------------------------------------------------------------ */

static double mining_u256_double(const struct u256 *a)
{
    double d = 0;
    for (int i = 3; i >= 0; i--)
        d = d * 18446744073709551616.0 + (double)a->w[i];
    return d;
}

/* How many times harder than the easiest allowed target (1.0 on regtest). */
static double mining_difficulty(const struct chain_params *params, uint32_t bits)
{
    struct u256 limit, target;
    chainparams_pow_limit(params, &limit);
    if (pow_bits_to_target(bits, &target) != POW_OK || u256_is_zero(&target))
        return 0;
    return mining_u256_double(&limit) / mining_u256_double(&target);
}

static bool rpc_getmininginfo(struct rpc_request *req, json_t **result)
{
    struct node_ctx *ctx = req->node;
    pthread_mutex_lock(&ctx->lock);
    const struct blockindex_entry *tip = chain_tip(services_chain(ctx));
    uint64_t height = tip->height;
    uint32_t bits = tip->header.bits;
    size_t pooled = mempool_count(services_mempool(ctx));
    pthread_mutex_unlock(&ctx->lock);
    json_t *info = json_pack("{s:I,s:f,s:I,s:s,s:f,s:s}", "blocks", (json_int_t)height,
                             "difficulty", mining_difficulty(ctx->params, bits), "pooledtx",
                             (json_int_t)pooled, "chain", ctx->params->name, "networkhashps", 0.0,
                             "warnings", "");
    return rpc_done(req, result, info);
}

/* ---- table ---------------------------------------------------------------- */

static const struct rpc_method rpc_mining_methods[] = {
    {"mining", "generatetoaddress", rpc_generatetoaddress,
     "Mine blocks to an address now, with transactions from the mempool.",
     "Result: [\"blockhash\", ...] the hashes of the new blocks (fewer when maxtries ran out).",
     {{"nblocks", RPC_ARG_INT, false, "how many blocks to mine (0 to 1000000)"},
      {"address", RPC_ARG_STR, false, "the address the coinbases pay"},
      {"maxtries", RPC_ARG_INT, true, "nonces to try over all blocks (default 1000000)"}}},
    {"mining", "generateblock", rpc_generateblock,
     "Mine one block holding exactly the given transactions, in order.",
     "Each entry is the hex of a transaction or the txid of a mempool transaction.\n"
     "Result: {\"hash\": \"blockhash\"}",
     {{"address", RPC_ARG_STR, false, "the address the coinbase pays"},
      {"transactions", RPC_ARG_ARR, true, "raw transactions or mempool txids (default [])"}}},
    {"mining", "getblocktemplate", rpc_getblocktemplate,
     "A block template for external miners.",
     "Result: {version, previousblockhash, height, curtime, mintime, bits, target,\n"
     "transactions: [{data, txid, fee, size}], coinbasevalue, sizelimit}; fee and\n"
     "coinbasevalue in base units, as bitcoind.",
     {{"template_request", RPC_ARG_OBJ, true, "{\"mode\": \"template\"} (the only mode)"}}},
    {"mining", "submitblock", rpc_submitblock, "Submit a mined block.",
     "Result: null when the block became the tip, otherwise the reason: \"duplicate\",\n"
     "\"duplicate-invalid\", \"inconclusive\" (stored on a side branch),\n"
     "\"prev-blk-not-found\" or the rule it broke (\"high-hash\", \"bad-txnmrklroot\", ...).",
     {{"hexdata", RPC_ARG_HEX, false, "the block's hex"},
      {"dummy", RPC_ARG_ANY, true, "ignored (bitcoind compatibility)"}}},
    {"mining", "getmininginfo", rpc_getmininginfo, "Mining-related information.",
     "Result: {blocks, difficulty, pooledtx, chain, networkhashps, warnings}",
     {{NULL, 0, false, NULL}}},
};

bool rpc_mining_register(struct rpc_table *t, char *err, size_t errlen)
{
    return rpc_register_table(t, rpc_mining_methods,
                              sizeof rpc_mining_methods / sizeof rpc_mining_methods[0], err,
                              errlen);
}
