#define _POSIX_C_SOURCE 200809L
#include "wallet/rpc_wallet_tx.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/transfer.h"
#include "consensus/tx.h"
#include "consensus/txtype.h"
#include "node/node.h"
#include "rpc/rpcutil.h"
#include "rpc/server.h"
#include "rpc/txjson.h"
#include "util/buf.h"
#include "util/grow.h"
#include "wallet/rpc_wallet.h"
#include "wallet/wallet.h"

/* fee_rate bound, units per byte: well above any sane rate, low enough
 * that a typo cannot pay more than a few coins for a 64 KiB transaction. */
#define FEE_RATE_MAX 100000
#define LISTTX_DEFAULT_COUNT 10

/* ------------------------------------------------------------ sending */

/* The fee_rate argument i: base units per byte, 0 for the wallet's choice. */
static bool param_fee_rate(struct rpc_request *req, size_t i, amount_t *out)
{
    int64_t rate;
    if (!rpc_param_int(req, i, 0, 0, FEE_RATE_MAX, &rate))
        return false;
    *out = (amount_t)rate;
    return true;
}

static bool send_result_fail(struct rpc_request *req, enum wallet_err e,
                             const struct wallet_send_result *res, bool one_key)
{
    if (e == WALLET_ERR_REJECTED)
        return rpc_error(req, RPC_VERIFY_REJECTED, "%s",
                         res->reason[0] ? res->reason : "rejected by the mempool");
    /* A rule the tx itself breaks: say which. */
    if (e == WALLET_ERR_BAD_PARAMETER && res->reason[0] != '\0')
        return rpc_error(req, RPC_INVALID_PARAMETER, "%s", res->reason);
    if (e == WALLET_ERR_INSUFFICIENT_FUNDS && res->needed > 0) {
        char need[32], all[32], one[32];
        amount_format(res->needed, need, sizeof need);
        amount_format(res->available, all, sizeof all);
        amount_format(res->largest, one, sizeof one);
        if (one_key)
            return rpc_error(req, RPC_WALLET_INSUFFICIENT_FUNDS,
                             "Insufficient funds: one key must hold %s (amount plus fee) to "
                             "pay this; the fullest key can spend %s, the wallet %s in all",
                             need, one, all);
        return rpc_error(req, RPC_WALLET_INSUFFICIENT_FUNDS,
                         "Insufficient funds: this needs %s (amount plus fee); the wallet can "
                         "spend %s in all, at most %s from one key",
                         need, all, one);
    }
    return rpc_wallet_fail(req, e, NULL);
}

