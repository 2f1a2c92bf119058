#define _POSIX_C_SOURCE 200809L
#include "rpc/rpc_rawtx.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/block.h"
#include "consensus/tx.h"
#include "consensus/txsign.h"
#include "consensus/txtype.h"
#include "crypto/address.h"
#include "crypto/key.h"
#include "crypto/sha256.h"
#include "node/chain.h"
#include "node/mempool.h"
#include "node/node.h"
#include "node/services.h"
#include "rpc/rpcutil.h"
#include "rpc/server.h"
#include "rpc/txjson.h"
#include "util/hex.h"
#include "util/time.h"

/* Most transactions testmempoolaccept takes at once. */
#define RAWTX_MAX_TEST 1000

/* Why bytes that do not decode as a tx are refused, as a reject reason:
 * over the size limit is "tx-too-large", anything else breaks the
 * canonical encoding. */
static void rawtx_decode_reason(enum ser_err se, char *out, size_t outlen)
{
    const char *s = ser_strerror(se);
    if (se == SER_ERR_TOO_LARGE)
        snprintf(out, outlen, "tx-too-large");
    else if (strncmp(s, "non-canonical", 13) == 0)
        snprintf(out, outlen, "%s", s);
    else
        snprintf(out, outlen, "non-canonical: %s", s);
}

/* Decodes the hex argument i into out (initialized). A decoding failure is
 * -22 "TX decode failed: <reason>", or with reject_large a tx over the
 * size limit is the mempool's -26 "tx-too-large". */
static bool rawtx_param_tx(struct rpc_request *req, size_t i, bool reject_large, struct tx *out)
{
    struct buf raw;
    buf_init(&raw);
    if (!rpc_param_hex(req, i, &raw))
        return false;
    enum ser_err se = tx_decode(raw.data, raw.len, out);
    buf_clear(&raw);
    if (se == SER_OK)
        return true;
    char reason[160];
    rawtx_decode_reason(se, reason, sizeof reason);
    if (se == SER_ERR_TOO_LARGE && reject_large)
        return rpc_error(req, RPC_VERIFY_REJECTED, "%s", reason);
    return rpc_error(req, RPC_DESERIALIZATION_ERROR, "TX decode failed: %s", reason);
}

/* The mempool's refusal as one string, with the codec rule of a payload
 * that does not decode. */
static void rawtx_reject_reason(enum mempool_err me, const struct mempool_accept_info *info,
                                char *out, size_t outlen)
{
    if (me == MEMPOOL_ERR_TX && info->txerr == TXERR_BAD_PAYLOAD)
        snprintf(out, outlen, "%s: %s", txerr_reason(info->txerr), ser_strerror(info->detail));
    else
        snprintf(out, outlen, "%s", mempool_reject_reason(me, info));
}

static json_t *rawtx_hex(const struct tx *tx)
{
    struct buf raw;
    buf_init(&raw);
    json_t *v = tx_encode(tx, &raw) ? rpc_hex_json(raw.data, raw.len) : NULL;
    buf_clear(&raw);
    return v;
}

/* ---- decoderawtransaction ------------------------------------------------- */

static bool rpc_decoderawtransaction(struct rpc_request *req, json_t **result)
{
    struct tx tx;
    tx_init(&tx);
    bool ok = rawtx_param_tx(req, 0, false, &tx);
    if (ok) {
        ok = rpc_done(req, result, txjson_tx(&tx, req->node->params));
    }
    tx_clear(&tx);
    return ok;
}

/* ---- createrawtransaction ------------------------------------------------- */

/* The sender as an address or a 64-digit hex x-only key. */
static bool rawtx_sender(struct rpc_request *req, const json_t *v, uint8_t key[32])
{
    if (!json_is_string(v))
        return rpc_error(req, RPC_TYPE_ERROR, "sender: expected an address or a public key");
    const char *s = json_string_value(v);
    if (strlen(s) == 64 && hex_decode_exact(s, key, 32)) {
        if (!key_pubkey_valid(key))
            return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY,
                             "sender: not a valid x-only public key");
        return true;
    }
    enum address_error ae = address_decode(req->node->params->hrp, s, key);
    if (ae != ADDRESS_OK)
        return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY, "sender: invalid address: %s",
                         address_strerror(ae));
    return true;
}

/* Sets the fee to the least the mempool relays for the tx's size (which
 * grows with the fee's own encoding, hence the loop). */
static void rawtx_min_fee(struct tx *tx, amount_t rate)
{
    tx->fee = 0;
    for (int i = 0; i < 8; i++) {
        amount_t need = rate * (amount_t)tx_encoded_size(tx);
        if (tx->fee >= need)
            return;
        tx->fee = need;
    }
}

