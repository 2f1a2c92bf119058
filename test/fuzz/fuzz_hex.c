/* Hex from users (hashes, raw transactions, keys): the input's first
 * NUL-separated field as text through hex_decode_buf and hex_decode_exact.
 * Decoding succeeds exactly when the text has an even length and only hex
 * digits (either case), and hex_encode of the bytes gives the text again
 * in lower case; the exact form also needs the length it was asked for.
 *
 * Base64 from RPC clients (photos and files: market_addmedia,
 * chat_sendfile): the second field through rpc_base64_decode. It succeeds
 * exactly when the length is a multiple of 4 and the text is the alphabet
 * followed by at most two '='; the bytes are 3 per group less the padding,
 * and encoded again (rpc_base64_json) they are the input, but for the
 * bits of the last character that the padding leaves unused. */
#include <ctype.h>
#include <string.h>

#include "fuzz.h"

#include "rpc/rpcutil.h"
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

static bool b64_char(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '/';
}

static void check_base64(const char *s)
{
    size_t n = strlen(s);
    size_t pad = n > 0 && s[n - 1] == '=' ? (n > 1 && s[n - 2] == '=' ? 2 : 1) : 0;
    bool valid = n % 4 == 0;
    for (size_t i = 0; valid && i < n - pad; i++)
        valid = b64_char(s[i]);
    struct buf bytes;
    buf_init(&bytes);
    bool ok = rpc_base64_decode(s, n, &bytes);
    FUZZ_ASSERT(ok == valid);
    if (ok) {
        FUZZ_ASSERT(bytes.len == n / 4 * 3 - pad);
        json_t *enc = rpc_base64_json(bytes.data, bytes.len);
        FUZZ_ASSERT(enc != NULL);
        const char *t = json_string_value(enc);
        FUZZ_ASSERT(strlen(t) == n);
        for (size_t i = 0; i < n; i++)
            FUZZ_ASSERT(t[i] == s[i] || (pad > 0 && i == n - pad - 1));
        struct buf again_bytes;
        buf_init(&again_bytes);
        FUZZ_ASSERT(rpc_base64_decode(t, n, &again_bytes));
        FUZZ_ASSERT(again_bytes.len == bytes.len &&
                    (bytes.len == 0 || memcmp(again_bytes.data, bytes.data, bytes.len) == 0));
        buf_clear(&again_bytes);
        json_decref(enc);
    }
    buf_clear(&bytes);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    const char *parts[2];
    fuzz_split(data, size, parts, 2);
    check_base64(parts[1]);
    const char *s = parts[0];
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
