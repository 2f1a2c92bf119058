/* How a wallet follows the chain: recording the txs touching its keys from
 * connected blocks and the mempool, rescans, balances and the history as
 * callers see it. Part of the wallet module: see wallet.h, wallet_impl.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/account.h"
#include "consensus/coinbase.h"
#include "consensus/transfer.h"
#include "consensus/txtype.h"
#include "node/chain.h"
#include "node/mempool.h"
#include "node/services.h"
#include "util/grow.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/notify.h"
#include "util/time.h"
#include "wallet/wallet_impl.h"

/* The wallet keys a tx touches (sender, recipient, counterparties). */
struct wallet_touched {
    uint8_t keys[TXTYPE_MAX_COUNTERPARTIES + 2][32];
    size_t n;
};

static void wallet_touch(struct wallet_touched *m, const uint8_t pub[32])
{
    for (size_t i = 0; i < m->n; i++)
        if (memcmp(m->keys[i], pub, 32) == 0)
            return;
    if (m->n < sizeof m->keys / sizeof m->keys[0])
        memcpy(m->keys[m->n++], pub, 32);
}

static void wallet_addr(const struct wallet *w, const uint8_t pub[32], char *out, size_t outlen)
{
    if (address_encode(w->node->params->hrp, pub, out, outlen) != ADDRESS_OK)
        out[0] = '\0';
}

/* What tx does to the wallet. False when it touches none of its keys (or
 * its payload does not decode, which a checked tx never does). */
static bool wallet_classify_locked(struct wallet *w, const struct tx *tx, struct walletdb_tx *t,
                                   struct wallet_touched *mine)
{
    memset(t, 0, sizeof *t);
    mine->n = 0;
    size_t plen;
    const uint8_t *payload = tx_payload_bytes(tx, &plen);
    tx_txid(tx, t->txid);
    t->type = tx->type;
    if (tx_is_coinbase(tx)) {
        struct coinbase_payload cp;
        if (coinbase_payload_decode(payload, plen, &cp) != SER_OK ||
            wallet_find_key(w, cp.recipient) == NULL)
            return false;
        t->coinbase = true;
        t->in = cp.amount;
        snprintf(t->category, sizeof t->category, "generate");
        wallet_addr(w, cp.recipient, t->address, sizeof t->address);
        wallet_touch(mine, cp.recipient);
        return true;
    }
    bool sender_mine = wallet_find_key(w, tx->sender) != NULL;
    if (sender_mine) {
        wallet_touch(mine, tx->sender);
        t->fee = tx->fee;
    }
    if (tx->type == TX_TYPE_TRANSFER) {
        struct transfer_payload tp;
        if (transfer_payload_decode(payload, plen, &tp) != SER_OK)
            return false;
        bool to_mine = wallet_find_key(w, tp.to) != NULL;
        if (!sender_mine && !to_mine)
            return false;
        if (to_mine)
            wallet_touch(mine, tp.to);
        if (sender_mine && to_mine) {
            snprintf(t->category, sizeof t->category, "self");
        } else if (sender_mine) {
            snprintf(t->category, sizeof t->category, "send");
            t->out = tp.amount;
        } else {
            snprintf(t->category, sizeof t->category, "receive");
            t->in = tp.amount;
        }
        wallet_addr(w, sender_mine ? tx->sender : tp.to, t->address, sizeof t->address);
        wallet_addr(w, sender_mine ? tp.to : tx->sender, t->counterparty,
                    sizeof t->counterparty);
        return true;
    }
    /* Any other type: the wallet pays its fee when it sends it; what else it
     * moves (escrow, ...) is the type's business, shown by its plugin. */
    uint8_t cps[TXTYPE_MAX_COUNTERPARTIES][32];
    size_t n = txtype_tx_counterparties(tx, cps, TXTYPE_MAX_COUNTERPARTIES);
    const uint8_t *first_mine = NULL, *first_other = NULL;
    for (size_t i = 0; i < n; i++) {
        if (wallet_find_key(w, cps[i]) != NULL) {
            wallet_touch(mine, cps[i]);
            if (first_mine == NULL)
                first_mine = cps[i];
        } else if (first_other == NULL) {
            first_other = cps[i];
        }
    }
    if (!sender_mine && first_mine == NULL)
        return false;
    snprintf(t->category, sizeof t->category, "other");
    wallet_addr(w, sender_mine ? tx->sender : first_mine, t->address, sizeof t->address);
    const uint8_t *other = sender_mine ? first_other : tx->sender;
    if (other != NULL)
        wallet_addr(w, other, t->counterparty, sizeof t->counterparty);
    return true;
}

