#include "node/mempool.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/account.h"
#include "consensus/blockcheck.h"
#include "consensus/prologue.h"
#include "consensus/transfer.h"
#include "consensus/txcheck.h"
#include "node/keymap.h"
#include "util/grow.h"
#include "util/time.h"

static const struct {
    const char *reason;
    const char *text;
} mempool_err_table[MEMPOOL_ERR_COUNT_] = {
    [MEMPOOL_OK] = {"ok", "no error"},
    [MEMPOOL_ERR_TX] = {"invalid-tx", "the transaction breaks a rule"},
    [MEMPOOL_ERR_DUPLICATE] = {"duplicate", "the transaction is already in the mempool"},
    [MEMPOOL_ERR_FEE_TOO_LOW] = {"fee-too-low", "the fee is below the minimum relay fee rate"},
    [MEMPOOL_ERR_REPLACEMENT_FEE] = {"replacement-fee-too-low",
                                     "a replacement must pay at least 10% more than the pending transaction"},
    [MEMPOOL_ERR_TOO_MANY_PENDING] = {"too-many-pending",
                                      "the sender already has the most transactions waiting behind a nonce gap"},
    [MEMPOOL_ERR_NONCE_GAP] = {"nonce-gap-too-large",
                               "the nonce is more than 64 past the sender's next transaction"},
    [MEMPOOL_ERR_FULL] = {"mempool-full", "the mempool is full of transactions paying at least this fee rate"},
    [MEMPOOL_ERR_FUTURES_FULL] = {"mempool-futures-full",
                                  "the mempool's share for transactions behind a nonce gap is full"},
    [MEMPOOL_ERR_STORAGE] = {"storage-error", "the chain state could not be read"},
    [MEMPOOL_ERR_NOMEM] = {"out-of-memory", "out of memory"},
};

const char *mempool_err_reason(enum mempool_err err)
{
    return (unsigned)err < MEMPOOL_ERR_COUNT_ ? mempool_err_table[err].reason : "unknown-error";
}

const char *mempool_strerror(enum mempool_err err)
{
    return (unsigned)err < MEMPOOL_ERR_COUNT_ ? mempool_err_table[err].text : "unknown error";
}

const char *mempool_reject_reason(enum mempool_err err, const struct mempool_accept_info *info)
{
    if (err == MEMPOOL_ERR_TX && info != NULL)
        return txerr_reason(info->txerr);
    return mempool_err_reason(err);
}

/* ---- 128-bit products, so fee rates compare exactly ---- */

static void mul_wide(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    const uint64_t m = 0xffffffffu;
    uint64_t a0 = a & m, a1 = a >> 32, b0 = b & m, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & m) + (p10 & m);
    *lo = (mid << 32) | (p00 & m);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

int mempool_fee_rate_cmp(amount_t fee_a, size_t size_a, amount_t fee_b, size_t size_b)
{
    uint64_t ah, al, bh, bl;
    mul_wide(fee_a, size_b, &ah, &al);
    mul_wide(fee_b, size_a, &bh, &bl);
    if (ah != bh)
        return ah < bh ? -1 : 1;
    if (al != bl)
        return al < bl ? -1 : 1;
    return 0;
}

/* ---- data ---- */

struct mempool_sender;

struct mempool_entry {
    struct tx tx;
    uint8_t txid[SHA256_LEN];
    struct mempool_sender *sender;
    size_t size;
    int64_t time;
    uint64_t height;
    size_t heap_pos;
    bool future;
};

/* A sender's txs in nonce order; q[0..ready) are minable and consecutive. */
struct mempool_sender {
    uint8_t key[TX_SENDER_LEN];
    struct mempool_entry **q;
    size_t n, cap;
    size_t ready;
};

struct victim {
    struct mempool_sender *sender;
    uint64_t min_nonce;
};

struct mempool {
    const struct chain_params *params;
    size_t max_bytes;
    amount_t min_fee_rate;
    struct state_backend tip;
    uint64_t height;
    struct keymap by_txid;
    struct keymap by_sender;
    /* Min-heap: the entry to evict first on top. */
    struct mempool_entry **heap;
    size_t heap_n, heap_cap;
    size_t bytes;
    /* Txs behind a nonce gap, kept within MEMPOOL_FUTURE_SHARE of max_bytes.
     * Every change of an entry's `future` goes through entry_set_future. */
    size_t future_bytes, future_count;
    /* The state after the ready txs of one sender, kept so that a sender
     * appending to a long chain does not re-apply the whole chain. */
    bool cache_valid;
    struct mempool_sender *cache_sender;
    struct state_view cache_view;
};

/* ---- eviction heap ---- */

/* True when a is to be evicted before b: lower fee rate, then the newer,
 * then by txid so that the order is total. */
static bool evict_before(const struct mempool_entry *a, const struct mempool_entry *b)
{
    int c = mempool_fee_rate_cmp(a->tx.fee, a->size, b->tx.fee, b->size);
    if (c != 0)
        return c < 0;
    if (a->time != b->time)
        return a->time > b->time;
    return memcmp(a->txid, b->txid, SHA256_LEN) < 0;
}

static void heap_set(struct mempool *pool, size_t pos, struct mempool_entry *e)
{
    pool->heap[pos] = e;
    e->heap_pos = pos;
}

static void heap_sift_up(struct mempool *pool, size_t pos)
{
    struct mempool_entry *e = pool->heap[pos];
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (!evict_before(e, pool->heap[parent]))
            break;
        heap_set(pool, pos, pool->heap[parent]);
        pos = parent;
    }
    heap_set(pool, pos, e);
}