static bool rpc_createrawtransaction(struct rpc_request *req, json_t **result)
{
    const json_t *spec = rpc_param(req, 0);
    if (spec == NULL)
        return rpc_error(req, RPC_INVALID_PARAMS, "Missing required argument tx");
    static const char *const known[] = {"type", "payload", "sender", "nonce", "fee"};
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)spec, k, v) {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(known[i], k) != 0)
            i++;
        if (i == sizeof known / sizeof known[0])
            return rpc_error(req, RPC_INVALID_PARAMETER, "unknown field \"%s\"", k);
    }
    const json_t *jtype = json_object_get(spec, "type");
    const json_t *jpayload = json_object_get(spec, "payload");
    const json_t *jsender = json_object_get(spec, "sender");
    const json_t *jnonce = json_object_get(spec, "nonce");
    const json_t *jfee = json_object_get(spec, "fee");
    if (jtype == NULL || jpayload == NULL)
        return rpc_error(req, RPC_INVALID_PARAMETER, "missing field \"%s\"",
                         jtype == NULL ? "type" : "payload");
    const struct txtype_def *def = rpc_txtype_from_json(req, jtype);
    if (def == NULL)
        return false;
    uint8_t sender[32] = {0};
    if (jsender != NULL && !rawtx_sender(req, jsender, sender))
        return false;
    if (jnonce != NULL && !(json_is_integer(jnonce) && json_integer_value(jnonce) >= 0))
        return rpc_error(req, RPC_TYPE_ERROR, "nonce: expected a non-negative integer");
    if (jnonce == NULL && jsender == NULL)
        return rpc_error(req, RPC_INVALID_PARAMETER, "nonce: required when no sender is given");
    amount_t fee = 0;
    if (jfee != NULL && !rpc_amount_from_json(jfee, &fee))
        return rpc_error(req, RPC_TYPE_ERROR, "fee: invalid amount");

    struct buf payload;
    buf_init(&payload);
    char err[256];
    if (!txjson_build_payload(def, jpayload, req->node->params, &payload, err, sizeof err)) {
        buf_clear(&payload);
        return rpc_error(req, RPC_INVALID_PARAMETER, "payload: %s", err);
    }
    struct tx tx;
    tx_init(&tx);
    enum ser_err se = tx_set_payload(&tx, payload.data, payload.len);
    buf_clear(&payload);
    if (se != SER_OK) {
        tx_clear(&tx);
        return rpc_error(req, RPC_INVALID_PARAMETER, "payload: %s", ser_strerror(se));
    }
    tx.type = def->id;
    memcpy(tx.sender, sender, sizeof sender);
    tx.nonce = jnonce != NULL ? (uint64_t)json_integer_value(jnonce) : 0;
    tx.fee = fee;
    /* An unsigned tx carries 64 zero bytes: the same size as when signed. */
    memset(tx.sig, 0, sizeof tx.sig);

    bool ok = true;
    if (jnonce == NULL || jfee == NULL) {
        struct node_ctx *ctx = req->node;
        pthread_mutex_lock(&ctx->lock);
        struct mempool *pool = services_mempool(ctx);
        if (jnonce == NULL && !mempool_next_nonce(pool, sender, &tx.nonce))
            ok = rpc_error(req, RPC_MISC_ERROR, "the sender's account could not be read");
        amount_t rate = mempool_min_fee_rate(pool);
        pthread_mutex_unlock(&ctx->lock);
        if (ok && jfee == NULL)
            rawtx_min_fee(&tx, rate);
    }
    if (ok && tx_encoded_size(&tx) > TX_MAX_SIZE)
        ok = rpc_error(req, RPC_INVALID_PARAMETER, "tx-too-large: the transaction is over %d bytes",
                       TX_MAX_SIZE);
    if (ok) {
        ok = rpc_done(req, result, rawtx_hex(&tx));
    }
    tx_clear(&tx);
    return ok;
}

/* ---- signrawtransactionwithkey -------------------------------------------- */

