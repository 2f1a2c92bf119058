#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "util/amount.h"

START_TEST(add_reports_overflow)
{
    amount_t out = 7;
    ck_assert(amount_add(1, 2, &out));
    ck_assert_uint_eq(out, 3);
    ck_assert(amount_add(AMOUNT_MAX - 1, 1, &out));
    ck_assert_uint_eq(out, AMOUNT_MAX);
    out = 7;
    ck_assert(!amount_add(AMOUNT_MAX, 1, &out));
    ck_assert_uint_eq(out, 7); /* untouched on failure */
    ck_assert(!amount_add(UINT64_MAX, UINT64_MAX, &out));
    ck_assert(!amount_add(AMOUNT_MAX + 1, 0, &out));
}
END_TEST

START_TEST(mul_reports_overflow)
{
    amount_t out = 9;
    ck_assert(amount_mul(3, 4, &out));
    ck_assert_uint_eq(out, 12);
    ck_assert(amount_mul(0, UINT64_MAX, &out));
    ck_assert_uint_eq(out, 0);
    ck_assert(amount_mul(AMOUNT_MAX, 1, &out));
    out = 9;
    ck_assert(!amount_mul(AMOUNT_MAX, 2, &out));
    ck_assert_uint_eq(out, 9);
    ck_assert(!amount_mul(UINT64_MAX / 2, 3, &out));
    ck_assert(!amount_mul(AMOUNT_MAX / 2 + 1, 2, &out));
    ck_assert(!amount_mul(AMOUNT_MAX + 1, 0, &out));
}
END_TEST

START_TEST(sub_rejects_negative)
{
    amount_t out = 5;
    ck_assert(amount_sub(10, 3, &out));
    ck_assert_uint_eq(out, 7);
    ck_assert(!amount_sub(3, 10, &out));
    ck_assert_uint_eq(out, 7);
}
END_TEST

START_TEST(format_and_parse)
{
    char s[32];
    amount_format(150000000, s, sizeof s);
    ck_assert_str_eq(s, "1.50000000");
    amount_format(1, s, sizeof s);
    ck_assert_str_eq(s, "0.00000001");
    amount_format(AMOUNT_MAX, s, sizeof s);
    ck_assert_str_eq(s, "21000000000.00000000");

    amount_t a;
    ck_assert(amount_parse("1.5", &a));
    ck_assert_uint_eq(a, 150000000);
    ck_assert(amount_parse("0.00000001", &a));
    ck_assert_uint_eq(a, 1);
    ck_assert(amount_parse("42", &a));
    ck_assert_uint_eq(a, 42 * AMOUNT_COIN);
    ck_assert(amount_parse("21000000000", &a));
    ck_assert_uint_eq(a, AMOUNT_MAX);

    const char *bad[] = {"", "-1", "1.", ".5", "1.000000001", "1e5", "1,5", " 1",
                         "1 ", "21000000000.00000001", "99999999999999999999", "0x10", "+1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = 77;
        ck_assert_msg(!amount_parse(bad[i], &a), "accepted \"%s\"", bad[i]);
        ck_assert_uint_eq(a, 77);
    }
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        add_reports_overflow, mul_reports_overflow, sub_rejects_negative, format_and_parse, NULL
    };
    return fixture_suite("amount", NULL, tests);
}
