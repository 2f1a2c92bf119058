#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/uint256.h"

#define A_HEX "0123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210"
#define MAX_HEX "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define ONE_HEX "0000000000000000000000000000000000000000000000000000000000000001"
#define ZERO_HEX "0000000000000000000000000000000000000000000000000000000000000000"

START_TEST(bytes_and_hex)
{
    uint8_t be[32], back[32];
    for (int i = 0; i < 32; i++)
        be[i] = (uint8_t)(i + 1);
    struct u256 v;
    u256_from_be(&v, be);
    /* the last byte is the least significant */
    ck_assert_uint_eq(v.w[0], 0x191a1b1c1d1e1f20ull);
    ck_assert_uint_eq(v.w[3], 0x0102030405060708ull);
    u256_to_be(&v, back);
    ck_assert_mem_eq(be, back, 32);
    fixture_check_u256(&v, "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");

    struct u256 a = fixture_u256(A_HEX);
    fixture_check_u256(&a, A_HEX);
    struct u256 upper =
        fixture_u256("0123456789ABCDEFFEDCBA98765432100123456789ABCDEFFEDCBA9876543210");
    ck_assert_int_eq(u256_cmp(&a, &upper), 0);

    u256_from_u64(&v, 0xdeadbeef);
    fixture_check_u256(&v, "00000000000000000000000000000000000000000000000000000000deadbeef");
}
END_TEST

START_TEST(bad_hex_rejected)
{
    struct u256 v, before;
    u256_from_u64(&v, 42);
    before = v;
    ck_assert(!u256_from_hex(&v, ""));
    ck_assert(!u256_from_hex(&v, "ff"));
    ck_assert(!u256_from_hex(&v, MAX_HEX "ff")); /* too long */
    ck_assert(!u256_from_hex(&v, "0" MAX_HEX)); /* odd, too long */
    /* 64 characters, one of them not a hex digit */
    ck_assert(!u256_from_hex(&v, "0123456789abcdeffedcba98765432100123456789abcdeffedcba987654321g"));
    ck_assert(!u256_from_hex(&v, " 123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210"));
    ck_assert_int_eq(u256_cmp(&v, &before), 0);
}
END_TEST

START_TEST(compare_and_bits)
{
    struct u256 zero, one, max, hi, lo;
    u256_from_u64(&zero, 0);
    u256_from_u64(&one, 1);
    max = fixture_u256(MAX_HEX);
    ck_assert(u256_is_zero(&zero));
    ck_assert(!u256_is_zero(&one));
    ck_assert_int_eq(u256_cmp(&zero, &one), -1);
    ck_assert_int_eq(u256_cmp(&max, &one), 1);
    ck_assert_int_eq(u256_cmp(&max, &max), 0);
    /* a high limb outweighs every lower one */
    hi = fixture_u256("0000000000000001000000000000000000000000000000000000000000000000");
    lo = fixture_u256("0000000000000000ffffffffffffffffffffffffffffffffffffffffffffffff");
    ck_assert_int_eq(u256_cmp(&hi, &lo), 1);
    ck_assert_int_eq(u256_cmp(&lo, &hi), -1);

    ck_assert_uint_eq(u256_bits(&zero), 0);
    ck_assert_uint_eq(u256_bits(&one), 1);
    ck_assert_uint_eq(u256_bits(&max), 256);
    ck_assert_uint_eq(u256_bits(&hi), 193);
    ck_assert_uint_eq(u256_bits(&lo), 192);
    struct u256 v;
    u256_from_u64(&v, (uint64_t)1 << 63);
    ck_assert_uint_eq(u256_bits(&v), 64);
}
END_TEST

