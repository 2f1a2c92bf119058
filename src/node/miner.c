#include "node/miner.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/account.h"
#include "consensus/blockcheck.h"
#include "consensus/prologue.h"
#include "consensus/pow.h"
#include "consensus/subsidy.h"
#include "consensus/txcheck.h"
#include "util/grow.h"

static const char *const miner_err_text[MINER_ERR_COUNT_] = {
    [MINER_OK] = "no error",
    [MINER_ERR_NOMEM] = "out of memory",
    [MINER_ERR_STORAGE] = "the chain state could not be read",
    [MINER_ERR_BITS] = "no valid difficulty bits for this parent",
    [MINER_ERR_REQUEST] = "invalid block request (coinbase extra too long or bad size limit)",
    [MINER_ERR_BAD_TX] = "a transaction is invalid at its position in the block",
    [MINER_ERR_TOO_LARGE] = "the transactions do not fit in the block",
};

const char *miner_strerror(enum miner_err err)
{
    return (unsigned)err < MINER_ERR_COUNT_ ? miner_err_text[err] : "unknown error";
}

/* The block as far as it is known before txs are chosen. */
struct draft {
    struct block_header header;
    uint64_t height;
    size_t room;  /* bytes left for the txs after the coinbase */
};

/* msgpack array header of the block (1) plus the largest header of its
 * tx array (5). */
#define MINER_BLOCK_FRAMING 6

static enum miner_err draft_start(const struct chain_params *params, const struct miner_request *req,
                                  struct draft *d)
{
    size_t max_size = req->max_size != 0 ? req->max_size : BLOCK_MAX_SIZE;
    if (req->extra_len > COINBASE_EXTRA_MAX || max_size > BLOCK_MAX_SIZE ||
        req->parent_height == UINT64_MAX)
        return MINER_ERR_REQUEST;
    memset(d, 0, sizeof *d);
    d->height = req->parent_height + 1;
    if (chainparams_next_bits(params, req->parent_height, req->parent_time, &d->header.bits) !=
        POW_OK)
        return MINER_ERR_BITS;
    memcpy(d->header.prev_hash, req->prev_hash, SHA256_LEN);
    d->header.time = req->time;
    d->header.nonce = 0;

    /* Room is measured with the largest coinbase amount and header nonce,
     * so neither the final amount nor grinding can push the block over. */
    struct block_header worst = d->header;
    worst.nonce = UINT64_MAX;
    struct coinbase_payload p = {.amount = AMOUNT_MAX, .extra_len = req->extra_len};
    memcpy(p.recipient, req->recipient, 32);
    memcpy(p.extra, req->extra, req->extra_len);
    struct tx cb;
    tx_init(&cb);
    struct buf hb;
    buf_init(&hb);
    bool ok = coinbase_build(&cb, d->height, &p) && block_header_encode(&worst, &hb);
    size_t overhead = hb.len + tx_encoded_size(&cb) + MINER_BLOCK_FRAMING;
    buf_clear(&hb);
    tx_clear(&cb);
    if (!ok)
        return MINER_ERR_NOMEM;
    if (overhead > max_size)
        return MINER_ERR_REQUEST;
    d->room = max_size - overhead;
    return MINER_OK;
}

/* A view over the tip as the block starts: the block prologue run first,
 * as blockcheck_apply does. */
static enum miner_err draft_view(const struct state_backend *tip, const struct chain_params *params,
                                 const struct draft *d, struct state_view *v)
{
    state_view_init(v, tip);
    struct apply_ctx ctx = {.params = params, .height = d->height, .time = d->header.time};
    if (prologue_run(v, &ctx) != TXERR_OK) {
        state_view_clear(v);
        return MINER_ERR_STORAGE;
    }
    return MINER_OK;
}

