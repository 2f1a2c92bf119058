#include "unit.h"
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"
#include "crypto/sha256.h"
#include "wallet/walletmnemonic.h"

/* The list compiled in is the published one: its digest, word for word
 * the data file, and sorted (lookups are binary searches). */
START_TEST(word_list_is_bip39_english)
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    size_t total = 0;
    for (size_t i = 0; i < WALLETMNEMONIC_LIST_LEN; i++) {
        const char *w = walletmnemonic_wordlist[i];
        ck_assert_uint_ge(strlen(w), 3);
        ck_assert_uint_le(strlen(w), WALLETMNEMONIC_WORD_MAX);
        if (i > 0)
            ck_assert_int_lt(strcmp(walletmnemonic_wordlist[i - 1], w), 0);
        sha256_update(&ctx, w, strlen(w));
        sha256_update(&ctx, "\n", 1);
        total += strlen(w) + 1;
    }
    uint8_t got[32], want[32];
    sha256_final(&ctx, got);
    unit_hex("2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda", want, 32);
    ck_assert_mem_eq(got, want, 32);

    size_t len;
    char *file = (char *)unit_read_data("bip39_english.txt", &len);
    ck_assert_uint_eq(len, total);
    sha256(file, len, got);
    ck_assert_mem_eq(got, want, 32);
    free(file);
}
END_TEST

/* BIP39's test vectors with 256 bits of entropy (entropy <-> mnemonic; the
 * PBKDF2 seed step of BIP39 is not used by souk). */
static const struct {
    const char *entropy;
    const char *words;
} vectors[] = {
    {"0000000000000000000000000000000000000000000000000000000000000000",
     "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
     "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
     "abandon art"},
    {"7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
     "legal winner thank year wave sausage worth useful legal winner thank year wave sausage "
     "worth useful legal winner thank year wave sausage worth title"},
    {"8080808080808080808080808080808080808080808080808080808080808080",
     "letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount "
     "doctor acoustic avoid letter advice cage absurd amount doctor acoustic bless"},
    {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo "
     "zoo vote"},
    {"68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c",
     "hamster diagram private dutch cause delay private meat slide toddler razor book happy "
     "fancy gospel tennis maple dilemma loan word shrug inflict delay length"},
    {"9f6a2878b2520799a44ef18bc7df394e7061a224d2c33cd015b157d746869863",
     "panda eyebrow bullet gorilla call smoke muffin taste mesh discover soft ostrich alcohol "
     "speed nation flash devote level hobby quick inner drive ghost inside"},
    {"066dca1a2bb7e8a1db2832148ce9933eea0f3ac9548d793112d9a95c9407efad",
     "all hour make first leader extend hole alien behind guard gospel lava path output census "
     "museum junior mass reopen famous sing advance salt reform"},
    {"f585c11aec520db57dd353c69554b21a89b20fb0650966fa0a9d6f74fd989d8f",
     "void come effort suffer camp survey warrior heavy shoot primary clutch crush open amazing "
     "screen patrol group space point ten exist slush involve unfold"},
};

START_TEST(bip39_vectors_both_ways)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        uint8_t seed[32], back[32];
        unit_hex(vectors[i].entropy, seed, 32);
        char text[WALLETMNEMONIC_TEXT_MAX + 1];
        walletmnemonic_from_seed(seed, text);
        ck_assert_str_eq(text, vectors[i].words);
        memset(back, 0, sizeof back);
        ck_assert_int_eq(walletmnemonic_to_seed(vectors[i].words, back, NULL), WALLETMNEMONIC_OK);
        ck_assert_mem_eq(back, seed, 32);
    }
}
END_TEST

START_TEST(random_seeds_round_trip)
{
    for (int i = 0; i < 200; i++) {
        uint8_t seed[32], back[32];
        ck_assert(random_bytes(seed, sizeof seed));
        char text[WALLETMNEMONIC_TEXT_MAX + 1];
        walletmnemonic_from_seed(seed, text);
        ck_assert_uint_le(strlen(text), WALLETMNEMONIC_TEXT_MAX);
        ck_assert_int_eq(walletmnemonic_to_seed(text, back, NULL), WALLETMNEMONIC_OK);
        ck_assert_mem_eq(back, seed, 32);
    }
}
END_TEST

