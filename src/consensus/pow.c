#include "consensus/pow.h"

#include <stddef.h>

#define BITS_SIGN 0x00800000u
#define BITS_MANTISSA 0x007fffffu

const char *pow_strerror(enum pow_result r)
{
    switch (r) {
    case POW_OK:
        return "ok";
    case POW_ERR_BITS_NEGATIVE:
        return "bits encode a negative target";
    case POW_ERR_BITS_OVERFLOW:
        return "bits encode a target wider than 256 bits";
    case POW_ERR_TARGET_ZERO:
        return "bits encode a zero target";
    case POW_ERR_TARGET_ABOVE_LIMIT:
        return "target is above the proof-of-work limit";
    case POW_ERR_HASH_ABOVE_TARGET:
        return "block hash does not meet the target";
    case POW_ERR_BAD_PARAMS:
        return "invalid difficulty parameters";
    }
    return "unknown proof-of-work error";
}

enum pow_result pow_bits_to_target(uint32_t bits, struct u256 *target)
{
    unsigned size = bits >> 24;
    uint32_t mantissa = bits & BITS_MANTISSA;
    /* With fewer than 3 bytes the low mantissa bytes fall off first; the
     * sign and overflow rules look only at what is left (as Bitcoin does, so
     * 0x01803456 is a plain zero, not a negative number). */
    if (size <= 3)
        mantissa >>= 8 * (3 - size);
    if (mantissa != 0 && (bits & BITS_SIGN) != 0)
        return POW_ERR_BITS_NEGATIVE;
    /* A mantissa of 1, 2 or 3 significant bytes placed at `size` bytes must
     * still end within 32 bytes. */
    if (mantissa != 0 &&
        (size > 34 || (mantissa > 0xff && size > 33) || (mantissa > 0xffff && size > 32)))
        return POW_ERR_BITS_OVERFLOW;
    struct u256 t;
    u256_from_u64(&t, mantissa);
    if (size > 3)
        u256_shl(&t, &t, 8 * (size - 3));
    *target = t;
    return POW_OK;
}

uint32_t pow_target_to_bits(const struct u256 *target)
{
    unsigned size = (u256_bits(target) + 7) / 8;
    uint32_t mantissa;
    if (size <= 3) {
        mantissa = (uint32_t)(target->w[0] << (8 * (3 - size)));
    } else {
        struct u256 t;
        u256_shr(&t, target, 8 * (size - 3));
        mantissa = (uint32_t)t.w[0];
    }
    /* The top mantissa bit is the sign: move it a byte down rather than
     * produce a "negative" encoding. */
    if (mantissa & BITS_SIGN) {
        mantissa >>= 8;
        size++;
    }
    return mantissa | ((uint32_t)size << 24);
}

/* Decodes bits into a target that is usable as a real target: non-zero and,
 * when limit is given, no easier than it. */
static enum pow_result usable_target(uint32_t bits, const struct u256 *limit, struct u256 *target)
{
    struct u256 t;
    enum pow_result r = pow_bits_to_target(bits, &t);
    if (r != POW_OK)
        return r;
    if (u256_is_zero(&t))
        return POW_ERR_TARGET_ZERO;
    if (limit != NULL && u256_cmp(&t, limit) > 0)
        return POW_ERR_TARGET_ABOVE_LIMIT;
    *target = t;
    return POW_OK;
}

enum pow_result pow_check(const uint8_t block_hash[U256_BYTES], uint32_t bits,
                          const struct u256 *pow_limit)
{
    struct u256 target, hash;
    enum pow_result r = usable_target(bits, pow_limit, &target);
    if (r != POW_OK)
        return r;
    u256_from_be(&hash, block_hash);
    if (u256_cmp(&hash, &target) > 0)
        return POW_ERR_HASH_ABOVE_TARGET;
    return POW_OK;
}

enum pow_result pow_block_work(uint32_t bits, struct u256 *work)
{
    struct u256 target, one, denom, w;
    enum pow_result r = usable_target(bits, NULL, &target);
    if (r != POW_OK)
        return r;
    /* 2^256 does not fit, so use 2^256 / (t+1) = (2^256 - 1 - t) / (t+1) + 1,
     * exact in floor arithmetic because (2^256 - 1 - t) + (t+1) = 2^256. */
    u256_from_u64(&one, 1);
    if (!u256_add(&denom, &target, &one)) {
        /* t = 2^256 - 1 is out of reach of valid bits; its work would be 1 */
        *work = one;
        return POW_OK;
    }
    u256_not(&w, &target);
    u256_divmod(&w, NULL, &w, &denom);
    u256_add(&w, &w, &one); /* w <= 2^255 here, so no overflow */
    *work = w;
    return POW_OK;
}

/* --- ASERT ------------------------------------------------------------- */

/* A signed 128-bit two's-complement value, enough to hold a time difference
 * minus height * spacing for any 64-bit inputs without saturating. */
struct wide {
    uint64_t hi, lo;
};

static struct wide wide_from_i64(int64_t v)
{
    struct wide w = {v < 0 ? UINT64_MAX : 0, (uint64_t)v};
    return w;
}

static struct wide wide_sub(struct wide a, struct wide b)
{
    struct wide r = {a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};
    return r;
}

