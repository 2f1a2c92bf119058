#include "unit.h"
#include "fixture.h"

#include <string.h>

#include "consensus/pow.h"

static struct u256 target_of(uint32_t bits)
{
    struct u256 t;
    ck_assert_int_eq(pow_bits_to_target(bits, &t), POW_OK);
    return t;
}

#define GENESIS_TARGET_HEX "00000000ffff0000000000000000000000000000000000000000000000000000"
#define REGTEST_TARGET_HEX "7fffff0000000000000000000000000000000000000000000000000000000000"

/* Decodings and canonical re-encodings, most from Bitcoin's own compact
 * test cases. */
static const struct {
    uint32_t bits;
    const char *target;
    uint32_t canonical;
} compact_cases[] = {
    {0x00000000, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    {0x00123456, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    {0x01003456, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    {0x02000056, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    {0x03000000, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    {0x04000000, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    /* the sign bit with nothing left of the mantissa is a plain zero */
    {0x00923456, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    {0x01803456, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    {0x02800056, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    {0x03800000, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    {0x04800000, "0000000000000000000000000000000000000000000000000000000000000000", 0},
    {0x01123456, "0000000000000000000000000000000000000000000000000000000000000012", 0x01120000},
    {0x02123456, "0000000000000000000000000000000000000000000000000000000000001234", 0x02123400},
    {0x03123456, "0000000000000000000000000000000000000000000000000000000000123456", 0x03123456},
    {0x04123456, "0000000000000000000000000000000000000000000000000000000012345600", 0x04123456},
    {0x05009234, "0000000000000000000000000000000000000000000000000000000092340000", 0x05009234},
    /* a non-canonical form: same value as 0x02010000 */
    {0x04000001, "0000000000000000000000000000000000000000000000000000000000000100", 0x02010000},
    {0x20123456, "1234560000000000000000000000000000000000000000000000000000000000", 0x20123456},
    {0x1d00ffff, GENESIS_TARGET_HEX, 0x1d00ffff},
    {0x207fffff, REGTEST_TARGET_HEX, 0x207fffff},
    /* the widest values that still fit */
    {0x22000001, "0100000000000000000000000000000000000000000000000000000000000000", 0x20010000},
    {0x2100ffff, "ffff000000000000000000000000000000000000000000000000000000000000", 0x2100ffff},
    /* a zero mantissa never overflows, whatever the size */
    {0xff000000, "0000000000000000000000000000000000000000000000000000000000000000", 0},
};

START_TEST(compact_decode_encode)
{
    for (size_t i = 0; i < sizeof compact_cases / sizeof compact_cases[0]; i++) {
        struct u256 t;
        ck_assert_msg(pow_bits_to_target(compact_cases[i].bits, &t) == POW_OK, "bits %08x",
                      compact_cases[i].bits);
        fixture_check_u256(&t, compact_cases[i].target);
        ck_assert_uint_eq(pow_target_to_bits(&t), compact_cases[i].canonical);
    }
}
END_TEST

START_TEST(compact_invalid)
{
    static const struct {
        uint32_t bits;
        enum pow_result why;
    } bad[] = {
        {0x01fedcba, POW_ERR_BITS_NEGATIVE}, {0x04923456, POW_ERR_BITS_NEGATIVE},
        {0x1d80ffff, POW_ERR_BITS_NEGATIVE}, {0x20ffffff, POW_ERR_BITS_NEGATIVE},
        {0xff123456, POW_ERR_BITS_OVERFLOW}, {0x23000001, POW_ERR_BITS_OVERFLOW},
        {0x22000100, POW_ERR_BITS_OVERFLOW}, {0x21010000, POW_ERR_BITS_OVERFLOW},
        {0x2200ffff, POW_ERR_BITS_OVERFLOW}, {0x21123456, POW_ERR_BITS_OVERFLOW},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct u256 t;
        u256_from_u64(&t, 77);
        ck_assert_msg(pow_bits_to_target(bad[i].bits, &t) == bad[i].why, "bits %08x", bad[i].bits);
        ck_assert_uint_eq(t.w[0], 77); /* untouched */
        ck_assert_uint_eq(t.w[1] | t.w[2] | t.w[3], 0);
    }
}
END_TEST

START_TEST(compact_encode)
{
    struct u256 t;
    /* 0x80 would set the sign bit as 0x01800000, so it takes two bytes */
    u256_from_u64(&t, 0x80);
    ck_assert_uint_eq(pow_target_to_bits(&t), 0x02008000);
    u256_from_u64(&t, 1);
    ck_assert_uint_eq(pow_target_to_bits(&t), 0x01010000);
    /* precision beyond the 3-byte mantissa is dropped, never rounded up */
    u256_from_u64(&t, 0x123456789ull);
    ck_assert_uint_eq(pow_target_to_bits(&t), 0x05012345);
    t = fixture_u256("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    ck_assert_uint_eq(pow_target_to_bits(&t), 0x2100ffff);

    /* every canonical form round-trips: sizes 1..32, mantissas with the top
     * byte set but not the sign bit */
    static const uint32_t mantissas[] = {0x010000, 0x123456, 0x7fffff, 0x00ffff, 0x0080ff};
    for (uint32_t size = 1; size <= 33; size++) {
        for (size_t i = 0; i < sizeof mantissas / sizeof mantissas[0]; i++) {
            uint32_t m = mantissas[i];
            if (m < 0x010000 && size < 3)
                continue; /* would not be canonical */
            if (m >= 0x010000 && size == 33)
                continue; /* overflow */
            uint32_t bits = (size << 24) | m;
            if (size == 1)
                bits = (size << 24) | (m & 0xff0000);
            else if (size == 2)
                bits = (size << 24) | (m & 0xffff00);
            struct u256 x;
            ck_assert_int_eq(pow_bits_to_target(bits, &x), POW_OK);
            ck_assert_msg(pow_target_to_bits(&x) == bits, "bits %08x", bits);
        }
    }
}
END_TEST

START_TEST(check_hash_against_target)
{
    struct u256 limit = target_of(0x1d00ffff), t, plus;
    uint8_t hash[32];

    /* a hash exactly equal to the target passes, one more fails */
    t = target_of(0x1c0ffff0);
    u256_to_be(&t, hash);
    ck_assert_int_eq(pow_check(hash, 0x1c0ffff0, &limit), POW_OK);
    struct u256 one;
    u256_from_u64(&one, 1);
    ck_assert(u256_add(&plus, &t, &one));
    u256_to_be(&plus, hash);
    ck_assert_int_eq(pow_check(hash, 0x1c0ffff0, &limit), POW_ERR_HASH_ABOVE_TARGET);

    /* the hash is big-endian: a low first byte is what counts */
    memset(hash, 0, sizeof hash);
    hash[31] = 0xff;
    ck_assert_int_eq(pow_check(hash, 0x1c0ffff0, &limit), POW_OK);
    memset(hash, 0, sizeof hash);
    hash[0] = 0x01;
    ck_assert_int_eq(pow_check(hash, 0x1c0ffff0, &limit), POW_ERR_HASH_ABOVE_TARGET);
    memset(hash, 0xff, sizeof hash);
    ck_assert_int_eq(pow_check(hash, 0x1d00ffff, &limit), POW_ERR_HASH_ABOVE_TARGET);

    /* the target itself must be sound, whatever the hash */
    memset(hash, 0, sizeof hash);
    ck_assert_int_eq(pow_check(hash, 0x1d00ffff, &limit), POW_OK);  /* at the limit */
    ck_assert_int_eq(pow_check(hash, 0x1d010000, &limit), POW_ERR_TARGET_ABOVE_LIMIT);
    ck_assert_int_eq(pow_check(hash, 0x207fffff, &limit), POW_ERR_TARGET_ABOVE_LIMIT);
    ck_assert_int_eq(pow_check(hash, 0x01803456, &limit), POW_ERR_TARGET_ZERO);
    ck_assert_int_eq(pow_check(hash, 0x00000000, &limit), POW_ERR_TARGET_ZERO);
    ck_assert_int_eq(pow_check(hash, 0x1c80ffff, &limit), POW_ERR_BITS_NEGATIVE);
    ck_assert_int_eq(pow_check(hash, 0xff123456, &limit), POW_ERR_BITS_OVERFLOW);

    /* regtest's easiest target with its own limit */
    struct u256 regtest = target_of(0x207fffff);
    u256_to_be(&regtest, hash);
    ck_assert_int_eq(pow_check(hash, 0x207fffff, &regtest), POW_OK);
    hash[0] = 0x80;
    ck_assert_int_eq(pow_check(hash, 0x207fffff, &regtest), POW_ERR_HASH_ABOVE_TARGET);
}
END_TEST

START_TEST(block_work)
{
    struct u256 w, total;
    ck_assert_int_eq(pow_block_work(0x1d00ffff, &w), POW_OK);
    fixture_check_u256(&w, "0000000000000000000000000000000000000000000000000000000100010001");
    ck_assert(u256_add(&total, &w, &w));
    fixture_check_u256(&total, "0000000000000000000000000000000000000000000000000000000200020002");
    /* 2^256 / (0x7fffff * 2^232 + 1): just over 2^255 / 2^255 */
    ck_assert_int_eq(pow_block_work(0x207fffff, &w), POW_OK);
    fixture_check_u256(&w, "0000000000000000000000000000000000000000000000000000000000000002");
    ck_assert_int_eq(pow_block_work(0x1b0404cb, &w), POW_OK);
    fixture_check_u256(&w, "00000000000000000000000000000000000000000000000000003fb3ab764c00");
    /* target 1: half the space of 256-bit hashes meets it */
    ck_assert_int_eq(pow_block_work(0x01010000, &w), POW_OK);
    fixture_check_u256(&w, "8000000000000000000000000000000000000000000000000000000000000000");
    /* the easiest encodable target, 0xffff * 2^240 */
    ck_assert_int_eq(pow_block_work(0x2100ffff, &w), POW_OK);
    fixture_check_u256(&w, "0000000000000000000000000000000000000000000000000000000000000001");

    u256_from_u64(&w, 5);
    ck_assert_int_eq(pow_block_work(0x00000000, &w), POW_ERR_TARGET_ZERO);
    ck_assert_int_eq(pow_block_work(0x01fedcba, &w), POW_ERR_BITS_NEGATIVE);
    ck_assert_int_eq(pow_block_work(0xff123456, &w), POW_ERR_BITS_OVERFLOW);
    ck_assert_uint_eq(w.w[0], 5);
}
END_TEST

/* --- ASERT ----------------------------------------------------------------
 * Expected values are worked out from the formula by hand (with big-integer
 * arithmetic): anchor target T = 0xffff * 2^208 (bits 0x1d00ffff), genesis
 * time 1,700,000,000, spacing 60 s, half-life 7200 s, limit 0xffff * 2^224. */

#define T0 ((int64_t)1700000000)

static struct pow_asert_params main_like(void)
{
    struct pow_asert_params p = {.anchor_bits = 0x1d00ffff,
                                 .anchor_time = T0,
                                 .spacing = POW_TARGET_SPACING,
                                 .half_life = POW_ASERT_HALF_LIFE};
    p.pow_limit = target_of(0x1f00ffff);
    return p;
}

static uint32_t next_bits(const struct pow_asert_params *p, uint64_t h, int64_t t)
{
    uint32_t bits = 0;
    ck_assert_int_eq(pow_asert_next_bits(p, h, t, &bits), POW_OK);
    return bits;
}

START_TEST(asert_on_schedule)
{
    struct pow_asert_params p = main_like();
    ck_assert_int_eq(POW_TARGET_SPACING, 60);
    ck_assert_int_eq(POW_ASERT_HALF_LIFE, 7200);
    static const uint64_t heights[] = {0, 1, 2, 10, 119, 120, 1000, 1051200, 50000000};
    for (size_t i = 0; i < sizeof heights / sizeof heights[0]; i++) {
        uint64_t h = heights[i];
        struct u256 t;
        ck_assert_int_eq(pow_asert_next_target(&p, h, T0 + 60 * (int64_t)h, &t), POW_OK);
        fixture_check_u256(&t, GENESIS_TARGET_HEX);
        ck_assert_uint_eq(next_bits(&p, h, T0 + 60 * (int64_t)h), 0x1d00ffff);
    }
}
END_TEST

START_TEST(asert_half_life)
{
    struct pow_asert_params p = main_like();
    struct u256 t;
    /* exactly one half-life behind: the fraction is 0, so exactly 2T */
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 + 7200, &t), POW_OK);
    fixture_check_u256(&t, "00000001fffe0000000000000000000000000000000000000000000000000000");
    ck_assert_uint_eq(next_bits(&p, 0, T0 + 7200), 0x1d01fffe);
    ck_assert_uint_eq(next_bits(&p, 100, T0 + 6000 + 7200), 0x1d01fffe);
    /* two half-lives: 4T */
    ck_assert_uint_eq(next_bits(&p, 500, T0 + 30000 + 14400), 0x1d03fffc);
    /* one half-life ahead: exactly T/2 */
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 - 7200, &t), POW_OK);
    fixture_check_u256(&t, "000000007fff8000000000000000000000000000000000000000000000000000");
    ck_assert_uint_eq(next_bits(&p, 0, T0 - 7200), 0x1c7fff80);
    ck_assert_uint_eq(next_bits(&p, 100, T0 + 6000 - 7200), 0x1c7fff80);
    /* 200 half-lives ahead: T / 2^200 = 0xffff00 */
    ck_assert_uint_eq(next_bits(&p, 0, T0 - 200 * 7200), 0x0400ffff);
}
END_TEST

START_TEST(asert_fraction)
{
    struct pow_asert_params p = main_like();
    struct u256 t;
    /* half a half-life behind: exponent 32768/65536, factor 92674/65536 */
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 + 3600, &t), POW_OK);
    fixture_check_u256(&t, "000000016a0095fe000000000000000000000000000000000000000000000000");
    ck_assert_uint_eq(pow_target_to_bits(&t), 0x1d016a00);
    /* the approximation's error stays under 0.013% (worst case ~0.0117%) */
    const double sqrt2 = 1.4142135623730951;
    ck_assert_double_ge(92674.0 / 65536.0, sqrt2 * (1 - 0.00013));
    ck_assert_double_le(92674.0 / 65536.0, sqrt2 * (1 + 0.00013));
    /* half a half-life ahead: exponent -1 + 32768/65536 */
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 - 3600, &t), POW_OK);
    fixture_check_u256(&t, "00000000b5004aff000000000000000000000000000000000000000000000000");
    ck_assert_double_ge(92674.0 / 131072.0, sqrt2 / 2 * (1 - 0.00013));
    ck_assert_double_le(92674.0 / 131072.0, sqrt2 / 2 * (1 + 0.00013));
}
END_TEST

/* The 16.16 exponent is rounded toward negative infinity: one second behind
 * gives floor(65536/7200) = 9, one second ahead floor(-65536/7200) = -10
 * (truncation toward zero would give -9 and bits 0x1d00fff9). */
START_TEST(asert_rounding)
{
    struct pow_asert_params p = main_like();
    struct u256 t;
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 + 1, &t), POW_OK);
    fixture_check_u256(&t, "000000010004fffa000000000000000000000000000000000000000000000000");
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 - 1, &t), POW_OK);
    fixture_check_u256(&t, "00000000fff80007000000000000000000000000000000000000000000000000");
    ck_assert_uint_eq(pow_target_to_bits(&t), 0x1d00fff8);
}
END_TEST