/* -walletnotify, as bitcoind: once when a tx first enters the wallet (from
 * the mempool, or from a block when it was not seen before) and once when
 * it is confirmed in a block it was not confirmed in before (mined, or
 * mined again on the other branch of a reorg). Replaying a block the wallet
 * already recorded, as a rescan or a restart does, announces nothing. The
 * notice waits for the db transaction to commit. */
static void wallet_notice_due_locked(struct wallet *w, const struct walletdb_tx *t)
{
    if (w->notify == NULL)
        return;
    struct walletdb_tx old;
    bool found = false;
    if (walletdb_tx_get(w->db, t->txid, &old, NULL, &found) != WALLET_OK)
        return;
    if (found && (!t->confirmed ||
                  (old.confirmed && memcmp(old.block_hash, t->block_hash, 32) == 0)))
        return;
    if (!grow_array((void **)&w->notices, &w->cap_notices, w->n_notices + 1, sizeof *w->notices,
                    8)) {
        LOG_WARN(LOG_CAT_WALLET, "wallet %s: out of memory; -walletnotify skipped", w->name);
        return;
    }
    struct wallet_notice *n = &w->notices[w->n_notices++];
    memcpy(n->txid, t->txid, 32);
    n->confirmed = t->confirmed;
    memcpy(n->block_hash, t->block_hash, 32);
    n->height = t->height;
}

/* Runs the notices of a db transaction that just committed: %s the txid,
 * %w the wallet's name, %b the block hash or "unconfirmed", %h the height
 * or -1 (bitcoind's placeholders). */
static void wallet_notice_flush_locked(struct wallet *w)
{
    for (size_t i = 0; i < w->n_notices; i++) {
        const struct wallet_notice *n = &w->notices[i];
        char txid[65], block[65], height[24];
        hex_encode(n->txid, 32, txid);
        if (n->confirmed) {
            hex_encode(n->block_hash, 32, block);
            snprintf(height, sizeof height, "%llu", (unsigned long long)n->height);
        } else {
            snprintf(block, sizeof block, "unconfirmed");
            snprintf(height, sizeof height, "-1");
        }
        const struct notify_subst s[] = {
            {'s', txid, false}, {'w', w->name, true}, {'b', block, false}, {'h', height, false}};
        notify_run(w->node->notify, "-walletnotify", w->notify, s, 4);
    }
    w->n_notices = 0;
}

/* Classifies and, if it touches the wallet, stores tx (inside a db txn). */
static enum wallet_err wallet_record_locked(struct wallet *w, const struct tx *tx,
                                            const struct wallet_blockpos *e, uint32_t position,
                                            size_t *recorded)
{
    struct walletdb_tx t;
    struct wallet_touched mine;
    if (!wallet_classify_locked(w, tx, &t, &mine))
        return WALLET_OK;
    (*recorded)++;
    t.time_seen = time_now();
    if (e != NULL) {
        t.confirmed = true;
        t.height = e->height;
        memcpy(t.block_hash, e->hash, 32);
        t.position = position;
        t.block_time = e->time;
    }
    wallet_notice_due_locked(w, &t);
    struct buf raw;
    buf_init(&raw);
    enum wallet_err r = tx_encode(tx, &raw) ? walletdb_tx_put(w->db, &t, raw.data, raw.len)
                                            : WALLET_ERR_NOMEM;
    buf_clear(&raw);
    /* A key seen on the chain counts as handed out (the seed may be in use
     * on another node too), so new addresses move past it. */
    for (size_t i = 0; r == WALLET_OK && i < mine.n; i++)
        r = wallet_mark_used_locked(w, mine.keys[i], NULL);
    return r;
}

