#define _POSIX_C_SOURCE 200809L
#include "wallet/wallet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "consensus/account.h"
#include "consensus/chainparams.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "crypto/sha256.h"
#include "node/chain.h"
#include "node/services.h"
#include "util/grow.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/time.h"
#include "wallet/wallet_impl.h"
#include "wallet/walletchat.h"

static const char *const wallet_errors[WALLET_ERR_COUNT_] = {
    [WALLET_OK] = "success",
    [WALLET_ERR_NOT_FOUND] = "wallet not found",
    [WALLET_ERR_EXISTS] = "a wallet of that name already exists",
    [WALLET_ERR_BAD_NAME] = "invalid wallet name",
    [WALLET_ERR_LOCKED] = "the wallet is locked: unlock it with walletpassphrase first",
    [WALLET_ERR_PASSPHRASE] = "the wallet passphrase entered was incorrect",
    [WALLET_ERR_NOT_ENCRYPTED] = "the wallet is not encrypted",
    [WALLET_ERR_ALREADY_ENCRYPTED] = "the wallet is already encrypted",
    [WALLET_ERR_BAD_PASSPHRASE] = "the passphrase must be 1 to 1024 bytes",
    [WALLET_ERR_INVALID_ADDRESS] = "invalid address",
    [WALLET_ERR_NOT_MINE] = "the address or key is not in this wallet",
    [WALLET_ERR_INVALID_AMOUNT] = "invalid amount",
    [WALLET_ERR_INSUFFICIENT_FUNDS] = "insufficient funds",
    [WALLET_ERR_REJECTED] = "the transaction was rejected",
    [WALLET_ERR_BAD_PARAMETER] = "invalid parameter",
    [WALLET_ERR_DB] = "wallet database error",
    [WALLET_ERR_CORRUPT] = "the wallet file is damaged or not a wallet",
    [WALLET_ERR_UNREADABLE] = ("cannot open the message: it was not sealed between these two "
                               "keys, or it was altered"),
    [WALLET_ERR_NOMEM] = "out of memory",
};

const char *wallet_strerror(enum wallet_err err)
{
    if ((unsigned)err >= WALLET_ERR_COUNT_)
        return "unknown wallet error";
    return wallet_errors[err];
}

const char *wallet_name(const struct wallet *w) { return w->name; }

void wallet_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

enum wallet_err wallet_enter(struct wallet *w)
{
    pthread_mutex_lock(&w->mu);
    if (w->db == NULL) {
        pthread_mutex_unlock(&w->mu);
        return WALLET_ERR_NOT_FOUND;
    }
    wallet_check_expiry_locked(w);
    return WALLET_OK;
}

void wallet_leave(struct wallet *w) { pthread_mutex_unlock(&w->mu); }

/* ---- the key set ---------------------------------------------------------- */

static int wallet_key_cmp(const void *a, const void *b)
{
    return memcmp(((const struct wallet_key *)a)->pub, ((const struct wallet_key *)b)->pub, 32);
}

const struct wallet_key *wallet_find_key(const struct wallet *w, const uint8_t pub[32])
{
    struct wallet_key probe;
    memcpy(probe.pub, pub, 32);
    if (w->n_keys == 0)
        return NULL;
    return bsearch(&probe, w->keys, w->n_keys, sizeof *w->keys, wallet_key_cmp);
}

static bool wallet_add_key_mem(struct wallet *w, const uint8_t pub[32], int64_t index, bool used)
{
    size_t pos = 0;
    while (pos < w->n_keys && memcmp(w->keys[pos].pub, pub, 32) < 0)
        pos++;
    if (pos < w->n_keys && memcmp(w->keys[pos].pub, pub, 32) == 0)
        return true;
    if (!grow_array((void **)&w->keys, &w->cap_keys, w->n_keys + 1, sizeof *w->keys, 128))
        return false;
    memmove(w->keys + pos + 1, w->keys + pos, (w->n_keys - pos) * sizeof *w->keys);
    memcpy(w->keys[pos].pub, pub, 32);
    w->keys[pos].index = index;
    w->keys[pos].used = used;
    w->n_keys++;
    return true;
}

