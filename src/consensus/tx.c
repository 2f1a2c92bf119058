#include "consensus/tx.h"

#include <string.h>

static const uint8_t empty_array[1] = {0x90};

void tx_init(struct tx *tx)
{
    memset(tx, 0, sizeof *tx);
    buf_init(&tx->payload);
}

void tx_clear(struct tx *tx)
{
    buf_clear(&tx->payload);
    tx_init(tx);
}

bool tx_copy(struct tx *dst, const struct tx *src)
{
    if (dst == src)
        return true;
    struct buf payload;
    buf_init(&payload);
    if (!buf_append(&payload, src->payload.data, src->payload.len)) {
        buf_clear(&payload);
        return false;
    }
    buf_clear(&dst->payload);
    *dst = *src;
    dst->payload = payload;
    return true;
}

enum ser_err tx_set_payload(struct tx *tx, const void *bytes, size_t len)
{
    if (len > TX_MAX_SIZE)
        return SER_ERR_TOO_LARGE;
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err err = ser_doc_parse(&doc, bytes, len);
    if (err == SER_OK) {
        const msgpack_object *items;
        uint32_t n;
        err = ser_get_list(ser_doc_root(&doc), UINT32_MAX, &items, &n);
    }
    ser_doc_clear(&doc);
    if (err != SER_OK)
        return err;
    struct buf copy;
    buf_init(&copy);
    if (!buf_append(&copy, bytes, len)) {
        buf_clear(&copy);
        return SER_ERR_NOMEM;
    }
    buf_clear(&tx->payload);
    tx->payload = copy;
    return SER_OK;
}

const uint8_t *tx_payload_bytes(const struct tx *tx, size_t *len_out)
{
    if (tx->payload.len == 0) {
        *len_out = sizeof empty_array;
        return empty_array;
    }
    *len_out = tx->payload.len;
    return tx->payload.data;
}

/* The six fields both the encoding and the sighash cover, without the
 * array header. A coinbase has no signer, so its key slot is empty. */
static void write_unsigned_fields(struct ser_writer *w, const struct tx *tx)
{
    size_t plen;
    const uint8_t *payload = tx_payload_bytes(tx, &plen);
    ser_write_uint(w, TX_VERSION);
    ser_write_uint(w, tx->type);
    ser_write_bin(w, tx->sender, tx_is_coinbase(tx) ? 0 : TX_SENDER_LEN);
    ser_write_uint(w, tx->nonce);
    ser_write_uint(w, tx->fee);
    ser_write_raw(w, payload, plen);
}

void tx_write(struct ser_writer *w, const struct tx *tx)
{
    ser_write_array(w, 7);
    write_unsigned_fields(w, tx);
    ser_write_bin(w, tx->sig, tx_is_coinbase(tx) ? 0 : TX_SIG_LEN);
}

bool tx_encode(const struct tx *tx, struct buf *out)
{
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    tx_write(&w, tx);
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    return true;
}

size_t tx_encoded_size(const struct tx *tx)
{
    struct ser_writer w;
    ser_writer_init_counter(&w);
    tx_write(&w, tx);
    return w.count;
}

enum ser_err tx_decode_object(const msgpack_object *o, struct tx *out)
{
    const msgpack_object *f;
    enum ser_err err = ser_get_array(o, 7, &f);
    if (err != SER_OK)
        return err;

    uint64_t version;
    if ((err = ser_get_uint(&f[0], &version)) != SER_OK)
        return err;
    if (version != TX_VERSION)
        return SER_ERR_VERSION;

    struct tx t;
    tx_init(&t);
    if ((err = ser_get_uint(&f[1], &t.type)) != SER_OK)
        return err;
    /* A coinbase must carry bin(0) in both key slots, anything else bin(32)
     * and bin(64): one accepted form per type. */
    bool coinbase = tx_is_coinbase(&t);
    if ((err = ser_get_bin_fixed(&f[2], coinbase ? 0 : TX_SENDER_LEN, t.sender)) != SER_OK)
        return err;
    if ((err = ser_get_uint(&f[3], &t.nonce)) != SER_OK)
        return err;
    if ((err = ser_get_uint(&f[4], &t.fee)) != SER_OK)
        return err;
    const msgpack_object *items;
    uint32_t n;
    if ((err = ser_get_list(&f[5], UINT32_MAX, &items, &n)) != SER_OK)
        return err;
    if ((err = ser_get_bin_fixed(&f[6], coinbase ? 0 : TX_SIG_LEN, t.sig)) != SER_OK)
        return err;

    /* The object came from a canonical doc, so re-packing the payload gives
     * back exactly the bytes it was parsed from. */
    struct ser_writer w;
    ser_writer_init(&w, &t.payload);
    ser_write_object(&w, &f[5]);
    if (!ser_writer_ok(&w)) {
        tx_clear(&t);
        return SER_ERR_NOMEM;
    }
    if (tx_encoded_size(&t) > TX_MAX_SIZE) {
        tx_clear(&t);
        return SER_ERR_TOO_LARGE;
    }
    tx_clear(out);
    *out = t;
    return SER_OK;
}

enum ser_err tx_decode(const void *bytes, size_t len, struct tx *out)
{
    if (len > TX_MAX_SIZE)
        return SER_ERR_TOO_LARGE;
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err err = ser_doc_parse(&doc, bytes, len);
    if (err == SER_OK)
        err = tx_decode_object(ser_doc_root(&doc), out);
    ser_doc_clear(&doc);
    return err;
}

void tx_txid(const struct tx *tx, uint8_t out[SHA256_LEN])
{
    struct sha256_ctx ctx;
    struct ser_writer w;
    sha256_init(&ctx);
    ser_writer_init_hasher(&w, &ctx);
    tx_write(&w, tx);
    sha256_final(&ctx, out);
}

void tx_sighash(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN],
                uint8_t out[SHA256_LEN])
{
    struct sha256_ctx ctx;
    struct ser_writer w;
    sha256_tagged_init(&ctx, TX_SIGHASH_TAG);
    sha256_update(&ctx, genesis_hash, SHA256_LEN);
    ser_writer_init_hasher(&w, &ctx);
    ser_write_array(&w, 6);
    write_unsigned_fields(&w, tx);
    sha256_final(&ctx, out);
}
