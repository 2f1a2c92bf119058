/* The gateway's account API: sign-up, login, session, logout, password
 * change, deletion and the filtered JSON-RPC. Part of the gateway: see
 * gateway.h, gw_impl.h and doc/gateway.md (which lists every route with
 * its bodies and statuses). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "gateway/gateway.h"
#include "gateway/gw_impl.h"
#include "gateway/gw_request.h"
#include "gateway/gw_rpc.h"
#include "util/log.h"
#include "util/time.h"
#include "wallet/wallet.h"

/* An account wallet stays unlocked at most as long as a session can last;
 * the gateway locks it sooner, when the account's last session ends. */
#define GW_UNLOCK_SECONDS (GATEWAY_SESSION_MAX_AGE + 60)

#define MSG_BAD_REQUEST "The request could not be read. Reload the page and try again."
#define MSG_NOT_JSON "Requests must be sent as JSON (Content-Type: application/json)."
#define MSG_LOGIN "Please log in."
#define MSG_CSRF "This request was refused for your safety. Reload the page and try again."
#define MSG_WRONG_LOGIN "Wrong username or password."
#define MSG_WRONG_PASSWORD "The password is wrong."
#define MSG_USERNAME "A username has 3 to 32 characters: letters, digits, '_' or '-'."
#define MSG_PASSWORD "A password needs at least 8 characters (and at most 1024 bytes)."
#define MSG_TAKEN "That username is taken. Please choose another."
#define MSG_INTERNAL "Something went wrong on the server. Please try again later."
#define MSG_NO_WALLETS "This node runs without wallets, so accounts are not available."

/* ------------------------------------------------------------ helpers */

static void set_cookie(struct gateway *g, struct http_req *r, const char *token)
{
    char v[256];
    if (token != NULL)
        snprintf(v, sizeof v, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s", GW_COOKIE_NAME, token,
                 g->secure_cookie ? "; Secure" : "");
    else
        snprintf(v, sizeof v, "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
                 GW_COOKIE_NAME, g->secure_cookie ? "; Secure" : "");
    http_req_add_reply_header(r, "Set-Cookie", v);
    OPENSSL_cleanse(v, sizeof v);
}

/* wait_ms is rounded up: Retry-After counts whole seconds. */
static void reply_throttled(struct http_req *r, int64_t wait_ms)
{
    int64_t wait = (wait_ms + 999) / 1000;
    char secs[32], msg[160];
    snprintf(secs, sizeof secs, "%lld", (long long)wait);
    snprintf(msg, sizeof msg, "Too many attempts. Please wait %lld second%s and try again.",
             (long long)wait, wait == 1 ? "" : "s");
    http_req_add_reply_header(r, "Retry-After", secs);
    gw_reply_error(r, 429, msg);
}

/* Milliseconds before another password attempt for this account from
 * this client (0: now). */
static int64_t throttle_wait(struct gateway *g, const char *account, const char *client)
{
    int64_t now = time_now_ms();
    int64_t a = account != NULL ? gw_throttle_wait(&g->by_account, account, now) : 0;
    int64_t b = gw_throttle_wait(&g->by_address, client, now);
    return a > b ? a : b;
}

static void throttle_fail(struct gateway *g, const char *account, const char *client)
{
    int64_t now = time_now_ms();
    if (account != NULL)
        gw_throttle_fail(&g->by_account, account, now);
    gw_throttle_fail(&g->by_address, client, now);
}

/* Which of the account's password parameters the password matches. */
enum pw_match { PW_NONE, PW_CURRENT, PW_PENDING, PW_ERROR };

static enum pw_match check_password(const struct gw_account *a, const char *pw, size_t len,
                                    struct gw_secret *out)
{
    if (!gw_password_derive(pw, len, &a->kdf, out))
        return PW_ERROR;
    if (CRYPTO_memcmp(out->verifier, a->verifier, 32) == 0)
        return PW_CURRENT;
    gw_secret_wipe(out);
    if (!a->pending)
        return PW_NONE;
    if (!gw_password_derive(pw, len, &a->pending_kdf, out))
        return PW_ERROR;
    if (CRYPTO_memcmp(out->verifier, a->pending_verifier, 32) == 0)
        return PW_PENDING;
    gw_secret_wipe(out);
    return PW_NONE;
}

