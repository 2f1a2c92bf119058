/* Wallet seeds written as 24 words (walletmnemonic_to_seed), as a user
 * types them into createwallet or a restore.
 *
 * The first byte picks the form of the rest. Text: any text; an accepted
 * one gives a seed whose words (walletmnemonic_from_seed) are the input's
 * words in lower case with single spaces, and an unknown word is named by
 * its place (1 to 24). Seed: the next 32 bytes (zeros where the input is
 * short) are a seed, its words are written back with the case and blanks
 * the remaining bytes choose, and must give the same seed: the checksum
 * word is right by construction, so the words reach the decoder whole. */
#include <ctype.h>
#include <string.h>

#include "fuzz.h"

#include "wallet/walletmnemonic.h"

/* Lower case, runs of blanks as one space, none at the ends. */
static void normalise(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    bool gap = false;
    for (const char *p = in; *p != '\0' && n + 2 < cap; p++) {
        if (*p == ' ' || (*p >= '\t' && *p <= '\r')) {
            gap = n > 0;
            continue;
        }
        if (gap)
            out[n++] = ' ';
        gap = false;
        out[n++] = (char)tolower((unsigned char)*p);
    }
    out[n] = '\0';
}

static size_t count_words(const char *s)
{
    size_t n = 0;
    bool in = false;
    for (const char *p = s; *p != '\0'; p++) {
        bool blank = *p == ' ' || (*p >= '\t' && *p <= '\r');
        n += !blank && !in;
        in = !blank;
    }
    return n;
}

static void check_text(const char *text)
{
    uint8_t seed[32];
    size_t bad = 0;
    enum walletmnemonic_err e = walletmnemonic_to_seed(text, seed, &bad);
    if (e == WALLETMNEMONIC_ERR_WORD)
        FUZZ_ASSERT(bad >= 1 && bad <= WALLETMNEMONIC_WORDS);
    if (e == WALLETMNEMONIC_OK || e == WALLETMNEMONIC_ERR_WORD ||
        e == WALLETMNEMONIC_ERR_CHECKSUM)
        FUZZ_ASSERT(count_words(text) == WALLETMNEMONIC_WORDS);
    else
        FUZZ_ASSERT(e == WALLETMNEMONIC_ERR_COUNT && count_words(text) != WALLETMNEMONIC_WORDS);
    if (e != WALLETMNEMONIC_OK)
        return;
    char words[WALLETMNEMONIC_TEXT_MAX + 1], norm[WALLETMNEMONIC_TEXT_MAX + 2];
    walletmnemonic_from_seed(seed, words);
    normalise(text, norm, sizeof norm);
    FUZZ_ASSERT(strcmp(words, norm) == 0);
}

static void check_seed(const uint8_t *data, size_t size)
{
    uint8_t seed[32] = {0}, back[32];
    memcpy(seed, data, size < 32 ? size : 32);
    const uint8_t *style = size > 32 ? data + 32 : NULL;
    size_t n_style = size > 32 ? size - 32 : 0;
    char words[WALLETMNEMONIC_TEXT_MAX + 1];
    walletmnemonic_from_seed(seed, words);
    FUZZ_ASSERT(count_words(words) == WALLETMNEMONIC_WORDS);
    /* Each letter may turn upper case and each space become a run of
     * blanks, as the style bytes say; blanks may also lead and trail. */
    static const char blanks[] = " \t\n\r\v\f";
    char typed[8 * sizeof words];
    size_t t = 0, k = 0;
    uint8_t b = n_style > 0 ? style[k++ % n_style] : 0;
    if (b & 0x80)
        typed[t++] = blanks[b % 6];
    for (const char *p = words; *p != '\0'; p++) {
        b = n_style > 0 ? style[k++ % n_style] : 0;
        if (*p == ' ') {
            for (unsigned r = 0; r <= (b >> 6); r++)
                typed[t++] = blanks[(b + r) % 6];
        } else {
            typed[t++] = (b & 1) ? (char)toupper((unsigned char)*p) : *p;
        }
    }
    if (b & 0x40)
        typed[t++] = '\n';
    typed[t] = '\0';
    FUZZ_ASSERT(walletmnemonic_to_seed(typed, back, NULL) == WALLETMNEMONIC_OK);
    FUZZ_ASSERT(memcmp(seed, back, 32) == 0);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    if (data[0] & 1) {
        check_seed(data + 1, size - 1);
    } else {
        const char *text;
        fuzz_split(data + 1, size - 1, &text, 1);
        check_text(text);
    }
}
