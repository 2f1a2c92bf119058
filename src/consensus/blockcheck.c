#include "consensus/blockcheck.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/account.h"
#include "consensus/coinbase.h"
#include "consensus/merkle.h"
#include "consensus/prologue.h"
#include "consensus/subsidy.h"
#include "consensus/txcheck.h"

static const struct {
    const char *reason;
    const char *text;
} blockerr_table[BLOCKERR_COUNT_] = {
    [BLOCKERR_OK] = {"ok", "no error"},
    [BLOCKERR_TOO_LARGE] = {"bad-blk-length", "the encoded block is larger than 4 MiB"},
    [BLOCKERR_CB_MISSING] = {"bad-cb-missing", "the first transaction is not a coinbase"},
    [BLOCKERR_CB_MULTIPLE] = {"bad-cb-multiple", "more than one coinbase"},
    [BLOCKERR_MERKLE] = {"bad-txnmrklroot", "the merkle root does not match the transactions"},
    [BLOCKERR_DUPLICATE_TX] = {"bad-txns-duplicate", "the same transaction appears twice"},
    [BLOCKERR_HIGH_HASH] = {"high-hash", "the proof of work does not meet the target"},
    [BLOCKERR_BAD_BITS] = {"bad-diffbits", "the bits are not what the difficulty rule requires"},
    [BLOCKERR_TIME_TOO_OLD] = {"time-too-old", "the time is not above the median of the previous 11 blocks"},
    [BLOCKERR_TIME_TOO_NEW] = {"time-too-new", "the time is more than 2 hours ahead of the node's clock"},
    [BLOCKERR_BAD_TX] = {"bad-txns", "a transaction is invalid"},
    [BLOCKERR_CB_HEIGHT] = {"bad-cb-height", "the coinbase nonce is not the block height"},
    [BLOCKERR_CB_AMOUNT] = {"bad-cb-amount", "the coinbase pays more than subsidy plus fees"},
    [BLOCKERR_STORAGE] = {"storage-error", "the state could not be read or written"},
};

const char *blockerr_reason(enum blockerr err)
{
    return (unsigned)err < BLOCKERR_COUNT_ ? blockerr_table[err].reason : "unknown-error";
}

const char *blockerr_strerror(enum blockerr err)
{
    return (unsigned)err < BLOCKERR_COUNT_ ? blockerr_table[err].text : "unknown error";
}

static bool fail(struct block_fault *f, enum blockerr err, enum txerr txerr, size_t index)
{
    f->err = err;
    f->txerr = txerr;
    f->tx_index = index;
    return false;
}

/* The fee and nonce every tx pays, then the type's effect, with the
 * payload decoded once and handed to apply. */
static enum txerr blockcheck_apply_decoded(struct state_view *v, const struct tx *tx,
                                           const struct txtype_def *def,
                                           const struct txpayload *p,
                                           const struct apply_ctx *ctx)
{
    uint8_t txid[SHA256_LEN];
    tx_txid(tx, txid);
    struct apply_ctx c = *ctx;
    c.txid = txid;
    c.payload = p;
    struct account sender;
    enum txerr err = account_get(v, tx->sender, &sender);
    if (err == TXERR_OK && tx->nonce != sender.nonce)
        err = TXERR_BAD_NONCE;
    if (err == TXERR_OK && sender.balance < tx->fee)
        err = TXERR_INSUFFICIENT_FUNDS;
    if (err == TXERR_OK) {
        sender.balance -= tx->fee;
        sender.nonce++;
        err = account_put(v, tx->sender, &sender);
    }
    if (err == TXERR_OK)
        err = def->apply(v, tx, &c);
    return err;
}

enum txerr blockcheck_apply_tx(struct state_view *v, const struct tx *tx, const struct apply_ctx *ctx)
{
    if (tx_is_coinbase(tx))
        return TXERR_COINBASE;
    const struct txtype_def *def = txtype_find(tx->type);
    if (def == NULL)
        return TXERR_UNKNOWN_TYPE;
    struct txpayload p;
    txpayload_init(&p);
    size_t sp = state_savepoint(v);
    /* apply runs on checked txs only: the payload is decoded again for it
     * (it is not kept between the check and here) but not re-verified. */
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    enum txerr err = txpayload_decode_checked(def->fields, def->n_fields, bytes, len, &p);
    if (err == TXERR_OK)
        err = blockcheck_apply_decoded(v, tx, def, &p, ctx);
    if (err != TXERR_OK)
        state_rollback(v, sp);
    txpayload_clear(&p);
    return err;
}

static int txid_cmp(const void *a, const void *b)
{
    return memcmp(a, b, SHA256_LEN);
}

bool blockcheck_block_frame(const struct block *b, const struct chain_params *params,
                            struct block_fault *fault)
{
    if (block_encoded_size(b) > BLOCK_MAX_SIZE)
        return fail(fault, BLOCKERR_TOO_LARGE, TXERR_OK, 0);
    struct u256 limit;
    chainparams_pow_limit(params, &limit);
    uint8_t hash[SHA256_LEN];
    block_hash(b, hash);
    if (pow_check(hash, b->header.bits, &limit) != POW_OK)
        return fail(fault, BLOCKERR_HIGH_HASH, TXERR_OK, 0);
    if (b->tx_count == 0 || !tx_is_coinbase(&b->txs[0]))
        return fail(fault, BLOCKERR_CB_MISSING, TXERR_OK, 0);
    for (size_t i = 1; i < b->tx_count; i++)
        if (tx_is_coinbase(&b->txs[i]))
            return fail(fault, BLOCKERR_CB_MULTIPLE, TXERR_OK, i);
    fault->err = BLOCKERR_OK;
    return true;
}