/* Every tx a call made: [{txid, from, amount, fee (, hex)}, ...]. */
static json_t *payments_json(const struct wallet_send_result *res, bool with_hex)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < res->n_txs; i++) {
        const struct wallet_payment *p = &res->txs[i];
        json_t *o = json_object();
        if (o == NULL || !rpc_put(o, "txid", rpc_hex_json(p->txid, sizeof p->txid)) ||
            !rpc_put(o, "from", json_string(p->from)) ||
            !rpc_put(o, "amount", rpc_amount_json(p->amount)) ||
            !rpc_put(o, "fee", rpc_amount_json(p->fee)) ||
            (with_hex && !rpc_put(o, "hex", json_string(p->hex))) ||
            json_array_append_new(a, o) != 0) {
            json_decref(o);
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static bool rpc_sendtoaddress(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *addr, *comment;
    amount_t amount, fee_rate;
    bool verbose;
    if (w == NULL || !rpc_param_str_required(req, 0, &addr) ||
        !rpc_address_decode(req, "", addr, NULL) || !rpc_param_amount(req, 1, 0, &amount) ||
        !rpc_param_str(req, 2, NULL, &comment) || !param_fee_rate(req, 3, &fee_rate) ||
        !rpc_param_bool(req, 4, false, &verbose))
        return false;
    if (amount == 0)
        return rpc_error(req, RPC_TYPE_ERROR, "Invalid amount for send: must be positive");
    size_t memo_len = comment != NULL ? strlen(comment) : 0;
    if (memo_len > TRANSFER_MEMO_MAX)
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "comment: at most %d bytes (it travels in the transaction as its memo)",
                         TRANSFER_MEMO_MAX);
    struct wallet_send_result res;
    memset(&res, 0, sizeof res);
    enum wallet_err e = wallet_send_to_address(w, addr, amount, (const uint8_t *)comment, memo_len,
                                               fee_rate, &res);
    if (e != WALLET_OK) {
        wallet_send_result_clear(&res);
        return send_result_fail(req, e, &res, false);
    }
    json_t *out;
    bool ok = true;
    if (!verbose) {
        out = rpc_hex_json(res.txid, sizeof res.txid);
    } else {
        out = json_object();
        ok = out != NULL && rpc_put(out, "txid", rpc_hex_json(res.txid, sizeof res.txid)) &&
             rpc_put(out, "fee", rpc_amount_json(res.total_fee)) &&
             rpc_put(out, "transfers", payments_json(&res, false));
    }
    wallet_send_result_clear(&res);
    return rpc_done_if(req, result, out, ok && out != NULL);
}

struct create_options {
    const char *from;
    amount_t fee, fee_rate, spend;
    bool spend_given;
    bool broadcast;
};

static bool parse_create_options(struct rpc_request *req, const json_t *opts,
                                 struct create_options *o)
{
    memset(o, 0, sizeof *o);
    o->broadcast = true;
    if (opts == NULL)
        return true;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)opts, k, v) {
        if (strcmp(k, "from") == 0) {
            if (!json_is_string(v))
                return rpc_error(req, RPC_TYPE_ERROR, "from: expected an address");
            o->from = json_string_value(v);
            if (!rpc_address_decode(req, "from: ", o->from, NULL))
                return false;
        } else if (strcmp(k, "fee") == 0) {
            if (!rpc_amount_from_json(v, &o->fee))
                return rpc_error(req, RPC_TYPE_ERROR, "fee: invalid amount");
        } else if (strcmp(k, "spend") == 0) {
            if (!rpc_amount_from_json(v, &o->spend))
                return rpc_error(req, RPC_TYPE_ERROR, "spend: invalid amount");
            o->spend_given = true;
        } else if (strcmp(k, "fee_rate") == 0) {
            if (!json_is_integer(v))
                return rpc_error(req, RPC_TYPE_ERROR, "fee_rate: expected an integer");
            json_int_t r = json_integer_value(v);
            if (r < 0 || r > FEE_RATE_MAX)
                return rpc_error(req, RPC_INVALID_PARAMETER,
                                 "fee_rate: units per byte, 0 to %d", FEE_RATE_MAX);
            o->fee_rate = (amount_t)r;
        } else if (strcmp(k, "broadcast") == 0) {
            if (!json_is_boolean(v))
                return rpc_error(req, RPC_TYPE_ERROR, "broadcast: expected true or false");
            o->broadcast = json_is_true(v);
        } else {
            return rpc_error(req, RPC_INVALID_PARAMETER, "options: unknown option \"%s\"", k);
        }
    }
    return true;
}

/* The payload argument: an object, or a string holding one in JSON. */
static json_t *param_payload(struct rpc_request *req, size_t i)
{
    const json_t *v = rpc_param(req, i);
    if (v == NULL) {
        rpc_error(req, RPC_INVALID_PARAMS, "Missing required parameter '%s'",
                  rpc_param_name(req, i));
        return NULL;
    }
    if (json_is_object(v))
        return json_incref((json_t *)v);
    if (!json_is_string(v)) {
        rpc_error(req, RPC_TYPE_ERROR, "payload: expected a JSON object");
        return NULL;
    }
    json_error_t jerr;
    json_t *o = json_loads(json_string_value(v), JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        rpc_error(req, RPC_TYPE_ERROR, "payload: expected a JSON object");
        return NULL;
    }
    return o;
}

