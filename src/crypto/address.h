/* address: the text form of an account, hrp "1" bech32m(x-only pubkey).
 *
 * An address is the BIP350 bech32m encoding of the network's hrp (souk,
 * tsouk, rsouk) and the 32 bytes of an x-only public key regrouped into 52
 * five-bit words with zero padding, no version field. Decoding checks, in
 * order: the bech32m layer, the data length, the padding bits, that the key
 * is a point on the curve, and last the network, so a wrong-network error
 * means the address is otherwise valid. All-uppercase addresses are
 * accepted; encoding always produces lowercase. */
#ifndef SOUK_CRYPTO_ADDRESS_H
#define SOUK_CRYPTO_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/bech32m.h"

#define ADDRESS_PUBKEY_LEN 32
/* ceil(256 / 5) */
#define ADDRESS_DATA_WORDS 52
/* A buffer of ADDRESS_MAX_LEN + 1 bytes holds any address. */
#define ADDRESS_MAX_LEN BECH32M_MAX_LEN

enum address_error {
    ADDRESS_OK = 0,
    ADDRESS_ERR_WRONG_NETWORK, /* a valid address, but for another hrp */
    ADDRESS_ERR_MIXED_CASE,
    ADDRESS_ERR_BAD_CHECKSUM,
    ADDRESS_ERR_DATA_LENGTH,   /* not 52 data words */
    ADDRESS_ERR_PADDING,       /* the 4 padding bits are not zero */
    ADDRESS_ERR_NOT_ON_CURVE,  /* the 32 bytes are not a valid x-only key */
    ADDRESS_ERR_TOO_LONG,
    ADDRESS_ERR_NO_SEPARATOR,
    ADDRESS_ERR_EMPTY_HRP,
    ADDRESS_ERR_HRP_CHAR,
    ADDRESS_ERR_TOO_SHORT,
    ADDRESS_ERR_INVALID_CHAR,
    ADDRESS_ERR_BUFFER,        /* encode: output buffer too small */
};

const char *address_strerror(enum address_error err);

/* Writes the NUL-terminated address of pubkey for hrp into out (outlen
 * bytes including the NUL). Refuses a pubkey that is not on the curve. On
 * error out is untouched. */
enum address_error address_encode(const char *hrp, const uint8_t pubkey[ADDRESS_PUBKEY_LEN],
                                  char *out, size_t outlen);
/* Decodes str, which must be an address for expected_hrp (compared without
 * regard to case). On error pubkey_out is untouched. */
enum address_error address_decode(const char *expected_hrp, const char *str,
                                  uint8_t pubkey_out[ADDRESS_PUBKEY_LEN]);

#endif