static void heap_sift_down(struct mempool *pool, size_t pos)
{
    struct mempool_entry *e = pool->heap[pos];
    for (;;) {
        size_t c = 2 * pos + 1;
        if (c >= pool->heap_n)
            break;
        if (c + 1 < pool->heap_n && evict_before(pool->heap[c + 1], pool->heap[c]))
            c++;
        if (!evict_before(pool->heap[c], e))
            break;
        heap_set(pool, pos, pool->heap[c]);
        pos = c;
    }
    heap_set(pool, pos, e);
}

static bool heap_reserve(struct mempool *pool, size_t n)
{
    return grow_array((void **)&pool->heap, &pool->heap_cap, n, sizeof *pool->heap, 64);
}

static void heap_push(struct mempool *pool, struct mempool_entry *e)
{
    heap_set(pool, pool->heap_n++, e);
    heap_sift_up(pool, e->heap_pos);
}

static void heap_remove(struct mempool *pool, struct mempool_entry *e)
{
    size_t pos = e->heap_pos;
    struct mempool_entry *last = pool->heap[--pool->heap_n];
    if (pos == pool->heap_n)
        return;
    heap_set(pool, pos, last);
    heap_sift_up(pool, pos);
    heap_sift_down(pool, last->heap_pos);
}

/* ---- senders and entries ---- */

static struct mempool_sender *sender_find(const struct mempool *pool, const uint8_t key[32])
{
    return keymap_find(&pool->by_sender, key);
}

/* Index of the first entry with nonce >= nonce. */
static size_t sender_lower_bound(const struct mempool_sender *s, uint64_t nonce)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->q[mid]->tx.nonce < nonce)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool sender_reserve(struct mempool_sender *s, size_t n)
{
    return grow_array((void **)&s->q, &s->cap, n, sizeof *s->q, 4);
}

static void cache_invalidate(struct mempool *pool)
{
    if (pool->cache_valid)
        state_view_clear(&pool->cache_view);
    pool->cache_valid = false;
    pool->cache_sender = NULL;
}

/* Frees a sender that has no txs left. */
static void sender_release_if_empty(struct mempool *pool, struct mempool_sender *s)
{
    if (s->n > 0)
        return;
    if (pool->cache_sender == s)
        cache_invalidate(pool);
    keymap_remove(&pool->by_sender, s->key);
    free(s->q);
    free(s);
}

static void entry_set_future(struct mempool *pool, struct mempool_entry *e, bool future)
{
    if (e->future == future)
        return;
    e->future = future;
    if (future) {
        pool->future_bytes += e->size;
        pool->future_count++;
    } else {
        pool->future_bytes -= e->size;
        pool->future_count--;
    }
}

static void entry_free(struct mempool_entry *e)
{
    tx_clear(&e->tx);
    free(e);
}

/* Takes q[i] out of every index and frees it; never frees the sender. A
 * removed first tx leaves the rest of the ready run ready (as when it is
 * mined); a removal inside the run turns what follows into future txs. */
static void unlink_at(struct mempool *pool, struct mempool_sender *s, size_t i)
{
    struct mempool_entry *e = s->q[i];
    if (i < s->ready) {
        if (pool->cache_sender == s)
            cache_invalidate(pool);
        if (i == 0) {
            s->ready--;
        } else {
            for (size_t j = i + 1; j < s->ready; j++)
                entry_set_future(pool, s->q[j], true);
            s->ready = i;
        }
    }
    memmove(&s->q[i], &s->q[i + 1], (s->n - i - 1) * sizeof *s->q);
    s->n--;
    keymap_remove(&pool->by_txid, e->txid);
    heap_remove(pool, e);
    entry_set_future(pool, e, false);
    pool->bytes -= e->size;
    entry_free(e);
}

/* Removes q[i..n): a tx and everything of its sender after it. Frees the
 * sender when nothing is left. Returns the count removed. */
static size_t remove_from(struct mempool *pool, struct mempool_sender *s, size_t i)
{
    size_t removed = 0;
    while (s->n > i) {
        unlink_at(pool, s, s->n - 1);
        removed++;
    }
    sender_release_if_empty(pool, s);
    return removed;
}

/* Removes the cheapest txs (with their sender's later ones) until the pool
 * fits its limit. */
static size_t trim_to_size(struct mempool *pool)
{
    size_t removed = 0;
    while (pool->bytes > pool->max_bytes && pool->heap_n > 0) {
        struct mempool_entry *e = pool->heap[0];
        struct mempool_sender *s = e->sender;
        removed += remove_from(pool, s, sender_lower_bound(s, e->tx.nonce));
    }
    return removed;
}

/* ---- lifecycle ---- */

struct mempool *mempool_new(const struct chain_params *params, size_t max_bytes)
{
    struct mempool *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return NULL;
    pool->params = params;
    pool->max_bytes = max_bytes;
    pool->min_fee_rate = MEMPOOL_DEFAULT_MIN_FEE_RATE;
    pool->tip = state_empty_backend;
    keymap_init(&pool->by_txid, offsetof(struct mempool_entry, txid));
    keymap_init(&pool->by_sender, offsetof(struct mempool_sender, key));
    return pool;
}

void mempool_free(struct mempool *pool)
{
    if (pool == NULL)
        return;
    cache_invalidate(pool);
    for (size_t i = 0; i < pool->by_sender.cap; i++) {
        struct mempool_sender *s = pool->by_sender.slots[i];
        if (s == NULL)
            continue;
        for (size_t j = 0; j < s->n; j++)
            entry_free(s->q[j]);
        free(s->q);
        free(s);
    }
    keymap_clear(&pool->by_sender);
    keymap_clear(&pool->by_txid);
    free(pool->heap);
    free(pool);
}

void mempool_set_min_fee_rate(struct mempool *pool, amount_t units_per_byte)
{
    pool->min_fee_rate = units_per_byte;
}