static enum wallet_err wallet_set_best_locked(struct wallet *w, const uint8_t hash[32],
                                              uint64_t height)
{
    enum wallet_err r = walletdb_meta_put_blob(w->db, "best_hash", hash, 32);
    return r == WALLET_OK ? walletdb_meta_put_int(w->db, "best_height", (int64_t)height) : r;
}

/* Records a block's txs; with unconfirm_height also first drops every
 * confirmation at its height (rescans). Inside the wallet lock. */
static enum wallet_err wallet_apply_block_locked(struct wallet *w, const struct block *b,
                                                 const struct wallet_blockpos *e, bool rescan,
                                                 bool is_tip)
{
    enum wallet_err r = walletdb_begin(w->db);
    if (r != WALLET_OK)
        return r;
    uint64_t changes = walletdb_total_changes(w->db);
    if (rescan)
        r = walletdb_tx_unconfirm_height(w->db, e->height, e->hash);
    size_t recorded = 0;
    for (size_t i = 0; r == WALLET_OK && i < b->tx_count; i++)
        r = wallet_record_locked(w, &b->txs[i], e, (uint32_t)i, &recorded);
    /* A block with nothing for the wallet writes nothing (no sync per
     * block while the node catches up with the network or a rescan runs),
     * except now and then to move the last block seen, so a restart
     * rescans little. */
    bool nothing = recorded == 0 && walletdb_total_changes(w->db) == changes;
    if (r == WALLET_OK && nothing && !(rescan && is_tip) &&
        (rescan || e->height % WALLET_BEST_INTERVAL != 0)) {
        walletdb_rollback(w->db);
        return WALLET_OK;
    }
    if (r == WALLET_OK && is_tip) {
        if (rescan)
            r = walletdb_tx_unconfirm_above(w->db, e->height);
        if (r == WALLET_OK)
            r = wallet_set_best_locked(w, e->hash, e->height);
    }
    if (r == WALLET_OK)
        r = walletdb_commit(w->db);
    if (r != WALLET_OK)
        wallet_rollback_locked(w);
    else
        wallet_notice_flush_locked(w);
    return r;
}

/* ---- the wallet as a chain-following index -------------------------------- */

/* Adds a block. Each block first drops what the wallet had recorded at its
 * height (a branch the chain left while the wallet's stored last block
 * lagged), and the tip also what lies above it. The last block is stored
 * whenever a block changed anything (and now and then otherwise), so the
 * blocks after it changed nothing and replaying them is harmless. */
static bool wallet_index_connect(void *ctx, const struct block *b, const uint8_t hash[32],
                                 uint64_t height, char *err, size_t errlen)
{
    struct wallet *w = ctx;
    struct node_ctx *node = w->node;
    pthread_mutex_lock(&node->lock);
    bool is_tip = chain_tip(services_chain(node))->height == height;
    pthread_mutex_unlock(&node->lock);
    struct wallet_blockpos pos = {.hash = hash, .height = height, .time = (int64_t)b->header.time};
    enum wallet_err r = wallet_enter(w);
    if (r == WALLET_OK) {
        r = wallet_apply_block_locked(w, b, &pos, true, is_tip);
        wallet_leave(w);
    }
    /* A block the wallet could not record is rolled back and logged, and
     * the wallet goes on with the next (rescanblockchain repairs it): one
     * failed write must not stop the wallet hearing blocks for good. */
    (void)err;
    (void)errlen;
    if (r != WALLET_OK)
        LOG_ERROR(LOG_CAT_WALLET, "wallet %s: recording block %llu failed: %s (rescan)",
                  w->name, (unsigned long long)height, wallet_strerror(r));
    return true;
}