/* The same work for a username that does not exist, so a failed login
 * takes as long whether or not the account exists. */
static void check_password_dummy(const char *pw, size_t len)
{
    struct gw_kdf k = {.n = GW_KDF_N, .r = GW_KDF_R, .p = GW_KDF_P};
    memset(k.salt, 0x5a, sizeof k.salt);
    struct gw_secret s;
    if (gw_password_derive(pw, len, &k, &s))
        gw_secret_wipe(&s);
}

static json_t *account_json(const struct gw_session_info *info, const char *csrf)
{
    return json_pack("{s:s,s:s,s:s}", "username", info->username, "address", info->address,
                     "csrf", csrf);
}

/* ------------------------------------------------------------ wallets */

void gw_release_wallet(struct gateway *g, const char *username, const char *wallet)
{
    if (g->wm == NULL)
        return;
    pthread_mutex_lock(&g->wallet_mu);
    if (gw_sessions_count_account(&g->sessions, username) == 0) {
        struct wallet *w = walletman_get(g->wm, wallet);
        if (w != NULL) {
            wallet_lock(w);
            walletman_unload(g->wm, wallet);
            walletman_put(g->wm, w); /* frees it, unless a call still runs on it */
            LOG_DEBUG(LOG_CAT_HTTP, "gateway: %s's wallet locked and unloaded", username);
        }
    }
    pthread_mutex_unlock(&g->wallet_mu);
}

bool gw_retire_wallet(struct gateway *g, const char *wallet)
{
    struct wallet *w = walletman_get(g->wm, wallet);
    if (w != NULL) {
        wallet_lock(w);
        walletman_unload(g->wm, wallet);
        walletman_put(g->wm, w);
    }
    char from[PATH_MAX + 80], to[PATH_MAX + 120];
    snprintf(from, sizeof from, "%s/wallets/%s", g->ctx->datadir, wallet);
    struct stat st;
    if (stat(from, &st) != 0)
        return errno == ENOENT;
    if (mkdir(g->deleted_dir, 0700) != 0 && errno != EEXIST) {
        LOG_ERROR(LOG_CAT_HTTP, "gateway: cannot create %s: %s", g->deleted_dir, strerror(errno));
        return false;
    }
    /* A name not used yet: the same username may be deleted twice. */
    for (unsigned i = 0; i < 1000; i++) {
        if (i == 0)
            snprintf(to, sizeof to, "%s/%s-%lld", g->deleted_dir, wallet, (long long)time_now());
        else
            snprintf(to, sizeof to, "%s/%s-%lld-%u", g->deleted_dir, wallet,
                     (long long)time_now(), i);
        if (stat(to, &st) == 0)
            continue;
        if (rename(from, to) == 0) {
            LOG_INFO(LOG_CAT_HTTP, "gateway: wallet %s moved to %s", wallet, to);
            return true;
        }
        LOG_ERROR(LOG_CAT_HTTP, "gateway: cannot move %s to %s: %s", from, to, strerror(errno));
        return false;
    }
    return false;
}

static void finish_one(void *ctx, const struct gw_account *a)
{
    struct gateway *g = ctx;
    if (gw_retire_wallet(g, a->wallet) && gw_store_remove(g->store, a->username) == GW_STORE_OK)
        LOG_INFO(LOG_CAT_HTTP, "gateway: finished deleting account %s", a->username);
}

void gw_finish_deletions(struct gateway *g)
{
    if (gw_store_each_deleting(g->store, finish_one, g) != GW_STORE_OK)
        LOG_WARN(LOG_CAT_HTTP, "gateway: could not list the accounts being deleted");
}