static bool rpc_walletcreatetransaction(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    if (w == NULL)
        return false;
    const json_t *jtype = rpc_param(req, 0);
    if (jtype == NULL)
        return rpc_error(req, RPC_INVALID_PARAMS, "Missing required parameter 'type'");
    const struct txtype_def *def = rpc_txtype_from_json(req, jtype);
    if (def == NULL)
        return false;
    struct create_options opt;
    if (!parse_create_options(req, rpc_param(req, 2), &opt))
        return false;
    json_t *payload = param_payload(req, 1);
    if (payload == NULL)
        return false;
    struct buf enc;
    buf_init(&enc);
    char err[256];
    bool ok = txjson_build_payload(def, payload, req->node->params, &enc, err, sizeof err);
    if (!ok)
        rpc_error(req, RPC_INVALID_PARAMETER, "payload: %s", err);
    /* Without an explicit spend only a transfer's cost is known here; other
     * types' amounts need not leave the sender (a price, say). */
    amount_t spend = opt.spend;
    if (ok && !opt.spend_given && def->id == TX_TYPE_TRANSFER &&
        !rpc_amount_from_json(json_object_get(payload, "amount"), &spend))
        spend = 0;
    json_decref(payload);
    if (!ok) {
        buf_clear(&enc);
        return false;
    }
    struct wallet_send_request sreq = {
        .type = def->id,
        .payload = enc.data,
        .payload_len = enc.len,
        .from = opt.from,
        .spend = spend,
        .fee = opt.fee,
        .fee_rate = opt.fee_rate,
        .broadcast = opt.broadcast,
    };
    struct wallet_send_result res;
    memset(&res, 0, sizeof res);
    /* A transfer left to the wallet may be paid by several keys, as
     * sendtoaddress does; any other tx, or one with a chosen key or fee, has
     * one sender. */
    struct transfer_payload tp;
    bool split = def->id == TX_TYPE_TRANSFER && opt.from == NULL && opt.fee == 0 &&
                 !opt.spend_given && transfer_payload_decode(enc.data, enc.len, &tp) == SER_OK;
    enum wallet_err e = split ? wallet_pay(w, tp.to, tp.amount, tp.memo, tp.memo_len, opt.fee_rate,
                                           opt.broadcast, &res)
                              : wallet_create_transaction(w, &sreq, &res);
    buf_clear(&enc);
    if (e != WALLET_OK) {
        wallet_send_result_clear(&res);
        if (e == WALLET_ERR_NOT_MINE)
            return rpc_error(req, RPC_WALLET_ERROR, "from: the address is not in this wallet");
        return send_result_fail(req, e, &res, !split);
    }
    json_t *o = json_object();
    ok = o != NULL && rpc_put(o, "txid", rpc_hex_json(res.txid, sizeof res.txid)) &&
         rpc_put(o, "fee", rpc_amount_json(res.total_fee)) &&
         rpc_put(o, "from", json_string(res.from)) &&
         (opt.broadcast || rpc_put(o, "hex", json_string(res.hex != NULL ? res.hex : ""))) &&
         rpc_put(o, "transfers", payments_json(&res, !opt.broadcast));
    wallet_send_result_clear(&res);
    return rpc_done_if(req, result, o, ok);
}

/* ------------------------------------------------------------ history */

/* Address -> label, sorted by address, for labelling history entries. */
struct label_map {
    struct wallet_address_info *v;
    size_t n, cap;
    bool failed;
};

static bool label_map_add(void *ctx, const struct wallet_address_info *a)
{
    struct label_map *m = ctx;
    if (!grow_array((void **)&m->v, &m->cap, m->n + 1, sizeof *m->v, 64)) {
        m->failed = true;
        return false;
    }
    m->v[m->n++] = *a;
    return true;
}

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const struct wallet_address_info *)a)->address,
                  ((const struct wallet_address_info *)b)->address);
}

static bool label_map_load(struct rpc_request *req, struct wallet *w, struct label_map *m)
{
    memset(m, 0, sizeof *m);
    enum wallet_err e = wallet_list_addresses(w, label_map_add, m);
    if (e != WALLET_OK || m->failed) {
        free(m->v);
        return e != WALLET_OK ? rpc_wallet_fail(req, e, NULL) : rpc_nomem(req);
    }
    if (m->n > 0)
        qsort(m->v, m->n, sizeof *m->v, label_cmp);
    return true;
}

