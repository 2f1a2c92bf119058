#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <string.h>

#include "crypto/hmac.h"
#include "crypto/key.h"
#include "crypto/random.h"

static const char *const aead_errors[] = {
    [AEAD_OK] = "ok",
    [AEAD_ERR_TOO_SHORT] = "ciphertext too short",
    [AEAD_ERR_AUTH] = "authentication failed (wrong key or modified data)",
    [AEAD_ERR_NOMEM] = "out of memory",
    [AEAD_ERR_INTERNAL] = "cipher failure",
};

const char *aead_strerror(enum aead_error err)
{
    if ((unsigned)err >= sizeof aead_errors / sizeof aead_errors[0])
        return "unknown aead error";
    return aead_errors[err];
}

static EVP_CIPHER *aead_cipher;
static pthread_once_t aead_cipher_once = PTHREAD_ONCE_INIT;

static void aead_cipher_fetch(void)
{
    aead_cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
}

/* The EVP update calls count in int; longer inputs go through in slices,
 * which the streaming cipher and MAC accept as one message. */
#define AEAD_SLICE (1 << 30)

static bool aead_update(EVP_CIPHER_CTX *ctx, bool enc, uint8_t *out, const uint8_t *in,
                        size_t len)
{
    while (len > 0) {
        int n = len > AEAD_SLICE ? AEAD_SLICE : (int)len;
        int outl = 0;
        int ok = enc ? EVP_EncryptUpdate(ctx, out, &outl, in, n)
                     : EVP_DecryptUpdate(ctx, out, &outl, in, n);
        /* an AAD update (out NULL) reports its length too */
        if (ok != 1 || outl != n)
            return false;
        if (out != NULL)
            out += n;
        in += n;
        len -= (size_t)n;
    }
    return true;
}

static EVP_CIPHER_CTX *aead_start(bool enc, const uint8_t key[AEAD_KEY_LEN],
                                  const uint8_t nonce[AEAD_NONCE_LEN], const void *aad,
                                  size_t aadlen)
{
    pthread_once(&aead_cipher_once, aead_cipher_fetch);
    if (aead_cipher == NULL)
        return NULL;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return NULL;
    int ok = enc ? EVP_EncryptInit_ex2(ctx, aead_cipher, key, nonce, NULL)
                 : EVP_DecryptInit_ex2(ctx, aead_cipher, key, nonce, NULL);
    if (ok != 1 || !aead_update(ctx, enc, NULL, aad, aadlen)) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

bool aead_encrypt(const uint8_t key[AEAD_KEY_LEN], const uint8_t nonce[AEAD_NONCE_LEN],
                  const void *aad, size_t aadlen, const void *pt, size_t ptlen, struct buf *out)
{
    if (ptlen > SIZE_MAX - AEAD_TAG_LEN || !buf_reserve(out, ptlen + AEAD_TAG_LEN))
        return false;
    EVP_CIPHER_CTX *ctx = aead_start(true, key, nonce, aad, aadlen);
    if (ctx == NULL)
        return false;
    uint8_t *dst = out->data + out->len;
    int final_len = 0;
    bool ok = aead_update(ctx, true, dst, pt, ptlen) &&
              EVP_EncryptFinal_ex(ctx, dst + ptlen, &final_len) == 1 && final_len == 0 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, dst + ptlen) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (ok)
        out->len += ptlen + AEAD_TAG_LEN;
    return ok;
}

