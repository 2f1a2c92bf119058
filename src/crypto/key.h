/* key: secp256k1 secret keys, x-only public keys and BIP340 signatures.
 *
 * An account in souk is a BIP340 x-only public key (32 bytes); its owner
 * holds the 32-byte secret. This module owns the process-wide libsecp256k1
 * context: it is created and blinded with fresh randomness on first use,
 * then only read, so every function here is safe to call from any thread.
 * Secret material is wiped from every temporary before returning. */
#ifndef SOUK_CRYPTO_KEY_H
#define SOUK_CRYPTO_KEY_H

#include <secp256k1.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_SECRET_LEN 32
#define KEY_PUBKEY_LEN 32
#define KEY_SIG_LEN 64
#define KEY_AUX_LEN 32

/* The shared context, for other crypto modules that call libsecp256k1
 * directly (ECDH, address checks). NULL only if it could not be created or
 * blinded (out of memory, no randomness); callers then fail. */
const secp256k1_context *key_context(void);

/* Draws secrets from the system RNG until one is a valid scalar. False only
 * if the RNG fails; secret is then wiped. */
bool key_generate(uint8_t secret[KEY_SECRET_LEN]);
/* True if secret is a valid scalar: non-zero and below the group order. */
bool key_secret_valid(const uint8_t secret[KEY_SECRET_LEN]);
/* Derives the x-only public key of a secret. False for an invalid secret. */
bool key_pubkey(const uint8_t secret[KEY_SECRET_LEN], uint8_t pubkey[KEY_PUBKEY_LEN]);
/* True if pubkey is the x coordinate of a point on the curve: the same
 * verdict as libsecp256k1's secp256k1_xonly_pubkey_parse, from GMP, with no
 * context needed. */
bool key_pubkey_valid(const uint8_t pubkey[KEY_PUBKEY_LEN]);

/* BIP340-signs a 32-byte message (a hash) with fresh auxiliary randomness,
 * so two signatures of the same message differ. The signature is verified
 * before it is returned, as a guard against faults in computation. False
 * for an invalid secret or an RNG failure; sig is then untouched. */
bool key_sign(const uint8_t secret[KEY_SECRET_LEN], const uint8_t msg32[32],
              uint8_t sig[KEY_SIG_LEN]);
/* BIP340-signs a message of any length with the given auxiliary data
 * (deterministic: for reproducing test vectors; real signing uses key_sign).
 * msg may be NULL when msglen is 0. */
bool key_sign_custom(const uint8_t secret[KEY_SECRET_LEN], const void *msg, size_t msglen,
                     const uint8_t aux[KEY_AUX_LEN], uint8_t sig[KEY_SIG_LEN]);
/* BIP340 verification of a message of any length. False for a bad
 * signature and equally for a pubkey that is not on the curve. */
bool key_verify(const uint8_t pubkey[KEY_PUBKEY_LEN], const void *msg, size_t msglen,
                const uint8_t sig[KEY_SIG_LEN]);

#endif
