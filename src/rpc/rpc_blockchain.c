#define _POSIX_C_SOURCE 200809L
#include "rpc/rpc_blockchain.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "consensus/account.h"
#include "consensus/block.h"
#include "consensus/pow.h"
#include "consensus/state.h"
#include "consensus/uint256.h"
#include "crypto/address.h"
#include "crypto/key.h"
#include "node/chain.h"
#include "node/mempool.h"
#include "node/node.h"
#include "node/services.h"
#include "node/supply.h"
#include "rpc/rpcutil.h"
#include "rpc/server.h"
#include "rpc/txjson.h"
#include "util/hex.h"
#include "util/time.h"

/* Most history entries one getaccounthistory call returns. */
#define HISTORY_MAX_COUNT 10000
#define HISTORY_DEFAULT_COUNT 100

/* ------------------------------------------------------------ helpers */

/* Takes the chain lock; NULL (error set, lock not taken) without a chain. */
static struct chain *chain_enter(struct rpc_request *req)
{
    if (req->node == NULL || services_chain(req->node) == NULL) {
        rpc_error(req, RPC_INTERNAL_ERROR, "the chain is not loaded");
        return NULL;
    }
    pthread_mutex_lock(&req->node->lock);
    return services_chain(req->node);
}

static void chain_leave(struct rpc_request *req)
{
    pthread_mutex_unlock(&req->node->lock);
}

static double u256_to_double(const struct u256 *a)
{
    double d = 0.0;
    for (int i = 3; i >= 0; i--)
        d = d * 18446744073709551616.0 + (double)a->w[i];
    return d;
}

bool rpc_blockchain_difficulty(const struct chain_params *params, uint32_t bits, double *out)
{
    struct u256 target, limit;
    if (pow_bits_to_target(bits, &target) != POW_OK || u256_is_zero(&target))
        return false;
    chainparams_pow_limit(params, &limit);
    *out = u256_to_double(&limit) / u256_to_double(&target);
    return true;
}

static json_t *difficulty_json(const struct chain_params *params, uint32_t bits)
{
    double d;
    /* Stored headers passed their PoW check, so this only guards oddities. */
    return json_real(rpc_blockchain_difficulty(params, bits, &d) ? d : 0.0);
}

static json_t *chainwork_json(const struct blockindex_entry *e)
{
    char hex[U256_HEX_LEN + 1];
    u256_to_hex(&e->chainwork, hex);
    return json_string(hex);
}

