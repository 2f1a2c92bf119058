#include "util/hex.h"

#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void hex_encode(const uint8_t *data, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_digits[data[i] >> 4];
        out[2 * i + 1] = hex_digits[data[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

static bool hex_pair(const char *p, uint8_t *out)
{
    int hi = hex_digit_value(p[0]);
    int lo = hex_digit_value(p[1]);
    if (hi < 0 || lo < 0)
        return false;
    *out = (uint8_t)(hi << 4 | lo);
    return true;
}

bool hex_decode_exact(const char *hex, uint8_t *out, size_t outlen)
{
    if (strlen(hex) != 2 * outlen)
        return false;
    for (size_t i = 0; i < outlen; i++)
        if (!hex_pair(hex + 2 * i, &out[i]))
            return false;
    return true;
}

bool hex_decode_buf(const char *hex, size_t hexlen, struct buf *out)
{
    if (hexlen % 2 != 0)
        return false;
    size_t start = out->len;
    if (!buf_reserve(out, hexlen / 2))
        return false;
    for (size_t i = 0; i < hexlen; i += 2) {
        if (!hex_pair(hex + i, &out->data[out->len])) {
            out->len = start;
            return false;
        }
        out->len++;
    }
    return true;
}
