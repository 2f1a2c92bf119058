/* The signing service: build a tx of any type from one of the wallet's
 * keys, set its nonce and fee, sign it and hand it to the mempool. Part of
 * the wallet module: see wallet.h and wallet_impl.h. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "consensus/account.h"
#include "consensus/transfer.h"
#include "consensus/txsign.h"
#include "consensus/txtype.h"
#include "node/chain.h"
#include "node/mempool.h"
#include "node/services.h"
#include "util/grow.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/time.h"
#include "wallet/wallet_impl.h"

/* ---- fee estimate ------------------------------------------------------------ */

struct wallet_fee_item {
    amount_t fee;
    size_t size;
};

struct wallet_fee_ctx {
    struct wallet_fee_item *v;
    size_t n, cap;
    size_t bytes;
};

static bool wallet_fee_cb(void *ctx, const struct mempool_entry *e)
{
    struct wallet_fee_ctx *f = ctx;
    struct mempool_entry_info info;
    mempool_entry_get_info(e, &info);
    if (info.future || info.size == 0)
        return true;
    if (!grow_array((void **)&f->v, &f->cap, f->n + 1, sizeof *f->v, 256))
        return false;
    f->v[f->n].fee = info.fee;
    f->v[f->n].size = info.size;
    f->n++;
    f->bytes += info.size;
    return true;
}

static int wallet_fee_item_cmp(const void *a, const void *b)
{
    const struct wallet_fee_item *x = a, *y = b;
    /* Highest fee rate first. */
    return mempool_fee_rate_cmp(y->fee, y->size, x->fee, x->size);
}

/* The fee rate (units per byte) that gets a tx into the next block given
 * what waits in the mempool: 0 while everything waiting fits in half a
 * block; otherwise one more than the rate of the last tx that would still
 * fit in three quarters of one (room for the tx itself and late arrivals). */
static amount_t wallet_mempool_fee_rate(const struct mempool *pool)
{
    struct wallet_fee_ctx f = {NULL, 0, 0, 0};
    amount_t rate = 0;
    if (!mempool_for_each(pool, wallet_fee_cb, &f) || f.bytes <= BLOCK_MAX_SIZE / 2) {
        free(f.v);
        return 0;
    }
    qsort(f.v, f.n, sizeof *f.v, wallet_fee_item_cmp);
    size_t used = 0;
    for (size_t i = 0; i < f.n; i++) {
        used += f.v[i].size;
        if (used > BLOCK_MAX_SIZE / 4 * 3) {
            rate = (f.v[i].fee + f.v[i].size - 1) / f.v[i].size + 1;
            break;
        }
    }
    free(f.v);
    return rate;
}

/* ---- what each key can still spend ---------------------------------------------- */

struct wallet_pending_out {
    const struct wallet *w;
    amount_t *out; /* per key, in w->keys order */
};

static bool wallet_pending_out_cb(void *ctx, const struct mempool_entry *e)
{
    struct wallet_pending_out *p = ctx;
    const struct tx *tx = mempool_entry_tx(e);
    const struct wallet_key *k = wallet_find_key(p->w, tx->sender);
    if (k == NULL)
        return true;
    amount_t *slot = &p->out[k - p->w->keys];
    amount_t spent = tx->fee;
    if (tx->type == TX_TYPE_TRANSFER) {
        size_t len;
        const uint8_t *pl = tx_payload_bytes(tx, &len);
        struct transfer_payload tp;
        if (transfer_payload_decode(pl, len, &tp) == SER_OK)
            amount_add(spent, tp.amount, &spent);
    }
    if (!amount_add(*slot, spent, slot))
        *slot = AMOUNT_MAX;
    return true;
}

/* Fee for tx at rate, to a fixed point: the fee's own encoding counts. */
static bool wallet_set_fee(struct tx *tx, amount_t rate)
{
    tx->fee = 0;
    for (int i = 0; i < 4; i++) {
        amount_t fee;
        if (!amount_mul(rate, tx_encoded_size(tx), &fee))
            return false;
        if (fee == tx->fee)
            return true;
        tx->fee = fee;
    }
    amount_t fee;
    return amount_mul(rate, tx_encoded_size(tx), &fee) && fee <= tx->fee;
}