static json_t *uint_json(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* The block hash argument i, looked up in the index (lock held). */
static struct blockindex_entry *param_block(struct rpc_request *req, struct chain *c, size_t i)
{
    uint8_t hash[SHA256_LEN];
    if (!rpc_param_hash(req, i, hash))
        return NULL;
    struct blockindex_entry *e = blockindex_find(chain_index(c), hash);
    if (e == NULL)
        rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
    return e;
}

/* The header part of getblock/getblockheader (lock held). */
static json_t *header_json(struct chain *c, const struct blockindex_entry *e)
{
    const struct blockindex_chain *active = chain_active(c);
    json_t *o = txjson_header(&e->header);
    if (o == NULL)
        return NULL;
    int64_t confirmations = -1;
    if (blockindex_chain_contains(active, e))
        confirmations = blockindex_chain_height(active) - (int64_t)e->height + 1;
    char version_hex[9];
    snprintf(version_hex, sizeof version_hex, "%08x", BLOCK_VERSION);
    bool ok = rpc_put(o, "confirmations", json_integer(confirmations)) &&
              rpc_put(o, "height", uint_json(e->height)) &&
              rpc_put(o, "versionHex", json_string(version_hex)) &&
              rpc_put(o, "mediantime", uint_json(blockindex_median_time_past(e))) &&
              rpc_put(o, "difficulty", difficulty_json(chain_params(c), e->header.bits)) &&
              rpc_put(o, "chainwork", chainwork_json(e)) &&
              rpc_put(o, "nTx", json_integer((e->status & BLOCK_HAVE_DATA) ? e->tx_count : 0));
    struct blockindex_entry *next = blockindex_chain_next(active, e);
    if (ok && next != NULL)
        ok = rpc_put(o, "nextblockhash", rpc_hex_json(next->hash, sizeof next->hash));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Reads e's block (lock held): bytes in raw, decoded in *b (initialized
 * here). Sets the RPC error on failure. */
static bool read_block(struct rpc_request *req, struct chain *c, const struct blockindex_entry *e,
                       struct buf *raw, struct block *b)
{
    if (!(e->status & BLOCK_HAVE_DATA))
        return rpc_error(req, RPC_MISC_ERROR, "Block not available");
    char err[256];
    if (!chain_read_block_bytes(c, e, raw, err, sizeof err))
        return rpc_error(req, RPC_MISC_ERROR, "Can't read block from disk: %s", err);
    if (b == NULL)
        return true;
    block_init(b);
    enum ser_err se = block_decode(raw->data, raw->len, b);
    if (se != SER_OK) {
        block_clear(b);
        return rpc_error(req, RPC_MISC_ERROR, "Block on disk does not decode: %s",
                         ser_strerror(se));
    }
    return true;
}

/* ------------------------------------------------------------ chain summary */

static bool rpc_getblockcount(struct rpc_request *req, json_t **result)
{
    /* From the tip snapshot: never waits for a block being validated. */
    uint64_t height;
    if (req->node != NULL && services_tip_snapshot(req->node, NULL, &height))
        return rpc_done(req, result, json_integer((json_int_t)height));
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    int64_t h = blockindex_chain_height(chain_active(c));
    chain_leave(req);
    return rpc_done(req, result, json_integer(h));
}

static bool rpc_getbestblockhash(struct rpc_request *req, json_t **result)
{
    uint8_t hash[SHA256_LEN];
    if (req->node != NULL && services_tip_snapshot(req->node, hash, NULL))
        return rpc_done(req, result, rpc_hex_json(hash, sizeof hash));
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    memcpy(hash, chain_tip(c)->hash, sizeof hash);
    chain_leave(req);
    return rpc_done(req, result, rpc_hex_json(hash, sizeof hash));
}

static bool rpc_getblockhash(struct rpc_request *req, json_t **result)
{
    int64_t height;
    if (!rpc_param_int(req, 0, 0, INT64_MIN, INT64_MAX, &height))
        return false;
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    const struct blockindex_chain *active = chain_active(c);
    struct blockindex_entry *e = NULL;
    if (height >= 0 && height <= blockindex_chain_height(active))
        e = blockindex_chain_at(active, (uint64_t)height);
    uint8_t hash[SHA256_LEN];
    if (e != NULL)
        memcpy(hash, e->hash, sizeof hash);
    chain_leave(req);
    if (e == NULL)
        return rpc_error(req, RPC_INVALID_PARAMETER, "Block height out of range");
    return rpc_done(req, result, rpc_hex_json(hash, sizeof hash));
}

static bool rpc_getdifficulty(struct rpc_request *req, json_t **result)
{
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    *result = difficulty_json(chain_params(c), chain_tip(c)->header.bits);
    chain_leave(req);
    return *result != NULL || rpc_nomem(req);
}

/* Total size of the block and undo files. */
static uint64_t blocks_size_on_disk(const char *datadir)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/blocks", datadir);
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    uint64_t total = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".dat") != 0 ||
            (strncmp(de->d_name, "blk", 3) != 0 && strncmp(de->d_name, "rev", 3) != 0))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

static bool rpc_getblockchaininfo(struct rpc_request *req, json_t **result)
{
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    const struct chain_params *params = chain_params(c);
    const struct blockindex_entry *tip = chain_tip(c);
    const struct blockindex_entry *best = chain_best_header(c);
    json_t *o = json_object();
    bool ok = o != NULL && rpc_put(o, "chain", json_string(params->name)) &&
              rpc_put(o, "blocks", uint_json(tip->height)) &&
              rpc_put(o, "headers", uint_json(best->height)) &&
              rpc_put(o, "bestblockhash", rpc_hex_json(tip->hash, sizeof tip->hash)) &&
              rpc_put(o, "difficulty", difficulty_json(params, tip->header.bits)) &&
              rpc_put(o, "time", uint_json(tip->header.time)) &&
              rpc_put(o, "mediantime", uint_json(blockindex_median_time_past(tip))) &&
              rpc_put(o, "verificationprogress",
                      json_real(best->height > tip->height
                                    ? (double)tip->height / (double)best->height
                                    : 1.0)) &&
              rpc_put(o, "initialblockdownload",
                      json_boolean(services_initial_download(tip, best))) &&
              rpc_put(o, "chainwork", chainwork_json(tip));
    chain_leave(req);
    ok = ok && rpc_put(o, "size_on_disk", uint_json(blocks_size_on_disk(req->node->datadir))) &&
         rpc_put(o, "pruned", json_false()) && rpc_put(o, "warnings", json_string(""));
    return rpc_done_if(req, result, o, ok);
}

/* ------------------------------------------------------------ blocks */