/* The stored form of a secret: sealed under the wallet key when encrypted. */
static bool wallet_store_secret_locked(struct wallet *w, const uint8_t pub[32],
                                       const uint8_t secret[32], struct walletdb_key *k)
{
    if (w->encrypted) {
        if (!walletkeys_seal(w->enc_key, pub, 32, secret, k->secret))
            return false;
        k->secret_len = WALLETKEYS_SEALED_LEN;
    } else {
        memcpy(k->secret, secret, 32);
        k->secret_len = 32;
    }
    return true;
}

/* Derives keys until WALLET_KEYPOOL unused ones are ready past next_index.
 * Needs the seed; inside a db txn. */
static enum wallet_err wallet_topup_locked(struct wallet *w)
{
    if (!w->have_seed)
        return WALLET_OK;
    uint64_t target = w->next_index + WALLET_KEYPOOL;
    if (target > (uint64_t)WALLETKEYS_MAX_INDEX + 1)
        target = (uint64_t)WALLETKEYS_MAX_INDEX + 1;
    if (w->pool_end >= target)
        return WALLET_OK;
    struct walletdb_key k;
    uint8_t secret[32];
    enum wallet_err r = WALLET_OK;
    for (; w->pool_end < target && r == WALLET_OK; w->pool_end++) {
        memset(&k, 0, sizeof k);
        enum walletkeys_result d =
            walletkeys_derive(w->seed, (uint32_t)w->pool_end, secret, k.pubkey);
        if (d == WALLETKEYS_SKIP)
            continue;
        if (d != WALLETKEYS_OK || !wallet_store_secret_locked(w, k.pubkey, secret, &k)) {
            r = WALLET_ERR_CORRUPT;
            break;
        }
        k.index = (int64_t)w->pool_end;
        k.created = time_now();
        r = walletdb_key_put(w->db, &k);
        if (r == WALLET_OK && !wallet_add_key_mem(w, k.pubkey, k.index, false))
            r = WALLET_ERR_NOMEM;
        if (r != WALLET_OK)
            break;
    }
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(&k, sizeof k);
    if (r == WALLET_OK)
        r = walletdb_meta_put_int(w->db, "pool_end", (int64_t)w->pool_end);
    return r;
}

enum wallet_err wallet_mark_used_locked(struct wallet *w, const uint8_t pub[32],
                                        const char *label)
{
    struct wallet_key *k = (struct wallet_key *)wallet_find_key(w, pub);
    if (k == NULL)
        return WALLET_ERR_NOT_MINE;
    if (k->used && label == NULL)
        return WALLET_OK;
    enum wallet_err r = walletdb_key_set_used(w->db, pub, label);
    if (r != WALLET_OK)
        return r;
    k->used = true;
    if (k->index >= 0 && (uint64_t)k->index >= w->next_index) {
        w->next_index = (uint64_t)k->index + 1;
        r = walletdb_meta_put_int(w->db, "next_index", (int64_t)w->next_index);
    }
    return r == WALLET_OK ? wallet_topup_locked(w) : r;
}

enum wallet_err wallet_mark_range_used_locked(struct wallet *w, uint64_t n)
{
    enum wallet_err r = WALLET_OK;
    if (n > w->next_index) {
        w->next_index = n;
        r = walletdb_meta_put_int(w->db, "next_index", (int64_t)n);
    }
    if (r == WALLET_OK)
        r = wallet_topup_locked(w);
    for (size_t i = 0; r == WALLET_OK && i < w->n_keys; i++) {
        struct wallet_key *k = &w->keys[i];
        if (k->index >= 0 && (uint64_t)k->index < n && !k->used) {
            r = walletdb_key_set_used(w->db, k->pub, NULL);
            k->used = true;
        }
    }
    return r;
}

/* ---- locking ---------------------------------------------------------------- */

void wallet_relock_locked(struct wallet *w)
{
    OPENSSL_cleanse(w->enc_key, sizeof w->enc_key);
    if (w->encrypted) {
        OPENSSL_cleanse(w->seed, sizeof w->seed);
        w->have_seed = false;
    }
    w->unlocked = false;
    w->unlocked_until = 0;
}

void wallet_check_expiry_locked(struct wallet *w)
{
    if (w->encrypted && w->unlocked && time_now() >= w->unlocked_until) {
        wallet_relock_locked(w);
        LOG_INFO(LOG_CAT_WALLET, "wallet %s: unlock time over, locked", w->name);
    }
}