static const char *label_of(const struct label_map *m, const char *address)
{
    struct wallet_address_info key;
    snprintf(key.address, sizeof key.address, "%s", address);
    const struct wallet_address_info *hit =
        m->n > 0 ? bsearch(&key, m->v, m->n, sizeof *m->v, label_cmp) : NULL;
    return hit != NULL ? hit->label : "";
}

/* What the tx does to the wallet: the first fields of an entry of
 * listtransactions, and all of gettransaction's "details". with_type puts
 * the type's name before the fee, where an entry shows it. */
static bool tx_effect_fill(json_t *o, const struct wallet_tx_info *t, const struct label_map *m,
                           bool with_type)
{
    const struct txtype_def *def = txtype_find(t->type);
    return rpc_put(o, "address", json_string(t->address)) &&
           rpc_put(o, "category", json_string(t->category)) &&
           rpc_put(o, "amount", rpc_signed_amount_json(t->amount)) &&
           rpc_put(o, "label", json_string(label_of(m, t->address))) &&
           (!with_type || rpc_put(o, "type", json_string(def != NULL ? def->name : "unknown"))) &&
           (t->fee == 0 || rpc_put(o, "fee", rpc_signed_amount_json(-(int64_t)t->fee)));
}

/* The fields listtransactions and gettransaction share. */
static bool tx_entry_fill(json_t *o, const struct wallet_tx_info *t, const struct label_map *m)
{
    bool ok = tx_effect_fill(o, t, m, true);
    if (ok && t->counterparty[0] != '\0')
        ok = rpc_put(o, "counterparty", json_string(t->counterparty));
    if (ok)
        ok = rpc_put(o, "confirmations", json_integer(t->confirmations));
    if (ok && t->confirmations > 0)
        ok = rpc_put(o, "blockhash", rpc_hex_json(t->block_hash, sizeof t->block_hash)) &&
             rpc_put(o, "blockheight", json_integer((json_int_t)t->height));
    return ok && rpc_put(o, "txid", rpc_hex_json(t->txid, sizeof t->txid)) &&
           rpc_put(o, "time", json_integer(t->time));
}

struct listtx_ctx {
    json_t *arr;
    const struct label_map *labels;
    const char *label;  /* NULL: every entry */
    size_t skip, count; /* applied here only when filtering by label */
    bool failed;
};

static bool listtx_cb(void *ctx, const struct wallet_tx_info *t)
{
    struct listtx_ctx *c = ctx;
    if (c->label != NULL) {
        if (strcmp(label_of(c->labels, t->address), c->label) != 0)
            return true;
        if (c->skip > 0) {
            c->skip--;
            return true;
        }
        if (c->count == 0)
            return false;
        c->count--;
    }
    json_t *o = json_object();
    if (!rpc_append(c->arr, o, o != NULL && tx_entry_fill(o, t, c->labels))) {
        c->failed = true;
        return false;
    }
    return true;
}

static bool rpc_listtransactions(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    const char *label;
    int64_t count, skip;
    if (w == NULL || !rpc_param_str(req, 0, "*", &label) ||
        !rpc_param_int(req, 1, LISTTX_DEFAULT_COUNT, 0, INT64_MAX, &count) ||
        !rpc_param_int(req, 2, 0, 0, INT64_MAX, &skip))
        return false;
    struct label_map labels;
    if (!label_map_load(req, w, &labels))
        return false;
    struct listtx_ctx c = {
        .arr = json_array(),
        .labels = &labels,
        .label = strcmp(label, "*") == 0 ? NULL : label,
        .skip = (size_t)skip,
        .count = (size_t)count,
    };
    enum wallet_err e = WALLET_OK;
    if (c.arr == NULL)
        c.failed = true;
    else if (c.label == NULL)
        e = wallet_list_txs(w, (size_t)count, (size_t)skip, listtx_cb, &c);
    else if (count > 0)
        e = wallet_list_txs(w, SIZE_MAX, 0, listtx_cb, &c);
    free(labels.v);
    if (e != WALLET_OK || c.failed) {
        json_decref(c.arr);
        return e != WALLET_OK ? rpc_wallet_fail(req, e, NULL) : rpc_nomem(req);
    }
    /* They came newest first; bitcoind lists oldest to newest. Reversed
     * here in one pass: inserting each at the front moved the whole array
     * every time, quadratic in a long history. */
    size_t n = json_array_size(c.arr);
    for (size_t i = 0; i < n / 2; i++) {
        json_t *a = json_incref(json_array_get(c.arr, i));
        json_t *b = json_incref(json_array_get(c.arr, n - 1 - i));
        json_array_set_new(c.arr, i, b);
        json_array_set_new(c.arr, n - 1 - i, a);
    }
    *result = c.arr;
    return true;
}