/* Loads (when needed) and unlocks the account's wallet; wallet_mu held. */
static enum wallet_err open_wallet(struct gateway *g, const char *name, const char *pass)
{
    struct wallet *w = walletman_get(g->wm, name);
    char err[256] = "";
    if (w == NULL) {
        enum wallet_err e = walletman_load(g->wm, name, &w, err, sizeof err);
        if (e != WALLET_OK) {
            LOG_ERROR(LOG_CAT_HTTP, "gateway: cannot load wallet %s: %s", name, err);
            return e;
        }
    }
    enum wallet_err e = wallet_unlock(w, pass, GW_UNLOCK_SECONDS);
    walletman_put(g->wm, w);
    return e;
}

/* ------------------------------------------------------------ endpoints */

struct api_ctx {
    struct gateway *g;
    struct http_req *r;
    struct gw_session_info session; /* for routes that need one */
    char token[GW_TOKEN_HEX + 1];
    char client[80];
};

static void api_signup(struct api_ctx *c)
{
    struct gateway *g = c->g;
    static const char *const names[] = {"username", "password"};
    const char *vals[2];
    size_t lens[2];
    json_t *root;
    size_t blen;
    const char *body = http_req_body(c->r, &blen);
    if (!gw_request_strings(body, blen, names, 2, &root, vals, lens)) {
        gw_reply_error(c->r, 400, MSG_BAD_REQUEST);
        return;
    }
    struct gw_account a;
    memset(&a, 0, sizeof a);
    bool name_ok = strlen(vals[0]) == lens[0] && gw_username_normalize(vals[0], a.username);
    bool pw_ok = gw_password_acceptable(vals[1], lens[1]);
    if (!name_ok || !pw_ok) {
        json_decref(root);
        gw_reply_error(c->r, 400, !name_ok ? MSG_USERNAME : MSG_PASSWORD);
        return;
    }
    if (g->wm == NULL) {
        json_decref(root);
        gw_reply_error(c->r, 503, MSG_NO_WALLETS);
        return;
    }
    int64_t wait = gw_throttle_wait(&g->signups, c->client, time_now_ms());
    if (wait > 0) {
        json_decref(root);
        reply_throttled(c->r, wait);
        return;
    }
    gw_wallet_name(a.username, a.wallet);
    struct gw_secret sec;
    bool derived = gw_kdf_new(&a.kdf) && gw_password_derive(vals[1], lens[1], &a.kdf, &sec);
    json_decref(root);
    if (!derived) {
        gw_reply_error(c->r, 500, MSG_INTERNAL);
        return;
    }
    memcpy(a.verifier, sec.verifier, 32);
    /* A wallet directory of that name (left by the operator) makes the
     * name taken as surely as an account does. */
    enum gw_store_result sr =
        walletman_on_disk(g->wm, a.wallet) ? GW_STORE_EXISTS : gw_store_insert(g->store, &a);
    if (sr != GW_STORE_OK) {
        gw_secret_wipe(&sec);
        OPENSSL_cleanse(&a, sizeof a);
        gw_reply_error(c->r, sr == GW_STORE_EXISTS ? 409 : 500,
                       sr == GW_STORE_EXISTS ? MSG_TAKEN : MSG_INTERNAL);
        return;
    }

    pthread_mutex_lock(&g->wallet_mu);
    struct wallet *w = NULL;
    char err[256] = "";
    char words[WALLETMNEMONIC_TEXT_MAX + 1] = "";
    struct gw_session_info info;
    memset(&info, 0, sizeof info);
    char token[GW_TOKEN_HEX + 1], csrf[GW_TOKEN_HEX + 1];
    enum wallet_err e = walletman_create(g->wm, a.wallet, sec.wallet_pass, NULL, &w, err, sizeof err);
    if (e == WALLET_OK)
        e = wallet_unlock(w, sec.wallet_pass, GW_UNLOCK_SECONDS);
    if (e == WALLET_OK)
        e = wallet_new_address(w, "account", info.address);
    if (e == WALLET_OK)
        e = wallet_export_mnemonic(w, words);
    bool ok = e == WALLET_OK && gw_store_set_address(g->store, a.username, info.address) == GW_STORE_OK;
    if (ok) {
        snprintf(info.username, sizeof info.username, "%s", a.username);
        snprintf(info.wallet, sizeof info.wallet, "%s", a.wallet);
        ok = gw_sessions_create(&g->sessions, &info, time_now(), token, csrf);
    }
    if (!ok) {
        LOG_ERROR(LOG_CAT_HTTP, "gateway: sign-up of %s failed: %s", a.username,
                  err[0] != '\0' ? err : wallet_strerror(e));
        /* Nothing half made is left: the wallet (if any) is set aside and
         * the name is free again. */
        if (w != NULL)
            gw_retire_wallet(g, a.wallet);
        gw_store_remove(g->store, a.username);
    }
    walletman_put(g->wm, w);
    pthread_mutex_unlock(&g->wallet_mu);
    gw_secret_wipe(&sec);
    if (!ok) {
        OPENSSL_cleanse(words, sizeof words);
        OPENSSL_cleanse(&a, sizeof a);
        gw_reply_error(c->r, 500, MSG_INTERNAL);
        return;
    }
    gw_throttle_fail(&g->signups, c->client, time_now_ms());
    LOG_INFO(LOG_CAT_HTTP, "gateway: account %s signed up", a.username);
    set_cookie(g, c->r, token);
    OPENSSL_cleanse(token, sizeof token);
    gw_reply_json(c->r, 200,
                  json_pack("{s:s,s:s,s:s,s:s}", "username", info.username, "address",
                            info.address, "seed", words, "csrf", csrf));
    OPENSSL_cleanse(words, sizeof words);
    OPENSSL_cleanse(csrf, sizeof csrf);
    OPENSSL_cleanse(&a, sizeof a);
}

