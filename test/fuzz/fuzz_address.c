/* address_decode / bech32m_decode: any string; an accepted address
 * re-encodes to the same string (lower-cased). */
#include "fuzz.h"

#include <ctype.h>
#include <string.h>

#include "crypto/address.h"
#include "crypto/bech32m.h"

void fuzz_one(const uint8_t *data, size_t size)
{
    char s[128];
    if (size >= sizeof s)
        return;
    memcpy(s, data, size);
    s[size] = '\0';
    uint8_t key[32];
    if (address_decode("rsouk", s, key) == ADDRESS_OK) {
        char again[ADDRESS_MAX_LEN + 1];
        FUZZ_ASSERT(address_encode("rsouk", key, again, sizeof again) == ADDRESS_OK);
        /* The input is a C string: it ends at the first NUL. */
        size_t n = strlen(s);
        FUZZ_ASSERT(strlen(again) == n);
        for (size_t i = 0; i < n; i++)
            FUZZ_ASSERT(again[i] == tolower((unsigned char)s[i]));
    }
    struct bech32m_decoded d;
    (void)bech32m_decode(s, &d);
}
