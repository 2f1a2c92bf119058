#include "util/amount.h"

#include <inttypes.h>
#include <stdio.h>

bool amount_add(amount_t a, amount_t b, amount_t *out)
{
    if (a > AMOUNT_MAX || b > AMOUNT_MAX - a)
        return false;
    *out = a + b;
    return true;
}

bool amount_mul(amount_t a, uint64_t b, amount_t *out)
{
    if (a > AMOUNT_MAX || (a != 0 && b > AMOUNT_MAX / a))
        return false;
    *out = a * b;
    return true;
}

bool amount_sub(amount_t a, amount_t b, amount_t *out)
{
    if (b > a)
        return false;
    *out = a - b;
    return true;
}

void amount_format(amount_t a, char *out, size_t outlen)
{
    snprintf(out, outlen, "%" PRIu64 ".%08" PRIu64, a / AMOUNT_COIN, a % AMOUNT_COIN);
}

bool amount_parse(const char *s, amount_t *out)
{
    uint64_t whole = 0, frac = 0;
    int whole_digits = 0, frac_digits = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return false;
        whole = whole * 10 + (uint64_t)(*p - '0');
        whole_digits++;
    }
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (frac_digits == 8)
                return false;
            frac = frac * 10 + (uint64_t)(*p - '0');
            frac_digits++;
        }
        if (frac_digits == 0)
            return false;
    }
    if (*p != '\0' || whole_digits == 0)
        return false;
    for (int i = frac_digits; i < 8; i++)
        frac *= 10;
    amount_t units;
    if (!amount_mul(whole, AMOUNT_COIN, &units) || !amount_add(units, frac, &units))
        return false;
    *out = units;
    return true;
}
