/* amount: coin amounts in base units and their overflow-checked arithmetic.
 *
 * An amount is an unsigned 64-bit count of base units (1 coin = 100,000,000
 * units). Consensus code never adds or multiplies amounts with bare operators:
 * these helpers report overflow instead of wrapping. Also converts to and from
 * the decimal "coins with 8 places" form used in JSON. */
#ifndef SOUK_UTIL_AMOUNT_H
#define SOUK_UTIL_AMOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t amount_t;

#define AMOUNT_COIN ((amount_t)100000000)
/* No valid amount exceeds this: 21 billion coins leaves room for every
 * sum consensus forms while staying far from 2^63 (JSON-safe as decimal). */
#define AMOUNT_MAX ((amount_t)21000000000 * AMOUNT_COIN)

/* *out = a + b; false (and *out untouched) when the sum exceeds AMOUNT_MAX. */
bool amount_add(amount_t a, amount_t b, amount_t *out);
/* *out = a * b; false (and *out untouched) when the product exceeds AMOUNT_MAX. */
bool amount_mul(amount_t a, uint64_t b, amount_t *out);
/* *out = a - b; false when b > a. */
bool amount_sub(amount_t a, amount_t b, amount_t *out);
static inline bool amount_valid(amount_t a) { return a <= AMOUNT_MAX; }

/* Formats "12.34500000" (always 8 decimals) into out (>= 32 bytes). */
void amount_format(amount_t a, char *out, size_t outlen);
/* Parses a decimal coin string ("1", "0.5", "1.23456789"): digits, at most
 * one '.', at most 8 decimals, no sign, no exponent, <= AMOUNT_MAX. */
bool amount_parse(const char *s, amount_t *out);

#endif
