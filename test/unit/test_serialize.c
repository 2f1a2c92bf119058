#include "unit.h"
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/serialize.h"
#include "util/hex.h"

#define X4(s) s s s s
#define X16(s) X4(X4(s))
#define X32(s) X16(s) X16(s)

static enum ser_err parse_hex(struct ser_doc *doc, const char *hex)
{
    struct buf b;
    buf_init(&b);
    ck_assert_msg(hex_decode_buf(hex, strlen(hex), &b), "bad hex in test: %s", hex);
    enum ser_err err = ser_doc_parse(doc, b.data, b.len);
    buf_clear(&b);
    return err;
}

static void check_bytes(const struct buf *b, const char *hex)
{
    char *s = malloc(2 * b->len + 1);
    ck_assert_ptr_nonnull(s);
    hex_encode(b->data, b->len, s);
    ck_assert_str_eq(s, hex);
    free(s);
}

/* The packer picks the shortest form at every boundary. */
START_TEST(writer_shortest_forms)
{
    static const struct {
        uint64_t v;
        const char *hex;
    } ints[] = {
        {0, "00"},
        {127, "7f"},
        {128, "cc80"},
        {255, "ccff"},
        {256, "cd0100"},
        {65535, "cdffff"},
        {65536, "ce00010000"},
        {UINT32_MAX, "ceffffffff"},
        {(uint64_t)UINT32_MAX + 1, "cf0000000100000000"},
        {UINT64_MAX, "cfffffffffffffffff"},
    };
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        struct ser_writer w;
        buf_reset(&b);
        ser_writer_init(&w, &b);
        ser_write_uint(&w, ints[i].v);
        ck_assert(ser_writer_ok(&w));
        check_bytes(&b, ints[i].hex);
    }

    struct ser_writer w;
    uint8_t bytes[300];
    memset(bytes, 0xab, sizeof bytes);

    buf_reset(&b);
    ser_writer_init(&w, &b);
    ser_write_bin(&w, NULL, 0);
    ser_write_str(&w, "", 0);
    ser_write_array(&w, 0);
    ck_assert(ser_writer_ok(&w));
    check_bytes(&b, "c400a090");
    ck_assert_uint_eq(w.count, 4);

    buf_reset(&b);
    ser_writer_init(&w, &b);
    ser_write_str(&w, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 31);
    ck_assert_uint_eq(b.data[0], 0xbf);
    ser_write_str(&w, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32);
    ck_assert_uint_eq(b.data[32], 0xd9);
    ck_assert_uint_eq(b.data[33], 32);
    ser_write_bin(&w, bytes, 256);
    ck_assert_uint_eq(b.data[66], 0xc5);
    ck_assert_uint_eq(b.len, 32 + 34 + 3 + 256);

    buf_reset(&b);
    ser_writer_init(&w, &b);
    ser_write_array(&w, 15);
    ser_write_array(&w, 16);
    ser_write_array(&w, 65536);
    check_bytes(&b, "9fdc0010dd00010000");
    buf_clear(&b);
}
END_TEST

/* The counter and the hasher see exactly the bytes the buffer gets. */
START_TEST(writer_sinks_agree)
{
    struct buf b;
    buf_init(&b);
    struct ser_writer wb, wc, wh;
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    ser_writer_init(&wb, &b);
    ser_writer_init_counter(&wc);
    ser_writer_init_hasher(&wh, &ctx);
    struct ser_writer *all[] = {&wb, &wc, &wh};
    for (int i = 0; i < 3; i++) {
        ser_write_array(all[i], 4);
        ser_write_uint(all[i], 1234567);
        ser_write_bin(all[i], "\x01\x02\x03", 3);
        ser_write_str(all[i], "h\xc3\xa9llo", 6);
        ser_write_raw(all[i], "\x90", 1);
        ck_assert(ser_writer_ok(all[i]));
    }
    ck_assert_uint_eq(wc.count, b.len);
    ck_assert_uint_eq(wh.count, b.len);
    uint8_t h1[SHA256_LEN], h2[SHA256_LEN];
    sha256_final(&ctx, h1);
    sha256(b.data, b.len, h2);
    ck_assert_mem_eq(h1, h2, SHA256_LEN);
    check_bytes(&b, "94ce0012d687c403010203a668c3a96c6c6f90");
    buf_clear(&b);
}
END_TEST

