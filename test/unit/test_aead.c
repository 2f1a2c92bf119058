#include "unit.h"
#include "fixture.h"

#include <jansson.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/hmac.h"
#include "crypto/key.h"
#include "util/buf.h"

struct rfc8439 {
    uint8_t key[AEAD_KEY_LEN], nonce[AEAD_NONCE_LEN], tag[AEAD_TAG_LEN];
    struct buf aad, pt, ct;
};

static void hex_buf(json_t *obj, const char *name, struct buf *out)
{
    const char *hex = json_string_value(json_object_get(obj, name));
    ck_assert_msg(hex != NULL, "aead_hkdf.json: missing %s", name);
    buf_init(out);
    size_t len = strlen(hex) / 2;
    ck_assert(buf_reserve(out, len + 1));
    unit_hex(hex, out->data, len);
    out->len = len;
}

static void hex_fixed(json_t *obj, const char *name, uint8_t *out, size_t len)
{
    const char *hex = json_string_value(json_object_get(obj, name));
    ck_assert_msg(hex != NULL, "aead_hkdf.json: missing %s", name);
    unit_hex(hex, out, len);
}

static void load_rfc8439(struct rfc8439 *v)
{
    char *text = unit_read_data("aead_hkdf.json", NULL);
    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    free(text);
    ck_assert_msg(root != NULL, "aead_hkdf.json: %s", err.text);
    json_t *c = json_object_get(root, "chacha20poly1305");
    ck_assert_ptr_nonnull(c);
    hex_fixed(c, "key", v->key, sizeof v->key);
    hex_fixed(c, "nonce", v->nonce, sizeof v->nonce);
    hex_fixed(c, "tag", v->tag, sizeof v->tag);
    hex_buf(c, "aad", &v->aad);
    hex_buf(c, "plaintext_hex", &v->pt);
    hex_buf(c, "ciphertext", &v->ct);
    ck_assert_uint_eq(v->pt.len, v->ct.len);
    json_decref(root);
}

static void free_rfc8439(struct rfc8439 *v)
{
    buf_clear(&v->aad);
    buf_clear(&v->pt);
    buf_clear(&v->ct);
}

START_TEST(rfc8439_vector)
{
    struct rfc8439 v;
    load_rfc8439(&v);
    struct buf out;
    buf_init(&out);
    ck_assert(aead_encrypt(v.key, v.nonce, v.aad.data, v.aad.len, v.pt.data, v.pt.len, &out));
    ck_assert_uint_eq(out.len, v.ct.len + AEAD_TAG_LEN);
    ck_assert(memcmp(out.data, v.ct.data, v.ct.len) == 0);
    ck_assert(memcmp(out.data + v.ct.len, v.tag, AEAD_TAG_LEN) == 0);

    struct buf pt;
    buf_init(&pt);
    ck_assert_int_eq(aead_decrypt(v.key, v.nonce, v.aad.data, v.aad.len, out.data, out.len, &pt),
                     AEAD_OK);
    ck_assert_uint_eq(pt.len, v.pt.len);
    ck_assert(memcmp(pt.data, v.pt.data, pt.len) == 0);
    buf_clear(&pt);
    buf_clear(&out);
    free_rfc8439(&v);
}
END_TEST

/* Opens ct||tag expecting failure, and checks out kept its old contents. */
static void expect_auth_failure(const struct rfc8439 *v, const uint8_t *nonce, const void *aad,
                                size_t aadlen, const struct buf *sealed)
{
    struct buf out;
    buf_init(&out);
    ck_assert(buf_append(&out, "keep", 4));
    ck_assert_int_eq(aead_decrypt(v->key, nonce, aad, aadlen, sealed->data, sealed->len, &out),
                     AEAD_ERR_AUTH);
    ck_assert_uint_eq(out.len, 4);
    ck_assert(memcmp(out.data, "keep", 4) == 0);
    /* the rejected plaintext is not left in the spare capacity either */
    for (size_t i = 0; i + 6 <= out.cap; i++)
        ck_assert(memcmp(out.data + i, "Ladies", 6) != 0);
    buf_clear(&out);
}

