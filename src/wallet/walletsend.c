/* The signing service: build a tx of any type from one of the wallet's
 * keys, set its nonce and fee, sign it and hand it to the mempool. Part of
 * the wallet module: see wallet.h and wallet_impl.h. */
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

/* Inside the chain lock and the wallet lock: picks the key, nonce and fee,
 * signs. */
static enum wallet_err wallet_build_locked(struct wallet *w, const struct wallet_send_request *req,
                                           const uint8_t *from, struct tx *tx,
                                           struct wallet_send_result *res)
{
    struct node_ctx *node = w->node;
    struct mempool *pool = services_mempool(node);
    if (w->encrypted && !w->unlocked)
        return WALLET_ERR_LOCKED;
    const struct wallet_key *chosen = NULL;
    if (from != NULL && (chosen = wallet_find_key(w, from)) == NULL)
        return WALLET_ERR_NOT_MINE;

    amount_t rate = req->fee_rate;
    if (rate == 0) {
        rate = wallet_mempool_fee_rate(pool);
        if (rate < mempool_min_fee_rate(pool))
            rate = mempool_min_fee_rate(pool);
    }
    /* The largest the fee can be, whatever key and nonce: sizes only grow
     * with a longer nonce, so estimate with the longest one. */
    amount_t fee_bound = req->fee;
    tx->nonce = UINT64_MAX;
    if (fee_bound == 0 && !wallet_set_fee(tx, rate))
        return WALLET_ERR_INVALID_AMOUNT;
    if (fee_bound == 0)
        fee_bound = tx->fee;
    amount_t need;
    if (!amount_add(req->spend, fee_bound, &need))
        return WALLET_ERR_INVALID_AMOUNT;

    amount_t *pending = calloc(w->n_keys ? w->n_keys : 1, sizeof *pending);
    if (pending == NULL)
        return WALLET_ERR_NOMEM;
    struct wallet_pending_out po = {w, pending};
    mempool_for_each(pool, wallet_pending_out_cb, &po);
    struct state_backend be;
    chain_tip_backend(services_chain(node), &be);
    struct state_view v;
    state_view_init(&v, &be);
    enum wallet_err r = WALLET_OK;
    amount_t best_avail = 0;
    const struct wallet_key *best = NULL;
    for (size_t i = 0; i < w->n_keys; i++) {
        const struct wallet_key *k = &w->keys[i];
        if (chosen != NULL && k != chosen)
            continue;
        struct account a;
        if (account_get(&v, k->pub, &a) != TXERR_OK) {
            r = WALLET_ERR_DB;
            break;
        }
        amount_t avail = a.balance > pending[i] ? a.balance - pending[i] : 0;
        if (avail >= need && (best == NULL || avail > best_avail)) {
            best = k;
            best_avail = avail;
        }
    }
    state_view_clear(&v);
    free(pending);
    if (r != WALLET_OK)
        return r;
    if (best == NULL)
        return WALLET_ERR_INSUFFICIENT_FUNDS;

    uint64_t nonce;
    if (!mempool_next_nonce(pool, best->pub, &nonce))
        return WALLET_ERR_DB;
    memcpy(tx->sender, best->pub, 32);
    tx->nonce = nonce;
    if (req->fee != 0)
        tx->fee = req->fee;
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
    r = wallet_get_secret_locked(w, best->pub, secret);
    if (r == WALLET_OK && !txsign_sign(tx, secret, node->params->genesis.hash))
        r = WALLET_ERR_CORRUPT;
    OPENSSL_cleanse(secret, sizeof secret);
    if (r == WALLET_OK) {
        res->fee = tx->fee;
        address_encode(node->params->hrp, best->pub, res->from, sizeof res->from);
    }
    return r;
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
    struct buf raw;
    buf_init(&raw);
    if (r == WALLET_OK && !tx_encode(&tx, &raw))
        r = WALLET_ERR_NOMEM;
    if (r == WALLET_OK) {
        tx_txid(&tx, res->txid);
        res->hex = malloc(raw.len * 2 + 1);
        if (res->hex == NULL)
            r = WALLET_ERR_NOMEM;
        else
            hex_encode(raw.data, raw.len, res->hex);
    }
    if (r == WALLET_OK && req->broadcast) {
        struct mempool_accept_info info;
        memset(&info, 0, sizeof info);
        enum mempool_err me = services_accept_tx(node, &tx, &info);
        if (me == MEMPOOL_ERR_NOMEM) {
            r = WALLET_ERR_NOMEM;
        } else if (me != MEMPOOL_OK) {
            wallet_reason(res, mempool_reject_reason(me, &info));
            r = WALLET_ERR_REJECTED;
        }
    }
    pthread_mutex_unlock(&node->lock);
    buf_clear(&raw);
    tx_clear(&tx);
    if (r != WALLET_OK) {
        free(res->hex);
        res->hex = NULL;
    } else {
        LOG_DEBUG(LOG_CAT_WALLET, "wallet %s: signed a type %llu tx from %s, fee %llu%s",
                  w->name, (unsigned long long)req->type, res->from,
                  (unsigned long long)res->fee, req->broadcast ? ", sent to the mempool" : "");
    }
    return r;
}

enum wallet_err wallet_send_to_address(struct wallet *w, const char *address, amount_t amount,
                                       const uint8_t *memo, size_t memo_len, amount_t fee_rate,
                                       struct wallet_send_result *res)
{
    if (res == NULL)
        return WALLET_ERR_BAD_PARAMETER;
    memset(res, 0, sizeof *res);
    struct transfer_payload p;
    memset(&p, 0, sizeof p);
    if (address == NULL || address_decode(w->node->params->hrp, address, p.to) != ADDRESS_OK)
        return WALLET_ERR_INVALID_ADDRESS;
    if (amount == 0 || !amount_valid(amount))
        return WALLET_ERR_INVALID_AMOUNT;
    if (memo_len > TRANSFER_MEMO_MAX || (memo == NULL && memo_len > 0)) {
        wallet_reason(res, "memo over 256 bytes");
        return WALLET_ERR_BAD_PARAMETER;
    }
    p.amount = amount;
    if (memo_len > 0)
        memcpy(p.memo, memo, memo_len);
    p.memo_len = memo_len;
    struct buf payload;
    buf_init(&payload);
    if (!transfer_payload_encode(&p, &payload)) {
        buf_clear(&payload);
        return WALLET_ERR_NOMEM;
    }
    struct wallet_send_request req = {
        .type = TX_TYPE_TRANSFER,
        .payload = payload.data,
        .payload_len = payload.len,
        .from = NULL,
        .spend = amount,
        .fee = 0,
        .fee_rate = fee_rate,
        .broadcast = true,
    };
    enum wallet_err r = wallet_create_transaction(w, &req, res);
    buf_clear(&payload);
    return r;
}