static void api_login(struct api_ctx *c)
{
    struct gateway *g = c->g;
    static const char *const names[] = {"username", "password"};
    const char *vals[2];
    size_t lens[2];
    json_t *root;
    size_t blen;
    const char *body = http_req_body(c->r, &blen);
    if (!gw_request_strings(body, blen, names, 2, &root, vals, lens)) {
        gw_reply_error(c->r, 400, MSG_BAD_REQUEST);
        return;
    }
    char username[GW_USERNAME_MAX + 1];
    bool name_ok = strlen(vals[0]) == lens[0] && gw_username_normalize(vals[0], username);
    int64_t wait = throttle_wait(g, name_ok ? username : NULL, c->client);
    if (wait > 0) {
        json_decref(root);
        reply_throttled(c->r, wait);
        return;
    }
    if (g->wm == NULL) {
        json_decref(root);
        gw_reply_error(c->r, 503, MSG_NO_WALLETS);
        return;
    }
    struct gw_account a;
    enum gw_store_result sr = name_ok ? gw_store_get(g->store, username, &a) : GW_STORE_NOT_FOUND;
    struct gw_secret sec;
    enum pw_match m = PW_NONE;
    if (sr == GW_STORE_OK && !a.deleting)
        m = check_password(&a, vals[1], lens[1], &sec);
    else
        check_password_dummy(vals[1], lens[1]);
    json_decref(root);
    if (sr == GW_STORE_ERROR || m == PW_ERROR) {
        gw_reply_error(c->r, 500, MSG_INTERNAL);
        return;
    }
    if (m == PW_NONE) {
        OPENSSL_cleanse(&a, sizeof a);
        throttle_fail(g, name_ok ? username : NULL, c->client);
        gw_reply_error(c->r, 401, MSG_WRONG_LOGIN);
        return;
    }

    pthread_mutex_lock(&g->wallet_mu);
    enum wallet_err e = open_wallet(g, a.wallet, sec.wallet_pass);
    gw_secret_wipe(&sec);
    /* A password change a crash cut short: the wallet tells which
     * password it took, and the table follows it. */
    if (e == WALLET_OK && m == PW_PENDING)
        gw_store_promote(g->store, a.username);
    else if (e == WALLET_OK && a.pending)
        gw_store_drop_pending(g->store, a.username);
    struct gw_session_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.username, sizeof info.username, "%s", a.username);
    snprintf(info.wallet, sizeof info.wallet, "%s", a.wallet);
    snprintf(info.address, sizeof info.address, "%s", a.address);
    char token[GW_TOKEN_HEX + 1], csrf[GW_TOKEN_HEX + 1];
    bool ok = e == WALLET_OK && gw_sessions_create(&g->sessions, &info, time_now(), token, csrf);
    pthread_mutex_unlock(&g->wallet_mu);
    OPENSSL_cleanse(&a, sizeof a);
    if (!ok) {
        /* The wallet may have been loaded for nothing. */
        gw_release_wallet(g, info.username, info.wallet);
        if (e == WALLET_ERR_PASSPHRASE) {
            throttle_fail(g, info.username, c->client);
            gw_reply_error(c->r, 401, MSG_WRONG_LOGIN);
        } else {
            gw_reply_error(c->r, 500, MSG_INTERNAL);
        }
        return;
    }
    gw_throttle_reset(&g->by_account, info.username);
    gw_throttle_reset(&g->by_address, c->client);
    set_cookie(g, c->r, token);
    OPENSSL_cleanse(token, sizeof token);
    gw_reply_json(c->r, 200, account_json(&info, csrf));
    OPENSSL_cleanse(csrf, sizeof csrf);
}

