#include "unit.h"
#include "fixture.h"

#include <secp256k1_extrakeys.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/key.h"
#include "crypto/sha256.h"
#include "util/buf.h"
#include "util/hex.h"

#define BIP340_FIELDS 8

/* Splits one CSV line in place into exactly BIP340_FIELDS fields; the last
 * (the comment) keeps any commas it contains. */
static void split_row(char *line, char *fields[BIP340_FIELDS])
{
    for (int i = 0; i < BIP340_FIELDS - 1; i++) {
        fields[i] = line;
        char *comma = strchr(line, ',');
        ck_assert_msg(comma != NULL, "bip340.csv: short row");
        *comma = '\0';
        line = comma + 1;
    }
    fields[BIP340_FIELDS - 1] = line;
}

/* Cuts the next line (without its newline or CR) off *cursor; NULL at the end. */
static char *next_line(char **cursor)
{
    char *line = *cursor;
    if (line == NULL || *line == '\0')
        return NULL;
    char *nl = strchr(line, '\n');
    if (nl != NULL) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = NULL;
    }
    size_t l = strlen(line);
    if (l > 0 && line[l - 1] == '\r')
        line[l - 1] = '\0';
    return line;
}

static void hex_exact(const char *hex, uint8_t *out, size_t len)
{
    ck_assert_uint_eq(strlen(hex), 2 * len);
    unit_hex(hex, out, len);
}

/* Every row of the BIP340 vectors: signing where a secret is given (with the
 * row's aux_rand, so the signature must match exactly), then verification
 * against the expected result. */
START_TEST(bip340_vectors)
{
    char *text = unit_read_data("bip340.csv", NULL);
    char *cursor = text;
    char *line = next_line(&cursor);
    ck_assert_ptr_nonnull(line);
    ck_assert(strncmp(line, "index,secret key,public key", 27) == 0);
    int rows = 0, signed_rows = 0, bad_pubkeys = 0;
    while ((line = next_line(&cursor)) != NULL) {
        if (line[0] == '\0')
            continue;
        char *f[BIP340_FIELDS];
        split_row(line, f);
        const char *idx = f[0];
        uint8_t pubkey[KEY_PUBKEY_LEN], sig[KEY_SIG_LEN];
        hex_exact(f[2], pubkey, sizeof pubkey);
        hex_exact(f[5], sig, sizeof sig);
        struct buf msg;
        buf_init(&msg);
        ck_assert(hex_decode_buf(f[4], strlen(f[4]), &msg));
        bool expect = strcmp(f[6], "TRUE") == 0;
        ck_assert_msg(expect || strcmp(f[6], "FALSE") == 0, "row %s: bad result field", idx);

        if (f[1][0] != '\0') {
            uint8_t secret[KEY_SECRET_LEN], aux[KEY_AUX_LEN], derived[KEY_PUBKEY_LEN];
            uint8_t made[KEY_SIG_LEN];
            hex_exact(f[1], secret, sizeof secret);
            hex_exact(f[3], aux, sizeof aux);
            ck_assert_msg(key_secret_valid(secret), "row %s", idx);
            ck_assert_msg(key_pubkey(secret, derived), "row %s", idx);
            ck_assert_msg(memcmp(derived, pubkey, sizeof pubkey) == 0, "row %s: pubkey", idx);
            ck_assert_msg(key_sign_custom(secret, msg.data, msg.len, aux, made), "row %s", idx);
            ck_assert_msg(memcmp(made, sig, sizeof sig) == 0, "row %s: signature", idx);
            signed_rows++;
        }
        if (!key_pubkey_valid(pubkey)) {
            ck_assert_msg(!expect, "row %s: invalid pubkey in a TRUE row", idx);
            bad_pubkeys++;
        }
        ck_assert_msg(key_verify(pubkey, msg.data, msg.len, sig) == expect,
                      "row %s: verification should be %s", idx, f[6]);
        buf_clear(&msg);
        rows++;
    }
    free(text);
    ck_assert_int_ge(rows, 15);
    ck_assert_int_ge(signed_rows, 4);
    /* the vectors include keys off the curve and beyond the field size */
    ck_assert_int_ge(bad_pubkeys, 2);
}
END_TEST

