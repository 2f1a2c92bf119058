#include "crypto/bech32m.h"

#include <stdbool.h>
#include <string.h>

static const char bech32m_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* The value the checksum polynomial must leave for bech32m (BIP350); plain
 * bech32 used 1, which is why a bech32 string fails here. */
#define BECH32M_CONST 0x2bc830a3u

static const char *const bech32m_errors[] = {
    [BECH32M_OK] = "ok",
    [BECH32M_ERR_TOO_LONG] = "string longer than 90 characters",
    [BECH32M_ERR_MIXED_CASE] = "mixed upper and lower case",
    [BECH32M_ERR_NO_SEPARATOR] = "no '1' separator",
    [BECH32M_ERR_EMPTY_HRP] = "empty human-readable part",
    [BECH32M_ERR_HRP_CHAR] = "human-readable part has a character outside ASCII 33-126",
    [BECH32M_ERR_TOO_SHORT] = "data part shorter than the 6-character checksum",
    [BECH32M_ERR_INVALID_CHAR] = "data part has a character outside the bech32 alphabet",
    [BECH32M_ERR_BAD_CHECKSUM] = "bad bech32m checksum",
    [BECH32M_ERR_DATA_VALUE] = "data value does not fit in 5 bits",
    [BECH32M_ERR_BUFFER] = "output buffer too small",
};

const char *bech32m_strerror(enum bech32m_error err)
{
    if ((unsigned)err >= sizeof bech32m_errors / sizeof bech32m_errors[0])
        return "unknown bech32m error";
    return bech32m_errors[err];
}

/* One step of the BCH code's generator polynomial over GF(32) (BIP173). */
static uint32_t bech32m_polymod_step(uint32_t chk, uint8_t value)
{
    static const uint32_t gen[5] = {0x3b6a57b2u, 0x26508e6du, 0x1ea119fau, 0x3d4233ddu,
                                    0x2a1462b3u};
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffffu) << 5) ^ value;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1)
            chk ^= gen[i];
    return chk;
}

static char bech32m_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* The checksum covers the hrp, lowercased, fed as its high bits, a zero,
 * then its low bits, so that the case of the string cannot change it. */
static uint32_t bech32m_polymod_hrp(const char *hrp, size_t hrp_len)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < hrp_len; i++)
        chk = bech32m_polymod_step(chk, (uint8_t)((unsigned char)bech32m_lower(hrp[i]) >> 5));
    chk = bech32m_polymod_step(chk, 0);
    for (size_t i = 0; i < hrp_len; i++)
        chk = bech32m_polymod_step(chk, (uint8_t)(bech32m_lower(hrp[i]) & 31));
    return chk;
}

static int bech32m_char_value(char c)
{
    c = bech32m_lower(c);
    for (int i = 0; i < 32; i++)
        if (bech32m_charset[i] == c)
            return i;
    return -1;
}

static bool bech32m_hrp_char_ok(char c)
{
    unsigned char u = (unsigned char)c;
    return u >= 33 && u <= 126;
}

enum bech32m_error bech32m_encode(const char *hrp, const uint8_t *data, size_t data_len, char *out,
                                  size_t outlen)
{
    size_t hrp_len = strlen(hrp);
    if (hrp_len == 0)
        return BECH32M_ERR_EMPTY_HRP;
    if (hrp_len > BECH32M_MAX_HRP_LEN || data_len > BECH32M_MAX_LEN - 1 - hrp_len -
                                                        BECH32M_CHECKSUM_LEN)
        return BECH32M_ERR_TOO_LONG;
    for (size_t i = 0; i < hrp_len; i++)
        if (!bech32m_hrp_char_ok(hrp[i]))
            return BECH32M_ERR_HRP_CHAR;
    for (size_t i = 0; i < data_len; i++)
        if (data[i] > 31)
            return BECH32M_ERR_DATA_VALUE;
    size_t total = hrp_len + 1 + data_len + BECH32M_CHECKSUM_LEN;
    if (outlen < total + 1)
        return BECH32M_ERR_BUFFER;

    uint32_t chk = bech32m_polymod_hrp(hrp, hrp_len);
    for (size_t i = 0; i < data_len; i++)
        chk = bech32m_polymod_step(chk, data[i]);
    for (int i = 0; i < BECH32M_CHECKSUM_LEN; i++)
        chk = bech32m_polymod_step(chk, 0);
    chk ^= BECH32M_CONST;

    size_t pos = 0;
    for (size_t i = 0; i < hrp_len; i++)
        out[pos++] = bech32m_lower(hrp[i]);
    out[pos++] = '1';
    for (size_t i = 0; i < data_len; i++)
        out[pos++] = bech32m_charset[data[i]];
    for (int i = 0; i < BECH32M_CHECKSUM_LEN; i++)
        out[pos++] = bech32m_charset[(chk >> (5 * (BECH32M_CHECKSUM_LEN - 1 - i))) & 31];
    out[pos] = '\0';
    return BECH32M_OK;
}

enum bech32m_error bech32m_decode(const char *str, struct bech32m_decoded *out)
{
    /* Bounded scan: an arbitrarily long input is rejected without reading
     * more of it than the limit. */
    size_t len = 0;
    while (str[len] != '\0') {
        if (++len > BECH32M_MAX_LEN)
            return BECH32M_ERR_TOO_LONG;
    }
    bool has_lower = false, has_upper = false;
    size_t sep = len;
    for (size_t i = 0; i < len; i++) {
        if (str[i] >= 'a' && str[i] <= 'z')
            has_lower = true;
        else if (str[i] >= 'A' && str[i] <= 'Z')
            has_upper = true;
        else if (str[i] == '1')
            sep = i;
    }
    if (has_lower && has_upper)
        return BECH32M_ERR_MIXED_CASE;
    if (sep == len)
        return BECH32M_ERR_NO_SEPARATOR;
    if (sep == 0)
        return BECH32M_ERR_EMPTY_HRP;
    for (size_t i = 0; i < sep; i++)
        if (!bech32m_hrp_char_ok(str[i]))
            return BECH32M_ERR_HRP_CHAR;
    size_t data_chars = len - sep - 1;
    if (data_chars < BECH32M_CHECKSUM_LEN)
        return BECH32M_ERR_TOO_SHORT;

    uint8_t values[BECH32M_MAX_LEN];
    for (size_t i = 0; i < data_chars; i++) {
        int v = bech32m_char_value(str[sep + 1 + i]);
        if (v < 0)
            return BECH32M_ERR_INVALID_CHAR;
        values[i] = (uint8_t)v;
    }
    uint32_t chk = bech32m_polymod_hrp(str, sep);
    for (size_t i = 0; i < data_chars; i++)
        chk = bech32m_polymod_step(chk, values[i]);
    if (chk != BECH32M_CONST)
        return BECH32M_ERR_BAD_CHECKSUM;

    for (size_t i = 0; i < sep; i++)
        out->hrp[i] = bech32m_lower(str[i]);
    out->hrp[sep] = '\0';
    out->data_len = data_chars - BECH32M_CHECKSUM_LEN;
    memcpy(out->data, values, out->data_len);
    return BECH32M_OK;
}
