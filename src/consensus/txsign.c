#include "consensus/txsign.h"

#include <string.h>

bool txsign_sign(struct tx *tx, const uint8_t secret[KEY_SECRET_LEN],
                 const uint8_t genesis_hash[SHA256_LEN])
{
    if (tx_is_coinbase(tx))
        return false;
    uint8_t pubkey[KEY_PUBKEY_LEN], saved[TX_SENDER_LEN];
    if (!key_pubkey(secret, pubkey))
        return false;
    memcpy(saved, tx->sender, sizeof saved);
    memcpy(tx->sender, pubkey, sizeof pubkey);
    uint8_t sighash[SHA256_LEN], sig[KEY_SIG_LEN];
    tx_sighash(tx, genesis_hash, sighash);
    if (!key_sign(secret, sighash, sig)) {
        memcpy(tx->sender, saved, sizeof saved);
        return false;
    }
    memcpy(tx->sig, sig, sizeof sig);
    return true;
}

bool txsign_verify(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN])
{
    if (tx_is_coinbase(tx))
        return false;
    uint8_t sighash[SHA256_LEN];
    tx_sighash(tx, genesis_hash, sighash);
    return key_verify(tx->sender, sighash, sizeof sighash, tx->sig);
}