static bool rpc_signrawtransactionwithkey(struct rpc_request *req, json_t **result)
{
    struct tx tx;
    tx_init(&tx);
    if (!rawtx_param_tx(req, 0, false, &tx)) {
        tx_clear(&tx);
        return false;
    }
    const char *hex;
    bool ok = rpc_param_str(req, 1, NULL, &hex);
    uint8_t secret[KEY_SECRET_LEN];
    if (ok && !(strlen(hex) == 2 * KEY_SECRET_LEN && hex_decode_exact(hex, secret, sizeof secret) &&
                key_secret_valid(secret)))
        ok = rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY,
                       "Invalid private key (expected 64 hex digits of a valid secret)");
    else if (ok && tx_is_coinbase(&tx))
        ok = rpc_error(req, RPC_INVALID_PARAMETER, "a coinbase transaction is not signed");
    else if (ok && !txsign_sign(&tx, secret, req->node->params->genesis.hash))
        ok = rpc_error(req, RPC_MISC_ERROR, "signing failed");
    OPENSSL_cleanse(secret, sizeof secret);
    if (ok) {
        json_t *h = rawtx_hex(&tx);
        ok = rpc_done(req, result,
                      h != NULL ? json_pack("{s:o,s:b}", "hex", h, "complete", 1) : NULL);
    }
    tx_clear(&tx);
    return ok;
}

/* ---- sendrawtransaction / testmempoolaccept -------------------------------- */

/* The tx index answers for the chain as of this call (it follows the chain
 * on its own thread). Call before taking the chain lock. */
static bool rawtx_sync_index(struct rpc_request *req)
{
    char err[200];
    if (!services_sync_txindex(req->node, err, sizeof err))
        return rpc_error(req, RPC_MISC_ERROR, "tx index: %s", err);
    return true;
}

/* Whether txid is confirmed in the active chain. Caller holds the lock. */
static bool rawtx_in_chain(struct rpc_request *req, const uint8_t txid[SHA256_LEN], bool *found)
{
    struct blockindex_entry *e;
    uint32_t pos;
    char err[256];
    if (!chain_find_tx(services_chain(req->node), txid, &e, &pos, found, err, sizeof err))
        return rpc_error(req, RPC_MISC_ERROR, "tx index: %s", err);
    return true;
}

static bool rpc_sendrawtransaction(struct rpc_request *req, json_t **result)
{
    struct tx tx;
    tx_init(&tx);
    if (!rawtx_param_tx(req, 0, true, &tx)) {
        tx_clear(&tx);
        return false;
    }
    uint8_t txid[SHA256_LEN];
    tx_txid(&tx, txid);
    struct node_ctx *ctx = req->node;
    struct mempool_accept_info info;
    memset(&info, 0, sizeof info);
    pthread_mutex_lock(&ctx->lock);
    enum mempool_err me = services_accept_tx(ctx, &tx, &info);
    pthread_mutex_unlock(&ctx->lock);
    tx_clear(&tx);
    /* A mined tx's nonce is used, so only that refusal needs the tx index
     * (and its catching up) to tell "already in the chain" apart. */
    if (me == MEMPOOL_ERR_TX && info.txerr == TXERR_BAD_NONCE) {
        bool found = false;
        if (!rawtx_sync_index(req))
            return false;
        pthread_mutex_lock(&ctx->lock);
        bool ok = rawtx_in_chain(req, txid, &found);
        pthread_mutex_unlock(&ctx->lock);
        if (!ok)
            return false;
        if (found)
            return rpc_error(req, RPC_VERIFY_ALREADY_IN_CHAIN,
                             "Transaction already in block chain");
    }
    if (me == MEMPOOL_ERR_NOMEM)
        return rpc_nomem(req);
    if (me != MEMPOOL_OK) {
        char reason[160];
        rawtx_reject_reason(me, &info, reason, sizeof reason);
        return rpc_error(req, RPC_VERIFY_REJECTED, "%s", reason);
    }
    *result = rpc_hex_json(txid, sizeof txid);
    return true;
}

