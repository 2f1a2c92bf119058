#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/envelope.h"
#include "consensus/serialize.h"
#include "crypto/aead.h"

/* The chat envelope: its canonical codec, id, signature, proof-of-work
 * stamp and time rules, and the plaintext inside, sealed and opened with
 * the foundation's sealed box. */

#define NOW 1800000000

static struct fixture_user alice, bob;

/* A text from alice to bob, sealed for bob, signed and stamped at `bits`. */
static void make(struct envelope *e, const char *text, unsigned bits)
{
    envelope_init(e);
    memcpy(e->sender, alice.pub, 32);
    memcpy(e->recipient, bob.pub, 32);
    e->timestamp = NOW;
    e->ttl = 3600;
    struct envelope_plaintext p = {.kind = ENVELOPE_KIND_TEXT, .text = text,
                                   .text_len = strlen(text)};
    struct buf pt;
    buf_init(&pt);
    ck_assert(envelope_plaintext_encode(&p, &pt));
    uint8_t key[AEAD_KEY_LEN];
    ck_assert(aead_shared_key(alice.sk, bob.pub, key));
    ck_assert(aead_seal(key, pt.data, pt.len, &e->ciphertext));
    buf_clear(&pt);
    ck_assert(envelope_sign(e, alice.sk));
    uint8_t id[32];
    ck_assert(envelope_id(e, id));
    envelope_pow_grind(id, envelope_pow_bits(bits, e->ciphertext.len), 2, &e->pow_nonce, NULL);
}

static enum envelope_err roundtrip(const struct envelope *e, struct envelope *out)
{
    struct buf b;
    buf_init(&b);
    ck_assert(envelope_encode(e, &b));
    enum envelope_err err = envelope_decode(b.data, b.len, out);
    if (err == ENVELOPE_OK) {
        struct buf again;
        buf_init(&again);
        ck_assert(envelope_encode(out, &again));
        ck_assert_uint_eq(again.len, b.len);
        ck_assert_mem_eq(again.data, b.data, b.len);
        buf_clear(&again);
    }
    buf_clear(&b);
    return err;
}

START_TEST(seal_sign_stamp_open)
{
    fixture_user_new(&alice);
    fixture_user_new(&bob);
    struct envelope e, d;
    make(&e, "Is the lamp still for sale?", 8);
    envelope_init(&d);
    ck_assert_int_eq(roundtrip(&e, &d), ENVELOPE_OK);
    ck_assert_int_eq(envelope_check(&d, 8, NOW), ENVELOPE_OK);
    /* bob opens it with his key and alice's; so could alice */
    uint8_t key[AEAD_KEY_LEN];
    ck_assert(aead_shared_key(bob.sk, alice.pub, key));
    struct buf pt;
    buf_init(&pt);
    ck_assert_int_eq(aead_open(key, d.ciphertext.data, d.ciphertext.len, &pt), AEAD_OK);
    struct ser_doc doc;
    ser_doc_init(&doc);
    struct envelope_plaintext p;
    ck_assert_int_eq(envelope_plaintext_decode(pt.data, pt.len, &doc, &p), ENVELOPE_OK);
    ck_assert_int_eq(p.kind, ENVELOPE_KIND_TEXT);
    ck_assert_uint_eq(p.text_len, strlen("Is the lamp still for sale?"));
    ck_assert_mem_eq(p.text, "Is the lamp still for sale?", p.text_len);
    ser_doc_clear(&doc);
    buf_clear(&pt);

    /* the id ignores the nonce: re-stamping is the same message */
    uint8_t id1[32], id2[32];
    ck_assert(envelope_id(&e, id1));
    e.pow_nonce ^= 0x12345;
    ck_assert(envelope_id(&e, id2));
    ck_assert_mem_eq(id1, id2, 32);
    envelope_clear(&e);
    envelope_clear(&d);
}
END_TEST

