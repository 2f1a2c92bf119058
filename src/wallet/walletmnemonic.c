#include "wallet/walletmnemonic.h"

#include <string.h>

#include <openssl/crypto.h>

#include "crypto/sha256.h"

/* 256 bits of seed and 8 of checksum: 33 bytes, 24 groups of 11 bits. */
#define WALLETMNEMONIC_BITS_LEN 33
#define WALLETMNEMONIC_BITS_PER_WORD 11

static const char *const walletmnemonic_errors[WALLETMNEMONIC_ERR_COUNT_] = {
    [WALLETMNEMONIC_OK] = "success",
    [WALLETMNEMONIC_ERR_COUNT] = "a mnemonic has 24 words",
    [WALLETMNEMONIC_ERR_WORD] = "a word is not in the BIP39 English list",
    [WALLETMNEMONIC_ERR_CHECKSUM] = ("the words do not match their checksum (a word wrong or "
                                     "out of order)"),
};

const char *walletmnemonic_strerror(enum walletmnemonic_err err)
{
    if ((unsigned)err >= WALLETMNEMONIC_ERR_COUNT_)
        return "unknown mnemonic error";
    return walletmnemonic_errors[err];
}

/* seed || first byte of SHA-256(seed). */
static void walletmnemonic_bits(const uint8_t seed[32], uint8_t bits[WALLETMNEMONIC_BITS_LEN])
{
    uint8_t hash[SHA256_LEN];
    sha256(seed, 32, hash);
    memcpy(bits, seed, 32);
    bits[32] = hash[0];
    OPENSSL_cleanse(hash, sizeof hash);
}

void walletmnemonic_from_seed(const uint8_t seed[32], char text[WALLETMNEMONIC_TEXT_MAX + 1])
{
    uint8_t bits[WALLETMNEMONIC_BITS_LEN];
    walletmnemonic_bits(seed, bits);
    size_t pos = 0;
    for (size_t w = 0; w < WALLETMNEMONIC_WORDS; w++) {
        unsigned idx = 0;
        for (size_t b = 0; b < WALLETMNEMONIC_BITS_PER_WORD; b++) {
            size_t bit = w * WALLETMNEMONIC_BITS_PER_WORD + b;
            idx = (idx << 1) | ((bits[bit / 8] >> (7 - bit % 8)) & 1u);
        }
        const char *word = walletmnemonic_wordlist[idx];
        size_t len = strlen(word);
        if (w > 0)
            text[pos++] = ' ';
        memcpy(text + pos, word, len);
        pos += len;
        idx = 0;
    }
    text[pos] = '\0';
    OPENSSL_cleanse(bits, sizeof bits);
}

/* The index of word in the list (sorted byte-wise), or -1. */
static int walletmnemonic_find(const char *word)
{
    size_t lo = 0, hi = WALLETMNEMONIC_LIST_LEN;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(word, walletmnemonic_wordlist[mid]);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static bool walletmnemonic_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

enum walletmnemonic_err walletmnemonic_to_seed(const char *text, uint8_t seed[32],
                                               size_t *bad_word)
{
    uint16_t idx[WALLETMNEMONIC_WORDS];
    char word[WALLETMNEMONIC_WORD_MAX + 1];
    size_t count = 0, first_bad = 0;
    const char *p = text;
    for (;;) {
        while (walletmnemonic_space(*p))
            p++;
        if (*p == '\0')
            break;
        size_t len = 0;
        bool fits = true;
        for (; *p != '\0' && !walletmnemonic_space(*p); p++, len++) {
            if (len >= WALLETMNEMONIC_WORD_MAX) {
                fits = false; /* longer than any word of the list */
                continue;
            }
            char c = *p;
            word[len] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        count++;
        int found = -1;
        if (fits) {
            word[len] = '\0';
            found = walletmnemonic_find(word);
        }
        if (found < 0 && first_bad == 0)
            first_bad = count;
        if (found >= 0 && count <= WALLETMNEMONIC_WORDS)
            idx[count - 1] = (uint16_t)found;
    }
    OPENSSL_cleanse(word, sizeof word);
    enum walletmnemonic_err r = WALLETMNEMONIC_OK;
    if (count != WALLETMNEMONIC_WORDS)
        r = WALLETMNEMONIC_ERR_COUNT;
    else if (first_bad != 0)
        r = WALLETMNEMONIC_ERR_WORD;
    uint8_t bits[WALLETMNEMONIC_BITS_LEN], check[WALLETMNEMONIC_BITS_LEN];
    memset(bits, 0, sizeof bits);
    if (r == WALLETMNEMONIC_OK) {
        for (size_t w = 0; w < WALLETMNEMONIC_WORDS; w++)
            for (size_t b = 0; b < WALLETMNEMONIC_BITS_PER_WORD; b++) {
                size_t bit = w * WALLETMNEMONIC_BITS_PER_WORD + b;
                if ((idx[w] >> (WALLETMNEMONIC_BITS_PER_WORD - 1 - b)) & 1u)
                    bits[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
            }
        walletmnemonic_bits(bits, check);
        if (check[32] != bits[32])
            r = WALLETMNEMONIC_ERR_CHECKSUM;
        else
            memcpy(seed, bits, 32);
    }
    OPENSSL_cleanse(idx, sizeof idx);
    OPENSSL_cleanse(bits, sizeof bits);
    OPENSSL_cleanse(check, sizeof check);
    if (r == WALLETMNEMONIC_ERR_WORD && bad_word != NULL)
        *bad_word = first_bad;
    return r;
}