enum wallet_err wallet_get_secret_locked(struct wallet *w, const uint8_t pub[32],
                                         uint8_t secret[32])
{
    wallet_check_expiry_locked(w);
    if (w->encrypted && !w->unlocked)
        return WALLET_ERR_LOCKED;
    struct walletdb_key k;
    bool found;
    enum wallet_err r = walletdb_key_get(w->db, pub, &k, &found);
    if (r == WALLET_OK && !found)
        r = WALLET_ERR_NOT_MINE;
    if (r == WALLET_OK) {
        bool ok;
        if (w->encrypted) {
            ok = walletkeys_open(w->enc_key, pub, 32, k.secret, k.secret_len, secret);
        } else {
            ok = k.secret_len == 32;
            if (ok)
                memcpy(secret, k.secret, 32);
        }
        uint8_t check[32];
        if (!ok || !key_pubkey(secret, check) || memcmp(check, pub, 32) != 0) {
            OPENSSL_cleanse(secret, 32);
            LOG_ERROR(LOG_CAT_WALLET, "wallet %s: a stored secret does not match its key",
                      w->name);
            r = WALLET_ERR_CORRUPT;
        }
    }
    OPENSSL_cleanse(&k, sizeof k);
    return r;
}

static bool wallet_passphrase_ok(const char *p)
{
    return p != NULL && p[0] != '\0' && strlen(p) <= WALLET_PASSPHRASE_MAX;
}

/* ---- opening --------------------------------------------------------------- */

static enum wallet_err wallet_meta_u64(struct wallet *w, const char *name, uint64_t *out,
                                       bool required)
{
    int64_t v;
    bool found;
    enum wallet_err r = walletdb_meta_get_int(w->db, name, &v, &found);
    if (r != WALLET_OK)
        return r;
    if (!found)
        return required ? WALLET_ERR_CORRUPT : WALLET_OK;
    if (v < 0)
        return WALLET_ERR_CORRUPT;
    *out = (uint64_t)v;
    return WALLET_OK;
}

static bool wallet_load_key_cb(void *ctx, const struct walletdb_key *k)
{
    struct wallet *w = ctx;
    return wallet_add_key_mem(w, k->pubkey, k->index, k->used);
}

void wallet_rollback_locked(struct wallet *w)
{
    walletdb_rollback(w->db);
    w->n_notices = 0;
    /* The txn may have marked keys handed out or derived new ones in
     * memory; left so, a key would count as handed out without the file
     * saying so, and nothing would write it again. */
    w->n_keys = 0;
    int64_t next, pool;
    bool have_next, have_pool;
    if (walletdb_key_for_each(w->db, wallet_load_key_cb, w) != WALLET_OK ||
        walletdb_meta_get_int(w->db, "next_index", &next, &have_next) != WALLET_OK ||
        walletdb_meta_get_int(w->db, "pool_end", &pool, &have_pool) != WALLET_OK ||
        !have_next || !have_pool || next < 0 || pool < 0) {
        LOG_ERROR(LOG_CAT_WALLET, "wallet %s: cannot reread its keys after a failed change: "
                  "unload and load it", w->name);
        return;
    }
    w->next_index = (uint64_t)next;
    w->pool_end = (uint64_t)pool;
}

