#include "crypto/sha256.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fetching the algorithm once avoids OpenSSL 3's implicit fetch on every
 * EVP_DigestInit_ex, which dominates the cost of hashing short messages. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_md_once = PTHREAD_ONCE_INIT;

static void sha256_fatal(const char *what)
{
    fprintf(stderr, "fatal: OpenSSL SHA-256 %s failed\n", what);
    abort();
}

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256_get_md(void)
{
    pthread_once(&sha256_md_once, sha256_fetch);
    if (sha256_md == NULL)
        sha256_fatal("fetch");
    return sha256_md;
}

void sha256_init(struct sha256_ctx *ctx)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, sha256_get_md(), NULL) != 1)
        sha256_fatal("init");
    ctx->md_ctx = md;
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
    if (len == 0)
        return;
    if (EVP_DigestUpdate(ctx->md_ctx, data, len) != 1)
        sha256_fatal("update");
}

void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_LEN])
{
    if (EVP_DigestFinal_ex(ctx->md_ctx, out, NULL) != 1)
        sha256_fatal("final");
    EVP_MD_CTX_free(ctx->md_ctx);
    ctx->md_ctx = NULL;
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
    if (EVP_Digest(data, len, out, NULL, sha256_get_md(), NULL) != 1)
        sha256_fatal("digest");
}

void sha256d(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
    uint8_t first[SHA256_LEN];
    sha256(data, len, first);
    sha256(first, sizeof first, out);
}

void sha256_tagged_init(struct sha256_ctx *ctx, const char *tag)
{
    uint8_t tag_hash[SHA256_LEN];
    sha256(tag, strlen(tag), tag_hash);
    sha256_init(ctx);
    sha256_update(ctx, tag_hash, sizeof tag_hash);
    sha256_update(ctx, tag_hash, sizeof tag_hash);
}

void sha256_tagged(const char *tag, const void *msg, size_t len, uint8_t out[SHA256_LEN])
{
    struct sha256_ctx ctx;
    sha256_tagged_init(&ctx, tag);
    sha256_update(&ctx, msg, len);
    sha256_final(&ctx, out);
}