/* One entry of testmempoolaccept's result. Caller holds the lock. */
static bool rawtx_test_one(struct rpc_request *req, const json_t *item, json_t **out)
{
    struct buf raw;
    buf_init(&raw);
    const char *s = json_is_string(item) ? json_string_value(item) : NULL;
    if (s == NULL || !hex_decode_buf(s, strlen(s), &raw)) {
        buf_clear(&raw);
        return rpc_error(req, RPC_DESERIALIZATION_ERROR, "TX decode failed: not a hex string");
    }
    /* The txid is the hash of the bytes, so even undecodable ones have one. */
    uint8_t txid[SHA256_LEN];
    sha256(raw.data, raw.len, txid);
    struct tx tx;
    tx_init(&tx);
    enum ser_err se = tx_decode(raw.data, raw.len, &tx);
    size_t size = raw.len;
    buf_clear(&raw);
    char reason[160] = "";
    bool found = false, ok = true;
    struct mempool_accept_info info;
    memset(&info, 0, sizeof info);
    if (se != SER_OK) {
        rawtx_decode_reason(se, reason, sizeof reason);
    } else if (!(ok = rawtx_in_chain(req, txid, &found))) {
    } else if (found) {
        snprintf(reason, sizeof reason, "txn-already-known");
    } else {
        enum mempool_err me = mempool_check(services_mempool(req->node), &tx, time_now(), &info);
        if (me != MEMPOOL_OK)
            rawtx_reject_reason(me, &info, reason, sizeof reason);
    }
    amount_t fee = tx.fee;
    tx_clear(&tx);
    if (!ok)
        return false;
    json_t *o = json_pack("{s:o,s:b}", "txid", rpc_hex_json(txid, sizeof txid), "allowed",
                          reason[0] == '\0');
    if (o != NULL && reason[0] != '\0')
        json_object_set_new(o, "reject-reason", json_string(reason));
    else if (o != NULL) {
        json_object_set_new(o, "size", json_integer((json_int_t)size));
        json_object_set_new(o, "fees", json_pack("{s:o}", "base", rpc_amount_json(fee)));
    }
    if (o == NULL)
        return rpc_nomem(req);
    *out = o;
    return true;
}

static bool rpc_testmempoolaccept(struct rpc_request *req, json_t **result)
{
    const json_t *arr = rpc_param(req, 0);
    if (arr == NULL)
        return rpc_error(req, RPC_INVALID_PARAMS, "Missing required argument rawtxs");
    if (json_array_size(arr) > RAWTX_MAX_TEST)
        return rpc_error(req, RPC_INVALID_PARAMETER, "rawtxs: at most %d transactions",
                         RAWTX_MAX_TEST);
    json_t *out = json_array();
    if (out == NULL)
        return rpc_nomem(req);
    struct node_ctx *ctx = req->node;
    if (!rawtx_sync_index(req)) {
        json_decref(out);
        return false;
    }
    bool ok = true;
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; ok && i < json_array_size(arr); i++) {
        json_t *one;
        ok = rawtx_test_one(req, json_array_get(arr, i), &one);
        if (ok && json_array_append_new(out, one) != 0)
            ok = rpc_nomem(req);
    }
    pthread_mutex_unlock(&ctx->lock);
    if (!ok) {
        json_decref(out);
        return false;
    }
    *result = out;
    return true;
}

/* ---- getrawtransaction ------------------------------------------------------ */

struct rawtx_found {
    bool in_mempool, in_block;
    uint8_t blockhash[SHA256_LEN];
    uint64_t height, tip_height, time;
};

/* Finds txid in the mempool or the active chain and copies it to tx.
 * Caller holds the lock. */
static bool rawtx_lookup(struct rpc_request *req, const uint8_t txid[SHA256_LEN], struct tx *tx,
                         struct rawtx_found *f)
{
    struct node_ctx *ctx = req->node;
    memset(f, 0, sizeof *f);
    if (mempool_get(services_mempool(ctx), txid, tx, NULL)) {
        f->in_mempool = true;
        return true;
    }
    struct chain *chain = services_chain(ctx);
    struct blockindex_entry *e;
    uint32_t pos;
    bool found;
    char err[256];
    if (!chain_find_tx(chain, txid, &e, &pos, &found, err, sizeof err))
        return rpc_error(req, RPC_MISC_ERROR, "tx index: %s", err);
    if (!found)
        return true;
    struct block b;
    block_init(&b);
    bool ok = chain_read_block(chain, e, &b, err, sizeof err);
    if (!ok)
        rpc_error(req, RPC_MISC_ERROR, "reading the block: %s", err);
    else if (pos >= b.tx_count)
        ok = rpc_error(req, RPC_MISC_ERROR, "the tx index points past the block's txs");
    else if (!tx_copy(tx, &b.txs[pos]))
        ok = rpc_nomem(req);
    if (ok) {
        f->in_block = true;
        memcpy(f->blockhash, e->hash, SHA256_LEN);
        f->height = e->height;
        f->time = e->header.time;
        f->tip_height = chain_tip(chain)->height;
    }
    block_clear(&b);
    return ok;
}