START_TEST(asert_clamps)
{
    struct pow_asert_params p = main_like();
    struct u256 t;
    /* 16 half-lives behind lands exactly on the limit (T * 2^16) */
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 + 16 * 7200, &t), POW_OK);
    ck_assert_int_eq(u256_cmp(&t, &p.pow_limit), 0);
    /* just short of it stays below */
    ck_assert_uint_eq(next_bits(&p, 0, T0 + 16 * 7200 - 1), 0x1f00fff8);
    /* further behind cannot get easier than the limit */
    ck_assert_uint_eq(next_bits(&p, 0, T0 + 16 * 7200 + 1), 0x1f00ffff);
    ck_assert_uint_eq(next_bits(&p, 0, T0 + 20 * 7200), 0x1f00ffff);
    ck_assert_uint_eq(next_bits(&p, 10, T0 + 1000000000), 0x1f00ffff);
    ck_assert_int_eq(pow_asert_next_target(&p, 0, INT64_MAX, &t), POW_OK);
    ck_assert_int_eq(u256_cmp(&t, &p.pow_limit), 0);
    /* absurdly far ahead bottoms out at target 1, never 0 */
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 - 250 * 7200, &t), POW_OK);
    fixture_check_u256(&t, "0000000000000000000000000000000000000000000000000000000000000001");
    ck_assert_uint_eq(next_bits(&p, 0, T0 - 1000000000), 0x01010000);
    ck_assert_uint_eq(next_bits(&p, 0, INT64_MIN), 0x01010000);
    /* an enormous height with times at the far ends of int64 still works */
    p.anchor_time = INT64_MIN;
    ck_assert_uint_eq(next_bits(&p, UINT64_MAX, INT64_MAX), 0x01010000);
    ck_assert_uint_eq(next_bits(&p, 0, INT64_MAX), 0x1f00ffff);
    p.anchor_time = INT64_MAX;
    ck_assert_uint_eq(next_bits(&p, UINT64_MAX, INT64_MIN), 0x01010000);
}
END_TEST