amount_t mempool_min_fee_rate(const struct mempool *pool) { return pool->min_fee_rate; }
size_t mempool_max_bytes(const struct mempool *pool) { return pool->max_bytes; }
size_t mempool_count(const struct mempool *pool) { return pool->by_txid.count; }
size_t mempool_bytes(const struct mempool *pool) { return pool->bytes; }

size_t mempool_future_bytes(const struct mempool *pool) { return pool->future_bytes; }

size_t mempool_future_count(const struct mempool *pool) { return pool->future_count; }

size_t mempool_max_future_bytes(const struct mempool *pool)
{
    return pool->max_bytes / 100 * MEMPOOL_FUTURE_SHARE_PERCENT;
}
uint64_t mempool_tip_height(const struct mempool *pool) { return pool->height; }

/* ---- acceptance ---- */

static bool fee_below_minimum(const struct mempool *pool, amount_t fee, size_t size)
{
    amount_t min;
    if (!amount_mul(pool->min_fee_rate, size, &min))
        return true;
    return fee < min;
}

/* A view over the tip as the next block starts: the block prologue
 * (deadlines due at that height, coinbase payouts among them) already run,
 * as block validation does. */
static enum txerr next_block_view(const struct mempool *pool, struct state_view *v)
{
    state_view_init(v, &pool->tip);
    int64_t now = time_now();
    struct apply_ctx ctx = {.params = pool->params,
                            .height = pool->height + 1,
                            .time = now > 0 ? (uint64_t)now : 0};
    enum txerr err = prologue_run(v, &ctx);
    if (err != TXERR_OK)
        state_view_clear(v);
    return err;
}

/* Growable list of senders to evict from, with the lowest nonce to go. */
struct victims {
    struct victim *v;
    size_t n, cap;
};

static struct victim *victims_find(struct victims *vs, const struct mempool_sender *s)
{
    for (size_t i = 0; i < vs->n; i++)
        if (vs->v[i].sender == s)
            return &vs->v[i];
    return NULL;
}

static bool victims_add(struct victims *vs, struct mempool_sender *s, uint64_t nonce)
{
    if (!grow_array((void **)&vs->v, &vs->cap, vs->n + 1, sizeof *vs->v, 8))
        return false;
    vs->v[vs->n++] = (struct victim){s, nonce};
    return true;
}

/* A small heap of positions in the eviction heap, to walk the pool's txs
 * cheapest first without disturbing it. */
struct walk {
    size_t *pos;
    size_t n, cap;
};

