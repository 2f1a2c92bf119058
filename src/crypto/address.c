#include "crypto/address.h"

#include <stdbool.h>
#include <string.h>

#include "crypto/key.h"

static const char *const address_errors[] = {
    [ADDRESS_OK] = "ok",
    [ADDRESS_ERR_WRONG_NETWORK] = "address is for another network",
    [ADDRESS_ERR_MIXED_CASE] = "address mixes upper and lower case",
    [ADDRESS_ERR_BAD_CHECKSUM] = "address checksum is wrong (mistyped?)",
    [ADDRESS_ERR_DATA_LENGTH] = "address does not hold exactly 32 bytes",
    [ADDRESS_ERR_PADDING] = "address has non-zero padding bits",
    [ADDRESS_ERR_NOT_ON_CURVE] = "address key is not a valid public key",
    [ADDRESS_ERR_TOO_LONG] = "address longer than 90 characters",
    [ADDRESS_ERR_NO_SEPARATOR] = "address has no '1' separator",
    [ADDRESS_ERR_EMPTY_HRP] = "address has an empty prefix",
    [ADDRESS_ERR_HRP_CHAR] = "address prefix has a character outside ASCII 33-126",
    [ADDRESS_ERR_TOO_SHORT] = "address too short to hold a checksum",
    [ADDRESS_ERR_INVALID_CHAR] = "address has a character outside the bech32 alphabet",
    [ADDRESS_ERR_BUFFER] = "output buffer too small for the address",
};

const char *address_strerror(enum address_error err)
{
    if ((unsigned)err >= sizeof address_errors / sizeof address_errors[0])
        return "unknown address error";
    return address_errors[err];
}

static enum address_error address_from_bech32m(enum bech32m_error err)
{
    switch (err) {
    case BECH32M_OK: return ADDRESS_OK;
    case BECH32M_ERR_TOO_LONG: return ADDRESS_ERR_TOO_LONG;
    case BECH32M_ERR_MIXED_CASE: return ADDRESS_ERR_MIXED_CASE;
    case BECH32M_ERR_NO_SEPARATOR: return ADDRESS_ERR_NO_SEPARATOR;
    case BECH32M_ERR_EMPTY_HRP: return ADDRESS_ERR_EMPTY_HRP;
    case BECH32M_ERR_HRP_CHAR: return ADDRESS_ERR_HRP_CHAR;
    case BECH32M_ERR_TOO_SHORT: return ADDRESS_ERR_TOO_SHORT;
    case BECH32M_ERR_INVALID_CHAR: return ADDRESS_ERR_INVALID_CHAR;
    case BECH32M_ERR_BAD_CHECKSUM: return ADDRESS_ERR_BAD_CHECKSUM;
    case BECH32M_ERR_BUFFER: return ADDRESS_ERR_BUFFER;
    case BECH32M_ERR_DATA_VALUE: break; /* we never pass values over 31 */
    }
    return ADDRESS_ERR_INVALID_CHAR;
}

/* 256 bits read big-endian, 5 at a time; the last word carries the final
 * bit and four zero bits of padding. */
static void address_to_words(const uint8_t key[ADDRESS_PUBKEY_LEN],
                             uint8_t words[ADDRESS_DATA_WORDS])
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < ADDRESS_PUBKEY_LEN; i++) {
        acc = (acc << 8) | key[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            words[n++] = (uint8_t)((acc >> bits) & 31);
        }
    }
    words[n] = (uint8_t)((acc << (5 - bits)) & 31);
}

/* The inverse; false when the leftover padding bits are not zero. */
static bool address_from_words(const uint8_t words[ADDRESS_DATA_WORDS],
                               uint8_t key[ADDRESS_PUBKEY_LEN])
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < ADDRESS_DATA_WORDS; i++) {
        acc = (acc << 5) | words[i];
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            key[n++] = (uint8_t)((acc >> bits) & 0xff);
        }
    }
    return (acc & ((1u << bits) - 1)) == 0;
}

/* Keys checked lately, per thread: the check is a square root (about 5 µs)
 * and a page of results names the same few sellers or parties again and
 * again. Direct-mapped on the key's first bytes; exact, as the verdict of
 * a key never changes. */
#define ADDRESS_CHECKED 64
struct address_checked {
    uint8_t key[ADDRESS_PUBKEY_LEN];
    bool used, valid;
};
static _Thread_local struct address_checked address_checked[ADDRESS_CHECKED];

static bool address_key_valid(const uint8_t pubkey[ADDRESS_PUBKEY_LEN])
{
    struct address_checked *c =
        &address_checked[(pubkey[0] ^ ((unsigned)pubkey[1] << 2)) % ADDRESS_CHECKED];
    if (c->used && memcmp(c->key, pubkey, ADDRESS_PUBKEY_LEN) == 0)
        return c->valid;
    bool valid = key_pubkey_valid(pubkey);
    memcpy(c->key, pubkey, ADDRESS_PUBKEY_LEN);
    c->valid = valid;
    c->used = true;
    return valid;
}

enum address_error address_encode(const char *hrp, const uint8_t pubkey[ADDRESS_PUBKEY_LEN],
                                  char *out, size_t outlen)
{
    if (!address_key_valid(pubkey))
        return ADDRESS_ERR_NOT_ON_CURVE;
    uint8_t words[ADDRESS_DATA_WORDS];
    address_to_words(pubkey, words);
    return address_from_bech32m(bech32m_encode(hrp, words, sizeof words, out, outlen));
}

static bool address_hrp_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        char ca = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        char cb = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
        if (ca != cb)
            return false;
        if (ca == '\0')
            return true;
    }
}

enum address_error address_decode(const char *expected_hrp, const char *str,
                                  uint8_t pubkey_out[ADDRESS_PUBKEY_LEN])
{
    struct bech32m_decoded d;
    enum bech32m_error berr = bech32m_decode(str, &d);
    if (berr != BECH32M_OK)
        return address_from_bech32m(berr);
    if (d.data_len != ADDRESS_DATA_WORDS)
        return ADDRESS_ERR_DATA_LENGTH;
    uint8_t key[ADDRESS_PUBKEY_LEN];
    if (!address_from_words(d.data, key))
        return ADDRESS_ERR_PADDING;
    if (!key_pubkey_valid(key))
        return ADDRESS_ERR_NOT_ON_CURVE;
    if (!address_hrp_equal(d.hrp, expected_hrp))
        return ADDRESS_ERR_WRONG_NETWORK;
    memcpy(pubkey_out, key, sizeof key);
    return ADDRESS_OK;
}