static bool wallet_index_disconnect(void *ctx, const struct block *b, const uint8_t hash[32],
                                    uint64_t height, const uint8_t prev_hash[32], char *err,
                                    size_t errlen)
{
    (void)b;
    struct wallet *w = ctx;
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK) {
        snprintf(err, errlen, "wallet %s: %s", w->name, wallet_strerror(r));
        return false;
    }
    r = walletdb_begin(w->db);
    if (r == WALLET_OK)
        r = walletdb_tx_unconfirm_block(w->db, hash);
    if (r == WALLET_OK)
        r = wallet_set_best_locked(w, prev_hash, height > 0 ? height - 1 : 0);
    if (r == WALLET_OK)
        r = walletdb_commit(w->db);
    if (r != WALLET_OK) {
        walletdb_rollback(w->db);
        LOG_ERROR(LOG_CAT_WALLET, "wallet %s: recording the disconnection of block %llu "
                  "failed: %s (rescan)", w->name, (unsigned long long)height,
                  wallet_strerror(r));
    }
    wallet_leave(w);
    (void)err;
    (void)errlen;
    return true;
}

static bool wallet_index_get_best(void *ctx, uint8_t hash[32], bool *found, char *err,
                                  size_t errlen)
{
    struct wallet *w = ctx;
    struct buf h;
    buf_init(&h);
    enum wallet_err r = wallet_enter(w);
    bool have = false;
    if (r == WALLET_OK) {
        r = walletdb_meta_get_blob(w->db, "best_hash", &h, &have);
        wallet_leave(w);
    }
    *found = r == WALLET_OK && have && h.len == 32;
    if (*found)
        memcpy(hash, h.data, 32);
    buf_clear(&h);
    if (r != WALLET_OK)
        snprintf(err, errlen, "wallet %s: %s", w->name, wallet_strerror(r));
    return r == WALLET_OK;
}

/* Forgets every confirmation and the last block: the history is then
 * confirmed again from the genesis block on (keys and txs stay). */
static bool wallet_index_reset(void *ctx, char *err, size_t errlen)
{
    struct wallet *w = ctx;
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK) {
        snprintf(err, errlen, "wallet %s: %s", w->name, wallet_strerror(r));
        return false;
    }
    r = walletdb_begin(w->db);
    if (r == WALLET_OK)
        r = walletdb_tx_unconfirm_above(w->db, 0);
    if (r == WALLET_OK)
        r = wallet_set_best_locked(w, w->node->params->genesis.hash, 0);
    if (r == WALLET_OK)
        r = walletdb_commit(w->db);
    if (r != WALLET_OK) {
        walletdb_rollback(w->db);
        snprintf(err, errlen, "wallet %s: forgetting its confirmations failed: %s", w->name,
                 wallet_strerror(r));
    }
    wallet_leave(w);
    return r == WALLET_OK;
}

void wallet_index_def(struct wallet *w, struct index_def *out)
{
    *out = (struct index_def){.name = w->name,
                              .ctx = w,
                              .get_best = wallet_index_get_best,
                              .connect = wallet_index_connect,
                              .disconnect = wallet_index_disconnect,
                              .reset = wallet_index_reset};
}

void wallet_tx_accepted(struct wallet *w, const struct tx *tx, const uint8_t txid[32])
{
    (void)txid;
    if (wallet_enter(w) != WALLET_OK)
        return;
    enum wallet_err r = walletdb_begin(w->db);
    if (r == WALLET_OK)
        r = wallet_record_locked(w, tx, NULL, 0, &(size_t){0});
    if (r == WALLET_OK)
        r = walletdb_commit(w->db);
    if (r != WALLET_OK) {
        wallet_rollback_locked(w);
        LOG_ERROR(LOG_CAT_WALLET, "wallet %s: recording a mempool tx failed: %s", w->name,
                  wallet_strerror(r));
    } else {
        wallet_notice_flush_locked(w);
    }
    wallet_leave(w);
}

struct wallet_key_pending {
    struct wallet *w;
    const uint8_t *pub;
    enum wallet_err r;
};

/* Whether the tx sends from or pays the key. */
static bool wallet_tx_touches(const struct tx *tx, const uint8_t pub[32])
{
    if (memcmp(tx->sender, pub, 32) == 0)
        return true;
    uint8_t parties[8][32];
    size_t n = txtype_tx_counterparties(tx, parties, 8);
    for (size_t i = 0; i < n && i < 8; i++)
        if (memcmp(parties[i], pub, 32) == 0)
            return true;
    return false;
}

