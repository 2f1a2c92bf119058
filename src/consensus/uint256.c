#include "consensus/uint256.h"

#include <string.h>

#include "util/hex.h"

void u256_from_u64(struct u256 *out, uint64_t v)
{
    out->w[0] = v;
    out->w[1] = out->w[2] = out->w[3] = 0;
}

void u256_from_be(struct u256 *out, const uint8_t in[U256_BYTES])
{
    struct u256 r;
    for (int limb = 0; limb < 4; limb++) {
        uint64_t v = 0;
        const uint8_t *p = in + (3 - limb) * 8;
        for (int i = 0; i < 8; i++)
            v = (v << 8) | p[i];
        r.w[limb] = v;
    }
    *out = r;
}

void u256_to_be(const struct u256 *a, uint8_t out[U256_BYTES])
{
    for (int limb = 0; limb < 4; limb++) {
        uint64_t v = a->w[limb];
        uint8_t *p = out + (3 - limb) * 8;
        for (int i = 7; i >= 0; i--) {
            p[i] = (uint8_t)v;
            v >>= 8;
        }
    }
}

bool u256_from_hex(struct u256 *out, const char *hex)
{
    uint8_t be[U256_BYTES];
    if (strlen(hex) != U256_HEX_LEN || !hex_decode_exact(hex, be, sizeof be))
        return false;
    u256_from_be(out, be);
    return true;
}

void u256_to_hex(const struct u256 *a, char out[U256_HEX_LEN + 1])
{
    uint8_t be[U256_BYTES];
    u256_to_be(a, be);
    hex_encode(be, sizeof be, out);
}

bool u256_is_zero(const struct u256 *a)
{
    return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

int u256_cmp(const struct u256 *a, const struct u256 *b)
{
    for (int i = 3; i >= 0; i--) {
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    }
    return 0;
}

unsigned u256_bits(const struct u256 *a)
{
    for (int i = 3; i >= 0; i--) {
        uint64_t v = a->w[i];
        if (v == 0)
            continue;
        unsigned n = 0;
        while (v != 0) {
            v >>= 1;
            n++;
        }
        return (unsigned)i * 64 + n;
    }
    return 0;
}

bool u256_add(struct u256 *out, const struct u256 *a, const struct u256 *b)
{
    struct u256 r;
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t s = a->w[i] + carry;
        uint64_t c1 = s < carry;
        r.w[i] = s + b->w[i];
        carry = c1 | (r.w[i] < s);
    }
    if (carry)
        return false;
    *out = r;
    return true;
}

/* a - b modulo 2^256. */
static void sub_wrap(struct u256 *out, const struct u256 *a, const struct u256 *b)
{
    struct u256 r;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t d = a->w[i] - b->w[i];
        uint64_t b1 = a->w[i] < b->w[i];
        r.w[i] = d - borrow;
        borrow = b1 | (d < borrow);
    }
    *out = r;
}

bool u256_sub(struct u256 *out, const struct u256 *a, const struct u256 *b)
{
    if (u256_cmp(a, b) < 0)
        return false;
    sub_wrap(out, a, b);
    return true;
}

void u256_not(struct u256 *out, const struct u256 *a)
{
    for (int i = 0; i < 4; i++)
        out->w[i] = ~a->w[i];
}

void u256_shl(struct u256 *out, const struct u256 *a, unsigned n)
{
    struct u256 r = {{0, 0, 0, 0}};
    if (n < 256) {
        unsigned limbs = n / 64, bits = n % 64;
        for (unsigned i = limbs; i < 4; i++) {
            r.w[i] = a->w[i - limbs] << bits;
            /* a shift by 64 is undefined in C, so the carry-in needs its own guard */
            if (bits != 0 && i > limbs)
                r.w[i] |= a->w[i - limbs - 1] >> (64 - bits);
        }
    }
    *out = r;
}

void u256_shr(struct u256 *out, const struct u256 *a, unsigned n)
{
    struct u256 r = {{0, 0, 0, 0}};
    if (n < 256) {
        unsigned limbs = n / 64, bits = n % 64;
        for (unsigned i = 0; i + limbs < 4; i++) {
            r.w[i] = a->w[i + limbs] >> bits;
            if (bits != 0 && i + limbs + 1 < 4)
                r.w[i] |= a->w[i + limbs + 1] << (64 - bits);
        }
    }
    *out = r;
}

/* 64x64 -> 128-bit product from 32-bit halves, to stay within plain C11. */
static void mul_64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32;
    uint64_t b_lo = b & 0xffffffffu, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    *lo = (mid << 32) | (ll & 0xffffffffu);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

uint64_t u256_mul_u64_wide(struct u256 *lo, const struct u256 *a, uint64_t m)
{
    struct u256 r;
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t hi, low;
        mul_64(a->w[i], m, &hi, &low);
        low += carry;
        hi += low < carry; /* cannot overflow: hi <= 2^64 - 2 here */
        r.w[i] = low;
        carry = hi;
    }
    *lo = r;
    return carry;
}

bool u256_mul_u64(struct u256 *out, const struct u256 *a, uint64_t m)
{
    struct u256 r;
    if (u256_mul_u64_wide(&r, a, m) != 0)
        return false;
    *out = r;
    return true;
}

bool u256_divmod(struct u256 *quot, struct u256 *rem, const struct u256 *a,
                 const struct u256 *b)
{
    if (u256_is_zero(b))
        return false;
    /* Binary long division: only ever run on a few values per block header,
     * so clarity wins over speed. */
    struct u256 q = {{0, 0, 0, 0}}, r = {{0, 0, 0, 0}};
    for (int bit = (int)u256_bits(a) - 1; bit >= 0; bit--) {
        /* r <= (a >> (bit + 1)) < 2^255 here, so the shift cannot lose a bit */
        u256_shl(&r, &r, 1);
        r.w[0] |= (a->w[bit / 64] >> (bit % 64)) & 1;
        if (u256_cmp(&r, b) >= 0) {
            sub_wrap(&r, &r, b);
            q.w[bit / 64] |= (uint64_t)1 << (bit % 64);
        }
    }
    *quot = q;
    if (rem != NULL)
        *rem = r;
    return true;
}
