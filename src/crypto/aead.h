/* aead: ChaCha20-Poly1305 (RFC 8439) and the chat/notes encryption on it.
 *
 * Two layers. The raw layer encrypts with an explicit 12-byte nonce and
 * associated data, exactly as RFC 8439 (computed by OpenSSL). The sealed
 * layer is what chat messages and order notes use:
 * a key agreed between two x-only keys (ECDH over the even-y lifts, x
 * coordinate only, then HKDF-SHA256 with info "souk/chat/v1"), and a sealed
 * box = nonce(12, random) || ciphertext || tag(16).
 * Outputs are appended to a struct buf. On any failure the buffer keeps its
 * previous length and contents, and no unauthenticated plaintext remains
 * in its spare capacity. Inputs must not point into the output buffer,
 * which may move when it grows. */
#ifndef SOUK_CRYPTO_AEAD_H
#define SOUK_CRYPTO_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define AEAD_KEY_LEN 32
#define AEAD_NONCE_LEN 12
#define AEAD_TAG_LEN 16
/* Bytes a sealed box adds to its plaintext. */
#define AEAD_OVERHEAD (AEAD_NONCE_LEN + AEAD_TAG_LEN)
#define AEAD_CHAT_INFO "souk/chat/v1"

enum aead_error {
    AEAD_OK = 0,
    AEAD_ERR_TOO_SHORT, /* input shorter than the nonce and/or tag */
    AEAD_ERR_AUTH,      /* tag mismatch: wrong key, or modified data */
    AEAD_ERR_NOMEM,     /* output buffer could not grow */
    AEAD_ERR_INTERNAL,  /* OpenSSL failed */
};

const char *aead_strerror(enum aead_error err);

/* Appends ciphertext || tag (ptlen + AEAD_TAG_LEN bytes) to out. aad and pt
 * may be NULL when their length is 0. */
bool aead_encrypt(const uint8_t key[AEAD_KEY_LEN], const uint8_t nonce[AEAD_NONCE_LEN],
                  const void *aad, size_t aadlen, const void *pt, size_t ptlen, struct buf *out);
/* Checks and decrypts in = ciphertext || tag, appending the plaintext to out
 * only if the tag is right. */
enum aead_error aead_decrypt(const uint8_t key[AEAD_KEY_LEN], const uint8_t nonce[AEAD_NONCE_LEN],
                             const void *aad, size_t aadlen, const void *in, size_t inlen,
                             struct buf *out);

/* The symmetric key two parties share: aead_shared_key(a, B) equals
 * aead_shared_key(b, A) whatever the y parity of either full key. False
 * for an invalid secret or a their_xonly that is not on the curve; key_out
 * is then untouched. */
bool aead_shared_key(const uint8_t my_secret[32], const uint8_t their_xonly[32],
                     uint8_t key_out[AEAD_KEY_LEN]);
/* Appends nonce || ciphertext || tag for plaintext pt to out, with a fresh
 * random nonce. False if the RNG, OpenSSL or the allocation fails. */
bool aead_seal(const uint8_t key[AEAD_KEY_LEN], const void *pt, size_t len, struct buf *out);
/* Opens a box made by aead_seal, appending the plaintext to out. */
enum aead_error aead_open(const uint8_t key[AEAD_KEY_LEN], const void *sealed, size_t len,
                          struct buf *out);

#endif
