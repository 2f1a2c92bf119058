#include "consensus/coinbase.h"

#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/deadline.h"

static const struct txfield coinbase_fields[] = {
    {.name = "recipient", .kind = TXFIELD_ACCOUNT, .err = TXERR_BAD_RECIPIENT},
    {.name = "amount", .kind = TXFIELD_AMOUNT},
    {.name = "extra", .kind = TXFIELD_BYTES, .max = COINBASE_EXTRA_MAX},
};
#define COINBASE_N_FIELDS (sizeof coinbase_fields / sizeof coinbase_fields[0])

static void coinbase_from_values(const struct txpayload *d, struct coinbase_payload *p)
{
    memcpy(p->recipient, d->v[0].p, 32);
    p->amount = d->v[1].u;
    memset(p->extra, 0, sizeof p->extra);
    p->extra_len = d->v[2].len;
    if (p->extra_len > 0)
        memcpy(p->extra, d->v[2].p, p->extra_len);
}

enum ser_err coinbase_payload_decode(const void *bytes, size_t len, struct coinbase_payload *out)
{
    struct txpayload d;
    txpayload_init(&d);
    enum ser_err detail = SER_OK;
    if (txpayload_decode(coinbase_fields, COINBASE_N_FIELDS, bytes, len, &d, &detail, NULL) ==
        TXERR_OK)
        coinbase_from_values(&d, out);
    txpayload_clear(&d);
    return detail;
}

bool coinbase_payload_encode(const struct coinbase_payload *p, struct buf *out)
{
    if (p->extra_len > COINBASE_EXTRA_MAX)
        return false;
    struct txvalue v[COINBASE_N_FIELDS] = {
        {.p = p->recipient, .len = 32},
        {.u = p->amount},
        {.p = p->extra, .len = p->extra_len},
    };
    return txpayload_encode(coinbase_fields, COINBASE_N_FIELDS, v, out);
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
    tx_finalize(tx);
    return true;
}

static enum txerr coinbase_check(const struct tx *tx, const struct txpayload *p)
{
    (void)p;
    return tx->fee != 0 ? TXERR_COINBASE_FEE : TXERR_OK;
}

/* The payout waits in the deadline index until it matures. Block
 * validation has checked the height and that the amount is at most subsidy
 * plus fees before calling this. */
static enum txerr coinbase_apply(struct state_view *v, const struct tx *tx,
                                 const struct apply_ctx *ctx)
{
    (void)tx;
    const struct txpayload *p = ctx->payload;
    amount_t amount = p->v[1].u;
    if (amount == 0)
        return TXERR_OK;
    return deadline_add_maturity(v, ctx, ctx->height + ctx->params->coinbase_maturity, p->v[0].p,
                                 amount);
}

const struct txtype_def coinbase_txtype = {
    .id = TX_TYPE_COINBASE,
    .name = "coinbase",
    .fields = coinbase_fields,
    .n_fields = COINBASE_N_FIELDS,
    .check = coinbase_check,
    .apply = coinbase_apply,
};
