#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "util/hex.h"

START_TEST(encode_lowercase)
{
    const uint8_t data[] = {0x00, 0x01, 0xab, 0xff, 0x7e};
    char out[11];
    hex_encode(data, sizeof data, out);
    ck_assert_str_eq(out, "0001abff7e");
    hex_encode(data, 0, out);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(decode_exact)
{
    uint8_t out[3];
    ck_assert(hex_decode_exact("00aBfF", out, 3));
    ck_assert_uint_eq(out[0], 0x00);
    ck_assert_uint_eq(out[1], 0xab);
    ck_assert_uint_eq(out[2], 0xff);
    ck_assert(!hex_decode_exact("00abf", out, 3));   /* short */
    ck_assert(!hex_decode_exact("00abff00", out, 3)); /* long */
    ck_assert(!hex_decode_exact("00abfg", out, 3));  /* not hex */
    ck_assert(!hex_decode_exact("00 bff", out, 3));
}
END_TEST

START_TEST(decode_buf)
{
    struct buf b;
    buf_init(&b);
    ck_assert(buf_append(&b, "z", 1));
    ck_assert(hex_decode_buf("cafe", 4, &b));
    ck_assert_uint_eq(b.len, 3);
    ck_assert_uint_eq(b.data[1], 0xca);
    ck_assert_uint_eq(b.data[2], 0xfe);
    ck_assert(!hex_decode_buf("abc", 3, &b));
    ck_assert(!hex_decode_buf("abzz", 4, &b));
    ck_assert_uint_eq(b.len, 3); /* failed decodes leave the buffer as it was */
    ck_assert(hex_decode_buf("", 0, &b));
    ck_assert_uint_eq(b.len, 3);
    buf_clear(&b);
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {encode_lowercase, decode_exact, decode_buf, NULL};
    return fixture_suite("hex", NULL, tests);
}