static bool wallet_key_pending_cb(void *ctx, const struct mempool_entry *e)
{
    struct wallet_key_pending *p = ctx;
    const struct tx *tx = mempool_entry_tx(e);
    if (!wallet_tx_touches(tx, p->pub))
        return true;
    p->r = wallet_record_locked(p->w, tx, NULL, 0, &(size_t){0});
    return p->r == WALLET_OK;
}

enum wallet_err wallet_record_pending_of_key(struct wallet *w, const uint8_t pub[32])
{
    struct node_ctx *node = w->node;
    pthread_mutex_lock(&node->lock);
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK) {
        pthread_mutex_unlock(&node->lock);
        return r;
    }
    struct wallet_key_pending p = {w, pub, WALLET_OK};
    r = walletdb_begin(w->db);
    if (r == WALLET_OK && !mempool_for_each(services_mempool(node), wallet_key_pending_cb, &p))
        r = p.r != WALLET_OK ? p.r : WALLET_ERR_NOMEM;
    if (r == WALLET_OK)
        r = walletdb_commit(w->db);
    if (r != WALLET_OK)
        wallet_rollback_locked(w);
    else
        wallet_notice_flush_locked(w);
    wallet_leave(w);
    pthread_mutex_unlock(&node->lock);
    return r;
}

/* ---- rescans ----------------------------------------------------------------- */

enum wallet_err wallet_rescan(struct wallet *w, int64_t start, int64_t stop, int64_t *start_out,
                              int64_t *stop_out)
{
    struct node_ctx *node = w->node;
    pthread_mutex_lock(&node->lock);
    int64_t tip = (int64_t)chain_tip(services_chain(node))->height;
    pthread_mutex_unlock(&node->lock);
    if (stop < 0)
        stop = tip;
    if (start < 0 || start > tip || stop > tip || start > stop)
        return WALLET_ERR_BAD_PARAMETER;
    struct block b;
    block_init(&b);
    enum wallet_err r = WALLET_OK;
    int64_t h;
    /* One block at a time under the chain lock, so the node is never held
     * up for long and each block read is in the active chain when applied. */
    for (h = start; h <= stop && r == WALLET_OK; h++) {
        pthread_mutex_lock(&node->lock);
        struct chain *c = services_chain(node);
        const struct blockindex_chain *active = chain_active(c);
        struct blockindex_entry *e = blockindex_chain_at(active, (uint64_t)h);
        char err[256];
        if (e == NULL) {
            pthread_mutex_unlock(&node->lock);
            break; /* the chain got shorter meanwhile */
        }
        if (!chain_read_block(c, e, &b, err, sizeof err)) {
            LOG_ERROR(LOG_CAT_WALLET, "wallet %s: rescan cannot read block %lld: %s", w->name,
                      (long long)h, err);
            r = WALLET_ERR_DB;
        } else if ((r = wallet_enter(w)) == WALLET_OK) {
            struct wallet_blockpos pos = {
                .hash = e->hash, .height = e->height, .time = (int64_t)e->header.time};
            r = wallet_apply_block_locked(w, &b, &pos, true, e == chain_tip(c));
            wallet_leave(w);
        }
        pthread_mutex_unlock(&node->lock);
    }
    block_clear(&b);
    if (r != WALLET_OK)
        return r;
    LOG_INFO(LOG_CAT_WALLET, "wallet %s: rescanned heights %lld to %lld", w->name,
             (long long)start, (long long)(h - 1));
    /* Up to the tip: pending sends the mempool lost (a restart) go back. */
    if (h - 1 >= tip && (r = wallet_resubmit(w)) != WALLET_OK)
        return r;
    if (start_out != NULL)
        *start_out = start;
    if (stop_out != NULL)
        *stop_out = h - 1;
    return WALLET_OK;
}

struct wallet_txids {
    uint8_t (*v)[32];
    size_t n, cap;
};

