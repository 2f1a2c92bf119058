#include "crypto/random.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdint.h>

bool random_bytes(void *out, size_t len)
{
    uint8_t *p = out;
    size_t left = len;
    /* RAND_bytes takes an int count, so a huge request goes in slices. */
    while (left > 0) {
        int n = left > (size_t)INT_MAX ? INT_MAX : (int)left;
        if (RAND_bytes(p, n) != 1) {
            OPENSSL_cleanse(out, len);
            return false;
        }
        p += n;
        left -= (size_t)n;
    }
    return true;
}
