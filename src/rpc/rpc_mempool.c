#define _POSIX_C_SOURCE 200809L
#include "rpc/rpc_mempool.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/txsign.h"
#include "crypto/address.h"
#include "node/mempool.h"
#include "node/node.h"
#include "node/services.h"
#include "rpc/server.h"
#include "util/hex.h"

static json_t *mempool_rpc_sender(const uint8_t key[32], const char *hrp)
{
    char addr[ADDRESS_MAX_LEN + 1];
    if (address_encode(hrp, key, addr, sizeof addr) != ADDRESS_OK)
        return rpc_hex_json(key, 32);
    return json_string(addr);
}

/* One entry in getmempoolentry's shape. dep: the txid it waits for, or NULL. */
static json_t *mempool_rpc_entry(const struct mempool_entry_info *info, const uint8_t *dep,
                                 const char *hrp)
{
    json_t *depends = json_array();
    if (depends != NULL && dep != NULL)
        json_array_append_new(depends, rpc_hex_json(dep, SHA256_LEN));
    return json_pack("{s:I,s:o,s:{s:o},s:o,s:I,s:I,s:o,s:I,s:b,s:o,s:[]}", "size",
                     (json_int_t)info->size, "fee", rpc_amount_json(info->fee), "fees", "base",
                     rpc_amount_json(info->fee), "feerate", rpc_amount_json(info->fee_per_kb),
                     "time", (json_int_t)info->time, "height", (json_int_t)info->height, "sender",
                     mempool_rpc_sender(info->sender, hrp), "nonce", (json_int_t)info->nonce,
                     "future", info->future, "depends", depends, "spentby");
}

/* A walk over the pool in sender/nonce order, so a tx's dependency (the
 * sender's previous nonce) is the entry just before it. */
struct mempool_rpc_walk {
    const char *hrp;
    bool fees_only;          /* only sum the fees (getmempoolinfo) */
    const uint8_t *target;   /* only this txid (getmempoolentry), or NULL for all */
    json_t *map;             /* txid -> entry, when target is NULL */
    json_t *found;           /* the target's entry */
    struct mempool_entry_info prev;
    bool have_prev;
    json_t *prev_obj;        /* borrowed: the previous entry's JSON, if built */
    amount_t total_fee;
    bool failed;
};

static bool mempool_rpc_walk_fn(void *vctx, const struct mempool_entry *e)
{
    struct mempool_rpc_walk *w = vctx;
    struct mempool_entry_info info;
    mempool_entry_get_info(e, &info);
    w->total_fee += info.fee;
    if (w->fees_only)
        return true;
    bool dep = w->have_prev && memcmp(w->prev.sender, info.sender, TX_SENDER_LEN) == 0 &&
               w->prev.nonce + 1 == info.nonce;
    json_t *obj = NULL;
    if (w->target == NULL || memcmp(w->target, info.txid, SHA256_LEN) == 0) {
        obj = mempool_rpc_entry(&info, dep ? w->prev.txid : NULL, w->hrp);
        if (obj == NULL) {
            w->failed = true;
            return false;
        }
        if (w->target != NULL) {
            w->found = obj;
        } else {
            char hex[2 * SHA256_LEN + 1];
            hex_encode(info.txid, SHA256_LEN, hex);
            if (json_object_set_new(w->map, hex, obj) != 0) {
                w->failed = true;
                return false;
            }
        }
    }
    if (dep && w->prev_obj != NULL)
        json_array_append_new(json_object_get(w->prev_obj, "spentby"),
                              rpc_hex_json(info.txid, SHA256_LEN));
    w->prev = info;
    w->prev_obj = obj;
    w->have_prev = true;
    return true;
}

static bool mempool_rpc_walk(struct rpc_request *req, struct mempool_rpc_walk *w)
{
    w->hrp = req->node->params->hrp;
    pthread_mutex_lock(&req->node->lock);
    mempool_for_each(services_mempool(req->node), mempool_rpc_walk_fn, w);
    pthread_mutex_unlock(&req->node->lock);
    if (w->failed) {
        json_decref(w->found);
        w->found = NULL;
        return rpc_nomem(req);
    }
    return true;
}

/* ---- getmempoolinfo --------------------------------------------------------- */

