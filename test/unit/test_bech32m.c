#include "unit.h"
#include "fixture.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/bech32m.h"

static json_t *load_vectors(void)
{
    char *text = unit_read_data("bech32m.json", NULL);
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    free(text);
    ck_assert_msg(root != NULL, "bech32m.json: %s", err.text);
    return root;
}

static json_t *vector_list(json_t *root, const char *name)
{
    json_t *list = json_object_get(root, name);
    ck_assert_msg(json_is_array(list) && json_array_size(list) > 0, "bech32m.json: no %s", name);
    return list;
}

START_TEST(valid_vectors_round_trip)
{
    json_t *root = load_vectors();
    json_t *list = vector_list(root, "valid_bech32m");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        const char *s = json_string_value(item);
        ck_assert_ptr_nonnull(s);
        struct bech32m_decoded d;
        enum bech32m_error e = bech32m_decode(s, &d);
        ck_assert_msg(e == BECH32M_OK, "%s: %s", s, bech32m_strerror(e));
        char lower[BECH32M_MAX_LEN + 1], again[BECH32M_MAX_LEN + 1];
        size_t n = strlen(s);
        for (size_t k = 0; k <= n; k++)
            lower[k] = (char)tolower((unsigned char)s[k]);
        ck_assert_int_eq(bech32m_encode(d.hrp, d.data, d.data_len, again, sizeof again),
                         BECH32M_OK);
        ck_assert_str_eq(again, lower);
    }
    json_decref(root);
}
END_TEST

struct expected_error {
    const char *str;
    enum bech32m_error err;
};

/* The reason BIP350 gives for each invalid vector, as our error code. */
static const struct expected_error invalid_reasons[] = {
    {" 1xj0phk", BECH32M_ERR_HRP_CHAR},
    {"\x7f" "1g6xzxy", BECH32M_ERR_HRP_CHAR},
    {"\xc2\x80" "1vctc34", BECH32M_ERR_HRP_CHAR},
    {"an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
     BECH32M_ERR_TOO_LONG},
    {"qyrz8wqd2c9m", BECH32M_ERR_NO_SEPARATOR},
    {"1qyrz8wqd2c9m", BECH32M_ERR_EMPTY_HRP},
    {"y1b0jsk6g", BECH32M_ERR_INVALID_CHAR},
    {"lt1igcx5c0", BECH32M_ERR_INVALID_CHAR},
    {"in1muywd", BECH32M_ERR_TOO_SHORT},
    {"mm1crxm3i", BECH32M_ERR_INVALID_CHAR},
    {"au1s5cgom", BECH32M_ERR_INVALID_CHAR},
    {"M1VUXWEZ", BECH32M_ERR_BAD_CHECKSUM},
    {"16plkw9", BECH32M_ERR_EMPTY_HRP},
    {"1p2gdwpf", BECH32M_ERR_EMPTY_HRP},
};

static void check_rejected(const char *s, enum bech32m_error want)
{
    struct bech32m_decoded d;
    memset(&d, 0x77, sizeof d);
    enum bech32m_error e = bech32m_decode(s, &d);
    ck_assert_msg(e != BECH32M_OK, "accepted invalid string %s", s);
    if (want != BECH32M_OK)
        ck_assert_msg(e == want, "%s: got \"%s\", want \"%s\"", s, bech32m_strerror(e),
                      bech32m_strerror(want));
    /* the output is left as it was */
    const uint8_t *raw = (const uint8_t *)&d;
    for (size_t k = 0; k < sizeof d; k++)
        ck_assert_uint_eq(raw[k], 0x77);
}

START_TEST(invalid_vectors_rejected)
{
    json_t *root = load_vectors();
    json_t *list = vector_list(root, "invalid_bech32m");
    size_t i, matched = 0;
    json_t *item;
    json_array_foreach(list, i, item) {
        const char *s = json_string_value(item);
        ck_assert_ptr_nonnull(s);
        enum bech32m_error want = BECH32M_OK;
        for (size_t k = 0; k < sizeof invalid_reasons / sizeof invalid_reasons[0]; k++)
            if (strcmp(invalid_reasons[k].str, s) == 0) {
                want = invalid_reasons[k].err;
                matched++;
            }
        check_rejected(s, want);
    }
    ck_assert_uint_eq(matched, sizeof invalid_reasons / sizeof invalid_reasons[0]);
    json_decref(root);
}
END_TEST

START_TEST(bech32_checksums_rejected)
{
    json_t *root = load_vectors();
    json_t *list = vector_list(root, "valid_bech32_but_not_bech32m");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
        check_rejected(json_string_value(item), BECH32M_ERR_BAD_CHECKSUM);
    json_decref(root);
}
END_TEST