static bool rpc_gettransaction(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    uint8_t txid[32];
    if (w == NULL || !rpc_param_hash(req, 0, txid))
        return false;
    struct label_map labels;
    if (!label_map_load(req, w, &labels))
        return false;
    struct wallet_tx_info t;
    struct tx raw;
    tx_init(&raw);
    enum wallet_err e = wallet_get_tx(w, txid, &t, &raw);
    if (e != WALLET_OK) {
        free(labels.v);
        tx_clear(&raw);
        if (e == WALLET_ERR_NOT_FOUND)
            return rpc_error(req, RPC_INVALID_ADDRESS_OR_KEY,
                             "Invalid or non-wallet transaction id");
        return rpc_wallet_fail(req, e, NULL);
    }
    json_t *o = json_object(), *detail = json_object(), *details = json_array();
    struct buf hex;
    buf_init(&hex);
    bool ok = o != NULL && detail != NULL && details != NULL && tx_entry_fill(o, &t, &labels) &&
              tx_effect_fill(detail, &t, &labels, false);
    if (ok) {
        ok = json_array_append(details, detail) == 0 && json_object_set(o, "details", details) == 0;
    }
    ok = ok && tx_encode(&raw, &hex) && rpc_put(o, "hex", rpc_hex_json(hex.data, hex.len)) &&
         rpc_put(o, "decoded", txjson_tx(&raw, req->node->params));
    json_decref(detail);
    json_decref(details);
    buf_clear(&hex);
    tx_clear(&raw);
    free(labels.v);
    return rpc_done_if(req, result, o, ok);
}

static bool rpc_rescanblockchain(struct rpc_request *req, json_t **result)
{
    struct wallet *w = rpc_wallet_from_request(req);
    int64_t start, stop;
    if (w == NULL || !rpc_param_int(req, 0, 0, 0, INT64_MAX, &start) ||
        !rpc_param_int(req, 1, -1, -1, INT64_MAX, &stop))
        return false;
    if (stop >= 0 && stop < start)
        return rpc_error(req, RPC_INVALID_PARAMETER,
                         "stop_height must be greater than start_height");
    int64_t s_out = 0, e_out = 0;
    enum wallet_err e = wallet_rescan(w, start, stop, &s_out, &e_out);
    if (e != WALLET_OK)
        return rpc_wallet_fail(req, e, e == WALLET_ERR_BAD_PARAMETER ? "Invalid start_height or "
                                                                   "stop_height: beyond the tip"
                                                                 : NULL);
    json_t *o = json_object();
    return rpc_done_if(req, result, o,
                       o != NULL && rpc_put(o, "start_height", json_integer(s_out)) &&
                           rpc_put(o, "stop_height", json_integer(e_out)));
}

/* ------------------------------------------------------------ table */