static bool walk_push(struct walk *w, const struct mempool *pool, size_t pos)
{
    if (pos >= pool->heap_n)
        return true;
    if (!grow_array((void **)&w->pos, &w->cap, w->n + 1, sizeof *w->pos, 16))
        return false;
    size_t i = w->n++;
    while (i > 0 && evict_before(pool->heap[pos], pool->heap[w->pos[(i - 1) / 2]])) {
        w->pos[i] = w->pos[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->pos[i] = pos;
    return true;
}

static size_t walk_pop(struct walk *w, const struct mempool *pool)
{
    size_t top = w->pos[0];
    size_t last = w->pos[--w->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= w->n)
            break;
        if (c + 1 < w->n && evict_before(pool->heap[w->pos[c + 1]], pool->heap[w->pos[c]]))
            c++;
        if (!evict_before(pool->heap[w->pos[c]], pool->heap[last]))
            break;
        w->pos[i] = w->pos[c];
        i = c;
    }
    if (w->n > 0)
        w->pos[i] = last;
    return top;
}

/* For a ready tx: every other sender's future txs (not minable, whatever
 * they claim to pay) go first, cheapest first, until `need` bytes are
 * free. Returns the bytes freed; false on allocation failure. */
static bool plan_evict_futures(const struct mempool *pool, const struct mempool_sender *own,
                               size_t need, struct victims *out, size_t *count, size_t *freed)
{
    while (*freed < need) {
        const struct mempool_entry *pick = NULL;
        for (size_t i = 0; i < pool->heap_n; i++) {
            const struct mempool_entry *e = pool->heap[i];
            const struct mempool_sender *s = e->sender;
            if (!e->future || s == own || victims_find(out, s) != NULL)
                continue;
            /* A sender's futures leave together, from its first one. */
            if (pick == NULL || evict_before(s->q[s->ready], pick))
                pick = s->q[s->ready];
        }
        if (pick == NULL)
            return true;
        struct mempool_sender *s = pick->sender;
        for (size_t i = s->ready; i < s->n; i++) {
            *freed += s->q[i]->size;
            (*count)++;
        }
        if (!victims_add(out, s, pick->tx.nonce))
            return false;
    }
    return true;
}

/* Chooses what to evict so that `need` bytes are freed, cheapest first, a
 * tx always with its sender's later txs. A ready tx first makes room from
 * other senders' future txs. Refuses (MEMPOOL_ERR_FULL) when anything else
 * chosen pays a fee rate at least that of the incoming tx, or when only
 * the incoming tx's own sender could make room. */
static enum mempool_err plan_eviction(const struct mempool *pool, const struct mempool_sender *own,
                                      amount_t fee, size_t size, size_t need, bool ready,
                                      struct victims *out, size_t *count)
{
    struct walk w = {0};
    size_t freed = 0;
    if (ready && !plan_evict_futures(pool, own, need, out, count, &freed))
        return MEMPOOL_ERR_NOMEM;
    if (freed >= need)
        return MEMPOOL_OK;
    enum mempool_err err = MEMPOOL_ERR_FULL;
    if (!walk_push(&w, pool, 0))
        err = MEMPOOL_ERR_NOMEM;
    while (err == MEMPOOL_ERR_FULL && w.n > 0) {
        size_t pos = walk_pop(&w, pool);
        if (!walk_push(&w, pool, 2 * pos + 1) || !walk_push(&w, pool, 2 * pos + 2)) {
            err = MEMPOOL_ERR_NOMEM;
            break;
        }
        const struct mempool_entry *c = pool->heap[pos];
        struct mempool_sender *s = c->sender;
        if (s == own)
            continue;
        struct victim *v = victims_find(out, s);
        if (v != NULL && v->min_nonce <= c->tx.nonce)
            continue;
        size_t from = sender_lower_bound(s, c->tx.nonce);
        size_t to = v != NULL ? sender_lower_bound(s, v->min_nonce) : s->n;
        bool worth_more = false;
        for (size_t i = from; i < to; i++) {
            if (mempool_fee_rate_cmp(fee, size, s->q[i]->tx.fee, s->q[i]->size) <= 0)
                worth_more = true;
            freed += s->q[i]->size;
            (*count)++;
        }
        if (worth_more)
            break;
        if (v != NULL)
            v->min_nonce = c->tx.nonce;
        else if (!victims_add(out, s, c->tx.nonce)) {
            err = MEMPOOL_ERR_NOMEM;
            break;
        }
        if (freed >= need)
            err = MEMPOOL_OK;
    }
    free(w.pos);
    return err;
}

static enum mempool_err txerr_to_mempool(enum txerr err, struct mempool_accept_info *info)
{
    info->txerr = err;
    return err == TXERR_STORAGE ? MEMPOOL_ERR_STORAGE : MEMPOOL_ERR_TX;
}

/* Everything accept decides before it changes anything. */
struct accept_plan {
    struct mempool_sender *s;  /* NULL when the sender has no txs yet */
    uint64_t acct_nonce;
    size_t k;                  /* position of the tx in the sender's queue */
    struct mempool_entry *replaced;
    bool ready;                /* the tx goes into the ready run */
    size_t drop_from;          /* replacement: first later ready tx that no longer applies */
    size_t promote;            /* future txs that become ready */
    struct mempool_entry *drop_future; /* a future tx that failed when its gap filled */
    struct state_view fresh;
    bool fresh_used, cache_used;
    size_t cache_sp;
};

/* Applies the tx and, for a replacement, re-applies the sender's later
 * ready txs; then promotes future txs whose gap is now filled. */
static enum mempool_err plan_ready(struct mempool *pool, const struct tx *tx, int64_t now,
                                   struct accept_plan *p, struct mempool_accept_info *info)
{
    struct mempool_sender *s = p->s;
    size_t n_ready = s != NULL ? s->ready : 0;
    bool append = p->k == n_ready;
    struct state_view *v;
    if (append && s != NULL && pool->cache_valid && pool->cache_sender == s) {
        v = &pool->cache_view;
        p->cache_used = true;
        p->cache_sp = state_savepoint(v);
    } else {
        enum txerr err = next_block_view(pool, &p->fresh);
        if (err != TXERR_OK)
            return txerr_to_mempool(err, info);
        v = &p->fresh;
        p->fresh_used = true;
    }
    struct apply_ctx ctx = {.params = pool->params, .height = pool->height + 1, .time = now > 0 ? (uint64_t)now : 0};
    if (p->fresh_used) {
        for (size_t i = 0; i < p->k; i++) {
            /* The ready run was valid at this tip: a failure here means the
             * tip changed without mempool_update_tip. */
            if (blockcheck_apply_tx(v, &s->q[i]->tx, &ctx) != TXERR_OK)
                return MEMPOOL_ERR_STORAGE;
        }
    }
    enum txerr err = blockcheck_apply_tx(v, tx, &ctx);
    if (err != TXERR_OK)
        return txerr_to_mempool(err, info);
    p->drop_from = SIZE_MAX;
    size_t i = p->k + (append ? 0 : 1);
    for (; i < n_ready; i++) {
        err = blockcheck_apply_tx(v, &s->q[i]->tx, &ctx);
        if (err == TXERR_STORAGE)
            return txerr_to_mempool(err, info);
        if (err != TXERR_OK) {
            p->drop_from = i;
            break;
        }
    }
    if (p->drop_from == SIZE_MAX && s != NULL) {
        uint64_t expected = p->acct_nonce + n_ready + (append ? 1 : 0);
        for (i = n_ready; i < s->n && s->q[i]->tx.nonce == expected; i++, expected++) {
            err = blockcheck_apply_tx(v, &s->q[i]->tx, &ctx);
            if (err == TXERR_STORAGE)
                return txerr_to_mempool(err, info);
            if (err != TXERR_OK) {
                p->drop_future = s->q[i];
                break;
            }
            p->promote++;
        }
    }
    if (state_view_failed(v))
        return MEMPOOL_ERR_STORAGE;
    return MEMPOOL_OK;
}

static void plan_abandon(struct mempool *pool, struct accept_plan *p)
{
    if (p->fresh_used)
        state_view_clear(&p->fresh);
    if (p->cache_used)
        state_rollback(&pool->cache_view, p->cache_sp);
}

static enum mempool_err accept_checked(struct mempool *pool, const struct tx *tx, int64_t now,
                                       struct accept_plan *p, bool commit,
                                       struct mempool_accept_info *info);

/* The sender's account at the tip. */
static enum txerr tip_account(const struct mempool *pool, const uint8_t sender[TX_SENDER_LEN],
                              struct account *a)
{
    struct state_view v;
    state_view_init(&v, &pool->tip);
    enum txerr err = account_get(&v, sender, a);
    state_view_clear(&v);
    return err;
}

/* What a tx takes from its sender's balance that the pool can tell: its
 * fee, and a transfer's amount. */
static amount_t tx_spend(const struct tx *tx)
{
    amount_t spend = tx->fee;
    if (tx->type == TX_TYPE_TRANSFER) {
        size_t len;
        const uint8_t *bytes = tx_payload_bytes(tx, &len);
        struct transfer_payload tp;
        if (transfer_payload_decode(bytes, len, &tp) == SER_OK &&
            !amount_add(spend, tp.amount, &spend))
            spend = AMOUNT_MAX;
    }
    return spend;
}

/* The sum of tx_spend over a sender's pool txs, but the one at `except`
 * (a tx being replaced). */
static amount_t sender_pending_spend(const struct mempool_sender *s, uint64_t except)
{
    amount_t sum = 0;
    for (size_t i = 0; s != NULL && i < s->n; i++)
        if (s->q[i]->tx.nonce != except && !amount_add(sum, tx_spend(&s->q[i]->tx), &sum))
            return AMOUNT_MAX;
    return sum;
}

static enum mempool_err accept_or_check(struct mempool *pool, const struct tx *tx, int64_t now,
                                        bool commit, struct mempool_accept_info *info)
{
    struct mempool_accept_info scratch;
    if (info == NULL)
        info = &scratch;
    memset(info, 0, sizeof *info);
    info->txerr = TXERR_OK;
    info->detail = SER_OK;
    tx_txid(tx, info->txid);
    if (tx_is_coinbase(tx))
        return txerr_to_mempool(TXERR_COINBASE, info);
    if (keymap_find(&pool->by_txid, info->txid) != NULL)
        return MEMPOOL_ERR_DUPLICATE;
    /* What costs a lookup goes before what costs a signature check: a
     * replayed mined tx (a used nonce), one below the fee rate, too far
     * ahead or not backed is turned away without verifying anything. Size
     * and fee are bounded first, as the stateless check would. */
    size_t size = tx_encoded_size(tx);
    if (size > TX_MAX_SIZE)
        return txerr_to_mempool(TXERR_TOO_LARGE, info);
    if (!amount_valid(tx->fee))
        return txerr_to_mempool(TXERR_BAD_FEE, info);
    if (fee_below_minimum(pool, tx->fee, size))
        return MEMPOOL_ERR_FEE_TOO_LOW;
    struct accept_plan p;
    memset(&p, 0, sizeof p);
    p.s = sender_find(pool, tx->sender);
    p.drop_from = SIZE_MAX;
    size_t n_ready = p.s != NULL ? p.s->ready : 0;
    struct account a = {0, 0};
    enum txerr err;
    if (n_ready > 0) {
        p.acct_nonce = p.s->q[0]->tx.nonce;
    } else {
        if ((err = tip_account(pool, tx->sender, &a)) != TXERR_OK)
            return txerr_to_mempool(err, info);
        p.acct_nonce = a.nonce;
    }
    if (tx->nonce < p.acct_nonce)
        return txerr_to_mempool(TXERR_BAD_NONCE, info);
    uint64_t ahead = tx->nonce - p.acct_nonce; /* up to n_ready: a ready tx */
    if (ahead > n_ready && ahead - n_ready > MEMPOOL_MAX_NONCE_GAP)
        return MEMPOOL_ERR_NONCE_GAP;
    /* A future tx is not applied, so nothing else checks that it is
     * backed: the balance must cover everything the sender has pending
     * (fees and amounts, ready and future) and this tx, or a few coins
     * could back any number of futures claiming any fee rate. */
    if (ahead > n_ready) {
        if (n_ready > 0 && (err = tip_account(pool, tx->sender, &a)) != TXERR_OK)
            return txerr_to_mempool(err, info);
        amount_t pending = sender_pending_spend(p.s, tx->nonce), total;
        if (!amount_add(pending, tx_spend(tx), &total) || a.balance < total)
            return txerr_to_mempool(TXERR_INSUFFICIENT_FUNDS, info);
    }
    err = txcheck_stateless(tx, pool->params->genesis.hash, &info->detail);
    if (err != TXERR_OK)
        return txerr_to_mempool(err, info);
    enum mempool_err merr = accept_checked(pool, tx, now, &p, commit, info);
    if (merr != MEMPOOL_OK || !commit)
        plan_abandon(pool, &p);
    return merr;
}

enum mempool_err mempool_accept(struct mempool *pool, const struct tx *tx, int64_t now,
                                struct mempool_accept_info *info)
{
    return accept_or_check(pool, tx, now, true, info);
}

enum mempool_err mempool_check(struct mempool *pool, const struct tx *tx, int64_t now,
                               struct mempool_accept_info *info)
{
    return accept_or_check(pool, tx, now, false, info);
}

static enum mempool_err accept_checked(struct mempool *pool, const struct tx *tx, int64_t now,
                                       struct accept_plan *p, bool commit,
                                       struct mempool_accept_info *info)
{
    struct mempool_sender *s = p->s;
    size_t n_ready = s != NULL ? s->ready : 0;
    size_t size = tx_encoded_size(tx);
    if (s != NULL) {
        p->k = sender_lower_bound(s, tx->nonce);
        if (p->k < s->n && s->q[p->k]->tx.nonce == tx->nonce)
            p->replaced = s->q[p->k];
    }
    if (p->replaced != NULL) {
        /* new * 10 >= old * 11, without overflow: new >= old + ceil(old / 10). */
        amount_t old = p->replaced->tx.fee;
        if (tx->fee < old + (old + 9) / 10)
            return MEMPOOL_ERR_REPLACEMENT_FEE;
    }
    p->ready = tx->nonce - p->acct_nonce <= n_ready;
    if (p->ready) {
        p->k = (size_t)(tx->nonce - p->acct_nonce);
        enum mempool_err err = plan_ready(pool, tx, now, p, info);
        if (err != MEMPOOL_OK)
            return err;
    } else if (p->replaced == NULL && s != NULL && s->n - s->ready >= MEMPOOL_MAX_FUTURE_PER_SENDER) {
        return MEMPOOL_ERR_TOO_MANY_PENDING;
    } else {
        /* Futures are not minable: they get a small share of the pool, so
         * no number of them can crowd out what miners would take. */
        size_t futures = pool->future_bytes + size;
        if (p->replaced != NULL && p->replaced->future)
            futures -= p->replaced->size;
        if (futures > mempool_max_future_bytes(pool))
            return MEMPOOL_ERR_FUTURES_FULL;
    }

    /* Size after the change, before any eviction. */
    size_t leaving = p->replaced != NULL ? p->replaced->size : 0;
    if (p->drop_from != SIZE_MAX)
        for (size_t i = p->drop_from; i < n_ready; i++)
            leaving += s->q[i]->size;
    if (p->drop_future != NULL)
        leaving += p->drop_future->size;
    size_t after = pool->bytes - leaving + size;
    struct victims victims = {0};
    if (after > pool->max_bytes) {
        enum mempool_err err = plan_eviction(pool, s, tx->fee, size, after - pool->max_bytes,
                                             p->ready, &victims, &info->evicted);
        if (err != MEMPOOL_OK) {
            free(victims.v);
            info->evicted = 0;
            return err;
        }
    }
    if (!commit) {
        free(victims.v);
        info->future = !p->ready;
        info->replaced = (p->replaced != NULL) + (p->drop_future != NULL) +
                         (p->drop_from != SIZE_MAX ? n_ready - p->drop_from : 0);
        return MEMPOOL_OK;
    }
    info->evicted = 0;

    /* Every allocation happens before the first change. */
    struct mempool_entry *e = calloc(1, sizeof *e);
    bool created = false;
    if (e != NULL) {
        tx_init(&e->tx);
        if (!tx_copy(&e->tx, tx)) {
            entry_free(e);
            e = NULL;
        }
    }
    bool ok = e != NULL && keymap_reserve(&pool->by_txid, pool->by_txid.count + 1) &&
              heap_reserve(pool, pool->heap_n + 1);
    if (ok && s == NULL) {
        s = calloc(1, sizeof *s);
        ok = s != NULL && keymap_reserve(&pool->by_sender, pool->by_sender.count + 1);
        if (ok) {
            memcpy(s->key, tx->sender, TX_SENDER_LEN);
            keymap_insert(&pool->by_sender, s);
            created = true;
        } else {
            free(s);
            s = NULL;
        }
    }
    ok = ok && sender_reserve(s, s->n + 1);
    if (!ok) {
        if (e != NULL)
            entry_free(e);
        if (created)
            sender_release_if_empty(pool, s);
        free(victims.v);
        return MEMPOOL_ERR_NOMEM;
    }

    for (size_t i = 0; i < victims.n; i++) {
        struct mempool_sender *vs = victims.v[i].sender;
        info->evicted += remove_from(pool, vs, sender_lower_bound(vs, victims.v[i].min_nonce));
    }
    free(victims.v);
    size_t new_ready;
    if (!p->ready)
        new_ready = n_ready;
    else if (p->drop_from != SIZE_MAX)
        new_ready = p->drop_from;
    else
        new_ready = n_ready + (p->replaced == NULL ? 1 : 0) + p->promote;
    /* Remove from the end first so that the indices planned stay right:
     * the failed future tx lies after the ready run, the dropped txs after
     * the replaced one. */
    if (p->drop_future != NULL) {
        unlink_at(pool, s, sender_lower_bound(s, p->drop_future->tx.nonce));
        info->replaced++;
    }
    if (p->drop_from != SIZE_MAX)
        for (size_t i = n_ready; i-- > p->drop_from;) {
            unlink_at(pool, s, i);
            info->replaced++;
        }
    if (p->replaced != NULL) {
        unlink_at(pool, s, p->k);
        info->replaced++;
    }

    e->sender = s;
    e->size = size;
    e->time = now;
    e->height = pool->height;
    memcpy(e->txid, info->txid, SHA256_LEN);
    size_t at = sender_lower_bound(s, tx->nonce);
    memmove(&s->q[at + 1], &s->q[at], (s->n - at) * sizeof *s->q);
    s->q[at] = e;
    s->n++;
    keymap_insert(&pool->by_txid, e);
    heap_push(pool, e);
    pool->bytes += size;
    s->ready = new_ready;
    for (size_t i = 0; i < s->n; i++)
        entry_set_future(pool, s->q[i], i >= new_ready);
    info->future = e->future;

    if (p->fresh_used) {
        cache_invalidate(pool);
        pool->cache_view = p->fresh;
        pool->cache_valid = true;
        pool->cache_sender = s;
        p->fresh_used = false;
    }
    return MEMPOOL_OK;
}

/* ---- new tips, reorgs, expiry ---- */

/* After a tip change (a reorg can leave many txs behind a gap): the
 * cheapest futures leave, each sender's from its first one, until they fit
 * their share again. False on allocation failure (the share is then
 * exceeded until the next update). */
static bool trim_futures(struct mempool *pool)
{
    size_t cap = mempool_max_future_bytes(pool);
    if (pool->future_bytes <= cap)
        return true;
    struct victims victims = {0};
    size_t count = 0, freed = 0;
    bool ok = plan_evict_futures(pool, NULL, pool->future_bytes - cap, &victims, &count, &freed);
    for (size_t i = 0; ok && i < victims.n; i++) {
        struct mempool_sender *vs = victims.v[i].sender;
        remove_from(pool, vs, sender_lower_bound(vs, victims.v[i].min_nonce));
    }
    free(victims.v);
    return ok;
}

/* The senders, copied out so that the table may change while they are
 * processed. NULL with *n = 0 for an empty pool; NULL with *n > 0 on
 * allocation failure. */
static struct mempool_sender **senders_snapshot(const struct mempool *pool, size_t *n)
{
    *n = pool->by_sender.count;
    if (*n == 0)
        return NULL;
    struct mempool_sender **list = malloc(*n * sizeof *list);
    if (list == NULL)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < pool->by_sender.cap; i++)
        if (pool->by_sender.slots[i] != NULL)
            list[j++] = pool->by_sender.slots[i];
    return list;
}

