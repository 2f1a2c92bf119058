/* walletmnemonic: a wallet seed written as 24 words of the BIP39 English
 * list, and read back.
 *
 * The 32-byte seed itself is the BIP39 "entropy": its 256 bits followed by
 * the first 8 bits of SHA-256(seed), cut into 24 groups of 11 bits, each
 * the index of a word. This is BIP39's entropy <-> mnemonic step only: souk
 * does not run BIP39's PBKDF2 step (mnemonic + passphrase -> 64-byte seed);
 * the words encode the wallet seed directly, so they restore the same
 * addresses as the seed in hex, and a BIP39 wallet of another program given
 * these words derives other keys. Owns nothing; wipes its temporaries. */
#ifndef SOUK_WALLET_WALLETMNEMONIC_H
#define SOUK_WALLET_WALLETMNEMONIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WALLETMNEMONIC_LIST_LEN 2048
#define WALLETMNEMONIC_WORDS 24
/* The longest word of the list has 8 letters. */
#define WALLETMNEMONIC_WORD_MAX 8
/* 24 words of at most 8 letters with single spaces between them. */
#define WALLETMNEMONIC_TEXT_MAX (WALLETMNEMONIC_WORDS * (WALLETMNEMONIC_WORD_MAX + 1) - 1)

extern const char *const walletmnemonic_wordlist[WALLETMNEMONIC_LIST_LEN];

enum walletmnemonic_err {
    WALLETMNEMONIC_OK = 0,
    WALLETMNEMONIC_ERR_COUNT,    /* not 24 words */
    WALLETMNEMONIC_ERR_WORD,     /* a word not in the list */
    WALLETMNEMONIC_ERR_CHECKSUM, /* every word known, the checksum does not match */
    WALLETMNEMONIC_ERR_COUNT_
};
const char *walletmnemonic_strerror(enum walletmnemonic_err err);

/* The 24 words of seed, lowercase, separated by single spaces. */
void walletmnemonic_from_seed(const uint8_t seed[32], char text[WALLETMNEMONIC_TEXT_MAX + 1]);

/* The seed of a mnemonic. Words may be separated by any ASCII whitespace
 * and written in any case. On an error seed is untouched and, for
 * WALLETMNEMONIC_ERR_WORD, *bad_word (if not NULL) is the 1-based position
 * of the first unknown word: a position, never the word itself, so that
 * error messages carry no part of a secret. */
enum walletmnemonic_err walletmnemonic_to_seed(const char *text, uint8_t seed[32],
                                               size_t *bad_word);

#endif
