#include "wallet/walletkeys.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/aead.h"
#include "crypto/hmac.h"
#include "crypto/key.h"
#include "crypto/random.h"

enum walletkeys_result walletkeys_derive(const uint8_t seed[WALLETKEYS_SEED_LEN], uint32_t index,
                                         uint8_t secret[32], uint8_t pubkey[32])
{
    const secp256k1_context *ctx = key_context();
    enum walletkeys_result r = WALLETKEYS_ERROR;
    uint8_t master[HMAC_SHA512_LEN], child[HMAC_SHA512_LEN], data[37], k[32];
    if (ctx == NULL || index > WALLETKEYS_MAX_INDEX)
        goto out;
    if (!hmac_sha512(WALLETKEYS_MASTER_KEY, strlen(WALLETKEYS_MASTER_KEY), seed,
                     WALLETKEYS_SEED_LEN, master) ||
        !key_secret_valid(master))
        goto out;
    /* Hardened child: the parent's secret (not its public key) goes into
     * the HMAC, so one leaked child secret reveals nothing of the others. */
    data[0] = 0x00;
    memcpy(data + 1, master, 32);
    uint32_t i = index | 0x80000000u;
    data[33] = (uint8_t)(i >> 24);
    data[34] = (uint8_t)(i >> 16);
    data[35] = (uint8_t)(i >> 8);
    data[36] = (uint8_t)i;
    if (!hmac_sha512(master + 32, 32, data, sizeof data, child))
        goto out;
    memcpy(k, master, 32);
    /* Fails when IL >= n or the sum is zero: BIP32 skips such an index. */
    if (secp256k1_ec_seckey_tweak_add(ctx, k, child) != 1) {
        r = WALLETKEYS_SKIP;
        goto out;
    }
    if (!key_pubkey(k, pubkey))
        goto out;
    memcpy(secret, k, 32);
    r = WALLETKEYS_OK;
out:
    OPENSSL_cleanse(master, sizeof master);
    OPENSSL_cleanse(child, sizeof child);
    OPENSSL_cleanse(data, sizeof data);
    OPENSSL_cleanse(k, sizeof k);
    if (r != WALLETKEYS_OK) {
        OPENSSL_cleanse(secret, 32);
        OPENSSL_cleanse(pubkey, 32);
    }
    return r;
}

bool walletkeys_kdf_new(struct walletkeys_kdf *out)
{
    if (!random_bytes(out->salt, sizeof out->salt))
        return false;
    out->n = WALLETKEYS_SCRYPT_N;
    out->r = WALLETKEYS_SCRYPT_R;
    out->p = WALLETKEYS_SCRYPT_P;
    return true;
}

bool walletkeys_kdf_valid(const struct walletkeys_kdf *k)
{
    if (!(k->n >= 2 && k->n <= WALLETKEYS_SCRYPT_N_MAX && (k->n & (k->n - 1)) == 0 &&
          k->r >= 1 && k->r <= WALLETKEYS_SCRYPT_R_MAX && k->p >= 1 &&
          k->p <= WALLETKEYS_SCRYPT_P_MAX))
        return false;
    /* Each factor is bounded above, so these products cannot overflow. */
    return 128 * k->n * k->r <= WALLETKEYS_SCRYPT_MEM_MAX &&
           k->n * k->r * k->p <= WALLETKEYS_SCRYPT_WORK_MAX;
}

bool walletkeys_kdf_derive(const char *passphrase, const struct walletkeys_kdf *k,
                           uint8_t key[WALLETKEYS_KEY_LEN])
{
    if (!walletkeys_kdf_valid(k))
        return false;
    /* scrypt needs about 128 * r * (n + p + 2) bytes; OpenSSL's default cap
     * (32 MiB) is just below what the defaults use, so give it room. */
    uint64_t maxmem = 128 * k->r * (k->n + k->p + 2) + (1u << 20);
    if (EVP_PBE_scrypt(passphrase, strlen(passphrase), k->salt, sizeof k->salt, k->n, k->r, k->p,
                       maxmem, key, WALLETKEYS_KEY_LEN) != 1) {
        OPENSSL_cleanse(key, WALLETKEYS_KEY_LEN);
        return false;
    }
    return true;
}

bool walletkeys_seal(const uint8_t key[WALLETKEYS_KEY_LEN], const void *aad, size_t aadlen,
                     const uint8_t plain[32], uint8_t out[WALLETKEYS_SEALED_LEN])
{
    uint8_t nonce[AEAD_NONCE_LEN];
    if (!random_bytes(nonce, sizeof nonce))
        return false;
    struct buf ct;
    buf_init(&ct);
    bool ok = aead_encrypt(key, nonce, aad, aadlen, plain, 32, &ct) &&
              ct.len == WALLETKEYS_SEALED_LEN - AEAD_NONCE_LEN;
    if (ok) {
        memcpy(out, nonce, AEAD_NONCE_LEN);
        memcpy(out + AEAD_NONCE_LEN, ct.data, ct.len);
    }
    buf_clear(&ct);
    return ok;
}

bool walletkeys_open(const uint8_t key[WALLETKEYS_KEY_LEN], const void *aad, size_t aadlen,
                     const uint8_t *sealed, size_t len, uint8_t plain[32])
{
    if (len != WALLETKEYS_SEALED_LEN)
        return false;
    struct buf pt;
    buf_init(&pt);
    bool ok = aead_decrypt(key, sealed, aad, aadlen, sealed + AEAD_NONCE_LEN,
                           len - AEAD_NONCE_LEN, &pt) == AEAD_OK &&
              pt.len == 32;
    if (ok)
        memcpy(plain, pt.data, 32);
    else
        OPENSSL_cleanse(plain, 32);
    buf_clear_secure(&pt);
    return ok;
}