static bool wallet_txids_push(struct wallet_txids *l, const uint8_t txid[32])
{
    if (!grow_array((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v, 16))
        return false;
    memcpy(l->v[l->n++], txid, 32);
    return true;
}

static bool wallet_unconfirmed_cb(void *ctx, const struct walletdb_tx *t)
{
    return t->coinbase || wallet_txids_push(ctx, t->txid);
}

enum wallet_err wallet_resubmit(struct wallet *w)
{
    struct node_ctx *node = w->node;
    struct wallet_txids pending = {NULL, 0, 0}, dead = {NULL, 0, 0};
    struct buf raw;
    buf_init(&raw);
    pthread_mutex_lock(&node->lock);
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK) {
        pthread_mutex_unlock(&node->lock);
        return r;
    }
    r = walletdb_tx_for_each(w->db, WALLETDB_TX_UNCONFIRMED, SIZE_MAX, 0, wallet_unconfirmed_cb,
                             &pending);
    wallet_leave(w);
    struct state_backend be;
    chain_tip_backend(services_chain(node), &be);
    struct state_view v;
    state_view_init(&v, &be);
    size_t back = 0;
    for (size_t i = 0; r == WALLET_OK && i < pending.n; i++) {
        if (mempool_find(services_mempool(node), pending.v[i]) != NULL)
            continue;
        struct walletdb_tx t;
        bool found;
        if ((r = wallet_enter(w)) != WALLET_OK)
            break;
        r = walletdb_tx_get(w->db, pending.v[i], &t, &raw, &found);
        wallet_leave(w);
        struct tx tx;
        tx_init(&tx);
        if (r != WALLET_OK || !found || tx_decode(raw.data, raw.len, &tx) != SER_OK) {
            tx_clear(&tx);
            continue;
        }
        /* The wallet lock is not held: the mempool listener takes it. */
        struct mempool_accept_info info;
        memset(&info, 0, sizeof info);
        struct account a;
        if (services_accept_tx(node, &tx, &info) == MEMPOOL_OK)
            back++;
        else if (account_get(&v, tx.sender, &a) == TXERR_OK && a.nonce > tx.nonce)
            /* Its nonce is used by another tx in the chain: it can never
             * confirm, so it leaves the history. */
            wallet_txids_push(&dead, pending.v[i]);
        tx_clear(&tx);
    }
    state_view_clear(&v);
    if (r == WALLET_OK && dead.n > 0 && (r = wallet_enter(w)) == WALLET_OK) {
        r = walletdb_begin(w->db);
        for (size_t i = 0; r == WALLET_OK && i < dead.n; i++)
            r = walletdb_tx_delete(w->db, dead.v[i]);
        if (r == WALLET_OK)
            r = walletdb_commit(w->db);
        else
            walletdb_rollback(w->db);
        wallet_leave(w);
    }
    pthread_mutex_unlock(&node->lock);
    if (back > 0 || dead.n > 0)
        LOG_INFO(LOG_CAT_WALLET, "wallet %s: %zu pending txs back in the mempool, %zu dropped "
                 "(nonce used in the chain)", w->name, back, dead.n);
    buf_clear(&raw);
    free(pending.v);
    free(dead.v);
    return r;
}

enum wallet_err wallet_set_best_to_tip(struct wallet *w)
{
    struct node_ctx *node = w->node;
    pthread_mutex_lock(&node->lock);
    struct blockindex_entry *tip = chain_tip(services_chain(node));
    enum wallet_err r = wallet_enter(w);
    if (r == WALLET_OK) {
        r = walletdb_begin(w->db);
        if (r == WALLET_OK)
            r = wallet_set_best_locked(w, tip->hash, tip->height);
        if (r == WALLET_OK)
            r = walletdb_commit(w->db);
        if (r != WALLET_OK)
            walletdb_rollback(w->db);
        wallet_leave(w);
    }
    pthread_mutex_unlock(&node->lock);
    return r;
}

/* ---- balances and history -------------------------------------------------------- */

struct wallet_pending_ctx {
    const struct mempool *pool;
    struct wallet_balances *bal;
};

static bool wallet_pending_cb(void *ctx, const struct walletdb_tx *t)
{
    struct wallet_pending_ctx *p = ctx;
    if (mempool_find(p->pool, t->txid) == NULL)
        return true; /* left the mempool (replaced, expired): counts nowhere */
    amount_t out;
    if (amount_add(p->bal->unconfirmed_in, t->in, &p->bal->unconfirmed_in) &&
        amount_add(t->out, t->fee, &out))
        amount_add(p->bal->unconfirmed_out, out, &p->bal->unconfirmed_out);
    return true;
}