static void api_session(struct api_ctx *c)
{
    gw_reply_json(c->r, 200, account_json(&c->session, c->session.csrf));
}

static void api_logout(struct api_ctx *c)
{
    gw_sessions_remove(&c->g->sessions, c->token, NULL);
    gw_release_wallet(c->g, c->session.username, c->session.wallet);
    set_cookie(c->g, c->r, NULL);
    gw_security_headers(c->r);
    http_req_add_reply_header(c->r, "Cache-Control", "no-store");
    http_req_reply(c->r, 204, NULL, 0);
}

/* Checks the account's password for a session's request, with the
 * throttle; false when it has replied. *a and *sec are filled on success. */
static bool confirm_password(struct api_ctx *c, const char *pw, size_t len, struct gw_account *a,
                             struct gw_secret *sec)
{
    struct gateway *g = c->g;
    int64_t wait = throttle_wait(g, c->session.username, c->client);
    if (wait > 0) {
        reply_throttled(c->r, wait);
        return false;
    }
    enum gw_store_result sr = gw_store_get(g->store, c->session.username, a);
    enum pw_match m = sr == GW_STORE_OK ? check_password(a, pw, len, sec) : PW_ERROR;
    if (m == PW_CURRENT)
        return true;
    if (m == PW_PENDING)
        gw_secret_wipe(sec);
    if (m == PW_NONE || m == PW_PENDING) {
        throttle_fail(g, c->session.username, c->client);
        gw_reply_error(c->r, 403, MSG_WRONG_PASSWORD);
    } else {
        gw_reply_error(c->r, 500, MSG_INTERNAL);
    }
    OPENSSL_cleanse(a, sizeof *a);
    return false;
}

