#include "consensus/txtype.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "consensus/coinbase.h"
#include "consensus/transfer.h"

static const struct txtype_def *const txtype_core[] = {
    &coinbase_txtype,
    &transfer_txtype,
};

static const struct txtype_def *txtype_plugins[TXTYPE_MAX_ID + 1];
static atomic_uint_fast64_t txtype_gen;

static const struct txtype_def *txtype_core_find(uint64_t id)
{
    for (size_t i = 0; i < sizeof txtype_core / sizeof txtype_core[0]; i++)
        if (txtype_core[i]->id == id)
            return txtype_core[i];
    return NULL;
}

const struct txtype_def *txtype_find(uint64_t id)
{
    if (id > TXTYPE_MAX_ID)
        return NULL;
    const struct txtype_def *def = txtype_core_find(id);
    return def != NULL ? def : txtype_plugins[id];
}

const struct txtype_def *txtype_find_name(const char *name)
{
    for (size_t i = 0; i < sizeof txtype_core / sizeof txtype_core[0]; i++)
        if (strcmp(txtype_core[i]->name, name) == 0)
            return txtype_core[i];
    for (size_t id = 0; id <= TXTYPE_MAX_ID; id++)
        if (txtype_plugins[id] != NULL && strcmp(txtype_plugins[id]->name, name) == 0)
            return txtype_plugins[id];
    return NULL;
}

bool txtype_register(const struct txtype_def *def, char *err, size_t errlen)
{
    char scratch[8];
    if (err == NULL) {
        err = scratch;
        errlen = sizeof scratch;
    }
    if (def == NULL || def->name == NULL || def->name[0] == '\0') {
        snprintf(err, errlen, "a transaction type needs a name");
        return false;
    }
    if (def->apply == NULL) {
        snprintf(err, errlen, "type %s has no apply", def->name);
        return false;
    }
    char ferr[128];
    if (!txfield_table_valid(def->fields, def->n_fields, ferr, sizeof ferr)) {
        snprintf(err, errlen, "type %s: %s", def->name, ferr);
        return false;
    }
    if (txtype_find(def->id) != NULL) {
        snprintf(err, errlen, "type %s: id %u is taken by %s", def->name, (unsigned)def->id,
                 txtype_find(def->id)->name);
        return false;
    }
    if (txtype_find_name(def->name) != NULL) {
        snprintf(err, errlen, "type %s: the name is taken", def->name);
        return false;
    }
    txtype_plugins[def->id] = def;
    atomic_fetch_add(&txtype_gen, 1);
    return true;
}

void txtype_reset(void)
{
    memset(txtype_plugins, 0, sizeof txtype_plugins);
    atomic_fetch_add(&txtype_gen, 1);
}

uint64_t txtype_generation(void)
{
    return (uint64_t)atomic_load(&txtype_gen);
}

enum txerr txtype_decode_check(const struct txtype_def *def, const struct tx *tx,
                               struct txpayload *out, enum ser_err *detail)
{
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    enum txerr err = txpayload_decode(def->fields, def->n_fields, bytes, len, out, detail, NULL);
    if (err == TXERR_OK && def->check != NULL)
        err = def->check(tx, out);
    return err;
}

size_t txtype_counterparties(const struct txtype_def *def, const struct tx *tx,
                             const struct txpayload *p, uint8_t (*out)[32], size_t max)
{
    if (def->counterparties != NULL)
        return def->counterparties(tx, p, out, max);
    size_t n = 0;
    for (size_t i = 0; i < def->n_fields && i < p->n && n < max; i++) {
        enum txfield_kind k = def->fields[i].kind;
        if ((k == TXFIELD_ACCOUNT || k == TXFIELD_ACCOUNT_OPT) && p->v[i].len == 32)
            memcpy(out[n++], p->v[i].p, 32);
    }
    return n;
}

size_t txtype_tx_counterparties(const struct tx *tx, uint8_t (*out)[32], size_t max)
{
    const struct txtype_def *def = txtype_find(tx->type);
    if (def == NULL)
        return 0;
    struct txpayload p;
    txpayload_init(&p);
    size_t len;
    const uint8_t *bytes = tx_payload_bytes(tx, &len);
    size_t n = 0;
    if (txpayload_decode(def->fields, def->n_fields, bytes, len, &p, NULL, NULL) == TXERR_OK)
        n = txtype_counterparties(def, tx, &p, out, max);
    txpayload_clear(&p);
    return n;
}
