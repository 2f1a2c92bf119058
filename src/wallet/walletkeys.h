/* walletkeys: a wallet's key derivation and the sealing of its secrets.
 *
 * Derivation (doc/wallet.md, "Keys", has the exact scheme): the 32-byte
 * seed gives a master secret and chain code through HMAC-SHA512 keyed with
 * "souk seed"; the key of index i is the BIP32-style hardened child
 * (0x00 || k || ser32(i | 2^31)) of the master, added to k modulo the group
 * order. Sealing: a passphrase gives a 32-byte key through scrypt; a seed
 * or secret is sealed as nonce(12) || ChaCha20-Poly1305(plaintext) || tag
 * with associated data naming what it is (so sealed values cannot be
 * swapped between rows). Every temporary holding secret bytes is wiped.
 * Owns nothing. */
#ifndef SOUK_WALLET_WALLETKEYS_H
#define SOUK_WALLET_WALLETKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WALLETKEYS_SEED_LEN 32
#define WALLETKEYS_KEY_LEN 32
#define WALLETKEYS_SALT_LEN 16
/* Sealed size of a 32-byte value. */
#define WALLETKEYS_SEALED_LEN (12 + 32 + 16)
/* Highest derivation index (hardened indexes use the low 31 bits). */
#define WALLETKEYS_MAX_INDEX 0x7fffffffu
#define WALLETKEYS_MASTER_KEY "souk seed"
#define WALLETKEYS_SEED_AAD "souk/wallet/seed"

/* Defaults for new passphrases; what a file uses is stored in it. */
#define WALLETKEYS_SCRYPT_N (1u << 15)
#define WALLETKEYS_SCRYPT_R 8u
#define WALLETKEYS_SCRYPT_P 1u
/* Largest parameters accepted from a file. Each alone is not enough: N and
 * r at their maxima together would ask for 4 GiB, so the memory scrypt
 * needs (128 * N * r bytes) and its work (N * r * p) are bounded too, at
 * 8 and 16 times what the defaults use. A crafted file can make an unlock
 * slow by that much, no more. */
#define WALLETKEYS_SCRYPT_N_MAX (1u << 20)
#define WALLETKEYS_SCRYPT_R_MAX 32u
#define WALLETKEYS_SCRYPT_P_MAX 16u
#define WALLETKEYS_SCRYPT_MEM_MAX (256u << 20)
#define WALLETKEYS_SCRYPT_WORK_MAX (1u << 22)

enum walletkeys_result {
    WALLETKEYS_OK,
    WALLETKEYS_SKIP,   /* no valid key at this index (chance ~2^-127): use the next one */
    WALLETKEYS_ERROR,  /* invalid seed or index, or OpenSSL/libsecp256k1 failed */
};

/* The secret and x-only public key of derivation index `index`. On anything
 * but WALLETKEYS_OK both outputs are wiped. */
enum walletkeys_result walletkeys_derive(const uint8_t seed[WALLETKEYS_SEED_LEN], uint32_t index,
                                         uint8_t secret[32], uint8_t pubkey[32]);

struct walletkeys_kdf {
    uint8_t salt[WALLETKEYS_SALT_LEN];
    uint64_t n;
    uint64_t r;
    uint64_t p;
};

/* Fresh salt with the default parameters. */
bool walletkeys_kdf_new(struct walletkeys_kdf *out);
/* True when the parameters are in the accepted ranges (n a power of 2) and
 * within the memory and work bounds. */
bool walletkeys_kdf_valid(const struct walletkeys_kdf *k);
/* scrypt(passphrase, salt, n, r, p) -> 32 bytes. */
bool walletkeys_kdf_derive(const char *passphrase, const struct walletkeys_kdf *k,
                           uint8_t key[WALLETKEYS_KEY_LEN]);

/* Seals 32 bytes: out receives WALLETKEYS_SEALED_LEN bytes. */
bool walletkeys_seal(const uint8_t key[WALLETKEYS_KEY_LEN], const void *aad, size_t aadlen,
                     const uint8_t plain[32], uint8_t out[WALLETKEYS_SEALED_LEN]);
/* Opens a sealed value; false (plain wiped) for a wrong key, other
 * associated data, or modified bytes. */
bool walletkeys_open(const uint8_t key[WALLETKEYS_KEY_LEN], const void *aad, size_t aadlen,
                     const uint8_t *sealed, size_t len, uint8_t plain[32]);

#endif