static void wallet_reason(struct wallet_send_result *res, const char *s)
{
    snprintf(res->reason, sizeof res->reason, "%s", s);
}

/* The fee rate a send pays: the request's, or the estimate (never below
 * the mempool's minimum). */
static amount_t wallet_rate(struct mempool *pool, amount_t requested)
{
    if (requested != 0)
        return requested;
    amount_t rate = wallet_mempool_fee_rate(pool);
    return rate < mempool_min_fee_rate(pool) ? mempool_min_fee_rate(pool) : rate;
}

/* The largest fee tx can need at rate, whatever key and nonce pay it: sizes
 * only grow with a longer nonce, so it is measured with the longest. */
static bool wallet_fee_bound(struct tx *tx, amount_t rate, amount_t *out)
{
    tx->nonce = UINT64_MAX;
    if (!wallet_set_fee(tx, rate))
        return false;
    *out = tx->fee;
    return true;
}

/* What each key can spend now, in w->keys order: its balance at the tip
 * less what its mempool txs spend. */
static enum wallet_err wallet_key_avail_locked(struct wallet *w, amount_t *avail)
{
    struct node_ctx *node = w->node;
    memset(avail, 0, (w->n_keys ? w->n_keys : 1) * sizeof *avail);
    struct wallet_pending_out po = {w, avail};
    if (!mempool_for_each(services_mempool(node), wallet_pending_out_cb, &po))
        return WALLET_ERR_NOMEM;
    struct state_backend be;
    chain_tip_backend(services_chain(node), &be);
    struct state_view v;
    state_view_init(&v, &be);
    enum wallet_err r = WALLET_OK;
    for (size_t i = 0; i < w->n_keys; i++) {
        struct account a;
        if (account_get(&v, w->keys[i].pub, &a) != TXERR_OK) {
            r = WALLET_ERR_DB;
            break;
        }
        avail[i] = a.balance > avail[i] ? a.balance - avail[i] : 0;
    }
    state_view_clear(&v);
    return r;
}

/* Records in res what the wallet could have spent, for the error. */
static void wallet_note_funds(const struct wallet *w, const amount_t *avail,
                              struct wallet_send_result *res)
{
    res->available = 0;
    res->largest = 0;
    for (size_t i = 0; i < w->n_keys; i++) {
        if (!amount_add(res->available, avail[i], &res->available))
            res->available = AMOUNT_MAX;
        if (avail[i] > res->largest)
            res->largest = avail[i];
    }
}

/* Sets tx's sender (key k), its next nonce and fee (fixed when fee is not
 * 0, else at rate), checks the payload and signs. */
static enum wallet_err wallet_sign_locked(struct wallet *w, const struct wallet_key *k,
                                          amount_t fee, amount_t rate, struct tx *tx,
                                          struct wallet_send_result *res)
{
    struct node_ctx *node = w->node;
    uint64_t nonce;
    if (!mempool_next_nonce(services_mempool(node), k->pub, &nonce))
        return WALLET_ERR_DB;
    memcpy(tx->sender, k->pub, 32);
    tx->nonce = nonce;
    if (fee != 0)
        tx->fee = fee;
    else if (!wallet_set_fee(tx, rate))
        return WALLET_ERR_INVALID_AMOUNT;

    const struct txtype_def *def = txtype_find(tx->type);
    struct txpayload decoded;
    txpayload_init(&decoded);
    enum txerr te = txtype_decode_check(def, tx, &decoded, NULL);
    txpayload_clear(&decoded);
    if (te != TXERR_OK) {
        snprintf(res->reason, sizeof res->reason, "%.48s: %.70s", txerr_reason(te),
                 txerr_strerror(te));
        return WALLET_ERR_BAD_PARAMETER;
    }
    uint8_t secret[32];
    enum wallet_err r = wallet_get_secret_locked(w, k->pub, secret);
    if (r == WALLET_OK && !txsign_sign(tx, secret, node->params->genesis.hash))
        r = WALLET_ERR_CORRUPT;
    OPENSSL_cleanse(secret, sizeof secret);
    return r;
}