enum aead_error aead_decrypt(const uint8_t key[AEAD_KEY_LEN], const uint8_t nonce[AEAD_NONCE_LEN],
                             const void *aad, size_t aadlen, const void *in, size_t inlen,
                             struct buf *out)
{
    if (inlen < AEAD_TAG_LEN)
        return AEAD_ERR_TOO_SHORT;
    size_t ctlen = inlen - AEAD_TAG_LEN;
    /* reserve at least one byte so dst is a real pointer even for an empty
     * plaintext */
    if (!buf_reserve(out, ctlen + 1))
        return AEAD_ERR_NOMEM;
    EVP_CIPHER_CTX *ctx = aead_start(false, key, nonce, aad, aadlen);
    if (ctx == NULL)
        return AEAD_ERR_INTERNAL;
    const uint8_t *src = in;
    uint8_t tag[AEAD_TAG_LEN];
    memcpy(tag, src + ctlen, sizeof tag);
    uint8_t *dst = out->data + out->len;
    enum aead_error err = AEAD_OK;
    int final_len = 0;
    if (!aead_update(ctx, false, dst, src, ctlen) ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN, tag) != 1)
        err = AEAD_ERR_INTERNAL;
    else if (EVP_DecryptFinal_ex(ctx, dst + ctlen, &final_len) != 1 || final_len != 0)
        err = AEAD_ERR_AUTH;
    EVP_CIPHER_CTX_free(ctx);
    if (err != AEAD_OK) {
        OPENSSL_cleanse(dst, ctlen);
        return err;
    }
    out->len += ctlen;
    return AEAD_OK;
}

/* Keeps only the x coordinate of the shared point. Negating either party's
 * point negates the product but leaves its x alone, so the secret does not
 * depend on the y parity of either full key: x(a*B) = x(a*(-B)) = x(-(a*B)). */
static int aead_ecdh_x_only(unsigned char *output, const unsigned char *x32,
                            const unsigned char *y32, void *data)
{
    (void)y32;
    (void)data;
    memcpy(output, x32, 32);
    return 1;
}

bool aead_shared_key(const uint8_t my_secret[32], const uint8_t their_xonly[32],
                     uint8_t key_out[AEAD_KEY_LEN])
{
    const secp256k1_context *ctx = key_context();
    if (ctx == NULL)
        return false;
    /* lift x to the point with even y: the compressed encoding 02 || x */
    uint8_t ser[33];
    ser[0] = 0x02;
    memcpy(ser + 1, their_xonly, 32);
    secp256k1_pubkey their;
    if (secp256k1_ec_pubkey_parse(ctx, &their, ser, sizeof ser) != 1)
        return false;
    uint8_t shared_x[32], derived[AEAD_KEY_LEN];
    bool ok = secp256k1_ecdh(ctx, shared_x, &their, my_secret, aead_ecdh_x_only, NULL) == 1 &&
              hmac_hkdf_sha256(NULL, 0, shared_x, sizeof shared_x, AEAD_CHAT_INFO,
                               strlen(AEAD_CHAT_INFO), derived, sizeof derived);
    if (ok)
        memcpy(key_out, derived, sizeof derived);
    OPENSSL_cleanse(shared_x, sizeof shared_x);
    OPENSSL_cleanse(derived, sizeof derived);
    return ok;
}

bool aead_seal(const uint8_t key[AEAD_KEY_LEN], const void *pt, size_t len, struct buf *out)
{
    uint8_t nonce[AEAD_NONCE_LEN];
    if (len > SIZE_MAX - AEAD_OVERHEAD || !buf_reserve(out, len + AEAD_OVERHEAD) ||
        !random_bytes(nonce, sizeof nonce))
        return false;
    size_t start = out->len;
    if (!buf_append(out, nonce, sizeof nonce))
        return false;
    if (!aead_encrypt(key, nonce, NULL, 0, pt, len, out)) {
        out->len = start;
        return false;
    }
    return true;
}

enum aead_error aead_open(const uint8_t key[AEAD_KEY_LEN], const void *sealed, size_t len,
                          struct buf *out)
{
    if (len < AEAD_OVERHEAD)
        return AEAD_ERR_TOO_SHORT;
    const uint8_t *p = sealed;
    return aead_decrypt(key, p, NULL, 0, p + AEAD_NONCE_LEN, len - AEAD_NONCE_LEN, out);
}