static void sender_mark_all_future(struct mempool *pool, struct mempool_sender *s)
{
    s->ready = 0;
    for (size_t i = 0; i < s->n; i++)
        entry_set_future(pool, s->q[i], true);
}

/* Re-validates one sender against the view (left as it was found). */
static bool recheck_sender(struct mempool *pool, struct mempool_sender *s, struct state_view *v,
                           const struct apply_ctx *ctx)
{
    sender_mark_all_future(pool, s);
    struct account a;
    if (account_get(v, s->key, &a) != TXERR_OK)
        return false;
    while (s->n > 0 && s->q[0]->tx.nonce < a.nonce)
        unlink_at(pool, s, 0);
    size_t sp = state_savepoint(v);
    uint64_t expected = a.nonce;
    bool intact = true, ok = true;
    size_t i = 0;
    while (i < s->n) {
        struct mempool_entry *e = s->q[i];
        if (!intact || e->tx.nonce != expected) {
            i++;
            continue;
        }
        enum txerr err = blockcheck_apply_tx(v, &e->tx, ctx);
        if (err == TXERR_OK) {
            entry_set_future(pool, e, false);
            s->ready++;
            expected++;
            i++;
        } else if (err == TXERR_STORAGE) {
            ok = intact = false;
        } else {
            /* Gone for good; what follows waits behind the gap. */
            unlink_at(pool, s, i);
            intact = false;
        }
    }
    /* Futures whose fee the balance no longer covers (spent meanwhile) go,
     * as they would have been refused. */
    for (size_t j = s->n; ok && j-- > s->ready;)
        if (s->q[j]->tx.fee > a.balance)
            unlink_at(pool, s, j);
    while (s->n - s->ready > MEMPOOL_MAX_FUTURE_PER_SENDER)
        unlink_at(pool, s, s->n - 1);
    state_rollback(v, sp);
    return ok;
}