/* Inside the chain lock and the wallet lock: picks the key (from, or the
 * one with the most to spend that covers spend and fee), nonce and fee,
 * signs. */
static enum wallet_err wallet_build_locked(struct wallet *w, const struct wallet_send_request *req,
                                           const uint8_t *from, struct tx *tx,
                                           struct wallet_send_result *res)
{
    if (w->encrypted && !w->unlocked)
        return WALLET_ERR_LOCKED;
    const struct wallet_key *chosen = NULL;
    if (from != NULL && (chosen = wallet_find_key(w, from)) == NULL)
        return WALLET_ERR_NOT_MINE;
    amount_t rate = wallet_rate(services_mempool(w->node), req->fee_rate);
    amount_t fee_bound = req->fee, need;
    if (fee_bound == 0 && !wallet_fee_bound(tx, rate, &fee_bound))
        return WALLET_ERR_INVALID_AMOUNT;
    if (!amount_add(req->spend, fee_bound, &need))
        return WALLET_ERR_INVALID_AMOUNT;

    amount_t *avail = calloc(w->n_keys ? w->n_keys : 1, sizeof *avail);
    if (avail == NULL)
        return WALLET_ERR_NOMEM;
    enum wallet_err r = wallet_key_avail_locked(w, avail);
    const struct wallet_key *best = NULL;
    for (size_t i = 0; r == WALLET_OK && i < w->n_keys; i++) {
        const struct wallet_key *k = &w->keys[i];
        if ((chosen == NULL || k == chosen) && avail[i] >= need &&
            (best == NULL || avail[i] > avail[best - w->keys]))
            best = k;
    }
    if (r == WALLET_OK && best == NULL) {
        wallet_note_funds(w, avail, res);
        res->needed = need;
        if (chosen != NULL)
            res->largest = avail[chosen - w->keys];
        r = WALLET_ERR_INSUFFICIENT_FUNDS;
    }
    free(avail);
    if (r == WALLET_OK)
        r = wallet_sign_locked(w, best, req->fee, rate, tx, res);
    if (r == WALLET_OK) {
        res->fee = tx->fee;
        address_encode(w->node->params->hrp, best->pub, res->from, sizeof res->from);
    }
    return r;
}

void wallet_send_result_clear(struct wallet_send_result *res)
{
    if (res == NULL)
        return;
    free(res->hex);
    for (size_t i = 0; i < res->n_txs; i++)
        free(res->txs[i].hex);
    free(res->txs);
    res->hex = NULL;
    res->txs = NULL;
    res->n_txs = 0;
}

/* After a failure: nothing signed is kept, what explains it is. */
static void wallet_result_failed(struct wallet_send_result *res)
{
    struct wallet_send_result keep;
    memset(&keep, 0, sizeof keep);
    memcpy(keep.reason, res->reason, sizeof keep.reason);
    keep.available = res->available;
    keep.largest = res->largest;
    keep.needed = res->needed;
    wallet_send_result_clear(res);
    *res = keep;   /* and the first tx's txid and fee are forgotten */
}

/* Adds tx to res->txs (txid, hex, fee, sender, amount); the first also
 * fills the single-tx fields. */
static enum wallet_err wallet_result_add(const struct wallet *w, const struct tx *tx,
                                         amount_t amount, struct wallet_send_result *res)
{
    struct wallet_payment *grown = realloc(res->txs, (res->n_txs + 1) * sizeof *grown);
    if (grown == NULL)
        return WALLET_ERR_NOMEM;
    res->txs = grown;
    struct wallet_payment *pay = &res->txs[res->n_txs];
    memset(pay, 0, sizeof *pay);
    struct buf raw;
    buf_init(&raw);
    if (!tx_encode(tx, &raw) || (pay->hex = malloc(raw.len * 2 + 1)) == NULL) {
        buf_clear(&raw);
        return WALLET_ERR_NOMEM;
    }
    hex_encode(raw.data, raw.len, pay->hex);
    buf_clear(&raw);
    tx_txid(tx, pay->txid);
    pay->fee = tx->fee;
    pay->amount = amount;
    address_encode(w->node->params->hrp, tx->sender, pay->from, sizeof pay->from);
    res->n_txs++;
    if (!amount_add(res->total_fee, tx->fee, &res->total_fee))
        return WALLET_ERR_INVALID_AMOUNT;
    if (res->n_txs == 1) {
        if ((res->hex = strdup(pay->hex)) == NULL)
            return WALLET_ERR_NOMEM;
        memcpy(res->txid, pay->txid, sizeof res->txid);
        res->fee = pay->fee;
        memcpy(res->from, pay->from, sizeof res->from);
    }
    return WALLET_OK;
}

