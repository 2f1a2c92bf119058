#include "rpc/txjson.h"

#include <stdio.h>
#include <string.h>

#include "consensus/serialize.h"
#include "crypto/address.h"
#include "rpc/server.h"
#include "util/hex.h"

/* JSON integers are signed 64-bit in jansson: a larger value (a header
 * nonce may use all 64 bits) is shown as a decimal string instead. */
static json_t *txjson_uint(uint64_t v)
{
    if (v <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)v);
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)v);
    return json_string(s);
}

static json_t *txjson_address(const uint8_t key[32], const struct chain_params *params)
{
    char addr[ADDRESS_MAX_LEN + 1];
    if (address_encode(params->hrp, key, addr, sizeof addr) != ADDRESS_OK)
        return rpc_hex_json(key, 32); /* not a curve point: show the bytes */
    return json_string(addr);
}

/* One field of a decoded payload as JSON. */
static json_t *txjson_field(const struct txfield *f, const struct txvalue *v,
                            const struct chain_params *params)
{
    switch (f->kind) {
    case TXFIELD_ACCOUNT:
    case TXFIELD_ACCOUNT_OPT:
        return v->len == 0 ? json_string("") : txjson_address(v->p, params);
    case TXFIELD_HASH:
    case TXFIELD_BYTES:
        return rpc_hex_json(v->p, v->len);
    case TXFIELD_HASH_LIST: {
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < v->len; i++) {
            if (json_array_append_new(arr, rpc_hex_json(v->p + 32 * i, 32)) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case TXFIELD_UINT8_LIST: {
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < v->len; i++) {
            if (json_array_append_new(arr, json_integer(v->p[i])) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case TXFIELD_AMOUNT:
        return rpc_amount_json(v->u);
    case TXFIELD_UINT:
        return txjson_uint(v->u);
    case TXFIELD_TEXT:
        return json_stringn((const char *)v->p, v->len);
    case TXFIELD_KIND_COUNT_:
        break;
    }
    return NULL;
}

json_t *txjson_payload(const struct tx *tx, const struct chain_params *params)
{
    const struct txtype_def *def = txtype_find(tx->type);
    if (def == NULL)
        return NULL;
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    struct txpayload p;
    txpayload_init(&p);
    json_t *obj = NULL;
    if (txpayload_decode(def->fields, def->n_fields, bytes, len, &p, NULL, NULL) == TXERR_OK) {
        obj = json_object();
        for (size_t i = 0; obj != NULL && i < def->n_fields; i++) {
            json_t *v = txjson_field(&def->fields[i], &p.v[i], params);
            if (v == NULL || json_object_set_new(obj, def->fields[i].name, v) != 0) {
                json_decref(obj);
                obj = NULL;
            }
        }
    }
    txpayload_clear(&p);
    return obj;
}

json_t *txjson_tx(const struct tx *tx, const struct chain_params *params)
{
    uint8_t txid[SHA256_LEN];
    tx_txid(tx, txid);
    const struct txtype_def *def = txtype_find(tx->type);
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "txid", rpc_hex_json(txid, sizeof txid));
    json_object_set_new(o, "version", json_integer(TX_VERSION));
    json_object_set_new(o, "type", json_string(def != NULL ? def->name : "unknown"));
    json_object_set_new(o, "type_id", json_integer((json_int_t)tx->type));
    json_object_set_new(o, "sender", tx_is_coinbase(tx) ? json_string("")
                                                         : txjson_address(tx->sender, params));
    json_object_set_new(o, tx_is_coinbase(tx) ? "height" : "nonce", txjson_uint(tx->nonce));
    json_object_set_new(o, "fee", rpc_amount_json(tx->fee));
    json_object_set_new(o, "size", json_integer((json_int_t)tx_encoded_size(tx)));
    json_t *payload = txjson_payload(tx, params);
    if (payload != NULL) {
        json_object_set_new(o, "payload", payload);
    } else {
        size_t len;
        const uint8_t *bytes = tx_payload_bytes(tx, &len);
        json_object_set_new(o, "payload_hex", rpc_hex_json(bytes, len));
    }
    json_object_set_new(o, "sig", tx_is_coinbase(tx) ? json_string("")
                                                      : rpc_hex_json(tx->sig, sizeof tx->sig));
    return o;
}

json_t *txjson_header(const struct block_header *h)
{
    uint8_t hash[SHA256_LEN];
    block_header_hash(h, hash);
    char bits[9];
    snprintf(bits, sizeof bits, "%08x", h->bits);
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "hash", rpc_hex_json(hash, sizeof hash));
    json_object_set_new(o, "version", json_integer(BLOCK_VERSION));
    static const uint8_t zero[SHA256_LEN];
    /* The genesis block has no parent: leave the field out, as bitcoind does. */
    if (memcmp(h->prev_hash, zero, sizeof zero) != 0)
        json_object_set_new(o, "previousblockhash",
                            rpc_hex_json(h->prev_hash, sizeof h->prev_hash));
    json_object_set_new(o, "merkleroot", rpc_hex_json(h->merkle_root, sizeof h->merkle_root));
    json_object_set_new(o, "time", json_integer((json_int_t)h->time));
    json_object_set_new(o, "bits", json_string(bits));
    json_object_set_new(o, "nonce", txjson_uint(h->nonce));
    return o;
}

/* ---- building ------------------------------------------------------------ */

static bool txjson_hex32(const json_t *v, uint8_t out[32])
{
    return json_is_string(v) && hex_decode_exact(json_string_value(v), out, 32);
}

/* Reads one field's JSON into v; byte values are kept in *store (appended;
 * positions recorded in v->u until the caller fixes pointers). */
static bool txjson_read_field(const struct txfield *f, const json_t *j, struct txvalue *v,
                              struct buf *store, const struct chain_params *params, char *err,
                              size_t errlen)
{
    uint8_t key[32];
    memset(v, 0, sizeof *v);
    v->u = store->len;
    switch (f->kind) {
    case TXFIELD_ACCOUNT:
    case TXFIELD_ACCOUNT_OPT: {
        if (!json_is_string(j))
            break;
        const char *s = json_string_value(j);
        if (f->kind == TXFIELD_ACCOUNT_OPT && s[0] == '\0')
            return true;
        enum address_error ae = address_decode(params->hrp, s, key);
        if (ae != ADDRESS_OK) {
            snprintf(err, errlen, "%s: invalid address: %s", f->name, address_strerror(ae));
            return false;
        }
        v->len = 32;
        return buf_append(store, key, 32);
    }
    case TXFIELD_HASH:
        if (!txjson_hex32(j, key))
            break;
        v->len = 32;
        return buf_append(store, key, 32);
    case TXFIELD_HASH_LIST: {
        if (!json_is_array(j))
            break;
        size_t i;
        const json_t *item;
        json_array_foreach(j, i, item) {
            if (!txjson_hex32(item, key)) {
                snprintf(err, errlen, "%s[%zu]: expected a 64-digit hex id", f->name, i);
                return false;
            }
            if (!buf_append(store, key, 32))
                return false;
        }
        v->len = json_array_size(j);
        return true;
    }
    case TXFIELD_UINT8_LIST: {
        if (!json_is_array(j))
            break;
        size_t i;
        const json_t *item;
        json_array_foreach(j, i, item) {
            json_int_t n = json_is_integer(item) ? json_integer_value(item) : -1;
            if (n < 0 || n > UINT8_MAX) {
                snprintf(err, errlen, "%s[%zu]: expected an integer from 0 to %u", f->name, i,
                         (unsigned)f->item_max);
                return false;
            }
            if (!buf_append_byte(store, (uint8_t)n))
                return false;
        }
        v->len = json_array_size(j);
        return true;
    }
    case TXFIELD_AMOUNT: {
        amount_t a;
        if (!rpc_amount_from_json(j, &a)) {
            snprintf(err, errlen, "%s: invalid amount", f->name);
            return false;
        }
        v->u = a;
        return true;
    }
    case TXFIELD_UINT:
        if (!json_is_integer(j) || json_integer_value(j) < 0)
            break;
        v->u = (uint64_t)json_integer_value(j);
        return true;
    case TXFIELD_BYTES: {
        if (!json_is_string(j))
            break;
        const char *s = json_string_value(j);
        size_t before = store->len;
        if (!hex_decode_buf(s, strlen(s), store))
            break;
        v->len = store->len - before;
        return true;
    }
    case TXFIELD_TEXT:
        if (!json_is_string(j))
            break;
        v->len = json_string_length(j);
        return buf_append(store, json_string_value(j), v->len);
    case TXFIELD_KIND_COUNT_:
        break;
    }
    static const char *const kind_names[TXFIELD_KIND_COUNT_] = {
        [TXFIELD_ACCOUNT] = "an address",        [TXFIELD_ACCOUNT_OPT] = "an address or \"\"",
        [TXFIELD_HASH] = "a 64-digit hex id",    [TXFIELD_HASH_LIST] = "an array of hex ids",
        [TXFIELD_AMOUNT] = "an amount",          [TXFIELD_UINT] = "a non-negative integer",
        [TXFIELD_BYTES] = "a hex string",        [TXFIELD_TEXT] = "a string",
        [TXFIELD_UINT8_LIST] = "an array of small integers",
    };
    snprintf(err, errlen, "%s: expected %s", f->name,
             (unsigned)f->kind < TXFIELD_KIND_COUNT_ ? kind_names[f->kind] : "a value");
    return false;
}

bool txjson_build_payload(const struct txtype_def *def, const json_t *obj,
                          const struct chain_params *params, struct buf *out, char *err,
                          size_t errlen)
{
    err[0] = '\0';
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "payload must be a JSON object");
        return false;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        bool known = false;
        for (size_t i = 0; i < def->n_fields && !known; i++)
            known = strcmp(def->fields[i].name, k) == 0;
        if (!known) {
            snprintf(err, errlen, "unknown payload field \"%s\" for type %s", k, def->name);
            return false;
        }
    }
    struct txvalue values[TXFIELD_MAX];
    struct buf store;
    buf_init(&store);
    bool ok = def->n_fields <= TXFIELD_MAX;
    for (size_t i = 0; ok && i < def->n_fields; i++) {
        const json_t *fv = json_object_get(obj, def->fields[i].name);
        if (fv == NULL) {
            snprintf(err, errlen, "missing payload field \"%s\"", def->fields[i].name);
            ok = false;
        } else if (!txjson_read_field(&def->fields[i], fv, &values[i], &store, params, err,
                                      errlen)) {
            if (err[0] == '\0')
                snprintf(err, errlen, "out of memory");
            ok = false;
        }
    }
    /* The store no longer moves: point the byte values into it. */
    for (size_t i = 0; ok && i < def->n_fields; i++)
        if (def->fields[i].kind != TXFIELD_AMOUNT && def->fields[i].kind != TXFIELD_UINT)
            values[i].p = store.data != NULL ? store.data + values[i].u : (const uint8_t *)"";
    if (ok) {
        enum ser_err detail = SER_OK;
        int field = -1;
        enum txerr te = txpayload_check_values(def->fields, def->n_fields, values, &detail,
                                               &field);
        if (te != TXERR_OK) {
            snprintf(err, errlen, "%s: %s (%s)", field >= 0 ? def->fields[field].name : "payload",
                     txerr_reason(te), ser_strerror(detail));
            ok = false;
        }
    }
    if (ok && !txpayload_encode(def->fields, def->n_fields, values, out)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
    }
    buf_clear(&store);
    return ok;
}
