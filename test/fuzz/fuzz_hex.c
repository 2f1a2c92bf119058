/* Hex from users (hashes, raw transactions, keys): the input as text
 * through hex_decode_buf and hex_decode_exact. Decoding succeeds exactly
 * when the text has an even length and only hex digits (either case), and
 * hex_encode of the bytes gives the text again in lower case; the exact
 * form also needs the length it was asked for. */
#include <ctype.h>
#include <string.h>

#include "fuzz.h"

#include "util/hex.h"

static struct buf out;
static char again[2 * 4096 + 1];

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

void fuzz_one(const uint8_t *data, size_t size)
{
    const char *s;
    fuzz_split(data, size, &s, 1);
    size_t n = strlen(s);
    bool valid = n % 2 == 0 && all_hex(s, n);
    buf_reset(&out);
    FUZZ_ASSERT(buf_append(&out, "x", 1)); /* decoding appends */
    bool ok = hex_decode_buf(s, n, &out);
    FUZZ_ASSERT(ok == valid);
    if (ok) {
        FUZZ_ASSERT(out.len == 1 + n / 2 && out.data[0] == 'x');
        if (n / 2 <= 4096) {
            hex_encode(out.data + 1, n / 2, again);
            for (size_t i = 0; i < n; i++)
                FUZZ_ASSERT(again[i] == tolower((unsigned char)s[i]));
            FUZZ_ASSERT(again[n] == '\0');
        }
    } else {
        FUZZ_ASSERT(out.len == 1);
    }
    uint8_t hash[32];
    FUZZ_ASSERT(hex_decode_exact(s, hash, sizeof hash) == (valid && n == 64));
    if (valid && n == 64)
        FUZZ_ASSERT(memcmp(hash, out.data + 1, sizeof hash) == 0);
}