bool mempool_update_tip(struct mempool *pool, const struct state_backend *tip,
                        uint64_t tip_height)
{
    cache_invalidate(pool);
    pool->tip = *tip;
    pool->height = tip_height;
    size_t n;
    struct mempool_sender **list = senders_snapshot(pool, &n);
    bool ok = true;
    if (list == NULL && n > 0) {
        /* Not even the list of senders: nothing is minable until the next update. */
        for (size_t i = 0; i < pool->by_sender.cap; i++)
            if (pool->by_sender.slots[i] != NULL)
                sender_mark_all_future(pool, pool->by_sender.slots[i]);
        n = 0;
        ok = false;
    }
    struct state_view v;
    bool have_view = next_block_view(pool, &v) == TXERR_OK;
    int64_t now = time_now();
    struct apply_ctx ctx = {.params = pool->params, .height = tip_height + 1, .time = now > 0 ? (uint64_t)now : 0};
    for (size_t i = 0; i < n; i++) {
        struct mempool_sender *s = list[i];
        if (!have_view || !recheck_sender(pool, s, &v, &ctx)) {
            sender_mark_all_future(pool, s);
            ok = false;
        }
        sender_release_if_empty(pool, s);
    }
    if (have_view) {
        ok = ok && !state_view_failed(&v);
        state_view_clear(&v);
    } else {
        ok = false;
    }
    free(list);
    if (!trim_futures(pool))
        ok = false;
    trim_to_size(pool);
    return ok;
}