/* A length msgpack cannot express fails the writer without writing a byte
 * (the pointer is never read), and the failure sticks. */
START_TEST(writer_failure_is_sticky)
{
    struct buf b;
    buf_init(&b);
    struct ser_writer w;
    ser_writer_init(&w, &b);
    ser_write_uint(&w, 1);
    ck_assert(ser_writer_ok(&w));
    if (SIZE_MAX > UINT32_MAX) {
        ser_write_bin(&w, (const void *)1, (size_t)UINT32_MAX + 1);
        ck_assert(!ser_writer_ok(&w));
        ck_assert_uint_eq(b.len, 1);
        ser_write_uint(&w, 2);
        ser_write_array(&w, 1);
        ser_write_raw(&w, "x", 1);
        ck_assert(!ser_writer_ok(&w));
        ck_assert_uint_eq(b.len, 1);

        ser_writer_init_counter(&w);
        ser_write_array(&w, (size_t)UINT32_MAX + 1);
        ck_assert(!ser_writer_ok(&w));
        ck_assert_uint_eq(w.count, 0);
        ser_writer_init_counter(&w);
        ser_write_str(&w, (const char *)1, (size_t)UINT32_MAX + 5);
        ck_assert(!ser_writer_ok(&w));
    }
    buf_clear(&b);
}
END_TEST

struct parse_case {
    const char *hex;
    enum ser_err err;
};

static void run_cases(const struct parse_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct ser_doc doc;
        ser_doc_init(&doc);
        enum ser_err err = parse_hex(&doc, cases[i].hex);
        ck_assert_msg(err == cases[i].err, "%s: got \"%s\", want \"%s\"", cases[i].hex,
                      ser_strerror(err), ser_strerror(cases[i].err));
        if (err == SER_OK)
            ck_assert_ptr_nonnull(ser_doc_root(&doc));
        else
            ck_assert_ptr_null(ser_doc_root(&doc));
        ser_doc_clear(&doc);
    }
}

