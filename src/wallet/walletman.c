/* The wallet manager: the loaded wallets, their files under
 * <datadir>/wallets, and the chain and mempool notifications fanned out to
 * them. Part of the wallet module: see wallet.h and wallet_impl.h.
 *
 * Wallets are reference-counted under wm->mu (wallet.h says who holds
 * them): unloading closes a wallet and drops the manager's reference, and
 * the last walletman_put frees it, outside every lock. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "node/chain.h"
#include "node/chatbus.h"
#include "node/services.h"
#include "util/grow.h"
#include "util/log.h"
#include "wallet/wallet_impl.h"
#include "wallet/walletchat.h"

static void walletman_accepted(void *ctx, const struct tx *tx, const uint8_t txid[SHA256_LEN])
{
    struct walletman *wm = ctx;
    pthread_mutex_lock(&wm->mu);
    for (size_t i = 0; i < wm->n; i++)
        wallet_tx_accepted(wm->wallets[i], tx, txid);
    pthread_mutex_unlock(&wm->mu);
}

/* The chat bus's listener: an envelope between a loaded wallet's key and
 * anyone goes to that wallet. */
static bool walletman_chat_want(void *ctx, const uint8_t sender[32], const uint8_t recipient[32])
{
    struct walletman *wm = ctx;
    bool want = false;
    pthread_mutex_lock(&wm->mu);
    for (size_t i = 0; i < wm->n && !want; i++)
        want = wallet_chat_wants(wm->wallets[i], sender, recipient);
    pthread_mutex_unlock(&wm->mu);
    return want;
}

static bool walletman_chat_take(void *ctx, const uint8_t id[32], const struct envelope *e)
{
    struct walletman *wm = ctx;
    bool news = false;
    pthread_mutex_lock(&wm->mu);
    for (size_t i = 0; i < wm->n; i++)
        if (wallet_chat_take(wm->wallets[i], id, e))
            news = true;
    pthread_mutex_unlock(&wm->mu);
    return news;
}