/* Spacing and case do not matter; what is written down wrong is refused,
 * the seed left untouched, and an unknown word named by position only. */
START_TEST(reading_is_forgiving_only_about_layout)
{
    uint8_t seed[32], want[32];
    unit_hex(vectors[4].entropy, want, 32);
    const char *loose = "  Hamster DIAGRAM private\tdutch cause\n delay private meat slide toddler "
                        "razor book\r\nhappy fancy gospel tennis maple dilemma loan word shrug "
                        "inflict delay length\n";
    ck_assert_int_eq(walletmnemonic_to_seed(loose, seed, NULL), WALLETMNEMONIC_OK);
    ck_assert_mem_eq(seed, want, 32);

    uint8_t untouched[32];
    memset(untouched, 0x5a, 32);
    struct {
        const char *text;
        enum walletmnemonic_err err;
        size_t bad;
    } bad[] = {
        {"", WALLETMNEMONIC_ERR_COUNT, 0},
        {"   \n ", WALLETMNEMONIC_ERR_COUNT, 0},
        /* 23 words */
        {"hamster diagram private dutch cause delay private meat slide toddler razor book happy "
         "fancy gospel tennis maple dilemma loan word shrug inflict delay",
         WALLETMNEMONIC_ERR_COUNT, 0},
        /* 25 words */
        {"hamster diagram private dutch cause delay private meat slide toddler razor book happy "
         "fancy gospel tennis maple dilemma loan word shrug inflict delay length length",
         WALLETMNEMONIC_ERR_COUNT, 0},
        /* word 5 misspelt */
        {"hamster diagram private dutch cuase delay private meat slide toddler razor book happy "
         "fancy gospel tennis maple dilemma loan word shrug inflict delay length",
         WALLETMNEMONIC_ERR_WORD, 5},
        /* word 24 longer than any word of the list */
        {"hamster diagram private dutch cause delay private meat slide toddler razor book happy "
         "fancy gospel tennis maple dilemma loan word shrug inflict delay lengthlength",
         WALLETMNEMONIC_ERR_WORD, 24},
        /* a prefix is not a word */
        {"ham diagram private dutch cause delay private meat slide toddler razor book happy "
         "fancy gospel tennis maple dilemma loan word shrug inflict delay length",
         WALLETMNEMONIC_ERR_WORD, 1},
        /* words 1 and 2 swapped */
        {"diagram hamster private dutch cause delay private meat slide toddler razor book happy "
         "fancy gospel tennis maple dilemma loan word shrug inflict delay length",
         WALLETMNEMONIC_ERR_CHECKSUM, 0},
        /* the last word changed: same seed bits, another checksum */
        {"hamster diagram private dutch cause delay private meat slide toddler razor book happy "
         "fancy gospel tennis maple dilemma loan word shrug inflict delay lens",
         WALLETMNEMONIC_ERR_CHECKSUM, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(seed, untouched, 32);
        size_t pos = 999;
        ck_assert_int_eq(walletmnemonic_to_seed(bad[i].text, seed, &pos), bad[i].err);
        ck_assert_mem_eq(seed, untouched, 32);
        if (bad[i].err == WALLETMNEMONIC_ERR_WORD)
            ck_assert_uint_eq(pos, bad[i].bad);
        else
            ck_assert_uint_eq(pos, 999);
        ck_assert_ptr_nonnull(walletmnemonic_strerror(bad[i].err));
    }
    ck_assert_str_eq(walletmnemonic_strerror(WALLETMNEMONIC_ERR_COUNT_),
                     "unknown mnemonic error");
}
END_TEST

Suite *unit_suite(void)
{
    const TTest *tests[] = {word_list_is_bip39_english, bip39_vectors_both_ways,
                            random_seeds_round_trip, reading_is_forgiving_only_about_layout, NULL};
    return fixture_suite("walletmnemonic", NULL, tests);
}