/* An anchor near 2^255 makes target * factor exceed 256 bits; the result
 * must still be exact. */
START_TEST(asert_wide_anchor)
{
    struct pow_asert_params p = main_like();
    p.anchor_bits = 0x207fffff;
    p.pow_limit = target_of(0x207fffff);
    struct u256 t;
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 - 7200, &t), POW_OK);
    fixture_check_u256(&t, "3fffff8000000000000000000000000000000000000000000000000000000000");
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 - 3600, &t), POW_OK);
    fixture_check_u256(&t, "5a807f4aff000000000000000000000000000000000000000000000000000000");
    ck_assert_int_eq(pow_asert_next_target(&p, 0, T0 - 1, &t), POW_OK);
    fixture_check_u256(&t, "7ffc7f0007000000000000000000000000000000000000000000000000000000");
    ck_assert_uint_eq(next_bits(&p, 0, T0), 0x207fffff);
    ck_assert_uint_eq(next_bits(&p, 0, T0 + 1), 0x207fffff);
    ck_assert_uint_eq(next_bits(&p, 0, T0 + 7200), 0x207fffff);
}
END_TEST

START_TEST(asert_bad_params)
{
    struct pow_asert_params p = main_like();
    uint32_t bits = 0xabcdef;
    p.half_life = 0;
    ck_assert_int_eq(pow_asert_next_bits(&p, 0, T0, &bits), POW_ERR_BAD_PARAMS);
    p.half_life = POW_ASERT_PARAM_MAX + 1;
    ck_assert_int_eq(pow_asert_next_bits(&p, 0, T0, &bits), POW_ERR_BAD_PARAMS);
    p = main_like();
    p.spacing = -60;
    ck_assert_int_eq(pow_asert_next_bits(&p, 0, T0, &bits), POW_ERR_BAD_PARAMS);
    p = main_like();
    u256_from_u64(&p.pow_limit, 0);
    ck_assert_int_eq(pow_asert_next_bits(&p, 0, T0, &bits), POW_ERR_BAD_PARAMS);
    p = main_like();
    p.anchor_bits = 0x1f010000; /* easier than the limit */
    ck_assert_int_eq(pow_asert_next_bits(&p, 0, T0, &bits), POW_ERR_TARGET_ABOVE_LIMIT);
    p.anchor_bits = 0;
    ck_assert_int_eq(pow_asert_next_bits(&p, 0, T0, &bits), POW_ERR_TARGET_ZERO);
    p.anchor_bits = 0x1d80ffff;
    ck_assert_int_eq(pow_asert_next_bits(&p, 0, T0, &bits), POW_ERR_BITS_NEGATIVE);
    ck_assert_uint_eq(bits, 0xabcdef);
}
END_TEST

START_TEST(strerror_table)
{
    for (int r = POW_OK; r <= POW_ERR_BAD_PARAMS; r++) {
        const char *s = pow_strerror((enum pow_result)r);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_gt((int)strlen(s), 0);
    }
    ck_assert_str_ne(pow_strerror(POW_ERR_TARGET_ZERO), pow_strerror(POW_ERR_HASH_ABOVE_TARGET));
    ck_assert_str_eq(pow_strerror((enum pow_result)999), "unknown proof-of-work error");
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {
        compact_decode_encode, compact_invalid, compact_encode, check_hash_against_target,
        block_work, asert_on_schedule, asert_half_life, asert_fraction, asert_rounding,
        asert_clamps, asert_wide_anchor, asert_bad_params, strerror_table, NULL
    };
    return fixture_suite("pow", NULL, tests);
}
