#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "crypto/address.h"
#include "crypto/key.h"
#include "util/hex.h"
#include "wallet/walletkeys.h"

/* Seed 00 01 .. 1f. The expected values were computed once with an
 * independent Python implementation (hmac/hashlib, affine secp256k1
 * arithmetic and a bech32m encoder written from BIP350). */
static const struct {
    uint32_t index;
    const char *secret, *pubkey, *address;
} vectors[] = {
    {0, "2b3c0c37666254e477d6d6b4907e68b25df319199c1c78d22760b9dffe9b4a96",
     "ad2c1b0b0f6958cd3cd8e4ea1864902fa76ac4f2758616b70c59650c3a9e114d",
     "rsouk145kpkzc0d9vv60xcun4pseys97nk438jwkrpddcvt9jscw57z9xsyz7c3v"},
    {1, "57bdc3b16d6f3400c5011a8db828a3abd3cff430c8f1690f64b15920f4280dbf",
     "9908a0f9318666a8a55834980b6bc4f3b0a81fbe5d3131886542980e533b275b",
     "rsouk1nyy2p7f3sen23f2cxjvqk67y7wc2s8a7t5cnrzr9g2vqu5emyads9sxm7r"},
    {2, "5f82848c59623cdb19b097b1aa2b749d4bdcdf5adbc18bc2205fe519eb14cbdb",
     "c25510ff00de1e5d0076fd356ac4f17714b36d81e49040294f3bb55c3c91cc47",
     "rsouk1cf23plcqmc096qrkl56k4383wu2txmvpujgyq2208w64c0y3e3rsd3u3d3"},
};

static void fixed_seed(uint8_t seed[32])
{
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
}

START_TEST(derivation_vectors)
{
    uint8_t seed[32], sk[32], pk[32], want[32];
    fixed_seed(seed);
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        ck_assert_int_eq(walletkeys_derive(seed, vectors[i].index, sk, pk), WALLETKEYS_OK);
        unit_hex(vectors[i].secret, want, 32);
        ck_assert(memcmp(sk, want, 32) == 0);
        unit_hex(vectors[i].pubkey, want, 32);
        ck_assert(memcmp(pk, want, 32) == 0);
        char addr[ADDRESS_MAX_LEN + 1];
        ck_assert_int_eq(address_encode("rsouk", pk, addr, sizeof addr), ADDRESS_OK);
        ck_assert_str_eq(addr, vectors[i].address);
    }
    /* deterministic: the same again */
    uint8_t sk2[32], pk2[32];
    ck_assert_int_eq(walletkeys_derive(seed, 1, sk2, pk2), WALLETKEYS_OK);
    unit_hex(vectors[1].secret, want, 32);
    ck_assert(memcmp(sk2, want, 32) == 0);
    /* another seed gives other keys */
    seed[0] ^= 1;
    ck_assert_int_eq(walletkeys_derive(seed, 0, sk2, pk2), WALLETKEYS_OK);
    unit_hex(vectors[0].secret, want, 32);
    ck_assert(memcmp(sk2, want, 32) != 0);
}
END_TEST

START_TEST(derivation_bad_input)
{
    uint8_t seed[32], sk[32], pk[32];
    fixed_seed(seed);
    memset(sk, 0xaa, 32);
    memset(pk, 0xaa, 32);
    ck_assert_int_eq(walletkeys_derive(seed, WALLETKEYS_MAX_INDEX + 1u, sk, pk),
                     WALLETKEYS_ERROR);
    /* outputs are wiped, not left holding anything */
    static const uint8_t zero[32];
    ck_assert(memcmp(sk, zero, 32) == 0 && memcmp(pk, zero, 32) == 0);
    ck_assert_int_eq(walletkeys_derive(seed, WALLETKEYS_MAX_INDEX, sk, pk), WALLETKEYS_OK);
    ck_assert(key_secret_valid(sk));
}
END_TEST

