#include "crypto/key.h"

#include <gmp.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <string.h>

#include "crypto/random.h"

static secp256k1_context *key_ctx;
static pthread_once_t key_ctx_once = PTHREAD_ONCE_INIT;

/* Blinding makes the signing code's timing and power profile independent of
 * a value an attacker could predict; a context we could not blind is not
 * used at all rather than silently weaker. */
static void key_ctx_create(void)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (ctx == NULL)
        return;
    uint8_t seed[32];
    bool ok = random_bytes(seed, sizeof seed) && secp256k1_context_randomize(ctx, seed) == 1;
    OPENSSL_cleanse(seed, sizeof seed);
    if (!ok) {
        secp256k1_context_destroy(ctx);
        return;
    }
    key_ctx = ctx;
}

const secp256k1_context *key_context(void)
{
    pthread_once(&key_ctx_once, key_ctx_create);
    return key_ctx;
}

bool key_secret_valid(const uint8_t secret[KEY_SECRET_LEN])
{
    const secp256k1_context *ctx = key_context();
    return ctx != NULL && secp256k1_ec_seckey_verify(ctx, secret) == 1;
}

bool key_generate(uint8_t secret[KEY_SECRET_LEN])
{
    if (key_context() == NULL)
        return false;
    uint8_t tmp[KEY_SECRET_LEN];
    /* An invalid draw has probability about 2^-128; the loop is for form. */
    do {
        if (!random_bytes(tmp, sizeof tmp))
            return false;
    } while (!key_secret_valid(tmp));
    memcpy(secret, tmp, sizeof tmp);
    OPENSSL_cleanse(tmp, sizeof tmp);
    return true;
}

static bool key_keypair(const uint8_t secret[KEY_SECRET_LEN], secp256k1_keypair *kp)
{
    const secp256k1_context *ctx = key_context();
    return ctx != NULL && secp256k1_keypair_create(ctx, kp, secret) == 1;
}

bool key_pubkey(const uint8_t secret[KEY_SECRET_LEN], uint8_t pubkey[KEY_PUBKEY_LEN])
{
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey xonly;
    uint8_t ser[KEY_PUBKEY_LEN];
    bool ok = key_keypair(secret, &kp) &&
              secp256k1_keypair_xonly_pub(key_context(), &xonly, NULL, &kp) == 1 &&
              secp256k1_xonly_pubkey_serialize(key_context(), ser, &xonly) == 1;
    OPENSSL_cleanse(&kp, sizeof kp);
    if (ok)
        memcpy(pubkey, ser, sizeof ser);
    return ok;
}

/* Whether 32 bytes are an x-only key is a rule of every transfer's
 * recipient in every block, checked where the signature check does not
 * already parse the key. libsecp256k1 answers by computing the point's y, a
 * field square root; the question is only whether x^3 + 7 has one, and
 * GMP's Legendre symbol answers that in about half the time. It works on
 * limbs on the stack and a read-only p, so no call writes shared state (the
 * verification threads call it at once) or allocates (GMP aborts when an
 * allocation fails). */
#if GMP_NAIL_BITS != 0
#error "key_pubkey_valid needs GMP without nail bits"
#endif
#define KEY_LIMBS (256 / GMP_NUMB_BITS)
/* p = 2^256 - 2^32 - 977, least significant limb first. */
#if GMP_NUMB_BITS == 64
static const mp_limb_t key_p_limbs[KEY_LIMBS] = {
    0xFFFFFFFEFFFFFC2Fu, GMP_NUMB_MAX, GMP_NUMB_MAX, GMP_NUMB_MAX};
#elif GMP_NUMB_BITS == 32
static const mp_limb_t key_p_limbs[KEY_LIMBS] = {
    0xFFFFFC2Fu, 0xFFFFFFFEu, GMP_NUMB_MAX, GMP_NUMB_MAX,
    GMP_NUMB_MAX, GMP_NUMB_MAX, GMP_NUMB_MAX, GMP_NUMB_MAX};
#else
#error "key_pubkey_valid needs 32- or 64-bit GMP limbs"
#endif
/* GMP's own initialiser for a constant mpz; only read, never freed. */
static const mpz_t key_p = MPZ_ROINIT_N((mp_limb_t *)key_p_limbs, KEY_LIMBS);