START_TEST(parse_integers)
{
    static const struct parse_case cases[] = {
        {"05", SER_OK},
        {"7f", SER_OK},
        {"cc80", SER_OK},
        {"cd0100", SER_OK},
        {"ce00010000", SER_OK},
        {"cf0000000100000000", SER_OK},
        {"ff", SER_OK},   /* -1 */
        {"e0", SER_OK},   /* -32 */
        {"d0df", SER_OK}, /* -33 */
        {"d1ff7f", SER_OK}, /* -129 */
        {"cc05", SER_ERR_NONCANON_INT},
        {"cc7f", SER_ERR_NONCANON_INT},
        {"cd0010", SER_ERR_NONCANON_INT},
        {"cd00ff", SER_ERR_NONCANON_INT},
        {"ce0000ffff", SER_ERR_NONCANON_INT},
        {"ce00000001", SER_ERR_NONCANON_INT},
        {"cf0000000000000005", SER_ERR_NONCANON_INT},
        {"cf00000000ffffffff", SER_ERR_NONCANON_INT},
        {"d005", SER_ERR_NONCANON_INT},   /* positive value in a signed form */
        {"d07f", SER_ERR_NONCANON_INT},
        {"d10080", SER_ERR_NONCANON_INT},
        {"d3000000000000002a", SER_ERR_NONCANON_INT},
        {"d0ff", SER_ERR_NONCANON_INT},   /* -1 fits a fixint */
        {"d0e0", SER_ERR_NONCANON_INT},
        {"d1ffdf", SER_ERR_NONCANON_INT}, /* -33 fits int8 */
        {"d3ffffffffffffffff", SER_ERR_NONCANON_INT},
        {"ca3f800000", SER_ERR_FLOAT},
        {"cb3ff0000000000000", SER_ERR_FLOAT},
        {"91ca00000000", SER_ERR_FLOAT},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

START_TEST(parse_lengths_and_types)
{
    static const struct parse_case cases[] = {
        {"a3616263", SER_OK},
        {"d920" X32("61"), SER_OK},
        {"bf" X32("61"), SER_ERR_TRAILING}, /* fixstr(31) then one byte too many */
        {"d903616263", SER_ERR_NONCANON_LENGTH},
        {"da0003616263", SER_ERR_NONCANON_LENGTH},
        {"db00000003616263", SER_ERR_NONCANON_LENGTH},
        {"da0020" X32("61"), SER_ERR_NONCANON_LENGTH},
        {"c403010203", SER_OK},
        {"c400", SER_OK},
        {"c50003010203", SER_ERR_NONCANON_LENGTH},
        {"c600000003010203", SER_ERR_NONCANON_LENGTH},
        {"c50000", SER_ERR_NONCANON_LENGTH},
        {"93010203", SER_OK},
        {"90", SER_OK},
        {"dc0003010203", SER_ERR_NONCANON_LENGTH},
        {"dd00000003010203", SER_ERR_NONCANON_LENGTH},
        {"dc0000", SER_ERR_NONCANON_LENGTH},
        {"92dc0000c50000", SER_ERR_NONCANON_LENGTH},
        {"c0", SER_OK},
        {"c2", SER_OK},
        {"c3", SER_OK},
        {"80", SER_ERR_MAP},
        {"810102", SER_ERR_MAP},
        {"91810102", SER_ERR_MAP},
        {"de0001a16101", SER_ERR_MAP},
        {"d40100", SER_ERR_EXT},
        {"c7010100", SER_ERR_EXT},
        {"9201d40100", SER_ERR_EXT},
        {"c1", SER_ERR_MALFORMED},
        {"9201c1", SER_ERR_MALFORMED},
        {"9101c1", SER_ERR_TRAILING},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

START_TEST(parse_framing)
{
    static const struct parse_case cases[] = {
        {"", SER_ERR_TRUNCATED},
        {"cd01", SER_ERR_TRUNCATED},
        {"cf00000000", SER_ERR_TRUNCATED},
        {"930102", SER_ERR_TRUNCATED},
        {"a361", SER_ERR_TRUNCATED},
        {"a36162", SER_ERR_TRUNCATED},
        {"c4", SER_ERR_TRUNCATED},
        {"c40201", SER_ERR_TRUNCATED},
        {"d9", SER_ERR_TRUNCATED},
        {"0500", SER_ERR_TRAILING},
        {"910000", SER_ERR_TRAILING},
        {"c40100ff", SER_ERR_TRAILING},
        {"9090", SER_ERR_TRAILING},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

/* Headers that claim far more elements or bytes than the input holds: the
 * parse must fail as truncated without trying to allocate what they claim
 * (an ASan build would abort on a multi-gigabyte request). */
START_TEST(parse_huge_claims)
{
    static const struct parse_case cases[] = {
        {"ddffffffff0102030405", SER_ERR_TRUNCATED},
        {"dbffffffff6162636465", SER_ERR_TRUNCATED},
        {"c6ffffffff0102030405", SER_ERR_TRUNCATED},
        {"dcffff010203", SER_ERR_TRUNCATED},
        {"91ddffffffff01020304", SER_ERR_TRUNCATED},
        {"ddffffffffddffffffffddffffffff", SER_ERR_TRUNCATED},
        {"dfffffffff0102030405", SER_ERR_MAP},
        {"c9ffffffff010203040506", SER_ERR_EXT},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);

    /* Many huge claims in a row, one per nesting level up to the limit. */
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < SER_MAX_DEPTH; i++)
        ck_assert(buf_append(&b, "\xdd\xff\xff\xff\xff", 5));
    struct ser_doc doc;
    ser_doc_init(&doc);
    ck_assert_int_eq(ser_doc_parse(&doc, b.data, b.len), SER_ERR_TRUNCATED);
    ser_doc_clear(&doc);
    buf_clear(&b);
}
END_TEST

static enum ser_err parse_nested(int depth)
{
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < depth - 1; i++)
        ck_assert(buf_append_byte(&b, 0x91));
    ck_assert(buf_append_byte(&b, 0x90));
    struct ser_doc doc;
    ser_doc_init(&doc);
    enum ser_err err = ser_doc_parse(&doc, b.data, b.len);
    ser_doc_clear(&doc);
    buf_clear(&b);
    return err;
}

START_TEST(parse_depth_limit)
{
    ck_assert_int_eq(parse_nested(1), SER_OK);
    ck_assert_int_eq(parse_nested(SER_MAX_DEPTH), SER_OK);
    ck_assert_int_eq(parse_nested(SER_MAX_DEPTH + 1), SER_ERR_TOO_DEEP);
    ck_assert_int_eq(parse_nested(40), SER_ERR_TOO_DEEP);
    ck_assert_int_eq(parse_nested(100000), SER_ERR_TOO_DEEP);
}
END_TEST

START_TEST(parse_utf8)
{
    static const struct parse_case cases[] = {
        {"a0", SER_OK},
        {"a100", SER_OK},               /* U+0000 */
        {"a17f", SER_OK},
        {"a2c280", SER_OK},             /* U+0080 */
        {"a2dfbf", SER_OK},             /* U+07FF */
        {"a3e0a080", SER_OK},           /* U+0800 */
        {"a3e282ac", SER_OK},           /* euro sign */
        {"a3ed9fbf", SER_OK},           /* U+D7FF */
        {"a3ee8080", SER_OK},           /* U+E000 */
        {"a3efbfbf", SER_OK},           /* U+FFFF */
        {"a4f0908080", SER_OK},         /* U+10000 */
        {"a4f48fbfbf", SER_OK},         /* U+10FFFF */
        {"a2c080", SER_ERR_UTF8},       /* overlong NUL */
        {"a2c1bf", SER_ERR_UTF8},       /* overlong U+007F */
        {"a3e08080", SER_ERR_UTF8},     /* overlong 3-byte */
        {"a3e09fbf", SER_ERR_UTF8},     /* overlong U+07FF */
        {"a4f0808080", SER_ERR_UTF8},   /* overlong 4-byte */
        {"a4f08fbfbf", SER_ERR_UTF8},   /* overlong U+FFFF */
        {"a3eda080", SER_ERR_UTF8},     /* U+D800 */
        {"a3edbfbf", SER_ERR_UTF8},     /* U+DFFF */
        {"a4f4908080", SER_ERR_UTF8},   /* U+110000 */
        {"a4f5808080", SER_ERR_UTF8},
        {"a4f7bfbfbf", SER_ERR_UTF8},
        {"a2e282", SER_ERR_UTF8},       /* truncated 3-byte sequence */
        {"a1c2", SER_ERR_UTF8},
        {"a3f09080", SER_ERR_UTF8},
        {"a180", SER_ERR_UTF8},         /* lone continuation byte */
        {"a2c241", SER_ERR_UTF8},       /* lead without continuation */
        {"a1fe", SER_ERR_UTF8},
        {"a1ff", SER_ERR_UTF8},
        {"9201a2c080", SER_ERR_UTF8},
        {"c402c080", SER_OK},           /* bin is opaque */
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

/* A failed parse leaves an earlier good parse in place. */
START_TEST(parse_failure_leaves_doc)
{
    struct ser_doc doc;
    ser_doc_init(&doc);
    ck_assert_ptr_null(ser_doc_root(&doc));
    ck_assert_int_eq(parse_hex(&doc, "92012a"), SER_OK);
    ck_assert_int_eq(parse_hex(&doc, "cc05"), SER_ERR_NONCANON_INT);
    const msgpack_object *root = ser_doc_root(&doc);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(root->type, MSGPACK_OBJECT_ARRAY);
    ck_assert_uint_eq(root->via.array.ptr[1].via.u64, 42);
    ck_assert_int_eq(parse_hex(&doc, "07"), SER_OK);
    ck_assert_uint_eq(ser_doc_root(&doc)->via.u64, 7);
    ser_doc_clear(&doc);
    ck_assert_ptr_null(ser_doc_root(&doc));
    ser_doc_clear(&doc);
}
END_TEST

/* The input buffer may be reused right after the parse: the doc has its own copy. */
START_TEST(parse_copies_input)
{
    uint8_t in[] = {0x92, 0xa2, 'h', 'i', 0xc4, 0x01, 0x55};
    struct ser_doc doc;
    ser_doc_init(&doc);
    ck_assert_int_eq(ser_doc_parse(&doc, in, sizeof in), SER_OK);
    memset(in, 0, sizeof in);
    const msgpack_object *items;
    ck_assert_int_eq(ser_get_array(ser_doc_root(&doc), 2, &items), SER_OK);
    const char *s;
    size_t slen;
    ck_assert_int_eq(ser_get_str(&items[0], 0, 10, &s, &slen), SER_OK);
    ck_assert_uint_eq(slen, 2);
    ck_assert(memcmp(s, "hi", 2) == 0);
    uint8_t one;
    ck_assert_int_eq(ser_get_bin_fixed(&items[1], 1, &one), SER_OK);
    ck_assert_uint_eq(one, 0x55);
    ser_doc_clear(&doc);
}
END_TEST

START_TEST(getters)
{
    /* [7, -3, nil, "abc", bin(3), [1, 2], 2^32] */
    struct ser_doc doc;
    ser_doc_init(&doc);
    ck_assert_int_eq(parse_hex(&doc, "9707fdc0a3616263c403010203920102cf0000000100000000"), SER_OK);
    const msgpack_object *it, *root = ser_doc_root(&doc);

    ck_assert_int_eq(ser_get_array(root, 6, &it), SER_ERR_ARRAY_LENGTH);
    ck_assert_int_eq(ser_get_array(root, 8, &it), SER_ERR_ARRAY_LENGTH);
    ck_assert_int_eq(ser_get_array(root, 7, &it), SER_OK);

    uint64_t u = 99;
    ck_assert_int_eq(ser_get_uint(&it[0], &u), SER_OK);
    ck_assert_uint_eq(u, 7);
    u = 99;
    ck_assert_int_eq(ser_get_uint(&it[1], &u), SER_ERR_NEGATIVE_INT);
    ck_assert_int_eq(ser_get_uint(&it[2], &u), SER_ERR_EXPECTED_UINT);
    ck_assert_int_eq(ser_get_uint(&it[3], &u), SER_ERR_EXPECTED_UINT);
    ck_assert_int_eq(ser_get_uint(&it[5], &u), SER_ERR_EXPECTED_UINT);
    ck_assert_int_eq(ser_get_uint_max(&it[6], UINT32_MAX, &u), SER_ERR_INT_RANGE);
    ck_assert_uint_eq(u, 99);
    ck_assert_int_eq(ser_get_uint_max(&it[6], (uint64_t)UINT32_MAX + 1, &u), SER_OK);
    ck_assert_uint_eq(u, (uint64_t)UINT32_MAX + 1);
    ck_assert_int_eq(ser_get_uint_max(&it[0], 7, &u), SER_OK);
    ck_assert_int_eq(ser_get_uint_max(&it[0], 6, &u), SER_ERR_INT_RANGE);

    uint8_t out[4] = {9, 9, 9, 9};
    ck_assert_int_eq(ser_get_bin_fixed(&it[3], 3, out), SER_ERR_BIN_GOT_STR);
    ck_assert_int_eq(ser_get_bin_fixed(&it[0], 3, out), SER_ERR_EXPECTED_BIN);
    ck_assert_int_eq(ser_get_bin_fixed(&it[5], 3, out), SER_ERR_EXPECTED_BIN);
    ck_assert_int_eq(ser_get_bin_fixed(&it[4], 2, out), SER_ERR_TOO_LONG);
    ck_assert_int_eq(ser_get_bin_fixed(&it[4], 4, out), SER_ERR_TOO_SHORT);
    ck_assert_uint_eq(out[0], 9);
    ck_assert_int_eq(ser_get_bin_fixed(&it[4], 3, out), SER_OK);
    ck_assert_uint_eq(out[0], 1);
    ck_assert_uint_eq(out[2], 3);
    ck_assert_uint_eq(out[3], 9);

    const uint8_t *bp = NULL;
    size_t blen = 77;
    ck_assert_int_eq(ser_get_bin(&it[4], 2, &bp, &blen), SER_ERR_TOO_LONG);
    ck_assert_int_eq(ser_get_bin(&it[3], 10, &bp, &blen), SER_ERR_BIN_GOT_STR);
    ck_assert_ptr_null(bp);
    ck_assert_uint_eq(blen, 77);
    ck_assert_int_eq(ser_get_bin(&it[4], 3, &bp, &blen), SER_OK);
    ck_assert_uint_eq(blen, 3);
    ck_assert_uint_eq(bp[1], 2);

    const char *sp = NULL;
    size_t slen = 77;
    ck_assert_int_eq(ser_get_str(&it[4], 0, 10, &sp, &slen), SER_ERR_STR_GOT_BIN);
    ck_assert_int_eq(ser_get_str(&it[0], 0, 10, &sp, &slen), SER_ERR_EXPECTED_STR);
    ck_assert_int_eq(ser_get_str(&it[3], 4, 10, &sp, &slen), SER_ERR_TOO_SHORT);
    ck_assert_int_eq(ser_get_str(&it[3], 0, 2, &sp, &slen), SER_ERR_TOO_LONG);
    ck_assert_ptr_null(sp);
    ck_assert_uint_eq(slen, 77);
    ck_assert_int_eq(ser_get_str(&it[3], 3, 3, &sp, &slen), SER_OK);
    ck_assert_uint_eq(slen, 3);
    ck_assert(memcmp(sp, "abc", 3) == 0);

    uint32_t n = 0;
    const msgpack_object *li;
    ck_assert_int_eq(ser_get_list(&it[5], 1, &li, &n), SER_ERR_TOO_MANY_ITEMS);
    ck_assert_int_eq(ser_get_list(&it[4], 5, &li, &n), SER_ERR_EXPECTED_ARRAY);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(ser_get_list(&it[5], 2, &li, &n), SER_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(li[1].via.u64, 2);
    ck_assert_int_eq(ser_get_array(&it[3], 3, &li), SER_ERR_EXPECTED_ARRAY);

    /* Maps and floats never survive a parse, but the getters name them too. */
    msgpack_object m = {.type = MSGPACK_OBJECT_MAP};
    ck_assert_int_eq(ser_get_array(&m, 0, &li), SER_ERR_MAP);
    msgpack_object f = {.type = MSGPACK_OBJECT_FLOAT64};
    ck_assert_int_eq(ser_get_uint(&f, &u), SER_ERR_FLOAT);
    ser_doc_clear(&doc);
}
END_TEST

/* Re-packing a parsed object yields exactly the parsed bytes. */
START_TEST(write_object_round_trip)
{
    const char *hex = "9707fdc0a3616263c403010203920102cf0000000100000000";
    struct ser_doc doc;
    ser_doc_init(&doc);
    ck_assert_int_eq(parse_hex(&doc, hex), SER_OK);
    struct buf b;
    buf_init(&b);
    struct ser_writer w;
    ser_writer_init(&w, &b);
    ser_write_object(&w, ser_doc_root(&doc));
    ck_assert(ser_writer_ok(&w));
    check_bytes(&b, hex);
    buf_clear(&b);
    ser_doc_clear(&doc);
}
END_TEST

START_TEST(strerror_table)
{
    for (int i = 0; i < SER_ERR_COUNT_; i++) {
        const char *m = ser_strerror((enum ser_err)i);
        ck_assert_ptr_nonnull(m);
        ck_assert_uint_gt(strlen(m), 1);
        ck_assert_str_ne(m, "unknown serialization error");
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(m, ser_strerror((enum ser_err)j));
    }
    ck_assert_str_eq(ser_strerror(SER_ERR_COUNT_), "unknown serialization error");
    ck_assert_str_eq(ser_strerror((enum ser_err)-1), "unknown serialization error");
    ck_assert_str_eq(ser_strerror(SER_ERR_NONCANON_INT), "non-canonical: integer not in shortest form");
    ck_assert_str_eq(ser_strerror(SER_ERR_BIN_GOT_STR), "expected bin, got str");
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        writer_shortest_forms, writer_sinks_agree, writer_failure_is_sticky, parse_integers,
        parse_lengths_and_types, parse_framing, parse_huge_claims, parse_depth_limit, parse_utf8,
        parse_failure_leaves_doc, parse_copies_input, getters, write_object_round_trip,
        strerror_table, NULL
    };
    return fixture_suite("serialize", NULL, tests);
}