size_t mempool_readd(struct mempool *pool, const struct tx *txs, size_t count, int64_t now)
{
    cache_invalidate(pool);
    size_t added = 0;
    for (size_t i = 0; i < count; i++) {
        const struct tx *tx = &txs[i];
        if (tx_is_coinbase(tx))
            continue;
        uint8_t txid[SHA256_LEN];
        tx_txid(tx, txid);
        if (keymap_find(&pool->by_txid, txid) != NULL)
            continue;
        size_t size = tx_encoded_size(tx);
        if (fee_below_minimum(pool, tx->fee, size) ||
            txcheck_stateless(tx, pool->params->genesis.hash, NULL) != TXERR_OK)
            continue;
        struct mempool_entry *e = calloc(1, sizeof *e);
        if (e == NULL)
            continue;
        tx_init(&e->tx);
        if (!tx_copy(&e->tx, tx) || !keymap_reserve(&pool->by_txid, pool->by_txid.count + 1) ||
            !heap_reserve(pool, pool->heap_n + 1)) {
            entry_free(e);
            continue;
        }
        struct mempool_sender *s = sender_find(pool, tx->sender);
        if (s == NULL) {
            s = calloc(1, sizeof *s);
            if (s == NULL || !keymap_reserve(&pool->by_sender, pool->by_sender.count + 1)) {
                free(s);
                entry_free(e);
                continue;
            }
            memcpy(s->key, tx->sender, TX_SENDER_LEN);
            keymap_insert(&pool->by_sender, s);
        }
        if (!sender_reserve(s, s->n + 1)) {
            entry_free(e);
            sender_release_if_empty(pool, s);
            continue;
        }
        /* Held unchecked until the update that must follow; the mined
         * version of a nonce wins over a pending one. */
        sender_mark_all_future(pool, s);
        size_t at = sender_lower_bound(s, tx->nonce);
        if (at < s->n && s->q[at]->tx.nonce == tx->nonce)
            unlink_at(pool, s, at);
        e->sender = s;
        e->size = size;
        e->time = now;
        e->height = pool->height;
        memcpy(e->txid, txid, SHA256_LEN);
        memmove(&s->q[at + 1], &s->q[at], (s->n - at) * sizeof *s->q);
        s->q[at] = e;
        s->n++;
        keymap_insert(&pool->by_txid, e);
        heap_push(pool, e);
        pool->bytes += size;
        entry_set_future(pool, e, true);
        added++;
    }
    return added;
}