/* Inside the chain lock: every tx of res to the mempool, or none. Each is
 * checked first (they come from different keys, so one's check does not
 * depend on another's accept). */
static enum wallet_err wallet_broadcast_locked(struct node_ctx *node, struct tx *txs, size_t n,
                                               struct wallet_send_result *res)
{
    struct mempool *pool = services_mempool(node);
    struct mempool_accept_info info;
    for (size_t i = 0; i < n; i++) {
        memset(&info, 0, sizeof info);
        enum mempool_err me = mempool_check(pool, &txs[i], time_now(), &info);
        if (me == MEMPOOL_ERR_NOMEM)
            return WALLET_ERR_NOMEM;
        if (me != MEMPOOL_OK) {
            if (n > 1)
                snprintf(res->reason, sizeof res->reason, "%s (the transfer from %s; none sent)",
                         mempool_reject_reason(me, &info), res->txs[i].from);
            else
                wallet_reason(res, mempool_reject_reason(me, &info));
            return WALLET_ERR_REJECTED;
        }
    }
    for (size_t i = 0; i < n; i++) {
        memset(&info, 0, sizeof info);
        enum mempool_err me = services_accept_tx(node, &txs[i], &info);
        if (me == MEMPOOL_OK)
            continue;
        /* Only a pool that filled between the check and here gets this far. */
        if (i > 0)
            snprintf(res->reason, sizeof res->reason, "%s (%zu of %zu transfers were sent)",
                     mempool_reject_reason(me, &info), i, n);
        else
            wallet_reason(res, mempool_reject_reason(me, &info));
        return me == MEMPOOL_ERR_NOMEM ? WALLET_ERR_NOMEM : WALLET_ERR_REJECTED;
    }
    return WALLET_OK;
}

enum wallet_err wallet_create_transaction(struct wallet *w, const struct wallet_send_request *req,
                                          struct wallet_send_result *res)
{
    if (req == NULL || res == NULL)
        return WALLET_ERR_BAD_PARAMETER;
    memset(res, 0, sizeof *res);
    const struct txtype_def *def = txtype_find(req->type);
    if (def == NULL || req->type == TX_TYPE_COINBASE) {
        wallet_reason(res, "unknown or unsignable transaction type");
        return WALLET_ERR_BAD_PARAMETER;
    }
    if (!amount_valid(req->spend) || !amount_valid(req->fee) || !amount_valid(req->fee_rate))
        return WALLET_ERR_INVALID_AMOUNT;
    struct node_ctx *node = w->node;
    uint8_t from[32];
    if (req->from != NULL && address_decode(node->params->hrp, req->from, from) != ADDRESS_OK)
        return WALLET_ERR_INVALID_ADDRESS;
    struct tx tx;
    tx_init(&tx);
    tx.type = req->type;
    if ((req->payload == NULL && req->payload_len > 0) ||
        (req->payload_len > 0 && tx_set_payload(&tx, req->payload, req->payload_len) != SER_OK)) {
        wallet_reason(res, "the payload is not one canonical msgpack array");
        tx_clear(&tx);
        return WALLET_ERR_BAD_PARAMETER;
    }