static bool parse_verbosity(struct rpc_request *req, size_t i, int *out)
{
    const json_t *v = rpc_param(req, i);
    if (v == NULL) {
        *out = 1;
        return true;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v) ? 1 : 0;
        return true;
    }
    if (!json_is_integer(v))
        return rpc_error(req, RPC_TYPE_ERROR, "Expected type integer or boolean for %s, got %s",
                         rpc_param_name(req, i),
                         json_is_string(v) ? "string" : json_is_real(v) ? "number" : "other");
    json_int_t x = json_integer_value(v);
    if (x < 0 || x > 2)
        return rpc_error(req, RPC_INVALID_PARAMETER, "Invalid verbosity %lld (allowed 0, 1, 2)",
                         (long long)x);
    *out = (int)x;
    return true;
}

static bool rpc_getblock(struct rpc_request *req, json_t **result)
{
    int verbosity = 1;
    uint8_t hash[SHA256_LEN];
    if (!rpc_param_hash(req, 0, hash) || !parse_verbosity(req, 1, &verbosity))
        return false;
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    struct blockindex_entry *e = param_block(req, c, 0);
    struct buf raw;
    buf_init(&raw);
    struct block b;
    if (e == NULL || !read_block(req, c, e, &raw, verbosity == 0 ? NULL : &b)) {
        chain_leave(req);
        buf_clear(&raw);
        return false;
    }
    json_t *o;
    if (verbosity == 0) {
        o = rpc_hex_json(raw.data, raw.len);
    } else {
        o = header_json(c, e);
        json_t *txs = json_array();
        bool ok = o != NULL && txs != NULL && rpc_put(o, "size", uint_json(raw.len));
        for (size_t i = 0; ok && i < b.tx_count; i++) {
            if (verbosity == 1) {
                uint8_t txid[SHA256_LEN];
                tx_txid(&b.txs[i], txid);
                ok = json_array_append_new(txs, rpc_hex_json(txid, sizeof txid)) == 0;
            } else {
                ok = json_array_append_new(txs, txjson_tx(&b.txs[i], chain_params(c))) == 0;
            }
        }
        if (ok) {
            ok = rpc_put(o, "tx", txs);
            txs = NULL;
        }
        json_decref(txs);
        if (!ok) {
            json_decref(o);
            o = NULL;
        }
        block_clear(&b);
    }
    chain_leave(req);
    buf_clear(&raw);
    return rpc_done(req, result, o);
}

static bool rpc_getblockheader(struct rpc_request *req, json_t **result)
{
    bool verbose;
    uint8_t hash[SHA256_LEN];
    if (!rpc_param_hash(req, 0, hash) || !rpc_param_bool(req, 1, true, &verbose))
        return false;
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    struct blockindex_entry *e = param_block(req, c, 0);
    if (e == NULL) {
        chain_leave(req);
        return false;
    }
    json_t *o = NULL;
    if (verbose) {
        o = header_json(c, e);
    } else {
        struct buf enc;
        buf_init(&enc);
        if (block_header_encode(&e->header, &enc))
            o = rpc_hex_json(enc.data, enc.len);
        buf_clear(&enc);
    }
    chain_leave(req);
    return rpc_done(req, result, o);
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const void *const *)a, y = (uintptr_t) * (const void *const *)b;
    return x < y ? -1 : x > y;
}

