#include "unit.h"
#include "fixture.h"

#include <ctype.h>
#include <string.h>

#include "crypto/address.h"
#include "crypto/bech32m.h"
#include "crypto/key.h"

static const char *const hrps[] = {"souk", "tsouk", "rsouk"};

/* x(3G), the public key of secret 3; the expected strings were computed by a
 * separate implementation of BIP350 and the 8-to-5-bit regrouping. */
static const char *const g3_hex =
    "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9";
static const char *const g3_addresses[] = {
    "souk1lycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmusx7un0d",
    "tsouk1lycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmuset3ugq",
    "rsouk1lycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmusrjdydg",
};

START_TEST(known_addresses)
{
    uint8_t pub[ADDRESS_PUBKEY_LEN], back[ADDRESS_PUBKEY_LEN];
    unit_hex(g3_hex, pub, sizeof pub);
    for (size_t i = 0; i < 3; i++) {
        char out[ADDRESS_MAX_LEN + 1];
        ck_assert_int_eq(address_encode(hrps[i], pub, out, sizeof out), ADDRESS_OK);
        ck_assert_str_eq(out, g3_addresses[i]);
        ck_assert_int_eq(address_decode(hrps[i], g3_addresses[i], back), ADDRESS_OK);
        ck_assert(memcmp(pub, back, sizeof pub) == 0);
    }
}
END_TEST

START_TEST(round_trip_each_network)
{
    for (size_t i = 0; i < 3; i++) {
        for (int n = 0; n < 20; n++) {
            uint8_t secret[KEY_SECRET_LEN], pub[KEY_PUBKEY_LEN], back[ADDRESS_PUBKEY_LEN];
            char addr[ADDRESS_MAX_LEN + 1];
            ck_assert(key_generate(secret));
            ck_assert(key_pubkey(secret, pub));
            ck_assert_int_eq(address_encode(hrps[i], pub, addr, sizeof addr), ADDRESS_OK);
            size_t hl = strlen(hrps[i]);
            ck_assert(strncmp(addr, hrps[i], hl) == 0 && addr[hl] == '1');
            ck_assert_uint_eq(strlen(addr), hl + 1 + ADDRESS_DATA_WORDS + 6);
            memset(back, 0, sizeof back);
            ck_assert_int_eq(address_decode(hrps[i], addr, back), ADDRESS_OK);
            ck_assert(memcmp(pub, back, sizeof pub) == 0);
        }
    }
}
END_TEST

START_TEST(uppercase_accepted)
{
    char upper[ADDRESS_MAX_LEN + 1];
    const char *a = g3_addresses[2];
    size_t n = strlen(a);
    for (size_t k = 0; k <= n; k++)
        upper[k] = (char)toupper((unsigned char)a[k]);
    uint8_t pub[ADDRESS_PUBKEY_LEN], expect[ADDRESS_PUBKEY_LEN];
    unit_hex(g3_hex, expect, sizeof expect);
    ck_assert_int_eq(address_decode("rsouk", upper, pub), ADDRESS_OK);
    ck_assert(memcmp(pub, expect, sizeof pub) == 0);
    /* the expected hrp is compared without case as well */
    ck_assert_int_eq(address_decode("RSOUK", a, pub), ADDRESS_OK);
}
END_TEST

/* Decodes str expecting err, and checks the output was not touched. */
static void expect_reject(const char *hrp, const char *str, enum address_error err)
{
    uint8_t pub[ADDRESS_PUBKEY_LEN];
    memset(pub, 0xa5, sizeof pub);
    enum address_error got = address_decode(hrp, str, pub);
    ck_assert_msg(got == err, "%s: got \"%s\", want \"%s\"", str, address_strerror(got),
                  address_strerror(err));
    for (size_t k = 0; k < sizeof pub; k++)
        ck_assert_uint_eq(pub[k], 0xa5);
}

START_TEST(reject_wrong_network)
{
    expect_reject("souk", g3_addresses[1], ADDRESS_ERR_WRONG_NETWORK);
    expect_reject("tsouk", g3_addresses[2], ADDRESS_ERR_WRONG_NETWORK);
    expect_reject("rsouk", g3_addresses[0], ADDRESS_ERR_WRONG_NETWORK);
    ck_assert_str_eq(address_strerror(ADDRESS_ERR_WRONG_NETWORK), "address is for another network");
}
END_TEST

START_TEST(reject_mixed_case)
{
    char s[ADDRESS_MAX_LEN + 1];
    strcpy(s, g3_addresses[0]);
    s[10] = (char)toupper((unsigned char)s[10]);
    expect_reject("souk", s, ADDRESS_ERR_MIXED_CASE);
}
END_TEST

START_TEST(reject_bad_checksum)
{
    char s[ADDRESS_MAX_LEN + 1];
    strcpy(s, g3_addresses[0]);
    s[20] = s[20] == 'q' ? 'p' : 'q';
    expect_reject("souk", s, ADDRESS_ERR_BAD_CHECKSUM);
    /* a mistyped prefix is a checksum error too, not a network error */
    strcpy(s, g3_addresses[0]);
    s[0] = 'x';
    expect_reject("souk", s, ADDRESS_ERR_BAD_CHECKSUM);
}
END_TEST

/* Builds a bech32m string for hrp from raw 5-bit words. */
static void make_string(const char *hrp, const uint8_t *words, size_t n, char *out)
{
    ck_assert_int_eq(bech32m_encode(hrp, words, n, out, ADDRESS_MAX_LEN + 1), BECH32M_OK);
}