/* v clamped to [-bound, bound], for 0 < bound < 2^63. */
static int64_t wide_clamp(struct wide v, int64_t bound)
{
    bool negative = (v.hi >> 63) != 0;
    if (!negative && (v.hi != 0 || v.lo > (uint64_t)bound))
        return bound;
    if (negative && (v.hi != UINT64_MAX || v.lo < (uint64_t)-bound))
        return -bound;
    /* |v| <= bound: the low word alone holds it; rebuild the sign without
     * relying on implementation-defined unsigned-to-signed conversion */
    return negative ? -(int64_t)(~v.lo) - 1 : (int64_t)v.lo;
}

/* floor(a / b) for b > 0; C's own division truncates toward zero. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && a < 0)
        q--;
    return q;
}

/* 65536 * 2^(frac/65536), approximated for frac in [0, 65535] by the
 * aserti3-2d cubic, rounded to the nearest integer by the 2^47 term. The
 * coefficients are chosen so the sum stays below 2^64 at frac = 65535. */
static uint64_t asert_factor(uint64_t frac)
{
    uint64_t poly = 195766423245049ull * frac + 971821376ull * frac * frac +
                    5127ull * frac * frac * frac + (1ull << 47);
    return 65536 + (poly >> 48);
}

/* *out = floor(product * 2^n) clamped to [1, limit], where product is the
 * 320-bit value hi:lo (hi above the low 256 bits). */
static void scale_and_clamp(const struct u256 *lo, uint64_t hi, int64_t n,
                            const struct u256 *limit, struct u256 *out)
{
    struct u256 r;
    bool too_big = false;
    if (n >= 0) {
        too_big = hi != 0 || n > 256 || u256_bits(lo) + (uint64_t)n > 256;
        if (!too_big)
            u256_shl(&r, lo, (unsigned)n);
    } else if (n <= -320) {
        u256_from_u64(&r, 0);
    } else {
        unsigned k = (unsigned)-n;
        u256_shr(&r, lo, k); /* zero when k >= 256 */
        if (hi != 0) {
            struct u256 h;
            u256_from_u64(&h, hi);
            if (k >= 256) {
                u256_shr(&h, &h, k - 256);
                r = h; /* the low part shifted out entirely */
            } else {
                /* hi lands at bit 256 - k: it fits only if it has <= k bits;
                 * the two parts never overlap, so adding cannot carry. */
                too_big = u256_bits(&h) > k;
                if (!too_big) {
                    u256_shl(&h, &h, 256 - k);
                    u256_add(&r, &r, &h);
                }
            }
        }
    }
    if (too_big || u256_cmp(&r, limit) > 0) {
        *out = *limit;
    } else if (u256_is_zero(&r)) {
        u256_from_u64(out, 1);
    } else {
        *out = r;
    }
}

enum pow_result pow_asert_next_target(const struct pow_asert_params *p, uint64_t parent_height,
                                      int64_t parent_time, struct u256 *target)
{
    if (p->spacing < 1 || p->spacing > POW_ASERT_PARAM_MAX || p->half_life < 1 ||
        p->half_life > POW_ASERT_PARAM_MAX || u256_is_zero(&p->pow_limit))
        return POW_ERR_BAD_PARAMS;
    struct u256 anchor;
    enum pow_result r = usable_target(p->anchor_bits, &p->pow_limit, &anchor);
    if (r != POW_OK)
        return r;

    /* How many seconds the parent is behind schedule (negative: ahead). The
     * genesis block is the anchor, so block 1 (parent height 0) sees 0.
     * Beyond 300 half-lives the result is pinned at 1 or the limit (2^300
     * dwarfs any 256-bit ratio), so clamping there changes no outcome and
     * keeps behind * 65536 well inside 64 bits. */
    struct u256 h, ideal;
    u256_from_u64(&h, parent_height);
    u256_mul_u64_wide(&ideal, &h, (uint64_t)p->spacing); /* < 2^96: limbs 0 and 1 */
    struct wide ideal_w = {ideal.w[1], ideal.w[0]};
    struct wide behind_w = wide_sub(
        wide_sub(wide_from_i64(parent_time), wide_from_i64(p->anchor_time)), ideal_w);
    int64_t behind = wide_clamp(behind_w, 300 * p->half_life);

    /* 16.16 fixed-point exponent, rounded toward negative infinity, then
     * split into whole doublings and a fraction in [0, 65536). */
    int64_t exponent = floor_div(behind * 65536, p->half_life);
    int64_t shifts = floor_div(exponent, 65536);
    uint64_t frac = (uint64_t)(exponent - shifts * 65536);

    struct u256 lo;
    uint64_t hi = u256_mul_u64_wide(&lo, &anchor, asert_factor(frac));
    /* the factor carries 16 fractional bits */
    scale_and_clamp(&lo, hi, shifts - 16, &p->pow_limit, target);
    return POW_OK;
}

enum pow_result pow_asert_next_bits(const struct pow_asert_params *p, uint64_t parent_height,
                                    int64_t parent_time, uint32_t *bits)
{
    struct u256 t;
    enum pow_result r = pow_asert_next_target(p, parent_height, parent_time, &t);
    if (r != POW_OK)
        return r;
    *bits = pow_target_to_bits(&t);
    return POW_OK;
}