static bool rpc_getrawtransaction(struct rpc_request *req, json_t **result)
{
    uint8_t txid[SHA256_LEN];
    if (!rpc_param_hash(req, 0, txid))
        return false;
    /* bitcoind takes a bool or a number here. */
    const json_t *jv = rpc_param(req, 1);
    bool verbose = false;
    if (json_is_boolean(jv))
        verbose = json_is_true(jv);
    else if (json_is_integer(jv))
        verbose = json_integer_value(jv) != 0;
    else if (jv != NULL)
        return rpc_error(req, RPC_TYPE_ERROR, "verbose: expected a bool or a number");
    if (!rawtx_sync_index(req))
        return false;
    struct tx tx;
    tx_init(&tx);
    struct rawtx_found f;
    pthread_mutex_lock(&req->node->lock);
    bool ok = rawtx_lookup(req, txid, &tx, &f);
    pthread_mutex_unlock(&req->node->lock);
    if (ok && !f.in_mempool && !f.in_block)
        ok = rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY,
                       "No such mempool or blockchain transaction");
    json_t *o = NULL;
    if (ok && !verbose) {
        o = rawtx_hex(&tx);
    } else if (ok) {
        o = txjson_tx(&tx, req->node->params);
        if (o != NULL) {
            json_object_set_new(o, "hex", rawtx_hex(&tx));
            if (f.in_block) {
                json_object_set_new(o, "blockhash", rpc_hex_json(f.blockhash, SHA256_LEN));
                json_object_set_new(o, "confirmations",
                                    json_integer((json_int_t)(f.tip_height - f.height + 1)));
                json_object_set_new(o, "height", json_integer((json_int_t)f.height));
                json_object_set_new(o, "time", json_integer((json_int_t)f.time));
                json_object_set_new(o, "blocktime", json_integer((json_int_t)f.time));
            }
        }
    }
    tx_clear(&tx);
    if (ok && o == NULL)
        ok = rpc_nomem(req);
    if (ok)
        *result = o;
    return ok;
}

/* ---- table ------------------------------------------------------------------ */

static const struct rpc_method rpc_rawtx_methods[] = {
    {"rawtransactions", "decoderawtransaction", rpc_decoderawtransaction,
     "Return a JSON object representing the serialized transaction.",
     "Result: {txid, version, type, type_id, sender, nonce (height for a coinbase), fee, size,\n"
     "payload: {field: value, ...}, sig}",
     {{"hexstring", RPC_ARG_HEX, false, "the transaction hex"}}},
    {"rawtransactions", "createrawtransaction", rpc_createrawtransaction,
     "Build an unsigned transaction of any registered type.",
     "Argument: {\"type\": name or id, \"payload\": {field: value, ...},\n"
     "\"sender\": address or hex key (optional), \"nonce\": n (default: the sender's next,\n"
     "mempool included; required without sender), \"fee\": amount (default: the least the\n"
     "mempool relays for this size)}. The signature is 64 zero bytes until signed.\n"
     "Result: \"hex\"",
     {{"tx", RPC_ARG_OBJ, false, "the transaction as described above"}}},
    {"rawtransactions", "signrawtransactionwithkey", rpc_signrawtransactionwithkey,
     "Sign a transaction with a private key; the sender becomes that key.",
     "Result: {\"hex\": \"signed hex\", \"complete\": true}",
     {{"hexstring", RPC_ARG_HEX, false, "the transaction hex"},
      {"privkey", RPC_ARG_STR, false, "the secret key as 64 hex digits"}}},
    {"rawtransactions", "sendrawtransaction", rpc_sendrawtransaction,
     "Submit a signed transaction to the mempool.",
     "Result: \"txid\". Refusals are -26 with the rule (\"bad-nonce\", \"insufficient-funds\",\n"
     "...), -27 when already confirmed, -22 when the hex does not decode.",
     {{"hexstring", RPC_ARG_HEX, false, "the signed transaction hex"}}},
    {"rawtransactions", "testmempoolaccept", rpc_testmempoolaccept,
     "Whether the mempool would accept each transaction now (nothing is added).",
     "Each is checked on its own against the current mempool.\n"
     "Result: [{txid, allowed, reject-reason (when refused), size and fees: {base} (when\n"
     "allowed)}, ...]",
     {{"rawtxs", RPC_ARG_ARR, false, "array of transaction hex strings"}}},
    {"rawtransactions", "getrawtransaction", rpc_getrawtransaction,
     "Return a transaction from the mempool or the chain.",
     "Result: \"hex\", or with verbose the decoded transaction plus hex and, when confirmed,\n"
     "blockhash, confirmations, height, time, blocktime.",
     {{"txid", RPC_ARG_HASH, false, "the transaction id"},
      {"verbose", RPC_ARG_ANY, true, "false for hex, true for JSON (default false)"}}},
};

bool rpc_rawtx_register(struct rpc_table *t, char *err, size_t errlen)
{
    return rpc_register_table(t, rpc_rawtx_methods,
                              sizeof rpc_rawtx_methods / sizeof rpc_rawtx_methods[0], err,
                              errlen);
}
