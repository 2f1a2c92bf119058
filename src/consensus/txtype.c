#include "consensus/txtype.h"

#include <string.h>

#include "consensus/coinbase.h"
#include "consensus/transfer.h"

static const struct {
    const char *reason;
    const char *text;
} txerr_table[TXERR_COUNT_] = {
    [TXERR_OK] = {"ok", "no error"},
    [TXERR_NON_CANONICAL] = {"non-canonical", "the transaction is not in canonical encoding"},
    [TXERR_TOO_LARGE] = {"tx-too-large", "the encoded transaction is larger than 65536 bytes"},
    [TXERR_UNKNOWN_TYPE] = {"unknown-type", "no transaction type has this id"},
    [TXERR_BAD_PAYLOAD] = {"bad-payload", "the payload does not decode for its transaction type"},
    [TXERR_BAD_SENDER] = {"bad-sender", "the sender is not a valid x-only public key"},
    [TXERR_BAD_SIGNATURE] = {"bad-signature", "the signature does not verify for this network"},
    [TXERR_BAD_FEE] = {"bad-fee", "the fee is larger than the largest amount"},
    [TXERR_AMOUNT_ZERO] = {"bad-amount-zero", "the amount must be greater than zero"},
    [TXERR_AMOUNT_RANGE] = {"bad-amount-range", "the amount (plus fee) exceeds the largest amount"},
    [TXERR_BAD_RECIPIENT] = {"bad-recipient", "the recipient is not a valid x-only public key"},
    [TXERR_COINBASE_FEE] = {"bad-coinbase-fee", "a coinbase must have a zero fee"},
    [TXERR_BAD_NONCE] = {"bad-nonce", "the nonce is not the sender account's next nonce"},
    [TXERR_INSUFFICIENT_FUNDS] = {"insufficient-funds", "the sender's balance does not cover amount and fee"},
    [TXERR_STORAGE] = {"storage-error", "the state could not be read or written"},
    [TXERR_WRONG_NETWORK] = {"wrong-network", "the transaction is signed for another network"},
    [TXERR_COINBASE] = {"coinbase", "a coinbase is only valid as the first transaction of a block"},
};

const char *txerr_reason(enum txerr err)
{
    if ((unsigned)err >= TXERR_COUNT_)
        return "unknown-error";
    return txerr_table[err].reason;
}

const char *txerr_strerror(enum txerr err)
{
    if ((unsigned)err >= TXERR_COUNT_)
        return "unknown error";
    return txerr_table[err].text;
}

static const struct txtype_def *const txtype_core[] = {
    &coinbase_txtype,
    &transfer_txtype,
};

static const struct txtype_def *txtype_plugins[TXTYPE_MAX_ID + 1];

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

bool txtype_register(const struct txtype_def *def)
{
    if (def == NULL || def->name == NULL || def->name[0] == '\0' || def->check == NULL)
        return false;
    if (txtype_find(def->id) != NULL || txtype_find_name(def->name) != NULL)
        return false;
    txtype_plugins[def->id] = def;
    return true;
}

void txtype_reset(void)
{
    memset(txtype_plugins, 0, sizeof txtype_plugins);
}