    /* Chain lock first, wallet lock inside it, the wallet lock released
     * before the mempool accepts: its listener takes the wallet lock. The
     * chain lock held throughout makes the nonce and the accept one step,
     * so sends in a row from one key get consecutive nonces. */
    pthread_mutex_lock(&node->lock);
    enum wallet_err r = wallet_enter(w);
    if (r == WALLET_OK) {
        r = wallet_build_locked(w, req, req->from != NULL ? from : NULL, &tx, res);
        wallet_leave(w);
    }
    if (r == WALLET_OK)
        r = wallet_result_add(w, &tx, req->spend, res);
    if (r == WALLET_OK && req->broadcast)
        r = wallet_broadcast_locked(node, &tx, 1, res);
    pthread_mutex_unlock(&node->lock);
    tx_clear(&tx);
    if (r != WALLET_OK) {
        wallet_result_failed(res);
    } else {
        LOG_DEBUG(LOG_CAT_WALLET, "wallet %s: signed a type %llu tx from %s, fee %llu%s",
                  w->name, (unsigned long long)req->type, res->from,
                  (unsigned long long)res->fee, req->broadcast ? ", sent to the mempool" : "");
    }
    return r;
}

/* A transfer of amount to `to` with the memo, fee unset. */
static enum wallet_err wallet_transfer_tx(const uint8_t to[32], amount_t amount,
                                          const uint8_t *memo, size_t memo_len, struct tx *tx)
{
    struct transfer_payload p;
    memset(&p, 0, sizeof p);
    memcpy(p.to, to, sizeof p.to);
    p.amount = amount;
    if (memo_len > 0)
        memcpy(p.memo, memo, memo_len);
    p.memo_len = memo_len;
    struct buf payload;
    buf_init(&payload);
    enum wallet_err r = WALLET_OK;
    tx->type = TX_TYPE_TRANSFER;
    if (!transfer_payload_encode(&p, &payload) ||
        tx_set_payload(tx, payload.data, payload.len) != SER_OK)
        r = WALLET_ERR_NOMEM;
    buf_clear(&payload);
    return r;
}

struct wallet_payer {
    const struct wallet_key *key;
    amount_t avail;
};

static int wallet_payer_cmp(const void *a, const void *b)
{
    const struct wallet_payer *x = a, *y = b;
    if (x->avail != y->avail)
        return x->avail > y->avail ? -1 : 1;
    return memcmp(x->key->pub, y->key->pub, 32);
}

/* Inside the chain lock and the wallet lock: the payers of amount and what
 * each pays. One key when one covers amount and fee (the one with the most);
 * otherwise the keys with the most, each paying what it has beyond its
 * fee, until the amount is made up. Signs each transfer into txs[]. */
static enum wallet_err wallet_pay_locked(struct wallet *w, const uint8_t to[32], amount_t amount,
                                         const uint8_t *memo, size_t memo_len, amount_t fee_rate,
                                         struct tx **txs_out, size_t *n_out,
                                         struct wallet_send_result *res)
{
    if (w->encrypted && !w->unlocked)
        return WALLET_ERR_LOCKED;
    amount_t rate = wallet_rate(services_mempool(w->node), fee_rate);
    struct tx probe;
    tx_init(&probe);
    amount_t fee_bound;
    enum wallet_err r = wallet_transfer_tx(to, AMOUNT_MAX, memo, memo_len, &probe);
    if (r == WALLET_OK && !wallet_fee_bound(&probe, rate, &fee_bound))
        r = WALLET_ERR_INVALID_AMOUNT;
    tx_clear(&probe);
    if (r != WALLET_OK)
        return r;