static void api_password(struct api_ctx *c)
{
    struct gateway *g = c->g;
    static const char *const names[] = {"old", "new"};
    const char *vals[2];
    size_t lens[2];
    json_t *root;
    size_t blen;
    const char *body = http_req_body(c->r, &blen);
    if (!gw_request_strings(body, blen, names, 2, &root, vals, lens)) {
        gw_reply_error(c->r, 400, MSG_BAD_REQUEST);
        return;
    }
    if (!gw_password_acceptable(vals[1], lens[1])) {
        json_decref(root);
        gw_reply_error(c->r, 400, MSG_PASSWORD);
        return;
    }
    struct gw_account a;
    struct gw_secret old_sec, new_sec;
    if (!confirm_password(c, vals[0], lens[0], &a, &old_sec)) {
        json_decref(root);
        return;
    }
    struct gw_kdf kdf;
    bool ok = gw_kdf_new(&kdf) && gw_password_derive(vals[1], lens[1], &kdf, &new_sec);
    json_decref(root);
    if (!ok) {
        gw_secret_wipe(&old_sec);
        gw_reply_error(c->r, 500, MSG_INTERNAL);
        return;
    }
    pthread_mutex_lock(&g->wallet_mu);
    enum wallet_err e = WALLET_ERR_NOT_FOUND;
    ok = gw_store_set_pending(g->store, a.username, &kdf, new_sec.verifier) == GW_STORE_OK;
    struct wallet *w = ok ? walletman_get(g->wm, a.wallet) : NULL;
    if (w != NULL)
        e = wallet_change_passphrase(w, old_sec.wallet_pass, new_sec.wallet_pass);
    walletman_put(g->wm, w);
    if (e == WALLET_OK) {
        ok = gw_store_promote(g->store, a.username) == GW_STORE_OK;
    } else {
        ok = false;
        gw_store_drop_pending(g->store, a.username);
        LOG_ERROR(LOG_CAT_HTTP, "gateway: re-encrypting %s's wallet failed: %s", a.username,
                  wallet_strerror(e));
    }
    char token[GW_TOKEN_HEX + 1], csrf[GW_TOKEN_HEX + 1];
    if (ok) {
        /* Every session of the account ends; this client gets a new one
         * (the wallet stays unlocked, now under the new key). */
        gw_sessions_remove_account(&g->sessions, a.username);
        ok = gw_sessions_create(&g->sessions, &c->session, time_now(), token, csrf);
    }
    pthread_mutex_unlock(&g->wallet_mu);
    gw_secret_wipe(&old_sec);
    gw_secret_wipe(&new_sec);
    OPENSSL_cleanse(&a, sizeof a);
    if (!ok) {
        gw_release_wallet(g, c->session.username, c->session.wallet);
        gw_reply_error(c->r, 500, MSG_INTERNAL);
        return;
    }
    LOG_INFO(LOG_CAT_HTTP, "gateway: account %s changed its password", c->session.username);
    set_cookie(g, c->r, token);
    OPENSSL_cleanse(token, sizeof token);
    gw_reply_json(c->r, 200, account_json(&c->session, csrf));
    OPENSSL_cleanse(csrf, sizeof csrf);
}

static void api_delete(struct api_ctx *c)
{
    struct gateway *g = c->g;
    static const char *const names[] = {"password"};
    const char *vals[1];
    size_t lens[1];
    json_t *root;
    size_t blen;
    const char *body = http_req_body(c->r, &blen);
    if (!gw_request_strings(body, blen, names, 1, &root, vals, lens)) {
        gw_reply_error(c->r, 400, MSG_BAD_REQUEST);
        return;
    }
    struct gw_account a;
    struct gw_secret sec;
    bool confirmed = confirm_password(c, vals[0], lens[0], &a, &sec);
    json_decref(root);
    if (!confirmed)
        return;
    gw_secret_wipe(&sec);
    bool ok = gw_store_mark_deleting(g->store, a.username) == GW_STORE_OK;
    if (ok) {
        pthread_mutex_lock(&g->wallet_mu);
        gw_sessions_remove_account(&g->sessions, a.username);
        ok = gw_retire_wallet(g, a.wallet);
        pthread_mutex_unlock(&g->wallet_mu);
    }
    /* A wallet that could not be moved leaves the row marked: the next
     * start finishes the deletion. */
    ok = ok && gw_store_remove(g->store, a.username) == GW_STORE_OK;
    OPENSSL_cleanse(&a, sizeof a);
    if (!ok) {
        gw_reply_error(c->r, 500, MSG_INTERNAL);
        return;
    }
    LOG_INFO(LOG_CAT_HTTP, "gateway: account %s deleted", c->session.username);
    set_cookie(g, c->r, NULL);
    gw_reply_json(c->r, 200, json_pack("{s:s}", "deleted", c->session.username));
}

