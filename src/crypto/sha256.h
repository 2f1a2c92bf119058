/* sha256: SHA-256, double SHA-256 and BIP340-style tagged hashes.
 *
 * Every hash in souk (txids, block hashes, merkle nodes, sighashes, the state
 * hash) goes through here, and from here through OpenSSL's EVP interface.
 * Hashing cannot fail on any input; an internal OpenSSL failure (out of
 * memory) is fatal, as there is no meaningful way to continue. */
#ifndef SOUK_CRYPTO_SHA256_H
#define SOUK_CRYPTO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* Streaming context; owns an OpenSSL digest context between init and final. */
struct sha256_ctx {
    void *md_ctx;
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest and releases the context. */
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_LEN]);

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* SHA256(SHA256(data)). */
void sha256d(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* Starts a context for TaggedHash(tag, ...): SHA256(SHA256(tag) || SHA256(tag) || ...). */
void sha256_tagged_init(struct sha256_ctx *ctx, const char *tag);
/* TaggedHash(tag, msg) in one call. */
void sha256_tagged(const char *tag, const void *msg, size_t len, uint8_t out[SHA256_LEN]);

#endif