    size_t nk = w->n_keys ? w->n_keys : 1;
    amount_t *avail = calloc(nk, sizeof *avail);
    struct wallet_payer *payers = calloc(nk, sizeof *payers);
    amount_t *parts = calloc(nk, sizeof *parts);
    if (avail == NULL || payers == NULL || parts == NULL)
        r = WALLET_ERR_NOMEM;
    if (r == WALLET_OK)
        r = wallet_key_avail_locked(w, avail);
    size_t n = 0;
    amount_t need;
    if (r == WALLET_OK && !amount_add(amount, fee_bound, &need))
        r = WALLET_ERR_INVALID_AMOUNT;
    if (r == WALLET_OK) {
        for (size_t i = 0; i < w->n_keys; i++)
            payers[i] = (struct wallet_payer){&w->keys[i], avail[i]};
        qsort(payers, w->n_keys, sizeof *payers, wallet_payer_cmp);
        amount_t left = amount;
        for (size_t i = 0; i < w->n_keys && left > 0 && payers[i].avail > fee_bound; i++) {
            amount_t part = payers[i].avail - fee_bound;
            parts[n++] = part < left ? part : left;
            left -= parts[n - 1];
        }
        if (left > 0) {
            wallet_note_funds(w, avail, res);
            res->needed = need;
            r = WALLET_ERR_INSUFFICIENT_FUNDS;
        }
    }
    struct tx *txs = NULL;
    if (r == WALLET_OK && (txs = calloc(n, sizeof *txs)) == NULL)
        r = WALLET_ERR_NOMEM;
    size_t made = 0;
    for (; r == WALLET_OK && made < n; made++) {
        tx_init(&txs[made]);
        r = wallet_transfer_tx(to, parts[made], memo, memo_len, &txs[made]);
        if (r == WALLET_OK)
            r = wallet_sign_locked(w, payers[made].key, 0, rate, &txs[made], res);
    }
    free(avail);
    free(payers);
    if (r == WALLET_OK) {
        for (size_t i = 0; r == WALLET_OK && i < n; i++)
            r = wallet_result_add(w, &txs[i], parts[i], res);
    }
    free(parts);
    if (r != WALLET_OK) {
        for (size_t i = 0; i < made; i++)
            tx_clear(&txs[i]);
        free(txs);
        return r;
    }
    *txs_out = txs;
    *n_out = n;
    return WALLET_OK;
}

enum wallet_err wallet_send_to_address(struct wallet *w, const char *address, amount_t amount,
                                       const uint8_t *memo, size_t memo_len, amount_t fee_rate,
                                       struct wallet_send_result *res)
{
    if (res == NULL)
        return WALLET_ERR_BAD_PARAMETER;
    memset(res, 0, sizeof *res);
    uint8_t to[32];
    if (address == NULL || address_decode(w->node->params->hrp, address, to) != ADDRESS_OK)
        return WALLET_ERR_INVALID_ADDRESS;
    return wallet_pay(w, to, amount, memo, memo_len, fee_rate, true, res);
}

enum wallet_err wallet_pay(struct wallet *w, const uint8_t to[32], amount_t amount,
                           const uint8_t *memo, size_t memo_len, amount_t fee_rate, bool broadcast,
                           struct wallet_send_result *res)
{
    if (res == NULL)
        return WALLET_ERR_BAD_PARAMETER;
    memset(res, 0, sizeof *res);
    if (amount == 0 || !amount_valid(amount) || !amount_valid(fee_rate))
        return WALLET_ERR_INVALID_AMOUNT;
    if (memo_len > TRANSFER_MEMO_MAX || (memo == NULL && memo_len > 0)) {
        wallet_reason(res, "memo over 256 bytes");
        return WALLET_ERR_BAD_PARAMETER;
    }
    struct node_ctx *node = w->node;
    struct tx *txs = NULL;
    size_t n = 0;
    pthread_mutex_lock(&node->lock);
    enum wallet_err r = wallet_enter(w);
    if (r == WALLET_OK) {
        r = wallet_pay_locked(w, to, amount, memo, memo_len, fee_rate, &txs, &n, res);
        wallet_leave(w);
    }
    if (r == WALLET_OK && broadcast)
        r = wallet_broadcast_locked(node, txs, n, res);
    pthread_mutex_unlock(&node->lock);
    for (size_t i = 0; i < n; i++)
        tx_clear(&txs[i]);
    free(txs);
    if (r != WALLET_OK) {
        wallet_result_failed(res);
    } else {
        LOG_DEBUG(LOG_CAT_WALLET, "wallet %s: %s %llu in %zu transfer%s, fees %llu", w->name,
                  broadcast ? "paid" : "signed a payment of", (unsigned long long)amount, n,
                  n == 1 ? "" : "s", (unsigned long long)res->total_fee);
    }
    return r;
}
