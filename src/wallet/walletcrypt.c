/* The wallet's passphrase operations (encrypt, unlock, lock, change), the
 * seed export (hex and words), the backup and message signing. Part of the wallet module:
 * see wallet.h and wallet_impl.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "consensus/chainparams.h"
#include "crypto/address.h"
#include "crypto/aead.h"
#include "crypto/key.h"
#include "crypto/sha256.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/time.h"
#include "wallet/wallet_impl.h"
#include "wallet/walletchat.h"

#define WALLET_MESSAGE_TAG "souk/message"

static bool wallet_pass_ok(const char *p)
{
    return p != NULL && p[0] != '\0' && strlen(p) <= WALLET_PASSPHRASE_MAX;
}

/* Reseals the seed and every secret from old_key (NULL: they are plain) to
 * new_key and stores the new parameters, in one db txn. seed is the
 * plaintext seed. */
static enum wallet_err wallet_reseal_locked(struct wallet *w, const uint8_t *old_key,
                                            const uint8_t new_key[32],
                                            const struct walletkeys_kdf *kdf,
                                            const uint8_t seed[32])
{
    enum wallet_err r = walletdb_begin(w->db);
    if (r != WALLET_OK)
        return r;
    uint8_t sealed[WALLETKEYS_SEALED_LEN], secret[32];
    if (!walletkeys_seal(new_key, WALLETKEYS_SEED_AAD, strlen(WALLETKEYS_SEED_AAD), seed,
                         sealed))
        r = WALLET_ERR_NOMEM;
    if (r == WALLET_OK)
        r = walletdb_meta_put_blob(w->db, "seed", sealed, sizeof sealed);
    for (size_t i = 0; r == WALLET_OK && i < w->n_keys; i++) {
        const uint8_t *pub = w->keys[i].pub;
        struct walletdb_key k;
        bool found;
        r = walletdb_key_get(w->db, pub, &k, &found);
        if (r == WALLET_OK && !found)
            r = WALLET_ERR_CORRUPT;
        if (r == WALLET_OK) {
            bool ok = old_key != NULL
                          ? walletkeys_open(old_key, pub, 32, k.secret, k.secret_len, secret)
                          : k.secret_len == 32;
            if (ok && old_key == NULL)
                memcpy(secret, k.secret, 32);
            if (!ok || !walletkeys_seal(new_key, pub, 32, secret, sealed))
                r = WALLET_ERR_CORRUPT;
        }
        if (r == WALLET_OK)
            r = walletdb_key_set_secret(w->db, pub, sealed, sizeof sealed);
        OPENSSL_cleanse(&k, sizeof k);
    }
    OPENSSL_cleanse(secret, sizeof secret);
    if (r == WALLET_OK)
        r = walletdb_meta_put_blob(w->db, "kdf_salt", kdf->salt, WALLETKEYS_SALT_LEN);
    if (r == WALLET_OK)
        r = walletdb_meta_put_int(w->db, "kdf_n", (int64_t)kdf->n);
    if (r == WALLET_OK)
        r = walletdb_meta_put_int(w->db, "kdf_r", (int64_t)kdf->r);
    if (r == WALLET_OK)
        r = walletdb_meta_put_int(w->db, "kdf_p", (int64_t)kdf->p);
    if (r == WALLET_OK)
        r = walletdb_meta_put_int(w->db, "encrypted", 1);
    if (r == WALLET_OK)
        r = walletdb_commit(w->db);
    if (r != WALLET_OK) {
        walletdb_rollback(w->db);
        return r;
    }
    /* secure_delete overwrote the old values in the pages; the checkpoint
     * moves those pages out of the WAL so no plaintext copy is left. */
    walletdb_checkpoint(w->db);
    return WALLET_OK;
}

enum wallet_err wallet_encrypt(struct wallet *w, const char *passphrase)
{
    if (!wallet_pass_ok(passphrase))
        return WALLET_ERR_BAD_PASSPHRASE;
    struct walletkeys_kdf kdf;
    uint8_t key[32];
    if (!walletkeys_kdf_new(&kdf) || !walletkeys_kdf_derive(passphrase, &kdf, key))
        return WALLET_ERR_NOMEM;
    enum wallet_err r = wallet_enter(w);
    if (r == WALLET_OK) {
        if (w->encrypted)
            r = WALLET_ERR_ALREADY_ENCRYPTED;
        else
            r = wallet_reseal_locked(w, NULL, key, &kdf, w->seed);
        if (r == WALLET_OK) {
            w->encrypted = true;
            w->kdf = kdf;
            wallet_relock_locked(w);
            LOG_INFO(LOG_CAT_WALLET, "wallet %s encrypted", w->name);
        }
        wallet_leave(w);
    }
    OPENSSL_cleanse(key, sizeof key);
    return r;
}