START_TEST(rfc8439_tampering_rejected)
{
    struct rfc8439 v;
    load_rfc8439(&v);
    struct buf sealed;
    buf_init(&sealed);
    ck_assert(buf_append(&sealed, v.ct.data, v.ct.len));
    ck_assert(buf_append(&sealed, v.tag, AEAD_TAG_LEN));

    sealed.data[sealed.len - 1] ^= 0x01; /* tag */
    expect_auth_failure(&v, v.nonce, v.aad.data, v.aad.len, &sealed);
    sealed.data[sealed.len - 1] ^= 0x01;
    sealed.data[5] ^= 0x80; /* ciphertext */
    expect_auth_failure(&v, v.nonce, v.aad.data, v.aad.len, &sealed);
    sealed.data[5] ^= 0x80;
    v.aad.data[0] ^= 0x01; /* associated data */
    expect_auth_failure(&v, v.nonce, v.aad.data, v.aad.len, &sealed);
    expect_auth_failure(&v, v.nonce, NULL, 0, &sealed);
    v.aad.data[0] ^= 0x01;
    uint8_t nonce[AEAD_NONCE_LEN];
    memcpy(nonce, v.nonce, sizeof nonce);
    nonce[11] ^= 0x01;
    expect_auth_failure(&v, nonce, v.aad.data, v.aad.len, &sealed);

    /* untouched again, it opens */
    struct buf pt;
    buf_init(&pt);
    ck_assert_int_eq(
        aead_decrypt(v.key, v.nonce, v.aad.data, v.aad.len, sealed.data, sealed.len, &pt),
        AEAD_OK);
    ck_assert_int_eq(aead_decrypt(v.key, v.nonce, NULL, 0, sealed.data, AEAD_TAG_LEN - 1, &pt),
                     AEAD_ERR_TOO_SHORT);
    buf_clear(&pt);
    buf_clear(&sealed);
    free_rfc8439(&v);
}
END_TEST

/* The shared key computed another way: B lifted to even y, multiplied by a
 * (tweak_mul), its x coordinate read from the compressed encoding, then
 * HKDF with the chat info. */
static void shared_key_by_hand(const uint8_t a[32], const uint8_t bx[32], uint8_t out[32])
{
    const secp256k1_context *ctx = key_context();
    uint8_t ser[33];
    ser[0] = 0x02;
    memcpy(ser + 1, bx, 32);
    secp256k1_pubkey p;
    ck_assert(secp256k1_ec_pubkey_parse(ctx, &p, ser, sizeof ser));
    ck_assert(secp256k1_ec_pubkey_tweak_mul(ctx, &p, a));
    size_t len = sizeof ser;
    ck_assert(secp256k1_ec_pubkey_serialize(ctx, ser, &len, &p, SECP256K1_EC_COMPRESSED));
    ck_assert(hmac_hkdf_sha256(NULL, 0, ser + 1, 32, "souk/chat/v1", 12, out, 32));
}

static int parity_of(const uint8_t secret[32])
{
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey xonly;
    int parity = -1;
    ck_assert(secp256k1_keypair_create(key_context(), &kp, secret));
    ck_assert(secp256k1_keypair_xonly_pub(key_context(), &xonly, &parity, &kp));
    return parity;
}

