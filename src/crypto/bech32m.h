/* bech32m: BIP350 string encoding of a human-readable part and 5-bit data.
 *
 * The layer under addresses: it knows the character set, the case rules and
 * the checksum, nothing about what the data means. Only the bech32m checksum
 * constant is accepted; a string with a valid original-bech32 checksum is
 * rejected as a bad checksum. Every rejection has its own error code. */
#ifndef SOUK_CRYPTO_BECH32M_H
#define SOUK_CRYPTO_BECH32M_H

#include <stddef.h>
#include <stdint.h>

/* Longest valid string (BIP173), and the parts that must fit inside it. */
#define BECH32M_MAX_LEN 90
#define BECH32M_CHECKSUM_LEN 6
#define BECH32M_MAX_HRP_LEN (BECH32M_MAX_LEN - 1 - BECH32M_CHECKSUM_LEN)
#define BECH32M_MAX_DATA_LEN (BECH32M_MAX_LEN - 2 - BECH32M_CHECKSUM_LEN)

enum bech32m_error {
    BECH32M_OK = 0,
    BECH32M_ERR_TOO_LONG,      /* more than BECH32M_MAX_LEN characters */
    BECH32M_ERR_MIXED_CASE,    /* both upper- and lowercase letters */
    BECH32M_ERR_NO_SEPARATOR,  /* no '1' */
    BECH32M_ERR_EMPTY_HRP,     /* nothing before the separator */
    BECH32M_ERR_HRP_CHAR,      /* hrp character outside US-ASCII 33..126 */
    BECH32M_ERR_TOO_SHORT,     /* fewer than 6 characters after the separator */
    BECH32M_ERR_INVALID_CHAR,  /* data character not in the bech32 alphabet */
    BECH32M_ERR_BAD_CHECKSUM,  /* checksum wrong (or a bech32, not bech32m, one) */
    BECH32M_ERR_DATA_VALUE,    /* encode: a data value above 31 */
    BECH32M_ERR_BUFFER,        /* encode: output buffer too small */
};

/* A decoded string: the hrp in lowercase, NUL-terminated, and the 5-bit
 * data values without the checksum. */
struct bech32m_decoded {
    char hrp[BECH32M_MAX_HRP_LEN + 1];
    uint8_t data[BECH32M_MAX_DATA_LEN];
    size_t data_len;
};

const char *bech32m_strerror(enum bech32m_error err);

/* Writes hrp '1' data checksum, all lowercase, NUL-terminated, into out
 * (outlen bytes including the NUL). Uppercase hrp letters are written
 * lowercase. On error out is untouched. */
enum bech32m_error bech32m_encode(const char *hrp, const uint8_t *data, size_t data_len, char *out,
                                  size_t outlen);
/* Parses a NUL-terminated string, all lowercase or all uppercase. On error
 * *out is untouched. */
enum bech32m_error bech32m_decode(const char *str, struct bech32m_decoded *out);

#endif