static int cmp_tip_height_desc(const void *a, const void *b)
{
    const struct blockindex_entry *x = *(const struct blockindex_entry *const *)a;
    const struct blockindex_entry *y = *(const struct blockindex_entry *const *)b;
    if (x->height != y->height)
        return x->height < y->height ? 1 : -1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* bitcoind's getchaintips statuses (lock held). */
static const char *tip_status(const struct blockindex_chain *active,
                              const struct blockindex_entry *e,
                              const struct blockindex_entry *fork)
{
    if (blockindex_chain_contains(active, e))
        return "active";
    if (e->status & BLOCK_FAILED_MASK)
        return "invalid";
    for (const struct blockindex_entry *p = e; p != NULL && p != fork; p = p->prev)
        if (!(p->status & BLOCK_HAVE_DATA))
            return "headers-only";
    return (e->status & BLOCK_VALID_FULL) ? "valid-fork" : "valid-headers";
}

static bool rpc_getchaintips(struct rpc_request *req, json_t **result)
{
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    struct blockindex *bi = chain_index(c);
    const struct blockindex_chain *active = chain_active(c);
    size_t n = blockindex_count(bi);
    /* Parents, sorted, so "has a child" is a binary search. */
    struct blockindex_entry **parents = calloc(n + 1, sizeof *parents);
    struct blockindex_entry **tips = calloc(n + 1, sizeof *tips);
    json_t *arr = json_array();
    bool ok = parents != NULL && tips != NULL && arr != NULL;
    size_t np = 0, nt = 0;
    for (size_t i = 0; ok && i < n; i++) {
        struct blockindex_entry *e = blockindex_entry_at(bi, i);
        if (e->prev != NULL)
            parents[np++] = e->prev;
    }
    if (ok)
        qsort(parents, np, sizeof *parents, cmp_ptr);
    struct blockindex_entry *tip = chain_tip(c);
    bool have_tip = false;
    for (size_t i = 0; ok && i < n; i++) {
        struct blockindex_entry *e = blockindex_entry_at(bi, i);
        if (bsearch(&e, parents, np, sizeof *parents, cmp_ptr) == NULL) {
            tips[nt++] = e;
            have_tip = have_tip || e == tip;
        }
    }
    /* The active tip has children when blocks after it were invalidated. */
    if (ok && !have_tip)
        tips[nt++] = tip;
    if (ok)
        qsort(tips, nt, sizeof *tips, cmp_tip_height_desc);
    for (size_t i = 0; ok && i < nt; i++) {
        struct blockindex_entry *e = tips[i];
        struct blockindex_entry *fork = blockindex_chain_find_fork(active, e);
        uint64_t branchlen = fork != NULL ? e->height - fork->height : e->height + 1;
        json_t *o = json_object();
        ok = o != NULL && rpc_put(o, "height", uint_json(e->height)) &&
             rpc_put(o, "hash", rpc_hex_json(e->hash, sizeof e->hash)) &&
             rpc_put(o, "branchlen", uint_json(branchlen)) &&
             rpc_put(o, "status", json_string(tip_status(active, e, fork)));
        ok = rpc_append(arr, o, ok);
    }
    chain_leave(req);
    free(parents);
    free(tips);
    return rpc_done_if(req, result, arr, ok);
}

static bool rpc_getstateinfo(struct rpc_request *req, json_t **result)
{
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    struct chainstate_info info;
    char err[256];
    bool ok = chain_state_info(c, &info, err, sizeof err);
    const struct blockindex_entry *tip = chain_tip(c);
    uint64_t height = tip->height;
    uint8_t best[SHA256_LEN];
    memcpy(best, tip->hash, sizeof best);
    chain_leave(req);
    if (!ok)
        return rpc_error(req, RPC_MISC_ERROR, "Can't read the chainstate: %s", err);
    json_t *o = json_object();
    ok = o != NULL && rpc_put(o, "height", uint_json(height)) &&
         rpc_put(o, "bestblockhash", rpc_hex_json(best, sizeof best)) &&
         rpc_put(o, "keys", uint_json(info.keys)) && rpc_put(o, "bytes", uint_json(info.bytes)) &&
         rpc_put(o, "state_hash", rpc_hex_json(info.state_hash, sizeof info.state_hash));
    return rpc_done_if(req, result, o, ok);
}

static bool rpc_getsupplyinfo(struct rpc_request *req, json_t **result)
{
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    struct supply_info s;
    char err[256];
    bool ok = supply_get(c, req->node->plugins, &s, err, sizeof err);
    chain_leave(req);
    if (!ok)
        return rpc_error(req, RPC_MISC_ERROR, "Can't read the chainstate: %s", err);
    /* Each part is at most AMOUNT_MAX, so the sum cannot wrap. */
    amount_t total = s.balances + s.held + s.immature;
    amount_t unclaimed = total <= s.subsidy ? s.subsidy - total : 0;
    amount_t excess = total > s.subsidy ? total - s.subsidy : 0;
    json_t *o = json_object();
    ok = o != NULL && rpc_put(o, "height", uint_json(s.height)) &&
         rpc_put(o, "accounts", uint_json(s.accounts)) &&
         rpc_put(o, "balances", rpc_amount_json(s.balances)) &&
         rpc_put(o, "escrow", rpc_amount_json(s.held)) &&
         rpc_put(o, "immature", rpc_amount_json(s.immature)) &&
         rpc_put(o, "total", rpc_amount_json(total)) &&
         rpc_put(o, "subsidy", rpc_amount_json(s.subsidy)) &&
         rpc_put(o, "unclaimed", rpc_amount_json(unclaimed)) &&
         rpc_put(o, "excess", rpc_amount_json(excess)) &&
         rpc_put(o, "balanced", json_boolean(total == s.subsidy));
    return rpc_done_if(req, result, o, ok);
}

static bool invalidate_or_reconsider(struct rpc_request *req, bool invalidate)
{
    uint8_t hash[SHA256_LEN];
    if (!rpc_param_hash(req, 0, hash))
        return false;
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    if (blockindex_find(chain_index(c), hash) == NULL) {
        chain_leave(req);
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
    }
    char err[256];
    bool ok = invalidate ? services_invalidate(req->node, hash, err, sizeof err)
                         : services_reconsider(req->node, hash, err, sizeof err);
    chain_leave(req);
    if (!ok)
        return rpc_error(req, RPC_MISC_ERROR, "%s", err[0] != '\0' ? err : "failed");
    return true; /* null */
}

static bool rpc_invalidateblock(struct rpc_request *req, json_t **result)
{
    (void)result;
    return invalidate_or_reconsider(req, true);
}

static bool rpc_reconsiderblock(struct rpc_request *req, json_t **result)
{
    (void)result;
    return invalidate_or_reconsider(req, false);
}

/* ------------------------------------------------------------ accounts */

static bool rpc_getaccount(struct rpc_request *req, json_t **result)
{
    uint8_t pubkey[ADDRESS_PUBKEY_LEN];
    if (req->node == NULL)
        return rpc_error(req, RPC_INTERNAL_ERROR, "the chain is not loaded");
    if (!rpc_param_address(req, 0, pubkey))
        return false;
    struct chain *c = chain_enter(req);
    if (c == NULL)
        return false;
    struct state_backend be;
    chain_tip_backend(c, &be);
    struct state_view v;
    state_view_init(&v, &be);
    struct account a;
    enum txerr te = account_get(&v, pubkey, &a);
    state_view_clear(&v);
    uint64_t pending = 0;
    bool have_pending = te == TXERR_OK &&
                        mempool_next_nonce(services_mempool(req->node), pubkey, &pending);
    chain_leave(req);
    if (!have_pending)
        return rpc_error(req, RPC_MISC_ERROR, "Can't read the account from the chainstate");
    char addr[ADDRESS_MAX_LEN + 1];
    json_t *o = json_object();
    bool ok = o != NULL &&
              address_encode(req->node->params->hrp, pubkey, addr, sizeof addr) == ADDRESS_OK &&
              rpc_put(o, "address", json_string(addr)) &&
              rpc_put(o, "pubkey", rpc_hex_json(pubkey, sizeof pubkey)) &&
              rpc_put(o, "balance", rpc_amount_json(a.balance)) &&
              rpc_put(o, "nonce", uint_json(a.nonce)) &&
              rpc_put(o, "pending_nonce", uint_json(pending));
    return rpc_done_if(req, result, o, ok);
}

/* `after`: {"height": n, "position": n}, the last entry of the page before. */
static bool param_history_cursor(struct rpc_request *req, size_t i, struct txindex_cursor *out,
                                 bool *given)
{
    const json_t *v = rpc_param(req, i);
    *given = v != NULL;
    if (v == NULL)
        return true;
    const json_t *h = json_object_get(v, "height"), *p = json_object_get(v, "position");
    if (!json_is_integer(h) || !json_is_integer(p) || json_integer_value(h) < 0 ||
        json_integer_value(p) < 0 || json_integer_value(p) > (json_int_t)UINT32_MAX)
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "after: expected {\"height\": n, \"position\": n} of an entry");
    out->height = (uint64_t)json_integer_value(h);
    out->position = (uint32_t)json_integer_value(p);
    return true;
}