START_TEST(shared_key_symmetric)
{
    int combos[2][2] = {{0, 0}, {0, 0}};
    for (int i = 0; i < 64; i++) {
        uint8_t a[32], b[32], ax[32], bx[32], kab[32], kba[32], hand[32];
        ck_assert(key_generate(a));
        ck_assert(key_generate(b));
        ck_assert(key_pubkey(a, ax));
        ck_assert(key_pubkey(b, bx));
        ck_assert(aead_shared_key(a, bx, kab));
        ck_assert(aead_shared_key(b, ax, kba));
        ck_assert(memcmp(kab, kba, 32) == 0);
        shared_key_by_hand(a, bx, hand);
        ck_assert(memcmp(kab, hand, 32) == 0);
        combos[parity_of(a)][parity_of(b)]++;
    }
    /* every mix of y parities occurred (each misses with chance (3/4)^64) */
    for (int pa = 0; pa < 2; pa++)
        for (int pb = 0; pb < 2; pb++)
            ck_assert_msg(combos[pa][pb] > 0, "parities %d/%d never drawn", pa, pb);
}
END_TEST

START_TEST(shared_key_rejects_bad_input)
{
    uint8_t a[32], bx[32], k[32];
    ck_assert(key_generate(a));
    memset(bx, 0, sizeof bx);
    bx[31] = 5; /* no curve point has x = 5 */
    memset(k, 0x3c, sizeof k);
    ck_assert(!aead_shared_key(a, bx, k));
    uint8_t zero[32] = {0};
    ck_assert(key_pubkey(a, bx));
    ck_assert(!aead_shared_key(zero, bx, k));
    for (size_t i = 0; i < sizeof k; i++)
        ck_assert_uint_eq(k[i], 0x3c);
    /* a third party derives a different key */
    uint8_t b[32], c[32], bx2[32], kab[32], kcb[32];
    ck_assert(key_generate(b));
    ck_assert(key_generate(c));
    ck_assert(key_pubkey(b, bx2));
    ck_assert(aead_shared_key(a, bx2, kab));
    ck_assert(aead_shared_key(c, bx2, kcb));
    ck_assert(memcmp(kab, kcb, 32) != 0);
}
END_TEST

static void make_key(uint8_t key[AEAD_KEY_LEN])
{
    uint8_t a[32], b[32], bx[32];
    ck_assert(key_generate(a));
    ck_assert(key_generate(b));
    ck_assert(key_pubkey(b, bx));
    ck_assert(aead_shared_key(a, bx, key));
}

START_TEST(seal_open_round_trip)
{
    uint8_t key[AEAD_KEY_LEN];
    make_key(key);
    size_t sizes[] = {0, 1, 63, 64, 65, 1000, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        uint8_t *pt = malloc(n + 1);
        ck_assert_ptr_nonnull(pt);
        for (size_t k = 0; k < n; k++)
            pt[k] = (uint8_t)(k * 7 + i);
        struct buf sealed, opened;
        buf_init(&sealed);
        buf_init(&opened);
        /* appends: what was in the buffers before stays in front */
        ck_assert(buf_append(&sealed, "xy", 2));
        ck_assert(buf_append(&opened, "z", 1));
        ck_assert(aead_seal(key, pt, n, &sealed));
        ck_assert_uint_eq(sealed.len, 2 + n + AEAD_OVERHEAD);
        ck_assert(memcmp(sealed.data, "xy", 2) == 0);
        ck_assert_int_eq(aead_open(key, sealed.data + 2, sealed.len - 2, &opened), AEAD_OK);
        ck_assert_uint_eq(opened.len, 1 + n);
        ck_assert(memcmp(opened.data, "z", 1) == 0);
        ck_assert(n == 0 || memcmp(opened.data + 1, pt, n) == 0);
        buf_clear(&sealed);
        buf_clear(&opened);
        free(pt);
    }
}
END_TEST

START_TEST(seals_differ)
{
    uint8_t key[AEAD_KEY_LEN];
    make_key(key);
    struct buf s1, s2;
    buf_init(&s1);
    buf_init(&s2);
    ck_assert(aead_seal(key, "same text", 9, &s1));
    ck_assert(aead_seal(key, "same text", 9, &s2));
    ck_assert_uint_eq(s1.len, s2.len);
    /* fresh nonces, so different nonce and different ciphertext */
    ck_assert(memcmp(s1.data, s2.data, AEAD_NONCE_LEN) != 0);
    ck_assert(memcmp(s1.data + AEAD_NONCE_LEN, s2.data + AEAD_NONCE_LEN, 9) != 0);
    buf_clear(&s1);
    buf_clear(&s2);
}
END_TEST

