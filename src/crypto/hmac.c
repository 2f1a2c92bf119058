#include "crypto/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <pthread.h>

/* Fetched once: OpenSSL 3's implicit fetch by name on every call costs more
 * than the MAC of a short message. Both objects are immutable after fetch
 * and safe to share between threads. */
static EVP_MAC *hmac_mac;
static EVP_KDF *hmac_kdf;
static pthread_once_t hmac_fetch_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    hmac_kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
}

/* OSSL_PARAM wants non-const pointers even for inputs it only reads. */
static OSSL_PARAM hmac_octets(const char *name, const void *data, size_t len)
{
    return OSSL_PARAM_construct_octet_string(name, (void *)data, len);
}

static OSSL_PARAM hmac_digest_param(const char *digest)
{
    return OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
}

static bool hmac_compute(const char *digest, const void *key, size_t keylen, const void *msg,
                         size_t msglen, uint8_t *out, size_t outlen)
{
    pthread_once(&hmac_fetch_once, hmac_fetch);
    if (hmac_mac == NULL)
        return false;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac_mac);
    if (ctx == NULL)
        return false;
    OSSL_PARAM params[] = {hmac_digest_param(digest), OSSL_PARAM_construct_end()};
    /* A NULL key would mean "keep the previous key" to EVP_MAC_init, and a
     * fresh context has none; an empty key must still be set explicitly. */
    static const uint8_t empty_key[1] = {0};
    if (key == NULL)
        key = empty_key;
    size_t written = 0;
    bool ok = EVP_MAC_init(ctx, key, keylen, params) == 1 &&
              (msglen == 0 || EVP_MAC_update(ctx, msg, msglen) == 1) &&
              EVP_MAC_final(ctx, out, &written, outlen) == 1 && written == outlen;
    EVP_MAC_CTX_free(ctx);
    if (!ok)
        OPENSSL_cleanse(out, outlen);
    return ok;
}

bool hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                 uint8_t out[HMAC_SHA256_LEN])
{
    return hmac_compute("SHA256", key, keylen, msg, msglen, out, HMAC_SHA256_LEN);
}

bool hmac_sha512(const void *key, size_t keylen, const void *msg, size_t msglen,
                 uint8_t out[HMAC_SHA512_LEN])
{
    return hmac_compute("SHA512", key, keylen, msg, msglen, out, HMAC_SHA512_LEN);
}

/* Runs the HKDF provider in one of its modes. salt and info may be empty;
 * an empty octet-string parameter is simply not passed. */
static bool hmac_hkdf_run(int mode, const void *salt, size_t saltlen, const void *key,
                          size_t keylen, const void *info, size_t infolen, uint8_t *out,
                          size_t outlen)
{
    pthread_once(&hmac_fetch_once, hmac_fetch);
    if (hmac_kdf == NULL || key == NULL || keylen == 0 || out == NULL || outlen == 0)
        return false;
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(hmac_kdf);
    if (ctx == NULL)
        return false;
    OSSL_PARAM params[6];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[n++] = hmac_octets(OSSL_KDF_PARAM_KEY, key, keylen);
    if (saltlen > 0)
        params[n++] = hmac_octets(OSSL_KDF_PARAM_SALT, salt, saltlen);
    if (infolen > 0)
        params[n++] = hmac_octets(OSSL_KDF_PARAM_INFO, info, infolen);
    params[n] = OSSL_PARAM_construct_end();
    bool ok = EVP_KDF_derive(ctx, out, outlen, params) == 1;
    EVP_KDF_CTX_free(ctx);
    if (!ok)
        OPENSSL_cleanse(out, outlen);
    return ok;
}

bool hmac_hkdf_sha256_extract(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
                              uint8_t prk[HMAC_SHA256_LEN])
{
    return hmac_hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, saltlen, ikm, ikmlen, NULL, 0, prk,
                         HMAC_SHA256_LEN);
}

bool hmac_hkdf_sha256_expand(const uint8_t *prk, size_t prklen, const void *info, size_t infolen,
                             uint8_t *out, size_t outlen)
{
    if (prklen < HMAC_SHA256_LEN || outlen > HMAC_HKDF_SHA256_MAX_LEN)
        return false;
    return hmac_hkdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, prk, prklen, info, infolen, out,
                         outlen);
}

bool hmac_hkdf_sha256(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
                      const void *info, size_t infolen, uint8_t *out, size_t outlen)
{
    if (outlen > HMAC_HKDF_SHA256_MAX_LEN)
        return false;
    return hmac_hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, salt, saltlen, ikm, ikmlen, info,
                         infolen, out, outlen);
}