/* Changing any one character of a valid string to another alphabet
 * character must break the checksum (BCH codes detect any single error). */
START_TEST(single_substitutions_detected)
{
    char s[] = "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx";
    struct bech32m_decoded d;
    ck_assert_int_eq(bech32m_decode(s, &d), BECH32M_OK);
    const char *alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    for (size_t pos = 7; pos < strlen(s); pos++) {
        char orig = s[pos];
        for (const char *c = alphabet; *c != '\0'; c++) {
            if (*c == orig)
                continue;
            s[pos] = *c;
            ck_assert_int_eq(bech32m_decode(s, &d), BECH32M_ERR_BAD_CHECKSUM);
        }
        s[pos] = orig;
    }
    /* a changed hrp letter too */
    s[0] = 'b';
    ck_assert_int_eq(bech32m_decode(s, &d), BECH32M_ERR_BAD_CHECKSUM);
}
END_TEST

START_TEST(decode_details)
{
    struct bech32m_decoded d;
    ck_assert_int_eq(bech32m_decode("A1LQFN3A", &d), BECH32M_OK);
    ck_assert_str_eq(d.hrp, "a");
    ck_assert_uint_eq(d.data_len, 0);
    /* the last '1' separates: hrp "11", data all 'l' (31) */
    ck_assert_int_eq(bech32m_decode("11lllllllllllllllllllllllllllllllllllllllllllllllllllllll"
                                    "lllllllllllllllllllllllllllludsr8",
                                    &d),
                     BECH32M_OK);
    ck_assert_str_eq(d.hrp, "1");
    ck_assert_uint_eq(d.data_len, 82);
    for (size_t i = 0; i < d.data_len; i++)
        ck_assert_uint_eq(d.data[i], 31);
    ck_assert_int_eq(bech32m_decode("", &d), BECH32M_ERR_NO_SEPARATOR);
    ck_assert_int_eq(bech32m_decode("Abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx", &d),
                     BECH32M_ERR_MIXED_CASE);
}
END_TEST

START_TEST(encode_errors)
{
    uint8_t data[90] = {0};
    char out[BECH32M_MAX_LEN + 1];
    memset(out, '#', sizeof out);
    ck_assert_int_eq(bech32m_encode("", data, 1, out, sizeof out), BECH32M_ERR_EMPTY_HRP);
    ck_assert_int_eq(bech32m_encode("a b", data, 1, out, sizeof out), BECH32M_ERR_HRP_CHAR);
    ck_assert_int_eq(bech32m_encode("a\x7f", data, 1, out, sizeof out), BECH32M_ERR_HRP_CHAR);
    data[3] = 32;
    ck_assert_int_eq(bech32m_encode("a", data, 4, out, sizeof out), BECH32M_ERR_DATA_VALUE);
    data[3] = 0;
    /* hrp 1 + '1' + 82 data + 6 checksum = 90: the longest legal string */
    ck_assert_int_eq(bech32m_encode("a", data, 83, out, sizeof out), BECH32M_ERR_TOO_LONG);
    ck_assert_int_eq(bech32m_encode("a", data, 82, out, 90), BECH32M_ERR_BUFFER);
    ck_assert_uint_eq((unsigned char)out[0], '#');
    ck_assert_int_eq(bech32m_encode("a", data, 82, out, 91), BECH32M_OK);
    ck_assert_uint_eq(strlen(out), 90);
    struct bech32m_decoded d;
    ck_assert_int_eq(bech32m_decode(out, &d), BECH32M_OK);
    ck_assert_uint_eq(d.data_len, 82);
    /* an uppercase hrp is written lowercase, with the same checksum */
    char lower[BECH32M_MAX_LEN + 1];
    ck_assert_int_eq(bech32m_encode("SOUK", data, 5, out, sizeof out), BECH32M_OK);
    ck_assert_int_eq(bech32m_encode("souk", data, 5, lower, sizeof lower), BECH32M_OK);
    ck_assert_str_eq(out, lower);
    ck_assert_str_ne(bech32m_strerror(BECH32M_ERR_BAD_CHECKSUM), bech32m_strerror(BECH32M_OK));
    ck_assert_ptr_nonnull(bech32m_strerror((enum bech32m_error)999));
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        valid_vectors_round_trip, invalid_vectors_rejected, bech32_checksums_rejected,
        single_substitutions_detected, decode_details, encode_errors, NULL
    };
    return fixture_suite("bech32m", NULL, tests);
}
