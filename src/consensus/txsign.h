/* txsign: signing a transaction and verifying its signature.
 *
 * A signature is BIP340 over tx_sighash, which binds it to one network's
 * genesis hash: the same signed bytes are invalid on every other network. */
#ifndef SOUK_CONSENSUS_TXSIGN_H
#define SOUK_CONSENSUS_TXSIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/tx.h"
#include "crypto/key.h"

/* Sets tx->sender to the secret's x-only public key and signs (with fresh
 * auxiliary randomness); the signed tx is finalized (tx_finalize). False,
 * tx untouched, for a coinbase, an invalid secret or a signing failure. */
bool txsign_sign(struct tx *tx, const uint8_t secret[KEY_SECRET_LEN],
                 const uint8_t genesis_hash[SHA256_LEN]);
/* True when tx is not a coinbase and its signature verifies for its sender
 * on the network of genesis_hash. A signature that verified is remembered
 * in the signature cache and not verified again. */
bool txsign_verify(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN]);
/* The same, always verifying and leaving the cache alone: for
 * txcheck_stateless, which caches its whole verdict instead (one entry per
 * tx, one lookup on a miss). */
bool txsign_verify_fresh(const struct tx *tx, const uint8_t genesis_hash[SHA256_LEN]);
/* Signatures txsign_verify has checked since the process started (any
 * thread). */
uint64_t txsign_verify_count(void);

#endif