struct wallet_immature_ctx {
    uint64_t tip;
    uint32_t maturity;
    amount_t sum;
};

static bool wallet_immature_cb(void *ctx, const struct walletdb_tx *t)
{
    struct wallet_immature_ctx *m = ctx;
    if (t->height + m->maturity > m->tip)
        amount_add(m->sum, t->in, &m->sum);
    return true;
}

enum wallet_err wallet_get_balances(struct wallet *w, struct wallet_balances *out)
{
    struct node_ctx *node = w->node;
    struct wallet_balances bal;
    memset(&bal, 0, sizeof bal);
    pthread_mutex_lock(&node->lock);
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK) {
        pthread_mutex_unlock(&node->lock);
        return r;
    }
    struct chain *c = services_chain(node);
    struct state_backend be;
    chain_tip_backend(c, &be);
    struct state_view v;
    state_view_init(&v, &be);
    for (size_t i = 0; r == WALLET_OK && i < w->n_keys; i++) {
        struct account a;
        if (account_get(&v, w->keys[i].pub, &a) != TXERR_OK)
            r = WALLET_ERR_DB;
        else
            amount_add(bal.confirmed, a.balance, &bal.confirmed);
    }
    state_view_clear(&v);
    struct wallet_immature_ctx im = {chain_tip(c)->height, node->params->coinbase_maturity, 0};
    if (r == WALLET_OK)
        r = walletdb_tx_for_each(w->db, WALLETDB_TX_COINBASE_CONFIRMED, SIZE_MAX, 0,
                                 wallet_immature_cb, &im);
    bal.immature = im.sum;
    struct wallet_pending_ctx pc = {services_mempool(node), &bal};
    if (r == WALLET_OK)
        r = walletdb_tx_for_each(w->db, WALLETDB_TX_UNCONFIRMED, SIZE_MAX, 0, wallet_pending_cb,
                                 &pc);
    wallet_leave(w);
    pthread_mutex_unlock(&node->lock);
    if (r == WALLET_OK)
        *out = bal;
    return r;
}

static void wallet_tx_info_fill(const struct wallet *w, const struct walletdb_tx *t,
                                uint64_t tip, struct wallet_tx_info *o)
{
    memset(o, 0, sizeof *o);
    memcpy(o->txid, t->txid, 32);
    o->type = t->type;
    o->amount = (int64_t)t->in - (int64_t)t->out;
    o->fee = t->fee;
    if (t->confirmed && t->height <= tip) {
        o->height = t->height;
        o->confirmations = (int64_t)(tip - t->height) + 1;
        memcpy(o->block_hash, t->block_hash, 32);
        o->time = t->block_time;
    } else {
        o->time = t->time_seen;
    }
    if (t->coinbase && o->confirmations == 0)
        snprintf(o->category, sizeof o->category, "orphan");
    else if (t->coinbase && t->height + w->node->params->coinbase_maturity > tip)
        snprintf(o->category, sizeof o->category, "immature");
    else
        snprintf(o->category, sizeof o->category, "%s", t->category);
    snprintf(o->address, sizeof o->address, "%s", t->address);
    snprintf(o->counterparty, sizeof o->counterparty, "%s", t->counterparty);
}

struct wallet_rows {
    struct walletdb_tx *v;
    size_t n, cap;
    bool nomem;
};

static bool wallet_rows_cb(void *ctx, const struct walletdb_tx *t)
{
    struct wallet_rows *l = ctx;
    if (!grow_array((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v, 16)) {
        l->nomem = true;
        return false;
    }
    l->v[l->n++] = *t;
    return true;
}

enum wallet_err wallet_list_txs(struct wallet *w, size_t count, size_t skip, wallet_tx_fn fn,
                                void *ctx)
{
    if (fn == NULL)
        return WALLET_ERR_BAD_PARAMETER;
    struct node_ctx *node = w->node;
    pthread_mutex_lock(&node->lock);
    uint64_t tip = chain_tip(services_chain(node))->height;
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK) {
        pthread_mutex_unlock(&node->lock);
        return r;
    }
    struct wallet_rows rows = {NULL, 0, 0, false};
    r = walletdb_tx_for_each(w->db, WALLETDB_TX_ALL, count, skip, wallet_rows_cb, &rows);
    if (r == WALLET_OK && rows.nomem)
        r = WALLET_ERR_NOMEM;
    wallet_leave(w);
    pthread_mutex_unlock(&node->lock);
    /* fn runs outside every lock: it may take its time. */
    struct wallet_tx_info info;
    for (size_t i = 0; r == WALLET_OK && i < rows.n; i++) {
        wallet_tx_info_fill(w, &rows.v[i], tip, &info);
        if (!fn(ctx, &info))
            break;
    }
    free(rows.v);
    return r;
}