static enum wallet_err wallet_read(struct wallet *w, char *err, size_t errlen)
{
    struct buf v;
    buf_init(&v);
    bool found;
    enum wallet_err r = walletdb_meta_get_blob(w->db, "network", &v, &found);
    if (r == WALLET_OK && (!found || v.len != 32)) {
        snprintf(err, errlen, "damaged wallet file: no network");
        r = WALLET_ERR_CORRUPT;
    } else if (r == WALLET_OK && memcmp(v.data, w->node->params->genesis.hash, 32) != 0) {
        snprintf(err, errlen, "the wallet belongs to another network than %s",
                 w->node->params->name);
        r = WALLET_ERR_CORRUPT;
    }
    uint64_t enc = 0;
    if (r == WALLET_OK)
        r = wallet_meta_u64(w, "encrypted", &enc, true);
    if (r == WALLET_OK)
        r = wallet_meta_u64(w, "next_index", &w->next_index, true);
    if (r == WALLET_OK)
        r = wallet_meta_u64(w, "pool_end", &w->pool_end, true);
    w->encrypted = enc != 0;
    if (r == WALLET_OK && w->encrypted) {
        r = walletdb_meta_get_blob(w->db, "kdf_salt", &v, &found);
        if (r == WALLET_OK && (!found || v.len != WALLETKEYS_SALT_LEN))
            r = WALLET_ERR_CORRUPT;
        if (r == WALLET_OK)
            memcpy(w->kdf.salt, v.data, WALLETKEYS_SALT_LEN);
        if (r == WALLET_OK)
            r = wallet_meta_u64(w, "kdf_n", &w->kdf.n, true);
        if (r == WALLET_OK)
            r = wallet_meta_u64(w, "kdf_r", &w->kdf.r, true);
        if (r == WALLET_OK)
            r = wallet_meta_u64(w, "kdf_p", &w->kdf.p, true);
        if (r == WALLET_OK && !walletkeys_kdf_valid(&w->kdf))
            r = WALLET_ERR_CORRUPT;
    }
    if (r == WALLET_OK) {
        r = walletdb_meta_get_blob(w->db, "seed", &v, &found);
        size_t want = w->encrypted ? WALLETKEYS_SEALED_LEN : WALLETKEYS_SEED_LEN;
        if (r == WALLET_OK && (!found || v.len != want))
            r = WALLET_ERR_CORRUPT;
        if (r == WALLET_OK && !w->encrypted) {
            memcpy(w->seed, v.data, WALLETKEYS_SEED_LEN);
            w->have_seed = true;
        }
    }
    buf_clear_secure(&v);
    if (r == WALLET_OK)
        r = walletdb_key_for_each(w->db, wallet_load_key_cb, w);
    if (r != WALLET_OK && err[0] == '\0')
        snprintf(err, errlen, "%s", r == WALLET_ERR_CORRUPT
                                        ? "damaged wallet file: missing or invalid records"
                                        : wallet_strerror(r));
    return r;
}

static enum wallet_err wallet_write_new(struct wallet *w, const uint8_t seed[32])
{
    enum wallet_err r = walletdb_begin(w->db);
    if (r != WALLET_OK)
        return r;
    r = walletdb_meta_put_blob(w->db, "network", w->node->params->genesis.hash, 32);
    if (r == WALLET_OK)
        r = walletdb_meta_put_int(w->db, "created", time_now());
    if (r == WALLET_OK)
        r = walletdb_meta_put_int(w->db, "encrypted", w->encrypted ? 1 : 0);
    if (r == WALLET_OK && w->encrypted) {
        r = walletdb_meta_put_blob(w->db, "kdf_salt", w->kdf.salt, WALLETKEYS_SALT_LEN);
        if (r == WALLET_OK)
            r = walletdb_meta_put_int(w->db, "kdf_n", (int64_t)w->kdf.n);
        if (r == WALLET_OK)
            r = walletdb_meta_put_int(w->db, "kdf_r", (int64_t)w->kdf.r);
        if (r == WALLET_OK)
            r = walletdb_meta_put_int(w->db, "kdf_p", (int64_t)w->kdf.p);
    }
    if (r == WALLET_OK) {
        if (w->encrypted) {
            uint8_t sealed[WALLETKEYS_SEALED_LEN];
            r = walletkeys_seal(w->enc_key, WALLETKEYS_SEED_AAD, strlen(WALLETKEYS_SEED_AAD),
                                seed, sealed)
                    ? walletdb_meta_put_blob(w->db, "seed", sealed, sizeof sealed)
                    : WALLET_ERR_NOMEM;
        } else {
            r = walletdb_meta_put_blob(w->db, "seed", seed, 32);
        }
    }
    if (r == WALLET_OK)
        r = walletdb_meta_put_int(w->db, "next_index", 0);
    if (r == WALLET_OK)
        r = walletdb_meta_put_int(w->db, "pool_end", 0);
    if (r == WALLET_OK)
        r = wallet_topup_locked(w);
    if (r == WALLET_OK)
        r = walletdb_commit(w->db);
    if (r != WALLET_OK)
        walletdb_rollback(w->db);
    return r;
}