/* Derives the key for passphrase with the wallet's current parameters
 * (outside the wallet lock: scrypt takes a while) and checks it opens the
 * seed. On success key and seed hold the key and the plaintext seed. */
static enum wallet_err wallet_try_passphrase(struct wallet *w, const char *passphrase,
                                             uint8_t key[32], uint8_t seed[32])
{
    if (!wallet_pass_ok(passphrase))
        return WALLET_ERR_BAD_PASSPHRASE;
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    bool enc = w->encrypted;
    struct walletkeys_kdf kdf = w->kdf;
    wallet_leave(w);
    if (!enc)
        return WALLET_ERR_NOT_ENCRYPTED;
    if (!walletkeys_kdf_derive(passphrase, &kdf, key))
        return WALLET_ERR_NOMEM;
    r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    struct buf sealed;
    buf_init(&sealed);
    bool found;
    r = walletdb_meta_get_blob(w->db, "seed", &sealed, &found);
    if (r == WALLET_OK && !found)
        r = WALLET_ERR_CORRUPT;
    if (r == WALLET_OK &&
        !walletkeys_open(key, WALLETKEYS_SEED_AAD, strlen(WALLETKEYS_SEED_AAD), sealed.data,
                         sealed.len, seed))
        r = WALLET_ERR_PASSPHRASE;
    buf_clear(&sealed);
    if (r == WALLET_OK)
        return WALLET_OK; /* still inside the wallet lock */
    wallet_leave(w);
    OPENSSL_cleanse(key, 32);
    if (r == WALLET_ERR_PASSPHRASE)
        wallet_sleep_ms(WALLET_BAD_PASSPHRASE_DELAY_MS);
    return r;
}

enum wallet_err wallet_unlock(struct wallet *w, const char *passphrase, int64_t timeout)
{
    if (timeout <= 0)
        return WALLET_ERR_BAD_PARAMETER;
    if (timeout > WALLET_UNLOCK_MAX_SECONDS)
        timeout = WALLET_UNLOCK_MAX_SECONDS;
    uint8_t key[32], seed[32];
    enum wallet_err r = wallet_try_passphrase(w, passphrase, key, seed);
    if (r != WALLET_OK)
        return r;
    memcpy(w->enc_key, key, 32);
    memcpy(w->seed, seed, 32);
    w->have_seed = true;
    w->unlocked = true;
    w->unlocked_until = time_now() + timeout;
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(seed, sizeof seed);
    /* Refill the key pool while the seed is at hand. */
    if (walletdb_begin(w->db) == WALLET_OK) {
        if (wallet_mark_range_used_locked(w, w->next_index) != WALLET_OK ||
            walletdb_commit(w->db) != WALLET_OK)
            wallet_rollback_locked(w);
    }
    /* Messages that arrived while it was locked can be read now. */
    wallet_chat_open_sealed_locked(w);
    wallet_leave(w);
    return WALLET_OK;
}

enum wallet_err wallet_lock(struct wallet *w)
{
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    if (!w->encrypted)
        r = WALLET_ERR_NOT_ENCRYPTED;
    else
        wallet_relock_locked(w);
    wallet_leave(w);
    return r;
}

enum wallet_err wallet_change_passphrase(struct wallet *w, const char *old_pass,
                                         const char *new_pass)
{
    if (!wallet_pass_ok(new_pass) || !wallet_pass_ok(old_pass))
        return WALLET_ERR_BAD_PASSPHRASE;
    struct walletkeys_kdf kdf;
    uint8_t new_key[32], old_key[32], seed[32];
    if (!walletkeys_kdf_new(&kdf) || !walletkeys_kdf_derive(new_pass, &kdf, new_key))
        return WALLET_ERR_NOMEM;
    enum wallet_err r = wallet_try_passphrase(w, old_pass, old_key, seed);
    if (r == WALLET_OK) {
        r = wallet_reseal_locked(w, old_key, new_key, &kdf, seed);
        if (r == WALLET_OK) {
            w->kdf = kdf;
            if (w->unlocked)
                memcpy(w->enc_key, new_key, 32);
        }
        wallet_leave(w);
    }
    OPENSSL_cleanse(new_key, sizeof new_key);
    OPENSSL_cleanse(old_key, sizeof old_key);
    OPENSSL_cleanse(seed, sizeof seed);
    return r;
}

enum wallet_err wallet_export_seed(struct wallet *w, char hex[65])
{
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    if (!w->have_seed)
        r = WALLET_ERR_LOCKED;
    else
        hex_encode(w->seed, 32, hex);
    wallet_leave(w);
    return r;
}