START_TEST(fresh_signatures_differ_and_verify)
{
    uint8_t secret[KEY_SECRET_LEN], pub[KEY_PUBKEY_LEN], msg[32];
    uint8_t sig1[KEY_SIG_LEN], sig2[KEY_SIG_LEN];
    ck_assert(key_generate(secret));
    ck_assert(key_secret_valid(secret));
    ck_assert(key_pubkey(secret, pub));
    ck_assert(key_pubkey_valid(pub));
    memset(msg, 0x42, sizeof msg);
    ck_assert(key_sign(secret, msg, sig1));
    ck_assert(key_sign(secret, msg, sig2));
    ck_assert(memcmp(sig1, sig2, sizeof sig1) != 0);
    ck_assert(key_verify(pub, msg, sizeof msg, sig1));
    ck_assert(key_verify(pub, msg, sizeof msg, sig2));

    uint8_t other[KEY_SECRET_LEN];
    ck_assert(key_generate(other));
    ck_assert(memcmp(other, secret, sizeof secret) != 0);
}
END_TEST

/* Flipping any single bit of signature, message or key must fail. */
START_TEST(flipped_bits_fail)
{
    uint8_t secret[KEY_SECRET_LEN], pub[KEY_PUBKEY_LEN], msg[32], sig[KEY_SIG_LEN];
    ck_assert(key_generate(secret));
    ck_assert(key_pubkey(secret, pub));
    memset(msg, 0x17, sizeof msg);
    ck_assert(key_sign(secret, msg, sig));
    for (size_t bit = 0; bit < 8 * KEY_SIG_LEN; bit += 7) {
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_msg(!key_verify(pub, msg, sizeof msg, sig), "sig bit %zu", bit);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t bit = 0; bit < 8 * sizeof msg; bit += 5) {
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_msg(!key_verify(pub, msg, sizeof msg, sig), "msg bit %zu", bit);
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    pub[31] ^= 1;
    ck_assert(!key_verify(pub, msg, sizeof msg, sig));
    pub[31] ^= 1;
    ck_assert(key_verify(pub, msg, sizeof msg, sig));
    /* a signature is bound to the message length too */
    ck_assert(!key_verify(pub, msg, sizeof msg - 1, sig));
}
END_TEST

START_TEST(any_length_messages)
{
    uint8_t secret[KEY_SECRET_LEN], pub[KEY_PUBKEY_LEN], sig[KEY_SIG_LEN], aux[KEY_AUX_LEN] = {0};
    ck_assert(key_generate(secret));
    ck_assert(key_pubkey(secret, pub));
    ck_assert(key_sign_custom(secret, NULL, 0, aux, sig));
    ck_assert(key_verify(pub, NULL, 0, sig));
    ck_assert(!key_verify(pub, "x", 1, sig));
    const char *long_msg = "a message that is clearly longer than thirty-two bytes";
    ck_assert(key_sign_custom(secret, long_msg, strlen(long_msg), aux, sig));
    ck_assert(key_verify(pub, long_msg, strlen(long_msg), sig));
    /* same aux, same message: deterministic */
    uint8_t sig2[KEY_SIG_LEN];
    ck_assert(key_sign_custom(secret, long_msg, strlen(long_msg), aux, sig2));
    ck_assert(memcmp(sig, sig2, sizeof sig) == 0);
    /* no aux at all is refused, not silently signed differently */
    memset(sig2, 0xee, sizeof sig2);
    ck_assert(!key_sign_custom(secret, long_msg, strlen(long_msg), NULL, sig2));
    ck_assert_uint_eq(sig2[0], 0xee);
}
END_TEST

START_TEST(invalid_secrets_rejected)
{
    uint8_t zero[KEY_SECRET_LEN] = {0}, order[KEY_SECRET_LEN], ones[KEY_SECRET_LEN];
    unit_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", order,
             sizeof order);
    memset(ones, 0xff, sizeof ones);
    const uint8_t *bad[] = {zero, order, ones};
    uint8_t msg[32] = {1}, aux[KEY_AUX_LEN] = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t pub[KEY_PUBKEY_LEN], sig[KEY_SIG_LEN];
        memset(pub, 0xab, sizeof pub);
        memset(sig, 0xcd, sizeof sig);
        ck_assert(!key_secret_valid(bad[i]));
        ck_assert(!key_pubkey(bad[i], pub));
        ck_assert(!key_sign(bad[i], msg, sig));
        ck_assert(!key_sign_custom(bad[i], msg, sizeof msg, aux, sig));
        for (size_t j = 0; j < sizeof pub; j++)
            ck_assert_uint_eq(pub[j], 0xab);
        for (size_t j = 0; j < sizeof sig; j++)
            ck_assert_uint_eq(sig[j], 0xcd);
    }
    /* order - 1 is the largest valid secret */
    order[31] = 0x40;
    ck_assert(key_secret_valid(order));
}
END_TEST