START_TEST(every_rule_refuses)
{
    fixture_user_new(&alice);
    fixture_user_new(&bob);
    struct envelope e;
    make(&e, "hello", 8);
    ck_assert_int_eq(envelope_check(&e, 8, NOW), ENVELOPE_OK);
    /* time: 2 h ahead is the limit; expired once timestamp + ttl is past;
     * an older, unexpired message is still taken */
    ck_assert_int_eq(envelope_check(&e, 8, NOW - ENVELOPE_CLOCK_SKEW), ENVELOPE_OK);
    ck_assert_int_eq(envelope_check(&e, 8, NOW - ENVELOPE_CLOCK_SKEW - 1), ENVELOPE_ERR_FUTURE);
    ck_assert_int_eq(envelope_check(&e, 8, NOW + 3600), ENVELOPE_OK);
    ck_assert_int_eq(envelope_check(&e, 8, NOW + 3601), ENVELOPE_ERR_EXPIRED);
    /* more work asked than done (the stamp found has some margin: ask 40) */
    ck_assert_int_eq(envelope_check(&e, 40, NOW), ENVELOPE_ERR_LOW_WORK);
    /* any signed field changed: the signature (or the work on the new id) fails */
    struct envelope t;
    envelope_init(&t);
    ck_assert_int_eq(roundtrip(&e, &t), ENVELOPE_OK);
    t.timestamp++;
    enum envelope_err r = envelope_check(&t, 0, NOW);
    ck_assert_int_eq(r, ENVELOPE_ERR_BAD_SIG);
    t.timestamp--;
    t.ciphertext.data[3] ^= 1;
    ck_assert_int_eq(envelope_check(&t, 0, NOW), ENVELOPE_ERR_BAD_SIG);
    t.ciphertext.data[3] ^= 1;
    memcpy(t.sender, bob.pub, 32);
    ck_assert_int_eq(envelope_check(&t, 0, NOW), ENVELOPE_ERR_BAD_SIG);
    envelope_clear(&t);
    /* ttl bounds */
    make(&t, "x", 0);
    t.ttl = 0;
    ck_assert_int_eq(envelope_check(&t, 0, NOW), ENVELOPE_ERR_TTL);
    t.ttl = ENVELOPE_TTL_MAX + 1;
    ck_assert_int_eq(envelope_check(&t, 0, NOW), ENVELOPE_ERR_TTL);
    envelope_clear(&t);

    /* the codec: a version 2, a non-key sender, a 33-byte order id, a
     * ciphertext above 256 KiB, a non-canonical integer, trailing bytes */
    struct buf b;
    buf_init(&b);
    ck_assert(envelope_encode(&e, &b));
    struct envelope d;
    envelope_init(&d);
    b.data[1] = 2; /* [0x99, version ...] */
    ck_assert_int_eq(envelope_decode(b.data, b.len, &d), ENVELOPE_ERR_VERSION);
    b.data[1] = 1;
    uint8_t keep = b.data[4];
    memset(b.data + 4, 0xff, 32); /* sender = 0xff.. is no point */
    ck_assert_int_eq(envelope_decode(b.data, b.len, &d), ENVELOPE_ERR_BAD_KEY);
    memcpy(b.data + 4, alice.pub, 32);
    ck_assert_uint_eq(b.data[4], keep);
    ck_assert(buf_append_byte(&b, 0));
    ck_assert_int_eq(envelope_decode(b.data, b.len, &d), ENVELOPE_ERR_MALFORMED);
    b.len--;
    ck_assert_int_eq(envelope_decode(b.data, b.len, &d), ENVELOPE_OK);
    buf_clear(&b);
    /* a non-canonical encoding of the same values: timestamp as uint64 */
    struct ser_writer w;
    ser_writer_init(&w, &b);
    ser_write_array(&w, 9);
    ser_write_uint(&w, 1);
    ser_write_bin(&w, e.sender, 32);
    ser_write_bin(&w, e.recipient, 32);
    static const uint8_t wide_ts[] = {0xcf, 0, 0, 0, 0, 0x6b, 0x49, 0xd2, 0x00};
    ser_write_raw(&w, wide_ts, sizeof wide_ts);
    ser_write_uint(&w, e.ttl);
    ser_write_bin(&w, NULL, 0);
    ser_write_uint(&w, e.pow_nonce);
    ser_write_bin(&w, e.ciphertext.data, e.ciphertext.len);
    ser_write_bin(&w, e.sig, 64);
    ck_assert(ser_writer_ok(&w));
    ck_assert_int_eq(envelope_decode(b.data, b.len, &d), ENVELOPE_ERR_MALFORMED);
    buf_clear(&b);
    /* oversize */
    struct envelope big;
    envelope_init(&big);
    memcpy(big.sender, alice.pub, 32);
    memcpy(big.recipient, bob.pub, 32);
    big.ttl = 60;
    ck_assert(buf_reserve(&big.ciphertext, ENVELOPE_CIPHERTEXT_MAX + 1));
    memset(big.ciphertext.data, 7, ENVELOPE_CIPHERTEXT_MAX + 1);
    big.ciphertext.len = ENVELOPE_CIPHERTEXT_MAX + 1;
    ck_assert(envelope_encode(&big, &b));
    ck_assert_int_eq(envelope_decode(b.data, b.len, &d), ENVELOPE_ERR_OVERSIZE);
    ck_assert_int_eq(envelope_check(&big, 0, 0), ENVELOPE_ERR_OVERSIZE);
    buf_clear(&b);
    envelope_clear(&big);
    envelope_clear(&d);
    envelope_clear(&e);
}
END_TEST