enum wallet_err wallet_get_tx(struct wallet *w, const uint8_t txid[32], struct wallet_tx_info *out,
                              struct tx *raw)
{
    struct node_ctx *node = w->node;
    pthread_mutex_lock(&node->lock);
    uint64_t tip = chain_tip(services_chain(node))->height;
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK) {
        pthread_mutex_unlock(&node->lock);
        return r;
    }
    struct walletdb_tx t;
    struct buf bytes;
    buf_init(&bytes);
    bool found;
    r = walletdb_tx_get(w->db, txid, &t, &bytes, &found);
    if (r == WALLET_OK && !found)
        r = WALLET_ERR_NOT_FOUND;
    wallet_leave(w);
    pthread_mutex_unlock(&node->lock);
    struct tx decoded;
    tx_init(&decoded);
    if (r == WALLET_OK && raw != NULL && tx_decode(bytes.data, bytes.len, &decoded) != SER_OK)
        r = WALLET_ERR_CORRUPT;
    if (r == WALLET_OK) {
        if (raw != NULL) {
            tx_clear(raw);
            *raw = decoded;
            tx_init(&decoded);
        }
        wallet_tx_info_fill(w, &t, tip, out);
    }
    tx_clear(&decoded);
    buf_clear(&bytes);
    return r;
}

/* ---- addresses ------------------------------------------------------------------- */

struct wallet_addr_ctx {
    struct wallet *w;
    struct state_view *view;
    struct wallet_address_info *v;
    size_t n, cap;
    enum wallet_err r;
};

static bool wallet_addr_cb(void *ctx, const struct walletdb_key *k)
{
    struct wallet_addr_ctx *a = ctx;
    if (!k->used)
        return false; /* handed-out keys come first: the rest is the pool */
    if (!grow_array((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v, 16)) {
        a->r = WALLET_ERR_NOMEM;
        return false;
    }
    struct wallet_address_info *o = &a->v[a->n];
    memset(o, 0, sizeof *o);
    struct account acc;
    if (account_get(a->view, k->pubkey, &acc) != TXERR_OK) {
        a->r = WALLET_ERR_DB;
        return false;
    }
    wallet_addr(a->w, k->pubkey, o->address, sizeof o->address);
    snprintf(o->label, sizeof o->label, "%s", k->label);
    o->index = k->index;
    o->balance = acc.balance;
    o->nonce = acc.nonce;
    a->n++;
    return true;
}

enum wallet_err wallet_list_addresses(struct wallet *w, wallet_address_fn fn, void *ctx)
{
    if (fn == NULL)
        return WALLET_ERR_BAD_PARAMETER;
    struct node_ctx *node = w->node;
    pthread_mutex_lock(&node->lock);
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK) {
        pthread_mutex_unlock(&node->lock);
        return r;
    }
    struct state_backend be;
    chain_tip_backend(services_chain(node), &be);
    struct state_view v;
    state_view_init(&v, &be);
    struct wallet_addr_ctx a = {w, &v, NULL, 0, 0, WALLET_OK};
    r = walletdb_key_for_each(w->db, wallet_addr_cb, &a);
    if (r == WALLET_OK)
        r = a.r;
    state_view_clear(&v);
    wallet_leave(w);
    pthread_mutex_unlock(&node->lock);
    for (size_t i = 0; r == WALLET_OK && i < a.n; i++)
        if (!fn(ctx, &a.v[i]))
            break;
    free(a.v);
    return r;
}