static bool rpc_getaccounthistory(struct rpc_request *req, json_t **result)
{
    uint8_t pubkey[ADDRESS_PUBKEY_LEN];
    int64_t skip, count;
    struct txindex_cursor after;
    bool has_after = false;
    if (req->node == NULL || services_chain(req->node) == NULL)
        return rpc_error(req, RPC_INTERNAL_ERROR, "the chain is not loaded");
    if (!rpc_param_address(req, 0, pubkey) || !rpc_param_int(req, 1, 0, 0, INT64_MAX, &skip) ||
        !rpc_param_int(req, 2, HISTORY_DEFAULT_COUNT, 0, HISTORY_MAX_COUNT, &count) ||
        !param_history_cursor(req, 3, &after, &has_after))
        return false;
    if (has_after && skip != 0)
        return rpc_error(req, RPC_INVALID_PARAMETER, "skip and after cannot be used together");
    char err[256];
    if (!services_sync_txindex(req->node, err, sizeof err))
        return rpc_error(req, RPC_MISC_ERROR, "Can't read the account history: %s", err);
    /* The entries come from the index without the chain lock (a deep skip
     * walks there, not under the lock); the lock is held only to name each
     * entry's block. */
    struct chain *c = services_chain(req->node);
    struct txindex_hist *h = NULL;
    size_t n = 0;
    bool read = has_after ? chain_account_history_after(c, pubkey, &after, (size_t)count, &h, &n,
                                                        err, sizeof err)
                          : chain_account_history(c, pubkey, (uint64_t)skip, (size_t)count, &h,
                                                  &n, err, sizeof err);
    if (!read)
        return rpc_error(req, RPC_MISC_ERROR, "Can't read the account history: %s", err);
    json_t *arr = json_array();
    bool ok = arr != NULL;
    c = chain_enter(req);
    if (c == NULL) {
        free(h);
        json_decref(arr);
        return false;
    }
    const struct blockindex_chain *active = chain_active(c);
    for (size_t i = 0; ok && i < n; i++) {
        const struct blockindex_entry *e = blockindex_chain_at(active, h[i].height);
        json_t *o = json_object();
        ok = o != NULL && rpc_put(o, "txid", rpc_hex_json(h[i].txid, sizeof h[i].txid)) &&
             rpc_put(o, "height", uint_json(h[i].height)) &&
             rpc_put(o, "position", json_integer(h[i].position)) &&
             rpc_put(o, "blockhash",
                     e != NULL ? rpc_hex_json(e->hash, sizeof e->hash) : json_null());
        ok = rpc_append(arr, o, ok);
    }
    chain_leave(req);
    free(h);
    return rpc_done_if(req, result, arr, ok);
}

