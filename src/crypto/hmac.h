/* hmac: HMAC-SHA256, HMAC-SHA512 and HKDF-SHA256 (RFC 2104, RFC 5869).
 *
 * Keyed hashes and key derivation used by the wallet (key derivation),
 * RPC auth (-rpcauth) and the chat/notes encryption (HKDF). Everything is
 * computed by OpenSSL's EVP_MAC / EVP_KDF providers; this module only gives
 * them a small, fixed-algorithm interface. A false return means OpenSSL
 * refused or failed (e.g. out of memory, an HKDF length over 255*32); the
 * output buffer is then wiped rather than left half-written. */
#ifndef SOUK_CRYPTO_HMAC_H
#define SOUK_CRYPTO_HMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HMAC_SHA256_LEN 32
#define HMAC_SHA512_LEN 64
/* RFC 5869: expand can produce at most 255 hash blocks. */
#define HMAC_HKDF_SHA256_MAX_LEN (255 * HMAC_SHA256_LEN)

/* The key may be empty (key NULL with keylen 0); so may the message. */
bool hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                 uint8_t out[HMAC_SHA256_LEN]);
bool hmac_sha512(const void *key, size_t keylen, const void *msg, size_t msglen,
                 uint8_t out[HMAC_SHA512_LEN]);

/* HKDF-Extract: PRK = HMAC-SHA256(salt, ikm). An empty salt means HashLen
 * zero bytes, as RFC 5869 specifies. ikm must not be empty. */
bool hmac_hkdf_sha256_extract(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
                              uint8_t prk[HMAC_SHA256_LEN]);
/* HKDF-Expand from a PRK (at least HMAC_SHA256_LEN bytes) to outlen bytes,
 * 1 <= outlen <= HMAC_HKDF_SHA256_MAX_LEN. info may be empty. */
bool hmac_hkdf_sha256_expand(const uint8_t *prk, size_t prklen, const void *info, size_t infolen,
                             uint8_t *out, size_t outlen);
/* Extract then expand in one call. */
bool hmac_hkdf_sha256(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
                      const void *info, size_t infolen, uint8_t *out, size_t outlen);

#endif
