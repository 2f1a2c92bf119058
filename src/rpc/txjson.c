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

/* One field of a decoded payload as JSON; NULL when it has the wrong form. */
static json_t *txjson_field(const msgpack_object *o, enum txfield_kind kind,
                            const struct chain_params *params)
{
    const uint8_t *p;
    size_t len;
    uint64_t u;
    const char *s;
    switch (kind) {
    case TXFIELD_ACCOUNT:
    case TXFIELD_ACCOUNT_OPT:
        if (ser_get_bin(o, 32, &p, &len) != SER_OK)
            return NULL;
        if (len == 0 && kind == TXFIELD_ACCOUNT_OPT)
            return json_string("");
        return len == 32 ? txjson_address(p, params) : NULL;
    case TXFIELD_HASH:
        if (ser_get_bin(o, 32, &p, &len) != SER_OK || len != 32)
            return NULL;
        return rpc_hex_json(p, len);
    case TXFIELD_HASH_LIST: {
        const msgpack_object *items;
        uint32_t n;
        if (ser_get_list(o, UINT32_MAX, &items, &n) != SER_OK)
            return NULL;
        json_t *arr = json_array();
        for (uint32_t i = 0; arr != NULL && i < n; i++) {
            json_t *h = txjson_field(&items[i], TXFIELD_HASH, params);
            if (h == NULL || json_array_append_new(arr, h) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case TXFIELD_AMOUNT:
        if (ser_get_uint(o, &u) != SER_OK)
            return NULL;
        return rpc_amount_json(u);
    case TXFIELD_UINT:
        if (ser_get_uint(o, &u) != SER_OK)
            return NULL;
        return txjson_uint(u);
    case TXFIELD_BYTES:
        if (ser_get_bin(o, SIZE_MAX, &p, &len) != SER_OK)
            return NULL;
        return rpc_hex_json(p, len);
    case TXFIELD_TEXT:
        if (ser_get_str(o, 0, SIZE_MAX, &s, &len) != SER_OK)
            return NULL;
        return json_stringn(s, len);
    }
    return NULL;
}

json_t *txjson_payload(const struct tx *tx, const struct chain_params *params)
{
    const struct txtype_def *def = txtype_find(tx->type);
    if (def == NULL || def->fields == NULL)
        return NULL;
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    struct ser_doc doc;
    ser_doc_init(&doc);
    const msgpack_object *items;
    json_t *obj = NULL;
    if (ser_doc_parse(&doc, bytes, len) == SER_OK &&
        ser_get_array(ser_doc_root(&doc), (uint32_t)def->n_fields, &items) == SER_OK) {
        obj = json_object();
        for (size_t i = 0; obj != NULL && i < def->n_fields; i++) {
            json_t *v = txjson_field(&items[i], def->fields[i].kind, params);
            if (v == NULL || json_object_set_new(obj, def->fields[i].name, v) != 0) {
                json_decref(obj);
                obj = NULL;
            }
        }
    }
    ser_doc_clear(&doc);
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

static bool txjson_write_field(struct ser_writer *w, const struct txfield *f, const json_t *v,
                               const struct chain_params *params, char *err, size_t errlen)
{
    uint8_t key[32];
    switch (f->kind) {
    case TXFIELD_ACCOUNT:
    case TXFIELD_ACCOUNT_OPT: {
        if (!json_is_string(v))
            break;
        const char *s = json_string_value(v);
        if (f->kind == TXFIELD_ACCOUNT_OPT && s[0] == '\0') {
            ser_write_bin(w, "", 0);
            return true;
        }
        enum address_error ae = address_decode(params->hrp, s, key);
        if (ae != ADDRESS_OK) {
            snprintf(err, errlen, "%s: invalid address: %s", f->name, address_strerror(ae));
            return false;
        }
        ser_write_bin(w, key, 32);
        return true;
    }
    case TXFIELD_HASH:
        if (!txjson_hex32(v, key))
            break;
        ser_write_bin(w, key, 32);
        return true;
    case TXFIELD_HASH_LIST: {
        if (!json_is_array(v))
            break;
        ser_write_array(w, json_array_size(v));
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item) {
            if (!txjson_hex32(item, key)) {
                snprintf(err, errlen, "%s[%zu]: expected a 64-digit hex id", f->name, i);
                return false;
            }
            ser_write_bin(w, key, 32);
        }
        return true;
    }
    case TXFIELD_AMOUNT: {
        amount_t a;
        if (!rpc_amount_from_json(v, &a)) {
            snprintf(err, errlen, "%s: invalid amount", f->name);
            return false;
        }
        ser_write_uint(w, a);
        return true;
    }
    case TXFIELD_UINT:
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            break;
        ser_write_uint(w, (uint64_t)json_integer_value(v));
        return true;
    case TXFIELD_BYTES: {
        if (!json_is_string(v))
            break;
        struct buf b;
        buf_init(&b);
        const char *s = json_string_value(v);
        bool ok = hex_decode_buf(s, strlen(s), &b);
        if (ok)
            ser_write_bin(w, b.data, b.len);
        buf_clear(&b);
        if (ok)
            return true;
        break;
    }
    case TXFIELD_TEXT:
        if (!json_is_string(v))
            break;
        ser_write_str(w, json_string_value(v), json_string_length(v));
        return true;
    }
    static const char *const kind_names[] = {
        [TXFIELD_ACCOUNT] = "an address",        [TXFIELD_ACCOUNT_OPT] = "an address or \"\"",
        [TXFIELD_HASH] = "a 64-digit hex id",    [TXFIELD_HASH_LIST] = "an array of hex ids",
        [TXFIELD_AMOUNT] = "an amount",          [TXFIELD_UINT] = "a non-negative integer",
        [TXFIELD_BYTES] = "a hex string",        [TXFIELD_TEXT] = "a string",
    };
    snprintf(err, errlen, "%s: expected %s", f->name, kind_names[f->kind]);
    return false;
}

bool txjson_build_payload(const struct txtype_def *def, const json_t *obj,
                          const struct chain_params *params, struct buf *out, char *err,
                          size_t errlen)
{
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "payload must be a JSON object");
        return false;
    }
    if (def->fields == NULL) {
        snprintf(err, errlen, "transactions of type %s cannot be built from JSON", def->name);
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
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, def->n_fields);
    for (size_t i = 0; i < def->n_fields; i++) {
        const json_t *fv = json_object_get(obj, def->fields[i].name);
        if (fv == NULL) {
            snprintf(err, errlen, "missing payload field \"%s\"", def->fields[i].name);
            out->len = start;
            return false;
        }
        if (!txjson_write_field(&w, &def->fields[i], fv, params, err, errlen)) {
            out->len = start;
            return false;
        }
    }
    if (!ser_writer_ok(&w)) {
        snprintf(err, errlen, "out of memory");
        out->len = start;
        return false;
    }
    return true;
}