/* ------------------------------------------------------------ addresses and keys */

static bool rpc_validateaddress(struct rpc_request *req, json_t **result)
{
    const char *s;
    if (!rpc_param_str_required(req, 0, &s))
        return false;
    if (req->node == NULL)
        return rpc_error(req, RPC_INTERNAL_ERROR, "no node");
    const struct chain_params *params = req->node->params;
    uint8_t pubkey[ADDRESS_PUBKEY_LEN];
    enum address_error ae = address_decode(params->hrp, s, pubkey);
    json_t *o = json_object();
    bool ok = o != NULL;
    if (ok && ae == ADDRESS_OK) {
        char addr[ADDRESS_MAX_LEN + 1];
        ok = address_encode(params->hrp, pubkey, addr, sizeof addr) == ADDRESS_OK &&
             rpc_put(o, "isvalid", json_true()) && rpc_put(o, "address", json_string(addr)) &&
             rpc_put(o, "pubkey", rpc_hex_json(pubkey, sizeof pubkey)) &&
             rpc_put(o, "network", json_string(params->name));
    } else if (ok) {
        ok = rpc_put(o, "isvalid", json_false()) &&
             rpc_put(o, "error", json_string(address_strerror(ae)));
    }
    return rpc_done_if(req, result, o, ok);
}

static bool rpc_getnewkeypair(struct rpc_request *req, json_t **result)
{
    if (req->node == NULL)
        return rpc_error(req, RPC_INTERNAL_ERROR, "no node");
    const struct chain_params *params = req->node->params;
    if (params->network != CHAIN_REGTEST)
        return rpc_error(req, RPC_MISC_ERROR, "getnewkeypair is only available on regtest");
    uint8_t secret[KEY_SECRET_LEN], pubkey[KEY_PUBKEY_LEN];
    char addr[ADDRESS_MAX_LEN + 1];
    char secret_hex[2 * KEY_SECRET_LEN + 1];
    bool ok = key_generate(secret) && key_pubkey(secret, pubkey) &&
              address_encode(params->hrp, pubkey, addr, sizeof addr) == ADDRESS_OK;
    json_t *o = NULL;
    if (ok) {
        hex_encode(secret, sizeof secret, secret_hex);
        o = json_object();
        ok = o != NULL && rpc_put(o, "address", json_string(addr)) &&
             rpc_put(o, "pubkey", rpc_hex_json(pubkey, sizeof pubkey)) &&
             rpc_put(o, "privkey", json_string(secret_hex));
    }
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(secret_hex, sizeof secret_hex);
    if (!ok) {
        json_decref(o);
        return rpc_error(req, RPC_INTERNAL_ERROR, "could not generate a key");
    }
    *result = o;
    return true;
}

/* ------------------------------------------------------------ table */

#define NO_ARGS {{NULL, 0, false, NULL}}