/* Opening must fail with err and leave out exactly as it was. */
static void expect_open_failure(const uint8_t key[AEAD_KEY_LEN], const uint8_t *sealed,
                                size_t len, enum aead_error err)
{
    struct buf out;
    buf_init(&out);
    ck_assert(buf_append(&out, "prior", 5));
    enum aead_error got = aead_open(key, sealed, len, &out);
    ck_assert_msg(got == err, "got \"%s\", want \"%s\"", aead_strerror(got), aead_strerror(err));
    ck_assert_uint_eq(out.len, 5);
    ck_assert(memcmp(out.data, "prior", 5) == 0);
    buf_clear(&out);
}

START_TEST(tampered_boxes_rejected)
{
    uint8_t key[AEAD_KEY_LEN];
    make_key(key);
    const char *msg = "meet at the usual place";
    struct buf box;
    buf_init(&box);
    ck_assert(aead_seal(key, msg, strlen(msg), &box));
    /* every single byte of nonce, ciphertext and tag is covered */
    for (size_t i = 0; i < box.len; i++) {
        box.data[i] ^= 0x20;
        expect_open_failure(key, box.data, box.len, AEAD_ERR_AUTH);
        box.data[i] ^= 0x20;
    }
    /* truncation: cut tag bytes, or below the fixed overhead */
    expect_open_failure(key, box.data, box.len - 1, AEAD_ERR_AUTH);
    expect_open_failure(key, box.data, AEAD_OVERHEAD - 1, AEAD_ERR_TOO_SHORT);
    expect_open_failure(key, box.data, 0, AEAD_ERR_TOO_SHORT);
    /* an appended byte */
    ck_assert(buf_append_byte(&box, 0));
    expect_open_failure(key, box.data, box.len, AEAD_ERR_AUTH);
    box.len--;

    struct buf out;
    buf_init(&out);
    ck_assert_int_eq(aead_open(key, box.data, box.len, &out), AEAD_OK);
    ck_assert_uint_eq(out.len, strlen(msg));
    ck_assert(memcmp(out.data, msg, out.len) == 0);
    buf_clear(&out);
    buf_clear(&box);
}
END_TEST

START_TEST(wrong_key_rejected)
{
    uint8_t key[AEAD_KEY_LEN], other[AEAD_KEY_LEN];
    make_key(key);
    make_key(other);
    struct buf box;
    buf_init(&box);
    ck_assert(aead_seal(key, "secret", 6, &box));
    expect_open_failure(other, box.data, box.len, AEAD_ERR_AUTH);
    key[0] ^= 1;
    expect_open_failure(key, box.data, box.len, AEAD_ERR_AUTH);
    /* an empty plaintext is authenticated too */
    key[0] ^= 1;
    buf_reset(&box);
    ck_assert(aead_seal(key, NULL, 0, &box));
    ck_assert_uint_eq(box.len, AEAD_OVERHEAD);
    expect_open_failure(other, box.data, box.len, AEAD_ERR_AUTH);
    buf_clear(&box);
    ck_assert_str_ne(aead_strerror(AEAD_ERR_AUTH), aead_strerror(AEAD_ERR_TOO_SHORT));
    ck_assert_ptr_nonnull(aead_strerror((enum aead_error)99));
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        rfc8439_vector, rfc8439_tampering_rejected, shared_key_symmetric,
        shared_key_rejects_bad_input, seal_open_round_trip, seals_differ, tampered_boxes_rejected,
        wrong_key_rejected, NULL
    };
    return fixture_suite("aead", NULL, tests);
}