static void g3_words(uint8_t words[ADDRESS_DATA_WORDS + 1])
{
    struct bech32m_decoded d;
    ck_assert_int_eq(bech32m_decode(g3_addresses[0], &d), BECH32M_OK);
    ck_assert_uint_eq(d.data_len, ADDRESS_DATA_WORDS);
    memcpy(words, d.data, ADDRESS_DATA_WORDS);
    words[ADDRESS_DATA_WORDS] = 0;
}

START_TEST(reject_data_length)
{
    uint8_t words[ADDRESS_DATA_WORDS + 1];
    char s[ADDRESS_MAX_LEN + 1];
    g3_words(words);
    make_string("souk", words, ADDRESS_DATA_WORDS - 1, s);
    expect_reject("souk", s, ADDRESS_ERR_DATA_LENGTH);
    make_string("souk", words, ADDRESS_DATA_WORDS + 1, s);
    expect_reject("souk", s, ADDRESS_ERR_DATA_LENGTH);
    make_string("souk", words, 0, s);
    expect_reject("souk", s, ADDRESS_ERR_DATA_LENGTH);
}
END_TEST

START_TEST(reject_padding)
{
    uint8_t words[ADDRESS_DATA_WORDS + 1];
    char s[ADDRESS_MAX_LEN + 1];
    /* the last word holds one key bit and four padding bits */
    for (uint8_t pad = 1; pad < 16; pad++) {
        g3_words(words);
        words[ADDRESS_DATA_WORDS - 1] |= pad;
        make_string("souk", words, ADDRESS_DATA_WORDS, s);
        expect_reject("souk", s, ADDRESS_ERR_PADDING);
    }
}
END_TEST

START_TEST(reject_not_on_curve)
{
    /* x = 5 is not the x coordinate of any curve point */
    uint8_t x[ADDRESS_PUBKEY_LEN] = {0};
    x[31] = 5;
    char s[ADDRESS_MAX_LEN + 1];
    memset(s, '#', sizeof s);
    ck_assert_int_eq(address_encode("souk", x, s, sizeof s), ADDRESS_ERR_NOT_ON_CURVE);
    ck_assert_uint_eq((unsigned char)s[0], '#');
    /* the same x = 5 spelled as words: key bits 253 and 255 (MSB first) fall
     * in word 50 (bits 250-254) as value 2 and word 51 (bit 255, then four
     * padding bits) as value 16 */
    uint8_t words[ADDRESS_DATA_WORDS];
    memset(words, 0, sizeof words);
    words[50] = 2;
    words[51] = 16;
    make_string("souk", words, ADDRESS_DATA_WORDS, s);
    expect_reject("souk", s, ADDRESS_ERR_NOT_ON_CURVE);
    /* the field prime p is not a valid coordinate either */
    uint8_t p[ADDRESS_PUBKEY_LEN];
    unit_hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", p, sizeof p);
    ck_assert_int_eq(address_encode("souk", p, s, sizeof s), ADDRESS_ERR_NOT_ON_CURVE);
}
END_TEST

START_TEST(reject_bech32m_layer_errors)
{
    expect_reject("souk", "soukqqqqqqqqqqqqqqqq", ADDRESS_ERR_NO_SEPARATOR);
    expect_reject("souk", "1lycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmusx7un0d",
                  ADDRESS_ERR_EMPTY_HRP);
    expect_reject("souk", "so uk1lycg5qvjtrp", ADDRESS_ERR_HRP_CHAR);
    expect_reject("souk", "souk1abcde", ADDRESS_ERR_TOO_SHORT);
    expect_reject("souk", "souk1lycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmusx7unbd",
                  ADDRESS_ERR_INVALID_CHAR);
    char longer[ADDRESS_MAX_LEN + 10];
    memset(longer, 'q', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memcpy(longer, "souk1", 5);
    expect_reject("souk", longer, ADDRESS_ERR_TOO_LONG);
    /* a bech32 (not bech32m) checksum */
    expect_reject("a", "a12uel5l", ADDRESS_ERR_BAD_CHECKSUM);
}
END_TEST

START_TEST(encode_errors)
{
    uint8_t pub[ADDRESS_PUBKEY_LEN];
    unit_hex(g3_hex, pub, sizeof pub);
    char out[ADDRESS_MAX_LEN + 1];
    size_t need = strlen(g3_addresses[0]) + 1;
    memset(out, '#', sizeof out);
    ck_assert_int_eq(address_encode("souk", pub, out, need - 1), ADDRESS_ERR_BUFFER);
    ck_assert_uint_eq((unsigned char)out[0], '#');
    ck_assert_int_eq(address_encode("souk", pub, out, need), ADDRESS_OK);
    ck_assert_int_eq(address_encode("", pub, out, sizeof out), ADDRESS_ERR_EMPTY_HRP);
    ck_assert_int_eq(address_encode("so uk", pub, out, sizeof out), ADDRESS_ERR_HRP_CHAR);
    char long_hrp[40];
    memset(long_hrp, 'a', sizeof long_hrp - 1);
    long_hrp[sizeof long_hrp - 1] = '\0';
    ck_assert_int_eq(address_encode(long_hrp, pub, out, sizeof out), ADDRESS_ERR_TOO_LONG);
    ck_assert_ptr_nonnull(address_strerror((enum address_error)999));
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        known_addresses, round_trip_each_network, uppercase_accepted, reject_wrong_network,
        reject_mixed_case, reject_bad_checksum, reject_data_length, reject_padding,
        reject_not_on_curve, reject_bech32m_layer_errors, encode_errors, NULL
    };
    return fixture_suite("address", NULL, tests);
}