static void api_rpc(struct api_ctx *c)
{
    size_t blen;
    const char *body = http_req_body(c->r, &blen);
    char *filtered = NULL;
    size_t flen = 0;
    enum gw_rpc_filter_result fr = gw_rpc_filter(body, blen, &filtered, &flen);
    if (fr != GW_RPC_FILTER_OK) {
        json_t *err = json_pack("{s:n,s:{s:i,s:s},s:n}", "result", "error", "code",
                                RPC_PARSE_ERROR, "message",
                                fr == GW_RPC_FILTER_NOMEM ? "out of memory" : "Parse error",
                                "id");
        gw_reply_json(c->r, 500, err);
        return;
    }
    char uri[16 + GW_WALLET_NAME_MAX];
    snprintf(uri, sizeof uri, "/wallet/%s", c->session.wallet);
    char user[16 + GW_USERNAME_MAX];
    snprintf(user, sizeof user, "gateway:%s", c->session.username);
    struct rpc_reply rep;
    rpc_dispatch(&c->g->table, c->g->ctx, uri, user, filtered, flen, &rep);
    OPENSSL_cleanse(filtered, flen);
    free(filtered);
    gw_security_headers(c->r);
    http_req_add_reply_header(c->r, "Cache-Control", "no-store");
    if (rep.body != NULL)
        http_req_add_reply_header(c->r, "Content-Type", "application/json");
    http_req_reply_take(c->r, rep.status, rep.body, rep.len);
}

/* ------------------------------------------------------------ routing */

static const struct api_route {
    const char *path;
    enum http_method method;
    bool session; /* needs a logged-in session */
    bool csrf;    /* needs the X-CSRF-Token header */
    void (*fn)(struct api_ctx *c);
} api_routes[] = {
    {"/api/signup", HTTP_METHOD_POST, false, false, api_signup},
    {"/api/login", HTTP_METHOD_POST, false, false, api_login},
    {"/api/session", HTTP_METHOD_GET, true, false, api_session},
    {"/api/logout", HTTP_METHOD_POST, true, true, api_logout},
    {"/api/password", HTTP_METHOD_POST, true, true, api_password},
    {"/api/delete", HTTP_METHOD_POST, true, true, api_delete},
    {"/api/rpc", HTTP_METHOD_POST, true, true, api_rpc},
};

void gw_api_handle(struct gateway *g, struct http_req *r)
{
    const char *uri = http_req_uri(r);
    size_t plen = strcspn(uri, "?#");
    const struct api_route *rt = NULL;
    for (size_t i = 0; i < sizeof api_routes / sizeof api_routes[0] && rt == NULL; i++)
        if (strlen(api_routes[i].path) == plen && memcmp(api_routes[i].path, uri, plen) == 0)
            rt = &api_routes[i];
    if (rt == NULL) {
        gw_reply_error(r, 404, "There is no such page.");
        return;
    }
    if (http_req_method(r) != rt->method) {
        http_req_add_reply_header(r, "Allow", rt->method == HTTP_METHOD_GET ? "GET" : "POST");
        gw_reply_error(r, 405, MSG_BAD_REQUEST);
        return;
    }
    /* A body must be JSON, and so must the requests that carry no CSRF
     * header (a bodiless logout needs no type). */
    size_t blen;
    http_req_body(r, &blen);
    if (rt->method == HTTP_METHOD_POST && (blen > 0 || !rt->csrf) &&
        !gw_request_is_json(http_req_header(r, "Content-Type"))) {
        gw_reply_error(r, 415, MSG_NOT_JSON);
        return;
    }
    struct api_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.r = r;
    gw_client_key(g, r, c.client, sizeof c.client);
    if (rt->session) {
        enum gw_session_state st = gw_cookie_token(http_req_header(r, "Cookie"), c.token)
                                       ? gw_sessions_get(&g->sessions, c.token, time_now(), &c.session)
                                       : GW_SESSION_NONE;
        if (st == GW_SESSION_EXPIRED)
            gw_release_wallet(g, c.session.username, c.session.wallet);
        if (st != GW_SESSION_VALID) {
            OPENSSL_cleanse(&c, sizeof c);
            gw_reply_error(r, 401, st == GW_SESSION_EXPIRED
                                       ? "Your session has ended. Please log in again."
                                       : MSG_LOGIN);
            return;
        }
        if (rt->csrf && !gw_csrf_matches(&c.session, http_req_header(r, "X-CSRF-Token"))) {
            OPENSSL_cleanse(&c, sizeof c);
            gw_reply_error(r, 403, MSG_CSRF);
            return;
        }
    }
    rt->fn(&c);
    OPENSSL_cleanse(&c, sizeof c);
}
