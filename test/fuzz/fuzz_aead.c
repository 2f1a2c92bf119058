/* The sealed box chat messages and order notes travel in (aead_open: nonce
 * || ciphertext || tag under ChaCha20-Poly1305) and the raw AEAD under it.
 *
 * The input is a flags byte, a 32-byte key (zeros where short) and the
 * rest. The rest as a box: opening it either fails (too short, or the tag
 * does not match) with out unchanged, or gives a plaintext that sealed
 * again with the box's nonce (aead_encrypt) is the box. The tag is the
 * box's checksum, so the target also makes a box of the rest itself (the
 * nonce from the flags, the rest as plaintext, part of it as associated
 * data): it opens to the plaintext, and with one bit flipped, the flags
 * choosing which, or cut short, it does not. For one input in eight, two
 * keys made from the input agree on a shared key from either side
 * (aead_shared_key). The 32-byte key, read as an x-only public key, gets
 * the same verdict from key_pubkey_valid (a Legendre symbol, GMP) as from
 * libsecp256k1's parse. */
#include <secp256k1_extrakeys.h>
#include <string.h>

#include "fuzz.h"

#include "crypto/aead.h"
#include "crypto/key.h"
#include "crypto/sha256.h"

static struct buf out, box, pt;

static void check_open(const uint8_t key[AEAD_KEY_LEN], const uint8_t *in, size_t len)
{
    buf_reset(&out);
    FUZZ_ASSERT(buf_append(&out, "k", 1));
    enum aead_error e = aead_open(key, in, len, &out);
    if (e != AEAD_OK) {
        FUZZ_ASSERT(e == (len < AEAD_OVERHEAD ? AEAD_ERR_TOO_SHORT : AEAD_ERR_AUTH));
        FUZZ_ASSERT(out.len == 1 && out.data[0] == 'k');
        return;
    }
    FUZZ_ASSERT(out.len == 1 + len - AEAD_OVERHEAD);
    buf_reset(&box);
    FUZZ_ASSERT(buf_append(&box, in, AEAD_NONCE_LEN));
    FUZZ_ASSERT(aead_encrypt(key, in, NULL, 0, out.data + 1, out.len - 1, &box));
    FUZZ_ASSERT(box.len == len && memcmp(box.data, in, len) == 0);
}

static void check_made(const uint8_t key[AEAD_KEY_LEN], unsigned flags, const uint8_t *msg,
                       size_t len)
{
    uint8_t nonce[AEAD_NONCE_LEN];
    memset(nonce, (int)flags, sizeof nonce);
    size_t aad_len = len / 3;
    /* Sealed box: nonce || ciphertext || tag, opened. */
    buf_reset(&box);
    FUZZ_ASSERT(buf_append(&box, nonce, sizeof nonce));
    FUZZ_ASSERT(aead_encrypt(key, nonce, NULL, 0, msg, len, &box));
    FUZZ_ASSERT(box.len == len + AEAD_OVERHEAD);
    buf_reset(&out);
    FUZZ_ASSERT(aead_open(key, box.data, box.len, &out) == AEAD_OK);
    FUZZ_ASSERT(out.len == len && (len == 0 || memcmp(out.data, msg, len) == 0));
    size_t bit = (flags * 131u) % (box.len * 8);
    box.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    buf_reset(&out);
    FUZZ_ASSERT(aead_open(key, box.data, box.len, &out) == AEAD_ERR_AUTH && out.len == 0);
    box.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    FUZZ_ASSERT(aead_open(key, box.data, box.len - 1, &out) ==
                (box.len - 1 < AEAD_OVERHEAD ? AEAD_ERR_TOO_SHORT : AEAD_ERR_AUTH));

    /* Raw AEAD with associated data: the first third of msg. */
    buf_reset(&pt);
    FUZZ_ASSERT(aead_encrypt(key, nonce, msg, aad_len, msg + aad_len, len - aad_len, &pt));
    buf_reset(&out);
    FUZZ_ASSERT(aead_decrypt(key, nonce, msg, aad_len, pt.data, pt.len, &out) == AEAD_OK);
    FUZZ_ASSERT(out.len == len - aad_len &&
                (out.len == 0 || memcmp(out.data, msg + aad_len, out.len) == 0));
    if (aad_len > 0) {
        uint8_t other[4096];
        size_t n = aad_len < sizeof other ? aad_len : sizeof other;
        memcpy(other, msg, n);
        other[n - 1] ^= 0x80;
        buf_reset(&out);
        FUZZ_ASSERT(aead_decrypt(key, nonce, other, n, pt.data, pt.len, &out) == AEAD_ERR_AUTH);
    }
}

static void check_shared(const uint8_t *data, size_t size)
{
    uint8_t a[32], b[32], pa[32], pb[32], k1[32], k2[32];
    sha256(data, size, a);
    sha256(a, sizeof a, b);
    if (!key_pubkey(a, pa) || !key_pubkey(b, pb))
        return;
    FUZZ_ASSERT(aead_shared_key(a, pb, k1) && aead_shared_key(b, pa, k2));
    FUZZ_ASSERT(memcmp(k1, k2, sizeof k1) == 0);
    /* Any 32 bytes of the input as the other side's key: accepted exactly
     * when they are a point's x coordinate. */
    uint8_t x[32] = {0};
    memcpy(x, data, size < 32 ? size : 32);
    FUZZ_ASSERT(aead_shared_key(a, x, k1) == key_pubkey_valid(x));
}

static void check_pubkey(const uint8_t x[KEY_PUBKEY_LEN])
{
    const secp256k1_context *ctx = key_context();
    FUZZ_ASSERT(ctx != NULL);
    secp256k1_xonly_pubkey k;
    FUZZ_ASSERT(key_pubkey_valid(x) == (secp256k1_xonly_pubkey_parse(ctx, &k, x) == 1));
}

void fuzz_one(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    unsigned flags = data[0];
    uint8_t key[AEAD_KEY_LEN] = {0};
    size_t klen = size - 1 < AEAD_KEY_LEN ? size - 1 : AEAD_KEY_LEN;
    memcpy(key, data + 1, klen);
    check_pubkey(key);
    const uint8_t *rest = data + 1 + klen;
    size_t len = size - 1 - klen;
    check_open(key, rest, len);
    check_made(key, flags, rest, len);
    if (flags % 8 == 0)
        check_shared(data, size);
}