enum wallet_err wallet_open_file(struct walletman *wm, const char *name, const char *path,
                                 bool create, const uint8_t *seed, const char *passphrase,
                                 struct wallet **out, char *err, size_t errlen)
{
    if (create && passphrase != NULL && !wallet_passphrase_ok(passphrase))
        return WALLET_ERR_BAD_PASSPHRASE;
    uint8_t s[WALLETKEYS_SEED_LEN], sk[32], pk[32];
    if (create) {
        if (seed != NULL) {
            memcpy(s, seed, sizeof s);
        } else {
            /* A seed whose master secret is invalid has odds of ~2^-128:
             * draw again rather than fail. */
            do {
                if (!random_bytes(s, sizeof s)) {
                    OPENSSL_cleanse(s, sizeof s);
                    snprintf(err, errlen, "the random number generator failed");
                    return WALLET_ERR_DB;
                }
            } while (walletkeys_derive(s, 0, sk, pk) == WALLETKEYS_ERROR);
        }
        if (walletkeys_derive(s, 0, sk, pk) == WALLETKEYS_ERROR) {
            OPENSSL_cleanse(s, sizeof s);
            snprintf(err, errlen, "this seed gives no valid master key");
            return WALLET_ERR_BAD_PARAMETER;
        }
        OPENSSL_cleanse(sk, sizeof sk);
    }
    struct wallet *w = calloc(1, sizeof *w);
    if (w == NULL) {
        OPENSSL_cleanse(s, sizeof s);
        return WALLET_ERR_NOMEM;
    }
    w->wm = wm;
    w->node = wm->node;
    w->notify = w->node != NULL && w->node->args != NULL
                    ? args_get_str(w->node->args, "walletnotify", NULL)
                    : NULL;
    snprintf(w->name, sizeof w->name, "%s", name);
    pthread_mutex_init(&w->mu, NULL);
    enum wallet_err r = walletdb_open(path, create, &w->db, err, errlen);
    if (r == WALLET_OK && create) {
        if (passphrase != NULL) {
            w->encrypted = true;
            if (!walletkeys_kdf_new(&w->kdf) ||
                !walletkeys_kdf_derive(passphrase, &w->kdf, w->enc_key))
                r = WALLET_ERR_NOMEM;
            w->unlocked = true;
            w->unlocked_until = INT64_MAX;
        }
        memcpy(w->seed, s, sizeof s);
        w->have_seed = true;
        if (r == WALLET_OK)
            r = wallet_write_new(w, s);
        if (r != WALLET_OK) {
            snprintf(err, errlen, "cannot write the new wallet: %s", wallet_strerror(r));
            walletdb_close(w->db);
            w->db = NULL;
            remove(path);
        }
    } else if (r == WALLET_OK) {
        err[0] = '\0';
        r = wallet_read(w, err, errlen);
    }
    OPENSSL_cleanse(s, sizeof s);
    if (r != WALLET_OK) {
        wallet_close(w);
        wallet_destroy(w);
        return r;
    }
    *out = w;
    return WALLET_OK;
}

void wallet_close(struct wallet *w)
{
    pthread_mutex_lock(&w->mu);
    walletdb_close(w->db);
    w->db = NULL;
    w->encrypted = true; /* so the relock wipes the seed too */
    wallet_relock_locked(w);
    free(w->keys);
    w->keys = NULL;
    w->n_keys = w->cap_keys = 0;
    pthread_mutex_unlock(&w->mu);
}

void wallet_destroy(struct wallet *w)
{
    if (w == NULL)
        return;
    pthread_mutex_destroy(&w->mu);
    free(w->notices);
    OPENSSL_cleanse(w, sizeof *w);
    free(w);
}

/* ---- information and addresses ----------------------------------------------- */

enum wallet_err wallet_get_info(struct wallet *w, struct wallet_info *out)
{
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    struct wallet_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.name, sizeof info.name, "%s", w->name);
    info.schema_version = walletdb_schema_version(w->db);
    info.encrypted = w->encrypted;
    info.locked = w->encrypted && !w->unlocked;
    info.unlocked_until = w->encrypted && w->unlocked ? w->unlocked_until : 0;
    for (size_t i = 0; i < w->n_keys; i++) {
        if (w->keys[i].used)
            info.key_count++;
        else
            info.keypool_size++;
    }
    info.next_index = w->next_index;
    r = walletdb_tx_count(w->db, &info.tx_count);
    wallet_leave(w);
    if (r == WALLET_OK)
        *out = info;
    return r;
}

static bool wallet_label_ok(const char *label)
{
    return label == NULL || strlen(label) <= WALLET_LABEL_MAX;
}

