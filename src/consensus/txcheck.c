#include "consensus/txcheck.h"

#include <string.h>

#include "consensus/chainparams.h"
#include "consensus/sigcache.h"
#include "consensus/txsign.h"
#include "crypto/key.h"
#include "util/amount.h"

/* A signature that fails here but verifies under another network's genesis
 * hash is a user mistake worth naming. Costs extra verifications only for
 * transactions that are being rejected anyway. */
static bool txcheck_other_network(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN])
{
    for (int net = 0; net < CHAIN_NETWORK_COUNT_; net++) {
        const struct chain_params *p = chainparams_get((enum chain_network)net);
        if (memcmp(p->genesis.hash, genesis_hash, SHA256_LEN) != 0 &&
            txsign_verify_fresh(tx, p->genesis.hash))
            return true;
    }
    return false;
}

static enum txerr txcheck_run(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN],
                              enum ser_err *detail, bool remember)
{
    enum ser_err dummy;
    if (detail == NULL)
        detail = &dummy;
    /* A tx checked before (on entering the mempool) is not checked again
     * when its block comes: the txid pins every byte the check reads. */
    uint8_t txid[SHA256_LEN], key[SIGCACHE_KEY_LEN];
    bool cacheable = !tx_is_coinbase(tx);
    if (cacheable) {
        tx_txid(tx, txid);
        if (sigcache_has_tx(genesis_hash, txid, txtype_generation(), key))
            return TXERR_OK;
    }
    if (tx_encoded_size(tx) > TX_MAX_SIZE)
        return TXERR_TOO_LARGE;
    const struct txtype_def *def = txtype_find(tx->type);
    if (def == NULL)
        return TXERR_UNKNOWN_TYPE;
    if (!amount_valid(tx->fee))
        return TXERR_BAD_FEE;
    /* The cheap checks go first: a signature check costs far more than
     * decoding a payload, and junk should be turned away cheaply. */
    struct txpayload p;
    txpayload_init(&p);
    enum txerr err = txtype_decode_check(def, tx, &p, detail);
    txpayload_clear(&p);
    if (err != TXERR_OK)
        return err;
    /* The verification parses the sender's key itself, so it is parsed on
     * its own only to name a failure: a valid tx parses it once (it was
     * parsed twice, a tenth of the check). The verdict is the same. */
    if (!tx_is_coinbase(tx) && !txsign_verify_fresh(tx, genesis_hash)) {
        if (!key_pubkey_valid(tx->sender))
            return TXERR_BAD_SENDER;
        return txcheck_other_network(tx, genesis_hash) ? TXERR_WRONG_NETWORK
                                                       : TXERR_BAD_SIGNATURE;
    }
    if (cacheable && remember)
        sigcache_add_tx(key);
    return TXERR_OK;
}

enum txerr txcheck_stateless(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN],
                             enum ser_err *detail)
{
    return txcheck_run(tx, genesis_hash, detail, true);
}

enum txerr txcheck_stateless_block(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN])
{
    return txcheck_run(tx, genesis_hash, NULL, false);
}
