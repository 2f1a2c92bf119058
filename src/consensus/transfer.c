#include "consensus/transfer.h"

#include <string.h>

#include "consensus/account.h"

static const struct txfield transfer_fields[] = {
    {.name = "to", .kind = TXFIELD_ACCOUNT, .err = TXERR_BAD_RECIPIENT},
    {.name = "amount", .kind = TXFIELD_AMOUNT, .min = 1, .err = TXERR_AMOUNT_ZERO},
    {.name = "memo", .kind = TXFIELD_BYTES, .max = TRANSFER_MEMO_MAX},
};
#define TRANSFER_N_FIELDS (sizeof transfer_fields / sizeof transfer_fields[0])

enum ser_err transfer_payload_decode(const void *bytes, size_t len, struct transfer_payload *out)
{
    struct txpayload d;
    txpayload_init(&d);
    enum ser_err detail = SER_OK;
    if (txpayload_decode(transfer_fields, TRANSFER_N_FIELDS, bytes, len, &d, &detail, NULL) ==
        TXERR_OK) {
        memcpy(out->to, d.v[0].p, 32);
        out->amount = d.v[1].u;
        memset(out->memo, 0, sizeof out->memo);
        out->memo_len = d.v[2].len;
        if (out->memo_len > 0)
            memcpy(out->memo, d.v[2].p, out->memo_len);
    }
    txpayload_clear(&d);
    return detail;
}

bool transfer_payload_encode(const struct transfer_payload *p, struct buf *out)
{
    if (p->memo_len > TRANSFER_MEMO_MAX)
        return false;
    struct txvalue v[TRANSFER_N_FIELDS] = {
        {.p = p->to, .len = 32},
        {.u = p->amount},
        {.p = p->memo, .len = p->memo_len},
    };
    return txpayload_encode(transfer_fields, TRANSFER_N_FIELDS, v, out);
}

static enum txerr transfer_check(const struct tx *tx, const struct txpayload *p)
{
    amount_t total;
    return amount_add(p->v[1].u, tx->fee, &total) ? TXERR_OK : TXERR_AMOUNT_RANGE;
}

static enum txerr transfer_apply(struct state_view *v, const struct tx *tx,
                                 const struct apply_ctx *ctx)
{
    const uint8_t *to = ctx->payload->v[0].p;
    amount_t amount = ctx->payload->v[1].u;
    struct account sender;
    enum txerr err = account_get(v, tx->sender, &sender);
    if (err != TXERR_OK)
        return err;
    if (sender.balance < amount)
        return TXERR_INSUFFICIENT_FUNDS;
    sender.balance -= amount;
    if ((err = account_put(v, tx->sender, &sender)) != TXERR_OK)
        return err;
    return account_credit(v, to, amount);
}

const struct txtype_def transfer_txtype = {
    .id = TX_TYPE_TRANSFER,
    .name = "transfer",
    .fields = transfer_fields,
    .n_fields = TRANSFER_N_FIELDS,
    .check = transfer_check,
    .apply = transfer_apply,
};
