#include "node/supply.h"

#include <stdio.h>
#include <string.h>

#include "consensus/account.h"
#include "consensus/chainparams.h"
#include "consensus/deadline.h"
#include "consensus/subsidy.h"
#include "node/chain.h"
#include "node/pluginhost.h"

amount_t supply_subsidy_total(uint64_t height, uint64_t halving_interval)
{
    if (halving_interval == 0)
        return 0;
    /* One multiplication per era rather than one step per block. */
    amount_t total = 0;
    for (uint64_t start = 1; start <= height;) {
        uint64_t era_end = (start / halving_interval + 1) * halving_interval - 1;
        if (era_end > height)
            era_end = height;
        amount_t per = subsidy_at(start, halving_interval);
        if (per == 0)
            break;
        total += per * (era_end - start + 1);
        start = era_end + 1;
    }
    return total;
}

struct supply_scan {
    struct supply_info *out;
    bool bad;  /* a record that does not decode or a sum out of range */
};

static bool sum_account(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                        size_t vlen)
{
    (void)key;
    struct supply_scan *s = ctx;
    struct account a;
    if (klen != ACCOUNT_KEY_LEN || account_decode(val, vlen, &a) != SER_OK ||
        !amount_add(s->out->balances, a.balance, &s->out->balances)) {
        s->bad = true;
        return false;
    }
    s->out->accounts++;
    return true;
}

/* Deadline entries: [owner, key, data]; maturity's data is [recipient, amount]. */
static bool sum_immature(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                         size_t vlen)
{
    (void)key;
    (void)klen;
    struct supply_scan *s = ctx;
    struct ser_doc doc, inner;
    ser_doc_init(&doc);
    ser_doc_init(&inner);
    const msgpack_object *f, *g;
    uint64_t owner;
    const uint8_t *data;
    size_t dlen;
    bool ok = ser_doc_parse(&doc, val, vlen) == SER_OK &&
              ser_get_array(ser_doc_root(&doc), 3, &f) == SER_OK &&
              ser_get_uint(&f[0], &owner) == SER_OK &&
              ser_get_bin(&f[2], DEADLINE_DATA_MAX, &data, &dlen) == SER_OK;
    if (ok && owner == DEADLINE_OWNER_MATURITY) {
        amount_t amount;
        ok = ser_doc_parse(&inner, data, dlen) == SER_OK &&
             ser_get_array(ser_doc_root(&inner), 2, &g) == SER_OK &&
             ser_get_uint_max(&g[1], AMOUNT_MAX, &amount) == SER_OK &&
             amount_add(s->out->immature, amount, &s->out->immature);
    }
    ser_doc_clear(&inner);
    ser_doc_clear(&doc);
    s->bad = !ok;
    return ok;
}

bool supply_get(struct chain *c, const struct pluginhost *plugins, struct supply_info *out,
                char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->height = chain_tip(c)->height;
    out->subsidy = supply_subsidy_total(out->height, chain_params(c)->halving_interval);
    struct supply_scan s = {.out = out};
    static const uint8_t accounts[1] = {ACCOUNT_PREFIX};
    static const uint8_t entries[2] = {DEADLINE_PREFIX, 0x00};
    if (!chain_state_scan(c, accounts, sizeof accounts, sum_account, &s, err, errlen) ||
        (!s.bad && !chain_state_scan(c, entries, sizeof entries, sum_immature, &s, err, errlen)))
        return false;
    if (s.bad) {
        snprintf(err, errlen, "a damaged account or deadline record");
        return false;
    }
    if (plugins == NULL)
        return true;
    struct state_backend be;
    chain_tip_backend(c, &be);
    struct state_view v;
    state_view_init(&v, &be);
    enum txerr e = pluginhost_supply_held(plugins, &v, &out->held);
    state_view_clear(&v);
    if (e != TXERR_OK) {
        snprintf(err, errlen, "reading what plugins hold: %s", txerr_reason(e));
        return false;
    }
    return true;
}