static const struct rpc_method blockchain_methods[] = {
    {"blockchain", "getblockcount", rpc_getblockcount,
     "Returns the height of the most-work fully-validated chain.",
     "Result:\n  n    (numeric) the current block count (the genesis block has height 0)", NO_ARGS},
    {"blockchain", "getbestblockhash", rpc_getbestblockhash,
     "Returns the hash of the best (tip) block in the most-work fully-validated chain.",
     "Result:\n  \"hex\"    (string) the block hash, hex", NO_ARGS},
    {"blockchain", "getblockhash", rpc_getblockhash,
     "Returns the hash of the block at the given height in the active chain.",
     "Result:\n  \"hex\"    (string) the block hash\n"
     "Errors: -8 \"Block height out of range\"",
     {{"height", RPC_ARG_INT, false, "The height index"}}},
    {"blockchain", "getdifficulty", rpc_getdifficulty,
     "Returns the proof-of-work difficulty as a multiple of the minimum difficulty.",
     "Result:\n  n.nnn    (numeric) pow limit target / tip target (1.0 on regtest)", NO_ARGS},
    {"blockchain", "getblockchaininfo", rpc_getblockchaininfo,
     "Returns an object containing various state info regarding blockchain processing.",
     "Result:\n"
     "{\n"
     "  \"chain\": \"str\",               (string) main, test or regtest\n"
     "  \"blocks\": n,                  (numeric) height of the active chain's tip\n"
     "  \"headers\": n,                 (numeric) height of the best known valid header\n"
     "  \"bestblockhash\": \"hex\",       (string) the tip's hash\n"
     "  \"difficulty\": n,              (numeric) the tip's difficulty\n"
     "  \"time\": n,                    (numeric) the tip's block time\n"
     "  \"mediantime\": n,              (numeric) median time past of the tip\n"
     "  \"verificationprogress\": n,    (numeric) blocks / headers (1.0 when synced)\n"
     "  \"initialblockdownload\": b,    (boolean) more-work headers known, or tip > 24 h old\n"
     "  \"chainwork\": \"hex\",           (string) total work of the active chain, 64 hex\n"
     "  \"size_on_disk\": n,            (numeric) bytes of block and undo files\n"
     "  \"pruned\": false,\n"
     "  \"warnings\": \"\"\n"
     "}",
     NO_ARGS},
    {"blockchain", "getblock", rpc_getblock,
     "Returns a block: hex (verbosity 0), an object with txids (1) or with decoded txs (2).",
     "Result (verbosity 1): the fields of getblockheader plus\n"
     "  \"size\": n     (numeric) encoded size in bytes\n"
     "  \"tx\": [...]   (array) txids; with verbosity 2, decoded txs as decoderawtransaction\n"
     "Errors: -5 \"Block not found\" (unknown hash), -1 \"Block not available\" (header only)",
     {{"blockhash", RPC_ARG_HASH, false, "The block hash"},
      {"verbosity", RPC_ARG_ANY, true,
       "0 for hex, 1 for an object, 2 for an object with tx data (default 1; false=0, true=1)"}}},
    {"blockchain", "getblockheader", rpc_getblockheader,
     "Returns the header of a block as an object (verbose) or as hex of its encoding.",
     "Result (verbose):\n"
     "{\n"
     "  \"hash\", \"version\", \"versionHex\", \"merkleroot\", \"time\", \"bits\", \"nonce\",\n"
     "  \"confirmations\": n,        (numeric) -1 when not in the active chain\n"
     "  \"height\", \"mediantime\", \"difficulty\", \"chainwork\" (64 hex),\n"
     "  \"nTx\": n,                  (numeric) 0 when the block's data is not stored\n"
     "  \"previousblockhash\",       (absent for the genesis block)\n"
     "  \"nextblockhash\"            (absent for the tip and blocks off the active chain)\n"
     "}",
     {{"blockhash", RPC_ARG_HASH, false, "The block hash"},
      {"verbose", RPC_ARG_BOOL, true, "true for an object, false for hex (default true)"}}},
    {"blockchain", "getchaintips", rpc_getchaintips,
     "Return information about all known tips in the block tree, including the main chain.",
     "Result: [{\"height\": n, \"hash\": \"hex\", \"branchlen\": n,\n"
     "          \"status\": \"active|valid-fork|valid-headers|headers-only|invalid\"}, ...]",
     NO_ARGS},
    {"blockchain", "getstateinfo", rpc_getstateinfo,
     "Returns the consensus state at the tip and its hash.",
     "Result:\n"
     "{\n"
     "  \"height\": n, \"bestblockhash\": \"hex\",\n"
     "  \"keys\": n,          (numeric) records in the state\n"
     "  \"bytes\": n,         (numeric) their keys' and values' total size\n"
     "  \"state_hash\": \"hex\" (string) SHA-256 over the ordered key-value space\n"
     "}",
     NO_ARGS},
    {"blockchain", "getsupplyinfo", rpc_getsupplyinfo,
     "Returns where every coin is at the tip, to check that none was made or lost:\n"
     "balances + escrow + immature == subsidy when every coinbase claimed its full\n"
     "subsidy and fees (fees move from senders to miners, so they cancel out).",
     "Result:\n"
     "{\n"
     "  \"height\": n,        (numeric) of the tip\n"
     "  \"accounts\": n,      (numeric) account records\n"
     "  \"balances\": n,      (numeric) sum of every account's balance\n"
     "  \"escrow\": n,        (numeric) held by open orders (plugins)\n"
     "  \"immature\": n,      (numeric) coinbase amounts waiting for maturity\n"
     "  \"total\": n,         (numeric) balances + escrow + immature\n"
     "  \"subsidy\": n,       (numeric) the subsidy of blocks 1..height\n"
     "  \"unclaimed\": n,     (numeric) subsidy - total when not negative: what coinbases left\n"
     "                                  unclaimed (never issued)\n"
     "  \"excess\": n,        (numeric) total - subsidy when positive (always 0 on a sound node)\n"
     "  \"balanced\": bool    (boolean) total == subsidy\n"
     "}",
     NO_ARGS},
    {"blockchain", "invalidateblock", rpc_invalidateblock,
     "Permanently marks a block as invalid, as if it violated a consensus rule.",
     "Result: null", {{"blockhash", RPC_ARG_HASH, false, "The hash of the block to mark invalid"}}},
    {"blockchain", "reconsiderblock", rpc_reconsiderblock,
     "Removes invalidity status of a block, its ancestors and its descendants.",
     "Result: null", {{"blockhash", RPC_ARG_HASH, false, "The hash of the block to reconsider"}}},
    {"blockchain", "getaccount", rpc_getaccount,
     "Returns an account's confirmed balance and nonce, and the nonce its next tx needs.",
     "Result:\n"
     "{\n"
     "  \"address\": \"str\", \"pubkey\": \"hex\",\n"
     "  \"balance\": n,        (numeric) spendable coins at the tip (immature coinbase excluded)\n"
     "  \"nonce\": n,          (numeric) the account's nonce at the tip\n"
     "  \"pending_nonce\": n   (numeric) nonce for the next tx, counting the mempool\n"
     "}",
     {{"address", RPC_ARG_STR, false, "The account's address"}}},
    {"blockchain", "getaccounthistory", rpc_getaccounthistory,
     "Returns the confirmed transactions touching an account, oldest first.",
     "Result: [{\"txid\": \"hex\", \"height\": n, \"position\": n, \"blockhash\": \"hex\"}, ...]",
     {{"address", RPC_ARG_STR, false, "The account's address"},
      {"skip", RPC_ARG_INT, true, "Entries to skip from the oldest (default 0)"},
      {"count", RPC_ARG_INT, true, "Most entries to return, 0-10000 (default 100)"},
      {"after", RPC_ARG_OBJ, true,
       "Start after this entry: {\"height\": n, \"position\": n} (the last one of the "
       "previous page; not with skip)"}}},
    {"util", "validateaddress", rpc_validateaddress,
     "Return information about the given address.",
     "Result:\n"
     "  {\"isvalid\": true, \"address\": \"str\", \"pubkey\": \"hex\", \"network\": \"str\"}\n"
     "  or {\"isvalid\": false, \"error\": \"why\"}",
     {{"address", RPC_ARG_STR, false, "The address to validate"}}},
    {"util", "getnewkeypair", rpc_getnewkeypair,
     "Returns a fresh key pair (regtest only; the node keeps no copy).",
     "Result: {\"address\": \"str\", \"pubkey\": \"hex\", \"privkey\": \"hex\"}", NO_ARGS},
};

bool rpc_blockchain_register(struct rpc_table *t, char *err, size_t errlen)
{
    /* Both answer from the tip snapshot, without the chain lock. */
    return rpc_register_table(t, blockchain_methods,
                              sizeof blockchain_methods / sizeof blockchain_methods[0], err,
                              errlen) &&
           rpc_table_run_on_loop(t, "getblockcount", err, errlen) &&
           rpc_table_run_on_loop(t, "getbestblockhash", err, errlen);
}