START_TEST(kdf_parameters)
{
    struct walletkeys_kdf k;
    ck_assert(walletkeys_kdf_new(&k));
    ck_assert_uint_eq(k.n, 32768);
    ck_assert_uint_eq(k.r, 8);
    ck_assert_uint_eq(k.p, 1);
    ck_assert(walletkeys_kdf_valid(&k));
    struct walletkeys_kdf bad = k;
    bad.n = 1000; /* not a power of two */
    ck_assert(!walletkeys_kdf_valid(&bad));
    bad.n = 1u << 21; /* more memory than a file may ask for */
    ck_assert(!walletkeys_kdf_valid(&bad));
    bad = k;
    bad.r = 0;
    ck_assert(!walletkeys_kdf_valid(&bad));
    bad = k;
    bad.p = 17;
    ck_assert(!walletkeys_kdf_valid(&bad));
    /* Each in range, together too much: 4 GiB of memory, or 16 lanes of 16
     * times the default work. */
    struct walletkeys_kdf big = k;
    big.n = WALLETKEYS_SCRYPT_N_MAX;
    big.r = WALLETKEYS_SCRYPT_R_MAX;
    ck_assert(!walletkeys_kdf_valid(&big));
    big = k;
    big.n = 1u << 17;
    big.p = WALLETKEYS_SCRYPT_P_MAX;
    ck_assert(!walletkeys_kdf_valid(&big));
    /* At the bounds: 256 MiB, 16 times the default work. */
    big = k;
    big.n = WALLETKEYS_SCRYPT_N_MAX;
    big.r = 2;
    big.p = 2;
    ck_assert(walletkeys_kdf_valid(&big));
    big.p = 3;
    ck_assert(!walletkeys_kdf_valid(&big));
    uint8_t key[32];
    ck_assert(!walletkeys_kdf_derive("pw", &bad, key));
}
END_TEST

/* Known answer from Python's hashlib.scrypt (which reproduces RFC 7914's
 * vectors): the 16-byte salt "SodiumChloride\0\0", N=1024, r=8, p=1. */
START_TEST(kdf_known_answer)
{
    struct walletkeys_kdf k = {.n = 1024, .r = 8, .p = 1};
    memcpy(k.salt, "SodiumChloride\0\0", 16);
    uint8_t a[32], want[32], b[32];
    ck_assert(walletkeys_kdf_derive("pleaseletmein", &k, a));
    unit_hex("62d22ee665a7a13521db6d8eb057b7723f83348d9621435379f695d2e2a91799", want, 32);
    ck_assert(memcmp(a, want, 32) == 0);
    ck_assert(walletkeys_kdf_derive("pleaseletmeio", &k, b));
    ck_assert(memcmp(a, b, 32) != 0);
    k.salt[15] ^= 1;
    ck_assert(walletkeys_kdf_derive("pleaseletmein", &k, b));
    ck_assert(memcmp(a, b, 32) != 0);
}
END_TEST

START_TEST(seal_round_trip_and_tamper)
{
    uint8_t key[32], other[32], plain[32], out[32], sealed[WALLETKEYS_SEALED_LEN],
        sealed2[WALLETKEYS_SEALED_LEN];
    memset(key, 1, 32);
    memset(other, 2, 32);
    for (int i = 0; i < 32; i++)
        plain[i] = (uint8_t)(200 + i);
    ck_assert(walletkeys_seal(key, "aad", 3, plain, sealed));
    ck_assert(walletkeys_seal(key, "aad", 3, plain, sealed2));
    /* fresh nonces: the same value seals differently */
    ck_assert(memcmp(sealed, sealed2, sizeof sealed) != 0);
    ck_assert(walletkeys_open(key, "aad", 3, sealed, sizeof sealed, out));
    ck_assert(memcmp(out, plain, 32) == 0);
    ck_assert(!walletkeys_open(other, "aad", 3, sealed, sizeof sealed, out));
    ck_assert(!walletkeys_open(key, "aae", 3, sealed, sizeof sealed, out));
    ck_assert(!walletkeys_open(key, "aad", 3, sealed, sizeof sealed - 1, out));
    for (size_t i = 0; i < sizeof sealed; i += 7) {
        sealed[i] ^= 0x10;
        ck_assert(!walletkeys_open(key, "aad", 3, sealed, sizeof sealed, out));
        sealed[i] ^= 0x10;
    }
    static const uint8_t zero[32];
    ck_assert(memcmp(out, zero, 32) == 0);
}
END_TEST

Suite *unit_suite(void)
{
    static const struct fixture_case tc = {.timeout = 60};
    const TTest *tests[] = {
        derivation_vectors, derivation_bad_input, kdf_parameters, kdf_known_answer,
        seal_round_trip_and_tamper, NULL
    };
    return fixture_suite("walletkeys", &tc, tests);
}