/* Coinbase, then copies of the chosen txs; merkle root set. */
static enum miner_err draft_finish(const struct draft *d, const struct chain_params *params,
                                   const struct miner_request *req,
                                   const struct tx *const *chosen, size_t n, amount_t fees,
                                   struct block *out, amount_t *fees_out)
{
    struct coinbase_payload p = {.extra_len = req->extra_len};
    memcpy(p.recipient, req->recipient, 32);
    memcpy(p.extra, req->extra, req->extra_len);
    if (!amount_add(subsidy_at(d->height, params->halving_interval), fees, &p.amount))
        return MINER_ERR_TOO_LARGE;
    struct block b;
    block_init(&b);
    b.header = d->header;
    struct tx t;
    tx_init(&t);
    bool ok = coinbase_build(&t, d->height, &p) && block_take_tx(&b, &t);
    for (size_t i = 0; ok && i < n; i++)
        ok = tx_copy(&t, chosen[i]) && block_take_tx(&b, &t);
    tx_clear(&t);
    if (!ok) {
        block_clear(&b);
        return MINER_ERR_NOMEM;
    }
    block_set_merkle_root(&b);
    block_clear(out);
    *out = b;
    if (fees_out != NULL)
        *fees_out = fees;
    return MINER_OK;
}

/* One sender's minable txs and how far the template has taken them. */
struct chain {
    const struct mempool_entry *const *e;
    size_t n, next;
};

struct chains {
    struct chain *c;
    size_t n, cap;
};

static bool chains_collect(void *ctx, const struct mempool_entry *const *entries, size_t n)
{
    struct chains *cs = ctx;
    if (!grow_array((void **)&cs->c, &cs->cap, cs->n + 1, sizeof *cs->c, 64))
        return false;
    cs->c[cs->n++] = (struct chain){entries, n, 0};
    return true;
}

/* True when chain a's next tx goes before chain b's: higher fee rate, then
 * the older, then by txid so that templates are deterministic. */
static bool chain_before(const struct chain *a, const struct chain *b)
{
    struct mempool_entry_info x, y;
    mempool_entry_get_info(a->e[a->next], &x);
    mempool_entry_get_info(b->e[b->next], &y);
    int c = mempool_fee_rate_cmp(x.fee, x.size, y.fee, y.size);
    if (c != 0)
        return c > 0;
    if (x.time != y.time)
        return x.time < y.time;
    return memcmp(x.txid, y.txid, SHA256_LEN) < 0;
}

/* Max-heap over chains->c[0..n) by chain_before. */
static void chains_sift_down(struct chains *cs, size_t n, size_t i)
{
    struct chain top = cs->c[i];
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= n)
            break;
        if (k + 1 < n && chain_before(&cs->c[k + 1], &cs->c[k]))
            k++;
        if (!chain_before(&cs->c[k], &top))
            break;
        cs->c[i] = cs->c[k];
        i = k;
    }
    cs->c[i] = top;
}

enum miner_err miner_create_block(const struct mempool *pool, const struct state_backend *tip,
                                  const struct chain_params *params,
                                  const struct miner_request *req, struct block *out,
                                  amount_t *fees_out)
{
    struct draft d;
    enum miner_err err = draft_start(params, req, &d);
    if (err != MINER_OK)
        return err;
    struct chains cs = {0};
    if (!mempool_for_each_chain(pool, chains_collect, &cs)) {
        free(cs.c);
        return MINER_ERR_NOMEM;
    }
    const struct tx **chosen = NULL;
    size_t chosen_n = 0, chosen_cap = 0;
    struct state_view v;
    err = draft_view(tip, params, &d, &v);
    if (err != MINER_OK) {
        free(cs.c);
        return err;
    }
    struct apply_ctx ctx = {.params = params, .height = d.height, .time = req->time};
    amount_t fees = 0;
    size_t used = 0;
    size_t live = cs.n;
    for (size_t i = live / 2; i-- > 0;)
        chains_sift_down(&cs, live, i);
    while (err == MINER_OK && live > 0) {
        struct chain *best = &cs.c[0];
        struct mempool_entry_info info;
        mempool_entry_get_info(best->e[best->next], &info);
        const struct tx *tx = mempool_entry_tx(best->e[best->next]);
        bool take = info.size <= d.room - used;
        amount_t sum = fees;
        take = take && amount_add(fees, info.fee, &sum);
        if (take) {
            enum txerr terr = blockcheck_apply_tx(&v, tx, &ctx);
            if (terr == TXERR_STORAGE)
                err = MINER_ERR_STORAGE;
            take = terr == TXERR_OK;
        }
        if (take && !grow_array((void **)&chosen, &chosen_cap, chosen_n + 1, sizeof *chosen, 64)) {
            err = MINER_ERR_NOMEM;
            break;
        }
        if (take) {
            chosen[chosen_n++] = tx;
            used += info.size;
            fees = sum;
            best->next++;
        }
        /* A sender whose next tx cannot go in is done: its later txs need it. */
        if (!take || best->next == best->n)
            cs.c[0] = cs.c[--live];
        if (live > 0)
            chains_sift_down(&cs, live, 0);
    }
    if (err == MINER_OK && state_view_failed(&v))
        err = MINER_ERR_STORAGE;
    state_view_clear(&v);
    if (err == MINER_OK)
        err = draft_finish(&d, params, req, chosen, chosen_n, fees, out, fees_out);
    free(chosen);
    free(cs.c);
    return err;
}

