#include "unit.h"
#include "fixture.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hmac.h"
#include "util/hex.h"

struct rfc4231_case {
    uint8_t key_byte;
    size_t key_len;
    const char *key_str;
    const char *data;
    const char *sha256;
    const char *sha512;
};

/* RFC 4231 test cases 1, 2 and 6 (6: a key longer than the block size). */
static const struct rfc4231_case rfc4231[] = {
    {0x0b, 20, NULL, "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
     "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
    {0, 0, "Jefe", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
    {0xaa, 131, NULL, "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
     "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
     "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
};

START_TEST(rfc4231_vectors)
{
    const struct rfc4231_case *c = &rfc4231[_i];
    uint8_t key[131];
    size_t keylen;
    if (c->key_str != NULL) {
        keylen = strlen(c->key_str);
        memcpy(key, c->key_str, keylen);
    } else {
        keylen = c->key_len;
        memset(key, c->key_byte, keylen);
    }
    uint8_t out256[HMAC_SHA256_LEN], out512[HMAC_SHA512_LEN];
    ck_assert(hmac_sha256(key, keylen, c->data, strlen(c->data), out256));
    fixture_check_hex(out256, sizeof out256, c->sha256);
    ck_assert(hmac_sha512(key, keylen, c->data, strlen(c->data), out512));
    fixture_check_hex(out512, sizeof out512, c->sha512);
}
END_TEST

/* Empty key and message are legal HMAC inputs (values from another HMAC
 * implementation); a NULL key pointer with length 0 must work too. */
START_TEST(empty_key_and_message)
{
    uint8_t out256[HMAC_SHA256_LEN], out512[HMAC_SHA512_LEN];
    ck_assert(hmac_sha256(NULL, 0, NULL, 0, out256));
    fixture_check_hex(out256, sizeof out256,
              "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    ck_assert(hmac_sha512("", 0, "", 0, out512));
    fixture_check_hex(out512, sizeof out512,
              "b936cee86c9f87aa5d3c6f2e84cb5a4239a5fe50480a6ec66b70ab5b1f4ac673"
              "0c6c515421b327ec1d69402e53dfb49ad7381eb067b338fd7b0cb22247225d47");
}
END_TEST

START_TEST(key_changes_mac)
{
    uint8_t a[HMAC_SHA256_LEN], b[HMAC_SHA256_LEN];
    ck_assert(hmac_sha256("key1", 4, "msg", 3, a));
    ck_assert(hmac_sha256("key2", 4, "msg", 3, b));
    ck_assert(memcmp(a, b, sizeof a) != 0);
    ck_assert(hmac_sha256("key1", 4, "msh", 3, b));
    ck_assert(memcmp(a, b, sizeof a) != 0);
}
END_TEST

struct hkdf_vector {
    uint8_t ikm[64], salt[64], info[64], okm[128];
    size_t ikm_len, salt_len, info_len, okm_len;
};

static size_t hex_field(json_t *obj, const char *name, uint8_t *out, size_t cap)
{
    const char *hex = json_string_value(json_object_get(obj, name));
    ck_assert_msg(hex != NULL, "missing field %s", name);
    size_t len = strlen(hex) / 2;
    ck_assert_uint_le(len, cap);
    unit_hex(hex, out, len);
    return len;
}

static void load_hkdf(struct hkdf_vector *v)
{
    char *text = unit_read_data("aead_hkdf.json", NULL);
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    ck_assert_msg(root != NULL, "aead_hkdf.json: %s", err.text);
    json_t *h = json_object_get(root, "hkdf_sha256");
    ck_assert_ptr_nonnull(h);
    v->ikm_len = hex_field(h, "ikm", v->ikm, sizeof v->ikm);
    v->salt_len = hex_field(h, "salt", v->salt, sizeof v->salt);
    v->info_len = hex_field(h, "info", v->info, sizeof v->info);
    v->okm_len = hex_field(h, "okm", v->okm, sizeof v->okm);
    ck_assert_int_eq(json_integer_value(json_object_get(h, "length")), (json_int_t)v->okm_len);
    json_decref(root);
    free(text);
}

/* RFC 5869 test case 1, from test/data; its PRK is given in the RFC. */
START_TEST(rfc5869_vector)
{
    struct hkdf_vector v;
    load_hkdf(&v);
    uint8_t okm[128];
    ck_assert(hmac_hkdf_sha256(v.salt, v.salt_len, v.ikm, v.ikm_len, v.info, v.info_len, okm,
                               v.okm_len));
    ck_assert(memcmp(okm, v.okm, v.okm_len) == 0);

    uint8_t prk[HMAC_SHA256_LEN];
    ck_assert(hmac_hkdf_sha256_extract(v.salt, v.salt_len, v.ikm, v.ikm_len, prk));
    fixture_check_hex(prk, sizeof prk,
                      "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    /* extract is HMAC(salt, ikm) by definition */
    uint8_t mac[HMAC_SHA256_LEN];
    ck_assert(hmac_sha256(v.salt, v.salt_len, v.ikm, v.ikm_len, mac));
    ck_assert(memcmp(prk, mac, sizeof mac) == 0);

    memset(okm, 0, sizeof okm);
    ck_assert(hmac_hkdf_sha256_expand(prk, sizeof prk, v.info, v.info_len, okm, v.okm_len));
    ck_assert(memcmp(okm, v.okm, v.okm_len) == 0);
}
END_TEST

/* RFC 5869 test case 3: empty salt and info. */
START_TEST(empty_salt_and_info)
{
    uint8_t ikm[22], okm[42];
    memset(ikm, 0x0b, sizeof ikm);
    ck_assert(hmac_hkdf_sha256(NULL, 0, ikm, sizeof ikm, NULL, 0, okm, sizeof okm));
    uint8_t expect[42];
    unit_hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
             "9d201395faa4b61a96c8",
             expect, sizeof expect);
    ck_assert(memcmp(okm, expect, sizeof okm) == 0);
    /* an empty salt is HashLen zero bytes */
    uint8_t zeros[HMAC_SHA256_LEN] = {0}, prk1[HMAC_SHA256_LEN], prk2[HMAC_SHA256_LEN];
    ck_assert(hmac_hkdf_sha256_extract(NULL, 0, ikm, sizeof ikm, prk1));
    ck_assert(hmac_hkdf_sha256_extract(zeros, sizeof zeros, ikm, sizeof ikm, prk2));
    ck_assert(memcmp(prk1, prk2, sizeof prk1) == 0);
}
END_TEST

START_TEST(hkdf_bad_lengths)
{
    uint8_t prk[HMAC_SHA256_LEN] = {1};
    static uint8_t big[HMAC_HKDF_SHA256_MAX_LEN + 1];
    ck_assert(hmac_hkdf_sha256_expand(prk, sizeof prk, "i", 1, big, HMAC_HKDF_SHA256_MAX_LEN));
    ck_assert(!hmac_hkdf_sha256_expand(prk, sizeof prk, "i", 1, big, sizeof big));
    ck_assert(!hmac_hkdf_sha256_expand(prk, sizeof prk, "i", 1, big, 0));
    ck_assert(!hmac_hkdf_sha256_expand(prk, sizeof prk - 1, "i", 1, big, 32));
    ck_assert(!hmac_hkdf_sha256(NULL, 0, "ikm", 3, NULL, 0, big, sizeof big));
    ck_assert(!hmac_hkdf_sha256_extract(NULL, 0, NULL, 0, prk));
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {empty_key_and_message, key_changes_mac, rfc5869_vector,
                            empty_salt_and_info, hkdf_bad_lengths, NULL};
    Suite *s = suite_create("hmac");
    TCase *tc = fixture_case_add(s, NULL, tests);
    tcase_add_loop_test(tc, rfc4231_vectors, 0, (int)(sizeof rfc4231 / sizeof rfc4231[0]));
    return s;
}
