#include "consensus/coinbase.h"

#include <string.h>

#include "crypto/key.h"

enum ser_err coinbase_payload_decode(const void *bytes, size_t len, struct coinbase_payload *out)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err err = ser_doc_parse(&doc, bytes, len);
    if (err != SER_OK)
        goto done;
    const msgpack_object *f;
    struct coinbase_payload p;
    const uint8_t *extra;
    if ((err = ser_get_array(ser_doc_root(&doc), 3, &f)) != SER_OK ||
        (err = ser_get_bin_fixed(&f[0], sizeof p.recipient, p.recipient)) != SER_OK ||
        (err = ser_get_uint(&f[1], &p.amount)) != SER_OK ||
        (err = ser_get_bin(&f[2], COINBASE_EXTRA_MAX, &extra, &p.extra_len)) != SER_OK)
        goto done;
    memset(p.extra, 0, sizeof p.extra);
    if (p.extra_len > 0)
        memcpy(p.extra, extra, p.extra_len);
    *out = p;
done:
    ser_doc_clear(&doc);
    return err;
}

bool coinbase_payload_encode(const struct coinbase_payload *p, struct buf *out)
{
    if (p->extra_len > COINBASE_EXTRA_MAX)
        return false;
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, 3);
    ser_write_bin(&w, p->recipient, sizeof p->recipient);
    ser_write_uint(&w, p->amount);
    ser_write_bin(&w, p->extra, p->extra_len);
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    return true;
}

bool coinbase_build(struct tx *tx, uint64_t height, const struct coinbase_payload *p)
{
    struct buf payload;
    buf_init(&payload);
    bool ok = coinbase_payload_encode(p, &payload) &&
              tx_set_payload(tx, payload.data, payload.len) == SER_OK;
    buf_clear(&payload);
    if (!ok)
        return false;
    tx->type = TX_TYPE_COINBASE;
    memset(tx->sender, 0, sizeof tx->sender);
    tx->nonce = height;
    tx->fee = 0;
    memset(tx->sig, 0, sizeof tx->sig);
    return true;
}

static enum txerr coinbase_check(const struct tx *tx, enum ser_err *detail)
{
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    struct coinbase_payload p;
    enum ser_err err = coinbase_payload_decode(bytes, len, &p);
    if (err != SER_OK) {
        *detail = err;
        return TXERR_BAD_PAYLOAD;
    }
    if (tx->fee != 0)
        return TXERR_COINBASE_FEE;
    if (!amount_valid(p.amount))
        return TXERR_AMOUNT_RANGE;
    if (!key_pubkey_valid(p.recipient))
        return TXERR_BAD_RECIPIENT;
    return TXERR_OK;
}

static size_t coinbase_counterparties(const struct tx *tx, uint8_t (*out)[32], size_t max)
{
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    struct coinbase_payload p;
    if (max == 0 || coinbase_payload_decode(bytes, len, &p) != SER_OK)
        return 0;
    memcpy(out[0], p.recipient, 32);
    return 1;
}

static const struct txfield coinbase_fields[] = {
    {"recipient", TXFIELD_ACCOUNT},
    {"amount", TXFIELD_AMOUNT},
    {"extra", TXFIELD_BYTES},
};

const struct txtype_def coinbase_txtype = {
    .id = TX_TYPE_COINBASE,
    .name = "coinbase",
    .check = coinbase_check,
    .counterparties = coinbase_counterparties,
    .fields = coinbase_fields,
    .n_fields = sizeof coinbase_fields / sizeof coinbase_fields[0],
};