static bool rpc_getmempoolinfo(struct rpc_request *req, json_t **result)
{
    struct node_ctx *ctx = req->node;
    struct mempool_rpc_walk w;
    memset(&w, 0, sizeof w);
    w.fees_only = true;
    pthread_mutex_lock(&ctx->lock);
    struct mempool *pool = services_mempool(ctx);
    size_t count = mempool_count(pool), bytes = mempool_bytes(pool);
    size_t max = mempool_max_bytes(pool);
    size_t futures = mempool_future_count(pool), future_bytes = mempool_future_bytes(pool);
    size_t max_future = mempool_max_future_bytes(pool);
    amount_t rate = mempool_min_fee_rate(pool);
    w.hrp = ctx->params->hrp;
    mempool_for_each(pool, mempool_rpc_walk_fn, &w);
    pthread_mutex_unlock(&ctx->lock);
    /* Rates in coins per 1000 bytes: units/byte * 1000 units per kB. */
    json_t *info = json_pack("{s:b,s:I,s:I,s:I,s:o,s:I,s:o,s:o}", "loaded", 1, "size",
                             (json_int_t)count, "bytes", (json_int_t)bytes, "usage",
                             (json_int_t)bytes, "total_fee", rpc_amount_json(w.total_fee),
                             "maxmempool", (json_int_t)max, "mempoolminfee",
                             rpc_amount_json(rate * 1000), "minrelaytxfee",
                             rpc_amount_json(rate * 1000));
    if (info != NULL) {
        json_object_set_new(info, "futures", json_integer((json_int_t)futures));
        json_object_set_new(info, "future_bytes", json_integer((json_int_t)future_bytes));
        json_object_set_new(info, "max_future_bytes", json_integer((json_int_t)max_future));
        json_object_set_new(info, "signature_checks",
                            json_integer((json_int_t)txsign_verify_count()));
    }
    return rpc_done(req, result, info);
}

/* ---- getrawmempool ----------------------------------------------------------- */

static bool rpc_getrawmempool(struct rpc_request *req, json_t **result)
{
    bool verbose;
    if (!rpc_param_bool(req, 0, false, &verbose))
        return false;
    if (verbose) {
        struct mempool_rpc_walk w;
        memset(&w, 0, sizeof w);
        w.map = json_object();
        if (w.map == NULL)
            return rpc_nomem(req);
        if (!mempool_rpc_walk(req, &w)) {
            json_decref(w.map);
            return false;
        }
        *result = w.map;
        return true;
    }
    struct node_ctx *ctx = req->node;
    pthread_mutex_lock(&ctx->lock);
    struct mempool *pool = services_mempool(ctx);
    size_t n = mempool_count(pool);
    uint8_t(*ids)[SHA256_LEN] = malloc((n + 1) * sizeof *ids);
    if (ids != NULL)
        n = mempool_txids(pool, ids, n);
    pthread_mutex_unlock(&ctx->lock);
    json_t *arr = ids != NULL ? json_array() : NULL;
    for (size_t i = 0; arr != NULL && i < n; i++)
        if (json_array_append_new(arr, rpc_hex_json(ids[i], SHA256_LEN)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    free(ids);
    return rpc_done(req, result, arr);
}

/* ---- getmempoolentry ---------------------------------------------------------- */

static bool rpc_getmempoolentry(struct rpc_request *req, json_t **result)
{
    uint8_t txid[SHA256_LEN];
    if (!rpc_param_hash(req, 0, txid))
        return false;
    struct mempool_rpc_walk w;
    memset(&w, 0, sizeof w);
    w.target = txid;
    if (!mempool_rpc_walk(req, &w))
        return false;
    if (w.found == NULL)
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool");
    *result = w.found;
    return true;
}

/* ---- table ------------------------------------------------------------------- */

#define MEMPOOL_ENTRY_HELP                                                                   \
    "{size (encoded bytes), fee, fees: {base}, feerate (coins per 1000 bytes), time,\n"     \
    "height (tip when accepted), sender, nonce, future (true while behind a nonce gap),\n"  \
    "depends: [the sender's pending tx with the previous nonce], spentby: [the next one]}"

static const struct rpc_method rpc_mempool_methods[] = {
    {"blockchain", "getmempoolinfo", rpc_getmempoolinfo, "Details on the mempool.",
     "Result: {loaded, size (txs), bytes (encoded), usage (= bytes), total_fee, maxmempool\n"
     "(bytes), mempoolminfee, minrelaytxfee (coins per 1000 bytes), futures, future_bytes,\n"
     "max_future_bytes (txs behind a nonce gap, their bytes and their share of maxmempool),\n"
     "signature_checks (tx signatures verified since the node started, blocks and mempool)}",
     {{NULL, 0, false, NULL}}},
    {"blockchain", "getrawmempool", rpc_getrawmempool, "The txids in the mempool.",
     "Result: [\"txid\", ...] grouped by sender in nonce order, or with verbose\n"
     "{\"txid\": " MEMPOOL_ENTRY_HELP ", ...}",
     {{"verbose", RPC_ARG_BOOL, true, "an object of entries instead of txids (default false)"}}},
    {"blockchain", "getmempoolentry", rpc_getmempoolentry, "One mempool entry.",
     "Result: " MEMPOOL_ENTRY_HELP, {{"txid", RPC_ARG_HASH, false, "the transaction id"}}},
};

bool rpc_mempool_register(struct rpc_table *t, char *err, size_t errlen)
{
    return rpc_register_table(t, rpc_mempool_methods,
                              sizeof rpc_mempool_methods / sizeof rpc_mempool_methods[0], err,
                              errlen);
}
