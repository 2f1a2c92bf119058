#include "consensus/transfer.h"

#include <string.h>

#include "consensus/account.h"
#include "crypto/key.h"

enum ser_err transfer_payload_decode(const void *bytes, size_t len, struct transfer_payload *out)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err err = ser_doc_parse(&doc, bytes, len);
    if (err != SER_OK)
        goto done;
    const msgpack_object *f;
    struct transfer_payload p;
    const uint8_t *memo;
    if ((err = ser_get_array(ser_doc_root(&doc), 3, &f)) != SER_OK ||
        (err = ser_get_bin_fixed(&f[0], sizeof p.to, p.to)) != SER_OK ||
        (err = ser_get_uint(&f[1], &p.amount)) != SER_OK ||
        (err = ser_get_bin(&f[2], TRANSFER_MEMO_MAX, &memo, &p.memo_len)) != SER_OK)
        goto done;
    memset(p.memo, 0, sizeof p.memo);
    if (p.memo_len > 0)
        memcpy(p.memo, memo, p.memo_len);
    *out = p;
done:
    ser_doc_clear(&doc);
    return err;
}

bool transfer_payload_encode(const struct transfer_payload *p, struct buf *out)
{
    if (p->memo_len > TRANSFER_MEMO_MAX)
        return false;
    size_t start = out->len;
    struct ser_writer w;
    ser_writer_init(&w, out);
    ser_write_array(&w, 3);
    ser_write_bin(&w, p->to, sizeof p->to);
    ser_write_uint(&w, p->amount);
    ser_write_bin(&w, p->memo, p->memo_len);
    if (!ser_writer_ok(&w)) {
        out->len = start;
        return false;
    }
    return true;
}

static enum txerr transfer_check(const struct tx *tx, enum ser_err *detail)
{
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    struct transfer_payload p;
    enum ser_err err = transfer_payload_decode(bytes, len, &p);
    if (err != SER_OK) {
        *detail = err;
        return TXERR_BAD_PAYLOAD;
    }
    if (p.amount == 0)
        return TXERR_AMOUNT_ZERO;
    amount_t total;
    if (!amount_add(p.amount, tx->fee, &total))
        return TXERR_AMOUNT_RANGE;
    if (!key_pubkey_valid(p.to))
        return TXERR_BAD_RECIPIENT;
    return TXERR_OK;
}

static enum txerr transfer_apply(struct state_view *v, const struct tx *tx,
                                 const struct apply_ctx *ctx)
{
    (void)ctx;
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    struct transfer_payload p;
    if (transfer_payload_decode(bytes, len, &p) != SER_OK)
        return TXERR_BAD_PAYLOAD;
    struct account sender;
    enum txerr err = account_get(v, tx->sender, &sender);
    if (err != TXERR_OK)
        return err;
    if (sender.balance < p.amount)
        return TXERR_INSUFFICIENT_FUNDS;
    sender.balance -= p.amount;
    if ((err = account_put(v, tx->sender, &sender)) != TXERR_OK)
        return err;
    return account_credit(v, p.to, p.amount);
}

static size_t transfer_counterparties(const struct tx *tx, uint8_t (*out)[32], size_t max)
{
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    struct transfer_payload p;
    if (max == 0 || transfer_payload_decode(bytes, len, &p) != SER_OK)
        return 0;
    memcpy(out[0], p.to, 32);
    return 1;
}

static const struct txfield transfer_fields[] = {
    {"to", TXFIELD_ACCOUNT},
    {"amount", TXFIELD_AMOUNT},
    {"memo", TXFIELD_BYTES},
};

const struct txtype_def transfer_txtype = {
    .id = TX_TYPE_TRANSFER,
    .name = "transfer",
    .check = transfer_check,
    .apply = transfer_apply,
    .counterparties = transfer_counterparties,
    .fields = transfer_fields,
    .n_fields = sizeof transfer_fields / sizeof transfer_fields[0],
};