START_TEST(invalid_pubkeys_rejected)
{
    uint8_t p[KEY_PUBKEY_LEN], sig[KEY_SIG_LEN] = {0}, msg[32] = {0};
    /* the field prime p itself is not a valid x coordinate */
    unit_hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", p, sizeof p);
    ck_assert(!key_pubkey_valid(p));
    ck_assert(!key_verify(p, msg, sizeof msg, sig));
    /* x = 5 has no point on the curve (5^3 + 7 = 132 is not a square mod p) */
    memset(p, 0, sizeof p);
    p[31] = 5;
    ck_assert(!key_pubkey_valid(p));
    /* x = 1 does (1 + 7 = 8 is a square mod p) */
    p[31] = 1;
    ck_assert(key_pubkey_valid(p));
}
END_TEST

/* ---- key_pubkey_valid against libsecp256k1 ----
 * key_pubkey_valid decides by a Legendre symbol (GMP) what libsecp256k1
 * decides by computing y; the verdicts must be the same for every input. */

#define FIELD_P_HEX "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f"

static bool secp_parses(const uint8_t x[KEY_PUBKEY_LEN])
{
    const secp256k1_context *ctx = key_context();
    ck_assert_ptr_nonnull(ctx);
    secp256k1_xonly_pubkey k;
    return secp256k1_xonly_pubkey_parse(ctx, &k, x) == 1;
}

/* Fails unless both verdicts on x agree; returns the verdict. */
static bool same_verdict(const uint8_t x[KEY_PUBKEY_LEN], const char *what, long i)
{
    bool want = secp_parses(x), got = key_pubkey_valid(x);
    ck_assert_msg(got == want, "%s %ld: key_pubkey_valid %d, libsecp256k1 %d", what, i, got,
                  want);
    return got;
}

/* x += delta mod 2^256, x big-endian. */
static void be_add(uint8_t x[KEY_PUBKEY_LEN], long delta)
{
    unsigned long mag = delta < 0 ? 0ul - (unsigned long)delta : (unsigned long)delta;
    unsigned carry = 0;
    for (int i = KEY_PUBKEY_LEN - 1; i >= 0; i--) {
        unsigned d = (unsigned)(mag & 0xff) + carry;
        mag >>= 8;
        if (delta >= 0) {
            unsigned v = x[i] + d;
            x[i] = (uint8_t)v;
            carry = v >> 8;
        } else {
            carry = x[i] < d;
            x[i] = (uint8_t)(x[i] - d);
        }
    }
}

/* 200,000 inputs from a fixed SHA-256 chain; every fourth has its leading
 * bytes zeroed (0 to 31 of them), so short numbers are covered too. */
