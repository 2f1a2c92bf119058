#include "consensus/tx.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t empty_array[1] = {0x90};

static _Thread_local uint64_t tx_encodes;

uint64_t tx_encode_count(void) { return tx_encodes; }

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
    tx_invalidate(tx);
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

static void write_tx(struct ser_writer *w, const struct tx *tx)
{
    ser_write_array(w, 7);
    write_unsigned_fields(w, tx);
    ser_write_bin(w, tx->sig, tx_is_coinbase(tx) ? 0 : TX_SIG_LEN);
}

void tx_write(struct ser_writer *w, const struct tx *tx)
{
    tx_encodes++;
    write_tx(w, tx);
}

/* Size and txid from the fields, in one pass. Uncounted: the callers
 * count what they stand for. */
static void compute_cache(const struct tx *tx, struct tx_cache *out)
{
    struct sha256_ctx ctx;
    struct ser_writer w;
    sha256_init(&ctx);
    ser_writer_init_hasher(&w, &ctx);
    write_tx(&w, tx);
    sha256_final(&ctx, out->txid);
    /* Exact up to 4 GiB, far past any size limit. */
    out->size = w.count > UINT32_MAX ? UINT32_MAX : (uint32_t)w.count;
    out->valid = true;
}

void tx_finalize(struct tx *tx)
{
    tx_encodes++;
    compute_cache(tx, &tx->cache);
}

#ifdef SOUK_CHECK_TX_CACHE
/* A valid cache that differs from the fields means some code changed a
 * finalized tx without tx_finalize: stop where it is seen. */
static void check_cache(const struct tx *tx)
{
    struct tx_cache fresh;
    compute_cache(tx, &fresh);
    if (fresh.size != tx->cache.size || memcmp(fresh.txid, tx->cache.txid, SHA256_LEN) != 0) {
        fprintf(stderr, "souk: a tx's cached size/txid is stale: a field was changed after "
                        "tx_finalize without calling it again\n");
        abort();
    }
}
#else
static inline void check_cache(const struct tx *tx) { (void)tx; }
#endif

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
    if (tx->cache.valid) {
        check_cache(tx);
        return tx->cache.size;
    }
    struct ser_writer w;
    ser_writer_init_counter(&w);
    tx_write(&w, tx);
    return w.count;
}

/* The fields of o into *out, which is overwritten (not released), its
 * cache invalid. */
static enum ser_err decode_fields(const msgpack_object *o, struct tx *out)
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
    *out = t;
    return SER_OK;
}

enum ser_err tx_decode_object(const msgpack_object *o, struct tx *out)
{
    struct tx t;
    enum ser_err err = decode_fields(o, &t);
    if (err != SER_OK)
        return err;
    /* Inside a larger document the tx's own bytes are not at hand: one
     * encoding pass gives both the size (for the limit) and the txid. */
    tx_finalize(&t);
    if (t.cache.size > TX_MAX_SIZE) {
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
    struct tx t;
    if (err == SER_OK)
        err = decode_fields(ser_doc_root(&doc), &t);
    ser_doc_clear(&doc);
    if (err != SER_OK)
        return err;
    /* The decoder accepts only the canonical encoding, so these bytes are
     * exactly what the fields encode to. */
    t.cache.size = (uint32_t)len;
    sha256(bytes, len, t.cache.txid);
    t.cache.valid = true;
    tx_clear(out);
    *out = t;
    return SER_OK;
}

void tx_txid(const struct tx *tx, uint8_t out[SHA256_LEN])
{
    if (tx->cache.valid) {
        check_cache(tx);
        memcpy(out, tx->cache.txid, SHA256_LEN);
        return;
    }
    struct sha256_ctx ctx;
    struct ser_writer w;
    sha256_init(&ctx);
    ser_writer_init_hasher(&w, &ctx);
    tx_write(&w, tx);
    sha256_final(&ctx, out);
}

/* SHA256(tag) twice: the fixed start of every sighash (a BIP340 tagged
 * hash), hashed once per process. */
static uint8_t tx_sighash_prefix[2 * SHA256_LEN];
static pthread_once_t tx_sighash_once = PTHREAD_ONCE_INIT;

static void tx_sighash_prefix_init(void)
{
    sha256(TX_SIGHASH_TAG, strlen(TX_SIGHASH_TAG), tx_sighash_prefix);
    memcpy(tx_sighash_prefix + SHA256_LEN, tx_sighash_prefix, SHA256_LEN);
}

void tx_sighash(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN],
                uint8_t out[SHA256_LEN])
{
    pthread_once(&tx_sighash_once, tx_sighash_prefix_init);
    tx_encodes++;
    /* The message is laid out whole and hashed in one call: streamed, each
     * field paid OpenSSL's cost per call, and the tag was hashed anew, a
     * tenth of a block's check beside the signatures. */
    struct buf msg;
    buf_init(&msg);
    struct ser_writer w;
    ser_writer_init(&w, &msg);
    bool ok = buf_append(&msg, tx_sighash_prefix, sizeof tx_sighash_prefix) &&
              buf_append(&msg, genesis_hash, SHA256_LEN);
    if (ok) {
        ser_write_array(&w, 6);
        write_unsigned_fields(&w, tx);
        ok = ser_writer_ok(&w);
    }
    if (ok) {
        sha256(msg.data, msg.len, out);
    } else {
        /* Out of memory: the same digest, streamed. */
        struct sha256_ctx ctx;
        sha256_tagged_init(&ctx, TX_SIGHASH_TAG);
        sha256_update(&ctx, genesis_hash, SHA256_LEN);
        ser_writer_init_hasher(&w, &ctx);
        ser_write_array(&w, 6);
        write_unsigned_fields(&w, tx);
        sha256_final(&ctx, out);
    }
    buf_clear(&msg);
}