START_TEST(add_sub)
{
    struct u256 a, b, r, one, max, saved;
    u256_from_u64(&one, 1);
    max = fixture_u256(MAX_HEX);

    /* a carry ripples through every limb */
    a = fixture_u256("00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    ck_assert(u256_add(&r, &a, &one));
    fixture_check_u256(&r, "0100000000000000000000000000000000000000000000000000000000000000");
    ck_assert(u256_sub(&r, &r, &one));
    ck_assert_int_eq(u256_cmp(&r, &a), 0);

    /* overflow and underflow are reported and leave the output alone */
    u256_from_u64(&r, 7);
    saved = r;
    ck_assert(!u256_add(&r, &max, &one));
    ck_assert_int_eq(u256_cmp(&r, &saved), 0);
    ck_assert(!u256_sub(&r, &one, &max));
    ck_assert_int_eq(u256_cmp(&r, &saved), 0);

    ck_assert(u256_add(&r, &max, &(struct u256){{0, 0, 0, 0}}));
    ck_assert_int_eq(u256_cmp(&r, &max), 0);
    ck_assert(u256_sub(&r, &max, &max));
    ck_assert(u256_is_zero(&r));

    a = fixture_u256(A_HEX);
    b = fixture_u256("00000000000000000000000000000000ffffffffffffffffffffffffffffffff");
    ck_assert(u256_add(&r, &a, &b));
    fixture_check_u256(&r, "0123456789abcdeffedcba98765432110123456789abcdeffedcba987654320f");
    ck_assert(u256_sub(&r, &r, &b));
    fixture_check_u256(&r, A_HEX);

    u256_not(&r, &a);
    fixture_check_u256(&r, "fedcba98765432100123456789abcdeffedcba98765432100123456789abcdef");
    u256_not(&r, &max);
    ck_assert(u256_is_zero(&r));
}
END_TEST

START_TEST(shifts)
{
    struct u256 a = fixture_u256(A_HEX), r;
    u256_shl(&r, &a, 0);
    fixture_check_u256(&r, A_HEX);
    u256_shl(&r, &a, 1);
    fixture_check_u256(&r, "02468acf13579bdffdb97530eca8642002468acf13579bdffdb97530eca86420");
    u256_shl(&r, &a, 63);
    fixture_check_u256(&r, "ff6e5d4c3b2a19080091a2b3c4d5e6f7ff6e5d4c3b2a19080000000000000000");
    u256_shl(&r, &a, 64);
    fixture_check_u256(&r, "fedcba98765432100123456789abcdeffedcba98765432100000000000000000");
    u256_shl(&r, &a, 65);
    fixture_check_u256(&r, "fdb97530eca8642002468acf13579bdffdb97530eca864200000000000000000");
    u256_shl(&r, &a, 256);
    ck_assert(u256_is_zero(&r));
    u256_shl(&r, &a, 1000);
    ck_assert(u256_is_zero(&r));
    struct u256 one;
    u256_from_u64(&one, 1);
    u256_shl(&r, &one, 255);
    fixture_check_u256(&r, "8000000000000000000000000000000000000000000000000000000000000000");

    u256_shr(&r, &a, 0);
    fixture_check_u256(&r, A_HEX);
    u256_shr(&r, &a, 1);
    fixture_check_u256(&r, "0091a2b3c4d5e6f7ff6e5d4c3b2a19080091a2b3c4d5e6f7ff6e5d4c3b2a1908");
    u256_shr(&r, &a, 63);
    fixture_check_u256(&r, "000000000000000002468acf13579bdffdb97530eca8642002468acf13579bdf");
    u256_shr(&r, &a, 64);
    fixture_check_u256(&r, "00000000000000000123456789abcdeffedcba98765432100123456789abcdef");
    u256_shr(&r, &a, 65);
    fixture_check_u256(&r, "00000000000000000091a2b3c4d5e6f7ff6e5d4c3b2a19080091a2b3c4d5e6f7");
    u256_shr(&r, &a, 248);
    fixture_check_u256(&r, ONE_HEX);
    u256_shr(&r, &a, 256);
    ck_assert(u256_is_zero(&r));

    /* in place */
    r = a;
    u256_shl(&r, &r, 64);
    u256_shr(&r, &r, 64);
    fixture_check_u256(&r, "0000000000000000fedcba98765432100123456789abcdeffedcba9876543210");
}
END_TEST

START_TEST(multiply)
{
    struct u256 a = fixture_u256(A_HEX), r, lo, saved;
    /* the full 320-bit product, split at bit 256 */
    uint64_t hi = u256_mul_u64_wide(&lo, &a, 0xfedcba9876543210ull);
    fixture_check_u256(&lo, "1ff19927ae3de7bce00e66d851c218431ff19927ae3de7bcdeec6cd7a44a4100");
    ck_assert_uint_eq(hi, 0x121fa00ad77d743ull);
    /* which does not fit, so the checked multiply refuses it */
    u256_from_u64(&r, 9);
    saved = r;
    ck_assert(!u256_mul_u64(&r, &a, 0xfedcba9876543210ull));
    ck_assert_int_eq(u256_cmp(&r, &saved), 0);

    ck_assert(u256_mul_u64(&r, &a, 1));
    fixture_check_u256(&r, A_HEX);
    ck_assert(u256_mul_u64(&r, &a, 0));
    ck_assert(u256_is_zero(&r));
    /* 2^64-1 times 2^64-1 carries into the second limb */
    u256_from_u64(&r, UINT64_MAX);
    ck_assert(u256_mul_u64(&r, &r, UINT64_MAX));
    fixture_check_u256(&r, "00000000000000000000000000000000fffffffffffffffe0000000000000001");
    /* 2^255 * 2 is exactly one bit too wide */
    struct u256 top =
        fixture_u256("8000000000000000000000000000000000000000000000000000000000000000");
    ck_assert(!u256_mul_u64(&r, &top, 2));
    ck_assert_uint_eq(u256_mul_u64_wide(&lo, &top, 2), 1);
    ck_assert(u256_is_zero(&lo));
}
END_TEST

START_TEST(divide)
{
    struct u256 a = fixture_u256(A_HEX), q, r, d, zero, saved;
    u256_from_u64(&zero, 0);
    u256_from_u64(&q, 5);
    saved = q;
    ck_assert(!u256_divmod(&q, &r, &a, &zero));
    ck_assert_int_eq(u256_cmp(&q, &saved), 0);

    u256_from_u64(&d, 0x1234567);
    ck_assert(u256_divmod(&q, &r, &a, &d));
    fixture_check_u256(&q, "000000010000007900003920001b00200cc30f3708323102dfb92a4abe84fd54");
    u256_from_u64(&saved, 0xea144);
    ck_assert_int_eq(u256_cmp(&r, &saved), 0);

    /* a divisor wider than 64 bits */
    d = fixture_u256("000000000000000000000000ffffffffffffffffffffffffffffffffffffffff");
    ck_assert(u256_divmod(&q, &r, &a, &d));
    fixture_check_u256(&q, "00000000000000000000000000000000000000000123456789abcdeffedcba98");
    fixture_check_u256(&r, "00000000000000000000000076543210012345678acf1357888888887530eca8");

    /* a divisor above 2^255 */
    struct u256 max = fixture_u256(MAX_HEX);
    d = fixture_u256("8000000000000000000000000000000000000000000000000000000000000001");
    ck_assert(u256_divmod(&q, &r, &max, &d));
    fixture_check_u256(&q, ONE_HEX);
    fixture_check_u256(&r, "7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe");
    ck_assert(u256_divmod(&q, NULL, &max, &max));
    fixture_check_u256(&q, ONE_HEX);
    ck_assert(u256_divmod(&q, &r, &d, &max));
    fixture_check_u256(&q, ZERO_HEX);
    ck_assert_int_eq(u256_cmp(&r, &d), 0);
    ck_assert(u256_divmod(&q, &r, &zero, &d));
    ck_assert(u256_is_zero(&q) && u256_is_zero(&r));
}
END_TEST

/* q * d + r == a and r < d, over a spread of operand widths generated by a
 * fixed xorshift sequence (divisors kept to 64 bits so q * d is checkable). */
START_TEST(divide_identity)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int iter = 0; iter < 200; iter++) {
        struct u256 a, d, q, r, back;
        for (int i = 0; i < 4; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            a.w[i] = x;
        }
        u256_shr(&a, &a, (unsigned)(x % 200));
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t dv = (x >> (x % 63)) | 1;
        u256_from_u64(&d, dv);
        ck_assert(u256_divmod(&q, &r, &a, &d));
        ck_assert_int_lt(u256_cmp(&r, &d), 0);
        ck_assert(u256_mul_u64(&back, &q, dv));
        ck_assert(u256_add(&back, &back, &r));
        ck_assert_int_eq(u256_cmp(&back, &a), 0);
    }
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        bytes_and_hex, bad_hex_rejected, compare_and_bits, add_sub, shifts, multiply, divide,
        divide_identity, NULL
    };
    return fixture_suite("uint256", NULL, tests);
}