bool blockcheck_block_txids(const struct block *b, struct block_fault *fault)
{
    uint8_t (*txids)[SHA256_LEN] = malloc(b->tx_count * sizeof *txids);
    if (txids == NULL)
        return fail(fault, BLOCKERR_STORAGE, TXERR_OK, 0);
    for (size_t i = 0; i < b->tx_count; i++)
        tx_txid(&b->txs[i], txids[i]);
    uint8_t root[SHA256_LEN];
    merkle_root((const uint8_t(*)[SHA256_LEN])txids, b->tx_count, root);
    bool ok = memcmp(root, b->header.merkle_root, SHA256_LEN) == 0;
    if (!ok)
        fail(fault, BLOCKERR_MERKLE, TXERR_OK, 0);
    if (ok) {
        qsort(txids, b->tx_count, sizeof *txids, txid_cmp);
        for (size_t i = 1; ok && i < b->tx_count; i++)
            if (memcmp(txids[i - 1], txids[i], SHA256_LEN) == 0)
                ok = fail(fault, BLOCKERR_DUPLICATE_TX, TXERR_OK, 0);
    }
    free(txids);
    if (!ok)
        return false;
    fault->err = BLOCKERR_OK;
    return true;
}

bool blockcheck_block_rules(const struct block *b, const struct chain_params *params,
                            struct block_fault *fault)
{
    return blockcheck_block_frame(b, params, fault) && blockcheck_block_txids(b, fault);
}

bool blockcheck_stateless(const struct block *b, const struct chain_params *params,
                          struct block_fault *fault)
{
    if (!blockcheck_block_rules(b, params, fault))
        return false;
    for (size_t i = 0; i < b->tx_count; i++) {
        enum txerr err = txcheck_stateless_block(&b->txs[i], params->genesis.hash);
        if (err != TXERR_OK)
            return fail(fault, BLOCKERR_BAD_TX, err, i);
    }
    fault->err = BLOCKERR_OK;
    return true;
}

bool blockcheck_header_context(const struct block_header *h, const struct chain_params *params,
                               uint64_t parent_height, int64_t parent_time,
                               int64_t median_time_past, int64_t now, struct block_fault *fault)
{
    uint32_t bits;
    if (chainparams_next_bits(params, parent_height, parent_time, &bits) != POW_OK ||
        h->bits != bits)
        return fail(fault, BLOCKERR_BAD_BITS, TXERR_OK, 0);
    if (h->time > (uint64_t)INT64_MAX || (int64_t)h->time <= median_time_past)
        return fail(fault, BLOCKERR_TIME_TOO_OLD, TXERR_OK, 0);
    if ((int64_t)h->time > now + BLOCK_MAX_FUTURE_SECONDS)
        return fail(fault, BLOCKERR_TIME_TOO_NEW, TXERR_OK, 0);
    fault->err = BLOCKERR_OK;
    return true;
}

bool blockcheck_apply(struct state_view *v, const struct block *b, const struct apply_ctx *ctx,
                      struct block_fault *fault)
{
    enum txerr err = prologue_run(v, ctx);
    if (err != TXERR_OK)
        return fail(fault, BLOCKERR_STORAGE, err, 0);
    amount_t fees = 0;
    for (size_t i = 1; i < b->tx_count; i++) {
        err = blockcheck_apply_tx(v, &b->txs[i], ctx);
        if (err == TXERR_OK && !amount_add(fees, b->txs[i].fee, &fees))
            err = TXERR_AMOUNT_RANGE;
        if (err != TXERR_OK)
            return fail(fault, txerr_class(err) == TXCLASS_LOCAL ? BLOCKERR_STORAGE : BLOCKERR_BAD_TX,
                        err, i);
    }

    const struct tx *cb = &b->txs[0];
    if (cb->nonce != ctx->height)
        return fail(fault, BLOCKERR_CB_HEIGHT, TXERR_OK, 0);
    struct txpayload p;
    txpayload_init(&p);
    bool ok = txtype_decode_check(&coinbase_txtype, cb, &p, NULL) == TXERR_OK;
    if (!ok) {
        txpayload_clear(&p);
        return fail(fault, BLOCKERR_BAD_TX, TXERR_BAD_PAYLOAD, 0);
    }
    amount_t allowed;
    if (!amount_add(subsidy_at(ctx->height, ctx->params->halving_interval), fees, &allowed) ||
        p.v[1].u > allowed) {
        txpayload_clear(&p);
        return fail(fault, BLOCKERR_CB_AMOUNT, TXERR_OK, 0);
    }
    uint8_t txid[SHA256_LEN];
    tx_txid(cb, txid);
    struct apply_ctx c = *ctx;
    c.txid = txid;
    c.payload = &p;
    c.fees = fees;
    err = coinbase_txtype.apply(v, cb, &c);
    txpayload_clear(&p);
    if (err != TXERR_OK)
        return fail(fault, BLOCKERR_STORAGE, err, 0);
    fault->err = BLOCKERR_OK;
    return true;
}