size_t mempool_remove_block(struct mempool *pool, const struct block *block)
{
    size_t removed = 0;
    for (size_t i = 0; i < block->tx_count; i++) {
        if (tx_is_coinbase(&block->txs[i]))
            continue;
        uint8_t txid[SHA256_LEN];
        tx_txid(&block->txs[i], txid);
        struct mempool_entry *e = keymap_find(&pool->by_txid, txid);
        if (e == NULL)
            continue;
        struct mempool_sender *s = e->sender;
        unlink_at(pool, s, sender_lower_bound(s, e->tx.nonce));
        sender_release_if_empty(pool, s);
        removed++;
    }
    return removed;
}

size_t mempool_expire(struct mempool *pool, int64_t now)
{
    if (now < INT64_MIN + MEMPOOL_EXPIRY_SECONDS)
        return 0;
    int64_t cutoff = now - MEMPOOL_EXPIRY_SECONDS;
    size_t removed = 0;
    size_t n;
    struct mempool_sender **list = senders_snapshot(pool, &n);
    if (list == NULL && n > 0) {
        /* No memory for the list: go cheapest-first through the heap instead. */
        for (size_t pos = 0; pos < pool->heap_n;) {
            struct mempool_entry *e = pool->heap[pos];
            if (e->time >= cutoff) {
                pos++;
                continue;
            }
            removed += remove_from(pool, e->sender, sender_lower_bound(e->sender, e->tx.nonce));
            pos = 0;
        }
        return removed;
    }
    for (size_t i = 0; i < n; i++) {
        struct mempool_sender *s = list[i];
        size_t j = 0;
        while (j < s->n && s->q[j]->time >= cutoff)
            j++;
        if (j < s->n)
            removed += remove_from(pool, s, j);
    }
    free(list);
    return removed;
}

size_t mempool_remove(struct mempool *pool, const uint8_t txid[SHA256_LEN])
{
    struct mempool_entry *e = keymap_find(&pool->by_txid, txid);
    if (e == NULL)
        return 0;
    return remove_from(pool, e->sender, sender_lower_bound(e->sender, e->tx.nonce));
}

/* ---- queries ---- */

const struct mempool_entry *mempool_find(const struct mempool *pool,
                                         const uint8_t txid[SHA256_LEN])
{
    return keymap_find(&pool->by_txid, txid);
}

const struct tx *mempool_entry_tx(const struct mempool_entry *e) { return &e->tx; }

void mempool_entry_get_info(const struct mempool_entry *e, struct mempool_entry_info *out)
{
    memcpy(out->txid, e->txid, SHA256_LEN);
    memcpy(out->sender, e->tx.sender, TX_SENDER_LEN);
    out->nonce = e->tx.nonce;
    out->fee = e->tx.fee;
    out->size = e->size;
    uint64_t whole = e->tx.fee / e->size, rest = e->tx.fee % e->size;
    out->fee_per_kb = whole > UINT64_MAX / 1000 - 1000 ? UINT64_MAX
                                                       : whole * 1000 + rest * 1000 / e->size;
    out->time = e->time;
    out->height = e->height;
    out->future = e->future;
}

bool mempool_get(const struct mempool *pool, const uint8_t txid[SHA256_LEN], struct tx *tx,
                 struct mempool_entry_info *out)
{
    const struct mempool_entry *e = mempool_find(pool, txid);
    if (e == NULL || !tx_copy(tx, &e->tx))
        return false;
    if (out != NULL)
        mempool_entry_get_info(e, out);
    return true;
}

bool mempool_for_each(const struct mempool *pool, mempool_entry_fn fn, void *ctx)
{
    for (size_t i = 0; i < pool->by_sender.cap; i++) {
        const struct mempool_sender *s = pool->by_sender.slots[i];
        if (s == NULL)
            continue;
        for (size_t j = 0; j < s->n; j++)
            if (!fn(ctx, s->q[j]))
                return false;
    }
    return true;
}

bool mempool_for_each_chain(const struct mempool *pool, mempool_chain_fn fn, void *ctx)
{
    for (size_t i = 0; i < pool->by_sender.cap; i++) {
        const struct mempool_sender *s = pool->by_sender.slots[i];
        if (s == NULL || s->ready == 0)
            continue;
        if (!fn(ctx, (const struct mempool_entry *const *)s->q, s->ready))
            return false;
    }
    return true;
}

struct txids_ctx {
    uint8_t (*out)[SHA256_LEN];
    size_t max, n;
};

static bool txids_collect(void *ctx, const struct mempool_entry *e)
{
    struct txids_ctx *c = ctx;
    if (c->n == c->max)
        return false;
    memcpy(c->out[c->n++], e->txid, SHA256_LEN);
    return true;
}

size_t mempool_txids(const struct mempool *pool, uint8_t (*out)[SHA256_LEN], size_t max)
{
    struct txids_ctx c = {out, max, 0};
    mempool_for_each(pool, txids_collect, &c);
    return c.n;
}

bool mempool_next_nonce(const struct mempool *pool, const uint8_t sender[TX_SENDER_LEN],
                        uint64_t *nonce)
{
    const struct mempool_sender *s = sender_find(pool, sender);
    if (s != NULL && s->ready > 0) {
        *nonce = s->q[0]->tx.nonce + s->ready;
        return true;
    }
    struct state_view v;
    state_view_init(&v, &pool->tip);
    struct account a;
    enum txerr err = account_get(&v, sender, &a);
    state_view_clear(&v);
    if (err != TXERR_OK)
        return false;
    *nonce = a.nonce;
    return true;
}