enum wallet_err wallet_new_address(struct wallet *w, const char *label,
                                   char address[ADDRESS_MAX_LEN + 1])
{
    if (!wallet_label_ok(label))
        return WALLET_ERR_BAD_PARAMETER;
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    r = walletdb_begin(w->db);
    if (r != WALLET_OK) {
        wallet_leave(w);
        return r;
    }
    r = wallet_topup_locked(w);
    const struct wallet_key *best = NULL;
    for (size_t i = 0; r == WALLET_OK && i < w->n_keys; i++) {
        const struct wallet_key *k = &w->keys[i];
        if (k->index >= 0 && !k->used && (best == NULL || k->index < best->index))
            best = k;
    }
    if (r == WALLET_OK && best == NULL)
        r = w->have_seed ? WALLET_ERR_CORRUPT : WALLET_ERR_LOCKED;
    uint8_t pub[32];
    if (r == WALLET_OK) {
        memcpy(pub, best->pub, 32);
        r = wallet_mark_used_locked(w, pub, label != NULL ? label : "");
    }
    char addr[ADDRESS_MAX_LEN + 1];
    if (r == WALLET_OK && address_encode(w->node->params->hrp, pub, addr, sizeof addr) !=
                              ADDRESS_OK)
        r = WALLET_ERR_CORRUPT;
    if (r == WALLET_OK)
        r = walletdb_commit(w->db);
    if (r != WALLET_OK)
        wallet_rollback_locked(w);
    wallet_leave(w);
    if (r == WALLET_OK)
        memcpy(address, addr, sizeof addr);
    return r;
}

enum wallet_err wallet_import_privkey(struct wallet *w, const uint8_t secret[32],
                                      const char *label, bool rescan)
{
    uint8_t pub[32];
    if (!wallet_label_ok(label))
        return WALLET_ERR_BAD_PARAMETER;
    if (!key_secret_valid(secret) || !key_pubkey(secret, pub))
        return WALLET_ERR_BAD_PARAMETER;
    enum wallet_err r = wallet_enter(w);
    if (r != WALLET_OK)
        return r;
    if (w->encrypted && !w->unlocked) {
        wallet_leave(w);
        return WALLET_ERR_LOCKED;
    }
    r = walletdb_begin(w->db);
    if (r == WALLET_OK) {
        if (wallet_find_key(w, pub) != NULL) {
            r = wallet_mark_used_locked(w, pub, label);
        } else {
            struct walletdb_key k;
            memset(&k, 0, sizeof k);
            memcpy(k.pubkey, pub, 32);
            k.index = -1;
            k.used = true;
            k.created = time_now();
            snprintf(k.label, sizeof k.label, "%s", label != NULL ? label : "");
            r = wallet_store_secret_locked(w, pub, secret, &k) ? walletdb_key_put(w->db, &k)
                                                               : WALLET_ERR_NOMEM;
            OPENSSL_cleanse(&k, sizeof k);
            if (r == WALLET_OK && !wallet_add_key_mem(w, pub, -1, true))
                r = WALLET_ERR_NOMEM;
        }
        if (r == WALLET_OK)
            r = walletdb_commit(w->db);
        if (r != WALLET_OK)
            wallet_rollback_locked(w);
    }
    wallet_leave(w);
    if (r == WALLET_OK)
        r = wallet_record_pending_of_key(w, pub);
    if (r != WALLET_OK || !rescan)
        return r;
    wallet_chat_catch_up(w);
    /* The index knows where the key first appears: scan from there. */
    struct node_ctx *node = w->node;
    struct txindex_hist *h = NULL;
    size_t n = 0;
    char err[256];
    bool ok = services_sync_txindex(node, err, sizeof err);
    pthread_mutex_lock(&node->lock);
    ok = ok && chain_account_history(services_chain(node), pub, 0, 1, &h, &n, err, sizeof err);
    pthread_mutex_unlock(&node->lock);
    int64_t start = ok && n > 0 ? (int64_t)h[0].height : -1;
    free(h);
    if (!ok) {
        LOG_WARN(LOG_CAT_WALLET, "wallet %s: account history unavailable (%s): full rescan",
                 w->name, err);
        start = 0;
    }
    if (start < 0)
        return WALLET_OK;
    return wallet_rescan(w, start, -1, NULL, NULL);
}
