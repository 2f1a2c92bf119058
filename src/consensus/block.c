#include "consensus/block.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/merkle.h"
#include "util/grow.h"

void block_header_write(struct ser_writer *w, const struct block_header *h)
{
    ser_write_array(w, 6);
    ser_write_uint(w, BLOCK_VERSION);
    ser_write_bin(w, h->prev_hash, SHA256_LEN);
    ser_write_bin(w, h->merkle_root, SHA256_LEN);
    ser_write_uint(w, h->time);
    ser_write_uint(w, h->bits);
    ser_write_uint(w, h->nonce);
}

bool block_header_encode(const struct block_header *h, struct buf *out)
{
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    block_header_write(&w, h);
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    return true;
}

enum ser_err block_header_decode_object(const msgpack_object *o, struct block_header *out)
{
    const msgpack_object *f;
    enum ser_err err = ser_get_array(o, 6, &f);
    if (err != SER_OK)
        return err;
    uint64_t version, bits;
    if ((err = ser_get_uint(&f[0], &version)) != SER_OK)
        return err;
    if (version != BLOCK_VERSION)
        return SER_ERR_VERSION;
    struct block_header h;
    if ((err = ser_get_bin_fixed(&f[1], SHA256_LEN, h.prev_hash)) != SER_OK ||
        (err = ser_get_bin_fixed(&f[2], SHA256_LEN, h.merkle_root)) != SER_OK ||
        (err = ser_get_uint(&f[3], &h.time)) != SER_OK ||
        (err = ser_get_uint_max(&f[4], UINT32_MAX, &bits)) != SER_OK ||
        (err = ser_get_uint(&f[5], &h.nonce)) != SER_OK)
        return err;
    h.bits = (uint32_t)bits;
    *out = h;
    return SER_OK;
}

enum ser_err block_header_decode(const void *bytes, size_t len, struct block_header *out)
{
    if (len > BLOCK_MAX_SIZE)
        return SER_ERR_TOO_LARGE;
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err err = ser_doc_parse(&doc, bytes, len);
    if (err == SER_OK)
        err = block_header_decode_object(ser_doc_root(&doc), out);
    ser_doc_clear(&doc);
    return err;
}

void block_header_hash(const struct block_header *h, uint8_t out[SHA256_LEN])
{
    struct sha256_ctx ctx;
    struct ser_writer w;
    uint8_t once[SHA256_LEN];
    sha256_init(&ctx);
    ser_writer_init_hasher(&w, &ctx);
    block_header_write(&w, h);
    sha256_final(&ctx, once);
    sha256(once, SHA256_LEN, out);
}

void block_init(struct block *b)
{
    memset(&b->header, 0, sizeof b->header);
    b->txs = NULL;
    b->tx_count = 0;
    b->tx_cap = 0;
}

void block_clear(struct block *b)
{
    for (size_t i = 0; i < b->tx_count; i++)
        tx_clear(&b->txs[i]);
    free(b->txs);
    block_init(b);
}

bool block_take_tx(struct block *b, struct tx *tx)
{
    if (!grow_array((void **)&b->txs, &b->tx_cap, b->tx_count + 1, sizeof *b->txs, 8))
        return false;
    b->txs[b->tx_count++] = *tx;
    tx_init(tx);
    return true;
}

void block_write(struct ser_writer *w, const struct block *b)
{
    ser_write_array(w, 2);
    block_header_write(w, &b->header);
    ser_write_array(w, b->tx_count);
    for (size_t i = 0; i < b->tx_count; i++)
        tx_write(w, &b->txs[i]);
}

bool block_encode(const struct block *b, struct buf *out)
{
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    block_write(&w, b);
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    return true;
}

size_t block_encoded_size(const struct block *b)
{
    /* The frame is measured, the txs add the sizes they carry. */
    struct ser_writer w;
    ser_writer_init_counter(&w);
    ser_write_array(&w, 2);
    block_header_write(&w, &b->header);
    ser_write_array(&w, b->tx_count);
    size_t n = w.count;
    for (size_t i = 0; i < b->tx_count; i++)
        n += tx_encoded_size(&b->txs[i]);
    return n;
}

static enum ser_err decode_txs(const msgpack_object *o, struct block *b)
{
    const msgpack_object *items;
    uint32_t n;
    enum ser_err err = ser_get_list(o, UINT32_MAX, &items, &n);
    if (err != SER_OK)
        return err;
    if (n == 0)
        return SER_OK;
    /* n is backed by real input bytes (the doc parsed completely), so it is
     * bounded by the block size limit. */
    b->txs = calloc(n, sizeof *b->txs);
    if (!b->txs)
        return SER_ERR_NOMEM;
    b->tx_cap = n;
    for (uint32_t i = 0; i < n; i++) {
        tx_init(&b->txs[b->tx_count]);
        if ((err = tx_decode_object(&items[i], &b->txs[b->tx_count])) != SER_OK)
            return err;
        b->tx_count++;
    }
    return SER_OK;
}

enum ser_err block_decode_object(const msgpack_object *o, struct block *out)
{
    struct block b;
    block_init(&b);
    const msgpack_object *f;
    enum ser_err err = ser_get_array(o, 2, &f);
    if (err == SER_OK)
        err = block_header_decode_object(&f[0], &b.header);
    if (err == SER_OK)
        err = decode_txs(&f[1], &b);
    if (err == SER_OK && block_encoded_size(&b) > BLOCK_MAX_SIZE)
        err = SER_ERR_TOO_LARGE;
    if (err != SER_OK) {
        block_clear(&b);
        return err;
    }
    block_clear(out);
    *out = b;
    return SER_OK;
}

enum ser_err block_decode(const void *bytes, size_t len, struct block *out)
{
    if (len > BLOCK_MAX_SIZE)
        return SER_ERR_TOO_LARGE;
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err err = ser_doc_parse(&doc, bytes, len);
    if (err == SER_OK)
        err = block_decode_object(ser_doc_root(&doc), out);
    ser_doc_clear(&doc);
    return err;
}

void block_hash(const struct block *b, uint8_t out[SHA256_LEN])
{
    block_header_hash(&b->header, out);
}

void block_compute_merkle_root(const struct block *b, uint8_t out[SHA256_LEN])
{
    struct merkle m;
    uint8_t txid[SHA256_LEN];
    merkle_init(&m);
    for (size_t i = 0; i < b->tx_count; i++) {
        tx_txid(&b->txs[i], txid);
        merkle_add(&m, txid);
    }
    merkle_final(&m, out);
}

void block_set_merkle_root(struct block *b)
{
    block_compute_merkle_root(b, b->header.merkle_root);
}