START_TEST(work_grows_with_size)
{
    ck_assert_uint_eq(envelope_pow_bits(20, 0), 20);
    ck_assert_uint_eq(envelope_pow_bits(20, 16 * 1024), 20);
    ck_assert_uint_eq(envelope_pow_bits(20, 16 * 1024 + 1), 21);
    ck_assert_uint_eq(envelope_pow_bits(20, 32 * 1024), 21);
    ck_assert_uint_eq(envelope_pow_bits(20, 32 * 1024 + 1), 22);
    ck_assert_uint_eq(envelope_pow_bits(20, 256 * 1024), 24); /* DESIGN.md: a 256 KiB attachment */
    ck_assert_uint_eq(envelope_pow_bits(1, 256 * 1024), 5);
    /* a stamp found at 12 bits meets 12 and the nonce's hash shows it */
    uint8_t id[32];
    memset(id, 0x42, 32);
    uint64_t nonce, tries;
    envelope_pow_grind(id, 12, 3, &nonce, &tries);
    ck_assert(envelope_pow_ok(id, nonce, 12));
    ck_assert_uint_ge(tries, 1);
    envelope_pow_grind(id, 12, 1, &nonce, &tries);
    ck_assert(envelope_pow_ok(id, nonce, 12));
    ck_assert(envelope_pow_ok(id, nonce, 0));
    ck_assert(!envelope_pow_ok(id, nonce, 257));
}
END_TEST

START_TEST(attachments_and_bad_plaintexts)
{
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2};
    struct envelope_plaintext p = {.kind = ENVELOPE_KIND_ATTACHMENT, .mime = "image/png",
                                   .mime_len = 9, .name = "parcel.png", .name_len = 10,
                                   .bytes = png, .bytes_len = sizeof png};
    struct buf b;
    buf_init(&b);
    ck_assert(envelope_plaintext_encode(&p, &b));
    struct ser_doc doc;
    ser_doc_init(&doc);
    struct envelope_plaintext q;
    ck_assert_int_eq(envelope_plaintext_decode(b.data, b.len, &doc, &q), ENVELOPE_OK);
    ck_assert_int_eq(q.kind, ENVELOPE_KIND_ATTACHMENT);
    ck_assert_uint_eq(q.bytes_len, sizeof png);
    ck_assert_mem_eq(q.bytes, png, sizeof png);
    ck_assert_mem_eq(q.name, "parcel.png", 10);
    buf_clear(&b);
    /* kind 2; a text where the attachment's array belongs; an empty mime */
    static const uint8_t kind2[] = {0x92, 0x02, 0xa0};
    ck_assert_int_eq(envelope_plaintext_decode(kind2, sizeof kind2, &doc, &q),
                     ENVELOPE_ERR_PLAINTEXT);
    static const uint8_t att_text[] = {0x92, 0x01, 0xa1, 'x'};
    ck_assert_int_eq(envelope_plaintext_decode(att_text, sizeof att_text, &doc, &q),
                     ENVELOPE_ERR_PLAINTEXT);
    static const uint8_t no_mime[] = {0x92, 0x01, 0x93, 0xa0, 0xa0, 0xc4, 0x00};
    ck_assert_int_eq(envelope_plaintext_decode(no_mime, sizeof no_mime, &doc, &q),
                     ENVELOPE_ERR_PLAINTEXT);
    ser_doc_clear(&doc);
    ck_assert_str_eq(envelope_reason(ENVELOPE_ERR_LOW_WORK), "envelope-low-work");
    ck_assert_str_eq(envelope_reason(ENVELOPE_ERR_COUNT_), "envelope-unknown");
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {seal_sign_stamp_open, every_rule_refuses, work_grows_with_size,
                            attachments_and_bad_plaintexts, NULL};
    return fixture_suite("envelope", NULL, tests);
}