enum miner_err miner_create_block_with(const struct tx *txs, size_t count,
                                       const struct state_backend *tip,
                                       const struct chain_params *params,
                                       const struct miner_request *req, struct block *out,
                                       amount_t *fees_out, struct miner_fault *fault)
{
    struct miner_fault scratch;
    if (fault == NULL)
        fault = &scratch;
    struct draft d;
    enum miner_err err = draft_start(params, req, &d);
    if (err != MINER_OK)
        return err;
    const struct tx **chosen = malloc((count ? count : 1) * sizeof *chosen);
    if (chosen == NULL)
        return MINER_ERR_NOMEM;
    struct state_view v;
    err = draft_view(tip, params, &d, &v);
    if (err != MINER_OK) {
        free(chosen);
        return err;
    }
    struct apply_ctx ctx = {.params = params, .height = d.height, .time = req->time};
    amount_t fees = 0;
    size_t used = 0;
    for (size_t i = 0; err == MINER_OK && i < count; i++) {
        const struct tx *tx = &txs[i];
        enum txerr terr = tx_is_coinbase(tx) ? TXERR_COINBASE
                                             : txcheck_stateless(tx, params->genesis.hash, NULL);
        if (terr == TXERR_OK)
            terr = blockcheck_apply_tx(&v, tx, &ctx);
        if (terr == TXERR_OK && !amount_add(fees, tx->fee, &fees))
            terr = TXERR_AMOUNT_RANGE;
        if (terr == TXERR_STORAGE) {
            err = MINER_ERR_STORAGE;
        } else if (terr != TXERR_OK) {
            fault->index = i;
            fault->txerr = terr;
            err = MINER_ERR_BAD_TX;
        } else {
            size_t size = tx_encoded_size(tx);
            if (size > d.room - used)
                err = MINER_ERR_TOO_LARGE;
            used += size;
            chosen[i] = tx;
        }
    }
    if (err == MINER_OK && state_view_failed(&v))
        err = MINER_ERR_STORAGE;
    state_view_clear(&v);
    if (err == MINER_OK)
        err = draft_finish(&d, params, req, chosen, count, fees, out, fees_out);
    free(chosen);
    return err;
}

bool miner_grind(struct block *b, const struct chain_params *params, uint64_t max_tries,
                 bool *found)
{
    struct u256 limit;
    chainparams_pow_limit(params, &limit);
    *found = false;
    uint8_t hash[SHA256_LEN];
    for (uint64_t i = 0; i < max_tries; i++) {
        block_header_hash(&b->header, hash);
        enum pow_result r = pow_check(hash, b->header.bits, &limit);
        if (r == POW_OK) {
            *found = true;
            return true;
        }
        if (r != POW_ERR_HASH_ABOVE_TARGET)
            return false;
        if (b->header.nonce == UINT64_MAX)
            break;
        b->header.nonce++;
    }
    return true;
}