static bool walletman_mkdir(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

enum wallet_err walletman_new(struct node_ctx *ctx, struct walletman **out, char *err,
                              size_t errlen)
{
    if (ctx == NULL || ctx->chain == NULL || ctx->mempool == NULL) {
        snprintf(err, errlen, "the chain and the mempool must run before the wallets");
        return WALLET_ERR_BAD_PARAMETER;
    }
    struct walletman *wm = calloc(1, sizeof *wm);
    if (wm == NULL) {
        snprintf(err, errlen, "out of memory");
        return WALLET_ERR_NOMEM;
    }
    wm->node = ctx;
    if (snprintf(wm->dir, sizeof wm->dir, "%s/wallets", ctx->datadir) >= (int)sizeof wm->dir ||
        !walletman_mkdir(wm->dir)) {
        snprintf(err, errlen, "cannot create the wallets directory %s/wallets: %s", ctx->datadir,
                 strerror(errno));
        free(wm);
        return WALLET_ERR_DB;
    }
    pthread_mutex_init(&wm->load_mu, NULL);
    pthread_mutex_init(&wm->mu, NULL);
    /* Blocks reach each wallet through its own index thread; mempool txs
     * through this listener. */
    struct services_tx_listener tl = {.ctx = wm, .accepted = walletman_accepted};
    pthread_mutex_lock(&ctx->lock);
    bool ok = services_add_tx_listener(ctx, &tl);
    if (!ok)
        services_remove_listeners(ctx, wm);
    pthread_mutex_unlock(&ctx->lock);
    struct chatbus_listener cl = {.ctx = wm, .want = walletman_chat_want,
                                  .take = walletman_chat_take};
    if (ok && !chatbus_add_listener(ctx->chatbus, &cl)) {
        services_remove_listeners(ctx, wm);
        ok = false;
    }
    if (!ok) {
        snprintf(err, errlen, "no room for the wallet's mempool or chat listener");
        pthread_mutex_destroy(&wm->mu);
        pthread_mutex_destroy(&wm->load_mu);
        free(wm);
        return WALLET_ERR_NOMEM;
    }
    *out = wm;
    return WALLET_OK;
}

void walletman_free(struct walletman *wm)
{
    if (wm == NULL)
        return;
    chatbus_remove_listener(wm->node->chatbus, wm);
    pthread_mutex_lock(&wm->node->lock);
    services_remove_listeners(wm->node, wm);
    pthread_mutex_unlock(&wm->node->lock);
    for (size_t i = 0; i < wm->n; i++) {
        index_runner_stop(wm->wallets[i]->index);
        wm->wallets[i]->index = NULL;
        wallet_close(wm->wallets[i]);
        wallet_destroy(wm->wallets[i]);
    }
    /* Unput references left at shutdown: nothing can use them any more. */
    for (size_t i = 0; i < wm->n_closed; i++) {
        index_runner_stop(wm->closed[i]->index);
        wallet_destroy(wm->closed[i]);
    }
    free(wm->wallets);
    free(wm->closed);
    pthread_mutex_destroy(&wm->mu);
    pthread_mutex_destroy(&wm->load_mu);
    free(wm);
}

/* Names become directory names: nothing that could leave wallets/. */
static bool walletman_name_ok(const char *name)
{
    if (name == NULL || name[0] == '\0' || strlen(name) > WALLET_NAME_MAX ||
        strcmp(name, ".") == 0 || strstr(name, "..") != NULL)
        return false;
    for (const char *p = name; *p != '\0'; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static struct wallet *walletman_find_locked(struct walletman *wm, const char *name)
{
    for (size_t i = 0; i < wm->n; i++)
        if (strcmp(wm->wallets[i]->name, name) == 0)
            return wm->wallets[i];
    return NULL;
}

/* A caller's reference to a wallet load_mu keeps loaded. */
static void walletman_ref(struct walletman *wm, struct wallet *w)
{
    pthread_mutex_lock(&wm->mu);
    w->refs++;
    pthread_mutex_unlock(&wm->mu);
}

static bool walletman_push(struct wallet ***v, size_t *n, size_t *cap, struct wallet *w)
{
    if (!grow_array((void **)v, cap, *n + 1, sizeof **v, 4))
        return false;
    (*v)[(*n)++] = w;
    return true;
}

enum wallet_err walletman_attach(struct walletman *wm, struct wallet *w, char *err,
                                 size_t errlen)
{
    struct index_def def;
    wallet_index_def(w, &def);
    if (!index_runner_start(wm->node, &def, false, &w->index, err, errlen))
        return WALLET_ERR_DB;
    pthread_mutex_lock(&wm->mu);
    enum wallet_err r = walletman_push(&wm->wallets, &wm->n, &wm->cap, w) ? WALLET_OK
                                                                           : WALLET_ERR_NOMEM;
    if (r == WALLET_OK)
        w->refs = 1; /* the manager's, while loaded */
    pthread_mutex_unlock(&wm->mu);
    if (r != WALLET_OK) {
        index_runner_stop(w->index);
        w->index = NULL;
        snprintf(err, errlen, "out of memory");
    }
    return r;
}

enum wallet_err wallet_sync(struct wallet *w, char *err, size_t errlen)
{
    if (w->index == NULL)
        return WALLET_OK;
    return index_runner_sync(w->index, WALLET_SYNC_TIMEOUT_MS, err, errlen) ? WALLET_OK
                                                                           : WALLET_ERR_DB;
}

static enum wallet_err walletman_paths(struct walletman *wm, const char *name, char *dir,
                                       size_t dirlen, char *path, size_t pathlen)
{
    if (snprintf(dir, dirlen, "%s/%s", wm->dir, name) >= (int)dirlen ||
        snprintf(path, pathlen, "%s/wallet.sqlite", dir) >= (int)pathlen)
        return WALLET_ERR_BAD_NAME;
    return WALLET_OK;
}

bool walletman_on_disk(struct walletman *wm, const char *name)
{
    char dir[4096], path[4200];
    struct stat st;
    return name != NULL && walletman_name_ok(name) &&
           walletman_paths(wm, name, dir, sizeof dir, path, sizeof path) == WALLET_OK &&
           stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Restore: finds the derived keys the chain has seen, up to the gap
 * limit past the last one, and marks them handed out. *first_height is
 * the lowest height any of them appears at (-1 when none). */
static enum wallet_err walletman_scan_used(struct wallet *w, const uint8_t seed[32],
                                           int64_t *first_height)
{
    struct node_ctx *node = w->node;
    int64_t last_used = -1, first = -1;
    enum wallet_err r = WALLET_OK;
    uint8_t secret[32], pub[32];
    for (uint64_t i = 0; i <= WALLETKEYS_MAX_INDEX && (int64_t)i <= last_used + WALLET_GAP_LIMIT;
         i++) {
        enum walletkeys_result d = walletkeys_derive(seed, (uint32_t)i, secret, pub);
        OPENSSL_cleanse(secret, sizeof secret);
        if (d == WALLETKEYS_SKIP)
            continue;
        if (d != WALLETKEYS_OK) {
            r = WALLET_ERR_CORRUPT;
            break;
        }
        struct txindex_hist *h = NULL;
        size_t n = 0;
        char err[256];
        bool ok = services_sync_txindex(node, err, sizeof err);
        pthread_mutex_lock(&node->lock);
        ok = ok && chain_account_history(services_chain(node), pub, 0, 1, &h, &n, err, sizeof err);
        pthread_mutex_unlock(&node->lock);
        if (!ok) {
            LOG_ERROR(LOG_CAT_WALLET, "restore: account history failed: %s", err);
            r = WALLET_ERR_DB;
            break;
        }
        if (n > 0) {
            last_used = (int64_t)i;
            if (first < 0 || (int64_t)h[0].height < first)
                first = (int64_t)h[0].height;
        }
        free(h);
    }
    if (r == WALLET_OK && last_used >= 0 && wallet_enter(w) == WALLET_OK) {
        r = walletdb_begin(w->db);
        if (r == WALLET_OK)
            r = wallet_mark_range_used_locked(w, (uint64_t)last_used + 1);
        if (r == WALLET_OK)
            r = walletdb_commit(w->db);
        if (r != WALLET_OK)
            wallet_rollback_locked(w);
        wallet_leave(w);
    }
    *first_height = first;
    if (r == WALLET_OK && last_used >= 0)
        LOG_INFO(LOG_CAT_WALLET, "wallet %s: restored %lld used addresses", w->name,
                 (long long)last_used + 1);
    return r;
}

enum wallet_err walletman_create(struct walletman *wm, const char *name, const char *passphrase,
                                 const uint8_t *seed, struct wallet **out, char *err,
                                 size_t errlen)
{
    if (!walletman_name_ok(name)) {
        snprintf(err, errlen, "invalid wallet name");
        return WALLET_ERR_BAD_NAME;
    }
    char dir[PATH_MAX + 80], path[PATH_MAX + 100];
    if (walletman_paths(wm, name, dir, sizeof dir, path, sizeof path) != WALLET_OK) {
        snprintf(err, errlen, "wallet path too long");
        return WALLET_ERR_BAD_NAME;
    }
    pthread_mutex_lock(&wm->load_mu);
    pthread_mutex_lock(&wm->mu);
    bool loaded = walletman_find_locked(wm, name) != NULL;
    pthread_mutex_unlock(&wm->mu);
    enum wallet_err r = WALLET_OK;
    struct wallet *w = NULL;
    if (loaded) {
        snprintf(err, errlen, "wallet \"%s\" is already loaded", name);
        r = WALLET_ERR_EXISTS;
    } else if (!walletman_mkdir(dir)) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        r = WALLET_ERR_DB;
    } else {
        r = wallet_open_file(wm, name, path, true, seed, passphrase, &w, err, errlen);
    }
    /* A new wallet starts at the tip (a restored one rescans below). */
    if (r == WALLET_OK && (r = wallet_set_best_to_tip(w)) != WALLET_OK)
        snprintf(err, errlen, "%s", wallet_strerror(r));
    if (r == WALLET_OK && (r = walletman_attach(wm, w, err, errlen)) != WALLET_OK) {
        wallet_close(w);
        wallet_destroy(w);
        remove(path);
        w = NULL;
    }
    int64_t first = -1;
    if (r == WALLET_OK && seed != NULL) {
        r = walletman_scan_used(w, seed, &first);
        if (r != WALLET_OK)
            snprintf(err, errlen, "scanning the chain for used keys failed: %s",
                     wallet_strerror(r));
    }
    /* A passphrase kept the new wallet unlocked while it was written. */
    if (w != NULL && passphrase != NULL && wallet_enter(w) == WALLET_OK) {
        wallet_relock_locked(w);
        wallet_leave(w);
    }
    if (r == WALLET_OK && first >= 0)
        r = wallet_rescan(w, first, -1, NULL, NULL);
    /* A restored seed may have messages waiting in the node's chat store. */
    if (r == WALLET_OK && seed != NULL)
        wallet_chat_catch_up(w);
    /* The caller's reference is taken before load_mu goes: an unload
     * waiting for it could otherwise free the wallet first. */
    if (r == WALLET_OK && out != NULL)
        walletman_ref(wm, w);
    pthread_mutex_unlock(&wm->load_mu);
    if (r == WALLET_OK) {
        LOG_INFO(LOG_CAT_WALLET, "wallet %s created%s%s", name,
                 passphrase != NULL ? ", encrypted" : "", seed != NULL ? " from a seed" : "");
        if (out != NULL)
            *out = w;
    } else if (w != NULL) {
        if (err[0] == '\0')
            snprintf(err, errlen, "%s", wallet_strerror(r));
        /* A half-made wallet is not kept: the same create can be retried. */
        walletman_unload(wm, name);
        char side[PATH_MAX + 120];
        remove(path);
        snprintf(side, sizeof side, "%s-wal", path);
        remove(side);
        snprintf(side, sizeof side, "%s-shm", path);
        remove(side);
        rmdir(dir);
    }
    return r;
}

enum wallet_err walletman_load(struct walletman *wm, const char *name, struct wallet **out,
                               char *err, size_t errlen)
{
    if (!walletman_name_ok(name)) {
        snprintf(err, errlen, "invalid wallet name");
        return WALLET_ERR_BAD_NAME;
    }
    char dir[PATH_MAX + 80], path[PATH_MAX + 100];
    if (walletman_paths(wm, name, dir, sizeof dir, path, sizeof path) != WALLET_OK) {
        snprintf(err, errlen, "wallet path too long");
        return WALLET_ERR_BAD_NAME;
    }
    pthread_mutex_lock(&wm->load_mu);
    pthread_mutex_lock(&wm->mu);
    bool loaded = walletman_find_locked(wm, name) != NULL;
    pthread_mutex_unlock(&wm->mu);
    enum wallet_err r;
    struct wallet *w = NULL;
    if (loaded) {
        snprintf(err, errlen, "wallet \"%s\" is already loaded", name);
        r = WALLET_ERR_EXISTS;
    } else {
        r = wallet_open_file(wm, name, path, false, NULL, NULL, &w, err, errlen);
        if (r == WALLET_ERR_NOT_FOUND)
            snprintf(err, errlen, "wallet \"%s\" not found (no %s)", name, path);
    }
    if (r == WALLET_OK && (r = walletman_attach(wm, w, err, errlen)) != WALLET_OK) {
        if (err[0] == '\0')
            snprintf(err, errlen, "%s", wallet_strerror(r));
        wallet_close(w);
        wallet_destroy(w);
        w = NULL;
    }
    /* Blocks connected while the wallet was not loaded: its index thread
     * catches up; then pending sends the mempool lost go back into it. */
    char why[200] = "";
    if (r == WALLET_OK && (r = wallet_sync(w, why, sizeof why)) != WALLET_OK)
        snprintf(err, errlen, "catching up with the chain failed: %s", why);
    if (r == WALLET_OK && (r = wallet_resubmit(w)) != WALLET_OK)
        snprintf(err, errlen, "resubmitting pending transactions failed: %s",
                 wallet_strerror(r));
    /* Messages that reached the node while the wallet was not loaded (a
     * failure is logged: the wallet is usable without them). */
    if (r == WALLET_OK)
        wallet_chat_catch_up(w);
    if (r == WALLET_OK && out != NULL)
        walletman_ref(wm, w); /* before load_mu goes, as in walletman_create */
    pthread_mutex_unlock(&wm->load_mu);
    if (r == WALLET_OK) {
        LOG_INFO(LOG_CAT_WALLET, "wallet %s loaded", name);
        if (out != NULL)
            *out = w;
    } else if (w != NULL) {
        walletman_unload(wm, name);
    }
    return r;
}

enum wallet_err walletman_unload(struct walletman *wm, const char *name)
{
    if (name == NULL)
        return WALLET_ERR_NOT_FOUND;
    pthread_mutex_lock(&wm->load_mu);
    pthread_mutex_lock(&wm->node->lock);
    pthread_mutex_lock(&wm->mu);
    struct wallet *w = NULL;
    for (size_t i = 0; i < wm->n; i++) {
        if (strcmp(wm->wallets[i]->name, name) == 0) {
            w = wm->wallets[i];
            wm->wallets[i] = wm->wallets[--wm->n];
            break;
        }
    }
    /* Out of memory here, the wallet is on no list: the last put still
     * frees it, only walletman_free would not find it. */
    bool listed = w != NULL && walletman_push(&wm->closed, &wm->n_closed, &wm->cap_closed, w);
    pthread_mutex_unlock(&wm->mu);
    pthread_mutex_unlock(&wm->node->lock);
    if (w != NULL) {
        /* A call holding the wallet may be syncing on its index: the
         * runner stops here and is freed with the wallet (walletman_put). */
        index_runner_halt(w->index);
        /* Waits for a call in progress on the wallet, then closes it. */
        wallet_close(w);
        if (!listed)
            LOG_WARN(LOG_CAT_WALLET, "wallet %s: out of memory listing it after unload", name);
        LOG_INFO(LOG_CAT_WALLET, "wallet %s unloaded", name);
        walletman_put(wm, w); /* the manager's: frees it unless someone holds it */
    }
    pthread_mutex_unlock(&wm->load_mu);
    return w != NULL ? WALLET_OK : WALLET_ERR_NOT_FOUND;
}

struct wallet *walletman_get(struct walletman *wm, const char *name)
{
    pthread_mutex_lock(&wm->mu);
    struct wallet *w = name != NULL ? walletman_find_locked(wm, name)
                                    : (wm->n == 1 ? wm->wallets[0] : NULL);
    if (w != NULL)
        w->refs++;
    pthread_mutex_unlock(&wm->mu);
    return w;
}

void walletman_put(struct walletman *wm, struct wallet *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&wm->mu);
    /* The manager's own reference goes only at unload, after the wallet was
     * closed: the last one is always of a closed wallet. */
    bool last = --w->refs == 0;
    for (size_t i = 0; last && i < wm->n_closed; i++) {
        if (wm->closed[i] == w) {
            wm->closed[i] = wm->closed[--wm->n_closed];
            break;
        }
    }
    pthread_mutex_unlock(&wm->mu);
    if (last) {
        index_runner_stop(w->index);
        wallet_destroy(w);
    }
}

size_t walletman_closed_count(struct walletman *wm)
{
    pthread_mutex_lock(&wm->mu);
    size_t n = wm->n_closed;
    pthread_mutex_unlock(&wm->mu);
    return n;
}

size_t walletman_list(struct walletman *wm, char (*names)[WALLET_NAME_MAX + 1], size_t max)
{
    pthread_mutex_lock(&wm->mu);
    size_t n = wm->n;
    for (size_t i = 0; i < n && i < max; i++)
        snprintf(names[i], WALLET_NAME_MAX + 1, "%s", wm->wallets[i]->name);
    pthread_mutex_unlock(&wm->mu);
    return n;
}
