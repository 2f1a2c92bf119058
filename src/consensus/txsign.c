#include "consensus/txsign.h"

#include <stdatomic.h>
#include <string.h>

#include "consensus/sigcache.h"

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
    tx_finalize(tx);
    return true;
}

/* Every verification, for operators and for tests that show a path does
 * not verify (a replayed tx must cost a lookup, not a signature). */
static atomic_uint_fast64_t txsign_verifies;

uint64_t txsign_verify_count(void)
{
    return (uint64_t)atomic_load(&txsign_verifies);
}

bool txsign_verify(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN])
{
    if (tx_is_coinbase(tx))
        return false;
    uint8_t sighash[SHA256_LEN];
    tx_sighash(tx, genesis_hash, sighash);
    if (sigcache_has(sighash, tx->sender, tx->sig))
        return true;
    atomic_fetch_add(&txsign_verifies, 1);
    bool ok = key_verify(tx->sender, sighash, sizeof sighash, tx->sig);
    if (ok)
        sigcache_add(sighash, tx->sender, tx->sig);
    return ok;
}

bool txsign_verify_fresh(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN])
{
    if (tx_is_coinbase(tx))
        return false;
    uint8_t sighash[SHA256_LEN];
    tx_sighash(tx, genesis_hash, sighash);
    atomic_fetch_add(&txsign_verifies, 1);
    return key_verify(tx->sender, sighash, sizeof sighash, tx->sig);
}