bool key_pubkey_valid(const uint8_t pubkey[KEY_PUBKEY_LEN])
{
    /* 32 bytes fill at most KEY_LIMBS limbs, but mpn_set_str asks for
     * room for one more; with leading zero bytes it may write fewer, and
     * the rest stay zero. */
    mp_limb_t x[KEY_LIMBS + 1] = {0};
    mpn_set_str(x, pubkey, KEY_PUBKEY_LEN, 256);
    if (mpn_cmp(x, key_p_limbs, KEY_LIMBS) >= 0)
        return false;
    /* x < p, so x^3 + 7 < 2^768 and the addition cannot carry out. The
     * Legendre symbol reduces it mod p itself; it is never 0, as the curve
     * has no point of order 2. */
    mp_limb_t x2[2 * KEY_LIMBS], rhs[3 * KEY_LIMBS];
    mpn_sqr(x2, x, KEY_LIMBS);
    mpn_mul(rhs, x2, 2 * KEY_LIMBS, x, KEY_LIMBS);
    mpn_add_1(rhs, rhs, 3 * KEY_LIMBS, 7);
    mpz_t y2;
    return mpz_legendre(mpz_roinit_n(y2, rhs, 3 * KEY_LIMBS), key_p) == 1;
}

/* Signs, then verifies against the keypair's own public key, writing sig
 * only when both succeed. */
static bool key_sign_checked(const uint8_t secret[KEY_SECRET_LEN], const void *msg,
                             size_t msglen, const uint8_t aux[KEY_AUX_LEN],
                             uint8_t sig[KEY_SIG_LEN])
{
    /* A NULL aux would make libsecp256k1 skip the masking step, which is not
     * BIP340 with zero aux, so it is refused rather than mis-signed. */
    if ((msg == NULL && msglen != 0) || aux == NULL)
        return false;
    const secp256k1_context *ctx = key_context();
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey xonly;
    uint8_t tmp[KEY_SIG_LEN];
    secp256k1_schnorrsig_extraparams extra = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
    /* The nonce function only reads aux, but the field is non-const. */
    extra.ndata = (void *)aux;
    bool ok = key_keypair(secret, &kp) &&
              secp256k1_schnorrsig_sign_custom(ctx, tmp, msg, msglen, &kp, &extra) == 1 &&
              secp256k1_keypair_xonly_pub(ctx, &xonly, NULL, &kp) == 1 &&
              secp256k1_schnorrsig_verify(ctx, tmp, msg, msglen, &xonly) == 1;
    OPENSSL_cleanse(&kp, sizeof kp);
    if (ok)
        memcpy(sig, tmp, sizeof tmp);
    return ok;
}

bool key_sign(const uint8_t secret[KEY_SECRET_LEN], const uint8_t msg32[32],
              uint8_t sig[KEY_SIG_LEN])
{
    uint8_t aux[KEY_AUX_LEN];
    if (!random_bytes(aux, sizeof aux))
        return false;
    bool ok = key_sign_checked(secret, msg32, 32, aux, sig);
    OPENSSL_cleanse(aux, sizeof aux);
    return ok;
}

bool key_sign_custom(const uint8_t secret[KEY_SECRET_LEN], const void *msg, size_t msglen,
                     const uint8_t aux[KEY_AUX_LEN], uint8_t sig[KEY_SIG_LEN])
{
    return key_sign_checked(secret, msg, msglen, aux, sig);
}

bool key_verify(const uint8_t pubkey[KEY_PUBKEY_LEN], const void *msg, size_t msglen,
                const uint8_t sig[KEY_SIG_LEN])
{
    const secp256k1_context *ctx = key_context();
    secp256k1_xonly_pubkey xonly;
    if (ctx == NULL || (msg == NULL && msglen != 0))
        return false;
    if (secp256k1_xonly_pubkey_parse(ctx, &xonly, pubkey) != 1)
        return false;
    return secp256k1_schnorrsig_verify(ctx, sig, msg, msglen, &xonly) == 1;
}
