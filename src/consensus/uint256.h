/* uint256: unsigned 256-bit integers for proof-of-work targets and chain work.
 *
 * Owns only the arithmetic: no consensus meaning lives here. Values are plain
 * structs passed by pointer and never allocate. The external form is 32 bytes
 * big-endian (how a block hash is read as a number). Every operation that can
 * overflow or fail reports it and leaves its output untouched; the shifts are
 * the exception and simply drop the bits they push out, like C's own shifts.
 * Outputs may alias inputs. */
#ifndef SOUK_CONSENSUS_UINT256_H
#define SOUK_CONSENSUS_UINT256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define U256_BYTES 32
#define U256_HEX_LEN 64 /* hex digits, without the NUL */

struct u256 {
    uint64_t w[4]; /* little-endian limbs: w[0] holds the lowest 64 bits */
};

void u256_from_u64(struct u256 *out, uint64_t v);
void u256_from_be(struct u256 *out, const uint8_t in[U256_BYTES]);
void u256_to_be(const struct u256 *a, uint8_t out[U256_BYTES]);
/* Exactly 64 hex digits, most significant first (either case). */
bool u256_from_hex(struct u256 *out, const char *hex);
/* Writes 64 lowercase hex digits and a NUL (out holds U256_HEX_LEN + 1). */
void u256_to_hex(const struct u256 *a, char out[U256_HEX_LEN + 1]);

bool u256_is_zero(const struct u256 *a);
/* -1, 0 or 1 as a is less than, equal to or greater than b. */
int u256_cmp(const struct u256 *a, const struct u256 *b);
/* Position of the highest set bit plus one; 0 for zero, 256 at most. */
unsigned u256_bits(const struct u256 *a);

/* *out = a + b; false when the sum needs more than 256 bits. */
bool u256_add(struct u256 *out, const struct u256 *a, const struct u256 *b);
/* *out = a - b; false when b > a. */
bool u256_sub(struct u256 *out, const struct u256 *a, const struct u256 *b);
/* *out = ~a (every bit flipped, i.e. 2^256 - 1 - a). */
void u256_not(struct u256 *out, const struct u256 *a);
/* Shifts by n bits; n >= 256 gives zero. */
void u256_shl(struct u256 *out, const struct u256 *a, unsigned n);
void u256_shr(struct u256 *out, const struct u256 *a, unsigned n);

/* *out = a * m; false when the product needs more than 256 bits. */
bool u256_mul_u64(struct u256 *out, const struct u256 *a, uint64_t m);
/* The full 320-bit product a * m: the low 256 bits go to *lo, the high 64
 * bits are returned. For callers that must treat an overflow exactly. */
uint64_t u256_mul_u64_wide(struct u256 *lo, const struct u256 *a, uint64_t m);
/* *quot = a / b and, when rem is not NULL, *rem = a % b (truncating, as
 * both are unsigned); false when b is zero. */
bool u256_divmod(struct u256 *quot, struct u256 *rem, const struct u256 *a,
                 const struct u256 *b);

#endif