START_TEST(pubkey_valid_matches_libsecp256k1_random)
{
    enum { N = 200000 };
    uint8_t state[SHA256_LEN], x[KEY_PUBKEY_LEN];
    sha256("key_pubkey_valid", 16, state);
    long valid = 0, short_valid = 0, short_n = 0;
    for (long i = 0; i < N; i++) {
        sha256(state, sizeof state, state);
        memcpy(x, state, sizeof x);
        if (i % 4 == 1) {
            memset(x, 0, (size_t)(i / 4) % KEY_PUBKEY_LEN);
            short_n++;
            short_valid += same_verdict(x, "short input", i);
        } else {
            valid += same_verdict(x, "random input", i);
        }
    }
    /* About half of all x below p are on the curve; far from half means
     * one side always answers the same. */
    long full_n = N - short_n;
    ck_assert_int_gt(valid, full_n * 48 / 100);
    ck_assert_int_lt(valid, full_n * 52 / 100);
    ck_assert_int_gt(short_valid, short_n * 45 / 100);
    ck_assert_int_lt(short_valid, short_n * 55 / 100);
}
END_TEST

START_TEST(pubkey_valid_matches_libsecp256k1_edges)
{
    uint8_t x[KEY_PUBKEY_LEN];
    /* 0 to 16 */
    memset(x, 0, sizeof x);
    int small_valid = 0;
    for (long k = 0; k <= 16; k++) {
        x[31] = (uint8_t)k;
        small_valid += same_verdict(x, "x =", k);
    }
    ck_assert_int_gt(small_valid, 0);
    ck_assert_int_lt(small_valid, 17);
    /* p - 2000 .. p - 1 are field elements, some on the curve; p .. p + 2000
     * are not, whatever they are mod p (p + 1 is 1 mod p, which is). */
    int below_valid = 0;
    for (long d = -2000; d <= 2000; d++) {
        unit_hex(FIELD_P_HEX, x, sizeof x);
        be_add(x, d);
        bool v = same_verdict(x, "p +", d);
        if (d >= 0)
            ck_assert_msg(!v, "p + %ld accepted", d);
        else
            below_valid += v;
    }
    ck_assert_int_gt(below_valid, 500);
    ck_assert_int_lt(below_valid, 1500);
    /* 2^256 - 2000 .. 2^256 - 1 */
    memset(x, 0xff, sizeof x);
    for (long d = 0; d < 2000; d++) {
        ck_assert_msg(!same_verdict(x, "2^256 - 1 -", d), "2^256 - 1 - %ld accepted", d);
        be_add(x, -1);
    }
    /* every power of two, and one below each */
    for (long bit = 0; bit < 256; bit++) {
        memset(x, 0, sizeof x);
        x[31 - bit / 8] = (uint8_t)(1u << (bit % 8));
        same_verdict(x, "2^", bit);
        be_add(x, -1);
        same_verdict(x, "2^k - 1, k =", bit);
    }
}
END_TEST

/* Real keys are accepted by both; with their last bit flipped, the
 * verdicts still agree. */
START_TEST(pubkey_valid_matches_libsecp256k1_real_keys)
{
    uint8_t secret[KEY_SECRET_LEN], pub[KEY_PUBKEY_LEN];
    sha256("real keys", 9, secret);
    int flipped_valid = 0;
    for (long i = 0; i < 500; i++) {
        sha256(secret, sizeof secret, secret);
        ck_assert(key_pubkey(secret, pub));
        ck_assert_msg(same_verdict(pub, "public key", i), "public key %ld refused", i);
        pub[31] ^= 1;
        flipped_valid += same_verdict(pub, "flipped public key", i);
    }
    ck_assert_int_gt(flipped_valid, 150);
    ck_assert_int_lt(flipped_valid, 350);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        bip340_vectors, fresh_signatures_differ_and_verify, flipped_bits_fail, any_length_messages,
        invalid_secrets_rejected, invalid_pubkeys_rejected,
        pubkey_valid_matches_libsecp256k1_random, pubkey_valid_matches_libsecp256k1_edges,
        pubkey_valid_matches_libsecp256k1_real_keys, NULL
    };
    /* The random comparison is 200,000 checks each way. */
    static const struct fixture_case tc = {.timeout = 30};
    return fixture_suite("key", &tc, tests);
}