static const struct rpc_method wallet_tx_methods[] = {
    {"wallet", "sendtoaddress", rpc_sendtoaddress, "Sends coins to an address.",
     "The wallet pays from the key with the most to spend when it covers amount and fee;\n"
     "otherwise from several keys, one transfer each (the fullest first), all submitted or\n"
     "none. Each uses its key's next nonce (counting pending txs) and a fee (at least the\n"
     "mempool's minimum).\n"
     "Result: \"txid\" (the first transfer's), or with verbose {\"txid\", \"fee\" (all\n"
     "transfers'), \"transfers\": [{\"txid\", \"from\", \"amount\", \"fee\"}, ...]}\n"
     "Errors: -5 invalid address, -3 bad amount, -6 insufficient funds, -13 locked,\n"
     "-26 refused by the mempool",
     {{"address", RPC_ARG_STR, false, "The recipient's address"},
      {"amount", RPC_ARG_AMOUNT, false, "Coins to send, more than 0, at most 8 decimals"},
      {"comment", RPC_ARG_STR, true,
       "A memo carried in the transaction, public (at most 256 bytes; default none)"},
      {"fee_rate", RPC_ARG_INT, true, "Fee rate in base units per byte (default: the minimum)"},
      {"verbose", RPC_ARG_BOOL, true, "Return every transfer made (default false)"}}},
    {"wallet", "listtransactions", rpc_listtransactions,
     "Returns the most recent wallet transactions, skipping the first skip, oldest first.",
     "Result: [{\"address\", \"category\" (send|receive|self|generate|immature|other),\n"
     "          \"amount\" (negative when sending), \"label\", \"type\", \"fee\" (negative,\n"
     "          when the wallet paid one), \"counterparty\", \"confirmations\", \"blockhash\",\n"
     "          \"blockheight\", \"txid\", \"time\"}, ...]",
     {{"label", RPC_ARG_STR, true, "Only txs of addresses with this label (default \"*\": all)"},
      {"count", RPC_ARG_INT, true, "The number of transactions (default 10)"},
      {"skip", RPC_ARG_INT, true, "The number of most recent transactions to skip (default 0)"}}},
    {"wallet", "gettransaction", rpc_gettransaction,
     "Returns a transaction of the wallet's history.",
     "Result: the fields of listtransactions plus \"details\": [{address, category, amount,\n"
     "label, fee}], \"hex\" and \"decoded\" (as decoderawtransaction)\n"
     "Errors: -5 \"Invalid or non-wallet transaction id\"",
     {{"txid", RPC_ARG_HASH, false, "The transaction id"}}},
    {"wallet", "rescanblockchain", rpc_rescanblockchain,
     "Rebuilds the wallet's history and balances from the chain.",
     "Result: {\"start_height\": n, \"stop_height\": n}",
     {{"start_height", RPC_ARG_INT, true, "The first height to scan (default 0)"},
      {"stop_height", RPC_ARG_INT, true, "The last height to scan (default: the tip)"}}},
    {"wallet", "walletcreatetransaction", rpc_walletcreatetransaction,
     "Builds, pays for and signs a transaction of any type with the wallet; broadcasts it "
     "unless told not to.",
     "The payload holds every field of the type by name, as createrawtransaction takes it.\n"
     "Options: {\"from\": address (default: the key with the largest balance covering spend\n"
     "and fee), \"fee\": coins (default: estimated), \"fee_rate\": units per byte,\n"
     "\"spend\": coins the tx spends besides its fee, to choose the sender (default: a\n"
     "transfer's amount, else 0), \"broadcast\": bool (default true)}\n"
     "A transfer without from, fee or spend is paid like sendtoaddress: by several keys, one\n"
     "transfer each, when no single key covers it (all broadcast or none).\n"
     "Result: {\"txid\": \"hex\" (the first), \"fee\": n (all together), \"from\": \"address\"\n"
     "         (the first), \"hex\": \"signed tx\" (the first, only with broadcast false),\n"
     "         \"transfers\": [{\"txid\", \"from\", \"amount\", \"fee\", \"hex\" (broadcast\n"
     "         false)}, ...] (every tx made)}",
     {{"type", RPC_ARG_ANY, false, "The type's name (\"transfer\") or id"},
      {"payload", RPC_ARG_ANY, false, "The payload's fields: an object, or JSON text of one"},
      {"options", RPC_ARG_OBJ, true, "from, fee, fee_rate, spend, broadcast: see below"}}},
};

bool rpc_wallet_tx_register(struct rpc_table *t, char *err, size_t errlen)
{
    return rpc_register_table(t, wallet_tx_methods,
                              sizeof wallet_tx_methods / sizeof wallet_tx_methods[0], err, errlen);
}