enum wallet_err wallet_export_mnemonic(struct wallet *w, char text[WALLETMNEMONIC_TEXT_MAX + 1])
{
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    if (!w->have_seed)
        r = WALLET_ERR_LOCKED;
    else
        walletmnemonic_from_seed(w->seed, text);
    wallet_leave(w);
    return r;
}

enum wallet_err wallet_backup(struct wallet *w, const char *path, char *err, size_t errlen)
{
    if (path == NULL || path[0] == '\0') {
        snprintf(err, errlen, "empty backup path");
        return WALLET_ERR_BAD_PARAMETER;
    }
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    r = walletdb_backup(w->db, path, err, errlen);
    wallet_leave(w);
    return r;
}

enum wallet_err wallet_sign_message(struct wallet *w, const char *address, const void *msg,
                                    size_t len, uint8_t sig[64])
{
    uint8_t pub[32], hash[32], secret[32];
    if (address == NULL || (msg == NULL && len > 0))
        return WALLET_ERR_BAD_PARAMETER;
    if (address_decode(w->node->params->hrp, address, pub) != ADDRESS_OK)
        return WALLET_ERR_INVALID_ADDRESS;
    sha256_tagged(WALLET_MESSAGE_TAG, msg, len, hash);
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    if (wallet_find_key(w, pub) == NULL)
        r = WALLET_ERR_NOT_MINE;
    if (r == WALLET_OK)
        r = wallet_get_secret_locked(w, pub, secret);
    wallet_leave(w);
    if (r == WALLET_OK && !key_sign(secret, hash, sig))
        r = WALLET_ERR_NOMEM;
    OPENSSL_cleanse(secret, sizeof secret);
    return r;
}

bool wallet_verify_message(const char *hrp, const char *address, const void *msg, size_t len,
                           const uint8_t sig[64])
{
    uint8_t pub[32], hash[32];
    if (hrp == NULL || address == NULL || (msg == NULL && len > 0) ||
        address_decode(hrp, address, pub) != ADDRESS_OK)
        return false;
    sha256_tagged(WALLET_MESSAGE_TAG, msg, len, hash);
    return key_verify(pub, hash, sizeof hash, sig);
}

/* The sealed-box key between the address's key and their_pub. */
static enum wallet_err wallet_pair_key(struct wallet *w, const char *address,
                                       const uint8_t their_pub[32], uint8_t key[AEAD_KEY_LEN])
{
    uint8_t pub[32], secret[32];
    if (address == NULL || their_pub == NULL)
        return WALLET_ERR_BAD_PARAMETER;
    if (address_decode(w->node->params->hrp, address, pub) != ADDRESS_OK)
        return WALLET_ERR_INVALID_ADDRESS;
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    if (wallet_find_key(w, pub) == NULL)
        r = WALLET_ERR_NOT_MINE;
    if (r == WALLET_OK)
        r = wallet_get_secret_locked(w, pub, secret);
    wallet_leave(w);
    if (r == WALLET_OK && !aead_shared_key(secret, their_pub, key))
        r = WALLET_ERR_INVALID_ADDRESS;  /* their_pub is not on the curve */
    OPENSSL_cleanse(secret, sizeof secret);
    return r;
}

enum wallet_err wallet_seal_message(struct wallet *w, const char *address,
                                    const uint8_t their_pub[32], const void *msg, size_t len,
                                    struct buf *out)
{
    uint8_t key[AEAD_KEY_LEN];
    if ((msg == NULL && len > 0) || out == NULL)
        return WALLET_ERR_BAD_PARAMETER;
    enum wallet_err r = wallet_pair_key(w, address, their_pub, key);
    if (r == WALLET_OK && !aead_seal(key, msg, len, out))
        r = WALLET_ERR_NOMEM;
    OPENSSL_cleanse(key, sizeof key);
    return r;
}

enum wallet_err wallet_open_message(struct wallet *w, const char *address,
                                    const uint8_t their_pub[32], const void *sealed, size_t len,
                                    struct buf *out)
{
    uint8_t key[AEAD_KEY_LEN];
    if ((sealed == NULL && len > 0) || out == NULL)
        return WALLET_ERR_BAD_PARAMETER;
    enum wallet_err r = wallet_pair_key(w, address, their_pub, key);
    if (r == WALLET_OK) {
        enum aead_error e = aead_open(key, sealed, len, out);
        if (e == AEAD_ERR_NOMEM || e == AEAD_ERR_INTERNAL)
            r = WALLET_ERR_NOMEM;
        else if (e != AEAD_OK)
            r = WALLET_ERR_UNREADABLE;
    }
    OPENSSL_cleanse(key, sizeof key);
    return r;
}
